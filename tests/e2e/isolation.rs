//! Issue 11 item 2 ("Monitoring never goes blind"), end to end over the demo store (the
//! four monitors of `modelwatch demo` on demo-endpoint): one monitor's bad configuration or
//! missing baseline fails that monitor only, and every other monitor still completes.

use chrono::{DateTime, Duration, TimeZone, Utc};
use modelwatch::demo::{run_scenario, BIAS_MONITOR, ENDPOINT, MONITOR, MQ_MONITOR, XAI_MONITOR};
use modelwatch::scenario::Scenario;
use modelwatch_e2e::temp_dir;
use monitor_core::app::tick::{self, TickRequest};
use monitor_core::app::{ground_truth, ingest};
use monitor_core::attribution::LocalModels;
use monitor_core::execution::{Execution, ExecutionStatus};
use monitor_core::layout::{report_prefix, UNKNOWN_ENDPOINT};
use monitor_core::metrics::{MemoryMetricSink, MetricValue};
use monitor_core::store::{LocalStore, ObjectStore};

/// The demo's four monitors, in name order (the order a tick evaluates them).
const MONITORS: [&str; 4] = [MONITOR, XAI_MONITOR, BIAS_MONITOR, MQ_MONITOR];

/// A demo store after two simulated hours (every window of hour 0 evaluated once).
async fn demo_store(name: &str) -> (LocalStore, Scenario) {
    let scenario = Scenario {
        baseline_rows: 2_000,
        validation_rows: 1_000,
        hours: 2,
        records_per_hour: 1_000,
        records_per_file: 500,
        ..Scenario::new(42)
    };
    let store = LocalStore::new(temp_dir(name));
    run_scenario(&store, &scenario, false).await.unwrap();
    (store, scenario)
}

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap()
}

/// Ticks every monitor for the window of capture hour 0 (the hour every monitor has data
/// and labels for).
async fn tick_hour0(
    store: &LocalStore,
    scenario: &Scenario,
    metrics: &MemoryMetricSink,
) -> Vec<Execution> {
    let end = at(scenario.hour_start(1));
    tick::run(
        store,
        metrics,
        &LocalModels,
        &TickRequest {
            now: end + Duration::hours(4),
            monitor: None,
            window_end: Some(end),
            stack: None,
        },
    )
    .await
    .unwrap()
    .executions
}

async fn execution_bytes(
    store: &LocalStore,
    endpoint: &str,
    monitor: &str,
    end: DateTime<Utc>,
) -> Vec<u8> {
    let key = format!(
        "{}execution.json",
        report_prefix(endpoint, monitor, end, 60)
    );
    store.get(&key).await.unwrap()
}

