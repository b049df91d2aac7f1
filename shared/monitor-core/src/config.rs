//! Monitor configuration: `config/monitors/{monitor}.json`.
//!
//! A monitor is what SageMaker calls a monitoring schedule: it watches one endpoint's data
//! capture against one baseline and writes one report per window. Its name is the
//! `MonitoringSchedule` dimension of its metrics and the `{schedule}` level of its reports.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::layout::{
    baseline_file_key, default_ground_truth_prefix, monitor_config_key, ANALYSIS_CONFIG_FILE,
    ANALYSIS_FILE, CONSTRAINTS_FILE, DEFAULT_CAPTURE_PREFIX, MONITORS_PREFIX, STATISTICS_FILE,
};
use crate::store::ObjectStore;
use crate::CoreError;

/// The monitoring types SageMaker has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum MonitorKind {
    /// data quality (statistics.json / constraints.json)
    #[default]
    DataQuality,
    /// model quality: predictions joined to ground truth
    ModelQuality,
    /// Clarify bias drift: predictions joined to ground truth, split by facet
    ModelBias,
    /// Clarify feature-attribution drift: global SHAP values of the captured inputs
    ModelExplainability,
}

impl MonitorKind {
    /// Whether the monitor joins ground truth to predictions (model quality and bias).
    pub fn joins_ground_truth(self) -> bool {
        matches!(self, MonitorKind::ModelQuality | MonitorKind::ModelBias)
    }
}

/// Settings of a model-quality monitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelQualitySettings {
    /// problem type and positive label
    #[serde(flatten)]
    pub quality: crate::model_quality::QualityOptions,
    /// where the prediction is in the endpoint output
    #[serde(flatten)]
    pub attributes: crate::joined::predictions::PredictionAttributes,
    /// key prefix of this endpoint's ground truth (`{prefix}yyyy/mm/dd/HH/*.jsonl`); default
    /// `ground-truth/{endpoint}/`
    #[serde(default)]
    pub ground_truth_prefix: Option<String>,
    /// where the label is in each ground-truth record's `groundTruthData`: a JMESPath-style
    /// path such as `instances[*].label` (one label per instance of the request, joined to
    /// the request's instance `i`), a JSON pointer (`/label`) or a CSV column (`"0"`).
    /// Default: the first CSV column of each line, or the `label` member / the scalar of JSON
    /// data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ground_truth_attribute: Option<String>,
    /// how long a label may wait for its prediction, and how far back a label's prediction
    /// is searched (default 24 h, SageMaker's usual offset)
    #[serde(default = "default_lookback")]
    pub lookback_hours: u32,
    /// evaluate the window that ended this long before the tick (late labels; SageMaker's
    /// `EndTimeOffset`), default 0
    #[serde(default)]
    pub offset_minutes: u32,
    /// write the matched records in SageMaker's merge layout under `state/merged/` (default
    /// `true`); nothing modelwatch evaluates reads them, so `false` saves their storage and
    /// PUTs when no other job consumes them
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub merged_records: bool,
}

fn default_lookback() -> u32 {
    24
}

impl ModelQualitySettings {
    /// A binary-classification monitor whose positive label is `positive_label`, with every
    /// other setting at its default: the prediction where [`PredictionAttributes::default`]
    /// finds it, ground truth under `ground-truth/{endpoint}/` read from its first column or
    /// `label` member, a 24-hour lookback and no offset.
    ///
    /// [`PredictionAttributes::default`]: crate::joined::predictions::PredictionAttributes
    pub fn binary(positive_label: impl Into<String>) -> Self {
        ModelQualitySettings {
            quality: crate::model_quality::QualityOptions {
                problem_type: crate::formats::model_quality::ProblemType::BinaryClassification,
                positive_label: positive_label.into(),
            },
            attributes: crate::joined::predictions::PredictionAttributes::default(),
            ground_truth_prefix: None,
            ground_truth_attribute: None,
            lookback_hours: default_lookback(),
            offset_minutes: 0,
            merged_records: true,
        }
    }
}

