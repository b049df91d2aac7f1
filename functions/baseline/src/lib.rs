//! The baseline Lambda: the event names a dataset (store key or `s3://` URI), its format and
//! an output prefix; the handler makes one `monitor_core::app::baseline::run` call and
//! returns a small summary (features, rows, output keys).

use lambda_kit::FunctionError;
use lambda_runtime::LambdaEvent;
use monitor_core::app::baseline::{self, BaselineRequest, BaselineSummary};
use monitor_core::store::ObjectStore;

/// What the handler needs, built once at cold start.
pub struct Deps<S> {
    /// the object store
    pub store: S,
}

/// Handles one baseline request.
pub async fn handler<S: ObjectStore>(
    event: LambdaEvent<BaselineRequest>,
    deps: &Deps<S>,
) -> Result<BaselineSummary, FunctionError> {
    let req = event.payload;
    if req.dataset.trim().is_empty() {
        return Err(FunctionError::InvalidEvent("`dataset` is empty".into()));
    }
    let summary = baseline::run(&deps.store, &req).await?;
    tracing::info!(
        rows = summary.rows,
        features = summary.features,
        statistics = %summary.statistics_key,
        "baseline written"
    );
    Ok(summary)
}
