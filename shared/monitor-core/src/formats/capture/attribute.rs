//! Attributes: where a value (a probability, a predicted label, a facet, a ground-truth
//! label) is in a payload, one value per instance of the request.
//!
//! An attribute is written in one of three forms:
//!
//! * a **column index** (`"0"`): the column of each CSV line, or the element of each JSON
//!   instance (an array, or `{"features": [..]}`; index 0 of a scalar is the scalar);
//! * an RFC 6901 **JSON pointer** (`"/predictions/0/score"`): one value per JSON document;
//! * a **JMESPath-style path** as SageMaker Model Monitor and Clarify write them
//!   (`"predictions[*].score"`, `"instances[*].label"`, `"score"`): dotted member names
//!   (unquoted identifiers or `"quoted"`), `[N]` indexes and at most one `[*]` projection.
//!   With `[*]`, each element of the projected array is one instance; without, the path
//!   gives one value per document.
//!
//! This is the subset of JMESPath SageMaker's attributes use: no filters, functions, slices,
//! multi-selects or nested projections (a second `[*]` is refused when the attribute is
//! read). The `jmespath` crate was not used: it evaluates on its own tree of reference-counted
//! values built from the whole document, where the capture path walks payloads without
//! building anything (issue 11: memory stays flat however large a request is).
//!
//! Instances of a request (what one instance is, per payload kind):
//!
//! * CSV: each non-empty line;
//! * JSON: per document (JSON Lines payloads hold several), the elements of its
//!   `"instances"` or `"predictions"` array member, or of a top-level array whose first
//!   element is an array or an object; else the document itself (the rule the data-quality
//!   reader splits records by, see the module docs of [`super`]).

use super::json::{self, Found, Kind, Walk};
use super::{Payload, PayloadReader};
use crate::formats::number;

/// One step of a path: a member name or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// an object member
    Key(String),
    /// an array element (0-based)
    Index(usize),
}

/// Where a value is in a payload (see the module docs for the three forms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attribute {
    /// a CSV column / the element of a JSON instance
    Column(usize),
    /// an RFC 6901 pointer (`""` is the whole document)
    Pointer(String),
    /// a JMESPath-style path: `prefix`, then (with `wildcard`) every element of the array
    /// it reaches, then `suffix` inside each element
    Path {
        /// steps before the projection (all of them without one)
        prefix: Vec<Step>,
        /// whether the path projects an array (`[*]`)
        wildcard: bool,
        /// steps inside each projected element
        suffix: Vec<Step>,
    },
}

/// An attribute that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("attribute {attribute:?}: {message} at character {at}")]
pub struct AttributeError {
    /// the attribute as written
    pub attribute: String,
    /// 0-based character offset of the problem
    pub at: usize,
    /// what is wrong
    pub message: &'static str,
}

