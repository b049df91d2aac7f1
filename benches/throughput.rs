//! Throughput and memory benchmarks (`cargo bench`): baseline over a CSV, capture ingest
//! over SageMaker capture JSONL with CSV payloads (records in one minute, and spread over an
//! hour), ingest of one object with all four monitor kinds configured (data quality, model
//! quality, bias, explainability: the demo's monitors), the tick's merge of partial
//! profiles, and the ground-truth join.
//!
//! Each case runs in its own child process so that its peak RSS (VmHWM from
//! /proc/self/status) is its own; the parent generates the input files first (streamed to
//! disk, outside the measured processes) and prints one table.
//!
//! `cargo bench --bench throughput` runs the default cases; `-- --quick` runs smaller ones;
//! `ingest-mv` is the `ingest` case against a baseline that carries the multivariate-drift
//! block (fitted as `modelwatch baseline` does), so every record is also scored by the PCA.
//! `-- --large` adds the four-monitor ingest of a 2 GB object (generated streaming, about
//! 10 GB of disk with its state). One case alone: `-- --case four 100M` (after a run that
//! generated its data), e.g. under a memory cap with `prlimit --as=…`. The tick merge alone:
//! `-- --prepare-merge 1000` then `-- --case merge 1000`; `-- --prepare-only` (with or without
//! `--quick`) writes the data and runs no case.

use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use monitor_core::app::baseline;
use monitor_core::config::{MonitorConfig, MonitorKind};
use monitor_core::data_quality::checks::Baseline;
use monitor_core::data_quality::consume::{profile_object, PartialProfile};
use monitor_core::data_quality::dataset::{DatasetFormat, NoProgress};
use monitor_core::data_quality::tick::{empty_window, merge_partial};
use monitor_core::data_quality::window_merge;
use monitor_core::execution::Window;
use monitor_core::layout::parse_capture_key;
use monitor_core::store::StateFile;

use test_support::bench_data::{write_capture, write_csv, Rng};

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn bench_baseline(csv: &Path) -> (u64, f64) {
    let file = std::fs::File::open(csv).expect("bench csv");
    let t = Instant::now();
    let out = baseline::build(
        std::io::BufReader::with_capacity(1 << 20, file),
        "bench.csv",
        DatasetFormat::Csv { header: true },
        &mut NoProgress,
    )
    .expect("baseline");
    (out.profile.item_count, t.elapsed().as_secs_f64())
}

fn bench_baseline_files(dir: &Path) -> Baseline {
    let csv = dir.join("baseline-20k.csv");
    let out = baseline::build(
        std::fs::File::open(csv).expect("baseline csv"),
        "baseline-20k.csv",
        DatasetFormat::Csv { header: true },
        &mut NoProgress,
    )
    .expect("baseline");
    Baseline::new(out.statistics, out.constraints, "bench").expect("baseline")
}

/// [`bench_baseline_files`] with the multivariate-drift block in its constraints, fitted as
/// `modelwatch baseline` fits it (two more passes over the CSV): ingest then scores every
/// record's PCA reconstruction error (issue 13 item 4, on by default).
fn bench_baseline_files_multivariate(dir: &Path) -> Baseline {
    let csv = dir.join("baseline-20k.csv");
    let mut out = baseline::build(
        std::fs::File::open(&csv).expect("baseline csv"),
        "baseline-20k.csv",
        DatasetFormat::Csv { header: true },
        &mut NoProgress,
    )
    .expect("baseline");
    let fitted = monitor_core::data_quality::multivariate::fit_from_dataset(
        || {
            std::fs::File::open(&csv).map_err(|e| monitor_core::CoreError::Io {
                key: "baseline-20k.csv".into(),
                source: e,
            })
        },
        "baseline-20k.csv",
        DatasetFormat::Csv { header: true },
        &out.profile,
    )
    .expect("multivariate fit");
    if let Some(reason) = fitted.write(&mut out.constraints) {
        panic!("multivariate fit skipped: {reason}");
    }
    let baseline = Baseline::new(out.statistics, out.constraints, "bench").expect("baseline");
    assert!(baseline.multivariate().is_some(), "no multivariate block");
    baseline
}

