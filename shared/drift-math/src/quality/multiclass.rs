//! Multiclass classification: the `actual → predicted → count` matrix and its metrics.

use super::*;

// ---------------------------------------------------------------------------------------------
// multiclass classification
// ---------------------------------------------------------------------------------------------

/// Scalar metrics of `multiclass_classification_metrics` (spec §8.2), in SageMaker's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MulticlassMetric {
    /// `accuracy`
    Accuracy,
    /// `weighted_recall`
    WeightedRecall,
    /// `weighted_precision`
    WeightedPrecision,
    /// `weighted_f0_5`
    WeightedF0_5,
    /// `weighted_f1`
    WeightedF1,
    /// `weighted_f2`
    WeightedF2,
    /// `accuracy_best_constant_classifier`
    AccuracyBestConstantClassifier,
    /// `weighted_recall_best_constant_classifier`
    WeightedRecallBestConstantClassifier,
    /// `weighted_precision_best_constant_classifier`
    WeightedPrecisionBestConstantClassifier,
    /// `weighted_f0_5_best_constant_classifier`
    WeightedF0_5BestConstantClassifier,
    /// `weighted_f1_best_constant_classifier`
    WeightedF1BestConstantClassifier,
    /// `weighted_f2_best_constant_classifier`
    WeightedF2BestConstantClassifier,
}

impl MulticlassMetric {
    /// Every scalar multiclass metric in SageMaker's key order (spec §8.2).
    pub const ALL: [MulticlassMetric; 12] = [
        MulticlassMetric::Accuracy,
        MulticlassMetric::WeightedRecall,
        MulticlassMetric::WeightedPrecision,
        MulticlassMetric::WeightedF0_5,
        MulticlassMetric::WeightedF1,
        MulticlassMetric::WeightedF2,
        MulticlassMetric::AccuracyBestConstantClassifier,
        MulticlassMetric::WeightedRecallBestConstantClassifier,
        MulticlassMetric::WeightedPrecisionBestConstantClassifier,
        MulticlassMetric::WeightedF0_5BestConstantClassifier,
        MulticlassMetric::WeightedF1BestConstantClassifier,
        MulticlassMetric::WeightedF2BestConstantClassifier,
    ];

    /// The `statistics.json` / `constraints.json` key (spec §8.2).
    pub fn key(self) -> &'static str {
        match self {
            MulticlassMetric::Accuracy => "accuracy",
            MulticlassMetric::WeightedRecall => "weighted_recall",
            MulticlassMetric::WeightedPrecision => "weighted_precision",
            MulticlassMetric::WeightedF0_5 => "weighted_f0_5",
            MulticlassMetric::WeightedF1 => "weighted_f1",
            MulticlassMetric::WeightedF2 => "weighted_f2",
            MulticlassMetric::AccuracyBestConstantClassifier => "accuracy_best_constant_classifier",
            MulticlassMetric::WeightedRecallBestConstantClassifier => {
                "weighted_recall_best_constant_classifier"
            }
            MulticlassMetric::WeightedPrecisionBestConstantClassifier => {
                "weighted_precision_best_constant_classifier"
            }
            MulticlassMetric::WeightedF0_5BestConstantClassifier => {
                "weighted_f0_5_best_constant_classifier"
            }
            MulticlassMetric::WeightedF1BestConstantClassifier => {
                "weighted_f1_best_constant_classifier"
            }
            MulticlassMetric::WeightedF2BestConstantClassifier => {
                "weighted_f2_best_constant_classifier"
            }
        }
    }

    /// Whether this is a `*_best_constant_classifier` metric.
    pub fn is_best_constant_classifier(self) -> bool {
        self.base() != self
    }

    /// The model metric a `*_best_constant_classifier` metric applies to the constant
    /// classifier (itself for the others).
    pub fn base(self) -> MulticlassMetric {
        match self {
            MulticlassMetric::AccuracyBestConstantClassifier => MulticlassMetric::Accuracy,
            MulticlassMetric::WeightedRecallBestConstantClassifier => {
                MulticlassMetric::WeightedRecall
            }
            MulticlassMetric::WeightedPrecisionBestConstantClassifier => {
                MulticlassMetric::WeightedPrecision
            }
            MulticlassMetric::WeightedF0_5BestConstantClassifier => MulticlassMetric::WeightedF0_5,
            MulticlassMetric::WeightedF1BestConstantClassifier => MulticlassMetric::WeightedF1,
            MulticlassMetric::WeightedF2BestConstantClassifier => MulticlassMetric::WeightedF2,
            m => m,
        }
    }
}

