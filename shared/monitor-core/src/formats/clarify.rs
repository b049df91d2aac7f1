//! SageMaker Clarify's files for the bias-drift and feature-attribution-drift monitors
//! (spec §5.3, §5.4, §9, §10).
//!
//! Clarify is Python, not the Scala analyzer: it writes its JSON with `json.dumps(…,
//! indent=4)` (`"key": value`, every array element and object entry on its own line,
//! 4 spaces per level, non-ASCII escaped as `\uXXXX`, no trailing newline) and numbers as
//! Python's `repr(float)` (see [`py_float_repr`]). `analysis.json` keeps Clarify's key order;
//! `constraint_violations.json` is written with sorted keys (`sort_keys=True`), as in the
//! real files `bias/ex-bias-drift-adult-*-constraint_violations.json`. Infinite metric values
//! are the strings `"Infinity"` / `"-Infinity"` (smclarify `inf_as_str`).
//!
//! Keys this crate does not know are kept in flattened `extra` maps and written back after
//! the known ones.

use std::io;

use serde::de::{self, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::ser::{Formatter, PrettyFormatter};
use serde_json::{Map, Number, Value};

use super::statistics::parse;
pub use super::statistics::FormatError;

const CONFIG_KIND: &str = "analysis_config.json";
const ANALYSIS_KIND: &str = "analysis.json";
const VIOLATIONS_KIND: &str = "constraint_violations.json";

/// The `constraint_check_type` of every bias violation.
pub const BIAS_DRIFT_CHECK: &str = "bias_drift_check";
/// The `constraint_check_type` of every feature-attribution violation.
pub const FEATURE_ATTRIBUTION_DRIFT_CHECK: &str = "feature_attribution_drift_check";

// ---- Python json.dumps text ---------------------------------------------------------------

/// Python's `repr(x)` for a float, as `json.dumps` writes it, except that non-finite values
/// are `Infinity` / `-Infinity` / `NaN` (the JSON-ish spelling Clarify's texts use).
///
/// Shortest round-trip digits; plain notation with at least one fractional digit when the
/// decimal exponent `e` satisfies `-4 ≤ e < 16` (`0.04`, `2.0`, `0.0001`), otherwise
/// `d.ddde±XX` with at least two exponent digits (`1e-05`, `1.5e+16`).
#[must_use]
pub fn py_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x == 0.0 {
        return format!("{sign}0.0");
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "1.2345e-5", "1e16".
    let sci = format!("{:e}", x.abs());
    let (mant, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let body = if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = usize::try_from(exp).unwrap_or(0) + 1;
            if digits.len() <= int_len {
                format!("{digits}{}.0", "0".repeat(int_len - digits.len()))
            } else {
                format!("{}.{}", &digits[..int_len], &digits[int_len..])
            }
        } else {
            let zeros = usize::try_from(-exp - 1).unwrap_or(0);
            format!("0.{}{digits}", "0".repeat(zeros))
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{first}{frac}e{esign}{:02}", exp.abs())
    };
    format!("{sign}{body}")
}

/// A `serde_json` formatter reproducing Python's `json.dumps(obj, indent=4)`.
struct PyFormatter {
    inner: PrettyFormatter<'static>,
}

impl PyFormatter {
    fn new() -> Self {
        PyFormatter {
            inner: PrettyFormatter::with_indent(b"    "),
        }
    }
}

impl Formatter for PyFormatter {
    fn write_f64<W: ?Sized + io::Write>(&mut self, w: &mut W, value: f64) -> io::Result<()> {
        w.write_all(py_float_repr(value).as_bytes())
    }
    fn write_f32<W: ?Sized + io::Write>(&mut self, w: &mut W, value: f32) -> io::Result<()> {
        w.write_all(py_float_repr(f64::from(value)).as_bytes())
    }
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // ensure_ascii=True: every non-ASCII character as \uXXXX (UTF-16 units).
        for c in fragment.chars() {
            if c.is_ascii() {
                let mut b = [0u8; 4];
                w.write_all(c.encode_utf8(&mut b).as_bytes())?;
            } else {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    write!(w, "\\u{u:04x}")?;
                }
            }
        }
        Ok(())
    }
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.inner.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.inner.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_object_value(w)
    }
}

