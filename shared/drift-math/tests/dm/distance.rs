use drift_math::categorical::CategoricalCounts;
use drift_math::distance::{
    c_alpha, categorical_linf_robust, categorical_linf_simple, chi_square, chi_square_with,
    jensen_shannon, psi, robust_linf, robust_margin, ChiSquareParams, PSI_EPSILON, ROBUST_C_ALPHA,
};
use drift_math::DriftError;
use proptest::prelude::*;

use crate::tol::{assert_abs, assert_rel, ABS_PVALUE, REL_TIGHT};

fn cc(pairs: &[(&str, u64)]) -> CategoricalCounts {
    CategoricalCounts::from_pairs(1000, pairs.iter().copied())
}

// ---------------------------------------------------------------- L∞

#[test]
fn linf_hand_computed() {
    // n = m = 10: red |0.6-0.2| = 0.4, green |0.3-0.4| = 0.1, blue |0.1-0.2| = 0.1,
    // black |0-0.2| = 0.2  -> 0.4
    let a = cc(&[("red", 6), ("green", 3), ("blue", 1)]);
    let b = cc(&[("red", 2), ("green", 4), ("blue", 2), ("black", 2)]);
    assert_rel(
        categorical_linf_simple(&a, &b).unwrap(),
        0.4,
        REL_TIGHT,
        "simple",
    );
    assert_rel(
        categorical_linf_simple(&b, &a).unwrap(),
        0.4,
        REL_TIGHT,
        "symmetric",
    );
    // margin 1.8·sqrt(20/100) = 0.805 > 0.4
    assert_eq!(categorical_linf_robust(&a, &b), Some(0.0));

    // ×100 counts: same masses, margin 1.8·sqrt(2000/10⁶) = 0.0804984...
    let a100 = cc(&[("red", 600), ("green", 300), ("blue", 100)]);
    let b100 = cc(&[("red", 200), ("green", 400), ("blue", 200), ("black", 200)]);
    let robust = categorical_linf_robust(&a100, &b100).unwrap();
    assert_rel(robust, 0.4 - 1.8 * 0.002f64.sqrt(), REL_TIGHT, "robust");
    assert_rel(robust, 0.31950155281, 1e-10, "robust (decimal)");
}

#[test]
fn linf_different_totals_and_empty() {
    // n = 4, m = 8: x |3/4 - 2/8| = 0.5, y |1/4 - 6/8| = 0.5
    let a = cc(&[("x", 3), ("y", 1)]);
    let b = cc(&[("x", 2), ("y", 6)]);
    assert_eq!(categorical_linf_simple(&a, &b), Some(0.5));
    let empty = CategoricalCounts::new();
    assert_eq!(categorical_linf_simple(&a, &empty), None);
    assert_eq!(categorical_linf_simple(&empty, &a), None);
    assert_eq!(categorical_linf_robust(&empty, &empty), None);
}

#[test]
fn linf_overflow_counts_in_totals() {
    // a keeps only "x"; "y" and "z" (2 values) are overflow: mass of x = 2/4
    let mut a = CategoricalCounts::with_cap(1);
    for v in ["x", "x", "y", "z"] {
        a.add(v);
    }
    let b = cc(&[("x", 1), ("w", 1)]);
    // x: |2/4 - 1/2| = 0; w: 1/2
    assert_eq!(categorical_linf_simple(&a, &b), Some(0.5));
}

#[test]
fn robust_helpers() {
    assert_eq!(ROBUST_C_ALPHA, 1.8);
    assert_rel(
        robust_margin(50.0, 200.0),
        1.8 * (250.0f64 / 10_000.0).sqrt(),
        REL_TIGHT,
        "margin",
    );
    assert_eq!(robust_linf(0.1, 50.0, 200.0), 0.0);
    assert_rel(
        robust_linf(0.5, 50.0, 200.0),
        0.5 - 0.2846049894151541,
        1e-12,
        "robust",
    );
    // math.sqrt(-math.log(0.05 / 2) / 2)
    assert_rel(
        c_alpha(0.05).unwrap(),
        1.3581015157406195,
        REL_TIGHT,
        "c_alpha",
    );
    assert!(matches!(
        c_alpha(0.0),
        Err(DriftError::InvalidParameter { name: "alpha", .. })
    ));
    assert!(c_alpha(f64::NAN).is_err());
    assert!(c_alpha(1.5).is_err());
}

// ---------------------------------------------------------------- chi-square

