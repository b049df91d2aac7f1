//! Categorical drift distances of Model Monitor's `baseline_drift_check` (Deequ
//! `Distance.scala`, spec §6.2–§6.3), plus PSI and Jensen–Shannon over probability vectors.
//!
//! The numerical (KLL) L∞ distance lives in [`crate::kll`]; it shares
//! [`robust_linf`] with the categorical one.
//!
//! Which result feeds which threshold:
//! * `LInfinity` (default): [`categorical_linf_simple`] for `comparison_method: "Simple"`,
//!   [`categorical_linf_robust`] for `"Robust"` (**inferred**, spec §6.1/§6.2), compared with
//!   `categorical_comparison_threshold`.
//! * `ChiSquared`: [`chi_square`] returns both numbers Deequ can return (statistic and
//!   p-value); which one the container compares, and in which direction, is an open question
//!   (spec §6.3).

use std::collections::BTreeMap;

use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::categorical::CategoricalCounts;
use crate::DriftError;

/// Deequ's default `c(α) = 1.8` for the robust L∞ margin (α ≈ 0.003; Knuth, TAOCP vol. 2,
/// §3.3.1 eq. 15). Deequ 2.0.2, the analyzer's version, hard-codes it.
pub const ROBUST_C_ALPHA: f64 = 1.8;

/// `c(α) = sqrt(−ln(α/2) / 2)`, the two-sample Kolmogorov–Smirnov critical-value factor Deequ
/// uses when a significance level `α` is given (Deequ ≥ 2481d725 only; spec §6.1).
///
/// ```
/// use drift_math::distance::c_alpha;
/// // Python: math.sqrt(-math.log(0.05 / 2) / 2) = 1.3581015157406195
/// assert!((c_alpha(0.05).unwrap() - 1.3581015157406195).abs() < 1e-15);
/// ```
///
/// # Errors
///
/// [`DriftError::InvalidParameter`] unless `0 < α ≤ 1`.
pub fn c_alpha(alpha: f64) -> Result<f64, DriftError> {
    if !(alpha > 0.0 && alpha <= 1.0) {
        return Err(DriftError::InvalidParameter {
            name: "alpha",
            value: alpha,
        });
    }
    Ok((-(alpha / 2.0).ln() * 0.5).sqrt())
}

/// The robust L∞ margin `c_α · sqrt((n + m) / (n·m))` with `c_α` = [`ROBUST_C_ALPHA`], where
/// `n` and `m` are the two sample sizes (Deequ `selectMetrics`).
///
/// ```
/// use drift_math::distance::robust_margin;
/// assert_eq!(robust_margin(100.0, 100.0), 1.8 * 0.02f64.sqrt());
/// ```
pub fn robust_margin(n: f64, m: f64) -> f64 {
    ROBUST_C_ALPHA * ((n + m) / (n * m)).sqrt()
}

/// Deequ's `linf_robust`: `max(0, simple − c_α · sqrt((n + m) / (n·m)))` (spec §6.1).
///
/// ```
/// use drift_math::distance::robust_linf;
/// assert_eq!(robust_linf(0.1, 100.0, 100.0), 0.0); // margin ≈ 0.2546
/// assert!((robust_linf(0.5, 100.0, 100.0) - (0.5 - 1.8 * 0.02f64.sqrt())).abs() < 1e-15);
/// ```
pub fn robust_linf(simple: f64, n: f64, m: f64) -> f64 {
    f64::max(0.0, simple - robust_margin(n, m))
}

