//! Feature attribution (SageMaker Clarify's explainability monitor, spec §10): the SHAP
//! configuration, the model-invoker port, and the mergeable per-minute attribution state that
//! capture-ingest writes and monitor-tick merges.
//!
//! Clarify scores every record of the window with Kernel SHAP against its SHAP baseline,
//! aggregates the local values per feature (`agg_method`), and compares the ranking with the
//! baseline's by nDCG. Here the local values come from one of three explainers
//! ([`Explainer`](crate::config::Explainer)):
//!
//! * `captured`: the model returns its attributions in the endpoint output;
//! * `linear`: exact SHAP of a linear model, `φ_j = w_j·(x_j − mean_bg x_j)`;
//! * `kernel`: Kernel SHAP through a [`ModelInvoker`] (a local model, or a SageMaker endpoint
//!   through `monitor_aws`), on a deterministic sample of the window's records.
//!
//! For `captured` and `linear` every record is explained at ingest and only the sums
//! `Σ|φ_j|`, `Σφ_j²` (and, for `median`, a KLL sketch of `φ_j`) are kept, so any window is
//! an exact merge. For `kernel` ingest keeps a bottom-k sample by a hash of the join key
//! (the same records whatever the order or split of the input) and the tick explains it.

pub mod metrics;
pub mod prepare;
pub mod tick;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use drift_math::kll::KllSketch;
use drift_math::shap::{aggregate, AggMethod, KernelShap, KernelShapConfig, LinearShap};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config::{Explainer, MonitorConfig};
use crate::formats::capture::{
    BadRecordKind, BadRecords, CaptureMapping, CaptureParser, CaptureSide, RowBatch,
};
use crate::formats::clarify::NameOrIndex;
use crate::layout::CaptureKey;
use crate::store::Line;
use crate::CoreError;

/// Identifies our attribution state files.
pub const ATTRIBUTION_STATE_FORMAT: &str = "modelwatch.attribution-state";
/// Version of the attribution state layout.
pub const ATTRIBUTION_STATE_VERSION: u32 = 1;

// ---- configuration --------------------------------------------------------------------------

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

fn config_err(field: impl Into<String>, value: impl Into<String>, message: &str) -> CoreError {
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

// ---- models -----------------------------------------------------------------------------------

/// The model a Kernel SHAP explainer scores synthetic rows with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelSpec {
    /// `b + Σ w_j·x_j` (a local model: tests, demos, models exported as coefficients)
    Linear {
        /// `b`
        intercept: f64,
        /// `w_j` by feature name
        coefficients: BTreeMap<String, f64>,
    },
    /// `σ(b + Σ w_j·x_j)`, the probability of a logistic regression
    Logistic {
        /// `b`
        intercept: f64,
        /// `w_j` by feature name
        coefficients: BTreeMap<String, f64>,
    },
    /// A SageMaker endpoint (InvokeEndpoint; rows sent as `text/csv`, one score read per
    /// record). Only available where an AWS invoker factory is wired (the Lambdas).
    Endpoint {
        /// endpoint name (a shadow endpoint, as Clarify uses, keeps load off production)
        endpoint_name: String,
        /// the score in each response record: a CSV column index or a JSON pointer
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output_attribute: Option<String>,
    },
}

/// The model-invoker port: one score per row, in order.
///
/// Synchronous on purpose: Kernel SHAP calls it from its inner loop. Adapters that talk to
/// the network block on their runtime handle; the tick calls explainers on a blocking thread.
pub trait ModelInvoker: Send + Sync {
    /// Scores `rows` (feature order of the monitor).
    ///
    /// # Errors
    /// A message naming what failed (it becomes the execution's failure reason).
    fn predict(&self, rows: &[Vec<f64>]) -> Result<Vec<f64>, String>;
}

/// A linear or logistic model evaluated in process.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalModel {
    weights: Vec<f64>,
    intercept: f64,
    logistic: bool,
}

/// `w` in feature order from a name → weight map (missing names weigh 0).
///
/// # Errors
/// [`CoreError::Config`] for a coefficient of an unknown feature or a non-finite value.
pub fn weights_in_order(
    coefficients: &BTreeMap<String, f64>,
    intercept: f64,
    features: &[String],
) -> Result<Vec<f64>, CoreError> {
    if let Some(name) = coefficients.keys().find(|k| !features.contains(k)) {
        return Err(config_err(
            "coefficients",
            name.clone(),
            &format!("not one of the explained features {features:?}"),
        ));
    }
    if let Some((k, v)) = coefficients
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .chain(std::iter::once(("intercept", intercept)))
        .find(|(_, v)| !v.is_finite())
    {
        return Err(config_err(k, v.to_string(), "not a finite number"));
    }
    Ok(features
        .iter()
        .map(|f| coefficients.get(f).copied().unwrap_or(0.0))
        .collect())
}

