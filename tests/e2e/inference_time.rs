//! Issue 11 item 5, end to end on the demo's four monitors: every consumer of a capture
//! object (data-quality profile, model-quality and bias prediction indexes, attribution
//! state) reads `inferenceTime` the same way — in UTC, inside the hours the readers of the
//! object's hour folder look at — and counts the rest as `bad_time`, which the reports show
//! by kind.

use chrono::{DateTime, Duration, Utc};
use modelwatch::demo::{run_scenario, BIAS_MONITOR, ENDPOINT, MONITOR, MQ_MONITOR, XAI_MONITOR};
use modelwatch::scenario::Scenario;
use modelwatch_e2e::temp_dir;
use monitor_core::app::ingest::{self, ObjectSummary};
use monitor_core::app::tick::{self, TickRequest};
use monitor_core::attribution::{AttributionObjectState, LocalModels};
use monitor_core::data_quality::consume::PartialProfile;
use monitor_core::formats::capture::time::{HOURS_AFTER_OBJECT, HOURS_BEFORE_OBJECT};
use monitor_core::formats::capture::BadRecords;
use monitor_core::joined::predictions::PredictionIndex;
use monitor_core::metrics::MemoryMetricSink;
use monitor_core::store::{LocalStore, ObjectStore, StateFile};

