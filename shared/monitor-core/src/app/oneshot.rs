//! One-shot (on-demand) monitoring: capture files or folders on disk, evaluated as one
//! window against a baseline directory — what people run on a laptop against a copy of their
//! S3 data.
//!
//! Two entry points:
//! - [`run`]: a data-quality job from a baseline directory alone. Each file becomes a partial
//!   profile, the partial profiles are merged in the order the tick would merge them, and the
//!   same checks write the same files.
//! - [`run_job`] (module [`job`]): a job of any monitor kind from a monitor configuration (the
//!   JSON of `config/monitors/*.json`). The files are laid out in a temporary local store as
//!   the bucket would hold them, and the Lambdas' own use cases run over it: capture ingest,
//!   ground-truth merge, then the capability's evaluation of one window spanning the data.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};

use crate::config::{CaptureOptions, MonitorConfig, MonitorKind};
use crate::data_quality::checks::Baseline;
use crate::data_quality::consume::{PartialProfile, Profiler};
use crate::data_quality::tick::{
    check_monitor_window, empty_window, execution_of, merge_partial, report_files, window_metrics,
};
use crate::execution::{Execution, Window};
use crate::formats::capture::InferenceWindow;
use crate::layout::{parse_capture_key, profile_key, CaptureKey};
use crate::metrics::byoc_jsonl;
use crate::store::for_each_line;
use crate::CoreError;

pub mod job;
pub use job::{run_job, OneShotJob};

/// Name used for the one-shot "schedule" in reports and metrics.
pub const ONE_SHOT_MONITOR: &str = "on-demand";

/// A capture file and the key it stands for in the store layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureFile {
    /// file on disk
    pub path: PathBuf,
    /// its key in the store layout (derived from the path when it follows SageMaker's layout)
    pub key: CaptureKey,
}

/// Expands files and folders (recursively) into `.jsonl` capture files, each with its key:
/// a path ending in `{endpoint}/{variant}/yyyy/mm/dd/HH/{file}` keeps that key; other files
/// get endpoint `local`, variant `AllTraffic` and a key ordered by path.
pub fn collect_capture_files(paths: &[PathBuf]) -> Result<Vec<CaptureFile>, CoreError> {
    let mut files = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| CoreError::Io {
            key: p.display().to_string(),
            source: e,
        })?;
        if meta.is_dir() {
            walk(p, &mut files)?;
        } else {
            files.push(p.clone());
        }
    }
    files.sort();
    files.dedup();
    let epoch = Utc.timestamp_opt(0, 0).single().unwrap_or_default();
    let mut out: Vec<CaptureFile> = files
        .into_iter()
        .enumerate()
        .map(|(i, path)| {
            let key = key_from_path(&path).unwrap_or_else(|| CaptureKey {
                endpoint: "local".into(),
                variant: "AllTraffic".into(),
                hour: epoch,
                file: format!(
                    "{i:08}-{}",
                    path.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                ),
            });
            CaptureFile { path, key }
        })
        .collect();
    // The tick merges partial profiles in key order; so do we.
    out.sort_by_key(|f| profile_key(ONE_SHOT_MONITOR, &f.key));
    Ok(out)
}

pub(crate) fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CoreError> {
    let entries = std::fs::read_dir(dir).map_err(|e| CoreError::Io {
        key: dir.display().to_string(),
        source: e,
    })?;
    for entry in entries {
        let entry = entry.map_err(|e| CoreError::Io {
            key: dir.display().to_string(),
            source: e,
        })?;
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "jsonl") {
            out.push(path);
        }
    }
    Ok(())
}

fn key_from_path(path: &Path) -> Option<CaptureKey> {
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.len() < 7 {
        return None;
    }
    let tail = parts[parts.len() - 7..].join("/");
    parse_capture_key(&tail, "").ok()
}