/// Per true class: support (true-label count), true positives, predicted count.
#[derive(Debug, Clone, Copy)]
struct ClassStat {
    support: u64,
    tp: u64,
    predicted: u64,
}

/// Spark `MulticlassMetrics` over per-class statistics (true classes only, ascending label
/// order). `n` is the total record count.
fn multiclass_value(stats: &[ClassStat], n: u64, m: MulticlassMetric) -> f64 {
    if n == 0 {
        return f64::NAN;
    }
    let nf = n as f64;
    // precision(c) = tp / (tp + fp), 0 when the class is never predicted (Spark)
    let precision = |s: &ClassStat| {
        if s.predicted == 0 {
            0.0
        } else {
            s.tp as f64 / s.predicted as f64
        }
    };
    // recall(c) = tp / support (support ≥ 1 for every true class)
    let recall = |s: &ClassStat| s.tp as f64 / s.support as f64;
    // Σ_c x_c · support_c / N, the product first, as Spark writes it
    let weighted = |x: &dyn Fn(&ClassStat) -> f64| {
        stats
            .iter()
            .map(|s| x(s) * s.support as f64 / nf)
            .sum::<f64>()
    };
    match m.base() {
        MulticlassMetric::Accuracy => stats.iter().map(|s| s.tp).sum::<u64>() as f64 / nf,
        MulticlassMetric::WeightedRecall => weighted(&recall),
        MulticlassMetric::WeightedPrecision => weighted(&precision),
        MulticlassMetric::WeightedF0_5 => weighted(&|s| f_beta(precision(s), recall(s), 0.5)),
        MulticlassMetric::WeightedF1 => weighted(&|s| f_beta(precision(s), recall(s), 1.0)),
        MulticlassMetric::WeightedF2 => weighted(&|s| f_beta(precision(s), recall(s), 2.0)),
        // `base()` maps every best-constant variant to one of the arms above
        _ => f64::NAN,
    }
}

/// Mergeable multiclass state: `actual → predicted → count` over string labels.
///
/// Metrics follow Spark MLlib `MulticlassMetrics` (spec §8.3), which reproduces the DG example
/// to the last bit: with `support_c` the number of records whose **true** label is `c` and
/// `N` the total,
///
/// * `accuracy = Σ_c TP_c / N`;
/// * `weighted_X = Σ_c X_c · support_c / N` over true labels in ascending byte order (Spark
///   sums in hash-map order, so the last bit can differ with ≥ 3 classes); classes that are
///   only ever predicted have weight 0;
/// * `precision_c = TP_c / predicted_c`, **0** when `c` is never predicted (Spark's
///   convention, also scikit-learn's `zero_division=0`); `recall_c = TP_c / support_c`;
///   `F_β,c` by [`f_beta`] (0 when `P + R = 0`).
///
/// Empty state: every metric is `NaN`.
///
/// ```
/// use drift_math::quality::{MulticlassConfusion, MulticlassMetric};
/// let mut s = MulticlassConfusion::new();
/// for (a, p) in [("cat", "cat"), ("cat", "dog"), ("dog", "dog"), ("fish", "dog")] {
///     s.update(a, p);
/// }
/// assert_eq!(s.metric(MulticlassMetric::Accuracy), 0.5);
/// assert_eq!(s.best_constant_class(), Some("fish"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "MulticlassRepr")
)]
pub struct MulticlassConfusion {
    pub(super) counts: BTreeMap<String, BTreeMap<String, u64>>,
    pub(super) n: u64,
}

impl MulticlassConfusion {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one record with true label `actual` and predicted label `predicted`.
    pub fn update(&mut self, actual: &str, predicted: &str) {
        self.add_n(actual, predicted, 1);
    }

    /// Counts `count` records of one cell; `count = 0` does nothing (no key is created).
    pub fn add_n(&mut self, actual: &str, predicted: &str, count: u64) {
        if count == 0 {
            return;
        }
        let row = match self.counts.get_mut(actual) {
            Some(row) => row,
            None => self.counts.entry(actual.to_owned()).or_default(),
        };
        match row.get_mut(predicted) {
            Some(c) => *c += count,
            None => {
                row.insert(predicted.to_owned(), count);
            }
        }
        self.n += count;
    }

    /// Adds another state (exact).
    pub fn merge(&mut self, other: &MulticlassConfusion) {
        for (a, row) in &other.counts {
            for (p, &c) in row {
                self.add_n(a, p, c);
            }
        }
    }

