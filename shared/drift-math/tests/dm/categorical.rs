use std::collections::HashMap;

use drift_math::categorical::{CategoricalCounts, DistinctCount, DEFAULT_CATEGORICAL_CAP};
use proptest::prelude::*;

fn counts_of(values: &[String], cap: usize) -> CategoricalCounts {
    let mut c = CategoricalCounts::with_cap(cap);
    for v in values {
        c.add(v);
    }
    c
}

#[test]
fn counts_and_ordering() {
    let mut c = CategoricalCounts::new();
    assert_eq!(c.cap(), DEFAULT_CATEGORICAL_CAP);
    assert!(c.is_empty());
    for v in ["b", "a", "c", "a", "b", "d", "b"] {
        c.add(v);
    }
    c.add_n("e", 2);
    assert_eq!(c.total(), 9);
    assert_eq!(c.distinct(), 5);
    assert_eq!(c.get("b"), 3);
    assert_eq!(c.get("zzz"), 0);
    assert_eq!(c.singletons(), 2); // c, d
                                   // descending count, ties by ascending value
    assert_eq!(
        c.by_count_desc(),
        vec![("b", 3), ("a", 2), ("e", 2), ("c", 1), ("d", 1)]
    );
    assert_eq!(
        c.sorted_by_value(),
        vec![("a", 2), ("b", 3), ("c", 1), ("d", 1), ("e", 2)]
    );
    let mut it: Vec<(&str, u64)> = c.iter().collect();
    it.sort();
    assert_eq!(it, c.sorted_by_value());
}

#[test]
fn cap_sends_new_values_to_overflow() {
    let mut c = CategoricalCounts::with_cap(2);
    for v in ["x", "y", "z", "x", "z", "w"] {
        c.add(v);
    }
    assert_eq!(c.distinct(), 2);
    assert_eq!(c.get("x"), 2); // stored values keep counting after the cap is reached
    assert_eq!(c.overflow(), 3); // z, z, w
    assert_eq!(c.total(), 6);
    assert_eq!(c.kept_total(), 3);
}

#[test]
fn merge_admits_largest_new_values_first() {
    let mut a = CategoricalCounts::with_cap(3);
    a.add_n("keep", 5);
    let b = CategoricalCounts::from_pairs(
        10,
        [
            ("keep", 1),
            ("small", 1),
            ("big", 9),
            ("mid", 4),
            ("mid2", 4),
        ],
    );
    a.merge(&b);
    // room for 2 new values: big (9), then mid (4) before mid2 (4) by value order
    assert_eq!(
        a.sorted_by_value(),
        vec![("big", 9), ("keep", 6), ("mid", 4)]
    );
    assert_eq!(a.overflow(), 5); // mid2 4 + small 1
    assert_eq!(a.total(), b.total() + 5);
}

#[cfg(feature = "serde")]
#[test]
fn categorical_serde_is_sorted_and_validated() {
    let c = CategoricalCounts::from_pairs(5, [("b", 2), ("a", 1), ("c", 7)]);
    let json = serde_json::to_string(&c).unwrap();
    assert_eq!(
        json,
        r#"{"cap":5,"overflow":0,"counts":{"a":1,"b":2,"c":7}}"#
    );
    assert_eq!(serde_json::from_str::<CategoricalCounts>(&json).unwrap(), c);
    let over_cap = r#"{"cap":1,"overflow":0,"counts":{"a":1,"b":2}}"#;
    assert!(serde_json::from_str::<CategoricalCounts>(over_cap).is_err());
    let zero = r#"{"cap":3,"overflow":0,"counts":{"a":0}}"#;
    assert!(serde_json::from_str::<CategoricalCounts>(zero).is_err());
}

/// Each map is seeded at random (the keyed hasher, issue 16): two maps of the same values,
/// added in opposite orders, hash differently yet must give the same JSON, the same
/// ordered views and the same distances, so no output depends on a map's iteration order.
#[cfg(feature = "serde")]
#[test]
fn output_does_not_depend_on_the_per_map_seed() {
    let values: Vec<String> = (0..500).map(|i| format!("v{}", (i * 37) % 211)).collect();
    let forward = counts_of(&values, DEFAULT_CATEGORICAL_CAP);
    let reversed: Vec<String> = values.iter().rev().cloned().collect();
    let backward = counts_of(&reversed, DEFAULT_CATEGORICAL_CAP);
    assert_eq!(forward, backward);
    assert_eq!(forward.distinct(), 211);
    assert_eq!(
        serde_json::to_string(&forward).unwrap(),
        serde_json::to_string(&backward).unwrap()
    );
    assert_eq!(forward.by_count_desc(), backward.by_count_desc());
    assert_eq!(forward.sorted_by_value(), backward.sorted_by_value());
    let mut merged_fb = forward.clone();
    merged_fb.merge(&backward);
    let mut merged_bf = backward.clone();
    merged_bf.merge(&forward);
    assert_eq!(
        serde_json::to_string(&merged_fb).unwrap(),
        serde_json::to_string(&merged_bf).unwrap()
    );
    assert_eq!(merged_fb.total(), 1000);
}

