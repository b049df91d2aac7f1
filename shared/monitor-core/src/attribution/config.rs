//! The explainability analysis config (Clarify's `analysis_config.json`, spec §10.1) and
//! the SHAP baseline rows it names.

use drift_math::shap::{AggMethod, KernelShapConfig};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::formats::clarify::NameOrIndex;
use crate::CoreError;

/// `methods.shap` of Clarify's analysis config (spec §10.1); unknown keys are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ShapMethod {
    /// SHAP baseline: a list of rows (feature order), or the key / `s3://` URI of a
    /// headerless CSV of rows
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Value>,
    /// Kernel SHAP coalitions per record
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_samples: Option<usize>,
    /// `mean_abs` (default) | `median` | `mean_sq`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agg_method: Option<String>,
    /// explain the log-odds of the model's probability
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_logit: Option<bool>,
    /// seed of the coalition sampler
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// explain only these columns (names from `headers`); default every feature
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features_to_explain: Option<Vec<String>>,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `methods` of an explainability analysis config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ExplainMethods {
    /// the SHAP settings
    pub shap: ShapMethod,
    /// other methods (`pdp`, …), kept
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Clarify's `analysis_config.json` for feature attribution (spec §10.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExplainabilityConfig {
    /// `"1.0"`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// column names of the dataset (features, and the label if `label` is set)
    pub headers: Vec<String>,
    /// the label column, left out of the explained features
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<NameOrIndex>,
    /// `{"shap": {...}}`
    pub methods: ExplainMethods,
    /// the model (`label_headers` names the explained output)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predictor: Option<Map<String, Value>>,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

pub(crate) fn config_err(
    field: impl Into<String>,
    value: impl Into<String>,
    message: &str,
) -> CoreError {
    CoreError::Config {
        field: field.into(),
        value: value.into(),
        message: message.to_owned(),
    }
}

impl ExplainabilityConfig {
    /// Parses an analysis config; `key` names it in errors.
    ///
    /// # Errors
    /// [`CoreError::Config`] naming the line and column of malformed JSON, or the field.
    pub fn from_json(key: &str, bytes: &[u8]) -> Result<Self, CoreError> {
        let c: ExplainabilityConfig = serde_json::from_slice(bytes).map_err(|e| {
            config_err(
                format!("{key}:{}:{}", e.line(), e.column()),
                "",
                &e.to_string(),
            )
        })?;
        c.features(key)?;
        c.agg_method(key)?;
        Ok(c)
    }

    /// The config as JSON (pretty, keys in struct order).
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The explained features: `headers` without the label column, restricted to
    /// `methods.shap.features_to_explain` when given (in `headers` order).
    ///
    /// # Errors
    /// [`CoreError::Config`] if the label or a feature to explain is not a column, or
    /// nothing is left.
    pub fn features(&self, key: &str) -> Result<Vec<String>, CoreError> {
        let inputs = self.input_columns(key)?;
        let Some(wanted) = &self.methods.shap.features_to_explain else {
            return Ok(inputs);
        };
        if let Some(w) = wanted.iter().find(|w| !inputs.contains(w)) {
            return Err(config_err(
                format!("{key}: methods.shap.features_to_explain"),
                w.clone(),
                "not a feature column of headers",
            ));
        }
        let out: Vec<String> = inputs.into_iter().filter(|c| wanted.contains(c)).collect();
        if out.is_empty() {
            return Err(config_err(
                format!("{key}: methods.shap.features_to_explain"),
                "[]",
                "no feature to explain",
            ));
        }
        Ok(out)
    }

    /// The input columns, in order: `headers` without the label column (what the endpoint
    /// receives).
    ///
    /// # Errors
    /// [`CoreError::Config`] if the label is not a column or nothing is left.
    pub fn input_columns(&self, key: &str) -> Result<Vec<String>, CoreError> {
        let label = match &self.label {
            Some(l) => Some(l.resolve(&self.headers).ok_or_else(|| {
                config_err(
                    format!("{key}: label"),
                    format!("{l:?}"),
                    "not a column of headers",
                )
            })?),
            None => None,
        };
        let features: Vec<String> = self
            .headers
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != label)
            .map(|(_, h)| h.clone())
            .collect();
        if features.is_empty() {
            return Err(config_err(
                format!("{key}: headers"),
                format!("{:?}", self.headers),
                "no feature columns",
            ));
        }
        Ok(features)
    }

    /// `agg_method` (default `mean_abs`).
    ///
    /// # Errors
    /// [`CoreError::Config`] for a method Clarify does not have.
    pub fn agg_method(&self, key: &str) -> Result<AggMethod, CoreError> {
        match &self.methods.shap.agg_method {
            None => Ok(AggMethod::MeanAbs),
            Some(s) => s.parse().map_err(|_| {
                config_err(
                    format!("{key}: methods.shap.agg_method"),
                    s.clone(),
                    "one of mean_abs, median, mean_sq",
                )
            }),
        }
    }

    /// The key of the explained output in analysis.json: the first of
    /// `predictor.label_headers`, else `label0` (spec §10.2).
    #[must_use]
    pub fn label_key(&self) -> String {
        self.predictor
            .as_ref()
            .and_then(|p| p.get("label_headers"))
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .map_or_else(|| "label0".to_owned(), str::to_owned)
    }

    /// Kernel SHAP settings from `methods.shap` (`num_samples`, `seed`, `use_logit`).
    #[must_use]
    pub fn kernel_config(&self) -> KernelShapConfig {
        let s = &self.methods.shap;
        KernelShapConfig {
            num_samples: s.num_samples,
            seed: s.seed.unwrap_or(0),
            use_logit: s.use_logit.unwrap_or(false),
            ..KernelShapConfig::default()
        }
    }

    /// The inline baseline rows, if `methods.shap.baseline` is a list (a string is a key the
    /// caller reads with [`parse_baseline_csv`]).
    ///
    /// # Errors
    /// [`CoreError::Config`] naming the row and column of a non-numeric or ragged entry.
    pub fn inline_baseline(&self, key: &str) -> Result<Option<Vec<Vec<f64>>>, CoreError> {
        let Some(Value::Array(rows)) = &self.methods.shap.baseline else {
            return Ok(None);
        };
        let m = self.features(key)?.len();
        let mut out = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let cells: Vec<Value> = match row {
                Value::Array(a) => a.clone(),
                Value::Object(o) => o.values().cloned().collect(),
                other => vec![other.clone()],
            };
            if cells.len() != m {
                return Err(config_err(
                    format!("{key}: methods.shap.baseline[{i}]"),
                    row.to_string(),
                    &format!("{} values, expected {m} (one per feature)", cells.len()),
                ));
            }
            let mut xs = Vec::with_capacity(m);
            for (j, c) in cells.iter().enumerate() {
                let x = match c {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.trim().parse().ok(),
                    Value::Bool(b) => Some(f64::from(u8::from(*b))),
                    _ => None,
                }
                .filter(|x| x.is_finite())
                .ok_or_else(|| {
                    config_err(
                        format!("{key}: methods.shap.baseline[{i}][{j}]"),
                        c.to_string(),
                        "not a finite number (SHAP baselines must be numeric)",
                    )
                })?;
                xs.push(x);
            }
            out.push(xs);
        }
        if out.is_empty() {
            return Err(config_err(
                format!("{key}: methods.shap.baseline"),
                "[]",
                "no rows",
            ));
        }
        Ok(Some(out))
    }

    /// The store key of an external baseline (`methods.shap.baseline` as a string; an
    /// `s3://bucket/key` URI gives `key`).
    #[must_use]
    pub fn baseline_key(&self) -> Option<String> {
        match &self.methods.shap.baseline {
            Some(Value::String(s)) => Some(match s.strip_prefix("s3://") {
                Some(rest) => rest.split_once('/').map_or("", |(_, k)| k).to_owned(),
                None => s.clone(),
            }),
            _ => None,
        }
    }
}

