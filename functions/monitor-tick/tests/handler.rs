//! The monitor-tick handler over an in-memory store prepared by baseline and ingest, driven
//! by the shared event fixtures in `events/`.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_lambda_events::event::s3::S3Event;
use lambda_kit::{decode_s3_key, ConfiguredMetrics, FunctionError, MetricsMode, StoreConfig};
use lambda_runtime::{Context, LambdaEvent};
use monitor_core::app::baseline::{self, BaselineRequest};
use monitor_core::app::ingest;
use monitor_core::config::{save_monitor, MonitorConfig};
use monitor_core::execution::{Execution, ExecutionStatus};
use monitor_core::metrics::{names, MemoryMetricSink, MetricSink, MetricValue};
use monitor_core::store::{MemoryStore, ObjectStore};
use monitor_tick::{handler, Config, Deps, TickInput};
use serde_json::{json, Value};
use test_support::churn::{capture_line, TRAIN_CSV};

const SCHEDULE_TICK: &str = include_str!("../../../events/schedule-tick.json");
const CAPTURE_PUT: &str = include_str!("../../../events/s3-capture-put.json");
const BASELINE_REQUEST: &str = include_str!("../../../events/baseline-request.json");
const ALARM: &str = include_str!("../../../events/alarm-state-change.json");

/// Report folder of the window 03:00–04:00 on 2026-11-01 (SageMaker names it by the hour the
/// window ends).
const REPORT_PREFIX: &str = "reports/churn-endpoint/churn-dq/2026/11/01/04/";

