//! The one-shot job's window of a plain data-quality monitor, merged one partial profile at a
//! time (issue 16 item 3: `modelwatch monitor --config` in flat memory).
//!
//! The tick's merge ([`crate::data_quality::window_merge`]) fetches 16 state objects ahead and
//! decodes and merges them in batches of up to 64 files or 8 MiB on every core: right for a
//! Lambda that is billed by the second, but its peak grows with the batch, and its short-lived
//! threads leave glibc arenas behind (88 MB of RSS for a 38 MB heap at 100k records). The job
//! runs on one machine, from a local store, with the report as its only output: here each
//! partial profile is read, decoded, merged and dropped before the next, in the key order the
//! tick merges them ([`crate::data_quality::tick::merge_partial`] on each in turn, which the
//! batched merge is bit-identical to), and the rest of the evaluation is the tick's own
//! ([`crate::data_quality::tick::evaluate_merged`]). The report files are the same bytes.
//!
//! Only a monitor whose evaluation is the data-quality tick alone takes this path
//! ([`serves`]); A/B variants, multi-model endpoints and batch transforms go through
//! [`crate::capability::Capability::evaluate`] as before.

use crate::config::{MonitorConfig, MonitorKind};
use crate::data_quality::checks::Baseline;
use crate::data_quality::consume::{load_baseline, PartialProfile};
use crate::data_quality::tick::{empty_window, evaluate_merged, merge_partial, WindowState};
use crate::execution::{Execution, OrFail, Stop, Window};
use crate::layout::{hour_floor, profile_hour_prefix};
use crate::metrics::MetricSink;
use crate::store::{ObjectStore, StateFile};
use crate::CoreError;

/// Whether [`evaluate`] gives the monitor's window exactly what
/// [`crate::capability::Capability::evaluate`] gives: a data-quality monitor without the
/// blocks that add to its evaluation (`variants`, `multi_model`) or change its metric sink
/// (`batch_transform`).
pub fn serves(cfg: &MonitorConfig) -> bool {
    cfg.kind == MonitorKind::DataQuality
        && cfg.variants.is_none()
        && cfg.multi_model.is_none()
        && cfg.batch_transform.is_none()
}

/// The partial-profile keys of `cfg` the tick merges for `window`, in its order: every key
/// under the hours of the window and the hour on either side (records near an hour boundary
/// can sit in the neighbouring hour's capture folder), hour by hour, each hour in key order
/// (as [`crate::data_quality::window_merge::merge_window`] lists them).
///
/// # Errors
/// The store's listing errors.
pub async fn window_keys<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    window: Window,
) -> Result<Vec<String>, CoreError> {
    let mut keys = Vec::new();
    let mut hour = hour_floor(window.start) - chrono::Duration::hours(1);
    let last = hour_floor(window.end - chrono::Duration::seconds(1)) + chrono::Duration::hours(1);
    while hour <= last {
        keys.extend(store.list(&profile_hour_prefix(&cfg.name, hour)).await?);
        hour += chrono::Duration::hours(1);
    }
    Ok(keys)
}

/// The window's merged state, one partial profile in memory at a time: the same state as the
/// tick's [`crate::data_quality::tick::merge_window`].
///
/// # Errors
/// The store's errors and the first unreadable partial profile in key order.
pub async fn merge_window<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    baseline: &Baseline,
    window: Window,
) -> Result<WindowState, CoreError> {
    let mut state = empty_window(baseline);
    for key in window_keys(store, cfg, window).await? {
        let partial = {
            let bytes = store.get(&key).await?;
            PartialProfile::from_json(&key, &bytes)?
        };
        merge_partial(&mut state, &partial, window.start, window.end);
    }
    Ok(state)
}

/// Evaluates `cfg` (one [`serves`] accepts) for `window` as
/// [`crate::capability::Capability::evaluate`] does — report files written, metrics
/// published, the execution settled — with the window merged by [`merge_window`].
///
/// # Errors
/// Retryable store failures ([`CoreError::is_retryable`]); every other problem is a `Failed`
/// execution.
pub async fn evaluate<S: ObjectStore, M: MetricSink>(
    store: &S,
    metrics: &M,
    cfg: &MonitorConfig,
    window: Window,
) -> Result<Execution, CoreError> {
    let mut exec = Execution::failed(cfg, window);
    let outcome = evaluate_in(store, metrics, cfg, window, &mut exec).await;
    exec.settle(store, outcome).await
}

/// [`crate::data_quality::tick::evaluate`] with the merge of [`merge_window`].
async fn evaluate_in<S: ObjectStore, M: MetricSink>(
    store: &S,
    metrics: &M,
    cfg: &MonitorConfig,
    window: Window,
    exec: &mut Execution,
) -> Result<(), Stop> {
    let baseline = load_baseline(store, cfg)
        .await
        .or_fail(|e| format!("Baseline missing or unreadable: {e}"))?;
    let state = merge_window(store, cfg, &baseline, window)
        .await
        .or_fail(|e| format!("Unreadable state: {e}"))?;
    evaluate_merged((store, metrics), cfg, window, exec, &baseline, state).await
}

#[cfg(test)]
#[path = "sequential_tests.rs"]
mod tests;