#[test]
fn chi_square_matches_scipy() {
    // scipy.stats.chisquare([40, 35, 25], [50, 30, 20])
    //   -> statistic 4.083333333333334, pvalue 0.12981217685543797
    let r = chi_square(
        &cc(&[("a", 40), ("b", 35), ("c", 25)]),
        &cc(&[("a", 50), ("b", 30), ("c", 20)]),
    )
    .unwrap();
    assert_rel(r.statistic, 4.083333333333334, REL_TIGHT, "statistic");
    assert_abs(r.p_value, 0.12981217685543797, ABS_PVALUE, "p");
    assert_eq!(r.degrees_of_freedom, 2);

    // scipy.stats.chisquare([12, 30, 18, 40], [10, 25, 25, 40])
    //   -> statistic 3.36, pvalue 0.33937868568570856
    let r = chi_square(
        &cc(&[("w", 12), ("x", 30), ("y", 18), ("z", 40)]),
        &cc(&[("w", 10), ("x", 25), ("y", 25), ("z", 40)]),
    )
    .unwrap();
    assert_rel(r.statistic, 3.36, REL_TIGHT, "statistic");
    assert_abs(r.p_value, 0.33937868568570856, ABS_PVALUE, "p");
    assert_eq!(r.degrees_of_freedom, 3);
}

#[test]
fn chi_square_normalises_baseline_to_current_total() {
    // baseline 30/70 (sum 100), current 20/20 (sum 40): expected = 12, 28
    // scipy.stats.chisquare([20, 20], [12, 28]) -> 7.619047619047619, p 0.005775498089305212
    // (2 categories: Cochran threshold 10, both cells ≥ 10, no regrouping)
    let r = chi_square(&cc(&[("a", 20), ("b", 20)]), &cc(&[("a", 30), ("b", 70)])).unwrap();
    assert_rel(r.statistic, 7.619047619047619, REL_TIGHT, "statistic");
    assert_abs(r.p_value, 0.005775498089305212, ABS_PVALUE, "p");
    assert_eq!(r.degrees_of_freedom, 1);

    // scipy.stats.chisquare([70, 30], [80, 20]) -> 6.25, p 0.01241933065155227
    let r = chi_square(&cc(&[("y", 70), ("n", 30)]), &cc(&[("y", 80), ("n", 20)])).unwrap();
    assert_rel(r.statistic, 6.25, REL_TIGHT, "statistic");
    assert_abs(r.p_value, 0.01241933065155227, ABS_PVALUE, "p");
}

#[test]
fn chi_square_yates_regrouping_by_hand() {
    // Baseline a 60, b 25, c 8, d 4, e 3 (sum 100). Current a 55, b 28, c 10, d 2, e 5 and a
    // new category z 4. sampleSum over baseline categories = 100, so expected = 60, 25, 8, 4, 3.
    // k = 5 > 2: Yates threshold 5, allowed floor(0.2·5) = 1 small cell; d (4) and e (3) are
    // small -> 2 > 1: remove the smallest, e (exp 3, obs 5), add to the smallest remaining,
    // d: exp 4+3 = 7, obs 2+5 = 7. k = 4: allowed floor(0.8) = 0, no cell < 5 -> stop.
    // z is not a baseline category and is left out. Cells: obs [55, 28, 10, 7],
    // exp [60, 25, 8, 7]: statistic 25/60 + 9/25 + 4/8 + 0 = 1.276666..., dof 3.
    // p: scipy.stats.chisquare([55, 28, 10, 7], [60, 25, 8, 7]).pvalue = 0.7346811228631273
    let r = chi_square(
        &cc(&[
            ("a", 55),
            ("b", 28),
            ("c", 10),
            ("d", 2),
            ("e", 5),
            ("z", 4),
        ]),
        &cc(&[("a", 60), ("b", 25), ("c", 8), ("d", 4), ("e", 3)]),
    )
    .unwrap();
    assert_rel(
        r.statistic,
        25.0 / 60.0 + 9.0 / 25.0 + 0.5,
        REL_TIGHT,
        "statistic",
    );
    assert_eq!(r.degrees_of_freedom, 3);
    assert_abs(r.p_value, 0.7346811228631273, ABS_PVALUE, "p");
}

#[test]
fn chi_square_cascading_regrouping_by_hand() {
    // Baseline a 40, b 40, c 8, x 2, y 2 (sum 92); current a 38, b 41, c 10, x 3 (no y):
    // sampleSum = 92 -> expected = baseline.
    // k = 5, allowed 1, small: x, y -> regroup. Tie x = y = 2: smallest key x is removed
    // (obs 3) and added to y: exp 4, obs 0+3 = 3.
    // k = 4, allowed 0, small: y (4) -> remove y (exp 4, obs 3), add to c: exp 12, obs 13.
    // k = 3, allowed 0, no cell < 5 -> stop. obs [38, 41, 13], exp [40, 40, 12]:
    // statistic 4/40 + 1/40 + 1/12 = 0.208333..., dof 2.
    // p: scipy.stats.chisquare([38, 41, 13], [40, 40, 12]).pvalue = 0.9010751057212906
    let r = chi_square(
        &cc(&[("a", 38), ("b", 41), ("c", 10), ("x", 3)]),
        &cc(&[("a", 40), ("b", 40), ("c", 8), ("x", 2), ("y", 2)]),
    )
    .unwrap();
    assert_rel(
        r.statistic,
        0.1 + 0.025 + 1.0 / 12.0,
        REL_TIGHT,
        "statistic",
    );
    assert_eq!(r.degrees_of_freedom, 2);
    assert_abs(r.p_value, 0.9010751057212906, ABS_PVALUE, "p");
}

