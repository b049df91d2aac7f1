//! Performance before labels: confidence-based performance estimation (CBPE) of a binary
//! classifier (issue 15 item 1). The numerics are [`drift_math::calibration`] and
//! [`drift_math::cbpe`]; this module holds what the monitor stores and writes.
//!
//! 1. **Baseline** ([`CbpeBaseline::fit`], called by the model-quality baseline when the
//!    validation set has a probability column): an isotonic calibration map of score → P(label
//!    is positive), and each estimated metric's per-row spread from the realised metric over
//!    [`BASELINE_CHUNKS`] chunks of the validation set. It is written as `cbpe.json` beside
//!    `statistics.json` and `constraints.json` (SageMaker reads only those two).
//! 2. **Ingest**: the prediction index of each capture object carries, per inference minute,
//!    the counts of its scores in [`drift_math::cbpe::SCORE_BINS`] bins by predicted label
//!    ([`MinuteScores`]): integers, mergeable, independent of the calibration map.
//! 3. **Tick** ([`tick`]): the window's bins are merged, calibrated and turned into
//!    `estimated_metrics` of `execution.json` (each `{value, lower, upper}`, and `realised`
//!    once labels are joined), metrics `estimated_<metric>` (+ `_lower`, `_upper`) and the
//!    estimate's violations.
//!
//! **Interval**: `value ± Z · spread / sqrt(n)` for a window of `n` scored predictions,
//! clamped to `[0, 1]`, with `Z` = [`INTERVAL_Z`] (NannyML's default band of three sampling
//! errors). **Violation rule**: a metric the baseline constrains with `LessThanThreshold`
//! (every estimated metric is higher-is-better) is violated when the estimate's **upper**
//! bound lies below the threshold: the estimate is worse than the baseline beyond its
//! sampling error.

pub mod tick;

use std::collections::BTreeMap;

use drift_math::calibration::IsotonicCalibration;
use drift_math::cbpe::{chunk_spread, CbpeHistogram, ESTIMATED_METRICS};
use serde::{Deserialize, Serialize};

use crate::formats::model_quality::{ComparisonOperator, ModelQualityConstraints};

/// File name of the CBPE baseline, beside the model-quality `constraints.json`.
pub const CBPE_FILE: &str = "cbpe.json";
/// Format tag of [`CbpeBaseline`] files.
pub const CBPE_FORMAT: &str = "modelwatch.cbpe-baseline";
/// Layout version of [`CbpeBaseline`] files.
pub const CBPE_VERSION: u32 = 1;
/// Chunks the validation set is cut into for the metrics' spread (NannyML's default number
/// of chunks).
pub const BASELINE_CHUNKS: usize = 10;
/// Half-width of the interval in sampling errors (NannyML's default confidence band).
pub const INTERVAL_Z: f64 = 3.0;

/// Why a CBPE baseline could not be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CbpeError {
    /// the calibration fit refused the scores
    #[error("CBPE calibration: {0}")]
    Calibration(#[from] drift_math::DriftError),
    /// a stored CBPE baseline could not be read
    #[error("CBPE baseline {key}: {message}")]
    Format {
        /// its key
        key: String,
        /// why
        message: String,
    },
}

/// The CBPE baseline: calibration map and per-row spread of each estimated metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CbpeBaseline {
    /// always [`CBPE_FORMAT`]
    pub format: String,
    /// always [`CBPE_VERSION`]
    pub version: u32,
    /// labelled rows fitted
    pub rows: u64,
    /// the isotonic calibration map (score → probability of the positive label)
    pub calibration: IsotonicCalibration,
    /// rows per baseline chunk the spread was measured on
    pub chunk_size: u64,
    /// metric → SD of its chunk values × sqrt(chunk size): a window of `n` predictions has
    /// the sampling error `spread / sqrt(n)`
    pub spread: BTreeMap<String, f64>,
}

impl CbpeBaseline {
    /// Fits the baseline on labelled rows: `scores`, the true labels (`actual`, positive =
    /// `true`) and the predicted labels, one entry per row, in file order.
    ///
    /// # Errors
    /// [`CbpeError::Calibration`] without rows or with a non-finite score.
    pub fn fit(scores: &[f64], actual: &[bool], predicted: &[bool]) -> Result<Self, CbpeError> {
        let calibration = IsotonicCalibration::fit(scores, actual)?;
        let spread = chunk_spread(scores, actual, predicted, BASELINE_CHUNKS);
        Ok(CbpeBaseline {
            format: CBPE_FORMAT.into(),
            version: CBPE_VERSION,
            rows: scores.len() as u64,
            calibration,
            chunk_size: (scores.len() / BASELINE_CHUNKS) as u64,
            spread: spread.into_iter().collect(),
        })
    }

