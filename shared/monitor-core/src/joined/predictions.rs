//! Predictions and ground truth for model quality: the compact prediction index that
//! capture-ingest writes per capture object, and SageMaker's ground-truth records.
//!
//! The index keeps, per captured instance, what the join and the metrics need: the join
//! key (`inferenceId` when present, else `eventId`, spec §2.1; instance `i` of a request of
//! several: [`instance_key`]), the inference time, the predicted label and/or probability
//! (from the monitor's inference / probability attribute: a CSV column index of the output
//! payload, a JSON pointer into it, or a JMESPath-style path such as `predictions[*].score`,
//! see [`crate::formats::capture::Attribute`]), the variant, and, once per request, the raw
//! `endpointOutput` and `endpointInput` objects so matched records can be written back in
//! SageMaker's merge layout (spec §2.2).

use std::collections::BTreeSet;
use std::io::{BufWriter, Write};

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::formats::capture::{
    Attribute, BadRecord, BadRecordKind, BadRecords, PayloadReader, RecordReader, WarnBudget,
};
use crate::formats::number;
use crate::layout::CaptureKey;
use crate::store::{for_each_line, Line, StateFile};
use crate::CoreError;

/// Format tag of prediction index files.
pub const PREDICTION_INDEX_FORMAT: &str = "modelwatch.prediction-index";
/// Version of the prediction index layout. Version 2 (issue 11) keeps `output` exactly as
/// the capture line wrote it, where version 1 re-serialised it; both read the same.
pub const PREDICTION_INDEX_VERSION: u32 = 2;
/// The oldest layout version still read.
pub const PREDICTION_INDEX_MIN_VERSION: u32 = 1;

impl StateFile for PredictionIndex {
    const FORMAT: &'static str = PREDICTION_INDEX_FORMAT;
    const VERSION: Option<u32> = Some(PREDICTION_INDEX_VERSION);

    fn tag(&self) -> (&str, u32) {
        (self.format.as_str(), self.version)
    }

    fn source(&self) -> &str {
        &self.source
    }

    /// Decodes an index of any version from [`PREDICTION_INDEX_MIN_VERSION`] to
    /// [`PREDICTION_INDEX_VERSION`] (their predictions read the same).
    fn from_json(key: &str, bytes: &[u8]) -> Result<Self, CoreError> {
        let value: Self = serde_json::from_slice(bytes).map_err(|e| CoreError::State {
            key: key.into(),
            message: e.to_string(),
        })?;
        check_index_tag(key, &value.format, value.version)?;
        Ok(value)
    }
}

/// The error for a prediction index at `key` of another format or an unknown version.
fn check_index_tag(key: &str, format: &str, version: u32) -> Result<(), CoreError> {
    let versions = PREDICTION_INDEX_MIN_VERSION..=PREDICTION_INDEX_VERSION;
    if format != PREDICTION_INDEX_FORMAT || !versions.contains(&version) {
        return Err(CoreError::State {
            key: key.into(),
            message: format!(
                "format {format} version {version} (expected {PREDICTION_INDEX_FORMAT} {PREDICTION_INDEX_MIN_VERSION} to {PREDICTION_INDEX_VERSION})"
            ),
        });
    }
    Ok(())
}

/// What a window's evaluation reads of a prediction index ([`crate::joined::labels`]): the
/// time of each prediction (to count the window's predictions) and the score counts, not the
/// predictions' keys, labels and raw sides. Decoding it allocates nothing per prediction
/// but its time: at 1M records the full decode of every index was 2 s of the one-shot
/// model-quality job's evaluation.
#[derive(Debug, Clone, Deserialize)]
pub struct IndexCoverage {
    format: String,
    version: u32,
    /// each prediction's time (the other members are skipped)
    pub predictions: Vec<PredictionTime>,
    /// as [`PredictionIndex::scores`]
    #[serde(default)]
    pub scores: Vec<crate::model_quality::cbpe::MinuteScores>,
    /// as [`PredictionIndex::segment_scores`]
    #[serde(default)]
    pub segment_scores:
        std::collections::BTreeMap<String, Vec<crate::model_quality::cbpe::MinuteScores>>,
}

/// A prediction's [`Prediction::time`] alone.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct PredictionTime {
    /// inference time, Unix seconds
    pub time: i64,
}

impl IndexCoverage {
    /// Reads the index at `key`, checking its format and version as
    /// [`PredictionIndex::from_json`] does.
    ///
    /// # Errors
    /// [`CoreError::State`] for bytes that are not a prediction index.
    pub fn from_json(key: &str, bytes: &[u8]) -> Result<Self, CoreError> {
        let value: Self = serde_json::from_slice(bytes).map_err(|e| CoreError::State {
            key: key.into(),
            message: e.to_string(),
        })?;
        check_index_tag(key, &value.format, value.version)?;
        Ok(value)
    }
}

/// A JSON value kept exactly as written (the raw `endpointOutput` object of a capture
/// line): copied, never converted to a `serde_json::Value`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// Wraps one JSON value's text.
    ///
    /// # Errors
    /// When `text` is not one JSON value.
    pub fn new(text: &str) -> Result<Self, serde_json::Error> {
        RawValue::from_string(text.to_owned()).map(RawJson)
    }

    /// The text as written.
    pub fn get(&self) -> &str {
        self.0.get()
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

/// Where the predicted label and probability are in the endpoint output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionAttributes {
    /// predicted label: a CSV column index (`"0"`), a JSON pointer (`"/predicted_label"`)
    /// or a JMESPath-style path (`"predictions[*].predicted_label"`, one per instance);
    /// default: derived from the probability with the threshold
    #[serde(default)]
    pub inference_attribute: Option<String>,
    /// probability of the positive class: a CSV column index, a JSON pointer or a
    /// JMESPath-style path (`"predictions[*].score"`)
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
    /// the raw `captureData.endpointOutput` object, as written in the capture line; on
    /// instance 0 of a request only (`None` on the others)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<RawJson>,
    /// the raw `captureData.endpointInput` object, as written (instance 0 only; absent in
    /// indexes written before merged records carried it)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<RawJson>,
    /// this instance's position in its request (0-based)
    #[serde(default, skip_serializing_if = "is_zero")]
    pub instance: u32,
    /// how many instances the request holds (1 for a single-instance request)
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub instances: u32,
    /// facet / group values read from the endpoint input (see `facet_attributes`)
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub facets: std::collections::BTreeMap<String, String>,
    /// every input value as a number (see `keep_input_features`); `None` when not kept or
    /// when some input value is not numeric
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<f64>>,
    /// the target model of a multi-model endpoint's record: its position in
    /// [`PredictionIndex::models`] ([`crate::multimodel`]); `None` when unattributed, for
    /// monitors without a `multi_model` block, and in indexes written before it
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<u32>,
}

fn is_zero(x: &u32) -> bool {
    *x == 0
}

fn one() -> u32 {
    1
}

