//! Monitor tick: for each monitor, merge the window's partial profiles, run the
//! data-quality checks, write SageMaker's report files and publish metrics.
//!
//! A window is `[start, end)`: by default the previous whole window of the monitor's length
//! before the tick time (for hourly monitors, the previous whole hour). The report goes to
//! `reports/{endpoint}/{monitor}/yyyy/mm/dd/HH/` where `HH` is the hour the window ends, as
//! SageMaker does. Every file is a function of the stored state only, so re-running a tick
//! for the same window writes identical bytes.
//!
//! Each monitor runs inside its own error boundary (see [`run`]); windows marked by late data
//! ([`crate::app::late`]) are evaluated again before the monitor's own window.

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};

use crate::app::late::{marked_windows, set_evaluated};
use crate::app::monitors::{load_monitor_entries, MonitorEntry};
use crate::attribution::InvokerFactory;
use crate::capability::capability_for;
use crate::config::MonitorConfig;
use crate::error::RetryBoundary;
use crate::execution::{Execution, OrFail, Ports, Stop, Window};
use crate::layout::{report_prefix, window_before};
use crate::metrics::builders::failed_executions;
use crate::metrics::MetricSink;
use crate::store::ObjectStore;
use crate::CoreError;

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TickSummary {
    /// one per monitor evaluated, after one per late window it evaluated again
    pub executions: Vec<Execution>,
    /// HTML reports (window reports and the dashboard) that could not be written; logged,
    /// never failing an execution ([`crate::report::after_tick`])
    #[serde(default)]
    pub report_failures: u64,
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
    /// the deploying stack (monitor-tick's `MODELWATCH_STACK_NAME`): the `Stack` dimension
    /// of the stack-wide `failed_executions` datum; `None` publishes it without dimensions
    pub stack: Option<String>,
}

/// Window length of a monitor whose configuration cannot be read (the config default).
const DEFAULT_WINDOW_MINUTES: u32 = 60;

/// The window a tick evaluates for a monitor of `length` minutes and end-time `offset`.
fn window_of(req: &TickRequest, length: u32, offset: u32) -> Window {
    // Model-quality and bias windows may trail the tick (late labels: SageMaker's
    // EndTimeOffset).
    let offset = chrono::Duration::minutes(i64::from(offset));
    match req.window_end {
        Some(end) => Window::new(end - chrono::Duration::minutes(i64::from(length)), end),
        None => window_before(req.now - offset, length).into(),
    }
}

/// One monitor's part of the tick: pending labels retried, then the window evaluated.
async fn evaluate_monitor<S, M, F>(
    ports: Ports<'_, S, M, F>,
    cfg: &MonitorConfig,
    req: &TickRequest,
    window: Window,
) -> Result<Execution, CoreError>
where
    S: ObjectStore,
    M: MetricSink,
    F: InvokerFactory + ?Sized,
{
    if cfg.kind.joins_ground_truth() {
        // Labels that arrived before their predictions get another chance.
        let retried = crate::app::ground_truth::retry_pending(ports.store, cfg, req.now).await?;
        tracing::debug!(monitor = %cfg.name, retried, "pending labels retried");
    }
    capability_for(cfg.kind).evaluate(ports, cfg, window).await
}

/// The execution of `result` for `cfg`'s `window`: a non-retryable error becomes a
/// `Failed` execution naming it, written to the window's `execution.json`.
async fn within_boundary<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    window: Window,
    result: Result<Execution, CoreError>,
) -> Result<Execution, CoreError> {
    match result {
        Ok(exec) => Ok(exec),
        Err(e) => {
            let outcome = Err(e).or_fail(|e| format!("Execution error: {e}"));
            Execution::failed(cfg, window).settle(store, outcome).await
        }
    }
}

/// Logs `exec`, publishes its `failed_executions` datum when an error failed it (and the
/// monitor publishes metrics), and adds it to `executions`.
async fn record<M: MetricSink>(
    metrics: &M,
    executions: &mut Vec<Execution>,
    exec: Execution,
    publish: bool,
    stack: Option<&str>,
) -> Result<(), CoreError> {
    if exec.failed_on_error() {
        tracing::warn!(
            monitor = %exec.monitoring_schedule_name,
            reason = exec.failure_reason.as_deref().unwrap_or_default(),
            "monitor execution failed"
        );
        if publish {
            metrics
                .publish(&failed_executions(
                    &exec.endpoint_name,
                    &exec.monitoring_schedule_name,
                    stack,
                    exec.window_start,
                    1,
                ))
                .await?;
        }
    }
    tracing::info!(
        monitor = %exec.monitoring_schedule_name,
        status = ?exec.status,
        violations = exec.violations,
        records = exec.records,
        report = %exec.report_prefix,
        "monitor evaluated"
    );
    executions.push(exec);
    Ok(())
}

