use baseline::{handle_event, Deps};
use lambda_kit::CommonConfig;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_kit::logging::init();
    let config = CommonConfig::from_env()?;
    let store = lambda_kit::store_from(&config).await;
    let deps = Deps { store };
    lambda_runtime::run(service_fn(|ev: LambdaEvent<_>| handle_event(ev, &deps))).await
}