/// Deequ's categorical `linf_simple` (spec §6.2): with `n` and `m` the two totals,
/// `max over categories c of |count_a(c)/n − count_b(c)/m|`, missing categories counting 0.
///
/// Despite Deequ's variable names this compares probability masses per category, not CDFs.
/// Returns `None` if either side is empty (Deequ divides by zero and yields `NaN`).
///
/// Overflow (values beyond a [`CategoricalCounts`] cap) counts in `n`/`m`, so the masses of
/// stored categories are their true shares, but overflowed values cannot be matched to a
/// category and add no term of their own. With no overflow this is exactly Deequ's formula.
///
/// ```
/// use drift_math::categorical::CategoricalCounts;
/// use drift_math::distance::categorical_linf_simple;
///
/// let a = CategoricalCounts::from_pairs(10, [("x", 3), ("y", 1)]);
/// let b = CategoricalCounts::from_pairs(10, [("x", 1), ("y", 1)]);
/// assert_eq!(categorical_linf_simple(&a, &b), Some(0.25)); // |3/4 − 1/2|
/// ```
pub fn categorical_linf_simple(a: &CategoricalCounts, b: &CategoricalCounts) -> Option<f64> {
    let (n, m) = (a.total(), b.total());
    if n == 0 || m == 0 {
        return None;
    }
    let (n, m) = (n as f64, m as f64);
    let mut linf = 0.0f64;
    for (v, ca) in a.iter() {
        linf = linf.max((ca as f64 / n - b.get(v) as f64 / m).abs());
    }
    for (v, cb) in b.iter() {
        if !a.contains(v) {
            linf = linf.max(cb as f64 / m);
        }
    }
    Some(linf)
}

/// Deequ's categorical `linf_robust`: [`robust_linf`] of [`categorical_linf_simple`] with the
/// two totals as `n` and `m`. `None` if either side is empty.
///
/// ```
/// use drift_math::categorical::CategoricalCounts;
/// use drift_math::distance::{categorical_linf_robust, categorical_linf_simple};
///
/// let a = CategoricalCounts::from_pairs(10, [("x", 3), ("y", 1)]);
/// let b = CategoricalCounts::from_pairs(10, [("x", 1), ("y", 1)]);
/// assert_eq!(categorical_linf_robust(&a, &b), Some(0.0)); // 6 values are too few
/// ```
pub fn categorical_linf_robust(a: &CategoricalCounts, b: &CategoricalCounts) -> Option<f64> {
    let simple = categorical_linf_simple(a, b)?;
    Some(robust_linf(simple, a.total() as f64, b.total() as f64))
}

/// Result of Pearson's chi-square goodness-of-fit test (Spark MLlib `ChiSqTestResult`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ChiSquare {
    /// `Σ (o − e)² / e` over the (regrouped) baseline categories; `+∞` if a category has
    /// expected count 0 but observations.
    pub statistic: f64,
    /// `1 − CDF_χ²(dof)(statistic)` (computed like Spark, as one minus the CDF, so it is exactly
    /// 0 once the CDF rounds to 1).
    pub p_value: f64,
    /// number of (regrouped) baseline categories minus 1
    pub degrees_of_freedom: usize,
}

/// Regrouping thresholds of Deequ's `ChisquareMethod` (defaults = Deequ's defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ChiSquareParams {
    /// more than 2 categories: a cell is "small" when its expected count is below this (Yates: 5)
    pub abs_threshold_yates: u32,
    /// more than 2 categories: at most `floor(perc · #categories)` small cells allowed (0.2)
    pub perc_threshold_yates: f64,
    /// exactly 2 categories: a cell is "small" below this; none allowed (Cochran: 10)
    pub abs_threshold_cochran: u32,
}

impl Default for ChiSquareParams {
    /// Deequ's `absThresholdYates = 5`, `percThresholdYates = 0.2`, `absThresholdCochran = 10`.
    fn default() -> Self {
        ChiSquareParams {
            abs_threshold_yates: 5,
            perc_threshold_yates: 0.2,
            abs_threshold_cochran: 10,
        }
    }
}