impl LocalModel {
    /// The local model of `spec` over `features`.
    ///
    /// # Errors
    /// [`CoreError::Config`] for an endpoint spec (not local) or bad coefficients.
    pub fn from_spec(spec: &ModelSpec, features: &[String]) -> Result<Self, CoreError> {
        let (intercept, coefficients, logistic) =
            match spec {
                ModelSpec::Linear {
                    intercept,
                    coefficients,
                } => (*intercept, coefficients, false),
                ModelSpec::Logistic {
                    intercept,
                    coefficients,
                } => (*intercept, coefficients, true),
                ModelSpec::Endpoint { endpoint_name, .. } => return Err(config_err(
                    "explainer.kernel.model.endpoint",
                    endpoint_name.clone(),
                    "a SageMaker endpoint model needs the AWS invoker (the monitor-tick Lambda); \
                     use a linear or logistic model locally",
                )),
            };
        Ok(LocalModel {
            weights: weights_in_order(coefficients, intercept, features)?,
            intercept,
            logistic,
        })
    }

    fn score(&self, x: &[f64]) -> f64 {
        let z = self.intercept + self.weights.iter().zip(x).map(|(w, v)| w * v).sum::<f64>();
        if self.logistic {
            1.0 / (1.0 + (-z).exp())
        } else {
            z
        }
    }
}

impl ModelInvoker for LocalModel {
    fn predict(&self, rows: &[Vec<f64>]) -> Result<Vec<f64>, String> {
        rows.iter()
            .map(|r| {
                if r.len() == self.weights.len() {
                    Ok(self.score(r))
                } else {
                    Err(format!(
                        "row of {} values for a model of {} features",
                        r.len(),
                        self.weights.len()
                    ))
                }
            })
            .collect()
    }
}

/// Builds invokers for model specs: the port the tick uses to reach models.
pub trait InvokerFactory: Send + Sync {
    /// The invoker of `spec` over `features`.
    ///
    /// # Errors
    /// [`CoreError::Config`] when the spec cannot be served here.
    fn invoker(
        &self,
        spec: &ModelSpec,
        features: &[String],
    ) -> Result<Arc<dyn ModelInvoker>, CoreError>;
}

/// The factory of local models only (CLI, demo, tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalModels;

impl InvokerFactory for LocalModels {
    fn invoker(
        &self,
        spec: &ModelSpec,
        features: &[String],
    ) -> Result<Arc<dyn ModelInvoker>, CoreError> {
        Ok(Arc::new(LocalModel::from_spec(spec, features)?))
    }
}

// ---- explaining records -----------------------------------------------------------------------

/// An explainer ready to run over captured records.
#[derive(Debug, Clone)]
pub enum PreparedExplainer {
    /// read the attributions from the endpoint output at this JSON pointer
    Captured {
        /// pointer into the decoded output payload
        pointer: String,
    },
    /// exact linear SHAP
    Linear(LinearShap),
    /// Kernel SHAP at the tick over a sample of at most `max_records` records per window
    Kernel {
        /// sample size per window
        max_records: usize,
    },
}

/// What explaining a monitor needs, resolved once per invocation.
#[derive(Debug, Clone)]
pub struct AttributionContext {
    /// every input column of the capture, in order
    pub columns: Vec<String>,
    /// explained features, in order
    pub features: Vec<String>,
    /// position of each explained feature among `columns`
    pub positions: Vec<usize>,
    /// aggregation of the local values
    pub agg: AggMethod,
    /// the explainer
    pub explainer: PreparedExplainer,
    /// SHAP baseline rows
    pub background: Vec<Vec<f64>>,
    /// label key of analysis.json
    pub label_key: String,
    /// Kernel SHAP settings
    pub kernel: KernelShapConfig,
}

