//! The event the backfill state machine of template.yaml (`BackfillStateMachine`) hands to
//! capture-ingest for each listed object: its `ItemSelector` builds one S3 record per object,
//! the key URL-encoded with JSONata's `$encodeUrlComponent` (ECMAScript's
//! `encodeURIComponent`). The handler must decode it back to the listed key, whatever the key
//! holds (spaces, `+`, `%`, non-ASCII), and must accept the record's shape.

use aws_lambda_events::event::s3::S3Event;
use capture_ingest::{handler, Deps};
use lambda_runtime::{Context, LambdaEvent};
use monitor_core::app::baseline::{self, BaselineRequest};
use monitor_core::config::{save_monitor, MonitorConfig};
use monitor_core::data_quality::dataset::DatasetFormat;
use monitor_core::store::{MemoryStore, ObjectStore};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::json;

const BUCKET: &str = "modelwatch-demo-data";

/// What `encodeURIComponent` leaves as is (ECMA-262, "uriUnreserved": letters, digits and
/// `- _ . ! ~ * ' ( )`); everything else is percent-encoded as UTF-8.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// The record `ItemSelector` builds for a listed key (keep in step with template.yaml).
fn backfill_event(listed_key: &str) -> S3Event {
    let key = utf8_percent_encode(listed_key, URI_COMPONENT).to_string();
    serde_json::from_value(json!({"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "eventTime": "2026-12-06T14:00:00.000Z",
        "userIdentity": {},
        "requestParameters": {},
        "s3": {"bucket": {"name": BUCKET}, "object": {"key": key}}
    }]}))
    .expect("the state machine's record is an S3 event")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_listed_key_is_ingested_at_its_own_key() {
    let store = MemoryStore::new();
    store
        .put(
            "datasets/train.csv",
            b"churn,age,balance\n0,34,1200.5\n1,51,310.25\n".to_vec(),
        )
        .await
        .unwrap();
    baseline::run(
        &store,
        &BaselineRequest {
            dataset: "datasets/train.csv".into(),
            format: DatasetFormat::Csv { header: true },
            output_prefix: "baselines/churn-dq".into(),
        },
    )
    .await
    .unwrap();
    let monitor = MonitorConfig::from_json(
        "config/monitors/churn-dq.json",
        br#"{"name": "churn-dq", "endpoint": "churn-endpoint", "baseline_prefix": "baselines/churn-dq"}"#,
    )
    .unwrap();
    save_monitor(&store, &monitor).await.unwrap();
    let line = json!({
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": "34,1200.5", "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": "0", "encoding": "CSV"}
        },
        "eventMetadata": {"eventId": "e1", "inferenceTime": "2026-11-01T03:12:01Z"},
        "eventVersion": "0"
    })
    .to_string();
    let deps = Deps {
        store,
        bucket: Some(BUCKET.into()),
    };
    let dir = "data-capture/churn-endpoint/AllTraffic/2026/11/01/03";
    for file in [
        "12-00-000-plain.jsonl",
        "12-00-000-5f0c+demo file.jsonl",
        "12-00-000-100% sure (é).jsonl",
    ] {
        let key = format!("{dir}/{file}");
        deps.store
            .put(&key, format!("{line}\n").into_bytes())
            .await
            .unwrap();
        let summary = handler(
            LambdaEvent::new(backfill_event(&key), Context::default()),
            &deps,
        )
        .await
        .unwrap();
        let obj = &summary.objects[0];
        assert_eq!(obj.key, key);
        assert_eq!(obj.ignored, None, "{key}");
        assert_eq!((obj.records, obj.monitors.len()), (1, 1), "{key}");
    }
}
