//! KLL sketch cost alone (issue 16), for instruction counts under callgrind or wall time:
//!
//! ```text
//! cargo bench -p drift-math --bench kll -- update 1000000     # one stream of 10^6 values
//! cargo bench -p drift-math --bench kll -- merge 1000 1000    # 1,000 sketches of 1,000 values merged
//! valgrind --tool=callgrind <bench binary> update 1000000
//! ```
//!
//! Values come from SplitMix64 (Steele, Lea & Flood 2014), so every run sees the same input.

use std::time::Instant;

use drift_math::kll::KllSketch;

/// SplitMix64 as a uniform value in [0, 1000).
fn values(seed: u64, n: usize) -> impl Iterator<Item = f64> {
    let mut s = seed;
    (0..n).map(move |_| {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64 * 1000.0
    })
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let arg =
        |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    match args.first().map(String::as_str).unwrap_or("update") {
        "update" => {
            let n = arg(1, 1_000_000);
            let t = Instant::now();
            let mut s = KllSketch::new();
            values(7, n).for_each(|x| s.update(x));
            println!(
                "update of {n} values: {:.3} s, {} levels, weight {}",
                t.elapsed().as_secs_f64(),
                s.num_levels(),
                s.total_weight()
            );
        }
        "merge" => {
            let (parts, each) = (arg(1, 1_000), arg(2, 1_000));
            let sketches: Vec<KllSketch> = (0..parts)
                .map(|p| {
                    let mut s = KllSketch::new();
                    values(1_000 + p as u64, each).for_each(|x| s.update(x));
                    s
                })
                .collect();
            let t = Instant::now();
            let mut m = KllSketch::new();
            sketches.iter().for_each(|s| m.merge(s));
            println!(
                "merge of {parts} sketches of {each} values: {:.3} s, {} levels, weight {}",
                t.elapsed().as_secs_f64(),
                m.num_levels(),
                m.total_weight()
            );
        }
        other => panic!("unknown case {other} (update N | merge PARTS EACH)"),
    }
}
