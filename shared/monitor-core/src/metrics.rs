//! The metrics port ([`MetricSink`]), its local adapters and the pure builders of the
//! metrics SageMaker Model Monitor publishes (spec §7).
//!
//! A [`MetricDatum`] is one CloudWatch datum: a single value or a statistic set
//! (`SampleCount`, `Sum`, `Minimum`, `Maximum`), as `PutMetricData` takes it. The adapters:
//!
//! | adapter | where the data goes | statistic sets |
//! | --- | --- | --- |
//! | [`EmfSink`] / [`EmfStdoutSink`] | CloudWatch Embedded Metric Format lines on a writer (stdout on Lambda: CloudWatch Logs extracts the metrics, no API call) | published as their **mean** (see below) |
//! | [`FileMetricSink`] | JSON Lines in SageMaker's BYOC metrics-file format (spec §7.2) in an [`ObjectStore`] | kept exactly |
//! | [`MemoryMetricSink`] | a `Vec` in memory (tests) | kept exactly |
//!
//! The `PutMetricData` adapter lives in the `monitor-aws` crate. Every adapter checks each
//! datum against CloudWatch's limits first ([`validate`]) and writes nothing when one fails,
//! so a bad value shows up as an error instead of a silently dropped datapoint.
//!
//! # Statistic sets in EMF
//!
//! An EMF metric value is a number or an array of at most 100 numbers, each counted as one
//! sample (spec: "Target members"). A statistic set summarising thousands of records cannot
//! be written that way without inventing samples, so [`EmfSink`] publishes it as **one
//! value, its mean `Sum / SampleCount`**. Consequence: CloudWatch's `Average` of an EMF
//! `feature_data_*` metric is the window mean (per publish), but its `Minimum`, `Maximum`,
//! `Sum` and `SampleCount` describe the published means, not the records. The exact set is
//! still written into the same log line under the extra root member `StatisticValues`
//! (`{"feature_data_x": {"SampleCount", "Sum", "Minimum", "Maximum"}}`; EMF ignores root
//! members no directive references), so Logs Insights can read it. Use the `PutMetricData`
//! adapter or the BYOC file when alarms need the true Min/Max/Sum/SampleCount.
//!
//! Sources: EMF specification (CloudWatch User Guide, "Specification: Embedded metric
//! format"); `PutMetricData`/`MetricDatum`/`Dimension` API reference for the value range
//! ±2^360, name lengths and units; spec §7 for names, namespaces and dimensions.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Display;
use std::future::Future;
use std::io::Write;
use std::sync::Mutex;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use crate::formats::violations::CheckType;
use crate::store::ObjectStore;
use crate::CoreError;

/// One CloudWatch datum, SageMaker-compatible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricDatum {
    /// CloudWatch namespace, e.g. [`namespaces::DATA_ENDPOINT`]
    pub namespace: String,
    /// metric name, e.g. `feature_non_null_age`
    pub name: String,
    /// the time the datum describes (SageMaker: the monitoring window)
    pub timestamp: DateTime<Utc>,
    /// `(name, value)` dimension pairs, in the order they are published
    pub dimensions: Vec<(String, String)>,
    /// a single value or a statistic set
    pub value: MetricValue,
    /// a CloudWatch standard unit (one of [`STANDARD_UNITS`]); `None` = CloudWatch's `None`
    pub unit: Option<String>,
}

/// The value of a [`MetricDatum`]: `Value` or `StatisticValues` of `PutMetricData`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MetricValue {
    /// one sample
    Value(f64),
    /// a pre-aggregated set (`StatisticValues`): CloudWatch derives `Average = sum / sample_count`
    Statistics {
        /// number of samples
        sample_count: f64,
        /// sum of the samples
        sum: f64,
        /// smallest sample
        minimum: f64,
        /// largest sample
        maximum: f64,
    },
}

impl MetricValue {
    /// The mean the value stands for: the value itself, or `sum / sample_count` of a set
    /// (`None` when `sample_count` is 0).
    #[must_use]
    pub fn mean(&self) -> Option<f64> {
        match *self {
            MetricValue::Value(v) => Some(v),
            MetricValue::Statistics {
                sample_count, sum, ..
            } => (sample_count != 0.0).then(|| sum / sample_count),
        }
    }
}

impl MetricDatum {
    /// A datum without unit.
    pub fn new(
        namespace: impl Into<String>,
        name: impl Into<String>,
        timestamp: DateTime<Utc>,
        dimensions: Vec<(String, String)>,
        value: MetricValue,
    ) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
            timestamp,
            dimensions,
            value,
            unit: None,
        }
    }

    /// The same datum with `unit` (one of [`STANDARD_UNITS`]).
    #[must_use]
    pub fn with_unit(mut self, unit: &str) -> Self {
        self.unit = Some(unit.to_string());
        self
    }
}

/// CloudWatch namespaces of SageMaker's monitoring metrics.
///
/// Spelling per spec §7.1: the DG pages disagree with each other (`/aws/sagemaker/Endpoints/data-metric`,
/// `/aws/sagemaker/Endpoint/data-metrics`); AWS's own example that charts what SageMaker
/// published uses `aws/sagemaker/Endpoints/data-metrics`, which the spec takes as authoritative.
/// Endpoint monitors publish with dimensions `Endpoint`, `MonitoringSchedule`; batch-transform
/// monitors use the `ModelMonitoring` namespaces with `MonitoringSchedule` only.
pub mod namespaces {
    /// Data quality, real-time endpoint (spec §7.1).
    pub const DATA_ENDPOINT: &str = "aws/sagemaker/Endpoints/data-metrics";
    /// Data quality, batch transform (spec §7.1).
    pub const DATA_BATCH: &str = "aws/sagemaker/ModelMonitoring/data-metrics";
    /// Model quality, real-time endpoint (spec §7.3).
    pub const MODEL_ENDPOINT: &str = "aws/sagemaker/Endpoints/model-metrics";
    /// Model quality, batch transform (spec §7.3).
    pub const MODEL_BATCH: &str = "aws/sagemaker/ModelMonitoring/model-metrics";
    /// Bias drift, real-time endpoint (spec §7.4).
    pub const BIAS_ENDPOINT: &str = "aws/sagemaker/Endpoints/bias-metrics";
    /// Bias drift, batch transform (spec §7.4).
    pub const BIAS_BATCH: &str = "aws/sagemaker/ModelMonitoring/bias-metrics";
    /// Feature attribution drift, real-time endpoint (spec §7.5).
    pub const EXPLAINABILITY_ENDPOINT: &str = "aws/sagemaker/Endpoints/explainability-metrics";
    /// Feature attribution drift, batch transform (spec §7.5).
    pub const EXPLAINABILITY_BATCH: &str = "aws/sagemaker/ModelMonitoring/explainability-metrics";
}