/// Renders `value` as Python's `json.dumps(value, indent=4)` (no trailing newline). With
/// `sort_keys`, object keys are sorted at every level, as `sort_keys=True` does.
///
/// # Errors
/// [`FormatError::Write`] if serde_json cannot render the value.
pub fn to_python_json<T: Serialize + ?Sized>(
    kind: &'static str,
    value: &T,
    sort_keys: bool,
) -> Result<String, FormatError> {
    let write_err = |e: &dyn std::fmt::Display| FormatError::Write {
        kind,
        message: e.to_string(),
    };
    let mut out = Vec::with_capacity(1024);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PyFormatter::new());
    if sort_keys {
        let mut v = serde_json::to_value(value).map_err(|e| write_err(&e))?;
        sort_value(&mut v);
        v.serialize(&mut ser).map_err(|e| write_err(&e))?;
    } else {
        value.serialize(&mut ser).map_err(|e| write_err(&e))?;
    }
    String::from_utf8(out).map_err(|e| write_err(&e))
}

fn sort_value(v: &mut Value) {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = std::mem::take(m).into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            for (k, mut val) in entries {
                sort_value(&mut val);
                m.insert(k, val);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(sort_value),
        _ => {}
    }
}

/// Renders without failing: our types have string keys only, so serde_json cannot fail; should
/// it ever, the error text is returned as a JSON string literal rather than panicking.
fn render<T: Serialize>(kind: &'static str, value: &T, sort_keys: bool) -> String {
    to_python_json(kind, value, sort_keys)
        .unwrap_or_else(|e| Value::String(e.to_string()).to_string())
}

fn invalid(kind: &'static str, field: impl Into<String>, value: impl Into<String>) -> FormatError {
    FormatError::Invalid {
        kind,
        field: field.into(),
        value: value.into(),
    }
}

// ---- analysis_config.json -----------------------------------------------------------------

/// A column given by name or by 0-based index (Clarify's `name_or_index`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NameOrIndex {
    /// 0-based column index
    Index(usize),
    /// column name (a `headers` entry)
    Name(String),
}

impl NameOrIndex {
    /// The 0-based column within `headers`, if it names one.
    #[must_use]
    pub fn resolve(&self, headers: &[String]) -> Option<usize> {
        match self {
            NameOrIndex::Index(i) => (*i < headers.len()).then_some(*i),
            NameOrIndex::Name(n) => headers.iter().position(|h| h == n),
        }
    }

    /// The column's name: the name itself, or `headers[i]` (or `i` as text) for an index.
    #[must_use]
    pub fn display_name(&self, headers: &[String]) -> String {
        match self {
            NameOrIndex::Name(n) => n.clone(),
            NameOrIndex::Index(i) => headers.get(*i).cloned().unwrap_or_else(|| i.to_string()),
        }
    }
}

/// One `facet` entry of the analysis config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FacetConfig {
    /// the facet column
    pub name_or_index: NameOrIndex,
    /// values of the sensitive group d, or one numeric threshold (d = values `>` t);
    /// absent → one-vs-rest: one metric set per value of the (categorical) column
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_or_threshold: Option<Vec<Value>>,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The subset of Clarify's `analysis_config.json` the bias monitor uses (spec §9.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisConfig {
    /// `"1.0"`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// column names of the dataset (required for headerless CSV and JSON Lines `features`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Vec<String>>,
    /// the label column
    pub label: NameOrIndex,
    /// positive label values, or one numeric threshold (positive = values `>` t)
    pub label_values_or_threshold: Vec<Value>,
    /// the facet split(s)
    pub facet: Vec<FacetConfig>,
    /// column of the groups for CDDL / CDDPL
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_variable: Option<NameOrIndex>,
    /// predicted probability `>` this → predicted label 1 (Clarify default 0.5)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability_threshold: Option<f64>,
    /// column of the model's predicted label or score, when the dataset carries one
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted_label: Option<NameOrIndex>,
    /// `methods` (pre/post-training bias, shap …) kept as given
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub methods: Option<Value>,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn scalar_ok(v: &Value) -> bool {
    matches!(v, Value::Number(_) | Value::String(_) | Value::Bool(_))
}

