//! CloudWatch's limits on one datum, checked by every adapter before it writes anything.

use std::collections::HashSet;
use std::fmt::Display;

use serde_json::{Number, Value};

use crate::metrics::{limits, MetricDatum, MetricValue, STANDARD_UNITS};
use crate::CoreError;

pub(crate) fn invalid(d: &MetricDatum, value: impl Display, message: &str) -> CoreError {
    CoreError::Config {
        field: format!("metric {:?} (namespace {:?})", d.name, d.namespace),
        value: value.to_string(),
        message: message.to_string(),
    }
}

fn is_printable_ascii(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

fn has_non_whitespace(s: &str) -> bool {
    s.chars().any(|c| !c.is_whitespace())
}

fn check_number(d: &MetricDatum, what: &str, v: f64) -> Result<(), CoreError> {
    if !v.is_finite() {
        return Err(invalid(
            d,
            v,
            &format!("{what}: CloudWatch accepts only finite values"),
        ));
    }
    if v.abs() > limits::MAX_MAGNITUDE {
        return Err(invalid(
            d,
            v,
            &format!("{what}: CloudWatch accepts values within ±2^360 only"),
        ));
    }
    Ok(())
}

/// Checks one datum against CloudWatch's rules; every adapter calls this before writing.
///
/// Namespace: 1–255 printable ASCII characters, not starting with `:` or `AWS/` (reserved for
/// AWS; SageMaker's lower-case `aws/sagemaker/…` is fine). Metric name: 1–255 characters
/// without control characters. At most 30 dimensions, unique names; names 1–255 and values
/// 1–1024 printable ASCII with at least one non-blank character, names not starting with `:`.
/// Unit: one of [`STANDARD_UNITS`]. Values: finite and within ±2^360; a statistic set needs
/// `sample_count > 0` and `minimum <= maximum`.
///
/// # Errors
/// [`CoreError::Config`] naming the metric, the offending value and the rule.
pub fn validate(d: &MetricDatum) -> Result<(), CoreError> {
    let ns = &d.namespace;
    if ns.is_empty() || ns.len() > limits::MAX_NAME_LEN || !is_printable_ascii(ns) {
        return Err(invalid(
            d,
            ns,
            "namespace must be 1-255 printable ASCII characters",
        ));
    }
    if ns.starts_with(':') || ns.starts_with("AWS/") {
        return Err(invalid(
            d,
            ns,
            "namespace must not start with ':' or the reserved 'AWS/'",
        ));
    }
    let name_len = d.name.chars().count();
    if name_len == 0 || name_len > limits::MAX_NAME_LEN || d.name.chars().any(char::is_control) {
        return Err(invalid(
            d,
            &d.name,
            "metric name must be 1-255 characters without control characters",
        ));
    }
    if d.dimensions.len() > limits::MAX_DIMENSIONS {
        return Err(invalid(
            d,
            d.dimensions.len(),
            "CloudWatch allows at most 30 dimensions per metric",
        ));
    }
    let mut seen = HashSet::new();
    for (name, value) in &d.dimensions {
        if name.is_empty()
            || name.len() > limits::MAX_NAME_LEN
            || !is_printable_ascii(name)
            || !has_non_whitespace(name)
            || name.starts_with(':')
        {
            return Err(invalid(
                d,
                name,
                "dimension name must be 1-255 printable ASCII characters, not blank, not starting with ':'",
            ));
        }
        if value.is_empty()
            || value.len() > limits::MAX_DIMENSION_VALUE_LEN
            || !is_printable_ascii(value)
            || !has_non_whitespace(value)
        {
            return Err(invalid(
                d,
                value,
                &format!(
                    "value of dimension {name:?} must be 1-1024 printable ASCII characters, not blank"
                ),
            ));
        }
        if !seen.insert(name.as_str()) {
            return Err(invalid(d, name, "dimension name appears twice"));
        }
    }
    if let Some(unit) = &d.unit {
        if !STANDARD_UNITS.contains(&unit.as_str()) {
            return Err(invalid(d, unit, "not a CloudWatch standard unit"));
        }
    }
    match d.value {
        MetricValue::Value(v) => check_number(d, "Value", v),
        MetricValue::Statistics {
            sample_count,
            sum,
            minimum,
            maximum,
        } => {
            check_number(d, "SampleCount", sample_count)?;
            check_number(d, "Sum", sum)?;
            check_number(d, "Minimum", minimum)?;
            check_number(d, "Maximum", maximum)?;
            if sample_count <= 0.0 {
                return Err(invalid(
                    d,
                    sample_count,
                    "a statistic set needs SampleCount > 0",
                ));
            }
            if minimum > maximum {
                return Err(invalid(
                    d,
                    format!("Minimum {minimum} > Maximum {maximum}"),
                    "a statistic set needs Minimum <= Maximum",
                ));
            }
            Ok(())
        }
    }
}

pub(crate) fn validate_all(data: &[MetricDatum]) -> Result<(), CoreError> {
    data.iter().try_for_each(validate)
}

pub(crate) fn number(d: &MetricDatum, v: f64) -> Result<Value, CoreError> {
    Number::from_f64(v)
        .map(Value::Number)
        .ok_or_else(|| invalid(d, v, "CloudWatch accepts only finite values"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::emf_documents;
    use crate::metrics::test_support::*;

    #[test]
    fn max_magnitude_is_two_to_the_360() {
        assert_eq!(limits::MAX_MAGNITUDE, 2f64.powi(360));
    }

    #[test]
    fn invalid_data_is_rejected_with_the_offending_value() {
        let nan = value("x", f64::NAN);
        let err = emf_documents(&[value("ok", 1.0), nan]).unwrap_err();
        assert!(err.to_string().contains("NaN"), "{err}");
        let err = validate(&value("x", 1e109)).unwrap_err();
        assert!(err.to_string().contains("2^360"), "{err}");
        assert!(validate(&value("x", -limits::MAX_MAGNITUDE)).is_ok());
        let err = validate(&value("x", 1.0).with_unit("Furlongs")).unwrap_err();
        assert!(err.to_string().contains("Furlongs"), "{err}");
        let mut dup = value("x", 1.0);
        dup.dimensions.push(("Endpoint".into(), "again".into()));
        assert!(validate(&dup).is_err());
        let mut blank = value("x", 1.0);
        blank.dimensions[0].1 = " ".into();
        assert!(validate(&blank).is_err());
        let mut bad_set = stats("x");
        bad_set.value = MetricValue::Statistics {
            sample_count: 0.0,
            sum: 0.0,
            minimum: 0.0,
            maximum: 0.0,
        };
        assert!(validate(&bad_set).is_err());
        let err = emf_documents(&[value("Endpoint", 1.0)]).unwrap_err();
        assert!(err.to_string().contains("Endpoint"), "{err}");
        assert!(emf_documents(&[value("_aws", 1.0)]).is_err());
    }
}