/// Deequ's categorical chi-square test (`Distance.categoricalChiSquareTest`, spec §6.3) with
/// default thresholds; see [`chi_square_with`].
///
/// ```
/// use drift_math::categorical::CategoricalCounts;
/// use drift_math::distance::chi_square;
///
/// let baseline = CategoricalCounts::from_pairs(10, [("a", 50), ("b", 30), ("c", 20)]);
/// let current = CategoricalCounts::from_pairs(10, [("a", 40), ("b", 35), ("c", 25)]);
/// let r = chi_square(&current, &baseline).unwrap();
/// // scipy.stats.chisquare([40, 35, 25], [50, 30, 20]) -> statistic 4.083333…, p 0.129781…
/// assert!((r.statistic - 4.083333333333333).abs() < 1e-12);
/// assert_eq!(r.degrees_of_freedom, 2);
/// ```
pub fn chi_square(sample: &CategoricalCounts, expected: &CategoricalCounts) -> Option<ChiSquare> {
    chi_square_with(sample, expected, &ChiSquareParams::default())
}

/// Deequ's categorical chi-square test with explicit regrouping thresholds.
///
/// `sample` is the current data, `expected` the baseline. Steps (spec §6.3):
/// 1. `sampleSum` = sum of current counts over categories present in the baseline;
///    `expectedSum` = sum of baseline counts.
/// 2. `e(c) = baseline(c) / expectedSum · sampleSum` for each baseline category.
/// 3. Regroup while the baseline has ≥ 2 categories and more cells have `e < threshold` than
///    allowed (2 categories: Cochran threshold, none allowed; more: Yates threshold,
///    `floor(perc · k)` allowed): remove the smallest expected cell, add its expected and
///    observed counts to the smallest remaining cell.
/// 4. If the current data then has fewer than 2 categories (Deequ counts the keys of the
///    regrouped *sample* map, which includes categories unseen in the baseline) → `None`.
/// 5. Spark `Statistics.chiSqTest(observed, expected)` over the baseline categories
///    (unobserved = 0): rescale expected to the observed sum unless the sums agree within
///    1e-7; statistic `Σ (o − e)²/e`, `dof = k − 1`, p-value `1 − CDF_χ²(dof)`.
///
/// Returns `None` wherever Deequ returns `NaN` or Spark throws: an empty baseline, fewer than
/// 2 current categories after regrouping, fewer than 2 baseline cells left (dof 0), or a cell
/// with expected and observed both 0 (e.g. no current value falls in a baseline category).
/// A cell with expected 0 and observations gives Spark's `statistic = +∞`, `p_value = 0`.
///
/// Determinism: Deequ picks the minimum cell of a Scala hash map, so ties depend on hashing;
/// we break ties by ascending category (byte order) and sum cells in that order.
/// Overflowed values of either side (beyond a [`CategoricalCounts`] cap) are ignored: they are
/// not among the listed categories, like values missing from a `categorical.buckets` list.
pub fn chi_square_with(
    sample: &CategoricalCounts,
    expected: &CategoricalCounts,
    params: &ChiSquareParams,
) -> Option<ChiSquare> {
    if expected.distinct() == 0 {
        return None;
    }
    // Deequ sums the Long counts, then converts to Double.
    let expected_sum = expected.kept_total() as f64;
    let sample_sum = sample
        .iter()
        .filter(|(v, _)| expected.contains(v))
        .fold(0u64, |acc, (_, n)| acc.saturating_add(n)) as f64;

    let mut exp: BTreeMap<&str, f64> = expected
        .iter()
        .map(|(v, n)| (v, n as f64 / expected_sum * sample_sum))
        .collect();
    let mut obs: BTreeMap<&str, f64> = sample.iter().map(|(v, n)| (v, n as f64)).collect();

    regroup(&mut obs, &mut exp, params);

    if obs.len() < 2 || exp.len() < 2 {
        return None;
    }

    // Spark ChiSqTest.chiSquared(observed, expected)
    let cells: Vec<(f64, f64)> = exp
        .iter()
        .map(|(v, &e)| (obs.get(v).copied().unwrap_or(0.0), e))
        .collect();
    let dof = cells.len() - 1;
    let obs_sum: f64 = cells.iter().map(|c| c.0).sum();
    let exp_sum: f64 = cells.iter().map(|c| c.1).sum();
    let scale = if (obs_sum - exp_sum).abs() < 1e-7 {
        1.0
    } else {
        obs_sum / exp_sum
    };
    let mut statistic = 0.0;
    for &(o, e) in &cells {
        if e == 0.0 {
            if o == 0.0 {
                return None; // Spark: "Chi-squared statistic undefined ..."
            }
            return Some(ChiSquare {
                statistic: f64::INFINITY,
                p_value: 0.0,
                degrees_of_freedom: dof,
            });
        }
        let e = if scale == 1.0 { e } else { e * scale };
        let dev = o - e;
        statistic += dev * dev / e;
    }
    let dist = ChiSquared::new(dof as f64).ok()?;
    Some(ChiSquare {
        statistic,
        p_value: 1.0 - dist.cdf(statistic),
        degrees_of_freedom: dof,
    })
}

