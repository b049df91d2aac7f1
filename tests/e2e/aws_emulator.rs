//! Issue 4 item 6: the Lambda handlers against S3 as served by a local emulator (moto),
//! through the real HTTP adapter (`monitor_aws::S3Store`), compared byte for byte with the
//! same handlers over the local store.
//!
//! One hour of capture in 1,500 objects (3 records each, all four drifts of the demo's last
//! stage): baseline Lambda → one capture-ingest invocation per object with an S3
//! `ObjectCreated:Put` event built from `events/s3-capture-put.json` (keys URL-encoded as S3
//! does, some with spaces, `+`, `%`, unicode and `%2F` slashes) → one monitor-tick invocation
//! with the EventBridge schedule event of `events/schedule-tick.json` for the hour after.
//! The bucket's reports (and every other object) must equal the local run's files.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_lambda_events::event::s3::S3Event;
use aws_sdk_s3::config::{Credentials, SharedCredentialsProvider};
use chrono::{TimeZone, Utc};
use lambda_kit::{ConfiguredMetrics, MetricsMode};
use lambda_runtime::{Context, LambdaEvent};
use modelwatch::scenario::{drift_plan, Scenario};
use modelwatch_e2e::moto::Moto;
use modelwatch_e2e::temp_dir;
use monitor_aws::S3Store;
use monitor_core::app::baseline::BaselineRequest;
use monitor_core::app::ingest::IngestSummary;
use monitor_core::app::tick::TickSummary;
use monitor_core::config::{save_monitor, MonitorConfig};
use monitor_core::execution::ExecutionStatus;
use monitor_core::store::{LocalStore, ObjectStore};
use serde_json::Value;
use tokio::task::JoinSet;

const CAPTURE_PUT: &str = include_str!("../../events/s3-capture-put.json");
const SCHEDULE_TICK: &str = include_str!("../../events/schedule-tick.json");
const BASELINE_REQUEST: &str = include_str!("../../events/baseline-request.json");

const ENDPOINT: &str = "churn-endpoint";
const MONITOR: &str = "churn-dq";
/// Capture objects in the one hour window.
const OBJECTS: usize = 1_500;
const RECORDS_PER_FILE: usize = 3;
/// Handler invocations in flight at once (Lambda would run them concurrently too).
const CONCURRENCY: usize = 8;

/// 1,500 files × 3 records in hour 0 (2026-11-01T00), smaller baseline than the demo's.
fn scenario() -> Scenario {
    Scenario {
        baseline_rows: 2_000,
        hours: 1,
        records_per_hour: OBJECTS * RECORDS_PER_FILE,
        records_per_file: RECORDS_PER_FILE,
        ..Scenario::new(4)
    }
}

/// The capture objects: the scenario's files with the drifts of the demo's last stage, one
/// in five file names kept as generated and the others given characters S3 has to encode.
fn capture_objects(s: &Scenario) -> Vec<(String, Vec<u8>)> {
    let drifts = drift_plan(8).pop().expect("an 8-hour plan has a last hour");
    s.capture_files_with(ENDPOINT, 0, &drifts)
        .into_iter()
        .enumerate()
        .map(|(i, (key, body))| {
            let stem = key
                .strip_suffix(".jsonl")
                .expect("capture keys end in .jsonl");
            let key = match i % 5 {
                0 => key.clone(),
                1 => format!("{stem} copy.jsonl"),
                2 => format!("{stem}+plus.jsonl"),
                3 => format!("{stem}-ünïcødé-€.jsonl"),
                _ => format!("{stem} 100% (v2)&=~.jsonl"),
            };
            (key, body)
        })
        .collect()
}

