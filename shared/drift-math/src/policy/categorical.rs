//! Two-sample tests and effect sizes for categorical counts.

use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::categorical::CategoricalCounts;
use crate::DriftError;

/// Two samples' counts aligned on the union of their categories (sorted by value), with both
/// sides' overflow (values beyond a [`CategoricalCounts`] cap) pooled into one last "other"
/// cell when either side has any. Pooling categories coarsens the table, which keeps every test
/// valid (it can only lose power).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlignedCounts {
    /// Category names, in the order of the count vectors ("other" is not listed).
    pub categories: Vec<String>,
    /// Baseline counts per category, then the pooled overflow if present.
    pub baseline: Vec<u64>,
    /// Window counts per category, then the pooled overflow if present.
    pub window: Vec<u64>,
}

impl AlignedCounts {
    /// Align two count maps (see the type's docs).
    pub fn new(baseline: &CategoricalCounts, window: &CategoricalCounts) -> Self {
        let mut categories: Vec<String> = baseline
            .iter()
            .map(|(v, _)| v.to_owned())
            .chain(
                window
                    .iter()
                    .filter(|(v, _)| !baseline.contains(v))
                    .map(|(v, _)| v.to_owned()),
            )
            .collect();
        categories.sort_unstable();
        let mut b: Vec<u64> = categories.iter().map(|c| baseline.get(c)).collect();
        let mut w: Vec<u64> = categories.iter().map(|c| window.get(c)).collect();
        if baseline.overflow() > 0 || window.overflow() > 0 {
            b.push(baseline.overflow());
            w.push(window.overflow());
        }
        AlignedCounts {
            categories,
            baseline: b,
            window: w,
        }
    }
}

/// Result of [`chi2_contingency`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ContingencyChiSquare {
    /// Pearson's `Σ (O − E)² / E` over the 2×k table, `E = row total · column total / N`.
    pub statistic: f64,
    /// `k − 1`, with `k` the categories seen on either side.
    pub degrees_of_freedom: usize,
    /// `P(χ²(dof) > statistic)`; 1.0 when `dof = 0` (as SciPy).
    pub p_value: f64,
    /// The p-value at the largest possible effect (the two samples share no category, so the
    /// statistic is `N`), at `max(dof, 1)` degrees of freedom.
    pub min_p_value: f64,
}

/// Pearson's χ² test of homogeneity on the 2×k table of aligned counts
/// (`scipy.stats.chi2_contingency([baseline, window], correction=False)`; Pearson 1900).
///
/// Unlike the goodness-of-fit test of [`crate::distance::chi_square`] (Deequ's, which treats
/// the baseline shares as exact and so over-rejects as the window grows: issue 13, item 3), the
/// contingency test accounts for the baseline being a sample too. Categories with zero count
/// on both sides are dropped (SciPy would refuse the table); a category present on one side
/// only is an ordinary cell. The asymptotic χ² law wants expected counts of about 5 or more
/// (Cochran 1954); [`crate::policy::decide`]'s power guard and effect floor cover tiny windows.
///
/// `None` if either side is empty.
///
/// # Errors
///
/// [`DriftError::InvalidParameter`] if the slices differ in length (value = `window.len()`).
pub fn chi2_contingency_counts(
    baseline: &[u64],
    window: &[u64],
) -> Result<Option<ContingencyChiSquare>, DriftError> {
    check_len(baseline, window)?;
    let n: u64 = baseline.iter().sum();
    let m: u64 = window.iter().sum();
    if n == 0 || m == 0 {
        return Ok(None);
    }
    let (nf, mf) = (n as f64, m as f64);
    let total = nf + mf;
    let mut statistic = 0.0;
    let mut k = 0usize;
    for (&b, &w) in baseline.iter().zip(window) {
        let col = (b + w) as f64;
        if col == 0.0 {
            continue;
        }
        k += 1;
        let (eb, ew) = (nf * col / total, mf * col / total);
        statistic += (b as f64 - eb).powi(2) / eb + (w as f64 - ew).powi(2) / ew;
    }
    let dof = k.saturating_sub(1);
    let sf = |x: f64, dof: usize| -> f64 { ChiSquared::new(dof as f64).map_or(1.0, |d| d.sf(x)) };
    let p_value = if dof == 0 { 1.0 } else { sf(statistic, dof) };
    Ok(Some(ContingencyChiSquare {
        statistic,
        degrees_of_freedom: dof,
        p_value,
        min_p_value: sf(total, dof.max(1)),
    }))
}

/// [`chi2_contingency_counts`] of two count maps aligned by [`AlignedCounts::new`]. `None` if
/// either side is empty.
///
/// ```
/// use drift_math::categorical::CategoricalCounts;
/// use drift_math::policy::chi2_contingency;
/// let b = CategoricalCounts::from_pairs(10, [("a", 50), ("b", 30), ("c", 20)]);
/// let w = CategoricalCounts::from_pairs(10, [("a", 40), ("b", 35), ("c", 25)]);
/// let t = chi2_contingency(&b, &w).unwrap();
/// // scipy.stats.chi2_contingency([[50,30,20],[40,35,25]], correction=False)
/// //   -> statistic 2.051282051282051, pvalue 0.3585665413731905, dof 2
/// assert!((t.statistic - 2.051282051282051).abs() < 1e-12);
/// assert!((t.p_value - 0.3585665413731905).abs() < 1e-9);
/// assert_eq!(t.degrees_of_freedom, 2);
/// ```
pub fn chi2_contingency(
    baseline: &CategoricalCounts,
    window: &CategoricalCounts,
) -> Option<ContingencyChiSquare> {
    let a = AlignedCounts::new(baseline, window);
    chi2_contingency_counts(&a.baseline, &a.window)
        .ok()
        .flatten()
}

