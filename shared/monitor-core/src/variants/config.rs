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
