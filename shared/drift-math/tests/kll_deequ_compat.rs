//! Bit-compatibility of `drift_math::kll::KllSketch` with the KLL sketches that SageMaker Model
//! Monitor's analyzer (Deequ 2.0.2 `QuantileNonSample`) wrote into a real `statistics.json`.
//!
//! Fixtures (see `tests/fixtures/sagemaker/PROVENANCE-kll.md`):
//! * `datasets/ex-churn-training-dataset-with-header.csv`: the 2333-row input of the baseline job;
//! * `data-quality/ex-intro-churn-baseline-statistics.partial.json`: the `statistics.json` that
//!   job printed (first 29 of 70 features, each with its full sketch and 10 buckets).
//!
//! Every column is fed to a fresh default sketch (`k = 2048`, `c = 0.64`) value by value in file
//! order. The result must equal the file's `sketch.data` bit for bit, and the buckets computed
//! from the column's min/max must equal the file's buckets (bounds bit for bit, counts equal).
//! This works because the 2333 rows fit one Spark partition: the analyzer updates one sketch in
//! file order and then merges it into an empty aggregation buffer, which below total capacity
//! only concatenates.
use drift_math::kll::{KllSketch, DEFAULT_NUMBER_OF_BUCKETS};
use serde_json::Value;
use test_support::sagemaker_fixture as fixture;

const CSV: &str = "datasets/ex-churn-training-dataset-with-header.csv";
const STATS: &str = "data-quality/ex-intro-churn-baseline-statistics.partial.json";

/// Column name -> values in file order.
fn read_columns() -> (Vec<String>, Vec<Vec<f64>>) {
    let mut rdr = csv::Reader::from_path(fixture(CSV)).unwrap();
    let names: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    let mut cols = vec![Vec::new(); names.len()];
    for rec in rdr.records() {
        let rec = rec.unwrap();
        assert_eq!(rec.len(), names.len());
        for (col, field) in cols.iter_mut().zip(rec.iter()) {
            col.push(field.trim().parse::<f64>().unwrap());
        }
    }
    (names, cols)
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn kll_sketches_and_buckets_match_real_sagemaker_baseline() {
    let (names, cols) = read_columns();
    let stats: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture(STATS)).unwrap()).unwrap();
    let item_count = stats["dataset"]["item_count"].as_u64().unwrap();
    let features = stats["features"].as_array().unwrap();
    assert_eq!(features.len(), 29, "partial fixture holds 29 features");

    for feature in features {
        let name = feature["name"].as_str().unwrap();
        let idx = names.iter().position(|n| n == name).unwrap();
        let values = &cols[idx];
        assert_eq!(values.len() as u64, item_count, "{name}");

        let ns = &feature["numerical_statistics"];
        let kll = &ns["distribution"]["kll"];
        let params = &kll["sketch"]["parameters"];

        let mut sketch = KllSketch::new();
        for &x in values {
            sketch.update(x);
        }
        assert_eq!(
            params["k"].as_f64(),
            Some(sketch.sketch_size() as f64),
            "{name}"
        );
        assert_eq!(
            params["c"].as_f64(),
            Some(sketch.shrinking_factor()),
            "{name}"
        );

        // sketch.data: level by level, bit for bit, in buffer order
        let want: Vec<Vec<f64>> = kll["sketch"]["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(f64s)
            .collect();
        let got = sketch.levels();
        assert_eq!(got.len(), want.len(), "{name}: number of levels");
        for (h, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(bits(g), bits(w), "{name}: level {h}");
        }
        assert_eq!(sketch.total_weight(), item_count, "{name}");

        // the global min/max Deequ tracks beside the sketch
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(ns["min"].as_f64(), Some(min), "{name}: min");
        assert_eq!(ns["max"].as_f64(), Some(max), "{name}: max");

        // buckets: bounds bit for bit, counts equal
        let want_buckets = kll["buckets"].as_array().unwrap();
        let got_buckets = sketch.buckets(min, max, DEFAULT_NUMBER_OF_BUCKETS);
        assert_eq!(got_buckets.len(), want_buckets.len(), "{name}");
        for (i, (g, w)) in got_buckets.iter().zip(want_buckets).enumerate() {
            let lo = w["lower_bound"].as_f64().unwrap();
            let hi = w["upper_bound"].as_f64().unwrap();
            let count = w["count"].as_f64().unwrap();
            assert_eq!(
                g.lower_bound.to_bits(),
                lo.to_bits(),
                "{name}: bucket {i} lower"
            );
            assert_eq!(
                g.upper_bound.to_bits(),
                hi.to_bits(),
                "{name}: bucket {i} upper"
            );
            assert_eq!(g.count, count, "{name}: bucket {i} count");
        }

        // A sketch rebuilt from the file answers every query identically.
        let rebuilt = KllSketch::from_levels(2048, 0.64, want).unwrap();
        assert_eq!(rebuilt.rank_map(), sketch.rank_map(), "{name}");
        assert_eq!(
            rebuilt.buckets(min, max, DEFAULT_NUMBER_OF_BUCKETS),
            got_buckets,
            "{name}"
        );
    }
}

#[test]
fn kll_baseline_sketches_have_the_expected_shape() {
    // 2333 values: the 2051st update compacts level 0 (2050 sorted values -> 1025 on level 1,
    // the 2051st value stays), the remaining 282 values follow it on level 0.
    let (names, cols) = read_columns();
    let idx = names.iter().position(|n| n == "Account Length").unwrap();
    let mut s = KllSketch::new();
    cols[idx].iter().for_each(|&x| s.update(x));
    let levels = s.levels();
    assert_eq!(levels.iter().map(Vec::len).collect::<Vec<_>>(), [283, 1025]);
    assert_eq!(levels[0][0], cols[idx][2050]);
    assert_eq!(levels[0][1..], cols[idx][2051..]);
}

#[test]
fn kll_drift_between_two_real_columns_is_symmetric_and_bounded() {
    // linf between a real baseline sketch and itself (rebuilt from statistics.json) is 0, and
    // between two different real columns it lies in (0, 1].
    let stats: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture(STATS)).unwrap()).unwrap();
    let sketch_of = |name: &str| {
        let f = stats["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap();
        let data = f["numerical_statistics"]["distribution"]["kll"]["sketch"]["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(f64s)
            .collect();
        KllSketch::from_levels(2048, 0.64, data).unwrap()
    };
    let day = sketch_of("Day Mins");
    let eve = sketch_of("Eve Mins");
    assert_eq!(drift_math::kll::linf_simple(&day, &day), Some(0.0));
    let d = drift_math::kll::linf_simple(&day, &eve).unwrap();
    assert!(d > 0.0 && d <= 1.0, "{d}");
    assert_eq!(drift_math::kll::linf_simple(&eve, &day), Some(d));
    let r = drift_math::kll::linf_robust(&day, &eve).unwrap();
    assert!((0.0..=d).contains(&r));
}
