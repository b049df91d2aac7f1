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
// score histogram
// ---------------------------------------------------------------------------------------------

/// Positive and negative record counts of one score bin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LabelCounts {
    /// records whose actual label is the positive label
    pub positives: u64,
    /// all other records
    pub negatives: u64,
}

/// Sparse fixed-width histogram of predicted probabilities, split by actual label: the state
/// behind `auc` and the ROC / PR curves.
///
/// [`SCORE_BINS`] = 2¹⁶ bins of width `h = 2⁻¹⁶` over `[0, 1]`; only non-empty bins are stored
/// (sorted), so a window of `n` records costs at most `min(n, 2¹⁶)` entries. Merging adds
/// counts bin by bin and is exact, commutative and associative.
///
/// Scores within a bin are treated as ties; the AUC read from it is therefore the exact
/// Mann–Whitney AUC of the *binned* scores. [`auc_error_bound`](Self::auc_error_bound) bounds
/// the distance to the exact AUC of the raw scores (what scikit-learn's `roc_auc_score` and
/// Spark's `areaUnderROC` return).
///
/// With the `serde` feature it serialises as `{"bins": 65536, "data": "<base64>"}` where
/// `data` is, for each non-empty bin in ascending order, three unsigned LEB128 varints: the
/// gap to the previous non-empty bin (`bin − previous − 1`, or `bin` for the first), the
/// positive count and the negative count. Decoding rejects another bin count, out-of-range or
/// empty bins and truncated input.
///
/// ```
/// use drift_math::quality::ScoreHistogram;
/// let mut h = ScoreHistogram::new();
/// for (p, pos) in [(0.9, true), (0.8, false), (0.7, true), (0.1, false)] {
///     h.add(p, pos).unwrap();
/// }
/// assert_eq!(h.auc(), 0.75); // 3 of the 4 (positive, negative) pairs are ordered correctly
/// assert_eq!(h.auc_error_bound(), 0.0); // no bin holds both labels
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScoreHistogram {
    bins: BTreeMap<u32, LabelCounts>,
    positives: u64,
    negatives: u64,
}

/// A ROC curve: `false_positive_rates[i]`, `true_positive_rates[i]` is one point.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RocCurve {
    /// x coordinates, `FP / negatives` (0 when there are no negatives, Spark's convention)
    pub false_positive_rates: Vec<f64>,
    /// y coordinates, `TP / positives` (0 when there are no positives, Spark's convention)
    pub true_positive_rates: Vec<f64>,
}

/// A precision–recall curve: `precisions[i]`, `recalls[i]` is one point.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PrCurve {
    /// `TP / (TP + FP)` at each threshold (never 0/0: every threshold admits a record)
    pub precisions: Vec<f64>,
    /// `TP / positives` at each threshold (0 when there are no positives)
    pub recalls: Vec<f64>,
}