impl AnalysisConfig {
    /// Parses and [validates](AnalysisConfig::validate) an `analysis_config.json`.
    ///
    /// # Errors
    /// [`FormatError::Json`] for malformed JSON or missing keys, [`FormatError::Invalid`]
    /// naming the field for inconsistent values.
    pub fn from_json(bytes: &[u8]) -> Result<Self, FormatError> {
        let c: AnalysisConfig = parse(CONFIG_KIND, bytes)?;
        c.validate()?;
        Ok(c)
    }

    /// Renders the config as Python's `json.dumps(indent=4)` would.
    #[must_use]
    pub fn to_json(&self) -> String {
        render(CONFIG_KIND, self, false)
    }

    /// Checks the fields: non-empty `label_values_or_threshold` of scalars, at least one
    /// facet, facet values scalars, indices within `headers`, named columns present in
    /// `headers` when given, `probability_threshold` finite, no duplicate header.
    ///
    /// # Errors
    /// [`FormatError::Invalid`] naming the first offending field.
    pub fn validate(&self) -> Result<(), FormatError> {
        let k = CONFIG_KIND;
        if let Some(h) = &self.headers {
            for (i, name) in h.iter().enumerate() {
                if h[..i].contains(name) {
                    return Err(invalid(
                        k,
                        format!("headers[{i}]"),
                        format!("{name:?} (duplicate)"),
                    ));
                }
            }
        }
        let check_col = |field: &str, c: &NameOrIndex| -> Result<(), FormatError> {
            if let Some(h) = &self.headers {
                if c.resolve(h).is_none() {
                    return Err(invalid(
                        k,
                        field,
                        format!("{c:?} is not a column of headers"),
                    ));
                }
            }
            Ok(())
        };
        check_col("label", &self.label)?;
        if self.label_values_or_threshold.is_empty() {
            return Err(invalid(k, "label_values_or_threshold", "[] (empty)"));
        }
        for (i, v) in self.label_values_or_threshold.iter().enumerate() {
            if !scalar_ok(v) {
                return Err(invalid(
                    k,
                    format!("label_values_or_threshold[{i}]"),
                    v.to_string(),
                ));
            }
        }
        if self.facet.is_empty() {
            return Err(invalid(k, "facet", "[] (empty)"));
        }
        for (i, f) in self.facet.iter().enumerate() {
            check_col(&format!("facet[{i}].name_or_index"), &f.name_or_index)?;
            if let Some(vals) = &f.value_or_threshold {
                if vals.is_empty() {
                    return Err(invalid(
                        k,
                        format!("facet[{i}].value_or_threshold"),
                        "[] (empty)",
                    ));
                }
                for (j, v) in vals.iter().enumerate() {
                    if !scalar_ok(v) {
                        return Err(invalid(
                            k,
                            format!("facet[{i}].value_or_threshold[{j}]"),
                            v.to_string(),
                        ));
                    }
                }
            }
        }
        if let Some(g) = &self.group_variable {
            check_col("group_variable", g)?;
        }
        if let Some(p) = &self.predicted_label {
            check_col("predicted_label", p)?;
        }
        if let Some(t) = self.probability_threshold {
            if !t.is_finite() {
                return Err(invalid(k, "probability_threshold", t.to_string()));
            }
        }
        Ok(())
    }
}

// ---- analysis.json (bias) -----------------------------------------------------------------

/// A metric `value`: a number (integers kept as written), `null`, or ±∞ written as the
/// strings `"Infinity"` / `"-Infinity"`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetricValue {
    /// a float (±∞ allowed; NaN is written as `null`)
    Float(f64),
    /// an integer as Python wrote it (e.g. `0`)
    Int(i64),
    /// `null` (the metric failed; see `error`)
    Null,
}

impl MetricValue {
    /// The value as `f64` (`None` for `null`).
    #[must_use]
    pub fn as_f64(self) -> Option<f64> {
        match self {
            MetricValue::Float(x) if !x.is_nan() => Some(x),
            MetricValue::Float(_) | MetricValue::Null => None,
            #[allow(clippy::cast_precision_loss)]
            MetricValue::Int(i) => Some(i as f64),
        }
    }
}

