//! modelwatch's drift policy (issue 13) on one window: what runs instead of SageMaker's
//! `baseline_drift_check` and `completeness_check` rules when the baseline's `constraints.json`
//! carries a `modelwatch_drift_policy` block ([`DriftPolicy`]).
//!
//! Two passes over the window's merged state (never raw rows):
//!
//! 1. **Per feature, an effect and a test**, chosen by the baseline type and the sizes:
//!
//!    | feature | effect (raw, reported) | test | why |
//!    |---|---|---|---|
//!    | `Integral` / `Fractional` | normalised Wasserstein `W1 / σ_baseline` | two-sample KS from the two KLL sketches, the rank error folded in; when that rank error exceeds [`WELCH_FROM_RANK_ERROR`], also Welch's t on the exact moments, combined by Bonferroni (`p = min(1, 2·min(p_KS, p_t))`) | W1/σ reads in baseline standard deviations ("0.1 SD"), whatever the scale; KS is distribution-free and computable from the sketches, and folding the rank error in keeps it from ever being more significant than the exact data, but that worst-case error grows with the window (4.6 % of `N` at 10⁶, more than a 0.1 SD shift's L∞); the moments are exact at any size, so Welch's t keeps the power for mean shifts there |
//!    | `String` / `Boolean` | largest category share change | 2×k χ² contingency, categories with an expected count below 5 pooled (Cochran 1954) | share points are what a person reads; the contingency test treats the baseline as a sample too, unlike SageMaker's goodness-of-fit χ² (issue 13, item 3); pooling keeps the χ² approximation valid in small windows and only costs power |
//!    | completeness (features with a `completeness` constraint) | rise of the missing share | one-sided two-proportion z | SageMaker's exact-ratio rule fails 50–60 % of healthy windows on a column with 8 % missing (item 2) |
//!
//! 2. **Across the window's features**: Benjamini–Hochberg at the policy's
//!    `false_discovery_rate` over every test of the window, and a feature is flagged when its
//!    effect exceeds its floor **and** its test is significant
//!    ([`drift_math::policy::decide`]). Size decides the verdict's kind: a test that would not
//!    have [`DriftPolicy::power`] to detect [`DriftPolicy::power_effect`] (an L∞ of 0.1 for
//!    numbers, SageMaker's own bar; a 10-point share change or missing-share rise) at these
//!    sizes reports [`Decision::LacksPower`] instead of "no drift" and is left out of the BH
//!    family ([`drift_math::policy::power_p_threshold`]).
//!
//! The decisions are a function of the merged counts and sketches only, so the same window
//! gives the same verdict however its records were split across capture objects (exactly so
//! while the sketches have not compacted, and within the sketches' stated error after).

use drift_math::kll::KllSketch;
use drift_math::moments::Moments;
use drift_math::policy::{
    chi2_contingency_counts, chi2_p_value_at_share_change, decide, ks_test, missing_share_test,
    normalized_wasserstein, power_p_threshold, share_change_counts, welch_test, AlignedCounts,
    Decision, FeatureEvidence, SampleSummary,
};
use drift_math::types::InferredType;
use serde_json::{json, Map, Value};

use crate::data_quality::checks::Baseline;
use crate::data_quality::profile::{DatasetProfile, FeatureProfile};
use crate::formats::constraints::DriftPolicy;
use crate::formats::jackson::java_double;
use crate::formats::violations::CheckType;

/// Welch's t on the moments is added to the sketch KS test when the two sketches' worst-case
/// rank error `ε_b + ε_w` exceeds this: a quarter of the L∞ distance of a 0.1 SD normal mean
/// shift (`2Φ(0.05) − 1 = 0.04`), the smallest shift the policy is built to find. Below it KS
/// alone judges (distribution-free, any change of shape); above it, from about 10⁵-record
/// windows, KS loses that shift to the sketch error and the exact moments keep it.
pub const WELCH_FROM_RANK_ERROR: f64 = 0.01;

/// Cochran's rule: χ² cells should expect at least this many values (Cochran 1954).
const MIN_EXPECTED_COUNT: f64 = 5.0;

/// Which effect and test a [`PolicyTest`] used (see the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyMethod {
    /// numeric: normalised Wasserstein effect, KS test from the sketches
    WassersteinKs,
    /// categorical: share-change effect, χ² contingency test
    ShareChangeChiSquared,
    /// completeness: missing-share rise, one-sided two-proportion z-test
    MissingShareZ,
}

