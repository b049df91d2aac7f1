//! The drift-policy statistics (`drift_math::policy`) against SciPy 1.17.1 / NumPy 2.4.6 /
//! statsmodels 0.15.0 (the exact call beside each number), and the property that a window's
//! decisions depend on its merged state only.

use drift_math::categorical::CategoricalCounts;
use drift_math::kll::{linf_simple, KllSketch};
use drift_math::moments::Moments;
use drift_math::policy::{
    benjamini_hochberg, chi2_contingency, chi2_contingency_counts, decide, hellinger,
    hellinger_counts, kolmogorov_sf, ks_p_value, ks_test, missing_share_test,
    normalized_wasserstein, share_change, share_change_counts, wasserstein1,
    wasserstein_error_bound, Decision, FeatureEvidence,
};
use proptest::prelude::*;

use crate::tol::{assert_abs, assert_rel, ABS_PVALUE, REL_TIGHT};

fn sketch(xs: &[f64]) -> KllSketch {
    let mut s = KllSketch::new();
    xs.iter().for_each(|&x| s.update(x));
    s
}

/// A sketch large enough to hold every value at level 0: the exact data, for reference.
fn exact_sketch(xs: &[f64]) -> KllSketch {
    let mut s = KllSketch::with_params(1 << 18, 0.64).unwrap();
    xs.iter().for_each(|&x| s.update(x));
    assert_eq!(s.num_levels(), 1);
    s
}

/// numpy: a = np.array([((i*7919) % 1000)/10 for i in range(1500)])
fn sample_a() -> Vec<f64> {
    (0..1500u64)
        .map(|i| ((i * 7919) % 1000) as f64 / 10.0)
        .collect()
}

/// numpy: b = np.array([((i*104729) % 1000)/10 + 4.0 for i in range(1200)])
fn sample_b() -> Vec<f64> {
    (0..1200u64)
        .map(|i| ((i * 104_729) % 1000) as f64 / 10.0 + 4.0)
        .collect()
}

// ---------------------------------------------------------------- KS

#[test]
fn kolmogorov_sf_matches_scipy() {
    // python -c "import scipy.special as sp; print([sp.kolmogorov(x) for x in [.3,.5,.82,1,1.36,2,3]])"
    let refs = [
        (0.3, 0.9999906941986655),
        (0.5, 0.9639452436648751),
        (0.82, 0.5119717052984973),
        (1.0, 0.26999967167735456),
        (1.36, 0.049485876755377876),
        (2.0, 0.0006709252557796953),
        (3.0, 3.045995948942526e-08),
    ];
    for (x, want) in refs {
        assert_rel(kolmogorov_sf(x), want, REL_TIGHT, &format!("Q({x})"));
    }
}

#[test]
fn ks_from_exact_sketches_matches_scipy() {
    let (a, b) = (sketch(&sample_a()), sketch(&sample_b()));
    let t = ks_test(&a, &b).unwrap();
    assert_eq!(t.rank_error, 0.0, "sketches of < 2051 values are exact");
    // scipy.stats.ks_2samp(a, b, method='asymp') -> statistic 0.0415, pvalue 0.19533273071034385
    assert_rel(t.statistic, 0.0415, REL_TIGHT, "D");
    assert_eq!(t.tested_statistic, t.statistic);
    assert_rel(t.effective_n, 1500.0 * 1200.0 / 2700.0, REL_TIGHT, "en");
    // scipy.special.kolmogorov(np.sqrt(1500*1200/2700) * 0.0415) = 0.20104920618795258
    assert_abs(
        t.p_value,
        0.20104920618795258,
        ABS_PVALUE,
        "p (limiting law)",
    );
    // SciPy's asymp mode uses kstwo.sf(D, round(en)): ours is conservative and close to it.
    assert!(t.p_value >= 0.19533273071034385);
    assert_rel(t.p_value, 0.19533273071034385, 0.03, "p vs ks_2samp asymp");
    assert!(t.min_p_value < 1e-100);
    assert_eq!(ks_test(&a, &KllSketch::new()), None);
}

