//! Monitor tick: for each monitor, merge the window's partial profiles, run the
//! data-quality checks, write SageMaker's report files and publish metrics.
//!
//! A window is `[start, end)`: by default the previous whole window of the monitor's length
//! before the tick time (for hourly monitors, the previous whole hour). The report goes to
//! `reports/{endpoint}/{monitor}/yyyy/mm/dd/HH/` where `HH` is the hour the window ends, as
//! SageMaker does. Every file is a function of the stored state only, so re-running a tick
//! for the same window writes identical bytes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::attribution::{InvokerFactory, LocalModels};
use crate::capability::capability_for;
use crate::config::{load_monitors, MonitorConfig};
use crate::execution::Execution;
use crate::layout::window_before;
use crate::metrics::MetricSink;
use crate::store::ObjectStore;
use crate::CoreError;

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
    capability_for(cfg.kind)
        .evaluate(store, metrics, invokers, cfg, start, end)
        .await
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
