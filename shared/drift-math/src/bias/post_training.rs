//! Post-training bias metrics (DPPL, DI, DCA, DCR, RD, SD, DAR, DRR, AD, TE, CDDPL, GE, FT)
//! on [`BiasState`].

use super::*;

impl BiasState {
    // ---- post-training ------------------------------------------------------------------

    /// Difference in positive proportions in predicted labels
    /// `DPPL = n̂_a(1)/n_a − n̂_d(1)/n_d`.
    ///
    /// # Errors
    /// [`BiasError::MissingPredictions`], [`BiasError::EmptyComplement`],
    /// [`BiasError::EmptyFacet`].
    pub fn dppl(&self) -> Result<f64, BiasError> {
        self.require_predictions()?;
        let (na, nd) = self.require_sides()?;
        Ok(self.complement.pred_pos() as f64 / na - self.sensitive.pred_pos() as f64 / nd)
    }

    /// Disparate impact `DI = divide(n̂_d(1)/n_d, n̂_a(1)/n_a)`.
    ///
    /// # Errors
    /// As [`dppl`](BiasState::dppl).
    pub fn di(&self) -> Result<f64, BiasError> {
        self.require_predictions()?;
        let (na, nd) = self.require_sides()?;
        let qa = self.complement.pred_pos() as f64 / na;
        let qd = self.sensitive.pred_pos() as f64 / nd;
        Ok(clarify_divide(qd, qa))
    }

    /// Difference in conditional acceptance `DCA = c_a − c_d`, `c_x = divide(n_x(1), n̂_x(1))`;
    /// 0 if both are `+∞`.
    ///
    /// # Errors
    /// As [`dppl`](BiasState::dppl).
    pub fn dca(&self) -> Result<f64, BiasError> {
        self.require_predictions()?;
        self.require_sides()?;
        let c = |s: &SideCounts| clarify_divide(s.label_pos() as f64, s.pred_pos() as f64);
        Ok(sub_unless_both_infinite(
            c(&self.complement),
            c(&self.sensitive),
        ))
    }

    /// Difference in conditional rejection `DCR = r_d − r_a`, `r_x = divide(n_x(0), n̂_x(0))`;
    /// 0 if both are `+∞`.
    ///
    /// # Errors
    /// As [`dppl`](BiasState::dppl).
    pub fn dcr(&self) -> Result<f64, BiasError> {
        self.require_predictions()?;
        self.require_sides()?;
        let r = |s: &SideCounts| clarify_divide(s.label_neg() as f64, s.pred_neg() as f64);
        Ok(sub_unless_both_infinite(
            r(&self.sensitive),
            r(&self.complement),
        ))
    }

    /// Recall difference `RD = TP_a/(TP_a+FN_a) − TP_d/(TP_d+FN_d)` (via `divide`); 0 if both
    /// recalls are `+∞`.
    ///
    /// # Errors
    /// As [`dppl`](BiasState::dppl).
    pub fn rd(&self) -> Result<f64, BiasError> {
        self.require_predictions()?;
        self.require_sides()?;
        let rec =
            |s: &SideCounts| clarify_divide(s.true_pos as f64, (s.true_pos + s.false_neg) as f64);
        Ok(sub_unless_both_infinite(
            rec(&self.complement),
            rec(&self.sensitive),
        ))
    }

    /// Specificity difference `SD = TN_d/(TN_d+FP_d) − TN_a/(TN_a+FP_a)` (via `divide`); 0 if
    /// both are `+∞`.
    ///
    /// # Errors
    /// As [`dppl`](BiasState::dppl).
    pub fn sd(&self) -> Result<f64, BiasError> {
        self.require_predictions()?;
        self.require_sides()?;
        let spec =
            |s: &SideCounts| clarify_divide(s.true_neg as f64, (s.true_neg + s.false_pos) as f64);
        Ok(sub_unless_both_infinite(
            spec(&self.sensitive),
            spec(&self.complement),
        ))
    }

    /// Difference in acceptance rates `DAR = TP_a/n̂_a(1) − TP_d/n̂_d(1)` (via `divide`); 0 if
    /// both are `+∞`.
    ///
    /// # Errors
    /// As [`dppl`](BiasState::dppl).
    pub fn dar(&self) -> Result<f64, BiasError> {
        self.require_predictions()?;
        self.require_sides()?;
        let ar = |s: &SideCounts| clarify_divide(s.true_pos as f64, s.pred_pos() as f64);
        Ok(sub_unless_both_infinite(
            ar(&self.complement),
            ar(&self.sensitive),
        ))
    }

    /// Difference in rejection rates `DRR = TN_d/n̂_d(0) − TN_a/n̂_a(0)` (via `divide`); 0 if
    /// both are `+∞`.
    ///
    /// # Errors
    /// As [`dppl`](BiasState::dppl).
    pub fn drr(&self) -> Result<f64, BiasError> {
        self.require_predictions()?;
        self.require_sides()?;
        let rr = |s: &SideCounts| clarify_divide(s.true_neg as f64, s.pred_neg() as f64);
        Ok(sub_unless_both_infinite(
            rr(&self.sensitive),
            rr(&self.complement),
        ))
    }

    /// Accuracy difference `AD = ACC_a − ACC_d`, `ACC_x = (TP_x+TN_x)/n_x`; 0 if both are `+∞`.
    ///
    /// # Errors
    /// As [`dppl`](BiasState::dppl).
    pub fn ad(&self) -> Result<f64, BiasError> {
        self.require_predictions()?;
        self.require_sides()?;
        let acc = |s: &SideCounts| clarify_divide((s.true_pos + s.true_neg) as f64, s.n() as f64);
        Ok(sub_unless_both_infinite(
            acc(&self.complement),
            acc(&self.sensitive),
        ))
    }

