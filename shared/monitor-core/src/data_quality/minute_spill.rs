//! Ingest of an object whose records span many minutes, in flat memory (issue 16 item 3).
//!
//! Ingest keeps one profile per minute of the object ([`crate::data_quality::consume`]). A
//! busy endpoint's hour-long object holds up to 180 of them, each with a KLL sketch of up to
//! ~5,700 values per feature (about 1 MB at 20 features), and the partial profile was held
//! whole until it was written: 93 MB of RSS for one object of a million records. With
//! [`Profiler::minute_budget`](crate::data_quality::consume::Profiler::minute_budget) (what
//! ingest uses: [`MINUTE_BUDGET_BYTES`] of heap, as [`minute_heap_bytes`] counts it) or
//! [`Profiler::spill_minutes`](crate::data_quality::consume::Profiler::spill_minutes) (a
//! count) the profiler keeps only some of them in memory; the least recently used one is
//! written to a temporary file as its JSON ([`MinuteSpill`]) and read back if a later record
//! belongs to it. An object whose minutes fit in the budget never spills, however many
//! minutes it spans. The state file is then written minute by minute, each spilled minute
//! read back in turn ([`PartialProfileOut`]), with the same serialisation as
//! [`PartialProfile`]: the same bytes.
//!
//! Exact because every part of a minute profile written out reads back as the state it was
//! (the KLL sketch keeps its compaction counters and offsets, floats are written
//! shortest-exact and read with `float_roundtrip`, categorical counts are their full state),
//! so a reloaded minute continues exactly as if it had stayed in memory. The distinct-count
//! sketches are the exception: an HLL in its hash-set mode reads back with its coupons in
//! other slots, and after more updates it encodes to other bytes (the same estimate), so they
//! stay in memory (at most 4 KB per feature: HLL8 with 2¹² registers) and only the rest of
//! the minute is spilled. A minute with a non-finite float (which JSON cannot hold) is never
//! spilled.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::ser::{Error as _, SerializeSeq};
use serde::Serialize;

use drift_math::categorical::DistinctCount;

use crate::data_quality::consume::MinuteProfile;
use crate::data_quality::profile::{DatasetProfile, FeatureProfile};
use crate::CoreError;

/// Heap bytes ingest lets the minute profiles of one capture object take, shared by the
/// object's data-quality monitors: [`crate::app::ingest::run`] gives each an equal share
/// ([`Profiler::set_minute_budget`](crate::data_quality::consume::Profiler::set_minute_budget));
/// the other kinds keep no minute profiles. Counted by [`minute_heap_bytes`]; past it the
/// least recently used minutes are spilled.
///
/// Sized on the bench's hour-long objects (`scripts/bench-memory.sh`, 20 features, 13 of them
/// numeric; sizes as counted at the end of ingest): a minute of ~170 records takes ~45 KB, one
/// of ~1,700 ~264 KB (13 KLL level-0 buffers of 2,048 values), one of ~17,000 ~725 KB (the
/// sketches compacted). So an object of 100k records in one hour (15.9 MB of minutes) stays
/// in memory whole, with no spill, and one of 1M keeps 28 of its 60 minutes (44 MB of RSS for
/// the whole `ingest` of it with four monitors, against 92 MB without a spill). A budget that
/// brought that under 32 MB (about 8 MB) would spill the 100k object.
pub const MINUTE_BUDGET_BYTES: usize = 20 << 20;

/// What is known of a spilled minute without reading it back, and its distinct-count sketches.
#[derive(Debug, Clone)]
struct Spilled {
    path: PathBuf,
    records: u64,
    bad_records: u64,
    shadow_skipped: u64,
    /// the distinct-count sketches of the minute's profile and of its slices, in
    /// [`profiles_of`] order
    distinct: Vec<DistinctCount>,
    /// heap bytes of `distinct` (as [`minute_heap_bytes`] counts them)
    distinct_bytes: usize,
}

/// The profiles of a minute: its data, then its slices in key order.
fn profiles_of(m: &mut MinuteProfile) -> impl Iterator<Item = &mut DatasetProfile> {
    std::iter::once(&mut m.profile).chain(m.segments.values_mut())
}

/// Takes the distinct-count sketches out of `m` (each replaced by an empty one).
fn take_distinct(m: &mut MinuteProfile) -> Vec<DistinctCount> {
    profiles_of(m)
        .flat_map(|p| p.features.iter_mut())
        .map(|f| std::mem::replace(&mut f.distinct, DistinctCount::new()))
        .collect()
}

/// Puts the sketches [`take_distinct`] took back into `m`.
fn restore_distinct(m: &mut MinuteProfile, distinct: impl IntoIterator<Item = DistinctCount>) {
    let slots = profiles_of(m).flat_map(|p| p.features.iter_mut());
    for (f, d) in slots.zip(distinct) {
        f.distinct = d;
    }
}

