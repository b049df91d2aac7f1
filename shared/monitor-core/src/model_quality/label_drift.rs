//! Label drift (issue 13, item 5): when labels arrive, the window's class shares against the
//! baseline's, with the data-quality drift policy's rule for a categorical feature
//! ([`crate::data_quality::policy`]): the largest class share change must exceed the
//! policy's categorical floor **and** the 2×k χ² contingency test (sparse classes pooled by
//! Cochran's rule) must be significant at the policy's false discovery rate (a family of one
//! test); a window too small to see the policy's power effect says `LacksPower`.
//!
//! The baseline's class counts are the actual-label row sums of its confusion matrix, kept by
//! `modelwatch baseline --problem-type …` in the `modelwatch_label_drift` block of the
//! model-quality `constraints.json` (a key SageMaker ignores). Constraints without the block
//! (written by SageMaker, imported) get no label-drift check, so SageMaker's rules stay
//! exactly. Regression labels are not covered: their baseline statistics keep no label
//! distribution to compare with.

use std::collections::BTreeMap;

use drift_math::policy::{
    chi2_contingency_counts, chi2_p_value_at_share_change, decide, power_p_threshold,
    share_change_counts, Decision, FeatureEvidence,
};
use serde::{Deserialize, Serialize};
use serde_json::Map;

use crate::data_quality::policy::{decision_str, pool_sparse};
use crate::formats::constraints::DriftPolicy;
use crate::formats::model_quality::{
    ComparisonOperator, ConfusionMatrix, ModelQualityConstraints, MqViolation,
};

/// Key of the block in the model-quality `constraints.json`.
pub const LABEL_DRIFT_KEY: &str = "modelwatch_label_drift";

/// The metric (largest class share change, raw) and, with `_p_value`, its test's p-value.
pub const METRIC: &str = "label_drift";

/// The `modelwatch_label_drift` block: the policy and the baseline's class counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelDriftBlock {
    /// block format version; this crate writes and reads 1
    pub version: u32,
    /// the drift policy the check follows
    pub policy: DriftPolicy,
    /// baseline records per actual label
    pub label_counts: BTreeMap<String, u64>,
}

impl LabelDriftBlock {
    /// The block for a baseline confusion matrix, with the default policy.
    #[must_use]
    pub fn of(matrix: &ConfusionMatrix) -> Self {
        LabelDriftBlock {
            version: 1,
            policy: DriftPolicy::default(),
            label_counts: label_counts(matrix),
        }
    }

    /// The block of `constraints`, if present and readable (an unreadable block is reported
    /// as `Err` with serde's message).
    ///
    /// # Errors
    /// serde's message when the block does not have the block's shape.
    pub fn read(constraints: &ModelQualityConstraints) -> Result<Option<Self>, String> {
        constraints
            .extra
            .get(LABEL_DRIFT_KEY)
            .map(|v| LabelDriftBlock::deserialize(v).map_err(|e| format!("{LABEL_DRIFT_KEY}: {e}")))
            .transpose()
    }

    /// Writes the block into `constraints`.
    pub fn write(&self, constraints: &mut ModelQualityConstraints) {
        if let Ok(v) = serde_json::to_value(self) {
            constraints.extra.insert(LABEL_DRIFT_KEY.into(), v);
        }
    }
}

/// Records per actual label: the row sums of a confusion matrix.
#[must_use]
pub fn label_counts(matrix: &ConfusionMatrix) -> BTreeMap<String, u64> {
    matrix
        .rows
        .iter()
        .map(|(actual, row)| (actual.clone(), row.iter().map(|(_, n)| n).sum()))
        .collect()
}

/// The label-drift check of one window (`execution.json`'s `label_drift`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelDrift {
    /// `"share_change+chi2_contingency"`
    pub method: String,
    /// classes seen on either side
    pub classes: usize,
    /// labelled records of the window
    pub records: u64,
    /// largest class share change (raw)
    pub effect: f64,
    /// the floor it must exceed
    pub effect_floor: f64,
    /// χ² contingency p-value
    pub p_value: f64,
    /// `Drift`, `NoDrift` or `LacksPower`
    pub decision: String,
}

impl LabelDrift {
    /// `true` when the verdict is drift.
    #[must_use]
    pub fn violated(&self) -> bool {
        self.decision == decision_str(Decision::Drift)
    }

