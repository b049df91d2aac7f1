//! Probability calibration by isotonic regression (pool-adjacent-violators), the map
//! confidence-based performance estimation ([`crate::cbpe`]) applies to a classifier's scores.
//!
//! Why isotonic rather than histogram binning: it is monotone by construction (a higher
//! score never gets a lower probability, so the expected ROC AUC keeps the model's ranking),
//! it has no bin count to tune, and on a validation set of a few thousand rows it adapts its
//! resolution to where the scores are; it is also what NannyML's CBPE and scikit-learn's
//! `CalibratedClassifierCV(method="isotonic")` fit, so the two can be compared on the same
//! data. The fit is scikit-learn's `IsotonicRegression(out_of_bounds="clip")`: equal scores
//! are pooled (mean label, weight = count), PAV makes the means non-decreasing, only the
//! first and last score of each pooled block are kept as thresholds, and a score between two
//! thresholds is interpolated linearly (outside them: the end value).

use crate::DriftError;

/// A fitted isotonic calibration map: thresholds `x` (ascending, distinct) and calibrated
/// probabilities `y` (non-decreasing, in `[0, 1]`), interpolated linearly between them.
///
/// ```
/// use drift_math::calibration::IsotonicCalibration;
/// let cal = IsotonicCalibration::fit(&[0.1, 0.2, 0.3, 0.4], &[false, true, false, true]).unwrap();
/// // PAV pools the violating middle pair (0.2 → 1, 0.3 → 0) to 0.5
/// assert_eq!(cal.predict(0.25), 0.5);
/// assert_eq!(cal.predict(0.0), 0.0);
/// assert_eq!(cal.predict(1.0), 1.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct IsotonicCalibration {
    /// score thresholds, ascending and distinct
    pub x: Vec<f64>,
    /// calibrated probability at each threshold, non-decreasing
    pub y: Vec<f64>,
}

/// One pooled block of PAV: weighted label sum, weight, and its first and last score.
struct Block {
    sum: f64,
    weight: f64,
    first: f64,
    last: f64,
}

impl Block {
    fn mean(&self) -> f64 {
        self.sum / self.weight
    }
}

impl IsotonicCalibration {
    /// Fits the map to `scores` and their true `labels` (`true` = positive).
    ///
    /// # Errors
    /// [`DriftError::Empty`] without rows; [`DriftError::InvalidParameter`] naming a
    /// non-finite score, or for slices of different lengths (the value is the labels' length).
    pub fn fit(scores: &[f64], labels: &[bool]) -> Result<Self, DriftError> {
        if scores.len() != labels.len() {
            return Err(DriftError::InvalidParameter {
                name: "labels (length differs from the scores')",
                value: labels.len() as f64,
            });
        }
        if scores.is_empty() {
            return Err(DriftError::Empty("isotonic calibration needs scores"));
        }
        if let Some(&bad) = scores.iter().find(|s| !s.is_finite()) {
            return Err(DriftError::InvalidParameter {
                name: "score",
                value: bad,
            });
        }
        let mut pairs: Vec<(f64, bool)> = scores.iter().copied().zip(labels.to_vec()).collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut blocks: Vec<Block> = Vec::new();
        let mut i = 0;
        while i < pairs.len() {
            // equal scores pool first (scikit-learn's `_make_unique`)
            let x = pairs[i].0;
            let mut block = Block {
                sum: 0.0,
                weight: 0.0,
                first: x,
                last: x,
            };
            while i < pairs.len() && pairs[i].0 == x {
                block.sum += f64::from(u8::from(pairs[i].1));
                block.weight += 1.0;
                i += 1;
            }
            // pool adjacent violators: merge while the previous block's mean is higher
            while let Some(prev) = blocks.last() {
                if prev.mean() < block.mean() {
                    break;
                }
                let prev = blocks.pop().expect("a last block exists");
                block = Block {
                    sum: prev.sum + block.sum,
                    weight: prev.weight + block.weight,
                    first: prev.first,
                    last: block.last,
                };
            }
            blocks.push(block);
        }
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for b in &blocks {
            let v = b.mean();
            x.push(b.first);
            y.push(v);
            if b.last != b.first {
                x.push(b.last);
                y.push(v);
            }
        }
        Ok(IsotonicCalibration { x, y })
    }

