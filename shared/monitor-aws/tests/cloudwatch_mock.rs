//! PutMetricDataSink against mocked CloudWatch responses (aws-smithy-mocks).

mod common;

use std::sync::{Arc, Mutex};

use aws_sdk_cloudwatch::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_cloudwatch::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_cloudwatch::error::{BoxError, ErrorMetadata};
use aws_sdk_cloudwatch::operation::put_metric_data::{
    PutMetricDataError, PutMetricDataInput, PutMetricDataOutput,
};
use aws_sdk_cloudwatch::types::error::InvalidParameterValueException;
use aws_sdk_cloudwatch::types::StandardUnit;
use aws_sdk_cloudwatch::Client;
use aws_smithy_mocks::{create_mock_http_client, mock, Rule, RuleMode};
use chrono::{TimeZone, Utc};
use common::{fast_retry, interceptor, test_sdk_config};
use monitor_aws::cloudwatch::{plan_requests, MAX_DATA_PER_REQUEST, MAX_REQUEST_BYTES};
use monitor_aws::{cloudwatch_config, PutMetricDataSink, MAX_ATTEMPTS};
use monitor_core::metrics::{namespaces, MetricDatum, MetricSink, MetricValue};
use monitor_core::CoreError;

/// Records the size of every request body the client is about to send.
#[derive(Debug, Clone, Default)]
struct BodySizes(Arc<Mutex<Vec<usize>>>);

impl Intercept for BodySizes {
    fn name(&self) -> &'static str {
        "BodySizes"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let len = context
            .request()
            .body()
            .bytes()
            .map_or(usize::MAX, <[u8]>::len);
        self.0.lock().unwrap().push(len);
        Ok(())
    }
}

/// A CloudWatch client built by the crate's `cloudwatch_config`, answered by `rules`, with
/// fast retries and request compression off (so body sizes are the raw payload).
fn mocked_cw(mode: RuleMode, rules: &[&Rule], sizes: &BodySizes) -> Client {
    let conf = cloudwatch_config(&test_sdk_config(None))
        .http_client(create_mock_http_client())
        .interceptor(interceptor(mode, rules))
        .interceptor(sizes.clone())
        .retry_config(fast_retry())
        .disable_request_compression(true)
        .build();
    Client::from_conf(conf)
}

/// A rule that accepts every PutMetricData and keeps a copy of each request.
fn recording_rule() -> (Rule, Arc<Mutex<Vec<PutMetricDataInput>>>) {
    let seen: Arc<Mutex<Vec<PutMetricDataInput>>> = Arc::default();
    let record = Arc::clone(&seen);
    let rule = mock!(Client::put_metric_data).then_compute_output(move |req| {
        record.lock().unwrap().push(req.clone());
        PutMetricDataOutput::builder().build()
    });
    (rule, seen)
}

fn dims() -> Vec<(String, String)> {
    vec![
        ("Endpoint".to_string(), "ep".to_string()),
        ("MonitoringSchedule".to_string(), "sched".to_string()),
    ]
}

fn datum(ns: &str, name: &str, value: MetricValue) -> MetricDatum {
    MetricDatum::new(
        ns,
        name,
        Utc.with_ymd_and_hms(2024, 1, 2, 3, 0, 0).unwrap(),
        dims(),
        value,
    )
}

#[tokio::test]
async fn publishes_2500_data_in_three_requests() {
    let (rule, seen) = recording_rule();
    let sizes = BodySizes::default();
    let sink = PutMetricDataSink::new(mocked_cw(RuleMode::MatchAny, &[&rule], &sizes));
    let data: Vec<MetricDatum> = (0..2500)
        .map(|i| {
            datum(
                namespaces::DATA_ENDPOINT,
                &format!("feature_non_null_f{i}"),
                MetricValue::Value(f64::from(i) / 2500.0),
            )
        })
        .collect();
    sink.publish(&data).await.unwrap();

    let seen = seen.lock().unwrap();
    let shape: Vec<(Option<&str>, usize)> = seen
        .iter()
        .map(|r| (r.namespace(), r.metric_data().len()))
        .collect();
    let ns = Some(namespaces::DATA_ENDPOINT);
    assert_eq!(shape, vec![(ns, 1000), (ns, 1000), (ns, 500)]);
    assert!(shape.iter().all(|(_, n)| *n <= MAX_DATA_PER_REQUEST));
    // every datum once, in order
    let names: Vec<&str> = seen
        .iter()
        .flat_map(|r| r.metric_data().iter().map(|d| d.metric_name().unwrap()))
        .collect();
    let expected: Vec<String> = (0..2500)
        .map(|i| format!("feature_non_null_f{i}"))
        .collect();
    assert_eq!(names, expected);
    assert_eq!(seen[2].metric_data()[499].value(), Some(2499.0 / 2500.0));
    // the real serialized bodies are within the limit and within our estimate
    let sizes = sizes.0.lock().unwrap();
    let plan = plan_requests(&data);
    assert_eq!(sizes.len(), 3);
    for (body, planned) in sizes.iter().zip(&plan) {
        assert!(
            *body <= planned.estimated_bytes,
            "{body} > {}",
            planned.estimated_bytes
        );
        assert!(*body <= MAX_REQUEST_BYTES);
    }
}

