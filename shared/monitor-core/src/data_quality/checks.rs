//! Data-quality constraint checks: a window's merged profile against the baseline's
//! statistics and constraints, producing SageMaker's `constraint_violations.json` entries
//! (spec §5.1) and the per-feature figures its CloudWatch metrics carry (spec §7.1).
//!
//! Semantics where SageMaker documents none (and why):
//! - `data_type_check`: the share of non-null values of the expected type must reach
//!   `datatype_check_threshold`. For a `Fractional` baseline, integral-looking values count
//!   as fractional (they are valid doubles); for `String` every value matches.
//! - `completeness_check`: fires when the window's non-null ratio is below the feature's
//!   `completeness` constraint; text in Deequ's wording (`Value: … does not meet …`).
//! - `baseline_drift_check`: numeric features compare KLL sketches with L∞ (`Simple`) or
//!   L∞ minus the KS margin (`Robust`) against `comparison_threshold`; string features use
//!   `categorical_drift_method`: `LInfinity` (same Simple/Robust choice) against
//!   `categorical_comparison_threshold`, or `ChiSquared`, which fires when the test's
//!   p-value is *below* the threshold (a p-value measures agreement, not distance).
//!   Violation when the distance is strictly greater than the threshold.
//! - `categorical_values_check`: the share of non-null values inside the baseline domain must
//!   reach `domain_content_threshold`.
//! - `missing_column_check` / `extra_column_check`: records whose column count differs from
//!   the baseline's feature count (such records are counted as bad records and not profiled).
//! - `is_non_negative` has no check type in SageMaker and is not checked.
//!
//! When `constraints.json` carries modelwatch's `modelwatch_drift_policy` block (what
//! `modelwatch baseline` writes), `baseline_drift_check` and `completeness_check` follow that
//! policy instead ([`crate::data_quality::policy`]: an effect above a floor **and** a
//! Benjamini–Hochberg-significant two-sample test); the distance reported is then the raw
//! effect, with the floor and p-values beside it. Without the block, SageMaker's rules above
//! apply unchanged.

use std::collections::HashMap;

use drift_math::categorical::CategoricalCounts;
use drift_math::distance::{categorical_linf_robust, categorical_linf_simple, chi_square};
use drift_math::kll::{linf_robust, linf_simple, KllSketch};
use drift_math::types::InferredType;

use crate::data_quality::multivariate::{MultivariateBlock, MultivariateDrift};
use crate::data_quality::policy::{evaluate_policy, FeatureSelection, PolicyTest};
use crate::data_quality::profile::{DatasetProfile, FeatureProfile, Tracking};
use crate::formats::constraints::{
    CategoricalDriftMethod, ComparisonMethod, Constraints, DriftPolicy,
};
use crate::formats::statistics::Statistics;
use crate::formats::violations::{
    baseline_drift_description, categorical_drift_description, data_type_description,
    deequ_value_description, CheckType, ConstraintViolations, Violation,
};
use crate::CoreError;

/// A data-quality baseline, parsed once and ready for checks.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// statistics.json of the baseline
    pub statistics: Statistics,
    /// constraints.json of the baseline
    pub constraints: Constraints,
    sketches: HashMap<String, KllSketch>,
    categories: HashMap<String, CategoricalCounts>,
    policy: Option<DriftPolicy>,
    multivariate: Option<MultivariateBlock>,
}

impl Baseline {
    /// Parses both files; `stats_key` / `cons_key` name them in errors.
    pub fn from_json(
        stats_key: &str,
        stats: &[u8],
        cons_key: &str,
        cons: &[u8],
    ) -> Result<Self, CoreError> {
        let statistics = Statistics::from_json(stats).map_err(|source| CoreError::Format {
            key: stats_key.into(),
            source,
        })?;
        let constraints = Constraints::from_json(cons).map_err(|source| CoreError::Format {
            key: cons_key.into(),
            source,
        })?;
        Self::new(statistics, constraints, stats_key)
    }

