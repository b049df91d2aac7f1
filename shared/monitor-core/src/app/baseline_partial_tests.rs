use super::*;
use crate::app::baseline::{build, BaselineRequest};
use crate::data_quality::profile::FeatureProfile;
use crate::store::MemoryStore;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

/// Relative tolerance of merged sums and moments against one pass (module docs).
const REL_TIGHT: f64 = 1e-12;

fn rel(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / a.abs().max(b.abs())
    }
}

/// A seeded CSV body (no header) of `rows` rows: a normal fractional column, an integral
/// one, a categorical one and a column that is missing in about one row of ten.
fn csv_rows(seed: u64, rows: usize) -> String {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let normal = Normal::new(10.0, 3.0).unwrap();
    let cats = ["north", "south", "east", "west", "central"];
    let mut out = String::new();
    for _ in 0..rows {
        let x: f64 = normal.sample(&mut rng);
        let n: i64 = rng.random_range(-500..500);
        let c = cats[rng.random_range(0..cats.len())];
        let sparse = if rng.random_range(0..10) == 0 {
            String::new()
        } else {
            format!("{:.3}", rng.random_range(0.0..1.0))
        };
        out.push_str(&format!("{x},{n},{c},{sparse}\n"));
    }
    out
}

const HEADER: &str = "x,n,cat,sparse\n";

fn profile(text: &str, format: DatasetFormat) -> DatasetProfile {
    profile_dataset(text.as_bytes(), "mem", format, &mut NoProgress).unwrap()
}

/// Asserts that `merged` equals the one-pass `whole` as the module docs promise.
fn assert_merge_equals_one_pass(merged: &DatasetProfile, whole: &DatasetProfile) {
    assert_eq!(merged.item_count, whole.item_count);
    assert_eq!(merged.column_counts, whole.column_counts);
    let names = |p: &DatasetProfile| {
        p.features
            .iter()
            .map(|f| f.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(merged), names(whole));
    for (m, w) in merged.features.iter().zip(&whole.features) {
        assert_feature(m, w);
    }
}

fn assert_feature(m: &FeatureProfile, w: &FeatureProfile) {
    let name = &w.name;
    // exact
    assert_eq!(m.types, w.types, "{name}: type counts");
    // categorical counts: exact below the cap of distinct values; past it (a
    // high-cardinality numeric column) both say so, which is all the constraints read
    let capped = |f: &FeatureProfile| f.categorical.overflow() > 0 || f.categorical_dropped > 0;
    if capped(w) {
        assert!(
            capped(m),
            "{name}: past the categorical cap in one pass only"
        );
    } else {
        assert!(m.categorical == w.categorical, "{name}: categorical counts");
    }
    // distinct count: a union of HLL sketches estimates with the composite estimator where
    // one pass uses HIP; both within 3 standard errors of each other (HLL with lg_k = 12:
    // 1.04 / √4096, Flajolet et al. 2007)
    let (dm, dw) = (m.distinct.estimate(), w.distinct.estimate());
    assert!(
        rel(dm, dw) <= 3.0 * 1.04 / 4096f64.sqrt(),
        "{name}: distinct {dm} vs {dw}"
    );
    assert_eq!(m.moments.count(), w.moments.count(), "{name}");
    assert_eq!(m.moments.min(), w.moments.min(), "{name}: min");
    assert_eq!(m.moments.max(), w.moments.max(), "{name}: max");
    // to 1e-12 relative
    assert!(
        rel(m.moments.sum(), w.moments.sum()) <= REL_TIGHT,
        "{name}: sum"
    );
    if let (Some(a), Some(b)) = (m.moments.mean(), w.moments.mean()) {
        assert!(rel(a, b) <= REL_TIGHT, "{name}: mean {a} vs {b}");
    }
    if let (Some(a), Some(b)) = (m.moments.std_dev(), w.moments.std_dev()) {
        assert!(rel(a, b) <= REL_TIGHT, "{name}: std {a} vs {b}");
    }
    // the sketch: the same weight (ranks: `assert_kll_within_bound`)
    assert_eq!(m.kll.total_weight(), w.kll.total_weight(), "{name}: weight");
}

/// The exact rank (values ≤ x) of every probe, against both sketches' bounds.
fn assert_kll_within_bound(
    values: &[f64],
    merged: &DatasetProfile,
    whole: &DatasetProfile,
    f: &str,
) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let (m, w) = (
        &merged.feature(f).unwrap().kll,
        &whole.feature(f).unwrap().kll,
    );
    assert!(
        m.rank_error_bound() > 0,
        "{f}: the test must compact the sketch"
    );
    for q in 1..100 {
        let x = sorted[sorted.len() * q / 100];
        let exact = sorted.partition_point(|v| *v <= x) as u64;
        for (sketch, which) in [(m, "merged"), (w, "one pass")] {
            let err = sketch.rank(x).abs_diff(exact);
            assert!(
                err <= sketch.rank_error_bound(),
                "{f} {which}: rank error {err} at {x} over the bound {}",
                sketch.rank_error_bound()
            );
        }
    }
}

