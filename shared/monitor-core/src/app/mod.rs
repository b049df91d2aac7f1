//! One `run` per use case. Lambda handlers and CLI commands call exactly one of these.

pub mod baseline;
pub mod ground_truth;
pub mod ingest;
pub mod oneshot;
pub mod tick;
pub mod tick_bias;
pub mod tick_explain;
pub mod tick_quality;
