//! Model quality: the mergeable metric state of joined (prediction, label) records, its
//! SageMaker `statistics.json` (model-quality layout), and the constraint checks.
//!
//! The numbers come from `drift_math::quality`: exact counts and moments plus fine score
//! histograms for AUC and curves, each with five replicate 80 % subsamples that give
//! SageMaker's `standard_deviation` (spec §8.1).

pub mod cbpe;
pub mod intervals;
pub mod label_drift;
pub mod metrics;
pub mod regression_state;
pub mod tick;

use drift_math::quality::{
    BinaryMetric, BinaryQuality, MulticlassMetric, MulticlassQuality, RegressionMetric,
    MIN_SAMPLES_FOR_STD,
};
use serde::{Deserialize, Serialize};

use crate::formats::model_quality::{
    is_violated, mq_violation_description, violation_metric_name, ConfusionMatrix, MetricEntry,
    ModelQualityConstraints, ModelQualityStatistics, ModelQualityViolations, MqViolation,
    ProblemType, ScalarMetric,
};
use crate::formats::number;

/// How a joined record is scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityOptions {
    /// problem type
    pub problem_type: ProblemType,
    /// the positive label of binary classification (default `"1"`)
    #[serde(default = "one")]
    pub positive_label: String,
}

fn one() -> String {
    "1".into()
}

/// Mergeable model-quality state of one problem type.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "problem_type", content = "state")]
pub enum QualityState {
    /// binary classification
    BinaryClassification(BinaryQuality),
    /// multiclass classification
    MulticlassClassification(MulticlassQuality),
    /// regression
    Regression(regression_state::RegressionState),
}

impl QualityState {
    /// An empty state.
    pub fn new(problem_type: ProblemType) -> Self {
        match problem_type {
            ProblemType::BinaryClassification => {
                QualityState::BinaryClassification(BinaryQuality::new())
            }
            ProblemType::MulticlassClassification => {
                QualityState::MulticlassClassification(MulticlassQuality::new())
            }
            ProblemType::Regression => {
                QualityState::Regression(regression_state::RegressionState::new())
            }
        }
    }

    /// The problem type.
    pub fn problem_type(&self) -> ProblemType {
        match self {
            QualityState::BinaryClassification(_) => ProblemType::BinaryClassification,
            QualityState::MulticlassClassification(_) => ProblemType::MulticlassClassification,
            QualityState::Regression(_) => ProblemType::Regression,
        }
    }

    /// Adds one joined record: `key` is its join key (picks its replicates), `actual` the
    /// ground-truth label, `predicted` the predicted label, `probability` the score.
    pub fn add(
        &mut self,
        key: &str,
        actual: &str,
        predicted: Option<&str>,
        probability: Option<f64>,
        options: &QualityOptions,
    ) -> Result<(), String> {
        match self {
            QualityState::BinaryClassification(s) => {
                let predicted = predicted.ok_or("no predicted label")?;
                s.update(
                    key,
                    label_matches(actual, &options.positive_label),
                    label_matches(predicted, &options.positive_label),
                    probability,
                )
                .map_err(|e| e.to_string())
            }
            QualityState::MulticlassClassification(s) => {
                let predicted = predicted.ok_or("no predicted label")?;
                s.update(key, actual.trim(), predicted.trim());
                Ok(())
            }
            QualityState::Regression(s) => {
                // Both must be usable numbers (formats::number): one `1e200` would overflow
                // the squared error sums to inf, which no state file can hold.
                let usable = |text: &str, what: &str| match number::parse(text) {
                    Ok(Some(x)) => Ok(x),
                    Ok(None) => Err(format!("{what} {text:?} is not a number")),
                    Err(e) => Err(format!("{what}: {e}")),
                };
                let y = usable(actual, "label")?;
                let y_hat: f64 = match (predicted, probability) {
                    (Some(p), _) => usable(p, "prediction")?,
                    (None, Some(p)) => {
                        number::check(p, &p.to_string()).map_err(|e| format!("prediction: {e}"))?
                    }
                    (None, None) => return Err("no prediction".into()),
                };
                s.update(key, y, y_hat).map_err(|e| e.to_string())
            }
        }
    }

