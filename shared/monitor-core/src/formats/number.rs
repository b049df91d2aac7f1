//! The one rule for numbers that come from outside (capture payloads, ground-truth labels):
//! a value is usable only when it is finite and within [`MAX_ABS_VALUE`].
//!
//! Why a bound and not just "finite": one finite `1e200` is harmless as text but poisons
//! everything downstream. Its square (the second moment) overflows to `inf`, serde_json
//! writes `inf` as `null`, and the state file no longer decodes; CloudWatch rejects any value
//! beyond ±2^360 (about ±2.35e108), so a `sum` or `max` metric of such a column fails the
//! whole `PutMetricData` batch. With |x| ≤ 1e100:
//!
//! * a sum of up to 2^53 values stays below 1e100 · 9.1e15 ≈ 9e115, and a sum of squares
//!   below 1e200 · 9.1e15 ≈ 9e215, both far inside f64's 1.8e308, so every moment a window
//!   merges stays finite;
//! * every single value, min, max, mean and standard deviation (≤ max − min ≤ 2e100) is
//!   inside CloudWatch's ±2^360, so a published statistic of the column is accepted (sums
//!   can still exceed it; the metrics layer clamps those, see
//!   [`crate::metrics::sanitize`]).
//!
//! 1e100 is far beyond any physical feature value a model is fed (a googol), so no honest
//! record is rejected.

/// The largest magnitude a captured number or label may have (see the module docs).
pub const MAX_ABS_VALUE: f64 = 1e100;

// The spread of two values at the bound (a standard deviation, max - min) is a valid
// CloudWatch value.
const _: () = assert!(MAX_ABS_VALUE * 2.0 < crate::metrics::limits::MAX_MAGNITUDE);

/// Why a number is not usable. Carries the value as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NumberError {
    /// The text reads as ±infinity or NaN: an overflowing literal such as `1e400`, or the
    /// tokens `inf`, `Infinity`, `NaN`.
    #[error("{text:?} is not a finite number")]
    NonFinite {
        /// the value as written
        text: String,
    },
    /// Finite, but |x| > [`MAX_ABS_VALUE`].
    #[error("{text:?} is beyond the accepted range ±1e100")]
    OutOfRange {
        /// the value as written
        text: String,
    },
}

/// Checks an already parsed number `x` (written as `text`).
///
/// # Errors
/// [`NumberError::NonFinite`] or [`NumberError::OutOfRange`].
///
/// ```
/// use monitor_core::formats::number::{check, NumberError};
///
/// assert_eq!(check(1.5, "1.5"), Ok(1.5));
/// assert!(matches!(check(f64::INFINITY, "1e400"), Err(NumberError::NonFinite { .. })));
/// assert!(matches!(check(1e200, "1e200"), Err(NumberError::OutOfRange { .. })));
/// ```
#[inline]
pub fn check(x: f64, text: &str) -> Result<f64, NumberError> {
    if !x.is_finite() {
        Err(NumberError::NonFinite { text: text.into() })
    } else if x.abs() > MAX_ABS_VALUE {
        Err(NumberError::OutOfRange { text: text.into() })
    } else {
        Ok(x)
    }
}

/// Parses `text` (surrounding whitespace trimmed) as a usable number: `Ok(None)` when it is
/// not a number at all, `Err` when it is one but not finite or out of range. Rust's parser
/// reads `inf`, `Infinity` and `NaN` (any case) as numbers, so those are `Err` here.
///
/// # Errors
/// [`NumberError::NonFinite`] or [`NumberError::OutOfRange`].
pub fn parse(text: &str) -> Result<Option<f64>, NumberError> {
    match text.trim().parse::<f64>() {
        Ok(x) => check(x, text).map(Some),
        Err(_) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_11_values_are_rejected_by_kind() {
        // issue 11 item 1: 1e400, -1e400 and 1e309 overflow f64 (max ≈ 1.798e308) to ±inf;
        // 1e200 is finite but beyond the bound.
        for t in ["1e400", "-1e400", "1e309", "inf", "-Infinity", "NaN"] {
            assert!(
                matches!(parse(t), Err(NumberError::NonFinite { .. })),
                "{t}"
            );
        }
        assert!(matches!(
            parse("1e200"),
            Err(NumberError::OutOfRange { .. })
        ));
        assert!(matches!(
            parse("-1.0000001e100"),
            Err(NumberError::OutOfRange { .. })
        ));
        assert_eq!(parse("1e100"), Ok(Some(1e100)));
        assert_eq!(parse(" 42 "), Ok(Some(42.0)));
        assert_eq!(parse("abc"), Ok(None));
        let e = parse("1e400").unwrap_err();
        assert_eq!(e.to_string(), "\"1e400\" is not a finite number");
    }

    #[test]
    fn squares_of_the_bound_stay_finite() {
        // The reasoning of the module docs, checked: 2^53 values at the bound.
        let n = 2f64.powi(53);
        assert!((MAX_ABS_VALUE * MAX_ABS_VALUE * n).is_finite());
    }
}