fn is_one(x: &u32) -> bool {
    *x == 1
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
    /// score counts per inference minute and predicted label, for label-free performance
    /// estimation ([`crate::model_quality::cbpe`]); absent in indexes written before it
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scores: Vec<crate::model_quality::cbpe::MinuteScores>,
    /// the same per slice, for a monitor with a `segments` block
    /// ([`crate::segments::estimated`]); absent in indexes written before it ("no slices")
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub segment_scores:
        std::collections::BTreeMap<String, Vec<crate::model_quality::cbpe::MinuteScores>>,
    /// the target models its predictions name by position ([`Prediction::model`],
    /// [`PredictionIndex::model_of`]); empty without a `multi_model` block and in indexes
    /// written before it
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<String>,
}

/// Why a capture line gave no prediction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PredictionError {
    /// a bad line, with its kind and a message naming the field
    Bad(BadRecordKind, String),
    /// a shadow-variant record (skipped, not an error)
    Shadow,
}

impl From<BadRecord> for PredictionError {
    fn from(b: BadRecord) -> Self {
        PredictionError::Bad(b.kind(), b.to_string())
    }
}

/// Unix seconds of a SageMaker `inferenceTime` ([`crate::formats::capture::inference_seconds`]:
/// RFC 3339, offsets converted to UTC, invalid dates refused).
pub fn parse_time(s: &str) -> Option<i64> {
    crate::formats::capture::inference_seconds(s).ok()
}

/// The readers one indexer reuses line after line: the capture record reader (the tape
/// parser of [`crate::formats::capture`]) and a payload reader for the attributes.
#[derive(Debug, Default)]
pub struct PredictionReader {
    record: RecordReader,
    payload: PayloadReader,
}

impl PredictionReader {
    /// Readers for `attrs` (the input payload is decoded only when facets or features
    /// are kept).
    pub fn new(attrs: &PredictionAttributes) -> Self {
        let input = !attrs.facet_attributes.is_empty() || attrs.keep_input_features;
        PredictionReader {
            record: RecordReader::new().decode_input(input),
            payload: PayloadReader::new(),
        }
    }

    /// Releases what a long line grew (see [`crate::formats::capture::SCRATCH_KEEP_BYTES`]).
    pub fn release(&mut self) {
        self.record.release();
        self.payload.release();
    }

    /// Bytes the readers hold between lines (bounded whatever the lines were).
    pub fn held_bytes(&self) -> usize {
        self.record.held_bytes() + self.payload.held_bytes()
    }

    /// Extracts the prediction of one capture line: its first instance (a request with
    /// several instances gives several: [`Self::predictions`]).
    ///
    /// # Errors
    /// [`PredictionError::Bad`] with the kind and the field; [`PredictionError::Shadow`]
    /// for a shadow-variant record.
    pub fn prediction(
        &mut self,
        line: &[u8],
        attrs: &PredictionAttributes,
        variant: &str,
    ) -> Result<Prediction, PredictionError> {
        let mut first = None;
        self.predictions(line, attrs, variant, |p| {
            if first.is_none() {
                first = Some(p);
            }
        })?;
        first.ok_or_else(|| {
            PredictionError::Bad(
                BadRecordKind::BadPayload,
                "no instance in endpointOutput".into(),
            )
        })
    }

    /// Extracts one prediction per instance of one capture line and hands each to `emit`
    /// in instance order; returns how many.
    ///
    /// The instances are those of the probability attribute (else the inference attribute)
    /// in `endpointOutput` ([`crate::formats::capture::Attribute`]: CSV lines, a `[*]`
    /// projection such as `predictions[*].score`, JSON Lines documents, the elements of an
    /// `instances` / `predictions` array for a column index). With several instances, every
    /// other attribute (the inference attribute, each facet) must give as many values, and
    /// instance `i` gets the join key [`instance_key`]`(key, i)`; the raw sides are kept on
    /// instance 0 only, so a request is stored once however many instances it has. With one
    /// instance, each attribute's first value is used (a CSV input of several lines answered
    /// by one score reads its facets from the first line, as before).
    ///
    /// Memory: the values of one line's instances, released when the line is done.
    ///
    /// # Errors
    /// [`PredictionError::Bad`] with the kind and the field (nothing is emitted);
    /// [`PredictionError::Shadow`] for a shadow-variant record.
    // Why it is long: one pass reads the envelope, then both payloads' attributes per instance
    // and builds the predictions; the checks each name their field, in the order of the record.
    pub fn predictions(
        &mut self,
        line: &[u8],
        attrs: &PredictionAttributes,
        variant: &str,
        mut emit: impl FnMut(Prediction),
    ) -> Result<usize, PredictionError> {
        let bad = |k, m: String| PredictionError::Bad(k, m);
        let parse_attr = |a: &str| {
            Attribute::parse(a).map_err(|e| bad(BadRecordKind::BadPayload, e.to_string()))
        };
        let payloads = &mut self.payload;
        let rec = self.record.read(line)?;
        if !rec.has_metadata {
            return Err(bad(BadRecordKind::MissingField, "eventMetadata".into()));
        }
        if rec.shadow {
            return Err(PredictionError::Shadow);
        }
        let event_id = rec
            .event_id
            .ok_or_else(|| bad(BadRecordKind::MissingField, "eventMetadata.eventId".into()))?;
        let inference_time = rec.inference_time.ok_or_else(|| {
            bad(
                BadRecordKind::BadTime,
                crate::formats::capture::TimeError::Missing.to_string(),
            )
        })?;
        let time = crate::formats::capture::inference_seconds(&inference_time)
            .map_err(|e| bad(BadRecordKind::BadTime, e.to_string()))?;
        let output = rec.output.ok_or_else(|| {
            bad(
                BadRecordKind::MissingField,
                "captureData.endpointOutput".into(),
            )
        })?;
        let out_payload = output.payload?;
        // 1. the instances of the output: the probability (else the predicted label)
        let values_of = |payloads: &mut PayloadReader,
                         payload,
                         name: &str,
                         a: &str,
                         side: &str|
         -> Result<Vec<Option<String>>, PredictionError> {
            let attribute = parse_attr(a)?;
            let mut values = Vec::new();
            payloads
                .instance_values(payload, &attribute, |v| values.push(v))
                .map_err(|e| bad(BadRecordKind::BadPayload, format!("{side}: {e}")))?;
            if values.is_empty() {
                return Err(bad(
                    BadRecordKind::BadPayload,
                    format!("{name} attribute {a:?} not in {side}"),
                ));
            }
            Ok(values)
        };
        let probabilities = match &attrs.probability_attribute {
            Some(a) => Some(values_of(
                payloads,
                out_payload,
                "probability",
                a,
                "endpointOutput",
            )?),
            None => None,
        };
        let labels = match &attrs.inference_attribute {
            Some(a) => Some(values_of(
                payloads,
                out_payload,
                "inference",
                a,
                "endpointOutput",
            )?),
            None => None,
        };
        let n = probabilities
            .as_ref()
            .or(labels.as_ref())
            .map_or(1, Vec::len);
        let same_count = |name: &str, a: &str, got: usize, side: &str| {
            if n > 1 && got != n {
                Err(bad(
                    BadRecordKind::BadPayload,
                    format!(
                        "{name} attribute {a:?} gives {got} values in {side} for a request of {n} instances"
                    ),
                ))
            } else {
                Ok(())
            }
        };
        if let (Some(l), Some(a)) = (&labels, &attrs.inference_attribute) {
            same_count("inference", a, l.len(), "endpointOutput")?;
        }
        // 2. facets and features of the input, per instance
        let mut facet_values: Vec<(&String, Vec<Option<String>>)> = Vec::new();
        let mut features: Vec<Option<Vec<f64>>> = Vec::new();
        if !attrs.facet_attributes.is_empty() || attrs.keep_input_features {
            let input = rec.input.ok_or_else(|| {
                bad(
                    BadRecordKind::MissingField,
                    "captureData.endpointInput".into(),
                )
            })?;
            let payload = input.payload?;
            for (name, a) in &attrs.facet_attributes {
                let attribute = parse_attr(a)?;
                let mut values = Vec::new();
                payloads
                    .instance_values(payload, &attribute, |v| values.push(v))
                    .map_err(|e| bad(BadRecordKind::BadPayload, format!("endpointInput: {e}")))?;
                same_count("facet", a, values.len(), "endpointInput")?;
                facet_values.push((name, values));
            }
            if attrs.keep_input_features {
                if n == 1 {
                    features.push(payloads.numbers(payload));
                } else {
                    let got = payloads
                        .instance_numbers(payload, |v| features.push(v))
                        .map_err(|e| {
                            bad(BadRecordKind::BadPayload, format!("endpointInput: {e}"))
                        })?;
                    if got != n {
                        // rows that are not the instances: no feature vectors (FT skips them)
                        features.clear();
                    }
                }
            }
        }
        // 3. one prediction per instance
        let mut probability_of = Vec::with_capacity(n);
        if let (Some(values), Some(a)) = (&probabilities, &attrs.probability_attribute) {
            for raw in values.iter().take(n) {
                let raw = raw.as_deref().ok_or_else(|| {
                    bad(
                        BadRecordKind::BadPayload,
                        format!("probability attribute {a:?} not in endpointOutput"),
                    )
                })?;
                let p = match number::parse(raw) {
                    Ok(Some(p)) => p,
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
                };
                probability_of.push(p);
            }
        }
        if let (Some(values), Some(a)) = (&labels, &attrs.inference_attribute) {
            if values.iter().take(n).any(Option::is_none) {
                return Err(bad(
                    BadRecordKind::BadPayload,
                    format!("inference attribute {a:?} not in endpointOutput"),
                ));
            }
        }
        let raw_output = RawJson::new(output.raw)
            .map_err(|e| bad(BadRecordKind::InvalidJson, format!("endpointOutput: {e}")))?;
        let raw_input = match rec.input_raw {
            Some(raw) => Some(
                RawJson::new(raw)
                    .map_err(|e| bad(BadRecordKind::InvalidJson, format!("endpointInput: {e}")))?,
            ),
            None => None,
        };
        let event_id = event_id.into_owned();
        let inference_id = rec.inference_id.map(std::borrow::Cow::into_owned);
        let request_key = inference_id.clone().unwrap_or_else(|| event_id.clone());
        let inference_time = inference_time.into_owned();
        let (mut raw_output, mut raw_input) = (Some(raw_output), raw_input);
        for i in 0..n {
            let probability = probability_of.get(i).copied();
            let label = match &labels {
                Some(values) => values.get(i).cloned().flatten(),
                None => probability.map(|p| {
                    if p > attrs.probability_threshold {
                        "1".to_string()
                    } else {
                        "0".to_string()
                    }
                }),
            };
            let facets = facet_values
                .iter()
                .filter_map(|(name, values)| {
                    values
                        .get(i)
                        .cloned()
                        .flatten()
                        .map(|v| ((*name).clone(), v))
                })
                .collect();
            emit(Prediction {
                key: instance_key(&request_key, i, n),
                event_id: event_id.clone(),
                inference_id: inference_id.clone(),
                inference_time: inference_time.clone(),
                time,
                label,
                probability,
                variant: variant.to_string(),
                output: raw_output.take(),
                input: raw_input.take(),
                instance: u32::try_from(i).unwrap_or(u32::MAX),
                instances: u32::try_from(n).unwrap_or(u32::MAX),
                facets,
                features: features.get(i).cloned().flatten(),
                model: None,
            });
        }
        Ok(n)
    }
}

