//! Issue 11 item 5 over the in-memory store: capture-ingest and the data-quality tick. Every
//! record is reported in the window of its UTC inference time or counted `bad_time`; no
//! record lands in a minute no window reads, so an object's state stays small whatever the
//! times its records claim.

mod churn;

use chrono::{DateTime, Duration, Utc};
use churn::{capture_line, store_with_dq_monitors, t};
use monitor_core::app::ingest;
use monitor_core::app::tick::{self, TickRequest};
use monitor_core::attribution::LocalModels;
use monitor_core::data_quality::consume::PartialProfile;
use monitor_core::formats::capture::time::{HOURS_AFTER_OBJECT, HOURS_BEFORE_OBJECT};
use monitor_core::metrics::MemoryMetricSink;
use monitor_core::store::{MemoryStore, ObjectStore, StateFile};

const MONITOR: &str = "churn-dq";
/// The object's hour folder: 10:00 UTC.
const HOUR: &str = "2026-11-01T10:00:00Z";

fn capture_key(name: &str) -> String {
    format!("data-capture/churn-endpoint/AllTraffic/2026/11/01/10/{name}.jsonl")
}

/// A capture line; `time: None` leaves `inferenceTime` out.
fn line(time: Option<&str>) -> String {
    capture_line("34,1200.5", "e", time)
}

async fn store_with_monitor() -> MemoryStore {
    store_with_dq_monitors(&[(MONITOR, "churn-endpoint")]).await
}

/// Ingests `lines` as one object and returns its partial profile and its encoded size.
async fn ingest_lines(
    store: &MemoryStore,
    name: &str,
    lines: &[String],
) -> (PartialProfile, usize) {
    let key = capture_key(name);
    store
        .put(&key, (lines.join("\n") + "\n").into_bytes())
        .await
        .unwrap();
    let summary = ingest::run(store, std::slice::from_ref(&key))
        .await
        .unwrap();
    let state_key = &summary.objects[0].state_keys[0];
    let bytes = store.get(state_key).await.unwrap();
    (
        PartialProfile::from_json(state_key, &bytes).unwrap(),
        bytes.len(),
    )
}