    /// Adds another state of the same problem type (a mismatch is ignored and reported).
    pub fn merge(&mut self, other: &QualityState) -> bool {
        match (self, other) {
            (QualityState::BinaryClassification(a), QualityState::BinaryClassification(b)) => {
                a.merge(b)
            }
            (
                QualityState::MulticlassClassification(a),
                QualityState::MulticlassClassification(b),
            ) => a.merge(b),
            (QualityState::Regression(a), QualityState::Regression(b)) => a.merge(b),
            _ => return false,
        }
        true
    }

    /// Records in the state.
    pub fn count(&self) -> u64 {
        match self {
            QualityState::BinaryClassification(s) => s.count(),
            QualityState::MulticlassClassification(s) => s.count(),
            QualityState::Regression(s) => s.count(),
        }
    }

    /// SageMaker's model-quality statistics.json content.
    pub fn to_statistics(&self) -> ModelQualityStatistics {
        let std_ok = self.count() >= MIN_SAMPLES_FOR_STD;
        let scalar = |v: drift_math::quality::MetricValue| {
            MetricEntry::Scalar(ScalarMetric {
                value: v.value,
                standard_deviation: Some(if std_ok {
                    v.standard_deviation
                } else {
                    f64::NAN
                }),
            })
        };
        let mut metrics: Vec<(String, MetricEntry)> = Vec::new();
        match self {
            QualityState::BinaryClassification(s) => {
                metrics.push((
                    "confusion_matrix".into(),
                    confusion(s.full().confusion_matrix()),
                ));
                for m in BinaryMetric::ALL {
                    metrics.push((m.key().to_string(), scalar(s.metric(m))));
                }
                let roc = s.full().roc_curve();
                metrics.push((
                    "receiver_operating_characteristic_curve".into(),
                    MetricEntry::Roc {
                        false_positive_rates: roc.false_positive_rates,
                        true_positive_rates: roc.true_positive_rates,
                    },
                ));
                let pr = s.full().pr_curve();
                metrics.push((
                    "precision_recall_curve".into(),
                    MetricEntry::PrecisionRecall {
                        precisions: pr.precisions,
                        recalls: pr.recalls,
                    },
                ));
            }
            QualityState::MulticlassClassification(s) => {
                metrics.push((
                    "confusion_matrix".into(),
                    confusion(s.full().confusion_matrix()),
                ));
                for m in MulticlassMetric::ALL {
                    metrics.push((m.key().to_string(), scalar(s.metric(m))));
                }
            }
            QualityState::Regression(s) => {
                for m in RegressionMetric::ALL {
                    metrics.push((m.key().to_string(), scalar(s.metric(m))));
                }
            }
        }
        ModelQualityStatistics::new(self.problem_type(), self.count(), metrics)
    }
}

/// Whether a label text is the positive label (numeric labels compare as numbers, so
/// `1.0` matches `1`).
pub fn label_matches(label: &str, positive: &str) -> bool {
    let (a, b) = (label.trim(), positive.trim());
    a == b || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if x == y)
}

fn confusion(
    m: std::collections::BTreeMap<String, std::collections::BTreeMap<String, u64>>,
) -> MetricEntry {
    MetricEntry::ConfusionMatrix(ConfusionMatrix {
        rows: m
            .into_iter()
            .map(|(a, row)| (a, row.into_iter().collect()))
            .collect(),
    })
}

