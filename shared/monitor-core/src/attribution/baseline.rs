//! The baseline `analysis.json` of an explainability monitor: global SHAP values of a
//! baseline dataset.

use drift_math::shap::{AggMethod, LinearShap, TreeEnsemble};
use serde_json::{Map, Value};

use crate::attribution::config::config_err;
use crate::attribution::{
    kernel_global, weights_in_order, ExplainabilityConfig, LocalModel, ModelSpec, ShapSums,
};
use crate::CoreError;

/// Reads the feature columns of a CSV dataset (the config's `headers`; a first row equal to
/// them is skipped) as numbers, in feature order.
///
/// # Errors
/// [`CoreError::Dataset`] naming file, line and column of a ragged row or a non-numeric
/// feature value; [`CoreError::EmptyDataset`] without rows.
pub fn read_feature_rows<R: std::io::Read>(
    reader: R,
    config: &ExplainabilityConfig,
    config_key: &str,
    file: &str,
) -> Result<Vec<Vec<f64>>, CoreError> {
    let features = config.features(config_key)?;
    let columns: Vec<usize> = features
        .iter()
        .filter_map(|f| config.headers.iter().position(|h| h == f))
        .collect();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut rows = Vec::new();
    for (n, rec) in rdr.records().enumerate() {
        let line = n as u64 + 1;
        let err = |column: &str, message: String| CoreError::Dataset {
            file: file.to_owned(),
            line,
            column: column.to_owned(),
            message,
        };
        let rec = rec.map_err(|e| err("-", e.to_string()))?;
        if n == 0 && rec.iter().eq(config.headers.iter().map(String::as_str)) {
            continue;
        }
        if rec.len() != config.headers.len() {
            return Err(err(
                "-",
                format!(
                    "{} fields, expected {} (headers)",
                    rec.len(),
                    config.headers.len()
                ),
            ));
        }
        let mut x = Vec::with_capacity(columns.len());
        for (&c, name) in columns.iter().zip(&features) {
            let raw = rec.get(c).unwrap_or_default();
            let v: f64 = raw
                .trim()
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| err(name, format!("{raw:?} is not a finite number")))?;
            x.push(v);
        }
        rows.push(x);
    }
    if rows.is_empty() {
        return Err(CoreError::EmptyDataset {
            file: file.to_owned(),
        });
    }
    Ok(rows)
}

/// An attribution baseline: Clarify's `analysis.json` and the analysis config to monitor
/// with (its SHAP baseline filled in when it had none).
#[derive(Debug, Clone)]
pub struct ExplainabilityBaseline {
    /// `analysis.json` (the baseline the monitor compares with)
    pub analysis: crate::formats::clarify::ExplainabilityAnalysis,
    /// `analysis_config.json` for the monitor
    pub config: ExplainabilityConfig,
    /// records explained
    pub records: usize,
}

/// Global SHAP values of a dataset (Clarify's baselining job for the explainability monitor).
///
/// The SHAP baseline is `methods.shap.baseline` when given inline, else the column means of
/// the dataset as one row (Clarify would cluster the dataset with K-means into
/// `num_clusters` rows; one mean row is the one-cluster case, and for a linear model any
/// background with the same mean gives the same SHAP values). A linear model is explained
/// exactly; a logistic one with Kernel SHAP (`num_samples`, `seed`, `use_logit` from the
/// config), on at most `max_records` rows (bottom-k by a hash of the row number), all when
/// `None`.
///
/// # Errors
/// [`CoreError::Config`] for an endpoint model or bad coefficients; the Kernel SHAP error as
/// [`CoreError::Config`]; [`CoreError::EmptyDataset`] without rows.
pub fn explainability_baseline(
    rows: &[Vec<f64>],
    config: &ExplainabilityConfig,
    config_key: &str,
    model: &ModelSpec,
    max_records: Option<usize>,
) -> Result<ExplainabilityBaseline, CoreError> {
    baseline_with(rows, config, config_key, max_records, |job| {
        let bad = |e: String| config_err(format!("{config_key}: methods.shap"), "", &e);
        match model {
            ModelSpec::Linear {
                intercept,
                coefficients,
            } => {
                let w = weights_in_order(coefficients, *intercept, job.features)?;
                let lin = LinearShap::new(w, *intercept, &job.background)
                    .map_err(|e| bad(e.to_string()))?;
                let mut sums = ShapSums::new(job.features.len(), job.agg);
                for x in job.records {
                    sums.add(&lin.explain(x).map_err(|e| bad(e.to_string()))?);
                }
                Ok((
                    sums.global(job.agg).unwrap_or_default(),
                    lin.expected_value(),
                ))
            }
            other => {
                let invoker = LocalModel::from_spec(other, job.features)?;
                let k = kernel_global(
                    job.background,
                    job.records,
                    job.config.kernel_config(),
                    job.agg,
                    &invoker,
                )
                .map_err(bad)?;
                Ok((k.global, k.expected_value))
            }
        }
    })
}

