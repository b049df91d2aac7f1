//! The tick of a bias-drift monitor (Clarify's model-bias monitor, spec §5.3, §7.4, §9):
//! merge the bias state of the window's joined records (written per ground-truth object by
//! ground-truth-merge), compute Clarify's pre- and post-training metrics, compare them with
//! the baseline `analysis.json` by Clarify's rule, and write `analysis.json`,
//! `constraint_violations.json` (`bias_drift_check`) and `execution.json` to the report folder.
//! Metrics go to `aws/sagemaker/Endpoints/bias-metrics`.

use chrono::{DateTime, Utc};

use crate::bias::bias_drift_violations;
use crate::bias::metrics::{bias_metrics, BiasMetricValue};
use crate::bias::prepare::bias_rules;
use crate::config::MonitorConfig;
use crate::execution::{publish_window, write_execution, write_report, Execution};
use crate::formats::clarify::BiasAnalysis;
use crate::joined::labels::{no_joined_records, scan_joined_window};
use crate::layout::report_prefix;
use crate::metrics::{namespaces, MetricSink};
use crate::store::ObjectStore;
use crate::CoreError;

/// Every metric value of an analysis, with its CloudWatch names (post-training first).
pub fn bias_metric_values(analysis: &BiasAnalysis) -> Vec<BiasMetricValue> {
    let mut out = Vec::new();
    for (stage, block) in [
        ("Post-Training", &analysis.post_training_bias_metrics),
        ("Pre-training", &analysis.pre_training_bias_metrics),
    ] {
        let Some(block) = block else { continue };
        for (facet, entry) in block.entries().unwrap_or_default() {
            for m in &entry.metrics {
                out.push(BiasMetricValue {
                    stage,
                    label: block.label.clone(),
                    label_value: block.label_value_or_threshold.clone().unwrap_or_default(),
                    facet: facet.clone(),
                    facet_value: entry.value_or_threshold.clone(),
                    code: m.name.clone(),
                    value: m.value.as_f64().unwrap_or(f64::NAN),
                });
            }
        }
    }
    out
}

/// Evaluates one bias-drift window and writes its files.
///
/// # Errors
/// Store failures ([`CoreError::Io`], [`CoreError::Transient`]); every other problem (no
/// analysis config or baseline, unreadable state, no joined records) is a `Failed` execution.
pub async fn run_bias<S: ObjectStore, M: MetricSink>(
    store: &S,
    metrics: &M,
    cfg: &MonitorConfig,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Execution, CoreError> {
    let prefix = report_prefix(&cfg.endpoint, &cfg.name, end, cfg.window_minutes);
    let mut exec = Execution::failed(cfg, start, end, &prefix);
    let (config, baseline, rules) = match bias_rules(store, cfg).await {
        Ok(x) => x,
        Err(e) if e.is_retryable() => return Err(e),
        Err(e) => {
            exec.fail_on_error(&format!(
                "Bias analysis config or baseline missing or unreadable: {e}"
            ));
            write_execution(store, &prefix, &exec).await?;
            return Ok(exec);
        }
    };
    let flip_cap = cfg.bias.as_ref().map_or(1, |b| b.flip_sample);
    let mut state = rules.empty_state(flip_cap);
    let scan = scan_joined_window(store, cfg, start, end, |s| {
        let mut used = false;
        for m in &s.bias_minutes {
            if m.minute >= start && m.minute < end {
                state.merge(&m.state)?;
                used = true;
            }
        }
        Ok(used)
    })
    .await;
    let scan = match scan {
        Ok(s) => s,
        Err(e) if e.is_retryable() => return Err(e),
        Err(e) => {
            exec.fail_on_error(&format!("Unreadable state: {e}"));
            write_execution(store, &prefix, &exec).await?;
            return Ok(exec);
        }
    };
    let mut coverage = scan.coverage;
    coverage.matched = state.rows();
    exec.records = state.rows();
    exec.set_bad_records(&scan.bad);
    exec.partial_profiles = scan.objects;
    exec.label_coverage = Some(coverage);
    if state.rows() == 0 {
        exec.fail(&no_joined_records(start, end));
        write_execution(store, &prefix, &exec).await?;
        return Ok(exec);
    }
    let analysis = rules.analysis(&config, &state)?;
    let violations = bias_drift_violations(&baseline, &analysis);
    exec.conclude(
        violations
            .violations
            .iter()
            .map(|v| v.constraint_check_type.as_str()),
    );
    let values = bias_metric_values(&analysis);
    // (±∞ stays in analysis.json as "Infinity"; execution.json keeps finite values)
    exec.model_metrics = values
        .iter()
        .filter(|v| v.value.is_finite())
        .map(|v| {
            (
                format!("{}({}={})", v.code, v.facet, v.facet_value),
                v.value,
            )
        })
        .collect();
    write_report(
        store,
        &prefix,
        ("analysis.json", analysis.to_json()),
        violations.to_json(),
        &exec,
    )
    .await?;
    publish_window(
        metrics,
        cfg,
        namespaces::BIAS_ENDPOINT,
        start,
        &exec,
        bias_metrics(&cfg.endpoint, &cfg.name, start, &values),
    )
    .await?;
    Ok(exec)
}
