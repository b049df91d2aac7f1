//! Pre-training bias metrics (CI, DPL, KL, JS, LP, TVD, KS, CDDL) on [`BiasState`].

use super::*;

impl BiasState {
    // ---- pre-training -------------------------------------------------------------------

    /// Class imbalance `CI = (n_a − n_d)/(n_a + n_d)`.
    ///
    /// # Errors
    /// [`BiasError::EmptyComplement`] / [`BiasError::EmptyFacet`] if a side has no rows.
    pub fn ci(&self) -> Result<f64, BiasError> {
        self.require_sides()?;
        let na = self.complement.n();
        let nd = self.sensitive.n();
        Ok((na as i128 - nd as i128) as f64 / (na + nd) as f64)
    }

    /// Difference in positive proportions in labels `DPL = n_a(1)/n_a − n_d(1)/n_d`.
    ///
    /// # Errors
    /// [`BiasError::EmptyComplement`] / [`BiasError::EmptyFacet`].
    pub fn dpl(&self) -> Result<f64, BiasError> {
        let (na, nd) = self.require_sides()?;
        Ok(self.complement.label_pos() as f64 / na - self.sensitive.label_pos() as f64 / nd)
    }

    /// Label distributions `(P_a, P_d)` over the binarised label values in Clarify's order
    /// (negative, positive), keeping only values with non-zero mass in both groups
    /// (smclarify `pdfs_aligned_nonzero`; the masses are not renormalised).
    fn aligned_label_pdfs(&self) -> Result<Vec<(f64, f64)>, BiasError> {
        let na = self.complement.n();
        let nd = self.sensitive.n();
        if na == 0 || nd == 0 {
            return Err(BiasError::NoCommonLabelValues);
        }
        let (na, nd) = (na as f64, nd as f64);
        let pairs: Vec<(f64, f64)> = [
            (self.complement.label_neg(), self.sensitive.label_neg()),
            (self.complement.label_pos(), self.sensitive.label_pos()),
        ]
        .into_iter()
        .filter(|&(a, d)| a > 0 && d > 0)
        .map(|(a, d)| (a as f64 / na, d as f64 / nd))
        .collect();
        if pairs.is_empty() {
            return Err(BiasError::NoCommonLabelValues);
        }
        Ok(pairs)
    }

    /// Kullback–Leibler divergence `KL = Σ_y P_a(y)·ln(P_a(y)/P_d(y))` of the label
    /// distributions of a and d, over labels with non-zero mass in both.
    ///
    /// # Errors
    /// [`BiasError::NoCommonLabelValues`] if no label value occurs in both groups.
    pub fn kl(&self) -> Result<f64, BiasError> {
        let p = self.aligned_label_pdfs()?;
        Ok(p.iter().map(|&(a, d)| a * (a / d).ln()).sum())
    }

    /// Jensen–Shannon divergence `JS = ½[Σ P_a ln(P_a/P) + Σ P_d ln(P_d/P)]`,
    /// `P = ½(P_a + P_d)`.
    ///
    /// # Errors
    /// [`BiasError::NoCommonLabelValues`].
    pub fn js(&self) -> Result<f64, BiasError> {
        let p = self.aligned_label_pdfs()?;
        let mid: Vec<f64> = p.iter().map(|&(a, d)| 0.5 * (a + d)).collect();
        let ka: f64 = p
            .iter()
            .zip(&mid)
            .map(|(&(a, _), m)| a * (a / m).ln())
            .sum();
        let kd: f64 = p
            .iter()
            .zip(&mid)
            .map(|(&(_, d), m)| d * (d / m).ln())
            .sum();
        Ok(0.5 * (ka + kd))
    }

    /// L² norm `LP = ‖P_a − P_d‖₂`.
    ///
    /// # Errors
    /// [`BiasError::NoCommonLabelValues`].
    pub fn lp(&self) -> Result<f64, BiasError> {
        let p = self.aligned_label_pdfs()?;
        Ok(p.iter()
            .map(|&(a, d)| (a - d) * (a - d))
            .sum::<f64>()
            .sqrt())
    }

    /// Total variation distance `TVD = ½‖P_a − P_d‖₁`.
    ///
    /// # Errors
    /// [`BiasError::NoCommonLabelValues`].
    pub fn tvd(&self) -> Result<f64, BiasError> {
        let p = self.aligned_label_pdfs()?;
        Ok(0.5 * p.iter().map(|&(a, d)| (a - d).abs()).sum::<f64>())
    }

    /// Kolmogorov–Smirnov distance as Clarify defines it: `KS = ‖P_a − P_d‖_∞`.
    ///
    /// # Errors
    /// [`BiasError::NoCommonLabelValues`].
    pub fn ks(&self) -> Result<f64, BiasError> {
        let p = self.aligned_label_pdfs()?;
        Ok(p.iter().map(|&(a, d)| (a - d).abs()).fold(0.0, f64::max))
    }

    /// Conditional demographic disparity in observed labels (CDD with labels).
    ///
    /// `CDD = Σ_i n_i·(D_i − A_i) / Σ_i n_i` over the groups `i` of the group variable, with
    /// `D_i = #(negative ∧ d ∧ i)/#(negative ∧ i)` and `A_i = #(positive ∧ d ∧ i)/#(positive ∧ i)`
    /// (0 when the denominator is 0).
    ///
    /// # Errors
    /// [`BiasError::GroupVariableMissing`] without group values; [`BiasError::NoPositiveLabels`]
    /// / [`BiasError::NoNegativeLabels`] if the whole set has no positive / negative label.
    pub fn cddl(&self) -> Result<f64, BiasError> {
        self.cdd(false)
    }

    pub(super) fn cdd(&self, predicted: bool) -> Result<f64, BiasError> {
        if self.groups.is_empty() {
            return Err(BiasError::GroupVariableMissing);
        }
        let with_ungrouped = (self.ungrouped.n() > 0).then_some(&self.ungrouped);
        let all = || self.groups.values().chain(with_ungrouped);
        let (mut pos, mut neg) = (0u64, 0u64);
        for g in all() {
            let (_, p, _, n) = g.disparity_counts(predicted);
            pos += p;
            neg += n;
        }
        if pos == 0 {
            return Err(BiasError::NoPositiveLabels);
        }
        if neg == 0 {
            return Err(BiasError::NoNegativeLabels);
        }
        let (mut num, mut den) = (0.0f64, 0.0f64);
        for g in all() {
            let (pos_d, pos, neg_d, neg) = g.disparity_counts(predicted);
            let a = if pos == 0 {
                0.0
            } else {
                pos_d as f64 / pos as f64
            };
            let d = if neg == 0 {
                0.0
            } else {
                neg_d as f64 / neg as f64
            };
            let n = g.n() as f64;
            num += n * (d - a);
            den += n;
        }
        Ok(clarify_divide(num, den))
    }
}
