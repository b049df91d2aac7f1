//! The `multi_model` block of a monitor config: where each capture record's target model is
//! read, and how many models a window keeps apart.

use serde::{Deserialize, Serialize};

use crate::config::MonitorKind;

/// `"multi_model": {"request_field": "/model", "key_pattern": "…", "max_models": 100}`: the
/// block's presence makes the monitor keep its state, reports and metrics per target model.
///
/// A record's model is, first to answer: `eventMetadata.targetModel` (SageMaker does not
/// write it today; read when a capture carries it), then `request_field` of the decoded
/// `endpointInput`, then `key_pattern`'s capture group on the capture object's key. A record
/// none of them names goes to [`super::UNATTRIBUTED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiModelSettings {
    /// where the request names its model: a JSON pointer into the decoded input payload
    /// (`/model`, `/meta/target`) or a CSV column index of its first line (`"0"`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_field: Option<String>,
    /// a regular expression (`regex-lite` syntax) with exactly one capture group, matched
    /// against the capture object's key, e.g. `/(tenant-[0-9]+)/` for captures a caller
    /// wrote under a key layout of its own
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_pattern: Option<String>,
    /// most models kept apart per capture object and per window (default 100); past it the
    /// records are counted as over the cap (and stay in the monitor's overall report)
    #[serde(default = "default_max_models")]
    pub max_models: usize,
    /// publish the per-feature metrics per model too (default `false`: only the totals,
    /// since each model × feature × metric is one CloudWatch custom metric)
    #[serde(default)]
    pub feature_metrics: bool,
}

impl Default for MultiModelSettings {
    fn default() -> Self {
        Self {
            request_field: None,
            key_pattern: None,
            max_models: default_max_models(),
            feature_metrics: false,
        }
    }
}

/// Default of [`MultiModelSettings::max_models`].
pub const DEFAULT_MAX_MODELS: usize = 100;

fn default_max_models() -> usize {
    DEFAULT_MAX_MODELS
}

/// The keys of the block (the config's unknown-key check).
pub const MULTI_MODEL_KEYS: &[&str] = &[
    "request_field",
    "key_pattern",
    "max_models",
    "feature_metrics",
];

/// Why a `multi_model` block is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MultiModelConfigError {
    /// `key_pattern` is not a regular expression.
    #[error("not a regular expression: {message}")]
    BadPattern {
        /// the pattern
        pattern: String,
        /// the parser's message
        message: String,
    },
    /// `key_pattern` does not have exactly one capture group.
    #[error("needs exactly one capture group (the model name), found {groups}")]
    PatternGroups {
        /// the pattern
        pattern: String,
        /// its capture groups
        groups: usize,
    },
    /// `request_field` is neither a JSON pointer nor a column index.
    #[error("a JSON pointer into the request (\"/model\") or a CSV column index (\"0\")")]
    BadRequestField {
        /// the field
        field: String,
    },
    /// `max_models` is 0.
    #[error("at least 1")]
    NoModels,
    /// The monitor is not a data-quality or model-quality monitor of an endpoint.
    #[error(
        "multi_model is built for data-quality and model-quality monitors of an endpoint, not {kind}"
    )]
    Unsupported {
        /// the monitor's kind (or `batch_transform`)
        kind: String,
    },
}

impl MultiModelConfigError {
    /// The config field at fault.
    #[must_use]
    pub fn field(&self) -> &'static str {
        match self {
            Self::BadPattern { .. } | Self::PatternGroups { .. } => "multi_model.key_pattern",
            Self::BadRequestField { .. } => "multi_model.request_field",
            Self::NoModels => "multi_model.max_models",
            Self::Unsupported { .. } => "multi_model",
        }
    }

    /// The offending value.
    #[must_use]
    pub fn value(&self) -> String {
        match self {
            Self::BadPattern { pattern, .. } | Self::PatternGroups { pattern, .. } => {
                pattern.clone()
            }
            Self::BadRequestField { field } => field.clone(),
            Self::NoModels => "0".into(),
            Self::Unsupported { kind } => kind.clone(),
        }
    }
}

