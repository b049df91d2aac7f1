//! HTML reports (issue 14): one `report.html` beside each evaluated window's files, and a
//! dashboard of every monitor at `reports/index.html`.
//!
//! Everything is built from what the store already holds, read through [`ObjectStore`] and
//! the typed formats: the window's `statistics.json` / `analysis.json`,
//! `constraint_violations.json` and `execution.json`, the baseline's files, the monitor's
//! config, the monitor's earlier `execution.json`s (its history) and the retraining audit
//! records. No raw record is embedded, so a report is safe to share and small (a
//! 20-feature data-quality report is about 100 KB).
//!
//! Pages are static and self-contained: one inline style sheet, charts drawn here as inline
//! SVG ([`svg`]'s typed writer, [`charts`]), no script, no network. Every chart carries a
//! `<title>`, a `<desc>` text alternative and labelled axes with units; violations are
//! marked by a triangle and `!` as well as by colour.
//!
//! Loading ([`load_window`], [`load_dashboard`]) is separate from rendering
//! ([`render_window`], [`render_dashboard`]), which is pure.
//!
//! Why hand-built SVG rather than plotters or a template engine: the charts need
//! per-element `<title>`s, `role`/`aria-labelledby` and CSS classes for line styles, which
//! plotters' SVG backend does not write, and a template engine (minijinja, askama) would add
//! a dependency to every Lambda binary (the 12 MB budget) for pages that are a handful of
//! `format!`s; the one escaping function ([`svg`]) is the only place text enters markup.

mod charts;
mod dashboard;
mod html;
mod load;
mod svg;
mod window;

use chrono::{DateTime, Utc};

pub use dashboard::{render_dashboard, DashboardInputs, MonitorHistory, RetrainEvent};
pub use load::{load_dashboard, load_window};
pub use window::{render_window, KindFiles, WindowInputs};

use crate::execution::Execution;
use crate::layout::REPORTS_PREFIX;
use crate::store::ObjectStore;

/// Name of a window's HTML report, beside its `statistics.json`.
pub const REPORT_FILE: &str = "report.html";
/// Key of the dashboard of every monitor.
pub const DASHBOARD_KEY: &str = "reports/index.html";
/// How many windows of a monitor's history the charts over time show.
pub const HISTORY_WINDOWS: usize = 24;
/// How many recent evaluated windows the dashboard's risk rating looks at.
pub const RISK_WINDOWS: usize = 6;

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// a stored file the report reads is not in its format
    #[error("report input {key} unreadable: {message}")]
    Input {
        /// the key
        key: String,
        /// what was wrong
        message: String,
    },
    /// the store failed
    #[error(transparent)]
    Store(#[from] crate::CoreError),
}

/// What [`regenerate`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Regenerated {
    /// keys of the window reports written
    pub reports: Vec<String>,
    /// key of the dashboard
    pub dashboard: String,
    /// windows whose report failed (logged), with the error
    pub failed: Vec<(String, String)>,
}

/// Key of the report of the window whose files are under `prefix`.
pub fn report_key(prefix: &str) -> String {
    format!("{prefix}{REPORT_FILE}")
}

/// The relative link from a page under `prefix` (a report folder) back to the dashboard.
pub(crate) fn dashboard_link(prefix: &str) -> String {
    let depth = prefix
        .strip_prefix(REPORTS_PREFIX)
        .unwrap_or(prefix)
        .matches('/')
        .count();
    format!("{}index.html", "../".repeat(depth))
}

/// The short label of a window end on chart axes (`MM-DD HH:MM`, UTC).
pub(crate) fn window_label(end: DateTime<Utc>) -> String {
    end.format("%m-%d %H:%M").to_string()
}

/// Writes the `report.html` of `exec`'s window.
///
/// # Errors
/// [`ReportError`] when the store fails or a file it reads is malformed.
pub async fn write_window_report<S: ObjectStore>(
    store: &S,
    exec: &Execution,
) -> Result<String, ReportError> {
    let inputs = load_window(store, exec).await?;
    let key = report_key(&exec.report_prefix);
    store.put(&key, render_window(&inputs).into_bytes()).await?;
    Ok(key)
}

/// Regenerates `reports/index.html` from the store.
///
/// # Errors
/// [`ReportError`] when the store fails.
pub async fn write_dashboard<S: ObjectStore>(store: &S) -> Result<String, ReportError> {
    let inputs = load_dashboard(store).await?;
    store
        .put(DASHBOARD_KEY, render_dashboard(&inputs).into_bytes())
        .await?;
    Ok(DASHBOARD_KEY.to_owned())
}

/// The tick's hook: writes the report of each execution and the dashboard. A failure is
/// logged (WARN, with the window and the error) and counted, never returned: reports never
/// fail an execution. Returns the number of failures.
pub async fn after_tick<S: ObjectStore>(store: &S, executions: &[Execution]) -> u64 {
    let mut failures = 0;
    for exec in executions {
        if let Err(e) = write_window_report(store, exec).await {
            failures += 1;
            tracing::warn!(monitor = %exec.monitoring_schedule_name, report = %exec.report_prefix, error = %e, "window report not written");
        }
    }
    if let Err(e) = write_dashboard(store).await {
        failures += 1;
        tracing::warn!(error = %e, "dashboard not written");
    }
    failures
}

/// Rewrites the report of every stored window (of `monitor` only, if given) and the
/// dashboard: what `modelwatch report` runs. A window whose report fails is listed in
/// [`Regenerated::failed`] and the others are still written.
///
/// # Errors
/// [`ReportError`] when listing the store or writing the dashboard fails.
pub async fn regenerate<S: ObjectStore>(
    store: &S,
    monitor: Option<&str>,
) -> Result<Regenerated, ReportError> {
    let mut out = Regenerated::default();
    for history in load::all_executions(store, usize::MAX).await?.into_values() {
        for exec in history
            .iter()
            .filter(|e| monitor.is_none_or(|m| m == e.monitoring_schedule_name))
        {
            match write_window_report(store, exec).await {
                Ok(key) => out.reports.push(key),
                Err(e) => out.failed.push((exec.report_prefix.clone(), e.to_string())),
            }
        }
    }
    out.dashboard = write_dashboard(store).await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashboard_link_climbs_out_of_the_report_folder() {
        assert_eq!(
            dashboard_link("reports/ep/mon/2026/11/01/05/"),
            "../../../../../../index.html"
        );
        assert_eq!(
            dashboard_link("reports/ep/mon/2026/11/01/05/30/"),
            "../../../../../../../index.html"
        );
    }
}
