//! Issue 5 (item 7) and issue 6 (item 4), end to end over the local store: the demo with
//! labels that arrive hours late, a concept drift, CloudWatch alarms over the metric files
//! and the retraining trigger with the file launcher (deterministic, seed 42, small sizes).

use chrono::{DateTime, Duration, Utc};
use modelwatch::demo::{
    retrain_config, run_demo, run_scenario, DemoOptions, DemoOutcome, BIAS_MONITOR, COOLDOWN_HOURS,
    DQ_ALARM, ENDPOINT, MONITOR, MQ_ALARM, MQ_MONITOR, PIPELINE, XAI_MONITOR,
};
use modelwatch::scenario::{Drift, Scenario, BIAS_DRIFT_HOUR, CONCEPT_DRIFT_FROM};
use modelwatch_e2e::temp_dir;
use monitor_core::execution::ExecutionStatus;
use monitor_core::formats::model_quality::ModelQualityViolations;
use monitor_core::retrain::config as retrain;
use monitor_core::retrain::decision::{AuditRecord, Decision};
use monitor_core::retrain::events::AlarmStateValue;
use monitor_core::store::{LocalStore, ObjectStore};

fn small_scenario() -> Scenario {
    Scenario {
        baseline_rows: 5_000,
        validation_rows: 3_000,
        records_per_hour: 3_000,
        records_per_file: 1_000,
        ..Scenario::new(42)
    }
}

fn metric(exec: &monitor_core::execution::Execution, name: &str) -> f64 {
    exec.model_metrics
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("{name} missing from {:?}", exec.model_metrics))
}

/// ALARM transitions, in time order.
fn fired(outcome: &DemoOutcome) -> Vec<&modelwatch::demo::AlarmOutcome> {
    outcome
        .alarms
        .iter()
        .filter(|a| a.transition.state.value == AlarmStateValue::Alarm)
        .collect()
}

