//! The tick of a bias-drift monitor (Clarify's model-bias monitor, spec §5.3, §7.4, §9):
//! merge the bias state of the window's joined records (written per ground-truth object by
//! ground-truth-merge), compute Clarify's pre- and post-training metrics, compare them with
//! the baseline `analysis.json` by Clarify's rule, and write `analysis.json`,
//! `constraint_violations.json` (`bias_drift_check`) and `execution.json` to the report folder.
//! Metrics go to `aws/sagemaker/Endpoints/bias-metrics`.

use crate::bias::bias_drift_violations;
use crate::bias::metrics::{bias_metrics, BiasMetricValue};
use crate::bias::prepare::bias_rules;
use crate::config::MonitorConfig;
use crate::execution::{publish_window, write_report, Execution, OrFail, Ports, Stop, Window};
use crate::formats::clarify::BiasAnalysis;
use crate::joined::labels::{no_joined_records, scan_joined_window};
use crate::layout::ANALYSIS_FILE;
use crate::metrics::{namespaces, MetricSink};
use crate::store::ObjectStore;

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

/// Evaluates one bias-drift window: merges the joined bias state, computes Clarify's metrics,
/// compares them with the baseline, writes its files and publishes its metrics.
///
/// `exec` starts as [`Execution::failed`] and is filled in as the evaluation goes; the
/// caller ([`crate::capability::Capability::evaluate`]) settles it with the outcome
/// ([`Execution::settle`]).
///
/// # Errors
/// [`Stop::Failed`] for a missing analysis config or baseline and unreadable state,
/// [`Stop::NoData`] for a window without joined records, [`Stop::Error`] for the store's
/// errors.
pub async fn evaluate<S: ObjectStore, M: MetricSink, F: ?Sized>(
    Ports { store, metrics, .. }: Ports<'_, S, M, F>,
    cfg: &MonitorConfig,
    window: Window,
    exec: &mut Execution,
) -> Result<(), Stop> {
    let (config, baseline, rules) = bias_rules(store, cfg)
        .await
        .or_fail(|e| format!("Bias analysis config or baseline missing or unreadable: {e}"))?;
    let flip_cap = cfg.bias.as_ref().map_or(1, |b| b.flip_sample);
    let mut state = rules.empty_state(flip_cap);
    let scan = scan_joined_window(store, cfg, window, |s| {
        let mut used = false;
        for m in &s.bias_minutes {
            if window.contains(m.minute) {
                state.merge(&m.state)?;
                used = true;
            }
        }
        Ok(used)
    })
    .await
    .or_fail(|e| format!("Unreadable state: {e}"))?;
    let mut coverage = scan.coverage;
    coverage.matched = state.rows();
    exec.records = state.rows();
    exec.set_bad_records(&scan.bad);
    exec.partial_profiles = scan.objects;
    exec.label_coverage = Some(coverage);
    if state.rows() == 0 {
        return Err(Stop::NoData(no_joined_records(window)));
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
        &exec.report_prefix,
        (ANALYSIS_FILE, analysis.to_json()),
        violations.to_json(),
        exec,
    )
    .await?;
    publish_window(
        metrics,
        cfg,
        namespaces::BIAS_ENDPOINT,
        window.start,
        exec,
        bias_metrics(&cfg.endpoint, &cfg.name, window.start, &values),
    )
    .await?;
    Ok(())
}
