//! CloudWatch's M-of-N alarm rule over a metric series, and the "CloudWatch Alarm State
//! Change" event EventBridge would deliver for each transition, so the local demo drives
//! retrain-trigger's use case ([`monitor_core::app::retrain::run`]) exactly like AWS does
//! (spec §13.1). A simulation for the demo: production alarms are CloudWatch's own.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use monitor_core::retrain::events::{
    cloudwatch_timestamp, AlarmConfiguration, AlarmDetail, AlarmEvent, AlarmMetric, AlarmState,
    AlarmStateValue, EvaluatedDatapoint, MetricRef, MetricStat, ReasonData, ALARM_STATE_CHANGE,
};
use monitor_core::retrain::keys::fnv1a_128;
use monitor_core::CoreError;
use serde::{Deserialize, Serialize};

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

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
        let reason = transition_reason(def, current.value, next, &present, &breaching);
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

/// CloudWatch's `stateReason` for the transition of `def` from `from` to `next`, given the
/// evaluated periods' datapoints (`(period, value, samples)`) and the breaching ones.
fn transition_reason(
    def: &AlarmDefinition,
    from: AlarmStateValue,
    next: AlarmStateValue,
    present: &[(i64, f64, usize)],
    breaching: &[&(i64, f64, usize)],
) -> String {
    let period = i64::from(def.period_seconds);
    let at = |bucket: i64| Utc.timestamp_opt(bucket * period, 0).single();
    let n = i64::from(def.evaluation_periods);
    let m = def.datapoints_to_alarm as usize;
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
        if from == AlarmStateValue::InsufficientData {
            "INSUFFICIENT_DATA"
        } else {
            from.as_str()
        },
        next.as_str()
    );
    if present.is_empty() {
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
            if next == AlarmStateValue::Alarm {
                ""
            } else {
                "not "
            },
            def.comparison.phrase(),
            java_double(def.threshold),
            m,
            plural(m),
            transition
        )
    }
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
            cloudwatch_timestamp(&transition.state.timestamp),
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
    use chrono::TimeDelta;
    use monitor_core::app::retrain::{run, RunOptions};
    use monitor_core::retrain::config::RETRAIN_CONFIG_KEY;
    use monitor_core::retrain::events::AlarmEvent;
    use monitor_core::retrain::evidence::{alarm_window, PipelineParameter};
    use monitor_core::retrain::launcher::FileLauncher;
    use monitor_core::store::{MemoryStore, ObjectStore};

    /// The shared event fixture (authored after spec §13.1).
    const ALARM_EVENT: &str = include_str!("../../events/alarm-state-change.json");
    /// The report folder of the window 03:00–04:00 on 2026-11-01 (named by the hour the
    /// window ends), which the fixture's newest evaluated datapoint (03:00) stands for.
    const VIOLATIONS: &str = test_support::retrain::VIOLATIONS;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn event() -> AlarmEvent {
        AlarmEvent::from_json(ALARM_EVENT.as_bytes()).unwrap()
    }

    fn config_json(dry_run: bool) -> serde_json::Value {
        test_support::retrain::config_with_parameters(dry_run)
    }

    async fn store_with(config: serde_json::Value, violations: bool) -> MemoryStore {
        assert_eq!(test_support::retrain::CONFIG_KEY, RETRAIN_CONFIG_KEY);
        let store = MemoryStore::new();
        for (key, body) in test_support::retrain::objects_with(&config, violations) {
            store.put(key, body).await.unwrap();
        }
        store
    }

    fn param<'a>(ps: &'a [PipelineParameter], name: &str) -> &'a str {
        ps.iter()
            .find(|p| p.name == name)
            .map(|p| p.value.as_str())
            .unwrap_or_else(|| panic!("no parameter {name}"))
    }

    fn opts() -> RunOptions {
        RunOptions {
            dry_run: None,
            store_uri: "s3://mw-bucket/".into(),
        }
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
