//! Data quality (SageMaker Model Monitor's `DataQuality` job): profile the captured
//! features, compare the window with the baseline's statistics and constraints, write
//! `statistics.json` / `constraint_violations.json` and publish the
//! `aws/sagemaker/Endpoints/data-metrics` metrics (spec §§2–6).
//!
//! * [`profile`]: the mergeable dataset profile; [`dataset`]: profiling a baseline dataset;
//!   [`suggest`]: constraints suggested from a baseline; [`checks`]: the constraint checks;
//!   [`policy`]: modelwatch's drift policy (issue 13), used by the checks when the baseline has it;
//!   [`multivariate`]: PCA reconstruction-error drift (issue 13 item 4).
//! * [`consume`]: what ingest needs (the baseline) and the record consumer of the single
//!   ingest pass ([`consume::Profiler`] → [`consume::PartialProfile`]).
//! * [`tick`]: a merged window → report files, execution and metrics; [`window_merge`]: the
//!   window's partial profiles fetched, decoded and merged on every core (issue 16 item 4).

pub mod checks;
pub mod consume;
pub mod dataset;
pub mod metrics;
pub mod minute_spill;
pub mod multivariate;
pub mod policy;
pub mod prediction;
pub mod profile;
pub mod suggest;
pub mod tick;
pub mod window_merge;
