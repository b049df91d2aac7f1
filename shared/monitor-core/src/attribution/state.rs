//! The mergeable attribution state: per minute, the sums of the local SHAP values (or a
//! bottom-k sample for Kernel SHAP) that capture-ingest writes and monitor-tick merges.

use chrono::{DateTime, Utc};
use drift_math::kll::KllSketch;
use drift_math::shap::AggMethod;
use serde::{Deserialize, Serialize};

use crate::formats::capture::BadRecords;
use crate::store::StateFile;

/// Identifies our attribution state files.
pub const ATTRIBUTION_STATE_FORMAT: &str = "modelwatch.attribution-state";
/// Version of the attribution state layout.
pub const ATTRIBUTION_STATE_VERSION: u32 = 1;

/// The sums of the local SHAP values of some records: what every `agg_method` needs, exact
/// under merge (the median through a KLL sketch, within its rank error).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShapSums {
    /// records explained
    pub n: u64,
    /// `Σ|φ_j|` per feature
    pub sum_abs: Vec<f64>,
    /// `Σφ_j²` per feature
    pub sum_sq: Vec<f64>,
    /// `Σφ_j` per feature (signed; for reports)
    pub sum: Vec<f64>,
    /// per-feature sketches of `φ_j` (only for `agg_method = median`)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sketches: Vec<KllSketch>,
}

impl ShapSums {
    /// Empty sums over `m` features (with sketches when `median`).
    #[must_use]
    pub fn new(m: usize, agg: AggMethod) -> Self {
        ShapSums {
            n: 0,
            sum_abs: vec![0.0; m],
            sum_sq: vec![0.0; m],
            sum: vec![0.0; m],
            sketches: if agg == AggMethod::Median {
                vec![KllSketch::new(); m]
            } else {
                Vec::new()
            },
        }
    }

    /// Adds one record's SHAP values.
    pub fn add(&mut self, phi: &[f64]) {
        self.n += 1;
        for (j, p) in phi.iter().enumerate().take(self.sum.len()) {
            self.sum_abs[j] += p.abs();
            self.sum_sq[j] += p * p;
            self.sum[j] += p;
            if let Some(s) = self.sketches.get_mut(j) {
                s.update(*p);
            }
        }
    }

    /// Adds other sums over the same features.
    pub fn merge(&mut self, other: &ShapSums) {
        self.n += other.n;
        for j in 0..self.sum.len().min(other.sum.len()) {
            self.sum_abs[j] += other.sum_abs[j];
            self.sum_sq[j] += other.sum_sq[j];
            self.sum[j] += other.sum[j];
        }
        if self.sketches.len() == other.sketches.len() {
            for (a, b) in self.sketches.iter_mut().zip(&other.sketches) {
                a.merge(b);
            }
        }
    }

    /// Global SHAP values by `agg` (Clarify's `mean_abs` / `median` / `mean_sq`, spec §10.1);
    /// `None` without records.
    #[must_use]
    pub fn global(&self, agg: AggMethod) -> Option<Vec<f64>> {
        if self.n == 0 {
            return None;
        }
        let n = self.n as f64;
        Some(match agg {
            AggMethod::MeanAbs => self.sum_abs.iter().map(|s| s / n).collect(),
            AggMethod::MeanSq => self.sum_sq.iter().map(|s| s / n).collect(),
            AggMethod::Median => self
                .sketches
                .iter()
                .map(|s| s.quantile(0.5).unwrap_or(f64::NAN))
                .collect(),
        })
    }
}

/// One record kept for Kernel SHAP at the tick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampledRecord {
    /// FNV-1a of the join key: the bottom-k order
    pub hash: u64,
    /// join key (inferenceId, else eventId)
    pub key: String,
    /// feature values
    pub x: Vec<f64>,
}

/// Keeps the `cap` records with the smallest `(hash, key)`: a uniform sample that depends only
/// on the records, never on their order or on how the input was split.
pub fn keep_bottom_k(sample: &mut Vec<SampledRecord>, cap: usize) {
    sample.sort_by(|a, b| (a.hash, &a.key).cmp(&(b.hash, &b.key)));
    sample.dedup_by(|a, b| a.hash == b.hash && a.key == b.key);
    sample.truncate(cap);
}