impl AttributionContext {
    /// Resolves the explainer of `cfg` with its analysis config and SHAP baseline rows.
    ///
    /// # Errors
    /// [`CoreError::Config`] when the monitor is not an explainability monitor, or the
    /// explainer does not fit the config (linear coefficients of unknown features…).
    pub fn new(
        cfg: &MonitorConfig,
        config: &ExplainabilityConfig,
        config_key: &str,
        background: Vec<Vec<f64>>,
    ) -> Result<Self, CoreError> {
        let settings = cfg.explainability.as_ref().ok_or_else(|| {
            config_err(
                format!("monitor {}", cfg.name),
                "",
                "not a ModelExplainability monitor",
            )
        })?;
        let features = config.features(config_key)?;
        let columns = config.input_columns(config_key)?;
        let positions = features
            .iter()
            .filter_map(|f| columns.iter().position(|c| c == f))
            .collect();
        let agg = config.agg_method(config_key)?;
        if let Some((i, r)) = background
            .iter()
            .enumerate()
            .find(|(_, r)| r.len() != features.len())
        {
            return Err(config_err(
                format!("{config_key}: SHAP baseline row {i}"),
                format!("{} values", r.len()),
                &format!("expected {} (one per feature)", features.len()),
            ));
        }
        let explainer = match &settings.explainer {
            Explainer::Captured { pointer } => {
                if !pointer.starts_with('/') {
                    return Err(config_err(
                        "explainer.captured.pointer",
                        pointer.clone(),
                        "a JSON pointer starting with /",
                    ));
                }
                PreparedExplainer::Captured {
                    pointer: pointer.clone(),
                }
            }
            Explainer::Linear {
                intercept,
                coefficients,
            } => {
                let w = weights_in_order(coefficients, *intercept, &features)?;
                PreparedExplainer::Linear(LinearShap::new(w, *intercept, &background).map_err(
                    |e| config_err("explainer.linear", "", &format!("{e} (SHAP baseline)")),
                )?)
            }
            Explainer::Kernel { max_records, .. } => PreparedExplainer::Kernel {
                max_records: *max_records,
            },
        };
        Ok(AttributionContext {
            columns,
            features,
            positions,
            agg,
            explainer,
            background,
            label_key: config.label_key(),
            kernel: config.kernel_config(),
        })
    }

    /// The expected value written to analysis.json: the linear model's mean output on the
    /// SHAP baseline; for `captured`, `None` (the model's own).
    #[must_use]
    pub fn linear_expected_value(&self) -> Option<f64> {
        match &self.explainer {
            PreparedExplainer::Linear(l) => Some(l.expected_value()),
            _ => None,
        }
    }
}

/// The sums of the local SHAP values of some records: what every `agg_method` needs, exact
/// under merge (the median through a KLL sketch, within its rank error).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShapSums {
    /// records explained
    pub n: u64,
    /// `Σ|φ_j|` per feature
    pub sum_abs: Vec<f64>,
    /// `Σφ_j²` per feature
    pub sum_sq: Vec<f64>,
    /// `Σφ_j` per feature (signed; for reports)
    pub sum: Vec<f64>,
    /// per-feature sketches of `φ_j` (only for `agg_method = median`)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sketches: Vec<KllSketch>,
}

impl ShapSums {
    /// Empty sums over `m` features (with sketches when `median`).
    #[must_use]
    pub fn new(m: usize, agg: AggMethod) -> Self {
        ShapSums {
            n: 0,
            sum_abs: vec![0.0; m],
            sum_sq: vec![0.0; m],
            sum: vec![0.0; m],
            sketches: if agg == AggMethod::Median {
                vec![KllSketch::new(); m]
            } else {
                Vec::new()
            },
        }
    }

    /// Adds one record's SHAP values.
    pub fn add(&mut self, phi: &[f64]) {
        self.n += 1;
        for (j, p) in phi.iter().enumerate().take(self.sum.len()) {
            self.sum_abs[j] += p.abs();
            self.sum_sq[j] += p * p;
            self.sum[j] += p;
            if let Some(s) = self.sketches.get_mut(j) {
                s.update(*p);
            }
        }
    }

    /// Adds other sums over the same features.
    pub fn merge(&mut self, other: &ShapSums) {
        self.n += other.n;
        for j in 0..self.sum.len().min(other.sum.len()) {
            self.sum_abs[j] += other.sum_abs[j];
            self.sum_sq[j] += other.sum_sq[j];
            self.sum[j] += other.sum[j];
        }
        if self.sketches.len() == other.sketches.len() {
            for (a, b) in self.sketches.iter_mut().zip(&other.sketches) {
                a.merge(b);
            }
        }
    }

    /// Global SHAP values by `agg` (Clarify's `mean_abs` / `median` / `mean_sq`, spec §10.1);
    /// `None` without records.
    #[must_use]
    pub fn global(&self, agg: AggMethod) -> Option<Vec<f64>> {
        if self.n == 0 {
            return None;
        }
        let n = self.n as f64;
        Some(match agg {
            AggMethod::MeanAbs => self.sum_abs.iter().map(|s| s / n).collect(),
            AggMethod::MeanSq => self.sum_sq.iter().map(|s| s / n).collect(),
            AggMethod::Median => self
                .sketches
                .iter()
                .map(|s| s.quantile(0.5).unwrap_or(f64::NAN))
                .collect(),
        })
    }
}

