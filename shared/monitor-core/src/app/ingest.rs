//! Capture ingest: one capture object in, one mergeable partial profile per monitor out.
//!
//! The object is streamed line by line (bounded memory whatever its size). Each record goes
//! into the profile of the minute of its `inferenceTime`, so a monitor can use any window
//! length of at least a minute. The partial profile is written at a key derived from the
//! capture key alone, so a replayed or duplicated event rewrites the same bytes and nothing
//! is counted twice. Bad lines are counted by kind, with their first line numbers, and never
//! stop the good lines.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use drift_math::types::{InferredType, ValueClass};
use serde::{Deserialize, Serialize};

use crate::capture::{BadRecordKind, CaptureMapping, CaptureParser, RowBatch};
use crate::checks::Baseline;
use crate::explain::{
    explain_object, parse_baseline_csv, AttributionContext, ExplainabilityConfig,
};
use crate::formats::clarify::AnalysisConfig;
use crate::layout::{parse_capture_key, profile_key, CaptureKey};
use crate::monitor::{load_monitors, MonitorConfig, MonitorKind};
use crate::predictions::{
    prediction_of_line, PredictionAttributes, PredictionError, PredictionIndex,
};
use crate::profile::DatasetProfile;
use crate::store::{Line, LineReader, ObjectStore};
use crate::CoreError;

/// Identifies our partial-profile files.
pub const PARTIAL_PROFILE_FORMAT: &str = "modelwatch.partial-profile";
/// Version of the partial-profile layout.
pub const PARTIAL_PROFILE_VERSION: u32 = 1;
/// How many line numbers are kept per bad-record kind.
pub const FIRST_LINES_KEPT: usize = 5;

/// Bad records of one kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadKind {
    /// how many
    pub count: u64,
    /// the first line numbers (1-based) in their object
    pub first_lines: Vec<u64>,
}

/// Bad records by kind (`invalid_json`, `wrong_column_count`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadRecords {
    /// per kind
    pub by_kind: BTreeMap<String, BadKind>,
}

impl BadRecords {
    /// Records one bad line.
    pub fn add(&mut self, kind: BadRecordKind, line: u64) {
        let e = self.by_kind.entry(kind.to_string()).or_default();
        e.count += 1;
        if e.first_lines.len() < FIRST_LINES_KEPT {
            e.first_lines.push(line);
        }
    }

    /// Adds another set (line numbers of another object are not meaningful here, so only
    /// the counts add up; the first lines of `self` are kept).
    pub fn merge(&mut self, other: &BadRecords) {
        for (k, v) in &other.by_kind {
            let e = self.by_kind.entry(k.clone()).or_default();
            e.count += v.count;
            for l in &v.first_lines {
                if e.first_lines.len() < FIRST_LINES_KEPT {
                    e.first_lines.push(*l);
                }
            }
        }
    }

    /// Total bad records.
    pub fn total(&self) -> u64 {
        self.by_kind.values().map(|k| k.count).sum()
    }
}

/// Everything ingest learned about one minute of one capture object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MinuteProfile {
    /// start of the minute (UTC)
    pub minute: DateTime<Utc>,
    /// the data
    pub profile: DatasetProfile,
    /// bad records attributed to this minute (the minute of the record before them)
    pub bad_records: BadRecords,
    /// shadow-variant records skipped
    pub shadow_skipped: u64,
}

/// The partial profile of one capture object for one monitor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartialProfile {
    /// always [`PARTIAL_PROFILE_FORMAT`]
    pub format: String,
    /// layout version
    pub version: u32,
    /// monitor name
    pub monitor: String,
    /// the capture object
    pub source: String,
    /// lines read
    pub lines: u64,
    /// per minute, ascending
    pub minutes: Vec<MinuteProfile>,
}

