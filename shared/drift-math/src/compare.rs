//! Two independent samples' model metrics side by side (issue 15, item 4: A/B variants of an
//! endpoint): the difference `b − a` of one metric, a confidence interval for it and a
//! two-sided p-value for "no difference", from the mergeable counts only.
//!
//! | metric | test | interval |
//! |---|---|---|
//! | a rate `x / n` (accuracy, precision, recall, TPR, TNR, FPR, FNR) | [`proportion_difference`]: pooled two-proportion z | Wald (unpooled) |
//! | ROC AUC | [`auc_difference`]: z with Hanley & McNeil's standard error from the class counts | normal, same standard error |
//! | a mean (regression: mean absolute error) | [`mean_difference`]: Welch's t from the moments | Welch–Satterthwaite t |
//!
//! The variants serve disjoint requests, so the two samples are independent and the variances
//! add. Why these tests: each needs only what the mergeable state already holds (counts,
//! moments, the class counts behind the AUC histograms), each is what statsmodels or SciPy
//! compute for the same question, and each is O(1).

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::policy::SampleSummary;
use crate::DriftError;

/// One metric of two samples: `b − a` with its interval and test.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Difference {
    /// the metric on sample `a` (the reference)
    pub a: f64,
    /// the metric on sample `b`
    pub b: f64,
    /// `b − a`
    pub difference: f64,
    /// lower end of the interval of `b − a`
    pub lower: f64,
    /// upper end of the interval of `b − a`
    pub upper: f64,
    /// the test statistic (z, or Welch's t)
    pub statistic: f64,
    /// two-sided p-value of "no difference"
    pub p_value: f64,
}

fn check_confidence(confidence: f64) -> Result<f64, DriftError> {
    if confidence.is_finite() && confidence > 0.0 && confidence < 1.0 {
        // Normal::standard() cannot fail
        Ok(Normal::standard().inverse_cdf(0.5 + confidence / 2.0))
    } else {
        Err(DriftError::InvalidParameter {
            name: "confidence (must be in (0, 1))",
            value: confidence,
        })
    }
}

fn two_sided(z: f64) -> f64 {
    (2.0 * Normal::standard().sf(z.abs())).min(1.0)
}

/// The difference of two rates `x_b / n_b − x_a / n_a`.
///
/// Test: the pooled two-proportion z-test, `z = (p_b − p_a) / sqrt(p̂ (1 − p̂) (1/n_a + 1/n_b))`
/// with `p̂ = (x_a + x_b) / (n_a + n_b)`, two-sided (statsmodels'
/// `proportions_ztest([x_b, x_a], [n_b, n_a])`). Interval: Wald, unpooled,
/// `(p_b − p_a) ± z_{1−α/2} sqrt(p_a(1−p_a)/n_a + p_b(1−p_b)/n_b)` (statsmodels'
/// `confint_proportions_2indep(x_b, n_b, x_a, n_a, method='wald', compare='diff')`). When
/// both rates are 0 or both 1 the statistic is 0 and the p-value 1.
///
/// ```
/// use drift_math::compare::proportion_difference;
/// // statsmodels proportions_ztest([850, 800], [1000, 1000])
/// //   -> (2.942449431682494, 0.0032562696284121158)
/// let d = proportion_difference(800, 1000, 850, 1000, 0.95).unwrap();
/// assert!((d.difference - 0.05).abs() < 1e-12);
/// assert!((d.statistic - 2.942449431682494).abs() < 1e-9);
/// assert!((d.p_value - 0.0032562696284121158).abs() < 1e-9);
/// ```
///
/// # Errors
/// [`DriftError::Empty`] if a total is 0; [`DriftError::InvalidParameter`] if a count exceeds
/// its total (value = the count) or `confidence` is outside (0, 1).
pub fn proportion_difference(
    x_a: u64,
    n_a: u64,
    x_b: u64,
    n_b: u64,
    confidence: f64,
) -> Result<Difference, DriftError> {
    let z_crit = check_confidence(confidence)?;
    if n_a == 0 || n_b == 0 {
        return Err(DriftError::Empty("proportion_difference: a total is 0"));
    }
    for (x, n, name) in [
        (x_a, n_a, "x_a (must be <= n_a)"),
        (x_b, n_b, "x_b (must be <= n_b)"),
    ] {
        if x > n {
            return Err(DriftError::InvalidParameter {
                name,
                value: x as f64,
            });
        }
    }
    let (xa, na, xb, nb) = (x_a as f64, n_a as f64, x_b as f64, n_b as f64);
    let (pa, pb) = (xa / na, xb / nb);
    let diff = pb - pa;
    let pooled = (xa + xb) / (na + nb);
    let se0 = (pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb)).sqrt();
    let (z, p) = if se0 > 0.0 {
        (diff / se0, two_sided(diff / se0))
    } else {
        (0.0, 1.0)
    };
    let se = (pa * (1.0 - pa) / na + pb * (1.0 - pb) / nb).sqrt();
    Ok(Difference {
        a: pa,
        b: pb,
        difference: diff,
        lower: diff - z_crit * se,
        upper: diff + z_crit * se,
        statistic: z,
        p_value: p,
    })
}

