//! Issue 13 "must be true" 8: the merged state of any split of a window gives the same
//! decision and the same figures as the whole window, for the checks added after the
//! univariate policy (whose own split property is in `drift_policy.rs`): multivariate drift,
//! prediction drift, label drift (classification) and the model-quality intervals.
//!
//! Windows stay below 2,000 records, where the KLL sketches have not compacted and merge
//! exactly; counts merge exactly at any size; moments merge in another summation order, so
//! figures derived from them are compared to [`REL`] (1e-12 relative).

use std::sync::OnceLock;

use drift_math::moments::Moments;
use monitor_core::app::baseline::build;
use monitor_core::config::MonitorConfig;
use monitor_core::data_quality::checks::{check_data_quality, Baseline, CheckReport};
use monitor_core::data_quality::dataset::{DatasetFormat, NoProgress};
use monitor_core::data_quality::multivariate::{
    evaluate, fit_from_dataset, Fitted, MultivariateDrift, RowScorer,
};
use monitor_core::data_quality::prediction;
use monitor_core::data_quality::profile::DatasetProfile;
use monitor_core::formats::model_quality::{suggest_constraints, ProblemType};
use monitor_core::model_quality::intervals::{
    check_with_intervals, window_interval, IntervalsBlock,
};
use monitor_core::model_quality::label_drift::{self, LabelDriftBlock};
use monitor_core::model_quality::{QualityOptions, QualityState};
use proptest::prelude::*;
use rand::{rngs::StdRng, Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

/// Relative tolerance of figures computed from merged moments (summation order only).
const REL: f64 = 1e-12;

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= REL * a.abs().max(b.abs())
}

fn close_opt(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => close(a, b),
        (a, b) => a == b,
    }
}

/// The columns: the model's output `score` first (SageMaker's order), then inputs `a`, `b`
/// (correlated) and `c`.
const COLUMNS: [&str; 4] = ["score", "a", "b", "c"];

/// `n` rows; `a`/`b` standard normals with correlation `rho`, `c` independent, and `score`
/// a logistic function of `a` shifted by `score_shift`.
fn rows(n: usize, rho: f64, score_shift: f64, seed: u64) -> Vec<[f64; 4]> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let (a, e, c): (f64, f64, f64) = (
                StandardNormal.sample(&mut rng),
                StandardNormal.sample(&mut rng),
                StandardNormal.sample(&mut rng),
            );
            let b = rho * a + (1.0 - rho * rho).sqrt() * e;
            let score = 1.0 / (1.0 + (-(a + score_shift)).exp());
            [score, a, b, c]
        })
        .collect()
}

/// A 2,000-row data-quality baseline with the drift policy and the multivariate block
/// (`a`/`b` correlated at 0.8), built once.
fn dq_baseline() -> &'static Baseline {
    static B: OnceLock<Baseline> = OnceLock::new();
    B.get_or_init(|| {
        let mut csv = COLUMNS.join(",") + "\n";
        for r in rows(2_000, 0.8, 0.0, 1) {
            csv.push_str(&format!("{},{},{},{}\n", r[0], r[1], r[2], r[3]));
        }
        let format = DatasetFormat::Csv { header: true };
        let mut out = build(csv.as_bytes(), "mem", format, &mut NoProgress).unwrap();
        let fitted = fit_from_dataset(|| Ok(csv.as_bytes()), "mem", format, &out.profile).unwrap();
        assert!(matches!(fitted, Fitted::Block(_)), "{fitted:?}");
        fitted.write(&mut out.constraints);
        Baseline::from_json(
            "s",
            out.statistics.to_json().as_bytes(),
            "c",
            out.constraints.to_json().as_bytes(),
        )
        .unwrap()
    })
}

/// The partial profile ingest would keep for `rows`: every column observed as captured text,
/// and each record's reconstruction error in the mergeable moments.
fn profile(baseline: &Baseline, rows: &[[f64; 4]]) -> DatasetProfile {
    let names: Vec<String> = COLUMNS.iter().map(|s| s.to_string()).collect();
    let mut p = DatasetProfile::new(&names, |n| baseline.tracking(n));
    let mut scorer = RowScorer::new(baseline.multivariate().unwrap(), &names);
    for r in rows {
        let text: Vec<String> = r.iter().map(|x| x.to_string()).collect();
        for (f, t) in p.features.iter_mut().zip(&text) {
            f.observe(t);
        }
        p.item_count += 1;
        *p.column_counts.entry(COLUMNS.len()).or_default() += 1;
        if let Some(e) = scorer.score(|i| text.get(i).map(String::as_str)) {
            p.reconstruction_error
                .get_or_insert_with(Moments::new)
                .update(e);
        }
    }
    p
}

