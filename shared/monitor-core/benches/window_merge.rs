//! The tick's merge of a window's partial profiles alone (issue 16 item 4), built without the
//! AWS crates that the workspace bench (`benches/throughput.rs`, `--case merge`) links.
//!
//! `n` partial profiles of 1,000 records each, 14 numeric features (values in [0, 1000) with
//! six decimals, as the throughput bench's capture rows) and 6 categorical ones (six
//! values), are encoded as the state files capture-ingest writes. They are then merged twice in
//! one process: one at a time on one thread (`PartialProfile::from_json` + `merge_partial`, the
//! reference), and as the tick does (`window_merge::decode_partials` + `merge_partials`,
//! batches of `MERGE_BATCH` on every core). Both profiles must be equal, byte for byte.
//!
//! ```text
//! cargo bench -p monitor-core --bench window_merge -- 1000
//! valgrind --tool=callgrind <bench binary> 1000     # instruction counts (inclusive: decode_partials, merge_partials)
//! ```

use std::collections::BTreeMap;
use std::time::Instant;

use monitor_core::data_quality::consume::{
    MinuteProfile, PartialProfile, PARTIAL_PROFILE_FORMAT, PARTIAL_PROFILE_VERSION,
};
use monitor_core::data_quality::profile::{DatasetProfile, Tracking};
use monitor_core::data_quality::tick::{merge_partial, WindowState};
use monitor_core::data_quality::window_merge;
use monitor_core::execution::Window;
use monitor_core::store::StateFile;
use test_support::bench_data::{Rng, CATEGORIES};

const NUMERIC: usize = 14;
const CATEGORICAL: usize = 6;

fn names() -> Vec<String> {
    (0..NUMERIC + CATEGORICAL)
        .map(|j| format!("f{j}"))
        .collect()
}

fn tracking(name: &str) -> Tracking {
    let j: usize = name[1..].parse().unwrap_or(0);
    Tracking {
        numeric: j < NUMERIC,
        categorical: j >= NUMERIC,
    }
}

/// The state file of partial `i`: one minute of `records` records.
fn partial(i: usize, records: usize, minute: chrono::DateTime<chrono::Utc>) -> Vec<u8> {
    let mut rng = Rng(1_000 + i as u64);
    let mut profile = DatasetProfile::new(&names(), tracking);
    for _ in 0..records {
        profile.item_count += 1;
        *profile
            .column_counts
            .entry(NUMERIC + CATEGORICAL)
            .or_default() += 1;
        for (j, f) in profile.features.iter_mut().enumerate() {
            if j < NUMERIC {
                // six decimals in [0, 1000), as a capture's CSV payload carries them
                f.observe(&format!("{:.6}", (rng.next() % 1_000_000_000) as f64 / 1e6));
            } else {
                f.observe(CATEGORIES[(rng.next() % 6) as usize]);
            }
        }
    }
    PartialProfile {
        format: PARTIAL_PROFILE_FORMAT.into(),
        version: PARTIAL_PROFILE_VERSION,
        monitor: "bench".into(),
        source: format!("capture-{i}.jsonl"),
        lines: records as u64,
        minutes: vec![MinuteProfile {
            minute,
            profile,
            bad_records: Default::default(),
            shadow_skipped: 0,
            segments: BTreeMap::new(),
        }],
    }
    .to_json()
    .expect("state file")
}

fn empty() -> WindowState {
    WindowState {
        profile: DatasetProfile::new(&names(), tracking),
        bad_records: Default::default(),
        shadow_skipped: 0,
        partial_profiles: 0,
        segments: BTreeMap::new(),
    }
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000);
    let start = chrono::DateTime::from_timestamp(1_793_502_000, 0).expect("time");
    let end = start + chrono::Duration::hours(1);
    let files: Vec<(String, Vec<u8>)> = (0..n)
        .map(|i| {
            let minute = start + chrono::Duration::minutes((i % 60) as i64);
            (format!("k{i:05}"), partial(i, 1_000, minute))
        })
        .collect();
    let mb = files.iter().map(|f| f.1.len()).sum::<usize>() as f64 / 1e6;

    let t = Instant::now();
    let mut reference = empty();
    let mut decode = 0.0;
    for (key, bytes) in &files {
        let d = Instant::now();
        let p = PartialProfile::from_json(key, bytes).expect("decode");
        decode += d.elapsed().as_secs_f64();
        merge_partial(&mut reference, &p, start, end);
    }
    let reference_secs = t.elapsed().as_secs_f64();

    let threads = window_merge::merge_threads();
    let t = Instant::now();
    let mut state = empty();
    let (mut tick_decode, mut tick_merge) = (0.0, 0.0);
    for batch in files.chunks(window_merge::MERGE_BATCH) {
        let d = Instant::now();
        let partials = window_merge::decode_partials(batch, threads).expect("decode");
        tick_decode += d.elapsed().as_secs_f64();
        let m = Instant::now();
        window_merge::merge_partials(&mut state, &partials, Window { start, end }, threads);
        tick_merge += m.elapsed().as_secs_f64();
    }
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(
        serde_json::to_vec(&state.profile).expect("json"),
        serde_json::to_vec(&reference.profile).expect("json"),
        "the tick's merge differs from the sequential one"
    );
    println!(
        "merge of {n} partial profiles ({} records, {mb:.0} MB of state): {secs:.3} s on {threads} threads ({tick_decode:.3} s decoding, {tick_merge:.3} s merging); one at a time on one thread: {reference_secs:.3} s ({decode:.3} s decoding); identical profile",
        state.profile.item_count
    );
}
