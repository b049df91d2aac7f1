use drift_math::types::{classify, InferredType, TypeCounts, ValueClass};
use proptest::prelude::*;

use ValueClass::{Boolean, Fractional, Integral, String as Str};

/// Every branch of Deequ's three regexes. Expected classes were checked with Python
/// `re.fullmatch(p, s, re.ASCII)` for p in (FRACTIONAL, INTEGRAL, BOOLEAN), first match wins
/// (`re.ASCII` because Java's `\d` is ASCII-only by default; `fullmatch` mirrors Scala's
/// `Regex` extractor, which uses `Matcher.matches()`).
const TABLE: &[(&str, ValueClass)] = &[
    // Integral: sign? space? digits
    ("1", Integral),
    ("-0", Integral),
    ("007", Integral),
    ("+ 1", Integral),
    (" 1", Integral), // the optional space without a sign
    // Fractional: digits "." digits
    ("-1.5", Fractional),
    ("12.25", Fractional),
    ("- 1.5", Fractional),
    // Fractional: digits [Ee] sign? digits, with or without a fraction
    ("1e5", Fractional),
    ("1.5E-3", Fractional),
    ("1E+07", Fractional),
    ("+ 1e-2", Fractional),
    // Boolean: exactly lower-case true/false
    ("true", Boolean),
    ("false", Boolean),
    // String: everything else
    ("1.", Str),
    ("1.e5", Str),
    (".5", Str),
    ("True", Str),
    ("true ", Str),
    ("-true", Str),
    ("falsey", Str),
    ("NaN", Str),
    ("Infinity", Str),
    ("", Str),
    ("  1", Str), // at most one space
    ("1 ", Str),
    ("1\n", Str), // `$` does not absorb a trailing newline under whole-string matching
    ("-", Str),
    ("+", Str),
    ("- ", Str),
    ("+-1", Str),
    ("1e", Str),
    ("1e+", Str),
    ("1.5e", Str),
    ("e5", Str),
    ("1e5.5", Str),
    ("1.2.3", Str),
    ("1.5x", Str),
    ("1,000", Str),
    ("1_000", Str),
    ("0x1F", Str),
    ("١٢", Str), // Arabic-Indic digits: not `\d` in Java's default (ASCII) mode
];

#[test]
fn classify_table() {
    for &(s, want) in TABLE {
        assert_eq!(classify(s), want, "classify({s:?})");
    }
}

/// Deequ `determineType` decision table: (counts null, fractional, integral, boolean, string)
/// → type.
#[test]
fn inferred_type_rule_table() {
    let t = |null, fractional, integral, boolean, string| TypeCounts {
        null,
        fractional,
        integral,
        boolean,
        string,
    };
    let cases = [
        (t(0, 0, 0, 0, 0), InferredType::Unknown), // no values (Deequ: Integral via NaN, see docs)
        (t(5, 0, 0, 0, 0), InferredType::Unknown), // all null
        (t(5, 0, 3, 0, 0), InferredType::Integral),
        (t(0, 1, 99, 0, 0), InferredType::Fractional), // one "1.0" makes the column Fractional
        (t(0, 4, 0, 0, 0), InferredType::Fractional),
        (t(1, 0, 0, 3, 0), InferredType::Boolean),
        (t(0, 0, 1, 3, 0), InferredType::String), // boolean mixed with numbers
        (t(0, 1, 0, 3, 0), InferredType::String),
        (t(0, 9, 9, 0, 1), InferredType::String), // any string
        (t(0, 0, 0, 0, 1), InferredType::String),
    ];
    for (counts, want) in cases {
        assert_eq!(counts.inferred(), want, "{counts:?}");
    }
}

#[test]
fn ratio_follows_deequ_ratio_types_ignore_unknown() {
    let c = TypeCounts {
        null: 2,
        fractional: 1,
        integral: 3,
        boolean: 0,
        string: 0,
    };
    assert_eq!(c.total(), 6);
    assert_eq!(c.non_null(), 4);
    assert_eq!(c.ratio(InferredType::Integral), 0.75); // 3 / (6 - 2)
    assert_eq!(c.ratio(InferredType::Fractional), 0.25);
    assert_eq!(c.ratio(InferredType::Boolean), 0.0);
    assert_eq!(c.ratio(InferredType::Unknown), 0.5); // Deequ: nulls / non-nulls

    // zero non-null values: every type with count 0 is exactly 0.0 (no 0/0)
    let nulls_only = TypeCounts {
        null: 3,
        ..TypeCounts::default()
    };
    assert_eq!(nulls_only.ratio(InferredType::Integral), 0.0);
    assert_eq!(nulls_only.ratio(InferredType::String), 0.0);
    assert_eq!(nulls_only.ratio(InferredType::Unknown), f64::INFINITY);
    assert_eq!(TypeCounts::default().ratio(InferredType::Unknown), 0.0);
}

#[test]
fn add_value_classifies_and_counts_nulls() {
    let mut c = TypeCounts::default();
    for v in [Some("1"), None, Some("x"), Some("2.5"), Some("true")] {
        c.add_value(v);
    }
    assert_eq!(
        c,
        TypeCounts {
            null: 1,
            fractional: 1,
            integral: 1,
            boolean: 1,
            string: 1
        }
    );
}

#[cfg(feature = "serde")]
#[test]
fn inferred_type_serde_names() {
    for (t, name) in [
        (InferredType::Integral, "\"Integral\""),
        (InferredType::Fractional, "\"Fractional\""),
        (InferredType::String, "\"String\""),
        (InferredType::Unknown, "\"Unknown\""),
        (InferredType::Boolean, "\"Boolean\""),
    ] {
        assert_eq!(serde_json::to_string(&t).unwrap(), name);
        assert_eq!(serde_json::from_str::<InferredType>(name).unwrap(), t);
        assert_eq!(format!("\"{t}\""), name);
    }
}

/// An independent statement of Deequ's three patterns, written with `str` methods instead of a
/// byte scanner, for differential testing.
fn reference_class(s: &str) -> ValueClass {
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let body = body.strip_prefix(' ').unwrap_or(body);
    if digits(body) {
        return Integral;
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => digits(int) && digits(frac),
        None => exponent.is_some() && digits(mantissa),
    };
    let exponent_ok = match exponent {
        Some(e) => digits(e.strip_prefix(['-', '+']).unwrap_or(e)),
        None => true,
    };
    if mantissa_ok && exponent_ok {
        Fractional
    } else if s == "true" || s == "false" {
        Boolean
    } else {
        Str
    }
}

fn type_counts(values: &[Option<String>]) -> TypeCounts {
    let mut c = TypeCounts::default();
    for v in values {
        c.add_value(v.as_deref());
    }
    c
}

proptest! {
    /// The byte scanner agrees with the reference on strings built from the characters that
    /// matter to the patterns.
    #[test]
    fn classify_matches_reference(s in "[-+ 0-9.eEtrufalsx٣]{0,10}") {
        prop_assert_eq!(classify(&s), reference_class(&s), "{:?}", s);
    }

    /// Merging the counts of any split equals counting the whole (exact).
    #[test]
    fn merge_of_split_equals_whole(
        values in prop::collection::vec(prop::option::of("[-+ 0-9.eEtrufalsx]{0,6}"), 0..100),
        cut in any::<usize>(),
    ) {
        let cut = cut % (values.len() + 1);
        let whole = type_counts(&values);
        let mut merged = type_counts(&values[..cut]);
        merged.merge(&type_counts(&values[cut..]));
        prop_assert_eq!(merged, whole);
        prop_assert_eq!(whole.total(), values.len() as u64);
    }
}
