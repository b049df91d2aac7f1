//! The CBPE part of a model-quality tick: the window's estimates written into its execution
//! and published, whether or not labels have been joined yet; and the realised values put
//! beside them once they have.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::config::MonitorConfig;
use crate::error::RetryBoundary;
use crate::execution::{Execution, Window};
use crate::formats::model_quality::{ModelQualityConstraints, ProblemType};
use crate::layout::baseline_file_key;
use crate::metrics::builders::endpoint_dimensions;
use crate::metrics::{namespaces, MetricDatum, MetricSink, MetricValue};
use crate::model_quality::cbpe::{estimate, histogram, CbpeBaseline, EstimatedMetrics, CBPE_FILE};
use crate::store::{get_optional, ObjectStore};
use crate::CoreError;

/// Name of the metric counting the estimates whose upper bound is below their constraint.
pub const ESTIMATED_VIOLATIONS: &str = "estimated_constraint_violations";

/// The monitor's CBPE baseline (`{baseline_prefix}/cbpe.json`), `None` when there is none.
///
/// # Errors
/// The store's errors; [`CoreError::State`] for a file that is not a CBPE baseline.
pub async fn load_cbpe_baseline<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
) -> Result<Option<CbpeBaseline>, CoreError> {
    let key = baseline_file_key(&cfg.baseline_prefix, CBPE_FILE);
    let Some(bytes) = get_optional(store, &key).await? else {
        return Ok(None);
    };
    CbpeBaseline::from_json(&key, &bytes)
        .map(Some)
        .map_err(|e| CoreError::State {
            key,
            message: e.to_string(),
        })
}

/// The CloudWatch data of a window's estimates (namespace [`namespaces::MODEL_ENDPOINT`],
/// dimensions `Endpoint`, `MonitoringSchedule`): `estimated_<metric>`,
/// `estimated_<metric>_lower`, `estimated_<metric>_upper` per metric, then
/// [`ESTIMATED_VIOLATIONS`].
#[must_use]
pub fn estimated_metric_data(
    endpoint: &str,
    schedule: &str,
    timestamp: DateTime<Utc>,
    est: &EstimatedMetrics,
) -> Vec<MetricDatum> {
    let dims = endpoint_dimensions(endpoint, schedule);
    let datum = |name: String, v: f64| {
        MetricDatum::new(
            namespaces::MODEL_ENDPOINT,
            name,
            timestamp,
            dims.clone(),
            MetricValue::Value(v),
        )
    };
    let mut data = Vec::new();
    for (m, e) in &est.metrics {
        data.push(datum(format!("estimated_{m}"), e.value));
        data.push(datum(format!("estimated_{m}_lower"), e.lower));
        data.push(datum(format!("estimated_{m}_upper"), e.upper));
    }
    data.push(datum(
        ESTIMATED_VIOLATIONS.into(),
        est.violations.len() as f64,
    ));
    data
}

/// Estimates the window from its predictions' score counts (`bins`, predicted label → bin →
/// count) for a binary model-quality monitor with a CBPE baseline: sets
/// [`Execution::estimated_metrics`] and publishes [`estimated_metric_data`] (when the
/// monitor publishes metrics). Does nothing for other monitors or a window without scored
/// predictions. An unreadable CBPE baseline is logged and skipped: the realised evaluation
/// goes on. Returns the CBPE baseline it estimated with (the slices' estimates use it too).
///
/// # Errors
/// Retryable store and metric-sink failures.
pub async fn estimate_window<S: ObjectStore, M: MetricSink + ?Sized>(
    (store, metrics): (&S, &M),
    cfg: &MonitorConfig,
    window: Window,
    bins: &BTreeMap<String, BTreeMap<u32, u64>>,
    constraints: &ModelQualityConstraints,
    exec: &mut Execution,
) -> Result<Option<CbpeBaseline>, CoreError> {
    let Some(settings) = cfg.model_quality.as_ref() else {
        return Ok(None);
    };
    if settings.quality.problem_type != ProblemType::BinaryClassification || bins.is_empty() {
        return Ok(None);
    }
    let baseline = match load_cbpe_baseline(store, cfg).await.propagate_retryable()? {
        Ok(Some(b)) => b,
        Ok(None) => return Ok(None),
        Err(e) => {
            tracing::warn!(monitor = %cfg.name, error = %e, "CBPE baseline unreadable: no estimates");
            return Ok(None);
        }
    };
    let hist = histogram(bins, &settings.quality.positive_label);
    let Some(est) = estimate(&hist, &baseline, constraints) else {
        return Ok(None);
    };
    if cfg.publish_metrics {
        let data = estimated_metric_data(&cfg.endpoint, &cfg.name, window.start, &est);
        metrics
            .publish(&crate::metrics::sanitize(data).data)
            .await?;
    }
    exec.estimated_metrics = Some(est);
    Ok(Some(baseline))
}

/// Puts each realised metric of [`Execution::model_metrics`] beside its estimate.
pub fn attach_realised(exec: &mut Execution) {
    let Some(est) = exec.estimated_metrics.as_mut() else {
        return;
    };
    attach_realised_to(
        est,
        exec.model_metrics.iter().map(|(k, v)| (k.as_str(), *v)),
    );
}

/// Puts each realised metric of `realised` (name, value) beside its estimate in `est` (a
/// window's or a slice's).
pub fn attach_realised_to<'a>(
    est: &mut EstimatedMetrics,
    realised: impl IntoIterator<Item = (&'a str, f64)>,
) {
    for (name, value) in realised {
        if let Some(e) = est.metrics.get_mut(name) {
            e.realised = value.is_finite().then_some(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::test_support::*;
    use crate::model_quality::cbpe::EstimatedMetric;

    #[test]
    fn metric_names_and_realised_values() {
        let mut est = EstimatedMetrics {
            predictions: 10,
            ..EstimatedMetrics::default()
        };
        est.metrics.insert(
            "accuracy".into(),
            EstimatedMetric {
                value: 0.8,
                lower: 0.7,
                upper: 0.9,
                realised: None,
            },
        );
        est.violations.push("accuracy".into());
        let data = estimated_metric_data("ep", "sched", ts(), &est);
        assert_eq!(
            names_of(&data),
            vec![
                "estimated_accuracy",
                "estimated_accuracy_lower",
                "estimated_accuracy_upper",
                ESTIMATED_VIOLATIONS
            ]
        );
        assert!(data.iter().all(|d| d.dimensions == dims()));
        assert_eq!(data[2].value, MetricValue::Value(0.9));
        assert_eq!(data[3].value, MetricValue::Value(1.0));

        let cfg: MonitorConfig = serde_json::from_str(
            r#"{"name":"m","endpoint":"ep","baseline_prefix":"b","kind":"ModelQuality",
                "model_quality":{"problem_type":"BinaryClassification"}}"#,
        )
        .unwrap();
        let mut exec = Execution::failed(&cfg, Window::new(ts(), ts()));
        exec.estimated_metrics = Some(est);
        exec.model_metrics = vec![("accuracy".into(), 0.75), ("recall".into(), 0.5)];
        attach_realised(&mut exec);
        let est = exec.estimated_metrics.unwrap();
        assert_eq!(est.metrics["accuracy"].realised, Some(0.75));
        assert_eq!(est.metrics.len(), 1, "no estimate is invented for recall");
    }
}
