//! The SageMaker adapter of monitor-core's [`RetrainLauncher`] port.
//!
//! | port method | SageMaker API |
//! | --- | --- |
//! | [`RetrainLauncher::running_executions`] | `ListPipelineExecutions` (every page, newest first), kept where `PipelineExecutionStatus` is `Executing` |
//! | [`RetrainLauncher::start`] | `StartPipelineExecution` with `ClientRequestToken`, `PipelineExecutionDisplayName`, `PipelineParameters` |
//!
//! This is the only crate of the workspace that depends on `aws-sdk-sagemaker` (the slowest
//! crate to compile); only the retraining trigger links it (through `lambda-kit`'s
//! `sagemaker` feature). Everything else AWS comes from `monitor-aws`: the SDK
//! configuration and retry policy ([`sdk_config`], [`retry_config`]) and the classification
//! of errors (`monitor_aws::error`), so every client of the workspace retries and fails
//! alike.
//!
//! Wiring, once per process (a Lambda's `main`):
//!
//! ```no_run
//! # async fn wire() {
//! let conf = monitor_sagemaker::sdk_config(None).await; // region, credentials, AWS_ENDPOINT_URL
//! let launcher = monitor_sagemaker::SageMakerLauncher::new(monitor_sagemaker::sagemaker_client(&conf));
//! # let _ = launcher;
//! # }
//! ```
//!
//! # Errors
//!
//! The client retries with the SDK's standard mode, [`MAX_ATTEMPTS`] attempts and
//! exponential backoff ([`retry_config`]): throttling (`ThrottlingException`), HTTP 5xx,
//! timeouts and connection failures. What still fails becomes a [`SageMakerError`] naming
//! the action and the pipeline, converted into `CoreError` as:
//!
//! | [`ErrorKind`] | codes | `CoreError` |
//! | --- | --- | --- |
//! | `Transient` | throttling codes, `ResourceLimitExceeded` (too many executions), 5xx, timeouts | `Transient` (retry later) |
//! | `AccessDenied` | `AccessDeniedException`, HTTP 403, bad credentials | `Config { field: "pipeline" }`: the role lacks `sagemaker:{action}` on the pipeline |
//! | `NotFound` | `ResourceNotFound` | `Config { field: "pipeline" }`: no such pipeline |
//! | `Invalid` | `ValidationException` | `Config { field: "pipeline" }`: the request was rejected (undeclared parameter, bad name) |
//! | `Other` | anything else (`ConflictException`, …) | `Config { field: "pipeline" }` with the service's message |
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_sdk_sagemaker::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sagemaker::primitives::DateTime;
use aws_sdk_sagemaker::types::{
    Parameter, PipelineExecutionStatus, SortOrder, SortPipelineExecutionsBy,
};
use aws_sdk_sagemaker::Client;
use monitor_aws::error::{classify as classify_sdk, Class, HttpResponse};
use monitor_core::retrain::decision::RunningExecution;
use monitor_core::retrain::launcher::RetrainLauncher;
use monitor_core::CoreError;

/// The workspace's one AWS configuration and retry policy (`monitor_aws::config`): the
/// SageMaker client retries like the S3 and CloudWatch ones.
pub use monitor_aws::config::{
    retry_config, sdk_config, INITIAL_BACKOFF, MAX_ATTEMPTS, MAX_BACKOFF,
};

/// Page size of `ListPipelineExecutions` (the API's maximum).
pub const PAGE_SIZE: i32 = 100;

/// The SageMaker client configuration built from `conf` with [`retry_config`]. Tests add a
/// mock HTTP client or a faster retry policy before `build()`.
pub fn sagemaker_config(conf: &SdkConfig) -> aws_sdk_sagemaker::config::Builder {
    aws_sdk_sagemaker::config::Builder::from(conf).retry_config(retry_config())
}

/// A SageMaker client with the crate's retry policy.
pub fn sagemaker_client(conf: &SdkConfig) -> Client {
    Client::from_conf(sagemaker_config(conf).build())
}

