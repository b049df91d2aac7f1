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
//! ([`crate::data_quality::tick::evaluate_by`]). The report files are the same bytes.
//!
//! Only a monitor whose evaluation is the data-quality tick alone takes this path
//! ([`serves`]); A/B variants, multi-model endpoints and batch transforms go through
//! [`crate::capability::Capability::evaluate`] as before.

use crate::config::{MonitorConfig, MonitorKind};
use crate::data_quality::tick::evaluate_by;
use crate::data_quality::window_merge::Merge;
use crate::execution::{Execution, Window};
use crate::metrics::MetricSink;
use crate::store::ObjectStore;
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

/// Evaluates `cfg` (one [`serves`] accepts) for `window` as
/// [`crate::capability::Capability::evaluate`] does — report files written, metrics
/// published, the execution settled — with the window merged one partial profile at a time
/// ([`crate::data_quality::window_merge::merge_window_one_at_a_time`]).
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
    let outcome = evaluate_by((store, metrics), cfg, window, &mut exec, Merge::OneAtATime).await;
    exec.settle(store, outcome).await
}

#[cfg(test)]
#[path = "sequential_tests.rs"]
mod tests;
