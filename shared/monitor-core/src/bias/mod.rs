//! Clarify-compatible bias baseline and bias-drift rule (spec §9).
//!
//! [`read_bias_dataset`] reads a CSV or JSON Lines dataset into [`BiasInputRow`]s (the label,
//! facet, group and predicted-label cells the config names, plus numeric features for FT);
//! [`bias_baseline`] binarises them by the analysis config and computes Clarify's pre- and
//! post-training metrics with [`drift_math::bias::BiasState`], giving an `analysis.json`;
//! [`bias_drift_violations`] compares two analyses by Clarify's rule.
//!
//! Value rules (spec §9.1, issue 12 item 1): Clarify's column rule, [`column`]: a list of
//! more than one value is a category set; one value on a *continuous* column (floats, or
//! integers whose distinct fraction is at least 0.05, smclarify's `series_datatype`) is a
//! threshold `> t`, written as the interval `"(t, max]"` with the dataset's max; a facet
//! without `value_or_threshold` is one-vs-rest (one metric set per value, in order of first
//! appearance as pandas' `unique()` gives them). A monitoring window recomputes the interval
//! on its own data ([`BiasRules`]).
//! Predicted labels: with `probability_threshold` set, a numeric prediction `p` becomes label
//! `1` if `p > threshold` else `0`, which then goes through the label rule; without it the
//! prediction goes through the label rule directly.

pub mod column;
pub mod metrics;
pub mod prepare;
pub mod tick;
mod window;

pub use column::{column_kind, Cell, ColumnKind, ColumnMax, UNIQUENESS_THRESHOLD};
pub use window::{BiasRules, BiasWindowState};

use std::io::Read;

use drift_math::bias::{BiasRow, BiasState, MetricCode};
use serde_json::{Map, Value};

use crate::bias::column::Rule;
use crate::formats::clarify::{
    AnalysisConfig, BiasAnalysis, BiasMetric, BiasMetricsBlock, BiasViolation, BiasViolations,
    FacetMetrics, MetricValue, NameOrIndex, BIAS_DRIFT_CHECK,
};
use crate::CoreError;

/// The cells of one record that the bias metrics need.
#[derive(Debug, Clone, PartialEq)]
pub struct BiasInputRow {
    /// observed label
    pub label: Cell,
    /// one cell per `facet` entry of the config, in config order
    pub facets: Vec<Cell>,
    /// `group_variable` cell (`None` if not configured)
    pub group: Option<Cell>,
    /// predicted label or probability (`None` if the dataset has no prediction)
    pub predicted: Option<Cell>,
    /// every other column, when all are numeric (for FT)
    pub features: Option<Vec<f64>>,
}

/// Dataset encodings [`read_bias_dataset`] understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BiasDataFormat {
    /// CSV: a first row equal to the config's `headers` is skipped; without `headers` in
    /// the config the first row is the header
    Csv,
    /// JSON Lines: `{"features": [...], "label": x}` (names from the config's `headers`:
    /// the features, then the label), or flat objects keyed by column name
    JsonLines,
}

pub(crate) fn config_err(field: &str, value: impl Into<String>, message: &str) -> CoreError {
    CoreError::Config {
        field: field.to_owned(),
        value: value.into(),
        message: message.to_owned(),
    }
}

/// Codes of one stage selected by `methods.{stage}.methods` (`"all"` or a list of codes);
/// `None` if `methods` is given without this stage. No `methods` → every code.
fn selected(config: &AnalysisConfig, stage: &str, all: &[MetricCode]) -> Option<Vec<MetricCode>> {
    let Some(methods) = &config.methods else {
        return Some(all.to_vec());
    };
    let m = methods.get(stage)?;
    match m.get("methods") {
        Some(Value::Array(list)) => Some(
            all.iter()
                .copied()
                .filter(|c| list.iter().any(|v| v.as_str() == Some(c.code())))
                .collect(),
        ),
        _ => Some(all.to_vec()),
    }
}

fn metric_entry(code: MetricCode, r: Result<f64, drift_math::bias::BiasError>) -> BiasMetric {
    let (value, error) = match r {
        Ok(x) => (MetricValue::Float(x), None),
        Err(e) => (MetricValue::Null, Some(e.to_string())),
    };
    BiasMetric {
        name: code.code().to_owned(),
        description: code.description().to_owned(),
        value,
        error,
        extra: Map::new(),
    }
}

