//! A stable-toolchain fuzz driver for the three parsers (no nightly, no libFuzzer): mutates
//! the seed inputs of `monitor_core::robustness::seeds` (plus any files in
//! `fuzz/corpus/<target>/`) for a number of seconds and runs the target on each; a panic is a
//! finding, and its input is written to `fuzz/artifacts/<target>/crash-<n>`.
//!
//! ```text
//! cargo run --release -p monitor-core --example fuzz -- capture 600 [seed]
//! cargo run --release -p monitor-core --example fuzz -- ground_truth 600
//! cargo run --release -p monitor-core --example fuzz -- monitor_config 600
//! ```
//!
//! With nightly and cargo-fuzz, `fuzz/` holds the libFuzzer targets of the same functions.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use monitor_core::robustness::{self, seeds, Mutator};

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let target = args.get(1).map_or("capture", String::as_str).to_owned();
    let secs: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(60);
    let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let (run, start): (fn(&[u8]), &[&str]) = match target.as_str() {
        "capture" => (
            |b| drop(robustness::capture_object(b)),
            &[seeds::CAPTURE_CSV, seeds::CAPTURE_JSON],
        ),
        "ground_truth" => (
            |b| drop(robustness::ground_truth_object(b)),
            &[seeds::LABEL],
        ),
        "monitor_config" => (
            |b| {
                robustness::monitor_config(b);
            },
            &[seeds::CONFIG],
        ),
        other => {
            eprintln!("unknown target {other:?}: capture | ground_truth | monitor_config");
            return std::process::ExitCode::from(2);
        }
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut corpus: Vec<Vec<u8>> = start.iter().map(|s| s.as_bytes().to_vec()).collect();
    if let Ok(dir) = std::fs::read_dir(root.join("corpus").join(&target)) {
        for e in dir.flatten() {
            if let Ok(b) = std::fs::read(e.path()) {
                corpus.push(b);
            }
        }
    }
    std::panic::set_hook(Box::new(|_| {}));
    let mut m = Mutator::new(seed);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let (mut execs, mut crashes) = (0u64, 0u64);
    while Instant::now() < deadline {
        for _ in 0..64 {
            let pick = (m.next_u64() % corpus.len() as u64) as usize;
            let mut input = corpus[pick].clone();
            for _ in 0..1 + m.next_u64() % 4 {
                m.mutate(&mut input, start);
            }
            execs += 1;
            if std::panic::catch_unwind(|| run(&input)).is_err() {
                crashes += 1;
                let dir = root.join("artifacts").join(&target);
                let _ = std::fs::create_dir_all(&dir);
                let _ = std::fs::write(dir.join(format!("crash-{seed}-{execs}")), &input);
            } else if corpus.len() < 4096 && m.next_u64().is_multiple_of(16) {
                corpus.push(input); // keep some mutants as new starting points
            }
        }
    }
    println!("target {target}: {execs} executions in {secs} s (seed {seed}), {crashes} crashes");
    if crashes > 0 {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}