/// One record kept for Kernel SHAP at the tick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampledRecord {
    /// FNV-1a of the join key: the bottom-k order
    pub hash: u64,
    /// join key (inferenceId, else eventId)
    pub key: String,
    /// feature values
    pub x: Vec<f64>,
}

/// Keeps the `cap` records with the smallest `(hash, key)`: a uniform sample that depends only
/// on the records, never on their order or on how the input was split.
pub fn keep_bottom_k(sample: &mut Vec<SampledRecord>, cap: usize) {
    sample.sort_by(|a, b| (a.hash, &a.key).cmp(&(b.hash, &b.key)));
    sample.dedup_by(|a, b| a.hash == b.hash && a.key == b.key);
    sample.truncate(cap);
}

/// Attribution state of one minute of one capture object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MinuteAttribution {
    /// start of the minute (UTC)
    pub minute: DateTime<Utc>,
    /// records read
    pub records: u64,
    /// sums of the records explained at ingest (`captured`, `linear`)
    pub shap: ShapSums,
    /// sample for Kernel SHAP (`kernel`)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sample: Vec<SampledRecord>,
    /// records that could not be explained, by kind
    pub bad_records: BadRecords,
}

/// Attribution state of one capture object for one monitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributionObjectState {
    /// always [`ATTRIBUTION_STATE_FORMAT`]
    pub format: String,
    /// layout version
    pub version: u32,
    /// monitor name
    pub monitor: String,
    /// the capture object
    pub source: String,
    /// lines read
    pub lines: u64,
    /// per minute, ascending
    pub minutes: Vec<MinuteAttribution>,
}

impl AttributionObjectState {
    /// Decodes a state file, checking its format and version.
    ///
    /// # Errors
    /// [`CoreError::State`] naming the key.
    pub fn from_json(key: &str, bytes: &[u8]) -> Result<Self, CoreError> {
        crate::store::decode_state(
            key,
            bytes,
            |s: &AttributionObjectState| (s.format.as_str(), s.version),
            ATTRIBUTION_STATE_FORMAT,
            Some(ATTRIBUTION_STATE_VERSION),
        )
    }

    /// Encodes it (compact; the same bytes for the same input).
    ///
    /// # Errors
    /// [`CoreError::State`] if serialisation fails.
    pub fn to_json(&self) -> Result<Vec<u8>, CoreError> {
        serde_json::to_vec(self).map_err(|e| CoreError::State {
            key: self.source.clone(),
            message: e.to_string(),
        })
    }

    /// Records in all minutes.
    #[must_use]
    pub fn records(&self) -> u64 {
        self.minutes.iter().map(|m| m.records).sum()
    }

    /// Bad records in all minutes.
    #[must_use]
    pub fn bad_records(&self) -> u64 {
        self.minutes.iter().map(|m| m.bad_records.total()).sum()
    }
}

/// Reads the attributions a model returned: an object keyed by feature or an array in
/// feature order, at `pointer` inside the decoded output payload.
fn captured_attributions(
    line: &[u8],
    pointer: &str,
    features: &[String],
) -> Result<Vec<f64>, (BadRecordKind, String)> {
    let v: Value =
        serde_json::from_slice(line).map_err(|e| (BadRecordKind::InvalidJson, e.to_string()))?;
    let output = v.pointer("/captureData/endpointOutput").ok_or((
        BadRecordKind::MissingField,
        "captureData.endpointOutput".into(),
    ))?;
    let (text, _) = crate::joined::predictions::payload_text(output, "endpointOutput")?;
    let payload: Value = serde_json::from_str(text.trim()).map_err(|e| {
        (
            BadRecordKind::BadPayload,
            format!("captureData.endpointOutput.data is not JSON: {e}"),
        )
    })?;
    let found = payload.pointer(pointer).ok_or_else(|| {
        (
            BadRecordKind::BadPayload,
            format!("attribution pointer {pointer:?} not in endpointOutput"),
        )
    })?;
    let num = |v: &Value, what: &str| {
        v.as_f64().filter(|x| x.is_finite()).ok_or_else(|| {
            (
                BadRecordKind::UnparsableNumber,
                format!("attribution {what} = {v} (pointer {pointer:?})"),
            )
        })
    };
    match found {
        Value::Object(o) => features
            .iter()
            .map(|f| {
                o.get(f).map_or_else(
                    || {
                        Err((
                            BadRecordKind::BadPayload,
                            format!("attribution of feature {f:?} missing at {pointer:?}"),
                        ))
                    },
                    |v| num(v, f),
                )
            })
            .collect(),
        Value::Array(a) if a.len() == features.len() => {
            a.iter().zip(features).map(|(v, f)| num(v, f)).collect()
        }
        other => Err((
            BadRecordKind::BadPayload,
            format!(
                "attributions at {pointer:?} must be an object or an array of {} numbers, found {}",
                features.len(),
                crate::joined::predictions::json_kind(other)
            ),
        )),
    }
}

