//! Borrowed reads of one capture record, for the consumers that need its envelope rather
//! than feature rows: the prediction index (ids, time, the raw `endpointOutput` object and
//! attributes of the decoded payloads) and captured attributions.
//!
//! It runs the same scanner and token tape as [`CaptureParser`](super::CaptureParser), so
//! every consumer of the ingest pass reads capture lines through one parser (issue 10).
//! Nothing is converted to `serde_json::Value`: strings, numbers and the raw side objects
//! are spans of the line.
//!
//! Work and memory per line are bounded (issue 11): the envelope tape holds at most
//! [`MAX_ENVELOPE_VALUES`] values and a payload tape at most [`MAX_PAYLOAD_VALUES`] (a
//! longer document is a bad record, not a bigger allocation), and scratch buffers a long
//! line grew beyond [`SCRATCH_KEEP_BYTES`] are released before the next line.
//!
//! Payload rules (those of the prediction index since it existed): `encoding` defaults to
//! `CSV`; `CSV` and `JSON` data is read as written, `BASE64` data is decoded (padding
//! optional) and must be UTF-8; a payload is JSON when its encoding is `JSON` or its
//! `observedContentType` mentions `json`, else CSV.

use std::borrow::Cow;

use super::json::{self, Doc, Found, Kind, Tok};
use super::parser::BASE64;
use super::{BadRecord, BadRecordKind, CaptureSide};
use crate::formats::number;
use base64::Engine as _;

/// Most values the envelope of one capture line may hold (SageMaker writes about 20: the
/// payloads are strings).
pub const MAX_ENVELOPE_VALUES: usize = 1 << 12;

/// Most values one decoded JSON payload may hold when a consumer looks into it (an
/// attribute, a pointer, the input features); a larger payload is a `bad_payload` record.
pub const MAX_PAYLOAD_VALUES: usize = 1 << 18;

/// Scratch buffers are kept between lines up to this capacity; a longer line's buffers are
/// released before the next one, so one huge line does not stay resident.
pub const SCRATCH_KEEP_BYTES: usize = 1 << 20;

/// Buffers of one side's decoded data.
#[derive(Debug, Default)]
struct SideScratch {
    /// unescaped `data`
    data: String,
    /// base64-decoded `data`
    bytes: Vec<u8>,
}

impl SideScratch {
    fn release(&mut self) {
        if self.data.capacity() > SCRATCH_KEEP_BYTES {
            self.data = String::new();
        }
        if self.bytes.capacity() > SCRATCH_KEEP_BYTES {
            self.bytes = Vec::new();
        }
    }

    fn capacity(&self) -> usize {
        self.data.capacity() + self.bytes.capacity()
    }
}

/// Reads capture lines into [`CaptureRecord`]s, reusing its buffers between lines.
#[derive(Debug, Default)]
pub struct RecordReader {
    envelope: Vec<Tok>,
    key: String,
    output: SideScratch,
    input: SideScratch,
    decode_input: bool,
}

/// One capture record, borrowed from its line (and the reader's scratch buffers).
#[derive(Debug)]
pub struct CaptureRecord<'a> {
    /// whether the line has an `eventMetadata` object
    pub has_metadata: bool,
    /// `eventMetadata.eventId`, when a string
    pub event_id: Option<Cow<'a, str>>,
    /// `eventMetadata.inferenceId`, when a string
    pub inference_id: Option<Cow<'a, str>>,
    /// `eventMetadata.inferenceTime` as written, when a string
    pub inference_time: Option<Cow<'a, str>>,
    /// `eventMetadata.targetModel`, when a string: SageMaker does not write it for
    /// multi-model endpoints today ([`crate::multimodel`]); read in case a capture carries it
    pub target_model: Option<Cow<'a, str>>,
    /// a shadow-variant record (`invocationSource == "ShadowExperiment"`); its sides are
    /// not read
    pub shadow: bool,
    /// `captureData.endpointOutput`, when present
    pub output: Option<SideRecord<'a>>,
    /// `captureData.endpointInput`, when present and asked for
    /// ([`RecordReader::decode_input`])
    pub input: Option<SideRecord<'a>>,
    /// the raw `captureData.endpointInput` object as written, when present (decoded or
    /// not): what merged records carry back
    pub input_raw: Option<&'a str>,
}

