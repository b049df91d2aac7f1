//! The model-quality window per slice: the slices' joined states (ground-truth merge keeps
//! them beside the overall one) merged over the window, capped, and each given the window's
//! metrics and constraint check, their label drift and their label-free estimates
//! ([`super::estimated`]); `segments.json` and the slices' metrics with a `Segment`
//! dimension.

use std::collections::{BTreeMap, BTreeSet};

use super::estimated::SliceEstimates;
use super::slicing::{cap_window, split_key};
use super::{Segment, SegmentsReport, SEGMENT_DIMENSION};
use crate::config::MonitorConfig;
use crate::execution::{Execution, Stop, Window};
use crate::formats::model_quality::{MetricEntry, ModelQualityConstraints};
use crate::joined::labels::SegmentMinuteQuality;
use crate::metrics::{MetricDatum, MetricSink};
use crate::model_quality::cbpe::tick::{attach_realised_to, estimated_metric_data};
use crate::model_quality::intervals::{check_with_intervals, IntervalsBlock};
use crate::model_quality::label_drift::{self, LabelDrift, LabelDriftBlock};
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
/// `estimates`: its slices' label-free estimates, `records`: the window's joined records)
/// against `constraints` as the whole window is judged: `segments.json`'s content and the
/// slices' metrics. A slice with estimates but no joined record yet (labels still to come)
/// is listed with its estimates only; once joined, each estimate carries its realised value,
/// and the slice its label drift (when the baseline has the block), as `execution.json` does.
#[must_use]
pub fn judge(
    cfg: &MonitorConfig,
    window: Window,
    mut states: BTreeMap<String, QualityState>,
    mut estimates: SliceEstimates,
    constraints: &ModelQualityConstraints,
    records: u64,
) -> (SegmentsReport, Vec<MetricDatum>) {
    let max_slices = cfg.segments.as_ref().map_or(0, |s| s.max_slices);
    let mut out = SegmentsReport::new(cfg, window, records, max_slices);
    if let Some(settings) = &cfg.segments {
        out.capped = cap_window(&mut states, settings).max(estimates.capped);
    }
    let intervals = IntervalsBlock::read(constraints).ok().flatten();
    let drift_block = LabelDriftBlock::read(constraints).ok().flatten();
    states.retain(|_, s| s.count() > 0);
    let keys: BTreeSet<String> = states
        .keys()
        .chain(estimates.slices.keys())
        .cloned()
        .collect();
    let mut data = Vec::new();
    for key in keys {
        let mut estimated = estimates.slices.remove(&key);
        let mut segment = match states.remove(&key) {
            Some(state) => judge_joined(
                &key,
                &state,
                constraints,
                intervals.as_ref(),
                drift_block.as_ref(),
                records,
            ),
            None => Segment {
                segment: key.clone(),
                feature: split_key(&key).0.to_string(),
                value: split_key(&key).1.to_string(),
                records: 0,
                share: 0.0,
                violations: 0,
                violations_by_check: BTreeMap::new(),
                drift: Vec::new(),
                model_metrics: BTreeMap::new(),
                estimated_metrics: None,
                label_drift: None,
            },
        };
        if let Some(est) = estimated.as_mut() {
            attach_realised_to(
                est,
                segment.model_metrics.iter().map(|(k, v)| (k.as_str(), *v)),
            );
        }
        segment.estimated_metrics = estimated;
        let finite: Vec<(String, f64)> = segment
            .model_metrics
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .chain(segment.label_drift.iter().flat_map(|d| {
                [
                    (label_drift::METRIC.to_string(), d.effect),
                    (format!("{}_p_value", label_drift::METRIC), d.p_value),
                ]
            }))
            .collect();
        let slice_data = model_quality_metrics(&cfg.endpoint, &cfg.name, window.start, &finite)
            .into_iter()
            .chain(segment.estimated_metrics.iter().flat_map(|est| {
                estimated_metric_data(&cfg.endpoint, &cfg.name, window.start, est)
            }));
        for mut d in slice_data {
            d.dimensions.push((SEGMENT_DIMENSION.into(), key.clone()));
            data.push(d);
        }
        out.segments.push(segment);
    }
    (out, data)
}

