//! Data shared by the metric tests.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use crate::metrics::builders::endpoint_dimensions;
use crate::metrics::{namespaces, MetricDatum, MetricValue};

pub(crate) fn ts() -> DateTime<Utc> {
    // 2024-01-02T03:00:00Z = 1704164400000 ms
    // (python3 -c "import datetime;print(int(datetime.datetime(2024,1,2,3,
    //  tzinfo=datetime.timezone.utc).timestamp()*1000))")
    Utc.with_ymd_and_hms(2024, 1, 2, 3, 0, 0).unwrap()
}

pub(crate) fn dims() -> Vec<(String, String)> {
    endpoint_dimensions("ep", "sched")
}

pub(crate) fn value(name: &str, v: f64) -> MetricDatum {
    MetricDatum::new(
        namespaces::DATA_ENDPOINT,
        name,
        ts(),
        dims(),
        MetricValue::Value(v),
    )
}

pub(crate) fn stats(name: &str) -> MetricDatum {
    MetricDatum::new(
        namespaces::DATA_ENDPOINT,
        name,
        ts(),
        dims(),
        MetricValue::Statistics {
            sample_count: 4.0,
            sum: 10.0,
            minimum: 1.0,
            maximum: 4.0,
        },
    )
}

pub(crate) fn parse(line: &str) -> Value {
    serde_json::from_str(line).unwrap()
}

pub(crate) fn names_of(data: &[MetricDatum]) -> Vec<&str> {
    data.iter().map(|d| d.name.as_str()).collect()
}

pub(crate) fn file_data() -> Vec<MetricDatum> {
    vec![
        value("feature_non_null_age", 0.75),
        stats("feature_data_age"),
        value("bad_records", 2.0).with_unit("Count"),
    ]
}
