//! The payload of one side: CSV (RFC 4180) or JSON (documents, JSON Lines, pointers),
//! split into records and values.

use super::bytescan;
use super::json::{Doc, Kind, Tok};
use super::parser::{Segment, SidePlan};
use super::*;

/// Hands out the rows of one side's records.
pub(super) struct Sink<'r> {
    pub(super) rows: &'r mut RowBatch,
    pub(super) n: usize,
    pub(super) first: bool,
    pub(super) next: usize,
}

impl Sink<'_> {
    pub(super) fn begin(&mut self, field: &'static str) -> Result<&mut Row, BadRecord> {
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

/// Reads a CSV payload: one record per non-empty line (a `\r` before the `\n` dropped), its
/// values split at commas; an empty value leaves its slot `None`. Payloads with a `"` go to
/// [`read_csv_quoted`]. Issue 16 item 2: a capture payload is mostly one short line, found as
/// such by one block search for `"` or `\n` ([`bytescan::find_either`]); its fields are split
/// in one pass over its dense commas ([`bytescan::for_each_field`]).
pub(super) fn read_csv(
    text: &str,
    field: &'static str,
    expect: Option<usize>,
    sink: &mut Sink<'_>,
) -> Result<(), BadRecord> {
    let b = text.as_bytes();
    if bytescan::find_either(b, b'"', b'\n').is_none() {
        return read_csv_line(text, field, expect, sink);
    }
    if memchr::memchr(b'"', b).is_some() {
        return read_csv_quoted(text, field, expect, sink);
    }
    let mut from = 0;
    while from <= b.len() {
        let end = memchr::memchr(b'\n', b.get(from..).unwrap_or(&[])).map_or(b.len(), |i| from + i);
        read_csv_line(text.get(from..end).unwrap_or(""), field, expect, sink)?;
        from = end + 1;
    }
    Ok(())
}

/// [`read_csv`] of a payload that was a JSON string without escapes ([`Kind::Str`]): such a
/// string holds neither a `"` nor a control character such as `\n` or `\r` (RFC 8259 §7;
/// the scanner refuses both), so the payload is one line without quotes, and `read_csv`'s
/// search for them, which could only come back empty, is skipped (issue 16 item 2).
pub(super) fn read_csv_plain(
    text: &str,
    field: &'static str,
    expect: Option<usize>,
    sink: &mut Sink<'_>,
) -> Result<(), BadRecord> {
    debug_assert!(bytescan::find_either(text.as_bytes(), b'"', b'\n').is_none());
    read_csv_line(text, field, expect, sink)
}

/// One line of an unquoted CSV payload (without its `\n`): a record unless it is empty.
fn read_csv_line(
    line: &str,
    field: &'static str,
    expect: Option<usize>,
    sink: &mut Sink<'_>,
) -> Result<(), BadRecord> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.is_empty() {
        return Ok(());
    }
    let row = sink.begin(field)?;
    let base = row.next_pos;
    let t0 = row.text.len();
    row.text.push_str(line);
    let mut count = 0;
    bytescan::for_each_field(line.as_bytes(), |start, end| {
        if end > start {
            row.set(base + count, t0 + start, t0 + end);
        }
        count += 1;
    });
    row.finish_side(count, true, expect)
}

/// RFC 4180 reader for payloads that contain `"`.
pub(super) fn read_csv_quoted(
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

pub(super) struct JsonCtx<'c> {
    pub(super) field: &'static str,
    pub(super) plan: &'c SidePlan,
    pub(super) index: &'c HashMap<String, usize>,
}

pub(super) fn lookup_feature(
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

pub(super) fn resolve(
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

pub(super) fn emit_record(
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

pub(super) fn read_json(
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The unquoted CSV reader before issue 16 item 2 (`split('\n')` and `memchr_iter`), kept
    /// as the oracle of [`read_csv`].
    fn read_csv_before(
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

    /// What a reader makes of `text` for `n` features: each row's values and column count,
    /// or the error.
    type Read = Result<Vec<(Vec<Option<String>>, usize)>, BadRecord>;

    fn run(
        read: fn(&str, &'static str, Option<usize>, &mut Sink<'_>) -> Result<(), BadRecord>,
        text: &str,
        n: usize,
        expect: Option<usize>,
    ) -> Read {
        let mut rows = RowBatch::new();
        let mut sink = Sink {
            rows: &mut rows,
            n,
            first: true,
            next: 0,
        };
        read(text, "captureData.endpointInput.data", expect, &mut sink)?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.iter().map(|v| v.map(str::to_owned)).collect(),
                    r.column_count(),
                )
            })
            .collect())
    }

    /// Text made of values, commas, newlines and carriage returns in any order, including
    /// empty lines, empty values, a `\r` not before a `\n` and lines longer than a block.
    fn csv_text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec![
                "a",
                "1.5",
                "-0",
                "north",
                "x y",
                ",",
                ",",
                ",",
                ",",
                "\n",
                "\r",
                "\r\n",
                "é",
                "0123456789abcdef",
            ]),
            0..60,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        /// The block reader reads every unquoted payload as the reader before it did: the same
        /// rows, values, column counts and errors.
        #[test]
        fn read_csv_reads_what_the_reader_before_it_read(
            text in csv_text(),
            n in 0usize..8,
            expect in prop::option::of(0usize..8),
        ) {
            prop_assert_eq!(
                run(read_csv, &text, n, expect),
                run(read_csv_before, &text, n, expect)
            );
        }
    }

    proptest! {
        /// A payload that can be a JSON string without escapes (no `"`, no control
        /// character) reads the same through the shortcut as through `read_csv`.
        #[test]
        fn read_csv_plain_reads_what_read_csv_reads(
            parts in prop::collection::vec(
                prop::sample::select(vec!["a", "1.5", "-0", "north", "x y", ",", ",", "é",
                    "0123456789abcdef", "\\", "'"]),
                0..60,
            ),
            n in 0usize..8,
            expect in prop::option::of(0usize..8),
        ) {
            let text = parts.concat();
            prop_assert_eq!(
                run(read_csv_plain, &text, n, expect),
                run(read_csv, &text, n, expect)
            );
        }
    }

    #[test]
    fn a_capture_line_of_twenty_values_splits_at_each_comma() {
        let text = "0.5,,north,12,-3.25,,,a,b,c,d,e,f,g,h,i,j,k,l,\r\n\n1,2";
        let got = run(read_csv, text, 20, None).unwrap();
        assert_eq!(got, run(read_csv_before, text, 20, None).unwrap());
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1, 20);
        assert_eq!(got[0].0[2].as_deref(), Some("north"));
        assert_eq!(got[0].0[1], None);
        assert_eq!(got[1].0[..2], [Some("1".to_owned()), Some("2".to_owned())]);
    }
}
