//! A one-shot job of any monitor kind: the files on disk are laid out in a temporary local
//! store as the bucket would hold them, then the Lambdas' use cases run over it —
//! [`crate::app::ingest::run`] for the captures (on every core:
//! [`crate::app::backfill::ingest_all`]), [`crate::app::ground_truth::run`] for the labels,
//! and the capability's evaluation ([`crate::capability::Capability::evaluate`], what the
//! tick calls) of one window spanning every record. No second implementation: the
//! report files are the ones the tick writes, read back from the store.
//!
//! Layout in the temporary store, for a monitor `m` of endpoint `e`:
//! - `config/monitors/m.json`: the configuration, with `baseline_prefix` = `baselines/m`,
//!   `capture_prefix` = `data-capture/`, the default ground-truth prefix and analysis-config
//!   key (so every file the monitor reads comes from the baseline directory), and a look-back
//!   that spans the data;
//! - `baselines/m/*`: every file of the baseline directory (`statistics.json`,
//!   `constraints.json`, `analysis_config.json`, `analysis.json`, as the kind needs);
//! - `data-capture/e/{variant}/yyyy/mm/dd/HH/{file}`: the capture lines, bucketed by the hour
//!   of their `inferenceTime` (a copied S3 folder keeps its variant and file names; lines
//!   without a readable time go to the file's first hour, where ingest counts them
//!   `bad_time`); a file whose lines all fall in one hour, unchanged, is a symbolic link to
//!   it rather than a copy (on Unix);
//! - `ground-truth/e/yyyy/mm/dd/HH/{n}-{file}`: every label file, at the last hour of the
//!   data (the look-back reaches back to the first), so every label finds its prediction.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};

use crate::app::oneshot::{ordered, sequential, walk, CaptureFile, OneShotOutput};
use crate::app::{backfill, ground_truth};
use crate::attribution::InvokerFactory;
use crate::capability::capability_for;
use crate::config::{save_monitor, MonitorConfig};
use crate::execution::{Execution, Ports, Window};
use crate::formats::capture::time::inference_seconds;
use crate::layout::{
    default_ground_truth_prefix, hour_floor, hour_path, DEFAULT_CAPTURE_PREFIX, VIOLATIONS_FILE,
};
use crate::metrics::{byoc_jsonl, MemoryMetricSink};
use crate::multimodel::MULTI_MODEL_FILE;
use crate::store::{LocalStore, ObjectStore};
use crate::CoreError;

/// The metrics file of a one-shot job (SageMaker's BYOC metrics lines).
pub const METRICS_FILE: &str = "cloudwatch_metrics.jsonl";

/// What a one-shot job of any kind evaluates.
#[derive(Debug, Clone)]
pub struct OneShotJob<'a> {
    /// the monitor, as in `config/monitors/*.json`
    pub config: MonitorConfig,
    /// the baseline directory: the files the monitor reads under its `baseline_prefix`;
    /// `None` only for a model-quality job, which then writes statistics only
    pub baseline: Option<&'a Path>,
    /// the capture files ([`crate::app::oneshot::collect_capture_files`])
    pub captures: &'a [CaptureFile],
    /// ground-truth files (SageMaker's label layout) of a model-quality or bias job
    pub ground_truth: &'a [PathBuf],
}

fn io_error(path: &Path, e: std::io::Error) -> CoreError {
    CoreError::Io {
        key: path.display().to_string(),
        source: e,
    }
}

fn job_error(field: &str, value: &str, message: impl Into<String>) -> CoreError {
    CoreError::Config {
        field: field.into(),
        value: value.into(),
        message: message.into(),
    }
}

/// The capture lines of every file, written into `store` bucketed by inference hour.
struct Bucketed {
    /// object keys written, in key order
    keys: Vec<String>,
    /// first and last inference second of a readable time
    span: Option<(i64, i64)>,
}

/// The `inferenceTime` of a capture line, when it has one that reads.
fn line_seconds(line: &[u8]) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct Meta {
        #[serde(rename = "inferenceTime")]
        inference_time: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Record {
        #[serde(rename = "eventMetadata")]
        event_metadata: Option<Meta>,
    }
    let r: Record = serde_json::from_slice(line).ok()?;
    inference_seconds(&r.event_metadata?.inference_time?).ok()
}

fn utc(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(seconds, 0).single().unwrap_or_default()
}

/// One capture file's lines by inference hour (whole lines, each ending in a newline), and
/// the first and last second of a readable time among them.
struct FileHours {
    hours: BTreeMap<i64, Vec<u8>>,
    span: Option<(i64, i64)>,
    /// the file's bytes are its one hour's, unchanged (no byte-order mark dropped, no
    /// newline added, no line moved): the store may link to the file instead of a copy
    whole: bool,
}

