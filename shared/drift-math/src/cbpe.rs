//! Confidence-based performance estimation (CBPE, NannyML's name): the expected binary
//! metrics of a set of predictions whose labels are not known yet, from their scores and a
//! calibration map fitted on a labelled set ([`crate::calibration`]).
//!
//! If `p = cal(score)` is the probability that a prediction's label is positive, a prediction
//! labelled positive is a true positive with probability `p` and a false positive with
//! `1 − p`; one labelled negative is a false negative with `p` and a true negative with
//! `1 − p`. Summing gives the expected confusion matrix, and the estimates are the metrics of
//! that matrix (ratios of expectations, as NannyML computes them):
//! accuracy `(TP+TN)/n`, precision `TP/(TP+FP)`, recall `TP/(TP+FN)`, F1 `2TP/(2TP+FP+FN)`.
//! The expected ROC AUC treats each prediction as `p` of a positive and `1 − p` of a negative
//! at its score: the Mann–Whitney statistic of the two weighted score distributions, ties
//! counting one half.
//!
//! The state is a [`CbpeHistogram`]: counts of scores in [`SCORE_BINS`] fixed bins of
//! `[0, 1]`, split by predicted label. It is mergeable (counts add), order-free and holds
//! integers only, and it does not depend on the calibration map: the map is applied at
//! evaluation, to each bin's centre. That costs at most the map's change over half a bin
//! (`1/2000` of the score axis) per prediction, and buys states that stay valid when the
//! baseline is refitted.

use std::collections::BTreeMap;

use crate::calibration::IsotonicCalibration;

/// Bins of `[0, 1]` the scores are counted in (bin `i` holds `[i/1000, (i+1)/1000)`, the
/// last one also `1`; scores outside `[0, 1]` count in the end bins).
pub const SCORE_BINS: u32 = 1000;

/// Mergeable CBPE state: score counts per bin, by predicted label (sparse: only bins in use).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CbpeHistogram {
    /// bin → predictions labelled positive with a score in it
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "BTreeMap::is_empty")
    )]
    pub positive: BTreeMap<u32, u64>,
    /// bin → predictions labelled negative with a score in it
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "BTreeMap::is_empty")
    )]
    pub negative: BTreeMap<u32, u64>,
}

/// The bin of a score (NaN is the caller's to refuse; ±∞ clamp to the end bins).
pub fn score_bin(score: f64) -> u32 {
    let b = (score.clamp(0.0, 1.0) * f64::from(SCORE_BINS)).floor();
    // b is in [0, SCORE_BINS]: the cast is exact
    (b as u32).min(SCORE_BINS - 1)
}

/// The centre of bin `b`.
fn centre(b: u32) -> f64 {
    (f64::from(b) + 0.5) / f64::from(SCORE_BINS)
}

impl CbpeHistogram {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one prediction: its score and whether its predicted label is the positive one.
    /// A `NaN` score is not counted (returns `false`).
    pub fn update(&mut self, score: f64, predicted_positive: bool) -> bool {
        if score.is_nan() {
            return false;
        }
        let side = if predicted_positive {
            &mut self.positive
        } else {
            &mut self.negative
        };
        *side.entry(score_bin(score)).or_default() += 1;
        true
    }

    /// Counts `count` predictions of bin `bin` (clamped to the last bin) at once.
    pub fn add(&mut self, bin: u32, predicted_positive: bool, count: u64) {
        let side = if predicted_positive {
            &mut self.positive
        } else {
            &mut self.negative
        };
        *side.entry(bin.min(SCORE_BINS - 1)).or_default() += count;
    }

    /// Adds another state (exact: counts add).
    pub fn merge(&mut self, other: &CbpeHistogram) {
        for (b, n) in &other.positive {
            *self.positive.entry(*b).or_default() += n;
        }
        for (b, n) in &other.negative {
            *self.negative.entry(*b).or_default() += n;
        }
    }

    /// Predictions counted.
    pub fn count(&self) -> u64 {
        self.positive.values().chain(self.negative.values()).sum()
    }

    /// The estimated metrics under the calibration `cal`; `None` without predictions.
    pub fn estimate(&self, cal: &IsotonicCalibration) -> Option<BinaryEstimate> {
        let n = self.count();
        if n == 0 {
            return None;
        }
        let (mut tp, mut fp, mut fn_, mut tn) = (0.0, 0.0, 0.0, 0.0);
        // per bin: (expected positives, expected negatives) for the AUC
        let mut by_bin: BTreeMap<u32, (f64, f64)> = BTreeMap::new();
        for (side, counts) in [(true, &self.positive), (false, &self.negative)] {
            for (&b, &c) in counts {
                let p = cal.predict(centre(b)).clamp(0.0, 1.0);
                let (pos, neg) = (c as f64 * p, c as f64 * (1.0 - p));
                if side {
                    tp += pos;
                    fp += neg;
                } else {
                    fn_ += pos;
                    tn += neg;
                }
                let e = by_bin.entry(b).or_default();
                e.0 += pos;
                e.1 += neg;
            }
        }
        Some(BinaryEstimate {
            count: n,
            tp,
            fp,
            fn_,
            tn,
            auc: weighted_auc(by_bin.values().copied()),
        })
    }
}

