//! Issue 2, compatibility: our baseline of SageMaker's churn training set against the
//! baseline SageMaker Model Monitor produced from the same file
//! (tests/fixtures/sagemaker/data-quality/ex-intro-churn-baseline-*.json, see PROVENANCE).

use drift_math::types::InferredType;
use modelwatch_e2e::{fixture, read_fixture};
use monitor_core::app::baseline;
use monitor_core::data_quality::dataset::{DatasetFormat, NoProgress};
use monitor_core::formats::constraints::{Constraints, DriftPolicy};
use monitor_core::formats::statistics::Statistics;

const DATASET: &str = "sagemaker/datasets/ex-churn-training-dataset-with-header.csv";
const STATS: &str = "sagemaker/data-quality/ex-intro-churn-baseline-statistics.partial.json";
const CONSTRAINTS: &str = "sagemaker/data-quality/ex-intro-churn-baseline-constraints.json";

fn our_baseline() -> baseline::BaselineOutput {
    let file = std::fs::File::open(fixture(DATASET)).expect("dataset fixture");
    baseline::build(
        std::io::BufReader::new(file),
        DATASET,
        DatasetFormat::Csv { header: true },
        &mut NoProgress,
    )
    .expect("baseline builds")
}

/// A fixture's text without the one trailing newline the notebook/git added (Jackson's
/// `writeValueAsString`, which the analyzer uses, writes none).
fn fixture_text(rel: &str) -> String {
    let text = String::from_utf8(read_fixture(rel)).expect("utf-8");
    text.strip_suffix('\n').map(str::to_string).unwrap_or(text)
}

fn rel_close(ours: f64, theirs: f64) -> bool {
    ours == theirs || ((ours - theirs) / theirs.abs().max(f64::MIN_POSITIVE)).abs() <= 1e-9
}

#[test]
fn statistics_match_sagemaker_for_every_feature_present() {
    let ours = our_baseline().statistics;
    let theirs = Statistics::from_json(&read_fixture(STATS)).expect("fixture parses");
    assert_eq!(ours.dataset.item_count, theirs.dataset.item_count);
    assert_eq!(
        theirs.features.len(),
        29,
        "the partial fixture holds 29 features"
    );
    let mut mismatches = Vec::new();
    for t in &theirs.features {
        let o = ours
            .feature(&t.name)
            .unwrap_or_else(|| panic!("feature {} missing from our baseline", t.name));
        assert_eq!(
            o.inferred_type, t.inferred_type,
            "{}: inferred_type",
            t.name
        );
        let (on, tn) = (
            o.numerical_statistics.as_ref().expect("ours numeric"),
            t.numerical_statistics.as_ref().expect("theirs numeric"),
        );
        assert_eq!(on.common.num_present, tn.common.num_present, "{}", t.name);
        assert_eq!(on.common.num_missing, tn.common.num_missing, "{}", t.name);
        for (field, a, b) in [
            ("sum", on.sum, tn.sum),
            ("mean", on.mean, tn.mean),
            ("std_dev", on.std_dev, tn.std_dev),
            ("min", on.min, tn.min),
            ("max", on.max, tn.max),
        ] {
            if !rel_close(a, b) {
                mismatches.push(format!("{}.{field}: ours {a:?} theirs {b:?}", t.name));
            }
        }
        let (ob, tb) = (&on.distribution.kll.buckets, &tn.distribution.kll.buckets);
        assert_eq!(ob.len(), tb.len(), "{}: bucket count", t.name);
        for (i, (x, y)) in ob.iter().zip(tb).enumerate() {
            assert_eq!(
                x.lower_bound.to_bits(),
                y.lower_bound.to_bits(),
                "{} bucket {i} lower {} vs {}",
                t.name,
                x.lower_bound,
                y.lower_bound
            );
            assert_eq!(
                x.upper_bound.to_bits(),
                y.upper_bound.to_bits(),
                "{} bucket {i} upper",
                t.name
            );
            assert_eq!(x.count, y.count, "{} bucket {i} count", t.name);
        }
        // The sketch itself: the analyzer ran on one partition in file order, so even the
        // compactor buffers are reproducible.
        assert_eq!(
            on.distribution.kll.sketch.data, tn.distribution.kll.sketch.data,
            "{}: sketch.data",
            t.name
        );
        assert_eq!(on.distribution.kll.sketch.parameters.c, 0.64);
        assert_eq!(on.distribution.kll.sketch.parameters.k, 2048.0);
    }
    assert!(
        mismatches.is_empty(),
        "moment mismatches:\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn statistics_json_bytes_match_for_the_features_present() {
    // Restrict our output to the fixture's 29 features and render it: the file must be the
    // analyzer's text byte for byte (layout, key order, Java number formatting).
    let mut ours = our_baseline().statistics;
    let expected = fixture_text(STATS);
    let theirs = Statistics::from_json(expected.as_bytes()).expect("parses");
    let names: Vec<&str> = theirs.features.iter().map(|f| f.name.as_str()).collect();
    ours.features.retain(|f| names.contains(&f.name.as_str()));
    let text = ours.to_json();
    if text != expected {
        let line = text
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "first difference at line {}:\nours:   {}\ntheirs: {}",
            line + 1,
            text.lines().nth(line).unwrap_or(""),
            expected.lines().nth(line).unwrap_or("")
        );
    }
}

