//! The demo's multi-model hour (issue 15, item 5): one endpoint serving three tenants' churn
//! models ([`TENANTS`]). Each tenant's traffic is hour 0 of the scenario under a seed of its
//! own; only [`DRIFTING_TENANT`]'s carries a drift ([`tenant_drift`]). The capture objects
//! are written under a layout of the caller's (`…/HH/{tenant}.{MM}-{SS}-….jsonl`), so a
//! data-quality monitor with a `multi_model` block attributes each record to its model by
//! the object key (`key_pattern`). [`OWN_BASELINE_TENANT`] is judged against a baseline of its
//! own (its own training set, under `{baseline_prefix}/models/{model}/`), the others against
//! the monitor's. The window's `multi_model.json` gives every model's status; only the
//! drifting tenant violates. It runs on a store of its own, so the main demo's files stay as
//! they were.

use anyhow::Context;
use monitor_core::app::ingest;
use monitor_core::config::{save_monitor, MonitorConfig};
use monitor_core::execution::{Execution, ExecutionStatus};
use monitor_core::formats::violations::ConstraintViolations;
use monitor_core::layout::model_baseline_prefix;
use monitor_core::multimodel::{MultiModelSummary, MULTI_MODEL_FILE};
use monitor_core::store::{LocalStore, ObjectStore};

use super::hour::{tick_hour_zero, write_baseline};
use super::segment::status_word;
use crate::scenario::{Drift, Scenario};

/// The multi-model hour's endpoint.
pub const MME_ENDPOINT: &str = "churn-mme-endpoint";
/// Its data-quality monitor, with the `multi_model` block.
pub const MME_MONITOR: &str = "churn-mme-dq";
/// The target models the endpoint serves (one churn model per tenant).
pub const TENANTS: [&str; 3] = ["tenant-1", "tenant-2", "tenant-3"];
/// The tenant whose traffic drifts.
pub const DRIFTING_TENANT: &str = "tenant-3";
/// The tenant judged against a baseline of its own.
pub const OWN_BASELINE_TENANT: &str = "tenant-2";
/// The `key_pattern` naming a capture object's model: the file-name prefix before the first
/// `.` in the hour folder (`…/03/tenant-7.00-00-000-x.jsonl` → `tenant-7`).
pub const KEY_PATTERN: &str = r"/[0-9]{2}/(tenant-[0-9]+)\.[^/]*$";

/// What [`DRIFTING_TENANT`]'s traffic carries: a payment method its model has never seen
/// (`digital_wallet`) in a quarter of its requests.
#[must_use]
pub fn tenant_drift() -> Drift {
    Drift::NewCategory {
        feature: "payment_method",
        value: "digital_wallet",
        share: 0.25,
    }
}

/// The scenario of tenant `i` (0-based): `scenario` with its seed moved by `i + 1`, so every
/// tenant has its own customers (and [`OWN_BASELINE_TENANT`] its own training set).
#[must_use]
pub fn tenant_scenario(scenario: &Scenario, i: usize) -> Scenario {
    Scenario {
        seed: scenario.seed.wrapping_add(i as u64 + 1),
        ..scenario.clone()
    }
}

/// The multi-model hour's monitor: the scenario's data-quality monitor, its records
/// attributed to a target model by [`KEY_PATTERN`].
#[must_use]
pub fn mme_monitor_json() -> serde_json::Value {
    serde_json::json!({
        "name": MME_MONITOR,
        "endpoint": MME_ENDPOINT,
        "baseline_prefix": format!("baselines/{MME_MONITOR}"),
        "window_minutes": 60,
        "multi_model": {"key_pattern": KEY_PATTERN, "max_models": 100},
    })
}

/// What the multi-model hour produced.
#[derive(Debug, Clone)]
pub struct MultiModelHour {
    /// the monitor's overall execution (every record of every model)
    pub execution: Execution,
    /// the window's `multi_model.json`
    pub summary: MultiModelSummary,
    /// per judged model, in the summary's order: its violations as `feature check`
    pub violations: Vec<(String, Vec<String>)>,
}

