//! Exact per-value counts with a cap ([`CategoricalCounts`]) and an approximate distinct count
//! ([`DistinctCount`]).
//!
//! `string_statistics` in `statistics.json` carries both: `distinct_count` (Deequ computes it
//! with Spark's HyperLogLog++ `ApproxCountDistinct`) and `distribution.categorical.buckets`,
//! one `{value, count}` per distinct value (spec §3.5). The categorical drift distances in
//! [`crate::distance`] work on [`CategoricalCounts`].

use std::hash::{Hash, Hasher};

use datasketches::hll::{HllSketch, HllType, HllUnion};

use crate::DriftError;

/// The map behind [`CategoricalCounts`]: every captured value of a string column is hashed
/// once on the ingest path, so the hasher is hot (issue 16: 7 % of `monitor` with std's
/// SipHash-1-3).
///
/// Why foldhash's `fast::RandomState` and not an unkeyed fast hash (FxHash, a fixed seed):
/// the keys are category values from captured requests, so a client of the endpoint chooses
/// them. Each map draws its own random seed, so no fixed list of values collides on every
/// instance (foldhash's "minimal HashDoS resistance"). foldhash does not claim resistance
/// against an attacker who observes hash outputs, timings or iteration order; ours cannot:
/// ingest runs asynchronously after the capture lands, and no output depends on the map's
/// order (every writer and distance sorts or folds order-independently, see
/// [`CategoricalCounts::iter`]). The cap ([`DEFAULT_CATEGORICAL_CAP`]) bounds the map's size
/// in any case. foldhash is already in the build (hashbrown's default hasher), so it adds no
/// new crate.
///
/// hashbrown's map rather than std's (the same table): its lookups take any key type that is
/// [`hashbrown::Equivalent`] to the stored key, so the hot lookup of
/// [`CategoricalCounts::add_seen`] compares with [`Short`]'s inline compare instead of a call
/// to libc's `memcmp` per probe (5.7 % of the one-shot job, issue 16 item 2).
type CountMap = hashbrown::HashMap<String, u64, foldhash::fast::RandomState>;

/// A value looked up in a [`CountMap`]: hashes exactly as `str` (so as the stored key)
/// and compares values of up to 16 bytes — category values mostly are — with at most two
/// overlapping word loads per side, inline; longer ones with the slice compare.
struct Short<'a>(&'a str);

impl Hash for Short<'_> {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl hashbrown::Equivalent<String> for Short<'_> {
    #[inline]
    fn equivalent(&self, key: &String) -> bool {
        same_bytes(self.0.as_bytes(), key.as_bytes())
    }
}

/// `a == b`, without a library call for slices of up to 16 bytes: the first and the last
/// word of each (overlapping when shorter than two words) cover every byte.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    match a.len() {
        0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        4..=7 => {
            a.first_chunk::<4>() == b.first_chunk::<4>()
                && a.last_chunk::<4>() == b.last_chunk::<4>()
        }
        8..=16 => {
            a.first_chunk::<8>() == b.first_chunk::<8>()
                && a.last_chunk::<8>() == b.last_chunk::<8>()
        }
        _ => a == b,
    }
}

/// Default cap on distinct values kept by [`CategoricalCounts::new`].
///
/// Deequ's `Histogram` keeps at most 1000 bins when it *reports* (spec §3.5); we keep more
/// while counting so the top values stay exact for high-cardinality columns, and leave the
/// reporting cut to the writer.
pub const DEFAULT_CATEGORICAL_CAP: usize = 10_000;

