//! The tick of a model-quality monitor: merge the joined state of the window's inferences,
//! compute SageMaker's model-quality metrics, check them against the baseline constraints,
//! and write `statistics.json`, `constraint_violations.json` (model-quality layouts) and
//! `execution.json` with the label coverage. Metrics go to `aws/sagemaker/Endpoints/model-metrics`.

use chrono::{DateTime, Utc};

use crate::config::MonitorConfig;
use crate::execution::{publish_window, write_execution, write_report, Execution};
use crate::formats::model_quality::{
    MetricEntry, ModelQualityConstraints, ModelQualityStatistics, ModelQualityViolations,
};
use crate::joined::labels::{no_joined_records, scan_joined_window};
use crate::layout::report_prefix;
use crate::metrics::{namespaces, MetricSink};
use crate::model_quality::metrics::model_quality_metrics;
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

/// Evaluates one model-quality window and writes its files.
pub async fn run_model_quality<S: ObjectStore, M: MetricSink>(
    store: &S,
    metrics: &M,
    cfg: &MonitorConfig,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Execution, CoreError> {
    let prefix = report_prefix(&cfg.endpoint, &cfg.name, end, cfg.window_minutes);
    let settings = cfg
        .model_quality
        .as_ref()
        .ok_or_else(|| CoreError::Config {
            field: format!("monitor {}", cfg.name),
            value: String::new(),
            message: "model_quality settings missing".into(),
        })?;
    // joined state of inferences in [start, end)
    let mut state = QualityState::new(settings.quality.problem_type);
    let scan = scan_joined_window(store, cfg, start, end, |s| {
        let mut used = false;
        for m in &s.minutes {
            if m.minute >= start && m.minute < end {
                used |= state.merge(&m.state);
            }
        }
        Ok(used)
    })
    .await?;
    let mut coverage = scan.coverage;
    coverage.matched = state.count();

    let mut exec = Execution::failed(cfg, start, end, &prefix);
    exec.records = state.count();
    exec.set_bad_records(&scan.bad);
    exec.partial_profiles = scan.objects;
    exec.label_coverage = Some(coverage);
    let constraints = match load_quality_baseline(store, cfg).await {
        Ok(c) => c,
        Err(e) if e.is_retryable() => return Err(e),
        Err(e) => {
            exec.fail_on_error(&format!("Baseline constraints missing or unreadable: {e}"));
            write_execution(store, &prefix, &exec).await?;
            return Ok(exec);
        }
    };
    if state.count() == 0 {
        exec.fail(&no_joined_records(start, end));
        write_execution(store, &prefix, &exec).await?;
        return Ok(exec);
    }
    let stats: ModelQualityStatistics = state.to_statistics();
    let violations: ModelQualityViolations = check_model_quality(&stats, &constraints);
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
    write_report(
        store,
        &prefix,
        ("statistics.json", stats.to_json()),
        violations.to_json(),
        &exec,
    )
    .await?;
    let finite: Vec<(String, f64)> = exec
        .model_metrics
        .iter()
        .filter(|(_, v)| v.is_finite())
        .cloned()
        .collect();
    publish_window(
        metrics,
        cfg,
        namespaces::MODEL_ENDPOINT,
        start,
        &exec,
        model_quality_metrics(&cfg.endpoint, &cfg.name, start, &finite),
    )
    .await?;
    Ok(exec)
}