/// `key` URL-encoded the way S3 writes `s3.object.key` in event notifications (form
/// encoding: space → `+`, bytes other than `A-Z a-z 0-9 - _ . *` → `%XX`), keeping `/`
/// literal unless `encode_slash`.
fn s3_event_key(key: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(key.len() * 2);
    for &b in key.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b'/' if !encode_slash => out.push('/'),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[test]
fn event_keys_are_encoded_like_s3() {
    // S3 User Guide, event message structure: "red flower.jpg" arrives as "red+flower.jpg".
    assert_eq!(s3_event_key("red flower.jpg", false), "red+flower.jpg");
    assert_eq!(s3_event_key("a+b/c d", true), "a%2Bb%2Fc+d");
    assert_eq!(s3_event_key("café/€", false), "caf%C3%A9/%E2%82%AC");
    assert_eq!(
        lambda_kit::decode_s3_key(&s3_event_key("x/100% (v2)&=~.jsonl", true)),
        "x/100% (v2)&=~.jsonl"
    );
}

/// The S3 notification of one new object, shaped like `events/s3-capture-put.json`.
fn put_event(bucket: &str, key: &str, size: usize, encode_slash: bool) -> LambdaEvent<S3Event> {
    let mut v: Value = serde_json::from_str(CAPTURE_PUT).unwrap();
    let s3 = &mut v["Records"][0]["s3"];
    s3["bucket"]["name"] = bucket.into();
    s3["bucket"]["arn"] = format!("arn:aws:s3:::{bucket}").into();
    s3["object"]["key"] = s3_event_key(key, encode_slash).into();
    s3["object"]["size"] = size.into();
    LambdaEvent::new(serde_json::from_value(v).unwrap(), Context::default())
}

/// The schedule event of `events/schedule-tick.json` at `time`.
fn tick_event(time: &str) -> LambdaEvent<EventBridgeEvent<Value>> {
    let mut v: Value = serde_json::from_str(SCHEDULE_TICK).unwrap();
    v["time"] = time.into();
    LambdaEvent::new(serde_json::from_value(v).unwrap(), Context::default())
}

/// moto's SDK configuration, built explicitly (static test credentials, us-east-1, the
/// emulator's endpoint, the adapter's retry policy) without touching the process env.
fn moto_sdk_config(url: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "test",
            "test",
            None,
            None,
            "modelwatch-e2e",
        )))
        .endpoint_url(url)
        .retry_config(monitor_aws::retry_config())
        .build()
}

/// The hourly data-quality monitor of the capture, as an operator would write its file.
fn monitor_config() -> MonitorConfig {
    let req: BaselineRequest = serde_json::from_str(BASELINE_REQUEST).unwrap();
    let json = serde_json::json!({
        "name": MONITOR,
        "endpoint": ENDPOINT,
        "baseline_prefix": req.output_prefix,
        "capture_prefix": "data-capture/",
        "window_minutes": 60,
    });
    MonitorConfig::from_json("aws_emulator", json.to_string().as_bytes()).unwrap()
}

/// What one pipeline run returned.
struct Run {
    ingests: Vec<IngestSummary>,
    tick: TickSummary,
    /// wall time of baseline + puts, of the ingests, of the tick
    phases: [std::time::Duration; 3],
}