impl Attribute {
    /// Reads an attribute: digits are a column, `/…` (or nothing) a JSON pointer, anything
    /// else a JMESPath-style path.
    ///
    /// # Errors
    /// [`AttributeError`] naming the attribute and the offending position (a path outside
    /// the supported subset, a second `[*]`, a column index that overflows).
    pub fn parse(text: &str) -> Result<Self, AttributeError> {
        let t = text.trim();
        let err = |at: usize, message: &'static str| AttributeError {
            attribute: text.to_owned(),
            at,
            message,
        };
        if t.is_empty() || t.starts_with('/') {
            return Ok(Attribute::Pointer(t.to_owned()));
        }
        if t.bytes().all(|b| b.is_ascii_digit()) {
            return t
                .parse()
                .map(Attribute::Column)
                .map_err(|_| err(0, "column index too large"));
        }
        let b = t.as_bytes();
        let mut i = 0;
        let mut steps = Vec::new();
        let mut wildcard_at = None;
        let mut first = true;
        while i < b.len() {
            match b.get(i) {
                Some(b'[') => {
                    let open = i;
                    i += 1;
                    if b.get(i) == Some(&b'*') {
                        i += 1;
                        if wildcard_at.is_some() {
                            return Err(err(open, "only one [*] projection is supported"));
                        }
                        wildcard_at = Some(steps.len());
                    } else {
                        let start = i;
                        while b.get(i).is_some_and(u8::is_ascii_digit) {
                            i += 1;
                        }
                        let index = t
                            .get(start..i)
                            .and_then(|d| d.parse().ok())
                            .ok_or_else(|| err(start, "expected [*] or [N] with N ≥ 0"))?;
                        steps.push(Step::Index(index));
                    }
                    if b.get(i) != Some(&b']') {
                        return Err(err(i, "expected ]"));
                    }
                    i += 1;
                }
                Some(b'.') if !first => {
                    i += 1;
                    let (name, next) = identifier(t, i).ok_or_else(|| {
                        err(
                            i,
                            "expected a member name after '.' (letters, digits, _ or \"quoted\")",
                        )
                    })?;
                    steps.push(Step::Key(name));
                    i = next;
                }
                _ if first => {
                    let (name, next) = identifier(t, i).ok_or_else(|| {
                        err(
                            i,
                            "expected a member name (letters, digits, _ or \"quoted\")",
                        )
                    })?;
                    steps.push(Step::Key(name));
                    i = next;
                }
                _ => return Err(err(i, "expected '.', [N] or [*]")),
            }
            first = false;
        }
        let (prefix, suffix) = match wildcard_at {
            Some(at) => {
                let suffix = steps.split_off(at);
                (steps, suffix)
            }
            None => (steps, Vec::new()),
        };
        Ok(Attribute::Path {
            prefix,
            wildcard: wildcard_at.is_some(),
            suffix,
        })
    }

    /// The values of the attribute in a JSON value (a ground-truth record's data), one per
    /// instance; `None` where an instance has no (scalar) value.
    pub fn values_in(&self, value: &serde_json::Value) -> Vec<Option<String>> {
        use serde_json::Value;
        let scalar = |v: Option<&Value>| match v? {
            Value::String(s) => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        match self {
            Attribute::Pointer(p) => vec![scalar(value.pointer(p))],
            Attribute::Path {
                prefix,
                wildcard: false,
                ..
            } => vec![scalar(steps(Some(value), prefix))],
            Attribute::Path { prefix, suffix, .. } => match steps(Some(value), prefix) {
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|x| scalar(steps(Some(x), suffix)))
                    .collect(),
                _ => Vec::new(),
            },
            Attribute::Column(c) => {
                let batch = match value {
                    Value::Object(m) => ["instances", "predictions"]
                        .iter()
                        .find_map(|n| m.get(*n).and_then(Value::as_array)),
                    Value::Array(a)
                        if matches!(a.first(), Some(Value::Array(_) | Value::Object(_))) =>
                    {
                        Some(a)
                    }
                    _ => None,
                };
                let column = |x: &Value| match x {
                    Value::Array(a) => scalar(a.get(*c)),
                    Value::Object(m) => scalar(m.get("features").and_then(|f| f.get(*c))),
                    other if *c == 0 => scalar(Some(other)),
                    _ => None,
                };
                match batch {
                    Some(items) => items.iter().map(column).collect(),
                    None => vec![column(value)],
                }
            }
        }
    }
}

/// Follows `steps` from `v` in a JSON value.
fn steps<'v>(
    mut v: Option<&'v serde_json::Value>,
    steps: &[Step],
) -> Option<&'v serde_json::Value> {
    for s in steps {
        v = match s {
            Step::Key(k) => v.and_then(|x| x.get(k.as_str())),
            Step::Index(i) => v.and_then(|x| x.get(*i)),
        };
    }
    v
}

/// A member name at byte `i` of `t`: an identifier or a `"quoted"` name; with the byte after.
fn identifier(t: &str, i: usize) -> Option<(String, usize)> {
    let b = t.as_bytes();
    if b.get(i) == Some(&b'"') {
        let mut name = String::new();
        let mut j = i + 1;
        loop {
            match b.get(j)? {
                b'"' => return Some((name, j + 1)),
                b'\\' => {
                    name.push(char::from(*b.get(j + 1)?));
                    j += 2;
                }
                _ => {
                    let c = t.get(j..)?.chars().next()?;
                    name.push(c);
                    j += c.len_utf8();
                }
            }
        }
    }
    let start = i;
    let mut j = i;
    while b
        .get(j)
        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
    {
        j += 1;
    }
    let name = t.get(start..j)?;
    (!name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()))
        .then(|| (name.to_owned(), j))
}