/// An ROC AUC with the class counts it was computed from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AucSample {
    /// the area under the ROC curve
    pub auc: f64,
    /// records whose label is positive
    pub positives: u64,
    /// records whose label is negative
    pub negatives: u64,
}

impl AucSample {
    /// Hanley & McNeil's (1982, *Radiology* 143, eq. 1–3) standard error of the AUC `A`:
    /// `SE² = (A(1−A) + (n_P−1)(Q1−A²) + (n_N−1)(Q2−A²)) / (n_P n_N)`,
    /// `Q1 = A/(2−A)`, `Q2 = 2A²/(1+A)` (the exponential-scores approximation of DeLong's
    /// variance, which needs only the AUC and the class counts). `None` without both classes.
    #[must_use]
    pub fn standard_error(&self) -> Option<f64> {
        if self.positives == 0 || self.negatives == 0 || !(0.0..=1.0).contains(&self.auc) {
            return None;
        }
        let a = self.auc;
        let (np, nn) = (self.positives as f64, self.negatives as f64);
        let q1 = a / (2.0 - a);
        let q2 = 2.0 * a * a / (1.0 + a);
        let var =
            (a * (1.0 - a) + (np - 1.0) * (q1 - a * a) + (nn - 1.0) * (q2 - a * a)) / (np * nn);
        Some(var.max(0.0).sqrt())
    }
}

/// The difference of two independent AUCs `b.auc − a.auc`: `z = (A_b − A_a) / sqrt(SE_a² +
/// SE_b²)` with each `SE` from [`AucSample::standard_error`] (Hanley & McNeil 1982; two
/// independent samples, so no covariance term), two-sided; the interval is
/// `(A_b − A_a) ± z_{1−α/2} sqrt(SE_a² + SE_b²)`.
///
/// Why not DeLong's exact variance: it needs every score's placement in the other class, which
/// a window's merged score histograms approximate; Hanley & McNeil's needs only the AUC and
/// the class counts, and is close to DeLong's for smooth score distributions (Hanley & McNeil
/// 1982, table 2). It is conservative near AUC = 1.
///
/// ```
/// use drift_math::compare::{auc_difference, AucSample};
/// let a = AucSample { auc: 0.80, positives: 300, negatives: 700 };
/// let b = AucSample { auc: 0.85, positives: 300, negatives: 700 };
/// let d = auc_difference(a, b, 0.95).unwrap();
/// assert!((d.difference - 0.05).abs() < 1e-12);
/// assert!(d.lower < d.difference && d.difference < d.upper);
/// ```
///
/// # Errors
/// [`DriftError::Empty`] if a sample lacks a class; [`DriftError::InvalidParameter`] for an
/// AUC outside [0, 1] (value = the AUC) or `confidence` outside (0, 1).
pub fn auc_difference(
    a: AucSample,
    b: AucSample,
    confidence: f64,
) -> Result<Difference, DriftError> {
    let z_crit = check_confidence(confidence)?;
    for s in [a, b] {
        if !(0.0..=1.0).contains(&s.auc) {
            return Err(DriftError::InvalidParameter {
                name: "auc (must be in [0, 1])",
                value: s.auc,
            });
        }
    }
    let (Some(se_a), Some(se_b)) = (a.standard_error(), b.standard_error()) else {
        return Err(DriftError::Empty(
            "auc_difference: a sample has no positive or no negative record",
        ));
    };
    let diff = b.auc - a.auc;
    let se = (se_a * se_a + se_b * se_b).sqrt();
    let (z, p) = if se > 0.0 {
        (diff / se, two_sided(diff / se))
    } else {
        (0.0, if diff == 0.0 { 1.0 } else { 0.0 })
    };
    Ok(Difference {
        a: a.auc,
        b: b.auc,
        difference: diff,
        lower: diff - z_crit * se,
        upper: diff + z_crit * se,
        statistic: z,
        p_value: p,
    })
}

