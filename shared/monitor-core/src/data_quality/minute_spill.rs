//! Ingest of an object whose records span many minutes, in flat memory (issue 16 item 3).
//!
//! Ingest keeps one profile per minute of the object ([`crate::data_quality::consume`]). A
//! busy endpoint's hour-long object holds up to 180 of them, each with a KLL sketch of up to
//! ~5,700 values per feature (about 1 MB at 20 features), and the partial profile was held
//! whole until it was written: 93 MB of RSS for one object of a million records. With
//! [`Profiler::spill_minutes`](crate::data_quality::consume::Profiler::spill_minutes) the
//! profiler keeps at most [`RESIDENT_MINUTES`] minutes in memory; the least recently used one
//! is written to a temporary file as its JSON ([`MinuteSpill`]) and read back if a later
//! record belongs to it. The state file is then written minute by minute, each spilled
//! minute read back in turn ([`PartialProfileOut`]), with the same serialisation as
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
use crate::data_quality::profile::DatasetProfile;
use crate::CoreError;

/// Minute profiles ingest keeps in memory per monitor and object. Records of one object
/// mostly arrive in time order, so a few suffice to keep reloads rare; 4 bound a 20-feature
/// monitor's minutes at ~4 MB however many minutes the object spans.
pub const RESIDENT_MINUTES: usize = 4;

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

/// Minute profiles written out as their JSON, one temporary file per minute (removed with the
/// spill).
#[derive(Debug, Default)]
pub struct MinuteSpill {
    dir: Option<tempfile::TempDir>,
    spilled: BTreeMap<DateTime<Utc>, Spilled>,
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
        let distinct = take_distinct(&mut m);
        if let Err(e) = self.write(&m, distinct) {
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
    ) -> Result<(), (CoreError, Vec<DistinctCount>)> {
        match self.write_file(m) {
            Ok(path) => {
                self.spilled.insert(
                    m.minute,
                    Spilled {
                        path,
                        records: m.profile.item_count,
                        bad_records: m.bad_records.total(),
                        shadow_skipped: m.shadow_skipped,
                        distinct,
                    },
                );
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