#[test]
fn limiting_law_is_conservative_against_scipy_kstwo() {
    // python: for en in [1000, 10000, 100000]: d = 1.36/np.sqrt(en);
    //   st.kstwo.sf(d, en) -> 0.0480530330137775, 0.04903580807632146, 0.04934385868411428
    //   sp.kolmogorov(np.sqrt(en)*d) = 0.049485876755377876 (all three)
    // (n = m = 2·en gives n·m/(n+m) = en)
    let cases = [
        (1000u64, 0.0480530330137775),
        (10_000, 0.04903580807632146),
        (100_000, 0.04934385868411428),
    ];
    for (en, kstwo) in cases {
        let d = 1.36 / (en as f64).sqrt();
        let p = ks_p_value(d, 2 * en, 2 * en).unwrap();
        assert_rel(p, 0.049485876755377876, 1e-9, "limiting p");
        assert!(p >= kstwo, "en {en}: {p} < kstwo {kstwo}");
        assert!((p - kstwo) / kstwo < 0.031, "en {en}: {p} vs {kstwo}");
    }
    assert_eq!(ks_p_value(0.1, 0, 5), None);
}

/// Exact two-sample D of the data, derived in the test from sketches holding every value.
fn exact_d(a: &[f64], b: &[f64]) -> f64 {
    linf_simple(&exact_sketch(a), &exact_sketch(b)).unwrap()
}

#[test]
fn compacted_sketches_never_test_more_significant_than_the_data() {
    // 50k baseline vs 100k window shifted by 0.5 % of the range: the sketches compact.
    let base: Vec<f64> = (0..50_000u64)
        .map(|i| ((i * 7_919) % 10_007) as f64)
        .collect();
    let win: Vec<f64> = (0..100_000u64)
        .map(|i| ((i * 104_729) % 10_007) as f64 + 50.0)
        .collect();
    let (sb, sw) = (sketch(&base), sketch(&win));
    let t = ks_test(&sb, &sw).unwrap();
    assert!(t.rank_error > 0.0);
    let d = exact_d(&base, &win);
    assert!(
        (t.statistic - d).abs() <= t.rank_error,
        "|D̂ − D| = {} > ε = {}",
        (t.statistic - d).abs(),
        t.rank_error
    );
    assert!(t.tested_statistic <= d);
    let exact_p = ks_p_value(d, 50_000, 100_000).unwrap();
    assert!(t.p_value >= exact_p, "{} < exact {exact_p}", t.p_value);
    assert_eq!(t.tested_statistic, (t.statistic - t.rank_error).max(0.0));
}

// ---------------------------------------------------------------- Wasserstein

#[test]
fn wasserstein_of_exact_sketches_matches_scipy() {
    let (a, b) = (sketch(&sample_a()), sketch(&sample_b()));
    // scipy.stats.wasserstein_distance(a, b) = 3.900000000000001
    assert_rel(
        wasserstein1(&a, &b).unwrap(),
        3.900000000000001,
        REL_TIGHT,
        "W1",
    );
    assert_rel(
        wasserstein1(&b, &a).unwrap(),
        3.900000000000001,
        REL_TIGHT,
        "W1 sym",
    );
    // np.std(a) = 28.88196765380703; W1 / np.std(a) = 0.13503235121468354
    let std = Moments::from_iter(sample_a()).std_dev().unwrap();
    assert_rel(std, 28.88196765380703, REL_TIGHT, "std");
    let nw = normalized_wasserstein(&a, &b, std).unwrap().unwrap();
    assert_rel(nw, 0.13503235121468354, REL_TIGHT, "normalised W1");
}