/// Reads `f` and buckets its lines by the hour of their `inferenceTime`; lines without a
/// readable time join the file's first hour (its key's hour when none reads), where ingest
/// counts them `bad_time`.
fn file_hours(f: &CaptureFile) -> Result<FileHours, CoreError> {
    let reader = std::fs::File::open(&f.path).map_err(|e| io_error(&f.path, e))?;
    let mut reader = std::io::BufReader::new(reader);
    let mut hours: BTreeMap<i64, Vec<u8>> = BTreeMap::new();
    let mut span: Option<(i64, i64)> = None;
    let mut untimed: Vec<u8> = Vec::new();
    let mut line = Vec::new();
    let mut first = true;
    let mut changed = false;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| io_error(&f.path, e))?;
        if n == 0 {
            break;
        }
        let body = if first {
            let body = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&line);
            changed |= body.len() != line.len();
            body
        } else {
            &line[..]
        };
        first = false;
        let target = match line_seconds(body) {
            Some(s) => {
                span = Some(span.map_or((s, s), |(a, b)| (a.min(s), b.max(s))));
                hours.entry(s.div_euclid(3600) * 3600).or_default()
            }
            None => &mut untimed,
        };
        target.extend_from_slice(body);
        if !body.ends_with(b"\n") {
            target.push(b'\n');
            changed = true;
        }
    }
    // untimed lines after timed ones move to the end of their hour
    changed |= !untimed.is_empty() && !hours.is_empty();
    if !untimed.is_empty() {
        let hour = hours
            .keys()
            .next()
            .copied()
            .unwrap_or_else(|| f.key.hour.timestamp());
        hours.entry(hour).or_default().extend_from_slice(&untimed);
    }
    let whole = hours.len() == 1 && !changed;
    Ok(FileHours { hours, span, whole })
}

/// Whether `at` is now a symbolic link to the file `original` (never where the platform has
/// none, or the link fails: the caller copies instead).
fn link(original: &Path, at: &Path) -> bool {
    #[cfg(unix)]
    {
        std::fs::canonicalize(original)
            .and_then(|target| std::os::unix::fs::symlink(target, at))
            .is_ok()
    }
    #[cfg(not(unix))]
    {
        let _ = (original, at);
        false
    }
}

/// Files read and bucketed ahead of the one being written, per worker thread.
const BUCKET_FILES_PER_THREAD: usize = 1;

/// Copies the capture lines into `store` under `{DEFAULT_CAPTURE_PREFIX}{endpoint}/…`, one
/// object per (file, inference hour), in the order of `files`.
///
/// Files are read and bucketed on every core ([`ordered::map_fold_in_order`]: each line's
/// time is a JSON parse, 62 % of the 1M-record explainability job's wall time when one
/// thread did it) and written in file order, so the keys are the ones a single thread
/// gives; at most one bucketed file per thread waits to be written.
fn bucket_captures(
    store: &LocalStore,
    cfg: &MonitorConfig,
    files: &[CaptureFile],
) -> Result<Bucketed, CoreError> {
    let mut keys = std::collections::BTreeSet::new();
    let mut span: Option<(i64, i64)> = None;
    let order: Vec<usize> = (0..files.len()).collect();
    let threads = ordered::fold_workers();
    ordered::map_fold_in_order(
        &order,
        threads,
        threads * BUCKET_FILES_PER_THREAD,
        |&i| file_hours(&files[i]).map(|h| (i, h)),
        |(i, file)| {
            let f = &files[i];
            if let Some((a, b)) = file.span {
                span = Some(span.map_or((a, b), |(x, y)| (x.min(a), y.max(b))));
            }
            let variant = match (&cfg.variant, f.key.endpoint.as_str()) {
                // a file outside SageMaker's layout belongs to the monitored variant
                (Some(v), "local") => v.clone(),
                _ => f.key.variant.clone(),
            };
            for (hour, bytes) in file.hours {
                let dir = format!(
                    "{DEFAULT_CAPTURE_PREFIX}{}/{variant}/{}/",
                    cfg.endpoint,
                    hour_path(utc(hour))
                );
                // a unique name in its folder (two copied folders may hold the same file name)
                let mut key = format!("{dir}{}", f.key.file);
                let mut n = 1;
                while keys.contains(&key) {
                    key = format!("{dir}{n}-{}", f.key.file);
                    n += 1;
                }
                let path = store.path_of(&key)?;
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
                }
                // a file of one hour is linked, not copied (450 MB of writes at 1M records)
                if !(file.whole && link(&f.path, &path)) {
                    let mut out = std::fs::File::create(&path).map_err(|e| io_error(&path, e))?;
                    out.write_all(&bytes).map_err(|e| io_error(&path, e))?;
                }
                keys.insert(key);
            }
            Ok(())
        },
    )?;
    Ok(Bucketed {
        keys: keys.into_iter().collect(),
        span,
    })
}