/// Baseline → monitor config → capture objects → one capture-ingest invocation per object
/// → one tick, all through the Lambda handlers, on `store`. `bucket` is the bucket the
/// events name (and the one capture-ingest checks, for S3).
async fn run_pipeline<S>(store: S, bucket: &str, check_bucket: bool) -> Run
where
    S: ObjectStore + Clone + Send + Sync + 'static,
{
    let s = scenario();
    let t0 = Instant::now();
    let req: BaselineRequest = serde_json::from_str(BASELINE_REQUEST).unwrap();
    let mut csv = Vec::new();
    s.write_baseline_csv(&mut csv).unwrap();
    store.put(&req.dataset, csv).await.unwrap();
    let summary = baseline::handler(
        LambdaEvent::new(req, Context::default()),
        &baseline::Deps {
            store: store.clone(),
        },
    )
    .await
    .unwrap();
    assert_eq!(summary.rows, 2_000);
    save_monitor(&store, &monitor_config()).await.unwrap();

    let objects = capture_objects(&s);
    assert_eq!(objects.len(), OBJECTS);
    for needs_encoding in [" ", "+", "%", "€"] {
        assert!(objects.iter().any(|(k, _)| k.contains(needs_encoding)));
    }
    // Capture objects land (concurrently, as SageMaker writes them) …
    let mut puts = JoinSet::new();
    for chunk in objects.chunks(OBJECTS.div_ceil(CONCURRENCY)) {
        let (store, chunk) = (store.clone(), chunk.to_vec());
        puts.spawn(async move {
            for (key, body) in chunk {
                store.put(&key, body).await.unwrap();
            }
        });
    }
    puts.join_all().await;

    let t1 = Instant::now();
    // … and each one's notification invokes capture-ingest.
    let deps = Arc::new(capture_ingest::Deps {
        store: store.clone(),
        bucket: check_bucket.then(|| bucket.to_string()),
    });
    let mut ingests = JoinSet::new();
    for (part, chunk) in objects.chunks(OBJECTS.div_ceil(CONCURRENCY)).enumerate() {
        let deps = Arc::clone(&deps);
        let bucket = bucket.to_string();
        let chunk: Vec<(String, usize)> = chunk.iter().map(|(k, b)| (k.clone(), b.len())).collect();
        ingests.spawn(async move {
            let mut out = Vec::new();
            for (i, (key, size)) in chunk.into_iter().enumerate() {
                let event = put_event(&bucket, &key, size, (part + i) % 2 == 1);
                let summary = capture_ingest::handler(event, &deps)
                    .await
                    .unwrap_or_else(|e| panic!("capture-ingest of {key:?}: {e}"));
                assert_eq!(summary.objects.len(), 1);
                let o = &summary.objects[0];
                assert_eq!(o.key, key, "the event key decodes to the object key");
                assert_eq!(o.ignored, None, "{key:?}");
                assert_eq!(o.records, RECORDS_PER_FILE as u64, "{key:?}");
                assert_eq!(o.state_keys.len(), 1);
                out.push((part, summary));
            }
            out
        });
    }
    let mut ingests: Vec<(usize, IngestSummary)> =
        ingests.join_all().await.into_iter().flatten().collect();
    ingests.sort_by_key(|a| a.0);

    let t2 = Instant::now();
    let tick_time = Utc.timestamp_opt(s.hour_start(0) + 3600 + 300, 0).unwrap();
    let tick = monitor_tick::handler(
        tick_event(&tick_time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        &monitor_tick::Deps {
            store: store.clone(),
            metrics: ConfiguredMetrics::new(MetricsMode::File, store.clone()),
            invokers: monitor_core::attribution::LocalModels,
            stack: None,
        },
    )
    .await
    .unwrap();
    Run {
        ingests: ingests.into_iter().map(|(_, s)| s).collect(),
        tick,
        phases: [t1 - t0, t2 - t1, t2.elapsed()],
    }
}

/// Every object of `store` under `prefix`, key → bytes.
async fn tree<S>(store: &S, prefix: &str) -> BTreeMap<String, Vec<u8>>
where
    S: ObjectStore + Clone + Send + Sync + 'static,
{
    read_all(store, store.list(prefix).await.unwrap()).await
}

/// The objects at `keys`, key → bytes (read [`CONCURRENCY`] at a time).
async fn read_all<S>(store: &S, keys: Vec<String>) -> BTreeMap<String, Vec<u8>>
where
    S: ObjectStore + Clone + Send + Sync + 'static,
{
    let mut reads = JoinSet::new();
    for chunk in keys.chunks(keys.len().div_ceil(CONCURRENCY).max(1)) {
        let (store, chunk) = (store.clone(), chunk.to_vec());
        reads.spawn(async move {
            let mut out = Vec::with_capacity(chunk.len());
            for key in chunk {
                let body = store.get(&key).await.unwrap();
                out.push((key, body));
            }
            out
        });
    }
    reads.join_all().await.into_iter().flatten().collect()
}

// Why it is long: one emulator start (seconds) serves every Lambda in turn; the same steps
// run on the local store and the bytes are compared once at the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambdas_on_the_emulator_write_the_same_bytes_as_on_the_local_store() {
    let moto = Moto::start();
    // A bucket of its own (no reset: MODELWATCH_MOTO_URL may name a shared server).
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let bucket = format!("modelwatch-e2e-{}-{nanos}", std::process::id());
    let sdk = moto_sdk_config(&moto.url);
    let client = monitor_aws::s3_client(&sdk, true);
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    let s3 = S3Store::new(client.clone(), bucket.clone());

    let dir = temp_dir("aws-emulator-local");
    let local = LocalStore::new(&dir);
    // Both runs at once: moto is the bottleneck, the local run fills the other core.
    let (on_s3, on_disk) = tokio::join!(
        run_pipeline(s3.clone(), &bucket, true),
        run_pipeline(local.clone(), &bucket, false)
    );
    eprintln!(
        "pipeline of {OBJECTS} objects (setup+puts, ingests, tick): {:.2?} on moto, {:.2?} on \
         the local store",
        on_s3.phases, on_disk.phases
    );

    // The tick evaluated the one hour: all 1,500 partial profiles, 4,500 records, drift found.
    assert_eq!(on_s3.tick.executions.len(), 1);
    let exec = &on_s3.tick.executions[0];
    assert_eq!(exec.monitoring_schedule_name, MONITOR);
    assert_eq!(
        exec.window_start,
        Utc.timestamp_opt(scenario().hour_start(0), 0).unwrap()
    );
    assert_eq!(exec.partial_profiles, OBJECTS);
    assert_eq!(exec.records, (OBJECTS * RECORDS_PER_FILE) as u64);
    assert_eq!(
        exec.status,
        ExecutionStatus::CompletedWithViolations,
        "{}",
        exec.exit_message
    );
    assert!(exec.violations > 0);
    assert_eq!(on_s3.tick, on_disk.tick, "tick summaries differ");
    assert_eq!(on_s3.ingests, on_disk.ingests, "ingest summaries differ");

    // Listing 1,500 state objects takes two ListObjectsV2 pages (1,000 keys per page).
    let state_prefix = format!("state/profiles/{MONITOR}/");
    let first_page = client
        .list_objects_v2()
        .bucket(&bucket)
        .prefix(&state_prefix)
        .send()
        .await
        .unwrap();
    assert_eq!(first_page.key_count(), Some(1_000));
    assert_eq!(first_page.is_truncated(), Some(true));
    let state_keys = s3.list(&state_prefix).await.unwrap();
    assert_eq!(state_keys.len(), OBJECTS);
    assert!(
        state_keys.windows(2).all(|w| w[0] < w[1]),
        "sorted, no duplicates"
    );
    assert_eq!(state_keys, local.list(&state_prefix).await.unwrap());

    // The reports in the bucket are the local run's files, byte for byte.
    let reports_s3 = tree(&s3, "reports/").await;
    let reports_local = tree(&local, "reports/").await;
    // (the tick's HTML report of the window and the dashboard, issue 14, come with them)
    let mut expected: Vec<String> = [
        "constraint_violations.json",
        "execution.json",
        "report.html",
        "statistics.json",
    ]
    .iter()
    .map(|f| format!("{}{f}", exec.report_prefix))
    .collect();
    expected.push("reports/index.html".into());
    assert_eq!(reports_s3.keys().cloned().collect::<Vec<_>>(), expected);
    assert_eq!(
        reports_s3.keys().collect::<Vec<_>>(),
        reports_local.keys().collect::<Vec<_>>()
    );
    for (key, bytes) in &reports_s3 {
        assert!(
            bytes == &reports_local[key],
            "{key} differs between the bucket and the local store"
        );
    }

    // Both stores hold the same keys, everything included (the dataset and the capture
    // objects were put by this test, identically).
    let keys_s3 = s3.list("").await.unwrap();
    assert_eq!(
        keys_s3,
        local.list("").await.unwrap(),
        "the stores hold different keys"
    );
    let metrics = keys_s3.iter().filter(|k| k.starts_with("metrics/")).count();
    assert!(metrics > 0, "the file metric sink wrote metrics");
    // dataset, baseline (2), monitor, capture, state, reports (3 and report.html), the
    // dashboard, metrics
    assert_eq!(
        keys_s3.len(),
        1 + 2 + 1 + OBJECTS + OBJECTS + 3 + 1 + 1 + metrics
    );
    // Bytes: baseline, monitor config, metrics and every tenth partial profile (all 1,500
    // went into the tick, whose summary and reports are equal above; reading each back from
    // the emulator would add seconds for little).
    let compared: Vec<String> = keys_s3
        .iter()
        .filter(|k| !k.starts_with("data-capture/") && !k.starts_with("datasets/"))
        .filter(|k| !k.starts_with("reports/"))
        .enumerate()
        .filter(|(i, k)| !k.starts_with("state/") || i % 10 == 0)
        .map(|(_, k)| k.clone())
        .collect();
    assert!(compared.len() > 150, "{}", compared.len());
    let (in_s3, on_disk) = tokio::join!(
        read_all(&s3, compared.clone()),
        read_all(&local, compared.clone())
    );
    let differing: Vec<_> = compared
        .iter()
        .filter(|k| in_s3[*k] != on_disk[*k])
        .collect();
    assert!(
        differing.is_empty(),
        "objects whose bytes differ: {differing:?}"
    );
    std::fs::remove_dir_all(&dir).ok();

    // The launcher's reset wipes the emulator (only on a server of our own).
    if moto.owned() {
        moto.reset();
        let buckets = client.list_buckets().send().await.unwrap();
        assert!(buckets.buckets().is_empty(), "{buckets:?}");
    }
    drop(moto);
}