/// The Mann–Whitney AUC of weighted positives and negatives given per score level in
/// ascending order (ties count one half); `NaN` when either side weighs nothing.
pub fn weighted_auc(levels: impl IntoIterator<Item = (f64, f64)>) -> f64 {
    let (mut below_neg, mut sum, mut pos_total) = (0.0, 0.0, 0.0);
    for (pos, neg) in levels {
        sum += pos * (below_neg + 0.5 * neg);
        below_neg += neg;
        pos_total += pos;
    }
    if pos_total <= 0.0 || below_neg <= 0.0 {
        return f64::NAN;
    }
    sum / (pos_total * below_neg)
}

/// The metrics CBPE estimates, by their `statistics.json` keys.
pub const ESTIMATED_METRICS: [&str; 5] = ["accuracy", "precision", "recall", "f1", "auc"];

/// The expected confusion matrix of a set of predictions and its metrics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinaryEstimate {
    /// predictions
    pub count: u64,
    /// expected true positives
    pub tp: f64,
    /// expected false positives
    pub fp: f64,
    /// expected false negatives
    pub fn_: f64,
    /// expected true negatives
    pub tn: f64,
    /// expected ROC AUC
    pub auc: f64,
}

impl BinaryEstimate {
    /// The estimate of `metric` (one of [`ESTIMATED_METRICS`]); `None` for another name, `NaN`
    /// for a zero denominator.
    pub fn metric(&self, metric: &str) -> Option<f64> {
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        Some(match metric {
            "accuracy" => ratio(self.tp + self.tn, self.count as f64),
            "precision" => ratio(self.tp, self.tp + self.fp),
            "recall" => ratio(self.tp, self.tp + self.fn_),
            "f1" => ratio(2.0 * self.tp, 2.0 * self.tp + self.fp + self.fn_),
            "auc" => self.auc,
            _ => return None,
        })
    }
}

/// The realised metrics of labelled predictions (for the baseline's chunk spread): the same
/// formulas as [`BinaryEstimate::metric`] on the observed confusion matrix, AUC by
/// Mann–Whitney on the exact scores. `scores`, `actual` and `predicted` have one entry per row.
pub fn realised(scores: &[f64], actual: &[bool], predicted: &[bool]) -> BinaryEstimate {
    let (mut tp, mut fp, mut fn_, mut tn) = (0.0, 0.0, 0.0, 0.0);
    for (&a, &p) in actual.iter().zip(predicted) {
        match (a, p) {
            (true, true) => tp += 1.0,
            (false, true) => fp += 1.0,
            (true, false) => fn_ += 1.0,
            (false, false) => tn += 1.0,
        }
    }
    let mut rows: Vec<(f64, bool)> = scores.iter().copied().zip(actual.to_vec()).collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut levels = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let (mut pos, mut neg) = (0.0, 0.0);
        let s = rows[i].0;
        while i < rows.len() && rows[i].0 == s {
            if rows[i].1 {
                pos += 1.0;
            } else {
                neg += 1.0;
            }
            i += 1;
        }
        levels.push((pos, neg));
    }
    BinaryEstimate {
        count: actual.len() as u64,
        tp,
        fp,
        fn_,
        tn,
        auc: weighted_auc(levels),
    }
}

