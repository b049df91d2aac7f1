//! The one error type of every handler, and its mapping onto Lambda's `Diagnostic`.

use lambda_runtime::Diagnostic;
use monitor_core::CoreError;

/// A Lambda handler's error.
#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    /// The event does not have the expected shape or values; retrying will not help.
    #[error("invalid event: {0}")]
    InvalidEvent(String),
    /// A failure worth retrying (throttling, timeouts).
    #[error("transient: {0}")]
    Transient(#[source] CoreError),
    /// A failure that will repeat (missing baseline, bad configuration, bad data).
    #[error("permanent: {0}")]
    Permanent(#[source] CoreError),
}

impl From<CoreError> for FunctionError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Transient { .. } | CoreError::Io { .. } => FunctionError::Transient(e),
            other => FunctionError::Permanent(other),
        }
    }
}

impl FunctionError {
    /// The stable error type reported to Lambda.
    pub fn error_type(&self) -> &'static str {
        match self {
            FunctionError::InvalidEvent(_) => "InvalidEvent",
            FunctionError::Transient(_) => "Transient",
            FunctionError::Permanent(_) => "Permanent",
        }
    }
}

impl From<FunctionError> for Diagnostic {
    fn from(e: FunctionError) -> Self {
        Diagnostic {
            error_type: e.error_type().to_string(),
            error_message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_stable_types() {
        let e: FunctionError = CoreError::NotFound { key: "k".into() }.into();
        assert_eq!(e.error_type(), "Permanent");
        let d: Diagnostic = FunctionError::InvalidEvent("x".into()).into();
        assert_eq!(d.error_type, "InvalidEvent");
    }
}
