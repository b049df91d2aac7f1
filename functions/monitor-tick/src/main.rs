use lambda_kit::ConfiguredMetrics;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use monitor_tick::{handler, Config, Deps};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_kit::logging::init();
    let config = Config::from_env()?;
    let store = lambda_kit::store_from(&config.common).await;
    let metrics =
        ConfiguredMetrics::from_config(config.metrics, store.clone(), &config.common).await;
    let invokers = lambda_kit::models_from(&config.common).await;
    let deps = Deps {
        store,
        metrics,
        invokers,
        stack: config.stack,
    };
    lambda_runtime::run(service_fn(|ev: LambdaEvent<_>| handler(ev, &deps))).await
}
