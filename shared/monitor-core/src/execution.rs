//! The execution record of one monitor for one window (`execution.json`, SageMaker's
//! status names and exit messages), and how every capability writes its report files and
//! publishes its window's metrics.
//!
//! Every capability's tick has the same shape,
//! `evaluate(ports: Ports<'_, S, M, F>, cfg: &MonitorConfig, window: Window)`, and the same
//! ending: [`Execution::settle`] turns its [`Stop`] (a retryable error that propagates, or the
//! reason the window failed) into the written execution.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::MonitorConfig;
use crate::error::RetryBoundary;
use crate::formats::capture::BadRecords;
use crate::layout::{report_file_key, report_prefix, EXECUTION_FILE, VIOLATIONS_FILE};
use crate::metrics::MetricSink;
use crate::store::ObjectStore;
use crate::CoreError;

/// The window `[start, end)` a monitor is evaluated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Window {
    /// first instant in the window
    pub start: DateTime<Utc>,
    /// first instant after it
    pub end: DateTime<Utc>,
}

impl Window {
    /// The window `[start, end)`.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Window {
        Window { start, end }
    }

    /// Whether `t` lies in the window.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        t >= self.start && t < self.end
    }

    /// The report folder of `cfg` for this window ([`report_prefix`]).
    pub fn report_prefix(&self, cfg: &MonitorConfig) -> String {
        if cfg.batch_transform.is_some() {
            return crate::layout::batch_report_prefix(&cfg.name, self.end, cfg.window_minutes);
        }
        report_prefix(&cfg.endpoint, &cfg.name, self.end, cfg.window_minutes)
    }
}

impl From<(DateTime<Utc>, DateTime<Utc>)> for Window {
    fn from((start, end): (DateTime<Utc>, DateTime<Utc>)) -> Window {
        Window { start, end }
    }
}

/// What evaluating a window reads and writes through: the object store, the metric sink,
/// and the models explainability monitors score with (an
/// [`InvokerFactory`](crate::attribution::InvokerFactory)).
pub struct Ports<'a, S: ?Sized, M: ?Sized, F: ?Sized> {
    /// monitors, baselines, state and reports
    pub store: &'a S,
    /// where the window's metrics go
    pub metrics: &'a M,
    /// the models of Kernel SHAP explainers
    pub invokers: &'a F,
}

impl<S: ?Sized, M: ?Sized, F: ?Sized> Clone for Ports<'_, S, M, F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: ?Sized, M: ?Sized, F: ?Sized> Copy for Ports<'_, S, M, F> {}

/// Why evaluating a window stopped before its report.
#[derive(Debug)]
pub enum Stop {
    /// an error the caller handles: retryable ones propagate (Lambda retries), the tick's
    /// boundary fails the execution for the rest
    Error(CoreError),
    /// an error failed the window: the reason becomes the execution's `failure_reason`
    Failed(String),
    /// nothing to evaluate (no data in the window): `Failed` without a failure reason
    NoData(String),
}

impl From<CoreError> for Stop {
    fn from(e: CoreError) -> Stop {
        Stop::Error(e)
    }
}

/// The one retry boundary of an evaluation step: a retryable error propagates
/// ([`Stop::Error`]), any other fails the window with the reason `why` gives it.
pub trait OrFail<T> {
    /// See the trait.
    ///
    /// # Errors
    /// [`Stop::Error`] for a retryable error, [`Stop::Failed`] for any other.
    fn or_fail(self, why: impl FnOnce(CoreError) -> String) -> Result<T, Stop>;
}

impl<T> OrFail<T> for Result<T, CoreError> {
    fn or_fail(self, why: impl FnOnce(CoreError) -> String) -> Result<T, Stop> {
        self.propagate_retryable()?
            .map_err(|e| Stop::Failed(why(e)))
    }
}

/// Terminal status of a monitoring execution (SageMaker's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExecutionStatus {
    /// no violations
    Completed,
    /// at least one violation
    CompletedWithViolations,
    /// no report: no data in the window, baseline missing, …
    Failed,
}

/// A drift figure of one feature, for summaries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeatureDrift {
    /// feature name
    pub feature: String,
    /// distance (p-value for ChiSquared); under the drift policy the raw effect
    pub distance: f64,
    /// whether baseline_drift_check fired
    pub violated: bool,
    /// under the drift policy: the test's p-value, before Benjamini–Hochberg
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_value: Option<f64>,
    /// under the drift policy: the Benjamini–Hochberg-adjusted p-value (absent when the test
    /// lacks power and left the family)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjusted_p_value: Option<f64>,
    /// under the drift policy: the floor the effect must exceed
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect_floor: Option<f64>,
    /// under the drift policy: the test used (`normalized_wasserstein+ks`, …)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// under the drift policy: `Drift`, `NoDrift` or `LacksPower`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
}

