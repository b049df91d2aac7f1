use capture_ingest::{handler, Deps};
use lambda_kit::{CommonConfig, StoreConfig};
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = CommonConfig::from_env()?;
    let bucket = config.store.bucket().map(str::to_owned);
    let store = match config.store {
        StoreConfig::Local { root } => lambda_kit::local_store(&root),
        StoreConfig::S3 { bucket } => {
            return Err(
                format!("bucket {bucket}: the S3 store is wired in with the AWS adapters").into(),
            )
        }
    };
    let deps = Deps { store, bucket };
    lambda_runtime::run(service_fn(|ev: LambdaEvent<_>| handler(ev, &deps))).await
}