/// Settings of a bias-drift monitor (Clarify's `ModelBiasJobDefinition`).
///
/// The bias configuration itself is Clarify's `analysis_config.json` (label, label values or
/// threshold, facets, group variable, probability threshold), read from
/// `analysis_config_key` (default `{baseline_prefix}/analysis_config.json`); the baseline is
/// the `analysis.json` that `modelwatch baseline --bias-config` wrote next to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BiasSettings {
    /// where the prediction is in the endpoint output, and where each facet / group value is
    /// in the endpoint input (`facet_attributes`; default: the column's position among the
    /// analysis config's `headers` without the label)
    #[serde(flatten)]
    pub attributes: crate::joined::predictions::PredictionAttributes,
    /// key of Clarify's analysis_config.json (default `{baseline_prefix}/analysis_config.json`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis_config_key: Option<String>,
    /// key prefix of this endpoint's ground truth; default `ground-truth/{endpoint}/`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ground_truth_prefix: Option<String>,
    /// where the label is in each ground-truth record's `groundTruthData`: a JMESPath-style
    /// path such as `instances[*].label` (one label per instance of the request, joined to
    /// the request's instance `i`), a JSON pointer (`/label`) or a CSV column (`"0"`).
    /// Default: the first CSV column of each line, or the `label` member / the scalar of JSON
    /// data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ground_truth_attribute: Option<String>,
    /// how long a label may wait for its prediction (default 24 h)
    #[serde(default = "default_lookback")]
    pub lookback_hours: u32,
    /// evaluate the window that ended this long before the tick (late labels), default 0
    #[serde(default)]
    pub offset_minutes: u32,
    /// rows per facet side kept for the flip test (FT): a deterministic sample that merges
    /// exactly; FT needs the numeric input features (`keep_input_features: true`)
    #[serde(default = "default_flip_sample")]
    pub flip_sample: usize,
    /// write the matched records in SageMaker's merge layout under `state/merged/` (default
    /// `true`); nothing modelwatch evaluates reads them, so `false` saves their storage and
    /// PUTs when no other job consumes them
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub merged_records: bool,
}

fn default_flip_sample() -> usize {
    drift_math::bias::DEFAULT_FLIP_SAMPLE_CAP
}

/// How a feature-attribution monitor obtains each record's SHAP values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Explainer {
    /// The model returns its attributions in the endpoint output: a JSON pointer to an
    /// object (feature → value) or an array (feature order) inside the output payload, or a
    /// JMESPath-style path with `[*]` giving one such value per instance of the request.
    Captured {
        /// JSON pointer into the decoded `endpointOutput` payload, e.g. `/shap`, or a path
        /// such as `explanations[*].shap`
        pointer: String,
    },
    /// Exact SHAP of a linear model `b + Σ w_j·x_j` against the SHAP baseline rows:
    /// `φ_j = w_j·(x_j − mean_bg x_j)`, computed for every captured record at ingest.
    Linear {
        /// `b`
        intercept: f64,
        /// `w_j` by feature name (a feature without a weight has weight 0)
        coefficients: BTreeMap<String, f64>,
    },
    /// Kernel SHAP through a model invoker, over a deterministic sample of at most
    /// `max_records` records per window (Clarify explains a sample too: every record costs
    /// `num_samples × baseline rows` model calls).
    Kernel {
        /// the model that scores the synthetic rows
        model: crate::attribution::ModelSpec,
        /// records explained per window (bottom-k by a hash of the join key)
        #[serde(default = "default_kernel_records")]
        max_records: usize,
    },
    /// Exact path-dependent TreeSHAP (Lundberg et al. 2018) of an XGBoost model saved as JSON
    /// (`booster.save_model("model.json")`), computed for every captured record at ingest;
    /// explains the raw margin (log-odds for `binary:logistic`), and a missing value follows
    /// the tree's default direction.
    Tree {
        /// store key (or `s3://bucket/key`) of the XGBoost JSON model
        model_key: String,
        /// class of a multi-class model (default 0)
        #[serde(default)]
        output_group: usize,
    },
}

