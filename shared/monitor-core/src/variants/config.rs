//! The `variants` block of a monitor config: compare the endpoint's production variants in
//! every window.

use serde::{Deserialize, Serialize};

/// `"variants": {"reference": "AllTraffic", "confidence_level": 0.95}`: the block's presence
/// turns the comparison on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantSettings {
    /// the variant every other one is compared with (default: the variant with the most
    /// records in the window; ties by name)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// confidence level of the intervals of metric differences (default 0.95)
    #[serde(default = "default_confidence")]
    pub confidence_level: f64,
}

impl Default for VariantSettings {
    fn default() -> Self {
        Self {
            reference: None,
            confidence_level: default_confidence(),
        }
    }
}

fn default_confidence() -> f64 {
    0.95
}

/// The keys of the block (the config's unknown-key check).
pub const VARIANT_KEYS: &[&str] = &["reference", "confidence_level"];

impl VariantSettings {
    /// Why the block is unusable, if it is: `(field, value, message)`.
    #[must_use]
    pub fn problem(&self) -> Option<(&'static str, String, &'static str)> {
        let c = self.confidence_level;
        if !(c.is_finite() && c > 0.0 && c < 1.0) {
            return Some((
                "variants.confidence_level",
                c.to_string(),
                "must be between 0 and 1 (exclusive)",
            ));
        }
        if self
            .reference
            .as_deref()
            .is_some_and(|r| r.is_empty() || r.contains('/'))
        {
            return Some((
                "variants.reference",
                self.reference.clone().unwrap_or_default(),
                "a production variant name (no '/')",
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use crate::config::MonitorConfig;

    fn load(variants: &str) -> Result<MonitorConfig, crate::CoreError> {
        let json = format!(
            r#"{{"name": "m", "endpoint": "e", "baseline_prefix": "b", "variants": {variants}}}"#
        );
        MonitorConfig::from_json("m.json", json.as_bytes())
    }

    #[test]
    fn the_block_is_validated_on_load() {
        let cfg = load("{}").unwrap();
        let v = cfg.variants.unwrap();
        assert_eq!((v.reference, v.confidence_level), (None, 0.95));
        let e = load(r#"{"confidence_level": 1.5}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("variants.confidence_level") && e.contains("1.5"),
            "{e}"
        );
        let e = load(r#"{"reference": "a/b"}"#).unwrap_err().to_string();
        assert!(e.contains("variants.reference") && e.contains("a/b"), "{e}");
        // a typo names the known key
        let e = load(r#"{"refrence": "A"}"#).unwrap_err().to_string();
        assert!(e.contains("did you mean \"reference\""), "{e}");
    }
}
