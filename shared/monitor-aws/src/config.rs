//! Loading the shared AWS configuration and the retry policy every client uses.
//!
//! Inside Lambda the configuration comes from the environment (`AWS_REGION`, the function's
//! role credentials). Tests and the local demo point every client at an emulator (moto on
//! `http://127.0.0.1:5000`, see the tooling notes §2) either with `AWS_ENDPOINT_URL`, which
//! aws-config reads by itself, or with the explicit override of [`sdk_config`].
//!
//! S3 against an emulator also needs **path-style** addressing
//! ([`crate::s3_client`]`(&conf, true)`): with virtual-hosted style the SDK would send
//! requests to `http://BUCKET.127.0.0.1:5000`, which does not resolve.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};

/// Attempts per request, the first one included (the SDK's standard mode defaults to 3).
///
/// Five attempts with exponential backoff ride out the short S3 `503 SlowDown` and
/// CloudWatch `Throttling` bursts that a monitor hitting many capture files at once can
/// cause, while the worst-case wait (≤ 1 + 2 + 4 + 8 s of jittered backoff) stays well
/// inside a Lambda timeout.
pub const MAX_ATTEMPTS: u32 = 5;

/// Base of the exponential backoff: attempt *n* waits a random time in
/// `[0, min(INITIAL_BACKOFF · 2ⁿ⁻¹, MAX_BACKOFF)]` (the SDK's "full jitter" standard mode).
pub const INITIAL_BACKOFF: Duration = Duration::from_secs(1);

/// Upper bound of one backoff wait.
pub const MAX_BACKOFF: Duration = Duration::from_secs(20);

/// The retry policy of every client built by this crate: the SDK's **standard** mode
/// (token-bucket retry quota, exponential backoff with full jitter), [`MAX_ATTEMPTS`]
/// attempts, backoff between [`INITIAL_BACKOFF`] and [`MAX_BACKOFF`].
///
/// The SDK retries throttling codes (`Throttling`, `ThrottlingException`, `SlowDown`,
/// `RequestLimitExceeded`, …), the transient codes `RequestTimeout(Exception)`, HTTP
/// 500/502/503/504 and I/O or timeout failures of the connection. What is still failing
/// after the last attempt reaches the caller as `CoreError::Transient`.
#[must_use]
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(INITIAL_BACKOFF)
        .with_max_backoff(MAX_BACKOFF)
}

/// Loads the AWS configuration from the environment (region, credentials, profile,
/// `AWS_ENDPOINT_URL`, …) with [`BehaviorVersion::latest`] and the retry policy of
/// [`retry_config`].
///
/// `endpoint_url` overrides the endpoint of every service (an emulator in tests, e.g.
/// `Some("http://127.0.0.1:5000")`); `None` keeps AWS's endpoints or whatever
/// `AWS_ENDPOINT_URL` says. Remember `force_path_style = true` for S3 when an endpoint
/// override is in use (module docs).
pub async fn sdk_config(endpoint_url: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(retry_config());
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
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
        assert_eq!(rc.max_backoff(), Duration::from_secs(20));
    }

    #[tokio::test]
    async fn endpoint_override_is_applied() {
        let conf = sdk_config(Some("http://127.0.0.1:5000")).await;
        assert_eq!(conf.endpoint_url(), Some("http://127.0.0.1:5000"));
        assert_eq!(
            conf.retry_config().map(RetryConfig::max_attempts),
            Some(MAX_ATTEMPTS)
        );
    }
}
