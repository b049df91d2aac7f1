//! Streaming count, sum, mean, population standard deviation, minimum and maximum.
//!
//! These are the five numbers SageMaker Model Monitor writes under
//! `numerical_statistics` (spec §3.2). The analyzer computes them with Deequ on Spark:
//!
//! * `sum`: Spark `sum`, a plain running sum of doubles;
//! * `mean`: Deequ `Mean`, i.e. `sum / count` (not the running average);
//! * `std_dev`: Deequ `StandardDeviation` = Spark `stddev_pop`, `sqrt(M2 / n)` where `M2` is
//!   kept with the update and merge rules of Spark's `CentralMomentAgg` (Welford's update and
//!   the Chan et al. pairwise merge);
//! * `min` / `max`: Spark `min` / `max`, which order `NaN` above every other double.
//!
//! Spark sums partitions in an order that depends on how the input was split, so the last bits
//! of `sum` and `std_dev` can differ from a SageMaker file; the order of magnitude of that
//! difference is a few ulps (see the fixture test against a real baseline).

/// Running moments of a stream of doubles: count, sum, mean, `M2`, min and max.
///
/// Shape: [`Moments::update`] one value, [`Moments::merge`] another `Moments`, then read.
/// Readers return `None` while no value has been seen.
///
/// ```
/// use drift_math::moments::Moments;
///
/// let mut m = Moments::new();
/// for x in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] {
///     m.update(x);
/// }
/// assert_eq!(m.count(), 8);
/// assert_eq!(m.mean(), Some(5.0));
/// assert_eq!(m.std_dev(), Some(2.0)); // population standard deviation
/// assert_eq!((m.min(), m.max()), (Some(2.0), Some(9.0)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Moments {
    /// number of values seen
    n: u64,
    /// plain running sum `Σ x`
    sum: f64,
    /// running average (Spark `avg` buffer; used only for `M2`)
    mean: f64,
    /// sum of squared deviations from the mean, `Σ (x − mean)²`
    m2: f64,
    /// smallest value (Spark ordering); meaningless while `n == 0`
    min: f64,
    /// largest value (Spark ordering); meaningless while `n == 0`
    max: f64,
}

/// Spark's ordering of doubles for `min`/`max`: `NaN` is greater than every other value
/// (including `+∞`), and `NaN == NaN`.
#[inline]
fn spark_greater(a: f64, b: f64) -> bool {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => false,
        (true, false) => true,
        (false, true) => false,
        (false, false) => a > b,
    }
}

impl Moments {
    /// An empty state (no values; every reader returns `None`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one value.
    ///
    /// Spark `CentralMomentAgg` update, with `n` already incremented:
    /// `δ = x − avg`, `δₙ = δ / n`, `avg += δₙ`, `M2 += δ·(δ − δₙ)`; and `sum += x`.
    /// Infinite or `NaN` inputs propagate through `sum`, `mean` and `std_dev` exactly as in
    /// Spark (IEEE arithmetic); `min`/`max` use Spark's ordering where `NaN` is the largest
    /// value.
    #[inline]
    pub fn update(&mut self, x: f64) {
        if self.n == 0 {
            self.min = x;
            self.max = x;
        } else {
            if spark_greater(self.min, x) {
                self.min = x;
            }
            if spark_greater(x, self.max) {
                self.max = x;
            }
        }
        self.n += 1;
        let n = self.n as f64;
        let delta = x - self.mean;
        let delta_n = delta / n;
        self.mean += delta_n;
        self.m2 += delta * (delta - delta_n);
        self.sum += x;
    }

