//! Deequ's data-type inference (spec §3.6): classify each value as text, count the classes,
//! decide the column type.
//!
//! Deequ (`StatefulDataType`) tests each non-null value against three Java regular expressions,
//! first match wins, with whole-string matching (Scala's `Regex` extractor uses
//! `Matcher.matches()`):
//!
//! | class | regex |
//! | --- | --- |
//! | Fractional | `^(-\|\+)? ?\d+((\.\d+)\|((?:\.\d+)?[Ee][-+]?\d+))$` |
//! | Integral | `^(-\|\+)? ?\d+$` |
//! | Boolean | `^(true\|false)$` |
//! | String | anything else |
//!
//! [`classify`] implements the three patterns as one hand-written byte scanner (no regex
//! engine on the ingest hot path). Notes on exactness:
//!
//! * `\d` is ASCII `[0-9]` only: Java's `\d` is ASCII unless `UNICODE_CHARACTER_CLASS` is set,
//!   and Deequ does not set it. So `"١٢"` (Arabic-Indic digits) is a String.
//! * Because the whole string must match, a trailing line terminator is *not* absorbed by `$`
//!   (`"1\n"` is a String), and no whitespace is trimmed other than the single optional space
//!   after the sign (`"+ 1"` and `" 1"` are Integral, `"  1"` and `"1 "` are Strings).
//! * The empty string matches nothing and is a String. Whether an empty field is a null is
//!   the caller's decision; nulls are recorded with [`TypeCounts::add_null`].
//! * `"1."`, `".5"`, `"NaN"`, `"Infinity"`, `"0x1F"` and `"True"` are Strings.

/// The class of one value, in Deequ's counting order (`null, fractional, integral, boolean,
/// string`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueClass {
    /// A missing value (never returned by [`classify`]; see [`TypeCounts::add_null`]).
    Null,
    /// Matches Deequ's FRACTIONAL regex, e.g. `"-1.5"`, `"1e5"`, `"2.5E-3"`.
    Fractional,
    /// Matches Deequ's INTEGRAL regex, e.g. `"42"`, `"+ 7"`, `"-0012"`.
    Integral,
    /// Exactly `"true"` or `"false"` (lower case).
    Boolean,
    /// Anything else, including `""`.
    String,
}

/// Counts ASCII digits starting at `i`; returns the index after the last digit.
#[inline(always)]
fn skip_digits(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    i
}

/// Classifies one non-null value with Deequ's regexes (see the module documentation).
///
/// Grammar implemented (first match wins, whole string):
/// `sign? space? digit+` → Integral; followed by `"." digit+` and/or
/// `[Ee] [+-]? digit+` → Fractional; exactly `true`/`false` → Boolean; otherwise String.
///
/// ```
/// use drift_math::types::{classify, ValueClass};
///
/// assert_eq!(classify("-1.5"), ValueClass::Fractional);
/// assert_eq!(classify("1e5"), ValueClass::Fractional);
/// assert_eq!(classify("+ 1"), ValueClass::Integral);
/// assert_eq!(classify("true"), ValueClass::Boolean);
/// assert_eq!(classify("1."), ValueClass::String);
/// assert_eq!(classify(""), ValueClass::String);
/// ```
#[inline]
pub fn classify(s: &str) -> ValueClass {
    let b = s.as_bytes();
    let mut i = 0;
    if let Some(b'-' | b'+') = b.first() {
        i = 1;
    }
    if b.get(i) == Some(&b' ') {
        i += 1;
    }
    let int_end = skip_digits(b, i);
    if int_end == i {
        // No leading digit: neither numeric pattern can match.
        return if s == "true" || s == "false" {
            ValueClass::Boolean
        } else {
            ValueClass::String
        };
    }
    i = int_end;
    if i == b.len() {
        return ValueClass::Integral;
    }
    if b[i] == b'.' {
        let frac_end = skip_digits(b, i + 1);
        if frac_end == i + 1 {
            return ValueClass::String; // "1." or "1.e5"
        }
        i = frac_end;
        if i == b.len() {
            return ValueClass::Fractional;
        }
    }
    if b[i] == b'E' || b[i] == b'e' {
        i += 1;
        if let Some(b'-' | b'+') = b.get(i) {
            i += 1;
        }
        let exp_end = skip_digits(b, i);
        if exp_end > i && exp_end == b.len() {
            return ValueClass::Fractional;
        }
    }
    ValueClass::String
}

/// The column type Deequ infers (`DataTypeInstances`); the serde names are the strings of
/// `inferred_type` in `statistics.json` / `constraints.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum InferredType {
    /// whole numbers (`"Integral"`)
    Integral,
    /// numbers with a fraction or exponent (`"Fractional"`)
    Fractional,
    /// text (`"String"`)
    String,
    /// no non-null value seen (`"Unknown"`)
    Unknown,
    /// only `true`/`false` (`"Boolean"`; Model Monitor's schema has no Boolean, spec §14)
    Boolean,
}

impl InferredType {
    /// The name Deequ and SageMaker write (`"Integral"`, `"Fractional"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            InferredType::Integral => "Integral",
            InferredType::Fractional => "Fractional",
            InferredType::String => "String",
            InferredType::Unknown => "Unknown",
            InferredType::Boolean => "Boolean",
        }
    }
}

