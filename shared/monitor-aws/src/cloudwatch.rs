//! [`PutMetricDataSink`]: the CloudWatch `PutMetricData` adapter of monitor-core's
//! [`MetricSink`] port.
//!
//! Data are validated first ([`validate`]: nothing is sent when one datum is invalid),
//! grouped by namespace (one namespace per request, in order of first appearance; data keep
//! their order inside a namespace) and cut into requests within the API limits
//! ([`plan_requests`]):
//!
//! - at most [`MAX_DATA_PER_REQUEST`] = 1000 `MetricDatum` per request, and
//! - at most [`MAX_REQUEST_BYTES`] of payload, against CloudWatch's 1 MB limit,
//!
//! both from the `PutMetricData` API reference: "Each PutMetricData request is limited to 1
//! MB in size for HTTP POST requests. […] Each request is also limited to no more than 1000
//! different metrics." (`monitor_core::metrics::limits` has no request-level limits, so they
//! live here.)
//!
//! A [`MetricValue::Statistics`] becomes a `StatisticSet` (`SampleCount`, `Sum`, `Minimum`,
//! `Maximum`), so CloudWatch keeps exact Min/Max/Sum/SampleCount/Average (spec §7.1);
//! dimensions go out in their given order, the timestamp with millisecond precision, the
//! unit as a `StandardUnit`.
//!
//! Errors, after the SDK's retries ([`crate::retry_config`]): throttling, HTTP 5xx,
//! `InternalServiceFault`, timeouts → [`CoreError::Transient`]; `InvalidParameterValue`,
//! `InvalidParameterCombination`, `MissingRequiredParameter` → [`CoreError::Config`];
//! anything else → [`CoreError::Io`]. The requests are sent one after the other and the
//! first failure stops the call; the error says how many requests had already succeeded.
//! Re-publishing after a partial failure sends those data again, which CloudWatch counts
//! twice for sums and sample counts.

use aws_config::SdkConfig;
use aws_sdk_cloudwatch::config::http::HttpResponse;
use aws_sdk_cloudwatch::error::SdkError;
use aws_sdk_cloudwatch::operation::put_metric_data::PutMetricDataError;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{self as cw, StandardUnit, StatisticSet};
use aws_sdk_cloudwatch::Client;
use monitor_core::metrics::{validate, MetricDatum, MetricSink, MetricValue};
use monitor_core::CoreError;

use crate::error::{classify, Class};

/// `MetricDatum` per `PutMetricData` request: "Each request is also limited to no more than
/// 1000 different metrics" (CloudWatch API reference, `PutMetricData`).
pub const MAX_DATA_PER_REQUEST: usize = 1000;

/// Payload budget of one request, in bytes of [`estimated_request_bytes`].
///
/// The documented limit is "1 MB in size for HTTP POST requests" (`PutMetricData` API
/// reference). The budget takes the smaller reading of "1 MB" (10⁶ bytes, not 2²⁰), and the
/// estimate it is compared with is an upper bound of the request body in the most verbose
/// protocol CloudWatch accepts (see [`estimated_datum_bytes`]), so a planned request never
/// exceeds the limit whatever the wire format.
pub const MAX_REQUEST_BYTES: usize = 1_000_000;

/// The CloudWatch client configuration used by [`cloudwatch_client`]: `conf` plus the
/// retry policy of [`crate::retry_config`]. Tests add a mock HTTP client before building.
#[must_use]
pub fn cloudwatch_config(conf: &SdkConfig) -> aws_sdk_cloudwatch::config::Builder {
    aws_sdk_cloudwatch::config::Builder::from(conf).retry_config(crate::config::retry_config())
}

/// A CloudWatch client with the crate's retry policy ([`cloudwatch_config`]).
///
/// Against moto note that aws-sdk-cloudwatch ≥ 1.100 speaks RPCv2-CBOR, which moto does
/// not route (tooling notes §2): point it at the CBOR shim or use the mocks.
#[must_use]
pub fn cloudwatch_client(conf: &SdkConfig) -> Client {
    Client::from_conf(cloudwatch_config(conf).build())
}

/// A [`MetricSink`] that publishes with CloudWatch `PutMetricData` (module docs).
#[derive(Debug, Clone)]
pub struct PutMetricDataSink {
    client: Client,
}

