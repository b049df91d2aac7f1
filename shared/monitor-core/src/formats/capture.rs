//! SageMaker data-capture records → feature rows.
//!
//! One capture line (spec §1.3) is a JSON object
//! `{"captureData": {"endpointInput": {..}, "endpointOutput": {..}}, "eventMetadata": {..}, "eventVersion": "0"}`
//! where each side carries `data` (a string), `encoding` (`"CSV"`, `"JSON"` or `"BASE64"`) and
//! `observedContentType`. [`CaptureParser`] turns such a line into one or more [`Row`]s whose values are
//! in the monitor's feature order: the columns of the first configured side, then those of the next
//! (by default `endpointOutput` then `endpointInput`: output columns first, spec §3.7).
//!
//! # Payload rules
//!
//! * **CSV** (`encoding: "CSV"`, or BASE64 with a CSV content type): RFC 4180 text. A value may be quoted
//!   with `"`, a quote inside a quoted value is written `""`. One line of the payload is one record; blank
//!   lines (and so a trailing `"\n"` or `"\r\n"`) are skipped. An empty *unquoted* value is missing
//!   (`None`, as Spark reads it); a quoted empty value `""` is the empty string. Values are not trimmed.
//! * **JSON** (`encoding: "JSON"`, or BASE64 with a JSON content type). With an
//!   `application/jsonlines` content type (also `application/x-jsonlines`, `application/jsonl`,
//!   `application/x-ndjson`, `application/ndjson`) the payload may hold several whitespace-separated
//!   documents; otherwise it must hold exactly one. Without JSON pointers for that side, each document
//!   is split into records like this:
//!   - an object with an `"instances"` or `"predictions"` member whose value is an array (TensorFlow
//!     Serving / SageMaker built-in algorithm batches): **every element is one record** — so
//!     `{"instances": [1.0, 2.0, 5.0]}` is three records of one value each (the SDK fixture's
//!     half-plus-three model answers `{"predictions": [3.5, 4.0, 5.5]}`), and
//!     `{"instances": [[1, 2, 3]]}` is one record of three values;
//!   - a top-level array whose first element is an array or an object: every element is one record;
//!   - anything else is one record.
//!
//!   A record is read as follows: an array gives its elements **by position**; an object whose only
//!   member is `"features"` holding an array (`{"features": [..]}`, the Clarify / linear-learner shape)
//!   gives that array's elements by position; any other object gives its members **by name** (keys that
//!   are not features are counted in [`Row::column_count`] but otherwise ignored); a scalar is one
//!   positional value.
//! * **JSON pointers** ([`CaptureMapping::json_pointers`], RFC 6901 after a side prefix `/input`,
//!   `/output` or `/batch`): a JSON side that has at least one pointer is read only through its pointers,
//!   one record per document; features without a pointer stay `None`. Pointers are ignored for CSV
//!   payloads.
//! * **BASE64**: the data is decoded (standard alphabet, padding optional, surrounding ASCII whitespace
//!   ignored), must be UTF-8, and is then read by `observedContentType`: `text/csv`, `application/csv`,
//!   `text/x-csv` → CSV; `application/json`, `text/json`, `*/*+json` → JSON; the JSON Lines types above →
//!   JSON Lines; anything else → [`BadRecord::BadPayload`].
//!
//! JSON values become text as follows: strings unescaped, numbers exactly as written in the payload
//! (`1.0` stays `1.0`), booleans `true`/`false`, `null` → `None`, nested arrays/objects → their raw JSON
//! text.
//!
//! # Column counts
//!
//! Positional values of a side start where the previous side ended. How far a side moves that start:
//! for `endpointOutput` with [`CaptureMapping::output_columns`] set, exactly that many; otherwise the
//! number of values the side produced for that record (CSV fields, array elements, object members, or
//! the number of its pointers). So with `output_columns: None` the split between output and input is
//! inferred per record from the output payload. If any side of a record was read by position, the record
//! must end exactly at the number of features, else [`BadRecord::WrongColumnCount`]; a positional
//! `endpointOutput` side must also produce exactly `output_columns` values when that is set. Records read
//! only by name or by pointer are never rejected for their column count.
//!
//! When a payload holds several records, every configured side must hold the same number of records;
//! record `i` of each side goes into row `i`. [`CaptureParser::parse_line`] accepts only one-record lines;
//! [`CaptureParser::parse_line_multi`] fills a [`RowBatch`] with all of them.
//!
//! # Cost
//!
//! The capture line is scanned once by a small in-crate JSON scanner into a token tape that is reused
//! between lines; `data` strings without escapes are read in place, escaped ones are unescaped into a
//! reused buffer; CSV splitting uses `memchr` (one copy of the record text into the row, no quote
//! handling unless the payload contains `"`). In steady state a line allocates nothing except the
//! [`RecordMeta`] id strings, which [`CaptureParser::collect_ids`] can switch off.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use self::json::{Doc, Kind, Tok};

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/// One side of a capture record: a key of `captureData` (spec §1.3, §1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CaptureSide {
    /// `captureData.endpointOutput`: the model's response. JSON pointer prefix `/output`.
    #[serde(rename = "endpointOutput")]
    EndpointOutput,
    /// `captureData.endpointInput`: the request. JSON pointer prefix `/input`.
    #[serde(rename = "endpointInput")]
    EndpointInput,
    /// `captureData.batchTransformOutput`: a batch-transform output record (merged ground-truth files,
    /// spec §1.4). JSON pointer prefix `/batch`.
    #[serde(rename = "batchTransformOutput")]
    BatchTransformOutput,
}

impl CaptureSide {
    /// The key under `captureData`, e.g. `"endpointInput"`.
    #[must_use]
    pub const fn key(self) -> &'static str {
        match self {
            Self::EndpointOutput => "endpointOutput",
            Self::EndpointInput => "endpointInput",
            Self::BatchTransformOutput => "batchTransformOutput",
        }
    }

    /// The JSON pointer prefix addressing this side's decoded payload in [`CaptureMapping::json_pointers`].
    #[must_use]
    pub const fn pointer_prefix(self) -> &'static str {
        match self {
            Self::EndpointOutput => "/output",
            Self::EndpointInput => "/input",
            Self::BatchTransformOutput => "/batch",
        }
    }

    const ALL: [Self; 3] = [
        Self::EndpointOutput,
        Self::EndpointInput,
        Self::BatchTransformOutput,
    ];

    const fn field(self) -> &'static str {
        match self {
            Self::EndpointOutput => "captureData.endpointOutput",
            Self::EndpointInput => "captureData.endpointInput",
            Self::BatchTransformOutput => "captureData.batchTransformOutput",
        }
    }

    const fn data_field(self) -> &'static str {
        match self {
            Self::EndpointOutput => "captureData.endpointOutput.data",
            Self::EndpointInput => "captureData.endpointInput.data",
            Self::BatchTransformOutput => "captureData.batchTransformOutput.data",
        }
    }

    const fn encoding_field(self) -> &'static str {
        match self {
            Self::EndpointOutput => "captureData.endpointOutput.encoding",
            Self::EndpointInput => "captureData.endpointInput.encoding",
            Self::BatchTransformOutput => "captureData.batchTransformOutput.encoding",
        }
    }

    const fn content_type_field(self) -> &'static str {
        match self {
            Self::EndpointOutput => "captureData.endpointOutput.observedContentType",
            Self::EndpointInput => "captureData.endpointInput.observedContentType",
            Self::BatchTransformOutput => "captureData.batchTransformOutput.observedContentType",
        }
    }
}

