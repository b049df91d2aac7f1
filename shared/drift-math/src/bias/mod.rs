//! Clarify-compatible bias metrics over mergeable counts (spec §9.3).
//!
//! SageMaker Clarify's bias monitor (and the `ModelBiasMonitor` baseline) writes an
//! `analysis.json` with pre-training metrics (CI, DPL, KL, JS, LP, TVD, KS, CDDL) and
//! post-training metrics (DPPL, DI, DCA, DCR, RD, SD, DAR, DRR, AD, CDDPL, TE, FT, GE) for
//! one facet split: the *sensitive facet* group **d** (rows whose facet value is one of
//! `value_or_threshold`) against its complement **a** (all other rows).
//!
//! Everything except FT is a function of counts, so [`BiasState`] keeps only counts and is
//! merged exactly (the merge of any split equals the state of the whole input):
//!
//! * per side, the 2×2 table of observed label × predicted label ([`SideCounts`]), plus the
//!   rows that carry no prediction (pre-training only);
//! * per value of the `group_variable`, observed and predicted positives/negatives split by
//!   side ([`GroupCounts`]), which is all CDDL/CDDPL need;
//! * for FT, a bounded sample of (features, predicted label) rows per side
//!   ([`FlipReservoir`], at most [`DEFAULT_FLIP_SAMPLE_CAP`] rows per side by default).
//!
//! The metrics follow smclarify's formulas and conventions (implemented here from the
//! formulas in the spec, not from its code): [`clarify_divide`] (`0/0 → 0`, `x/0 → ±∞`),
//! "both ratios `+∞` → 0" for DCA, DCR, DAR, DRR, RD, SD, AD and TE, and smclarify's error
//! texts, so an `analysis.json` writer can emit `"value": null, "error": "<Display of the
//! error>"` exactly as Clarify does (for example "Group variable is empty or not provided").
//! Labels and predictions enter already binarised (`label_values_or_threshold`, spec §9.1);
//! the facet and group values enter already resolved by the caller.
//!
//! ```
//! use drift_math::bias::{BiasRow, BiasState, MetricCode};
//!
//! let mut s = BiasState::new();
//! // (sensitive, label, predicted)
//! for &(sensitive, label, predicted) in &[
//!     (false, true, true), (false, false, true), (false, true, false),
//!     (true, true, false), (true, false, false), (true, true, true),
//! ] {
//!     s.update(&BiasRow { sensitive, label, predicted: Some(predicted), ..BiasRow::default() })?;
//! }
//! // DPPL = n̂_a(1)/n_a − n̂_d(1)/n_d = 2/3 − 1/3
//! assert!((s.metric(MetricCode::Dppl)? - 1.0 / 3.0).abs() < 1e-15);
//! // no group variable → CDDL fails with Clarify's text
//! assert_eq!(
//!     s.metric(MetricCode::Cddl).unwrap_err().to_string(),
//!     "Group variable is empty or not provided"
//! );
//! # Ok::<(), drift_math::bias::BiasError>(())
//! ```

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

mod post_training;
mod pre_training;
mod state;

pub use state::*;

/// Default bound on the rows per facet side kept for the flip test (FT).
///
/// FT fits a k-NN classifier on group a's rows and queries it with every row of group d,
/// which costs `O(n_a · n_d · features)`; 10,000 rows per side keeps that near 10⁸ distance
/// terms per feature. Below the bound FT uses every row and equals Clarify's value (up to
/// the order of exactly tied distances, see [`BiasState::ft`]).
pub const DEFAULT_FLIP_SAMPLE_CAP: usize = 10_000;

/// smclarify's `divide(a, b)`: `a / b`, except `0/0 → 0.0` and `x/0 → +∞` (`−∞` if `x < 0`).
///
/// ```
/// use drift_math::bias::clarify_divide;
/// assert_eq!(clarify_divide(0.0, 0.0), 0.0);
/// assert_eq!(clarify_divide(3.0, 0.0), f64::INFINITY);
/// assert_eq!(clarify_divide(-3.0, 0.0), f64::NEG_INFINITY);
/// assert_eq!(clarify_divide(1.0, 4.0), 0.25);
/// ```
pub fn clarify_divide(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        if a == 0.0 {
            0.0
        } else if a < 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }
    } else {
        a / b
    }
}

