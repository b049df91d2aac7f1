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
        self.visit_model(line, |m| m.map(str::to_owned))
    }

    /// Calls `f` with the target model of one capture line (`None`: unattributed), borrowed:
    /// a caller that keeps a table of names copies nothing for a model it has seen.
    pub fn visit_model<R>(&mut self, line: &[u8], f: impl FnOnce(Option<&str>) -> R) -> R {
        let Self {
            reader,
            payloads,
            field,
            key_model,
        } = self;
        if let Ok(rec) = reader.read(line) {
            if let Some(m) = rec.target_model.as_deref().and_then(usable) {
                return f(Some(m));
            }
            let payload = rec.input.and_then(|s| s.payload.ok());
            if let (Some(fld), Some(p)) = (field.as_deref(), payload) {
                if let Some(m) = payloads.attribute(p, fld).as_deref().and_then(usable) {
                    return f(Some(m));
                }
            }
        }
        f(key_model.as_deref())
    }
}

/// The target models of one capture object's predictions as a small table: each prediction
/// of the model-quality index carries its model's position in it
/// ([`crate::joined::predictions::Prediction::model`]), so a repeated model costs an integer
/// per record, not a name. At most `max_models` models get a position of their own (the
/// first met); the records of further models share [`super::OVER_CAP`]'s. Unattributed
/// records carry none.
#[derive(Debug)]
pub struct ModelTable {
    attributor: Attributor,
    names: Vec<String>,
    positions: std::collections::HashMap<String, u32>,
    max_models: usize,
}

impl ModelTable {
    /// The table of the capture object `key`.
    ///
    /// # Errors
    /// An unusable `key_pattern` ([`super::MultiModelConfigError`]); a loaded config has none.
    pub fn new(
        settings: &MultiModelSettings,
        key: &str,
    ) -> Result<Self, super::MultiModelConfigError> {
        Ok(Self {
            attributor: Attributor::new(settings, key)?,
            names: Vec::new(),
            positions: std::collections::HashMap::new(),
            max_models: settings.max_models,
        })
    }

    /// The position of `name`, added when new (past the cap: [`super::OVER_CAP`]'s).
    fn position(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.positions.get(name) {
            return i;
        }
        let counted = self.names.len() - usize::from(self.positions.contains_key(super::OVER_CAP));
        let name = if counted >= self.max_models {
            super::OVER_CAP
        } else {
            name
        };
        if let Some(&i) = self.positions.get(name) {
            return i;
        }
        let i = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.to_owned());
        self.positions.insert(name.to_owned(), i);
        i
    }

    /// The position of one capture line's target model (`None`: unattributed). A model
    /// seen before is looked up by the borrowed name; only a new one is copied.
    pub fn tag(&mut self, line: &[u8]) -> Option<u32> {
        let positions = &self.positions;
        let found: Option<Result<u32, String>> = self.attributor.visit_model(line, |m| {
            m.map(|m| positions.get(m).copied().ok_or_else(|| m.to_owned()))
        });
        Some(match found? {
            Ok(i) => i,
            Err(new) => self.position(&new),
        })
    }

    /// The position of the object key's model, for a line that cannot be read.
    pub fn key_tag(&mut self) -> Option<u32> {
        let m = self.attributor.key_model()?.to_owned();
        Some(self.position(&m))
    }

    /// The table: position → model name.
    #[must_use]
    pub fn into_names(self) -> Vec<String> {
        self.names
    }
}

// The reading side of the table, beside the writing side.
impl crate::joined::predictions::PredictionIndex {
    /// The target model of `p`, one of this index's predictions (`None`: unattributed).
    #[must_use]
    pub fn model_of(&self, p: &crate::joined::predictions::Prediction) -> Option<&str> {
        p.model
            .and_then(|i| self.models.get(i as usize))
            .map(String::as_str)
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

    /// The table gives a repeated model its position, the first `max_models` models their
    /// own, further ones [`super::super::OVER_CAP`]'s, and unattributed records none.
    #[test]
    fn the_model_table_numbers_models_once_and_caps_them() {
        let key = "data-capture/ep/AllTraffic/2026/11/01/03/00-00-000-x.jsonl";
        let settings = MultiModelSettings {
            max_models: 2,
            ..settings(Some("/model"), None)
        };
        let mut t = ModelTable::new(&settings, key).unwrap();
        let tag = |t: &mut ModelTable, m: Option<&str>| {
            let json = match m {
                Some(m) => format!(r#"{{"model": "{m}"}}"#),
                None => "{}".into(),
            };
            t.tag(line("", &json, "JSON").as_bytes())
        };
        let got: Vec<Option<u32>> = [
            Some("a"),
            Some("b"),
            Some("a"),
            None,
            Some("c"),
            Some("d"),
            Some("b"),
        ]
        .iter()
        .map(|m| tag(&mut t, *m))
        .collect();
        assert_eq!(
            got,
            [Some(0), Some(1), Some(0), None, Some(2), Some(2), Some(1)]
        );
        assert_eq!(t.key_tag(), None, "no key pattern");
        assert_eq!(t.into_names(), ["a", "b", super::super::OVER_CAP]);
    }
}
