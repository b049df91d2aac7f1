//! Merged records of batch-transform monitors: SageMaker's ground-truth merge writes
//! `captureData.batchTransformOutput` (`data` = the `.out` line without
//! `SageMakerInferenceId` / `SageMakerInferenceTime`: CSV input columns then output
//! columns; JSON `{"SageMakerOutput": …, <input members>}`) instead of
//! `endpointInput` / `endpointOutput`.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::batch::record::{LineConverter, LineOrigin};
use crate::joined::predictions::Prediction;

#[derive(Deserialize)]
struct Side {
    data: String,
    #[serde(default)]
    encoding: String,
}

/// The `"batchTransformOutput": {…}` member of a merged record of `p` (rebuilt from the
/// capture record its line became: [`crate::batch::record`]).
pub fn batch_capture_data(p: &Prediction) -> String {
    let side = |raw: Option<&crate::joined::predictions::RawJson>| {
        raw.and_then(|r| serde_json::from_str::<Side>(r.get()).ok())
    };
    let (input, output) = (side(p.input.as_ref()), side(p.output.as_ref()));
    let json = output
        .as_ref()
        .is_some_and(|o| o.encoding.eq_ignore_ascii_case("JSON"));
    let (data, encoding) = if json {
        let out = output.map_or(Value::Null, |o| {
            serde_json::from_str(&o.data).unwrap_or(Value::String(o.data))
        });
        match input.and_then(|i| serde_json::from_str::<Map<String, Value>>(&i.data).ok()) {
            Some(members) => {
                let mut doc = Map::new();
                doc.insert("SageMakerOutput".into(), out);
                doc.extend(members);
                (Value::Object(doc).to_string(), "JSON")
            }
            None => (out.to_string(), "JSON"),
        }
    } else {
        let out = output.map(|o| o.data).unwrap_or_default();
        match input {
            Some(i) => (format!("{},{out}", i.data), "CSV"),
            None => (out, "CSV"),
        }
    };
    format!(
        "\"batchTransformOutput\":{}",
        serde_json::json!({"data": data, "encoding": encoding})
    )
}

/// One merged record of a batch-transform monitor, as SageMaker's merge job writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedBatchRecord {
    /// `eventMetadata.eventId` (the `SageMakerInferenceId`)
    pub event_id: String,
    /// `groundTruthData.data`
    pub ground_truth: String,
    /// `groundTruthData.encoding`
    pub ground_truth_encoding: String,
    /// `captureData.batchTransformOutput.data`: the `.out` line without SageMaker's keys
    pub data: String,
    /// `captureData.batchTransformOutput.encoding`
    pub encoding: String,
}

/// Why a merged record cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("merged record: {0}")]
pub struct MergedRecordError(pub String);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMerged {
    event_metadata: RawMeta,
    ground_truth_data: Side,
    capture_data: RawCapture,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMeta {
    event_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCapture {
    batch_transform_output: Option<Side>,
}

impl MergedBatchRecord {
    /// Reads one merged line.
    ///
    /// # Errors
    /// Not JSON, or without `eventMetadata.eventId`, `groundTruthData` or
    /// `captureData.batchTransformOutput` (the error names which).
    pub fn parse(line: &[u8]) -> Result<MergedBatchRecord, MergedRecordError> {
        let raw: RawMerged =
            serde_json::from_slice(line).map_err(|e| MergedRecordError(e.to_string()))?;
        let out = raw.capture_data.batch_transform_output.ok_or_else(|| {
            MergedRecordError(
                "no captureData.batchTransformOutput (an endpoint's merged record?)".into(),
            )
        })?;
        Ok(MergedBatchRecord {
            event_id: raw.event_metadata.event_id,
            ground_truth: raw.ground_truth_data.data,
            ground_truth_encoding: raw.ground_truth_data.encoding,
            data: out.data,
            encoding: out.encoding,
        })
    }

    /// The capture record the record's `.out` line becomes (as at ingest), joined on its
    /// event id; its time is `origin.hour` (merged records carry none).
    pub fn capture_record(&self, conv: &LineConverter, origin: &LineOrigin<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        conv.convert(self.data.as_bytes(), origin, &mut out);
        let Ok(mut v) = serde_json::from_slice::<Value>(&out) else {
            return out;
        };
        if let Some(meta) = v.get_mut("eventMetadata").and_then(Value::as_object_mut) {
            meta.insert("eventId".into(), self.event_id.clone().into());
            meta.insert("inferenceId".into(), self.event_id.clone().into());
        }
        v.to_string().into_bytes()
    }
}