/// `x − y`, except 0 when both are `+∞` (smclarify's rule for DCA, DCR, DAR, DRR, RD, SD,
/// AD and TE, where `∞ − ∞` would otherwise be NaN).
fn sub_unless_both_infinite(x: f64, y: f64) -> f64 {
    if x == y && x == f64::INFINITY {
        0.0
    } else {
        x - y
    }
}

/// Generalized entropy index GE with α = 2 from mergeable sums of the per-record benefits.
///
/// Clarify's benefit is `b_i = ŷ_i − y_i + 1 ∈ {0, 1, 2}` and
/// `GE = Σ_i ((b_i/μ)² − 1) / (N·α·(α−1))` with `μ = Σ b_i / N`. With `S₁ = Σ b_i` and
/// `S₂ = Σ b_i²`:
///
/// `GE = (S₂/μ² − N) / (2N) = (N·S₂/S₁² − 1) / 2 = (N·S₂ − S₁²) / (2·S₁²)`,
///
/// so `(N, S₁, S₂)` — additive over any split — is all GE needs. The last form is used: for
/// integer sums below 2⁵³ its numerator and denominator are exact, leaving one rounding.
///
/// # Errors
/// [`BiasError::EmptyDataset`] if `n ≤ 0`; [`BiasError::AllFalseNegatives`] if `S₁ = 0`
/// (Clarify's message: every prediction is a false negative).
///
/// ```
/// use drift_math::bias::generalized_entropy;
/// // benefits 1, 1, 2, 0: S₁ = 4, S₂ = 6, N = 4 → (24 − 16)/32 = 0.25
/// assert_eq!(generalized_entropy(4.0, 4.0, 6.0)?, 0.25);
/// # Ok::<(), drift_math::bias::BiasError>(())
/// ```
pub fn generalized_entropy(n: f64, sum_b: f64, sum_b2: f64) -> Result<f64, BiasError> {
    if n.is_nan() || n <= 0.0 {
        return Err(BiasError::EmptyDataset);
    }
    if sum_b == 0.0 {
        return Err(BiasError::AllFalseNegatives);
    }
    let s1_sq = sum_b * sum_b;
    Ok((n * sum_b2 - s1_sq) / (2.0 * s1_sq))
}

/// Errors of the bias metrics. The `Display` texts of the data-dependent variants are
/// smclarify's messages, so they can go into `analysis.json`'s `"error"` field unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BiasError {
    /// Group d (the sensitive facet values) has no rows.
    #[error("Facet set is empty")]
    EmptyFacet,
    /// Group a (the complement of the facet values) has no rows.
    #[error("Negated Facet set is empty")]
    EmptyComplement,
    /// CDDL/CDDPL without a `group_variable` (no row carried a group value).
    #[error("Group variable is empty or not provided")]
    GroupVariableMissing,
    /// CDDL/CDDPL: no positive (observed or predicted) label in the whole data set.
    #[error("No positive labels in set")]
    NoPositiveLabels,
    /// CDDL/CDDPL: no negative (observed or predicted) label in the whole data set.
    #[error("No negative labels in set")]
    NoNegativeLabels,
    /// KL/JS/LP/TVD/KS: no label value has non-zero mass in both groups.
    #[error("No instance of common facet found, dataset may be too small")]
    NoCommonLabelValues,
    /// GE: the mean benefit is 0 (every prediction is a false negative).
    #[error(
        "All predicted labels are false negatives. There should be at least one prediction that is not false negative."
    )]
    AllFalseNegatives,
    /// GE on an empty data set.
    #[error("dataset must be non-empty")]
    EmptyDataset,
    /// A post-training metric was asked for but some rows carry no predicted label.
    #[error("post-training metrics need a predicted label for every row; {rows} rows have none")]
    MissingPredictions {
        /// rows without a prediction
        rows: u64,
    },
    /// FT: no row carried a feature vector.
    #[error("FlipTest needs the feature columns; no row carried numeric features")]
    NoFeatures,
    /// FT: some rows had no, or non-finite, features (Clarify refuses non-numeric columns).
    #[error("FlipTest does not support non-numeric columns ({rows} rows without finite numeric features)")]
    NonNumericFeatures {
        /// rows whose features were missing or not finite
        rows: u64,
    },
    /// A feature vector's length differs from the first one seen.
    #[error("feature vector has {got} values, expected {expected}")]
    FeatureDimension {
        /// length established by earlier rows
        expected: usize,
        /// offending length
        got: usize,
    },
    /// A metric code that Clarify does not define.
    #[error("unknown bias metric code {0:?}")]
    UnknownMetric(String),
    /// A parameter is out of range.
    #[error("invalid bias parameter {name} = {value}")]
    InvalidParameter {
        /// parameter name
        name: &'static str,
        /// offending value
        value: u64,
    },
}

