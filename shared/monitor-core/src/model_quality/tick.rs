//! The tick of a model-quality monitor: merge the joined state of the window's inferences,
//! compute SageMaker's model-quality metrics, check them against the baseline constraints,
//! and write `statistics.json`, `constraint_violations.json` (model-quality layouts) and
//! `execution.json` with the label coverage. Metrics go to `aws/sagemaker/Endpoints/model-metrics`,
//! with the label coverage as the metric `label_coverage` (fraction of the window's predictions
//! joined to a label).

use crate::config::MonitorConfig;
use crate::execution::{publish_window, write_report, Execution, OrFail, Ports, Stop, Window};
use crate::formats::model_quality::{
    MetricEntry, ModelQualityConstraints, ModelQualityStatistics, ModelQualityViolations,
};
use crate::joined::labels::{no_joined_records, scan_joined_window};
use crate::layout::STATISTICS_FILE;
use crate::metrics::{namespaces, MetricSink};
use crate::model_quality::intervals::{check_with_intervals, IntervalsBlock};
use crate::model_quality::label_drift::{self, LabelDrift, LabelDriftBlock};
use crate::model_quality::metrics::{label_coverage_metric, model_quality_metrics};
use crate::model_quality::{check_model_quality, QualityState};
use crate::store::ObjectStore;
use crate::CoreError;

/// Loads a model-quality baseline (its constraints are required, its statistics optional).
pub async fn load_quality_baseline<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
) -> Result<ModelQualityConstraints, CoreError> {
    let key = cfg.constraints_key();
    let bytes = store.get(&key).await?;
    ModelQualityConstraints::from_json(&bytes).map_err(|source| CoreError::Format { key, source })
}

/// Evaluates one model-quality window: merges the joined state, checks the metrics against
/// the baseline constraints, writes its files and publishes its metrics.
///
/// `exec` starts as [`Execution::failed`] and is filled in as the evaluation goes; the
/// caller ([`crate::capability::Capability::evaluate`]) settles it with the outcome
/// ([`Execution::settle`]).
///
/// # Errors
/// [`Stop::Failed`] for missing or unreadable baseline constraints, [`Stop::NoData`] for a
/// window without joined records, [`Stop::Error`] for the store's errors and missing
/// `model_quality` settings.
pub async fn evaluate<S: ObjectStore, M: MetricSink, F: ?Sized>(
    Ports { store, metrics, .. }: Ports<'_, S, M, F>,
    cfg: &MonitorConfig,
    window: Window,
    exec: &mut Execution,
) -> Result<(), Stop> {
    let settings = cfg
        .model_quality
        .as_ref()
        .ok_or_else(|| CoreError::Config {
            field: format!("monitor {}", cfg.name),
            value: String::new(),
            message: "model_quality settings missing".into(),
        })?;
    // joined state of inferences in the window
    let mut state = QualityState::new(settings.quality.problem_type);
    let mut segments = std::collections::BTreeMap::new();
    let mut models = std::collections::BTreeMap::new();
    let scan = scan_joined_window(store, cfg, window, |s| {
        let mut used = false;
        for m in &s.minutes {
            if window.contains(m.minute) {
                used |= state.merge(&m.state);
            }
        }
        // segments (issue 15 item 3): the slices' states too
        crate::segments::quality::absorb(&mut segments, &s.segment_minutes, window);
        // multi-model endpoints (issue 15 item 5): the target models' states too
        crate::multimodel::quality::absorb(&mut models, &s.model_minutes, window);
        Ok(used)
    })
    .await?;
    let mut coverage = scan.coverage;
    coverage.matched = state.count();

    exec.records = state.count();
    exec.set_bad_records(&scan.bad);
    exec.partial_profiles = scan.objects;
    exec.label_coverage = Some(coverage);
    let constraints = load_quality_baseline(store, cfg)
        .await
        .or_fail(|e| format!("Baseline constraints missing or unreadable: {e}"))?;
    // label-free estimates first: written even while no label is joined (issue 15)
    let cbpe = crate::model_quality::cbpe::tick::estimate_window(
        (store, metrics),
        cfg,
        window,
        &scan.scores,
        &constraints,
        exec,
    )
    .await?;
    // and per slice (issue 15 item 3), with the same CBPE baseline
    let estimates = cbpe.map_or_else(Default::default, |b| {
        crate::segments::estimated::estimate_slices(cfg, scan.segment_scores, &b, &constraints)
    });
    if state.count() == 0 {
        if !estimates.slices.is_empty() {
            let slices = (std::collections::BTreeMap::new(), estimates);
            crate::segments::quality::evaluate(
                (store, metrics),
                cfg,
                window,
                slices,
                &constraints,
                exec,
            )
            .await?;
        }
        return Err(Stop::NoData(no_joined_records(window)));
    }
    let stats: ModelQualityStatistics = state.to_statistics();
    // intervals (issue 13 item 6) when our baseline wrote them, else SageMaker's point rule
    let mut violations: ModelQualityViolations =
        match IntervalsBlock::read(&constraints).ok().flatten() {
            Some(block) => check_with_intervals(&stats, &constraints, &block),
            None => check_model_quality(&stats, &constraints),
        };
    // label drift (issue 13 item 5), when our baseline wrote its block
    exec.label_drift = LabelDriftBlock::read(&constraints)
        .ok()
        .flatten()
        .and_then(|block| label_drift::evaluate_state(&block, &state, &stats));
    violations
        .violations
        .extend(exec.label_drift.as_ref().and_then(LabelDrift::violation));
    exec.conclude(
        violations
            .violations
            .iter()
            .map(|v| v.constraint_check_type.as_str()),
    );
    exec.model_metrics = stats
        .metrics()
        .iter()
        .filter_map(|(k, e)| match e {
            MetricEntry::Scalar(s) => Some((k.clone(), s.value)),
            _ => None,
        })
        .collect();
    crate::model_quality::cbpe::tick::attach_realised(exec);
    write_report(
        store,
        &exec.report_prefix,
        (STATISTICS_FILE, stats.to_json()),
        violations.to_json(),
        exec,
    )
    .await?;
    // segments (issue 15 item 3): each slice's metrics and check, into segments.json
    let slices = (segments, estimates);
    crate::segments::quality::evaluate((store, metrics), cfg, window, slices, &constraints, exec)
        .await?;
    // multi-model endpoints: each target model's report, multi_model.json and metrics
    crate::multimodel::quality::evaluate((store, metrics), cfg, window, models, &constraints, exec)
        .await?;
    let finite: Vec<(String, f64)> = exec
        .model_metrics
        .iter()
        .filter(|(_, v)| v.is_finite())
        .cloned()
        .chain(exec.label_drift.iter().flat_map(|d| {
            [
                (label_drift::METRIC.to_string(), d.effect),
                (format!("{}_p_value", label_drift::METRIC), d.p_value),
            ]
        }))
        .collect();
    let data = model_quality_metrics(&cfg.endpoint, &cfg.name, window.start, &finite)
        .into_iter()
        .chain(exec.label_coverage.as_ref().and_then(|coverage| {
            label_coverage_metric(&cfg.endpoint, &cfg.name, window.start, coverage)
        }))
        .collect();
    publish_window(
        metrics,
        cfg,
        namespaces::MODEL_ENDPOINT,
        window.start,
        exec,
        data,
    )
    .await?;
    Ok(())
}