/// The join key of instance `i` (0-based) of a request of `n` instances whose key is `key`
/// (its `inferenceId`, else its `eventId`): `key` itself when the request has one instance
/// (so single-instance data joins as it always did), else `"{key}#{i}"`: `abc#0`, `abc#1`, …
/// The same rule numbers the labels of a ground-truth record and the records the
/// attribution monitor samples.
#[must_use]
pub fn instance_key(key: &str, i: usize, n: usize) -> String {
    if n <= 1 {
        key.to_owned()
    } else {
        format!("{key}#{i}")
    }
}

/// Extracts the prediction of one capture line (a fresh [`PredictionReader`]; an indexer
/// reuses one).
///
/// # Errors
/// As [`PredictionReader::prediction`].
pub fn prediction_of_line(
    line: &[u8],
    attrs: &PredictionAttributes,
    variant: &str,
) -> Result<Prediction, PredictionError> {
    PredictionReader::new(attrs).prediction(line, attrs, variant)
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
/// `{"label": v}` object (seen in SageMaker's merged files) is accepted too. A record with
/// several instances gives its first label ([`parse_labels`] gives them all).
///
/// # Errors
/// As [`parse_labels`].
pub fn parse_label(line: &[u8]) -> Result<Label, (BadRecordKind, String)> {
    let record = parse_labels(line, None)?;
    record.labels.into_iter().next().ok_or((
        BadRecordKind::BadPayload,
        "groundTruthData.data has no label".into(),
    ))
}

/// One ground-truth record: the labels of its request's instances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelRecord {
    /// `eventMetadata.eventId`: the request's join key
    pub key: String,
    /// one label per instance that has one, keyed by [`instance_key`]
    pub labels: Vec<Label>,
    /// how many instances the record holds (with or without a label)
    pub instances: usize,
    /// `groundTruthData.data` as written (a string, or other JSON as its text)
    pub data: String,
    /// `groundTruthData.encoding` (default `CSV`)
    pub encoding: String,
}

