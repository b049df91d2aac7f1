//! The one place that knows the monitor kinds. [`capability_for`] maps a monitor's kind to
//! its capability; the use cases in [`crate::app`] call the capability's steps and never
//! name a kind:
//!
//! 1. [`Capability::prepare`]: what ingest needs of the monitor, loaded once per invocation
//!    (a data-quality baseline, the prediction attributes of a label-joined monitor, an
//!    explainability monitor's SHAP context);
//! 2. [`Prepared::consumer`]: the record consumer the single ingest pass feeds, and
//!    [`Consumer::finish`]: the state it writes;
//! 3. [`Capability::join_target`]: what ground-truth merge scores joined records into;
//! 4. [`Capability::evaluate`]: a window into report files, an execution and metrics.
//!
//! A new capability is a new folder plus one arm of [`capability_for`] and of each method.

use chrono::{DateTime, Utc};

use crate::attribution::prepare::attribution_context;
use crate::attribution::{AttributionContext, Attributor, InvokerFactory};
use crate::bias::prepare::{bias_prediction_attributes, bias_rules};
use crate::config::{MonitorConfig, MonitorKind};
use crate::data_quality::checks::Baseline;
use crate::data_quality::consume::{load_baseline, PartialProfile, Profiler};
use crate::data_quality::minute_spill::MINUTE_BUDGET_BYTES;
use crate::error::RetryBoundary;
use crate::execution::{Execution, Ports, Window};
use crate::joined::labels::JoinTarget;
use crate::joined::predictions::{Indexer, PredictionAttributes};
use crate::layout::{attribution_key, prediction_index_key, profile_key, CaptureKey};
use crate::metrics::MetricSink;
use crate::multimodel::ingest::ModelProfiler;
use crate::store::{Body, Line, ObjectStore, StateFile};
use crate::CoreError;

/// A monitor kind's capability (one folder of this crate each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// [`crate::data_quality`]
    DataQuality,
    /// [`crate::model_quality`]
    ModelQuality,
    /// [`crate::bias`]
    Bias,
    /// [`crate::attribution`]
    Attribution,
}

/// The capability of a monitor kind: the only `match` on [`MonitorKind`] in the use cases.
pub fn capability_for(kind: MonitorKind) -> Capability {
    match kind {
        MonitorKind::DataQuality => Capability::DataQuality,
        MonitorKind::ModelQuality => Capability::ModelQuality,
        MonitorKind::ModelBias => Capability::Bias,
        MonitorKind::ModelExplainability => Capability::Attribution,
    }
}

/// What ingest needs of one monitor, loaded once per invocation.
pub enum Prepared {
    /// a data-quality monitor's baseline
    Baseline(Box<Baseline>),
    /// where a model-quality or bias monitor finds the prediction (and facets)
    Attributes(PredictionAttributes),
    /// an explainability monitor's analysis config and SHAP baseline
    Attribution(AttributionContext),
}

/// What one ingest invocation has prepared, per monitor name: loaded once, and a failure
/// kept as its reason, so every object of the call fails that monitor the same way.
pub type PreparedMonitors = std::collections::BTreeMap<String, Result<Prepared, String>>;

/// Prepares `cfg` into `prepared` unless this invocation already did, and says whether the
/// monitor can ingest: `Ok(Err(reason))` when its baseline or analysis config is missing or
/// unreadable.
///
/// # Errors
/// Only a retryable store error (the whole invocation is retried).
pub async fn prepare_once<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    prepared: &mut PreparedMonitors,
) -> Result<Result<(), String>, CoreError> {
    if !prepared.contains_key(&cfg.name) {
        let p = capability_for(cfg.kind)
            .prepare(store, cfg)
            .await
            .propagate_retryable()?
            .map_err(|e| format!("Baseline or analysis config missing or unreadable: {e}"));
        prepared.insert(cfg.name.clone(), p);
    }
    Ok(match &prepared[&cfg.name] {
        Ok(_) => Ok(()),
        Err(reason) => Err(reason.clone()),
    })
}

impl Capability {
    /// Loads what ingest needs of `cfg`.
    ///
    /// # Errors
    /// The store's errors, and a missing or malformed baseline or analysis config.
    pub async fn prepare<S: ObjectStore>(
        self,
        store: &S,
        cfg: &MonitorConfig,
    ) -> Result<Prepared, CoreError> {
        Ok(match self {
            Capability::DataQuality => {
                Prepared::Baseline(Box::new(load_baseline(store, cfg).await?))
            }
            Capability::ModelQuality => Prepared::Attributes(cfg.prediction_attributes()),
            Capability::Bias => Prepared::Attributes(bias_prediction_attributes(store, cfg).await?),
            Capability::Attribution => {
                Prepared::Attribution(attribution_context(store, cfg).await?)
            }
        })
    }

