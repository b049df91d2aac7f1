//! The ground-truth-merge Lambda: an S3 `ObjectCreated` notification names new ground-truth
//! objects (`{prefix}yyyy/mm/dd/HH/*.jsonl`, spec §2.1); the handler URL-decodes their keys,
//! drops records that are not for this function (another bucket, another kind of event), and
//! makes one `monitor_core::app::ground_truth::run` call, which joins each label to its
//! captured prediction within the monitor's look-back and writes the mergeable
//! model-quality state and SageMaker's merged records.

use aws_lambda_events::event::s3::S3Event;
use chrono::{DateTime, Utc};
use lambda_kit::s3_event::record_keys;
use lambda_kit::FunctionError;
use lambda_runtime::LambdaEvent;
use monitor_core::app::ground_truth::{self, MergeSummary};
use monitor_core::store::ObjectStore;

/// What the handler needs, built once at cold start.
pub struct Deps<S> {
    /// the object store
    pub store: S,
    /// records of any other bucket are ignored; `None` (local store) turns the check off
    pub bucket: Option<String>,
    /// the clock (look-back expiry); `Utc::now` in Lambda, fixed in tests
    pub now: fn() -> DateTime<Utc>,
}

/// Handles one S3 event.
pub async fn handler<S: ObjectStore>(
    event: LambdaEvent<S3Event>,
    deps: &Deps<S>,
) -> Result<MergeSummary, FunctionError> {
    let records = record_keys(&event.payload, deps.bucket.as_deref())?;
    let mut keys = Vec::new();
    let mut skipped = Vec::new();
    for r in records {
        match r.ignored {
            None => keys.push(r.key),
            Some(reason) => {
                tracing::warn!(key = %r.key, %reason, "ground-truth record skipped");
                skipped.push((r.key, reason));
            }
        }
    }
    let mut summary = if keys.is_empty() {
        MergeSummary::default()
    } else {
        ground_truth::run(&deps.store, &keys, (deps.now)()).await?
    };
    summary.ignored.extend(skipped);
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use monitor_core::app::ingest;
    use monitor_core::config::{save_monitor, ModelQualitySettings, MonitorConfig, MonitorKind};
    use monitor_core::store::MemoryStore;

    const EVENT: &str = include_str!("../../../events/s3-ground-truth-put.json");

    fn fixed_now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-01T05:30:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    async fn store_with_predictions() -> MemoryStore {
        let store = MemoryStore::new();
        save_monitor(
            &store,
            &MonitorConfig {
                publish_metrics: false,
                model_quality: Some(ModelQualitySettings::binary("1")),
                ..MonitorConfig::new(
                    "churn-mq",
                    MonitorKind::ModelQuality,
                    "churn-endpoint",
                    "baselines/churn-mq",
                )
            },
        )
        .await
        .unwrap();
        let capture: String = (0..4)
            .map(|i| format!("{{\"captureData\":{{\"endpointOutput\":{{\"observedContentType\":\"text/csv\",\"mode\":\"OUTPUT\",\"data\":\"0.{}\",\"encoding\":\"CSV\"}}}},\"eventMetadata\":{{\"eventId\":\"e{i}\",\"inferenceId\":\"{i}\",\"inferenceTime\":\"2026-11-01T03:1{i}:00Z\"}},\"eventVersion\":\"0\"}}\n", 2 + 2 * i))
            .collect();
        let key = "data-capture/churn-endpoint/AllTraffic/2026/11/01/03/10-00-000-x.jsonl";
        store.put(key, capture.into_bytes()).await.unwrap();
        ingest::run(&store, &[key.to_string()]).await.unwrap();
        let labels: String = (0..5)
            .map(|i| format!("{{\"groundTruthData\":{{\"data\":\"{}\",\"encoding\":\"CSV\"}},\"eventMetadata\":{{\"eventId\":\"{i}\"}},\"eventVersion\":\"0\"}}\n", i % 2))
            .collect();
        store
            .put(
                "ground-truth/churn-endpoint/2026/11/01/05/labels-7d3e9a41.jsonl",
                format!("{labels}not json\n").into_bytes(),
            )
            .await
            .unwrap();
        store
    }

    #[tokio::test]
    async fn event_joins_labels_and_replay_changes_nothing() {
        let store = store_with_predictions().await;
        let deps = Deps {
            store,
            bucket: None,
            now: fixed_now,
        };
        let event: S3Event = serde_json::from_str(EVENT).unwrap();
        let s = handler(LambdaEvent::new(event.clone(), Default::default()), &deps)
            .await
            .unwrap();
        let o = &s.objects[0];
        assert_eq!(
            (o.labels, o.matched, o.pending, o.bad_records),
            (5, 4, 1, 1)
        );
        let before = deps.store.get(&o.state_key).await.unwrap();
        let again = handler(LambdaEvent::new(event, Default::default()), &deps)
            .await
            .unwrap();
        assert_eq!(again.objects[0].matched, 4);
        assert_eq!(deps.store.get(&o.state_key).await.unwrap(), before);
    }

    #[tokio::test]
    async fn other_bucket_is_skipped_and_missing_key_is_invalid() {
        let store = store_with_predictions().await;
        let deps = Deps {
            store,
            bucket: Some("another-bucket".into()),
            now: fixed_now,
        };
        let event: S3Event = serde_json::from_str(EVENT).unwrap();
        let s = handler(LambdaEvent::new(event, Default::default()), &deps)
            .await
            .unwrap();
        assert!(s.objects.is_empty());
        assert_eq!(s.ignored.len(), 1);
        let mut bad: serde_json::Value = serde_json::from_str(EVENT).unwrap();
        bad["Records"][0]["s3"]["object"]["key"] = serde_json::Value::String(String::new());
        let bad: S3Event = serde_json::from_value(bad).unwrap();
        let err = handler(LambdaEvent::new(bad, Default::default()), &deps)
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "InvalidEvent");
    }
}