/// Parses one ground-truth line into the labels of its instances.
///
/// Where the labels are (`attribute`, the monitor's `ground_truth_attribute`):
/// * `None`: CSV data gives the first column of each non-empty line; JSON data its
///   `label` member or the scalar itself (one instance);
/// * a column (`"0"`): that column of each CSV line, or of each JSON instance;
/// * a JSON pointer (`/label`): one label;
/// * a JMESPath-style path: `instances[*].label` on `{"instances": [{"label": 0}, …]}`
///   gives one label per element, instance `i` joined to the request's instance `i`
///   ([`instance_key`]).
///
/// # Errors
/// The kind of bad record and a message naming the field: not UTF-8, not JSON, a missing
/// field, an unsupported encoding, no label at all, or a label that reads as an unusable
/// number (the whole record is refused).
pub fn parse_labels(
    line: &[u8],
    attribute: Option<&Attribute>,
) -> Result<LabelRecord, (BadRecordKind, String)> {
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
    let values: Vec<Option<String>> = match encoding.as_str() {
        "CSV" => {
            let text = scalar(&data).unwrap_or_default();
            let column = match attribute {
                None => 0,
                Some(Attribute::Column(c)) => *c,
                Some(_) => {
                    return Err((
                        BadRecordKind::BadPayload,
                        "groundTruthData: a JSON path or pointer needs JSON ground truth".into(),
                    ))
                }
            };
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.split(',').nth(column).map(|v| v.trim().to_string()))
                .collect()
        }
        "JSON" => {
            let v = match &data {
                serde_json::Value::String(s) => serde_json::from_str(s).unwrap_or(data.clone()),
                other => other.clone(),
            };
            match attribute {
                Some(a) => a.values_in(&v),
                None => vec![match &v {
                    serde_json::Value::Object(m) => m.get("label").and_then(scalar),
                    other => scalar(other),
                }],
            }
        }
        other => {
            return Err((
                BadRecordKind::UnsupportedEncoding,
                format!("groundTruthData.encoding {other:?}"),
            ))
        }
    };
    let n = values.len();
    let mut labels = Vec::with_capacity(n);
    for (i, label) in values.into_iter().enumerate() {
        let Some(label) = label.filter(|l| !l.is_empty()) else {
            continue;
        };
        // A label that reads as a number must be a usable one (formats::number): a
        // regression label `1e200` or `inf` would otherwise overflow the model-quality
        // state. A class label spelled `inf` or `NaN` is refused the same way (Rust reads
        // both as numbers).
        number::parse(&label).map_err(|e| {
            (
                BadRecordKind::from(&e),
                format!("groundTruthData.data (eventId {key:?}): {e}"),
            )
        })?;
        labels.push(Label {
            key: instance_key(&key, i, n),
            label,
        });
    }
    if labels.is_empty() {
        return Err((
            BadRecordKind::BadPayload,
            "groundTruthData.data has no label".into(),
        ));
    }
    let data = match data {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    };
    Ok(LabelRecord {
        key,
        labels,
        instances: n,
        data,
        encoding,
    })
}

/// Bytes an [`Indexer`] buffers before writing to its spill file.
pub const SPILL_BUFFER_BYTES: usize = 64 << 10;

/// Builds the prediction index of one capture object, line by line: the model-quality and
/// bias consumer of [`crate::app::ingest::run`]'s single pass.
///
/// Memory is flat in the object's size (issue 11): each prediction is encoded as it is
/// read into a temporary spill file (through a [`SPILL_BUFFER_BYTES`] buffer) that holds
/// the index file's exact bytes, and the store uploads the file
/// ([`crate::store::ObjectStore::put_file`]). Only the counts and the set of inference
/// minutes stay in memory.
pub struct Indexer<'a> {
    attrs: &'a PredictionAttributes,
    variant: String,
    source: String,
    reader: PredictionReader,
    spill: Option<BufWriter<tempfile::NamedTempFile>>,
    error: Option<std::io::Error>,
    records: u64,
    minutes: BTreeSet<i64>,
    bad_records: BadRecords,
    warnings: WarnBudget,
    times: crate::formats::capture::InferenceWindow,
    scores: crate::model_quality::cbpe::ScoreCounter,
    /// score counts per slice (a monitor with a `segments` block)
    slices: Option<crate::segments::estimated::SliceScores>,
    /// a multi-model monitor's target models ([`Self::with_target_models`])
    models: Option<crate::multimodel::attribute::ModelTable>,
}

/// The prediction index of one object, spilled to a temporary file (deleted on drop).
pub struct SpilledIndex {
    /// the index file's bytes
    pub file: tempfile::NamedTempFile,
    /// predictions it holds
    pub records: u64,
    /// lines that gave no prediction, by kind
    pub bad_records: BadRecords,
    /// the inference minutes of its predictions, ascending
    pub minutes: Vec<DateTime<Utc>>,
}

impl<'a> Indexer<'a> {
    /// An indexer of the capture object `key` (named `source`).
    pub fn new(key: &CaptureKey, source: &str, attrs: &'a PredictionAttributes) -> Self {
        let mut ix = Indexer {
            attrs,
            variant: key.variant.clone(),
            source: source.into(),
            reader: PredictionReader::new(attrs),
            spill: None,
            error: None,
            records: 0,
            minutes: BTreeSet::new(),
            bad_records: BadRecords::default(),
            warnings: WarnBudget::default(),
            times: crate::formats::capture::InferenceWindow::around_object_hour(key.hour),
            scores: Default::default(),
            slices: None,
            models: None,
        };
        match tempfile::NamedTempFile::new() {
            Ok(f) => ix.spill = Some(BufWriter::with_capacity(SPILL_BUFFER_BYTES, f)),
            Err(e) => ix.error = Some(e),
        }
        // the fields before `predictions`, as `PredictionIndex` serialises them
        let head = format!(
            "{{\"format\":{},\"version\":{PREDICTION_INDEX_VERSION},\"source\":{},\"predictions\":[",
            serde_json::Value::from(PREDICTION_INDEX_FORMAT),
            serde_json::Value::from(source),
        );
        ix.write(|w| w.write_all(head.as_bytes()));
        ix
    }

    /// Also counts each scored prediction per slice (`slices`, from
    /// [`crate::segments::estimated::SliceScores::for_monitor`]).
    #[must_use]
    pub fn with_slices(mut self, slices: Option<crate::segments::estimated::SliceScores>) -> Self {
        self.slices = slices;
        self
    }

    /// Runs one write on the spill file; the first error is kept for [`Self::finish`].
    fn write(
        &mut self,
        f: impl FnOnce(&mut BufWriter<tempfile::NamedTempFile>) -> std::io::Result<()>,
    ) {
        if let Some(w) = self.spill.as_mut() {
            if let Err(e) = f(w) {
                self.error = Some(e);
                self.spill = None;
            }
        }
    }

    /// The indexer of a multi-model monitor: each prediction carries its target model's
    /// position in `table` ([`Prediction::model`]), written as [`PredictionIndex::models`].
    #[must_use]
    pub fn with_target_models(mut self, table: crate::multimodel::attribute::ModelTable) -> Self {
        self.models = Some(table);
        self
    }

    /// Bytes waiting in the spill buffer (at most [`SPILL_BUFFER_BYTES`] between lines).
    pub fn buffered_bytes(&self) -> usize {
        self.spill.as_ref().map_or(0, |w| w.buffer().len())
    }

    /// Bytes the line readers hold between lines.
    pub fn reader_bytes(&self) -> usize {
        self.reader.held_bytes()
    }

