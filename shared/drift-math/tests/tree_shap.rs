//! Path-dependent TreeSHAP on an XGBoost JSON model against the `shap` package.
//!
//! Fixture `tests/fixtures/models/xgb-binary-logistic.json` and the reference values come
//! from this script (xgboost 3.2.0, shap 0.51.0, numpy 2.2.6; `pip install xgboost shap`):
//!
//! ```python
//! import numpy as np, xgboost as xgb, shap
//! rng = np.random.default_rng(7)
//! n = 200
//! X = rng.normal(size=(n, 4)).round(2)
//! X[rng.random(n) < 0.1, 2] = np.nan
//! y = ((X[:, 0] + 0.5 * X[:, 1] * (X[:, 3] > 0) - 0.3 * np.nan_to_num(X[:, 2])
//!       + rng.normal(0, 0.5, n)) > 0).astype(int)
//! bst = xgb.train({"objective": "binary:logistic", "max_depth": 4, "eta": 0.3, "seed": 1,
//!                  "base_score": 0.4}, xgb.DMatrix(X, label=y), num_boost_round=8)
//! bst.save_model("xgb-binary-logistic.json")
//! Q = np.array([[0.5, -1.2, 0.3, 0.8], [-0.4, 0.9, np.nan, -0.2], [1.5, 1.5, -1.0, 1.0],
//!               [0.0, 0.0, 0.0, 0.0], [-2.0, 0.3, 1.1, -0.7]])
//! e = shap.TreeExplainer(bst)
//! print(repr(float(e.expected_value)), e.shap_values(Q).tolist())
//! print(bst.predict(xgb.DMatrix(Q), output_margin=True).tolist())
//! ```
//!
//! For an XGBoost model `shap` returns XGBoost's own TreeSHAP (`pred_contribs`), computed
//! and returned in `float32`: the reference values carry ~7 significant digits, hence
//! [`F32`].

use drift_math::shap::TreeEnsemble;

/// Absolute tolerance against values computed in `float32` (|values| < 3: a few ulps of
/// `f32` at that size is ~1e-6).
const F32: f64 = 2e-6;

const Q: [[f64; 4]; 5] = [
    [0.5, -1.2, 0.3, 0.8],
    [-0.4, 0.9, f64::NAN, -0.2],
    [1.5, 1.5, -1.0, 1.0],
    [0.0, 0.0, 0.0, 0.0],
    [-2.0, 0.3, 1.1, -0.7],
];

const SHAP: [[f64; 4]; 5] = [
    [
        2.272679328918457,
        -0.37775087356567383,
        -0.0035860110074281693,
        0.0649397000670433,
    ],
    [
        -1.0295931100845337,
        0.6987352967262268,
        0.04147852584719658,
        0.14077894389629364,
    ],
    [
        1.8242872953414917,
        0.12939542531967163,
        0.15571841597557068,
        -0.3547162115573883,
    ],
    [
        -0.8804091811180115,
        0.26410558819770813,
        -0.28282177448272705,
        -0.0006679100915789604,
    ],
    [
        -2.214775323867798,
        0.22986413538455963,
        -0.40765392780303955,
        0.006670440547168255,
    ],
];

const EXPECTED_VALUE: f64 = -0.2124670147895813;

const MARGIN: [f64; 5] = [
    1.7438150644302368,
    -0.36106735467910767,
    1.54221773147583,
    -1.1122602224349976,
    -2.5983622074127197,
];

fn model_json() -> Vec<u8> {
    test_support::read_fixture("models/xgb-binary-logistic.json")
}

#[test]
fn tree_shap_matches_the_shap_package() {
    let model = TreeEnsemble::from_xgboost_json(&model_json(), 0).unwrap();
    assert_eq!(model.num_features(), 4);
    assert_eq!(model.trees().len(), 8);
    // base_score "[4E-1]" under binary:logistic → margin ln(0.4/0.6)
    assert!((model.base_margin() - (0.4f64 / 0.6).ln()).abs() < 1e-15);
    assert!((model.expected_value() - EXPECTED_VALUE).abs() < F32);
    for ((x, want), margin) in Q.iter().zip(&SHAP).zip(MARGIN) {
        let got = model.explain(x).unwrap();
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < F32, "{x:?}: {got:?} vs {want:?}");
        }
        let m = model.predict_margin(x).unwrap();
        assert!((m - margin).abs() < F32, "{x:?}: margin {m} vs {margin}");
        // local accuracy, in f64
        let total: f64 = got.iter().sum();
        assert!((total - (m - model.expected_value())).abs() < 1e-12);
    }
}

