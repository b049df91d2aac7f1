//! S3 event notifications: decoded keys and the records a function should skip.

use aws_lambda_events::event::s3::{S3Event, S3EventRecord};

use crate::FunctionError;

/// Decodes the object key of an S3 event notification into the store key (`+` is a
/// space, then `%XX` escapes; see [`monitor_aws::decode_event_key`]).
pub fn decode_s3_key(raw: &str) -> String {
    monitor_aws::decode_event_key(raw)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_keys_are_form_url_decoded() {
        // The S3 docs' example (notification-content-structure): "red flower.jpg" arrives
        // as "red+flower.jpg"; the aws_lambda_events fixture key "Happy%20Face.jpg".
        assert_eq!(decode_s3_key("red+flower.jpg"), "red flower.jpg");
        assert_eq!(decode_s3_key("Happy%20Face.jpg"), "Happy Face.jpg");
        // `+` is decoded before `%2B`, so an encoded plus stays a plus.
        assert_eq!(
            decode_s3_key(
                "data-capture/ep/AllTraffic/2026/11/01/03/12-00-000-5f0c%2Bdemo+file.jsonl"
            ),
            "data-capture/ep/AllTraffic/2026/11/01/03/12-00-000-5f0c+demo file.jsonl"
        );
        assert_eq!(decode_s3_key("a%2Fb"), "a/b");
        // UTF-8: é = C3 A9, € = E2 82 AC.
        assert_eq!(decode_s3_key("caf%C3%A9/%E2%82%AC.csv"), "café/€.csv");
        assert_eq!(decode_s3_key("100%25+sure"), "100% sure");
        // Malformed escapes pass through; escapes that are not UTF-8 stay literal.
        assert_eq!(decode_s3_key("50%zz%4"), "50%zz%4");
        assert_eq!(decode_s3_key("x%FFy"), "x%FFy");
        assert_eq!(decode_s3_key(""), "");
    }
}
