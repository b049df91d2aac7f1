//! Ground-truth merge: labels joined to predictions as they arrive.
//!
//! For a ground-truth object `{prefix}yyyy/mm/dd/HH/{file}.jsonl` (the hour is the label
//! collection time, spec §2.1) each label is looked up among the prediction indexes that
//! capture-ingest wrote for the hours `[HH − lookback, HH + 1]`, newest first, stopping as
//! soon as every label is matched — the cost per label is bounded by the look-back, never by
//! the whole history. Memory holds the object's labels plus one index at a time.
//!
//! Output, at keys derived from the ground-truth key alone (so a replay rewrites the same
//! bytes and nothing is counted twice):
//! - `state/mq/{monitor}/yyyy/mm/dd/HH/{file}.json`: the merged model-quality state per
//!   inference minute, and the label coverage (matched, pending, expired);
//! - `state/merged/{monitor}/{endpoint}/{variant}/yyyy/mm/dd/HH/{label-hour}-{file}.jsonl`:
//!   the matched records in SageMaker's merge layout (`captureData.endpointOutput` +
//!   `groundTruthData` + `eventMetadata`), one file per inference hour.
//!
//! Labels without a prediction yet stay pending; [`retry_pending`] (called by the tick)
//! re-joins their objects until the look-back expires, after which they count as expired.
//! Because every (re-)join recomputes the whole object, matches only grow and nothing is
//! counted twice.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::app::late::mark_late_windows;
use crate::app::monitors::load_monitor_entries;
use crate::bias::BiasWindowState;
use crate::capability::capability_for;
use crate::config::MonitorConfig;
use crate::error::RetryBoundary;
use crate::formats::capture::Attribute;
use crate::formats::capture::{BadRecordKind, BadRecords};
use crate::joined::key_filter::{IndexKeyFilters, KEY_FILTER_BUDGET};
use crate::joined::labels::{
    labels_digest, JoinTarget, LabelObjectState, MinuteBias, MinuteQuality, SegmentMinuteQuality,
    VariantMinuteQuality, MQ_STATE_FORMAT,
};
use crate::joined::predictions::{parse_labels, PredictionIndex};
use crate::layout::{
    default_ground_truth_prefix, hour_floor, mq_hour_prefix, mq_state_key, prediction_hour_prefix,
};
use crate::model_quality::QualityState;
use crate::multimodel::quality::ModelMinutes;
use crate::store::{get_optional, Line, LineReader, ObjectStore, StateFile};
use crate::CoreError;

mod merged_parts;
use merged_parts::MergedParts;
pub use merged_parts::{MERGED_HELD_BYTES, MERGED_PART_LINES};

/// Decodes `{prefix}yyyy/mm/dd/HH/{file}` into the label hour and the file name.
pub fn parse_label_key(key: &str, prefix: &str) -> Option<(DateTime<Utc>, String)> {
    let rest = key.strip_prefix(prefix)?;
    let parts: Vec<&str> = rest.split('/').collect();
    if parts.len() != 5 || parts[4].is_empty() {
        return None;
    }
    let n = |s: &str| s.parse::<u32>().ok();
    let date = NaiveDate::from_ymd_opt(n(parts[0])? as i32, n(parts[1])?, n(parts[2])?)?;
    let t = date.and_hms_opt(n(parts[3])?, 0, 0)?;
    Some((Utc.from_utc_datetime(&t), parts[4].to_string()))
}

/// What merging one ground-truth object did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelObjectSummary {
    /// the ground-truth object
    pub key: String,
    /// the monitor it was merged for
    pub monitor: String,
    /// labels read
    pub labels: u64,
    /// joined to a prediction
    pub matched: u64,
    /// waiting for their prediction
    pub pending: u64,
    /// look-back passed with no prediction
    pub expired: u64,
    /// bad lines
    pub bad_records: u64,
    /// the state file written
    pub state_key: String,
}

/// Joins the labels of one ground-truth object and writes its state (and merged records).
pub async fn merge_object<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    key: &str,
    now: DateTime<Utc>,
) -> Result<LabelObjectSummary, CoreError> {
    let target = capability_for(cfg.kind).join_target(store, cfg).await?;
    let mut filters = IndexKeyFilters::new(0);
    merge_object_into(store, cfg, &target, &mut filters, key, now).await
}

