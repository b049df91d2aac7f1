//! Model-quality `constraints.json` (spec §4.3) and SageMaker's constraint-suggestion rule.

use std::fmt;

use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::*;
use crate::formats::jackson::{java_f64, JavaF64};
use crate::formats::statistics::{parse, render};

/// `comparison_operator` of a model-quality constraint, also the `constraint_check_type` of its
/// violation. Only these two appear in AWS's files and samples (DG, EX, CUSTOM-METRICS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ComparisonOperator {
    /// violated when `value < threshold` (higher-is-better metrics)
    LessThanThreshold,
    /// violated when `value > threshold` (error metrics)
    GreaterThanThreshold,
}

impl ComparisonOperator {
    /// The wire name, e.g. `"LessThanThreshold"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ComparisonOperator::LessThanThreshold => "LessThanThreshold",
            ComparisonOperator::GreaterThanThreshold => "GreaterThanThreshold",
        }
    }
}

impl fmt::Display for ComparisonOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One metric's constraint: `{"threshold": t, "comparison_operator": op}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricConstraint {
    /// the bound (written as `"NaN"` if NaN)
    #[serde(with = "java_f64")]
    pub threshold: f64,
    /// direction of the check
    pub comparison_operator: ComparisonOperator,
    /// keys not known to this crate (e.g. CUSTOM-METRICS' `"additional_properties": null`)
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MetricConstraint {
    /// A constraint without extra keys.
    #[must_use]
    pub fn new(threshold: f64, comparison_operator: ComparisonOperator) -> Self {
        MetricConstraint {
            threshold,
            comparison_operator,
            extra: Map::new(),
        }
    }
}

/// A model-quality `constraints.json` (spec §4.3). Written key order: `version`, the
/// constraints block, then `extra`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelQualityConstraints {
    /// format version; the analyzer writes `0.0`
    pub version: Option<f64>,
    /// which block the constraints live in
    pub problem_type: ProblemType,
    /// metric name → constraint, in file order
    pub constraints: Vec<(String, MetricConstraint)>,
    /// keys not known to this crate, in file order
    pub extra: Map<String, Value>,
}

#[derive(Deserialize)]
struct RawConstraints {
    #[serde(default)]
    version: Option<f64>,
    #[serde(default)]
    binary_classification_constraints: Option<Ordered<MetricConstraint>>,
    #[serde(default)]
    multiclass_classification_constraints: Option<Ordered<MetricConstraint>>,
    #[serde(default)]
    regression_constraints: Option<Ordered<MetricConstraint>>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl TryFrom<RawConstraints> for ModelQualityConstraints {
    type Error = FormatError;

    fn try_from(raw: RawConstraints) -> Result<Self, FormatError> {
        let (problem_type, constraints) = single_block(
            CONS_KIND,
            [
                (
                    ProblemType::BinaryClassification,
                    raw.binary_classification_constraints,
                ),
                (
                    ProblemType::MulticlassClassification,
                    raw.multiclass_classification_constraints,
                ),
                (ProblemType::Regression, raw.regression_constraints),
            ],
            ProblemType::constraints_key,
        )?;
        Ok(ModelQualityConstraints {
            version: raw.version,
            problem_type,
            constraints,
            extra: raw.extra,
        })
    }
}

impl<'de> Deserialize<'de> for ModelQualityConstraints {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawConstraints::deserialize(d)?;
        ModelQualityConstraints::try_from(raw).map_err(de::Error::custom)
    }
}

impl Serialize for ModelQualityConstraints {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        if let Some(v) = self.version {
            map.serialize_entry("version", &JavaF64(v))?;
        }
        map.serialize_entry(
            self.problem_type.constraints_key(),
            &OrderedRef(&self.constraints),
        )?;
        for (k, v) in &self.extra {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl ModelQualityConstraints {
    /// Parses a model-quality `constraints.json`.
    ///
    /// # Errors
    /// [`FormatError::Json`] for malformed JSON, a missing `threshold` or an unknown
    /// `comparison_operator`; [`FormatError::Invalid`] when the file has no or several
    /// problem-type blocks.
    pub fn from_json(bytes: &[u8]) -> Result<Self, FormatError> {
        let raw: RawConstraints = parse(CONS_KIND, bytes)?;
        ModelQualityConstraints::try_from(raw)
    }

    /// Renders the file as the analyzer does (Jackson pretty printer, no trailing newline).
    #[must_use]
    pub fn to_json(&self) -> String {
        render(CONS_KIND, self)
    }

    /// The problem type named by the constraints block.
    #[must_use]
    pub fn problem_type(&self) -> ProblemType {
        self.problem_type
    }

    /// Metric name → constraint, in file order.
    #[must_use]
    pub fn constraints(&self) -> &[(String, MetricConstraint)] {
        &self.constraints
    }

    /// The constraint of a metric by its statistics key (e.g. `"f2"`).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&MetricConstraint> {
        self.constraints
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, c)| c)
    }
}