fn check_len(a: &[u64], b: &[u64]) -> Result<(), DriftError> {
    if a.len() == b.len() {
        Ok(())
    } else {
        Err(DriftError::InvalidParameter {
            name: "window.len() (must equal baseline.len())",
            value: b.len() as f64,
        })
    }
}

/// Two aligned share vectors.
type SharePair = (Vec<f64>, Vec<f64>);

/// Both count vectors as shares (`None` if either sums to 0).
fn shares(a: &[u64], b: &[u64]) -> Result<Option<SharePair>, DriftError> {
    check_len(a, b)?;
    let (n, m): (u64, u64) = (a.iter().sum(), b.iter().sum());
    if n == 0 || m == 0 {
        return Ok(None);
    }
    let p = a.iter().map(|&x| x as f64 / n as f64).collect();
    let q = b.iter().map(|&x| x as f64 / m as f64).collect();
    Ok(Some((p, q)))
}

/// Hellinger distance of two aligned count vectors' shares:
/// `H(p, q) = sqrt(Σ (√pᵢ − √qᵢ)² / 2)` (Hellinger 1909; the normalisation of Evidently's
/// `hellinger` stat test), in `[0, 1]`: 0 for equal shares, 1 for disjoint supports.
/// `None` if either side is empty.
///
/// # Errors
///
/// [`DriftError::InvalidParameter`] if the slices differ in length (value = `window.len()`).
pub fn hellinger_counts(baseline: &[u64], window: &[u64]) -> Result<Option<f64>, DriftError> {
    Ok(shares(baseline, window)?.map(|(p, q)| {
        let s: f64 = p
            .iter()
            .zip(&q)
            .map(|(&p, &q)| (p.sqrt() - q.sqrt()).powi(2))
            .sum();
        (s / 2.0).sqrt().min(1.0)
    }))
}

/// [`hellinger_counts`] of two aligned count maps ([`AlignedCounts::new`]).
///
/// ```
/// use drift_math::categorical::CategoricalCounts;
/// use drift_math::policy::hellinger;
/// let b = CategoricalCounts::from_pairs(10, [("x", 1)]);
/// let w = CategoricalCounts::from_pairs(10, [("y", 3)]);
/// assert_eq!(hellinger(&b, &w), Some(1.0)); // disjoint
/// ```
pub fn hellinger(baseline: &CategoricalCounts, window: &CategoricalCounts) -> Option<f64> {
    let a = AlignedCounts::new(baseline, window);
    hellinger_counts(&a.baseline, &a.window).ok().flatten()
}

/// Share change: the largest absolute difference of a category's share between the two
/// samples, `max_i |pᵢ − qᵢ|`, in `[0, 1]` (the categorical L∞ of Deequ, with overflow pooled
/// as one cell). "5 points" of issue 13 reads 0.05. `None` if either side is empty.
///
/// # Errors
///
/// [`DriftError::InvalidParameter`] if the slices differ in length (value = `window.len()`).
pub fn share_change_counts(baseline: &[u64], window: &[u64]) -> Result<Option<f64>, DriftError> {
    Ok(shares(baseline, window)?.map(|(p, q)| {
        p.iter()
            .zip(&q)
            .map(|(&p, &q)| (p - q).abs())
            .fold(0.0, f64::max)
    }))
}

/// [`share_change_counts`] of two aligned count maps ([`AlignedCounts::new`]).
///
/// ```
/// use drift_math::categorical::CategoricalCounts;
/// use drift_math::policy::share_change;
/// let b = CategoricalCounts::from_pairs(10, [("x", 50), ("y", 50)]);
/// let w = CategoricalCounts::from_pairs(10, [("x", 45), ("y", 50), ("z", 5)]);
/// assert_eq!(share_change(&b, &w), Some(0.05));
/// ```
pub fn share_change(baseline: &CategoricalCounts, window: &CategoricalCounts) -> Option<f64> {
    let a = AlignedCounts::new(baseline, window);
    share_change_counts(&a.baseline, &a.window).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_pools_overflow_and_keeps_one_sided_categories() {
        let mut b = CategoricalCounts::with_cap(1);
        for v in ["a", "a", "b"] {
            b.add(v);
        }
        let w = CategoricalCounts::from_pairs(5, [("c", 2), ("a", 1)]);
        let al = AlignedCounts::new(&b, &w);
        assert_eq!(al.categories, ["a", "c"]);
        assert_eq!(al.baseline, [2, 0, 1]);
        assert_eq!(al.window, [1, 2, 0]);
    }

    #[test]
    fn degenerate_tables() {
        assert_eq!(chi2_contingency_counts(&[0, 0], &[1, 2]), Ok(None));
        assert!(chi2_contingency_counts(&[1], &[1, 2]).is_err());
        // one category on both sides: dof 0, p = 1 (scipy returns statistic 0.0, p 1.0)
        let t = chi2_contingency_counts(&[5, 0], &[7, 0]).unwrap().unwrap();
        assert_eq!(t.degrees_of_freedom, 0);
        assert_eq!(t.statistic, 0.0);
        assert_eq!(t.p_value, 1.0);
        assert_eq!(hellinger_counts(&[3, 1], &[3, 1]), Ok(Some(0.0)));
        assert_eq!(share_change_counts(&[0, 0], &[1, 1]), Ok(None));
    }
}