#[test]
fn chi_square_none_where_deequ_gives_nan() {
    // Cochran: 2 categories, "no" expected 5 < 10 -> merged into "yes"; one baseline cell
    // and one current category remain -> Deequ NaN.
    assert_eq!(
        chi_square(
            &cc(&[("yes", 90), ("no", 10)]),
            &cc(&[("yes", 95), ("no", 5)])
        ),
        None
    );
    // Only one current category (Deequ counts the sample's keys) -> NaN, even though the
    // baseline has two well-filled cells.
    assert_eq!(
        chi_square(&cc(&[("a", 100)]), &cc(&[("a", 50), ("b", 50)])),
        None
    );
    // Empty baseline.
    assert_eq!(
        chi_square(&cc(&[("a", 1), ("b", 1)]), &CategoricalCounts::new()),
        None
    );
    // One baseline category but two current ones: dof 0 (Spark throws).
    assert_eq!(
        chi_square(&cc(&[("a", 5), ("z", 5)]), &cc(&[("a", 50)])),
        None
    );
    // No current value in a baseline category: every expected cell is 0 (Spark throws).
    assert_eq!(
        chi_square(&cc(&[("p", 5), ("q", 5)]), &cc(&[("a", 50), ("b", 50)])),
        None
    );
}

#[test]
fn chi_square_new_categories_do_not_count() {
    // baseline a 50, b 50; current a 40, b 40 plus 1000 values of a new category:
    // sampleSum = 80, expected 40, 40 -> statistic 0, p 1
    let r = chi_square(
        &cc(&[("a", 40), ("b", 40), ("new", 1000)]),
        &cc(&[("a", 50), ("b", 50)]),
    )
    .unwrap();
    assert_eq!(r.statistic, 0.0);
    assert_abs(r.p_value, 1.0, ABS_PVALUE, "p");
}

#[test]
fn chi_square_custom_thresholds() {
    // With thresholds 0 nothing is regrouped: the Cochran example above becomes testable.
    // scipy.stats.chisquare([90, 10], [95, 5]) -> statistic 5.2631578947368425
    let params = ChiSquareParams {
        abs_threshold_yates: 0,
        perc_threshold_yates: 0.2,
        abs_threshold_cochran: 0,
    };
    let r = chi_square_with(
        &cc(&[("yes", 90), ("no", 10)]),
        &cc(&[("yes", 95), ("no", 5)]),
        &params,
    )
    .unwrap();
    assert_rel(
        r.statistic,
        25.0 / 95.0 + 25.0 / 5.0,
        REL_TIGHT,
        "statistic",
    );
    assert_eq!(ChiSquareParams::default().abs_threshold_yates, 5);
    assert_eq!(ChiSquareParams::default().abs_threshold_cochran, 10);
}

// ---------------------------------------------------------------- PSI / JS

/// `psi_ref(e, a)` below is
/// `e = np.maximum(e / e.sum(), 1e-4); a = np.maximum(a / a.sum(), 1e-4);
///  np.sum((a - e) * np.log(a / e))` with float64 arrays (NumPy 2.4.6).
#[test]
fn psi_matches_numpy() {
    assert_eq!(PSI_EPSILON, 1e-4);
    // psi_ref([.5, .5], [.6, .4]) = 0.04054651081081642
    assert_rel(
        psi(&[0.5, 0.5], &[0.6, 0.4]).unwrap(),
        0.04054651081081642,
        REL_TIGHT,
        "psi",
    );
    // psi_ref([.1, .2, .3, .4], [.15, .25, .25, .35]) = 0.04722308044204256
    assert_rel(
        psi(&[0.1, 0.2, 0.3, 0.4], &[0.15, 0.25, 0.25, 0.35]).unwrap(),
        0.04722308044204256,
        REL_TIGHT,
        "psi",
    );
    // counts with an empty bucket: psi_ref([120, 80, 0, 50], [100, 90, 10, 50]) = 0.25835648139938017
    assert_rel(
        psi(&[120.0, 80.0, 0.0, 50.0], &[100.0, 90.0, 10.0, 50.0]).unwrap(),
        0.25835648139938017,
        REL_TIGHT,
        "psi",
    );
    assert_eq!(psi(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]).unwrap(), 0.0);
}

