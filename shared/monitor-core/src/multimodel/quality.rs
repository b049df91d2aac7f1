//! Model quality per target model of a multi-model endpoint (issue 15, item 5).
//!
//! - **Ingest**: each prediction of the model-quality index carries its target model's
//!   position in the index's table of models ([`model_table`], [`super::attribute::ModelTable`]),
//!   attributed as data quality attributes a record.
//! - **Ground-truth merge**: a model-quality state per model and inference minute
//!   ([`ModelMinutes`], written as `model_minutes` of `state/mq/…` beside `minutes`), the first
//!   `max_models` models of the object apart, the records of further models in
//!   [`super::OVER_CAP`], those of no model in [`super::UNATTRIBUTED`].
//! - **Tick** ([`evaluate`], called by [`crate::model_quality::tick`] with the states its one
//!   scan of the window merged per model, [`absorb`]): capped as data quality
//!   caps them ([`super::tick::select`]), each model's metrics checked against its own
//!   `{baseline_prefix}/models/{model}/constraints.json` when it exists, else the monitor's;
//!   its `statistics.json` and `constraint_violations.json` (SageMaker's model-quality layouts)
//!   under `model={model}/`, its entry in `multi_model.json` and its metrics with the
//!   `TargetModel` dimension. A model's violations do not change the window's status.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::attribute::ModelTable;
use super::tick::{select, summary_of, Judged};
use super::{ModelReport, MultiModelSettings, OVER_CAP, UNATTRIBUTED};
use crate::config::MonitorConfig;
use crate::execution::{Execution, Stop, Window};
use crate::formats::model_quality::{
    MetricEntry, ModelQualityConstraints, ModelQualityStatistics, ModelQualityViolations,
};
use crate::joined::labels::ModelMinuteQuality;
use crate::joined::predictions::Prediction;
use crate::layout::{baseline_file_key, model_baseline_prefix, CONSTRAINTS_FILE};
use crate::metrics::{namespaces, MetricSink};
use crate::model_quality::intervals::{check_with_intervals, IntervalsBlock};
use crate::model_quality::metrics::model_quality_metrics;
use crate::model_quality::{check_model_quality, QualityOptions, QualityState};
use crate::store::{get_optional, ObjectStore};
use crate::CoreError;

/// The model table of the capture object `source` for the multi-model monitor `cfg`.
///
/// # Errors
/// [`CoreError::Config`] for an unusable `key_pattern` (a loaded config has none).
pub fn model_table(
    settings: &MultiModelSettings,
    source: &str,
    cfg: &MonitorConfig,
) -> Result<ModelTable, CoreError> {
    ModelTable::new(settings, source).map_err(|e| CoreError::Config {
        field: format!("monitor {}: {}", cfg.name, e.field()),
        value: e.value(),
        message: e.to_string(),
    })
}

/// One ground-truth object's joined records per target model and inference minute, with
/// the per-object cap: the first `max_models` models met get a state of their own, the
/// records of further models go to [`OVER_CAP`] (as do those ingest already put past its
/// cap), those of no model to [`UNATTRIBUTED`]; neither counts against the cap.
#[derive(Debug, Default)]
pub struct ModelMinutes {
    states: BTreeMap<String, BTreeMap<DateTime<Utc>, QualityState>>,
    max_models: usize,
}

impl ModelMinutes {
    /// An empty set of states with the cap `max_models`.
    #[must_use]
    pub fn new(max_models: usize) -> Self {
        Self {
            states: BTreeMap::new(),
            max_models,
        }
    }