    /// Builds the baseline from parsed files.
    pub fn new(
        statistics: Statistics,
        constraints: Constraints,
        stats_key: &str,
    ) -> Result<Self, CoreError> {
        let mut sketches = HashMap::new();
        let mut categories = HashMap::new();
        for f in &statistics.features {
            if let Some(n) = &f.numerical_statistics {
                let s = &n.distribution.kll.sketch;
                let sketch =
                    KllSketch::from_levels(s.parameters.k as usize, s.parameters.c, s.data.clone())
                        .map_err(|e| CoreError::State {
                            key: stats_key.into(),
                            message: format!("feature {}: sketch: {e}", f.name),
                        })?;
                sketches.insert(f.name.clone(), sketch);
            }
            if let Some(s) = &f.string_statistics {
                let counts = CategoricalCounts::from_pairs(
                    usize::MAX,
                    s.distribution
                        .categorical
                        .buckets
                        .iter()
                        .map(|b| (b.value.as_str(), b.count)),
                );
                categories.insert(f.name.clone(), counts);
            }
        }
        let policy = constraints
            .drift_policy()
            .map_err(|source| CoreError::Format {
                key: stats_key.into(),
                source,
            })?;
        let multivariate =
            MultivariateBlock::read(&constraints).map_err(|source| CoreError::Format {
                key: stats_key.into(),
                source,
            })?;
        Ok(Self {
            statistics,
            constraints,
            sketches,
            categories,
            policy,
            multivariate,
        })
    }

    /// modelwatch's drift policy, when `constraints.json` carries the block; `None` means
    /// SageMaker's rules.
    pub fn policy(&self) -> Option<&DriftPolicy> {
        self.policy.as_ref()
    }

    /// The fitted multivariate-drift PCA and band, when `constraints.json` carries the
    /// `modelwatch_multivariate` block.
    pub fn multivariate(&self) -> Option<&MultivariateBlock> {
        self.multivariate.as_ref()
    }

    /// The baseline KLL sketch of a numeric feature.
    pub fn sketch(&self, name: &str) -> Option<&KllSketch> {
        self.sketches.get(name)
    }

    /// The baseline category counts of a string feature.
    pub fn categories(&self, name: &str) -> Option<&CategoricalCounts> {
        self.categories.get(name)
    }

    /// Feature names in baseline order (the order columns arrive in: outputs, then inputs).
    pub fn feature_names(&self) -> Vec<String> {
        if !self.statistics.features.is_empty() {
            self.statistics
                .features
                .iter()
                .map(|f| f.name.clone())
                .collect()
        } else {
            self.constraints
                .features
                .iter()
                .map(|f| f.name.clone())
                .collect()
        }
    }

    /// The baseline type of a feature (constraints first, then statistics).
    pub fn inferred_type(&self, name: &str) -> InferredType {
        self.constraints
            .feature(name)
            .map(|f| f.inferred_type)
            .or_else(|| self.statistics.feature(name).map(|f| f.inferred_type))
            .unwrap_or(InferredType::Unknown)
    }

    /// What ingest must track for a feature to evaluate its checks.
    pub fn tracking(&self, name: &str) -> Tracking {
        let domains = self
            .constraints
            .feature(name)
            .and_then(|f| f.domains())
            .is_some();
        Tracking::for_baseline_type(self.inferred_type(name), domains)
    }

    /// An empty window profile with the right tracking per feature.
    pub fn empty_profile(&self) -> DatasetProfile {
        DatasetProfile::new(&self.feature_names(), |n| self.tracking(n))
    }
}