impl MultiModelSettings {
    /// The compiled `key_pattern`, if set.
    ///
    /// # Errors
    /// [`MultiModelConfigError::BadPattern`] or [`MultiModelConfigError::PatternGroups`].
    pub fn pattern(&self) -> Result<Option<regex_lite::Regex>, MultiModelConfigError> {
        let Some(p) = &self.key_pattern else {
            return Ok(None);
        };
        let re = regex_lite::Regex::new(p).map_err(|e| MultiModelConfigError::BadPattern {
            pattern: p.clone(),
            message: e.to_string(),
        })?;
        // captures_len counts the implicit group 0 (the whole match)
        let groups = re.captures_len() - 1;
        if groups != 1 {
            return Err(MultiModelConfigError::PatternGroups {
                pattern: p.clone(),
                groups,
            });
        }
        Ok(Some(re))
    }

    /// Checks the block for a monitor of `kind` (`batch`: a batch-transform monitor).
    ///
    /// # Errors
    /// The first problem found ([`MultiModelConfigError`]).
    pub fn check(&self, kind: MonitorKind, batch: bool) -> Result<(), MultiModelConfigError> {
        if batch {
            return Err(MultiModelConfigError::Unsupported {
                kind: "batch_transform".into(),
            });
        }
        if !matches!(kind, MonitorKind::DataQuality | MonitorKind::ModelQuality) {
            return Err(MultiModelConfigError::Unsupported {
                kind: format!("{kind:?}"),
            });
        }
        if self.max_models == 0 {
            return Err(MultiModelConfigError::NoModels);
        }
        if let Some(f) = &self.request_field {
            if !(f.starts_with('/') || f.trim().parse::<usize>().is_ok()) {
                return Err(MultiModelConfigError::BadRequestField { field: f.clone() });
            }
        }
        self.pattern().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::MonitorConfig;

    fn load(block: &str) -> Result<MonitorConfig, crate::CoreError> {
        let json = format!(
            r#"{{"name": "m", "endpoint": "e", "baseline_prefix": "b", "multi_model": {block}}}"#
        );
        MonitorConfig::from_json("m.json", json.as_bytes())
    }

    #[test]
    fn the_block_is_validated_on_load_naming_field_and_value() {
        let m = load("{}").unwrap().multi_model.unwrap();
        assert_eq!(m.max_models, super::DEFAULT_MAX_MODELS);
        assert!(!m.feature_metrics);
        let cases = [
            (
                r#"{"key_pattern": "("}"#,
                "multi_model.key_pattern",
                "\"(\"",
            ),
            (
                r#"{"key_pattern": "/m-[0-9]+/"}"#,
                "multi_model.key_pattern",
                "found 0",
            ),
            (
                r#"{"key_pattern": "/(a)(b)/"}"#,
                "multi_model.key_pattern",
                "found 2",
            ),
            (
                r#"{"request_field": "model"}"#,
                "multi_model.request_field",
                "\"model\"",
            ),
            (
                r#"{"max_models": 0}"#,
                "multi_model.max_models",
                "at least 1",
            ),
            (
                r#"{"max_model": 3}"#,
                "multi_model.max_model",
                "did you mean \"max_models\"",
            ),
        ];
        for (block, field, part) in cases {
            let e = load(block).unwrap_err().to_string();
            assert!(e.contains(field) && e.contains(part), "{block}: {e}");
        }
        // model quality is kept per model too (issue 15 item 5); bias is refused naming
        // its kind
        let json = r#"{"name": "m", "endpoint": "e", "baseline_prefix": "b", "kind": "ModelQuality",
            "model_quality": {"problem_type": "BinaryClassification"}, "multi_model": {}}"#;
        assert!(MonitorConfig::from_json("m.json", json.as_bytes())
            .unwrap()
            .multi_model
            .is_some());
        let json = r#"{"name": "m", "endpoint": "e", "baseline_prefix": "b", "kind": "ModelBias",
            "bias": {"probability_attribute": "0"}, "multi_model": {}}"#;
        let e = MonitorConfig::from_json("m.json", json.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains("multi_model") && e.contains("ModelBias"), "{e}");
    }
}
