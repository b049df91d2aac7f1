//! Two-sided confidence intervals for model-quality metrics (issue 13, item 6): Wilson's score
//! interval for a proportion from its counts, and the normal approximation from a value and
//! its standard deviation.

use statrs::distribution::{ContinuousCDF, Normal};

/// A closed interval `[lower, upper]`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Interval {
    /// lower bound
    pub lower: f64,
    /// upper bound
    pub upper: f64,
}

/// The two-sided standard-normal quantile for `confidence` (`Φ⁻¹((1 + c) / 2)`; 1.959963984540054
/// for 0.95, `scipy.stats.norm.ppf(0.975)`). `None` unless `0 < confidence < 1`.
#[must_use]
pub fn z_of(confidence: f64) -> Option<f64> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    let n = Normal::standard();
    Some(n.inverse_cdf((1.0 + confidence) / 2.0))
}

/// Wilson's score interval for `successes` out of `n` at `confidence` (Wilson 1927;
/// `statsmodels.stats.proportion.proportion_confint(k, n, alpha, method="wilson")`).
/// `None` for `n = 0`, `successes > n` or an invalid confidence.
///
/// ```
/// use drift_math::interval::wilson;
/// // proportion_confint(850, 1000, alpha=0.05, method='wilson')
/// //   -> (0.8265313415731996, 0.8707899274869118)
/// let i = wilson(850, 1000, 0.95).unwrap();
/// assert!((i.lower - 0.8265313415731996).abs() < 1e-9);
/// assert!((i.upper - 0.8707899274869118).abs() < 1e-9);
/// ```
#[must_use]
pub fn wilson(successes: u64, n: u64, confidence: f64) -> Option<Interval> {
    if n == 0 || successes > n {
        return None;
    }
    let z = z_of(confidence)?;
    let (k, n) = (successes as f64, n as f64);
    let p = k / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(Interval {
        lower: (center - half).max(0.0),
        upper: (center + half).min(1.0),
    })
}

/// The normal-approximation interval `value ± z·std_dev`. `None` when either is not finite,
/// the deviation is negative or the confidence is invalid.
#[must_use]
pub fn normal(value: f64, std_dev: f64, confidence: f64) -> Option<Interval> {
    if !value.is_finite() || !std_dev.is_finite() || std_dev < 0.0 {
        return None;
    }
    let z = z_of(confidence)?;
    Some(Interval {
        lower: value - z * std_dev,
        upper: value + z * std_dev,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_and_normal_match_references() {
        // statsmodels: proportion_confint(160, 200, alpha=0.05, method='wilson')
        //   -> (0.7391448134346212, 0.8495479907390189)
        let i = wilson(160, 200, 0.95).unwrap();
        assert!((i.lower - 0.7391448134346212).abs() < 1e-9, "{i:?}");
        assert!((i.upper - 0.8495479907390189).abs() < 1e-9, "{i:?}");
        // scipy.stats.norm.ppf(0.975) = 1.959963984540054
        let z = z_of(0.95).unwrap();
        assert!((z - 1.959963984540054).abs() < 1e-9);
        let n = normal(0.8, 0.01, 0.95).unwrap();
        assert!((n.lower - (0.8 - z * 0.01)).abs() < 1e-15);
        assert!(wilson(1, 0, 0.95).is_none() && wilson(3, 2, 0.95).is_none());
        assert!(normal(f64::NAN, 0.1, 0.95).is_none() && z_of(1.0).is_none());
    }
}
