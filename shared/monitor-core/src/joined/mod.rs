//! Predictions joined to ground-truth labels: the shared base of the two label-joined
//! capabilities ([`crate::model_quality`] and [`crate::bias`]).
//!
//! * [`predictions`]: the prediction index ingest writes per capture object (its record
//!   consumer [`predictions::Indexer`]) and the label lines ground-truth merge reads.
//! * [`key_filter`]: which indexes a ground-truth object of a multi-object merge need not
//!   read again.
//! * [`labels`]: the mergeable state one ground-truth object contributes per inference
//!   minute, and the scan of a window's joined states.

pub mod key_filter;
pub mod labels;
pub mod predictions;
