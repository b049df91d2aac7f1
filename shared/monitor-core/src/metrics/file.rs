//! The SageMaker BYOC metrics-file adapter (spec §7.2): JSON Lines in an object store.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use crate::layout::metrics_key;
use crate::metrics::emf::statistic_values;
use crate::metrics::validate::{invalid, number, validate, validate_all};
use crate::metrics::{MetricDatum, MetricSink, MetricValue};
use crate::store::ObjectStore;
use crate::CoreError;

/// Extra key of each BYOC line naming the namespace (SageMaker sets the namespace itself; a
/// file of ours carries it so a reader can route the line).
pub const BYOC_NAMESPACE_KEY: &str = "namespace";

/// `Timestamp` text of a BYOC line: `2019-11-26T03:00:00Z` (fractional seconds only when the
/// timestamp has them).
fn byoc_timestamp(ts: &DateTime<Utc>) -> String {
    ts.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// One datum as a BYOC metrics-file object (spec §7.2), keys in this fixed order:
/// `MetricName`, `Timestamp`, `Dimensions` (`[{"Name","Value"}…]`, always present), `Value` or
/// `StatisticValues` (`SampleCount`, `Sum`, `Minimum`, `Maximum`), `Unit` (when set), and
/// `namespace` (our addition, see [`BYOC_NAMESPACE_KEY`]).
///
/// # Errors
/// [`validate`] errors.
pub fn byoc_object(d: &MetricDatum) -> Result<Value, CoreError> {
    validate(d)?;
    render_byoc_object(d)
}

/// [`byoc_object`] of an already validated datum.
fn render_byoc_object(d: &MetricDatum) -> Result<Value, CoreError> {
    let mut m = Map::new();
    m.insert("MetricName".into(), Value::String(d.name.clone()));
    m.insert(
        "Timestamp".into(),
        Value::String(byoc_timestamp(&d.timestamp)),
    );
    let dims = d
        .dimensions
        .iter()
        .map(|(n, v)| {
            let mut o = Map::new();
            o.insert("Name".into(), Value::String(n.clone()));
            o.insert("Value".into(), Value::String(v.clone()));
            Value::Object(o)
        })
        .collect();
    m.insert("Dimensions".into(), Value::Array(dims));
    match d.value {
        MetricValue::Value(v) => {
            m.insert("Value".into(), number(d, v)?);
        }
        MetricValue::Statistics {
            sample_count,
            sum,
            minimum,
            maximum,
        } => {
            m.insert(
                "StatisticValues".into(),
                statistic_values(d, sample_count, sum, minimum, maximum)?,
            );
        }
    }
    if let Some(unit) = &d.unit {
        m.insert("Unit".into(), Value::String(unit.clone()));
    }
    m.insert(
        BYOC_NAMESPACE_KEY.into(),
        Value::String(d.namespace.clone()),
    );
    Ok(Value::Object(m))
}

/// `data` as a BYOC JSON Lines body: one [`byoc_object`] per line, each ending in `\n`, in
/// input order. Same data, same bytes.
///
/// # Errors
/// [`validate`] errors (nothing is rendered then).
pub fn byoc_jsonl(data: &[MetricDatum]) -> Result<Vec<u8>, CoreError> {
    validate_all(data)?;
    let mut out = Vec::new();
    for d in data {
        let line = serde_json::to_string(&render_byoc_object(d)?)
            .map_err(|e| invalid(d, e, "cannot render the BYOC line"))?;
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    Ok(out)
}

fn dataset_err(key: &str, line: u64, column: &str, message: impl Into<String>) -> CoreError {
    CoreError::Dataset {
        file: key.to_string(),
        line,
        column: column.to_string(),
        message: message.into(),
    }
}

fn field_f64(obj: &Map<String, Value>, name: &str, key: &str, line: u64) -> Result<f64, CoreError> {
    obj.get(name)
        .and_then(Value::as_f64)
        .ok_or_else(|| dataset_err(key, line, name, "expected a number"))
}

fn field_str<'v>(
    obj: &'v Map<String, Value>,
    name: &str,
    key: &str,
    line: u64,
) -> Result<&'v str, CoreError> {
    obj.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| dataset_err(key, line, name, "expected a string"))
}