impl ScoreHistogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bin of probability `p`: `min(⌊p·2¹⁶⌋, 2¹⁶ − 1)` (exact: the scale is a power of
    /// two).
    ///
    /// # Errors
    ///
    /// [`QualityError::ProbabilityOutOfRange`] if `p` is `NaN` or outside `[0, 1]`. Values are
    /// rejected rather than clamped: a raw margin or a log-odds passed by mistake would
    /// otherwise silently collapse into the end bins.
    pub fn bin_of(p: f64) -> Result<u32, QualityError> {
        if !(0.0..=1.0).contains(&p) {
            return Err(QualityError::ProbabilityOutOfRange { value: p });
        }
        // p·2¹⁶ ∈ [0, 65536] is exact; `as` truncates, i.e. floors a non-negative value.
        Ok(((p * f64::from(SCORE_BINS)) as u32).min(SCORE_BINS - 1))
    }

    /// Lower edge `k / 2¹⁶` of bin `k`.
    pub fn bin_lower_edge(bin: u32) -> f64 {
        f64::from(bin) / f64::from(SCORE_BINS)
    }

    /// Counts one record with probability `p` and actual label `positive`.
    ///
    /// # Errors
    ///
    /// As [`bin_of`](Self::bin_of); the histogram is unchanged on error.
    pub fn add(&mut self, p: f64, positive: bool) -> Result<(), QualityError> {
        let bin = Self::bin_of(p)?;
        self.add_to_bin(bin, positive);
        Ok(())
    }

    fn add_to_bin(&mut self, bin: u32, positive: bool) {
        let c = self.bins.entry(bin).or_default();
        if positive {
            c.positives += 1;
            self.positives += 1;
        } else {
            c.negatives += 1;
            self.negatives += 1;
        }
    }

    /// Adds every bin of `other` (exact).
    pub fn merge(&mut self, other: &ScoreHistogram) {
        for (&bin, c) in &other.bins {
            let e = self.bins.entry(bin).or_default();
            e.positives += c.positives;
            e.negatives += c.negatives;
        }
        self.positives += other.positives;
        self.negatives += other.negatives;
    }

    /// Total positive records.
    pub fn positives(&self) -> u64 {
        self.positives
    }

    /// Total negative records.
    pub fn negatives(&self) -> u64 {
        self.negatives
    }

    /// Number of non-empty bins.
    pub fn len(&self) -> usize {
        self.bins.len()
    }

    /// Whether no record was counted.
    pub fn is_empty(&self) -> bool {
        self.bins.is_empty()
    }

    /// Non-empty bins in ascending order, as `(bin, counts)`.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (u32, LabelCounts)> + '_ {
        self.bins.iter().map(|(&b, &c)| (b, c))
    }

    /// Area under the ROC curve of the binned scores, i.e. the Mann–Whitney statistic with
    /// ties counted ½:
    ///
    /// `AUC = Σ_k neg_k · (pos_{>k} + pos_k / 2) / (P·N)`
    ///
    /// where `pos_{>k}` counts positives in bins above `k`. This equals the trapezoid rule over
    /// the ROC curve through every bin boundary (Hanley & McNeil 1982; Fawcett 2006 §6). The sum
    /// is accumulated exactly in integers (`2·AUC·P·N` as `u128`) and divided once, so the
    /// result does not depend on merge order. `NaN` when there are no positives or no
    /// negatives (scikit-learn raises; the AUC is undefined).
    ///
    /// The curve is never down-sampled for the area (unlike Spark with `numBins > 0`).
    pub fn auc(&self) -> f64 {
        if self.positives == 0 || self.negatives == 0 {
            return f64::NAN;
        }
        let mut above: u128 = 0;
        let mut twice_area: u128 = 0;
        for c in self.bins.values().rev() {
            let pos = u128::from(c.positives);
            twice_area += u128::from(c.negatives) * (2 * above + pos);
            above += pos;
        }
        let denom = 2 * u128::from(self.positives) * u128::from(self.negatives);
        twice_area as f64 / denom as f64
    }

    /// Bound on `|auc() − AUC_exact|`, where `AUC_exact` is the AUC of the unbinned scores
    /// (`sklearn.metrics.roc_auc_score`): `E = Σ_k pos_k·neg_k / (2·P·N)`.
    ///
    /// Proof. Write `AUC = (1/PN) Σ_{i∈pos, j∈neg} φ(sᵢ, sⱼ)` with `φ(a, b) = 1` if `a > b`,
    /// `½` if `a = b`, `0` otherwise, for both the raw scores `s` and the bin indices
    /// `b(s) = ⌊s·2¹⁶⌋`. `b` is non-decreasing, so `b(sᵢ) > b(sⱼ)` implies `sᵢ > sⱼ`: every
    /// pair in *different* bins has the same `φ` for raw and binned scores. A pair in the *same*
    /// bin has binned `φ = ½` and raw `φ ∈ {0, ½, 1}`, an error of at most `½`. Summing over
    /// the `Σ_k pos_k·neg_k` same-bin pairs gives `|Δ| ≤ E`. ∎
    ///
    /// Size: `E ≤ max_k neg_k / (2N)`, half the largest share of negatives in one bin. For
    /// scores whose densities are bounded by `f` where the classes overlap this is about
    /// `f·h/2 = f·2⁻¹⁷ ≈ 7.6·10⁻⁶·f`, so the binned AUC is within `10⁻⁴` of the exact one
    /// unless more than ~0.02 % of one class sits inside a single bin of width `1.5·10⁻⁵`
    /// together with records of the other class (e.g. hard 0/1 predictions, where the tie
    /// treatment is exactly scikit-learn's anyway). In practice the error is far below `E`:
    /// within-bin orderings are as likely right as wrong.
    pub fn auc_error_bound(&self) -> f64 {
        if self.positives == 0 || self.negatives == 0 {
            return f64::NAN;
        }
        let same_bin: u128 = self
            .bins
            .values()
            .map(|c| u128::from(c.positives) * u128::from(c.negatives))
            .sum();
        same_bin as f64 / (2 * u128::from(self.positives) * u128::from(self.negatives)) as f64
    }

    /// Cumulative `(TP, FP)` after each threshold, scanning bins from the highest score down.
    ///
    /// Thresholds are the non-empty bins (Spark: the distinct scores), grouped into runs of
    /// `g = ⌈bins / MAX_CURVE_THRESHOLDS⌉` consecutive bins, one point per run (its last,
    /// i.e. lowest, bin). Spark groups `⌊count / numBins⌋` points and skips grouping below 2,
    /// which can give up to `2·numBins` points; the ceiling keeps at most
    /// [`MAX_CURVE_THRESHOLDS`] here. The last point is always all records (`TP = P`,
    /// `FP = N`).
    fn thresholds(&self) -> Vec<(u64, u64)> {
        let k = self.bins.len();
        let group = k.div_ceil(MAX_CURVE_THRESHOLDS).max(1);
        let mut out = Vec::with_capacity(k.min(MAX_CURVE_THRESHOLDS));
        let (mut tp, mut fp) = (0u64, 0u64);
        for (i, c) in self.bins.values().rev().enumerate() {
            tp += c.positives;
            fp += c.negatives;
            if (i + 1) % group == 0 || i + 1 == k {
                out.push((tp, fp));
            }
        }
        out
    }

    /// ROC curve in Spark MLlib `BinaryClassificationMetrics.roc()` form: `(0, 0)`, then
    /// `(FPR, TPR)` at each threshold from the highest score down (see
    /// [`MAX_CURVE_THRESHOLDS`] for the grouping), then `(1, 1)` appended. The last threshold
    /// admits every record, so the curve ends with `(1, 1)` twice, exactly as Spark's does.
    /// Rates with a zero denominator are 0 (Spark's `FalsePositiveRate` / `Recall`). An empty
    /// histogram gives `[(0, 0), (1, 1)]`.
    pub fn roc_curve(&self) -> RocCurve {
        let mut fprs = vec![0.0];
        let mut tprs = vec![0.0];
        for (tp, fp) in self.thresholds() {
            fprs.push(ratio_or(fp, self.negatives, 0.0));
            tprs.push(ratio_or(tp, self.positives, 0.0));
        }
        fprs.push(1.0);
        tprs.push(1.0);
        RocCurve {
            false_positive_rates: fprs,
            true_positive_rates: tprs,
        }
    }

    /// Precision–recall curve in Spark MLlib `BinaryClassificationMetrics.pr()` form (Spark
    /// ≥ 1.6): `(recall, precision)` at each threshold from the highest score down, with
    /// `(0, p₁)` prepended where `p₁` is the first threshold's precision (spec §8.2). Recall is
    /// 0 without positives (Spark's `Recall`). An empty histogram gives empty vectors (Spark
    /// fails on an empty curve).
    pub fn pr_curve(&self) -> PrCurve {
        let points = self.thresholds();
        let mut precisions = Vec::with_capacity(points.len() + 1);
        let mut recalls = Vec::with_capacity(points.len() + 1);
        for (i, &(tp, fp)) in points.iter().enumerate() {
            // tp + fp ≥ 1: every threshold admits at least one record
            let precision = ratio_or(tp, tp + fp, 1.0);
            if i == 0 {
                precisions.push(precision);
                recalls.push(0.0);
            }
            precisions.push(precision);
            recalls.push(ratio_or(tp, self.positives, 0.0));
        }
        PrCurve {
            precisions,
            recalls,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// binary classification
// ---------------------------------------------------------------------------------------------

/// Binary confusion counts for the configured positive label.
///
/// Every rate follows spec §8.3; a zero denominator gives `NaN`. Caution for constraint
/// checks: `NaN < threshold` is false, so a window where a ratio is undefined never violates a
/// `LessThanThreshold` constraint unless the caller tests for `NaN`.
///
/// ```
/// use drift_math::quality::BinaryCounts;
/// // DG example (spec §8.3): TN = 1, FP = 2, FN = 0, TP = 1
/// let c = BinaryCounts { true_positives: 1, false_positives: 2, true_negatives: 1, false_negatives: 0 };
/// assert_eq!(c.precision(), 0.3333333333333333);
/// assert_eq!(c.true_negative_rate(), 0.33333333333333337); // 1 − 2/3, as SageMaker prints
/// assert_eq!(c.f_beta_best_constant_classifier(2.0), 0.625);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BinaryCounts {
    /// actual positive, predicted positive
    pub true_positives: u64,
    /// actual negative, predicted positive
    pub false_positives: u64,
    /// actual negative, predicted negative
    pub true_negatives: u64,
    /// actual positive, predicted negative
    pub false_negatives: u64,
}

impl BinaryCounts {
    /// `N = TP + FP + TN + FN`.
    pub fn total(&self) -> u64 {
        self.true_positives + self.false_positives + self.true_negatives + self.false_negatives
    }

    /// Actual positives `P = TP + FN`.
    pub fn positives(&self) -> u64 {
        self.true_positives + self.false_negatives
    }

    /// Actual negatives `TN + FP`.
    pub fn negatives(&self) -> u64 {
        self.true_negatives + self.false_positives
    }

    /// `precision = TP / (TP + FP)`; `NaN` if nothing was predicted positive.
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// `recall = TP / (TP + FN)`; `NaN` without actual positives.
    pub fn recall(&self) -> f64 {
        ratio(self.true_positives, self.positives())
    }

    /// `accuracy = (TP + TN) / N`; `NaN` when empty.
    pub fn accuracy(&self) -> f64 {
        ratio(self.true_positives + self.true_negatives, self.total())
    }

    /// `true_positive_rate = TP / (TP + FN)` (= recall).
    pub fn true_positive_rate(&self) -> f64 {
        self.recall()
    }

    /// `false_positive_rate = FP / (FP + TN)`; `NaN` without actual negatives.
    pub fn false_positive_rate(&self) -> f64 {
        ratio(self.false_positives, self.negatives())
    }

    /// `true_negative_rate = 1 − FP / (FP + TN)`, computed as SageMaker does (the DG example
    /// prints `0.33333333333333337`, which is `1 − 2/3`, not `1/3`).
    pub fn true_negative_rate(&self) -> f64 {
        1.0 - self.false_positive_rate()
    }

    /// `false_negative_rate = 1 − TP / (TP + FN)`, computed as SageMaker does (the churn
    /// baseline prints `0.4285714285714286` = `1 − 16/28`, not `12/28`).
    pub fn false_negative_rate(&self) -> f64 {
        1.0 - self.true_positive_rate()
    }

    /// `F_β` of [`precision`](Self::precision) and [`recall`](Self::recall) via [`f_beta`].
    pub fn f_beta(&self, beta: f64) -> f64 {
        f_beta(self.precision(), self.recall(), beta)
    }

    /// Precision of the best constant classifier, which always predicts the positive label
    /// (spec §8.3): `P / N`, the positive rate.
    pub fn precision_best_constant_classifier(&self) -> f64 {
        ratio(self.positives(), self.total())
    }

    /// Recall of the always-positive classifier: `P / P` = 1 (`NaN` without positives).
    pub fn recall_best_constant_classifier(&self) -> f64 {
        ratio(self.positives(), self.positives())
    }

    /// Accuracy of the always-positive classifier: `P / N`.
    pub fn accuracy_best_constant_classifier(&self) -> f64 {
        ratio(self.positives(), self.total())
    }

    /// `F_β` of the always-positive classifier's precision and recall.
    pub fn f_beta_best_constant_classifier(&self, beta: f64) -> f64 {
        f_beta(
            self.precision_best_constant_classifier(),
            self.recall_best_constant_classifier(),
            beta,
        )
    }

    /// `confusion_matrix` as SageMaker writes it (spec §8.2): outer key the **actual** label,
    /// inner key the predicted label, `"1"` = positive and `"0"` = negative, all four cells
    /// present (zeros included, as in the DG example).
    pub fn confusion_matrix(&self) -> BTreeMap<String, BTreeMap<String, u64>> {
        let row =
            |neg: u64, pos: u64| BTreeMap::from([("0".to_owned(), neg), ("1".to_owned(), pos)]);
        BTreeMap::from([
            (
                "0".to_owned(),
                row(self.true_negatives, self.false_positives),
            ),
            (
                "1".to_owned(),
                row(self.false_negatives, self.true_positives),
            ),
        ])
    }
}

/// Scalar metrics of `binary_classification_metrics` (spec §8.2), in the order SageMaker
/// writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryMetric {
    /// `recall`
    Recall,
    /// `precision`
    Precision,
    /// `accuracy`
    Accuracy,
    /// `recall_best_constant_classifier`
    RecallBestConstantClassifier,
    /// `precision_best_constant_classifier`
    PrecisionBestConstantClassifier,
    /// `accuracy_best_constant_classifier`
    AccuracyBestConstantClassifier,
    /// `true_positive_rate`
    TruePositiveRate,
    /// `true_negative_rate`
    TrueNegativeRate,
    /// `false_positive_rate`
    FalsePositiveRate,
    /// `false_negative_rate`
    FalseNegativeRate,
    /// `auc`
    Auc,
    /// `f0_5`
    F0_5,
    /// `f1`
    F1,
    /// `f2`
    F2,
    /// `f0_5_best_constant_classifier`
    F0_5BestConstantClassifier,
    /// `f1_best_constant_classifier`
    F1BestConstantClassifier,
    /// `f2_best_constant_classifier`
    F2BestConstantClassifier,
}