/// Computes Clarify's bias `analysis.json` for `rows` under `config` (spec §9).
///
/// One [`BiasState`] per `facet` entry (d = rows matching its `value_or_threshold` by
/// Clarify's column rule, [`column`]), or, for a one-vs-rest facet (no
/// `value_or_threshold`), one per distinct value in order of first appearance. The
/// pre-training block always (unless `methods` omits it); the post-training block only when
/// every row carries a prediction. Each metric is `{name, description, value}` or, when
/// smclarify would fail, `{…, "value": null, "error": <Clarify's message>}`.
///
/// # Errors
/// [`CoreError::EmptyDataset`] without rows; [`CoreError::Config`] for a one-vs-rest facet
/// on a continuous column (smclarify: "Threshold values must be provided for continuous
/// features") or a row with the wrong number of facet cells; [`CoreError::Dataset`] for
/// feature vectors of differing length.
pub fn bias_baseline(
    rows: impl Iterator<Item = BiasInputRow>,
    config: &AnalysisConfig,
) -> Result<BiasAnalysis, CoreError> {
    let rows: Vec<BiasInputRow> = rows.collect();
    if rows.is_empty() {
        return Err(CoreError::EmptyDataset {
            file: "bias dataset".to_owned(),
        });
    }
    if let Some((n, r)) = rows
        .iter()
        .enumerate()
        .find(|(_, r)| r.facets.len() != config.facet.len())
    {
        return Err(config_err(
            "facet",
            format!("row {n} has {} facet cells", r.facets.len()),
            "expected one cell per configured facet",
        ));
    }
    let headers = config.headers.clone().unwrap_or_default();
    let labels = || rows.iter().map(|r| &r.label);
    let label_rule = Rule::of_column(&config.label_values_or_threshold, labels());
    let label_text = label_rule.text(&ColumnMax::of(labels()));
    let has_predictions = rows.iter().all(|r| r.predicted.is_some());
    let predicted_positive = |c: &Cell| -> bool {
        match (config.probability_threshold, c.number()) {
            (Some(t), Some(p)) => label_rule.matches(&Cell::Number(if p > t { 1.0 } else { 0.0 })),
            _ => label_rule.matches(c),
        }
    };
    let count = |sensitive: &dyn Fn(&BiasInputRow) -> bool| -> Result<BiasState, CoreError> {
        let mut state = BiasState::new();
        for (n, r) in rows.iter().enumerate() {
            let group = r.group.as_ref().and_then(Cell::key);
            let row = BiasRow {
                sensitive: sensitive(r),
                label: label_rule.matches(&r.label),
                predicted: r.predicted.as_ref().map(&predicted_positive),
                group: group.as_deref(),
                features: r.features.as_deref(),
            };
            state.update(&row).map_err(|e| CoreError::Dataset {
                file: "bias dataset".to_owned(),
                line: n as u64 + 1,
                column: "features".to_owned(),
                message: e.to_string(),
            })?;
        }
        Ok(state)
    };

    let mut states = Vec::with_capacity(config.facet.len());
    for (i, facet) in config.facet.iter().enumerate() {
        let name = facet.name_or_index.display_name(&headers);
        let cells = || rows.iter().map(|r| &r.facets[i]);
        let Some(values) = &facet.value_or_threshold else {
            if column_kind(None, cells()) == ColumnKind::Continuous {
                return Err(config_err(
                    &format!("facet[{i}].value_or_threshold"),
                    "null",
                    &format!(
                        "Threshold values must be provided for continuous features \
                         (facet {name:?} is continuous by Clarify's rule: floats, or \
                         integers with at least {UNIQUENESS_THRESHOLD} distinct values per \
                         present value)"
                    ),
                ));
            }
            // one-vs-rest: pandas' `unique()`, in order of first appearance
            let mut seen = std::collections::HashSet::new();
            for cell in cells() {
                let Some(text) = cell.value_text() else {
                    continue;
                };
                if !seen.insert(text.clone()) {
                    continue;
                }
                let state = count(&|r| r.facets[i].value_text().as_deref() == Some(&text))?;
                states.push(FacetState {
                    name: name.clone(),
                    value_text: text,
                    state,
                });
            }
            continue;
        };
        let rule = Rule::of_column(values, cells());
        let state = count(&|r| rule.matches(&r.facets[i]))?;
        states.push(FacetState {
            name,
            value_text: rule.text(&ColumnMax::of(cells())),
            state,
        });
    }
    analysis_of(config, &label_text, &states, has_predictions)
}

