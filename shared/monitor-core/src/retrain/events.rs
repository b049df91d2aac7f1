//! The EventBridge "CloudWatch Alarm State Change" event (spec §13.1) and CloudWatch's
//! timestamp formats.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::CoreError;

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

/// `t` as CloudWatch writes `detail` timestamps (`2019-10-02T17:04:40.989+0000`).
pub fn cloudwatch_timestamp(t: &DateTime<Utc>) -> String {
    cw_time::format(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retrain::evidence::alarm_window;
    use crate::retrain::keys::violations_key;
    use crate::retrain::test_support::*;

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
}