    /// The state name `model`'s records go to.
    fn name<'a>(&self, model: Option<&'a str>) -> &'a str {
        let Some(m) = model else {
            return UNATTRIBUTED;
        };
        if m == UNATTRIBUTED || self.states.contains_key(m) {
            return m;
        }
        let counted = self
            .states
            .keys()
            .filter(|k| *k != UNATTRIBUTED && *k != OVER_CAP)
            .count();
        if counted >= self.max_models {
            OVER_CAP
        } else {
            m
        }
    }

    /// Scores one joined record, prediction `p` of `model` (`None`: unattributed) with the
    /// ground-truth label `actual`, into its model's state of `minute`.
    ///
    /// # Errors
    /// As [`QualityState::add`]: the record cannot be scored.
    pub fn add(
        &mut self,
        model: Option<&str>,
        minute: DateTime<Utc>,
        p: &Prediction,
        actual: &str,
        options: &QualityOptions,
    ) -> Result<(), String> {
        let name = self.name(model);
        let minutes = match self.states.get_mut(name) {
            Some(m) => m,
            None => self.states.entry(name.to_owned()).or_default(),
        };
        minutes
            .entry(minute)
            .or_insert_with(|| QualityState::new(options.problem_type))
            .add(&p.key, actual, p.label.as_deref(), p.probability, options)
    }

    /// The states, by model then minute (`model_minutes` of the label-object state).
    #[must_use]
    pub fn into_minutes(self) -> Vec<ModelMinuteQuality> {
        self.states
            .into_iter()
            .flat_map(|(model, minutes)| {
                minutes
                    .into_iter()
                    .map(move |(minute, state)| ModelMinuteQuality {
                        model: model.clone(),
                        minute,
                        state,
                    })
            })
            .collect()
    }
}

/// Adds the per-model minutes of one joined state that fall in `window` to `into` (called
/// by the model-quality tick's one scan of the window, beside the overall state); `true`
/// when one did.
pub fn absorb(
    into: &mut BTreeMap<String, QualityState>,
    minutes: &[ModelMinuteQuality],
    window: Window,
) -> bool {
    let mut used = false;
    for m in minutes.iter().filter(|m| window.contains(m.minute)) {
        let state = match into.get_mut(&m.model) {
            Some(state) => state,
            None => into
                .entry(m.model.clone())
                .or_insert_with(|| QualityState::new(m.state.problem_type())),
        };
        used |= state.merge(&m.state);
    }
    used
}

/// The constraints a model is checked against: `{baseline_prefix}/models/{model}/constraints.json`
/// when it exists (its `statistics.json` is not needed), else the monitor's (`None`). The
/// second value names the prefix used.
///
/// # Errors
/// The store's errors; a model's constraints file that is malformed or of another problem
/// type than the monitor's.
pub async fn model_constraints<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    default: &ModelQualityConstraints,
    model: &str,
) -> Result<(Option<ModelQualityConstraints>, String), CoreError> {
    let prefix = model_baseline_prefix(&cfg.baseline_prefix, model);
    let key = baseline_file_key(&prefix, CONSTRAINTS_FILE);
    let Some(bytes) = get_optional(store, &key).await? else {
        return Ok((None, cfg.baseline_prefix.clone()));
    };
    let own = ModelQualityConstraints::from_json(&bytes).map_err(|source| CoreError::Format {
        key: key.clone(),
        source,
    })?;
    if own.problem_type != default.problem_type {
        return Err(CoreError::Config {
            field: key,
            value: format!("{:?}", own.problem_type),
            message: format!(
                "a model's constraints must be of the monitor's problem type ({:?})",
                default.problem_type
            ),
        });
    }
    Ok((Some(own), prefix))
}

/// The constraint check of one model's statistics, as the whole window is checked:
/// intervals when the baseline wrote them, else SageMaker's point rule.
fn check(
    stats: &ModelQualityStatistics,
    constraints: &ModelQualityConstraints,
) -> ModelQualityViolations {
    match IntervalsBlock::read(constraints).ok().flatten() {
        Some(block) => check_with_intervals(stats, constraints, &block),
        None => check_model_quality(stats, constraints),
    }
}

/// Judges one model's merged window `state` against `constraints` (found under
/// `baseline_prefix`): its report files, entry and metrics (pure).
#[must_use]
pub fn judge(
    cfg: &MonitorConfig,
    window: Window,
    model: &str,
    state: &QualityState,
    constraints: &ModelQualityConstraints,
    baseline_prefix: &str,
) -> Judged {
    let mut report = ModelReport::failed(model, state.count(), 0, baseline_prefix);
    let stats = state.to_statistics();
    let violations = check(&stats, constraints);
    let (prefix, files) =
        super::model_report_files(cfg, model, window, stats.to_json(), violations.to_json());
    for v in &violations.violations {
        *report
            .violations_by_check
            .entry(v.constraint_check_type.as_str().to_string())
            .or_default() += 1;
    }
    report.judged(prefix, violations.violations.len());
    let finite: Vec<(String, f64)> = stats
        .metrics()
        .iter()
        .filter_map(|(k, e)| match e {
            MetricEntry::Scalar(s) if s.value.is_finite() => Some((k.clone(), s.value)),
            _ => None,
        })
        .collect();
    let metrics = super::with_model_dimension(
        model,
        model_quality_metrics(&cfg.endpoint, &cfg.name, window.start, &finite),
    );
    Judged {
        report,
        files,
        metrics,
    }
}

