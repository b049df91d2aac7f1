//! A/B variants (issue 15, item 4): when a monitor config carries a `variants` block, every
//! window of a data-quality or model-quality monitor also compares the endpoint's production
//! variants with each other, and writes `variant_comparison.json` beside the window's
//! reports, metrics with a `Variant` dimension, and a section of the HTML report.
//!
//! - **Which variants**: the ones the window's state holds. Capture keys carry the variant
//!   (`data-capture/{endpoint}/{variant}/…`), so data-quality profiles already sit per variant
//!   (`state/profiles/{monitor}/yyyy/mm/dd/HH/{variant}/…`); ground-truth merge keeps a
//!   model-quality state per variant beside the overall one when the block is set. One
//!   variant is the **reference** (`variants.reference`, else the one with the most records
//!   in the window, ties by name); every other variant is compared with it.
//! - **Data drift between variants** ([`data`]): the drift policy of issue 13
//!   ([`crate::data_quality::policy`], the same effects, tests, power guard and
//!   Benjamini–Hochberg), with the reference variant's merged profile in the baseline's place.
//!   The policy's numbers come from the baseline's `modelwatch_drift_policy` block, or its
//!   defaults when the baseline has none.
//! - **Model metrics between variants** ([`quality`]): per metric, the difference
//!   `variant − reference` with a confidence interval and a two-sided p-value
//!   ([`drift_math::compare`]): rates by the two-proportion z-test, AUC by Hanley & McNeil's
//!   standard error, regression MAE by Welch's t; Benjamini–Hochberg at `1 − confidence_level`
//!   across one pair's metrics decides `significant`.
//! - **Shadow variants** stay out: their records (`invocationSource == "ShadowExperiment"`)
//!   are skipped at ingest as SageMaker's analyzer skips them, so no state holds them.
//!
//! Why a config block rather than automatic whenever a window holds two variants: the
//! model-quality comparison needs ground-truth merge to keep a second state per variant
//! (written only for monitors that ask), the comparison publishes more metrics (each one
//! CloudWatch bills), and during a rollout a window briefly holds an old and a new variant
//! that nobody meant to compare.

pub mod config;
pub mod data;
pub mod quality;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use config::{VariantSettings, VARIANT_KEYS};

use crate::capability::Capability;
use crate::config::MonitorConfig;
use crate::execution::{Execution, Ports, Stop, Window};
use crate::layout::report_file_key;
use crate::metrics::builders::endpoint_dimensions;
use crate::metrics::{MetricDatum, MetricSink, MetricValue};
use crate::store::ObjectStore;
use crate::CoreError;

/// `variant_comparison.json`: a window's comparison of variants, beside its reports.
pub const VARIANT_COMPARISON_FILE: &str = "variant_comparison.json";
/// The `format` tag of [`VariantComparison`].
pub const VARIANT_COMPARISON_FORMAT: &str = "modelwatch.variant-comparison";
/// The layout version of [`VariantComparison`] this crate writes.
pub const VARIANT_COMPARISON_VERSION: u32 = 1;
/// The metric dimension naming the variant a datum describes.
pub const VARIANT_DIMENSION: &str = "Variant";

/// One window's comparison of an endpoint's variants (`variant_comparison.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantComparison {
    /// always [`VARIANT_COMPARISON_FORMAT`]
    pub format: String,
    /// [`VARIANT_COMPARISON_VERSION`]
    pub version: u32,
    /// the monitor
    pub monitor: String,
    /// its endpoint
    pub endpoint: String,
    /// first instant of the window
    pub window_start: DateTime<Utc>,
    /// first instant after it
    pub window_end: DateTime<Utc>,
    /// the variant the others are compared with
    pub reference: String,
    /// confidence level of the metric intervals
    pub confidence_level: f64,
    /// every variant of the window with its records, by name
    pub variants: Vec<VariantRecords>,
    /// one per variant other than the reference, by name
    pub comparisons: Vec<VariantPair>,
}

/// A variant and the records the window holds of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantRecords {
    /// production variant name
    pub variant: String,
    /// records (data quality) or joined records (model quality) of the window
    pub records: u64,
}

