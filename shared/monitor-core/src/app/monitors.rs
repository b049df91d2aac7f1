//! The monitors a use case loops over, each with its own error boundary: a configuration
//! that cannot be read or parsed, or whose `name` another configuration also declares, is
//! an entry holding its error, so it fails only its own monitor (issue 11, item 2).

use std::collections::BTreeMap;

use crate::config::MonitorConfig;
use crate::error::RetryBoundary;
use crate::layout::{MONITORS_PREFIX, UNKNOWN_ENDPOINT};
use crate::store::ObjectStore;
use crate::CoreError;

/// One `config/monitors/*.json` file: its monitor, or why it has none.
#[derive(Debug)]
pub struct MonitorEntry {
    /// the configuration key
    pub key: String,
    /// the monitor's name: its `name` when the file parses, else the file name without
    /// `.json`
    pub name: String,
    /// the configuration, or the error that fails this monitor
    pub config: Result<MonitorConfig, CoreError>,
    /// the endpoint the file names, if any (where a failed monitor's execution goes)
    pub endpoint: Option<String>,
}

impl MonitorEntry {
    /// The endpoint the monitor watches, or [`UNKNOWN_ENDPOINT`] when the file names none.
    pub fn endpoint(&self) -> &str {
        self.endpoint.as_deref().unwrap_or(UNKNOWN_ENDPOINT)
    }
}

/// A usable `endpoint` of a configuration that failed to parse as a whole.
fn endpoint_hint(bytes: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let e = v.get("endpoint")?.as_str()?;
    (!e.is_empty() && !e.contains('/') && !e.contains("..")).then(|| e.to_owned())
}

/// The name of the monitor configured at `key` when its file cannot be parsed.
fn name_from_key(key: &str) -> String {
    let file = key.rsplit('/').next().unwrap_or(key);
    file.strip_suffix(".json").unwrap_or(file).to_owned()
}

/// Every `config/monitors/*.json`, sorted by monitor name (then key).
///
/// # Errors
/// Only retryable store failures ([`CoreError::is_retryable`]) listing or reading the
/// files; every other problem is held by its entry, [`CoreError::DuplicateMonitor`] by
/// both entries of a duplicated name.
pub async fn load_monitor_entries<S: ObjectStore>(
    store: &S,
) -> Result<Vec<MonitorEntry>, CoreError> {
    let mut entries = Vec::new();
    for key in store.list(MONITORS_PREFIX).await? {
        if !key.ends_with(".json") {
            continue;
        }
        let (config, endpoint) = match store.get(&key).await.propagate_retryable()? {
            Ok(bytes) => (
                MonitorConfig::from_json(&key, &bytes),
                endpoint_hint(&bytes),
            ),
            Err(e) => (Err(e), None),
        };
        let name = match &config {
            Ok(c) => c.name.clone(),
            Err(_) => name_from_key(&key),
        };
        entries.push(MonitorEntry {
            key,
            name,
            config,
            endpoint,
        });
    }
    // A duplicated name fails every file that declares it: which one would win is an
    // accident of listing order, and their state and reports would overwrite each other.
    let mut keys_by_name: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in entries.iter().filter(|e| e.config.is_ok()) {
        keys_by_name
            .entry(e.name.clone())
            .or_default()
            .push(e.key.clone());
    }
    for e in &mut entries {
        let Some(keys) = keys_by_name.get(&e.name).filter(|k| k.len() > 1) else {
            continue;
        };
        if e.config.is_ok() {
            let other = keys.iter().find(|k| **k != e.key).unwrap_or(&keys[0]);
            e.config = Err(CoreError::DuplicateMonitor {
                name: e.name.clone(),
                first: e.key.clone(),
                second: other.clone(),
            });
        }
    }
    entries.sort_by(|a, b| (&a.name, &a.key).cmp(&(&b.name, &b.key)));
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    fn config(name: &str) -> Vec<u8> {
        format!(r#"{{"name":"{name}","endpoint":"ep","baseline_prefix":"baselines/{name}"}}"#)
            .into_bytes()
    }

    #[tokio::test]
    async fn a_bad_file_and_a_duplicate_name_fail_only_their_entries() {
        let store = MemoryStore::new();
        store
            .put("config/monitors/a.json", config("a"))
            .await
            .unwrap();
        store
            .put("config/monitors/b.json", config("dup"))
            .await
            .unwrap();
        store
            .put("config/monitors/c.json", config("dup"))
            .await
            .unwrap();
        store
            .put("config/monitors/x.json", b"{\"name\": \"x\",".to_vec())
            .await
            .unwrap();
        let entries = load_monitor_entries(&store).await.unwrap();
        let view: Vec<(&str, &str, bool)> = entries
            .iter()
            .map(|e| (e.name.as_str(), e.key.as_str(), e.config.is_ok()))
            .collect();
        assert_eq!(
            view,
            [
                ("a", "config/monitors/a.json", true),
                ("dup", "config/monitors/b.json", false),
                ("dup", "config/monitors/c.json", false),
                ("x", "config/monitors/x.json", false),
            ]
        );
        let dup = entries[1].config.as_ref().unwrap_err().to_string();
        assert_eq!(
            dup,
            "monitor name \"dup\" is declared by both config/monitors/b.json and config/monitors/c.json"
        );
        let bad = entries[3].config.as_ref().unwrap_err().to_string();
        assert!(bad.contains("config/monitors/x.json"), "{bad}");
    }
}