/// Size of the heap block glibc's malloc gives a request of `n` bytes (8 bytes of header,
/// 16-byte granules, 32 bytes at least); nothing for no request.
fn chunk(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        (n + 8).next_multiple_of(16).max(32)
    }
}

/// Entries of a B-tree node (std's `B = 6`: at most 11 keys a node).
const BTREE_NODE_KEYS: usize = 11;

/// Heap bytes of a `BTreeMap` of `len` entries of `entry` bytes each, heap of the entries
/// aside: its nodes, each charged as a full leaf (keys, values and a header of 16 bytes).
fn btree_bytes(len: usize, entry: usize) -> usize {
    len.div_ceil(BTREE_NODE_KEYS) * chunk(BTREE_NODE_KEYS * entry + 16)
}

/// Heap bytes of std's `HashMap` (hashbrown) of `len` entries of `entry` bytes each, inserted
/// one at a time or decoded: the smallest power-of-two table holding them at its load factor
/// of 7/8 (3 and 7 entries in tables of 4 and 8), one control byte per slot and 16 more.
fn hash_map_bytes(len: usize, entry: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let slots = match len {
        1..=3 => 4,
        4..=7 => 8,
        _ => (len * 8).div_ceil(7).next_power_of_two(),
    };
    chunk(slots * entry + slots + 16)
}

/// Heap bytes of a distinct-count sketch (DataSketches HLL8, 2¹² registers), from what the
/// feature's categorical counts say of it: the sketch only ever gets the values the counts did
/// not hold yet ([`FeatureProfile::observe_number`]), so its coupons are the counts' distinct values until the counts overflow or are dropped.
/// A list of 8 coupons (4 bytes each) up to 7 values, a hash set of 32 to 512 coupons kept
/// at most 3/4 full up to 384, then the 4 KB register array.
fn distinct_bytes(f: &FeatureProfile) -> usize {
    const ARRAY: usize = 1 << 12;
    if f.categorical_dropped > 0 || f.categorical.overflow() > 0 {
        return chunk(ARRAY);
    }
    match f.categorical.distinct() {
        0..=7 => chunk(8 * 4),
        n @ 8..=384 => chunk(4 * (n * 4).div_ceil(3).next_power_of_two().max(32)),
        _ => chunk(ARRAY),
    }
}

/// Heap bytes of one feature's profile: its name, the KLL sketch's buffers by their capacity
/// ([`drift_math::kll::KllSketch::heap_bytes`]), the categorical counts' table and keys (each
/// charged as malloc's smallest block), and the distinct-count sketch.
fn feature_heap_bytes(f: &FeatureProfile) -> usize {
    let kll = f.kll.heap_bytes();
    // each key charged as a value of up to 24 bytes (malloc's smallest block): reading every
    // key's length would make the size cost as much as the table has values
    let values = f.categorical.distinct();
    let categorical =
        hash_map_bytes(values, std::mem::size_of::<(String, u64)>()) + values * chunk(1);
    chunk(f.name.capacity()) + kll + categorical + distinct_bytes(f)
}

/// Heap bytes of a dataset profile: its feature list and every feature's heap, and its column
/// counts.
fn profile_heap_bytes(p: &DatasetProfile) -> usize {
    chunk(p.features.capacity() * std::mem::size_of::<FeatureProfile>())
        + p.features.iter().map(feature_heap_bytes).sum::<usize>()
        + btree_bytes(p.column_counts.len(), 16)
}

/// Heap bytes a minute profile holds (its own struct aside): its profile's and its slices'
/// ([`DatasetProfile`]s, with the keys and nodes of the slice map) and its bad-record counts.
///
/// Capacity-based, so it follows what ingest really holds: a KLL level keeps the room of its
/// largest fill after a compaction empties it, and a new minute's level 0 gets the previous
/// minute's room up front ([`drift_math::kll::KllSketch::reserve`]). Each allocation is charged
/// as the block glibc's malloc gives it. Checked against a counting allocator (integration
/// test `minute_heap`, the bytes and blocks freed when a minute profile is dropped): the
/// estimate lies between the bytes requested plus 8 and plus 31 bytes a block (malloc's
/// header and rounding), e.g. 166,584 B for 154,913 B requested in 433 blocks (a minute of
/// 5,000 records: +7.5 %, of which malloc's part is at least +2.2 %) and 5,328 B for 4,727 B
/// in 38 blocks (50 records). The categorical table's capacity is derived from its length
/// (the table is only ever grown by insertion or decoded whole), the distinct-count sketch's
/// from the categorical counts (`distinct_bytes`).
pub fn minute_heap_bytes(m: &MinuteProfile) -> usize {
    let bad = btree_bytes(
        m.bad_records.by_kind.len(),
        std::mem::size_of::<(String, crate::formats::capture::BadKind)>(),
    ) + m
        .bad_records
        .by_kind
        .iter()
        .map(|(k, v)| chunk(k.capacity()) + chunk(v.first_lines.capacity() * 8))
        .sum::<usize>();
    let slices = btree_bytes(
        m.segments.len(),
        std::mem::size_of::<(String, DatasetProfile)>(),
    ) + m
        .segments
        .iter()
        .map(|(k, p)| chunk(k.capacity()) + profile_heap_bytes(p))
        .sum::<usize>();
    profile_heap_bytes(&m.profile) + bad + slices
}

