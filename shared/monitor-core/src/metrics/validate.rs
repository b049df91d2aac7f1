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

/// The data of a publish after [`sanitize`], and what it changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Sanitized {
    /// the data to publish: every value finite and within ±2^360
    pub data: Vec<MetricDatum>,
    /// values moved to ±2^360 (beyond it, or ±infinity)
    pub clamped: u64,
    /// data left out (a NaN, or a statistic set CloudWatch would refuse)
    pub skipped: u64,
}

fn clamp(v: f64, clamped: &mut u64) -> f64 {
    if v.abs() > limits::MAX_MAGNITUDE {
        *clamped += 1;
        v.clamp(-limits::MAX_MAGNITUDE, limits::MAX_MAGNITUDE)
    } else {
        v
    }
}

/// Makes the values of `data` publishable so that one bad number cannot make CloudWatch
/// reject the whole batch (issue 11): a value beyond ±2^360, including ±infinity, is
/// clamped to ±2^360 (what SageMaker publishes for an infinite bias metric, spec §7.4); a
/// datum with a NaN anywhere, or a statistic set with `SampleCount <= 0` or
/// `Minimum > Maximum`, is left out. Both are counted, and logged at WARN with the first
/// metric name when non-zero. Names, dimensions and units are not touched: those are our
/// own and stay errors in [`validate`].
pub fn sanitize(data: Vec<MetricDatum>) -> Sanitized {
    let (mut clamped, mut skipped) = (0u64, 0u64);
    let mut first: Option<String> = None;
    let mut out = Vec::with_capacity(data.len());
    for mut d in data {
        let before = clamped;
        let keep = match &mut d.value {
            MetricValue::Value(v) => {
                if v.is_nan() {
                    false
                } else {
                    *v = clamp(*v, &mut clamped);
                    true
                }
            }
            MetricValue::Statistics {
                sample_count,
                sum,
                minimum,
                maximum,
            } => {
                if [*sample_count, *sum, *minimum, *maximum]
                    .iter()
                    .any(|x| x.is_nan())
                    || *sample_count <= 0.0
                    || *minimum > *maximum
                {
                    false
                } else {
                    *sample_count = clamp(*sample_count, &mut clamped);
                    *sum = clamp(*sum, &mut clamped);
                    *minimum = clamp(*minimum, &mut clamped);
                    *maximum = clamp(*maximum, &mut clamped);
                    true
                }
            }
        };
        if !keep {
            skipped += 1;
        }
        if (!keep || clamped > before) && first.is_none() {
            first = Some(d.name.clone());
        }
        if keep {
            out.push(d);
        }
    }
    if let Some(metric) = first {
        tracing::warn!(
            clamped,
            skipped,
            first = %metric,
            "metric values outside CloudWatch's range were clamped or skipped"
        );
    }
    Sanitized {
        data: out,
        clamped,
        skipped,
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

    /// Issue 11 item 2: one `1e200` made the tick exit after the first monitor because
    /// CloudWatch (and our validation) rejected the batch. `sanitize` keeps the batch
    /// publishable: ±2^360 is the limit ("Values must be in the range of -2^360 to 2^360",
    /// PutMetricData reference), NaN has no clamp and is skipped.
    #[test]
    fn sanitize_clamps_out_of_range_values_and_skips_nans() {
        let mut set = stats("set");
        set.value = MetricValue::Statistics {
            sample_count: 2.0,
            sum: 2e200,
            minimum: 1.0,
            maximum: 1e200,
        };
        let data = vec![
            value("ok", 1.0),
            value("big", 1e200),
            value("neg_inf", f64::NEG_INFINITY),
            value("nan", f64::NAN),
            set,
        ];
        let s = sanitize(data);
        assert_eq!((s.clamped, s.skipped), (4, 1));
        let names: Vec<&str> = s.data.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["ok", "big", "neg_inf", "set"]);
        assert_eq!(s.data[1].value, MetricValue::Value(limits::MAX_MAGNITUDE));
        assert_eq!(s.data[2].value, MetricValue::Value(-limits::MAX_MAGNITUDE));
        assert!(
            validate_all(&s.data).is_ok(),
            "the sanitized batch publishes"
        );
        assert!(emf_documents(&s.data).is_ok());
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
