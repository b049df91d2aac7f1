//! The CloudWatch data of a data-quality execution (spec §7.1): per-feature metrics and
//! the monitor totals in `aws/sagemaker/Endpoints/data-metrics`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::formats::violations::CheckType;
use crate::metrics::builders::endpoint_dimensions;
use crate::metrics::{names, namespaces, MetricDatum, MetricValue, UNIT_COUNT};

/// The six data-quality check types, in the order their counts are published.
const DATA_QUALITY_CHECKS: [CheckType; 6] = [
    CheckType::DataTypeCheck,
    CheckType::CompletenessCheck,
    CheckType::BaselineDriftCheck,
    CheckType::MissingColumnCheck,
    CheckType::ExtraColumnCheck,
    CheckType::CategoricalValuesCheck,
];

/// Prefix of the per-feature drift-test p-value metric, published under modelwatch's drift
/// policy only (modelwatch addition; issue 13).
pub const FEATURE_DRIFT_P_VALUE_PREFIX: &str = "feature_drift_p_value_";
/// Prefix of the per-feature drift effect floor (the margin the raw distance of
/// `feature_baseline_drift_{f}` must exceed), published under the drift policy only.
pub const FEATURE_DRIFT_FLOOR_PREFIX: &str = "feature_drift_floor_";

/// What one data-quality execution measured, for [`data_quality_metrics`].
#[derive(Debug, Clone, PartialEq)]
pub struct DataQualityMetricsInput<'a> {
    /// endpoint name (`Endpoint` dimension)
    pub endpoint: &'a str,
    /// monitoring schedule name (`MonitoringSchedule` dimension)
    pub schedule: &'a str,
    /// timestamp of every datum (the monitoring window)
    pub timestamp: DateTime<Utc>,
    /// per-feature measurements, in publish order
    pub features: &'a [FeatureMetrics],
    /// execution totals
    pub totals: &'a MonitorTotals,
}

/// One feature's measurements.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMetrics {
    /// feature (column) name, used verbatim in the metric names
    pub name: String,
    /// `emit_metrics` is `Enabled` for this feature (constraints `monitoring_config`)
    pub emit: bool,
    /// completeness `num_present / (num_present + num_missing)`
    pub non_null_fraction: f64,
    /// distance to the baseline (spec §6), when compared; raw under the drift policy
    pub baseline_drift: Option<f64>,
    /// drift policy: the drift test's p-value
    pub drift_p_value: Option<f64>,
    /// drift policy: the effect floor the distance must exceed
    pub drift_floor: Option<f64>,
    /// numeric features: `(count, sum, min, max)` of the non-null values
    pub numeric: Option<(u64, f64, f64, f64)>,
}

/// Execution totals.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MonitorTotals {
    /// records analysed
    pub records: u64,
    /// records that could not be parsed
    pub bad_records: u64,
    /// violations per `constraint_check_type` wire name (e.g. `"data_type_check"`)
    pub violations_by_check: BTreeMap<String, u64>,
}