/// Dimension names of SageMaker's monitoring metrics (spec §7.1, §7.3–7.5).
pub mod dimensions {
    /// endpoint name (endpoint monitors only)
    pub const ENDPOINT: &str = "Endpoint";
    /// monitoring schedule name
    pub const MONITORING_SCHEDULE: &str = "MonitoringSchedule";
    /// bias: `Pre-training` | `Post-Training` (spec §7.4, casing as documented)
    pub const BIAS_STAGE: &str = "BiasStage";
    /// bias / explainability: label header (explainability: or `label0`, …)
    pub const LABEL: &str = "Label";
    /// bias: label value or threshold
    pub const LABEL_VALUE: &str = "LabelValue";
    /// bias: facet (sensitive column) name
    pub const FACET: &str = "Facet";
    /// bias: facet value or threshold
    pub const FACET_VALUE: &str = "FacetValue";
    /// explainability: `KernelShap`
    pub const EXPLAINABILITY_METHOD: &str = "ExplainabilityMethod";
    /// explainability: `GlobalShapValues` | `ExpectedValue`
    pub const VALUE_TYPE: &str = "ValueType";
}

/// Metric names published by [`data_quality_metrics`].
///
/// The `feature_*` names are SageMaker's (spec §7.1). The totals (`constraint_violations_*`,
/// `records_analyzed`, `bad_records`) are **modelwatch additions** in the same namespace: no
/// source documents totals from the prebuilt container; they exist so that one alarm per
/// check type can watch a schedule without knowing its features.
pub mod names {
    /// Prefix of the per-feature distribution metric (a statistic set of the values).
    pub const FEATURE_DATA_PREFIX: &str = "feature_data_";
    /// Prefix of the per-feature completeness metric (non-null fraction; query Stat `Sum`).
    pub const FEATURE_NON_NULL_PREFIX: &str = "feature_non_null_";
    /// Prefix of the per-feature baseline distance metric (query Stat `Sum`).
    pub const FEATURE_BASELINE_DRIFT_PREFIX: &str = "feature_baseline_drift_";
    /// Total violations of the execution, all check types (modelwatch addition).
    pub const CONSTRAINT_VIOLATIONS_TOTAL: &str = "constraint_violations_total";
    /// Prefix of the per-check-type violation counts, `constraint_violations_{check_type}`.
    pub const CONSTRAINT_VIOLATIONS_PREFIX: &str = "constraint_violations_";
    /// Records analysed in the window (modelwatch addition).
    pub const RECORDS_ANALYZED: &str = "records_analyzed";
    /// Records that could not be parsed (modelwatch addition).
    pub const BAD_RECORDS: &str = "bad_records";
}

/// CloudWatch limits the adapters enforce.
pub mod limits {
    /// EMF: a MetricDirective's `Metrics` array "MUST NOT contain more than 100
    /// MetricDefinition objects".
    pub const EMF_MAX_METRICS: usize = 100;
    /// Dimensions per metric ("You can assign up to 30 dimensions to a metric", `Dimension`
    /// API; the current EMF specification allows 30 keys per DimensionSet, older revisions 9).
    pub const MAX_DIMENSIONS: usize = 30;
    /// Metric name, dimension name and namespace length (1–255, `PutMetricData`).
    pub const MAX_NAME_LEN: usize = 255;
    /// Dimension value length (1–1024, `Dimension` API).
    pub const MAX_DIMENSION_VALUE_LEN: usize = 1024;
    /// Largest magnitude CloudWatch accepts, 2^360 ("Values must be in the range of -2^360 to
    /// 2^360"; SageMaker publishes ±∞ bias values as ±2.348543e108 = ±2^360, spec §7.4).
    pub const MAX_MAGNITUDE: f64 = 2.348_542_582_773_833_2e108;
}

/// CloudWatch's standard units (`MetricDatum.Unit`; the EMF schema's `Unit` pattern).
pub const STANDARD_UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// Unit given to the count metrics of [`data_quality_metrics`].
pub const UNIT_COUNT: &str = "Count";

/// Capability: publish metric data.
///
/// Adapters validate every datum ([`validate`]) before publishing any, so a call either
/// publishes all of `data` or returns the first offending datum's error.
pub trait MetricSink: Send + Sync {
    /// Publishes `data` (any mix of namespaces, dimensions and timestamps).
    fn publish(&self, data: &[MetricDatum]) -> impl Future<Output = Result<(), CoreError>> + Send;
}

// ---------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------

fn invalid(d: &MetricDatum, value: impl Display, message: &str) -> CoreError {
    CoreError::Config {
        field: format!("metric {:?} (namespace {:?})", d.name, d.namespace),
        value: value.to_string(),
        message: message.to_string(),
    }
}

fn is_printable_ascii(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

fn has_non_whitespace(s: &str) -> bool {
    s.chars().any(|c| !c.is_whitespace())
}

fn check_number(d: &MetricDatum, what: &str, v: f64) -> Result<(), CoreError> {
    if !v.is_finite() {
        return Err(invalid(
            d,
            v,
            &format!("{what}: CloudWatch accepts only finite values"),
        ));
    }
    if v.abs() > limits::MAX_MAGNITUDE {
        return Err(invalid(
            d,
            v,
            &format!("{what}: CloudWatch accepts values within ±2^360 only"),
        ));
    }
    Ok(())
}

/// Checks one datum against CloudWatch's rules; every adapter calls this before writing.
///
/// Namespace: 1–255 printable ASCII characters, not starting with `:` or `AWS/` (reserved for
/// AWS; SageMaker's lower-case `aws/sagemaker/…` is fine). Metric name: 1–255 characters
/// without control characters. At most 30 dimensions, unique names; names 1–255 and values
/// 1–1024 printable ASCII with at least one non-blank character, names not starting with `:`.
/// Unit: one of [`STANDARD_UNITS`]. Values: finite and within ±2^360; a statistic set needs
/// `sample_count > 0` and `minimum <= maximum`.
///
/// # Errors
/// [`CoreError::Config`] naming the metric, the offending value and the rule.
pub fn validate(d: &MetricDatum) -> Result<(), CoreError> {
    let ns = &d.namespace;
    if ns.is_empty() || ns.len() > limits::MAX_NAME_LEN || !is_printable_ascii(ns) {
        return Err(invalid(
            d,
            ns,
            "namespace must be 1-255 printable ASCII characters",
        ));
    }
    if ns.starts_with(':') || ns.starts_with("AWS/") {
        return Err(invalid(
            d,
            ns,
            "namespace must not start with ':' or the reserved 'AWS/'",
        ));
    }
    let name_len = d.name.chars().count();
    if name_len == 0 || name_len > limits::MAX_NAME_LEN || d.name.chars().any(char::is_control) {
        return Err(invalid(
            d,
            &d.name,
            "metric name must be 1-255 characters without control characters",
        ));
    }
    if d.dimensions.len() > limits::MAX_DIMENSIONS {
        return Err(invalid(
            d,
            d.dimensions.len(),
            "CloudWatch allows at most 30 dimensions per metric",
        ));
    }
    let mut seen = HashSet::new();
    for (name, value) in &d.dimensions {
        if name.is_empty()
            || name.len() > limits::MAX_NAME_LEN
            || !is_printable_ascii(name)
            || !has_non_whitespace(name)
            || name.starts_with(':')
        {
            return Err(invalid(
                d,
                name,
                "dimension name must be 1-255 printable ASCII characters, not blank, not starting with ':'",
            ));
        }
        if value.is_empty()
            || value.len() > limits::MAX_DIMENSION_VALUE_LEN
            || !is_printable_ascii(value)
            || !has_non_whitespace(value)
        {
            return Err(invalid(
                d,
                value,
                &format!(
                    "value of dimension {name:?} must be 1-1024 printable ASCII characters, not blank"
                ),
            ));
        }
        if !seen.insert(name.as_str()) {
            return Err(invalid(d, name, "dimension name appears twice"));
        }
    }
    if let Some(unit) = &d.unit {
        if !STANDARD_UNITS.contains(&unit.as_str()) {
            return Err(invalid(d, unit, "not a CloudWatch standard unit"));
        }
    }
    match d.value {
        MetricValue::Value(v) => check_number(d, "Value", v),
        MetricValue::Statistics {
            sample_count,
            sum,
            minimum,
            maximum,
        } => {
            check_number(d, "SampleCount", sample_count)?;
            check_number(d, "Sum", sum)?;
            check_number(d, "Minimum", minimum)?;
            check_number(d, "Maximum", maximum)?;
            if sample_count <= 0.0 {
                return Err(invalid(
                    d,
                    sample_count,
                    "a statistic set needs SampleCount > 0",
                ));
            }
            if minimum > maximum {
                return Err(invalid(
                    d,
                    format!("Minimum {minimum} > Maximum {maximum}"),
                    "a statistic set needs Minimum <= Maximum",
                ));
            }
            Ok(())
        }
    }
}

fn validate_all(data: &[MetricDatum]) -> Result<(), CoreError> {
    data.iter().try_for_each(validate)
}

fn number(d: &MetricDatum, v: f64) -> Result<Value, CoreError> {
    Number::from_f64(v)
        .map(Value::Number)
        .ok_or_else(|| invalid(d, v, "CloudWatch accepts only finite values"))
}

// ---------------------------------------------------------------------------------------
// EMF
// ---------------------------------------------------------------------------------------

/// Root member of an EMF line that carries the exact statistic sets (see the module docs).
pub const EMF_STATISTIC_VALUES_MEMBER: &str = "StatisticValues";
const EMF_METADATA_MEMBER: &str = "_aws";

/// What makes data one EMF directive: namespace, dimension pairs in order, epoch ms.
type EmfGroupKey<'a> = (&'a str, &'a [(String, String)], i64);

/// One EMF object under construction: its metrics have unique names.
struct EmfChunk<'a> {
    names: HashSet<&'a str>,
    items: Vec<&'a MetricDatum>,
}

