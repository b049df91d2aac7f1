//! Model-quality `constraint_violations.json` (spec §5.2) and SageMaker's violation wording.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::*;
use crate::formats::jackson::java_double;
use crate::formats::statistics::{parse, render};

/// One model-quality violation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MqViolation {
    /// the metric; the built-in analyzer writes camelCase names here (see
    /// [`violation_metric_name`])
    pub metric_name: String,
    /// the operator of the violated constraint
    pub constraint_check_type: ComparisonOperator,
    /// text in SageMaker's wording ([`mq_violation_description`])
    pub description: String,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MqViolation {
    /// A violation without extra keys.
    #[must_use]
    pub fn new(
        metric_name: impl Into<String>,
        constraint_check_type: ComparisonOperator,
        description: impl Into<String>,
    ) -> Self {
        MqViolation {
            metric_name: metric_name.into(),
            constraint_check_type,
            description: description.into(),
            extra: Map::new(),
        }
    }
}

/// A model-quality `constraint_violations.json` (`{"violations": [...]}`, no `version`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ModelQualityViolations {
    /// the violations
    pub violations: Vec<MqViolation>,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ModelQualityViolations {
    /// Parses a model-quality `constraint_violations.json`.
    ///
    /// # Errors
    /// [`FormatError::Json`] for malformed JSON, missing keys or an unknown
    /// `constraint_check_type`.
    pub fn from_json(bytes: &[u8]) -> Result<Self, FormatError> {
        parse(VIOL_KIND, bytes)
    }

    /// Renders the file in the Jackson layout (no trailing newline). Key order per violation:
    /// `metric_name`, `constraint_check_type`, `description` (as CUSTOM-METRICS and the
    /// data-quality file); the real key order of the built-in analyzer is not known.
    #[must_use]
    pub fn to_json(&self) -> String {
        render(VIOL_KIND, self)
    }
}

/// Whether `value` violates a constraint: `LessThanThreshold` ⇔ `value < threshold`,
/// `GreaterThanThreshold` ⇔ `value > threshold` (spec §4.3; equality never violates, matching
/// the suggested `threshold = baseline value` which must not fire on the baseline itself).
///
/// NaN (value or threshold) never violates: an undefined metric (e.g. precision with no
/// positive prediction) is no evidence of degradation, and IEEE comparisons with NaN are false.
#[must_use]
pub fn is_violated(value: f64, op: ComparisonOperator, threshold: f64) -> bool {
    match op {
        ComparisonOperator::LessThanThreshold => value < threshold,
        ComparisonOperator::GreaterThanThreshold => value > threshold,
    }
}

/// The built-in analyzer's violation text:
/// `Metric {metric} with {value} +/- {standard_deviation} was {op} '{threshold}'`, numbers in
/// Java `Double.toString` form, e.g.
/// `Metric f2 with 0.1384671444188024 +/- 5.726820901735406E-4 was LessThanThreshold '0.625'`
/// (EX `model_quality_churn_sdk.ipynb`, 2021-02-05 run, all 9 violations).
///
/// `standard_deviation` is the current window's one; `Some(NaN)` prints `+/- NaN`
/// **[inferred]** (every observed text had a finite value). With `None` the ` +/- …` part is
/// left out **[our choice]**. Spec §5.2's CUSTOM-METRICS wording (`… was LessThanThreshold
/// 0.625`, no quotes, no `+/-`) is a different, AWS-sample container's.
#[must_use]
pub fn mq_violation_description(
    metric: &str,
    value: f64,
    standard_deviation: Option<f64>,
    op: ComparisonOperator,
    threshold: f64,
) -> String {
    let sd = standard_deviation
        .map(|s| format!(" +/- {}", java_double(s)))
        .unwrap_or_default();
    format!(
        "Metric {metric} with {}{sd} was {op} '{}'",
        java_double(value),
        java_double(threshold)
    )
}

/// The `metric_name` the built-in analyzer writes in violations: the statistics key in
/// lowerCamelCase (`true_positive_rate` → `truePositiveRate`; `f1`, `precision` unchanged),
/// as observed in the 2021 churn run (EX notebook). Each `_` is dropped and the next character
/// upper-cased, so `f0_5` → `f05` **[inferred; never observed]**.
#[must_use]
pub fn violation_metric_name(statistics_key: &str) -> String {
    let mut out = String::with_capacity(statistics_key.len());
    let mut upper = false;
    for c in statistics_key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}