/// One side of a capture record.
#[derive(Debug)]
pub struct SideRecord<'a> {
    /// the side's JSON value exactly as written in the line
    pub raw: &'a str,
    /// its decoded payload, or why it cannot be read
    pub payload: Result<Payload<'a>, BadRecord>,
}

/// A decoded payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Payload<'a> {
    /// the payload text
    pub text: &'a str,
    /// JSON (else CSV)
    pub json: bool,
    /// JSON Lines (an `observedContentType` of [`super::parser`]'s JSON Lines types): the
    /// payload may hold several documents
    pub lines: bool,
}

/// The text of a string token, unescaped when it has escapes.
fn text_of<'a>(doc: &Doc<'a>, tok: usize) -> Option<Cow<'a, str>> {
    match doc.kind(tok)? {
        Kind::Str => Some(Cow::Borrowed(doc.raw(tok))),
        Kind::EscStr => {
            let mut s = String::new();
            json::unescape_into(doc.raw(tok), &mut s);
            Some(Cow::Owned(s))
        }
        _ => None,
    }
}

/// Whether `haystack` contains `needle` (ASCII, case-insensitive).
fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Decodes the payload of side object `s`.
fn decode<'a>(
    doc: &Doc<'a>,
    s: usize,
    side: CaptureSide,
    scratch: &'a mut SideScratch,
    key: &mut String,
) -> Result<Payload<'a>, BadRecord> {
    let d = doc
        .member(s, "data", key)
        .filter(|&d| matches!(doc.kind(d), Some(Kind::Str | Kind::EscStr)))
        .ok_or(BadRecord::MissingField {
            field: side.data_field(),
        })?;
    let encoding = doc
        .member(s, "encoding", key)
        .and_then(|t| text_of(doc, t))
        .unwrap_or(Cow::Borrowed("CSV"));
    let content_type = doc
        .member(s, "observedContentType", key)
        .and_then(|t| text_of(doc, t))
        .unwrap_or(Cow::Borrowed(""));
    let json = encoding == "JSON" || contains_ignore_case(&content_type, "json");
    let lines = super::parser::classify_content_type(&content_type)
        == Some(super::parser::PayloadKind::JsonLines);
    let SideScratch { data, bytes } = scratch;
    let raw: &'a str = if doc.kind(d) == Some(Kind::EscStr) {
        data.clear();
        json::unescape_into(doc.raw(d), data);
        let data: &'a String = data;
        data.as_str()
    } else {
        doc.raw(d)
    };
    let text = match &*encoding {
        "CSV" | "JSON" => raw,
        "BASE64" => {
            bytes.clear();
            BASE64
                .decode_vec(raw.trim_ascii(), bytes)
                .map_err(|_| BadRecord::BadBase64 {
                    field: side.data_field(),
                })?;
            let bytes: &'a Vec<u8> = bytes;
            std::str::from_utf8(bytes).map_err(|e| BadRecord::NonUtf8 {
                byte_offset: e.valid_up_to(),
            })?
        }
        other => {
            return Err(BadRecord::UnsupportedEncoding {
                field: side.encoding_field(),
                encoding: other.to_owned(),
            })
        }
    };
    Ok(Payload { text, json, lines })
}

impl RecordReader {
    /// A reader that decodes `endpointOutput` only.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether to decode `endpointInput` too (default `false`).
    #[must_use]
    pub fn decode_input(mut self, yes: bool) -> Self {
        self.decode_input = yes;
        self
    }

    /// Bytes the reader holds between lines (tapes and scratch buffers); after any line this
    /// is at most about `2 × 2 × SCRATCH_KEEP_BYTES` plus the envelope tape.
    #[must_use]
    pub fn held_bytes(&self) -> usize {
        self.envelope.capacity() * std::mem::size_of::<Tok>()
            + self.key.capacity()
            + self.output.capacity()
            + self.input.capacity()
    }

    /// Releases scratch buffers a long line grew beyond [`SCRATCH_KEEP_BYTES`] (done
    /// before each line too).
    pub fn release(&mut self) {
        self.output.release();
        self.input.release();
        if self.key.capacity() > SCRATCH_KEEP_BYTES {
            self.key = String::new();
        }
    }