/// Data sharing namespace, dimension set and timestamp (ms): one EMF directive.
struct EmfGroup<'a> {
    head: &'a MetricDatum,
    chunks: Vec<EmfChunk<'a>>,
    /// chunks before this index are full
    first_open: usize,
}

impl<'a> EmfGroup<'a> {
    /// First-fit: the first chunk with room and without a metric of the same name.
    fn add(&mut self, d: &'a MetricDatum) {
        while self
            .chunks
            .get(self.first_open)
            .is_some_and(|c| c.items.len() >= limits::EMF_MAX_METRICS)
        {
            self.first_open += 1;
        }
        let slot = self.chunks[self.first_open..].iter().position(|c| {
            c.items.len() < limits::EMF_MAX_METRICS && !c.names.contains(d.name.as_str())
        });
        let chunk = match slot {
            Some(i) => &mut self.chunks[self.first_open + i],
            None => {
                self.chunks.push(EmfChunk {
                    names: HashSet::new(),
                    items: Vec::new(),
                });
                let last = self.chunks.len() - 1;
                &mut self.chunks[last]
            }
        };
        chunk.names.insert(d.name.as_str());
        chunk.items.push(d);
    }
}

fn check_emf_names(d: &MetricDatum) -> Result<(), CoreError> {
    let reserved = [EMF_METADATA_MEMBER, EMF_STATISTIC_VALUES_MEMBER];
    if reserved.contains(&d.name.as_str()) {
        return Err(invalid(
            d,
            &d.name,
            "metric name is reserved in modelwatch's EMF lines",
        ));
    }
    for (name, _) in &d.dimensions {
        if reserved.contains(&name.as_str()) {
            return Err(invalid(
                d,
                name,
                "dimension name is reserved in modelwatch's EMF lines",
            ));
        }
        if *name == d.name {
            return Err(invalid(
                d,
                name,
                "EMF puts metrics and dimensions side by side at the root: a metric cannot share a dimension's name",
            ));
        }
    }
    Ok(())
}

fn render_emf(head: &MetricDatum, items: &[&MetricDatum]) -> Result<String, CoreError> {
    let dimension_names: Vec<Value> = head
        .dimensions
        .iter()
        .map(|(n, _)| Value::String(n.clone()))
        .collect();
    let mut definitions = Vec::with_capacity(items.len());
    for d in items {
        let mut def = Map::new();
        def.insert("Name".into(), Value::String(d.name.clone()));
        if let Some(unit) = &d.unit {
            def.insert("Unit".into(), Value::String(unit.clone()));
        }
        definitions.push(Value::Object(def));
    }
    let mut directive = Map::new();
    directive.insert("Namespace".into(), Value::String(head.namespace.clone()));
    directive.insert(
        "Dimensions".into(),
        Value::Array(vec![Value::Array(dimension_names)]),
    );
    directive.insert("Metrics".into(), Value::Array(definitions));
    let mut meta = Map::new();
    meta.insert(
        "Timestamp".into(),
        Value::from(head.timestamp.timestamp_millis()),
    );
    meta.insert(
        "CloudWatchMetrics".into(),
        Value::Array(vec![Value::Object(directive)]),
    );

    let mut root = Map::new();
    root.insert(EMF_METADATA_MEMBER.into(), Value::Object(meta));
    for (name, value) in &head.dimensions {
        root.insert(name.clone(), Value::String(value.clone()));
    }
    let mut sets = Map::new();
    for d in items {
        let v = match d.value {
            MetricValue::Value(v) => v,
            MetricValue::Statistics {
                sample_count,
                sum,
                minimum,
                maximum,
            } => {
                sets.insert(
                    d.name.clone(),
                    statistic_values(d, sample_count, sum, minimum, maximum)?,
                );
                sum / sample_count
            }
        };
        root.insert(d.name.clone(), number(d, v)?);
    }
    if !sets.is_empty() {
        root.insert(EMF_STATISTIC_VALUES_MEMBER.into(), Value::Object(sets));
    }
    serde_json::to_string(&Value::Object(root)).map_err(|e| invalid(head, e, "cannot render EMF"))
}

fn statistic_values(
    d: &MetricDatum,
    sample_count: f64,
    sum: f64,
    minimum: f64,
    maximum: f64,
) -> Result<Value, CoreError> {
    let mut set = Map::new();
    set.insert("SampleCount".into(), number(d, sample_count)?);
    set.insert("Sum".into(), number(d, sum)?);
    set.insert("Minimum".into(), number(d, minimum)?);
    set.insert("Maximum".into(), number(d, maximum)?);
    Ok(Value::Object(set))
}