/// [`merge_object`] with the monitor's join target already resolved (a bias monitor's
/// config and baseline are read once per invocation, not once per object). `filters` skips the
/// indexes an earlier object of the same invocation decoded that hold none of this object's
/// labels ([`crate::joined::key_filter`]; the result is the same without them).
// Why it is long: the probe of step 2 scores each joined record and streams its merged line
// into bounded part files in the same pass, so the per-hour loop shares four accumulators
// (quality minutes, bias minutes, merged parts, counts) that step 3 writes; split further, they
// would travel as one struct through every step for no gain in reading.
async fn merge_object_into<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    target: &JoinTarget,
    filters: &mut IndexKeyFilters,
    key: &str,
    now: DateTime<Utc>,
) -> Result<LabelObjectSummary, CoreError> {
    let settings = cfg.join().ok_or_else(|| CoreError::Config {
        field: format!("monitor {}", cfg.name),
        value: String::new(),
        message: "not a model-quality or bias monitor".into(),
    })?;
    let prefix = cfg.ground_truth_prefix();
    let (label_hour, file) = parse_label_key(key, &prefix).ok_or_else(|| CoreError::Config {
        field: "ground-truth key".into(),
        value: key.into(),
        message: format!("expected {prefix}yyyy/mm/dd/HH/<file>.jsonl"),
    })?;

    // 1. the labels of the object (last one wins for a repeated key)
    let attribute = settings
        .ground_truth_attribute
        .map(Attribute::parse)
        .transpose()
        .map_err(|e| CoreError::Config {
            field: format!("monitor {} ground_truth_attribute", cfg.name),
            value: e.attribute.clone(),
            message: e.to_string(),
        })?;
    let (mut labels, mut requests, bad) = read_labels(store, key, attribute.as_ref()).await?;
    let total = labels.len() as u64;
    let digest = labels_digest(labels.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let wanted = filters.label_hashes(labels.keys().map(String::as_str));

    // 2. probe the prediction indexes of the look-back, newest hour first
    let lookback = chrono::Duration::hours(i64::from(settings.lookback_hours));
    let mut minutes: BTreeMap<DateTime<Utc>, QualityState> = BTreeMap::new();
    let mut bias_minutes: BTreeMap<DateTime<Utc>, BiasWindowState> = BTreeMap::new();
    // per variant too, for a monitor comparing its variants (crate::variants)
    let mut variant_minutes: BTreeMap<(String, DateTime<Utc>), QualityState> = BTreeMap::new();
    // per slice too, for a monitor with a segments block (crate::segments)
    let mut segment_minutes: BTreeMap<(String, DateTime<Utc>), QualityState> = BTreeMap::new();
    // per target model too, for a multi-model endpoint's monitor (crate::multimodel)
    let mut model_minutes = match (target, &cfg.multi_model) {
        (JoinTarget::Quality(_), Some(m)) => Some(ModelMinutes::new(m.max_models)),
        _ => None,
    };
    let mut slicer = match target {
        JoinTarget::Quality(_) => crate::segments::Slicer::for_predictions(cfg)?,
        JoinTarget::Bias { .. } => None,
    };
    let mut merged = MergedParts::new(&cfg.name, &cfg.endpoint, label_hour, &file);
    let mut matched = 0u64;
    let mut unscorable = 0u64;
    let mut hour = label_hour + chrono::Duration::hours(1);
    let oldest = label_hour - lookback;
    while hour >= oldest && !labels.is_empty() {
        for index_key in store.list(&prediction_hour_prefix(&cfg.name, hour)).await? {
            if filters.skips(&index_key, &wanted) {
                continue;
            }
            let index = PredictionIndex::from_json(&index_key, &store.get(&index_key).await?)?;
            filters.remember(&index_key, &index);
            for p in &index.predictions {
                let Some(label) = labels.remove(&p.key) else {
                    continue;
                };
                matched += 1;
                let minute = Utc
                    .timestamp_opt(p.time.div_euclid(60) * 60, 0)
                    .single()
                    .unwrap_or(label_hour);
                if let (JoinTarget::Quality(quality), Some(_)) = (target, &cfg.variants) {
                    // scored again into its variant's state; an error is counted once, below
                    let _ = variant_minutes
                        .entry((p.variant.clone(), minute))
                        .or_insert_with(|| QualityState::new(quality.problem_type))
                        .add(&p.key, &label, p.label.as_deref(), p.probability, quality);
                }
                if let (JoinTarget::Quality(quality), Some(mm)) = (target, model_minutes.as_mut()) {
                    // scored again into its model's state; an error is counted once, below
                    let _ = mm.add(index.model_of(p), minute, p, &label, quality);
                }
                if let (JoinTarget::Quality(quality), Some(s)) = (target, slicer.as_mut()) {
                    for segment in s.prediction_keys(p) {
                        let _ = segment_minutes
                            .entry((segment, minute))
                            .or_insert_with(|| QualityState::new(quality.problem_type))
                            .add(&p.key, &label, p.label.as_deref(), p.probability, quality);
                    }
                }
                let scored = match target {
                    JoinTarget::Quality(quality) => minutes
                        .entry(minute)
                        .or_insert_with(|| QualityState::new(quality.problem_type))
                        .add(&p.key, &label, p.label.as_deref(), p.probability, quality)
                        .map_err(|e| e.to_string()),
                    JoinTarget::Bias { rules, flip_cap } => rules
                        .add(
                            bias_minutes
                                .entry(minute)
                                .or_insert_with(|| rules.empty_state(*flip_cap)),
                            &label,
                            p,
                        )
                        .map_err(|e| e.to_string()),
                };
                if let Err(e) = scored {
                    tracing::debug!(key = %p.key, error = %e, "joined record not scorable");
                    unscorable += 1;
                }
                if !settings.merged_records {
                    continue;
                }
                // A request of several instances is merged once, with its instance 0 (which
                // carries the raw sides) and the whole ground-truth record of the request.
                let line = if p.instances > 1 {
                    if p.instance != 0 {
                        continue;
                    }
                    let request = p.inference_id.as_deref().unwrap_or(&p.event_id);
                    let Some((data, encoding)) = requests.remove(request) else {
                        continue;
                    };
                    merged_line(p, &data, &encoding, cfg.batch_transform.is_some())
                } else {
                    merged_line(p, &label, "CSV", cfg.batch_transform.is_some())
                };
                merged
                    .push(store, &p.variant, hour_floor(minute), &line)
                    .await?;
            }
            if labels.is_empty() {
                break;
            }
        }
        hour -= chrono::Duration::hours(1);
    }
    let pending = labels.len() as u64;
    let expired = now >= label_hour + chrono::Duration::hours(1) + lookback;

    // 3. write the state and the merged records
    let state = LabelObjectState {
        format: MQ_STATE_FORMAT.into(),
        source: key.into(),
        label_hour,
        labels: total,
        matched,
        pending,
        expired: expired && pending > 0,
        unscorable,
        bad_records: bad,
        labels_digest: digest,
        minutes: minutes
            .into_iter()
            .map(|(minute, state)| MinuteQuality { minute, state })
            .collect(),
        bias_minutes: bias_minutes
            .into_iter()
            .map(|(minute, state)| MinuteBias { minute, state })
            .collect(),
        variant_minutes: variant_minutes
            .into_iter()
            .map(|((variant, minute), state)| VariantMinuteQuality {
                variant,
                minute,
                state,
            })
            .collect(),
        segment_minutes: segment_minutes
            .into_iter()
            .map(|((segment, minute), state)| SegmentMinuteQuality {
                segment,
                minute,
                state,
            })
            .collect(),
        model_minutes: model_minutes
            .map(ModelMinutes::into_minutes)
            .unwrap_or_default(),
    };
    let state_key = mq_state_key(&cfg.name, label_hour, &file);
    // through the state-file trait: nothing non-finite is ever persisted
    let body = state.to_json()?;
    // Late labels: joins this object did not have before mark their windows for the next
    // tick when already evaluated (a replay or a retry that matches nothing new marks none).
    let matched_before = match get_optional(store, &state_key).await? {
        Some(bytes) => LabelObjectState::from_json(&state_key, &bytes).map_or(0, |s| s.matched),
        None => 0,
    };
    store.put(&state_key, body).await?;
    if state.matched > matched_before {
        let minutes: Vec<DateTime<Utc>> = state
            .minutes
            .iter()
            .map(|m| m.minute)
            .chain(state.bias_minutes.iter().map(|m| m.minute))
            .collect();
        mark_late_windows(store, cfg, &minutes, key).await?;
    }
    merged.finish(store).await?;
    Ok(LabelObjectSummary {
        key: key.into(),
        monitor: cfg.name.clone(),
        labels: total,
        matched,
        pending: if state.expired { 0 } else { pending },
        expired: if state.expired { pending } else { 0 },
        bad_records: state.bad_records.total(),
        state_key,
    })
}

/// The ground-truth record of a request of several instances: `groundTruthData.data` as
/// written and its encoding, for its merged record.
type RequestTruth = (String, String);

/// The labels of the ground-truth object `key` by join key (the last one wins for a repeated
/// key; `attribute` is the monitor's `ground_truth_attribute`), the records of requests with
/// several instances by request key, and the bad lines counted by kind (the first 10 logged
/// at WARN).
async fn read_labels<S: ObjectStore>(
    store: &S,
    key: &str,
    attribute: Option<&Attribute>,
) -> Result<
    (
        HashMap<String, String>,
        HashMap<String, RequestTruth>,
        BadRecords,
    ),
    CoreError,
> {
    let mut labels: HashMap<String, String> = HashMap::new();
    let mut requests: HashMap<String, RequestTruth> = HashMap::new();
    let mut bad = BadRecords::default();
    let mut warnings = crate::formats::capture::WarnBudget::default();
    let mut reader = LineReader::new(store.reader(key).await?);
    let mut line_no = 0u64;
    while let Some(line) = reader.next_line().await.map_err(|e| CoreError::Io {
        key: key.into(),
        source: e,
    })? {
        line_no += 1;
        match line {
            Line::TooLong { .. } => bad.add(BadRecordKind::LineTooLong, line_no),
            Line::Ok(b) if b.iter().all(u8::is_ascii_whitespace) => {}
            Line::Ok(b) => match parse_labels(b, attribute) {
                Ok(record) => {
                    if record.instances > 1 {
                        requests.insert(record.key, (record.data, record.encoding));
                    }
                    for l in record.labels {
                        labels.insert(l.key, l.label);
                    }
                }
                Err((kind, message)) => {
                    if warnings.take() {
                        tracing::warn!(key, line = line_no, %kind, %message, "bad ground-truth line");
                    } else {
                        tracing::debug!(key, line = line_no, %kind, %message, "bad ground-truth line");
                    }
                    bad.add(kind, line_no);
                }
            },
        }
    }
    Ok((labels, requests, bad))
}

/// One matched record in SageMaker's merge layout (spec §2.3): `captureData` with the
/// request's `endpointInput` (when captured) and `endpointOutput` exactly as the capture
/// line wrote them, `eventMetadata` (`eventId`, `inferenceId`, `inferenceTime`),
/// `eventVersion` and `groundTruthData` (`data`, `encoding`): for a request of several
/// instances, its whole ground-truth record. A batch-transform monitor's record holds
/// `captureData.batchTransformOutput` instead ([`crate::batch::merged`]).
fn merged_line(
    p: &crate::joined::predictions::Prediction,
    data: &str,
    encoding: &str,
    batch: bool,
) -> String {
    let mut meta = serde_json::Map::new();
    meta.insert("eventId".into(), p.event_id.clone().into());
    if let Some(i) = &p.inference_id {
        meta.insert("inferenceId".into(), i.clone().into());
    }
    meta.insert("inferenceTime".into(), p.inference_time.clone().into());
    let mut line = String::from("{\"captureData\":{");
    if batch {
        line.push_str(&crate::batch::merged::batch_capture_data(p));
    } else if let Some(input) = &p.input {
        line.push_str("\"endpointInput\":");
        line.push_str(input.get());
        line.push(',');
    }
    if !batch {
        line.push_str("\"endpointOutput\":");
        line.push_str(p.output.as_ref().map_or("null", |o| o.get()));
    }
    line.push_str("},\"eventMetadata\":");
    line.push_str(&serde_json::Value::Object(meta).to_string());
    line.push_str(",\"eventVersion\":\"0\",\"groundTruthData\":");
    line.push_str(&serde_json::json!({"data": data, "encoding": encoding}).to_string());
    line.push('}');
    line
}

/// What one ground-truth-merge invocation did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeSummary {
    /// per (object, monitor)
    pub objects: Vec<LabelObjectSummary>,
    /// keys no model-quality monitor claims, with the reason
    pub ignored: Vec<(String, String)>,
    /// per (object, monitor) whose merge failed (bad config, missing or unreadable bias
    /// analysis files, unreadable prediction index): the other monitors' state is written
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<LabelObjectFailure>,
}

