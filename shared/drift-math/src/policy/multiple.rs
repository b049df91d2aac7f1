//! Benjamini–Hochberg control of the false discovery rate across a window's features.

use crate::DriftError;

/// Result of [`benjamini_hochberg`], in the order of the input p-values.
#[derive(Debug, Clone, PartialEq)]
pub struct BhOutcome {
    /// BH-adjusted p-values `p̃_(i) = min_{j ≥ i} min(1, m · p_(j) / j)` (sorted ranks `i`),
    /// as `scipy.stats.false_discovery_control(ps, method='bh')`.
    pub adjusted: Vec<f64>,
    /// `true` for each rejected hypothesis: `p̃ ≤ q`, i.e. `p ≤ p_(k)` for the largest `k`
    /// with `p_(k) ≤ k·q/m` (Benjamini & Hochberg 1995, the step-up procedure).
    pub rejected: Vec<bool>,
}

/// Benjamini–Hochberg step-up procedure at false discovery rate `q` over `p_values`
/// (Benjamini & Hochberg 1995, JRSS B 57(1), 289–300). It controls the FDR at `q` for
/// independent or positively dependent tests (Benjamini & Yekutieli 2001), which drift tests
/// of one window's features are in practice. An empty input gives an empty outcome.
///
/// ```
/// use drift_math::policy::benjamini_hochberg;
/// let r = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.5], 0.05).unwrap();
/// // scipy.stats.false_discovery_control([0.01, 0.04, 0.03, 0.5])
/// //   -> [0.04, 0.05333333, 0.05333333, 0.5]
/// assert_eq!(r.rejected, [true, false, false, false]);
/// assert!((r.adjusted[1] - 0.16 / 3.0).abs() < 1e-15);
/// ```
///
/// # Errors
///
/// [`DriftError::InvalidParameter`] if `q` is not in `(0, 1]` (value = `q`) or a p-value is NaN
/// or outside `[0, 1]` (value = the p-value).
pub fn benjamini_hochberg(p_values: &[f64], q: f64) -> Result<BhOutcome, DriftError> {
    if !(q > 0.0 && q <= 1.0) {
        return Err(DriftError::InvalidParameter {
            name: "q (false discovery rate)",
            value: q,
        });
    }
    if let Some(&p) = p_values.iter().find(|p| !(0.0..=1.0).contains(*p)) {
        return Err(DriftError::InvalidParameter {
            name: "p-value",
            value: p,
        });
    }
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted = vec![0.0; m];
    let mut running = 1.0f64;
    // From the largest p down, the running minimum of m·p_(j)/j gives the step-up adjustment.
    for (rank0, &idx) in order.iter().enumerate().rev() {
        let scaled = p_values[idx] * m as f64 / (rank0 + 1) as f64;
        running = running.min(scaled);
        adjusted[idx] = running;
    }
    let rejected = adjusted.iter().map(|&a| a <= q).collect();
    Ok(BhOutcome { adjusted, rejected })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_and_handles_empty() {
        assert_eq!(
            benjamini_hochberg(&[], 0.05),
            Ok(BhOutcome {
                adjusted: vec![],
                rejected: vec![]
            })
        );
        assert!(benjamini_hochberg(&[0.1], 0.0).is_err());
        assert!(benjamini_hochberg(&[0.1], f64::NAN).is_err());
        assert!(matches!(
            benjamini_hochberg(&[0.1, f64::NAN], 0.05),
            Err(DriftError::InvalidParameter { name: "p-value", value }) if value.is_nan()
        ));
        assert!(benjamini_hochberg(&[1.5], 0.05).is_err());
    }
}
