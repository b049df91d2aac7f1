//! The `modelwatch` CLI's library part: the demo scenario and the demo pipeline, and the
//! import of SageMaker schedules, shared by the binary and the end-to-end tests.
#![deny(missing_docs)]

pub mod demo;
pub mod import;
pub mod scenario;