/// Pre-training (labels only) or post-training (labels and predictions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BiasStage {
    /// `pre_training_bias_metrics` in analysis.json.
    PreTraining,
    /// `post_training_bias_metrics` in analysis.json.
    PostTraining,
}

/// Clarify's bias metrics, by the short code analysis.json uses as `"name"`.
///
/// [`description`](MetricCode::description) is the `"description"` string of analysis.json,
/// copied from real Clarify outputs (fixtures `bias/ex-bias-drift-adult-*-analysis.json`),
/// including Clarify's spelling "Kullback-Liebler". The DG calls DCA "DCAcc";
/// [`from_code`](MetricCode::from_code) accepts both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MetricCode {
    /// Conditional Demographic Disparity in Labels (pre-training).
    Cddl,
    /// Class Imbalance (pre-training).
    Ci,
    /// Difference in Positive Proportions in Labels (pre-training).
    Dpl,
    /// Jensen-Shannon Divergence (pre-training).
    Js,
    /// Kullback-Leibler Divergence (pre-training).
    Kl,
    /// Kolmogorov-Smirnov Distance (pre-training).
    Ks,
    /// L-p Norm, p = 2 (pre-training).
    Lp,
    /// Total Variation Distance (pre-training).
    Tvd,
    /// Accuracy Difference (post-training).
    Ad,
    /// Conditional Demographic Disparity in Predicted Labels (post-training).
    Cddpl,
    /// Difference in Acceptance Rates (post-training).
    Dar,
    /// Difference in Conditional Acceptance, the DG's DCAcc (post-training).
    Dca,
    /// Difference in Conditional Rejection (post-training).
    Dcr,
    /// Disparate Impact (post-training).
    Di,
    /// Difference in Positive Proportions in Predicted Labels (post-training).
    Dppl,
    /// Difference in Rejection Rates (post-training).
    Drr,
    /// Flip Test (post-training).
    Ft,
    /// Generalized Entropy, α = 2 (post-training).
    Ge,
    /// Recall Difference (post-training).
    Rd,
    /// Specificity Difference (post-training).
    Sd,
    /// Treatment Equality (post-training).
    Te,
}

impl MetricCode {
    /// Pre-training metrics in the order analysis.json lists them (sorted by code).
    pub const PRE_TRAINING: [MetricCode; 8] = [
        MetricCode::Cddl,
        MetricCode::Ci,
        MetricCode::Dpl,
        MetricCode::Js,
        MetricCode::Kl,
        MetricCode::Ks,
        MetricCode::Lp,
        MetricCode::Tvd,
    ];

    /// Post-training metrics in the order analysis.json lists them (sorted by code).
    pub const POST_TRAINING: [MetricCode; 13] = [
        MetricCode::Ad,
        MetricCode::Cddpl,
        MetricCode::Dar,
        MetricCode::Dca,
        MetricCode::Dcr,
        MetricCode::Di,
        MetricCode::Dppl,
        MetricCode::Drr,
        MetricCode::Ft,
        MetricCode::Ge,
        MetricCode::Rd,
        MetricCode::Sd,
        MetricCode::Te,
    ];

