//! The adapters a configuration selects at cold start, each as one type so `main` can
//! choose without `dyn` and handlers stay generic over monitor-core's ports.
//!
//! | selector | port | chosen by | adapters |
//! | --- | --- | --- | --- |
//! | [`AnyStore`] | `ObjectStore` | [`StoreConfig`] | `LocalStore`, [`S3Store`] |
//! | [`ConfiguredMetrics`] | `MetricSink` | [`MetricsMode`] | `EmfStdoutSink`, `FileMetricSink`, [`PutMetricDataSink`], none |
//! | `ConfiguredLauncher` (feature `sagemaker`) | `RetrainLauncher` | [`LauncherMode`](crate::LauncherMode) | `SageMakerLauncher`, `FileLauncher` |
//!
//! Every selector has the same shape: an enum with one variant per adapter, an async
//! `from_config` that builds the SDK client it needs once, and the port implemented by
//! forwarding each method to the selected adapter (`forward!`). A new selector is a mode in
//! [`crate::config`], an enum here and its port's methods through `forward!`.

use monitor_aws::{PutMetricDataSink, S3Store};
use monitor_core::metrics::{EmfStdoutSink, FileMetricSink, MetricDatum, MetricSink};
use monitor_core::store::{ByteReader, LocalStore, ObjectStore};
use monitor_core::CoreError;

use crate::config::{CommonConfig, MetricsMode, StoreConfig};

/// `forward!(on, Selector { A, B }, |inner| call)`: the `match` that makes `call` on the
/// adapter a selector holds (bound to `inner`); further `pattern => value` arms cover
/// variants without an adapter.
macro_rules! forward {
    ($on:expr, $sel:ident { $($variant:ident),+ $(,)? }, |$inner:ident| $call:expr
     $(, $pat:pat => $other:expr)* $(,)?) => {
        match $on {
            $( $sel::$variant($inner) => $call, )+
            $( $pat => $other, )*
        }
    };
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

/// The store a function runs on, chosen at cold start.
#[derive(Debug, Clone)]
pub enum AnyStore {
    /// a local directory
    Local(LocalStore),
    /// an S3 bucket
    S3(S3Store),
}

impl AnyStore {
    /// Builds the configured store (S3 clients are created once, here, at cold start).
    pub async fn from_config(config: &CommonConfig) -> Self {
        match &config.store {
            StoreConfig::Local { root } => AnyStore::Local(LocalStore::new(root)),
            StoreConfig::S3 { bucket } => {
                let sdk = aws_config(config).await;
                let client = monitor_aws::s3_client(&sdk, config.s3_path_style);
                AnyStore::S3(S3Store::new(client, bucket.clone()))
            }
        }
    }
}

/// Builds the configured store: [`AnyStore::from_config`].
pub async fn store_from(config: &CommonConfig) -> AnyStore {
    AnyStore::from_config(config).await
}

impl ObjectStore for AnyStore {
    async fn get(&self, key: &str) -> Result<Vec<u8>, CoreError> {
        forward!(self, AnyStore { Local, S3 }, |s| s.get(key).await)
    }
    async fn reader(&self, key: &str) -> Result<ByteReader, CoreError> {
        forward!(self, AnyStore { Local, S3 }, |s| s.reader(key).await)
    }
    async fn put(&self, key: &str, body: Vec<u8>) -> Result<(), CoreError> {
        forward!(self, AnyStore { Local, S3 }, |s| s.put(key, body).await)
    }
    async fn list(&self, prefix: &str) -> Result<Vec<String>, CoreError> {
        forward!(self, AnyStore { Local, S3 }, |s| s.list(prefix).await)
    }
    async fn put_file(&self, key: &str, path: &std::path::Path) -> Result<(), CoreError> {
        forward!(self, AnyStore { Local, S3 }, |s| s
            .put_file(key, path)
            .await)
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
        forward!(
            self,
            ConfiguredMetrics { Emf, File, CloudWatch },
            |sink| sink.publish(data).await,
            ConfiguredMetrics::Off => {
                tracing::debug!(
                    data = data.len(),
                    "metrics dropped (MODELWATCH_METRICS=none)"
                );
                Ok(())
            }
        )
    }
}

#[cfg(feature = "sagemaker")]
pub use launcher::ConfiguredLauncher;

#[cfg(feature = "sagemaker")]
mod launcher {
    use chrono::TimeDelta;
    use monitor_core::retrain::decision::RunningExecution;
    use monitor_core::retrain::launcher::{FileLauncher, RetrainLauncher};
    use monitor_core::store::ObjectStore;
    use monitor_core::CoreError;
    use monitor_sagemaker::{sagemaker_client, SageMakerLauncher};

    use super::aws_config;
    use crate::config::{LauncherMode, TriggerConfig};

    /// The launcher a [`LauncherMode`] selects, as one type so `main` can choose at cold
    /// start (feature `sagemaker`: only the retraining trigger links the SageMaker SDK).
    #[derive(Debug)]
    pub enum ConfiguredLauncher<S> {
        /// SageMaker
        SageMaker(SageMakerLauncher),
        /// runs in the store
        File(FileLauncher<S>),
    }

    impl<S: ObjectStore> ConfiguredLauncher<S> {
        /// Builds the configured launcher; the SageMaker client gets the function's AWS
        /// configuration ([`aws_config()`]: region, credentials, endpoint override).
        pub async fn from_config(config: &TriggerConfig, store: S) -> Self {
            match config.launcher {
                LauncherMode::SageMaker => ConfiguredLauncher::SageMaker(SageMakerLauncher::new(
                    sagemaker_client(&aws_config(&config.common).await),
                )),
                LauncherMode::File => ConfiguredLauncher::File(
                    FileLauncher::new(store).with_run_duration(
                        config
                            .file_run_minutes
                            .map(|m| TimeDelta::minutes(i64::from(m))),
                    ),
                ),
            }
        }
    }

    impl<S: ObjectStore> RetrainLauncher for ConfiguredLauncher<S> {
        async fn running_executions(
            &self,
            pipeline: &str,
        ) -> Result<Vec<RunningExecution>, CoreError> {
            forward!(self, ConfiguredLauncher { SageMaker, File }, |l| {
                l.running_executions(pipeline).await
            })
        }

        async fn start(
            &self,
            pipeline: &str,
            client_request_token: &str,
            display_name: &str,
            parameters: &[(String, String)],
        ) -> Result<String, CoreError> {
            forward!(self, ConfiguredLauncher { SageMaker, File }, |l| {
                l.start(pipeline, client_request_token, display_name, parameters)
                    .await
            })
        }
    }
}
