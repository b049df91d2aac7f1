//! Why a mapping or a capture record was rejected, and the per-kind count of bad records.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::CaptureSide;

/// A [`CaptureMapping`](super::CaptureMapping) that cannot be compiled into a parser.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// `features` is empty.
    #[error("capture mapping has no features")]
    NoFeatures,
    /// A feature name appears twice.
    #[error("capture mapping lists feature {name:?} twice")]
    DuplicateFeature {
        /// the repeated name
        name: String,
    },
    /// `sides` is empty.
    #[error("capture mapping reads no capture side")]
    NoSides,
    /// A side appears twice in `sides`.
    #[error("capture mapping lists side {side} twice")]
    DuplicateSide {
        /// the repeated side
        side: CaptureSide,
    },
    /// `output_columns` is larger than the number of features.
    #[error("output_columns = {output_columns} but the mapping has only {features} features")]
    OutputColumnsOutOfRange {
        /// configured value
        output_columns: usize,
        /// number of features
        features: usize,
    },
    /// `output_columns` is set but `endpointOutput` is not read.
    #[error("output_columns = {output_columns} but sides does not include endpointOutput")]
    OutputColumnsWithoutOutputSide {
        /// configured value
        output_columns: usize,
    },
    /// A `json_pointers` key is not a feature name.
    #[error("json_pointers names {feature:?}, which is not a feature")]
    UnknownPointerFeature {
        /// the key
        feature: String,
    },
    /// A `json_pointers` value is not usable.
    #[error("json pointer {pointer:?} for feature {feature:?}: {message}")]
    BadPointer {
        /// the feature
        feature: String,
        /// the pointer as configured
        pointer: String,
        /// what is wrong
        message: String,
    },
}

/// How many line numbers are kept per bad-record kind.
pub const FIRST_LINES_KEPT: usize = 5;

/// How many bad lines of one object are logged at WARN; the rest go to DEBUG, so a
/// corrupt object cannot flood the logs.
pub const WARN_LINES_PER_OBJECT: u32 = 10;

/// The WARN budget of one object's bad-line messages: the first [`WARN_LINES_PER_OBJECT`]
/// calls of [`WarnBudget::take`] answer `true` (log at WARN), later ones `false` (DEBUG).
#[derive(Debug, Clone)]
pub struct WarnBudget {
    left: u32,
}

impl Default for WarnBudget {
    fn default() -> Self {
        Self {
            left: WARN_LINES_PER_OBJECT,
        }
    }
}

impl WarnBudget {
    /// Whether this message may still be logged at WARN.
    pub fn take(&mut self) -> bool {
        if self.left == 0 {
            false
        } else {
            self.left -= 1;
            true
        }
    }
}

/// Bad records of one kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadKind {
    /// how many
    pub count: u64,
    /// the first line numbers (1-based) in their object
    pub first_lines: Vec<u64>,
}

/// Bad records by kind (`invalid_json`, `wrong_column_count`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadRecords {
    /// per kind
    pub by_kind: BTreeMap<String, BadKind>,
}

impl BadRecords {
    /// Records one bad line.
    pub fn add(&mut self, kind: BadRecordKind, line: u64) {
        let e = self.by_kind.entry(kind.to_string()).or_default();
        e.count += 1;
        if e.first_lines.len() < FIRST_LINES_KEPT {
            e.first_lines.push(line);
        }
    }

    /// Adds another set (line numbers of another object are not meaningful here, so only
    /// the counts add up; the first lines of `self` are kept).
    pub fn merge(&mut self, other: &BadRecords) {
        for (k, v) in &other.by_kind {
            let e = self.by_kind.entry(k.clone()).or_default();
            e.count += v.count;
            for l in &v.first_lines {
                if e.first_lines.len() < FIRST_LINES_KEPT {
                    e.first_lines.push(*l);
                }
            }
        }
    }

    /// Total bad records.
    pub fn total(&self) -> u64 {
        self.by_kind.values().map(|k| k.count).sum()
    }
}

impl From<&crate::formats::number::NumberError> for BadRecordKind {
    fn from(e: &crate::formats::number::NumberError) -> Self {
        match e {
            crate::formats::number::NumberError::NonFinite { .. } => Self::NonFinite,
            crate::formats::number::NumberError::OutOfRange { .. } => Self::OutOfRange,
        }
    }
}