fn default_kernel_records() -> usize {
    100
}

/// Settings of a feature-attribution-drift monitor (Clarify's
/// `ModelExplainabilityJobDefinition`).
///
/// Clarify's analysis config (`headers`, `label`, `methods.shap` with `baseline`,
/// `num_samples`, `agg_method`, `use_logit`, `seed`) is read from `analysis_config_key`
/// (default `{baseline_prefix}/analysis_config.json`); the attribution baseline is the
/// `analysis.json` next to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExplainabilitySettings {
    /// how each record's SHAP values are obtained
    pub explainer: Explainer,
    /// key of Clarify's analysis_config.json (default `{baseline_prefix}/analysis_config.json`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis_config_key: Option<String>,
    /// nDCG below which the window violates (Clarify's fixed 0.9)
    #[serde(default = "default_ndcg_threshold")]
    pub ndcg_threshold: f64,
}

fn default_ndcg_threshold() -> f64 {
    drift_math::shap::NDCG_THRESHOLD
}

/// What joins ground truth to predictions, common to model-quality and bias monitors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JoinSettings<'a> {
    /// where the prediction (and the facets) are in the capture
    pub attributes: &'a crate::joined::predictions::PredictionAttributes,
    /// where the label is in a ground-truth record (`None`: the default rule)
    pub ground_truth_attribute: Option<&'a str>,
    /// look-back in hours
    pub lookback_hours: u32,
    /// end-time offset of the evaluated window, in minutes
    pub offset_minutes: u32,
    /// whether the matched records are written in SageMaker's merge layout
    pub merged_records: bool,
}

/// One monitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorConfig {
    /// schedule name: `[A-Za-z0-9-]`, used in keys and metric dimensions
    pub name: String,
    /// monitoring type
    #[serde(default)]
    pub kind: MonitorKind,
    /// endpoint whose capture is monitored (empty for a batch-transform monitor)
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub endpoint: String,
    /// a batch transform's data capture instead of an endpoint's (SageMaker's
    /// `BatchTransformInput`; [`crate::batch`])
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_transform: Option<crate::batch::BatchTransformInput>,
    /// only this production variant (default: all variants)
    #[serde(default)]
    pub variant: Option<String>,
    /// key prefix holding `statistics.json` and `constraints.json`
    pub baseline_prefix: String,
    /// key prefix SageMaker data capture writes under
    #[serde(default = "default_capture_prefix")]
    pub capture_prefix: String,
    /// window length in minutes (default 60: the previous whole hour)
    #[serde(default = "default_window")]
    pub window_minutes: u32,
    /// how capture payloads map to the baseline's features
    #[serde(default)]
    pub capture: CaptureOptions,
    /// publish CloudWatch metrics (SageMaker's `publish_cloudwatch_metrics`)
    #[serde(default = "yes")]
    pub publish_metrics: bool,
    /// model-quality settings (required when `kind` is `ModelQuality`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_quality: Option<ModelQualitySettings>,
    /// bias-drift settings (required when `kind` is `ModelBias`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bias: Option<BiasSettings>,
    /// feature-attribution settings (required when `kind` is `ModelExplainability`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explainability: Option<ExplainabilitySettings>,
    /// compare the endpoint's production variants in every window (issue 15, item 4;
    /// [`crate::variants`])
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variants: Option<crate::variants::VariantSettings>,
    /// a multi-model endpoint: attribute each record to its target model and keep state,
    /// reports and metrics per model (issue 15, item 5; [`crate::multimodel`])
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_model: Option<crate::multimodel::MultiModelSettings>,
    /// judge every window per slice too (issue 15, item 3; [`crate::segments`])
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segments: Option<crate::segments::SegmentSettings>,
}

/// Mapping options beyond the defaults (output columns first, then inputs, by position or key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CaptureOptions {
    /// how many leading baseline features come from `endpointOutput` (default: as many
    /// columns as the output payload has)
    #[serde(default)]
    pub output_columns: Option<usize>,
    /// JSON pointer per feature for nested JSON payloads, rooted at `/input` or `/output`
    #[serde(default)]
    pub json_pointers: BTreeMap<String, String>,
}

