//! Issue 15 item 1 end to end over the in-memory store: a binary model-quality baseline with
//! a CBPE calibration, two hours of capture (the second with covariate shift), a tick before
//! any label (estimates only), the labels hours later, and the late re-evaluation that puts
//! the realised metrics beside the estimates.
//!
//! The scenario (seeded, generated here): a feature `x`, the true `P(y = 1 | x) =
//! sigmoid(2x)`, and a miscalibrated model scoring `sigmoid(1.2x + 0.4)` (predicted label:
//! score > 0.5). The baseline has `x ~ N(0, 2)`; hour 03 of production the same; hour 04
//! `x ~ N(0, 0.6)`: inputs crowd around the decision boundary, so accuracy drops. `P(y | x)`
//! does not change (covariate shift), which is the assumption under which CBPE is right.

use chrono::{DateTime, Duration, Utc};
use modelwatch_e2e::{binary_score_baseline, t};
use monitor_core::app::tick::{self, TickRequest};
use monitor_core::app::{ground_truth, ingest};
use monitor_core::attribution::LocalModels;
use monitor_core::config::{save_monitor, ModelQualitySettings, MonitorConfig, MonitorKind};
use monitor_core::execution::{Execution, ExecutionStatus};
use monitor_core::metrics::{MemoryMetricSink, MetricValue};
use monitor_core::model_quality::cbpe::CBPE_FILE;
use monitor_core::store::{MemoryStore, ObjectStore};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

const EP: &str = "churn-endpoint";
const M: &str = "churn-cbpe";
const PER_HOUR: usize = 2000;