impl fmt::Display for CaptureSide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

fn default_sides() -> Vec<CaptureSide> {
    vec![CaptureSide::EndpointOutput, CaptureSide::EndpointInput]
}

/// How a monitor maps a capture record to its features (part of the monitor config; snake_case keys).
///
/// ```json
/// {"features": ["score", "age", "income"], "output_columns": 1,
///  "json_pointers": {}, "sides": ["endpointOutput", "endpointInput"]}
/// ```
/// Only `features` is required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureMapping {
    /// Feature names in baseline order: output columns first, then input columns (spec §3.7).
    pub features: Vec<String>,
    /// How many leading features come from `endpointOutput`. `None`: inferred per record as the number
    /// of values the output payload holds (see the module docs, "Column counts").
    #[serde(default)]
    pub output_columns: Option<usize>,
    /// Optional JSON pointers per feature for JSON payloads, e.g.
    /// `{"age": "/input/instances/0/age", "score": "/output/predictions/0/score"}`. `/input/...`
    /// addresses the decoded `endpointInput` payload, `/output/...` the `endpointOutput` payload,
    /// `/batch/...` the `batchTransformOutput` payload; the rest is an RFC 6901 pointer.
    #[serde(default)]
    pub json_pointers: BTreeMap<String, String>,
    /// Capture sides to read, in column order. Default `["endpointOutput", "endpointInput"]`.
    #[serde(default = "default_sides")]
    pub sides: Vec<CaptureSide>,
}

impl CaptureMapping {
    /// A mapping with the given feature names and every other field at its default (both sides,
    /// output/input split inferred, no pointers).
    pub fn new<I, S>(features: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            features: features.into_iter().map(Into::into).collect(),
            output_columns: None,
            json_pointers: BTreeMap::new(),
            sides: default_sides(),
        }
    }
}

/// A [`CaptureMapping`] that cannot be compiled into a parser.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// `features` is empty.
    #[error("capture mapping has no features")]
    NoFeatures,
    /// A feature name appears twice.
    #[error("capture mapping lists feature {name:?} twice")]
    DuplicateFeature {
        /// the repeated name
        name: String,
    },
    /// `sides` is empty.
    #[error("capture mapping reads no capture side")]
    NoSides,
    /// A side appears twice in `sides`.
    #[error("capture mapping lists side {side} twice")]
    DuplicateSide {
        /// the repeated side
        side: CaptureSide,
    },
    /// `output_columns` is larger than the number of features.
    #[error("output_columns = {output_columns} but the mapping has only {features} features")]
    OutputColumnsOutOfRange {
        /// configured value
        output_columns: usize,
        /// number of features
        features: usize,
    },
    /// `output_columns` is set but `endpointOutput` is not read.
    #[error("output_columns = {output_columns} but sides does not include endpointOutput")]
    OutputColumnsWithoutOutputSide {
        /// configured value
        output_columns: usize,
    },
    /// A `json_pointers` key is not a feature name.
    #[error("json_pointers names {feature:?}, which is not a feature")]
    UnknownPointerFeature {
        /// the key
        feature: String,
    },
    /// A `json_pointers` value is not usable.
    #[error("json pointer {pointer:?} for feature {feature:?}: {message}")]
    BadPointer {
        /// the feature
        feature: String,
        /// the pointer as configured
        pointer: String,
        /// what is wrong
        message: String,
    },
}

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

/// Metadata of one capture record (`eventMetadata`, spec §1.3).
///
/// The ids are `None` when absent, not strings, or when the parser does not collect ids
/// ([`CaptureParser::collect_ids`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordMeta {
    /// `eventMetadata.eventId`: SageMaker's UUID of the invocation.
    pub event_id: Option<String>,
    /// `eventMetadata.inferenceId`: the caller's `InferenceId`, when it passed one.
    pub inference_id: Option<String>,
    /// `eventMetadata.inferenceTime`, as written (`%Y-%m-%dT%H:%M:%SZ`).
    pub inference_time: Option<String>,
    /// `inferenceTime` truncated to its minute, as Unix minutes; parsed without allocating,
    /// whether or not ids are collected. `None` when absent or not in SageMaker's
    /// `YYYY-MM-DDTHH:MM:SS…` form.
    pub inference_minute: Option<i64>,
    /// The record came from a shadow variant (`eventMetadata.invocationSource == "ShadowExperiment"`)
    /// and was skipped, as the SageMaker analyzer skips it: no rows were produced.
    pub skipped_shadow: bool,
}

impl RecordMeta {
    /// The ground-truth join key (spec §2.1): `inferenceId` if present, else `eventId`.
    #[must_use]
    pub fn join_key(&self) -> Option<&str> {
        self.inference_id.as_deref().or(self.event_id.as_deref())
    }
}

/// Why one capture line was rejected. Every message names the offending field or position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BadRecord {
    /// The line is not UTF-8.
    #[error("capture line is not valid UTF-8 at byte {byte_offset}")]
    NonUtf8 {
        /// length of the valid UTF-8 prefix
        byte_offset: usize,
    },
    /// The line is not one JSON object.
    #[error("capture line is not valid JSON: {message}")]
    InvalidJson {
        /// what the scanner found, with a byte offset
        message: String,
    },
    /// A required field is absent.
    #[error("capture record has no field {field}")]
    MissingField {
        /// dotted path, e.g. `captureData.endpointInput.data`
        field: &'static str,
    },
    /// A BASE64 payload does not decode.
    #[error("field {field} is not valid base64")]
    BadBase64 {
        /// dotted path of the `data` field
        field: &'static str,
    },
    /// The record does not have the mapping's number of columns.
    #[error("record has {found} columns where the capture mapping expects {expected}")]
    WrongColumnCount {
        /// columns the mapping expects
        expected: usize,
        /// columns the record has
        found: usize,
    },
    /// `encoding` is not `CSV`, `JSON` or `BASE64`.
    #[error("field {field} has unsupported encoding {encoding:?} (expected CSV, JSON or BASE64)")]
    UnsupportedEncoding {
        /// dotted path of the `encoding` field
        field: &'static str,
        /// the value found
        encoding: String,
    },
    /// A field has the wrong type, or a payload cannot be read as features.
    #[error("field {field}: {message}")]
    BadPayload {
        /// dotted path of the field
        field: &'static str,
        /// what is wrong, with the offending value
        message: String,
    },
    /// The line is longer than the reader accepts. Produced by line readers, never by [`CaptureParser`].
    #[error("capture line of {length} bytes is longer than the limit of {limit} bytes")]
    LineTooLong {
        /// bytes in the line (or read before giving up)
        length: usize,
        /// the reader's limit
        limit: usize,
    },
}

