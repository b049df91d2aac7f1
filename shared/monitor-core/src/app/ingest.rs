//! Capture ingest: one capture object in, one mergeable partial profile per monitor out.
//!
//! The object is streamed line by line (bounded memory whatever its size). Each record goes
//! into the profile of the minute of its `inferenceTime`, so a monitor can use any window
//! length of at least a minute. The partial profile is written at a key derived from the
//! capture key alone, so a replayed or duplicated event rewrites the same bytes and nothing
//! is counted twice. Bad lines are counted by kind, with their first line numbers, and never
//! stop the good lines.

use serde::{Deserialize, Serialize};

use crate::app::late::mark_late_windows;
use crate::app::monitors::{load_monitor_entries, MonitorEntry};
use crate::capability::{prepare_once, Consumer, PreparedMonitors};
use crate::config::MonitorConfig;
use crate::data_quality::minute_spill::MINUTE_BUDGET_BYTES;
use crate::error::RetryBoundary;
use crate::layout::{parse_capture_key, CaptureKey, DEFAULT_CAPTURE_PREFIX};
use crate::store::{for_each_line, ObjectStore};
use crate::CoreError;

/// What ingest did with one object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectSummary {
    /// the capture object
    pub key: String,
    /// monitors that profiled it
    pub monitors: Vec<String>,
    /// records the object holds: the most any one monitor took (every monitor reads the same
    /// lines, so one record is counted once however many monitors watch the endpoint)
    pub records: u64,
    /// bad records: the most any one monitor counted (one bad line is one, not one per
    /// monitor); each monitor's own counts are in [`ObjectSummary::counts`]
    pub bad_records: u64,
    /// shadow-variant records skipped (the most any one monitor skipped)
    pub shadow_skipped: u64,
    /// each monitor's counts, in the order of [`ObjectSummary::monitors`]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counts: Vec<MonitorCounts>,
    /// partial profiles written
    pub state_keys: Vec<String>,
    /// why the object was ignored, if it was
    pub ignored: Option<String>,
    /// monitors whose part of the object failed (bad config, missing or unreadable
    /// baseline), with the reason; the other monitors' state is written
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<MonitorFailure>,
    /// late-data markers written: windows already evaluated that this object adds records
    /// to, evaluated again by the next tick ([`crate::app::late`])
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub late_markers: Vec<String>,
}

/// What one monitor took from an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorCounts {
    /// the monitor
    pub monitor: String,
    /// records it holds
    pub records: u64,
    /// bad records it counted
    pub bad_records: u64,
    /// shadow-variant records it skipped
    pub shadow_skipped: u64,
}

/// One monitor's part of an object that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorFailure {
    /// the monitor (its file name when its configuration is unreadable)
    pub monitor: String,
    /// the key and the cause
    pub reason: String,
}

/// What one ingest invocation did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestSummary {
    /// per object, in event order
    pub objects: Vec<ObjectSummary>,
}