/// One facet split's state with the texts analysis.json names it by.
#[derive(Debug, Clone)]
pub struct FacetState {
    /// the facet column's name
    pub name: String,
    /// Clarify's `value_or_threshold` text (`"0"`, `"a,b"`, `"(t, max]"`)
    pub value_text: String,
    /// the counts
    pub state: BiasState,
}

/// Clarify's `analysis.json` of facet states (spec §9.2): the pre-training block (unless
/// `methods` leaves it out) and, when `has_predictions`, the post-training block. Adjacent
/// states of the same facet (one-vs-rest) become the entries of one facet, in order.
///
/// # Errors
/// [`CoreError::Format`] if a block cannot be represented (should not happen).
pub fn analysis_of(
    config: &AnalysisConfig,
    label_text: &str,
    facets: &[FacetState],
    has_predictions: bool,
) -> Result<BiasAnalysis, CoreError> {
    let headers = config.headers.clone().unwrap_or_default();
    let mut pre_facets = Vec::new();
    let mut post_facets = Vec::new();
    for f in facets {
        let entry = |codes: &[MetricCode]| FacetMetrics {
            value_or_threshold: f.value_text.clone(),
            metrics: f
                .state
                .metrics(codes)
                .into_iter()
                .map(|(c, r)| metric_entry(c, r))
                .collect(),
            extra: Map::new(),
        };
        if let Some(codes) = selected(config, "pre_training_bias", &MetricCode::PRE_TRAINING) {
            push_entry(&mut pre_facets, &f.name, entry(&codes));
        }
        if has_predictions {
            if let Some(codes) = selected(config, "post_training_bias", &MetricCode::POST_TRAINING)
            {
                push_entry(&mut post_facets, &f.name, entry(&codes));
            }
        }
    }
    let label_name = config.label.display_name(&headers);
    let block =
        |facets: Vec<(String, Vec<FacetMetrics>)>| -> Result<Option<BiasMetricsBlock>, CoreError> {
            if facets.is_empty() {
                return Ok(None);
            }
            BiasMetricsBlock::new(label_name.clone(), Some(label_text.to_owned()), facets)
                .map(Some)
                .map_err(|source| CoreError::Format {
                    key: "analysis.json".to_owned(),
                    source,
                })
        };
    Ok(BiasAnalysis {
        version: "1.0".to_owned(),
        post_training_bias_metrics: block(post_facets)?,
        pre_training_bias_metrics: block(pre_facets)?,
        extra: Map::new(),
    })
}

/// Appends `entry` to the last facet when it has the same name, else as a new facet.
fn push_entry(facets: &mut Vec<(String, Vec<FacetMetrics>)>, name: &str, entry: FacetMetrics) {
    match facets.last_mut() {
        Some((n, entries)) if n == name => entries.push(entry),
        _ => facets.push((name.to_owned(), vec![entry])),
    }
}

/// Column roles resolved against the names of one record.
struct Roles {
    label: usize,
    facets: Vec<usize>,
    group: Option<usize>,
    predicted: Option<usize>,
}

fn resolve(config: &AnalysisConfig, names: &[String], file: &str) -> Result<Roles, CoreError> {
    let find = |field: &str, c: &NameOrIndex| {
        c.resolve(names).ok_or_else(|| CoreError::Dataset {
            file: file.to_owned(),
            line: 1,
            column: c.display_name(names),
            message: format!("{field} column not found among {names:?}"),
        })
    };
    Ok(Roles {
        label: find("label", &config.label)?,
        facets: config
            .facet
            .iter()
            .map(|f| find("facet", &f.name_or_index))
            .collect::<Result<_, _>>()?,
        group: config
            .group_variable
            .as_ref()
            .map(|g| find("group_variable", g))
            .transpose()?,
        predicted: config
            .predicted_label
            .as_ref()
            .map(|p| find("predicted_label", p))
            .transpose()?,
    })
}

fn to_row(roles: &Roles, cells: Vec<Cell>) -> BiasInputRow {
    let get = |i: usize| cells.get(i).cloned().unwrap_or(Cell::Missing);
    let mut features = Vec::new();
    let mut numeric = true;
    for (i, c) in cells.iter().enumerate() {
        if i == roles.label || Some(i) == roles.predicted {
            continue;
        }
        match c {
            Cell::Number(x) | Cell::Float(x) => features.push(*x),
            _ => numeric = false,
        }
    }
    BiasInputRow {
        label: get(roles.label),
        facets: roles.facets.iter().map(|&i| get(i)).collect(),
        group: roles.group.map(get),
        predicted: roles.predicted.map(get),
        features: numeric.then_some(features),
    }
}

