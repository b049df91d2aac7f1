//! `modelwatch demo`: the whole pipeline on the local store, through the same library calls
//! the Lambdas make, on a simulated clock.
//!
//! 1. Baselines: data quality from the training CSV (`baseline`), model quality from a
//!    validation CSV of scores and true labels (`build_model_quality`; its suggested
//!    thresholds reviewed, see [`review_constraints`]). Two monitors watch the endpoint:
//!    [`MONITOR`] (data quality) and [`MQ_MONITOR`] (model quality, binary classification,
//!    probability = output column 0, threshold 0.5).
//! 2. Hour by hour (simulated): the capture objects of the hour land and each is ingested
//!    once (capture-ingest; the same call writes the data-quality profile and the
//!    model-quality prediction index); the ground-truth objects collected in the hour land
//!    and are merged (ground-truth-merge; labels arrive 2–3 hours after their inference and
//!    10 % never do); at HH:05 the monitor tick runs: the data-quality monitor evaluates the
//!    hour that just ended, the model-quality monitor — with an end-time offset of
//!    [`MQ_OFFSET_MINUTES`] (SageMaker's `EndTimeOffset` `-PT3H`) — the hour that ended 3 h
//!    earlier, whose labels are all in by then.
//! 3. Alarms and retraining: `config/retrain.json` maps both monitors' alarms to one
//!    pipeline ([`PIPELINE`], cooldown [`COOLDOWN_HOURS`] h). After the run the alarms are
//!    evaluated with CloudWatch's M-of-N rule over the metric files the ticks wrote
//!    ([`DQ_ALARM`]: `constraint_violations_total ≥ 1`, [`MQ_ALARM`]: `accuracy` below its
//!    constraint threshold, both 2 of 3 hourly datapoints), and every state change, in time
//!    order, is sent as its EventBridge event to retrain-trigger (`retrain::run`) with a
//!    [`FileLauncher`] on the local store, at the transition's time (as CloudWatch would
//!    have delivered it had each datapoint arrived on time).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use monitor_core::app::baseline::{self, QualityBaselineRequest};
use monitor_core::app::retrain::{self, RetrainSummary, RunOptions};
use monitor_core::app::tick::TickRequest;
use monitor_core::app::{ground_truth, ingest, tick};
use monitor_core::attribution::{
    explainability_baseline, read_feature_rows, ExplainMethods, ExplainabilityConfig, LocalModels,
    ModelSpec, ShapMethod,
};
use monitor_core::bias::{bias_baseline, read_bias_dataset, BiasDataFormat};
use monitor_core::config::{
    save_monitor, BiasSettings, ExplainabilitySettings, Explainer, ModelQualitySettings,
    MonitorConfig, MonitorKind,
};
use monitor_core::data_quality::dataset::DatasetFormat;
use monitor_core::execution::{Execution, ExecutionStatus};
use monitor_core::formats::clarify::{
    AnalysisConfig, AttributionViolations, BiasAnalysis, BiasViolations, MetricValue,
};
use monitor_core::formats::model_quality::{
    ComparisonOperator as MqOperator, MetricConstraint, ModelQualityConstraints,
    ModelQualityViolations, ProblemType,
};
use monitor_core::formats::violations::ConstraintViolations;
use monitor_core::joined::predictions::PredictionAttributes;
use monitor_core::metrics::{dimensions, names, namespaces, parse_byoc_jsonl, FileMetricSink};
use monitor_core::model_quality::QualityOptions;
use monitor_core::retrain::config::{PipelineConfig, RetrainConfig, RETRAIN_CONFIG_KEY};
use monitor_core::retrain::decision::Decision;
use monitor_core::retrain::events::AlarmStateValue;
use monitor_core::retrain::launcher::{FileLauncher, PipelineRun};
use monitor_core::store::{LocalStore, ObjectStore};

use self::alarm_sim::{
    alarm_state_change_event, evaluate_alarm, AlarmDefinition, AlarmTransition, ComparisonOperator,
    Statistic,
};
use crate::scenario::{margin_weights, Drift, Scenario, BIAS_FACET_REGION};

pub mod ab;
pub mod alarm_sim;
mod hour;
pub mod multimodel;
mod report;
pub mod segment;

pub use report::*;

