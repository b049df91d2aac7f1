//! What ingest needs for a data-quality monitor (its baseline, loaded once) and the record
//! consumer of the single ingest pass: each record goes into the profile of the minute of
//! its `inferenceTime`, so a monitor can use any window length of at least a minute. Bad
//! lines are counted by kind, with their first line numbers, and never stop the good lines.
//! A record whose time is missing, unusable or outside the hours the tick reads with this
//! object ([`InferenceWindow::around_object_hour`]) is one of them (`bad_time`), so an
//! object's minutes are bounded (at most 180).

use chrono::{DateTime, TimeZone, Utc};
use drift_math::types::{InferredType, ValueClass};
use serde::{Deserialize, Serialize};

use crate::config::MonitorConfig;
use crate::data_quality::checks::Baseline;
use crate::data_quality::minute_spill::{
    minute_heap_bytes, MinuteSpill, MinutesOut, PartialProfileOut,
};
use crate::data_quality::multivariate::{Cell, RowScorer};
use crate::data_quality::profile::DatasetProfile;
use crate::formats::capture::{
    BadRecordKind, BadRecords, CaptureMapping, CaptureParser, InferenceWindow, RowBatch, WarnBudget,
};
use crate::formats::number::NumberError;
use crate::layout::CaptureKey;
use crate::store::{for_each_line, Line, ObjectStore, StateFile};
use crate::CoreError;

/// Identifies our partial-profile files.
pub const PARTIAL_PROFILE_FORMAT: &str = "modelwatch.partial-profile";

/// Version of the partial-profile layout.
pub const PARTIAL_PROFILE_VERSION: u32 = 1;

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
    /// per slice of the monitor's `segments` block (`feature=value`), the slice's records
    /// ([`crate::segments`]; absent without the block, so older files read unchanged)
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub segments: std::collections::BTreeMap<String, DatasetProfile>,
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
    /// Records in all minutes.
    pub fn records(&self) -> u64 {
        self.minutes.iter().map(|m| m.profile.item_count).sum()
    }

    /// Bad records in all minutes.
    pub fn bad_records(&self) -> u64 {
        self.minutes.iter().map(|m| m.bad_records.total()).sum()
    }
}

impl StateFile for PartialProfile {
    const FORMAT: &'static str = PARTIAL_PROFILE_FORMAT;
    const VERSION: Option<u32> = Some(PARTIAL_PROFILE_VERSION);

    fn tag(&self) -> (&str, u32) {
        (self.format.as_str(), self.version)
    }

    fn source(&self) -> &str {
        &self.source
    }
}

/// The capture mapping of a monitor: feature names from its baseline, options from its config.
pub fn capture_mapping(cfg: &MonitorConfig, baseline: &Baseline) -> CaptureMapping {
    let mut mapping = CaptureMapping::new(baseline.feature_names());
    mapping.output_columns = cfg.capture.output_columns;
    mapping.json_pointers = cfg.capture.json_pointers.clone();
    mapping
}

/// The minute bad lines before the object's first usable record are counted in: the capture
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

/// The multivariate scorer of a profiler and what the profile read from each column of the
/// current row, which the scorer reuses instead of parsing the numbers again.
struct Scoring {
    scorer: RowScorer,
    cells: Vec<Cell>,
}