fn default_capture_prefix() -> String {
    DEFAULT_CAPTURE_PREFIX.to_string()
}
fn default_window() -> u32 {
    60
}
fn yes() -> bool {
    true
}
#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_true(b: &bool) -> bool {
    *b
}

/// The keys a monitor config may hold, per section (`""` is the top level). serde's
/// `deny_unknown_fields` cannot be used because the model-quality and bias sections flatten
/// shared structs, so the keys are listed here; `every_key_written_is_known` keeps this
/// list and the structs in step.
const KNOWN_KEYS: [(&str, &[&str]); 9] = [
    (
        "",
        &[
            "name",
            "kind",
            "endpoint",
            "batch_transform",
            "variant",
            "baseline_prefix",
            "capture_prefix",
            "window_minutes",
            "capture",
            "publish_metrics",
            "model_quality",
            "bias",
            "explainability",
            "variants",
            "multi_model",
            "segments",
        ],
    ),
    ("variants", crate::variants::VARIANT_KEYS),
    ("multi_model", crate::multimodel::MULTI_MODEL_KEYS),
    ("segments", crate::segments::SEGMENT_KEYS),
    ("capture", &["output_columns", "json_pointers"]),
    ("batch_transform", crate::batch::config::BATCH_KEYS),
    (
        "model_quality",
        &[
            "problem_type",
            "positive_label",
            "inference_attribute",
            "probability_attribute",
            "probability_threshold",
            "facet_attributes",
            "keep_input_features",
            "ground_truth_prefix",
            "ground_truth_attribute",
            "lookback_hours",
            "offset_minutes",
            "merged_records",
        ],
    ),
    (
        "bias",
        &[
            "inference_attribute",
            "probability_attribute",
            "probability_threshold",
            "facet_attributes",
            "keep_input_features",
            "analysis_config_key",
            "ground_truth_prefix",
            "ground_truth_attribute",
            "lookback_hours",
            "offset_minutes",
            "flip_sample",
            "merged_records",
        ],
    ),
    (
        "explainability",
        &["explainer", "analysis_config_key", "ndcg_threshold"],
    ),
];

/// Levenshtein distance (insertions, deletions, substitutions; one row of the DP table).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = (up + 1).min(row[j] + 1).min(diag + usize::from(ca != *cb));
            diag = up;
        }
    }
    row[b.len()]
}