/// Follows `steps` from `at`.
fn follow(
    walk: &mut Walk<'_>,
    mut at: Found,
    steps: &[Step],
    key: &mut String,
) -> Result<Option<Found>, json::SyntaxError> {
    for s in steps {
        let next = match (s, at.kind) {
            (Step::Key(k), Kind::Object) => walk.member(at, k, key)?,
            (Step::Index(i), Kind::Array) => walk.element(at, *i)?,
            _ => None,
        };
        let Some(next) = next else { return Ok(None) };
        at = next;
    }
    Ok(Some(at))
}

/// Calls `f` with each instance of the JSON document `root` (see the module docs).
fn for_each_instance(
    text: &str,
    root: Found,
    key: &mut String,
    mut f: impl FnMut(Found) -> bool,
) -> Result<(), json::SyntaxError> {
    let mut walk = Walk::new(text);
    let batch = match root.kind {
        Kind::Object => {
            let mut found = None;
            for name in ["instances", "predictions"] {
                found = walk
                    .member(root, name, key)?
                    .filter(|a| a.kind == Kind::Array);
                if found.is_some() {
                    break;
                }
            }
            found
        }
        Kind::Array => walk
            .element(root, 0)?
            .filter(|first| matches!(first.kind, Kind::Array | Kind::Object))
            .map(|_| root),
        _ => None,
    };
    match batch {
        Some(array) => walk.elements(array, |_, v| f(v)),
        None => {
            f(root);
            Ok(())
        }
    }
}

/// Element `c` of one instance: of an array, of its `"features"` array, or a scalar for 0.
fn column_of(
    text: &str,
    instance: Found,
    c: usize,
    key: &mut String,
) -> Result<Option<Found>, json::SyntaxError> {
    let mut walk = Walk::new(text);
    match instance.kind {
        Kind::Array => walk.element(instance, c),
        Kind::Object => match walk.member(instance, "features", key)? {
            Some(a) if a.kind == Kind::Array => walk.element(a, c),
            _ => Ok(None),
        },
        _ => Ok((c == 0).then_some(instance)),
    }
}

/// A value as text, as [`PayloadReader::attribute`] writes it: strings unescaped, `null` →
/// `None`, anything else as written.
fn scalar(text: &str, f: Found) -> Option<String> {
    let raw = text.get(f.start..f.end)?;
    match f.kind {
        Kind::Null => None,
        Kind::EscStr => {
            let mut s = String::new();
            json::unescape_into(raw, &mut s);
            Some(s)
        }
        _ => Some(raw.to_owned()),
    }
}

/// Every value of an instance as a usable number ([`number::check`]); `None` when one is
/// not.
fn numbers_of(text: &str, instance: Found, key: &mut String) -> Option<Vec<f64>> {
    let mut walk = Walk::new(text);
    let array = match instance.kind {
        Kind::Array => instance,
        Kind::Object => walk
            .member(instance, "features", key)
            .ok()??
            .clone_if(Kind::Array)?,
        Kind::Number => {
            let x: f64 = text.get(instance.start..instance.end)?.parse().ok()?;
            return Some(vec![number::check(x, "").ok()?]);
        }
        _ => return None,
    };
    let mut out = Vec::new();
    let mut ok = true;
    walk.elements(array, |_, v| {
        let x = (v.kind == Kind::Number)
            .then(|| text.get(v.start..v.end))
            .flatten()
            .and_then(|s| s.parse::<f64>().ok())
            .and_then(|x| number::check(x, "").ok());
        match x {
            Some(x) if out.len() < super::MAX_PAYLOAD_VALUES => out.push(x),
            _ => ok = false,
        }
        ok
    })
    .ok()?;
    ok.then_some(out)
}

impl Found {
    fn clone_if(self, kind: Kind) -> Option<Found> {
        (self.kind == kind).then_some(self)
    }
}

