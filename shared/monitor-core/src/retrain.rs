//! Alarm-driven retraining: when a monitor's CloudWatch alarm goes to `ALARM`, start the
//! SageMaker pipeline that retrains the model — once per event, with the evidence attached,
//! and never in a storm (spec §13).
//!
//! The pieces, from pure to effectful:
//!
//! * [`RetrainConfig`] (`config/retrain.json`): which alarm belongs to which monitor, model
//!   and pipeline, the cooldown and static pipeline parameters.
//! * [`AlarmEvent`]: the EventBridge "CloudWatch Alarm State Change" event (spec §13.1).
//! * [`decide`]: the pure storm-control rule over the [`Facts`] of one event.
//! * [`RetrainLauncher`]: the port that lists running executions and starts one; the
//!   SageMaker adapter lives in the `monitor-sagemaker` crate, [`FileLauncher`] records runs
//!   in the store for the local demo and tests.
//! * [`run`]: the use case — one call per event.
//! * [`evaluate_alarm`] and [`alarm_state_change_event`]: CloudWatch's M-of-N alarm rule
//!   over a metric series, and the event EventBridge would deliver for each transition, so
//!   the local demo drives [`run`] exactly like AWS does.
//!
//! # Configuration: `config/retrain.json`
//!
//! ```json
//! {
//!   "dry_run": false,
//!   "pipelines": [
//!     {
//!       "alarms": ["churn-dq-balance-drift"],
//!       "alarm_name_prefix": "churn-dq-",
//!       "monitor": "churn-dq",
//!       "model": "churn-xgb",
//!       "pipeline": "arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-retrain",
//!       "cooldown_hours": 6,
//!       "parameters": {"TrainingInstanceType": "ml.m5.xlarge"},
//!       "evidence_parameters": ["AlarmName", "ViolationsUri"]
//!     }
//!   ]
//! }
//! ```
//!
//! * `alarms` (exact names) and/or `alarm_name_prefix`: at least one is required. An alarm
//!   name listed exactly wins over prefixes; among prefixes the longest match wins. The same
//!   exact name or the same prefix in two entries is rejected.
//! * `monitor`: the modelwatch monitor (`config/monitors/{monitor}.json`) whose reports hold
//!   the evidence; `model`: free text, passed on as the `Model` parameter.
//! * `pipeline`: the pipeline's name or ARN (`StartPipelineExecution`'s `PipelineName`).
//!   Storm control (cooldown, running check, audit folder) is per pipeline *name*.
//! * `cooldown_hours` (default 6, `0` = no cooldown, at most 8760): no new start within this
//!   time after the pipeline's last start.
//! * `parameters`: static pipeline parameters added to every start. Names follow
//!   SageMaker's `^[A-Za-z0-9\-_]*$` (1–256 characters), values at most 1024 characters,
//!   and must not collide with an evidence parameter that is sent.
//! * `evidence_parameters` (default: all of [`EvidenceParameter::ALL`]): which evidence
//!   parameters are sent. SageMaker pipelines should declare every parameter they are
//!   started with; list only the ones the pipeline declares.
//! * `dry_run` (default `false`; the Lambda's `MODELWATCH_DRY_RUN` overrides it): decide and
//!   record, start nothing.
//!
//! Every field is validated at load time; errors name the field, e.g.
//! `config/retrain.json: pipelines[0].cooldown_hours`.
//!
//! # Evidence parameters
//!
//! | parameter | value |
//! | --- | --- |
//! | `AlarmName` | `detail.alarmName` |
//! | `AlarmReason` | `detail.state.reason` (cut to 1024 characters) |
//! | `AlarmTime` | `detail.state.timestamp`, RFC 3339 |
//! | `MetricName`, `MetricNamespace` | the alarm's (first returned) metric |
//! | `MetricDimensions` | its dimensions as a JSON object string |
//! | `WindowStart`, `WindowEnd` | the monitoring window of the newest evaluated datapoint (see below), RFC 3339 |
//! | `ViolationsUri` | URI of that window's `constraint_violations.json`; empty when the report is missing |
//! | `Monitor`, `Model` | from the configuration |
//! | `TriggerEventId` | the EventBridge event id |
//!
//! The window: monitor-tick publishes a window's metrics with the window *start* as
//! timestamp, so the newest datapoint of `state.reasonData.evaluatedDatapoints` at `t`
//! stands for the window `[t, t + window)`, whose report folder is
//! [`report_prefix`]`(endpoint, monitor, t + window, window)` (the window length is the
//! monitor's `window_minutes`, else the alarm period). Without datapoints the window is the
//! one before the alarm's state timestamp ([`window_before`]). The endpoint comes from the
//! monitor's configuration, else from the alarm's `Endpoint` dimension.
//!
//! # Storm control and the audit trail
//!
//! [`run`] handles one event in this order (each step is a branch of [`decide`]):
//!
//! 1. `OK` / `INSUFFICIENT_DATA` → [`Decision::Ignored`] (logged, nothing recorded);
//!    an `ALARM` whose name matches no pipeline → [`Decision::Ignored`] too.
//! 2. An audit record for this event id exists → [`Decision::SkippedDuplicate`] (a
//!    redelivered event).
//! 3. The pipeline started less than `cooldown_hours` ago → [`Decision::SkippedCooldown`].
//! 4. An execution of the pipeline is `Executing` (other than the one this very event may
//!    already have started) → [`Decision::SkippedRunning`].
//! 5. Dry run → [`Decision::DryRun`]; else the pipeline is started → [`Decision::Started`].
//!
//! Keys (all under `state/retrain/`):
//!
//! ```text
//! audit/{pipeline}/{event-id}.json                        the first decision on the event
//! audit/{pipeline}/{event-id}/duplicate-{time}.json       each redelivery (skipped-duplicate)
//! starts/{pipeline}/{time}_{event-id}.json                 index of live starts (cooldown)
//! dry-run-starts/{pipeline}/{time}_{event-id}.json         index of dry-run "starts"
//! runs/{pipeline}/{client-request-token}.json              FileLauncher's pipeline runs
//! ```
//!
//! `{time}` is `%Y%m%dT%H%M%S%.3fZ` of the decision, so the newest start is the last key
//! of a listing and the cooldown needs no object reads. A dry run's cooldown also counts
//! dry-run starts, so it shows what storm control would do; a live run counts live starts
//! only.
//!
//! Idempotency: `ClientRequestToken` and the display name are derived from the event id
//! ([`client_request_token`], [`display_name`]). The audit record is written after the
//! start, so when a Lambda dies between the two the retried event finds no record, sees
//! its own execution (by display name) as not blocking, and starts again with the same
//! token — SageMaker answers with the same execution.
//!
//! Limitation: two *different* events for one pipeline handled concurrently can both pass
//! the cooldown check (the store has no conditional writes); deploy the function with
//! reserved concurrency 1 to serialise them.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, TimeDelta, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::config::MonitorConfig;
use crate::layout::{monitor_config_key, report_prefix, window_before};
use crate::store::{get_optional, ObjectStore};
use crate::CoreError;

/// Key of the retraining configuration.
pub const RETRAIN_CONFIG_KEY: &str = "config/retrain.json";
/// Prefix of everything the retraining trigger writes.
pub const RETRAIN_STATE_PREFIX: &str = "state/retrain/";
/// Default cooldown per pipeline, hours.
pub const DEFAULT_COOLDOWN_HOURS: f64 = 6.0;
/// Longest accepted cooldown, hours (one year).
pub const MAX_COOLDOWN_HOURS: f64 = 8760.0;
/// SageMaker's limit on one pipeline parameter value (API `Parameter.Value`).
pub const MAX_PARAMETER_VALUE: usize = 1024;
/// SageMaker's limit on the number of pipeline parameters of one start.
pub const MAX_PARAMETERS: usize = 200;
/// Version of the audit and run records.
pub const RECORD_VERSION: u32 = 1;

// ---------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------

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

fn is_alnum(c: char) -> bool {
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

// ---------------------------------------------------------------------------------------
// The event
// ---------------------------------------------------------------------------------------

/// CloudWatch's timestamp formats: `detail` uses `2019-10-02T17:04:40.989+0000`, the
/// envelope RFC 3339. Both are accepted; `detail` timestamps are written the CloudWatch way.
mod cw_time {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn parse(s: &str) -> Option<DateTime<Utc>> {
        DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z")
            .or_else(|_| DateTime::parse_from_rfc3339(s))
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    pub fn format(t: &DateTime<Utc>) -> String {
        t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
    }

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let raw = String::deserialize(d)?;
        parse(&raw).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "timestamp {raw:?} is neither yyyy-mm-ddTHH:MM:SS.fff+0000 nor RFC 3339"
            ))
        })
    }

    pub mod opt {
        use chrono::{DateTime, Utc};
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(
            t: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_str(&super::format(t)),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            let raw = Option::<String>::deserialize(d)?;
            raw.map(|r| {
                super::parse(&r)
                    .ok_or_else(|| serde::de::Error::custom(format!("bad timestamp {r:?}")))
            })
            .transpose()
        }
    }
}

/// The envelope `time`: RFC 3339 in, `yyyy-mm-ddTHH:MM:SSZ` out (EventBridge's form).
mod envelope_time {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Secs, true))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let raw = String::deserialize(d)?;
        super::cw_time::parse(&raw)
            .ok_or_else(|| serde::de::Error::custom(format!("time {raw:?} is not RFC 3339")))
    }
}

/// An alarm state (`OK | ALARM | INSUFFICIENT_DATA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmStateValue {
    /// `OK`
    Ok,
    /// `ALARM`
    Alarm,
    /// `INSUFFICIENT_DATA`
    InsufficientData,
}

impl AlarmStateValue {
    /// CloudWatch's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmStateValue::Ok => "OK",
            AlarmStateValue::Alarm => "ALARM",
            AlarmStateValue::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

impl std::fmt::Display for AlarmStateValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `detail.state` / `detail.previousState`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmState {
    /// the state
    pub value: AlarmStateValue,
    /// human-readable reason
    #[serde(default)]
    pub reason: String,
    /// machine-readable reason: a JSON **string** (see [`ReasonData`])
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_data: Option<String>,
    /// when the alarm entered the state (`…+0000` in the event)
    #[serde(with = "cw_time")]
    pub timestamp: DateTime<Utc>,
    /// composite alarms: what suppressed the actions
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions_suppressed_by: Option<String>,
}

/// `detail.state.reasonData`, decoded (every member optional: it is evidence, not control).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasonData {
    /// `"1.0"`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// when CloudWatch evaluated
    #[serde(
        default,
        with = "cw_time::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub query_date: Option<DateTime<Utc>>,
    /// start of the evaluation range
    #[serde(
        default,
        with = "cw_time::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_date: Option<DateTime<Utc>>,
    /// the statistic (`Average`, …)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistic: Option<String>,
    /// period, seconds
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<u32>,
    /// the values evaluated
    #[serde(default)]
    pub recent_datapoints: Vec<f64>,
    /// the threshold
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// the datapoints evaluated, with their timestamps (period starts)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evaluated_datapoints: Vec<EvaluatedDatapoint>,
}

/// One entry of `reasonData.evaluatedDatapoints`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvaluatedDatapoint {
    /// start of the datapoint's period
    #[serde(with = "cw_time")]
    pub timestamp: DateTime<Utc>,
    /// samples aggregated
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_count: Option<f64>,
    /// the statistic's value (absent for a missing datapoint)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
}

impl AlarmState {
    /// `reasonData` decoded; `None` when absent or not the documented JSON.
    pub fn reason_data(&self) -> Option<ReasonData> {
        self.reason_data
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
    }
}