impl BinaryMetric {
    /// Every scalar binary metric in SageMaker's key order (spec §8.2; `confusion_matrix` and
    /// the two curves, which are not scalars, sit before `auc` in the file).
    pub const ALL: [BinaryMetric; 17] = [
        BinaryMetric::Recall,
        BinaryMetric::Precision,
        BinaryMetric::Accuracy,
        BinaryMetric::RecallBestConstantClassifier,
        BinaryMetric::PrecisionBestConstantClassifier,
        BinaryMetric::AccuracyBestConstantClassifier,
        BinaryMetric::TruePositiveRate,
        BinaryMetric::TrueNegativeRate,
        BinaryMetric::FalsePositiveRate,
        BinaryMetric::FalseNegativeRate,
        BinaryMetric::Auc,
        BinaryMetric::F0_5,
        BinaryMetric::F1,
        BinaryMetric::F2,
        BinaryMetric::F0_5BestConstantClassifier,
        BinaryMetric::F1BestConstantClassifier,
        BinaryMetric::F2BestConstantClassifier,
    ];

    /// The `statistics.json` / `constraints.json` key (spec §8.2).
    pub fn key(self) -> &'static str {
        match self {
            BinaryMetric::Recall => "recall",
            BinaryMetric::Precision => "precision",
            BinaryMetric::Accuracy => "accuracy",
            BinaryMetric::RecallBestConstantClassifier => "recall_best_constant_classifier",
            BinaryMetric::PrecisionBestConstantClassifier => "precision_best_constant_classifier",
            BinaryMetric::AccuracyBestConstantClassifier => "accuracy_best_constant_classifier",
            BinaryMetric::TruePositiveRate => "true_positive_rate",
            BinaryMetric::TrueNegativeRate => "true_negative_rate",
            BinaryMetric::FalsePositiveRate => "false_positive_rate",
            BinaryMetric::FalseNegativeRate => "false_negative_rate",
            BinaryMetric::Auc => "auc",
            BinaryMetric::F0_5 => "f0_5",
            BinaryMetric::F1 => "f1",
            BinaryMetric::F2 => "f2",
            BinaryMetric::F0_5BestConstantClassifier => "f0_5_best_constant_classifier",
            BinaryMetric::F1BestConstantClassifier => "f1_best_constant_classifier",
            BinaryMetric::F2BestConstantClassifier => "f2_best_constant_classifier",
        }
    }

    /// Whether smaller is better: `false_positive_rate` and `false_negative_rate` (the churn
    /// notebook's constraints use `GreaterThanThreshold` for exactly these, spec §4.3);
    /// every other binary metric is higher-is-better (`LessThanThreshold`).
    pub fn lower_is_better(self) -> bool {
        matches!(
            self,
            BinaryMetric::FalsePositiveRate | BinaryMetric::FalseNegativeRate
        )
    }
}

