//! `eventMetadata.inferenceTime`: the one place a capture record's time is read.
//!
//! SageMaker writes `%Y-%m-%dT%H:%M:%SZ` (spec §1.3). Anything RFC 3339 is accepted: a `Z` or a
//! `±hh:mm` offset (converted to UTC, so `12:15:00+02:00` is the UTC minute 10:15), fractions of
//! a second (truncated). Invalid dates (`02-31`, `02-29` of a non-leap year, hour `24`) are
//! refused, never rolled over into the next month or day. The common `…Z` form takes a fast
//! path that allocates nothing; every other form goes through chrono, and a test proves the
//! fast path equal to chrono over generated timestamps.
//!
//! # The hours an object's records may claim
//!
//! A record is stored in the state file of its capture object's hour folder `H`, in the minute
//! of its inference time. Every reader of that state looks at the hour folders around the
//! window it evaluates and no further:
//!
//! * the data-quality and feature-attribution ticks (`data_quality::tick::merge_window`,
//!   `attribution::tick`) read hour folders `hour(start) − 1 h ..= hour(end − 1 s) + 1 h`;
//! * the model-quality and bias ticks count the window's predictions over the same folders
//!   (`joined::labels`), and the ground-truth merge probes the prediction indexes of
//!   `[label hour − look-back, label hour + 1 h]`.
//!
//! So a minute `m` of folder `H` is read by the window that holds `m` exactly when
//! `hour(m)` is `H − 1 h`, `H` or `H + 1 h`: [`InferenceWindow::around_object_hour`] is
//! `[H − 1 h, H + 2 h)`. A time outside it would be written into a minute no window reads,
//! so it is refused as [`TimeError::OutsideObjectHours`] and counted `bad_time` instead. This
//! also bounds the minute buckets of one object's state to 180.

use chrono::{DateTime, TimeZone, Utc};

/// The field every [`TimeError`] names.
pub const INFERENCE_TIME_FIELD: &str = "eventMetadata.inferenceTime";

/// Hours before its object's hour folder that a record's inference time may be (the tick
/// reads one hour folder before the window: see the module docs).
pub const HOURS_BEFORE_OBJECT: i64 = 1;

/// Hours after its object's hour folder that a record's inference time may be, beyond the
/// folder's own hour (the tick reads one hour folder after the window).
pub const HOURS_AFTER_OBJECT: i64 = 1;

/// Why a record's `eventMetadata.inferenceTime` is not usable (counted as `bad_time`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// No `eventMetadata.inferenceTime` (or no `eventMetadata`).
    #[error("{INFERENCE_TIME_FIELD} is missing")]
    Missing,
    /// Not an RFC 3339 time (or not a string: then `value` is the raw JSON).
    #[error("{INFERENCE_TIME_FIELD} {value:?} is not an RFC 3339 time ({reason})")]
    Malformed {
        /// the value found
        value: String,
        /// what is wrong
        reason: String,
    },
    /// RFC 3339 in form but not a real date or time (`2026-02-31`, hour `24`, month `13`).
    #[error("{INFERENCE_TIME_FIELD} {value:?} is not a valid date and time ({reason})")]
    InvalidDate {
        /// the value found
        value: String,
        /// what is wrong
        reason: String,
    },
    /// A valid time, outside the hours the readers of this object's state look at.
    #[error(
        "{INFERENCE_TIME_FIELD} {value:?} ({utc}) is outside [{first}, {end}), the inference \
         times windows read from this object's hour"
    )]
    OutsideObjectHours {
        /// the value found
        value: String,
        /// the time it reads as, in UTC
        utc: DateTime<Utc>,
        /// the first accepted time
        first: DateTime<Utc>,
        /// the end of the accepted times (exclusive)
        end: DateTime<Utc>,
    },
}

/// Unix seconds of an `inferenceTime` (fractions truncated, offsets converted to UTC).
///
/// # Errors
/// [`TimeError::Malformed`] or [`TimeError::InvalidDate`], carrying the value.
pub fn inference_seconds(raw: &str) -> Result<i64, TimeError> {
    if let Some(s) = fast_utc_seconds(raw.as_bytes()) {
        return Ok(s);
    }
    match DateTime::parse_from_rfc3339(raw) {
        Ok(t) => Ok(t.timestamp()),
        Err(e) => {
            use chrono::format::ParseErrorKind;
            let (value, reason) = (raw.to_owned(), e.to_string());
            Err(match e.kind() {
                ParseErrorKind::OutOfRange | ParseErrorKind::Impossible => {
                    TimeError::InvalidDate { value, reason }
                }
                _ => TimeError::Malformed { value, reason },
            })
        }
    }
}

