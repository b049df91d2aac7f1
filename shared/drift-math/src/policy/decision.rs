//! The per-feature drift decision: effect floor AND Benjamini–Hochberg-significant test.

use crate::policy::benjamini_hochberg;
use crate::DriftError;

/// What one feature's statistics say, as input to [`decide`]. Each test of this module returns
/// the two p-values (`p_value`, `min_p_value`); the effect is the feature type's readable
/// distance (normalised Wasserstein or L∞, share change / Hellinger / PSI, missing-share
/// difference) and the floor the smallest effect worth an alert.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FeatureEvidence {
    /// The effect size, raw.
    pub effect: f64,
    /// Flag only when `effect > effect_floor`.
    pub effect_floor: f64,
    /// The two-sample test's p-value.
    pub p_value: f64,
    /// The smallest p-value the test could give at these sample sizes: its p-value at the
    /// largest possible effect (`min_p_value` of each test), or, for a guard that also speaks
    /// for small windows, its p-value at the effect floor ([`crate::policy::KsTest::p_value_at`],
    /// [`crate::policy::ProportionTest::p_value_at`]).
    pub min_p_value: f64,
}

/// The verdict on one feature in one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Decision {
    /// The effect exceeds its floor and the test is significant after Benjamini–Hochberg.
    Drift,
    /// The test could have been significant, but the effect is at most the floor or the test is
    /// not significant.
    NoDrift,
    /// Insufficient data: even the largest possible effect could not be significant at these
    /// sample sizes (`min_p_value > q`), so "no drift" would be an unfounded reassurance.
    LacksPower,
}

/// [`decide`]'s output for one feature, with the figures behind the verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FeatureDecision {
    /// The verdict.
    pub decision: Decision,
    /// BH-adjusted p-value within the window's testable features; `None` for
    /// [`Decision::LacksPower`] (not part of the family).
    pub adjusted_p_value: Option<f64>,
    /// `effect > effect_floor`.
    pub exceeds_floor: bool,
}

/// Decide every feature of one window at false discovery rate `q` (e.g. 0.05).
///
/// 1. A feature with `min_p_value > q` can never be rejected by Benjamini–Hochberg (whose most
///    lenient threshold is `q`): it is [`Decision::LacksPower`] and is left out of the family.
///    Dropping hypotheses that could not reach significance whatever their data, chosen by
///    sample sizes alone, keeps the FDR control and gains power (Tarone 1990, *Biometrics*
///    46(2); Gilbert 2005 for the FDR version).
/// 2. [`benjamini_hochberg`] over the remaining p-values.
/// 3. [`Decision::Drift`] iff BH rejects **and** `effect > effect_floor`; else
///    [`Decision::NoDrift`].
///
/// The output is in input order. Pure: the same evidence gives the same decisions, which is
/// what makes a window's verdict a function of its merged state.
///
/// ```
/// use drift_math::policy::{decide, Decision, FeatureEvidence};
/// let f = |effect, p_value, min_p_value| FeatureEvidence {
///     effect, effect_floor: 0.1, p_value, min_p_value,
/// };
/// let d = decide(&[f(0.3, 1e-6, 0.0), f(0.05, 1e-9, 0.0), f(0.9, 0.2, 0.2)], 0.05).unwrap();
/// assert_eq!(d[0].decision, Decision::Drift);
/// assert_eq!(d[1].decision, Decision::NoDrift); // significant but below the floor
/// assert_eq!(d[2].decision, Decision::LacksPower);
/// ```
///
/// # Errors
///
/// [`DriftError::InvalidParameter`] for `q` outside `(0, 1]`, a NaN effect or floor, or a
/// p-value (either kind) that is NaN or outside `[0, 1]`; the value is the offending number.
pub fn decide(features: &[FeatureEvidence], q: f64) -> Result<Vec<FeatureDecision>, DriftError> {
    if !(q > 0.0 && q <= 1.0) {
        return Err(DriftError::InvalidParameter {
            name: "q (false discovery rate)",
            value: q,
        });
    }
    for f in features {
        for (name, v) in [("effect", f.effect), ("effect_floor", f.effect_floor)] {
            if v.is_nan() {
                return Err(DriftError::InvalidParameter { name, value: v });
            }
        }
        if !(0.0..=1.0).contains(&f.min_p_value) {
            return Err(DriftError::InvalidParameter {
                name: "min_p_value",
                value: f.min_p_value,
            });
        }
    }
    let testable: Vec<usize> = (0..features.len())
        .filter(|&i| features[i].min_p_value <= q)
        .collect();
    let ps: Vec<f64> = testable.iter().map(|&i| features[i].p_value).collect();
    let bh = benjamini_hochberg(&ps, q)?;
    let mut out: Vec<FeatureDecision> = features
        .iter()
        .map(|f| FeatureDecision {
            decision: Decision::LacksPower,
            adjusted_p_value: None,
            exceeds_floor: f.effect > f.effect_floor,
        })
        .collect();
    for (k, &i) in testable.iter().enumerate() {
        let d = &mut out[i];
        d.adjusted_p_value = Some(bh.adjusted[k]);
        d.decision = if bh.rejected[k] && d.exceeds_floor {
            Decision::Drift
        } else {
            Decision::NoDrift
        };
    }
    Ok(out)
}