fn column(rows: &str, i: usize) -> Vec<f64> {
    rows.lines()
        .filter_map(|l| l.split(',').nth(i).and_then(|v| v.parse().ok()))
        .collect()
}

#[test]
fn csv_parts_merged_in_order_equal_one_pass_over_the_concatenation() {
    // three files of uneven size, each with its header; enough rows to compact the sketch
    let bodies = [csv_rows(1, 4_000), csv_rows(2, 1_234), csv_rows(3, 6_500)];
    let format = DatasetFormat::Csv { header: true };
    let mut merger = BaselineMerger::new(format);
    for (i, b) in bodies.iter().enumerate() {
        merger
            .push(
                &format!("part-{i}.csv"),
                profile(&format!("{HEADER}{b}"), format),
            )
            .unwrap();
    }
    assert_eq!(merger.parts(), 3);
    let merged = merger.finish_profile("d").unwrap();
    let all = bodies.concat();
    let whole = profile(&format!("{HEADER}{all}"), format);
    assert_eq!(whole.item_count, 4_000 + 1_234 + 6_500);
    assert_merge_equals_one_pass(&merged, &whole);
    assert_kll_within_bound(&column(&all, 0), &merged, &whole, "x");
    assert_kll_within_bound(&column(&all, 1), &merged, &whole, "n");
    // and the files written agree on everything exact: types, counts, categories
    let (a, b) = (merged.to_statistics(), whole.to_statistics());
    for (fa, fb) in a.features.iter().zip(&b.features) {
        assert_eq!(fa.inferred_type, fb.inferred_type, "{}", fa.name);
        assert_eq!(fa.string_statistics, fb.string_statistics, "{}", fa.name);
    }
}

#[test]
fn jsonl_parts_with_different_keys_count_the_missing_ones_as_one_pass_does() {
    let a = "{\"a\":1,\"b\":\"x\"}\n{\"a\":2,\"b\":\"y\"}\n";
    let b = "{\"a\":3,\"c\":true}\n";
    let c = "{\"b\":\"x\",\"c\":false}\n{\"a\":4}\n";
    let format = DatasetFormat::JsonLines;
    let mut merger = BaselineMerger::new(format);
    for (i, t) in [a, b, c].iter().enumerate() {
        merger
            .push(&format!("{i}.jsonl"), profile(t, format))
            .unwrap();
    }
    let merged = merger.finish_profile("d").unwrap();
    let whole = profile(&[a, b, c].concat(), format);
    assert_merge_equals_one_pass(&merged, &whole);
    // derived by hand: `b` is missing from rows 3 and 5, `c` from rows 1, 2 and 5
    assert_eq!(merged.feature("b").unwrap().types.null, 2);
    assert_eq!(merged.feature("c").unwrap().types.null, 3);
}

