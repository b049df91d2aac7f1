//! The edge every modelwatch Lambda shares: a typed configuration read once from the
//! environment at cold start, the store it selects, and one error type that maps onto
//! Lambda's `Diagnostic` with a stable `error_type` (`InvalidEvent`, `Transient`,
//! `Permanent`) so retries, on-failure destinations and alarms can key on it.
#![forbid(unsafe_code)]

pub mod s3_event;

use lambda_runtime::Diagnostic;
use monitor_aws::{PutMetricDataSink, S3Store};
use monitor_core::metrics::{EmfStdoutSink, FileMetricSink, MetricDatum, MetricSink};
use monitor_core::store::{ByteReader, LocalStore, ObjectStore};
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
    /// AWS endpoint override (tests against a local emulator); the SDK's own
    /// `AWS_ENDPOINT_URL` works too
    pub endpoint_url: Option<String>,
    /// address S3 path-style (`http://host/bucket/key`); default on when an endpoint
    /// override is set, as emulators need it
    pub s3_path_style: bool,
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
    /// `emf` | `file` | `none`: where metrics go (default `emf`, or `file` with the local
    /// store); see [`MetricsMode`](crate::MetricsMode)
    pub const METRICS: &str = "MODELWATCH_METRICS";
    /// endpoint override for the AWS clients (e.g. `http://127.0.0.1:5000` for moto)
    pub const ENDPOINT_URL: &str = "MODELWATCH_AWS_ENDPOINT_URL";
    /// `true` | `false`: path-style S3 addressing (default: true with an endpoint override)
    pub const S3_PATH_STYLE: &str = "MODELWATCH_S3_PATH_STYLE";
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
        let endpoint_url = lookup(env::ENDPOINT_URL).filter(|s| !s.trim().is_empty());
        if let Some(url) = &endpoint_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError {
                    name: env::ENDPOINT_URL,
                    message: format!("{url:?} is not an http(s) URL"),
                });
            }
        }
        let s3_path_style = match lookup(env::S3_PATH_STYLE)
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
        {
            None => endpoint_url.is_some(),
            Some(v) if v == "true" || v == "1" => true,
            Some(v) if v == "false" || v == "0" => false,
            Some(v) => {
                return Err(ConfigError {
                    name: env::S3_PATH_STYLE,
                    message: format!("{v:?} is not true or false"),
                })
            }
        };
        Ok(Self {
            store,
            endpoint_url,
            s3_path_style,
        })
    }

    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }
}

/// The store a function runs on, chosen at cold start.
#[derive(Debug, Clone)]
pub enum AnyStore {
    /// a local directory
    Local(LocalStore),
    /// an S3 bucket
    S3(S3Store),
}

impl ObjectStore for AnyStore {
    async fn get(&self, key: &str) -> Result<Vec<u8>, CoreError> {
        match self {
            AnyStore::Local(s) => s.get(key).await,
            AnyStore::S3(s) => s.get(key).await,
        }
    }
    async fn reader(&self, key: &str) -> Result<ByteReader, CoreError> {
        match self {
            AnyStore::Local(s) => s.reader(key).await,
            AnyStore::S3(s) => s.reader(key).await,
        }
    }
    async fn put(&self, key: &str, body: Vec<u8>) -> Result<(), CoreError> {
        match self {
            AnyStore::Local(s) => s.put(key, body).await,
            AnyStore::S3(s) => s.put(key, body).await,
        }
    }
    async fn list(&self, prefix: &str) -> Result<Vec<String>, CoreError> {
        match self {
            AnyStore::Local(s) => s.list(prefix).await,
            AnyStore::S3(s) => s.list(prefix).await,
        }
    }
}

/// The AWS SDK configuration of a function (credentials and region from the Lambda
/// environment; the endpoint override for emulators).
pub async fn aws_config(config: &CommonConfig) -> aws_config::SdkConfig {
    monitor_aws::sdk_config(config.endpoint_url.as_deref()).await
}

/// The models explainability monitors score with: local models in process, SageMaker
/// endpoints through SageMaker Runtime (a client created once, here, at cold start; it
/// blocks on the current runtime, from the tick's blocking threads).
pub async fn models_from(config: &CommonConfig) -> monitor_aws::AwsModels {
    let sdk = aws_config(config).await;
    monitor_aws::AwsModels::new(
        monitor_aws::runtime_client(&sdk),
        tokio::runtime::Handle::current(),
    )
}

