//! The "Segments" section of a window report: `segments.json` ([`crate::segments`]) as one
//! table of slices (records, share, violations, drifted features), slices with violations
//! marked.

use std::fmt::Write;

use super::html::{section, table};
use super::svg::{esc, num};
use crate::segments::SegmentsReport;

/// The section, or nothing without a `segments.json`.
pub(crate) fn segments_section(r: Option<&SegmentsReport>) -> String {
    let Some(r) = r else {
        return String::new();
    };
    let mut content = String::new();
    let failing = r.segments.iter().filter(|s| s.violations > 0).count();
    let _ = write!(
        content,
        "<p>{} slices of {} records; {failing} with violations. Cap {} slices{}.</p>",
        r.segments.len(),
        r.records,
        r.max_slices,
        if r.capped > 0 {
            format!(", {} folded into __other__", r.capped)
        } else {
            String::new()
        }
    );
    let rows: Vec<(bool, Vec<String>)> = r
        .segments
        .iter()
        .map(|s| {
            let drifted: Vec<String> = s
                .drift
                .iter()
                .filter(|d| d.violated)
                .map(|d| format!("{} ({})", esc(&d.feature), num(d.distance)))
                .collect();
            (
                s.violations > 0,
                vec![
                    esc(&s.segment),
                    s.records.to_string(),
                    num(s.share),
                    s.violations.to_string(),
                    if drifted.is_empty() {
                        "–".into()
                    } else {
                        drifted.join(", ")
                    },
                ],
            )
        })
        .collect();
    content.push_str(&table(
        &[
            "segment",
            "records",
            "share",
            "violations",
            "drifted features",
        ],
        &[false, true, true, true, false],
        &rows,
    ));
    content.push_str(&estimates_table(r));
    section("segments", "segments", "Segments", &content)
}

/// The slices' label-free estimates (CBPE), one row per slice and metric, with the realised
/// value beside each once labels are joined; a marked row's upper bound is below its
/// baseline constraint. Nothing when no slice has estimates.
fn estimates_table(r: &SegmentsReport) -> String {
    let rows: Vec<(bool, Vec<String>)> = r
        .segments
        .iter()
        .filter_map(|s| Some((s, s.estimated_metrics.as_ref()?)))
        .flat_map(|(s, est)| {
            est.metrics.iter().map(move |(name, m)| {
                let inside = match m.realised {
                    Some(x) if x < m.lower || x > m.upper => "outside",
                    Some(_) => "inside",
                    None => "labels pending",
                };
                (
                    est.violations.contains(name),
                    vec![
                        esc(&s.segment),
                        est.predictions.to_string(),
                        esc(name),
                        num(m.value),
                        format!("[{}, {}]", num(m.lower), num(m.upper)),
                        m.realised.map_or("–".to_owned(), num),
                        inside.to_owned(),
                    ],
                )
            })
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    format!(
        "<p>Performance before labels per slice (CBPE): each estimate with its interval, the \
         realised value beside it once labels are joined.</p>{}",
        table(
            &[
                "segment",
                "predictions",
                "metric",
                "estimate",
                "interval",
                "realised",
                "realised vs interval",
            ],
            &[false, true, false, true, false, true, false],
            &rows,
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{MonitorConfig, MonitorKind};
    use crate::execution::Window;
    use crate::model_quality::cbpe::{EstimatedMetric, EstimatedMetrics};
    use crate::segments::Segment;

    #[test]
    fn a_slice_shows_its_estimates_beside_the_realised_values() {
        let cfg = MonitorConfig::new("m", MonitorKind::ModelQuality, "e", "b");
        let t = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let mut r = SegmentsReport::new(&cfg, Window::new(t, t), 10, 20);
        let mut est = EstimatedMetrics {
            predictions: 7,
            ..Default::default()
        };
        est.metrics.insert(
            "accuracy".into(),
            EstimatedMetric {
                value: 0.61,
                lower: 0.5,
                upper: 0.72,
                realised: Some(0.4),
            },
        );
        est.violations.push("accuracy".into());
        r.segments.push(Segment {
            segment: "region=eu".into(),
            feature: "region".into(),
            value: "eu".into(),
            records: 7,
            share: 0.7,
            violations: 1,
            violations_by_check: Default::default(),
            drift: Vec::new(),
            model_metrics: [("accuracy".to_string(), 0.4)].into(),
            estimated_metrics: None,
            label_drift: None,
        });
        // without estimates: no estimates table
        assert!(!segments_section(Some(&r)).contains("realised vs interval"));
        r.segments[0].estimated_metrics = Some(est);
        let html = segments_section(Some(&r));
        assert!(html.contains("realised vs interval"), "{html}");
        let row = html
            .split("<tr class=\"bad-row\">")
            .nth(2)
            .expect("the violated estimate's row is marked");
        for cell in ["region=eu", "accuracy", "[0.5, 0.72]", "outside"] {
            assert!(row.contains(cell), "{cell} not in {row}");
        }
    }
}
