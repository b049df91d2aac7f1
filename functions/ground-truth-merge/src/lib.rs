//! The ground-truth-merge Lambda: an S3 `ObjectCreated` notification names new ground-truth
//! objects (`{prefix}yyyy/mm/dd/HH/*.jsonl`, spec §2.1); the handler URL-decodes their keys,
//! drops records that are not for this function (another bucket, another kind of event), and
//! makes one `monitor_core::app::ground_truth::run` call, which joins each label to its
//! captured prediction within the monitor's look-back and writes the mergeable
//! model-quality state and SageMaker's merged records.

use aws_lambda_events::event::s3::S3Event;
use chrono::{DateTime, Utc};
use lambda_kit::s3_event::record_keys;
use lambda_kit::FunctionError;
use lambda_runtime::LambdaEvent;
use monitor_core::app::ground_truth::{self, MergeSummary};
use monitor_core::store::ObjectStore;

/// What the handler needs, built once at cold start.
pub struct Deps<S> {
    /// the object store
    pub store: S,
    /// records of any other bucket are ignored; `None` (local store) turns the check off
    pub bucket: Option<String>,
    /// the clock (look-back expiry); `Utc::now` in Lambda, fixed in tests
    pub now: fn() -> DateTime<Utc>,
}

/// Handles one S3 event.
pub async fn handler<S: ObjectStore>(
    event: LambdaEvent<S3Event>,
    deps: &Deps<S>,
) -> Result<MergeSummary, FunctionError> {
    let records = record_keys(&event.payload, deps.bucket.as_deref())?;
    let mut keys = Vec::new();
    let mut skipped = Vec::new();
    for r in records {
        match r.ignored {
            None => keys.push(r.key),
            Some(reason) => {
                tracing::warn!(key = %r.key, %reason, "ground-truth record skipped");
                skipped.push((r.key, reason));
            }
        }
    }
    let mut summary = if keys.is_empty() {
        MergeSummary::default()
    } else {
        ground_truth::run(&deps.store, &keys, (deps.now)()).await?
    };
    summary.ignored.extend(skipped);
    Ok(summary)
}
