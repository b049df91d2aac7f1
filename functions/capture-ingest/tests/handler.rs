//! The capture-ingest handler over an in-memory store, driven by the shared event fixtures
//! in `events/`.

use aws_lambda_events::event::s3::S3Event;
use capture_ingest::{handler, record_keys, Deps};
use lambda_kit::{CommonConfig, FunctionError, StoreConfig};
use lambda_runtime::{Context, LambdaEvent};
use monitor_core::app::baseline::{self, BaselineRequest};
use monitor_core::config::{save_monitor, MonitorConfig};
use monitor_core::data_quality::consume::PartialProfile;
use monitor_core::store::{MemoryStore, ObjectStore, StateFile};
use serde_json::{json, Value};
use test_support::churn::{capture_line, TRAIN_CSV};

const CAPTURE_PUT: &str = include_str!("../../../events/s3-capture-put.json");
const GROUND_TRUTH_PUT: &str = include_str!("../../../events/s3-ground-truth-put.json");
const BASELINE_REQUEST: &str = include_str!("../../../events/baseline-request.json");

const BUCKET: &str = "modelwatch-demo-data";
/// `s3.object.key` of `s3-capture-put.json`, decoded: `%2B` → `+`, `+` → space.
const CAPTURE_KEY: &str =
    "data-capture/churn-endpoint/AllTraffic/2026/11/01/03/12-00-000-5f0c+demo file.jsonl";
const STATE_KEY: &str =
    "state/profiles/churn-dq/2026/11/01/03/AllTraffic/12-00-000-5f0c+demo file.json";

/// Four good capture records and one line that is not JSON.
fn capture_object() -> Vec<u8> {
    let lines = [
        capture_line(1, "0", "34,1200.5"),
        capture_line(2, "1", "51,310.25"),
        "this is not json".to_string(),
        capture_line(3, "0", "27,88.0"),
        capture_line(4, "1", "45,5020.75"),
    ];
    (lines.join("\n") + "\n").into_bytes()
}