/// The operator SageMaker's baseline job suggests for a metric, or `None` if it suggests no
/// constraint for it.
///
/// Observed suggestions (all metrics a baseline job constrained, in statistics order):
/// - binary (EX `model_quality_churn_sdk.ipynb` @ecee0a65, cell 176 output): `recall`,
///   `precision`, `accuracy`, `true_positive_rate`, `true_negative_rate`, `auc`, `f0_5`, `f1`,
///   `f2` → `LessThanThreshold`; `false_positive_rate`, `false_negative_rate` →
///   `GreaterThanThreshold`;
/// - multiclass (public blog output of a baseline job): `accuracy`, `weighted_recall`,
///   `weighted_precision`, `weighted_f0_5`, `weighted_f1`, `weighted_f2` → `LessThanThreshold`;
/// - regression (SDK pipeline fixture): `mae`, `mse`, `rmse` → `GreaterThanThreshold`, `r2` →
///   `LessThanThreshold`.
///
/// Never suggested: `*_best_constant_classifier`, `confusion_matrix` and the curves. Names
/// outside these lists (custom metrics) get `None`: their direction is unknown.
#[must_use]
pub fn suggested_operator(problem_type: ProblemType, metric: &str) -> Option<ComparisonOperator> {
    use ComparisonOperator::{GreaterThanThreshold as Gt, LessThanThreshold as Lt};
    match (problem_type, metric) {
        (
            ProblemType::BinaryClassification,
            "recall" | "precision" | "accuracy" | "true_positive_rate" | "true_negative_rate"
            | "auc" | "f0_5" | "f1" | "f2",
        )
        | (
            ProblemType::MulticlassClassification,
            "accuracy" | "weighted_recall" | "weighted_precision" | "weighted_f0_5" | "weighted_f1"
            | "weighted_f2",
        )
        | (ProblemType::Regression, "r2") => Some(Lt),
        (ProblemType::BinaryClassification, "false_positive_rate" | "false_negative_rate")
        | (ProblemType::Regression, "mae" | "mse" | "rmse") => Some(Gt),
        _ => None,
    }
}

/// Constraints suggested from baseline statistics, SageMaker's rule as its outputs reveal it:
///
/// for every scalar metric of the statistics, in statistics order, whose name has a
/// [`suggested_operator`]: `threshold = value` **exactly** (the standard deviation is ignored).
/// `version` is `0.0` and the block is the statistics' problem type.
///
/// Evidence: the SDK pipeline regression constraints are byte-for-byte this rule applied to
/// the matching statistics (tested); the 2021 churn baseline had standard deviations of about
/// 0.04 (recall 0.5714285714285714 ± 0.0408583) and its suggested thresholds still equal the
/// values to the last digit (`'0.5714285714285714'` in that run's violations).
///
/// Not observed, our choice: metrics whose value is NaN or infinite get no constraint (such a
/// threshold could never fire, and `"NaN"` in a constraints file would only confuse readers).
#[must_use]
pub fn suggest_constraints(stats: &ModelQualityStatistics) -> ModelQualityConstraints {
    let constraints = stats
        .metrics
        .iter()
        .filter_map(|(name, entry)| {
            let op = suggested_operator(stats.problem_type, name)?;
            let m = entry.as_scalar()?;
            m.value
                .is_finite()
                .then(|| (name.clone(), MetricConstraint::new(m.value, op)))
        })
        .collect();
    ModelQualityConstraints {
        version: Some(0.0),
        problem_type: stats.problem_type,
        constraints,
        extra: Map::new(),
    }
}