/// Reads a bias dataset (CSV or JSON Lines) into rows for [`bias_baseline`].
///
/// `file` names the input in errors.
///
/// # Errors
/// [`CoreError::Dataset`] naming file, line and column for unreadable or ragged rows, a
/// missing configured column, or JSON Lines `features` without `headers` in the config;
/// [`CoreError::Io`] for read failures.
///
/// Why it is long: the CSV and JSON Lines readers share the column resolution and the
/// per-row error messages; both branches sit together so that they name files, lines and
/// columns the same way.
pub fn read_bias_dataset<R: Read>(
    reader: R,
    format: BiasDataFormat,
    config: &AnalysisConfig,
    file: &str,
) -> Result<Vec<BiasInputRow>, CoreError> {
    let ds_err = |line: u64, column: &str, message: String| CoreError::Dataset {
        file: file.to_owned(),
        line,
        column: column.to_owned(),
        message,
    };
    let mut out = Vec::new();
    match format {
        BiasDataFormat::Csv => {
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(reader);
            let mut names: Option<Vec<String>> = config.headers.clone();
            let mut roles: Option<Roles> = None;
            for (n, rec) in rdr.records().enumerate() {
                let line = n as u64 + 1;
                let rec = rec.map_err(|e| ds_err(line, "-", e.to_string()))?;
                let fields: Vec<String> = rec.iter().map(str::to_owned).collect();
                if n == 0 {
                    match &names {
                        None => {
                            names = Some(fields);
                            continue;
                        }
                        Some(h) if *h == fields => continue,
                        Some(_) => {}
                    }
                }
                let h = names.as_deref().unwrap_or_default();
                if fields.len() != h.len() {
                    return Err(ds_err(
                        line,
                        "-",
                        format!("{} fields, expected {} (headers)", fields.len(), h.len()),
                    ));
                }
                if roles.is_none() {
                    roles = Some(resolve(config, h, file)?);
                }
                if let Some(r) = &roles {
                    out.push(to_row(
                        r,
                        fields.iter().map(|s| Cell::from_text(s)).collect(),
                    ));
                }
            }
        }
        BiasDataFormat::JsonLines => {
            let mut text = String::new();
            let mut reader = reader;
            reader
                .read_to_string(&mut text)
                .map_err(|source| CoreError::Io {
                    key: file.to_owned(),
                    source,
                })?;
            let label_name = config
                .label
                .display_name(config.headers.as_deref().unwrap_or_default());
            for (n, l) in text.lines().enumerate() {
                let line = n as u64 + 1;
                if l.trim().is_empty() {
                    continue;
                }
                let v: Value =
                    serde_json::from_str(l).map_err(|e| ds_err(line, "-", e.to_string()))?;
                let Value::Object(obj) = v else {
                    return Err(ds_err(line, "-", "not a JSON object".to_owned()));
                };
                let (names, cells): (Vec<String>, Vec<Cell>) = match obj.get("features") {
                    Some(Value::Array(feats)) => {
                        let h = config.headers.as_deref().ok_or_else(|| {
                            ds_err(
                                line,
                                "features",
                                "JSON Lines features need headers in the config".to_owned(),
                            )
                        })?;
                        if h.len() < feats.len() {
                            return Err(ds_err(
                                line,
                                "features",
                                format!("{} features, but only {} headers", feats.len(), h.len()),
                            ));
                        }
                        let mut names: Vec<String> = h[..feats.len()].to_vec();
                        let mut cells: Vec<Cell> = feats.iter().map(Cell::from_json).collect();
                        names.push(label_name.clone());
                        cells.push(obj.get("label").map_or(Cell::Missing, Cell::from_json));
                        for (k, val) in &obj {
                            if k != "features" && k != "label" {
                                names.push(k.clone());
                                cells.push(Cell::from_json(val));
                            }
                        }
                        (names, cells)
                    }
                    _ => obj
                        .iter()
                        .map(|(k, v)| (k.clone(), Cell::from_json(v)))
                        .unzip(),
                };
                let roles = resolve(config, &names, file).map_err(|e| match e {
                    CoreError::Dataset {
                        column, message, ..
                    } => ds_err(line, &column, message),
                    other => other,
                })?;
                out.push(to_row(&roles, cells));
            }
        }
    }
    if out.is_empty() {
        return Err(CoreError::EmptyDataset {
            file: file.to_owned(),
        });
    }
    Ok(out)
}

