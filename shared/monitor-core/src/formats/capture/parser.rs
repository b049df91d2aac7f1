//! The capture-line envelope: `captureData` sides, `eventMetadata` and the compiled
//! mapping that routes each side's payload into the row.

use std::collections::HashMap;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

use super::json::{Doc, Kind, Tok};
use super::payload::{read_csv, read_csv_plain, read_json, JsonCtx, Sink};
use super::*;

#[derive(Debug, Clone)]
pub(super) struct Segment {
    pub(super) key: String,
    pub(super) index: Option<usize>,
}

#[derive(Debug, Clone)]
pub(super) struct Pointer {
    pub(super) feature: usize,
    pub(super) segments: Vec<Segment>,
}

#[derive(Debug, Clone)]
pub(super) struct SidePlan {
    pub(super) side: CaptureSide,
    pub(super) pointers: Vec<Pointer>,
    /// `output_columns` for `endpointOutput`, else `None`
    pub(super) expect: Option<usize>,
}

/// Scratch buffers of [`CaptureParser`], reused between lines.
#[derive(Debug, Clone, Default)]
pub(super) struct Scratch {
    pub(super) envelope: Vec<Tok>,
    pub(super) payload: Vec<Tok>,
    pub(super) data: String,
    pub(super) bytes: Vec<u8>,
    pub(super) key: String,
    pub(super) content_type: String,
    /// the last `inferenceTime` minute read (issue 16 item 2)
    pub(super) minute: super::time::MinuteCache,
    /// the layout of the last envelope read in full ([`json::scan_envelope`])
    pub(super) layout: json::Layout,
}

impl Scratch {
    /// Drops buffers a long line grew beyond [`super::SCRATCH_KEEP_BYTES`] (issue 11: one
    /// huge line must not stay resident for the rest of the object).
    fn release(&mut self) {
        let keep = super::SCRATCH_KEEP_BYTES;
        let tok = std::mem::size_of::<Tok>();
        if self.payload.capacity() * tok > keep {
            self.payload = Vec::new();
        }
        if self.envelope.capacity() * tok > keep {
            self.envelope = Vec::new();
        }
        if self.layout.heap_bytes() > keep {
            self.layout = json::Layout::default();
        }
        if self.data.capacity() > keep {
            self.data = String::new();
        }
        if self.bytes.capacity() > keep {
            self.bytes = Vec::new();
        }
    }
}

/// The members of a capture line the parser reads ([`json::scan_envelope`]).
const ENVELOPE_NAMES: json::EnvelopeNames = json::EnvelopeNames {
    root: ["eventMetadata", "captureData"],
    metadata: [
        "inferenceTime",
        "invocationSource",
        "eventId",
        "inferenceId",
    ],
    sides: [
        CaptureSide::ALL[0].key(),
        CaptureSide::ALL[1].key(),
        CaptureSide::ALL[2].key(),
    ],
    side: ["data", "encoding", "observedContentType"],
};

/// A [`CaptureMapping`] compiled for parsing, with reusable scratch buffers. Not `Sync`-shared: use
/// one parser per thread (it is `Clone`).
#[derive(Clone)]
pub struct CaptureParser {
    features: Vec<String>,
    index: HashMap<String, usize>,
    plans: Vec<SidePlan>,
    want_ids: bool,
    scratch: Scratch,
    single: RowBatch,
    last_error_meta: Option<RecordMeta>,
    times: Option<InferenceWindow>,
    /// whether lines of the usual shape take [`json::scan_envelope`] (always, but in the
    /// tests that compare it with the general scan)
    shaped: bool,
}

