//! KLL quantile sketch, bit-compatible with Deequ's `QuantileNonSample` / `NonSampleCompactor`.
//!
//! SageMaker Model Monitor's data-quality analyzer (Spark 3.3 + Deequ 2.0.2) writes, for every
//! numerical feature, `numerical_statistics.distribution.kll` into `statistics.json`: ten
//! buckets and the raw sketch (`sketch.parameters.{c,k}`, `sketch.data` = one buffer per
//! compactor level). This module reproduces Deequ's deterministic algorithm step for step, so
//! feeding the same values in the same order yields the same `data` bit for bit (verified
//! against a real baseline in `tests/kll_deequ_compat.rs`).
//!
//! # Algorithm (Deequ `analyzers/QuantileNonSample.scala`, `analyzers/NonSampleCompactor.scala`)
//!
//! * Level `h` holds items of weight `2^h`. Its capacity is
//!   `capacity(h) = 2 * (ceil(k * c^h / 2) + 1)`, computed in `f64` as
//!   `ceil((k as f64 * c.powf(h)) / 2.0)`. Note that Deequ indexes the capacity by the height
//!   counted **from the bottom** (level 0 is the largest: 2050 for `k = 2048`), not by the
//!   distance from the top level as in the KLL paper (`c^(H-h-1)`).
//! * `update(x)`: append `x` to level 0; if the total number of stored items exceeds the sum of
//!   the capacities of the existing levels, `condense()` once.
//! * `condense()`: find the lowest level whose buffer length is `>= capacity(h)`; create level
//!   `h + 1` if needed; compact level `h` and append its output to level `h + 1`.
//! * Compaction of a buffer of `n` items: if the level's compaction counter is odd, flip
//!   `offset = 1 - offset` (so the offsets used are 0, 1, 1, 0, 0, 1, 1, 0, ...; Deequ's random
//!   offset is commented out); sort the first `n - n % 2` items; emit every second item starting
//!   at `offset`; the level keeps only its last inserted item if `n` was odd; increment the
//!   counter.
//! * `merge(other)`: grow `self` to at least as many levels as `other`, append each of
//!   `other`'s level buffers after `self`'s, then `condense()` while the item count is
//!   `>=` the total capacity.
//!
//! # Ordering and NaN
//!
//! Deequ (Scala 2.12) sorts with `java.lang.Double.compare`, a total order in which
//! `-0.0 < 0.0`; this module sorts with [`f64::total_cmp`], which agrees on every non-NaN value.
//! Rank queries use IEEE comparisons (`<`, `>`), as Scala 2.12's `Ordering.Double.lt/gt` do.
//!
//! **NaN values are ignored by [`KllSketch::update`]** (they are not counted either). Deequ
//! would store them, but the analyzer only sketches parsed numbers, and a NaN has no rank.
//!
//! # Accuracy
//!
//! Deequ's variant is deterministic, so the guarantee is a worst-case one. Compacting level `h`
//! moves any rank by at most one item of weight `2^h` (of the `r` sorted items `<= x`, every
//! second one is kept: `ceil(r/2)` or `floor(r/2)` of them, now weighing double). Each compaction
//! of level `h` consumes at least `capacity(h)` items of weight `2^h`, and the weight that ever
//! reaches a level is at most `n`, so for a sketch of `n` values with `H` levels, built by any
//! mix of updates and merges,
//!
//! `|rank(x) − true_rank(x)| <= Σ_{h=0}^{H−2} floor(n / (2^h · capacity(h))) · 2^h`.
//!
//! For `k = 2048`, `c = 0.64` that is 0 up to 2050 values, at most 0.23 % of `n` for a single
//! stream of up to 12 000 values (the property tests assert < 2 % for merged sketches of that
//! size), and 4.6 % of `n` for a stream of 10^6 values (10 levels); the observed error is far
//! smaller (0.14 % of `n` in that unit test).
use crate::DriftError;

/// Deequ `KLLSketch.DEFAULT_SKETCH_SIZE`: the sketch size `k` (`parameters.k` in `statistics.json`).
pub const DEFAULT_SKETCH_SIZE: usize = 2048;
/// Deequ `KLLSketch.DEFAULT_SHRINKING_FACTOR`: the shrinking factor `c` (`parameters.c`).
pub const DEFAULT_SHRINKING_FACTOR: f64 = 0.64;
/// Number of buckets SageMaker Model Monitor materialises per numerical feature
/// (`distribution.kll.buckets`; Developer Guide: "materialize the distribution in 10 buckets").
pub const DEFAULT_NUMBER_OF_BUCKETS: usize = 10;

/// Largest accepted sketch size `k` (keeps every capacity and their sum far from overflow).
const MAX_SKETCH_SIZE: usize = 1 << 24;
/// Largest accepted number of levels: an item on level `h` weighs `2^h`, which must fit in `u64`.
const MAX_LEVELS: usize = 63;

/// Deequ's `c_alpha = 1.8` of `Distance.numericalDistance` (α ≈ 0.003; Knuth, TAOCP vol. 2,
/// §3.3.1 eq. 15).
const ROBUST_C_ALPHA: f64 = 1.8;

/// One compactor level: Deequ's `NonSampleCompactor` (`buffer`, `numOfCompress`, `offset`).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Compactor {
    /// Items in insertion order (weight `2^level` each). Serialised as base64 of the
    /// little-endian IEEE bytes: exact, compact, fast to decode, and it holds ±inf.
    #[cfg_attr(feature = "serde", serde(with = "crate::codec::f64_vec"))]
    buf: Vec<f64>,
    /// Number of compactions this level has performed (`numOfCompress`).
    num_compress: u64,
    /// Offset (0 or 1) used by the last compaction (`offset`).
    offset: u8,
}

impl Compactor {
    fn new() -> Self {
        Compactor {
            buf: Vec::new(),
            num_compress: 0,
            offset: 0,
        }
    }

    /// Deequ `NonSampleCompactor.compact`, appending the output to `out` instead of returning it.
    ///
    /// `runs` says that the buffer is a concatenation of sorted runs (every level above 0: it
    /// only ever receives compaction outputs, which are sorted, and merged-in buffers of such
    /// levels), so its usual one or two runs are merged instead of re-sorted
    /// ([`keep_alternate_of_runs`], issue 16). The items are totally ordered by
    /// [`f64::total_cmp`] and no two distinct bit patterns compare equal (NaN is never
    /// stored), so any correct sort yields the same sequence: the output, and hence
    /// `sketch.data`, is bit-identical to Deequ's.
    fn compact_into(&mut self, out: &mut Vec<f64>, runs: bool) {
        let n = self.buf.len();
        let len = n - n % 2;
        if self.num_compress % 2 == 1 {
            self.offset = 1 - self.offset;
        }
        // Only the first `len` items are sorted; the odd tail (the last inserted item) is
        // outside that range and survives, exactly as Deequ keeps `buffer(items - 1)`.
        let head = &mut self.buf[..len];
        let offset = usize::from(self.offset);
        if runs {
            keep_alternate_of_runs(head, offset, out);
        } else {
            // Level 0 holds values in arrival order: no runs to reuse. The head is cleared
            // below, so only the items kept are turned back into floats.
            let sorted = SortedKeys::of(head);
            out.extend(
                sorted
                    .keys
                    .iter()
                    .skip(offset)
                    .step_by(2)
                    .map(|&k| sorted.value(k)),
            );
        }
        if n % 2 == 1 {
            self.buf[0] = self.buf[n - 1];
            self.buf.truncate(1);
        } else {
            self.buf.clear();
        }
        self.num_compress += 1;
    }
}

/// Appends every other item of `head` in sorted order, from `offset` (0 or 1), to `out`, where
/// `head` is a level above 0: a concatenation of sorted runs (see [`Compactor::compact_into`]).
///
/// The usual buffer is one run, or two (a level holds the outputs of two compactions of the
/// level below when it fills). Two are merged in one pass that writes only the items kept,
/// without a branch on the data (merged item `k` goes to slot `(k + 1 - offset) / 2`, which the
/// next item overwrites exactly when `k` is not kept), instead of std's stable sort (a scan
/// for the runs, a merge into scratch memory and a copy back; 5.4 % of the one-shot job's CPU
/// at 1M records, issue 16 item 2). Any other buffer is sorted. No NaN is stored and equal
/// keys are equal bit patterns, so the items kept are the bits `sort_by(f64::total_cmp)` and
/// every other item give.
fn keep_alternate_of_runs(head: &mut [f64], offset: usize, out: &mut Vec<f64>) {
    let descent = |s: &[f64]| {
        s.windows(2)
            .position(|w| order_key(w[1]) < order_key(w[0]))
            .map(|i| i + 1)
    };
    let Some(split) = descent(head) else {
        out.extend(head.iter().skip(offset).step_by(2));
        return;
    };
    let (a, b) = head.split_at(split);
    if descent(b).is_some() {
        head.sort_by(f64::total_cmp);
        out.extend(head.iter().skip(offset).step_by(2));
        return;
    }
    let start = out.len();
    out.resize(start + head.len() / 2 + 1, 0.0);
    let slots = &mut out[start..];
    let (mut i, mut j, mut k) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i].to_bits(), b[j].to_bits());
        let from_b = order_key_of_bits(y) < order_key_of_bits(x);
        // selected as integers: a conditional move, where a select of floats became a branch
        slots[(k + 1 - offset) >> 1] = f64::from_bits(if from_b { y } else { x });
        k += 1;
        i += usize::from(!from_b);
        j += usize::from(from_b);
    }
    out.truncate(start + (k + 1 - offset) / 2);
    let rest = if i < a.len() { &a[i..] } else { &b[j..] };
    out.extend(rest.iter().skip((k + offset) & 1).step_by(2));
}