#[test]
fn constraints_match_sagemaker() {
    let ours = our_baseline().constraints;
    let expected = fixture_text(CONSTRAINTS);
    let theirs = Constraints::from_json(expected.as_bytes()).expect("parses");
    assert_eq!(ours.features.len(), theirs.features.len());
    for (o, t) in ours.features.iter().zip(&theirs.features) {
        assert_eq!(o.name, t.name);
        assert_eq!(o.inferred_type, t.inferred_type, "{}", t.name);
        assert_ne!(o.inferred_type, InferredType::Unknown);
        assert_eq!(o.completeness, t.completeness, "{}", t.name);
        assert_eq!(
            o.num_constraints.as_ref().and_then(|n| n.is_non_negative),
            t.num_constraints.as_ref().and_then(|n| n.is_non_negative),
            "{}",
            t.name
        );
        assert_eq!(
            o.string_constraints
                .as_ref()
                .and_then(|s| s.domains.clone()),
            t.string_constraints
                .as_ref()
                .and_then(|s| s.domains.clone()),
            "{}",
            t.name
        );
    }
    // modelwatch's drift-policy block is the one addition (issue 13), after SageMaker's keys:
    // without it, the whole file is SageMaker's, byte for byte.
    assert_eq!(ours.drift_policy(), Ok(Some(DriftPolicy::default())));
    let text = ours.to_json();
    let mut sagemaker_part = ours;
    sagemaker_part.set_drift_policy(None);
    assert_eq!(sagemaker_part.to_json(), expected);
    let (head, block) = text.split_at(expected.len() - 2);
    assert_eq!(head, &expected[..expected.len() - 2]);
    assert!(
        block.starts_with(",\n  \"modelwatch_drift_policy\" : {"),
        "{block}"
    );
}

#[test]
fn model_quality_regression_baseline_matches_sagemaker_byte_for_byte() {
    // The SDK's pipeline test ran the model-quality baseline on this CSV with
    // inference_attribute="Label" and ground_truth_attribute="Prediction" (see PROVENANCE).
    use monitor_core::formats::model_quality::ProblemType;
    use monitor_core::model_quality::QualityOptions;
    let csv = read_fixture("sagemaker/datasets/sdk-pipeline-mq-baseline_dataset.csv");
    let out = baseline::build_model_quality(
        &csv[..],
        "baseline_dataset.csv",
        &baseline::QualityBaselineRequest {
            quality: QualityOptions {
                problem_type: ProblemType::Regression,
                positive_label: "1".into(),
            },
            ground_truth_attribute: "Prediction".into(),
            inference_attribute: Some("Label".into()),
            probability_attribute: None,
            probability_threshold: 0.5,
        },
    )
    .expect("baseline");
    assert_eq!(out.rows, 100);
    assert_eq!(
        out.statistics.to_json(),
        fixture_text("sagemaker/model-quality/sdk-pipeline-mq-regression-statistics.json")
    );
    assert_eq!(
        out.constraints.to_json(),
        fixture_text("sagemaker/model-quality/sdk-pipeline-mq-regression-constraints.json")
    );
}

/// The baseline Lambda's path (`app::baseline::run`, multivariate drift on by default, issue 13
/// item 4) on the churn set: statistics.json is the profile pass's, byte for byte, and
/// constraints.json is SageMaker's plus the two modelwatch blocks after its keys; without
/// them, SageMaker's file byte for byte.
#[tokio::test(flavor = "multi_thread")]
async fn the_default_baseline_adds_only_modelwatch_blocks() {
    use monitor_core::data_quality::multivariate::{MultivariateBlock, MULTIVARIATE_KEY};
    use monitor_core::store::{MemoryStore, ObjectStore};
    let store = MemoryStore::new();
    store
        .put("datasets/churn.csv", read_fixture(DATASET))
        .await
        .unwrap();
    let summary = baseline::run(
        &store,
        &baseline::BaselineRequest {
            dataset: "datasets/churn.csv".into(),
            format: DatasetFormat::Csv { header: true },
            output_prefix: "b".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(summary.multivariate_skipped, None);
    let profile_only = our_baseline();
    let stats = store.get("b/statistics.json").await.unwrap();
    assert_eq!(
        String::from_utf8(stats).unwrap(),
        profile_only.statistics_json()
    );
    let text = String::from_utf8(store.get("b/constraints.json").await.unwrap()).unwrap();
    let mut ours = Constraints::from_json(text.as_bytes()).unwrap();
    let block = MultivariateBlock::read(&ours).unwrap().expect("the block");
    // the churn set's numeric columns (every Integral / Fractional one)
    let numeric = profile_only
        .statistics
        .features
        .iter()
        .filter(|f| {
            matches!(
                f.inferred_type,
                InferredType::Integral | InferredType::Fractional
            )
        })
        .count();
    assert_eq!(block.features.len(), numeric);
    let keys: Vec<&String> = ours.extra.keys().collect();
    assert_eq!(keys, ["modelwatch_drift_policy", MULTIVARIATE_KEY]);
    ours.extra.remove(MULTIVARIATE_KEY);
    ours.set_drift_policy(None);
    assert_eq!(ours.to_json(), fixture_text(CONSTRAINTS));
}