impl PutMetricDataSink {
    /// A sink publishing with `client` (build it once per process, e.g. with
    /// [`cloudwatch_client`]).
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// The CloudWatch client.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// One planned `PutMetricData` request: a namespace and its data, in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedRequest<'a> {
    /// the request's `Namespace`
    pub namespace: &'a str,
    /// the request's `MetricData`, at most [`MAX_DATA_PER_REQUEST`]
    pub data: Vec<&'a MetricDatum>,
    /// [`estimated_request_bytes`] of the request, at most [`MAX_REQUEST_BYTES`] unless a
    /// single datum exceeds it (impossible for data that pass [`validate`])
    pub estimated_bytes: usize,
}

/// Length of `s` after form (percent) encoding: unreserved bytes (`A–Z a–z 0–9 - _ . ~`)
/// count 1, every other byte 3 (`%XX`).
fn encoded_len(s: &str) -> usize {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                1
            } else {
                3
            }
        })
        .sum()
}

/// Bytes of one encoded number or timestamp, generously: `-2.3485425827738332e108` is 23
/// characters, `2024-01-02T03%3A00%3A00.000Z` 28.
const NUMBER_BYTES: usize = 32;

/// Parameter names of the awsQuery encoding with the largest indices
/// (`&MetricData.member.1000.` is 24 characters, `Dimensions.member.30.` 21).
const MEMBER_PREFIX: usize = 24;
const DIMENSION_PREFIX: usize = MEMBER_PREFIX + 21;

/// Upper bound of the bytes one datum adds to a `PutMetricData` body.
///
/// Modelled on the awsQuery form encoding (`MetricData.member.N.Dimensions.member.M.Value=…`),
/// the most verbose of CloudWatch's protocols: each field costs its parameter name with the
/// largest indices, its percent-encoded value (unreserved bytes 1, others 3) and 32 bytes
/// per number or timestamp. The RPCv2-CBOR body this SDK sends is smaller: member names
/// without the `MetricData.member.N.` prefixes, strings unescaped, 9 bytes per double
/// (the mocked-client tests compare real bodies with this estimate).
#[must_use]
pub fn estimated_datum_bytes(d: &MetricDatum) -> usize {
    let field = |name: &str| MEMBER_PREFIX + name.len() + 2; // "&" … "="
    let mut bytes = field("MetricName") + encoded_len(&d.name);
    bytes += field("Timestamp") + NUMBER_BYTES;
    bytes += match d.value {
        MetricValue::Value(_) => field("Value") + NUMBER_BYTES,
        MetricValue::Statistics { .. } => ["SampleCount", "Sum", "Minimum", "Maximum"]
            .iter()
            .map(|s| field("StatisticValues.") + s.len() + NUMBER_BYTES)
            .sum::<usize>(),
    };
    if let Some(unit) = &d.unit {
        bytes += field("Unit") + encoded_len(unit);
    }
    for (name, value) in &d.dimensions {
        bytes += DIMENSION_PREFIX + "Name".len() + 2 + encoded_len(name);
        bytes += DIMENSION_PREFIX + "Value".len() + 2 + encoded_len(value);
    }
    bytes
}

/// Upper bound of the bytes of a request before its data: `Action=PutMetricData&Version=
/// 2010-08-01&Namespace=…` (or the CBOR/JSON envelope), with room for the SDK's extras.
#[must_use]
pub fn estimated_request_bytes(namespace: &str) -> usize {
    256 + encoded_len(namespace)
}

/// Cuts `data` into `PutMetricData` requests: grouped by namespace (in order of first
/// appearance, data in input order), each with at most [`MAX_DATA_PER_REQUEST`] data and
/// at most [`MAX_REQUEST_BYTES`] of estimated payload ([`estimated_datum_bytes`]). A
/// request always holds at least one datum. Empty input gives no request.
#[must_use]
pub fn plan_requests(data: &[MetricDatum]) -> Vec<PlannedRequest<'_>> {
    // Group by namespace, keeping the order of first appearance.
    let mut groups: Vec<(&str, Vec<&MetricDatum>)> = Vec::new();
    for d in data {
        match groups.iter_mut().find(|(ns, _)| *ns == d.namespace) {
            Some((_, members)) => members.push(d),
            None => groups.push((&d.namespace, vec![d])),
        }
    }
    let mut requests = Vec::new();
    for (namespace, members) in groups {
        let base = estimated_request_bytes(namespace);
        let mut current = PlannedRequest {
            namespace,
            data: Vec::new(),
            estimated_bytes: base,
        };
        for d in members {
            let size = estimated_datum_bytes(d);
            let full = current.data.len() >= MAX_DATA_PER_REQUEST
                || current.estimated_bytes + size > MAX_REQUEST_BYTES;
            if full && !current.data.is_empty() {
                let next = PlannedRequest {
                    namespace,
                    data: Vec::new(),
                    estimated_bytes: base,
                };
                requests.push(std::mem::replace(&mut current, next));
            }
            current.data.push(d);
            current.estimated_bytes += size;
        }
        if !current.data.is_empty() {
            requests.push(current);
        }
    }
    requests
}