/// `total_cmp`'s order as an unsigned integer: the sign bit flipped for positives, every bit
/// flipped for negatives (so -0.0 sorts just before 0.0, and -inf first).
#[inline]
fn order_key(x: f64) -> u64 {
    order_key_of_bits(x.to_bits())
}

/// [`order_key`] of a float's bits.
#[inline]
fn order_key_of_bits(bits: u64) -> u64 {
    // all ones for a negative float, only the sign bit otherwise
    #[allow(clippy::cast_sign_loss)]
    let flip = ((bits as i64 >> 63) as u64) | (1 << 63);
    bits ^ flip
}

/// The float of an [`order_key`].
#[inline]
fn from_order_key(key: u64) -> f64 {
    // a set top bit marks a positive float: only its sign bit was flipped
    let flip = if key >> 63 == 1 { 1 << 63 } else { u64::MAX };
    f64::from_bits(key ^ flip)
}

/// Non-NaN floats as sorted integer keys: level 0's sort on every compaction, the hot loop of
/// a window's merge (issue 16 item 4). [`SortedKeys::value`] gives each key's float back.
///
/// The floats become their [`order_key`]s, shifted left past the bits every key of the buffer
/// shares (those above the highest bit where the smallest and largest key differ: dropping
/// them keeps the order). An LSD radix sort on the top 32 bits of those keys — the first 32
/// bits in which they differ — takes half the passes of one on whole 64-bit keys
/// (`radsort::sort`, which was about 85 % of the KLL merge), and its key is one shift. Keys
/// whose top 32 bits tie are then put in order by their whole value; in a window's level 0
/// (2,000–3,000 values of a continuous feature) such ties are equal values or a few
/// neighbours. Keys are unique per bit pattern, so any correct sort gives the same bits
/// (property tests `level0_radix_sort_is_the_total_cmp_sort`,
/// `level0_sort_of_clustered_values_is_the_total_cmp_sort`). Data whose values mostly agree
/// in their first 32 varying bits (a tight cluster plus a far outlier) falls back to a
/// comparison sort of the tied runs: never slower than that sort.
struct SortedKeys {
    /// the shifted keys, ascending
    keys: Vec<u64>,
    /// how far the keys were shifted left
    shift: u32,
    /// the bits every key shares, in place (zero below them)
    shared: u64,
}

impl SortedKeys {
    #[allow(clippy::cast_possible_truncation)]
    fn of(head: &[f64]) -> Self {
        let mut keys: Vec<u64> = Vec::with_capacity(head.len());
        let (mut lo, mut hi) = (u64::MAX, 0u64);
        for &x in head {
            let k = order_key(x);
            lo = lo.min(k);
            hi = hi.max(k);
            keys.push(k);
        }
        if lo >= hi {
            // empty, or every item has the same bits: already in order
            return SortedKeys {
                keys,
                shift: 0,
                shared: 0,
            };
        }
        let shift = (lo ^ hi).leading_zeros();
        keys.iter_mut().for_each(|k| *k <<= shift);
        radsort::sort_by_key(&mut keys, |k| (k >> 32) as u32);
        let mut start = 0;
        while start < keys.len() {
            let top = keys[start] >> 32;
            let end = start
                + 1
                + keys[start + 1..]
                    .iter()
                    .take_while(|k| *k >> 32 == top)
                    .count();
            if end - start > 1 {
                keys[start..end].sort_unstable();
            }
            start = end;
        }
        SortedKeys {
            keys,
            shift,
            // none when shift is 0
            shared: lo & !(u64::MAX >> shift),
        }
    }

    /// The float of a key of `keys`.
    #[inline]
    fn value(&self, key: u64) -> f64 {
        from_order_key((key >> self.shift) | self.shared)
    }
}

/// Sorts `head` as level 0's compaction does ([`SortedKeys`]).
#[cfg(test)]
fn sort_arrival_order(head: &mut [f64]) {
    let sorted = SortedKeys::of(head);
    for (x, &k) in head.iter_mut().zip(&sorted.keys) {
        *x = sorted.value(k);
    }
}

/// Deequ's `QuantileNonSample[Double]`: a deterministic KLL-style quantile sketch.
///
/// Item `x` stored on level `h` stands for `2^h` input values. [`KllSketch::levels`] is the
/// `sketch.data` array of `statistics.json`, and [`KllSketch::buckets`] its `buckets` array.
///
/// With the `serde` feature the serialised form is
/// `{"k": .., "c": .., "levels": [{"buf": [..], "num_compress": .., "offset": ..}, ..]}`; it
/// keeps the per-level compaction counters and offsets, so a reloaded sketch continues exactly
/// as if it had never been saved (unlike `statistics.json`, see [`KllSketch::from_levels`]).
/// Each `buf` is written as base64 of its little-endian IEEE-754 bytes (a plain JSON array of
/// numbers is accepted on read), so the form is exact and holds `±inf`.
///
/// # Example
/// ```
/// use drift_math::kll::KllSketch;
/// let mut s = KllSketch::new();
/// for x in [3.0, 1.0, 2.0, 2.0] {
///     s.update(x);
/// }
/// assert_eq!(s.total_weight(), 4);
/// assert_eq!(s.rank(2.0), 3); // items <= 2.0
/// assert_eq!(s.rank_exclusive(2.0), 1); // items < 2.0
/// assert_eq!(s.quantile(0.5), Some(2.0));
/// assert_eq!(s.levels(), vec![vec![3.0, 1.0, 2.0, 2.0]]);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "KllSketchRepr"))]
pub struct KllSketch {
    /// Sketch size `k` (Deequ `sketchSize`).
    k: usize,
    /// Shrinking factor `c` (Deequ `shrinkingFactor`).
    c: f64,
    /// Compactor levels, level 0 first (Deequ `compactors`).
    levels: Vec<Compactor>,
    /// `capacity(h)` for every existing level (derived, cached).
    #[cfg_attr(feature = "serde", serde(skip))]
    caps: Vec<usize>,
    /// Number of stored items (Deequ `compactorActualSize`; derived, cached).
    #[cfg_attr(feature = "serde", serde(skip))]
    size: usize,
    /// Sum of `caps` (Deequ `compactorTotalSize`; derived, cached).
    #[cfg_attr(feature = "serde", serde(skip))]
    total_cap: usize,
}

/// The serialised fields of [`KllSketch`]; validated and completed by `TryFrom`.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct KllSketchRepr {
    k: usize,
    c: f64,
    levels: Vec<Compactor>,
}

#[cfg(feature = "serde")]
impl TryFrom<KllSketchRepr> for KllSketch {
    type Error = DriftError;

    fn try_from(r: KllSketchRepr) -> Result<Self, Self::Error> {
        for (h, lv) in r.levels.iter().enumerate() {
            if lv.offset > 1 {
                return Err(DriftError::InvalidState(format!(
                    "level {h}: offset {} is not 0 or 1",
                    lv.offset
                )));
            }
        }
        KllSketch::from_compactors(r.k, r.c, r.levels)
    }
}

/// One bucket of `distribution.kll.buckets` (Deequ `BucketValue`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KllBucket {
    /// `lower_bound = min + (max - min) * i / n`.
    pub lower_bound: f64,
    /// `upper_bound = min + (max - min) * (i + 1) / n`.
    pub upper_bound: f64,
    /// Estimated number of values in `[lower_bound, upper_bound)` (`[.., ..]` for the last bucket).
    pub count: f64,
}

/// `capacity(h) = 2 * (ceil(k * c^h / 2) + 1)` with Deequ's float evaluation order
/// (`sketchSize * Math.pow(shrinkingFactor, height) / 2`, then `.toInt`).
fn capacity(k: usize, c: f64, h: usize) -> usize {
    // Deequ's `Math.ceil(..).toInt` saturates; with k <= 2^24 and c <= 1 the value is at most
    // 2^23, so the conversion is exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let half = (k as f64 * c.powf(h as f64) / 2.0).ceil() as usize;
    2 * (half + 1)
}

fn validate_params(k: usize, c: f64) -> Result<(), DriftError> {
    if !(2..=MAX_SKETCH_SIZE).contains(&k) {
        return Err(DriftError::InvalidParameter {
            name: "k",
            value: k as f64,
        });
    }
    if !(c > 0.0 && c <= 1.0) {
        return Err(DriftError::InvalidParameter {
            name: "c",
            value: c,
        });
    }
    Ok(())
}