/// Baseline of `baseline-request.json`, the hourly `churn-dq` monitor, and the capture object
/// of `s3-capture-put.json` (four good records at 03:12, one bad line) already ingested.
async fn ingested_store() -> MemoryStore {
    let store = MemoryStore::new();
    let req: BaselineRequest = serde_json::from_str(BASELINE_REQUEST).unwrap();
    store
        .put(&req.dataset, TRAIN_CSV.as_bytes().to_vec())
        .await
        .unwrap();
    baseline::run(&store, &req).await.unwrap();
    let monitor = MonitorConfig::from_json(
        "test",
        json!({"name": "churn-dq", "endpoint": "churn-endpoint", "baseline_prefix": req.output_prefix})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    save_monitor(&store, &monitor).await.unwrap();

    let put: S3Event = serde_json::from_str(CAPTURE_PUT).unwrap();
    let key = decode_s3_key(put.records[0].s3.object.key.as_deref().unwrap());
    let lines = [
        capture_line(1, "0", "34,1200.5"),
        capture_line(2, "1", "51,310.25"),
        "this is not json".to_string(),
        capture_line(3, "0", "27,88.0"),
        capture_line(4, "1", "45,5020.75"),
    ];
    store
        .put(&key, (lines.join("\n") + "\n").into_bytes())
        .await
        .unwrap();
    let summary = ingest::run(&store, &[key]).await.unwrap();
    assert_eq!(summary.objects[0].records, 4);
    store
}

fn event(json: &str) -> Value {
    serde_json::from_str(json).unwrap()
}

fn invoke(v: Value) -> LambdaEvent<EventBridgeEvent<Value>> {
    LambdaEvent::new(serde_json::from_value(v).unwrap(), Context::default())
}

fn t(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

fn assert_completed_03_to_04(exec: &Execution) {
    assert_eq!(exec.monitoring_schedule_name, "churn-dq");
    assert_eq!(exec.endpoint_name, "churn-endpoint");
    assert_eq!(exec.window_start, t("2026-11-01T03:00:00Z"));
    assert_eq!(exec.window_end, t("2026-11-01T04:00:00Z"));
    assert_eq!(
        exec.status,
        ExecutionStatus::Completed,
        "{}",
        exec.exit_message
    );
    assert_eq!(exec.violations, 0);
    assert_eq!((exec.records, exec.bad_records), (4, 1));
    assert_eq!(exec.partial_profiles, 1);
    assert_eq!(exec.report_prefix, REPORT_PREFIX);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_tick_evaluates_the_previous_hour_and_writes_the_report() {
    let deps = Deps {
        store: ingested_store().await,
        metrics: MemoryMetricSink::new(),
        invokers: monitor_core::attribution::LocalModels,
        stack: None,
    };
    let summary = handler(invoke(event(SCHEDULE_TICK)), &deps).await.unwrap();
    assert_eq!(summary.executions.len(), 1);
    let exec = &summary.executions[0];
    assert_completed_03_to_04(exec);

    let reports = deps.store.list(REPORT_PREFIX).await.unwrap();
    let expected: Vec<String> = [
        "constraint_violations.json",
        "execution.json",
        "report.html", // the window's HTML report (issue 14)
        "statistics.json",
    ]
    .iter()
    .map(|f| format!("{REPORT_PREFIX}{f}"))
    .collect();
    assert_eq!(reports, expected);
    let written: Execution = serde_json::from_slice(
        &deps
            .store
            .get(&format!("{REPORT_PREFIX}execution.json"))
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(&written, exec);

    let metrics = deps.metrics.data();
    let records = metrics
        .iter()
        .find(|d| d.name == names::RECORDS_ANALYZED)
        .expect("records_analyzed published");
    assert_eq!(records.value, MetricValue::Value(4.0));
    assert_eq!(records.timestamp, t("2026-11-01T03:00:00Z"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_metrics_mode_writes_metrics_files_and_none_writes_nothing() {
    let store = ingested_store().await;
    let deps = Deps {
        metrics: ConfiguredMetrics::new(MetricsMode::File, store.clone()),
        invokers: monitor_core::attribution::LocalModels,
        stack: None,
        store,
    };
    handler(invoke(event(SCHEDULE_TICK)), &deps).await.unwrap();
    let files = deps.store.list("metrics/").await.unwrap();
    assert_eq!(files.len(), 1, "{files:?}");
    let body = String::from_utf8(deps.store.get(&files[0]).await.unwrap()).unwrap();
    assert!(body.contains(names::RECORDS_ANALYZED), "{body}");

    let store = ingested_store().await;
    let deps = Deps {
        metrics: ConfiguredMetrics::new(MetricsMode::None, store.clone()),
        invokers: monitor_core::attribution::LocalModels,
        stack: None,
        store,
    };
    assert_eq!(deps.metrics.mode(), MetricsMode::None);
    let summary = handler(invoke(event(SCHEDULE_TICK)), &deps).await.unwrap();
    assert_completed_03_to_04(&summary.executions[0]);
    assert!(deps.store.list("metrics/").await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detail_window_end_evaluates_that_window() {
    let deps = Deps {
        store: ingested_store().await,
        metrics: MemoryMetricSink::new(),
        invokers: monitor_core::attribution::LocalModels,
        stack: None,
    };
    // Two days later, a backfill of the window ending 04:00Z, written with an offset.
    let mut v = event(SCHEDULE_TICK);
    v["time"] = json!("2026-11-03T10:05:00Z");
    v["detail"] = json!({"monitor": "churn-dq", "window_end": "2026-11-01T05:00:00+01:00"});
    let summary = handler(invoke(v.clone()), &deps).await.unwrap();
    assert_eq!(summary.executions.len(), 1);
    assert_completed_03_to_04(&summary.executions[0]);

    // The hour before holds no capture: a Failed execution with only execution.json.
    v["detail"] = json!({"window_end": "2026-11-01T03:00:00Z"});
    let summary = handler(invoke(v), &deps).await.unwrap();
    let exec = &summary.executions[0];
    assert_eq!(exec.window_start, t("2026-11-01T02:00:00Z"));
    assert_eq!(exec.window_end, t("2026-11-01T03:00:00Z"));
    assert_eq!(exec.status, ExecutionStatus::Failed);
    assert_eq!(
        exec.exit_message,
        "Failed: No captured data in the window 2026-11-01T02:00:00Z to 2026-11-01T03:00:00Z (0 bad records)."
    );
    let prefix = "reports/churn-endpoint/churn-dq/2026/11/01/03/";
    assert_eq!(
        deps.store.list(prefix).await.unwrap(),
        vec![format!("{prefix}execution.json")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_monitor_is_a_permanent_error() {
    let deps = Deps {
        store: ingested_store().await,
        metrics: MemoryMetricSink::new(),
        invokers: monitor_core::attribution::LocalModels,
        stack: None,
    };
    let mut v = event(SCHEDULE_TICK);
    v["detail"] = json!({"monitor": "no-such-monitor"});
    let err = handler(invoke(v), &deps).await.unwrap_err();
    assert_eq!(err.error_type(), "Permanent");
    assert!(err.to_string().contains("\"no-such-monitor\""), "{err}");
}

async fn invalid_event_message(v: Value) -> String {
    let deps = Deps {
        store: MemoryStore::new(),
        metrics: MemoryMetricSink::new(),
        invokers: monitor_core::attribution::LocalModels,
        stack: None,
    };
    match handler(invoke(v), &deps).await {
        Err(FunctionError::InvalidEvent(m)) => {
            assert!(deps.store.list("").await.unwrap().is_empty());
            assert!(deps.metrics.data().is_empty());
            m
        }
        other => panic!("expected InvalidEvent, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_events_are_invalid_events_naming_the_offending_value() {
    let mut v = event(SCHEDULE_TICK);
    v["detail"] = json!({"window_end": "yesterday"});
    let m = invalid_event_message(v).await;
    assert!(
        m.starts_with("detail.window_end \"yesterday\" is not an RFC 3339 time"),
        "{m}"
    );

    let mut v = event(SCHEDULE_TICK);
    v["detail"] = json!({"windowEnd": "2026-11-01T04:00:00Z"});
    let m = invalid_event_message(v).await;
    assert!(m.contains("unknown field `windowEnd`"), "{m}");

    let mut v = event(SCHEDULE_TICK);
    v["detail"] = json!({"monitor": " "});
    assert_eq!(invalid_event_message(v).await, "detail.monitor is empty");

    let mut v = event(SCHEDULE_TICK);
    v.as_object_mut().unwrap().remove("time");
    assert_eq!(
        invalid_event_message(v).await,
        "`time` is missing: it is the tick time"
    );

    // An alarm state change routed here by mistake is refused, not evaluated.
    let m = invalid_event_message(event(ALARM)).await;
    assert!(m.contains("unknown field `alarmName`"), "{m}");
}

#[test]
fn schedule_fixture_translates_to_a_plain_tick() {
    let ev: EventBridgeEvent<Value> = serde_json::from_str(SCHEDULE_TICK).unwrap();
    assert_eq!(
        (ev.detail_type.as_str(), ev.source.as_str()),
        ("Scheduled Event", "aws.events")
    );
    let TickInput(req) = TickInput::try_from(&ev).unwrap();
    assert_eq!(req.now, t("2026-11-01T04:05:00Z"));
    assert_eq!((req.monitor, req.window_end), (None, None));
    // `detail: null` is the same as `{}`.
    let mut v = event(SCHEDULE_TICK);
    v["detail"] = Value::Null;
    let ev: EventBridgeEvent<Value> = serde_json::from_value(v).unwrap();
    assert_eq!(TickInput::try_from(&ev).unwrap().0.window_end, None);
}

fn config(pairs: &[(&str, &str)]) -> Result<Config, lambda_kit::ConfigError> {
    Config::from_lookup(test_support::lookup(pairs))
}

#[test]
fn config_defaults_metrics_by_store_and_names_the_bad_variable() {
    let c = config(&[("MODELWATCH_BUCKET", "modelwatch-demo-data")]).unwrap();
    assert_eq!(
        c.common.store,
        StoreConfig::S3 {
            bucket: "modelwatch-demo-data".into()
        }
    );
    assert_eq!(c.metrics, MetricsMode::Emf);
    let local = [
        ("MODELWATCH_STORE", "local"),
        ("MODELWATCH_LOCAL_ROOT", "/tmp/mw"),
    ];
    assert_eq!(config(&local).unwrap().metrics, MetricsMode::File);
    let c = config(&[local[0], local[1], ("MODELWATCH_METRICS", "none")]).unwrap();
    assert_eq!(c.metrics, MetricsMode::None);
    let c = config(&[("MODELWATCH_BUCKET", "b"), ("MODELWATCH_METRICS", "File")]).unwrap();
    assert_eq!(c.metrics, MetricsMode::File);

    // the PutMetricData option
    let c = config(&[
        ("MODELWATCH_BUCKET", "b"),
        ("MODELWATCH_METRICS", "CloudWatch"),
    ])
    .unwrap();
    assert_eq!(c.metrics, MetricsMode::CloudWatch);
    // bad MODELWATCH_METRICS
    let e = config(&[("MODELWATCH_BUCKET", "b"), ("MODELWATCH_METRICS", "statsd")]).unwrap_err();
    assert_eq!(e.name, "MODELWATCH_METRICS");
    assert_eq!(
        e.to_string(),
        "environment variable MODELWATCH_METRICS: \"statsd\" is not one of emf, file, cloudwatch, none"
    );
    // the store variables: missing bucket, missing root, bad store kind
    assert_eq!(
        config(&[("MODELWATCH_METRICS", "emf")]).unwrap_err().name,
        "MODELWATCH_BUCKET"
    );
    assert_eq!(
        config(&local[..1]).unwrap_err().name,
        "MODELWATCH_LOCAL_ROOT"
    );
    assert_eq!(
        config(&[("MODELWATCH_STORE", "ftp"), ("MODELWATCH_BUCKET", "b")])
            .unwrap_err()
            .name,
        "MODELWATCH_STORE"
    );
}

#[test]
fn configured_metrics_follows_the_mode() {
    let store = MemoryStore::new();
    for mode in [MetricsMode::Emf, MetricsMode::File, MetricsMode::None] {
        assert_eq!(ConfiguredMetrics::new(mode, store.clone()).mode(), mode);
    }
    fn is_sink<M: MetricSink>(_: &M) {}
    is_sink(&ConfiguredMetrics::new(MetricsMode::Emf, store));
}

/// Issue 11 item 8: the stack-wide `failed_executions` datum carried no dimension, so every
/// stack of an account and region fed the same series and each stack's alarm fired on the
/// others' failures. With `MODELWATCH_STACK_NAME` (template.yaml sets it to the stack name)
/// it carries `Stack`, the one dimension that stack's alarm names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_executions_carry_the_stack_of_the_deployment() {
    let stack = "mw-prod";
    let c = config(&[("MODELWATCH_BUCKET", "b"), ("MODELWATCH_STACK_NAME", stack)]).unwrap();
    assert_eq!(c.stack.as_deref(), Some(stack));
    assert_eq!(config(&[("MODELWATCH_BUCKET", "b")]).unwrap().stack, None);

    let store = ingested_store().await;
    // a second monitor whose configuration is not JSON: its execution fails on an error
    store
        .put("config/monitors/broken.json", b"{\"name\": ".to_vec())
        .await
        .unwrap();
    let deps = Deps {
        store,
        metrics: MemoryMetricSink::new(),
        invokers: monitor_core::attribution::LocalModels,
        stack: c.stack,
    };
    let summary = handler(invoke(event(SCHEDULE_TICK)), &deps).await.unwrap();
    let failed: Vec<&str> = summary
        .executions
        .iter()
        .filter(|e| e.failed_on_error())
        .map(|e| e.monitoring_schedule_name.as_str())
        .collect();
    assert_eq!(failed, ["broken"]);
    let data: Vec<(Vec<(String, String)>, MetricValue)> = deps
        .metrics
        .data()
        .into_iter()
        .filter(|d| d.namespace == "modelwatch" && d.name == names::FAILED_EXECUTIONS)
        .map(|d| (d.dimensions, d.value))
        .collect();
    let dims = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    assert_eq!(
        data,
        [
            (
                dims(&[
                    ("Endpoint", monitor_core::layout::UNKNOWN_ENDPOINT),
                    ("MonitoringSchedule", "broken")
                ]),
                MetricValue::Value(1.0)
            ),
            (dims(&[("Stack", stack)]), MetricValue::Value(1.0)),
        ]
    );
}