fn minute_of(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs.div_euclid(60) * 60, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// Explains one capture object for one monitor, line by line: the feature-attribution
/// consumer of ingest's single pass. Memory holds the per-minute sums and at most
/// `2 × max_records` sampled records per minute.
pub struct Attributor<'a> {
    ctx: &'a AttributionContext,
    parser: CaptureParser,
    minutes: BTreeMap<DateTime<Utc>, MinuteAttribution>,
    current: DateTime<Utc>,
    batch: RowBatch,
    x: Vec<f64>,
    lines: u64,
    monitor: String,
    source: String,
}

impl<'a> Attributor<'a> {
    /// An explainer of the capture object `key` (named `source`) for monitor `cfg`.
    ///
    /// # Errors
    /// [`CoreError::Config`] when the capture mapping of the features is invalid.
    pub fn new(
        key: &CaptureKey,
        source: &str,
        cfg: &MonitorConfig,
        ctx: &'a AttributionContext,
    ) -> Result<Self, CoreError> {
        let mut mapping = CaptureMapping::new(ctx.columns.clone());
        mapping.sides = vec![CaptureSide::EndpointInput];
        mapping.json_pointers = cfg
            .capture
            .json_pointers
            .iter()
            .filter(|(f, p)| ctx.columns.contains(f) && p.starts_with("/input"))
            .map(|(f, p)| (f.clone(), p.clone()))
            .collect();
        let parser = CaptureParser::new(&mapping)
            .map_err(|e| {
                config_err(
                    format!("monitor {} attribution mapping", cfg.name),
                    "",
                    &e.to_string(),
                )
            })?
            .collect_ids(true);
        Ok(Attributor {
            ctx,
            parser,
            minutes: BTreeMap::new(),
            current: key.hour,
            batch: RowBatch::new(),
            x: vec![0.0; ctx.features.len()],
            lines: 0,
            monitor: cfg.name.clone(),
            source: source.into(),
        })
    }

    fn slot(&mut self) -> &mut MinuteAttribution {
        let (m, agg, minute) = (self.ctx.features.len(), self.ctx.agg, self.current);
        self.minutes
            .entry(minute)
            .or_insert_with(|| MinuteAttribution {
                minute,
                records: 0,
                shap: ShapSums::new(m, agg),
                sample: Vec::new(),
                bad_records: BadRecords::default(),
            })
    }

