//! Predictions and ground truth for model quality: the compact prediction index that
//! capture-ingest writes per capture object, and SageMaker's ground-truth records.
//!
//! The index keeps, per captured inference, what the join and the metrics need: the join
//! key (`inferenceId` when present, else `eventId`, spec §2.1), the inference time, the
//! predicted label and/or probability (from the monitor's inference / probability
//! attribute: a CSV column index of the output payload, or a JSON pointer into it), the
//! variant, and the raw `endpointOutput` object so matched records can be written back in
//! SageMaker's merge layout (whose analyzer reads only `endpointOutput`, spec §2.2).

use serde::{Deserialize, Serialize};

use crate::config::MonitorConfig;
use crate::formats::capture::{BadRecordKind, BadRecords, WarnBudget};
use crate::formats::number;
use crate::layout::CaptureKey;
use crate::store::{for_each_line, Line, StateFile};
use crate::CoreError;

/// Format tag of prediction index files.
pub const PREDICTION_INDEX_FORMAT: &str = "modelwatch.prediction-index";
/// Version of the prediction index layout.
pub const PREDICTION_INDEX_VERSION: u32 = 1;

impl StateFile for PredictionIndex {
    const FORMAT: &'static str = PREDICTION_INDEX_FORMAT;
    const VERSION: Option<u32> = Some(PREDICTION_INDEX_VERSION);

    fn tag(&self) -> (&str, u32) {
        (self.format.as_str(), self.version)
    }

    fn source(&self) -> &str {
        &self.source
    }
}

/// Where the predicted label and probability are in the endpoint output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionAttributes {
    /// predicted label: a CSV column index (`"0"`) or a JSON pointer (`"/predicted_label"`);
    /// default: derived from the probability with the threshold
    #[serde(default)]
    pub inference_attribute: Option<String>,
    /// probability of the positive class: a CSV column index or a JSON pointer
    #[serde(default)]
    pub probability_attribute: Option<String>,
    /// predicted label is 1 when probability > threshold (default 0.5, Clarify's rule)
    #[serde(default = "default_threshold")]
    pub probability_threshold: f64,
    /// input values to keep with each prediction (facets and group variables the bias
    /// monitor needs): name → CSV column index (`"3"`) or JSON pointer (`"/sex"`) into the
    /// endpoint input payload
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub facet_attributes: std::collections::BTreeMap<String, String>,
    /// keep every input value as a number with each prediction (CSV columns or a JSON
    /// array): the features the bias monitor's flip test (FT) needs
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keep_input_features: bool,
}

fn default_threshold() -> f64 {
    0.5
}

impl Default for PredictionAttributes {
    fn default() -> Self {
        Self {
            inference_attribute: None,
            probability_attribute: Some("0".into()),
            probability_threshold: 0.5,
            facet_attributes: Default::default(),
            keep_input_features: false,
        }
    }
}

/// One captured inference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// join key: inferenceId, else eventId
    pub key: String,
    /// eventId
    pub event_id: String,
    /// inferenceId, when the caller passed one
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference_id: Option<String>,
    /// inferenceTime as captured
    pub inference_time: String,
    /// Unix seconds of the inference time
    pub time: i64,
    /// predicted label (text)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// predicted probability / score
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// production variant
    pub variant: String,
    /// the raw `captureData.endpointOutput` object
    pub output: serde_json::Value,
    /// facet / group values read from the endpoint input (see `facet_attributes`)
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub facets: std::collections::BTreeMap<String, String>,
    /// every input value as a number (see `keep_input_features`); `None` when not kept or
    /// when some input value is not numeric
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<f64>>,
}

/// The prediction index of one capture object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionIndex {
    /// always [`PREDICTION_INDEX_FORMAT`]
    pub format: String,
    /// layout version
    pub version: u32,
    /// the capture object
    pub source: String,
    /// predictions in file order
    pub predictions: Vec<Prediction>,
    /// lines that gave no prediction, by kind
    pub bad_records: BadRecords,
}

#[derive(Deserialize)]
struct CaptureLine {
    #[serde(rename = "captureData")]
    capture_data: Option<CaptureData>,
    #[serde(rename = "eventMetadata")]
    event_metadata: Option<EventMetadata>,
}

