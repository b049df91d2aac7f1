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

/// Label × prediction counts of one facet side (a or d).
///
/// `n_x = n()`, `n_x(1) = label_pos()`, `n_x(0) = label_neg()`, `n̂_x(1) = pred_pos()`,
/// `n̂_x(0) = pred_neg()` in the notation of spec §9.3. Rows without a prediction count
/// only for the pre-training metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SideCounts {
    /// observed positive, predicted positive (TP)
    pub true_pos: u64,
    /// observed negative, predicted positive (FP)
    pub false_pos: u64,
    /// observed negative, predicted negative (TN)
    pub true_neg: u64,
    /// observed positive, predicted negative (FN)
    pub false_neg: u64,
    /// observed positive, no prediction
    pub pos_unpredicted: u64,
    /// observed negative, no prediction
    pub neg_unpredicted: u64,
}

impl SideCounts {
    /// Group size `n_x` (all rows of this side).
    pub fn n(&self) -> u64 {
        self.true_pos
            + self.false_pos
            + self.true_neg
            + self.false_neg
            + self.pos_unpredicted
            + self.neg_unpredicted
    }

    /// Observed positives `n_x(1) = TP + FN + positives without prediction`.
    pub fn label_pos(&self) -> u64 {
        self.true_pos + self.false_neg + self.pos_unpredicted
    }

    /// Observed negatives `n_x(0) = FP + TN + negatives without prediction`.
    pub fn label_neg(&self) -> u64 {
        self.false_pos + self.true_neg + self.neg_unpredicted
    }

    /// Predicted positives `n̂_x(1) = TP + FP`.
    pub fn pred_pos(&self) -> u64 {
        self.true_pos + self.false_pos
    }

    /// Predicted negatives `n̂_x(0) = TN + FN`.
    pub fn pred_neg(&self) -> u64 {
        self.true_neg + self.false_neg
    }

    /// Rows without a prediction.
    pub fn unpredicted(&self) -> u64 {
        self.pos_unpredicted + self.neg_unpredicted
    }

    /// Counts one row.
    pub fn add(&mut self, label: bool, predicted: Option<bool>) {
        match (label, predicted) {
            (true, Some(true)) => self.true_pos += 1,
            (false, Some(true)) => self.false_pos += 1,
            (false, Some(false)) => self.true_neg += 1,
            (true, Some(false)) => self.false_neg += 1,
            (true, None) => self.pos_unpredicted += 1,
            (false, None) => self.neg_unpredicted += 1,
        }
    }

    /// Adds another side's counts (exact).
    pub fn merge(&mut self, other: &SideCounts) {
        self.true_pos += other.true_pos;
        self.false_pos += other.false_pos;
        self.true_neg += other.true_neg;
        self.false_neg += other.false_neg;
        self.pos_unpredicted += other.pos_unpredicted;
        self.neg_unpredicted += other.neg_unpredicted;
    }
}

/// Counts of one value of the `group_variable`, split by facet side, for CDDL/CDDPL.
///
/// CDD needs, per group `i`: its size `n_i`, the positives in d and in total, and the
/// negatives in d and in total — once for observed labels (CDDL) and once for predictions
/// (CDDPL).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GroupCounts {
    /// observed positive, side a
    pub label_pos_a: u64,
    /// observed positive, side d
    pub label_pos_d: u64,
    /// observed negative, side a
    pub label_neg_a: u64,
    /// observed negative, side d
    pub label_neg_d: u64,
    /// predicted positive, side a
    pub pred_pos_a: u64,
    /// predicted positive, side d
    pub pred_pos_d: u64,
    /// predicted negative, side a
    pub pred_neg_a: u64,
    /// predicted negative, side d
    pub pred_neg_d: u64,
}

impl GroupCounts {
    /// Group size `n_i` (every row of the group, with or without prediction).
    pub fn n(&self) -> u64 {
        self.label_pos_a + self.label_pos_d + self.label_neg_a + self.label_neg_d
    }

    /// Counts one row.
    pub fn add(&mut self, sensitive: bool, label: bool, predicted: Option<bool>) {
        match (label, sensitive) {
            (true, false) => self.label_pos_a += 1,
            (true, true) => self.label_pos_d += 1,
            (false, false) => self.label_neg_a += 1,
            (false, true) => self.label_neg_d += 1,
        }
        match (predicted, sensitive) {
            (Some(true), false) => self.pred_pos_a += 1,
            (Some(true), true) => self.pred_pos_d += 1,
            (Some(false), false) => self.pred_neg_a += 1,
            (Some(false), true) => self.pred_neg_d += 1,
            (None, _) => {}
        }
    }

