//! The dashboard (`reports/index.html`, pure: [`DashboardInputs`] in, HTML out): one card
//! per monitor with its endpoint, kind, last status, violations and records over its last
//! windows as small multiples, its last alarm and retraining decision, a risk rating, and
//! links to its window reports.

use std::fmt::Write;

use super::charts;
use super::html::{facts, page, slug};
use super::svg::esc;
use super::window::{kind_name, status_badge};
use super::{has_report, window_label, REPORT_FILE, RISK_WINDOWS};
use crate::config::MonitorKind;
use crate::execution::{Execution, ExecutionStatus};
use crate::layout::REPORTS_PREFIX;

/// The latest alarm state change of a monitor and what retrain-trigger decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetrainEvent {
    /// the alarm
    pub alarm_name: String,
    /// the state it entered (`ALARM`, `OK`, …)
    pub alarm_state: String,
    /// when (RFC 3339)
    pub alarm_time: String,
    /// the pipeline
    pub pipeline: String,
    /// the decision (`started`, `skipped-cooldown`, …)
    pub decision: String,
}

/// One monitor on the dashboard.
#[derive(Debug, Clone)]
pub struct MonitorHistory {
    /// monitor (schedule) name
    pub name: String,
    /// endpoint
    pub endpoint: String,
    /// kind (`None`: no readable config)
    pub kind: Option<MonitorKind>,
    /// its last windows, oldest first
    pub history: Vec<Execution>,
    /// its last alarm and retraining decision
    pub retrain: Option<RetrainEvent>,
}

/// Everything the dashboard shows.
#[derive(Debug, Clone, Default)]
pub struct DashboardInputs {
    /// the monitors, by endpoint and name
    pub monitors: Vec<MonitorHistory>,
    /// files that could not be read
    pub notes: Vec<String>,
}

/// A monitor's risk from its recent windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Risk {
    /// no violation in the recent evaluated windows
    Low,
    /// a violation in fewer than half of them
    Medium,
    /// a violation in at least half, or the last window failed on an error
    High,
}

impl Risk {
    /// The rating of `history` (oldest first): over the last [`RISK_WINDOWS`] windows that
    /// were evaluated, the share with violations — 0 is low, under one half is medium, one
    /// half or more is high; a last window failed by an error is high whatever the share;
    /// no evaluated window at all is `None`.
    #[must_use]
    pub fn of(history: &[Execution]) -> Option<Risk> {
        if history.last().is_some_and(Execution::failed_on_error) {
            return Some(Risk::High);
        }
        let recent: Vec<&Execution> = history
            .iter()
            .rev()
            .filter(|e| e.status != ExecutionStatus::Failed)
            .take(RISK_WINDOWS)
            .collect();
        if recent.is_empty() {
            return None;
        }
        let bad = recent.iter().filter(|e| e.violations > 0).count();
        Some(if bad == 0 {
            Risk::Low
        } else if bad * 2 < recent.len() {
            Risk::Medium
        } else {
            Risk::High
        })
    }

    fn html(self) -> &'static str {
        match self {
            Risk::Low => "<span class=\"risk-low\">● low</span>",
            Risk::Medium => "<span class=\"risk-medium\">◆ medium</span>",
            Risk::High => "<span class=\"risk-high\">▲ high</span>",
        }
    }
}

/// The link from the dashboard to a window's report.
fn report_link(e: &Execution) -> String {
    let rel = e
        .report_prefix
        .strip_prefix(REPORTS_PREFIX)
        .unwrap_or(&e.report_prefix);
    format!("{rel}{REPORT_FILE}")
}

