use baseline::{handler, Deps};
use lambda_kit::{CommonConfig, StoreConfig};
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = CommonConfig::from_env()?;
    let store = match config.store {
        StoreConfig::Local { root } => lambda_kit::local_store(&root),
        StoreConfig::S3 { bucket } => {
            return Err(
                format!("bucket {bucket}: the S3 store is not wired into this build").into(),
            )
        }
    };
    let deps = Deps { store };
    lambda_runtime::run(service_fn(|ev: LambdaEvent<_>| handler(ev, &deps))).await
}
