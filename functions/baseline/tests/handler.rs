//! The baseline handler over an in-memory store: today's full request (the shared event
//! fixture), and a dataset of two objects through the `partial` and `merge` modes, which must
//! give the files one pass over the concatenated dataset gives (up to the moments' last
//! bits and the sketch's bound; here the dataset is small enough for both to be exact).

use baseline::{handle_event, handler, Deps};
use lambda_kit::FunctionError;
use lambda_runtime::{Context, LambdaEvent};
use monitor_core::app::baseline::BaselineRequest;
use monitor_core::app::baseline_partial::{BaselineEvent, BaselineReply};
use monitor_core::formats::statistics::Statistics;
use monitor_core::store::{MemoryStore, ObjectStore};

const BASELINE_REQUEST: &str = include_str!("../../../events/baseline-request.json");
const PARTIAL: &str = include_str!("../../../events/baseline-partial.json");
const MERGE: &str = include_str!("../../../events/baseline-merge.json");

const HEADER: &str = "churn,age,balance\n";
const PART_0: &str = "0,34,1200.5\n1,51,310.25\n0,27,88.0\n";
const PART_1: &str = "1,45,5020.75\n0,62,17.5\n";

fn event<T>(payload: T) -> LambdaEvent<T> {
    LambdaEvent::new(payload, Context::default())
}

async fn store_with_dataset() -> MemoryStore {
    let store = MemoryStore::new();
    store
        .put(
            "datasets/train-many/part-0.csv",
            format!("{HEADER}{PART_0}").into_bytes(),
        )
        .await
        .unwrap();
    store
        .put(
            "datasets/train-many/part-1.csv",
            format!("{HEADER}{PART_1}").into_bytes(),
        )
        .await
        .unwrap();
    store
        .put(
            "datasets/train.csv",
            format!("{HEADER}{PART_0}{PART_1}").into_bytes(),
        )
        .await
        .unwrap();
    store
}

#[tokio::test]
async fn partial_then_merge_writes_the_baseline_of_the_whole_dataset() {
    let store = store_with_dataset().await;
    let deps = Deps { store };
    let partial: BaselineEvent = serde_json::from_str(PARTIAL).unwrap();
    let BaselineReply::Partial(parts) = handle_event(event(partial), &deps).await.unwrap() else {
        panic!("a partial event answers with its parts")
    };
    assert_eq!(parts.rows, 5);
    assert_eq!(parts.part_keys.len(), 2);
    let merge: BaselineEvent = serde_json::from_str(MERGE).unwrap();
    let BaselineReply::Merge(merged) = handle_event(event(merge), &deps).await.unwrap() else {
        panic!("a merge event answers with the baseline")
    };
    assert_eq!((merged.parts, merged.baseline.rows), (2, 5));
    assert_eq!(merged.baseline.features, 3);
    // today's request over the concatenation (datasets/train.csv) gives the same files
    let full: BaselineEvent = serde_json::from_str(BASELINE_REQUEST).unwrap();
    let BaselineReply::Full(one) = handle_event(event(full), &deps).await.unwrap() else {
        panic!("today's event answers as today")
    };
    assert_eq!(one.rows, 5);
    let read = |key: String| {
        let store = &deps.store;
        async move { store.get(&key).await.unwrap() }
    };
    let many = read(merged.baseline.statistics_key.clone()).await;
    let single = read(one.statistics_key.clone()).await;
    let (many, single) = (
        Statistics::from_json(&many).unwrap(),
        Statistics::from_json(&single).unwrap(),
    );
    assert_eq!(many.dataset.item_count, single.dataset.item_count);
    for (m, s) in many.features.iter().zip(&single.features) {
        assert_eq!((&m.name, m.inferred_type), (&s.name, s.inferred_type));
        let (m, s) = (
            m.numerical_statistics.as_ref().unwrap(),
            s.numerical_statistics.as_ref().unwrap(),
        );
        assert_eq!(m.common, s.common);
        assert_eq!((m.min, m.max), (s.min, s.max));
        // moments merged pairwise: equal to 1e-12 relative (monitor-core's merge docs)
        for (a, b) in [(m.sum, s.sum), (m.mean, s.mean), (m.std_dev, s.std_dev)] {
            assert!((a - b).abs() <= 1e-12 * b.abs(), "{} vs {b}", a);
        }
        // five values: nothing compacted, the sketch holds them all
        assert_eq!(m.distribution.kll.sketch, s.distribution.kll.sketch);
    }
    assert_eq!(
        read(merged.baseline.constraints_key.clone()).await,
        read(one.constraints_key).await
    );
    // the reply is the summary the state machine passes on
    let json = serde_json::to_value(BaselineReply::Merge(merged)).unwrap();
    assert_eq!(json["parts"], 2);
    assert_eq!(
        json["statistics_key"],
        "baselines/churn-dq-many/statistics.json"
    );
}

#[tokio::test]
async fn the_full_handler_and_bad_events_answer_as_before() {
    let deps = Deps {
        store: store_with_dataset().await,
    };
    let req: BaselineRequest = serde_json::from_str(BASELINE_REQUEST).unwrap();
    let summary = handler(event(req), &deps).await.unwrap();
    assert_eq!(summary.rows, 5);
    let bad: BaselineEvent = serde_json::from_str(
        r#"{"mode":"partial","scratch_prefix":" ","objects":[{"Key":"datasets/train.csv"}]}"#,
    )
    .unwrap();
    let err = handle_event(event(bad), &deps).await.unwrap_err();
    assert!(
        matches!(&err, FunctionError::InvalidEvent(m) if m.contains("scratch_prefix")),
        "{err:?}"
    );
    let none: BaselineEvent =
        serde_json::from_str(r#"{"mode":"partial","scratch_prefix":"s","objects":[]}"#).unwrap();
    let err = handle_event(event(none), &deps).await.unwrap_err();
    assert!(
        matches!(&err, FunctionError::InvalidEvent(m) if m.contains("objects")),
        "{err:?}"
    );
    // a merge with an object of the dataset missing its part fails, naming the part
    let merge: BaselineEvent = serde_json::from_str(MERGE).unwrap();
    let err = handle_event(event(merge), &deps).await.unwrap_err();
    assert!(format!("{err:?}").contains("part-0.csv.json"), "{err:?}");
}