fn bad_time(p: &PartialProfile) -> (u64, Vec<u64>) {
    let mut out = (0, Vec::new());
    for m in &p.minutes {
        if let Some(k) = m.bad_records.by_kind.get("bad_time") {
            out.0 += k.count;
            out.1.extend(&k.first_lines);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_time_class_is_kept_in_its_utc_minute_or_counted_bad_time() {
    let store = store_with_monitor().await;
    let lines = [
        line(Some("2026-11-01T10:20:00Z")),      // 1: the common form
        line(Some("2026-11-01T12:15:00+02:00")), // 2: 10:15 UTC
        line(Some("2026-11-02T10:20:00Z")),      // 3: a day later
        line(Some("2026-02-31T10:20:00Z")),      // 4: Feb 31 (was read as Mar 3)
        line(None),                              // 5: missing
        line(Some("20261101T102000")),           // 6: malformed
        line(Some("2026-11-01T09:59:58Z")),      // 7: previous hour, read by its window
    ];
    let (partial, _) = ingest_lines(&store, "10-20-000-times", &lines).await;
    let minutes: Vec<DateTime<Utc>> = partial.minutes.iter().map(|m| m.minute).collect();
    assert_eq!(
        minutes,
        [
            t("2026-11-01T09:59:00Z"),
            t("2026-11-01T10:15:00Z"),
            t("2026-11-01T10:20:00Z")
        ]
    );
    let count = |minute: &str| {
        partial
            .minutes
            .iter()
            .find(|m| m.minute == t(minute))
            .map(|m| m.profile.item_count)
    };
    assert_eq!(
        count("2026-11-01T10:15:00Z"),
        Some(1),
        "+02:00 is converted"
    );
    assert_eq!(count("2026-11-01T09:59:00Z"), Some(1), "09:59:58 is kept");
    assert_eq!(partial.records(), 3);
    assert_eq!(bad_time(&partial), (4, vec![3, 4, 5, 6]));

    // The tick reports each kept record in its window and the bad_time lines in the window
    // of the minute they were counted in (the record before them: 10:15).
    let sink = MemoryMetricSink::new();
    let run = |end: &str| TickRequest {
        now: t(end) + Duration::minutes(5),
        monitor: Some(MONITOR.into()),
        window_end: Some(t(end)),
        stack: None,
    };
    let ten = tick::run(&store, &sink, &LocalModels, &run("2026-11-01T11:00:00Z"))
        .await
        .unwrap();
    let exec = ten.executions.last().unwrap();
    assert_eq!(exec.records, 2);
    assert_eq!(exec.bad_records_by_kind.get("bad_time"), Some(&4));
    assert_eq!(exec.bad_records, 4);
    let nine = tick::run(&store, &sink, &LocalModels, &run("2026-11-01T10:00:00Z"))
        .await
        .unwrap();
    assert_eq!(nine.executions.last().unwrap().records, 1, "09:59:58");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_and_last_accepted_minutes_are_read_by_their_windows() {
    let store = store_with_monitor().await;
    let first = t(HOUR) - Duration::hours(HOURS_BEFORE_OBJECT);
    let end = t(HOUR) + Duration::hours(1 + HOURS_AFTER_OBJECT);
    let fmt = |d: DateTime<Utc>| d.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let lines = [
        line(Some(&fmt(first - Duration::seconds(1)))),
        line(Some(&fmt(first))),
        line(Some(&fmt(end - Duration::seconds(1)))),
        line(Some(&fmt(end))),
    ];
    let (partial, _) = ingest_lines(&store, "10-00-000-edges", &lines).await;
    assert_eq!(partial.records(), 2);
    assert_eq!(bad_time(&partial), (2, vec![1, 4]));
    let sink = MemoryMetricSink::new();
    for window_end in [first + Duration::hours(1), end] {
        let req = TickRequest {
            now: window_end,
            monitor: Some(MONITOR.into()),
            window_end: Some(window_end),
            stack: None,
        };
        let summary = tick::run(&store, &sink, &LocalModels, &req).await.unwrap();
        assert_eq!(
            summary.executions.last().unwrap().records,
            1,
            "window ending {window_end}"
        );
    }
}

/// Issue 11 item 4: an object whose 10k records fall in 10k distinct minutes wrote a 74 MB
/// state (one profile per minute). Now only the minutes its hour's readers look at are kept:
/// at most (1 + HOURS_BEFORE_OBJECT + HOURS_AFTER_OBJECT) × 60 of them, each no bigger than
/// the state of a one-minute object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_distinct_minutes_write_a_bounded_state() {
    let store = store_with_monitor().await;
    let allowed = (1 + HOURS_BEFORE_OBJECT + HOURS_AFTER_OBJECT) * 60;
    let (_, one_minute_bytes) = ingest_lines(
        &store,
        "10-00-000-one",
        &[line(Some("2026-11-01T10:00:00Z"))],
    )
    .await;
    let start = t(HOUR) - Duration::hours(HOURS_BEFORE_OBJECT);
    let n = 10_000i64;
    let lines: Vec<String> = (0..n)
        .map(|i| {
            let time = start + Duration::minutes(i);
            line(Some(&time.format("%Y-%m-%dT%H:%M:%SZ").to_string()))
        })
        .collect();
    let (partial, bytes) = ingest_lines(&store, "10-00-000-many", &lines).await;
    eprintln!(
        "10k distinct minutes: {} minutes kept, state {bytes} bytes (one-minute state {one_minute_bytes} bytes)",
        partial.minutes.len()
    );
    assert_eq!(partial.minutes.len() as i64, allowed);
    assert_eq!(partial.records() as i64, allowed);
    assert_eq!(bad_time(&partial).0 as i64, n - allowed);
    assert!(
        bytes <= allowed as usize * one_minute_bytes,
        "{bytes} bytes"
    );
}
