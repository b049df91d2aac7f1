//! AWS adapters of monitor-core's ports.
//!
//! | port | adapter | AWS API |
//! | --- | --- | --- |
//! | [`monitor_core::store::ObjectStore`] | [`S3Store`] | S3 `GetObject` (streamed), `PutObject`, `ListObjectsV2` |
//! | [`monitor_core::metrics::MetricSink`] | [`PutMetricDataSink`] | CloudWatch `PutMetricData` |
//! | [`monitor_core::attribution::ModelInvoker`] | [`EndpointInvoker`] (via [`AwsModels`]) | SageMaker Runtime `InvokeEndpoint` |
//!
//! Wiring, once per process (a Lambda's `main`):
//!
//! ```no_run
//! # async fn wire() {
//! use monitor_aws::{cloudwatch_client, s3_client, sdk_config, PutMetricDataSink, S3Store};
//!
//! let conf = sdk_config(None).await; // region, credentials, AWS_ENDPOINT_URL from the env
//! let path_style = conf.endpoint_url().is_some(); // emulators (moto) need path-style S3
//! let store = S3Store::new(s3_client(&conf, path_style), "my-bucket");
//! let metrics = PutMetricDataSink::new(cloudwatch_client(&conf));
//! # let _ = (store, metrics);
//! # }
//! ```
//!
//! Every client retries with the SDK's standard mode, [`MAX_ATTEMPTS`] attempts and
//! exponential backoff ([`retry_config`]); what still fails reaches the caller as
//! `CoreError::Transient` (throttling, 5xx, timeouts), `CoreError::NotFound` (missing S3
//! key) or another `CoreError` naming the key and the service's message.
//!
//! [`decode_event_key`] turns the URL-encoded key of an S3 event notification back into
//! the object key.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod cloudwatch;
pub mod config;
pub mod error;
pub mod runtime;
pub mod s3;

pub use cloudwatch::{cloudwatch_client, cloudwatch_config, PutMetricDataSink};
pub use config::{retry_config, sdk_config, MAX_ATTEMPTS};
pub use runtime::{runtime_client, runtime_config, AwsModels, EndpointInvoker};
pub use s3::{decode_event_key, s3_client, s3_config, S3Store};