/// A metric of `detail.configuration.metrics`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmMetric {
    /// query id
    #[serde(default)]
    pub id: String,
    /// the metric, for metric alarms
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_stat: Option<MetricStat>,
    /// metric math
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// label
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// whether this query is the alarm's result
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_data: Option<bool>,
}

/// `metricStat`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricStat {
    /// the metric
    pub metric: MetricRef,
    /// period, seconds
    #[serde(default)]
    pub period: u32,
    /// statistic
    #[serde(default)]
    pub stat: String,
    /// unit
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// `metricStat.metric`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricRef {
    /// namespace
    #[serde(default)]
    pub namespace: String,
    /// metric name
    #[serde(default)]
    pub name: String,
    /// dimensions
    #[serde(default)]
    pub dimensions: BTreeMap<String, String>,
}

/// `detail.configuration`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmConfiguration {
    /// the alarm's description
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// the metric queries (metric alarms)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<AlarmMetric>,
    /// composite alarms: the rule
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_rule: Option<String>,
}

/// `detail` of a "CloudWatch Alarm State Change" event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmDetail {
    /// the alarm
    pub alarm_name: String,
    /// its configuration
    #[serde(default)]
    pub configuration: AlarmConfiguration,
    /// the state it left
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_state: Option<AlarmState>,
    /// the state it entered
    pub state: AlarmState,
}

impl AlarmDetail {
    /// The alarm's metric: the first with a `metricStat` whose `returnData` is not false.
    pub fn metric(&self) -> Option<&MetricStat> {
        self.configuration
            .metrics
            .iter()
            .filter(|m| m.return_data != Some(false))
            .find_map(|m| m.metric_stat.as_ref())
            .or_else(|| {
                self.configuration
                    .metrics
                    .iter()
                    .find_map(|m| m.metric_stat.as_ref())
            })
    }
}

/// Detail type of the event.
pub const ALARM_STATE_CHANGE: &str = "CloudWatch Alarm State Change";

/// The EventBridge event (spec §13.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct AlarmEvent {
    /// `"0"`
    #[serde(default)]
    pub version: String,
    /// event id: redeliveries repeat it
    pub id: String,
    /// `CloudWatch Alarm State Change`
    pub detail_type: String,
    /// `aws.cloudwatch`
    pub source: String,
    /// account id
    #[serde(default)]
    pub account: String,
    /// when EventBridge received it
    #[serde(with = "envelope_time")]
    pub time: DateTime<Utc>,
    /// region
    #[serde(default)]
    pub region: String,
    /// the alarm's ARN
    #[serde(default)]
    pub resources: Vec<String>,
    /// the change
    pub detail: AlarmDetail,
}

impl AlarmEvent {
    /// Parses the event JSON.
    ///
    /// # Errors
    /// [`CoreError::Config`] with field `event` and serde's message (line, column).
    pub fn from_json(bytes: &[u8]) -> Result<Self, CoreError> {
        serde_json::from_slice(bytes).map_err(|e| CoreError::Config {
            field: "event".into(),
            value: String::new(),
            message: e.to_string(),
        })
    }
}

// ---------------------------------------------------------------------------------------
// Decisions
// ---------------------------------------------------------------------------------------

/// What the trigger did with one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "kebab-case")]
pub enum Decision {
    /// the pipeline was started
    Started {
        /// the execution
        execution_arn: String,
    },
    /// the pipeline started too recently
    SkippedCooldown {
        /// its last start
        last_started: DateTime<Utc>,
        /// no start before this
        until: DateTime<Utc>,
    },
    /// an execution of the pipeline is still `Executing`
    SkippedRunning {
        /// that execution
        running_execution: String,
    },
    /// this event was handled before (a redelivery)
    SkippedDuplicate {
        /// the first decision on it
        previous: Box<Decision>,
    },
    /// dry run: the pipeline would have been started
    DryRun,
    /// nothing to do (not `ALARM`, or no pipeline for the alarm)
    Ignored {
        /// why
        reason: String,
    },
}

impl Decision {
    /// The kebab-case name (`started`, `skipped-cooldown`, …), as in the audit records.
    pub fn kind(&self) -> &'static str {
        match self {
            Decision::Started { .. } => "started",
            Decision::SkippedCooldown { .. } => "skipped-cooldown",
            Decision::SkippedRunning { .. } => "skipped-running",
            Decision::SkippedDuplicate { .. } => "skipped-duplicate",
            Decision::DryRun => "dry-run",
            Decision::Ignored { .. } => "ignored",
        }
    }

    /// The execution started, if any.
    pub fn execution_arn(&self) -> Option<&str> {
        match self {
            Decision::Started { execution_arn } => Some(execution_arn),
            _ => None,
        }
    }
}

/// An execution the launcher reports as `Executing`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunningExecution {
    /// execution ARN
    pub arn: String,
    /// its display name, when it has one
    pub display_name: Option<String>,
}

/// Everything [`decide`] looks at for one event.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// the state the alarm entered
    pub state: AlarmStateValue,
    /// the alarm
    pub alarm_name: &'a str,
    /// the configuration entry of the alarm, if any
    pub pipeline: Option<&'a PipelineConfig>,
    /// when the decision is made
    pub now: DateTime<Utc>,
    /// the decision already recorded for this event id, if any
    pub previous: Option<&'a Decision>,
    /// the pipeline's last start (live starts; dry runs count dry-run starts too)
    pub last_started: Option<DateTime<Utc>>,
    /// the pipeline's `Executing` executions; `None` when not looked up yet
    pub running: Option<&'a [RunningExecution]>,
    /// the display name this event's execution gets ([`display_name`])
    pub own_display_name: &'a str,
    /// decide and record, start nothing
    pub dry_run: bool,
}

/// What [`decide`] concludes.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// start the pipeline
    Start,
    /// the running executions are needed to go on: look them up and decide again
    CheckRunning,
    /// final: nothing is started
    Stop(Decision),
}

/// The storm-control rule (module docs, steps 1–5), pure.
///
/// The running check comes last because it is the only fact that costs an API call: with
/// `facts.running == None` the answer is [`Verdict::CheckRunning`] exactly when every other
/// check passed. Running executions named `own_display_name` do not block: they are this
/// event's own start, whose record was not written (the start is repeated with the same
/// `ClientRequestToken`, so SageMaker returns the same execution).
pub fn decide(facts: &Facts<'_>) -> Verdict {
    if facts.state != AlarmStateValue::Alarm {
        return Verdict::Stop(Decision::Ignored {
            reason: format!(
                "alarm {} went to {}: only ALARM starts retraining",
                facts.alarm_name, facts.state
            ),
        });
    }
    let Some(pipeline) = facts.pipeline else {
        return Verdict::Stop(Decision::Ignored {
            reason: format!(
                "alarm {} belongs to no pipeline in {RETRAIN_CONFIG_KEY}",
                facts.alarm_name
            ),
        });
    };
    if let Some(previous) = facts.previous {
        return Verdict::Stop(Decision::SkippedDuplicate {
            previous: Box::new(previous.clone()),
        });
    }
    if let Some(last) = facts.last_started {
        let until = last + pipeline.cooldown();
        if facts.now < until {
            return Verdict::Stop(Decision::SkippedCooldown {
                last_started: last,
                until,
            });
        }
    }
    let Some(running) = facts.running else {
        return Verdict::CheckRunning;
    };
    if let Some(other) = running
        .iter()
        .find(|r| r.display_name.as_deref() != Some(facts.own_display_name))
    {
        return Verdict::Stop(Decision::SkippedRunning {
            running_execution: other.arn.clone(),
        });
    }
    if facts.dry_run {
        return Verdict::Stop(Decision::DryRun);
    }
    Verdict::Start
}

// ---------------------------------------------------------------------------------------
// Deterministic names and keys
// ---------------------------------------------------------------------------------------

/// FNV-1a, 128 bits (offset basis and prime from the FNV specification,
/// draft-eastlake-fnv: prime 2^88 + 2^8 + 0x3b). A stable, dependency-free hash for
/// idempotency keys; not a security primitive.
pub fn fnv1a_128(bytes: &[u8]) -> u128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = (1 << 88) + (1 << 8) + 0x3b;
    bytes
        .iter()
        .fold(OFFSET, |h, b| (h ^ u128::from(*b)).wrapping_mul(PRIME))
}

fn keep_token_chars(s: &str) -> String {
    s.chars().filter(|c| is_alnum(*c) || *c == '-').collect()
}

/// `ClientRequestToken` of the start an event causes: `mw-` + the 32 hex digits of
/// [`fnv1a_128`]`("{pipeline}\n{event id}")` + `-` + the event id's letters, digits and
/// hyphens, cut to 128 characters. Deterministic, 35–128 characters (the API's 32–128).
pub fn client_request_token(pipeline_name: &str, event_id: &str) -> String {
    let h = fnv1a_128(format!("{pipeline_name}\n{event_id}").as_bytes());
    let mut t = format!("mw-{h:032x}-{}", keep_token_chars(event_id));
    t.truncate(128);
    if t.ends_with('-') {
        t.pop();
    }
    t
}

/// `PipelineExecutionDisplayName` of the start an event causes: `mw-{alarm}-{hash}` where
/// `{alarm}` is the alarm name with runs of other characters turned into one `-` (at most
/// 40 characters) and `{hash}` the low 64 bits of [`fnv1a_128`]`(event id)` in hex. Matches
/// `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}` (at most 60 characters).
pub fn display_name(alarm_name: &str, event_id: &str) -> String {
    let mut slug = String::new();
    for c in alarm_name.chars() {
        if is_alnum(c) {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    let h = fnv1a_128(event_id.as_bytes()) as u64;
    if slug.is_empty() {
        format!("mw-alarm-{h:016x}")
    } else {
        format!("mw-{slug}-{h:016x}")
    }
}

/// The event id as a key segment: itself when it is 1–128 characters of
/// `[A-Za-z0-9._-]` not starting with `.`; else `h` + the hex of [`fnv1a_128`].
pub fn event_key(event_id: &str) -> String {
    let plain = !event_id.is_empty()
        && event_id.len() <= 128
        && !event_id.starts_with('.')
        && event_id
            .chars()
            .all(|c| is_alnum(c) || matches!(c, '-' | '_' | '.'));
    if plain {
        event_id.to_string()
    } else {
        format!("h{:032x}", fnv1a_128(event_id.as_bytes()))
    }
}

fn compact_time(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%S%.3fZ").to_string()
}

fn parse_compact_time(s: &str) -> Option<DateTime<Utc>> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%S%.3fZ")
        .ok()
        .map(|n| Utc.from_utc_datetime(&n))
}

/// `state/retrain/audit/{pipeline}/{event}.json`: the first decision on an event.
pub fn audit_key(pipeline_name: &str, event_id: &str) -> String {
    format!(
        "{RETRAIN_STATE_PREFIX}audit/{pipeline_name}/{}.json",
        event_key(event_id)
    )
}

/// `state/retrain/audit/{pipeline}/{event}/duplicate-{time}.json`: one redelivery.
pub fn duplicate_key(pipeline_name: &str, event_id: &str, at: DateTime<Utc>) -> String {
    format!(
        "{RETRAIN_STATE_PREFIX}audit/{pipeline_name}/{}/duplicate-{}.json",
        event_key(event_id),
        compact_time(at)
    )
}

/// Prefix of a pipeline's start index (`dry_run`: the dry-run index).
pub fn starts_prefix(pipeline_name: &str, dry_run: bool) -> String {
    let kind = if dry_run { "dry-run-starts" } else { "starts" };
    format!("{RETRAIN_STATE_PREFIX}{kind}/{pipeline_name}/")
}

/// Key of one start in the index: `{prefix}{time}_{event}.json`.
pub fn start_index_key(
    pipeline_name: &str,
    dry_run: bool,
    at: DateTime<Utc>,
    event_id: &str,
) -> String {
    format!(
        "{}{}_{}.json",
        starts_prefix(pipeline_name, dry_run),
        compact_time(at),
        event_key(event_id)
    )
}

/// Prefix of the runs [`FileLauncher`] records for a pipeline.
pub fn runs_prefix(pipeline_name: &str) -> String {
    format!("{RETRAIN_STATE_PREFIX}runs/{pipeline_name}/")
}

/// Key of `constraint_violations.json` of a monitor's window ([`report_prefix`]).
pub fn violations_key(
    endpoint: &str,
    monitor: &str,
    window_end: DateTime<Utc>,
    window_minutes: u32,
) -> String {
    format!(
        "{}constraint_violations.json",
        report_prefix(endpoint, monitor, window_end, window_minutes)
    )
}

// ---------------------------------------------------------------------------------------
// Evidence
// ---------------------------------------------------------------------------------------

/// One pipeline parameter (`Name`, `Value`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineParameter {
    /// name
    pub name: String,
    /// value
    pub value: String,
}

