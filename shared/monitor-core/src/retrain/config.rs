//! `config/retrain.json`: which alarm belongs to which monitor, model and pipeline, the
//! cooldown and the static pipeline parameters (format in [`crate::retrain`]).

use std::collections::BTreeMap;

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use crate::store::{get_optional, ObjectStore};
use crate::CoreError;

/// Key of the retraining configuration.
pub use crate::layout::RETRAIN_CONFIG_KEY;
/// Default cooldown per pipeline, hours.
pub const DEFAULT_COOLDOWN_HOURS: f64 = 6.0;
/// Longest accepted cooldown, hours (one year).
pub const MAX_COOLDOWN_HOURS: f64 = 8760.0;
/// SageMaker's limit on one pipeline parameter value (API `Parameter.Value`).
pub const MAX_PARAMETER_VALUE: usize = 1024;
/// SageMaker's limit on the number of pipeline parameters of one start.
pub const MAX_PARAMETERS: usize = 200;

/// `config/retrain.json` (see the module docs for the format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrainConfig {
    /// decide and record, start nothing
    #[serde(default)]
    pub dry_run: bool,
    /// one entry per alarm group
    pub pipelines: Vec<PipelineConfig>,
}

/// Which alarms start which pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    /// alarm names that belong to this entry, exactly
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alarms: Vec<String>,
    /// alarm names starting with this belong to this entry
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_name_prefix: Option<String>,
    /// the monitor whose reports hold the evidence
    pub monitor: String,
    /// the model the pipeline retrains (passed on as `Model`)
    pub model: String,
    /// pipeline name or ARN
    pub pipeline: String,
    /// no new start within this many hours of the last one
    #[serde(default = "default_cooldown")]
    pub cooldown_hours: f64,
    /// static parameters added to every start
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, String>,
    /// which evidence parameters are sent (default: all)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_parameters: Option<Vec<EvidenceParameter>>,
}

fn default_cooldown() -> f64 {
    DEFAULT_COOLDOWN_HOURS
}

/// The evidence a start carries, by pipeline parameter name (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EvidenceParameter {
    /// `detail.alarmName`
    AlarmName,
    /// `detail.state.reason`
    AlarmReason,
    /// `detail.state.timestamp`
    AlarmTime,
    /// the alarm's metric name
    MetricName,
    /// the alarm's metric namespace
    MetricNamespace,
    /// the alarm's metric dimensions, a JSON object
    MetricDimensions,
    /// start of the monitoring window
    WindowStart,
    /// end of the monitoring window
    WindowEnd,
    /// URI of the window's `constraint_violations.json`
    ViolationsUri,
    /// the monitor
    Monitor,
    /// the model
    Model,
    /// the EventBridge event id
    TriggerEventId,
}

impl EvidenceParameter {
    /// Every evidence parameter, in the order they are sent.
    pub const ALL: [EvidenceParameter; 12] = [
        EvidenceParameter::AlarmName,
        EvidenceParameter::AlarmReason,
        EvidenceParameter::AlarmTime,
        EvidenceParameter::MetricName,
        EvidenceParameter::MetricNamespace,
        EvidenceParameter::MetricDimensions,
        EvidenceParameter::WindowStart,
        EvidenceParameter::WindowEnd,
        EvidenceParameter::ViolationsUri,
        EvidenceParameter::Monitor,
        EvidenceParameter::Model,
        EvidenceParameter::TriggerEventId,
    ];

    /// The pipeline parameter name.
    pub fn name(self) -> &'static str {
        match self {
            EvidenceParameter::AlarmName => "AlarmName",
            EvidenceParameter::AlarmReason => "AlarmReason",
            EvidenceParameter::AlarmTime => "AlarmTime",
            EvidenceParameter::MetricName => "MetricName",
            EvidenceParameter::MetricNamespace => "MetricNamespace",
            EvidenceParameter::MetricDimensions => "MetricDimensions",
            EvidenceParameter::WindowStart => "WindowStart",
            EvidenceParameter::WindowEnd => "WindowEnd",
            EvidenceParameter::ViolationsUri => "ViolationsUri",
            EvidenceParameter::Monitor => "Monitor",
            EvidenceParameter::Model => "Model",
            EvidenceParameter::TriggerEventId => "TriggerEventId",
        }
    }
}

pub(crate) fn is_alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// Whether `s` matches SageMaker's name pattern `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,max-1}$`
/// (letters and digits, single or repeated hyphens inside, no hyphen at either end).
pub fn is_sagemaker_name(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars().all(|c| is_alnum(c) || c == '-')
        && s.starts_with(is_alnum)
        && s.ends_with(is_alnum)
}

