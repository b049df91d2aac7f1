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
use serde_json::{Map, Value};

use super::jackson::{java_double, java_f64, lenient_u64, JavaF64};
pub use super::statistics::FormatError;
use super::statistics::{parse, render};

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

// ------------------------------------------------------------------------------- statistics

/// A scalar metric: `{"value": v, "standard_deviation": s}`.
///
/// `standard_deviation` is the standard deviation of the metric over 5 random 80 % samples; the
/// analyzer writes the string `"NaN"` when there are fewer than 200 records (spec §8.1), which
/// reads as `Some(NaN)`. It is `None` only when the key is absent; it is then not written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScalarMetric {
    /// the metric value
    pub value: f64,
    /// bootstrap standard deviation (`Some(NaN)` = written as `"NaN"`)
    pub standard_deviation: Option<f64>,
}

impl ScalarMetric {
    /// A metric with a standard deviation (use `f64::NAN` for "not computed", as the analyzer).
    #[must_use]
    pub fn new(value: f64, standard_deviation: f64) -> Self {
        ScalarMetric {
            value,
            standard_deviation: Some(standard_deviation),
        }
    }
}

impl Serialize for ScalarMetric {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("value", &JavaF64(self.value))?;
        if let Some(sd) = self.standard_deviation {
            map.serialize_entry("standard_deviation", &JavaF64(sd))?;
        }
        map.end()
    }
}

/// One confusion-matrix row: the actual label and its `(predicted label, count)` cells in
/// file order.
pub type ConfusionRow = (String, Vec<(String, u64)>);

/// A confusion matrix `{"<actual>": {"<predicted>": count}}` (outer key = actual label, inner =
/// predicted, spec §8.2), rows and columns in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfusionMatrix {
    /// `(actual label, [(predicted label, count)])` in file order
    pub rows: Vec<ConfusionRow>,
}

impl ConfusionMatrix {
    /// Number of records with this actual and predicted label (`None` if the cell is absent).
    #[must_use]
    pub fn count(&self, actual: &str, predicted: &str) -> Option<u64> {
        let (_, row) = self.rows.iter().find(|(a, _)| a == actual)?;
        row.iter().find(|(p, _)| p == predicted).map(|(_, n)| *n)
    }

    /// Sum of all cells (saturating).
    #[must_use]
    pub fn total(&self) -> u64 {
        self.rows
            .iter()
            .flat_map(|(_, row)| row.iter().map(|(_, n)| *n))
            .fold(0u64, u64::saturating_add)
    }
}

impl Serialize for ConfusionMatrix {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.rows.len()))?;
        for (actual, row) in &self.rows {
            map.serialize_entry(actual, &OrderedRef(row))?;
        }
        map.end()
    }
}

/// One entry of a metrics block, classified by the keys of its JSON object:
///
/// - `{"value", "standard_deviation"?}` with numeric (or `"NaN"`) values → [`MetricEntry::Scalar`];
/// - `{"false_positive_rates": [..], "true_positive_rates": [..]}` → [`MetricEntry::Roc`];
/// - `{"precisions": [..], "recalls": [..]}` → [`MetricEntry::PrecisionRecall`];
/// - a non-empty object of objects of non-negative integers → [`MetricEntry::ConfusionMatrix`];
/// - anything else (extra keys, other shapes) → [`MetricEntry::Other`], kept verbatim.
///
/// The classification does not look at the metric name, so a custom container's metric of a
/// known shape is typed as well.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricEntry {
    /// a value with its standard deviation
    Scalar(ScalarMetric),
    /// `confusion_matrix`
    ConfusionMatrix(ConfusionMatrix),
    /// `receiver_operating_characteristic_curve`: points from (0,0) to (1,1)
    Roc {
        /// x coordinates
        false_positive_rates: Vec<f64>,
        /// y coordinates
        true_positive_rates: Vec<f64>,
    },
    /// `precision_recall_curve` (Spark MLlib convention: starts at recall 0)
    PrecisionRecall {
        /// y coordinates
        precisions: Vec<f64>,
        /// x coordinates
        recalls: Vec<f64>,
    },
    /// any other JSON value, written back unchanged
    Other(Value),
}

