//! `modelwatch baseline`: statistics.json + constraints.json from a training dataset.

use std::path::PathBuf;

use anyhow::Context;
use monitor_core::app::baseline;
use monitor_core::data_quality::dataset::DatasetFormat;

use super::progress::BytesBar;

mod many;

/// Dataset encodings on the command line.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    /// comma-separated values
    Csv,
    /// JSON Lines, one object per line
    Jsonl,
}

/// Arguments of `modelwatch baseline`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Training dataset file; or a directory, or a quoted glob ('data/*.csv'), of many files
    /// profiled on every core (MODELWATCH_THREADS) and merged in path order.
    #[arg(long)]
    dataset: PathBuf,
    /// The CSV's first row is a header (default).
    #[arg(long, overrides_with = "no_header")]
    header: bool,
    /// The CSV has no header: columns are named _c0, _c1, …
    #[arg(long)]
    no_header: bool,
    /// Dataset encoding.
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    /// Accepted for scripts written when the multivariate check was opt-in; it is now on by
    /// default (a no-op).
    #[arg(long, hide = true)]
    multivariate: bool,
    /// Skip the multivariate-drift PCA and its band (by default two more passes over the
    /// dataset write the `modelwatch_multivariate` block of constraints.json, issue 13 item 4).
    #[arg(long, conflicts_with = "multivariate")]
    no_multivariate: bool,
    /// Output directory for statistics.json and constraints.json.
    #[arg(long)]
    out: PathBuf,
    /// Model-quality baseline: BinaryClassification | MulticlassClassification | Regression
    /// (needs --ground-truth-attribute and --inference-attribute or --probability-attribute).
    #[arg(long)]
    problem_type: Option<String>,
    /// Column with the ground-truth label (model quality).
    #[arg(long)]
    ground_truth_attribute: Option<String>,
    /// Column with the predicted label (model quality).
    #[arg(long)]
    inference_attribute: Option<String>,
    /// Column with the predicted probability (model quality).
    #[arg(long)]
    probability_attribute: Option<String>,
    /// Predicted label is 1 when probability > threshold (model quality).
    #[arg(long, default_value_t = 0.5)]
    probability_threshold: f64,
    /// Positive label of binary classification.
    #[arg(long, default_value = "1")]
    positive_label: String,
    /// Bias baseline: a Clarify analysis_config.json (label, facet, group variable…); writes
    /// Clarify's analysis.json with pre-training (and, when predictions are present,
    /// post-training) bias metrics.
    #[arg(long)]
    bias_config: Option<PathBuf>,
    /// Feature-attribution baseline: a Clarify analysis_config.json with `headers`, `label`
    /// and `methods.shap`; writes Clarify's analysis.json (global SHAP values) and the
    /// analysis_config.json to monitor with. Needs --model.
    #[arg(long, requires = "model")]
    explainability_config: Option<PathBuf>,
    /// The model to explain (attribution baseline): a JSON file
    /// `{"linear": {"intercept": b, "coefficients": {"feature": w, …}}}` or `{"logistic": …}`,
    /// or an XGBoost JSON model (`booster.save_model("model.json")`), explained with TreeSHAP.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Attribution baseline: explain at most this many rows (a fixed pseudo-random subset).
    #[arg(long)]
    max_records: Option<usize>,
}