/// Exact `value → count` map with a cap on the number of distinct values kept.
///
/// Once `cap` distinct values are stored, counts of further *new* values go to
/// [`overflow`](CategoricalCounts::overflow) (values already stored keep counting exactly), so
/// [`total`](CategoricalCounts::total) is always the number of values added. Every stored value
/// has a count ≥ 1.
///
/// Merging is exact (equal to counting the concatenated input) as long as the cap is not
/// reached. When it is, which values are kept depends on arrival order, like any bounded
/// counter; merge admits the other side's new values by descending count, ties by ascending
/// value, so the result is deterministic.
///
/// [`iter`](CategoricalCounts::iter) has arbitrary order; use
/// [`by_count_desc`](CategoricalCounts::by_count_desc) or
/// [`sorted_by_value`](CategoricalCounts::sorted_by_value) for a stable order. With the `serde`
/// feature the state serialises as `{"cap": …, "overflow": …, "counts": {value: count, …}}`
/// with `counts` sorted by value (byte order), so equal states give equal JSON.
///
/// ```
/// use drift_math::categorical::CategoricalCounts;
///
/// let mut c = CategoricalCounts::with_cap(2);
/// for v in ["b", "a", "b", "c", "a", "b"] {
///     c.add(v);
/// }
/// assert_eq!(c.by_count_desc(), vec![("b", 3), ("a", 2)]);
/// assert_eq!(c.overflow(), 1); // "c" arrived after the cap was reached
/// assert_eq!(c.total(), 6);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoricalCounts {
    counts: CountMap,
    cap: usize,
    overflow: u64,
}

impl Default for CategoricalCounts {
    /// Same as [`CategoricalCounts::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl CategoricalCounts {
    /// An empty map that keeps at most `cap` distinct values (`cap = 0` sends everything to
    /// the overflow count).
    pub fn with_cap(cap: usize) -> Self {
        CategoricalCounts {
            counts: CountMap::default(),
            cap,
            overflow: 0,
        }
    }

    /// An empty map with cap [`DEFAULT_CATEGORICAL_CAP`].
    pub fn new() -> Self {
        Self::with_cap(DEFAULT_CATEGORICAL_CAP)
    }

    /// Builds a map from `(value, count)` pairs, e.g. the `categorical.buckets` of a
    /// statistics file; repeated values add up, zero counts are skipped.
    pub fn from_pairs<'a, I: IntoIterator<Item = (&'a str, u64)>>(cap: usize, pairs: I) -> Self {
        let mut c = Self::with_cap(cap);
        for (v, n) in pairs {
            c.add_n(v, n);
        }
        c
    }

    /// Counts one occurrence of `v`.
    #[inline]
    pub fn add(&mut self, v: &str) {
        self.add_n(v, 1);
    }

    /// Counts one occurrence of `v`, as [`add`](Self::add), and says whether `v` was already
    /// stored (its count went up) rather than new (stored now, or counted in the overflow).
    ///
    /// Ingest uses it to update a [`DistinctCount`] only with values it has not counted yet:
    /// adding a value the sketch already holds changes nothing in it.
    #[inline]
    pub fn add_seen(&mut self, v: &str) -> bool {
        if let Some(c) = self.counts.get_mut(&Short(v)) {
            *c = c.saturating_add(1);
            return true;
        }
        if self.counts.len() < self.cap {
            self.counts.insert(v.to_owned(), 1);
        } else {
            self.overflow = self.overflow.saturating_add(1);
        }
        false
    }

    /// Counts `n` occurrences of `v` (saturating). `n = 0` does nothing (no key is created).
    #[inline]
    pub fn add_n(&mut self, v: &str, n: u64) {
        if n == 0 {
            return;
        }
        if let Some(c) = self.counts.get_mut(&Short(v)) {
            *c = c.saturating_add(n);
        } else if self.counts.len() < self.cap {
            self.counts.insert(v.to_owned(), n);
        } else {
            self.overflow = self.overflow.saturating_add(n);
        }
    }

    /// Adds another map's counts into this one; `self.cap` stays in force.
    ///
    /// Values already stored here add up; new values are admitted while room is left, in
    /// order of descending count, ties by ascending value; the counts of the rest, and
    /// `other`'s overflow, go to the overflow count.
    pub fn merge(&mut self, o: &CategoricalCounts) {
        let mut fresh: Vec<(&str, u64)> = Vec::new();
        for (v, &n) in &o.counts {
            match self.counts.get_mut(&Short(v.as_str())) {
                Some(c) => *c = c.saturating_add(n),
                None => fresh.push((v.as_str(), n)),
            }
        }
        let room = self.cap.saturating_sub(self.counts.len());
        if fresh.len() > room {
            sort_by_count_desc(&mut fresh);
        }
        for (i, (v, n)) in fresh.into_iter().enumerate() {
            if i < room {
                self.counts.insert(v.to_owned(), n);
            } else {
                self.overflow = self.overflow.saturating_add(n);
            }
        }
        self.overflow = self.overflow.saturating_add(o.overflow);
    }

    /// Number of values added: stored counts plus overflow.
    pub fn total(&self) -> u64 {
        self.counts
            .values()
            .fold(self.overflow, |acc, &n| acc.saturating_add(n))
    }

    /// Sum of the stored counts only (without overflow).
    pub fn kept_total(&self) -> u64 {
        self.counts
            .values()
            .fold(0u64, |acc, &n| acc.saturating_add(n))
    }

    /// Number of distinct values stored (at most the cap).
    pub fn distinct(&self) -> usize {
        self.counts.len()
    }

    /// Number of distinct values stored that were seen exactly once (Deequ's
    /// `CategoricalRangeRule` compares this with [`distinct`](Self::distinct), spec §4.2).
    pub fn singletons(&self) -> usize {
        self.counts.values().filter(|&&n| n == 1).count()
    }

    /// Occurrences of values that arrived after the cap was reached.
    pub fn overflow(&self) -> u64 {
        self.overflow
    }

    /// The cap on distinct values.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// `true` when nothing has been added (no stored value and no overflow).
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty() && self.overflow == 0
    }

    /// Count of `v` (0 if not stored).
    pub fn get(&self, v: &str) -> u64 {
        self.counts.get(v).copied().unwrap_or(0)
    }

    /// `true` when `v` is stored.
    pub fn contains(&self, v: &str) -> bool {
        self.counts.contains_key(v)
    }

    /// All stored `(value, count)` pairs in arbitrary order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.counts.iter().map(|(v, &n)| (v.as_str(), n))
    }

    /// Stored pairs by descending count, ties by ascending value (byte order).
    pub fn by_count_desc(&self) -> Vec<(&str, u64)> {
        let mut v: Vec<(&str, u64)> = self.iter().collect();
        sort_by_count_desc(&mut v);
        v
    }

    /// Stored pairs by ascending value (byte order).
    pub fn sorted_by_value(&self) -> Vec<(&str, u64)> {
        let mut v: Vec<(&str, u64)> = self.iter().collect();
        v.sort_unstable_by(|a, b| a.0.cmp(b.0));
        v
    }
}

