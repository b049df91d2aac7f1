//! What a bias monitor needs before it reads records: its Clarify analysis config, its
//! baseline `analysis.json`, and the bias rules resolved from both.

use crate::bias::BiasRules;
use crate::config::MonitorConfig;
use crate::formats::clarify::{AnalysisConfig, BiasAnalysis};
use crate::joined::predictions::PredictionAttributes;
use crate::store::ObjectStore;
use crate::CoreError;

/// Loads a bias monitor's Clarify analysis config and baseline `analysis.json`.
///
/// # Errors
/// [`CoreError::NotFound`] / [`CoreError::Format`] naming the missing or malformed file.
pub async fn load_bias_files<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
) -> Result<(AnalysisConfig, BiasAnalysis), CoreError> {
    let ck = cfg.analysis_config_key();
    let config = AnalysisConfig::from_json(&store.get(&ck).await?)
        .map_err(|source| CoreError::Format { key: ck, source })?;
    let bk = cfg.analysis_key();
    let baseline = BiasAnalysis::from_json(&store.get(&bk).await?)
        .map_err(|source| CoreError::Format { key: bk, source })?;
    Ok((config, baseline))
}

/// The bias rules of a bias monitor (its analysis config against its baseline).
///
/// # Errors
/// As [`load_bias_files`], and [`CoreError::Config`] for an unsupported facet.
pub async fn bias_rules<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
) -> Result<(AnalysisConfig, BiasAnalysis, BiasRules), CoreError> {
    let settings = cfg.bias.as_ref().ok_or_else(|| CoreError::Config {
        field: format!("monitor {}", cfg.name),
        value: String::new(),
        message: "not a bias monitor".into(),
    })?;
    let (config, baseline) = load_bias_files(store, cfg).await?;
    let rules = BiasRules::new(
        &config,
        &baseline,
        settings.attributes.probability_threshold,
        settings.attributes.inference_attribute.is_none(),
    )?;
    Ok((config, baseline, rules))
}

/// Where a bias monitor finds the prediction and the facets in the capture: its configured
/// attributes, with the facet and group columns of its Clarify analysis config added where
/// not configured ([`crate::bias::facet_attributes`]).
///
/// # Errors
/// [`CoreError::NotFound`] / [`CoreError::Format`] when the analysis config is missing or
/// malformed; [`CoreError::Config`] for a facet column that cannot be located.
pub async fn bias_prediction_attributes<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
) -> Result<PredictionAttributes, CoreError> {
    let mut attrs = cfg.prediction_attributes();
    let key = cfg.analysis_config_key();
    let config = AnalysisConfig::from_json(&store.get(&key).await?)
        .map_err(|source| CoreError::Format { key, source })?;
    attrs.facet_attributes = crate::bias::facet_attributes(&config, &attrs.facet_attributes)?;
    Ok(attrs)
}
