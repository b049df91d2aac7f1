//! The retrain-trigger handler over an in-memory store and the file launcher, driven by the
//! shared event fixture `events/alarm-state-change.json`.

use std::sync::Arc;

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use chrono::{DateTime, Utc};
use lambda_kit::{FunctionError, StoreConfig};
use lambda_runtime::{Context, LambdaEvent};
use monitor_core::app::retrain::RunOptions;
use monitor_core::retrain::config::RETRAIN_CONFIG_KEY;
use monitor_core::retrain::decision::Decision;
use monitor_core::retrain::events::AlarmDetail;
use monitor_core::retrain::keys::audit_key;
use monitor_core::retrain::launcher::FileLauncher;
use monitor_core::store::{MemoryStore, ObjectStore};
use retrain_trigger::{handler, AlarmInput, Config, Deps, LauncherMode};
use serde_json::{json, Value};
// VIOLATIONS: the report of the window 03:00–04:00 that the event's 03:00 datapoint stands for
use test_support::lookup;
use test_support::retrain::{self as retrain_fixture, VIOLATIONS};

const ALARM: &str = include_str!("../../../events/alarm-state-change.json");
const PIPELINE: &str = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-retrain";

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn lambda_event(v: Value) -> LambdaEvent<EventBridgeEvent<AlarmDetail>> {
    LambdaEvent::new(serde_json::from_value(v).unwrap(), Context::default())
}

fn fixture() -> Value {
    serde_json::from_str(ALARM).unwrap()
}

async fn store() -> MemoryStore {
    assert_eq!(retrain_fixture::CONFIG_KEY, RETRAIN_CONFIG_KEY);
    let store = MemoryStore::new();
    for (key, body) in retrain_fixture::objects(PIPELINE) {
        store.put(key, body).await.unwrap();
    }
    store
}

fn deps(
    store: &MemoryStore,
    dry_run: Option<bool>,
) -> Deps<MemoryStore, FileLauncher<MemoryStore>> {
    let config = Config::from_lookup(lookup(&[
        ("MODELWATCH_BUCKET", "mw-bucket"),
        ("MODELWATCH_LAUNCHER", "file"),
    ]))
    .unwrap();
    let mut d = Deps::new(
        store.clone(),
        FileLauncher::new(store.clone()),
        RunOptions {
            dry_run,
            ..config.run_options()
        },
    );
    d.clock = Arc::new(|| t("2026-11-01T04:07:00Z"));
    d
}

#[test]
fn config_reads_dry_run_launcher_and_store_uri() {
    let c = Config::from_lookup(lookup(&[("MODELWATCH_BUCKET", "mw-bucket")])).unwrap();
    assert_eq!(c.dry_run, None);
    assert_eq!(c.launcher, LauncherMode::SageMaker);
    assert_eq!(c.file_run_minutes, Some(0));
    assert_eq!(
        c.run_options(),
        RunOptions {
            dry_run: None,
            store_uri: "s3://mw-bucket/".into()
        }
    );
    let c = Config::from_lookup(lookup(&[
        ("MODELWATCH_STORE", "local"),
        ("MODELWATCH_LOCAL_ROOT", "/tmp/mw/"),
        ("MODELWATCH_DRY_RUN", "TRUE"),
        ("MODELWATCH_LAUNCHER", "File"),
        ("MODELWATCH_FILE_RUN_MINUTES", "never"),
    ]))
    .unwrap();
    assert_eq!(
        c.common.store,
        StoreConfig::Local {
            root: "/tmp/mw/".into()
        }
    );
    assert_eq!(c.dry_run, Some(true));
    assert_eq!(c.launcher, LauncherMode::File);
    assert_eq!(c.file_run_minutes, None);
    assert_eq!(c.run_options().store_uri, "/tmp/mw/");
    let c = Config::from_lookup(lookup(&[
        ("MODELWATCH_BUCKET", "b"),
        ("MODELWATCH_DRY_RUN", "0"),
        ("MODELWATCH_FILE_RUN_MINUTES", "90"),
    ]))
    .unwrap();
    assert_eq!(c.dry_run, Some(false));
    assert_eq!(c.file_run_minutes, Some(90));
    for (name, value) in [
        ("MODELWATCH_DRY_RUN", "maybe"),
        ("MODELWATCH_LAUNCHER", "stepfunctions"),
        ("MODELWATCH_FILE_RUN_MINUTES", "-5"),
    ] {
        let e =
            Config::from_lookup(lookup(&[("MODELWATCH_BUCKET", "b"), (name, value)])).unwrap_err();
        assert_eq!(e.name, name);
        assert!(e.to_string().contains(value), "{e}");
    }
}