/// The pipeline name of a pipeline name or ARN (`arn:…:pipeline/{name}` → `{name}`).
pub fn pipeline_name_of(pipeline: &str) -> &str {
    match pipeline.rsplit_once(":pipeline/") {
        Some((_, name)) if pipeline.starts_with("arn:") => name,
        _ => pipeline,
    }
}

fn is_pipeline_ref(p: &str) -> bool {
    if p.len() > 256 {
        return false;
    }
    if let Some(rest) = p.strip_prefix("arn:") {
        // arn:aws[a-z-]*:sagemaker:{region}:{12 digits}:pipeline/{name}
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        return parts.len() == 5
            && parts[0].starts_with("aws")
            && parts[0].chars().all(|c| c.is_ascii_lowercase() || c == '-')
            && parts[1] == "sagemaker"
            && parts[2]
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && parts[3].len() == 12
            && parts[3].chars().all(|c| c.is_ascii_digit())
            && parts[4]
                .strip_prefix("pipeline/")
                .is_some_and(|n| is_sagemaker_name(n, 256));
    }
    is_sagemaker_name(p, 256)
}

fn is_parameter_name(n: &str) -> bool {
    !n.is_empty() && n.len() <= 256 && n.chars().all(|c| is_alnum(c) || c == '-' || c == '_')
}

impl RetrainConfig {
    /// Parses and validates `config/retrain.json`; `key` names the file in errors.
    ///
    /// # Errors
    /// [`CoreError::Config`] naming the file and the field (`pipelines[i].field`).
    pub fn from_json(key: &str, bytes: &[u8]) -> Result<Self, CoreError> {
        let cfg: RetrainConfig = serde_json::from_slice(bytes).map_err(|e| CoreError::Config {
            field: format!("{key}:{}:{}", e.line(), e.column()),
            value: String::new(),
            message: e.to_string(),
        })?;
        cfg.validate(key)?;
        Ok(cfg)
    }

