//! EndpointInvoker (the model-invoker port on SageMaker Runtime InvokeEndpoint) against
//! mocked responses (aws-smithy-mocks).

mod common;

use std::sync::{Arc, Mutex};

use aws_sdk_sagemakerruntime::error::ErrorMetadata;
use aws_sdk_sagemakerruntime::operation::invoke_endpoint::{
    InvokeEndpointError, InvokeEndpointOutput,
};
use aws_sdk_sagemakerruntime::primitives::Blob;
use aws_sdk_sagemakerruntime::types::error::ModelError;
use aws_sdk_sagemakerruntime::Client;
use aws_smithy_mocks::{create_mock_http_client, mock, Rule, RuleMode};
use common::{fast_retry, interceptor, test_sdk_config};
use monitor_aws::{runtime_config, AwsModels, EndpointInvoker};
use monitor_core::attribution::{InvokerFactory, ModelSpec};

fn mocked_runtime(mode: RuleMode, rules: &[&Rule]) -> Client {
    let conf = runtime_config(&test_sdk_config(None))
        .http_client(create_mock_http_client())
        .interceptor(interceptor(mode, rules))
        .retry_config(fast_retry())
        .build();
    Client::from_conf(conf)
}

fn csv_answer(text: &str) -> InvokeEndpointOutput {
    InvokeEndpointOutput::builder()
        .content_type("text/csv")
        .body(Blob::new(text.as_bytes().to_vec()))
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_go_out_as_csv_and_scores_come_back_in_order() {
    let seen: Arc<Mutex<Vec<(String, String, String)>>> = Arc::default();
    let record = Arc::clone(&seen);
    let rule = mock!(Client::invoke_endpoint).then_compute_output(move |req| {
        let body = req
            .body()
            .map(|b| String::from_utf8_lossy(b.as_ref()).into_owned())
            .unwrap_or_default();
        record.lock().unwrap().push((
            req.endpoint_name().unwrap_or_default().to_string(),
            req.content_type().unwrap_or_default().to_string(),
            body,
        ));
        csv_answer("0.25\n0.75\n")
    });
    let client = mocked_runtime(RuleMode::MatchAny, &[&rule]);
    let models = AwsModels::new(client, tokio::runtime::Handle::current());
    let invoker = models
        .invoker(
            &ModelSpec::Endpoint {
                endpoint_name: "churn-shadow".into(),
                output_attribute: None,
            },
            &["a".to_string(), "b".to_string()],
        )
        .unwrap();
    // the port is synchronous: called from a blocking thread, as monitor-tick does
    let scores =
        tokio::task::spawn_blocking(move || invoker.predict(&[vec![1.0, 2.5], vec![-3.0, 4.0]]))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(scores, vec![0.25, 0.75]);
    let seen = seen.lock().unwrap();
    assert_eq!(
        *seen,
        vec![(
            "churn-shadow".to_string(),
            "text/csv".to_string(),
            "1,2.5\n-3,4\n".to_string()
        )]
    );
}

#[tokio::test]
async fn throttling_then_success_scores() {
    let rule = mock!(Client::invoke_endpoint)
        .sequence()
        .error(|| {
            InvokeEndpointError::generic(
                ErrorMetadata::builder().code("ThrottlingException").build(),
            )
        })
        .output(|| csv_answer("0.5\n"))
        .build();
    let client = mocked_runtime(RuleMode::Sequential, &[&rule]);
    let inv = EndpointInvoker::new(client, "ep", None, tokio::runtime::Handle::current());
    assert_eq!(inv.predict_async(&[vec![1.0]]).await.unwrap(), vec![0.5]);
    assert_eq!(rule.num_calls(), 2);
}

#[tokio::test]
async fn a_failing_model_is_a_clear_error() {
    let rule = mock!(Client::invoke_endpoint).then_error(|| {
        InvokeEndpointError::ModelError(
            ModelError::builder()
                .message("Received server error (500) from primary")
                .build(),
        )
    });
    let client = mocked_runtime(RuleMode::MatchAny, &[&rule]);
    let inv = EndpointInvoker::new(
        client,
        "churn-shadow",
        None,
        tokio::runtime::Handle::current(),
    );
    let e = inv.predict_async(&[vec![1.0]]).await.unwrap_err();
    assert!(e.starts_with("InvokeEndpoint churn-shadow: "), "{e}");
    assert!(e.contains("Received server error (500)"), "{e}");
}

#[tokio::test]
async fn a_short_answer_is_an_error() {
    let rule = mock!(Client::invoke_endpoint).then_output(|| csv_answer("0.5\n"));
    let client = mocked_runtime(RuleMode::MatchAny, &[&rule]);
    let inv = EndpointInvoker::new(client, "ep", None, tokio::runtime::Handle::current());
    let e = inv
        .predict_async(&[vec![1.0], vec![2.0]])
        .await
        .unwrap_err();
    assert_eq!(e, "InvokeEndpoint ep: 1 scores for 2 records");
}
