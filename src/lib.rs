//! The `modelwatch` CLI's library part: the demo scenario and the demo pipeline, shared by
//! the binary and the end-to-end tests.
#![deny(missing_docs)]

pub mod demo;
pub mod scenario;
