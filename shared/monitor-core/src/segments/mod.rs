//! Segments (issue 15, item 3): when a monitor config carries a `segments` block, every
//! window of a data-quality monitor is also judged per slice, with the same checks and drift
//! policy as the whole window, and the tick writes `segments.json` beside the window's
//! reports, metrics with a `Segment` dimension (`feature=value`), and a section of the HTML
//! report.
//!
//! - **Slicings** ([`config`]): a feature's values (`{"feature": "region"}`: one slice per
//!   value seen, or `"values": [...]` only those), a numeric feature's ranges
//!   (`{"feature": "age", "edges": [30, 50]}`: `age=<30`, `age=[30,50)`, `age=>=50`), or the
//!   model's low-confidence band (`{"low_confidence": {"threshold": 0.5, "delta": 0.1}}`:
//!   `low_confidence=yes` when `|p − 0.5| < 0.1`, on the first baseline feature, the model's
//!   first output column, unless `feature` names another). Slicings are not crossed: a record
//!   is in one slice of each. A record whose slice feature has no value is in
//!   `feature=__missing__`; a value that is not listed, or not a number for ranges, is in
//!   `feature=__other__`. Labels are ASCII (CloudWatch dimension values must be).
//! - **State** ([`slicing`]): each minute of a partial profile keeps one
//!   [`crate::data_quality::profile::DatasetProfile`] per slice beside the overall one
//!   (`segments`, omitted when empty, so older state files read unchanged); a window merges
//!   them as it merges the overall profile, so any split of the records into capture
//!   objects gives the same slices (tested).
//! - **The cap** (`max_slices`, default 20): the slices a window keeps over all slicings,
//!   `__missing__` and `__other__` not counted. Past it, values go to `__other__` rather
//!   than failing: a typed error would fail the whole capture object at ingest (and with it
//!   the overall profile, which is what the monitor is for) every time a new value appears,
//!   while the overflow slice keeps every record counted and `segments.json` says how many
//!   slices were folded into it (`capped`). A config whose listed values and ranges alone
//!   exceed the cap is refused on load. Each capture object caps the slices it opens; the
//!   window caps the union again, keeping the slices with the most records.
//! - **Model quality** ([`quality`]): ground-truth merge scores each joined record into its
//!   slices' states too (`segment_minutes` of the joined state, beside `minutes`); a feature
//!   slicing reads the prediction's facet of that name, so the feature must be one of
//!   `model_quality.facet_attributes`; the low-confidence band reads the prediction's
//!   probability. Each slice gets the window's metrics and the same constraint check
//!   (intervals when the baseline has them, else SageMaker's point rule).
//! - **Judgement** ([`data`]): each slice against the baseline with the drift policy and
//!   the checks of the overall window ([`crate::data_quality::tick::check_monitor_window`]).
//!   A slice's violations are reported in `segments.json` and its metrics; they do not
//!   change the window's execution status, which stays the whole window's (alarm on the
//!   `Segment` metrics instead).
//!
//! - **Estimated metrics** ([`estimated`]): a binary model-quality monitor with a CBPE
//!   baseline also counts each prediction's score per slice at ingest (the prediction
//!   index's `segment_scores`), so each slice gets its label-free estimates with their
//!   interval (`estimated_metrics`, the realised value beside each once labels are joined)
//!   as soon as the window's predictions are in, and its label drift once they are.
//!
//! Cost: each slice publishes the window's data-quality metrics again with a `Segment`
//! dimension, so a monitor with `k` slices publishes about `k + 1` times the metrics (each
//! one a CloudWatch custom metric, billed).

pub mod config;
pub mod data;
pub mod estimated;
pub mod quality;
pub mod slicing;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use config::{SegmentSettings, SliceSpec, SEGMENT_KEYS};
pub use slicing::Slicer;

use crate::config::MonitorConfig;
use crate::execution::{Execution, FeatureDrift, Stop, Window};
use crate::layout::report_file_key;
use crate::metrics::{MetricDatum, MetricSink};
use crate::store::ObjectStore;
use crate::CoreError;

/// `segments.json`: a window's slices, beside its reports.
pub const SEGMENTS_FILE: &str = "segments.json";
/// The `format` tag of [`SegmentsReport`].
pub const SEGMENTS_FORMAT: &str = "modelwatch.segments";
/// The layout version of [`SegmentsReport`] this crate writes.
pub const SEGMENTS_VERSION: u32 = 1;
/// The metric dimension naming the slice a datum describes (`feature=value`).
pub const SEGMENT_DIMENSION: &str = "Segment";