/// Renders `data` as CloudWatch Embedded Metric Format documents, one JSON line each
/// (without the trailing newline).
///
/// Data are grouped by (namespace, dimension names and values in order, timestamp in epoch
/// ms), groups in order of first appearance. Each group becomes one or more documents
/// `{"_aws":{"Timestamp":ms,"CloudWatchMetrics":[{"Namespace","Dimensions":[[names…]],
/// "Metrics":[{"Name","Unit"?}…]}]}, dimension values…, metric values…,
/// "StatisticValues"?}`: at most [`limits::EMF_MAX_METRICS`] metrics per document and metric
/// names unique per document (a repeated name goes to the next document, first fit; input
/// order is kept within a document). Statistic sets are published as their mean, see the
/// module docs. CloudWatch drops EMF metrics whose timestamp is more than two weeks old or
/// two hours ahead (the log line is still stored).
///
/// # Errors
/// [`validate`] errors; a metric or dimension named `_aws` or `StatisticValues`, or a metric
/// named like one of its dimensions (both would be root members).
pub fn emf_documents(data: &[MetricDatum]) -> Result<Vec<String>, CoreError> {
    validate_all(data)?;
    for d in data {
        check_emf_names(d)?;
    }
    let mut index: HashMap<EmfGroupKey<'_>, usize> = HashMap::new();
    let mut groups: Vec<EmfGroup<'_>> = Vec::new();
    for d in data {
        let key = (
            d.namespace.as_str(),
            d.dimensions.as_slice(),
            d.timestamp.timestamp_millis(),
        );
        let gi = *index.entry(key).or_insert_with(|| {
            groups.push(EmfGroup {
                head: d,
                chunks: Vec::new(),
                first_open: 0,
            });
            groups.len() - 1
        });
        groups[gi].add(d);
    }
    let mut out = Vec::new();
    for g in &groups {
        for chunk in &g.chunks {
            out.push(render_emf(g.head, &chunk.items)?);
        }
    }
    Ok(out)
}

/// Publishes metrics as EMF lines on a writer (see [`emf_documents`]).
///
/// Each `publish` validates and renders everything first, then writes every line with its
/// `\n` under one lock and flushes, so concurrent publishes never interleave inside a line.
#[derive(Debug)]
pub struct EmfSink<W> {
    out: Mutex<W>,
}

/// The Lambda default: EMF lines on standard output, which Lambda forwards to CloudWatch
/// Logs; CloudWatch extracts the metrics from them without any API call.
pub type EmfStdoutSink = EmfSink<std::io::Stdout>;

impl<W: Write + Send> EmfSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> Self {
        Self {
            out: Mutex::new(out),
        }
    }

    /// The writer back (tests read what was written).
    pub fn into_inner(self) -> W {
        self.out.into_inner().unwrap_or_else(|p| p.into_inner())
    }

    fn write_lines(&self, lines: &[String]) -> std::io::Result<()> {
        // A poisoned lock only means another thread panicked mid-write; the writer is usable.
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        for line in lines {
            let mut bytes = Vec::with_capacity(line.len() + 1);
            bytes.extend_from_slice(line.as_bytes());
            bytes.push(b'\n');
            out.write_all(&bytes)?;
        }
        out.flush()
    }
}

impl EmfStdoutSink {
    /// A sink writing to the process's standard output.
    #[must_use]
    pub fn stdout() -> Self {
        Self::new(std::io::stdout())
    }
}

impl<W: Write + Send> MetricSink for EmfSink<W> {
    async fn publish(&self, data: &[MetricDatum]) -> Result<(), CoreError> {
        let lines = emf_documents(data)?;
        self.write_lines(&lines).map_err(|source| CoreError::Io {
            key: "EMF output".into(),
            source,
        })
    }
}

// ---------------------------------------------------------------------------------------
// SageMaker BYOC metrics file
// ---------------------------------------------------------------------------------------

/// Extra key of each BYOC line naming the namespace (SageMaker sets the namespace itself; a
/// file of ours carries it so a reader can route the line).
pub const BYOC_NAMESPACE_KEY: &str = "namespace";

/// Prefix of the keys [`FileMetricSink`] derives in [`MetricSink::publish`].
pub const METRICS_PREFIX: &str = "metrics/";

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

/// FNV-1a, 64 bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3): a content hash
/// that, unlike `std`'s `DefaultHasher`, is fixed across Rust versions, so keys stay stable.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The namespace as key segments: split at `/`, empty segments dropped, characters other than
/// `[A-Za-z0-9._-]` replaced by `_`, dot-only segments (`.`, `..`) replaced by underscores.
fn namespace_path(namespace: &str) -> String {
    let segments: Vec<String> = namespace
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let clean: String = s
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            if clean.chars().all(|c| c == '.') {
                "_".repeat(clean.len())
            } else {
                clean
            }
        })
        .collect();
    if segments.is_empty() {
        "_".to_string()
    } else {
        segments.join("/")
    }
}

/// The key [`FileMetricSink`]'s [`MetricSink::publish`] writes one (namespace, timestamp)
/// group to: `metrics/{namespace path}/{yyyymmddTHHMMSSZ}-{FNV-1a 64 of body, 16 hex}.jsonl`,
/// e.g. `metrics/aws/sagemaker/Endpoints/data-metrics/20240102T030000Z-0123456789abcdef.jsonl`.
///
/// The content hash makes a replay of the same data land on the same key with the same
/// bytes (idempotent), while different data at the same time (another publisher, another
/// schedule) never overwrites it.
#[must_use]
pub fn metrics_key(namespace: &str, timestamp: &DateTime<Utc>, body: &[u8]) -> String {
    format!(
        "{METRICS_PREFIX}{}/{}-{:016x}.jsonl",
        namespace_path(namespace),
        timestamp.format("%Y%m%dT%H%M%SZ"),
        fnv1a64(body)
    )
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

// ---------------------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------------------

/// Collects published data in memory (tests, dry runs). Validates like the real sinks.
#[derive(Debug, Default)]
pub struct MemoryMetricSink {
    data: Mutex<Vec<MetricDatum>>,
}

impl MemoryMetricSink {
    /// An empty sink.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<MetricDatum>> {
        // A poisoned lock only means another test thread panicked; the data are still valid.
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A copy of everything published so far, in publish order.
    #[must_use]
    pub fn data(&self) -> Vec<MetricDatum> {
        self.lock().clone()
    }

    /// Removes and returns everything published so far.
    pub fn take(&self) -> Vec<MetricDatum> {
        std::mem::take(&mut *self.lock())
    }
}

impl MetricSink for MemoryMetricSink {
    async fn publish(&self, data: &[MetricDatum]) -> Result<(), CoreError> {
        validate_all(data)?;
        self.lock().extend_from_slice(data);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------

/// The six data-quality check types, in the order their counts are published.
const DATA_QUALITY_CHECKS: [CheckType; 6] = [
    CheckType::DataTypeCheck,
    CheckType::CompletenessCheck,
    CheckType::BaselineDriftCheck,
    CheckType::MissingColumnCheck,
    CheckType::ExtraColumnCheck,
    CheckType::CategoricalValuesCheck,
];

/// What one data-quality execution measured, for [`data_quality_metrics`].
#[derive(Debug, Clone, PartialEq)]
pub struct DataQualityMetricsInput<'a> {
    /// endpoint name (`Endpoint` dimension)
    pub endpoint: &'a str,
    /// monitoring schedule name (`MonitoringSchedule` dimension)
    pub schedule: &'a str,
    /// timestamp of every datum (the monitoring window)
    pub timestamp: DateTime<Utc>,
    /// per-feature measurements, in publish order
    pub features: &'a [FeatureMetrics],
    /// execution totals
    pub totals: &'a MonitorTotals,
}

/// One feature's measurements.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMetrics {
    /// feature (column) name, used verbatim in the metric names
    pub name: String,
    /// `emit_metrics` is `Enabled` for this feature (constraints `monitoring_config`)
    pub emit: bool,
    /// completeness `num_present / (num_present + num_missing)`
    pub non_null_fraction: f64,
    /// distance to the baseline (spec §6), when compared
    pub baseline_drift: Option<f64>,
    /// numeric features: `(count, sum, min, max)` of the non-null values
    pub numeric: Option<(u64, f64, f64, f64)>,
}

/// Execution totals.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MonitorTotals {
    /// records analysed
    pub records: u64,
    /// records that could not be parsed
    pub bad_records: u64,
    /// violations per `constraint_check_type` wire name (e.g. `"data_type_check"`)
    pub violations_by_check: BTreeMap<String, u64>,
}