    /// Adds another group's counts (exact).
    pub fn merge(&mut self, other: &GroupCounts) {
        self.label_pos_a += other.label_pos_a;
        self.label_pos_d += other.label_pos_d;
        self.label_neg_a += other.label_neg_a;
        self.label_neg_d += other.label_neg_d;
        self.pred_pos_a += other.pred_pos_a;
        self.pred_pos_d += other.pred_pos_d;
        self.pred_neg_a += other.pred_neg_a;
        self.pred_neg_d += other.pred_neg_d;
    }

    /// `(positives in d, positives, negatives in d, negatives)` for labels or predictions.
    fn disparity_counts(&self, predicted: bool) -> (u64, u64, u64, u64) {
        if predicted {
            (
                self.pred_pos_d,
                self.pred_pos_a + self.pred_pos_d,
                self.pred_neg_d,
                self.pred_neg_a + self.pred_neg_d,
            )
        } else {
            (
                self.label_pos_d,
                self.label_pos_a + self.label_pos_d,
                self.label_neg_d,
                self.label_neg_a + self.label_neg_d,
            )
        }
    }
}

/// One sampled row for the flip test: its features and the model's predicted label.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FlipSample {
    /// sampling key (a hash of the row's contents, see [`FlipReservoir`])
    pub key: u64,
    /// predicted label is positive
    pub predicted: bool,
    /// numeric features (finite)
    #[cfg_attr(feature = "serde", serde(with = "crate::codec::f64_vec"))]
    pub features: Vec<f64>,
}

impl FlipSample {
    /// Total order used for bottom-k sampling: key, then predicted label, then features by
    /// `f64::total_cmp` (so identical rows are kept or dropped together).
    fn order(&self, other: &FlipSample) -> Ordering {
        self.key
            .cmp(&other.key)
            .then(self.predicted.cmp(&other.predicted))
            .then_with(|| {
                for (x, y) in self.features.iter().zip(&other.features) {
                    let o = x.total_cmp(y);
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                self.features.len().cmp(&other.features.len())
            })
    }
}

/// splitmix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mixer.
fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Content hash of a (features, predicted) row; -0.0 and 0.0 hash alike.
fn row_key(features: &[f64], predicted: bool) -> u64 {
    let mut h = mix64(0x6D6F_6465_6C77_6174 ^ features.len() as u64 ^ (u64::from(predicted) << 63));
    for &x in features {
        let bits = if x == 0.0 { 0 } else { x.to_bits() };
        h = mix64(h ^ bits);
    }
    h
}

/// A bounded, mergeable uniform sample of rows of one facet side, for the flip test.
///
/// Bottom-k sampling by content hash: every row gets the key `hash(features, predicted)`
/// (splitmix64 over the IEEE bits) and the sample keeps the `cap` rows with the smallest
/// keys. A row's fate depends only on its contents, never on arrival order or on how the
/// input was split, so `merge` (union, then keep the `cap` smallest) gives exactly the sample
/// of the whole input. Identical rows share a key and are kept or dropped together.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FlipReservoir {
    cap: usize,
    rows: Vec<FlipSample>,
}

impl FlipReservoir {
    fn with_cap(cap: usize) -> Self {
        FlipReservoir {
            cap,
            rows: Vec::new(),
        }
    }

    /// The most rows kept.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Rows kept, sorted by sampling key.
    pub fn rows(&self) -> &[FlipSample] {
        &self.rows
    }

    fn insert(&mut self, sample: FlipSample) {
        if self.cap == 0 {
            return;
        }
        if self.rows.len() >= self.cap {
            match self.rows.last() {
                Some(last) if sample.order(last) == Ordering::Less => {}
                _ => return,
            }
        }
        let at = self
            .rows
            .partition_point(|r| r.order(&sample) != Ordering::Greater);
        self.rows.insert(at, sample);
        self.rows.truncate(self.cap);
    }

    fn merge(&mut self, other: &FlipReservoir) {
        let cap = self.cap.min(other.cap);
        let mut all = Vec::with_capacity(self.rows.len() + other.rows.len());
        all.append(&mut self.rows);
        all.extend(other.rows.iter().cloned());
        all.sort_by(|x, y| x.order(y));
        all.truncate(cap);
        self.rows = all;
        self.cap = cap;
    }
}

