//! Sparse score histogram behind `auc` and the ROC / PR curves.

use super::bins::ScoreBins;
use super::*;

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
/// (sorted), so a window of `n` records costs at most `min(n, 2¹⁶)` entries; past 2¹⁵ of them
/// the bins are one flat array of 2¹⁶ counts instead, 1 MiB (`bins.rs`: smaller, same numbers). Merging adds
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
    pub(super) bins: ScoreBins,
    pub(super) positives: u64,
    pub(super) negatives: u64,
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

    pub(super) fn add_to_bin(&mut self, bin: u32, positive: bool) {
        if positive {
            self.bins.add(bin, 1, 0);
            self.positives += 1;
        } else {
            self.bins.add(bin, 0, 1);
            self.negatives += 1;
        }
    }

    /// Adds every bin of `other` (exact).
    pub fn merge(&mut self, other: &ScoreHistogram) {
        for (bin, c) in other.bins.iter() {
            self.bins.add(bin, c.positives, c.negatives);
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
        self.bins.len() == 0
    }

    /// Non-empty bins in ascending order, as `(bin, counts)`.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (u32, LabelCounts)> + '_ {
        self.bins.iter()
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
    pub(super) fn thresholds(&self) -> Vec<(u64, u64)> {
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
