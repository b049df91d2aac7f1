//! The edge every modelwatch Lambda shares: a typed configuration read once from the
//! environment at cold start, the adapters it selects, and one error type that maps onto
//! Lambda's `Diagnostic` with a stable `error_type` (`InvalidEvent`, `Transient`,
//! `Permanent`) so retries, on-failure destinations and alarms can key on it.
//!
//! | module | what |
//! | --- | --- |
//! | [`config`] | every environment variable: [`CommonConfig`], [`TickConfig`], [`TriggerConfig`] |
//! | [`select`] | the adapters a configuration selects: [`AnyStore`], [`ConfiguredMetrics`], `ConfiguredLauncher` |
//! | [`error`] | [`FunctionError`] → `Diagnostic` |
//! | [`s3_event`] | S3 event notifications: decoded keys, records to skip |
//! | [`logging`] | the `tracing` subscriber every function installs first |
//!
//! Feature `sagemaker` adds `ConfiguredLauncher` and with it the SageMaker SDK: only the
//! retraining trigger enables it, so the other functions neither compile nor link that SDK.
//!
//! A function's `main` is wiring only:
//!
//! ```no_run
//! # async fn wire() -> Result<(), lambda_kit::ConfigError> {
//! let config = lambda_kit::TickConfig::from_env()?;
//! let store = lambda_kit::store_from(&config.common).await;
//! let metrics =
//!     lambda_kit::ConfiguredMetrics::from_config(config.metrics, store.clone(), &config.common)
//!         .await;
//! # let _ = metrics;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod config;
pub mod error;
pub mod logging;
pub mod s3_event;
pub mod select;

pub use config::{
    env, CommonConfig, ConfigError, LauncherMode, MetricsMode, StoreConfig, TickConfig,
    TriggerConfig,
};
pub use error::FunctionError;
pub use s3_event::decode_s3_key;
#[cfg(feature = "sagemaker")]
pub use select::ConfiguredLauncher;
pub use select::{aws_config, models_from, store_from, AnyStore, ConfiguredMetrics};
