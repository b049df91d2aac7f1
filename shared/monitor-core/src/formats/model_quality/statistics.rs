//! Model-quality `statistics.json` (spec §8).

use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::*;
use crate::formats::jackson::{lenient_u64, JavaF64};
use crate::formats::statistics::{parse, render};

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
