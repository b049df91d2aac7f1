//! The model-quality window per slice: the slices' joined states (ground-truth merge keeps
//! them beside the overall one) merged over the window, capped, and each given the window's
//! metrics and constraint check; `segments.json` and the slices' metrics with a `Segment`
//! dimension.

use std::collections::BTreeMap;

use super::slicing::{cap_window, split_key};
use super::{Segment, SegmentsReport, SEGMENT_DIMENSION};
use crate::config::MonitorConfig;
use crate::execution::{Execution, Stop, Window};
use crate::formats::model_quality::{MetricEntry, ModelQualityConstraints};
use crate::joined::labels::SegmentMinuteQuality;
use crate::metrics::{MetricDatum, MetricSink};
use crate::model_quality::intervals::{check_with_intervals, IntervalsBlock};
use crate::model_quality::metrics::model_quality_metrics;
use crate::model_quality::{check_model_quality, QualityState};
use crate::store::ObjectStore;

/// Adds the slice minutes of one joined state that fall in `window` to `into`; `true` when
/// one did.
pub fn absorb(
    into: &mut BTreeMap<String, QualityState>,
    minutes: &[SegmentMinuteQuality],
    window: Window,
) -> bool {
    let mut used = false;
    for m in minutes.iter().filter(|m| window.contains(m.minute)) {
        used |= into
            .entry(m.segment.clone())
            .or_insert_with(|| QualityState::new(m.state.problem_type()))
            .merge(&m.state);
    }
    used
}

/// Judges each slice of a model-quality window (`states`: the window's merged slice states,
/// `records`: the window's joined records) against `constraints` as the whole window is
/// judged: `segments.json`'s content and the slices' metrics.
#[must_use]
pub fn judge(
    cfg: &MonitorConfig,
    window: Window,
    mut states: BTreeMap<String, QualityState>,
    constraints: &ModelQualityConstraints,
    records: u64,
) -> (SegmentsReport, Vec<MetricDatum>) {
    let max_slices = cfg.segments.as_ref().map_or(0, |s| s.max_slices);
    let mut out = SegmentsReport::new(cfg, window, records, max_slices);
    if let Some(settings) = &cfg.segments {
        out.capped = cap_window(&mut states, settings);
    }
    let intervals = IntervalsBlock::read(constraints).ok().flatten();
    let mut data = Vec::new();
    for (key, state) in states.into_iter().filter(|(_, s)| s.count() > 0) {
        let stats = state.to_statistics();
        let violations = match &intervals {
            Some(block) => check_with_intervals(&stats, constraints, block),
            None => check_model_quality(&stats, constraints),
        };
        let mut by_check: BTreeMap<String, u64> = BTreeMap::new();
        for v in &violations.violations {
            *by_check
                .entry(v.constraint_check_type.as_str().to_string())
                .or_default() += 1;
        }
        let metrics: BTreeMap<String, f64> = stats
            .metrics()
            .iter()
            .filter_map(|(k, e)| match e {
                MetricEntry::Scalar(s) if s.value.is_finite() => Some((k.clone(), s.value)),
                _ => None,
            })
            .collect();
        let finite: Vec<(String, f64)> = metrics.iter().map(|(k, v)| (k.clone(), *v)).collect();
        for mut d in model_quality_metrics(&cfg.endpoint, &cfg.name, window.start, &finite) {
            d.dimensions.push((SEGMENT_DIMENSION.into(), key.clone()));
            data.push(d);
        }
        let (feature, value) = split_key(&key);
        out.segments.push(Segment {
            feature: feature.to_string(),
            value: value.to_string(),
            records: state.count(),
            share: state.count() as f64 / records.max(1) as f64,
            violations: violations.violations.len(),
            violations_by_check: by_check,
            drift: Vec::new(),
            model_metrics: metrics,
            segment: key,
        });
    }
    (out, data)
}

/// Writes `segments.json` of model-quality monitor `cfg`'s `window` into `exec`'s report
/// folder and publishes the slices' metrics; does nothing without a `segments` block.
///
/// # Errors
/// [`Stop::Error`] for the store's and the metric sink's errors.
pub async fn evaluate<S: ObjectStore, M: MetricSink>(
    (store, metrics): (&S, &M),
    cfg: &MonitorConfig,
    window: Window,
    states: BTreeMap<String, QualityState>,
    constraints: &ModelQualityConstraints,
    exec: &Execution,
) -> Result<(), Stop> {
    if cfg.segments.is_none() {
        return Ok(());
    }
    let (report, data) = judge(cfg, window, states, constraints, exec.records);
    super::write_window((store, metrics), cfg, exec, &report, data).await
}
