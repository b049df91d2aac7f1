//! SageMakerLauncher against mocked SageMaker responses (aws-smithy-mocks): retries,
//! error classification, pagination, and the request it sends.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_sagemaker::config::{Credentials, Region, SharedCredentialsProvider};
use aws_sdk_sagemaker::error::ErrorMetadata;
use aws_sdk_sagemaker::operation::list_pipeline_executions::{
    ListPipelineExecutionsError, ListPipelineExecutionsOutput,
};
use aws_sdk_sagemaker::operation::start_pipeline_execution::{
    StartPipelineExecutionError, StartPipelineExecutionOutput,
};
use aws_sdk_sagemaker::types::error::ResourceNotFound;
use aws_sdk_sagemaker::types::{PipelineExecutionStatus, PipelineExecutionSummary, SortOrder};
use aws_sdk_sagemaker::Client;
use aws_smithy_mocks::{create_mock_http_client, mock, MockResponseInterceptor, Rule, RuleMode};
use monitor_core::retrain::decision::RunningExecution;
use monitor_core::retrain::launcher::RetrainLauncher;
use monitor_core::CoreError;
use monitor_sagemaker::{
    retry_config, sagemaker_config, ErrorKind, SageMakerLauncher, MAX_ATTEMPTS,
};

const PIPELINE: &str = "churn-retrain";
const EXEC_ARN: &str =
    "arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-retrain/execution/0a1b2c3d4e5f";
const TOKEN: &str = "mw-0123456789abcdef0123456789abcdef-c4e2a8b1";

fn test_sdk_config() -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "test", "test", None, None, "test",
        )))
        .build()
}

/// The crate's retry policy (same mode and attempts) with millisecond backoff.
fn fast_retry() -> RetryConfig {
    retry_config()
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(5))
}

/// A launcher whose client is built by the crate's `sagemaker_config` and answered by `rules`.
fn launcher(mode: RuleMode, rules: &[&Rule]) -> SageMakerLauncher {
    let interceptor = rules
        .iter()
        .fold(MockResponseInterceptor::new().rule_mode(mode), |i, r| {
            i.with_rule(r)
        });
    let conf = sagemaker_config(&test_sdk_config())
        .http_client(create_mock_http_client())
        .interceptor(interceptor)
        .retry_config(fast_retry())
        .build();
    SageMakerLauncher::new(Client::from_conf(conf))
}

fn params() -> Vec<(String, String)> {
    vec![
        ("AlarmName".into(), "churn-dq-balance-drift".into()),
        (
            "ViolationsUri".into(),
            "s3://b/reports/churn-endpoint/churn-dq/2026/11/01/04/constraint_violations.json"
                .into(),
        ),
    ]
}

fn start_output() -> StartPipelineExecutionOutput {
    StartPipelineExecutionOutput::builder()
        .pipeline_execution_arn(EXEC_ARN)
        .build()
}

#[tokio::test]
async fn throttled_start_succeeds_on_retry_with_the_same_request() {
    let rule = mock!(Client::start_pipeline_execution)
        .match_requests(|r| {
            let ps = r.pipeline_parameters();
            r.pipeline_name() == Some(PIPELINE)
                && r.client_request_token() == Some(TOKEN)
                && r.pipeline_execution_display_name() == Some("mw-churn-dq-balance-drift-1")
                && ps.len() == 2
                && ps[0].name() == Some("AlarmName")
                && ps[0].value() == Some("churn-dq-balance-drift")
                && ps[1].name() == Some("ViolationsUri")
        })
        .sequence()
        .error(|| {
            StartPipelineExecutionError::generic(
                ErrorMetadata::builder()
                    .code("ThrottlingException")
                    .message("Rate exceeded")
                    .build(),
            )
        })
        .output(start_output)
        .build();
    let l = launcher(RuleMode::Sequential, &[&rule]);
    let arn = l
        .start(PIPELINE, TOKEN, "mw-churn-dq-balance-drift-1", &params())
        .await
        .unwrap();
    assert_eq!(arn, EXEC_ARN);
    assert_eq!(rule.num_calls(), 2, "one throttled attempt, one retry");
}

#[tokio::test]
async fn throttling_that_persists_is_transient_after_every_attempt() {
    let rule = mock!(Client::start_pipeline_execution)
        .sequence()
        .error(|| {
            StartPipelineExecutionError::generic(
                ErrorMetadata::builder()
                    .code("ThrottlingException")
                    .message("Rate exceeded")
                    .build(),
            )
        })
        .times(MAX_ATTEMPTS as usize)
        .build();
    let l = launcher(RuleMode::Sequential, &[&rule]);
    let e = l
        .start_execution(PIPELINE, TOKEN, "d", &params())
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transient);
    assert_eq!(rule.num_calls(), MAX_ATTEMPTS as usize, "the SDK retried");
    let core: CoreError = e.into();
    match core {
        CoreError::Transient { key, message } => {
            assert_eq!(key, PIPELINE);
            assert!(
                message.starts_with(
                    "sagemaker:StartPipelineExecution on pipeline churn-retrain: \
                     ThrottlingException: Rate exceeded"
                ),
                "{message}"
            );
        }
        other => panic!("expected Transient, got {other:?}"),
    }
}

