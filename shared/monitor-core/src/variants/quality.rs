//! Model metrics between variants: the per-variant model-quality states ground-truth merge
//! keeps for a monitor with a `variants` block, merged over the window, and per metric the
//! difference with its interval and test ([`drift_math::compare`]).
//!
//! | problem type | metric | test |
//! |---|---|---|
//! | binary | `accuracy` (`(TP+TN)/N`), `precision` (`TP/(TP+FP)`), `recall` (`TP/(TP+FN)`), `false_positive_rate` (`FP/(FP+TN)`) | two-proportion z |
//! | binary | `auc` (from the score histograms) | Hanley & McNeil z |
//! | multiclass | `accuracy` (the confusion matrix's diagonal / `N`) | two-proportion z |
//! | regression | `mae` (mean of `|y − ŷ|`; its variance from the exact sums of `|e|` and `e²`) | Welch's t |
//!
//! F-scores and `r2` are not proportions or means of one sample: no test is made for them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use drift_math::compare::{
    auc_difference, mean_difference, proportion_difference, AucSample, Difference,
};
use drift_math::policy::{benjamini_hochberg, SampleSummary};

use super::{datum, MetricComparison, VariantComparison, VariantPair, VariantSettings};
use crate::config::MonitorConfig;
use crate::execution::Window;
use crate::joined::labels::scan_joined_window;
use crate::metrics::{namespaces, MetricDatum};
use crate::model_quality::QualityState;
use crate::store::ObjectStore;
use crate::CoreError;

/// Merges the per-variant model-quality states of `cfg`'s `window` (inference minutes in the
/// window), one per variant with joined records.
///
/// # Errors
/// The store's errors and unreadable states.
pub async fn merge_by_variant<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    window: Window,
) -> Result<BTreeMap<String, QualityState>, CoreError> {
    let mut states: BTreeMap<String, QualityState> = BTreeMap::new();
    scan_joined_window(store, cfg, window, |s| {
        let mut used = false;
        for m in s
            .variant_minutes
            .iter()
            .filter(|m| window.contains(m.minute))
        {
            let state = states
                .entry(m.variant.clone())
                .or_insert_with(|| QualityState::new(m.state.problem_type()));
            used |= state.merge(&m.state);
        }
        Ok(used)
    })
    .await?;
    states.retain(|_, s| s.count() > 0);
    Ok(states)
}

/// One metric's test, before the pair's Benjamini–Hochberg.
fn entry(metric: &str, test: &str, d: Difference) -> MetricComparison {
    MetricComparison {
        metric: metric.into(),
        test: test.into(),
        reference_value: d.a,
        value: d.b,
        difference: d.difference,
        lower: d.lower,
        upper: d.upper,
        p_value: d.p_value,
        adjusted_p_value: d.p_value,
        significant: false,
    }
}

/// The `(successes, trials)` of one rate of a confusion matrix.
type RateOf = fn(&drift_math::quality::BinaryCounts) -> (u64, u64);

/// The mean and population variance of `|y − ŷ|` from a regression state's exact sums.
fn abs_error_summary(state: &drift_math::quality::RegressionQuality) -> SampleSummary {
    let full = state.full();
    let n = full.count();
    let mean = full.sum_abs_error() / n.max(1) as f64;
    SampleSummary {
        n,
        mean,
        population_variance: (full.sum_squared_error() / n.max(1) as f64 - mean * mean).max(0.0),
    }
}