/// Attribution state of one minute of one capture object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MinuteAttribution {
    /// start of the minute (UTC)
    pub minute: DateTime<Utc>,
    /// records read
    pub records: u64,
    /// sums of the records explained at ingest (`captured`, `linear`)
    pub shap: ShapSums,
    /// sample for Kernel SHAP (`kernel`)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sample: Vec<SampledRecord>,
    /// records that could not be explained, by kind
    pub bad_records: BadRecords,
}

/// Attribution state of one capture object for one monitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributionObjectState {
    /// always [`ATTRIBUTION_STATE_FORMAT`]
    pub format: String,
    /// layout version
    pub version: u32,
    /// monitor name
    pub monitor: String,
    /// the capture object
    pub source: String,
    /// lines read
    pub lines: u64,
    /// per minute, ascending
    pub minutes: Vec<MinuteAttribution>,
}

impl AttributionObjectState {
    /// Records in all minutes.
    #[must_use]
    pub fn records(&self) -> u64 {
        self.minutes.iter().map(|m| m.records).sum()
    }

    /// Bad records in all minutes.
    #[must_use]
    pub fn bad_records(&self) -> u64 {
        self.minutes.iter().map(|m| m.bad_records.total()).sum()
    }
}

impl StateFile for AttributionObjectState {
    const FORMAT: &'static str = ATTRIBUTION_STATE_FORMAT;
    const VERSION: Option<u32> = Some(ATTRIBUTION_STATE_VERSION);

    fn tag(&self) -> (&str, u32) {
        (self.format.as_str(), self.version)
    }

    fn source(&self) -> &str {
        &self.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use drift_math::shap::aggregate;

    #[test]
    fn sums_aggregate_like_clarify() {
        // local values of 3 records over 2 features; reference: numpy
        // np.mean(np.abs(phi), 0) = [2, 1], np.mean(phi**2, 0) = [14/3, 1], median = [1, 1]
        let phi = [[1.0, -1.0], [-1.0, 1.0], [4.0, 1.0]];
        for agg in [AggMethod::MeanAbs, AggMethod::MeanSq, AggMethod::Median] {
            let mut all = ShapSums::new(2, agg);
            let mut a = ShapSums::new(2, agg);
            let mut b = ShapSums::new(2, agg);
            for (i, p) in phi.iter().enumerate() {
                all.add(p);
                if i == 0 {
                    a.add(p);
                } else {
                    b.add(p);
                }
            }
            a.merge(&b);
            assert_eq!(a, all);
            let expected =
                aggregate(&phi.iter().map(|p| p.to_vec()).collect::<Vec<_>>(), agg).unwrap();
            let got = all.global(agg).unwrap();
            for (g, e) in got.iter().zip(&expected) {
                assert!((g - e).abs() < 1e-12, "{agg:?}: {got:?} vs {expected:?}");
            }
        }
        assert_eq!(
            ShapSums::new(2, AggMethod::MeanAbs).global(AggMethod::MeanAbs),
            None
        );
    }

    #[test]
    fn bottom_k_is_order_free() {
        let recs: Vec<SampledRecord> = (0..50)
            .map(|i| {
                let key = format!("id-{i}");
                SampledRecord {
                    hash: drift_math::quality::fnv1a64(key.as_bytes()),
                    key,
                    x: vec![f64::from(i)],
                }
            })
            .collect();
        let mut a = recs.clone();
        keep_bottom_k(&mut a, 10);
        let mut b: Vec<SampledRecord> = recs.iter().rev().cloned().collect();
        keep_bottom_k(&mut b, 10);
        assert_eq!(a, b);
        // split, reduce each part, then merge: the same sample
        let mut left = recs[..25].to_vec();
        let mut right = recs[25..].to_vec();
        keep_bottom_k(&mut left, 10);
        keep_bottom_k(&mut right, 10);
        left.extend(right);
        keep_bottom_k(&mut left, 10);
        assert_eq!(left, a);
    }
}