#[derive(Deserialize)]
struct CaptureData {
    #[serde(rename = "endpointOutput")]
    endpoint_output: Option<serde_json::Value>,
    #[serde(rename = "endpointInput")]
    endpoint_input: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct EventMetadata {
    #[serde(rename = "eventId")]
    event_id: Option<String>,
    #[serde(rename = "inferenceId")]
    inference_id: Option<String>,
    #[serde(rename = "inferenceTime")]
    inference_time: Option<String>,
    #[serde(rename = "invocationSource")]
    invocation_source: Option<String>,
}

/// Why a capture line gave no prediction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PredictionError {
    /// a bad line, with its kind and a message naming the field
    Bad(BadRecordKind, String),
    /// a shadow-variant record (skipped, not an error)
    Shadow,
}

/// Decodes the endpoint output payload of a capture record to text.
fn output_text(output: &serde_json::Value) -> Result<(String, String), PredictionError> {
    output_text_of(output, "endpointOutput")
}

/// Decodes one side's payload (`data` by `encoding`) to text, with its kind (`csv`/`json`).
fn output_text_of(
    output: &serde_json::Value,
    side: &str,
) -> Result<(String, String), PredictionError> {
    let bad = |k, m: &str| PredictionError::Bad(k, m.to_string());
    let data = output.get("data").and_then(|d| d.as_str()).ok_or_else(|| {
        bad(
            BadRecordKind::MissingField,
            "captureData.endpointOutput.data",
        )
    })?;
    let encoding = output
        .get("encoding")
        .and_then(|d| d.as_str())
        .unwrap_or("CSV");
    let content_type = output
        .get("observedContentType")
        .and_then(|d| d.as_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let text = match encoding {
        "CSV" | "JSON" => data.to_string(),
        "BASE64" => {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data.trim())
                .map_err(|_| {
                    bad(
                        BadRecordKind::BadBase64,
                        &format!("captureData.{side}.data"),
                    )
                })?;
            String::from_utf8(bytes)
                .map_err(|_| bad(BadRecordKind::NonUtf8, &format!("captureData.{side}.data")))?
        }
        other => {
            return Err(bad(
                BadRecordKind::UnsupportedEncoding,
                &format!("captureData.{side}.encoding {other:?}"),
            ))
        }
    };
    let kind = if encoding == "JSON" || content_type.contains("json") {
        "json"
    } else {
        "csv"
    };
    Ok((text, kind.to_string()))
}

/// Decodes one side's payload (`captureData.{side}`: `data` by `encoding`) to text, with
/// its kind (`csv` or `json`); the error names the kind of bad record and the field.
pub fn payload_text(
    side_value: &serde_json::Value,
    side: &str,
) -> Result<(String, String), (BadRecordKind, String)> {
    output_text_of(side_value, side).map_err(|e| match e {
        PredictionError::Bad(k, m) => (k, m),
        PredictionError::Shadow => (BadRecordKind::BadPayload, "shadow record".into()),
    })
}

/// The JSON type name of a value, for messages.
pub fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Every value of an input payload as a number: the first CSV line's fields, or a JSON
/// array (also `{"features": [...]}` / `{"instances": [[...]]}`); `None` if any is not numeric.
pub fn numeric_inputs(payload: &str, kind: &str) -> Option<Vec<f64>> {
    // usable numbers only (finite, within ±1e100: formats::number)
    let finite = |x: f64| number::check(x, "").ok();
    if kind == "json" {
        let v: serde_json::Value = serde_json::from_str(payload.trim()).ok()?;
        let arr = match &v {
            serde_json::Value::Array(a) => a,
            serde_json::Value::Object(o) => match (o.get("features"), o.get("instances")) {
                (Some(serde_json::Value::Array(a)), _) => a,
                (_, Some(serde_json::Value::Array(rows))) => rows.first()?.as_array()?,
                _ => return None,
            },
            _ => return None,
        };
        return arr.iter().map(|x| x.as_f64().and_then(finite)).collect();
    }
    let first_line = payload.trim().lines().next()?;
    first_line
        .split(',')
        .map(|s| {
            s.trim()
                .trim_matches('"')
                .parse::<f64>()
                .ok()
                .and_then(finite)
        })
        .collect()
}

