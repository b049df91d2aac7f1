//! JSON text exactly as the SageMaker analyzer writes it.
//!
//! The analyzer (Scala on Spark, Deequ) serialises its files with Jackson's
//! `ObjectMapper.writerWithDefaultPrettyPrinter()`. That printer's layout is:
//!
//! - objects: `{`, then every entry on its own line indented by two spaces per *object*
//!   nesting level, written `"key" : value`, entries separated by `,`; the closing `}` on its
//!   own line at the parent's indent. An empty object is `{ }`.
//! - arrays: inline with single spaces, `[ 1.0, 2.0 ]`, `[ {` … `}, {` … `} ]`; arrays do not
//!   add an indent level. An empty array is `[ ]`.
//! - no newline after the root value.
//! - numbers: integers as integers; doubles as Java's `Double.toString` (see [`java_double`]);
//!   non-finite doubles as the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (Jackson's default
//!   `QUOTE_NON_NUMERIC_NUMBERS`).
//! - strings: `"` and `\` escaped, control characters as `\b \t \n \f \r` or `\u00XX` with
//!   upper-case hex (Jackson `CharTypes`); everything else verbatim UTF-8.
//!
//! Sources: Jackson `DefaultPrettyPrinter`, `DefaultIndenter`, `FixedSpaceIndenter`;
//! checked byte-for-byte against the analyzer output in
//! `tests/fixtures/sagemaker/data-quality/ex-intro-churn-baseline-*.json`.
//!
//! serde_json writes `null` for a non-finite `f64` before any formatter sees it, so fields that
//! may hold NaN must go through [`java_f64`] (`#[serde(with = "...jackson::java_f64")]`) or the
//! [`JavaF64`] newtype.

use std::io;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::ser::{CharEscape, Formatter};

/// Renders any `Serialize` value as Jackson's `DefaultPrettyPrinter` would (no trailing newline).
///
/// # Errors
/// Whatever `serde_json` reports for the value (e.g. a map with non-string keys).
pub fn to_jackson_string<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let mut out = Vec::with_capacity(1024);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, JacksonFormatter::default());
    value.serialize(&mut ser)?;
    // serde_json only ever writes valid UTF-8 (it escapes nothing else and copies `&str`s).
    String::from_utf8(out).map_err(|e| {
        <serde_json::Error as serde::ser::Error>::custom(format!("non-UTF-8 output: {e}"))
    })
}

/// A `serde_json` [`Formatter`] reproducing Jackson's `DefaultPrettyPrinter`.
///
/// Keeps one flag per open container (did it get a value yet) to tell `{ }` / `[ ]` from
/// non-empty containers, and the object nesting depth for indentation (arrays are inline and
/// do not indent, as with Jackson's `FixedSpaceIndenter`).
#[derive(Debug, Default, Clone)]
pub struct JacksonFormatter {
    /// one entry per open container: `true` once it has received a value
    open: Vec<bool>,
    /// number of open objects (the indent level)
    objects: usize,
}