/// The smallest cell of a map, ties by the smallest key (BTreeMap order).
fn min_cell<'a>(m: &BTreeMap<&'a str, f64>) -> Option<(&'a str, f64)> {
    let mut best: Option<(&'a str, f64)> = None;
    for (&k, &v) in m {
        if best.is_none_or(|(_, bv)| v < bv) {
            best = Some((k, v));
        }
    }
    best
}

/// Deequ `regroupCategories` (iterative form of its tail recursion).
fn regroup<'a>(
    obs: &mut BTreeMap<&'a str, f64>,
    exp: &mut BTreeMap<&'a str, f64>,
    params: &ChiSquareParams,
) {
    loop {
        let k = exp.len();
        if k < 2 {
            return;
        }
        let (threshold, allowed) = if k > 2 {
            (
                f64::from(params.abs_threshold_yates),
                // Scala `(perc * size).toInt`: truncation toward zero
                (params.perc_threshold_yates * k as f64) as usize,
            )
        } else {
            (f64::from(params.abs_threshold_cochran), 0)
        };
        let below = exp.values().filter(|&&e| e < threshold).count();
        if below <= allowed {
            return;
        }
        let Some((min_key, min_exp)) = min_cell(exp) else {
            return;
        };
        exp.remove(min_key);
        let min_obs = obs.remove(min_key).unwrap_or(0.0);
        let Some((second_key, second_exp)) = min_cell(exp) else {
            return;
        };
        let second_obs = obs.get(second_key).copied().unwrap_or(0.0);
        exp.insert(second_key, second_exp + min_exp);
        obs.insert(second_key, min_obs + second_obs);
    }
}

/// Proportions below this are raised to it in [`psi`], so empty buckets give a large but
/// finite contribution instead of `∞`/`NaN`.
pub const PSI_EPSILON: f64 = 1e-4;

/// Checks a weight vector (finite, ≥ 0, positive sum) and returns it divided by its sum.
fn normalise(xs: &[f64], name: &'static str, empty: &'static str) -> Result<Vec<f64>, DriftError> {
    if xs.is_empty() {
        return Err(DriftError::Empty(empty));
    }
    let mut sum = 0.0;
    for &x in xs {
        if !(x.is_finite() && x >= 0.0) {
            return Err(DriftError::InvalidParameter { name, value: x });
        }
        sum += x;
    }
    if sum <= 0.0 || !sum.is_finite() {
        return Err(DriftError::InvalidParameter {
            name: "sum of weights",
            value: sum,
        });
    }
    Ok(xs.iter().map(|&x| x / sum).collect())
}

fn check_lengths(a: &[f64], b: &[f64], name: &'static str) -> Result<(), DriftError> {
    if a.len() != b.len() {
        return Err(DriftError::InvalidParameter {
            name,
            value: b.len() as f64,
        });
    }
    Ok(())
}