/// Per-feature figures of one window, for metrics and the summary table.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureOutcome {
    /// feature name
    pub name: String,
    /// `emit_metrics` is enabled for it
    pub emit_metrics: bool,
    /// non-null share of the window's records
    pub completeness: f64,
    /// distance used by baseline_drift_check (p-value for ChiSquared), if computed; under the
    /// drift policy the raw effect (normalised Wasserstein or share change), never floored
    pub drift: Option<f64>,
    /// under the drift policy: the drift test's p-value
    pub drift_p_value: Option<f64>,
    /// under the drift policy: the effect floor (margin) the drift must exceed
    pub drift_floor: Option<f64>,
    /// count, sum, min, max of the numeric values
    pub numeric: Option<(u64, f64, f64, f64)>,
}

/// The outcome of all checks of one window.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckReport {
    /// constraint_violations.json
    pub violations: ConstraintViolations,
    /// per-feature figures
    pub features: Vec<FeatureOutcome>,
    /// under the drift policy: every test of the window with its verdict (empty otherwise)
    pub policy: Vec<PolicyTest>,
    /// the multivariate (PCA reconstruction error) check, when the baseline has its block
    pub multivariate: Option<MultivariateDrift>,
}

impl CheckReport {
    /// How many violations each check type produced (every type present, 0 when none).
    pub fn counts_by_check(&self) -> std::collections::BTreeMap<String, u64> {
        let mut m: std::collections::BTreeMap<String, u64> = ALL_CHECKS
            .iter()
            .map(|c| (c.as_str().to_string(), 0))
            .collect();
        for v in &self.violations.violations {
            *m.entry(v.constraint_check_type.as_str().to_string())
                .or_default() += 1;
        }
        m
    }
}

/// Every data-quality check type, in report order.
pub const ALL_CHECKS: [CheckType; 6] = [
    CheckType::MissingColumnCheck,
    CheckType::ExtraColumnCheck,
    CheckType::DataTypeCheck,
    CheckType::CompletenessCheck,
    CheckType::BaselineDriftCheck,
    CheckType::CategoricalValuesCheck,
];

