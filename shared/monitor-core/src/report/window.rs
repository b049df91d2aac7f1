//! The report of one window (pure: [`WindowInputs`] in, HTML out). Its order: a summary
//! (status, violations by check, records, bad records by kind, label coverage), the
//! violations linking to their feature or metric, then the monitor kind's sections.

use std::fmt::Write;

use super::charts::{self, Compared, Point};
use super::html::{facts, page, section, slug, table};
use super::svg::{esc, num};
use super::{dashboard_link, window_label};
use crate::config::MonitorKind;
use crate::execution::{Execution, ExecutionStatus};
use crate::formats::clarify::{
    AttributionViolations, BiasAnalysis, BiasViolations, ExplainabilityAnalysis,
};
use crate::formats::constraints::{CategoricalDriftMethod, ComparisonMethod, Constraints};
use crate::formats::model_quality::{
    is_violated, violation_metric_name, MetricEntry, ModelQualityConstraints,
    ModelQualityStatistics, ModelQualityViolations,
};
use crate::formats::statistics::{FeatureStatistics, Statistics};
use crate::formats::violations::ConstraintViolations;

/// The stored files of one window and its baseline, by monitor kind (each `None` when
/// absent or unreadable).
#[derive(Debug, Clone)]
#[allow(missing_docs)] // the fields are the files their names say
#[allow(clippy::large_enum_variant)] // one per report, built once
pub enum KindFiles {
    /// the monitor's config could not be read: the summary only
    None,
    /// data quality
    DataQuality {
        window: Option<Statistics>,
        baseline: Option<Statistics>,
        constraints: Option<Constraints>,
        violations: Option<ConstraintViolations>,
    },
    /// model quality
    ModelQuality {
        window: Option<ModelQualityStatistics>,
        baseline: Option<ModelQualityStatistics>,
        constraints: Option<ModelQualityConstraints>,
        violations: Option<ModelQualityViolations>,
    },
    /// bias drift
    Bias {
        window: Option<BiasAnalysis>,
        baseline: Option<BiasAnalysis>,
        violations: Option<BiasViolations>,
    },
    /// feature attribution; `threshold` is the monitor's nDCG threshold
    Attribution {
        window: Option<ExplainabilityAnalysis>,
        baseline: Option<ExplainabilityAnalysis>,
        violations: Option<AttributionViolations>,
        threshold: f64,
    },
}

/// Everything the report of one window shows.
#[derive(Debug, Clone)]
pub struct WindowInputs {
    /// the monitor's kind (`None`: its config could not be read)
    pub kind: Option<MonitorKind>,
    /// the window's execution record
    pub exec: Execution,
    /// the monitor's last windows up to and including this one, oldest first
    pub history: Vec<Execution>,
    /// the window's and the baseline's files
    pub files: KindFiles,
    /// files that could not be read, shown on the page
    pub notes: Vec<String>,
    /// the window's comparison of variants, when the monitor compares them (issue 15)
    pub variants: Option<crate::variants::VariantComparison>,
    /// the window's slices, when the monitor has a `segments` block (issue 15)
    pub segments: Option<crate::segments::SegmentsReport>,
}

/// Status as a badge: a word and a symbol, coloured.
pub(crate) fn status_badge(status: ExecutionStatus) -> String {
    let (class, text) = match status {
        ExecutionStatus::Completed => ("ok", "✓ Completed"),
        ExecutionStatus::CompletedWithViolations => ("bad", "▲ CompletedWithViolations"),
        ExecutionStatus::Failed => ("failed", "✕ Failed"),
    };
    format!("<span class=\"status {class}\">{text}</span>")
}

/// The kind's display name.
pub(crate) fn kind_name(kind: Option<MonitorKind>) -> &'static str {
    match kind {
        Some(MonitorKind::DataQuality) => "data quality",
        Some(MonitorKind::ModelQuality) => "model quality",
        Some(MonitorKind::ModelBias) => "bias drift",
        Some(MonitorKind::ModelExplainability) => "feature attribution",
        None => "unknown kind",
    }
}

