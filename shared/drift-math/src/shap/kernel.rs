//! Kernel SHAP (Lundberg & Lee 2017) through a batch-predict callback: coalition sampling,
//! the weighted least-squares solve and their helpers.

use super::*;

/// Kernel SHAP settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelShapConfig {
    /// Coalitions per record (Clarify's `num_samples`); `None` = [`default_num_samples`] of
    /// the record's varying features.
    pub num_samples: Option<usize>,
    /// Seed of the coalition sampler (Clarify's `seed`).
    pub seed: u64,
    /// Most rows sent to the model callback in one call.
    pub max_batch_rows: usize,
    /// Explain `logit(prediction)` (Clarify's `use_logit`; predictions must be in (0, 1)).
    pub use_logit: bool,
}

impl Default for KernelShapConfig {
    /// Automatic `num_samples`, seed 0, batches of 8192 rows, identity link.
    fn default() -> Self {
        KernelShapConfig {
            num_samples: None,
            seed: 0,
            max_batch_rows: 8192,
            use_logit: false,
        }
    }
}

/// Default coalition count for `m` varying features: `2m + 2048`, the `shap` package's
/// `nsamples="auto"`. Clarify's own default is unpublished (spec §10.1).
pub fn default_num_samples(m: usize) -> usize {
    2 * m + 2048
}

/// Model-agnostic Kernel SHAP (Lundberg & Lee 2017) with a background data set.
///
/// For a record `x` the value of a coalition `z ⊆ {1..M}` is
/// `h(z) = mean_bg f(x_z, bg_z̄)` (features in `z` from `x`, the rest from each background
/// row). The attributions solve the weighted least-squares problem
///
/// `min_φ Σ_z π(z)·(h(z) − E − Σ_{j∈z} φ_j)²` subject to `Σ_j φ_j = f(x) − E`,
///
/// with the Shapley kernel `π(z) = (M−1) / (C(M,|z|)·|z|·(M−|z|))` and `E = mean_bg f`. The
/// constraint is applied by eliminating the last feature, as in the paper's reference
/// implementation. With every coalition (`1 ≤ |z| ≤ M−1`) the solution is exactly the
/// Shapley values of `v(S) = h(S)` for any model.
///
/// Coalitions: `M` counts only the record's *varying* features (those whose value differs
/// from at least one background row; the others get `φ = 0`, as in the `shap` package).
/// When `2^M − 2 ≤ num_samples` every coalition is enumerated. Otherwise coalition sizes are
/// taken in complementary pairs `(s, M−s)`, smallest first; a pair is enumerated completely
/// while its share of the kernel weight times the remaining budget covers all of its
/// coalitions, and the remaining budget is drawn from the remaining sizes (size ∝ kernel
/// weight, then a uniform subset, each draw added with its complement) by a xoshiro256**
/// generator seeded from `seed` and `M`; sampled coalitions share the remaining weight by
/// draw frequency. The plan depends only on `(M, num_samples, seed)`, so it is built once per
/// `M` and reused for every record: results are deterministic.
///
/// ```
/// use drift_math::shap::{KernelShap, KernelShapConfig};
/// let bg = vec![vec![0.0, 0.0], vec![1.0, 2.0]];
/// let model = |rows: &[Vec<f64>]| -> Vec<f64> { rows.iter().map(|r| r[0] * r[1]).collect() };
/// let mut ks = KernelShap::new(bg, KernelShapConfig::default(), model)?;
/// let phi = ks.explain(&[2.0, 2.0], model)?;
/// // efficiency: φ sums to f(x) − E[f] = 4 − 1
/// assert!((phi[0] + phi[1] - 3.0).abs() < 1e-12);
/// # Ok::<(), drift_math::shap::ShapError>(())
/// ```
#[derive(Debug, Clone)]
pub struct KernelShap {
    background: Vec<Vec<f64>>,
    config: KernelShapConfig,
    /// `mean_bg f` (before the link)
    mean_prediction: f64,
    expected_value: f64,
    plans: BTreeMap<usize, Plan>,
}

