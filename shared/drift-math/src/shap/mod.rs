//! SHAP feature attributions and the attribution-drift score (spec §10).
//!
//! Clarify's explainability monitor computes Kernel SHAP values per record against a baseline
//! (background) data set, aggregates them per feature into `global_shap_values`
//! (`agg_method`, spec §10.1), and flags drift when the nDCG of the current global ranking
//! against the baseline attributions falls below 0.9 (spec §10.3).
//!
//! * [`LinearShap`]: exact SHAP for a linear model, `φ_j = w_j·(x_j − E_bg[x_j])`.
//! * [`TreeEnsemble`]: exact path-dependent TreeSHAP of tree ensembles (Lundberg et al.
//!   2018, Algorithm 2), read from XGBoost's JSON model.
//! * [`KernelShap`]: model-agnostic Kernel SHAP (Lundberg & Lee 2017, "A Unified Approach to
//!   Interpreting Model Predictions", NeurIPS, Theorem 2) through a batch-predict callback.
//! * [`aggregate`]: global values by `mean_abs`, `median` or `mean_sq`.
//! * [`ndcg`] / [`ndcg_by_name`]: the drift score, with [`NDCG_THRESHOLD`].
//!
//! ```
//! use drift_math::shap::{ndcg, NDCG_THRESHOLD};
//! // DG example: baseline 0.70 / 0.50 / 0.05, live ranking reversed → 0.6876
//! let score = ndcg(&[0.70, 0.50, 0.05], &[0.05, 0.50, 0.70])?;
//! assert!((score - 0.687_639_624_122_622).abs() < 1e-12);
//! assert!(score < NDCG_THRESHOLD);
//! # Ok::<(), drift_math::shap::ShapError>(())
//! ```

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

mod kernel;
mod tree;

pub use kernel::*;
pub use tree::*;

/// nDCG below which Clarify reports feature-attribution drift (fixed; spec §10.3).
pub const NDCG_THRESHOLD: f64 = 0.9;

/// Errors of the SHAP computations; each carries the offending value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ShapError {
    /// An input that needs at least one element is empty.
    #[error("empty input: {0}")]
    Empty(&'static str),
    /// A vector has the wrong length.
    #[error("{what} has length {got}, expected {expected}")]
    Length {
        /// which input
        what: &'static str,
        /// required length
        expected: usize,
        /// offending length
        got: usize,
    },
    /// A NaN or infinite value where a finite one is required.
    #[error("non-finite value {value} in {what} at index {index}")]
    NonFinite {
        /// which input
        what: &'static str,
        /// position of the value
        index: usize,
        /// offending value
        value: f64,
    },
    /// The model callback returned the wrong number of predictions.
    #[error("model returned {got} predictions for {expected} rows")]
    PredictionCount {
        /// rows sent
        expected: usize,
        /// predictions received
        got: usize,
    },
    /// The (fallible) model callback failed.
    #[error("model failed: {0}")]
    Model(String),
    /// `use_logit` needs predictions strictly inside (0, 1).
    #[error("use_logit needs a probability in (0, 1), got {0}")]
    NotAProbability(f64),
    /// The Kernel SHAP least-squares system is singular (too few coalitions).
    #[error(
        "kernel SHAP system is singular for {features} varying features and {coalitions} coalitions; raise num_samples"
    )]
    Singular {
        /// varying features of the record
        features: usize,
        /// coalitions in the plan
        coalitions: usize,
    },
    /// nDCG is undefined when the ideal DCG is not positive.
    #[error("ideal DCG of the baseline attributions is {0}, not positive: nDCG is undefined")]
    IdealDcgNotPositive(f64),
    /// A feature is present in one attribution set and not the other.
    #[error("feature {0:?} is not in both attribution sets")]
    FeatureMismatch(String),
    /// A feature name occurs twice in one attribution set.
    #[error("feature {0:?} appears more than once")]
    DuplicateFeature(String),
    /// `agg_method` is not one of Clarify's three.
    #[error("unknown agg_method {0:?} (expected mean_abs, median or mean_sq)")]
    UnknownAggMethod(String),
    /// A tree model that cannot be used (malformed, unsupported, inconsistent).
    #[error("invalid tree model: {0}")]
    TreeModel(String),
    /// A configuration value is out of range.
    #[error("invalid kernel SHAP parameter {name} = {value}")]
    InvalidParameter {
        /// parameter name
        name: &'static str,
        /// offending value
        value: usize,
    },
}