/// Mergeable binary-classification state: [`BinaryCounts`] plus a [`ScoreHistogram`] of the
/// predicted probability.
///
/// Every record adds one confusion cell and one histogram entry. With a probability, the
/// histogram takes the probability; without one, it takes the 0/1 prediction as the score
/// (`1.0` if predicted positive), so `auc` and the curves are those of the hard predictions,
/// as Spark's `BinaryClassificationMetrics` computes them when fed predictions instead of
/// scores. Windows mixing both kinds merge without special handling.
///
/// ```
/// use drift_math::quality::{BinaryConfusion, BinaryMetric};
/// let mut s = BinaryConfusion::new();
/// s.update(true, true, Some(0.9)).unwrap();
/// s.update(false, true, Some(0.6)).unwrap();
/// s.update(false, false, Some(0.2)).unwrap();
/// assert_eq!(s.metric(BinaryMetric::Precision), 0.5);
/// assert_eq!(s.metric(BinaryMetric::Auc), 1.0);
/// assert!(s.update(true, true, Some(1.5)).is_err()); // rejected, state unchanged
/// assert_eq!(s.count(), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "BinaryConfusionRepr")
)]
pub struct BinaryConfusion {
    counts: BinaryCounts,
    scores: ScoreHistogram,
}

impl BinaryConfusion {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one record: `actual_positive` is whether the ground-truth label equals the
    /// configured positive label, `predicted_positive` whether the predicted label does (see
    /// [`predicted_positive`] to derive it from a probability), `probability` the predicted
    /// probability of the positive label, if any.
    ///
    /// # Errors
    ///
    /// [`QualityError::ProbabilityOutOfRange`] for a `NaN` or out-of-`[0, 1]` probability; the
    /// record is not counted.
    pub fn update(
        &mut self,
        actual_positive: bool,
        predicted_positive: bool,
        probability: Option<f64>,
    ) -> Result<(), QualityError> {
        let score = probability.unwrap_or(if predicted_positive { 1.0 } else { 0.0 });
        let bin = ScoreHistogram::bin_of(score)?;
        let c = &mut self.counts;
        match (actual_positive, predicted_positive) {
            (true, true) => c.true_positives += 1,
            (false, true) => c.false_positives += 1,
            (false, false) => c.true_negatives += 1,
            (true, false) => c.false_negatives += 1,
        }
        self.scores.add_to_bin(bin, actual_positive);
        Ok(())
    }