impl fmt::Debug for CaptureParser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptureParser")
            .field("features", &self.features)
            .field("plans", &self.plans)
            .field("want_ids", &self.want_ids)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Encoding {
    Csv,
    Json,
    Base64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PayloadKind {
    Csv,
    Json,
    JsonLines,
}

/// Standard alphabet, padding optional.
pub(super) const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

pub(super) fn classify_content_type(content_type: &str) -> Option<PayloadKind> {
    let media = content_type.split(';').next().unwrap_or("").trim();
    let is = |s: &str| media.eq_ignore_ascii_case(s);
    if is("text/csv") || is("application/csv") || is("text/x-csv") {
        Some(PayloadKind::Csv)
    } else if is("application/jsonlines")
        || is("application/x-jsonlines")
        || is("application/jsonl")
        || is("application/x-ndjson")
        || is("application/ndjson")
    {
        Some(PayloadKind::JsonLines)
    } else if is("application/json")
        || is("text/json")
        || media
            .get(media.len().saturating_sub(5)..)
            .is_some_and(|suffix| suffix.eq_ignore_ascii_case("+json"))
    {
        Some(PayloadKind::Json)
    } else {
        None
    }
}

pub(super) fn compile_pointer(
    feature: &str,
    pointer: &str,
    sides: &[CaptureSide],
) -> Result<(CaptureSide, Vec<Segment>), CaptureError> {
    let bad = |message: String| CaptureError::BadPointer {
        feature: feature.to_owned(),
        pointer: pointer.to_owned(),
        message,
    };
    let (side, rest) = CaptureSide::ALL
        .iter()
        .find_map(|side| {
            let rest = pointer.strip_prefix(side.pointer_prefix())?;
            (rest.is_empty() || rest.starts_with('/')).then_some((*side, rest))
        })
        .ok_or_else(|| bad("must start with /input, /output or /batch".to_owned()))?;
    if !sides.contains(&side) {
        return Err(bad(format!(
            "addresses {side}, which the mapping does not read"
        )));
    }
    let mut segments = Vec::new();
    if let Some(rest) = rest.strip_prefix('/') {
        for raw in rest.split('/') {
            let mut key = String::with_capacity(raw.len());
            let mut chars = raw.chars();
            while let Some(c) = chars.next() {
                if c == '~' {
                    match chars.next() {
                        Some('0') => key.push('~'),
                        Some('1') => key.push('/'),
                        _ => return Err(bad(format!("bad escape in segment {raw:?}"))),
                    }
                } else {
                    key.push(c);
                }
            }
            let index = if key == "0" || (!key.starts_with('0') && !key.starts_with('+')) {
                key.parse::<usize>().ok()
            } else {
                None
            };
            segments.push(Segment { key, index });
        }
    }
    Ok((side, segments))
}

/// Result of reading a side's `data`: text borrowed from the line or from a scratch buffer.
pub(super) fn side_text<'a>(doc: &Doc<'a>, tok: usize, buf: &'a mut String) -> &'a str {
    if doc.kind(tok) == Some(Kind::EscStr) {
        buf.clear();
        json::unescape_into(doc.raw(tok), buf);
        buf.as_str()
    } else {
        doc.raw(tok)
    }
}

pub(super) fn expect_kind(
    doc: &Doc<'_>,
    tok: usize,
    field: &'static str,
    want_object: bool,
) -> Result<(), BadRecord> {
    let kind = doc.kind(tok);
    let ok = if want_object {
        kind == Some(Kind::Object)
    } else {
        matches!(kind, Some(Kind::Str | Kind::EscStr))
    };
    if ok {
        Ok(())
    } else {
        Err(BadRecord::BadPayload {
            field,
            message: format!(
                "expected {}, found {}",
                if want_object { "an object" } else { "a string" },
                kind.map_or("nothing", Kind::name)
            ),
        })
    }
}

/// The time of the `inferenceTime` token `tok` (`None`: absent). The value is unescaped into
/// `buf` only when it holds escapes; a non-string is malformed, named by its raw JSON.
fn read_time(
    doc: &Doc<'_>,
    tok: Option<usize>,
    buf: &mut String,
    minute: &mut super::time::MinuteCache,
) -> Result<i64, TimeError> {
    let tok = tok.ok_or(TimeError::Missing)?;
    match doc.kind(tok) {
        Some(Kind::Str | Kind::EscStr) => minute.seconds(side_text(doc, tok, buf)),
        kind => Err(TimeError::Malformed {
            value: doc.raw(tok).to_owned(),
            reason: format!(
                "expected a string, found {}",
                kind.map_or("nothing", Kind::name)
            ),
        }),
    }
}

pub(super) fn owned_string(doc: &Doc<'_>, tok: usize) -> Option<String> {
    match doc.kind(tok)? {
        Kind::Str => Some(doc.raw(tok).to_owned()),
        Kind::EscStr => {
            let mut s = String::new();
            json::unescape_into(doc.raw(tok), &mut s);
            Some(s)
        }
        _ => None,
    }
}

impl CaptureParser {
    /// Compiles `mapping`.
    ///
    /// # Errors
    /// [`CaptureError`] when the mapping has no features or sides, repeats a feature or side, has
    /// `output_columns` out of range or without `endpointOutput`, or has a JSON pointer that names an
    /// unknown feature, does not start with a side prefix, or addresses a side that is not read.
    pub fn new(mapping: &CaptureMapping) -> Result<Self, CaptureError> {
        if mapping.features.is_empty() {
            return Err(CaptureError::NoFeatures);
        }
        if mapping.sides.is_empty() {
            return Err(CaptureError::NoSides);
        }
        let mut index = HashMap::with_capacity(mapping.features.len());
        for (i, name) in mapping.features.iter().enumerate() {
            if index.insert(name.clone(), i).is_some() {
                return Err(CaptureError::DuplicateFeature { name: name.clone() });
            }
        }
        let mut plans: Vec<SidePlan> = Vec::with_capacity(mapping.sides.len());
        for &side in &mapping.sides {
            if plans.iter().any(|p| p.side == side) {
                return Err(CaptureError::DuplicateSide { side });
            }
            let expect = if side == CaptureSide::EndpointOutput {
                mapping.output_columns
            } else {
                None
            };
            plans.push(SidePlan {
                side,
                pointers: Vec::new(),
                expect,
            });
        }
        if let Some(k) = mapping.output_columns {
            if k > mapping.features.len() {
                return Err(CaptureError::OutputColumnsOutOfRange {
                    output_columns: k,
                    features: mapping.features.len(),
                });
            }
            if !mapping.sides.contains(&CaptureSide::EndpointOutput) {
                return Err(CaptureError::OutputColumnsWithoutOutputSide { output_columns: k });
            }
        }
        for (feature, pointer) in &mapping.json_pointers {
            let Some(&slot) = index.get(feature) else {
                return Err(CaptureError::UnknownPointerFeature {
                    feature: feature.clone(),
                });
            };
            let (side, segments) = compile_pointer(feature, pointer, &mapping.sides)?;
            if let Some(plan) = plans.iter_mut().find(|p| p.side == side) {
                plan.pointers.push(Pointer {
                    feature: slot,
                    segments,
                });
            }
        }
        Ok(Self {
            features: mapping.features.clone(),
            index,
            plans,
            want_ids: true,
            scratch: Scratch::default(),
            single: RowBatch::new(),
            last_error_meta: None,
            times: None,
            shaped: true,
        })
    }

    /// Whether to copy `eventId`, `inferenceId` and `inferenceTime` into [`RecordMeta`] (default
    /// `true`). Switch off on the data-quality hot path, where ids are not needed: then a steady-state
    /// parse allocates nothing.
    #[must_use]
    pub fn collect_ids(mut self, yes: bool) -> Self {
        self.want_ids = yes;
        self
    }

    /// Refuse records whose `inferenceTime` is missing, malformed, an invalid date or outside
    /// `window`, with [`BadRecord::BadTime`] (checked after the rest of the record, so a line
    /// with several faults counts under its structural one). Without a window (the default),
    /// such records parse and [`RecordMeta::inference_minute`] is `None` or out of range:
    /// every ingest consumer sets one ([`InferenceWindow::around_object_hour`]).
    #[must_use]
    pub fn inference_window(mut self, window: InferenceWindow) -> Self {
        self.times = Some(window);
        self
    }

    /// The feature names, in row order.
    #[must_use]
    pub fn features(&self) -> &[String] {
        &self.features
    }

    /// The metadata of the most recent line that was rejected after its envelope had been read (for
    /// example a [`BadRecord::WrongColumnCount`]); `None` if the last line was accepted, failed before
    /// (not UTF-8 / not JSON), or ids are not collected.
    #[must_use]
    pub fn last_error_meta(&self) -> Option<&RecordMeta> {
        self.last_error_meta.as_ref()
    }

    /// Parses one capture line (raw bytes, without the trailing newline) that holds one record into
    /// `row`. A skipped shadow record leaves `row` empty. Never panics.
    ///
    /// # Errors
    /// [`BadRecord`] when the line is malformed, does not fit the mapping, or holds several records
    /// (`BadPayload` naming the first side's `data`: use [`Self::parse_line_multi`] for such lines).
    /// `row` is empty after an error.
    pub fn parse_line(&mut self, line: &[u8], row: &mut Row) -> Result<RecordMeta, BadRecord> {
        let mut batch = std::mem::take(&mut self.single);
        let result = match self.parse_line_multi(line, &mut batch) {
            Ok(meta) => match batch.rows.get_mut(..batch.len) {
                Some([]) => {
                    row.clear();
                    Ok(meta)
                }
                Some([only]) => {
                    std::mem::swap(row, only);
                    Ok(meta)
                }
                _ => {
                    row.clear();
                    let field = self
                        .plans
                        .first()
                        .map_or("captureData", |p| p.side.data_field());
                    if self.want_ids {
                        self.last_error_meta = Some(meta);
                    }
                    Err(BadRecord::BadPayload {
                        field,
                        message: format!(
                            "the capture line holds {} records; read it with parse_line_multi",
                            batch.len
                        ),
                    })
                }
            },
            Err(e) => {
                row.clear();
                Err(e)
            }
        };
        batch.clear();
        self.single = batch;
        result
    }

    /// Parses one capture line (raw bytes, without the trailing newline) into `rows`: one row per
    /// record of the payload (JSON Lines payloads, `{"instances": [..]}` batches and multi-line CSV
    /// hold several). A skipped shadow record leaves `rows` empty. Never panics.
    ///
    /// # Errors
    /// [`BadRecord`] when the line is malformed or does not fit the mapping; `rows` is empty then.
    pub fn parse_line_multi(
        &mut self,
        line: &[u8],
        rows: &mut RowBatch,
    ) -> Result<RecordMeta, BadRecord> {
        rows.release();
        self.last_error_meta = None;
        self.scratch.release();
        // simdutf8 validates the line several bytes per cycle; only a line it refuses goes
        // through std's validation, for the offset of the first bad byte
        let text = simdutf8::basic::from_utf8(line)
            .or_else(|_| std::str::from_utf8(line))
            .map_err(|e| BadRecord::NonUtf8 {
                byte_offset: e.valid_up_to(),
            })?;
        let mut meta = RecordMeta::default();
        match self.parse_text(text, rows, &mut meta) {
            Ok(()) => Ok(meta),
            Err(e) => {
                rows.clear();
                if meta != RecordMeta::default() {
                    self.last_error_meta = Some(meta);
                }
                Err(e)
            }
        }
    }

    // Why it is long: this is the per-record hot path of ingest (benches/throughput.rs). It
    // destructures the parser's scratch buffers once and walks the envelope tape in one pass:
    // metadata, then each side's payload into rows, then the time check. Split into helpers,
    // each would take the same five borrowed buffers and the tape, and the order of the
    // bad-record checks (which fault a line is counted under) would be spread over them.
    fn parse_text(
        &mut self,
        text: &str,
        rows: &mut RowBatch,
        meta: &mut RecordMeta,
    ) -> Result<(), BadRecord> {
        let Scratch {
            envelope,
            payload,
            data,
            bytes,
            key,
            content_type,
            minute,
            layout,
        } = &mut self.scratch;
        // the usual shape in one pass, with the values read already found (by the layout of
        // the line before when this one has it); anything else through the general scan and
        // lookups by name
        let shaped = if self.shaped {
            json::scan_envelope(
                text,
                envelope,
                super::MAX_ENVELOPE_VALUES,
                &ENVELOPE_NAMES,
                layout,
            )
        } else {
            None
        };
        if shaped.is_none() {
            json::parse_capped(text, envelope, false, super::MAX_ENVELOPE_VALUES).map_err(|e| {
                BadRecord::InvalidJson {
                    message: e.to_string(),
                }
            })?;
        }
        let doc = Doc {
            text,
            tape: envelope,
        };
        if doc.kind(0) != Some(Kind::Object) {
            return Err(BadRecord::InvalidJson {
                message: format!(
                    "a capture record must be a JSON object, found {}",
                    doc.kind(0).map_or("nothing", Kind::name)
                ),
            });
        }
        let mut time = Err(TimeError::Missing);
        // each object's members are looked up in one pass (issue 16 item 1)
        let [metadata, capture] = match &shaped {
            Some(e) => e.root,
            None => doc.members_named(0, ENVELOPE_NAMES.root, key),
        };
        let mut time_tok = None;
        if let Some(m) = metadata {
            if doc.kind(m) == Some(Kind::Object) {
                let [t, source, event_id, inference_id] = match &shaped {
                    Some(e) => e.metadata,
                    None => doc.members_named(m, ENVELOPE_NAMES.metadata, key),
                };
                time_tok = t;
                time = read_time(&doc, t, data, minute);
                meta.inference_minute = time.as_ref().ok().map(|s| s.div_euclid(60));
                if self.want_ids {
                    let get = |tok: Option<usize>| tok.and_then(|t| owned_string(&doc, t));
                    meta.event_id = get(event_id);
                    meta.inference_id = get(inference_id);
                    meta.inference_time = get(t);
                }
                if let Some(source) = source {
                    if doc.str_eq(source, "ShadowExperiment", key) {
                        meta.skipped_shadow = true;
                        return Ok(());
                    }
                }
            }
        }
        // not `ok_or`: building the error on every line and dropping it cost 147
        // instructions per record (issue 16 item 2)
        let Some(capture) = capture else {
            return Err(BadRecord::MissingField {
                field: "captureData",
            });
        };
        expect_kind(&doc, capture, "captureData", true)?;
        let n = self.features.len();
        for (j, plan) in self.plans.iter().enumerate() {
            let side = plan.side;
            let at = side.index();
            let s = match &shaped {
                Some(e) => e.sides[at],
                None => doc.member(capture, side.key(), key),
            }
            .ok_or_else(|| BadRecord::MissingField {
                field: side.field(),
            })?;
            expect_kind(&doc, s, side.field(), true)?;
            let [d, e, observed] = match &shaped {
                Some(e) => e.side[at],
                None => doc.members_named(s, ENVELOPE_NAMES.side, key),
            };
            let d = d.ok_or_else(|| BadRecord::MissingField {
                field: side.data_field(),
            })?;
            expect_kind(&doc, d, side.data_field(), false)?;
            let e = e.ok_or_else(|| BadRecord::MissingField {
                field: side.encoding_field(),
            })?;
            expect_kind(&doc, e, side.encoding_field(), false)?;
            let encoding = {
                let value = side_text(&doc, e, key);
                if value.eq_ignore_ascii_case("CSV") {
                    Encoding::Csv
                } else if value.eq_ignore_ascii_case("JSON") {
                    Encoding::Json
                } else if value.eq_ignore_ascii_case("BASE64") {
                    Encoding::Base64
                } else {
                    return Err(BadRecord::UnsupportedEncoding {
                        field: side.encoding_field(),
                        encoding: value.to_owned(),
                    });
                }
            };
            let observed_type = match observed {
                Some(t) => {
                    expect_kind(&doc, t, side.content_type_field(), false)?;
                    Some(side_text(&doc, t, content_type))
                }
                None => None,
            };
            let raw = side_text(&doc, d, data);
            let (kind, body) = match encoding {
                Encoding::Csv => (PayloadKind::Csv, raw),
                Encoding::Json => {
                    let lines = observed_type.and_then(classify_content_type)
                        == Some(PayloadKind::JsonLines);
                    (
                        if lines {
                            PayloadKind::JsonLines
                        } else {
                            PayloadKind::Json
                        },
                        raw,
                    )
                }
                Encoding::Base64 => {
                    let observed = observed_type.ok_or_else(|| BadRecord::MissingField {
                        field: side.content_type_field(),
                    })?;
                    let kind =
                        classify_content_type(observed).ok_or_else(|| BadRecord::BadPayload {
                            field: side.content_type_field(),
                            message: format!(
                                "content type {observed:?} cannot be read as features (expected CSV, JSON or JSON Lines)"
                            ),
                        })?;
                    bytes.clear();
                    BASE64.decode_vec(raw.trim_ascii(), bytes).map_err(|_| {
                        BadRecord::BadBase64 {
                            field: side.data_field(),
                        }
                    })?;
                    let body = std::str::from_utf8(bytes).map_err(|e| BadRecord::BadPayload {
                        field: side.data_field(),
                        message: format!("decoded base64 is not UTF-8 at byte {}", e.valid_up_to()),
                    })?;
                    (kind, body)
                }
            };
            let mut sink = Sink {
                rows: &mut *rows,
                n,
                first: j == 0,
                next: 0,
            };
            match kind {
                // a CSV payload read straight from a JSON string without escapes
                PayloadKind::Csv if encoding == Encoding::Csv && doc.kind(d) == Some(Kind::Str) => {
                    read_csv_plain(body, side.data_field(), plan.expect, &mut sink)?;
                }
                PayloadKind::Csv => read_csv(body, side.data_field(), plan.expect, &mut sink)?,
                PayloadKind::Json | PayloadKind::JsonLines => {
                    let ctx = JsonCtx {
                        field: side.data_field(),
                        plan,
                        index: &self.index,
                    };
                    read_json(
                        body,
                        kind == PayloadKind::JsonLines,
                        &ctx,
                        &mut sink,
                        payload,
                        key,
                    )?;
                }
            }
            let produced = sink.next;
            if j == 0 && produced == 0 {
                return Err(BadRecord::BadPayload {
                    field: side.data_field(),
                    message: "the payload holds no record".to_owned(),
                });
            }
            if produced != rows.len {
                return Err(BadRecord::BadPayload {
                    field: side.data_field(),
                    message: format!(
                        "holds {produced} records but the first capture side holds {}",
                        rows.len
                    ),
                });
            }
        }
        for row in rows.iter() {
            if row.positional && row.next_pos != n {
                return Err(BadRecord::WrongColumnCount {
                    expected: n,
                    found: row.next_pos,
                });
            }
        }
        if let Some(window) = &self.times {
            let seconds = time?;
            let raw = time_tok.map_or("", |t| doc.raw(t));
            window.check(raw, seconds)?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "shaped_tests.rs"]
mod shaped_tests;
