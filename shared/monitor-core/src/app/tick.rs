//! Monitor tick: for each monitor, merge the window's partial profiles, run the
//! data-quality checks, write SageMaker's report files and publish metrics.
//!
//! A window is `[start, end)`: by default the previous whole window of the monitor's length
//! before the tick time (for hourly monitors, the previous whole hour). The report goes to
//! `reports/{endpoint}/{monitor}/yyyy/mm/dd/HH/` where `HH` is the hour the window ends, as
//! SageMaker does. Every file is a function of the stored state only, so re-running a tick
//! for the same window writes identical bytes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::app::ingest::{hour_floor, load_baseline, BadRecords, PartialProfile};
use crate::checks::{check_data_quality, Baseline, CheckReport};
use crate::explain::{InvokerFactory, LocalModels};
use crate::formats::statistics::Statistics;
use crate::layout::{profile_hour_prefix, report_prefix, window_before};
use crate::metrics::{
    data_quality_metrics, DataQualityMetricsInput, FeatureMetrics, MetricSink, MonitorTotals,
};
use crate::monitor::{load_monitors, MonitorConfig, MonitorKind};
use crate::profile::DatasetProfile;
use crate::store::ObjectStore;
use crate::CoreError;

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureDrift {
    /// feature name
    pub feature: String,
    /// distance (p-value for ChiSquared)
    pub distance: f64,
    /// whether baseline_drift_check fired
    pub violated: bool,
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
}

impl Execution {
    /// A `Failed` execution of `cfg` for `[start, end)` with nothing counted yet (the
    /// caller fills in the counts and the message).
    pub fn failed(
        cfg: &MonitorConfig,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        report_prefix: &str,
    ) -> Execution {
        Execution {
            monitoring_schedule_name: cfg.name.clone(),
            endpoint_name: cfg.endpoint.clone(),
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
        }
    }

