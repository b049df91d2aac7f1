//! Alarm-driven retraining, the use case: one [`run`] per "CloudWatch Alarm State Change"
//! event (storm control and the audit trail: [`crate::retrain`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::MonitorConfig;
use crate::layout::monitor_config_key;
use crate::retrain::config::{load_config, PipelineConfig};
use crate::retrain::decision::{decide, AuditRecord, Decision, Facts, Verdict};
use crate::retrain::events::{AlarmEvent, AlarmStateValue};
use crate::retrain::evidence::{alarm_window, pipeline_parameters, Evidence, PipelineParameter};
use crate::retrain::keys::{
    audit_key, client_request_token, display_name, duplicate_key, parse_compact_time,
    start_index_key, starts_prefix, violations_key,
};
use crate::retrain::launcher::RetrainLauncher;
use crate::retrain::launcher::{parse_json, write_json};
use crate::retrain::RECORD_VERSION;
use crate::store::{get_optional, ObjectStore};
use crate::CoreError;

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
///
/// Why it is long: the decision is one ordered sequence (ignore, duplicate, cooldown,
/// running, dry run, start) whose order is the storm control; each step is a short guard
/// that returns, and keeping them in one place keeps that order auditable.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::RETRAIN_CONFIG_KEY;
    use crate::retrain::launcher::FileLauncher;
    use crate::retrain::test_support::*;
    use crate::store::MemoryStore;
    use chrono::TimeDelta;
    use std::sync::Arc;

    // ---- the use case --------------------------------------------------------------

    /// The decision on [`event`] at `now` with [`opts`].
    async fn run_event(
        store: &MemoryStore,
        launcher: &FileLauncher<MemoryStore>,
        now: &str,
    ) -> RetrainSummary {
        run(store, launcher, &event(), t(now), &opts())
            .await
            .unwrap()
    }

    /// The audit record of the decision on event `id`.
    async fn audit(store: &MemoryStore, id: &str) -> AuditRecord {
        let bytes = store.get(&audit_key("churn-retrain", id)).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    fn opts() -> RunOptions {
        RunOptions {
            dry_run: None,
            store_uri: "s3://mw-bucket/".into(),
        }
    }

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
        let rec = audit(&store, "ev-2").await;
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
        let s = run_event(&store, &launcher, "2026-11-01T04:07:00Z").await;
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
        let s = run_event(&store, &launcher, "2026-11-01T04:07:00Z").await;
        assert_eq!(s.decision, Decision::DryRun);
        assert!(s.dry_run);
        assert!(launcher.runs(PIPELINE_ARN).await.unwrap().is_empty());
        let rec = audit(&store, &event().id).await;
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
        let s = run_event(&store, &launcher, "2026-11-01T04:07:00Z").await;
        assert_eq!(param(&s.parameters, "ViolationsUri"), "");
        let rec = audit(&store, &event().id).await;
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
}
