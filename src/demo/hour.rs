//! What the demo's one-hour side scenarios (the A/B, segment and multi-model hours) share: the
//! scenario's training CSV as a baseline, and the tick of hour 0.

use monitor_core::app::baseline::{self, BaselineRequest};
use monitor_core::app::tick::{self, TickRequest};
use monitor_core::attribution::LocalModels;
use monitor_core::data_quality::dataset::DatasetFormat;
use monitor_core::execution::Execution;
use monitor_core::metrics::FileMetricSink;
use monitor_core::store::{LocalStore, ObjectStore};

use crate::scenario::Scenario;

/// Writes `scenario`'s training CSV to `dataset` and its data-quality baseline (statistics,
/// constraints and the drift policy) under `prefix`.
///
/// # Errors
/// The store's and the baseline's errors.
pub(crate) async fn write_baseline(
    store: &LocalStore,
    scenario: &Scenario,
    dataset: &str,
    prefix: &str,
) -> anyhow::Result<()> {
    let mut csv = Vec::new();
    scenario.write_baseline_csv(&mut csv)?;
    store.put(dataset, csv).await?;
    baseline::run(
        store,
        &BaselineRequest {
            dataset: dataset.into(),
            format: DatasetFormat::Csv { header: true },
            output_prefix: prefix.into(),
        },
    )
    .await?;
    Ok(())
}

/// Ticks `monitor` at 5 minutes past the end of `scenario`'s hour 0 and returns its execution.
///
/// # Errors
/// The tick's errors, and a tick that evaluated nothing.
pub(crate) async fn tick_hour_zero(
    store: &LocalStore,
    scenario: &Scenario,
    monitor: &str,
) -> anyhow::Result<Execution> {
    let hour_end = chrono::DateTime::from_timestamp(scenario.hour_start(1), 0)
        .ok_or_else(|| anyhow::anyhow!("scenario start out of range"))?;
    let metrics = FileMetricSink::new(store.clone());
    let summary = tick::run(
        store,
        &metrics,
        &LocalModels,
        &TickRequest {
            now: hour_end + chrono::Duration::minutes(5),
            monitor: Some(monitor.into()),
            ..Default::default()
        },
    )
    .await?;
    summary
        .executions
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("the tick of {monitor} evaluated nothing"))
}
