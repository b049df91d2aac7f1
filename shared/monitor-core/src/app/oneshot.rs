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
pub mod ordered;
pub mod sequential;
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
        capture_prefix: String::new(),
        capture,
        ..MonitorConfig::new(
            ONE_SHOT_MONITOR,
            MonitorKind::DataQuality,
            endpoint,
            String::new(),
        )
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

/// Evaluates the capture files as one window against `baseline`, on every core
/// ([`run_with_threads`] with `threads = 0`).
pub async fn run(
    baseline: &Baseline,
    files: &[CaptureFile],
    capture: CaptureOptions,
) -> Result<OneShotOutput, CoreError> {
    run_with_threads(baseline, files, capture, 0).await
}

/// Partial profiles in flight per worker thread: enough to keep every worker busy while the
/// calling thread merges, few enough that memory stays flat (issue 16 item 2).
const IN_FLIGHT_PER_THREAD: usize = 2;

/// A reader that reads synchronously when polled (the calling thread is a worker of its own,
/// so blocking is what it is for); lets a worker feed [`for_each_line`] from a plain file.
struct Blocking<R>(R);

impl<R: std::io::Read + Unpin> tokio::io::AsyncRead for Blocking<R> {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let n = self.get_mut().0.read(buf.initialize_unfilled())?;
        buf.advance(n);
        std::task::Poll::Ready(Ok(()))
    }
}

/// The partial profile of one capture file (one window over all of it: any valid time is read).
fn profile_file(
    f: &CaptureFile,
    cfg: &MonitorConfig,
    baseline: &Baseline,
) -> Result<PartialProfile, CoreError> {
    let source = f.path.display().to_string();
    let file = std::fs::File::open(&f.path).map_err(|e| CoreError::Io {
        key: source.clone(),
        source: e,
    })?;
    let mut p =
        Profiler::new(&f.key, &source, cfg, baseline)?.inference_window(InferenceWindow::UNBOUNDED);
    let reader = Blocking(std::io::BufReader::with_capacity(1 << 16, file));
    // The reader never returns `Pending` and `for_each_line` awaits nothing else, so the future
    // completes on its first poll; no runtime is needed (the calling thread may be inside one,
    // where a nested `block_on` would panic). The loop only re-polls should that ever change.
    let lines = {
        let mut fut = std::pin::pin!(for_each_line(reader, &source, |n, l| p.push(n, l)));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let std::task::Poll::Ready(r) = std::future::Future::poll(fut.as_mut(), &mut cx) {
                break r?;
            }
        }
    };
    let mut partial = p.finish();
    partial.lines = lines;
    Ok(partial)
}

/// [`run`] on `threads` worker threads (`0` = every core: [`ordered::fold_workers`]; `1` = the
/// calling thread only).
///
/// Files are profiled in parallel and their partial profiles merged as they complete, in
/// file order ([`ordered::map_fold_in_order`]), with at most two partials per thread alive:
/// the output is byte-identical for every thread count, and memory does not grow with the
/// number of files (issue 16).
///
/// # Errors
/// The first error in file order: a file that cannot be read, a bad baseline for the
/// capture options, or writing the report files.
pub async fn run_with_threads(
    baseline: &Baseline,
    files: &[CaptureFile],
    capture: CaptureOptions,
    threads: usize,
) -> Result<OneShotOutput, CoreError> {
    let endpoint = files
        .first()
        .map(|f| f.key.endpoint.clone())
        .unwrap_or_else(|| "local".into());
    let cfg = one_shot_config(&endpoint, capture);
    // One window spans every record: partials are merged whole (an unbounded range) and the
    // window's bounds are the first and last minute seen, as the tick's window would be.
    let mut state = empty_window(baseline);
    let mut span: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    let threads = if threads == 0 {
        ordered::fold_workers()
    } else {
        threads
    };
    ordered::map_fold_in_order(
        files,
        threads,
        threads * IN_FLIGHT_PER_THREAD,
        |f| profile_file(f, &cfg, baseline),
        |partial| {
            for m in &partial.minutes {
                span = Some(span.map_or((m.minute, m.minute), |(a, b)| {
                    (a.min(m.minute), b.max(m.minute))
                }));
            }
            merge_partial(
                &mut state,
                &partial,
                DateTime::<Utc>::MIN_UTC,
                DateTime::<Utc>::MAX_UTC,
            );
            Ok(())
        },
    )?;
    let (start, end) = match span {
        Some((a, b)) => (a, b + chrono::Duration::minutes(1)),
        None => {
            let t: DateTime<Utc> = Utc.timestamp_opt(0, 0).single().unwrap_or_default();
            (t, t)
        }
    };
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
