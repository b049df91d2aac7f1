//! The retraining use case through `SageMakerLauncher` against the local AWS emulator
//! (moto; tooling notes §2: CreatePipeline, StartPipelineExecution, ListPipelineExecutions
//! and ListPipelineParametersForExecution are supported; executions are `Succeeded` at once).
//!
//! The test starts its own `moto_server` on a free loopback port with the end-to-end tests'
//! launcher (`test_support::moto`: installs the tools venv through `scripts/tools.sh` when
//! needed) unless `MODELWATCH_MOTO_URL` points at a running one, and fails — never skips —
//! when the emulator cannot be reached. moto does not
//! implement `ClientRequestToken` idempotency, so "same event again → still one execution"
//! exercises the trigger's own duplicate check.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_sagemaker::config::{Credentials, Region, SharedCredentialsProvider};
use aws_sdk_sagemaker::Client;
use chrono::{DateTime, TimeDelta, Utc};
use monitor_core::app::retrain::{self, RunOptions};
use monitor_core::retrain::config::{EvidenceParameter, RETRAIN_CONFIG_KEY};
use monitor_core::retrain::decision::{AuditRecord, Decision};
use monitor_core::retrain::events::{AlarmEvent, AlarmStateValue};
use monitor_core::retrain::keys::{audit_key, display_name};
use monitor_core::store::{MemoryStore, ObjectStore};
use monitor_sagemaker::{sagemaker_config, SageMakerLauncher};
use serde_json::json;
use test_support::moto::Moto;
use test_support::retrain::{self as retrain_fixture, VIOLATIONS};

const ALARM: &str = include_str!("../../../events/alarm-state-change.json");

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Static test credentials and region on the SDK configuration (the process environment
/// is left alone).
fn client(endpoint: &str) -> Client {
    let conf = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "test", "test", None, None, "static",
        )))
        .endpoint_url(endpoint)
        .build();
    Client::from_conf(sagemaker_config(&conf).build())
}

async fn prepared_store(pipeline: &str) -> MemoryStore {
    assert_eq!(retrain_fixture::CONFIG_KEY, RETRAIN_CONFIG_KEY);
    let store = MemoryStore::new();
    // moto looks pipelines up by name only, so the configuration names it (not its ARN)
    for (key, body) in retrain_fixture::objects(pipeline) {
        store.put(key, body).await.unwrap();
    }
    store
}

