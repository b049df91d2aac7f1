use drift_math::moments::Moments;
use drift_math::types::{classify, TypeCounts};
use proptest::prelude::*;

use crate::fixture;
use crate::tol::{assert_rel, assert_scaled, REL_FIXTURE, REL_TIGHT};

/// The churn training CSV as (header, columns of raw strings).
fn churn_columns() -> (Vec<String>, Vec<Vec<String>>) {
    let mut rdr = csv::Reader::from_path(fixture(
        "datasets/ex-churn-training-dataset-with-header.csv",
    ))
    .unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    let mut cols = vec![Vec::new(); header.len()];
    for rec in rdr.records() {
        let rec = rec.unwrap();
        for (i, field) in rec.iter().enumerate() {
            cols[i].push(field.to_owned());
        }
    }
    (header, cols)
}

fn column_moments(col: &[String]) -> Moments {
    col.iter().map(|s| s.parse::<f64>().unwrap()).collect()
}

#[test]
fn churn_columns_match_numpy() {
    let (header, cols) = churn_columns();
    let col = |name: &str| &cols[header.iter().position(|h| h == name).unwrap()];

    // x = np.array([float(r["Account Length"]) for r in csv.DictReader(open(path))])
    // np.mean(x), np.std(x), np.sum(x), x.min(), x.max()   (NumPy 2.4.6)
    let m = column_moments(col("Account Length"));
    assert_eq!(m.count(), 2333);
    assert_rel(m.mean().unwrap(), 101.2768966995285, REL_TIGHT, "mean");
    assert_rel(m.std_dev().unwrap(), 39.552442167470566, REL_TIGHT, "std");
    assert_rel(m.sum(), 236279.0, REL_TIGHT, "sum");
    assert_eq!(m.min(), Some(1.0));
    assert_eq!(m.max(), Some(243.0));

    // same calls for "Day Mins"
    let m = column_moments(col("Day Mins"));
    assert_rel(m.mean().unwrap(), 180.22648949849977, REL_TIGHT, "mean");
    assert_rel(m.std_dev().unwrap(), 53.98717895990151, REL_TIGHT, "std");
    assert_rel(m.sum(), 420468.39999999997, REL_TIGHT, "sum");
    assert_eq!(m.min(), Some(0.0));
    assert_eq!(m.max(), Some(350.8));
}

/// Every feature of the real baseline (29 of 70 survive in the partial fixture): our moments
/// and Deequ type inference over the same CSV reproduce what the analyzer wrote.
#[test]
fn churn_columns_match_sagemaker_baseline() {
    let (header, cols) = churn_columns();
    let text = std::fs::read_to_string(fixture(
        "data-quality/ex-intro-churn-baseline-statistics.partial.json",
    ))
    .unwrap();
    let stats: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(stats["dataset"]["item_count"], 2333);
    let features = stats["features"].as_array().unwrap();
    assert_eq!(features.len(), 29);
    for f in features {
        let name = f["name"].as_str().unwrap();
        let col = &cols[header.iter().position(|h| h == name).unwrap()];

        let mut types = TypeCounts::default();
        for v in col {
            types.add(classify(v));
        }
        assert_eq!(
            types.inferred().as_str(),
            f["inferred_type"].as_str().unwrap(),
            "{name}: inferred_type"
        );

        let ns = &f["numerical_statistics"];
        let m = column_moments(col);
        let num = |k: &str| ns[k].as_f64().unwrap();
        assert_eq!(
            m.count(),
            ns["common"]["num_present"].as_u64().unwrap(),
            "{name}"
        );
        assert_rel(m.mean().unwrap(), num("mean"), REL_FIXTURE, name);
        assert_rel(m.sum(), num("sum"), REL_FIXTURE, name);
        assert_rel(m.std_dev().unwrap(), num("std_dev"), REL_FIXTURE, name);
        assert_eq!(m.min().unwrap(), num("min"), "{name}: min");
        assert_eq!(m.max().unwrap(), num("max"), "{name}: max");
    }
}

