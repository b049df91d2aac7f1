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
//! exactly.
//!
//! Regression: the labels are numbers, judged by the policy's numeric rule
//! ([`crate::data_quality::policy::numeric_test`]): normalised Wasserstein effect above the
//! numeric floor **and** the KS test from the two KLL sketches (rank error folded in; Welch's t
//! on the exact moments joins where that error is large) significant, `LacksPower` when the
//! window cannot see an L∞ of the policy's power effect. The baseline keeps the labels'
//! sketch and moments in the block's `numeric_labels` (SageMaker's regression statistics keep
//! no label distribution); each window's labels are sketched in the joined state
//! ([`crate::model_quality::regression_state`]).

use std::collections::BTreeMap;

use drift_math::kll::KllSketch;
use drift_math::policy::{
    chi2_contingency_counts, chi2_p_value_at_share_change, decide, power_p_threshold,
    share_change_counts, Decision, FeatureEvidence,
};
use serde::{Deserialize, Serialize};
use serde_json::Map;

use crate::data_quality::policy::{decision_str, numeric_test, pool_sparse};
use crate::formats::constraints::DriftPolicy;
use crate::formats::model_quality::{
    ComparisonOperator, ConfusionMatrix, ModelQualityConstraints, ModelQualityStatistics,
    MqViolation,
};
use crate::model_quality::regression_state::RegressionState;
use crate::model_quality::QualityState;

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
    /// baseline records per actual label (classification)
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub label_counts: BTreeMap<String, u64>,
    /// the baseline's numeric labels (regression)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numeric_labels: Option<NumericLabels>,
}

/// The baseline's labels of a regression model: their sketch (the data-quality profile's KLL)
/// and exact moments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericLabels {
    /// labels counted
    pub count: u64,
    /// their mean
    pub mean: f64,
    /// their population standard deviation (the effect's unit)
    pub std_dev: f64,
    /// their KLL sketch
    pub sketch: KllSketch,
}

impl LabelDriftBlock {
    /// The block for a baseline confusion matrix, with the default policy.
    #[must_use]
    pub fn of(matrix: &ConfusionMatrix) -> Self {
        LabelDriftBlock {
            version: 1,
            policy: DriftPolicy::default(),
            label_counts: label_counts(matrix),
            numeric_labels: None,
        }
    }

    /// The block of a regression baseline's joined state, with the default policy; `None`
    /// without labels.
    #[must_use]
    pub fn of_regression(state: &RegressionState) -> Option<Self> {
        let moments = state.full().actual();
        Some(LabelDriftBlock {
            version: 1,
            policy: DriftPolicy::default(),
            label_counts: BTreeMap::new(),
            numeric_labels: Some(NumericLabels {
                count: moments.count(),
                mean: moments.mean()?,
                std_dev: moments.std_dev()?,
                sketch: state.label_sketch.clone()?,
            }),
        })
    }