/// The non-empty lines of a CSV payload (a trailing `\r` dropped).
fn csv_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.trim().is_empty())
}

impl PayloadReader {
    /// Calls `f` with the value of `attribute` in each instance of a payload (see the
    /// module docs), `None` where an instance has no scalar value there; returns the
    /// number of instances. Nothing of the payload is kept: JSON is walked, not parsed into
    /// a tree.
    ///
    /// # Errors
    /// The syntax error of a JSON payload that is not valid JSON (or JSON Lines).
    pub fn instance_values(
        &mut self,
        payload: Payload<'_>,
        attribute: &Attribute,
        mut f: impl FnMut(Option<String>),
    ) -> Result<usize, String> {
        let text = payload.text;
        if !payload.json {
            let Attribute::Column(c) = attribute else {
                f(None);
                return Ok(1);
            };
            let mut n = 0;
            for line in csv_lines(text) {
                n += 1;
                f(super::bytescan::nth_field(line, *c)
                    .map(|s| s.trim().trim_matches('"').to_owned()));
            }
            return Ok(n);
        }
        let key = &mut self.key;
        let mut n = 0usize;
        let mut error = None;
        let mut document = |root: Found| -> bool {
            let mut walk = Walk::new(text);
            let mut inner = String::new();
            let done = match attribute {
                Attribute::Column(c) => for_each_instance(text, root, key, |inst| {
                    n += 1;
                    f(column_of(text, inst, *c, &mut inner)
                        .ok()
                        .flatten()
                        .and_then(|v| scalar(text, v)));
                    true
                }),
                Attribute::Pointer(p) => {
                    n += 1;
                    let found = super::record::resolve(&mut walk, root, p, key);
                    found.map(|v| f(v.and_then(|v| scalar(text, v))))
                }
                Attribute::Path {
                    prefix,
                    wildcard,
                    suffix,
                } => match follow(&mut walk, root, prefix, key) {
                    Ok(Some(array)) if *wildcard && array.kind == Kind::Array => {
                        walk.elements(array, |_, element| {
                            n += 1;
                            let mut probe = Walk::new(text);
                            f(follow(&mut probe, element, suffix, &mut inner)
                                .ok()
                                .flatten()
                                .and_then(|v| scalar(text, v)));
                            true
                        })
                    }
                    Ok(_) if *wildcard => Ok(()),
                    Ok(found) => {
                        n += 1;
                        f(found.and_then(|v| scalar(text, v)));
                        Ok(())
                    }
                    Err(e) => Err(e),
                },
            };
            match done {
                Ok(()) => true,
                Err(e) => {
                    error = Some(e);
                    false
                }
            }
        };
        let mut docs = Walk::new(text);
        let walked = if payload.lines {
            docs.roots(&mut document).map(|_| ())
        } else {
            docs.root().map(|root| {
                document(root);
            })
        };
        match walked.err().or(error) {
            Some(e) => Err(format!("invalid JSON payload: {e}")),
            None => Ok(n),
        }
    }

    /// Calls `f` with every value of each instance of a payload as usable numbers (`None`
    /// when one is not); returns the number of instances.
    ///
    /// # Errors
    /// The syntax error of a JSON payload that is not valid JSON (or JSON Lines).
    pub fn instance_numbers(
        &mut self,
        payload: Payload<'_>,
        mut f: impl FnMut(Option<Vec<f64>>),
    ) -> Result<usize, String> {
        let text = payload.text;
        if !payload.json {
            let mut n = 0;
            for line in csv_lines(text) {
                n += 1;
                let values: Option<Vec<f64>> = line
                    .split(',')
                    .take(super::MAX_PAYLOAD_VALUES + 1)
                    .map(|s| {
                        let x: f64 = s.trim().trim_matches('"').parse().ok()?;
                        number::check(x, "").ok()
                    })
                    .collect();
                f(values.filter(|v| v.len() <= super::MAX_PAYLOAD_VALUES));
            }
            return Ok(n);
        }
        let key = &mut self.key;
        let mut n = 0usize;
        let mut error = None;
        let mut document = |root: Found| -> bool {
            let mut inner = String::new();
            let done = for_each_instance(text, root, key, |inst| {
                n += 1;
                f(numbers_of(text, inst, &mut inner));
                true
            });
            match done {
                Ok(()) => true,
                Err(e) => {
                    error = Some(e);
                    false
                }
            }
        };
        let mut docs = Walk::new(text);
        let walked = if payload.lines {
            docs.roots(&mut document).map(|_| ())
        } else {
            docs.root().map(|root| {
                document(root);
            })
        };
        match walked.err().or(error) {
            Some(e) => Err(format!("invalid JSON payload: {e}")),
            None => Ok(n),
        }
    }
}

