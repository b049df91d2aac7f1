//! The "Variants" section of a window report: `variant_comparison.json` ([`crate::variants`])
//! as one table per compared variant, rows that differ marked.

use std::fmt::Write;

use super::html::{section, table};
use super::svg::{esc, num};
use crate::variants::VariantComparison;

/// A p-value as text (`–` when absent).
fn p(x: Option<f64>) -> String {
    x.map_or_else(|| "–".into(), num)
}

/// The section, or nothing without a comparison.
pub(crate) fn variants_section(c: Option<&VariantComparison>) -> String {
    let Some(c) = c else {
        return String::new();
    };
    let mut content = String::new();
    let counts: Vec<String> = c
        .variants
        .iter()
        .map(|v| format!("{} ({} records)", esc(&v.variant), v.records))
        .collect();
    let _ = write!(
        content,
        "<p>Reference variant <strong>{}</strong>; variants in the window: {}. Intervals at {} confidence.</p>",
        esc(&c.reference),
        counts.join(", "),
        num(c.confidence_level)
    );
    for pair in &c.comparisons {
        let verdict = if pair.differs {
            "differs"
        } else {
            "no significant difference"
        };
        let _ = write!(
            content,
            "<h3>{} against {}: {verdict}</h3>",
            esc(&pair.variant),
            esc(&pair.reference)
        );
        if !pair.data_drift.is_empty() {
            let rows: Vec<(bool, Vec<String>)> = pair
                .data_drift
                .iter()
                .map(|f| {
                    (
                        f.decision == "Drift",
                        vec![
                            esc(&f.feature),
                            esc(&f.check),
                            esc(&f.method),
                            num(f.effect),
                            num(f.effect_floor),
                            num(f.p_value),
                            p(f.adjusted_p_value),
                            esc(&f.decision),
                        ],
                    )
                })
                .collect();
            content.push_str(&table(
                &[
                    "feature",
                    "check",
                    "method",
                    "effect",
                    "floor",
                    "p-value",
                    "BH-adjusted",
                    "decision",
                ],
                &[false, false, false, true, true, true, true, false],
                &rows,
            ));
        }
        if !pair.model_metrics.is_empty() {
            let rows: Vec<(bool, Vec<String>)> = pair
                .model_metrics
                .iter()
                .map(|m| {
                    (
                        m.significant,
                        vec![
                            esc(&m.metric),
                            num(m.reference_value),
                            num(m.value),
                            num(m.difference),
                            format!("[{}, {}]", num(m.lower), num(m.upper)),
                            num(m.p_value),
                            num(m.adjusted_p_value),
                            esc(&m.test),
                        ],
                    )
                })
                .collect();
            content.push_str(&table(
                &[
                    "metric",
                    "reference",
                    "variant",
                    "difference",
                    "interval",
                    "p-value",
                    "BH-adjusted",
                    "test",
                ],
                &[false, true, true, true, false, true, true, false],
                &rows,
            ));
        }
    }
    section("variants", "variants", "Variants", &content)
}