fn run_explainability(args: &Args, config_path: &std::path::Path) -> anyhow::Result<()> {
    use monitor_core::attribution::{
        explainability_baseline, is_xgboost_json, parse_tree_model, read_feature_rows,
        tree_explainability_baseline, ExplainabilityConfig, ModelSpec,
    };
    let config_key = config_path.display().to_string();
    let cfg_bytes =
        std::fs::read(config_path).with_context(|| format!("cannot read {config_key}"))?;
    let config = ExplainabilityConfig::from_json(&config_key, &cfg_bytes)?;
    let model_path = args
        .model
        .as_ref()
        .context("--model is required with --explainability-config")?;
    let model_bytes = std::fs::read(model_path)
        .with_context(|| format!("cannot read {}", model_path.display()))?;
    let source = args.dataset.display().to_string();
    let file = std::fs::File::open(&args.dataset)
        .with_context(|| format!("cannot open dataset {source}"))?;
    let rows = read_feature_rows(std::io::BufReader::new(file), &config, &config_key, &source)?;
    // an XGBoost JSON model (booster.save_model("model.json")) → exact TreeSHAP
    let out = if is_xgboost_json(&model_bytes) {
        let model_key = model_path.display().to_string();
        let tree = parse_tree_model(&model_key, &model_bytes, 0)?;
        tree_explainability_baseline(&rows, &config, &config_key, &tree, args.max_records)?
    } else {
        let model: ModelSpec = serde_json::from_slice(&model_bytes)
            .with_context(|| format!("invalid model {}", model_path.display()))?;
        explainability_baseline(&rows, &config, &config_key, &model, args.max_records)?
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let analysis_path = args.out.join("analysis.json");
    let config_path = args.out.join("analysis_config.json");
    std::fs::write(&analysis_path, out.analysis.to_json())?;
    std::fs::write(&config_path, out.config.to_json())?;
    println!(
        "attribution baseline: {} rows, {} explained",
        rows.len(),
        out.records
    );
    for (label, e) in out.analysis.labels()? {
        let mut values = e.values();
        values.sort_by(|a, b| b.1.total_cmp(&a.1));
        println!("  {label}: expected value {}", e.expected_value);
        for (f, v) in values {
            println!("    {f:<24} {v:.6}");
        }
    }
    println!("wrote {}", analysis_path.display());
    println!("wrote {}", config_path.display());
    Ok(())
}

fn run_bias(args: &Args, config_path: &std::path::Path) -> anyhow::Result<()> {
    use monitor_core::bias::{bias_baseline, read_bias_dataset, BiasDataFormat};
    use monitor_core::formats::clarify::AnalysisConfig;
    let cfg_bytes = std::fs::read(config_path)
        .with_context(|| format!("cannot read {}", config_path.display()))?;
    let config = AnalysisConfig::from_json(&cfg_bytes)
        .with_context(|| format!("invalid bias config {}", config_path.display()))?;
    let source = args.dataset.display().to_string();
    let file = std::fs::File::open(&args.dataset)
        .with_context(|| format!("cannot open dataset {source}"))?;
    let format = match args.format {
        Format::Csv => BiasDataFormat::Csv,
        Format::Jsonl => BiasDataFormat::JsonLines,
    };
    let rows = read_bias_dataset(std::io::BufReader::new(file), format, &config, &source)?;
    let n = rows.len();
    let analysis = bias_baseline(rows.into_iter(), &config)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let path = args.out.join("analysis.json");
    std::fs::write(&path, analysis.to_json())?;
    // the monitor reads its bias configuration next to the baseline, as Clarify's
    // monitoring job reads analysis_config.json from its ConfigUri
    let config_out = args.out.join("analysis_config.json");
    std::fs::write(&config_out, config.to_json())?;
    println!("bias baseline: {n} rows");
    println!("wrote {}", path.display());
    println!("wrote {}", config_out.display());
    Ok(())
}

async fn run_model_quality(args: Args, problem_type: &str) -> anyhow::Result<()> {
    use monitor_core::formats::model_quality::ProblemType;
    let problem_type: ProblemType = problem_type.parse()?;
    let req = baseline::QualityBaselineRequest {
        quality: monitor_core::model_quality::QualityOptions {
            problem_type,
            positive_label: args.positive_label.clone(),
        },
        ground_truth_attribute: args
            .ground_truth_attribute
            .clone()
            .context("--ground-truth-attribute is required with --problem-type")?,
        inference_attribute: args.inference_attribute.clone(),
        probability_attribute: args.probability_attribute.clone(),
        probability_threshold: args.probability_threshold,
    };
    let source = args.dataset.display().to_string();
    let file = std::fs::File::open(&args.dataset)
        .with_context(|| format!("cannot open dataset {source}"))?;
    let out = baseline::build_model_quality(std::io::BufReader::new(file), &source, &req)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let stats_path = args.out.join("statistics.json");
    let cons_path = args.out.join("constraints.json");
    std::fs::write(&stats_path, out.statistics.to_json())?;
    std::fs::write(&cons_path, out.constraints_json())?;
    if let Some(cbpe) = &out.cbpe {
        let path = args.out.join(monitor_core::model_quality::cbpe::CBPE_FILE);
        std::fs::write(&path, cbpe.to_json())?;
        println!("wrote {} (label-free estimation)", path.display());
    }
    println!("model-quality baseline ({problem_type}): {} rows", out.rows);
    for (name, c) in out.constraints.constraints() {
        println!(
            "  {name:<22} {} {}",
            c.comparison_operator.as_str(),
            c.threshold
        );
    }
    println!("wrote {}", stats_path.display());
    println!("wrote {}", cons_path.display());
    Ok(())
}

/// Runs the command.
pub async fn run(args: Args) -> anyhow::Result<()> {
    if let Some(cfg) = args.bias_config.clone() {
        return run_bias(&args, &cfg);
    }
    if let Some(cfg) = args.explainability_config.clone() {
        return run_explainability(&args, &cfg);
    }
    if let Some(pt) = args.problem_type.clone() {
        return run_model_quality(args, &pt).await;
    }
    let format = match args.format {
        Format::Csv => DatasetFormat::Csv {
            header: !args.no_header,
        },
        Format::Jsonl => DatasetFormat::JsonLines,
    };
    if let Some(files) = many::dataset_files(&args.dataset)? {
        return many::run(&args, files, format).await;
    }
    let source = args.dataset.display().to_string();
    let file = std::fs::File::open(&args.dataset)
        .with_context(|| format!("cannot open dataset {source}"))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let started = std::time::Instant::now();
    let path = args.dataset.clone();
    let multivariate = !args.no_multivariate;
    let out = tokio::task::spawn_blocking(move || {
        let mut bar = BytesBar::new(size, "profiling");
        let reader = std::io::BufReader::with_capacity(1 << 20, file);
        let out = baseline::build(reader, &source, format, &mut bar);
        bar.finish();
        let mut out = out?;
        if !multivariate {
            return Ok((out, None));
        }
        // multivariate drift (issue 13 item 4): two more passes fit the PCA and its band
        let open = || {
            std::fs::File::open(&path)
                .map(|f| std::io::BufReader::with_capacity(1 << 20, f))
                .map_err(|e| monitor_core::CoreError::Io {
                    key: source.clone(),
                    source: e,
                })
        };
        let fitted = monitor_core::data_quality::multivariate::fit_from_dataset(
            open,
            &source,
            format,
            &out.profile,
        )?;
        let skipped = fitted.write(&mut out.constraints).map(|r| r.to_string());
        Ok::<_, monitor_core::CoreError>((out, skipped))
    })
    .await??;
    let (out, skipped) = out;
    let (stats_path, cons_path) = write_baseline_files(&args.out, &out)?;
    println!(
        "baseline: {} rows, {} features in {:.2?}",
        out.profile.item_count,
        out.profile.features.len(),
        started.elapsed()
    );
    for f in &out.statistics.features {
        println!("  {:<24} {:?}", f.name, f.inferred_type);
    }
    match (&skipped, args.no_multivariate) {
        (Some(reason), _) => println!("multivariate drift check skipped: {reason}"),
        (None, true) => println!("multivariate drift check skipped: --no-multivariate"),
        (None, false) => println!("multivariate drift check: fitted (modelwatch_multivariate)"),
    }
    println!("wrote {}", stats_path.display());
    println!("wrote {}", cons_path.display());
    Ok(())
}

/// Writes `out`'s statistics.json and constraints.json into `dir` (created if needed) and
/// returns their paths.
fn write_baseline_files(
    dir: &std::path::Path,
    out: &monitor_core::app::baseline::BaselineOutput,
) -> anyhow::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let stats_path = dir.join("statistics.json");
    let cons_path = dir.join("constraints.json");
    std::fs::write(&stats_path, out.statistics_json())
        .with_context(|| format!("cannot write {}", stats_path.display()))?;
    std::fs::write(&cons_path, out.constraints_json())
        .with_context(|| format!("cannot write {}", cons_path.display()))?;
    Ok((stats_path, cons_path))
}