impl BadRecord {
    /// The counting key of this error.
    #[must_use]
    pub fn kind(&self) -> BadRecordKind {
        match self {
            Self::NonUtf8 { .. } => BadRecordKind::NonUtf8,
            Self::InvalidJson { .. } => BadRecordKind::InvalidJson,
            Self::MissingField { .. } => BadRecordKind::MissingField,
            Self::BadBase64 { .. } => BadRecordKind::BadBase64,
            Self::WrongColumnCount { .. } => BadRecordKind::WrongColumnCount,
            Self::UnsupportedEncoding { .. } => BadRecordKind::UnsupportedEncoding,
            Self::BadPayload { .. } => BadRecordKind::BadPayload,
            Self::LineTooLong { .. } => BadRecordKind::LineTooLong,
        }
    }
}

/// Kinds of bad records, for counting (serialised and displayed in snake_case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BadRecordKind {
    /// [`BadRecord::NonUtf8`]
    NonUtf8,
    /// [`BadRecord::InvalidJson`]
    InvalidJson,
    /// [`BadRecord::MissingField`]
    MissingField,
    /// [`BadRecord::BadBase64`]
    BadBase64,
    /// [`BadRecord::WrongColumnCount`]
    WrongColumnCount,
    /// [`BadRecord::UnsupportedEncoding`]
    UnsupportedEncoding,
    /// [`BadRecord::BadPayload`]
    BadPayload,
    /// A line longer than the line reader's limit (produced by the line reader).
    LineTooLong,
    /// A value of a numeric feature that does not parse as a number (produced by the profiler).
    UnparsableNumber,
}

impl BadRecordKind {
    /// Every kind, in declaration order.
    pub const ALL: [Self; 9] = [
        Self::NonUtf8,
        Self::InvalidJson,
        Self::MissingField,
        Self::BadBase64,
        Self::WrongColumnCount,
        Self::UnsupportedEncoding,
        Self::BadPayload,
        Self::LineTooLong,
        Self::UnparsableNumber,
    ];

    /// The snake_case name, e.g. `"wrong_column_count"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NonUtf8 => "non_utf8",
            Self::InvalidJson => "invalid_json",
            Self::MissingField => "missing_field",
            Self::BadBase64 => "bad_base64",
            Self::WrongColumnCount => "wrong_column_count",
            Self::UnsupportedEncoding => "unsupported_encoding",
            Self::BadPayload => "bad_payload",
            Self::LineTooLong => "line_too_long",
            Self::UnparsableNumber => "unparsable_number",
        }
    }
}

impl fmt::Display for BadRecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
}

impl Span {
    const NONE: Self = Self {
        start: usize::MAX,
        end: 0,
    };
}

/// The values of one record in feature order; `None` = missing or null. The strings live in one
/// text buffer owned by the row and reused by the next parse.
#[derive(Clone, Default)]
pub struct Row {
    text: String,
    spans: Vec<Span>,
    /// values seen in the payload(s), whether or not they landed in a feature
    observed: usize,
    /// where the next side's positional values start
    next_pos: usize,
    /// some side of this record was read by position
    positional: bool,
}

impl Row {
    /// An empty row (no features).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of feature slots: the mapping's feature count, or 0 for a skipped (shadow) record.
    #[must_use]
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// `true` when the row has no feature slots (a skipped record).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Value of feature `i`; `None` if missing, null, or `i >= len()`.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&str> {
        let span = self.spans.get(i)?;
        if span.start == usize::MAX {
            return None;
        }
        self.text.get(span.start..span.end)
    }

    /// All values in feature order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Option<&str>> + '_ {
        (0..self.spans.len()).map(|i| self.get(i))
    }

    /// Number of values actually observed in the payload(s) of this record: CSV fields, JSON array
    /// elements, JSON object members (including keys that are not features) and pointers, summed over
    /// the sides read.
    #[must_use]
    pub fn column_count(&self) -> usize {
        self.observed
    }

    /// Empties the row (no feature slots), keeping its buffers.
    pub fn clear(&mut self) {
        self.reset(0);
    }

    fn reset(&mut self, n: usize) {
        self.text.clear();
        self.spans.clear();
        self.spans.resize(n, Span::NONE);
        self.observed = 0;
        self.next_pos = 0;
        self.positional = false;
    }

    fn set(&mut self, slot: usize, start: usize, end: usize) {
        if let Some(span) = self.spans.get_mut(slot) {
            *span = Span { start, end };
        }
    }

    fn push_value(&mut self, slot: usize, value: &str) {
        if slot < self.spans.len() {
            let start = self.text.len();
            self.text.push_str(value);
            self.set(slot, start, self.text.len());
        }
    }

    /// Puts the JSON value `tok` of `doc` into `slot` (null leaves the slot `None`).
    fn put_json(&mut self, slot: usize, doc: &Doc<'_>, tok: usize) {
        if slot >= self.spans.len() {
            return;
        }
        let Some(kind) = doc.kind(tok) else { return };
        match kind {
            Kind::Null => {}
            Kind::True => self.push_value(slot, "true"),
            Kind::False => self.push_value(slot, "false"),
            Kind::EscStr => {
                let start = self.text.len();
                json::unescape_into(doc.raw(tok), &mut self.text);
                self.set(slot, start, self.text.len());
            }
            Kind::Str | Kind::Number | Kind::Object | Kind::Array => {
                self.push_value(slot, doc.raw(tok));
            }
        }
    }

    /// Books the values one side contributed to this record.
    fn finish_side(
        &mut self,
        count: usize,
        positional: bool,
        expect: Option<usize>,
    ) -> Result<(), BadRecord> {
        if positional {
            self.positional = true;
            if let Some(k) = expect {
                if count != k {
                    return Err(BadRecord::WrongColumnCount {
                        expected: k,
                        found: count,
                    });
                }
            }
        }
        self.observed += count;
        self.next_pos += expect.unwrap_or(count);
        Ok(())
    }
}

impl fmt::Debug for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The rows of one capture line (several when the payload holds several records). Rows are reused
/// between lines, so keep one batch per parser loop.
#[derive(Debug, Clone, Default)]
pub struct RowBatch {
    rows: Vec<Row>,
    len: usize,
}

impl RowBatch {
    /// An empty batch.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of rows the last parse produced.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` when the last parse produced no row (a skipped shadow record or an error).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Row `i` of the last parse.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&Row> {
        self.as_slice().get(i)
    }

    /// The rows of the last parse.
    #[must_use]
    pub fn as_slice(&self) -> &[Row] {
        self.rows.get(..self.len).unwrap_or(&[])
    }

    /// Iterates over the rows of the last parse.
    pub fn iter(&self) -> std::slice::Iter<'_, Row> {
        self.as_slice().iter()
    }

    /// Forgets all rows, keeping their buffers.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    fn push_reset(&mut self, n: usize) -> &mut Row {
        if self.len >= self.rows.len() {
            self.rows.push(Row::new());
        }
        let i = self.len;
        self.len += 1;
        // `rows.len() > i` was ensured just above.
        let row = &mut self.rows[i];
        row.reset(n);
        row
    }
}