/// A store holding the baseline of `baseline-request.json`, the `churn-dq` monitor and the
/// capture object of `s3-capture-put.json` at its decoded key.
async fn prepared_store() -> MemoryStore {
    let store = MemoryStore::new();
    let req: BaselineRequest = serde_json::from_str(BASELINE_REQUEST).unwrap();
    store
        .put(&req.dataset, TRAIN_CSV.as_bytes().to_vec())
        .await
        .unwrap();
    let summary = baseline::run(&store, &req).await.unwrap();
    assert_eq!((summary.features, summary.rows), (3, 4));
    let monitor = MonitorConfig::from_json(
        "test",
        json!({"name": "churn-dq", "endpoint": "churn-endpoint", "baseline_prefix": req.output_prefix})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    save_monitor(&store, &monitor).await.unwrap();
    store.put(CAPTURE_KEY, capture_object()).await.unwrap();
    store
}

fn event(json: &str) -> Value {
    serde_json::from_str(json).unwrap()
}

fn invoke(v: Value) -> LambdaEvent<S3Event> {
    LambdaEvent::new(serde_json::from_value(v).unwrap(), Context::default())
}

fn deps(store: MemoryStore, bucket: Option<&str>) -> Deps<MemoryStore> {
    Deps {
        store,
        bucket: bucket.map(str::to_owned),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capture_put_is_ingested_at_the_decoded_key() {
    let deps = deps(prepared_store().await, Some(BUCKET));
    let summary = handler(invoke(event(CAPTURE_PUT)), &deps).await.unwrap();
    assert_eq!(summary.objects.len(), 1);
    let obj = &summary.objects[0];
    assert_eq!(obj.key, CAPTURE_KEY);
    assert_eq!(obj.ignored, None);
    assert_eq!(obj.monitors, vec!["churn-dq".to_string()]);
    assert_eq!(obj.records, 4);
    assert_eq!(obj.bad_records, 1);
    assert_eq!(obj.state_keys, vec![STATE_KEY.to_string()]);
    let partial =
        PartialProfile::from_json(STATE_KEY, &deps.store.get(STATE_KEY).await.unwrap()).unwrap();
    assert_eq!(
        (partial.records(), partial.bad_records(), partial.lines),
        (4, 1, 5)
    );
    assert_eq!(partial.source, CAPTURE_KEY);

    // A replayed notification rewrites the same bytes: nothing is counted twice.
    let before = deps.store.get(STATE_KEY).await.unwrap();
    let again = handler(invoke(event(CAPTURE_PUT)), &deps).await.unwrap();
    assert_eq!(again, summary);
    assert_eq!(deps.store.get(STATE_KEY).await.unwrap(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_mode_does_not_check_the_bucket() {
    let mut v = event(CAPTURE_PUT);
    v["Records"][0]["s3"]["bucket"]["name"] = json!("any-bucket");
    let deps = deps(prepared_store().await, None);
    let summary = handler(invoke(v), &deps).await.unwrap();
    assert_eq!(summary.objects[0].ignored, None);
    assert_eq!(summary.objects[0].records, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_of_another_bucket_are_ignored_with_the_reason() {
    let mut v = event(CAPTURE_PUT);
    v["Records"][0]["s3"]["bucket"]["name"] = json!("someone-elses-bucket");
    let deps = deps(prepared_store().await, Some(BUCKET));
    let summary = handler(invoke(v), &deps).await.unwrap();
    assert_eq!(summary.objects.len(), 1);
    assert_eq!(summary.objects[0].key, CAPTURE_KEY);
    assert_eq!(
        summary.objects[0].ignored.as_deref(),
        Some("bucket someone-elses-bucket is not the configured bucket modelwatch-demo-data")
    );
    assert!(summary.objects[0].state_keys.is_empty());
    assert!(deps.store.list("state/").await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summary_keeps_event_order_across_ignored_and_ingested_records() {
    let mut v = event(CAPTURE_PUT);
    let mut foreign = v["Records"][0].clone();
    foreign["s3"]["bucket"]["name"] = json!("other");
    let mut removed = v["Records"][0].clone();
    removed["eventName"] = json!("ObjectRemoved:Delete");
    let capture = v["Records"][0].clone();
    v["Records"] = json!([foreign, capture, removed]);
    let deps = deps(prepared_store().await, Some(BUCKET));
    let summary = handler(invoke(v), &deps).await.unwrap();
    let ignored: Vec<Option<&str>> = summary
        .objects
        .iter()
        .map(|o| o.ignored.as_deref())
        .collect();
    assert_eq!(
        ignored,
        vec![
            Some("bucket other is not the configured bucket modelwatch-demo-data"),
            None,
            Some("event ObjectRemoved:Delete is not an ObjectCreated event"),
        ]
    );
    assert_eq!(summary.objects[1].records, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_outside_the_capture_prefix_is_ignored_by_ingest() {
    let deps = deps(prepared_store().await, Some(BUCKET));
    let summary = handler(invoke(event(GROUND_TRUTH_PUT)), &deps)
        .await
        .unwrap();
    assert_eq!(summary.objects.len(), 1);
    let obj = &summary.objects[0];
    assert_eq!(
        obj.key,
        "ground-truth/churn-endpoint/2026/11/01/05/labels-7d3e9a41.jsonl"
    );
    let reason = obj.ignored.as_deref().unwrap();
    assert!(
        reason.starts_with("churn-dq: ") && reason.contains("outside the capture prefix"),
        "{reason}"
    );
    assert!(obj.state_keys.is_empty() && obj.monitors.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_without_a_key_is_an_invalid_event_naming_its_index() {
    let mut v = event(CAPTURE_PUT);
    let mut keyless = v["Records"][0].clone();
    keyless["s3"]["object"]
        .as_object_mut()
        .unwrap()
        .remove("key");
    let good = v["Records"][0].clone();
    v["Records"] = json!([good, keyless]);
    let deps = deps(prepared_store().await, Some(BUCKET));
    let err = handler(invoke(v.clone()), &deps).await.unwrap_err();
    assert_eq!(err.error_type(), "InvalidEvent");
    assert_eq!(
        err.to_string(),
        "invalid event: record 1: s3.object.key is missing or empty"
    );
    // Nothing was ingested: the event is rejected before the store is touched.
    assert!(deps.store.list("state/").await.unwrap().is_empty());

    v["Records"][1]["s3"]["object"]["key"] = json!("");
    let err = handler(invoke(v), &deps).await.unwrap_err();
    assert!(matches!(err, FunctionError::InvalidEvent(ref m) if m.starts_with("record 1:")));
}

/// Issue 11 item 2: a missing baseline fails that monitor's part of the object (named in the
/// summary with the key), not the invocation: Lambda would retry it for nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_baseline_fails_only_that_monitor_in_the_summary() {
    let store = MemoryStore::new();
    let monitor = MonitorConfig::from_json(
        "test",
        br#"{"name":"churn-dq","endpoint":"churn-endpoint","baseline_prefix":"baselines/none"}"#,
    )
    .unwrap();
    save_monitor(&store, &monitor).await.unwrap();
    store.put(CAPTURE_KEY, capture_object()).await.unwrap();
    let deps = deps(store, Some(BUCKET));
    let summary = handler(invoke(event(CAPTURE_PUT)), &deps).await.unwrap();
    let obj = &summary.objects[0];
    assert_eq!(obj.failed.len(), 1);
    assert_eq!(obj.failed[0].monitor, "churn-dq");
    assert!(
        obj.failed[0]
            .reason
            .contains("baselines/none/statistics.json"),
        "{}",
        obj.failed[0].reason
    );
    assert!(obj.state_keys.is_empty());
    assert_eq!(obj.ignored, None);
    assert!(deps.store.list("state/").await.unwrap().is_empty());
}

#[test]
fn record_keys_decodes_every_record() {
    let ev: S3Event = serde_json::from_str(CAPTURE_PUT).unwrap();
    let keys = record_keys(&ev, Some(BUCKET)).unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!((keys[0].index, keys[0].key.as_str()), (0, CAPTURE_KEY));
    assert_eq!(keys[0].ignored, None);
    let mut v = event(CAPTURE_PUT);
    v["Records"][0]["s3"]["bucket"]
        .as_object_mut()
        .unwrap()
        .remove("name");
    let ev: S3Event = serde_json::from_value(v).unwrap();
    assert_eq!(
        record_keys(&ev, Some(BUCKET)).unwrap()[0]
            .ignored
            .as_deref(),
        Some("the record names no bucket (the configured bucket is modelwatch-demo-data)")
    );
    assert_eq!(record_keys(&ev, None).unwrap()[0].ignored, None);
}

fn config(pairs: &[(&str, &str)]) -> Result<CommonConfig, lambda_kit::ConfigError> {
    CommonConfig::from_lookup(test_support::lookup(pairs))
}

#[test]
fn config_selects_the_store_and_names_the_bad_variable() {
    let c = config(&[("MODELWATCH_BUCKET", BUCKET)]).unwrap();
    assert_eq!(c.store.bucket(), Some(BUCKET));
    let c = config(&[
        ("MODELWATCH_STORE", "local"),
        ("MODELWATCH_LOCAL_ROOT", "/tmp/mw"),
    ])
    .unwrap();
    assert_eq!(
        c.store,
        StoreConfig::Local {
            root: "/tmp/mw".into()
        }
    );
    assert_eq!(c.store.bucket(), None);
    // missing
    let e = config(&[]).unwrap_err();
    assert_eq!(e.name, "MODELWATCH_BUCKET");
    let e = config(&[("MODELWATCH_STORE", "local")]).unwrap_err();
    assert_eq!(e.name, "MODELWATCH_LOCAL_ROOT");
    // bad
    let e = config(&[("MODELWATCH_STORE", "gcs"), ("MODELWATCH_BUCKET", BUCKET)]).unwrap_err();
    assert_eq!(e.name, "MODELWATCH_STORE");
    assert!(e.to_string().contains("\"gcs\""), "{e}");
}