    /// Treatment equality `TE = FN_d/FP_d − FN_a/FP_a` (via `divide`); 0 if both ratios are
    /// `+∞`.
    ///
    /// # Errors
    /// As [`dppl`](BiasState::dppl).
    pub fn te(&self) -> Result<f64, BiasError> {
        self.require_predictions()?;
        self.require_sides()?;
        let tau = |s: &SideCounts| clarify_divide(s.false_neg as f64, s.false_pos as f64);
        Ok(sub_unless_both_infinite(
            tau(&self.sensitive),
            tau(&self.complement),
        ))
    }

    /// Conditional demographic disparity in predicted labels (CDD with predictions, see
    /// [`cddl`](BiasState::cddl)).
    ///
    /// # Errors
    /// [`BiasError::MissingPredictions`] and the errors of [`cddl`](BiasState::cddl).
    pub fn cddpl(&self) -> Result<f64, BiasError> {
        self.require_predictions()?;
        self.cdd(true)
    }

    /// Generalized entropy (α = 2) of the benefits `b_i = ŷ_i − y_i + 1` over all rows.
    ///
    /// `b = 2` for FP, `1` for TP and TN, `0` for FN, so `S₁ = TP + TN + 2·FP` and
    /// `S₂ = TP + TN + 4·FP` (both sides summed) and `GE = (N·S₂ − S₁²)/(2·S₁²)`
    /// ([`generalized_entropy`]); the numerator is computed in exact integer arithmetic.
    ///
    /// # Errors
    /// [`BiasError::MissingPredictions`], [`BiasError::EmptyDataset`],
    /// [`BiasError::AllFalseNegatives`].
    pub fn ge(&self) -> Result<f64, BiasError> {
        self.require_predictions()?;
        let (a, d) = (&self.complement, &self.sensitive);
        let n = u128::from(a.n() + d.n());
        if n == 0 {
            return Err(BiasError::EmptyDataset);
        }
        let ok = u128::from(a.true_pos + a.true_neg + d.true_pos + d.true_neg);
        let fp = u128::from(a.false_pos + d.false_pos);
        let s1 = ok + 2 * fp;
        let s2 = ok + 4 * fp;
        if s1 == 0 {
            return Err(BiasError::AllFalseNegatives);
        }
        // N·S₂ ≥ S₁² by Cauchy–Schwarz, so the difference is non-negative.
        let num = n * s2 - s1 * s1;
        Ok(num as f64 / (2.0 * (s1 * s1) as f64))
    }

    /// Flip test `FT = (#{ŷ = 1 ∧ kNN = 0} − #{ŷ = 0 ∧ kNN = 1}) / n_d` over the FT sample.
    ///
    /// A k-NN classifier (k = 5 if the a-sample has more than 9 rows, else 1; uniform votes;
    /// Euclidean distance) is fitted on group a's features with the model's predicted labels
    /// and predicts every row of group d; rows whose model prediction is above the k-NN one
    /// count +1, below −1, and the sum is divided (`divide`) by the d-sample size.
    ///
    /// Bound: each side contributes at most its sample cap ([`DEFAULT_FLIP_SAMPLE_CAP`] by
    /// default, see [`BiasState::with_flip_cap`]); up to the cap the sample is every row and FT
    /// equals Clarify's full-data value, beyond it FT is estimated from the uniform samples.
    /// Neighbours at exactly equal distance are taken in sample order (by sampling key);
    /// scikit-learn's order among such ties depends on its search tree, so exact distance
    /// ties at the k-th neighbour can make the two differ.
    ///
    /// # Errors
    /// [`BiasError::MissingPredictions`], [`BiasError::EmptyComplement`],
    /// [`BiasError::EmptyFacet`], [`BiasError::NoFeatures`] if no row had features,
    /// [`BiasError::NonNumericFeatures`] if some rows had none or non-finite ones.
    pub fn ft(&self) -> Result<f64, BiasError> {
        self.require_predictions()?;
        self.require_sides()?;
        if self.rows_with_features == 0 {
            return Err(BiasError::NoFeatures);
        }
        if self.rows_without_features > 0 {
            return Err(BiasError::NonNumericFeatures {
                rows: self.rows_without_features,
            });
        }
        let a = self.flip_complement.rows();
        let d = self.flip_sensitive.rows();
        if a.is_empty() {
            return Err(BiasError::EmptyComplement);
        }
        if d.is_empty() {
            return Err(BiasError::EmptyFacet);
        }
        let k = if a.len() > 9 { 5 } else { 1 };
        let mut best: Vec<(f64, usize)> = Vec::with_capacity(k + 1);
        let (mut flips_up, mut flips_down) = (0i64, 0i64);
        for q in d {
            best.clear();
            for (j, r) in a.iter().enumerate() {
                let dist: f64 = q
                    .features
                    .iter()
                    .zip(&r.features)
                    .map(|(x, y)| (x - y) * (x - y))
                    .sum();
                if best.len() == k {
                    match best.last() {
                        Some(&(worst, _)) if dist < worst => {}
                        _ => continue,
                    }
                }
                // strict `<` keeps earlier rows ahead of later ones at equal distance
                let at = best.partition_point(|&(bd, _)| bd <= dist);
                best.insert(at, (dist, j));
                best.truncate(k);
            }
            let votes_pos = best.iter().filter(|&&(_, j)| a[j].predicted).count();
            // majority vote; k is odd, and a tie would go to the smaller class (negative)
            let knn_pos = 2 * votes_pos > best.len();
            match (q.predicted, knn_pos) {
                (true, false) => flips_up += 1,
                (false, true) => flips_down += 1,
                _ => {}
            }
        }
        Ok(clarify_divide(
            (flips_up - flips_down) as f64,
            d.len() as f64,
        ))
    }
}