fn check_finite(what: &'static str, v: &[f64]) -> Result<(), ShapError> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(ShapError::NonFinite {
            what,
            index,
            value: v[index],
        }),
        None => Ok(()),
    }
}

// ---- aggregation ------------------------------------------------------------------------

/// Clarify's `agg_method` for global SHAP values (spec §10.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum AggMethod {
    /// `mean_abs` (Clarify's default): `mean_i |φ_ij|`.
    #[default]
    MeanAbs,
    /// `median`: the median of `φ_ij` over records (mean of the two middle values for an
    /// even count, as `numpy.median`).
    Median,
    /// `mean_sq`: `mean_i φ_ij²`.
    MeanSq,
}

impl AggMethod {
    /// The name used in the analysis config.
    pub fn as_str(self) -> &'static str {
        match self {
            AggMethod::MeanAbs => "mean_abs",
            AggMethod::Median => "median",
            AggMethod::MeanSq => "mean_sq",
        }
    }
}

impl FromStr for AggMethod {
    type Err = ShapError;

    /// Parses `mean_abs`, `median` or `mean_sq`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "mean_abs" => Ok(AggMethod::MeanAbs),
            "median" => Ok(AggMethod::Median),
            "mean_sq" => Ok(AggMethod::MeanSq),
            other => Err(ShapError::UnknownAggMethod(other.to_string())),
        }
    }
}

/// Global attribution per feature from local SHAP values (`local[record][feature]`).
///
/// # Errors
/// [`ShapError::Empty`] without records, [`ShapError::Length`] if records differ in length,
/// [`ShapError::NonFinite`] for NaN/∞.
///
/// ```
/// use drift_math::shap::{aggregate, AggMethod};
/// let local = vec![vec![1.0, -2.0], vec![-3.0, 4.0]];
/// assert_eq!(aggregate(&local, AggMethod::MeanAbs)?, vec![2.0, 3.0]);
/// assert_eq!(aggregate(&local, AggMethod::Median)?, vec![-1.0, 1.0]);
/// assert_eq!(aggregate(&local, AggMethod::MeanSq)?, vec![5.0, 10.0]);
/// # Ok::<(), drift_math::shap::ShapError>(())
/// ```
pub fn aggregate(local: &[Vec<f64>], method: AggMethod) -> Result<Vec<f64>, ShapError> {
    let first = local.first().ok_or(ShapError::Empty("local SHAP values"))?;
    let m = first.len();
    for row in local {
        if row.len() != m {
            return Err(ShapError::Length {
                what: "local SHAP record",
                expected: m,
                got: row.len(),
            });
        }
        check_finite("local SHAP values", row)?;
    }
    let n = local.len() as f64;
    let out = (0..m)
        .map(|j| match method {
            AggMethod::MeanAbs => local.iter().map(|r| r[j].abs()).sum::<f64>() / n,
            AggMethod::MeanSq => local.iter().map(|r| r[j] * r[j]).sum::<f64>() / n,
            AggMethod::Median => {
                let mut col: Vec<f64> = local.iter().map(|r| r[j]).collect();
                col.sort_by(f64::total_cmp);
                let k = col.len();
                if k % 2 == 1 {
                    col[k / 2]
                } else {
                    (col[k / 2 - 1] + col[k / 2]) * 0.5
                }
            }
        })
        .collect();
    Ok(out)
}

// ---- nDCG ---------------------------------------------------------------------------------