async fn executions(client: &Client, pipeline: &str) -> Vec<(String, String)> {
    client
        .list_pipeline_executions()
        .pipeline_name(pipeline)
        .send()
        .await
        .expect("ListPipelineExecutions")
        .pipeline_execution_summaries()
        .iter()
        .map(|s| {
            (
                s.pipeline_execution_arn().unwrap_or_default().to_string(),
                s.pipeline_execution_display_name()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

// Why it is long: one emulator and one pipeline serve the whole sequence (first alarm,
// redelivery, cooldown) whose point is the order of the steps.
#[tokio::test]
async fn alarm_events_start_exactly_one_execution_on_moto() {
    let moto = Moto::start();
    let sm = client(&moto.url);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let pipeline = format!("mw-retrain-{}-{nanos}", std::process::id());
    // every evidence parameter declared, as a real pipeline must
    let definition = json!({
        "Version": "2020-12-01",
        "Metadata": {},
        "Parameters": EvidenceParameter::ALL
            .iter()
            .map(|p| json!({"Name": p.name(), "Type": "String", "DefaultValue": ""}))
            .collect::<Vec<_>>(),
        "Steps": []
    });
    sm.create_pipeline()
        .pipeline_name(&pipeline)
        .pipeline_definition(definition.to_string())
        .role_arn("arn:aws:iam::123456789012:role/mw-retrain-test")
        .client_request_token(format!("mw-create-{nanos:032}"))
        .send()
        .await
        .expect("CreatePipeline on moto");

    let store = prepared_store(&pipeline).await;
    let launcher = SageMakerLauncher::new(sm.clone());
    let opts = RunOptions {
        dry_run: None,
        store_uri: "s3://mw-bucket/".into(),
    };
    let alarm = AlarmEvent::from_json(ALARM.as_bytes()).unwrap();
    let now = t("2026-11-01T04:07:00Z");

    // 1. the alarm: exactly one execution, with the evidence as its parameters
    let s = retrain::run(&store, &launcher, &alarm, now, &opts)
        .await
        .expect("alarm handled");
    let arn = match &s.decision {
        Decision::Started { execution_arn } => execution_arn.clone(),
        other => panic!("expected a start, got {other:?}"),
    };
    let listed = executions(&sm, &pipeline).await;
    assert_eq!(
        listed,
        vec![(
            arn.clone(),
            display_name(&alarm.detail.alarm_name, &alarm.id)
        )]
    );
    let sent: BTreeMap<String, String> = sm
        .list_pipeline_parameters_for_execution()
        .pipeline_execution_arn(&arn)
        .send()
        .await
        .expect("ListPipelineParametersForExecution")
        .pipeline_parameters()
        .iter()
        .map(|p| {
            (
                p.name().unwrap_or_default().to_string(),
                p.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let expected: BTreeMap<String, String> = s
        .parameters
        .iter()
        .map(|p| (p.name.clone(), p.value.clone()))
        .collect();
    assert_eq!(sent, expected);
    assert_eq!(sent.len(), EvidenceParameter::ALL.len());
    assert_eq!(sent["AlarmName"], "churn-dq-balance-drift");
    assert_eq!(sent["MetricName"], "feature_baseline_drift_balance");
    assert_eq!(sent["WindowStart"], "2026-11-01T03:00:00Z");
    assert_eq!(sent["WindowEnd"], "2026-11-01T04:00:00Z");
    assert_eq!(
        sent["ViolationsUri"],
        format!("s3://mw-bucket/{VIOLATIONS}")
    );
    assert_eq!(sent["AlarmReason"], alarm.detail.state.reason);
    assert_eq!(sent["Model"], "churn-xgb");

    // 2. the same event again (an EventBridge redelivery): still one execution
    let again = retrain::run(
        &store,
        &launcher,
        &alarm,
        now + TimeDelta::minutes(2),
        &opts,
    )
    .await
    .unwrap();
    assert_eq!(again.decision.kind(), "skipped-duplicate");
    assert_eq!(executions(&sm, &pipeline).await.len(), 1);

    // 3. the alarm clears: an OK event does nothing
    let mut ok = alarm.clone();
    ok.id = "0b4d9e2c-1111-4a2b-9c3d-4e5f60718293".into();
    ok.detail.state.value = AlarmStateValue::Ok;
    let s_ok = retrain::run(&store, &launcher, &ok, now + TimeDelta::hours(1), &opts)
        .await
        .unwrap();
    assert!(matches!(s_ok.decision, Decision::Ignored { .. }));
    assert_eq!(s_ok.audit_key, None);
    assert_eq!(executions(&sm, &pipeline).await.len(), 1);

    // 4. a second alarm inside the 6 h cooldown: skipped and recorded
    let mut second = alarm.clone();
    second.id = "7c1e5a90-2222-4b3c-8d4e-5f6071829304".into();
    let later = now + TimeDelta::hours(2);
    let s2 = retrain::run(&store, &launcher, &second, later, &opts)
        .await
        .unwrap();
    assert_eq!(
        s2.decision,
        Decision::SkippedCooldown {
            last_started: now,
            until: now + TimeDelta::hours(6),
        }
    );
    let key = audit_key(&pipeline, &second.id);
    let rec: AuditRecord = serde_json::from_slice(&store.get(&key).await.unwrap()).unwrap();
    assert_eq!(rec.decision, s2.decision);
    assert_eq!(executions(&sm, &pipeline).await.len(), 1);
    drop(moto);
}