/// One record as the bias state sees it: facet side, binarised label and prediction, the
/// group-variable value and the numeric features (for FT).
///
/// The caller resolves `facet.value_or_threshold` to `sensitive`, `label_values_or_threshold`
/// to `label` and `predicted` (spec §9.1), and renders the group value so equal values give
/// equal strings (for a numeric group variable use one canonical number format; Clarify
/// groups by `np.unique` of the values).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BiasRow<'a> {
    /// row is in the sensitive facet group d
    pub sensitive: bool,
    /// observed label is positive
    pub label: bool,
    /// predicted label is positive (`None` for pre-training-only data)
    pub predicted: Option<bool>,
    /// value of the `group_variable` (`None` if not configured or missing)
    pub group: Option<&'a str>,
    /// numeric features for the flip test (`None` if not available)
    pub features: Option<&'a [f64]>,
}

/// Mergeable state of one facet split (d = sensitive facet values, a = the rest).
///
/// `update` one [`BiasRow`], `merge` another state, then read any metric with
/// [`metric`](BiasState::metric) or the per-metric methods. All counts merge exactly; the FT
/// sample merges exactly too (see [`FlipReservoir`]).
///
/// Rows with `group = None` are counted as one extra group when at least one row had a
/// group value (NumPy ≥ 1.21 `np.unique` puts all NaNs in one group); when no row had a
/// group value, CDDL/CDDPL fail with [`BiasError::GroupVariableMissing`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BiasState {
    complement: SideCounts,
    sensitive: SideCounts,
    groups: BTreeMap<String, GroupCounts>,
    ungrouped: GroupCounts,
    feature_dim: Option<usize>,
    rows_with_features: u64,
    rows_without_features: u64,
    flip_complement: FlipReservoir,
    flip_sensitive: FlipReservoir,
}

impl Default for BiasState {
    /// Same as [`BiasState::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl BiasState {
    /// An empty state whose FT sample keeps at most [`DEFAULT_FLIP_SAMPLE_CAP`] rows per side.
    pub fn new() -> Self {
        BiasState {
            complement: SideCounts::default(),
            sensitive: SideCounts::default(),
            groups: BTreeMap::new(),
            ungrouped: GroupCounts::default(),
            feature_dim: None,
            rows_with_features: 0,
            rows_without_features: 0,
            flip_complement: FlipReservoir::with_cap(DEFAULT_FLIP_SAMPLE_CAP),
            flip_sensitive: FlipReservoir::with_cap(DEFAULT_FLIP_SAMPLE_CAP),
        }
    }

    /// An empty state whose FT sample keeps at most `cap` rows per side.
    ///
    /// # Errors
    /// [`BiasError::InvalidParameter`] if `cap == 0`.
    pub fn with_flip_cap(cap: usize) -> Result<Self, BiasError> {
        if cap == 0 {
            return Err(BiasError::InvalidParameter {
                name: "flip_cap",
                value: 0,
            });
        }
        let mut s = Self::new();
        s.flip_complement.cap = cap;
        s.flip_sensitive.cap = cap;
        Ok(s)
    }

    /// A state from side counts alone (no group variable, no features): CDDL, CDDPL and FT
    /// then fail; every other metric is available.
    pub fn from_counts(complement: SideCounts, sensitive: SideCounts) -> Self {
        let mut s = Self::new();
        s.rows_without_features = complement.n() + sensitive.n();
        s.complement = complement;
        s.sensitive = sensitive;
        s
    }

    /// Counts one row.
    ///
    /// Features that are missing, empty or contain a non-finite value leave the row out of
    /// the FT sample and make FT fail with [`BiasError::NonNumericFeatures`] (Clarify refuses
    /// non-numeric feature columns).
    ///
    /// # Errors
    /// [`BiasError::FeatureDimension`] if the row's feature vector has a different length
    /// than earlier rows'; the state is then unchanged.
    pub fn update(&mut self, row: &BiasRow<'_>) -> Result<(), BiasError> {
        let features = row.features.filter(|f| !f.is_empty());
        if let (Some(f), Some(dim)) = (features, self.feature_dim) {
            if f.len() != dim {
                return Err(BiasError::FeatureDimension {
                    expected: dim,
                    got: f.len(),
                });
            }
        }
        let side = if row.sensitive {
            &mut self.sensitive
        } else {
            &mut self.complement
        };
        side.add(row.label, row.predicted);
        let group = match row.group {
            Some(g) => self.groups.entry(g.to_string()).or_default(),
            None => &mut self.ungrouped,
        };
        group.add(row.sensitive, row.label, row.predicted);

        match features {
            Some(f) if f.iter().all(|x| x.is_finite()) => {
                self.feature_dim = Some(f.len());
                self.rows_with_features += 1;
                if let Some(predicted) = row.predicted {
                    let sample = FlipSample {
                        key: row_key(f, predicted),
                        predicted,
                        features: f.to_vec(),
                    };
                    if row.sensitive {
                        self.flip_sensitive.insert(sample);
                    } else {
                        self.flip_complement.insert(sample);
                    }
                }
            }
            Some(f) => {
                self.feature_dim = Some(f.len());
                self.rows_without_features += 1;
            }
            None => self.rows_without_features += 1,
        }
        Ok(())
    }

