//! Reading what a report shows from the store. A file that is missing (a failed window has
//! no statistics) or not in its format (a newer writer) becomes a note on the page, not an
//! error: the rest of the report is still written.

use std::collections::BTreeMap;

use super::dashboard::{DashboardInputs, MonitorHistory, RetrainEvent};
use super::window::{KindFiles, WindowInputs};
use super::{ReportError, HISTORY_WINDOWS};
use crate::config::{MonitorConfig, MonitorKind};
use crate::execution::Execution;
use crate::formats::clarify::{
    AttributionViolations, BiasAnalysis, BiasViolations, ExplainabilityAnalysis,
};
use crate::formats::constraints::Constraints;
use crate::formats::model_quality::{
    ModelQualityConstraints, ModelQualityStatistics, ModelQualityViolations,
};
use crate::formats::statistics::{FormatError, Statistics};
use crate::formats::violations::ConstraintViolations;
use crate::layout::{
    monitor_config_key, report_file_key, ANALYSIS_FILE, EXECUTION_FILE, MONITORS_PREFIX,
    REPORTS_PREFIX, RETRAIN_STATE_PREFIX, STATISTICS_FILE, VIOLATIONS_FILE,
};
use crate::store::{get_optional, ObjectStore};

/// Reads `key` with `parse`: `None` when absent; a note (and `None`) when unreadable.
async fn read<S: ObjectStore, T>(
    store: &S,
    key: &str,
    parse: fn(&[u8]) -> Result<T, FormatError>,
    notes: &mut Vec<String>,
) -> Result<Option<T>, ReportError> {
    let Some(bytes) = get_optional(store, key).await? else {
        return Ok(None);
    };
    match parse(&bytes) {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            notes.push(format!("{key} could not be read: {e}"));
            Ok(None)
        }
    }
}

/// The monitor's config, if it can be read.
async fn config_of<S: ObjectStore>(
    store: &S,
    name: &str,
    notes: &mut Vec<String>,
) -> Result<Option<MonitorConfig>, ReportError> {
    let key = monitor_config_key(name);
    let Some(bytes) = get_optional(store, &key).await? else {
        return Ok(None);
    };
    match MonitorConfig::from_json(&key, &bytes) {
        Ok(c) => Ok(Some(c)),
        Err(e) => {
            notes.push(format!("{key} could not be read: {e}"));
            Ok(None)
        }
    }
}

/// The report folder of one monitor: `reports/{endpoint}/{monitor}/`.
fn monitor_prefix(exec: &Execution) -> String {
    if exec.endpoint_name.is_empty() {
        // a batch-transform monitor: `reports/{monitor}/`
        return format!("{REPORTS_PREFIX}{}/", exec.monitoring_schedule_name);
    }
    format!(
        "{REPORTS_PREFIX}{}/{}/",
        exec.endpoint_name, exec.monitoring_schedule_name
    )
}

/// The report folder of an `execution.json` key; folders sort in window order
/// (`…/05/` before `…/05/30/`).
fn folder_of(key: &str) -> Option<&str> {
    key.strip_suffix(EXECUTION_FILE)
        .filter(|f| f.ends_with('/'))
}

