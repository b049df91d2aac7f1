//! The tick of a feature-attribution-drift monitor (Clarify's model-explainability monitor,
//! spec §5.4, §7.5, §10): merge the attribution state of the window's capture objects, get
//! the global SHAP values (from the merged sums, or by Kernel SHAP over the merged sample),
//! score the ranking against the baseline `analysis.json` by nDCG, and write `analysis.json`,
//! `constraint_violations.json` (`feature_attribution_drift_check` when nDCG < 0.9) and
//! `execution.json`. Metrics go to `aws/sagemaker/Endpoints/explainability-metrics`.

use drift_math::shap::ndcg_by_name;
use serde_json::{Map, Value};

use crate::attribution::metrics::explainability_metrics;
use crate::attribution::prepare::attribution_context;
use crate::attribution::{
    keep_bottom_k, kernel_global, AttributionContext, AttributionObjectState, InvokerFactory,
    PreparedExplainer, SampledRecord, ShapSums,
};
use crate::config::{Explainer, MonitorConfig};
use crate::execution::{publish_window, write_report, Execution, OrFail, Ports, Stop, Window};
use crate::formats::capture::BadRecords;
use crate::formats::clarify::{
    AttributionViolation, AttributionViolations, ExplainabilityAnalysis, LabelExplanation,
};
use crate::layout::{attribution_hour_prefix, hour_floor, ANALYSIS_FILE};
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