    /// Marks the execution `Failed` with SageMaker's exit message for `reason`.
    pub fn fail(&mut self, reason: &str) {
        self.status = ExecutionStatus::Failed;
        self.exit_message = exit_message(ExecutionStatus::Failed, 0, reason);
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
    data.extend(crate::metrics::monitor_totals(
        namespace,
        &cfg.endpoint,
        &cfg.name,
        start,
        exec.violations as u64,
        exec.records,
    ));
    metrics.publish(&data).await
}

/// Writes the report of an evaluated window under `prefix`: the window's own file
/// (`statistics.json` or `analysis.json`, with its text), `constraint_violations.json` and
/// `execution.json`.
pub(crate) async fn write_report<S: ObjectStore>(
    store: &S,
    prefix: &str,
    (name, report): (&str, String),
    violations: String,
    exec: &Execution,
) -> Result<(), CoreError> {
    let mut all = vec![
        (format!("{prefix}{name}"), report.into_bytes()),
        (
            format!("{prefix}constraint_violations.json"),
            violations.into_bytes(),
        ),
    ];
    let body = serde_json::to_vec_pretty(exec).map_err(|e| CoreError::State {
        key: format!("{prefix}execution.json"),
        message: e.to_string(),
    })?;
    all.push((format!("{prefix}execution.json"), body));
    write_files(store, &all).await
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

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TickSummary {
    /// one per monitor evaluated
    pub executions: Vec<Execution>,
}

/// A tick request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TickRequest {
    /// the schedule time (the event's `time`)
    pub now: DateTime<Utc>,
    /// only this monitor (default: all)
    pub monitor: Option<String>,
    /// evaluate the window ending here instead of the one before `now` (backfills)
    pub window_end: Option<DateTime<Utc>>,
}

/// The merged state of a window.
#[derive(Debug, Clone)]
pub struct WindowState {
    /// merged data profile
    pub profile: DatasetProfile,
    /// merged bad records
    pub bad_records: BadRecords,
    /// shadow records skipped
    pub shadow_skipped: u64,
    /// partial profiles that contributed
    pub partial_profiles: usize,
}

/// An empty window state over the baseline's features.
pub fn empty_window(baseline: &Baseline) -> WindowState {
    WindowState {
        profile: baseline.empty_profile(),
        bad_records: BadRecords::default(),
        shadow_skipped: 0,
        partial_profiles: 0,
    }
}

/// Adds the minutes of `partial` that fall in `[start, end)` to `state`.
pub fn merge_partial(
    state: &mut WindowState,
    partial: &PartialProfile,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) {
    let mut used = false;
    for m in &partial.minutes {
        if m.minute >= start && m.minute < end {
            state.profile.merge(&m.profile);
            state.bad_records.merge(&m.bad_records);
            state.shadow_skipped += m.shadow_skipped;
            used = true;
        }
    }
    state.partial_profiles += usize::from(used);
}

/// Merges every partial profile of `cfg` with minutes in `[start, end)`, in key order.
pub async fn merge_window<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    baseline: &Baseline,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<WindowState, CoreError> {
    let mut state = empty_window(baseline);
    // Records near an hour boundary can sit in the neighbouring hour's capture folder.
    let mut hour = hour_floor(start) - chrono::Duration::hours(1);
    let last = hour_floor(end - chrono::Duration::seconds(1)) + chrono::Duration::hours(1);
    while hour <= last {
        for key in store.list(&profile_hour_prefix(&cfg.name, hour)).await? {
            let bytes = store.get(&key).await?;
            let partial = PartialProfile::from_json(&key, &bytes)?;
            merge_partial(&mut state, &partial, start, end);
        }
        hour += chrono::Duration::hours(1);
    }
    Ok(state)
}

/// The report of a window: statistics.json content and the checks' outcome.
pub fn evaluate(baseline: &Baseline, window: &DatasetProfile) -> (Statistics, CheckReport) {
    (window.to_statistics(), check_data_quality(baseline, window))
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

/// Files of one execution, as `(key, bytes)`.
pub fn report_files(
    prefix: &str,
    statistics: Option<&Statistics>,
    report: Option<&CheckReport>,
    execution: &Execution,
) -> Result<Vec<(String, Vec<u8>)>, CoreError> {
    let mut files = Vec::new();
    if let Some(s) = statistics {
        files.push((format!("{prefix}statistics.json"), s.to_json().into_bytes()));
    }
    if let Some(r) = report {
        files.push((
            format!("{prefix}constraint_violations.json"),
            r.violations.to_json().into_bytes(),
        ));
    }
    let exec = serde_json::to_vec_pretty(execution).map_err(|e| CoreError::State {
        key: format!("{prefix}execution.json"),
        message: e.to_string(),
    })?;
    files.push((format!("{prefix}execution.json"), exec));
    Ok(files)
}

/// Builds the execution record of an evaluated window.
pub fn execution_of(
    cfg: &MonitorConfig,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    state: &WindowState,
    report: Option<&CheckReport>,
    failure: Option<&str>,
) -> Execution {
    let violations = report.map_or(0, |r| r.violations.violations.len());
    let status = match (failure, violations) {
        (Some(_), _) => ExecutionStatus::Failed,
        (None, 0) => ExecutionStatus::Completed,
        (None, _) => ExecutionStatus::CompletedWithViolations,
    };
    let drift = report
        .map(|r| {
            r.features
                .iter()
                .filter_map(|f| {
                    f.drift.map(|d| FeatureDrift {
                        feature: f.name.clone(),
                        distance: d,
                        violated: r.violations.violations.iter().any(|v| {
                            v.feature_name == f.name
                                && v.constraint_check_type
                                    == crate::formats::violations::CheckType::BaselineDriftCheck
                        }),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Execution {
        monitoring_schedule_name: cfg.name.clone(),
        endpoint_name: cfg.endpoint.clone(),
        window_start: start,
        window_end: end,
        status,
        exit_message: exit_message(status, violations, failure.unwrap_or("")),
        records: state.profile.item_count,
        bad_records: state.bad_records.total(),
        bad_records_by_kind: state
            .bad_records
            .by_kind
            .iter()
            .map(|(k, v)| (k.clone(), v.count))
            .collect(),
        shadow_skipped: state.shadow_skipped,
        partial_profiles: state.partial_profiles,
        violations,
        violations_by_check: report.map(|r| r.counts_by_check()).unwrap_or_default(),
        drift,
        report_prefix: report_prefix(&cfg.endpoint, &cfg.name, end, cfg.window_minutes),
        label_coverage: None,
        model_metrics: Vec::new(),
    }
}

/// The metrics of an evaluated window (SageMaker names, namespace and dimensions).
pub fn window_metrics(
    cfg: &MonitorConfig,
    start: DateTime<Utc>,
    state: &WindowState,
    report: &CheckReport,
) -> Vec<crate::metrics::MetricDatum> {
    let features: Vec<FeatureMetrics> = report
        .features
        .iter()
        .map(|f| FeatureMetrics {
            name: f.name.clone(),
            emit: f.emit_metrics,
            non_null_fraction: f.completeness,
            baseline_drift: f.drift,
            numeric: f.numeric,
        })
        .collect();
    let totals = MonitorTotals {
        records: state.profile.item_count,
        bad_records: state.bad_records.total(),
        violations_by_check: report.counts_by_check(),
    };
    data_quality_metrics(&DataQualityMetricsInput {
        endpoint: &cfg.endpoint,
        schedule: &cfg.name,
        timestamp: start,
        features: &features,
        totals: &totals,
    })
}

/// Evaluates one monitor for one window and writes its files; returns the execution.
/// Kernel SHAP models of explainability monitors are local models ([`LocalModels`]).
pub async fn run_monitor<S: ObjectStore, M: MetricSink>(
    store: &S,
    metrics: &M,
    cfg: &MonitorConfig,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Execution, CoreError> {
    run_monitor_with(store, metrics, &LocalModels, cfg, start, end).await
}

/// [`run_monitor`] with the models of explainability monitors served by `invokers`.
pub async fn run_monitor_with<S, M, F>(
    store: &S,
    metrics: &M,
    invokers: &F,
    cfg: &MonitorConfig,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Execution, CoreError>
where
    S: ObjectStore,
    M: MetricSink,
    F: InvokerFactory + ?Sized,
{
    match cfg.kind {
        MonitorKind::ModelQuality => {
            return crate::app::tick_quality::run_model_quality(store, metrics, cfg, start, end)
                .await
        }
        MonitorKind::ModelBias => {
            return crate::app::tick_bias::run_bias(store, metrics, cfg, start, end).await
        }
        MonitorKind::ModelExplainability => {
            return crate::app::tick_explain::run_explainability(
                store, metrics, invokers, cfg, start, end,
            )
            .await
        }
        MonitorKind::DataQuality => {}
    }
    let prefix = report_prefix(&cfg.endpoint, &cfg.name, end, cfg.window_minutes);
    let empty_state = |profile| WindowState {
        profile,
        bad_records: BadRecords::default(),
        shadow_skipped: 0,
        partial_profiles: 0,
    };
    let baseline = match load_baseline(store, cfg).await {
        Ok(b) => b,
        Err(e @ (CoreError::Io { .. } | CoreError::Transient { .. })) => return Err(e),
        Err(e) => {
            let exec = execution_of(
                cfg,
                start,
                end,
                &empty_state(DatasetProfile::new(&[], |_| crate::profile::Tracking::ALL)),
                None,
                Some(&format!("Baseline missing or unreadable: {e}")),
            );
            write_files(store, &report_files(&prefix, None, None, &exec)?).await?;
            return Ok(exec);
        }
    };
    let state = match merge_window(store, cfg, &baseline, start, end).await {
        Ok(s) => s,
        Err(e @ (CoreError::Io { .. } | CoreError::Transient { .. })) => return Err(e),
        Err(e) => {
            let exec = execution_of(
                cfg,
                start,
                end,
                &empty_state(baseline.empty_profile()),
                None,
                Some(&format!("Unreadable state: {e}")),
            );
            write_files(store, &report_files(&prefix, None, None, &exec)?).await?;
            return Ok(exec);
        }
    };
    if state.profile.item_count == 0 {
        let reason = format!(
            "No captured data in the window {} to {} ({} bad records).",
            start.format("%Y-%m-%dT%H:%M:%SZ"),
            end.format("%Y-%m-%dT%H:%M:%SZ"),
            state.bad_records.total()
        );
        let exec = execution_of(cfg, start, end, &state, None, Some(&reason));
        write_files(store, &report_files(&prefix, None, None, &exec)?).await?;
        return Ok(exec);
    }
    let (statistics, report) = evaluate(&baseline, &state.profile);
    let exec = execution_of(cfg, start, end, &state, Some(&report), None);
    write_files(
        store,
        &report_files(&prefix, Some(&statistics), Some(&report), &exec)?,
    )
    .await?;
    if cfg.publish_metrics {
        metrics
            .publish(&window_metrics(cfg, start, &state, &report))
            .await?;
    }
    Ok(exec)
}

pub(crate) async fn write_files<S: ObjectStore>(
    store: &S,
    files: &[(String, Vec<u8>)],
) -> Result<(), CoreError> {
    for (k, v) in files {
        store.put(k, v.clone()).await?;
    }
    Ok(())
}

/// Runs every monitor (or the one requested) for its window (local models only; see
/// [`run_with`]).
pub async fn run<S: ObjectStore, M: MetricSink>(
    store: &S,
    metrics: &M,
    req: &TickRequest,
) -> Result<TickSummary, CoreError> {
    run_with(store, metrics, &LocalModels, req).await
}

/// Runs every monitor (or the one requested) for its window; explainability monitors reach
/// their models through `invokers`.
pub async fn run_with<S, M, F>(
    store: &S,
    metrics: &M,
    invokers: &F,
    req: &TickRequest,
) -> Result<TickSummary, CoreError>
where
    S: ObjectStore,
    M: MetricSink,
    F: InvokerFactory + ?Sized,
{
    let monitors = load_monitors(store).await?;
    let mut summary = TickSummary::default();
    for cfg in monitors
        .iter()
        .filter(|m| req.monitor.as_deref().is_none_or(|n| n == m.name))
    {
        // Model-quality and bias windows may trail the tick (late labels: SageMaker's
        // EndTimeOffset).
        let offset = chrono::Duration::minutes(i64::from(cfg.offset_minutes()));
        let (start, end) = match req.window_end {
            Some(end) => (
                end - chrono::Duration::minutes(i64::from(cfg.window_minutes)),
                end,
            ),
            None => window_before(req.now - offset, cfg.window_minutes),
        };
        if cfg.kind.joins_ground_truth() {
            // Labels that arrived before their predictions get another chance.
            let retried = crate::app::ground_truth::retry_pending(store, cfg, req.now).await?;
            tracing::debug!(monitor = %cfg.name, retried, "pending labels retried");
        }
        let exec = run_monitor_with(store, metrics, invokers, cfg, start, end).await?;
        tracing::info!(
            monitor = %cfg.name,
            status = ?exec.status,
            violations = exec.violations,
            records = exec.records,
            report = %exec.report_prefix,
            "monitor evaluated"
        );
        summary.executions.push(exec);
    }
    if let Some(m) = &req.monitor {
        if summary.executions.is_empty() {
            return Err(CoreError::Config {
                field: "monitor".into(),
                value: m.clone(),
                message: "no such monitor under config/monitors/".into(),
            });
        }
    }
    Ok(summary)
}