impl Default for KllSketch {
    /// Same as [`KllSketch::new`]: `k = 2048`, `c = 0.64`.
    fn default() -> Self {
        Self::new()
    }
}

impl KllSketch {
    /// An empty sketch with Deequ's defaults `k = 2048`, `c = 0.64` (one empty level).
    pub fn new() -> Self {
        let caps = vec![capacity(DEFAULT_SKETCH_SIZE, DEFAULT_SHRINKING_FACTOR, 0)];
        let total_cap = caps[0];
        KllSketch {
            k: DEFAULT_SKETCH_SIZE,
            c: DEFAULT_SHRINKING_FACTOR,
            levels: vec![Compactor::new()],
            caps,
            size: 0,
            total_cap,
        }
    }

    /// An empty sketch with sketch size `k` and shrinking factor `c`.
    ///
    /// # Errors
    /// [`DriftError::InvalidParameter`] unless `2 <= k <= 2^24` and `0 < c <= 1`. (Deequ does not
    /// check; these limits keep every capacity and their sum exactly representable.)
    pub fn with_params(k: usize, c: f64) -> Result<Self, DriftError> {
        validate_params(k, c)?;
        Self::from_compactors(k, c, vec![Compactor::new()])
    }

    /// Rebuild a sketch from the `sketch` object of `statistics.json`: `k` = `parameters.k`,
    /// `c` = `parameters.c`, `data` = `sketch.data` (level 0 first, buffer order).
    ///
    /// Like Deequ's `QuantileNonSample.reconstruct`, the per-level compaction counters and
    /// offsets, which the file does not store, restart at 0. Queries are therefore exact, but
    /// further updates may compact with other offsets than the original sketch would have.
    /// An empty `data` gives an empty sketch with one level.
    ///
    /// # Errors
    /// [`DriftError::InvalidParameter`] for `k`/`c` as in [`KllSketch::with_params`];
    /// [`DriftError::InvalidState`] if an item is NaN, if there are more than 63 levels, or if
    /// the total weight overflows `u64`.
    pub fn from_levels(k: usize, c: f64, data: Vec<Vec<f64>>) -> Result<Self, DriftError> {
        let mut levels: Vec<Compactor> = data
            .into_iter()
            .map(|buf| Compactor {
                buf,
                num_compress: 0,
                offset: 0,
            })
            .collect();
        if levels.is_empty() {
            levels.push(Compactor::new());
        }
        Self::from_compactors(k, c, levels)
    }

    /// Validate and complete (capacities, sizes) a sketch from its compactors.
    fn from_compactors(k: usize, c: f64, levels: Vec<Compactor>) -> Result<Self, DriftError> {
        validate_params(k, c)?;
        if levels.is_empty() {
            return Err(DriftError::InvalidState(
                "a sketch needs at least one level".into(),
            ));
        }
        if levels.len() > MAX_LEVELS {
            return Err(DriftError::InvalidState(format!(
                "{} levels (at most {MAX_LEVELS})",
                levels.len()
            )));
        }
        let mut weight: u64 = 0;
        for (h, lv) in levels.iter().enumerate() {
            if let Some(i) = lv.buf.iter().position(|x| x.is_nan()) {
                return Err(DriftError::InvalidState(format!(
                    "level {h}, item {i} is NaN"
                )));
            }
            weight = (lv.buf.len() as u64)
                .checked_mul(1u64 << h)
                .and_then(|w| weight.checked_add(w))
                .ok_or_else(|| {
                    DriftError::InvalidState(format!("total weight overflows u64 at level {h}"))
                })?;
        }
        let caps: Vec<usize> = (0..levels.len()).map(|h| capacity(k, c, h)).collect();
        let total_cap = caps.iter().sum();
        let size = levels.iter().map(|l| l.buf.len()).sum();
        Ok(KllSketch {
            k,
            c,
            levels,
            caps,
            size,
            total_cap,
        })
    }

    /// Sketch size `k` (written to `statistics.json` as `parameters.k`).
    pub fn sketch_size(&self) -> usize {
        self.k
    }

    /// Shrinking factor `c` (written to `statistics.json` as `parameters.c`).
    pub fn shrinking_factor(&self) -> f64 {
        self.c
    }

    /// `true` when no value has been added (total weight 0).
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// Number of compactor levels (Deequ `curNumOfCompactors`).
    pub fn num_levels(&self) -> usize {
        self.levels.len()
    }

    /// Add one value (Deequ `QuantileNonSample.update`). NaN is ignored.
    ///
    /// Amortised O(1) and allocation-free once level 0 has grown to its working size; at most one
    /// compaction (one sort of one level) per call.
    #[inline]
    pub fn update(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        self.levels[0].buf.push(x);
        self.size += 1;
        if self.size > self.total_cap {
            self.condense();
        }
    }

    /// Number of values waiting on level 0 (in arrival order, not yet compacted).
    #[must_use]
    pub fn level0_len(&self) -> usize {
        self.levels[0].buf.len()
    }

