//! Times the many-file baseline (issue 16 item 5): the profile-per-file, merge-in-order core
//! of `modelwatch baseline --dataset DIR`, without the CLI's AWS-linked binary (a release
//! build of this example needs only monitor-core).
//!
//! ```text
//! cargo build --release -p monitor-core --example baseline_many
//! MODELWATCH_THREADS=1 /usr/bin/time -v target/release/examples/baseline_many DIR [OUT]
//! ```
//!
//! Prints rows, files, bytes, wall time and MB/s; with OUT, writes statistics.json and
//! constraints.json there (to compare thread counts byte for byte).

use monitor_core::app::baseline_partial::profile_files;
use monitor_core::data_quality::dataset::DatasetFormat;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().ok_or("usage: baseline_many DIR [OUT]")?);
    let out = args.next().map(std::path::PathBuf::from);
    let threads: usize = std::env::var("MODELWATCH_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut files: Vec<_> = std::fs::read_dir(&dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.sort();
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()))
        .sum::<Result<u64, _>>()?;
    let started = std::time::Instant::now();
    let baseline = profile_files(&files, DatasetFormat::Csv { header: true }, threads)?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{} rows, {} files, {:.1} MB in {secs:.2} s: {:.1} MB/s (threads {threads}, 0 = every core)",
        baseline.profile.item_count,
        files.len(),
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / secs
    );
    if let Some(out) = out {
        std::fs::create_dir_all(&out)?;
        std::fs::write(out.join("statistics.json"), baseline.statistics_json())?;
        std::fs::write(out.join("constraints.json"), baseline.constraints_json())?;
    }
    Ok(())
}