/// Endpoint name of the demo.
pub const ENDPOINT: &str = "demo-endpoint";
/// Data-quality monitor (schedule) name of the demo.
pub const MONITOR: &str = "demo-data-quality";
/// Model-quality monitor (schedule) name of the demo.
pub const MQ_MONITOR: &str = "demo-model-quality";
/// Bias-drift monitor (schedule) name of the demo: facet `region` = `central`
/// ([`BIAS_FACET_REGION`]), groups by `plan`, evaluated with the model-quality offset.
pub const BIAS_MONITOR: &str = "demo-model-bias";
/// Feature-attribution monitor (schedule) name of the demo: exact SHAP of the model's
/// log-odds over [`XAI_FEATURES`], evaluated at window end like data quality.
pub const XAI_MONITOR: &str = "demo-feature-attribution";
/// The inputs whose attributions the demo monitors (`methods.shap.features_to_explain`).
pub const XAI_FEATURES: [&str; 3] = ["last_login_days", "num_support_calls", "age"];
/// How far a bias metric may move past its baseline value before it violates
/// ([`review_bias_baseline`]).
pub const BIAS_TOLERANCE: f64 = 0.1;
/// The tolerance of the ratio metrics DI, DCA and DCR ([`review_bias_baseline`]): ratios
/// of counts of a group of a few hundred labelled records move by 0.1–0.2 between
/// unchanged hours.
pub const RATIO_TOLERANCE: f64 = 0.3;
/// The tolerance of TE ([`review_bias_baseline`]): a difference of two ratios of error
/// counts (FN/FP per group), it swings by more than 0.3 between unchanged hours.
pub const TE_TOLERANCE: f64 = 0.5;
/// The model-quality monitor evaluates the window that ended this many minutes before the
/// tick: labels are collected 2–3 hours after inference, so a window's last labels land
/// before `window end + 3 h`, and the tick at `window end + 3 h 5 min` sees them all.
pub const MQ_OFFSET_MINUTES: u32 = 180;
/// How far a model-quality metric may move past its baseline value before it violates
/// ([`review_constraints`]).
pub const MQ_TOLERANCE: f64 = 0.1;
/// The retraining pipeline both alarms start.
pub const PIPELINE: &str = "demo-retrain-pipeline";
/// The model the pipeline retrains (its `Model` parameter).
pub const MODEL: &str = "demo-churn-model";
/// No second start of [`PIPELINE`] within this many hours of the last one.
pub const COOLDOWN_HOURS: f64 = 6.0;
/// Alarm on the data-quality monitor's violations (the template's naming:
/// `{stack}/{monitor}/constraint-violations`).
pub const DQ_ALARM: &str = "modelwatch-demo/demo-data-quality/constraint-violations";
/// Alarm on the model-quality monitor's accuracy.
pub const MQ_ALARM: &str = "modelwatch-demo/demo-model-quality/accuracy";
/// `DatapointsToAlarm` (M) of both alarms.
pub const DATAPOINTS_TO_ALARM: u32 = 2;
/// `EvaluationPeriods` (N) of both alarms.
pub const EVALUATION_PERIODS: u32 = 3;
/// How long a started pipeline run stays `Executing` on the file launcher.
const PIPELINE_RUN_HOURS: i64 = 2;
/// Minutes after the hour at which the hourly tick runs.
const TICK_MINUTE: i64 = 5;
/// Account and region of the simulated alarm events.
const ACCOUNT: &str = "000000000000";
const REGION: &str = "local";

/// Arguments of `modelwatch demo`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Directory used as the local object store (emptied first).
    #[arg(long, default_value = "demo-out")]
    out: PathBuf,
    /// Random seed of the scenario.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Hours of capture.
    #[arg(long, default_value_t = 8)]
    hours: usize,
    /// Retrain-trigger decides and records, but starts no pipeline run.
    #[arg(long)]
    dry_run: bool,
}

/// Options of [`run_demo`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DemoOptions {
    /// draw progress bars
    pub progress: bool,
    /// `dry_run` of `config/retrain.json`
    pub dry_run: bool,
}

/// One alarm state change and what retrain-trigger did with its event.
#[derive(Clone, Debug)]
pub struct AlarmOutcome {
    /// the alarm
    pub alarm: AlarmDefinition,
    /// the monitor it watches
    pub monitor: String,
    /// the state change (its `state.timestamp` is when it happened)
    pub transition: AlarmTransition,
    /// retrain-trigger's answer to the event
    pub retrain: RetrainSummary,
}