/// Monitors evaluated at the same time by one tick.
pub const MONITORS_IN_FLIGHT: usize = 4;

/// One monitor's executions of a tick: its late windows, then its own window.
///
/// The error boundary of one monitor: anything but a retryable failure becomes its Failed
/// execution.
async fn run_monitor<S, M, F>(
    ports: Ports<'_, S, M, F>,
    entry: &MonitorEntry,
    req: &TickRequest,
) -> Result<Vec<Execution>, CoreError>
where
    S: ObjectStore,
    M: MetricSink,
    F: InvokerFactory + ?Sized,
{
    let (store, metrics) = (ports.store, ports.metrics);
    let mut executions = Vec::new();
    let cfg = match &entry.config {
        Ok(cfg) => cfg,
        Err(e) => {
            let window = window_of(req, DEFAULT_WINDOW_MINUTES, 0);
            let prefix = report_prefix(
                entry.endpoint(),
                &entry.name,
                window.end,
                DEFAULT_WINDOW_MINUTES,
            );
            let exec = Execution::failed_named(
                &entry.name,
                entry.endpoint(),
                window.start,
                window.end,
                &prefix,
            );
            let reason = format!("Monitor configuration {} unusable: {e}", entry.key);
            let exec = exec.settle(store, Err(Stop::Failed(reason))).await?;
            record(metrics, &mut executions, exec, true, req.stack.as_deref()).await?;
            return Ok(executions);
        }
    };
    let window = window_of(req, cfg.window_minutes, cfg.offset_minutes());
    // Late data first: windows whose state grew after their report (app::late).
    let mut marked = if req.window_end.is_none() {
        match marked_windows(store, cfg).await.propagate_retryable()? {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(monitor = %cfg.name, error = %e, "late-data markers unreadable");
                Default::default()
            }
        }
    } else {
        Default::default()
    };
    let current = marked.remove(&(window.start, window.end));
    for (late, markers) in marked {
        let late = Window::from(late);
        let result = capability_for(cfg.kind).evaluate(ports, cfg, late).await;
        let exec = within_boundary(store, cfg, late, result).await?;
        tracing::info!(monitor = %cfg.name, window_end = %late.end, markers = markers.len(), "late window evaluated again");
        if !exec.failed_on_error() {
            set_evaluated(store, markers).await?;
        }
        record(
            metrics,
            &mut executions,
            exec,
            cfg.publish_metrics,
            req.stack.as_deref(),
        )
        .await?;
    }
    let result = evaluate_monitor(ports, cfg, req, window).await;
    let exec = within_boundary(store, cfg, window, result).await?;
    if let Some(markers) = current.filter(|_| !exec.failed_on_error()) {
        set_evaluated(store, markers).await?;
    }
    record(
        metrics,
        &mut executions,
        exec,
        cfg.publish_metrics,
        req.stack.as_deref(),
    )
    .await?;
    Ok(executions)
}

/// Runs every monitor (or the one requested) for its window; explainability monitors reach
/// their models through `invokers` (`&LocalModels` for local models only).
///
/// Each monitor runs inside its own error boundary: a bad or duplicate configuration, a
/// missing or unreadable baseline, state file or object fails that monitor's execution
/// (status `Failed`, [`Execution::failure_reason`] naming the key and the cause, written to
/// its `execution.json`, one `failed_executions` datum published) and the next monitor
/// runs.
///
/// # Errors
/// Only retryable failures ([`CoreError::is_retryable`]: throttling, 5xx, I/O), so Lambda
/// retries the tick; and an unknown `req.monitor`.
pub async fn run<S, M, F>(
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
    let ports = Ports {
        store,
        metrics,
        invokers,
    };
    let entries = load_monitor_entries(store).await?;
    // Monitors are evaluated concurrently, a few at a time, each in its own error boundary;
    // the executions are kept in configuration order, and the first retryable error (in that
    // order) fails the tick once every monitor has run.
    let outcomes: Vec<Result<Vec<Execution>, CoreError>> = stream::iter(
        entries
            .iter()
            .filter(|e| req.monitor.as_deref().is_none_or(|n| n == e.name)),
    )
    .map(|entry| run_monitor(ports, entry, req))
    .buffered(MONITORS_IN_FLIGHT)
    .collect()
    .await;
    let mut summary = TickSummary::default();
    for outcome in outcomes {
        summary.executions.extend(outcome?);
    }
    // HTML reports of the windows just written and the dashboard (issue 14)
    summary.report_failures = crate::report::after_tick(store, &summary.executions).await;
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
