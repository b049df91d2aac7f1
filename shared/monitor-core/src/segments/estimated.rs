//! Label-free (CBPE) estimates per slice (issue 15 item 3): the score counts of
//! [`crate::model_quality::cbpe`] kept per slice as well as per window.
//!
//! - **Ingest**: a binary model-quality monitor with a `segments` block slices each scored
//!   prediction with [`Slicer::for_predictions`] (a facet value or the low-confidence band)
//!   and counts its score into that slice's [`ScoreCounter`]. The prediction index stores
//!   them as `segment_scores` (slice → [`MinuteScores`]), beside the window's `scores`; an
//!   index written before it reads as "no slices". Each capture object caps the slices it
//!   opens exactly as data-quality ingest does (the [`Slicer`]'s budget).
//! - **Tick**: the window's slice counts are merged ([`absorb`]), capped again
//!   ([`cap_window`], by scored predictions) and each slice estimated from its own
//!   histogram with the window's CBPE baseline ([`estimate_slices`]).
//!
//! Integer counts summed per (slice, minute, label, bin): any split of the records into
//! capture objects gives the same slice histograms, hence the same estimates.

use std::collections::BTreeMap;

use super::slicing::{cap_window, SliceState, Slicer};
use crate::config::{MonitorConfig, MonitorKind};
use crate::formats::model_quality::{ModelQualityConstraints, ProblemType};
use crate::joined::predictions::Prediction;
use crate::model_quality::cbpe::{
    estimate, histogram, merge_minutes, CbpeBaseline, EstimatedMetrics, MinuteScores, ScoreCounter,
};
use crate::CoreError;

/// Score counts by predicted label: label → bin → predictions (one slice, one window).
pub type LabelBins = BTreeMap<String, BTreeMap<u32, u64>>;

impl SliceState for LabelBins {
    fn records(&self) -> u64 {
        self.values().flat_map(BTreeMap::values).sum()
    }
    fn absorb(&mut self, other: &Self) {
        for (label, bins) in other {
            let side = self.entry(label.clone()).or_default();
            for (b, n) in bins {
                *side.entry(*b).or_default() += n;
            }
        }
    }
}

/// The per-slice score counts of one capture object (ingest).
#[derive(Debug, Clone)]
pub struct SliceScores {
    slicer: Slicer,
    counters: BTreeMap<String, ScoreCounter>,
}

impl SliceScores {
    /// The counter of monitor `cfg`: `Some` for a binary-classification model-quality
    /// monitor with a `segments` block (the only monitors CBPE estimates), else `None`.
    ///
    /// # Errors
    /// [`CoreError::Config`] naming a slice feature that is not a facet attribute.
    pub fn for_monitor(cfg: &MonitorConfig) -> Result<Option<Self>, CoreError> {
        let binary = cfg
            .model_quality
            .as_ref()
            .is_some_and(|m| m.quality.problem_type == ProblemType::BinaryClassification);
        if cfg.kind != MonitorKind::ModelQuality || !binary {
            return Ok(None);
        }
        Ok(Slicer::for_predictions(cfg)?.map(|slicer| Self {
            slicer,
            counters: BTreeMap::new(),
        }))
    }

    /// Counts prediction `p`'s score into each of its slices (nothing without a predicted
    /// label and a score: CBPE cannot use it, and it opens no slice).
    pub fn push(&mut self, p: &Prediction) {
        if p.label.is_none() || p.probability.is_none_or(f64::is_nan) {
            return;
        }
        for key in self.slicer.prediction_keys(p) {
            self.counters
                .entry(key)
                .or_default()
                .push(p.time, p.label.as_deref(), p.probability);
        }
    }

    /// The counts per slice, each by minute ascending.
    #[must_use]
    pub fn finish(self) -> BTreeMap<String, Vec<MinuteScores>> {
        self.counters
            .into_iter()
            .map(|(k, c)| (k, c.finish()))
            .collect()
    }
}

/// Adds the slice counts of one prediction index (`segment_scores`) whose minutes lie in
/// `[start, end)` (Unix seconds) to `into`.
pub fn absorb(
    into: &mut BTreeMap<String, LabelBins>,
    index: &BTreeMap<String, Vec<MinuteScores>>,
    start: i64,
    end: i64,
) {
    for (slice, minutes) in index {
        let mut bins = LabelBins::new();
        merge_minutes(&mut bins, minutes, start, end);
        if !bins.is_empty() {
            into.entry(slice.clone()).or_default().absorb(&bins);
        }
    }
}

/// A window's estimates per slice.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SliceEstimates {
    /// slice → its estimates (slices without a scored prediction are left out)
    pub slices: BTreeMap<String, EstimatedMetrics>,
    /// slices the window's cap folded into `__other__`
    pub capped: usize,
}