/// One variant against the reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantPair {
    /// the variant compared
    pub variant: String,
    /// the reference variant
    pub reference: String,
    /// `true` when a feature drifted or a metric differs significantly
    pub differs: bool,
    /// data quality: per feature, the drift policy's test of the variant against the reference
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_drift: Vec<FeatureComparison>,
    /// model quality: per metric, the difference with its interval and test
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub model_metrics: Vec<MetricComparison>,
}

/// The drift policy's verdict on one feature of a variant against the reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureComparison {
    /// feature name
    pub feature: String,
    /// `baseline_drift_check` or `completeness_check` (what the test stands for)
    pub check: String,
    /// effect and test, e.g. `normalized_wasserstein+ks`
    pub method: String,
    /// the effect, raw
    pub effect: f64,
    /// the floor the effect must exceed
    pub effect_floor: f64,
    /// the test's p-value
    pub p_value: f64,
    /// Benjamini–Hochberg-adjusted p-value across the pair's tests (`None`: lacks power)
    pub adjusted_p_value: Option<f64>,
    /// `Drift`, `NoDrift` or `LacksPower`
    pub decision: String,
}

/// One model metric of a variant against the reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricComparison {
    /// SageMaker's metric key (`accuracy`, `auc`, `mae`, …)
    pub metric: String,
    /// the test: `two_proportion_z`, `hanley_mcneil_z` or `welch_t`
    pub test: String,
    /// the metric on the reference
    pub reference_value: f64,
    /// the metric on the variant
    pub value: f64,
    /// `value − reference_value`
    pub difference: f64,
    /// lower end of the difference's interval
    pub lower: f64,
    /// upper end of the difference's interval
    pub upper: f64,
    /// two-sided p-value of "no difference"
    pub p_value: f64,
    /// Benjamini–Hochberg-adjusted across the pair's metrics
    pub adjusted_p_value: f64,
    /// the adjusted p-value is at most `1 − confidence_level`
    pub significant: bool,
}

impl VariantComparison {
    /// An empty comparison of `cfg`'s `window` against `reference`.
    #[must_use]
    pub fn new(cfg: &MonitorConfig, window: Window, reference: &str, confidence: f64) -> Self {
        Self {
            format: VARIANT_COMPARISON_FORMAT.into(),
            version: VARIANT_COMPARISON_VERSION,
            monitor: cfg.name.clone(),
            endpoint: cfg.endpoint.clone(),
            window_start: window.start,
            window_end: window.end,
            reference: reference.into(),
            confidence_level: confidence,
            variants: Vec::new(),
            comparisons: Vec::new(),
        }
    }

    /// The comparison a window starts from, before any pair is compared: `None` when the
    /// window holds fewer than two variants; else every variant with its `records`, and the
    /// reference picked by [`pick_reference`] from the `settings`.
    #[must_use]
    pub fn begin(
        cfg: &MonitorConfig,
        window: Window,
        records: &[(String, u64)],
        settings: &VariantSettings,
    ) -> Option<Self> {
        if records.len() < 2 {
            return None;
        }
        let reference = pick_reference(records, settings.reference.as_deref())?;
        let mut out = Self::new(cfg, window, &reference, settings.confidence_level);
        out.variants = records
            .iter()
            .map(|(variant, records)| VariantRecords {
                variant: variant.clone(),
                records: *records,
            })
            .collect();
        Some(out)
    }

    /// The file's bytes (pretty JSON, fields in declaration order).
    ///
    /// # Errors
    /// [`CoreError::State`] when a figure is not finite (JSON cannot hold it).
    pub fn to_json(&self) -> Result<Vec<u8>, CoreError> {
        crate::formats::versioned::to_json(VARIANT_COMPARISON_FILE, self)
    }

    /// Parses the file.
    ///
    /// # Errors
    /// [`CoreError::State`] naming `key` for malformed JSON or another format or version.
    pub fn from_json(key: &str, bytes: &[u8]) -> Result<Self, CoreError> {
        crate::formats::versioned::from_json(
            key,
            bytes,
            |f: &Self| (f.format.as_str(), f.version),
            VARIANT_COMPARISON_FORMAT,
            VARIANT_COMPARISON_VERSION,
        )
    }
}

/// The reference among `records` (variant → records): `configured` when the window holds it,
/// else the variant with the most records (ties: the first name). `None` for no variant.
#[must_use]
pub fn pick_reference(records: &[(String, u64)], configured: Option<&str>) -> Option<String> {
    if let Some(c) = configured.filter(|c| records.iter().any(|(v, _)| v == c)) {
        return Some(c.to_string());
    }
    records
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        .map(|(v, _)| v.clone())
}

