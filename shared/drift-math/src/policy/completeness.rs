//! Completeness: is the window's missing share larger than the baseline's?

use statrs::distribution::{ContinuousCDF, Normal};

use crate::DriftError;

/// Result of [`missing_share_test`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ProportionTest {
    /// Missing share of the baseline, `x_b / n_b`.
    pub baseline_share: f64,
    /// Missing share of the window, `x_w / n_w`.
    pub window_share: f64,
    /// `window_share − baseline_share`: the effect size (raw, may be negative).
    pub difference: f64,
    /// The pooled two-proportion z statistic (0 when neither or both sides are all missing).
    pub z: f64,
    /// One-sided p-value `P(Z > z)` for "the window misses more than the baseline".
    pub p_value: f64,
    /// The p-value at the largest possible effect (every window value missing).
    pub min_p_value: f64,
    /// Baseline size `n_b` (values and missing).
    pub baseline_total: u64,
    /// Window size `n_w` (values and missing).
    pub window_total: u64,
}

impl ProportionTest {
    /// The p-value this test would give if the window's missing share were
    /// `baseline_share + difference` (capped at 1), with the same sizes.
    ///
    /// With `difference` = the effect floor this is the power guard "could a rise at the floor
    /// be significant here?", stricter than [`ProportionTest::min_p_value`]; pass it as
    /// [`crate::policy::FeatureEvidence::min_p_value`] to report small windows as lacking power.
    ///
    /// ```
    /// use drift_math::policy::missing_share_test;
    /// let t = missing_share_test(4_000, 50_000, 2, 100).unwrap();
    /// // 100 records cannot show a 2-point rise over 8 %:
    /// // proportions_ztest([10, 4000], [100, 50000], alternative='larger')
    /// //   -> (0.7363059676675029, 0.23077225763544545)
    /// assert!((t.p_value_at(0.02) - 0.23077225763544545).abs() < 1e-9);
    /// ```
    pub fn p_value_at(&self, difference: f64) -> f64 {
        let nb = self.baseline_total as f64;
        let nw = self.window_total as f64;
        let share = (self.baseline_share + difference).clamp(0.0, 1.0);
        z_test(self.baseline_share * nb, nb, share * nw, nw).1
    }
}

/// The pooled z statistic and its one-sided p-value (counts as `f64`, so a hypothetical
/// window count may be fractional).
fn z_test(xb: f64, nb: f64, xw: f64, nw: f64) -> (f64, f64) {
    let pooled = (xb + xw) / (nb + nw);
    let se = (pooled * (1.0 - pooled) * (1.0 / nb + 1.0 / nw)).sqrt();
    // se is 0 (or NaN for no data) when every value, or none, is missing on both sides
    if se.is_nan() || se <= 0.0 {
        return (0.0, 1.0);
    }
    let z = (xw / nw - xb / nb) / se;
    // Normal::standard() cannot fail; `sf` keeps precision in the far tail.
    (z, Normal::standard().sf(z))
}

/// Two-proportion z-test (pooled variance) that the window's missing share exceeds the
/// baseline's, treating **both** shares as estimates:
/// `z = (p_w − p_b) / sqrt(p̂ (1 − p̂) (1/n_b + 1/n_w))`, `p̂ = (x_b + x_w)/(n_b + n_w)`,
/// p-value `P(Z > z)` (Agresti, *Categorical Data Analysis*, 3rd ed., §3.1.3; the same
/// numbers as statsmodels' `proportions_ztest([x_w, x_b], [n_w, n_b], alternative='larger')`,
/// and `z²` is scipy's `chi2_contingency` statistic of the 2×2 table with `correction=False`).
///
/// Why this test: SageMaker's completeness rule compares the window with the baseline ratio as
/// if it were exact, so a column with 8 % missing in the baseline fails in 50–60 % of healthy
/// windows (issue 13, item 2). Pooling the variance of both samples fixes that. It is one-sided
/// because fewer missing values is not a completeness problem. The z-test is chosen over
/// Fisher's exact test because it is O(1) on counts of any size (statrs' Fisher sums the
/// hypergeometric pmf term by term) and its normal approximation is accurate once both
/// expected missing counts are about 5 or more (Agresti §3.1.3); smaller windows are what
/// [`crate::policy::decide`]'s power guard and effect floor are for.
///
/// ```
/// use drift_math::policy::missing_share_test;
/// let t = missing_share_test(4_000, 50_000, 100, 1_000).unwrap();
/// assert_eq!(t.difference, 0.1 - 0.08);
/// // statsmodels proportions_ztest([100, 4000], [1000, 50000], alternative='larger')
/// //   -> (2.3031474144954744, 0.010635275167473479)
/// assert!((t.z - 2.3031474144954744).abs() < 1e-12);
/// assert!((t.p_value - 0.010635275167473479).abs() < 1e-9);
/// ```
///
/// # Errors
///
/// [`DriftError::Empty`] if a total is 0; [`DriftError::InvalidParameter`] if a missing count
/// exceeds its total (value = the missing count).
pub fn missing_share_test(
    baseline_missing: u64,
    baseline_total: u64,
    window_missing: u64,
    window_total: u64,
) -> Result<ProportionTest, DriftError> {
    if baseline_total == 0 {
        return Err(DriftError::Empty("missing_share_test: baseline total is 0"));
    }
    if window_total == 0 {
        return Err(DriftError::Empty("missing_share_test: window total is 0"));
    }
    if baseline_missing > baseline_total {
        return Err(DriftError::InvalidParameter {
            name: "baseline_missing (must be <= baseline_total)",
            value: baseline_missing as f64,
        });
    }
    if window_missing > window_total {
        return Err(DriftError::InvalidParameter {
            name: "window_missing (must be <= window_total)",
            value: window_missing as f64,
        });
    }
    let baseline_share = baseline_missing as f64 / baseline_total as f64;
    let window_share = window_missing as f64 / window_total as f64;
    let (xb, nb, xw, nw) = (
        baseline_missing as f64,
        baseline_total as f64,
        window_missing as f64,
        window_total as f64,
    );
    let (z, p_value) = z_test(xb, nb, xw, nw);
    let (_, min_p_value) = z_test(xb, nb, nw, nw);
    Ok(ProportionTest {
        baseline_share,
        window_share,
        difference: window_share - baseline_share,
        z,
        p_value,
        min_p_value,
        baseline_total,
        window_total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degenerate_inputs() {
        assert!(matches!(
            missing_share_test(0, 0, 0, 1),
            Err(DriftError::Empty(_))
        ));
        assert!(matches!(
            missing_share_test(0, 1, 0, 0),
            Err(DriftError::Empty(_))
        ));
        assert_eq!(
            missing_share_test(2, 1, 0, 1),
            Err(DriftError::InvalidParameter {
                name: "baseline_missing (must be <= baseline_total)",
                value: 2.0
            })
        );
        assert!(missing_share_test(0, 1, 2, 1).is_err());
        // nothing missing anywhere: no evidence, p = 1
        let t = missing_share_test(0, 100, 0, 10).unwrap();
        assert_eq!((t.z, t.p_value), (0.0, 1.0));
        // a baseline entirely missing: the window cannot miss more
        let t = missing_share_test(100, 100, 10, 10).unwrap();
        assert_eq!(t.min_p_value, 1.0);
    }
}