#[test]
fn wasserstein_of_compacted_sketches_stays_within_bound() {
    for (n, m, shift) in [(50_000u64, 10_000u64, 3.0), (50_000, 200_000, 0.0)] {
        let base: Vec<f64> = (0..n).map(|i| ((i * 7_919) % 10_007) as f64).collect();
        let win: Vec<f64> = (0..m)
            .map(|i| ((i * 104_729) % 10_007) as f64 + shift)
            .collect();
        let (sb, sw) = (sketch(&base), sketch(&win));
        let exact = wasserstein1(&exact_sketch(&base), &exact_sketch(&win)).unwrap();
        let got = wasserstein1(&sb, &sw).unwrap();
        let bound = wasserstein_error_bound(&sb, &sw, 0.0, 10_006.0 + shift).unwrap();
        assert!(bound > 0.0);
        assert!(
            (got - exact).abs() <= bound,
            "n={n} m={m}: |{got} − {exact}| > {bound}"
        );
    }
}

// ---------------------------------------------------------------- categories

#[test]
fn contingency_chi2_matches_scipy() {
    // (baseline row, window row, statistic, p-value, dof)
    type Case<'a> = (&'a [u64], &'a [u64], f64, f64, usize);
    let cases: [Case; 3] = [
        // scipy.stats.chi2_contingency([[50,30,20],[40,35,25]], correction=False)[:3]
        (
            &[50, 30, 20],
            &[40, 35, 25],
            2.051282051282051,
            0.3585665413731905,
            2,
        ),
        // a category seen in the window only:
        // scipy.stats.chi2_contingency([[500,300,200,0],[40,35,20,5]], correction=False)[:3]
        (
            &[500, 300, 200, 0],
            &[40, 35, 20, 5],
            52.598120508568286,
            2.2331697316564026e-11,
            3,
        ),
        // scipy.stats.chi2_contingency([[25000,15000,10000],[5250,2900,1850]], correction=False)[:3]
        (
            &[25_000, 15_000, 10_000],
            &[5_250, 2_900, 1_850],
            22.617545487858088,
            1.2264854492886528e-05,
            2,
        ),
    ];
    for (b, w, stat, p, dof) in cases {
        let t = chi2_contingency_counts(b, w).unwrap().unwrap();
        assert_rel(t.statistic, stat, REL_TIGHT, "chi2 statistic");
        assert_abs(t.p_value, p, ABS_PVALUE, "chi2 p");
        assert_eq!(t.degrees_of_freedom, dof);
    }
    // Zero columns are dropped, as if the category did not exist.
    let with_gap = chi2_contingency_counts(&[50, 0, 30, 20], &[40, 0, 35, 25])
        .unwrap()
        .unwrap();
    assert_rel(with_gap.statistic, 2.051282051282051, REL_TIGHT, "gap");
    assert_eq!(with_gap.degrees_of_freedom, 2);
    // Same table through CategoricalCounts (aligned by name).
    let bc = CategoricalCounts::from_pairs(10, [("a", 500), ("b", 300), ("c", 200)]);
    let wc = CategoricalCounts::from_pairs(10, [("a", 40), ("b", 35), ("c", 20), ("d", 5)]);
    let t = chi2_contingency(&bc, &wc).unwrap();
    assert_rel(t.statistic, 52.598120508568286, REL_TIGHT, "via counts");
}

#[test]
fn hellinger_and_share_change_match_numpy() {
    // p = np.array([500,300,200,0])/1000; q = np.array([40,35,20,5])/100
    // np.sqrt(np.sum((np.sqrt(p)-np.sqrt(q))**2))/np.sqrt(2) = 0.16955639055974578
    // np.max(np.abs(p-q)) = 0.09999999999999998
    let (b, w) = ([500u64, 300, 200, 0], [40u64, 35, 20, 5]);
    let h = hellinger_counts(&b, &w).unwrap().unwrap();
    assert_rel(h, 0.16955639055974578, REL_TIGHT, "hellinger");
    let s = share_change_counts(&b, &w).unwrap().unwrap();
    assert_rel(s, 0.09999999999999998, REL_TIGHT, "share change");
    let bc = CategoricalCounts::from_pairs(10, [("a", 500), ("b", 300), ("c", 200)]);
    let wc = CategoricalCounts::from_pairs(10, [("a", 40), ("b", 35), ("c", 20), ("d", 5)]);
    assert_eq!(hellinger(&bc, &wc), Some(h));
    assert_eq!(share_change(&bc, &wc), Some(s));
    assert!(hellinger_counts(&[1], &[1, 2]).is_err());
}

