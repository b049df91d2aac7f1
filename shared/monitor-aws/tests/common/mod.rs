//! Shared helpers of the mocked-client tests.
#![allow(dead_code)] // each test binary uses a subset

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::{Credentials, SharedCredentialsProvider};
use aws_sdk_s3::primitives::SdkBody;
use aws_smithy_mocks::{create_mock_http_client, MockResponseInterceptor, Rule, RuleMode};

/// A configuration that needs nothing from the environment: fixed region and fake keys.
pub fn test_sdk_config(endpoint_url: Option<&str>) -> SdkConfig {
    let mut b = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKIDTEST", "secret", None, None, "test",
        )));
    if let Some(url) = endpoint_url {
        b = b.endpoint_url(url);
    }
    b.build()
}

/// The crate's retry policy (same mode and attempt count) with millisecond backoff, so
/// retry tests do not sleep for seconds.
pub fn fast_retry() -> RetryConfig {
    monitor_aws::retry_config()
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(5))
}

/// The mock interceptor with `rules`.
pub fn interceptor(mode: RuleMode, rules: &[&Rule]) -> MockResponseInterceptor {
    rules
        .iter()
        .fold(MockResponseInterceptor::new().rule_mode(mode), |i, r| {
            i.with_rule(r)
        })
}

/// An S3 client built by the crate's [`monitor_aws::s3_config`] whose requests are answered
/// by `rules` (aws-smithy-mocks), with [`fast_retry`].
pub fn mocked_s3(mode: RuleMode, rules: &[&Rule]) -> aws_sdk_s3::Client {
    let conf = monitor_aws::s3_config(&test_sdk_config(None), true)
        .http_client(create_mock_http_client())
        .interceptor(interceptor(mode, rules))
        .retry_config(fast_retry())
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// A raw HTTP response for `then_http_response` / `http_response` rules.
pub fn http(status: u16, body: &str) -> HttpResponse {
    HttpResponse::new(
        status.try_into().expect("valid status"),
        SdkBody::from(body.to_string()),
    )
}

/// An S3 REST-XML error body.
pub fn s3_error_xml(code: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>REQ1</RequestId></Error>"
    )
}