    /// Records counted (`dataset.item_count`).
    pub fn count(&self) -> u64 {
        self.n
    }

    /// The sparse matrix: only non-zero cells, `actual → predicted → count`.
    pub fn counts(&self) -> &BTreeMap<String, BTreeMap<String, u64>> {
        &self.counts
    }

    /// `confusion_matrix` as SageMaker writes it (spec §8.2): one row per **actual** label
    /// seen, each with a column for every label seen as actual or predicted (zeros included),
    /// keys in ascending byte order.
    pub fn confusion_matrix(&self) -> BTreeMap<String, BTreeMap<String, u64>> {
        let mut labels: Vec<&str> = self.counts.keys().map(String::as_str).collect();
        for row in self.counts.values() {
            labels.extend(row.keys().map(String::as_str));
        }
        labels.sort_unstable();
        labels.dedup();
        self.counts
            .iter()
            .map(|(a, row)| {
                let dense = labels
                    .iter()
                    .map(|&p| (p.to_owned(), row.get(p).copied().unwrap_or(0)))
                    .collect();
                (a.clone(), dense)
            })
            .collect()
    }

    /// Per-true-class statistics in ascending label order.
    fn class_stats(&self) -> Vec<(&str, ClassStat)> {
        let mut predicted: BTreeMap<&str, u64> = BTreeMap::new();
        for row in self.counts.values() {
            for (p, &c) in row {
                *predicted.entry(p.as_str()).or_default() += c;
            }
        }
        self.counts
            .iter()
            .map(|(a, row)| {
                let stat = ClassStat {
                    support: row.values().sum(),
                    tp: row.get(a).copied().unwrap_or(0),
                    predicted: predicted.get(a.as_str()).copied().unwrap_or(0),
                };
                (a.as_str(), stat)
            })
            .collect()
    }

    /// The class the `*_best_constant_classifier` metrics predict: the **true** label with
    /// the smallest support, ties broken by the greatest label (byte order); `None` when empty.
    ///
    /// SageMaker does not document the rule (spec §14 item 5). In the DG example (1690 true
    /// `"0"`, 406 true `"1"`) the constant classifier predicts `"1"`, which rules out "the class
    /// maximising accuracy or any weighted metric" and "the most frequent predicted class"
    /// (both `"0"`); "the minority true class", "the greatest label" and "the label `"1"`"
    /// (the binary positive label) all reproduce it. The minority rule is chosen because it is
    /// the only one of the three that is defined for arbitrary label sets and, for 0/1 labels
    /// with a rare positive class, agrees with the binary convention (always predict `1`).
    /// Other choices can be evaluated with
    /// [`constant_classifier_metric`](Self::constant_classifier_metric).
    pub fn best_constant_class(&self) -> Option<&str> {
        self.counts
            .iter()
            .map(|(a, row)| (row.values().sum::<u64>(), a.as_str()))
            // smallest support first; among equal supports the greatest label
            .min_by(|x, y| x.0.cmp(&y.0).then(y.1.cmp(x.1)))
            .map(|(_, a)| a)
    }

    /// The value of one metric. `*_best_constant_classifier` metrics use
    /// [`best_constant_class`](Self::best_constant_class).
    pub fn metric(&self, m: MulticlassMetric) -> f64 {
        if m.is_best_constant_classifier() {
            match self.best_constant_class() {
                Some(c) => self.constant_classifier_metric(c, m.base()),
                None => f64::NAN,
            }
        } else {
            let stats: Vec<ClassStat> = self.class_stats().into_iter().map(|(_, s)| s).collect();
            multiclass_value(&stats, self.n, m)
        }
    }

    /// Metric `m.base()` of the classifier that predicts `class` for every record of this
    /// state (true labels unchanged): for each true class `c`, `TP_c = support_c` if
    /// `c = class` else 0, and `class` is predicted `N` times. For the predicted class this
    /// gives precision `support/N` and recall 1; every other class gets precision and
    /// recall 0. `class` need not occur (then every metric is 0). `NaN` when empty.
    pub fn constant_classifier_metric(&self, class: &str, m: MulticlassMetric) -> f64 {
        let stats: Vec<ClassStat> = self
            .class_stats()
            .into_iter()
            .map(|(a, s)| {
                if a == class {
                    ClassStat {
                        support: s.support,
                        tp: s.support,
                        predicted: self.n,
                    }
                } else {
                    ClassStat {
                        support: s.support,
                        tp: 0,
                        predicted: 0,
                    }
                }
            })
            .collect();
        multiclass_value(&stats, self.n, m.base())
    }
}