    /// Adds another state (exact: counts and bins add).
    pub fn merge(&mut self, other: &BinaryConfusion) {
        let (a, b) = (&mut self.counts, &other.counts);
        a.true_positives += b.true_positives;
        a.false_positives += b.false_positives;
        a.true_negatives += b.true_negatives;
        a.false_negatives += b.false_negatives;
        self.scores.merge(&other.scores);
    }

    /// Records counted (`dataset.item_count`).
    pub fn count(&self) -> u64 {
        self.counts.total()
    }

    /// The confusion counts.
    pub fn counts(&self) -> &BinaryCounts {
        &self.counts
    }

    /// The score histogram.
    pub fn scores(&self) -> &ScoreHistogram {
        &self.scores
    }

    /// `auc` ([`ScoreHistogram::auc`]).
    pub fn auc(&self) -> f64 {
        self.scores.auc()
    }

    /// `receiver_operating_characteristic_curve` ([`ScoreHistogram::roc_curve`]).
    pub fn roc_curve(&self) -> RocCurve {
        self.scores.roc_curve()
    }

    /// `precision_recall_curve` ([`ScoreHistogram::pr_curve`]).
    pub fn pr_curve(&self) -> PrCurve {
        self.scores.pr_curve()
    }

    /// `confusion_matrix` ([`BinaryCounts::confusion_matrix`]).
    pub fn confusion_matrix(&self) -> BTreeMap<String, BTreeMap<String, u64>> {
        self.counts.confusion_matrix()
    }