/// One execution of one monitor for one window (also written as `execution.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Execution {
    /// monitor (schedule) name
    pub monitoring_schedule_name: String,
    /// endpoint
    pub endpoint_name: String,
    /// window start (inclusive)
    pub window_start: DateTime<Utc>,
    /// window end (exclusive)
    pub window_end: DateTime<Utc>,
    /// status
    pub status: ExecutionStatus,
    /// SageMaker-style exit message
    pub exit_message: String,
    /// records analysed
    pub records: u64,
    /// bad records in the window's capture objects
    pub bad_records: u64,
    /// bad records by kind
    pub bad_records_by_kind: BTreeMap<String, u64>,
    /// shadow-variant records skipped
    pub shadow_skipped: u64,
    /// partial profiles merged
    pub partial_profiles: usize,
    /// number of violations
    pub violations: usize,
    /// violations per check type (every type listed)
    pub violations_by_check: BTreeMap<String, u64>,
    /// drift per compared feature, in baseline order
    pub drift: Vec<FeatureDrift>,
    /// where the report files are
    pub report_prefix: String,
    /// model-quality monitors: how many predictions of the window have labels
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_coverage: Option<LabelCoverage>,
    /// model-quality monitors: the window's scalar metrics (value)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub model_metrics: Vec<(String, f64)>,
    /// model-quality monitors with a CBPE baseline: the window's label-free estimates
    /// ([`crate::model_quality::cbpe`]), with the realised values once labels are joined
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_metrics: Option<crate::model_quality::cbpe::EstimatedMetrics>,
    /// why the execution failed when an error failed it (SageMaker's `FailureReason`): the
    /// key and the cause of a bad config, a missing or unreadable baseline, state file or
    /// object. Absent for a window that simply had no data. Such executions count in the
    /// `failed_executions` metric ([`crate::metrics::names::FAILED_EXECUTIONS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// data-quality monitors whose baseline has the multivariate block: the window's PCA
    /// reconstruction error against the baseline's band (issue 13 item 4)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multivariate_drift: Option<crate::data_quality::multivariate::MultivariateDrift>,
    /// model-quality monitors whose constraints carry the label-drift block: the window's
    /// class shares against the baseline's (issue 13 item 5)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_drift: Option<crate::model_quality::label_drift::LabelDrift>,
    /// data-quality monitors with `capture.output_columns`: the drift entries of the model's
    /// outputs (prediction drift, issue 13 item 5)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prediction_drift: Vec<FeatureDrift>,
}

impl Execution {
    /// A `Failed` execution of `cfg` for `window`, reported under its
    /// [`Window::report_prefix`], with nothing counted yet (the caller fills in the counts
    /// and the message).
    pub fn failed(cfg: &MonitorConfig, window: Window) -> Execution {
        let prefix = window.report_prefix(cfg);
        Execution::failed_named(&cfg.name, &cfg.endpoint, window.start, window.end, &prefix)
    }

    /// [`Execution::failed`] of a monitor known only by its name and endpoint (its
    /// configuration could not be read).
    pub fn failed_named(
        name: &str,
        endpoint: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        report_prefix: &str,
    ) -> Execution {
        Execution {
            monitoring_schedule_name: name.to_owned(),
            endpoint_name: endpoint.to_owned(),
            window_start: start,
            window_end: end,
            status: ExecutionStatus::Failed,
            exit_message: String::new(),
            records: 0,
            bad_records: 0,
            bad_records_by_kind: BTreeMap::new(),
            shadow_skipped: 0,
            partial_profiles: 0,
            violations: 0,
            violations_by_check: BTreeMap::new(),
            drift: Vec::new(),
            report_prefix: report_prefix.to_owned(),
            label_coverage: None,
            model_metrics: Vec::new(),
            estimated_metrics: None,
            failure_reason: None,
            multivariate_drift: None,
            label_drift: None,
            prediction_drift: Vec::new(),
        }
    }

    /// Marks the execution `Failed` with SageMaker's exit message for `reason`.
    pub fn fail(&mut self, reason: &str) {
        self.status = ExecutionStatus::Failed;
        self.exit_message = exit_message(ExecutionStatus::Failed, 0, reason);
    }

    /// Marks the execution `Failed` because of an error (`reason` names the key and the
    /// cause): [`Execution::fail`] plus [`Execution::failure_reason`].
    pub fn fail_on_error(&mut self, reason: &str) {
        self.fail(reason);
        self.failure_reason = Some(reason.to_owned());
    }

    /// Whether an error (not a lack of data) failed the execution.
    pub fn failed_on_error(&self) -> bool {
        self.status == ExecutionStatus::Failed && self.failure_reason.is_some()
    }

    /// Counts the bad records of the window.
    pub fn set_bad_records(&mut self, bad: &BadRecords) {
        self.bad_records = bad.total();
        self.bad_records_by_kind = bad
            .by_kind
            .iter()
            .map(|(k, v)| (k.clone(), v.count))
            .collect();
    }

