//! A small JSON scanner producing a reusable token tape.
//!
//! Strict RFC 8259 scanner. Values are not converted: the tape keeps byte spans into the text, so
//! numbers keep their exact spelling and nothing is allocated once the tape has grown.

use std::fmt;

use super::bytescan;

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
    parse_capped(text, tape, many, usize::MAX)
}

/// [`parse`] with at most `max_values` values on the tape: a longer document is refused
/// (bounded work and memory per line, issue 11) instead of growing the tape without end.
pub(super) fn parse_capped(
    text: &str,
    tape: &mut Vec<Tok>,
    many: bool,
    max_values: usize,
) -> Result<(), SyntaxError> {
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
        max: max_values,
        record: true,
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
    /// most values the tape may hold
    max: usize,
    /// whether values go on the tape (a [`Walk`] only skips them)
    record: bool,
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

    fn push(&mut self, kind: Kind, start: usize, end: usize) -> Result<(), SyntaxError> {
        if !self.record {
            return Ok(());
        }
        if self.tape.len() >= self.max {
            return Err(self.err("more JSON values than the per-line limit"));
        }
        let next = self.tape.len() + 1;
        self.tape.push(Tok {
            kind,
            start: start as u32,
            end: end as u32,
            next: next as u32,
        });
        Ok(())
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
        )?;
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
                    self.ws();
                }
                // a string value (most of an envelope's) is scanned here, without the call
                // to `value` and its dispatch (issue 16 item 2; `value` begins with the same
                // `ws` and sends a `"` to the same `string`)
                if self.peek() == Some(b'"') {
                    self.string()?;
                } else {
                    self.value(depth + 1)?;
                }
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

    /// At the opening quote of a string. The common string (no escape, no control character)
    /// is found inline; anything else goes to [`Scanner::string_slow`] (issue 16 item 2: the
    /// whole scan as one outlined function cost a prologue and an epilogue per string).
    #[inline]
    fn string(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos + 1;
        let rest = self.b.get(start..).unwrap_or(&[]);
        if let Some(i) = bytescan::find_string_special(rest) {
            let end = start + i;
            if self.b.get(end) == Some(&b'"') {
                self.pos = end;
                self.push(Kind::Str, start, end)?;
                self.pos = end + 1;
                return Ok(());
            }
        }
        self.string_slow()
    }

    /// [`Scanner::string`] for strings with escapes, and for the errors.
    #[cold]
    #[inline(never)]
    fn string_slow(&mut self) -> Result<(), SyntaxError> {
        self.pos += 1;
        let start = self.pos;
        let mut escaped = false;
        loop {
            let rest = self.b.get(self.pos..).unwrap_or(&[]);
            let Some(i) = bytescan::find_string_special(rest) else {
                self.pos = self.b.len();
                return Err(self.err("unterminated string"));
            };
            self.pos += i;
            match self.peek() {
                Some(b'"') => {
                    self.push(
                        if escaped { Kind::EscStr } else { Kind::Str },
                        start,
                        self.pos,
                    )?;
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    escaped = true;
                    self.escape()?;
                }
                _ => {
                    // a control character: an error where it stands, unless no quote or
                    // backslash follows at all (then the string is unterminated)
                    let after = self.b.get(self.pos..).unwrap_or(&[]);
                    if memchr::memchr2(b'"', b'\\', after).is_none() {
                        self.pos = self.b.len();
                        return Err(self.err("unterminated string"));
                    }
                    return Err(self.err("control character in string"));
                }
            }
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
        self.push(Kind::Number, start, self.pos)
    }

    fn literal(&mut self, word: &'static [u8], kind: Kind) -> Result<(), SyntaxError> {
        if self.b.get(self.pos..self.pos + word.len()) == Some(word) {
            self.push(kind, self.pos, self.pos + word.len())?;
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.err("invalid literal"))
        }
    }
}

/// A value found by a [`Walk`]: its kind and span, as on a tape (strings: inside the
/// quotes; others: first byte to one past the last).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Found {
    pub(super) kind: Kind,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// Lookups in one JSON document without a tape: values that are not wanted are scanned
/// (validated) and skipped, never recorded, so memory stays constant whatever the size of
/// the document (issue 11: a payload with a million keys). Each lookup is one pass.
pub(super) struct Walk<'a> {
    text: &'a str,
    pos: usize,
    none: Vec<Tok>,
}

