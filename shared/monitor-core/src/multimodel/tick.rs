//! The tick side: a window's per-model partial profiles merged per model, each model checked
//! against its own baseline (or the monitor's), its report files written under
//! `model={model}/`, and the window's `multi_model.json`.

use std::collections::BTreeMap;

use crate::config::MonitorConfig;
use crate::data_quality::checks::Baseline;
use crate::data_quality::consume::PartialProfile;
use crate::data_quality::tick::{check_monitor_window, empty_window, merge_partial, WindowState};
use crate::execution::Window;
use crate::layout::{
    baseline_file_key, hour_floor, model_baseline_prefix, model_from_segment,
    model_profile_hour_prefix, CONSTRAINTS_FILE, STATISTICS_FILE,
};
use crate::metrics::MetricDatum;
use crate::store::{get_optional, ObjectStore, StateFile};
use crate::CoreError;

use super::{
    ModelReport, MultiModelSummary, OverCapError, OVER_CAP, OVER_CAP_NAMES_LISTED, UNATTRIBUTED,
};

/// Merges every per-model partial profile of `cfg` with minutes in `window`, by model. A
/// model none of whose minutes fall in the window is absent.
///
/// # Errors
/// The store's errors and an unreadable state file.
pub async fn merge_models<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    baseline: &Baseline,
    window: Window,
) -> Result<BTreeMap<String, WindowState>, CoreError> {
    let Window { start, end } = window;
    let mut out: BTreeMap<String, WindowState> = BTreeMap::new();
    // the hours data_quality::tick::merge_window reads: one either side of the window
    let mut hour = hour_floor(start) - chrono::Duration::hours(1);
    let last = hour_floor(end - chrono::Duration::seconds(1)) + chrono::Duration::hours(1);
    while hour <= last {
        let prefix = model_profile_hour_prefix(&cfg.name, hour);
        for key in store.list(&prefix).await? {
            let segment = key[prefix.len()..].split('/').next().unwrap_or_default();
            let Some(model) = model_from_segment(segment) else {
                tracing::warn!(key = %key, "per-model state of an undecodable model name skipped");
                continue;
            };
            let bytes = store.get(&key).await?;
            let partial = PartialProfile::from_json(&key, &bytes)?;
            let state = out.entry(model).or_insert_with(|| empty_window(baseline));
            merge_partial(state, &partial, start, end);
        }
        hour += chrono::Duration::hours(1);
    }
    out.retain(|_, s| s.partial_profiles > 0);
    Ok(out)
}

/// A model's merged window state, as the cap counts it: data quality's profile or model
/// quality's joined state.
pub trait ModelState {
    /// records of the model in the window
    fn records(&self) -> u64;
}

impl ModelState for WindowState {
    fn records(&self) -> u64 {
        self.profile.item_count
    }
}

impl ModelState for crate::model_quality::QualityState {
    fn records(&self) -> u64 {
        self.count()
    }
}

/// A window's models split by the cap: the models judged (the `max_models` with the most
/// records, ties by name, then [`UNATTRIBUTED`]) and what is over the cap.
#[derive(Debug)]
pub struct Selection<T = WindowState> {
    /// models judged, by name ([`UNATTRIBUTED`] last, when present)
    pub judged: Vec<(String, T)>,
    /// records no model was found for
    pub unattributed_records: u64,
    /// models past the cap, by name
    pub over_cap_models: Vec<String>,
    /// their records, plus the records ingest already put past its per-object cap
    pub over_cap_records: u64,
}

impl<T> Default for Selection<T> {
    fn default() -> Self {
        Self {
            judged: Vec::new(),
            unattributed_records: 0,
            over_cap_models: Vec::new(),
            over_cap_records: 0,
        }
    }
}

/// Splits the merged `models` of a window by the cap `max_models`.
#[must_use]
pub fn select<T: ModelState>(mut models: BTreeMap<String, T>, max_models: usize) -> Selection<T> {
    let unattributed = models.remove(UNATTRIBUTED);
    let mut over_cap_records = models.remove(OVER_CAP).map_or(0, |s| s.records());
    let mut ranked: Vec<(String, T)> = models.into_iter().collect();
    ranked.sort_by(|a, b| {
        b.1.records()
            .cmp(&a.1.records())
            .then_with(|| a.0.cmp(&b.0))
    });
    let rest = ranked.split_off(ranked.len().min(max_models));
    let mut over_cap_models: Vec<String> = Vec::with_capacity(rest.len());
    for (m, s) in rest {
        over_cap_records += s.records();
        over_cap_models.push(m);
    }
    over_cap_models.sort();
    ranked.sort_by(|a, b| a.0.cmp(&b.0));
    let unattributed_records = unattributed.as_ref().map_or(0, ModelState::records);
    ranked.extend(unattributed.map(|s| (UNATTRIBUTED.to_owned(), s)));
    Selection {
        judged: ranked,
        unattributed_records,
        over_cap_models,
        over_cap_records,
    }
}

