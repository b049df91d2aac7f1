//! The pure storm-control rule ([`decide`]) over the [`Facts`] of one event, and the
//! audit record of each decision.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::retrain::config::{PipelineConfig, RETRAIN_CONFIG_KEY};
use crate::retrain::events::AlarmStateValue;
use crate::retrain::evidence::{Evidence, PipelineParameter};

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
    /// the display name this event's execution gets ([`display_name`](crate::retrain::keys::display_name))
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

/// One decision as written under `state/retrain/audit/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// [`RECORD_VERSION`](crate::retrain::RECORD_VERSION)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retrain::test_support::*;
    use serde_json::json;

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
}
