//! Model-quality files: `statistics.json` (spec §8), `constraints.json` (spec §4.3) and
//! `constraint_violations.json` (spec §5.2), plus SageMaker's constraint-suggestion rule and
//! violation wording.
//!
//! Each file holds exactly one problem-type block, whose key names the problem type:
//!
//! | problem type | statistics block | constraints block |
//! | --- | --- | --- |
//! | `BinaryClassification` | `binary_classification_metrics` | `binary_classification_constraints` |
//! | `MulticlassClassification` | `multiclass_classification_metrics` | `multiclass_classification_constraints` |
//! | `Regression` | `regression_metrics` | `regression_constraints` |
//!
//! Blocks are kept as ordered lists (metric name → entry) in file order, so a rewrite keeps
//! SageMaker's order; [`ModelQualityStatistics::new`] puts freshly computed metrics into the
//! analyzer's order ([`sagemaker_metric_order`]). Keys this crate does not know are kept in
//! `extra` maps and written back after the known keys, as in the data-quality formats.
//! Writing uses the Jackson layout of [`super::jackson`]; NaN is written as the string `"NaN"`.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::formats::jackson::JavaF64;
pub use crate::formats::statistics::FormatError;

mod constraints;
mod statistics;
mod violations;

pub use constraints::{
    suggest_constraints, suggested_operator, ComparisonOperator, MetricConstraint,
    ModelQualityConstraints,
};
pub use statistics::{
    ConfusionMatrix, MetricEntry, ModelQualityStatistics, MqDataset, ScalarMetric,
};
pub use violations::{
    is_violated, mq_violation_description, violation_metric_name, ModelQualityViolations,
    MqViolation,
};

const STATS_KIND: &str = "model-quality statistics.json";
const CONS_KIND: &str = "model-quality constraints.json";
const VIOL_KIND: &str = "model-quality constraint_violations.json";

// ------------------------------------------------------------------------------- problem type

/// The model-quality problem type (container env `problem_type`, spec §8.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProblemType {
    /// two classes; metrics in `binary_classification_metrics`
    BinaryClassification,
    /// more than two classes; metrics in `multiclass_classification_metrics`
    MulticlassClassification,
    /// numeric target; metrics in `regression_metrics`
    Regression,
}

impl ProblemType {
    /// All problem types, in the order used in error messages.
    pub const ALL: [ProblemType; 3] = [
        ProblemType::BinaryClassification,
        ProblemType::MulticlassClassification,
        ProblemType::Regression,
    ];

    /// The wire name, e.g. `"BinaryClassification"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemType::BinaryClassification => "BinaryClassification",
            ProblemType::MulticlassClassification => "MulticlassClassification",
            ProblemType::Regression => "Regression",
        }
    }

    /// Key of the metrics block in `statistics.json`, e.g. `"regression_metrics"`.
    #[must_use]
    pub fn metrics_key(self) -> &'static str {
        match self {
            ProblemType::BinaryClassification => "binary_classification_metrics",
            ProblemType::MulticlassClassification => "multiclass_classification_metrics",
            ProblemType::Regression => "regression_metrics",
        }
    }

    /// Key of the constraints block in `constraints.json`, e.g. `"regression_constraints"`
    /// (`regression_constraints` confirmed by the SDK pipeline fixture).
    #[must_use]
    pub fn constraints_key(self) -> &'static str {
        match self {
            ProblemType::BinaryClassification => "binary_classification_constraints",
            ProblemType::MulticlassClassification => "multiclass_classification_constraints",
            ProblemType::Regression => "regression_constraints",
        }
    }
}

impl fmt::Display for ProblemType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProblemType {
    type Err = FormatError;

    /// Parses the wire name (`BinaryClassification` | `MulticlassClassification` | `Regression`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProblemType::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| FormatError::Invalid {
                kind: "problem_type",
                field: "problem_type".to_owned(),
                value: s.to_owned(),
            })
    }
}

/// Metric keys of a statistics block in the order the analyzer writes them (spec §8.2; DG
/// `model-monitor-model-quality-metrics` examples, SDK pipeline regression fixture).
#[must_use]
pub fn sagemaker_metric_order(problem_type: ProblemType) -> &'static [&'static str] {
    match problem_type {
        ProblemType::BinaryClassification => &[
            "confusion_matrix",
            "recall",
            "precision",
            "accuracy",
            "recall_best_constant_classifier",
            "precision_best_constant_classifier",
            "accuracy_best_constant_classifier",
            "true_positive_rate",
            "true_negative_rate",
            "false_positive_rate",
            "false_negative_rate",
            "receiver_operating_characteristic_curve",
            "precision_recall_curve",
            "auc",
            "f0_5",
            "f1",
            "f2",
            "f0_5_best_constant_classifier",
            "f1_best_constant_classifier",
            "f2_best_constant_classifier",
        ],
        ProblemType::MulticlassClassification => &[
            "confusion_matrix",
            "accuracy",
            "weighted_recall",
            "weighted_precision",
            "weighted_f0_5",
            "weighted_f1",
            "weighted_f2",
            "accuracy_best_constant_classifier",
            "weighted_recall_best_constant_classifier",
            "weighted_precision_best_constant_classifier",
            "weighted_f0_5_best_constant_classifier",
            "weighted_f1_best_constant_classifier",
            "weighted_f2_best_constant_classifier",
        ],
        ProblemType::Regression => &["mae", "mse", "rmse", "r2"],
    }
}

// ------------------------------------------------------------------------- ordered JSON maps

/// Serialises `(key, value)` pairs as a JSON object in the given order.
struct OrderedRef<'a, T>(&'a [(String, T)]);