/// The estimates of each slice of a window (`bins`: the window's merged slice counts) under
/// `baseline`, each checked against `constraints` as the window's estimate is: the slices
/// capped first ([`cap_window`], by scored predictions). Empty without a `segments` block
/// or model-quality settings.
#[must_use]
pub fn estimate_slices(
    cfg: &MonitorConfig,
    mut bins: BTreeMap<String, LabelBins>,
    baseline: &CbpeBaseline,
    constraints: &ModelQualityConstraints,
) -> SliceEstimates {
    let (Some(settings), Some(quality)) = (&cfg.segments, &cfg.model_quality) else {
        return SliceEstimates::default();
    };
    let capped = cap_window(&mut bins, settings);
    let slices = bins
        .into_iter()
        .filter_map(|(k, b)| {
            let h = histogram(&b, &quality.quality.positive_label);
            estimate(&h, baseline, constraints).map(|e| (k, e))
        })
        .collect();
    SliceEstimates { slices, capped }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(max_slices: usize) -> MonitorConfig {
        MonitorConfig::from_json(
            "m.json",
            format!(
                r#"{{"name":"m","kind":"ModelQuality","endpoint":"e","baseline_prefix":"b",
                "model_quality":{{"problem_type":"BinaryClassification","positive_label":"1",
                  "facet_attributes":{{"region":"1"}}}},
                "segments":{{"slices":[{{"feature":"region"}},
                  {{"low_confidence":{{"threshold":0.5,"delta":0.1}}}}],"max_slices":{max_slices}}}}}"#
            )
            .as_bytes(),
        )
        .unwrap()
    }

    /// A joined prediction (built from JSON, so new optional fields do not break it).
    fn prediction(i: i64, region: &str, p: Option<f64>) -> Prediction {
        serde_json::from_value(serde_json::json!({
            "key": i.to_string(), "event_id": i.to_string(), "inference_time": "",
            "time": 600 + i, "variant": "AllTraffic",
            "label": p.map(|p| if p > 0.5 { "1" } else { "0" }),
            "probability": p,
            "facets": {"region": region},
        }))
        .unwrap()
    }

    #[test]
    fn only_binary_model_quality_monitors_with_segments_count_per_slice() {
        assert!(SliceScores::for_monitor(&cfg(20)).unwrap().is_some());
        let mut c = cfg(20);
        c.segments = None;
        assert!(SliceScores::for_monitor(&c).unwrap().is_none());
        let mut c = cfg(20);
        c.model_quality.as_mut().unwrap().quality.problem_type = ProblemType::Regression;
        assert!(SliceScores::for_monitor(&c).unwrap().is_none());
    }

    #[test]
    fn each_scored_prediction_is_counted_in_one_slice_of_each_slicing() {
        let mut s = SliceScores::for_monitor(&cfg(20)).unwrap().unwrap();
        s.push(&prediction(0, "eu", Some(0.55)));
        s.push(&prediction(1, "eu", Some(0.9)));
        s.push(&prediction(2, "us", Some(0.1)));
        // no score: not counted, opens nothing
        s.push(&prediction(3, "apac", None));
        let out = s.finish();
        let count = |k: &str| -> u64 {
            let mut b = LabelBins::new();
            merge_minutes(&mut b, &out[k], 0, i64::MAX);
            b.records()
        };
        assert_eq!(
            out.keys().collect::<Vec<_>>(),
            [
                "low_confidence=no",
                "low_confidence=yes",
                "region=eu",
                "region=us"
            ]
        );
        assert_eq!(count("region=eu"), 2);
        assert_eq!(count("region=us"), 1);
        assert_eq!(count("low_confidence=yes"), 1);
        assert_eq!(count("low_confidence=no"), 2);
    }

    #[test]
    fn the_window_caps_the_union_of_the_objects_slices() {
        // 2 fixed band slices of a cap of 3: one open slice per object and per window
        let c = cfg(3);
        let mut window = BTreeMap::new();
        for (region, n) in [("eu", 5), ("us", 9)] {
            let mut s = SliceScores::for_monitor(&c).unwrap().unwrap();
            for i in 0..n {
                s.push(&prediction(i, region, Some(0.9)));
            }
            absorb(&mut window, &s.finish(), 0, i64::MAX);
        }
        assert!(window.contains_key("region=eu") && window.contains_key("region=us"));
        let cbpe = CbpeBaseline::fit(&[0.1, 0.9], &[false, true], &[false, true]).unwrap();
        let constraints = ModelQualityConstraints::from_json(
            br#"{"version": 0.0, "binary_classification_constraints": {}}"#,
        )
        .unwrap();
        let est = estimate_slices(&c, window, &cbpe, &constraints);
        assert_eq!(est.capped, 1);
        // us (9 predictions) stays; eu (5) is folded into __other__
        assert_eq!(est.slices["region=us"].predictions, 9);
        assert_eq!(est.slices["region=__other__"].predictions, 5);
        assert!(!est.slices.contains_key("region=eu"));
        assert_eq!(est.slices["low_confidence=no"].predictions, 14);
    }
}