#[test]
fn xgboost_1x_scalar_base_score_reads_the_same() {
    // XGBoost 1.x–2.x write base_score as "4E-1", 3.x as "[4E-1]"
    let text = String::from_utf8(model_json()).unwrap();
    assert!(text.contains(r#""base_score":"[4E-1]""#));
    let old = text.replace(r#""base_score":"[4E-1]""#, r#""base_score":"4E-1""#);
    let a = TreeEnsemble::from_xgboost_json(text.as_bytes(), 0).unwrap();
    let b = TreeEnsemble::from_xgboost_json(old.as_bytes(), 0).unwrap();
    assert_eq!(a, b);
}

#[test]
fn unsupported_models_are_named() {
    let text = String::from_utf8(model_json()).unwrap();
    let e = TreeEnsemble::from_xgboost_json(
        text.replace("binary:logistic", "binary:unknown").as_bytes(),
        0,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid tree model: objective \"binary:unknown\" is not supported"
    );
    let e = TreeEnsemble::from_xgboost_json(&model_json(), 1).unwrap_err();
    assert!(e.to_string().contains("output_group 1"), "{e}");
    let e = TreeEnsemble::from_xgboost_json(b"{\"learner\": 1}", 0).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("invalid tree model: not an XGBoost JSON model"),
        "{e}"
    );
    let model = TreeEnsemble::from_xgboost_json(&model_json(), 0).unwrap();
    assert!(model.explain(&[0.0; 3]).is_err());
}

/// `dart` booster: each tree's leaves scaled by its `weight_drop`. Reference from
/// (xgboost 3.2.0, shap 0.51.0):
///
/// ```python
/// rng = np.random.default_rng(11)
/// n = 150
/// X = rng.normal(size=(n, 3)).round(2)
/// y = X[:, 0] * 2 + np.abs(X[:, 1]) - X[:, 2] * (X[:, 0] > 0) + rng.normal(0, 0.3, n)
/// bst = xgb.train({"booster": "dart", "objective": "reg:squarederror", "max_depth": 3,
///                  "eta": 0.5, "rate_drop": 0.3, "seed": 3, "base_score": 0.25},
///                 xgb.DMatrix(X, label=y), num_boost_round=6)
/// bst.save_model("xgb-dart-regression.json")
/// Q = np.array([[0.3, -0.8, 1.2], [-1.1, 0.4, -0.5], [2.0, 0.0, 0.7]])
/// shap.TreeExplainer(bst).shap_values(Q)      # φ
/// bst.predict(xgb.DMatrix(Q), pred_contribs=True)[:, -1]   # E[f] (the bias column)
/// ```
///
/// (`shap`'s `expected_value` for a dart model is the bare base score 0.25, which does not
/// add up with its own values; XGBoost's bias column, which does, is the reference.)
#[test]
fn dart_trees_are_weighted() {
    let model = TreeEnsemble::from_xgboost_json(
        &test_support::read_fixture("models/xgb-dart-regression.json"),
        0,
    )
    .unwrap();
    // reg:squarederror: the base score is the margin
    assert!((model.base_margin() - 0.25).abs() < 1e-15);
    assert!((model.expected_value() - 1.083882451057434).abs() < F32);
    let q = [[0.3, -0.8, 1.2], [-1.1, 0.4, -0.5], [2.0, 0.0, 0.7]];
    let want = [
        [
            0.006372119300067425,
            -0.02787303924560547,
            -0.412467360496521,
        ],
        [
            -2.349139928817749,
            -0.033234067261219025,
            0.07387173175811768,
        ],
        [
            3.6356523036956787,
            -0.016278496012091637,
            -0.7164842486381531,
        ],
    ];
    let margin = [0.649914026260376, -1.2246196269989014, 3.986771583557129];
    for ((x, w), m) in q.iter().zip(&want).zip(margin) {
        let got = model.explain(x).unwrap();
        for (g, w) in got.iter().zip(w) {
            assert!((g - w).abs() < F32, "{x:?}: {got:?} vs {w:?}");
        }
        assert!((model.predict_margin(x).unwrap() - m).abs() < F32);
    }
}