/// `failed_executions` data published, as `(dimension values, value)`.
fn failed_executions(metrics: &MemoryMetricSink) -> Vec<(Vec<String>, f64)> {
    metrics
        .data()
        .into_iter()
        .filter(|d| d.namespace == "modelwatch" && d.name == "failed_executions")
        .map(|d| {
            let MetricValue::Value(v) = d.value else {
                panic!("{d:?}")
            };
            (d.dimensions.into_iter().map(|(_, v)| v).collect(), v)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn tick_malformed_config_among_four_monitors_fails_only_that_monitor() {
    let (store, scenario) = demo_store("iso-tick-config").await;
    let end = at(scenario.hour_start(1));
    let before: Vec<Vec<u8>> = {
        let mut v = Vec::new();
        for m in [XAI_MONITOR, MONITOR, MQ_MONITOR] {
            v.push(execution_bytes(&store, ENDPOINT, m, end).await);
        }
        v
    };
    // The case: one config/monitors/*.json that is not JSON.
    let bad_key = format!("config/monitors/{BIAS_MONITOR}.json");
    store.put(&bad_key, b"{\"name\": ".to_vec()).await.unwrap();

    let metrics = MemoryMetricSink::new();
    let execs = tick_hour0(&store, &scenario, &metrics).await;

    let names: Vec<&str> = execs
        .iter()
        .map(|e| e.monitoring_schedule_name.as_str())
        .collect();
    assert_eq!(names, MONITORS);
    for e in &execs {
        if e.monitoring_schedule_name == BIAS_MONITOR {
            assert_eq!(e.status, ExecutionStatus::Failed);
            let reason = e.failure_reason.as_deref().unwrap();
            assert!(reason.contains(&bad_key), "{reason}");
            assert!(
                reason.contains("EOF"),
                "the cause, from serde_json: {reason}"
            );
        } else {
            assert_ne!(e.status, ExecutionStatus::Failed, "{e:?}");
            assert_eq!(e.failure_reason, None);
        }
    }
    // The other monitors' reports are the ones the demo wrote: same inputs, same bytes.
    for (m, b) in [XAI_MONITOR, MONITOR, MQ_MONITOR].into_iter().zip(&before) {
        assert_eq!(&execution_bytes(&store, ENDPOINT, m, end).await, b, "{m}");
    }
    // The failed execution is written like the others; a file that is not JSON names no
    // endpoint, so its report sits under the unknown-endpoint level.
    let written: Execution =
        serde_json::from_slice(&execution_bytes(&store, UNKNOWN_ENDPOINT, BIAS_MONITOR, end).await)
            .unwrap();
    assert_eq!(written, execs[2]);
    // One datum per dimension set: the monitor's, and the stack-wide one of the alarm.
    assert_eq!(
        failed_executions(&metrics),
        [
            (
                vec![UNKNOWN_ENDPOINT.to_string(), BIAS_MONITOR.to_string()],
                1.0
            ),
            (vec![], 1.0),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tick_missing_baseline_among_four_monitors_fails_only_that_monitor() {
    let (store, scenario) = demo_store("iso-tick-baseline").await;
    let cfg = modelwatch::demo::monitors()[0].clone();
    assert_eq!(cfg.name, MONITOR);
    std::fs::remove_file(store.path_of(&cfg.statistics_key()).unwrap()).unwrap();

    let metrics = MemoryMetricSink::new();
    let execs = tick_hour0(&store, &scenario, &metrics).await;
    assert_eq!(execs.len(), 4);
    for e in &execs {
        if e.monitoring_schedule_name == MONITOR {
            assert_eq!(e.status, ExecutionStatus::Failed);
            let reason = e.failure_reason.as_deref().unwrap();
            assert!(reason.contains(&cfg.statistics_key()), "{reason}");
        } else {
            assert_ne!(e.status, ExecutionStatus::Failed, "{e:?}");
        }
    }
    assert_eq!(
        failed_executions(&metrics),
        [
            (vec![ENDPOINT.to_string(), MONITOR.to_string()], 1.0),
            (vec![], 1.0),
        ]
    );
}

/// A capture object of hour 0 stored again under a new file name (a second object of the
/// same hour: its 500 records count once more).
async fn put_copy_of_hour0_object(store: &LocalStore, scenario: &Scenario) -> String {
    let (key, bytes) = scenario.capture_files(ENDPOINT, 0).remove(0);
    let copy = key.replace(".jsonl", "-copy.jsonl");
    store.put(&copy, bytes).await.unwrap();
    copy
}

#[tokio::test(flavor = "multi_thread")]
async fn ingest_missing_baseline_among_four_monitors_writes_the_other_three() {
    let (store, scenario) = demo_store("iso-ingest-baseline").await;
    let cfg = modelwatch::demo::monitors()[0].clone();
    assert_eq!(cfg.name, MONITOR);
    std::fs::remove_file(store.path_of(&cfg.statistics_key()).unwrap()).unwrap();
    let key = put_copy_of_hour0_object(&store, &scenario).await;

    let summary = ingest::run(&store, std::slice::from_ref(&key))
        .await
        .unwrap();
    let obj = &summary.objects[0];
    assert_eq!(obj.failed.len(), 1, "{obj:?}");
    assert_eq!(obj.failed[0].monitor, MONITOR);
    assert!(
        obj.failed[0].reason.contains(&cfg.statistics_key()),
        "{}",
        obj.failed[0].reason
    );
    assert_eq!(obj.monitors, [XAI_MONITOR, BIAS_MONITOR, MQ_MONITOR]);
    for k in &obj.state_keys {
        assert!(store.get(k).await.is_ok(), "{k} written");
    }
    assert!(!obj.state_keys.iter().any(|k| k.contains(MONITOR)));
}

#[tokio::test(flavor = "multi_thread")]
async fn ingest_malformed_config_and_duplicate_names_fail_only_their_monitors() {
    let (store, scenario) = demo_store("iso-ingest-config").await;
    let bad_key = format!("config/monitors/{BIAS_MONITOR}.json");
    store.put(&bad_key, b"{\"name\": ".to_vec()).await.unwrap();
    // a second file declaring the data-quality monitor's name
    let dq_key = format!("config/monitors/{MONITOR}.json");
    let dup_key = "config/monitors/copy-of-dq.json";
    store
        .put(dup_key, store.get(&dq_key).await.unwrap())
        .await
        .unwrap();
    let key = put_copy_of_hour0_object(&store, &scenario).await;

    let summary = ingest::run(&store, std::slice::from_ref(&key))
        .await
        .unwrap();
    let obj = &summary.objects[0];
    let failed: Vec<(&str, &str)> = obj
        .failed
        .iter()
        .map(|f| (f.monitor.as_str(), f.reason.as_str()))
        .collect();
    assert_eq!(failed.len(), 3, "{failed:?}");
    // both files of the duplicated name fail, each naming both files
    for (monitor, reason) in &failed[..2] {
        assert_eq!(*monitor, MONITOR);
        assert!(
            reason.contains(&dq_key) && reason.contains(dup_key),
            "{reason}"
        );
    }
    assert_eq!(failed[2].0, BIAS_MONITOR);
    assert!(failed[2].1.contains(&bad_key), "{}", failed[2].1);
    // the two others still ingest the object
    assert_eq!(obj.monitors, [XAI_MONITOR, MQ_MONITOR]);
    assert_eq!(obj.state_keys.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn late_capture_object_is_reported_by_the_next_tick() {
    let (store, scenario) = demo_store("iso-late").await;
    let hour0_end = at(scenario.hour_start(1));
    let before: Execution =
        serde_json::from_slice(&execution_bytes(&store, ENDPOINT, MONITOR, hour0_end).await)
            .unwrap();
    // records_per_hour of the demo store's scenario
    assert_eq!(before.records, 1_000);

    // An object of hour 0 lands after hour 0 was evaluated: its windows are marked.
    let key = put_copy_of_hour0_object(&store, &scenario).await;
    let summary = ingest::run(&store, std::slice::from_ref(&key))
        .await
        .unwrap();
    let markers = &summary.objects[0].late_markers;
    let dq_marker = monitor_core::layout::late_marker_key(MONITOR, hour0_end, &key);
    assert!(markers.contains(&dq_marker), "{markers:?}");

    // The next scheduled tick evaluates the marked window first and rewrites its report.
    let now = at(scenario.hour_start(4)) + Duration::minutes(5);
    let tick_at = |now| TickRequest {
        now,
        monitor: Some(MONITOR.into()),
        window_end: None,
        stack: None,
    };
    let metrics = MemoryMetricSink::new();
    let execs = tick::run(&store, &metrics, &LocalModels, &tick_at(now))
        .await
        .unwrap()
        .executions;
    assert_eq!(
        execs.len(),
        2,
        "the late window, then the tick's own window"
    );
    assert_eq!(execs[0].window_end, hour0_end);
    // 1 000 records of hour 0 plus the 500 of the late object (records_per_file)
    assert_eq!(execs[0].records, 1_500);
    let rewritten = execution_bytes(&store, ENDPOINT, MONITOR, hour0_end).await;
    assert_eq!(
        serde_json::from_slice::<Execution>(&rewritten).unwrap(),
        execs[0]
    );

    // The marker is spent: the tick after evaluates its own window only.
    let execs = tick::run(
        &store,
        &metrics,
        &LocalModels,
        &tick_at(now + Duration::hours(1)),
    )
    .await
    .unwrap()
    .executions;
    assert_eq!(execs.len(), 1);
    assert_ne!(execs[0].window_end, hour0_end);

    // Same inputs, same bytes: evaluating the window again rewrites the report identically.
    let statistics = format!(
        "{}statistics.json",
        report_prefix(ENDPOINT, MONITOR, hour0_end, 60)
    );
    let stats_before = store.get(&statistics).await.unwrap();
    tick::run(
        &store,
        &metrics,
        &LocalModels,
        &TickRequest {
            now,
            monitor: Some(MONITOR.into()),
            window_end: Some(hour0_end),
            stack: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        execution_bytes(&store, ENDPOINT, MONITOR, hour0_end).await,
        rewritten
    );
    assert_eq!(store.get(&statistics).await.unwrap(), stats_before);
}

#[tokio::test(flavor = "multi_thread")]
async fn ground_truth_merge_malformed_config_fails_only_that_monitor() {
    let (store, scenario) = demo_store("iso-gt-config").await;
    let bad_key = format!("config/monitors/{BIAS_MONITOR}.json");
    store.put(&bad_key, b"{\"name\": ".to_vec()).await.unwrap();
    // the first ground-truth object of the scenario, merged once more
    let hour = scenario.label_collection_hours().start;
    let (key, _) = scenario.ground_truth_files(ENDPOINT, hour).remove(0);
    let now = at(scenario.hour_start(hour) + 3600);

    let summary = ground_truth::run(&store, std::slice::from_ref(&key), now)
        .await
        .unwrap();
    let merged: Vec<&str> = summary.objects.iter().map(|o| o.monitor.as_str()).collect();
    assert_eq!(merged, [MQ_MONITOR]);
    assert!(summary.objects[0].labels > 0);
    assert_eq!(summary.failed.len(), 1, "{:?}", summary.failed);
    assert_eq!(summary.failed[0].monitor, BIAS_MONITOR);
    assert_eq!(summary.failed[0].key, key);
    assert!(
        summary.failed[0].reason.contains(&bad_key),
        "{:?}",
        summary.failed[0]
    );
    assert!(summary.ignored.is_empty());
}