/// The monitoring window an alarm's newest evaluated datapoint stands for (module docs).
///
/// `window_minutes` is the monitor's window when known. Returns `(start, end)`.
pub fn alarm_window(
    detail: &AlarmDetail,
    window_minutes: Option<u32>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let reason = detail.state.reason_data();
    let period_secs = reason
        .as_ref()
        .and_then(|r| r.period)
        .or_else(|| detail.metric().map(|m| m.period))
        .filter(|p| *p > 0);
    let minutes = window_minutes
        .or_else(|| period_secs.map(|p| p.div_ceil(60)))
        .unwrap_or(60)
        .max(1);
    let newest = reason.as_ref().and_then(|r| {
        r.evaluated_datapoints
            .iter()
            .filter(|d| d.value.is_some())
            .map(|d| d.timestamp)
            .max()
    });
    match newest {
        Some(t) => (t, t + TimeDelta::minutes(i64::from(minutes))),
        None => window_before(detail.state.timestamp, minutes),
    }
}

/// The evidence of one event, before it becomes parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// monitoring window start
    pub window_start: DateTime<Utc>,
    /// monitoring window end
    pub window_end: DateTime<Utc>,
    /// store key of the window's `constraint_violations.json` (when an endpoint is known)
    pub violations_key: Option<String>,
    /// whether that object exists
    pub violations_present: bool,
    /// its URI (`store_uri` + key), empty when it does not exist
    pub violations_uri: String,
}

fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The parameters of a start: the evidence selected by the configuration, then the static
/// parameters. Values are cut to [`MAX_PARAMETER_VALUE`] characters.
pub fn pipeline_parameters(
    event: &AlarmEvent,
    cfg: &PipelineConfig,
    evidence: &Evidence,
) -> Vec<PipelineParameter> {
    let metric = event.detail.metric();
    let mut out: Vec<PipelineParameter> = cfg
        .evidence()
        .into_iter()
        .map(|e| {
            let value = match e {
                EvidenceParameter::AlarmName => event.detail.alarm_name.clone(),
                EvidenceParameter::AlarmReason => event.detail.state.reason.clone(),
                EvidenceParameter::AlarmTime => rfc3339(event.detail.state.timestamp),
                EvidenceParameter::MetricName => {
                    metric.map(|m| m.metric.name.clone()).unwrap_or_default()
                }
                EvidenceParameter::MetricNamespace => metric
                    .map(|m| m.metric.namespace.clone())
                    .unwrap_or_default(),
                EvidenceParameter::MetricDimensions => metric
                    .map(|m| {
                        serde_json::to_string(&m.metric.dimensions).unwrap_or_else(|_| "{}".into())
                    })
                    .unwrap_or_else(|| "{}".into()),
                EvidenceParameter::WindowStart => rfc3339(evidence.window_start),
                EvidenceParameter::WindowEnd => rfc3339(evidence.window_end),
                EvidenceParameter::ViolationsUri => evidence.violations_uri.clone(),
                EvidenceParameter::Monitor => cfg.monitor.clone(),
                EvidenceParameter::Model => cfg.model.clone(),
                EvidenceParameter::TriggerEventId => event.id.clone(),
            };
            PipelineParameter {
                name: e.name().into(),
                value: cut(&value, MAX_PARAMETER_VALUE),
            }
        })
        .collect();
    out.extend(cfg.parameters.iter().map(|(k, v)| PipelineParameter {
        name: k.clone(),
        value: cut(v, MAX_PARAMETER_VALUE),
    }));
    out
}

async fn gather_evidence<S: ObjectStore>(
    store: &S,
    event: &AlarmEvent,
    cfg: &PipelineConfig,
    store_uri: &str,
) -> Result<Evidence, CoreError> {
    let monitor = match get_optional(store, &monitor_config_key(&cfg.monitor)).await? {
        Some(bytes) => match MonitorConfig::from_json(&monitor_config_key(&cfg.monitor), &bytes) {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::warn!(monitor = %cfg.monitor, error = %e, "monitor config unreadable: evidence from the alarm only");
                None
            }
        },
        None => {
            tracing::warn!(monitor = %cfg.monitor, "monitor config missing: evidence from the alarm only");
            None
        }
    };
    let window_minutes = monitor.as_ref().map(|m| m.window_minutes);
    let (window_start, window_end) = alarm_window(&event.detail, window_minutes);
    let endpoint = monitor.as_ref().map(|m| m.endpoint.clone()).or_else(|| {
        event
            .detail
            .metric()
            .and_then(|m| m.metric.dimensions.get("Endpoint").cloned())
    });
    let minutes = u32::try_from((window_end - window_start).num_minutes()).unwrap_or(60);
    let key = endpoint.map(|ep| violations_key(&ep, &cfg.monitor, window_end, minutes));
    let present = match &key {
        Some(k) => store.list(k).await?.iter().any(|x| x == k),
        None => false,
    };
    if !present {
        tracing::warn!(key = ?key, "constraint_violations.json of the alarm's window not found");
    }
    let violations_uri = match (&key, present) {
        (Some(k), true) => format!("{store_uri}{k}"),
        _ => String::new(),
    };
    Ok(Evidence {
        window_start,
        window_end,
        violations_key: key,
        violations_present: present,
        violations_uri,
    })
}

// ---------------------------------------------------------------------------------------
// The port and the file launcher
// ---------------------------------------------------------------------------------------

/// Capability: see and start a pipeline's executions.
pub trait RetrainLauncher: Send + Sync {
    /// The executions of `pipeline` (name or ARN) whose status is `Executing`.
    fn running_executions(
        &self,
        pipeline: &str,
    ) -> impl Future<Output = Result<Vec<RunningExecution>, CoreError>> + Send;

    /// Starts `pipeline`; returns the execution ARN. A repeated `client_request_token`
    /// must not start a second execution.
    fn start(
        &self,
        pipeline: &str,
        client_request_token: &str,
        display_name: &str,
        parameters: &[(String, String)],
    ) -> impl Future<Output = Result<String, CoreError>> + Send;
}

/// A pipeline run recorded by [`FileLauncher`] at `state/retrain/runs/{pipeline}/{token}.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineRun {
    /// [`RECORD_VERSION`]
    pub version: u32,
    /// pipeline name or ARN as started
    pub pipeline: String,
    /// the execution's (local) ARN
    pub execution_arn: String,
    /// idempotency token
    pub client_request_token: String,
    /// display name
    pub display_name: String,
    /// parameters, in request order
    pub parameters: Vec<PipelineParameter>,
    /// launcher clock at the start
    pub started_at: DateTime<Utc>,
    /// `Executing` until then; `None` = until [`FileLauncher::finish`]
    pub executing_until: Option<DateTime<Utc>>,
    /// final status set by [`FileLauncher::finish`]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_status: Option<String>,
}

impl PipelineRun {
    /// SageMaker's `PipelineExecutionStatus` at `now`: the final status when set, else
    /// `Executing` before `executing_until` (forever when `None`), `Succeeded` after.
    pub fn status_at(&self, now: DateTime<Utc>) -> &str {
        match (&self.final_status, self.executing_until) {
            (Some(s), _) => s,
            (None, Some(until)) if now >= until => "Succeeded",
            (None, _) => "Executing",
        }
    }
}

/// The launcher's clock.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The local launcher: records each start as a [`PipelineRun`] in the store and reports it
/// `Executing` for a configurable time.
///
/// * [`FileLauncher::new`]: runs finish at once (`Succeeded`, like moto).
/// * [`FileLauncher::with_run_duration`]`(Some(d))`: `Executing` for `d` after the start,
///   by the launcher's clock ([`FileLauncher::with_clock`]; default the system clock — the
///   demo passes its simulated time).
/// * [`FileLauncher::with_run_duration`]`(None)`: `Executing` until [`FileLauncher::finish`].
///
/// Starting again with a token already recorded returns the recorded execution (SageMaker's
/// idempotency).
#[derive(Clone)]
pub struct FileLauncher<S> {
    store: S,
    run_for: Option<TimeDelta>,
    clock: Clock,
}

impl<S> std::fmt::Debug for FileLauncher<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileLauncher")
            .field("run_for", &self.run_for)
            .finish_non_exhaustive()
    }
}

impl<S: ObjectStore> FileLauncher<S> {
    /// A launcher whose runs finish at once, on the system clock.
    pub fn new(store: S) -> Self {
        Self {
            store,
            run_for: Some(TimeDelta::zero()),
            clock: Arc::new(Utc::now),
        }
    }

    /// How long runs stay `Executing`; `None` = until [`FileLauncher::finish`].
    pub fn with_run_duration(mut self, run_for: Option<TimeDelta>) -> Self {
        self.run_for = run_for;
        self
    }

    /// The clock the run durations are measured on.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    fn run_key(pipeline: &str, token: &str) -> String {
        format!(
            "{}{}.json",
            runs_prefix(pipeline_name_of(pipeline)),
            event_key(token)
        )
    }

    /// Every run recorded for `pipeline` (name or ARN), in key order.
    ///
    /// # Errors
    /// Store errors; [`CoreError::State`] for a record that does not parse.
    pub async fn runs(&self, pipeline: &str) -> Result<Vec<PipelineRun>, CoreError> {
        let mut out = Vec::new();
        for key in self
            .store
            .list(&runs_prefix(pipeline_name_of(pipeline)))
            .await?
        {
            out.push(read_json(&self.store, &key).await?);
        }
        Ok(out)
    }

    /// Ends a run with a final status (`Succeeded`, `Failed`, `Stopped`).
    ///
    /// # Errors
    /// [`CoreError::NotFound`] when no run of `pipeline` has that ARN; store errors.
    pub async fn finish(
        &self,
        pipeline: &str,
        execution_arn: &str,
        status: &str,
    ) -> Result<(), CoreError> {
        for key in self
            .store
            .list(&runs_prefix(pipeline_name_of(pipeline)))
            .await?
        {
            let mut run: PipelineRun = read_json(&self.store, &key).await?;
            if run.execution_arn == execution_arn {
                run.final_status = Some(status.to_string());
                return write_json(&self.store, &key, &run).await;
            }
        }
        Err(CoreError::NotFound {
            key: format!("{}{execution_arn}", runs_prefix(pipeline_name_of(pipeline))),
        })
    }
}

impl<S: ObjectStore> RetrainLauncher for FileLauncher<S> {
    async fn running_executions(&self, pipeline: &str) -> Result<Vec<RunningExecution>, CoreError> {
        let now = (self.clock)();
        Ok(self
            .runs(pipeline)
            .await?
            .into_iter()
            .filter(|r| r.status_at(now) == "Executing")
            .map(|r| RunningExecution {
                arn: r.execution_arn,
                display_name: Some(r.display_name),
            })
            .collect())
    }

