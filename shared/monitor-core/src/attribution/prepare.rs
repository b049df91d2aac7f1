//! What an explainability monitor needs before ingest reads records: its analysis config
//! and SHAP baseline rows, resolved once per invocation.

use crate::attribution::{parse_baseline_csv, AttributionContext, ExplainabilityConfig};
use crate::config::MonitorConfig;
use crate::store::ObjectStore;
use crate::CoreError;

/// Resolves an explainability monitor's analysis config and SHAP baseline rows.
///
/// # Errors
/// [`CoreError::NotFound`] / [`CoreError::Config`] / [`CoreError::Dataset`] naming the
/// missing or bad file or field.
pub async fn attribution_context<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
) -> Result<AttributionContext, CoreError> {
    let key = cfg.analysis_config_key();
    let config = ExplainabilityConfig::from_json(&key, &store.get(&key).await?)?;
    let features = config.features(&key)?;
    let background = match config.inline_baseline(&key)? {
        Some(rows) => rows,
        None => match config.baseline_key() {
            Some(k) => parse_baseline_csv(&k, &store.get(&k).await?, features.len())?,
            None => {
                return Err(CoreError::Config {
                    field: format!("{key}: methods.shap.baseline"),
                    value: String::new(),
                    message: "a SHAP baseline is required (rows, or the key of a CSV of rows); \
                              `modelwatch baseline --explainability-config` writes one"
                        .into(),
                })
            }
        },
    };
    AttributionContext::new(cfg, &config, &key, background)
}