/// Unix minutes (the start of the UTC minute) of an `inferenceTime`.
///
/// # Errors
/// As [`inference_seconds`].
pub fn inference_minute(raw: &str) -> Result<i64, TimeError> {
    inference_seconds(raw).map(|s| s.div_euclid(60))
}

/// The fast path: exactly `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` with a valid date; `None` for
/// anything else (then chrono decides). Days from the civil date by the proleptic Gregorian
/// day count of H. Hinnant, "chrono-compatible low-level date algorithms".
fn fast_utc_seconds(b: &[u8]) -> Option<i64> {
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let s = second_of_minute(b)?;
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut v = 0i64;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(c - b'0');
        }
        Some(v)
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi) = (num(11..13)?, num(14..16)?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=month_days).contains(&d) || h > 23 || mi > 59 {
        return None;
    }
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + mi) * 60 + s)
}

/// The part of the fast path after the minute: `b` (at least 20 bytes) ends in
/// `SS[.f{1,9}]Z` from byte 17 on, with `SS` at most 59; its `SS`.
#[inline]
fn second_of_minute(b: &[u8]) -> Option<i64> {
    if b.len() < 20 || b[b.len() - 1] != b'Z' {
        return None;
    }
    match &b[19..b.len() - 1] {
        [] => {}
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
        }
        _ => return None,
    }
    let (tens, units) = (b[17], b[18]);
    if !tens.is_ascii_digit() || !units.is_ascii_digit() {
        return None;
    }
    let s = i64::from(tens - b'0') * 10 + i64::from(units - b'0');
    (s <= 59).then_some(s)
}

/// Length of the `YYYY-MM-DDTHH:MM:` prefix of a fast-path time.
const MINUTE_PREFIX: usize = 17;

/// [`inference_seconds`] with the last fast-path minute remembered (issue 16 item 2): a
/// capture file's records mostly share their minute, so a time whose first 17 bytes
/// (`YYYY-MM-DDTHH:MM:`) are those of the last time the fast path accepted needs only its
/// seconds read ([`second_of_minute`], the same test of the same bytes as the fast path's).
/// The date, hour and minute checks of the fast path depend on those 17 bytes alone, so the
/// result is the one [`inference_seconds`] gives (property test
/// `the_minute_cache_gives_what_inference_seconds_gives`).
#[derive(Debug, Clone, Default)]
pub(crate) struct MinuteCache {
    /// the prefix of the last fast-path time, and the Unix seconds its minute starts at
    last: Option<([u8; MINUTE_PREFIX], i64)>,
}

impl MinuteCache {
    /// Unix seconds of `raw`, as [`inference_seconds`].
    ///
    /// # Errors
    /// As [`inference_seconds`].
    #[inline]
    pub(crate) fn seconds(&mut self, raw: &str) -> Result<i64, TimeError> {
        let b = raw.as_bytes();
        if let Some((prefix, start)) = &self.last {
            if b.get(..MINUTE_PREFIX) == Some(&prefix[..]) {
                if let Some(s) = second_of_minute(b) {
                    return Ok(start + s);
                }
            }
        }
        if let Some(seconds) = fast_utc_seconds(b) {
            if let (Some(prefix), Some(s)) = (b.get(..MINUTE_PREFIX), second_of_minute(b)) {
                if let Ok(prefix) = <[u8; MINUTE_PREFIX]>::try_from(prefix) {
                    self.last = Some((prefix, seconds - s));
                }
            }
            return Ok(seconds);
        }
        inference_seconds(raw)
    }
}

/// The inference times a consumer accepts, as Unix minutes `[first, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InferenceWindow {
    first: i64,
    end: i64,
}

impl InferenceWindow {
    /// Any valid time (the one-shot `monitor` command, which evaluates all its files as one
    /// window whatever their times).
    pub const UNBOUNDED: Self = Self {
        first: i64::MIN,
        end: i64::MAX,
    };

