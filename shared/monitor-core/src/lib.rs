//! modelwatch's domain: SageMaker formats, the mergeable profile, constraint checks, the
//! storage and metrics ports with their adapters, and one `run` per use case.
//!
//! Layering: `drift_math` does the numbers; this crate turns files and events into calls of
//! it and writes SageMaker's files back. Nothing here knows about Lambda; the function crates
//! map events to one `app::*::run` call each.
#![forbid(unsafe_code)]

pub mod app;
pub mod attribution;
pub mod bias;
pub mod capability;
pub mod config;
pub mod data_quality;
pub mod error;
pub mod execution;
pub mod formats;
pub mod joined;
pub mod layout;
pub mod metrics;
pub mod model_quality;
pub mod retrain;
pub mod store;

pub use error::CoreError;