#[test]
fn one_part_gives_the_single_file_baseline_byte_for_byte() {
    let text = format!("{HEADER}{}", csv_rows(7, 3_000));
    let format = DatasetFormat::Csv { header: true };
    let single = build(text.as_bytes(), "mem", format, &mut NoProgress).unwrap();
    let mut merger = BaselineMerger::new(format);
    merger.push("mem", profile(&text, format)).unwrap();
    let merged = merger.finish("mem").unwrap();
    assert_eq!(merged.statistics_json(), single.statistics_json());
    assert_eq!(merged.constraints_json(), single.constraints_json());
}

#[test]
fn csv_files_with_other_columns_stop_the_merge_naming_the_file() {
    let format = DatasetFormat::Csv { header: true };
    let mut merger = BaselineMerger::new(format);
    merger.push("a.csv", profile("x,y\n1,2\n", format)).unwrap();
    let err = merger
        .push("b.csv", profile("y,x\n1,2\n", format))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("b.csv:1:"), "{err}");
    assert!(
        err.contains("[y, x] differ from those of a.csv [x, y]"),
        "{err}"
    );
    assert!(matches!(
        BaselineMerger::new(format).finish("none"),
        Err(CoreError::EmptyDataset { .. })
    ));
}

#[test]
fn files_on_every_thread_count_give_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for i in 0..5u64 {
        let p = dir.path().join(format!("part-{i}.csv"));
        std::fs::write(&p, format!("{HEADER}{}", csv_rows(10 + i, 2_500))).unwrap();
        files.push(p);
    }
    let format = DatasetFormat::Csv { header: true };
    let one = profile_files(&files, format, 1).unwrap();
    for threads in [2, 3] {
        let many = profile_files(&files, format, threads).unwrap();
        assert_eq!(
            many.statistics_json(),
            one.statistics_json(),
            "{threads} threads"
        );
        assert_eq!(many.constraints_json(), one.constraints_json());
    }
    assert_eq!(one.profile.item_count, 5 * 2_500);
    // a bad file is named with its line
    std::fs::write(&files[3], format!("{HEADER}1,2,a\n")).unwrap();
    let err = profile_files(&files, format, 2).unwrap_err().to_string();
    assert!(err.contains("part-3.csv:2"), "{err}");
}