    /// The file's bytes (pretty JSON; every number finite).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// Reads a file written by [`Self::to_json`] (`key` names it in errors).
    ///
    /// # Errors
    /// [`CbpeError::Format`] for bytes that are not this format and version.
    pub fn from_json(key: &str, bytes: &[u8]) -> Result<Self, CbpeError> {
        let fail = |message: String| CbpeError::Format {
            key: key.into(),
            message,
        };
        let b: CbpeBaseline = serde_json::from_slice(bytes).map_err(|e| fail(e.to_string()))?;
        if b.format != CBPE_FORMAT || b.version != CBPE_VERSION {
            return Err(fail(format!(
                "format {} version {} (expected {CBPE_FORMAT} {CBPE_VERSION})",
                b.format, b.version
            )));
        }
        if b.calibration.x.len() != b.calibration.y.len() || b.calibration.x.is_empty() {
            return Err(fail(
                "calibration thresholds and values differ in length".into(),
            ));
        }
        Ok(b)
    }
}

/// Score counts of the predictions of one inference minute, by predicted label text:
/// label → bin of [`drift_math::cbpe::score_bin`] → count. Written in the prediction index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinuteScores {
    /// Unix minute (seconds / 60) of the inference time
    pub minute: i64,
    /// predicted label → bin → predictions
    pub bins: BTreeMap<String, BTreeMap<u32, u64>>,
}

/// Per-minute score counts an ingest pass accumulates ([`Self::push`]) and writes as
/// [`MinuteScores`], ascending by minute.
#[derive(Debug, Clone, Default)]
pub struct ScoreCounter {
    minutes: BTreeMap<i64, BTreeMap<String, BTreeMap<u32, u64>>>,
}

impl ScoreCounter {
    /// Counts a prediction of Unix time `time` with its predicted label and score (nothing
    /// without either, or with a `NaN` score).
    pub fn push(&mut self, time: i64, label: Option<&str>, score: Option<f64>) {
        let (Some(label), Some(score)) = (label, score) else {
            return;
        };
        if score.is_nan() {
            return;
        }
        let bin = drift_math::cbpe::score_bin(score);
        let labels = self.minutes.entry(time.div_euclid(60)).or_default();
        // Called once per prediction: the label is copied only the first time a minute sees
        // it, not on every record (issue 16's ingest regression).
        if let Some(bins) = labels.get_mut(label) {
            *bins.entry(bin).or_default() += 1;
            return;
        }
        *labels
            .entry(label.to_owned())
            .or_default()
            .entry(bin)
            .or_default() += 1;
    }

    /// The counts by minute, ascending.
    pub fn finish(self) -> Vec<MinuteScores> {
        self.minutes
            .into_iter()
            .map(|(minute, bins)| MinuteScores { minute, bins })
            .collect()
    }
}

/// Adds the counts of `minutes` that lie in `[start, end)` (Unix seconds) to `into`.
pub fn merge_minutes(
    into: &mut BTreeMap<String, BTreeMap<u32, u64>>,
    minutes: &[MinuteScores],
    start: i64,
    end: i64,
) {
    for m in minutes
        .iter()
        .filter(|m| m.minute * 60 >= start && m.minute * 60 < end)
    {
        for (label, bins) in &m.bins {
            let side = into.entry(label.clone()).or_default();
            for (b, n) in bins {
                *side.entry(*b).or_default() += n;
            }
        }
    }
}

/// The histogram by predicted positive / negative of label-keyed counts.
pub fn histogram(
    bins: &BTreeMap<String, BTreeMap<u32, u64>>,
    positive_label: &str,
) -> CbpeHistogram {
    let mut h = CbpeHistogram::new();
    for (label, counts) in bins {
        let positive = crate::model_quality::label_matches(label, positive_label);
        for (b, n) in counts {
            h.add(*b, positive, *n);
        }
    }
    h
}

/// One estimated metric of a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimatedMetric {
    /// the estimate
    pub value: f64,
    /// lower end of its interval
    pub lower: f64,
    /// upper end of its interval
    pub upper: f64,
    /// the realised metric, once labels are joined to the window's predictions
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realised: Option<f64>,
}

/// The `estimated_metrics` block of a model-quality `execution.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EstimatedMetrics {
    /// scored predictions the estimate covers
    pub predictions: u64,
    /// metric key (`accuracy`, `precision`, `recall`, `f1`, `auc`) → estimate; only finite
    /// estimates are listed
    pub metrics: BTreeMap<String, EstimatedMetric>,
    /// metrics whose upper bound lies below their `LessThanThreshold` baseline constraint
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<String>,
}

