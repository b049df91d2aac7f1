//! Model-quality intervals (issue 13, item 6): labels are scarce and noisy, so a metric is
//! judged by its interval, not its point value.
//!
//! * **Baseline**: `modelwatch baseline --problem-type …` writes, beside SageMaker's
//!   constraints, a `modelwatch_intervals` block: per metric the 95 % normal interval
//!   `value ± z·standard_deviation`, from the standard deviation SageMaker's analyzer already
//!   reports (its spread over replicate 80 % subsamples; no extra bootstrap).
//! * **Window**: accuracy gets Wilson's score interval from the window's confusion matrix
//!   (correct / labelled, exact counts); every other metric the normal interval from the
//!   window's own reported standard deviation.
//! * **Violation**: only when the intervals do not overlap on the bad side: a higher-is-better
//!   metric (`LessThanThreshold`) when the window's upper bound is below the baseline's lower
//!   bound, an error metric (`GreaterThanThreshold`) when the window's lower bound is above the
//!   baseline's upper bound. A metric without a window interval (too few labels for a standard
//!   deviation) is not judged.
//!
//! Constraints without the block (SageMaker-written, imported) keep SageMaker's point rule
//! exactly ([`crate::model_quality::check_model_quality`]).

use std::collections::BTreeMap;

use drift_math::interval::{normal, wilson, Interval};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map};

use crate::formats::jackson::java_double;
use crate::formats::model_quality::{
    violation_metric_name, ComparisonOperator, ConfusionMatrix, ModelQualityConstraints,
    ModelQualityStatistics, ModelQualityViolations, MqViolation,
};

/// Key of the block in the model-quality `constraints.json`.
pub const INTERVALS_KEY: &str = "modelwatch_intervals";

/// The confidence of every interval.
pub const CONFIDENCE: f64 = 0.95;

/// The `modelwatch_intervals` block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalsBlock {
    /// block format version; this crate writes and reads 1
    pub version: u32,
    /// the intervals' confidence
    pub confidence: f64,
    /// how the baseline intervals were made
    pub method: String,
    /// per metric (statistics key), the baseline interval
    pub metrics: BTreeMap<String, Interval>,
}

impl IntervalsBlock {
    /// The block of a baseline's statistics: a normal interval for every scalar metric with a
    /// finite standard deviation.
    #[must_use]
    pub fn of(stats: &ModelQualityStatistics) -> Self {
        let metrics = stats
            .metrics()
            .iter()
            .filter_map(|(k, _)| {
                let s = stats.scalar(k)?;
                let i = normal(s.value, s.standard_deviation?, CONFIDENCE)?;
                Some((k.clone(), i))
            })
            .collect();
        IntervalsBlock {
            version: 1,
            confidence: CONFIDENCE,
            method:
                "normal: value ± z·standard_deviation (SageMaker's replicate standard deviation)"
                    .into(),
            metrics,
        }
    }

    /// The block of `constraints`, if present and readable.
    ///
    /// # Errors
    /// serde's message when the block does not have the block's shape.
    pub fn read(constraints: &ModelQualityConstraints) -> Result<Option<Self>, String> {
        constraints
            .extra
            .get(INTERVALS_KEY)
            .map(|v| IntervalsBlock::deserialize(v).map_err(|e| format!("{INTERVALS_KEY}: {e}")))
            .transpose()
    }

    /// Writes the block into `constraints`.
    pub fn write(&self, constraints: &mut ModelQualityConstraints) {
        if let Ok(v) = serde_json::to_value(self) {
            constraints.extra.insert(INTERVALS_KEY.into(), v);
        }
    }
}

/// Correct predictions and labelled records of a confusion matrix (its diagonal and total).
#[must_use]
pub fn correct_of(matrix: &ConfusionMatrix) -> (u64, u64) {
    let mut correct = 0;
    let mut total = 0;
    for (actual, row) in &matrix.rows {
        for (predicted, n) in row {
            total += n;
            if predicted == actual {
                correct += n;
            }
        }
    }
    (correct, total)
}

/// The window's interval of metric `key`: Wilson for accuracy (from the confusion matrix),
/// else the normal interval from its reported standard deviation.
#[must_use]
pub fn window_interval(stats: &ModelQualityStatistics, key: &str) -> Option<Interval> {
    if key == "accuracy" {
        if let Some((k, n)) = stats.confusion_matrix().map(correct_of) {
            return wilson(k, n, CONFIDENCE);
        }
    }
    let s = stats.scalar(key)?;
    normal(s.value, s.standard_deviation?, CONFIDENCE)
}