impl Serialize for MetricValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            MetricValue::Float(x) if x.is_nan() => s.serialize_none(),
            MetricValue::Float(x) if x.is_infinite() => s.serialize_str(&py_float_repr(x)),
            MetricValue::Float(x) => s.serialize_f64(x),
            MetricValue::Int(i) => s.serialize_i64(i),
            MetricValue::Null => s.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for MetricValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(MetricValue::Null),
            Value::Number(n) => {
                number_value(&n).ok_or_else(|| de::Error::custom(format!("bad number {n}")))
            }
            Value::String(s) => match s.as_str() {
                "Infinity" => Ok(MetricValue::Float(f64::INFINITY)),
                "-Infinity" => Ok(MetricValue::Float(f64::NEG_INFINITY)),
                "NaN" => Ok(MetricValue::Float(f64::NAN)),
                other => Err(de::Error::custom(format!(
                    "metric value {other:?} is not a number"
                ))),
            },
            other => Err(de::Error::custom(format!(
                "metric value {other} is not a number"
            ))),
        }
    }
}

fn number_value(n: &Number) -> Option<MetricValue> {
    if let Some(i) = n.as_i64() {
        Some(MetricValue::Int(i))
    } else {
        n.as_f64().map(MetricValue::Float)
    }
}