impl PayloadReader {
    /// What a payload holds, in a few words for a log line: `CSV, 1 line of 3 columns`,
    /// `a JSON object with members "score", "predicted_label"`, `a JSON array of 4 values`
    /// (the first [`DESCRIBED_MEMBERS`] member names, then how many more).
    pub fn describe(&mut self, payload: Payload<'_>) -> String {
        if !payload.json {
            let lines: Vec<&str> = csv_lines(payload.text).take(2).collect();
            let total = csv_lines(payload.text).count();
            let columns = lines.first().map_or(0, |l| l.split(',').count());
            return format!(
                "CSV, {total} line{} of {columns} column{}{}",
                if total == 1 { "" } else { "s" },
                if columns == 1 { "" } else { "s" },
                if total > 1 { " (first line)" } else { "" }
            );
        }
        let text = payload.text;
        let mut walk = Walk::new(text);
        let root = match walk.root() {
            Ok(root) => root,
            Err(e) if payload.lines => return format!("JSON Lines ({e})"),
            Err(e) => return format!("not one JSON document ({e})"),
        };
        match root.kind {
            Kind::Object => {
                let mut names = Vec::new();
                let mut count = 0usize;
                let probe = Walk::new(text);
                let _ = walk.members(root, |k, _| {
                    count += 1;
                    if names.len() < DESCRIBED_MEMBERS {
                        let mut name = String::new();
                        json::unescape_into(probe.raw(k), &mut name);
                        names.push(format!("{name:?}"));
                    }
                    true
                });
                let more = count.saturating_sub(names.len());
                format!(
                    "a JSON object with {count} member{}{}{}{}",
                    if count == 1 { "" } else { "s" },
                    if names.is_empty() { "" } else { " " },
                    names.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                )
            }
            Kind::Array => {
                let mut count = 0usize;
                let _ = walk.elements(root, |_, _| {
                    count += 1;
                    true
                });
                format!(
                    "a JSON array of {count} value{}",
                    if count == 1 { "" } else { "s" }
                )
            }
            other => format!("a JSON scalar ({})", other.name()),
        }
    }
}

impl PayloadReader {
    /// The numbers at `attribute` in a JSON payload, one vector per instance: a pointer
    /// gives one (as [`PayloadReader::numbers_at`]); a path with `[*]`
    /// (`explanations[*].shap`) one per projected element. Each is an object keyed by
    /// `names` or an array of `names.len()` numbers.
    ///
    /// # Errors
    /// The kind of bad record and a message naming the attribute and the offending value.
    pub fn numbers_per_instance(
        &mut self,
        payload: Payload<'_>,
        attribute: &Attribute,
        names: &[String],
        field: &'static str,
    ) -> Result<Vec<Vec<f64>>, (super::BadRecordKind, String)> {
        use super::BadRecordKind;
        let Attribute::Path {
            prefix,
            wildcard,
            suffix,
        } = attribute
        else {
            let Attribute::Pointer(pointer) = attribute else {
                return Err((
                    BadRecordKind::BadPayload,
                    format!("a column index does not address values in {field}"),
                ));
            };
            return self
                .numbers_at(payload, pointer, names, field)
                .map(|v| vec![v]);
        };
        let not_json = |e: json::SyntaxError| {
            (
                BadRecordKind::BadPayload,
                format!("{field} is not JSON: {e}"),
            )
        };
        let text = payload.text;
        let mut walk = Walk::new(text);
        let root = walk.root().map_err(not_json)?;
        let missing = || {
            (
                BadRecordKind::BadPayload,
                format!("path {attribute:?} not in {field}"),
            )
        };
        let found = follow(&mut walk, root, prefix, &mut self.key)
            .map_err(not_json)?
            .ok_or_else(missing)?;
        if !*wildcard {
            return self
                .numbers_in(text, found, &format!("{attribute:?}"), names, field)
                .map(|v| vec![v]);
        }
        let mut elements = Vec::new();
        walk.elements(found, |_, e| {
            elements.push(e);
            true
        })
        .map_err(not_json)?;
        let mut out = Vec::with_capacity(elements.len());
        for e in elements {
            let mut probe = Walk::new(text);
            let at = follow(&mut probe, e, suffix, &mut self.key)
                .map_err(not_json)?
                .ok_or_else(missing)?;
            out.push(self.numbers_in(text, at, &format!("{attribute:?}"), names, field)?);
        }
        Ok(out)
    }
}

