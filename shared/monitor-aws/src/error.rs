//! Classification of SDK errors, shared by every AWS adapter of the workspace (S3,
//! CloudWatch here; SageMaker in `monitor-sagemaker`).
//!
//! The SDK has already retried what it considers retryable when an error reaches this
//! module (see [`crate::config::retry_config`]); the classification only decides which
//! `CoreError` the caller sees.

/// The raw HTTP response of every SDK's errors (one type across service crates).
pub use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// Error codes that mean "slow down / try later". The SDK's own throttling list
/// (`aws_runtime::retries::classifiers::THROTTLING_ERRORS`: "Throttling",
/// "ThrottlingException", "SlowDown", …) plus the transient codes it retries and the
/// server-side faults S3 and CloudWatch return with HTTP 500/503.
const TRANSIENT_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "InternalFailure",
    "InternalServiceFault",
    "InternalServiceError",
    "InternalServerError",
    "ServiceUnavailable",
];

/// Error codes of a request the service rejected as malformed.
const INVALID_CODES: &[&str] = &[
    "InvalidParameterValue",
    "InvalidParameterValueException",
    "InvalidParameterCombination",
    "InvalidParameterCombinationException",
    "MissingParameter",
    "MissingRequiredParameterException",
    "ValidationError",
    "ValidationException",
    "InvalidArgument",
];

/// Error codes of a request the caller is not allowed to make.
const DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "ExpiredToken",
    "ExpiredTokenException",
];

/// What an SDK error means to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The object (key) does not exist: `NoSuchKey`, `NotFound`, a bare HTTP 404, or what
    /// the caller's modeled error says (SageMaker's `ResourceNotFound`). `NoSuchBucket` is
    /// *not* this: a missing bucket is a configuration error.
    NotFound,
    /// Throttling, server faults, timeouts, connection failures: retrying later may work.
    Transient,
    /// The service rejected the request's parameters.
    Invalid,
    /// Credentials or permissions are missing (HTTP 403 or an access-denied code).
    Denied,
    /// Anything else.
    Other,
}

/// A classified SDK error with a one-line description.
#[derive(Debug, Clone)]
pub struct Failure {
    /// what the error means
    pub class: Class,
    /// `code: message (HTTP status)`, or the SDK's error chain when there is no code.
    pub message: String,
}

impl Failure {
    /// The `std::io::ErrorKind` closest to the class, for `CoreError::Io`.
    pub(crate) fn io_kind(&self) -> std::io::ErrorKind {
        match self.class {
            Class::NotFound => std::io::ErrorKind::NotFound,
            Class::Denied => std::io::ErrorKind::PermissionDenied,
            Class::Invalid => std::io::ErrorKind::InvalidInput,
            Class::Transient => std::io::ErrorKind::TimedOut,
            Class::Other => std::io::ErrorKind::Other,
        }
    }
}

fn is_transient_status(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
}

/// Classifies an SDK error of any operation.
///
/// `modeled` is the caller's reading of the operation's modeled error variant (e.g.
/// `GetObjectError::NoSuchKey` → [`Class::NotFound`]); it wins over the error code and the
/// HTTP status, which are only consulted when it is `None`.
pub fn classify<E>(err: &SdkError<E, HttpResponse>, modeled: Option<Class>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let code = service.err().code();
            let class = modeled.unwrap_or(match code {
                Some(c) if TRANSIENT_CODES.contains(&c) => Class::Transient,
                Some("NoSuchKey" | "NotFound") => Class::NotFound,
                Some(c) if INVALID_CODES.contains(&c) => Class::Invalid,
                Some(c) if DENIED_CODES.contains(&c) => Class::Denied,
                _ if is_transient_status(status) => Class::Transient,
                None if status == 404 => Class::NotFound,
                _ if status == 403 => Class::Denied,
                _ => Class::Other,
            });
            let message = match (code, service.err().message()) {
                (Some(c), Some(m)) => format!("{c}: {m} (HTTP {status})"),
                (Some(c), None) => format!("{c} (HTTP {status})"),
                (None, Some(m)) => format!("{m} (HTTP {status})"),
                (None, None) => format!("HTTP {status}: {}", DisplayErrorContext(service.err())),
            };
            Failure { class, message }
        }
        SdkError::TimeoutError(_) => Failure {
            class: Class::Transient,
            message: format!("timed out: {}", DisplayErrorContext(err)),
        },
        SdkError::DispatchFailure(dispatch) => Failure {
            class: if dispatch.is_io() || dispatch.is_timeout() {
                Class::Transient
            } else {
                Class::Other
            },
            message: format!("request not sent: {}", DisplayErrorContext(err)),
        },
        SdkError::ResponseError(response) => {
            let status = response.raw().status().as_u16();
            Failure {
                class: if is_transient_status(status) {
                    Class::Transient
                } else {
                    Class::Other
                },
                message: format!(
                    "unreadable response (HTTP {status}): {}",
                    DisplayErrorContext(err)
                ),
            }
        }
        _ => Failure {
            class: Class::Other,
            message: DisplayErrorContext(err).to_string(),
        },
    }
}