/// One metric of analysis.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BiasMetric {
    /// short code, e.g. `"DPPL"`
    pub name: String,
    /// Clarify's description, e.g. `"Disparate Impact (DI)"`
    pub description: String,
    /// the value, `null` when the metric failed
    pub value: MetricValue,
    /// Clarify's error text when `value` is `null`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Metrics of one facet value (or threshold interval).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FacetMetrics {
    /// `"0"`, `"a,b"` or an interval `"(0.5, 0.99]"`
    pub value_or_threshold: String,
    /// the metrics, sorted by code
    pub metrics: Vec<BiasMetric>,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `pre_training_bias_metrics` or `post_training_bias_metrics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BiasMetricsBlock {
    /// label column name
    pub label: String,
    /// facet name → one entry per facet value / threshold
    pub facets: Map<String, Value>,
    /// the positive label values or threshold as text, e.g. `"1"`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_value_or_threshold: Option<String>,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl BiasMetricsBlock {
    /// A block with typed facet entries.
    ///
    /// # Errors
    /// [`FormatError::Write`] if the entries cannot be represented (should not happen).
    pub fn new(
        label: impl Into<String>,
        label_value_or_threshold: Option<String>,
        facets: Vec<(String, Vec<FacetMetrics>)>,
    ) -> Result<Self, FormatError> {
        let mut map = Map::new();
        for (name, entries) in facets {
            let v = serde_json::to_value(entries).map_err(|e| FormatError::Write {
                kind: ANALYSIS_KIND,
                message: e.to_string(),
            })?;
            map.insert(name, v);
        }
        Ok(BiasMetricsBlock {
            label: label.into(),
            facets: map,
            label_value_or_threshold,
            extra: Map::new(),
        })
    }

    /// The typed entries of one facet.
    ///
    /// # Errors
    /// [`FormatError::Invalid`] if the facet's entries do not have Clarify's shape.
    pub fn facet(&self, name: &str) -> Result<Option<Vec<FacetMetrics>>, FormatError> {
        match self.facets.get(name) {
            None => Ok(None),
            Some(v) => Vec::<FacetMetrics>::deserialize(v)
                .map(Some)
                .map_err(|e| invalid(ANALYSIS_KIND, format!("facets.{name}"), e.to_string())),
        }
    }

    /// Every `(facet, entry)` pair in file order.
    ///
    /// # Errors
    /// [`FormatError::Invalid`] if an entry does not have Clarify's shape.
    pub fn entries(&self) -> Result<Vec<(String, FacetMetrics)>, FormatError> {
        let mut out = Vec::new();
        for name in self.facets.keys() {
            for e in self.facet(name)?.unwrap_or_default() {
                out.push((name.clone(), e));
            }
        }
        Ok(out)
    }
}

/// Clarify's bias `analysis.json` (spec §9.2), also the bias-drift baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BiasAnalysis {
    /// `"1.0"`
    pub version: String,
    /// post-training block (needs predictions)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_training_bias_metrics: Option<BiasMetricsBlock>,
    /// pre-training block
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_training_bias_metrics: Option<BiasMetricsBlock>,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl BiasAnalysis {
    /// Parses an analysis.json and checks every facet entry has Clarify's shape.
    ///
    /// # Errors
    /// [`FormatError::Json`] for malformed JSON; [`FormatError::Invalid`] for a bad facet entry.
    pub fn from_json(bytes: &[u8]) -> Result<Self, FormatError> {
        let a: BiasAnalysis = parse(ANALYSIS_KIND, bytes)?;
        for b in [&a.pre_training_bias_metrics, &a.post_training_bias_metrics]
            .into_iter()
            .flatten()
        {
            b.entries()?;
        }
        Ok(a)
    }

    /// Renders the file as Clarify does (Python `json.dumps(indent=4)`, key order kept).
    #[must_use]
    pub fn to_json(&self) -> String {
        render(ANALYSIS_KIND, self, false)
    }
}

// ---- analysis.json (explainability) -------------------------------------------------------

/// Global SHAP values of one label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelExplanation {
    /// feature → aggregated SHAP value, in Clarify's (feature) order
    pub global_shap_values: Map<String, Value>,
    /// the model's mean output on the SHAP baseline
    pub expected_value: f64,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl LabelExplanation {
    /// `(feature, value)` pairs in file order; non-numeric entries are skipped.
    #[must_use]
    pub fn values(&self) -> Vec<(String, f64)> {
        self.global_shap_values
            .iter()
            .filter_map(|(k, v)| v.as_f64().map(|x| (k.clone(), x)))
            .collect()
    }
}

/// `explanations` of an explainability analysis.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanations {
    /// label key (`label0`, a `label_headers` entry …) → its global SHAP values
    pub kernel_shap: Map<String, Value>,
    /// keys not known to this crate (e.g. `pdp`)
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Clarify's explainability `analysis.json` (spec §10.2), also the attribution baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExplainabilityAnalysis {
    /// `"1.0"`
    pub version: String,
    /// the explanations
    pub explanations: Explanations,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ExplainabilityAnalysis {
    /// A file with one `kernel_shap` entry per label.
    #[must_use]
    pub fn new(labels: Vec<(String, LabelExplanation)>) -> Self {
        let kernel_shap = labels
            .into_iter()
            .map(|(k, e)| (k, serde_json::to_value(e).unwrap_or(Value::Null)))
            .collect();
        ExplainabilityAnalysis {
            version: "1.0".to_owned(),
            explanations: Explanations {
                kernel_shap,
                extra: Map::new(),
            },
            extra: Map::new(),
        }
    }

    /// Parses the file and checks every label entry.
    ///
    /// # Errors
    /// [`FormatError::Json`] for malformed JSON; [`FormatError::Invalid`] for a bad label entry.
    pub fn from_json(bytes: &[u8]) -> Result<Self, FormatError> {
        let a: ExplainabilityAnalysis = parse(ANALYSIS_KIND, bytes)?;
        a.labels()?;
        Ok(a)
    }

    /// The typed label entries in file order.
    ///
    /// # Errors
    /// [`FormatError::Invalid`] naming the label whose entry has the wrong shape.
    pub fn labels(&self) -> Result<Vec<(String, LabelExplanation)>, FormatError> {
        self.explanations
            .kernel_shap
            .iter()
            .map(|(k, v)| {
                LabelExplanation::deserialize(v)
                    .map(|e| (k.clone(), e))
                    .map_err(|e| {
                        invalid(
                            ANALYSIS_KIND,
                            format!("explanations.kernel_shap.{k}"),
                            e.to_string(),
                        )
                    })
            })
            .collect()
    }

    /// Renders the file as Clarify does (Python `json.dumps(indent=4)`).
    #[must_use]
    pub fn to_json(&self) -> String {
        render(ANALYSIS_KIND, self, false)
    }
}

// ---- constraint_violations.json -----------------------------------------------------------

/// `"Metric value {v} doesn't meet the baseline constraint requirement {b}"` with Python
/// float text (`Infinity` for ∞), as real 2023/2024 Clarify runs write it (spec §5.3).
#[must_use]
pub fn bias_violation_description(value: f64, baseline: f64) -> String {
    format!(
        "Metric value {} doesn't meet the baseline constraint requirement {}",
        py_float_repr(value),
        py_float_repr(baseline)
    )
}

/// `"Feature attribution drift {ndcg} exceeds threshold {t}"` (spec §5.4; the wording says
/// "exceeds" although the rule is nDCG < t).
#[must_use]
pub fn attribution_violation_description(ndcg: f64, threshold: f64) -> String {
    format!(
        "Feature attribution drift {} exceeds threshold {}",
        py_float_repr(ndcg),
        py_float_repr(threshold)
    )
}

/// One bias violation (fields in the file's sorted key order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BiasViolation {
    /// always [`BIAS_DRIFT_CHECK`]
    pub constraint_check_type: String,
    /// see [`bias_violation_description`]
    pub description: String,
    /// facet name
    pub facet: String,
    /// facet `value_or_threshold`
    pub facet_value: String,
    /// metric code
    pub metric_name: String,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Clarify's bias `constraint_violations.json` (spec §5.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BiasViolations {
    /// `"1.0"`
    pub version: String,
    /// the violations
    pub violations: Vec<BiasViolation>,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Default for BiasViolations {
    fn default() -> Self {
        BiasViolations {
            version: "1.0".to_owned(),
            violations: Vec::new(),
            extra: Map::new(),
        }
    }
}

impl BiasViolations {
    /// Parses the file.
    ///
    /// # Errors
    /// [`FormatError::Json`] for malformed JSON or missing keys.
    pub fn from_json(bytes: &[u8]) -> Result<Self, FormatError> {
        parse(VIOLATIONS_KIND, bytes)
    }

    /// Renders the file as Clarify does (`json.dumps(indent=4, sort_keys=True)`).
    #[must_use]
    pub fn to_json(&self) -> String {
        render(VIOLATIONS_KIND, self, true)
    }
}

/// One feature-attribution violation (fields in sorted key order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributionViolation {
    /// always [`FEATURE_ATTRIBUTION_DRIFT_CHECK`]
    pub constraint_check_type: String,
    /// see [`attribution_violation_description`]
    pub description: String,
    /// label key, e.g. `label0`
    pub label: String,
    /// always `"shap"`
    pub metric_name: String,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AttributionViolation {
    /// The violation for `label` whose nDCG fell below `threshold`.
    #[must_use]
    pub fn new(label: impl Into<String>, ndcg: f64, threshold: f64) -> Self {
        AttributionViolation {
            constraint_check_type: FEATURE_ATTRIBUTION_DRIFT_CHECK.to_owned(),
            description: attribution_violation_description(ndcg, threshold),
            label: label.into(),
            metric_name: "shap".to_owned(),
            extra: Map::new(),
        }
    }
}

/// Clarify's feature-attribution `constraint_violations.json` (spec §5.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributionViolations {
    /// `"1.0"`
    pub version: String,
    /// the violations
    pub violations: Vec<AttributionViolation>,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Default for AttributionViolations {
    fn default() -> Self {
        AttributionViolations {
            version: "1.0".to_owned(),
            violations: Vec::new(),
            extra: Map::new(),
        }
    }
}

impl AttributionViolations {
    /// Parses the file.
    ///
    /// # Errors
    /// [`FormatError::Json`] for malformed JSON or missing keys.
    pub fn from_json(bytes: &[u8]) -> Result<Self, FormatError> {
        parse(VIOLATIONS_KIND, bytes)
    }

    /// Renders the file (`json.dumps(indent=4, sort_keys=True)`, like the bias violations).
    #[must_use]
    pub fn to_json(&self) -> String {
        render(VIOLATIONS_KIND, self, true)
    }
}

/// Text of a config value as Python's `str()` would print it inside Clarify's
/// `value_or_threshold` strings (`0`, `0.5`, `a`).
#[must_use]
pub fn py_value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => n.as_f64().map_or_else(|| n.to_string(), py_float_repr),
        },
        Value::Bool(b) => if *b { "True" } else { "False" }.to_owned(),
        other => other.to_string(),
    }
}