fn monitor() -> MonitorConfig {
    MonitorConfig {
        publish_metrics: false,
        ..MonitorConfig::new(
            "bench",
            MonitorKind::DataQuality,
            "bench-endpoint",
            "baselines/bench",
        )
    }
}

async fn bench_ingest(dir: &Path, capture: &Path, multivariate: bool) -> (u64, u64, f64) {
    let baseline = if multivariate {
        bench_baseline_files_multivariate(dir)
    } else {
        bench_baseline_files(dir)
    };
    let key = parse_capture_key(
        "data-capture/bench-endpoint/AllTraffic/2026/11/01/03/00-00-000-bench.jsonl",
        "data-capture/",
    )
    .expect("key");
    let file = tokio::fs::File::open(capture).await.expect("capture");
    let t = Instant::now();
    let p = profile_object(file, &key, "bench", &monitor(), &baseline)
        .await
        .expect("ingest");
    (p.records(), p.bad_records(), t.elapsed().as_secs_f64())
}

/// One capture record's envelope, borrowed from the line: what any reader must look at to
/// route and decode a record (both sides' data with their content type and encoding, and the
/// event's time and id). `Cow` borrows unless the JSON string holds an escape.
#[derive(serde::Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, rename = "captureData")]
    capture_data: CaptureData<'a>,
    #[serde(borrow, rename = "eventMetadata")]
    event_metadata: EventMetadata<'a>,
}

#[derive(serde::Deserialize)]
struct CaptureData<'a> {
    #[serde(borrow, rename = "endpointInput")]
    input: Option<Side<'a>>,
    #[serde(borrow, rename = "endpointOutput")]
    output: Option<Side<'a>>,
}

#[derive(serde::Deserialize)]
struct Side<'a> {
    #[serde(borrow, rename = "observedContentType")]
    content_type: Cow<'a, str>,
    #[serde(borrow)]
    encoding: Cow<'a, str>,
    #[serde(borrow)]
    data: Cow<'a, str>,
}

#[derive(serde::Deserialize)]
struct EventMetadata<'a> {
    #[serde(borrow, rename = "eventId")]
    event_id: Cow<'a, str>,
    #[serde(borrow, rename = "inferenceTime")]
    inference_time: Cow<'a, str>,
}

/// The calibration floor of ingest: only what any reader of such a file must do — each
/// line's envelope parsed by serde_json into borrowed typed fields (no `Value` tree, no
/// copies), both payloads split at commas, every field parsed as a float where it is one —
/// with no profile at all (issue 16 item 1). Returns (records, secs).
fn bench_bare_parse(capture: &Path) -> (u64, f64) {
    use std::io::BufRead;
    let file = std::fs::File::open(capture).expect("capture");
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let t = Instant::now();
    let (mut records, mut numbers, mut sum, mut meta) = (0u64, 0u64, 0.0f64, 0usize);
    let mut line = Vec::with_capacity(1 << 12);
    while reader.read_until(b'\n', &mut line).expect("read") > 0 {
        let v: Envelope<'_> = serde_json::from_slice(&line).expect("json");
        meta += v.event_metadata.event_id.len() + v.event_metadata.inference_time.len();
        for side in [&v.capture_data.output, &v.capture_data.input]
            .into_iter()
            .flatten()
        {
            meta += side.content_type.len() + side.encoding.len();
            for field in side.data.split(',') {
                if let Ok(x) = field.parse::<f64>() {
                    numbers += 1;
                    sum += x;
                }
            }
        }
        records += 1;
        line.clear();
    }
    let secs = t.elapsed().as_secs_f64();
    std::hint::black_box((numbers, sum, meta));
    (records, secs)
}

