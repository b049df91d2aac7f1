use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::app::ingest;
use crate::attribution::LocalModels;
use crate::capability::capability_for;
use crate::config::save_monitor;
use crate::data_quality::profile::{DatasetProfile, Tracking};
use crate::data_quality::suggest::suggest_constraints;
use crate::execution::Ports;
use crate::metrics::{byoc_jsonl, MemoryMetricSink};
use crate::store::MemoryStore;

const FEATURES: [&str; 4] = ["score", "age", "income", "city"];
const CITIES: [&str; 3] = ["paris", "lyon", "nice"];

/// Row `i` of the data, every value derived from `i` (the model's score, then a numeric, a
/// fractional and a categorical input; the multipliers spread the numbers over their range).
fn row(i: usize) -> [String; 4] {
    [
        format!("{:.3}", ((i * 31) % 1_000) as f64 / 1_000.0),
        ((i * 7_919) % 97).to_string(),
        format!("{:.2}", ((i * 104_729) % 1_000) as f64 / 7.0),
        CITIES[i % 3].to_string(),
    ]
}

fn capture_line(i: usize, time: DateTime<Utc>) -> String {
    serde_json::json!({
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                              "data": row(i)[1..].join(","), "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                               "data": row(i)[0], "encoding": "CSV"}
        },
        "eventMetadata": {"eventId": format!("e{i}"),
                          "inferenceTime": time.format("%Y-%m-%dT%H:%M:%SZ").to_string()},
        "eventVersion": "0"
    })
    .to_string()
}

/// A store with monitor `dq` (metrics published), its baseline (500 rows of the
/// data) and the partial profiles of `objects` capture objects of `per_object` records each,
/// ingested as the Lambda does; the objects of hour 17 spread over its minutes, the last one
/// in hour 18, and one unreadable line in the first (a bad record).
async fn ingested_store(objects: usize, per_object: usize) -> (MemoryStore, MonitorConfig) {
    let store = MemoryStore::new();
    let names: Vec<String> = FEATURES.map(String::from).to_vec();
    let mut p = DatasetProfile::new(&names, |_| Tracking::ALL);
    for i in 0..500 {
        for (f, v) in p.features.iter_mut().zip(row(i)) {
            f.observe(&v);
        }
        p.item_count += 1;
        *p.column_counts.entry(FEATURES.len()).or_default() += 1;
    }
    let cfg = MonitorConfig {
        publish_metrics: true,
        ..MonitorConfig::new("dq", MonitorKind::DataQuality, "ep", "baselines/dq")
    };
    let statistics = p.to_statistics().to_json();
    let constraints = suggest_constraints(&p).to_json();
    store
        .put(&cfg.statistics_key(), statistics.into_bytes())
        .await
        .unwrap();
    store
        .put(&cfg.constraints_key(), constraints.into_bytes())
        .await
        .unwrap();
    save_monitor(&store, &cfg).await.unwrap();
    let mut keys = Vec::new();
    for k in 0..objects {
        let hour = if k + 1 == objects { 18 } else { 17 };
        let mut lines = String::new();
        if k == 0 {
            lines.push_str("{not json\n");
        }
        for j in 0..per_object {
            let i = k * per_object + j;
            let minute = u32::try_from((k * 7 + j % 9) % 60).unwrap();
            let time = Utc.with_ymd_and_hms(2024, 3, 1, hour, minute, 5).unwrap();
            lines.push_str(&capture_line(i, time));
            lines.push('\n');
        }
        let key = format!("data-capture/ep/AllTraffic/2024/03/01/{hour}/{k:02}-00-000-x.jsonl");
        store.put(&key, lines.into_bytes()).await.unwrap();
        keys.push(key);
    }
    let summary = ingest::run(&store, &keys).await.unwrap();
    assert!(
        summary.objects.iter().all(|o| o.failed.is_empty()),
        "{summary:?}"
    );
    assert_eq!(summary.objects[0].records, per_object as u64, "{summary:?}");
    (store, cfg)
}