    /// What ground-truth merge scores the joined records of `cfg` into.
    ///
    /// # Errors
    /// [`CoreError::Config`] for a monitor that joins no labels or lacks its settings; a bias
    /// monitor's missing or malformed analysis files.
    pub async fn join_target<S: ObjectStore>(
        self,
        store: &S,
        cfg: &MonitorConfig,
    ) -> Result<JoinTarget, CoreError> {
        match (&cfg.model_quality, &cfg.bias, self) {
            (Some(m), _, Capability::ModelQuality) => Ok(JoinTarget::Quality(m.quality.clone())),
            (_, Some(b), Capability::Bias) => Ok(JoinTarget::Bias {
                rules: bias_rules(store, cfg).await?.2,
                flip_cap: b.flip_sample,
            }),
            _ => Err(CoreError::Config {
                field: format!("monitor {}", cfg.name),
                value: String::new(),
                message: "not a model-quality or bias monitor".into(),
            }),
        }
    }

    /// Evaluates `cfg` for `window`: writes its report files, publishes its metrics and
    /// returns the execution. Explainability monitors reach their models through
    /// `ports.invokers`.
    ///
    /// # Errors
    /// Retryable store failures ([`CoreError::is_retryable`]); every other problem is a
    /// `Failed` execution.
    pub async fn evaluate<S, M, F>(
        self,
        ports: Ports<'_, S, M, F>,
        cfg: &MonitorConfig,
        window: Window,
    ) -> Result<Execution, CoreError>
    where
        S: ObjectStore,
        M: MetricSink,
        F: InvokerFactory + ?Sized,
    {
        if cfg.batch_transform.is_some() {
            // SageMaker's batch namespaces (crate::batch::metrics)
            let sink = crate::batch::metrics::BatchMetricSink(ports.metrics);
            let ports = Ports {
                store: ports.store,
                metrics: &sink,
                invokers: ports.invokers,
            };
            return self.evaluate_in(ports, cfg, window).await;
        }
        self.evaluate_in(ports, cfg, window).await
    }

    async fn evaluate_in<S, M, F>(
        self,
        ports: Ports<'_, S, M, F>,
        cfg: &MonitorConfig,
        window: Window,
    ) -> Result<Execution, CoreError>
    where
        S: ObjectStore,
        M: MetricSink,
        F: InvokerFactory + ?Sized,
    {
        let mut exec = Execution::failed(cfg, window);
        let outcome = match self {
            Capability::DataQuality => {
                crate::data_quality::tick::evaluate(ports, cfg, window, &mut exec).await
            }
            Capability::ModelQuality => {
                crate::model_quality::tick::evaluate(ports, cfg, window, &mut exec).await
            }
            Capability::Bias => crate::bias::tick::evaluate(ports, cfg, window, &mut exec).await,
            Capability::Attribution => {
                crate::attribution::tick::evaluate(ports, cfg, window, &mut exec).await
            }
        };
        // A/B variants compared once the window's own report is written (crate::variants)
        let outcome = match outcome {
            Ok(()) => crate::variants::evaluate(self, ports, cfg, window, &exec).await,
            stopped => stopped,
        };
        // multi-model endpoints: each target model judged on its own (crate::multimodel)
        let outcome = match outcome {
            Ok(()) => crate::multimodel::evaluate(self, ports, cfg, window, &exec).await,
            stopped => stopped,
        };
        exec.settle(ports.store, outcome).await
    }
}

impl Prepared {
    /// The consumer of the capture object `key` (named `source`) for monitor `cfg`.
    ///
    /// # Errors
    /// [`CoreError::Config`] when the monitor's capture mapping or explainer is invalid.
    pub fn consumer<'a>(
        &'a self,
        key: &CaptureKey,
        source: &str,
        cfg: &MonitorConfig,
    ) -> Result<Consumer<'a>, CoreError> {
        Ok(match self {
            Prepared::Attribution(ctx) => {
                Consumer::Attributions(Attributor::new(key, source, cfg, ctx)?)
            }
            Prepared::Attributes(attrs) => {
                // per slice too, for label-free estimates per slice (crate::segments::estimated)
                let ix = Indexer::new(key, source, attrs)
                    .with_slices(crate::segments::estimated::SliceScores::for_monitor(cfg)?);
                // a multi-model endpoint's predictions carry their target model
                Consumer::Predictions(match &cfg.multi_model {
                    Some(m) => ix.with_target_models(crate::multimodel::quality::model_table(
                        m, source, cfg,
                    )?),
                    None => ix,
                })
            }
            // a multi-model endpoint's monitor also splits by target model (crate::multimodel)
            Prepared::Baseline(baseline) if cfg.multi_model.is_some() => {
                Consumer::Models(Box::new(ModelProfiler::new(key, source, cfg, baseline)?))
            }
            Prepared::Baseline(baseline) => Consumer::Profile(
                Profiler::new(key, source, cfg, baseline)?.minute_budget(MINUTE_BUDGET_BYTES),
            ),
        })
    }
}