/// The tick's merge of `n` partial profiles, as one process: first the reference (decode
/// and merge one partial at a time, on one thread, as the tick did before issue 16 item 4),
/// then the tick's path (`window_merge`: batches decoded and merged on every core). Asserts
/// that both give the same profile, byte for byte. Returns (records, reference secs, its
/// decoding secs, tick secs, threads).
async fn bench_merge(dir: &Path, n: usize) -> (u64, f64, f64, f64, usize) {
    let baseline = bench_baseline_files(dir);
    let partials_dir = dir.join("partials");
    let mut files = Vec::new();
    for i in 0..n {
        let bytes = std::fs::read(partials_dir.join(format!("{i:05}.json"))).expect("partial");
        files.push((format!("{i}"), bytes));
    }
    let start = chrono::DateTime::from_timestamp(1_793_502_000, 0).expect("time");
    let end = start + chrono::Duration::hours(1);
    let t = Instant::now();
    let mut reference = empty_window(&baseline);
    let mut decode = 0.0;
    for (key, b) in &files {
        let d = Instant::now();
        let p = PartialProfile::from_json(key, b).expect("decode");
        decode += d.elapsed().as_secs_f64();
        merge_partial(&mut reference, &p, start, end);
    }
    let reference_secs = t.elapsed().as_secs_f64();
    let threads = window_merge::merge_threads();
    let t = Instant::now();
    let mut state = empty_window(&baseline);
    for batch in files.chunks(window_merge::MERGE_BATCH) {
        let partials = window_merge::decode_partials(batch, threads).expect("decode");
        window_merge::merge_partials(&mut state, &partials, Window { start, end }, threads);
    }
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(
        serde_json::to_vec(&state.profile).expect("json"),
        serde_json::to_vec(&reference.profile).expect("json"),
        "the tick's merge differs from the sequential one"
    );
    (
        state.profile.item_count,
        reference_secs,
        decode,
        secs,
        threads,
    )
}

async fn make_partials(dir: &Path, n: usize, records: usize) {
    let baseline = bench_baseline_files(dir);
    let pd = dir.join("partials");
    if pd.join(format!("{:05}.json", n - 1)).exists() {
        return;
    }
    std::fs::create_dir_all(&pd).expect("dir");
    let key = parse_capture_key(
        "data-capture/bench-endpoint/AllTraffic/2026/11/01/03/00-00-000-bench.jsonl",
        "data-capture/",
    )
    .expect("key");
    for i in 0..n {
        let cap = pd.join("capture.jsonl");
        write_capture(&cap, records, 1000 + i as u64, Some(i % 60)).expect("capture");
        let file = tokio::fs::File::open(&cap).await.expect("open");
        let p = profile_object(file, &key, "bench", &monitor(), &baseline)
            .await
            .expect("profile");
        std::fs::write(pd.join(format!("{i:05}.json")), p.to_json().expect("json")).expect("write");
    }
}

fn join_monitor() -> MonitorConfig {
    MonitorConfig {
        publish_metrics: false,
        model_quality: Some(monitor_core::config::ModelQualitySettings::binary("1")),
        ..MonitorConfig::new(
            "bench-mq",
            MonitorKind::ModelQuality,
            "bench-endpoint",
            "baselines/bench-mq",
        )
    }
}

const JOIN_FILES: usize = 100;
const JOIN_LABELS_KEY: &str = "ground-truth/bench-endpoint/2026/11/01/05/labels.jsonl";

