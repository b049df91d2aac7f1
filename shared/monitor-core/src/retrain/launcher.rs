//! The port that lists running pipeline executions and starts one ([`RetrainLauncher`]),
//! and [`FileLauncher`], which records runs in the store for the local demo and tests
//! (the SageMaker adapter lives in the `monitor-sagemaker` crate).

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::retrain::config::pipeline_name_of;
use crate::retrain::decision::RunningExecution;
use crate::retrain::evidence::PipelineParameter;
use crate::retrain::keys::{fnv1a_128, run_key, runs_prefix};
use crate::retrain::RECORD_VERSION;
use crate::store::{get_optional, ObjectStore};
use crate::CoreError;

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
        run_key(pipeline_name_of(pipeline), token)
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

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    key: &str,
    bytes: &[u8],
) -> Result<T, CoreError> {
    serde_json::from_slice(bytes).map_err(|e| CoreError::State {
        key: key.into(),
        message: e.to_string(),
    })
}

pub(crate) async fn read_json<S: ObjectStore, T: serde::de::DeserializeOwned>(
    store: &S,
    key: &str,
) -> Result<T, CoreError> {
    parse_json(key, &store.get(key).await?)
}

pub(crate) async fn write_json<S: ObjectStore, T: Serialize>(
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
