//! Mergeable model-quality state: the numbers behind a model-quality `statistics.json`
//! (`binary_classification_metrics`, `multiclass_classification_metrics`,
//! `regression_metrics`; spec §8).
//!
//! Three record-level states, each with the streaming shape `update` / `merge` / read:
//!
//! * [`BinaryConfusion`]: TP/FP/TN/FN for the configured positive label plus a sparse
//!   [`ScoreHistogram`] of the predicted probability, from which `auc` and the ROC / PR curves
//!   are read;
//! * [`MulticlassConfusion`]: the `actual → predicted → count` matrix over string labels
//!   (Spark MLlib `MulticlassMetrics` conventions);
//! * [`RegressionMoments`]: compensated sums of `|y − ŷ|` and `(y − ŷ)²` plus Chan-mergeable
//!   moments of `y` for `r2`.
//!
//! [`Replicated`] wraps any of them with five replicate accumulators for SageMaker's
//! `standard_deviation` (spec §8.1: the standard deviation of the metric over 5 random 80 %
//! subsamples, only with ≥ 200 records). Membership of a record in each replicate is a
//! deterministic function of its join key ([`in_replicate`]), so replicate states merge exactly
//! like the full state.
//!
//! Undefined ratios (a zero denominator) are `NaN`; the `statistics.json` writer prints them
//! as the string `"NaN"`, as SageMaker does for `standard_deviation`.
//!
//! Bit-level conventions were checked against SageMaker outputs: `true_negative_rate` is
//! `1 − false_positive_rate` and `false_negative_rate` is `1 − true_positive_rate` (the DG
//! example prints `0.33333333333333337` for 1 TN / 2 FP, and the churn baseline thresholds
//! print `0.4285714285714286` for 12 FN / 28 positives); F-scores are
//! `(1 + β²)·P·R / (β²·P + R)` evaluated in that order (Spark `MulticlassMetrics.fMeasure`).

use std::collections::BTreeMap;

use crate::moments::Moments;

mod binary;
mod bins;
mod curves;
mod multiclass;
mod regression;

pub use binary::*;
pub use curves::*;
pub use multiclass::*;
pub use regression::*;

/// Number of fixed-width score bins over `[0, 1]` kept by [`ScoreHistogram`]: `2¹⁶`.
///
/// Bin `k` holds probabilities in `[k/2¹⁶, (k+1)/2¹⁶)`; the last bin also holds `1.0`. The
/// width is a power of two, so the bin index `⌊p·2¹⁶⌋` is computed without rounding.
/// See [`ScoreHistogram::auc_error_bound`] for what the width costs in AUC accuracy.
pub const SCORE_BINS: u32 = 1 << 16;

/// Most thresholds on a ROC or PR curve (curves have at most this many points plus the
/// prepended / appended end points).
pub const MAX_CURVE_THRESHOLDS: usize = 100;

/// Number of replicate subsamples behind `standard_deviation` (spec §8.1: 5).
pub const REPLICATES: usize = 5;

/// Probability with which a record belongs to each replicate subsample (spec §8.1: 80 %).
pub const REPLICATE_FRACTION: f64 = 0.8;

/// Fewest records for which `standard_deviation` is reported (spec §8.1: "only when at least
/// 200 samples are available"); below it the value is `NaN`.
pub const MIN_SAMPLES_FOR_STD: u64 = 200;

/// Errors from model-quality updates; each carries the offending value. A rejected record
/// leaves the state unchanged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum QualityError {
    /// A predicted probability is `NaN` or outside `[0, 1]` (rejected, never clamped).
    #[error("probability {value} is not in [0, 1]")]
    ProbabilityOutOfRange {
        /// offending value
        value: f64,
    },
    /// A regression target or prediction is `NaN` or infinite.
    #[error("{what} {value} is not finite")]
    NonFinite {
        /// `"actual"` or `"predicted"`
        what: &'static str,
        /// offending value
        value: f64,
    },
}

// ---------------------------------------------------------------------------------------------
// shared formulas
// ---------------------------------------------------------------------------------------------

