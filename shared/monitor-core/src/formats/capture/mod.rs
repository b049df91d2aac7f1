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

use serde::{Deserialize, Serialize};

use self::json::{Doc, Kind};

pub mod time;
pub use time::{inference_minute, inference_seconds, InferenceWindow, TimeError};

mod attribute;
mod bytescan;
mod error;
mod json;
mod parser;
mod payload;
mod record;

pub use attribute::{Attribute, AttributeError, Step, DESCRIBED_MEMBERS};
pub use error::{
    BadKind, BadRecord, BadRecordKind, BadRecords, CaptureError, WarnBudget, FIRST_LINES_KEPT,
    WARN_LINES_PER_OBJECT,
};
pub use parser::CaptureParser;
pub use record::{
    CaptureRecord, Payload, PayloadReader, RecordReader, SideRecord, MAX_ENVELOPE_VALUES,
    MAX_PAYLOAD_VALUES, SCRATCH_KEEP_BYTES,
};

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

    /// Position in [`CaptureSide::ALL`].
    const fn index(self) -> usize {
        match self {
            Self::EndpointOutput => 0,
            Self::EndpointInput => 1,
            Self::BatchTransformOutput => 2,
        }
    }

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
    /// `inferenceTime` truncated to its UTC minute, as Unix minutes ([`inference_minute`]:
    /// RFC 3339, offsets converted); read whether or not ids are collected, without allocating
    /// for SageMaker's `…Z` form. `None` when absent or unusable; a parser given an
    /// [`InferenceWindow`] ([`CaptureParser::inference_window`]) refuses such records instead.
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

    /// All values in feature order: what [`Row::get`] gives for each slot, walking the
    /// slots instead of looking each one up (issue 16 item 2: ingest reads every value of
    /// every record through this).
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Option<&str>> + '_ {
        self.spans.iter().map(|span| {
            if span.start == usize::MAX {
                None
            } else {
                self.text.get(span.start..span.end)
            }
        })
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

/// Rows a [`RowBatch`] keeps allocated between lines.
pub const ROWS_KEPT: usize = 1024;

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

    /// Forgets all rows and drops the buffers of rows beyond [`ROWS_KEPT`] (issue 11: one
    /// request of many records, e.g. a 6 MB JSON array, must not stay resident).
    pub(crate) fn release(&mut self) {
        self.len = 0;
        if self.rows.len() > ROWS_KEPT {
            self.rows.truncate(ROWS_KEPT);
            self.rows.shrink_to_fit();
        }
        for row in &mut self.rows {
            if row.text.capacity() > SCRATCH_KEEP_BYTES {
                row.text = String::new();
            }
        }
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

#[cfg(test)]
mod tests {
    use super::json::{self, Doc, Kind};
    use super::parser::{classify_content_type, compile_pointer, PayloadKind};
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
