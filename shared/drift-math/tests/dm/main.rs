//! Integration tests for the public API of `moments`, `types`, `categorical`, `distance` and
//! `policy`.
//!
//! Reference numbers come from NumPy 2.4 / SciPy 1.17 (the exact call is in a comment next to
//! each number) or from a real SageMaker baseline under `tests/fixtures/sagemaker/`.

mod categorical;
mod distance;
mod moments;
mod policy;
mod tol;
mod types;

/// Path of a fixture under the workspace's `tests/fixtures/sagemaker/`.
pub use test_support::sagemaker_fixture as fixture;