/// Coalitions and the factorised normal equations for one number of varying features.
#[derive(Debug, Clone)]
struct Plan {
    masks: Vec<Vec<bool>>,
    weights: Vec<f64>,
    lu: Lu,
}

impl KernelShap {
    /// Kernel SHAP over `background` (rows of equal length), evaluating `E = mean_bg f` with
    /// `model` (a batch predictor: one output per input row).
    ///
    /// # Errors
    /// [`ShapError::Empty`], [`ShapError::Length`], [`ShapError::NonFinite`] for bad
    /// background rows or predictions, [`ShapError::PredictionCount`],
    /// [`ShapError::InvalidParameter`] for `num_samples < 2` or `max_batch_rows = 0`,
    /// [`ShapError::NotAProbability`] with `use_logit`.
    pub fn new<F>(
        background: Vec<Vec<f64>>,
        config: KernelShapConfig,
        mut model: F,
    ) -> Result<Self, ShapError>
    where
        F: FnMut(&[Vec<f64>]) -> Vec<f64>,
    {
        Self::try_new(background, config, |rows: &[Vec<f64>]| Ok(model(rows)))
    }

    /// [`KernelShap::new`] with a fallible model (e.g. an endpoint call); its error text is
    /// returned as [`ShapError::Model`].
    ///
    /// # Errors
    /// As [`KernelShap::new`], plus [`ShapError::Model`].
    pub fn try_new<F>(
        background: Vec<Vec<f64>>,
        config: KernelShapConfig,
        mut model: F,
    ) -> Result<Self, ShapError>
    where
        F: FnMut(&[Vec<f64>]) -> Result<Vec<f64>, String>,
    {
        if let Some(n) = config.num_samples {
            if n < 2 {
                return Err(ShapError::InvalidParameter {
                    name: "num_samples",
                    value: n,
                });
            }
        }
        if config.max_batch_rows == 0 {
            return Err(ShapError::InvalidParameter {
                name: "max_batch_rows",
                value: 0,
            });
        }
        let first = background.first().ok_or(ShapError::Empty("background"))?;
        let m = first.len();
        if m == 0 {
            return Err(ShapError::Empty("features"));
        }
        for row in &background {
            if row.len() != m {
                return Err(ShapError::Length {
                    what: "background row",
                    expected: m,
                    got: row.len(),
                });
            }
            check_finite("background row", row)?;
        }
        let mut sum = 0.0;
        for chunk in background.chunks(config.max_batch_rows) {
            sum += call_model(&mut model, chunk)?.iter().sum::<f64>();
        }
        let mean_prediction = sum / background.len() as f64;
        let expected_value = link(config.use_logit, mean_prediction)?;
        Ok(KernelShap {
            background,
            config,
            mean_prediction,
            expected_value,
            plans: BTreeMap::new(),
        })
    }

    /// `E = mean_bg f` (after the logit when `use_logit`): analysis.json's `expected_value`.
    pub fn expected_value(&self) -> f64 {
        self.expected_value
    }

    /// Number of features.
    pub fn num_features(&self) -> usize {
        self.background.first().map_or(0, Vec::len)
    }

    /// SHAP values of one record; `Σ φ_j = f(x) − E` exactly (up to rounding).
    ///
    /// # Errors
    /// [`ShapError::Length`], [`ShapError::NonFinite`], [`ShapError::PredictionCount`],
    /// [`ShapError::NotAProbability`], [`ShapError::Singular`] if the sampled coalitions do
    /// not determine φ (raise `num_samples`).
    pub fn explain<F>(&mut self, x: &[f64], mut model: F) -> Result<Vec<f64>, ShapError>
    where
        F: FnMut(&[Vec<f64>]) -> Vec<f64>,
    {
        self.try_explain(x, |rows: &[Vec<f64>]| Ok(model(rows)))
    }