fn scenario() -> Scenario {
    Scenario {
        hours: 1,
        records_per_hour: 600,
        records_per_file: 200,
        ..Scenario::new(42)
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `line` with its `inferenceTime` replaced (`None`: removed).
fn with_time(line: &[u8], time: Option<&str>) -> Vec<u8> {
    let mut rec: serde_json::Value = serde_json::from_slice(line).unwrap();
    let meta = rec["eventMetadata"].as_object_mut().unwrap();
    match time {
        Some(t) => meta.insert("inferenceTime".into(), t.into()),
        None => meta.remove("inferenceTime"),
    };
    serde_json::to_vec(&rec).unwrap()
}

fn time_of(line: &[u8]) -> DateTime<Utc> {
    let rec: serde_json::Value = serde_json::from_slice(line).unwrap();
    let raw = rec["eventMetadata"]["inferenceTime"].as_str().unwrap();
    DateTime::parse_from_rfc3339(raw).unwrap().to_utc()
}

/// The state each monitor wrote for the object: (bad records, minutes / prediction times).
async fn states(
    store: &LocalStore,
    obj: &ObjectSummary,
) -> Vec<(String, BadRecords, Vec<DateTime<Utc>>, usize)> {
    let mut out = Vec::new();
    for (monitor, key) in obj.monitors.iter().zip(&obj.state_keys) {
        let bytes = store.get(key).await.unwrap();
        let (bad, minutes) = if monitor == MONITOR {
            let p = PartialProfile::from_json(key, &bytes).unwrap();
            let mut bad = BadRecords::default();
            p.minutes.iter().for_each(|m| bad.merge(&m.bad_records));
            (bad, p.minutes.iter().map(|m| m.minute).collect())
        } else if monitor == XAI_MONITOR {
            let s = AttributionObjectState::from_json(key, &bytes).unwrap();
            let mut bad = BadRecords::default();
            s.minutes.iter().for_each(|m| bad.merge(&m.bad_records));
            (bad, s.minutes.iter().map(|m| m.minute).collect())
        } else {
            let ix = PredictionIndex::from_json(key, &bytes).unwrap();
            let times = ix
                .predictions
                .iter()
                .map(|p| DateTime::from_timestamp(p.time, 0).unwrap())
                .collect();
            (ix.bad_records, times)
        };
        out.push((monitor.clone(), bad, minutes, bytes.len()));
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn every_consumer_counts_bad_time_the_same_way() {
    let dir = temp_dir("inference-time");
    let store = LocalStore::new(&dir);
    let scenario = scenario();
    run_scenario(&store, &scenario, false).await.unwrap();
    let hour = DateTime::from_timestamp(scenario.hour_start(0), 0).unwrap();
    let (key, clean) = scenario.capture_files(ENDPOINT, 0).remove(0);
    let mut lines: Vec<Vec<u8>> = clean
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    // line 2 at its own instant written with a +02:00 offset; lines 3–6 unusable; line 7
    // two seconds before the object's hour
    let t2 = time_of(&lines[1]);
    let plus_two = (t2 + Duration::hours(2))
        .format("%Y-%m-%dT%H:%M:%S+02:00")
        .to_string();
    lines[1] = with_time(&lines[1], Some(&plus_two));
    lines[2] = with_time(&lines[2], Some(&rfc3339(t2 + Duration::days(1))));
    lines[3] = with_time(&lines[3], Some("2026-02-31T10:00:00Z"));
    lines[4] = with_time(&lines[4], None);
    lines[5] = with_time(&lines[5], Some("not a time"));
    let t7 = hour - Duration::seconds(2);
    lines[6] = with_time(&lines[6], Some(&rfc3339(t7)));
    store.put(&key, lines.join(&b'\n')).await.unwrap();

    let summary = ingest::run(&store, std::slice::from_ref(&key))
        .await
        .unwrap();
    let obj = &summary.objects[0];
    let states = states(&store, obj).await;
    assert_eq!(states.len(), 4, "{:?}", obj.monitors);
    let first = hour - Duration::hours(HOURS_BEFORE_OBJECT);
    let end = hour + Duration::hours(1 + HOURS_AFTER_OBJECT);
    for (monitor, bad, times, _) in &states {
        let kind = &bad.by_kind["bad_time"];
        assert_eq!(
            (kind.count, kind.first_lines.as_slice()),
            (4, [3, 4, 5, 6].as_slice()),
            "{monitor}"
        );
        assert!(
            times.iter().all(|t| *t >= first && *t < end),
            "{monitor}: a minute outside the hours read"
        );
        let minute = |t: DateTime<Utc>| t - Duration::seconds(t.timestamp().rem_euclid(60));
        let has = |t: DateTime<Utc>| times.contains(&t) || times.contains(&minute(t));
        assert!(has(t2), "{monitor}: the +02:00 record at {t2}");
        assert!(has(t7), "{monitor}: the 09:59:58-style record at {t7}");
    }
    // the ingest summary lists every monitor's bad records (the four bad_time lines
    // included) and counts one bad line once, however many monitors read it (issue 11)
    let total: u64 = states.iter().map(|(_, bad, _, _)| bad.total()).sum();
    let per_monitor: u64 = obj.counts.iter().map(|c| c.bad_records).sum();
    assert_eq!(per_monitor, total, "{obj:?}");
    assert!(total >= 4 * states.len() as u64);
    let most = obj.counts.iter().map(|c| c.bad_records).max().unwrap();
    assert_eq!(obj.bad_records, most, "{obj:?}");
    assert!(
        obj.bad_records < total,
        "not multiplied by the monitors: {obj:?}"
    );

    // The reports of the object's hour show the kind, as they do every bad kind.
    let sink = MemoryMetricSink::new();
    for monitor in [MONITOR, XAI_MONITOR] {
        let req = TickRequest {
            now: hour + Duration::hours(1),
            monitor: Some(monitor.into()),
            window_end: Some(hour + Duration::hours(1)),
            stack: None,
        };
        let ticked = tick::run(&store, &sink, &LocalModels, &req).await.unwrap();
        let exec = ticked.executions.last().unwrap();
        assert_eq!(
            exec.bad_records_by_kind.get("bad_time"),
            Some(&4),
            "{monitor}: {:?}",
            exec.bad_records_by_kind
        );
    }
    // MQ and bias state: the join never sees the refused records.
    for (monitor, _, times, _) in &states {
        if monitor == MQ_MONITOR || monitor == BIAS_MONITOR {
            assert_eq!(times.len(), lines.len() - 4, "{monitor}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 11 item 4: one object whose 10k records fall in 10k distinct minutes wrote a 74 MB
/// data-quality state. Now each consumer keeps only the minutes the readers of its hour look
/// at; the rest are `bad_time`.
#[tokio::test(flavor = "multi_thread")]
async fn ten_thousand_distinct_minutes_keep_only_the_readable_hours() {
    let dir = temp_dir("inference-time-10k");
    let store = LocalStore::new(&dir);
    let scenario = scenario();
    run_scenario(&store, &scenario, false).await.unwrap();
    let hour = DateTime::from_timestamp(scenario.hour_start(0), 0).unwrap();
    let (key, clean) = scenario.capture_files(ENDPOINT, 0).remove(0);
    let clean: Vec<&[u8]> = clean
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let first = hour - Duration::hours(HOURS_BEFORE_OBJECT);
    let n = 10_000;
    let lines: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            let t = first + Duration::minutes(i64::from(i));
            with_time(clean[i as usize % clean.len()], Some(&rfc3339(t)))
        })
        .collect();
    store.put(&key, lines.join(&b'\n')).await.unwrap();
    let summary = ingest::run(&store, std::slice::from_ref(&key))
        .await
        .unwrap();
    let allowed = ((1 + HOURS_BEFORE_OBJECT + HOURS_AFTER_OBJECT) * 60) as usize;
    for (monitor, bad, times, bytes) in states(&store, &summary.objects[0]).await {
        eprintln!(
            "{monitor}: {} minutes/records kept, state {bytes} bytes",
            times.len()
        );
        assert_eq!(times.len(), allowed, "{monitor}");
        assert_eq!(bad.by_kind["bad_time"].count, (n as usize - allowed) as u64);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
