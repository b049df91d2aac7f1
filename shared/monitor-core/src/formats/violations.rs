//! Data-quality `constraint_violations.json` (spec §5.1) and SageMaker's description wording.
//!
//! The file has no `version` key: `{"violations" : [ {feature_name, constraint_check_type,
//! description}, … ]}`. Unknown keys are kept and written back after the known ones.

use drift_math::types::InferredType;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::jackson::java_double;
pub use super::statistics::FormatError;
use super::statistics::{parse, render};

const KIND: &str = "constraint_violations.json";

/// `constraint_check_type` of a data-quality violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckType {
    /// too few values of the baseline type (`data_type_check`)
    DataTypeCheck,
    /// completeness below the constraint (`completeness_check`)
    CompletenessCheck,
    /// distribution distance above the threshold (`baseline_drift_check`)
    BaselineDriftCheck,
    /// fewer columns than the baseline (`missing_column_check`)
    MissingColumnCheck,
    /// more columns than the baseline (`extra_column_check`)
    ExtraColumnCheck,
    /// too few values inside the baseline domain (`categorical_values_check`)
    CategoricalValuesCheck,
    /// modelwatch: the window's PCA reconstruction error is outside the baseline's band
    /// (`multivariate_drift_check`, issue 13 item 4)
    MultivariateDriftCheck,
}

impl CheckType {
    /// The wire name, e.g. `"data_type_check"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CheckType::DataTypeCheck => "data_type_check",
            CheckType::CompletenessCheck => "completeness_check",
            CheckType::BaselineDriftCheck => "baseline_drift_check",
            CheckType::MissingColumnCheck => "missing_column_check",
            CheckType::ExtraColumnCheck => "extra_column_check",
            CheckType::CategoricalValuesCheck => "categorical_values_check",
            CheckType::MultivariateDriftCheck => "multivariate_drift_check",
        }
    }
}

impl std::fmt::Display for CheckType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One violation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// the feature (column) concerned
    pub feature_name: String,
    /// which check fired
    pub constraint_check_type: CheckType,
    /// human-readable text in SageMaker's wording (see the builders in this module)
    pub description: String,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The whole data-quality `constraint_violations.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConstraintViolations {
    /// the violations, in check order
    pub violations: Vec<Violation>,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Violation {
    /// A violation without extra keys.
    #[must_use]
    pub fn new(
        feature_name: impl Into<String>,
        constraint_check_type: CheckType,
        description: impl Into<String>,
    ) -> Self {
        Violation {
            feature_name: feature_name.into(),
            constraint_check_type,
            description: description.into(),
            extra: Map::new(),
        }
    }
}

impl ConstraintViolations {
    /// Parses a data-quality `constraint_violations.json`.
    ///
    /// # Errors
    /// [`FormatError::Json`] with line/column for malformed JSON, missing keys or an unknown
    /// `constraint_check_type`.
    pub fn from_json(bytes: &[u8]) -> Result<Self, FormatError> {
        parse(KIND, bytes)
    }

    /// Renders the file as the analyzer does (Jackson pretty printer, no trailing newline).
    #[must_use]
    pub fn to_json(&self) -> String {
        render(KIND, self)
    }
}

/// A fraction as the percentage SageMaker prints: `ratio × 100` rounded to 4 decimals
/// (decimal rounding of the exact binary value), then Java `Double.toString`.
///
/// Chosen to fit every observed text: 1.0 → `100.0`, 0.0 → `0.0`, a 99.6459 % match → `99.6459`
/// (EX intro notebook, BOOK). The rounding rule (4 decimals) is **[inferred]** from the
/// observed 4-decimal value; the container's code is not public.
#[must_use]
pub fn percent_text(ratio: f64) -> String {
    let pct = ratio * 100.0;
    if !pct.is_finite() {
        return java_double(pct);
    }
    let rounded: f64 = format!("{pct:.4}").parse().unwrap_or(pct);
    // `-0.0000` would print as -0.0; Java's rounding of a tiny negative gives the same, but a
    // ratio is never negative, so normalise to 0.0.
    java_double(if rounded == 0.0 { 0.0 } else { rounded })
}

/// `data_type_check` wording:
/// `Data type match requirement is not met. Expected data type: {T}, Expected match: {e}%.
/// Observed: Only {o}% of data is {T}.`
///
/// `expected_ratio` is the required fraction (the `datatype_check_threshold`, e.g. 1.0) and
/// `observed_ratio` the observed fraction of non-null values of type `T` — both fractions in
/// `[0, 1]`, printed as percentages by [`percent_text`].
/// Source: EX `sagemaker_model_monitor/introduction` saved output; BOOK.
#[must_use]
pub fn data_type_description(
    expected: InferredType,
    expected_ratio: f64,
    observed_ratio: f64,
) -> String {
    let t = expected.as_str();
    format!(
        "Data type match requirement is not met. Expected data type: {t}, Expected match: {}%. Observed: Only {}% of data is {t}.",
        percent_text(expected_ratio),
        percent_text(observed_ratio)
    )
}