    /// The value of one scalar metric (formulas on [`BinaryCounts`] and
    /// [`ScoreHistogram::auc`]).
    pub fn metric(&self, m: BinaryMetric) -> f64 {
        let c = &self.counts;
        match m {
            BinaryMetric::Recall => c.recall(),
            BinaryMetric::Precision => c.precision(),
            BinaryMetric::Accuracy => c.accuracy(),
            BinaryMetric::RecallBestConstantClassifier => c.recall_best_constant_classifier(),
            BinaryMetric::PrecisionBestConstantClassifier => c.precision_best_constant_classifier(),
            BinaryMetric::AccuracyBestConstantClassifier => c.accuracy_best_constant_classifier(),
            BinaryMetric::TruePositiveRate => c.true_positive_rate(),
            BinaryMetric::TrueNegativeRate => c.true_negative_rate(),
            BinaryMetric::FalsePositiveRate => c.false_positive_rate(),
            BinaryMetric::FalseNegativeRate => c.false_negative_rate(),
            BinaryMetric::Auc => self.scores.auc(),
            BinaryMetric::F0_5 => c.f_beta(0.5),
            BinaryMetric::F1 => c.f_beta(1.0),
            BinaryMetric::F2 => c.f_beta(2.0),
            BinaryMetric::F0_5BestConstantClassifier => c.f_beta_best_constant_classifier(0.5),
            BinaryMetric::F1BestConstantClassifier => c.f_beta_best_constant_classifier(1.0),
            BinaryMetric::F2BestConstantClassifier => c.f_beta_best_constant_classifier(2.0),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// multiclass classification
// ---------------------------------------------------------------------------------------------

/// Scalar metrics of `multiclass_classification_metrics` (spec §8.2), in SageMaker's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MulticlassMetric {
    /// `accuracy`
    Accuracy,
    /// `weighted_recall`
    WeightedRecall,
    /// `weighted_precision`
    WeightedPrecision,
    /// `weighted_f0_5`
    WeightedF0_5,
    /// `weighted_f1`
    WeightedF1,
    /// `weighted_f2`
    WeightedF2,
    /// `accuracy_best_constant_classifier`
    AccuracyBestConstantClassifier,
    /// `weighted_recall_best_constant_classifier`
    WeightedRecallBestConstantClassifier,
    /// `weighted_precision_best_constant_classifier`
    WeightedPrecisionBestConstantClassifier,
    /// `weighted_f0_5_best_constant_classifier`
    WeightedF0_5BestConstantClassifier,
    /// `weighted_f1_best_constant_classifier`
    WeightedF1BestConstantClassifier,
    /// `weighted_f2_best_constant_classifier`
    WeightedF2BestConstantClassifier,
}

impl MulticlassMetric {
    /// Every scalar multiclass metric in SageMaker's key order (spec §8.2).
    pub const ALL: [MulticlassMetric; 12] = [
        MulticlassMetric::Accuracy,
        MulticlassMetric::WeightedRecall,
        MulticlassMetric::WeightedPrecision,
        MulticlassMetric::WeightedF0_5,
        MulticlassMetric::WeightedF1,
        MulticlassMetric::WeightedF2,
        MulticlassMetric::AccuracyBestConstantClassifier,
        MulticlassMetric::WeightedRecallBestConstantClassifier,
        MulticlassMetric::WeightedPrecisionBestConstantClassifier,
        MulticlassMetric::WeightedF0_5BestConstantClassifier,
        MulticlassMetric::WeightedF1BestConstantClassifier,
        MulticlassMetric::WeightedF2BestConstantClassifier,
    ];

    /// The `statistics.json` / `constraints.json` key (spec §8.2).
    pub fn key(self) -> &'static str {
        match self {
            MulticlassMetric::Accuracy => "accuracy",
            MulticlassMetric::WeightedRecall => "weighted_recall",
            MulticlassMetric::WeightedPrecision => "weighted_precision",
            MulticlassMetric::WeightedF0_5 => "weighted_f0_5",
            MulticlassMetric::WeightedF1 => "weighted_f1",
            MulticlassMetric::WeightedF2 => "weighted_f2",
            MulticlassMetric::AccuracyBestConstantClassifier => "accuracy_best_constant_classifier",
            MulticlassMetric::WeightedRecallBestConstantClassifier => {
                "weighted_recall_best_constant_classifier"
            }
            MulticlassMetric::WeightedPrecisionBestConstantClassifier => {
                "weighted_precision_best_constant_classifier"
            }
            MulticlassMetric::WeightedF0_5BestConstantClassifier => {
                "weighted_f0_5_best_constant_classifier"
            }
            MulticlassMetric::WeightedF1BestConstantClassifier => {
                "weighted_f1_best_constant_classifier"
            }
            MulticlassMetric::WeightedF2BestConstantClassifier => {
                "weighted_f2_best_constant_classifier"
            }
        }
    }

    /// Whether this is a `*_best_constant_classifier` metric.
    pub fn is_best_constant_classifier(self) -> bool {
        self.base() != self
    }

    /// The model metric a `*_best_constant_classifier` metric applies to the constant
    /// classifier (itself for the others).
    pub fn base(self) -> MulticlassMetric {
        match self {
            MulticlassMetric::AccuracyBestConstantClassifier => MulticlassMetric::Accuracy,
            MulticlassMetric::WeightedRecallBestConstantClassifier => {
                MulticlassMetric::WeightedRecall
            }
            MulticlassMetric::WeightedPrecisionBestConstantClassifier => {
                MulticlassMetric::WeightedPrecision
            }
            MulticlassMetric::WeightedF0_5BestConstantClassifier => MulticlassMetric::WeightedF0_5,
            MulticlassMetric::WeightedF1BestConstantClassifier => MulticlassMetric::WeightedF1,
            MulticlassMetric::WeightedF2BestConstantClassifier => MulticlassMetric::WeightedF2,
            m => m,
        }
    }
}

/// Per true class: support (true-label count), true positives, predicted count.
#[derive(Debug, Clone, Copy)]
struct ClassStat {
    support: u64,
    tp: u64,
    predicted: u64,
}

/// Spark `MulticlassMetrics` over per-class statistics (true classes only, ascending label
/// order). `n` is the total record count.
fn multiclass_value(stats: &[ClassStat], n: u64, m: MulticlassMetric) -> f64 {
    if n == 0 {
        return f64::NAN;
    }
    let nf = n as f64;
    // precision(c) = tp / (tp + fp), 0 when the class is never predicted (Spark)
    let precision = |s: &ClassStat| {
        if s.predicted == 0 {
            0.0
        } else {
            s.tp as f64 / s.predicted as f64
        }
    };
    // recall(c) = tp / support (support ≥ 1 for every true class)
    let recall = |s: &ClassStat| s.tp as f64 / s.support as f64;
    // Σ_c x_c · support_c / N, the product first, as Spark writes it
    let weighted = |x: &dyn Fn(&ClassStat) -> f64| {
        stats
            .iter()
            .map(|s| x(s) * s.support as f64 / nf)
            .sum::<f64>()
    };
    match m.base() {
        MulticlassMetric::Accuracy => stats.iter().map(|s| s.tp).sum::<u64>() as f64 / nf,
        MulticlassMetric::WeightedRecall => weighted(&recall),
        MulticlassMetric::WeightedPrecision => weighted(&precision),
        MulticlassMetric::WeightedF0_5 => weighted(&|s| f_beta(precision(s), recall(s), 0.5)),
        MulticlassMetric::WeightedF1 => weighted(&|s| f_beta(precision(s), recall(s), 1.0)),
        MulticlassMetric::WeightedF2 => weighted(&|s| f_beta(precision(s), recall(s), 2.0)),
        // `base()` maps every best-constant variant to one of the arms above
        _ => f64::NAN,
    }
}

/// Mergeable multiclass state: `actual → predicted → count` over string labels.
///
/// Metrics follow Spark MLlib `MulticlassMetrics` (spec §8.3), which reproduces the DG example
/// to the last bit: with `support_c` the number of records whose **true** label is `c` and
/// `N` the total,
///
/// * `accuracy = Σ_c TP_c / N`;
/// * `weighted_X = Σ_c X_c · support_c / N` over true labels in ascending byte order (Spark
///   sums in hash-map order, so the last bit can differ with ≥ 3 classes); classes that are
///   only ever predicted have weight 0;
/// * `precision_c = TP_c / predicted_c`, **0** when `c` is never predicted (Spark's
///   convention, also scikit-learn's `zero_division=0`); `recall_c = TP_c / support_c`;
///   `F_β,c` by [`f_beta`] (0 when `P + R = 0`).
///
/// Empty state: every metric is `NaN`.
///
/// ```
/// use drift_math::quality::{MulticlassConfusion, MulticlassMetric};
/// let mut s = MulticlassConfusion::new();
/// for (a, p) in [("cat", "cat"), ("cat", "dog"), ("dog", "dog"), ("fish", "dog")] {
///     s.update(a, p);
/// }
/// assert_eq!(s.metric(MulticlassMetric::Accuracy), 0.5);
/// assert_eq!(s.best_constant_class(), Some("fish"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "MulticlassRepr")
)]
pub struct MulticlassConfusion {
    counts: BTreeMap<String, BTreeMap<String, u64>>,
    n: u64,
}