/// Population stability index of two aligned bucket vectors:
/// `PSI = Σ (aᵢ − eᵢ) · ln(aᵢ / eᵢ)` (Deequ `populationStabilityIndex`), natural log.
///
/// Inputs are non-negative weights (counts or probabilities); each vector is divided by its
/// sum. Then every proportion below [`PSI_EPSILON`] is raised to it (no renormalisation), so a
/// bucket empty on one side contributes `(a − ε)·ln(a/ε)` rather than Deequ's `∞`. Each term is
/// ≥ 0, so PSI ≥ 0, and PSI(x, x) = 0. Common reading: < 0.1 stable, 0.1–0.2 moderate shift,
/// > 0.2 significant shift.
///
/// ```
/// use drift_math::distance::psi;
/// // numpy: e=np.array([.5,.5]); a=np.array([.6,.4]); np.sum((a-e)*np.log(a/e))
/// let v = psi(&[0.5, 0.5], &[0.6, 0.4]).unwrap();
/// assert!((v - 0.04054651081081644).abs() < 1e-15);
/// ```
///
/// # Errors
///
/// [`DriftError::Empty`] for empty vectors; [`DriftError::InvalidParameter`] for different
/// lengths (value = `actual.len()`), a negative or non-finite entry (value = the entry), or a
/// vector summing to 0.
pub fn psi(expected: &[f64], actual: &[f64]) -> Result<f64, DriftError> {
    check_lengths(expected, actual, "actual.len() (must equal expected.len())")?;
    let e = normalise(expected, "expected weight", "psi: no buckets")?;
    let a = normalise(actual, "actual weight", "psi: no buckets")?;
    Ok(e.iter()
        .zip(&a)
        .map(|(&e, &a)| {
            let (e, a) = (e.max(PSI_EPSILON), a.max(PSI_EPSILON));
            (a - e) * (a / e).ln()
        })
        .sum())
}

/// Jensen–Shannon **distance** with natural logarithms, as
/// `scipy.spatial.distance.jensenshannon(p, q)` (default `base=None`):
/// `sqrt((KL(p‖m) + KL(q‖m)) / 2)` with `m = (p + q)/2`, after dividing `p` and `q` by their
/// sums. Terms with `pᵢ = 0` contribute 0, so no epsilon is needed (`mᵢ > 0` wherever `pᵢ > 0`).
///
/// The result lies in `[0, sqrt(ln 2)] ≈ [0, 0.8326]`; the divergence is its square, and the
/// base-2 distance (range `[0, 1]`) is this value divided by `sqrt(ln 2)`. A tiny negative
/// divergence from rounding is clamped to 0 (where SciPy would return `NaN`).
///
/// ```
/// use drift_math::distance::jensen_shannon;
/// // scipy.spatial.distance.jensenshannon([1, 0], [0, 1]) == sqrt(ln 2)
/// let d = jensen_shannon(&[1.0, 0.0], &[0.0, 1.0]).unwrap();
/// assert!((d - std::f64::consts::LN_2.sqrt()).abs() < 1e-15);
/// ```
///
/// # Errors
///
/// As [`psi`]: empty input, different lengths, a negative or non-finite entry, or a zero sum.
pub fn jensen_shannon(p: &[f64], q: &[f64]) -> Result<f64, DriftError> {
    check_lengths(p, q, "q.len() (must equal p.len())")?;
    let p = normalise(p, "p weight", "jensen_shannon: no entries")?;
    let q = normalise(q, "q weight", "jensen_shannon: no entries")?;
    // scipy.special.rel_entr(x, y) = x·ln(x/y) for x > 0, 0 for x = 0
    let rel_entr = |x: f64, y: f64| if x > 0.0 { x * (x / y).ln() } else { 0.0 };
    let (mut left, mut right) = (0.0, 0.0);
    for (&pi, &qi) in p.iter().zip(&q) {
        let mi = (pi + qi) / 2.0;
        left += rel_entr(pi, mi);
        right += rel_entr(qi, mi);
    }
    Ok(((left + right) / 2.0).max(0.0).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_cell_breaks_ties_by_key() {
        let m: BTreeMap<&str, f64> = [("b", 1.0), ("a", 1.0), ("c", 0.5), ("d", 0.5)]
            .into_iter()
            .collect();
        assert_eq!(min_cell(&m), Some(("c", 0.5)));
        assert_eq!(min_cell(&BTreeMap::new()), None);
    }
}