    /// Checks every field (module docs).
    ///
    /// Why it is long: one flat check per field of `config/retrain.json`, in the order of the
    /// file, each with its own message; there is no shared logic to factor out.
    ///
    /// # Errors
    /// [`CoreError::Config`] naming `{key}: pipelines[i].{field}` and the value.
    pub fn validate(&self, key: &str) -> Result<(), CoreError> {
        let mut exact: BTreeMap<&str, usize> = BTreeMap::new();
        let mut prefixes: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, p) in self.pipelines.iter().enumerate() {
            let bad = |field: &str, value: String, message: String| CoreError::Config {
                field: format!("{key}: pipelines[{i}].{field}"),
                value,
                message,
            };
            if p.alarms.is_empty() && p.alarm_name_prefix.is_none() {
                return Err(bad(
                    "alarms",
                    String::new(),
                    "give `alarms` (exact names) or `alarm_name_prefix`".into(),
                ));
            }
            for (j, a) in p.alarms.iter().enumerate() {
                if a.trim().is_empty() || a.len() > 255 {
                    return Err(bad(
                        &format!("alarms[{j}]"),
                        a.clone(),
                        "an alarm name of 1 to 255 characters".into(),
                    ));
                }
                if let Some(other) = exact.insert(a, i) {
                    return Err(bad(
                        &format!("alarms[{j}]"),
                        a.clone(),
                        format!("already listed in pipelines[{other}]"),
                    ));
                }
            }
            if let Some(prefix) = &p.alarm_name_prefix {
                if prefix.is_empty() {
                    return Err(bad(
                        "alarm_name_prefix",
                        prefix.clone(),
                        "must not be empty (it would match every alarm)".into(),
                    ));
                }
                if let Some(other) = prefixes.insert(prefix, i) {
                    return Err(bad(
                        "alarm_name_prefix",
                        prefix.clone(),
                        format!("already used by pipelines[{other}]"),
                    ));
                }
            }
            let monitor_ok = !p.monitor.is_empty()
                && p.monitor
                    .chars()
                    .all(|c| is_alnum(c) || c == '-' || c == '_');
            if !monitor_ok {
                return Err(bad(
                    "monitor",
                    p.monitor.clone(),
                    "a monitor name: letters, digits, - and _".into(),
                ));
            }
            if p.model.trim().is_empty() || p.model.len() > MAX_PARAMETER_VALUE {
                return Err(bad(
                    "model",
                    p.model.clone(),
                    format!("1 to {MAX_PARAMETER_VALUE} characters"),
                ));
            }
            if !is_pipeline_ref(&p.pipeline) {
                return Err(bad(
                    "pipeline",
                    p.pipeline.clone(),
                    "a pipeline name matching ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255} or an ARN \
                     arn:aws:sagemaker:{region}:{account}:pipeline/{name}"
                        .into(),
                ));
            }
            if !p.cooldown_hours.is_finite()
                || p.cooldown_hours < 0.0
                || p.cooldown_hours > MAX_COOLDOWN_HOURS
            {
                return Err(bad(
                    "cooldown_hours",
                    p.cooldown_hours.to_string(),
                    format!("between 0 and {MAX_COOLDOWN_HOURS}"),
                ));
            }
            let evidence = p.evidence();
            if let Some(list) = &p.evidence_parameters {
                let mut seen = std::collections::BTreeSet::new();
                for e in list {
                    if !seen.insert(*e) {
                        return Err(bad(
                            "evidence_parameters",
                            e.name().into(),
                            "listed twice".into(),
                        ));
                    }
                }
            }
            for (name, value) in &p.parameters {
                if !is_parameter_name(name) {
                    return Err(bad(
                        &format!("parameters.{name}"),
                        name.clone(),
                        "a parameter name matching ^[A-Za-z0-9\\-_]*$, 1 to 256 characters".into(),
                    ));
                }
                if value.chars().count() > MAX_PARAMETER_VALUE {
                    return Err(bad(
                        &format!("parameters.{name}"),
                        value.chars().take(40).collect::<String>() + "…",
                        format!("at most {MAX_PARAMETER_VALUE} characters"),
                    ));
                }
                if evidence.iter().any(|e| e.name() == name) {
                    return Err(bad(
                        &format!("parameters.{name}"),
                        value.clone(),
                        "collides with the evidence parameter of the same name (drop it from \
                         `evidence_parameters` to pass a static value)"
                            .into(),
                    ));
                }
            }
            if p.parameters.len() + evidence.len() > MAX_PARAMETERS {
                return Err(bad(
                    "parameters",
                    p.parameters.len().to_string(),
                    format!("at most {MAX_PARAMETERS} parameters per start, evidence included"),
                ));
            }
        }
        Ok(())
    }

    /// The entry an alarm belongs to: an exact name first, else the longest matching prefix.
    pub fn pipeline_for(&self, alarm_name: &str) -> Option<&PipelineConfig> {
        self.pipelines
            .iter()
            .find(|p| p.alarms.iter().any(|a| a == alarm_name))
            .or_else(|| {
                self.pipelines
                    .iter()
                    .filter_map(|p| {
                        p.alarm_name_prefix
                            .as_deref()
                            .filter(|pre| alarm_name.starts_with(pre))
                            .map(|pre| (pre.len(), p))
                    })
                    .max_by_key(|(len, _)| *len)
                    .map(|(_, p)| p)
            })
    }
}

impl PipelineConfig {
    /// The pipeline's name (the last part of an ARN): the storm-control and audit key.
    pub fn pipeline_name(&self) -> &str {
        pipeline_name_of(&self.pipeline)
    }

    /// The cooldown as a duration (millisecond resolution).
    pub fn cooldown(&self) -> TimeDelta {
        // validated: 0 ≤ hours ≤ 8760, so the product fits an i64 comfortably
        TimeDelta::milliseconds((self.cooldown_hours * 3_600_000.0).round() as i64)
    }

    /// The evidence parameters sent with each start.
    pub fn evidence(&self) -> Vec<EvidenceParameter> {
        self.evidence_parameters
            .clone()
            .unwrap_or_else(|| EvidenceParameter::ALL.to_vec())
    }
}

