//! Multi-model endpoints (issue 15, item 5): when a data-quality or model-quality monitor's
//! config carries a `multi_model` block, each capture record is attributed to its target
//! model, and state, reports and metrics are kept per model beside the monitor's own
//! (overall) ones. This page describes data quality; model quality ([`quality`]) keeps its
//! per-model joined state in the label-object states and checks each model's metrics against
//! `{baseline_prefix}/models/{model}/constraints.json` (else the monitor's), with the same
//! layout, cap and `multi_model.json`.
//!
//! - **What SageMaker writes**: nothing about the target model. A capture record's
//!   `eventMetadata` holds `eventId`, `inferenceId`, `inferenceTime` and, when present,
//!   `customAttributes` and `invocationSource` (the Developer Guide's data-capture pages; the
//!   SageMaker Python SDK's capture fixtures); Model Monitor itself does not support
//!   multi-model endpoints. So the model comes from, first to answer
//!   ([`attribute::Attributor`]): `eventMetadata.targetModel` (accepted if a capture ever
//!   carries it), the request (`request_field`: a JSON pointer into the decoded
//!   `endpointInput`, or a CSV column index), or the capture object's key (`key_pattern`, a
//!   regular expression with one capture group).
//! - **Unattributed records** go to the model [`UNATTRIBUTED`], which is judged against the
//!   monitor's baseline and reported like a model: its count is a metric one can alarm on,
//!   and its distribution shows what the unattributed traffic is. They stay in the overall
//!   report too, as every record does.
//! - **State** ([`ingest::ModelProfiler`]): one partial profile per model per capture
//!   object, `state/models/{monitor}/yyyy/mm/dd/HH/{model}/{variant}/{file}.json`, the same
//!   format as the overall one; every model is profiled with the monitor's baseline features.
//! - **Baselines**: `{baseline_prefix}/models/{model}/statistics.json` and
//!   `constraints.json` when both exist (same features as the monitor's), else the monitor's.
//! - **Reports**: `reports/{endpoint}/{monitor}/model={model}/yyyy/mm/dd/HH/statistics.json`
//!   and `constraint_violations.json`; the window's `multi_model.json` beside the overall
//!   report lists every model with its status. A model without records in the window is not
//!   listed.
//! - **Metrics**: the data-quality totals per model with a `TargetModel` dimension (the
//!   per-feature metrics too with `feature_metrics: true`), and the window's model counts.
//! - **The cap** (`max_models`, default 100): per capture object (memory and writes) and per
//!   window (reports and metrics); records past it are counted, named in
//!   `multi_model.json`'s `over_cap_error`, and stay in the overall report.

pub mod attribute;
pub mod config;
pub mod ingest;
pub mod quality;
pub mod tick;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use config::{MultiModelConfigError, MultiModelSettings, MULTI_MODEL_KEYS};

use crate::capability::Capability;
use crate::config::MonitorConfig;
use crate::data_quality::consume::load_baseline;
use crate::data_quality::tick::WindowState;
use crate::execution::{Execution, ExecutionStatus, Ports, Stop, Window};
use crate::layout::report_file_key;
use crate::metrics::builders::endpoint_dimensions;
use crate::metrics::{namespaces, MetricDatum, MetricSink, MetricValue};
use crate::store::ObjectStore;
use crate::CoreError;

/// A model's report prefix for `window` and its two report files there, SageMaker's
/// `statistics.json` and `constraint_violations.json` (data or model quality alike).
pub(crate) fn model_report_files(
    cfg: &MonitorConfig,
    model: &str,
    window: Window,
    statistics: String,
    violations: String,
) -> (String, Vec<(String, Vec<u8>)>) {
    let prefix = crate::layout::model_report_prefix(
        &cfg.endpoint,
        &cfg.name,
        model,
        window.end,
        cfg.window_minutes,
    );
    let files = vec![
        (
            report_file_key(&prefix, crate::layout::STATISTICS_FILE),
            statistics.into_bytes(),
        ),
        (
            report_file_key(&prefix, crate::layout::VIOLATIONS_FILE),
            violations.into_bytes(),
        ),
    ];
    (prefix, files)
}

