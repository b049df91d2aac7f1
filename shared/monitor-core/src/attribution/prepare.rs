//! What an explainability monitor needs before ingest reads records: its analysis config
//! and SHAP baseline rows, resolved once per invocation.

use crate::attribution::{
    parse_baseline_csv, parse_tree_model, AttributionContext, ExplainabilityConfig,
};
use crate::config::{Explainer, MonitorConfig};
use crate::store::ObjectStore;
use crate::CoreError;

/// Resolves an explainability monitor's analysis config and SHAP baseline rows, and loads
/// the XGBoost JSON model of a `tree` explainer.
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
    let tree = match cfg.explainability.as_ref().map(|x| &x.explainer) {
        Some(Explainer::Tree {
            model_key,
            output_group,
        }) => {
            let k = store_key(model_key);
            Some(parse_tree_model(&k, &store.get(&k).await?, *output_group)?)
        }
        _ => None,
    };
    let background = match config.inline_baseline(&key)? {
        Some(rows) => rows,
        None => match config.baseline_key() {
            Some(k) => parse_baseline_csv(&k, &store.get(&k).await?, features.len())?,
            // path-dependent TreeSHAP needs no background rows
            None if tree.is_some() => Vec::new(),
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
    AttributionContext::with_tree_model(cfg, &config, &key, background, tree)
}

/// A store key from a key or an `s3://bucket/key` URI.
fn store_key(s: &str) -> String {
    match s.strip_prefix("s3://") {
        Some(rest) => rest.split_once('/').map_or("", |(_, k)| k).to_owned(),
        None => s.to_owned(),
    }
}