/// Loads and validates `config/retrain.json`.
///
/// # Errors
/// [`CoreError::Config`] when the file is missing or invalid; store errors as they come.
pub async fn load_config<S: ObjectStore>(store: &S) -> Result<RetrainConfig, CoreError> {
    match get_optional(store, RETRAIN_CONFIG_KEY).await? {
        Some(bytes) => RetrainConfig::from_json(RETRAIN_CONFIG_KEY, &bytes),
        None => Err(CoreError::Config {
            field: RETRAIN_CONFIG_KEY.into(),
            value: String::new(),
            message: "missing: the retraining trigger needs it to map alarms to pipelines".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retrain::test_support::*;
    use serde_json::json;

    // ---- configuration -------------------------------------------------------------

    #[test]
    fn config_parses_with_defaults_and_maps_alarms() {
        let cfg = RetrainConfig::from_json(
            RETRAIN_CONFIG_KEY,
            json!({"pipelines": [
                {"alarm_name_prefix": "churn-", "monitor": "churn-dq", "model": "m1", "pipeline": "generic"},
                {"alarm_name_prefix": "churn-dq-", "monitor": "churn-dq", "model": "m2", "pipeline": "dq"},
                {"alarms": ["churn-dq-special"], "monitor": "churn-dq", "model": "m3", "pipeline": PIPELINE_ARN, "cooldown_hours": 0.5}
            ]})
            .to_string()
            .as_bytes(),
        )
        .unwrap();
        assert!(!cfg.dry_run);
        assert_eq!(cfg.pipelines[0].cooldown_hours, 6.0);
        assert_eq!(cfg.pipelines[0].cooldown(), TimeDelta::hours(6));
        assert_eq!(cfg.pipelines[2].cooldown(), TimeDelta::minutes(30));
        assert_eq!(cfg.pipelines[0].evidence(), EvidenceParameter::ALL.to_vec());
        // exact beats prefix; the longest prefix wins; no match → None
        assert_eq!(cfg.pipeline_for("churn-dq-special").unwrap().model, "m3");
        assert_eq!(
            cfg.pipeline_for("churn-dq-balance-drift").unwrap().model,
            "m2"
        );
        assert_eq!(cfg.pipeline_for("churn-latency").unwrap().model, "m1");
        assert!(cfg.pipeline_for("fraud-dq").is_none());
        assert_eq!(cfg.pipelines[2].pipeline_name(), "churn-retrain");
        assert_eq!(cfg.pipelines[1].pipeline_name(), "dq");
    }

    #[test]
    fn config_errors_name_the_field() {
        let err = |v: serde_json::Value| {
            RetrainConfig::from_json(RETRAIN_CONFIG_KEY, v.to_string().as_bytes())
                .unwrap_err()
                .to_string()
        };
        let base = json!({"alarms": ["a"], "monitor": "churn-dq", "model": "m", "pipeline": "p"});
        let with = |k: &str, v: serde_json::Value| {
            let mut p = base.clone();
            p[k] = v;
            json!({"pipelines": [p]})
        };
        let e = err(json!({"pipelines": [{"monitor": "churn-dq", "model": "m", "pipeline": "p"}]}));
        assert!(
            e.contains("config/retrain.json: pipelines[0].alarms"),
            "{e}"
        );
        let e = err(with("cooldown_hours", json!(-1)));
        assert!(
            e.contains("pipelines[0].cooldown_hours") && e.contains("\"-1\""),
            "{e}"
        );
        let e = err(with(
            "pipeline",
            json!("arn:aws:sagemaker:us-east-1:1234:pipeline/x"),
        ));
        assert!(e.contains("pipelines[0].pipeline"), "{e}");
        let e = err(with("pipeline", json!("-bad-")));
        assert!(e.contains("pipelines[0].pipeline"), "{e}");
        let e = err(with("monitor", json!("a b")));
        assert!(e.contains("pipelines[0].monitor"), "{e}");
        let e = err(with("parameters", json!({"AlarmName": "x"})));
        assert!(
            e.contains("pipelines[0].parameters.AlarmName") && e.contains("collides"),
            "{e}"
        );
        // …unless the evidence parameter is not sent
        let mut ok = with("parameters", json!({"AlarmName": "x"}));
        ok["pipelines"][0]["evidence_parameters"] = json!(["ViolationsUri"]);
        assert!(RetrainConfig::from_json("k", ok.to_string().as_bytes()).is_ok());
        let e = err(with("parameters", json!({"bad name": "x"})));
        assert!(e.contains("pipelines[0].parameters.bad name"), "{e}");
        let e = err(with("parameters", json!({"Long": "x".repeat(1025)})));
        assert!(e.contains("at most 1024"), "{e}");
        let e = err(with(
            "evidence_parameters",
            json!(["AlarmName", "AlarmName"]),
        ));
        assert!(
            e.contains("evidence_parameters") && e.contains("twice"),
            "{e}"
        );
        let e = err(with("evidence_parameters", json!(["Nope"])));
        assert!(e.contains("config/retrain.json:"), "{e}");
        let e = err(json!({"pipelines": [base.clone(), base.clone()]}));
        assert!(
            e.contains("pipelines[1].alarms[0]") && e.contains("pipelines[0]"),
            "{e}"
        );
        let e = err(with("alarm_name_prefix", json!("")));
        assert!(e.contains("pipelines[0].alarm_name_prefix"), "{e}");
        let e = err(with("colldown_hours", json!(1)));
        assert!(e.contains("unknown field `colldown_hours`"), "{e}");
    }
}
