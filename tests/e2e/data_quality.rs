//! Issue 3, end to end over the local store: baseline → capture-ingest per object → tick per
//! hour, on the demo scenario (deterministic, seed 42).

use std::collections::BTreeSet;

use modelwatch::demo::{run_scenario, BIAS_MONITOR, ENDPOINT, MONITOR, MQ_MONITOR, XAI_MONITOR};
use modelwatch::scenario::{Drift, Scenario};
use modelwatch_e2e::temp_dir;
use monitor_core::app::ingest;
use monitor_core::app::oneshot;
use monitor_core::app::tick::{self, TickRequest};
use monitor_core::attribution::LocalModels;
use monitor_core::config::CaptureOptions;
use monitor_core::data_quality::consume::PartialProfile;
use monitor_core::execution::ExecutionStatus;
use monitor_core::formats::violations::{CheckType, ConstraintViolations};
use monitor_core::metrics::MemoryMetricSink;
use monitor_core::store::{LocalStore, ObjectStore, StateFile};

fn small_scenario() -> Scenario {
    Scenario {
        records_per_hour: 3_000,
        records_per_file: 1_000,
        ..Scenario::new(42)
    }
}

/// Removes the demo's monitors other than data quality from the local store at `dir`.
fn keep_only_data_quality(dir: &std::path::Path) {
    for other in [MQ_MONITOR, BIAS_MONITOR, XAI_MONITOR] {
        std::fs::remove_file(dir.join(monitor_core::layout::monitor_config_key(other))).unwrap();
    }
}

/// One hour of the small demo scenario run into a fresh local store `name`, with only its
/// data-quality monitor kept: the store's directory, the store and the scenario.
async fn one_hour_of_data_quality(name: &str) -> (std::path::PathBuf, LocalStore, Scenario) {
    let dir = temp_dir(name);
    let store = LocalStore::new(&dir);
    let scenario = Scenario {
        hours: 1,
        ..small_scenario()
    };
    run_scenario(&store, &scenario, false).await.unwrap();
    keep_only_data_quality(&dir);
    (dir, store, scenario)
}

