//! The capture-ingest Lambda: an S3 `ObjectCreated` notification names new SageMaker
//! data-capture objects; the handler URL-decodes their keys, drops records that are not for
//! this function (another bucket, another kind of event), makes one
//! `monitor_core::app::ingest::run` call with the rest and returns its summary.
//!
//! Every record of the event appears in the summary, in event order: ingested objects with
//! their record counts and partial-profile keys, skipped ones with `ignored` set to the reason.

use aws_lambda_events::event::s3::{S3Event, S3EventRecord};
use lambda_kit::{decode_s3_key, FunctionError};
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

/// One record of an S3 event, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordKey {
    /// 0-based position of the record in the event's `Records`
    pub index: usize,
    /// the URL-decoded object key (a store key)
    pub key: String,
    /// why the record is skipped, if it is
    pub ignored: Option<String>,
}

/// Decodes every record's object key and decides which records to ingest.
///
/// A record is skipped (with the reason) when its `eventName` is present but not an
/// `ObjectCreated:*` event, or when `bucket` is set and the record names another bucket (or
/// none).
///
/// # Errors
/// [`FunctionError::InvalidEvent`] naming the record index when a record has no (or an
/// empty) `s3.object.key`.
pub fn record_keys(event: &S3Event, bucket: Option<&str>) -> Result<Vec<RecordKey>, FunctionError> {
    event
        .records
        .iter()
        .enumerate()
        .map(|(index, record)| {
            let raw = record
                .s3
                .object
                .key
                .as_deref()
                .filter(|k| !k.is_empty())
                .ok_or_else(|| {
                    FunctionError::InvalidEvent(format!(
                        "record {index}: s3.object.key is missing or empty"
                    ))
                })?;
            Ok(RecordKey {
                index,
                key: decode_s3_key(raw),
                ignored: skip_reason(record, bucket),
            })
        })
        .collect()
}

fn skip_reason(record: &S3EventRecord, bucket: Option<&str>) -> Option<String> {
    if let Some(name) = record.event_name.as_deref() {
        if !name.starts_with("ObjectCreated:") {
            return Some(format!("event {name} is not an ObjectCreated event"));
        }
    }
    let expected = bucket?;
    match record.s3.bucket.name.as_deref() {
        Some(name) if name == expected => None,
        Some(name) => Some(format!(
            "bucket {name} is not the configured bucket {expected}"
        )),
        None => Some(format!(
            "the record names no bucket (the configured bucket is {expected})"
        )),
    }
}

fn ignored_object(key: String, reason: String) -> ObjectSummary {
    ObjectSummary {
        key,
        monitors: Vec::new(),
        records: 0,
        bad_records: 0,
        shadow_skipped: 0,
        state_keys: Vec::new(),
        ignored: Some(reason),
    }
}

/// Handles one S3 notification: ingests the capture objects it names.
///
/// Ingest itself ignores keys outside every monitor's capture prefix (with the reason in the
/// summary). When no record is left to ingest, the store is not touched.
///
/// # Errors
/// [`FunctionError::InvalidEvent`] for a record without a key; otherwise the ingest error
/// mapped to `Transient` (I/O, throttling) or `Permanent` (missing baseline, bad config).
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