/// What the demo produced, for tests and the tables.
pub struct DemoOutcome {
    /// the input drift injected per hour
    pub plan: Vec<Vec<Drift>>,
    /// hours whose labels follow the drifted concept
    pub concept_drift: Vec<usize>,
    /// data-quality executions, one per hour, in hour order
    pub executions: Vec<Execution>,
    /// model-quality executions, one per hour, in hour order
    pub quality: Vec<Execution>,
    /// per hour: the data-quality violations as `feature check` (from the report)
    pub dq_flagged: Vec<Vec<String>>,
    /// per hour: the violated model-quality metrics (from the report)
    pub mq_flagged: Vec<Vec<String>>,
    /// bias-drift executions, one per hour, in hour order
    pub bias: Vec<Execution>,
    /// per hour: the violated bias metrics as `METRIC facet=value` (from the report)
    pub bias_flagged: Vec<Vec<String>>,
    /// the hour whose labels show the group-specific change
    pub bias_drift_hour: usize,
    /// feature-attribution executions, one per hour, in hour order
    pub attribution: Vec<Execution>,
    /// per hour: the attribution violations as `label nDCG` (from the report)
    pub attribution_flagged: Vec<Vec<String>>,
    /// capture objects ingested
    pub objects: usize,
    /// ground-truth objects merged
    pub label_objects: usize,
    /// labels read from them
    pub labels: u64,
    /// rows of the data-quality baseline
    pub baseline_rows: u64,
    /// rows of the model-quality baseline (the validation set)
    pub quality_baseline_rows: u64,
    /// the model-quality constraints the monitor checks
    pub quality_constraints: ModelQualityConstraints,
    /// the alarms evaluated
    pub alarm_definitions: Vec<AlarmDefinition>,
    /// every alarm state change, in time order
    pub alarms: Vec<AlarmOutcome>,
    /// the pipeline runs the file launcher recorded
    pub runs: Vec<PipelineRun>,
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let b = ProgressBar::new(len);
    b.set_style(
        ProgressStyle::with_template("{msg:<28} [{bar:30}] {pos}/{len}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    b.set_message(what.to_string());
    b
}

fn at(secs: i64) -> anyhow::Result<DateTime<Utc>> {
    Utc.timestamp_opt(secs, 0)
        .single()
        .with_context(|| format!("time {secs} out of range"))
}

/// The monitors of the demo.
pub fn monitors() -> [MonitorConfig; 4] {
    let base =
        |name: &str, kind| MonitorConfig::new(name, kind, ENDPOINT, format!("baselines/{name}"));
    let mut bias = base(BIAS_MONITOR, MonitorKind::ModelBias);
    bias.bias = Some(BiasSettings {
        // the probability in output column 0; facets located by the analysis config's
        // headers (region is the 11th input column)
        attributes: PredictionAttributes::default(),
        analysis_config_key: None,
        ground_truth_prefix: None,
        ground_truth_attribute: None,
        lookback_hours: 24,
        offset_minutes: MQ_OFFSET_MINUTES,
        flip_sample: drift_math::bias::DEFAULT_FLIP_SAMPLE_CAP,
        merged_records: true,
    });
    let mut xai = base(XAI_MONITOR, MonitorKind::ModelExplainability);
    xai.explainability = Some(ExplainabilitySettings {
        explainer: Explainer::Linear {
            intercept: 0.0,
            coefficients: xai_coefficients(),
        },
        analysis_config_key: None,
        ndcg_threshold: drift_math::shap::NDCG_THRESHOLD,
    });
    let mut mq = base(MQ_MONITOR, MonitorKind::ModelQuality);
    mq.model_quality = Some(ModelQualitySettings {
        // the endpoint answers with the churn probability as its only CSV column
        attributes: PredictionAttributes {
            inference_attribute: None,
            probability_attribute: Some("0".into()),
            probability_threshold: 0.5,
            facet_attributes: Default::default(),
            keep_input_features: false,
        },
        offset_minutes: MQ_OFFSET_MINUTES,
        ..ModelQualitySettings::binary("1")
    });
    [base(MONITOR, MonitorKind::DataQuality), mq, bias, xai]
}

/// The model's log-odds weights of [`XAI_FEATURES`] (per raw unit).
pub fn xai_coefficients() -> BTreeMap<String, f64> {
    margin_weights()
        .into_iter()
        .filter(|(f, _)| XAI_FEATURES.contains(f))
        .map(|(f, w)| (f.to_string(), w))
        .collect()
}

/// Clarify's analysis config of the demo's bias monitor: label `churn` (positive 1), facet
/// `region` = [`BIAS_FACET_REGION`], groups by `plan`, predicted label = `score` > 0.5.
pub fn bias_analysis_config() -> anyhow::Result<AnalysisConfig> {
    let mut headers = vec!["churn".to_string()];
    headers.extend(
        crate::scenario::features()
            .iter()
            .map(|f| f.name.to_string()),
    );
    let cfg = serde_json::json!({
        "version": "1.0",
        "headers": headers,
        "label": "churn",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "region", "value_or_threshold": [BIAS_FACET_REGION]}],
        "group_variable": "plan",
        "probability_threshold": 0.5,
        "predicted_label": "score"
    });
    Ok(AnalysisConfig::from_json(cfg.to_string().as_bytes())?)
}

/// Clarify's analysis config of the demo's attribution monitor: the training CSV's columns
/// (`score` is the model output, the rest the endpoint's inputs), SHAP over [`XAI_FEATURES`]
/// by `mean_abs`, the SHAP baseline left to `modelwatch baseline` (the training means).
pub fn xai_analysis_config() -> ExplainabilityConfig {
    ExplainabilityConfig {
        version: Some("1.0".into()),
        headers: crate::scenario::features()
            .iter()
            .map(|f| f.name.to_string())
            .collect(),
        label: Some(monitor_core::formats::clarify::NameOrIndex::Name(
            "score".into(),
        )),
        methods: ExplainMethods {
            shap: ShapMethod {
                agg_method: Some("mean_abs".into()),
                features_to_explain: Some(XAI_FEATURES.iter().map(|f| f.to_string()).collect()),
                ..ShapMethod::default()
            },
            extra: Default::default(),
        },
        predictor: Some(
            serde_json::json!({"model_name": "demo-churn-model", "label_headers": ["churn_log_odds"]})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        ),
        extra: Default::default(),
    }
}

