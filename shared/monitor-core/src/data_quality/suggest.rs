//! Suggested constraints from a baseline profile (SageMaker `suggest_baseline`).
//!
//! Rules, after Deequ's suggestion rules as the analyzer applies them (spec §4.2):
//! - `inferred_type`: the profile's inferred type (RetainTypeRule);
//! - `completeness`: the observed non-null fraction (1.0 for complete columns, as every
//!   real file shows; for incomplete columns we write the observed ratio, not Deequ's
//!   lower confidence bound — the spec leaves this open);
//! - `num_constraints.is_non_negative`: `min >= 0` for numeric features (NonNegativeNumbersRule);
//! - `string_constraints.domains`: for String features whose values seen exactly once are at
//!   most 10 % of the distinct values (CategoricalRangeRule), every observed value by
//!   descending count. Integral columns get no domain: the real churn baseline shows none for
//!   its 0/1 columns although Deequ's rule would allow it;
//! - `monitoring_config`: the analyzer container's defaults;
//! - `modelwatch_drift_policy`: modelwatch's drift policy (issue 13), a block SageMaker ignores
//!   ([`suggest_sagemaker_constraints`] leaves it out).

use drift_math::types::InferredType;

use crate::data_quality::profile::{DatasetProfile, FeatureProfile};
use crate::formats::constraints::{
    default_monitoring_config, Constraints, DriftPolicy, FeatureConstraints, NumConstraints,
    StringConstraints,
};

/// Deequ CategoricalRangeRule: the ratio (values seen once / distinct values) must not exceed this.
pub const CATEGORICAL_UNIQUE_RATIO: f64 = 0.1;

/// Suggested constraints for a baseline profile: SageMaker's file
/// ([`suggest_sagemaker_constraints`]) plus modelwatch's drift policy block
/// ([`DriftPolicy::default`], key [`crate::formats::constraints::DRIFT_POLICY_KEY`]), which
/// SageMaker ignores and modelwatch's checks use instead of SageMaker's drift and completeness
/// rules (issue 13). What `modelwatch baseline` and the baseline Lambda write.
pub fn suggest_constraints(profile: &DatasetProfile) -> Constraints {
    let mut c = suggest_sagemaker_constraints(profile);
    c.set_drift_policy(Some(&DriftPolicy::default()));
    c
}

/// Suggested constraints exactly as SageMaker's analyzer writes them (no modelwatch block):
/// checks against these follow SageMaker's rules.
pub fn suggest_sagemaker_constraints(profile: &DatasetProfile) -> Constraints {
    Constraints {
        version: 0.0,
        features: profile.features.iter().map(suggest_feature).collect(),
        monitoring_config: Some(default_monitoring_config()),
        ..Constraints::default()
    }
}

fn suggest_feature(f: &FeatureProfile) -> FeatureConstraints {
    let t = f.inferred_type();
    let total = f.types.total();
    let completeness = if total == 0 {
        0.0
    } else {
        f.types.non_null() as f64 / total as f64
    };
    let mut out = FeatureConstraints {
        name: f.name.clone(),
        inferred_type: t,
        completeness: Some(completeness),
        ..FeatureConstraints::default()
    };
    match t {
        InferredType::Integral | InferredType::Fractional => {
            if let Some(min) = f.moments.min() {
                out.num_constraints = Some(NumConstraints {
                    is_non_negative: Some(min >= 0.0),
                    ..NumConstraints::default()
                });
            }
        }
        InferredType::String => {
            if let Some(domains) = suggested_domain(f) {
                out.string_constraints = Some(StringConstraints {
                    domains: Some(domains),
                    ..StringConstraints::default()
                });
            }
        }
        _ => {}
    }
    out
}

/// The domain Deequ's CategoricalRangeRule would suggest, if any.
fn suggested_domain(f: &FeatureProfile) -> Option<Vec<String>> {
    if f.categorical.overflow() > 0 || f.categorical_dropped > 0 {
        return None;
    }
    let distinct = f.categorical.distinct();
    if distinct == 0 {
        return None;
    }
    let once = f.categorical.iter().filter(|(_, c)| *c == 1).count();
    if once as f64 / distinct as f64 > CATEGORICAL_UNIQUE_RATIO {
        return None;
    }
    Some(
        f.categorical
            .by_count_desc()
            .into_iter()
            .map(|(v, _)| v.to_string())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data_quality::profile::Tracking;

    #[test]
    fn suggests_types_completeness_non_negative_and_domains() {
        let names = vec!["n".to_string(), "s".to_string(), "u".to_string()];
        let mut p = DatasetProfile::new(&names, |_| Tracking::ALL);
        for i in 0..40 {
            p.features[0].observe(&format!("{}", i - 1));
            p.features[1].observe(if i % 3 == 0 { "CA" } else { "NY" });
            p.features[2].observe(&format!("id{i}"));
            p.item_count += 1;
        }
        p.features[0].observe_null();
        p.features[1].observe_null();
        p.features[2].observe_null();
        p.item_count += 1;
        let c = suggest_constraints(&p);
        assert_eq!(c.features[0].inferred_type, InferredType::Integral);
        assert_eq!(
            c.features[0]
                .num_constraints
                .as_ref()
                .unwrap()
                .is_non_negative,
            Some(false)
        );
        assert_eq!(c.features[0].completeness, Some(40.0 / 41.0));
        let dom = c.features[1].string_constraints.as_ref().unwrap();
        assert_eq!(
            dom.domains.as_deref(),
            Some(&["NY".to_string(), "CA".to_string()][..])
        );
        // every id seen once: no domain
        assert!(c.features[2].string_constraints.is_none());
        // the policy block is written by default, and only there
        assert_eq!(c.drift_policy(), Ok(Some(DriftPolicy::default())));
        let plain = suggest_sagemaker_constraints(&p);
        assert_eq!(plain.drift_policy(), Ok(None));
        let mut stripped = c.clone();
        stripped.set_drift_policy(None);
        assert_eq!(stripped.to_json(), plain.to_json());
        // the block is the file's last key, after SageMaker's
        let text = c.to_json();
        assert!(
            text.find("\"modelwatch_drift_policy\"") > text.find("\"monitoring_config\""),
            "{text}"
        );
        assert_eq!(
            crate::formats::constraints::Constraints::from_json(text.as_bytes()),
            Ok(c)
        );
    }
}
