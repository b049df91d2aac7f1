use capture_ingest::{handler, Deps};
use lambda_kit::CommonConfig;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_kit::logging::init();
    let config = CommonConfig::from_env()?;
    let bucket = config.store.bucket().map(str::to_owned);
    let store = lambda_kit::store_from(&config).await;
    let deps = Deps { store, bucket };
    lambda_runtime::run(service_fn(|ev: LambdaEvent<_>| handler(ev, &deps))).await
}