impl MulticlassConfusion {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one record with true label `actual` and predicted label `predicted`.
    pub fn update(&mut self, actual: &str, predicted: &str) {
        self.add_n(actual, predicted, 1);
    }

    /// Counts `count` records of one cell; `count = 0` does nothing (no key is created).
    pub fn add_n(&mut self, actual: &str, predicted: &str, count: u64) {
        if count == 0 {
            return;
        }
        let row = match self.counts.get_mut(actual) {
            Some(row) => row,
            None => self.counts.entry(actual.to_owned()).or_default(),
        };
        match row.get_mut(predicted) {
            Some(c) => *c += count,
            None => {
                row.insert(predicted.to_owned(), count);
            }
        }
        self.n += count;
    }

    /// Adds another state (exact).
    pub fn merge(&mut self, other: &MulticlassConfusion) {
        for (a, row) in &other.counts {
            for (p, &c) in row {
                self.add_n(a, p, c);
            }
        }
    }

    /// Records counted (`dataset.item_count`).
    pub fn count(&self) -> u64 {
        self.n
    }

    /// The sparse matrix: only non-zero cells, `actual → predicted → count`.
    pub fn counts(&self) -> &BTreeMap<String, BTreeMap<String, u64>> {
        &self.counts
    }

    /// `confusion_matrix` as SageMaker writes it (spec §8.2): one row per **actual** label
    /// seen, each with a column for every label seen as actual or predicted (zeros included),
    /// keys in ascending byte order.
    pub fn confusion_matrix(&self) -> BTreeMap<String, BTreeMap<String, u64>> {
        let mut labels: Vec<&str> = self.counts.keys().map(String::as_str).collect();
        for row in self.counts.values() {
            labels.extend(row.keys().map(String::as_str));
        }
        labels.sort_unstable();
        labels.dedup();
        self.counts
            .iter()
            .map(|(a, row)| {
                let dense = labels
                    .iter()
                    .map(|&p| (p.to_owned(), row.get(p).copied().unwrap_or(0)))
                    .collect();
                (a.clone(), dense)
            })
            .collect()
    }

    /// Per-true-class statistics in ascending label order.
    fn class_stats(&self) -> Vec<(&str, ClassStat)> {
        let mut predicted: BTreeMap<&str, u64> = BTreeMap::new();
        for row in self.counts.values() {
            for (p, &c) in row {
                *predicted.entry(p.as_str()).or_default() += c;
            }
        }
        self.counts
            .iter()
            .map(|(a, row)| {
                let stat = ClassStat {
                    support: row.values().sum(),
                    tp: row.get(a).copied().unwrap_or(0),
                    predicted: predicted.get(a.as_str()).copied().unwrap_or(0),
                };
                (a.as_str(), stat)
            })
            .collect()
    }

    /// The class the `*_best_constant_classifier` metrics predict: the **true** label with
    /// the smallest support, ties broken by the greatest label (byte order); `None` when empty.
    ///
    /// SageMaker does not document the rule (spec §14 item 5). In the DG example (1690 true
    /// `"0"`, 406 true `"1"`) the constant classifier predicts `"1"`, which rules out "the class
    /// maximising accuracy or any weighted metric" and "the most frequent predicted class"
    /// (both `"0"`); "the minority true class", "the greatest label" and "the label `"1"`"
    /// (the binary positive label) all reproduce it. The minority rule is chosen because it is
    /// the only one of the three that is defined for arbitrary label sets and, for 0/1 labels
    /// with a rare positive class, agrees with the binary convention (always predict `1`).
    /// Other choices can be evaluated with
    /// [`constant_classifier_metric`](Self::constant_classifier_metric).
    pub fn best_constant_class(&self) -> Option<&str> {
        self.counts
            .iter()
            .map(|(a, row)| (row.values().sum::<u64>(), a.as_str()))
            // smallest support first; among equal supports the greatest label
            .min_by(|x, y| x.0.cmp(&y.0).then(y.1.cmp(x.1)))
            .map(|(_, a)| a)
    }

    /// The value of one metric. `*_best_constant_classifier` metrics use
    /// [`best_constant_class`](Self::best_constant_class).
    pub fn metric(&self, m: MulticlassMetric) -> f64 {
        if m.is_best_constant_classifier() {
            match self.best_constant_class() {
                Some(c) => self.constant_classifier_metric(c, m.base()),
                None => f64::NAN,
            }
        } else {
            let stats: Vec<ClassStat> = self.class_stats().into_iter().map(|(_, s)| s).collect();
            multiclass_value(&stats, self.n, m)
        }
    }

    /// Metric `m.base()` of the classifier that predicts `class` for every record of this
    /// state (true labels unchanged): for each true class `c`, `TP_c = support_c` if
    /// `c = class` else 0, and `class` is predicted `N` times. For the predicted class this
    /// gives precision `support/N` and recall 1; every other class gets precision and
    /// recall 0. `class` need not occur (then every metric is 0). `NaN` when empty.
    pub fn constant_classifier_metric(&self, class: &str, m: MulticlassMetric) -> f64 {
        let stats: Vec<ClassStat> = self
            .class_stats()
            .into_iter()
            .map(|(a, s)| {
                if a == class {
                    ClassStat {
                        support: s.support,
                        tp: s.support,
                        predicted: self.n,
                    }
                } else {
                    ClassStat {
                        support: s.support,
                        tp: 0,
                        predicted: 0,
                    }
                }
            })
            .collect();
        multiclass_value(&stats, self.n, m.base())
    }
}

// ---------------------------------------------------------------------------------------------
// regression
// ---------------------------------------------------------------------------------------------

/// Scalar metrics of `regression_metrics` (spec §8.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegressionMetric {
    /// `mae`
    Mae,
    /// `mse`
    Mse,
    /// `rmse`
    Rmse,
    /// `r2`
    R2,
}

