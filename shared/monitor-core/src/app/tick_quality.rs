//! The tick of a model-quality monitor: merge the joined state of the window's inferences,
//! compute SageMaker's model-quality metrics, check them against the baseline constraints,
//! and write `statistics.json`, `constraint_violations.json` (model-quality layouts) and
//! `execution.json` with the label coverage. Metrics go to `aws/sagemaker/Endpoints/model-metrics`.

use chrono::{DateTime, Utc};

use crate::app::ground_truth::{mq_hour_prefix, LabelObjectState};
use crate::app::ingest::{hour_floor, prediction_hour_prefix, BadRecords};
use crate::app::tick::{publish_window, write_files, write_report, Execution, LabelCoverage};
use crate::formats::model_quality::{
    MetricEntry, ModelQualityConstraints, ModelQualityStatistics, ModelQualityViolations,
};
use crate::layout::report_prefix;
use crate::metrics::{model_quality_metrics, namespaces, MetricSink};
use crate::model_quality::{check_model_quality, QualityState};
use crate::monitor::MonitorConfig;
use crate::predictions::PredictionIndex;
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
        Err(e @ (CoreError::Io { .. } | CoreError::Transient { .. })) => return Err(e),
        Err(e) => {
            exec.fail(&format!("Baseline constraints missing or unreadable: {e}"));
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

/// The failure reason of a joined window without records.
pub(crate) fn no_joined_records(start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    format!(
        "No ground truth joined to predictions in the window {} to {}.",
        start.format("%Y-%m-%dT%H:%M:%SZ"),
        end.format("%Y-%m-%dT%H:%M:%SZ")
    )
}

/// What [`scan_joined_window`] found besides the states it visited.
pub(crate) struct JoinedScan {
    /// predictions of the window, pending and expired labels (`matched` is the caller's)
    pub coverage: LabelCoverage,
    /// bad ground-truth lines of the labels collected in the window
    pub bad: BadRecords,
    /// label objects that contributed
    pub objects: usize,
}

/// Visits every label-object state of a model-quality or bias monitor that can hold
/// inferences of `[start, end)` (label hours from the window start up to its end plus the
/// look-back); `visit` merges the minutes it wants and says whether it used any. Also counts
/// the window's predictions and the coverage of the labels collected in it.
pub(crate) async fn scan_joined_window<S, F>(
    store: &S,
    cfg: &MonitorConfig,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    mut visit: F,
) -> Result<JoinedScan, CoreError>
where
    S: ObjectStore,
    F: FnMut(&LabelObjectState) -> Result<bool, CoreError>,
{
    let lookback_hours = cfg.join().map_or(24, |j| j.lookback_hours);
    let lookback = chrono::Duration::hours(i64::from(lookback_hours));
    let mut coverage = LabelCoverage::default();
    let mut bad = BadRecords::default();
    let mut objects = 0usize;
    let mut hour = hour_floor(start);
    let last =
        hour_floor(end - chrono::Duration::seconds(1)) + lookback + chrono::Duration::hours(1);
    while hour <= last {
        for key in store.list(&mq_hour_prefix(&cfg.name, hour)).await? {
            let s = LabelObjectState::from_json(&key, &store.get(&key).await?)?;
            let used = visit(&s)?;
            if s.label_hour >= start && s.label_hour < end {
                if s.expired {
                    coverage.expired_labels += s.pending;
                } else {
                    coverage.pending_labels += s.pending;
                }
                bad.merge(&s.bad_records);
            }
            objects += usize::from(used);
        }
        hour += chrono::Duration::hours(1);
    }
    // predictions captured in the window (their indexes sit in the capture hour folders)
    let mut hour = hour_floor(start) - chrono::Duration::hours(1);
    while hour <= hour_floor(end - chrono::Duration::seconds(1)) + chrono::Duration::hours(1) {
        for key in store.list(&prediction_hour_prefix(&cfg.name, hour)).await? {
            let index = PredictionIndex::from_json(&key, &store.get(&key).await?)?;
            coverage.predictions += index
                .predictions
                .iter()
                .filter(|p| p.time >= start.timestamp() && p.time < end.timestamp())
                .count() as u64;
        }
        hour += chrono::Duration::hours(1);
    }
    Ok(JoinedScan {
        coverage,
        bad,
        objects,
    })
}

pub(crate) async fn write_execution<S: ObjectStore>(
    store: &S,
    prefix: &str,
    exec: &Execution,
) -> Result<(), CoreError> {
    let body = serde_json::to_vec_pretty(exec).map_err(|e| CoreError::State {
        key: format!("{prefix}execution.json"),
        message: e.to_string(),
    })?;
    write_files(store, &[(format!("{prefix}execution.json"), body)]).await
}