    async fn start(
        &self,
        pipeline: &str,
        client_request_token: &str,
        display_name: &str,
        parameters: &[(String, String)],
    ) -> Result<String, CoreError> {
        let key = Self::run_key(pipeline, client_request_token);
        if let Some(bytes) = get_optional(&self.store, &key).await? {
            let run: PipelineRun = parse_json(&key, &bytes)?;
            return Ok(run.execution_arn);
        }
        let now = (self.clock)();
        // 12 lowercase base-36 characters, like SageMaker's execution ids.
        let mut h = fnv1a_128(client_request_token.as_bytes());
        let id: String = (0..12)
            .map(|_| {
                let d = (h % 36) as u32;
                h /= 36;
                char::from_digit(d, 36).unwrap_or('0')
            })
            .collect();
        let run = PipelineRun {
            version: RECORD_VERSION,
            pipeline: pipeline.to_string(),
            execution_arn: format!(
                "arn:aws:sagemaker:local:000000000000:pipeline/{}/execution/{id}",
                pipeline_name_of(pipeline)
            ),
            client_request_token: client_request_token.to_string(),
            display_name: display_name.to_string(),
            parameters: parameters
                .iter()
                .map(|(n, v)| PipelineParameter {
                    name: n.clone(),
                    value: v.clone(),
                })
                .collect(),
            started_at: now,
            executing_until: self.run_for.map(|d| now + d),
            final_status: None,
        };
        write_json(&self.store, &key, &run).await?;
        Ok(run.execution_arn)
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, CoreError> {
    serde_json::from_slice(bytes).map_err(|e| CoreError::State {
        key: key.into(),
        message: e.to_string(),
    })
}

async fn read_json<S: ObjectStore, T: serde::de::DeserializeOwned>(
    store: &S,
    key: &str,
) -> Result<T, CoreError> {
    parse_json(key, &store.get(key).await?)
}

async fn write_json<S: ObjectStore, T: Serialize>(
    store: &S,
    key: &str,
    value: &T,
) -> Result<(), CoreError> {
    let body = serde_json::to_vec_pretty(value).map_err(|e| CoreError::State {
        key: key.into(),
        message: e.to_string(),
    })?;
    store.put(key, body).await
}

// ---------------------------------------------------------------------------------------
// The use case
// ---------------------------------------------------------------------------------------

/// One decision as written under `state/retrain/audit/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// [`RECORD_VERSION`]
    pub version: u32,
    /// the EventBridge event id
    pub event_id: String,
    /// the alarm
    pub alarm_name: String,
    /// the state it entered
    pub alarm_state: AlarmStateValue,
    /// when it entered it
    pub alarm_time: DateTime<Utc>,
    /// pipeline name or ARN (as configured)
    pub pipeline: String,
    /// monitor
    pub monitor: String,
    /// model
    pub model: String,
    /// when the decision was made
    pub decided_at: DateTime<Utc>,
    /// whether this was a dry run
    pub dry_run: bool,
    /// the decision
    pub decision: Decision,
    /// idempotency token of the (would-be) start
    pub client_request_token: String,
    /// display name of the (would-be) start
    pub display_name: String,
    /// the evidence
    pub evidence: Evidence,
    /// the parameters of the (would-be) start
    pub parameters: Vec<PipelineParameter>,
}

/// Options of [`run`] that come from the function's environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// overrides `dry_run` of the configuration
    pub dry_run: Option<bool>,
    /// prefix turning a store key into a URI for `ViolationsUri`: `s3://{bucket}/` for S3,
    /// the local root with a trailing `/` for the local store
    pub store_uri: String,
}

/// What [`run`] returns: the decision and where it was recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetrainSummary {
    /// the event id
    pub event_id: String,
    /// the alarm
    pub alarm_name: String,
    /// the state it entered
    pub state: AlarmStateValue,
    /// the decision
    pub decision: Decision,
    /// the pipeline (when the alarm maps to one)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<String>,
    /// the audit record written (none for ignored events)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_key: Option<String>,
    /// whether this was a dry run
    pub dry_run: bool,
    /// the parameters of the (would-be) start
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<PipelineParameter>,
}

async fn last_start<S: ObjectStore>(
    store: &S,
    pipeline_name: &str,
    dry_run: bool,
) -> Result<Option<DateTime<Utc>>, CoreError> {
    let mut latest = None;
    let kinds: &[bool] = if dry_run { &[false, true] } else { &[false] };
    for kind in kinds {
        let prefix = starts_prefix(pipeline_name, *kind);
        let newest = store
            .list(&prefix)
            .await?
            .iter()
            .filter_map(|k| {
                k.strip_prefix(&prefix)
                    .and_then(|rest| rest.split_once('_'))
                    .and_then(|(t, _)| parse_compact_time(t))
            })
            .max();
        latest = latest.max(newest);
    }
    Ok(latest)
}

/// Handles one alarm state-change event (module docs): decides, starts at most one
/// pipeline execution, writes the audit record and returns the summary.
///
/// `now` is the decision time (cooldowns and record times use it).
///
/// # Errors
/// [`CoreError::Config`] for an event without id or a missing/invalid
/// `config/retrain.json`; the launcher's errors (throttling → [`CoreError::Transient`]);
/// store errors. Nothing is recorded when the start fails, so a retried event tries again.
pub async fn run<S: ObjectStore, L: RetrainLauncher>(
    store: &S,
    launcher: &L,
    event: &AlarmEvent,
    now: DateTime<Utc>,
    options: &RunOptions,
) -> Result<RetrainSummary, CoreError> {
    let detail = &event.detail;
    let alarm = detail.alarm_name.as_str();
    let state = detail.state.value;
    if event.id.trim().is_empty() {
        return Err(CoreError::Config {
            field: "event.id".into(),
            value: event.id.clone(),
            message: "the event id is required: it keys idempotency and the audit".into(),
        });
    }
    let mut summary = RetrainSummary {
        event_id: event.id.clone(),
        alarm_name: alarm.to_string(),
        state,
        decision: Decision::DryRun,
        pipeline: None,
        audit_key: None,
        dry_run: options.dry_run.unwrap_or(false),
        parameters: Vec::new(),
    };
    let own_display_name = display_name(alarm, &event.id);
    let base = Facts {
        state,
        alarm_name: alarm,
        pipeline: None,
        now,
        previous: None,
        last_started: None,
        running: None,
        own_display_name: &own_display_name,
        dry_run: summary.dry_run,
    };
    if state != AlarmStateValue::Alarm {
        if let Verdict::Stop(d) = decide(&base) {
            tracing::info!(alarm, state = %state, event_id = %event.id, "alarm state change ignored");
            summary.decision = d;
        }
        return Ok(summary);
    }

    let config = load_config(store).await?;
    let dry_run = options.dry_run.unwrap_or(config.dry_run);
    summary.dry_run = dry_run;
    let Some(cfg) = config.pipeline_for(alarm) else {
        let decision = match decide(&Facts { dry_run, ..base }) {
            Verdict::Stop(d) => d,
            _ => Decision::Ignored {
                reason: format!("alarm {alarm} belongs to no pipeline"),
            },
        };
        tracing::info!(alarm, event_id = %event.id, "alarm maps to no pipeline: ignored");
        summary.decision = decision;
        return Ok(summary);
    };
    let pipeline_name = cfg.pipeline_name();
    summary.pipeline = Some(cfg.pipeline.clone());
    let key = audit_key(pipeline_name, &event.id);
    let token = client_request_token(pipeline_name, &event.id);

    let previous: Option<AuditRecord> = match get_optional(store, &key).await? {
        Some(bytes) => Some(parse_json(&key, &bytes)?),
        None => None,
    };
    let last_started = if previous.is_none() {
        last_start(store, pipeline_name, dry_run).await?
    } else {
        None
    };
    let evidence = match &previous {
        Some(p) => p.evidence.clone(),
        None => gather_evidence(store, event, cfg, &options.store_uri).await?,
    };
    let parameters = match &previous {
        Some(p) => p.parameters.clone(),
        None => pipeline_parameters(event, cfg, &evidence),
    };
    summary.parameters = parameters.clone();

    let facts = Facts {
        pipeline: Some(cfg),
        previous: previous.as_ref().map(|p| &p.decision),
        last_started,
        dry_run,
        ..base
    };
    let mut verdict = decide(&facts);
    if verdict == Verdict::CheckRunning {
        let running = launcher.running_executions(&cfg.pipeline).await?;
        verdict = decide(&Facts {
            running: Some(&running),
            ..facts.clone()
        });
    }
    let decision = match verdict {
        Verdict::Stop(d) => d,
        Verdict::Start => {
            let params: Vec<(String, String)> = parameters
                .iter()
                .map(|p| (p.name.clone(), p.value.clone()))
                .collect();
            let arn = launcher
                .start(&cfg.pipeline, &token, &own_display_name, &params)
                .await?;
            Decision::Started { execution_arn: arn }
        }
        // decide never answers CheckRunning once `running` is known
        Verdict::CheckRunning => Decision::Ignored {
            reason: "running executions unknown".into(),
        },
    };

    let record = AuditRecord {
        version: RECORD_VERSION,
        event_id: event.id.clone(),
        alarm_name: alarm.to_string(),
        alarm_state: state,
        alarm_time: detail.state.timestamp,
        pipeline: cfg.pipeline.clone(),
        monitor: cfg.monitor.clone(),
        model: cfg.model.clone(),
        decided_at: now,
        dry_run,
        decision: decision.clone(),
        client_request_token: token,
        display_name: own_display_name.clone(),
        evidence,
        parameters,
    };
    let written = match (&decision, &previous) {
        (Decision::SkippedDuplicate { .. }, Some(prev)) => {
            let dup = duplicate_key(pipeline_name, &event.id, now);
            write_json(store, &dup, &record).await?;
            // Repair the start index in case the first handling died before writing it.
            if let Decision::Started { .. } | Decision::DryRun = prev.decision {
                let is_dry = matches!(prev.decision, Decision::DryRun);
                let idx = start_index_key(pipeline_name, is_dry, prev.decided_at, &event.id);
                write_json(store, &idx, prev).await?;
            }
            dup
        }
        _ => {
            write_json(store, &key, &record).await?;
            if let Decision::Started { .. } | Decision::DryRun = decision {
                let is_dry = matches!(decision, Decision::DryRun);
                let idx = start_index_key(pipeline_name, is_dry, now, &event.id);
                write_json(store, &idx, &record).await?;
            }
            key
        }
    };
    tracing::info!(
        alarm,
        event_id = %event.id,
        pipeline = %cfg.pipeline,
        decision = decision.kind(),
        execution = decision.execution_arn().unwrap_or(""),
        audit = %written,
        dry_run,
        "retraining decision"
    );
    summary.decision = decision;
    summary.audit_key = Some(written);
    Ok(summary)
}

// ---------------------------------------------------------------------------------------
// The local alarm evaluator
// ---------------------------------------------------------------------------------------

/// CloudWatch's `ComparisonOperator` (static thresholds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ComparisonOperator {
    /// value > threshold
    GreaterThanThreshold,
    /// value ≥ threshold
    GreaterThanOrEqualToThreshold,
    /// value < threshold
    LessThanThreshold,
    /// value ≤ threshold
    LessThanOrEqualToThreshold,
}