    /// Takes line `line_no` (1-based) of the object.
    pub fn push(&mut self, line_no: u64, line: &Line<'_>) {
        self.lines = self.lines.max(line_no);
        let bytes = match line {
            Line::TooLong { .. } => {
                self.slot()
                    .bad_records
                    .add(BadRecordKind::LineTooLong, line_no);
                return;
            }
            Line::Ok(b) => *b,
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        let meta = match self.parser.parse_line_multi(bytes, &mut self.batch) {
            Ok(meta) => meta,
            Err(bad) => {
                self.slot().bad_records.add(bad.kind(), line_no);
                return;
            }
        };
        if let Some(mm) = meta.inference_minute {
            self.current = minute_of(mm * 60);
        }
        if meta.skipped_shadow {
            return;
        }
        let ctx = self.ctx;
        let captured = match &ctx.explainer {
            PreparedExplainer::Captured { pointer } if self.batch.len() == 1 => {
                match captured_attributions(bytes, pointer, &ctx.features) {
                    Ok(phi) => Some(phi),
                    Err((kind, message)) => {
                        tracing::debug!(source = %self.source, line = line_no, %message, "no attributions");
                        self.slot().bad_records.add(kind, line_no);
                        return;
                    }
                }
            }
            PreparedExplainer::Captured { .. } => {
                self.slot()
                    .bad_records
                    .add(BadRecordKind::BadPayload, line_no);
                return;
            }
            _ => None,
        };
        let batch = std::mem::take(&mut self.batch);
        let mut x = std::mem::take(&mut self.x);
        let several = batch.len() > 1;
        for (r, row) in batch.iter().enumerate() {
            let mut ok = true;
            for (j, &pos) in ctx.positions.iter().enumerate() {
                match row.get(pos).and_then(|s| s.trim().parse::<f64>().ok()) {
                    Some(f) if f.is_finite() => x[j] = f,
                    _ => ok = false,
                }
            }
            let slot = self.slot();
            slot.records += 1;
            if let Some(phi) = &captured {
                slot.shap.add(phi);
                continue;
            }
            if !ok {
                slot.bad_records
                    .add(BadRecordKind::UnparsableNumber, line_no);
                continue;
            }
            match &ctx.explainer {
                PreparedExplainer::Linear(lin) => match lin.explain(&x) {
                    Ok(phi) => slot.shap.add(&phi),
                    Err(_) => slot
                        .bad_records
                        .add(BadRecordKind::UnparsableNumber, line_no),
                },
                PreparedExplainer::Kernel { max_records } => {
                    let base = meta.join_key().unwrap_or_default();
                    let key = if several {
                        format!("{base}#{r}")
                    } else {
                        base.to_owned()
                    };
                    let hash = drift_math::quality::fnv1a64(key.as_bytes());
                    slot.sample.push(SampledRecord {
                        hash,
                        key,
                        x: x.clone(),
                    });
                    if slot.sample.len() >= 2 * max_records {
                        keep_bottom_k(&mut slot.sample, *max_records);
                    }
                }
                PreparedExplainer::Captured { .. } => {}
            }
        }
        self.batch = batch;
        self.x = x;
    }

    /// The attribution state of everything pushed.
    pub fn finish(self) -> AttributionObjectState {
        let mut out: Vec<MinuteAttribution> = self.minutes.into_values().collect();
        if let PreparedExplainer::Kernel { max_records } = &self.ctx.explainer {
            for mm in &mut out {
                keep_bottom_k(&mut mm.sample, *max_records);
            }
        }
        AttributionObjectState {
            format: ATTRIBUTION_STATE_FORMAT.into(),
            version: ATTRIBUTION_STATE_VERSION,
            monitor: self.monitor,
            source: self.source,
            lines: self.lines,
            minutes: out,
        }
    }
}

/// Explains one capture object for one monitor (streamed line by line).
///
/// # Errors
/// [`CoreError::Io`] when the object cannot be read; [`CoreError::Config`] when the capture
/// mapping of the features is invalid. Bad lines are counted, never errors.
pub async fn explain_object<R: tokio::io::AsyncRead + Unpin>(
    reader: R,
    key: &CaptureKey,
    source: &str,
    cfg: &MonitorConfig,
    ctx: &AttributionContext,
) -> Result<AttributionObjectState, CoreError> {
    let mut a = Attributor::new(key, source, cfg, ctx)?;
    let lines = crate::store::for_each_line(reader, source, |n, l| a.push(n, l)).await?;
    let mut out = a.finish();
    out.lines = lines;
    Ok(out)
}

/// What [`kernel_global`] computed.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelResult {
    /// global SHAP value per feature
    pub global: Vec<f64>,
    /// `E = mean_bg f` (after the logit with `use_logit`)
    pub expected_value: f64,
    /// local SHAP values per record
    pub local: Vec<Vec<f64>>,
}

/// Global SHAP values of a set of records with Kernel SHAP through `model`, aggregated by
/// `agg`; with the expected value `E = mean_bg f`.
///
/// # Errors
/// The Kernel SHAP error (model failure, singular system …) as text.
pub fn kernel_global(
    background: Vec<Vec<f64>>,
    records: &[Vec<f64>],
    config: KernelShapConfig,
    agg: AggMethod,
    model: &dyn ModelInvoker,
) -> Result<KernelResult, String> {
    let mut ks = KernelShap::try_new(background, config, |rows: &[Vec<f64>]| model.predict(rows))
        .map_err(|e| e.to_string())?;
    let mut local = Vec::with_capacity(records.len());
    for x in records {
        local.push(
            ks.try_explain(x, |rows: &[Vec<f64>]| model.predict(rows))
                .map_err(|e| e.to_string())?,
        );
    }
    let global = aggregate(&local, agg).map_err(|e| e.to_string())?;
    Ok(KernelResult {
        global,
        expected_value: ks.expected_value(),
        local,
    })
}

// ---- baseline ----------------------------------------------------------------------------------