/// Runs every data-quality check of `baseline` on the window profile `current`.
pub fn check_data_quality(baseline: &Baseline, current: &DatasetProfile) -> CheckReport {
    let mut violations = Vec::new();
    let names = baseline.feature_names();
    let global = baseline.constraints.effective("");
    if global.evaluate_constraints.is_enabled() {
        column_checks(&names, current, &mut violations);
    }
    let policy_tests = run_policy(baseline, current);
    let q = baseline.policy().map_or(0.0, |p| p.false_discovery_rate);
    let policy_test = |name: &str, check: CheckType| {
        policy_tests
            .as_ref()
            .and_then(|ts| ts.iter().find(|t| t.feature == name && t.check == check))
    };
    let mut features = Vec::with_capacity(names.len());
    for name in &names {
        let cfg = baseline.constraints.effective(name);
        let Some(cur) = current.feature(name) else {
            continue;
        };
        let total = cur.types.total();
        let completeness = if total == 0 {
            0.0
        } else {
            cur.types.non_null() as f64 / total as f64
        };
        let expected = baseline.inferred_type(name);
        let drift = match &policy_tests {
            Some(_) => policy_test(name, CheckType::BaselineDriftCheck)
                .map(|t| policy_drift(t, expected, q)),
            None => drift_distance(baseline, name, expected, cur, &cfg),
        };
        let drift_test = policy_test(name, CheckType::BaselineDriftCheck);
        let numeric = (cur.moments.count() > 0).then(|| {
            (
                cur.moments.count(),
                cur.moments.sum(),
                cur.moments.min().unwrap_or(0.0),
                cur.moments.max().unwrap_or(0.0),
            )
        });
        features.push(FeatureOutcome {
            name: name.clone(),
            emit_metrics: cfg.emit_metrics.is_enabled(),
            completeness,
            drift: drift.as_ref().map(|d| d.value),
            drift_p_value: drift_test.map(|t| t.p_value),
            drift_floor: drift_test.map(|t| t.effect_floor),
            numeric,
        });
        if !cfg.evaluate_constraints.is_enabled() {
            continue;
        }
        violations.extend(data_type_violation(name, expected, cur, &cfg));
        // completeness_check: the policy's test, or SageMaker's exact ratio
        let completeness_violation = match &policy_tests {
            Some(_) => policy_test(name, CheckType::CompletenessCheck)
                .filter(|t| t.flagged())
                .map(|t| Violation {
                    extra: t.violation_extra(),
                    ..Violation::new(
                        name.clone(),
                        CheckType::CompletenessCheck,
                        format!(
                            "{}{}",
                            deequ_value_description(completeness),
                            t.evidence_text(q)
                        ),
                    )
                }),
            None => baseline
                .constraints
                .feature(name)
                .and_then(|f| f.completeness)
                .filter(|&required| total > 0 && completeness < required)
                .map(|_| {
                    Violation::new(
                        name.clone(),
                        CheckType::CompletenessCheck,
                        deequ_value_description(completeness),
                    )
                }),
        };
        violations.extend(completeness_violation);
        // baseline_drift_check
        if let Some(d) = drift {
            if d.violated {
                violations.push(Violation {
                    extra: d.extra,
                    ..Violation::new(name.clone(), CheckType::BaselineDriftCheck, d.text)
                });
            }
        }
        // categorical_values_check
        let domain = baseline.constraints.feature(name).and_then(|f| f.domains());
        if let Some(domain) = domain {
            let seen = cur.categorical.total();
            if cur.tracking.categorical && seen > 0 {
                let inside: u64 = domain.iter().map(|v| cur.categorical.get(v)).sum();
                let ratio = inside as f64 / seen as f64;
                if ratio < cfg.domain_content_threshold {
                    violations.push(Violation::new(
                        name.clone(),
                        CheckType::CategoricalValuesCheck,
                        deequ_value_description(ratio),
                    ));
                }
            }
        }
    }
    let multivariate = baseline
        .multivariate()
        .and_then(|b| crate::data_quality::multivariate::evaluate(b, current));
    if global.evaluate_constraints.is_enabled() {
        violations.extend(multivariate.as_ref().and_then(MultivariateDrift::violation));
    }
    CheckReport {
        violations: ConstraintViolations {
            violations,
            ..ConstraintViolations::default()
        },
        features,
        policy: policy_tests.unwrap_or_default(),
        multivariate,
    }
}

/// The policy's tests of the window, when the baseline has the policy block.
fn run_policy(baseline: &Baseline, current: &DatasetProfile) -> Option<Vec<PolicyTest>> {
    let policy = baseline.policy()?;
    Some(evaluate_policy(baseline, current, policy, |n| {
        FeatureSelection {
            drift: baseline
                .constraints
                .effective(n)
                .perform_comparison
                .is_enabled(),
            completeness: baseline
                .constraints
                .feature(n)
                .and_then(|f| f.completeness)
                .is_some(),
        }
    }))
}

/// `data_type_check` of one numeric feature.
fn data_type_violation(
    name: &str,
    expected: InferredType,
    cur: &FeatureProfile,
    cfg: &crate::formats::constraints::EffectiveConfig,
) -> Option<Violation> {
    let non_null = cur.types.non_null();
    if non_null == 0 || !matches!(expected, InferredType::Integral | InferredType::Fractional) {
        return None;
    }
    let matching = match expected {
        InferredType::Integral => cur.types.integral,
        _ => cur.types.integral + cur.types.fractional,
    };
    let ratio = matching as f64 / non_null as f64;
    (ratio < cfg.datatype_check_threshold).then(|| {
        Violation::new(
            name.to_string(),
            CheckType::DataTypeCheck,
            data_type_description(expected, cfg.datatype_check_threshold, ratio),
        )
    })
}

