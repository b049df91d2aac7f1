//! The retrain-trigger Lambda: an EventBridge rule on the monitors' alarms
//! (`{"source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"]}`,
//! usually narrowed to `"detail": {"state": {"value": ["ALARM"]}}`) invokes it; the handler
//! turns the event into a [`monitor_core::retrain::events::AlarmEvent`], makes one
//! [`monitor_core::app::retrain::run`] call and returns the [`RetrainSummary`] (the decision —
//! started, skipped-cooldown, skipped-running, skipped-duplicate, dry-run or ignored — the
//! audit key and the pipeline parameters).
//!
//! # The event
//!
//! spec §13.1; see `events/alarm-state-change.json`. `id` and `time` are required (the id
//! keys idempotency and the audit); `detail-type` must be `CloudWatch Alarm State Change`;
//! `detail` must have `alarmName` and `state` (`value`, `reason`, `reasonData`, `timestamp`).
//! `OK` and `INSUFFICIENT_DATA` transitions are logged and do nothing.
//!
//! # Configuration
//!
//! [`Config`] (`lambda_kit::TriggerConfig`), from the environment; `main` builds the launcher
//! it selects with `lambda_kit::ConfiguredLauncher`:
//!
//! | variable | meaning |
//! | --- | --- |
//! | `MODELWATCH_STORE`, `MODELWATCH_BUCKET`, `MODELWATCH_LOCAL_ROOT` | the store (see `lambda_kit`); it holds `config/retrain.json`, the monitors, the reports and `state/retrain/` |
//! | `MODELWATCH_DRY_RUN` | `true` / `false` (also `1`/`0`, `yes`/`no`): overrides `dry_run` of `config/retrain.json`; unset keeps it |
//! | `MODELWATCH_LAUNCHER` | `sagemaker` (default): `StartPipelineExecution`; `file`: runs recorded in the store under `state/retrain/runs/` (local) |
//! | `MODELWATCH_FILE_RUN_MINUTES` | `file` launcher only: how long a run stays `Executing` (default `0`: finishes at once; `never`: until finished by hand) |
//!
//! The SageMaker client reads region and credentials from the environment like every AWS
//! SDK; `MODELWATCH_AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL`) points it at an emulator.

use std::sync::Arc;

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use chrono::{DateTime, Utc};
use lambda_kit::FunctionError;
use lambda_runtime::LambdaEvent;
use monitor_core::app::retrain::{self, RetrainSummary, RunOptions};
use monitor_core::retrain::events::{AlarmDetail, AlarmEvent, ALARM_STATE_CHANGE};
use monitor_core::retrain::launcher::{Clock, RetrainLauncher};
use monitor_core::store::ObjectStore;

pub use lambda_kit::LauncherMode;
/// The function's configuration, read once at cold start (parsed in `lambda_kit`).
pub use lambda_kit::TriggerConfig as Config;

/// What the handler needs, built once at cold start.
pub struct Deps<S, L> {
    /// the object store (configuration, reports, audit)
    pub store: S,
    /// starts pipelines
    pub launcher: L,
    /// dry-run override and store URI
    pub options: RunOptions,
    /// the decision time of each event (the system clock; tests fix it)
    pub clock: Clock,
    /// the only account whose alarms are acted on (`MODELWATCH_ACCOUNT_ID`); `None`: any
    pub account_id: Option<String>,
}

impl<S, L> Deps<S, L> {
    /// Dependencies on the system clock.
    pub fn new(store: S, launcher: L, options: RunOptions) -> Self {
        Self {
            store,
            launcher,
            options,
            clock: Arc::new(Utc::now),
            account_id: None,
        }
    }

    /// Acts only on alarm events of `account_id` (when `Some`); the EventBridge rule
    /// filters on the account too, this is the second lock.
    pub fn with_account(mut self, account_id: Option<String>) -> Self {
        self.account_id = account_id;
        self
    }
}

/// An alarm state-change event translated into the domain's event.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmInput(pub AlarmEvent);

fn invalid(message: String) -> FunctionError {
    FunctionError::InvalidEvent(message)
}

impl TryFrom<&EventBridgeEvent<AlarmDetail>> for AlarmInput {
    type Error = FunctionError;

    fn try_from(event: &EventBridgeEvent<AlarmDetail>) -> Result<Self, Self::Error> {
        if event.detail_type != ALARM_STATE_CHANGE {
            return Err(invalid(format!(
                "detail-type {:?}: expected {ALARM_STATE_CHANGE:?}",
                event.detail_type
            )));
        }
        let id = event
            .id
            .clone()
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| invalid("`id` is missing: it keys idempotency and the audit".into()))?;
        let time: DateTime<Utc> = event
            .time
            .ok_or_else(|| invalid("`time` is missing".into()))?;
        if event.detail.alarm_name.trim().is_empty() {
            return Err(invalid("detail.alarmName is empty".into()));
        }
        Ok(AlarmInput(AlarmEvent {
            version: event.version.clone().unwrap_or_default(),
            id,
            detail_type: event.detail_type.clone(),
            source: event.source.clone(),
            account: event.account.clone().unwrap_or_default(),
            time,
            region: event.region.clone().unwrap_or_default(),
            resources: event.resources.clone().unwrap_or_default(),
            detail: event.detail.clone(),
        }))
    }
}

/// Handles one alarm state change: at most one pipeline start, one audit record.
///
/// # Errors
/// [`FunctionError::InvalidEvent`] for an event without id/time, of another detail type or
/// from another account than [`Deps::account_id`]
/// (a `detail` of the wrong shape fails earlier, in the runtime's deserialisation);
/// otherwise the use case's error mapped to `Transient` (throttling, I/O) or `Permanent`
/// (missing or invalid `config/retrain.json`, access denied, unknown pipeline).
pub async fn handler<S: ObjectStore, L: RetrainLauncher>(
    event: LambdaEvent<EventBridgeEvent<AlarmDetail>>,
    deps: &Deps<S, L>,
) -> Result<RetrainSummary, FunctionError> {
    let AlarmInput(ev) = AlarmInput::try_from(&event.payload)?;
    if let Some(own) = deps.account_id.as_deref() {
        if ev.account != own {
            return Err(invalid(format!(
                "event {} comes from account {:?}; this function acts only on alarms of \
                 account {own} (MODELWATCH_ACCOUNT_ID)",
                ev.id, ev.account
            )));
        }
    }
    tracing::info!(
        event_id = %ev.id,
        alarm = %ev.detail.alarm_name,
        state = %ev.detail.state.value,
        previous = ?ev.detail.previous_state.as_ref().map(|s| s.value),
        "alarm state change"
    );
    let now = (deps.clock)();
    let summary = retrain::run(&deps.store, &deps.launcher, &ev, now, &deps.options).await?;
    tracing::info!(
        decision = summary.decision.kind(),
        audit = summary.audit_key.as_deref().unwrap_or(""),
        "retrain-trigger done"
    );
    Ok(summary)
}
