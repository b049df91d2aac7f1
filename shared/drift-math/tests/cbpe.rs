//! Invariants of the CBPE state and the isotonic calibration (issue 15): merging any split
//! of the predictions gives the state of the whole, every estimate is a rate, and the
//! fitted calibration map is monotone and stays in `[0, 1]`.

use drift_math::calibration::IsotonicCalibration;
use drift_math::cbpe::{CbpeHistogram, ESTIMATED_METRICS};
use proptest::prelude::*;

fn histogram(rows: &[(f64, bool)]) -> CbpeHistogram {
    let mut h = CbpeHistogram::new();
    for &(score, predicted_positive) in rows {
        h.update(score, predicted_positive);
    }
    h
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn merge_of_any_split_is_the_whole_and_estimates_are_rates(
        rows in proptest::collection::vec((-0.5f64..1.5, any::<bool>()), 1..300),
        cut in 0.0f64..1.0,
    ) {
        let at = ((rows.len() as f64) * cut) as usize;
        let whole = histogram(&rows);
        let mut merged = histogram(&rows[..at]);
        merged.merge(&histogram(&rows[at..]));
        prop_assert_eq!(&merged, &whole);
        prop_assert_eq!(whole.count(), rows.len() as u64);
        let cal = IsotonicCalibration { x: vec![0.0, 1.0], y: vec![0.1, 0.9] };
        let e = whole.estimate(&cal).unwrap();
        for m in ESTIMATED_METRICS {
            let v = e.metric(m).unwrap();
            prop_assert!(v.is_nan() || (0.0..=1.0).contains(&v), "{} = {}", m, v);
        }
    }

    #[test]
    fn fitted_calibration_is_monotone_and_a_probability(
        rows in proptest::collection::vec((0.0f64..1.0, any::<bool>()), 1..200),
        probes in proptest::collection::vec(-0.5f64..1.5, 1..50),
    ) {
        let (scores, labels): (Vec<f64>, Vec<bool>) = rows.into_iter().unzip();
        let cal = IsotonicCalibration::fit(&scores, &labels).unwrap();
        prop_assert!(cal.x.windows(2).all(|w| w[0] < w[1]));
        prop_assert!(cal.y.windows(2).all(|w| w[0] <= w[1]));
        let mut probes = probes;
        probes.sort_by(f64::total_cmp);
        let p: Vec<f64> = probes.iter().map(|&s| cal.predict(s)).collect();
        prop_assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
        prop_assert!(p.windows(2).all(|w| w[0] <= w[1] + 1e-15));
    }
}
