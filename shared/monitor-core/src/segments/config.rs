//! The `segments` block of a monitor config: which slices every window is also judged on.

use serde::{Deserialize, Serialize};

/// The default cap on a monitor's slices ([`SegmentSettings::max_slices`]).
pub const DEFAULT_MAX_SLICES: usize = 20;

/// The keys of the block (the config's unknown-key check; each slice's own keys are checked
/// by serde, `deny_unknown_fields`).
pub const SEGMENT_KEYS: &[&str] = &["slices", "max_slices"];

/// `"segments": {"slices": [{"feature": "region"}, …], "max_slices": 20}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentSettings {
    /// the slicings; each record falls in one slice of each
    pub slices: Vec<SliceSpec>,
    /// the most slices a window keeps over all slicings, `__missing__` and `__other__` not
    /// counted; values past it are counted in their slicing's `__other__` slice
    #[serde(default = "default_max_slices")]
    pub max_slices: usize,
}

fn default_max_slices() -> usize {
    DEFAULT_MAX_SLICES
}

/// One slicing: by a feature's values, by a numeric feature's ranges, or by the model's
/// low-confidence band. Exactly one of `feature` and `low_confidence` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SliceSpec {
    /// the feature (a baseline feature name) whose values or ranges make the slices
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
    /// only these values get a slice of their own (the others: `__other__`); default: one
    /// slice per value seen, up to the cap
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    /// ascending edges of numeric ranges: `[30, 50]` makes `<30`, `[30,50)`, `>=50`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edges: Option<Vec<f64>>,
    /// the band `|p − threshold| < delta` of the model's probability output
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low_confidence: Option<LowConfidence>,
}

/// The low-confidence band of a probability: `|p − threshold| < delta`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LowConfidence {
    /// the decision threshold
    pub threshold: f64,
    /// the half-width of the band
    pub delta: f64,
    /// the feature holding the probability (default: the first baseline feature, the
    /// model's first output column)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
}

impl SliceSpec {
    /// How many slices the spec always names (listed values or ranges); `None` when it
    /// makes one per value seen.
    #[must_use]
    pub fn fixed_slices(&self) -> Option<usize> {
        if let Some(e) = &self.edges {
            return Some(e.len() + 1);
        }
        if let Some(v) = &self.values {
            return Some(v.len());
        }
        self.low_confidence.as_ref().map(|_| 2)
    }
}

impl SegmentSettings {
    /// Why the block is unusable, if it is: `(field, value, message)`.
    #[must_use]
    pub fn problem(&self) -> Option<(String, String, &'static str)> {
        if self.slices.is_empty() {
            return Some((
                "segments.slices".into(),
                "[]".into(),
                "name at least one slicing",
            ));
        }
        if self.max_slices == 0 {
            return Some(("segments.max_slices".into(), "0".into(), "at least 1"));
        }
        for (i, s) in self.slices.iter().enumerate() {
            let at = |k: &str| format!("segments.slices[{i}].{k}");
            match (&s.feature, &s.low_confidence) {
                (Some(_), Some(_)) | (None, None) => {
                    return Some((
                        format!("segments.slices[{i}]"),
                        serde_json::to_string(s).unwrap_or_default(),
                        "set exactly one of feature and low_confidence",
                    ))
                }
                (Some(f), None) if f.is_empty() => {
                    return Some((at("feature"), String::new(), "a baseline feature name"))
                }
                _ => {}
            }
            if s.values.is_some() && s.edges.is_some() {
                return Some((
                    at("edges"),
                    format!("{:?}", s.edges),
                    "values or edges, not both",
                ));
            }
            if let Some(e) = &s.edges {
                let ascending = e.windows(2).all(|w| w[0] < w[1]);
                if e.is_empty() || !ascending || e.iter().any(|x| !x.is_finite()) {
                    return Some((
                        at("edges"),
                        format!("{e:?}"),
                        "finite, strictly ascending, at least one",
                    ));
                }
            }
            if let Some(v) = &s.values {
                if v.is_empty() {
                    return Some((at("values"), "[]".into(), "at least one value"));
                }
            }
            if let Some(l) = &s.low_confidence {
                if !(l.threshold.is_finite() && l.delta.is_finite() && l.delta > 0.0) {
                    return Some((
                        at("low_confidence"),
                        format!("threshold {} delta {}", l.threshold, l.delta),
                        "a finite threshold and a positive delta",
                    ));
                }
            }
        }
        let mut names: Vec<&str> = self
            .slices
            .iter()
            .map(super::slicing::slicing_name)
            .collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Some((
                "segments.slices".into(),
                w[0].to_string(),
                "one slicing per feature (and one low_confidence)",
            ));
        }
        let fixed: usize = self.slices.iter().filter_map(SliceSpec::fixed_slices).sum();
        if fixed > self.max_slices {
            return Some((
                "segments.max_slices".into(),
                self.max_slices.to_string(),
                "fewer than the listed values and ranges need",
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use crate::config::MonitorConfig;

    fn load(segments: &str) -> Result<MonitorConfig, crate::CoreError> {
        let json = format!(
            r#"{{"name": "m", "endpoint": "e", "baseline_prefix": "b", "segments": {segments}}}"#
        );
        MonitorConfig::from_json("m.json", json.as_bytes())
    }

    #[test]
    fn the_block_is_validated_on_load() {
        let cfg = load(
            r#"{"slices": [{"feature": "region"}, {"feature": "age", "edges": [30, 50]},
                {"low_confidence": {"threshold": 0.5, "delta": 0.1}}]}"#,
        )
        .unwrap();
        let s = cfg.segments.unwrap();
        assert_eq!(s.max_slices, super::DEFAULT_MAX_SLICES);
        assert_eq!(s.slices[1].fixed_slices(), Some(3));
        let e = load(r#"{"slices": [{"feature": "age", "edges": [50, 30]}]}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("segments.slices[0].edges") && e.contains("[50.0, 30.0]"),
            "{e}"
        );
        let e =
            load(r#"{"slices": [{"feature": "a", "values": ["x", "y", "z"]}], "max_slices": 2}"#)
                .unwrap_err()
                .to_string();
        assert!(e.contains("segments.max_slices") && e.contains('2'), "{e}");
        let e = load(r#"{"slices": [{"featur": "a"}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("featur"), "{e}");
        let e = load(r#"{"slices": [], "max_slice": 3}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean \"max_slices\""), "{e}");
    }
}
