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
//! [`Config`], from the environment:
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
use chrono::{DateTime, TimeDelta, Utc};
use lambda_kit::{CommonConfig, ConfigError, FunctionError, StoreConfig};
use lambda_runtime::LambdaEvent;
use monitor_core::app::retrain::{self, RetrainSummary, RunOptions};
use monitor_core::retrain::decision::RunningExecution;
use monitor_core::retrain::events::{AlarmDetail, AlarmEvent, ALARM_STATE_CHANGE};
use monitor_core::retrain::launcher::{Clock, FileLauncher, RetrainLauncher};
use monitor_core::store::ObjectStore;
use monitor_core::CoreError;
use monitor_sagemaker::{sagemaker_client, SageMakerLauncher};

/// Environment variable names of this function (the store's are in `lambda_kit::env`).
pub mod env {
    /// `true` | `false`: overrides `dry_run` of `config/retrain.json`
    pub const DRY_RUN: &str = "MODELWATCH_DRY_RUN";
    /// `sagemaker` | `file`
    pub const LAUNCHER: &str = "MODELWATCH_LAUNCHER";
    /// minutes a `file` run stays `Executing`, or `never`
    pub const FILE_RUN_MINUTES: &str = "MODELWATCH_FILE_RUN_MINUTES";
}

/// Which launcher starts pipelines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LauncherMode {
    /// SageMaker `StartPipelineExecution`
    SageMaker,
    /// runs recorded in the store (`FileLauncher`)
    File,
}

/// The function's configuration, read once at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// the store
    pub common: CommonConfig,
    /// `MODELWATCH_DRY_RUN`, when set
    pub dry_run: Option<bool>,
    /// `MODELWATCH_LAUNCHER`
    pub launcher: LauncherMode,
    /// `MODELWATCH_FILE_RUN_MINUTES`: `Some(minutes)`, or `None` for `never`
    pub file_run_minutes: Option<u32>,
}

fn non_blank(lookup: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    lookup(name)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

impl Config {
    /// Reads the configuration through `lookup` (the process environment in `main`, a map
    /// in tests).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the missing or invalid variable.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let common = CommonConfig::from_lookup(&lookup)?;
        let dry_run = match non_blank(&lookup, env::DRY_RUN) {
            None => None,
            Some(raw) => Some(match raw.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                _ => {
                    return Err(ConfigError {
                        name: env::DRY_RUN,
                        message: format!("{raw:?} is not one of true, false"),
                    })
                }
            }),
        };
        let launcher = match non_blank(&lookup, env::LAUNCHER) {
            None => LauncherMode::SageMaker,
            Some(raw) => match raw.to_ascii_lowercase().as_str() {
                "sagemaker" => LauncherMode::SageMaker,
                "file" => LauncherMode::File,
                _ => {
                    return Err(ConfigError {
                        name: env::LAUNCHER,
                        message: format!("{raw:?} is not one of sagemaker, file"),
                    })
                }
            },
        };
        let file_run_minutes = match non_blank(&lookup, env::FILE_RUN_MINUTES) {
            None => Some(0),
            Some(raw) if raw.eq_ignore_ascii_case("never") => None,
            Some(raw) => Some(raw.parse::<u32>().map_err(|_| ConfigError {
                name: env::FILE_RUN_MINUTES,
                message: format!("{raw:?} is neither a whole number of minutes nor `never`"),
            })?),
        };
        Ok(Self {
            common,
            dry_run,
            launcher,
            file_run_minutes,
        })
    }

    /// Reads the process environment.
    ///
    /// # Errors
    /// See [`Config::from_lookup`].
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// The options of `retrain::run`: the dry-run override and the URI prefix of store keys
    /// (`s3://{bucket}/`, or the local root followed by `/`).
    pub fn run_options(&self) -> RunOptions {
        let store_uri = match &self.common.store {
            StoreConfig::S3 { bucket } => format!("s3://{bucket}/"),
            StoreConfig::Local { root } => format!("{}/", root.trim_end_matches('/')),
        };
        RunOptions {
            dry_run: self.dry_run,
            store_uri,
        }
    }
}

/// The launcher a [`LauncherMode`] selects, as one type so `main` can choose at cold start.
#[derive(Debug)]
pub enum ConfiguredLauncher<S> {
    /// SageMaker
    SageMaker(SageMakerLauncher),
    /// runs in the store
    File(FileLauncher<S>),
}

impl<S: ObjectStore> ConfiguredLauncher<S> {
    /// Builds the configured launcher; the SageMaker client gets the function's AWS
    /// configuration ([`lambda_kit::aws_config`]: region, credentials, endpoint override).
    pub async fn from_config(config: &Config, store: S) -> Self {
        match config.launcher {
            LauncherMode::SageMaker => ConfiguredLauncher::SageMaker(SageMakerLauncher::new(
                sagemaker_client(&lambda_kit::aws_config(&config.common).await),
            )),
            LauncherMode::File => ConfiguredLauncher::File(
                FileLauncher::new(store).with_run_duration(
                    config
                        .file_run_minutes
                        .map(|m| TimeDelta::minutes(i64::from(m))),
                ),
            ),
        }
    }
}

impl<S: ObjectStore> RetrainLauncher for ConfiguredLauncher<S> {
    async fn running_executions(&self, pipeline: &str) -> Result<Vec<RunningExecution>, CoreError> {
        match self {
            ConfiguredLauncher::SageMaker(l) => l.running_executions(pipeline).await,
            ConfiguredLauncher::File(l) => l.running_executions(pipeline).await,
        }
    }

    async fn start(
        &self,
        pipeline: &str,
        client_request_token: &str,
        display_name: &str,
        parameters: &[(String, String)],
    ) -> Result<String, CoreError> {
        match self {
            ConfiguredLauncher::SageMaker(l) => {
                l.start(pipeline, client_request_token, display_name, parameters)
                    .await
            }
            ConfiguredLauncher::File(l) => {
                l.start(pipeline, client_request_token, display_name, parameters)
                    .await
            }
        }
    }
}

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
}

impl<S, L> Deps<S, L> {
    /// Dependencies on the system clock.
    pub fn new(store: S, launcher: L, options: RunOptions) -> Self {
        Self {
            store,
            launcher,
            options,
            clock: Arc::new(Utc::now),
        }
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
/// [`FunctionError::InvalidEvent`] for an event without id/time or of another detail type
/// (a `detail` of the wrong shape fails earlier, in the runtime's deserialisation);
/// otherwise the use case's error mapped to `Transient` (throttling, I/O) or `Permanent`
/// (missing or invalid `config/retrain.json`, access denied, unknown pipeline).
pub async fn handler<S: ObjectStore, L: RetrainLauncher>(
    event: LambdaEvent<EventBridgeEvent<AlarmDetail>>,
    deps: &Deps<S, L>,
) -> Result<RetrainSummary, FunctionError> {
    let AlarmInput(ev) = AlarmInput::try_from(&event.payload)?;
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