impl RegressionMetric {
    /// Every regression metric in SageMaker's key order (spec §8.1).
    pub const ALL: [RegressionMetric; 4] = [
        RegressionMetric::Mae,
        RegressionMetric::Mse,
        RegressionMetric::Rmse,
        RegressionMetric::R2,
    ];

    /// The `statistics.json` / `constraints.json` key.
    pub fn key(self) -> &'static str {
        match self {
            RegressionMetric::Mae => "mae",
            RegressionMetric::Mse => "mse",
            RegressionMetric::Rmse => "rmse",
            RegressionMetric::R2 => "r2",
        }
    }

    /// Whether smaller is better: the error metrics `mae`, `mse`, `rmse`
    /// (`GreaterThanThreshold` in the SDK's regression constraints fixture, spec §4.3).
    pub fn lower_is_better(self) -> bool {
        !matches!(self, RegressionMetric::R2)
    }
}

/// Mergeable regression state: running sums of `|y − ŷ|` and `(y − ŷ)²` and streaming
/// moments of the ground truth `y`.
///
/// * `mae = Σ|y − ŷ| / n`, `mse = Σ(y − ŷ)² / n`, `rmse = sqrt(mse)` (Spark
///   `RegressionMetrics`, scikit-learn `mean_absolute_error` / `mean_squared_error`);
/// * `r2 = 1 − SS_res / SS_tot` with `SS_res = Σ(y − ŷ)²` and `SS_tot = Σ(y − ȳ)² = M2` of
///   `y`, kept by [`Moments`] (Welford update, Chan et al. merge).
///
/// The sums are plain left-to-right sums, as Spark's summarizer accumulates them within a
/// partition: one pass over the SDK's regression baseline dataset reproduces its
/// `statistics.json` to the last bit. Merged states differ from one pass only in summation
/// order (a few ulps).
///
/// Empty state: `NaN` everywhere. `SS_tot = 0` (constant ground truth) gives `r2 = NaN`
/// (scikit-learn's `r2_score` returns 1.0 or 0.0 there; Spark returns `−∞` or `NaN`).
///
/// ```
/// use drift_math::quality::{RegressionMetric, RegressionMoments};
/// let mut s = RegressionMoments::new();
/// for (y, yhat) in [(3.0, 2.5), (-0.5, 0.0), (2.0, 2.0), (7.0, 8.0)] {
///     s.update(y, yhat).unwrap();
/// }
/// assert_eq!(s.metric(RegressionMetric::Mae), 0.5);
/// assert_eq!(s.metric(RegressionMetric::Mse), 0.375);
/// // sklearn.metrics.r2_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]) = 0.9486081370449679
/// assert!((s.metric(RegressionMetric::R2) - 0.9486081370449679).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RegressionRepr")
)]
pub struct RegressionMoments {
    sum_abs_error: f64,
    sum_squared_error: f64,
    actual: Moments,
}

impl RegressionMoments {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one record with ground truth `actual` (`y`) and prediction `predicted` (`ŷ`).
    ///
    /// # Errors
    ///
    /// [`QualityError::NonFinite`] if either value is `NaN` or infinite; nothing is counted.
    pub fn update(&mut self, actual: f64, predicted: f64) -> Result<(), QualityError> {
        if !actual.is_finite() {
            return Err(QualityError::NonFinite {
                what: "actual",
                value: actual,
            });
        }
        if !predicted.is_finite() {
            return Err(QualityError::NonFinite {
                what: "predicted",
                value: predicted,
            });
        }
        let e = actual - predicted;
        self.sum_abs_error += e.abs();
        self.sum_squared_error += e * e;
        self.actual.update(actual);
        Ok(())
    }

    /// Adds another state (sums add; moments merge by Chan et al.).
    pub fn merge(&mut self, other: &RegressionMoments) {
        self.sum_abs_error += other.sum_abs_error;
        self.sum_squared_error += other.sum_squared_error;
        self.actual.merge(&other.actual);
    }

    /// Records counted (`dataset.item_count`).
    pub fn count(&self) -> u64 {
        self.actual.count()
    }

    /// Moments of the ground truth `y`.
    pub fn actual(&self) -> &Moments {
        &self.actual
    }

    /// `Σ|y − ŷ|`.
    pub fn sum_abs_error(&self) -> f64 {
        self.sum_abs_error
    }

    /// `SS_res = Σ(y − ŷ)²`.
    pub fn sum_squared_error(&self) -> f64 {
        self.sum_squared_error
    }

    /// The value of one metric (formulas on the type).
    pub fn metric(&self, m: RegressionMetric) -> f64 {
        let n = self.count();
        if n == 0 {
            return f64::NAN;
        }
        let nf = n as f64;
        match m {
            RegressionMetric::Mae => self.sum_abs_error() / nf,
            RegressionMetric::Mse => self.sum_squared_error() / nf,
            RegressionMetric::Rmse => (self.sum_squared_error() / nf).sqrt(),
            RegressionMetric::R2 => {
                let ss_tot = self.actual.m2();
                if ss_tot == 0.0 {
                    f64::NAN
                } else {
                    1.0 - self.sum_squared_error() / ss_tot
                }
            }
        }
    }
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

    impl From<ScoreHistogram> for HistogramRepr {
        fn from(h: ScoreHistogram) -> Self {
            let mut out = Vec::with_capacity(h.bins.len() * 4);
            let mut next = 0u32;
            for (&bin, c) in &h.bins {
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
                h.bins.insert(
                    bin as u32,
                    LabelCounts {
                        positives,
                        negatives,
                    },
                );
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
        serde::Serialize::serialize(&repr::HistogramRepr::from(self.clone()), s)
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