/// Every report file of `exec` and the metrics published, as bytes.
async fn report(
    store: &MemoryStore,
    exec: &Execution,
    metrics: &MemoryMetricSink,
) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for key in store.list(&exec.report_prefix).await.unwrap() {
        files.push((key.clone(), store.get(&key).await.unwrap()));
    }
    files.push(("metrics".into(), byoc_jsonl(&metrics.data()).unwrap()));
    files
}

/// The one-shot job's merge, one partial profile at a time, writes the tick's report files
/// byte for byte. 5 objects of 1,200 records: every feature's KLL sketch meets more values
/// than its level 0 holds (2,050), so the sketches compact and their bytes depend on the
/// merge order.
#[tokio::test]
async fn the_sequential_window_writes_the_ticks_report_byte_for_byte() {
    let (objects, per_object) = (5, 1_200);
    // two stores of the same bytes: one evaluated by the tick, one by the job's merge
    let (store, cfg) = ingested_store(objects, per_object).await;
    let (tick_store, _) = ingested_store(objects, per_object).await;
    assert!(serves(&cfg));
    let window = Window::new(
        Utc.with_ymd_and_hms(2024, 3, 1, 17, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2024, 3, 1, 19, 0, 0).unwrap(),
    );

    let tick_metrics = MemoryMetricSink::new();
    let ports = Ports {
        store: &tick_store,
        metrics: &tick_metrics,
        invokers: &LocalModels,
    };
    let tick_exec = capability_for(cfg.kind)
        .evaluate(ports, &cfg, window)
        .await
        .unwrap();
    let tick_files = report(&tick_store, &tick_exec, &tick_metrics).await;

    let metrics = MemoryMetricSink::new();
    let exec = evaluate(&store, &metrics, &cfg, window).await.unwrap();
    assert_eq!(exec.records, (objects * per_object) as u64);
    assert_eq!(exec.bad_records, 1);
    assert_eq!(exec.partial_profiles, objects);
    assert_eq!(exec, tick_exec);
    let files = report(&store, &exec, &metrics).await;
    let names: Vec<&str> = files.iter().map(|(k, _)| k.as_str()).collect();
    assert!(
        names.iter().any(|n| n.ends_with("statistics.json"))
            && names
                .iter()
                .any(|n| n.ends_with("constraint_violations.json")),
        "{names:?}"
    );
    assert_eq!(files, tick_files);
}

/// A window without records fails as the tick's does (same execution, same reason).
#[tokio::test]
async fn an_empty_window_fails_as_the_ticks_does() {
    let (store, cfg) = ingested_store(2, 10).await;
    let window = Window::new(
        Utc.with_ymd_and_hms(2024, 3, 2, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2024, 3, 2, 1, 0, 0).unwrap(),
    );
    let ports = Ports {
        store: &store,
        metrics: &MemoryMetricSink::new(),
        invokers: &LocalModels,
    };
    let tick = capability_for(cfg.kind)
        .evaluate(ports, &cfg, window)
        .await
        .unwrap();
    let exec = evaluate(&store, &MemoryMetricSink::new(), &cfg, window)
        .await
        .unwrap();
    assert_eq!(exec.records, 0);
    assert!(exec.failure_reason.is_some() || !exec.exit_message.is_empty());
    assert_eq!(exec, tick);
}

/// Only a monitor the data-quality tick alone evaluates takes the sequential path.
#[test]
fn only_plain_data_quality_monitors_are_served() {
    let dq = MonitorConfig::new("dq", MonitorKind::DataQuality, "ep", "b");
    assert!(serves(&dq));
    let mq = MonitorConfig::new("mq", MonitorKind::ModelQuality, "ep", "b");
    assert!(!serves(&mq));
    let ab = MonitorConfig {
        variants: Some(crate::variants::VariantSettings::default()),
        ..dq
    };
    assert!(!serves(&ab));
}
