//! The retraining fixture every retrain test starts from: one pipeline for the `churn-dq`
//! monitor's alarms (`churn-dq-*`, 6 h cooldown), the monitor's configuration, and an empty
//! violations report for the window 03:00–04:00 on 2026-11-01 that the shared event
//! fixture `events/alarm-state-change.json` (newest datapoint 03:00) points at.
//!
//! The objects come as `(key, body)` pairs so this crate needs no store type: a test puts
//! them into whichever store it runs on.

use serde_json::{json, Value};

/// Store key of the retraining configuration (`monitor_core::retrain::RETRAIN_CONFIG_KEY`).
pub const CONFIG_KEY: &str = "config/retrain.json";
/// Store key of the monitor's configuration.
pub const MONITOR_KEY: &str = "config/monitors/churn-dq.json";
/// The violations report of the window 03:00–04:00 (report folders are named by the hour
/// the window ends).
pub const VIOLATIONS: &str =
    "reports/churn-endpoint/churn-dq/2026/11/01/04/constraint_violations.json";

/// `config/retrain.json`: alarms named `churn-dq-*` start `pipeline` (a name or an ARN)
/// for model `churn-xgb`, at most once per 6 hours.
pub fn config(pipeline: &str) -> Value {
    json!({"pipelines": [{
        "alarm_name_prefix": "churn-dq-",
        "monitor": "churn-dq",
        "model": "churn-xgb",
        "pipeline": pipeline,
        "cooldown_hours": 6
    }]})
}

/// The `churn-dq` monitor's configuration.
pub fn monitor() -> Value {
    json!({"name": "churn-dq", "endpoint": "churn-endpoint", "baseline_prefix": "baselines/churn-dq"})
}

/// Every object of the fixture as `(key, body)`: [`config`], [`monitor`] and an empty
/// [`VIOLATIONS`] report.
pub fn objects(pipeline: &str) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (CONFIG_KEY, config(pipeline).to_string().into_bytes()),
        (MONITOR_KEY, monitor().to_string().into_bytes()),
        (VIOLATIONS, br#"{"violations": []}"#.to_vec()),
    ]
}

/// The shared event fixture's pipeline (`events/alarm-state-change.json` is from account
/// 123456789012, us-east-1).
pub const PIPELINE_ARN: &str = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-retrain";

/// The variant of [`config`] the decision and alarm-simulation tests use: `dry_run` as
/// given, one pipeline parameter (`TrainingInstanceType`) and the default cooldown.
pub fn config_with_parameters(dry_run: bool) -> Value {
    json!({
        "dry_run": dry_run,
        "pipelines": [{
            "alarm_name_prefix": "churn-dq-",
            "monitor": "churn-dq",
            "model": "churn-xgb",
            "pipeline": PIPELINE_ARN,
            "parameters": {"TrainingInstanceType": "ml.m5.xlarge"}
        }]
    })
}

/// `config` as the retraining configuration, [`monitor`], and the empty [`VIOLATIONS`]
/// report only when `violations` is set, as `(key, body)` pairs.
pub fn objects_with(config: &Value, violations: bool) -> Vec<(&'static str, Vec<u8>)> {
    let mut out = vec![
        (CONFIG_KEY, config.to_string().into_bytes()),
        (MONITOR_KEY, monitor().to_string().into_bytes()),
    ];
    if violations {
        out.push((VIOLATIONS, br#"{"violations": []}"#.to_vec()));
    }
    out
}