    /// Reads one capture line (raw bytes without the newline).
    ///
    /// # Errors
    /// [`BadRecord`] when the line is not UTF-8, not JSON, not an object, or has more than
    /// [`MAX_ENVELOPE_VALUES`] values. A side whose payload cannot be decoded is not an
    /// error here: its [`SideRecord::payload`] says why.
    pub fn read<'a>(&'a mut self, line: &'a [u8]) -> Result<CaptureRecord<'a>, BadRecord> {
        self.release();
        let text = std::str::from_utf8(line).map_err(|e| BadRecord::NonUtf8 {
            byte_offset: e.valid_up_to(),
        })?;
        let Self {
            envelope,
            key,
            output,
            input,
            decode_input,
        } = self;
        json::parse_capped(text, envelope, false, MAX_ENVELOPE_VALUES).map_err(|e| {
            BadRecord::InvalidJson {
                message: e.to_string(),
            }
        })?;
        let tape: &'a [Tok] = envelope;
        let doc = Doc { text, tape };
        if doc.kind(0) != Some(Kind::Object) {
            return Err(BadRecord::InvalidJson {
                message: format!(
                    "a capture record must be a JSON object, found {}",
                    doc.kind(0).map_or("nothing", Kind::name)
                ),
            });
        }
        let meta = doc
            .member(0, "eventMetadata", key)
            .filter(|&m| doc.kind(m) == Some(Kind::Object));
        let mut field = |name: &str| {
            meta.and_then(|m| doc.member(m, name, key))
                .and_then(|t| text_of(&doc, t))
        };
        let mut record = CaptureRecord {
            has_metadata: meta.is_some(),
            event_id: field("eventId"),
            inference_id: field("inferenceId"),
            inference_time: field("inferenceTime"),
            target_model: field("targetModel"),
            shadow: field("invocationSource").as_deref() == Some("ShadowExperiment"),
            output: None,
            input: None,
            input_raw: None,
        };
        if record.shadow {
            return Ok(record);
        }
        let Some(capture) = doc.member(0, "captureData", key) else {
            return Ok(record);
        };
        if let Some(s) = doc.member(capture, CaptureSide::EndpointOutput.key(), key) {
            record.output = Some(SideRecord {
                raw: doc.raw(s),
                payload: decode(&doc, s, CaptureSide::EndpointOutput, output, key),
            });
        }
        let input_side = doc.member(capture, CaptureSide::EndpointInput.key(), key);
        record.input_raw = input_side.map(|s| doc.raw(s));
        if *decode_input {
            if let Some(s) = input_side {
                record.input = Some(SideRecord {
                    raw: doc.raw(s),
                    payload: decode(&doc, s, CaptureSide::EndpointInput, input, key),
                });
            }
        }
        Ok(record)
    }
}

/// Looks into decoded payloads (attributes, pointers, numbers) without building a tape or
/// a `serde_json::Value`: a [`json::Walk`] validates the payload and skips what is not
/// asked for, so memory stays constant whatever the payload's size.
#[derive(Debug, Default)]
pub struct PayloadReader {
    pub(super) key: String,
}

/// Resolves an RFC 6901 pointer (`""` is the whole document) from `root`.
pub(super) fn resolve(
    walk: &mut json::Walk<'_>,
    root: Found,
    pointer: &str,
    key: &mut String,
) -> Result<Option<Found>, json::SyntaxError> {
    let Some(rest) = pointer.strip_prefix('/') else {
        return Ok(pointer.is_empty().then_some(root));
    };
    let mut at = root;
    for raw in rest.split('/') {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        let next = match at.kind {
            Kind::Object => walk.member(at, &segment, key)?,
            Kind::Array => {
                let canonical = segment == "0" || !segment.starts_with(['0', '+']);
                match segment.parse::<usize>().ok().filter(|_| canonical) {
                    Some(i) => walk.element(at, i)?,
                    None => None,
                }
            }
            _ => None,
        };
        let Some(next) = next else {
            return Ok(None);
        };
        at = next;
    }
    Ok(Some(at))
}

/// A scalar as text: strings unescaped, `null` → `None`, anything else as written.
fn scalar_text(walk: &json::Walk<'_>, f: Found) -> Option<String> {
    match f.kind {
        Kind::Null => None,
        Kind::EscStr => {
            let mut s = String::new();
            json::unescape_into(walk.raw(f), &mut s);
            Some(s)
        }
        _ => Some(walk.raw(f).to_owned()),
    }
}

