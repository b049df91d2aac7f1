//! Feature attribution (SageMaker Clarify's explainability monitor, spec §10): the SHAP
//! configuration, the model-invoker port, and the mergeable per-minute attribution state that
//! capture-ingest writes and monitor-tick merges.
//!
//! Clarify scores every record of the window with Kernel SHAP against its SHAP baseline,
//! aggregates the local values per feature (`agg_method`), and compares the ranking with the
//! baseline's by nDCG. Here the local values come from one of four explainers
//! ([`Explainer`](crate::config::Explainer)):
//!
//! * `captured`: the model returns its attributions in the endpoint output;
//! * `linear`: exact SHAP of a linear model, `φ_j = w_j·(x_j − mean_bg x_j)`;
//! * `kernel`: Kernel SHAP through a [`ModelInvoker`] (a local model, or a SageMaker endpoint
//!   through `monitor_aws`), on a deterministic sample of the window's records;
//! * `tree`: exact path-dependent TreeSHAP of an XGBoost JSON model
//!   ([`drift_math::shap::TreeEnsemble`]), for every record at ingest.
//!
//! For `captured`, `linear` and `tree` every record is explained at ingest and only the sums
//! `Σ|φ_j|`, `Σφ_j²` (and, for `median`, a KLL sketch of `φ_j`) are kept, so any window is
//! an exact merge. For `kernel` ingest keeps a bottom-k sample by a hash of the join key
//! (the same records whatever the order or split of the input) and the tick explains it.

pub mod baseline;
pub mod config;
pub mod consume;
pub mod metrics;
pub mod model;
pub mod prepare;
pub mod state;
pub mod tick;

pub use baseline::{
    explainability_baseline, read_feature_rows, tree_explainability_baseline,
    ExplainabilityBaseline,
};
pub use config::{parse_baseline_csv, ExplainMethods, ExplainabilityConfig, ShapMethod};
pub use consume::{
    explain_object, kernel_global, AttributionContext, Attributor, KernelResult, PreparedExplainer,
};
pub use model::{
    is_xgboost_json, parse_tree_model, weights_in_order, InvokerFactory, LocalModel, LocalModels,
    ModelInvoker, ModelSpec,
};
pub use state::{
    keep_bottom_k, AttributionObjectState, MinuteAttribution, SampledRecord, ShapSums,
    ATTRIBUTION_STATE_FORMAT, ATTRIBUTION_STATE_VERSION,
};