    /// Merges another state into this one, as if all of its values had been added here.
    ///
    /// Spark `CentralMomentAgg` merge (Chan, Golub & LeVeque 1979): with `n = n₁ + n₂`,
    /// `δ = avg₂ − avg₁`, `δₙ = δ / n`: `avg = avg₁ + δₙ·n₂`,
    /// `M2 = M2₁ + M2₂ + δ·δₙ·n₁·n₂`; `sum = sum₁ + sum₂`; min/max combine. Merging with an
    /// empty state is an exact no-op (an empty `self` takes `other` verbatim, where Spark
    /// would compute `0 + (avg₂/n₂)·n₂`).
    pub fn merge(&mut self, other: &Moments) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *other;
            return;
        }
        let n1 = self.n as f64;
        let n2 = other.n as f64;
        let n = n1 + n2;
        let delta = other.mean - self.mean;
        let delta_n = delta / n;
        self.mean += delta_n * n2;
        self.m2 = self.m2 + other.m2 + delta * delta_n * n1 * n2;
        self.sum += other.sum;
        self.n = self.n.saturating_add(other.n);
        if spark_greater(self.min, other.min) {
            self.min = other.min;
        }
        if spark_greater(other.max, self.max) {
            self.max = other.max;
        }
    }

    /// Number of values seen (`num_present` in `statistics.json`).
    pub fn count(&self) -> u64 {
        self.n
    }

    /// Plain running sum `Σ x` (0.0 when empty, like an empty Spark `sum` coalesced to 0).
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// Deequ `Mean`: `sum / count`; `None` when empty.
    ///
    /// This is deliberately the ratio of the running sum and the count, not Spark's running
    /// `avg` buffer (which is only used to accumulate `M2`).
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }

    /// Population variance `M2 / n` (Spark `var_pop`); `None` when empty.
    pub fn variance(&self) -> Option<f64> {
        (self.n > 0).then(|| self.m2 / self.n as f64)
    }

    /// Population standard deviation `sqrt(M2 / n)` (Deequ `StandardDeviation` = Spark
    /// `stddev_pop`, spec §3.2); `None` when empty. A single value gives 0.0.
    pub fn std_dev(&self) -> Option<f64> {
        self.variance().map(f64::sqrt)
    }

    /// Sum of squared deviations from the mean, `M2 = Σ (x − mean)²` (0.0 when empty).
    pub fn m2(&self) -> f64 {
        self.m2
    }

    /// Smallest value seen (Spark `min`: `NaN` only if every value was `NaN`); `None` when empty.
    pub fn min(&self) -> Option<f64> {
        (self.n > 0).then_some(self.min)
    }

    /// Largest value seen (Spark `max`: `NaN` if any value was `NaN`); `None` when empty.
    pub fn max(&self) -> Option<f64> {
        (self.n > 0).then_some(self.max)
    }
}

impl Extend<f64> for Moments {
    /// Calls [`Moments::update`] for each value.
    fn extend<I: IntoIterator<Item = f64>>(&mut self, iter: I) {
        for x in iter {
            self.update(x);
        }
    }
}

impl FromIterator<f64> for Moments {
    /// Builds a state from all values of an iterator.
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        let mut m = Moments::new();
        m.extend(iter);
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_reads_none() {
        let m = Moments::new();
        assert_eq!(m.count(), 0);
        assert_eq!(m.sum(), 0.0);
        assert_eq!(m.mean(), None);
        assert_eq!(m.std_dev(), None);
        assert_eq!(m.min(), None);
        assert_eq!(m.max(), None);
    }

    #[test]
    fn nan_ordering_follows_spark() {
        // Spark: max(1, NaN, 3) = NaN, min(1, NaN, 3) = 1
        let m: Moments = [1.0, f64::NAN, 3.0].into_iter().collect();
        assert!(m.max().is_some_and(f64::is_nan));
        assert_eq!(m.min(), Some(1.0));
        let all_nan: Moments = [f64::NAN, f64::NAN].into_iter().collect();
        assert!(all_nan.min().is_some_and(f64::is_nan));
        let mut merged: Moments = [f64::NAN].into_iter().collect();
        merged.merge(&[-2.0, 5.0].into_iter().collect());
        assert_eq!(merged.min(), Some(-2.0));
        assert!(merged.max().is_some_and(f64::is_nan));
    }

    #[test]
    fn merge_with_empty_is_identity() {
        let a: Moments = [1.5, 2.5, -3.0].into_iter().collect();
        let mut left = Moments::new();
        left.merge(&a);
        assert_eq!(left, a);
        let mut right = a;
        right.merge(&Moments::new());
        assert_eq!(right, a);
    }
}