fn monitor() -> MonitorConfig {
    MonitorConfig {
        model_quality: Some(ModelQualitySettings::binary("1")),
        ..MonitorConfig::new(M, MonitorKind::ModelQuality, EP, format!("baselines/{M}"))
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// `n` rows of (model score, true label) with `x ~ N(0, sd)`.
fn rows(rng: &mut StdRng, n: usize, sd: f64) -> Vec<(f64, u8)> {
    let normal = Normal::new(0.0, sd).unwrap();
    (0..n)
        .map(|_| {
            let x: f64 = normal.sample(rng);
            let y = u8::from(rng.random::<f64>() < sigmoid(2.0 * x));
            // scores rounded to 6 digits, as the capture line writes them
            let score = (sigmoid(1.2 * x + 0.4) * 1e6).round() / 1e6;
            (score, y)
        })
        .collect()
}

fn capture_line(id: usize, time: DateTime<Utc>, score: f64) -> String {
    format!(
        "{{\"captureData\":{{\"endpointInput\":{{\"observedContentType\":\"text/csv\",\"mode\":\"INPUT\",\"data\":\"1\",\"encoding\":\"CSV\"}},\"endpointOutput\":{{\"observedContentType\":\"text/csv\",\"mode\":\"OUTPUT\",\"data\":\"{score}\",\"encoding\":\"CSV\"}}}},\"eventMetadata\":{{\"eventId\":\"ev-{id}\",\"inferenceId\":\"{id}\",\"inferenceTime\":\"{}\"}},\"eventVersion\":\"0\"}}\n",
        time.format("%Y-%m-%dT%H:%M:%SZ")
    )
}

async fn execution(store: &MemoryStore, exec: &Execution) -> serde_json::Value {
    let bytes = store
        .get(&format!("{}execution.json", exec.report_prefix))
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

// Why it is long: one scenario in sequence (baseline, capture, tick before labels, labels,
// tick after), each step asserting what the previous left behind.
#[tokio::test]
async fn estimates_before_labels_track_the_realised_metrics_under_covariate_shift() {
    let mut rng = StdRng::seed_from_u64(15);
    let store = MemoryStore::new();
    let cfg = monitor();
    save_monitor(&store, &cfg).await.unwrap();

    // 1. the baseline: 5,000 labelled validation rows (label, score)
    let validation = rows(&mut rng, 5000, 2.0);
    let out = binary_score_baseline(&validation);
    let cbpe = out
        .cbpe
        .expect("a binary baseline with scores has a CBPE baseline");
    assert_eq!(cbpe.rows, 5000);
    assert_eq!(cbpe.chunk_size, 500);
    for m in ["accuracy", "precision", "recall", "f1", "auc"] {
        assert!(cbpe.spread[m] > 0.0, "{m}: {:?}", cbpe.spread);
    }
    let prefix = format!("baselines/{M}");
    for (name, bytes) in [
        ("statistics.json", out.statistics.to_json().into_bytes()),
        ("constraints.json", out.constraints.to_json().into_bytes()),
        (CBPE_FILE, cbpe.to_json()),
    ] {
        store.put(&format!("{prefix}/{name}"), bytes).await.unwrap();
    }
    let baseline_accuracy = out.statistics.scalar("accuracy").unwrap().value;

    // 2. two hours of capture: 03 like the baseline, 04 with covariate shift
    let hours = [
        (t("2026-11-01T03:00:00Z"), rows(&mut rng, PER_HOUR, 2.0)),
        (t("2026-11-01T04:00:00Z"), rows(&mut rng, PER_HOUR, 0.6)),
    ];
    for (h, (hour, data)) in hours.iter().enumerate() {
        let key = format!(
            "data-capture/{EP}/AllTraffic/{}/capture.jsonl",
            hour.format("%Y/%m/%d/%H")
        );
        let body: String = data
            .iter()
            .enumerate()
            .map(|(i, (s, _))| {
                let time = *hour + Duration::seconds((i * 3600 / PER_HOUR) as i64);
                capture_line(h * PER_HOUR + i, time, *s)
            })
            .collect();
        store.put(&key, body.into_bytes()).await.unwrap();
        ingest::run(&store, std::slice::from_ref(&key))
            .await
            .unwrap();
    }

    // 3. ticks at 04:05 and 05:05, before any label: estimates only
    let sink = MemoryMetricSink::new();
    let mut before = Vec::new();
    for (hour, _) in &hours {
        let exec = tick::run(
            &store,
            &sink,
            &LocalModels,
            &TickRequest {
                now: *hour + Duration::minutes(65),
                monitor: Some(M.into()),
                window_end: None,
                stack: None,
            },
        )
        .await
        .unwrap()
        .executions
        .remove(0);
        assert_eq!(exec.status, ExecutionStatus::Failed, "no labels yet");
        assert_eq!(exec.records, 0);
        let est = exec
            .estimated_metrics
            .clone()
            .expect("estimates before labels");
        assert_eq!(est.predictions, PER_HOUR as u64);
        let written = execution(&store, &exec).await;
        let acc = &written["estimated_metrics"]["metrics"]["accuracy"];
        assert!(acc["value"].is_f64() && acc["lower"].is_f64() && acc["upper"].is_f64());
        assert!(
            acc.get("realised").is_none(),
            "no realised value yet: {acc}"
        );
        before.push(est);
    }
    // the shift lowers the estimated accuracy below the baseline beyond its interval
    let (est3, est4) = (
        &before[0].metrics["accuracy"],
        &before[1].metrics["accuracy"],
    );
    assert!(est4.value < est3.value - 0.1, "{est3:?} {est4:?}");
    assert!(
        est3.upper >= baseline_accuracy,
        "hour 03 is like the baseline"
    );
    assert!(
        before[1].violations.contains(&"accuracy".to_string()),
        "{before:?} {baseline_accuracy}"
    );
    let published: Vec<(String, f64)> = sink
        .data()
        .into_iter()
        .filter_map(|d| match d.value {
            MetricValue::Value(v) if d.name.starts_with("estimated_") => Some((d.name, v)),
            _ => None,
        })
        .collect();
    assert!(published.contains(&("estimated_accuracy".into(), est4.value)));
    assert!(published.contains(&("estimated_accuracy_upper".into(), est4.upper)));
    let n_violations = before[1].violations.len() as f64;
    assert!(
        published.contains(&("estimated_constraint_violations".into(), n_violations)),
        "{published:?}"
    );
    assert!(before[0].violations.is_empty(), "{:?}", before[0]);

    // 4. the labels, three hours later
    let label_hour = t("2026-11-01T07:00:00Z");
    let key = format!(
        "ground-truth/{EP}/{}/labels.jsonl",
        label_hour.format("%Y/%m/%d/%H")
    );
    let body: String = hours
        .iter()
        .enumerate()
        .flat_map(|(h, (_, data))| {
            data.iter().enumerate().map(move |(i, (_, y))| {
                format!(
                    "{{\"groundTruthData\":{{\"data\":\"{y}\",\"encoding\":\"CSV\"}},\"eventMetadata\":{{\"eventId\":\"{}\"}},\"eventVersion\":\"0\"}}\n",
                    h * PER_HOUR + i
                )
            })
        })
        .collect();
    store.put(&key, body.into_bytes()).await.unwrap();
    ground_truth::run(
        &store,
        std::slice::from_ref(&key),
        t("2026-11-01T07:10:00Z"),
    )
    .await
    .unwrap();

    // 5. the next tick evaluates the two marked windows again: realised beside estimated
    let summary = tick::run(
        &store,
        &sink,
        &LocalModels,
        &TickRequest {
            now: t("2026-11-01T08:05:00Z"),
            monitor: Some(M.into()),
            window_end: None,
            stack: None,
        },
    )
    .await
    .unwrap();
    let late: Vec<&Execution> = summary
        .executions
        .iter()
        .filter(|e| e.records > 0)
        .collect();
    assert_eq!(late.len(), 2, "{:?}", summary.executions);
    for (exec, est_before) in late.iter().zip(&before) {
        let est = exec.estimated_metrics.as_ref().unwrap();
        for (m, e) in &est.metrics {
            // the same estimate as before the labels
            assert_eq!(e.value, est_before.metrics[m].value, "{m}");
            let realised = e.realised.expect("realised beside the estimate");
            let model = exec.model_metrics.iter().find(|(k, _)| k == m).unwrap().1;
            assert_eq!(realised, model, "{m}");
            assert!(
                e.lower <= realised && realised <= e.upper,
                "{} {m}: realised {realised} outside [{}, {}] (estimate {})",
                exec.window_start,
                e.lower,
                e.upper,
                e.value
            );
        }
        let written = execution(&store, exec).await;
        assert!(written["estimated_metrics"]["metrics"]["auc"]["realised"].is_f64());
    }
    // the estimate tracked the drop the labels confirm
    let realised = |i: usize| {
        late[i].estimated_metrics.as_ref().unwrap().metrics["accuracy"]
            .realised
            .unwrap()
    };
    assert!(realised(1) < realised(0) - 0.1);
    assert_eq!(late[1].status, ExecutionStatus::CompletedWithViolations);
}