/// Minute profiles written out as their JSON, one temporary file per minute (removed with the
/// spill).
#[derive(Debug, Default)]
pub struct MinuteSpill {
    dir: Option<tempfile::TempDir>,
    spilled: BTreeMap<DateTime<Utc>, Spilled>,
    /// heap bytes the spilled minutes keep in memory (their distinct-count sketches)
    kept_bytes: usize,
}

fn spill_io(path: &std::path::Path, e: std::io::Error) -> CoreError {
    CoreError::Io {
        key: path.display().to_string(),
        source: e,
    }
}

impl MinuteSpill {
    /// An empty spill (its directory is created by the first [`MinuteSpill::put`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `minute` is spilled.
    pub fn contains(&self, minute: DateTime<Utc>) -> bool {
        self.spilled.contains_key(&minute)
    }

    /// Spilled minutes.
    pub fn len(&self) -> usize {
        self.spilled.len()
    }

    /// Heap bytes the spilled minutes still hold in memory: their distinct-count sketches
    /// (module docs), as [`minute_heap_bytes`] counts them.
    pub fn kept_bytes(&self) -> usize {
        self.kept_bytes
    }

    /// Whether no minute is spilled.
    pub fn is_empty(&self) -> bool {
        self.spilled.is_empty()
    }

    /// Writes `m` out (replacing an earlier copy of its minute), but for its distinct-count
    /// sketches, which are kept in memory (module docs).
    ///
    /// # Errors
    /// [`CoreError::Io`] when the temporary directory or file cannot be written;
    /// [`CoreError::State`] when `m` does not serialise. `m` is returned whole with the error
    /// (boxed: a minute profile is large).
    pub fn put(&mut self, mut m: MinuteProfile) -> Result<(), Box<(MinuteProfile, CoreError)>> {
        let distinct_bytes = profiles_of(&mut m)
            .flat_map(|p| p.features.iter())
            .map(distinct_bytes)
            .sum();
        let distinct = take_distinct(&mut m);
        if let Err(e) = self.write(&m, distinct, distinct_bytes) {
            let distinct = e.1;
            restore_distinct(&mut m, distinct);
            return Err(Box::new((m, e.0)));
        }
        Ok(())
    }

    /// [`MinuteSpill::put`] of `m` without its sketches `distinct` (returned with an error).
    fn write(
        &mut self,
        m: &MinuteProfile,
        distinct: Vec<DistinctCount>,
        distinct_bytes: usize,
    ) -> Result<(), (CoreError, Vec<DistinctCount>)> {
        match self.write_file(m) {
            Ok(path) => {
                self.kept_bytes += distinct_bytes;
                let old = self.spilled.insert(
                    m.minute,
                    Spilled {
                        path,
                        records: m.profile.item_count,
                        bad_records: m.bad_records.total(),
                        shadow_skipped: m.shadow_skipped,
                        distinct,
                        distinct_bytes,
                    },
                );
                if let Some(old) = old {
                    self.kept_bytes -= old.distinct_bytes;
                }
                Ok(())
            }
            Err(e) => Err((e, distinct)),
        }
    }

    /// Writes `m`'s JSON into its minute's file.
    fn write_file(&mut self, m: &MinuteProfile) -> Result<PathBuf, CoreError> {
        if self.dir.is_none() {
            let dir = tempfile::tempdir()
                .map_err(|e| spill_io(std::path::Path::new("temporary directory"), e))?;
            self.dir = Some(dir);
        }
        let dir = self.dir.as_ref().map(tempfile::TempDir::path);
        let path = dir
            .unwrap_or_else(|| std::path::Path::new("."))
            .join(format!("{}.json", m.minute.timestamp()));
        let file = std::fs::File::create(&path).map_err(|e| spill_io(&path, e))?;
        let mut w = BufWriter::with_capacity(64 << 10, file);
        serde_json::to_writer(&mut w, m).map_err(|e| CoreError::State {
            key: path.display().to_string(),
            message: e.to_string(),
        })?;
        w.flush().map_err(|e| spill_io(&path, e))?;
        Ok(path)
    }