/// One monitor's consumer of the single pass over a capture object.
pub enum Consumer<'a> {
    /// data quality: the partial profile
    Profile(Profiler),
    /// model quality and bias: the prediction index
    Predictions(Indexer<'a>),
    /// attribution: the attribution state
    Attributions(Attributor<'a>),
    /// data quality of a multi-model endpoint: the partial profile and one per target model
    Models(Box<ModelProfiler<'a>>),
}

/// The state a consumer writes, with its counts.
pub struct ConsumerOutput {
    /// where the state goes (derived from the capture key alone)
    pub state_key: String,
    /// the encoded state: bytes, or a spilled file (the prediction index, whatever the
    /// object's size)
    pub body: Body,
    /// records it holds
    pub records: u64,
    /// bad records it counted
    pub bad_records: u64,
    /// shadow-variant records skipped
    pub shadow_skipped: u64,
    /// the inference minutes the state covers (a window holding one of them changes)
    pub minutes: Vec<DateTime<Utc>>,
    /// more state files, as `(key, body)`: a multi-model monitor's one per target model
    pub extra: Vec<(String, Body)>,
}

impl Consumer<'_> {
    /// Takes line `line_no` (1-based) of the object.
    pub fn push(&mut self, line_no: u64, line: &Line<'_>) {
        match self {
            Consumer::Profile(p) => p.push(line_no, line),
            Consumer::Predictions(ix) => ix.push(line_no, line),
            Consumer::Attributions(a) => a.push(line_no, line),
            Consumer::Models(m) => m.push(line_no, line),
        }
    }

    /// The state of everything pushed, at its key for `monitor` and the capture object.
    ///
    /// # Errors
    /// [`CoreError::State`] if encoding fails; [`CoreError::Io`] if a spill file cannot be
    /// written.
    pub fn finish(self, monitor: &str, capture: &CaptureKey) -> Result<ConsumerOutput, CoreError> {
        Ok(match self {
            // the minutes spilled at ingest streamed back (data_quality::minute_spill)
            Consumer::Profile(p) => p.finish_output(monitor, capture)?,
            Consumer::Models(m) => {
                let (partial, extra) = m.finish(monitor, capture)?;
                ConsumerOutput {
                    extra,
                    ..profile_output(&partial, monitor, capture)?
                }
            }
            Consumer::Predictions(ix) => {
                let index = ix.finish()?;
                ConsumerOutput {
                    minutes: index.minutes,
                    records: index.records,
                    bad_records: index.bad_records.total(),
                    shadow_skipped: 0,
                    state_key: prediction_index_key(monitor, capture),
                    body: Body::File(index.file),
                    extra: Vec::new(),
                }
            }
            Consumer::Attributions(a) => {
                let state = a.finish();
                ConsumerOutput {
                    minutes: state.minutes.iter().map(|m| m.minute).collect(),
                    records: state.records(),
                    bad_records: state.bad_records(),
                    shadow_skipped: 0,
                    state_key: attribution_key(monitor, capture),
                    body: Body::Bytes(state.to_json()?),
                    extra: Vec::new(),
                }
            }
        })
    }
}

/// The output of a data-quality consumer: the partial profile at its key.
fn profile_output(
    partial: &PartialProfile,
    monitor: &str,
    capture: &CaptureKey,
) -> Result<ConsumerOutput, CoreError> {
    Ok(ConsumerOutput {
        minutes: partial.minutes.iter().map(|m| m.minute).collect(),
        records: partial.records(),
        bad_records: partial.bad_records(),
        shadow_skipped: partial
            .minutes
            .iter()
            .map(|m| m.shadow_skipped)
            .sum::<u64>(),
        state_key: profile_key(monitor, capture),
        body: partial.to_body()?,
        extra: Vec::new(),
    })
}