/// Descending count, then ascending value; values are unique so the order is total.
fn sort_by_count_desc(v: &mut [(&str, u64)]) {
    v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
}

#[cfg(feature = "serde")]
mod categorical_serde {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::CategoricalCounts;

    #[derive(Serialize)]
    struct ReprRef<'a> {
        cap: usize,
        overflow: u64,
        counts: BTreeMap<&'a str, u64>,
    }

    #[derive(Deserialize)]
    struct Repr {
        cap: usize,
        overflow: u64,
        counts: BTreeMap<String, u64>,
    }

    impl Serialize for CategoricalCounts {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            ReprRef {
                cap: self.cap,
                overflow: self.overflow,
                counts: self.iter().collect(),
            }
            .serialize(s)
        }
    }

    impl<'de> Deserialize<'de> for CategoricalCounts {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let r = Repr::deserialize(d)?;
            if r.counts.len() > r.cap {
                return Err(serde::de::Error::custom(format!(
                    "categorical counts hold {} distinct values, more than cap {}",
                    r.counts.len(),
                    r.cap
                )));
            }
            if let Some((v, _)) = r.counts.iter().find(|(_, &n)| n == 0) {
                return Err(serde::de::Error::custom(format!(
                    "categorical count of {v:?} is 0"
                )));
            }
            Ok(CategoricalCounts {
                counts: r.counts.into_iter().collect::<super::CountMap>(),
                cap: r.cap,
                overflow: r.overflow,
            })
        }
    }
}

/// `log2` of the number of HLL registers used by [`DistinctCount`].
///
/// 2¹² = 4096 registers: relative standard error ≈ 0.8326/√4096 ≈ 1.3 % for a sketch fed
/// directly (HIP estimator) and ≈ 1.039/√4096 ≈ 1.6 % after a merge (composite estimator);
/// about ±3.3 % at 95 % confidence. Spark's `approx_count_distinct`, which Deequ uses, defaults
/// to a 5 % relative standard deviation, so this is tighter than the numbers SageMaker writes.
/// Below a few hundred distinct values the sketch keeps exact hash coupons and the estimate is
/// practically exact.
pub const DISTINCT_LG_K: u8 = 12;

