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
use crate::explain::{parse_baseline_csv, AttributionContext, Attributor, ExplainabilityConfig};
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
        crate::store::decode_state(
            key,
            bytes,
            |p: &PartialProfile| (p.format.as_str(), p.version),
            PARTIAL_PROFILE_FORMAT,
            Some(PARTIAL_PROFILE_VERSION),
        )
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

/// Builds the partial profile of one capture object for one monitor, line by line: the
/// data-quality consumer of [`run`]'s single pass over the object.
pub struct Profiler {
    parser: CaptureParser,
    numeric: Vec<bool>,
    n_features: usize,
    empty: DatasetProfile,
    minutes: Vec<MinuteProfile>,
    current: DateTime<Utc>,
    cur_idx: Option<usize>,
    current_minute: i64,
    batch: RowBatch,
    lines: u64,
    monitor: String,
    source: String,
}

impl Profiler {
    /// A profiler of the capture object `key` (named `source`) for monitor `cfg`.
    ///
    /// # Errors
    /// [`CoreError::Config`] when the monitor's capture mapping is invalid.
    pub fn new(
        key: &CaptureKey,
        source: &str,
        cfg: &MonitorConfig,
        baseline: &Baseline,
    ) -> Result<Self, CoreError> {
        let mapping = capture_mapping(cfg, baseline);
        let parser = CaptureParser::new(&mapping)
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
        let current = fallback_minute(key);
        Ok(Profiler {
            parser,
            numeric,
            n_features: mapping.features.len(),
            empty: baseline.empty_profile(),
            minutes: Vec::new(),
            current,
            cur_idx: None,
            current_minute: current.timestamp().div_euclid(60),
            batch: RowBatch::new(),
            lines: 0,
            monitor: cfg.name.clone(),
            source: source.into(),
        })
    }

    /// Index of the minute profile of the current minute, creating it if needed.
    fn slot(&mut self) -> usize {
        if let Some(i) = self.cur_idx {
            return i;
        }
        let m = self.current;
        let i = match self.minutes.iter().position(|x| x.minute == m) {
            Some(i) => i,
            None => {
                self.minutes.push(MinuteProfile {
                    minute: m,
                    profile: self.empty.clone(),
                    bad_records: BadRecords::default(),
                    shadow_skipped: 0,
                });
                self.minutes.len() - 1
            }
        };
        self.cur_idx = Some(i);
        i
    }