/// The SDK's `MetricDatum` for one of ours.
#[must_use]
pub fn to_sdk_datum(d: &MetricDatum) -> cw::MetricDatum {
    let dimensions = d
        .dimensions
        .iter()
        .map(|(name, value)| cw::Dimension::builder().name(name).value(value).build())
        .collect();
    let builder = cw::MetricDatum::builder()
        .metric_name(&d.name)
        .set_dimensions(Some(dimensions))
        .timestamp(DateTime::from_millis(d.timestamp.timestamp_millis()))
        .set_unit(d.unit.as_deref().map(StandardUnit::from));
    match d.value {
        MetricValue::Value(v) => builder.value(v),
        MetricValue::Statistics {
            sample_count,
            sum,
            minimum,
            maximum,
        } => builder.statistic_values(
            StatisticSet::builder()
                .sample_count(sample_count)
                .sum(sum)
                .minimum(minimum)
                .maximum(maximum)
                .build(),
        ),
    }
    .build()
}

/// Maps a failed request to a [`CoreError`] (module docs).
fn publish_error(
    namespace: &str,
    request: usize,
    total: usize,
    err: &SdkError<PutMetricDataError, HttpResponse>,
) -> CoreError {
    let modeled = err.as_service_error().and_then(|e| {
        if e.is_internal_service_fault() {
            Some(Class::Transient)
        } else if e.is_invalid_parameter_value_exception()
            || e.is_invalid_parameter_combination_exception()
            || e.is_missing_required_parameter_exception()
        {
            Some(Class::Invalid)
        } else {
            None
        }
    });
    let failure = classify(err, modeled);
    let message = format!(
        "PutMetricData request {} of {total} (namespace {namespace:?}; {} sent before it): {}",
        request + 1,
        request,
        failure.message
    );
    let key = format!("cloudwatch:{namespace}");
    match failure.class {
        Class::Transient => {
            tracing::warn!(%message, "PutMetricData failed after retries");
            CoreError::Transient {
                key,
                message: format!("{message} (after the SDK's retries)"),
            }
        }
        Class::Invalid => CoreError::Config {
            field: "PutMetricData".into(),
            value: namespace.into(),
            message,
        },
        Class::NotFound | Class::Denied | Class::Other => CoreError::Io {
            key,
            source: std::io::Error::new(failure.io_kind(), message),
        },
    }
}