/// Builds the configured store (S3 clients are created once, here, at cold start).
pub async fn store_from(config: &CommonConfig) -> AnyStore {
    match &config.store {
        StoreConfig::Local { root } => AnyStore::Local(LocalStore::new(root)),
        StoreConfig::S3 { bucket } => {
            let sdk = aws_config(config).await;
            let client = monitor_aws::s3_client(&sdk, config.s3_path_style);
            AnyStore::S3(S3Store::new(client, bucket.clone()))
        }
    }
}

impl StoreConfig {
    /// The bucket of an S3 store; `None` for the local store.
    pub fn bucket(&self) -> Option<&str> {
        match self {
            StoreConfig::S3 { bucket } => Some(bucket),
            StoreConfig::Local { .. } => None,
        }
    }
}

/// Where a function publishes its CloudWatch metrics (`MODELWATCH_METRICS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsMode {
    /// `emf`: CloudWatch Embedded Metric Format lines on stdout; Lambda forwards them to
    /// CloudWatch Logs, which extracts the metrics without an API call. Default on S3.
    Emf,
    /// `file`: SageMaker BYOC metrics files under `metrics/` in the store. Default with the
    /// local store.
    File,
    /// `cloudwatch`: PutMetricData API calls (exact statistic sets; needs
    /// `cloudwatch:PutMetricData`).
    CloudWatch,
    /// `none`: metrics are dropped.
    None,
}

impl MetricsMode {
    /// The mode used when `MODELWATCH_METRICS` is unset: `file` for the local store (no
    /// CloudWatch on a laptop), `emf` otherwise.
    pub fn default_for(store: &StoreConfig) -> Self {
        match store {
            StoreConfig::Local { .. } => MetricsMode::File,
            StoreConfig::S3 { .. } => MetricsMode::Emf,
        }
    }

    /// Reads `MODELWATCH_METRICS` through `lookup` (case-insensitive; unset or blank means
    /// [`MetricsMode::default_for`] `store`).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        store: &StoreConfig,
    ) -> Result<Self, ConfigError> {
        let raw = lookup(env::METRICS).filter(|s| !s.trim().is_empty());
        let Some(raw) = raw else {
            return Ok(Self::default_for(store));
        };
        match raw.trim().to_ascii_lowercase().as_str() {
            "emf" => Ok(MetricsMode::Emf),
            "file" => Ok(MetricsMode::File),
            "none" => Ok(MetricsMode::None),
            "cloudwatch" => Ok(MetricsMode::CloudWatch),
            _ => Err(ConfigError {
                name: env::METRICS,
                message: format!("{raw:?} is not one of emf, file, cloudwatch, none"),
            }),
        }
    }
}

/// The metric sink a [`MetricsMode`] selects, as one type so `main` can choose at cold start.
#[derive(Debug)]
pub enum ConfiguredMetrics<S> {
    /// EMF lines on stdout
    Emf(EmfStdoutSink),
    /// BYOC metrics files in the store
    File(FileMetricSink<S>),
    /// PutMetricData calls
    CloudWatch(PutMetricDataSink),
    /// metrics dropped
    Off,
}

impl<S: ObjectStore> ConfiguredMetrics<S> {
    /// The sink of `mode`; `store` is used by [`MetricsMode::File`] only. For
    /// [`MetricsMode::CloudWatch`] use [`ConfiguredMetrics::from_config`] (it needs a client);
    /// here it falls back to EMF.
    pub fn new(mode: MetricsMode, store: S) -> Self {
        match mode {
            MetricsMode::Emf | MetricsMode::CloudWatch => {
                ConfiguredMetrics::Emf(EmfStdoutSink::stdout())
            }
            MetricsMode::File => ConfiguredMetrics::File(FileMetricSink::new(store)),
            MetricsMode::None => ConfiguredMetrics::Off,
        }
    }

    /// The sink of `mode`, building a CloudWatch client when the mode asks for one.
    pub async fn from_config(mode: MetricsMode, store: S, config: &CommonConfig) -> Self {
        if mode == MetricsMode::CloudWatch {
            let sdk = aws_config(config).await;
            ConfiguredMetrics::CloudWatch(PutMetricDataSink::new(monitor_aws::cloudwatch_client(
                &sdk,
            )))
        } else {
            Self::new(mode, store)
        }
    }

    /// The mode this sink was built from.
    pub fn mode(&self) -> MetricsMode {
        match self {
            ConfiguredMetrics::Emf(_) => MetricsMode::Emf,
            ConfiguredMetrics::File(_) => MetricsMode::File,
            ConfiguredMetrics::CloudWatch(_) => MetricsMode::CloudWatch,
            ConfiguredMetrics::Off => MetricsMode::None,
        }
    }
}