/// nDCG of the current attribution ranking against the baseline attributions (spec §10.3).
///
/// With `a(f)` the baseline value of feature `f`, `F` the features by baseline value
/// descending and `F'` by current value descending:
/// `DCG = Σ_i a(F'_i)/log₂(i+1)`, `iDCG = Σ_i a(F_i)/log₂(i+1)`, `nDCG = DCG/iDCG`.
/// `baseline[j]` and `current[j]` are feature `j`'s values.
///
/// Ties among current values are averaged as scikit-learn's `ndcg_score` does (the DG links
/// it): each feature of a tied group gets the mean discount of the ranks the group occupies,
/// so the score does not depend on input order. Ties among baseline values do not change
/// iDCG. Negative attributions (possible with `agg_method = median`) are used as they are;
/// the score is then not confined to `[0, 1]`, and when `iDCG ≤ 0` (e.g. all-zero baseline)
/// it is undefined and an error is returned (scikit-learn would report 0).
///
/// # Errors
/// [`ShapError::Empty`], [`ShapError::Length`], [`ShapError::NonFinite`],
/// [`ShapError::IdealDcgNotPositive`].
pub fn ndcg(baseline: &[f64], current: &[f64]) -> Result<f64, ShapError> {
    if baseline.is_empty() {
        return Err(ShapError::Empty("baseline attributions"));
    }
    if current.len() != baseline.len() {
        return Err(ShapError::Length {
            what: "current attributions",
            expected: baseline.len(),
            got: current.len(),
        });
    }
    check_finite("baseline attributions", baseline)?;
    check_finite("current attributions", current)?;
    // rank r (1-based) is discounted by 1/log2(r + 1); index i = r − 1
    let discount = |i: usize| 1.0 / ((i + 2) as f64).log2();

    let mut ideal = baseline.to_vec();
    ideal.sort_by(|x, y| y.total_cmp(x));
    let idcg: f64 = ideal.iter().enumerate().map(|(i, a)| a * discount(i)).sum();
    if idcg.is_nan() || idcg <= 0.0 {
        return Err(ShapError::IdealDcgNotPositive(idcg));
    }

    let mut order: Vec<usize> = (0..current.len()).collect();
    order.sort_by(|&i, &j| current[j].total_cmp(&current[i]).then(i.cmp(&j)));
    let mut dcg = 0.0;
    let mut start = 0;
    while start < order.len() {
        let value = current[order[start]];
        let mut end = start + 1;
        while end < order.len() && current[order[end]] == value {
            end += 1;
        }
        let mean_discount = (start..end).map(discount).sum::<f64>() / (end - start) as f64;
        let gain: f64 = order[start..end].iter().map(|&k| baseline[k]).sum();
        dcg += gain * mean_discount;
        start = end;
    }
    Ok(dcg / idcg)
}

/// [`ndcg`] over `(feature name, value)` pairs, as read from two `global_shap_values` maps;
/// features are matched by name.
///
/// # Errors
/// [`ShapError::DuplicateFeature`], [`ShapError::FeatureMismatch`] if the name sets differ,
/// and the errors of [`ndcg`].
pub fn ndcg_by_name<A: AsRef<str>, B: AsRef<str>>(
    baseline: &[(A, f64)],
    current: &[(B, f64)],
) -> Result<f64, ShapError> {
    let mut cur: HashMap<&str, f64> = HashMap::with_capacity(current.len());
    for (name, v) in current {
        if cur.insert(name.as_ref(), *v).is_some() {
            return Err(ShapError::DuplicateFeature(name.as_ref().to_string()));
        }
    }
    let mut seen: HashMap<&str, ()> = HashMap::with_capacity(baseline.len());
    let mut base_v = Vec::with_capacity(baseline.len());
    let mut cur_v = Vec::with_capacity(baseline.len());
    for (name, v) in baseline {
        let name = name.as_ref();
        if seen.insert(name, ()).is_some() {
            return Err(ShapError::DuplicateFeature(name.to_string()));
        }
        let c = cur
            .get(name)
            .ok_or_else(|| ShapError::FeatureMismatch(name.to_string()))?;
        base_v.push(*v);
        cur_v.push(*c);
    }
    if let Some((name, _)) = current.iter().find(|(n, _)| !seen.contains_key(n.as_ref())) {
        return Err(ShapError::FeatureMismatch(name.as_ref().to_string()));
    }
    ndcg(&base_v, &cur_v)
}

// ---- linear SHAP --------------------------------------------------------------------------