    /// The short code written as `"name"` in analysis.json (`"DCA"`, not `"DCAcc"`).
    pub fn code(self) -> &'static str {
        match self {
            MetricCode::Cddl => "CDDL",
            MetricCode::Ci => "CI",
            MetricCode::Dpl => "DPL",
            MetricCode::Js => "JS",
            MetricCode::Kl => "KL",
            MetricCode::Ks => "KS",
            MetricCode::Lp => "LP",
            MetricCode::Tvd => "TVD",
            MetricCode::Ad => "AD",
            MetricCode::Cddpl => "CDDPL",
            MetricCode::Dar => "DAR",
            MetricCode::Dca => "DCA",
            MetricCode::Dcr => "DCR",
            MetricCode::Di => "DI",
            MetricCode::Dppl => "DPPL",
            MetricCode::Drr => "DRR",
            MetricCode::Ft => "FT",
            MetricCode::Ge => "GE",
            MetricCode::Rd => "RD",
            MetricCode::Sd => "SD",
            MetricCode::Te => "TE",
        }
    }

    /// The `"description"` string Clarify writes next to the code (copied from real
    /// analysis.json files).
    pub fn description(self) -> &'static str {
        match self {
            MetricCode::Cddl => "Conditional Demographic Disparity in Labels (CDDL)",
            MetricCode::Ci => "Class Imbalance (CI)",
            MetricCode::Dpl => "Difference in Positive Proportions in Labels (DPL)",
            MetricCode::Js => "Jensen-Shannon Divergence (JS)",
            MetricCode::Kl => "Kullback-Liebler Divergence (KL)",
            MetricCode::Ks => "Kolmogorov-Smirnov Distance (KS)",
            MetricCode::Lp => "L-p Norm (LP)",
            MetricCode::Tvd => "Total Variation Distance (TVD)",
            MetricCode::Ad => "Accuracy Difference (AD)",
            MetricCode::Cddpl => "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
            MetricCode::Dar => "Difference in Acceptance Rates (DAR)",
            MetricCode::Dca => "Difference in Conditional Acceptance (DCA)",
            MetricCode::Dcr => "Difference in Conditional Rejection (DCR)",
            MetricCode::Di => "Disparate Impact (DI)",
            MetricCode::Dppl => "Difference in Positive Proportions in Predicted Labels (DPPL)",
            MetricCode::Drr => "Difference in Rejection Rates (DRR)",
            MetricCode::Ft => "Flip Test (FT)",
            MetricCode::Ge => "Generalized Entropy (GE)",
            MetricCode::Rd => "Recall Difference (RD)",
            MetricCode::Sd => "Specificity Difference (SD)",
            MetricCode::Te => "Treatment Equality (TE)",
        }
    }

    /// Which block of analysis.json the metric belongs to.
    pub fn stage(self) -> BiasStage {
        if Self::PRE_TRAINING.contains(&self) {
            BiasStage::PreTraining
        } else {
            BiasStage::PostTraining
        }
    }

    /// Parses a short code (case-sensitive, as in analysis.json); `"DCAcc"` is accepted as
    /// the DG's name of DCA.
    pub fn from_code(code: &str) -> Option<Self> {
        if code == "DCAcc" {
            return Some(MetricCode::Dca);
        }
        Self::PRE_TRAINING
            .iter()
            .chain(Self::POST_TRAINING.iter())
            .copied()
            .find(|m| m.code() == code)
    }
}

impl fmt::Display for MetricCode {
    /// Writes [`MetricCode::code`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for MetricCode {
    type Err = BiasError;

