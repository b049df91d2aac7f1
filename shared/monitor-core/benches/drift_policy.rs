//! Error rates of modelwatch's drift policy against SageMaker's rule (issue 13, goal 3):
//! `cargo bench -p monitor-core --bench drift_policy` (`-- --seeds N`, `-- --million` adds
//! 1,000,000-record windows).
//!
//! Per seed a fresh 50,000-record baseline of four features is profiled and checked twice, with
//! the constraints `modelwatch baseline` writes (policy block) and with SageMaker's (no block):
//!
//! - `num`  Fractional N(0, 1); `num2` Fractional N(10, 3);
//! - `cat`  String with shares 40/30/20/10 % over `a`..`d`;
//! - `miss` Fractional N(0, 1) with 8 % missing values (in the baseline and every window).
//!
//! Scenarios, one window per seed and size (100, 1k, 10k, 100k records):
//!
//! - `none`: no drift; the share of feature-windows with any violation (all checks), and of
//!   `miss` windows with a completeness violation (the 8 %-missing baseline);
//! - `shift`: `num` shifted by 0.1 SD; the share of windows whose `num` has a drift violation;
//! - `share`: `cat` at 45/30/20/5 % (a 5-point share change); the share of windows whose `cat`
//!   has a drift violation.
//!
//! With `-- --regimes`, the baseline is not i.i.d.: it is ten blocks of 5,000 records whose
//! `num` mean is offset by a draw of N(0, 0.1²) each (a training set gathered over ten
//! periods), and each window gets a fresh offset of its own: a healthy window from a new
//! period. This is the case chunk bands (NannyML's per-chunk variability) are for; the
//! `none` row then counts how often the tests call that period-to-period variation drift.
//!
//! `-- --numeric-floor X` sets the policy block's `numerical_effect_floor` (default 0.05), the
//! knob a user of such a baseline turns instead of a band.
//!
//! The windows go through the same `Baseline` / `DatasetProfile` / `check_data_quality` calls
//! as a tick; values are fed to the profile directly (no text formatting), which is what the
//! capture parser does after it has read them.

use drift_math::policy::Decision;
use drift_math::types::ValueClass;
use monitor_core::data_quality::checks::{check_data_quality, Baseline, CheckReport};
use monitor_core::data_quality::profile::{DatasetProfile, Tracking};
use monitor_core::data_quality::suggest::{suggest_constraints, suggest_sagemaker_constraints};
use monitor_core::formats::violations::CheckType;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

const BASELINE_ROWS: usize = 50_000;
const FEATURES: [&str; 4] = ["num", "num2", "cat", "miss"];
const CATEGORIES: [&str; 4] = ["a", "b", "c", "d"];
const BASE_SHARES: [f64; 4] = [0.4, 0.3, 0.2, 0.1];
const SHIFTED_SHARES: [f64; 4] = [0.45, 0.3, 0.2, 0.05];
const MISSING_SHARE: f64 = 0.08;

#[derive(Clone, Copy, PartialEq)]
enum Scenario {
    None,
    Shift,
    Share,
}

/// Feeds `rows` generated records into `p` (features in `FEATURES` order).
fn fill(p: &mut DatasetProfile, rows: usize, scenario: Scenario, offset: f64, rng: &mut StdRng) {
    let n01 = Normal::new(0.0, 1.0).expect("valid normal");
    let mean = offset
        + if scenario == Scenario::Shift {
            0.1
        } else {
            0.0
        };
    let shares = if scenario == Scenario::Share {
        SHIFTED_SHARES
    } else {
        BASE_SHARES
    };
    for _ in 0..rows {
        let number = |f: &mut monitor_core::data_quality::profile::FeatureProfile, x: f64| {
            f.types.add(ValueClass::Fractional);
            f.moments.update(x);
            f.kll.update(x);
        };
        number(&mut p.features[0], mean + n01.sample(rng));
        number(&mut p.features[1], 10.0 + 3.0 * n01.sample(rng));
        let u: f64 = rng.random();
        let mut acc = 0.0;
        let mut cat = CATEGORIES[3];
        for (c, s) in CATEGORIES.iter().zip(shares) {
            acc += s;
            if u < acc {
                cat = c;
                break;
            }
        }
        p.features[2].observe(cat);
        if rng.random::<f64>() < MISSING_SHARE {
            p.features[3].observe_null();
        } else {
            number(&mut p.features[3], n01.sample(rng));
        }
        p.item_count += 1;
        *p.column_counts.entry(FEATURES.len()).or_default() += 1;
    }
}

fn tracking(name: &str) -> Tracking {
    Tracking {
        numeric: name != "cat",
        categorical: name == "cat",
    }
}

/// SD of the per-period offset of `num`'s mean under `--regimes`.
const REGIME_SD: f64 = 0.1;

/// Periods of the baseline under `--regimes`.
const REGIMES: usize = 10;

/// A period's offset of `num`'s mean: 0 without `--regimes`.
fn offset(regimes: bool, rng: &mut StdRng) -> f64 {
    if regimes {
        REGIME_SD * Normal::new(0.0, 1.0).expect("valid normal").sample(rng)
    } else {
        0.0
    }
}