// Why it is long: one scenario run checked end to end (windows, late labels, concept
// drift, alarms, the single retraining run); each block asserts on the same outcome, and
// splitting it would rerun the scenario per assertion.
#[tokio::test(flavor = "multi_thread")]
async fn late_labels_concept_drift_alarms_and_exactly_one_retraining_run() {
    let dir = temp_dir("demo-e2e");
    let store = LocalStore::new(&dir);
    let scenario = small_scenario();
    let outcome = run_scenario(&store, &scenario, false).await.unwrap();
    assert_eq!(outcome.executions.len(), scenario.hours);
    assert_eq!(outcome.quality.len(), scenario.hours);
    assert_eq!(outcome.concept_drift, vec![5, 6, 7]);
    let accuracy_threshold = outcome
        .quality_constraints
        .get("accuracy")
        .unwrap()
        .threshold;

    for hour in 0..scenario.hours {
        let (dq, mq) = (&outcome.executions[hour], &outcome.quality[hour]);
        assert_eq!(dq.monitoring_schedule_name, MONITOR);
        assert_eq!(mq.monitoring_schedule_name, MQ_MONITOR);
        // Both monitors report on the same hour (the model-quality one 3 h later).
        assert_eq!(mq.window_start, dq.window_start);
        assert_eq!(mq.window_start.timestamp(), scenario.hour_start(hour));

        // Every label of the window landed before the window was evaluated; the 10 % lost
        // labels are the only unmatched predictions.
        let cov = mq.label_coverage.as_ref().unwrap();
        let collected = scenario
            .ground_truth(hour)
            .iter()
            .filter(|g| g.collected_unix_secs.is_some())
            .count() as u64;
        assert_eq!(cov.predictions, 3_000, "hour {hour}");
        assert_eq!(cov.matched, collected, "hour {hour}");
        let share = cov.matched as f64 / cov.predictions as f64;
        assert!((0.87..0.93).contains(&share), "hour {hour}: {share}");
        assert_eq!(mq.records, cov.matched);

        let input_drift = outcome.plan[hour].iter().any(|d| *d != Drift::None);
        let concept = outcome.concept_drift.contains(&hour);
        if !input_drift && !concept {
            assert_eq!(dq.status, ExecutionStatus::Completed, "hour {hour}");
            assert_eq!(mq.status, ExecutionStatus::Completed, "hour {hour}");
        }
        // Multivariate drift is on by default (issue 13 item 4): the baseline Lambda's path
        // fitted it over the demo's numeric features, every hour is scored, and no clean hour
        // leaves the band.
        let m = dq
            .multivariate_drift
            .as_ref()
            .unwrap_or_else(|| panic!("hour {hour}: no multivariate_drift"));
        assert_eq!(m.records, 3_000, "hour {hour}");
        assert!(m.lower.is_some() && m.upper.is_some(), "hour {hour}: {m:?}");
        if !input_drift {
            assert!(
                !m.violated,
                "hour {hour}: clean hour outside the band: {m:?}"
            );
        }
        let accuracy = metric(mq, "accuracy");
        // Performance before labels (CBPE): every hour's model-quality execution carries the
        // estimates from the scores alone, and the realised value beside them once merged.
        let est = mq
            .estimated_metrics
            .as_ref()
            .unwrap_or_else(|| panic!("hour {hour}: no estimated_metrics"));
        assert_eq!(est.predictions, 3_000, "hour {hour}");
        let acc = &est.metrics["accuracy"];
        assert!(
            acc.lower <= acc.value && acc.value <= acc.upper,
            "hour {hour}"
        );
        assert_eq!(acc.realised, Some(accuracy), "hour {hour}");
        if !input_drift && !concept {
            // a clean hour: the realised accuracy lies within the estimate's interval
            assert!(
                acc.lower <= accuracy && accuracy <= acc.upper,
                "hour {hour}: {accuracy} outside [{}, {}]",
                acc.lower,
                acc.upper
            );
        }
        if concept {
            // Same inputs, new labels: the scores (and so the estimate) cannot see concept
            // drift; the realised accuracy falls far below the estimate's interval, which is
            // why the labels still matter (README, "Performance before labels").
            assert!(
                accuracy < acc.lower - 0.05,
                "hour {hour}: {accuracy} vs {acc:?}"
            );
        }
        if concept {
            // Same inputs, new labels: model quality breaks, whatever data quality says.
            assert_eq!(
                mq.status,
                ExecutionStatus::CompletedWithViolations,
                "hour {hour}"
            );
            let violations = ModelQualityViolations::from_json(
                &store
                    .get(&format!("{}constraint_violations.json", mq.report_prefix))
                    .await
                    .unwrap(),
            )
            .unwrap();
            let names: Vec<&str> = violations
                .violations
                .iter()
                .map(|v| v.metric_name.as_str())
                .collect();
            assert!(names.contains(&"auc"), "hour {hour}: {names:?}");
            assert!(metric(mq, "auc") < 0.65, "hour {hour}");
            if hour == CONCEPT_DRIFT_FROM {
                assert!(accuracy < accuracy_threshold, "hour {hour}: {accuracy}");
                assert!(names.contains(&"accuracy"), "hour {hour}: {names:?}");
            }
        } else {
            // Input drift alone leaves the (still right) model above its accuracy threshold.
            assert!(accuracy >= accuracy_threshold, "hour {hour}: {accuracy}");
        }
    }

    // The merged records of the first concept-drift hour, in SageMaker's merge layout.
    // bias drift and feature attribution: the group-specific label change of
    // BIAS_DRIFT_HOUR is flagged for the facet (clean hours before it are not); the hour
    // whose strongest explained input is stuck re-ranks the attributions (nDCG < 0.9), and
    // no other hour does.
    assert_eq!(outcome.bias.len(), scenario.hours);
    assert_eq!(outcome.attribution.len(), scenario.hours);
    for hour in 0..scenario.hours {
        let (b, x) = (&outcome.bias[hour], &outcome.attribution[hour]);
        assert_eq!(b.monitoring_schedule_name, BIAS_MONITOR);
        assert_eq!(x.monitoring_schedule_name, XAI_MONITOR);
        assert_eq!(b.window_start.timestamp(), scenario.hour_start(hour));
        assert_eq!(x.window_start.timestamp(), scenario.hour_start(hour));
        let flagged = &outcome.bias_flagged[hour];
        if hour < BIAS_DRIFT_HOUR {
            assert_eq!(
                b.status,
                ExecutionStatus::Completed,
                "hour {hour}: {flagged:?}"
            );
        }
        if hour == BIAS_DRIFT_HOUR {
            assert_eq!(b.status, ExecutionStatus::CompletedWithViolations);
            for m in ["DCA region=central", "DPL region=central"] {
                assert!(
                    flagged.iter().any(|f| f == m),
                    "hour {hour}: {m} not in {flagged:?}"
                );
            }
        }
        assert_eq!(b.label_coverage.as_ref().unwrap().predictions, 3_000);
        let stuck = outcome.plan[hour]
            .iter()
            .any(|d| matches!(d, Drift::StuckValue { .. }));
        let ndcg = metric(x, "ndcg");
        if stuck {
            assert_eq!(
                x.status,
                ExecutionStatus::CompletedWithViolations,
                "hour {hour}"
            );
            assert!(ndcg < 0.9, "hour {hour}: {ndcg}");
        } else {
            assert_eq!(x.status, ExecutionStatus::Completed, "hour {hour}: {ndcg}");
        }
        assert_eq!(x.records, 3_000);
    }
    assert!(outcome.plan[7]
        .iter()
        .any(|d| matches!(d, Drift::StuckValue { .. })));

    let hour = CONCEPT_DRIFT_FROM;
    let merged = store
        .list(&format!(
            "state/merged/{MQ_MONITOR}/{ENDPOINT}/AllTraffic/2026/11/01/{hour:02}/"
        ))
        .await
        .unwrap();
    let mut lines = 0;
    for key in &merged {
        let body = store.get(key).await.unwrap();
        for line in body.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let v: serde_json::Value = serde_json::from_slice(line).unwrap();
            assert!(v["groundTruthData"]["data"].is_string());
            assert!(v["captureData"]["endpointOutput"]["data"].is_string());
            lines += 1;
        }
    }
    assert_eq!(lines, outcome.quality[hour].records);

    // Alarms: the data-quality alarm fires first (violations in hours 3 and 4: 2 of 3) and
    // starts the one run; the accuracy alarm fires inside the cooldown and is skipped.
    let fired = fired(&outcome);
    assert!(!fired.is_empty());
    assert_eq!(fired[0].alarm.name, DQ_ALARM);
    assert_eq!(
        fired[0].transition.state.timestamp,
        DateTime::<Utc>::from_timestamp(scenario.hour_start(5), 0).unwrap()
    );
    let started: Vec<_> = outcome
        .alarms
        .iter()
        .filter(|a| matches!(a.retrain.decision, Decision::Started { .. }))
        .collect();
    assert_eq!(started.len(), 1, "exactly one retraining run");
    assert_eq!(started[0].alarm.name, fired[0].alarm.name);
    let start = fired[0].transition.state.timestamp;
    let cooldown = Duration::milliseconds((COOLDOWN_HOURS * 3_600_000.0) as i64);
    for a in &fired[1..] {
        if a.transition.state.timestamp < start + cooldown {
            assert_eq!(
                a.retrain.decision.kind(),
                "skipped-cooldown",
                "{}",
                a.alarm.name
            );
        }
    }
    assert!(
        fired
            .iter()
            .any(|a| a.alarm.name == MQ_ALARM && a.retrain.decision.kind() == "skipped-cooldown"),
        "the accuracy alarm fired inside the cooldown: {:?}",
        outcome
            .alarms
            .iter()
            .map(|a| (&a.alarm.name, a.transition.state.timestamp))
            .collect::<Vec<_>>()
    );
    // OK / INSUFFICIENT_DATA transitions are logged and start nothing.
    for a in &outcome.alarms {
        if a.transition.state.value != AlarmStateValue::Alarm {
            assert_eq!(a.retrain.decision.kind(), "ignored");
            assert!(a.retrain.audit_key.is_none());
        }
    }

    // The file launcher recorded exactly that run, with the evidence of the window that
    // tripped the alarm (04:00–05:00).
    assert_eq!(outcome.runs.len(), 1);
    let run = &outcome.runs[0];
    assert_eq!(
        Some(run.execution_arn.as_str()),
        started[0].retrain.decision.execution_arn()
    );
    let param = |n: &str| {
        run.parameters
            .iter()
            .find(|p| p.name == n)
            .map(|p| p.value.clone())
            .unwrap()
    };
    assert_eq!(param("AlarmName"), DQ_ALARM);
    assert_eq!(param("Monitor"), MONITOR);
    assert_eq!(param("WindowStart"), "2026-11-01T04:00:00Z");
    let uri = param("ViolationsUri");
    let key = format!("reports/{ENDPOINT}/{MONITOR}/2026/11/01/05/constraint_violations.json");
    assert_eq!(uri, format!("{}/{key}", dir.display()));
    assert!(std::path::Path::new(&uri).exists());

    // One audit record per ALARM event, each where the summary says.
    let audits = store
        .list(&format!("state/retrain/audit/{PIPELINE}/"))
        .await
        .unwrap();
    assert_eq!(audits.len(), fired.len(), "{audits:?}");
    for a in &fired {
        let key = a.retrain.audit_key.clone().unwrap();
        let record: AuditRecord = serde_json::from_slice(&store.get(&key).await.unwrap()).unwrap();
        assert_eq!(record.alarm_name, a.alarm.name);
        assert_eq!(record.decision, a.retrain.decision);
        assert!(!record.dry_run);
    }
    assert_eq!(
        retrain::load_config(&store).await.unwrap(),
        retrain_config(false)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_decides_and_records_but_starts_nothing() {
    let dir = temp_dir("demo-e2e-dry");
    let store = LocalStore::new(&dir);
    let scenario = Scenario {
        hours: 6,
        records_per_hour: 1_500,
        records_per_file: 500,
        ..small_scenario()
    };
    let outcome = run_demo(
        &store,
        &scenario,
        &DemoOptions {
            progress: false,
            dry_run: true,
        },
    )
    .await
    .unwrap();
    let fired = fired(&outcome);
    assert_eq!(fired[0].alarm.name, DQ_ALARM);
    assert_eq!(fired[0].retrain.decision, Decision::DryRun);
    assert!(fired[0].retrain.dry_run);
    // A dry run's cooldown counts dry-run starts, so it shows what storm control would do.
    for a in &fired[1..] {
        assert_eq!(a.retrain.decision.kind(), "skipped-cooldown");
    }
    assert!(outcome.runs.is_empty());
    assert!(store
        .list(&format!("state/retrain/runs/{PIPELINE}/"))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .list(&format!("state/retrain/dry-run-starts/{PIPELINE}/"))
            .await
            .unwrap()
            .len(),
        1
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The demo's segment hour, at the demo's sizes: the shift of one region's
/// `monthly_charges` stays under the drift policy's floor over the whole window, which
/// completes, while that region's slice fails on the shifted feature (and the score that
/// reads it), and no other region's slice fails.
#[tokio::test(flavor = "multi_thread")]
async fn the_segment_hour_fails_the_hidden_slice_while_the_window_passes() {
    use modelwatch::demo::segment::{
        run_segment_hour, SEGMENT_ENDPOINT, SEGMENT_MONITOR, SLICE_FEATURE, SLICE_REGION,
    };
    let dir = temp_dir("demo-segments");
    let store = LocalStore::new(&dir);
    let scenario = Scenario::new(42);
    let h = run_segment_hour(&store, &scenario).await.unwrap();
    let e = &h.execution;
    assert_eq!(e.status, ExecutionStatus::Completed, "{:?}", e.drift);
    let whole = e
        .drift
        .iter()
        .find(|d| d.feature == "monthly_charges")
        .unwrap();
    assert!(!whole.violated);
    // a tenth of the records moved by 0.4 SD: about 0.04 SD over the window, under the floor
    assert!(whole.distance < whole.effect_floor.unwrap(), "{whole:?}");
    let r = &h.segments;
    assert_eq!(r.records, scenario.records_per_hour as u64);
    assert_eq!(
        r.segments.iter().map(|s| s.records).sum::<u64>(),
        r.records,
        "every record is in one region slice"
    );
    let slice = format!("{SLICE_FEATURE}={SLICE_REGION}");
    for s in &r.segments {
        let drifted: Vec<&str> = s
            .drift
            .iter()
            .filter(|d| d.violated)
            .map(|d| d.feature.as_str())
            .collect();
        if s.segment == slice {
            // region central is drawn with weight 0.10 (scenario REGION_WEIGHTS)
            assert!((s.share - 0.10).abs() < 0.02, "{}", s.share);
            assert!(s.violations > 0);
            assert!(drifted.contains(&"monthly_charges"), "{drifted:?}");
            assert!(
                drifted
                    .iter()
                    .all(|f| ["monthly_charges", "score"].contains(f)),
                "{drifted:?}"
            );
        } else {
            assert_eq!(s.violations, 0, "{}: {drifted:?}", s.segment);
        }
    }
    assert!(r.segments.iter().any(|s| s.segment == slice));
    // the window's HTML report has the Segments section listing the failing slice
    let html = store
        .get(&format!(
            "{}{}",
            e.report_prefix,
            monitor_core::report::REPORT_FILE
        ))
        .await
        .unwrap();
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("id=\"segments\""));
    assert!(html.contains(&slice));
    assert!(e
        .report_prefix
        .starts_with(&format!("reports/{SEGMENT_ENDPOINT}/{SEGMENT_MONITOR}/")));
}

/// The demo's multi-model hour (small sizes): three tenants' models attributed by
/// the object key, one judged against its own baseline, and only the drifting tenant
/// violates.
#[tokio::test(flavor = "multi_thread")]
async fn the_multi_model_hour_flags_only_the_drifting_model() {
    use modelwatch::demo::multimodel::{
        run_multi_model_hour, DRIFTING_TENANT, MME_MONITOR, OWN_BASELINE_TENANT, TENANTS,
    };
    let dir = temp_dir("demo-multi-model");
    let store = LocalStore::new(&dir);
    // three tenants of the demo's 6,000 records would take over 10 s in the dev profile
    let scenario = small_scenario();
    let h = run_multi_model_hour(&store, &scenario).await.unwrap();
    let n = scenario.records_per_hour as u64;
    assert_eq!(h.execution.records, n * TENANTS.len() as u64);
    assert_eq!(h.summary.unattributed_records, 0);
    assert_eq!(h.summary.models_over_cap, 0);
    let names: Vec<&str> = h.summary.models.iter().map(|m| m.model.as_str()).collect();
    assert_eq!(names, TENANTS);
    for (m, (name, flagged)) in h.summary.models.iter().zip(&h.violations) {
        assert_eq!(&m.model, name);
        assert_eq!(m.records, n, "{name}");
        let own = format!("baselines/{MME_MONITOR}/models/{OWN_BASELINE_TENANT}/");
        if m.model == OWN_BASELINE_TENANT {
            assert_eq!(m.baseline_prefix, own);
        } else {
            assert_eq!(m.baseline_prefix, format!("baselines/{MME_MONITOR}"));
        }
        if m.model == DRIFTING_TENANT {
            assert_eq!(m.status, ExecutionStatus::CompletedWithViolations);
            // the new payment method is a value the baseline never saw
            assert!(
                flagged.contains(&"payment_method categorical_values_check".to_string()),
                "{flagged:?}"
            );
            // nothing but the payment method and, at times, the multivariate check: the
            // model scores an unknown payment method with a zero effect, so the relation
            // between the inputs and the score moves with it
            assert!(
                flagged.iter().all(|f| f.starts_with("payment_method ")
                    || f == "multivariate multivariate_drift_check"),
                "{flagged:?}"
            );
        } else {
            assert_eq!(m.status, ExecutionStatus::Completed, "{name}: {flagged:?}");
            assert!(flagged.is_empty());
        }
    }
}

/// The one-shot tests' sizes (as `tests/e2e/oneshot.rs`): they run an hour twice (tick and
/// one-shot job), and the figures compared do not depend on the sizes.
fn one_shot_scenario() -> Scenario {
    Scenario {
        baseline_rows: 3_000,
        records_per_hour: 1_500,
        records_per_file: 500,
        ..Scenario::new(42)
    }
}

/// The output file `name` of a one-shot job.
fn one_shot_file<'a>(out: &'a monitor_core::app::oneshot::OneShotOutput, name: &str) -> &'a [u8] {
    out.files
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, b)| b.as_slice())
        .unwrap_or_else(|| {
            panic!(
                "{name} missing from {:?}",
                out.files.iter().map(|f| &f.0).collect::<Vec<_>>()
            )
        })
}