/// Approximate number of distinct strings: an Apache DataSketches HyperLogLog sketch
/// (`lg_k` = [`DISTINCT_LG_K`], 8-bit registers).
///
/// Values are hashed as their raw UTF-8 bytes (DataSketches `raw_bytes`, MurmurHash3 x64/128,
/// seed 9001), which is stable across Rust versions and matches the Java/C++ DataSketches
/// string hashing. Unlike those libraries, the empty string is counted as a value (Spark's
/// `approx_count_distinct` counts it too).
///
/// [`to_bytes`](DistinctCount::to_bytes) writes the standard DataSketches HLL serialisation.
/// With the `serde` feature the state serialises as one string: those bytes in standard
/// base64 (RFC 4648 §4, with padding).
///
/// ```
/// use drift_math::categorical::DistinctCount;
///
/// let mut a = DistinctCount::new();
/// let mut b = DistinctCount::new();
/// for i in 0..60 {
///     a.update(&format!("v{i}"));
/// }
/// for i in 40..100 {
///     b.update(&format!("v{i}"));
/// }
/// a.merge(&b);
/// assert!((a.estimate() - 100.0).abs() < 1.0);
/// let back = DistinctCount::from_bytes(&a.to_bytes()).unwrap();
/// assert_eq!(back.estimate(), a.estimate());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DistinctCount {
    sketch: HllSketch,
}

impl Default for DistinctCount {
    /// Same as [`DistinctCount::new`].
    fn default() -> Self {
        Self::new()
    }
}

/// An empty sketch with the fixed configuration.
fn empty_sketch() -> HllSketch {
    // DISTINCT_LG_K is a constant inside DataSketches' valid range [4, 21], so this cannot fail;
    // the unit test `new_sketch_has_expected_configuration` pins it.
    HllSketch::new(DISTINCT_LG_K, HllType::Hll8).expect("DISTINCT_LG_K is within [4, 21]")
}

impl DistinctCount {
    /// An empty sketch (estimate 0).
    pub fn new() -> Self {
        DistinctCount {
            sketch: empty_sketch(),
        }
    }

    /// Adds one value (hashing its UTF-8 bytes).
    #[inline]
    pub fn update(&mut self, v: &str) {
        self.sketch
            .update(datasketches::hash::value::raw_bytes::from_str(v));
    }

    /// Merges another sketch (HLL union: register-wise maximum). Merging with an empty sketch
    /// leaves the other side unchanged, bit for bit.
    pub fn merge(&mut self, o: &DistinctCount) {
        if o.sketch.is_empty() {
            return;
        }
        if self.sketch.is_empty() {
            self.sketch = o.sketch.clone();
            return;
        }
        // Constant lg_k inside [4, 21]: cannot fail (pinned by the unit tests).
        let mut union = HllUnion::new(DISTINCT_LG_K).expect("DISTINCT_LG_K is within [4, 21]");
        union.update(&self.sketch);
        union.update(&o.sketch);
        self.sketch = union.to_sketch(HllType::Hll8);
    }

    /// Estimated number of distinct values (0.0 when empty).
    pub fn estimate(&self) -> f64 {
        self.sketch.estimate()
    }

    /// `true` when no value has been added.
    pub fn is_empty(&self) -> bool {
        self.sketch.is_empty()
    }