impl<'a> Walk<'a> {
    /// A walk over `text`.
    pub(super) fn new(text: &'a str) -> Self {
        Walk {
            text,
            pos: 0,
            none: Vec::new(),
        }
    }

    fn scanner(&mut self) -> Scanner<'a, '_> {
        Scanner {
            b: self.text.as_bytes(),
            pos: self.pos,
            tape: &mut self.none,
            max: 0,
            record: false,
        }
    }

    fn ws(&mut self) {
        let mut s = self.scanner();
        s.ws();
        self.pos = s.pos;
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn err(&self, what: &'static str) -> SyntaxError {
        SyntaxError { what, at: self.pos }
    }

    /// The text of a found value: strings without quotes (still escaped).
    pub(super) fn raw(&self, f: Found) -> &'a str {
        self.text.get(f.start..f.end).unwrap_or("")
    }

    /// Scans the value at the cursor and moves past it.
    fn value(&mut self) -> Result<Found, SyntaxError> {
        self.ws();
        let start = self.pos;
        let first = self.peek();
        let mut s = self.scanner();
        s.value(0)?;
        let end = s.pos;
        self.pos = end;
        let kind = match first {
            Some(b'{') => Kind::Object,
            Some(b'[') => Kind::Array,
            Some(b'"') => {
                let inner = self.text.as_bytes().get(start + 1..end - 1).unwrap_or(&[]);
                return Ok(Found {
                    kind: if memchr::memchr(b'\\', inner).is_some() {
                        Kind::EscStr
                    } else {
                        Kind::Str
                    },
                    start: start + 1,
                    end: end - 1,
                });
            }
            Some(b't') => Kind::True,
            Some(b'f') => Kind::False,
            Some(b'n') => Kind::Null,
            _ => Kind::Number,
        };
        Ok(Found { kind, start, end })
    }

    /// The whole document: exactly one value, surrounded by whitespace only.
    ///
    /// # Errors
    /// The first syntax error.
    pub(super) fn root(&mut self) -> Result<Found, SyntaxError> {
        self.pos = 0;
        self.ws();
        if self.pos >= self.text.len() {
            return Err(self.err("no JSON value"));
        }
        let root = self.value()?;
        self.ws();
        if self.pos < self.text.len() {
            return Err(self.err("unexpected characters after the JSON value"));
        }
        Ok(root)
    }

    /// Calls `f` with each top-level value of a document that may hold several
    /// whitespace-separated values (JSON Lines) until it returns `false`; returns how many
    /// were visited.
    ///
    /// # Errors
    /// The first syntax error, or no value at all.
    pub(super) fn roots(&mut self, mut f: impl FnMut(Found) -> bool) -> Result<usize, SyntaxError> {
        self.pos = 0;
        self.ws();
        if self.pos >= self.text.len() {
            return Err(self.err("no JSON value"));
        }
        let mut n = 0;
        while self.pos < self.text.len() {
            let v = self.value()?;
            n += 1;
            let at = self.pos;
            if !f(v) {
                return Ok(n);
            }
            self.pos = at;
            self.ws();
        }
        Ok(n)
    }

