//! The mergeable state of a regression model-quality monitor: SageMaker's error sums and
//! moments ([`RegressionQuality`], with replicates) plus, for label drift (issue 13 item 5),
//! a KLL sketch of the ground-truth labels, the same sketch the data-quality profile keeps
//! per numeric feature. The sketch is in the full state only (the replicates only serve the
//! metrics' standard deviations) and is serialised beside the error sums, so state files
//! written before it existed still read (no sketch: no label drift for those minutes).

use std::ops::Deref;

use drift_math::kll::KllSketch;
use drift_math::quality::RegressionQuality;
use serde::{Deserialize, Serialize};

/// Regression state: [`RegressionQuality`] plus the labels' sketch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegressionState {
    /// error sums, label moments and their replicates (SageMaker's metrics)
    #[serde(flatten)]
    pub quality: RegressionQuality,
    /// sketch of every label counted (`None` in states written before label drift)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_sketch: Option<KllSketch>,
}

impl Deref for RegressionState {
    type Target = RegressionQuality;
    fn deref(&self) -> &RegressionQuality {
        &self.quality
    }
}

impl RegressionState {
    /// An empty state.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one record (`key` picks its replicates); the label joins the sketch only when
    /// the metrics accepted the record.
    ///
    /// # Errors
    /// The metrics' error for a non-finite value; nothing is counted.
    pub fn update(
        &mut self,
        key: &str,
        actual: f64,
        predicted: f64,
    ) -> Result<(), drift_math::quality::QualityError> {
        self.quality.update(key, actual, predicted)?;
        self.label_sketch
            .get_or_insert_with(KllSketch::new)
            .update(actual);
        Ok(())
    }

    /// Adds another state (a missing sketch on either side is just no labels from it).
    pub fn merge(&mut self, other: &RegressionState) {
        self.quality.merge(&other.quality);
        if let Some(s) = &other.label_sketch {
            match &mut self.label_sketch {
                Some(mine) => mine.merge(s),
                None => self.label_sketch = Some(s.clone()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sketch_follows_the_counted_labels_and_old_states_still_read() {
        let mut a = RegressionState::new();
        a.update("k1", 1.0, 1.5).unwrap();
        a.update("k2", 3.0, 2.0).unwrap();
        assert!(a.update("k3", f64::NAN, 1.0).is_err());
        let mut b = RegressionState::new();
        b.update("k4", 5.0, 5.0).unwrap();
        a.merge(&b);
        assert_eq!(a.count(), 3);
        assert_eq!(
            a.label_sketch.as_ref().map(KllSketch::total_weight),
            Some(3)
        );
        // round trip, and a state file of the layout before the sketch (no key) reads
        let json = serde_json::to_value(&a).unwrap();
        let back: RegressionState = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, a);
        let mut old = json;
        old.as_object_mut().unwrap().remove("label_sketch");
        let old: RegressionState = serde_json::from_value(old).unwrap();
        assert_eq!(old.count(), 3);
        assert!(old.label_sketch.is_none());
    }
}