    /// The model-quality violation of a drifted window.
    #[must_use]
    pub fn violation(&self) -> Option<MqViolation> {
        if !self.violated() {
            return None;
        }
        let mut extra = Map::new();
        if let Ok(v) = serde_json::to_value(self) {
            extra.insert(LABEL_DRIFT_KEY.into(), v);
        }
        Some(MqViolation {
            extra,
            ..MqViolation::new(
                METRIC,
                ComparisonOperator::GreaterThanThreshold,
                format!(
                    "Label drift: the largest class share change {} exceeds {} and the chi-squared contingency test is significant (p-value {}) over {} labelled records.",
                    self.effect, self.effect_floor, self.p_value, self.records
                ),
            )
        })
    }
}

/// Judges the window's actual labels (`window`, its confusion matrix) against the block.
/// `None` when either side has no label.
#[must_use]
pub fn evaluate(block: &LabelDriftBlock, window: &ConfusionMatrix) -> Option<LabelDrift> {
    let current = label_counts(window);
    let labels: Vec<&String> = block
        .label_counts
        .keys()
        .chain(
            current
                .keys()
                .filter(|k| !block.label_counts.contains_key(*k)),
        )
        .collect();
    let base: Vec<u64> = labels
        .iter()
        .map(|l| block.label_counts.get(*l).copied().unwrap_or(0))
        .collect();
    let win: Vec<u64> = labels
        .iter()
        .map(|l| current.get(*l).copied().unwrap_or(0))
        .collect();
    let policy = &block.policy;
    let effect = share_change_counts(&base, &win).ok()??;
    let (b, w) = pool_sparse(&base, &win);
    let chi2 = chi2_contingency_counts(&b, &w).ok()??;
    let (n, m): (u64, u64) = (b.iter().sum(), w.iter().sum());
    let power_p = chi2_p_value_at_share_change(n, m, chi2.degrees_of_freedom, policy.power_effect);
    let threshold = power_p_threshold(policy.false_discovery_rate, policy.power).unwrap_or(0.0);
    let evidence = FeatureEvidence {
        effect,
        effect_floor: policy.categorical_effect_floor,
        p_value: chi2.p_value,
        min_p_value: if power_p <= threshold { power_p } else { 1.0 },
    };
    let decision = decide(&[evidence], policy.false_discovery_rate)
        .ok()
        .and_then(|d| d.first().map(|d| d.decision))
        .unwrap_or(Decision::LacksPower);
    Some(LabelDrift {
        method: "share_change+chi2_contingency".into(),
        classes: labels.len(),
        records: m,
        effect,
        effect_floor: policy.categorical_effect_floor,
        p_value: chi2.p_value,
        decision: decision_str(decision).into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(rows: &[(&str, &[(&str, u64)])]) -> ConfusionMatrix {
        ConfusionMatrix {
            rows: rows
                .iter()
                .map(|(a, r)| {
                    (
                        a.to_string(),
                        r.iter().map(|(p, n)| (p.to_string(), *n)).collect(),
                    )
                })
                .collect(),
        }
    }

    /// Baseline labels 700 × "0", 300 × "1"; a window of 1000 labels at 60 / 40 % (a 10-point
    /// change): `scipy.stats.chi2_contingency([[700, 300], [600, 400]], correction=False)`
    /// gives statistic 21.978021978021978, p-value 2.7579e-06 (`.pvalue` =
    /// 2.757905777054695e-06); the same shares as the baseline give p-value 1.
    #[test]
    fn a_label_share_change_is_label_drift_and_the_same_shares_are_not() {
        let base = matrix(&[
            ("0", &[("0", 650), ("1", 50)]),
            ("1", &[("0", 100), ("1", 200)]),
        ]);
        let block = LabelDriftBlock::of(&base);
        assert_eq!(block.label_counts["0"], 700);
        let drifted = matrix(&[("0", &[("0", 600)]), ("1", &[("1", 400)])]);
        let d = evaluate(&block, &drifted).unwrap();
        assert!((d.p_value - 2.757905777054695e-06).abs() < 1e-12, "{d:?}");
        assert!((d.effect - 0.1).abs() < 1e-12);
        assert!(d.violated());
        let v = d.violation().unwrap();
        assert_eq!(v.metric_name, METRIC);
        let same = matrix(&[("0", &[("0", 700)]), ("1", &[("1", 300)])]);
        let s = evaluate(&block, &same).unwrap();
        assert!((s.p_value - 1.0).abs() < 1e-12);
        assert_eq!(s.decision, "NoDrift");
        assert!(s.violation().is_none());
        // 10 labels cannot show a 10-point change at the policy's power
        let tiny = matrix(&[("0", &[("0", 5)]), ("1", &[("1", 5)])]);
        assert_eq!(evaluate(&block, &tiny).unwrap().decision, "LacksPower");
    }
}
