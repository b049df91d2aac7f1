//! The size ingest's minute budget counts ([`minute_heap_bytes`]) against the heap a minute
//! profile really holds: the bytes a counting allocator sees freed when the minute is dropped
//! (issue 16 item 3). One test in this binary, so no other thread allocates meanwhile.

use std::alloc::System;

use chrono::{TimeZone, Utc};
use monitor_core::config::{MonitorConfig, MonitorKind};
use monitor_core::data_quality::checks::Baseline;
use monitor_core::data_quality::consume::{MinuteProfile, Profiler};
use monitor_core::data_quality::minute_spill::{minute_heap_bytes, MinuteSpill};
use monitor_core::data_quality::profile::{DatasetProfile, Tracking};
use monitor_core::data_quality::suggest::suggest_constraints;
use monitor_core::layout::parse_capture_key;
use monitor_core::store::Line;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const FEATURES: [&str; 5] = ["score", "age", "income", "city", "code"];
const CITIES: [&str; 3] = ["paris", "lyon", "nice"];

/// Row `i`, every value derived from `i`: three numeric features, a categorical one of 3
/// values and one of 400 (a new one every 7 rows), whose distinct-count sketch goes from its
/// coupon list to its hash set to its register array as a minute grows.
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

/// Capture line of row `i` at `minute` of hour 17.
fn line(i: usize, minute: u32) -> String {
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

/// What dropping a minute frees, as the allocator sees it.
#[derive(Debug)]
struct Freed {
    /// bytes requested
    bytes: usize,
    /// blocks
    blocks: usize,
}

impl Freed {
    /// The least and the most malloc can have given for these blocks: each request plus an
    /// 8-byte header, rounded up to 16 bytes, at least 32 (8 to 31 bytes more a block).
    fn malloc_range(&self) -> (usize, usize) {
        (self.bytes + 8 * self.blocks, self.bytes + 31 * self.blocks)
    }
}

/// `(estimate, what dropping it freed)` of `m`.
fn sized(m: MinuteProfile) -> (usize, Freed) {
    let estimate = minute_heap_bytes(&m);
    let region = Region::new(GLOBAL);
    drop(m);
    let change = region.change();
    assert_eq!(change.bytes_allocated, 0);
    let freed = Freed {
        bytes: change.bytes_deallocated,
        blocks: change.deallocations,
    };
    (estimate, freed)
}

/// The estimate lies between the least and the most malloc can have given for the blocks the
/// minute frees ([`Freed::malloc_range`]): it counts every block, by its capacity, as malloc
/// rounds it. Minutes in the order ingest makes them (the third starts with the second one's
/// level-0 room), and as a spill reads one back (buffers decoded to their length). Measured:
/// 5,328 B estimated for 4,727 B requested in 38 blocks (50 records), 166,584 B for 154,913 B
/// in 433 blocks (5,000 records), 18,432 B for 17,847 B in 38 blocks (50 records after the
/// big minute), 105,672 B for 94,001 B read back.
#[test]
fn the_minute_size_estimate_follows_the_heap_a_minute_holds() {
    let baseline = baseline();
    let cfg = MonitorConfig::new("dq", MonitorKind::DataQuality, "ep", "b");
    let key = "data-capture/ep/AllTraffic/2024/03/01/17/00-00-000-x.jsonl";
    let ck = parse_capture_key(key, "data-capture/").unwrap();
    let mut p = Profiler::new(&ck, key, &cfg, &baseline).unwrap();
    let mut n = 0u64;
    for (minute, records) in [(0, 50), (1, 5_000), (2, 50)] {
        for _ in 0..records {
            n += 1;
            let l = line(n as usize, minute);
            p.push(n, &Line::Ok(l.as_bytes()));
        }
    }
    let minutes = p.finish().minutes;
    assert_eq!(minutes.len(), 3);
    // the big minute's KLL sketches compacted; its code feature met all 400 codes
    assert!(minutes[1].profile.features[1].kll.levels().len() > 1);
    assert_eq!(minutes[1].profile.features[4].categorical.distinct(), 400);

    let spill_copy = minutes[1].clone();
    for (m, what) in minutes
        .into_iter()
        .zip(["50 records", "5,000", "50 after 5,000"])
    {
        let (est, freed) = sized(m);
        let (lo, hi) = freed.malloc_range();
        eprintln!("{what}: estimate {est} B, freed {freed:?}");
        assert!(lo <= est && est <= hi, "{what}: {est} not in {lo}..={hi}");
    }

    let mut spill = MinuteSpill::new();
    let minute = spill_copy.minute;
    spill.put(spill_copy).unwrap();
    let back = spill.take(minute).unwrap().unwrap();
    let (est, freed) = sized(back);
    let (lo, hi) = freed.malloc_range();
    eprintln!("5,000 read back: estimate {est} B, freed {freed:?}");
    assert!(
        lo <= est && est <= hi,
        "read back: {est} not in {lo}..={hi}"
    );
}