/// Reads one attribute (`"0"`-style CSV index or `/json/pointer`) from an output payload.
pub fn read_attribute(payload: &str, kind: &str, attribute: &str) -> Option<String> {
    if let Some(pointer) = attribute.strip_prefix('/').map(|_| attribute) {
        if kind != "json" {
            return None;
        }
        let v: serde_json::Value = serde_json::from_str(payload.trim()).ok()?;
        return match v.pointer(pointer)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        };
    }
    let index: usize = attribute.trim().parse().ok()?;
    if kind == "json" {
        let v: serde_json::Value = serde_json::from_str(payload.trim()).ok()?;
        let item = match &v {
            serde_json::Value::Array(a) => a.get(index)?.clone(),
            other if index == 0 => other.clone(),
            _ => return None,
        };
        return match item {
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        };
    }
    let first_line = payload.trim().lines().next()?;
    first_line
        .split(',')
        .nth(index)
        .map(|s| s.trim().trim_matches('"').to_string())
}

/// Unix seconds of a SageMaker `inferenceTime` ([`crate::formats::capture::inference_seconds`]:
/// RFC 3339, offsets converted to UTC, invalid dates refused).
pub fn parse_time(s: &str) -> Option<i64> {
    crate::formats::capture::inference_seconds(s).ok()
}

/// Extracts the prediction of one capture line.
pub fn prediction_of_line(
    line: &[u8],
    attrs: &PredictionAttributes,
    variant: &str,
) -> Result<Prediction, PredictionError> {
    let bad = |k, m: String| PredictionError::Bad(k, m);
    let text = std::str::from_utf8(line)
        .map_err(|e| bad(BadRecordKind::NonUtf8, format!("byte {}", e.valid_up_to())))?;
    let rec: CaptureLine =
        serde_json::from_str(text).map_err(|e| bad(BadRecordKind::InvalidJson, e.to_string()))?;
    let meta = rec
        .event_metadata
        .ok_or_else(|| bad(BadRecordKind::MissingField, "eventMetadata".into()))?;
    if meta.invocation_source.as_deref() == Some("ShadowExperiment") {
        return Err(PredictionError::Shadow);
    }
    let event_id = meta
        .event_id
        .ok_or_else(|| bad(BadRecordKind::MissingField, "eventMetadata.eventId".into()))?;
    let inference_time = meta.inference_time.ok_or_else(|| {
        bad(
            BadRecordKind::BadTime,
            crate::formats::capture::TimeError::Missing.to_string(),
        )
    })?;
    let time = crate::formats::capture::inference_seconds(&inference_time)
        .map_err(|e| bad(BadRecordKind::BadTime, e.to_string()))?;
    let (output, input) = match rec.capture_data {
        Some(c) => (c.endpoint_output, c.endpoint_input),
        None => (None, None),
    };
    let mut facets = std::collections::BTreeMap::new();
    let mut features = None;
    if !attrs.facet_attributes.is_empty() || attrs.keep_input_features {
        let input = input.ok_or_else(|| {
            bad(
                BadRecordKind::MissingField,
                "captureData.endpointInput".into(),
            )
        })?;
        let (payload, kind) = output_text_of(&input, "endpointInput")?;
        for (name, attribute) in &attrs.facet_attributes {
            if let Some(v) = read_attribute(&payload, &kind, attribute) {
                facets.insert(name.clone(), v);
            }
        }
        if attrs.keep_input_features {
            features = numeric_inputs(&payload, &kind);
        }
    }
    let output = output.ok_or_else(|| {
        bad(
            BadRecordKind::MissingField,
            "captureData.endpointOutput".into(),
        )
    })?;
    let (payload, kind) = output_text(&output)?;
    let probability = match &attrs.probability_attribute {
        Some(a) => {
            let raw = read_attribute(&payload, &kind, a).ok_or_else(|| {
                bad(
                    BadRecordKind::BadPayload,
                    format!("probability attribute {a:?} not in endpointOutput"),
                )
            })?;
            match number::parse(&raw) {
                Ok(Some(p)) => Some(p),
                Ok(None) => {
                    return Err(bad(
                        BadRecordKind::UnparsableNumber,
                        format!("probability {raw:?} (attribute {a:?})"),
                    ))
                }
                Err(e) => {
                    return Err(bad(
                        BadRecordKind::from(&e),
                        format!("probability (attribute {a:?}): {e}"),
                    ))
                }
            }
        }
        None => None,
    };
    let label = match &attrs.inference_attribute {
        Some(a) => Some(read_attribute(&payload, &kind, a).ok_or_else(|| {
            bad(
                BadRecordKind::BadPayload,
                format!("inference attribute {a:?} not in endpointOutput"),
            )
        })?),
        None => probability.map(|p| {
            if p > attrs.probability_threshold {
                "1".to_string()
            } else {
                "0".to_string()
            }
        }),
    };
    Ok(Prediction {
        key: meta
            .inference_id
            .clone()
            .unwrap_or_else(|| event_id.clone()),
        event_id,
        inference_id: meta.inference_id,
        inference_time,
        time,
        label,
        probability,
        variant: variant.to_string(),
        output,
        facets,
        features,
    })
}