/// The dimensions of a datum about `variant`: `Endpoint`, `MonitoringSchedule`, `Variant`.
#[must_use]
pub fn variant_dimensions(cfg: &MonitorConfig, variant: &str) -> Vec<(String, String)> {
    let mut d = endpoint_dimensions(&cfg.endpoint, &cfg.name);
    d.push((VARIANT_DIMENSION.into(), variant.into()));
    d
}

/// A datum of `cfg` about `variant` in `namespace`.
pub(crate) fn datum(
    cfg: &MonitorConfig,
    namespace: &str,
    variant: &str,
    name: String,
    timestamp: DateTime<Utc>,
    value: f64,
) -> MetricDatum {
    MetricDatum::new(
        namespace,
        name,
        timestamp,
        variant_dimensions(cfg, variant),
        MetricValue::Value(value),
    )
}

/// Compares the variants of `cfg`'s `window` after its capability evaluated it (`exec`, whose
/// report folder receives [`VARIANT_COMPARISON_FILE`]), and publishes the comparison's
/// metrics. Does nothing without a `variants` block, for kinds other than data and model
/// quality, and for a window of fewer than two variants.
///
/// # Errors
/// [`Stop::Error`] for the store's and the metric sink's errors; a comparison that cannot be
/// computed (an unreadable state) is logged, never failing the window's report.
pub async fn evaluate<S, M, F>(
    capability: Capability,
    Ports { store, metrics, .. }: Ports<'_, S, M, F>,
    cfg: &MonitorConfig,
    window: Window,
    exec: &Execution,
) -> Result<(), Stop>
where
    S: ObjectStore,
    M: MetricSink,
    F: ?Sized,
{
    let Some(settings) = &cfg.variants else {
        return Ok(());
    };
    let compared = match capability {
        Capability::DataQuality => data::compare_window(store, cfg, settings, window).await,
        Capability::ModelQuality => quality::compare_window(store, cfg, settings, window).await,
        Capability::Bias | Capability::Attribution => return Ok(()),
    };
    let (comparison, data) = match compared {
        Ok(Some(c)) => c,
        Ok(None) => return Ok(()),
        Err(e) if e.is_retryable() => return Err(Stop::Error(e)),
        Err(e) => {
            tracing::warn!(monitor = %cfg.name, error = %e, "variant comparison not computed");
            return Ok(());
        }
    };
    let key = report_file_key(&exec.report_prefix, VARIANT_COMPARISON_FILE);
    store.put(&key, comparison.to_json()?).await?;
    tracing::info!(
        monitor = %cfg.name,
        reference = %comparison.reference,
        differing = comparison.comparisons.iter().filter(|p| p.differs).count(),
        key = %key,
        "variants compared"
    );
    if cfg.publish_metrics {
        metrics
            .publish(&crate::metrics::sanitize(data).data)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_is_configured_or_the_largest() {
        let r = [
            ("A".to_string(), 10),
            ("B".to_string(), 30),
            ("C".to_string(), 30),
        ];
        assert_eq!(pick_reference(&r, Some("A")).as_deref(), Some("A"));
        // a configured variant absent from the window: the largest, ties by name
        assert_eq!(pick_reference(&r, Some("Z")).as_deref(), Some("B"));
        assert_eq!(pick_reference(&r, None).as_deref(), Some("B"));
        assert_eq!(pick_reference(&[], None), None);
    }

    #[test]
    fn the_file_round_trips_and_names_another_format() {
        let cfg = MonitorConfig::from_json(
            "m.json",
            br#"{"name": "m", "endpoint": "e", "baseline_prefix": "b", "variants": {}}"#,
        )
        .unwrap();
        let t = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let mut c = VariantComparison::new(&cfg, Window::new(t, t), "A", 0.95);
        c.variants.push(VariantRecords {
            variant: "A".into(),
            records: 3,
        });
        let bytes = c.to_json().unwrap();
        assert_eq!(VariantComparison::from_json("k", &bytes).unwrap(), c);
        c.version = 2;
        let e = VariantComparison::from_json("k", &c.to_json().unwrap()).unwrap_err();
        assert!(e.to_string().contains("version 2"), "{e}");
    }
}
