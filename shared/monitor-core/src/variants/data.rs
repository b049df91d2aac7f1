//! Data drift between variants: the window's partial profiles merged per variant (the
//! variant is a level of their keys), then the drift policy of issue 13 on each variant with
//! the reference variant's profile in the baseline's place.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{datum, FeatureComparison, VariantComparison, VariantPair, VariantSettings};
use crate::config::MonitorConfig;
use crate::data_quality::checks::Baseline;
use crate::data_quality::consume::{load_baseline, PartialProfile};
use crate::data_quality::policy::{decision_str, evaluate_policy, FeatureSelection};
use crate::data_quality::profile::DatasetProfile;
use crate::data_quality::tick::{empty_window, merge_partial, WindowState};
use crate::execution::Window;
use crate::formats::constraints::DriftPolicy;
use crate::layout::{hour_floor, profile_hour_prefix};
use crate::metrics::{namespaces, MetricDatum};
use crate::store::{ObjectStore, StateFile};
use crate::CoreError;

/// The variant of a partial profile's key under its hour prefix (`{variant}/{file}.json`).
fn variant_of<'k>(key: &'k str, hour_prefix: &str) -> Option<&'k str> {
    key.strip_prefix(hour_prefix)?
        .split_once('/')
        .map(|(v, _)| v)
        .filter(|v| !v.is_empty())
}

/// Merges `cfg`'s partial profiles with minutes in `window`, one state per variant (the hours
/// [`crate::data_quality::tick::merge_window`] reads).
///
/// # Errors
/// The store's errors and unreadable partial profiles.
pub async fn merge_by_variant<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    baseline: &Baseline,
    window: Window,
) -> Result<BTreeMap<String, WindowState>, CoreError> {
    let mut states: BTreeMap<String, WindowState> = BTreeMap::new();
    let mut hour = hour_floor(window.start) - chrono::Duration::hours(1);
    let last = hour_floor(window.end - chrono::Duration::seconds(1)) + chrono::Duration::hours(1);
    while hour <= last {
        let prefix = profile_hour_prefix(&cfg.name, hour);
        for key in store.list(&prefix).await? {
            let Some(variant) = variant_of(&key, &prefix) else {
                continue;
            };
            let partial = PartialProfile::from_json(&key, &store.get(&key).await?)?;
            let state = states
                .entry(variant.to_string())
                .or_insert_with(|| empty_window(baseline));
            merge_partial(state, &partial, window.start, window.end);
        }
        hour += chrono::Duration::hours(1);
    }
    states.retain(|_, s| s.profile.item_count > 0);
    Ok(states)
}

/// The drift policy's tests of `variant` against `reference` (both merged window profiles
/// over `baseline`'s features): the reference stands in for the baseline, with the
/// baseline's constraints (types, which features are compared) and `policy`. Every feature
/// gets the drift test and the completeness test (the variant missing more than the
/// reference), Benjamini–Hochberg across them all.
///
/// # Errors
/// [`CoreError::State`] when the reference profile's sketches cannot be read back.
pub fn compare_profiles(
    baseline: &Baseline,
    reference: &DatasetProfile,
    variant: &DatasetProfile,
    policy: &DriftPolicy,
) -> Result<Vec<FeatureComparison>, CoreError> {
    let as_baseline = Baseline::new(
        reference.to_statistics(),
        baseline.constraints.clone(),
        "variant reference profile",
    )?;
    let tests = evaluate_policy(&as_baseline, variant, policy, |_| FeatureSelection {
        drift: true,
        completeness: true,
    });
    Ok(tests
        .into_iter()
        .map(|t| FeatureComparison {
            feature: t.feature.clone(),
            check: t.check.as_str().to_string(),
            method: t.method.as_str().to_string(),
            effect: t.effect,
            effect_floor: t.effect_floor,
            p_value: t.p_value,
            adjusted_p_value: t.adjusted_p_value,
            decision: decision_str(t.decision).to_string(),
        })
        .collect())
}