#[tokio::test]
async fn access_denied_fails_at_once_with_a_clear_error() {
    let denied = "User: arn:aws:sts::123456789012:assumed-role/mw-retrain/fn is not authorized \
                  to perform: sagemaker:StartPipelineExecution on resource: \
                  arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-retrain";
    let rule = mock!(Client::start_pipeline_execution).then_error(move || {
        StartPipelineExecutionError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message(denied)
                .build(),
        )
    });
    let l = launcher(RuleMode::MatchAny, &[&rule]);
    let e = l.start(PIPELINE, TOKEN, "d", &params()).await.unwrap_err();
    assert_eq!(rule.num_calls(), 1, "access denied is not retried");
    match &e {
        CoreError::Config {
            field,
            value,
            message,
        } => {
            assert_eq!(field, "pipeline");
            assert_eq!(value, PIPELINE);
            assert!(
                message.starts_with(
                    "access denied: the caller's role may not call \
                     sagemaker:StartPipelineExecution on this pipeline"
                ),
                "{message}"
            );
            assert!(message.contains(denied), "{message}");
        }
        other => panic!("expected Config, got {other:?}"),
    }
    // a Lambda maps it to a permanent failure (lambda-kit: Config → Permanent)
    assert!(e.to_string().contains("churn-retrain"), "{e}");
}

#[tokio::test]
async fn unknown_pipeline_names_the_pipeline() {
    let rule = mock!(Client::list_pipeline_executions).then_error(|| {
        ListPipelineExecutionsError::ResourceNotFound(
            ResourceNotFound::builder()
                .message("Pipeline 'churn-retrain' does not exist.")
                .meta(
                    ErrorMetadata::builder()
                        .code("ResourceNotFound")
                        .message("Pipeline 'churn-retrain' does not exist.")
                        .build(),
                )
                .build(),
        )
    });
    let l = launcher(RuleMode::MatchAny, &[&rule]);
    let e = l.list_executing(PIPELINE).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(e.action, "ListPipelineExecutions");
    let core: CoreError = e.into();
    let msg = core.to_string();
    assert!(
        msg.contains("no such pipeline") && msg.contains("\"churn-retrain\""),
        "{msg}"
    );
}

fn summary(arn: &str, status: PipelineExecutionStatus, name: &str) -> PipelineExecutionSummary {
    PipelineExecutionSummary::builder()
        .pipeline_execution_arn(arn)
        .pipeline_execution_status(status)
        .pipeline_execution_display_name(name)
        .build()
}

#[tokio::test]
async fn running_executions_follow_every_page_and_keep_executing_only() {
    let page1 = mock!(Client::list_pipeline_executions)
        .match_requests(|r| {
            r.next_token().is_none()
                && r.pipeline_name() == Some(PIPELINE)
                && r.sort_order() == Some(&SortOrder::Descending)
                && r.max_results() == Some(100)
        })
        .then_output(|| {
            ListPipelineExecutionsOutput::builder()
                .pipeline_execution_summaries(summary(
                    "arn:e3",
                    PipelineExecutionStatus::Executing,
                    "mw-a-3",
                ))
                .pipeline_execution_summaries(summary(
                    "arn:e2",
                    PipelineExecutionStatus::Succeeded,
                    "mw-a-2",
                ))
                .pipeline_execution_summaries(summary(
                    "arn:e2b",
                    PipelineExecutionStatus::Stopping,
                    "mw-a-2b",
                ))
                .next_token("page-2")
                .build()
        });
    let page2 = mock!(Client::list_pipeline_executions)
        .match_requests(|r| r.next_token() == Some("page-2"))
        .then_output(|| {
            ListPipelineExecutionsOutput::builder()
                .pipeline_execution_summaries(summary(
                    "arn:e1",
                    PipelineExecutionStatus::Executing,
                    "mw-a-1",
                ))
                .pipeline_execution_summaries(summary(
                    "arn:e0",
                    PipelineExecutionStatus::Failed,
                    "mw-a-0",
                ))
                .build()
        });
    let l = launcher(RuleMode::MatchAny, &[&page1, &page2]);
    let running = l.running_executions(PIPELINE).await.unwrap();
    assert_eq!(
        running,
        vec![
            RunningExecution {
                arn: "arn:e3".into(),
                display_name: Some("mw-a-3".into())
            },
            RunningExecution {
                arn: "arn:e1".into(),
                display_name: Some("mw-a-1".into())
            },
        ]
    );
    assert_eq!(page1.num_calls(), 1);
    assert_eq!(page2.num_calls(), 1);
}

#[tokio::test]
async fn lookback_sets_created_after() {
    let rule = mock!(Client::list_pipeline_executions)
        .match_requests(|r| {
            r.created_after().is_some_and(|t| {
                let age = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs() as i64
                    - t.secs();
                (86_390..=86_410).contains(&age)
            })
        })
        .then_output(|| ListPipelineExecutionsOutput::builder().build());
    let l = launcher(RuleMode::MatchAny, &[&rule]).with_lookback(Duration::from_secs(86_400));
    assert!(l.running_executions(PIPELINE).await.unwrap().is_empty());
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn a_start_answer_without_arn_is_an_error() {
    let rule = mock!(Client::start_pipeline_execution)
        .then_output(|| StartPipelineExecutionOutput::builder().build());
    let l = launcher(RuleMode::MatchAny, &[&rule]);
    let e = l
        .start_execution(PIPELINE, TOKEN, "d", &[])
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Other);
    assert!(e.to_string().contains("no PipelineExecutionArn"), "{e}");
}