/// What a failed SageMaker call means to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// throttling, too many executions, server faults, timeouts: retry later
    Transient,
    /// the caller may not make the call
    AccessDenied,
    /// the pipeline does not exist
    NotFound,
    /// the request was rejected as invalid
    Invalid,
    /// anything else
    Other,
}

/// A failed SageMaker call, after the SDK's retries.
#[derive(Debug, Clone, thiserror::Error)]
#[error("sagemaker:{action} on pipeline {pipeline}: {message}")]
pub struct SageMakerError {
    /// the API action (`StartPipelineExecution`, `ListPipelineExecutions`)
    pub action: &'static str,
    /// the pipeline name or ARN
    pub pipeline: String,
    /// the classification
    pub kind: ErrorKind,
    /// `code: message (HTTP status)` or the SDK's error chain
    pub message: String,
}

impl From<SageMakerError> for CoreError {
    fn from(e: SageMakerError) -> Self {
        let config = |message: String| CoreError::Config {
            field: "pipeline".into(),
            value: e.pipeline.clone(),
            message,
        };
        match e.kind {
            ErrorKind::Transient => CoreError::Transient {
                key: e.pipeline.clone(),
                message: e.to_string(),
            },
            ErrorKind::AccessDenied => config(format!(
                "access denied: the caller's role may not call sagemaker:{} on this pipeline; \
                 allow it in the IAM policy ({})",
                e.action, e.message
            )),
            ErrorKind::NotFound => config(format!(
                "sagemaker:{}: no such pipeline in this account and region ({})",
                e.action, e.message
            )),
            ErrorKind::Invalid => config(format!(
                "sagemaker:{} rejected the request ({})",
                e.action, e.message
            )),
            ErrorKind::Other => config(format!("sagemaker:{} failed: {}", e.action, e.message)),
        }
    }
}

impl From<Class> for ErrorKind {
    fn from(class: Class) -> Self {
        match class {
            Class::Transient => ErrorKind::Transient,
            Class::Denied => ErrorKind::AccessDenied,
            Class::NotFound => ErrorKind::NotFound,
            Class::Invalid => ErrorKind::Invalid,
            Class::Other => ErrorKind::Other,
        }
    }
}

/// Classifies a failed call with the workspace's AWS error classification
/// (`monitor_aws::error::classify`), plus SageMaker's own codes: `ResourceLimitExceeded`
/// (too many concurrent executions: retry later) and `ResourceNotFound` (no such pipeline).
fn classify<E>(
    action: &'static str,
    pipeline: &str,
    err: &SdkError<E, HttpResponse>,
) -> SageMakerError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let modeled = err.as_service_error().and_then(|e| match e.code() {
        Some("ResourceLimitExceeded") => Some(Class::Transient),
        Some("ResourceNotFound") => Some(Class::NotFound),
        _ => None,
    });
    let failure = classify_sdk(err, modeled);
    SageMakerError {
        action,
        pipeline: pipeline.to_string(),
        kind: failure.class.into(),
        message: failure.message,
    }
}

/// The SageMaker launcher: see the crate docs.
#[derive(Debug, Clone)]
pub struct SageMakerLauncher {
    client: Client,
    lookback: Option<Duration>,
}

impl SageMakerLauncher {
    /// A launcher on `client` (build it with [`sagemaker_client`]) that looks at every
    /// execution of the pipeline.
    pub fn new(client: Client) -> Self {
        Self {
            client,
            lookback: None,
        }
    }