/// The difference of two means `b.mean − a.mean` by Welch's unequal-variance t
/// (`scipy.stats.ttest_ind_from_stats(b_mean, b_std, b_n, a_mean, a_std, a_n,
/// equal_var=False)` with sample standard deviations `s² = σ² n/(n−1)`), and the interval
/// `(m_b − m_a) ± t_{1−α/2, ν} sqrt(s_a²/n_a + s_b²/n_b)` with the Welch–Satterthwaite `ν`.
///
/// # Errors
/// [`DriftError::Empty`] if a sample has fewer than 2 values or both have no spread;
/// [`DriftError::InvalidParameter`] for a non-finite mean or variance (value = it) or
/// `confidence` outside (0, 1).
pub fn mean_difference(
    a: SampleSummary,
    b: SampleSummary,
    confidence: f64,
) -> Result<Difference, DriftError> {
    check_confidence(confidence)?;
    if a.n < 2 || b.n < 2 {
        return Err(DriftError::Empty(
            "mean_difference: a sample has fewer than 2 values",
        ));
    }
    for v in [a.mean, a.population_variance, b.mean, b.population_variance] {
        if !v.is_finite() {
            return Err(DriftError::InvalidParameter {
                name: "mean or variance (must be finite)",
                value: v,
            });
        }
    }
    let sample_var = |s: &SampleSummary| s.population_variance * s.n as f64 / (s.n - 1) as f64;
    let (va, vb) = (sample_var(&a) / a.n as f64, sample_var(&b) / b.n as f64);
    let se2 = va + vb;
    if se2 <= 0.0 {
        return Err(DriftError::Empty(
            "mean_difference: neither sample has spread",
        ));
    }
    let df = se2 * se2 / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
    let t_dist = StudentsT::new(0.0, 1.0, df).map_err(|_| DriftError::InvalidParameter {
        name: "Welch–Satterthwaite degrees of freedom",
        value: df,
    })?;
    let se = se2.sqrt();
    let diff = b.mean - a.mean;
    let t = diff / se;
    let t_crit = t_dist.inverse_cdf(0.5 + confidence / 2.0);
    Ok(Difference {
        a: a.mean,
        b: b.mean,
        difference: diff,
        lower: diff - t_crit * se,
        upper: diff + t_crit * se,
        statistic: t,
        p_value: (2.0 * t_dist.sf(t.abs())).min(1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values: the venv `/root/.cache/mw-ref-variants` (statsmodels 0.14, SciPy).
    const TOL: f64 = 1e-9;

    #[test]
    fn proportions_match_statsmodels() {
        // proportions_ztest([850, 800], [1000, 1000])
        //   -> (2.942449431682494, 0.0032562696284121158)
        // confint_proportions_2indep(850, 1000, 800, 1000, method='wald', compare='diff')
        //   -> (0.01676719375452073, 0.08323280624547913)
        let d = proportion_difference(800, 1000, 850, 1000, 0.95).unwrap();
        assert!((d.statistic - 2.942449431682494).abs() < TOL);
        assert!((d.p_value - 0.0032562696284121158).abs() < TOL);
        assert!((d.lower - 0.01676719375452073).abs() < TOL);
        assert!((d.upper - 0.08323280624547913).abs() < TOL);
        // the same figures mirrored when a and b swap
        let m = proportion_difference(850, 1000, 800, 1000, 0.95).unwrap();
        assert!((m.statistic + d.statistic).abs() < TOL);
        assert!((m.p_value - d.p_value).abs() < TOL);
        // proportions_ztest([450, 400], [500, 500]) -> (4.4280744277004755, 9.507809537672466e-06)
        // confint_proportions_2indep(450, 500, 400, 500, method='wald', compare='diff')
        //   -> (0.0561738729711709, 0.14382612702882905)
        let d = proportion_difference(400, 500, 450, 500, 0.95).unwrap();
        assert!((d.statistic - 4.4280744277004755).abs() < TOL);
        assert!((d.p_value - 9.507809537672466e-06).abs() < 1e-12);
        assert!((d.lower - 0.0561738729711709).abs() < TOL);
        assert!((d.upper - 0.14382612702882905).abs() < TOL);
    }

    #[test]
    fn equal_or_degenerate_proportions_are_not_significant() {
        let d = proportion_difference(300, 1000, 300, 1000, 0.95).unwrap();
        assert_eq!((d.difference, d.statistic, d.p_value), (0.0, 0.0, 1.0));
        let d = proportion_difference(50, 50, 80, 80, 0.95).unwrap();
        assert_eq!(
            (d.statistic, d.p_value, d.lower, d.upper),
            (0.0, 1.0, 0.0, 0.0)
        );
        assert_eq!(
            proportion_difference(5, 4, 1, 2, 0.95),
            Err(DriftError::InvalidParameter {
                name: "x_a (must be <= n_a)",
                value: 5.0
            })
        );
        assert!(proportion_difference(0, 0, 1, 2, 0.95).is_err());
        assert!(proportion_difference(1, 2, 1, 2, 1.0).is_err());
    }

    #[test]
    fn auc_matches_hanley_mcneil() {
        // Hanley & McNeil (1982) eq. 2 in Python, with scipy.stats.norm:
        //   def hm(A, nP, nN): Q1 = A/(2-A); Q2 = 2*A*A/(1+A)
        //       return math.sqrt((A*(1-A)+(nP-1)*(Q1-A*A)+(nN-1)*(Q2-A*A))/(nP*nN))
        //   hm(0.80, 300, 700) -> 0.01659604083595155; hm(0.85, 300, 700) -> 0.014808005504693304
        //   se = math.hypot(...); z = 0.05/se -> 2.2480014744117054
        //   2*norm.sf(z) -> 0.02457609590193174
        //   0.05 ∓ norm.ppf(0.975)*se -> 0.006406523597744296, 0.09359347640225571
        let a = AucSample {
            auc: 0.80,
            positives: 300,
            negatives: 700,
        };
        let b = AucSample {
            auc: 0.85,
            positives: 300,
            negatives: 700,
        };
        assert!((a.standard_error().unwrap() - 0.01659604083595155).abs() < 1e-12);
        assert!((b.standard_error().unwrap() - 0.014808005504693304).abs() < 1e-12);
        let d = auc_difference(a, b, 0.95).unwrap();
        assert!((d.statistic - 2.2480014744117054).abs() < TOL);
        assert!((d.p_value - 0.02457609590193174).abs() < TOL);
        assert!((d.lower - 0.006406523597744296).abs() < TOL);
        assert!((d.upper - 0.09359347640225571).abs() < TOL);
        let none = AucSample {
            auc: 0.8,
            positives: 0,
            negatives: 10,
        };
        assert!(auc_difference(a, none, 0.95).is_err());
        let same = auc_difference(a, a, 0.95).unwrap();
        assert_eq!((same.difference, same.p_value), (0.0, 1.0));
    }

    #[test]
    fn means_match_welch() {
        // scipy.stats.ttest_ind_from_stats(1.2, 1.0, 400, 1.0, 0.9, 500, equal_var=False)
        //   -> statistic 3.115884764248778, pvalue 0.001898509263488325
        // va = 0.81/500; vb = 1.0/400; df = (va+vb)**2/(va**2/499 + vb**2/399) -> 811.2608791753669
        // 0.2 ∓ scipy.stats.t.ppf(0.975, df)*math.sqrt(va+vb)
        //   -> 0.07400737803638352, 0.3259926219636165
        let pop = |s: f64, n: u64| s * s * (n - 1) as f64 / n as f64;
        let a = SampleSummary {
            n: 500,
            mean: 1.0,
            population_variance: pop(0.9, 500),
        };
        let b = SampleSummary {
            n: 400,
            mean: 1.2,
            population_variance: pop(1.0, 400),
        };
        let d = mean_difference(a, b, 0.95).unwrap();
        assert!((d.statistic - 3.115884764248778).abs() < TOL);
        assert!((d.p_value - 0.001898509263488325).abs() < TOL);
        assert!((d.lower - 0.07400737803638352).abs() < 1e-7);
        assert!((d.upper - 0.3259926219636165).abs() < 1e-7);
        let flat = SampleSummary {
            n: 10,
            mean: 1.0,
            population_variance: 0.0,
        };
        assert!(mean_difference(flat, flat, 0.95).is_err());
    }
}
