use chrono::TimeZone;

use super::*;
use crate::config::MonitorConfig;
use crate::data_quality::checks::Baseline;
use crate::data_quality::consume::{MinuteProfile, PartialProfile, Profiler};
use crate::data_quality::profile::{DatasetProfile, Tracking};
use crate::data_quality::suggest::suggest_constraints;
use crate::layout::{parse_capture_key, profile_key};
use crate::store::{Body, Line, StateFile};

const FEATURES: [&str; 5] = ["score", "age", "income", "city", "code"];
const CITIES: [&str; 3] = ["paris", "lyon", "nice"];

/// Row `i`, every value derived from `i` (the multipliers spread the numbers over their range;
/// `code` changes every 7 rows, so a minute meets new codes on every visit and its distinct
/// count sketch, in its hash-set mode, grows across reloads).
fn row(i: usize) -> [String; 5] {
    [
        format!("{:.3}", ((i * 31) % 1_000) as f64 / 1_000.0),
        ((i * 7_919) % 97).to_string(),
        format!("{:.2}", ((i * 104_729) % 100_003) as f64 / 7.0),
        CITIES[i % 3].to_string(),
        format!("c{}", (i / 7) % 400),
    ]
}

fn baseline() -> Baseline {
    let names: Vec<String> = FEATURES.map(String::from).to_vec();
    let mut p = DatasetProfile::new(&names, |_| Tracking::ALL);
    for i in 0..300 {
        for (f, v) in p.features.iter_mut().zip(row(i)) {
            f.observe(&v);
        }
        p.item_count += 1;
        *p.column_counts.entry(FEATURES.len()).or_default() += 1;
    }
    Baseline::new(p.to_statistics(), suggest_constraints(&p), "mem").unwrap()
}

/// Capture line of row `i` at `minute` of hour 17 (an unreadable line every 1,000th).
fn line(i: usize, minute: u32) -> String {
    if i % 1_000 == 999 {
        return "{not json".into();
    }
    let r = row(i);
    let time = Utc.with_ymd_and_hms(2024, 3, 1, 17, minute, 30).unwrap();
    serde_json::json!({
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                              "data": r[1..].join(","), "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                               "data": r[0], "encoding": "CSV"}
        },
        "eventMetadata": {"eventId": format!("e{i}"),
                          "inferenceTime": time.format("%Y-%m-%dT%H:%M:%SZ").to_string()},
        "eventVersion": "0"
    })
    .to_string()
}

fn body_bytes(body: Body) -> Vec<u8> {
    match body {
        Body::Bytes(b) => b,
        Body::File(f) => std::fs::read(f.path()).unwrap(),
    }
}

/// The object of the test: `rounds` passes over minutes 0..`minutes`, `run` records of each
/// minute per pass, as a concatenation of hour-long objects retimed into one hour would give
/// (every minute comes back once per pass).
fn pushed(profiler: &mut Profiler, minutes: u32, rounds: usize, run: usize) {
    let mut n = 0;
    for _ in 0..rounds {
        for minute in 0..minutes {
            for _ in 0..run {
                n += 1;
                let l = line(n, minute);
                profiler.push(n as u64, &Line::Ok(l.as_bytes()));
            }
        }
    }
}

/// Minutes that leave memory and come back write the same state file as minutes that never
/// left: 5 minutes visited 3 times, 720 records a visit, so each minute's KLL sketches meet
/// about 2,160 values and compact (level 0 holds 2,050) after reloads; with 2 resident
/// minutes every visit after the first pass reloads a spilled minute.
#[test]
fn spilled_minutes_write_the_same_partial_profile_byte_for_byte() {
    let (minutes, rounds, run) = (5, 3, 720);
    let baseline = baseline();
    let cfg = MonitorConfig::new("dq", crate::config::MonitorKind::DataQuality, "ep", "b");
    let key = "data-capture/ep/AllTraffic/2024/03/01/17/00-00-000-x.jsonl";
    let ck = parse_capture_key(key, "data-capture/").unwrap();

    let mut whole = Profiler::new(&ck, key, &cfg, &baseline).unwrap();
    pushed(&mut whole, minutes, rounds, run);
    assert_eq!(whole.spilled_minutes(), 0);
    let whole: PartialProfile = whole.finish();
    let expected = whole.to_json().unwrap();
    assert_eq!(whole.minutes.len(), minutes as usize);
    assert!(whole
        .minutes
        .iter()
        .all(|m| m.profile.features[1].kll.levels().len() > 1));

    let mut spilling = Profiler::new(&ck, key, &cfg, &baseline)
        .unwrap()
        .spill_minutes(2);
    pushed(&mut spilling, minutes, rounds, run);
    assert_eq!(spilling.spilled_minutes(), minutes as usize - 2);
    let out = spilling.finish_output("dq", &ck).unwrap();
    assert_eq!(out.state_key, profile_key("dq", &ck));
    assert_eq!(out.records, whole.records());
    assert_eq!(out.bad_records, whole.bad_records());
    assert_eq!(
        out.minutes,
        whole.minutes.iter().map(|m| m.minute).collect::<Vec<_>>()
    );
    assert_eq!(
        String::from_utf8(body_bytes(out.body)).unwrap(),
        String::from_utf8(expected.clone()).unwrap()
    );

    // `finish` reads every spilled minute back: the same partial profile
    let mut spilling = Profiler::new(&ck, key, &cfg, &baseline)
        .unwrap()
        .spill_minutes(1);
    pushed(&mut spilling, minutes, rounds, run);
    assert_eq!(spilling.spilled_minutes(), minutes as usize - 1);
    assert_eq!(spilling.finish().to_json().unwrap(), expected);
}