impl JacksonFormatter {
    fn newline_indent<W: ?Sized + io::Write>(&self, w: &mut W) -> io::Result<()> {
        w.write_all(b"\n")?;
        for _ in 0..self.objects {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    fn mark_value(&mut self) {
        if let Some(last) = self.open.last_mut() {
            *last = true;
        }
    }
}

impl Formatter for JacksonFormatter {
    fn write_f32<W: ?Sized + io::Write>(&mut self, w: &mut W, value: f32) -> io::Result<()> {
        // Java's Float.toString follows the same layout rules with float digits.
        w.write_all(java_float_layout(value.is_sign_negative(), &shortest_f32(value)).as_bytes())
    }

    fn write_f64<W: ?Sized + io::Write>(&mut self, w: &mut W, value: f64) -> io::Result<()> {
        let mut text = FloatText::default();
        write_java_double(value, &mut text);
        w.write_all(text.as_bytes())
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        char_escape: CharEscape,
    ) -> io::Result<()> {
        let bytes: &[u8] = match char_escape {
            CharEscape::Quote => b"\\\"",
            CharEscape::ReverseSolidus => b"\\\\",
            CharEscape::Solidus => b"/",
            CharEscape::Backspace => b"\\b",
            CharEscape::FormFeed => b"\\f",
            CharEscape::LineFeed => b"\\n",
            CharEscape::CarriageReturn => b"\\r",
            CharEscape::Tab => b"\\t",
            CharEscape::AsciiControl(byte) => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                let esc = [
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(byte >> 4)],
                    HEX[usize::from(byte & 0xF)],
                ];
                return w.write_all(&esc);
            }
        };
        w.write_all(bytes)
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.mark_value();
        self.open.push(false);
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open.pop();
        // Jackson writes one space before `]` whether or not the array is empty.
        w.write_all(b" ]")
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        w.write_all(if first { b" " } else { b", " })
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, _w: &mut W) -> io::Result<()> {
        Ok(())
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.mark_value();
        self.open.push(false);
        self.objects += 1;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        let had_entries = self.open.pop().unwrap_or(false);
        self.objects = self.objects.saturating_sub(1);
        if had_entries {
            self.newline_indent(w)?;
            w.write_all(b"}")
        } else {
            w.write_all(b" }")
        }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.mark_value();
        if !first {
            w.write_all(b",")?;
        }
        self.newline_indent(w)
    }

    fn end_object_key<W: ?Sized + io::Write>(&mut self, _w: &mut W) -> io::Result<()> {
        Ok(())
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b" : ")
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, _w: &mut W) -> io::Result<()> {
        Ok(())
    }
}

/// Java's `Double.toString(x)` (JDK 19+ specification, Giulietti's shortest-decimal algorithm).
///
/// - NaN → `NaN`, ±∞ → `Infinity` / `-Infinity`, ±0 → `0.0` / `-0.0`.
/// - Digits: the shortest decimal that reads back as `x`; among several of that length, the one
///   closest to `x`. If the shortest has one digit, Java considers all decimals of one *or two*
///   digits and takes the closest, which is why `Double.MIN_VALUE` prints `4.9E-324`, not `5E-324`.
/// - Layout: for `1e-3 ≤ |x| < 1e7` plain decimal with at least one fractional digit
///   (`100.0`, `0.001`, `123456.789`); otherwise computerised scientific `d.ddd` `E` exponent with
///   at least one fractional digit and no `+` (`1.0E7`, `1.0E-4`, `-3.0E10`, `4.9E-324`).
///
/// JDK ≤ 18 (`FloatingDecimal`) occasionally printed one digit more than necessary (for example
/// `2.0E23` as `1.9999999999999998E23`); those rare cases are not reproduced.
pub fn java_double(x: f64) -> String {
    let mut text = FloatText::default();
    write_java_double(x, &mut text);
    text.as_str().to_owned()
}

/// The text of one float, on the stack: the longest a double takes, as Rust's `{:e}` or in
/// Java's layout, is 24 bytes (`-1.2345678901234567E-308`).
#[derive(Default)]
struct FloatText {
    buf: [u8; 32],
    len: usize,
}

impl FloatText {
    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The text (ASCII: digits, signs, `.`, `e`/`E`, and the names of the special values).
    fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// Appends `b`, as much of it as fits (everything written here fits).
    fn push_bytes(&mut self, b: &[u8]) {
        let end = (self.len + b.len()).min(self.buf.len());
        self.buf[self.len..end].copy_from_slice(&b[..end - self.len]);
        self.len = end;
    }
}

impl std::fmt::Write for FloatText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.len + s.len() > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.push_bytes(s.as_bytes());
        Ok(())
    }
}