fn parse_byoc_line(
    text: &str,
    key: &str,
    line: u64,
    default_namespace: Option<&str>,
) -> Result<MetricDatum, CoreError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| dataset_err(key, line, "-", format!("invalid JSON: {e}")))?;
    let Value::Object(obj) = value else {
        return Err(dataset_err(key, line, "-", "expected a JSON object"));
    };
    let name = field_str(&obj, "MetricName", key, line)?.to_string();
    let ts_text = field_str(&obj, "Timestamp", key, line)?;
    let timestamp = DateTime::parse_from_rfc3339(ts_text)
        .map_err(|e| {
            dataset_err(
                key,
                line,
                "Timestamp",
                format!("{ts_text:?} is not an RFC 3339 time: {e}"),
            )
        })?
        .with_timezone(&Utc);
    let mut dimensions = Vec::new();
    match obj.get("Dimensions") {
        None => {}
        Some(Value::Array(items)) => {
            for item in items {
                let Value::Object(dim) = item else {
                    return Err(dataset_err(
                        key,
                        line,
                        "Dimensions",
                        "expected {\"Name\", \"Value\"} objects",
                    ));
                };
                dimensions.push((
                    field_str(dim, "Name", key, line)?.to_string(),
                    field_str(dim, "Value", key, line)?.to_string(),
                ));
            }
        }
        Some(_) => {
            return Err(dataset_err(key, line, "Dimensions", "expected an array"));
        }
    }
    let value = match (obj.get("Value"), obj.get("StatisticValues")) {
        (Some(_), None) => MetricValue::Value(field_f64(&obj, "Value", key, line)?),
        (None, Some(Value::Object(set))) => MetricValue::Statistics {
            sample_count: field_f64(set, "SampleCount", key, line)?,
            sum: field_f64(set, "Sum", key, line)?,
            minimum: field_f64(set, "Minimum", key, line)?,
            maximum: field_f64(set, "Maximum", key, line)?,
        },
        (None, Some(_)) => {
            return Err(dataset_err(
                key,
                line,
                "StatisticValues",
                "expected an object",
            ))
        }
        (Some(_), Some(_)) => {
            return Err(dataset_err(
                key,
                line,
                "Value",
                "both Value and StatisticValues are set",
            ))
        }
        (None, None) => {
            return Err(dataset_err(
                key,
                line,
                "Value",
                "neither Value nor StatisticValues is set",
            ))
        }
    };
    let unit = match obj.get("Unit") {
        None => None,
        Some(_) => Some(field_str(&obj, "Unit", key, line)?.to_string()),
    };
    let namespace = match obj.get(BYOC_NAMESPACE_KEY) {
        Some(_) => field_str(&obj, BYOC_NAMESPACE_KEY, key, line)?.to_string(),
        None => default_namespace
            .ok_or_else(|| {
                dataset_err(
                    key,
                    line,
                    BYOC_NAMESPACE_KEY,
                    "no namespace in the line and no default given",
                )
            })?
            .to_string(),
    };
    let datum = MetricDatum {
        namespace,
        name,
        timestamp,
        dimensions,
        value,
        unit,
    };
    validate(&datum).map_err(|e| dataset_err(key, line, "-", e.to_string()))?;
    Ok(datum)
}

/// Reads a BYOC metrics file (ours or a SageMaker container's) back into data.
///
/// Blank lines are skipped; unknown keys are ignored. Lines without our `namespace` key take
/// `default_namespace` (SageMaker files never carry one).
///
/// # Errors
/// [`CoreError::Dataset`] with `key`, the 1-based line and the offending field, for invalid
/// JSON, missing or mistyped fields, and data [`validate`] rejects.
pub fn parse_byoc_jsonl(
    key: &str,
    bytes: &[u8],
    default_namespace: Option<&str>,
) -> Result<Vec<MetricDatum>, CoreError> {
    let mut out = Vec::new();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = i as u64 + 1;
        let text = std::str::from_utf8(raw)
            .map_err(|e| dataset_err(key, line, "-", format!("not UTF-8: {e}")))?;
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        out.push(parse_byoc_line(text, key, line, default_namespace)?);
    }
    Ok(out)
}