/// Prediction indexes for `n` captured inferences (in 100 capture objects of hour 03) and
/// one ground-truth object with a label for each, in a local store under `dir/join-{n}`.
async fn make_join_data(dir: &Path, n: usize) -> PathBuf {
    use monitor_core::store::{LocalStore, ObjectStore};
    let root = dir.join(format!("join-{n}"));
    if root.join(JOIN_LABELS_KEY).exists() {
        return root;
    }
    let store = LocalStore::new(&root);
    monitor_core::config::save_monitor(&store, &join_monitor())
        .await
        .expect("monitor");
    let per = n / JOIN_FILES;
    let mut rng = Rng(99);
    for f in 0..JOIN_FILES {
        let mut body = String::with_capacity(per * 330);
        for j in 0..per {
            let i = f * per + j;
            let _ = std::fmt::Write::write_fmt(&mut body, format_args!(
                "{{\"captureData\":{{\"endpointOutput\":{{\"observedContentType\":\"text/csv\",\"mode\":\"OUTPUT\",\"data\":\"{:.6}\",\"encoding\":\"CSV\"}}}},\"eventMetadata\":{{\"eventId\":\"ev-{i}\",\"inferenceId\":\"{i}\",\"inferenceTime\":\"2026-11-01T03:{:02}:{:02}Z\"}},\"eventVersion\":\"0\"}}\n",
                rng.unit(), (i / 60) % 60, i % 60
            ));
        }
        let key = format!(
            "data-capture/bench-endpoint/AllTraffic/2026/11/01/03/{f:02}-00-000-bench.jsonl"
        );
        store.put(&key, body.into_bytes()).await.expect("put");
        monitor_core::app::ingest::run(&store, &[key])
            .await
            .expect("ingest");
    }
    let mut labels = String::with_capacity(n * 110);
    for i in 0..n {
        let _ = std::fmt::Write::write_fmt(&mut labels, format_args!(
            "{{\"groundTruthData\":{{\"data\":\"{}\",\"encoding\":\"CSV\"}},\"eventMetadata\":{{\"eventId\":\"{i}\"}},\"eventVersion\":\"0\"}}\n",
            rng.next() % 2
        ));
    }
    store
        .put(JOIN_LABELS_KEY, labels.into_bytes())
        .await
        .expect("labels");
    root
}

async fn bench_join(root: &Path) -> (u64, u64, f64) {
    let store = monitor_core::store::LocalStore::new(root);
    let now = chrono::DateTime::from_timestamp(1_793_520_000, 0).expect("time");
    let t = Instant::now();
    let s = monitor_core::app::ground_truth::merge_object(
        &store,
        &join_monitor(),
        JOIN_LABELS_KEY,
        now,
    )
    .await
    .expect("merge");
    (s.labels, s.matched, t.elapsed().as_secs_f64())
}

/// The demo's store (its four monitors on `demo-endpoint` with their baselines), built
/// once by the demo's own script on a small scenario, under `dir/four`.
async fn make_four_store(dir: &Path) -> PathBuf {
    let root = dir.join("four");
    if root.join("config/monitors").exists() {
        return root;
    }
    let store = monitor_core::store::LocalStore::new(&root);
    let mut scenario = modelwatch::scenario::Scenario::new(42);
    scenario.hours = 3;
    scenario.records_per_hour = 600;
    scenario.records_per_file = 600;
    modelwatch::demo::run_demo(&store, &scenario, &modelwatch::demo::DemoOptions::default())
        .await
        .expect("demo store");
    root
}

/// The capture key of the four-monitor object of `name` (hour 0 of the demo).
fn four_key(name: &str) -> String {
    let scenario = modelwatch::scenario::Scenario::new(42);
    format!(
        "{}59-59-999-bench-{name}.jsonl",
        scenario.hour_prefix(modelwatch::demo::ENDPOINT, 0)
    )
}

/// Writes a capture object of at least `bytes` into the four-monitor store: the demo's
/// hour-0 records repeated, streamed to disk (never held whole).
fn write_four_object(root: &Path, name: &str, bytes: u64) -> u64 {
    let path = root.join(four_key(name));
    if let Ok(m) = std::fs::metadata(&path) {
        if m.len() >= bytes {
            return m.len();
        }
    }
    let scenario = modelwatch::scenario::Scenario::new(42);
    let pool: Vec<u8> = scenario
        .capture_files(modelwatch::demo::ENDPOINT, 0)
        .into_iter()
        .flat_map(|(_, body)| body)
        .collect();
    std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
    let mut w =
        std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).expect("create"));
    let mut written = 0u64;
    while written < bytes {
        w.write_all(&pool).expect("write");
        written += pool.len() as u64;
    }
    w.flush().expect("flush");
    written
}