    /// Reads `minute` back, leaving it spilled.
    ///
    /// # Errors
    /// [`CoreError::NotFound`] for a minute never spilled; the file's read and decode errors.
    pub fn load(&self, minute: DateTime<Utc>) -> Result<MinuteProfile, CoreError> {
        let s = self
            .spilled
            .get(&minute)
            .ok_or_else(|| CoreError::NotFound {
                key: format!("spilled minute {minute}"),
            })?;
        let mut m = Self::read(s)?;
        restore_distinct(&mut m, s.distinct.iter().cloned());
        Ok(m)
    }

    /// The minute's file decoded (without its distinct-count sketches).
    fn read(s: &Spilled) -> Result<MinuteProfile, CoreError> {
        let bytes = std::fs::read(&s.path).map_err(|e| spill_io(&s.path, e))?;
        serde_json::from_slice(&bytes).map_err(|e| CoreError::State {
            key: s.path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// Reads `minute` back and forgets it (its next [`MinuteSpill::put`] replaces the file);
    /// `None` when it is not spilled.
    ///
    /// # Errors
    /// As [`MinuteSpill::load`].
    pub fn take(&mut self, minute: DateTime<Utc>) -> Result<Option<MinuteProfile>, CoreError> {
        let Some(s) = self.spilled.get(&minute) else {
            return Ok(None);
        };
        let mut m = Self::read(s)?;
        if let Some(s) = self.spilled.remove(&minute) {
            self.kept_bytes -= s.distinct_bytes;
            restore_distinct(&mut m, s.distinct);
        }
        Ok(Some(m))
    }

    /// `(records, bad records, shadow records)` of the spilled minutes, summed.
    pub fn counts(&self) -> (u64, u64, u64) {
        self.spilled.values().fold((0, 0, 0), |(r, b, s), m| {
            (r + m.records, b + m.bad_records, s + m.shadow_skipped)
        })
    }

    /// The spilled minutes, ascending.
    pub fn minutes(&self) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        self.spilled.keys().copied()
    }
}

/// A partial profile whose minutes are partly in memory (`resident`, ascending) and partly
/// spilled: serialises exactly as [`PartialProfile`] with every minute in memory, reading
/// each spilled minute back only while it is written.
///
/// [`PartialProfile`]: crate::data_quality::consume::PartialProfile
#[derive(Serialize)]
pub struct PartialProfileOut<'a> {
    /// as [`crate::data_quality::consume::PartialProfile::format`]
    pub format: &'a str,
    /// layout version
    pub version: u32,
    /// monitor name
    pub monitor: &'a str,
    /// the capture object
    pub source: &'a str,
    /// lines read
    pub lines: u64,
    /// per minute, ascending
    pub minutes: MinutesOut<'a>,
}

/// The minutes of a [`PartialProfileOut`]: resident and spilled, merged in time order.
pub struct MinutesOut<'a> {
    resident: &'a [MinuteProfile],
    spill: &'a MinuteSpill,
    /// the first error reading a spilled minute back (serde's error carries only text)
    error: RefCell<Option<CoreError>>,
}

impl<'a> MinutesOut<'a> {
    /// The minutes of `resident` (ascending, none of them spilled) and of `spill`.
    pub fn new(resident: &'a [MinuteProfile], spill: &'a MinuteSpill) -> Self {
        Self {
            resident,
            spill,
            error: RefCell::new(None),
        }
    }

    /// The error that stopped a serialisation, if reading a spilled minute back did.
    pub fn take_error(&self) -> Option<CoreError> {
        self.error.borrow_mut().take()
    }
}

impl Serialize for MinutesOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.resident.len() + self.spill.len()))?;
        let mut resident = self.resident.iter().peekable();
        let mut spilled = self.spill.minutes().peekable();
        loop {
            let take_resident = match (resident.peek(), spilled.peek()) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(r), Some(m)) => r.minute < *m,
            };
            if take_resident {
                if let Some(r) = resident.next() {
                    seq.serialize_element(r)?;
                }
            } else if let Some(minute) = spilled.next() {
                let m = match self.spill.load(minute) {
                    Ok(m) => m,
                    Err(e) => {
                        let message = e.to_string();
                        self.error.borrow_mut().get_or_insert(e);
                        return Err(S::Error::custom(message));
                    }
                };
                seq.serialize_element(&m)?;
            }
        }
        seq.end()
    }
}

#[cfg(test)]
#[path = "minute_spill_tests.rs"]
mod tests;