#[test]
fn jensen_shannon_matches_scipy() {
    // scipy.spatial.distance.jensenshannon(p, q)  (natural log, returns the distance)
    let cases: [(&[f64], &[f64], f64); 4] = [
        (&[0.1, 0.4, 0.5], &[0.3, 0.3, 0.4], 0.18035965602712561),
        (&[1.0, 0.0], &[0.0, 1.0], 0.8325546111576977),
        (
            &[10.0, 0.0, 5.0, 5.0],
            &[2.0, 8.0, 0.0, 10.0],
            0.5650539839603815,
        ),
        (&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0], 0.0),
    ];
    for (p, q, want) in cases {
        let got = jensen_shannon(p, q).unwrap();
        if want == 0.0 {
            assert!(got.abs() < 1e-7, "{got}"); // sqrt of a divergence of a few ulps
        } else {
            assert_rel(got, want, REL_TIGHT, "js");
        }
    }
}

#[test]
fn psi_and_js_reject_bad_input() {
    assert!(matches!(psi(&[], &[]), Err(DriftError::Empty(_))));
    assert!(matches!(
        psi(&[1.0, 2.0], &[1.0, 2.0, 3.0]),
        Err(DriftError::InvalidParameter { value, .. }) if value == 3.0
    ));
    assert!(matches!(
        psi(&[1.0, -2.0], &[1.0, 2.0]),
        Err(DriftError::InvalidParameter { value, .. }) if value == -2.0
    ));
    assert!(psi(&[1.0, f64::NAN], &[1.0, 2.0]).is_err());
    assert!(psi(&[0.0, 0.0], &[1.0, 2.0]).is_err());
    assert!(jensen_shannon(&[1.0], &[f64::INFINITY]).is_err());
    assert!(jensen_shannon(&[1.0, 2.0], &[1.0]).is_err());
    assert!(matches!(
        jensen_shannon(&[], &[]),
        Err(DriftError::Empty(_))
    ));
}

// ---------------------------------------------------------------- properties

fn small_counts() -> impl Strategy<Value = CategoricalCounts> {
    prop::collection::vec(("[a-f]", 1u64..500), 0..8).prop_map(|pairs| {
        CategoricalCounts::from_pairs(100, pairs.iter().map(|(v, n)| (v.as_str(), *n)))
    })
}

proptest! {
    #[test]
    fn linf_bounds_and_identity(a in small_counts(), b in small_counts()) {
        match (categorical_linf_simple(&a, &b), categorical_linf_robust(&a, &b)) {
            (Some(simple), Some(robust)) => {
                prop_assert!((0.0..=1.0).contains(&simple));
                prop_assert!((0.0..=simple).contains(&robust));
                prop_assert_eq!(Some(simple), categorical_linf_simple(&b, &a));
            }
            (None, None) => prop_assert!(a.total() == 0 || b.total() == 0),
            other => prop_assert!(false, "inconsistent {:?}", other),
        }
        if a.total() > 0 {
            prop_assert_eq!(categorical_linf_simple(&a, &a), Some(0.0));
            prop_assert_eq!(categorical_linf_robust(&a, &a), Some(0.0));
        }
    }

    #[test]
    fn chi_square_identical_is_zero(a in small_counts()) {
        if let Some(r) = chi_square(&a, &a) {
            prop_assert!(r.statistic.abs() < 1e-9);
            prop_assert!((r.p_value - 1.0).abs() < 1e-9);
        }
    }

    #[test]
    fn chi_square_outputs_are_well_formed(a in small_counts(), b in small_counts()) {
        if let Some(r) = chi_square(&a, &b) {
            prop_assert!(r.statistic >= 0.0);
            prop_assert!((0.0..=1.0).contains(&r.p_value));
            prop_assert!(r.degrees_of_freedom >= 1 && r.degrees_of_freedom < b.distinct());
        }
    }

    #[test]
    fn psi_and_js_properties(
        pq in prop::collection::vec((0.0f64..100.0, 0.0f64..100.0), 1..12),
    ) {
        let (p, q): (Vec<f64>, Vec<f64>) = pq.into_iter().unzip();
        prop_assume!(p.iter().sum::<f64>() > 0.0 && q.iter().sum::<f64>() > 0.0);
        let v = psi(&p, &q).unwrap();
        prop_assert!(v >= 0.0);
        prop_assert_eq!(psi(&p, &p).unwrap(), 0.0);
        let d = jensen_shannon(&p, &q).unwrap();
        prop_assert!((0.0..=std::f64::consts::LN_2.sqrt() + 1e-12).contains(&d));
        prop_assert!((d - jensen_shannon(&q, &p).unwrap()).abs() <= 1e-12);
        prop_assert!(jensen_shannon(&p, &p).unwrap() < 1e-7);
    }
}