    /// [`KernelShap::explain`] with a fallible model.
    ///
    /// # Errors
    /// As [`KernelShap::explain`], plus [`ShapError::Model`].
    pub fn try_explain<F>(&mut self, x: &[f64], mut model: F) -> Result<Vec<f64>, ShapError>
    where
        F: FnMut(&[Vec<f64>]) -> Result<Vec<f64>, String>,
    {
        let m = self.num_features();
        if x.len() != m {
            return Err(ShapError::Length {
                what: "record",
                expected: m,
                got: x.len(),
            });
        }
        check_finite("record", x)?;
        let varying: Vec<usize> = (0..m)
            .filter(|&j| self.background.iter().any(|b| b[j] != x[j]))
            .collect();
        let mut phi = vec![0.0; m];
        let mv = varying.len();
        if mv == 0 {
            return Ok(phi);
        }
        if mv == 1 {
            let fx = call_model(&mut model, &[x.to_vec()])?[0];
            phi[varying[0]] = link(self.config.use_logit, fx)? - self.expected_value;
            return Ok(phi);
        }
        if !self.plans.contains_key(&mv) {
            let budget = self.config.num_samples.unwrap_or(default_num_samples(mv));
            let plan = Plan::build(mv, budget, self.config.seed)?;
            self.plans.insert(mv, plan);
        }
        let plan = match self.plans.get(&mv) {
            Some(p) => p,
            None => return Err(ShapError::Empty("coalition plan")),
        };
        let (fx, h) = self.coalition_values(x, &varying, &plan.masks, &mut model)?;
        let fx = link(self.config.use_logit, fx)?;
        let delta = fx - self.expected_value;
        let last = mv - 1;
        let mut rhs = vec![0.0; last];
        for ((mask, w), hz) in plan.masks.iter().zip(&plan.weights).zip(&h) {
            let z_last = if mask[last] { 1.0 } else { 0.0 };
            let y = link(self.config.use_logit, *hz)? - self.expected_value - z_last * delta;
            for (j, r) in rhs.iter_mut().enumerate() {
                let xj = if mask[j] { 1.0 } else { 0.0 } - z_last;
                *r += w * xj * y;
            }
        }
        let head = plan.lu.solve(&rhs);
        let mut total = 0.0;
        for (j, v) in head.iter().enumerate() {
            phi[varying[j]] = *v;
            total += v;
        }
        phi[varying[last]] = delta - total;
        Ok(phi)
    }

    /// Evaluates `f(x)` and `h(z) = mean_bg f(x_z, bg_z̄)` for every coalition, in batches of
    /// at most `max_batch_rows` rows. Returns raw (pre-link) model outputs.
    fn coalition_values<F>(
        &self,
        x: &[f64],
        varying: &[usize],
        masks: &[Vec<bool>],
        model: &mut F,
    ) -> Result<(f64, Vec<f64>), ShapError>
    where
        F: FnMut(&[Vec<f64>]) -> Result<Vec<f64>, String>,
    {
        let cap = self.config.max_batch_rows;
        let mut sums = vec![0.0; masks.len()];
        let mut fx = 0.0;
        let mut rows: Vec<Vec<f64>> = Vec::with_capacity(cap);
        // target of each row in `rows`: None = f(x), Some(c) = coalition c
        let mut targets: Vec<Option<usize>> = Vec::with_capacity(cap);
        let mut flush = |rows: &mut Vec<Vec<f64>>,
                         targets: &mut Vec<Option<usize>>,
                         model: &mut F|
         -> Result<(), ShapError> {
            if rows.is_empty() {
                return Ok(());
            }
            let preds = call_model(model, rows)?;
            for (t, p) in targets.iter().zip(&preds) {
                match t {
                    Some(c) => sums[*c] += p,
                    None => fx = *p,
                }
            }
            rows.clear();
            targets.clear();
            Ok(())
        };
        rows.push(x.to_vec());
        targets.push(None);
        for (c, mask) in masks.iter().enumerate() {
            for b in &self.background {
                let mut row = b.clone();
                for (pos, &j) in varying.iter().enumerate() {
                    if mask[pos] {
                        row[j] = x[j];
                    }
                }
                rows.push(row);
                targets.push(Some(c));
                if rows.len() == cap {
                    flush(&mut rows, &mut targets, model)?;
                }
            }
        }
        flush(&mut rows, &mut targets, model)?;
        let n_bg = self.background.len() as f64;
        Ok((fx, sums.into_iter().map(|s| s / n_bg).collect()))
    }