/// The known key closest to `unknown`, when it is close enough to be a typo (at most a
/// third of its length, and at least 1, edits away).
fn closest_key<'k>(unknown: &str, known: &[&'k str]) -> Option<&'k str> {
    let limit = (unknown.chars().count() / 3).max(1);
    known
        .iter()
        .map(|k| (edit_distance(unknown, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| k)
}

/// Fails on the first key of `raw` that no section of a monitor config knows, naming it
/// and the closest known key.
fn check_known_keys(key: &str, raw: &serde_json::Value) -> Result<(), CoreError> {
    for (section, known) in KNOWN_KEYS {
        let obj = if section.is_empty() {
            raw.as_object()
        } else {
            raw.get(section).and_then(serde_json::Value::as_object)
        };
        let Some(obj) = obj else { continue };
        if let Some(unknown) = obj.keys().find(|k| !known.contains(&k.as_str())) {
            let path = if section.is_empty() {
                unknown.clone()
            } else {
                format!("{section}.{unknown}")
            };
            let hint = closest_key(unknown, known)
                .map_or_else(String::new, |k| format!("; did you mean {k:?}?"));
            return Err(CoreError::Config {
                field: format!("{key}: {path}"),
                value: unknown.clone(),
                message: format!("unknown key{hint}"),
            });
        }
    }
    Ok(())
}

impl MonitorConfig {
    /// A monitor with the file defaults for every optional field (capture prefix, 60-minute
    /// window, metrics published, no per-kind settings). Code that builds a config writes
    /// `MonitorConfig { model_quality: Some(…), ..MonitorConfig::new(…) }`, so a field added
    /// later does not break it. Not validated (a config file is, by [`MonitorConfig::from_json`]).
    pub fn new(
        name: impl Into<String>,
        kind: MonitorKind,
        endpoint: impl Into<String>,
        baseline_prefix: impl Into<String>,
    ) -> Self {
        MonitorConfig {
            name: name.into(),
            kind,
            endpoint: endpoint.into(),
            batch_transform: None,
            variant: None,
            baseline_prefix: baseline_prefix.into(),
            capture_prefix: default_capture_prefix(),
            window_minutes: default_window(),
            capture: CaptureOptions::default(),
            publish_metrics: yes(),
            model_quality: None,
            bias: None,
            explainability: None,
            variants: None,
            multi_model: None,
            segments: None,
        }
    }

    /// Parses and validates a configuration file. A UTF-8 byte order mark is skipped.
    ///
    /// # Errors
    /// [`CoreError::Config`] naming the key file and the field: malformed JSON, a missing or
    /// invalid field, or an unknown key (with the closest known key suggested, so a typo
    /// such as `window_minute` is not silently ignored).
    pub fn from_json(key: &str, bytes: &[u8]) -> Result<Self, CoreError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let syntax = |e: serde_json::Error| CoreError::Config {
            field: format!("{key}:{}:{}", e.line(), e.column()),
            value: String::new(),
            message: e.to_string(),
        };
        let raw: serde_json::Value = serde_json::from_slice(bytes).map_err(syntax)?;
        check_known_keys(key, &raw)?;
        let mut cfg: MonitorConfig =
            serde_json::from_value(raw).map_err(|e| CoreError::Config {
                field: key.to_owned(),
                value: String::new(),
                message: e.to_string(),
            })?;
        cfg.fold_batch(key)?;
        cfg.validate(key)?;
        Ok(cfg)
    }

    fn validate(&self, key: &str) -> Result<(), CoreError> {
        let bad = |field: &str, value: String, message: &str| CoreError::Config {
            field: format!("{key}: {field}"),
            value,
            message: message.into(),
        };
        let name_ok = !self.name.is_empty()
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !name_ok {
            return Err(bad(
                "name",
                self.name.clone(),
                "use letters, digits, - and _",
            ));
        }
        if self.batch_transform.is_some() {
            if !self.endpoint.is_empty() {
                return Err(bad(
                    "endpoint",
                    self.endpoint.clone(),
                    "a monitor watches an endpoint or a batch transform (batch_transform), not both",
                ));
            }
        } else if self.endpoint.is_empty() || self.endpoint.contains('/') {
            return Err(bad(
                "endpoint",
                self.endpoint.clone(),
                "an endpoint name without /",
            ));
        }
        if self.kind == MonitorKind::ModelQuality && self.model_quality.is_none() {
            return Err(bad(
                "model_quality",
                String::new(),
                "a ModelQuality monitor needs model_quality settings (problem_type, …)",
            ));
        }
        if self.kind == MonitorKind::ModelBias && self.bias.is_none() {
            return Err(bad(
                "bias",
                String::new(),
                "a ModelBias monitor needs bias settings (probability_attribute, facet_attributes, …)",
            ));
        }
        if let Some(join) = self.join() {
            let a = join.attributes;
            let attributes = [
                ("inference_attribute", a.inference_attribute.as_deref()),
                ("probability_attribute", a.probability_attribute.as_deref()),
                ("ground_truth_attribute", join.ground_truth_attribute),
            ]
            .into_iter()
            .chain(
                a.facet_attributes
                    .values()
                    .map(|v| ("facet_attributes", Some(v.as_str()))),
            );
            let section = if self.kind == MonitorKind::ModelBias {
                "bias"
            } else {
                "model_quality"
            };
            for (field, value) in attributes {
                if let Some(Err(e)) = value.map(crate::formats::capture::Attribute::parse) {
                    return Err(bad(
                        &format!("{section}.{field}"),
                        e.attribute.clone(),
                        &e.to_string(),
                    ));
                }
            }
        }
        if let Some(b) = &self.bias {
            if b.flip_sample == 0 {
                return Err(bad("bias.flip_sample", "0".into(), "at least 1"));
            }
        }
        if self.kind == MonitorKind::ModelExplainability {
            let Some(x) = &self.explainability else {
                return Err(bad(
                    "explainability",
                    String::new(),
                    "a ModelExplainability monitor needs explainability settings (explainer)",
                ));
            };
            if !(x.ndcg_threshold > 0.0 && x.ndcg_threshold <= 1.0) {
                return Err(bad(
                    "explainability.ndcg_threshold",
                    x.ndcg_threshold.to_string(),
                    "in (0, 1]",
                ));
            }
            if let Explainer::Kernel { max_records: 0, .. } = &x.explainer {
                return Err(bad(
                    "explainability.explainer.kernel.max_records",
                    "0".into(),
                    "at least 1",
                ));
            }
        }
        if let Some((field, value, message)) = self.variants.as_ref().and_then(|v| v.problem()) {
            return Err(bad(field, value, message));
        }
        if let Some(m) = &self.multi_model {
            if let Err(e) = m.check(self.kind, self.batch_transform.is_some()) {
                return Err(bad(e.field(), e.value(), &e.to_string()));
            }
        }
        if let Some((field, value, message)) = self.segments.as_ref().and_then(|s| s.problem()) {
            return Err(bad(&field, value, message));
        }
        if self.kind == MonitorKind::ModelQuality {
            // a model-quality slice feature must be a facet the predictions carry
            crate::segments::Slicer::for_predictions(self)?;
        }
        if self.window_minutes == 0 || self.window_minutes > 24 * 60 {
            return Err(bad(
                "window_minutes",
                self.window_minutes.to_string(),
                "between 1 and 1440",
            ));
        }
        Ok(())
    }

    /// Key of the baseline statistics.
    pub fn statistics_key(&self) -> String {
        baseline_file_key(&self.baseline_prefix, STATISTICS_FILE)
    }

    /// Key of the baseline constraints.
    pub fn constraints_key(&self) -> String {
        baseline_file_key(&self.baseline_prefix, CONSTRAINTS_FILE)
    }

    /// The ground-truth prefix of a model-quality or bias monitor.
    pub fn ground_truth_prefix(&self) -> String {
        let configured = match self.kind {
            MonitorKind::ModelBias => self
                .bias
                .as_ref()
                .and_then(|b| b.ground_truth_prefix.clone()),
            _ => self
                .model_quality
                .as_ref()
                .and_then(|m| m.ground_truth_prefix.clone()),
        };
        configured.unwrap_or_else(|| default_ground_truth_prefix(self.source_name()))
    }

    /// Where a model-quality or bias monitor finds the prediction in the capture: its
    /// configured attributes (a bias monitor adds its facets:
    /// [`crate::bias::prepare::bias_prediction_attributes`]); the defaults otherwise.
    pub fn prediction_attributes(&self) -> crate::joined::predictions::PredictionAttributes {
        self.join()
            .map(|j| j.attributes.clone())
            .unwrap_or_default()
    }

    /// The join settings of a monitor that joins ground truth (model quality, bias).
    pub fn join(&self) -> Option<JoinSettings<'_>> {
        match self.kind {
            MonitorKind::ModelQuality => self.model_quality.as_ref().map(|m| JoinSettings {
                attributes: &m.attributes,
                ground_truth_attribute: m.ground_truth_attribute.as_deref(),
                lookback_hours: m.lookback_hours,
                offset_minutes: m.offset_minutes,
                merged_records: m.merged_records,
            }),
            MonitorKind::ModelBias => self.bias.as_ref().map(|b| JoinSettings {
                attributes: &b.attributes,
                ground_truth_attribute: b.ground_truth_attribute.as_deref(),
                lookback_hours: b.lookback_hours,
                offset_minutes: b.offset_minutes,
                merged_records: b.merged_records,
            }),
            _ => None,
        }
    }

    /// End-time offset of the evaluated window (late labels), in minutes.
    pub fn offset_minutes(&self) -> u32 {
        self.join().map_or(0, |j| j.offset_minutes)
    }

    /// Key of Clarify's analysis_config.json of a bias or explainability monitor.
    pub fn analysis_config_key(&self) -> String {
        let configured = match self.kind {
            MonitorKind::ModelBias => self
                .bias
                .as_ref()
                .and_then(|b| b.analysis_config_key.clone()),
            MonitorKind::ModelExplainability => self
                .explainability
                .as_ref()
                .and_then(|x| x.analysis_config_key.clone()),
            _ => None,
        };
        configured.unwrap_or_else(|| baseline_file_key(&self.baseline_prefix, ANALYSIS_CONFIG_FILE))
    }

    /// Key of the Clarify baseline `analysis.json` (bias and explainability monitors).
    pub fn analysis_key(&self) -> String {
        baseline_file_key(&self.baseline_prefix, ANALYSIS_FILE)
    }

    /// The endpoint, or for a batch-transform monitor its own name (the `{endpoint}` of
    /// its default ground-truth prefix).
    pub fn source_name(&self) -> &str {
        if self.batch_transform.is_some() {
            &self.name
        } else {
            &self.endpoint
        }
    }

    /// Whether a capture of this endpoint/variant belongs to the monitor (never for a
    /// batch-transform monitor: [`crate::batch`] claims its manifests).
    pub fn watches(&self, endpoint: &str, variant: &str) -> bool {
        self.batch_transform.is_none()
            && self.endpoint == endpoint
            && self.variant.as_deref().is_none_or(|v| v == variant)
    }
}