/// The demo's review of a bias baseline.
///
/// Clarify flags a metric whenever the window's value is farther from neutral (0; DI: 1)
/// than the baseline's (spec §9.4), so with a baseline and windows of a few thousand
/// records sampling noise alone breaches about half of all metrics every hour. As for the
/// model-quality thresholds, the demo reviews the baseline: every metric value moves
/// `tolerance` farther from neutral (at least [`RATIO_TOLERANCE`] for DI, DCA and DCR and
/// [`TE_TOLERANCE`] for TE), rounded to 4 decimals.
/// Failed (null) metrics stay.
pub fn review_bias_baseline(
    baseline: &BiasAnalysis,
    tolerance: f64,
) -> anyhow::Result<BiasAnalysis> {
    let mut out = baseline.clone();
    for block in [
        &mut out.pre_training_bias_metrics,
        &mut out.post_training_bias_metrics,
    ]
    .into_iter()
    .flatten()
    {
        let mut facets = Vec::new();
        for name in block.facets.keys().cloned().collect::<Vec<_>>() {
            let mut entries = block.facet(&name)?.unwrap_or_default();
            for e in &mut entries {
                for m in &mut e.metrics {
                    let Some(v) = m.value.as_f64().filter(|v| v.is_finite()) else {
                        continue;
                    };
                    let neutral = if m.name == "DI" { 1.0 } else { 0.0 };
                    let tol = match m.name.as_str() {
                        "TE" => tolerance.max(TE_TOLERANCE),
                        "DI" | "DCA" | "DCR" => tolerance.max(RATIO_TOLERANCE),
                        _ => tolerance,
                    };
                    let d = v - neutral;
                    let widened = neutral + d.signum() * (d.abs() + tol);
                    m.value = MetricValue::Float((widened * 1e4).round() / 1e4);
                }
            }
            facets.push((name, serde_json::to_value(entries)?));
        }
        for (name, v) in facets {
            block.facets.insert(name, v);
        }
    }
    Ok(out)
}

/// The demo's review of SageMaker's suggested model-quality constraints.
///
/// SageMaker suggests each threshold equal to the baseline value itself (spec §4.3), which
/// about half of all windows of an unchanged model breach by sampling noise alone; its
/// documentation asks users to review the suggestion. The demo keeps every suggested metric
/// and operator and moves the threshold by `tolerance` away from the baseline value (a
/// higher-is-better metric may drop by `tolerance`, an error rate may rise by it), clamped
/// to [0, 1] and rounded to 4 decimals.
pub fn review_constraints(
    suggested: &ModelQualityConstraints,
    tolerance: f64,
) -> ModelQualityConstraints {
    let constraints = suggested
        .constraints
        .iter()
        .map(|(name, c)| {
            let moved = match c.comparison_operator {
                MqOperator::LessThanThreshold => c.threshold - tolerance,
                MqOperator::GreaterThanThreshold => c.threshold + tolerance,
            };
            let threshold = ((moved.clamp(0.0, 1.0)) * 1e4).round() / 1e4;
            (
                name.clone(),
                MetricConstraint {
                    threshold,
                    ..c.clone()
                },
            )
        })
        .collect();
    ModelQualityConstraints {
        constraints,
        ..suggested.clone()
    }
}

/// The demo's `config/retrain.json`: both monitors' alarms start [`PIPELINE`].
pub fn retrain_config(dry_run: bool) -> RetrainConfig {
    let entry = |alarm: &str, monitor: &str| PipelineConfig {
        alarms: vec![alarm.into()],
        alarm_name_prefix: None,
        monitor: monitor.into(),
        model: MODEL.into(),
        pipeline: PIPELINE.into(),
        cooldown_hours: COOLDOWN_HOURS,
        parameters: BTreeMap::new(),
        evidence_parameters: None,
    };
    RetrainConfig {
        dry_run,
        pipelines: vec![entry(DQ_ALARM, MONITOR), entry(MQ_ALARM, MQ_MONITOR)],
    }
}