/// Baselines with and without the policy block, from one 50k-record profile.
fn baselines(regimes: bool, floor: Option<f64>, rng: &mut StdRng) -> (Baseline, Baseline) {
    let names: Vec<String> = FEATURES.iter().map(|s| s.to_string()).collect();
    let mut p = DatasetProfile::new(&names, tracking);
    let blocks = if regimes { REGIMES } else { 1 };
    for _ in 0..blocks {
        let o = offset(regimes, rng);
        fill(&mut p, BASELINE_ROWS / blocks, Scenario::None, o, rng);
    }
    let stats = p.to_statistics();
    let mut constraints = suggest_constraints(&p);
    if let Some(floor) = floor {
        let mut policy = constraints
            .drift_policy()
            .ok()
            .flatten()
            .expect("the policy block");
        policy.numerical_effect_floor = floor;
        constraints.set_drift_policy(Some(&policy));
    }
    let policy = Baseline::new(stats.clone(), constraints, "bench").expect("baseline");
    let sagemaker =
        Baseline::new(stats, suggest_sagemaker_constraints(&p), "bench").expect("baseline");
    (policy, sagemaker)
}

fn flagged(r: &CheckReport, feature: &str, check: Option<CheckType>) -> bool {
    r.violations
        .violations
        .iter()
        .any(|v| v.feature_name == feature && check.is_none_or(|c| v.constraint_check_type == c))
}

fn lacks_power(r: &CheckReport, feature: &str, check: CheckType) -> bool {
    r.policy
        .iter()
        .any(|t| t.feature == feature && t.check == check && t.decision == Decision::LacksPower)
}

/// Counts over the seeds of one (scenario, size) cell.
#[derive(Default)]
struct Cell {
    windows: u64,
    policy: u64,
    sagemaker: u64,
    lacks_power: u64,
    miss_policy: u64,
    miss_sagemaker: u64,
}

fn pct(n: u64, d: u64) -> String {
    format!("{:.1} %", 100.0 * n as f64 / d.max(1) as f64)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seeds: u64 = args
        .iter()
        .position(|a| a == "--seeds")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let mut sizes = vec![100usize, 1_000, 10_000, 100_000];
    if args.iter().any(|a| a == "--million") {
        sizes.push(1_000_000);
    }
    let regimes = args.iter().any(|a| a == "--regimes");
    let floor: Option<f64> = args
        .iter()
        .position(|a| a == "--numeric-floor")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok());
    let scenarios = [
        (Scenario::None, "none"),
        (Scenario::Shift, "shift 0.1 SD"),
        (Scenario::Share, "share 5 pt"),
    ];
    let started = std::time::Instant::now();
    let mut cells: Vec<Vec<Cell>> = scenarios
        .iter()
        .map(|_| sizes.iter().map(|_| Cell::default()).collect())
        .collect();
    for seed in 0..seeds {
        let mut rng = StdRng::seed_from_u64(seed);
        let (with_policy, sagemaker) = baselines(regimes, floor, &mut rng);
        for (si, (scenario, _)) in scenarios.iter().enumerate() {
            for (zi, &size) in sizes.iter().enumerate() {
                let mut w = with_policy.empty_profile();
                let o = offset(regimes, &mut rng);
                fill(&mut w, size, *scenario, o, &mut rng);
                let rp = check_data_quality(&with_policy, &w);
                let rs = check_data_quality(&sagemaker, &w);
                let c = &mut cells[si][zi];
                c.windows += 1;
                match scenario {
                    Scenario::None => {
                        for f in FEATURES {
                            c.policy += u64::from(flagged(&rp, f, None));
                            c.sagemaker += u64::from(flagged(&rs, f, None));
                            c.lacks_power += u64::from(
                                lacks_power(&rp, f, CheckType::BaselineDriftCheck)
                                    || lacks_power(&rp, f, CheckType::CompletenessCheck),
                            );
                        }
                        let cc = Some(CheckType::CompletenessCheck);
                        c.miss_policy += u64::from(flagged(&rp, "miss", cc));
                        c.miss_sagemaker += u64::from(flagged(&rs, "miss", cc));
                    }
                    Scenario::Shift | Scenario::Share => {
                        let f = if *scenario == Scenario::Shift {
                            "num"
                        } else {
                            "cat"
                        };
                        let d = Some(CheckType::BaselineDriftCheck);
                        c.policy += u64::from(flagged(&rp, f, d));
                        c.sagemaker += u64::from(flagged(&rs, f, d));
                        c.lacks_power +=
                            u64::from(lacks_power(&rp, f, CheckType::BaselineDriftCheck));
                    }
                }
            }
        }
    }
    println!(
        "drift policy vs SageMaker's rule: {seeds} seeds, {BASELINE_ROWS}-record baseline{}, numeric floor {}, {:.0} s",
        if regimes {
            format!(" of {REGIMES} periods (`num` mean offset N(0, {REGIME_SD}²) per period and per window)")
        } else {
            String::new()
        },
        floor.unwrap_or(0.05),
        started.elapsed().as_secs_f64()
    );
    println!("| scenario | what is counted | records | policy | SageMaker | policy: lacks power |");
    println!("|---|---|---|---|---|---|");
    for (si, (scenario, label)) in scenarios.iter().enumerate() {
        for (zi, &size) in sizes.iter().enumerate() {
            let c = &cells[si][zi];
            let (what, denom) = match scenario {
                Scenario::None => ("feature-windows flagged (any check)", c.windows * 4),
                Scenario::Shift => ("`num` drift found", c.windows),
                Scenario::Share => ("`cat` drift found", c.windows),
            };
            println!(
                "| {label} | {what} | {size} | {} | {} | {} |",
                pct(c.policy, denom),
                pct(c.sagemaker, denom),
                pct(c.lacks_power, denom)
            );
        }
    }
    for (zi, &size) in sizes.iter().enumerate() {
        let c = &cells[0][zi];
        println!(
            "| none, 8 % missing in baseline | `miss` completeness violations | {size} | {} | {} | |",
            pct(c.miss_policy, c.windows),
            pct(c.miss_sagemaker, c.windows)
        );
    }
}
