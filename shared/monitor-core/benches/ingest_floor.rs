//! Single-core ingest against its parse floor, built with monitor-core alone (no AWS SDK in
//! the build, so it compiles in minutes where `cargo bench --bench throughput` of the
//! `modelwatch` crate takes most of an hour on a loaded 2-core machine). Meant to run under
//! callgrind, where instruction counts decide (issue 16 item 1: ingest within 1.5× of the
//! floor):
//!
//! ```text
//! cargo bench -p monitor-core --bench ingest_floor --no-run
//! B=target/release/deps/ingest_floor-…
//! $B --prepare                      # writes the data (MODELWATCH_BENCH_DIR, default
//!                                   # $TMPDIR/modelwatch-floor): capture-10k/100k.jsonl, baseline-20k.csv
//! valgrind --tool=callgrind $B --case bare 100k      # the floor
//! valgrind --tool=callgrind $B --case ingest 100k    # ingest (the 20k-row baseline build included)
//! $B --case oneshot DIR THREADS     # the one-shot job over DIR/capture with DIR/baseline/train.csv
//! ```
//!
//! Per record = (count at 100k − count at 10k) / 90,000: the fixed costs (start-up, the
//! baseline build) cancel. The data are the `throughput` bench's `--quick` data (both write
//! them with `test_support::bench_data`, same seeds): 20 features (a score, 13 numeric inputs,
//! 6 categorical ones), CSV payloads, every record in one minute.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use monitor_core::app::baseline;
use monitor_core::app::oneshot;
use monitor_core::config::{CaptureOptions, MonitorConfig, MonitorKind};
use monitor_core::data_quality::checks::Baseline;
use monitor_core::data_quality::consume::profile_object;
use monitor_core::data_quality::dataset::{DatasetFormat, NoProgress};
use monitor_core::layout::parse_capture_key;
use test_support::bench_data::{write_capture, write_csv};

fn data_dir() -> PathBuf {
    std::env::var_os("MODELWATCH_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("modelwatch-floor"))
}

fn baseline_of(csv: &Path) -> Baseline {
    let out = baseline::build(
        std::fs::File::open(csv).expect("baseline csv"),
        "baseline.csv",
        DatasetFormat::Csv { header: true },
        &mut NoProgress,
    )
    .expect("baseline");
    Baseline::new(out.statistics, out.constraints, "bench").expect("baseline")
}

/// One capture record's envelope, borrowed from the line (the floor's typed parse).
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

/// The floor, as the throughput bench's `bare` case: the envelope parsed into borrowed typed
/// fields, both payloads split at commas, every field parsed as a float where it is one.
fn bare(capture: &Path) -> u64 {
    use std::io::BufRead;
    let file = std::fs::File::open(capture).expect("capture");
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
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
    std::hint::black_box((numbers, sum, meta));
    records
}

async fn ingest(dir: &Path, capture: &Path) -> u64 {
    let baseline = baseline_of(&dir.join("baseline-20k.csv"));
    let key = parse_capture_key(
        "data-capture/bench-endpoint/AllTraffic/2026/11/01/03/00-00-000-bench.jsonl",
        "data-capture/",
    )
    .expect("key");
    let cfg = MonitorConfig {
        publish_metrics: false,
        ..MonitorConfig::new(
            "bench",
            MonitorKind::DataQuality,
            "bench-endpoint",
            "baselines/bench",
        )
    };
    let file = tokio::fs::File::open(capture).await.expect("capture");
    let p = profile_object(file, &key, "bench", &cfg, &baseline)
        .await
        .expect("ingest");
    p.records()
}

async fn one_shot(data: &Path, threads: usize) -> (u64, usize) {
    let baseline = baseline_of(&data.join("baseline/train.csv"));
    let files = oneshot::collect_capture_files(&[data.join("capture")]).expect("captures");
    let out = oneshot::run_with_threads(&baseline, &files, CaptureOptions::default(), threads)
        .await
        .expect("one-shot");
    let bytes = out.files.iter().map(|(_, b)| b.len()).sum();
    (out.execution.records, bytes)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = data_dir();
    std::fs::create_dir_all(&dir).expect("bench dir");
    if args.iter().any(|a| a == "--prepare") {
        write_csv(&dir.join("baseline-20k.csv"), 20_000).expect("csv");
        for (name, n) in [("10k", 10_000), ("100k", 100_000)] {
            // every record in minute 3, seed 11, as the throughput bench
            write_capture(&dir.join(format!("capture-{name}.jsonl")), n, 11, Some(3))
                .expect("capture");
        }
        println!("data in {}", dir.display());
        return;
    }
    let Some(i) = args.iter().position(|a| a == "--case") else {
        println!("usage: --prepare | --case bare|ingest 10k|100k | --case oneshot DIR THREADS");
        return;
    };
    let (case, arg) = (args[i + 1].as_str(), args[i + 2].as_str());
    let t = Instant::now();
    match case {
        "bare" => {
            let n = bare(&dir.join(format!("capture-{arg}.jsonl")));
            println!(
                "bare {arg}: {n} records in {:.2} s",
                t.elapsed().as_secs_f64()
            );
        }
        "ingest" => {
            let n = ingest(&dir, &dir.join(format!("capture-{arg}.jsonl"))).await;
            println!(
                "ingest {arg}: {n} records in {:.2} s",
                t.elapsed().as_secs_f64()
            );
        }
        "oneshot" => {
            let threads = args.get(i + 3).and_then(|s| s.parse().ok()).unwrap_or(0);
            let (n, bytes) = one_shot(Path::new(arg), threads).await;
            println!(
                "oneshot {arg} on {threads} threads: {n} records, {bytes} bytes of reports in {:.2} s",
                t.elapsed().as_secs_f64()
            );
        }
        other => panic!("unknown case {other}"),
    }
}
