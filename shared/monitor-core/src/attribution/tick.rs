//! The tick of a feature-attribution-drift monitor (Clarify's model-explainability monitor,
//! spec §5.4, §7.5, §10): merge the attribution state of the window's capture objects, get
//! the global SHAP values (from the merged sums, or by Kernel SHAP over the merged sample),
//! score the ranking against the baseline `analysis.json` by nDCG, and write `analysis.json`,
//! `constraint_violations.json` (`feature_attribution_drift_check` when nDCG < 0.9) and
//! `execution.json`. Metrics go to `aws/sagemaker/Endpoints/explainability-metrics`.

use chrono::{DateTime, Utc};
use drift_math::shap::ndcg_by_name;
use serde_json::{Map, Value};

use crate::attribution::metrics::explainability_metrics;
use crate::attribution::prepare::attribution_context;
use crate::attribution::{
    keep_bottom_k, kernel_global, AttributionContext, AttributionObjectState, InvokerFactory,
    PreparedExplainer, SampledRecord, ShapSums,
};
use crate::config::{Explainer, MonitorConfig};
use crate::execution::{publish_window, write_execution, write_report, Execution};
use crate::formats::capture::BadRecords;
use crate::formats::clarify::{
    AttributionViolation, AttributionViolations, ExplainabilityAnalysis, LabelExplanation,
};
use crate::layout::report_prefix;
use crate::layout::{attribution_hour_prefix, hour_floor};
use crate::metrics::{namespaces, MetricSink};
use crate::store::{ObjectStore, StateFile};
use crate::CoreError;

/// The merged attribution state of a window.
#[derive(Debug, Clone)]
pub struct AttributionWindow {
    /// records read
    pub records: u64,
    /// merged sums (explainers that run at ingest)
    pub sums: ShapSums,
    /// merged bottom-k sample (Kernel SHAP)
    pub sample: Vec<SampledRecord>,
    /// bad records
    pub bad_records: BadRecords,
    /// state objects that contributed
    pub objects: usize,
}

/// Merges every attribution state of `cfg` with minutes in `[start, end)`, in key order.
///
/// # Errors
/// Store failures, and [`CoreError::State`] for an unreadable state object.
pub async fn merge_attribution_window<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    ctx: &AttributionContext,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<AttributionWindow, CoreError> {
    let cap = match ctx.explainer {
        PreparedExplainer::Kernel { max_records } => max_records,
        _ => 0,
    };
    let mut w = AttributionWindow {
        records: 0,
        sums: ShapSums::new(ctx.features.len(), ctx.agg),
        sample: Vec::new(),
        bad_records: BadRecords::default(),
        objects: 0,
    };
    // Records near an hour boundary can sit in the neighbouring hour's capture folder.
    let mut hour = hour_floor(start) - chrono::Duration::hours(1);
    let last = hour_floor(end - chrono::Duration::seconds(1)) + chrono::Duration::hours(1);
    while hour <= last {
        for key in store
            .list(&attribution_hour_prefix(&cfg.name, hour))
            .await?
        {
            let s = AttributionObjectState::from_json(&key, &store.get(&key).await?)?;
            let mut used = false;
            for m in &s.minutes {
                if m.minute < start || m.minute >= end {
                    continue;
                }
                used = true;
                w.records += m.records;
                w.bad_records.merge(&m.bad_records);
                if m.shap.sum.len() != w.sums.sum.len() {
                    return Err(CoreError::State {
                        key,
                        message: format!(
                            "{} features, the monitor explains {} (the analysis config changed?)",
                            m.shap.sum.len(),
                            w.sums.sum.len()
                        ),
                    });
                }
                w.sums.merge(&m.shap);
                if cap > 0 {
                    w.sample.extend(m.sample.iter().cloned());
                    if w.sample.len() >= 4 * cap {
                        keep_bottom_k(&mut w.sample, cap);
                    }
                }
            }
            w.objects += usize::from(used);
        }
        hour += chrono::Duration::hours(1);
    }
    if cap > 0 {
        keep_bottom_k(&mut w.sample, cap);
    }
    Ok(w)
}