/// Renders the page.
#[must_use]
pub fn render_window(inp: &WindowInputs) -> String {
    let e = &inp.exec;
    let mut body = summary(inp);
    body.push_str(&super::estimates::estimates_section(e));
    match &inp.files {
        KindFiles::None => {}
        KindFiles::DataQuality { .. } => body.push_str(&data_quality(inp)),
        KindFiles::ModelQuality { .. } => body.push_str(&model_quality(inp)),
        KindFiles::Bias { .. } => body.push_str(&bias(inp)),
        KindFiles::Attribution { .. } => body.push_str(&attribution(inp)),
    }
    body.push_str(&super::variants::variants_section(inp.variants.as_ref()));
    body.push_str(&super::segments::segments_section(inp.segments.as_ref()));
    let title = format!(
        "{} · {} → {}",
        e.monitoring_schedule_name,
        e.window_start.format("%Y-%m-%d %H:%M"),
        e.window_end.format("%H:%M UTC")
    );
    let sub = format!(
        "{} monitor of endpoint {}, window [{}, {})",
        kind_name(inp.kind),
        e.endpoint_name,
        e.window_start.to_rfc3339(),
        e.window_end.to_rfc3339()
    );
    page(&title, &sub, Some(&dashboard_link(&e.report_prefix)), &body)
}