// ---------------------------------------------------------------- completeness

#[test]
fn missing_share_test_matches_statsmodels_and_scipy() {
    let cases = [
        // from statsmodels.stats.proportion import proportions_ztest
        // proportions_ztest([100,4000],[1000,50000],alternative='larger')
        (100u64, 1000u64, 2.3031474144954744, 0.010635275167473479),
        // proportions_ztest([90,4000],[1000,50000],alternative='larger')
        (90, 1000, 1.1528577402161402, 0.12448439006450418),
    ];
    for (x, n, z, p) in cases {
        let t = missing_share_test(4000, 50_000, x, n).unwrap();
        assert_rel(t.z, z, REL_TIGHT, "z");
        assert_abs(t.p_value, p, ABS_PVALUE, "p");
        assert_eq!(t.baseline_share, 0.08);
        assert!(t.min_p_value < 1e-100);
    }
    // z² is the uncorrected 2×2 contingency χ²:
    // scipy.stats.chi2_contingency([[100,900],[4000,46000]], correction=False)[:2]
    //   -> (5.304488012897185, 0.021270550334947055): two-sided p = 2 × one-sided
    let t = missing_share_test(4000, 50_000, 100, 1000).unwrap();
    assert_rel(t.z * t.z, 5.304488012897185, REL_TIGHT, "z^2 = chi2");
    assert_abs(2.0 * t.p_value, 0.021270550334947055, ABS_PVALUE, "2p");
    // proportions_ztest([1,0],[100,50000],alternative='larger') -> (22.360902938815475, 4.73e-111)
    let t = missing_share_test(0, 50_000, 1, 100).unwrap();
    assert_rel(t.z, 22.360902938815475, REL_TIGHT, "z tiny counts");
}

#[test]
fn power_at_the_floor() {
    // Completeness floor of 4 points over a baseline 8 %: hypothetical window share 12 %.
    // proportions_ztest([120,4000],[1000,50000],alternative='larger') -> p 2.152557195470068e-06
    // proportions_ztest([1200,4000],[10000,50000],alternative='larger') -> p 8.087974501880605e-39
    // proportions_ztest([10,4000],[100,50000],alternative='larger') -> p 0.23077225763544545
    for (n, want) in [
        (1000u64, 2.152557195470068e-06),
        (10_000, 8.087974501880605e-39),
    ] {
        let t = missing_share_test(4000, 50_000, 0, n).unwrap();
        assert_rel(t.p_value_at(0.04), want, 1e-9, "p at the floor");
    }
    let t = missing_share_test(4000, 50_000, 0, 100).unwrap();
    assert_abs(
        t.p_value_at(0.02),
        0.23077225763544545,
        ABS_PVALUE,
        "100 records",
    );
    assert_eq!(t.p_value_at(1.0), t.min_p_value);
    // KS: an L∞ floor of 0.1 with 2000 vs 100 exact values.
    // scipy.special.kolmogorov(np.sqrt(2000*100/2100) * 0.1) = 0.29673421491026464
    let a: Vec<f64> = (0..2000).map(f64::from).collect();
    let b: Vec<f64> = (0..100).map(f64::from).collect();
    let t = ks_test(&sketch(&a), &sketch(&b)).unwrap();
    assert_abs(
        t.p_value_at(0.1),
        0.29673421491026464,
        ABS_PVALUE,
        "KS at floor",
    );
    assert_eq!(t.p_value_at(1.0), t.min_p_value);
    let d = decide(
        &[FeatureEvidence {
            effect: t.statistic,
            effect_floor: 0.1,
            p_value: t.p_value,
            min_p_value: t.p_value_at(0.1),
        }],
        0.05,
    )
    .unwrap();
    assert_eq!(d[0].decision, Decision::LacksPower);
}