/// Per metric, `variant − reference` with its interval and test (module table), then
/// Benjamini–Hochberg at `1 − confidence` across them: `significant` when the adjusted
/// p-value is at most that. A metric undefined on either side (no predicted positive for
/// precision, one class only for AUC) is left out.
#[must_use]
pub fn compare_states(
    reference: &QualityState,
    variant: &QualityState,
    confidence: f64,
) -> Vec<MetricComparison> {
    let z = "two_proportion_z";
    let mut out = Vec::new();
    match (reference, variant) {
        (QualityState::BinaryClassification(a), QualityState::BinaryClassification(b)) => {
            let (ca, cb) = (a.full().counts(), b.full().counts());
            let rates: [(&str, RateOf); 4] = [
                ("accuracy", |c| {
                    (c.true_positives + c.true_negatives, c.total())
                }),
                ("precision", |c| {
                    (c.true_positives, c.true_positives + c.false_positives)
                }),
                ("recall", |c| (c.true_positives, c.positives())),
                ("false_positive_rate", |c| {
                    (c.false_positives, c.negatives())
                }),
            ];
            for (name, f) in rates {
                let ((xa, na), (xb, nb)) = (f(ca), f(cb));
                if let Ok(d) = proportion_difference(xa, na, xb, nb, confidence) {
                    out.push(entry(name, z, d));
                }
            }
            let auc = |s: &drift_math::quality::BinaryQuality| AucSample {
                auc: s.full().auc(),
                positives: s.full().counts().positives(),
                negatives: s.full().counts().negatives(),
            };
            if let Ok(d) = auc_difference(auc(a), auc(b), confidence) {
                out.push(entry("auc", "hanley_mcneil_z", d));
            }
        }
        (QualityState::MulticlassClassification(a), QualityState::MulticlassClassification(b)) => {
            let correct = |s: &drift_math::quality::MulticlassQuality| {
                let full = s.full();
                let diag: u64 = full
                    .counts()
                    .iter()
                    .filter_map(|(actual, row)| row.get(actual))
                    .sum();
                (diag, full.count())
            };
            let ((xa, na), (xb, nb)) = (correct(a), correct(b));
            if let Ok(d) = proportion_difference(xa, na, xb, nb, confidence) {
                out.push(entry("accuracy", z, d));
            }
        }
        (QualityState::Regression(a), QualityState::Regression(b)) => {
            if let Ok(d) = mean_difference(abs_error_summary(a), abs_error_summary(b), confidence) {
                out.push(entry("mae", "welch_t", d));
            }
        }
        _ => {}
    }
    let q = 1.0 - confidence;
    let p: Vec<f64> = out.iter().map(|m| m.p_value).collect();
    if let Ok(bh) = benjamini_hochberg(&p, q) {
        for ((m, adjusted), rejected) in out.iter_mut().zip(bh.adjusted).zip(bh.rejected) {
            m.adjusted_p_value = adjusted;
            m.significant = rejected;
        }
    }
    out
}

/// The model-quality comparison of `cfg`'s `window`: `None` when fewer than two variants have
/// joined records; else the comparison and its metrics.
///
/// # Errors
/// The store's errors and unreadable states.
pub async fn compare_window<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    settings: &VariantSettings,
    window: Window,
) -> Result<Option<(VariantComparison, Vec<MetricDatum>)>, CoreError> {
    let states = merge_by_variant(store, cfg, window).await?;
    let records: Vec<(String, u64)> = states.iter().map(|(v, s)| (v.clone(), s.count())).collect();
    let Some(mut out) = VariantComparison::begin(cfg, window, &records, settings) else {
        return Ok(None);
    };
    let reference = out.reference.clone();
    for (variant, state) in states.iter().filter(|(v, _)| **v != reference) {
        let model_metrics = compare_states(&states[&reference], state, settings.confidence_level);
        out.comparisons.push(VariantPair {
            variant: variant.clone(),
            reference: reference.clone(),
            differs: model_metrics.iter().any(|m| m.significant),
            data_drift: Vec::new(),
            model_metrics,
        });
    }
    let data = comparison_metrics(cfg, window.start, &states, &out);
    Ok(Some((out, data)))
}

/// Metric name suffix of a variant's difference from the reference: `variant_{metric}_difference`.
pub const DIFFERENCE_SUFFIX: &str = "_difference";
/// Metric name suffix of that difference's p-value: `variant_{metric}_p_value`.
pub const P_VALUE_SUFFIX: &str = "_p_value";
/// Metric name of the number of a variant's metrics that differ significantly.
pub const VARIANT_DIFFERING_METRICS: &str = "variant_differing_metrics";