/// The baseline a model is judged against: `{baseline_prefix}/models/{model}/` when both its
/// files exist, else the monitor's own. The second value names the prefix used.
///
/// # Errors
/// The store's errors; a model baseline with one file of two, malformed, or with features
/// other than the monitor's (ingest profiles every model with the monitor's features).
pub async fn model_baseline<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    default: &Baseline,
    model: &str,
) -> Result<(Option<Baseline>, String), CoreError> {
    let prefix = model_baseline_prefix(&cfg.baseline_prefix, model);
    let (sk, ck) = (
        baseline_file_key(&prefix, STATISTICS_FILE),
        baseline_file_key(&prefix, CONSTRAINTS_FILE),
    );
    let stats = get_optional(store, &sk).await?;
    let cons = get_optional(store, &ck).await?;
    let (stats, cons) = match (stats, cons) {
        (None, None) => return Ok((None, cfg.baseline_prefix.clone())),
        (Some(s), Some(c)) => (s, c),
        (s, _) => {
            let missing = if s.is_none() { &sk } else { &ck };
            return Err(CoreError::NotFound {
                key: missing.clone(),
            });
        }
    };
    let own = Baseline::from_json(&sk, &stats, &ck, &cons)?;
    if own.feature_names() != default.feature_names() {
        return Err(CoreError::Config {
            field: sk,
            value: own.feature_names().join(","),
            message: format!(
                "a model's baseline must have the monitor's features ({}): ingest profiles every model with them",
                default.feature_names().join(",")
            ),
        });
    }
    Ok((Some(own), prefix))
}

/// What judging one model produced: its entry in `multi_model.json`, its report files and
/// its metrics.
pub struct Judged {
    /// the summary entry
    pub report: ModelReport,
    /// `(key, bytes)` of `statistics.json` and `constraint_violations.json`
    pub files: Vec<(String, Vec<u8>)>,
    /// metrics with the `TargetModel` dimension
    pub metrics: Vec<MetricDatum>,
}

/// Judges one model's window `state` against `baseline` (found under `baseline_prefix`).
#[must_use]
pub fn judge(
    cfg: &MonitorConfig,
    window: Window,
    model: &str,
    state: &WindowState,
    baseline: &Baseline,
    baseline_prefix: &str,
) -> Judged {
    let mut report = ModelReport::new(model, state, baseline_prefix);
    if state.profile.item_count == 0 {
        report.failure_reason = Some(format!(
            "No records of the model in the window ({} bad records).",
            state.bad_records.total()
        ));
        return Judged {
            report,
            files: Vec::new(),
            metrics: Vec::new(),
        };
    }
    let (statistics, checks) = check_monitor_window(cfg, baseline, &state.profile);
    let (prefix, files) = super::model_report_files(
        cfg,
        model,
        window,
        statistics.to_json(),
        checks.violations.to_json(),
    );
    report.violations_by_check = checks.counts_by_check();
    report.judged(prefix, checks.violations.violations.len());
    let feature_metrics = cfg.multi_model.as_ref().is_some_and(|m| m.feature_metrics);
    let metrics = super::with_model_dimension(
        model,
        crate::data_quality::tick::window_metrics(cfg, window.start, state, &checks)
            .into_iter()
            .filter(|d| feature_metrics || !d.name.starts_with("feature_")),
    );
    Judged {
        report,
        files,
        metrics,
    }
}

/// The window's `multi_model.json` before its models are added, with the cap's error when
/// `selection` has models over it.
#[must_use]
pub fn summary_of<T>(
    cfg: &MonitorConfig,
    window: Window,
    selection: &Selection<T>,
) -> MultiModelSummary {
    let max_models = cfg.multi_model.as_ref().map_or(0, |m| m.max_models);
    let past_cap = selection.over_cap_records > 0 || !selection.over_cap_models.is_empty();
    let over_cap = past_cap.then_some(OverCapError {
        max_models,
        models: selection.over_cap_models.len(),
        records: selection.over_cap_records,
    });
    MultiModelSummary {
        format: super::MULTI_MODEL_FORMAT.into(),
        version: super::MULTI_MODEL_VERSION,
        monitor: cfg.name.clone(),
        endpoint: cfg.endpoint.clone(),
        window_start: window.start,
        window_end: window.end,
        max_models,
        unattributed_records: selection.unattributed_records,
        models_over_cap: selection.over_cap_models.len() as u64,
        records_over_cap: selection.over_cap_records,
        over_cap_models: selection
            .over_cap_models
            .iter()
            .take(OVER_CAP_NAMES_LISTED)
            .cloned()
            .collect(),
        over_cap_error: over_cap.map(|e| e.to_string()),
        models: Vec::new(),
    }
}