// ---------------------------------------------------------------- BH

#[test]
fn benjamini_hochberg_matches_scipy() {
    let ps = [
        0.0001, 0.2, 0.012, 0.049, 0.011, 0.9, 0.03, 0.0004, 0.04, 0.008,
    ];
    // scipy.stats.false_discovery_control(ps)
    let want = [
        0.001,
        0.22222222222222224,
        0.024,
        0.06125,
        0.024,
        0.9,
        0.05,
        0.002,
        0.05714285714285715,
        0.024,
    ];
    let r = benjamini_hochberg(&ps, 0.05).unwrap();
    for (got, want) in r.adjusted.iter().zip(want) {
        assert_rel(*got, want, REL_TIGHT, "adjusted p");
    }
    // rejected = adjusted <= 0.05 (scipy's adjusted 0.05 of p = 0.03 counts as rejected)
    let want_rej: Vec<bool> = want.iter().map(|&a| a <= 0.05).collect();
    assert_eq!(r.rejected, want_rej);
    assert_eq!(r.rejected.iter().filter(|&&x| x).count(), 6);
}

// ---------------------------------------------------------------- decision from merged state

/// One window's three features (a number, a category, the number's completeness), decided from
/// mergeable state only.
fn decide_window(
    base: (&KllSketch, &CategoricalCounts, u64, u64),
    win: (&KllSketch, &CategoricalCounts, u64, u64),
    base_std: f64,
) -> Vec<drift_math::policy::FeatureDecision> {
    let mut ev = Vec::new();
    if let Some(ks) = ks_test(base.0, win.0) {
        let effect = normalized_wasserstein(base.0, win.0, base_std)
            .unwrap()
            .unwrap();
        ev.push(FeatureEvidence {
            effect,
            effect_floor: 0.1,
            p_value: ks.p_value,
            min_p_value: ks.min_p_value,
        });
    }
    if let Some(chi) = chi2_contingency(base.1, win.1) {
        ev.push(FeatureEvidence {
            effect: share_change(base.1, win.1).unwrap(),
            effect_floor: 0.05,
            p_value: chi.p_value,
            min_p_value: chi.min_p_value,
        });
    }
    let c = missing_share_test(base.2, base.3, win.2, win.3).unwrap();
    ev.push(FeatureEvidence {
        effect: c.difference,
        effect_floor: 0.02,
        p_value: c.p_value,
        min_p_value: c.min_p_value,
    });
    decide(&ev, 0.05).unwrap()
}

