//! One `run` per use case. Lambda handlers and CLI commands call exactly one of these.

pub mod backfill;
pub mod baseline;
pub mod baseline_partial;
pub mod ground_truth;
pub mod ingest;
pub mod late;
pub mod monitors;
pub mod oneshot;
pub mod retrain;
pub mod tick;