/// [`java_double`] into `out` (cleared first) without allocating: Rust's shortest `{:e}`
/// digits, laid out as Java does. The special values, and a value whose shortest form has
/// one digit (where Java also weighs the two-digit decimals), go through
/// [`java_double_general`].
fn write_java_double(x: f64, out: &mut FloatText) {
    use std::fmt::Write as _;
    out.len = 0;
    let mut sci = FloatText::default();
    if !x.is_finite() || x == 0.0 || write!(sci, "{:e}", x.abs()).is_err() {
        out.push_bytes(java_double_general(x).as_bytes());
        return;
    }
    let mut digits = FloatText::default();
    match sci_digits(sci.as_str(), &mut digits) {
        Some(exp) if digits.len > 1 => {
            layout_into(x.is_sign_negative(), digits.as_bytes(), exp, out);
        }
        _ => out.push_bytes(java_double_general(x).as_bytes()),
    }
}

/// The significand digits of Rust's `{:e}` rendering `s` (shortest round-trip digits, closest
/// to the value) appended to `digits`, and its exponent (`None` when it does not read).
fn sci_digits(s: &str, digits: &mut FloatText) -> Option<i32> {
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    for c in mant.bytes().filter(u8::is_ascii_digit) {
        digits.push_bytes(&[c]);
    }
    exp.parse().ok()
}

/// [`java_double`] by the general route: the special values and the one-digit rule.
fn java_double_general(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    java_float_layout(x.is_sign_negative(), &shortest_f64(x.abs()))
}

/// Decimal significand digits (no leading zeros, no trailing zeros beyond the first) and the
/// exponent of the first digit: value = `d0.d1d2… × 10^exp`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Decimal {
    digits: String,
    exp: i32,
}

/// Splits Rust's `{:e}` rendering (shortest round-trip digits, closest to the value) into
/// digits and exponent.
fn split_sci(s: &str) -> Decimal {
    let mut digits = FloatText::default();
    let exp = sci_digits(s, &mut digits).unwrap_or(0);
    Decimal {
        digits: digits.as_str().to_owned(),
        exp,
    }
}

/// Shortest digits for a positive finite f64, with Java's "at least two digits considered" rule.
fn shortest_f64(x: f64) -> Decimal {
    let shortest = split_sci(&format!("{x:e}"));
    if shortest.digits.len() != 1 {
        return shortest;
    }
    // Java also considers every two-digit decimal that reads back as x and picks the closest.
    // The closest two-digit decimal is x correctly rounded to two significant digits.
    let closest = split_sci(&format!("{x:.1e}"));
    let reads_back = |d: &Decimal| -> Option<f64> {
        format!("{}.{}e{}", &d.digits[..1], &d.digits[1..], d.exp)
            .parse::<f64>()
            .ok()
    };
    let chosen = match reads_back(&closest) {
        Some(v) if v == x => closest,
        Some(v) => {
            // `closest` lies outside x's rounding interval; then the one-digit decimal is on the
            // other side, and so is the two-digit neighbour between it and x: that neighbour
            // reads back as x and is closer than (or equal to) the one-digit decimal.
            let m: i32 = closest.digits.parse().unwrap_or(10);
            let (m2, e2) = if v > x {
                if m == 10 {
                    (99, closest.exp - 1)
                } else {
                    (m - 1, closest.exp)
                }
            } else if m == 99 {
                (10, closest.exp + 1)
            } else {
                (m + 1, closest.exp)
            };
            let neighbour = Decimal {
                digits: m2.to_string(),
                exp: e2,
            };
            if reads_back(&neighbour) == Some(x) {
                neighbour
            } else {
                shortest
            }
        }
        None => shortest,
    };
    trim_digits(chosen)
}

/// Shortest digits for an f32 (Java `Float.toString`; same two-digit rule).
fn shortest_f32(x: f32) -> Decimal {
    if x.is_nan() || x.is_infinite() || x == 0.0 {
        return Decimal {
            digits: "0".to_owned(),
            exp: 0,
        };
    }
    let x = x.abs();
    let shortest = split_sci(&format!("{x:e}"));
    if shortest.digits.len() == 1 {
        let closest = split_sci(&format!("{x:.1e}"));
        let text = format!(
            "{}.{}e{}",
            &closest.digits[..1],
            &closest.digits[1..],
            closest.exp
        );
        if text.parse::<f32>().ok() == Some(x) {
            return trim_digits(closest);
        }
    }
    shortest
}

