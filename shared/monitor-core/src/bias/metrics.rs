//! The CloudWatch data of a bias-drift execution (spec §7.4).

use chrono::{DateTime, Utc};

use crate::metrics::builders::endpoint_dimensions;
use crate::metrics::{dimensions, limits, namespaces, MetricDatum, MetricValue};

/// One bias metric value of a window, with what names it (spec §7.4).
#[derive(Debug, Clone, PartialEq)]
pub struct BiasMetricValue {
    /// `Pre-training` or `Post-Training` (the DG's casing)
    pub stage: &'static str,
    /// label column
    pub label: String,
    /// positive label value(s) or threshold text
    pub label_value: String,
    /// facet column
    pub facet: String,
    /// facet value(s) or threshold text
    pub facet_value: String,
    /// metric code, e.g. `DPPL`
    pub code: String,
    /// the value (±∞ allowed; NaN = the metric failed)
    pub value: f64,
}

/// The CloudWatch data of one bias-drift execution (spec §7.4): `bias_metric_{CODE}` in
/// [`namespaces::BIAS_ENDPOINT`] with dimensions `Endpoint`, `MonitoringSchedule`,
/// `BiasStage`, `Label`, `LabelValue`, `Facet`, `FacetValue`. ±∞ is published as
/// ±[`limits::MAX_MAGNITUDE`] (SageMaker's ±2.348543e108); failed (NaN) metrics are not
/// published.
pub fn bias_metrics(
    endpoint: &str,
    schedule: &str,
    timestamp: DateTime<Utc>,
    values: &[BiasMetricValue],
) -> Vec<MetricDatum> {
    values
        .iter()
        .filter(|v| !v.value.is_nan())
        .map(|v| {
            let mut dims = endpoint_dimensions(endpoint, schedule);
            dims.extend([
                (dimensions::BIAS_STAGE.to_string(), v.stage.to_string()),
                (dimensions::LABEL.to_string(), v.label.clone()),
                (dimensions::LABEL_VALUE.to_string(), v.label_value.clone()),
                (dimensions::FACET.to_string(), v.facet.clone()),
                (dimensions::FACET_VALUE.to_string(), v.facet_value.clone()),
            ]);
            let value = if v.value.is_infinite() {
                limits::MAX_MAGNITUDE.copysign(v.value)
            } else {
                v.value.clamp(-limits::MAX_MAGNITUDE, limits::MAX_MAGNITUDE)
            };
            MetricDatum::new(
                namespaces::BIAS_ENDPOINT,
                format!("bias_metric_{}", v.code),
                timestamp,
                dims,
                MetricValue::Value(value),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::test_support::*;
    use crate::metrics::validate;

    #[test]
    fn bias_metrics_follow_the_dg_names_and_cap_infinity() {
        let v = |code: &str, value: f64| BiasMetricValue {
            stage: "Post-Training",
            label: "Target".into(),
            label_value: "1".into(),
            facet: "Sex".into(),
            facet_value: "0".into(),
            code: code.into(),
            value,
        };
        let data = bias_metrics(
            "ep",
            "sched",
            ts(),
            &[v("DPPL", 0.25), v("TE", f64::INFINITY), v("FT", f64::NAN)],
        );
        assert_eq!(names_of(&data), vec!["bias_metric_DPPL", "bias_metric_TE"]);
        assert_eq!(data[1].value, MetricValue::Value(limits::MAX_MAGNITUDE));
        let dims: Vec<&str> = data[0].dimensions.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            dims,
            vec![
                "Endpoint",
                "MonitoringSchedule",
                "BiasStage",
                "Label",
                "LabelValue",
                "Facet",
                "FacetValue"
            ]
        );
        assert!(data.iter().all(|d| validate(d).is_ok()));
        assert!(data
            .iter()
            .all(|d| d.namespace == namespaces::BIAS_ENDPOINT));
    }
}