impl std::fmt::Display for InferredType {
    /// Writes [`InferredType::as_str`].
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Per-class value counts of one column (Deequ `DataTypeHistogram`), mergeable by addition.
///
/// ```
/// use drift_math::types::{classify, InferredType, TypeCounts};
///
/// let mut t = TypeCounts::default();
/// for v in ["1", "2", "3.5"] {
///     t.add(classify(v));
/// }
/// t.add_null();
/// assert_eq!(t.inferred(), InferredType::Fractional);
/// assert_eq!(t.ratio(InferredType::Integral), 2.0 / 3.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TypeCounts {
    /// missing values (Deequ `numNull`, reported as `Unknown`)
    pub null: u64,
    /// values matching the Fractional pattern
    pub fractional: u64,
    /// values matching the Integral pattern
    pub integral: u64,
    /// `true` / `false`
    pub boolean: u64,
    /// everything else
    pub string: u64,
}

impl TypeCounts {
    /// Counts one value of class `c` (saturating at `u64::MAX`).
    #[inline]
    pub fn add(&mut self, c: ValueClass) {
        let slot = match c {
            ValueClass::Null => &mut self.null,
            ValueClass::Fractional => &mut self.fractional,
            ValueClass::Integral => &mut self.integral,
            ValueClass::Boolean => &mut self.boolean,
            ValueClass::String => &mut self.string,
        };
        *slot = slot.saturating_add(1);
    }

    /// Counts one missing value.
    #[inline]
    pub fn add_null(&mut self) {
        self.add(ValueClass::Null);
    }

    /// Classifies `value` with [`classify`] and counts it; `None` counts a null.
    #[inline]
    pub fn add_value(&mut self, value: Option<&str>) {
        match value {
            Some(s) => self.add(classify(s)),
            None => self.add_null(),
        }
    }

    /// Adds another column's counts (Deequ `DataTypeHistogram.sum`), saturating.
    pub fn merge(&mut self, o: &TypeCounts) {
        self.null = self.null.saturating_add(o.null);
        self.fractional = self.fractional.saturating_add(o.fractional);
        self.integral = self.integral.saturating_add(o.integral);
        self.boolean = self.boolean.saturating_add(o.boolean);
        self.string = self.string.saturating_add(o.string);
    }

    /// All values, nulls included.
    pub fn total(&self) -> u64 {
        self.null.saturating_add(self.non_null())
    }

    /// Values that were not null (`num_present`).
    pub fn non_null(&self) -> u64 {
        self.fractional
            .saturating_add(self.integral)
            .saturating_add(self.boolean)
            .saturating_add(self.string)
    }

    /// The count that Deequ reports under type `t` (`Unknown` = nulls).
    pub fn count(&self, t: InferredType) -> u64 {
        match t {
            InferredType::Unknown => self.null,
            InferredType::Fractional => self.fractional,
            InferredType::Integral => self.integral,
            InferredType::Boolean => self.boolean,
            InferredType::String => self.string,
        }
    }

    /// Deequ `DataTypeHistogram.determineType`, in this order:
    /// 1. every value null → `Unknown`;
    /// 2. any String, or Boolean together with any number → `String`;
    /// 3. any Boolean → `Boolean`;
    /// 4. any Fractional → `Fractional`;
    /// 5. otherwise `Integral`.
    ///
    /// Deequ tests `count/total > 0`, which is `count > 0` for `total > 0`. With no values at
    /// all Deequ's ratios are `0/0 = NaN`, every test fails and it answers `Integral`; we answer
    /// `Unknown` instead, which is what rule 1 means and what the constraints schema uses for
    /// "no information".
    pub fn inferred(&self) -> InferredType {
        if self.non_null() == 0 {
            return InferredType::Unknown;
        }
        let numbers = self.integral > 0 || self.fractional > 0;
        if self.string > 0 || (self.boolean > 0 && numbers) {
            InferredType::String
        } else if self.boolean > 0 {
            InferredType::Boolean
        } else if self.fractional > 0 {
            InferredType::Fractional
        } else {
            InferredType::Integral
        }
    }

    /// Deequ `Constraint.ratioTypes(ignoreUnknown = true)`: `count(t) / (total − nulls)`.
    ///
    /// As in Deequ, a type with count 0 gives exactly `0.0` before any division, so with zero
    /// non-null values every type except `Unknown` has ratio `0.0` (never `NaN`). For
    /// `t = Unknown` Deequ divides the null count by the non-null count; we keep that, so the
    /// result can exceed 1 and is `+∞` when there are nulls but no non-null values.
    pub fn ratio(&self, t: InferredType) -> f64 {
        let c = self.count(t);
        if c == 0 {
            0.0
        } else {
            c as f64 / self.non_null() as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturates_instead_of_overflowing() {
        let mut t = TypeCounts {
            integral: u64::MAX,
            ..TypeCounts::default()
        };
        t.add(ValueClass::Integral);
        t.merge(&t.clone());
        assert_eq!(t.integral, u64::MAX);
        t.add_null();
        assert_eq!(t.total(), u64::MAX);
    }
}