fn endpoint_dimensions(endpoint: &str, schedule: &str) -> Vec<(String, String)> {
    vec![
        (dimensions::ENDPOINT.to_string(), endpoint.to_string()),
        (
            dimensions::MONITORING_SCHEDULE.to_string(),
            schedule.to_string(),
        ),
    ]
}

/// The CloudWatch data of one data-quality execution of an endpoint monitor (spec §7.1).
///
/// Namespace [`namespaces::DATA_ENDPOINT`]; dimensions `Endpoint`, `MonitoringSchedule` (in
/// that order) on every datum; every datum at `input.timestamp`. Per feature with `emit`, in
/// input order:
/// - `feature_baseline_drift_{f}` = the distance, when present;
/// - `feature_non_null_{f}` = the non-null fraction;
/// - `feature_data_{f}` = statistic set `{SampleCount: count, Sum, Minimum, Maximum}`, for
///   numeric features with `count > 0`.
///
/// Features with `emit == false` publish nothing. Non-finite values are not published
/// (CloudWatch rejects them; SageMaker likewise skips null metrics, spec §7.4). Then the
/// totals (modelwatch additions, unit `Count`): `constraint_violations_total` (sum over all
/// check types), `constraint_violations_{check}` for each of the six data-quality check types
/// (0 when none, so an alarm gets a datapoint every window) followed by any other check type
/// in `violations_by_check` (sorted), `records_analyzed`, `bad_records`.
#[must_use]
pub fn data_quality_metrics(input: &DataQualityMetricsInput<'_>) -> Vec<MetricDatum> {
    let dims = endpoint_dimensions(input.endpoint, input.schedule);
    let datum = |name: String, value: MetricValue| {
        MetricDatum::new(
            namespaces::DATA_ENDPOINT,
            name,
            input.timestamp,
            dims.clone(),
            value,
        )
    };
    let mut out = Vec::new();
    for f in input.features.iter().filter(|f| f.emit) {
        if let Some(drift) = f.baseline_drift.filter(|d| d.is_finite()) {
            out.push(datum(
                format!("{}{}", names::FEATURE_BASELINE_DRIFT_PREFIX, f.name),
                MetricValue::Value(drift),
            ));
        }
        if f.non_null_fraction.is_finite() {
            out.push(datum(
                format!("{}{}", names::FEATURE_NON_NULL_PREFIX, f.name),
                MetricValue::Value(f.non_null_fraction),
            ));
        }
        if let Some((count, sum, min, max)) = f.numeric {
            let finite = sum.is_finite() && min.is_finite() && max.is_finite();
            if count > 0 && finite {
                out.push(datum(
                    format!("{}{}", names::FEATURE_DATA_PREFIX, f.name),
                    MetricValue::Statistics {
                        sample_count: count as f64,
                        sum,
                        minimum: min,
                        maximum: max,
                    },
                ));
            }
        }
    }
    let count =
        |name: String, n: u64| datum(name, MetricValue::Value(n as f64)).with_unit(UNIT_COUNT);
    let by_check = &input.totals.violations_by_check;
    let total = by_check.values().fold(0u64, |a, &n| a.saturating_add(n));
    out.push(count(names::CONSTRAINT_VIOLATIONS_TOTAL.to_string(), total));
    for check in DATA_QUALITY_CHECKS {
        let n = by_check.get(check.as_str()).copied().unwrap_or(0);
        out.push(count(
            format!("{}{}", names::CONSTRAINT_VIOLATIONS_PREFIX, check.as_str()),
            n,
        ));
    }
    for (check, &n) in by_check {
        if !DATA_QUALITY_CHECKS.iter().any(|c| c.as_str() == check) {
            out.push(count(
                format!("{}{}", names::CONSTRAINT_VIOLATIONS_PREFIX, check),
                n,
            ));
        }
    }
    out.push(count(
        names::RECORDS_ANALYZED.to_string(),
        input.totals.records,
    ));
    out.push(count(
        names::BAD_RECORDS.to_string(),
        input.totals.bad_records,
    ));
    out
}

/// The CloudWatch data of one model-quality execution of an endpoint monitor (spec §7.3):
/// namespace [`namespaces::MODEL_ENDPOINT`], dimensions `Endpoint`, `MonitoringSchedule`,
/// metric name = the statistics-file metric key (`accuracy`, `f2`, `mse`, …), no unit, in
/// input order. Non-finite values are not published.
#[must_use]
pub fn model_quality_metrics(
    endpoint: &str,
    schedule: &str,
    timestamp: DateTime<Utc>,
    metrics: &[(String, f64)],
) -> Vec<MetricDatum> {
    let dims = endpoint_dimensions(endpoint, schedule);
    metrics
        .iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(name, v)| {
            MetricDatum::new(
                namespaces::MODEL_ENDPOINT,
                name.clone(),
                timestamp,
                dims.clone(),
                MetricValue::Value(*v),
            )
        })
        .collect()
}

/// The per-monitor totals of a model-quality, bias or feature-attribution execution, in
/// the monitor's own namespace with dimensions `Endpoint`, `MonitoringSchedule` (a
/// modelwatch extension, as for data quality): `constraint_violations_total` and
/// `records_analyzed` (unit `Count`). One alarm shape then serves every kind of monitor.
pub fn monitor_totals(
    namespace: &str,
    endpoint: &str,
    schedule: &str,
    timestamp: DateTime<Utc>,
    violations: u64,
    records: u64,
) -> Vec<MetricDatum> {
    [
        (names::CONSTRAINT_VIOLATIONS_TOTAL, violations),
        (names::RECORDS_ANALYZED, records),
    ]
    .into_iter()
    .map(|(name, n)| {
        MetricDatum::new(
            namespace,
            name,
            timestamp,
            endpoint_dimensions(endpoint, schedule),
            MetricValue::Value(n as f64),
        )
        .with_unit(UNIT_COUNT)
    })
    .collect()
}

