//! Data-quality `statistics.json`, as the SageMaker analyzer writes it (spec §3).
//!
//! Reading is lenient where SageMaker's own files vary (counts written as `123` or `123.0`,
//! `version` as `0` or `0.0`); writing reproduces the analyzer's Jackson text byte-for-byte
//! (key order of the real files, [`super::jackson`] layout). Keys this crate does not know are
//! kept, in file order, in an `extra` map and written back after the known keys, at the levels
//! a newer or custom container could extend: the file, `dataset`, each feature,
//! `numerical_statistics`, `string_statistics`, the string `distribution` and `categorical`.
//! The fixed Deequ shapes (`common`, numerical `distribution`, `kll`, buckets, `sketch`,
//! `parameters`) have no `extra`: unknown keys there are ignored on read and not written back.
//!
//! Undefined moments: a numeric feature whose values are all missing has no mean/min/max. The
//! analyzer never writes such a feature in a baseline (Deequ infers `Unknown` for an all-null
//! column, and `Unknown` features carry no `numerical_statistics`); what it writes for a current
//! window is not documented. We represent an undefined moment as `NaN`, which Jackson would
//! write as the string `"NaN"` for a Java `double`; on read, a missing or `null` moment also
//! becomes `NaN`.

use drift_math::types::InferredType;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::jackson::{self, java_f64, java_f64_matrix, lenient_u64};

/// Errors reading a SageMaker format file; each names the file kind and the offending place.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The bytes are not valid JSON for this file kind (serde_json's message, 1-based position).
    #[error("{kind}: invalid JSON at line {line}, column {column}: {message}")]
    Json {
        /// file kind, e.g. `"statistics.json"`
        kind: &'static str,
        /// 1-based line of the failure
        line: usize,
        /// 1-based column of the failure
        column: usize,
        /// serde_json's description
        message: String,
    },
    /// A field holds a value the format does not allow.
    #[error("{kind}: invalid value for {field}: {value}")]
    Invalid {
        /// file kind, e.g. `"constraints.json"`
        kind: &'static str,
        /// path of the field, e.g. `features[3].completeness`
        field: String,
        /// the offending value as text
        value: String,
    },
    /// The value could not be rendered as JSON (should not happen for these types).
    #[error("{kind}: cannot write JSON: {message}")]
    Write {
        /// file kind
        kind: &'static str,
        /// serde_json's description
        message: String,
    },
}

impl FormatError {
    /// Wraps a serde_json parse error with the file kind and its line/column.
    #[must_use]
    pub fn json(kind: &'static str, e: &serde_json::Error) -> Self {
        // serde_json's Display appends " at line L column C"; keep only the description.
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
        FormatError::Json {
            kind,
            line: e.line(),
            column: e.column(),
            message,
        }
    }
}

/// Parses `bytes` as `T`, mapping errors to [`FormatError::Json`].
pub(crate) fn parse<'a, T: Deserialize<'a>>(
    kind: &'static str,
    bytes: &'a [u8],
) -> Result<T, FormatError> {
    serde_json::from_slice(bytes).map_err(|e| FormatError::json(kind, &e))
}

/// Renders `value` as Jackson text. Our format types contain only string-keyed maps and
/// non-finite-safe floats, so serde_json cannot fail on them; should it ever, the error text is
/// returned as a JSON string literal rather than panicking.
pub(crate) fn render<T: Serialize>(kind: &'static str, value: &T) -> String {
    jackson::to_jackson_string(value).unwrap_or_else(|e| {
        let err = FormatError::Write {
            kind,
            message: e.to_string(),
        };
        Value::String(err.to_string()).to_string()
    })
}

const KIND: &str = "statistics.json";

fn nan() -> f64 {
    f64::NAN
}

/// Reads a moment that may be missing, `null`, a number or a Jackson non-finite string.
fn moment<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<jackson::JavaF64>::deserialize(d)?.map_or(f64::NAN, |x| x.0))
}

