//! The demo's segment hour (issue 15, item 3): one hour of the scenario's traffic to another
//! endpoint in which only the customers of one region ([`SLICE_REGION`], a tenth of the
//! traffic) carry a shift of `monthly_charges` ([`slice_drift`]; the model's `score` follows
//! it, as it reads the observed input). A data-quality monitor with a `segments` block
//! (slices by `region`) judges the window as a whole and per slice: the whole window passes,
//! the slice fails. It runs on a store of its own, so the main demo's files stay as they were.

use monitor_core::app::ingest;
use monitor_core::config::{save_monitor, MonitorConfig};
use monitor_core::execution::{Execution, ExecutionStatus};
use monitor_core::segments::{SegmentsReport, SEGMENTS_FILE};
use monitor_core::store::{LocalStore, ObjectStore};

use super::hour::{tick_hour_zero, write_baseline};
use crate::scenario::{Drift, Scenario};

/// The segment hour's endpoint.
pub const SEGMENT_ENDPOINT: &str = "churn-segments-endpoint";
/// Its data-quality monitor, with the `segments` block.
pub const SEGMENT_MONITOR: &str = "churn-segments-dq";
/// The slicing feature.
pub const SLICE_FEATURE: &str = "region";
/// The region whose traffic drifts (10 % of the records).
pub const SLICE_REGION: &str = "central";
/// The drift of [`SLICE_REGION`]'s records, in the feature's standard deviations.
pub const SLICE_SHIFT_IN_STD: f64 = 0.4;

/// What [`SLICE_REGION`]'s traffic carries: `monthly_charges` shifted by
/// [`SLICE_SHIFT_IN_STD`]. Over the whole window that is a tenth of the shift (0.04 SD),
/// under the drift policy's floor of 0.05 SD (`numerical_effect_floor`).
#[must_use]
pub fn slice_drift() -> Drift {
    Drift::NumericShift {
        feature: "monthly_charges",
        shift_in_std: SLICE_SHIFT_IN_STD,
    }
}

/// The segment hour's monitor: the scenario's data-quality monitor with one open-ended
/// slicing by [`SLICE_FEATURE`] (a slice per region seen).
#[must_use]
pub fn segment_monitor_json() -> serde_json::Value {
    serde_json::json!({
        "name": SEGMENT_MONITOR,
        "endpoint": SEGMENT_ENDPOINT,
        "baseline_prefix": format!("baselines/{SEGMENT_MONITOR}"),
        "window_minutes": 60,
        "segments": {"slices": [{"feature": SLICE_FEATURE}], "max_slices": 20},
    })
}

/// What the segment hour produced.
#[derive(Debug, Clone)]
pub struct SegmentHour {
    /// the whole window's execution (its status is the whole window's)
    pub execution: Execution,
    /// the window's `segments.json`
    pub segments: SegmentsReport,
}

/// Runs the segment hour on `store` (empty): the baseline, the monitor, hour 0 of `scenario`
/// with [`slice_drift`] confined to [`SLICE_REGION`] through capture-ingest per object, and
/// the tick of that hour. Returns the execution and `segments.json`.
///
/// # Errors
/// Any step's error, and a tick that wrote no `segments.json`.
pub async fn run_segment_hour(
    store: &LocalStore,
    scenario: &Scenario,
) -> anyhow::Result<SegmentHour> {
    let prefix = format!("baselines/{SEGMENT_MONITOR}");
    write_baseline(store, scenario, "datasets/train.csv", &prefix).await?;
    let cfg = MonitorConfig::from_json(
        "segment-hour",
        segment_monitor_json().to_string().as_bytes(),
    )?;
    save_monitor(store, &cfg).await?;
    for (key, body) in scenario.capture_files_in_slice(
        SEGMENT_ENDPOINT,
        0,
        &[slice_drift()],
        (SLICE_FEATURE, SLICE_REGION),
    ) {
        store.put(&key, body).await?;
        ingest::run(store, std::slice::from_ref(&key)).await?;
    }
    let execution = tick_hour_zero(store, scenario, SEGMENT_MONITOR).await?;
    let key = format!("{}{SEGMENTS_FILE}", execution.report_prefix);
    let segments = SegmentsReport::from_json(&key, &store.get(&key).await?)?;
    Ok(SegmentHour {
        execution,
        segments,
    })
}

/// The features a slice's drift check flagged, as `feature distance`.
#[must_use]
pub fn drifted(drift: &[monitor_core::execution::FeatureDrift]) -> Vec<String> {
    drift
        .iter()
        .filter(|d| d.violated)
        .map(|d| format!("{} {:.2}", d.feature, d.distance))
        .collect()
}

/// Prints the whole window's verdict and the slice table of `segments.json`.
pub fn print_segment_hour(h: &SegmentHour, root: &str) {
    let e = &h.execution;
    let whole = drifted(&e.drift);
    let monthly = e
        .drift
        .iter()
        .find(|d| d.feature == "monthly_charges")
        .map_or(f64::NAN, |d| d.distance);
    println!(
        "\nSegment hour (endpoint {}, monitor {}): whole window {} records, {}{}",
        e.endpoint_name,
        e.monitoring_schedule_name,
        h.segments.records,
        status_word(e.status),
        if whole.is_empty() {
            format!(" (monthly_charges {monthly:.3} SD, under the 0.05 floor)")
        } else {
            format!(" (drifted: {})", whole.join(", "))
        }
    );
    println!(
        "  {:<18} {:>7} {:>6} {:>10}  drifted (normalised distance)",
        "slice", "records", "share", "violations"
    );
    for s in &h.segments.segments {
        let d = drifted(&s.drift);
        println!(
            "  {:<18} {:>7} {:>5.1}% {:>10}  {}",
            s.segment,
            s.records,
            s.share * 100.0,
            s.violations,
            if d.is_empty() {
                "-".into()
            } else {
                d.join(", ")
            }
        );
    }
    println!(
        "  injected: monthly_charges shifted by {SLICE_SHIFT_IN_STD} SD for {SLICE_FEATURE}={SLICE_REGION} only; \
         files under {root}/reports/{}/{}/ (segments.json, report.html)",
        e.endpoint_name, e.monitoring_schedule_name
    );
}

/// `Completed`, `CompletedWithViolations` or `Failed`.
pub(crate) fn status_word(s: ExecutionStatus) -> String {
    format!("{s:?}")
}