impl MetricEntry {
    /// Classifies a JSON value (see the type's docs).
    #[must_use]
    pub fn from_value(v: Value) -> MetricEntry {
        let Value::Object(obj) = &v else {
            return MetricEntry::Other(v);
        };
        let has_only =
            |keys: &[&str]| obj.len() == keys.len() && keys.iter().all(|k| obj.contains_key(*k));
        // scalar: "value" plus optional "standard_deviation", both numbers or "NaN"
        if let Some(value) = obj.get("value").and_then(java_number) {
            let sd = obj.get("standard_deviation");
            let extra_keys = obj.len() - 1 - usize::from(sd.is_some());
            if extra_keys == 0 {
                match sd.map(java_number) {
                    None => {
                        return MetricEntry::Scalar(ScalarMetric {
                            value,
                            standard_deviation: None,
                        })
                    }
                    Some(Some(sd)) => return MetricEntry::Scalar(ScalarMetric::new(value, sd)),
                    Some(None) => {}
                }
            }
        }
        if has_only(&["false_positive_rates", "true_positive_rates"]) {
            if let (Some(x), Some(y)) = (
                java_numbers(&obj["false_positive_rates"]),
                java_numbers(&obj["true_positive_rates"]),
            ) {
                return MetricEntry::Roc {
                    false_positive_rates: x,
                    true_positive_rates: y,
                };
            }
        }
        if has_only(&["precisions", "recalls"]) {
            if let (Some(p), Some(r)) = (
                java_numbers(&obj["precisions"]),
                java_numbers(&obj["recalls"]),
            ) {
                return MetricEntry::PrecisionRecall {
                    precisions: p,
                    recalls: r,
                };
            }
        }
        if !obj.is_empty() {
            let rows: Option<Vec<ConfusionRow>> = obj
                .iter()
                .map(|(actual, row)| {
                    let cells = row
                        .as_object()?
                        .iter()
                        .map(|(p, n)| n.as_u64().map(|n| (p.clone(), n)))
                        .collect::<Option<Vec<_>>>()?;
                    Some((actual.clone(), cells))
                })
                .collect();
            if let Some(rows) = rows {
                return MetricEntry::ConfusionMatrix(ConfusionMatrix { rows });
            }
        }
        MetricEntry::Other(v)
    }

    /// The scalar, if this entry is one.
    #[must_use]
    pub fn as_scalar(&self) -> Option<&ScalarMetric> {
        match self {
            MetricEntry::Scalar(s) => Some(s),
            _ => None,
        }
    }
}

impl Serialize for MetricEntry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            MetricEntry::Scalar(m) => m.serialize(s),
            MetricEntry::ConfusionMatrix(m) => m.serialize(s),
            MetricEntry::Roc {
                false_positive_rates,
                true_positive_rates,
            } => {
                let mut map = s.serialize_map(Some(2))?;
                map.serialize_entry("false_positive_rates", &F64s(false_positive_rates))?;
                map.serialize_entry("true_positive_rates", &F64s(true_positive_rates))?;
                map.end()
            }
            MetricEntry::PrecisionRecall {
                precisions,
                recalls,
            } => {
                let mut map = s.serialize_map(Some(2))?;
                map.serialize_entry("precisions", &F64s(precisions))?;
                map.serialize_entry("recalls", &F64s(recalls))?;
                map.end()
            }
            MetricEntry::Other(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for MetricEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d).map(MetricEntry::from_value)
    }
}

/// `dataset` block of a model-quality `statistics.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MqDataset {
    /// number of (merged) records evaluated
    #[serde(deserialize_with = "lenient_u64::deserialize")]
    pub item_count: u64,
    /// ISO-8601 time of the evaluation, when written (SDK model-card sample; absent in the
    /// SDK pipeline baseline)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation_time: Option<String>,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A model-quality `statistics.json` (spec §8.1).
///
/// `version` and `dataset` are optional because AWS's published samples (DG, SDK model card)
/// omit them; the analyzer writes both (`version` `0.0`). Written key order: `version`,
/// `dataset`, the metrics block, then `extra`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelQualityStatistics {
    /// format version; the analyzer writes `0.0`
    pub version: Option<f64>,
    /// dataset-level counts
    pub dataset: Option<MqDataset>,
    /// which block the metrics live in
    pub problem_type: ProblemType,
    /// metric name → entry, in file order
    pub metrics: Vec<(String, MetricEntry)>,
    /// keys not known to this crate, in file order
    pub extra: Map<String, Value>,
}