/// Drops trailing zeros of the significand (keeping at least one digit).
fn trim_digits(mut d: Decimal) -> Decimal {
    while d.digits.len() > 1 && d.digits.ends_with('0') {
        d.digits.pop();
    }
    d
}

/// Java's `Double.toString` layout of `digits × 10^exp` (see [`java_double`]).
fn java_float_layout(negative: bool, d: &Decimal) -> String {
    // Special values of f32 are routed here as digits "0"; java_double handles f64 ones earlier.
    let mut out = FloatText::default();
    layout_into(negative, d.digits.as_bytes(), d.exp, &mut out);
    out.as_str().to_owned()
}

/// [`java_float_layout`] of ASCII `digits` (at most 17) appended to `out`.
fn layout_into(negative: bool, digits: &[u8], exp: i32, out: &mut FloatText) {
    use std::fmt::Write as _;
    if negative {
        out.push_bytes(b"-");
    }
    let n = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    if (-3..7).contains(&exp) {
        if exp < 0 {
            out.push_bytes(b"0.");
            for _ in 0..(-exp - 1) {
                out.push_bytes(b"0");
            }
            out.push_bytes(digits);
        } else {
            let int_len = exp + 1;
            if n <= int_len {
                out.push_bytes(digits);
                for _ in 0..(int_len - n) {
                    out.push_bytes(b"0");
                }
                out.push_bytes(b".0");
            } else {
                let split = usize::try_from(int_len).unwrap_or(0);
                out.push_bytes(&digits[..split]);
                out.push_bytes(b".");
                out.push_bytes(&digits[split..]);
            }
        }
    } else {
        out.push_bytes(&digits[..1]);
        out.push_bytes(b".");
        if digits.len() > 1 {
            out.push_bytes(&digits[1..]);
        } else {
            out.push_bytes(b"0");
        }
        out.push_bytes(b"E");
        // fits: the longest layout is 24 bytes of the buffer's 32
        let _ = write!(out, "{exp}");
    }
}

/// An `f64` that serialises like Jackson writes a Java `double` (NaN and infinities as the
/// strings `"NaN"`, `"Infinity"`, `"-Infinity"`) and reads back from a JSON number or one of
/// those strings.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct JavaF64(pub f64);

impl Serialize for JavaF64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        java_f64::serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for JavaF64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        java_f64::deserialize(d).map(JavaF64)
    }
}

struct JavaF64Visitor;

impl Visitor<'_> for JavaF64Visitor {
    type Value = f64;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a number or one of \"NaN\", \"Infinity\", \"-Infinity\"")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        // JSON integers read as doubles, as Jackson does for a `double` field.
        #[allow(clippy::cast_precision_loss)]
        Ok(v as f64)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        #[allow(clippy::cast_precision_loss)]
        Ok(v as f64)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        match v {
            "NaN" => Ok(f64::NAN),
            "Infinity" | "+Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            other => Err(E::invalid_value(de::Unexpected::Str(other), &self)),
        }
    }
}

/// `#[serde(with = "crate::formats::jackson::java_f64")]` for an `f64` field that may be
/// non-finite: written as Jackson writes a Java `double`, read from a number or
/// `"NaN"` / `"Infinity"` / `"-Infinity"`.
pub mod java_f64 {
    use super::{Deserializer, JavaF64Visitor, Serializer};