    /// Takes line `line_no` (1-based) of the object.
    pub fn push(&mut self, line_no: u64, line: &Line<'_>) {
        let bytes = match line {
            Line::TooLong { .. } => {
                self.bad_records.add(BadRecordKind::LineTooLong, line_no);
                return;
            }
            Line::Ok(b) => *b,
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        // a multi-model monitor's target model, once per line (crate::multimodel)
        let model = self.models.as_mut().and_then(|t| t.tag(bytes));
        // The instances of a request are written as they are built; the time is checked
        // on the first (all of a request's instances share it) before anything is written.
        let Indexer {
            attrs,
            variant,
            reader,
            spill,
            error,
            records,
            minutes,
            times,
            scores,
            slices,
            ..
        } = self;
        let mut time_error = None;
        let result = reader.predictions(bytes, attrs, variant, |mut p| {
            p.model = model;
            if time_error.is_some() {
                return;
            }
            if p.instance == 0 {
                // the same hours as the other consumers (formats::capture::time)
                if let Err(e) = times.check(&p.inference_time, p.time) {
                    time_error = Some(e.to_string());
                    return;
                }
            }
            let first = *records == 0;
            *records += 1;
            minutes.insert(p.time.div_euclid(60));
            scores.push(p.time, p.label.as_deref(), p.probability);
            if let Some(s) = slices.as_mut() {
                s.push(&p);
            }
            if let Some(w) = spill.as_mut() {
                let written = (|| {
                    if !first {
                        w.write_all(b",")?;
                    }
                    serde_json::to_writer(&mut *w, &p).map_err(std::io::Error::from)
                })();
                if let Err(e) = written {
                    *error = Some(e);
                    *spill = None;
                }
            }
        });
        let result = match (result, time_error) {
            (Ok(_), Some(message)) => Err(PredictionError::Bad(BadRecordKind::BadTime, message)),
            (other, _) => other,
        };
        self.reader.release();
        match result {
            Ok(_) => {}
            Err(PredictionError::Shadow) => {}
            Err(PredictionError::Bad(kind, message)) => {
                if self.warnings.take() {
                    tracing::warn!(source = %self.source, line = line_no, kind = %kind, %message, "no prediction in capture line");
                } else {
                    tracing::debug!(source = %self.source, line = line_no, kind = %kind, %message, "no prediction in capture line");
                }
                self.bad_records.add(kind, line_no);
            }
        }
    }

    /// The index of everything pushed, in its spill file.
    ///
    /// # Errors
    /// [`CoreError::Io`] naming the capture object when the spill file cannot be written.
    pub fn finish(mut self) -> Result<SpilledIndex, CoreError> {
        let bad = std::mem::take(&mut self.bad_records);
        let scores = std::mem::take(&mut self.scores).finish();
        let slices = self.slices.take().map(|s| s.finish()).unwrap_or_default();
        let models = self
            .models
            .take()
            .map(|t| t.into_names())
            .unwrap_or_default();
        self.write(|w| {
            w.write_all(b"],\"bad_records\":")?;
            serde_json::to_writer(&mut *w, &bad).map_err(std::io::Error::from)?;
            if !scores.is_empty() {
                w.write_all(b",\"scores\":")?;
                serde_json::to_writer(&mut *w, &scores).map_err(std::io::Error::from)?;
            }
            if !slices.is_empty() {
                w.write_all(b",\"segment_scores\":")?;
                serde_json::to_writer(&mut *w, &slices).map_err(std::io::Error::from)?;
            }
            if !models.is_empty() {
                w.write_all(b",\"models\":")?;
                serde_json::to_writer(&mut *w, &models).map_err(std::io::Error::from)?;
            }
            w.write_all(b"}")?;
            w.flush()
        });
        let io = |source| CoreError::Io {
            key: self.source.clone(),
            source,
        };
        if let Some(e) = self.error.take() {
            return Err(io(e));
        }
        let file = self
            .spill
            .take()
            .ok_or_else(|| io(std::io::Error::other("no spill file")))?
            .into_inner()
            .map_err(|e| io(e.into_error()))?;
        Ok(SpilledIndex {
            file,
            records: self.records,
            bad_records: bad,
            minutes: self
                .minutes
                .iter()
                .filter_map(|m| Utc.timestamp_opt(m * 60, 0).single())
                .collect(),
        })
    }
}

/// Builds the prediction index of one capture object (streamed line by line) and reads it
/// back whole (tests and tools; ingest uploads the spill file instead).
pub async fn index_object<R: tokio::io::AsyncRead + Unpin>(
    reader: R,
    key: &CaptureKey,
    source: &str,
    attrs: &PredictionAttributes,
) -> Result<PredictionIndex, CoreError> {
    let mut ix = Indexer::new(key, source, attrs);
    for_each_line(reader, source, |n, l| ix.push(n, l)).await?;
    let spilled = ix.finish()?;
    let bytes = std::fs::read(spilled.file.path()).map_err(|e| CoreError::Io {
        key: source.into(),
        source: e,
    })?;
    PredictionIndex::from_json(source, &bytes)
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
        let numeric_inputs = |text: &str, kind: &str| {
            PayloadReader::new().numbers(crate::formats::capture::Payload {
                text,
                json: kind == "json",
                lines: false,
            })
        };
        assert_eq!(numeric_inputs("1,2.5", "csv"), Some(vec![1.0, 2.5]));
        assert_eq!(numeric_inputs("1e200,2", "csv"), None);
        assert_eq!(numeric_inputs("1e400,2", "csv"), None);
        assert_eq!(numeric_inputs("[1, 1e200]", "json"), None);
        assert_eq!(numeric_inputs("[1, 2]", "json"), Some(vec![1.0, 2.0]));
    }

    // ---- issue 11: flat ingest memory, one regression test per measured class ----

    use crate::formats::capture::SCRATCH_KEEP_BYTES;

    /// Bytes a [`PredictionReader`] may hold between lines: each side's two scratch
    /// buffers, the envelope tape and the key scratches kept at most at
    /// [`SCRATCH_KEEP_BYTES`] each (8 buffers).
    const READER_BOUND: usize = 8 * SCRATCH_KEEP_BYTES;

    fn capture_key() -> CaptureKey {
        crate::layout::parse_capture_key(
            "data-capture/ep/AllTraffic/2021/02/05/17/00-00-000-x.jsonl",
            "data-capture/",
        )
        .unwrap()
    }

    fn read_back(spilled: &SpilledIndex) -> PredictionIndex {
        let bytes = std::fs::read(spilled.file.path()).unwrap();
        PredictionIndex::from_json("x", &bytes).unwrap()
    }

    /// Issue 11: ingest memory was ~9.5× the object with a model-quality or bias monitor,
    /// because the index held every prediction. However many records are pushed, the
    /// indexer now buffers at most [`SPILL_BUFFER_BYTES`] and its readers a bounded
    /// amount; the predictions are in the spill file.
    #[test]
    fn the_indexer_buffer_stays_bounded_however_many_records() {
        let attrs = PredictionAttributes::default();
        let key = capture_key();
        let mut ix = Indexer::new(&key, "x", &attrs);
        let n = 50_000usize;
        // the smallest encoded prediction of the lines below (ids only grow with i)
        let one = serde_json::to_vec(
            &prediction_of_line(
                CSV_LINE.replace("\"e1\"", "\"e0\"").as_bytes(),
                &attrs,
                "AllTraffic",
            )
            .unwrap(),
        )
        .unwrap()
        .len();
        for i in 0..n {
            let line = CSV_LINE
                .replace("\"e1\"", &format!("\"e{i}\""))
                .replace("\"57\"", &format!("\"{i}\""));
            ix.push(i as u64 + 1, &Line::Ok(line.as_bytes()));
            if i % 1000 == 0 {
                assert!(ix.buffered_bytes() <= SPILL_BUFFER_BYTES);
                assert!(ix.reader_bytes() <= READER_BOUND);
            }
        }
        let out = ix.finish().unwrap();
        assert_eq!(out.records, n as u64);
        assert_eq!(out.bad_records.total(), 0);
        let on_disk = out.file.as_file().metadata().unwrap().len() as usize;
        assert!(on_disk >= n * one, "{on_disk} < {n} × {one}");
        assert_eq!(out.minutes.len(), 1);
    }

