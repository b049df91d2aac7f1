//! Two-sample Kolmogorov–Smirnov test from two KLL sketches.

use crate::kll::{linf_simple, KllSketch};

/// Where [`kolmogorov_sf`] switches from the Jacobi-theta form (accurate for small `x`, where
/// the survival is near 1) to the alternating series (accurate for large `x`, where it is
/// small). Both converge to full precision on either side; this is the usual cut-over
/// (Simard & L'Ecuyer 2011, §2.1, use 0.82 for the CDF).
const KOLMOGOROV_CUTOVER: f64 = 0.82;

/// Survival function of the limiting Kolmogorov distribution,
/// `Q(x) = P(K > x) = 2 Σ_{k≥1} (−1)^{k−1} exp(−2 k² x²)` (Kolmogorov 1933; Feller 1948),
/// as `scipy.special.kolmogorov(x)` = `scipy.stats.kstwobign.sf(x)`.
///
/// For `x < 0.82` it is computed as `1 − CDF` with the equivalent theta-function form
/// `CDF(x) = sqrt(2π)/x · Σ_{k≥1} exp(−(2k−1)² π² / (8x²))`, which converges fast there.
/// statrs has the series only privately (inside `ks_onesample`), so it is written out here.
/// Returns 1 for `x ≤ 0` and NaN for NaN.
///
/// ```
/// use drift_math::policy::kolmogorov_sf;
/// // scipy.special.kolmogorov(1.0) = 0.26999967167735456
/// assert!((kolmogorov_sf(1.0) - 0.26999967167735456).abs() < 1e-15);
/// ```
pub fn kolmogorov_sf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x < KOLMOGOROV_CUTOVER {
        // CDF underflows to 0 well before x = 0.1; the loop ends after the first few terms.
        let pi2_8x2 = std::f64::consts::PI.powi(2) / (8.0 * x * x);
        let mut sum = 0.0;
        for k in 1..=20u32 {
            let j = f64::from(2 * k - 1);
            let term = (-j * j * pi2_8x2).exp();
            sum += term;
            if term <= sum * 1e-17 {
                break;
            }
        }
        let cdf = (2.0 * std::f64::consts::PI).sqrt() / x * sum;
        return (1.0 - cdf).clamp(0.0, 1.0);
    }
    let mut sum = 0.0;
    for k in 1..=100u32 {
        let k = f64::from(k);
        let term = (-2.0 * k * k * x * x).exp();
        sum += if k as u32 % 2 == 1 { term } else { -term };
        if term <= sum.abs() * 1e-17 || term == 0.0 {
            break;
        }
    }
    (2.0 * sum).clamp(0.0, 1.0)
}

/// Asymptotic two-sided p-value of a two-sample KS statistic `d` for sample sizes `n` and `m`:
/// `Q(sqrt(n·m/(n+m)) · d)` with [`kolmogorov_sf`] (Smirnov 1939; Hodges 1958).
///
/// SciPy's `ks_2samp(..., method='asymp')` evaluates instead the finite-`n` one-sample
/// distribution `kstwo.sf(d, round(n·m/(n+m)))`. statrs has neither publicly, and the limiting
/// law is the more conservative of the two where decisions are made: for p between 0.001 and
/// 0.05 it is 1–4 % larger (relative) than SciPy's at an effective size of 1000, 1 % at 10⁴,
/// 0.3 % at 10⁵ (`tests/dm/policy.rs` compares both). `None` if `n` or `m` is 0.
pub fn ks_p_value(d: f64, n: u64, m: u64) -> Option<f64> {
    if n == 0 || m == 0 {
        return None;
    }
    let (n, m) = (n as f64, m as f64);
    let en = n * m / (n + m);
    Some(kolmogorov_sf(en.sqrt() * d))
}

/// Result of [`ks_test`]. Every figure is raw; none is floored for display.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct KsTest {
    /// `D̂`: the L∞ distance between the two sketches' CDFs ([`linf_simple`]); equals the exact
    /// KS statistic while neither sketch has compacted.
    pub statistic: f64,
    /// `ε_baseline + ε_window`: the sum of both sketches' [`KllSketch::normalized_rank_error`],
    /// the most the sketches can have moved `D` (`|D̂ − D| ≤ ε_baseline + ε_window`).
    pub rank_error: f64,
    /// `max(0, D̂ − ε_baseline − ε_window)`: a lower bound on the exact `D`, the value tested.
    pub tested_statistic: f64,
    /// `n·m/(n+m)` with `n`, `m` the sketches' total weights.
    pub effective_n: f64,
    /// [`ks_p_value`] of `tested_statistic`: never smaller than the asymptotic p-value of the
    /// exact data's `D`.
    pub p_value: f64,
    /// The p-value at the largest possible effect (`D = 1`, less the rank error): if this is
    /// not significant, nothing at these sizes can be.
    pub min_p_value: f64,
}