/// A JSON number as a usable float (finite, within ±1e100: [`number::check`]).
fn usable_number(walk: &json::Walk<'_>, f: Found) -> Option<f64> {
    if f.kind != Kind::Number {
        return None;
    }
    let x: f64 = walk.raw(f).parse().ok()?;
    number::check(x, "").ok()
}

impl PayloadReader {
    /// A reader with empty buffers.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Releases a key buffer a long key grew beyond [`SCRATCH_KEEP_BYTES`].
    pub fn release(&mut self) {
        if self.key.capacity() > SCRATCH_KEEP_BYTES {
            self.key = String::new();
        }
    }

    /// Bytes the reader holds between payloads.
    #[must_use]
    pub fn held_bytes(&self) -> usize {
        self.key.capacity()
    }

    /// Reads one attribute of a payload: a CSV column index (`"0"`) of its first line, a
    /// JSON array index (index 0 of a scalar is the scalar), or a JSON pointer
    /// (`"/predicted_label"`). Strings are unescaped, other JSON values kept as written,
    /// quotes around a CSV value dropped. `None` when the payload has no such value (or is
    /// not JSON where JSON is needed).
    pub fn attribute(&mut self, payload: Payload<'_>, attribute: &str) -> Option<String> {
        if attribute.starts_with('/') || payload.json {
            if !payload.json {
                return None;
            }
            let mut walk = json::Walk::new(payload.text);
            let root = walk.root().ok()?;
            let found = if attribute.starts_with('/') {
                resolve(&mut walk, root, attribute, &mut self.key).ok()?
            } else {
                match (attribute.trim().parse::<usize>(), root.kind) {
                    (Ok(i), Kind::Array) => walk.element(root, i).ok()?,
                    (Ok(0), _) => Some(root),
                    _ => None,
                }
            };
            return found.and_then(|f| scalar_text(&walk, f));
        }
        let index: usize = attribute.trim().parse().ok()?;
        let first_line = payload.text.trim().lines().next()?;
        super::bytescan::nth_field(first_line, index)
            .map(|s| s.trim().trim_matches('"').to_string())
    }

    /// Every value of a payload as a usable number: the first CSV line's fields, or a JSON
    /// array (also `{"features": [..]}` and the first row of `{"instances": [[..]]}`);
    /// `None` if any is not a usable number, or there are more than [`MAX_PAYLOAD_VALUES`].
    pub fn numbers(&mut self, payload: Payload<'_>) -> Option<Vec<f64>> {
        if payload.json {
            let mut walk = json::Walk::new(payload.text);
            let root = walk.root().ok()?;
            let arr = match root.kind {
                Kind::Array => root,
                Kind::Object => {
                    let features = walk.member(root, "features", &mut self.key).ok()?;
                    match features.filter(|f| f.kind == Kind::Array) {
                        Some(f) => f,
                        None => {
                            let rows = walk.member(root, "instances", &mut self.key).ok()??;
                            walk.element(rows, 0).ok()??
                        }
                    }
                }
                _ => return None,
            };
            if arr.kind != Kind::Array {
                return None;
            }
            let mut out = Vec::new();
            let mut ok = true;
            let probe = json::Walk::new(payload.text);
            walk.elements(arr, |i, v| {
                match usable_number(&probe, v) {
                    Some(x) if i < MAX_PAYLOAD_VALUES => out.push(x),
                    _ => ok = false,
                }
                ok
            })
            .ok()?;
            return ok.then_some(out);
        }
        let first_line = payload.text.trim().lines().next()?;
        let mut out = Vec::new();
        for s in first_line.split(',') {
            if out.len() >= MAX_PAYLOAD_VALUES {
                return None;
            }
            let x: f64 = s.trim().trim_matches('"').parse().ok()?;
            out.push(number::check(x, "").ok()?);
        }
        Some(out)
    }

