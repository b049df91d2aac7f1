//! The `batch_transform` block of a monitor configuration: SageMaker's
//! `BatchTransformInput` in snake case, and how it folds into the settings the rest of the
//! crate already reads (prediction attributes, window length, end offset).

use serde::{Deserialize, Serialize};

use crate::layout::key_of;

/// `DatasetFormat` of a batch-transform input: how each `.out` line is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatasetFormat {
    /// CSV lines (`text/csv`)
    Csv {
        /// the first line of every `.out` object is a header (skipped)
        #[serde(default)]
        header: bool,
        /// how many trailing columns (before SageMaker's inference id and time) the model
        /// wrote; the columns before them are the joined input (`JoinSource: Input`).
        /// Default 1.
        #[serde(default = "one")]
        output_columns: usize,
    },
    /// JSON documents: one per line (`line: true`, JSON Lines, or SageMaker's JSON output,
    /// which is one document per line as well)
    Json {
        /// JSON Lines (`true`) or JSON (`false`); both are read one document per line
        #[serde(default)]
        line: bool,
    },
}

fn one() -> usize {
    1
}

/// SageMaker's `BatchTransformInput` (`DataQualityJobInput.BatchTransformInput` and its
/// model-quality, bias and explainability twins), in snake case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchTransformInput {
    /// the transform job's `DataCaptureConfig.DestinationS3Uri`: `s3://bucket/prefix/` (its
    /// bucket must be the stack's) or a key prefix of the store; SageMaker writes manifests
    /// under `{destination}/input/yyyy/mm/dd/HH/` and `{destination}/output/yyyy/mm/dd/HH/`
    pub data_captured_destination_s3_uri: String,
    /// how the `.out` lines are written
    pub dataset_format: DatasetFormat,
    /// JSON only: the member of each line holding the input features (`features`), or
    /// `instances[*].features`; default: every member that is not SageMaker's
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features_attribute: Option<String>,
    /// the predicted label (copied into the `model_quality` / `bias` block); a leading
    /// `SageMakerOutput.` addresses the model's output, as everywhere else
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference_attribute: Option<String>,
    /// the probability (copied into the `model_quality` / `bias` block)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability_attribute: Option<String>,
    /// label = probability > threshold (copied into the `model_quality` / `bias` block)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability_threshold_attribute: Option<f64>,
    /// CSV only: comma-separated 0-based column indexes of the joined input left out of
    /// every record (SageMaker's `ExcludeFeaturesAttribute`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_features_attribute: Option<String>,
    /// the window's start before the scheduled time, an ISO 8601 duration such as `-PT1H`
    /// (sets `window_minutes` to start − end)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time_offset: Option<String>,
    /// the window's end before the scheduled time, such as `-PT0H`; non-zero only for
    /// model-quality and bias monitors (their `offset_minutes`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time_offset: Option<String>,
}

/// The keys a `batch_transform` block may hold (unknown keys fail at load).
pub const BATCH_KEYS: &[&str] = &[
    "data_captured_destination_s3_uri",
    "dataset_format",
    "features_attribute",
    "inference_attribute",
    "probability_attribute",
    "probability_threshold_attribute",
    "exclude_features_attribute",
    "start_time_offset",
    "end_time_offset",
];

/// Why a `batch_transform` block is unusable (reported as a config error naming the field).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} = {value:?}: {message}")]
pub struct BatchConfigError {
    /// the field under `batch_transform`
    pub field: String,
    /// the offending value
    pub value: String,
    /// what is wrong
    pub message: String,
}

fn bad(field: &str, value: impl Into<String>, message: impl Into<String>) -> BatchConfigError {
    BatchConfigError {
        field: format!("batch_transform.{field}"),
        value: value.into(),
        message: message.into(),
    }
}

/// Minutes of a non-positive ISO 8601 duration `-PnDTnHnMnS` (`-PT1H` is 60, `PT0H` is 0;
/// seconds must make whole minutes).
pub fn offset_minutes(text: &str) -> Result<u32, String> {
    let body = text.strip_prefix('-').unwrap_or(text);
    let negative_or_zero = text.starts_with('-');
    let rest = body
        .strip_prefix('P')
        .ok_or_else(|| "an ISO 8601 duration such as -PT1H".to_string())?;
    let (date, time) = rest.split_once('T').unwrap_or((rest, ""));
    let mut seconds: u64 = 0;
    for (part, units) in [
        (date, &[('D', 86_400u64)][..]),
        (time, &[('H', 3_600), ('M', 60), ('S', 1)][..]),
    ] {
        let mut number = String::new();
        let mut unit_at = 0;
        for c in part.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let pos = units[unit_at..]
                .iter()
                .position(|(u, _)| *u == c)
                .ok_or_else(|| format!("unexpected {c:?}"))?;
            let n: u64 = number
                .parse()
                .map_err(|_| format!("no number before {c:?}"))?;
            seconds = seconds.saturating_add(n.saturating_mul(units[unit_at + pos].1));
            unit_at += pos + 1;
            number.clear();
        }
        if !number.is_empty() {
            return Err(format!("number {number} without a unit"));
        }
    }
    if !seconds.is_multiple_of(60) {
        return Err("not a whole number of minutes".into());
    }
    if seconds > 0 && !negative_or_zero {
        return Err("offsets are negative (before the scheduled time)".into());
    }
    u32::try_from(seconds / 60).map_err(|_| "too long".into())
}