/// Runs the multi-model hour on `store` (empty): the monitor's baseline (from `scenario`'s
/// training set) and [`OWN_BASELINE_TENANT`]'s own, the monitor, hour 0 of every tenant
/// through capture-ingest per object, and the tick of that hour.
///
/// # Errors
/// Any step's error, and a tick that wrote no `multi_model.json`.
pub async fn run_multi_model_hour(
    store: &LocalStore,
    scenario: &Scenario,
) -> anyhow::Result<MultiModelHour> {
    let prefix = format!("baselines/{MME_MONITOR}");
    write_baseline(store, scenario, "datasets/train.csv", &prefix).await?;
    let cfg = MonitorConfig::from_json(
        "multi-model-hour",
        mme_monitor_json().to_string().as_bytes(),
    )?;
    save_monitor(store, &cfg).await?;
    for (i, tenant) in TENANTS.iter().enumerate() {
        let s = tenant_scenario(scenario, i);
        if *tenant == OWN_BASELINE_TENANT {
            let own = model_baseline_prefix(&prefix, tenant);
            let dataset = format!("datasets/train-{tenant}.csv");
            write_baseline(store, &s, &dataset, own.trim_end_matches('/')).await?;
        }
        let drifts = if *tenant == DRIFTING_TENANT {
            vec![tenant_drift()]
        } else {
            Vec::new()
        };
        for (key, body) in s.capture_files_with(MME_ENDPOINT, 0, &drifts) {
            // the caller's layout: the tenant's name before the file name
            let (folder, file) = key
                .rsplit_once('/')
                .context("a capture key without a folder")?;
            let key = format!("{folder}/{tenant}.{file}");
            store.put(&key, body).await?;
            ingest::run(store, std::slice::from_ref(&key)).await?;
        }
    }
    let execution = tick_hour_zero(store, scenario, MME_MONITOR).await?;
    let key = format!("{}{MULTI_MODEL_FILE}", execution.report_prefix);
    let summary = MultiModelSummary::from_json(&key, &store.get(&key).await?)?;
    let mut violations = Vec::new();
    for m in &summary.models {
        let flagged = match (&m.report_prefix, m.status) {
            (Some(p), ExecutionStatus::CompletedWithViolations) => {
                let key = format!("{p}constraint_violations.json");
                ConstraintViolations::from_json(&store.get(&key).await?)
                    .with_context(|| format!("reading {key}"))?
                    .violations
                    .iter()
                    .map(|v| format!("{} {}", v.feature_name, v.constraint_check_type.as_str()))
                    .collect()
            }
            _ => Vec::new(),
        };
        violations.push((m.model.clone(), flagged));
    }
    Ok(MultiModelHour {
        execution,
        summary,
        violations,
    })
}

/// Prints the overall status and `multi_model.json`'s per-model table.
pub fn print_multi_model_hour(h: &MultiModelHour, root: &str) {
    let e = &h.execution;
    println!(
        "\nMulti-model hour (endpoint {}, monitor {}, models by key_pattern): overall {} records, {} ({} violations)",
        e.endpoint_name,
        e.monitoring_schedule_name,
        e.records,
        status_word(e.status),
        e.violations
    );
    println!(
        "  {:<16} {:>7} {:<24} {:<40}  violations",
        "model", "records", "status", "baseline"
    );
    for (m, (_, flagged)) in h.summary.models.iter().zip(&h.violations) {
        println!(
            "  {:<16} {:>7} {:<24} {:<40}  {}",
            m.model,
            m.records,
            status_word(m.status),
            m.baseline_prefix,
            if flagged.is_empty() {
                "-".into()
            } else {
                flagged.join(", ")
            }
        );
    }
    println!(
        "  injected: new payment_method \"digital_wallet\" in 25% of {DRIFTING_TENANT}'s requests; \
         files under {root}/reports/{}/{}/ (multi_model.json; per model model={{model}}/)",
        e.endpoint_name, e.monitoring_schedule_name
    );
}
