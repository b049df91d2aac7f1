//! modelwatch's drift policy (issue 13) through the data-quality checks: the policy block
//! switches `baseline_drift_check` and `completeness_check` to effect floor AND BH-significant
//! test; without it SageMaker's rules hold; the decision is a function of the merged state.

use drift_math::policy::Decision;
use monitor_core::data_quality::checks::{check_data_quality, Baseline, CheckReport};
use monitor_core::data_quality::profile::{DatasetProfile, Tracking};
use monitor_core::data_quality::suggest::{suggest_constraints, suggest_sagemaker_constraints};
use monitor_core::formats::violations::CheckType;
use proptest::prelude::*;

/// A profile of two features, `x` (numbers; `None` = missing) and `s` (categories).
fn profile(rows: &[(Option<i64>, &str)]) -> DatasetProfile {
    let names = vec!["x".to_string(), "s".to_string()];
    let mut p = DatasetProfile::new(&names, |_| Tracking::ALL);
    for (x, s) in rows {
        if let Some(x) = x {
            p.features[0].observe(&x.to_string());
        } else {
            p.features[0].observe_null();
        }
        p.features[1].observe(s);
        p.item_count += 1;
        *p.column_counts.entry(2).or_default() += 1;
    }
    p
}

fn baselines(p: &DatasetProfile) -> (Baseline, Baseline) {
    (
        Baseline::new(p.to_statistics(), suggest_constraints(p), "mem").unwrap(),
        Baseline::new(p.to_statistics(), suggest_sagemaker_constraints(p), "mem").unwrap(),
    )
}

fn rows(
    xs: impl Iterator<Item = i64>,
    cat: impl Fn(i64) -> &'static str,
) -> Vec<(Option<i64>, &'static str)> {
    xs.map(|x| (Some(x), cat(x))).collect()
}

fn drift_violation(r: &CheckReport, f: &str) -> Option<String> {
    r.violations
        .violations
        .iter()
        .find(|v| v.feature_name == f && v.constraint_check_type == CheckType::BaselineDriftCheck)
        .map(|v| v.description.clone())
}

#[test]
fn a_shift_reports_the_raw_effect_and_the_p_values() {
    let half = |x: i64| if x % 2 == 0 { "a" } else { "b" };
    let (policy, sagemaker) = baselines(&profile(&rows(0..1000, half)));
    // Window 100..1099 against 0..999 (sketches below 2050 values are exact):
    // scipy.stats.ks_2samp(np.arange(1000), np.arange(100, 1100)).statistic = 0.1
    // scipy.special.kolmogorov(np.sqrt(500) * 0.1) = 9.079985952496105e-05
    // scipy.stats.wasserstein_distance(a, b) / np.std(a) = 0.3464103347189859
    let w = profile(&rows(100..1100, half));
    let r = check_data_quality(&policy, &w);
    let x = &r.features[0];
    assert!((x.drift.unwrap() - 0.3464103347189859).abs() < 1e-12);
    // exact sketches (rank error 0): KS alone judges, no Welch's t
    assert!((x.drift_p_value.unwrap() - 9.079985952496105e-05).abs() < 1e-15);
    let t = r.policy.iter().find(|t| t.feature == "x").unwrap();
    assert_eq!(t.components, [("ks", x.drift_p_value.unwrap())]);
    assert_eq!(x.drift_floor, Some(0.05));
    let text = drift_violation(&r, "x").expect("flagged");
    assert!(
        text.starts_with("Numerical distance: 0.34641033471898"),
        "{text}"
    );
    assert!(text.contains("KS p-value: 9.0799859524"), "{text}");
    let v = r
        .violations
        .violations
        .iter()
        .find(|v| v.feature_name == "x")
        .unwrap();
    assert_eq!(v.extra["modelwatch_policy"]["decision"], "Drift");
    // SageMaker's Robust L∞: 0.1 − 1.8·sqrt(2000/10⁶) = 0.0195 < 0.1: no violation, and the
    // same window's category mix is unchanged under both rules.
    let rs = check_data_quality(&sagemaker, &w);
    assert_eq!(drift_violation(&rs, "x"), None);
    assert_eq!(drift_violation(&r, "s"), None);
    assert!(r.features[1].drift.unwrap() < 1e-3);
}

#[test]
fn welch_joins_ks_where_the_sketches_rank_error_is_large() {
    // 100,000 values on each side: each compacted sketch's worst-case rank error is above
    // 0.005, so KS is joined by Welch's t on the exact moments (WELCH_FROM_RANK_ERROR).
    let cycle = |x: i64| x % 1000;
    let (policy, _) = baselines(&profile(&rows((0..100_000).map(cycle), |_| "a")));
    let w = profile(&rows((0..100_000).map(|x| cycle(x) + 20), |_| "a"));
    let r = check_data_quality(&policy, &w);
    let t = r.policy.iter().find(|t| t.feature == "x").unwrap();
    let names: Vec<&str> = t.components.iter().map(|c| c.0).collect();
    assert_eq!(names, ["ks", "welch_t"]);
    let (ks, welch) = (t.components[0].1, t.components[1].1);
    assert_eq!(t.p_value, (2.0 * ks.min(welch)).min(1.0));
    assert_eq!(t.decision, Decision::Drift);
}

