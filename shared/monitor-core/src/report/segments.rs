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
    section("segments", "segments", "Segments", &content)
}