impl PartialProfile {
    /// Decodes a partial profile, checking its format and version.
    pub fn from_json(key: &str, bytes: &[u8]) -> Result<Self, CoreError> {
        let p: PartialProfile = serde_json::from_slice(bytes).map_err(|e| CoreError::State {
            key: key.into(),
            message: e.to_string(),
        })?;
        if p.format != PARTIAL_PROFILE_FORMAT || p.version != PARTIAL_PROFILE_VERSION {
            return Err(CoreError::State {
                key: key.into(),
                message: format!(
                    "format {} version {} (expected {PARTIAL_PROFILE_FORMAT} {PARTIAL_PROFILE_VERSION})",
                    p.format, p.version
                ),
            });
        }
        Ok(p)
    }

    /// Encodes it (compact JSON; deterministic for the same input).
    pub fn to_json(&self) -> Result<Vec<u8>, CoreError> {
        serde_json::to_vec(self).map_err(|e| CoreError::State {
            key: self.source.clone(),
            message: e.to_string(),
        })
    }

    /// Records in all minutes.
    pub fn records(&self) -> u64 {
        self.minutes.iter().map(|m| m.profile.item_count).sum()
    }

    /// Bad records in all minutes.
    pub fn bad_records(&self) -> u64 {
        self.minutes.iter().map(|m| m.bad_records.total()).sum()
    }
}

/// The capture mapping of a monitor: feature names from its baseline, options from its config.
pub fn capture_mapping(cfg: &MonitorConfig, baseline: &Baseline) -> CaptureMapping {
    let mut mapping = CaptureMapping::new(baseline.feature_names());
    mapping.output_columns = cfg.capture.output_columns;
    mapping.json_pointers = cfg.capture.json_pointers.clone();
    mapping
}

/// The minute a record without a usable `inferenceTime` is attributed to: the capture
/// object's hour plus the minute in its file name (`{MM}-{SS}-{mmm}-{uuid}.jsonl`).
fn fallback_minute(key: &CaptureKey) -> DateTime<Utc> {
    let mm = key
        .file
        .get(..2)
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|m| (0..60).contains(m))
        .unwrap_or(0);
    key.hour + chrono::Duration::minutes(mm)
}

