//! Named tolerances. Rule for picking one:
//! * [`REL_TIGHT`]: the same formula evaluated in a different order (merge of a split vs one
//!   pass, our summation order vs NumPy's/SciPy's). Differences are a few ulps per operation.
//! * [`REL_FIXTURE`]: our one-pass numbers vs those SageMaker printed. Spark sums partitions in
//!   an unknown order and the file rounds nothing, so differences are ~1e-15 relative; 1e-9
//!   leaves room without hiding a formula error (sample vs population std differ by 2e-4).
//! * [`ABS_PVALUE`]: p-values, whose incomplete-gamma implementations differ (statrs vs
//!   SciPy's cephes vs commons-math).

/// Relative tolerance for re-ordered floating-point evaluation of one formula.
pub const REL_TIGHT: f64 = 1e-12;
/// Relative tolerance against numbers printed in a SageMaker statistics file.
pub const REL_FIXTURE: f64 = 1e-9;
/// Absolute tolerance for p-values.
pub const ABS_PVALUE: f64 = 1e-9;

/// `|a − b| ≤ rel · scale`, with `scale = max(|a|, |b|)` unless given.
#[track_caller]
pub fn assert_rel(a: f64, b: f64, rel: f64, what: &str) {
    let scale = a.abs().max(b.abs());
    assert!(
        (a - b).abs() <= rel * scale,
        "{what}: {a:?} vs {b:?} (rel diff {:e} > {rel:e})",
        (a - b).abs() / scale
    );
}

/// `|a − b| ≤ rel · scale` for an explicit scale (used where the exact value can be ~0 after
/// cancellation, so relative error must be measured against the size of the inputs).
#[track_caller]
pub fn assert_scaled(a: f64, b: f64, rel: f64, scale: f64, what: &str) {
    assert!(
        (a - b).abs() <= rel * scale,
        "{what}: {a:?} vs {b:?} (diff {:e} > {rel:e} × scale {scale:e})",
        (a - b).abs()
    );
}

/// `|a − b| ≤ abs`.
#[track_caller]
pub fn assert_abs(a: f64, b: f64, abs: f64, what: &str) {
    assert!(
        (a - b).abs() <= abs,
        "{what}: {a:?} vs {b:?} (abs diff {:e} > {abs:e})",
        (a - b).abs()
    );
}