    /// Heap bytes the sketch holds: the *capacity* (not the length) of every level's buffer,
    /// of the level list and of the cached level capacities. What a caller bounding memory
    /// counts (ingest's minute spill, issue 16 item 3): a level keeps the room of its largest
    /// fill after a compaction empties it, and [`KllSketch::reserve`] makes room up front.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        let buffers: usize = self
            .levels
            .iter()
            .map(|l| l.buf.capacity() * std::mem::size_of::<f64>())
            .sum();
        buffers
            + self.levels.capacity() * std::mem::size_of::<Compactor>()
            + self.caps.capacity() * std::mem::size_of::<usize>()
    }

    /// Makes room for `n` more values on level 0 without changing the sketch: a profile that
    /// expects about as many values as a previous one skips the buffer's repeated growth
    /// (issue 16: every minute of ingest starts a new sketch). Never past level 0's
    /// capacity, where a compaction empties it.
    pub fn reserve(&mut self, n: usize) {
        let room = self.caps[0].saturating_sub(self.levels[0].buf.len()) + 1;
        self.levels[0].buf.reserve(n.min(room));
    }

    /// Append a new empty level (Deequ `expand`).
    fn expand(&mut self) {
        let h = self.levels.len();
        let cap = capacity(self.k, self.c, h);
        self.levels.push(Compactor::new());
        self.caps.push(cap);
        self.total_cap += cap;
    }

    /// Compact the lowest level that is at or over capacity (Deequ `condense`).
    /// Returns `false` if no level qualified (cannot happen when `size >= total_cap`).
    #[cold]
    fn condense(&mut self) -> bool {
        let Some(h) = (0..self.levels.len()).find(|&h| self.levels[h].buf.len() >= self.caps[h])
        else {
            return false;
        };
        if h + 1 >= self.levels.len() {
            self.expand();
        }
        let (lower, upper) = self.levels.split_at_mut(h + 1);
        let before = lower[h].buf.len();
        lower[h].compact_into(&mut upper[0].buf, h > 0);
        // The level loses `2 * m` items and the next one gains `m`.
        self.size -= (before - lower[h].buf.len()) / 2;
        true
    }

    /// Merge `other` into `self` (Deequ `QuantileNonSample.merge`): grow to `other`'s number of
    /// levels, append every level buffer of `other` after `self`'s, then condense while the
    /// stored item count is `>=` the total capacity.
    ///
    /// As in Deequ, `self`'s `k`, `c`, compaction counters and offsets are kept and `other`'s are
    /// ignored; levels created by the merge start with fresh counters. Merging is not
    /// commutative bit for bit, but the total weight is exact and ranks stay within the error
    /// bound documented in the tests.
    pub fn merge(&mut self, other: &KllSketch) {
        while self.levels.len() < other.levels.len() {
            self.expand();
        }
        for (mine, theirs) in self.levels.iter_mut().zip(&other.levels) {
            mine.buf.extend_from_slice(&theirs.buf);
        }
        self.size = self.levels.iter().map(|l| l.buf.len()).sum();
        while self.size >= self.total_cap {
            if !self.condense() {
                break;
            }
        }
    }

    /// Total weight `Σ_h len(level h) · 2^h`: the number of values added (NaN excluded).
    pub fn total_weight(&self) -> u64 {
        self.levels.iter().enumerate().fold(0u64, |acc, (h, l)| {
            acc.saturating_add((l.buf.len() as u64) << h)
        })
    }

    /// Deterministic worst-case rank error of this sketch, in items (module docs, "Accuracy"):
    /// `Σ_{h=0}^{H−2} floor(N / (2^h · capacity(h))) · 2^h` with `N` the total weight and `H`
    /// the number of levels. For every `x`, `|rank(x) − true_rank(x)| ≤` this bound, whatever
    /// sequence of updates and merges built the sketch; 0 while nothing has been compacted.
    ///
    /// It is a guarantee, not an estimate: the observed error is typically 10–30× smaller
    /// (issue 13 measured 0.04–0.10 % of `N`).
    ///
    /// ```
    /// use drift_math::kll::KllSketch;
    /// let mut s = KllSketch::new();
    /// (0..2050).for_each(|i| s.update(f64::from(i)));
    /// assert_eq!(s.rank_error_bound(), 0); // level 0 holds everything: exact
    /// ```
    pub fn rank_error_bound(&self) -> u64 {
        let n = self.total_weight();
        (0..self.levels.len().saturating_sub(1))
            .map(|h| (n / ((1u64 << h) * self.caps[h] as u64)) << h)
            .fold(0u64, u64::saturating_add)
    }

    /// [`KllSketch::rank_error_bound`] divided by the total weight: the largest possible error
    /// of [`KllSketch::cdf`] at any point (`ε` of the KLL literature). 0.0 for an empty sketch.
    pub fn normalized_rank_error(&self) -> f64 {
        let n = self.total_weight();
        if n == 0 {
            0.0
        } else {
            self.rank_error_bound() as f64 / n as f64
        }
    }

    /// The level buffers, level 0 first, each in buffer order: `sketch.data` of
    /// `statistics.json` (Deequ `getCompactorItems`).
    pub fn levels(&self) -> Vec<Vec<f64>> {
        self.levels.iter().map(|l| l.buf.clone()).collect()
    }

    /// Sum of the weights of the items satisfying `keep` (each level's weight is `2^h`).
    fn weight_where(&self, keep: impl Fn(f64) -> bool) -> u64 {
        self.levels.iter().enumerate().fold(0u64, |acc, (h, l)| {
            let cnt = l.buf.iter().filter(|&&y| keep(y)).count() as u64;
            acc.saturating_add(cnt << h)
        })
    }

    /// Inclusive rank: total weight of the items `y` with `!(y > x)`, i.e. `y <= x`
    /// (Deequ `getRank(item)`). Following Deequ literally, a NaN `x` counts every item.
    pub fn rank(&self, x: f64) -> u64 {
        // Stored items are never NaN, so `!(y > x)` is `y <= x`, or everything when x is NaN.
        self.weight_where(|y| y <= x || x.is_nan())
    }

    /// Exclusive rank: total weight of the items `y < x` (Deequ `getRankExclusive`).
    pub fn rank_exclusive(&self, x: f64) -> u64 {
        self.weight_where(|y| y < x)
    }

    /// Estimated CDF `F(x) = rank(x) / total_weight`; `0.0` for an empty sketch.
    pub fn cdf(&self, x: f64) -> f64 {
        let n = self.total_weight();
        if n == 0 {
            0.0
        } else {
            self.rank(x) as f64 / n as f64
        }
    }

    /// All items with their weights, sorted by value (`f64::total_cmp`).
    fn sorted_weighted(&self) -> Vec<(f64, u64)> {
        let mut v: Vec<(f64, u64)> = Vec::with_capacity(self.size);
        for (h, l) in self.levels.iter().enumerate() {
            v.extend(l.buf.iter().map(|&y| (y, 1u64 << h)));
        }
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        v
    }

    /// Inverse CDF: the smallest stored item `x` with `rank(x) >= max(1, ceil(q · N))`, where
    /// `N` is the total weight (NumPy `quantile(..., method="inverted_cdf")` on the data the
    /// sketch represents; exact while nothing has been compacted).
    ///
    /// Returns `None` when the sketch is empty or `q` is NaN or outside `[0, 1]`. (Deequ's own
    /// `quantiles(q: Int)` uses a different convention and is not used by Model Monitor.)
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.size == 0 || !(0.0..=1.0).contains(&q) {
            return None;
        }
        let n = self.total_weight();
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let target = ((q * n as f64).ceil() as u64).clamp(1, n);
        let mut cum = 0u64;
        let items = self.sorted_weighted();
        for &(y, w) in &items {
            cum += w;
            if cum >= target {
                return Some(y);
            }
        }
        items.last().map(|&(y, _)| y)
    }

    /// Deequ `getRankMap`: the distinct stored items in increasing order, each with the
    /// cumulative weight of all items `<=` it (so the last entry carries the total weight).
    ///
    /// Items equal under IEEE `==` (`-0.0` and `0.0`) share one entry keyed by the first of them
    /// in sort order, as they do in Deequ's Scala map. Empty for an empty sketch.
    pub fn rank_map(&self) -> Vec<(f64, u64)> {
        let mut out: Vec<(f64, u64)> = Vec::new();
        let mut cum = 0u64;
        for (y, w) in self.sorted_weighted() {
            cum = cum.saturating_add(w);
            match out.last_mut() {
                Some(last) if last.0 == y => last.1 = cum,
                _ => out.push((y, cum)),
            }
        }
        out
    }

    /// The `n` buckets of `distribution.kll.buckets` (Deequ `KLLSketch.computeMetricFrom`), for
    /// the global `min`/`max` of the values (tracked outside the sketch).
    ///
    /// For `i` in `0..n`: `lower_i = min + (max - min) * i / n` and
    /// `upper_i = min + (max - min) * (i + 1) / n`, evaluated in `f64` in exactly this order
    /// (multiply, then divide). `count_i = rank_exclusive(upper_i) - rank_exclusive(lower_i)`,
    /// except for the last bucket, `count = rank(upper) - rank_exclusive(lower)`, which includes
    /// `max`. Empty when `n == 0`.
    ///
    /// Note for callers tracking `min`/`max`: Deequ's `StatefulKLLSketch` starts them at
    /// `Int.MaxValue.toDouble` (2147483647.0) and `Int.MinValue.toDouble` (-2147483648.0), so a
    /// column whose values all lie above 2^31 − 1 (or all below −2^31) gets those sentinels as
    /// bounds in real `statistics.json` files.
    pub fn buckets(&self, min: f64, max: f64, n: usize) -> Vec<KllBucket> {
        let width = max - min;
        let nb = n as f64;
        (0..n)
            .map(|i| {
                let lower_bound = min + width * i as f64 / nb;
                let upper_bound = min + width * (i + 1) as f64 / nb;
                let upper_rank = if i + 1 == n {
                    self.rank(upper_bound)
                } else {
                    self.rank_exclusive(upper_bound)
                };
                // Deequ subtracts two Longs; a wrapped negative cannot occur for lower <= upper,
                // and saturating keeps odd inputs (min > max) panic-free.
                let count = upper_rank.saturating_sub(self.rank_exclusive(lower_bound)) as f64;
                KllBucket {
                    lower_bound,
                    upper_bound,
                    count,
                }
            })
            .collect()
    }
}

/// Two-sample L∞ distance between the CDFs of two sketches (Deequ `Distance.numericalDistance`
/// with `correctForLowNumberOfSamples = true`; Model Monitor `linf_simple`):
///
/// `max_x |rank_a(x) / n − rank_b(x) / m|` over every distinct item `x` of either sketch, with
/// `n`, `m` the total weights. For unweighted data (nothing compacted) this is the two-sample
/// Kolmogorov–Smirnov statistic (`scipy.stats.ks_2samp(a, b).statistic`).
///
/// Returns `None` if either sketch is empty (Deequ would throw).
pub fn linf_simple(a: &KllSketch, b: &KllSketch) -> Option<f64> {
    let mut best = 0.0f64;
    walk_cdfs(a, b, |_, d| best = best.max(d))?;
    Some(best)
}

/// Walks the union of both sketches' distinct items in increasing order and calls
/// `visit(x, |F_a(x) − F_b(x)|)` at each, where `F(x)` is the cumulative weight of the largest
/// item `<= x` over the total weight (Deequ `getRank(item, rankMap)`). Between two consecutive
/// items both CDFs are constant. `None` if either sketch is empty.
pub(crate) fn walk_cdfs(
    a: &KllSketch,
    b: &KllSketch,
    mut visit: impl FnMut(f64, f64),
) -> Option<()> {
    let ra = a.rank_map();
    let rb = b.rank_map();
    let n = ra.last()?.1 as f64;
    let m = rb.last()?.1 as f64;
    let (mut i, mut j) = (0usize, 0usize);
    let (mut ca, mut cb) = (0u64, 0u64);
    while i < ra.len() || j < rb.len() {
        let x = match (ra.get(i), rb.get(j)) {
            (Some(p), Some(q)) => p.0.min(q.0),
            (Some(p), None) => p.0,
            (None, Some(q)) => q.0,
            (None, None) => break,
        };
        while i < ra.len() && ra[i].0 <= x {
            ca = ra[i].1;
            i += 1;
        }
        while j < rb.len() && rb[j].0 <= x {
            cb = rb[j].1;
            j += 1;
        }
        visit(x, (ca as f64 / n - cb as f64 / m).abs());
    }
    Some(())
}

