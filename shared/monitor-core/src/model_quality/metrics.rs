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
}