#[tokio::test]
async fn partial_then_merge_through_the_store_equals_the_local_merge() {
    let store = MemoryStore::new();
    let bodies = [csv_rows(21, 2_000), csv_rows(22, 3_000), csv_rows(23, 500)];
    let mut local = BaselineMerger::new(DatasetFormat::Csv { header: true });
    for (i, b) in bodies.iter().enumerate() {
        let key = format!("datasets/big/part-{i}.csv");
        let text = format!("{HEADER}{b}");
        local
            .push(&key, profile(&text, DatasetFormat::Csv { header: true }))
            .unwrap();
        store.put(&key, text.into_bytes()).await.unwrap();
    }
    // a folder marker the listing also returns
    store.put("datasets/big/", Vec::new()).await.unwrap();
    let local = local.finish("local").unwrap();
    // a batch of two listed objects, then a single item (a one-item batch)
    let batch: PartialRequest = serde_json::from_str(
        r#"{"objects": [{"Key": "datasets/big/part-0.csv", "Size": 1}, {"Key": "datasets/big/"},
            {"Key": "s3://b/datasets/big/part-1.csv"}], "scratch_prefix": "scratch/run-1"}"#,
    )
    .unwrap();
    let s = run_partial(&store, &batch).await.unwrap();
    assert_eq!(s.rows, 5_000);
    assert_eq!(
        s.part_keys,
        [
            "scratch/run-1/datasets/big/part-0.csv.json",
            "scratch/run-1/datasets/big/part-1.csv.json"
        ]
    );
    let merge = MergeRequest {
        scratch_prefix: "scratch/run-1/".into(),
        output_prefix: "baselines/big".into(),
        dataset_prefix: Some("s3://b/datasets/big/".into()),
    };
    // part-2 has no part yet: the merge names it
    let err = run_merge(&store, &merge).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("scratch/run-1/datasets/big/part-2.csv.json"),
        "{err}"
    );
    let one: PartialRequest = serde_json::from_str(
        r#"{"objects": {"Key": "datasets/big/part-2.csv"}, "scratch_prefix": "scratch/run-1"}"#,
    )
    .unwrap();
    run_partial(&store, &one).await.unwrap();
    let done = run_merge(&store, &merge).await.unwrap();
    assert_eq!(done.parts, 3);
    assert_eq!(done.baseline.rows, 5_500);
    let stats = store.get("baselines/big/statistics.json").await.unwrap();
    assert_eq!(String::from_utf8(stats).unwrap(), local.statistics_json());
    let cons = store.get("baselines/big/constraints.json").await.unwrap();
    assert_eq!(String::from_utf8(cons).unwrap(), local.constraints_json());
    // a retried item rewrites its part: the same baseline
    run_partial(&store, &one).await.unwrap();
    let again = run_merge(&store, &merge).await.unwrap();
    assert_eq!(again, done);
    // an empty scratch prefix is an empty dataset
    let none = MergeRequest {
        scratch_prefix: "scratch/none".into(),
        output_prefix: "x".into(),
        dataset_prefix: None,
    };
    assert!(matches!(
        run_merge(&store, &none).await,
        Err(CoreError::EmptyDataset { .. })
    ));
    // the full request still works on one object of the same dataset
    let full = crate::app::baseline::run(
        &store,
        &BaselineRequest {
            dataset: "datasets/big/part-2.csv".into(),
            format: DatasetFormat::Csv { header: true },
            output_prefix: "baselines/one".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(full.rows, 500);
}

#[test]
fn events_of_every_mode_deserialize_and_todays_event_keeps_working() {
    // the event of events/baseline-request.json, unchanged
    let today: BaselineEvent = serde_json::from_str(
        r#"{"dataset":"datasets/train.csv","format":{"csv":{"header":true}},"output_prefix":"baselines/churn-dq"}"#,
    )
    .unwrap();
    assert_eq!(
        today,
        BaselineEvent::Full(BaselineRequest {
            dataset: "datasets/train.csv".into(),
            format: DatasetFormat::Csv { header: true },
            output_prefix: "baselines/churn-dq".into(),
        })
    );
    let full: BaselineEvent =
        serde_json::from_str(r#"{"mode":"full","dataset":"d.csv","output_prefix":"o"}"#).unwrap();
    assert!(matches!(full, BaselineEvent::Full(_)));
    let partial: BaselineEvent = serde_json::from_str(
        r#"{"mode":"partial","format":"json_lines","scratch_prefix":"s","objects":[{"Key":"a"}]}"#,
    )
    .unwrap();
    let BaselineEvent::Partial(p) = partial else {
        panic!("{partial:?}")
    };
    assert_eq!(p.format, DatasetFormat::JsonLines);
    assert_eq!(p.objects.into_vec()[0].key, "a");
    let merge: BaselineEvent = serde_json::from_str(
        r#"{"mode":"merge","scratch_prefix":"s","output_prefix":"o","dataset_prefix":"d/"}"#,
    )
    .unwrap();
    assert!(matches!(
        merge,
        BaselineEvent::Merge(MergeRequest {
            dataset_prefix: Some(_),
            ..
        })
    ));
    let err = serde_json::from_str::<BaselineEvent>(r#"{"mode":"twice"}"#).unwrap_err();
    assert!(
        err.to_string().contains(r#"mode "twice" is not one of"#),
        "{err}"
    );
    let err = serde_json::from_str::<BaselineEvent>(r#"{"mode":"merge","scratch_prefix":"s"}"#)
        .unwrap_err();
    assert!(err.to_string().contains("output_prefix"), "{err}");
}
