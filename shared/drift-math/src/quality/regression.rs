//! Regression: error sums and moments behind `regression_metrics`.

use super::*;

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
    pub(super) sum_abs_error: f64,
    pub(super) sum_squared_error: f64,
    pub(super) actual: Moments,
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