impl ComparisonOperator {
    /// Whether `value` breaches `threshold`.
    pub fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            ComparisonOperator::GreaterThanThreshold => value > threshold,
            ComparisonOperator::GreaterThanOrEqualToThreshold => value >= threshold,
            ComparisonOperator::LessThanThreshold => value < threshold,
            ComparisonOperator::LessThanOrEqualToThreshold => value <= threshold,
        }
    }

    fn phrase(self) -> &'static str {
        match self {
            ComparisonOperator::GreaterThanThreshold => "greater than",
            ComparisonOperator::GreaterThanOrEqualToThreshold => "greater than or equal to",
            ComparisonOperator::LessThanThreshold => "less than",
            ComparisonOperator::LessThanOrEqualToThreshold => "less than or equal to",
        }
    }
}

/// The statistic a period's samples are reduced to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Statistic {
    /// mean
    Average,
    /// sum
    Sum,
    /// minimum
    Minimum,
    /// maximum
    Maximum,
    /// number of samples
    SampleCount,
}

impl Statistic {
    fn name(self) -> &'static str {
        match self {
            Statistic::Average => "Average",
            Statistic::Sum => "Sum",
            Statistic::Minimum => "Minimum",
            Statistic::Maximum => "Maximum",
            Statistic::SampleCount => "SampleCount",
        }
    }

    fn reduce(self, xs: &[f64]) -> f64 {
        let n = xs.len() as f64;
        match self {
            Statistic::Average => xs.iter().sum::<f64>() / n,
            Statistic::Sum => xs.iter().sum(),
            Statistic::Minimum => xs.iter().copied().fold(f64::INFINITY, f64::min),
            Statistic::Maximum => xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            Statistic::SampleCount => n,
        }
    }
}

/// A CloudWatch metric alarm with a static threshold, as the template defines it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmDefinition {
    /// alarm name
    pub name: String,
    /// description
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// metric namespace
    pub namespace: String,
    /// metric name
    pub metric_name: String,
    /// metric dimensions
    #[serde(default)]
    pub dimensions: BTreeMap<String, String>,
    /// statistic
    pub statistic: Statistic,
    /// period, seconds
    pub period_seconds: u32,
    /// threshold
    pub threshold: f64,
    /// comparison
    pub comparison: ComparisonOperator,
    /// N: periods evaluated (`EvaluationPeriods`)
    pub evaluation_periods: u32,
    /// M: breaching periods among the last N that raise the alarm (`DatapointsToAlarm`)
    pub datapoints_to_alarm: u32,
}

impl AlarmDefinition {
    /// Checks CloudWatch's constraints: `1 ≤ M ≤ N`, period ≥ 10 s, finite threshold.
    ///
    /// # Errors
    /// [`CoreError::Config`] naming the field and the alarm.
    pub fn validate(&self) -> Result<(), CoreError> {
        let bad = |field: &str, value: String, message: &str| CoreError::Config {
            field: format!("alarm {}: {field}", self.name),
            value,
            message: message.into(),
        };
        if self.evaluation_periods == 0 {
            return Err(bad("evaluation_periods", "0".into(), "at least 1"));
        }
        if self.datapoints_to_alarm == 0 || self.datapoints_to_alarm > self.evaluation_periods {
            return Err(bad(
                "datapoints_to_alarm",
                self.datapoints_to_alarm.to_string(),
                "between 1 and evaluation_periods",
            ));
        }
        if self.period_seconds < 10 {
            return Err(bad(
                "period_seconds",
                self.period_seconds.to_string(),
                "at least 10",
            ));
        }
        if !self.threshold.is_finite() {
            return Err(bad(
                "threshold",
                self.threshold.to_string(),
                "a finite number",
            ));
        }
        Ok(())
    }
}

/// One state change found by [`evaluate_alarm`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmTransition {
    /// the state left (with its reason and time)
    pub previous: AlarmState,
    /// the state entered
    pub state: AlarmState,
}