/// Cut points of `0..n` from arbitrary values (0 to 5 cuts, duplicates give empty parts).
fn parts(n: usize, cuts: Vec<usize>) -> Vec<(usize, usize)> {
    let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (n + 1)).collect();
    cuts.push(0);
    cuts.push(n);
    cuts.sort_unstable();
    cuts.windows(2).map(|w| (w[0], w[1])).collect()
}

fn same_multivariate(a: &MultivariateDrift, b: &MultivariateDrift) -> bool {
    a.violated == b.violated
        && a.records == b.records
        && (a.features, a.components) == (b.features, b.components)
        && close(a.reconstruction_error, b.reconstruction_error)
        && close(a.baseline_error, b.baseline_error)
        && close_opt(a.lower, b.lower)
        && close_opt(a.upper, b.upper)
        && (a.band_chunk_size, a.band_chunks) == (b.band_chunk_size, b.band_chunks)
}

/// The prediction-drift figures of a report: per output metric (name, value), and the
/// output's policy verdict, p-value and effect.
fn prediction_figures(cfg: &MonitorConfig, r: &CheckReport) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = prediction::metrics(cfg, r, chrono::DateTime::UNIX_EPOCH)
        .into_iter()
        .filter_map(|m| match m.value {
            monitor_core::metrics::MetricValue::Value(v) => Some((m.name, v)),
            _ => None,
        })
        .collect();
    for t in r.policy.iter().filter(|t| t.feature == "score") {
        out.push((format!("{:?} effect", t.check), t.effect));
        out.push((format!("{:?} p", t.check), t.p_value));
    }
    out
}

/// The binary-classification joined state of `labels` (actual, score), keyed `r{first + i}`
/// as the whole window keys them (the keys pick the replicates); predicted `score > 0.5`.
fn quality(first: usize, labels: &[(bool, f64)]) -> QualityState {
    let options = QualityOptions {
        problem_type: ProblemType::BinaryClassification,
        positive_label: "1".into(),
    };
    let mut s = QualityState::new(ProblemType::BinaryClassification);
    for (i, (actual, score)) in labels.iter().enumerate() {
        let predicted = if *score > 0.5 { "1" } else { "0" };
        s.add(
            &format!("r{}", first + i),
            if *actual { "1" } else { "0" },
            Some(predicted),
            Some(*score),
            &options,
        )
        .unwrap();
    }
    s
}

