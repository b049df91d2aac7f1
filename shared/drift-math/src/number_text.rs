//! Classify a value with Deequ's patterns and read its number in the same pass (issue 16
//! item 1: ingest read each numeric field twice, once to classify it and once to parse it).
//!
//! [`classify_number`] scans the text once, as [`classify`] does, accumulating the decimal
//! digits on the way. When the significand has at most 19 digits and is at most 2⁵³, and the
//! decimal exponent is within ±22, the value is computed by Clinger's fast path (1990): the
//! significand and the power of ten are both exact doubles, so one IEEE multiplication or
//! division gives the correctly rounded result — the same double `str::parse::<f64>` returns
//! (Rust's parser is correctly rounded; it is Lemire's fast_float algorithm, whose own first
//! step is this path). Any other number (long significands, large exponents) is handed to
//! `str::parse::<f64>`. Typical captured values (`"0.659491"`, `"25620.03"`, `"1601"`) all take
//! the fast path.

use crate::types::{classify, ValueClass};

/// Exact powers of ten as doubles: 10^22 is the largest that is exact (5^22 < 2^53).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Largest significand the fast path takes: every integer up to 2⁵³ is an exact double.
const MAX_EXACT: u64 = 1 << 53;

/// Reads ASCII digits from `i` into `acc` (wrapping: only used when at most 19 were read).
#[inline(always)]
fn digits(b: &[u8], mut i: usize, acc: &mut u64) -> usize {
    while let Some(&c) = b.get(i) {
        if !c.is_ascii_digit() {
            break;
        }
        *acc = acc.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
        i += 1;
    }
    i
}