/// Split points of `len` items into up to `cuts.len() + 1` contiguous parts.
fn parts(len: usize, cuts: &[f64]) -> Vec<(usize, usize)> {
    let mut idx: Vec<usize> = cuts.iter().map(|c| (len as f64 * c) as usize).collect();
    idx.push(0);
    idx.push(len);
    idx.sort_unstable();
    idx.windows(2).map(|w| (w[0], w[1])).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Merging the window's per-object states (any split) gives the same decisions as the state
    /// of the whole window, while the sketches are exact (< 2051 values).
    #[test]
    fn merged_state_of_any_split_decides_like_the_whole(
        base_x in prop::collection::vec(-50i32..50, 1..900),
        win_x in prop::collection::vec(-40i32..60, 1..900),
        base_cat in prop::collection::vec(0u8..5, 1..900),
        win_cat in prop::collection::vec(0u8..6, 1..900),
        win_missing in 0u64..200,
        cuts in prop::collection::vec(0.0f64..1.0, 0..5),
    ) {
        let bx: Vec<f64> = base_x.iter().map(|&v| f64::from(v)).collect();
        let wx: Vec<f64> = win_x.iter().map(|&v| f64::from(v)).collect();
        let cat = |c: &[u8]| {
            let mut cc = CategoricalCounts::new();
            c.iter().for_each(|v| cc.add(&format!("c{v}")));
            cc
        };
        let (bs, bc) = (sketch(&bx), cat(&base_cat));
        let base_std = Moments::from_iter(bx.iter().copied()).std_dev().unwrap();
        let base_state = (&bs, &bc, 40u64, bx.len() as u64 + 40);

        let whole_s = sketch(&wx);
        let whole_c = cat(&win_cat);
        let missing = win_missing.min(wx.len() as u64);
        let whole = decide_window(
            base_state,
            (&whole_s, &whole_c, missing, wx.len() as u64 + missing),
            base_std,
        );

        let mut merged_s = KllSketch::new();
        for (lo, hi) in parts(wx.len(), &cuts) {
            merged_s.merge(&sketch(&wx[lo..hi]));
        }
        let mut merged_c = CategoricalCounts::new();
        for (lo, hi) in parts(win_cat.len(), &cuts) {
            merged_c.merge(&cat(&win_cat[lo..hi]));
        }
        let merged = decide_window(
            base_state,
            (&merged_s, &merged_c, missing, wx.len() as u64 + missing),
            base_std,
        );
        prop_assert_eq!(&merged, &whole);
        prop_assert_eq!(merged.len(), 3);
    }
}

#[test]
fn a_clear_shift_drifts_and_a_tiny_window_lacks_power() {
    // 2000-value baseline; a 2000-value window shifted by one baseline SD drifts.
    let base: Vec<f64> = (0..2000u64).map(|i| ((i * 7_919) % 1000) as f64).collect();
    let std = Moments::from_iter(base.iter().copied()).std_dev().unwrap();
    let shifted: Vec<f64> = base.iter().map(|x| x + std).collect();
    let (sb, sw) = (sketch(&base), sketch(&shifted));
    let ks = ks_test(&sb, &sw).unwrap();
    let nw = normalized_wasserstein(&sb, &sw, std).unwrap().unwrap();
    assert_rel(nw, 1.0, 1e-12, "a shift of one SD reads 1.0");
    let d = decide(
        &[FeatureEvidence {
            effect: nw,
            effect_floor: 0.1,
            p_value: ks.p_value,
            min_p_value: ks.min_p_value,
        }],
        0.05,
    )
    .unwrap();
    assert_eq!(d[0].decision, Decision::Drift);
    // One record: even D = 1 is not significant.
    // scipy.special.kolmogorov(np.sqrt(2000/2001)) = 0.27026765476748654
    let tiny = sketch(&[1e9]);
    let ks = ks_test(&sb, &tiny).unwrap();
    assert_eq!(ks.statistic, 1.0);
    assert_abs(ks.min_p_value, 0.27026765476748654, ABS_PVALUE, "min p");
    assert_eq!(ks.p_value, ks.min_p_value);
    // Two records are already enough for D = 1 to be significant at 0.05:
    // scipy.special.kolmogorov(np.sqrt(2000*2/2002)) = 0.03677772066801658
    let two = ks_test(&sb, &sketch(&[1e9, 2e9])).unwrap();
    assert_abs(
        two.min_p_value,
        0.03677772066801658,
        ABS_PVALUE,
        "min p, 2 records",
    );
    let d = decide(
        &[FeatureEvidence {
            effect: 1e6,
            effect_floor: 0.1,
            p_value: ks.p_value,
            min_p_value: ks.min_p_value,
        }],
        0.05,
    )
    .unwrap();
    assert_eq!(d[0].decision, Decision::LacksPower);
}
