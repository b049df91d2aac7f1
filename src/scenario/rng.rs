//! Deterministic randomness: SplitMix64 seeding, the per-stream generator and UUIDs.

use super::*;

pub(super) const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
pub(super) const STREAM_BASELINE: u64 = 1;
pub(super) const STREAM_ROWS: u64 = 2;
pub(super) const STREAM_DRIFT: u64 = 3;
pub(super) const STREAM_EVENTS: u64 = 4;
pub(super) const STREAM_FILES: u64 = 5;
pub(super) const STREAM_LABELS: u64 = 6;
pub(super) const STREAM_VALIDATION: u64 = 7;
pub(super) const STREAM_LABEL_LOSS: u64 = 8;
pub(super) const STREAM_LABEL_DELAY: u64 = 9;

/// SplitMix64 (Steele, Lea & Flood 2014; constants from Vigna's reference `splitmix64.c`).
pub(super) struct SplitMix64(pub(super) u64);

impl SplitMix64 {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// 53 high bits of `x` as a uniform in [0, 1).
pub(super) fn to_unit(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// xoshiro256** (Blackman & Vigna 2018) with distribution helpers.
pub(super) struct Rng {
    pub(super) s: [u64; 4],
    pub(super) spare_normal: Option<f64>,
}

impl Rng {
    /// The generator of stream `tag`, index `index` of `seed`: state filled by SplitMix64
    /// from a key mixing the three (never all-zero: SplitMix64 outputs are a bijection of
    /// distinct counters).
    pub(super) fn stream(seed: u64, tag: u64, index: u64) -> Self {
        let root = SplitMix64(seed).next();
        let key = root
            ^ tag.wrapping_mul(GOLDEN)
            ^ index.wrapping_add(1).wrapping_mul(0xD6E8_FEB8_6659_FD93);
        let mut sm = SplitMix64(key);
        Self {
            s: [sm.next(), sm.next(), sm.next(), sm.next()],
            spare_normal: None,
        }
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    pub(super) fn unit(&mut self) -> f64 {
        to_unit(self.next_u64())
    }

    /// Uniform integer in `0..n` (multiply-shift; bias < n / 2⁶⁴).
    pub(super) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Standard normal by the Box–Muller transform `√(−2 ln u₁)·(cos 2πu₂, sin 2πu₂)`,
    /// keeping the second value for the next call.
    pub(super) fn normal(&mut self) -> f64 {
        if let Some(v) = self.spare_normal.take() {
            return v;
        }
        let u1 = 1.0 - self.unit(); // (0, 1]: ln is finite
        let u2 = self.unit();
        let r = (-2.0 * u1.ln()).sqrt();
        let theta = std::f64::consts::TAU * u2;
        self.spare_normal = Some(r * theta.sin());
        r * theta.cos()
    }

    /// Exponential with mean `mean` by inversion `−mean·ln(1 − u)`.
    pub(super) fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }

    /// Poisson(λ) by Knuth's product of uniforms (fine for small λ); capped at 64 terms.
    pub(super) fn poisson(&mut self, lambda: f64) -> u32 {
        let limit = (-lambda).exp();
        let mut product = self.unit();
        let mut k = 0;
        while product > limit && k < 64 {
            product *= self.unit();
            k += 1;
        }
        k
    }

    /// Index drawn with probability proportional to `weights`.
    pub(super) fn choose(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut u = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if u < *w {
                return i;
            }
            u -= w;
        }
        weights.len().saturating_sub(1)
    }
}

/// A random (version 4, RFC 9562 §5.4) UUID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Uuid(pub(super) u128);

impl Uuid {
    pub(super) fn random(rng: &mut Rng) -> Self {
        let raw = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
        // version nibble 0100 (bits 76–79), variant 10 (bits 62–63)
        let v4 = (raw & !(0xFu128 << 76) & !(0x3u128 << 62)) | (0x4u128 << 76) | (0x2u128 << 62);
        Self(v4)
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        write!(
            f,
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            (v >> 96) as u32,
            (v >> 80) as u16,
            (v >> 64) as u16,
            (v >> 48) as u16,
            v & 0xFFFF_FFFF_FFFF
        )
    }
}