/// The `execution.json`s under `prefix` grouped by monitor folder, each group oldest window
/// first and cut to the last `limit` folders not after `until` (a report folder). Only those
/// are read; unreadable ones are skipped with a WARN (another writer's, rewritten by the next
/// tick).
async fn executions_under<S: ObjectStore>(
    store: &S,
    prefix: &str,
    until: Option<&str>,
    limit: usize,
) -> Result<BTreeMap<String, Vec<Execution>>, ReportError> {
    let mut folders: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for key in store.list(prefix).await? {
        let Some(folder) = folder_of(&key) else {
            continue;
        };
        if until.is_some_and(|u| folder > u) {
            continue;
        }
        // reports/{endpoint}/{monitor}/…, or a batch monitor's reports/{monitor}/yyyy/mm/…
        let parts: Vec<&str> = folder.split('/').collect();
        let digits = |i: usize, n: usize| {
            parts
                .get(i)
                .is_some_and(|s| s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
        };
        let depth = if digits(2, 4) && digits(3, 2) { 2 } else { 3 };
        let monitor: String = parts[..depth.min(parts.len())].join("/");
        folders.entry(monitor).or_default().push(folder.to_owned());
    }
    let mut out = BTreeMap::new();
    for (monitor, mut keys) in folders {
        keys.sort();
        let skip = keys.len().saturating_sub(limit);
        let mut execs = Vec::with_capacity(keys.len() - skip);
        for folder in &keys[skip..] {
            let key = report_file_key(folder, EXECUTION_FILE);
            let bytes = store.get(&key).await?;
            match serde_json::from_slice::<Execution>(&bytes) {
                Ok(e) => execs.push(e),
                Err(e) => tracing::warn!(key, error = %e, "execution record skipped in the report"),
            }
        }
        execs.sort_by_key(|e| (e.window_end, e.window_start));
        out.insert(monitor, execs);
    }
    Ok(out)
}

/// Every stored execution, by monitor folder (`reports/{endpoint}/{monitor}`), oldest
/// first (`limit` per monitor).
pub(crate) async fn all_executions<S: ObjectStore>(
    store: &S,
    limit: usize,
) -> Result<BTreeMap<String, Vec<Execution>>, ReportError> {
    executions_under(store, REPORTS_PREFIX, None, limit).await
}

// Why it is long: one `read` per file per monitor kind, a flat table of the keys each kind's
// report shows (rustfmt spreads each read over several lines); helpers would only hide it.
/// Everything the report of `exec`'s window shows.
///
/// # Errors
/// [`ReportError::Store`] when the store fails (a missing or malformed file is a note).
pub async fn load_window<S: ObjectStore>(
    store: &S,
    exec: &Execution,
) -> Result<WindowInputs, ReportError> {
    let mut notes = Vec::new();
    let cfg = config_of(store, &exec.monitoring_schedule_name, &mut notes).await?;
    let mut history: Vec<Execution> = executions_under(
        store,
        &monitor_prefix(exec),
        Some(&exec.report_prefix),
        HISTORY_WINDOWS,
    )
    .await?
    .into_values()
    .flatten()
    .filter(|e| e.window_end < exec.window_end)
    .collect();
    history.push(exec.clone());
    let skip = history.len().saturating_sub(HISTORY_WINDOWS);
    history.drain(..skip);
    let p = &exec.report_prefix;
    let files = match &cfg {
        None => KindFiles::None,
        Some(cfg) => match cfg.kind {
            MonitorKind::DataQuality => KindFiles::DataQuality {
                window: read(
                    store,
                    &report_file_key(p, STATISTICS_FILE),
                    Statistics::from_json,
                    &mut notes,
                )
                .await?,
                baseline: read(
                    store,
                    &cfg.statistics_key(),
                    Statistics::from_json,
                    &mut notes,
                )
                .await?,
                constraints: read(
                    store,
                    &cfg.constraints_key(),
                    Constraints::from_json,
                    &mut notes,
                )
                .await?,
                violations: read(
                    store,
                    &report_file_key(p, VIOLATIONS_FILE),
                    ConstraintViolations::from_json,
                    &mut notes,
                )
                .await?,
            },
            MonitorKind::ModelQuality => KindFiles::ModelQuality {
                window: read(
                    store,
                    &report_file_key(p, STATISTICS_FILE),
                    ModelQualityStatistics::from_json,
                    &mut notes,
                )
                .await?,
                baseline: read(
                    store,
                    &cfg.statistics_key(),
                    ModelQualityStatistics::from_json,
                    &mut notes,
                )
                .await?,
                constraints: read(
                    store,
                    &cfg.constraints_key(),
                    ModelQualityConstraints::from_json,
                    &mut notes,
                )
                .await?,
                violations: read(
                    store,
                    &report_file_key(p, VIOLATIONS_FILE),
                    ModelQualityViolations::from_json,
                    &mut notes,
                )
                .await?,
            },
            MonitorKind::ModelBias => KindFiles::Bias {
                window: read(
                    store,
                    &report_file_key(p, ANALYSIS_FILE),
                    BiasAnalysis::from_json,
                    &mut notes,
                )
                .await?,
                baseline: read(
                    store,
                    &cfg.analysis_key(),
                    BiasAnalysis::from_json,
                    &mut notes,
                )
                .await?,
                violations: read(
                    store,
                    &report_file_key(p, VIOLATIONS_FILE),
                    BiasViolations::from_json,
                    &mut notes,
                )
                .await?,
            },
            MonitorKind::ModelExplainability => KindFiles::Attribution {
                window: read(
                    store,
                    &report_file_key(p, ANALYSIS_FILE),
                    ExplainabilityAnalysis::from_json,
                    &mut notes,
                )
                .await?,
                baseline: read(
                    store,
                    &cfg.analysis_key(),
                    ExplainabilityAnalysis::from_json,
                    &mut notes,
                )
                .await?,
                violations: read(
                    store,
                    &report_file_key(p, VIOLATIONS_FILE),
                    AttributionViolations::from_json,
                    &mut notes,
                )
                .await?,
                threshold: cfg
                    .explainability
                    .as_ref()
                    .map_or(drift_math::shap::NDCG_THRESHOLD, |x| x.ndcg_threshold),
            },
        },
    };
    // A/B variants (issue 15): the comparison beside the window's files, when written
    let variants_key = report_file_key(p, crate::variants::VARIANT_COMPARISON_FILE);
    // only monitors with a `variants` block write one: no extra GET for the others
    let compares_variants = cfg.as_ref().is_some_and(|c| c.variants.is_some());
    let found = if compares_variants {
        get_optional(store, &variants_key).await?
    } else {
        None
    };
    let variants = match found {
        Some(bytes) => crate::variants::VariantComparison::from_json(&variants_key, &bytes)
            .map_err(|e| notes.push(format!("{variants_key} could not be read: {e}")))
            .ok(),
        None => None,
    };
    // segments (issue 15): the slices beside the window's files, for monitors that slice
    let segments_key = report_file_key(p, crate::segments::SEGMENTS_FILE);
    let found = match cfg.as_ref().and_then(|c| c.segments.as_ref()) {
        Some(_) => get_optional(store, &segments_key).await?,
        None => None,
    };
    let segments = found.and_then(|bytes| {
        crate::segments::SegmentsReport::from_json(&segments_key, &bytes)
            .map_err(|e| notes.push(format!("{segments_key} could not be read: {e}")))
            .ok()
    });
    Ok(WindowInputs {
        kind: cfg.as_ref().map(|c| c.kind),
        exec: exec.clone(),
        history,
        files,
        notes,
        variants,
        segments,
    })
}

/// The latest retraining decision per monitor, from the audit records
/// (`state/retrain/audit/…`), read loosely so newer record versions still show.
async fn retrain_events<S: ObjectStore>(
    store: &S,
) -> Result<BTreeMap<String, RetrainEvent>, ReportError> {
    let mut out: BTreeMap<String, RetrainEvent> = BTreeMap::new();
    for key in store.list(&format!("{RETRAIN_STATE_PREFIX}audit/")).await? {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(&store.get(&key).await?) else {
            continue;
        };
        let text = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_owned();
        let decision = match v.get("decision") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Object(o)) => o
                .get("decision")
                .and_then(|d| d.as_str())
                .or_else(|| o.keys().next().map(String::as_str))
                .unwrap_or("")
                .to_owned(),
            _ => String::new(),
        };
        let event = RetrainEvent {
            alarm_name: text("alarm_name"),
            alarm_state: text("alarm_state"),
            alarm_time: text("alarm_time"),
            pipeline: text("pipeline"),
            decision,
        };
        let monitor = text("monitor");
        if out
            .get(&monitor)
            .is_none_or(|prev| prev.alarm_time <= event.alarm_time)
        {
            out.insert(monitor, event);
        }
    }
    Ok(out)
}