/// The summary section.
fn summary(inp: &WindowInputs) -> String {
    let e = &inp.exec;
    let by_check = e
        .violations_by_check
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{} {n}", esc(k)))
        .collect::<Vec<_>>();
    let bad = if e.bad_records_by_kind.is_empty() {
        e.bad_records.to_string()
    } else {
        format!(
            "{} ({})",
            e.bad_records,
            e.bad_records_by_kind
                .iter()
                .map(|(k, n)| format!("{} {n}", esc(k)))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let mut rows = vec![
        ("status", status_badge(e.status)),
        ("message", esc(&e.exit_message)),
        (
            "violations",
            format!(
                "{} {}",
                e.violations,
                if by_check.is_empty() {
                    String::new()
                } else {
                    format!("({})", by_check.join(", "))
                }
            ),
        ),
        ("records analysed", e.records.to_string()),
        ("bad records", bad),
    ];
    if e.shadow_skipped > 0 {
        rows.push(("shadow records skipped", e.shadow_skipped.to_string()));
    }
    if let Some(c) = &e.label_coverage {
        let share = if c.predictions > 0 {
            format!(
                " ({}%)",
                num(c.matched as f64 * 100.0 / c.predictions as f64)
            )
        } else {
            String::new()
        };
        rows.push((
            "label coverage",
            format!(
                "{} of {} predictions labelled{share}; {} labels pending, {} expired",
                c.matched, c.predictions, c.pending_labels, c.expired_labels
            ),
        ));
    }
    if let Some(r) = &e.failure_reason {
        rows.push(("failure reason", esc(r)));
    }
    let mut out = section("summary", "summary", "Summary", &facts(&rows));
    if !inp.notes.is_empty() {
        let items: String = inp
            .notes
            .iter()
            .map(|n| format!("<li>{}</li>", esc(n)))
            .collect();
        out.push_str(&section(
            "notes",
            "notes",
            "Files not shown",
            &format!("<ul>{items}</ul>"),
        ));
    }
    out
}

/// The violations section: one item per violation, linking to `#anchor`.
fn violations_list(items: &[(String, String, String)]) -> String {
    let content = if items.is_empty() {
        "<p>✓ No violations in this window.</p>".to_owned()
    } else {
        let mut s = String::from("<ul class=\"violations\">");
        for (anchor, what, desc) in items {
            let _ = write!(
                s,
                "<li>▲ <a href=\"#{}\">{}</a>: {}</li>",
                esc(anchor),
                esc(what),
                esc(desc)
            );
        }
        s.push_str("</ul>");
        s
    };
    section("violations", "violations", "Violations", &content)
}

/// `(x, cumulative share)` points of a numeric feature from its KLL buckets.
fn kll_cdf(f: &FeatureStatistics) -> Vec<(f64, f64)> {
    let Some(n) = &f.numerical_statistics else {
        return Vec::new();
    };
    let buckets = &n.distribution.kll.buckets;
    let total: f64 = buckets.iter().map(|b| b.count).sum();
    if total <= 0.0 {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(buckets.len() + 1);
    if let Some(b) = buckets.first() {
        out.push((b.lower_bound, 0.0));
    }
    let mut cum = 0.0;
    for b in buckets {
        cum += b.count;
        out.push((b.upper_bound, cum / total));
    }
    out
}

/// Category shares of a string feature, the most frequent first (at most `top`).
fn shares(f: Option<&FeatureStatistics>) -> Vec<(String, f64)> {
    let Some(s) = f.and_then(|f| f.string_statistics.as_ref()) else {
        return Vec::new();
    };
    let total: u64 = s
        .distribution
        .categorical
        .buckets
        .iter()
        .map(|b| b.count)
        .sum();
    let mut v: Vec<(String, f64)> = s
        .distribution
        .categorical
        .buckets
        .iter()
        .map(|b| (b.value.clone(), b.count as f64 / total.max(1) as f64))
        .collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// The history of one value over the monitor's windows.
fn history_points(
    history: &[Execution],
    value: impl Fn(&Execution) -> Option<(f64, bool)>,
) -> Vec<Point> {
    history
        .iter()
        .map(|e| {
            let v = value(e);
            Point {
                label: window_label(e.window_end),
                value: v.map(|x| x.0),
                violated: v.is_some_and(|x| x.1),
            }
        })
        .collect()
}

/// How one feature's drift was judged, in the words the report shows.
struct DriftTest {
    method: &'static str,
    figure: &'static str,
    threshold: f64,
    rule: String,
    y_label: &'static str,
}

impl DriftTest {
    /// Under the drift policy (the constraints carry its block) the effect, its floor and the
    /// Benjamini–Hochberg rule; otherwise SageMaker's distance and threshold.
    fn of(
        eff: &crate::formats::constraints::EffectiveConfig,
        policy: Option<&crate::formats::constraints::DriftPolicy>,
        numeric: bool,
        drift: Option<&crate::execution::FeatureDrift>,
    ) -> Self {
        if let Some(p) = policy {
            let floor = if numeric {
                p.numerical_effect_floor
            } else {
                p.categorical_effect_floor
            };
            let rule = format!(
                "violation when the effect exceeds it and the adjusted p-value is below {}",
                num(p.false_discovery_rate)
            );
            return if numeric {
                DriftTest {
                    method: "drift policy: normalised Wasserstein (W1 / baseline SD), KS test from the sketches",
                    figure: "effect (baseline SDs)",
                    threshold: drift.and_then(|d| d.effect_floor).unwrap_or(floor),
                    rule,
                    y_label: "effect (baseline SDs)",
                }
            } else {
                DriftTest {
                    method: "drift policy: largest category share change, χ² contingency test",
                    figure: "effect (share change)",
                    threshold: drift.and_then(|d| d.effect_floor).unwrap_or(floor),
                    rule,
                    y_label: "share change (0–1)",
                }
            };
        }
        let sagemaker = |method, threshold| DriftTest {
            method,
            figure: "distance",
            threshold,
            rule: "violation when distance above".into(),
            y_label: "distance (0–1)",
        };
        if numeric {
            let method = match eff.comparison_method {
                ComparisonMethod::Simple => "L∞ distance of the CDFs (Simple)",
                ComparisonMethod::Robust => "L∞ distance of the CDFs (Robust)",
            };
            return sagemaker(method, eff.comparison_threshold);
        }
        match eff.categorical_drift_method {
            CategoricalDriftMethod::LInfinity => sagemaker(
                "L∞ distance of category shares",
                eff.categorical_comparison_threshold,
            ),
            CategoricalDriftMethod::ChiSquared => DriftTest {
                method: "χ² test (p-value)",
                figure: "p-value",
                threshold: eff.categorical_comparison_threshold,
                rule: "violation when p-value below".into(),
                y_label: "p-value (0–1)",
            },
        }
    }
}

// Why it is long: one feature's block is a fixed sequence (facts table, distribution chart
// by type, history chart), and splitting it would pass the same six values around.
/// One data-quality feature: distance, test, decision and threshold; its distribution
/// against the baseline; its distance over the last windows.
fn dq_feature(
    inp: &WindowInputs,
    name: &str,
    window: Option<&FeatureStatistics>,
    baseline: Option<&FeatureStatistics>,
    constraints: Option<&Constraints>,
    flagged: &[String],
) -> String {
    let id = slug("f", name);
    let eff = constraints.map(|c| c.effective(name)).unwrap_or_default();
    let numeric = baseline
        .or(window)
        .is_some_and(|f| f.numerical_statistics.is_some());
    let drift = inp.exec.drift.iter().find(|d| d.feature == name);
    let policy = constraints.and_then(|c| c.drift_policy().ok().flatten());
    let test = DriftTest::of(&eff, policy.as_ref(), numeric, drift);
    let mut decision = if !flagged.is_empty() {
        format!("▲ violation: {}", esc(&flagged.join(", ")))
    } else {
        "✓ no violation".to_owned()
    };
    if drift.and_then(|d| d.decision.as_deref()) == Some("LacksPower") {
        decision.push_str(" (too few records for the test to have power)");
    }
    let mut rows = vec![
        (
            "type",
            esc(
                &format!("{:?}", baseline.or(window).map(|f| f.inferred_type))
                    .replace("Some(", "")
                    .replace(')', ""),
            ),
        ),
        ("test", test.method.to_owned()),
        (
            test.figure,
            drift.map_or("not compared".into(), |d| num(d.distance)),
        ),
    ];
    if let Some(d) = drift.filter(|d| d.p_value.is_some()) {
        let p = d.p_value.map_or_else(String::new, num);
        let adjusted = d
            .adjusted_p_value
            .map_or("none: left the family".into(), num);
        rows.push((
            "p-value",
            format!("{p} (Benjamini–Hochberg adjusted: {adjusted})"),
        ));
    }
    rows.push((
        "threshold",
        format!("{} ({})", num(test.threshold), test.rule),
    ));
    rows.push(("decision", decision));
    if let Some(c) = window.and_then(|f| f.common()) {
        rows.push((
            "present / missing",
            format!("{} / {}", c.num_present, c.num_missing),
        ));
    }
    let mut charts_html = String::from("<div class=\"grid\">");
    if numeric {
        let (b, w) = (
            baseline.map(kll_cdf).unwrap_or_default(),
            window.map(kll_cdf).unwrap_or_default(),
        );
        charts_html.push_str(&charts::cdf_pair(
            &format!("{id}-dist"),
            &format!("{name}: distribution, baseline vs window"),
            &format!("{name} (feature units)"),
            &b,
            &w,
        ));
    } else {
        let (b, w) = (shares(baseline), shares(window));
        let mut cats: Vec<String> = b.iter().map(|x| x.0.clone()).take(10).collect();
        for (k, _) in w.iter().take(10) {
            if !cats.contains(k) && cats.len() < 14 {
                cats.push(k.clone());
            }
        }
        let share = |v: &[(String, f64)], k: &str| v.iter().find(|x| x.0 == k).map_or(0.0, |x| x.1);
        let rows: Vec<(String, f64, f64)> = cats
            .iter()
            .map(|k| (k.clone(), share(&b, k), share(&w, k)))
            .collect();
        charts_html.push_str(&charts::share_bars(
            &format!("{id}-dist"),
            &format!("{name}: category shares, baseline vs window"),
            &rows,
        ));
    }
    let points = history_points(&inp.history, |e| {
        e.drift
            .iter()
            .find(|d| d.feature == name)
            .map(|d| (d.distance, d.violated))
    });
    let y_label = test.y_label;
    charts_html.push_str(&charts::series(
        &format!("{id}-hist"),
        &format!("{name}: drift over the last windows"),
        y_label,
        &points,
        Some(test.threshold),
    ));
    charts_html.push_str("</div>");
    format!(
        "<section id=\"{id}\" class=\"feature\"><h3>{}{}</h3>{}{charts_html}</section>",
        if flagged.is_empty() { "" } else { "▲ " },
        esc(name),
        facts(&rows)
    )
}

/// The data-quality sections.
fn data_quality(inp: &WindowInputs) -> String {
    let KindFiles::DataQuality {
        window,
        baseline,
        constraints,
        violations,
    } = &inp.files
    else {
        return String::new();
    };
    let vs = violations
        .as_ref()
        .map(|v| v.violations.as_slice())
        .unwrap_or_default();
    let items: Vec<_> = vs
        .iter()
        .map(|v| {
            (
                slug("f", &v.feature_name),
                format!("{} ({})", v.feature_name, v.constraint_check_type),
                v.description.clone(),
            )
        })
        .collect();
    let mut out = violations_list(&items);
    // multivariate drift (issue 13 item 4): one line, the raw error and its band
    if let Some(m) = &inp.exec.multivariate_drift {
        let band = match (m.lower, m.upper) {
            (Some(l), Some(u)) => format!("band [{}, {}]", num(l), num(u)),
            _ => "no band (baseline too small)".into(),
        };
        out.push_str(&format!(
            "<p class=\"multivariate\" id=\"{}\">Multivariate drift (PCA reconstruction error over {} numeric features, {} components): {} against the baseline's {}, {band}: {}</p>",
            // the violations list links here (its item is named after the violation's feature)
            slug("f", crate::data_quality::multivariate::VIOLATION_FEATURE),
            m.features,
            m.components,
            num(m.reconstruction_error),
            num(m.baseline_error),
            if m.violated { "outside the band" } else { "within the band" },
        ));
    }
    let mut names: Vec<&str> = baseline
        .iter()
        .flat_map(|s| s.features.iter().map(|f| f.name.as_str()))
        .collect();
    for f in window.iter().flat_map(|s| &s.features) {
        if !names.contains(&f.name.as_str()) {
            names.push(&f.name);
        }
    }
    let mut feats = String::new();
    for name in names {
        let flagged: Vec<String> = vs
            .iter()
            .filter(|v| v.feature_name == name)
            .map(|v| v.constraint_check_type.to_string())
            .collect();
        feats.push_str(&dq_feature(
            inp,
            name,
            window.as_ref().and_then(|s| s.feature(name)),
            baseline.as_ref().and_then(|s| s.feature(name)),
            constraints.as_ref(),
            &flagged,
        ));
    }
    out.push_str(&format!(
        "<section id=\"features\" class=\"features\"><h2>Features</h2>{feats}</section>"
    ));
    out
}

/// `(x, y)` points of a stored curve.
fn curve(stats: Option<&ModelQualityStatistics>, name: &str) -> Option<Vec<(f64, f64)>> {
    match stats?.metric(name)? {
        MetricEntry::Roc {
            false_positive_rates,
            true_positive_rates,
        } => Some(
            false_positive_rates
                .iter()
                .copied()
                .zip(true_positive_rates.iter().copied())
                .collect(),
        ),
        MetricEntry::PrecisionRecall {
            precisions,
            recalls,
        } => Some(
            recalls
                .iter()
                .copied()
                .zip(precisions.iter().copied())
                .collect(),
        ),
        _ => None,
    }
}

// Why it is long: the model-quality page is four fixed parts (metrics table, confusion
// matrix, the two curves, metrics over time), each a few lines over the same inputs.
/// The model-quality sections.
fn model_quality(inp: &WindowInputs) -> String {
    let KindFiles::ModelQuality {
        window,
        baseline,
        constraints,
        violations,
    } = &inp.files
    else {
        return String::new();
    };
    let vs = violations
        .as_ref()
        .map(|v| v.violations.as_slice())
        .unwrap_or_default();
    let items: Vec<_> = vs
        .iter()
        .map(|v| {
            (
                slug("m", &v.metric_name),
                v.metric_name.clone(),
                v.description.clone(),
            )
        })
        .collect();
    let mut out = violations_list(&items);
    // metrics table: every scalar of the window, its baseline value and constraint
    let mut rows = Vec::new();
    for (name, entry) in window.iter().flat_map(|w| w.metrics()) {
        let Some(s) = entry.as_scalar() else { continue };
        let base = baseline
            .as_ref()
            .and_then(|b| b.scalar(name))
            .map(|b| num(b.value))
            .unwrap_or_else(|| "–".into());
        let c = constraints.as_ref().and_then(|c| c.get(name));
        // violations name metrics in lowerCamelCase (`true_positive_rate` → `truePositiveRate`)
        let spelled = violation_metric_name(name);
        let bad = vs
            .iter()
            .any(|v| v.metric_name == spelled || &v.metric_name == name);
        rows.push((
            bad,
            vec![
                format!(
                    "<span id=\"{}\">{}{}</span>",
                    slug("m", &spelled),
                    if bad { "▲ " } else { "" },
                    esc(name)
                ),
                num(s.value),
                s.standard_deviation.map_or("–".into(), num),
                base,
                c.map_or("–".into(), |c| {
                    format!(
                        "{} {}",
                        esc(c.comparison_operator.as_str()),
                        num(c.threshold)
                    )
                }),
                if bad {
                    "▲ violation".into()
                } else if c.is_some() {
                    "✓ ok".into()
                } else {
                    "–".into()
                },
            ],
        ));
    }
    out.push_str(&section(
        "metrics",
        "metrics",
        "Metrics",
        &table(
            &[
                "metric",
                "window",
                "std. dev.",
                "baseline",
                "constraint",
                "decision",
            ],
            &[false, true, true, true, false, false],
            &rows,
        ),
    ));
    if let Some(cm) = window.as_ref().and_then(|w| w.confusion_matrix()) {
        out.push_str(&section(
            "confusion",
            "charts",
            "Confusion matrix",
            &charts::confusion(
                "cm",
                "Confusion matrix of the window (rows: actual label, columns: predicted label)",
                &cm.rows,
            ),
        ));
    }
    let mut curves_html = String::new();
    for (key, id, title, axes) in [
        (
            "receiver_operating_characteristic_curve",
            "roc",
            "ROC curve, baseline vs window",
            ("false positive rate (0–1)", "true positive rate (0–1)"),
        ),
        (
            "precision_recall_curve",
            "pr",
            "Precision-recall curve, baseline vs window",
            ("recall (0–1)", "precision (0–1)"),
        ),
    ] {
        if let Some(w) = curve(window.as_ref(), key) {
            let b = curve(baseline.as_ref(), key);
            curves_html.push_str(&charts::curves(id, title, axes, b.as_deref(), &w));
        }
    }
    if !curves_html.is_empty() {
        out.push_str(&section(
            "curves",
            "charts",
            "ROC and precision-recall curves",
            &format!("<div class=\"grid\">{curves_html}</div>"),
        ));
    }
    let mut over_time = String::new();
    for (name, c) in constraints.iter().flat_map(|c| c.constraints()) {
        let points = history_points(&inp.history, |e| {
            e.model_metrics
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| (*v, is_violated(*v, c.comparison_operator, c.threshold)))
        });
        if points.iter().all(|p| p.value.is_none()) {
            continue;
        }
        // rates and scores are unitless in [0, 1]; regression errors are in the label's units
        let unit_range = points
            .iter()
            .filter_map(|p| p.value)
            .chain([c.threshold])
            .all(|v| (0.0..=1.0).contains(&v));
        let y_label = if unit_range {
            "value (0–1)"
        } else {
            "value (label units)"
        };
        over_time.push_str(&charts::series(
            &slug("t", name),
            &format!("{name} over the last windows"),
            y_label,
            &points,
            Some(c.threshold),
        ));
    }
    if !over_time.is_empty() {
        out.push_str(&section(
            "history",
            "charts",
            "Metrics over time, with the constraint line",
            &format!("<div class=\"grid\">{over_time}</div>"),
        ));
    }
    out
}

/// The bias sections: per stage and facet, each metric against its baseline value.
fn bias(inp: &WindowInputs) -> String {
    let KindFiles::Bias {
        window,
        baseline,
        violations,
    } = &inp.files
    else {
        return String::new();
    };
    let vs = violations
        .as_ref()
        .map(|v| v.violations.as_slice())
        .unwrap_or_default();
    let anchor = |facet: &str, value: &str| slug("b", &format!("{facet}={value}"));
    let items: Vec<_> = vs
        .iter()
        .map(|v| {
            (
                anchor(&v.facet, &v.facet_value),
                format!("{} ({}={})", v.metric_name, v.facet, v.facet_value),
                v.description.clone(),
            )
        })
        .collect();
    let mut out = violations_list(&items);
    for (stage, pick) in [
        (
            "Post-training bias metrics",
            (|a: &BiasAnalysis| a.post_training_bias_metrics.clone()) as fn(&BiasAnalysis) -> _,
        ),
        ("Pre-training bias metrics", |a: &BiasAnalysis| {
            a.pre_training_bias_metrics.clone()
        }),
    ] {
        let Some(block) = window.as_ref().and_then(pick) else {
            continue;
        };
        let post = stage.starts_with("Post");
        let base_entries = baseline
            .as_ref()
            .and_then(pick)
            .and_then(|b| b.entries().ok())
            .unwrap_or_default();
        let mut content = String::new();
        for (facet, fm) in block.entries().unwrap_or_default() {
            let base = base_entries
                .iter()
                .find(|(f, e)| *f == facet && e.value_or_threshold == fm.value_or_threshold);
            let rows: Vec<Compared> = fm
                .metrics
                .iter()
                .map(|m| Compared {
                    name: m.name.clone(),
                    baseline: base
                        .and_then(|(_, b)| b.metrics.iter().find(|x| x.name == m.name))
                        .and_then(|x| x.value.as_f64()),
                    window: m.value.as_f64(),
                    violated: vs.iter().any(|v| {
                        v.metric_name == m.name
                            && v.facet == facet
                            && v.facet_value == fm.value_or_threshold
                    }),
                })
                .collect();
            let id = anchor(&facet, &fm.value_or_threshold);
            let title = format!(
                "{stage}: {facet} = {}, window vs baseline",
                fm.value_or_threshold
            );
            // the violations list links to the post-training section of the facet
            let id = if post { id } else { format!("{id}-pre") };
            let _ = write!(
                content,
                "<section id=\"{id}\" class=\"facet\"><h3>{}</h3>{}</section>",
                esc(&format!("facet {facet} = {}", fm.value_or_threshold)),
                charts::compare(
                    &format!("{id}-chart"),
                    &title,
                    "metric value (unitless; 0 is no bias, DI: 1)",
                    &rows
                )
            );
        }
        let sid = if post {
            "post-training"
        } else {
            "pre-training"
        };
        out.push_str(&section(sid, "charts", stage, &content));
    }
    out
}

/// The attribution sections: baseline and window rankings side by side, nDCG against its
/// threshold, nDCG over time.
fn attribution(inp: &WindowInputs) -> String {
    let KindFiles::Attribution {
        window,
        baseline,
        violations,
        threshold,
    } = &inp.files
    else {
        return String::new();
    };
    let vs = violations
        .as_ref()
        .map(|v| v.violations.as_slice())
        .unwrap_or_default();
    let items: Vec<_> = vs
        .iter()
        .map(|v| {
            (
                slug("l", &v.label),
                format!("{} ({})", v.label, v.constraint_check_type),
                v.description.clone(),
            )
        })
        .collect();
    let mut out = violations_list(&items);
    let base_labels = baseline
        .as_ref()
        .and_then(|b| b.labels().ok())
        .unwrap_or_default();
    for (label, w) in window
        .as_ref()
        .and_then(|w| w.labels().ok())
        .unwrap_or_default()
    {
        let ranked = |mut v: Vec<(String, f64)>| {
            v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            v
        };
        let wv = ranked(w.values());
        let bv = base_labels
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, b)| ranked(b.values()))
            .unwrap_or_default();
        let ndcg = drift_math::shap::ndcg_by_name(&bv, &wv).ok();
        let bad = vs.iter().any(|v| v.label == label);
        let id = slug("l", &label);
        let rows = [
            ("nDCG of the window's ranking", ndcg.map_or("–".into(), num)),
            (
                "threshold",
                format!("{} (violation when nDCG below)", num(*threshold)),
            ),
            (
                "decision",
                if bad {
                    "▲ violation".into()
                } else {
                    "✓ no violation".into()
                },
            ),
            ("expected value (window)", num(w.expected_value)),
        ];
        let charts_html = format!(
            "<div class=\"grid\">{}{}</div>",
            charts::ranking(
                &format!("{id}-base"),
                &format!("{label}: baseline SHAP ranking"),
                "mean |SHAP| (model output units)",
                &bv
            ),
            charts::ranking(
                &format!("{id}-win"),
                &format!("{label}: window SHAP ranking"),
                "mean |SHAP| (model output units)",
                &wv
            ),
        );
        let points = history_points(&inp.history, |e| {
            e.model_metrics
                .iter()
                .find(|(k, _)| k == "ndcg")
                .map(|(_, v)| (*v, *v < *threshold))
        });
        let hist = charts::series(
            &format!("{id}-hist"),
            &format!("{label}: nDCG over the last windows"),
            "nDCG (0–1)",
            &points,
            Some(*threshold),
        );
        out.push_str(&format!(
            "<section id=\"{id}\" class=\"charts\"><h2>{}Label {}: feature attribution</h2>{}{charts_html}<div class=\"grid\">{hist}</div></section>",
            if bad { "▲ " } else { "" },
            esc(&label),
            facts(&rows)
        ));
    }
    out
}