/// The class [`classify`] gives `s` and, for `Integral` and `Fractional`, the number
/// `str::parse::<f64>` reads from it (after removing Deequ's optional space after the sign,
/// which Rust's parser does not accept). Non-numeric classes have no number, nor does a
/// numeric class spelt with a leading space and no sign (`" 1"`), which neither reading
/// accepts.
///
/// The number may be infinite (`"1e400"`): deciding what is usable is the caller's.
///
/// ```
/// use drift_math::number_text::classify_number;
/// use drift_math::types::ValueClass;
///
/// assert_eq!(classify_number("-1.25"), (ValueClass::Fractional, Some(-1.25)));
/// assert_eq!(classify_number("+ 7"), (ValueClass::Integral, Some(7.0)));
/// assert_eq!(classify_number("2.5E-3"), (ValueClass::Fractional, Some(0.0025)));
/// assert_eq!(classify_number("1."), (ValueClass::String, None));
/// assert_eq!(classify_number("true"), (ValueClass::Boolean, None));
/// ```
#[inline]
pub fn classify_number(s: &str) -> (ValueClass, Option<f64>) {
    let b = s.as_bytes();
    let mut i = 0;
    let negative = b.first() == Some(&b'-');
    let signed = matches!(b.first(), Some(b'-' | b'+'));
    if signed {
        i = 1;
    }
    let sign_space = b.get(i) == Some(&b' ');
    if sign_space {
        i += 1;
    }
    // Deequ's pattern also admits a space with no sign before it (" 1" is Integral), which
    // the old reading (`str::parse`, then without the space after a sign) left without a
    // number; so does this one
    let readable = signed || !sign_space;
    let mut mantissa = 0u64;
    let int_start = i;
    i = digits(b, i, &mut mantissa);
    let int_digits = i - int_start;
    if int_digits == 0 {
        // no leading digit: not a number (Boolean or String, as `classify` says)
        return (classify(s), None);
    }
    let mut class = ValueClass::Integral;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        let from = i + 1;
        i = digits(b, from, &mut mantissa);
        frac_digits = i - from;
        if frac_digits == 0 {
            return (ValueClass::String, None); // "1." or "1.e5"
        }
        class = ValueClass::Fractional;
    }
    let mut exponent = 0i64;
    if let Some(&c) = b.get(i) {
        if c != b'e' && c != b'E' {
            return (ValueClass::String, None);
        }
        i += 1;
        let exp_negative = b.get(i) == Some(&b'-');
        if let Some(b'-' | b'+') = b.get(i) {
            i += 1;
        }
        let from = i;
        while let Some(&d) = b.get(i) {
            if !d.is_ascii_digit() {
                break;
            }
            // saturates far outside the fast path's range; the slow path reads the text
            exponent = (exponent * 10 + i64::from(d - b'0')).min(1 << 40);
            i += 1;
        }
        if i == from || i != b.len() {
            return (ValueClass::String, None);
        }
        if exp_negative {
            exponent = -exponent;
        }
        class = ValueClass::Fractional;
    }
    let scale = exponent - frac_digits as i64;
    if !readable {
        return (class, None);
    }
    if int_digits + frac_digits <= 19 && mantissa <= MAX_EXACT && (-22..=22).contains(&scale) {
        let m = mantissa as f64;
        let x = if scale < 0 {
            m / POW10[scale.unsigned_abs() as usize]
        } else {
            m * POW10[scale as usize]
        };
        return (class, Some(if negative { -x } else { x }));
    }
    let parsed = if sign_space {
        let mut t = String::with_capacity(s.len() - 1);
        t.push(char::from(b[0]));
        t.push_str(s.get(2..).unwrap_or(""));
        t.parse().ok()
    } else {
        s.parse().ok()
    };
    (class, parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The reference: `classify`, then the profile's old `parse_number` (Rust's parser, then
    /// without the space after a sign).
    fn reference(s: &str) -> (ValueClass, Option<f64>) {
        let class = classify(s);
        if !matches!(class, ValueClass::Integral | ValueClass::Fractional) {
            return (class, None);
        }
        // the old reading: `parse_number` of the profile
        let parsed = s.parse::<f64>().ok().or_else(|| match s.as_bytes() {
            [sign @ (b'-' | b'+'), b' ', ..] => {
                format!("{}{}", char::from(*sign), &s[2..]).parse().ok()
            }
            _ => None,
        });
        (class, parsed)
    }

    fn same(s: &str) {
        let (c, x) = classify_number(s);
        let (rc, rx) = reference(s);
        assert_eq!(c, rc, "{s:?}");
        assert_eq!(x.map(f64::to_bits), rx.map(f64::to_bits), "{s:?}");
    }

    #[test]
    fn edge_cases_match_classify_and_the_std_parser_bit_for_bit() {
        for s in [
            "0",
            "-0",
            "+0",
            "- 0",
            "-0.0",
            "0.000",
            "1",
            "-1",
            "+ 7",
            "- 1.5",
            "42",
            "007",
            "0.1",
            "0.2",
            "0.3",
            "1.5",
            "-1.25",
            "123456789012345678",
            "1234567890123456789",
            "12345678901234567890",
            "9007199254740992",
            "9007199254740993",
            "9007199254740993.0",
            "0.000000000000000000001",
            "1e22",
            "1e23",
            "1e-22",
            "1e-23",
            "2.5E-3",
            "1E+5",
            "1e400",
            "-1e400",
            "1e-400",
            "4.9e-324",
            "1.7976931348623157e308",
            "1e",
            "1e+",
            "1.",
            ".5",
            "1.e5",
            "1.5x",
            "1 ",
            " 1",
            "  1",
            "--1",
            "+-1",
            "",
            "-",
            "+",
            "- ",
            "true",
            "false",
            "True",
            "NaN",
            "inf",
            "Infinity",
            "0x1F",
            "1_000",
            "١٢",
            "0.659491",
            "25620.03",
            "1601.41",
            "-200.000",
            "99999999999999999999999e-30",
        ] {
            same(s);
        }
    }

    proptest! {
        /// Random decimal spellings Deequ calls numbers (and near misses): the class is
        /// `classify`'s and the value is the std parser's, bit for bit.
        #[test]
        fn random_decimals_match_the_std_parser(
            sign in prop::sample::select(vec!["", "-", "+", "- ", "+ ", " "]),
            int in "[0-9]{1,22}",
            frac in prop::option::of("[0-9]{0,22}"),
            exp in prop::option::of((prop::sample::select(vec!["e", "E"]),
                prop::sample::select(vec!["", "-", "+"]), "[0-9]{0,4}")),
        ) {
            let mut s = format!("{sign}{int}");
            if let Some(f) = frac {
                s.push('.');
                s.push_str(&f);
            }
            if let Some((e, es, d)) = exp {
                s.push_str(e);
                s.push_str(es);
                s.push_str(&d);
            }
            same(&s);
        }

        /// Doubles printed the way captures print them (shortest round trip, fixed decimals).
        #[test]
        fn printed_doubles_match_the_std_parser(x in any::<f64>(), decimals in 0usize..10) {
            if x.is_finite() {
                same(&x.to_string());
                same(&format!("{x:.decimals$}"));
                same(&format!("{x:e}"));
            }
        }
    }
}
