//! The models a Kernel SHAP explainer scores synthetic rows with: the [`ModelInvoker`] port,
//! its local adapter and the factory that picks one per monitor (the SageMaker endpoint
//! adapter lives in `monitor_aws`).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::attribution::config::config_err;
use crate::CoreError;

/// The model a Kernel SHAP explainer scores synthetic rows with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelSpec {
    /// `b + Σ w_j·x_j` (a local model: tests, demos, models exported as coefficients)
    Linear {
        /// `b`
        intercept: f64,
        /// `w_j` by feature name
        coefficients: BTreeMap<String, f64>,
    },
    /// `σ(b + Σ w_j·x_j)`, the probability of a logistic regression
    Logistic {
        /// `b`
        intercept: f64,
        /// `w_j` by feature name
        coefficients: BTreeMap<String, f64>,
    },
    /// A SageMaker endpoint (InvokeEndpoint; rows sent as `text/csv`, one score read per
    /// record). Only available where an AWS invoker factory is wired (the Lambdas).
    Endpoint {
        /// endpoint name (a shadow endpoint, as Clarify uses, keeps load off production)
        endpoint_name: String,
        /// the score in each response record: a CSV column index or a JSON pointer
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output_attribute: Option<String>,
    },
}

/// The model-invoker port: one score per row, in order.
///
/// Synchronous on purpose: Kernel SHAP calls it from its inner loop. Adapters that talk to
/// the network block on their runtime handle; the tick calls explainers on a blocking thread.
pub trait ModelInvoker: Send + Sync {
    /// Scores `rows` (feature order of the monitor).
    ///
    /// # Errors
    /// A message naming what failed (it becomes the execution's failure reason).
    fn predict(&self, rows: &[Vec<f64>]) -> Result<Vec<f64>, String>;
}

/// A linear or logistic model evaluated in process.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalModel {
    weights: Vec<f64>,
    intercept: f64,
    logistic: bool,
}

/// `w` in feature order from a name → weight map (missing names weigh 0).
///
/// # Errors
/// [`CoreError::Config`] for a coefficient of an unknown feature or a non-finite value.
pub fn weights_in_order(
    coefficients: &BTreeMap<String, f64>,
    intercept: f64,
    features: &[String],
) -> Result<Vec<f64>, CoreError> {
    if let Some(name) = coefficients.keys().find(|k| !features.contains(k)) {
        return Err(config_err(
            "coefficients",
            name.clone(),
            &format!("not one of the explained features {features:?}"),
        ));
    }
    if let Some((k, v)) = coefficients
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .chain(std::iter::once(("intercept", intercept)))
        .find(|(_, v)| !v.is_finite())
    {
        return Err(config_err(k, v.to_string(), "not a finite number"));
    }
    Ok(features
        .iter()
        .map(|f| coefficients.get(f).copied().unwrap_or(0.0))
        .collect())
}

impl LocalModel {
    /// The local model of `spec` over `features`.
    ///
    /// # Errors
    /// [`CoreError::Config`] for an endpoint spec (not local) or bad coefficients.
    pub fn from_spec(spec: &ModelSpec, features: &[String]) -> Result<Self, CoreError> {
        let (intercept, coefficients, logistic) =
            match spec {
                ModelSpec::Linear {
                    intercept,
                    coefficients,
                } => (*intercept, coefficients, false),
                ModelSpec::Logistic {
                    intercept,
                    coefficients,
                } => (*intercept, coefficients, true),
                ModelSpec::Endpoint { endpoint_name, .. } => return Err(config_err(
                    "explainer.kernel.model.endpoint",
                    endpoint_name.clone(),
                    "a SageMaker endpoint model needs the AWS invoker (the monitor-tick Lambda); \
                     use a linear or logistic model locally",
                )),
            };
        Ok(LocalModel {
            weights: weights_in_order(coefficients, intercept, features)?,
            intercept,
            logistic,
        })
    }

    fn score(&self, x: &[f64]) -> f64 {
        let z = self.intercept + self.weights.iter().zip(x).map(|(w, v)| w * v).sum::<f64>();
        if self.logistic {
            1.0 / (1.0 + (-z).exp())
        } else {
            z
        }
    }
}

impl ModelInvoker for LocalModel {
    fn predict(&self, rows: &[Vec<f64>]) -> Result<Vec<f64>, String> {
        rows.iter()
            .map(|r| {
                if r.len() == self.weights.len() {
                    Ok(self.score(r))
                } else {
                    Err(format!(
                        "row of {} values for a model of {} features",
                        r.len(),
                        self.weights.len()
                    ))
                }
            })
            .collect()
    }
}

/// Reads an XGBoost JSON model (`booster.save_model("model.json")`) for the TreeSHAP
/// explainer; `key` names it in errors.
///
/// # Errors
/// [`CoreError::Config`] naming `key` and what is wrong with the model.
pub fn parse_tree_model(
    key: &str,
    bytes: &[u8],
    output_group: usize,
) -> Result<drift_math::shap::TreeEnsemble, CoreError> {
    drift_math::shap::TreeEnsemble::from_xgboost_json(bytes, output_group)
        .map_err(|e| config_err(key, "", &e.to_string()))
}

/// Is `bytes` an XGBoost JSON model (a top-level `learner` object) rather than a
/// [`ModelSpec`]?
#[must_use]
pub fn is_xgboost_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(bytes)
        .is_ok_and(|m| m.get("learner").is_some_and(serde_json::Value::is_object))
}

/// Builds invokers for model specs: the port the tick uses to reach models.
pub trait InvokerFactory: Send + Sync {
    /// The invoker of `spec` over `features`.
    ///
    /// # Errors
    /// [`CoreError::Config`] when the spec cannot be served here.
    fn invoker(
        &self,
        spec: &ModelSpec,
        features: &[String],
    ) -> Result<Arc<dyn ModelInvoker>, CoreError>;
}

/// The factory of local models only (CLI, demo, tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalModels;

impl InvokerFactory for LocalModels {
    fn invoker(
        &self,
        spec: &ModelSpec,
        features: &[String],
    ) -> Result<Arc<dyn ModelInvoker>, CoreError> {
        Ok(Arc::new(LocalModel::from_spec(spec, features)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_models_score_and_refuse_unknown_features() {
        let f = vec!["a".to_string(), "b".to_string()];
        let coef: BTreeMap<String, f64> = [("a".to_string(), 2.0)].into();
        let lin = LocalModel::from_spec(
            &ModelSpec::Linear {
                intercept: 1.0,
                coefficients: coef.clone(),
            },
            &f,
        )
        .unwrap();
        assert_eq!(lin.predict(&[vec![3.0, 9.0]]).unwrap(), vec![7.0]);
        let log = LocalModel::from_spec(
            &ModelSpec::Logistic {
                intercept: 0.0,
                coefficients: BTreeMap::new(),
            },
            &f,
        )
        .unwrap();
        assert_eq!(log.predict(&[vec![3.0, 9.0]]).unwrap(), vec![0.5]);
        let bad: BTreeMap<String, f64> = [("c".to_string(), 1.0)].into();
        let e = LocalModel::from_spec(
            &ModelSpec::Linear {
                intercept: 0.0,
                coefficients: bad,
            },
            &f,
        )
        .unwrap_err();
        assert!(e.to_string().contains("\"c\""), "{e}");
        assert!(LocalModels
            .invoker(
                &ModelSpec::Endpoint {
                    endpoint_name: "ep".into(),
                    output_attribute: None
                },
                &f
            )
            .is_err());
    }
}