    /// Calls `f` with each element of array `arr` (index, value) until it returns `false`.
    pub(super) fn elements(
        &mut self,
        arr: Found,
        mut f: impl FnMut(usize, Found) -> bool,
    ) -> Result<(), SyntaxError> {
        if arr.kind != Kind::Array {
            return Ok(());
        }
        self.pos = arr.start + 1;
        self.ws();
        if self.peek() == Some(b']') {
            return Ok(());
        }
        for i in 0.. {
            let v = self.value()?;
            if !f(i, v) {
                return Ok(());
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    /// Calls `f` with each member of object `obj` (key token, value) until it returns
    /// `false`.
    pub(super) fn members(
        &mut self,
        obj: Found,
        mut f: impl FnMut(Found, Found) -> bool,
    ) -> Result<(), SyntaxError> {
        if obj.kind != Kind::Object {
            return Ok(());
        }
        self.pos = obj.start + 1;
        self.ws();
        if self.peek() == Some(b'}') {
            return Ok(());
        }
        loop {
            let key = self.value()?;
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expected ':'"));
            }
            self.pos += 1;
            let v = self.value()?;
            if !f(key, v) {
                return Ok(());
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                _ => return Ok(()),
            }
        }
    }

    /// Whether string `tok` equals `target` after unescaping.
    pub(super) fn str_eq(&self, tok: Found, target: &str, scratch: &mut String) -> bool {
        match tok.kind {
            Kind::Str => self.raw(tok) == target,
            Kind::EscStr => {
                scratch.clear();
                unescape_into(self.raw(tok), scratch);
                scratch == target
            }
            _ => false,
        }
    }

    /// The value of the first member named `key` of object `obj`.
    pub(super) fn member(
        &mut self,
        obj: Found,
        key: &str,
        scratch: &mut String,
    ) -> Result<Option<Found>, SyntaxError> {
        let mut found = None;
        let text = self.text;
        let probe = Walk::new(text);
        self.members(obj, |k, v| {
            if probe.str_eq(k, key, scratch) {
                found = Some(v);
                false
            } else {
                true
            }
        })?;
        Ok(found)
    }

    /// Element `index` of array `arr`.
    pub(super) fn element(
        &mut self,
        arr: Found,
        index: usize,
    ) -> Result<Option<Found>, SyntaxError> {
        let mut found = None;
        self.elements(arr, |i, v| {
            if i == index {
                found = Some(v);
                false
            } else {
                true
            }
        })?;
        Ok(found)
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

/// Whether member name `name` is `key`: the length and the first byte decide most pairs of an
/// envelope's names (`mode` and `data`, `eventId` and `inferenceTime`) before a `memcmp` call
/// (issue 16 item 2).
#[inline(always)]
fn same_name(name: &[u8], key: &[u8]) -> bool {
    name.len() == key.len() && name.first() == key.first() && name == key
}

/// The member names a capture envelope's parser looks up, for [`scan_envelope`].
pub(super) struct EnvelopeNames {
    /// `eventMetadata` and `captureData`, members of the root object
    pub(super) root: [&'static str; 2],
    /// the members of `eventMetadata` read
    pub(super) metadata: [&'static str; 4],
    /// the sides, members of `captureData`
    pub(super) sides: [&'static str; 3],
    /// the members of a side read
    pub(super) side: [&'static str; 3],
}

/// Where [`scan_envelope`] put the members the parser reads: tape indices of the values of
/// the first member of each name (`None`: no such member), as [`Doc::members_named`] finds
/// them on the full tape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Envelope {
    /// `root` names' values
    pub(super) root: [Option<usize>; 2],
    /// `metadata` names' values
    pub(super) metadata: [Option<usize>; 4],
    /// `sides` names' values
    pub(super) sides: [Option<usize>; 3],
    /// per side, its `side` names' values
    pub(super) side: [[Option<usize>; 3]; 3],
}

/// Where a value the parser reads goes in the [`Envelope`].
#[derive(Clone, Copy)]
enum Slot {
    Root(usize),
    Metadata(usize),
    Side(usize),
    /// side, name
    Field(usize, usize),
}

/// Whose members the shaped scan is reading.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Root,
    Metadata,
    Capture,
    Side(usize),
}

/// Scans a capture line of the usual shape in one pass, putting on `tape` only the values the
/// parser reads (issue 16 item 2: the general scan put every key and value on the tape, and
/// the parser then looked each member up by name).
///
/// Returns `None` — the caller then scans `text` with [`parse_capped`] — unless `text` is,
/// from its first byte to its last, a JSON object without whitespace or escaped member names
/// in which: `eventMetadata` and each side of `captureData` are objects whose members all have
/// string values; `captureData` is an object whose other members have string values; every
/// other member of the root has a string value; no name the parser reads appears twice in its
/// object; and there are at most `max_values` values (keys included, as [`parse_capped`]
/// counts them). For such a line every lookup the parser makes finds the value
/// [`Doc::members_named`] would find on the full tape, with the same kind and span, and the
/// text is valid JSON (strings are checked as [`parse_capped`] checks them).
///
/// `layout` is the layout of an earlier line, tried first: a line with the same bytes outside
/// its string values (the same names, in the same order, with the same punctuation) is read
/// by comparing those bytes and finding where each value ends, without scanning or looking up
/// a name (issue 16 item 2). A line scanned in full whose string values hold no escape
/// becomes the new layout.
pub(super) fn scan_envelope(
    text: &str,
    tape: &mut Vec<Tok>,
    max_values: usize,
    names: &EnvelopeNames,
    layout: &mut Layout,
) -> Option<Envelope> {
    tape.clear();
    let b = text.as_bytes();
    if u32::try_from(b.len()).is_err() || b.first() != Some(&b'{') {
        return None;
    }
    if layout.values <= max_values {
        if let Some(found) = layout.read(b, tape) {
            return Some(found);
        }
        tape.clear();
    }
    layout.spans.clear();
    let mut s = Shaped {
        // the general scanner, not recording: its checks of a string with an escape
        scan: Scanner {
            b,
            pos: 0,
            tape,
            max: max_values,
            record: false,
        },
        values: 1,
        names,
        found: Envelope::default(),
        spans: &mut layout.spans,
        plain: true,
    };
    s.push(Kind::Object, 0, b.len());
    s.object(Level::Root)?;
    if s.scan.pos != b.len() || s.values > max_values {
        return None;
    }
    let (found, values, plain) = (s.found, s.values, s.plain);
    if plain {
        layout.build(b, tape, found, values);
    }
    Some(found)
}

/// A token of a [`Layout`]'s tape: its positions as (segment, offset into the segment).
#[derive(Debug, Clone, Copy)]
struct LaidTok {
    kind: Kind,
    start: (u32, u32),
    end: (u32, u32),
    next: u32,
}

/// A line [`scan_envelope`] read in full, cut at its string values: the segments of
/// bytes around them, and its tape and envelope with every position given by segment. Another
/// line with the same segments, whose values hold no escape, has that tape and envelope at
/// its own positions: [`scan_envelope`] would scan it the same way, since every decision it
/// makes is on bytes of the segments (names, punctuation) or on where a value string ends.
#[derive(Debug, Clone, Default)]
pub(super) struct Layout {
    /// the segments' bytes, one after another (none: no layout yet)
    bytes: Vec<u8>,
    /// where each segment ends in `bytes`; one more segment than string values
    ends: Vec<u32>,
    tokens: Vec<LaidTok>,
    found: Envelope,
    /// the values the line had (keys included): checked against the cap again
    values: usize,
    /// scratch: where each segment starts in the line being read
    starts: Vec<u32>,
    /// scratch: the string values' spans in the line being scanned
    spans: Vec<(u32, u32)>,
    /// lines read through the layout (the tests check that the path is taken)
    #[cfg(test)]
    pub(super) reads: usize,
}

impl Layout {
    /// Heap bytes held (the parser drops a layout a long line made large).
    pub(super) fn heap_bytes(&self) -> usize {
        self.bytes.capacity()
            + (self.ends.capacity() + self.starts.capacity()) * 4
            + self.spans.capacity() * 8
            + self.tokens.capacity() * std::mem::size_of::<LaidTok>()
    }

    /// The layout of line `b`, whose string values are `self.spans` (all without escapes),
    /// scanned into `tape` and `found`.
    fn build(&mut self, b: &[u8], tape: &[Tok], found: Envelope, values: usize) {
        self.bytes.clear();
        self.ends.clear();
        self.tokens.clear();
        self.starts.clear();
        let mut from = 0;
        for &(start, end) in &self.spans {
            self.starts.push(from);
            self.bytes
                .extend_from_slice(&b[from as usize..start as usize]);
            self.ends.push(self.bytes.len() as u32);
            from = end;
        }
        self.starts.push(from);
        self.bytes.extend_from_slice(&b[from as usize..]);
        self.ends.push(self.bytes.len() as u32);
        let starts = &self.starts;
        let spans = &self.spans;
        // the segment holding byte `p` of the line, and `p`'s offset in it
        let at = |p: u32| {
            let j = starts.partition_point(|&s| s <= p) - 1;
            (j as u32, p - starts[j])
        };
        for t in tape {
            let (start, end) = if matches!(t.kind, Kind::Str) {
                // a value string: it starts where segment i ends and ends where i + 1 starts
                let Ok(i) = spans.binary_search(&(t.start, t.end)) else {
                    // cannot happen (every value string is a span); no layout then
                    self.ends.clear();
                    return;
                };
                ((i as u32, spans[i].0 - starts[i]), (i as u32 + 1, 0))
            } else {
                // an object: its `{` and its `}` are bytes of segments
                let (j, off) = at(t.end - 1);
                (at(t.start), (j, off + 1))
            };
            self.tokens.push(LaidTok {
                kind: t.kind,
                start,
                end,
                next: t.next,
            });
        }
        self.found = found;
        self.values = values;
    }

    /// Reads `b` if it has this layout: its tape into `tape`, and its envelope.
    fn read(&mut self, b: &[u8], tape: &mut Vec<Tok>) -> Option<Envelope> {
        let last = self.ends.len().checked_sub(1)?;
        self.starts.clear();
        let (mut pos, mut from) = (0, 0);
        for (j, &end) in self.ends.iter().enumerate() {
            let segment = &self.bytes[from..end as usize];
            from = end as usize;
            if b.get(pos..pos + segment.len()) != Some(segment) {
                return None;
            }
            // the line is shorter than 4 GiB (checked by the caller)
            #[allow(clippy::cast_possible_truncation)]
            self.starts.push(pos as u32);
            pos += segment.len();
            if j == last {
                break;
            }
            // a value string, to its closing quote: no escape, no control character
            let rest = b.get(pos..)?;
            let i = bytescan::find_string_special(rest)?;
            if rest[i] != b'"' {
                return None;
            }
            pos += i;
        }
        if pos != b.len() {
            return None;
        }
        #[cfg(test)]
        {
            self.reads += 1;
        }
        let starts = &self.starts;
        tape.extend(self.tokens.iter().map(|t| Tok {
            kind: t.kind,
            start: starts[t.start.0 as usize] + t.start.1,
            end: starts[t.end.0 as usize] + t.end.1,
            next: t.next,
        }));
        Some(self.found)
    }
}

/// Index of `key` among `names`.
#[inline]
fn position_of(names: &[&str], key: &[u8]) -> Option<usize> {
    names.iter().position(|n| n.as_bytes() == key)
}

struct Shaped<'a, 't> {
    /// the text, the position and the tape (`max` is the cap on `values`)
    scan: Scanner<'a, 't>,
    /// values seen, keys included (the general scan's tape length)
    values: usize,
    names: &'t EnvelopeNames,
    found: Envelope,
    /// the spans of the string values, in order ([`Layout`])
    spans: &'t mut Vec<(u32, u32)>,
    /// no string value held an escape
    plain: bool,
}

impl Shaped<'_, '_> {
    /// At an opening quote: the string's span and kind, the position after its closing quote.
    /// `None` for a string the general scan refuses.
    #[inline]
    fn string(&mut self) -> Option<(usize, usize, Kind)> {
        let start = self.scan.pos + 1;
        let rest = self.scan.b.get(start..)?;
        if let Some(i) = bytescan::find_string_special(rest) {
            if rest.get(i) == Some(&b'"') {
                self.scan.pos = start + i + 1;
                return Some((start, start + i, Kind::Str));
            }
        }
        // an escape, or an error: the general scanner's own check (it records nothing)
        self.scan.string_slow().ok()?;
        Some((start, self.scan.pos - 1, Kind::EscStr))
    }

    fn push(&mut self, kind: Kind, start: usize, end: usize) -> usize {
        let at = self.scan.tape.len();
        // spans fit: the text is shorter than 4 GiB
        #[allow(clippy::cast_possible_truncation)]
        self.scan.tape.push(Tok {
            kind,
            start: start as u32,
            end: end as u32,
            next: at as u32 + 1,
        });
        at
    }

    /// Where the string value of a member named `key` at `level` goes: `Some(None)` for a
    /// member the parser does not read, `None` for one the shaped scan does not take.
    #[inline]
    fn string_slot(&self, level: Level, key: &[u8]) -> Option<Option<Slot>> {
        let named = |names: &[&str]| position_of(names, key);
        match level {
            // a string where the parser expects an object: the general path says what is wrong
            Level::Root => named(&self.names.root).map_or(Some(None), |_| None),
            Level::Capture => named(&self.names.sides).map_or(Some(None), |_| None),
            Level::Metadata => Some(named(&self.names.metadata).map(Slot::Metadata)),
            Level::Side(j) => Some(named(&self.names.side).map(|i| Slot::Field(j, i))),
        }
    }

    /// Where the object value of a member named `key` at `level` goes, and the level of its
    /// members; `None` for an object the shaped scan does not take.
    #[inline]
    fn object_slot(&self, level: Level, key: &[u8]) -> Option<(Slot, Level)> {
        let named = |names: &[&str]| position_of(names, key);
        match level {
            Level::Root => match named(&self.names.root)? {
                0 => Some((Slot::Root(0), Level::Metadata)),
                i => Some((Slot::Root(i), Level::Capture)),
            },
            Level::Capture => named(&self.names.sides).map(|i| (Slot::Side(i), Level::Side(i))),
            Level::Metadata | Level::Side(_) => None,
        }
    }

    fn slot_mut(&mut self, slot: Slot) -> &mut Option<usize> {
        match slot {
            Slot::Root(i) => &mut self.found.root[i],
            Slot::Metadata(i) => &mut self.found.metadata[i],
            Slot::Side(i) => &mut self.found.sides[i],
            Slot::Field(j, i) => &mut self.found.side[j][i],
        }
    }

    /// Puts a value on the tape for `slot`; `None` when the slot is taken (a repeated name).
    fn fill(&mut self, slot: Slot, kind: Kind, start: usize, end: usize) -> Option<usize> {
        if self.slot_mut(slot).is_some() {
            return None;
        }
        let at = self.push(kind, start, end);
        *self.slot_mut(slot) = Some(at);
        Some(at)
    }

    /// At the `{` of an object at `level`; reads it to its `}`.
    fn object(&mut self, level: Level) -> Option<()> {
        self.scan.pos += 1;
        if self.scan.b.get(self.scan.pos) == Some(&b'}') {
            self.scan.pos += 1;
            return Some(());
        }
        loop {
            if self.scan.b.get(self.scan.pos) != Some(&b'"') {
                return None;
            }
            let (ks, ke, kind) = self.string()?;
            if kind != Kind::Str || self.scan.b.get(self.scan.pos) != Some(&b':') {
                return None;
            }
            self.scan.pos += 1;
            self.values += 2;
            if self.values > self.scan.max {
                return None;
            }
            let key = &self.scan.b[ks..ke];
            match self.scan.b.get(self.scan.pos) {
                Some(b'"') => {
                    let slot = self.string_slot(level, key)?;
                    let (vs, ve, kind) = self.string()?;
                    // spans fit: the text is shorter than 4 GiB
                    #[allow(clippy::cast_possible_truncation)]
                    self.spans.push((vs as u32, ve as u32));
                    self.plain &= kind == Kind::Str;
                    if let Some(slot) = slot {
                        self.fill(slot, kind, vs, ve)?;
                    }
                }
                Some(b'{') => {
                    let (slot, inner) = self.object_slot(level, key)?;
                    let at = self.fill(slot, Kind::Object, self.scan.pos, self.scan.pos)?;
                    self.object(inner)?;
                    // spans fit: the text is shorter than 4 GiB
                    #[allow(clippy::cast_possible_truncation)]
                    if let Some(tok) = self.scan.tape.get_mut(at) {
                        tok.end = self.scan.pos as u32;
                    }
                }
                _ => return None,
            }
            match self.scan.b.get(self.scan.pos) {
                Some(b',') => self.scan.pos += 1,
                Some(b'}') => {
                    self.scan.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }
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

    /// The bytes of a value, as [`Doc::raw`] without the check that the span is text: the
    /// scanner's spans start and end at ASCII delimiters, so they are.
    fn raw_bytes(&self, tok: usize) -> &'t [u8] {
        self.tape
            .get(tok)
            .and_then(|t| self.text.as_bytes().get(t.start as usize..t.end as usize))
            .unwrap_or(&[])
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
            Some(Kind::Str) => same_name(self.raw_bytes(tok), target.as_bytes()),
            Some(Kind::EscStr) => {
                scratch.clear();
                unescape_into(self.raw(tok), scratch);
                scratch == target
            }
            _ => false,
        }
    }

    /// The values of the first members named `keys[0]`, `keys[1]`, … of object `tok`, in one
    /// pass over its members (each is what [`Doc::member`] finds for that key).
    pub(super) fn members_named<const N: usize>(
        &self,
        tok: usize,
        keys: [&str; N],
        scratch: &mut String,
    ) -> [Option<usize>; N] {
        let mut found = [None; N];
        let mut missing = N;
        for (k, v) in self.members(tok) {
            let name = match self.kind(k) {
                Some(Kind::Str) => self.raw_bytes(k),
                Some(Kind::EscStr) => {
                    scratch.clear();
                    unescape_into(self.raw(k), scratch);
                    scratch.as_bytes()
                }
                _ => continue,
            };
            for (slot, key) in found.iter_mut().zip(keys) {
                if slot.is_none() && same_name(name, key.as_bytes()) {
                    *slot = Some(v);
                    missing -= 1;
                }
            }
            if missing == 0 {
                break;
            }
        }
        found
    }

    /// The value of the first member named `key` of object `tok`.
    pub(super) fn member(&self, tok: usize, key: &str, scratch: &mut String) -> Option<usize> {
        self.members(tok)
            .find(|&(k, _)| self.str_eq(k, key, scratch))
            .map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The word-at-a-time search before issue 16 item 2, kept as the block search's oracle.
    /// Index of the first byte of `b` that ends a run of plain string bytes: `"`, `\\` or a
    /// control character (below 0x20), eight bytes at a time (issue 16 item 1: the envelope's
    /// strings are short, so a vector search's set-up and a second pass for control characters
    /// cost more than the scan itself).
    ///
    /// Per 8-byte word `w` (little-endian, so the lowest flagged byte is the first in the text),
    /// `(x - 0x01…01) & !x & 0x80…80` flags the bytes of `x` that are zero, and
    /// `(w - 0x20…20) & !w & 0x80…80` those below 0x20; a borrow can only flag a byte *after* a
    /// true hit, so the lowest flag is exact (the classic "has zero byte" test).
    fn find_special_swar(b: &[u8]) -> Option<usize> {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = 0x8080_8080_8080_8080;
        let zero = |x: u64| x.wrapping_sub(ONES) & !x;
        let mut chunks = b.chunks_exact(8);
        let mut at = 0;
        for chunk in &mut chunks {
            let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
                break;
            };
            let w = u64::from_le_bytes(bytes);
            let hits = (zero(w ^ (ONES * u64::from(b'"')))
                | zero(w ^ (ONES * u64::from(b'\\')))
                | (w.wrapping_sub(ONES * 0x20) & !w))
                & HIGH;
            if hits != 0 {
                return Some(at + (hits.trailing_zeros() / 8) as usize);
            }
            at += 8;
        }
        b.get(at..)?
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
            .map(|i| at + i)
    }

    proptest! {
        /// The word-at-a-time search finds what a byte-by-byte one finds, at every length
        /// and alignment (bytes near each boundary: 0x1f/0x20, 0x7f/0x80, 0xff).
        #[test]
        fn find_special_is_the_first_quote_backslash_or_control_byte(
            b in prop::collection::vec(prop::sample::select(
                vec![b'a', b'"', b'\\', 0x00, 0x1f, 0x20, b'!', b'#', b'[', b']', 0x7f, 0x80, 0xff]
            ), 0..40)
        ) {
            let naive = b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
            prop_assert_eq!(find_special_swar(&b), naive);
            prop_assert_eq!(bytescan::find_string_special(&b), naive);
        }
    }

    /// String errors name the byte the scan before issue 16's word-at-a-time search named:
    /// the control character, unless no quote or backslash follows (then the end).
    #[test]
    fn string_errors_keep_their_positions() {
        let mut tape = Vec::new();
        for (text, what, at) in [
            ("\"abc", "unterminated string", 4),
            ("\"a\u{1}bc\"", "control character in string", 2),
            ("\"a\u{1}bc", "unterminated string", 5),
            ("\"abcdefghij\u{1f}k\"", "control character in string", 11),
            ("\"ab\\\"c\u{2}\"", "control character in string", 6),
        ] {
            let e = parse(text, &mut tape, false).unwrap_err();
            assert_eq!((e.what, e.at), (what, at), "{text:?}");
        }
    }
}