/// `n` records: positive with probability `p_pos`, a score of 0.7 (positive) or 0.3 plus
/// uniform noise of width `noise`.
fn labelled(n: usize, p_pos: f64, noise: f64, seed: u64) -> Vec<(bool, f64)> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let actual = rng.random::<f64>() < p_pos;
            let base = if actual { 0.7 } else { 0.3 };
            let score = (base + noise * (rng.random::<f64>() - 0.5)).clamp(0.0, 1.0);
            (actual, (score * 1e6).round() / 1e6)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Multivariate and prediction drift: the window's profile merged from any split has the
    /// whole window's verdicts and figures (the reconstruction-error moments, the band, the
    /// output's policy test and its `prediction_drift_score` metric).
    #[test]
    fn multivariate_and_prediction_drift_merge_to_the_whole_window(
        n in 30usize..1500,
        rho in prop::sample::select(vec![0.8, 0.3, -0.8]),
        score_shift in prop::sample::select(vec![0.0, 0.3]),
        seed in 0u64..1_000_000,
        cuts in proptest::collection::vec(0usize..1500, 0..6),
    ) {
        let b = dq_baseline();
        let data = rows(n, rho, score_shift, seed);
        let whole = profile(b, &data);
        let mut merged = b.empty_profile();
        for (lo, hi) in parts(n, cuts) {
            merged.merge(&profile(b, &data[lo..hi]));
        }
        let block = b.multivariate().unwrap();
        let (x, y) = (evaluate(block, &whole).unwrap(), evaluate(block, &merged).unwrap());
        prop_assert!(same_multivariate(&x, &y), "{:?} vs {:?}", x, y);
        let cfg = MonitorConfig::from_json(
            "k",
            br#"{"name": "dq", "endpoint": "ep", "baseline_prefix": "b", "capture": {"output_columns": 1}}"#,
        )
        .unwrap();
        let (rw, rm) = (check_data_quality(b, &whole), check_data_quality(b, &merged));
        let verdicts = |r: &CheckReport| -> Vec<String> {
            r.policy.iter().map(|t| format!("{} {:?} {:?}", t.feature, t.check, t.decision)).collect()
        };
        prop_assert_eq!(verdicts(&rw), verdicts(&rm));
        let (fw, fm) = (prediction_figures(&cfg, &rw), prediction_figures(&cfg, &rm));
        prop_assert_eq!(fw.len(), fm.len());
        prop_assert!(!fw.is_empty());
        for ((ka, va), (kb, vb)) in fw.iter().zip(&fm) {
            prop_assert_eq!(ka, kb);
            prop_assert!(close(*va, *vb), "{} {} vs {}", ka, va, vb);
        }
        let marked = |r: &CheckReport| {
            let mut r = r.clone();
            prediction::mark(&cfg, &mut r);
            r.violations.violations.iter().map(|v| (v.feature_name.clone(), v.extra.get(prediction::CHECK_KEY).cloned())).collect::<Vec<_>>()
        };
        prop_assert_eq!(marked(&rw), marked(&rm));
    }

    /// Label drift (classification) and the model-quality intervals: the joined state merged
    /// from any split has the whole window's statistics, label-drift verdict and figures,
    /// window intervals and violations.
    #[test]
    fn label_drift_and_intervals_merge_to_the_whole_window(
        n in 30usize..1500,
        p_pos in prop::sample::select(vec![0.3, 0.45]),
        noise in prop::sample::select(vec![0.5, 0.9]),
        seed in 0u64..1_000_000,
        cuts in proptest::collection::vec(0usize..1500, 0..6),
    ) {
        let base_stats = quality(0, &labelled(3_000, 0.3, 0.5, 7)).to_statistics();
        let mut constraints = suggest_constraints(&base_stats);
        IntervalsBlock::of(&base_stats).write(&mut constraints);
        LabelDriftBlock::of(base_stats.confusion_matrix().unwrap()).write(&mut constraints);
        let intervals = IntervalsBlock::read(&constraints).unwrap().unwrap();
        let labels = LabelDriftBlock::read(&constraints).unwrap().unwrap();

        let data = labelled(n, p_pos, noise, seed);
        let whole = quality(0, &data).to_statistics();
        let mut merged = QualityState::new(ProblemType::BinaryClassification);
        for (lo, hi) in parts(n, cuts) {
            prop_assert!(merged.merge(&quality(lo, &data[lo..hi])));
        }
        let merged = merged.to_statistics();

        let (dw, dm) = (
            label_drift::evaluate(&labels, whole.confusion_matrix().unwrap()).unwrap(),
            label_drift::evaluate(&labels, merged.confusion_matrix().unwrap()).unwrap(),
        );
        prop_assert_eq!(&dw.decision, &dm.decision);
        prop_assert_eq!((dw.records, dw.classes), (dm.records, dm.classes));
        prop_assert!(close(dw.effect, dm.effect) && close(dw.p_value, dm.p_value), "{:?} vs {:?}", dw, dm);
        prop_assert_eq!(dw.violation().is_some(), dm.violation().is_some());

        for (key, _) in constraints.constraints() {
            let (a, b) = (window_interval(&whole, key), window_interval(&merged, key));
            prop_assert_eq!(a.is_some(), b.is_some(), "{}", key);
            if let (Some(a), Some(b)) = (a, b) {
                prop_assert!(close(a.lower, b.lower) && close(a.upper, b.upper), "{}: {:?} vs {:?}", key, a, b);
            }
        }
        let names = |s| -> Vec<String> {
            check_with_intervals(s, &constraints, &intervals)
                .violations
                .iter()
                .map(|v| v.metric_name.clone())
                .collect()
        };
        prop_assert_eq!(names(&whole), names(&merged));
    }
}