impl KsTest {
    /// The p-value this test would give if the sketches' L∞ distance were `d`, with the same
    /// sizes and rank error: `Q(sqrt(n·m/(n+m)) · max(0, d − ε_b − ε_w))`.
    ///
    /// With `d` = an L∞ effect floor this is the power guard "could an effect at the floor be
    /// significant here?", stricter than [`KsTest::min_p_value`] (`d = 1`); pass it as
    /// [`crate::policy::FeatureEvidence::min_p_value`] to report small windows as lacking
    /// power. NaN for a NaN `d`.
    ///
    /// ```
    /// use drift_math::kll::KllSketch;
    /// use drift_math::policy::ks_test;
    /// let (mut a, mut b) = (KllSketch::new(), KllSketch::new());
    /// (0..2000).for_each(|i| a.update(f64::from(i)));
    /// (0..100).for_each(|i| b.update(f64::from(i)));
    /// let t = ks_test(&a, &b).unwrap();
    /// // 100 records cannot show an L∞ of 0.1:
    /// // scipy.special.kolmogorov(np.sqrt(2000*100/2100) * 0.1) = 0.29673421491026464
    /// assert!((t.p_value_at(0.1) - 0.29673421491026464).abs() < 1e-12);
    /// assert_eq!(t.p_value_at(1.0), t.min_p_value);
    /// ```
    pub fn p_value_at(&self, d: f64) -> f64 {
        kolmogorov_sf(self.effective_n.sqrt() * (d - self.rank_error).max(0.0))
    }
}

/// Two-sample Kolmogorov–Smirnov test of `window` against `baseline`, from their sketches only.
///
/// `D̂` is the sketches' L∞ distance ([`linf_simple`], Deequ's `linf_simple`). Each sketch's
/// CDF is within `ε = rank_error_bound / N` of the exact one at every point
/// ([`KllSketch::rank_error_bound`]: deterministic worst case of Deequ's compactor, 0 up to
/// 2050 values, about 0.2 % of `N` at 10⁴, 1.2 % at 10⁵, 4.6 % at 10⁶), so the exact statistic
/// satisfies `D ≥ D̂ − ε_b − ε_w`. The test is run at that lower bound, floored at 0: since the
/// Kolmogorov survival function decreases, the sketch can never make the test more significant
/// than the exact data would. The price is power at very large windows, where the worst-case
/// bound is ~30× the observed error.
///
/// Measured cost (100 seeds, N(0, 1) data, a 50 000-value baseline, p < 0.05, one feature):
/// with no drift this test rejects 1 % of 100-record windows and 0 % at 10³, 10⁴, 10⁵ (the
/// exact-data `D` at the same limiting law: 3 %, 3 %, 6 %, 2 %); a 0.1 SD shift is detected
/// in 58 % of 10³-record windows (exact `D`: 73 %) and 100 % at 10⁴ and 10⁵. `ε_b + ε_w` was
/// 0.007 at 10³, 0.008 at 10⁴, 0.019 at 10⁵.
///
/// Ties (discrete data) make the KS test conservative as well (Noether 1963).
/// `None` if either sketch is empty.
///
/// ```
/// use drift_math::kll::KllSketch;
/// use drift_math::policy::ks_test;
///
/// let (mut a, mut b) = (KllSketch::new(), KllSketch::new());
/// (0..1000).for_each(|i| a.update(f64::from(i)));
/// (100..1100).for_each(|i| b.update(f64::from(i)));
/// let t = ks_test(&a, &b).unwrap();
/// assert_eq!(t.rank_error, 0.0); // small sketches are exact
/// assert!((t.statistic - 0.1).abs() < 1e-12);
/// // scipy.special.kolmogorov(np.sqrt(500) * 0.1) = 9.079985952496105e-05
/// assert!((t.p_value - 9.079985952496105e-05).abs() < 1e-15);
/// ```
pub fn ks_test(baseline: &KllSketch, window: &KllSketch) -> Option<KsTest> {
    let statistic = linf_simple(baseline, window)?;
    let (n, m) = (baseline.total_weight(), window.total_weight());
    let rank_error = baseline.normalized_rank_error() + window.normalized_rank_error();
    let tested_statistic = (statistic - rank_error).max(0.0);
    let (nf, mf) = (n as f64, m as f64);
    Some(KsTest {
        statistic,
        rank_error,
        tested_statistic,
        effective_n: nf * mf / (nf + mf),
        p_value: ks_p_value(tested_statistic, n, m)?,
        min_p_value: kolmogorov_sf((nf * mf / (nf + mf)).sqrt() * (1.0 - rank_error).max(0.0)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_branches_agree_at_the_cutover() {
        // The two representations are the same function: evaluate both around the cut-over.
        let theta = |x: f64| {
            let c = std::f64::consts::PI.powi(2) / (8.0 * x * x);
            let s: f64 = (1..=20)
                .map(|k| {
                    let j = f64::from(2 * k - 1);
                    (-j * j * c).exp()
                })
                .sum();
            1.0 - (2.0 * std::f64::consts::PI).sqrt() / x * s
        };
        for x in [0.6, 0.82, 1.0, 1.3] {
            let alt: f64 = 2.0
                * (1..=50)
                    .map(|k| {
                        let k = f64::from(k);
                        let t = (-2.0 * k * k * x * x).exp();
                        if k as u32 % 2 == 1 {
                            t
                        } else {
                            -t
                        }
                    })
                    .sum::<f64>();
            assert!((theta(x) - alt).abs() < 1e-14, "x={x}");
            assert!((kolmogorov_sf(x) - alt).abs() < 1e-14, "x={x}");
        }
        assert_eq!(kolmogorov_sf(0.0), 1.0);
        assert_eq!(kolmogorov_sf(-1.0), 1.0);
        assert_eq!(kolmogorov_sf(0.05), 1.0);
        assert!(kolmogorov_sf(f64::NAN).is_nan());
        assert_eq!(kolmogorov_sf(40.0), 0.0);
    }
}
