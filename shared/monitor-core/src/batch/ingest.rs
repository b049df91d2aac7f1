//! Ingest of a batch-transform output manifest: every `.out` object it names is streamed
//! line by line, each line rewritten into a capture record ([`super::record`]), through the
//! same record consumers as an endpoint's capture object ([`crate::capability::Consumer`]).
//!
//! One state per monitor and named object, at a key derived from the manifest's key and
//! the object's position in it (`{manifest stem}-{NNNN}`, variant [`BATCH_VARIANT`], the
//! manifest's hour folder), so a re-delivered manifest rewrites the same bytes. An object
//! that cannot be read, or lies in another bucket, fails that object for the monitor (listed
//! in [`ObjectSummary::failed`]); the other objects are ingested.

use std::collections::BTreeMap;

use crate::app::ingest::{MonitorCounts, MonitorFailure, ObjectSummary};
use crate::app::late::mark_late_windows;
use crate::app::monitors::MonitorEntry;
use crate::batch::manifest::{object_key, parse_manifest_key, Manifest, ManifestKey, ManifestSide};
use crate::batch::record::{LineConverter, LineOrigin};
use crate::batch::BATCH_VARIANT;
use crate::capability::{prepare_once, Consumer, PreparedMonitors};
use crate::config::MonitorConfig;
use crate::error::RetryBoundary;
use crate::layout::CaptureKey;
use crate::store::{for_each_line, Line, ObjectStore};
use crate::CoreError;

/// Why input manifests are not read (see the module docs of [`crate::batch`]).
pub const INPUT_MANIFEST_IGNORED: &str = "batch-transform input manifest: not read (the output manifest's .out lines carry the predictions and, with the transform's JoinSource Input, the features)";

/// The batch monitors whose capture destination holds `key` as a manifest.
fn claims<'e>(entries: &'e [MonitorEntry], key: &str) -> Vec<(&'e MonitorConfig, ManifestKey)> {
    entries
        .iter()
        .filter_map(|e| e.config.as_ref().ok())
        .filter_map(|cfg| {
            let batch = cfg.batch_transform.as_ref()?;
            parse_manifest_key(key, &batch.destination_prefix()).map(|mk| (cfg, mk))
        })
        .collect()
}

