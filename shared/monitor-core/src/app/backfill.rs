//! Backfill: re-ingest every capture object under a key prefix (after a monitor's
//! configuration or baseline changed), on every core (issue 16 item 5).
//!
//! Each object goes through capture ingest ([`crate::app::ingest::run`]) exactly as its
//! S3 notification would: the Distributed Map of template.yaml does the same on AWS, one
//! capture-ingest invocation per object. Objects are independent, so they are ingested
//! concurrently, in batches, on the runtime's worker threads.
//!
//! Idempotent: ingest writes each monitor's state of an object at a key derived from the
//! object's key alone ([`crate::layout::profile_key`] and its siblings), and the state is a
//! function of the object's bytes and the monitor's configuration and baseline. Ingesting a
//! prefix twice rewrites the same keys with the same bytes; nothing is counted twice. Windows
//! already evaluated get a late-data marker ([`crate::app::late`]), so the next tick writes
//! their reports again from the re-ingested state.

use serde::{Deserialize, Serialize};

use crate::app::ingest::{self, ObjectSummary};
use crate::store::ObjectStore;
use crate::CoreError;

/// Objects per [`ingest::run`] call: each call loads the monitor configurations and
/// baselines once, so a batch spreads that over several objects while keeping the workers
/// evenly loaded.
const OBJECTS_PER_BATCH: usize = 8;

/// What a backfill did, in totals (a capture history may hold millions of objects).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackfillSummary {
    /// objects listed under the prefix
    pub objects: u64,
    /// objects some monitor profiled
    pub ingested: u64,
    /// objects no monitor claims (outside every capture prefix, other endpoints, not capture)
    pub ignored: u64,
    /// records read (the most any one monitor took, per object)
    pub records: u64,
    /// bad records (the most any one monitor counted, per object)
    pub bad_records: u64,
    /// state objects written
    pub state_keys: u64,
    /// late-data markers written: windows the next tick evaluates again
    pub late_markers: u64,
    /// the first objects whose part failed for some monitor, with the reason (at most 20)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
    /// monitor failures in all
    pub failed: u64,
}

/// Failures kept by name in [`BackfillSummary::failures`].
const FAILURES_KEPT: usize = 20;

impl BackfillSummary {
    fn add(&mut self, o: &ObjectSummary) {
        self.objects += 1;
        if o.ignored.is_some() {
            self.ignored += 1;
        } else if !o.monitors.is_empty() {
            self.ingested += 1;
        }
        self.records += o.records;
        self.bad_records += o.bad_records;
        self.state_keys += o.state_keys.len() as u64;
        self.late_markers += o.late_markers.len() as u64;
        for f in &o.failed {
            self.failed += 1;
            if self.failures.len() < FAILURES_KEPT {
                self.failures
                    .push(format!("{}: {}: {}", o.key, f.monitor, f.reason));
            }
        }
    }
}

/// Re-ingests every object listed under `prefix` on `threads` concurrent workers (`0` = every
/// core). The state written is the same for every thread count and every run.
///
/// # Errors
/// The first batch's error in key order: a retryable store failure or an object that cannot
/// be read; the state of the batches that completed stays written (re-running is safe).
pub async fn run<S: ObjectStore + Clone + 'static>(
    store: &S,
    prefix: &str,
    threads: usize,
) -> Result<BackfillSummary, CoreError> {
    let keys = store.list(prefix).await?;
    let mut summary = BackfillSummary::default();
    for o in &ingest_all(store, &keys, threads).await?.objects {
        summary.add(o);
    }
    Ok(summary)
}

