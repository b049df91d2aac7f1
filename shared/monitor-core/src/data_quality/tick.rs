//! A data-quality monitor's part of the tick: merge the window's partial profiles, run the
//! checks against the baseline, write `statistics.json`, `constraint_violations.json` and
//! `execution.json`, publish the metrics.

use chrono::{DateTime, Utc};

use crate::config::MonitorConfig;
use crate::data_quality::checks::{check_data_quality, Baseline, CheckReport};
use crate::data_quality::consume::{load_baseline, PartialProfile};
use crate::data_quality::metrics::{
    data_quality_metrics, DataQualityMetricsInput, FeatureMetrics, MonitorTotals,
};
use crate::data_quality::profile::DatasetProfile;
use crate::execution::{exit_message, write_files, Execution, ExecutionStatus, FeatureDrift};
use crate::formats::capture::BadRecords;
use crate::formats::statistics::Statistics;
use crate::layout::{hour_floor, profile_hour_prefix, report_prefix};
use crate::metrics::MetricSink;
use crate::store::{ObjectStore, StateFile};
use crate::CoreError;

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
        failure_reason: None,
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

/// Evaluates one data-quality monitor for one window, writes its report files and
/// publishes its metrics; returns the execution.
pub async fn run_data_quality<S: ObjectStore, M: MetricSink>(
    store: &S,
    metrics: &M,
    cfg: &MonitorConfig,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Execution, CoreError> {
    let prefix = report_prefix(&cfg.endpoint, &cfg.name, end, cfg.window_minutes);
    let empty_state = |profile| WindowState {
        profile,
        bad_records: BadRecords::default(),
        shadow_skipped: 0,
        partial_profiles: 0,
    };
    let baseline = match load_baseline(store, cfg).await {
        Ok(b) => b,
        Err(e) if e.is_retryable() => return Err(e),
        Err(e) => {
            let reason = format!("Baseline missing or unreadable: {e}");
            let mut exec = execution_of(
                cfg,
                start,
                end,
                &empty_state(DatasetProfile::new(&[], |_| {
                    crate::data_quality::profile::Tracking::ALL
                })),
                None,
                Some(&reason),
            );
            exec.failure_reason = Some(reason);
            write_files(store, &report_files(&prefix, None, None, &exec)?).await?;
            return Ok(exec);
        }
    };
    let state = match merge_window(store, cfg, &baseline, start, end).await {
        Ok(s) => s,
        Err(e) if e.is_retryable() => return Err(e),
        Err(e) => {
            let reason = format!("Unreadable state: {e}");
            let mut exec = execution_of(
                cfg,
                start,
                end,
                &empty_state(baseline.empty_profile()),
                None,
                Some(&reason),
            );
            exec.failure_reason = Some(reason);
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
            .publish(&crate::metrics::sanitize(window_metrics(cfg, start, &state, &report)).data)
            .await?;
    }
    Ok(exec)
}