/// One bias metric value of a window, with what names it (spec §7.4).
#[derive(Debug, Clone, PartialEq)]
pub struct BiasMetricValue {
    /// `Pre-training` or `Post-Training` (the DG's casing)
    pub stage: &'static str,
    /// label column
    pub label: String,
    /// positive label value(s) or threshold text
    pub label_value: String,
    /// facet column
    pub facet: String,
    /// facet value(s) or threshold text
    pub facet_value: String,
    /// metric code, e.g. `DPPL`
    pub code: String,
    /// the value (±∞ allowed; NaN = the metric failed)
    pub value: f64,
}

/// The CloudWatch data of one bias-drift execution (spec §7.4): `bias_metric_{CODE}` in
/// [`namespaces::BIAS_ENDPOINT`] with dimensions `Endpoint`, `MonitoringSchedule`,
/// `BiasStage`, `Label`, `LabelValue`, `Facet`, `FacetValue`. ±∞ is published as
/// ±[`limits::MAX_MAGNITUDE`] (SageMaker's ±2.348543e108); failed (NaN) metrics are not
/// published.
pub fn bias_metrics(
    endpoint: &str,
    schedule: &str,
    timestamp: DateTime<Utc>,
    values: &[BiasMetricValue],
) -> Vec<MetricDatum> {
    values
        .iter()
        .filter(|v| !v.value.is_nan())
        .map(|v| {
            let mut dims = endpoint_dimensions(endpoint, schedule);
            dims.extend([
                (dimensions::BIAS_STAGE.to_string(), v.stage.to_string()),
                (dimensions::LABEL.to_string(), v.label.clone()),
                (dimensions::LABEL_VALUE.to_string(), v.label_value.clone()),
                (dimensions::FACET.to_string(), v.facet.clone()),
                (dimensions::FACET_VALUE.to_string(), v.facet_value.clone()),
            ]);
            let value = if v.value.is_infinite() {
                limits::MAX_MAGNITUDE.copysign(v.value)
            } else {
                v.value.clamp(-limits::MAX_MAGNITUDE, limits::MAX_MAGNITUDE)
            };
            MetricDatum::new(
                namespaces::BIAS_ENDPOINT,
                format!("bias_metric_{}", v.code),
                timestamp,
                dims,
                MetricValue::Value(value),
            )
        })
        .collect()
}