    /// The end of every evaluation: `Ok(())` (the report is written) returns the execution;
    /// a [`Stop::Failed`] or [`Stop::NoData`] fails it and writes its `execution.json`; a
    /// [`Stop::Error`] propagates.
    ///
    /// # Errors
    /// The error of [`Stop::Error`], and the store's errors writing `execution.json`.
    pub async fn settle<S: ObjectStore>(
        mut self,
        store: &S,
        outcome: Result<(), Stop>,
    ) -> Result<Execution, CoreError> {
        match outcome {
            Ok(()) => return Ok(self),
            Err(Stop::Error(e)) => return Err(e),
            Err(Stop::Failed(reason)) => self.fail_on_error(&reason),
            Err(Stop::NoData(reason)) => self.fail(&reason),
        }
        write_execution(store, &self.report_prefix, &self).await?;
        Ok(self)
    }

    /// Concludes an evaluated window from the check type of each violation:
    /// `Completed` without, `CompletedWithViolations` with, and SageMaker's exit message.
    pub fn conclude<'a>(&mut self, check_types: impl IntoIterator<Item = &'a str>) {
        self.violations = 0;
        self.violations_by_check.clear();
        for c in check_types {
            self.violations += 1;
            *self.violations_by_check.entry(c.to_owned()).or_default() += 1;
        }
        self.status = if self.violations == 0 {
            ExecutionStatus::Completed
        } else {
            ExecutionStatus::CompletedWithViolations
        };
        self.exit_message = exit_message(self.status, self.violations, "");
    }
}

/// Publishes the metrics of an evaluated window of a model-quality, bias or attribution
/// monitor with its totals (`constraint_violations_total`, `records_analyzed`) in
/// `namespace`, when the monitor publishes metrics.
pub(crate) async fn publish_window<M: MetricSink>(
    metrics: &M,
    cfg: &MonitorConfig,
    namespace: &str,
    start: DateTime<Utc>,
    exec: &Execution,
    mut data: Vec<crate::metrics::MetricDatum>,
) -> Result<(), CoreError> {
    if !cfg.publish_metrics {
        return Ok(());
    }
    data.extend(crate::metrics::builders::monitor_totals(
        namespace,
        &cfg.endpoint,
        &cfg.name,
        start,
        exec.violations as u64,
        exec.records,
    ));
    metrics.publish(&crate::metrics::sanitize(data).data).await
}

/// The files of one execution under `prefix`, as `(key, bytes)`: the window's own report
/// (`statistics.json` or `analysis.json`, with its text) and `constraint_violations.json`
/// when it was evaluated, and `execution.json`.
///
/// # Errors
/// [`CoreError::State`] if the execution cannot be encoded.
pub fn report_files(
    prefix: &str,
    report: Option<((&str, String), String)>,
    exec: &Execution,
) -> Result<Vec<(String, Vec<u8>)>, CoreError> {
    let mut files = Vec::new();
    if let Some(((name, report), violations)) = report {
        files.push((report_file_key(prefix, name), report.into_bytes()));
        files.push((
            report_file_key(prefix, VIOLATIONS_FILE),
            violations.into_bytes(),
        ));
    }
    let key = report_file_key(prefix, EXECUTION_FILE);
    let body = serde_json::to_vec_pretty(exec).map_err(|e| CoreError::State {
        key: key.clone(),
        message: e.to_string(),
    })?;
    files.push((key, body));
    Ok(files)
}

/// Writes the report of an evaluated window under `prefix`: the window's own file
/// (`statistics.json` or `analysis.json`, with its text), `constraint_violations.json` and
/// `execution.json`.
pub(crate) async fn write_report<S: ObjectStore>(
    store: &S,
    prefix: &str,
    report: (&str, String),
    violations: String,
    exec: &Execution,
) -> Result<(), CoreError> {
    write_files(
        store,
        &report_files(prefix, Some((report, violations)), exec)?,
    )
    .await
}

/// Label coverage of a model-quality window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelCoverage {
    /// predictions captured in the window
    pub predictions: u64,
    /// of those, joined to a label
    pub matched: u64,
    /// labels collected in the window still waiting for their prediction
    pub pending_labels: u64,
    /// labels collected in the window whose look-back passed with no prediction
    pub expired_labels: u64,
}

/// SageMaker's exit message for a status.
pub fn exit_message(status: ExecutionStatus, violations: usize, reason: &str) -> String {
    match status {
        ExecutionStatus::Completed => {
            "Completed: Job completed successfully with no violations.".into()
        }
        ExecutionStatus::CompletedWithViolations => format!(
            "CompletedWithViolations: Job completed successfully with {violations} violations."
        ),
        ExecutionStatus::Failed => format!("Failed: {reason}"),
    }
}

async fn write_files<S: ObjectStore>(
    store: &S,
    files: &[(String, Vec<u8>)],
) -> Result<(), CoreError> {
    for (k, v) in files {
        store.put(k, v.clone()).await?;
    }
    Ok(())
}

/// Writes `exec` as the `execution.json` of the report folder `prefix`.
pub(crate) async fn write_execution<S: ObjectStore>(
    store: &S,
    prefix: &str,
    exec: &Execution,
) -> Result<(), CoreError> {
    write_files(store, &report_files(prefix, None, exec)?).await
}
