//! The files modelwatch writes beside SageMaker's reports (`variant_comparison.json`,
//! `segments.json`, `multi_model.json`): pretty JSON tagged with a `format` and a `version`,
//! written and read the same way.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::CoreError;

/// `value` as pretty JSON (fields in declaration order).
///
/// # Errors
/// [`CoreError::State`] naming `file` when serialising fails (a non-finite figure: JSON
/// cannot hold it).
pub fn to_json<T: Serialize>(file: &str, value: &T) -> Result<Vec<u8>, CoreError> {
    serde_json::to_vec_pretty(value).map_err(|e| CoreError::State {
        key: file.into(),
        message: e.to_string(),
    })
}

/// Parses the file at `key`, whose `tag` (format, version) must be `format` / `version`.
///
/// # Errors
/// [`CoreError::State`] naming `key` for malformed JSON or another format or version.
pub fn from_json<T: DeserializeOwned>(
    key: &str,
    bytes: &[u8],
    tag: fn(&T) -> (&str, u32),
    format: &str,
    version: u32,
) -> Result<T, CoreError> {
    let value: T = serde_json::from_slice(bytes).map_err(|e| CoreError::State {
        key: key.into(),
        message: e.to_string(),
    })?;
    let (found, found_version) = tag(&value);
    if found != format || found_version != version {
        return Err(CoreError::State {
            key: key.into(),
            message: format!(
                "format {found} version {found_version}, expected {format} version {version}"
            ),
        });
    }
    Ok(value)
}