impl<S: ObjectStore> MetricSink for ConfiguredMetrics<S> {
    async fn publish(&self, data: &[MetricDatum]) -> Result<(), CoreError> {
        match self {
            ConfiguredMetrics::Emf(sink) => sink.publish(data).await,
            ConfiguredMetrics::File(sink) => sink.publish(data).await,
            ConfiguredMetrics::CloudWatch(sink) => sink.publish(data).await,
            ConfiguredMetrics::Off => {
                tracing::debug!(
                    data = data.len(),
                    "metrics dropped (MODELWATCH_METRICS=none)"
                );
                Ok(())
            }
        }
    }
}

/// Decodes the object key of an S3 event notification into the store key (`+` is a
/// space, then `%XX` escapes; see [`monitor_aws::decode_event_key`]).
pub fn decode_s3_key(raw: &str) -> String {
    monitor_aws::decode_event_key(raw)
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
            cfg(&[
                ("MODELWATCH_STORE", "local"),
                ("MODELWATCH_LOCAL_ROOT", "/tmp/x")
            ])
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
    fn metrics_mode_defaults_by_store_and_rejects_unknown_values() {
        let lookup = |pairs: &[(&str, &str)]| {
            let m: HashMap<String, String> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            move |k: &str| m.get(k).cloned()
        };
        let local = StoreConfig::Local {
            root: "/tmp/x".into(),
        };
        let s3 = StoreConfig::S3 { bucket: "b".into() };
        assert_eq!(
            MetricsMode::from_lookup(lookup(&[]), &local),
            Ok(MetricsMode::File)
        );
        assert_eq!(
            MetricsMode::from_lookup(lookup(&[]), &s3),
            Ok(MetricsMode::Emf)
        );
        assert_eq!(
            MetricsMode::from_lookup(lookup(&[("MODELWATCH_METRICS", " ")]), &s3),
            Ok(MetricsMode::Emf)
        );
        assert_eq!(
            MetricsMode::from_lookup(lookup(&[("MODELWATCH_METRICS", "EMF")]), &local),
            Ok(MetricsMode::Emf)
        );
        assert_eq!(
            MetricsMode::from_lookup(lookup(&[("MODELWATCH_METRICS", "file")]), &s3),
            Ok(MetricsMode::File)
        );
        assert_eq!(
            MetricsMode::from_lookup(lookup(&[("MODELWATCH_METRICS", "none")]), &s3),
            Ok(MetricsMode::None)
        );
        let e =
            MetricsMode::from_lookup(lookup(&[("MODELWATCH_METRICS", "statsd")]), &s3).unwrap_err();
        assert_eq!(e.name, "MODELWATCH_METRICS");
        assert_eq!(
            e.to_string(),
            "environment variable MODELWATCH_METRICS: \"statsd\" is not one of emf, file, cloudwatch, none"
        );
        assert_eq!(s3.bucket(), Some("b"));
        assert_eq!(local.bucket(), None);
    }

    #[test]
    fn s3_keys_are_form_url_decoded() {
        // The S3 docs' example (notification-content-structure): "red flower.jpg" arrives
        // as "red+flower.jpg"; the aws_lambda_events fixture key "Happy%20Face.jpg".
        assert_eq!(decode_s3_key("red+flower.jpg"), "red flower.jpg");
        assert_eq!(decode_s3_key("Happy%20Face.jpg"), "Happy Face.jpg");
        // `+` is decoded before `%2B`, so an encoded plus stays a plus.
        assert_eq!(
            decode_s3_key(
                "data-capture/ep/AllTraffic/2026/11/01/03/12-00-000-5f0c%2Bdemo+file.jsonl"
            ),
            "data-capture/ep/AllTraffic/2026/11/01/03/12-00-000-5f0c+demo file.jsonl"
        );
        assert_eq!(decode_s3_key("a%2Fb"), "a/b");
        // UTF-8: é = C3 A9, € = E2 82 AC.
        assert_eq!(decode_s3_key("caf%C3%A9/%E2%82%AC.csv"), "café/€.csv");
        assert_eq!(decode_s3_key("100%25+sure"), "100% sure");
        // Malformed escapes pass through; escapes that are not UTF-8 stay literal.
        assert_eq!(decode_s3_key("50%zz%4"), "50%zz%4");
        assert_eq!(decode_s3_key("x%FFy"), "x%FFy");
        assert_eq!(decode_s3_key(""), "");
    }

    #[test]
    fn errors_map_to_stable_types() {
        let e: FunctionError = CoreError::NotFound { key: "k".into() }.into();
        assert_eq!(e.error_type(), "Permanent");
        let d: Diagnostic = FunctionError::InvalidEvent("x".into()).into();
        assert_eq!(d.error_type, "InvalidEvent");
    }
}