/// Features each hour's injected drift touches, plus the model output `score`, which a
/// shifted input legitimately moves.
fn expected_features(plan: &[Drift]) -> BTreeSet<String> {
    plan.iter()
        .filter_map(|d| d.feature().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn clean_hours_complete_and_drifted_hours_flag_the_injected_features() {
    let dir = temp_dir("dq-e2e");
    let store = LocalStore::new(&dir);
    let scenario = small_scenario();
    let outcome = run_scenario(&store, &scenario, false).await.unwrap();
    assert_eq!(outcome.executions.len(), scenario.hours);
    for (hour, (exec, plan)) in outcome.executions.iter().zip(&outcome.plan).enumerate() {
        let injected = expected_features(plan);
        let violations = ConstraintViolations::from_json(
            &store
                .get(&format!("{}constraint_violations.json", exec.report_prefix))
                .await
                .unwrap(),
        )
        .unwrap();
        let flagged: BTreeSet<String> = violations
            .violations
            .iter()
            .map(|v| v.feature_name.clone())
            .collect();
        if injected.is_empty() {
            assert_eq!(
                exec.status,
                ExecutionStatus::Completed,
                "hour {hour}: {flagged:?}"
            );
            assert!(flagged.is_empty());
        } else {
            assert_eq!(
                exec.status,
                ExecutionStatus::CompletedWithViolations,
                "hour {hour}"
            );
            for f in &injected {
                assert!(
                    flagged.contains(f),
                    "hour {hour}: {f} not flagged in {flagged:?}"
                );
            }
            let unexpected: Vec<_> = flagged
                .iter()
                // the model's output and the multivariate check (over every numeric
                // feature, on by default) may see an injected numeric drift too; clean hours
                // above must flag nothing at all
                .filter(|f| {
                    !injected.contains(*f)
                        && *f != "score"
                        && *f != monitor_core::data_quality::multivariate::VIOLATION_FEATURE
                })
                .collect();
            assert!(
                unexpected.is_empty(),
                "hour {hour}: also flagged {unexpected:?}"
            );
        }
        // Each kind of injected drift fires its own check.
        for d in plan {
            let want = match d {
                Drift::NumericShift { .. } => Some(CheckType::BaselineDriftCheck),
                Drift::NewCategory { .. } => Some(CheckType::CategoricalValuesCheck),
                Drift::MissingSpike { .. } => Some(CheckType::CompletenessCheck),
                Drift::TypeCorruption { .. } => Some(CheckType::DataTypeCheck),
                Drift::StuckValue { .. } => Some(CheckType::BaselineDriftCheck),
                Drift::None => None,
            };
            if let (Some(check), Some(f)) = (want, d.feature()) {
                assert!(
                    violations
                        .violations
                        .iter()
                        .any(|v| v.feature_name == f && v.constraint_check_type == check),
                    "hour {hour}: no {check} on {f}: {violations:?}"
                );
            }
        }
        // The report folder follows SageMaker's layout: the hour the window ends.
        assert!(exec
            .report_prefix
            .starts_with(&format!("reports/{ENDPOINT}/{MONITOR}/2026/11/")));
        assert!(store
            .get(&format!("{}statistics.json", exec.report_prefix))
            .await
            .is_ok());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every report file of the data-quality monitor, as (key, bytes). (The demo's
/// model-quality monitor needs ground truth, which this test does not replay.)
async fn reports(store: &LocalStore) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for k in store
        .list(&format!("reports/{ENDPOINT}/{MONITOR}/"))
        .await
        .unwrap()
    {
        let v = store.get(&k).await.unwrap();
        out.push((k, v));
    }
    out
}

async fn tick_all(store: &LocalStore, scenario: &Scenario) {
    let sink = MemoryMetricSink::new();
    for hour in 0..scenario.hours {
        let now =
            chrono::DateTime::from_timestamp(scenario.hour_start(hour) + 3600 + 60, 0).unwrap();
        tick::run(
            store,
            &sink,
            &LocalModels,
            &TickRequest {
                now,
                monitor: None,
                window_end: None,
                stack: None,
            },
        )
        .await
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn replayed_and_shuffled_events_give_byte_identical_reports() {
    let scenario = Scenario {
        hours: 5,
        ..small_scenario()
    };
    // Reference run: each object ingested once, in order.
    let dir_a = temp_dir("dq-replay-a");
    let a = LocalStore::new(&dir_a);
    run_scenario(&a, &scenario, false).await.unwrap();
    let expected = reports(&a).await;
    assert!(!expected.is_empty());

    // Same objects, every event delivered three times, in a shuffled order.
    let dir_b = temp_dir("dq-replay-b");
    let b = LocalStore::new(&dir_b);
    for key in a.list("baselines/").await.unwrap() {
        b.put(&key, a.get(&key).await.unwrap()).await.unwrap();
    }
    for key in a.list("config/").await.unwrap() {
        b.put(&key, a.get(&key).await.unwrap()).await.unwrap();
    }
    let mut keys = Vec::new();
    for hour in 0..scenario.hours {
        for (key, bytes) in scenario.capture_files(ENDPOINT, hour) {
            b.put(&key, bytes).await.unwrap();
            keys.push(key);
        }
    }
    let mut events: Vec<String> = keys.iter().chain(&keys).chain(&keys).cloned().collect();
    // A fixed permutation (deterministic shuffle: multiply-by-a-unit modulo n).
    let n = events.len();
    let step = (1..n)
        .rev()
        .find(|s| gcd(*s, n) == 1 && *s > n / 3)
        .unwrap_or(1);
    events = (0..n).map(|i| events[(i * step) % n].clone()).collect();
    for e in &events {
        ingest::run(&b, std::slice::from_ref(e)).await.unwrap();
    }
    tick_all(&b, &scenario).await;
    let got = reports(&b).await;
    assert_eq!(got.len(), expected.len());
    for ((ka, va), (kb, vb)) in expected.iter().zip(&got) {
        assert_eq!(ka, kb);
        assert!(va == vb, "{ka} differs after replay");
    }
    // Re-running the tick for the same windows rewrites identical files.
    tick_all(&b, &scenario).await;
    assert_eq!(reports(&b).await, got);
    let _ = std::fs::remove_dir_all(&dir_a);
    let _ = std::fs::remove_dir_all(&dir_b);
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_with_one_bad_line_of_each_kind_keeps_all_its_good_lines() {
    // Only the data-quality monitor profiles the object here (the demo's other monitors
    // would add their record counts to the object's summary).
    let (dir, store, scenario) = one_hour_of_data_quality("dq-bad-lines").await;
    let (key, clean) = scenario.capture_files(ENDPOINT, 0).remove(0);
    let good_lines = clean
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count() as u64;
    let template =
        String::from_utf8(clean.split(|b| *b == b'\n').next().unwrap().to_vec()).unwrap();
    let mut bad: Vec<Vec<u8>> = vec![
        b"{not json".to_vec(), // invalid_json
        [
            b"{\"captureData\":{}, \"x\":\"".as_slice(),
            &[0xff, 0xfe],
            b"\"}",
        ]
        .concat(), // non_utf8
        template
            .replacen("\"encoding\":\"CSV\"", "\"encoding\":\"BASE64\"", 1)
            .into_bytes(), // bad_base64
        template
            .replacen("\"data\":\"", "\"data\":\"1,2,", 1)
            .into_bytes(), // wrong_column_count
        template
            .replacen("\"encoding\":\"CSV\"", "\"encoding\":\"XML\"", 1)
            .into_bytes(), // unsupported_encoding
        b"{\"eventMetadata\":{},\"eventVersion\":\"0\"}".to_vec(), // missing_field
        vec![b'x'; 17 << 20],  // line_too_long
        // unparsable_number: `age` (Integral in the baseline) is "abc42"; the record still
        // counts, its value as a String, which is what the data-type check measures
        template
            .replacen("\"data\":\"", "\"data\":\"abc", 1)
            .into_bytes(),
    ];
    // Interleave the bad lines with the good ones.
    let mut mixed = Vec::new();
    for (i, line) in clean
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        if i % 100 == 0 {
            if let Some(b) = bad.pop() {
                mixed.extend_from_slice(&b);
                mixed.push(b'\n');
            }
        }
        mixed.extend_from_slice(line);
        mixed.push(b'\n');
    }
    store.put(&key, mixed).await.unwrap();
    let summary = ingest::run(&store, std::slice::from_ref(&key))
        .await
        .unwrap();
    let obj = &summary.objects[0];
    assert_eq!(
        obj.records,
        good_lines + 1,
        "every good line is profiled, and the record with the unparsable number"
    );
    assert_eq!(obj.bad_records, 8, "one of each bad kind");
    let partial = PartialProfile::from_json(
        &obj.state_keys[0],
        &store.get(&obj.state_keys[0]).await.unwrap(),
    )
    .unwrap();
    let mut kinds = BTreeSet::new();
    for m in &partial.minutes {
        for (k, v) in &m.bad_records.by_kind {
            assert!(!v.first_lines.is_empty());
            kinds.insert(k.clone());
        }
    }
    let expected: BTreeSet<String> = [
        "invalid_json",
        "non_utf8",
        "bad_base64",
        "wrong_column_count",
        "unsupported_encoding",
        "missing_field",
        "line_too_long",
        "unparsable_number",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(kinds, expected);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_shot_monitor_and_ingest_plus_tick_give_identical_statistics() {
    let dir = temp_dir("dq-parity");
    let store = LocalStore::new(&dir);
    let scenario = Scenario {
        hours: 4,
        ..small_scenario()
    };
    let outcome = run_scenario(&store, &scenario, false).await.unwrap();
    let baseline = oneshot::read_baseline_dir(&dir.join(format!("baselines/{MONITOR}"))).unwrap();
    for (hour, exec) in outcome.executions.iter().enumerate() {
        let folder = dir.join(scenario.hour_prefix(ENDPOINT, hour));
        let files = oneshot::collect_capture_files(&[folder]).unwrap();
        assert_eq!(files.len(), 3);
        let out = oneshot::run(&baseline, &files, CaptureOptions::default())
            .await
            .unwrap();
        let file = |name: &str| {
            out.files
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, b)| b.clone())
                .unwrap()
        };
        let tick_stats = store
            .get(&format!("{}statistics.json", exec.report_prefix))
            .await
            .unwrap();
        assert!(
            file("statistics.json") == tick_stats,
            "hour {hour}: statistics differ"
        );
        let tick_violations = store
            .get(&format!("{}constraint_violations.json", exec.report_prefix))
            .await
            .unwrap();
        assert!(
            file("constraint_violations.json") == tick_violations,
            "hour {hour}"
        );
        assert_eq!(out.execution.status, exec.status);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 16: the one-shot job profiles files on every core and merges them in file order, so
/// its files are byte-identical for 1 and N threads. Twelve files of 500 records, 6,000 in
/// the window: the merged KLL sketches compact (level 0 holds 2,050), so the merge order shows.
#[tokio::test(flavor = "multi_thread")]
async fn one_shot_output_is_identical_for_one_and_many_threads() {
    let dir = temp_dir("dq-threads");
    let store = LocalStore::new(&dir);
    let scenario = Scenario {
        hours: 1,
        records_per_hour: 6_000,
        records_per_file: 500,
        ..Scenario::new(42)
    };
    run_scenario(&store, &scenario, false).await.unwrap();
    let baseline = oneshot::read_baseline_dir(&dir.join(format!("baselines/{MONITOR}"))).unwrap();
    let files =
        oneshot::collect_capture_files(&[dir.join(scenario.hour_prefix(ENDPOINT, 0))]).unwrap();
    assert_eq!(files.len(), 12);
    let single = oneshot::run_with_threads(&baseline, &files, CaptureOptions::default(), 1)
        .await
        .unwrap();
    assert_eq!(single.execution.records, 6_000);
    let stats: serde_json::Value = serde_json::from_slice(
        &single
            .files
            .iter()
            .find(|(n, _)| n == "statistics.json")
            .unwrap()
            .1,
    )
    .unwrap();
    let levels = stats["features"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|f| f["numerical_statistics"]["distribution"]["kll"]["sketch"]["data"].as_array())
        .unwrap()
        .len();
    assert!(
        levels >= 2,
        "the window's sketch compacted ({levels} levels)"
    );
    for threads in [2, 3, 5] {
        let many = oneshot::run_with_threads(&baseline, &files, CaptureOptions::default(), threads)
            .await
            .unwrap();
        let names =
            |o: &oneshot::OneShotOutput| o.files.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(names(&many), names(&single));
        for ((name, a), (_, b)) in single.files.iter().zip(&many.files) {
            assert!(a == b, "{name} differs with {threads} threads");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A 15-minute monitor: the report folder carries the minute, only the window's records are
/// evaluated, and without a baseline the execution fails with the reason.
#[tokio::test(flavor = "multi_thread")]
async fn sub_hour_windows_and_a_missing_baseline() {
    let (dir, store, scenario) = one_hour_of_data_quality("dq-15min").await;
    let key = monitor_core::layout::monitor_config_key(MONITOR);
    let mut cfg: serde_json::Value =
        serde_json::from_slice(&store.get(&key).await.unwrap()).unwrap();
    cfg["window_minutes"] = 15.into();
    store
        .put(&key, serde_json::to_vec(&cfg).unwrap())
        .await
        .unwrap();

    // records of the capture hour whose inference minute is in [15, 30)
    let start = scenario.hour_start(0);
    let in_window = scenario
        .ground_truth(0)
        .iter()
        .filter(|g| (start + 900..start + 1800).contains(&g.inference_time_unix_secs))
        .count() as u64;
    let now = chrono::DateTime::from_timestamp(start + 1800 + 65, 0).unwrap();
    let sink = MemoryMetricSink::new();
    let req = TickRequest {
        now,
        monitor: Some(MONITOR.into()),
        window_end: None,
        stack: None,
    };
    let exec = tick::run(&store, &sink, &LocalModels, &req)
        .await
        .unwrap()
        .executions
        .remove(0);
    assert_eq!(exec.window_start.timestamp(), start + 900);
    assert_eq!(exec.window_end.timestamp(), start + 1800);
    assert!(
        exec.report_prefix.ends_with("/00/30/"),
        "{}",
        exec.report_prefix
    );
    assert_eq!(exec.records, in_window);
    assert!((600..900).contains(&in_window), "{in_window}");
    assert_eq!(
        exec.status,
        ExecutionStatus::Completed,
        "{}",
        exec.exit_message
    );

    // the baseline disappears: Failed, with the reason, and no statistics
    std::fs::remove_file(dir.join(format!("baselines/{MONITOR}/statistics.json"))).unwrap();
    let next = TickRequest {
        window_end: chrono::DateTime::from_timestamp(start + 2700, 0),
        ..req
    };
    let exec = tick::run(&store, &sink, &LocalModels, &next)
        .await
        .unwrap()
        .executions
        .remove(0);
    assert!(
        exec.report_prefix.ends_with("/00/45/"),
        "{}",
        exec.report_prefix
    );
    assert_eq!(exec.status, ExecutionStatus::Failed);
    assert!(
        exec.exit_message
            .starts_with("Failed: Baseline missing or unreadable"),
        "{}",
        exec.exit_message
    );
    assert!(store
        .get(&format!("{}statistics.json", exec.report_prefix))
        .await
        .is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Rewrites the first input value of a demo capture line: `csv` keeps the CSV payload,
/// otherwise the payload becomes the JSON array of the same values (numbers as written).
fn with_first_input(line: &[u8], first: &str, csv: bool) -> Vec<u8> {
    let mut rec: serde_json::Value = serde_json::from_slice(line).unwrap();
    let input = &mut rec["captureData"]["endpointInput"];
    let data = input["data"].as_str().unwrap().to_owned();
    let mut values: Vec<String> = data.split(',').map(str::to_owned).collect();
    values[0] = first.to_owned();
    if csv {
        input["data"] = values.join(",").into();
    } else {
        let items: Vec<String> = values
            .iter()
            .map(|v| {
                if v.parse::<f64>().is_ok() {
                    v.clone()
                } else {
                    serde_json::to_string(v).unwrap()
                }
            })
            .collect();
        input["data"] = format!("[{}]", items.join(",")).into();
        input["encoding"] = "JSON".into();
        input["observedContentType"] = "application/json".into();
    }
    serde_json::to_vec(&rec).unwrap()
}

/// Issue 11 item 1: `1e400` in a CSV column, `1e400` in a JSON payload and a finite `1e200`
/// each poisoned the partial profile (written as `null`, so the window ended `Failed:
/// Unreadable state` and nothing was published). Now each is counted by kind, its record
/// is still profiled, and the window completes and publishes.
#[tokio::test(flavor = "multi_thread")]
async fn poison_numbers_are_counted_and_the_window_still_completes() {
    let (dir, store, scenario) = one_hour_of_data_quality("dq-poison").await;
    let (key, clean) = scenario.capture_files(ENDPOINT, 0).remove(0);
    let mut lines: Vec<Vec<u8>> = clean
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    let good_lines = lines.len() as u64;
    // lines 2, 4, 6 (1-based): the three scenarios of the issue text
    lines[1] = with_first_input(&lines[1], "1e400", true);
    lines[3] = with_first_input(&lines[3], "1e400", false);
    lines[5] = with_first_input(&lines[5], "1e200", true);
    store.put(&key, lines.join(&b'\n')).await.unwrap();
    let summary = ingest::run(&store, std::slice::from_ref(&key))
        .await
        .unwrap();
    let obj = &summary.objects[0];
    assert_eq!(obj.records, good_lines, "every record is still profiled");
    let partial = PartialProfile::from_json(
        &obj.state_keys[0],
        &store.get(&obj.state_keys[0]).await.unwrap(),
    )
    .unwrap();
    let mut by_kind = std::collections::BTreeMap::new();
    for m in &partial.minutes {
        for (k, v) in &m.bad_records.by_kind {
            let e = by_kind.entry(k.clone()).or_insert((0, Vec::new()));
            e.0 += v.count;
            e.1.extend(v.first_lines.iter().copied());
        }
    }
    assert_eq!(by_kind["non_finite"], (2, vec![2, 4]), "{by_kind:?}");
    assert_eq!(by_kind["out_of_range"], (1, vec![6]), "{by_kind:?}");
    assert!(
        !by_kind.contains_key("unparsable_number"),
        "a refused number is counted once, by its own kind: {by_kind:?}"
    );
    let sink = MemoryMetricSink::new();
    let now = chrono::DateTime::from_timestamp(scenario.hour_start(0) + 3600 + 60, 0).unwrap();
    let ticked = tick::run(
        &store,
        &sink,
        &LocalModels,
        &TickRequest {
            now,
            monitor: None,
            window_end: None,
            stack: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(ticked.executions.len(), 1);
    assert_ne!(ticked.executions[0].status, ExecutionStatus::Failed);
    assert!(
        !sink.data().is_empty(),
        "the window's metrics are published"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 11 item 8: a gzip capture object showed as three `non_utf8` lines with no hint.
/// Now ingest refuses the object once, saying it is gzip, and the error is not retryable
/// (the same bytes fail the same way on every retry).
#[tokio::test(flavor = "multi_thread")]
async fn a_gzip_capture_object_is_one_clear_error() {
    let (dir, store, scenario) = one_hour_of_data_quality("dq-gzip").await;
    let (key, _) = scenario.capture_files(ENDPOINT, 0).remove(0);
    // the gzip header (RFC 1952 §2.3: ID1 ID2 CM FLG MTIME XFL OS) and some deflate bytes
    let gz = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xab\xe0\x02\x00\xff\xfe\n\x80".to_vec();
    store.put(&key, gz).await.unwrap();
    let err = ingest::run(&store, std::slice::from_ref(&key))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("gzip-compressed"), "{err}");
    assert!(err.to_string().contains(&key), "{err}");
    assert!(!err.is_retryable());
    let _ = std::fs::remove_dir_all(&dir);
}