/// Writes metrics into an [`ObjectStore`] as SageMaker BYOC metrics files (spec §7.2, plus a
/// `namespace` key per line, see [`byoc_object`]).
#[derive(Debug, Clone)]
pub struct FileMetricSink<S> {
    store: S,
}

impl<S: ObjectStore> FileMetricSink<S> {
    /// A sink writing into `store`.
    pub fn new(store: S) -> Self {
        Self { store }
    }

    /// The underlying store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Writes all of `data` as one BYOC file at `key` (e.g.
    /// `reports/…/cloudwatch_metrics.jsonl`), replacing any previous object; empty `data`
    /// writes an empty file.
    ///
    /// # Errors
    /// [`validate`] errors (nothing written), or the store's error.
    pub async fn publish_to(&self, key: &str, data: &[MetricDatum]) -> Result<(), CoreError> {
        let body = byoc_jsonl(data)?;
        self.store.put(key, body).await
    }

    /// Renders `data` into the objects [`MetricSink::publish`] writes: one per (namespace,
    /// timestamp) group in order of first appearance, at [`metrics_key`].
    ///
    /// # Errors
    /// [`validate`] errors.
    pub fn objects(data: &[MetricDatum]) -> Result<Vec<(String, Vec<u8>)>, CoreError> {
        validate_all(data)?;
        let mut index: HashMap<(&str, DateTime<Utc>), usize> = HashMap::new();
        let mut groups: Vec<Vec<MetricDatum>> = Vec::new();
        for d in data {
            let gi = *index
                .entry((d.namespace.as_str(), d.timestamp))
                .or_insert_with(|| {
                    groups.push(Vec::new());
                    groups.len() - 1
                });
            groups[gi].push(d.clone());
        }
        let mut out = Vec::with_capacity(groups.len());
        for group in &groups {
            let Some(head) = group.first() else { continue };
            let body = byoc_jsonl(group)?;
            out.push((metrics_key(&head.namespace, &head.timestamp, &body), body));
        }
        Ok(out)
    }
}