    /// `mean_bg f` before the link (equals [`expected_value`](KernelShap::expected_value)
    /// without `use_logit`).
    pub fn mean_prediction(&self) -> f64 {
        self.mean_prediction
    }
}

/// Calls the model and checks the prediction count and finiteness.
fn call_model<F>(model: &mut F, rows: &[Vec<f64>]) -> Result<Vec<f64>, ShapError>
where
    F: FnMut(&[Vec<f64>]) -> Result<Vec<f64>, String>,
{
    let preds = model(rows).map_err(ShapError::Model)?;
    if preds.len() != rows.len() {
        return Err(ShapError::PredictionCount {
            expected: rows.len(),
            got: preds.len(),
        });
    }
    check_finite("model predictions", &preds)?;
    Ok(preds)
}

/// Identity, or `logit(p) = ln(p/(1−p))` for `use_logit`.
fn link(use_logit: bool, p: f64) -> Result<f64, ShapError> {
    if !use_logit {
        return Ok(p);
    }
    if p > 0.0 && p < 1.0 {
        Ok((p / (1.0 - p)).ln())
    } else {
        Err(ShapError::NotAProbability(p))
    }
}

/// `C(n, k)` as f64 (exact below 2⁵³).
fn binomial(n: usize, k: usize) -> f64 {
    let k = k.min(n - k);
    (1..=k).fold(1.0, |acc, i| acc * (n - k + i) as f64 / i as f64)
}

impl Plan {
    fn build(m: usize, num_samples: usize, seed: u64) -> Result<Plan, ShapError> {
        let (masks, weights) = coalitions(m, num_samples, seed);
        // normal equations of the constrained problem with the last feature eliminated:
        // X'_cj = z_cj − z_c,last (j < last)
        let last = m - 1;
        let mut a = vec![0.0; last * last];
        let mut xr = vec![0.0; last];
        for (mask, w) in masks.iter().zip(&weights) {
            let z_last = if mask[last] { 1.0 } else { 0.0 };
            for (j, v) in xr.iter_mut().enumerate() {
                *v = if mask[j] { 1.0 } else { 0.0 } - z_last;
            }
            for i in 0..last {
                if xr[i] == 0.0 {
                    continue;
                }
                for k in 0..last {
                    a[i * last + k] += w * xr[i] * xr[k];
                }
            }
        }
        let lu = Lu::factor(a, last).ok_or(ShapError::Singular {
            features: m,
            coalitions: masks.len(),
        })?;
        Ok(Plan { masks, weights, lu })
    }
}

