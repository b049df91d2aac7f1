//! The statistics of a trustworthy drift policy (issue 13): two-sample tests and readable effect
//! sizes computed from the mergeable state only (KLL sketches, categorical counts, missing
//! counts; never raw rows), Benjamini–Hochberg across a window's features, and the per-feature
//! [`Decision`] that combines them.
//!
//! | what | numbers | categories | completeness |
//! |---|---|---|---|
//! | test | [`ks_test`]: two-sample Kolmogorov–Smirnov, the sketches' rank error folded in; [`welch_test`] on the exact moments for a mean shift | [`chi2_contingency`]: 2×k χ² contingency | [`missing_share_test`]: two-proportion z |
//! | effect | [`normalized_wasserstein`] (W1 / baseline std), or the L∞ of [`crate::kll::linf_simple`] | [`share_change`], [`hellinger`] (PSI and Jensen–Shannon in [`crate::distance`]) | [`ProportionTest::difference`] |
//!
//! Why a test *and* an effect floor: a fixed effect bar (SageMaker's L∞ > 0.1) never gets
//! better with more data and misses moderate shifts, while a test alone flags trivially small
//! shifts once windows are large. A feature drifts when its effect exceeds the floor **and**
//! its p-value is significant after Benjamini–Hochberg across the window's features
//! ([`decide`]). A feature whose test could not reach significance even at the largest possible
//! effect is reported as [`Decision::LacksPower`] instead of "no drift".
//!
//! Every function here is pure; nothing is floored or hidden: each result carries the raw
//! statistic next to what was tested.

mod categorical;
mod completeness;
mod decision;
mod ks;
mod multiple;
mod wasserstein;
mod welch;

pub use categorical::{
    chi2_contingency, chi2_contingency_counts, hellinger, hellinger_counts, share_change,
    share_change_counts, AlignedCounts, ContingencyChiSquare,
};
pub use completeness::{missing_share_test, ProportionTest};
pub use decision::{
    chi2_p_value_at_share_change, decide, power_p_threshold, Decision, FeatureDecision,
    FeatureEvidence,
};
pub use ks::{kolmogorov_sf, ks_p_value, ks_test, KsTest};
pub use multiple::{benjamini_hochberg, BhOutcome};
pub use wasserstein::{
    normalized_wasserstein, wasserstein1, wasserstein_error_bound, MIN_NORMALISING_STD,
};
pub use welch::{welch_test, SampleSummary, WelchTest};