impl<'a> IntoIterator for &'a RowBatch {
    type Item = &'a Row;
    type IntoIter = std::slice::Iter<'a, Row>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Segment {
    key: String,
    index: Option<usize>,
}

#[derive(Debug, Clone)]
struct Pointer {
    feature: usize,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone)]
struct SidePlan {
    side: CaptureSide,
    pointers: Vec<Pointer>,
    /// `output_columns` for `endpointOutput`, else `None`
    expect: Option<usize>,
}

#[derive(Debug, Clone, Default)]
struct Scratch {
    envelope: Vec<Tok>,
    payload: Vec<Tok>,
    data: String,
    bytes: Vec<u8>,
    key: String,
    content_type: String,
}

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
enum Encoding {
    Csv,
    Json,
    Base64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PayloadKind {
    Csv,
    Json,
    JsonLines,
}

/// Standard alphabet, padding optional.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn classify_content_type(content_type: &str) -> Option<PayloadKind> {
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

fn compile_pointer(
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
fn side_text<'a>(doc: &Doc<'a>, tok: usize, buf: &'a mut String) -> &'a str {
    if doc.kind(tok) == Some(Kind::EscStr) {
        buf.clear();
        json::unescape_into(doc.raw(tok), buf);
        buf.as_str()
    } else {
        doc.raw(tok)
    }
}

fn expect_kind(
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

/// Unix minutes of an ISO-8601 UTC time `YYYY-MM-DDTHH:MM…` (seconds and zone ignored: capture
/// times are UTC with a `Z`). Days from the civil date by the standard proleptic Gregorian
/// day count (H. Hinnant, "chrono-compatible low-level date algorithms").
fn unix_minute(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 16
        || b[4] != b'-'
        || b[7] != b'-'
        || (b[10] != b'T' && b[10] != b' ')
        || b[13] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut v = 0i64;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(c - b'0');
        }
        Some(v)
    };
    let (y, mo, d, h, mi) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 {
        return None;
    }
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 24 + h) * 60 + mi)
}

fn owned_string(doc: &Doc<'_>, tok: usize) -> Option<String> {
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

/// Hands out the rows of one side's records.
struct Sink<'r> {
    rows: &'r mut RowBatch,
    n: usize,
    first: bool,
    next: usize,
}

impl Sink<'_> {
    fn begin(&mut self, field: &'static str) -> Result<&mut Row, BadRecord> {
        let i = self.next;
        self.next += 1;
        if self.first {
            return Ok(self.rows.push_reset(self.n));
        }
        let have = self.rows.len;
        match self.rows.rows.get_mut(i) {
            Some(row) if i < have => Ok(row),
            _ => Err(BadRecord::BadPayload {
                field,
                message: format!(
                    "holds more records than the first capture side, which holds {have}"
                ),
            }),
        }
    }
}

fn read_csv(
    text: &str,
    field: &'static str,
    expect: Option<usize>,
    sink: &mut Sink<'_>,
) -> Result<(), BadRecord> {
    if memchr::memchr(b'"', text.as_bytes()).is_none() {
        for line in text.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            let row = sink.begin(field)?;
            let base = row.next_pos;
            let t0 = row.text.len();
            row.text.push_str(line);
            let mut start = 0;
            let mut count = 0;
            for comma in memchr::memchr_iter(b',', line.as_bytes()) {
                if comma > start {
                    row.set(base + count, t0 + start, t0 + comma);
                }
                count += 1;
                start = comma + 1;
            }
            if line.len() > start {
                row.set(base + count, t0 + start, t0 + line.len());
            }
            count += 1;
            row.finish_side(count, true, expect)?;
        }
        return Ok(());
    }
    read_csv_quoted(text, field, expect, sink)
}

/// RFC 4180 reader for payloads that contain `"`.
fn read_csv_quoted(
    text: &str,
    field: &'static str,
    expect: Option<usize>,
    sink: &mut Sink<'_>,
) -> Result<(), BadRecord> {
    let b = text.as_bytes();
    let sub = |from: usize, to: usize| text.get(from..to).unwrap_or("");
    let mut i = 0;
    while i < b.len() {
        match (b.get(i), b.get(i + 1)) {
            (Some(b'\n'), _) => {
                i += 1;
                continue;
            }
            (Some(b'\r'), Some(b'\n')) => {
                i += 2;
                continue;
            }
            _ => {}
        }
        let row = sink.begin(field)?;
        let base = row.next_pos;
        let mut count = 0;
        loop {
            let slot = base + count;
            count += 1;
            if b.get(i) == Some(&b'"') {
                let opened = i;
                i += 1;
                let start = row.text.len();
                loop {
                    let Some(j) = memchr::memchr(b'"', b.get(i..).unwrap_or(&[])) else {
                        return Err(BadRecord::BadPayload {
                            field,
                            message: format!("CSV value quoted at byte {opened} is never closed"),
                        });
                    };
                    row.text.push_str(sub(i, i + j));
                    i += j + 1;
                    if b.get(i) == Some(&b'"') {
                        row.text.push('"');
                        i += 1;
                    } else {
                        break;
                    }
                }
                row.set(slot, start, row.text.len());
                match (b.get(i), b.get(i + 1)) {
                    (None, _) => break,
                    (Some(b','), _) => i += 1,
                    (Some(b'\n'), _) => {
                        i += 1;
                        break;
                    }
                    (Some(b'\r'), Some(b'\n')) => {
                        i += 2;
                        break;
                    }
                    (Some(&c), _) => {
                        return Err(BadRecord::BadPayload {
                            field,
                            message: format!(
                                "unexpected {:?} after a closing quote at byte {i} of the CSV payload",
                                char::from(c)
                            ),
                        });
                    }
                }
            } else {
                let rest = b.get(i..).unwrap_or(&[]);
                let j = memchr::memchr2(b',', b'\n', rest).map_or(b.len(), |j| i + j);
                let mut value = sub(i, j);
                if b.get(j) == Some(&b'\n') {
                    value = value.strip_suffix('\r').unwrap_or(value);
                }
                if !value.is_empty() {
                    row.push_value(slot, value);
                }
                i = j + 1;
                if b.get(j) != Some(&b',') {
                    break;
                }
            }
        }
        row.finish_side(count, true, expect)?;
    }
    Ok(())
}

struct JsonCtx<'c> {
    field: &'static str,
    plan: &'c SidePlan,
    index: &'c HashMap<String, usize>,
}

fn lookup_feature(
    index: &HashMap<String, usize>,
    doc: &Doc<'_>,
    key: usize,
    scratch: &mut String,
) -> Option<usize> {
    match doc.kind(key)? {
        Kind::Str => index.get(doc.raw(key)).copied(),
        Kind::EscStr => {
            scratch.clear();
            json::unescape_into(doc.raw(key), scratch);
            index.get(scratch.as_str()).copied()
        }
        _ => None,
    }
}