/// Reads SHAP baseline rows from a headerless CSV (`m` numeric columns).
///
/// # Errors
/// [`CoreError::Dataset`] naming file, line and column of a bad value or ragged row;
/// [`CoreError::EmptyDataset`] without rows.
pub fn parse_baseline_csv(key: &str, bytes: &[u8], m: usize) -> Result<Vec<Vec<f64>>, CoreError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = Vec::new();
    for (n, rec) in rdr.records().enumerate() {
        let line = n as u64 + 1;
        let err = |column: String, message: String| CoreError::Dataset {
            file: key.to_owned(),
            line,
            column,
            message,
        };
        let rec = rec.map_err(|e| err("-".into(), e.to_string()))?;
        if rec.len() != m {
            return Err(err(
                "-".into(),
                format!("{} fields, expected {m}", rec.len()),
            ));
        }
        let mut xs = Vec::with_capacity(m);
        for (j, f) in rec.iter().enumerate() {
            let x: f64 = f
                .trim()
                .parse()
                .ok()
                .filter(|x: &f64| x.is_finite())
                .ok_or_else(|| err(format!("_c{j}"), format!("{f:?} is not a finite number")))?;
            xs.push(x);
        }
        rows.push(xs);
    }
    if rows.is_empty() {
        return Err(CoreError::EmptyDataset {
            file: key.to_owned(),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg_json() -> &'static str {
        r#"{"version": "1.0", "headers": ["label", "a", "b"], "label": "label",
            "methods": {"shap": {"baseline": [[1, 2]], "num_samples": 10, "agg_method": "mean_abs", "keep": 1}},
            "predictor": {"model_name": "m", "label_headers": ["churn"]}}"#
    }

    #[test]
    fn config_features_label_and_baseline() {
        let c = ExplainabilityConfig::from_json("k", cfg_json().as_bytes()).unwrap();
        assert_eq!(c.features("k").unwrap(), vec!["a", "b"]);
        assert_eq!(c.label_key(), "churn");
        assert_eq!(c.inline_baseline("k").unwrap(), Some(vec![vec![1.0, 2.0]]));
        assert_eq!(
            c.methods.shap.extra.get("keep"),
            Some(&serde_json::json!(1))
        );
        let bad = r#"{"headers": ["a"], "methods": {"shap": {"agg_method": "max"}}}"#;
        let e = ExplainabilityConfig::from_json("k", bad.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("agg_method"), "{e}");
        let ragged = r#"{"headers": ["a", "b"], "methods": {"shap": {"baseline": [[1]]}}}"#;
        let c = ExplainabilityConfig::from_json("k", ragged.as_bytes()).unwrap();
        let e = c.inline_baseline("k").unwrap_err();
        assert!(e.to_string().contains("baseline[0]"), "{e}");
        let uri = r#"{"headers": ["a"], "methods": {"shap": {"baseline": "s3://bkt/x/bg.csv"}}}"#;
        let c = ExplainabilityConfig::from_json("k", uri.as_bytes()).unwrap();
        assert_eq!(c.baseline_key().as_deref(), Some("x/bg.csv"));
    }

    #[test]
    fn baseline_csv_errors_name_line_and_column() {
        assert_eq!(
            parse_baseline_csv("bg.csv", b"1,2\n3,4\n", 2).unwrap(),
            vec![vec![1.0, 2.0], vec![3.0, 4.0]]
        );
        let e = parse_baseline_csv("bg.csv", b"1,2\n3,x\n", 2).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bg.csv:2: column _c1: \"x\" is not a finite number"
        );
    }
}
