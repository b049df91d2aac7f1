//! Issue 16 item 4, second half: a tick evaluates its monitors concurrently, and each
//! monitor's window reads only its own state prefix.
//!
//! Three data-quality monitors over the in-memory store — `churn-dq` and `churn-dq-2` (one
//! name a prefix of the other) on one endpoint, `other-dq` on another — each with its own
//! partial profiles. A store wrapper records every `list` prefix and how many lists are in
//! flight at once (each list yields to the runtime before answering, as a request to S3 does).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

mod churn;

use chrono::Duration;
use churn::{capture_line, store_with_dq_monitors, t};
use monitor_core::app::ingest;
use monitor_core::app::tick::{self, TickRequest};
use monitor_core::attribution::LocalModels;
use monitor_core::metrics::MemoryMetricSink;
use monitor_core::store::{ByteReader, MemoryStore, ObjectStore};
use monitor_core::CoreError;

/// (monitor, endpoint, capture lines of its endpoint's object)
const MONITORS: [(&str, &str, usize); 3] = [
    ("churn-dq", "churn-endpoint", 3),
    ("churn-dq-2", "churn-endpoint", 3),
    ("other-dq", "other-endpoint", 5),
];
/// How many times each `list` yields to the runtime before answering.
const LIST_YIELDS: usize = 3;

/// A store that records the prefixes listed and the most lists in flight at once.
struct Watched {
    inner: MemoryStore,
    listed: Mutex<Vec<String>>,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
}

impl ObjectStore for Watched {
    async fn get(&self, key: &str) -> Result<Vec<u8>, CoreError> {
        self.inner.get(key).await
    }
    async fn reader(&self, key: &str) -> Result<ByteReader, CoreError> {
        self.inner.reader(key).await
    }
    async fn put(&self, key: &str, body: Vec<u8>) -> Result<(), CoreError> {
        self.inner.put(key, body).await
    }
    async fn list(&self, prefix: &str) -> Result<Vec<String>, CoreError> {
        self.listed.lock().unwrap().push(prefix.to_owned());
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        // a list takes time, as on S3: the task yields, and a concurrent tick polls another
        // monitor meanwhile (a sequential one could not start the next monitor's list)
        for _ in 0..LIST_YIELDS {
            tokio::task::yield_now().await;
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.inner.list(prefix).await
    }
}

fn line(i: usize) -> String {
    let data = format!("{},{}.5", 20 + i, 100 * i);
    capture_line(&data, &format!("e{i}"), Some("2026-11-01T10:20:00Z"))
}

async fn store_with_monitors() -> MemoryStore {
    let monitors: Vec<(&str, &str)> = MONITORS.iter().map(|m| (m.0, m.1)).collect();
    let store = store_with_dq_monitors(&monitors).await;
    for endpoint in ["churn-endpoint", "other-endpoint"] {
        let lines = MONITORS
            .iter()
            .find(|m| m.1 == endpoint)
            .map(|m| m.2)
            .unwrap();
        let key = format!("data-capture/{endpoint}/AllTraffic/2026/11/01/10/10-20-000-a.jsonl");
        let body: String = (0..lines).map(|i| line(i) + "\n").collect();
        store.put(&key, body.into_bytes()).await.unwrap();
        ingest::run(&store, std::slice::from_ref(&key))
            .await
            .unwrap();
    }
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tick_evaluates_monitors_concurrently_each_reading_only_its_own_state_prefix() {
    let store = Watched {
        inner: store_with_monitors().await,
        listed: Mutex::new(Vec::new()),
        in_flight: AtomicUsize::new(0),
        most_in_flight: AtomicUsize::new(0),
    };
    let end = t("2026-11-01T11:00:00Z");
    let req = TickRequest {
        now: end + Duration::minutes(5),
        monitor: None,
        window_end: Some(end),
        stack: None,
    };
    let sink = MemoryMetricSink::new();
    let summary = tick::run(&store, &sink, &LocalModels, &req).await.unwrap();

    // each window holds its own endpoint's records only, counted once
    let mut records: Vec<(&str, u64, usize)> = summary
        .executions
        .iter()
        .map(|e| {
            (
                e.monitoring_schedule_name.as_str(),
                e.records,
                e.partial_profiles,
            )
        })
        .collect();
    records.sort_unstable();
    let want: Vec<(&str, u64, usize)> = MONITORS
        .iter()
        .map(|(name, _, lines)| (*name, *lines as u64, 1))
        .collect();
    assert_eq!(records, want);

    // every profile prefix listed is under one monitor's own folder (the trailing `/` keeps
    // `churn-dq` out of `churn-dq-2`), and every monitor listed its own (the other lists are
    // the monitor configs, the report folders and, after the tick, the dashboard's retrain
    // audit: no window reads them)
    let listed = store.listed.lock().unwrap().clone();
    let state: Vec<&String> = listed
        .iter()
        .filter(|p| p.starts_with("state/profiles/"))
        .collect();
    for prefix in &state {
        let owners: Vec<&str> = MONITORS
            .iter()
            .map(|m| m.0)
            .filter(|name| prefix.starts_with(&format!("state/profiles/{name}/")))
            .collect();
        assert_eq!(owners.len(), 1, "{prefix} (all listed: {listed:?})");
    }
    for (name, _, _) in MONITORS {
        let own = format!("state/profiles/{name}/");
        assert!(
            state.iter().any(|p| p.starts_with(&own)),
            "{name}: {listed:?}"
        );
    }

    // concurrently: more than one monitor's list was in flight at once
    let most = store.most_in_flight.load(Ordering::SeqCst);
    assert!(
        most >= 2,
        "at most {most} list in flight: monitors ran one by one"
    );
}
