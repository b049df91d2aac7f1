//! The edge every modelwatch Lambda shares: a typed configuration read once from the
//! environment at cold start, the store it selects, and one error type that maps onto
//! Lambda's `Diagnostic` with a stable `error_type` (`InvalidEvent`, `Transient`,
//! `Permanent`) so retries, on-failure destinations and alarms can key on it.
#![forbid(unsafe_code)]

use lambda_runtime::Diagnostic;
use monitor_core::store::LocalStore;
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

/// Where a function keeps its objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// A local directory (tests, `cargo lambda watch` on a laptop).
    Local {
        /// root directory
        root: String,
    },
    /// An S3 bucket.
    S3 {
        /// bucket name
        bucket: String,
    },
}

/// Configuration every function reads at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommonConfig {
    /// the object store
    pub store: StoreConfig,
}

/// A missing or invalid environment variable, named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {name}: {message}")]
pub struct ConfigError {
    /// variable name
    pub name: &'static str,
    /// what is wrong
    pub message: String,
}

/// Environment variable names.
pub mod env {
    /// `local` or `s3` (default `s3` when `MODELWATCH_BUCKET` is set, else required)
    pub const STORE: &str = "MODELWATCH_STORE";
    /// root directory of the local store
    pub const LOCAL_ROOT: &str = "MODELWATCH_LOCAL_ROOT";
    /// S3 bucket of the data
    pub const BUCKET: &str = "MODELWATCH_BUCKET";
}

impl CommonConfig {
    /// Reads the configuration through `lookup` (the process environment in `main`, a
    /// map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let kind = lookup(env::STORE).map(|s| s.trim().to_ascii_lowercase());
        let bucket = lookup(env::BUCKET).filter(|s| !s.trim().is_empty());
        let store = match (kind.as_deref(), bucket) {
            (Some("local"), _) => {
                let root = lookup(env::LOCAL_ROOT)
                    .filter(|s| !s.trim().is_empty())
                    .ok_or_else(|| ConfigError {
                        name: env::LOCAL_ROOT,
                        message: "required when MODELWATCH_STORE=local".into(),
                    })?;
                StoreConfig::Local { root }
            }
            (Some("s3") | None, Some(bucket)) => StoreConfig::S3 { bucket },
            (Some("s3") | None, None) => {
                return Err(ConfigError {
                    name: env::BUCKET,
                    message: "required (or set MODELWATCH_STORE=local and MODELWATCH_LOCAL_ROOT)"
                        .into(),
                })
            }
            (Some(other), _) => {
                return Err(ConfigError {
                    name: env::STORE,
                    message: format!("{other:?} is not one of local, s3"),
                })
            }
        };
        Ok(Self { store })
    }

    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }
}

/// The store a function runs on.
pub fn local_store(root: &str) -> LocalStore {
    LocalStore::new(root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<CommonConfig, ConfigError> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        CommonConfig::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn store_selection() {
        assert_eq!(
            cfg(&[("MODELWATCH_BUCKET", "b")]).unwrap().store,
            StoreConfig::S3 { bucket: "b".into() }
        );
        assert_eq!(
            cfg(&[("MODELWATCH_STORE", "local"), ("MODELWATCH_LOCAL_ROOT", "/tmp/x")])
                .unwrap()
                .store,
            StoreConfig::Local {
                root: "/tmp/x".into()
            }
        );
        let e = cfg(&[("MODELWATCH_STORE", "local")]).unwrap_err();
        assert_eq!(e.name, "MODELWATCH_LOCAL_ROOT");
        let e = cfg(&[]).unwrap_err();
        assert_eq!(e.name, "MODELWATCH_BUCKET");
        let e = cfg(&[("MODELWATCH_STORE", "gcs")]).unwrap_err();
        assert!(e.to_string().contains("MODELWATCH_STORE"), "{e}");
    }

    #[test]
    fn errors_map_to_stable_types() {
        let e: FunctionError = CoreError::NotFound { key: "k".into() }.into();
        assert_eq!(e.error_type(), "Permanent");
        let d: Diagnostic = FunctionError::InvalidEvent("x".into()).into();
        assert_eq!(d.error_type, "InvalidEvent");
    }
}