    /// The calibrated probability of `score`: linear between the two thresholds around it,
    /// the end value outside them. A `NaN` score gives `NaN`.
    pub fn predict(&self, score: f64) -> f64 {
        let (x, y) = (&self.x, &self.y);
        let (Some(&lo), Some(&hi)) = (x.first(), x.last()) else {
            return f64::NAN;
        };
        if score.is_nan() {
            return f64::NAN;
        }
        if score <= lo {
            return y[0];
        }
        if score >= hi {
            return y[y.len() - 1];
        }
        // first threshold above the score: 1 ≤ j < len
        let j = x.partition_point(|&t| t <= score);
        let (x0, x1, y0, y1) = (x[j - 1], x[j], y[j - 1], y[j]);
        y0 + (y1 - y0) * (score - x0) / (x1 - x0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scikit_learn_isotonic_regression() {
        // scikit-learn 1.9.1:
        //   from sklearn.isotonic import IsotonicRegression
        //   x = [0.1, 0.2, 0.2, 0.35, 0.4, 0.5, 0.6, 0.6, 0.8, 0.9]
        //   y = [0,   1,   0,   0,    0,   1,   0,   1,   1,   1]
        //   ir = IsotonicRegression(out_of_bounds="clip").fit(x, y)
        //   ir.X_thresholds_ -> [0.1, 0.2, 0.4, 0.5, 0.6, 0.8, 0.9]
        //   ir.y_thresholds_ -> [0.0, 0.25, 0.25, 0.6666666666666666, 0.6666666666666666, 1.0, 1.0]
        //   ir.predict([0.05, 0.3, 0.45, 0.7, 0.95])
        //     -> [0.0, 0.25, 0.4583333333333333, 0.8333333333333333, 1.0]
        let x = [0.1, 0.2, 0.2, 0.35, 0.4, 0.5, 0.6, 0.6, 0.8, 0.9];
        let y = [0, 1, 0, 0, 0, 1, 0, 1, 1, 1].map(|v| v == 1);
        let cal = IsotonicCalibration::fit(&x, &y).unwrap();
        assert_eq!(cal.x, vec![0.1, 0.2, 0.4, 0.5, 0.6, 0.8, 0.9]);
        let y_want = [0.0, 0.25, 0.25, 2.0 / 3.0, 2.0 / 3.0, 1.0, 1.0];
        for (g, w) in cal.y.iter().zip(y_want) {
            assert!((g - w).abs() < 1e-12, "{:?}", cal.y);
        }
        let got: Vec<f64> = [0.05, 0.3, 0.45, 0.7, 0.95]
            .iter()
            .map(|&s| cal.predict(s))
            .collect();
        let want = [0.0, 0.25, 0.4583333333333333, 0.8333333333333333, 1.0];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{got:?}");
        }
    }

    #[test]
    fn refuses_bad_input() {
        assert!(matches!(
            IsotonicCalibration::fit(&[], &[]),
            Err(DriftError::Empty(_))
        ));
        let e = IsotonicCalibration::fit(&[0.1, f64::NAN], &[true, false]).unwrap_err();
        assert!(e.to_string().contains("NaN"), "{e}");
        assert!(IsotonicCalibration::fit(&[0.1], &[true, false]).is_err());
    }

    #[test]
    fn fitted_map_is_monotone_and_in_unit_interval() {
        // a deterministic pseudo-random set: label = 1 when a hashed value < score
        let n = 500;
        let scores: Vec<f64> = (0..n).map(|i| f64::from(i) / f64::from(n)).collect();
        let labels: Vec<bool> = (0..n)
            .map(|i| (f64::from((i * 7919) % 1000) / 1000.0) < f64::from(i) / f64::from(n))
            .collect();
        let cal = IsotonicCalibration::fit(&scores, &labels).unwrap();
        assert!(cal.x.windows(2).all(|w| w[0] < w[1]));
        assert!(cal.y.windows(2).all(|w| w[0] <= w[1]));
        assert!(cal.y.iter().all(|v| (0.0..=1.0).contains(v)));
    }
}