/// [`ingest::run`] of `keys` on `threads` concurrent workers (`0` = every core), in batches
/// of [`OBJECTS_PER_BATCH`]: the objects' summaries in the order of `keys`, and the same
/// state written as one call over all of them (objects are independent).
///
/// # Errors
/// The first batch's error in key order; the batches that completed stay written.
pub async fn ingest_all<S: ObjectStore + Clone + 'static>(
    store: &S,
    keys: &[String],
    threads: usize,
) -> Result<ingest::IngestSummary, CoreError> {
    let threads = if threads == 0 {
        crate::app::oneshot::ordered::default_threads()
    } else {
        threads
    };
    let batches: Vec<Vec<String>> = keys
        .chunks(OBJECTS_PER_BATCH)
        .map(<[String]>::to_vec)
        .collect();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let batches = std::sync::Arc::new(batches);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..threads.min(batches.len()).max(1) {
        let (store, next, batches) = (store.clone(), next.clone(), batches.clone());
        workers.spawn(async move {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(batch) = batches.get(i) else {
                    return done;
                };
                done.push((i, ingest::run(&store, batch).await));
            }
        });
    }
    let mut results = Vec::with_capacity(batches.len());
    while let Some(r) = workers.join_next().await {
        results.extend(r.map_err(|e| CoreError::Io {
            key: keys.first().cloned().unwrap_or_default(),
            source: std::io::Error::other(e.to_string()),
        })?);
    }
    results.sort_by_key(|(i, _)| *i);
    let mut summary = ingest::IngestSummary::default();
    for (_, r) in results {
        summary.objects.extend(r?.objects);
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::baseline::{self, BaselineRequest};
    use crate::config::{save_monitor, MonitorConfig};
    use crate::data_quality::dataset::DatasetFormat;
    use crate::store::MemoryStore;

    fn capture_line(minute: u32, second: u32, output: &str, input: &str) -> String {
        serde_json::json!({
            "captureData": {
                "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": input, "encoding": "CSV"},
                "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": output, "encoding": "CSV"}
            },
            "eventMetadata": {
                "eventId": format!("e-{minute}-{second}"),
                "inferenceTime": format!("2026-11-01T03:{minute:02}:{second:02}Z")
            },
            "eventVersion": "0"
        })
        .to_string()
    }

    /// A store with one data-quality monitor, its baseline and `objects` capture objects of
    /// three records each (plus a bad line in every third), and a file no monitor claims.
    async fn store_with_history(objects: u32) -> MemoryStore {
        let store = MemoryStore::new();
        store
            .put(
                "datasets/train.csv",
                b"churn,age,balance\n0,34,1200.5\n1,51,310.25\n0,27,88.0\n".to_vec(),
            )
            .await
            .unwrap();
        baseline::run(
            &store,
            &BaselineRequest {
                dataset: "datasets/train.csv".into(),
                format: DatasetFormat::Csv { header: true },
                output_prefix: "baselines/churn-dq".into(),
            },
        )
        .await
        .unwrap();
        let cfg = MonitorConfig::from_json(
            "config/monitors/churn-dq.json",
            br#"{"name": "churn-dq", "endpoint": "ep", "baseline_prefix": "baselines/churn-dq"}"#,
        )
        .unwrap();
        save_monitor(&store, &cfg).await.unwrap();
        for i in 0..objects {
            let mut lines: Vec<String> = (0..3)
                .map(|s| {
                    capture_line(
                        i % 60,
                        s,
                        &(s % 2).to_string(),
                        &format!("{},{}.5", 20 + i, s),
                    )
                })
                .collect();
            if i % 3 == 0 {
                lines.push("not json".into());
            }
            let key = format!("data-capture/ep/AllTraffic/2026/11/01/03/{i:02}-00-000-x.jsonl");
            store
                .put(&key, (lines.join("\n") + "\n").into_bytes())
                .await
                .unwrap();
        }
        store
            .put("data-capture/ep/README.txt", b"not capture".to_vec())
            .await
            .unwrap();
        store
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_prefix_ingested_on_many_workers_twice_gives_the_state_of_one_pass() {
        let objects = 20;
        // reference: every object through ingest one by one, in key order
        let reference = store_with_history(objects).await;
        let keys = reference.list("data-capture/").await.unwrap();
        for k in &keys {
            ingest::run(&reference, std::slice::from_ref(k))
                .await
                .unwrap();
        }
        let want = reference.objects("state/");
        assert_eq!(
            want.len(),
            objects as usize,
            "one partial profile per object"
        );

        let store = store_with_history(objects).await;
        let first = run(&store, "data-capture/", 3).await.unwrap();
        assert_eq!(store.objects("state/"), want);
        assert_eq!(
            (first.objects, first.ingested, first.ignored),
            (u64::from(objects) + 1, u64::from(objects), 1)
        );
        assert_eq!(first.records, 3 * u64::from(objects));
        // a bad line in objects 0, 3, …, 18
        assert_eq!(first.bad_records, u64::from(objects).div_ceil(3));
        assert_eq!(first.state_keys, u64::from(objects));
        // again, on another worker count: the same keys, the same bytes, the same summary
        let second = run(&store, "data-capture/", 1).await.unwrap();
        assert_eq!(store.objects("state/"), want);
        assert_eq!(second, first);
    }
}