    /// Only executions created within `lookback` of now are checked for `Executing`
    /// (`CreatedAfter`): bounds the listing of pipelines with a long history. Choose it
    /// longer than the longest execution.
    pub fn with_lookback(mut self, lookback: Duration) -> Self {
        self.lookback = Some(lookback);
        self
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// `running_executions` with the adapter's own error type.
    ///
    /// # Errors
    /// A [`SageMakerError`] for the first page that fails after the SDK's retries.
    pub async fn list_executing(
        &self,
        pipeline: &str,
    ) -> Result<Vec<RunningExecution>, SageMakerError> {
        let mut req = self
            .client
            .list_pipeline_executions()
            .pipeline_name(pipeline)
            .sort_by(SortPipelineExecutionsBy::CreationTime)
            .sort_order(SortOrder::Descending)
            .max_results(PAGE_SIZE);
        if let Some(lookback) = self.lookback {
            let after = SystemTime::now()
                .checked_sub(lookback)
                .unwrap_or(SystemTime::UNIX_EPOCH);
            req = req.created_after(DateTime::from(after));
        }
        let mut pages = req.into_paginator().send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify("ListPipelineExecutions", pipeline, &e))?;
            for s in page.pipeline_execution_summaries() {
                if s.pipeline_execution_status() == Some(&PipelineExecutionStatus::Executing) {
                    out.push(RunningExecution {
                        arn: s.pipeline_execution_arn().unwrap_or_default().to_string(),
                        display_name: s.pipeline_execution_display_name().map(str::to_string),
                    });
                }
            }
        }
        tracing::debug!(
            pipeline,
            executing = out.len(),
            "pipeline executions listed"
        );
        Ok(out)
    }

    /// `start` with the adapter's own error type.
    ///
    /// # Errors
    /// A [`SageMakerError`] after the SDK's retries, or when the answer has no ARN.
    pub async fn start_execution(
        &self,
        pipeline: &str,
        client_request_token: &str,
        display_name: &str,
        parameters: &[(String, String)],
    ) -> Result<String, SageMakerError> {
        let params: Vec<Parameter> = parameters
            .iter()
            .map(|(n, v)| Parameter::builder().name(n).value(v).build())
            .collect();
        let out = self
            .client
            .start_pipeline_execution()
            .pipeline_name(pipeline)
            .client_request_token(client_request_token)
            .pipeline_execution_display_name(display_name)
            .set_pipeline_parameters(Some(params))
            .send()
            .await
            .map_err(|e| classify("StartPipelineExecution", pipeline, &e))?;
        let arn = out
            .pipeline_execution_arn()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| SageMakerError {
                action: "StartPipelineExecution",
                pipeline: pipeline.to_string(),
                kind: ErrorKind::Other,
                message: "the response has no PipelineExecutionArn".into(),
            })?;
        tracing::info!(
            pipeline,
            execution = arn,
            display_name,
            "pipeline execution started"
        );
        Ok(arn.to_string())
    }
}

impl RetrainLauncher for SageMakerLauncher {
    async fn running_executions(&self, pipeline: &str) -> Result<Vec<RunningExecution>, CoreError> {
        Ok(self.list_executing(pipeline).await?)
    }

    async fn start(
        &self,
        pipeline: &str,
        client_request_token: &str,
        display_name: &str,
        parameters: &[(String, String)],
    ) -> Result<String, CoreError> {
        Ok(self
            .start_execution(pipeline, client_request_token, display_name, parameters)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_config::retry::RetryMode;

    #[test]
    fn retry_policy_is_standard_with_five_attempts() {
        let rc = retry_config();
        assert_eq!(rc.mode(), RetryMode::Standard);
        assert_eq!(rc.max_attempts(), 5);
        assert_eq!(rc.initial_backoff(), Duration::from_secs(1));
    }

    #[test]
    fn errors_convert_to_core_errors_by_kind() {
        let e = |kind| SageMakerError {
            action: "StartPipelineExecution",
            pipeline: "churn-retrain".into(),
            kind,
            message: "X: y (HTTP 400)".into(),
        };
        let t: CoreError = e(ErrorKind::Transient).into();
        assert!(
            matches!(&t, CoreError::Transient { key, message } if key == "churn-retrain"
                && message == "sagemaker:StartPipelineExecution on pipeline churn-retrain: X: y (HTTP 400)"),
            "{t:?}"
        );
        let d: CoreError = e(ErrorKind::AccessDenied).into();
        assert_eq!(
            d.to_string(),
            "invalid configuration pipeline = \"churn-retrain\": access denied: the caller's role \
             may not call sagemaker:StartPipelineExecution on this pipeline; allow it in the IAM \
             policy (X: y (HTTP 400))"
        );
        for kind in [ErrorKind::NotFound, ErrorKind::Invalid, ErrorKind::Other] {
            let c: CoreError = e(kind).into();
            assert!(matches!(c, CoreError::Config { ref field, .. } if field == "pipeline"));
        }
    }
}