/// Exact SHAP values of a linear model `f(x) = b + Σ_j w_j·x_j` against a background set.
///
/// With the interventional value function `v(S) = E_bg[f(x_S, X_{S̄})]` (every background row
/// weighted equally, which is what Kernel SHAP estimates) a linear model is additive, so each
/// feature's Shapley value is its own term: `φ_j = w_j·(x_j − E_bg[x_j])`, and the expected
/// value is `E_bg[f] = f(E_bg[x]) = b + Σ_j w_j·E_bg[x_j]`; `Σ_j φ_j = f(x) − E_bg[f]`.
///
/// What is exact: the raw (identity-link) output. For a logistic model this is exact on the
/// log-odds (margin) scale if `w, b` are the margin coefficients and the background mean of
/// the *margin* is the expected value. It is not Clarify's `use_logit = true` (which applies
/// the logit to the background-averaged probability, a different value function) and not the
/// probability scale (`σ(b + w·x)` is not additive: use [`KernelShap`]).
///
/// ```
/// use drift_math::shap::LinearShap;
/// let bg = vec![vec![0.0, 2.0], vec![2.0, 4.0]]; // E_bg[x] = (1, 3)
/// let lin = LinearShap::new(vec![2.0, -1.0], 0.5, &bg)?;
/// assert_eq!(lin.expected_value(), 0.5 + 2.0 - 3.0);
/// assert_eq!(lin.explain(&[3.0, 3.0])?, vec![4.0, 0.0]);
/// # Ok::<(), drift_math::shap::ShapError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LinearShap {
    weights: Vec<f64>,
    intercept: f64,
    background_mean: Vec<f64>,
    expected_value: f64,
}

impl LinearShap {
    /// Model `b + w·x` with background rows `background` (each of `w.len()` values).
    ///
    /// # Errors
    /// [`ShapError::Empty`] for no weights or no background rows, [`ShapError::Length`],
    /// [`ShapError::NonFinite`].
    pub fn new(
        weights: Vec<f64>,
        intercept: f64,
        background: &[Vec<f64>],
    ) -> Result<Self, ShapError> {
        let m = weights.len();
        if m == 0 {
            return Err(ShapError::Empty("weights"));
        }
        if background.is_empty() {
            return Err(ShapError::Empty("background"));
        }
        check_finite("weights", &weights)?;
        check_finite("intercept", &[intercept])?;
        let mut mean = vec![0.0; m];
        for row in background {
            if row.len() != m {
                return Err(ShapError::Length {
                    what: "background row",
                    expected: m,
                    got: row.len(),
                });
            }
            check_finite("background row", row)?;
            for (s, x) in mean.iter_mut().zip(row) {
                *s += x;
            }
        }
        let n = background.len() as f64;
        for s in &mut mean {
            *s /= n;
        }
        let expected_value = intercept + weights.iter().zip(&mean).map(|(w, x)| w * x).sum::<f64>();
        Ok(LinearShap {
            weights,
            intercept,
            background_mean: mean,
            expected_value,
        })
    }

    /// `E_bg[f] = b + Σ_j w_j·E_bg[x_j]`.
    pub fn expected_value(&self) -> f64 {
        self.expected_value
    }

    /// `E_bg[x]` per feature.
    pub fn background_mean(&self) -> &[f64] {
        &self.background_mean
    }

    /// The model output `f(x) = b + Σ_j w_j·x_j`.
    ///
    /// # Errors
    /// [`ShapError::Length`] if `x` has the wrong length.
    pub fn predict(&self, x: &[f64]) -> Result<f64, ShapError> {
        self.check_x(x)?;
        Ok(self.intercept + self.weights.iter().zip(x).map(|(w, v)| w * v).sum::<f64>())
    }

    /// `φ_j = w_j·(x_j − E_bg[x_j])`.
    ///
    /// # Errors
    /// [`ShapError::Length`], [`ShapError::NonFinite`].
    pub fn explain(&self, x: &[f64]) -> Result<Vec<f64>, ShapError> {
        self.check_x(x)?;
        check_finite("record", x)?;
        Ok(self
            .weights
            .iter()
            .zip(x)
            .zip(&self.background_mean)
            .map(|((w, v), mu)| w * (v - mu))
            .collect())
    }

    fn check_x(&self, x: &[f64]) -> Result<(), ShapError> {
        if x.len() != self.weights.len() {
            return Err(ShapError::Length {
                what: "record",
                expected: self.weights.len(),
                got: x.len(),
            });
        }
        Ok(())
    }
}