/// One window's slices (`segments.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentsReport {
    /// always [`SEGMENTS_FORMAT`]
    pub format: String,
    /// [`SEGMENTS_VERSION`]
    pub version: u32,
    /// the monitor
    pub monitor: String,
    /// its endpoint
    pub endpoint: String,
    /// first instant of the window
    pub window_start: DateTime<Utc>,
    /// first instant after it
    pub window_end: DateTime<Utc>,
    /// records of the whole window
    pub records: u64,
    /// the cap in force
    pub max_slices: usize,
    /// slices the window's cap folded into `__other__`
    pub capped: usize,
    /// one per slice, by key
    pub segments: Vec<Segment>,
}

/// One slice of a window, judged against the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// `feature=value` (the `Segment` dimension)
    pub segment: String,
    /// the slicing (a feature name or `low_confidence`)
    pub feature: String,
    /// the slice's value, range or band label
    pub value: String,
    /// records of the slice
    pub records: u64,
    /// `records` over the window's records
    pub share: f64,
    /// constraint violations of the slice
    pub violations: usize,
    /// violations per check type
    pub violations_by_check: BTreeMap<String, u64>,
    /// data quality: per feature, the drift figure and the drift policy's verdict
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<FeatureDrift>,
    /// model quality: the slice's metrics (SageMaker's keys: `accuracy`, `auc`, `mae`, …)
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub model_metrics: BTreeMap<String, f64>,
    /// model quality with a CBPE baseline: the slice's label-free estimates (each `value`,
    /// `lower`, `upper`, and `realised` once labels are joined), as in `execution.json`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_metrics: Option<crate::model_quality::cbpe::EstimatedMetrics>,
    /// model quality with a label-drift baseline block: the slice's label drift
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_drift: Option<crate::model_quality::label_drift::LabelDrift>,
}

impl SegmentsReport {
    /// An empty report of `cfg`'s `window`.
    #[must_use]
    pub fn new(cfg: &MonitorConfig, window: Window, records: u64, max_slices: usize) -> Self {
        Self {
            format: SEGMENTS_FORMAT.into(),
            version: SEGMENTS_VERSION,
            monitor: cfg.name.clone(),
            endpoint: cfg.endpoint.clone(),
            window_start: window.start,
            window_end: window.end,
            records,
            max_slices,
            capped: 0,
            segments: Vec::new(),
        }
    }

    /// The file's bytes (pretty JSON, fields in declaration order).
    ///
    /// # Errors
    /// [`CoreError::State`] when a figure is not finite (JSON cannot hold it).
    pub fn to_json(&self) -> Result<Vec<u8>, CoreError> {
        crate::formats::versioned::to_json(SEGMENTS_FILE, self)
    }

    /// Parses the file.
    ///
    /// # Errors
    /// [`CoreError::State`] naming `key` for malformed JSON or another format or version.
    pub fn from_json(key: &str, bytes: &[u8]) -> Result<Self, CoreError> {
        crate::formats::versioned::from_json(
            key,
            bytes,
            |f: &Self| (f.format.as_str(), f.version),
            SEGMENTS_FORMAT,
            SEGMENTS_VERSION,
        )
    }
}

/// Writes a window's `segments.json` into `exec`'s report folder, logs a line, and publishes
/// the slices' metrics (when the monitor publishes metrics): the same for data and model
/// quality.
///
/// # Errors
/// [`Stop::Error`] for the store's and the metric sink's errors.
pub(crate) async fn write_window<S: ObjectStore, M: MetricSink>(
    (store, metrics): (&S, &M),
    cfg: &MonitorConfig,
    exec: &Execution,
    report: &SegmentsReport,
    data: Vec<MetricDatum>,
) -> Result<(), Stop> {
    let key = report_file_key(&exec.report_prefix, SEGMENTS_FILE);
    store.put(&key, report.to_json()?).await?;
    tracing::info!(
        monitor = %cfg.name,
        slices = report.segments.len(),
        with_violations = report.segments.iter().filter(|s| s.violations > 0).count(),
        capped = report.capped,
        key = %key,
        "segments judged"
    );
    if cfg.publish_metrics {
        metrics
            .publish(&crate::metrics::sanitize(data).data)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_round_trips_and_names_another_version() {
        let cfg = MonitorConfig::new("m", crate::config::MonitorKind::DataQuality, "e", "b");
        let t = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let mut r = SegmentsReport::new(&cfg, Window::new(t, t), 10, 20);
        r.segments.push(Segment {
            segment: "region=eu".into(),
            feature: "region".into(),
            value: "eu".into(),
            records: 4,
            share: 0.4,
            violations: 0,
            violations_by_check: BTreeMap::new(),
            drift: Vec::new(),
            model_metrics: BTreeMap::new(),
            estimated_metrics: None,
            label_drift: None,
        });
        let bytes = r.to_json().unwrap();
        assert_eq!(SegmentsReport::from_json("k", &bytes).unwrap(), r);
        r.version = 2;
        let e = SegmentsReport::from_json("k", &r.to_json().unwrap()).unwrap_err();
        assert!(e.to_string().contains("version 2"), "{e}");
    }
}