    /// The times a record of the capture object in hour folder `hour` may have:
    /// `[hour − HOURS_BEFORE_OBJECT, hour + 1 h + HOURS_AFTER_OBJECT)` (see the module docs).
    #[must_use]
    pub fn around_object_hour(hour: DateTime<Utc>) -> Self {
        let h = hour.timestamp().div_euclid(3600) * 60;
        Self {
            first: h - HOURS_BEFORE_OBJECT * 60,
            end: h + (1 + HOURS_AFTER_OBJECT) * 60,
        }
    }

    /// Whether the Unix minute `minute` is accepted.
    #[must_use]
    pub fn contains(&self, minute: i64) -> bool {
        (self.first..self.end).contains(&minute)
    }

    /// The Unix minute of `raw` if it is a valid time inside this window.
    ///
    /// # Errors
    /// [`TimeError`] naming the value: missing (`None`), malformed, invalid date, or outside.
    pub fn minute_of(&self, raw: Option<&str>) -> Result<i64, TimeError> {
        let raw = raw.ok_or(TimeError::Missing)?;
        let seconds = inference_seconds(raw)?;
        self.check(raw, seconds).map(|()| seconds.div_euclid(60))
    }

    /// Checks a time already read (`seconds` is the Unix time of `raw`).
    ///
    /// # Errors
    /// [`TimeError::OutsideObjectHours`] when it is outside this window.
    pub fn check(&self, raw: &str, seconds: i64) -> Result<(), TimeError> {
        if self.contains(seconds.div_euclid(60)) {
            return Ok(());
        }
        let at = |minute: i64| {
            Utc.timestamp_opt(minute.saturating_mul(60), 0)
                .single()
                .unwrap_or_default()
        };
        Err(TimeError::OutsideObjectHours {
            value: raw.to_owned(),
            utc: Utc.timestamp_opt(seconds, 0).single().unwrap_or_default(),
            first: at(self.first),
            end: at(self.end),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chrono_seconds(s: &str) -> Option<i64> {
        DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp())
    }

    #[test]
    fn offsets_are_converted_to_utc() {
        // the same instant in three spellings (RFC 3339 §5.8 examples use offsets likewise)
        let z = inference_minute("2026-11-01T10:15:00Z").unwrap();
        assert_eq!(inference_minute("2026-11-01T12:15:00+02:00"), Ok(z));
        assert_eq!(inference_minute("2026-11-01T05:15:30.5-05:00"), Ok(z));
        assert_eq!(inference_minute("2026-11-01T10:15:59.999999999Z"), Ok(z));
    }

    #[test]
    fn invalid_dates_are_refused_not_rolled_over() {
        for raw in [
            "2026-02-31T10:00:00Z",
            "2026-02-29T10:00:00Z",
            "2026-04-31T10:00:00Z",
            "2026-11-01T24:00:00Z",
            "2026-13-01T10:00:00Z",
        ] {
            assert!(
                matches!(inference_minute(raw), Err(TimeError::InvalidDate { ref value, .. }) if value == raw),
                "{raw}: {:?}",
                inference_minute(raw)
            );
        }
        assert!(inference_minute("2024-02-29T10:00:00Z").is_ok(), "leap day");
    }

    #[test]
    fn malformed_times_name_the_field_and_value() {
        for raw in [
            "yesterday",
            "2026-11-01 10:00",
            "2026-11-01T10:00:00",
            "",
            "1700000000",
        ] {
            let e = inference_minute(raw).unwrap_err();
            assert!(matches!(e, TimeError::Malformed { .. }), "{raw}: {e:?}");
            let message = e.to_string();
            assert!(
                message.contains(INFERENCE_TIME_FIELD) && message.contains(&format!("{raw:?}")),
                "{message}"
            );
        }
    }

    #[test]
    fn the_window_of_an_object_is_its_hour_and_one_hour_either_side() {
        let hour = Utc.with_ymd_and_hms(2026, 11, 1, 10, 0, 0).unwrap();
        let w = InferenceWindow::around_object_hour(hour);
        assert_eq!(
            w.minute_of(Some("2026-11-01T09:59:58Z")).map(|_| ()),
            Ok(())
        );
        assert!(w.minute_of(Some("2026-11-01T09:00:00Z")).is_ok());
        assert!(w.minute_of(Some("2026-11-01T11:59:59Z")).is_ok());
        let outside = w.minute_of(Some("2026-11-01T12:00:00Z")).unwrap_err();
        assert_eq!(
            outside.to_string(),
            "eventMetadata.inferenceTime \"2026-11-01T12:00:00Z\" (2026-11-01 12:00:00 UTC) is \
             outside [2026-11-01 09:00:00 UTC, 2026-11-01 12:00:00 UTC), the inference times \
             windows read from this object's hour"
        );
        assert!(w.minute_of(Some("2026-11-01T08:59:59Z")).is_err());
        assert_eq!(w.minute_of(None), Err(TimeError::Missing));
        assert!(InferenceWindow::UNBOUNDED
            .minute_of(Some("1970-01-01T00:00:00Z"))
            .is_ok());
    }

    /// Every second of four whole days around month ends (a leap February, a common one, a
    /// year end) in SageMaker's form takes the fast path and equals chrono.
    #[test]
    fn the_fast_path_equals_chrono_on_every_second_of_month_ends() {
        for (y, m, d) in [(2024, 2, 28), (2026, 2, 28), (2026, 12, 31), (1999, 12, 31)] {
            let start = Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap().timestamp();
            for s in (start..start + 2 * 86_400).step_by(7) {
                let t = Utc.timestamp_opt(s, 0).unwrap();
                let raw = t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
                assert_eq!(fast_utc_seconds(raw.as_bytes()), Some(s), "{raw}");
                assert_eq!(chrono_seconds(&raw), Some(s), "{raw}");
            }
        }
    }

    proptest! {
        // the default 256 runs of up to 40 times each: seconds in the dev profile
        /// A run of times, most in a few minutes and some malformed or of another form: the
        /// minute cache answers each exactly as [`inference_seconds`] does, value or error,
        /// whatever came before it.
        #[test]
        fn the_minute_cache_gives_what_inference_seconds_gives(
            times in prop::collection::vec(
                (0usize..4, 0i64..62, proptest::option::of("[0-9]{0,10}"), "(Z|z|\\+02:00|)"),
                1..40,
            ),
        ) {
            const MINUTES: [&str; 4] = [
                "2024-03-01T23:59:",
                "2024-02-29T00:00:",
                "2023-02-29T10:15:",
                "2024-03-01T23:5x:",
            ];
            let mut cache = MinuteCache::default();
            for (m, s, frac, zone) in times {
                let raw = format!(
                    "{}{s:02}{}{zone}",
                    MINUTES[m],
                    frac.as_deref().map(|f| format!(".{f}")).unwrap_or_default()
                );
                prop_assert_eq!(cache.seconds(&raw), inference_seconds(&raw), "{}", raw);
            }
        }

    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// Any `YYYY-MM-DDTHH:MM:SS[.f]Z` with fields in or out of range: where the fast path
        /// answers, chrono answers the same; where chrono accepts the plain form, so does the
        /// fast path (it really is the path the common form takes).
        #[test]
        fn fast_path_agrees_with_chrono(
            y in 0i64..10_000, mo in 0i64..14, d in 0i64..33, h in 0i64..26, mi in 0i64..61,
            s in 0i64..61, frac in proptest::option::of("[0-9]{1,10}"),
        ) {
            let raw = format!(
                "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{}Z",
                frac.as_deref().map(|f| format!(".{f}")).unwrap_or_default()
            );
            let fast = fast_utc_seconds(raw.as_bytes());
            let slow = chrono_seconds(&raw);
            if let Some(v) = fast {
                prop_assert_eq!(Some(v), slow, "{}", raw);
            }
            if s < 60 && frac.as_ref().is_none_or(|f| f.len() <= 9) {
                prop_assert_eq!(fast, slow, "{}", raw);
            }
            prop_assert_eq!(inference_seconds(&raw).ok(), slow, "{}", raw);
        }

        /// Arbitrary printable text: the public function never panics and agrees with chrono.
        #[test]
        fn arbitrary_text_agrees_with_chrono(raw in "[0-9TZ:.+ -]{0,30}") {
            prop_assert_eq!(inference_seconds(&raw).ok(), chrono_seconds(&raw));
        }
    }
}