#[test]
fn distinct_count_small_cardinality_is_practically_exact() {
    let mut d = DistinctCount::new();
    for i in 0..500 {
        d.update(&format!("user-{}", i % 250));
    }
    // below the array-mode switch the sketch keeps hash coupons: error ≪ 1 value
    assert!((d.estimate() - 250.0).abs() < 0.5, "{}", d.estimate());
    d.update(""); // the empty string is a value
    assert!((d.estimate() - 251.0).abs() < 0.5, "{}", d.estimate());
}

#[test]
fn distinct_count_large_cardinality_and_merge() {
    // 200_000 distinct values split into two overlapping halves
    let mut whole = DistinctCount::new();
    let mut a = DistinctCount::new();
    let mut b = DistinctCount::new();
    for i in 0..200_000u32 {
        let v = format!("{i:08x}");
        whole.update(&v);
        if i < 120_000 {
            a.update(&v);
        }
        if i >= 80_000 {
            b.update(&v);
        }
    }
    // lg_k 12: RSE 1.3 % (HIP) / 1.6 % (after merge); 4 % is about 3 standard errors
    let rel = |x: f64| (x - 200_000.0).abs() / 200_000.0;
    assert!(rel(whole.estimate()) < 0.04, "{}", whole.estimate());
    let mut ab = a.clone();
    ab.merge(&b);
    assert!(rel(ab.estimate()) < 0.04, "{}", ab.estimate());
    let mut ba = b.clone();
    ba.merge(&a);
    assert_eq!(ab.estimate(), ba.estimate()); // register-wise max is commutative
                                              // re-merging what is already in the union changes nothing
    let before = ab.estimate();
    ab.merge(&a);
    assert_eq!(ab.estimate(), before);
}

#[test]
fn distinct_count_merge_with_empty_and_bytes_round_trip() {
    let mut d = DistinctCount::new();
    for i in 0..10_000 {
        d.update(&i.to_string());
    }
    let mut e = DistinctCount::new();
    e.merge(&d);
    assert_eq!(e, d);
    d.merge(&DistinctCount::new());
    assert_eq!(e, d);

    let back = DistinctCount::from_bytes(&d.to_bytes()).unwrap();
    assert_eq!(back.estimate(), d.estimate());
    assert_eq!(back.to_bytes(), d.to_bytes());
    assert!(DistinctCount::from_bytes(&[1, 2, 3]).is_err());
    assert!(DistinctCount::from_bytes(&[]).is_err());
}

#[test]
fn distinct_count_rejects_other_lg_k() {
    let mut other =
        datasketches::hll::HllSketch::new(10, datasketches::hll::HllType::Hll8).unwrap();
    other.update("x");
    let err = DistinctCount::from_bytes(&other.serialize()).unwrap_err();
    assert!(err.to_string().contains("lg_k is 10"), "{err}");
}

#[cfg(feature = "serde")]
#[test]
fn distinct_count_serde_is_base64_of_bytes() {
    let mut d = DistinctCount::new();
    for v in ["a", "b", "c"] {
        d.update(v);
    }
    let json = serde_json::to_string(&d).unwrap();
    let text: String = serde_json::from_str(&json).unwrap();
    assert!(
        text.len().is_multiple_of(4)
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
    );
    let back: DistinctCount = serde_json::from_str(&json).unwrap();
    assert_eq!(back.to_bytes(), d.to_bytes());
    assert!(serde_json::from_str::<DistinctCount>("\"not base64!\"").is_err());
    assert!(serde_json::from_str::<DistinctCount>("\"AAAA\"").is_err()); // base64, not a sketch
}

proptest! {
    /// Below the cap, merging the counts of any split equals counting the whole (exact).
    #[test]
    fn merge_of_split_equals_whole(
        values in prop::collection::vec("[a-e]{1,2}", 0..200),
        cut in any::<usize>(),
    ) {
        let cut = cut % (values.len() + 1);
        let whole = counts_of(&values, 1000);
        let mut merged = counts_of(&values[..cut], 1000);
        merged.merge(&counts_of(&values[cut..], 1000));
        prop_assert_eq!(&merged, &whole);
        let mut expected: HashMap<&str, u64> = HashMap::new();
        for v in &values {
            *expected.entry(v.as_str()).or_default() += 1;
        }
        prop_assert_eq!(whole.distinct(), expected.len());
        for (v, n) in expected {
            prop_assert_eq!(whole.get(v), n);
        }
    }

    /// With any cap, nothing is lost: total = number of values, distinct ≤ cap, and a
    /// stored count never exceeds the true count.
    #[test]
    fn cap_never_loses_values(
        values in prop::collection::vec("[a-h]", 0..200),
        cut in any::<usize>(),
        cap in 0usize..6,
    ) {
        let cut = cut % (values.len() + 1);
        let whole = counts_of(&values, cap);
        let mut merged = counts_of(&values[..cut], cap);
        merged.merge(&counts_of(&values[cut..], cap));
        for c in [&whole, &merged] {
            prop_assert_eq!(c.total(), values.len() as u64);
            prop_assert!(c.distinct() <= cap);
            for (v, n) in c.iter() {
                prop_assert!(n <= values.iter().filter(|x| x.as_str() == v).count() as u64);
            }
        }
    }
}