/// Judges model-quality monitor `cfg`'s `window` per target model (`models`: the window's
/// merged per-model states, [`absorb`]; `default`: the monitor's constraints) and writes each
/// model's report files, `multi_model.json` into `exec`'s folder and the metrics (the
/// models' with the `TargetModel` dimension, the window's counts in the model-metrics
/// namespace). Does nothing without a `multi_model` block.
///
/// # Errors
/// [`Stop::Error`] for the store's and the metric sink's errors. A model whose own
/// constraints are unusable is `Failed` in the summary, never failing the window.
pub async fn evaluate<S: ObjectStore, M: MetricSink>(
    (store, metrics): (&S, &M),
    cfg: &MonitorConfig,
    window: Window,
    models: BTreeMap<String, QualityState>,
    default: &ModelQualityConstraints,
    exec: &Execution,
) -> Result<(), Stop> {
    let Some(settings) = &cfg.multi_model else {
        return Ok(());
    };
    let mut models = models;
    models.retain(|_, s| s.count() > 0);
    let selection = select(models, settings.max_models);
    let mut summary = summary_of(cfg, window, &selection);
    let mut data = Vec::new();
    for (model, state) in &selection.judged {
        let (own, prefix) = match model_constraints(store, cfg, default, model).await {
            Ok(b) => b,
            Err(e) if e.is_retryable() => return Err(Stop::Error(e)),
            Err(e) => {
                let mut r = ModelReport::failed(model, state.count(), 0, &cfg.baseline_prefix);
                r.failure_reason = Some(format!("Model constraints unusable: {e}"));
                summary.models.push(r);
                continue;
            }
        };
        let judged = judge(
            cfg,
            window,
            model,
            state,
            own.as_ref().unwrap_or(default),
            &prefix,
        );
        for (key, bytes) in judged.files {
            store.put(&key, bytes).await?;
        }
        data.extend(judged.metrics);
        summary.models.push(judged.report);
    }
    data.extend(summary.metrics_in(namespaces::MODEL_ENDPOINT));
    super::write_summary((store, metrics), cfg, exec, &summary, data).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::execution::ExecutionStatus;
    use crate::formats::model_quality::{ComparisonOperator, MetricConstraint, ProblemType};
    use crate::multimodel::TARGET_MODEL_DIMENSION;

    fn binary() -> QualityOptions {
        QualityOptions {
            problem_type: ProblemType::BinaryClassification,
            positive_label: "1".into(),
        }
    }

    fn minute(m: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 / 60 * 60 + 60 * m, 0).unwrap()
    }

    /// The per-object cap: two models apart, the third's records with those ingest put past
    /// its cap; unattributed records apart and not counted.
    #[test]
    fn the_object_cap_folds_further_models_into_over_cap() {
        let mut mm = ModelMinutes::new(2);
        let rows = [
            (Some("a"), 0),
            (None, 0),
            (Some("b"), 1),
            (Some("c"), 1),
            (Some(OVER_CAP), 2),
            (Some("a"), 2),
            (Some("c"), 2),
        ];
        for (i, (model, m)) in rows.iter().enumerate() {
            let p: Prediction = serde_json::from_value(serde_json::json!({
                "key": i.to_string(), "event_id": "e", "inference_time": "t", "time": 0,
                "label": "1", "variant": "AllTraffic"
            }))
            .unwrap();
            mm.add(*model, minute(*m), &p, "1", &binary()).unwrap();
        }
        let got: Vec<(String, DateTime<Utc>, u64)> = mm
            .into_minutes()
            .into_iter()
            .map(|m| (m.model, m.minute, m.state.count()))
            .collect();
        // by name: "__over_cap__" sorts before "__unattributed__"
        let want = [
            (OVER_CAP, 1, 1),
            (OVER_CAP, 2, 2),
            (UNATTRIBUTED, 0, 1),
            ("a", 0, 1),
            ("a", 2, 1),
            ("b", 1, 1),
        ];
        let want: Vec<(String, DateTime<Utc>, u64)> = want
            .iter()
            .map(|(m, t, n)| (m.to_string(), minute(*t), *n))
            .collect();
        assert_eq!(got, want);
    }

    /// A model under its floor violates with its own report files and metrics; the model
    /// dimension is added to SageMaker's.
    #[test]
    fn a_model_is_judged_against_the_constraints_given() {
        let cfg = MonitorConfig::new("m", crate::config::MonitorKind::ModelQuality, "ep", "b");
        let t = DateTime::from_timestamp(1_700_000_000 / 3600 * 3600, 0).unwrap();
        let window = Window::new(t, t + chrono::Duration::hours(1));
        // 3 of 4 right: accuracy 0.75
        let mut state = QualityState::new(ProblemType::BinaryClassification);
        for (k, y, p) in [
            ("a", "1", "1"),
            ("b", "0", "0"),
            ("c", "1", "1"),
            ("d", "0", "1"),
        ] {
            state.add(k, y, Some(p), None, &binary()).unwrap();
        }
        let floor = |x: f64| ModelQualityConstraints {
            version: Some(0.0),
            problem_type: ProblemType::BinaryClassification,
            constraints: vec![(
                "accuracy".into(),
                MetricConstraint::new(x, ComparisonOperator::LessThanThreshold),
            )],
            extra: Default::default(),
        };
        let ok = judge(&cfg, window, "tenant/a", &state, &floor(0.7), "b");
        assert_eq!(ok.report.status, ExecutionStatus::Completed);
        assert_eq!(ok.report.records, 4);
        let bad = judge(&cfg, window, "tenant/a", &state, &floor(0.8), "b/models/x/");
        assert_eq!(bad.report.status, ExecutionStatus::CompletedWithViolations);
        assert_eq!(bad.report.violations, 1);
        assert_eq!(bad.report.baseline_prefix, "b/models/x/");
        let prefix = bad.report.report_prefix.clone().unwrap();
        assert!(
            prefix.starts_with("reports/ep/m/model=tenant%2Fa/"),
            "{prefix}"
        );
        let keys: Vec<&str> = bad.files.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                format!("{prefix}statistics.json"),
                format!("{prefix}constraint_violations.json")
            ]
        );
        let stats = ModelQualityStatistics::from_json(&bad.files[0].1).unwrap();
        assert_eq!(stats.scalar("accuracy").unwrap().value, 0.75);
        let accuracy = bad.metrics.iter().find(|d| d.name == "accuracy").unwrap();
        assert_eq!(accuracy.namespace, namespaces::MODEL_ENDPOINT);
        assert!(accuracy
            .dimensions
            .contains(&(TARGET_MODEL_DIMENSION.to_string(), "tenant/a".to_string())));
    }

    /// Ingest: each prediction carries its model's position in the index's table; an index
    /// or a label-object state written before the fields existed reads with none.
    #[tokio::test]
    async fn predictions_carry_their_model_and_old_files_still_read() {
        use crate::joined::labels::LabelObjectState;
        use crate::joined::predictions::{Indexer, PredictionAttributes, PredictionIndex};
        use crate::store::{Line, StateFile};
        let source = "data-capture/ep/AllTraffic/2026/11/01/03/00-00-000-x.jsonl";
        let key = crate::layout::parse_capture_key(source, "data-capture/").unwrap();
        let settings = MultiModelSettings {
            request_field: Some("/model".into()),
            ..MultiModelSettings::default()
        };
        let cfg = MonitorConfig::new("m", crate::config::MonitorKind::ModelQuality, "ep", "b");
        let attrs = PredictionAttributes::default();
        let mut ix = Indexer::new(&key, source, &attrs)
            .with_target_models(model_table(&settings, source, &cfg).unwrap());
        for (i, model) in [Some("m-b"), Some("m-a"), None, Some("m-b")]
            .iter()
            .enumerate()
        {
            let request = match model {
                Some(m) => format!(r#"{{"model":"{m}","x":1}}"#),
                None => r#"{"x":1}"#.into(),
            };
            let line = serde_json::json!({
                "captureData": {
                    "endpointInput": {"observedContentType": "application/json", "mode": "INPUT",
                                      "data": request, "encoding": "JSON"},
                    "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                       "data": "0.7", "encoding": "CSV"}},
                "eventMetadata": {"eventId": format!("e{i}"), "inferenceTime": "2026-11-01T03:00:00Z"},
                "eventVersion": "0"
            })
            .to_string();
            ix.push(i as u64 + 1, &Line::Ok(line.as_bytes()));
        }
        let spilled = ix.finish().unwrap();
        let bytes = std::fs::read(spilled.file.path()).unwrap();
        let index = PredictionIndex::from_json("k", &bytes).unwrap();
        assert_eq!(index.models, ["m-b", "m-a"]);
        let models: Vec<Option<&str>> = index
            .predictions
            .iter()
            .map(|p| index.model_of(p))
            .collect();
        assert_eq!(models, [Some("m-b"), Some("m-a"), None, Some("m-b")]);
        // an index without the fields: no model, as unattributed
        let old = String::from_utf8(bytes)
            .unwrap()
            .replace(r#","model":0"#, "")
            .replace(r#","model":1"#, "")
            .replace(r#","models":["m-b","m-a"]"#, "");
        assert!(
            !old.contains(r#""model":"#) && !old.contains(r#""models":"#),
            "{old}"
        );
        let old = PredictionIndex::from_json("k", old.as_bytes()).unwrap();
        assert!(old.models.is_empty());
        assert!(old.predictions.iter().all(|p| old.model_of(p).is_none()));
        // a label-object state without model_minutes
        let state = r#"{"format":"modelwatch.model-quality-state","source":"s",
            "label_hour":"2026-11-01T03:00:00Z","labels":0,"matched":0,"pending":0,
            "expired":false,"unscorable":0,"bad_records":{"by_kind":{}},"minutes":[]}"#;
        let state = LabelObjectState::from_json("k", state.as_bytes()).unwrap();
        assert!(state.model_minutes.is_empty());
    }

    /// A model's own constraints when present, else the monitor's; ones of another problem
    /// type or malformed are refused naming the key.
    #[tokio::test]
    async fn a_model_uses_its_own_constraints_else_the_monitors() {
        use crate::store::{MemoryStore, ObjectStore};
        let store = MemoryStore::new();
        let cfg = MonitorConfig::new("m", crate::config::MonitorKind::ModelQuality, "ep", "b");
        let floor = |problem_type| ModelQualityConstraints {
            version: Some(0.0),
            problem_type,
            constraints: vec![(
                "accuracy".into(),
                MetricConstraint::new(0.5, ComparisonOperator::LessThanThreshold),
            )],
            extra: Default::default(),
        };
        let default = floor(ProblemType::BinaryClassification);
        let own = floor(ProblemType::BinaryClassification);
        store
            .put("b/models/m-a/constraints.json", own.to_json().into_bytes())
            .await
            .unwrap();
        let (got, prefix) = model_constraints(&store, &cfg, &default, "m-a")
            .await
            .unwrap();
        assert_eq!((got.is_some(), prefix.as_str()), (true, "b/models/m-a/"));
        let (got, prefix) = model_constraints(&store, &cfg, &default, "m-b")
            .await
            .unwrap();
        assert_eq!((got.is_some(), prefix.as_str()), (false, "b"));
        let other = floor(ProblemType::Regression);
        store
            .put(
                "b/models/m-c/constraints.json",
                other.to_json().into_bytes(),
            )
            .await
            .unwrap();
        let e = model_constraints(&store, &cfg, &default, "m-c")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("b/models/m-c/constraints.json") && e.contains("Regression"),
            "{e}"
        );
        store
            .put("b/models/m-d/constraints.json", b"{".to_vec())
            .await
            .unwrap();
        let e = model_constraints(&store, &cfg, &default, "m-d")
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("b/models/m-d/constraints.json"), "{e}");
    }
}
