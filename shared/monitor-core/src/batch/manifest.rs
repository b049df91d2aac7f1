//! Batch-transform data-capture manifests (spec §1.4): where they lie and what they name.
//!
//! SageMaker writes `{destination}/output/yyyy/mm/dd/HH/{uuid}.json` (hour = the transform
//! job's start, UTC) holding `[{"prefix": "s3://bucket/transform-output/"}, "a.csv.out", …]`,
//! and the same under `input/` for the transform's input (often one element naming the
//! input object itself: `[{"prefix": "s3://bucket/in/test.csv"}, ""]`).

use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;

/// Which of the two manifests a key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestSide {
    /// `{destination}/input/…`: the transform's input
    Input,
    /// `{destination}/output/…`: the `.out` objects
    Output,
}

/// A manifest key, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestKey {
    /// input or output
    pub side: ManifestSide,
    /// the hour folder (the transform job's start hour, UTC)
    pub hour: DateTime<Utc>,
    /// the file name, e.g. `6f1c….json`
    pub file: String,
}

/// Decodes `{prefix}{input|output}/yyyy/mm/dd/HH/{file}.json`; `None` for any other key.
pub fn parse_manifest_key(key: &str, prefix: &str) -> Option<ManifestKey> {
    let rest = key.strip_prefix(prefix)?;
    let parts: Vec<&str> = rest.split('/').collect();
    let [side, y, m, d, h, file] = parts[..] else {
        return None;
    };
    let side = match side {
        "input" => ManifestSide::Input,
        "output" => ManifestSide::Output,
        _ => return None,
    };
    let num = |s: &str| s.parse::<u32>().ok();
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(num(y)?).ok()?, num(m)?, num(d)?)?;
    let hour = date.and_hms_opt(num(h)?, 0, 0)?;
    if !file.ends_with(".json") || file.len() <= ".json".len() {
        return None;
    }
    Some(ManifestKey {
        side,
        hour: Utc.from_utc_datetime(&hour),
        file: file.to_owned(),
    })
}

/// Why a manifest cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// Not SageMaker's manifest shape.
    #[error("manifest {key}: {message} (expected [{{\"prefix\": \"s3://bucket/path/\"}}, \"name.out\", …])")]
    Shape {
        /// the manifest's key
        key: String,
        /// what is off
        message: String,
    },
    /// An object the manifest names lies in another bucket than the store's.
    #[error("manifest {manifest}: object {uri} is in bucket {found:?}, not the store's bucket {expected:?}")]
    OtherBucket {
        /// the manifest's key
        manifest: String,
        /// the object's URI
        uri: String,
        /// its bucket
        found: String,
        /// the store's bucket (the capture destination's)
        expected: String,
    },
}

/// A parsed manifest: the prefix and the names after it, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// the first element's `prefix`
    pub prefix: String,
    /// the names relative to it (may be empty: the prefix is the object)
    pub names: Vec<String>,
}

#[derive(Deserialize)]
struct PrefixEntry {
    prefix: String,
}

impl Manifest {
    /// Parses a manifest's bytes (`key` names it in errors).
    ///
    /// # Errors
    /// [`ManifestError::Shape`] for anything but a JSON array of a `{"prefix": …}` object
    /// followed by strings.
    pub fn parse(key: &str, bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let shape = |message: String| ManifestError::Shape {
            key: key.to_owned(),
            message,
        };
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let items: Vec<serde_json::Value> =
            serde_json::from_slice(bytes).map_err(|e| shape(format!("not a JSON array: {e}")))?;
        let mut it = items.into_iter();
        let first = it.next().ok_or_else(|| shape("empty array".into()))?;
        let PrefixEntry { prefix } = serde_json::from_value(first)
            .map_err(|e| shape(format!("first element is not {{\"prefix\": …}}: {e}")))?;
        let names = it
            .enumerate()
            .map(|(i, v)| match v {
                serde_json::Value::String(s) => Ok(s),
                other => Err(shape(format!("element {} is {other}, not a string", i + 1))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Manifest { prefix, names })
    }

    /// The URI of each named object, in order (`prefix` + name; an empty name is the prefix
    /// itself, as input manifests write it). Duplicates are kept once.
    pub fn object_uris(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::with_capacity(self.names.len());
        for name in &self.names {
            let uri = if name.is_empty() {
                self.prefix.clone()
            } else if self.prefix.ends_with('/') || self.prefix.is_empty() {
                format!("{}{name}", self.prefix)
            } else {
                format!("{}/{name}", self.prefix)
            };
            if !uri.ends_with('/') && !out.contains(&uri) {
                out.push(uri);
            }
        }
        out
    }
}

/// The store key of an object URI of manifest `manifest`; with `bucket` (the store's), an
/// `s3://` URI of another bucket is an error.
///
/// # Errors
/// [`ManifestError::OtherBucket`].
pub fn object_key(
    manifest: &str,
    uri: &str,
    bucket: Option<&str>,
) -> Result<String, ManifestError> {
    if let (Some(rest), Some(expected)) = (uri.strip_prefix("s3://"), bucket) {
        let found = rest.split('/').next().unwrap_or(rest);
        if found != expected {
            return Err(ManifestError::OtherBucket {
                manifest: manifest.to_owned(),
                uri: uri.to_owned(),
                found: found.to_owned(),
                expected: expected.to_owned(),
            });
        }
    }
    Ok(crate::layout::key_of(uri).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_keys_decode_side_and_hour() {
        let k = parse_manifest_key(
            "batch-capture/churn/output/2023/01/19/05/8b9f.json",
            "batch-capture/churn/",
        )
        .unwrap();
        assert_eq!(k.side, ManifestSide::Output);
        assert_eq!(k.hour, Utc.with_ymd_and_hms(2023, 1, 19, 5, 0, 0).unwrap());
        assert_eq!(k.file, "8b9f.json");
        let k = parse_manifest_key("p/input/2023/01/19/05/x.json", "p/").unwrap();
        assert_eq!(k.side, ManifestSide::Input);
        for bad in [
            "p/output/2023/01/19/x.json",
            "p/output/2023/02/30/05/x.json",
            "p/output/2023/01/19/24/x.json",
            "p/other/2023/01/19/05/x.json",
            "p/output/2023/01/19/05/x.jsonl",
            "q/output/2023/01/19/05/x.json",
        ] {
            assert_eq!(parse_manifest_key(bad, "p/"), None, "{bad}");
        }
    }

    #[test]
    fn shapes_other_than_sagemakers_are_named() {
        for (text, needle) in [
            ("{}", "not a JSON array"),
            ("[]", "empty array"),
            ("[\"a\"]", "first element"),
            ("[{\"prefix\": \"s3://b/p/\"}, 3]", "element 1 is 3"),
        ] {
            let e = Manifest::parse("m.json", text.as_bytes()).unwrap_err();
            assert!(e.to_string().contains(needle), "{e}");
            assert!(e.to_string().contains("m.json"), "{e}");
        }
    }

    #[test]
    fn other_buckets_are_refused() {
        assert_eq!(
            object_key("m", "s3://b/p/x.out", Some("b")).unwrap(),
            "p/x.out"
        );
        let e = object_key("m", "s3://other/p/x.out", Some("b")).unwrap_err();
        assert!(e.to_string().contains("\"other\""), "{e}");
        assert_eq!(
            object_key("m", "s3://other/p/x.out", None).unwrap(),
            "p/x.out"
        );
    }
}