/// `data` with the [`TARGET_MODEL_DIMENSION`] of `model` added to every datum.
pub(crate) fn with_model_dimension(
    model: &str,
    data: impl IntoIterator<Item = MetricDatum>,
) -> Vec<MetricDatum> {
    data.into_iter()
        .map(|mut d| {
            d.dimensions
                .push((TARGET_MODEL_DIMENSION.into(), model.into()));
            d
        })
        .collect()
}

/// The model of records whose target model could not be determined.
pub const UNATTRIBUTED: &str = "__unattributed__";
/// The state of records past the per-object cap (counted, never judged as a model).
pub const OVER_CAP: &str = "__over_cap__";
/// The metric dimension naming the target model a datum describes.
pub const TARGET_MODEL_DIMENSION: &str = "TargetModel";
/// `multi_model.json`: a window's models, beside the monitor's report.
pub const MULTI_MODEL_FILE: &str = "multi_model.json";
/// The `format` tag of [`MultiModelSummary`].
pub const MULTI_MODEL_FORMAT: &str = "modelwatch.multi-model";
/// The layout version of [`MultiModelSummary`].
pub const MULTI_MODEL_VERSION: u32 = 1;
/// Names of models over the cap listed in [`MultiModelSummary::over_cap_models`].
pub const OVER_CAP_NAMES_LISTED: usize = 20;

/// A window's records past the model cap.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the window has more target models than multi_model.max_models = {max_models}: {models} models \
     past the cap and {records} records not reported per model (they are in the monitor's overall \
     report); raise multi_model.max_models to report them"
)]
pub struct OverCapError {
    /// the cap
    pub max_models: usize,
    /// models of the window past it
    pub models: usize,
    /// their records (with those ingest put past its per-object cap)
    pub records: u64,
}

/// One model's entry in `multi_model.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelReport {
    /// the target model ([`UNATTRIBUTED`] for records of none)
    pub model: String,
    /// `Completed`, `CompletedWithViolations` or `Failed`
    pub status: ExecutionStatus,
    /// records of the model in the window
    pub records: u64,
    /// bad records among its lines
    pub bad_records: u64,
    /// violations of its report
    pub violations: usize,
    /// violations by check
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub violations_by_check: BTreeMap<String, u64>,
    /// the baseline prefix it was judged against (its own or the monitor's)
    pub baseline_prefix: String,
    /// its report folder, when it has one
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_prefix: Option<String>,
    /// why it was not judged
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

impl ModelReport {
    /// The entry of a judged model: its report prefix, its violation count and the status
    /// that follows from it (`Completed` without violations, else `CompletedWithViolations`).
    pub(crate) fn judged(&mut self, prefix: String, violations: usize) {
        self.violations = violations;
        self.status = if violations == 0 {
            ExecutionStatus::Completed
        } else {
            ExecutionStatus::CompletedWithViolations
        };
        self.report_prefix = Some(prefix);
    }

    /// A `Failed` entry of `model` with its counts from `state`.
    #[must_use]
    pub fn new(model: &str, state: &WindowState, baseline_prefix: &str) -> Self {
        Self::failed(
            model,
            state.profile.item_count,
            state.bad_records.total(),
            baseline_prefix,
        )
    }

    /// A `Failed` entry of `model` with `records` and `bad_records`.
    #[must_use]
    pub fn failed(model: &str, records: u64, bad_records: u64, baseline_prefix: &str) -> Self {
        Self {
            model: model.into(),
            status: ExecutionStatus::Failed,
            records,
            bad_records,
            violations: 0,
            violations_by_check: BTreeMap::new(),
            baseline_prefix: baseline_prefix.into(),
            report_prefix: None,
            failure_reason: None,
        }
    }
}

/// `multi_model.json`: one window's target models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiModelSummary {
    /// always [`MULTI_MODEL_FORMAT`]
    pub format: String,
    /// [`MULTI_MODEL_VERSION`]
    pub version: u32,
    /// the monitor
    pub monitor: String,
    /// its endpoint
    pub endpoint: String,
    /// first instant of the window
    pub window_start: DateTime<Utc>,
    /// first instant after it
    pub window_end: DateTime<Utc>,
    /// the cap on models per window
    pub max_models: usize,
    /// records of no known model (reported as the model [`UNATTRIBUTED`])
    pub unattributed_records: u64,
    /// models past the cap
    pub models_over_cap: u64,
    /// records past the cap
    pub records_over_cap: u64,
    /// the first [`OVER_CAP_NAMES_LISTED`] models past the cap, by name
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub over_cap_models: Vec<String>,
    /// the cap's error message ([`OverCapError`]) when records are past it
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over_cap_error: Option<String>,
    /// every model judged, by name ([`UNATTRIBUTED`] last)
    pub models: Vec<ModelReport>,
}