    /// The DataSketches HLL serialisation of the sketch (compact: a few bytes per value at low
    /// cardinality, 4 KiB + header once the sketch has switched to its register array).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.sketch.serialize()
    }

    /// Reads [`to_bytes`](Self::to_bytes) output.
    ///
    /// # Errors
    ///
    /// [`DriftError::InvalidState`] when the bytes are not a DataSketches HLL image or the
    /// sketch's `lg_k` is not [`DISTINCT_LG_K`] (merging sketches of different sizes would
    /// silently lose accuracy).
    pub fn from_bytes(b: &[u8]) -> Result<Self, DriftError> {
        let sketch = HllSketch::deserialize(b)
            .map_err(|e| DriftError::InvalidState(format!("HLL sketch: {e}")))?;
        if sketch.lg_config_k() != DISTINCT_LG_K {
            return Err(DriftError::InvalidState(format!(
                "HLL sketch lg_k is {}, expected {DISTINCT_LG_K}",
                sketch.lg_config_k()
            )));
        }
        Ok(DistinctCount { sketch })
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for DistinctCount {
    /// Serialises as the base64 (standard, padded) text of [`DistinctCount::to_bytes`].
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::codec::encode_b64(&self.to_bytes()))
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for DistinctCount {
    /// Reads the base64 text written by `Serialize`.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let bytes = crate::codec::decode_b64(&text).map_err(serde::de::Error::custom)?;
        DistinctCount::from_bytes(&bytes).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The inline compare is slice equality at every length around its word boundaries,
        /// for pairs that differ in one byte anywhere, and the map finds every stored value
        /// through it (its hash is the stored key's).
        #[test]
        fn short_compare_is_slice_equality(
            a in prop::collection::vec(prop::sample::select(vec![b'a', b'b', 0, 0xff]), 0..40),
            flip in any::<prop::sample::Index>(),
            cut in any::<prop::sample::Index>(),
        ) {
            prop_assert!(same_bytes(&a, &a));
            if !a.is_empty() {
                let mut b = a.clone();
                let i = flip.index(b.len());
                b[i] ^= 1;
                prop_assert!(!same_bytes(&a, &b), "differ at {} of {}", i, a.len());
                let n = cut.index(a.len());
                prop_assert_eq!(same_bytes(&a[..n], &a), n == a.len());
            }
            let text: String = a.iter().map(|&c| char::from(c)).collect();
            let mut c = CategoricalCounts::new();
            c.add(&text);
            prop_assert!(c.add_seen(&text));
            prop_assert_eq!(c.get(&text), 2);
        }
    }

    #[test]
    fn new_sketch_has_expected_configuration() {
        let d = DistinctCount::new();
        assert_eq!(d.sketch.lg_config_k(), DISTINCT_LG_K);
        assert_eq!(d.sketch.target_type(), HllType::Hll8);
        assert!(d.is_empty());
        assert_eq!(d.estimate(), 0.0);
    }

    #[test]
    fn zero_count_creates_no_key() {
        let mut c = CategoricalCounts::new();
        c.add_n("x", 0);
        assert!(c.is_empty());
        assert!(!c.contains("x"));
    }

    /// Ingest updates the distinct sketch only with values the counts have not stored yet
    /// (issue 16 item 1). That is the sketch of every value, bit for bit: in each of its modes
    /// (coupon list, set, register array), and with a merged-in sketch (whose values are
    /// stored by the counts' merge), whether or not the counts' cap is reached.
    #[test]
    fn updating_the_sketch_with_unseen_values_only_is_the_sketch_of_every_value() {
        // 3 and 40 distinct values stay in coupon list/set mode, 3,000 reach the registers;
        // a cap of 100 sends later values to the overflow, where every value is hashed
        for (distinct, cap) in [(3u64, 10_000), (40, 10_000), (3_000, 10_000), (3_000, 100)] {
            let value = |i: u64| format!("v{}", (i * 7919) % distinct);
            let (mut all, mut unseen) = (DistinctCount::new(), DistinctCount::new());
            let mut counts = CategoricalCounts::with_cap(cap);
            // a merged-in part first, as a window's merge does
            let (mut part, mut part_counts) =
                (DistinctCount::new(), CategoricalCounts::with_cap(cap));
            for i in 0..distinct / 2 {
                part.update(&value(i));
                part_counts.add(&value(i));
            }
            all.merge(&part);
            unseen.merge(&part);
            counts.merge(&part_counts);
            for i in 0..5 * distinct {
                let v = value(i);
                all.update(&v);
                if !counts.add_seen(&v) {
                    unseen.update(&v);
                }
            }
            assert_eq!(counts.total(), 5 * distinct + distinct / 2, "{distinct}");
            assert_eq!(
                unseen.to_bytes(),
                all.to_bytes(),
                "{distinct} values, cap {cap}"
            );
            assert_eq!(unseen.estimate().to_bits(), all.estimate().to_bits());
        }
    }
}
