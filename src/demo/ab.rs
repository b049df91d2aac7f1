//! The demo's A/B hour (issue 15, item 4): one hour of the scenario's clean traffic served by
//! two production variants of another endpoint, `Champion` as captured and `Challenger` whose
//! traffic carries a moderate shift of `monthly_charges` (0.3 standard deviations; the model's
//! `score` follows it). A data-quality monitor with a `variants` block compares them; the
//! window's `variant_comparison.json` says which features of the challenger drifted from the
//! champion. It runs on a store of its own, so the main demo's files stay as they were.

use monitor_core::app::ingest;
use monitor_core::config::{save_monitor, MonitorConfig};
use monitor_core::store::{LocalStore, ObjectStore};
use monitor_core::variants::{VariantComparison, VARIANT_COMPARISON_FILE};

use crate::scenario::{Drift, Scenario, VARIANT};

/// The A/B hour's endpoint.
pub const AB_ENDPOINT: &str = "churn-ab-endpoint";
/// Its data-quality monitor.
pub const AB_MONITOR: &str = "churn-ab-dq";
/// The variant serving the scenario's traffic as is (the reference).
pub const CHAMPION: &str = "Champion";
/// The variant whose traffic is shifted.
pub const CHALLENGER: &str = "Challenger";

/// What the challenger's traffic carries: `monthly_charges` shifted by 0.3 SD.
#[must_use]
pub fn challenger_drift() -> Drift {
    Drift::NumericShift {
        feature: "monthly_charges",
        shift_in_std: 0.3,
    }
}

/// Runs the A/B hour on `store` (empty): the baseline, the monitor, hour 0 of `scenario` once
/// per variant through capture-ingest, and the tick of that hour. Returns the comparison.
///
/// # Errors
/// Any step's error, and a tick that wrote no comparison.
pub async fn run_ab_hour(
    store: &LocalStore,
    scenario: &Scenario,
) -> anyhow::Result<VariantComparison> {
    let prefix = format!("baselines/{AB_MONITOR}");
    super::hour::write_baseline(store, scenario, "datasets/train.csv", &prefix).await?;
    let config = serde_json::json!({
        "name": AB_MONITOR,
        "endpoint": AB_ENDPOINT,
        "baseline_prefix": prefix,
        "variants": {"reference": CHAMPION},
    });
    let cfg = MonitorConfig::from_json("ab-hour", config.to_string().as_bytes())?;
    save_monitor(store, &cfg).await?;
    for (variant, drifts) in [(CHAMPION, vec![]), (CHALLENGER, vec![challenger_drift()])] {
        for (key, body) in scenario.capture_files_with(AB_ENDPOINT, 0, &drifts) {
            // the scenario captures under AllTraffic; each variant has its own folder
            let key = key.replacen(&format!("/{VARIANT}/"), &format!("/{variant}/"), 1);
            store.put(&key, body).await?;
            ingest::run(store, std::slice::from_ref(&key)).await?;
        }
    }
    let exec = super::hour::tick_hour_zero(store, scenario, AB_MONITOR).await?;
    let key = format!("{}{VARIANT_COMPARISON_FILE}", exec.report_prefix);
    Ok(VariantComparison::from_json(&key, &store.get(&key).await?)?)
}

/// Prints the comparison: per compared variant, its verdict and the features that drifted.
pub fn print_comparison(c: &VariantComparison, root: &str) {
    let records: Vec<String> = c
        .variants
        .iter()
        .map(|v| format!("{} {} records", v.variant, v.records))
        .collect();
    println!(
        "\nA/B hour (endpoint {}, monitor {}): {}; reference {}",
        c.endpoint,
        c.monitor,
        records.join(", "),
        c.reference
    );
    for pair in &c.comparisons {
        let drifted: Vec<String> = pair
            .data_drift
            .iter()
            .filter(|f| f.decision == "Drift")
            .map(|f| {
                format!(
                    "{} ({} {:.3}, p {:.1e})",
                    f.feature, f.method, f.effect, f.p_value
                )
            })
            .collect();
        println!(
            "  {} against {}: {}",
            pair.variant,
            pair.reference,
            if drifted.is_empty() {
                "no drift".to_string()
            } else {
                format!("drifted: {}", drifted.join(", "))
            }
        );
    }
    println!(
        "  injected: {CHALLENGER} traffic with monthly_charges shifted by 0.3 SD; files under {root}/reports/{}/{}/",
        c.endpoint, c.monitor
    );
}