/// One ground-truth record (spec §2.1): the label and the join key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// `eventMetadata.eventId` (= the capture's inferenceId or eventId)
    pub key: String,
    /// the label text
    pub label: String,
}

#[derive(Deserialize)]
struct GroundTruthLine {
    #[serde(rename = "groundTruthData")]
    ground_truth_data: Option<GroundTruthData>,
    #[serde(rename = "eventMetadata")]
    event_metadata: Option<GtMeta>,
}

#[derive(Deserialize)]
struct GroundTruthData {
    data: Option<serde_json::Value>,
    encoding: Option<String>,
}

#[derive(Deserialize)]
struct GtMeta {
    #[serde(rename = "eventId")]
    event_id: Option<String>,
}

/// Parses one ground-truth line: `{"groundTruthData": {"data": "1", "encoding": "CSV"},
/// "eventMetadata": {"eventId": "…"}, "eventVersion": "0"}`. `JSON` encoding with a
/// `{"label": v}` object (seen in SageMaker's merged files) is accepted too.
pub fn parse_label(line: &[u8]) -> Result<Label, (BadRecordKind, String)> {
    let text = std::str::from_utf8(line)
        .map_err(|e| (BadRecordKind::NonUtf8, format!("byte {}", e.valid_up_to())))?;
    let rec: GroundTruthLine =
        serde_json::from_str(text).map_err(|e| (BadRecordKind::InvalidJson, e.to_string()))?;
    let key = rec
        .event_metadata
        .and_then(|m| m.event_id)
        .filter(|k| !k.is_empty())
        .ok_or((BadRecordKind::MissingField, "eventMetadata.eventId".into()))?;
    let gt = rec
        .ground_truth_data
        .ok_or((BadRecordKind::MissingField, "groundTruthData".into()))?;
    let data = gt
        .data
        .ok_or((BadRecordKind::MissingField, "groundTruthData.data".into()))?;
    let encoding = gt.encoding.unwrap_or_else(|| "CSV".into());
    let scalar = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let label = match encoding.as_str() {
        "CSV" => scalar(&data).map(|s| s.split(',').next().unwrap_or("").trim().to_string()),
        "JSON" => {
            let v = match &data {
                serde_json::Value::String(s) => serde_json::from_str(s).unwrap_or(data.clone()),
                other => other.clone(),
            };
            match &v {
                serde_json::Value::Object(m) => m.get("label").and_then(scalar),
                other => scalar(other),
            }
        }
        other => {
            return Err((
                BadRecordKind::UnsupportedEncoding,
                format!("groundTruthData.encoding {other:?}"),
            ))
        }
    }
    .filter(|l| !l.is_empty())
    .ok_or((
        BadRecordKind::BadPayload,
        "groundTruthData.data has no label".into(),
    ))?;
    // A label that reads as a number must be a usable one (formats::number): a regression
    // label `1e200` or `inf` would otherwise overflow the model-quality state. A class
    // label spelled `inf` or `NaN` is refused the same way (Rust reads both as numbers).
    number::parse(&label).map_err(|e| {
        (
            BadRecordKind::from(&e),
            format!("groundTruthData.data (eventId {key:?}): {e}"),
        )
    })?;
    Ok(Label { key, label })
}

/// Where a model-quality or bias monitor finds the prediction in the capture: its
/// configured attributes (a bias monitor adds its facets:
/// [`crate::bias::prepare::bias_prediction_attributes`]).
pub fn prediction_attributes(cfg: &MonitorConfig) -> PredictionAttributes {
    cfg.join().map(|j| j.attributes.clone()).unwrap_or_default()
}

/// Builds the prediction index of one capture object, line by line: the model-quality and
/// bias consumer of [`crate::app::ingest::run`]'s single pass.
pub struct Indexer<'a> {
    attrs: &'a PredictionAttributes,
    variant: String,
    index: PredictionIndex,
    warnings: WarnBudget,
    times: crate::formats::capture::InferenceWindow,
}

