//! Which target model a capture record belongs to.

use crate::formats::capture::{PayloadReader, RecordReader};

use super::config::MultiModelSettings;

/// Longest model name kept, in bytes: a longer one is treated as unattributed (it could not
/// be a key segment: S3 keys hold at most 1,024 bytes). SageMaker's `TargetModel` is at
/// most 1,024 characters, in practice a short relative path.
pub const MAX_MODEL_NAME_BYTES: usize = 200;

/// Reads each capture line's target model: `eventMetadata.targetModel`, else the request
/// field, else the model the object's key names ([`MultiModelSettings`]).
#[derive(Debug)]
pub struct Attributor {
    reader: RecordReader,
    payloads: PayloadReader,
    field: Option<String>,
    key_model: Option<String>,
}

/// A usable model name: not blank, at most [`MAX_MODEL_NAME_BYTES`].
fn usable(name: &str) -> Option<&str> {
    let name = name.trim();
    (!name.is_empty() && name.len() <= MAX_MODEL_NAME_BYTES).then_some(name)
}

impl Attributor {
    /// The attributor of the capture object `key` (whose key pattern is matched once here).
    ///
    /// # Errors
    /// An unusable `key_pattern` ([`super::MultiModelConfigError`]); a loaded config has none.
    pub fn new(
        settings: &MultiModelSettings,
        key: &str,
    ) -> Result<Self, super::MultiModelConfigError> {
        let key_model = settings.pattern()?.and_then(|re| {
            re.captures(key)
                .and_then(|c| c.get(1))
                .and_then(|m| usable(m.as_str()))
                .map(str::to_owned)
        });
        Ok(Self {
            reader: RecordReader::new().decode_input(settings.request_field.is_some()),
            payloads: PayloadReader::new(),
            field: settings.request_field.clone(),
            key_model,
        })
    }

    /// The model the object's key names, if the pattern matched.
    #[must_use]
    pub fn key_model(&self) -> Option<&str> {
        self.key_model.as_deref()
    }

    /// The target model of one capture line (`None`: unattributed).
    pub fn model_of(&mut self, line: &[u8]) -> Option<String> {
        let Self {
            reader,
            payloads,
            field,
            key_model,
        } = self;
        if let Ok(rec) = reader.read(line) {
            if let Some(m) = rec.target_model.as_deref().and_then(usable) {
                return Some(m.to_owned());
            }
            let payload = rec.input.and_then(|s| s.payload.ok());
            if let (Some(f), Some(p)) = (field.as_deref(), payload) {
                if let Some(m) = payloads.attribute(p, f).as_deref().and_then(usable) {
                    return Some(m.to_owned());
                }
            }
        }
        key_model.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(meta_extra: &str, input: &str, encoding: &str) -> String {
        format!(
            r#"{{"captureData":{{"endpointInput":{{"observedContentType":"x","mode":"INPUT","data":{},"encoding":"{encoding}"}}}},"eventMetadata":{{"eventId":"e"{meta_extra},"inferenceTime":"2026-11-01T03:00:00Z"}},"eventVersion":"0"}}"#,
            serde_json::to_string(input).unwrap()
        )
    }

    fn settings(field: Option<&str>, pattern: Option<&str>) -> MultiModelSettings {
        MultiModelSettings {
            request_field: field.map(Into::into),
            key_pattern: pattern.map(Into::into),
            ..MultiModelSettings::default()
        }
    }

    #[test]
    fn metadata_then_request_field_then_key() {
        let key = "data-capture/ep/AllTraffic/2026/11/01/03/tenant-7/00-00-000-x.jsonl";
        let mut a =
            Attributor::new(&settings(Some("/model"), Some("/(tenant-[0-9]+)/")), key).unwrap();
        assert_eq!(a.key_model(), Some("tenant-7"));
        let json = r#"{"model": "m-json", "x": 1}"#;
        // eventMetadata.targetModel wins when a capture carries it
        let l = line(r#","targetModel":"m-meta.tar.gz""#, json, "JSON");
        assert_eq!(a.model_of(l.as_bytes()).as_deref(), Some("m-meta.tar.gz"));
        // else the request field
        let l = line("", json, "JSON");
        assert_eq!(a.model_of(l.as_bytes()).as_deref(), Some("m-json"));
        // a request without the field, and a line that is not JSON: the key's model
        let l = line("", r#"{"x": 1}"#, "JSON");
        assert_eq!(a.model_of(l.as_bytes()).as_deref(), Some("tenant-7"));
        assert_eq!(a.model_of(b"not json").as_deref(), Some("tenant-7"));
    }

    #[test]
    fn a_csv_column_names_the_model_and_blank_or_long_names_do_not() {
        let key = "data-capture/ep/AllTraffic/2026/11/01/03/00-00-000-x.jsonl";
        let mut a = Attributor::new(&settings(Some("0"), None), key).unwrap();
        assert_eq!(a.key_model(), None);
        let l = line("", "model-b,1.5,2", "CSV");
        assert_eq!(a.model_of(l.as_bytes()).as_deref(), Some("model-b"));
        let l = line("", " ,1.5,2", "CSV");
        assert_eq!(a.model_of(l.as_bytes()), None);
        let long = "m".repeat(MAX_MODEL_NAME_BYTES + 1);
        let l = line("", &format!("{long},1"), "CSV");
        assert_eq!(a.model_of(l.as_bytes()), None);
    }
}