/// The CloudWatch data of one data-quality execution of an endpoint monitor (spec §7.1).
///
/// Namespace [`namespaces::DATA_ENDPOINT`]; dimensions `Endpoint`, `MonitoringSchedule` (in
/// that order) on every datum; every datum at `input.timestamp`. Per feature with `emit`, in
/// input order:
/// - `feature_baseline_drift_{f}` = the distance, when present;
/// - under the drift policy, `feature_drift_p_value_{f}` and `feature_drift_floor_{f}` = the
///   drift test's p-value and the effect floor (modelwatch additions);
/// - `feature_non_null_{f}` = the non-null fraction;
/// - `feature_data_{f}` = statistic set `{SampleCount: count, Sum, Minimum, Maximum}`, for
///   numeric features with `count > 0`.
///
/// Features with `emit == false` publish nothing. Non-finite values are not published
/// (CloudWatch rejects them; SageMaker likewise skips null metrics, spec §7.4). Then the
/// totals (modelwatch additions, unit `Count`): `constraint_violations_total` (sum over all
/// check types), `constraint_violations_{check}` for each of the six data-quality check types
/// (0 when none, so an alarm gets a datapoint every window) followed by any other check type
/// in `violations_by_check` (sorted), `records_analyzed`, `bad_records`.
#[must_use]
pub fn data_quality_metrics(input: &DataQualityMetricsInput<'_>) -> Vec<MetricDatum> {
    let dims = endpoint_dimensions(input.endpoint, input.schedule);
    let datum = |name: String, value: MetricValue| {
        MetricDatum::new(
            namespaces::DATA_ENDPOINT,
            name,
            input.timestamp,
            dims.clone(),
            value,
        )
    };
    let mut out = Vec::new();
    for f in input.features.iter().filter(|f| f.emit) {
        if let Some(drift) = f.baseline_drift.filter(|d| d.is_finite()) {
            out.push(datum(
                format!("{}{}", names::FEATURE_BASELINE_DRIFT_PREFIX, f.name),
                MetricValue::Value(drift),
            ));
        }
        for (prefix, v) in [
            (FEATURE_DRIFT_P_VALUE_PREFIX, f.drift_p_value),
            (FEATURE_DRIFT_FLOOR_PREFIX, f.drift_floor),
        ] {
            if let Some(v) = v.filter(|v| v.is_finite()) {
                out.push(datum(format!("{prefix}{}", f.name), MetricValue::Value(v)));
            }
        }
        if f.non_null_fraction.is_finite() {
            out.push(datum(
                format!("{}{}", names::FEATURE_NON_NULL_PREFIX, f.name),
                MetricValue::Value(f.non_null_fraction),
            ));
        }
        if let Some((count, sum, min, max)) = f.numeric {
            let finite = sum.is_finite() && min.is_finite() && max.is_finite();
            if count > 0 && finite {
                out.push(datum(
                    format!("{}{}", names::FEATURE_DATA_PREFIX, f.name),
                    MetricValue::Statistics {
                        sample_count: count as f64,
                        sum,
                        minimum: min,
                        maximum: max,
                    },
                ));
            }
        }
    }
    let count =
        |name: String, n: u64| datum(name, MetricValue::Value(n as f64)).with_unit(UNIT_COUNT);
    let by_check = &input.totals.violations_by_check;
    let total = by_check.values().fold(0u64, |a, &n| a.saturating_add(n));
    out.push(count(names::CONSTRAINT_VIOLATIONS_TOTAL.to_string(), total));
    for check in DATA_QUALITY_CHECKS {
        let n = by_check.get(check.as_str()).copied().unwrap_or(0);
        out.push(count(
            format!("{}{}", names::CONSTRAINT_VIOLATIONS_PREFIX, check.as_str()),
            n,
        ));
    }
    for (check, &n) in by_check {
        if !DATA_QUALITY_CHECKS.iter().any(|c| c.as_str() == check) {
            out.push(count(
                format!("{}{}", names::CONSTRAINT_VIOLATIONS_PREFIX, check),
                n,
            ));
        }
    }
    out.push(count(
        names::RECORDS_ANALYZED.to_string(),
        input.totals.records,
    ));
    out.push(count(
        names::BAD_RECORDS.to_string(),
        input.totals.bad_records,
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::test_support::*;
    use crate::metrics::validate;
    use std::collections::HashMap;

    #[test]
    fn data_quality_metrics_names_dimensions_and_values() {
        let features = [
            FeatureMetrics {
                name: "age".into(),
                emit: true,
                non_null_fraction: 0.75,
                baseline_drift: Some(0.25),
                drift_p_value: None,
                drift_floor: None,
                numeric: Some((3, 90.0, 20.0, 40.0)),
            },
            FeatureMetrics {
                name: "secret".into(),
                emit: false,
                non_null_fraction: 1.0,
                baseline_drift: Some(0.5),
                drift_p_value: None,
                drift_floor: None,
                numeric: Some((4, 4.0, 1.0, 1.0)),
            },
        ];
        let totals = MonitorTotals {
            records: 4,
            bad_records: 1,
            violations_by_check: BTreeMap::from([
                ("baseline_drift_check".to_string(), 1),
                ("data_type_check".to_string(), 2),
            ]),
        };
        let input = DataQualityMetricsInput {
            endpoint: "ep",
            schedule: "sched",
            timestamp: ts(),
            features: &features,
            totals: &totals,
        };
        let data = data_quality_metrics(&input);
        assert_eq!(
            names_of(&data),
            vec![
                "feature_baseline_drift_age",
                "feature_non_null_age",
                "feature_data_age",
                "constraint_violations_total",
                "constraint_violations_data_type_check",
                "constraint_violations_completeness_check",
                "constraint_violations_baseline_drift_check",
                "constraint_violations_missing_column_check",
                "constraint_violations_extra_column_check",
                "constraint_violations_categorical_values_check",
                "records_analyzed",
                "bad_records",
            ]
        );
        for d in &data {
            assert_eq!(d.namespace, namespaces::DATA_ENDPOINT);
            assert_eq!(d.timestamp, ts());
            assert_eq!(
                d.dimensions,
                vec![
                    ("Endpoint".to_string(), "ep".to_string()),
                    ("MonitoringSchedule".to_string(), "sched".to_string())
                ]
            );
            validate(d).unwrap();
        }
        let by_name: HashMap<&str, &MetricDatum> =
            data.iter().map(|d| (d.name.as_str(), d)).collect();
        assert_eq!(
            by_name["feature_baseline_drift_age"].value,
            MetricValue::Value(0.25)
        );
        assert_eq!(
            by_name["feature_non_null_age"].value,
            MetricValue::Value(0.75)
        );
        assert_eq!(
            by_name["feature_data_age"].value,
            MetricValue::Statistics {
                sample_count: 3.0,
                sum: 90.0,
                minimum: 20.0,
                maximum: 40.0
            }
        );
        assert_eq!(by_name["feature_non_null_age"].unit, None);
        assert_eq!(
            by_name["constraint_violations_total"].value,
            MetricValue::Value(3.0)
        );
        assert_eq!(
            by_name["constraint_violations_data_type_check"].value,
            MetricValue::Value(2.0)
        );
        assert_eq!(
            by_name["constraint_violations_completeness_check"].value,
            MetricValue::Value(0.0)
        );
        assert_eq!(by_name["records_analyzed"].value, MetricValue::Value(4.0));
        assert_eq!(by_name["bad_records"].unit.as_deref(), Some("Count"));
    }

    #[test]
    fn data_quality_metrics_skip_undefined_values() {
        let features = [FeatureMetrics {
            name: "s".into(),
            emit: true,
            non_null_fraction: f64::NAN,
            baseline_drift: Some(f64::INFINITY),
            drift_p_value: None,
            drift_floor: None,
            numeric: Some((0, 0.0, 0.0, 0.0)),
        }];
        let totals = MonitorTotals {
            violations_by_check: BTreeMap::from([("future_check".to_string(), 5)]),
            ..MonitorTotals::default()
        };
        let data = data_quality_metrics(&DataQualityMetricsInput {
            endpoint: "ep",
            schedule: "sched",
            timestamp: ts(),
            features: &features,
            totals: &totals,
        });
        assert!(!names_of(&data).iter().any(|n| n.starts_with("feature_")));
        assert!(names_of(&data).contains(&"constraint_violations_future_check"));
        assert_eq!(data[0].value, MetricValue::Value(5.0));
        assert_eq!(data.len(), 1 + 6 + 1 + 2);
    }
}
