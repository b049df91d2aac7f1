//! `modelwatch baseline --dataset DIR` (or a quoted glob such as `'data/*.csv'`): a dataset
//! of many files, profiled on every core, one partial profile per file merged in file order
//! (`monitor_core::app::baseline_partial`, issue 16 item 5). `MODELWATCH_THREADS` sets the
//! worker threads (0 or unset: every core); the files written are the same for every value.

use std::path::{Path, PathBuf};

use anyhow::Context;
use monitor_core::app::baseline_partial::profile_files;
use monitor_core::data_quality::dataset::DatasetFormat;

use super::Args;

/// The files of `dataset` when it names many: a directory (every file below it, hidden ones
/// excepted, in path order) or a glob pattern that is not itself a file. `None` for a plain
/// file, which keeps the single-file path.
///
/// # Errors
/// An unreadable directory, a bad pattern, or a directory or pattern without files.
pub(super) fn dataset_files(dataset: &Path) -> anyhow::Result<Option<Vec<PathBuf>>> {
    let text = dataset.to_string_lossy();
    let mut files = Vec::new();
    if dataset.is_dir() {
        walk(dataset, &mut files)?;
    } else if !dataset.exists() && text.contains(['*', '?', '[']) {
        for entry in glob::glob(&text).with_context(|| format!("bad pattern {text}"))? {
            let path = entry.with_context(|| format!("cannot read a match of {text}"))?;
            if path.is_file() {
                files.push(path);
            }
        }
    } else {
        return Ok(None);
    }
    files.sort();
    anyhow::ensure!(!files.is_empty(), "no dataset files in {text}");
    Ok(Some(files))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Worker threads from `MODELWATCH_THREADS` (the variable `modelwatch monitor` reads too).
fn threads() -> anyhow::Result<usize> {
    match std::env::var("MODELWATCH_THREADS") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .with_context(|| format!("MODELWATCH_THREADS={v:?} is not a number")),
        _ => Ok(0),
    }
}

/// Profiles `files` as one dataset and writes statistics.json and constraints.json.
pub(super) async fn run(
    args: &Args,
    files: Vec<PathBuf>,
    format: DatasetFormat,
) -> anyhow::Result<()> {
    if !args.no_multivariate {
        // The PCA fit reads one dataset file twice more (`fit_from_dataset`); not over many.
        println!(
            "multivariate drift check skipped: {} ({} files)",
            monitor_core::app::baseline_partial::MANY_OBJECTS_NO_MULTIVARIATE,
            files.len()
        );
    }
    let threads = threads()?;
    let started = std::time::Instant::now();
    let n = files.len();
    let out = tokio::task::spawn_blocking(move || profile_files(&files, format, threads)).await??;
    let (stats_path, cons_path) = super::write_baseline_files(&args.out, &out)?;
    println!(
        "baseline: {} rows from {n} files, {} features in {:.2?}",
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