/// Reads a baseline directory holding `statistics.json` and `constraints.json`.
pub fn read_baseline_dir(dir: &Path) -> Result<Baseline, CoreError> {
    let read = |name: &str| {
        let p = dir.join(name);
        std::fs::read(&p).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                CoreError::NotFound {
                    key: p.display().to_string(),
                }
            } else {
                CoreError::Io {
                    key: p.display().to_string(),
                    source: e,
                }
            }
        })
    };
    let (s, c) = (read("statistics.json")?, read("constraints.json")?);
    Baseline::from_json(
        &dir.join("statistics.json").display().to_string(),
        &s,
        &dir.join("constraints.json").display().to_string(),
        &c,
    )
}

/// The monitor configuration a one-shot run uses.
pub fn one_shot_config(endpoint: &str, capture: CaptureOptions) -> MonitorConfig {
    MonitorConfig {
        name: ONE_SHOT_MONITOR.into(),
        kind: MonitorKind::DataQuality,
        endpoint: endpoint.into(),
        variant: None,
        baseline_prefix: String::new(),
        capture_prefix: String::new(),
        window_minutes: 60,
        capture,
        publish_metrics: true,
        model_quality: None,
        bias: None,
        explainability: None,
    }
}

/// What a one-shot run produced.
#[derive(Debug, Clone)]
pub struct OneShotOutput {
    /// the execution record
    pub execution: Execution,
    /// files to write, as (file name, bytes)
    pub files: Vec<(String, Vec<u8>)>,
}

/// Evaluates the capture files as one window against `baseline`.
pub async fn run(
    baseline: &Baseline,
    files: &[CaptureFile],
    capture: CaptureOptions,
) -> Result<OneShotOutput, CoreError> {
    let endpoint = files
        .first()
        .map(|f| f.key.endpoint.clone())
        .unwrap_or_else(|| "local".into());
    let cfg = one_shot_config(&endpoint, capture);
    let mut partials: Vec<PartialProfile> = Vec::with_capacity(files.len());
    for f in files {
        let file = tokio::fs::File::open(&f.path)
            .await
            .map_err(|e| CoreError::Io {
                key: f.path.display().to_string(),
                source: e,
            })?;
        let source = f.path.display().to_string();
        // One window over all the files, whatever their hours: any valid time is read.
        let mut p = Profiler::new(&f.key, &source, &cfg, baseline)?
            .inference_window(InferenceWindow::UNBOUNDED);
        let lines = for_each_line(file, &source, |n, l| p.push(n, l)).await?;
        let mut partial = p.finish();
        partial.lines = lines;
        partials.push(partial);
    }
    let minutes = partials
        .iter()
        .flat_map(|p| p.minutes.iter().map(|m| m.minute));
    let (start, end) = match (minutes.clone().min(), minutes.max()) {
        (Some(a), Some(b)) => (a, b + chrono::Duration::minutes(1)),
        _ => {
            let t: DateTime<Utc> = Utc.timestamp_opt(0, 0).single().unwrap_or_default();
            (t, t)
        }
    };
    let mut state = empty_window(baseline);
    for p in &partials {
        merge_partial(&mut state, p, start, end);
    }
    if state.profile.item_count == 0 {
        let reason = format!(
            "No captured data in {} file(s) ({} bad records).",
            files.len(),
            state.bad_records.total()
        );
        let execution = execution_of(&cfg, Window::new(start, end), &state, None, Some(&reason));
        let files = report_files("", None, None, &execution)?;
        return Ok(OneShotOutput { execution, files });
    }
    let (statistics, report) = check_monitor_window(&cfg, baseline, &state.profile);
    let mut execution = execution_of(&cfg, Window::new(start, end), &state, Some(&report), None);
    execution.report_prefix = String::new();
    let mut out = report_files("", Some(&statistics), Some(&report), &execution)?;
    let metrics = window_metrics(&cfg, start, &state, &report);
    out.push(("cloudwatch_metrics.jsonl".into(), byoc_jsonl(&metrics)?));
    Ok(OneShotOutput {
        execution,
        files: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_from_sagemaker_paths() {
        let k = key_from_path(Path::new(
            "/tmp/copy/data-capture/ep/AllTraffic/2022/04/18/00/20-48-871-x.jsonl",
        ))
        .unwrap();
        assert_eq!(k.endpoint, "ep");
        assert_eq!(k.file, "20-48-871-x.jsonl");
        assert!(key_from_path(Path::new("/tmp/a.jsonl")).is_none());
    }
}
