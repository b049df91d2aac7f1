//! The evidence attached to a start: the monitoring window an alarm stands for, the
//! violations report of that window, and the pipeline parameters built from them.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::layout::window_before;
use crate::retrain::config::{EvidenceParameter, PipelineConfig, MAX_PARAMETER_VALUE};
use crate::retrain::events::{AlarmDetail, AlarmEvent};

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