/// The model-quality comparison's metrics, in [`namespaces::MODEL_ENDPOINT`] with dimensions
/// `Endpoint`, `MonitoringSchedule`, `Variant`: every variant's own scalar metrics under
/// SageMaker's names (`accuracy`, `auc`, `mae`, …), and per compared variant
/// `variant_{metric}_difference`, `variant_{metric}_p_value` and
/// [`VARIANT_DIFFERING_METRICS`].
#[must_use]
pub fn comparison_metrics(
    cfg: &MonitorConfig,
    timestamp: DateTime<Utc>,
    states: &BTreeMap<String, QualityState>,
    c: &VariantComparison,
) -> Vec<MetricDatum> {
    let ns = namespaces::MODEL_ENDPOINT;
    let mut data = Vec::new();
    for (variant, state) in states {
        let stats = state.to_statistics();
        for (name, e) in stats.metrics() {
            if let crate::formats::model_quality::MetricEntry::Scalar(s) = e {
                if s.value.is_finite() {
                    data.push(datum(cfg, ns, variant, name.clone(), timestamp, s.value));
                }
            }
        }
    }
    for pair in &c.comparisons {
        let differing = pair.model_metrics.iter().filter(|m| m.significant).count();
        data.push(datum(
            cfg,
            ns,
            &pair.variant,
            VARIANT_DIFFERING_METRICS.into(),
            timestamp,
            differing as f64,
        ));
        for m in &pair.model_metrics {
            data.push(datum(
                cfg,
                ns,
                &pair.variant,
                format!("variant_{}{DIFFERENCE_SUFFIX}", m.metric),
                timestamp,
                m.difference,
            ));
            data.push(datum(
                cfg,
                ns,
                &pair.variant,
                format!("variant_{}{P_VALUE_SUFFIX}", m.metric),
                timestamp,
                m.p_value,
            ));
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::model_quality::ProblemType;
    use crate::model_quality::QualityOptions;

    fn options(problem_type: ProblemType) -> QualityOptions {
        QualityOptions {
            problem_type,
            positive_label: "1".into(),
        }
    }

    #[test]
    fn regression_mae_is_compared_by_welch_on_the_absolute_errors() {
        // absolute errors 1, 2, 3, 4 (A) and 2, 3, 4, 5.5 (B), 25 times each, label 0:
        // scipy.stats.ttest_ind([2, 3, 4, 5.5]*25, [1, 2, 3, 4]*25, equal_var=False)
        //   -> statistic 6.5484618759809905, pvalue 5.086026058802536e-10,
        //      confidence_interval(0.95) (0.7861717172903465, 1.4638282827096534)
        let opts = options(ProblemType::Regression);
        let state = |errors: [f64; 4], tag: &str| {
            let mut s = QualityState::new(ProblemType::Regression);
            for i in 0..100 {
                let e = errors[i % 4];
                s.add(&format!("{tag}{i}"), "0", Some(&e.to_string()), None, &opts)
                    .unwrap();
            }
            s
        };
        let (a, b) = (
            state([1.0, 2.0, 3.0, 4.0], "a"),
            state([2.0, 3.0, 4.0, 5.5], "b"),
        );
        let out = compare_states(&a, &b, 0.95);
        assert_eq!(out.len(), 1);
        let mae = &out[0];
        assert_eq!((mae.metric.as_str(), mae.test.as_str()), ("mae", "welch_t"));
        assert_eq!((mae.reference_value, mae.value), (2.5, 3.625));
        assert!((mae.p_value - 5.086026058802536e-10).abs() < 1e-15);
        assert!((mae.lower - 0.7861717172903465).abs() < 1e-9);
        assert!((mae.upper - 1.4638282827096534).abs() < 1e-9);
        assert!(mae.significant);
    }

    #[test]
    fn multiclass_accuracy_is_a_two_proportion_test() {
        // 70 of 100 right (A), 85 of 100 right (B):
        // statsmodels proportions_ztest([85, 70], [100, 100])
        //   -> (2.5400025400038104, 0.011085166380602684)
        let opts = options(ProblemType::MulticlassClassification);
        let state = |right: usize, tag: &str| {
            let mut s = QualityState::new(ProblemType::MulticlassClassification);
            for i in 0..100 {
                let predicted = if i < right { "cat" } else { "dog" };
                s.add(&format!("{tag}{i}"), "cat", Some(predicted), None, &opts)
                    .unwrap();
            }
            s
        };
        let out = compare_states(&state(70, "a"), &state(85, "b"), 0.95);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].metric, "accuracy");
        assert!((out[0].difference - 0.15).abs() < 1e-12);
        assert!((out[0].p_value - 0.011085166380602684).abs() < 1e-9);
        // a variant against itself: no difference, nothing significant
        let same = compare_states(&state(70, "a"), &state(70, "b"), 0.95);
        assert_eq!((same[0].p_value, same[0].significant), (1.0, false));
    }
}