/// Reads the feature columns of a CSV dataset (the config's `headers`; a first row equal to
/// them is skipped) as numbers, in feature order.
///
/// # Errors
/// [`CoreError::Dataset`] naming file, line and column of a ragged row or a non-numeric
/// feature value; [`CoreError::EmptyDataset`] without rows.
pub fn read_feature_rows<R: std::io::Read>(
    reader: R,
    config: &ExplainabilityConfig,
    config_key: &str,
    file: &str,
) -> Result<Vec<Vec<f64>>, CoreError> {
    let features = config.features(config_key)?;
    let columns: Vec<usize> = features
        .iter()
        .filter_map(|f| config.headers.iter().position(|h| h == f))
        .collect();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut rows = Vec::new();
    for (n, rec) in rdr.records().enumerate() {
        let line = n as u64 + 1;
        let err = |column: &str, message: String| CoreError::Dataset {
            file: file.to_owned(),
            line,
            column: column.to_owned(),
            message,
        };
        let rec = rec.map_err(|e| err("-", e.to_string()))?;
        if n == 0 && rec.iter().eq(config.headers.iter().map(String::as_str)) {
            continue;
        }
        if rec.len() != config.headers.len() {
            return Err(err(
                "-",
                format!(
                    "{} fields, expected {} (headers)",
                    rec.len(),
                    config.headers.len()
                ),
            ));
        }
        let mut x = Vec::with_capacity(columns.len());
        for (&c, name) in columns.iter().zip(&features) {
            let raw = rec.get(c).unwrap_or_default();
            let v: f64 = raw
                .trim()
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| err(name, format!("{raw:?} is not a finite number")))?;
            x.push(v);
        }
        rows.push(x);
    }
    if rows.is_empty() {
        return Err(CoreError::EmptyDataset {
            file: file.to_owned(),
        });
    }
    Ok(rows)
}

/// An attribution baseline: Clarify's `analysis.json` and the analysis config to monitor
/// with (its SHAP baseline filled in when it had none).
#[derive(Debug, Clone)]
pub struct ExplainabilityBaseline {
    /// `analysis.json` (the baseline the monitor compares with)
    pub analysis: crate::formats::clarify::ExplainabilityAnalysis,
    /// `analysis_config.json` for the monitor
    pub config: ExplainabilityConfig,
    /// records explained
    pub records: usize,
}