    /// The spill file holds exactly the bytes `PredictionIndex::to_json` would write.
    #[test]
    fn the_spill_file_is_the_index_file() {
        let attrs = PredictionAttributes::default();
        let mut ix = Indexer::new(&capture_key(), "src \"q\"", &attrs);
        let lines = [
            CSV_LINE.to_string(),
            "{oops".into(),
            CSV_LINE.replace("\"e1\"", "\"e2\""),
        ];
        for (i, l) in lines.iter().enumerate() {
            ix.push(i as u64 + 1, &Line::Ok(l.as_bytes()));
        }
        let out = ix.finish().unwrap();
        let mut bad = BadRecords::default();
        bad.add(BadRecordKind::InvalidJson, 2);
        let predictions: Vec<Prediction> = [&lines[0], &lines[2]]
            .iter()
            .map(|l| prediction_of_line(l.as_bytes(), &attrs, "AllTraffic").unwrap())
            .collect();
        let mut scores = crate::model_quality::cbpe::ScoreCounter::default();
        for p in &predictions {
            scores.push(p.time, p.label.as_deref(), p.probability);
        }
        let expected = PredictionIndex {
            format: PREDICTION_INDEX_FORMAT.into(),
            version: PREDICTION_INDEX_VERSION,
            source: "src \"q\"".into(),
            predictions,
            bad_records: bad,
            scores: scores.finish(),
            segment_scores: Default::default(),
            models: Vec::new(),
        };
        assert_eq!(
            std::fs::read(out.file.path()).unwrap(),
            expected.to_json().unwrap()
        );
        assert_eq!(read_back(&out), expected);
        // the raw endpointOutput is kept as written
        assert!(CSV_LINE.contains(expected.predictions[0].output.as_ref().unwrap().get()));
    }