    /// Adds another state (exact: equal to having seen both inputs; the FT sample keeps the
    /// smaller of the two caps).
    ///
    /// # Errors
    /// [`BiasError::FeatureDimension`] if the two states saw feature vectors of different
    /// lengths; `self` is then unchanged.
    pub fn merge(&mut self, other: &BiasState) -> Result<(), BiasError> {
        if let (Some(a), Some(b)) = (self.feature_dim, other.feature_dim) {
            if a != b {
                return Err(BiasError::FeatureDimension {
                    expected: a,
                    got: b,
                });
            }
        }
        self.complement.merge(&other.complement);
        self.sensitive.merge(&other.sensitive);
        for (k, g) in &other.groups {
            self.groups.entry(k.clone()).or_default().merge(g);
        }
        self.ungrouped.merge(&other.ungrouped);
        self.feature_dim = self.feature_dim.or(other.feature_dim);
        self.rows_with_features += other.rows_with_features;
        self.rows_without_features += other.rows_without_features;
        self.flip_complement.merge(&other.flip_complement);
        self.flip_sensitive.merge(&other.flip_sensitive);
        Ok(())
    }

    /// Counts of the complement group a.
    pub fn complement(&self) -> &SideCounts {
        &self.complement
    }

    /// Counts of the sensitive facet group d.
    pub fn sensitive(&self) -> &SideCounts {
        &self.sensitive
    }

    /// Per-group counts, by group value.
    pub fn groups(&self) -> &BTreeMap<String, GroupCounts> {
        &self.groups
    }

    /// Counts of rows without a group value.
    pub fn ungrouped(&self) -> &GroupCounts {
        &self.ungrouped
    }

    /// FT sample of group a.
    pub fn flip_sample_complement(&self) -> &FlipReservoir {
        &self.flip_complement
    }

    /// FT sample of group d.
    pub fn flip_sample_sensitive(&self) -> &FlipReservoir {
        &self.flip_sensitive
    }

    /// Total rows seen.
    pub fn rows(&self) -> u64 {
        self.complement.n() + self.sensitive.n()
    }

    /// Computes one metric by code.
    ///
    /// # Errors
    /// The metric's own error (see each method); the `Display` text is Clarify's message.
    pub fn metric(&self, code: MetricCode) -> Result<f64, BiasError> {
        match code {
            MetricCode::Cddl => self.cddl(),
            MetricCode::Ci => self.ci(),
            MetricCode::Dpl => self.dpl(),
            MetricCode::Js => self.js(),
            MetricCode::Kl => self.kl(),
            MetricCode::Ks => self.ks(),
            MetricCode::Lp => self.lp(),
            MetricCode::Tvd => self.tvd(),
            MetricCode::Ad => self.ad(),
            MetricCode::Cddpl => self.cddpl(),
            MetricCode::Dar => self.dar(),
            MetricCode::Dca => self.dca(),
            MetricCode::Dcr => self.dcr(),
            MetricCode::Di => self.di(),
            MetricCode::Dppl => self.dppl(),
            MetricCode::Drr => self.drr(),
            MetricCode::Ft => self.ft(),
            MetricCode::Ge => self.ge(),
            MetricCode::Rd => self.rd(),
            MetricCode::Sd => self.sd(),
            MetricCode::Te => self.te(),
        }
    }

    /// Computes several metrics, in the given order (e.g. [`MetricCode::PRE_TRAINING`]).
    pub fn metrics(&self, codes: &[MetricCode]) -> Vec<(MetricCode, Result<f64, BiasError>)> {
        codes.iter().map(|&c| (c, self.metric(c))).collect()
    }

    fn require_sides(&self) -> Result<(f64, f64), BiasError> {
        let na = self.complement.n();
        let nd = self.sensitive.n();
        if na == 0 {
            return Err(BiasError::EmptyComplement);
        }
        if nd == 0 {
            return Err(BiasError::EmptyFacet);
        }
        Ok((na as f64, nd as f64))
    }

    fn require_predictions(&self) -> Result<(), BiasError> {
        let rows = self.complement.unpredicted() + self.sensitive.unpredicted();
        if rows > 0 {
            return Err(BiasError::MissingPredictions { rows });
        }
        Ok(())
    }

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

    fn cdd(&self, predicted: bool) -> Result<f64, BiasError> {
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