    /// The block of a baseline's joined state: class counts for classification, the labels'
    /// sketch for regression.
    #[must_use]
    pub fn of_state(state: &QualityState, stats: &ModelQualityStatistics) -> Option<Self> {
        match state {
            QualityState::Regression(r) => Self::of_regression(r),
            _ => stats.confusion_matrix().map(Self::of),
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

/// The method of classification label drift.
pub const CATEGORICAL_METHOD: &str = "share_change+chi2_contingency";

/// The method of regression label drift (the policy's numeric rule).
pub const NUMERIC_METHOD: &str = "normalized_wasserstein+ks";

/// The label-drift check of one window (`execution.json`'s `label_drift`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelDrift {
    /// [`CATEGORICAL_METHOD`] or [`NUMERIC_METHOD`]
    pub method: String,
    /// classes seen on either side (0 for regression)
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
    /// the p-values the numeric test combined (`ks`, `welch_t`); empty for classification
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tests: BTreeMap<String, f64>,
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
        let description = if self.method == NUMERIC_METHOD {
            format!(
                "Label drift: the normalised Wasserstein distance {} of the labels exceeds {} and the KS test is significant (p-value {}) over {} labelled records.",
                self.effect, self.effect_floor, self.p_value, self.records
            )
        } else {
            format!(
                "Label drift: the largest class share change {} exceeds {} and the chi-squared contingency test is significant (p-value {}) over {} labelled records.",
                self.effect, self.effect_floor, self.p_value, self.records
            )
        };
        Some(MqViolation {
            extra,
            ..MqViolation::new(
                METRIC,
                ComparisonOperator::GreaterThanThreshold,
                description,
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
        method: CATEGORICAL_METHOD.into(),
        classes: labels.len(),
        records: m,
        effect,
        effect_floor: policy.categorical_effect_floor,
        p_value: chi2.p_value,
        decision: decision_str(decision).into(),
        tests: BTreeMap::new(),
    })
}

/// Judges a regression window's labels (their sketch and moments in `window`) against the
/// block's `numeric_labels` with the policy's numeric rule (module docs). `None` when either
/// side has no labels or no sketch.
#[must_use]
pub fn evaluate_numeric(block: &LabelDriftBlock, window: &RegressionState) -> Option<LabelDrift> {
    let base = block.numeric_labels.as_ref()?;
    let policy = &block.policy;
    let moments = window.full().actual();
    let t = numeric_test(
        &base.sketch,
        Some((base.mean, base.std_dev)),
        window.label_sketch.as_ref()?,
        moments,
        policy,
    )?;
    let threshold = power_p_threshold(policy.false_discovery_rate, policy.power).unwrap_or(0.0);
    let evidence = FeatureEvidence {
        effect: t.effect,
        effect_floor: policy.numerical_effect_floor,
        p_value: t.p_value,
        min_p_value: if t.power_p_value <= threshold {
            t.power_p_value
        } else {
            1.0
        },
    };
    let decision = decide(&[evidence], policy.false_discovery_rate)
        .ok()
        .and_then(|d| d.first().map(|d| d.decision))
        .unwrap_or(Decision::LacksPower);
    Some(LabelDrift {
        method: NUMERIC_METHOD.into(),
        classes: 0,
        records: moments.count(),
        effect: t.effect,
        effect_floor: policy.numerical_effect_floor,
        p_value: t.p_value,
        decision: decision_str(decision).into(),
        tests: t
            .components
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
    })
}

/// The label-drift check of a window's joined state: [`evaluate_numeric`] for regression,
/// [`evaluate`] on the confusion matrix of `stats` otherwise.
#[must_use]
pub fn evaluate_state(
    block: &LabelDriftBlock,
    state: &QualityState,
    stats: &ModelQualityStatistics,
) -> Option<LabelDrift> {
    match state {
        QualityState::Regression(r) => evaluate_numeric(block, r),
        _ => evaluate(block, stats.confusion_matrix()?),
    }
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

    fn regression(labels: impl Iterator<Item = f64>) -> QualityState {
        let options = crate::model_quality::QualityOptions {
            problem_type: crate::formats::model_quality::ProblemType::Regression,
            positive_label: "1".into(),
        };
        let mut s = QualityState::new(options.problem_type);
        for (i, y) in labels.enumerate() {
            // the prediction does not matter to label drift
            s.add(&i.to_string(), &y.to_string(), Some("0.5"), None, &options)
                .unwrap();
        }
        s
    }

    /// Baseline labels 0, 1, …, 999, window labels 100, …, 1099 (sketches below 2,050 values
    /// are exact, so KS alone judges):
    /// `scipy.stats.ks_2samp(np.arange(1000.), np.arange(100., 1100.)).statistic` = 0.1,
    /// its p-value at the policy's asymptotic law
    /// `scipy.special.kolmogorov(np.sqrt(1000 * 1000 / 2000) * 0.1)` = 9.079985952496105e-05,
    /// and the effect `scipy.stats.wasserstein_distance(a, b) / np.std(a)` = 0.3464103347189859.
    #[test]
    fn regression_labels_follow_the_numeric_rule() {
        let base = regression((0..1000).map(f64::from));
        let stats = base.to_statistics();
        let block = LabelDriftBlock::of_state(&base, &stats).unwrap();
        assert!(block.label_counts.is_empty());
        let n = block.numeric_labels.as_ref().unwrap();
        assert_eq!(n.count, 1000);
        assert!((n.mean - 499.5).abs() < 1e-12);
        // the block survives constraints.json
        let mut c = crate::formats::model_quality::suggest_constraints(&stats);
        block.write(&mut c);
        let c = ModelQualityConstraints::from_json(c.to_json().as_bytes()).unwrap();
        let block = LabelDriftBlock::read(&c).unwrap().unwrap();

        let window = regression((100..1100).map(f64::from));
        let d = evaluate_state(&block, &window, &window.to_statistics()).unwrap();
        assert_eq!(d.method, NUMERIC_METHOD);
        assert_eq!(d.records, 1000);
        assert!((d.effect - 0.3464103347189859).abs() < 1e-12, "{d:?}");
        assert!((d.p_value - 9.079985952496105e-05).abs() < 1e-15, "{d:?}");
        assert_eq!(d.tests.get("ks"), Some(&d.p_value));
        assert_eq!(
            d.effect_floor,
            DriftPolicy::default().numerical_effect_floor
        );
        assert!(d.violated());
        let v = d.violation().unwrap();
        assert_eq!(v.metric_name, METRIC);
        assert!(
            v.description.contains("normalised Wasserstein"),
            "{}",
            v.description
        );
        // the baseline's own labels: KS statistic 0 (ks_2samp of equal samples), p-value 1
        let same = regression((0..1000).map(f64::from));
        let s = evaluate_state(&block, &same, &same.to_statistics()).unwrap();
        assert_eq!((s.effect, s.p_value), (0.0, 1.0));
        assert_eq!(s.decision, "NoDrift");
        // 10 labels cannot show an L∞ of 0.1 at the policy's power
        let tiny = regression((0..10).map(|i| f64::from(i) * 100.0));
        let t = evaluate_state(&block, &tiny, &tiny.to_statistics()).unwrap();
        assert_eq!(t.decision, "LacksPower");
        // a classification block says nothing of a regression window, and vice versa
        let cls = LabelDriftBlock::of(&matrix(&[("0", &[("0", 5)])]));
        assert!(evaluate_state(&cls, &window, &window.to_statistics()).is_none());
    }
}