/// Ingests the four-monitor object `name`: (records, bad, state bytes, secs).
async fn bench_four(root: &Path, name: &str) -> (u64, u64, u64, f64) {
    let store = monitor_core::store::LocalStore::new(root);
    let t = Instant::now();
    let s = monitor_core::app::ingest::run(&store, &[four_key(name)])
        .await
        .expect("ingest");
    let secs = t.elapsed().as_secs_f64();
    let o = &s.objects[0];
    assert!(o.failed.is_empty() && o.monitors.len() == 4, "{o:?}");
    let state: u64 = o
        .state_keys
        .iter()
        .filter_map(|k| std::fs::metadata(root.join(k)).ok())
        .map(|m| m.len())
        .sum();
    (o.records, o.bad_records, state, secs)
}

fn data_dir() -> PathBuf {
    let d = std::env::var_os("MODELWATCH_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("modelwatch-bench"));
    std::fs::create_dir_all(&d).expect("bench dir");
    d
}

fn child(case: &str, arg: &str) -> String {
    let out = std::process::Command::new(std::env::current_exe().expect("exe"))
        .args(["--case", case, arg])
        .output()
        .expect("spawn bench case");
    if !out.status.success() {
        panic!(
            "case {case} {arg} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

// Why it is long: the bench driver in one place: the child-process arm of each measured
// case (a call and its result line), then data generation and one child per case.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = data_dir();
    if let Some(i) = args.iter().position(|a| a == "--case") {
        let case = args[i + 1].as_str();
        let arg = args[i + 2].as_str();
        let line = match case {
            "baseline" => {
                let path = dir.join(format!("baseline-{arg}.csv"));
                let mb = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
                let (rows, secs) = bench_baseline(&path);
                format!(
                    "baseline {arg:>5} rows: {rows} rows in {secs:.2} s = {:.0} rows/s, {:.0} MB/s, peak RSS {} MiB",
                    rows as f64 / secs,
                    mb / secs,
                    peak_rss_kib() / 1024
                )
            }
            "ingest" | "ingest-mv" => {
                let path = dir.join(format!("capture-{arg}.jsonl"));
                let mb = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
                let multivariate = case == "ingest-mv";
                let (records, bad, secs) = bench_ingest(&dir, &path, multivariate).await;
                let what = if multivariate {
                    "ingest, multivariate block in the baseline"
                } else {
                    "ingest"
                };
                format!(
                    "{what} {arg:>6} records: {records} records ({bad} bad), {mb:.0} MB in {secs:.2} s = {:.0} MB/s, {:.0} records/s, peak RSS {} MiB",
                    mb / secs,
                    records as f64 / secs,
                    peak_rss_kib() / 1024
                )
            }
            "bare" => {
                let path = dir.join(format!("capture-{arg}.jsonl"));
                let mb = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
                let (records, secs) = bench_bare_parse(&path);
                format!(
                    "bare parse (typed borrowed envelope + split + f64, no profile) {arg:>6} records: {records} records, {mb:.0} MB in {secs:.2} s = {:.0} MB/s, peak RSS {} MiB",
                    mb / secs,
                    peak_rss_kib() / 1024
                )
            }
            "merge" => {
                let n: usize = arg.parse().expect("n");
                let (records, reference, decode, secs, threads) = bench_merge(&dir, n).await;
                format!(
                    "tick merge of {n} partial profiles ({records} records): {secs:.3} s on {threads} threads (one at a time on one thread: {reference:.3} s, {decode:.3} s decoding; identical profile), peak RSS {} MiB",
                    peak_rss_kib() / 1024
                )
            }
            "join" => {
                let n: usize = arg.parse().expect("n");
                let (labels, matched, secs) = bench_join(&dir.join(format!("join-{n}"))).await;
                format!(
                    "ground-truth join of {labels} labels against {n} predictions: {matched} matched in {secs:.2} s = {:.0} labels/s, peak RSS {} MiB",
                    labels as f64 / secs,
                    peak_rss_kib() / 1024
                )
            }
            "four" => {
                let root = dir.join("four");
                let mb = std::fs::metadata(root.join(four_key(arg)))
                    .map(|m| m.len())
                    .unwrap_or(0) as f64
                    / 1e6;
                let (records, bad, state, secs) = bench_four(&root, arg).await;
                format!(
                    "ingest with all four monitor kinds {arg:>5}: {records} records ({bad} bad) over 4 monitors, {mb:.0} MB in {secs:.2} s = {:.0} MB/s, state written {:.0} MB, peak RSS {} MiB",
                    mb / secs,
                    state as f64 / 1e6,
                    peak_rss_kib() / 1024
                )
            }
            other => panic!("unknown case {other}"),
        };
        println!("{line}");
        return;
    }
    // `--prepare-merge N`: only write the partial profiles of the merge case (N of them, 1,000
    // records each) and the baseline they use, so `--case merge N` can then run alone.
    if let Some(i) = args.iter().position(|a| a == "--prepare-merge") {
        let n: usize = args[i + 1].parse().expect("n");
        if !dir.join("baseline-20k.csv").exists() {
            write_csv(&dir.join("baseline-20k.csv"), 20_000).expect("csv");
        }
        make_partials(&dir, n, 1_000).await;
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    type Sizes = &'static [(&'static str, usize)];
    let (rows, caps, merges): (Sizes, Sizes, usize) = if quick {
        (
            &[("10k", 10_000), ("100k", 100_000)],
            &[("10k", 10_000), ("100k", 100_000)],
            100,
        )
    } else {
        (
            &[("100k", 100_000), ("1M", 1_000_000)],
            &[("100k", 100_000), ("1M", 1_000_000)],
            1000,
        )
    };
    eprintln!("generating bench data in {} …", dir.display());
    if !dir.join("baseline-20k.csv").exists() {
        write_csv(&dir.join("baseline-20k.csv"), 20_000).expect("csv");
    }
    for (name, n) in rows {
        let p = dir.join(format!("baseline-{name}.csv"));
        if !p.exists() {
            write_csv(&p, *n).expect("csv");
        }
    }
    for (name, n) in caps {
        let p = dir.join(format!("capture-{name}.jsonl"));
        if !p.exists() {
            write_capture(&p, *n, 11, Some(3)).expect("capture");
        }
    }
    // the largest object again, its records spread over a whole hour: one minute profile
    // per minute (a capture object SageMaker writes spans about one)
    let (spread_name, spread_n) = caps[caps.len() - 1];
    let spread = format!("{spread_name}-hour");
    let p = dir.join(format!("capture-{spread}.jsonl"));
    if !p.exists() {
        write_capture(&p, spread_n, 11, None).expect("capture");
    }
    make_partials(&dir, merges, 1_000).await;
    let joins: usize = if quick { 100_000 } else { 1_000_000 };
    make_join_data(&dir, joins).await;
    let four_root = make_four_store(&dir).await;
    let mut fours: Vec<(&str, u64)> = vec![("100M", 100_000_000)];
    if args.iter().any(|a| a == "--large") {
        fours.push(("2G", 2_000_000_000));
    }
    for (name, bytes) in &fours {
        write_four_object(&four_root, name, *bytes);
    }
    if args.iter().any(|a| a == "--prepare-only") {
        return;
    }
    let machine = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    println!(
        "machine: {machine}, {} logical CPUs (each case runs on one thread)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    for (name, _) in rows {
        println!("{}", child("baseline", name));
    }
    for (name, _) in caps {
        println!("{}", child("ingest", name));
        println!("{}", child("ingest-mv", name));
    }
    println!("{}", child("ingest", &spread));
    println!("{}", child("bare", spread_name));
    println!("{}", child("merge", &merges.to_string()));
    println!("{}", child("join", &joins.to_string()));
    for (name, _) in &fours {
        println!("{}", child("four", name));
    }
}