impl MultiModelSummary {
    /// The file's bytes (pretty JSON).
    ///
    /// # Errors
    /// [`CoreError::State`] if serialising fails.
    pub fn to_json(&self) -> Result<Vec<u8>, CoreError> {
        crate::formats::versioned::to_json(MULTI_MODEL_FILE, self)
    }

    /// Parses the file.
    ///
    /// # Errors
    /// [`CoreError::State`] naming `key` for malformed JSON or another format or version.
    pub fn from_json(key: &str, bytes: &[u8]) -> Result<Self, CoreError> {
        crate::formats::versioned::from_json(
            key,
            bytes,
            |f: &Self| (f.format.as_str(), f.version),
            MULTI_MODEL_FORMAT,
            MULTI_MODEL_VERSION,
        )
    }

    /// The window's own metrics: models judged, unattributed records, models and records
    /// past the cap (dimensions `Endpoint`, `MonitoringSchedule`), in the data-metrics
    /// namespace.
    #[must_use]
    pub fn metrics(&self) -> Vec<MetricDatum> {
        self.metrics_in(namespaces::DATA_ENDPOINT)
    }

    /// [`Self::metrics`] in `namespace` (a model-quality monitor's: the model-metrics one).
    #[must_use]
    pub fn metrics_in(&self, namespace: &'static str) -> Vec<MetricDatum> {
        let judged = self
            .models
            .iter()
            .filter(|m| m.model != UNATTRIBUTED)
            .count();
        [
            ("multi_model_models", judged as f64),
            (
                "multi_model_unattributed_records",
                self.unattributed_records as f64,
            ),
            ("multi_model_models_over_cap", self.models_over_cap as f64),
            ("multi_model_records_over_cap", self.records_over_cap as f64),
        ]
        .into_iter()
        .map(|(name, v)| {
            MetricDatum::new(
                namespace,
                name,
                self.window_start,
                endpoint_dimensions(&self.endpoint, &self.monitor),
                MetricValue::Value(v),
            )
        })
        .collect()
    }
}

/// Judges `cfg`'s `window` per target model after its overall report was written (`exec`,
/// whose folder receives [`MULTI_MODEL_FILE`]): each model's report files, `multi_model.json`
/// and the metrics. Does nothing without a `multi_model` block or for capabilities other than
/// data quality (model quality's models are judged by its tick: [`quality::evaluate`]).
///
/// # Errors
/// [`Stop::Error`] for the store's and the metric sink's errors; [`Stop::Failed`] for an
/// unreadable state file. A model whose own baseline is unusable is `Failed` in the summary,
/// never failing the window.
pub async fn evaluate<S, M, F>(
    capability: Capability,
    Ports { store, metrics, .. }: Ports<'_, S, M, F>,
    cfg: &MonitorConfig,
    window: Window,
    exec: &Execution,
) -> Result<(), Stop>
where
    S: ObjectStore,
    M: MetricSink,
    F: ?Sized,
{
    let Some(settings) = &cfg.multi_model else {
        return Ok(());
    };
    let (summary, data) = match capability {
        Capability::DataQuality => judge_data_window(store, cfg, settings, window).await?,
        // judged by the model-quality tick in its own scan of the window (quality::evaluate)
        Capability::ModelQuality | Capability::Bias | Capability::Attribution => return Ok(()),
    };
    write_summary((store, metrics), cfg, exec, &summary, data).await
}