impl<T: Serialize> Serialize for OrderedRef<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// A JSON object read into `(key, value)` pairs in file order; duplicate keys are rejected.
struct Ordered<T>(Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Ordered<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object of metric name to entry")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Ordered<T>, A::Error> {
                let mut out: Vec<(String, T)> = Vec::with_capacity(a.size_hint().unwrap_or(0));
                while let Some((k, v)) = a.next_entry::<String, T>()? {
                    if out.iter().any(|(seen, _)| *seen == k) {
                        return Err(de::Error::custom(format!("duplicate key {k:?}")));
                    }
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }

        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// Serialises a slice of doubles as Jackson writes a `double[]` (NaN as `"NaN"`).
struct F64s<'a>(&'a [f64]);

impl Serialize for F64s<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for x in self.0 {
            seq.serialize_element(&JavaF64(*x))?;
        }
        seq.end()
    }
}

/// A JSON number, or one of Jackson's non-finite strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
fn java_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

/// A JSON array of [`java_number`]s.
fn java_numbers(v: &Value) -> Option<Vec<f64>> {
    v.as_array()?.iter().map(java_number).collect()
}

/// Picks the single problem-type block of a file; errors name what was found.
fn single_block<T>(
    kind: &'static str,
    blocks: [(ProblemType, Option<Ordered<T>>); 3],
    key: fn(ProblemType) -> &'static str,
) -> Result<(ProblemType, Vec<(String, T)>), FormatError> {
    let found: Vec<(ProblemType, Vec<(String, T)>)> = blocks
        .into_iter()
        .filter_map(|(p, b)| b.map(|b| (p, b.0)))
        .collect();
    match <[_; 1]>::try_from(found) {
        Ok([one]) => Ok(one),
        Err(found) => {
            let value = if found.is_empty() {
                let keys: Vec<&str> = ProblemType::ALL.iter().map(|p| key(*p)).collect();
                format!("none of {}", keys.join(", "))
            } else {
                let keys: Vec<&str> = found.iter().map(|(p, _)| key(*p)).collect();
                format!("several: {}", keys.join(", "))
            };
            Err(FormatError::Invalid {
                kind,
                field: "problem-type block".to_owned(),
                value,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in ProblemType::ALL {
            assert_eq!(p.as_str().parse::<ProblemType>().ok(), Some(p));
            assert_eq!(
                serde_json::to_value(p).unwrap(),
                Value::String(p.as_str().into())
            );
        }
        assert!("binary".parse::<ProblemType>().is_err());
        for op in [
            ComparisonOperator::LessThanThreshold,
            ComparisonOperator::GreaterThanThreshold,
        ] {
            assert_eq!(
                serde_json::to_value(op).unwrap(),
                Value::String(op.as_str().into())
            );
        }
    }

    #[test]
    fn classification_by_keys() {
        let e = |t: &str| MetricEntry::from_value(serde_json::from_str(t).unwrap());
        assert_eq!(
            e(r#"{"value": 0.5}"#),
            MetricEntry::Scalar(ScalarMetric {
                value: 0.5,
                standard_deviation: None
            })
        );
        assert!(matches!(
            e(r#"{"value": 0.5, "standard_deviation": "NaN"}"#),
            MetricEntry::Scalar(ScalarMetric { standard_deviation: Some(s), .. }) if s.is_nan()
        ));
        // extra key or non-numeric value: kept verbatim
        assert!(matches!(
            e(r#"{"value": 0.5, "unit": "x"}"#),
            MetricEntry::Other(_)
        ));
        assert!(matches!(
            e(r#"{"value": 0.5, "standard_deviation": null}"#),
            MetricEntry::Other(_)
        ));
        assert!(matches!(e(r#"{"0": {"0": 1.5}}"#), MetricEntry::Other(_)));
        assert!(matches!(e("{}"), MetricEntry::Other(_)));
        assert!(matches!(
            e(r#"{"0": {"0": 3, "1": 4}}"#),
            MetricEntry::ConfusionMatrix(_)
        ));
    }

    #[test]
    fn violation_rule() {
        use ComparisonOperator::*;
        assert!(is_violated(0.5, LessThanThreshold, 0.625));
        assert!(!is_violated(0.625, LessThanThreshold, 0.625));
        assert!(is_violated(0.13, GreaterThanThreshold, 0.0));
        assert!(!is_violated(0.0, GreaterThanThreshold, 0.0));
        assert!(!is_violated(f64::NAN, LessThanThreshold, 0.625));
        assert!(!is_violated(f64::NAN, GreaterThanThreshold, 0.0));
        assert!(!is_violated(0.5, LessThanThreshold, f64::NAN));
    }

    #[test]
    fn camel_case_names() {
        assert_eq!(
            violation_metric_name("true_positive_rate"),
            "truePositiveRate"
        );
        assert_eq!(violation_metric_name("f2"), "f2");
        assert_eq!(violation_metric_name("f0_5"), "f05");
    }

    #[test]
    fn missing_block_is_an_error() {
        let err = ModelQualityStatistics::from_json(br#"{"version": 0.0}"#).unwrap_err();
        assert!(
            matches!(&err, FormatError::Invalid { value, .. } if value.starts_with("none of")),
            "{err}"
        );
        let err = ModelQualityConstraints::from_json(
            br#"{"regression_constraints": {}, "binary_classification_constraints": {}}"#,
        )
        .unwrap_err();
        assert!(
            matches!(&err, FormatError::Invalid { value, .. } if value.contains("several")),
            "{err}"
        );
    }
}