/// One monitor's card.
fn card(m: &MonitorHistory) -> String {
    let id = slug("mon", &format!("{}/{}", m.endpoint, m.name));
    let last = m.history.last();
    let risk = Risk::of(&m.history);
    let mut rows = vec![
        ("endpoint", esc(&m.endpoint)),
        ("kind", kind_name(m.kind).to_owned()),
        (
            "last status",
            last.map_or("no window yet".into(), |e| {
                format!(
                    "{} window ending {}",
                    status_badge(e.status),
                    esc(&e.window_end.to_rfc3339())
                )
            }),
        ),
        (
            "risk",
            risk.map_or("– (no evaluated window)".into(), |r| {
                format!(
                    "{} (violations in the last {RISK_WINDOWS} evaluated windows)",
                    r.html()
                )
            }),
        ),
    ];
    rows.push((
        "last alarm / retraining",
        m.retrain.as_ref().map_or("none recorded".into(), |r| {
            esc(&format!(
                "{} {} at {}; pipeline {}: {}",
                r.alarm_name, r.alarm_state, r.alarm_time, r.pipeline, r.decision
            ))
        }),
    ));
    let violations: Vec<(String, f64, bool)> = m
        .history
        .iter()
        .map(|e| {
            (
                window_label(e.window_end),
                e.violations as f64,
                e.violations > 0,
            )
        })
        .collect();
    let records: Vec<(String, f64, bool)> = m
        .history
        .iter()
        .map(|e| (window_label(e.window_end), e.records as f64, false))
        .collect();
    let mut links = String::new();
    for e in m.history.iter().rev().take(8) {
        let when = esc(&e.window_end.format("%Y-%m-%d %H:%M UTC").to_string());
        // a Failed window has no report.html: its reason instead of a link
        let when = if has_report(e) {
            format!("<a href=\"{}\">{when}</a>", esc(&report_link(e)))
        } else {
            format!(
                "{when} ({})",
                esc(e.failure_reason.as_deref().unwrap_or(&e.exit_message))
            )
        };
        let _ = write!(
            links,
            "<li>{when} {}{}</li>",
            status_badge(e.status),
            if e.violations > 0 {
                format!(" {} violations", e.violations)
            } else {
                String::new()
            }
        );
    }
    let title = match m.history.iter().rev().find(|e| has_report(e)) {
        Some(e) => format!("<a href=\"{}\">{}</a>", esc(&report_link(e)), esc(&m.name)),
        None => esc(&m.name),
    };
    format!(
        "<section id=\"{id}\" class=\"card monitor\"><h2>{title}</h2>{}<div class=\"grid\">{}{}</div><details><summary>window reports (latest first)</summary><ul>{links}</ul></details></section>",
        facts(&rows),
        charts::spark(&format!("{id}-v"), &format!("{}: violations per window", m.name), "violations", &violations),
        charts::spark(&format!("{id}-r"), &format!("{}: records per window", m.name), "records", &records),
    )
}

/// Renders the dashboard.
#[must_use]
pub fn render_dashboard(inp: &DashboardInputs) -> String {
    let mut body = String::new();
    let counts = |r: Risk| {
        inp.monitors
            .iter()
            .filter(|m| Risk::of(&m.history) == Some(r))
            .count()
    };
    let _ = write!(
        body,
        "<p>{} monitors: {} at high risk, {} medium, {} low.</p><div class=\"cards\">",
        inp.monitors.len(),
        counts(Risk::High),
        counts(Risk::Medium),
        counts(Risk::Low)
    );
    let mut order: Vec<&MonitorHistory> = inp.monitors.iter().collect();
    order.sort_by_key(|m| {
        (
            std::cmp::Reverse(Risk::of(&m.history)),
            m.endpoint.clone(),
            m.name.clone(),
        )
    });
    for m in order {
        body.push_str(&card(m));
    }
    body.push_str("</div>");
    if !inp.notes.is_empty() {
        let items: String = inp
            .notes
            .iter()
            .map(|n| format!("<li>{}</li>", esc(n)))
            .collect();
        let _ = write!(
            body,
            "<section id=\"notes\"><h2>Files not shown</h2><ul>{items}</ul></section>"
        );
    }
    page(
        "modelwatch: every monitor",
        "Riskiest first. Each card links to its window reports.",
        None,
        &body,
    )
}