/// Global SHAP values of a dataset (Clarify's baselining job for the explainability monitor).
///
/// The SHAP baseline is `methods.shap.baseline` when given inline, else the column means of
/// the dataset as one row (Clarify would cluster the dataset with K-means into
/// `num_clusters` rows; one mean row is the one-cluster case, and for a linear model any
/// background with the same mean gives the same SHAP values). A linear model is explained
/// exactly; a logistic one with Kernel SHAP (`num_samples`, `seed`, `use_logit` from the
/// config), on at most `max_records` rows (bottom-k by a hash of the row number), all when
/// `None`.
///
/// # Errors
/// [`CoreError::Config`] for an endpoint model or bad coefficients; the Kernel SHAP error as
/// [`CoreError::Config`]; [`CoreError::EmptyDataset`] without rows.
pub fn explainability_baseline(
    rows: &[Vec<f64>],
    config: &ExplainabilityConfig,
    config_key: &str,
    model: &ModelSpec,
    max_records: Option<usize>,
) -> Result<ExplainabilityBaseline, CoreError> {
    if rows.is_empty() {
        return Err(CoreError::EmptyDataset {
            file: "explainability dataset".into(),
        });
    }
    let features = config.features(config_key)?;
    let agg = config.agg_method(config_key)?;
    let mut config = config.clone();
    let background = match config.inline_baseline(config_key)? {
        Some(b) => b,
        None => {
            let n = rows.len() as f64;
            let mut mean = vec![0.0; features.len()];
            for r in rows {
                for (m, x) in mean.iter_mut().zip(r) {
                    *m += x / n;
                }
            }
            config.methods.shap.baseline = Some(Value::Array(vec![Value::Array(
                mean.iter()
                    .map(|x| serde_json::Number::from_f64(*x).map_or(Value::Null, Value::Number))
                    .collect(),
            )]));
            vec![mean]
        }
    };
    let mut chosen: Vec<(u64, usize)> = rows
        .iter()
        .enumerate()
        .map(|(i, _)| (drift_math::quality::fnv1a64(i.to_string().as_bytes()), i))
        .collect();
    if let Some(cap) = max_records {
        chosen.sort_unstable();
        chosen.truncate(cap.max(1));
        chosen.sort_unstable_by_key(|(_, i)| *i);
    }
    let records: Vec<Vec<f64>> = chosen.iter().map(|(_, i)| rows[*i].clone()).collect();
    let bad = |e: String| config_err(format!("{config_key}: methods.shap"), "", &e);
    let (global, expected) = match model {
        ModelSpec::Linear {
            intercept,
            coefficients,
        } => {
            let w = weights_in_order(coefficients, *intercept, &features)?;
            let lin =
                LinearShap::new(w, *intercept, &background).map_err(|e| bad(e.to_string()))?;
            let mut sums = ShapSums::new(features.len(), agg);
            for x in &records {
                sums.add(&lin.explain(x).map_err(|e| bad(e.to_string()))?);
            }
            (sums.global(agg).unwrap_or_default(), lin.expected_value())
        }
        other => {
            let invoker = LocalModel::from_spec(other, &features)?;
            let k = kernel_global(background, &records, config.kernel_config(), agg, &invoker)
                .map_err(bad)?;
            (k.global, k.expected_value)
        }
    };
    let explanation = crate::formats::clarify::LabelExplanation {
        global_shap_values: features
            .iter()
            .zip(&global)
            .map(|(f, v)| {
                (
                    f.clone(),
                    serde_json::Number::from_f64(*v).map_or(Value::Null, Value::Number),
                )
            })
            .collect(),
        expected_value: expected,
        extra: Map::new(),
    };
    Ok(ExplainabilityBaseline {
        analysis: crate::formats::clarify::ExplainabilityAnalysis::new(vec![(
            config.label_key(),
            explanation,
        )]),
        config,
        records: records.len(),
    })
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

    #[test]
    fn local_models_score_and_refuse_unknown_features() {
        let f = vec!["a".to_string(), "b".to_string()];
        let coef: BTreeMap<String, f64> = [("a".to_string(), 2.0)].into();
        let lin = LocalModel::from_spec(
            &ModelSpec::Linear {
                intercept: 1.0,
                coefficients: coef.clone(),
            },
            &f,
        )
        .unwrap();
        assert_eq!(lin.predict(&[vec![3.0, 9.0]]).unwrap(), vec![7.0]);
        let log = LocalModel::from_spec(
            &ModelSpec::Logistic {
                intercept: 0.0,
                coefficients: BTreeMap::new(),
            },
            &f,
        )
        .unwrap();
        assert_eq!(log.predict(&[vec![3.0, 9.0]]).unwrap(), vec![0.5]);
        let bad: BTreeMap<String, f64> = [("c".to_string(), 1.0)].into();
        let e = LocalModel::from_spec(
            &ModelSpec::Linear {
                intercept: 0.0,
                coefficients: bad,
            },
            &f,
        )
        .unwrap_err();
        assert!(e.to_string().contains("\"c\""), "{e}");
        assert!(LocalModels
            .invoker(
                &ModelSpec::Endpoint {
                    endpoint_name: "ep".into(),
                    output_attribute: None
                },
                &f
            )
            .is_err());
    }

    #[test]
    fn sums_aggregate_like_clarify() {
        // local values of 3 records over 2 features; reference: numpy
        // np.mean(np.abs(phi), 0) = [2, 1], np.mean(phi**2, 0) = [14/3, 1], median = [1, 1]
        let phi = [[1.0, -1.0], [-1.0, 1.0], [4.0, 1.0]];
        for agg in [AggMethod::MeanAbs, AggMethod::MeanSq, AggMethod::Median] {
            let mut all = ShapSums::new(2, agg);
            let mut a = ShapSums::new(2, agg);
            let mut b = ShapSums::new(2, agg);
            for (i, p) in phi.iter().enumerate() {
                all.add(p);
                if i == 0 {
                    a.add(p);
                } else {
                    b.add(p);
                }
            }
            a.merge(&b);
            assert_eq!(a, all);
            let expected =
                aggregate(&phi.iter().map(|p| p.to_vec()).collect::<Vec<_>>(), agg).unwrap();
            let got = all.global(agg).unwrap();
            for (g, e) in got.iter().zip(&expected) {
                assert!((g - e).abs() < 1e-12, "{agg:?}: {got:?} vs {expected:?}");
            }
        }
        assert_eq!(
            ShapSums::new(2, AggMethod::MeanAbs).global(AggMethod::MeanAbs),
            None
        );
    }

    #[test]
    fn bottom_k_is_order_free() {
        let recs: Vec<SampledRecord> = (0..50)
            .map(|i| {
                let key = format!("id-{i}");
                SampledRecord {
                    hash: drift_math::quality::fnv1a64(key.as_bytes()),
                    key,
                    x: vec![f64::from(i)],
                }
            })
            .collect();
        let mut a = recs.clone();
        keep_bottom_k(&mut a, 10);
        let mut b: Vec<SampledRecord> = recs.iter().rev().cloned().collect();
        keep_bottom_k(&mut b, 10);
        assert_eq!(a, b);
        // split, reduce each part, then merge: the same sample
        let mut left = recs[..25].to_vec();
        let mut right = recs[25..].to_vec();
        keep_bottom_k(&mut left, 10);
        keep_bottom_k(&mut right, 10);
        left.extend(right);
        keep_bottom_k(&mut left, 10);
        assert_eq!(left, a);
    }
}