    /// The numbers at `pointer` in a JSON payload, one per name of `names`: an object keyed
    /// by the names, or an array of exactly `names.len()` numbers (a model's own
    /// attributions, for example).
    ///
    /// # Errors
    /// The kind of bad record and a message naming the pointer and the offending value.
    pub fn numbers_at(
        &mut self,
        payload: Payload<'_>,
        pointer: &str,
        names: &[String],
        field: &'static str,
    ) -> Result<Vec<f64>, (BadRecordKind, String)> {
        let not_json = |e: json::SyntaxError| {
            (
                BadRecordKind::BadPayload,
                format!("{field} is not JSON: {e}"),
            )
        };
        let mut walk = json::Walk::new(payload.text);
        let root = walk.root().map_err(not_json)?;
        let found = resolve(&mut walk, root, pointer, &mut self.key)
            .map_err(not_json)?
            .ok_or_else(|| {
                (
                    BadRecordKind::BadPayload,
                    format!("pointer {pointer:?} not in {field}"),
                )
            })?;
        self.numbers_in(payload.text, found, pointer, names, field)
    }

    /// The numbers of the value `found` of `text` (an object keyed by `names` or an array of
    /// `names.len()` numbers); `pointer` names where it was, in messages.
    pub(super) fn numbers_in(
        &mut self,
        text: &str,
        found: Found,
        pointer: &str,
        names: &[String],
        field: &'static str,
    ) -> Result<Vec<f64>, (BadRecordKind, String)> {
        let not_json = |e: json::SyntaxError| {
            (
                BadRecordKind::BadPayload,
                format!("{field} is not JSON: {e}"),
            )
        };
        let mut walk = json::Walk::new(text);
        let probe = json::Walk::new(text);
        let num = |f: Found, what: &str| {
            usable_number(&probe, f).ok_or_else(|| {
                (
                    BadRecordKind::UnparsableNumber,
                    format!("{what} = {} (pointer {pointer:?})", probe.raw(f)),
                )
            })
        };
        match found.kind {
            Kind::Object => names
                .iter()
                .map(|n| {
                    walk.member(found, n, &mut self.key)
                        .map_err(not_json)?
                        .map_or_else(
                            || {
                                Err((
                                    BadRecordKind::BadPayload,
                                    format!("value of {n:?} missing at {pointer:?}"),
                                ))
                            },
                            |f| num(f, n),
                        )
                })
                .collect(),
            Kind::Array => {
                let mut values = Vec::with_capacity(names.len());
                let mut count = 0usize;
                walk.elements(found, |i, f| {
                    count = i + 1;
                    if let Some(n) = names.get(i) {
                        values.push(num(f, n));
                    }
                    i <= names.len()
                })
                .map_err(not_json)?;
                if count != names.len() {
                    return Err(wrong_shape(
                        pointer,
                        names.len(),
                        "an array of another length",
                    ));
                }
                values.into_iter().collect()
            }
            other => Err(wrong_shape(pointer, names.len(), other.name())),
        }
    }
}