/// Why one capture line was rejected. Every message names the offending field or position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BadRecord {
    /// The line is not UTF-8.
    #[error("capture line is not valid UTF-8 at byte {byte_offset}")]
    NonUtf8 {
        /// length of the valid UTF-8 prefix
        byte_offset: usize,
    },
    /// The line is not one JSON object.
    #[error("capture line is not valid JSON: {message}")]
    InvalidJson {
        /// what the scanner found, with a byte offset
        message: String,
    },
    /// A required field is absent.
    #[error("capture record has no field {field}")]
    MissingField {
        /// dotted path, e.g. `captureData.endpointInput.data`
        field: &'static str,
    },
    /// A BASE64 payload does not decode.
    #[error("field {field} is not valid base64")]
    BadBase64 {
        /// dotted path of the `data` field
        field: &'static str,
    },
    /// The record does not have the mapping's number of columns.
    #[error("record has {found} columns where the capture mapping expects {expected}")]
    WrongColumnCount {
        /// columns the mapping expects
        expected: usize,
        /// columns the record has
        found: usize,
    },
    /// `encoding` is not `CSV`, `JSON` or `BASE64`.
    #[error("field {field} has unsupported encoding {encoding:?} (expected CSV, JSON or BASE64)")]
    UnsupportedEncoding {
        /// dotted path of the `encoding` field
        field: &'static str,
        /// the value found
        encoding: String,
    },
    /// A field has the wrong type, or a payload cannot be read as features.
    #[error("field {field}: {message}")]
    BadPayload {
        /// dotted path of the field
        field: &'static str,
        /// what is wrong, with the offending value
        message: String,
    },
    /// `eventMetadata.inferenceTime` is missing, malformed, not a valid date, or outside the
    /// hours the readers of the object's state look at (produced only by a parser given an
    /// [`InferenceWindow`](super::InferenceWindow); see [`super::time`]).
    #[error(transparent)]
    BadTime(#[from] super::TimeError),
    /// The line is longer than the reader accepts. Produced by line readers, never by [`CaptureParser`](super::CaptureParser).
    #[error("capture line of {length} bytes is longer than the limit of {limit} bytes")]
    LineTooLong {
        /// bytes in the line (or read before giving up)
        length: usize,
        /// the reader's limit
        limit: usize,
    },
}

impl BadRecord {
    /// The counting key of this error.
    #[must_use]
    pub fn kind(&self) -> BadRecordKind {
        match self {
            Self::NonUtf8 { .. } => BadRecordKind::NonUtf8,
            Self::InvalidJson { .. } => BadRecordKind::InvalidJson,
            Self::MissingField { .. } => BadRecordKind::MissingField,
            Self::BadBase64 { .. } => BadRecordKind::BadBase64,
            Self::WrongColumnCount { .. } => BadRecordKind::WrongColumnCount,
            Self::UnsupportedEncoding { .. } => BadRecordKind::UnsupportedEncoding,
            Self::BadPayload { .. } => BadRecordKind::BadPayload,
            Self::LineTooLong { .. } => BadRecordKind::LineTooLong,
            Self::BadTime(_) => BadRecordKind::BadTime,
        }
    }
}

/// Kinds of bad records, for counting (serialised and displayed in snake_case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BadRecordKind {
    /// [`BadRecord::NonUtf8`]
    NonUtf8,
    /// [`BadRecord::InvalidJson`]
    InvalidJson,
    /// [`BadRecord::MissingField`]
    MissingField,
    /// [`BadRecord::BadBase64`]
    BadBase64,
    /// [`BadRecord::WrongColumnCount`]
    WrongColumnCount,
    /// [`BadRecord::UnsupportedEncoding`]
    UnsupportedEncoding,
    /// [`BadRecord::BadPayload`]
    BadPayload,
    /// A line longer than the line reader's limit (produced by the line reader).
    LineTooLong,
    /// A value of a numeric feature that does not parse as a number (produced by the profiler).
    UnparsableNumber,
    /// A number that reads as ±infinity or NaN (`1e400`, `-1e309`, `Infinity`), in a numeric
    /// feature, a prediction or a label ([`crate::formats::number::NumberError::NonFinite`]).
    NonFinite,
    /// A finite number beyond ±[`crate::formats::number::MAX_ABS_VALUE`] (`1e200`)
    /// ([`crate::formats::number::NumberError::OutOfRange`]).
    OutOfRange,
    /// An `eventMetadata.inferenceTime` that is missing, malformed, an invalid date, or outside
    /// the hours read with its object ([`super::TimeError`]), in every consumer.
    BadTime,
}

impl BadRecordKind {
    /// Every kind, in declaration order.
    pub const ALL: [Self; 12] = [
        Self::NonUtf8,
        Self::InvalidJson,
        Self::MissingField,
        Self::BadBase64,
        Self::WrongColumnCount,
        Self::UnsupportedEncoding,
        Self::BadPayload,
        Self::LineTooLong,
        Self::UnparsableNumber,
        Self::NonFinite,
        Self::OutOfRange,
        Self::BadTime,
    ];

    /// The snake_case name, e.g. `"wrong_column_count"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NonUtf8 => "non_utf8",
            Self::InvalidJson => "invalid_json",
            Self::MissingField => "missing_field",
            Self::BadBase64 => "bad_base64",
            Self::WrongColumnCount => "wrong_column_count",
            Self::UnsupportedEncoding => "unsupported_encoding",
            Self::BadPayload => "bad_payload",
            Self::LineTooLong => "line_too_long",
            Self::UnparsableNumber => "unparsable_number",
            Self::NonFinite => "non_finite",
            Self::OutOfRange => "out_of_range",
            Self::BadTime => "bad_time",
        }
    }
}

impl fmt::Display for BadRecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_warn_budget_allows_the_first_lines_of_an_object_only() {
        let mut b = WarnBudget::default();
        let allowed = (0..25).filter(|_| b.take()).count();
        assert_eq!(allowed, WARN_LINES_PER_OBJECT as usize);
    }
}