    /// The index of `lines` by a monitor with a `segments` block slicing by `region` (input
    /// column 1).
    fn sliced_index(lines: &[&str]) -> SpilledIndex {
        let cfg = crate::config::MonitorConfig::from_json(
            "m.json",
            br#"{"name":"m","kind":"ModelQuality","endpoint":"ep","baseline_prefix":"b",
                "model_quality":{"problem_type":"BinaryClassification","probability_attribute":"0",
                    "facet_attributes":{"region":"1"}},
                "segments":{"slices":[{"feature":"region"}]}}"#,
        )
        .unwrap();
        let attrs = cfg.prediction_attributes();
        let slices = crate::segments::estimated::SliceScores::for_monitor(&cfg).unwrap();
        let mut ix = Indexer::new(&capture_key(), "s", &attrs).with_slices(slices);
        for line in lines {
            ix.push(1, &Line::Ok(line.as_bytes()));
        }
        ix.finish().unwrap()
    }

    /// A monitor with a `segments` block: the index also holds the score counts per slice
    /// (`segment_scores`, issue 15 item 3), and still equals its serde encoding.
    #[test]
    fn a_sliced_index_holds_score_counts_per_slice() {
        let out = sliced_index(&[CSV_LINE]);
        let index = read_back(&out);
        // the input "1,2": region (column 1) is "2"; one prediction, in the window's counts
        // and in its slice's
        assert_eq!(
            index.segment_scores.keys().collect::<Vec<_>>(),
            ["region=2"]
        );
        assert_eq!(index.segment_scores["region=2"], index.scores);
        assert_eq!(
            std::fs::read(out.file.path()).unwrap(),
            index.to_json().unwrap()
        );
    }

    /// The window scan's view of an index reads the same times and score counts as the
    /// full decode, and refuses what the full decode refuses.
    #[test]
    fn the_coverage_view_reads_what_the_full_index_holds() {
        let later = CSV_LINE.replace("17:23:35Z", "17:59:01Z");
        let out = sliced_index(&[CSV_LINE, later.as_str(), "not json", CSV_LINE]);
        let bytes = std::fs::read(out.file.path()).unwrap();
        let full = PredictionIndex::from_json("k", &bytes).unwrap();
        let view = IndexCoverage::from_json("k", &bytes).unwrap();
        let times: Vec<i64> = view.predictions.iter().map(|p| p.time).collect();
        assert_eq!(
            times,
            full.predictions.iter().map(|p| p.time).collect::<Vec<_>>()
        );
        assert_eq!(times.len(), 3);
        assert_ne!(times[0], times[1]);
        assert_eq!(view.scores, full.scores);
        assert!(!view.scores.is_empty());
        assert_eq!(view.segment_scores, full.segment_scores);
        let v3 = String::from_utf8_lossy(&bytes).replacen("\"version\":2", "\"version\":3", 1);
        assert!(IndexCoverage::from_json("k", v3.as_bytes()).is_err());
        assert!(IndexCoverage::from_json("k", b"{}").is_err());
    }

    /// Version 1 indexes (output re-serialised by serde) still read.
    #[test]
    fn version_1_indexes_still_read() {
        let bad = serde_json::to_string(&BadRecords::default()).unwrap();
        let v1 = format!(
            r#"{{"format":"modelwatch.prediction-index","version":1,"source":"s","predictions":[{{"key":"57","event_id":"e1","inference_id":"57","inference_time":"2021-02-05T17:23:35Z","time":1612545815,"label":"1","probability":0.7,"variant":"v","output":{{"data":"0.7","encoding":"CSV"}}}}],"bad_records":{bad}}}"#
        );
        let v1 = v1.as_bytes();
        let index = PredictionIndex::from_json("k", v1);
        let index = index.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            index.predictions[0].output.as_ref().unwrap().get(),
            r#"{"data":"0.7","encoding":"CSV"}"#
        );
        let v3 = String::from_utf8_lossy(v1).replace("\"version\":1", "\"version\":3");
        assert!(PredictionIndex::from_json("k", v3.as_bytes()).is_err());
    }

    fn line_with(input_type: &str, input: &str, output: &str) -> String {
        format!(
            r#"{{"captureData":{{"endpointInput":{{"observedContentType":"{input_type}","mode":"INPUT","data":"{input}","encoding":"JSON"}},"endpointOutput":{{"observedContentType":"text/csv","mode":"OUTPUT","data":"{output}","encoding":"CSV"}}}},"eventMetadata":{{"eventId":"e1","inferenceTime":"2021-02-05T17:23:35Z"}},"eventVersion":"0"}}"#
        )
    }

    /// Issue 11: one 6 MB JSON-array request (SageMaker's real-time maximum) cost 327 MB.
    /// Its facet is read by a walk over the payload; afterwards the readers hold at most
    /// [`READER_BOUND`] and the buffer at most [`SPILL_BUFFER_BYTES`].
    #[test]
    fn a_6_mb_json_array_request_is_indexed_with_bounded_buffers() {
        let row = "[0.5,1,2,3,4,5,6,7,8,9]";
        let rows = 6_000_000 / (row.len() + 1);
        let data = format!("[{}]", vec![row; rows].join(","));
        assert!(data.len() >= 6_000_000 - row.len());
        let attrs = PredictionAttributes {
            facet_attributes: [("f".to_string(), format!("/{}/1", rows - 1))]
                .into_iter()
                .collect(),
            keep_input_features: true,
            ..PredictionAttributes::default()
        };
        let mut ix = Indexer::new(&capture_key(), "x", &attrs);
        ix.push(
            1,
            &Line::Ok(line_with("application/json", &data, "0.7").as_bytes()),
        );
        assert!(ix.reader_bytes() <= READER_BOUND, "{}", ix.reader_bytes());
        assert!(ix.buffered_bytes() <= SPILL_BUFFER_BYTES);
        let out = ix.finish().unwrap();
        let p = &read_back(&out).predictions[0];
        assert_eq!(p.facets.get("f").map(String::as_str), Some("1"));
        // rows of arrays are not one feature vector
        assert_eq!(p.features, None);
    }

    /// Issue 11: a 16 MiB line cost 850 MB. A line just under the line limit
    /// ([`crate::store::DEFAULT_MAX_LINE`]) is indexed, and the scratch it grew is released.
    #[test]
    fn a_16_mib_line_leaves_bounded_buffers() {
        let attrs = PredictionAttributes::default();
        let overhead = line_with("text/csv", "", "").len();
        let output = format!(
            "0.7{}",
            ",1".repeat((crate::store::DEFAULT_MAX_LINE - overhead - 3) / 2)
        );
        let line = line_with("text/csv", "", &output);
        assert!(line.len() <= crate::store::DEFAULT_MAX_LINE && line.len() > (15 << 20));
        let mut ix = Indexer::new(&capture_key(), "x", &attrs);
        ix.push(1, &Line::Ok(line.as_bytes()));
        assert!(ix.reader_bytes() <= READER_BOUND, "{}", ix.reader_bytes());
        assert!(ix.buffered_bytes() <= SPILL_BUFFER_BYTES);
        let out = ix.finish().unwrap();
        assert_eq!(out.records, 1);
        assert_eq!(read_back(&out).predictions[0].probability, Some(0.7));
    }

    /// Issue 11: a payload with 1M keys cost 279 MB. The probability is read by pointer
    /// with a walk that records nothing: the readers hold at most [`READER_BOUND`].
    #[test]
    fn a_payload_with_a_million_keys_is_indexed_with_bounded_buffers() {
        let keys = 1_000_000usize;
        let body: Vec<String> = (0..keys).map(|i| format!("\\\"k{i}\\\":0.25")).collect();
        let output = format!("{{{}}}", body.join(","));
        let line = CSV_LINE
            .replace(
                r#""observedContentType":"text/csv; charset=utf-8","mode":"OUTPUT","data":"0.7","encoding":"CSV""#,
                &format!(r#""observedContentType":"application/json","mode":"OUTPUT","data":"{output}","encoding":"JSON""#),
            );
        assert!(line.len() > keys * 10);
        let attrs = PredictionAttributes {
            probability_attribute: Some(format!("/k{}", keys - 1)),
            ..PredictionAttributes::default()
        };
        let mut ix = Indexer::new(&capture_key(), "x", &attrs);
        ix.push(1, &Line::Ok(line.as_bytes()));
        assert!(ix.reader_bytes() <= READER_BOUND, "{}", ix.reader_bytes());
        let out = ix.finish().unwrap();
        assert_eq!(out.records, 1, "{:?}", out.bad_records);
        assert_eq!(read_back(&out).predictions[0].probability, Some(0.25));
    }

    // ---- issue 12 item 2: one prediction per instance ----

    /// A capture line of request `req` with the given sides (content type, data, encoding).
    fn request(input: (&str, &str, &str), output: (&str, &str, &str)) -> String {
        let side = |(ct, data, enc): (&str, &str, &str), mode: &str| serde_json::json!({"observedContentType": ct, "mode": mode, "data": data, "encoding": enc});
        serde_json::json!({
            "captureData": {"endpointInput": side(input, "INPUT"), "endpointOutput": side(output, "OUTPUT")},
            "eventMetadata": {"eventId": "e1", "inferenceId": "req", "inferenceTime": "2021-02-05T17:23:35Z"},
            "eventVersion": "0"
        })
        .to_string()
    }

    fn all(line: &str, attrs: &PredictionAttributes) -> Result<Vec<Prediction>, PredictionError> {
        let mut out = Vec::new();
        let n = PredictionReader::new(attrs)
            .predictions(line.as_bytes(), attrs, "v", |p| out.push(p))?;
        assert_eq!(n, out.len());
        Ok(out)
    }

    fn sagemaker_attrs() -> PredictionAttributes {
        PredictionAttributes {
            probability_attribute: Some("predictions[*].score".into()),
            inference_attribute: Some("predictions[*].predicted_label".into()),
            facet_attributes: [("sex".to_string(), "1".to_string())].into(),
            ..PredictionAttributes::default()
        }
    }

    /// SageMaker's XGBoost / Clarify JSON layout: `{"instances": [...]}` answered by
    /// `{"predictions": [{"score", "predicted_label"}, ...]}` is one prediction per instance,
    /// keyed `req#i`, each with its own facet; the raw sides are kept once, on instance 0.
    #[test]
    fn a_json_request_of_three_instances_is_three_predictions() {
        let input = r#"{"instances": [{"features": [30, "f"]}, {"features": [41, "m"]}, {"features": [52, "f"]}]}"#;
        let output = r#"{"predictions": [{"score": 0.8, "predicted_label": 1}, {"score": 0.3, "predicted_label": 0}, {"score": 0.6, "predicted_label": 1}]}"#;
        let line = request(
            ("application/json", input, "JSON"),
            ("application/json", output, "JSON"),
        );
        let ps = all(&line, &sagemaker_attrs()).unwrap();
        let keys: Vec<&str> = ps.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["req#0", "req#1", "req#2"]);
        let probs: Vec<Option<f64>> = ps.iter().map(|p| p.probability).collect();
        assert_eq!(probs, [Some(0.8), Some(0.3), Some(0.6)]);
        let labels: Vec<Option<&str>> = ps.iter().map(|p| p.label.as_deref()).collect();
        assert_eq!(labels, [Some("1"), Some("0"), Some("1")]);
        let sex: Vec<&str> = ps.iter().map(|p| p.facets["sex"].as_str()).collect();
        assert_eq!(sex, ["f", "m", "f"]);
        assert!(ps
            .iter()
            .all(|p| p.instances == 3 && p.inference_id.as_deref() == Some("req")));
        assert_eq!(ps.iter().map(|p| p.instance).collect::<Vec<_>>(), [0, 1, 2]);
        // the sides are stored once per request
        assert!(line.contains(ps[0].output.as_ref().unwrap().get()));
        assert!(line.contains(ps[0].input.as_ref().unwrap().get()));
        assert!(ps[1..]
            .iter()
            .all(|p| p.output.is_none() && p.input.is_none()));
        // the same facet by a JMESPath-style path into each instance
        let by_path = PredictionAttributes {
            facet_attributes: [("sex".to_string(), "instances[*].features[1]".to_string())].into(),
            ..sagemaker_attrs()
        };
        let sex: Vec<String> = all(&line, &by_path)
            .unwrap()
            .into_iter()
            .map(|p| p.facets["sex"].clone())
            .collect();
        assert_eq!(sex, ["f", "m", "f"]);
    }

    /// A CSV payload of several rows: one prediction per row, with its own input features.
    #[test]
    fn a_csv_request_of_three_rows_is_three_predictions() {
        let line = request(
            ("text/csv", "1,2\n3,4\n5,6\n", "CSV"),
            ("text/csv", "0.9\n0.2\n0.7", "CSV"),
        );
        let attrs = PredictionAttributes {
            keep_input_features: true,
            ..PredictionAttributes::default()
        };
        let ps = all(&line, &attrs).unwrap();
        assert_eq!(ps.len(), 3);
        // labels by the threshold 0.5: 0.9 → 1, 0.2 → 0, 0.7 → 1
        let labels: Vec<Option<&str>> = ps.iter().map(|p| p.label.as_deref()).collect();
        assert_eq!(labels, [Some("1"), Some("0"), Some("1")]);
        let features: Vec<Option<Vec<f64>>> = ps.iter().map(|p| p.features.clone()).collect();
        assert_eq!(
            features,
            [
                Some(vec![1.0, 2.0]),
                Some(vec![3.0, 4.0]),
                Some(vec![5.0, 6.0])
            ]
        );
        assert_eq!(ps[2].key, "req#2");
    }

    /// JSON Lines: one document per instance.
    #[test]
    fn a_json_lines_response_is_one_prediction_per_document() {
        let line = request(
            ("application/jsonlines", "{\"x\":1}\n{\"x\":2}\n", "JSON"),
            (
                "application/jsonlines",
                "{\"score\":0.9}\n{\"score\":0.1}\n",
                "JSON",
            ),
        );
        let attrs = PredictionAttributes {
            probability_attribute: Some("score".into()),
            facet_attributes: [("x".to_string(), "/x".to_string())].into(),
            ..PredictionAttributes::default()
        };
        let ps = all(&line, &attrs).unwrap();
        let got: Vec<(&str, Option<f64>, &str)> = ps
            .iter()
            .map(|p| (p.key.as_str(), p.probability, p.facets["x"].as_str()))
            .collect();
        assert_eq!(got, [("req#0", Some(0.9), "1"), ("req#1", Some(0.1), "2")]);
    }

    /// A request of one instance keeps its key (data captured before still joins), whatever
    /// the layout; attributes that disagree on the number of instances are a bad record that
    /// names them.
    #[test]
    fn single_instance_keys_are_unchanged_and_counts_must_agree() {
        let one = request(
            (
                "application/json",
                r#"{"instances": [{"features": [30, "f"]}]}"#,
                "JSON",
            ),
            (
                "application/json",
                r#"{"predictions": [{"score": 0.8, "predicted_label": 1}]}"#,
                "JSON",
            ),
        );
        let ps = all(&one, &sagemaker_attrs()).unwrap();
        assert_eq!(ps.len(), 1);
        assert_eq!((ps[0].key.as_str(), ps[0].instances), ("req", 1));
        let mismatch = request(
            (
                "application/json",
                r#"{"instances": [{"features": [30, "f"]}, {"features": [41, "m"]}]}"#,
                "JSON",
            ),
            (
                "application/json",
                r#"{"predictions": [{"score": 0.8, "predicted_label": 1}, {"score": 0.3, "predicted_label": 0}, {"score": 0.6, "predicted_label": 1}]}"#,
                "JSON",
            ),
        );
        match all(&mismatch, &sagemaker_attrs()) {
            Err(PredictionError::Bad(BadRecordKind::BadPayload, m)) => assert!(
                m.contains("facet attribute \"1\" gives 2 values") && m.contains("3 instances"),
                "{m}"
            ),
            other => panic!("{other:?}"),
        }
    }

    /// A request of 334 instances (the largest real record of issue 12) is streamed into the
    /// index: 334 predictions, the raw sides once, and the buffers as bounded as for one.
    #[test]
    fn a_request_of_334_instances_is_indexed_with_bounded_buffers() {
        let n = 334;
        let input: Vec<String> = (0..n)
            .map(|i| format!("{{\"features\": [{i}, \"f\"]}}"))
            .collect();
        let output: Vec<String> = (0..n)
            .map(|i| format!("{{\"score\": 0.{:03}, \"predicted_label\": {}}}", i, i % 2))
            .collect();
        let line = request(
            (
                "application/json",
                &format!("{{\"instances\": [{}]}}", input.join(",")),
                "JSON",
            ),
            (
                "application/json",
                &format!("{{\"predictions\": [{}]}}", output.join(",")),
                "JSON",
            ),
        );
        let attrs = sagemaker_attrs();
        let mut ix = Indexer::new(&capture_key(), "x", &attrs);
        ix.push(1, &Line::Ok(line.as_bytes()));
        assert!(ix.reader_bytes() <= READER_BOUND, "{}", ix.reader_bytes());
        assert!(ix.buffered_bytes() <= SPILL_BUFFER_BYTES);
        let out = ix.finish().unwrap();
        assert_eq!(out.records, n as u64);
        let index = read_back(&out);
        assert_eq!(index.predictions.len(), n);
        assert_eq!(index.predictions[333].key, "req#333");
        assert_eq!(index.predictions[333].probability, Some(0.333));
        assert_eq!(index.predictions[333].label.as_deref(), Some("1"));
        let with_sides = index
            .predictions
            .iter()
            .filter(|p| p.output.is_some())
            .count();
        assert_eq!(with_sides, 1);
    }

    /// Ground truth of a request of several instances, selected by `instances[*].label`,
    /// joins instance by instance; without the attribute the record has no label.
    #[test]
    fn labels_of_a_multi_instance_request() {
        let line = br#"{"groundTruthData":{"data":"{\"instances\": [{\"label\": 1}, {\"label\": 0}, {\"label\": 1}]}","encoding":"JSON"},"eventMetadata":{"eventId":"req"},"eventVersion":"0"}"#;
        let attribute = Attribute::parse("instances[*].label").unwrap();
        let record = parse_labels(line, Some(&attribute)).unwrap();
        let got: Vec<(&str, &str)> = record
            .labels
            .iter()
            .map(|l| (l.key.as_str(), l.label.as_str()))
            .collect();
        assert_eq!(got, [("req#0", "1"), ("req#1", "0"), ("req#2", "1")]);
        assert_eq!(record.instances, 3);
        assert!(record.data.starts_with("{\"instances\""));
        assert_eq!(
            parse_labels(line, None).unwrap_err().0,
            BadRecordKind::BadPayload
        );
        // CSV ground truth of several lines: one label per line
        let csv = br#"{"groundTruthData":{"data":"1\n0\n","encoding":"CSV"},"eventMetadata":{"eventId":"req"},"eventVersion":"0"}"#;
        let keys: Vec<String> = parse_labels(csv, None)
            .unwrap()
            .labels
            .into_iter()
            .map(|l| format!("{}={}", l.key, l.label))
            .collect();
        assert_eq!(keys, ["req#0=1", "req#1=0"]);
    }
}