impl MetricSink for PutMetricDataSink {
    async fn publish(&self, data: &[MetricDatum]) -> Result<(), CoreError> {
        for d in data {
            validate(d)?;
        }
        let requests = plan_requests(data);
        let total = requests.len();
        for (i, request) in requests.iter().enumerate() {
            let metric_data = request.data.iter().map(|d| to_sdk_datum(d)).collect();
            self.client
                .put_metric_data()
                .namespace(request.namespace)
                .set_metric_data(Some(metric_data))
                .send()
                .await
                .map_err(|e| publish_error(request.namespace, i, total, &e))?;
            tracing::debug!(
                namespace = request.namespace,
                data = request.data.len(),
                estimated_bytes = request.estimated_bytes,
                "PutMetricData sent"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn datum(ns: &str, name: &str, dims: usize, value_len: usize) -> MetricDatum {
        MetricDatum::new(
            ns,
            name,
            Utc.with_ymd_and_hms(2024, 1, 2, 3, 0, 0).unwrap(),
            (0..dims)
                .map(|i| (format!("Dim{i:02}"), "v".repeat(value_len)))
                .collect(),
            MetricValue::Value(1.0),
        )
    }

    #[test]
    fn encoded_len_counts_percent_escapes() {
        assert_eq!(encoded_len("abc-_.~9"), 8);
        assert_eq!(encoded_len("a b/c"), 1 + 3 + 1 + 3 + 1);
        assert_eq!(encoded_len("é"), 6); // two UTF-8 bytes
    }

    #[test]
    fn datum_estimate_covers_the_query_encoding() {
        // The awsQuery parameters of one datum with the largest indices, written out.
        let d = datum("ns", "feature_data_age", 1, 2).with_unit("Count");
        let query = concat!(
            "&MetricData.member.1000.MetricName=feature_data_age",
            "&MetricData.member.1000.Timestamp=2024-01-02T03%3A00%3A00.000Z",
            "&MetricData.member.1000.Value=1.0",
            "&MetricData.member.1000.Unit=Count",
            "&MetricData.member.1000.Dimensions.member.30.Name=Dim00",
            "&MetricData.member.1000.Dimensions.member.30.Value=vv",
        );
        let estimate = estimated_datum_bytes(&d);
        assert!(estimate >= query.len(), "{estimate} < {}", query.len());
        assert!(estimate < query.len() + 100, "{estimate} is far too loose");
    }

    #[test]
    fn plan_splits_by_count_and_keeps_namespace_order() {
        let mut data: Vec<MetricDatum> = (0..2500)
            .map(|i| datum("A", &format!("m{i}"), 2, 8))
            .collect();
        data.insert(10, datum("B", "b0", 0, 0));
        data.push(datum("B", "b1", 0, 0));
        let plan = plan_requests(&data);
        let shape: Vec<(&str, usize)> = plan.iter().map(|r| (r.namespace, r.data.len())).collect();
        assert_eq!(shape, vec![("A", 1000), ("A", 1000), ("A", 500), ("B", 2)]);
        assert_eq!(plan[0].data[0].name, "m0");
        assert_eq!(plan[2].data[499].name, "m2499");
        assert_eq!(plan[3].data[1].name, "b1");
        assert!(plan_requests(&[]).is_empty());
    }

    #[test]
    fn plan_splits_by_size() {
        // 30 dimensions with 1024-byte values: ~32 KB each, so ~30 per request.
        let data: Vec<MetricDatum> = (0..100)
            .map(|i| datum("A", &format!("m{i}"), 30, 1024))
            .collect();
        let per = estimated_datum_bytes(&data[0]);
        assert!(per > 30 * 1024, "{per}");
        let plan = plan_requests(&data);
        let fit = (MAX_REQUEST_BYTES - estimated_request_bytes("A")) / per;
        assert_eq!(plan[0].data.len(), fit);
        assert_eq!(plan.len(), 100_usize.div_ceil(fit));
        assert_eq!(plan.iter().map(|r| r.data.len()).sum::<usize>(), 100);
        for r in &plan {
            assert!(
                r.estimated_bytes <= MAX_REQUEST_BYTES,
                "{}",
                r.estimated_bytes
            );
        }
    }

    #[test]
    fn sdk_datum_carries_statistics_dimensions_timestamp_and_unit() {
        let mut d = datum("ns", "feature_data_age", 2, 3).with_unit("Count");
        d.value = MetricValue::Statistics {
            sample_count: 4.0,
            sum: 10.0,
            minimum: 1.0,
            maximum: 4.0,
        };
        let sdk = to_sdk_datum(&d);
        assert_eq!(sdk.metric_name(), Some("feature_data_age"));
        assert_eq!(sdk.value(), None);
        let set = sdk.statistic_values().unwrap();
        assert_eq!(
            (set.sample_count(), set.sum(), set.minimum(), set.maximum()),
            (Some(4.0), Some(10.0), Some(1.0), Some(4.0))
        );
        let dims: Vec<(&str, &str)> = sdk
            .dimensions()
            .iter()
            .map(|x| (x.name().unwrap(), x.value().unwrap()))
            .collect();
        assert_eq!(dims, vec![("Dim00", "vvv"), ("Dim01", "vvv")]);
        // 2024-01-02T03:00:00Z = 1704164400 s (`date -u -d 2024-01-02T03:00:00Z +%s`)
        assert_eq!(sdk.timestamp().unwrap().secs(), 1_704_164_400);
        assert_eq!(sdk.unit(), Some(&StandardUnit::Count));
        assert_eq!(to_sdk_datum(&datum("ns", "x", 0, 0)).unit(), None);
    }
}