/// The estimates of a window's histogram under `baseline`, checked against `constraints`;
/// `None` without scored predictions.
pub fn estimate(
    hist: &CbpeHistogram,
    baseline: &CbpeBaseline,
    constraints: &ModelQualityConstraints,
) -> Option<EstimatedMetrics> {
    let e = hist.estimate(&baseline.calibration)?;
    let n = e.count as f64;
    let mut out = EstimatedMetrics {
        predictions: e.count,
        ..EstimatedMetrics::default()
    };
    for name in ESTIMATED_METRICS {
        let Some(value) = e.metric(name).filter(|v| v.is_finite()) else {
            continue;
        };
        let half = baseline
            .spread
            .get(name)
            .map_or(0.0, |s| INTERVAL_Z * s / n.sqrt());
        let metric = EstimatedMetric {
            value,
            lower: (value - half).max(0.0),
            upper: (value + half).min(1.0),
            realised: None,
        };
        let violated = constraints.constraints().iter().any(|(k, c)| {
            k == name
                && c.comparison_operator == ComparisonOperator::LessThanThreshold
                && metric.upper < c.threshold
        });
        if violated {
            out.violations.push(name.to_string());
        }
        out.metrics.insert(name.to_string(), metric);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn baseline() -> CbpeBaseline {
        // a perfectly calibrated model on 40 rows: score 0.2 → 1 positive in 5, 0.8 → 4 in 5
        let mut scores = Vec::new();
        let mut actual = Vec::new();
        for i in 0..40 {
            let high = i % 2 == 0;
            scores.push(if high { 0.8 } else { 0.2 });
            actual.push(if high { i % 10 != 0 } else { i % 10 == 1 });
        }
        let predicted: Vec<bool> = scores.iter().map(|s| *s > 0.5).collect();
        CbpeBaseline::fit(&scores, &actual, &predicted).unwrap()
    }

    #[test]
    fn baseline_round_trips_and_refuses_other_files() {
        let b = baseline();
        assert_eq!(b.rows, 40);
        assert_eq!(b.chunk_size, 4);
        assert_eq!(CbpeBaseline::from_json("k", &b.to_json()).unwrap(), b);
        let e = CbpeBaseline::from_json("base/cbpe.json", b"{}").unwrap_err();
        assert!(e.to_string().contains("base/cbpe.json"), "{e}");
    }

    #[test]
    fn estimates_with_interval_and_violation_rule() {
        let b = baseline();
        // the fitted map: 0.2 → 1/5 ... the exact values depend on the rows above:
        // high rows i = 0, 2, …, 38: negative when i % 10 == 0 → 4 of 20 → p = 16/20 = 0.8
        // low rows i = 1, 3, …, 39: positive when i % 10 == 1 → 4 of 20 → p = 0.2
        assert_eq!(b.calibration.y, vec![0.2, 0.8]);
        let mut counter = ScoreCounter::default();
        for i in 0..100 {
            let high = i % 4 != 0;
            counter.push(
                600,
                Some(if high { "1" } else { "0" }),
                Some(if high { 0.8 } else { 0.2 }),
            );
        }
        counter.push(600, None, Some(0.5));
        let minutes = counter.finish();
        let mut bins = BTreeMap::new();
        merge_minutes(&mut bins, &minutes, 600, 660);
        let h = histogram(&bins, "1");
        assert_eq!(h.count(), 100);
        let constraints = ModelQualityConstraints::from_json(
            br#"{"version": 0.0, "binary_classification_constraints": {
                "accuracy": {"threshold": 0.9, "comparison_operator": "LessThanThreshold"},
                "recall": {"threshold": 0.5, "comparison_operator": "LessThanThreshold"}}}"#,
        )
        .unwrap();
        let est = estimate(&h, &b, &constraints).unwrap();
        // expected accuracy: each prediction is right with probability about 0.8; the bins'
        // centres are 0.2005 (interpolated between the map's thresholds 0.2 and 0.8) and
        // 0.8005 (beyond the last threshold: its value)
        let acc = &est.metrics["accuracy"];
        let p_hi = 0.8;
        let p_lo = 0.2 + 0.6 * (0.2005 - 0.2) / 0.6;
        let want = (75.0 * p_hi + 25.0 * (1.0 - p_lo)) / 100.0;
        assert!((acc.value - want).abs() < 1e-12, "{acc:?} vs {want}");
        let half = INTERVAL_Z * b.spread["accuracy"] / 10.0;
        assert!((acc.upper - (want + half).min(1.0)).abs() < 1e-12);
        assert!(acc.lower < acc.value && acc.value <= acc.upper);
        // accuracy's upper bound (≈ 0.8 + half) is below 0.9 only if half < 0.1
        assert_eq!(
            est.violations.contains(&"accuracy".to_string()),
            acc.upper < 0.9
        );
        assert!(!est.violations.contains(&"recall".to_string()));
        assert!(estimate(&CbpeHistogram::new(), &b, &constraints).is_none());
    }
}