/// A spilled minute reads back as the same profile, and is forgotten once taken.
#[test]
fn a_minute_reads_back_as_it_was_written() {
    let baseline = baseline();
    let cfg = MonitorConfig::new("dq", crate::config::MonitorKind::DataQuality, "ep", "b");
    let key = "data-capture/ep/AllTraffic/2024/03/01/17/00-00-000-x.jsonl";
    let ck = parse_capture_key(key, "data-capture/").unwrap();
    let mut p = Profiler::new(&ck, key, &cfg, &baseline).unwrap();
    pushed(&mut p, 1, 1, 50);
    let m = p.finish().minutes.remove(0);
    let mut spill = MinuteSpill::new();
    assert!(spill.is_empty());
    spill.put(m.clone()).unwrap();
    assert!(spill.contains(m.minute));
    assert_eq!(spill.counts(), (50, 0, 0));
    let back = spill.take(m.minute).unwrap().unwrap();
    assert_eq!(
        serde_json::to_vec(&back).unwrap(),
        serde_json::to_vec(&m).unwrap()
    );
    assert!(spill.take(m.minute).unwrap().is_none() && spill.is_empty());
    assert!(matches!(
        spill.load(m.minute),
        Err(CoreError::NotFound { .. })
    ));
}

/// A byte budget that forces spilling writes the same state file as no spill, and one the
/// object's minutes fit in spills nothing: the same object as
/// `spilled_minutes_write_the_same_partial_profile_byte_for_byte`, with a budget of about two
/// of its minutes (each minute reloaded on every pass), then of twice all of them.
#[test]
fn a_byte_budget_spills_to_the_same_bytes_and_only_when_the_minutes_do_not_fit() {
    let (minutes, rounds, run) = (5, 3, 720);
    let baseline = baseline();
    let cfg = MonitorConfig::new("dq", crate::config::MonitorKind::DataQuality, "ep", "b");
    let key = "data-capture/ep/AllTraffic/2024/03/01/17/00-00-000-x.jsonl";
    let ck = parse_capture_key(key, "data-capture/").unwrap();

    let mut whole = Profiler::new(&ck, key, &cfg, &baseline).unwrap();
    pushed(&mut whole, minutes, rounds, run);
    let whole: PartialProfile = whole.finish();
    let expected = whole.to_json().unwrap();
    let sizes: Vec<usize> = whole
        .minutes
        .iter()
        .map(|m| std::mem::size_of::<MinuteProfile>() + minute_heap_bytes(m))
        .collect();
    let largest = sizes.iter().copied().max().unwrap();
    let all: usize = sizes.iter().sum();

    let mut spilling = Profiler::new(&ck, key, &cfg, &baseline)
        .unwrap()
        .minute_budget(2 * largest);
    pushed(&mut spilling, minutes, rounds, run);
    assert!(spilling.spilled_minutes() >= minutes as usize - 3);
    let out = spilling.finish_output("dq", &ck).unwrap();
    assert_eq!(out.records, whole.records());
    assert_eq!(
        String::from_utf8(body_bytes(out.body)).unwrap(),
        String::from_utf8(expected.clone()).unwrap()
    );

    let mut fitting = Profiler::new(&ck, key, &cfg, &baseline)
        .unwrap()
        .minute_budget(2 * all);
    pushed(&mut fitting, minutes, rounds, run);
    assert_eq!(fitting.spilled_minutes(), 0);
    assert_eq!(fitting.finish().to_json().unwrap(), expected);
}