fn resolve(
    doc: &Doc<'_>,
    root: usize,
    segments: &[Segment],
    scratch: &mut String,
) -> Option<usize> {
    let mut cur = root;
    for segment in segments {
        cur = match doc.kind(cur)? {
            Kind::Object => doc.member(cur, &segment.key, scratch)?,
            Kind::Array => doc.elements(cur).nth(segment.index?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn emit_record(
    doc: &Doc<'_>,
    value: usize,
    ctx: &JsonCtx<'_>,
    sink: &mut Sink<'_>,
    scratch: &mut String,
) -> Result<(), BadRecord> {
    let row = sink.begin(ctx.field)?;
    let base = row.next_pos;
    let positional_array = match doc.kind(value) {
        Some(Kind::Array) => Some(value),
        Some(Kind::Object) => {
            let mut members = doc.members(value);
            match (members.next(), members.next()) {
                (Some((k, v)), None)
                    if doc.kind(v) == Some(Kind::Array) && doc.str_eq(k, "features", scratch) =>
                {
                    Some(v)
                }
                _ => None,
            }
        }
        _ => None,
    };
    let (count, positional) = if let Some(array) = positional_array {
        let mut count = 0;
        for element in doc.elements(array) {
            row.put_json(base + count, doc, element);
            count += 1;
        }
        (count, true)
    } else if doc.kind(value) == Some(Kind::Object) {
        let mut count = 0;
        for (k, v) in doc.members(value) {
            count += 1;
            if let Some(slot) = lookup_feature(ctx.index, doc, k, scratch) {
                row.put_json(slot, doc, v);
            }
        }
        (count, false)
    } else {
        row.put_json(base, doc, value);
        (1, true)
    };
    row.finish_side(count, positional, ctx.plan.expect)
}

fn read_json(
    text: &str,
    lines: bool,
    ctx: &JsonCtx<'_>,
    sink: &mut Sink<'_>,
    tape: &mut Vec<Tok>,
    scratch: &mut String,
) -> Result<(), BadRecord> {
    json::parse(text, tape, lines).map_err(|e| BadRecord::BadPayload {
        field: ctx.field,
        message: format!("invalid JSON payload: {e}"),
    })?;
    let doc = Doc { text, tape };
    for root in doc.roots() {
        if !ctx.plan.pointers.is_empty() {
            let row = sink.begin(ctx.field)?;
            for pointer in &ctx.plan.pointers {
                if let Some(tok) = resolve(&doc, root, &pointer.segments, scratch) {
                    row.put_json(pointer.feature, &doc, tok);
                }
            }
            row.finish_side(ctx.plan.pointers.len(), false, ctx.plan.expect)?;
            continue;
        }
        let batch = match doc.kind(root) {
            Some(Kind::Object) => ["instances", "predictions"].iter().find_map(|name| {
                doc.member(root, name, scratch)
                    .filter(|&v| doc.kind(v) == Some(Kind::Array))
            }),
            Some(Kind::Array) => doc
                .elements(root)
                .next()
                .filter(|&first| matches!(doc.kind(first), Some(Kind::Array | Kind::Object)))
                .map(|_| root),
            _ => None,
        };
        match batch {
            Some(array) => {
                for element in doc.elements(array) {
                    emit_record(&doc, element, ctx, sink, scratch)?;
                }
            }
            None => emit_record(&doc, root, ctx, sink, scratch)?,
        }
    }
    Ok(())
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
        rows.clear();
        self.last_error_meta = None;
        let text = std::str::from_utf8(line).map_err(|e| BadRecord::NonUtf8 {
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
        } = &mut self.scratch;
        json::parse(text, envelope, false).map_err(|e| BadRecord::InvalidJson {
            message: e.to_string(),
        })?;
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
        if let Some(m) = doc.member(0, "eventMetadata", key) {
            if doc.kind(m) == Some(Kind::Object) {
                if let Some(t) = doc.member(m, "inferenceTime", key) {
                    if doc.kind(t) == Some(Kind::Str) {
                        meta.inference_minute = unix_minute(doc.raw(t));
                    }
                }
                if self.want_ids {
                    let get = |name: &str, key: &mut String| {
                        doc.member(m, name, key).and_then(|t| owned_string(&doc, t))
                    };
                    meta.event_id = get("eventId", key);
                    meta.inference_id = get("inferenceId", key);
                    meta.inference_time = get("inferenceTime", key);
                }
                if let Some(source) = doc.member(m, "invocationSource", key) {
                    if doc.str_eq(source, "ShadowExperiment", key) {
                        meta.skipped_shadow = true;
                        return Ok(());
                    }
                }
            }
        }
        let capture = doc
            .member(0, "captureData", key)
            .ok_or(BadRecord::MissingField {
                field: "captureData",
            })?;
        expect_kind(&doc, capture, "captureData", true)?;
        let n = self.features.len();
        for (j, plan) in self.plans.iter().enumerate() {
            let side = plan.side;
            let s = doc
                .member(capture, side.key(), key)
                .ok_or(BadRecord::MissingField {
                    field: side.field(),
                })?;
            expect_kind(&doc, s, side.field(), true)?;
            let d = doc.member(s, "data", key).ok_or(BadRecord::MissingField {
                field: side.data_field(),
            })?;
            expect_kind(&doc, d, side.data_field(), false)?;
            let e = doc
                .member(s, "encoding", key)
                .ok_or(BadRecord::MissingField {
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
            let observed_type = match doc.member(s, "observedContentType", key) {
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
                    let observed = observed_type.ok_or(BadRecord::MissingField {
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
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// A small JSON scanner producing a reusable token tape
// ---------------------------------------------------------------------------------------------

/// Strict RFC 8259 scanner. Values are not converted: the tape keeps byte spans into the text, so
/// numbers keep their exact spelling and nothing is allocated once the tape has grown.
mod json {
    use std::fmt;

    /// Deeper documents are rejected instead of recursing further.
    const MAX_DEPTH: usize = 128;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) enum Kind {
        Object,
        Array,
        /// string without escapes
        Str,
        /// string with at least one escape
        EscStr,
        Number,
        True,
        False,
        Null,
    }

    impl Kind {
        pub(super) fn name(self) -> &'static str {
            match self {
                Self::Object => "an object",
                Self::Array => "an array",
                Self::Str | Self::EscStr => "a string",
                Self::Number => "a number",
                Self::True | Self::False => "a boolean",
                Self::Null => "null",
            }
        }
    }

    /// One value on the tape. An object's members follow it as key, value, key, value...; an array's
    /// elements follow it; `next` is the index just past the value and its contents.
    #[derive(Debug, Clone, Copy)]
    pub(super) struct Tok {
        kind: Kind,
        /// strings: first byte after the opening quote; others: first byte
        start: u32,
        /// strings: the closing quote; others: one past the last byte
        end: u32,
        next: u32,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) struct SyntaxError {
        what: &'static str,
        at: usize,
    }

    impl fmt::Display for SyntaxError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{} at byte {}", self.what, self.at)
        }
    }

    /// Scans `text` into `tape` (cleared first). With `many`, `text` may hold several
    /// whitespace-separated values (JSON Lines); otherwise exactly one.
    pub(super) fn parse(text: &str, tape: &mut Vec<Tok>, many: bool) -> Result<(), SyntaxError> {
        tape.clear();
        if u32::try_from(text.len()).is_err() {
            return Err(SyntaxError {
                what: "JSON text longer than 4 GiB",
                at: 0,
            });
        }
        let mut s = Scanner {
            b: text.as_bytes(),
            pos: 0,
            tape,
        };
        s.ws();
        if s.pos >= s.b.len() {
            return Err(s.err("no JSON value"));
        }
        loop {
            s.value(0)?;
            s.ws();
            if s.pos >= s.b.len() {
                return Ok(());
            }
            if !many {
                return Err(s.err("unexpected characters after the JSON value"));
            }
        }
    }

    struct Scanner<'a, 't> {
        b: &'a [u8],
        pos: usize,
        tape: &'t mut Vec<Tok>,
    }

    impl Scanner<'_, '_> {
        fn err(&self, what: &'static str) -> SyntaxError {
            SyntaxError { what, at: self.pos }
        }

        fn peek(&self) -> Option<u8> {
            self.b.get(self.pos).copied()
        }

        fn ws(&mut self) {
            while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
                self.pos += 1;
            }
        }

        fn push(&mut self, kind: Kind, start: usize, end: usize) {
            let next = self.tape.len() + 1;
            self.tape.push(Tok {
                kind,
                start: start as u32,
                end: end as u32,
                next: next as u32,
            });
        }

        fn value(&mut self, depth: usize) -> Result<(), SyntaxError> {
            self.ws();
            match self.peek() {
                None => Err(self.err("unexpected end of JSON")),
                Some(b'{') => self.container(depth, true),
                Some(b'[') => self.container(depth, false),
                Some(b'"') => self.string(),
                Some(b'-' | b'0'..=b'9') => self.number(),
                Some(b't') => self.literal(b"true", Kind::True),
                Some(b'f') => self.literal(b"false", Kind::False),
                Some(b'n') => self.literal(b"null", Kind::Null),
                Some(_) => Err(self.err("unexpected character")),
            }
        }

        fn container(&mut self, depth: usize, object: bool) -> Result<(), SyntaxError> {
            if depth >= MAX_DEPTH {
                return Err(self.err("JSON nested deeper than 128 levels"));
            }
            let at = self.tape.len();
            let start = self.pos;
            self.push(
                if object { Kind::Object } else { Kind::Array },
                start,
                start,
            );
            self.pos += 1;
            self.ws();
            let close = if object { b'}' } else { b']' };
            if self.peek() == Some(close) {
                self.pos += 1;
            } else {
                loop {
                    if object {
                        self.ws();
                        if self.peek() != Some(b'"') {
                            return Err(self.err("expected a string key"));
                        }
                        self.string()?;
                        self.ws();
                        if self.peek() != Some(b':') {
                            return Err(self.err("expected ':'"));
                        }
                        self.pos += 1;
                    }
                    self.value(depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(c) if c == close => {
                            self.pos += 1;
                            break;
                        }
                        _ => {
                            return Err(self.err(if object {
                                "expected ',' or '}'"
                            } else {
                                "expected ',' or ']'"
                            }))
                        }
                    }
                }
            }
            let next = self.tape.len() as u32;
            let end = self.pos as u32;
            if let Some(tok) = self.tape.get_mut(at) {
                tok.end = end;
                tok.next = next;
            }
            Ok(())
        }

        fn string(&mut self) -> Result<(), SyntaxError> {
            self.pos += 1;
            let start = self.pos;
            let mut escaped = false;
            loop {
                let rest = self.b.get(self.pos..).unwrap_or(&[]);
                let Some(i) = memchr::memchr2(b'"', b'\\', rest) else {
                    self.pos = self.b.len();
                    return Err(self.err("unterminated string"));
                };
                let segment = rest.get(..i).unwrap_or(&[]);
                if segment.iter().fold(false, |acc, &c| acc | (c < 0x20)) {
                    let offset = segment.iter().position(|&c| c < 0x20).unwrap_or(0);
                    self.pos += offset;
                    return Err(self.err("control character in string"));
                }
                self.pos += i;
                if self.peek() == Some(b'"') {
                    self.push(
                        if escaped { Kind::EscStr } else { Kind::Str },
                        start,
                        self.pos,
                    );
                    self.pos += 1;
                    return Ok(());
                }
                escaped = true;
                self.escape()?;
            }
        }

        /// At a backslash inside a string.
        fn escape(&mut self) -> Result<(), SyntaxError> {
            match self.b.get(self.pos + 1) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                    self.pos += 2;
                    Ok(())
                }
                Some(b'u') => {
                    let unit = self.hex4(self.pos + 2)?;
                    self.pos += 6;
                    if (0xDC00..0xE000).contains(&unit) {
                        return Err(self.err("lone trailing surrogate in \\u escape"));
                    }
                    if (0xD800..0xDC00).contains(&unit) {
                        let low = if self.b.get(self.pos) == Some(&b'\\')
                            && self.b.get(self.pos + 1) == Some(&b'u')
                        {
                            self.hex4(self.pos + 2)?
                        } else {
                            0
                        };
                        if !(0xDC00..0xE000).contains(&low) {
                            return Err(self.err("lone leading surrogate in \\u escape"));
                        }
                        self.pos += 6;
                    }
                    Ok(())
                }
                _ => Err(self.err("invalid escape")),
            }
        }

        fn hex4(&self, at: usize) -> Result<u32, SyntaxError> {
            self.b.get(at..at + 4).and_then(hex4).ok_or(SyntaxError {
                what: "invalid \\u escape",
                at,
            })
        }

        fn digits(&mut self) -> usize {
            let from = self.pos;
            while let Some(b'0'..=b'9') = self.peek() {
                self.pos += 1;
            }
            self.pos - from
        }

        fn number(&mut self) -> Result<(), SyntaxError> {
            let start = self.pos;
            if self.peek() == Some(b'-') {
                self.pos += 1;
            }
            match self.peek() {
                Some(b'0') => self.pos += 1,
                Some(b'1'..=b'9') => {
                    self.digits();
                }
                _ => return Err(self.err("invalid number")),
            }
            if self.peek() == Some(b'.') {
                self.pos += 1;
                if self.digits() == 0 {
                    return Err(self.err("invalid number: no digit after '.'"));
                }
            }
            if let Some(b'e' | b'E') = self.peek() {
                self.pos += 1;
                if let Some(b'+' | b'-') = self.peek() {
                    self.pos += 1;
                }
                if self.digits() == 0 {
                    return Err(self.err("invalid number: no digit in exponent"));
                }
            }
            self.push(Kind::Number, start, self.pos);
            Ok(())
        }

        fn literal(&mut self, word: &'static [u8], kind: Kind) -> Result<(), SyntaxError> {
            if self.b.get(self.pos..self.pos + word.len()) == Some(word) {
                self.push(kind, self.pos, self.pos + word.len());
                self.pos += word.len();
                Ok(())
            } else {
                Err(self.err("invalid literal"))
            }
        }
    }

    fn hex4(digits: &[u8]) -> Option<u32> {
        digits.iter().try_fold(0u32, |acc, &c| {
            let v = char::from(c).to_digit(16)?;
            Some(acc * 16 + v)
        })
    }

    /// Appends the unescaped content of a scanned string to `out`. Lone surrogates (which the scanner
    /// rejects) would become U+FFFD.
    pub(super) fn unescape_into(raw: &str, out: &mut String) {
        let mut rest = raw;
        while let Some(i) = memchr::memchr(b'\\', rest.as_bytes()) {
            out.push_str(rest.get(..i).unwrap_or(""));
            let esc = rest.get(i + 1..).unwrap_or("").as_bytes();
            let used = match esc.first() {
                Some(b'n') => {
                    out.push('\n');
                    1
                }
                Some(b't') => {
                    out.push('\t');
                    1
                }
                Some(b'r') => {
                    out.push('\r');
                    1
                }
                Some(b'b') => {
                    out.push('\u{8}');
                    1
                }
                Some(b'f') => {
                    out.push('\u{c}');
                    1
                }
                Some(b'u') => {
                    let unit = esc.get(1..5).and_then(hex4);
                    let low = match (esc.get(5..7), unit) {
                        (Some(b"\\u"), Some(0xD800..=0xDBFF)) => esc
                            .get(7..11)
                            .and_then(hex4)
                            .filter(|l| (0xDC00..0xE000).contains(l)),
                        _ => None,
                    };
                    match (unit, low) {
                        (Some(high), Some(low)) => {
                            let c = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                            out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                            11
                        }
                        (Some(unit), None) => {
                            out.push(char::from_u32(unit).unwrap_or('\u{FFFD}'));
                            5
                        }
                        (None, _) => {
                            out.push('\u{FFFD}');
                            1
                        }
                    }
                }
                Some(&c) => {
                    // '"', '\\' and '/' stand for themselves
                    out.push(char::from(c));
                    1
                }
                None => 0,
            };
            rest = rest.get(i + 1 + used..).unwrap_or("");
        }
        out.push_str(rest);
    }

    /// A scanned text and its tape.
    pub(super) struct Doc<'t> {
        pub(super) text: &'t str,
        pub(super) tape: &'t [Tok],
    }

    /// Consecutive values on a tape.
    pub(super) struct Siblings<'t> {
        tape: &'t [Tok],
        at: usize,
        end: usize,
    }

    impl Iterator for Siblings<'_> {
        type Item = usize;
        fn next(&mut self) -> Option<usize> {
            if self.at >= self.end {
                return None;
            }
            let cur = self.at;
            self.at = self
                .tape
                .get(cur)
                .map_or(self.end, |t| (t.next as usize).max(cur + 1));
            Some(cur)
        }
    }

    /// (key, value) token pairs of an object.
    pub(super) struct Members<'t>(Siblings<'t>);

    impl Iterator for Members<'_> {
        type Item = (usize, usize);
        fn next(&mut self) -> Option<(usize, usize)> {
            let key = self.0.next()?;
            let value = self.0.next()?;
            Some((key, value))
        }
    }

    impl<'t> Doc<'t> {
        pub(super) fn kind(&self, tok: usize) -> Option<Kind> {
            self.tape.get(tok).map(|t| t.kind)
        }

        /// The bytes of a value: strings without their quotes (still escaped), others as written.
        pub(super) fn raw(&self, tok: usize) -> &'t str {
            self.tape
                .get(tok)
                .and_then(|t| self.text.get(t.start as usize..t.end as usize))
                .unwrap_or("")
        }

        fn children(&self, tok: usize) -> Siblings<'t> {
            let end = self.tape.get(tok).map_or(0, |t| t.next as usize);
            Siblings {
                tape: self.tape,
                at: tok + 1,
                end,
            }
        }

        /// The top-level values.
        pub(super) fn roots(&self) -> Siblings<'t> {
            Siblings {
                tape: self.tape,
                at: 0,
                end: self.tape.len(),
            }
        }

        /// Elements of an array (nothing for other kinds).
        pub(super) fn elements(&self, tok: usize) -> Siblings<'t> {
            match self.kind(tok) {
                Some(Kind::Array) => self.children(tok),
                _ => Siblings {
                    tape: self.tape,
                    at: 0,
                    end: 0,
                },
            }
        }

        /// Members of an object (nothing for other kinds).
        pub(super) fn members(&self, tok: usize) -> Members<'t> {
            match self.kind(tok) {
                Some(Kind::Object) => Members(self.children(tok)),
                _ => Members(Siblings {
                    tape: self.tape,
                    at: 0,
                    end: 0,
                }),
            }
        }

        /// Whether string token `tok` equals `target` after unescaping.
        pub(super) fn str_eq(&self, tok: usize, target: &str, scratch: &mut String) -> bool {
            match self.kind(tok) {
                Some(Kind::Str) => self.raw(tok) == target,
                Some(Kind::EscStr) => {
                    scratch.clear();
                    unescape_into(self.raw(tok), scratch);
                    scratch == target
                }
                _ => false,
            }
        }

        /// The value of the first member named `key` of object `tok`.
        pub(super) fn member(&self, tok: usize, key: &str, scratch: &mut String) -> Option<usize> {
            self.members(tok)
                .find(|&(k, _)| self.str_eq(k, key, scratch))
                .map(|(_, v)| v)
        }
    }
}

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

