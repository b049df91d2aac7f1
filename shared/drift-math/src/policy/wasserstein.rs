//! Wasserstein-1 (earth mover's) distance between two KLL sketches.

use crate::kll::KllSketch;
use crate::DriftError;

/// Smallest baseline standard deviation [`normalized_wasserstein`] divides by, so a constant
/// baseline column gives a large finite effect instead of `∞` (Evidently's `wasserstein` stat
/// test uses the same floor, 0.001).
pub const MIN_NORMALISING_STD: f64 = 0.001;

/// Wasserstein-1 distance between the distributions two sketches represent:
/// `W1 = ∫ |F_a(x) − F_b(x)| dx` (Vallender 1974; the formula of
/// `scipy.stats.wasserstein_distance(a, b)`), integrating the two step CDFs exactly over the
/// union of their stored items (items weighted `2^level`).
///
/// Exact (equal to SciPy on the raw data) while neither sketch has compacted; beyond that
/// within [`wasserstein_error_bound`]. `Some(∞)` if the CDFs differ across an infinite item;
/// `None` if either sketch is empty.
///
/// ```
/// use drift_math::kll::KllSketch;
/// use drift_math::policy::wasserstein1;
/// let (mut a, mut b) = (KllSketch::new(), KllSketch::new());
/// [0.0, 1.0, 3.0].iter().for_each(|&x| a.update(x));
/// [5.0, 6.0, 8.0].iter().for_each(|&x| b.update(x));
/// // scipy.stats.wasserstein_distance([0, 1, 3], [5, 6, 8]) = 5.0
/// assert_eq!(wasserstein1(&a, &b), Some(5.0));
/// ```
pub fn wasserstein1(a: &KllSketch, b: &KllSketch) -> Option<f64> {
    let mut prev: Option<(f64, f64)> = None; // (key, |F_a − F_b| just right of key)
    let mut total = 0.0f64;
    // Between two consecutive keys both CDFs are constant, so each gap contributes
    // |F_a − F_b| · width.
    crate::kll::walk_cdfs(a, b, |x, d| {
        if let Some((px, pd)) = prev {
            if pd > 0.0 {
                total += pd * (x - px);
            }
        }
        prev = Some((x, d));
    })?;
    Some(total)
}

/// Worst-case difference between [`wasserstein1`] of two sketches and the exact W1 of the data
/// they summarise: `(ε_a + ε_b) · (hi − lo)`, where `ε` is each sketch's
/// [`KllSketch::normalized_rank_error`] and `[lo, hi]` contains every value of both samples
/// (the profile's min and max). Proof: both CDFs are 0 below `lo` and 1 from `hi`, and
/// `| |F̂_a − F̂_b| − |F_a − F_b| | ≤ |F̂_a − F_a| + |F̂_b − F_b| ≤ ε_a + ε_b` at every `x`.
///
/// # Errors
///
/// [`DriftError::InvalidParameter`] if `lo` or `hi` is not finite or `hi < lo` (value = `hi`).
pub fn wasserstein_error_bound(
    a: &KllSketch,
    b: &KllSketch,
    lo: f64,
    hi: f64,
) -> Result<f64, DriftError> {
    if !(lo.is_finite() && hi.is_finite() && hi >= lo) {
        return Err(DriftError::InvalidParameter {
            name: "hi (must be finite and >= lo)",
            value: hi,
        });
    }
    Ok((a.normalized_rank_error() + b.normalized_rank_error()) * (hi - lo))
}

/// Normalised Wasserstein distance `W1(baseline, window) / max(σ_baseline, 0.001)`, the effect
/// size of Evidently's `wasserstein` stat test (default threshold 0.1): the distance in units
/// of the baseline's population standard deviation ([`crate::moments::Moments::std_dev`], what
/// `statistics.json` reports as `std_dev`). A pure mean shift of `s` standard deviations reads
/// `s`. `None` if either sketch is empty.
///
/// # Errors
///
/// [`DriftError::InvalidParameter`] if `baseline_std` is negative or not finite.
pub fn normalized_wasserstein(
    baseline: &KllSketch,
    window: &KllSketch,
    baseline_std: f64,
) -> Result<Option<f64>, DriftError> {
    if !(baseline_std.is_finite() && baseline_std >= 0.0) {
        return Err(DriftError::InvalidParameter {
            name: "baseline_std",
            value: baseline_std,
        });
    }
    Ok(wasserstein1(baseline, window).map(|w| w / baseline_std.max(MIN_NORMALISING_STD)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sk(xs: &[f64]) -> KllSketch {
        let mut s = KllSketch::new();
        xs.iter().for_each(|&x| s.update(x));
        s
    }

    #[test]
    fn identical_is_zero_and_empty_is_none() {
        let a = sk(&[1.0, 2.0, 2.0, 7.0]);
        assert_eq!(wasserstein1(&a, &a.clone()), Some(0.0));
        assert_eq!(wasserstein1(&a, &KllSketch::new()), None);
        assert_eq!(normalized_wasserstein(&a, &KllSketch::new(), 1.0), Ok(None));
        assert!(normalized_wasserstein(&a, &a, f64::NAN).is_err());
        assert!(normalized_wasserstein(&a, &a, -1.0).is_err());
        // constant baseline: the floor keeps the effect finite: |0 - 1| / 0.001
        let c = sk(&[0.0, 0.0]);
        let d = sk(&[1.0, 1.0]);
        assert_eq!(normalized_wasserstein(&c, &d, 0.0), Ok(Some(1000.0)));
    }

    #[test]
    fn infinite_items_give_infinite_distance() {
        let a = sk(&[0.0, f64::INFINITY]);
        let b = sk(&[0.0, 1.0]);
        assert_eq!(wasserstein1(&a, &b), Some(f64::INFINITY));
        assert!(wasserstein_error_bound(&a, &b, 0.0, f64::INFINITY).is_err());
        assert_eq!(wasserstein_error_bound(&a, &b, 0.0, 1.0), Ok(0.0));
    }
}