fn column_checks(names: &[String], current: &DatasetProfile, out: &mut Vec<Violation>) {
    let expected = names.len();
    let fewest = current
        .column_counts
        .keys()
        .copied()
        .filter(|&c| c < expected)
        .min();
    let most = current
        .column_counts
        .keys()
        .copied()
        .filter(|&c| c > expected)
        .max();
    if let Some(found) = fewest {
        out.push(Violation::new(
            names.get(found).cloned().unwrap_or_default(),
            CheckType::MissingColumnCheck,
            format!(
                "There are missing columns in current dataset. Number of columns in current dataset: {found}, Number of columns in baseline constraints: {expected}"
            ),
        ));
    }
    if let Some(found) = most {
        out.push(Violation::new(
            format!("_c{expected}"),
            CheckType::ExtraColumnCheck,
            format!(
                "There are extra columns in current dataset. Number of columns in current dataset: {found}, Number of columns in baseline constraints: {expected}"
            ),
        ));
    }
}

struct Drift {
    value: f64,
    violated: bool,
    text: String,
    extra: serde_json::Map<String, serde_json::Value>,
}

/// A policy drift test as the check's outcome: SageMaker's wording with the raw effect and
/// the floor, then the test's figures.
fn policy_drift(t: &PolicyTest, expected: InferredType, q: f64) -> Drift {
    let head = match expected {
        InferredType::Integral | InferredType::Fractional => {
            baseline_drift_description(t.effect, t.effect_floor)
        }
        _ => categorical_drift_description(t.effect, t.effect_floor),
    };
    Drift {
        value: t.effect,
        violated: t.flagged(),
        text: format!("{head} {}", t.evidence_text(q)),
        extra: t.violation_extra(),
    }
}

