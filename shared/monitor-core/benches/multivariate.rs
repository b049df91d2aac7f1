//! Error rates of the multivariate drift check (PCA reconstruction error, issue 13 item 4):
//! `cargo bench -p monitor-core --bench multivariate` (`-- --seeds N`).
//!
//! Per seed a fresh 50,000-record baseline of four standard-normal features is fitted the way
//! `modelwatch baseline` fits it (PCA over the standardised features, 65 % of the variance,
//! chunk band); `a` and `b` have correlation 0.8, `c` and `d` are independent. Windows of 100,
//! 1k, 10k and 100k records (every marginal N(0, 1) in every scenario):
//!
//! - `none`: the baseline's correlation; the share of windows flagged (false alarms);
//! - `weaker`: correlation 0.8 → 0.6;
//! - `flip`: correlation 0.8 → −0.8;
//! - `none+shift`: no correlation change, every feature shifted by 0.1 SD (what the univariate
//!   checks are for; shows how much the multivariate check reacts to a mean shift).
//!
//! Records are scored by the same `RowScorer` ingest uses and judged by `evaluate`.

use drift_math::moments::Moments;
use monitor_core::data_quality::multivariate::{evaluate, NumericFeatures, RowScorer};
use monitor_core::data_quality::profile::{DatasetProfile, Tracking};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

const BASELINE_ROWS: usize = 50_000;
const NAMES: [&str; 4] = ["a", "b", "c", "d"];
const RHO: f64 = 0.8;

fn row(rng: &mut StdRng, rho: f64, shift: f64) -> [f64; 4] {
    let mut z = || -> f64 { StandardNormal.sample(rng) };
    let (a, e, c, d) = (z(), z(), z(), z());
    [a, rho * a + (1.0 - rho * rho).sqrt() * e, c, d].map(|x| x + shift)
}

fn text(r: &[f64; 4]) -> [String; 4] {
    r.map(|x| x.to_string())
}

fn main() {
    let seeds: u64 = std::env::args()
        .skip_while(|a| a != "--seeds")
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let sizes = [100usize, 1_000, 10_000, 100_000];
    let scenarios: [(&str, f64, f64); 4] = [
        ("none", RHO, 0.0),
        ("weaker (0.8 → 0.6)", 0.6, 0.0),
        ("flip (0.8 → −0.8)", -RHO, 0.0),
        ("none+shift 0.1 SD", RHO, 0.1),
    ];
    let mut flagged = vec![vec![0u64; sizes.len()]; scenarios.len()];
    let started = std::time::Instant::now();
    let names: Vec<String> = NAMES.map(String::from).to_vec();
    for seed in 0..seeds {
        let mut rng = StdRng::seed_from_u64(seed);
        let base: Vec<[f64; 4]> = (0..BASELINE_ROWS)
            .map(|_| row(&mut rng, RHO, 0.0))
            .collect();
        let mut profile = DatasetProfile::new(&names, |_| Tracking::ALL);
        for r in &base {
            for (f, v) in profile.features.iter_mut().zip(text(r)) {
                f.observe(&v);
            }
            profile.item_count += 1;
        }
        let features = NumericFeatures::of(&profile).expect("four numeric features");
        let values = |f: &mut dyn FnMut(&[Option<f64>])| {
            for r in &base {
                f(&r.map(Some));
            }
            Ok(())
        };
        let pca = features.fit("bench", values).expect("pca");
        let block = features
            .block(pca, BASELINE_ROWS as u64, values)
            .expect("block");
        let mut scorer = RowScorer::new(&block, &names);
        for (s, &(_, rho, shift)) in scenarios.iter().enumerate() {
            for (k, &n) in sizes.iter().enumerate() {
                let mut window = DatasetProfile::new(&names, |_| Tracking::ALL);
                let mut m = Moments::new();
                for _ in 0..n {
                    let t = text(&row(&mut rng, rho, shift));
                    if let Some(e) = scorer.score(|i| t.get(i).map(String::as_str)) {
                        m.update(e);
                    }
                }
                window.reconstruction_error = Some(m);
                if evaluate(&block, &window).is_some_and(|d| d.violated) {
                    flagged[s][k] += 1;
                }
            }
        }
    }
    println!("| scenario: windows flagged | 100 | 1k | 10k | 100k |");
    println!("|---|---|---|---|---|");
    for (s, (name, _, _)) in scenarios.iter().enumerate() {
        let cells: Vec<String> = flagged[s]
            .iter()
            .map(|&c| format!("{:.1} %", 100.0 * c as f64 / seeds as f64))
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    }
    println!(
        "\n{seeds} seeds, 50,000-record baselines, {:.1?}",
        started.elapsed()
    );
}
