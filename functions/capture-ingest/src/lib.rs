//! The capture-ingest Lambda: an S3 `ObjectCreated` notification names new SageMaker
//! data-capture objects; the handler URL-decodes their keys, drops records that are not for
//! this function (another bucket, another kind of event), makes one
//! `monitor_core::app::ingest::run` call with the rest and returns its summary.
//!
//! Every record of the event appears in the summary, in event order: ingested objects with
//! their record counts and partial-profile keys, skipped ones with `ignored` set to the reason.

use aws_lambda_events::event::s3::S3Event;
use lambda_kit::FunctionError;
use lambda_runtime::LambdaEvent;
use monitor_core::app::ingest::{self, IngestSummary, ObjectSummary};
use monitor_core::store::ObjectStore;

/// What the handler needs, built once at cold start.
pub struct Deps<S> {
    /// the object store the capture objects are read from and the state is written to
    pub store: S,
    /// the bucket behind `store`: records of any other bucket are ignored. `None` (the
    /// local store) turns the check off.
    pub bucket: Option<String>,
}

pub use lambda_kit::s3_event::{record_keys, RecordKey};

fn ignored_object(key: String, reason: String) -> ObjectSummary {
    ObjectSummary {
        key,
        ignored: Some(reason),
        ..ObjectSummary::default()
    }
}

/// Handles one S3 notification: ingests the capture objects it names.
///
/// Ingest itself ignores keys outside every monitor's capture prefix (with the reason in the
/// summary). When no record is left to ingest, the store is not touched.
///
/// # Errors
/// [`FunctionError::InvalidEvent`] for a record without a key; otherwise the ingest error
/// mapped to `Transient` (I/O, throttling) or `Permanent` (an unreadable object); one
/// monitor's bad config or missing baseline is in its object's `failed` list instead.
pub async fn handler<S: ObjectStore>(
    event: LambdaEvent<S3Event>,
    deps: &Deps<S>,
) -> Result<IngestSummary, FunctionError> {
    let records = record_keys(&event.payload, deps.bucket.as_deref())?;
    let keys: Vec<String> = records
        .iter()
        .filter(|r| r.ignored.is_none())
        .map(|r| r.key.clone())
        .collect();
    let ingested = if keys.is_empty() {
        IngestSummary::default()
    } else {
        ingest::run(&deps.store, &keys).await?
    };
    // Put the skipped records back at their places so the summary follows the event.
    let mut done = ingested.objects.into_iter();
    let mut summary = IngestSummary::default();
    for r in records {
        match r.ignored {
            Some(reason) => {
                tracing::warn!(record = r.index, key = %r.key, reason = %reason, "S3 record ignored");
                summary.objects.push(ignored_object(r.key, reason));
            }
            None => summary.objects.extend(done.next()),
        }
    }
    summary.objects.extend(done);
    tracing::info!(
        records = summary.objects.len(),
        ingested = summary
            .objects
            .iter()
            .filter(|o| o.ignored.is_none())
            .count(),
        "capture event handled"
    );
    Ok(summary)
}