/// The error of attributions that are neither an object nor an array of the right length.
fn wrong_shape(pointer: &str, n: usize, found: &str) -> (BadRecordKind, String) {
    (
        BadRecordKind::BadPayload,
        format!(
            "values at {pointer:?} must be an object or an array of {n} numbers, found {found}"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"1,2","encoding":"CSV"},"endpointOutput":{"observedContentType":"application/json","mode":"OUTPUT","data":"{\"p\":0.25,\"l\":[1,\"a\"]}","encoding":"JSON"}},"eventMetadata":{"eventId":"e1","inferenceId":"i\u00e9","inferenceTime":"2021-02-05T17:23:35Z"},"eventVersion":"0"}"#;

    #[test]
    fn a_record_borrows_its_fields_and_raw_sides() {
        let mut r = RecordReader::new().decode_input(true);
        let rec = r.read(LINE.as_bytes()).unwrap();
        assert_eq!(rec.event_id.as_deref(), Some("e1"));
        assert_eq!(rec.inference_id.as_deref(), Some("i\u{e9}"));
        assert_eq!(rec.inference_time.as_deref(), Some("2021-02-05T17:23:35Z"));
        let out = rec.output.unwrap();
        assert!(out.raw.starts_with("{\"observedContentType\"") && out.raw.ends_with("\"JSON\"}"));
        let p = out.payload.unwrap();
        assert_eq!(p.text, r#"{"p":0.25,"l":[1,"a"]}"#);
        assert!(p.json);
        let i = rec.input.unwrap().payload.unwrap();
        assert_eq!((i.text, i.json), ("1,2", false));
    }

    #[test]
    fn attributes_by_pointer_index_and_column() {
        let mut pr = PayloadReader::new();
        let json = Payload {
            text: r#"{"p":0.25,"l":[1,"a\"b"],"n":null,"o":{"x":[1, 2]}}"#,
            json: true,
            lines: false,
        };
        assert_eq!(pr.attribute(json, "/p").as_deref(), Some("0.25"));
        assert_eq!(pr.attribute(json, "/l/1").as_deref(), Some("a\"b"));
        assert_eq!(pr.attribute(json, "/o").as_deref(), Some(r#"{"x":[1, 2]}"#));
        assert_eq!(pr.attribute(json, "/o/x/1").as_deref(), Some("2"));
        assert_eq!(pr.attribute(json, "/n"), None);
        assert_eq!(pr.attribute(json, "/x"), None);
        assert_eq!(pr.attribute(json, "/l/01"), None);
        let broken = Payload {
            text: r#"{"p":0.25,"#,
            json: true,
            lines: false,
        };
        assert_eq!(pr.attribute(broken, "/p"), None);
        let csv = Payload {
            text: "0.7,\"b\"\n9,9",
            json: false,
            lines: false,
        };
        assert_eq!(pr.attribute(csv, "1").as_deref(), Some("b"));
        assert_eq!(pr.attribute(csv, "/p"), None);
        let arr = Payload {
            text: "[3, 4]",
            json: true,
            lines: false,
        };
        assert_eq!(pr.attribute(arr, "1").as_deref(), Some("4"));
    }

    /// Issue 11: a payload with 1M keys cost 279 MB (a `serde_json::Value` per key). A
    /// lookup now walks the payload without recording it: the reader holds no more than
    /// its key scratch, whatever the number of keys.
    #[test]
    fn a_payload_with_a_million_keys_is_read_without_allocating_per_key() {
        let keys = 1_000_000usize;
        let mut text = String::with_capacity(keys * 12);
        text.push('{');
        for i in 0..keys {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&format!("\"k{i}\":{}", i % 7));
        }
        text.push('}');
        let mut pr = PayloadReader::new();
        let payload = Payload {
            text: &text,
            json: true,
            lines: false,
        };
        let last = format!("/k{}", keys - 1);
        assert_eq!(
            pr.attribute(payload, &last).as_deref(),
            Some(((keys - 1) % 7).to_string().as_str())
        );
        assert_eq!(pr.attribute(payload, "/missing"), None);
        // the only buffer: the scratch of one (escaped) key
        assert!(pr.held_bytes() <= SCRATCH_KEEP_BYTES, "{}", pr.held_bytes());
        let names: Vec<String> = vec!["k3".into(), "k4".into()];
        assert_eq!(
            pr.numbers_at(payload, "", &names, "data").unwrap(),
            vec![3.0, 4.0]
        );
    }

    #[test]
    fn numbers_refuse_poison_and_oversized_payloads() {
        let mut pr = PayloadReader::new();
        let csv = |text| Payload {
            text,
            json: false,
            lines: false,
        };
        assert_eq!(pr.numbers(csv("1,2.5")), Some(vec![1.0, 2.5]));
        assert_eq!(pr.numbers(csv("1e200,2")), None);
        let many = vec!["1"; MAX_PAYLOAD_VALUES + 1].join(",");
        assert_eq!(pr.numbers(csv(&many)), None);
        let many_json = format!("[{many}]");
        assert_eq!(
            pr.numbers(Payload {
                text: &many_json,
                json: true,
                lines: false
            }),
            None
        );
        let json = |text| Payload {
            text,
            json: true,
            lines: false,
        };
        assert_eq!(
            pr.numbers(json(r#"{"instances":[[1,2]]}"#)),
            Some(vec![1.0, 2.0])
        );
        assert_eq!(pr.numbers(json("[1, 1e400]")), None);
    }

    #[test]
    fn an_envelope_with_too_many_values_is_invalid() {
        let extra: Vec<String> = (0..MAX_ENVELOPE_VALUES)
            .map(|i| format!("\"x{i}\":0"))
            .collect();
        let line = format!("{{{}}}", extra.join(","));
        let e = RecordReader::new().read(line.as_bytes()).unwrap_err();
        assert_eq!(e.kind(), BadRecordKind::InvalidJson);
    }
}