#[test]
fn small_windows_lack_power_and_stay_quiet() {
    let half = |x: i64| if x % 2 == 0 { "a" } else { "b" };
    let (policy, _) = baselines(&profile(&rows(0..5000, half)));
    // 100 values far off (a 3-SD shift would be plain, but 100 records cannot show an L∞ of
    // 0.1 with 80 % power: p at 0.1 = kolmogorov(sqrt(5000·100/5100)·0.1) = 0.29 > 0.0065)
    let w = profile(&rows(0..100, |_| "a"));
    let r = check_data_quality(&policy, &w);
    let decisions: Vec<(String, CheckType, Decision)> = r
        .policy
        .iter()
        .map(|t| (t.feature.clone(), t.check, t.decision))
        .collect();
    assert!(decisions.contains(&(
        "x".into(),
        CheckType::BaselineDriftCheck,
        Decision::LacksPower
    )));
    assert!(decisions.contains(&(
        "s".into(),
        CheckType::BaselineDriftCheck,
        Decision::LacksPower
    )));
    assert_eq!(drift_violation(&r, "x"), None);
    assert_eq!(drift_violation(&r, "s"), None);
}

#[test]
fn completeness_uses_the_two_proportion_test() {
    // Baseline: 8 % missing (80 of 1000). Window: 9 % missing (90 of 1000) is within noise:
    // statsmodels proportions_ztest([90, 80], [1000, 1000], alternative='larger') p = 0.2116;
    // SageMaker's exact-ratio rule (0.91 < 0.92) flags it.
    let base: Vec<(Option<i64>, &str)> = (0..1000)
        .map(|i| (if i % 25 < 2 { None } else { Some(i % 7) }, "a"))
        .collect();
    let (policy, sagemaker) = baselines(&profile(&base));
    let win: Vec<(Option<i64>, &str)> = (0..1000)
        .map(|i| (if i % 100 < 9 { None } else { Some(i % 7) }, "a"))
        .collect();
    let w = profile(&win);
    let completeness = |r: &CheckReport| {
        r.violations
            .violations
            .iter()
            .any(|v| v.constraint_check_type == CheckType::CompletenessCheck)
    };
    assert!(completeness(&check_data_quality(&sagemaker, &w)));
    let r = check_data_quality(&policy, &w);
    assert!(!completeness(&r));
    let t = r
        .policy
        .iter()
        .find(|t| t.check == CheckType::CompletenessCheck && t.feature == "x")
        .unwrap();
    assert!((t.effect - 0.01).abs() < 1e-12);
    assert_eq!(t.decision, Decision::NoDrift);
    // 30 % missing is flagged
    let win: Vec<(Option<i64>, &str)> = (0..1000)
        .map(|i| (if i % 10 < 3 { None } else { Some(i % 7) }, "a"))
        .collect();
    assert!(completeness(&check_data_quality(&policy, &profile(&win))));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any split of a window into partial profiles, merged, gives the decisions and the
    /// violations of the whole window (up to 2,000 records, where the sketches are exact; the
    /// counts are exact at any size; the moments to rounding).
    #[test]
    fn merged_state_of_any_split_gives_the_same_decision(
        shift in 0i64..40,
        missing_every in 3usize..40,
        n in 50usize..2000,
        cuts in proptest::collection::vec(0usize..2000, 0..6),
    ) {
        let base: Vec<(Option<i64>, &str)> = (0..3000)
            .map(|i| (if i % 13 == 0 { None } else { Some(i as i64 % 200) }, ["a", "b", "c"][i % 3]))
            .collect();
        let (policy, _) = baselines(&profile(&base));
        let win: Vec<(Option<i64>, &str)> = (0..n)
            .map(|i| {
                let x = if i % missing_every == 0 { None } else { Some((i as i64 * 7) % 200 + shift) };
                (x, ["a", "b", "c", "a"][i % 4])
            })
            .collect();
        let whole = check_data_quality(&policy, &profile(&win));
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % n).collect();
        cuts.push(0);
        cuts.push(n);
        cuts.sort_unstable();
        let mut merged = profile(&[]);
        for pair in cuts.windows(2) {
            merged.merge(&profile(&win[pair[0]..pair[1]]));
        }
        let split = check_data_quality(&policy, &merged);
        // Counts and (unsplit-size) sketches merge exactly; the moments' sums merge in another
        // order, so figures computed from them may differ in the last bits: decisions and
        // violations must be identical, the figures equal to 1e-9 relative.
        let verdicts = |r: &CheckReport| -> Vec<(String, CheckType, Decision)> {
            r.policy.iter().map(|t| (t.feature.clone(), t.check, t.decision)).collect()
        };
        prop_assert_eq!(verdicts(&whole), verdicts(&split));
        let flagged = |r: &CheckReport| -> Vec<(String, CheckType)> {
            r.violations.violations.iter().map(|v| (v.feature_name.clone(), v.constraint_check_type)).collect()
        };
        prop_assert_eq!(flagged(&whole), flagged(&split));
        let close = |a: f64, b: f64| a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs());
        for (a, b) in whole.policy.iter().zip(&split.policy) {
            prop_assert!(close(a.effect, b.effect) && close(a.p_value, b.p_value), "{:?} {:?}", a, b);
        }
    }
}