/// The CloudWatch data of one feature-attribution execution (spec §7.5): the global SHAP
/// value of each feature as `feature_{name}` (`ValueType` `GlobalShapValues`) and the
/// expected value as `ExpectedValue` (`ValueType` `ExpectedValue`), in
/// [`namespaces::EXPLAINABILITY_ENDPOINT`] with dimensions `Endpoint`, `MonitoringSchedule`,
/// `ExplainabilityMethod` (`KernelShap`), `Label`, `ValueType`. Non-finite values are skipped.
pub fn explainability_metrics(
    endpoint: &str,
    schedule: &str,
    timestamp: DateTime<Utc>,
    label: &str,
    global: &[(String, f64)],
    expected_value: f64,
) -> Vec<MetricDatum> {
    let dims = |value_type: &str| {
        let mut d = endpoint_dimensions(endpoint, schedule);
        d.extend([
            (
                dimensions::EXPLAINABILITY_METHOD.to_string(),
                "KernelShap".to_string(),
            ),
            (dimensions::LABEL.to_string(), label.to_string()),
            (dimensions::VALUE_TYPE.to_string(), value_type.to_string()),
        ]);
        d
    };
    let mut out: Vec<MetricDatum> = global
        .iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(name, v)| {
            MetricDatum::new(
                namespaces::EXPLAINABILITY_ENDPOINT,
                format!("feature_{name}"),
                timestamp,
                dims("GlobalShapValues"),
                MetricValue::Value(*v),
            )
        })
        .collect();
    if expected_value.is_finite() {
        out.push(MetricDatum::new(
            namespaces::EXPLAINABILITY_ENDPOINT,
            "ExpectedValue",
            timestamp,
            dims("ExpectedValue"),
            MetricValue::Value(expected_value),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;
    use chrono::TimeZone;

    fn ts() -> DateTime<Utc> {
        // 2024-01-02T03:00:00Z = 1704164400000 ms
        // (python3 -c "import datetime;print(int(datetime.datetime(2024,1,2,3,
        //  tzinfo=datetime.timezone.utc).timestamp()*1000))")
        Utc.with_ymd_and_hms(2024, 1, 2, 3, 0, 0).unwrap()
    }

    fn dims() -> Vec<(String, String)> {
        endpoint_dimensions("ep", "sched")
    }

    fn value(name: &str, v: f64) -> MetricDatum {
        MetricDatum::new(
            namespaces::DATA_ENDPOINT,
            name,
            ts(),
            dims(),
            MetricValue::Value(v),
        )
    }

    fn stats(name: &str) -> MetricDatum {
        MetricDatum::new(
            namespaces::DATA_ENDPOINT,
            name,
            ts(),
            dims(),
            MetricValue::Statistics {
                sample_count: 4.0,
                sum: 10.0,
                minimum: 1.0,
                maximum: 4.0,
            },
        )
    }

    fn parse(line: &str) -> Value {
        serde_json::from_str(line).unwrap()
    }

    #[test]
    fn max_magnitude_is_two_to_the_360() {
        assert_eq!(limits::MAX_MAGNITUDE, 2f64.powi(360));
    }

    #[test]
    fn emf_golden_small_case() {
        let data = [
            value("records_analyzed", 3.0).with_unit("Count"),
            stats("feature_data_age"),
        ];
        let lines = emf_documents(&data).unwrap();
        // mean of the statistic set = 10 / 4 = 2.5
        let golden = concat!(
            r#"{"_aws":{"Timestamp":1704164400000,"CloudWatchMetrics":[{"Namespace":"aws/sagemaker/Endpoints/data-metrics","#,
            r#""Dimensions":[["Endpoint","MonitoringSchedule"]],"Metrics":[{"Name":"records_analyzed","Unit":"Count"},"#,
            r#"{"Name":"feature_data_age"}]}]},"Endpoint":"ep","MonitoringSchedule":"sched","records_analyzed":3.0,"#,
            r#""feature_data_age":2.5,"StatisticValues":{"feature_data_age":{"SampleCount":4.0,"Sum":10.0,"Minimum":1.0,"Maximum":4.0}}}"#
        );
        assert_eq!(lines, vec![golden.to_string()]);

        // Structure, as CloudWatch Logs reads it: every referenced target is a root member of
        // the right type.
        let doc = parse(&lines[0]);
        let aws = &doc["_aws"];
        assert_eq!(aws["Timestamp"].as_i64(), Some(1_704_164_400_000));
        let directives = aws["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives.len(), 1);
        let dir = &directives[0];
        assert_eq!(dir["Namespace"], namespaces::DATA_ENDPOINT);
        for set in dir["Dimensions"].as_array().unwrap() {
            for name in set.as_array().unwrap() {
                assert!(doc[name.as_str().unwrap()].is_string());
            }
        }
        for def in dir["Metrics"].as_array().unwrap() {
            assert!(doc[def["Name"].as_str().unwrap()].is_number());
        }
    }

    #[test]
    fn emf_splits_more_than_100_metrics_and_repeated_names() {
        let mut data: Vec<MetricDatum> = (0..250)
            .map(|i| value(&format!("m{i:03}"), i as f64))
            .collect();
        // a repeated name in the same group must not share a document with its twin
        data.push(value("m000", 1000.0));
        let lines = emf_documents(&data).unwrap();
        assert_eq!(lines.len(), 3);
        let mut seen = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let doc = parse(line);
            let defs = doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                .as_array()
                .unwrap();
            assert!(defs.len() <= limits::EMF_MAX_METRICS, "document {i}");
            let names: HashSet<&str> = defs.iter().map(|d| d["Name"].as_str().unwrap()).collect();
            assert_eq!(names.len(), defs.len(), "names unique in document {i}");
            for name in names {
                seen.push((name.to_string(), doc[name].as_f64().unwrap()));
            }
        }
        // 100 + 100 + 50, the twin m000 joins the third (first with room and without m000)
        let sizes: Vec<usize> = lines
            .iter()
            .map(|l| {
                parse(l)["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                    .as_array()
                    .unwrap()
                    .len()
            })
            .collect();
        assert_eq!(sizes, vec![100, 100, 51]);
        seen.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        assert_eq!(seen.len(), 251);
        assert_eq!(seen[0], ("m000".to_string(), 0.0));
        assert_eq!(seen[1], ("m000".to_string(), 1000.0));
        assert_eq!(seen[250], ("m249".to_string(), 249.0));
    }

    #[test]
    fn emf_groups_by_namespace_dimensions_and_timestamp() {
        let mut later = value("a", 1.0);
        later.timestamp = ts() + chrono::Duration::hours(1);
        let mut other_dims = value("a", 2.0);
        other_dims.dimensions = vec![("MonitoringSchedule".into(), "sched".into())];
        let mut other_ns = value("a", 3.0);
        other_ns.namespace = namespaces::DATA_BATCH.into();
        let data = [
            value("a", 0.0),
            later,
            other_dims,
            other_ns,
            value("b", 4.0),
        ];
        let lines = emf_documents(&data).unwrap();
        assert_eq!(lines.len(), 4);
        let first = parse(&lines[0]);
        assert_eq!(first["a"], 0.0);
        assert_eq!(first["b"], 4.0);
        assert_eq!(parse(&lines[1])["_aws"]["Timestamp"], 1_704_168_000_000i64);
        assert_eq!(
            parse(&lines[2])["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            serde_json::json!([["MonitoringSchedule"]])
        );
        assert_eq!(
            parse(&lines[3])["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            namespaces::DATA_BATCH
        );
    }

    #[test]
    fn invalid_data_is_rejected_with_the_offending_value() {
        let nan = value("x", f64::NAN);
        let err = emf_documents(&[value("ok", 1.0), nan]).unwrap_err();
        assert!(err.to_string().contains("NaN"), "{err}");
        let err = validate(&value("x", 1e109)).unwrap_err();
        assert!(err.to_string().contains("2^360"), "{err}");
        assert!(validate(&value("x", -limits::MAX_MAGNITUDE)).is_ok());
        let err = validate(&value("x", 1.0).with_unit("Furlongs")).unwrap_err();
        assert!(err.to_string().contains("Furlongs"), "{err}");
        let mut dup = value("x", 1.0);
        dup.dimensions.push(("Endpoint".into(), "again".into()));
        assert!(validate(&dup).is_err());
        let mut blank = value("x", 1.0);
        blank.dimensions[0].1 = " ".into();
        assert!(validate(&blank).is_err());
        let mut bad_set = stats("x");
        bad_set.value = MetricValue::Statistics {
            sample_count: 0.0,
            sum: 0.0,
            minimum: 0.0,
            maximum: 0.0,
        };
        assert!(validate(&bad_set).is_err());
        let err = emf_documents(&[value("Endpoint", 1.0)]).unwrap_err();
        assert!(err.to_string().contains("Endpoint"), "{err}");
        assert!(emf_documents(&[value("_aws", 1.0)]).is_err());
    }

    #[tokio::test]
    async fn emf_sink_writes_one_line_per_document() {
        let sink = EmfSink::new(Vec::new());
        let data: Vec<MetricDatum> = (0..101).map(|i| value(&format!("m{i}"), 1.0)).collect();
        sink.publish(&data).await.unwrap();
        assert!(sink.publish(&[value("bad", f64::INFINITY)]).await.is_err());
        let out = String::from_utf8(sink.into_inner()).unwrap();
        assert!(out.ends_with('\n'));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines, emf_documents(&data).unwrap());
        assert_eq!(lines.len(), 2);
    }

    const GOLDEN_JSONL: &str = concat!(
        r#"{"MetricName":"feature_non_null_age","Timestamp":"2024-01-02T03:00:00Z","Dimensions":[{"Name":"Endpoint","Value":"ep"},{"Name":"MonitoringSchedule","Value":"sched"}],"Value":0.75,"namespace":"aws/sagemaker/Endpoints/data-metrics"}"#,
        "\n",
        r#"{"MetricName":"feature_data_age","Timestamp":"2024-01-02T03:00:00Z","Dimensions":[{"Name":"Endpoint","Value":"ep"},{"Name":"MonitoringSchedule","Value":"sched"}],"StatisticValues":{"SampleCount":4.0,"Sum":10.0,"Minimum":1.0,"Maximum":4.0},"namespace":"aws/sagemaker/Endpoints/data-metrics"}"#,
        "\n",
        r#"{"MetricName":"bad_records","Timestamp":"2024-01-02T03:00:00Z","Dimensions":[{"Name":"Endpoint","Value":"ep"},{"Name":"MonitoringSchedule","Value":"sched"}],"Value":2.0,"Unit":"Count","namespace":"aws/sagemaker/Endpoints/data-metrics"}"#,
        "\n",
    );

    fn file_data() -> Vec<MetricDatum> {
        vec![
            value("feature_non_null_age", 0.75),
            stats("feature_data_age"),
            value("bad_records", 2.0).with_unit("Count"),
        ]
    }

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
    fn namespace_path_is_a_safe_key() {
        assert_eq!(
            namespace_path("/aws/sagemaker/Endpoint/data-metric"),
            "aws/sagemaker/Endpoint/data-metric"
        );
        assert_eq!(namespace_path("my app/../x#y"), "my_app/__/x_y");
    }

    #[test]
    fn fnv1a64_matches_reference_vectors() {
        // FNV-1a 64 test vectors (Fowler/Noll/Vo reference): "" and "a".
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
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

    #[tokio::test]
    async fn memory_sink_collects_valid_data() {
        let sink = MemoryMetricSink::new();
        sink.publish(&file_data()).await.unwrap();
        assert!(sink.publish(&[value("x", f64::NAN)]).await.is_err());
        assert_eq!(sink.data(), file_data());
        assert_eq!(sink.take().len(), 3);
        assert!(sink.data().is_empty());
    }

    fn names_of(data: &[MetricDatum]) -> Vec<&str> {
        data.iter().map(|d| d.name.as_str()).collect()
    }

    #[test]
    fn data_quality_metrics_names_dimensions_and_values() {
        let features = [
            FeatureMetrics {
                name: "age".into(),
                emit: true,
                non_null_fraction: 0.75,
                baseline_drift: Some(0.25),
                numeric: Some((3, 90.0, 20.0, 40.0)),
            },
            FeatureMetrics {
                name: "secret".into(),
                emit: false,
                non_null_fraction: 1.0,
                baseline_drift: Some(0.5),
                numeric: Some((4, 4.0, 1.0, 1.0)),
            },
        ];
        let totals = MonitorTotals {
            records: 4,
            bad_records: 1,
            violations_by_check: BTreeMap::from([
                ("baseline_drift_check".to_string(), 1),
                ("data_type_check".to_string(), 2),
            ]),
        };
        let input = DataQualityMetricsInput {
            endpoint: "ep",
            schedule: "sched",
            timestamp: ts(),
            features: &features,
            totals: &totals,
        };
        let data = data_quality_metrics(&input);
        assert_eq!(
            names_of(&data),
            vec![
                "feature_baseline_drift_age",
                "feature_non_null_age",
                "feature_data_age",
                "constraint_violations_total",
                "constraint_violations_data_type_check",
                "constraint_violations_completeness_check",
                "constraint_violations_baseline_drift_check",
                "constraint_violations_missing_column_check",
                "constraint_violations_extra_column_check",
                "constraint_violations_categorical_values_check",
                "records_analyzed",
                "bad_records",
            ]
        );
        for d in &data {
            assert_eq!(d.namespace, namespaces::DATA_ENDPOINT);
            assert_eq!(d.timestamp, ts());
            assert_eq!(
                d.dimensions,
                vec![
                    ("Endpoint".to_string(), "ep".to_string()),
                    ("MonitoringSchedule".to_string(), "sched".to_string())
                ]
            );
            validate(d).unwrap();
        }
        let by_name: HashMap<&str, &MetricDatum> =
            data.iter().map(|d| (d.name.as_str(), d)).collect();
        assert_eq!(
            by_name["feature_baseline_drift_age"].value,
            MetricValue::Value(0.25)
        );
        assert_eq!(
            by_name["feature_non_null_age"].value,
            MetricValue::Value(0.75)
        );
        assert_eq!(
            by_name["feature_data_age"].value,
            MetricValue::Statistics {
                sample_count: 3.0,
                sum: 90.0,
                minimum: 20.0,
                maximum: 40.0
            }
        );
        assert_eq!(by_name["feature_non_null_age"].unit, None);
        assert_eq!(
            by_name["constraint_violations_total"].value,
            MetricValue::Value(3.0)
        );
        assert_eq!(
            by_name["constraint_violations_data_type_check"].value,
            MetricValue::Value(2.0)
        );
        assert_eq!(
            by_name["constraint_violations_completeness_check"].value,
            MetricValue::Value(0.0)
        );
        assert_eq!(by_name["records_analyzed"].value, MetricValue::Value(4.0));
        assert_eq!(by_name["bad_records"].unit.as_deref(), Some("Count"));
    }

    #[test]
    fn data_quality_metrics_skip_undefined_values() {
        let features = [FeatureMetrics {
            name: "s".into(),
            emit: true,
            non_null_fraction: f64::NAN,
            baseline_drift: Some(f64::INFINITY),
            numeric: Some((0, 0.0, 0.0, 0.0)),
        }];
        let totals = MonitorTotals {
            violations_by_check: BTreeMap::from([("future_check".to_string(), 5)]),
            ..MonitorTotals::default()
        };
        let data = data_quality_metrics(&DataQualityMetricsInput {
            endpoint: "ep",
            schedule: "sched",
            timestamp: ts(),
            features: &features,
            totals: &totals,
        });
        assert!(!names_of(&data).iter().any(|n| n.starts_with("feature_")));
        assert!(names_of(&data).contains(&"constraint_violations_future_check"));
        assert_eq!(data[0].value, MetricValue::Value(5.0));
        assert_eq!(data.len(), 1 + 6 + 1 + 2);
    }

    #[test]
    fn bias_metrics_follow_the_dg_names_and_cap_infinity() {
        let v = |code: &str, value: f64| BiasMetricValue {
            stage: "Post-Training",
            label: "Target".into(),
            label_value: "1".into(),
            facet: "Sex".into(),
            facet_value: "0".into(),
            code: code.into(),
            value,
        };
        let data = bias_metrics(
            "ep",
            "sched",
            ts(),
            &[v("DPPL", 0.25), v("TE", f64::INFINITY), v("FT", f64::NAN)],
        );
        assert_eq!(names_of(&data), vec!["bias_metric_DPPL", "bias_metric_TE"]);
        assert_eq!(data[1].value, MetricValue::Value(limits::MAX_MAGNITUDE));
        let dims: Vec<&str> = data[0].dimensions.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            dims,
            vec![
                "Endpoint",
                "MonitoringSchedule",
                "BiasStage",
                "Label",
                "LabelValue",
                "Facet",
                "FacetValue"
            ]
        );
        assert!(data.iter().all(|d| validate(d).is_ok()));
        assert!(data
            .iter()
            .all(|d| d.namespace == namespaces::BIAS_ENDPOINT));
    }

    #[test]
    fn explainability_metrics_per_feature_and_expected_value() {
        let data = explainability_metrics(
            "ep",
            "sched",
            ts(),
            "label0",
            &[("age".into(), 0.3), ("nan".into(), f64::NAN)],
            0.42,
        );
        assert_eq!(names_of(&data), vec!["feature_age", "ExpectedValue"]);
        assert_eq!(
            data[1].dimensions.last(),
            Some(&("ValueType".to_string(), "ExpectedValue".to_string()))
        );
        assert_eq!(
            data[0].dimensions[2],
            ("ExplainabilityMethod".to_string(), "KernelShap".to_string())
        );
        assert!(data.iter().all(|d| validate(d).is_ok()));
    }

    #[test]
    fn model_quality_metrics_use_metric_keys() {
        let data = model_quality_metrics(
            "ep",
            "sched",
            ts(),
            &[
                ("accuracy".into(), 0.9),
                ("f2".into(), f64::NAN),
                ("mse".into(), 1.5),
            ],
        );
        assert_eq!(names_of(&data), vec!["accuracy", "mse"]);
        assert!(data
            .iter()
            .all(|d| d.namespace == namespaces::MODEL_ENDPOINT && d.dimensions == dims()));
        assert_eq!(data[1].value, MetricValue::Value(1.5));
    }
}