/// Everything the dashboard shows: every monitor with a config or a report, its last
/// windows, its kind, and its last alarm and retraining decision.
///
/// # Errors
/// [`ReportError::Store`] when the store fails.
pub async fn load_dashboard<S: ObjectStore>(store: &S) -> Result<DashboardInputs, ReportError> {
    let mut notes = Vec::new();
    let mut monitors: BTreeMap<String, MonitorHistory> = BTreeMap::new();
    for history in all_executions(store, HISTORY_WINDOWS).await?.into_values() {
        let Some(last) = history.last() else { continue };
        let name = last.monitoring_schedule_name.clone();
        monitors.insert(
            format!("{}/{name}", last.endpoint_name),
            MonitorHistory {
                name: name.clone(),
                endpoint: last.endpoint_name.clone(),
                kind: None,
                history,
                retrain: None,
            },
        );
    }
    let mut retrain = retrain_events(store).await?;
    let mut configured = Vec::new();
    for key in store.list(MONITORS_PREFIX).await? {
        if let Some(name) = key
            .strip_prefix(MONITORS_PREFIX)
            .and_then(|k| k.strip_suffix(".json"))
        {
            configured.push(name.to_owned());
        }
    }
    for name in configured {
        let cfg = config_of(store, &name, &mut notes).await?;
        let endpoint = cfg.as_ref().map(|c| c.endpoint.clone());
        let found = monitors
            .values_mut()
            .find(|m| m.name == name && endpoint.as_ref().is_none_or(|e| *e == m.endpoint));
        match found {
            Some(m) => m.kind = cfg.map(|c| c.kind),
            None => {
                monitors.insert(
                    format!("{}/{name}", endpoint.clone().unwrap_or_default()),
                    MonitorHistory {
                        name: name.clone(),
                        endpoint: endpoint.unwrap_or_default(),
                        kind: cfg.map(|c| c.kind),
                        history: Vec::new(),
                        retrain: None,
                    },
                );
            }
        }
    }
    for m in monitors.values_mut() {
        m.retrain = retrain.remove(&m.name);
    }
    Ok(DashboardInputs {
        monitors: monitors.into_values().collect(),
        notes,
    })
}