#[derive(Deserialize)]
struct RawStatistics {
    #[serde(default)]
    version: Option<f64>,
    #[serde(default)]
    dataset: Option<MqDataset>,
    #[serde(default)]
    binary_classification_metrics: Option<Ordered<MetricEntry>>,
    #[serde(default)]
    multiclass_classification_metrics: Option<Ordered<MetricEntry>>,
    #[serde(default)]
    regression_metrics: Option<Ordered<MetricEntry>>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl TryFrom<RawStatistics> for ModelQualityStatistics {
    type Error = FormatError;

    fn try_from(raw: RawStatistics) -> Result<Self, FormatError> {
        let (problem_type, metrics) = single_block(
            STATS_KIND,
            [
                (
                    ProblemType::BinaryClassification,
                    raw.binary_classification_metrics,
                ),
                (
                    ProblemType::MulticlassClassification,
                    raw.multiclass_classification_metrics,
                ),
                (ProblemType::Regression, raw.regression_metrics),
            ],
            ProblemType::metrics_key,
        )?;
        Ok(ModelQualityStatistics {
            version: raw.version,
            dataset: raw.dataset,
            problem_type,
            metrics,
            extra: raw.extra,
        })
    }
}

impl<'de> Deserialize<'de> for ModelQualityStatistics {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawStatistics::deserialize(d)?;
        ModelQualityStatistics::try_from(raw).map_err(de::Error::custom)
    }
}

impl Serialize for ModelQualityStatistics {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        if let Some(v) = self.version {
            map.serialize_entry("version", &JavaF64(v))?;
        }
        if let Some(d) = &self.dataset {
            map.serialize_entry("dataset", d)?;
        }
        map.serialize_entry(self.problem_type.metrics_key(), &OrderedRef(&self.metrics))?;
        for (k, v) in &self.extra {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl ModelQualityStatistics {
    /// Statistics as the analyzer writes them (`version` `0.0`, `dataset.item_count`), with the
    /// metrics reordered into [`sagemaker_metric_order`]; metrics not in that list follow in
    /// the given order.
    #[must_use]
    pub fn new(
        problem_type: ProblemType,
        item_count: u64,
        metrics: impl IntoIterator<Item = (String, MetricEntry)>,
    ) -> Self {
        let order = sagemaker_metric_order(problem_type);
        let mut metrics: Vec<(String, MetricEntry)> = metrics.into_iter().collect();
        // stable sort: known names by their rank, unknown names after them in input order
        metrics
            .sort_by_key(|(name, _)| order.iter().position(|k| k == name).unwrap_or(order.len()));
        ModelQualityStatistics {
            version: Some(0.0),
            dataset: Some(MqDataset {
                item_count,
                evaluation_time: None,
                extra: Map::new(),
            }),
            problem_type,
            metrics,
            extra: Map::new(),
        }
    }

    /// Parses a model-quality `statistics.json`.
    ///
    /// # Errors
    /// [`FormatError::Json`] for malformed JSON or wrongly typed known keys;
    /// [`FormatError::Invalid`] when the file has no or several problem-type blocks.
    pub fn from_json(bytes: &[u8]) -> Result<Self, FormatError> {
        let raw: RawStatistics = parse(STATS_KIND, bytes)?;
        ModelQualityStatistics::try_from(raw)
    }

    /// Renders the file as the analyzer does (Jackson pretty printer, no trailing newline).
    #[must_use]
    pub fn to_json(&self) -> String {
        render(STATS_KIND, self)
    }

    /// The problem type named by the metrics block.
    #[must_use]
    pub fn problem_type(&self) -> ProblemType {
        self.problem_type
    }

    /// Metric name → entry, in file order.
    #[must_use]
    pub fn metrics(&self) -> &[(String, MetricEntry)] {
        &self.metrics
    }

    /// The entry of a metric by its statistics key (e.g. `"f2"`).
    #[must_use]
    pub fn metric(&self, name: &str) -> Option<&MetricEntry> {
        self.metrics.iter().find(|(k, _)| k == name).map(|(_, e)| e)
    }

    /// A scalar metric by its statistics key; `None` if absent or not a scalar.
    #[must_use]
    pub fn scalar(&self, name: &str) -> Option<&ScalarMetric> {
        self.metric(name).and_then(MetricEntry::as_scalar)
    }

    /// The `confusion_matrix` entry, if present and well-formed.
    #[must_use]
    pub fn confusion_matrix(&self) -> Option<&ConfusionMatrix> {
        match self.metric("confusion_matrix")? {
            MetricEntry::ConfusionMatrix(m) => Some(m),
            _ => None,
        }
    }
}

// ------------------------------------------------------------------------------ constraints

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

// ------------------------------------------------------------------------------- violations

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
