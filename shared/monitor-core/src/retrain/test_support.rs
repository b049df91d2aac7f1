//! Fixtures shared by the retraining tests (domain and use case).

use chrono::{DateTime, Utc};

use crate::retrain::config::{PipelineConfig, RetrainConfig, RETRAIN_CONFIG_KEY};
use crate::retrain::events::{AlarmEvent, AlarmStateValue};
use crate::store::{MemoryStore, ObjectStore};

/// The shared event fixture (authored after spec §13.1).
pub(crate) const ALARM_EVENT: &str = include_str!("../../../../events/alarm-state-change.json");
pub(crate) const PIPELINE_ARN: &str = test_support::retrain::PIPELINE_ARN;
/// The report folder of the window 03:00–04:00 on 2026-11-01 (named by the hour the
/// window ends), which the fixture's newest evaluated datapoint (03:00) stands for.
pub(crate) const VIOLATIONS: &str = test_support::retrain::VIOLATIONS;

pub(crate) fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub(crate) fn event() -> AlarmEvent {
    AlarmEvent::from_json(ALARM_EVENT.as_bytes()).unwrap()
}

pub(crate) fn event_with(id: &str, state: AlarmStateValue, at: &str) -> AlarmEvent {
    let mut e = event();
    e.id = id.into();
    e.detail.state.value = state;
    e.detail.state.timestamp = t(at);
    e.time = t(at);
    e
}

pub(crate) fn config_json(dry_run: bool) -> serde_json::Value {
    test_support::retrain::config_with_parameters(dry_run)
}

pub(crate) async fn store_with(config: serde_json::Value, violations: bool) -> MemoryStore {
    assert_eq!(test_support::retrain::CONFIG_KEY, RETRAIN_CONFIG_KEY);
    let store = MemoryStore::new();
    for (key, body) in test_support::retrain::objects_with(&config, violations) {
        store.put(key, body).await.unwrap();
    }
    store
}

pub(crate) fn pipeline_cfg() -> PipelineConfig {
    let cfg = RetrainConfig::from_json("k", config_json(false).to_string().as_bytes()).unwrap();
    cfg.pipelines[0].clone()
}