/// Evaluates one feature-attribution window and writes its files; Kernel SHAP models come
/// from `invokers`.
///
/// # Errors
/// Store failures ([`CoreError::Io`], [`CoreError::Transient`]); every other problem (no
/// config, no baseline, no data, a model that fails) is a `Failed` execution.
pub async fn run_explainability<S, M, F>(
    store: &S,
    metrics: &M,
    invokers: &F,
    cfg: &MonitorConfig,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Execution, CoreError>
where
    S: ObjectStore,
    M: MetricSink,
    F: InvokerFactory + ?Sized,
{
    let prefix = report_prefix(&cfg.endpoint, &cfg.name, end, cfg.window_minutes);
    let mut exec = Execution::failed(cfg, start, end, &prefix);
    // `fail!`: an error failed the window (its reason is the execution's failure_reason);
    // `no_data!`: nothing to evaluate.
    macro_rules! fail {
        ($($arg:tt)*) => {{
            exec.fail_on_error(&format!($($arg)*));
            write_execution(store, &prefix, &exec).await?;
            return Ok(exec);
        }};
    }
    macro_rules! no_data {
        ($($arg:tt)*) => {{
            exec.fail(&format!($($arg)*));
            write_execution(store, &prefix, &exec).await?;
            return Ok(exec);
        }};
    }
    let ctx = match attribution_context(store, cfg).await {
        Ok(c) => c,
        Err(e) if e.is_retryable() => return Err(e),
        Err(e) => fail!("Analysis config or SHAP baseline missing or invalid: {e}"),
    };
    let baseline_key = cfg.analysis_key();
    let baseline = match store.get(&baseline_key).await {
        Ok(bytes) => match ExplainabilityAnalysis::from_json(&bytes) {
            Ok(a) => a,
            Err(e) => fail!("Baseline {baseline_key} unreadable: {e}"),
        },
        Err(e) if e.is_retryable() => return Err(e),
        Err(e) => fail!("Baseline missing: {e}"),
    };
    let baseline_labels = match baseline.labels() {
        Ok(l) if !l.is_empty() => l,
        Ok(_) => fail!("Baseline {baseline_key} has no kernel_shap label"),
        Err(e) => fail!("Baseline {baseline_key} unreadable: {e}"),
    };
    let (label, base) = baseline_labels
        .iter()
        .find(|(k, _)| *k == ctx.label_key)
        .unwrap_or(&baseline_labels[0])
        .clone();
    let window = match merge_attribution_window(store, cfg, &ctx, start, end).await {
        Ok(w) => w,
        Err(e) if e.is_retryable() => return Err(e),
        Err(e) => fail!("Unreadable state: {e}"),
    };
    exec.records = window.records;
    exec.set_bad_records(&window.bad_records);
    exec.partial_profiles = window.objects;
    if window.records == 0 {
        no_data!(
            "No captured data in the window {} to {} ({} bad records).",
            start.format("%Y-%m-%dT%H:%M:%SZ"),
            end.format("%Y-%m-%dT%H:%M:%SZ"),
            window.bad_records.total()
        );
    }

    // global SHAP values and the expected value of the explained output
    let (global, expected) = match (&ctx.explainer, cfg.explainability.as_ref()) {
        (
            PreparedExplainer::Kernel { .. },
            Some(crate::config::ExplainabilitySettings {
                explainer: Explainer::Kernel { model, .. },
                ..
            }),
        ) => {
            if window.sample.is_empty() {
                fail!(
                    "No record of the window could be explained ({} bad records).",
                    window.bad_records.total()
                );
            }
            let invoker = match invokers.invoker(model, &ctx.features) {
                Ok(i) => i,
                Err(e) => fail!("Model unavailable: {e}"),
            };
            let background = ctx.background.clone();
            let records: Vec<Vec<f64>> = window.sample.iter().map(|r| r.x.clone()).collect();
            let (kernel, agg) = (ctx.kernel, ctx.agg);
            // Kernel SHAP calls the model synchronously many times: off the async threads.
            let result = tokio::task::spawn_blocking(move || {
                kernel_global(background, &records, kernel, agg, invoker.as_ref())
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r);
            match result {
                Ok(k) => (k.global, k.expected_value),
                Err(e) => fail!("Kernel SHAP failed: {e}"),
            }
        }
        _ => {
            let Some(g) = window.sums.global(ctx.agg) else {
                fail!(
                    "No record of the window could be explained ({} bad records).",
                    window.bad_records.total()
                );
            };
            (
                g,
                ctx.linear_expected_value().unwrap_or(base.expected_value),
            )
        }
    };
    let current: Vec<(String, f64)> = ctx.features.iter().cloned().zip(global).collect();
    let baseline_values = base.values();
    let score = match ndcg_by_name(&baseline_values, &current) {
        Ok(s) => s,
        Err(e) => fail!("Attributions cannot be compared with the baseline: {e}"),
    };
    let threshold = cfg
        .explainability
        .as_ref()
        .map_or(drift_math::shap::NDCG_THRESHOLD, |x| x.ndcg_threshold);
    let mut violations = AttributionViolations::default();
    if score < threshold {
        violations
            .violations
            .push(AttributionViolation::new(label.clone(), score, threshold));
    }
    exec.conclude(
        violations
            .violations
            .iter()
            .map(|v| v.constraint_check_type.as_str()),
    );
    exec.model_metrics = std::iter::once(("ndcg".to_owned(), score))
        .chain(
            current
                .iter()
                .filter(|(_, v)| v.is_finite())
                .map(|(f, v)| (format!("feature_{f}"), *v)),
        )
        .collect();
    let analysis = ExplainabilityAnalysis::new(vec![(
        label.clone(),
        LabelExplanation {
            global_shap_values: current
                .iter()
                .map(|(f, v)| {
                    (
                        f.clone(),
                        serde_json::Number::from_f64(*v).map_or(Value::Null, Value::Number),
                    )
                })
                .collect::<Map<String, Value>>(),
            expected_value: expected,
            extra: Map::new(),
        },
    )]);
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
        namespaces::EXPLAINABILITY_ENDPOINT,
        start,
        &exec,
        explainability_metrics(&cfg.endpoint, &cfg.name, start, &label, &current, expected),
    )
    .await?;
    Ok(exec)
}