/// One slice with joined records (`state`), judged as the window is: its metrics, the
/// constraint check (intervals when the baseline has them) and label drift.
fn judge_joined(
    key: &str,
    state: &QualityState,
    constraints: &ModelQualityConstraints,
    intervals: Option<&IntervalsBlock>,
    drift_block: Option<&LabelDriftBlock>,
    records: u64,
) -> Segment {
    let stats = state.to_statistics();
    let mut violations = match intervals {
        Some(block) => check_with_intervals(&stats, constraints, block),
        None => check_model_quality(&stats, constraints),
    };
    // label drift per slice: the window's rule on the slice's own labels
    let drift = drift_block.and_then(|b| label_drift::evaluate_state(b, state, &stats));
    violations
        .violations
        .extend(drift.as_ref().and_then(LabelDrift::violation));
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
    let (feature, value) = split_key(key);
    Segment {
        feature: feature.to_string(),
        value: value.to_string(),
        records: state.count(),
        share: state.count() as f64 / records.max(1) as f64,
        violations: violations.violations.len(),
        violations_by_check: by_check,
        drift: Vec::new(),
        model_metrics: metrics,
        estimated_metrics: None,
        label_drift: drift,
        segment: key.to_string(),
    }
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
    (states, estimates): (BTreeMap<String, QualityState>, SliceEstimates),
    constraints: &ModelQualityConstraints,
    exec: &Execution,
) -> Result<(), Stop> {
    if cfg.segments.is_none() {
        return Ok(());
    }
    let (report, data) = judge(cfg, window, states, estimates, constraints, exec.records);
    super::write_window((store, metrics), cfg, exec, &report, data).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::model_quality::{ConfusionMatrix, ProblemType};
    use crate::metrics::MetricValue;
    use crate::model_quality::cbpe::{EstimatedMetric, EstimatedMetrics};
    use crate::model_quality::QualityOptions;

    fn binary() -> QualityOptions {
        QualityOptions {
            problem_type: ProblemType::BinaryClassification,
            positive_label: "1".into(),
        }
    }

    /// A joined slice state: `(actual, predicted, records)`.
    fn state(rows: &[(&str, &str, usize)]) -> QualityState {
        let mut s = QualityState::new(ProblemType::BinaryClassification);
        let mut i = 0;
        for (actual, predicted, n) in rows {
            for _ in 0..*n {
                i += 1;
                let p = if *predicted == "1" { 0.9 } else { 0.1 };
                s.add(&i.to_string(), actual, Some(predicted), Some(p), &binary())
                    .unwrap();
            }
        }
        s
    }

    fn estimate(value: f64, predictions: u64) -> EstimatedMetrics {
        let mut e = EstimatedMetrics {
            predictions,
            ..Default::default()
        };
        e.metrics.insert(
            "accuracy".into(),
            EstimatedMetric {
                value,
                lower: value - 0.1,
                upper: value + 0.1,
                realised: None,
            },
        );
        e
    }

    #[test]
    fn a_slice_shows_estimates_realised_values_and_label_drift() {
        let cfg = MonitorConfig::from_json(
            "m.json",
            br#"{"name":"m","kind":"ModelQuality","endpoint":"e","baseline_prefix":"b",
                "model_quality":{"problem_type":"BinaryClassification","facet_attributes":{"region":"1"}},
                "segments":{"slices":[{"feature":"region"}]}}"#,
        )
        .unwrap();
        // the baseline's labels: half positive
        let mut constraints = ModelQualityConstraints::from_json(
            br#"{"version": 0.0, "binary_classification_constraints": {}}"#,
        )
        .unwrap();
        let base = ConfusionMatrix {
            rows: [
                ("0".to_string(), [("0".to_string(), 500u64)].into()),
                ("1".to_string(), [("1".to_string(), 500u64)].into()),
            ]
            .into(),
        };
        LabelDriftBlock::of(&base).write(&mut constraints);
        // eu: 1,000 joined labels, 900 positive, 750 predicted right (accuracy 0.75);
        // us: 1,000 labels, half positive, all predicted right; apac: predictions only
        // (1,000 labels: enough for the drift policy's power guard at a 10-point change)
        let states: BTreeMap<String, QualityState> = [
            (
                "region=eu",
                state(&[("1", "1", 650), ("1", "0", 250), ("0", "0", 100)]),
            ),
            ("region=us", state(&[("1", "1", 500), ("0", "0", 500)])),
        ]
        .into_iter()
        .map(|(k, s)| (k.to_string(), s))
        .collect();
        let estimates = SliceEstimates {
            slices: [
                ("region=eu".to_string(), estimate(0.7, 1000)),
                ("region=apac".to_string(), estimate(0.9, 30)),
            ]
            .into(),
            capped: 0,
        };
        let t = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let (r, data) = judge(
            &cfg,
            Window::new(t, t),
            states,
            estimates,
            &constraints,
            2000,
        );
        let seg = |k: &str| r.segments.iter().find(|s| s.segment == k).unwrap();
        let eu = seg("region=eu");
        assert_eq!(eu.model_metrics["accuracy"], 0.75);
        let est = eu.estimated_metrics.as_ref().unwrap();
        assert_eq!(est.metrics["accuracy"].realised, Some(0.75));
        // 90 % positive labels against a half-positive baseline: a 40-point share change
        let drift = eu.label_drift.as_ref().unwrap();
        assert!((drift.effect - 0.4).abs() < 1e-12, "{drift:?}");
        assert!(drift.violated(), "{drift:?}");
        assert_eq!(eu.violations, 1);
        // us keeps the baseline's shares: no label drift, no estimate
        let us = seg("region=us");
        assert!(!us.label_drift.as_ref().unwrap().violated());
        assert_eq!(us.violations, 0);
        assert!(us.estimated_metrics.is_none());
        // apac: estimates only (no label joined yet)
        let apac = seg("region=apac");
        assert_eq!((apac.records, apac.share), (0, 0.0));
        assert_eq!(apac.estimated_metrics.as_ref().unwrap().predictions, 30);
        assert!(apac.model_metrics.is_empty());
        // metrics: each with its slice as the Segment dimension
        let value = |name: &str, slice: &str| {
            data.iter()
                .find(|d| {
                    d.name == name
                        && d.dimensions
                            .iter()
                            .any(|(k, v)| k == SEGMENT_DIMENSION && v == slice)
                })
                .map(|d| d.value.clone())
        };
        assert_eq!(
            value("estimated_accuracy", "region=eu"),
            Some(MetricValue::Value(0.7))
        );
        assert_eq!(
            value("estimated_accuracy", "region=apac"),
            Some(MetricValue::Value(0.9))
        );
        assert_eq!(
            value("accuracy", "region=eu"),
            Some(MetricValue::Value(0.75))
        );
        assert_eq!(
            value("label_drift", "region=eu"),
            Some(MetricValue::Value(drift.effect))
        );
        assert_eq!(value("estimated_constraint_violations", "region=us"), None);
        assert_eq!(value("accuracy", "region=apac"), None);
    }
}