/// Ingests `key` when it is a batch-transform manifest of a configured monitor; `None` when
/// no batch monitor claims it (the endpoint path then handles it).
///
/// # Errors
/// Only retryable store failures; everything else is in the summary.
pub async fn ingest_manifest<S: ObjectStore>(
    store: &S,
    entries: &[MonitorEntry],
    key: &str,
    prepared: &mut PreparedMonitors,
) -> Result<Option<ObjectSummary>, CoreError> {
    let all = claims(entries, key);
    if all.is_empty() {
        return Ok(None);
    }
    let mut obj = ObjectSummary {
        key: key.to_owned(),
        ..ObjectSummary::default()
    };
    let output: Vec<_> = all
        .into_iter()
        .filter(|(_, mk)| mk.side == ManifestSide::Output)
        .collect();
    if output.is_empty() {
        tracing::info!(
            key,
            reason = INPUT_MANIFEST_IGNORED,
            "capture object ignored"
        );
        obj.ignored = Some(INPUT_MANIFEST_IGNORED.to_owned());
        return Ok(Some(obj));
    }
    // what each monitor needs (loaded once per invocation)
    let mut ready = Vec::new();
    for (cfg, mk) in output {
        match prepare_once(store, cfg, prepared).await? {
            Ok(()) => ready.push((cfg, mk)),
            Err(reason) => fail(&mut obj, cfg, reason),
        }
    }
    let manifest = match store.get(key).await.propagate_retryable()? {
        Ok(bytes) => Manifest::parse(key, &bytes).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let manifest = match manifest {
        Ok(m) => m,
        Err(reason) => {
            for (cfg, _) in &ready {
                fail(&mut obj, cfg, reason.clone());
            }
            log_done(&obj);
            return Ok(Some(obj));
        }
    };
    let mut counts: BTreeMap<String, MonitorCounts> = BTreeMap::new();
    for (index, uri) in manifest.object_uris().iter().enumerate() {
        let mut targets = Vec::new();
        for (cfg, mk) in &ready {
            let bucket = cfg
                .batch_transform
                .as_ref()
                .and_then(|b| b.destination_bucket());
            match object_key(key, uri, bucket) {
                Ok(k) => targets.push((*cfg, mk, k)),
                Err(e) => fail(&mut obj, cfg, e.to_string()),
            }
        }
        ingest_object(store, index, &targets, prepared, &mut obj, &mut counts).await?;
    }
    for c in counts.into_values() {
        obj.records = obj.records.max(c.records);
        obj.bad_records = obj.bad_records.max(c.bad_records);
        obj.monitors.push(c.monitor.clone());
        obj.counts.push(c);
    }
    log_done(&obj);
    Ok(Some(obj))
}

fn fail(obj: &mut ObjectSummary, cfg: &MonitorConfig, reason: String) {
    tracing::warn!(key = %obj.key, monitor = %cfg.name, reason = %reason, "monitor failed on batch manifest");
    obj.failed.push(MonitorFailure {
        monitor: cfg.name.clone(),
        reason,
    });
}

fn log_done(obj: &ObjectSummary) {
    tracing::info!(
        key = %obj.key,
        records = obj.records,
        bad_records = obj.bad_records,
        failed_monitors = obj.failed.len(),
        "batch manifest ingested"
    );
}

/// The `.out` object at position `index` of the manifest `obj.key`, as each of `targets`
/// resolved it (every monitor resolves a URI to the same key, or refuses it), through every
/// monitor's consumer, and each monitor's state written.
async fn ingest_object<S: ObjectStore>(
    store: &S,
    index: usize,
    targets: &[(&MonitorConfig, &ManifestKey, String)],
    prepared: &PreparedMonitors,
    obj: &mut ObjectSummary,
    counts: &mut BTreeMap<String, MonitorCounts>,
) -> Result<(), CoreError> {
    let Some((_, _, object)) = targets.first() else {
        return Ok(());
    };
    let object = object.as_str();
    let mut consumers: Vec<(&MonitorConfig, CaptureKey, LineConverter, Consumer<'_>)> = Vec::new();
    for (cfg, mk, _) in targets {
        let (Some(Ok(p)), Some(batch)) = (prepared.get(&cfg.name), cfg.batch_transform.as_ref())
        else {
            continue;
        };
        let stem = mk.file.strip_suffix(".json").unwrap_or(&mk.file);
        let ck = CaptureKey {
            endpoint: String::new(),
            variant: BATCH_VARIANT.to_owned(),
            hour: mk.hour,
            file: format!("{stem}-{index:04}.jsonl"),
        };
        match p.consumer(&ck, object, cfg) {
            Ok(c) => consumers.push((cfg, ck, LineConverter::new(batch), c)),
            Err(e) => fail(obj, cfg, e.to_string()),
        }
    }
    if consumers.is_empty() {
        return Ok(());
    }
    let hour = targets[0].1.hour.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let stem = targets[0].1.file.trim_end_matches(".json").to_owned();
    let read = match store.reader(object).await.propagate_retryable()? {
        Ok(reader) => {
            let mut buf = Vec::new();
            for_each_line(reader, object, |n, line| {
                let origin = LineOrigin {
                    manifest: &stem,
                    object: index,
                    line: n,
                    hour: &hour,
                };
                for (_, _, conv, c) in &mut consumers {
                    match line {
                        Line::Ok(bytes) if conv.is_header(n) || bytes.trim_ascii().is_empty() => {
                            if !conv.is_header(n) {
                                c.push(n, line);
                            }
                        }
                        Line::Ok(bytes) => {
                            conv.convert(bytes, &origin, &mut buf);
                            c.push(n, &Line::Ok(&buf));
                        }
                        Line::TooLong { .. } => c.push(n, line),
                    }
                }
            })
            .await
            .propagate_retryable()?
        }
        Err(e) => Err(e),
    };
    if let Err(e) = read {
        let reason = format!("object {object} named by manifest {}: {e}", obj.key);
        for (cfg, ..) in &consumers {
            fail(obj, cfg, reason.clone());
        }
        return Ok(());
    }
    for (cfg, ck, _, consumer) in consumers {
        let out = match consumer.finish(&cfg.name, &ck) {
            Ok(out) => out,
            Err(e) => {
                fail(obj, cfg, e.to_string());
                continue;
            }
        };
        let c = counts
            .entry(cfg.name.clone())
            .or_insert_with(|| MonitorCounts {
                monitor: cfg.name.clone(),
                records: 0,
                bad_records: 0,
                shadow_skipped: 0,
            });
        c.records += out.records;
        c.bad_records += out.bad_records;
        store.put_body(&out.state_key, out.body).await?;
        obj.state_keys.push(out.state_key);
        match mark_late_windows(store, cfg, &out.minutes, object)
            .await
            .propagate_retryable()?
        {
            Ok(keys) => obj.late_markers.extend(keys),
            Err(e) => fail(obj, cfg, format!("Late-data marker not written: {e}")),
        }
    }
    Ok(())
}