/// `modelwatch monitor --config` with the segment hour's monitor (its `segments` block) over
/// the hour's capture folder and baseline: the job writes the tick's `segments.json`, byte
/// for byte (one window spanning the hour is the tick's window).
#[tokio::test(flavor = "multi_thread")]
async fn a_one_shot_job_with_a_segments_block_writes_the_ticks_segments_json() {
    use modelwatch::demo::segment::{run_segment_hour, segment_monitor_json, SEGMENT_MONITOR};
    use monitor_core::app::oneshot::{self, OneShotJob};
    use monitor_core::segments::SEGMENTS_FILE;
    let dir = temp_dir("oneshot-segments");
    let store = LocalStore::new(&dir);
    let scenario = one_shot_scenario();
    let h = run_segment_hour(&store, &scenario).await.unwrap();
    let captures = oneshot::collect_capture_files(&[dir.join("data-capture")]).unwrap();
    let baseline = dir.join(format!("baselines/{SEGMENT_MONITOR}"));
    let config = monitor_core::config::MonitorConfig::from_json(
        "segments.json",
        segment_monitor_json().to_string().as_bytes(),
    )
    .unwrap();
    let job = OneShotJob {
        config,
        baseline: Some(&baseline),
        captures: &captures,
        ground_truth: &[],
    };
    let out = oneshot::run_job(&job, &monitor_core::attribution::LocalModels)
        .await
        .unwrap();
    assert_eq!(out.execution.window_end, h.execution.window_end);
    assert_eq!(out.execution.status, h.execution.status);
    let tick = store
        .get(&format!("{}{SEGMENTS_FILE}", h.execution.report_prefix))
        .await
        .unwrap();
    assert!(one_shot_file(&out, SEGMENTS_FILE) == tick.as_slice());
}

