//! One `.out` line of a batch transform as the capture record the endpoint path reads.
//!
//! Every record consumer (data quality, the prediction index, attribution) reads SageMaker's
//! endpoint capture record; a batch line is rewritten into one, so nothing in the
//! capabilities knows about batch transform:
//!
//! | `.out` line | `endpointInput` | `endpointOutput` | `eventMetadata` |
//! |---|---|---|---|
//! | CSV `in…,out…,<uuid>,<time>` | the columns before the output columns (CSV) | the last `output_columns` columns (CSV) | `inferenceId` = `<uuid>`, `inferenceTime` = `<time>` |
//! | JSON `{"SageMakerInferenceId", "SageMakerInferenceTime", "SageMakerOutput": o, …rest}` | `rest` (or the `features_attribute` member) | `o` | the two SageMaker keys |
//! | JSON without `SageMakerOutput` | – | the line without the SageMaker keys | as above |
//!
//! Without an inference time the record takes the manifest's hour; without an inference id
//! its event id is `{manifest file}:{object}:{line}`. A line that is not valid JSON (or not
//! UTF-8) is passed through unchanged, so the consumers count it under their own bad kinds
//! with its object and line.

use serde_json::{Map, Value};

use crate::batch::config::{features_member, BatchTransformInput, DatasetFormat};

/// Where one `.out` line comes from: its event id when it carries none, and the time when
/// it carries none.
#[derive(Debug, Clone)]
pub struct LineOrigin<'a> {
    /// the manifest's file stem
    pub manifest: &'a str,
    /// the object's position in the manifest
    pub object: usize,
    /// 1-based line number
    pub line: u64,
    /// the manifest's hour, RFC 3339 (`2023-01-19T05:00:00Z`)
    pub hour: &'a str,
}

/// The two trailing columns `GenerateInferenceId` appends to CSV lines, when present.
fn split_id_time(line: &str) -> (&str, Option<(&str, &str)>) {
    let mut it = line.rsplitn(3, ',');
    let (Some(time), Some(id), Some(head)) = (it.next(), it.next(), it.next()) else {
        return (line, None);
    };
    let uuid_like = id.len() == 36
        && id.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    if uuid_like && crate::formats::capture::inference_minute(time).is_ok() {
        (head, Some((id, time)))
    } else {
        (line, None)
    }
}

/// Splits a CSV line at its commas outside double quotes.
fn csv_fields(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, b) in line.bytes().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                out.push(&line[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&line[start..]);
    out
}

/// Rewrites `.out` lines of one monitor's batch input into capture records.
#[derive(Debug, Clone)]
pub struct LineConverter {
    format: DatasetFormat,
    excluded: Vec<usize>,
    features: Option<(String, bool)>,
}

impl LineConverter {
    /// The converter of `input` (validated: see [`BatchTransformInput::validate`]).
    pub fn new(input: &BatchTransformInput) -> LineConverter {
        LineConverter {
            format: input.dataset_format.clone(),
            excluded: input.excluded_columns().unwrap_or_default(),
            features: input
                .features_attribute
                .as_deref()
                .and_then(features_member)
                .map(|(m, nested)| (m.to_owned(), nested)),
        }
    }

    /// Whether line `line_no` (1-based) of an object is a header to skip.
    pub fn is_header(&self, line_no: u64) -> bool {
        matches!(self.format, DatasetFormat::Csv { header: true, .. }) && line_no == 1
    }

    /// Writes the capture record of `line` into `out` (cleared first). A line that is not
    /// UTF-8, or (JSON) not a JSON object, is copied unchanged.
    pub fn convert(&self, line: &[u8], origin: &LineOrigin<'_>, out: &mut Vec<u8>) {
        out.clear();
        let Ok(text) = std::str::from_utf8(line) else {
            out.extend_from_slice(line);
            return;
        };
        let record = match &self.format {
            DatasetFormat::Csv { output_columns, .. } => {
                Some(self.csv_record(text, *output_columns, origin))
            }
            DatasetFormat::Json { .. } => self.json_record(text, origin),
        };
        match record {
            Some(r) => out.extend_from_slice(r.to_string().as_bytes()),
            None => out.extend_from_slice(line),
        }
    }

    fn csv_record(&self, text: &str, output_columns: usize, origin: &LineOrigin<'_>) -> Value {
        let (data, id_time) = split_id_time(text);
        let fields = csv_fields(data);
        let split = fields.len().saturating_sub(output_columns);
        let input: Vec<&str> = fields[..split]
            .iter()
            .enumerate()
            .filter(|(i, _)| self.excluded.binary_search(i).is_err())
            .map(|(_, f)| *f)
            .collect();
        let output = fields[split..].join(",");
        let side = |data: String, mode: &str| serde_json::json!({"observedContentType": "text/csv", "mode": mode, "data": data, "encoding": "CSV"});
        let mut capture = Map::new();
        if !input.is_empty() {
            capture.insert("endpointInput".into(), side(input.join(","), "INPUT"));
        }
        capture.insert("endpointOutput".into(), side(output, "OUTPUT"));
        let (id, time) = match id_time {
            Some((id, time)) => (Some(Value::from(id)), Value::from(time)),
            None => (None, Value::from(origin.hour)),
        };
        envelope(capture, id, time, origin)
    }