/// Deequ's robust L∞ distance (`correctForLowNumberOfSamples = false`; Model Monitor
/// `linf_robust`): `max(0, linf_simple − 1.8 · sqrt((n + m) / (n · m)))` with `n`, `m` the total
/// weights of the two sketches (Deequ 2.0.2 hard-codes `c_α = 1.8`).
///
/// Returns `None` if either sketch is empty.
pub fn linf_robust(a: &KllSketch, b: &KllSketch) -> Option<f64> {
    let simple = linf_simple(a, b)?;
    let n = a.total_weight() as f64;
    let m = b.total_weight() as f64;
    Some((simple - ROBUST_C_ALPHA * ((n + m) / (n * m)).sqrt()).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Deterministic rank-error bound of this compactor hierarchy (module docs, "Accuracy"),
    /// valid for any sequence of updates and merges that produced `s` from `n` values:
    ///
    /// * one compaction of level `h` changes any rank by at most one item of weight `2^h`
    ///   (keeping every second item of a sorted run of `2L` items keeps `ceil(r/2)` or
    ///   `floor(r/2)` of the `r` items `<= x`, and they now weigh double);
    /// * a compaction of level `h` consumes at least `capacity(h)` items of weight `2^h`, and the
    ///   weight that ever reaches level `h` (over all sketches of a merge tree) is at most `n`,
    ///   so level `h` compacts at most `floor(n / (2^h capacity(h)))` times;
    /// * only levels `0..H-1` (H = final number of levels) can have compacted.
    ///
    /// Hence `|rank_sketch(x) - rank_true(x)| <= Σ_{h < H-1} floor(n / (2^h cap(h))) · 2^h`.
    fn rank_error_bound(s: &KllSketch, n: u64) -> u64 {
        (0..s.num_levels().saturating_sub(1))
            .map(|h| (n / ((1u64 << h) * capacity(s.k, s.c, h) as u64)) << h)
            .sum()
    }

    fn sketch_of(k: usize, c: f64, xs: &[f64]) -> KllSketch {
        let mut s = KllSketch::with_params(k, c).unwrap();
        xs.iter().for_each(|&x| s.update(x));
        s
    }

    fn true_rank(sorted: &[f64], x: f64) -> u64 {
        sorted.partition_point(|&y| y <= x) as u64
    }

    #[test]
    fn capacities_match_deequ_formula() {
        // Reference: python -c "import math; print([2*(math.ceil(2048*0.64**h/2)+1) for h in range(17)])"
        let want = [
            2050, 1314, 842, 540, 346, 222, 144, 94, 60, 40, 26, 18, 12, 10, 6, 6, 4,
        ];
        let got: Vec<usize> = (0..want.len()).map(|h| capacity(2048, 0.64, h)).collect();
        assert_eq!(got, want);
        // python -c "import math; print([2*(math.ceil(64*0.5**h/2)+1) for h in range(8)])"
        let got: Vec<usize> = (0..8).map(|h| capacity(64, 0.5, h)).collect();
        assert_eq!(got, [66, 34, 18, 10, 6, 4, 4, 4]);
    }

    #[test]
    fn compaction_offsets_follow_deequ_sequence() {
        // Deequ NonSampleCompactor: flip the offset before compacting when numOfCompress is odd,
        // so successive compactions use offsets 0,1,1,0,0,1,1,0 (spec §3.4).
        let mut c = Compactor::new();
        let mut used = Vec::new();
        for _ in 0..8 {
            c.buf.extend([4.0, 3.0, 2.0, 1.0]);
            let mut out = Vec::new();
            c.compact_into(&mut out, false);
            assert!(c.buf.is_empty());
            // sorted [1,2,3,4]: offset 0 emits [1,3], offset 1 emits [2,4]
            used.push(match out.as_slice() {
                [1.0, 3.0] => 0,
                [2.0, 4.0] => 1,
                other => panic!("unexpected output {other:?}"),
            });
        }
        assert_eq!(used, [0, 1, 1, 0, 0, 1, 1, 0]);
        assert_eq!(c.num_compress, 8);
    }

    #[test]
    fn odd_buffer_keeps_last_inserted_item() {
        for runs in [false, true] {
            let mut c = Compactor::new();
            c.buf.extend([5.0, 1.0, 4.0, 2.0, 3.0]);
            let mut out = vec![9.0];
            c.compact_into(&mut out, runs);
            // first 4 sorted: [1,2,4,5] -> offset 0 -> [1,4], appended after existing content
            assert_eq!(out, [9.0, 1.0, 4.0]);
            assert_eq!(c.buf, [3.0]);
        }
    }

    /// The compaction as it was before issue 16, kept as the reference: every level's head
    /// is re-sorted with `sort_unstable_by(total_cmp)`, whatever runs it holds. Its own
    /// update / condense / merge, written from Deequ's `QuantileNonSample` as the module docs
    /// describe it, over plain buffers.
    #[derive(Debug)]
    struct ReferenceKll {
        k: usize,
        c: f64,
        /// (buffer, num_compress, offset) per level
        levels: Vec<(Vec<f64>, u64, u8)>,
    }

    impl ReferenceKll {
        fn new(k: usize, c: f64) -> Self {
            ReferenceKll {
                k,
                c,
                levels: vec![(Vec::new(), 0, 0)],
            }
        }
        fn total_cap(&self) -> usize {
            (0..self.levels.len())
                .map(|h| capacity(self.k, self.c, h))
                .sum()
        }
        fn size(&self) -> usize {
            self.levels.iter().map(|l| l.0.len()).sum()
        }
        fn condense(&mut self) {
            let Some(h) = (0..self.levels.len())
                .find(|&h| self.levels[h].0.len() >= capacity(self.k, self.c, h))
            else {
                return;
            };
            if h + 1 == self.levels.len() {
                self.levels.push((Vec::new(), 0, 0));
            }
            let (buf, num, offset) = &mut self.levels[h];
            let n = buf.len();
            let len = n - n % 2;
            if *num % 2 == 1 {
                *offset = 1 - *offset;
            }
            buf[..len].sort_unstable_by(f64::total_cmp);
            let out: Vec<f64> = buf[..len]
                .iter()
                .skip(usize::from(*offset))
                .step_by(2)
                .copied()
                .collect();
            let last = buf[n - 1];
            buf.clear();
            if n % 2 == 1 {
                buf.push(last);
            }
            *num += 1;
            self.levels[h + 1].0.extend(out);
        }
        fn update(&mut self, x: f64) {
            if x.is_nan() {
                return;
            }
            self.levels[0].0.push(x);
            if self.size() > self.total_cap() {
                self.condense();
            }
        }
        fn merge(&mut self, other: &KllSketch) {
            while self.levels.len() < other.levels.len() {
                self.levels.push((Vec::new(), 0, 0));
            }
            for (mine, theirs) in self.levels.iter_mut().zip(&other.levels) {
                mine.0.extend_from_slice(&theirs.buf);
            }
            while self.size() >= self.total_cap() {
                let before = self.size();
                self.condense();
                if self.size() == before {
                    break;
                }
            }
        }
        /// The state as the sketch's compactors (buffers, counters, offsets).
        fn compactors(&self) -> Vec<(Vec<f64>, u64, u8)> {
            self.levels.clone()
        }
    }

    fn compactors_of(s: &KllSketch) -> Vec<(Vec<f64>, u64, u8)> {
        s.levels
            .iter()
            .map(|l| (l.buf.clone(), l.num_compress, l.offset))
            .collect()
    }

    /// Bit patterns, so that `-0.0` and `0.0` (equal under `==`) must match too.
    fn bits(levels: Vec<(Vec<f64>, u64, u8)>) -> Vec<(Vec<u64>, u64, u8)> {
        levels
            .into_iter()
            .map(|(b, n, o)| (b.into_iter().map(f64::to_bits).collect(), n, o))
            .collect()
    }

    #[test]
    fn reference_compaction_reproduces_deequ_example() {
        // the doc example of `merge_concatenates_this_then_other_and_condenses`, on the reference
        let mut r = ReferenceKll::new(8, 0.64);
        [1.0, 2.0].iter().for_each(|&x| r.update(x));
        r.merge(&sketch_of(8, 0.64, &[3.0, 0.5]));
        r.merge(&sketch_of(8, 0.64, &[9.0, 8.0, 7.0, 6.0, 5.0, 4.0]));
        let data: Vec<Vec<f64>> = r.compactors().into_iter().map(|l| l.0).collect();
        assert_eq!(data, vec![vec![], vec![0.5, 2.0, 4.0, 6.0, 8.0]]);
    }

    #[test]
    fn reserving_room_changes_nothing_in_the_sketch() {
        // 5,000 values: level 0 fills, compacts, and fills again after the reserve
        let xs: Vec<f64> = (0..5_000u32)
            .map(|i| f64::from((i * 7_919) % 5_003))
            .collect();
        let mut plain = KllSketch::new();
        let mut roomy = KllSketch::new();
        roomy.reserve(1_000);
        assert!(roomy.levels[0].buf.capacity() >= 1_000);
        for (i, &x) in xs.iter().enumerate() {
            plain.update(x);
            roomy.update(x);
            if i == 2_500 {
                // never past level 0's capacity, however much is asked
                roomy.reserve(usize::MAX / 2);
                assert!(roomy.levels[0].buf.capacity() <= 2 * (roomy.caps[0] + 1));
            }
        }
        assert_eq!(roomy, plain);
        assert_eq!(roomy.level0_len(), plain.levels()[0].len());
    }

    #[test]
    fn heap_bytes_counts_the_room_not_the_values() {
        let mut s = KllSketch::new();
        let empty = s.heap_bytes();
        // one level (its `Compactor` and cached capacity), no buffer yet
        assert_eq!(
            empty,
            s.levels.capacity() * std::mem::size_of::<Compactor>()
                + s.caps.capacity() * std::mem::size_of::<usize>()
        );
        s.reserve(1_000);
        assert_eq!(s.heap_bytes(), empty + 8 * s.levels[0].buf.capacity());
        assert!(s.heap_bytes() >= empty + 8_000);
        // 2,051 values: level 0 compacts into level 1 and keeps its room though it holds 1 value
        for i in 0..2_051u32 {
            s.update(f64::from(i));
        }
        assert_eq!(s.level0_len(), 1);
        let room: usize = s.levels.iter().map(|l| 8 * l.buf.capacity()).sum();
        assert!(room >= 8 * (s.caps[0] + s.levels[1].buf.len()));
        assert_eq!(
            s.heap_bytes(),
            room + s.levels.capacity() * std::mem::size_of::<Compactor>()
                + s.caps.capacity() * std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn first_compaction_happens_at_update_2051() {
        let xs: Vec<f64> = (0..2051).map(|i| ((i * 7919) % 2051) as f64).collect();
        let mut s = KllSketch::new();
        for &x in &xs[..2050] {
            s.update(x);
        }
        assert_eq!(s.levels(), vec![xs[..2050].to_vec()]);
        s.update(xs[2050]);
        let mut sorted = xs[..2050].to_vec();
        sorted.sort_by(f64::total_cmp);
        let level1: Vec<f64> = sorted.iter().copied().step_by(2).collect();
        assert_eq!(s.levels(), vec![vec![xs[2050]], level1]);
        assert_eq!(s.total_weight(), 2051);
        assert_eq!(s.size, 1026);
        assert_eq!(s.total_cap, 2050 + 1314);
    }

    #[test]
    fn exact_while_nothing_compacted() {
        let d = [5.0, 1.0, 4.0, 1.0, 3.0, 9.0, 2.0, 6.0, 5.0, 3.0, 5.0];
        let s = sketch_of(2048, 0.64, &d);
        let mut sorted = d.to_vec();
        sorted.sort_by(f64::total_cmp);
        for x in [-1.0, 0.0, 1.0, 1.5, 2.0, 3.0, 4.5, 5.0, 6.0, 9.0, 10.0] {
            assert_eq!(s.rank(x), true_rank(&sorted, x), "rank({x})");
            let excl = sorted.partition_point(|&y| y < x) as u64;
            assert_eq!(s.rank_exclusive(x), excl, "rank_exclusive({x})");
            assert_eq!(s.cdf(x), true_rank(&sorted, x) as f64 / 11.0);
        }
        // Reference: numpy 2.x
        // python -c "import numpy as np; d=[5,1,4,1,3,9,2,6,5,3,5];
        //   print([np.quantile(d, q, method='inverted_cdf') for q in [0,.1,.25,.5,.75,.9,1,.3]])"
        // -> [1, 1, 2, 4, 5, 6, 9, 3]
        let refs = [
            (0.0, 1.0),
            (0.1, 1.0),
            (0.25, 2.0),
            (0.5, 4.0),
            (0.75, 5.0),
            (0.9, 6.0),
            (1.0, 9.0),
            (0.3, 3.0),
        ];
        for (q, want) in refs {
            assert_eq!(s.quantile(q), Some(want), "quantile({q})");
        }
        assert_eq!(s.quantile(-0.1), None);
        assert_eq!(s.quantile(1.5), None);
        assert_eq!(s.quantile(f64::NAN), None);
        assert_eq!(
            s.rank_map(),
            vec![
                (1.0, 2),
                (2.0, 3),
                (3.0, 5),
                (4.0, 6),
                (5.0, 9),
                (6.0, 10),
                (9.0, 11)
            ]
        );
    }

    #[test]
    fn empty_sketch_is_honest() {
        let s = KllSketch::default();
        assert!(s.is_empty());
        assert_eq!(s.total_weight(), 0);
        assert_eq!(s.quantile(0.5), None);
        assert_eq!(s.cdf(1.0), 0.0);
        assert!(s.rank_map().is_empty());
        assert_eq!(s.levels(), vec![Vec::<f64>::new()]);
        assert_eq!(linf_simple(&s, &sketch_of(2048, 0.64, &[1.0])), None);
        assert_eq!(linf_robust(&sketch_of(2048, 0.64, &[1.0]), &s), None);
        let b = s.buckets(0.0, 1.0, 2);
        assert_eq!(b.len(), 2);
        assert!(b.iter().all(|b| b.count == 0.0));
        assert!(s.buckets(0.0, 1.0, 0).is_empty());
    }

    #[test]
    fn nan_is_ignored_and_ranks_follow_deequ() {
        let mut s = KllSketch::new();
        s.update(f64::NAN);
        s.update(2.0);
        s.update(f64::NAN);
        s.update(1.0);
        assert_eq!(s.total_weight(), 2);
        assert_eq!(s.levels(), vec![vec![2.0, 1.0]]);
        // Deequ getRank counts items that are not greater than the query: all of them for NaN.
        assert_eq!(s.rank(f64::NAN), 2);
        assert_eq!(s.rank_exclusive(f64::NAN), 0);
    }

    #[test]
    fn signed_zeros_share_one_rank_map_entry() {
        let s = sketch_of(2048, 0.64, &[0.0, 1.0, -0.0, 0.0]);
        let rm = s.rank_map();
        assert_eq!(rm.len(), 2);
        assert!(
            rm[0].0 == 0.0 && rm[0].0.is_sign_negative(),
            "key is -0.0 (first in sort order)"
        );
        assert_eq!(rm[0].1, 3);
        assert_eq!(rm[1], (1.0, 4));
        assert_eq!(s.rank(-0.0), 3);
        assert_eq!(s.rank(0.0), 3);
    }

    #[test]
    fn parameters_are_validated() {
        assert!(KllSketch::with_params(2048, 0.64).is_ok());
        assert_eq!(
            KllSketch::with_params(1, 0.64),
            Err(DriftError::InvalidParameter {
                name: "k",
                value: 1.0
            })
        );
        assert!(matches!(
            KllSketch::with_params(2048, 0.0),
            Err(DriftError::InvalidParameter { name: "c", .. })
        ));
        assert!(KllSketch::with_params(2048, 1.5).is_err());
        assert!(KllSketch::with_params(2048, f64::NAN).is_err());
        assert!(matches!(
            KllSketch::from_levels(2048, 0.64, vec![vec![1.0, f64::NAN]]),
            Err(DriftError::InvalidState(m)) if m.contains("level 0, item 1")
        ));
        assert!(KllSketch::from_levels(2048, 0.64, vec![vec![]; 64]).is_err());
        let e = KllSketch::from_levels(2048, 0.64, vec![]).unwrap();
        assert_eq!(e, KllSketch::new());
    }

    #[test]
    fn from_levels_reproduces_queries() {
        let xs: Vec<f64> = (0..9000).map(|i| ((i * 37) % 1001) as f64 / 10.0).collect();
        let s = sketch_of(2048, 0.64, &xs);
        assert!(s.num_levels() >= 2);
        let r = KllSketch::from_levels(s.sketch_size(), s.shrinking_factor(), s.levels()).unwrap();
        assert_eq!(r.levels(), s.levels());
        assert_eq!(r.total_weight(), 9000);
        assert_eq!(r.rank_map(), s.rank_map());
        assert_eq!(r.buckets(0.0, 100.0, 10), s.buckets(0.0, 100.0, 10));
        assert_eq!(linf_simple(&r, &s), Some(0.0));
    }

    #[test]
    fn merge_into_empty_sketch_keeps_levels() {
        // Spark's final aggregation merges each partition's sketch into a fresh buffer; below
        // total capacity this must not change `data` (that is why the baseline fixture matches).
        let xs: Vec<f64> = (0..2333).map(|i| ((i * 13) % 500) as f64).collect();
        let part = sketch_of(2048, 0.64, &xs);
        let mut fin = KllSketch::new();
        fin.merge(&part);
        assert_eq!(fin.levels(), part.levels());
        assert_eq!(fin.total_weight(), 2333);
    }

    #[test]
    fn merge_concatenates_this_then_other_and_condenses() {
        let mut a = sketch_of(8, 0.64, &[1.0, 2.0]);
        let b = sketch_of(8, 0.64, &[3.0, 0.5]);
        a.merge(&b);
        // 4 items < capacity 10: plain concatenation, this first
        assert_eq!(a.levels(), vec![vec![1.0, 2.0, 3.0, 0.5]]);
        // 6 + 4 = 10 items >= total capacity 10 -> condense: level 0 (10 >= 10) compacts
        let c = sketch_of(8, 0.64, &[9.0, 8.0, 7.0, 6.0, 5.0, 4.0]);
        a.merge(&c);
        assert_eq!(a.levels(), vec![vec![], vec![0.5, 2.0, 4.0, 6.0, 8.0]]);
        assert_eq!(a.total_weight(), 10);
    }

    #[test]
    fn linf_simple_equals_scipy_ks_2samp() {
        let cases: [(&[f64], &[f64], f64); 3] = [
            // python -c "from scipy.stats import ks_2samp; print(ks_2samp([0.5,1.2,3.3,3.3,4.0,7.1,2.2],[1.0,3.3,5.5,6.0,0.1]).statistic)"
            (
                &[0.5, 1.2, 3.3, 3.3, 4.0, 7.1, 2.2],
                &[1.0, 3.3, 5.5, 6.0, 0.1],
                0.2571428571428571,
            ),
            // python -c "from scipy.stats import ks_2samp; print(ks_2samp([1,2,2,3,3,3,4,4,4,4],[2,3,3,4,5,5,6]).statistic)"
            (
                &[1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 4.0, 4.0, 4.0],
                &[2.0, 3.0, 3.0, 4.0, 5.0, 5.0, 6.0],
                0.42857142857142855,
            ),
            // python -c "from scipy.stats import ks_2samp; print(ks_2samp([-0.0,0.0,1.5,-2.5],[0.0,0.0,2.5,-1.0,3.0]).statistic)"
            (&[-0.0, 0.0, 1.5, -2.5], &[0.0, 0.0, 2.5, -1.0, 3.0], 0.4),
        ];
        // scipy's exact mode snaps the statistic to the fraction h / lcm(n1, n2)
        // (`_attempt_exact_2kssamp`), whereas Deequ evaluates rank/n - rank/m in f64; the two can
        // differ in the last bit (9/35 here: 0.2571428571428572 vs 0.2571428571428571).
        for (a, b, want) in cases {
            let (sa, sb) = (sketch_of(2048, 0.64, a), sketch_of(2048, 0.64, b));
            for d in [linf_simple(&sa, &sb), linf_simple(&sb, &sa)] {
                let d = d.unwrap();
                assert!(
                    (d - want).abs() <= 4.0 * f64::EPSILON * want,
                    "{a:?} vs {b:?}: {d}"
                );
            }
            // tiny samples: the robust correction swallows the whole distance
            assert_eq!(linf_robust(&sa, &sb), Some(0.0));
        }
    }

    #[test]
    fn linf_robust_matches_deequ_formula() {
        // python -c "import numpy as np, math; from scipy.stats import ks_2samp;
        //   s=ks_2samp(np.arange(0,2000.), np.arange(500,2500.)).statistic;
        //   print(s, max(0.0, s-1.8*math.sqrt((2000+2000)/(2000*2000))))"
        // -> 0.25 0.19307900211696918
        let a: Vec<f64> = (0..2000).map(f64::from).collect();
        let b: Vec<f64> = (500..2500).map(f64::from).collect();
        let (sa, sb) = (sketch_of(2048, 0.64, &a), sketch_of(2048, 0.64, &b));
        assert_eq!(sa.num_levels(), 1, "reference assumes no compaction");
        // The maximum is attained at several keys with mathematically equal differences; Deequ's
        // f64 order (rank/n - rank/m) may land one ulp off the exact value (0.25000000000000006).
        let simple = linf_simple(&sa, &sb).unwrap();
        assert!((simple - 0.25).abs() <= 4.0 * f64::EPSILON, "{simple}");
        let robust = linf_robust(&sa, &sb).unwrap();
        assert!(
            (robust - 0.19307900211696918).abs() <= 4.0 * f64::EPSILON,
            "{robust}"
        );
        assert_eq!(robust, (simple - 1.8 * (4000.0f64 / 4e6).sqrt()).max(0.0));
    }

    #[test]
    fn buckets_follow_deequ_bounds_and_counts() {
        // Bounds from spec §3.3: 23.2 + (395.0 - 23.2) * 1 / 10 = 60.379999999999995 (a real
        // statistics.json value), and the last bucket includes max.
        let s = sketch_of(2048, 0.64, &[23.2, 60.38, 395.0, 100.0, 23.2]);
        let b = s.buckets(23.2, 395.0, 10);
        assert_eq!(b[0].upper_bound, 60.379999999999995);
        assert_eq!(b[1].lower_bound, 60.379999999999995);
        assert_eq!(b[0].count, 2.0); // 23.2 twice; 60.38 > upper bound
        assert_eq!(b[1].count, 1.0); // 60.38
        assert_eq!(b[2].count, 1.0); // 100.0 in [97.56, 134.74)
        assert_eq!(b[9].upper_bound, 395.0);
        assert_eq!(b[9].count, 1.0); // max itself
        assert_eq!(b.iter().map(|b| b.count).sum::<f64>(), 5.0);
    }

    #[test]
    fn public_bound_equals_derivation() {
        let xs: Vec<f64> = (0..30_000u64)
            .map(|i| ((i * 7919) % 30_011) as f64)
            .collect();
        let s = sketch_of(2048, 0.64, &xs);
        assert!(s.num_levels() >= 3);
        assert_eq!(s.rank_error_bound(), rank_error_bound(&s, 30_000));
        assert_eq!(
            s.normalized_rank_error(),
            rank_error_bound(&s, 30_000) as f64 / 30_000.0
        );
        assert_eq!(KllSketch::new().normalized_rank_error(), 0.0);
    }

    #[test]
    fn million_value_stream_stays_within_bound() {
        // k = 2048 on 10^6 values (10 levels): the deterministic worst-case bound is 45 815
        // (4.6 % of n); the actual error is far smaller.
        let n = 1_000_000u64;
        let xs: Vec<f64> = (0..n)
            .map(|i| ((i * 7_919_993) % 1_000_003) as f64)
            .collect();
        let s = sketch_of(2048, 0.64, &xs);
        assert_eq!(s.total_weight(), n);
        let bound = rank_error_bound(&s, n);
        assert!(
            bound < n * 5 / 100,
            "bound {bound} for {} levels",
            s.num_levels()
        );
        let mut sorted = xs.clone();
        sorted.sort_by(f64::total_cmp);
        let mut max_err = 0;
        for i in 0..=100 {
            let x = sorted[((n - 1) * i / 100) as usize];
            let err = s.rank(x).abs_diff(true_rank(&sorted, x));
            assert!(err <= bound, "x={x}: error {err} > bound {bound}");
            max_err = max_err.max(err);
        }
        // observed: 1437 (0.14 % of n)
        assert!(max_err < n / 100, "max error {max_err}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Issue 16: level 0's radix sort puts any non-NaN floats (both zeros, infinities,
        /// subnormals, every exponent) in exactly the order of `sort_unstable_by(total_cmp)`,
        /// the comparison sort it replaced, bit for bit.
        #[test]
        fn level0_radix_sort_is_the_total_cmp_sort(
            raw in prop::collection::vec(any::<u64>(), 0..3_000),
            ties in prop::collection::vec(
                prop_oneof![
                    Just(0.0f64), Just(-0.0), Just(f64::INFINITY), Just(f64::NEG_INFINITY),
                    Just(f64::MIN_POSITIVE), Just(-5e-324), Just(1.0), -3.0f64..3.0,
                ],
                0..500,
            ),
        ) {
            let mut xs: Vec<f64> = raw
                .into_iter()
                .map(f64::from_bits)
                .filter(|x| !x.is_nan())
                .chain(ties)
                .collect();
            xs.truncate(xs.len() - xs.len() % 2);
            let mut reference = xs.clone();
            reference.sort_unstable_by(f64::total_cmp);
            // through the compaction itself: an even buffer is sorted whole, offset 0
            let mut c = Compactor::new();
            c.buf = xs.clone();
            let mut out = Vec::new();
            c.compact_into(&mut out, false);
            let every_second: Vec<u64> = reference
                .iter()
                .step_by(2)
                .map(|x| x.to_bits())
                .collect();
            prop_assert_eq!(out.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), every_second);
            let mut ys = xs.clone();
            radsort::sort(&mut xs);
            prop_assert_eq!(
                xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                reference.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
            sort_arrival_order(&mut ys);
            prop_assert_eq!(
                ys.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                reference.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
        }

        /// Issue 16 item 2: a level above 0 (one, two or more sorted runs, with the ties,
        /// both zeros and infinities a sketch can hold) keeps, from either offset, the items
        /// `sort_by(total_cmp)` and every other item keep, bit for bit, and leaves its odd
        /// last item alone.
        #[test]
        fn upper_level_compaction_is_the_sort_of_its_runs(
            runs in prop::collection::vec(
                prop::collection::vec(
                    prop_oneof![
                        4 => -1_000.0f64..1_000.0,
                        1 => prop_oneof![
                            Just(0.0f64), Just(-0.0), Just(f64::INFINITY),
                            Just(f64::NEG_INFINITY), Just(5e-324), Just(1.0), Just(-1.0),
                        ],
                    ],
                    0..1_200,
                ),
                1..4,
            ),
            flip in any::<bool>(),
        ) {
            let mut buf = Vec::new();
            for mut run in runs {
                run.sort_by(f64::total_cmp);
                buf.extend(run);
            }
            let len = buf.len() - buf.len() % 2;
            let mut reference = buf[..len].to_vec();
            reference.sort_by(f64::total_cmp);
            let mut c = Compactor::new();
            c.buf = buf.clone();
            // an odd number of compactions so far flips the offset to 1
            c.num_compress = u64::from(flip);
            let mut out = vec![7.5];
            c.compact_into(&mut out, true);
            let offset = usize::from(flip);
            let kept: Vec<u64> = std::iter::once(7.5f64)
                .chain(reference.iter().copied().skip(offset).step_by(2))
                .map(f64::to_bits)
                .collect();
            prop_assert_eq!(out.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), kept);
            prop_assert_eq!(c.buf, buf[len..].to_vec());
        }

        /// Issue 16 item 4: the 32-bit radix sort with its tie fix-up on the data that ties
        /// most: values a few ulps apart around one centre (their first 32 varying bits
        /// agree), with far outliers, exact duplicates and both zeros mixed in.
        #[test]
        fn level0_sort_of_clustered_values_is_the_total_cmp_sort(
            centre in prop_oneof![Just(0.0f64), Just(1.0), Just(-1_000.5), 1e-300f64..1e300],
            ulps in prop::collection::vec(-4_096i64..4_096, 0..3_000),
            outliers in prop::collection::vec(
                prop_oneof![
                    Just(f64::INFINITY), Just(f64::NEG_INFINITY), Just(-0.0f64), Just(0.0),
                    Just(f64::MAX), Just(-5e-324),
                ],
                0..4,
            ),
        ) {
            let mut xs: Vec<f64> = ulps
                .iter()
                .map(|&u| f64::from_bits(centre.to_bits().wrapping_add_signed(u)))
                .filter(|x| !x.is_nan())
                .chain(outliers)
                .collect();
            let mut reference = xs.clone();
            reference.sort_unstable_by(f64::total_cmp);
            sort_arrival_order(&mut xs);
            prop_assert_eq!(
                xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                reference.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
        }
    }

    /// Values with many ties (small integer range) or spread out.
    fn values(max_len: usize) -> impl Strategy<Value = Vec<f64>> {
        prop_oneof![
            prop::collection::vec((-300i32..300).prop_map(f64::from), 0..max_len),
            prop::collection::vec(-1e6f64..1e6, 0..max_len),
        ]
    }

    fn check_within_bound(s: &KllSketch, sorted: &[f64]) -> Result<(), TestCaseError> {
        let n = sorted.len() as u64;
        prop_assert_eq!(s.total_weight(), n);
        let bound = rank_error_bound(s, n);
        if n == 0 {
            return Ok(());
        }
        for i in 0..=40u64 {
            let x = sorted[((n - 1) * i / 40) as usize];
            for q in [x, x + 0.5] {
                let err = s.rank(q).abs_diff(true_rank(sorted, q));
                prop_assert!(err <= bound, "rank({}) error {} > bound {}", q, err, bound);
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn two_way_merge_within_bound(
            xs in values(12_000),
            cut in 0.0f64..1.0,
            k in prop_oneof![Just(64usize), Just(300), Just(2048)],
        ) {
            let at = ((xs.len() as f64) * cut) as usize;
            let whole = sketch_of(k, 0.64, &xs);
            let mut merged = sketch_of(k, 0.64, &xs[..at]);
            merged.merge(&sketch_of(k, 0.64, &xs[at..]));
            let mut sorted = xs.clone();
            sorted.sort_by(f64::total_cmp);
            check_within_bound(&whole, &sorted)?;
            check_within_bound(&merged, &sorted)?;
            if k == 2048 {
                // for k = 2048 and n <= 12000 the bound is below 2% of n
                prop_assert!(rank_error_bound(&merged, xs.len() as u64) * 50 <= xs.len() as u64);
            }
        }

        #[test]
        fn k_way_merge_within_bound(
            xs in values(12_000),
            cuts in prop::collection::vec(0.0f64..1.0, 1..8),
            k in prop_oneof![Just(64usize), Just(2048)],
        ) {
            let mut idx: Vec<usize> = cuts.iter().map(|c| ((xs.len() as f64) * c) as usize).collect();
            idx.push(0);
            idx.push(xs.len());
            idx.sort_unstable();
            // Spark-like: fold the partition sketches into a fresh buffer
            let mut merged = KllSketch::with_params(k, 0.64).unwrap();
            for w in idx.windows(2) {
                merged.merge(&sketch_of(k, 0.64, &xs[w[0]..w[1]]));
            }
            let mut sorted = xs.clone();
            sorted.sort_by(f64::total_cmp);
            check_within_bound(&merged, &sorted)?;
        }

        /// Issue 16: the run-merging compaction gives the same compactors, bit for bit, as the
        /// reference (every head re-sorted), on updates and on merges into a running sketch.
        #[test]
        fn run_merging_compaction_equals_reference(
            xs in prop_oneof![
                values(20_000),
                prop::collection::vec(
                    prop_oneof![
                        Just(0.0f64), Just(-0.0), Just(f64::INFINITY),
                        Just(f64::NEG_INFINITY), Just(f64::NAN), -5.0f64..5.0,
                    ],
                    0..6_000,
                ),
            ],
            cuts in prop::collection::vec(0.0f64..1.0, 0..6),
            k in prop_oneof![Just(8usize), Just(64), Just(300), Just(2048)],
        ) {
            let mut new = KllSketch::with_params(k, 0.64).unwrap();
            let mut reference = ReferenceKll::new(k, 0.64);
            for &x in &xs {
                new.update(x);
                reference.update(x);
            }
            prop_assert_eq!(bits(compactors_of(&new)), bits(reference.compactors()));
            // merges of parts built by the new code into both
            let mut idx: Vec<usize> = cuts.iter().map(|c| ((xs.len() as f64) * c) as usize).collect();
            idx.push(0);
            idx.push(xs.len());
            idx.sort_unstable();
            for w in idx.windows(2) {
                let part = sketch_of(k, 0.64, &xs[w[0]..w[1]]);
                new.merge(&part);
                reference.merge(&part);
                prop_assert_eq!(bits(compactors_of(&new)), bits(reference.compactors()));
            }
        }

        #[test]
        fn serde_round_trip_continues_identically(
            prefix in values(8_000),
            suffix in values(8_000),
            k in prop_oneof![Just(16usize), Just(64), Just(2048)],
        ) {
            let mut live = sketch_of(k, 0.64, &prefix);
            let json = serde_json::to_string(&live).unwrap();
            let mut reloaded: KllSketch = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&reloaded, &live);
            for &x in &suffix {
                live.update(x);
                reloaded.update(x);
            }
            prop_assert_eq!(&reloaded, &live);
            prop_assert_eq!(reloaded.levels(), live.levels());
        }

        #[test]
        fn linf_properties(
            a in values(6_000),
            b in values(6_000),
        ) {
            let (sa, sb) = (sketch_of(256, 0.64, &a), sketch_of(256, 0.64, &b));
            match (linf_simple(&sa, &sb), linf_robust(&sa, &sb)) {
                (Some(s), Some(r)) => {
                    prop_assert!((0.0..=1.0).contains(&s));
                    prop_assert!((0.0..=s).contains(&r));
                    prop_assert_eq!(linf_simple(&sb, &sa), Some(s));
                    prop_assert_eq!(linf_simple(&sa, &sa), Some(0.0));
                    prop_assert_eq!(linf_simple(&sa, &sa.clone()), Some(0.0));
                }
                (None, None) => prop_assert!(sa.is_empty() || sb.is_empty()),
                other => prop_assert!(false, "inconsistent {:?}", other),
            }
        }
    }

    #[test]
    fn serde_keeps_counters_and_rejects_bad_state() {
        let s = sketch_of(
            8,
            0.64,
            &[5.0, 4.0, 3.0, 2.0, 1.0, 0.0, 9.0, 8.0, 7.0, 6.0, 5.5],
        );
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["k"], 8);
        assert_eq!(json["c"], 0.64);
        assert_eq!(json["levels"][0]["num_compress"], 1);
        assert_eq!(json["levels"][0]["offset"], 0);
        assert_eq!(json["levels"][1]["num_compress"], 0);
        let bad = r#"{"k":8,"c":0.64,"levels":[{"buf":[1.0],"num_compress":0,"offset":2}]}"#;
        let err = serde_json::from_str::<KllSketch>(bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("offset 2"), "{err}");
        let bad_k = r#"{"k":0,"c":0.64,"levels":[{"buf":[],"num_compress":0,"offset":0}]}"#;
        assert!(serde_json::from_str::<KllSketch>(bad_k).is_err());
    }
}
