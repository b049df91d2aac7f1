//! Capture ingest: one capture object in, one mergeable partial profile per monitor out.
//!
//! The object is streamed line by line (bounded memory whatever its size). Each record goes
//! into the profile of the minute of its `inferenceTime`, so a monitor can use any window
//! length of at least a minute. The partial profile is written at a key derived from the
//! capture key alone, so a replayed or duplicated event rewrites the same bytes and nothing
//! is counted twice. Bad lines are counted by kind, with their first line numbers, and never
//! stop the good lines.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::capability::{capability_for, Prepared};
use crate::config::{load_monitors, MonitorConfig};
use crate::layout::{parse_capture_key, CaptureKey};
use crate::store::{for_each_line, ObjectStore};
use crate::CoreError;

/// What ingest did with one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectSummary {
    /// the capture object
    pub key: String,
    /// monitors that profiled it
    pub monitors: Vec<String>,
    /// records profiled (per monitor, summed)
    pub records: u64,
    /// bad records (per monitor, summed)
    pub bad_records: u64,
    /// shadow-variant records skipped
    pub shadow_skipped: u64,
    /// partial profiles written
    pub state_keys: Vec<String>,
    /// why the object was ignored, if it was
    pub ignored: Option<String>,
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
/// with a logged reason. A missing baseline is an error (the event should be retried after
/// the baseline exists).
pub async fn run<S: ObjectStore>(store: &S, keys: &[String]) -> Result<IngestSummary, CoreError> {
    let monitors = load_monitors(store).await?;
    let mut prepared: BTreeMap<String, Prepared> = BTreeMap::new();
    let mut summary = IngestSummary::default();
    for key in keys {
        let mut obj = ObjectSummary {
            key: key.clone(),
            monitors: Vec::new(),
            records: 0,
            bad_records: 0,
            shadow_skipped: 0,
            state_keys: Vec::new(),
            ignored: None,
        };
        // 1. the monitors that claim the object, with what each needs (loaded once per call)
        let mut reasons = Vec::new();
        let mut claims: Vec<(&MonitorConfig, CaptureKey)> = Vec::new();
        for cfg in &monitors {
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
            if !prepared.contains_key(&cfg.name) {
                let p = capability_for(cfg.kind).prepare(store, cfg).await?;
                prepared.insert(cfg.name.clone(), p);
            }
            claims.push((cfg, ck));
        }
        if claims.is_empty() {
            let reason = if monitors.is_empty() {
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
            consumers.push(prepared[&cfg.name].consumer(ck, key, cfg)?);
        }
        let reader = store.reader(key).await?;
        for_each_line(reader, key, |n, line| {
            for c in &mut consumers {
                c.push(n, line);
            }
        })
        .await?;
        // 3. each monitor's state, at a key derived from the object's key
        for ((cfg, ck), consumer) in claims.iter().zip(consumers) {
            let out = consumer.finish(&cfg.name, ck)?;
            obj.records += out.records;
            obj.bad_records += out.bad_records;
            obj.shadow_skipped += out.shadow_skipped;
            let state_key = out.state_key;
            store.put(&state_key, out.body).await?;
            obj.monitors.push(cfg.name.clone());
            obj.state_keys.push(state_key);
        }
        tracing::info!(
            key = %key,
            records = obj.records,
            bad_records = obj.bad_records,
            "capture object ingested"
        );
        summary.objects.push(obj);
    }
    Ok(summary)
}
