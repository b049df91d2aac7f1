//! The data-quality window per slice: the merged slice profiles capped, each judged against
//! the baseline with the overall window's checks and drift policy, `segments.json` written
//! and the slices' metrics published with a `Segment` dimension.

use std::collections::BTreeMap;

use super::slicing::{cap_window, split_key};
use super::{Segment, SegmentsReport, SEGMENT_DIMENSION};
use crate::config::MonitorConfig;
use crate::data_quality::checks::{Baseline, CheckReport};
use crate::data_quality::profile::DatasetProfile;
use crate::data_quality::tick::{check_monitor_window, execution_of, window_metrics, WindowState};
use crate::execution::{Execution, Stop, Window};
use crate::formats::capture::BadRecords;
use crate::metrics::{MetricDatum, MetricSink};
use crate::store::ObjectStore;

/// Window metrics a slice does not publish: bad records belong to the whole window (a bad
/// line has no slice).
const WINDOW_ONLY_METRICS: &[&str] = &["bad_records"];

/// The feature a slicing reads (`name`: its feature, or `low_confidence`): the one that by
/// construction differs in every slice, so its own checks are the overall window's.
fn slicing_feature(cfg: &MonitorConfig, baseline: &Baseline, name: &str) -> Option<String> {
    let spec = cfg
        .segments
        .as_ref()?
        .slices
        .iter()
        .find(|s| super::slicing::slicing_name(s) == name)?;
    match (&spec.feature, &spec.low_confidence) {
        (Some(f), _) => Some(f.clone()),
        (None, Some(l)) => l
            .feature
            .clone()
            .or_else(|| baseline.feature_names().into_iter().next()),
        (None, None) => None,
    }
}

/// Drops `feature`'s checks from a slice's report: a slice of `region=eu` holds only `eu`
/// (a categorical drift of 1 − share), `__missing__` only nulls (completeness 0), and so on.
fn without_feature(report: &mut CheckReport, feature: &str) {
    report
        .violations
        .violations
        .retain(|v| v.feature_name != feature);
    report.features.retain(|f| f.name != feature);
    report.policy.retain(|t| t.feature != feature);
}

/// Judges each slice of a window (`segments`: the window's merged slice profiles, `records`:
/// the window's records) against `baseline`: `segments.json`'s content and the slices'
/// metrics (the window's data-quality metrics, each with a `Segment` dimension).
#[must_use]
pub fn judge(
    cfg: &MonitorConfig,
    baseline: &Baseline,
    window: Window,
    mut segments: BTreeMap<String, DatasetProfile>,
    records: u64,
) -> (SegmentsReport, Vec<MetricDatum>) {
    let max_slices = cfg.segments.as_ref().map_or(0, |s| s.max_slices);
    let mut out = SegmentsReport::new(cfg, window, records, max_slices);
    if let Some(settings) = &cfg.segments {
        out.capped = cap_window(&mut segments, settings);
    }
    let mut data = Vec::new();
    for (key, profile) in segments.into_iter().filter(|(_, p)| p.item_count > 0) {
        let state = WindowState {
            profile,
            bad_records: BadRecords::default(),
            shadow_skipped: 0,
            partial_profiles: 0,
            segments: BTreeMap::new(),
        };
        let (_, mut report) = check_monitor_window(cfg, baseline, &state.profile);
        if let Some(f) = slicing_feature(cfg, baseline, split_key(&key).0) {
            without_feature(&mut report, &f);
        }
        let exec = execution_of(cfg, window, &state, Some(&report), None);
        let mut slice_data = window_metrics(cfg, window.start, &state, &report);
        slice_data.retain(|d| !WINDOW_ONLY_METRICS.contains(&d.name.as_str()));
        for d in &mut slice_data {
            d.dimensions.push((SEGMENT_DIMENSION.into(), key.clone()));
        }
        data.extend(slice_data);
        let (feature, value) = split_key(&key);
        out.segments.push(Segment {
            feature: feature.to_string(),
            value: value.to_string(),
            records: exec.records,
            share: exec.records as f64 / records.max(1) as f64,
            violations: exec.violations,
            violations_by_check: exec.violations_by_check,
            drift: exec.drift,
            model_metrics: BTreeMap::new(),
            estimated_metrics: None,
            label_drift: None,
            segment: key,
        });
    }
    (out, data)
}

/// Writes `segments.json` of `cfg`'s `window` into `exec`'s report folder and publishes the
/// slices' metrics; does nothing without a `segments` block.
///
/// # Errors
/// [`Stop::Error`] for the store's and the metric sink's errors.
pub async fn evaluate<S: ObjectStore, M: MetricSink>(
    (store, metrics): (&S, &M),
    cfg: &MonitorConfig,
    window: Window,
    baseline: &Baseline,
    segments: BTreeMap<String, DatasetProfile>,
    exec: &Execution,
) -> Result<(), Stop> {
    if cfg.segments.is_none() {
        return Ok(());
    }
    let (report, data) = judge(cfg, baseline, window, segments, exec.records);
    super::write_window((store, metrics), cfg, exec, &report, data).await
}
