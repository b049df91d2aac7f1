#![recursion_limit = "256"]

use lambda_kit::ConfiguredLauncher;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use retrain_trigger::{handler, Config, Deps};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_kit::logging::init();
    let config = Config::from_env()?;
    let store = lambda_kit::store_from(&config.common).await;
    let launcher = ConfiguredLauncher::from_config(&config, store.clone()).await;
    let deps = Deps::new(store, launcher, config.run_options()).with_account(config.account_id);
    lambda_runtime::run(service_fn(|ev: LambdaEvent<_>| handler(ev, &deps))).await
}