    /// Writes finite values as numbers, non-finite ones as Jackson's strings.
    ///
    /// # Errors
    /// Those of the underlying serializer.
    #[allow(clippy::trivially_copy_pass_by_ref)] // signature required by `serde(with)`
    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        if x.is_nan() {
            s.serialize_str("NaN")
        } else if x.is_infinite() {
            s.serialize_str(if *x > 0.0 { "Infinity" } else { "-Infinity" })
        } else {
            s.serialize_f64(*x)
        }
    }

    /// Reads a JSON number or one of the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
    ///
    /// # Errors
    /// Any other JSON value.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        d.deserialize_any(JavaF64Visitor)
    }
}

/// `serde(with)` helpers for `Vec<Vec<f64>>` (KLL sketch levels), non-finite-safe like
/// [`java_f64`].
pub mod java_f64_matrix {
    use super::{Deserialize, Deserializer, JavaF64, SerializeSeq, Serializer};

    struct Row<'a>(&'a [f64]);

    impl serde::Serialize for Row<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(self.0.len()))?;
            for x in self.0 {
                seq.serialize_element(&JavaF64(*x))?;
            }
            seq.end()
        }
    }

    /// Writes a list of lists of doubles.
    ///
    /// # Errors
    /// Those of the underlying serializer.
    pub fn serialize<S: Serializer>(rows: &[Vec<f64>], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(rows.len()))?;
        for row in rows {
            seq.serialize_element(&Row(row))?;
        }
        seq.end()
    }

    /// Reads a list of lists of numbers (or Jackson's non-finite strings).
    ///
    /// # Errors
    /// Anything else.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<f64>>, D::Error> {
        let rows: Vec<Vec<JavaF64>> = Vec::deserialize(d)?;
        Ok(rows
            .into_iter()
            .map(|r| r.into_iter().map(|x| x.0).collect())
            .collect())
    }
}

/// `serde(deserialize_with)` for counts: accepts `418` and `418.0` (SageMaker writes some
/// counts as doubles); rejects negative, fractional and non-finite values.
pub mod lenient_u64 {
    use super::{de, Deserializer, Visitor};

    struct V;