    /// Takes line `line_no` (1-based) of the object.
    pub fn push(&mut self, line_no: u64, line: &Line<'_>) {
        self.lines = self.lines.max(line_no);
        let bytes = match line {
            Line::TooLong { .. } => {
                let i = self.slot();
                self.minutes[i]
                    .bad_records
                    .add(BadRecordKind::LineTooLong, line_no);
                return;
            }
            Line::Ok(b) => *b,
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        match self.parser.parse_line_multi(bytes, &mut self.batch) {
            Ok(meta) => {
                if let Some(m) = meta.inference_minute {
                    if m != self.current_minute {
                        if let Some(t) = Utc.timestamp_opt(m * 60, 0).single() {
                            self.current = t;
                            self.current_minute = m;
                            self.cur_idx = None;
                        }
                    }
                }
                let i = self.slot();
                let mp = &mut self.minutes[i];
                if meta.skipped_shadow {
                    mp.shadow_skipped += 1;
                    return;
                }
                let mut unparsable = false;
                for row in &self.batch {
                    let profile = &mut mp.profile;
                    for (j, value) in row.iter().enumerate().take(self.n_features) {
                        let f = &mut profile.features[j];
                        match value {
                            None => f.observe_null(),
                            Some(v) => {
                                let class = f.observe(v);
                                if self.numeric[j]
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
                    *profile.column_counts.entry(self.n_features).or_default() += 1;
                }
                if unparsable {
                    mp.bad_records.add(BadRecordKind::UnparsableNumber, line_no);
                }
            }
            Err(bad) => {
                let i = self.slot();
                let mp = &mut self.minutes[i];
                if let crate::capture::BadRecord::WrongColumnCount { found, .. } = &bad {
                    *mp.profile.column_counts.entry(*found).or_default() += 1;
                }
                mp.bad_records.add(bad.kind(), line_no);
                tracing::debug!(source = %self.source, line = line_no, error = %bad, "bad capture record");
            }
        }
    }

    /// The partial profile of everything pushed.
    pub fn finish(mut self) -> PartialProfile {
        self.minutes.sort_by_key(|m| m.minute);
        PartialProfile {
            format: PARTIAL_PROFILE_FORMAT.into(),
            version: PARTIAL_PROFILE_VERSION,
            monitor: self.monitor,
            source: self.source,
            lines: self.lines,
            minutes: self.minutes,
        }
    }
}

/// Streams `reader` line by line into `push` (bounded memory); returns the line count.
///
/// # Errors
/// [`CoreError::Io`] naming `source` when the stream fails.
pub async fn for_each_line<R: tokio::io::AsyncRead + Unpin>(
    reader: R,
    source: &str,
    mut push: impl FnMut(u64, &Line<'_>),
) -> Result<u64, CoreError> {
    let mut lines = LineReader::new(reader);
    let mut line_no = 0u64;
    while let Some(line) = lines.next_line().await.map_err(|e| CoreError::Io {
        key: source.into(),
        source: e,
    })? {
        line_no += 1;
        push(line_no, &line);
    }
    Ok(line_no)
}

/// Profiles one capture object for one monitor (the pure part of ingest).
pub async fn profile_object<R: tokio::io::AsyncRead + Unpin>(
    reader: R,
    key: &CaptureKey,
    source: &str,
    cfg: &MonitorConfig,
    baseline: &Baseline,
) -> Result<PartialProfile, CoreError> {
    let mut p = Profiler::new(key, source, cfg, baseline)?;
    let lines = for_each_line(reader, source, |n, l| p.push(n, l)).await?;
    let mut out = p.finish();
    out.lines = lines;
    Ok(out)
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
/// Each object is read once, whatever the number of monitors watching its endpoint: every
/// line goes to each monitor's consumer ([`Profiler`], [`Indexer`], [`Attributor`]).
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
            if cfg.kind == MonitorKind::ModelExplainability {
                if !explainers.contains_key(&cfg.name) {
                    explainers.insert(cfg.name.clone(), attribution_context(store, cfg).await?);
                }
            } else if cfg.kind.joins_ground_truth() {
                if !attributes.contains_key(&cfg.name) {
                    attributes.insert(cfg.name.clone(), prediction_attributes(store, cfg).await?);
                }
            } else if !baselines.contains_key(&cfg.name) {
                baselines.insert(cfg.name.clone(), load_baseline(store, cfg).await?);
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
            consumers.push(match cfg.kind {
                MonitorKind::ModelExplainability => {
                    Consumer::Attributions(Attributor::new(ck, key, cfg, &explainers[&cfg.name])?)
                }
                kind if kind.joins_ground_truth() => {
                    Consumer::Predictions(Indexer::new(ck, key, &attributes[&cfg.name]))
                }
                _ => Consumer::Profile(Profiler::new(ck, key, cfg, &baselines[&cfg.name])?),
            });
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
            let (state_key, body) = match consumer {
                Consumer::Profile(p) => {
                    let partial = p.finish();
                    obj.records += partial.records();
                    obj.bad_records += partial.bad_records();
                    obj.shadow_skipped += partial
                        .minutes
                        .iter()
                        .map(|m| m.shadow_skipped)
                        .sum::<u64>();
                    (profile_key(&cfg.name, ck), partial.to_json()?)
                }
                Consumer::Predictions(ix) => {
                    let index = ix.finish();
                    obj.records += index.predictions.len() as u64;
                    obj.bad_records += index.bad_records.total();
                    (prediction_index_key(&cfg.name, ck), index.to_json()?)
                }
                Consumer::Attributions(a) => {
                    let state = a.finish();
                    obj.records += state.records();
                    obj.bad_records += state.bad_records();
                    (attribution_key(&cfg.name, ck), state.to_json()?)
                }
            };
            store.put(&state_key, body).await?;
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

/// One monitor's consumer of the single pass over a capture object.
enum Consumer<'a> {
    Profile(Profiler),
    Predictions(Indexer<'a>),
    Attributions(Attributor<'a>),
}

impl Consumer<'_> {
    fn push(&mut self, line_no: u64, line: &Line<'_>) {
        match self {
            Consumer::Profile(p) => p.push(line_no, line),
            Consumer::Predictions(ix) => ix.push(line_no, line),
            Consumer::Attributions(a) => a.push(line_no, line),
        }
    }
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

/// Builds the prediction index of one capture object, line by line: the model-quality and
/// bias consumer of [`run`]'s single pass.
pub struct Indexer<'a> {
    attrs: &'a PredictionAttributes,
    variant: String,
    index: PredictionIndex,
}

impl<'a> Indexer<'a> {
    /// An indexer of the capture object `key` (named `source`).
    pub fn new(key: &CaptureKey, source: &str, attrs: &'a PredictionAttributes) -> Self {
        Indexer {
            attrs,
            variant: key.variant.clone(),
            index: PredictionIndex {
                format: crate::predictions::PREDICTION_INDEX_FORMAT.into(),
                version: crate::predictions::PREDICTION_INDEX_VERSION,
                source: source.into(),
                predictions: Vec::new(),
                bad_records: BadRecords::default(),
            },
        }
    }

    /// Takes line `line_no` (1-based) of the object.
    pub fn push(&mut self, line_no: u64, line: &Line<'_>) {
        let bytes = match line {
            Line::TooLong { .. } => {
                self.index
                    .bad_records
                    .add(BadRecordKind::LineTooLong, line_no);
                return;
            }
            Line::Ok(b) => *b,
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        match prediction_of_line(bytes, self.attrs, &self.variant) {
            Ok(p) => self.index.predictions.push(p),
            Err(PredictionError::Shadow) => {}
            Err(PredictionError::Bad(kind, message)) => {
                tracing::debug!(source = %self.index.source, line = line_no, %message, "no prediction in capture line");
                self.index.bad_records.add(kind, line_no);
            }
        }
    }

    /// The index of everything pushed.
    pub fn finish(self) -> PredictionIndex {
        self.index
    }
}

/// Builds the prediction index of one capture object (streamed line by line).
pub async fn index_object<R: tokio::io::AsyncRead + Unpin>(
    reader: R,
    key: &CaptureKey,
    source: &str,
    attrs: &PredictionAttributes,
) -> Result<PredictionIndex, CoreError> {
    let mut ix = Indexer::new(key, source, attrs);
    for_each_line(reader, source, |n, l| ix.push(n, l)).await?;
    Ok(ix.finish())
}