impl PolicyMethod {
    /// The name written in violations, e.g. `"normalized_wasserstein+ks"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyMethod::WassersteinKs => "normalized_wasserstein+ks",
            PolicyMethod::ShareChangeChiSquared => "share_change+chi2_contingency",
            PolicyMethod::MissingShareZ => "missing_share_rise+two_proportion_z",
        }
    }
}

/// One test of one feature in one window, with every figure behind its verdict (all raw).
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyTest {
    /// feature name
    pub feature: String,
    /// the SageMaker check it stands for: `BaselineDriftCheck` or `CompletenessCheck`
    pub check: CheckType,
    /// effect and test used
    pub method: PolicyMethod,
    /// the effect size, raw (never floored)
    pub effect: f64,
    /// the floor the effect must exceed (the margin)
    pub effect_floor: f64,
    /// the test's p-value (numbers: the Bonferroni combination of KS and Welch's t)
    pub p_value: f64,
    /// the p-values the test combined, by name (`"ks"`, `"welch_t"`; one entry for a single
    /// test)
    pub components: Vec<(&'static str, f64)>,
    /// the test's p-value at the policy's power effect (the power guard)
    pub power_p_value: f64,
    /// Benjamini–Hochberg-adjusted p-value in the window's family; `None` when lacking power
    pub adjusted_p_value: Option<f64>,
    /// the verdict
    pub decision: Decision,
}

impl PolicyTest {
    /// `true` when the verdict is [`Decision::Drift`].
    #[must_use]
    pub fn flagged(&self) -> bool {
        self.decision == Decision::Drift
    }

    /// The figures as the `modelwatch_policy` object of a violation (extra keys SageMaker's
    /// readers ignore).
    #[must_use]
    pub fn to_json(&self) -> Value {
        json!({
            "method": self.method.as_str(),
            "effect": self.effect,
            "effect_floor": self.effect_floor,
            "p_value": self.p_value,
            "tests": self.components.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<Map<String, Value>>(),
            "adjusted_p_value": self.adjusted_p_value,
            "decision": decision_str(self.decision),
        })
    }

    /// The violation's extra keys: `{"modelwatch_policy": …}`.
    #[must_use]
    pub fn violation_extra(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("modelwatch_policy".into(), self.to_json());
        m
    }

    /// The text after SageMaker's wording: test, p-values and the family's level.
    #[must_use]
    pub fn evidence_text(&self, q: f64) -> String {
        let effect = match self.method {
            PolicyMethod::WassersteinKs => "normalised Wasserstein",
            PolicyMethod::ShareChangeChiSquared => "share change",
            PolicyMethod::MissingShareZ => "missing-share rise",
        };
        let tests: Vec<String> = self
            .components
            .iter()
            .map(|(k, v)| format!("{} p-value: {}", test_name(k), java_double(*v)))
            .collect();
        format!(
            "({effect}; {}, p-value: {}, BH-adjusted: {}, false discovery rate: {}, effect floor: {})",
            tests.join(", "),
            java_double(self.p_value),
            self.adjusted_p_value
                .map_or_else(|| "n/a".to_string(), java_double),
            java_double(q),
            java_double(self.effect_floor),
        )
    }
}

fn test_name(key: &str) -> &str {
    match key {
        "ks" => "KS",
        "welch_t" => "Welch t",
        "chi2" => "chi-squared contingency",
        "z" => "two-proportion z",
        other => other,
    }
}

/// The wire name of a decision: `"Drift"`, `"NoDrift"`, `"LacksPower"`.
#[must_use]
pub fn decision_str(d: Decision) -> &'static str {
    match d {
        Decision::Drift => "Drift",
        Decision::NoDrift => "NoDrift",
        Decision::LacksPower => "LacksPower",
    }
}

/// What [`evaluate_policy`] should test for one feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureSelection {
    /// run the drift test (`perform_comparison` enabled)
    pub drift: bool,
    /// run the completeness test (the feature has a `completeness` constraint)
    pub completeness: bool,
}