/// The demo's two alarms, as the template would define them (M of N hourly datapoints):
/// data-quality violations (`Maximum` of `constraint_violations_total` ≥ 1) and model-quality
/// accuracy (`Minimum` of `accuracy` < `accuracy_threshold`).
pub fn alarm_definitions(accuracy_threshold: f64) -> [(AlarmDefinition, &'static str); 2] {
    let dims = |monitor: &str| {
        BTreeMap::from([
            (dimensions::ENDPOINT.to_string(), ENDPOINT.to_string()),
            (
                dimensions::MONITORING_SCHEDULE.to_string(),
                monitor.to_string(),
            ),
        ])
    };
    let dq = AlarmDefinition {
        name: DQ_ALARM.into(),
        description: Some(format!(
            "constraint violations of {MONITOR} in {DATAPOINTS_TO_ALARM} of the last \
             {EVALUATION_PERIODS} hourly windows"
        )),
        namespace: namespaces::DATA_ENDPOINT.into(),
        metric_name: names::CONSTRAINT_VIOLATIONS_TOTAL.into(),
        dimensions: dims(MONITOR),
        statistic: Statistic::Maximum,
        period_seconds: 3600,
        threshold: 1.0,
        comparison: ComparisonOperator::GreaterThanOrEqualToThreshold,
        evaluation_periods: EVALUATION_PERIODS,
        datapoints_to_alarm: DATAPOINTS_TO_ALARM,
    };
    let mq = AlarmDefinition {
        name: MQ_ALARM.into(),
        description: Some(format!(
            "accuracy of {MQ_MONITOR} below {accuracy_threshold} in {DATAPOINTS_TO_ALARM} of \
             the last {EVALUATION_PERIODS} hourly windows"
        )),
        namespace: namespaces::MODEL_ENDPOINT.into(),
        metric_name: "accuracy".into(),
        dimensions: dims(MQ_MONITOR),
        statistic: Statistic::Minimum,
        period_seconds: 3600,
        threshold: accuracy_threshold,
        comparison: ComparisonOperator::LessThanThreshold,
        evaluation_periods: EVALUATION_PERIODS,
        datapoints_to_alarm: DATAPOINTS_TO_ALARM,
    };
    [(dq, MONITOR), (mq, MQ_MONITOR)]
}

/// Runs the scenario on `store` (which should be empty): [`run_demo`] with `progress` and a
/// live (not dry-run) retrain configuration.
pub async fn run_scenario(
    store: &LocalStore,
    scenario: &Scenario,
    progress: bool,
) -> anyhow::Result<DemoOutcome> {
    run_demo(
        store,
        scenario,
        &DemoOptions {
            progress,
            dry_run: false,
        },
    )
    .await
}

/// Runs the scenario on `store` (which should be empty): baselines, the simulated hours,
/// then the alarms and retrain-trigger (module docs).
///
/// Why it is long: it is the demo's script, read top to bottom as the story the README
/// tells (baselines, hours, alarms, retraining); each step is one call, and splitting it
/// would scatter that story across helpers without removing any logic.
pub async fn run_demo(
    store: &LocalStore,
    scenario: &Scenario,
    options: &DemoOptions,
) -> anyhow::Result<DemoOutcome> {
    let hidden = |b: ProgressBar| {
        if !options.progress {
            b.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        b
    };
    let [dq_cfg, mq_cfg, bias_cfg, xai_cfg] = monitors();

    // 1. baselines and monitors
    let mut csv = Vec::new();
    scenario.write_baseline_csv(&mut csv)?;
    store.put("datasets/train.csv", csv).await?;
    let summary = baseline::run(
        store,
        &baseline::BaselineRequest {
            dataset: "datasets/train.csv".into(),
            format: DatasetFormat::Csv { header: true },
            output_prefix: dq_cfg.baseline_prefix.clone(),
        },
    )
    .await?;
    let mut csv = Vec::new();
    scenario.write_validation_csv(&mut csv)?;
    store.put("datasets/validation.csv", csv.clone()).await?;
    let quality = baseline::build_model_quality(
        &csv[..],
        "datasets/validation.csv",
        &QualityBaselineRequest {
            quality: QualityOptions {
                problem_type: ProblemType::BinaryClassification,
                positive_label: "1".into(),
            },
            ground_truth_attribute: "label".into(),
            inference_attribute: None,
            probability_attribute: Some("score".into()),
            probability_threshold: 0.5,
        },
    )?;
    let constraints = review_constraints(&quality.constraints, MQ_TOLERANCE);
    store
        .put(
            &mq_cfg.statistics_key(),
            quality.statistics.to_json().into_bytes(),
        )
        .await?;
    store
        .put(
            &mq_cfg.constraints_key(),
            constraints.to_json().into_bytes(),
        )
        .await?;
    // performance before labels (issue 15, CBPE): the calibration of the validation scores,
    // so each hour's model-quality execution carries estimates before its labels arrive
    if let Some(cbpe) = &quality.cbpe {
        store
            .put(
                &monitor_core::layout::baseline_file_key(
                    &mq_cfg.baseline_prefix,
                    monitor_core::model_quality::cbpe::CBPE_FILE,
                ),
                cbpe.to_json(),
            )
            .await?;
    }
    // bias: Clarify's baseline of the labelled validation set, reviewed
    let mut csv = Vec::new();
    scenario.write_labeled_validation_csv(&mut csv)?;
    store
        .put("datasets/validation-labeled.csv", csv.clone())
        .await?;
    let bias_config = bias_analysis_config()?;
    let rows = read_bias_dataset(
        &csv[..],
        BiasDataFormat::Csv,
        &bias_config,
        "datasets/validation-labeled.csv",
    )?;
    let bias_base = review_bias_baseline(
        &bias_baseline(rows.into_iter(), &bias_config)?,
        BIAS_TOLERANCE,
    )?;
    store
        .put(&bias_cfg.analysis_key(), bias_base.to_json().into_bytes())
        .await?;
    store
        .put(
            &bias_cfg.analysis_config_key(),
            bias_config.to_json().into_bytes(),
        )
        .await?;
    // attributions: global SHAP of the training set (linear model of the log-odds)
    let train = store.get("datasets/train.csv").await?;
    let xai_config = xai_analysis_config();
    let xai_rows = read_feature_rows(
        &train[..],
        &xai_config,
        "analysis_config.json",
        "datasets/train.csv",
    )?;
    let xai_base = explainability_baseline(
        &xai_rows,
        &xai_config,
        "analysis_config.json",
        &ModelSpec::Linear {
            intercept: 0.0,
            coefficients: xai_coefficients(),
        },
        None,
    )?;
    store
        .put(
            &xai_cfg.analysis_key(),
            xai_base.analysis.to_json().into_bytes(),
        )
        .await?;
    store
        .put(
            &xai_cfg.analysis_config_key(),
            xai_base.config.to_json().into_bytes(),
        )
        .await?;
    save_monitor(store, &dq_cfg).await?;
    save_monitor(store, &mq_cfg).await?;
    save_monitor(store, &bias_cfg).await?;
    save_monitor(store, &xai_cfg).await?;
    let retrain_cfg = retrain_config(options.dry_run);
    retrain_cfg.validate(RETRAIN_CONFIG_KEY)?;
    store
        .put(RETRAIN_CONFIG_KEY, serde_json::to_vec_pretty(&retrain_cfg)?)
        .await?;

    // 2. the simulated hours: capture, late labels, the hourly tick
    let metrics = FileMetricSink::new(store.clone());
    let mut executions = Vec::new();
    let mut quality_execs = Vec::new();
    let mut bias_execs = Vec::new();
    let mut xai_execs = Vec::new();
    let (mut objects, mut label_objects, mut labels) = (0usize, 0usize, 0u64);
    let lag_hours = (MQ_OFFSET_MINUTES / 60) as usize;
    // until the last labels are collected and the last model-quality window is evaluated
    let sim_hours = scenario
        .label_collection_hours()
        .end
        .max(scenario.hours + lag_hours);
    let b = hidden(bar(sim_hours as u64, "simulating hours"));
    for hour in 0..sim_hours {
        b.set_message(format!(
            "hour {} (capture, labels, tick)",
            at(scenario.hour_start(hour))?.format("%H:%M")
        ));
        for (key, bytes) in scenario.capture_files(ENDPOINT, hour) {
            store.put(&key, bytes).await?;
            let s = ingest::run(store, std::slice::from_ref(&key)).await?;
            anyhow::ensure!(
                s.objects.iter().all(|o| o.ignored.is_none()),
                "capture object {key} was ignored"
            );
            objects += 1;
        }
        let hour_end = at(scenario.hour_start(hour) + 3600)?;
        for (key, bytes) in scenario.ground_truth_files(ENDPOINT, hour) {
            store.put(&key, bytes).await?;
            let s = ground_truth::run(store, std::slice::from_ref(&key), hour_end).await?;
            anyhow::ensure!(s.ignored.is_empty(), "ground truth {key} was ignored");
            labels += s.objects.iter().map(|o| o.labels).sum::<u64>();
            label_objects += 1;
        }
        let now = at(scenario.hour_start(hour) + 3600 + TICK_MINUTE * 60)?;
        if hour < scenario.hours {
            executions.extend(tick_one(store, &metrics, MONITOR, now).await?);
            xai_execs.extend(tick_one(store, &metrics, XAI_MONITOR, now).await?);
        }
        if hour >= lag_hours && hour - lag_hours < scenario.hours {
            quality_execs.extend(tick_one(store, &metrics, MQ_MONITOR, now).await?);
            bias_execs.extend(tick_one(store, &metrics, BIAS_MONITOR, now).await?);
        }
        b.inc(1);
    }
    b.finish_and_clear();

    let mut dq_flagged = Vec::new();
    for e in &executions {
        dq_flagged.push(dq_violations(store, e).await?);
    }
    let mut mq_flagged = Vec::new();
    for e in &quality_execs {
        mq_flagged.push(mq_violations(store, e).await?);
    }
    let mut bias_flagged = Vec::new();
    for e in &bias_execs {
        bias_flagged.push(bias_violations(store, e).await?);
    }
    let mut attribution_flagged = Vec::new();
    for e in &xai_execs {
        attribution_flagged.push(attribution_violations(store, e).await?);
    }

    // 3. alarms over the metric files → retrain-trigger
    let accuracy_threshold = constraints
        .get("accuracy")
        .map(|c| c.threshold)
        .context("the model-quality constraints have no accuracy")?;
    let definitions = alarm_definitions(accuracy_threshold);
    let (alarms, runs) = alarms_and_retraining(store, &definitions).await?;
    // 4. the dashboard again: the ticks wrote it before these alarms and retraining runs
    monitor_core::report::write_dashboard(store).await?;

    Ok(DemoOutcome {
        plan: scenario.drift_plan(),
        concept_drift: scenario.concept_drift_hours(),
        executions,
        quality: quality_execs,
        dq_flagged,
        mq_flagged,
        bias: bias_execs,
        bias_flagged,
        bias_drift_hour: crate::scenario::BIAS_DRIFT_HOUR,
        attribution: xai_execs,
        attribution_flagged,
        objects,
        label_objects,
        labels,
        baseline_rows: summary.rows,
        quality_baseline_rows: quality.rows,
        quality_constraints: constraints,
        alarm_definitions: definitions.into_iter().map(|(d, _)| d).collect(),
        alarms,
        runs,
    })
}

async fn tick_one(
    store: &LocalStore,
    metrics: &FileMetricSink<LocalStore>,
    monitor: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Execution>> {
    Ok(tick::run(
        store,
        metrics,
        &LocalModels,
        &TickRequest {
            now,
            monitor: Some(monitor.into()),
            window_end: None,
            stack: None,
        },
    )
    .await?
    .executions)
}

/// The data-quality violations of an execution's report as `feature check`.
async fn dq_violations(store: &LocalStore, e: &Execution) -> anyhow::Result<Vec<String>> {
    if e.status != ExecutionStatus::CompletedWithViolations {
        return Ok(Vec::new());
    }
    let key = format!("{}constraint_violations.json", e.report_prefix);
    let v = ConstraintViolations::from_json(&store.get(&key).await?)
        .with_context(|| format!("reading {key}"))?;
    Ok(v.violations
        .iter()
        .map(|v| {
            let check = short_check(v.constraint_check_type.as_str());
            match e.drift.iter().find(|d| d.feature == v.feature_name) {
                Some(d) if check == "drift" => {
                    format!("{} {check} {:.2}", v.feature_name, d.distance)
                }
                _ => format!("{} {check}", v.feature_name),
            }
        })
        .collect())
}

/// The violated metrics of a model-quality execution's report (SageMaker's names).
async fn mq_violations(store: &LocalStore, e: &Execution) -> anyhow::Result<Vec<String>> {
    if e.status != ExecutionStatus::CompletedWithViolations {
        return Ok(Vec::new());
    }
    let key = format!("{}constraint_violations.json", e.report_prefix);
    let v = ModelQualityViolations::from_json(&store.get(&key).await?)
        .with_context(|| format!("reading {key}"))?;
    Ok(v.violations.into_iter().map(|v| v.metric_name).collect())
}

/// The violated bias metrics of a bias-drift execution's report as `METRIC facet=value`.
async fn bias_violations(store: &LocalStore, e: &Execution) -> anyhow::Result<Vec<String>> {
    if e.status != ExecutionStatus::CompletedWithViolations {
        return Ok(Vec::new());
    }
    let key = format!("{}constraint_violations.json", e.report_prefix);
    let v = BiasViolations::from_json(&store.get(&key).await?)
        .with_context(|| format!("reading {key}"))?;
    Ok(v.violations
        .into_iter()
        .map(|v| format!("{} {}={}", v.metric_name, v.facet, v.facet_value))
        .collect())
}

/// The attribution violations of an execution's report as `label nDCG`.
async fn attribution_violations(store: &LocalStore, e: &Execution) -> anyhow::Result<Vec<String>> {
    if e.status != ExecutionStatus::CompletedWithViolations {
        return Ok(Vec::new());
    }
    let key = format!("{}constraint_violations.json", e.report_prefix);
    let v = AttributionViolations::from_json(&store.get(&key).await?)
        .with_context(|| format!("reading {key}"))?;
    Ok(v.violations
        .into_iter()
        .map(|v| format!("{} nDCG {}", v.label, metric(e, "ndcg")))
        .collect())
}

/// Reads the metric files back and returns the samples of `def`'s metric (namespace, name
/// and dimensions equal), in time order.
async fn metric_samples(
    store: &LocalStore,
    def: &AlarmDefinition,
) -> anyhow::Result<Vec<(DateTime<Utc>, f64)>> {
    let mut out = Vec::new();
    for key in store.list(monitor_core::layout::METRICS_PREFIX).await? {
        if !key.ends_with(".jsonl") {
            continue;
        }
        for d in parse_byoc_jsonl(&key, &store.get(&key).await?, None)? {
            let dims: BTreeMap<String, String> = d.dimensions.iter().cloned().collect();
            if d.namespace == def.namespace && d.name == def.metric_name && dims == def.dimensions {
                if let Some(v) = d.value.mean() {
                    out.push((d.timestamp, v));
                }
            }
        }
    }
    out.sort_by_key(|(t, _)| *t);
    Ok(out)
}

async fn alarms_and_retraining(
    store: &LocalStore,
    definitions: &[(AlarmDefinition, &str)],
) -> anyhow::Result<(Vec<AlarmOutcome>, Vec<PipelineRun>)> {
    let mut changes: Vec<(AlarmDefinition, &str, AlarmTransition)> = Vec::new();
    for (def, monitor) in definitions {
        let samples = metric_samples(store, def).await?;
        for t in evaluate_alarm(def, &samples, None)? {
            changes.push((def.clone(), monitor, t));
        }
    }
    // time order; at the same time, the order of the definitions (stable sort)
    changes.sort_by_key(|(_, _, t)| t.state.timestamp);

    // The launcher's clock is the simulated time of the event being handled.
    let clock = Arc::new(AtomicI64::new(0));
    let read = Arc::clone(&clock);
    let launcher = FileLauncher::new(store.clone())
        .with_run_duration(Some(TimeDelta::hours(PIPELINE_RUN_HOURS)))
        .with_clock(Arc::new(move || {
            Utc.timestamp_opt(read.load(Ordering::SeqCst), 0)
                .single()
                .unwrap_or_default()
        }));
    let run_options = RunOptions {
        dry_run: None,
        store_uri: format!("{}/", store.root().display()),
    };
    let mut out = Vec::new();
    for (alarm, monitor, transition) in changes {
        let event = alarm_state_change_event(&alarm, &transition, ACCOUNT, REGION);
        clock.store(event.time.timestamp(), Ordering::SeqCst);
        let retrain = retrain::run(store, &launcher, &event, event.time, &run_options).await?;
        out.push(AlarmOutcome {
            alarm,
            monitor: monitor.to_string(),
            transition,
            retrain,
        });
    }
    let runs = launcher.runs(PIPELINE).await?;
    Ok((out, runs))
}
/// Runs the command.
pub async fn run(args: Args) -> anyhow::Result<()> {
    if args.out.exists() {
        std::fs::remove_dir_all(&args.out)
            .with_context(|| format!("cannot empty {}", args.out.display()))?;
    }
    std::fs::create_dir_all(&args.out)?;
    let store = LocalStore::new(&args.out);
    let scenario = Scenario {
        hours: args.hours,
        ..Scenario::new(args.seed)
    };
    let started = std::time::Instant::now();
    let outcome = run_demo(
        &store,
        &scenario,
        &DemoOptions {
            progress: true,
            dry_run: args.dry_run,
        },
    )
    .await?;
    let accuracy = outcome
        .quality_constraints
        .get("accuracy")
        .map_or(f64::NAN, |c| c.threshold);
    let auc = outcome
        .quality_constraints
        .get("auc")
        .map_or(f64::NAN, |c| c.threshold);
    println!(
        "data-quality baseline: {} training rows; model-quality baseline: {} validation rows, \
         thresholds moved {MQ_TOLERANCE} past the baseline values (e.g. accuracy < \
         {accuracy}, auc < {auc} violate)",
        outcome.baseline_rows, outcome.quality_baseline_rows
    );
    print_table(&outcome);
    print_alarms(&outcome);
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    for e in outcome
        .executions
        .iter()
        .chain(&outcome.quality)
        .chain(&outcome.bias)
        .chain(&outcome.attribution)
    {
        *by_status
            .entry(format!("{} {:?}", e.monitoring_schedule_name, e.status))
            .or_default() += 1;
    }
    println!(
        "\n{} capture objects, {} ground-truth objects ({} labels), {} windows {:?} in {:.2?}",
        outcome.objects,
        outcome.label_objects,
        outcome.labels,
        outcome.executions.len()
            + outcome.quality.len()
            + outcome.bias.len()
            + outcome.attribution.len(),
        by_status,
        started.elapsed()
    );
    let root = args.out.display();
    println!("reports:   {root}/reports/{ENDPOINT}/{{{MONITOR},{MQ_MONITOR}}}/yyyy/mm/dd/HH/ (statistics.json, constraint_violations.json, execution.json)");
    println!("           {root}/reports/{ENDPOINT}/{{{BIAS_MONITOR},{XAI_MONITOR}}}/yyyy/mm/dd/HH/ (Clarify's analysis.json, constraint_violations.json, execution.json)");
    println!("baselines: {root}/baselines/{{{MONITOR},{MQ_MONITOR}}}/ (statistics.json, constraints.json); datasets in {root}/datasets/");
    println!("           {root}/baselines/{{{BIAS_MONITOR},{XAI_MONITOR}}}/ (analysis_config.json, analysis.json)");
    println!("labels:    {root}/ground-truth/{ENDPOINT}/yyyy/mm/dd/HH/MMSS.jsonl (uploads, by collection hour)");
    println!("merged:    {root}/state/merged/{MQ_MONITOR}/{ENDPOINT}/AllTraffic/yyyy/mm/dd/HH/ (predictions joined to labels, SageMaker's merge layout)");
    println!("state:     {root}/state/profiles/{MONITOR}/, {root}/state/predictions/{MQ_MONITOR}/, {root}/state/mq/{MQ_MONITOR}/ (mergeable per-object state)");
    println!("metrics:   {root}/metrics/ (CloudWatch metrics, SageMaker's BYOC file format)");
    println!("retrain:   {root}/{RETRAIN_CONFIG_KEY}; audit records {root}/state/retrain/audit/{PIPELINE}/; runs {root}/state/retrain/runs/{PIPELINE}/");
    println!("html:      {root}/reports/{ENDPOINT}/*/yyyy/mm/dd/HH/report.html (one per window; `modelwatch report --store {root}` rewrites them)");
    println!(
        "\ndashboard: {}",
        std::path::absolute(store.path_of(monitor_core::report::DASHBOARD_KEY)?)?.display()
    );
    // A/B variants (issue 15): one hour of two variants, on a store of its own
    let ab_root = args.out.join("ab-variants");
    let comparison = ab::run_ab_hour(&LocalStore::new(&ab_root), &scenario).await?;
    ab::print_comparison(&comparison, &ab_root.display().to_string());
    // segments and a multi-model endpoint (issue 15): one hour each, on stores of their own
    let seg_root = args.out.join("segments");
    let seg = segment::run_segment_hour(&LocalStore::new(&seg_root), &scenario).await?;
    segment::print_segment_hour(&seg, &seg_root.display().to_string());
    let mme_root = args.out.join("multi-model");
    let mme = multimodel::run_multi_model_hour(&LocalStore::new(&mme_root), &scenario).await?;
    multimodel::print_multi_model_hour(&mme, &mme_root.display().to_string());
    Ok(())
}