/// Checks model-quality statistics against constraints (spec §4.3, §5.2).
pub fn check_model_quality(
    stats: &ModelQualityStatistics,
    constraints: &ModelQualityConstraints,
) -> ModelQualityViolations {
    let mut violations = Vec::new();
    for (name, c) in constraints.constraints() {
        let Some(m) = stats.scalar(name) else {
            continue;
        };
        if is_violated(m.value, c.comparison_operator, c.threshold) {
            violations.push(MqViolation::new(
                violation_metric_name(name),
                c.comparison_operator,
                mq_violation_description(
                    &violation_metric_name(name),
                    m.value,
                    m.standard_deviation,
                    c.comparison_operator,
                    c.threshold,
                ),
            ));
        }
    }
    ModelQualityViolations {
        violations,
        ..ModelQualityViolations::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::model_quality::suggest_constraints;

    fn binary() -> QualityOptions {
        QualityOptions {
            problem_type: ProblemType::BinaryClassification,
            positive_label: "1".into(),
        }
    }

    /// Issue 11 item 2: a regression label `1e200` made the state non-finite. It is refused
    /// (the record is counted bad by the caller) and the state stays finite and writable.
    #[test]
    fn regression_refuses_unusable_numbers() {
        let options = QualityOptions {
            problem_type: ProblemType::Regression,
            positive_label: String::new(),
        };
        let mut s = QualityState::new(ProblemType::Regression);
        s.add("a", "2.0", Some("1.5"), None, &options).unwrap();
        let e = s
            .add("b", "1e200", Some("1.5"), None, &options)
            .unwrap_err();
        assert!(e.contains("1e200"), "{e}");
        let e = s.add("c", "1", Some("inf"), None, &options).unwrap_err();
        assert!(e.contains("inf"), "{e}");
        let e = s
            .add("d", "1", None, Some(f64::INFINITY), &options)
            .unwrap_err();
        assert!(e.contains("not a finite number"), "{e}");
        assert_eq!(s.count(), 1, "only the good record was added");
    }

    #[test]
    fn binary_state_writes_sagemaker_metrics_and_checks() {
        // The DG example: TN=1, FP=2, FN=0, TP=1 (spec §8.3).
        let mut s = QualityState::new(ProblemType::BinaryClassification);
        let rows = [
            ("a", "0", "0"),
            ("b", "0", "1"),
            ("c", "0", "1"),
            ("d", "1", "1"),
        ];
        for (k, y, p) in rows {
            s.add(k, y, Some(p), None, &binary()).unwrap();
        }
        let stats = s.to_statistics();
        assert_eq!(stats.scalar("accuracy").unwrap().value, 0.5);
        assert_eq!(stats.scalar("precision").unwrap().value, 1.0 / 3.0);
        assert_eq!(stats.scalar("recall").unwrap().value, 1.0);
        assert!(stats
            .scalar("accuracy")
            .unwrap()
            .standard_deviation
            .unwrap()
            .is_nan());
        let constraints = suggest_constraints(&stats);
        assert!(check_model_quality(&stats, &constraints)
            .violations
            .is_empty());

        let mut worse = QualityState::new(ProblemType::BinaryClassification);
        for (k, y, p) in [
            ("a", "1", "0"),
            ("b", "0", "1"),
            ("c", "1", "1"),
            ("d", "0", "1"),
        ] {
            worse.add(k, y, Some(p), None, &binary()).unwrap();
        }
        let v = check_model_quality(&worse.to_statistics(), &constraints);
        assert!(
            v.violations.iter().any(|v| v.metric_name == "accuracy"),
            "{v:?}"
        );
    }

    #[test]
    fn regression_and_merge() {
        let opts = QualityOptions {
            problem_type: ProblemType::Regression,
            positive_label: "1".into(),
        };
        let mut a = QualityState::new(ProblemType::Regression);
        let mut b = QualityState::new(ProblemType::Regression);
        a.add("1", "3.0", Some("2.5"), None, &opts).unwrap();
        b.add("2", "1.0", None, Some(2.0), &opts).unwrap();
        assert!(a.merge(&b));
        // numpy: np.mean(np.abs([3.0-2.5, 1.0-2.0])) == 0.75
        assert_eq!(a.to_statistics().scalar("mae").unwrap().value, 0.75);
        assert!(a.add("3", "x", Some("1"), None, &opts).is_err());
        assert!(!a.merge(&QualityState::new(ProblemType::BinaryClassification)));
        assert!(label_matches("1.0", "1"));
    }
}