/// Loads every monitor under `config/monitors/`, sorted by name.
pub async fn load_monitors<S: ObjectStore>(store: &S) -> Result<Vec<MonitorConfig>, CoreError> {
    let mut out = Vec::new();
    for key in store.list(MONITORS_PREFIX).await? {
        if !key.ends_with(".json") {
            continue;
        }
        let bytes = store.get(&key).await?;
        out.push(MonitorConfig::from_json(&key, &bytes)?);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Writes a monitor configuration to its key.
pub async fn save_monitor<S: ObjectStore>(store: &S, cfg: &MonitorConfig) -> Result<(), CoreError> {
    let body = serde_json::to_vec_pretty(cfg).map_err(|e| CoreError::Config {
        field: cfg.name.clone(),
        value: String::new(),
        message: e.to_string(),
    })?;
    store.put(&monitor_config_key(&cfg.name), body).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_defaults_and_validates() {
        let cfg = MonitorConfig::from_json(
            "k",
            br#"{"name":"churn-dq","endpoint":"churn","baseline_prefix":"baselines/churn-dq"}"#,
        )
        .unwrap();
        assert_eq!(cfg.window_minutes, 60);
        assert_eq!(cfg.capture_prefix, "data-capture/");
        assert_eq!(cfg.statistics_key(), "baselines/churn-dq/statistics.json");
        assert!(cfg.watches("churn", "AllTraffic"));
        assert!(!cfg.watches("other", "AllTraffic"));
        let err = MonitorConfig::from_json(
            "config/monitors/x.json",
            br#"{"name":"a b","endpoint":"e","baseline_prefix":"b"}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("name"), "{err}");
        let err = MonitorConfig::from_json("k", br#"{"name":"a","endpoint":"e"}"#).unwrap_err();
        assert!(err.to_string().contains("baseline_prefix"), "{err}");
    }

    /// Issue 11 item 8: `window_minute` and `capture_prefx` were silently ignored.
    #[test]
    fn unknown_keys_are_named_with_the_closest_known_key() {
        let cases = [
            (
                r#""window_minute":5"#,
                "window_minute",
                Some("window_minutes"),
            ),
            (
                r#""capture_prefx":"x/""#,
                "capture_prefx",
                Some("capture_prefix"),
            ),
            (
                r#""capture":{"output_column":1}"#,
                "capture.output_column",
                Some("output_columns"),
            ),
            (r#""colour":"red""#, "colour", None),
        ];
        for (extra, path, hint) in cases {
            let text = format!(r#"{{"name":"a","endpoint":"e","baseline_prefix":"b",{extra}}}"#);
            let err = MonitorConfig::from_json("config/monitors/a.json", text.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(&format!("config/monitors/a.json: {path}")),
                "{err}"
            );
            match hint {
                Some(k) => assert!(
                    err.ends_with(&format!("unknown key; did you mean {k:?}?")),
                    "{err}"
                ),
                None => assert!(err.ends_with("unknown key"), "{err}"),
            }
        }
    }

    /// Every key the structs write back (all sections filled in) is in KNOWN_KEYS, so a
    /// config saved by `save_monitor` always loads again.
    #[test]
    fn every_key_written_is_known() {
        let full = br#"{"name":"a","endpoint":"e","baseline_prefix":"b","variant":"v",
            "capture":{"output_columns":1,"json_pointers":{"x":"/input/x"}},
            "model_quality":{"problem_type":"Regression","inference_attribute":"p",
                "facet_attributes":{"f":"/x"},"keep_input_features":true,"ground_truth_prefix":"g/",
                "ground_truth_attribute":"instances[*].label"},
            "bias":{"probability_attribute":"p","analysis_config_key":"a","ground_truth_prefix":"g/",
                "ground_truth_attribute":"/label",
                "facet_attributes":{"f":"/x"},"keep_input_features":true},
            "explainability":{"explainer":{"captured":{"pointer":"/x"}},"analysis_config_key":"a"},
            "variants":{"reference":"A","confidence_level":0.9},
            "multi_model":{"request_field":"/model","key_pattern":"/(m-[0-9]+)/","max_models":7,
                "feature_metrics":true},
            "segments":{"slices":[{"feature":"x","values":["a"]}],"max_slices":5}}"#;
        let cfg = MonitorConfig::from_json("k", full).unwrap();
        let written = serde_json::to_value(&cfg).unwrap();
        check_known_keys("k", &written).unwrap();
        let back = MonitorConfig::from_json("k", &serde_json::to_vec(&cfg).unwrap()).unwrap();
        assert_eq!(back, cfg);
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let text = b"\xEF\xBB\xBF{\"name\":\"a\",\"endpoint\":\"e\",\"baseline_prefix\":\"b\"}";
        assert_eq!(MonitorConfig::from_json("k", text).unwrap().name, "a");
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        // classic textbook pair: kitten -> sitting is 3 edits
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("window_minute", "window_minutes"), 1);
    }

    /// Issue 12 item 2: SageMaker's JMESPath-style attributes load; one outside the
    /// supported subset fails at load naming the field and the position.
    #[test]
    fn multi_instance_attributes_are_checked_at_load() {
        let cfg = br#"{"name":"a","endpoint":"e","baseline_prefix":"b","kind":"ModelQuality",
            "model_quality":{"problem_type":"BinaryClassification","positive_label":"1",
                "probability_attribute":"predictions[*].score",
                "inference_attribute":"predictions[*].predicted_label",
                "ground_truth_attribute":"instances[*].label"}}"#;
        let cfg = MonitorConfig::from_json("k", cfg).unwrap();
        let join = cfg.join().unwrap();
        assert_eq!(join.ground_truth_attribute, Some("instances[*].label"));
        let bad = br#"{"name":"a","endpoint":"e","baseline_prefix":"b","kind":"ModelBias",
            "bias":{"probability_attribute":"predictions[*].score[*]"}}"#;
        let err = MonitorConfig::from_json("k", bad).unwrap_err().to_string();
        assert!(
            err.contains("bias.probability_attribute")
                && err.contains("predictions[*].score[*]")
                && err.contains("character 20"),
            "{err}"
        );
    }
}