/// Profiles one capture object for one monitor (the pure part of ingest).
pub async fn profile_object<R: tokio::io::AsyncRead + Unpin>(
    reader: R,
    key: &CaptureKey,
    source: &str,
    cfg: &MonitorConfig,
    baseline: &Baseline,
) -> Result<PartialProfile, CoreError> {
    let mapping = capture_mapping(cfg, baseline);
    let mut parser = CaptureParser::new(&mapping)
        .map_err(|e| CoreError::Config {
            field: format!("monitor {} capture mapping", cfg.name),
            value: String::new(),
            message: e.to_string(),
        })?
        .collect_ids(false);
    let numeric: Vec<bool> = mapping
        .features
        .iter()
        .map(|f| {
            matches!(
                baseline.inferred_type(f),
                InferredType::Integral | InferredType::Fractional
            )
        })
        .collect();
    let n_features = mapping.features.len();
    let empty = baseline.empty_profile();
    let mut minutes: Vec<MinuteProfile> = Vec::new();
    let mut current = fallback_minute(key);
    let mut cur_idx: Option<usize> = None;
    let mut current_minute = current.timestamp().div_euclid(60);
    let mut batch = RowBatch::new();
    let mut lines = LineReader::new(reader);
    let mut line_count = 0u64;

    // Index of the minute profile for `m`, creating it if needed.
    fn slot(minutes: &mut Vec<MinuteProfile>, empty: &DatasetProfile, m: DateTime<Utc>) -> usize {
        match minutes.iter().position(|x| x.minute == m) {
            Some(i) => i,
            None => {
                minutes.push(MinuteProfile {
                    minute: m,
                    profile: empty.clone(),
                    bad_records: BadRecords::default(),
                    shadow_skipped: 0,
                });
                minutes.len() - 1
            }
        }
    }

    loop {
        let line = lines.next_line().await.map_err(|e| CoreError::Io {
            key: source.into(),
            source: e,
        })?;
        let Some(line) = line else { break };
        line_count += 1;
        let line_no = line_count;
        let bytes = match line {
            Line::TooLong { .. } => {
                let i = *cur_idx.get_or_insert_with(|| slot(&mut minutes, &empty, current));
                minutes[i]
                    .bad_records
                    .add(BadRecordKind::LineTooLong, line_no);
                continue;
            }
            Line::Ok(b) => b,
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match parser.parse_line_multi(bytes, &mut batch) {
            Ok(meta) => {
                if let Some(m) = meta.inference_minute {
                    if m != current_minute {
                        if let Some(t) = Utc.timestamp_opt(m * 60, 0).single() {
                            current = t;
                            current_minute = m;
                            cur_idx = None;
                        }
                    }
                }
                let i = *cur_idx.get_or_insert_with(|| slot(&mut minutes, &empty, current));
                let mp = &mut minutes[i];
                if meta.skipped_shadow {
                    mp.shadow_skipped += 1;
                    continue;
                }
                let mut unparsable = false;
                for row in &batch {
                    let profile = &mut mp.profile;
                    for (j, value) in row.iter().enumerate().take(n_features) {
                        let f = &mut profile.features[j];
                        match value {
                            None => f.observe_null(),
                            Some(v) => {
                                let class = f.observe(v);
                                if numeric[j]
                                    && !matches!(
                                        class,
                                        ValueClass::Integral | ValueClass::Fractional
                                    )
                                {
                                    unparsable = true;
                                }
                            }
                        }
                    }
                    profile.item_count += 1;
                    *profile.column_counts.entry(n_features).or_default() += 1;
                }
                if unparsable {
                    mp.bad_records.add(BadRecordKind::UnparsableNumber, line_no);
                }
            }
            Err(bad) => {
                let i = *cur_idx.get_or_insert_with(|| slot(&mut minutes, &empty, current));
                let mp = &mut minutes[i];
                if let crate::capture::BadRecord::WrongColumnCount { found, .. } = &bad {
                    *mp.profile.column_counts.entry(*found).or_default() += 1;
                }
                mp.bad_records.add(bad.kind(), line_no);
                tracing::debug!(source, line = line_no, error = %bad, "bad capture record");
            }
        }
    }
    minutes.sort_by_key(|m| m.minute);
    Ok(PartialProfile {
        format: PARTIAL_PROFILE_FORMAT.into(),
        version: PARTIAL_PROFILE_VERSION,
        monitor: cfg.name.clone(),
        source: source.into(),
        lines: line_count,
        minutes,
    })
}

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
/// Keys outside a monitor's capture prefix, or of endpoints no monitor watches, are ignored
/// with a logged reason. A missing baseline is an error (the event should be retried after
/// the baseline exists).
pub async fn run<S: ObjectStore>(store: &S, keys: &[String]) -> Result<IngestSummary, CoreError> {
    let monitors = load_monitors(store).await?;
    let mut baselines: BTreeMap<String, Baseline> = BTreeMap::new();
    let mut attributes: BTreeMap<String, PredictionAttributes> = BTreeMap::new();
    let mut explainers: BTreeMap<String, AttributionContext> = BTreeMap::new();
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
        let mut reasons = Vec::new();
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
            if cfg.kind == MonitorKind::ModelExplainability {
                if !explainers.contains_key(&cfg.name) {
                    let ctx = attribution_context(store, cfg).await?;
                    explainers.insert(cfg.name.clone(), ctx);
                }
                let reader = store.reader(key).await?;
                let state = explain_object(reader, &ck, key, cfg, &explainers[&cfg.name]).await?;
                let state_key = attribution_key(&cfg.name, &ck);
                store.put(&state_key, state.to_json()?).await?;
                obj.monitors.push(cfg.name.clone());
                obj.records += state.records();
                obj.bad_records += state.bad_records();
                obj.state_keys.push(state_key);
                continue;
            }
            if cfg.kind.joins_ground_truth() {
                if !attributes.contains_key(&cfg.name) {
                    let a = prediction_attributes(store, cfg).await?;
                    attributes.insert(cfg.name.clone(), a);
                }
                let reader = store.reader(key).await?;
                let index = index_object(reader, &ck, key, &attributes[&cfg.name]).await?;
                let state_key = prediction_index_key(&cfg.name, &ck);
                store.put(&state_key, index.to_json()?).await?;
                obj.monitors.push(cfg.name.clone());
                obj.records += index.predictions.len() as u64;
                obj.bad_records += index.bad_records.total();
                obj.state_keys.push(state_key);
                continue;
            }
            if !baselines.contains_key(&cfg.name) {
                let b = load_baseline(store, cfg).await?;
                baselines.insert(cfg.name.clone(), b);
            }
            let baseline = &baselines[&cfg.name];
            let reader = store.reader(key).await?;
            let partial = profile_object(reader, &ck, key, cfg, baseline).await?;
            let state_key = profile_key(&cfg.name, &ck);
            store.put(&state_key, partial.to_json()?).await?;
            obj.monitors.push(cfg.name.clone());
            obj.records += partial.records();
            obj.bad_records += partial.bad_records();
            obj.shadow_skipped += partial
                .minutes
                .iter()
                .map(|m| m.shadow_skipped)
                .sum::<u64>();
            obj.state_keys.push(state_key);
        }
        if obj.monitors.is_empty() {
            let reason = if monitors.is_empty() {
                "no monitors configured under config/monitors/".to_string()
            } else {
                reasons.join("; ")
            };
            tracing::info!(key = %key, reason = %reason, "capture object ignored");
            obj.ignored = Some(reason);
        } else {
            tracing::info!(
                key = %key,
                records = obj.records,
                bad_records = obj.bad_records,
                "capture object ingested"
            );
        }
        summary.objects.push(obj);
    }
    Ok(summary)
}