/// `F_β = (1 + β²)·P·R / (β²·P + R)` (spec §8.3), evaluated left to right exactly as Spark's
/// `MulticlassMetrics.fMeasure`, which reproduces SageMaker's printed `f0_5`/`f1`/`f2` to the
/// last bit.
///
/// `0` when `P + R = 0` (Spark's convention; also scikit-learn's `zero_division=0` limit);
/// `NaN` when `P` or `R` is `NaN` (undefined).
///
/// ```
/// use drift_math::quality::f_beta;
/// // DG example: P = 1/3, R = 1 → f0_5 = 0.3846153846153846
/// assert_eq!(f_beta(1.0 / 3.0, 1.0, 0.5), 0.3846153846153846);
/// assert_eq!(f_beta(0.0, 0.0, 1.0), 0.0);
/// assert!(f_beta(f64::NAN, 0.5, 1.0).is_nan());
/// ```
pub fn f_beta(precision: f64, recall: f64, beta: f64) -> f64 {
    if precision + recall == 0.0 {
        return 0.0;
    }
    let b2 = beta * beta;
    (1.0 + b2) * precision * recall / (b2 * precision + recall)
}

/// `n / d` for counts; `NaN` when `d = 0` (the module's division-by-zero rule).
#[inline]
fn ratio(n: u64, d: u64) -> f64 {
    if d == 0 {
        f64::NAN
    } else {
        n as f64 / d as f64
    }
}

/// `n / d` for counts, `0` when `d = 0` (Spark's curve conventions).
#[inline]
fn ratio_or(n: u64, d: u64, empty: f64) -> f64 {
    if d == 0 {
        empty
    } else {
        n as f64 / d as f64
    }
}

/// The binary prediction from a probability: positive iff `probability > threshold`
/// (Clarify's documented rule; Model Monitor documents none, spec §8.4 **(inferred)**).
///
/// ```
/// use drift_math::quality::predicted_positive;
/// assert!(predicted_positive(0.81, 0.8));
/// assert!(!predicted_positive(0.8, 0.8));
/// ```
pub fn predicted_positive(probability: f64, threshold: f64) -> bool {
    probability > threshold
}

// ---------------------------------------------------------------------------------------------
// replicate membership
// ---------------------------------------------------------------------------------------------

