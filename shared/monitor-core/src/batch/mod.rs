//! Batch-transform monitoring (issue 12 item 4; spec §1.4, §7, §10/§11).
//!
//! A monitor whose configuration holds a `batch_transform` block (SageMaker's
//! `BatchTransformInput`, [`config::BatchTransformInput`]) watches a transform job's data
//! capture instead of an endpoint's:
//!
//! 1. **ingest** ([`ingest::ingest_manifest`], called by [`crate::app::ingest::run`] for
//!    keys under `{destination}/output/yyyy/mm/dd/HH/*.json`): the manifest
//!    ([`manifest`]) names `.out` objects; each line becomes the capture record the endpoint
//!    path reads ([`record`]) and goes through the same consumers (data quality, the
//!    prediction index, attribution). Input manifests (`{destination}/input/…`) are ignored
//!    with a reason: the output lines carry what the monitors need.
//! 2. **ground-truth merge** joins labels on `SageMakerInferenceId` (instance `i` of a JSON
//!    document of several instances on `{id}#{i}`) and writes merged records with
//!    `captureData.batchTransformOutput` ([`merged`]).
//! 3. **tick**: reports at `reports/{schedule}/yyyy/mm/dd/HH/` (no endpoint level,
//!    [`crate::layout::batch_report_prefix`]) and metrics in the
//!    `aws/sagemaker/ModelMonitoring/*` namespaces with the `MonitoringSchedule` dimension
//!    only ([`metrics`]).

pub mod config;
pub mod ingest;
pub mod manifest;
pub mod merged;
pub mod metrics;
pub mod record;

pub use config::{BatchTransformInput, DatasetFormat};

/// The variant level of a batch monitor's state keys and predictions (a transform job has
/// no production variant).
pub const BATCH_VARIANT: &str = "BatchTransform";
