//! The metrics port ([`MetricSink`]), its local adapters and the pure builders of the
//! metrics SageMaker Model Monitor publishes (spec §7).
//!
//! A [`MetricDatum`] is one CloudWatch datum: a single value or a statistic set
//! (`SampleCount`, `Sum`, `Minimum`, `Maximum`), as `PutMetricData` takes it. The adapters:
//!
//! | adapter | where the data goes | statistic sets |
//! | --- | --- | --- |
//! | [`EmfSink`] / [`EmfStdoutSink`] | CloudWatch Embedded Metric Format lines on a writer (stdout on Lambda: CloudWatch Logs extracts the metrics, no API call) | published as their **mean** (see below) |
//! | [`FileMetricSink`] | JSON Lines in SageMaker's BYOC metrics-file format (spec §7.2) in an [`ObjectStore`](crate::store::ObjectStore) | kept exactly |
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

use std::future::Future;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
    /// modelwatch's own health metrics (`failed_executions`), whatever the monitor kind:
    /// SageMaker has no such metric, and one namespace lets one stack-wide alarm watch every
    /// monitor.
    pub const MODELWATCH: &str = "modelwatch";
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
    /// the deploying stack of modelwatch's own health metrics (`failed_executions`), so each
    /// stack's alarm sees only its own monitors (modelwatch addition)
    pub const STACK: &str = "Stack";
}

/// Metric names published by [`data_quality_metrics`](crate::data_quality::metrics::data_quality_metrics).
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
    /// Executions an error failed (bad config, missing or unreadable baseline, state file
    /// or object), in [`super::namespaces::MODELWATCH`] (modelwatch addition).
    pub const FAILED_EXECUTIONS: &str = "failed_executions";
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

/// Unit given to the count metrics of [`data_quality_metrics`](crate::data_quality::metrics::data_quality_metrics).
pub const UNIT_COUNT: &str = "Count";

/// Capability: publish metric data.
///
/// Adapters validate every datum ([`validate`]) before publishing any, so a call either
/// publishes all of `data` or returns the first offending datum's error.
pub trait MetricSink: Send + Sync {
    /// Publishes `data` (any mix of namespaces, dimensions and timestamps).
    fn publish(&self, data: &[MetricDatum]) -> impl Future<Output = Result<(), CoreError>> + Send;
}

pub mod builders;
mod emf;
mod file;
mod memory;
#[cfg(test)]
pub(crate) mod test_support;
mod validate;

pub use emf::{emf_documents, EmfSink, EmfStdoutSink, EMF_STATISTIC_VALUES_MEMBER};
pub use file::{byoc_jsonl, byoc_object, parse_byoc_jsonl, FileMetricSink, BYOC_NAMESPACE_KEY};
pub use memory::MemoryMetricSink;
pub use validate::{sanitize, validate, Sanitized};
