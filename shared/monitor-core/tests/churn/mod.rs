//! What the in-memory-store tests of ingest and the tick share: the capture-ingest handler
//! test's tiny churn training set as a data-quality baseline, data-quality monitors over it,
//! and capture lines of the `churn,age,balance` model.

use chrono::{DateTime, Utc};
use monitor_core::app::baseline::{self, BaselineRequest};
use monitor_core::config::{save_monitor, MonitorConfig};
use monitor_core::store::{MemoryStore, ObjectStore};
use serde_json::json;
use test_support::churn::TRAIN_CSV;

/// Where [`store_with_dq_monitors`] writes the baseline.
pub const BASELINE_PREFIX: &str = "baselines/churn-dq";

/// An RFC 3339 instant.
pub fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// A CSV capture line whose input is `data` (`age,balance`) and output `0`; `time: None`
/// leaves `inferenceTime` out.
pub fn capture_line(data: &str, event_id: &str, time: Option<&str>) -> String {
    let mut meta = json!({ "eventId": event_id });
    if let Some(time) = time {
        meta["inferenceTime"] = time.into();
    }
    json!({
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": data, "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": "0", "encoding": "CSV"}
        },
        "eventMetadata": meta,
        "eventVersion": "0"
    })
    .to_string()
}

/// An in-memory store with the baseline of [`TRAIN_CSV`] under [`BASELINE_PREFIX`] and one
/// data-quality monitor over it per `(name, endpoint)`.
pub async fn store_with_dq_monitors(monitors: &[(&str, &str)]) -> MemoryStore {
    let store = MemoryStore::new();
    let req = BaselineRequest {
        dataset: "datasets/train.csv".into(),
        format: serde_json::from_value(json!({"csv": {"header": true}})).unwrap(),
        output_prefix: BASELINE_PREFIX.into(),
    };
    store
        .put(&req.dataset, TRAIN_CSV.as_bytes().to_vec())
        .await
        .unwrap();
    baseline::run(&store, &req).await.unwrap();
    for (name, endpoint) in monitors {
        let cfg = json!({"name": name, "endpoint": endpoint, "baseline_prefix": BASELINE_PREFIX});
        let monitor = MonitorConfig::from_json("test", cfg.to_string().as_bytes()).unwrap();
        save_monitor(&store, &monitor).await.unwrap();
    }
    store
}