/// Coalition masks and (unnormalised) kernel weights for `m ≥ 2` features.
fn coalitions(m: usize, num_samples: usize, seed: u64) -> (Vec<Vec<bool>>, Vec<f64>) {
    let mut masks = Vec::new();
    let mut weights = Vec::new();
    let all = u32::try_from(m)
        .ok()
        .and_then(|mm| 1u64.checked_shl(mm))
        .map(|p| p - 2);
    if let Some(total) = all {
        if total <= num_samples as u64 {
            for bits in 1..=total {
                let mask: Vec<bool> = (0..m).map(|j| bits >> j & 1 == 1).collect();
                let s = mask.iter().filter(|&&b| b).count();
                weights.push((m - 1) as f64 / (binomial(m, s) * (s * (m - s)) as f64));
                masks.push(mask);
            }
            return (masks, weights);
        }
    }

    // sizes in complementary pairs (s, m − s), s = 1..=m/2, with their share of the kernel
    // weight: each size s carries (m−1)/(s(m−s)) in total
    let sizes: Vec<(usize, bool, f64)> = (1..=m / 2)
        .map(|s| {
            let paired = s != m - s;
            let w = (m - 1) as f64 / (s * (m - s)) as f64;
            (s, paired, if paired { 2.0 * w } else { w })
        })
        .collect();
    let total_mass: f64 = sizes.iter().map(|t| t.2).sum();
    let mut budget = num_samples as f64;
    let mut mass_left = 1.0;
    let mut next = 0;
    while next < sizes.len() {
        let (s, paired, mass) = sizes[next];
        let mass = mass / total_mass;
        let count = binomial(m, s) * if paired { 2.0 } else { 1.0 };
        if budget * mass / mass_left + 1e-9 < count {
            break;
        }
        let w = mass / count;
        for_each_subset(m, s, |mask| {
            if paired {
                masks.push(mask.iter().map(|b| !b).collect());
                weights.push(w);
            }
            masks.push(mask.to_vec());
            weights.push(w);
        });
        budget -= count;
        mass_left -= mass;
        next += 1;
    }
    let rest = &sizes[next..];
    let draws = (budget / 2.0).floor() as usize;
    if rest.is_empty() || draws == 0 {
        return (masks, weights);
    }
    let rest_mass: f64 = rest.iter().map(|t| t.2).sum();
    let mut rng = Xoshiro256::new(seed ^ (m as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut index: HashMap<Vec<bool>, usize> = HashMap::new();
    let mut sampled: Vec<(Vec<bool>, u64)> = Vec::new();
    let mut perm: Vec<usize> = (0..m).collect();
    let mut add = |mask: Vec<bool>| match index.get(&mask) {
        Some(&i) => sampled[i].1 += 1,
        None => {
            index.insert(mask.clone(), sampled.len());
            sampled.push((mask, 1));
        }
    };
    for _ in 0..draws {
        let mut u = rng.next_f64() * rest_mass;
        let mut s = rest[rest.len() - 1].0;
        for &(size, _, mass) in rest {
            if u < mass {
                s = size;
                break;
            }
            u -= mass;
        }
        // partial Fisher–Yates: the first s entries of `perm` are a uniform s-subset
        for i in 0..s {
            let j = i + rng.below(m - i);
            perm.swap(i, j);
        }
        let mut mask = vec![false; m];
        for &j in &perm[..s] {
            mask[j] = true;
        }
        add(mask.iter().map(|b| !b).collect());
        add(mask);
    }
    let total_draws = (2 * draws) as f64;
    for (mask, count) in sampled {
        masks.push(mask);
        weights.push(mass_left * count as f64 / total_draws);
    }
    (masks, weights)
}

/// Calls `f` with every `k`-subset of `0..n` as a mask, in lexicographic order.
fn for_each_subset(n: usize, k: usize, mut f: impl FnMut(&[bool])) {
    let mut idx: Vec<usize> = (0..k).collect();
    let mut mask = vec![false; n];
    loop {
        mask.iter_mut().for_each(|b| *b = false);
        for &i in &idx {
            mask[i] = true;
        }
        f(&mask);
        // advance to the next combination
        let mut i = k;
        loop {
            if i == 0 {
                return;
            }
            i -= 1;
            if idx[i] < n - k + i {
                idx[i] += 1;
                for t in i + 1..k {
                    idx[t] = idx[t - 1] + 1;
                }
                break;
            }
            if i == 0 {
                return;
            }
        }
    }
}

/// xoshiro256** (Blackman & Vigna 2018), seeded with splitmix64. Used instead of an external
/// RNG so coalition samples never change with a dependency upgrade.
#[derive(Debug, Clone)]
struct Xoshiro256 {
    s: [u64; 4],
}

impl Xoshiro256 {
    fn new(seed: u64) -> Self {
        let mut state = seed;
        let mut next = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Xoshiro256 {
            s: [next(), next(), next(), next()],
        }
    }

    fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (`n ≥ 1`) by the widening multiply; bias ≤ n/2⁶⁴.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// LU factorisation with partial pivoting of a dense `n × n` matrix (row-major).
#[derive(Debug, Clone)]
struct Lu {
    n: usize,
    a: Vec<f64>,
    perm: Vec<usize>,
}

impl Lu {
    /// `None` if a pivot is below `1e-12 ·` the largest entry (numerically singular).
    fn factor(mut a: Vec<f64>, n: usize) -> Option<Lu> {
        let scale = a.iter().fold(0.0f64, |s, v| s.max(v.abs()));
        if n > 0 && scale == 0.0 {
            return None;
        }
        let mut perm: Vec<usize> = (0..n).collect();
        for k in 0..n {
            let p = (k..n).max_by(|&i, &j| a[i * n + k].abs().total_cmp(&a[j * n + k].abs()))?;
            if a[p * n + k].abs() <= 1e-12 * scale {
                return None;
            }
            if p != k {
                for c in 0..n {
                    a.swap(k * n + c, p * n + c);
                }
                perm.swap(k, p);
            }
            let pivot = a[k * n + k];
            for i in k + 1..n {
                let f = a[i * n + k] / pivot;
                a[i * n + k] = f;
                if f != 0.0 {
                    for c in k + 1..n {
                        a[i * n + c] -= f * a[k * n + c];
                    }
                }
            }
        }
        Some(Lu { n, a, perm })
    }

    fn solve(&self, b: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut y: Vec<f64> = self.perm.iter().map(|&p| b[p]).collect();
        // forward substitution with the unit lower triangle
        for i in 0..n {
            let row = &self.a[i * n..i * n + i];
            let s: f64 = row.iter().zip(&y[..i]).map(|(l, v)| l * v).sum();
            y[i] -= s;
        }
        // back substitution with the upper triangle
        for i in (0..n).rev() {
            let row = &self.a[i * n + i + 1..(i + 1) * n];
            let s: f64 = row.iter().zip(&y[i + 1..]).map(|(u, v)| u * v).sum();
            y[i] = (y[i] - s) / self.a[i * n + i];
        }
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsets_enumerate_binomial_many_in_order() {
        let mut seen = Vec::new();
        for_each_subset(5, 2, |m| seen.push(m.to_vec()));
        assert_eq!(seen.len(), 10);
        assert_eq!(seen[0], vec![true, true, false, false, false]);
        assert_eq!(seen[9], vec![false, false, false, true, true]);
        let mut one = 0;
        for_each_subset(3, 3, |_| one += 1);
        assert_eq!(one, 1);
        assert_eq!(binomial(10, 3), 120.0);
    }

    #[test]
    fn full_enumeration_when_budget_allows() {
        let (masks, weights) = coalitions(4, 14, 7);
        assert_eq!(masks.len(), 14);
        // π(|z| = 1) = 3/(4·1·3) = 0.25, π(|z| = 2) = 3/(6·2·2) = 0.125
        assert_eq!(weights[0], 0.25);
        assert_eq!(weights[2], 0.125); // bits 0b11
    }

    #[test]
    fn hybrid_plan_enumerates_small_sizes_and_samples_the_rest() {
        let m = 10;
        let (masks, weights) = coalitions(m, 100, 3);
        // sizes 1 and 9: 20 coalitions, enumerated completely
        let ones = masks
            .iter()
            .filter(|z| z.iter().filter(|&&b| b).count() == 1)
            .count();
        assert_eq!(ones, 10);
        assert!(masks.len() <= 100);
        let total: f64 = weights.iter().sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        // deterministic
        let (masks2, weights2) = coalitions(m, 100, 3);
        assert_eq!(masks, masks2);
        assert_eq!(weights, weights2);
    }

    #[test]
    fn lu_solves_and_detects_singularity() {
        let lu = Lu::factor(vec![0.0, 2.0, 1.0, 1.0], 2).unwrap();
        let x = lu.solve(&[4.0, 3.0]);
        assert!((x[0] - 1.0).abs() < 1e-15 && (x[1] - 2.0).abs() < 1e-15);
        assert!(Lu::factor(vec![1.0, 2.0, 2.0, 4.0], 2).is_none());
    }

    #[test]
    fn rng_is_reproducible() {
        let mut a = Xoshiro256::new(42);
        let mut b = Xoshiro256::new(42);
        for _ in 0..10 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let v = a.next_f64();
        assert!((0.0..1.0).contains(&v));
        assert!(a.below(7) < 7);
    }
}