/// Numerical `baseline_drift_check` wording:
/// `Numerical distance: {d} exceeds numerical threshold: {t}` (Java `Double.toString` numbers).
/// Source: BOOK; AWS's viz util parses it with `distance: (.+) exceeds`.
#[must_use]
pub fn baseline_drift_description(distance: f64, threshold: f64) -> String {
    format!(
        "Numerical distance: {} exceeds numerical threshold: {}",
        java_double(distance),
        java_double(threshold)
    )
}

/// Categorical `baseline_drift_check` wording **[inferred by symmetry]**:
/// `Categorical distance: {d} exceeds categorical threshold: {t}`.
#[must_use]
pub fn categorical_drift_description(distance: f64, threshold: f64) -> String {
    format!(
        "Categorical distance: {} exceeds categorical threshold: {}",
        java_double(distance),
        java_double(threshold)
    )
}

/// Deequ's constraint message, used for `completeness_check` and `categorical_values_check`:
/// `Value: {v} does not meet the constraint requirement! ` — note the trailing space.
/// Source: SDK `tests/data/monitor/constraint_violations.json`.
#[must_use]
pub fn deequ_value_description(value: f64) -> String {
    format!(
        "Value: {} does not meet the constraint requirement! ",
        java_double(value)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts from spec §5.1 (EX intro notebook output, BOOK, SDK fixture).
    #[test]
    fn wording_matches_sagemaker() {
        assert_eq!(
            data_type_description(InferredType::Integral, 1.0, 0.0),
            "Data type match requirement is not met. Expected data type: Integral, Expected match: 100.0%. Observed: Only 0.0% of data is Integral."
        );
        // 99.6459 % observed in the EX run; any ratio rounding to it prints the same.
        assert_eq!(percent_text(0.996_459_123), "99.6459");
        assert_eq!(percent_text(0.996_459), "99.6459");
        assert_eq!(percent_text(0.5), "50.0");
        assert_eq!(
            baseline_drift_description(0.2711598746081505, 0.1),
            "Numerical distance: 0.2711598746081505 exceeds numerical threshold: 0.1"
        );
        assert_eq!(
            categorical_drift_description(0.25, 0.1),
            "Categorical distance: 0.25 exceeds categorical threshold: 0.1"
        );
        assert_eq!(
            deequ_value_description(0.009009009009009009),
            "Value: 0.009009009009009009 does not meet the constraint requirement! "
        );
        assert_eq!(
            deequ_value_description(0.0),
            "Value: 0.0 does not meet the constraint requirement! "
        );
        // 1/111 as Deequ computes it: the SDK fixture's first violation
        assert_eq!(
            deequ_value_description(1.0 / 111.0),
            "Value: 0.009009009009009009 does not meet the constraint requirement! "
        );
    }

    #[test]
    fn check_type_names() {
        for t in [
            CheckType::DataTypeCheck,
            CheckType::CompletenessCheck,
            CheckType::BaselineDriftCheck,
            CheckType::MissingColumnCheck,
            CheckType::ExtraColumnCheck,
            CheckType::CategoricalValuesCheck,
        ] {
            assert_eq!(
                serde_json::to_value(t).unwrap(),
                Value::String(t.as_str().into())
            );
        }
    }

    #[test]
    fn empty_file_layout() {
        assert_eq!(
            ConstraintViolations::default().to_json(),
            "{\n  \"violations\" : [ ]\n}"
        );
    }
}