/// Merges every attribution state of `cfg` with minutes in `window`, in key order.
///
/// # Errors
/// Store failures, and [`CoreError::State`] for an unreadable state object.
pub async fn merge_attribution_window<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    ctx: &AttributionContext,
    window: Window,
) -> Result<AttributionWindow, CoreError> {
    let Window { start, end } = window;
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
                if !window.contains(m.minute) {
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

/// Evaluates one feature-attribution window: merges the attribution state, gets the global
/// SHAP values (Kernel SHAP models come from `ports.invokers`), scores them against the
/// baseline, writes its files and publishes its metrics.
///
/// `exec` starts as [`Execution::failed`] and is filled in as the evaluation goes; the
/// caller ([`crate::capability::Capability::evaluate`]) settles it with the outcome
/// ([`Execution::settle`]).
///
/// # Errors
/// [`Stop::Failed`] for a missing config or baseline, unreadable state, or a model that
/// fails; [`Stop::NoData`] for a window without records; [`Stop::Error`] for the store's
/// errors.
pub async fn evaluate<S, M, F>(
    Ports {
        store,
        metrics,
        invokers,
    }: Ports<'_, S, M, F>,
    cfg: &MonitorConfig,
    window: Window,
    exec: &mut Execution,
) -> Result<(), Stop>
where
    S: ObjectStore,
    M: MetricSink,
    F: InvokerFactory + ?Sized,
{
    let ctx = attribution_context(store, cfg)
        .await
        .or_fail(|e| format!("Analysis config or SHAP baseline missing or invalid: {e}"))?;
    let (label, base) = baseline_label(store, cfg, &ctx).await?;
    let merged = merge_attribution_window(store, cfg, &ctx, window)
        .await
        .or_fail(|e| format!("Unreadable state: {e}"))?;
    exec.records = merged.records;
    exec.set_bad_records(&merged.bad_records);
    exec.partial_profiles = merged.objects;
    if merged.records == 0 {
        return Err(Stop::NoData(format!(
            "No captured data in the window {} to {} ({} bad records).",
            window.start.format("%Y-%m-%dT%H:%M:%SZ"),
            window.end.format("%Y-%m-%dT%H:%M:%SZ"),
            merged.bad_records.total()
        )));
    }
    let (global, expected) = global_shap(invokers, cfg, &ctx, merged, &base).await?;
    let current: Vec<(String, f64)> = ctx.features.iter().cloned().zip(global).collect();
    let score = ndcg_by_name(&base.values(), &current).map_err(|e| {
        Stop::Failed(format!(
            "Attributions cannot be compared with the baseline: {e}"
        ))
    })?;
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
    write_report(
        store,
        &exec.report_prefix,
        (
            ANALYSIS_FILE,
            analysis_of(&label, &current, expected).to_json(),
        ),
        violations.to_json(),
        exec,
    )
    .await?;
    publish_window(
        metrics,
        cfg,
        namespaces::EXPLAINABILITY_ENDPOINT,
        window.start,
        exec,
        explainability_metrics(
            &cfg.endpoint,
            &cfg.name,
            window.start,
            &label,
            &current,
            expected,
        ),
    )
    .await?;
    Ok(())
}

/// The baseline `analysis.json`'s explanation of the monitored label (the first label when
/// the baseline does not name it).
async fn baseline_label<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    ctx: &AttributionContext,
) -> Result<(String, LabelExplanation), Stop> {
    let baseline_key = cfg.analysis_key();
    let bytes = store
        .get(&baseline_key)
        .await
        .or_fail(|e| format!("Baseline missing: {e}"))?;
    let unreadable = |e: &dyn std::fmt::Display| {
        Stop::Failed(format!("Baseline {baseline_key} unreadable: {e}"))
    };
    let baseline = ExplainabilityAnalysis::from_json(&bytes).map_err(|e| unreadable(&e))?;
    let labels = baseline.labels().map_err(|e| unreadable(&e))?;
    if labels.is_empty() {
        return Err(Stop::Failed(format!(
            "Baseline {baseline_key} has no kernel_shap label"
        )));
    }
    Ok(labels
        .iter()
        .find(|(k, _)| *k == ctx.label_key)
        .unwrap_or(&labels[0])
        .clone())
}

/// The window's global SHAP values and the expected value of the explained output: by
/// Kernel SHAP over the merged sample (the model from `invokers`, off the async threads),
/// or from the merged sums of explainers that run at ingest.
async fn global_shap<F: InvokerFactory + ?Sized>(
    invokers: &F,
    cfg: &MonitorConfig,
    ctx: &AttributionContext,
    window: AttributionWindow,
    base: &LabelExplanation,
) -> Result<(Vec<f64>, f64), Stop> {
    let unexplained = || {
        Stop::Failed(format!(
            "No record of the window could be explained ({} bad records).",
            window.bad_records.total()
        ))
    };
    let kernel_model = match (&ctx.explainer, cfg.explainability.as_ref()) {
        (
            PreparedExplainer::Kernel { .. },
            Some(crate::config::ExplainabilitySettings {
                explainer: Explainer::Kernel { model, .. },
                ..
            }),
        ) => Some(model),
        _ => None,
    };
    let Some(model) = kernel_model else {
        let global = window.sums.global(ctx.agg).ok_or_else(unexplained)?;
        let expected = ctx.linear_expected_value().unwrap_or(base.expected_value);
        return Ok((global, expected));
    };
    if window.sample.is_empty() {
        return Err(unexplained());
    }
    let invoker = invokers
        .invoker(model, &ctx.features)
        .map_err(|e| Stop::Failed(format!("Model unavailable: {e}")))?;
    let background = ctx.background.clone();
    let records: Vec<Vec<f64>> = window.sample.iter().map(|r| r.x.clone()).collect();
    let (kernel, agg) = (ctx.kernel, ctx.agg);
    // Kernel SHAP calls the model synchronously many times: off the async threads.
    tokio::task::spawn_blocking(move || {
        kernel_global(background, &records, kernel, agg, invoker.as_ref())
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r)
    .map(|k| (k.global, k.expected_value))
    .map_err(|e| Stop::Failed(format!("Kernel SHAP failed: {e}")))
}

/// The window's `analysis.json`: the global SHAP values of `label`, in feature order.
fn analysis_of(label: &str, current: &[(String, f64)], expected: f64) -> ExplainabilityAnalysis {
    ExplainabilityAnalysis::new(vec![(
        label.to_owned(),
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
    )])
}
