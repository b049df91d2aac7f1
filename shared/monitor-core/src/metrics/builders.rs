//! What every capability's metric builder shares: the `Endpoint` / `MonitoringSchedule`
//! dimensions and the monitor totals.

use chrono::{DateTime, Utc};

use crate::metrics::{dimensions, names, namespaces, MetricDatum, MetricValue, UNIT_COUNT};

/// The `Endpoint` and `MonitoringSchedule` dimensions of an endpoint monitor's metrics;
/// `MonitoringSchedule` only when `endpoint` is empty (a batch-transform monitor).
pub fn endpoint_dimensions(endpoint: &str, schedule: &str) -> Vec<(String, String)> {
    let mut dims = vec![
        (dimensions::ENDPOINT.to_string(), endpoint.to_string()),
        (
            dimensions::MONITORING_SCHEDULE.to_string(),
            schedule.to_string(),
        ),
    ];
    if endpoint.is_empty() {
        dims.remove(0);
    }
    dims
}

/// The per-monitor totals of a model-quality, bias or feature-attribution execution, in
/// the monitor's own namespace with dimensions `Endpoint`, `MonitoringSchedule` (a
/// modelwatch extension, as for data quality): `constraint_violations_total` and
/// `records_analyzed` (unit `Count`). One alarm shape then serves every kind of monitor.
pub fn monitor_totals(
    namespace: &str,
    endpoint: &str,
    schedule: &str,
    timestamp: DateTime<Utc>,
    violations: u64,
    records: u64,
) -> Vec<MetricDatum> {
    [
        (names::CONSTRAINT_VIOLATIONS_TOTAL, violations),
        (names::RECORDS_ANALYZED, records),
    ]
    .into_iter()
    .map(|(name, n)| {
        MetricDatum::new(
            namespace,
            name,
            timestamp,
            endpoint_dimensions(endpoint, schedule),
            MetricValue::Value(n as f64),
        )
        .with_unit(UNIT_COUNT)
    })
    .collect()
}

/// `failed_executions` of one monitor's execution in [`namespaces::MODELWATCH`]: once with
/// the `Endpoint` / `MonitoringSchedule` dimensions (which monitor), once with only the
/// [`dimensions::STACK`] dimension naming `stack` (what the stack's
/// `{stack}-failed-executions` alarm of template.yaml watches, since a CloudWatch alarm cannot
/// sum over a dimension it does not name), or without dimensions when no stack is
/// configured (the CLI).
pub fn failed_executions(
    endpoint: &str,
    schedule: &str,
    stack: Option<&str>,
    timestamp: DateTime<Utc>,
    failed: u64,
) -> Vec<MetricDatum> {
    let stack_wide: Vec<(String, String)> = stack
        .map(|s| (dimensions::STACK.to_string(), s.to_string()))
        .into_iter()
        .collect();
    [endpoint_dimensions(endpoint, schedule), stack_wide]
        .into_iter()
        .map(|dims| {
            MetricDatum::new(
                namespaces::MODELWATCH,
                names::FAILED_EXECUTIONS,
                timestamp,
                dims,
                MetricValue::Value(failed as f64),
            )
            .with_unit(UNIT_COUNT)
        })
        .collect()
}