fn drift_distance(
    baseline: &Baseline,
    name: &str,
    expected: InferredType,
    cur: &FeatureProfile,
    cfg: &crate::formats::constraints::EffectiveConfig,
) -> Option<Drift> {
    if !cfg.perform_comparison.is_enabled() {
        return None;
    }
    match expected {
        InferredType::Integral | InferredType::Fractional => {
            let base = baseline.sketches.get(name)?;
            let d = match cfg.comparison_method {
                ComparisonMethod::Simple => linf_simple(base, &cur.kll)?,
                ComparisonMethod::Robust => linf_robust(base, &cur.kll)?,
            };
            let t = cfg.comparison_threshold;
            Some(Drift {
                value: d,
                violated: d > t,
                text: baseline_drift_description(d, t),
                extra: serde_json::Map::new(),
            })
        }
        InferredType::String | InferredType::Boolean => {
            let base = baseline.categories.get(name)?;
            if !cur.tracking.categorical {
                return None;
            }
            let t = cfg.categorical_comparison_threshold;
            match cfg.categorical_drift_method {
                CategoricalDriftMethod::LInfinity => {
                    let d = match cfg.comparison_method {
                        ComparisonMethod::Simple => {
                            categorical_linf_simple(base, &cur.categorical)?
                        }
                        ComparisonMethod::Robust => {
                            categorical_linf_robust(base, &cur.categorical)?
                        }
                    };
                    Some(Drift {
                        value: d,
                        violated: d > t,
                        text: categorical_drift_description(d, t),
                        extra: serde_json::Map::new(),
                    })
                }
                CategoricalDriftMethod::ChiSquared => {
                    let r = chi_square(&cur.categorical, base)?;
                    Some(Drift {
                        value: r.p_value,
                        violated: r.p_value < t,
                        text: format!(
                            "Categorical chi-squared p-value: {} is below categorical threshold: {}",
                            crate::formats::jackson::java_double(r.p_value),
                            crate::formats::jackson::java_double(t)
                        ),
                        extra: serde_json::Map::new(),
                    })
                }
            }
        }
        InferredType::Unknown => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data_quality::profile::Tracking;
    use crate::data_quality::suggest::suggest_sagemaker_constraints as suggest_constraints;

    fn profile(rows: &[[&str; 2]]) -> DatasetProfile {
        let names = vec!["x".to_string(), "s".to_string()];
        let mut p = DatasetProfile::new(&names, |_| Tracking::ALL);
        for r in rows {
            for (i, v) in r.iter().enumerate() {
                if v.is_empty() {
                    p.features[i].observe_null();
                } else {
                    p.features[i].observe(v);
                }
            }
            p.item_count += 1;
            *p.column_counts.entry(2).or_default() += 1;
        }
        p
    }

    fn baseline_of(p: &DatasetProfile) -> Baseline {
        Baseline::new(p.to_statistics(), suggest_constraints(p), "mem").unwrap()
    }

    fn base_rows() -> Vec<[&'static str; 2]> {
        (0..200)
            .map(|i| {
                [
                    ["1", "2", "3", "4", "5"][i % 5],
                    if i % 2 == 0 { "a" } else { "b" },
                ]
            })
            .collect()
    }

    #[test]
    fn same_data_has_no_violations() {
        let p = profile(&base_rows());
        let b = baseline_of(&p);
        let r = check_data_quality(&b, &p);
        assert!(r.violations.violations.is_empty(), "{:?}", r.violations);
        assert_eq!(r.features[0].drift, Some(0.0));
        assert_eq!(r.counts_by_check().values().sum::<u64>(), 0);
    }

    #[test]
    fn each_check_fires_on_its_injected_fault() {
        let b = baseline_of(&profile(&base_rows()));
        let mut rows = Vec::new();
        for i in 0..200 {
            rows.push(match i % 4 {
                0 => ["9", "zzz"], // shifted numbers; new category
                1 => ["1.5", "c"], // wrong type; new category
                2 => ["", "b"],    // missing
                _ => ["9", "zzz"], // new category
            });
        }
        let cur = profile(&rows);
        let r = check_data_quality(&b, &cur);
        let kinds: Vec<(String, CheckType)> = r
            .violations
            .violations
            .iter()
            .map(|v| (v.feature_name.clone(), v.constraint_check_type))
            .collect();
        assert!(
            kinds.contains(&("x".into(), CheckType::DataTypeCheck)),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&("x".into(), CheckType::CompletenessCheck)),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&("x".into(), CheckType::BaselineDriftCheck)),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&("s".into(), CheckType::CategoricalValuesCheck)),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&("s".into(), CheckType::BaselineDriftCheck)),
            "{kinds:?}"
        );
        let dt = &r.violations.violations[0];
        assert_eq!(
            dt.description,
            "Data type match requirement is not met. Expected data type: Integral, Expected match: 100.0%. Observed: Only 66.6667% of data is Integral."
        );
    }

    /// The baseline of `base_rows()` with its suggested constraints edited as JSON.
    fn baseline_with(edit: impl FnOnce(&mut serde_json::Value)) -> Baseline {
        let p = profile(&base_rows());
        let mut v: serde_json::Value =
            serde_json::from_str(&suggest_constraints(&p).to_json()).unwrap();
        edit(&mut v);
        let c =
            crate::formats::constraints::Constraints::from_json(v.to_string().as_bytes()).unwrap();
        Baseline::new(p.to_statistics(), c, "mem").unwrap()
    }

    /// Every kind of fault of `each_check_fires_on_its_injected_fault`.
    fn faulty() -> DatasetProfile {
        let rows: Vec<[&str; 2]> = (0..200)
            .map(|i| match i % 4 {
                0 | 3 => ["9", "zzz"],
                1 => ["1.5", "c"],
                _ => ["", "b"],
            })
            .collect();
        profile(&rows)
    }

    fn feature_mut<'a>(v: &'a mut serde_json::Value, name: &str) -> &'a mut serde_json::Value {
        v["features"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|f| f["name"] == name)
            .unwrap()
    }

    #[test]
    fn evaluate_constraints_disabled_silences_every_check_but_keeps_the_figures() {
        let b =
            baseline_with(|v| v["monitoring_config"]["evaluate_constraints"] = "Disabled".into());
        let r = check_data_quality(&b, &faulty());
        assert!(r.violations.violations.is_empty(), "{:?}", r.violations);
        // the drift is still computed, for the metrics
        assert!(r.features[0].drift.unwrap() > 0.3);
    }

    #[test]
    fn a_feature_override_disables_its_checks_and_metrics_only() {
        let b = baseline_with(|v| {
            feature_mut(v, "x")["monitoringConfigOverrides"] =
                serde_json::json!({"evaluate_constraints": "Disabled", "emit_metrics": "Disabled"});
        });
        let r = check_data_quality(&b, &faulty());
        assert!(r
            .violations
            .violations
            .iter()
            .all(|v| v.feature_name == "s"));
        assert!(!r.violations.violations.is_empty());
        let x = r.features.iter().find(|f| f.name == "x").unwrap();
        let s = r.features.iter().find(|f| f.name == "s").unwrap();
        assert!(!x.emit_metrics && s.emit_metrics);
    }

    #[test]
    fn robust_comparison_allows_for_the_sample_size() {
        // 30 of the 40 ones become fives: the CDFs differ by 0.15 at 1 (0.2 vs 0.05).
        // Simple L∞ 0.15 > 0.1 violates; Robust subtracts 1.8·sqrt((200+200)/(200·200)) = 0.18
        // (Deequ's margin) and does not.
        let rows: Vec<[&str; 2]> = base_rows()
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                if i % 5 == 0 && i < 150 {
                    ["5", r[1]]
                } else {
                    r
                }
            })
            .collect();
        let cur = profile(&rows);
        let simple = check_data_quality(
            &baseline_with(|v| {
                v["monitoring_config"]["distribution_constraints"]["comparison_method"] =
                    "Simple".into();
            }),
            &cur,
        );
        assert!((simple.features[0].drift.unwrap() - 0.15).abs() < 1e-12);
        assert_eq!(simple.counts_by_check()["baseline_drift_check"], 1);
        let robust = check_data_quality(
            &baseline_with(|v| {
                v["monitoring_config"]["distribution_constraints"]["comparison_method"] =
                    "Robust".into();
            }),
            &cur,
        );
        assert_eq!(robust.features[0].drift, Some(0.0));
        assert_eq!(robust.counts_by_check()["baseline_drift_check"], 0);
    }

    #[test]
    fn chi_squared_categorical_drift_uses_the_p_value() {
        let b = baseline_with(|v| {
            v["monitoring_config"]["distribution_constraints"]["categorical_drift_method"] =
                "ChiSquared".into();
        });
        // same mix (a/b half and half): p-value 1, no drift
        let same = check_data_quality(&b, &profile(&base_rows()));
        assert_eq!(same.features[1].drift, Some(1.0));
        assert!(same.violations.violations.is_empty());
        // 70/30: scipy.stats.chisquare([140, 60], [100, 100]) → statistic 32.0, p 1.54e-08
        let rows: Vec<[&str; 2]> = (0..200)
            .map(|i| ["1", if i < 140 { "a" } else { "b" }])
            .collect();
        let r = check_data_quality(&b, &profile(&rows));
        let p = r.features[1].drift.unwrap();
        assert!((p - 1.541_725_790_028_002e-8).abs() < 1e-12, "{p}");
        let v = r
            .violations
            .violations
            .iter()
            .find(|v| {
                v.feature_name == "s" && v.constraint_check_type == CheckType::BaselineDriftCheck
            })
            .unwrap();
        assert!(
            v.description
                .starts_with("Categorical chi-squared p-value: "),
            "{}",
            v.description
        );
    }

    #[test]
    fn column_count_checks() {
        let mut p = profile(&base_rows());
        let b = baseline_of(&p);
        p.column_counts.insert(1, 3);
        p.column_counts.insert(4, 1);
        let r = check_data_quality(&b, &p);
        let c = r.counts_by_check();
        assert_eq!(c["missing_column_check"], 1);
        assert_eq!(c["extra_column_check"], 1);
    }
}