/// Runs the policy's two passes on `current` against `baseline` (module docs), testing for each
/// feature what `select` says. Tests are returned in feature order, drift before completeness.
pub fn evaluate_policy(
    baseline: &Baseline,
    current: &DatasetProfile,
    policy: &DriftPolicy,
    select: impl Fn(&str) -> FeatureSelection,
) -> Vec<PolicyTest> {
    let threshold = power_p_threshold(policy.false_discovery_rate, policy.power).unwrap_or(0.0);
    let mut tests = Vec::new();
    for name in baseline.feature_names() {
        let Some(cur) = current.feature(&name) else {
            continue;
        };
        let sel = select(&name);
        if sel.drift {
            tests.extend(drift_test(baseline, &name, cur, policy));
        }
        if sel.completeness {
            tests.extend(completeness_test(baseline, &name, cur, policy));
        }
    }
    let evidence: Vec<FeatureEvidence> = tests
        .iter()
        .map(|t| FeatureEvidence {
            effect: t.effect,
            effect_floor: t.effect_floor,
            p_value: t.p_value,
            // a test without the power to see the power effect is left out of the family
            min_p_value: if t.power_p_value <= threshold {
                t.power_p_value
            } else {
                1.0
            },
        })
        .collect();
    // `decide` only fails on invalid inputs, which the constructors above never produce
    // (the policy block is validated on load); everything then lacks power.
    match decide(&evidence, policy.false_discovery_rate) {
        Ok(decisions) => {
            for (t, d) in tests.iter_mut().zip(decisions) {
                t.decision = d.decision;
                t.adjusted_p_value = d.adjusted_p_value;
            }
        }
        Err(_) => tests
            .iter_mut()
            .for_each(|t| t.decision = Decision::LacksPower),
    }
    tests
}

fn drift_test(
    baseline: &Baseline,
    name: &str,
    cur: &FeatureProfile,
    policy: &DriftPolicy,
) -> Option<PolicyTest> {
    match baseline.inferred_type(name) {
        InferredType::Integral | InferredType::Fractional => {
            let base = baseline.sketch(name)?;
            let stats = baseline
                .statistics
                .feature(name)
                .and_then(|f| f.numerical_statistics.as_ref())
                .map(|n| (n.mean, n.std_dev));
            let t = numeric_test(base, stats, &cur.kll, &cur.moments, policy)?;
            Some(PolicyTest {
                feature: name.to_string(),
                check: CheckType::BaselineDriftCheck,
                method: PolicyMethod::WassersteinKs,
                effect: t.effect,
                effect_floor: policy.numerical_effect_floor,
                p_value: t.p_value,
                components: t.components,
                power_p_value: t.power_p_value,
                adjusted_p_value: None,
                decision: Decision::LacksPower,
            })
        }
        InferredType::String | InferredType::Boolean => {
            let base = baseline.categories(name)?;
            if !cur.tracking.categorical {
                return None;
            }
            let aligned = AlignedCounts::new(base, &cur.categorical);
            let effect = share_change_counts(&aligned.baseline, &aligned.window).ok()??;
            let (b, w) = pool_sparse(&aligned.baseline, &aligned.window);
            let chi2 = chi2_contingency_counts(&b, &w).ok()??;
            let (n, m) = (b.iter().sum(), w.iter().sum());
            Some(PolicyTest {
                feature: name.to_string(),
                check: CheckType::BaselineDriftCheck,
                method: PolicyMethod::ShareChangeChiSquared,
                effect,
                effect_floor: policy.categorical_effect_floor,
                p_value: chi2.p_value,
                components: vec![("chi2", chi2.p_value)],
                power_p_value: chi2_p_value_at_share_change(
                    n,
                    m,
                    chi2.degrees_of_freedom,
                    policy.power_effect,
                ),
                adjusted_p_value: None,
                decision: Decision::LacksPower,
            })
        }
        InferredType::Unknown => None,
    }
}

/// The policy's numeric test of one sample against a baseline (module table, first row):
/// effect, combined p-value, its components and the power guard's p-value.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericTest {
    /// normalised Wasserstein `W1 / σ_baseline`, raw
    pub effect: f64,
    /// KS, or its Bonferroni combination with Welch's t
    pub p_value: f64,
    /// the p-values combined, by name (`"ks"`, `"welch_t"`)
    pub components: Vec<(&'static str, f64)>,
    /// the KS p-value at the policy's power effect
    pub power_p_value: f64,
}

