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
mod estimates;
mod html;
mod load;
mod segments;
mod svg;
mod variants;
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

/// Whether `exec`'s window was evaluated and so gets a `report.html` (a `Failed` window has
/// only its `execution.json`, shown on the dashboard).
pub fn has_report(exec: &Execution) -> bool {
    exec.status != crate::execution::ExecutionStatus::Failed
}

/// The tick's hook: writes the report of each evaluated window ([`has_report`]) and the
/// dashboard. A failure is logged (WARN, with the window and the error) and counted, never
/// returned: reports never fail an execution. Returns the number of failures.
pub async fn after_tick<S: ObjectStore>(store: &S, executions: &[Execution]) -> u64 {
    let mut failures = 0;
    for exec in executions.iter().filter(|e| has_report(e)) {
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

/// Rewrites the report of every evaluated window (of `monitor` only, if given) and the
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
            .filter(|e| has_report(e) && monitor.is_none_or(|m| m == e.monitoring_schedule_name))
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
    use crate::execution::{ExecutionStatus, FeatureDrift};
    use crate::formats::statistics::Statistics;
    use crate::formats::violations::ConstraintViolations;
    use crate::store::MemoryStore;
    use chrono::TimeZone;

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

    /// An execution of monitor `m` for the hour ending at `hour`, with `violations`.
    fn exec(hour: u32, violations: usize) -> Execution {
        let end = Utc.with_ymd_and_hms(2026, 11, 1, hour, 0, 0).unwrap();
        let prefix = crate::layout::report_prefix("ep", "m", end, 60);
        let mut e =
            Execution::failed_named("m", "ep", end - chrono::Duration::hours(1), end, &prefix);
        e.status = if violations > 0 {
            ExecutionStatus::CompletedWithViolations
        } else {
            ExecutionStatus::Completed
        };
        e.violations = violations;
        e.records = 100;
        e
    }

    #[test]
    fn risk_is_the_share_of_recent_windows_with_violations() {
        use dashboard::Risk;
        let h = |v: &[usize]| {
            v.iter()
                .enumerate()
                .map(|(i, n)| exec(i as u32 + 1, *n))
                .collect::<Vec<_>>()
        };
        assert_eq!(Risk::of(&[]), None);
        assert_eq!(Risk::of(&h(&[0, 0, 0])), Some(Risk::Low));
        // 2 of the last 6 windows (1/3 < 1/2): medium; the oldest window is outside the 6
        assert_eq!(Risk::of(&h(&[5, 0, 1, 0, 0, 1, 0])), Some(Risk::Medium));
        // 3 of 6 (one half): high
        assert_eq!(Risk::of(&h(&[0, 1, 0, 1, 0, 1])), Some(Risk::High));
        let mut failing = h(&[0, 0]);
        failing.push(Execution {
            status: ExecutionStatus::Failed,
            failure_reason: Some("baseline missing".into()),
            ..exec(3, 0)
        });
        assert_eq!(Risk::of(&failing), Some(Risk::High));
    }

    /// A data-quality window: numeric `age` (two KLL buckets), string `plan` (two values),
    /// with one drift violation on `plan`.
    fn dq_inputs() -> WindowInputs {
        let stats = |a: f64, b: f64| {
            Statistics::from_json(
                serde_json::json!({"version": 0.0, "dataset": {"item_count": 10}, "features": [
                    {"name": "age", "inferred_type": "Integral", "numerical_statistics": {
                        "common": {"num_present": 10, "num_missing": 0}, "mean": 30.0, "sum": 300.0,
                        "std_dev": 5.0, "min": 20.0, "max": 40.0,
                        "distribution": {"kll": {"buckets": [
                            {"lower_bound": 20.0, "upper_bound": 30.0, "count": a},
                            {"lower_bound": 30.0, "upper_bound": 40.0, "count": b}],
                          "sketch": {"parameters": {"c": 0.64, "k": 2048.0}, "data": [[]]}}}}},
                    {"name": "plan", "inferred_type": "String", "string_statistics": {
                        "common": {"num_present": 10, "num_missing": 0}, "distinct_count": 2.0,
                        "distribution": {"categorical": {"buckets": [
                            {"value": "basic", "count": a}, {"value": "pro", "count": b}]}}}}]})
                .to_string()
                .as_bytes(),
            )
            .unwrap()
        };
        let violations = ConstraintViolations::from_json(
            br#"{"violations": [{"feature_name": "plan", "constraint_check_type": "baseline_drift_check", "description": "Categorical distance 0.3", "extra_field": 1}]}"#,
        )
        .unwrap();
        let mut e = exec(5, 1);
        e.drift = vec![
            FeatureDrift {
                feature: "age".into(),
                distance: 0.05,
                violated: false,
                ..FeatureDrift::default()
            },
            FeatureDrift {
                feature: "plan".into(),
                distance: 0.3,
                violated: true,
                ..FeatureDrift::default()
            },
        ];
        WindowInputs {
            kind: Some(crate::config::MonitorKind::DataQuality),
            history: vec![exec(4, 0), e.clone()],
            exec: e,
            files: KindFiles::DataQuality {
                window: Some(stats(2.0, 8.0)),
                baseline: Some(stats(5.0, 5.0)),
                constraints: None,
                violations: Some(violations),
            },
            notes: Vec::new(),
            variants: None,
            segments: None,
        }
    }

    #[test]
    fn a_window_report_lists_violations_first_and_links_them_to_their_feature() {
        let html = render_window(&dq_inputs());
        let (summary, violations, features) = (
            html.find("id=\"summary\"").unwrap(),
            html.find("id=\"violations\"").unwrap(),
            html.find("id=\"features\"").unwrap(),
        );
        assert!(summary < violations && violations < features);
        let plan = html::slug("f", "plan");
        assert!(html.contains(&format!("href=\"#{plan}\"")));
        assert!(html.contains(&format!("<section id=\"{plan}\"")));
        // two charts per feature, each with its title and text alternative
        assert_eq!(html.matches("<svg class=\"chart\"").count(), 4);
        assert_eq!(html.matches("<desc id=").count(), 4);
        // the CDF of the window: 2 of 10 values up to 30, all up to 40
        assert!(html.contains("baseline solid line (3 points), window dashed line (3 points)"));
        // category shares in the text alternative: basic 50 % → 20 %
        assert!(html.contains("basic: baseline 50%, window 20%"));
        // the violated feature's history marks its window with a triangle and "!"
        assert!(html.contains("(violation)</title></path>"));
        assert!(!html.contains("<script"));
        assert!(html.contains("href=\"../../../../../../index.html\""));
    }

    #[test]
    fn under_the_drift_policy_a_feature_shows_effect_floor_and_p_values() {
        let mut inp = dq_inputs();
        let mut constraints = crate::formats::constraints::Constraints::from_json(
            br#"{"version": 0.0, "features": []}"#,
        )
        .unwrap();
        let policy = crate::formats::constraints::DriftPolicy::default();
        constraints.set_drift_policy(Some(&policy));
        if let KindFiles::DataQuality { constraints: c, .. } = &mut inp.files {
            *c = Some(constraints);
        }
        inp.exec.drift[1] = FeatureDrift {
            feature: "plan".into(),
            distance: 0.3,
            violated: true,
            p_value: Some(0.001),
            adjusted_p_value: Some(0.002),
            effect_floor: Some(0.02),
            method: Some("share_change+chi2_contingency".into()),
            decision: Some("Drift".into()),
        };
        inp.exec.drift[0].decision = Some("LacksPower".into());
        let html = render_window(&inp);
        assert!(html.contains("largest category share change, χ² contingency test"));
        assert!(html.contains("normalised Wasserstein"));
        assert!(html.contains("0.001 (Benjamini–Hochberg adjusted: 0.002)"));
        // the floor written in the constraints' block for numbers; the violation's own for plan
        assert!(html.contains(&format!(
            "{} (violation when the effect exceeds it",
            svg::num(policy.numerical_effect_floor)
        )));
        assert!(html.contains("0.02 (violation when the effect exceeds it"));
        assert!(html.contains("too few records for the test to have power"));
        assert!(!html.contains("L∞ distance"));
    }

    /// A store whose writes of HTML fail.
    struct NoHtml(MemoryStore);

    impl ObjectStore for NoHtml {
        async fn get(&self, key: &str) -> Result<Vec<u8>, crate::CoreError> {
            self.0.get(key).await
        }
        async fn reader(&self, key: &str) -> Result<crate::store::ByteReader, crate::CoreError> {
            self.0.reader(key).await
        }
        async fn put(&self, key: &str, body: Vec<u8>) -> Result<(), crate::CoreError> {
            if key.ends_with(".html") {
                return Err(crate::CoreError::Transient {
                    key: key.into(),
                    message: "injected".into(),
                });
            }
            self.0.put(key, body).await
        }
        async fn list(&self, prefix: &str) -> Result<Vec<String>, crate::CoreError> {
            self.0.list(prefix).await
        }
    }

    #[tokio::test]
    async fn report_failures_are_counted_not_returned() {
        let store = NoHtml(MemoryStore::new());
        let e = exec(5, 0);
        store
            .put(
                &format!("{}execution.json", e.report_prefix),
                serde_json::to_vec(&e).unwrap(),
            )
            .await
            .unwrap();
        // the window's report and the dashboard
        assert_eq!(after_tick(&store, std::slice::from_ref(&e)).await, 2);
        // a Failed window has no report: only the dashboard is written
        let failed = Execution {
            status: ExecutionStatus::Failed,
            ..exec(6, 0)
        };
        assert_eq!(after_tick(&store, std::slice::from_ref(&failed)).await, 1);
        let ok = MemoryStore::new();
        assert_eq!(after_tick(&ok, std::slice::from_ref(&e)).await, 0);
        let page = String::from_utf8(ok.get(&report_key(&e.report_prefix)).await.unwrap()).unwrap();
        assert!(page.contains("✓ Completed"));
        assert!(ok.get(DASHBOARD_KEY).await.is_ok());
    }
}
