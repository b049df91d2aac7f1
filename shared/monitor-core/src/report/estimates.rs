//! The "Performance before labels" section of a model-quality window report: each CBPE
//! estimate with its interval beside the realised value once labels are joined
//! ([`crate::model_quality::cbpe`]).

use super::html::{section, table};
use super::svg::{esc, num};
use crate::execution::Execution;

/// The section, or nothing for an execution without estimates.
pub(crate) fn estimates_section(e: &Execution) -> String {
    let Some(est) = &e.estimated_metrics else {
        return String::new();
    };
    let rows: Vec<(bool, Vec<String>)> = est
        .metrics
        .iter()
        .map(|(name, m)| {
            let realised = m.realised.map_or("–".to_owned(), num);
            let inside = match m.realised {
                Some(r) if r < m.lower || r > m.upper => "outside",
                Some(_) => "inside",
                None => "labels pending",
            };
            (
                est.violations.contains(name),
                vec![
                    esc(name),
                    num(m.value),
                    format!("[{}, {}]", num(m.lower), num(m.upper)),
                    realised,
                    inside.to_owned(),
                ],
            )
        })
        .collect();
    let content =
        format!(
        "<p>Estimated from the calibrated scores of {} predictions (CBPE); a marked row's upper \
         bound is below its baseline constraint.</p>{}",
        est.predictions,
        table(
            &["metric", "estimate", "interval", "realised", "realised vs interval"],
            &[false, true, false, true, false],
            &rows,
        )
    );
    section(
        "estimates",
        "estimates",
        "Performance before labels",
        &content,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::execution::Window;
    use crate::model_quality::cbpe::{EstimatedMetric, EstimatedMetrics};

    #[test]
    fn shows_estimate_interval_and_realised() {
        let cfg: crate::config::MonitorConfig = serde_json::from_str(
            r#"{"name":"m","endpoint":"ep","baseline_prefix":"b","kind":"ModelQuality",
                "model_quality":{"problem_type":"BinaryClassification"}}"#,
        )
        .unwrap();
        let now = chrono::Utc::now();
        let mut e = Execution::failed(&cfg, Window::new(now, now));
        assert_eq!(estimates_section(&e), "");
        let mut est = EstimatedMetrics {
            predictions: 7,
            ..Default::default()
        };
        est.metrics.insert(
            "accuracy".into(),
            EstimatedMetric {
                value: 0.8,
                lower: 0.7,
                upper: 0.9,
                realised: Some(0.95),
            },
        );
        est.violations.push("accuracy".into());
        e.estimated_metrics = Some(est);
        let html = estimates_section(&e);
        assert!(html.contains("Performance before labels"), "{html}");
        assert!(
            html.contains("[0.7, 0.9]") && html.contains("0.95"),
            "{html}"
        );
        assert!(
            html.contains("outside") && html.contains("bad-row"),
            "{html}"
        );
    }
}