/// Loads a monitor's baseline files.
pub async fn load_baseline<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
) -> Result<Baseline, CoreError> {
    let (sk, ck) = (cfg.statistics_key(), cfg.constraints_key());
    let stats = store.get(&sk).await?;
    let cons = store.get(&ck).await?;
    Baseline::from_json(&sk, &stats, &ck, &cons)
}

/// Start of the hour containing `t`.
pub fn hour_floor(t: DateTime<Utc>) -> DateTime<Utc> {
    let s = t.timestamp().div_euclid(3600) * 3600;
    Utc.timestamp_opt(s, 0).single().unwrap_or(t)
}

/// Key of the prediction index of one capture object for one model-quality monitor.
pub fn prediction_index_key(monitor: &str, capture: &CaptureKey) -> String {
    let stem = capture.file.strip_suffix(".jsonl").unwrap_or(&capture.file);
    format!(
        "{}predictions/{monitor}/{}/{}/{stem}.json",
        crate::layout::STATE_PREFIX,
        crate::layout::hour_path(capture.hour),
        capture.variant
    )
}

/// Prefix of one hour of a monitor's prediction indexes.
pub fn prediction_hour_prefix(monitor: &str, hour: DateTime<Utc>) -> String {
    format!(
        "{}predictions/{monitor}/{}/",
        crate::layout::STATE_PREFIX,
        crate::layout::hour_path(hour)
    )
}

