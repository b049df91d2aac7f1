use lambda_kit::{ConfiguredMetrics, StoreConfig};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use monitor_tick::{handler, Config, Deps};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let store = match config.common.store {
        StoreConfig::Local { root } => lambda_kit::local_store(&root),
        StoreConfig::S3 { bucket } => {
            return Err(
                format!("bucket {bucket}: the S3 store is wired in with the AWS adapters").into(),
            )
        }
    };
    let metrics = ConfiguredMetrics::new(config.metrics, store.clone());
    let deps = Deps { store, metrics };
    lambda_runtime::run(service_fn(|ev: LambdaEvent<_>| handler(ev, &deps))).await
}