/// Builds the partial profile of one capture object for one monitor, line by line: the
/// data-quality consumer of [`crate::app::ingest::run`]'s single pass over the object.
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
    warnings: WarnBudget,
    output_columns: Option<usize>,
    explained: bool,
    // boxed: most monitors have none, and the consumer enum stays small
    scoring: Option<Box<Scoring>>,
    // boxed: most monitors have none, and the consumer enum stays small
    slicer: Option<Box<crate::segments::Slicer>>,
    /// minutes kept in memory at most ([`Profiler::spill_minutes`]; unbounded by default)
    resident_cap: usize,
    /// heap bytes the minutes may take ([`Profiler::minute_budget`]; unbounded by default)
    budget: usize,
    /// each minute of `minutes`' bytes when last measured ([`Profiler::measure`]): when it
    /// stopped being the current minute, or was added
    sizes: Vec<usize>,
    /// the sum of `sizes`
    resident_bytes: usize,
    /// when each minute of `minutes` was last used (a clock tick), for the eviction
    last_used: Vec<u64>,
    clock: u64,
    /// minutes evicted from memory (boxed: created only when one is)
    spill: Option<Box<MinuteSpill>>,
    /// the first spilled minute that could not be read back (ingest of the object fails)
    spill_error: Option<CoreError>,
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
            .collect_ids(false)
            .inference_window(InferenceWindow::around_object_hour(key.hour));
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
        let slicer = crate::segments::Slicer::for_monitor(cfg, &mapping.features)?.map(Box::new);
        let scorer = baseline
            .multivariate()
            .map(|b| RowScorer::new(b, &mapping.features));
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
            warnings: WarnBudget::default(),
            output_columns: cfg.capture.output_columns,
            explained: false,
            scoring: scorer.map(|scorer| {
                Box::new(Scoring {
                    scorer,
                    cells: Vec::new(),
                })
            }),
            slicer,
            resident_cap: usize::MAX,
            budget: usize::MAX,
            sizes: Vec::new(),
            resident_bytes: 0,
            last_used: Vec::new(),
            clock: 0,
            spill: None,
            spill_error: None,
        })
    }

    /// Keep at most `resident` minute profiles in memory (at least 1): the least recently
    /// used one is spilled to a temporary file and read back when a record needs it
    /// ([`crate::data_quality::minute_spill`]). The partial profile is the same; write it with
    /// [`Profiler::finish_output`], which streams the spilled minutes back.
    #[must_use]
    pub fn spill_minutes(mut self, resident: usize) -> Self {
        self.resident_cap = resident.max(1);
        self
    }

    /// Keep the minute profiles within `bytes` of heap, as [`minute_heap_bytes`] counts them
    /// (with the distinct-count sketches spilled minutes keep in memory): when a record moves
    /// to another minute and the minutes are over it, the least recently used ones are
    /// spilled as with [`Profiler::spill_minutes`]. The current minute always stays, so the
    /// minutes can pass the budget by what the current one grows before the next change of
    /// minute. An object whose minutes fit never spills.
    #[must_use]
    pub fn minute_budget(mut self, bytes: usize) -> Self {
        self.set_minute_budget(bytes);
        self
    }

    /// [`Profiler::minute_budget`] of a profiler already made (ingest shares one budget among
    /// an object's monitors).
    pub fn set_minute_budget(&mut self, bytes: usize) {
        self.budget = bytes;
        self.resident_bytes = 0;
        self.sizes.clear();
        for i in 0..self.minutes.len() {
            let b = self.measure(&self.minutes[i]);
            self.sizes.push(b);
            self.resident_bytes += b;
        }
    }

    /// Accept the inference times of `window` instead of those around the object's hour (the
    /// one-shot `monitor` command evaluates all its files as one window:
    /// [`InferenceWindow::UNBOUNDED`]).
    #[must_use]
    pub fn inference_window(mut self, window: InferenceWindow) -> Self {
        self.parser = self.parser.inference_window(window);
        self
    }

    /// Minute profiles spilled to disk so far ([`Profiler::spill_minutes`]).
    pub fn spilled_minutes(&self) -> usize {
        self.spill.as_ref().map_or(0, |s| s.len())
    }

    /// What minute `m` counts against the budget: its heap and its place in `minutes`
    /// (nothing without a budget, which then costs nothing to keep).
    fn measure(&self, m: &MinuteProfile) -> usize {
        if self.budget == usize::MAX {
            return 0;
        }
        std::mem::size_of::<MinuteProfile>() + minute_heap_bytes(m)
    }

    /// The current minute stops being current: its size is measured again (it grew).
    fn leave_current(&mut self) {
        if let Some(i) = self.cur_idx.take() {
            let b = self.measure(&self.minutes[i]);
            self.resident_bytes = self.resident_bytes - self.sizes[i] + b;
            self.sizes[i] = b;
        }
    }

    /// Whether the minutes in memory, with what the spilled ones keep, are over the budget.
    fn over_budget(&self, incoming: usize) -> bool {
        let kept = self.spill.as_ref().map_or(0, |s| s.kept_bytes());
        self.resident_bytes + kept + incoming > self.budget
    }

    /// Index of the minute profile of the current minute, creating it if needed.
    fn slot(&mut self) -> usize {
        if let Some(i) = self.cur_idx {
            return i;
        }
        let m = self.current;
        self.clock += 1;
        let (profile, bytes) = match self.minutes.iter().position(|x| x.minute == m) {
            Some(i) if !self.over_budget(0) => {
                self.last_used[i] = self.clock;
                self.cur_idx = Some(i);
                return i;
            }
            // over the budget: the minute steps out while others are spilled, so it stays
            Some(i) => {
                self.last_used.swap_remove(i);
                let bytes = self.sizes.swap_remove(i);
                self.resident_bytes -= bytes;
                (self.minutes.swap_remove(i), bytes)
            }
            None => {
                let profile = match self.unspill(m) {
                    Some(back) => back,
                    None => {
                        let mut profile = self.empty.clone();
                        // the minute before is the best guess of this one's size: its
                        // sketches' level 0 room is made once instead of grown value by
                        // value (issue 16)
                        if let Some(last) = self.minutes.last() {
                            for (f, prev) in profile.features.iter_mut().zip(&last.profile.features)
                            {
                                f.kll.reserve(prev.kll.level0_len());
                            }
                        }
                        MinuteProfile {
                            minute: m,
                            profile,
                            bad_records: BadRecords::default(),
                            shadow_skipped: 0,
                            segments: std::collections::BTreeMap::new(),
                        }
                    }
                };
                let bytes = self.measure(&profile);
                (profile, bytes)
            }
        };
        self.make_room(bytes);
        self.minutes.push(profile);
        self.last_used.push(self.clock);
        self.sizes.push(bytes);
        self.resident_bytes += bytes;
        let i = self.minutes.len() - 1;
        self.cur_idx = Some(i);
        i
    }

    /// Minute `m` read back from the spill, if it was spilled; a read error is kept for
    /// [`Profiler::finish_output`] (the minute then starts empty, and the object fails).
    fn unspill(&mut self, m: DateTime<Utc>) -> Option<MinuteProfile> {
        match self.spill.as_mut()?.take(m) {
            Ok(found) => found,
            Err(e) => {
                self.spill_error.get_or_insert(e);
                None
            }
        }
    }

    /// Spills least recently used minutes until one more, of `incoming` bytes, fits under the
    /// cap and the budget. A minute that cannot be spilled (a non-finite float, which JSON
    /// cannot hold, or a write error) stays in memory.
    fn make_room(&mut self, incoming: usize) {
        while !self.minutes.is_empty()
            && (self.minutes.len() >= self.resident_cap || self.over_budget(incoming))
        {
            let Some((i, _)) = self.last_used.iter().enumerate().min_by_key(|(_, t)| **t) else {
                return;
            };
            if !crate::store::is_finite_state(&self.minutes[i]) {
                return;
            }
            let spill = self.spill.get_or_insert_with(Box::default);
            let m = self.minutes.swap_remove(i);
            let used = self.last_used.swap_remove(i);
            let bytes = self.sizes.swap_remove(i);
            if let Err(failed) = spill.put(m) {
                let (m, e) = *failed;
                tracing::warn!(source = %self.source, error = %e, "minute profile kept in memory: spill failed");
                self.minutes.push(m);
                self.last_used.push(used);
                self.sizes.push(bytes);
                return;
            }
            self.resident_bytes -= bytes;
        }
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
                            self.leave_current();
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
                let mut refused: Option<(usize, NumberError)> = None;
                let mut scoring = self.scoring.as_deref_mut();
                for row in &self.batch {
                    let profile = &mut mp.profile;
                    if let Some(s) = scoring.as_mut() {
                        s.cells.clear();
                    }
                    // zipped, not indexed: no bounds check per value (issue 16 item 2)
                    let values = row.iter().zip(&mut profile.features).zip(&self.numeric);
                    for (j, ((value, f), &numeric)) in values.enumerate().take(self.n_features) {
                        let cell = match value {
                            None => {
                                f.observe_null();
                                Cell::Unusable
                            }
                            Some(v) => match f.observe_number(v) {
                                (_, _, Some(e)) => {
                                    refused = Some((j, e));
                                    Cell::Unusable
                                }
                                (_, Some(x), None) => Cell::Number(x),
                                (class, None, None) => {
                                    if numeric
                                        && !matches!(
                                            class,
                                            ValueClass::Integral | ValueClass::Fractional
                                        )
                                    {
                                        unparsable = true;
                                    }
                                    Cell::Text
                                }
                            },
                        };
                        if let Some(s) = scoring.as_mut() {
                            s.cells.push(cell);
                        }
                    }
                    profile.item_count += 1;
                    // the key is there from the second record on: a lookup, not `entry`
                    // (issue 16 item 2)
                    match profile.column_counts.get_mut(&self.n_features) {
                        Some(c) => *c += 1,
                        None => {
                            profile.column_counts.insert(self.n_features, 1);
                        }
                    }
                    // multivariate drift (issue 13 item 4): the record's reconstruction error,
                    // from the numbers the profile just read
                    let error = scoring
                        .as_mut()
                        .and_then(|s| s.scorer.score_cells(&s.cells, |i| row.get(i)));
                    if let Some(e) = error {
                        profile
                            .reconstruction_error
                            .get_or_insert_with(drift_math::moments::Moments::new)
                            .update(e);
                    }
                    // segments (issue 15 item 3): the record in each of its slices too
                    if let Some(slicer) = self.slicer.as_mut() {
                        for key in slicer.keys(row) {
                            let slice =
                                mp.segments.entry(key).or_insert_with(|| self.empty.clone());
                            crate::segments::slicing::observe_row(
                                slice,
                                row,
                                self.n_features,
                                error,
                            );
                        }
                    }
                }
                if unparsable {
                    mp.bad_records.add(BadRecordKind::UnparsableNumber, line_no);
                }
                if let Some((j, e)) = refused {
                    // The record stays profiled; only the refused value is counted as a
                    // String (see FeatureProfile::observe).
                    mp.bad_records.add(BadRecordKind::from(&e), line_no);
                    let feature = self.parser.features().get(j).map_or("?", String::as_str);
                    if self.warnings.take() {
                        tracing::warn!(source = %self.source, line = line_no, feature, error = %e, "unusable number in capture record");
                    } else {
                        tracing::debug!(source = %self.source, line = line_no, feature, error = %e, "unusable number in capture record");
                    }
                }
            }
            Err(bad) => {
                let i = self.slot();
                let mp = &mut self.minutes[i];
                if let crate::formats::capture::BadRecord::WrongColumnCount { found, .. } = &bad {
                    *mp.profile.column_counts.entry(*found).or_default() += 1;
                    if !self.explained {
                        // Issue 12 item 3: once per object, at the default level, what the
                        // baseline expects, what the record had and the option that fixes it.
                        self.explained = true;
                        let explanation = explain_mismatch(
                            self.parser.features(),
                            self.output_columns,
                            *found,
                            bytes,
                        );
                        tracing::warn!(monitor = %self.monitor, source = %self.source, line = line_no, "capture records do not match the baseline: {explanation}");
                    }
                }
                mp.bad_records.add(bad.kind(), line_no);
                if self.warnings.take() {
                    tracing::warn!(source = %self.source, line = line_no, error = %bad, "bad capture record");
                } else {
                    tracing::debug!(source = %self.source, line = line_no, error = %bad, "bad capture record");
                }
            }
        }
    }

    /// The partial profile of everything pushed. A profiler with
    /// [`Profiler::spill_minutes`] reads its spilled minutes back here, all of them in memory
    /// at once ([`Profiler::finish_output`] does not); one that cannot be read back is left
    /// out and logged.
    pub fn finish(mut self) -> PartialProfile {
        if let Some(spill) = self.spill.take() {
            for minute in spill.minutes() {
                match spill.load(minute) {
                    Ok(m) => self.minutes.push(m),
                    Err(e) => {
                        tracing::error!(source = %self.source, error = %e, "spilled minute profile lost")
                    }
                }
            }
        }
        if let Some(e) = &self.spill_error {
            tracing::error!(source = %self.source, error = %e, "spilled minute profile lost");
        }
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

impl Profiler {
    /// The consumer output of everything pushed ([`crate::capability::Consumer::finish`]): the
    /// partial profile encoded at its key, the spilled minutes streamed back one at a time, so
    /// at most the resident minutes are in memory. The same bytes as [`Profiler::finish`]'s
    /// partial profile encoded ([`StateFile::to_body`]).
    ///
    /// # Errors
    /// A spilled minute that cannot be read back; [`StateFile::to_body`]'s errors.
    pub fn finish_output(
        mut self,
        monitor: &str,
        capture: &CaptureKey,
    ) -> Result<crate::capability::ConsumerOutput, CoreError> {
        if let Some(e) = self.spill_error.take() {
            return Err(e);
        }
        let spill = self.spill.take().unwrap_or_default();
        tracing::debug!(
            source = %self.source,
            resident = self.minutes.len(),
            resident_bytes = self.resident_bytes,
            spilled = spill.len(),
            "minute profiles at the end of the object"
        );
        self.minutes.sort_by_key(|m| m.minute);
        let (records, bad_records, shadow_skipped) =
            self.minutes.iter().fold(spill.counts(), |(r, b, s), m| {
                (
                    r + m.profile.item_count,
                    b + m.bad_records.total(),
                    s + m.shadow_skipped,
                )
            });
        let mut minutes: Vec<DateTime<Utc>> = self.minutes.iter().map(|m| m.minute).collect();
        minutes.extend(spill.minutes());
        minutes.sort();
        let out = PartialProfileOut {
            format: PARTIAL_PROFILE_FORMAT,
            version: PARTIAL_PROFILE_VERSION,
            monitor: &self.monitor,
            source: &self.source,
            lines: self.lines,
            minutes: MinutesOut::new(&self.minutes, &spill),
        };
        let body = crate::store::encode_body(&out, &self.source);
        if let Some(e) = out.minutes.take_error() {
            return Err(e);
        }
        Ok(crate::capability::ConsumerOutput {
            state_key: crate::layout::profile_key(monitor, capture),
            body: body?,
            records,
            bad_records,
            shadow_skipped,
            minutes,
            extra: Vec::new(),
        })
    }
}

/// Baseline feature names an explanation lists.
const LISTED_FEATURES: usize = 20;

/// Why a record's columns do not match the baseline, for a user who sees only `Failed`:
/// which features the baseline expects, what the record's sides held, and the capture
/// options that fix it (`capture.output_columns`, `capture.json_pointers`).
pub fn explain_mismatch(
    features: &[String],
    output_columns: Option<usize>,
    found: usize,
    line: &[u8],
) -> String {
    use crate::formats::capture::{PayloadReader, RecordReader};
    let listed: Vec<&str> = features
        .iter()
        .take(LISTED_FEATURES)
        .map(String::as_str)
        .collect();
    let more = features.len().saturating_sub(listed.len());
    let expected = format!(
        "the baseline expects {} features ({}{})",
        features.len(),
        listed.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    );
    let mut reader = RecordReader::new().decode_input(true);
    let mut payloads = PayloadReader::new();
    let sides = match reader.read(line) {
        Ok(rec) => {
            let mut side = |name: &str, s: Option<crate::formats::capture::SideRecord<'_>>| match s
            {
                None => format!("no {name}"),
                Some(s) => match s.payload {
                    Ok(p) => format!("{name} {}", payloads.describe(p)),
                    Err(e) => format!("{name} unreadable ({e})"),
                },
            };
            let output = side("endpointOutput", rec.output);
            let input = side("endpointInput", rec.input);
            format!("{output}; {input}")
        }
        Err(e) => e.to_string(),
    };
    let example = features.first().map_or_else(String::new, |f| {
        format!(" (e.g. {{\"{f}\": \"/input/{f}\"}})")
    });
    let fix = match output_columns {
        Some(k) => format!(
            "capture.output_columns is {k}: the first {k} baseline features are read from endpointOutput. \
             Set capture.output_columns to the number of baseline features the model's output \
             provides (0 when the baseline holds inputs only), or map each feature with \
             capture.json_pointers{example}"
        ),
        None => format!(
            "Without capture.output_columns every value of endpointOutput counts as a leading \
             feature. Set capture.output_columns to the number of baseline features the \
             model's output provides (0 when the baseline holds inputs only: output fields \
             that are not baseline features), or map each feature with \
             capture.json_pointers{example}"
        ),
    };
    format!("{expected}; the record gave {found} values: {sides}. {fix}")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data_quality::profile::Tracking;
    use crate::data_quality::suggest::suggest_constraints;
    use std::sync::{Arc, Mutex};

    /// A baseline of the numeric inputs `age`, `income`, `tenure` only (no output column).
    fn inputs_only_baseline() -> Baseline {
        let names: Vec<String> = ["age", "income", "tenure"].map(String::from).to_vec();
        let mut p = DatasetProfile::new(&names, |_| Tracking::ALL);
        for i in 0..50 {
            for f in &mut p.features {
                f.observe(&(i % 7).to_string());
            }
            p.item_count += 1;
            *p.column_counts.entry(3).or_default() += 1;
        }
        Baseline::new(p.to_statistics(), suggest_constraints(&p), "mem").unwrap()
    }

    /// A JSON capture whose output fields are not baseline features: the input array
    /// starts after the output's two members, so the record has 5 values for 3 features.
    fn json_line(i: usize) -> String {
        serde_json::json!({
            "captureData": {
                "endpointInput": {"observedContentType": "application/json", "mode": "INPUT", "data": format!("[{i}, 2, 3]"), "encoding": "JSON"},
                "endpointOutput": {"observedContentType": "application/json", "mode": "OUTPUT", "data": "{\"predicted_label\": 1, \"score\": 0.8}", "encoding": "JSON"}
            },
            "eventMetadata": {"eventId": format!("e{i}"), "inferenceTime": "2021-02-05T17:23:35Z"},
            "eventVersion": "0"
        })
        .to_string()
    }

    #[derive(Clone, Default)]
    struct Logs(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Logs {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Issue 12 item 3: every record `wrong_column_count` and the user saw only `Failed`.
    /// At the default level (WARN for the CLI) the mismatch is now explained once per
    /// object: the expected features, what the record had, and the option that fixes it.
    #[test]
    fn a_capture_baseline_mismatch_is_explained_once_per_object_at_warn() {
        let baseline = inputs_only_baseline();
        let cfg: MonitorConfig = serde_json::from_value(serde_json::json!({
            "name": "dq", "endpoint": "ep", "baseline_prefix": "b"
        }))
        .unwrap();
        let key = crate::layout::parse_capture_key(
            "data-capture/ep/AllTraffic/2021/02/05/17/00-00-000-x.jsonl",
            "data-capture/",
        )
        .unwrap();
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let lines = 3;
        let profile = tracing::subscriber::with_default(subscriber, || {
            let mut p = Profiler::new(&key, "obj", &cfg, &baseline).unwrap();
            for i in 0..lines {
                let line = json_line(i);
                p.push(i as u64 + 1, &Line::Ok(line.as_bytes()));
            }
            p.finish()
        });
        assert_eq!(profile.bad_records(), lines as u64);
        let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        let explained: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("do not match the baseline"))
            .collect();
        assert_eq!(explained.len(), 1, "{text}");
        let e = explained[0];
        for part in [
            "WARN",
            "the baseline expects 3 features (age, income, tenure)",
            "the record gave 5 values",
            r#"endpointOutput a JSON object with 2 members "predicted_label", "score""#,
            "endpointInput a JSON array of 3 values",
            "capture.output_columns",
            "capture.json_pointers",
        ] {
            assert!(e.contains(part), "{part:?} not in {e}");
        }
    }

    /// The fix it names works: with `output_columns: 0` the same records are profiled.
    #[test]
    fn the_named_fix_makes_the_records_profile() {
        let baseline = inputs_only_baseline();
        let cfg: MonitorConfig = serde_json::from_value(serde_json::json!({
            "name": "dq", "endpoint": "ep", "baseline_prefix": "b",
            "capture": {"output_columns": 0}
        }))
        .unwrap();
        let key = crate::layout::parse_capture_key(
            "data-capture/ep/AllTraffic/2021/02/05/17/00-00-000-x.jsonl",
            "data-capture/",
        )
        .unwrap();
        let mut p = Profiler::new(&key, "obj", &cfg, &baseline).unwrap();
        for i in 0..3 {
            p.push(i + 1, &Line::Ok(json_line(i as usize).as_bytes()));
        }
        let out = p.finish();
        assert_eq!((out.records(), out.bad_records()), (3, 0));
    }
}