/// Expands ground-truth files and folders (recursively, `.jsonl`) in path order.
fn label_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CoreError> {
    let mut files = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| io_error(p, e))?;
        if meta.is_dir() {
            walk(p, &mut files)?;
        } else {
            files.push(p.clone());
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// The configuration the job runs with in the temporary store (module docs): prefixes of
/// the temporary layout, and a look-back of at least `span_hours`.
fn job_config(mut cfg: MonitorConfig, span_hours: u32) -> MonitorConfig {
    cfg.baseline_prefix = format!("baselines/{}", cfg.name);
    cfg.capture_prefix = DEFAULT_CAPTURE_PREFIX.into();
    // the merged records are written to the temporary store and never read: not written
    if let Some(m) = cfg.model_quality.as_mut() {
        m.ground_truth_prefix = None;
        m.lookback_hours = m.lookback_hours.max(span_hours);
        m.merged_records = false;
    }
    if let Some(b) = cfg.bias.as_mut() {
        b.merged_records = false;
        b.ground_truth_prefix = None;
        b.analysis_config_key = None;
        b.lookback_hours = b.lookback_hours.max(span_hours);
    }
    if let Some(x) = cfg.explainability.as_mut() {
        x.analysis_config_key = None;
    }
    cfg
}

/// Copies the files of the baseline directory (not its subfolders, but for a monitor with a
/// `multi_model` block each `models/{model}/` folder's files: the models' own baselines) under
/// the monitor's baseline prefix; without one, a model-quality job gets constraints without
/// thresholds.
async fn put_baseline(
    store: &LocalStore,
    cfg: &MonitorConfig,
    dir: Option<&Path>,
) -> Result<(), CoreError> {
    let Some(dir) = dir else {
        let Some(m) = cfg.model_quality.as_ref() else {
            return Err(job_error(
                "--baseline",
                "",
                format!(
                    "a {:?} job needs its baseline directory (only a ModelQuality job runs without)",
                    cfg.kind
                ),
            ));
        };
        let empty = format!(
            "{{\"version\": 0.0, \"{}\": {{}}}}",
            m.quality.problem_type.constraints_key()
        );
        return store.put(&cfg.constraints_key(), empty.into_bytes()).await;
    };
    put_files(store, dir, &cfg.baseline_prefix).await?;
    let models = dir.join("models");
    if cfg.multi_model.is_some() && models.is_dir() {
        for entry in std::fs::read_dir(&models).map_err(|e| io_error(&models, e))? {
            let path = entry.map_err(|e| io_error(&models, e))?.path();
            if let Some(model) = path.is_dir().then(|| path.file_name()).flatten() {
                // the folder name is the model's key segment already
                let prefix = format!("{}/models/{}", cfg.baseline_prefix, model.to_string_lossy());
                put_files(store, &path, &prefix).await?;
            }
        }
    }
    Ok(())
}

/// Copies the files of `dir` (not its subfolders) under `prefix`.
async fn put_files(store: &LocalStore, dir: &Path, prefix: &str) -> Result<(), CoreError> {
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| io_error(dir, e))?.path();
        if !path.is_file() {
            continue;
        }
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let bytes = std::fs::read(&path).map_err(|e| io_error(&path, e))?;
        store
            .put(&crate::layout::baseline_file_key(prefix, name), bytes)
            .await?;
    }
    Ok(())
}

/// The report files of every target model judged in a multi-model window (`summary_bytes`,
/// the window's `multi_model.json`), named `model={model}/{file}` as under the monitor's
/// report folder.
async fn model_report_files(
    store: &LocalStore,
    key: &str,
    summary_bytes: &[u8],
) -> Result<Vec<(String, Vec<u8>)>, CoreError> {
    let summary = crate::multimodel::MultiModelSummary::from_json(key, summary_bytes)?;
    let mut out = Vec::new();
    for m in &summary.models {
        let Some(prefix) = &m.report_prefix else {
            continue;
        };
        let folder = format!("model={}", crate::layout::model_segment(&m.model));
        for key in store.list(prefix).await? {
            let name = format!("{folder}/{}", &key[prefix.len()..]);
            out.push((name, store.get(&key).await?));
        }
    }
    Ok(out)
}