/// The per-row spread of each estimated metric on a labelled set: the set is cut, in its
/// order, into `chunks` chunks of `n / chunks` rows (the rest is left out), each chunk's
/// realised metric is computed, and the result is `SD(chunk metrics) · sqrt(chunk size)`, so
/// that the sampling error of a window of `m` predictions is `spread / sqrt(m)` (NannyML's
/// rule: the chunks' SD scaled by `sqrt(chunk size / window size)`). One entry per name of
/// [`ESTIMATED_METRICS`] whose spread is finite (it is not when a chunk has no positive, …);
/// empty with fewer than two chunks of at least two rows.
pub fn chunk_spread(
    scores: &[f64],
    actual: &[bool],
    predicted: &[bool],
    chunks: usize,
) -> Vec<(String, f64)> {
    let n = scores.len().min(actual.len()).min(predicted.len());
    let size = n / chunks.max(1);
    if chunks < 2 || size < 2 {
        return Vec::new();
    }
    let per_chunk: Vec<BinaryEstimate> = (0..chunks)
        .map(|c| {
            let r = c * size..(c + 1) * size;
            realised(&scores[r.clone()], &actual[r.clone()], &predicted[r])
        })
        .collect();
    ESTIMATED_METRICS
        .iter()
        .filter_map(|&m| {
            let values: Vec<f64> = per_chunk.iter().filter_map(|e| e.metric(m)).collect();
            let k = values.len() as f64;
            let mean = values.iter().sum::<f64>() / k;
            // sample SD (ddof = 1), as numpy's np.std(..., ddof=1)
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (k - 1.0);
            let spread = var.sqrt() * (size as f64).sqrt();
            spread.is_finite().then(|| (m.to_string(), spread))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> IsotonicCalibration {
        IsotonicCalibration {
            x: vec![0.0, 1.0],
            y: vec![0.0, 1.0],
        }
    }

    #[test]
    fn expected_confusion_matrix_by_hand() {
        // bins centred at 0.9005 (predicted positive) and 0.1005 (predicted negative):
        // identity calibration p = centre
        let mut h = CbpeHistogram::new();
        h.update(0.9, true);
        h.update(0.9, true);
        h.update(0.1, false);
        let e = h.estimate(&identity()).unwrap();
        assert_eq!(e.count, 3);
        assert!((e.tp - 2.0 * 0.9005).abs() < 1e-12);
        assert!((e.fp - 2.0 * 0.0995).abs() < 1e-12);
        assert!((e.fn_ - 0.1005).abs() < 1e-12);
        assert!((e.tn - 0.8995).abs() < 1e-12);
        let acc = (2.0 * 0.9005 + 0.8995) / 3.0;
        assert!((e.metric("accuracy").unwrap() - acc).abs() < 1e-12);
        // AUC: positives 1.801 at the top level, 0.1005 below; negatives 0.199 top, 0.8995 below
        // sum = 1.801 * (0.8995 + 0.5 * 0.199) + 0.1005 * 0.5 * 0.8995
        let want = (1.801 * (0.8995 + 0.0995) + 0.1005 * 0.5 * 0.8995) / (1.9015 * 1.0985);
        assert!((e.auc - want).abs() < 1e-12, "{} vs {want}", e.auc);
        assert!(!h.update(f64::NAN, true));
        assert_eq!(h.count(), 3);
        assert_eq!(e.metric("mse"), None);
    }

    #[test]
    fn merge_equals_concatenation() {
        let scores = [0.05, 0.3, 0.31, 0.7, 0.99, 1.0, -0.2, 1.7];
        let mut all = CbpeHistogram::new();
        let (mut a, mut b) = (CbpeHistogram::new(), CbpeHistogram::new());
        for (i, &s) in scores.iter().enumerate() {
            let pos = s > 0.5;
            all.update(s, pos);
            if i % 3 == 0 {
                a.update(s, pos);
            } else {
                b.update(s, pos);
            }
        }
        let mut ba = b.clone();
        a.merge(&b);
        ba.merge(&{
            let mut x = CbpeHistogram::new();
            for (i, &s) in scores.iter().enumerate() {
                if i % 3 == 0 {
                    x.update(s, s > 0.5);
                }
            }
            x
        });
        assert_eq!(a, all);
        assert_eq!(ba, all);
        // out-of-range scores count in the end bins
        assert_eq!(all.negative[&0], 1);
        assert_eq!(all.positive[&(SCORE_BINS - 1)], 2);
    }

    #[test]
    fn realised_auc_counts_ties_half() {
        // sklearn.metrics.roc_auc_score([0, 1, 0, 1], [0.2, 0.2, 0.1, 0.9]) == 0.875
        let e = realised(
            &[0.2, 0.2, 0.1, 0.9],
            &[false, true, false, true],
            &[false, false, false, true],
        );
        assert_eq!(e.auc, 0.875);
        assert_eq!(e.metric("recall"), Some(0.5));
    }

    #[test]
    fn chunk_spread_scales_the_chunk_sd() {
        // chunks of 2 rows: accuracy 1, 0, 1, 0 → sample SD = sqrt(1/3), × sqrt(2)
        let scores = [0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1];
        let actual = [true, false, false, true, true, false, false, true];
        let predicted = [true, false, true, false, true, false, true, false];
        let s = chunk_spread(&scores, &actual, &predicted, 4);
        let acc = s.iter().find(|(m, _)| m == "accuracy").unwrap().1;
        assert!((acc - (1.0f64 / 3.0).sqrt() * 2f64.sqrt()).abs() < 1e-12);
        assert!(chunk_spread(&scores, &actual, &predicted, 1).is_empty());
    }
}