/// Member names [`PayloadReader::describe`] lists.
pub const DESCRIBED_MEMBERS: usize = 12;

#[cfg(test)]
mod tests {
    use super::*;

    fn path(prefix: &[&str], wildcard: bool, suffix: &[&str]) -> Attribute {
        let steps = |s: &[&str]| {
            s.iter()
                .map(|x| match x.parse() {
                    Ok(i) => Step::Index(i),
                    Err(_) => Step::Key((*x).to_owned()),
                })
                .collect()
        };
        Attribute::Path {
            prefix: steps(prefix),
            wildcard,
            suffix: steps(suffix),
        }
    }

    #[test]
    fn the_three_forms_parse() {
        assert_eq!(Attribute::parse("0"), Ok(Attribute::Column(0)));
        assert_eq!(Attribute::parse(" 12 "), Ok(Attribute::Column(12)));
        assert_eq!(
            Attribute::parse("/predictions/0/score"),
            Ok(Attribute::Pointer("/predictions/0/score".into()))
        );
        assert_eq!(
            Attribute::parse("predictions[*].score"),
            Ok(path(&["predictions"], true, &["score"]))
        );
        assert_eq!(
            Attribute::parse("instances[*].label"),
            Ok(path(&["instances"], true, &["label"]))
        );
        assert_eq!(
            Attribute::parse("instances[*].features"),
            Ok(path(&["instances"], true, &["features"]))
        );
        assert_eq!(Attribute::parse("score"), Ok(path(&["score"], false, &[])));
        assert_eq!(
            Attribute::parse("a.b[2].\"c d\"[*][0]"),
            Ok(path(&["a", "b", "2", "c d"], true, &["0"]))
        );
        assert_eq!(Attribute::parse("[*]"), Ok(path(&[], true, &[])));
    }

    #[test]
    fn unsupported_paths_are_refused_with_the_position() {
        for (text, at) in [
            ("a[*].b[*]", 6),
            ("a[?x>1]", 2),
            ("a.", 2),
            ("a..b", 2),
            ("a[1", 3),
            ("a b", 1),
            ("99999999999999999999999", 0),
        ] {
            let e = Attribute::parse(text).unwrap_err();
            assert_eq!((e.attribute.as_str(), e.at), (text, at), "{e}");
        }
    }

    fn values(text: &str, json: bool, lines: bool, attribute: &str) -> Vec<Option<String>> {
        let mut out = Vec::new();
        let n = PayloadReader::new()
            .instance_values(
                Payload { text, json, lines },
                &Attribute::parse(attribute).unwrap(),
                |v| out.push(v),
            )
            .unwrap();
        assert_eq!(n, out.len());
        out
    }

    fn some(v: &[&str]) -> Vec<Option<String>> {
        v.iter().map(|s| Some((*s).to_owned())).collect()
    }