/// `modelwatch monitor --config` with the multi-model hour's monitor over its capture folder
/// and baseline directory (with the `models/tenant-2/` baseline): `multi_model.json` and
/// every model's report files, as the tick wrote them.
#[tokio::test(flavor = "multi_thread")]
async fn a_one_shot_job_with_a_multi_model_block_writes_every_models_report() {
    use modelwatch::demo::multimodel::{
        mme_monitor_json, run_multi_model_hour, MME_MONITOR, OWN_BASELINE_TENANT, TENANTS,
    };
    use monitor_core::app::oneshot::{self, OneShotJob};
    use monitor_core::multimodel::MULTI_MODEL_FILE;
    let dir = temp_dir("oneshot-multi-model");
    let store = LocalStore::new(&dir);
    let scenario = one_shot_scenario();
    let h = run_multi_model_hour(&store, &scenario).await.unwrap();
    let captures = oneshot::collect_capture_files(&[dir.join("data-capture")]).unwrap();
    let baseline = dir.join(format!("baselines/{MME_MONITOR}"));
    let config = monitor_core::config::MonitorConfig::from_json(
        "multi-model.json",
        mme_monitor_json().to_string().as_bytes(),
    )
    .unwrap();
    let job = OneShotJob {
        config,
        baseline: Some(&baseline),
        captures: &captures,
        ground_truth: &[],
    };
    let out = oneshot::run_job(&job, &monitor_core::attribution::LocalModels)
        .await
        .unwrap();
    assert_eq!(out.execution.status, h.execution.status);
    let tick = store
        .get(&format!("{}{MULTI_MODEL_FILE}", h.execution.report_prefix))
        .await
        .unwrap();
    assert!(one_shot_file(&out, MULTI_MODEL_FILE) == tick.as_slice());
    for m in &h.summary.models {
        let prefix = m.report_prefix.as_ref().unwrap();
        for name in ["statistics.json", "constraint_violations.json"] {
            let tick = store.get(&format!("{prefix}{name}")).await.unwrap();
            let got = one_shot_file(&out, &format!("model={}/{name}", m.model));
            assert!(got == tick.as_slice(), "{}: {name}", m.model);
        }
    }
    // tenant-2 judged against its own baseline, copied from the directory's models/ folder
    let own = &h.summary.models[1];
    assert_eq!(own.model, OWN_BASELINE_TENANT);
    assert!(own
        .baseline_prefix
        .ends_with(&format!("/models/{OWN_BASELINE_TENANT}/")));
    assert_eq!(h.summary.models.len(), TENANTS.len());
}