/// Writes a window's `multi_model.json` into `exec`'s folder, logs the window's models
/// (the cap's error at WARN) and publishes `data`.
///
/// # Errors
/// [`Stop::Error`] for the store's and the metric sink's errors.
pub async fn write_summary<S: ObjectStore, M: MetricSink>(
    (store, metrics): (&S, &M),
    cfg: &MonitorConfig,
    exec: &Execution,
    summary: &MultiModelSummary,
    data: Vec<MetricDatum>,
) -> Result<(), Stop> {
    if let Some(e) = &summary.over_cap_error {
        tracing::warn!(monitor = %cfg.name, error = %e, "target models over the cap");
    }
    let key = report_file_key(&exec.report_prefix, MULTI_MODEL_FILE);
    store.put(&key, summary.to_json()?).await?;
    tracing::info!(
        monitor = %cfg.name,
        models = summary.models.len(),
        violating = summary.models.iter().filter(|m| m.violations > 0).count(),
        unattributed = summary.unattributed_records,
        over_cap = summary.records_over_cap,
        key = %key,
        "target models evaluated"
    );
    if cfg.publish_metrics {
        metrics
            .publish(&crate::metrics::sanitize(data).data)
            .await?;
    }
    Ok(())
}

/// Judges data-quality monitor `cfg`'s `window` per target model: writes each model's
/// report files and returns `multi_model.json`'s content and the metrics.
///
/// # Errors
/// As [`evaluate`].
async fn judge_data_window<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    settings: &MultiModelSettings,
    window: Window,
) -> Result<(MultiModelSummary, Vec<MetricDatum>), Stop> {
    use crate::execution::OrFail;
    let default = load_baseline(store, cfg)
        .await
        .or_fail(|e| format!("Baseline missing or unreadable: {e}"))?;
    let models = tick::merge_models(store, cfg, &default, window)
        .await
        .or_fail(|e| format!("Unreadable per-model state: {e}"))?;
    let selection = tick::select(models, settings.max_models);
    let mut summary = tick::summary_of(cfg, window, &selection);
    let mut data = Vec::new();
    for (model, state) in &selection.judged {
        let (own, prefix) = match tick::model_baseline(store, cfg, &default, model).await {
            Ok(b) => b,
            Err(e) if e.is_retryable() => return Err(Stop::Error(e)),
            Err(e) => {
                let mut r = ModelReport::new(model, state, &cfg.baseline_prefix);
                r.failure_reason = Some(format!("Model baseline unusable: {e}"));
                summary.models.push(r);
                continue;
            }
        };
        let judged = tick::judge(
            cfg,
            window,
            model,
            state,
            own.as_ref().unwrap_or(&default),
            &prefix,
        );
        for (key, bytes) in judged.files {
            store.put(&key, bytes).await?;
        }
        data.extend(judged.metrics);
        summary.models.push(judged.report);
    }
    data.extend(summary.metrics());
    Ok((summary, data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{model_from_segment, model_profile_key, model_segment, parse_capture_key};

    /// A `TargetModel` is a relative path (`tenant/a.tar.gz`): one key segment, reversibly.
    #[test]
    fn a_model_name_is_one_reversible_key_segment() {
        for (model, segment) in [
            ("m-a", "m-a"),
            ("tenant/a b.tar.gz", "tenant%2Fa%20b.tar.gz"),
            ("x=y", "x%3Dy"),
        ] {
            assert_eq!(model_segment(model), segment);
            assert_eq!(model_from_segment(segment).as_deref(), Some(model));
        }
        let ck = parse_capture_key(
            "data-capture/ep/AllTraffic/2026/11/01/03/00-00-000-x.jsonl",
            "data-capture/",
        )
        .unwrap();
        assert_eq!(
            model_profile_key("m", &ck, "tenant/a.tar.gz"),
            "state/models/m/2026/11/01/03/tenant%2Fa.tar.gz/AllTraffic/00-00-000-x.json"
        );
    }

    #[test]
    fn the_summary_round_trips_and_names_another_version() {
        let t = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let cfg = MonitorConfig::new("m", crate::config::MonitorKind::DataQuality, "e", "b");
        let mut s = tick::summary_of(
            &cfg,
            Window::new(t, t),
            &tick::Selection::<WindowState>::default(),
        );
        assert_eq!(s.over_cap_error, None);
        let bytes = s.to_json().unwrap();
        assert_eq!(MultiModelSummary::from_json("k", &bytes).unwrap(), s);
        s.version = 2;
        let e = MultiModelSummary::from_json("k", &s.to_json().unwrap()).unwrap_err();
        assert!(e.to_string().contains("version 2"), "{e}");
    }
}