/// Is `current` worse than `baseline` for metric `name`? (spec §9.4)
///
/// `|current| > |baseline|` (farther from the neutral 0, the DG's rule, matching every real
/// violation file); DI is compared by distance from its neutral value 1:
/// `|current − 1| > |baseline − 1|` **[inferred]**. A NaN or `null` on either side never
/// violates; `+∞` against a finite baseline does (the real TE violations).
#[must_use]
pub fn bias_metric_violates(name: &str, current: f64, baseline: f64) -> bool {
    if current.is_nan() || baseline.is_nan() {
        return false;
    }
    let neutral = if name == "DI" { 1.0 } else { 0.0 };
    (current - neutral).abs() > (baseline - neutral).abs()
}

/// Clarify's bias-drift violations of `current` against `baseline` (spec §9.4).
///
/// For both blocks (post-training first, as Clarify lists them), each facet entry of
/// `current` is matched to the baseline entry of the same facet with the same
/// `value_or_threshold` (else the one at the same position: threshold intervals carry the
/// data's maximum), and each metric to the baseline metric of the same name; a pair that
/// [`bias_metric_violates`] gives one `bias_drift_check` violation. Malformed facet entries
/// are skipped.
#[must_use]
pub fn bias_drift_violations(baseline: &BiasAnalysis, current: &BiasAnalysis) -> BiasViolations {
    let mut out = BiasViolations::default();
    let pairs = [
        (
            &baseline.post_training_bias_metrics,
            &current.post_training_bias_metrics,
        ),
        (
            &baseline.pre_training_bias_metrics,
            &current.pre_training_bias_metrics,
        ),
    ];
    for (b, c) in pairs {
        let (Some(b), Some(c)) = (b, c) else { continue };
        for facet in c.facets.keys() {
            let (Ok(Some(cur)), Ok(Some(base))) = (c.facet(facet), b.facet(facet)) else {
                continue;
            };
            for (pos, ce) in cur.iter().enumerate() {
                let be = base
                    .iter()
                    .find(|e| e.value_or_threshold == ce.value_or_threshold)
                    .or_else(|| base.get(pos));
                let Some(be) = be else { continue };
                for m in &ce.metrics {
                    let Some(bm) = be.metrics.iter().find(|x| x.name == m.name) else {
                        continue;
                    };
                    let (Some(cv), Some(bv)) = (m.value.as_f64(), bm.value.as_f64()) else {
                        continue;
                    };
                    if bias_metric_violates(&m.name, cv, bv) {
                        out.violations.push(BiasViolation {
                            constraint_check_type: BIAS_DRIFT_CHECK.to_owned(),
                            description: crate::formats::clarify::bias_violation_description(
                                cv, bv,
                            ),
                            facet: facet.clone(),
                            facet_value: ce.value_or_threshold.clone(),
                            metric_name: m.name.clone(),
                            extra: Map::new(),
                        });
                    }
                }
            }
        }
    }
    out
}

/// Where each facet and the group variable are in the endpoint input: the monitor's
/// `facet_attributes`, else the column's position among the analysis config's `headers`
/// without the label and predicted-label columns (an endpoint receives the features only).
///
/// # Errors
/// [`CoreError::Config`] naming a column that is neither configured nor in `headers`.
pub fn facet_attributes(
    config: &AnalysisConfig,
    configured: &std::collections::BTreeMap<String, String>,
) -> Result<std::collections::BTreeMap<String, String>, CoreError> {
    let headers = config.headers.clone().unwrap_or_default();
    let skip: Vec<usize> = [Some(&config.label), config.predicted_label.as_ref()]
        .into_iter()
        .flatten()
        .filter_map(|c| c.resolve(&headers))
        .collect();
    let inputs: Vec<&String> = headers
        .iter()
        .enumerate()
        .filter(|(i, _)| !skip.contains(i))
        .map(|(_, h)| h)
        .collect();
    let mut out = configured.clone();
    let wanted = config
        .facet
        .iter()
        .map(|f| &f.name_or_index)
        .chain(config.group_variable.as_ref());
    for col in wanted {
        let name = col.display_name(&headers);
        if out.contains_key(&name) {
            continue;
        }
        let pos = inputs.iter().position(|h| **h == name).ok_or_else(|| {
            config_err(
                "bias.facet_attributes",
                name.clone(),
                "not configured, and not an input column of the analysis config's headers",
            )
        })?;
        out.insert(name, pos.to_string());
    }
    Ok(out)
}