#[test]
fn event_translation_checks_id_time_and_detail_type() {
    let ev: EventBridgeEvent<AlarmDetail> = serde_json::from_value(fixture()).unwrap();
    let AlarmInput(a) = AlarmInput::try_from(&ev).unwrap();
    assert_eq!(a.id, "c4e2a8b1-7f3d-4b9a-8e61-5d0c2f9a7b34");
    assert_eq!(a.time, t("2026-11-01T04:06:12Z"));
    assert_eq!(a.account, "123456789012");
    assert_eq!(a.detail.alarm_name, "churn-dq-balance-drift");
    // the domain's own parser reads the same fixture identically
    assert_eq!(
        a,
        monitor_core::retrain::events::AlarmEvent::from_json(ALARM.as_bytes()).unwrap()
    );

    let mut no_id = ev.clone();
    no_id.id = None;
    let e = AlarmInput::try_from(&no_id).unwrap_err();
    assert_eq!(e.error_type(), "InvalidEvent");
    assert!(e.to_string().contains("`id`"), "{e}");
    let mut no_time = ev.clone();
    no_time.time = None;
    assert!(AlarmInput::try_from(&no_time)
        .unwrap_err()
        .to_string()
        .contains("`time`"));
    let mut other = ev.clone();
    other.detail_type = "CloudWatch Alarm Configuration Change".into();
    let e = AlarmInput::try_from(&other).unwrap_err();
    assert!(
        e.to_string()
            .contains("\"CloudWatch Alarm Configuration Change\""),
        "{e}"
    );
}

#[tokio::test]
async fn alarm_starts_one_run_and_redelivery_is_a_duplicate() {
    let store = store().await;
    let deps = deps(&store, None);
    let s = handler(lambda_event(fixture()), &deps).await.unwrap();
    let arn = match &s.decision {
        Decision::Started { execution_arn } => execution_arn.clone(),
        other => panic!("{other:?}"),
    };
    let runs = deps.launcher.runs(PIPELINE).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].execution_arn, arn);
    let violations = runs[0]
        .parameters
        .iter()
        .find(|p| p.name == "ViolationsUri")
        .unwrap();
    assert_eq!(violations.value, format!("s3://mw-bucket/{VIOLATIONS}"));
    assert_eq!(
        s.audit_key.as_deref(),
        Some(audit_key("churn-retrain", "c4e2a8b1-7f3d-4b9a-8e61-5d0c2f9a7b34").as_str())
    );
    // the summary is what `cargo lambda invoke` prints
    let out = serde_json::to_value(&s).unwrap();
    assert_eq!(out["decision"]["decision"], "started");
    assert_eq!(out["state"], "ALARM");

    let again = handler(lambda_event(fixture()), &deps).await.unwrap();
    assert_eq!(again.decision.kind(), "skipped-duplicate");
    assert_eq!(deps.launcher.runs(PIPELINE).await.unwrap().len(), 1);
}

#[tokio::test]
async fn alarm_from_another_account_is_refused_and_starts_nothing() {
    // The fixture's event is from account 123456789012 (events/alarm-state-change.json).
    let config = Config::from_lookup(lookup(&[
        ("MODELWATCH_BUCKET", "mw-bucket"),
        ("MODELWATCH_ACCOUNT_ID", "999999999999"),
    ]))
    .unwrap();
    assert_eq!(config.account_id.as_deref(), Some("999999999999"));
    let store = store().await;
    let before = store.list("").await.unwrap();
    let foreign = deps(&store, None).with_account(config.account_id);
    let e = handler(lambda_event(fixture()), &foreign)
        .await
        .unwrap_err();
    assert_eq!(e.error_type(), "InvalidEvent");
    assert!(e.to_string().contains("\"123456789012\""), "{e}");
    assert!(e.to_string().contains("999999999999"), "{e}");
    assert!(foreign.launcher.runs(PIPELINE).await.unwrap().is_empty());
    assert_eq!(store.list("").await.unwrap(), before, "nothing written");

    // the same event in its own account goes through
    let own = deps(&store, None).with_account(Some("123456789012".into()));
    let s = handler(lambda_event(fixture()), &own).await.unwrap();
    assert_eq!(s.decision.kind(), "started");

    let e = Config::from_lookup(lookup(&[
        ("MODELWATCH_BUCKET", "b"),
        ("MODELWATCH_ACCOUNT_ID", "12345"),
    ]))
    .unwrap_err();
    assert_eq!(e.name, "MODELWATCH_ACCOUNT_ID");
}

#[tokio::test]
async fn ok_transition_is_logged_and_does_nothing() {
    let store = store().await;
    let before = store.list("").await.unwrap();
    let deps = deps(&store, None);
    let mut ev = fixture();
    ev["detail"]["state"]["value"] = json!("OK");
    ev["detail"]["previousState"]["value"] = json!("ALARM");
    let s = handler(lambda_event(ev), &deps).await.unwrap();
    assert!(matches!(s.decision, Decision::Ignored { .. }), "{s:?}");
    assert_eq!(store.list("").await.unwrap(), before);
}

#[tokio::test]
async fn dry_run_env_override_starts_nothing() {
    let store = store().await;
    let deps = deps(&store, Some(true));
    let s = handler(lambda_event(fixture()), &deps).await.unwrap();
    assert_eq!(s.decision, Decision::DryRun);
    assert!(s.dry_run);
    assert!(deps.launcher.runs(PIPELINE).await.unwrap().is_empty());
    assert!(store.get(s.audit_key.as_deref().unwrap()).await.is_ok());
}

#[tokio::test]
async fn missing_configuration_is_permanent() {
    let store = MemoryStore::new();
    let deps = deps(&store, None);
    let e = handler(lambda_event(fixture()), &deps).await.unwrap_err();
    assert!(matches!(e, FunctionError::Permanent(_)), "{e:?}");
    assert!(e.to_string().contains(RETRAIN_CONFIG_KEY), "{e}");
}