/// One monitor's merge of a ground-truth object that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelObjectFailure {
    /// the ground-truth object
    pub key: String,
    /// the monitor (its file name when its configuration is unreadable)
    pub monitor: String,
    /// the key and the cause
    pub reason: String,
}

/// Merges ground-truth objects (URL-decoded keys) for every model-quality monitor whose
/// ground-truth prefix holds them.
///
/// Each monitor merges inside its own error boundary: a bad or duplicate configuration or
/// unreadable analysis files fail that monitor's merge of the object (listed in
/// [`MergeSummary::failed`]) while the other monitors' state is written.
///
/// # Errors
/// Only retryable failures ([`CoreError::is_retryable`]).
pub async fn run<S: ObjectStore>(
    store: &S,
    keys: &[String],
    now: DateTime<Utc>,
) -> Result<MergeSummary, CoreError> {
    let entries = load_monitor_entries(store).await?;
    let monitors: Vec<&MonitorConfig> = entries
        .iter()
        .filter_map(|e| e.config.as_ref().ok())
        .filter(|m| m.kind.joins_ground_truth())
        .collect();
    let mut summary = MergeSummary::default();
    let mut targets: HashMap<String, Result<JoinTarget, String>> = HashMap::new();
    // several objects: the indexes decoded for one are skipped by the next when they hold
    // none of its labels (one object has nothing to reuse)
    let budget = if keys.len() > 1 { KEY_FILTER_BUDGET } else { 0 };
    let mut filters = IndexKeyFilters::new(budget);
    for key in keys {
        let mut claimed = false;
        for entry in &entries {
            // A configuration that cannot be used may be a label-joining monitor of this
            // object: it fails here rather than silently skipping the labels.
            let Err(e) = &entry.config else { continue };
            let may_claim = entry
                .endpoint
                .as_ref()
                .is_none_or(|ep| key.starts_with(&default_ground_truth_prefix(ep)));
            if may_claim {
                claimed = true;
                summary.failed.push(LabelObjectFailure {
                    key: key.clone(),
                    monitor: entry.name.clone(),
                    reason: format!("Monitor configuration {} unusable: {e}", entry.key),
                });
            }
        }
        for cfg in &monitors {
            if !key.starts_with(&cfg.ground_truth_prefix()) {
                continue;
            }
            claimed = true;
            if !targets.contains_key(&cfg.name) {
                let t = capability_for(cfg.kind)
                    .join_target(store, cfg)
                    .await
                    .propagate_retryable()?
                    .map_err(|e| format!("Analysis config or baseline missing or unreadable: {e}"));
                targets.insert(cfg.name.clone(), t);
            }
            let merged = match &targets[&cfg.name] {
                Ok(t) => merge_object_into(store, cfg, t, &mut filters, key, now)
                    .await
                    .propagate_retryable()?
                    .map_err(|e| e.to_string()),
                Err(reason) => Err(reason.clone()),
            };
            match merged {
                Ok(s) => {
                    tracing::info!(key = %key, monitor = %cfg.name, matched = s.matched, pending = s.pending, "ground truth merged");
                    summary.objects.push(s);
                }
                Err(reason) => {
                    tracing::warn!(key = %key, monitor = %cfg.name, %reason, "ground-truth merge failed for monitor");
                    summary.failed.push(LabelObjectFailure {
                        key: key.clone(),
                        monitor: cfg.name.clone(),
                        reason,
                    });
                }
            }
        }
        if !claimed {
            let reason = if monitors.is_empty() {
                "no model-quality or bias monitors configured".to_string()
            } else {
                format!(
                    "outside every ground-truth prefix ({})",
                    monitors
                        .iter()
                        .map(|m| m.ground_truth_prefix())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            tracing::info!(key = %key, %reason, "ground-truth object ignored");
            summary.ignored.push((key.clone(), reason));
        }
    }
    Ok(summary)
}

/// Re-joins the ground-truth objects of `cfg` that still have pending labels and whose
/// look-back has not expired (or has just expired: they are rewritten once as expired).
pub async fn retry_pending<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    now: DateTime<Utc>,
) -> Result<u64, CoreError> {
    let Some(settings) = cfg.join() else {
        return Ok(0);
    };
    let lookback = chrono::Duration::hours(i64::from(settings.lookback_hours));
    let mut hour = hour_floor(now) - lookback - chrono::Duration::hours(2);
    let mut retried = 0;
    let mut target = None;
    while hour <= hour_floor(now) {
        for key in store.list(&mq_hour_prefix(&cfg.name, hour)).await? {
            let state = LabelObjectState::from_json(&key, &store.get(&key).await?)?;
            if state.pending > 0 && !state.expired {
                if target.is_none() {
                    target = Some(capability_for(cfg.kind).join_target(store, cfg).await?);
                }
                let Some(t) = &target else { continue };
                let mut filters = IndexKeyFilters::new(0);
                merge_object_into(store, cfg, t, &mut filters, &state.source, now).await?;
                retried += 1;
            }
        }
        hour += chrono::Duration::hours(1);
    }
    Ok(retried)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_keys() {
        let (h, f) = parse_label_key(
            "ground-truth/ep/2026/11/01/05/labels.jsonl",
            "ground-truth/ep/",
        )
        .unwrap();
        assert_eq!(h.to_rfc3339(), "2026-11-01T05:00:00+00:00");
        assert_eq!(f, "labels.jsonl");
        assert!(parse_label_key(
            "ground-truth/ep/2026/11/01/labels.jsonl",
            "ground-truth/ep/"
        )
        .is_none());
        assert!(parse_label_key("other/x", "ground-truth/ep/").is_none());
    }

    // ---- one invocation, several label objects: the indexes decoded once are reused ----

    use crate::config::{save_monitor, ModelQualitySettings, MonitorKind};
    use crate::store::MemoryStore;

    const EP: &str = "ep";

    fn quality_monitor() -> MonitorConfig {
        MonitorConfig {
            model_quality: Some(ModelQualitySettings::binary("1")),
            ..MonitorConfig::new("mq", MonitorKind::ModelQuality, EP, "baselines/mq")
        }
    }

    fn hour(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, 1, h, 0, 0).unwrap()
    }

    /// A store with the monitor, capture hours 0..3 of 20 records each (ids `h*20..h*20+20`,
    /// indexed by capture-ingest), and one label object per capture hour, all filed at hour 5
    /// (as the one-shot job files them), plus one label that has no prediction. Returns the
    /// label keys in the order the job passes them (oldest capture hour first).
    async fn labelled_store() -> (MemoryStore, Vec<String>) {
        let store = MemoryStore::new();
        save_monitor(&store, &quality_monitor()).await.unwrap();
        let mut keys = Vec::new();
        for h in 0..3u32 {
            let ids = h as usize * 20..h as usize * 20 + 20;
            let capture: String = ids
                .clone()
                .map(|i| {
                    format!(
                        "{{\"captureData\":{{\"endpointOutput\":{{\"observedContentType\":\"text/csv\",\"mode\":\"OUTPUT\",\"data\":\"0.{:02}\",\"encoding\":\"CSV\"}}}},\"eventMetadata\":{{\"eventId\":\"e{i}\",\"inferenceTime\":\"2024-03-01T{h:02}:{:02}:00Z\"}},\"eventVersion\":\"0\"}}\n",
                        (i * 37) % 100,
                        i % 60
                    )
                })
                .collect();
            let ckey = format!("data-capture/{EP}/AllTraffic/2024/03/01/{h:02}/c.jsonl");
            store.put(&ckey, capture.into_bytes()).await.unwrap();
            crate::app::ingest::run(&store, std::slice::from_ref(&ckey))
                .await
                .unwrap();
            let mut labels: String = ids
                .map(|i| {
                    format!(
                        "{{\"groundTruthData\":{{\"data\":\"{}\",\"encoding\":\"CSV\"}},\"eventMetadata\":{{\"eventId\":\"e{i}\"}},\"eventVersion\":\"0\"}}\n",
                        i % 2
                    )
                })
                .collect();
            if h == 1 {
                labels.push_str("{\"groundTruthData\":{\"data\":\"1\",\"encoding\":\"CSV\"},\"eventMetadata\":{\"eventId\":\"never\"},\"eventVersion\":\"0\"}\n");
            }
            let key = format!("ground-truth/{EP}/2024/03/01/05/{h}-labels.jsonl");
            store.put(&key, labels.into_bytes()).await.unwrap();
            keys.push(key);
        }
        (store, keys)
    }

    /// Every object under `prefix`, key and bytes.
    async fn objects(store: &MemoryStore, prefix: &str) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for key in store.list(prefix).await.unwrap() {
            let bytes = store.get(&key).await.unwrap();
            out.push((key, bytes));
        }
        out
    }

    /// The merge of three label objects in one invocation writes the same states and merged
    /// records, byte for byte, as three invocations of one object each (no filters).
    #[tokio::test]
    async fn several_objects_in_one_invocation_write_what_one_at_a_time_writes() {
        let now = hour(6);
        let (together, keys) = labelled_store().await;
        let summary = run(&together, &keys, now).await.unwrap();
        let (apart, _) = labelled_store().await;
        for key in &keys {
            run(&apart, std::slice::from_ref(key), now).await.unwrap();
        }
        let matched: Vec<(u64, u64)> = summary
            .objects
            .iter()
            .map(|o| (o.matched, o.pending))
            .collect();
        // 20 labels per capture hour, all matched; the label "never" pends
        assert_eq!(matched, [(20, 0), (20, 1), (20, 0)]);
        let written = objects(&together, "state/mq/").await;
        assert_eq!(written.len(), 3);
        assert_eq!(written, objects(&apart, "state/mq/").await);
        let merged = objects(&together, "state/merged/").await;
        assert_eq!(merged.len(), 3);
        assert_eq!(merged, objects(&apart, "state/merged/").await);
    }

    /// The filters do skip: once the first object (capture hour 0, so every hour is probed)
    /// has decoded the indexes, the index of hour 2 is not read again for the object of hour
    /// 1 (unreadable bytes there are never seen), while an object without filters reads it.
    #[tokio::test]
    async fn an_index_holding_none_of_the_labels_is_not_read_again() {
        let now = hour(6);
        let (store, keys) = labelled_store().await;
        let cfg = quality_monitor();
        let target = capability_for(cfg.kind)
            .join_target(&store, &cfg)
            .await
            .unwrap();
        let mut filters = IndexKeyFilters::new(KEY_FILTER_BUDGET);
        let first = merge_object_into(&store, &cfg, &target, &mut filters, &keys[0], now)
            .await
            .unwrap();
        assert_eq!(first.matched, 20);
        // the three capture hours' indexes, 20 predictions each
        assert_eq!(filters.held(), 60);
        let hour2 = store
            .list(&prediction_hour_prefix(&cfg.name, hour(2)))
            .await
            .unwrap();
        assert_eq!(hour2.len(), 1);
        store
            .put(&hour2[0], b"not an index".to_vec())
            .await
            .unwrap();
        let second = merge_object_into(&store, &cfg, &target, &mut filters, &keys[1], now)
            .await
            .unwrap();
        assert_eq!((second.matched, second.pending), (20, 1));
        let mut none = IndexKeyFilters::new(0);
        let unfiltered = merge_object_into(&store, &cfg, &target, &mut none, &keys[1], now).await;
        assert!(unfiltered.is_err());
    }

    /// A monitor with `merged_records: false` writes the same states and no merged record.
    #[tokio::test]
    async fn without_merged_records_the_states_are_the_same() {
        let now = hour(6);
        let (with, keys) = labelled_store().await;
        run(&with, &keys, now).await.unwrap();
        let (without, _) = labelled_store().await;
        let mut cfg = quality_monitor();
        cfg.model_quality.as_mut().unwrap().merged_records = false;
        crate::config::save_monitor(&without, &cfg).await.unwrap();
        let summary = run(&without, &keys, now).await.unwrap();
        assert_eq!(summary.objects.len(), 3);
        assert_eq!(objects(&with, "state/merged/").await.len(), 3);
        assert!(objects(&without, "state/merged/").await.is_empty());
        assert_eq!(
            objects(&with, "state/mq/").await,
            objects(&without, "state/mq/").await
        );
    }
}
