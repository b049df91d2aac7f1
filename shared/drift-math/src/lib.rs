//! Pure numerics for modelwatch.
//!
//! Everything here is deterministic, synchronous and free of I/O: streaming moments,
//! the KLL quantile sketch exactly as Deequ's `QuantileNonSample` (what SageMaker Model
//! Monitor's analyzer writes into `statistics.json`), Deequ's type inference, categorical
//! counts, and the drift distances that Model Monitor's `baseline_drift_check` uses, plus
//! ([`policy`]) the two-sample tests, effect sizes and Benjamini–Hochberg decision of a drift
//! policy computed from the same mergeable state (issue 13).
//!
//! Every state type follows one streaming shape: `update` one value, `merge` another state
//! of the same kind, then read. Merging is exact for counts and moments and within the
//! sketch's rank error for quantiles.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod bias;
pub mod calibration;
pub mod categorical;
pub mod cbpe;
#[cfg(feature = "serde")]
mod codec;
pub mod compare;
pub mod distance;
pub mod interval;
pub mod kll;
pub mod moments;
pub mod number_text;
pub mod pca;
pub mod policy;
pub mod quality;
pub mod shap;
pub mod types;

/// Errors from drift-math constructors and computations; each carries the offending value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DriftError {
    /// A sketch parameter is out of range.
    #[error("invalid sketch parameter {name} = {value}")]
    InvalidParameter {
        /// parameter name
        name: &'static str,
        /// offending value
        value: f64,
    },
    /// Serialised state could not be decoded.
    #[error("invalid serialised state: {0}")]
    InvalidState(String),
    /// A computation needs at least one observation.
    #[error("empty input: {0}")]
    Empty(&'static str),
}
