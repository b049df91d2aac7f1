//! modelwatch's domain: it reads SageMaker's data capture, ground truth and baselines,
//! keeps small mergeable state per capture object, and writes SageMaker Model Monitor's and
//! Clarify's reports and CloudWatch metrics back. `drift_math` does the numbers; nothing here
//! knows about Lambda: each function crate maps its event to one `app::*::run` call.
//!
//! # Where is what
//!
//! One folder per capability, a shared base below them, the use cases above:
//!
//! | layer | module | holds |
//! | --- | --- | --- |
//! | use cases | [`app`] | one `run` per use case: [`app::baseline`], [`app::ingest`], [`app::ground_truth`], [`app::tick`], [`app::retrain`], [`app::oneshot`] |
//! | dispatch | [`capability`] | the one `match` on the monitor kind: prepare, consume, join, evaluate |
//! | capabilities | [`data_quality`] | profiles, constraint checks and suggestions, the data-quality tick |
//! | | [`model_quality`] | the mergeable metric state, its checks and tick |
//! | | [`bias`] | Clarify's bias metrics, drift rule and tick |
//! | | [`attribution`] | SHAP configuration, explainers, attribution state and tick |
//! | | [`batch`] | batch-transform monitoring: manifests, `.out` lines as capture records, batch reports and metrics |
//! | | [`retrain`] | alarm-driven retraining: config, events, storm control, keys, launcher |
//! | | [`report`] | HTML reports per window and the dashboard, from the stored files (issue 14) |
//! | comparisons | [`variants`] | A/B variants of an endpoint compared per window, over the data- and model-quality capabilities (issue 15) |
//! | | [`multimodel`] | multi-model endpoints: each record attributed to its target model, data-quality state, reports and metrics per model (issue 15) |
//! | slices | [`segments`] | every data-quality window judged per slice (a feature's values or ranges, the low-confidence band) too (issue 15) |
//! | shared base | [`joined`] | predictions joined to labels (model quality and bias) |
//! | | [`execution`] | the [`execution::Window`] and [`execution::Ports`] every capability's `evaluate` takes, the execution record, and how reports are written ([`execution::Execution::settle`]) |
//! | | [`config`] | monitor configurations (`config/monitors/{name}.json`) |
//! | | [`layout`] | every store key |
//! | | [`store`] | the object-store port, its local and in-memory adapters, [`store::StateFile`] |
//! | | [`metrics`] | the metrics port, its EMF / file / memory adapters, shared builders |
//! | | [`formats`] | SageMaker's files, byte-compatible, and the one capture parser ([`formats::capture`]) |
//! | | [`error`] | [`CoreError`] |
//! | tests | [`robustness`] | the parsers' invariants on hostile input (property tests and fuzz targets) |
//!
//! Capabilities import only the base, never each other or [`app`]; nothing below [`app`]
//! imports it. Two base modules still name capability types: [`config`] holds each
//! capability's settings block, and [`joined::labels`] the model-quality and bias state of
//! joined labels.
//!
//! # Example
//!
//! One SageMaker data-capture line through the capture parser, into the monitor's feature
//! order (output columns first):
//!
//! ```
//! use monitor_core::formats::capture::{CaptureMapping, CaptureParser, Row};
//!
//! let mut parser = CaptureParser::new(&CaptureMapping::new(["churn", "age", "balance"]))?;
//! let line = br#"{"captureData": {
//!     "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
//!                       "data": "41,1200.5", "encoding": "CSV"},
//!     "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
//!                        "data": "0.83", "encoding": "CSV"}},
//!   "eventMetadata": {"eventId": "e1", "inferenceTime": "2026-11-01T03:00:00Z"},
//!   "eventVersion": "0"}"#;
//! let mut row = Row::new();
//! let meta = parser.parse_line(line, &mut row).expect("a good record");
//! assert_eq!(row.iter().collect::<Vec<_>>(), [Some("0.83"), Some("41"), Some("1200.5")]);
//! assert_eq!(meta.inference_time.as_deref(), Some("2026-11-01T03:00:00Z"));
//! # Ok::<(), monitor_core::formats::capture::CaptureError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod app;
pub mod attribution;
pub mod batch;
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
pub mod multimodel;
pub mod report;
pub mod retrain;
pub mod robustness;
pub mod segments;
pub mod store;
pub mod variants;

pub use error::CoreError;