/// What a batch block sets in the rest of the configuration.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Folded {
    /// window length from the offsets
    pub window_minutes: Option<u32>,
    /// end offset in minutes
    pub offset_minutes: Option<u32>,
}

impl BatchTransformInput {
    /// The store key prefix of the capture destination, ending in `/` (empty for the
    /// bucket's root).
    pub fn destination_prefix(&self) -> String {
        let k = key_of(&self.data_captured_destination_s3_uri).trim_matches('/');
        if k.is_empty() {
            String::new()
        } else {
            format!("{k}/")
        }
    }

    /// The bucket of an `s3://` destination (the stack's bucket), if given as a URI.
    pub fn destination_bucket(&self) -> Option<&str> {
        let rest = self
            .data_captured_destination_s3_uri
            .strip_prefix("s3://")?;
        Some(rest.split('/').next().unwrap_or(rest))
    }

    /// The column indexes `exclude_features_attribute` names, sorted.
    ///
    /// # Errors
    /// An entry that is not a column index.
    pub fn excluded_columns(&self) -> Result<Vec<usize>, BatchConfigError> {
        let Some(list) = &self.exclude_features_attribute else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            out.push(item.parse::<usize>().map_err(|_| {
                bad(
                    "exclude_features_attribute",
                    item,
                    "a comma-separated list of 0-based CSV column indexes",
                )
            })?);
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Checks the block and returns what it sets elsewhere (window, end offset).
    ///
    /// # Errors
    /// The first unusable field.
    pub fn validate(&self) -> Result<Folded, BatchConfigError> {
        let uri = &self.data_captured_destination_s3_uri;
        if uri.starts_with("s3://") && self.destination_bucket().is_none_or(str::is_empty) {
            return Err(bad(
                "data_captured_destination_s3_uri",
                uri.clone(),
                "s3://bucket/prefix",
            ));
        }
        if uri.contains("..") {
            return Err(bad(
                "data_captured_destination_s3_uri",
                uri.clone(),
                "no .. in a key prefix",
            ));
        }
        match &self.dataset_format {
            DatasetFormat::Csv { output_columns, .. } => {
                if *output_columns == 0 {
                    return Err(bad(
                        "dataset_format.csv.output_columns",
                        "0",
                        "at least 1 (the model's output)",
                    ));
                }
                if self.features_attribute.is_some() {
                    return Err(bad(
                        "features_attribute",
                        self.features_attribute.clone().unwrap_or_default(),
                        "JSON only: a CSV line's input is every column before the output columns",
                    ));
                }
            }
            DatasetFormat::Json { .. } => {
                if let Some(x) = &self.exclude_features_attribute {
                    return Err(bad(
                        "exclude_features_attribute",
                        x.clone(),
                        "CSV only (column indexes); map JSON features with capture.json_pointers",
                    ));
                }
                if let Some(f) = &self.features_attribute {
                    if features_member(f).is_none() {
                        return Err(bad(
                            "features_attribute",
                            f.clone(),
                            "a member name (`features`) or `NAME[*].features`",
                        ));
                    }
                }
            }
        }
        self.excluded_columns()?;
        let offset = |field: &str, v: &Option<String>| -> Result<Option<u32>, BatchConfigError> {
            v.as_deref()
                .map(|t| offset_minutes(t).map_err(|m| bad(field, t, m)))
                .transpose()
        };
        let start = offset("start_time_offset", &self.start_time_offset)?;
        let end = offset("end_time_offset", &self.end_time_offset)?;
        let window_minutes = match start {
            Some(s) => {
                let e = end.unwrap_or(0);
                if s <= e {
                    return Err(bad(
                        "start_time_offset",
                        self.start_time_offset.clone().unwrap_or_default(),
                        "must lie before end_time_offset",
                    ));
                }
                Some(s - e)
            }
            None => None,
        };
        Ok(Folded {
            window_minutes,
            offset_minutes: end,
        })
    }
}

/// The member of a JSON line that holds the input features, from `features_attribute`:
/// `features` → (`features`, false); `instances[*].features` → (`instances`, true) (an array
/// of instances, each `{"features": [..]}`).
pub fn features_member(attribute: &str) -> Option<(&str, bool)> {
    let simple = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_');
    if simple(attribute) {
        return Some((attribute, false));
    }
    let (head, tail) = attribute.split_once("[*].")?;
    (simple(head) && simple(tail)).then_some((head, true))
}

/// An attribute as written in a batch block, for the model's output: SageMaker addresses the
/// whole `.out` line (`SageMakerOutput.score`), the capture record's output is
/// `SageMakerOutput` itself (`score`).
pub fn output_attribute(attribute: &str) -> String {
    attribute
        .strip_prefix("SageMakerOutput.")
        .unwrap_or(attribute)
        .to_owned()
}

impl crate::config::MonitorConfig {
    /// Folds the `batch_transform` block into the settings the rest of the crate reads:
    /// its offsets into `window_minutes` and the join's `offset_minutes`, its attributes into
    /// the `model_quality` / `bias` block (a leading `SageMakerOutput.` dropped, as in the
    /// block's own attributes). A value the block and the rest both set differently fails.
    ///
    /// # Errors
    /// [`crate::CoreError::Config`] naming `key` and the field.
    pub(crate) fn fold_batch(&mut self, key: &str) -> Result<(), crate::CoreError> {
        let Some(batch) = self.batch_transform.clone() else {
            return Ok(());
        };
        let err = |e: BatchConfigError| crate::CoreError::Config {
            field: format!("{key}: {}", e.field),
            value: e.value,
            message: e.message,
        };
        let folded = batch.validate().map_err(err)?;
        if let Some(w) = folded.window_minutes {
            if self.window_minutes != 60 && self.window_minutes != w {
                return Err(err(bad(
                    "start_time_offset",
                    batch.start_time_offset.clone().unwrap_or_default(),
                    format!(
                        "gives a {w}-minute window but window_minutes is {}",
                        self.window_minutes
                    ),
                )));
            }
            self.window_minutes = w;
        }
        let end = folded.offset_minutes.unwrap_or(0);
        let (attrs, offset) = match (&mut self.model_quality, &mut self.bias) {
            (Some(m), _) if self.kind == crate::config::MonitorKind::ModelQuality => {
                (&mut m.attributes, &mut m.offset_minutes)
            }
            (_, Some(b)) if self.kind == crate::config::MonitorKind::ModelBias => {
                (&mut b.attributes, &mut b.offset_minutes)
            }
            _ => {
                if end > 0 {
                    return Err(err(bad(
                        "end_time_offset",
                        batch.end_time_offset.clone().unwrap_or_default(),
                        "only model-quality and bias monitors wait for labels (use 0)",
                    )));
                }
                return Ok(());
            }
        };
        if end > 0 {
            if *offset != 0 && *offset != end {
                return Err(err(bad(
                    "end_time_offset",
                    batch.end_time_offset.clone().unwrap_or_default(),
                    format!("{end} minutes but offset_minutes is {offset}"),
                )));
            }
            *offset = end;
        }
        let strip = |a: &mut Option<String>| {
            if let Some(v) = a.as_mut() {
                *v = output_attribute(v);
            }
        };
        strip(&mut attrs.inference_attribute);
        strip(&mut attrs.probability_attribute);
        for (field, from_batch, slot) in [
            (
                "inference_attribute",
                &batch.inference_attribute,
                &mut attrs.inference_attribute,
            ),
            (
                "probability_attribute",
                &batch.probability_attribute,
                &mut attrs.probability_attribute,
            ),
        ] {
            let Some(v) = from_batch.as_deref().map(output_attribute) else {
                continue;
            };
            if slot.as_deref().is_some_and(|s| s != v) {
                return Err(err(bad(
                    field,
                    v,
                    format!("differs from the monitor's {field} {slot:?}"),
                )));
            }
            *slot = Some(v);
        }
        if let Some(t) = batch.probability_threshold_attribute {
            attrs.probability_threshold = t;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_minutes_before_the_schedule() {
        // -PT1H = 60 min, -P1D = 1440 min, -PT1H30M = 90 min, -PT90S is not whole minutes
        assert_eq!(offset_minutes("-PT1H"), Ok(60));
        assert_eq!(offset_minutes("-P1D"), Ok(1440));
        assert_eq!(offset_minutes("-P1DT2H"), Ok(1440 + 120));
        assert_eq!(offset_minutes("-PT1H30M"), Ok(90));
        assert_eq!(offset_minutes("PT0H"), Ok(0));
        assert!(offset_minutes("-PT90S").is_err());
        assert!(offset_minutes("PT1H").is_err());
        assert!(offset_minutes("1H").is_err());
        assert!(offset_minutes("-PT1M1H").is_err());
    }

    #[test]
    fn features_attribute_forms() {
        assert_eq!(features_member("features"), Some(("features", false)));
        assert_eq!(
            features_member("instances[*].features"),
            Some(("instances", true))
        );
        assert_eq!(features_member("a.b"), None);
        assert_eq!(output_attribute("SageMakerOutput.score"), "score");
        assert_eq!(
            output_attribute("predictions[*].score"),
            "predictions[*].score"
        );
    }
}