/// Ingests capture objects named by store keys (already URL-decoded).
///
/// Each object is read once, whatever the number of monitors watching its endpoint: every
/// line goes to each monitor's consumer ([`crate::capability::Consumer`]).
///
/// Keys outside a monitor's capture prefix, or of endpoints no monitor watches, are ignored
/// with a logged reason.
///
/// Each monitor ingests inside its own error boundary: a bad or duplicate configuration, or
/// a missing or unreadable baseline, fails that monitor's part of the object (listed in
/// [`ObjectSummary::failed`] and logged with the monitor, key and reason) while the other
/// monitors' state is written.
///
/// # Errors
/// Retryable failures ([`CoreError::is_retryable`]), and an object that cannot be read.
pub async fn run<S: ObjectStore>(store: &S, keys: &[String]) -> Result<IngestSummary, CoreError> {
    let entries = load_monitor_entries(store).await?;
    // what each monitor needs, or why it cannot ingest (loaded once per call)
    let mut prepared = PreparedMonitors::new();
    let mut summary = IngestSummary::default();
    for key in keys {
        // a batch-transform manifest (issue 12 item 4)
        if let Some(obj) =
            crate::batch::ingest::ingest_manifest(store, &entries, key, &mut prepared).await?
        {
            summary.objects.push(obj);
            continue;
        }
        let mut obj = ObjectSummary {
            key: key.clone(),
            ..ObjectSummary::default()
        };
        // 1. the monitors that claim the object, with what each needs
        let (claims, reasons) = claim(store, &entries, key, &mut prepared, &mut obj).await?;
        if claims.is_empty() && obj.failed.is_empty() {
            let reason = if entries.is_empty() {
                "no monitors configured under config/monitors/".to_string()
            } else {
                reasons.join("; ")
            };
            tracing::info!(key = %key, reason = %reason, "capture object ignored");
            obj.ignored = Some(reason);
            summary.objects.push(obj);
            continue;
        }
        // 2. one pass over the object feeds every monitor's consumer
        let mut consumers = Vec::with_capacity(claims.len());
        for (cfg, ck) in &claims {
            let Some(Ok(p)) = prepared.get(&cfg.name) else {
                continue;
            };
            match p.consumer(ck, key, cfg) {
                Ok(c) => consumers.push((*cfg, ck, c)),
                Err(e) => obj.failed.push(MonitorFailure {
                    monitor: cfg.name.clone(),
                    reason: e.to_string(),
                }),
            }
        }
        // the object's data-quality monitors share one budget for their minute profiles
        let profilers = consumers
            .iter()
            .filter(|(_, _, c)| matches!(c, Consumer::Profile(_)))
            .count();
        for (_, _, c) in &mut consumers {
            if let Consumer::Profile(p) = c {
                p.set_minute_budget(MINUTE_BUDGET_BYTES / profilers.max(1));
            }
        }
        if !consumers.is_empty() {
            let reader = store.reader(key).await?;
            for_each_line(reader, key, |n, line| {
                for (_, _, c) in &mut consumers {
                    c.push(n, line);
                }
            })
            .await?;
        }
        // 3. each monitor's state, at a key derived from the object's key
        for (cfg, ck, consumer) in consumers {
            let out = match consumer.finish(&cfg.name, ck) {
                Ok(out) => out,
                Err(e) => {
                    obj.failed.push(MonitorFailure {
                        monitor: cfg.name.clone(),
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            obj.records = obj.records.max(out.records);
            obj.bad_records = obj.bad_records.max(out.bad_records);
            obj.shadow_skipped = obj.shadow_skipped.max(out.shadow_skipped);
            obj.counts.push(MonitorCounts {
                monitor: cfg.name.clone(),
                records: out.records,
                bad_records: out.bad_records,
                shadow_skipped: out.shadow_skipped,
            });
            let state_key = out.state_key;
            store.put_body(&state_key, out.body).await?;
            // a multi-model monitor's state per target model (crate::multimodel)
            for (key, body) in out.extra {
                store.put_body(&key, body).await?;
                obj.state_keys.push(key);
            }
            obj.monitors.push(cfg.name.clone());
            obj.state_keys.push(state_key);
            // late data: windows already evaluated are marked for the next tick
            match mark_late_windows(store, cfg, &out.minutes, key)
                .await
                .propagate_retryable()?
            {
                Ok(keys) => obj.late_markers.extend(keys),
                Err(e) => obj.failed.push(MonitorFailure {
                    monitor: cfg.name.clone(),
                    reason: format!("Late-data marker not written: {e}"),
                }),
            }
        }
        for f in &obj.failed {
            tracing::warn!(key = %key, monitor = %f.monitor, reason = %f.reason, "monitor failed on capture object");
        }
        tracing::info!(
            key = %key,
            records = obj.records,
            bad_records = obj.bad_records,
            failed_monitors = obj.failed.len(),
            "capture object ingested"
        );
        summary.objects.push(obj);
    }
    Ok(summary)
}

/// The monitors of `entries` that claim the capture object `key`, each with its capture key
/// once what it needs is prepared (loaded once per call into `prepared`), and why the others
/// do not. A monitor whose configuration or preparation fails is listed in `obj.failed`.
async fn claim<'e, S: ObjectStore>(
    store: &S,
    entries: &'e [MonitorEntry],
    key: &str,
    prepared: &mut PreparedMonitors,
    obj: &mut ObjectSummary,
) -> Result<(Vec<(&'e MonitorConfig, CaptureKey)>, Vec<String>), CoreError> {
    let mut reasons = Vec::new();
    let mut claims: Vec<(&MonitorConfig, CaptureKey)> = Vec::new();
    for entry in entries {
        let cfg = match &entry.config {
            Ok(cfg) => cfg,
            Err(e) => {
                if may_claim(entry, key) {
                    obj.failed.push(MonitorFailure {
                        monitor: entry.name.clone(),
                        reason: format!("Monitor configuration {} unusable: {e}", entry.key),
                    });
                }
                continue;
            }
        };
        let ck = match parse_capture_key(key, &cfg.capture_prefix) {
            Ok(ck) => ck,
            Err(e) => {
                reasons.push(format!("{}: {e}", cfg.name));
                continue;
            }
        };
        if !cfg.watches(&ck.endpoint, &ck.variant) {
            reasons.push(format!(
                "{}: watches endpoint {} not {}/{}",
                cfg.name, cfg.endpoint, ck.endpoint, ck.variant
            ));
            continue;
        }
        match prepare_once(store, cfg, prepared).await? {
            Ok(()) => claims.push((cfg, ck)),
            Err(reason) => obj.failed.push(MonitorFailure {
                monitor: cfg.name.clone(),
                reason,
            }),
        }
    }
    Ok((claims, reasons))
}

/// Whether a monitor whose configuration is unusable may watch the capture object `key`:
/// unless its file names another endpoint than the object's (under the default capture
/// prefix), it counts as failed for the object rather than silently skipped.
fn may_claim(entry: &MonitorEntry, key: &str) -> bool {
    match (
        &entry.endpoint,
        parse_capture_key(key, DEFAULT_CAPTURE_PREFIX),
    ) {
        (Some(endpoint), Ok(ck)) => *endpoint == ck.endpoint,
        _ => true,
    }
}