/// The numeric rule on sketches and moments: `base` / `base_stats` (`(mean, population
/// standard deviation)`) against the window's `cur` sketch and `moments`; shared by the
/// features' drift test and regression label drift
/// ([`crate::model_quality::label_drift`]). `None` when a sketch is empty.
#[must_use]
pub fn numeric_test(
    base: &KllSketch,
    base_stats: Option<(f64, f64)>,
    cur: &KllSketch,
    moments: &Moments,
    policy: &DriftPolicy,
) -> Option<NumericTest> {
    let ks = ks_test(base, cur)?;
    let std = base_stats.map_or(0.0, |(_, s)| s);
    let effect = normalized_wasserstein(base, cur, std).ok()??;
    // Welch's t joins only where the sketches' rank error costs KS its power (see
    // WELCH_FROM_RANK_ERROR); below that KS alone judges, distribution-free.
    let welch = base_stats
        .filter(|_| ks.rank_error > WELCH_FROM_RANK_ERROR)
        .and_then(|(mean, std_dev)| {
            welch_test(
                SampleSummary {
                    n: base.total_weight(),
                    mean,
                    population_variance: std_dev * std_dev,
                },
                SampleSummary {
                    n: moments.count(),
                    mean: moments.mean()?,
                    population_variance: moments.variance()?,
                },
            )
        });
    let mut components = vec![("ks", ks.p_value)];
    let p_value = match welch {
        Some(w) => {
            components.push(("welch_t", w.p_value));
            (2.0 * ks.p_value.min(w.p_value)).min(1.0)
        }
        None => ks.p_value,
    };
    Some(NumericTest {
        effect,
        p_value,
        components,
        power_p_value: ks.p_value_at(policy.power_effect),
    })
}

fn completeness_test(
    baseline: &Baseline,
    name: &str,
    cur: &FeatureProfile,
    policy: &DriftPolicy,
) -> Option<PolicyTest> {
    let common = baseline.statistics.feature(name)?.common()?;
    let base_total = common.num_present + common.num_missing;
    let t = missing_share_test(
        common.num_missing,
        base_total,
        cur.types.null,
        cur.types.total(),
    )
    .ok()?;
    Some(PolicyTest {
        feature: name.to_string(),
        check: CheckType::CompletenessCheck,
        method: PolicyMethod::MissingShareZ,
        effect: t.difference,
        effect_floor: policy.completeness_effect_floor,
        p_value: t.p_value,
        components: vec![("z", t.p_value)],
        power_p_value: t.p_value_at(policy.power_effect),
        adjusted_p_value: None,
        decision: Decision::LacksPower,
    })
}

/// Pools the cells of a 2×k table whose expected count on either side is below
/// [`MIN_EXPECTED_COUNT`] into one last cell (Cochran's rule). Pooling coarsens the table, so
/// the test stays valid and only loses power; the share change is computed on the unpooled
/// counts.
pub(crate) fn pool_sparse(baseline: &[u64], window: &[u64]) -> (Vec<u64>, Vec<u64>) {
    let (n, m): (u64, u64) = (baseline.iter().sum(), window.iter().sum());
    let total = (n + m) as f64;
    let (mut b, mut w) = (Vec::new(), Vec::new());
    let (mut pb, mut pw) = (0u64, 0u64);
    for (&x, &y) in baseline.iter().zip(window) {
        let col = (x + y) as f64;
        let expected = (n as f64).min(m as f64) * col / total;
        if expected < MIN_EXPECTED_COUNT {
            pb += x;
            pw += y;
        } else {
            b.push(x);
            w.push(y);
        }
    }
    if pb + pw > 0 {
        b.push(pb);
        w.push(pw);
    }
    (b, w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_cells_are_pooled_and_totals_kept() {
        // n = 1000, m = 20: expected window counts 20·col/1020; cells with col < 255 pool.
        let (b, w) = pool_sparse(&[500, 300, 150, 50, 0], &[10, 6, 2, 1, 1]);
        assert_eq!(b, [500, 300, 200]);
        assert_eq!(w, [10, 6, 4]);
        assert_eq!(b.iter().sum::<u64>(), 1000);
        let (b, w) = pool_sparse(&[50, 50], &[50, 50]);
        assert_eq!((b, w), (vec![50, 50], vec![50, 50]));
    }
}