    impl Visitor<'_> for V {
        type Value = u64;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a non-negative integral count (e.g. 418 or 418.0)")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
            // 2^64 as f64; every integral double in [0, 2^64) converts exactly.
            const LIMIT: f64 = 18_446_744_073_709_551_616.0;
            if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < LIMIT {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Ok(v as u64)
            } else {
                Err(E::invalid_value(de::Unexpected::Float(v), &self))
            }
        }
    }

    /// Reads an integral count written as an integer or as a double.
    ///
    /// # Errors
    /// Negative, fractional, non-finite or non-numeric values.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Java outputs (`Double.toString`, JDK 19+ spec; all but 2.0E23 are the same on JDK 8):
    /// 0.1 → "0.1", 1.0 → "1.0", 100.0 → "100.0", 1e7 → "1.0E7", 1e-4 → "1.0E-4",
    /// 0.001 → "0.001", 123456.789 → "123456.789", -0.0 → "-0.0",
    /// 2.348543e108 → "2.348543E108", 5e-324 (Double.MIN_VALUE) → "4.9E-324",
    /// f64::MAX → "1.7976931348623157E308", 9999999.0 → "9999999.0", 1.2345e7 → "1.2345E7",
    /// -3e10 → "-3.0E10", 9.99e-4 → "9.99E-4", 0.0010 → "0.001", 1e21 → "1.0E21",
    /// 2e23 → "2.0E23" (JDK 19+; JDK ≤ 18 printed "1.9999999999999998E23").
    #[test]
    fn java_double_table() {
        let table: &[(f64, &str)] = &[
            (0.1, "0.1"),
            (1.0, "1.0"),
            (100.0, "100.0"),
            (1e7, "1.0E7"),
            (1.0E-4, "1.0E-4"),
            (0.001, "0.001"),
            (123_456.789, "123456.789"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (2.348543e108, "2.348543E108"),
            (5e-324, "4.9E-324"),
            (f64::MAX, "1.7976931348623157E308"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (9_999_999.0, "9999999.0"),
            (1.2345e7, "1.2345E7"),
            (-3.0e10, "-3.0E10"),
            (9.99e-4, "9.99E-4"),
            (1e21, "1.0E21"),
            (2e23, "2.0E23"),
            (0.1393056150878697, "0.1393056150878697"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (x, want) in table {
            assert_eq!(java_double(*x), *want, "java_double({x:e})");
        }
    }

    proptest::proptest! {
        /// The allocation-free writer gives what the general route gives, for doubles of
        /// every exponent and sign, and special values.
        #[test]
        fn fast_java_double_is_the_general_one(bits in proptest::prelude::any::<u64>()) {
            let x = f64::from_bits(bits);
            proptest::prop_assert_eq!(java_double(x), java_double_general(x));
        }

        /// The same for short decimals, the usual figures of a report.
        #[test]
        fn fast_java_double_of_short_decimals(m in 0i64..100_000_000, e in -12i32..12) {
            let x = m as f64 * 10f64.powi(e);
            proptest::prop_assert_eq!(java_double(x), java_double_general(x));
            proptest::prop_assert_eq!(java_double(-x), java_double_general(-x));
        }
    }

    /// Every Java rendering reads back as the same double (Java's round-trip guarantee).
    #[test]
    fn java_double_reads_back() {
        for bits in [
            1u64,
            2,
            3,
            0x3FF0_0000_0000_0001,
            0x7FEF_FFFF_FFFF_FFFF,
            4_503_599_627_370_495,
        ] {
            let x = f64::from_bits(bits);
            assert_eq!(java_double(x).parse::<f64>().ok(), Some(x), "{x:e}");
        }
    }

    /// Layout from Jackson `DefaultPrettyPrinter` (compare the analyzer's files).
    #[test]
    fn pretty_printer_layout() {
        let v = serde_json::json!({
            "a": 1, "b": [1.0, 2.5], "c": [{"x": {}}, {"y": []}], "d": {"e": "q\"\u{1}"}
        });
        let want = "{\n  \"a\" : 1,\n  \"b\" : [ 1.0, 2.5 ],\n  \"c\" : [ {\n    \"x\" : { }\n  }, {\n    \"y\" : [ ]\n  } ],\n  \"d\" : {\n    \"e\" : \"q\\\"\\u0001\"\n  }\n}";
        assert_eq!(to_jackson_string(&v).unwrap(), want);
        assert_eq!(to_jackson_string(&serde_json::json!({})).unwrap(), "{ }");
        assert_eq!(to_jackson_string(&serde_json::json!([])).unwrap(), "[ ]");
    }

    #[test]
    fn non_finite_as_jackson_strings() {
        #[derive(Serialize, Deserialize)]
        struct S {
            #[serde(with = "java_f64")]
            x: f64,
            #[serde(with = "java_f64_matrix")]
            m: Vec<Vec<f64>>,
        }
        let s = S {
            x: f64::NAN,
            m: vec![vec![f64::NEG_INFINITY, 1e-5]],
        };
        let text = to_jackson_string(&s).unwrap();
        assert_eq!(
            text,
            "{\n  \"x\" : \"NaN\",\n  \"m\" : [ [ \"-Infinity\", 1.0E-5 ] ]\n}"
        );
        let back: S = serde_json::from_str(&text).unwrap();
        assert!(back.x.is_nan());
        assert_eq!(back.m, vec![vec![f64::NEG_INFINITY, 1e-5]]);
    }

    #[test]
    fn lenient_counts() {
        #[derive(Deserialize)]
        struct C {
            #[serde(deserialize_with = "lenient_u64::deserialize")]
            n: u64,
        }
        let ok = |t: &str| serde_json::from_str::<C>(t).map(|c| c.n).ok();
        assert_eq!(ok(r#"{"n":418}"#), Some(418));
        assert_eq!(ok(r#"{"n":418.0}"#), Some(418));
        assert_eq!(ok(r#"{"n":1.5}"#), None);
        assert_eq!(ok(r#"{"n":-1}"#), None);
    }
}