#[tokio::test]
async fn groups_by_namespace_in_order_of_first_appearance() {
    let (rule, seen) = recording_rule();
    let sink = PutMetricDataSink::new(mocked_cw(
        RuleMode::MatchAny,
        &[&rule],
        &BodySizes::default(),
    ));
    let data = vec![
        datum(
            namespaces::MODEL_ENDPOINT,
            "accuracy",
            MetricValue::Value(0.9),
        ),
        datum(
            namespaces::DATA_ENDPOINT,
            "feature_non_null_a",
            MetricValue::Value(1.0),
        ),
        datum(namespaces::MODEL_ENDPOINT, "f2", MetricValue::Value(0.5)),
    ];
    sink.publish(&data).await.unwrap();
    let seen = seen.lock().unwrap();
    let got: Vec<(&str, Vec<&str>)> = seen
        .iter()
        .map(|r| {
            (
                r.namespace().unwrap(),
                r.metric_data()
                    .iter()
                    .map(|d| d.metric_name().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (namespaces::MODEL_ENDPOINT, vec!["accuracy", "f2"]),
            (namespaces::DATA_ENDPOINT, vec!["feature_non_null_a"]),
        ]
    );
}

#[tokio::test]
async fn statistic_set_dimensions_timestamp_and_unit_reach_the_request() {
    let (rule, seen) = recording_rule();
    let sink = PutMetricDataSink::new(mocked_cw(
        RuleMode::MatchAny,
        &[&rule],
        &BodySizes::default(),
    ));
    let stats = datum(
        namespaces::DATA_ENDPOINT,
        "feature_data_age",
        MetricValue::Statistics {
            sample_count: 3.0,
            sum: 90.0,
            minimum: 20.0,
            maximum: 40.0,
        },
    );
    let count = datum(
        namespaces::DATA_ENDPOINT,
        "bad_records",
        MetricValue::Value(2.0),
    )
    .with_unit("Count");
    sink.publish(&[stats, count]).await.unwrap();

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let sent = seen[0].metric_data();
    let set = sent[0].statistic_values().expect("StatisticValues");
    assert_eq!(
        (set.sample_count(), set.sum(), set.minimum(), set.maximum()),
        (Some(3.0), Some(90.0), Some(20.0), Some(40.0))
    );
    assert_eq!(sent[0].value(), None);
    let dims: Vec<(&str, &str)> = sent[0]
        .dimensions()
        .iter()
        .map(|d| (d.name().unwrap(), d.value().unwrap()))
        .collect();
    assert_eq!(
        dims,
        vec![("Endpoint", "ep"), ("MonitoringSchedule", "sched")]
    );
    // 2024-01-02T03:00:00Z = 1704164400 s (`date -u -d 2024-01-02T03:00:00Z +%s`)
    assert_eq!(sent[0].timestamp().unwrap().secs(), 1_704_164_400);
    assert_eq!(sent[0].unit(), None);
    assert_eq!(sent[1].value(), Some(2.0));
    assert_eq!(sent[1].unit(), Some(&StandardUnit::Count));
}

#[tokio::test]
async fn size_limit_splits_requests_with_large_dimensions() {
    let (rule, seen) = recording_rule();
    let sizes = BodySizes::default();
    let sink = PutMetricDataSink::new(mocked_cw(RuleMode::MatchAny, &[&rule], &sizes));
    // 30 dimensions with 1024-character values (the API maxima): ~33 KB per datum.
    let data: Vec<MetricDatum> = (0..100)
        .map(|i| {
            let mut d = datum("modelwatch/test", &format!("m{i}"), MetricValue::Value(1.0));
            d.dimensions = (0..30)
                .map(|j| (format!("D{j:02}"), format!("{j:02}").repeat(512)))
                .collect();
            d
        })
        .collect();
    sink.publish(&data).await.unwrap();
    let seen = seen.lock().unwrap();
    assert!(seen.len() > 1, "{} requests", seen.len());
    assert_eq!(
        seen.iter().map(|r| r.metric_data().len()).sum::<usize>(),
        100
    );
    let sizes = sizes.0.lock().unwrap();
    assert_eq!(sizes.len(), seen.len());
    for body in sizes.iter() {
        assert!(*body <= MAX_REQUEST_BYTES, "{body}");
    }
}

#[tokio::test]
async fn throttling_is_transient_after_all_attempts() {
    let rule = mock!(Client::put_metric_data).then_error(|| {
        PutMetricDataError::generic(
            ErrorMetadata::builder()
                .code("Throttling")
                .message("Rate exceeded")
                .build(),
        )
    });
    let sink = PutMetricDataSink::new(mocked_cw(
        RuleMode::MatchAny,
        &[&rule],
        &BodySizes::default(),
    ));
    let err = sink
        .publish(&[datum(
            namespaces::DATA_ENDPOINT,
            "x",
            MetricValue::Value(1.0),
        )])
        .await
        .unwrap_err();
    match err {
        CoreError::Transient { key, message } => {
            assert_eq!(key, format!("cloudwatch:{}", namespaces::DATA_ENDPOINT));
            assert!(message.contains("Throttling: Rate exceeded"), "{message}");
            assert!(message.contains("request 1 of 1"), "{message}");
        }
        other => panic!("expected Transient, got {other:?}"),
    }
    assert_eq!(rule.num_calls(), MAX_ATTEMPTS as usize, "the SDK retried");
}

#[tokio::test]
async fn throttling_then_success_publishes() {
    let rule = mock!(Client::put_metric_data)
        .sequence()
        .error(|| {
            PutMetricDataError::generic(
                ErrorMetadata::builder().code("ThrottlingException").build(),
            )
        })
        .output(|| PutMetricDataOutput::builder().build())
        .build();
    let sink = PutMetricDataSink::new(mocked_cw(
        RuleMode::Sequential,
        &[&rule],
        &BodySizes::default(),
    ));
    sink.publish(&[datum(
        namespaces::DATA_ENDPOINT,
        "x",
        MetricValue::Value(1.0),
    )])
    .await
    .unwrap();
    assert_eq!(rule.num_calls(), 2);
}

#[tokio::test]
async fn invalid_parameter_is_a_config_error_without_retry() {
    let rule = mock!(Client::put_metric_data).then_error(|| {
        PutMetricDataError::InvalidParameterValueException(
            InvalidParameterValueException::builder()
                .message("The value 1e400 for parameter MetricData.member.1.Value is invalid.")
                .build(),
        )
    });
    let sink = PutMetricDataSink::new(mocked_cw(
        RuleMode::MatchAny,
        &[&rule],
        &BodySizes::default(),
    ));
    let err = sink
        .publish(&[datum(
            namespaces::DATA_ENDPOINT,
            "x",
            MetricValue::Value(1.0),
        )])
        .await
        .unwrap_err();
    match err {
        CoreError::Config {
            field,
            value,
            message,
        } => {
            assert_eq!(field, "PutMetricData");
            assert_eq!(value, namespaces::DATA_ENDPOINT);
            assert!(message.contains("MetricData.member.1.Value"), "{message}");
        }
        other => panic!("expected Config, got {other:?}"),
    }
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn invalid_datum_sends_nothing() {
    let (rule, seen) = recording_rule();
    let sink = PutMetricDataSink::new(mocked_cw(
        RuleMode::MatchAny,
        &[&rule],
        &BodySizes::default(),
    ));
    let data = vec![
        datum(namespaces::DATA_ENDPOINT, "ok", MetricValue::Value(1.0)),
        datum(
            namespaces::DATA_ENDPOINT,
            "bad",
            MetricValue::Value(f64::NAN),
        ),
    ];
    assert!(matches!(
        sink.publish(&data).await,
        Err(CoreError::Config { .. })
    ));
    assert!(seen.lock().unwrap().is_empty());
    assert_eq!(rule.num_calls(), 0);
    // and no data, no request
    sink.publish(&[]).await.unwrap();
    assert_eq!(rule.num_calls(), 0);
}