    /// The SageMaker XGBoost / Clarify layouts: one value per instance.
    #[test]
    fn one_value_per_instance_in_every_layout() {
        let out = r#"{"predictions": [{"score": 0.8, "predicted_label": 1}, {"score": 0.3, "predicted_label": 0}, {"score": 0.6}]}"#;
        assert_eq!(
            values(out, true, false, "predictions[*].score"),
            some(&["0.8", "0.3", "0.6"])
        );
        let labels = values(out, true, false, "predictions[*].predicted_label");
        assert_eq!(labels, vec![Some("1".into()), Some("0".into()), None]);
        // a pointer is one value per document
        assert_eq!(
            values(out, true, false, "/predictions/1/score"),
            some(&["0.3"])
        );
        // CSV: one line per instance
        assert_eq!(
            values("0.8,1\n0.3,0\r\n\n0.6,1\n", false, false, "0"),
            some(&["0.8", "0.3", "0.6"])
        );
        // JSON Lines: one document per instance
        let jl = "{\"score\":0.8}\n{\"score\":0.3}\n";
        assert_eq!(values(jl, true, true, "score"), some(&["0.8", "0.3"]));
        assert_eq!(values(jl, true, true, "/score"), some(&["0.8", "0.3"]));
        // columns of JSON instances
        let inputs = r#"{"instances": [{"features": [1, "a"]}, {"features": [2, "b"]}]}"#;
        assert_eq!(values(inputs, true, false, "1"), some(&["a", "b"]));
        assert_eq!(
            values("[[1, 2], [3, 4]]", true, false, "1"),
            some(&["2", "4"])
        );
        assert_eq!(values("[0.1, 0.9]", true, false, "1"), some(&["0.9"]));
        // a projection of nothing is no instance
        assert_eq!(values("{}", true, false, "predictions[*].score"), vec![]);
    }

    #[test]
    fn numbers_per_instance() {
        let mut got = Vec::new();
        let mut pr = PayloadReader::new();
        let n = pr
            .instance_numbers(
                Payload {
                    text: r#"{"instances": [{"features": [1, 2]}, {"features": [3, "x"]}, [5, 6]]}"#,
                    json: true,
                    lines: false,
                },
                |v| got.push(v),
            )
            .unwrap();
        assert_eq!(n, 3);
        assert_eq!(got, vec![Some(vec![1.0, 2.0]), None, Some(vec![5.0, 6.0])]);
        got.clear();
        pr.instance_numbers(
            Payload {
                text: "1,2\n3,1e400\n",
                json: false,
                lines: false,
            },
            |v| got.push(v),
        )
        .unwrap();
        assert_eq!(got, vec![Some(vec![1.0, 2.0]), None]);
    }

    #[test]
    fn values_in_a_ground_truth_record() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"instances": [{"label": 0}, {"label": "1"}, {}]}"#).unwrap();
        assert_eq!(
            Attribute::parse("instances[*].label")
                .unwrap()
                .values_in(&v),
            vec![Some("0".into()), Some("1".into()), None]
        );
        assert_eq!(
            Attribute::parse("/instances/1/label")
                .unwrap()
                .values_in(&v),
            some(&["1"])
        );
        let flat: serde_json::Value = serde_json::from_str(r#"{"label": 1}"#).unwrap();
        assert_eq!(
            Attribute::parse("label").unwrap().values_in(&flat),
            some(&["1"])
        );
    }

    #[test]
    fn payloads_are_described_for_a_log_line() {
        let mut pr = PayloadReader::new();
        let json = |text| Payload {
            text,
            json: true,
            lines: false,
        };
        assert_eq!(
            pr.describe(json(r#"{"predicted_label": 1, "score": 0.8}"#)),
            r#"a JSON object with 2 members "predicted_label", "score""#
        );
        assert_eq!(pr.describe(json("[1, 2, 3]")), "a JSON array of 3 values");
        let csv = Payload {
            text: "1,2,3\n4,5,6\n",
            json: false,
            lines: false,
        };
        assert_eq!(pr.describe(csv), "CSV, 2 lines of 3 columns (first line)");
        let wide: Vec<String> = (0..20).map(|i| format!("\"k{i}\": {i}")).collect();
        let wide = format!("{{{}}}", wide.join(","));
        let d = pr.describe(json(&wide));
        assert!(
            d.starts_with("a JSON object with 20 members \"k0\"") && d.ends_with("and 8 more"),
            "{d}"
        );
    }
}