/// The data-quality comparison of `cfg`'s `window`: `None` when it holds fewer than two
/// variants; else the comparison and its metrics.
///
/// # Errors
/// The store's errors, a missing baseline, unreadable partial profiles.
pub async fn compare_window<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    settings: &VariantSettings,
    window: Window,
) -> Result<Option<(VariantComparison, Vec<MetricDatum>)>, CoreError> {
    let baseline = load_baseline(store, cfg).await?;
    let states = merge_by_variant(store, cfg, &baseline, window).await?;
    let records: Vec<(String, u64)> = states
        .iter()
        .map(|(v, s)| (v.clone(), s.profile.item_count))
        .collect();
    let Some(mut out) = VariantComparison::begin(cfg, window, &records, settings) else {
        return Ok(None);
    };
    let reference = out.reference.clone();
    let policy = baseline.policy().cloned().unwrap_or_default();
    let reference_state = &states[&reference];
    for (variant, state) in states.iter().filter(|(v, _)| **v != reference) {
        let data_drift =
            compare_profiles(&baseline, &reference_state.profile, &state.profile, &policy)?;
        out.comparisons.push(VariantPair {
            variant: variant.clone(),
            reference: reference.clone(),
            differs: data_drift.iter().any(|f| f.decision == "Drift"),
            data_drift,
            model_metrics: Vec::new(),
        });
    }
    let data = comparison_metrics(cfg, window.start, &out);
    Ok(Some((out, data)))
}

/// Metric name of a variant's drift effect on feature `f`: `variant_feature_drift_{f}`.
pub const VARIANT_FEATURE_DRIFT_PREFIX: &str = "variant_feature_drift_";
/// Metric name of that test's p-value: `variant_feature_drift_p_value_{f}`.
pub const VARIANT_FEATURE_DRIFT_P_VALUE_PREFIX: &str = "variant_feature_drift_p_value_";
/// Metric name of the number of features of a variant that drifted from the reference.
pub const VARIANT_DRIFTED_FEATURES: &str = "variant_drifted_features";
/// Metric name of a variant's records in the window (every variant, the reference too).
pub const VARIANT_RECORDS: &str = "variant_records";

/// The data-quality comparison's metrics, in [`namespaces::DATA_ENDPOINT`] with dimensions
/// `Endpoint`, `MonitoringSchedule`, `Variant`: per variant [`VARIANT_RECORDS`]; per compared
/// variant [`VARIANT_DRIFTED_FEATURES`] and, per feature's drift test, its effect and p-value.
#[must_use]
pub fn comparison_metrics(
    cfg: &MonitorConfig,
    timestamp: DateTime<Utc>,
    c: &VariantComparison,
) -> Vec<MetricDatum> {
    let ns = namespaces::DATA_ENDPOINT;
    let mut data: Vec<MetricDatum> = c
        .variants
        .iter()
        .map(|v| {
            datum(
                cfg,
                ns,
                &v.variant,
                VARIANT_RECORDS.into(),
                timestamp,
                v.records as f64,
            )
        })
        .collect();
    for pair in &c.comparisons {
        let drifted = pair
            .data_drift
            .iter()
            .filter(|f| f.decision == "Drift")
            .count();
        data.push(datum(
            cfg,
            ns,
            &pair.variant,
            VARIANT_DRIFTED_FEATURES.into(),
            timestamp,
            drifted as f64,
        ));
        for f in pair
            .data_drift
            .iter()
            .filter(|f| f.check == "baseline_drift_check")
        {
            data.push(datum(
                cfg,
                ns,
                &pair.variant,
                format!("{VARIANT_FEATURE_DRIFT_PREFIX}{}", f.feature),
                timestamp,
                f.effect,
            ));
            data.push(datum(
                cfg,
                ns,
                &pair.variant,
                format!("{VARIANT_FEATURE_DRIFT_P_VALUE_PREFIX}{}", f.feature),
                timestamp,
                f.p_value,
            ));
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_is_the_level_after_the_hour() {
        let p = "state/profiles/m/2026/11/01/03/";
        assert_eq!(
            variant_of("state/profiles/m/2026/11/01/03/B/x.json", p),
            Some("B")
        );
        assert_eq!(variant_of("state/profiles/m/2026/11/01/03/x.json", p), None);
        assert_eq!(variant_of("state/other/B/x.json", p), None);
    }
}