    /// [`MetricCode::from_code`], failing with [`BiasError::UnknownMetric`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MetricCode::from_code(s).ok_or_else(|| BiasError::UnknownMetric(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divide_convention() {
        assert_eq!(clarify_divide(0.0, 0.0), 0.0);
        assert_eq!(clarify_divide(2.0, 0.0), f64::INFINITY);
        assert_eq!(clarify_divide(-2.0, 0.0), f64::NEG_INFINITY);
        assert_eq!(sub_unless_both_infinite(f64::INFINITY, f64::INFINITY), 0.0);
        assert_eq!(sub_unless_both_infinite(f64::INFINITY, 1.0), f64::INFINITY);
        assert_eq!(
            sub_unless_both_infinite(1.0, f64::INFINITY),
            f64::NEG_INFINITY
        );
    }

    #[test]
    fn codes_round_trip_and_are_sorted() {
        for m in MetricCode::PRE_TRAINING {
            assert_eq!(m.stage(), BiasStage::PreTraining);
            assert_eq!(MetricCode::from_code(m.code()), Some(m));
            assert!(m.description().ends_with(&format!("({})", m.code())));
        }
        for m in MetricCode::POST_TRAINING {
            assert_eq!(m.stage(), BiasStage::PostTraining);
            assert_eq!(m.code().parse::<MetricCode>(), Ok(m));
        }
        assert_eq!(MetricCode::from_code("DCAcc"), Some(MetricCode::Dca));
        assert_eq!(
            "XYZ".parse::<MetricCode>().unwrap_err().to_string(),
            "unknown bias metric code \"XYZ\""
        );
        // analysis.json lists metrics sorted by code
        for list in [
            &MetricCode::PRE_TRAINING[..],
            &MetricCode::POST_TRAINING[..],
        ] {
            let codes: Vec<&str> = list.iter().map(|m| m.code()).collect();
            let mut sorted = codes.clone();
            sorted.sort_unstable();
            assert_eq!(codes, sorted);
        }
    }

    #[test]
    fn reservoir_keeps_smallest_keys_and_merges_exactly() {
        let rows: Vec<Vec<f64>> = (0..50)
            .map(|i| vec![i as f64, (i * 7 % 5) as f64])
            .collect();
        let mut whole = FlipReservoir::with_cap(8);
        let mut left = FlipReservoir::with_cap(8);
        let mut right = FlipReservoir::with_cap(8);
        for (i, f) in rows.iter().enumerate() {
            let s = FlipSample {
                key: row_key(f, i % 3 == 0),
                predicted: i % 3 == 0,
                features: f.clone(),
            };
            whole.insert(s.clone());
            if i % 2 == 0 {
                left.insert(s);
            } else {
                right.insert(s);
            }
        }
        assert_eq!(whole.rows().len(), 8);
        assert!(whole
            .rows()
            .windows(2)
            .all(|w| w[0].order(&w[1]) != Ordering::Greater));
        right.merge(&left);
        assert_eq!(right, whole);
    }

    #[test]
    fn dimension_mismatch_leaves_state_unchanged() {
        let mut s = BiasState::new();
        let f2 = [1.0, 2.0];
        let f3 = [1.0, 2.0, 3.0];
        s.update(&BiasRow {
            features: Some(&f2),
            predicted: Some(true),
            ..BiasRow::default()
        })
        .unwrap();
        let before = s.clone();
        let err = s
            .update(&BiasRow {
                features: Some(&f3),
                ..BiasRow::default()
            })
            .unwrap_err();
        assert_eq!(
            err,
            BiasError::FeatureDimension {
                expected: 2,
                got: 3
            }
        );
        assert_eq!(s, before);
    }

    #[test]
    fn ge_matches_per_record_definition() {
        // b = [1, 2, 0, 1, 1, 2]: TP, FP, FN, TN, TP, FP
        let b = [1.0f64, 2.0, 0.0, 1.0, 1.0, 2.0];
        let n = b.len() as f64;
        let mu = b.iter().sum::<f64>() / n;
        let direct = b.iter().map(|x| (x / mu).powi(2) - 1.0).sum::<f64>() / (n * 2.0);
        let mut s = BiasState::new();
        for (label, pred) in [
            (true, true),
            (false, true),
            (true, false),
            (false, false),
            (true, true),
            (false, true),
        ] {
            s.update(&BiasRow {
                label,
                predicted: Some(pred),
                ..BiasRow::default()
            })
            .unwrap();
        }
        assert!((s.ge().unwrap() - direct).abs() < 1e-15);
        let s1: f64 = b.iter().sum();
        let s2: f64 = b.iter().map(|x| x * x).sum();
        assert!((generalized_entropy(n, s1, s2).unwrap() - direct).abs() < 1e-15);
    }
}