impl<S: ObjectStore> MetricSink for FileMetricSink<S> {
    /// Writes one object per (namespace, timestamp) group at [`metrics_key`]; publishing the
    /// same data again rewrites the same keys with the same bytes.
    async fn publish(&self, data: &[MetricDatum]) -> Result<(), CoreError> {
        for (key, body) in Self::objects(data)? {
            self.store.put(&key, body).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::METRICS_PREFIX;
    use crate::metrics::namespaces;
    use crate::metrics::test_support::*;
    use crate::store::MemoryStore;
    use chrono::TimeZone;

    const GOLDEN_JSONL: &str = concat!(
        r#"{"MetricName":"feature_non_null_age","Timestamp":"2024-01-02T03:00:00Z","Dimensions":[{"Name":"Endpoint","Value":"ep"},{"Name":"MonitoringSchedule","Value":"sched"}],"Value":0.75,"namespace":"aws/sagemaker/Endpoints/data-metrics"}"#,
        "\n",
        r#"{"MetricName":"feature_data_age","Timestamp":"2024-01-02T03:00:00Z","Dimensions":[{"Name":"Endpoint","Value":"ep"},{"Name":"MonitoringSchedule","Value":"sched"}],"StatisticValues":{"SampleCount":4.0,"Sum":10.0,"Minimum":1.0,"Maximum":4.0},"namespace":"aws/sagemaker/Endpoints/data-metrics"}"#,
        "\n",
        r#"{"MetricName":"bad_records","Timestamp":"2024-01-02T03:00:00Z","Dimensions":[{"Name":"Endpoint","Value":"ep"},{"Name":"MonitoringSchedule","Value":"sched"}],"Value":2.0,"Unit":"Count","namespace":"aws/sagemaker/Endpoints/data-metrics"}"#,
        "\n",
    );

    #[tokio::test]
    async fn file_sink_golden_jsonl_and_round_trip() {
        let store = MemoryStore::new();
        let sink = FileMetricSink::new(store.clone());
        let key = "reports/ep/sched/2024/01/02/03/cloudwatch_metrics.jsonl";
        sink.publish_to(key, &file_data()).await.unwrap();
        let bytes = store.get(key).await.unwrap();
        assert_eq!(String::from_utf8(bytes.clone()).unwrap(), GOLDEN_JSONL);
        assert_eq!(parse_byoc_jsonl(key, &bytes, None).unwrap(), file_data());
    }

    #[tokio::test]
    async fn file_sink_publish_is_idempotent() {
        let store = MemoryStore::new();
        let sink = FileMetricSink::new(store.clone());
        sink.publish(&file_data()).await.unwrap();
        let keys = store.list(METRICS_PREFIX).await.unwrap();
        assert_eq!(keys.len(), 1);
        let key = &keys[0];
        assert!(
            key.starts_with("metrics/aws/sagemaker/Endpoints/data-metrics/20240102T030000Z-"),
            "{key}"
        );
        assert_eq!(
            *key,
            metrics_key(namespaces::DATA_ENDPOINT, &ts(), GOLDEN_JSONL.as_bytes())
        );
        let first = store.get(key).await.unwrap();
        assert_eq!(first, GOLDEN_JSONL.as_bytes());

        sink.publish(&file_data()).await.unwrap();
        assert_eq!(store.list(METRICS_PREFIX).await.unwrap(), keys);
        assert_eq!(store.get(key).await.unwrap(), first);

        // different data at the same time: a second object, the first untouched
        sink.publish(&[value("feature_non_null_age", 0.5)])
            .await
            .unwrap();
        assert_eq!(store.list(METRICS_PREFIX).await.unwrap().len(), 2);
        assert_eq!(store.get(key).await.unwrap(), first);
    }

    #[test]
    fn file_objects_split_by_namespace_and_timestamp() {
        let mut model = value("accuracy", 0.9);
        model.namespace = namespaces::MODEL_ENDPOINT.into();
        let objects =
            FileMetricSink::<MemoryStore>::objects(&[value("a", 1.0), model, value("b", 2.0)])
                .unwrap();
        assert_eq!(objects.len(), 2);
        assert!(objects[0]
            .0
            .starts_with("metrics/aws/sagemaker/Endpoints/data-metrics/"));
        assert!(objects[1]
            .0
            .starts_with("metrics/aws/sagemaker/Endpoints/model-metrics/"));
        assert_eq!(String::from_utf8_lossy(&objects[0].1).lines().count(), 2);
    }

    #[test]
    fn parses_sagemaker_byoc_lines_without_namespace() {
        // The line shape of AWS's BYOC example (seconds-precision `Z` timestamp, int values).
        let text = br#"{"MetricName": "Predicted Class 1", "Timestamp": "2019-11-26T03:00:00Z", "Dimensions": [{"Name": "Endpoint", "Value": "endpoint_0"}, {"Name": "MonitoringSchedule", "Value": "schedule_0"}], "Value": 7}

{"MetricName": "feature_data_PredictedClass", "Timestamp": "2019-11-26T03:00:00Z", "Dimensions": [], "StatisticValues": {"Maximum": 2, "Minimum": 0, "SampleCount": 10, "Sum": 9}}
"#;
        let data = parse_byoc_jsonl("k", text, Some(namespaces::DATA_ENDPOINT)).unwrap();
        assert_eq!(data.len(), 2);
        assert_eq!(data[0].value, MetricValue::Value(7.0));
        assert_eq!(data[0].namespace, namespaces::DATA_ENDPOINT);
        assert_eq!(
            data[0].timestamp,
            Utc.with_ymd_and_hms(2019, 11, 26, 3, 0, 0).unwrap()
        );
        assert_eq!(data[1].value.mean(), Some(0.9));
        let err = parse_byoc_jsonl("k", text, None).unwrap_err();
        assert!(
            err.to_string().starts_with("k:1: column namespace"),
            "{err}"
        );
        let err = parse_byoc_jsonl(
            "k",
            b"{\"MetricName\":\"x\",\"Timestamp\":\"now\",\"Value\":1}",
            Some("ns"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("\"now\""), "{err}");
    }
}