/// Checks the window's statistics against the constraints under the interval rule (module
/// docs); metrics the block has no interval for keep SageMaker's point rule.
#[must_use]
pub fn check_with_intervals(
    stats: &ModelQualityStatistics,
    constraints: &ModelQualityConstraints,
    block: &IntervalsBlock,
) -> ModelQualityViolations {
    let mut point = constraints.clone();
    point
        .constraints
        .retain(|(k, _)| !block.metrics.contains_key(k));
    let mut out = crate::model_quality::check_model_quality(stats, &point);
    for (key, c) in constraints.constraints() {
        let (Some(base), Some(win), Some(m)) = (
            block.metrics.get(key),
            window_interval(stats, key),
            stats.scalar(key),
        ) else {
            continue;
        };
        let violated = match c.comparison_operator {
            ComparisonOperator::LessThanThreshold => win.upper < base.lower,
            ComparisonOperator::GreaterThanThreshold => win.lower > base.upper,
        };
        if !violated {
            continue;
        }
        let name = violation_metric_name(key);
        let mut extra = Map::new();
        extra.insert(
            INTERVALS_KEY.into(),
            json!({"window": win, "baseline": base, "confidence": block.confidence}),
        );
        out.violations.push(MqViolation {
            extra,
            ..MqViolation::new(
                name.clone(),
                c.comparison_operator,
                format!(
                    "Metric {name} with {} (95% interval [{}, {}]) was {} the baseline's 95% interval [{}, {}]",
                    java_double(m.value),
                    java_double(win.lower),
                    java_double(win.upper),
                    match c.comparison_operator {
                        ComparisonOperator::LessThanThreshold => "entirely below",
                        ComparisonOperator::GreaterThanThreshold => "entirely above",
                    },
                    java_double(base.lower),
                    java_double(base.upper),
                ),
            )
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::model_quality::{
        suggest_constraints, MetricEntry, ProblemType, ScalarMetric,
    };

    /// A binary window: accuracy `correct / 200` with its confusion matrix.
    fn window(correct: u64) -> ModelQualityStatistics {
        let wrong = 200 - correct;
        let matrix = ConfusionMatrix {
            rows: vec![
                (
                    "0".into(),
                    vec![("0".into(), correct / 2), ("1".into(), wrong)],
                ),
                ("1".into(), vec![("1".into(), correct - correct / 2)]),
            ],
        };
        ModelQualityStatistics::new(
            ProblemType::BinaryClassification,
            200,
            [
                (
                    "confusion_matrix".to_string(),
                    MetricEntry::ConfusionMatrix(matrix),
                ),
                (
                    "accuracy".to_string(),
                    MetricEntry::Scalar(ScalarMetric::new(correct as f64 / 200.0, 0.02)),
                ),
            ],
        )
    }

    /// Baseline accuracy 0.85 ± 0.01: interval 0.85 ∓ 1.959963984540054 · 0.01 =
    /// [0.8304003601545994, 0.8695996398454006] (`scipy.stats.norm.ppf(0.975)`). A window at
    /// 160/200 = 0.80 fails SageMaker's point rule (0.80 < 0.85) but its Wilson interval
    /// `proportion_confint(160, 200, alpha=0.05, method='wilson')` = (0.7391, 0.8495) overlaps
    /// the baseline's: no violation. At 140/200 = 0.70 it is (0.6332093162728073,
    /// 0.759252553176286), entirely below: a violation.
    #[test]
    fn the_window_interval_is_compared_with_the_baseline_interval() {
        let base = ModelQualityStatistics::new(
            ProblemType::BinaryClassification,
            1000,
            [(
                "accuracy".to_string(),
                MetricEntry::Scalar(ScalarMetric::new(0.85, 0.01)),
            )],
        );
        let constraints = suggest_constraints(&base);
        let block = IntervalsBlock::of(&base);
        let b = block.metrics["accuracy"];
        assert!((b.lower - 0.8304003601545994).abs() < 1e-9, "{b:?}");
        assert!((b.upper - 0.8695996398454006).abs() < 1e-9, "{b:?}");
        // SageMaker's rule flags 0.80; the interval rule does not
        let w = window(160);
        assert_eq!(
            crate::model_quality::check_model_quality(&w, &constraints)
                .violations
                .len(),
            1
        );
        assert!(check_with_intervals(&w, &constraints, &block)
            .violations
            .is_empty());
        let wi = window_interval(&w, "accuracy").unwrap();
        assert!((wi.upper - 0.8495479907390189).abs() < 1e-9, "{wi:?}");
        // 0.70 is below the baseline's interval
        let w = window(140);
        let v = check_with_intervals(&w, &constraints, &block);
        assert_eq!(v.violations.len(), 1);
        let wi = &v.violations[0].extra[INTERVALS_KEY]["window"];
        assert!((wi["upper"].as_f64().unwrap() - 0.759252553176286).abs() < 1e-9);
        assert!(v.violations[0].description.contains("entirely below"));
        // the block round-trips through the constraints
        let mut c = constraints.clone();
        block.write(&mut c);
        assert_eq!(IntervalsBlock::read(&c).unwrap(), Some(block));
    }
}