    fn json_record(&self, text: &str, origin: &LineOrigin<'_>) -> Option<Value> {
        let mut doc: Map<String, Value> = serde_json::from_str(text).ok()?;
        let id = doc.shift_remove("SageMakerInferenceId");
        let time = doc
            .shift_remove("SageMakerInferenceTime")
            .unwrap_or_else(|| Value::from(origin.hour));
        let side = |v: &Value, mode: &str| serde_json::json!({"observedContentType": "application/json", "mode": mode, "data": v.to_string(), "encoding": "JSON"});
        let mut capture = Map::new();
        match doc.shift_remove("SageMakerOutput") {
            Some(output) => {
                let input = match &self.features {
                    Some((member, nested)) => doc.get(member).map(|v| {
                        let key = if *nested { "instances" } else { "features" };
                        Value::Object(Map::from_iter([(key.to_owned(), v.clone())]))
                    }),
                    None => (!doc.is_empty()).then(|| Value::Object(doc)),
                };
                if let Some(input) = input {
                    capture.insert("endpointInput".into(), side(&input, "INPUT"));
                }
                capture.insert("endpointOutput".into(), side(&output, "OUTPUT"));
            }
            None => {
                capture.insert("endpointOutput".into(), side(&Value::Object(doc), "OUTPUT"));
            }
        }
        // a time that is not a string is kept as its JSON text: the consumers count it as
        // `bad_time` with the object and line
        let time = match time {
            Value::String(_) => time,
            other => Value::from(other.to_string()),
        };
        let id = id.map(|v| match v {
            Value::String(_) => v,
            other => Value::from(other.to_string()),
        });
        Some(envelope(capture, id, time, origin))
    }
}

/// `{"captureData": …, "eventMetadata": {eventId, inferenceId, inferenceTime}, "eventVersion": "0"}`.
fn envelope(
    capture: Map<String, Value>,
    id: Option<Value>,
    time: Value,
    origin: &LineOrigin<'_>,
) -> Value {
    let mut meta = Map::new();
    let event_id = id.clone().unwrap_or_else(|| {
        Value::from(format!(
            "{}:{}:{}",
            origin.manifest, origin.object, origin.line
        ))
    });
    meta.insert("eventId".into(), event_id);
    if let Some(id) = id {
        meta.insert("inferenceId".into(), id);
    }
    meta.insert("inferenceTime".into(), time);
    serde_json::json!({"captureData": capture, "eventMetadata": meta, "eventVersion": "0"})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> LineOrigin<'static> {
        LineOrigin {
            manifest: "m",
            object: 0,
            line: 3,
            hour: "2023-01-19T05:00:00Z",
        }
    }

    fn csv(output_columns: usize, exclude: Option<&str>) -> LineConverter {
        LineConverter::new(&BatchTransformInput {
            data_captured_destination_s3_uri: "p/".into(),
            dataset_format: DatasetFormat::Csv {
                header: false,
                output_columns,
            },
            features_attribute: None,
            inference_attribute: None,
            probability_attribute: None,
            probability_threshold_attribute: None,
            exclude_features_attribute: exclude.map(Into::into),
            start_time_offset: None,
            end_time_offset: None,
        })
    }

    fn convert(c: &LineConverter, line: &str) -> Value {
        let mut out = Vec::new();
        c.convert(line.as_bytes(), &origin(), &mut out);
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn csv_lines_split_input_output_id_and_time() {
        let v = convert(
            &csv(1, None),
            "1,\"a,b\",3,0.7,0b7bfd33-c8a7-4adf-a09a-98fd0af79974,2023-01-19T05:12:00Z",
        );
        assert_eq!(v["captureData"]["endpointInput"]["data"], "1,\"a,b\",3");
        assert_eq!(v["captureData"]["endpointOutput"]["data"], "0.7");
        assert_eq!(
            v["eventMetadata"]["inferenceId"],
            "0b7bfd33-c8a7-4adf-a09a-98fd0af79974"
        );
        assert_eq!(v["eventMetadata"]["inferenceTime"], "2023-01-19T05:12:00Z");
        // without the two columns: the manifest's hour and a derived event id
        let v = convert(&csv(2, Some("0")), "1,2,3,1,0.7");
        assert_eq!(v["captureData"]["endpointInput"]["data"], "2,3");
        assert_eq!(v["captureData"]["endpointOutput"]["data"], "1,0.7");
        assert_eq!(v["eventMetadata"]["eventId"], "m:0:3");
        assert!(v["eventMetadata"].get("inferenceId").is_none());
        assert_eq!(v["eventMetadata"]["inferenceTime"], "2023-01-19T05:00:00Z");
    }

    #[test]
    fn bad_json_passes_through_and_odd_times_stay_visible() {
        let mut c = csv(1, None);
        c.format = DatasetFormat::Json { line: true };
        let mut out = Vec::new();
        c.convert(b"{not json", &origin(), &mut out);
        assert_eq!(out, b"{not json");
        let v = convert(
            &c,
            r#"{"SageMakerInferenceTime": 17, "SageMakerOutput": 0.5}"#,
        );
        assert_eq!(v["eventMetadata"]["inferenceTime"], "17");
        assert_eq!(v["captureData"]["endpointOutput"]["data"], "0.5");
        assert!(v["captureData"].get("endpointInput").is_none());
    }
}
