//! The batch-transform part of `import-sagemaker` (issue 12 item 4): a job definition's
//! `BatchTransformInput` becomes the monitor's `batch_transform` block
//! ([`monitor_core::batch::BatchTransformInput`]); its attributes and offsets go where an
//! `EndpointInput`'s go (the model-quality / bias settings, `window_minutes`,
//! `offset_minutes`), through the same helpers.

use std::collections::BTreeSet;

use monitor_core::batch::config::features_member;
use monitor_core::layout::key_of;
use serde::Deserialize;
use serde_json::{json, Value};

use super::shapes::EndpointInput;
use super::Notes;

/// `BatchTransformInput` of a `*JobInput`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct BatchTransformShape {
    data_captured_destination_s3_uri: String,
    dataset_format: Value,
    features_attribute: Option<String>,
    inference_attribute: Option<String>,
    probability_attribute: Option<String>,
    probability_threshold_attribute: Option<f64>,
    start_time_offset: Option<String>,
    end_time_offset: Option<String>,
    exclude_features_attribute: Option<String>,
}

/// What a `BatchTransformInput` becomes.
pub(super) struct BatchImport {
    /// its attributes and offsets in the shape of an `EndpointInput` (named after the
    /// monitor, whose name is a batch monitor's default ground-truth folder)
    pub input: EndpointInput,
    /// the `batch_transform` block
    pub block: Value,
}

/// Converts `raw` for the monitor `name`; `None` (with a note) when it cannot be carried
/// over.
pub(super) fn batch_input(
    name: &str,
    raw: &Value,
    notes: &mut Notes,
    buckets: &mut BTreeSet<String>,
) -> Option<BatchImport> {
    let shape: BatchTransformShape = match serde_json::from_value(raw.clone()) {
        Ok(s) => s,
        Err(e) => {
            notes.add(
                "BatchTransformInput",
                format!("unreadable ({e}): not imported"),
            );
            return None;
        }
    };
    let uri = &shape.data_captured_destination_s3_uri;
    if uri.is_empty() {
        notes.add(
            "BatchTransformInput.DataCapturedDestinationS3Uri",
            "missing: not imported",
        );
        return None;
    }
    if let Some(bucket) = uri.strip_prefix("s3://").and_then(|r| r.split('/').next()) {
        buckets.insert(bucket.to_owned());
    }
    let format = &shape.dataset_format;
    let dataset_format = if let Some(csv) = format.get("Csv") {
        let header = csv.get("Header").and_then(Value::as_bool).unwrap_or(false);
        json!({"csv": {"header": header}})
    } else if let Some(j) = format.get("Json") {
        let line = j.get("Line").and_then(Value::as_bool).unwrap_or(false);
        json!({"json": {"line": line}})
    } else {
        notes.add(
            "BatchTransformInput.DatasetFormat",
            format!("{format} is not supported (CSV and JSON / JSON Lines are): not imported"),
        );
        return None;
    };
    let csv = format.get("Csv").is_some();
    let mut block = json!({
        "data_captured_destination_s3_uri": format!("{}/", key_of(uri).trim_end_matches('/')),
        "dataset_format": dataset_format,
    });
    if let Some(f) = &shape.features_attribute {
        if !csv && features_member(f).is_some() {
            block["features_attribute"] = json!(f);
        } else {
            notes.add(
                "BatchTransformInput.FeaturesAttribute",
                format!("{f} is not carried over: a CSV line's input is every column before the output; JSON takes a member name or NAME[*].features (else map with capture.json_pointers)"),
            );
        }
    }
    if let Some(x) = &shape.exclude_features_attribute {
        let indexes = x
            .split(',')
            .map(str::trim)
            .all(|i| i.parse::<usize>().is_ok());
        if csv && indexes {
            block["exclude_features_attribute"] = json!(x);
        } else {
            notes.add(
                "BatchTransformInput.ExcludeFeaturesAttribute",
                format!("{x} is not carried over: CSV column indexes only"),
            );
        }
    }
    // attributes address the whole .out line; the model's output is `SageMakerOutput`
    let strip = |a: &Option<String>| {
        a.as_deref()
            .map(|v| v.strip_prefix("SageMakerOutput.").unwrap_or(v).to_owned())
    };
    let input = EndpointInput {
        endpoint_name: name.to_owned(),
        features_attribute: None,
        inference_attribute: strip(&shape.inference_attribute),
        probability_attribute: strip(&shape.probability_attribute),
        probability_threshold_attribute: shape.probability_threshold_attribute,
        start_time_offset: shape.start_time_offset,
        end_time_offset: shape.end_time_offset,
        exclude_features_attribute: None,
    };
    Some(BatchImport { input, block })
}