impl<'a> Indexer<'a> {
    /// An indexer of the capture object `key` (named `source`).
    pub fn new(key: &CaptureKey, source: &str, attrs: &'a PredictionAttributes) -> Self {
        Indexer {
            attrs,
            variant: key.variant.clone(),
            index: PredictionIndex {
                format: crate::joined::predictions::PREDICTION_INDEX_FORMAT.into(),
                version: crate::joined::predictions::PREDICTION_INDEX_VERSION,
                source: source.into(),
                predictions: Vec::new(),
                bad_records: BadRecords::default(),
            },
            warnings: WarnBudget::default(),
            times: crate::formats::capture::InferenceWindow::around_object_hour(key.hour),
        }
    }

    /// Takes line `line_no` (1-based) of the object.
    pub fn push(&mut self, line_no: u64, line: &Line<'_>) {
        let bytes = match line {
            Line::TooLong { .. } => {
                self.index
                    .bad_records
                    .add(BadRecordKind::LineTooLong, line_no);
                return;
            }
            Line::Ok(b) => *b,
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        let found = prediction_of_line(bytes, self.attrs, &self.variant).and_then(|p| {
            // the same hours as the other consumers (formats::capture::time)
            match self.times.check(&p.inference_time, p.time) {
                Ok(()) => Ok(p),
                Err(e) => Err(PredictionError::Bad(BadRecordKind::BadTime, e.to_string())),
            }
        });
        match found {
            Ok(p) => self.index.predictions.push(p),
            Err(PredictionError::Shadow) => {}
            Err(PredictionError::Bad(kind, message)) => {
                if self.warnings.take() {
                    tracing::warn!(source = %self.index.source, line = line_no, kind = %kind, %message, "no prediction in capture line");
                } else {
                    tracing::debug!(source = %self.index.source, line = line_no, kind = %kind, %message, "no prediction in capture line");
                }
                self.index.bad_records.add(kind, line_no);
            }
        }
    }

    /// The index of everything pushed.
    pub fn finish(self) -> PredictionIndex {
        self.index
    }
}

/// Builds the prediction index of one capture object (streamed line by line).
pub async fn index_object<R: tokio::io::AsyncRead + Unpin>(
    reader: R,
    key: &CaptureKey,
    source: &str,
    attrs: &PredictionAttributes,
) -> Result<PredictionIndex, CoreError> {
    let mut ix = Indexer::new(key, source, attrs);
    for_each_line(reader, source, |n, l| ix.push(n, l)).await?;
    Ok(ix.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV_LINE: &str = r#"{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"1,2","encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv; charset=utf-8","mode":"OUTPUT","data":"0.7","encoding":"CSV"}},"eventMetadata":{"eventId":"e1","inferenceId":"57","inferenceTime":"2021-02-05T17:23:35Z"},"eventVersion":"0"}"#;

    #[test]
    fn prediction_from_csv_output_with_threshold() {
        let p = prediction_of_line(
            CSV_LINE.as_bytes(),
            &PredictionAttributes::default(),
            "AllTraffic",
        )
        .unwrap();
        assert_eq!(p.key, "57");
        assert_eq!(p.probability, Some(0.7));
        assert_eq!(p.label.as_deref(), Some("1"));
        assert_eq!(p.time, 1612545815);
    }

    #[test]
    fn facet_values_from_the_input() {
        let attrs = PredictionAttributes {
            facet_attributes: [
                ("f0".to_string(), "0".to_string()),
                ("f1".to_string(), "1".to_string()),
            ]
            .into_iter()
            .collect(),
            ..PredictionAttributes::default()
        };
        let p = prediction_of_line(CSV_LINE.as_bytes(), &attrs, "v").unwrap();
        assert_eq!(p.facets.get("f0").map(String::as_str), Some("1"));
        assert_eq!(p.facets.get("f1").map(String::as_str), Some("2"));
    }

    #[test]
    fn prediction_from_json_pointer() {
        let line = r#"{"captureData":{"endpointOutput":{"observedContentType":"application/json","mode":"OUTPUT","data":"{\"predicted_label\":1,\"score\":0.81}","encoding":"JSON"}},"eventMetadata":{"eventId":"e2","inferenceTime":"2021-02-05T17:23:35Z"},"eventVersion":"0"}"#;
        let attrs = PredictionAttributes {
            inference_attribute: Some("/predicted_label".into()),
            probability_attribute: Some("/score".into()),
            probability_threshold: 0.5,
            facet_attributes: Default::default(),
            keep_input_features: false,
        };
        let p = prediction_of_line(line.as_bytes(), &attrs, "v").unwrap();
        assert_eq!(p.key, "e2");
        assert_eq!(p.label.as_deref(), Some("1"));
        assert_eq!(p.probability, Some(0.81));
    }

    #[test]
    fn bad_prediction_lines_name_the_field() {
        let e = prediction_of_line(b"{oops", &PredictionAttributes::default(), "v").unwrap_err();
        assert!(matches!(
            e,
            PredictionError::Bad(BadRecordKind::InvalidJson, _)
        ));
        let no_out = CSV_LINE.replace("\"data\":\"0.7\"", "\"data\":\"abc\"");
        let e = prediction_of_line(no_out.as_bytes(), &PredictionAttributes::default(), "v")
            .unwrap_err();
        assert!(
            matches!(e, PredictionError::Bad(BadRecordKind::UnparsableNumber, ref m) if m.contains("abc"))
        );
    }

    #[test]
    fn labels() {
        let l = parse_label(
            br#"{"groundTruthData":{"data":"1","encoding":"CSV"},"eventMetadata":{"eventId":"57"},"eventVersion":"0"}"#,
        )
        .unwrap();
        assert_eq!(
            l,
            Label {
                key: "57".into(),
                label: "1".into()
            }
        );
        let l = parse_label(
            br#"{"groundTruthData":{"data":"{\"label\": 0}","encoding":"JSON"},"eventMetadata":{"eventId":"95"},"eventVersion":"0"}"#,
        )
        .unwrap();
        assert_eq!(l.label, "0");
        let e = parse_label(br#"{"groundTruthData":{"data":"1"}}"#).unwrap_err();
        assert_eq!(e.0, BadRecordKind::MissingField);
    }

    /// Issue 11 item 2: a regression label `1e200` was stored as `null` in model-quality
    /// state and every later tick aborted. Such labels are now a counted bad kind, named
    /// with the event id and the field.
    #[test]
    fn poison_labels_are_refused_by_kind() {
        let line = |data: &str, enc: &str| {
            format!(
                r#"{{"groundTruthData":{{"data":{data},"encoding":"{enc}"}},"eventMetadata":{{"eventId":"e9"}},"eventVersion":"0"}}"#
            )
        };
        for (data, enc, kind) in [
            ("\"1e200\"", "CSV", BadRecordKind::OutOfRange),
            ("1e200", "CSV", BadRecordKind::OutOfRange),
            ("\"inf\"", "CSV", BadRecordKind::NonFinite),
            ("\"1e400\"", "CSV", BadRecordKind::NonFinite),
            ("\"-1e309,0\"", "CSV", BadRecordKind::NonFinite),
            (
                "\"{\\\"label\\\": 1e200}\"",
                "JSON",
                BadRecordKind::OutOfRange,
            ),
        ] {
            let (got, message) = parse_label(line(data, enc).as_bytes()).unwrap_err();
            assert_eq!(got, kind, "{data}");
            assert!(
                message.contains("groundTruthData.data") && message.contains("e9"),
                "{message}"
            );
        }
        assert_eq!(
            parse_label(line("\"1e100\"", "CSV").as_bytes())
                .unwrap()
                .label,
            "1e100"
        );
    }

    #[test]
    fn poison_probabilities_are_refused_by_kind() {
        let attrs = PredictionAttributes::default();
        for (p, kind) in [
            ("1e400", BadRecordKind::NonFinite),
            ("1e200", BadRecordKind::OutOfRange),
        ] {
            let line = CSV_LINE.replace("\"data\":\"0.7\"", &format!("\"data\":\"{p}\""));
            let e = prediction_of_line(line.as_bytes(), &attrs, "v").unwrap_err();
            assert!(
                matches!(e, PredictionError::Bad(k, ref m) if k == kind && m.contains(p)),
                "{p}: {e:?}"
            );
        }
    }

    /// Attribution inputs: a value beyond ±1e100 or non-finite makes the record's inputs
    /// unusable (`None`) instead of overflowing the SHAP sums.
    #[test]
    fn numeric_inputs_refuse_poison_numbers() {
        assert_eq!(numeric_inputs("1,2.5", "csv"), Some(vec![1.0, 2.5]));
        assert_eq!(numeric_inputs("1e200,2", "csv"), None);
        assert_eq!(numeric_inputs("1e400,2", "csv"), None);
        assert_eq!(numeric_inputs("[1, 1e200]", "json"), None);
        assert_eq!(numeric_inputs("[1, 2]", "json"), Some(vec![1.0, 2.0]));
    }
}