/// FNV-1a 64-bit hash (offset basis `0xcbf29ce484222325`, prime `0x100000001b3`;
/// Fowler–Noll–Vo, IETF draft-eastlake-fnv).
///
/// ```
/// use drift_math::quality::fnv1a64;
/// assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
/// assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
/// ```
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// SplitMix64's golden-ratio increment `0x9E3779B97F4A7C15`.
const SPLITMIX_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// The `i`-th output (`i ≥ 1`) of Vigna's SplitMix64 generator seeded with `seed`:
/// `z = seed + i·0x9E3779B97F4A7C15`, then `z ^= z >> 30; z *= 0xBF58476D1CE4E5B9;
/// z ^= z >> 27; z *= 0x94D049BB133111EB; z ^= z >> 31` (all mod 2⁶⁴).
///
/// ```
/// use drift_math::quality::splitmix64;
/// // reference sequence for seed 1234567 (Vigna's splitmix64.c)
/// assert_eq!(splitmix64(1234567, 1), 6457827717110365317);
/// assert_eq!(splitmix64(1234567, 5), 16408922859458223821);
/// ```
pub fn splitmix64(seed: u64, i: u64) -> u64 {
    let mut z = seed.wrapping_add(i.wrapping_mul(SPLITMIX_GAMMA));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Whether the record with join key `key` belongs to replicate subsample `r`.
///
/// `u = ⌊splitmix64(fnv1a64(key), r + 1) / 2¹¹⌋ · 2⁻⁵³` is uniform on `[0, 1)` for distinct
/// keys; the record is in replicate `r` iff `u < 0.8` ([`REPLICATE_FRACTION`]). The rule is
/// stable across runs, machines and merge orders, so a record lands in the same replicates
/// whichever window state counts it. Records need distinct keys (the inference id / event id,
/// or the row number of a baseline file): records sharing a key share their replicates.
///
/// SageMaker draws its 5 subsamples with an unpublished seed; only the distribution of this
/// rule matches (independent 80 % Bernoulli membership per replicate), not the draws.
///
/// ```
/// use drift_math::quality::in_replicate;
/// let hits = (0..10_000).filter(|i| in_replicate(&i.to_string(), 0)).count();
/// assert!((7_800..8_200).contains(&hits));
/// ```
pub fn in_replicate(key: &str, r: usize) -> bool {
    replicate_u(fnv1a64(key.as_bytes()), r) < REPLICATE_FRACTION
}

/// Membership of `key` in each of the [`REPLICATES`] subsamples ([`in_replicate`] for
/// `r = 0..5`, hashing the key once).
pub fn replicate_membership(key: &str) -> [bool; REPLICATES] {
    let h = fnv1a64(key.as_bytes());
    std::array::from_fn(|r| replicate_u(h, r) < REPLICATE_FRACTION)
}

#[inline]
fn replicate_u(h: u64, r: usize) -> f64 {
    let z = splitmix64(h, r as u64 + 1);
    (z >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Population standard deviation `sqrt(Σ (vᵢ − v̄)² / n)` (NumPy `np.std`, `ddof = 0`);
/// `NaN` if any value is `NaN` or the slice is empty.
///
/// SageMaker does not document `ddof`; its files cannot tell either (every replicate metric
/// of a file scales by the same factor under a change of `ddof`), so NumPy's default is used.
///
/// ```
/// use drift_math::quality::population_std;
/// assert_eq!(population_std(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]), 2.0);
/// ```
pub fn population_std(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    (ss / n).sqrt()
}

// ---------------------------------------------------------------------------------------------
// replicates and standard deviation
// ---------------------------------------------------------------------------------------------

/// A mergeable model-quality state that [`Replicated`] can carry.
pub trait QualityState: Clone + Default {
    /// The scalar metric selector.
    type Metric: Copy;

    /// Records counted.
    fn count(&self) -> u64;

    /// Adds another state.
    fn merge_state(&mut self, other: &Self);

    /// The value of one metric on this state.
    fn metric_value(&self, m: Self::Metric) -> f64;

    /// The value of `m` on a replicate subsample of `full`. Defaults to
    /// [`metric_value`](Self::metric_value); states whose metric depends on a choice made
    /// from the data (the multiclass constant class) make it on `full`, so that all
    /// replicates measure the same thing.
    fn replicate_metric_value(&self, m: Self::Metric, full: &Self) -> f64 {
        let _ = full;
        self.metric_value(m)
    }
}

impl QualityState for BinaryConfusion {
    type Metric = BinaryMetric;
    fn count(&self) -> u64 {
        BinaryConfusion::count(self)
    }
    fn merge_state(&mut self, other: &Self) {
        self.merge(other);
    }
    fn metric_value(&self, m: BinaryMetric) -> f64 {
        self.metric(m)
    }
}

impl QualityState for MulticlassConfusion {
    type Metric = MulticlassMetric;
    fn count(&self) -> u64 {
        MulticlassConfusion::count(self)
    }
    fn merge_state(&mut self, other: &Self) {
        self.merge(other);
    }
    fn metric_value(&self, m: MulticlassMetric) -> f64 {
        self.metric(m)
    }
    /// Best-constant metrics use the constant class chosen on the full state.
    fn replicate_metric_value(&self, m: MulticlassMetric, full: &Self) -> f64 {
        if m.is_best_constant_classifier() {
            match full.best_constant_class() {
                Some(c) => self.constant_classifier_metric(c, m.base()),
                None => f64::NAN,
            }
        } else {
            self.metric(m)
        }
    }
}

impl QualityState for RegressionMoments {
    type Metric = RegressionMetric;
    fn count(&self) -> u64 {
        RegressionMoments::count(self)
    }
    fn merge_state(&mut self, other: &Self) {
        self.merge(other);
    }
    fn metric_value(&self, m: RegressionMetric) -> f64 {
        self.metric(m)
    }
}

/// A metric with its SageMaker `standard_deviation` (spec §8.1: `{"value": …,
/// "standard_deviation": … | "NaN"}`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricValue {
    /// the metric on all records
    pub value: f64,
    /// population standard deviation of the metric over the [`REPLICATES`] subsamples; `NaN`
    /// below [`MIN_SAMPLES_FOR_STD`] records or when a replicate value is `NaN`
    pub standard_deviation: f64,
}

/// A quality state plus [`REPLICATES`] replicate states over deterministic 80 % subsamples,
/// for SageMaker's `standard_deviation` (spec §8.1).
///
/// Every record goes into `full` and into replicate `r` iff [`in_replicate`]`(key, r)`.
/// Because membership depends only on the key, merging replicated states of disjoint record
/// sets gives the replicated state of their union, exactly as for the plain states.
///
/// `standard_deviation` = [`population_std`] of the metric over the 5 replicates, reported
/// only when `full` has at least [`MIN_SAMPLES_FOR_STD`] records.
///
/// ```
/// use drift_math::quality::{BinaryMetric, BinaryQuality};
/// let mut q = BinaryQuality::new();
/// for i in 0..1000u32 {
///     let actual = i % 3 == 0;
///     let predicted = i % 5 != 0;
///     q.update(&i.to_string(), actual, predicted, None).unwrap();
/// }
/// let v = q.metric(BinaryMetric::Accuracy);
/// assert_eq!(q.count(), 1000);
/// assert!(v.standard_deviation > 0.0 && v.standard_deviation < 0.05);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Replicated<S> {
    full: S,
    replicates: [S; REPLICATES],
}

/// Binary classification state with replicates.
pub type BinaryQuality = Replicated<BinaryConfusion>;
/// Multiclass classification state with replicates.
pub type MulticlassQuality = Replicated<MulticlassConfusion>;
/// Regression state with replicates.
pub type RegressionQuality = Replicated<RegressionMoments>;

impl<S: QualityState> Default for Replicated<S> {
    fn default() -> Self {
        Replicated {
            full: S::default(),
            replicates: std::array::from_fn(|_| S::default()),
        }
    }
}

impl<S: QualityState> Replicated<S> {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// The state over all records.
    pub fn full(&self) -> &S {
        &self.full
    }

    /// The replicate states.
    pub fn replicates(&self) -> &[S; REPLICATES] {
        &self.replicates
    }

    /// Records counted in the full state (`dataset.item_count`).
    pub fn count(&self) -> u64 {
        self.full.count()
    }

    /// Adds another replicated state (full into full, replicate `r` into replicate `r`).
    pub fn merge(&mut self, other: &Replicated<S>) {
        self.full.merge_state(&other.full);
        for (a, b) in self.replicates.iter_mut().zip(&other.replicates) {
            a.merge_state(b);
        }
    }

    /// Applies a record update to `full` and to the replicates `key` belongs to. The update
    /// validates before it mutates, so an error on `full` leaves everything unchanged.
    fn update_with<E>(&mut self, key: &str, f: impl Fn(&mut S) -> Result<(), E>) -> Result<(), E> {
        f(&mut self.full)?;
        for (state, member) in self.replicates.iter_mut().zip(replicate_membership(key)) {
            if member {
                f(state)?;
            }
        }
        Ok(())
    }

    /// A metric with its standard deviation (see the type's docs).
    pub fn metric(&self, m: S::Metric) -> MetricValue {
        let value = self.full.metric_value(m);
        let standard_deviation = self.std_by(|s| s.replicate_metric_value(m, &self.full));
        MetricValue {
            value,
            standard_deviation,
        }
    }

    /// Any statistic `f` of the state with its standard deviation over the replicates, e.g.
    /// a best-constant metric for a caller-chosen class.
    pub fn metric_by(&self, f: impl Fn(&S) -> f64) -> MetricValue {
        MetricValue {
            value: f(&self.full),
            standard_deviation: self.std_by(f),
        }
    }

    fn std_by(&self, f: impl Fn(&S) -> f64) -> f64 {
        if self.full.count() < MIN_SAMPLES_FOR_STD {
            return f64::NAN;
        }
        let values: [f64; REPLICATES] = std::array::from_fn(|r| f(&self.replicates[r]));
        population_std(&values)
    }
}

impl Replicated<BinaryConfusion> {
    /// [`BinaryConfusion::update`] on the full state and the replicates of `key`.
    ///
    /// # Errors
    ///
    /// As [`BinaryConfusion::update`]; nothing is counted on error.
    pub fn update(
        &mut self,
        key: &str,
        actual_positive: bool,
        predicted_positive: bool,
        probability: Option<f64>,
    ) -> Result<(), QualityError> {
        self.update_with(key, |s| {
            s.update(actual_positive, predicted_positive, probability)
        })
    }
}

impl Replicated<MulticlassConfusion> {
    /// [`MulticlassConfusion::update`] on the full state and the replicates of `key`.
    pub fn update(&mut self, key: &str, actual: &str, predicted: &str) {
        let Ok(()) = self.update_with(key, |s| {
            s.update(actual, predicted);
            Ok::<(), std::convert::Infallible>(())
        });
    }
}

impl Replicated<RegressionMoments> {
    /// [`RegressionMoments::update`] on the full state and the replicates of `key`.
    ///
    /// # Errors
    ///
    /// As [`RegressionMoments::update`]; nothing is counted on error.
    pub fn update(&mut self, key: &str, actual: f64, predicted: f64) -> Result<(), QualityError> {
        self.update_with(key, |s| s.update(actual, predicted))
    }
}

// ---------------------------------------------------------------------------------------------
// serde representations (our own state files; validated on read)
// ---------------------------------------------------------------------------------------------

#[cfg(feature = "serde")]
mod repr {
    use super::*;

    fn put_varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn get_varint(bytes: &[u8], pos: &mut usize) -> Result<u64, String> {
        let mut v: u64 = 0;
        let mut shift = 0u32;
        loop {
            let b = *bytes
                .get(*pos)
                .ok_or_else(|| format!("truncated varint at byte {}", *pos))?;
            *pos += 1;
            let low = u64::from(b & 0x7f);
            if shift == 63 && low > 1 || shift > 63 {
                return Err(format!("varint overflows 64 bits at byte {}", *pos - 1));
            }
            v |= low << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
        }
    }

    #[derive(serde::Serialize, serde::Deserialize)]
    pub(super) struct HistogramRepr {
        bins: u32,
        data: String,
    }

    impl From<&ScoreHistogram> for HistogramRepr {
        fn from(h: &ScoreHistogram) -> Self {
            let mut out = Vec::with_capacity(h.bins.len() * 4);
            let mut next = 0u32;
            for (bin, c) in h.bins.iter() {
                put_varint(&mut out, u64::from(bin - next));
                put_varint(&mut out, c.positives);
                put_varint(&mut out, c.negatives);
                next = bin + 1;
            }
            HistogramRepr {
                bins: SCORE_BINS,
                data: crate::codec::encode_b64(&out),
            }
        }
    }

    impl TryFrom<HistogramRepr> for ScoreHistogram {
        type Error = String;
        fn try_from(r: HistogramRepr) -> Result<Self, String> {
            if r.bins != SCORE_BINS {
                return Err(format!(
                    "score histogram has {} bins, expected {SCORE_BINS}",
                    r.bins
                ));
            }
            let bytes = crate::codec::decode_b64(&r.data)?;
            let mut h = ScoreHistogram::new();
            let mut pos = 0usize;
            let mut next: u64 = 0;
            while pos < bytes.len() {
                let bin = next
                    .checked_add(get_varint(&bytes, &mut pos)?)
                    .filter(|&b| b < u64::from(SCORE_BINS))
                    .ok_or_else(|| format!("score bin out of range near byte {pos}"))?;
                let positives = get_varint(&bytes, &mut pos)?;
                let negatives = get_varint(&bytes, &mut pos)?;
                if positives == 0 && negatives == 0 {
                    return Err(format!("empty score bin {bin} stored"));
                }
                h.positives = h
                    .positives
                    .checked_add(positives)
                    .ok_or("positive count overflows u64")?;
                h.negatives = h
                    .negatives
                    .checked_add(negatives)
                    .ok_or("negative count overflows u64")?;
                h.bins.add(bin as u32, positives, negatives);
                next = bin + 1;
            }
            Ok(h)
        }
    }

    #[derive(serde::Deserialize)]
    pub(super) struct BinaryConfusionRepr {
        counts: BinaryCounts,
        scores: ScoreHistogram,
    }

    impl TryFrom<BinaryConfusionRepr> for BinaryConfusion {
        type Error = String;
        fn try_from(r: BinaryConfusionRepr) -> Result<Self, String> {
            let c = r.counts;
            let positives = c.true_positives.checked_add(c.false_negatives);
            let negatives = c.true_negatives.checked_add(c.false_positives);
            if positives != Some(r.scores.positives) || negatives != Some(r.scores.negatives) {
                return Err(format!(
                    "confusion counts {c:?} disagree with score histogram totals \
                     ({} positives, {} negatives)",
                    r.scores.positives, r.scores.negatives
                ));
            }
            Ok(BinaryConfusion {
                counts: c,
                scores: r.scores,
            })
        }
    }

    #[derive(serde::Deserialize)]
    pub(super) struct MulticlassRepr {
        counts: BTreeMap<String, BTreeMap<String, u64>>,
        n: u64,
    }

    impl TryFrom<MulticlassRepr> for MulticlassConfusion {
        type Error = String;
        fn try_from(r: MulticlassRepr) -> Result<Self, String> {
            let mut total: u64 = 0;
            for (a, row) in &r.counts {
                if row.is_empty() {
                    return Err(format!("empty confusion row for actual label {a:?}"));
                }
                for (p, &c) in row {
                    if c == 0 {
                        return Err(format!("zero count stored for cell ({a:?}, {p:?})"));
                    }
                    total = total.checked_add(c).ok_or("record count overflows u64")?;
                }
            }
            if total != r.n {
                return Err(format!(
                    "confusion cells sum to {total}, state says {}",
                    r.n
                ));
            }
            Ok(MulticlassConfusion {
                counts: r.counts,
                n: r.n,
            })
        }
    }

    #[derive(serde::Deserialize)]
    pub(super) struct RegressionRepr {
        sum_abs_error: f64,
        sum_squared_error: f64,
        actual: Moments,
    }

    impl TryFrom<RegressionRepr> for RegressionMoments {
        type Error = String;
        fn try_from(r: RegressionRepr) -> Result<Self, String> {
            for (name, v) in [
                ("sum_abs_error", r.sum_abs_error),
                ("sum_squared_error", r.sum_squared_error),
            ] {
                if !(v.is_finite() && v >= 0.0) {
                    return Err(format!("invalid {name} {v}"));
                }
            }
            Ok(RegressionMoments {
                sum_abs_error: r.sum_abs_error,
                sum_squared_error: r.sum_squared_error,
                actual: r.actual,
            })
        }
    }
}

#[cfg(feature = "serde")]
use repr::{BinaryConfusionRepr, MulticlassRepr, RegressionRepr};

#[cfg(feature = "serde")]
impl serde::Serialize for ScoreHistogram {
    /// `{"bins": 65536, "data": "<base64 of LEB128 triples>"}` (see the type's docs).
    fn serialize<Ser: serde::Serializer>(&self, s: Ser) -> Result<Ser::Ok, Ser::Error> {
        serde::Serialize::serialize(&repr::HistogramRepr::from(self), s)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for ScoreHistogram {
    /// Decodes and validates the compact form written by `Serialize`.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = <repr::HistogramRepr as serde::Deserialize>::deserialize(d)?;
        ScoreHistogram::try_from(r).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_of_edges() {
        assert_eq!(ScoreHistogram::bin_of(0.0).unwrap(), 0);
        assert_eq!(ScoreHistogram::bin_of(-0.0).unwrap(), 0);
        assert_eq!(ScoreHistogram::bin_of(1.0).unwrap(), SCORE_BINS - 1);
        assert_eq!(ScoreHistogram::bin_of(0.5).unwrap(), SCORE_BINS / 2);
        assert_eq!(
            ScoreHistogram::bin_of(0.5 - f64::EPSILON).unwrap(),
            SCORE_BINS / 2 - 1
        );
        assert!(ScoreHistogram::bin_of(f64::NAN).is_err());
        assert!(ScoreHistogram::bin_of(1.0 + f64::EPSILON).is_err());
        assert!(ScoreHistogram::bin_of(-1e-300).is_err());
    }

    #[test]
    fn thresholds_are_bounded_and_end_with_everything() {
        let mut h = ScoreHistogram::new();
        for i in 0..1000u32 {
            h.add(f64::from(i) / 1000.0, i % 3 == 0).unwrap();
        }
        let t = h.thresholds();
        assert_eq!(t.len(), MAX_CURVE_THRESHOLDS);
        assert_eq!(*t.last().unwrap(), (h.positives(), h.negatives()));
        let mut h2 = ScoreHistogram::new();
        for i in 0..101u32 {
            h2.add(f64::from(i) / 101.0, i % 2 == 0).unwrap();
        }
        // 101 bins → groups of 2 → 51 points
        assert_eq!(h2.thresholds().len(), 51);
    }
}