/// The largest p-value-at-an-effect (`KsTest::p_value_at`, `ProportionTest::p_value_at`,
/// [`chi2_p_value_at_share_change`]) at which a test has at least `power` to detect that effect
/// at level `q`: `Φ̄(z_{1−q} + z_power)`.
///
/// For a one-sided normal test, the statistic under an effect is centred at `z_e` with
/// `Φ̄(z_e)` = its p-value at the effect; it exceeds the level-`q` critical value `z_{1−q}` with
/// probability `Φ(z_e − z_{1−q})`, which is at least `power` iff `z_e ≥ z_{1−q} + z_power`
/// (Cohen 1988, ch. 12). The KS and χ² tests use the same bound as an approximation. With
/// `q = 0.05` and `power = 0.8` it is `Φ̄(2.4865) = 0.00645`.
///
/// ```
/// use drift_math::policy::power_p_threshold;
/// // scipy.stats.norm.sf(norm.isf(0.05) + norm.ppf(0.8)) = 0.00645078423203284
/// assert!((power_p_threshold(0.05, 0.8).unwrap() - 0.00645078423203284).abs() < 1e-12);
/// ```
///
/// # Errors
///
/// [`DriftError::InvalidParameter`] if `q` or `power` is not in `(0, 1)` (value = it).
pub fn power_p_threshold(q: f64, power: f64) -> Result<f64, DriftError> {
    use statrs::distribution::{ContinuousCDF, Normal};
    for (name, v) in [("q (false discovery rate)", q), ("power", power)] {
        if !(v > 0.0 && v < 1.0) {
            return Err(DriftError::InvalidParameter { name, value: v });
        }
    }
    let n = Normal::standard();
    Ok(n.sf(n.inverse_cdf(1.0 - q) + n.inverse_cdf(power)))
}

/// The p-value [`crate::policy::chi2_contingency_counts`] would give at `dof` degrees of
/// freedom if one category's share moved by `delta` between a baseline of `n` and a window of
/// `m` values: the χ² statistic of that 2×2 move, `δ² / (p̄(1 − p̄)(1/n + 1/m))`, taken at the
/// largest variance `p̄ = ½` (so the guard errs towards "lacks power"). A power guard for
/// categorical features, as [`crate::policy::KsTest::p_value_at`] is for numeric ones.
/// 1.0 if `n` or `m` is 0.
///
/// ```
/// use drift_math::policy::chi2_p_value_at_share_change;
/// // statistic 0.01 / (0.25 · (1/100 + 1/50000)) = 3.9920159680638725;
/// // scipy.stats.chi2.sf(3.9920159680638725, 3) = 0.2623275527683325
/// let p = chi2_p_value_at_share_change(50_000, 100, 3, 0.1);
/// assert!((p - 0.2623275527683325).abs() < 1e-9);
/// ```
pub fn chi2_p_value_at_share_change(n: u64, m: u64, dof: usize, delta: f64) -> f64 {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    if n == 0 || m == 0 {
        return 1.0;
    }
    let stat = delta * delta / (0.25 * (1.0 / n as f64 + 1.0 / m as f64));
    ChiSquared::new(dof.max(1) as f64).map_or(1.0, |d| d.sf(stat))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(effect: f64, p: f64, min_p: f64) -> FeatureEvidence {
        FeatureEvidence {
            effect,
            effect_floor: 0.1,
            p_value: p,
            min_p_value: min_p,
        }
    }

    #[test]
    fn untestable_features_do_not_dilute_the_family() {
        // Two testable features at p = 0.03 and 0.04: BH over m = 2 rejects both
        // (0.04 <= 2·0.05/2). Counting the powerless third feature (m = 3) would reject none
        // (0.04 > 0.05·2/3, 0.03 > 0.05/3).
        let d = decide(
            &[ev(0.2, 0.03, 0.0), ev(0.2, 0.04, 0.0), ev(0.2, 1.0, 0.5)],
            0.05,
        )
        .unwrap();
        assert_eq!(d[0].decision, Decision::Drift);
        assert_eq!(d[1].decision, Decision::Drift);
        assert_eq!(d[2].decision, Decision::LacksPower);
        assert_eq!(d[2].adjusted_p_value, None);
        assert_eq!(d[1].adjusted_p_value, Some(0.04));
        let all = benjamini_hochberg(&[0.03, 0.04, 1.0], 0.05).unwrap();
        assert_eq!(all.rejected, [false, false, false]);
    }

    #[test]
    fn floor_is_strict_and_inputs_are_checked() {
        let d = decide(&[ev(0.1, 0.0, 0.0)], 0.05).unwrap();
        assert_eq!(d[0].decision, Decision::NoDrift);
        assert!(!d[0].exceeds_floor);
        assert!(decide(&[ev(f64::NAN, 0.0, 0.0)], 0.05).is_err());
        assert!(decide(&[ev(0.2, 0.0, 2.0)], 0.05).is_err());
        assert!(decide(&[ev(0.2, -0.1, 0.0)], 0.05).is_err());
        assert!(decide(&[], 1.5).is_err());
        assert_eq!(decide(&[], 0.05), Ok(vec![]));
    }
}
