//! Prediction drift (issue 13, item 5): the model's output columns of a data-quality monitor
//! (`capture.output_columns`: the first `k` baseline features, SageMaker's order) are judged
//! exactly as features are (under the drift policy: normalised Wasserstein + KS, or share
//! change + χ² contingency, Benjamini–Hochberg across the window), and named as what they
//! are: their `baseline_drift_check` violations carry `"modelwatch_check": "prediction_drift"`,
//! the tick publishes `prediction_drift_<column>` (the raw drift, beside SageMaker's
//! `feature_baseline_drift_<column>`), and `execution.json` lists them under
//! `prediction_drift`. Without `capture.output_columns` the outputs are not known at the tick
//! and nothing is renamed.

use serde_json::Value;

use crate::config::MonitorConfig;
use crate::data_quality::checks::CheckReport;
use crate::execution::FeatureDrift;
use crate::formats::violations::CheckType;
use crate::metrics::builders::endpoint_dimensions;
use crate::metrics::{namespaces, MetricDatum, MetricValue};

/// Prefix of the per-output metric (`prediction_drift_<column>`).
pub const METRIC_PREFIX: &str = "prediction_drift_";

/// The violation key that names the check.
pub const CHECK_KEY: &str = "modelwatch_check";

/// The check's name.
pub const CHECK_NAME: &str = "prediction_drift";

/// The model-output features of the monitor: the first `capture.output_columns` features of
/// the report (baseline order).
#[must_use]
pub fn outputs<'a>(cfg: &MonitorConfig, report: &'a CheckReport) -> Vec<&'a str> {
    let k = cfg.capture.output_columns.unwrap_or(0);
    report
        .features
        .iter()
        .take(k)
        .map(|f| f.name.as_str())
        .collect()
}

/// Names the drift violations of the model's outputs `prediction_drift`.
pub fn mark(cfg: &MonitorConfig, report: &mut CheckReport) {
    let names: Vec<String> = outputs(cfg, report).into_iter().map(String::from).collect();
    for v in &mut report.violations.violations {
        if v.constraint_check_type == CheckType::BaselineDriftCheck
            && names.contains(&v.feature_name)
        {
            v.extra
                .insert(CHECK_KEY.into(), Value::String(CHECK_NAME.into()));
        }
    }
}

/// The `prediction_drift` entries of `execution.json`: the drift entries of the outputs.
#[must_use]
pub fn execution_entries(
    cfg: &MonitorConfig,
    report: &CheckReport,
    drift: &[FeatureDrift],
) -> Vec<FeatureDrift> {
    let names = outputs(cfg, report);
    drift
        .iter()
        .filter(|d| names.contains(&d.feature.as_str()))
        .cloned()
        .collect()
}

/// The `prediction_drift_<column>` metrics (data-quality namespace and dimensions).
#[must_use]
pub fn metrics(
    cfg: &MonitorConfig,
    report: &CheckReport,
    timestamp: chrono::DateTime<chrono::Utc>,
) -> Vec<MetricDatum> {
    let names = outputs(cfg, report);
    let dims = endpoint_dimensions(&cfg.endpoint, &cfg.name);
    report
        .features
        .iter()
        .filter(|f| f.emit_metrics && names.contains(&f.name.as_str()))
        .filter_map(|f| {
            let d = f.drift.filter(|d| d.is_finite())?;
            Some(MetricDatum::new(
                namespaces::DATA_ENDPOINT,
                format!("{METRIC_PREFIX}{}", f.name),
                timestamp,
                dims.clone(),
                MetricValue::Value(d),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data_quality::checks::Baseline;
    use crate::data_quality::profile::{DatasetProfile, Tracking};
    use crate::data_quality::suggest::suggest_constraints;
    use crate::data_quality::tick::check_monitor_window;
    use rand::{rngs::StdRng, SeedableRng};
    use rand_distr::{Distribution, StandardNormal};

    /// `n` records of the output `score` (N(shift, 1)) and the input `x` (N(0, 1)).
    fn profile(n: usize, shift: f64, seed: u64) -> DatasetProfile {
        let names = ["score".to_string(), "x".to_string()];
        let mut p = DatasetProfile::new(&names, |_| Tracking::ALL);
        let mut rng = StdRng::seed_from_u64(seed);
        for _ in 0..n {
            let (s, x): (f64, f64) = (
                StandardNormal.sample(&mut rng),
                StandardNormal.sample(&mut rng),
            );
            p.features[0].observe(&(s + shift).to_string());
            p.features[1].observe(&x.to_string());
            p.item_count += 1;
        }
        p
    }

    /// A 0.5 SD shift of the model's output in a 2,000-record window: the policy flags it
    /// like any feature, and the tick names it prediction drift; the input is not renamed.
    #[test]
    fn drift_of_the_output_column_is_named_prediction_drift() {
        let base = profile(10_000, 0.0, 1);
        let baseline =
            Baseline::new(base.to_statistics(), suggest_constraints(&base), "mem").unwrap();
        let cfg: MonitorConfig = serde_json::from_value(serde_json::json!({
            "name": "dq", "endpoint": "ep", "baseline_prefix": "b",
            "capture": {"output_columns": 1}
        }))
        .unwrap();
        let window = profile(2_000, 0.5, 2);
        let (_, report) = check_monitor_window(&cfg, &baseline, &window);
        let drift: Vec<_> = report
            .violations
            .violations
            .iter()
            .filter(|v| v.constraint_check_type == CheckType::BaselineDriftCheck)
            .collect();
        assert_eq!(drift.len(), 1, "{:?}", report.violations);
        assert_eq!(drift[0].feature_name, "score");
        assert_eq!(drift[0].extra[CHECK_KEY], CHECK_NAME);
        let m = metrics(&cfg, &report, chrono::Utc::now());
        let names: Vec<&str> = m.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["prediction_drift_score"]);
        // the raw effect: normalised Wasserstein of a 0.5 SD shift, about 0.5
        let MetricValue::Value(v) = m[0].value else {
            panic!("a single value")
        };
        assert!((v - 0.5).abs() < 0.1, "{v}");
        // without output_columns nothing is renamed
        let plain: MonitorConfig = serde_json::from_value(serde_json::json!({
            "name": "dq", "endpoint": "ep", "baseline_prefix": "b"
        }))
        .unwrap();
        let (_, report) = check_monitor_window(&plain, &baseline, &window);
        assert!(report
            .violations
            .violations
            .iter()
            .all(|v| v.extra.get(CHECK_KEY).is_none()));
        assert!(metrics(&plain, &report, chrono::Utc::now()).is_empty());
    }
}
