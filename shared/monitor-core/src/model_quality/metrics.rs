//! The CloudWatch data of a model-quality execution (spec §7.3).

use chrono::{DateTime, Utc};

use crate::metrics::builders::endpoint_dimensions;
use crate::metrics::{namespaces, MetricDatum, MetricValue};

/// The CloudWatch data of one model-quality execution of an endpoint monitor (spec §7.3):
/// namespace [`namespaces::MODEL_ENDPOINT`], dimensions `Endpoint`, `MonitoringSchedule`,
/// metric name = the statistics-file metric key (`accuracy`, `f2`, `mse`, …), no unit, in
/// input order. Non-finite values are not published.
#[must_use]
pub fn model_quality_metrics(
    endpoint: &str,
    schedule: &str,
    timestamp: DateTime<Utc>,
    metrics: &[(String, f64)],
) -> Vec<MetricDatum> {
    let dims = endpoint_dimensions(endpoint, schedule);
    metrics
        .iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(name, v)| {
            MetricDatum::new(
                namespaces::MODEL_ENDPOINT,
                name.clone(),
                timestamp,
                dims.clone(),
                MetricValue::Value(*v),
            )
        })
        .collect()
}

/// Name of the label-coverage metric: the fraction of the window's predictions joined to a
/// label (`matched / predictions` of `execution.json`'s `label_coverage`, at most 1).
pub const LABEL_COVERAGE: &str = "label_coverage";

/// The label coverage of one model-quality execution as a metric beside the model-quality
/// metrics (same namespace and dimensions, metric [`LABEL_COVERAGE`]); `None` for a window
/// without predictions.
#[must_use]
pub fn label_coverage_metric(
    endpoint: &str,
    schedule: &str,
    timestamp: DateTime<Utc>,
    coverage: &crate::execution::LabelCoverage,
) -> Option<MetricDatum> {
    (coverage.predictions > 0).then(|| {
        let fraction = (coverage.matched as f64 / coverage.predictions as f64).min(1.0);
        MetricDatum::new(
            namespaces::MODEL_ENDPOINT,
            LABEL_COVERAGE.to_string(),
            timestamp,
            endpoint_dimensions(endpoint, schedule),
            MetricValue::Value(fraction),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::test_support::*;

    #[test]
    fn model_quality_metrics_use_metric_keys() {
        let data = model_quality_metrics(
            "ep",
            "sched",
            ts(),
            &[
                ("accuracy".into(), 0.9),
                ("f2".into(), f64::NAN),
                ("mse".into(), 1.5),
            ],
        );
        assert_eq!(names_of(&data), vec!["accuracy", "mse"]);
        assert!(data
            .iter()
            .all(|d| d.namespace == namespaces::MODEL_ENDPOINT && d.dimensions == dims()));
        assert_eq!(data[1].value, MetricValue::Value(1.5));
    }

    #[test]
    fn label_coverage_is_matched_over_predictions() {
        let coverage = crate::execution::LabelCoverage {
            predictions: 8,
            matched: 6,
            pending_labels: 1,
            expired_labels: 0,
        };
        let d = label_coverage_metric("ep", "sched", ts(), &coverage).unwrap();
        assert_eq!(d.name, LABEL_COVERAGE);
        assert_eq!(d.dimensions, dims());
        // 6 of 8 predictions joined
        assert_eq!(d.value, MetricValue::Value(6.0 / 8.0));
        let none = crate::execution::LabelCoverage::default();
        assert!(label_coverage_metric("ep", "sched", ts(), &none).is_none());
    }
}