/// Runs `job` as one window spanning its records, over a temporary local store (module
/// docs); Kernel SHAP explainers reach their models through `invokers`.
///
/// The output holds the files the tick wrote for the window (named without their report
/// folder: `statistics.json` or `analysis.json`, `constraint_violations.json`,
/// `execution.json`, whose `report_prefix` is the temporary store's) and
/// [`METRICS_FILE`]. A model-quality job without a baseline has no
/// `constraint_violations.json`. A monitor with a `segments` block adds the window's
/// `segments.json`; one with a `multi_model` block its `multi_model.json` and every judged
/// model's report files as `model={model}/statistics.json`, `model={model}/constraint_violations.json`
/// (the models' own baselines are read from the baseline directory's `models/{model}/`).
///
/// # Errors
/// [`CoreError::Config`] for a missing baseline (any kind but model quality), a job without
/// capture files, or a monitor part of ingest or merge rejected (the reason named); the
/// errors of reading the files; the store's errors.
pub async fn run_job<F: InvokerFactory + ?Sized>(
    job: &OneShotJob<'_>,
    invokers: &F,
) -> Result<OneShotOutput, CoreError> {
    let temp = tempfile::tempdir().map_err(|e| io_error(Path::new("temporary directory"), e))?;
    let store = LocalStore::new(temp.path());
    let labels = label_files(job.ground_truth)?;
    if !labels.is_empty() && !job.config.kind.joins_ground_truth() {
        return Err(job_error(
            "--ground-truth",
            &labels[0].display().to_string(),
            format!("a {:?} monitor joins no labels", job.config.kind),
        ));
    }

    // 1. captures, bucketed by hour; the window spans them (whole minutes)
    let bucketed = bucket_captures(&store, &job.config, job.captures)?;
    let Some((first, last)) = bucketed.span else {
        return Err(job_error(
            "--captures",
            &format!("{} file(s)", job.captures.len()),
            "no capture record with a readable eventMetadata.inferenceTime",
        ));
    };
    let window = Window::new(
        utc(first.div_euclid(60) * 60),
        utc(last.div_euclid(60) * 60 + 60),
    );
    let last_hour = hour_floor(utc(last));
    let span_hours =
        u32::try_from((last_hour - hour_floor(utc(first))).num_hours() + 1).unwrap_or(u32::MAX);

    // 2. the monitor and its baseline
    let cfg = job_config(job.config.clone(), span_hours);
    put_baseline(&store, &cfg, job.baseline).await?;
    save_monitor(&store, &cfg).await?;

    // 3. capture ingest, as the Lambda does it for each object (objects are independent:
    // ingested on every core, as a backfill does)
    let summary = backfill::ingest_all(&store, &bucketed.keys, 0).await?;
    if let Some(f) = summary.objects.iter().flat_map(|o| &o.failed).next() {
        return Err(job_error("ingest", &f.monitor, f.reason.clone()));
    }
    if let Some(reason) = summary.objects.iter().find_map(|o| o.ignored.clone()) {
        return Err(job_error("ingest", &cfg.name, reason));
    }

    // 4. ground-truth merge, every label file at the last hour of the data
    let gt_prefix = default_ground_truth_prefix(&cfg.endpoint);
    let mut gt_keys = Vec::with_capacity(labels.len());
    for (i, path) in labels.iter().enumerate() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let key = format!("{gt_prefix}{}/{i:05}-{name}", hour_path(last_hour));
        let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
        store.put(&key, bytes).await?;
        gt_keys.push(key);
    }
    if !gt_keys.is_empty() {
        // Newest label file first: each object's probe starts at the newest hour and stops
        // once its labels are matched, so in this order every index is decoded about once
        // and the key filters skip it for the older objects; oldest first, the first object
        // decoded every hour. The states do not depend on the order.
        gt_keys.reverse();
        let merged = ground_truth::run(&store, &gt_keys, window.end).await?;
        if let Some(f) = merged.failed.first() {
            return Err(job_error("ground truth", &f.key, f.reason.clone()));
        }
    }

    // 5. the window, evaluated by the capability as the tick does
    let metrics = MemoryMetricSink::new();
    let ports = Ports {
        store: &store,
        metrics: &metrics,
        invokers,
    };
    // a plain data-quality window merged one partial profile at a time (flat memory, the
    // tick's bytes: sequential.rs); any other monitor as the tick evaluates it
    let execution: Execution = if sequential::serves(&cfg) {
        sequential::evaluate(&store, &metrics, &cfg, window).await?
    } else {
        capability_for(cfg.kind)
            .evaluate(ports, &cfg, window)
            .await?
    };
    let mut files = Vec::new();
    for key in store.list(&execution.report_prefix).await? {
        let name = key[execution.report_prefix.len()..].to_owned();
        if job.baseline.is_none() && name == VIOLATIONS_FILE {
            continue;
        }
        files.push((name, store.get(&key).await?));
    }
    // a multi-model window's per-model reports live beside the monitor's folder
    if let Some((_, summary)) = files.iter().find(|(n, _)| n == MULTI_MODEL_FILE) {
        let key = format!("{}{MULTI_MODEL_FILE}", execution.report_prefix);
        let models = model_report_files(&store, &key, summary).await?;
        files.extend(models);
    }
    if cfg.publish_metrics && !metrics.data().is_empty() {
        files.push((METRICS_FILE.into(), byoc_jsonl(&metrics.data())?));
    }
    Ok(OneShotOutput { execution, files })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::CaptureKey;

    fn line(hour: u32, minute: u32) -> String {
        format!(
            "{{\"captureData\":{{}},\"eventMetadata\":{{\"eventId\":\"e\",\"inferenceTime\":\"2024-03-01T{hour:02}:{minute:02}:00Z\"}},\"eventVersion\":\"0\"}}\n"
        )
    }

    fn capture(dir: &Path, name: &str, bytes: &[u8]) -> CaptureFile {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        CaptureFile {
            path,
            key: CaptureKey {
                endpoint: "local".into(),
                variant: "AllTraffic".into(),
                hour: utc(0),
                file: name.into(),
            },
        }
    }

    /// A file is whole (linked by the bucketing, not copied) only when its bytes are its one
    /// hour's, unchanged.
    #[test]
    fn only_an_unchanged_file_of_one_hour_is_whole() {
        let dir = tempfile::tempdir().unwrap();
        let untimed = "{\"captureData\":{}}\n";
        let cases = [
            ("plain", format!("{}{}", line(3, 1), line(3, 59)), true),
            ("untimed only", untimed.repeat(2), true),
            ("two hours", format!("{}{}", line(3, 1), line(4, 0)), false),
            ("bom", format!("\u{feff}{}", line(3, 1)), false),
            ("no final newline", line(3, 1).trim_end().to_owned(), false),
            ("untimed first", format!("{untimed}{}", line(3, 1)), false),
        ];
        for (i, (name, text, whole)) in cases.into_iter().enumerate() {
            let f = capture(dir.path(), &format!("{i}.jsonl"), text.as_bytes());
            let hours = file_hours(&f).unwrap();
            assert_eq!(hours.whole, whole, "{name}");
            if whole {
                assert_eq!(
                    hours.hours.values().next().unwrap(),
                    text.as_bytes(),
                    "{name}"
                );
            }
        }
    }

    /// The bucketed store links a whole file and copies the others; either way its objects
    /// read as the lines of their hour, and the files on disk are left as they were.
    #[test]
    fn whole_files_are_linked_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let plain = format!("{}{}", line(3, 1), line(3, 59));
        let split = format!("{}{}", line(3, 1), line(4, 0));
        let files = [
            capture(dir.path(), "a.jsonl", plain.as_bytes()),
            capture(dir.path(), "b.jsonl", split.as_bytes()),
        ];
        let root = tempfile::tempdir().unwrap();
        let store = LocalStore::new(root.path());
        let cfg = MonitorConfig::new("m", crate::config::MonitorKind::DataQuality, "ep", "b");
        let bucketed = bucket_captures(&store, &cfg, &files).unwrap();
        assert_eq!(bucketed.keys.len(), 3);
        let mut linked = 0;
        for key in &bucketed.keys {
            let path = store.path_of(key).unwrap();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let body = std::fs::read(&path).unwrap();
            if meta.file_type().is_symlink() {
                linked += 1;
                assert!(key.ends_with("/03/a.jsonl"), "{key}");
                assert_eq!(body, plain.as_bytes());
            } else if key.ends_with("/03/b.jsonl") {
                assert_eq!(body, line(3, 1).as_bytes());
            } else {
                assert!(key.ends_with("/04/b.jsonl"), "{key}");
                assert_eq!(body, line(4, 0).as_bytes());
            }
        }
        assert_eq!(linked, usize::from(cfg!(unix)));
        drop(root);
        assert_eq!(std::fs::read(&files[0].path).unwrap(), plain.as_bytes());
    }
}
