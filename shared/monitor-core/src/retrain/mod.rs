//! Alarm-driven retraining: when a monitor's CloudWatch alarm goes to `ALARM`, start the
//! SageMaker pipeline that retrains the model — once per event, with the evidence attached,
//! and never in a storm (spec §13).
//!
//! The pieces, from pure to effectful, one file each:
//!
//! * [`config`]: [`RetrainConfig`] (`config/retrain.json`): which alarm belongs to which
//!   monitor, model and pipeline, the cooldown and static pipeline parameters.
//! * [`events`]: [`AlarmEvent`], the EventBridge "CloudWatch Alarm State Change" event
//!   (spec §13.1).
//! * [`decision`]: [`decide`], the pure storm-control rule over the [`Facts`] of one
//!   event, and the [`AuditRecord`] of each decision.
//! * [`keys`]: the deterministic names and the store keys below.
//! * [`evidence`]: the window an alarm stands for and the pipeline parameters.
//! * [`launcher`]: [`RetrainLauncher`], the port that lists running executions and starts
//!   one; the SageMaker adapter lives in the `monitor-sagemaker` crate, [`FileLauncher`]
//!   records runs in the store for the local demo and tests.
//!
//! The use case — one [`run`] per event — is `app::retrain`. The local demo simulates
//! CloudWatch's M-of-N alarm rule (the `modelwatch` CLI's `demo::alarm_sim`) to drive
//! [`run`] exactly like AWS does.
//!
//! [`RetrainConfig`]: config::RetrainConfig
//! [`AlarmEvent`]: events::AlarmEvent
//! [`decide`]: decision::decide
//! [`Facts`]: decision::Facts
//! [`AuditRecord`]: decision::AuditRecord
//! [`RetrainLauncher`]: launcher::RetrainLauncher
//! [`FileLauncher`]: launcher::FileLauncher
//! [`run`]: crate::app::retrain::run
//! [`EvidenceParameter::ALL`]: config::EvidenceParameter::ALL
//! [`report_prefix`]: crate::layout::report_prefix
//! [`window_before`]: crate::layout::window_before
//! [`Decision::Ignored`]: decision::Decision::Ignored
//! [`Decision::SkippedDuplicate`]: decision::Decision::SkippedDuplicate
//! [`Decision::SkippedCooldown`]: decision::Decision::SkippedCooldown
//! [`Decision::SkippedRunning`]: decision::Decision::SkippedRunning
//! [`Decision::DryRun`]: decision::Decision::DryRun
//! [`Decision::Started`]: decision::Decision::Started
//! [`client_request_token`]: keys::client_request_token
//! [`display_name`]: keys::display_name
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

pub mod config;
pub mod decision;
pub mod events;
pub mod evidence;
pub mod keys;
pub mod launcher;
#[cfg(test)]
pub(crate) mod test_support;

/// Version of the audit and run records.
pub const RECORD_VERSION: u32 = 1;
