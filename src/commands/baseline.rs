//! `modelwatch baseline`: statistics.json + constraints.json from a training dataset.

use std::path::PathBuf;

use anyhow::Context;
use monitor_core::app::baseline;
use monitor_core::dataset::DatasetFormat;

use super::progress::BytesBar;

/// Dataset encodings on the command line.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    /// comma-separated values
    Csv,
    /// JSON Lines, one object per line
    Jsonl,
}

/// Arguments of `modelwatch baseline`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Training dataset file.
    #[arg(long)]
    dataset: PathBuf,
    /// The CSV's first row is a header (default).
    #[arg(long, overrides_with = "no_header")]
    header: bool,
    /// The CSV has no header: columns are named _c0, _c1, …
    #[arg(long)]
    no_header: bool,
    /// Dataset encoding.
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    /// Output directory for statistics.json and constraints.json.
    #[arg(long)]
    out: PathBuf,
}

/// Runs the command.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let format = match args.format {
        Format::Csv => DatasetFormat::Csv {
            header: !args.no_header,
        },
        Format::Jsonl => DatasetFormat::JsonLines,
    };
    let source = args.dataset.display().to_string();
    let file = std::fs::File::open(&args.dataset)
        .with_context(|| format!("cannot open dataset {source}"))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let started = std::time::Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        let mut bar = BytesBar::new(size, "profiling");
        let reader = std::io::BufReader::with_capacity(1 << 20, file);
        let out = baseline::build(reader, &source, format, &mut bar);
        bar.finish();
        out
    })
    .await??;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let stats_path = args.out.join("statistics.json");
    let cons_path = args.out.join("constraints.json");
    std::fs::write(&stats_path, out.statistics_json())
        .with_context(|| format!("cannot write {}", stats_path.display()))?;
    std::fs::write(&cons_path, out.constraints_json())
        .with_context(|| format!("cannot write {}", cons_path.display()))?;
    println!(
        "baseline: {} rows, {} features in {:.2?}",
        out.profile.item_count,
        out.profile.features.len(),
        started.elapsed()
    );
    for f in &out.statistics.features {
        println!("  {:<24} {:?}", f.name, f.inferred_type);
    }
    println!("wrote {}", stats_path.display());
    println!("wrote {}", cons_path.display());
    Ok(())
}