/// Where a model-quality or bias monitor finds the prediction (and, for bias, the facets)
/// in the capture: its configured attributes, with the facet and group columns of its
/// Clarify analysis config added where not configured ([`crate::bias::facet_attributes`]).
///
/// # Errors
/// [`CoreError::NotFound`] / [`CoreError::Format`] for a bias monitor whose analysis config
/// is missing or malformed; [`CoreError::Config`] for a facet column that cannot be located.
pub async fn prediction_attributes<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
) -> Result<PredictionAttributes, CoreError> {
    let mut attrs = cfg.join().map(|j| j.attributes.clone()).unwrap_or_default();
    if cfg.kind == MonitorKind::ModelBias {
        let key = cfg.analysis_config_key();
        let config = AnalysisConfig::from_json(&store.get(&key).await?)
            .map_err(|source| CoreError::Format { key, source })?;
        attrs.facet_attributes = crate::bias::facet_attributes(&config, &attrs.facet_attributes)?;
    }
    Ok(attrs)
}

/// Resolves an explainability monitor's analysis config and SHAP baseline rows.
///
/// # Errors
/// [`CoreError::NotFound`] / [`CoreError::Config`] / [`CoreError::Dataset`] naming the
/// missing or bad file or field.
pub async fn attribution_context<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
) -> Result<AttributionContext, CoreError> {
    let key = cfg.analysis_config_key();
    let config = ExplainabilityConfig::from_json(&key, &store.get(&key).await?)?;
    let features = config.features(&key)?;
    let background = match config.inline_baseline(&key)? {
        Some(rows) => rows,
        None => match config.baseline_key() {
            Some(k) => parse_baseline_csv(&k, &store.get(&k).await?, features.len())?,
            None => {
                return Err(CoreError::Config {
                    field: format!("{key}: methods.shap.baseline"),
                    value: String::new(),
                    message: "a SHAP baseline is required (rows, or the key of a CSV of rows); \
                              `modelwatch baseline --explainability-config` writes one"
                        .into(),
                })
            }
        },
    };
    AttributionContext::new(cfg, &config, &key, background)
}

/// Key of the attribution state of one capture object for one explainability monitor.
pub fn attribution_key(monitor: &str, capture: &CaptureKey) -> String {
    let stem = capture.file.strip_suffix(".jsonl").unwrap_or(&capture.file);
    format!(
        "{}{stem}.json",
        attribution_hour_variant_prefix(monitor, capture.hour, &capture.variant)
    )
}

fn attribution_hour_variant_prefix(monitor: &str, hour: DateTime<Utc>, variant: &str) -> String {
    format!("{}{variant}/", attribution_hour_prefix(monitor, hour))
}

/// Prefix of one hour of a monitor's attribution states.
pub fn attribution_hour_prefix(monitor: &str, hour: DateTime<Utc>) -> String {
    format!(
        "{}attributions/{monitor}/{}/",
        crate::layout::STATE_PREFIX,
        crate::layout::hour_path(hour)
    )
}

/// Builds the prediction index of one capture object (streamed line by line).
pub async fn index_object<R: tokio::io::AsyncRead + Unpin>(
    reader: R,
    key: &CaptureKey,
    source: &str,
    attrs: &PredictionAttributes,
) -> Result<PredictionIndex, CoreError> {
    let mut lines = LineReader::new(reader);
    let mut line_no = 0u64;
    let mut index = PredictionIndex {
        format: crate::predictions::PREDICTION_INDEX_FORMAT.into(),
        version: crate::predictions::PREDICTION_INDEX_VERSION,
        source: source.into(),
        predictions: Vec::new(),
        bad_records: BadRecords::default(),
    };
    while let Some(line) = lines.next_line().await.map_err(|e| CoreError::Io {
        key: source.into(),
        source: e,
    })? {
        line_no += 1;
        let bytes = match line {
            Line::TooLong { .. } => {
                index.bad_records.add(BadRecordKind::LineTooLong, line_no);
                continue;
            }
            Line::Ok(b) => b,
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match prediction_of_line(bytes, attrs, &key.variant) {
            Ok(p) => index.predictions.push(p),
            Err(PredictionError::Shadow) => {}
            Err(PredictionError::Bad(kind, message)) => {
                tracing::debug!(source, line = line_no, %message, "no prediction in capture line");
                index.bad_records.add(kind, line_no);
            }
        }
    }
    Ok(index)
}