#[cfg(test)]
mod minute_tests {
    use super::unix_minute;

    #[test]
    fn unix_minutes_match_chrono() {
        for t in [
            "2022-04-18T00:21:48Z",
            "1970-01-01T00:00:00Z",
            "2000-02-29T23:59:59Z",
            "2026-12-31T12:00:00.123Z",
        ] {
            let c = chrono::DateTime::parse_from_rfc3339(t)
                .unwrap()
                .timestamp()
                .div_euclid(60);
            assert_eq!(unix_minute(t), Some(c), "{t}");
        }
        assert_eq!(unix_minute("2022-13-01T00:00:00Z"), None);
        assert_eq!(unix_minute("yesterday"), None);
    }
}

#[cfg(test)]
mod tests {
    use super::json::{self, Doc, Kind};
    use super::*;
    use proptest::prelude::*;

    fn scan(text: &str) -> Result<Vec<json::Tok>, String> {
        let mut tape = Vec::new();
        json::parse(text, &mut tape, false).map_err(|e| e.to_string())?;
        Ok(tape)
    }

    #[test]
    fn scanner_keeps_number_spelling_and_structure() {
        let text = r#" {"a": [1.0, -2e3, "x\"y"], "b": {"c": null}, "d": true} "#;
        let tape = scan(text).unwrap();
        let doc = Doc { text, tape: &tape };
        let mut scratch = String::new();
        let a = doc.member(0, "a", &mut scratch).unwrap();
        let items: Vec<_> = doc.elements(a).map(|t| doc.raw(t)).collect();
        assert_eq!(items, ["1.0", "-2e3", r#"x\"y"#]);
        let b = doc.member(0, "b", &mut scratch).unwrap();
        assert_eq!(doc.raw(b), r#"{"c": null}"#);
        let c = doc.member(b, "c", &mut scratch).unwrap();
        assert_eq!(doc.kind(c), Some(Kind::Null));
        let d = doc.member(0, "d", &mut scratch).unwrap();
        assert_eq!(doc.kind(d), Some(Kind::True));
        assert_eq!(doc.member(0, "zz", &mut scratch), None);
        assert_eq!(doc.roots().count(), 1);
    }

    #[test]
    fn scanner_rejects_malformed_json_with_position() {
        for (text, what) in [
            ("", "no JSON value at byte 0"),
            ("{\"a\" 1}", "expected ':' at byte 5"),
            ("[1,]", "unexpected character at byte 3"),
            ("[01]", "expected ',' or ']' at byte 2"),
            (
                "{\"a\":1} x",
                "unexpected characters after the JSON value at byte 8",
            ),
            (
                "\"\\ud800\"",
                "lone leading surrogate in \\u escape at byte 7",
            ),
            ("\"a\u{1}\"", "control character in string at byte 2"),
            ("[1.]", "invalid number: no digit after '.' at byte 3"),
            ("nul", "invalid literal at byte 0"),
            ("\"abc", "unterminated string at byte 4"),
        ] {
            assert_eq!(scan(text).unwrap_err(), what, "{text:?}");
        }
        let deep = "[".repeat(200);
        assert_eq!(
            scan(&deep).unwrap_err(),
            "JSON nested deeper than 128 levels at byte 128"
        );
    }

    #[test]
    fn scanner_reads_json_lines_sequences() {
        let text = "{\"a\":1}\n{\"a\":2}\n";
        let mut tape = Vec::new();
        json::parse(text, &mut tape, true).unwrap();
        let doc = Doc { text, tape: &tape };
        assert_eq!(doc.roots().count(), 2);
        assert!(json::parse(text, &mut tape, false).is_err());
    }

    #[test]
    fn unescape_handles_every_escape() {
        let mut out = String::new();
        json::unescape_into(r#"a\"b\\c\/d\n\t\r\b\f\u00e9\ud83d\ude00"#, &mut out);
        assert_eq!(out, "a\"b\\c/d\n\t\r\u{8}\u{c}é😀");
    }

    #[test]
    fn pointer_compilation() {
        let sides = default_sides();
        let (side, segs) = compile_pointer("f", "/input/instances/0/a~1b~0c", &sides).unwrap();
        assert_eq!(side, CaptureSide::EndpointInput);
        let keys: Vec<_> = segs.iter().map(|s| (s.key.as_str(), s.index)).collect();
        assert_eq!(keys, [("instances", None), ("0", Some(0)), ("a/b~c", None)]);
        let (side, segs) = compile_pointer("f", "/output", &sides).unwrap();
        assert_eq!((side, segs.len()), (CaptureSide::EndpointOutput, 0));
        assert!(compile_pointer("f", "/inputs/x", &sides).is_err());
        assert!(compile_pointer("f", "/batch/x", &sides).is_err());
        let (_, segs) = compile_pointer("f", "/input/01", &sides).unwrap();
        assert_eq!(segs[0].index, None);
    }

    #[test]
    fn content_types() {
        assert_eq!(
            classify_content_type("text/csv; charset=utf-8"),
            Some(PayloadKind::Csv)
        );
        assert_eq!(
            classify_content_type("Application/JSONLines"),
            Some(PayloadKind::JsonLines)
        );
        assert_eq!(
            classify_content_type("application/vnd.api+json"),
            Some(PayloadKind::Json)
        );
        assert_eq!(classify_content_type("image/png"), None);
    }

    fn json_text() -> impl Strategy<Value = String> {
        // JSON-ish alphabet so that both valid and almost-valid documents come up often.
        proptest::collection::vec(
            prop_oneof![
                Just("{".to_owned()),
                Just("}".to_owned()),
                Just("[".to_owned()),
                Just("]".to_owned()),
                Just(",".to_owned()),
                Just(":".to_owned()),
                Just("\"k\"".to_owned()),
                Just("\"".to_owned()),
                Just("\\".to_owned()),
                Just("\\u00e9".to_owned()),
                Just("\\ud83d\\ude00".to_owned()),
                Just("\\udc00".to_owned()),
                Just("1".to_owned()),
                Just("0".to_owned()),
                Just("-".to_owned()),
                Just(".5".to_owned()),
                Just("e+1".to_owned()),
                Just("true".to_owned()),
                Just("null".to_owned()),
                Just(" ".to_owned()),
                Just("\n".to_owned()),
                Just("\u{1}".to_owned()),
                Just("é".to_owned()),
            ],
            0..24,
        )
        .prop_map(|parts| parts.concat())
    }

    fn arb_value() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            any::<String>().prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec((any::<String>(), inner), 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Tape entries a value takes: itself, its elements, and for objects one key per member.
    fn tape_len(v: &serde_json::Value) -> usize {
        match v {
            serde_json::Value::Array(a) => 1 + a.iter().map(tape_len).sum::<usize>(),
            serde_json::Value::Object(m) => 1 + m.values().map(|v| 1 + tape_len(v)).sum::<usize>(),
            _ => 1,
        }
    }

    proptest! {
        /// Every document serde_json writes (compact or pretty) scans, into the expected tape, and
        /// every object member is found again under its (unescaped) key.
        #[test]
        fn scanner_reads_what_serde_json_writes(v in arb_value(), pretty in any::<bool>()) {
            let text = if pretty { serde_json::to_string_pretty(&v) } else { serde_json::to_string(&v) }.unwrap();
            let tape = scan(&text).unwrap();
            prop_assert_eq!(tape.len(), tape_len(&v));
            let doc = Doc { text: &text, tape: &tape };
            let mut scratch = String::new();
            if let serde_json::Value::Object(m) = &v {
                for (k, member) in m {
                    let at = doc.member(0, k, &mut scratch);
                    prop_assert!(at.is_some(), "member {:?} not found", k);
                    let raw = doc.raw(at.unwrap_or(0));
                    match member {
                        serde_json::Value::Number(n) => prop_assert_eq!(raw, n.to_string()),
                        serde_json::Value::Bool(b) => prop_assert_eq!(raw, b.to_string()),
                        _ => {}
                    }
                }
            }
        }

        /// The scanner accepts exactly what serde_json accepts (serde_json 1.x, `from_str::<Value>`).
        #[test]
        fn scanner_agrees_with_serde_json(text in json_text()) {
            let ours = scan(&text).is_ok();
            let theirs = serde_json::from_str::<serde_json::Value>(&text);
            prop_assert_eq!(ours, theirs.is_ok(), "{:?}: serde_json says {:?}", text, theirs.err());
        }

        /// Unescaping agrees with serde_json's string decoding.
        #[test]
        fn unescape_agrees_with_serde_json(s in any::<String>()) {
            let encoded = serde_json::to_string(&s).unwrap();
            let tape = scan(&encoded).unwrap();
            let doc = Doc { text: &encoded, tape: &tape };
            let mut out = String::new();
            json::unescape_into(doc.raw(0), &mut out);
            prop_assert_eq!(out, s);
        }
    }
}