#[test]
fn churn_label_std_is_population_std() {
    // spec §3.2: Churn has 325 ones of 2333; std_dev = sqrt(p(1-p)) (population), not the
    // sample std 0.346340
    let (header, cols) = churn_columns();
    let m = column_moments(&cols[header.iter().position(|h| h == "Churn").unwrap()]);
    let p: f64 = 325.0 / 2333.0;
    assert_rel(
        m.std_dev().unwrap(),
        (p * (1.0 - p)).sqrt(),
        REL_TIGHT,
        "std",
    );
}

#[test]
fn single_value_has_zero_std() {
    let m: Moments = [42.5].into_iter().collect();
    assert_eq!(m.std_dev(), Some(0.0));
    assert_eq!(m.mean(), Some(42.5));
}

#[cfg(feature = "serde")]
#[test]
fn serde_round_trip() {
    let m: Moments = [1.0, 2.5, -7.25].into_iter().collect();
    let json = serde_json::to_string(&m).unwrap();
    let back: Moments = serde_json::from_str(&json).unwrap();
    assert_eq!(back, m);
}

/// Splits `xs` at the (sorted, clamped) `cuts` and merges the parts left to right.
fn merged_parts(xs: &[f64], cuts: &[usize]) -> Moments {
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c % (xs.len() + 1)).collect();
    cuts.sort_unstable();
    let mut acc = Moments::new();
    let mut start = 0;
    for &c in cuts.iter().chain(std::iter::once(&xs.len())) {
        acc.merge(&xs[start..c].iter().copied().collect());
        start = c;
    }
    acc
}

proptest! {
    /// Merging the moments of any split equals one pass over the whole. Counts, min and max are
    /// exact. sum, mean and std differ only by summation order: they are compared with
    /// REL_TIGHT relative to the size of the inputs (Σ|x| for the sum, mean |x| for the mean,
    /// the RMS for the std), because the exact result itself can cancel to ~0.
    #[test]
    fn merge_of_split_equals_whole(
        xs in prop::collection::vec(-1e6f64..1e6, 0..300),
        cuts in prop::collection::vec(any::<usize>(), 0..5),
    ) {
        let whole: Moments = xs.iter().copied().collect();
        let merged = merged_parts(&xs, &cuts);
        prop_assert_eq!(merged.count(), whole.count());
        prop_assert_eq!(merged.min(), whole.min());
        prop_assert_eq!(merged.max(), whole.max());
        let abs_sum: f64 = xs.iter().map(|x| x.abs()).sum();
        assert_scaled(merged.sum(), whole.sum(), REL_TIGHT, abs_sum, "sum");
        if let (Some(a), Some(b)) = (merged.mean(), whole.mean()) {
            assert_scaled(a, b, REL_TIGHT, abs_sum / xs.len() as f64, "mean");
            let rms = (xs.iter().map(|x| x * x).sum::<f64>() / xs.len() as f64).sqrt();
            assert_scaled(merged.std_dev().unwrap(), whole.std_dev().unwrap(), REL_TIGHT, rms, "std");
        } else {
            prop_assert!(xs.is_empty() && merged.mean().is_none());
        }
    }

    /// Merge is commutative up to rounding, and exactly so for counts, min and max.
    #[test]
    fn merge_is_commutative(
        a in prop::collection::vec(-1e3f64..1e3, 0..50),
        b in prop::collection::vec(-1e3f64..1e3, 0..50),
    ) {
        let (ma, mb): (Moments, Moments) = (a.iter().copied().collect(), b.iter().copied().collect());
        let mut ab = ma;
        ab.merge(&mb);
        let mut ba = mb;
        ba.merge(&ma);
        prop_assert_eq!(ab.count(), ba.count());
        prop_assert_eq!(ab.min(), ba.min());
        prop_assert_eq!(ab.max(), ba.max());
        let scale: f64 = a.iter().chain(&b).map(|x| x.abs()).sum();
        assert_scaled(ab.sum(), ba.sum(), REL_TIGHT, scale, "sum");
    }
}