/// Global SHAP values of a dataset by exact path-dependent TreeSHAP of a tree ensemble
/// (an XGBoost JSON model, [`crate::attribution::parse_tree_model`]); `expected_value` is
/// the ensemble's cover-weighted mean margin. Rows and `max_records` as in
/// [`explainability_baseline`] (NaN is a missing value); the SHAP baseline written to the
/// config is the column means of the present values (TreeSHAP itself needs none).
///
/// # Errors
/// [`CoreError::Config`] when `features_to_explain` narrows the inputs (the trees read
/// every input) or the model's feature count differs from the input columns';
/// [`CoreError::EmptyDataset`] without rows.
pub fn tree_explainability_baseline(
    rows: &[Vec<f64>],
    config: &ExplainabilityConfig,
    config_key: &str,
    model: &TreeEnsemble,
    max_records: Option<usize>,
) -> Result<ExplainabilityBaseline, CoreError> {
    let columns = config.input_columns(config_key)?;
    let features = config.features(config_key)?;
    if features != columns || model.num_features() != columns.len() {
        return Err(config_err(
            format!("{config_key}: headers"),
            format!(
                "{} input columns, {} explained",
                columns.len(),
                features.len()
            ),
            &format!(
                "the tree model reads {} features; TreeSHAP explains every input column",
                model.num_features()
            ),
        ));
    }
    baseline_with(rows, config, config_key, max_records, |job| {
        let mut sums = ShapSums::new(job.features.len(), job.agg);
        for x in job.records {
            let phi = model
                .explain(x)
                .map_err(|e| config_err(format!("{config_key}: record"), "", &e.to_string()))?;
            sums.add(&phi);
        }
        Ok((
            sums.global(job.agg).unwrap_or_default(),
            model.expected_value(),
        ))
    })
}

/// What an explainer gets from [`baseline_with`].
struct BaselineJob<'a> {
    features: &'a [String],
    agg: AggMethod,
    background: Vec<Vec<f64>>,
    records: &'a [Vec<f64>],
    config: &'a ExplainabilityConfig,
}

/// The shared part of the attribution baselines: the SHAP baseline rows, the explained
/// subset of rows, and `analysis.json` from the explainer's (global values, expected value).
fn baseline_with(
    rows: &[Vec<f64>],
    config: &ExplainabilityConfig,
    config_key: &str,
    max_records: Option<usize>,
    explain: impl FnOnce(BaselineJob<'_>) -> Result<(Vec<f64>, f64), CoreError>,
) -> Result<ExplainabilityBaseline, CoreError> {
    if rows.is_empty() {
        return Err(CoreError::EmptyDataset {
            file: "explainability dataset".into(),
        });
    }
    let features = config.features(config_key)?;
    let agg = config.agg_method(config_key)?;
    let mut config = config.clone();
    let background = match config.inline_baseline(config_key)? {
        Some(b) => b,
        None => {
            // column means over the present values (a tree model's rows may hold NaN for
            // missing; the other explainers' rows never do)
            let mut n = vec![0.0f64; features.len()];
            for r in rows {
                for (c, x) in n.iter_mut().zip(r) {
                    *c += if x.is_nan() { 0.0 } else { 1.0 };
                }
            }
            let mut mean = vec![0.0; features.len()];
            for r in rows {
                for ((m, x), c) in mean.iter_mut().zip(r).zip(&n) {
                    if !x.is_nan() {
                        *m += x / c;
                    }
                }
            }
            config.methods.shap.baseline = Some(Value::Array(vec![Value::Array(
                mean.iter()
                    .map(|x| serde_json::Number::from_f64(*x).map_or(Value::Null, Value::Number))
                    .collect(),
            )]));
            vec![mean]
        }
    };
    let mut chosen: Vec<(u64, usize)> = rows
        .iter()
        .enumerate()
        .map(|(i, _)| (drift_math::quality::fnv1a64(i.to_string().as_bytes()), i))
        .collect();
    if let Some(cap) = max_records {
        chosen.sort_unstable();
        chosen.truncate(cap.max(1));
        chosen.sort_unstable_by_key(|(_, i)| *i);
    }
    let records: Vec<Vec<f64>> = chosen.iter().map(|(_, i)| rows[*i].clone()).collect();
    let (global, expected) = explain(BaselineJob {
        features: &features,
        agg,
        background,
        records: &records,
        config: &config,
    })?;
    let explanation = crate::formats::clarify::LabelExplanation {
        global_shap_values: features
            .iter()
            .zip(&global)
            .map(|(f, v)| {
                (
                    f.clone(),
                    serde_json::Number::from_f64(*v).map_or(Value::Null, Value::Number),
                )
            })
            .collect(),
        expected_value: expected,
        extra: Map::new(),
    };
    Ok(ExplainabilityBaseline {
        analysis: crate::formats::clarify::ExplainabilityAnalysis::new(vec![(
            config.label_key(),
            explanation,
        )]),
        config,
        records: records.len(),
    })
}