/// The whole data-quality `statistics.json`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Statistics {
    /// format version; the analyzer writes `0.0`
    pub version: f64,
    /// dataset-level statistics
    pub dataset: DatasetStats,
    /// one entry per column, in column order
    pub features: Vec<FeatureStatistics>,
    /// keys not known to this crate, kept in file order
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `dataset` block.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DatasetStats {
    /// number of records analysed
    #[serde(deserialize_with = "lenient_u64::deserialize")]
    pub item_count: u64,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Statistics of one feature (column).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureStatistics {
    /// column name (header name, `_c0`… without header, or the flattened JSON key)
    pub name: String,
    /// Deequ's inferred type of the column
    pub inferred_type: InferredType,
    /// present for `Integral` and `Fractional` features
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numerical_statistics: Option<NumericalStatistics>,
    /// present for `String` features
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_statistics: Option<StringStatistics>,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `common` block: present/missing counts; completeness = `num_present / (num_present + num_missing)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CommonStats {
    /// number of non-null values
    #[serde(deserialize_with = "lenient_u64::deserialize")]
    pub num_present: u64,
    /// number of null/empty values
    #[serde(deserialize_with = "lenient_u64::deserialize")]
    pub num_missing: u64,
}

/// `numerical_statistics` block. `std_dev` is the population standard deviation `sqrt(M2/n)`
/// (Deequ `StandardDeviation`). Undefined moments are `NaN` (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericalStatistics {
    /// present/missing counts
    pub common: CommonStats,
    /// arithmetic mean of the present values
    #[serde(
        serialize_with = "java_f64::serialize",
        deserialize_with = "moment",
        default = "nan"
    )]
    pub mean: f64,
    /// sum of the present values
    #[serde(
        serialize_with = "java_f64::serialize",
        deserialize_with = "moment",
        default = "nan"
    )]
    pub sum: f64,
    /// population standard deviation
    #[serde(
        serialize_with = "java_f64::serialize",
        deserialize_with = "moment",
        default = "nan"
    )]
    pub std_dev: f64,
    /// minimum present value
    #[serde(
        serialize_with = "java_f64::serialize",
        deserialize_with = "moment",
        default = "nan"
    )]
    pub min: f64,
    /// maximum present value
    #[serde(
        serialize_with = "java_f64::serialize",
        deserialize_with = "moment",
        default = "nan"
    )]
    pub max: f64,
    /// KLL buckets and sketch
    pub distribution: NumericalDistribution,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `distribution` of a numerical feature.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NumericalDistribution {
    /// the KLL sketch and its 10 materialised buckets
    pub kll: KllDistribution,
}

/// `kll` block: 10 equal-width buckets over `[min, max]` and the sketch itself (spec §3.3, §3.4).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct KllDistribution {
    /// bucket `i` covers `[min + (max-min)*i/10, min + (max-min)*(i+1)/10)`, the last one closed
    pub buckets: Vec<KllBucketOut>,
    /// the sketch: parameters and compactor level buffers
    pub sketch: KllSketchOut,
}

/// One materialised KLL bucket. `count` is an estimate written as a double (`2008.0`); reads
/// accept `2008` too.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct KllBucketOut {
    /// inclusive lower bound
    #[serde(with = "java_f64")]
    pub lower_bound: f64,
    /// exclusive upper bound (inclusive for the last bucket)
    #[serde(with = "java_f64")]
    pub upper_bound: f64,
    /// estimated number of values in the bucket
    #[serde(with = "java_f64")]
    pub count: f64,
}

/// The serialised KLL sketch (Deequ `QuantileNonSample`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct KllSketchOut {
    /// `c` (shrinking factor, 0.64) and `k` (sketch size, 2048.0)
    pub parameters: KllParameters,
    /// `data[h]` = buffer of compactor level `h` in buffer order; items at level `h` weigh `2^h`
    #[serde(with = "java_f64_matrix")]
    pub data: Vec<Vec<f64>>,
}

/// KLL parameters as written by the analyzer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KllParameters {
    /// shrinking factor (Deequ default 0.64)
    pub c: f64,
    /// sketch size (Deequ default 2048, written `2048.0`)
    pub k: f64,
}

/// `string_statistics` block.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StringStatistics {
    /// present/missing counts
    pub common: CommonStats,
    /// approximate number of distinct values (HyperLogLog++), written as a double
    #[serde(with = "java_f64")]
    pub distinct_count: f64,
    /// per-value counts
    pub distribution: StringDistribution,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `distribution` of a string feature.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StringDistribution {
    /// per-value counts
    pub categorical: CategoricalDistribution,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `categorical` block.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CategoricalDistribution {
    /// one bucket per distinct value
    pub buckets: Vec<CategoricalBucket>,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One categorical bucket; `count` reads `418` or `418.0`, writes `418`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CategoricalBucket {
    /// the value as text
    pub value: String,
    /// number of occurrences
    #[serde(deserialize_with = "lenient_u64::deserialize")]
    pub count: u64,
}

impl Default for KllParameters {
    /// Deequ's defaults: `c = 0.64` (`DEFAULT_SHRINKING_FACTOR`), `k = 2048` (`DEFAULT_SKETCH_SIZE`).
    fn default() -> Self {
        KllParameters { c: 0.64, k: 2048.0 }
    }
}

impl Default for NumericalStatistics {
    /// Zero counts, undefined (`NaN`) moments, empty distribution.
    fn default() -> Self {
        NumericalStatistics {
            common: CommonStats::default(),
            mean: f64::NAN,
            sum: f64::NAN,
            std_dev: f64::NAN,
            min: f64::NAN,
            max: f64::NAN,
            distribution: NumericalDistribution::default(),
            extra: Map::new(),
        }
    }
}

impl Default for FeatureStatistics {
    /// An unnamed `Unknown` feature without statistics.
    fn default() -> Self {
        FeatureStatistics::new(String::new(), InferredType::Unknown)
    }
}

impl FeatureStatistics {
    /// A feature with a name and type and no statistics blocks yet.
    #[must_use]
    pub fn new(name: impl Into<String>, inferred_type: InferredType) -> Self {
        FeatureStatistics {
            name: name.into(),
            inferred_type,
            numerical_statistics: None,
            string_statistics: None,
            extra: Map::new(),
        }
    }
}

impl Statistics {
    /// Parses a data-quality `statistics.json`.
    ///
    /// # Errors
    /// [`FormatError::Json`] with line and column for malformed JSON, a missing required key or
    /// a value of the wrong type.
    pub fn from_json(bytes: &[u8]) -> Result<Self, FormatError> {
        parse(KIND, bytes)
    }

    /// Renders the file as the analyzer does (Jackson pretty printer, no trailing newline).
    #[must_use]
    pub fn to_json(&self) -> String {
        render(KIND, self)
    }

    /// The statistics of the feature called `name`, if present.
    #[must_use]
    pub fn feature(&self, name: &str) -> Option<&FeatureStatistics> {
        self.features.iter().find(|f| f.name == name)
    }
}

impl CommonStats {
    /// `num_present / (num_present + num_missing)`, or `None` when both are zero (as AWS's
    /// visualisation utility computes completeness).
    #[must_use]
    pub fn completeness(&self) -> Option<f64> {
        let total = self.num_present.checked_add(self.num_missing)?;
        if total == 0 {
            return None;
        }
        #[allow(clippy::cast_precision_loss)]
        Some(self.num_present as f64 / total as f64)
    }
}

impl FeatureStatistics {
    /// The `common` block of whichever statistics the feature has.
    #[must_use]
    pub fn common(&self) -> Option<&CommonStats> {
        self.numerical_statistics
            .as_ref()
            .map(|n| &n.common)
            .or_else(|| self.string_statistics.as_ref().map(|s| &s.common))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_error_carries_kind_and_position() {
        let err =
            Statistics::from_json(b"{\n  \"version\": 0.0,\n  \"dataset\": 3\n}").unwrap_err();
        match err {
            FormatError::Json {
                kind,
                line,
                column,
                message,
            } => {
                assert_eq!(kind, "statistics.json");
                assert_eq!(line, 3);
                assert!(column > 0);
                assert!(
                    message.starts_with("invalid type: integer `3`"),
                    "{message}"
                );
                assert!(!message.contains(" at line "), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn missing_moments_read_as_nan_and_write_as_jackson_nan() {
        let text = br#"{"version":0,"dataset":{"item_count":2},"features":[{"name":"x",
            "inferred_type":"Fractional","numerical_statistics":{"common":{"num_present":0,
            "num_missing":2},"sum":0.0,"std_dev":null,"min":"NaN","max":"NaN",
            "distribution":{"kll":{"buckets":[],"sketch":{"parameters":{"c":0.64,"k":2048},
            "data":[]}}}}}]}"#;
        let s = Statistics::from_json(text).unwrap();
        let n = s.features[0].numerical_statistics.as_ref().unwrap();
        assert!(n.mean.is_nan() && n.std_dev.is_nan() && n.min.is_nan());
        assert_eq!(n.common.completeness(), Some(0.0));
        let out = s.to_json();
        assert!(out.contains("\"mean\" : \"NaN\""), "{out}");
        assert!(out.contains("\"buckets\" : [ ]"), "{out}");
        assert!(out.contains("\"k\" : 2048.0"), "{out}");
        // writes and re-reads to the same text
        assert_eq!(
            Statistics::from_json(out.as_bytes()).unwrap().to_json(),
            out
        );
    }
}