/// Java-like rendering of a double (`50.0`, `0.37`), as CloudWatch's reasons show them.
fn java_double(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e16 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

/// Evaluates an alarm over a metric's samples with CloudWatch's M-of-N rule and returns
/// its state transitions, oldest first.
///
/// Samples are bucketed into periods aligned to the Unix epoch and reduced with the
/// statistic. The alarm is evaluated at the end of every period from the first sample's
/// to the last sample's — or, with `until`, to the last period ending at or before `until`
/// (so data that stops arriving is evaluated too): over the last N periods, M or more breaching datapoints → `ALARM`,
/// fewer → `OK`; missing periods count as not breaching (`TreatMissingData:
/// notBreaching`). The alarm starts in `INSUFFICIENT_DATA`, so the first evaluation is a
/// transition. Each transition's timestamp is its period's end; the reason and
/// `reasonData` follow CloudWatch's wording (spec §13.1).
///
/// # Errors
/// [`CoreError::Config`] for an invalid definition or a non-finite sample.
pub fn evaluate_alarm(
    def: &AlarmDefinition,
    samples: &[(DateTime<Utc>, f64)],
    until: Option<DateTime<Utc>>,
) -> Result<Vec<AlarmTransition>, CoreError> {
    def.validate()?;
    let period = i64::from(def.period_seconds);
    let mut buckets: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
    for (t, v) in samples {
        if !v.is_finite() {
            return Err(CoreError::Config {
                field: format!("alarm {}: sample at {}", def.name, rfc3339(*t)),
                value: v.to_string(),
                message: "metric values are finite".into(),
            });
        }
        buckets
            .entry(t.timestamp().div_euclid(period))
            .or_default()
            .push(*v);
    }
    let (Some(&first), Some(&last_sample)) = (buckets.keys().next(), buckets.keys().next_back())
    else {
        return Ok(Vec::new());
    };
    // the last period that ends at or before `until`
    let last = until.map_or(last_sample, |u| u.timestamp().div_euclid(period) - 1);
    let values: BTreeMap<i64, (f64, usize)> = buckets
        .iter()
        .map(|(k, xs)| (*k, (def.statistic.reduce(xs), xs.len())))
        .collect();
    let at = |bucket: i64| Utc.timestamp_opt(bucket * period, 0).single();
    let n = i64::from(def.evaluation_periods);
    let m = def.datapoints_to_alarm as usize;
    let mut current = AlarmState {
        value: AlarmStateValue::InsufficientData,
        reason: "Unchecked: Initial alarm creation".into(),
        reason_data: None,
        timestamp: at(first).unwrap_or_default(),
        actions_suppressed_by: None,
    };
    let mut out = Vec::new();
    for b in first..=last {
        let Some(end) = at(b + 1) else { continue };
        let window: Vec<(i64, Option<(f64, usize)>)> = (b - n + 1..=b)
            .map(|k| (k, values.get(&k).copied()))
            .collect();
        let present: Vec<(i64, f64, usize)> = window
            .iter()
            .filter_map(|(k, v)| v.map(|(x, c)| (*k, x, c)))
            .collect();
        let breaching: Vec<&(i64, f64, usize)> = present
            .iter()
            .filter(|(_, x, _)| def.comparison.breaches(*x, def.threshold))
            .collect();
        let next = if breaching.len() >= m {
            AlarmStateValue::Alarm
        } else {
            AlarmStateValue::Ok
        };
        if next == current.value {
            continue;
        }
        let stamp = |k: i64| {
            at(k)
                .map(|t| t.format("%d/%m/%y %H:%M:%S").to_string())
                .unwrap_or_default()
        };
        let listed: Vec<String> = match next {
            AlarmStateValue::Alarm => breaching
                .iter()
                .rev()
                .map(|(k, x, _)| format!("{} ({})", java_double(*x), stamp(*k)))
                .collect(),
            _ => present
                .iter()
                .rev()
                .filter(|(_, x, _)| !def.comparison.breaches(*x, def.threshold))
                .map(|(k, x, _)| format!("{} ({})", java_double(*x), stamp(*k)))
                .collect(),
        };
        let plural = |k: usize| if k == 1 { "" } else { "s" };
        let transition = format!(
            "{} -> {}",
            if current.value == AlarmStateValue::InsufficientData {
                "INSUFFICIENT_DATA"
            } else {
                current.value.as_str()
            },
            next.as_str()
        );
        let reason = if present.is_empty() {
            format!(
                "Threshold Crossed: no datapoints were received for {n} period{} and {n} missing \
                 datapoint{} {} treated as [NonBreaching].",
                plural(n as usize),
                plural(n as usize),
                if n == 1 { "was" } else { "were" }
            )
        } else {
            format!(
                "Threshold Crossed: {} out of the last {} datapoints [{}] {} {}{} the threshold ({}) \
                 (minimum {} datapoint{} for {} transition).",
                listed.len(),
                present.len(),
                listed.join(", "),
                if listed.len() == 1 { "was" } else { "were" },
                if next == AlarmStateValue::Alarm { "" } else { "not " },
                def.comparison.phrase(),
                java_double(def.threshold),
                m,
                plural(m),
                transition
            )
        };
        let reason_data = ReasonData {
            version: Some("1.0".into()),
            query_date: Some(end),
            start_date: at(b - n + 1),
            statistic: Some(def.statistic.name().into()),
            period: Some(def.period_seconds),
            recent_datapoints: present.iter().map(|(_, x, _)| *x).collect(),
            threshold: Some(def.threshold),
            evaluated_datapoints: window
                .iter()
                .rev()
                .filter_map(|(k, v)| {
                    at(*k).map(|t| EvaluatedDatapoint {
                        timestamp: t,
                        sample_count: v.map(|(_, c)| c as f64),
                        value: v.map(|(x, _)| x),
                    })
                })
                .collect(),
        };
        let state = AlarmState {
            value: next,
            reason,
            reason_data: serde_json::to_string(&reason_data).ok(),
            timestamp: end,
            actions_suppressed_by: None,
        };
        out.push(AlarmTransition {
            previous: current.clone(),
            state: state.clone(),
        });
        current = state;
    }
    Ok(out)
}

/// The "CloudWatch Alarm State Change" event EventBridge delivers for a transition
/// (spec §13.1). The id is UUID-shaped and deterministic: the hex of
/// [`fnv1a_128`]`("{alarm}\n{timestamp}\n{state}")`; `time` is the transition time.
pub fn alarm_state_change_event(
    def: &AlarmDefinition,
    transition: &AlarmTransition,
    account: &str,
    region: &str,
) -> AlarmEvent {
    let h = fnv1a_128(
        format!(
            "{}\n{}\n{}",
            def.name,
            cw_time::format(&transition.state.timestamp),
            transition.state.value
        )
        .as_bytes(),
    );
    let hex = format!("{h:032x}");
    let id = format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    );
    AlarmEvent {
        version: "0".into(),
        id,
        detail_type: ALARM_STATE_CHANGE.into(),
        source: "aws.cloudwatch".into(),
        account: account.into(),
        time: transition.state.timestamp,
        region: region.into(),
        resources: vec![format!(
            "arn:aws:cloudwatch:{region}:{account}:alarm:{}",
            def.name
        )],
        detail: AlarmDetail {
            alarm_name: def.name.clone(),
            configuration: AlarmConfiguration {
                description: def.description.clone(),
                metrics: vec![AlarmMetric {
                    id: "m1".into(),
                    metric_stat: Some(MetricStat {
                        metric: MetricRef {
                            namespace: def.namespace.clone(),
                            name: def.metric_name.clone(),
                            dimensions: def.dimensions.clone(),
                        },
                        period: def.period_seconds,
                        stat: def.statistic.name().into(),
                        unit: None,
                    }),
                    expression: None,
                    label: None,
                    return_data: Some(true),
                }],
                alarm_rule: None,
            },
            previous_state: Some(transition.previous.clone()),
            state: transition.state.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;
    use serde_json::json;

    /// The shared event fixture (authored after spec §13.1).
    const ALARM_EVENT: &str = include_str!("../../../events/alarm-state-change.json");
    const PIPELINE_ARN: &str = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-retrain";
    /// The report folder of the window 03:00–04:00 on 2026-11-01 (named by the hour the
    /// window ends), which the fixture's newest evaluated datapoint (03:00) stands for.
    const VIOLATIONS: &str =
        "reports/churn-endpoint/churn-dq/2026/11/01/04/constraint_violations.json";

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn event() -> AlarmEvent {
        AlarmEvent::from_json(ALARM_EVENT.as_bytes()).unwrap()
    }

    fn event_with(id: &str, state: AlarmStateValue, at: &str) -> AlarmEvent {
        let mut e = event();
        e.id = id.into();
        e.detail.state.value = state;
        e.detail.state.timestamp = t(at);
        e.time = t(at);
        e
    }

    fn config_json(dry_run: bool) -> serde_json::Value {
        json!({
            "dry_run": dry_run,
            "pipelines": [{
                "alarm_name_prefix": "churn-dq-",
                "monitor": "churn-dq",
                "model": "churn-xgb",
                "pipeline": PIPELINE_ARN,
                "parameters": {"TrainingInstanceType": "ml.m5.xlarge"}
            }]
        })
    }

    async fn store_with(config: serde_json::Value, violations: bool) -> MemoryStore {
        let store = MemoryStore::new();
        store
            .put(RETRAIN_CONFIG_KEY, config.to_string().into_bytes())
            .await
            .unwrap();
        store
            .put(
                "config/monitors/churn-dq.json",
                json!({"name": "churn-dq", "endpoint": "churn-endpoint", "baseline_prefix": "baselines/churn-dq"})
                    .to_string()
                    .into_bytes(),
            )
            .await
            .unwrap();
        if violations {
            store
                .put(VIOLATIONS, br#"{"violations": []}"#.to_vec())
                .await
                .unwrap();
        }
        store
    }

    fn opts() -> RunOptions {
        RunOptions {
            dry_run: None,
            store_uri: "s3://mw-bucket/".into(),
        }
    }

    fn pipeline_cfg() -> PipelineConfig {
        let cfg = RetrainConfig::from_json("k", config_json(false).to_string().as_bytes()).unwrap();
        cfg.pipelines[0].clone()
    }

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

    #[tokio::test]
    async fn missing_config_is_a_config_error() {
        let store = MemoryStore::new();
        let launcher = FileLauncher::new(store.clone());
        let e = run(
            &store,
            &launcher,
            &event(),
            t("2026-11-01T04:07:00Z"),
            &opts(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&e, CoreError::Config { field, .. } if field == RETRAIN_CONFIG_KEY),
            "{e}"
        );
    }

    // ---- the event -----------------------------------------------------------------

    #[test]
    fn fixture_event_parses_with_cloudwatch_timestamps() {
        let e = event();
        assert_eq!(e.id, "c4e2a8b1-7f3d-4b9a-8e61-5d0c2f9a7b34");
        assert_eq!(e.time, t("2026-11-01T04:06:12Z"));
        assert_eq!(e.detail.alarm_name, "churn-dq-balance-drift");
        assert_eq!(e.detail.state.value, AlarmStateValue::Alarm);
        assert_eq!(e.detail.state.timestamp, t("2026-11-01T04:06:12.405Z"));
        let prev = e.detail.previous_state.as_ref().unwrap();
        assert_eq!(prev.value, AlarmStateValue::Ok);
        let rd = e.detail.state.reason_data().unwrap();
        assert_eq!(rd.period, Some(3600));
        assert_eq!(rd.threshold, Some(0.1));
        assert_eq!(rd.recent_datapoints, vec![0.37]);
        assert_eq!(
            rd.evaluated_datapoints[0].timestamp,
            t("2026-11-01T03:00:00Z")
        );
        let m = e.detail.metric().unwrap();
        assert_eq!(m.metric.name, "feature_baseline_drift_balance");
        assert_eq!(m.metric.dimensions["Endpoint"], "churn-endpoint");
        assert_eq!(
            alarm_window(&e.detail, Some(60)),
            (t("2026-11-01T03:00:00Z"), t("2026-11-01T04:00:00Z"))
        );
        assert_eq!(
            violations_key("churn-endpoint", "churn-dq", t("2026-11-01T04:00:00Z"), 60),
            VIOLATIONS
        );
    }

    #[test]
    fn event_round_trips_in_eventbridge_shape() {
        let e = event();
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["detail-type"], "CloudWatch Alarm State Change");
        assert_eq!(v["time"], "2026-11-01T04:06:12Z");
        assert_eq!(
            v["detail"]["state"]["timestamp"],
            "2026-11-01T04:06:12.405+0000"
        );
        assert_eq!(v["detail"]["state"]["value"], "ALARM");
        assert!(v["detail"]["state"]["reasonData"].is_string());
        let back = AlarmEvent::from_json(v.to_string().as_bytes()).unwrap();
        assert_eq!(back, e);
        let bad = ALARM_EVENT.replace("2026-11-01T04:06:12.405+0000", "yesterday");
        let err = AlarmEvent::from_json(bad.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"yesterday\""), "{err}");
    }

    #[test]
    fn window_falls_back_to_the_window_before_the_state_time() {
        let mut e = event();
        e.detail.state.reason_data = None;
        // 04:06 → the hourly window 03:00–04:00 (same as the datapoint's)
        assert_eq!(
            alarm_window(&e.detail, None),
            (t("2026-11-01T03:00:00Z"), t("2026-11-01T04:00:00Z"))
        );
        // a 15-minute monitor: 03:45–04:00
        assert_eq!(
            alarm_window(&e.detail, Some(15)),
            (t("2026-11-01T03:45:00Z"), t("2026-11-01T04:00:00Z"))
        );
    }

    // ---- decide --------------------------------------------------------------------

    fn facts<'a>(cfg: &'a PipelineConfig) -> Facts<'a> {
        Facts {
            state: AlarmStateValue::Alarm,
            alarm_name: "churn-dq-balance-drift",
            pipeline: Some(cfg),
            now: t("2026-11-01T12:00:00Z"),
            previous: None,
            last_started: None,
            running: Some(&[]),
            own_display_name: "mw-own",
            dry_run: false,
        }
    }

    #[test]
    fn decide_every_branch() {
        let cfg = pipeline_cfg();
        // start
        assert_eq!(decide(&facts(&cfg)), Verdict::Start);
        // OK and INSUFFICIENT_DATA: ignored, whatever else is true
        for s in [AlarmStateValue::Ok, AlarmStateValue::InsufficientData] {
            let v = decide(&Facts {
                state: s,
                previous: Some(&Decision::DryRun),
                ..facts(&cfg)
            });
            match v {
                Verdict::Stop(Decision::Ignored { reason }) => {
                    assert!(reason.contains(s.as_str()), "{reason}")
                }
                other => panic!("{other:?}"),
            }
        }
        // no pipeline
        assert!(matches!(
            decide(&Facts { pipeline: None, ..facts(&cfg) }),
            Verdict::Stop(Decision::Ignored { reason }) if reason.contains("no pipeline")
        ));
        // duplicate wins over cooldown and running
        let prev = Decision::Started {
            execution_arn: "arn:x".into(),
        };
        assert_eq!(
            decide(&Facts {
                previous: Some(&prev),
                last_started: Some(t("2026-11-01T11:00:00Z")),
                ..facts(&cfg)
            }),
            Verdict::Stop(Decision::SkippedDuplicate {
                previous: Box::new(prev.clone())
            })
        );
        // cooldown: 6 h after 07:00 is 13:00; at 12:00 skipped, at 13:00 not
        assert_eq!(
            decide(&Facts {
                last_started: Some(t("2026-11-01T07:00:00Z")),
                ..facts(&cfg)
            }),
            Verdict::Stop(Decision::SkippedCooldown {
                last_started: t("2026-11-01T07:00:00Z"),
                until: t("2026-11-01T13:00:00Z"),
            })
        );
        assert_eq!(
            decide(&Facts {
                last_started: Some(t("2026-11-01T06:00:00Z")),
                ..facts(&cfg)
            }),
            Verdict::Start
        );
        // zero cooldown never skips
        let mut no_cooldown = cfg.clone();
        no_cooldown.cooldown_hours = 0.0;
        assert_eq!(
            decide(&Facts {
                last_started: Some(t("2026-11-01T12:00:00Z")),
                ..facts(&no_cooldown)
            }),
            Verdict::Start
        );
        // running unknown → look it up; known and busy → skipped
        assert_eq!(
            decide(&Facts {
                running: None,
                ..facts(&cfg)
            }),
            Verdict::CheckRunning
        );
        let busy = [
            RunningExecution {
                arn: "arn:own".into(),
                display_name: Some("mw-own".into()),
            },
            RunningExecution {
                arn: "arn:other".into(),
                display_name: None,
            },
        ];
        assert_eq!(
            decide(&Facts {
                running: Some(&busy),
                ..facts(&cfg)
            }),
            Verdict::Stop(Decision::SkippedRunning {
                running_execution: "arn:other".into()
            })
        );
        // this event's own execution does not block
        assert_eq!(
            decide(&Facts {
                running: Some(&busy[..1]),
                ..facts(&cfg)
            }),
            Verdict::Start
        );
        // dry run: after every check
        assert_eq!(
            decide(&Facts {
                dry_run: true,
                ..facts(&cfg)
            }),
            Verdict::Stop(Decision::DryRun)
        );
        assert_eq!(
            decide(&Facts {
                dry_run: true,
                running: None,
                ..facts(&cfg)
            }),
            Verdict::CheckRunning
        );
    }

    #[test]
    fn decisions_serialise_as_tagged_records() {
        let d = Decision::SkippedDuplicate {
            previous: Box::new(Decision::Started {
                execution_arn: "arn:x".into(),
            }),
        };
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(
            v,
            json!({"decision": "skipped-duplicate", "previous": {"decision": "started", "execution_arn": "arn:x"}})
        );
        assert_eq!(serde_json::from_value::<Decision>(v).unwrap(), d);
        assert_eq!(
            serde_json::to_value(Decision::DryRun).unwrap(),
            json!({"decision": "dry-run"})
        );
        assert_eq!(d.kind(), "skipped-duplicate");
    }

    // ---- names ---------------------------------------------------------------------

    #[test]
    fn fnv1a_128_matches_the_published_vectors() {
        // FNV test vectors (Fowler/Noll/Vo, isthe.com/chongo/tech/comp/fnv): FNV-1a 128 of
        // "" is the offset basis, of "a" d228cb696f1a8caf78912b704e4a8964. "foobar" from an
        // independent Python loop: h = ((h ^ b) * (2**88 + 2**8 + 0x3b)) % 2**128.
        assert_eq!(fnv1a_128(b""), 0x6c62272e07bb014262b821756295c58d);
        assert_eq!(fnv1a_128(b"a"), 0xd228cb696f1a8caf78912b704e4a8964);
        assert_eq!(fnv1a_128(b"foobar"), 0x343e1662793c64bf6f0d3597ba446f18);
    }

    #[test]
    fn tokens_and_display_names_follow_the_api_constraints() {
        let id = "c4e2a8b1-7f3d-4b9a-8e61-5d0c2f9a7b34";
        let tok = client_request_token("churn-retrain", id);
        assert_eq!(tok, client_request_token("churn-retrain", id));
        assert_ne!(tok, client_request_token("other", id));
        assert_ne!(tok, client_request_token("churn-retrain", "other-id"));
        assert!(tok.starts_with("mw-") && tok.ends_with(id), "{tok}");
        assert_eq!(tok.len(), 3 + 32 + 1 + id.len());
        for id in ["", "x", "a/b c", &"z".repeat(300), "----"] {
            let tok = client_request_token("p", id);
            assert!((32..=128).contains(&tok.len()), "{tok}");
            assert!(tok.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        }
        for alarm in [
            "churn-dq-balance-drift",
            "---",
            "é é",
            &"a_b".repeat(100),
            "",
        ] {
            let d = display_name(alarm, id);
            assert!(is_sagemaker_name(&d, 82), "{d:?}");
            assert_eq!(d, display_name(alarm, id));
        }
        assert_eq!(
            display_name("churn-dq-balance-drift", id),
            format!(
                "mw-churn-dq-balance-drift-{:016x}",
                fnv1a_128(id.as_bytes()) as u64
            )
        );
        assert_eq!(event_key(id), id);
        assert!(event_key("a/../b").starts_with('h'));
        assert_eq!(
            audit_key("churn-retrain", id),
            format!("state/retrain/audit/churn-retrain/{id}.json")
        );
        assert_eq!(
            start_index_key("p", false, t("2026-11-01T04:07:00.5Z"), "e"),
            "state/retrain/starts/p/20261101T040700.500Z_e.json"
        );
        assert!(is_sagemaker_name("a--b", 82));
        assert!(!is_sagemaker_name("a-", 82));
        assert!(!is_sagemaker_name("-a", 82));
    }

    // ---- the use case --------------------------------------------------------------

    fn param<'a>(ps: &'a [PipelineParameter], name: &str) -> &'a str {
        ps.iter()
            .find(|p| p.name == name)
            .map(|p| p.value.as_str())
            .unwrap_or_else(|| panic!("no parameter {name}"))
    }

    #[tokio::test]
    async fn alarm_starts_once_with_the_evidence_and_redelivery_starts_nothing() {
        let store = store_with(config_json(false), true).await;
        let launcher = FileLauncher::new(store.clone());
        let ev = event();
        let now = t("2026-11-01T04:07:00Z");
        let s = run(&store, &launcher, &ev, now, &opts()).await.unwrap();
        let arn = match &s.decision {
            Decision::Started { execution_arn } => execution_arn.clone(),
            other => panic!("{other:?}"),
        };
        assert!(arn
            .starts_with("arn:aws:sagemaker:local:000000000000:pipeline/churn-retrain/execution/"));
        let runs = launcher.runs(PIPELINE_ARN).await.unwrap();
        assert_eq!(runs.len(), 1);
        let run0 = &runs[0];
        assert_eq!(run0.execution_arn, arn);
        assert_eq!(run0.pipeline, PIPELINE_ARN);
        assert_eq!(
            run0.client_request_token,
            client_request_token("churn-retrain", &ev.id)
        );
        assert_eq!(
            run0.display_name,
            display_name("churn-dq-balance-drift", &ev.id)
        );
        let names: Vec<&str> = run0.parameters.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "AlarmName",
                "AlarmReason",
                "AlarmTime",
                "MetricName",
                "MetricNamespace",
                "MetricDimensions",
                "WindowStart",
                "WindowEnd",
                "ViolationsUri",
                "Monitor",
                "Model",
                "TriggerEventId",
                "TrainingInstanceType"
            ]
        );
        let p = &run0.parameters;
        assert_eq!(param(p, "AlarmName"), "churn-dq-balance-drift");
        assert_eq!(param(p, "AlarmReason"), ev.detail.state.reason);
        assert_eq!(param(p, "AlarmTime"), "2026-11-01T04:06:12Z");
        assert_eq!(param(p, "MetricName"), "feature_baseline_drift_balance");
        assert_eq!(
            param(p, "MetricNamespace"),
            "aws/sagemaker/Endpoints/data-metrics"
        );
        assert_eq!(
            param(p, "MetricDimensions"),
            r#"{"Endpoint":"churn-endpoint","MonitoringSchedule":"churn-dq"}"#
        );
        assert_eq!(param(p, "WindowStart"), "2026-11-01T03:00:00Z");
        assert_eq!(param(p, "WindowEnd"), "2026-11-01T04:00:00Z");
        assert_eq!(
            param(p, "ViolationsUri"),
            format!("s3://mw-bucket/{VIOLATIONS}")
        );
        assert_eq!(param(p, "Monitor"), "churn-dq");
        assert_eq!(param(p, "Model"), "churn-xgb");
        assert_eq!(param(p, "TriggerEventId"), ev.id);
        assert_eq!(param(p, "TrainingInstanceType"), "ml.m5.xlarge");
        assert_eq!(s.parameters, run0.parameters);

        // the audit record and the start index
        let key = audit_key("churn-retrain", &ev.id);
        assert_eq!(s.audit_key.as_deref(), Some(key.as_str()));
        let rec: AuditRecord = serde_json::from_slice(&store.get(&key).await.unwrap()).unwrap();
        assert_eq!(rec.decision, s.decision);
        assert_eq!(rec.decided_at, now);
        assert!(rec.evidence.violations_present);
        assert_eq!(
            store
                .list("state/retrain/starts/churn-retrain/")
                .await
                .unwrap(),
            vec![start_index_key("churn-retrain", false, now, &ev.id)]
        );

        // the same event again: still one run, recorded as a duplicate
        let later = t("2026-11-01T04:09:00Z");
        let s2 = run(&store, &launcher, &ev, later, &opts()).await.unwrap();
        assert_eq!(
            s2.decision,
            Decision::SkippedDuplicate {
                previous: Box::new(s.decision.clone())
            }
        );
        assert_eq!(launcher.runs(PIPELINE_ARN).await.unwrap().len(), 1);
        assert_eq!(
            s2.audit_key.as_deref(),
            Some(duplicate_key("churn-retrain", &ev.id, later).as_str())
        );
        // the first record is intact
        let rec2: AuditRecord = serde_json::from_slice(&store.get(&key).await.unwrap()).unwrap();
        assert_eq!(rec2, rec);
    }

    #[tokio::test]
    async fn second_alarm_inside_the_cooldown_is_skipped_and_recorded() {
        let store = store_with(config_json(false), true).await;
        let launcher = FileLauncher::new(store.clone());
        let first = event_with("ev-1", AlarmStateValue::Alarm, "2026-11-01T04:06:12Z");
        let s1 = run(
            &store,
            &launcher,
            &first,
            t("2026-11-01T04:07:00Z"),
            &opts(),
        )
        .await
        .unwrap();
        assert_eq!(s1.decision.kind(), "started");
        let second = event_with("ev-2", AlarmStateValue::Alarm, "2026-11-01T06:06:12Z");
        let s2 = run(
            &store,
            &launcher,
            &second,
            t("2026-11-01T06:07:00Z"),
            &opts(),
        )
        .await
        .unwrap();
        assert_eq!(
            s2.decision,
            Decision::SkippedCooldown {
                last_started: t("2026-11-01T04:07:00Z"),
                until: t("2026-11-01T10:07:00Z"),
            }
        );
        let rec: AuditRecord = serde_json::from_slice(
            &store
                .get(&audit_key("churn-retrain", "ev-2"))
                .await
                .unwrap(),
        )
        .unwrap();
        assert_eq!(rec.decision, s2.decision);
        assert_eq!(launcher.runs(PIPELINE_ARN).await.unwrap().len(), 1);
        // after the cooldown a new alarm starts again
        let third = event_with("ev-3", AlarmStateValue::Alarm, "2026-11-01T10:06:12Z");
        let s3 = run(
            &store,
            &launcher,
            &third,
            t("2026-11-01T10:07:00Z"),
            &opts(),
        )
        .await
        .unwrap();
        assert_eq!(s3.decision.kind(), "started");
        assert_eq!(launcher.runs(PIPELINE_ARN).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn ok_and_unmapped_alarms_do_nothing() {
        let store = store_with(config_json(false), true).await;
        let before = store.list("").await.unwrap();
        let launcher = FileLauncher::new(store.clone());
        for s in [AlarmStateValue::Ok, AlarmStateValue::InsufficientData] {
            let ev = event_with("ev-ok", s, "2026-11-01T05:06:12Z");
            let sum = run(&store, &launcher, &ev, t("2026-11-01T05:07:00Z"), &opts())
                .await
                .unwrap();
            assert!(matches!(sum.decision, Decision::Ignored { .. }), "{sum:?}");
            assert_eq!(sum.audit_key, None);
        }
        let mut other = event();
        other.detail.alarm_name = "fraud-latency".into();
        let sum = run(
            &store,
            &launcher,
            &other,
            t("2026-11-01T05:07:00Z"),
            &opts(),
        )
        .await
        .unwrap();
        assert!(
            matches!(&sum.decision, Decision::Ignored { reason } if reason.contains("fraud-latency")),
            "{sum:?}"
        );
        assert_eq!(store.list("").await.unwrap(), before, "nothing written");
    }

    #[tokio::test]
    async fn running_execution_blocks_a_start() {
        let store = store_with(config_json(false), true).await;
        let launcher = FileLauncher::new(store.clone()).with_run_duration(None);
        let busy = launcher
            .start(PIPELINE_ARN, &"t".repeat(40), "manual-run", &[])
            .await
            .unwrap();
        let s = run(
            &store,
            &launcher,
            &event(),
            t("2026-11-01T04:07:00Z"),
            &opts(),
        )
        .await
        .unwrap();
        assert_eq!(
            s.decision,
            Decision::SkippedRunning {
                running_execution: busy.clone()
            }
        );
        assert!(store
            .get(&audit_key("churn-retrain", &event().id))
            .await
            .is_ok());
        assert_eq!(launcher.runs(PIPELINE_ARN).await.unwrap().len(), 1);
        // once it finished, the next alarm starts
        launcher
            .finish(PIPELINE_ARN, &busy, "Succeeded")
            .await
            .unwrap();
        let ev2 = event_with("ev-2", AlarmStateValue::Alarm, "2026-11-01T05:06:12Z");
        let s2 = run(&store, &launcher, &ev2, t("2026-11-01T05:07:00Z"), &opts())
            .await
            .unwrap();
        assert_eq!(s2.decision.kind(), "started");
    }

    #[tokio::test]
    async fn file_runs_stay_executing_for_their_duration() {
        let store = MemoryStore::new();
        let clock_time = Arc::new(std::sync::Mutex::new(t("2026-11-01T04:00:00Z")));
        let c = Arc::clone(&clock_time);
        let launcher = FileLauncher::new(store.clone())
            .with_run_duration(Some(TimeDelta::minutes(90)))
            .with_clock(Arc::new(move || *c.lock().unwrap()));
        let tok = "k".repeat(32);
        let arn = launcher.start("p", &tok, "d", &[]).await.unwrap();
        // idempotent by token
        assert_eq!(launcher.start("p", &tok, "d2", &[]).await.unwrap(), arn);
        assert_eq!(launcher.runs("p").await.unwrap().len(), 1);
        *clock_time.lock().unwrap() = t("2026-11-01T05:29:59Z");
        assert_eq!(launcher.running_executions("p").await.unwrap().len(), 1);
        *clock_time.lock().unwrap() = t("2026-11-01T05:30:00Z");
        assert!(launcher.running_executions("p").await.unwrap().is_empty());
        assert!(matches!(
            launcher.finish("p", "arn:none", "Failed").await,
            Err(CoreError::NotFound { .. })
        ));
    }

    #[tokio::test]
    async fn dry_run_records_without_starting() {
        let store = store_with(config_json(true), true).await;
        let launcher = FileLauncher::new(store.clone());
        let s = run(
            &store,
            &launcher,
            &event(),
            t("2026-11-01T04:07:00Z"),
            &opts(),
        )
        .await
        .unwrap();
        assert_eq!(s.decision, Decision::DryRun);
        assert!(s.dry_run);
        assert!(launcher.runs(PIPELINE_ARN).await.unwrap().is_empty());
        let rec: AuditRecord = serde_json::from_slice(
            &store
                .get(&audit_key("churn-retrain", &event().id))
                .await
                .unwrap(),
        )
        .unwrap();
        assert_eq!(rec.decision, Decision::DryRun);
        assert_eq!(param(&rec.parameters, "WindowEnd"), "2026-11-01T04:00:00Z");
        // a dry run's cooldown counts dry-run starts …
        let ev2 = event_with("ev-2", AlarmStateValue::Alarm, "2026-11-01T05:06:12Z");
        let s2 = run(&store, &launcher, &ev2, t("2026-11-01T05:07:00Z"), &opts())
            .await
            .unwrap();
        assert_eq!(s2.decision.kind(), "skipped-cooldown");
        // … a live run does not; the env override wins over the file
        let live = RunOptions {
            dry_run: Some(false),
            ..opts()
        };
        let ev3 = event_with("ev-3", AlarmStateValue::Alarm, "2026-11-01T05:16:12Z");
        let s3 = run(&store, &launcher, &ev3, t("2026-11-01T05:17:00Z"), &live)
            .await
            .unwrap();
        assert_eq!(s3.decision.kind(), "started");
        assert!(!s3.dry_run);
        assert_eq!(launcher.runs(PIPELINE_ARN).await.unwrap().len(), 1);
        // and the override also turns a live configuration into a dry run
        let store = store_with(config_json(false), true).await;
        let launcher = FileLauncher::new(store.clone());
        let dry = RunOptions {
            dry_run: Some(true),
            ..opts()
        };
        let s = run(&store, &launcher, &event(), t("2026-11-01T04:07:00Z"), &dry)
            .await
            .unwrap();
        assert_eq!(s.decision, Decision::DryRun);
        assert!(launcher.runs(PIPELINE_ARN).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn missing_report_leaves_the_violations_uri_empty() {
        let store = store_with(config_json(false), false).await;
        let launcher = FileLauncher::new(store.clone());
        let s = run(
            &store,
            &launcher,
            &event(),
            t("2026-11-01T04:07:00Z"),
            &opts(),
        )
        .await
        .unwrap();
        assert_eq!(param(&s.parameters, "ViolationsUri"), "");
        let rec: AuditRecord = serde_json::from_slice(
            &store
                .get(&audit_key("churn-retrain", &event().id))
                .await
                .unwrap(),
        )
        .unwrap();
        assert!(!rec.evidence.violations_present);
        assert_eq!(rec.evidence.violations_key.as_deref(), Some(VIOLATIONS));
    }

    #[tokio::test]
    async fn a_start_without_its_record_is_repeated_with_the_same_token() {
        // The Lambda died after StartPipelineExecution and before the audit write: the
        // retried event sees its own execution running and starts again idempotently.
        let store = store_with(config_json(false), true).await;
        let launcher = FileLauncher::new(store.clone()).with_run_duration(None);
        let ev = event();
        let first = launcher
            .start(
                PIPELINE_ARN,
                &client_request_token("churn-retrain", &ev.id),
                &display_name(&ev.detail.alarm_name, &ev.id),
                &[],
            )
            .await
            .unwrap();
        let s = run(&store, &launcher, &ev, t("2026-11-01T04:08:00Z"), &opts())
            .await
            .unwrap();
        assert_eq!(
            s.decision,
            Decision::Started {
                execution_arn: first
            }
        );
        assert_eq!(launcher.runs(PIPELINE_ARN).await.unwrap().len(), 1);
    }

    // ---- the alarm evaluator -------------------------------------------------------

    fn alarm(m: u32, n: u32) -> AlarmDefinition {
        AlarmDefinition {
            name: "churn-dq-balance-drift".into(),
            description: Some("drift of balance".into()),
            namespace: "aws/sagemaker/Endpoints/data-metrics".into(),
            metric_name: "feature_baseline_drift_balance".into(),
            dimensions: BTreeMap::from([
                ("Endpoint".to_string(), "churn-endpoint".to_string()),
                ("MonitoringSchedule".to_string(), "churn-dq".to_string()),
            ]),
            statistic: Statistic::Average,
            period_seconds: 3600,
            threshold: 0.1,
            comparison: ComparisonOperator::GreaterThanThreshold,
            evaluation_periods: n,
            datapoints_to_alarm: m,
        }
    }

    fn hourly(values: &[Option<f64>]) -> Vec<(DateTime<Utc>, f64)> {
        values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                v.map(|v| (t("2026-11-01T00:00:00Z") + TimeDelta::hours(i as i64), v))
            })
            .collect()
    }

    fn states(ts: &[AlarmTransition]) -> Vec<(String, AlarmStateValue)> {
        ts.iter()
            .map(|x| (rfc3339(x.state.timestamp), x.state.value))
            .collect()
    }

    #[test]
    fn m_of_n_raises_and_clears() {
        use AlarmStateValue::{Alarm, Ok};
        // 2 of 3, > 0.1; hour 1 and hour 3 breach. By hand: end of hour 0: 0 of 3 → OK;
        // hour 3: [0.2, 0.05, 0.3] has 2 → ALARM; hour 4: [0.05, 0.3, 0.02] has 1 → OK.
        let ts = evaluate_alarm(
            &alarm(2, 3),
            &hourly(&[
                Some(0.05),
                Some(0.2),
                Some(0.05),
                Some(0.3),
                Some(0.02),
                Some(0.01),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(
            states(&ts),
            vec![
                ("2026-11-01T01:00:00Z".to_string(), Ok),
                ("2026-11-01T04:00:00Z".to_string(), Alarm),
                ("2026-11-01T05:00:00Z".to_string(), Ok),
            ]
        );
        assert_eq!(ts[0].previous.value, AlarmStateValue::InsufficientData);
        assert_eq!(ts[1].previous, ts[0].state);
        assert_eq!(
            ts[1].state.reason,
            "Threshold Crossed: 2 out of the last 3 datapoints [0.3 (01/11/26 03:00:00), 0.2 \
             (01/11/26 01:00:00)] were greater than the threshold (0.1) (minimum 2 datapoints \
             for OK -> ALARM transition)."
        );
        let rd = ts[1].state.reason_data().unwrap();
        assert_eq!(rd.recent_datapoints, vec![0.2, 0.05, 0.3]);
        assert_eq!(rd.start_date, Some(t("2026-11-01T01:00:00Z")));
        assert_eq!(
            rd.evaluated_datapoints[0].timestamp,
            t("2026-11-01T03:00:00Z")
        );
    }

    #[test]
    fn missing_data_is_not_breaching() {
        use AlarmStateValue::{Alarm, Ok};
        // 2 of 2: breaches at hours 0 and 2 with hour 1 missing never alarm; hours 2 and 3 do.
        let ts = evaluate_alarm(
            &alarm(2, 2),
            &hourly(&[Some(0.5), None, Some(0.5), Some(0.5)]),
            None,
        )
        .unwrap();
        assert_eq!(
            states(&ts),
            vec![
                ("2026-11-01T01:00:00Z".to_string(), Ok),
                ("2026-11-01T04:00:00Z".to_string(), Alarm),
            ]
        );
        // all data missing in the window → OK with CloudWatch's "no datapoints" reason
        let ts = evaluate_alarm(
            &alarm(1, 1),
            &hourly(&[Some(0.5)]),
            Some(t("2026-11-01T02:00:00Z")),
        )
        .unwrap();
        assert_eq!(ts.len(), 2);
        assert_eq!(
            ts[1].state.reason,
            "Threshold Crossed: no datapoints were received for 1 period and 1 missing \
             datapoint was treated as [NonBreaching]."
        );
    }

    #[test]
    fn samples_are_reduced_per_period_by_the_statistic() {
        let t0 = t("2026-11-01T03:00:00Z");
        let samples = [
            (t0, 0.05),
            (t0 + TimeDelta::minutes(30), 0.19),
            (t0 + TimeDelta::minutes(59), 0.0),
        ];
        // Average 0.08 ≤ 0.1: OK; Maximum 0.19 > 0.1: ALARM
        let avg = evaluate_alarm(&alarm(1, 1), &samples, None).unwrap();
        assert_eq!(avg.len(), 1);
        assert_eq!(avg[0].state.value, AlarmStateValue::Ok);
        let mut max = alarm(1, 1);
        max.statistic = Statistic::Maximum;
        let ts = evaluate_alarm(&max, &samples, None).unwrap();
        assert_eq!(ts[0].state.value, AlarmStateValue::Alarm);
        assert_eq!(
            ts[0].state.reason_data().unwrap().evaluated_datapoints[0].sample_count,
            Some(3.0)
        );
        assert!(evaluate_alarm(&alarm(1, 1), &[], None).unwrap().is_empty());
        let e = evaluate_alarm(&alarm(3, 2), &samples, None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("datapoints_to_alarm") && e.contains("\"3\""),
            "{e}"
        );
        let e = evaluate_alarm(&alarm(1, 1), &[(t0, f64::NAN)], None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("NaN"), "{e}");
        assert!(ComparisonOperator::LessThanOrEqualToThreshold.breaches(0.1, 0.1));
        assert!(!ComparisonOperator::LessThanThreshold.breaches(0.1, 0.1));
        assert!(ComparisonOperator::GreaterThanOrEqualToThreshold.breaches(0.1, 0.1));
    }

    #[tokio::test]
    async fn evaluated_transition_drives_the_use_case_like_eventbridge() {
        // 1 of 1 over the fixture's numbers: 0.04 at 02:00 (OK), 0.37 at 03:00 (ALARM).
        let def = alarm(1, 1);
        let ts = evaluate_alarm(
            &def,
            &[
                (t("2026-11-01T02:00:00Z"), 0.04),
                (t("2026-11-01T03:00:00Z"), 0.37),
            ],
            None,
        )
        .unwrap();
        assert_eq!(ts.len(), 2);
        // the same reason text as the fixture event
        assert_eq!(ts[1].state.reason, event().detail.state.reason);
        let ev = alarm_state_change_event(&def, &ts[1], "123456789012", "us-east-1");
        let json = serde_json::to_vec(&ev).unwrap();
        let parsed = AlarmEvent::from_json(&json).unwrap();
        assert_eq!(parsed, ev);
        assert_eq!(ev.detail_type, ALARM_STATE_CHANGE);
        assert_eq!(ev.source, "aws.cloudwatch");
        assert_eq!(
            ev.resources,
            vec!["arn:aws:cloudwatch:us-east-1:123456789012:alarm:churn-dq-balance-drift"]
        );
        assert_eq!(ev.id.len(), 36);
        assert_eq!(
            ev,
            alarm_state_change_event(&def, &ts[1], "123456789012", "us-east-1")
        );
        assert_eq!(
            ev.detail.previous_state.as_ref().unwrap().value,
            AlarmStateValue::Ok
        );
        assert_eq!(
            alarm_window(&ev.detail, Some(60)),
            alarm_window(&event().detail, Some(60))
        );

        let store = store_with(config_json(false), true).await;
        let launcher = FileLauncher::new(store.clone());
        let ok = alarm_state_change_event(&def, &ts[0], "123456789012", "us-east-1");
        let s0 = run(&store, &launcher, &ok, ts[0].state.timestamp, &opts())
            .await
            .unwrap();
        assert_eq!(s0.decision.kind(), "ignored");
        let s1 = run(&store, &launcher, &parsed, ts[1].state.timestamp, &opts())
            .await
            .unwrap();
        assert_eq!(s1.decision.kind(), "started");
        assert_eq!(
            param(&s1.parameters, "ViolationsUri"),
            format!("s3://mw-bucket/{VIOLATIONS}")
        );
    }
}
