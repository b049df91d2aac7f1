//! The baseline Lambda: the event names a dataset (store key or `s3://` URI), its format and
//! an output prefix; the handler makes one `monitor_core::app::baseline::run` call and
//! returns a small summary (features, rows, output keys).
//!
//! A dataset of many objects is profiled by the Step Functions state machine of
//! template.yaml in two more modes of the same event ([`BaselineEvent`], issue 16 item 5):
//! `partial` (one part per object, under a scratch prefix) and `merge` (the parts merged
//! into the baseline files); [`handle_event`] dispatches them.

use lambda_kit::FunctionError;
use lambda_runtime::LambdaEvent;
use monitor_core::app::baseline::{self, BaselineRequest, BaselineSummary};
use monitor_core::app::baseline_partial::{self as partial, BaselineEvent, BaselineReply};
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

/// Handles a baseline event of any mode: a full request goes to [`handler`], a `partial` or
/// `merge` step to its use case.
///
/// # Errors
/// [`FunctionError::InvalidEvent`] for a `partial` step without objects or an empty scratch
/// or output prefix; otherwise the use case's error.
pub async fn handle_event<S: ObjectStore>(
    event: LambdaEvent<BaselineEvent>,
    deps: &Deps<S>,
) -> Result<BaselineReply, FunctionError> {
    let (payload, context) = (event.payload, event.context);
    let empty = |field: &str| FunctionError::InvalidEvent(format!("`{field}` is empty"));
    match &payload {
        BaselineEvent::Full(req) => {
            let summary = handler(LambdaEvent::new(req.clone(), context), deps).await?;
            return Ok(BaselineReply::Full(summary));
        }
        BaselineEvent::Partial(req) if req.scratch_prefix.trim().is_empty() => {
            return Err(empty("scratch_prefix"))
        }
        BaselineEvent::Partial(req) if req.objects.clone().into_vec().is_empty() => {
            return Err(empty("objects"))
        }
        BaselineEvent::Merge(req) if req.scratch_prefix.trim().is_empty() => {
            return Err(empty("scratch_prefix"))
        }
        BaselineEvent::Merge(req) if req.output_prefix.trim().is_empty() => {
            return Err(empty("output_prefix"))
        }
        _ => {}
    }
    let reply = partial::run_event(&deps.store, &payload).await?;
    match &reply {
        BaselineReply::Partial(s) => {
            tracing::info!(
                rows = s.rows,
                parts = s.part_keys.len(),
                "baseline parts written"
            )
        }
        BaselineReply::Merge(s) => tracing::info!(
            rows = s.baseline.rows,
            parts = s.parts,
            statistics = %s.baseline.statistics_key,
            "baseline parts merged"
        ),
        BaselineReply::Full(_) => {}
    }
    Ok(reply)
}
