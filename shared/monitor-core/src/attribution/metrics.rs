//! The CloudWatch data of a feature-attribution-drift execution (spec §7.5).

use chrono::{DateTime, Utc};

use crate::metrics::builders::endpoint_dimensions;
use crate::metrics::{dimensions, namespaces, MetricDatum, MetricValue};

/// The CloudWatch data of one feature-attribution execution (spec §7.5): the global SHAP
/// value of each feature as `feature_{name}` (`ValueType` `GlobalShapValues`) and the
/// expected value as `ExpectedValue` (`ValueType` `ExpectedValue`), in
/// [`namespaces::EXPLAINABILITY_ENDPOINT`] with dimensions `Endpoint`, `MonitoringSchedule`,
/// `ExplainabilityMethod` (`KernelShap`), `Label`, `ValueType`. Non-finite values are skipped.
pub fn explainability_metrics(
    endpoint: &str,
    schedule: &str,
    timestamp: DateTime<Utc>,
    label: &str,
    global: &[(String, f64)],
    expected_value: f64,
) -> Vec<MetricDatum> {
    let dims = |value_type: &str| {
        let mut d = endpoint_dimensions(endpoint, schedule);
        d.extend([
            (
                dimensions::EXPLAINABILITY_METHOD.to_string(),
                "KernelShap".to_string(),
            ),
            (dimensions::LABEL.to_string(), label.to_string()),
            (dimensions::VALUE_TYPE.to_string(), value_type.to_string()),
        ]);
        d
    };
    let mut out: Vec<MetricDatum> = global
        .iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(name, v)| {
            MetricDatum::new(
                namespaces::EXPLAINABILITY_ENDPOINT,
                format!("feature_{name}"),
                timestamp,
                dims("GlobalShapValues"),
                MetricValue::Value(*v),
            )
        })
        .collect();
    if expected_value.is_finite() {
        out.push(MetricDatum::new(
            namespaces::EXPLAINABILITY_ENDPOINT,
            "ExpectedValue",
            timestamp,
            dims("ExpectedValue"),
            MetricValue::Value(expected_value),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::test_support::*;
    use crate::metrics::validate;

    #[test]
    fn explainability_metrics_per_feature_and_expected_value() {
        let data = explainability_metrics(
            "ep",
            "sched",
            ts(),
            "label0",
            &[("age".into(), 0.3), ("nan".into(), f64::NAN)],
            0.42,
        );
        assert_eq!(names_of(&data), vec!["feature_age", "ExpectedValue"]);
        assert_eq!(
            data[1].dimensions.last(),
            Some(&("ValueType".to_string(), "ExpectedValue".to_string()))
        );
        assert_eq!(
            data[0].dimensions[2],
            ("ExplainabilityMethod".to_string(), "KernelShap".to_string())
        );
        assert!(data.iter().all(|d| validate(d).is_ok()));
    }
}
