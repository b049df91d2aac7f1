//! Clarify-compatible bias baseline and bias-drift rule (spec §9).
//!
//! [`read_bias_dataset`] reads a CSV or JSON Lines dataset into [`BiasInputRow`]s (the label,
//! facet, group and predicted-label cells the config names, plus numeric features for FT);
//! [`bias_baseline`] binarises them by the analysis config and computes Clarify's pre- and
//! post-training metrics with [`drift_math::bias::BiasState`], giving an `analysis.json`;
//! [`bias_drift_violations`] compares two analyses by Clarify's rule.
//!
//! Value rules (spec §9.1): a `value_or_threshold` / `label_values_or_threshold` list is a
//! set of values, except that one numeric entry on a *continuous* column is a threshold
//! (`> t`, written as the interval `"(t, max]"`). **[inferred]** A column counts as
//! continuous when every present value is numeric and at least one is not an integer
//! (smclarify's exact test is not in the spec); this reproduces the SDK pipeline fixture
//! (facet F1 with threshold 0.5) and the adult baselines (Sex = 0, label 1).
//! Predicted labels: with `probability_threshold` set, a numeric prediction `p` becomes label
//! `1` if `p > threshold` else `0`, which then goes through the label rule; without it the
//! prediction goes through the label rule directly.

pub mod metrics;
pub mod prepare;
pub mod tick;

use std::io::Read;

use drift_math::bias::{BiasRow, BiasState, MetricCode};
use serde_json::{Map, Value};

use crate::formats::clarify::{
    py_float_repr, py_value_text, AnalysisConfig, BiasAnalysis, BiasMetric, BiasMetricsBlock,
    BiasViolation, BiasViolations, FacetMetrics, MetricValue, NameOrIndex, BIAS_DRIFT_CHECK,
};
use crate::CoreError;

/// One cell of a dataset.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// a number (CSV text that parses as `f64`, or a JSON number)
    Number(f64),
    /// any other text
    Text(String),
    /// empty CSV field, JSON `null` or absent
    Missing,
}

impl Cell {
    /// CSV field → cell: empty → missing, numeric text → number, else text.
    #[must_use]
    pub fn from_text(s: &str) -> Self {
        let t = s.trim();
        if t.is_empty() {
            Cell::Missing
        } else if let Ok(x) = t.parse::<f64>() {
            Cell::Number(x)
        } else {
            Cell::Text(s.to_owned())
        }
    }

    /// JSON value → cell (booleans as 1/0, objects/arrays as their JSON text).
    #[must_use]
    pub fn from_json(v: &Value) -> Self {
        match v {
            Value::Null => Cell::Missing,
            Value::Number(n) => n.as_f64().map_or(Cell::Missing, Cell::Number),
            Value::Bool(b) => Cell::Number(if *b { 1.0 } else { 0.0 }),
            Value::String(s) => Cell::Text(s.clone()),
            other => Cell::Text(other.to_string()),
        }
    }

    /// Canonical text (groups): text as is, numbers as Python `repr`.
    #[must_use]
    pub fn key(&self) -> Option<String> {
        match self {
            Cell::Number(x) => Some(py_float_repr(*x)),
            Cell::Text(s) => Some(s.clone()),
            Cell::Missing => None,
        }
    }
}

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

fn value_matches(cell: &Cell, v: &Value) -> bool {
    match (cell, v) {
        (Cell::Number(x), Value::Number(n)) => n.as_f64() == Some(*x),
        (Cell::Number(x), Value::String(s)) => s.trim().parse::<f64>().ok() == Some(*x),
        (Cell::Text(t), Value::String(s)) => t == s,
        (Cell::Text(t), Value::Number(n)) => t.trim().parse::<f64>().ok() == n.as_f64(),
        (Cell::Number(x), Value::Bool(b)) => *x == if *b { 1.0 } else { 0.0 },
        _ => false,
    }
}

/// A resolved value rule: membership in a set, or `> t`.
#[derive(Debug, Clone)]
enum Rule {
    Values(Vec<Value>),
    Threshold { t: f64, text: String },
}

impl Rule {
    fn new<'a>(values: &[Value], cells: impl Iterator<Item = &'a Cell>) -> Rule {
        if let [v @ Value::Number(n)] = values {
            if let Some(t) = n.as_f64() {
                let mut all_numeric = true;
                let mut fractional = false;
                for c in cells {
                    match c {
                        Cell::Number(x) => fractional |= x.fract() != 0.0,
                        Cell::Text(_) => all_numeric = false,
                        Cell::Missing => {}
                    }
                }
                if all_numeric && fractional {
                    return Rule::Threshold {
                        t,
                        text: py_value_text(v),
                    };
                }
            }
        }
        Rule::Values(values.to_vec())
    }

    fn matches(&self, cell: &Cell) -> bool {
        match self {
            Rule::Values(vs) => vs.iter().any(|v| value_matches(cell, v)),
            Rule::Threshold { t, .. } => matches!(cell, Cell::Number(x) if x > t),
        }
    }

    /// Clarify's text: `"0"`, `"a,b"`, or `"(t, max]"` over the column's values.
    fn text<'a>(&self, cells: impl Iterator<Item = &'a Cell>) -> String {
        match self {
            Rule::Values(vs) => vs.iter().map(py_value_text).collect::<Vec<_>>().join(","),
            Rule::Threshold { text, .. } => {
                let max = cells
                    .filter_map(|c| match c {
                        Cell::Number(x) => Some(*x),
                        _ => None,
                    })
                    .fold(f64::NEG_INFINITY, f64::max);
                format!("({text}, {}]", py_float_repr(max))
            }
        }
    }
}

fn config_err(field: &str, value: impl Into<String>, message: &str) -> CoreError {
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
/// One [`BiasState`] per `facet` entry (d = rows matching its `value_or_threshold`). The
/// pre-training block always (unless `methods` omits it); the post-training block only when
/// every row carries a prediction. Each metric is `{name, description, value}` or, when
/// smclarify would fail, `{…, "value": null, "error": <Clarify's message>}`.
///
/// # Errors
/// [`CoreError::EmptyDataset`] without rows; [`CoreError::Config`] for a facet without
/// `value_or_threshold` (one-vs-rest is not supported) or a row with the wrong number of
/// facet cells; [`CoreError::Dataset`] for feature vectors of differing length.
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
    let headers = config.headers.clone().unwrap_or_default();
    let label_rule = Rule::new(
        &config.label_values_or_threshold,
        rows.iter().map(|r| &r.label),
    );
    let label_text = label_rule.text(rows.iter().map(|r| &r.label));
    let has_predictions = rows.iter().all(|r| r.predicted.is_some());
    let predicted_positive = |c: &Cell| -> bool {
        match (config.probability_threshold, c) {
            (Some(t), Cell::Number(p)) => {
                label_rule.matches(&Cell::Number(if *p > t { 1.0 } else { 0.0 }))
            }
            _ => label_rule.matches(c),
        }
    };

    let mut states = Vec::with_capacity(config.facet.len());
    for (i, facet) in config.facet.iter().enumerate() {
        let Some(values) = &facet.value_or_threshold else {
            return Err(config_err(
                &format!("facet[{i}].value_or_threshold"),
                "null",
                "one-vs-rest facets are not supported; give the sensitive values",
            ));
        };
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
        let cells = || rows.iter().map(|r| &r.facets[i]);
        let rule = Rule::new(values, cells());
        let value_text = rule.text(cells());
        let mut state = BiasState::new();
        for (n, r) in rows.iter().enumerate() {
            let group = r.group.as_ref().and_then(Cell::key);
            let row = BiasRow {
                sensitive: rule.matches(&r.facets[i]),
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
        states.push(FacetState {
            name: facet.name_or_index.display_name(&headers),
            value_text,
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
/// `methods` leaves it out) and, when `has_predictions`, the post-training block.
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
            pre_facets.push((f.name.clone(), vec![entry(&codes)]));
        }
        if has_predictions {
            if let Some(codes) = selected(config, "post_training_bias", &MetricCode::POST_TRAINING)
            {
                post_facets.push((f.name.clone(), vec![entry(&codes)]));
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
            Cell::Number(x) => features.push(*x),
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

// ---- monitoring windows -------------------------------------------------------------------

impl Rule {
    /// The rule the baseline used: a threshold when the baseline wrote an interval
    /// (`"(t, max]"`) for a single numeric value, else a value set. Windows are then split
    /// exactly as the baseline was, whatever values a window happens to hold.
    fn from_baseline(values: &[Value], baseline_text: Option<&str>) -> Rule {
        if let ([v @ Value::Number(n)], Some(text)) = (values, baseline_text) {
            if let (Some(t), true) = (n.as_f64(), text.starts_with('(')) {
                return Rule::Threshold {
                    t,
                    text: py_value_text(v),
                };
            }
        }
        Rule::Values(values.to_vec())
    }
}

/// One facet split of a bias monitor, resolved.
#[derive(Debug, Clone)]
struct FacetRule {
    name: String,
    rule: Rule,
    value_text: String,
}

/// The analysis config of a bias monitor resolved against its baseline `analysis.json`:
/// how each joined record (a prediction with its label) becomes a [`BiasRow`] per facet.
///
/// * observed label: `label_values_or_threshold` (a threshold if the baseline wrote one);
/// * predicted label: a probability `p` becomes `1` if `p > probability_threshold` (the
///   config's, else the monitor's), then goes through the label rule; a predicted label
///   (inference attribute) goes through the label rule directly;
/// * facet side: `facet[i].value_or_threshold`, again as the baseline split it;
/// * group: the `group_variable` value as text (numbers in Python's `repr`).
///
/// The texts (`label_value_or_threshold`, facet `value_or_threshold`) are the baseline's,
/// so every window's entries pair with the baseline's for the drift check.
#[derive(Debug, Clone)]
pub struct BiasRules {
    label: Rule,
    label_text: String,
    facets: Vec<FacetRule>,
    group: Option<String>,
    probability_threshold: f64,
    from_probability: bool,
}

/// The mergeable bias state of some joined records: one [`BiasState`] per configured facet.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BiasWindowState {
    /// per facet of the analysis config, in config order
    pub facets: Vec<BiasState>,
}

impl BiasWindowState {
    /// Adds another state of the same monitor.
    ///
    /// # Errors
    /// [`CoreError::State`] when the facet counts or feature dimensions differ.
    pub fn merge(&mut self, other: &BiasWindowState) -> Result<(), CoreError> {
        if self.facets.len() != other.facets.len() {
            return Err(CoreError::State {
                key: "bias state".into(),
                message: format!(
                    "{} facets merged into {} (the analysis config changed?)",
                    other.facets.len(),
                    self.facets.len()
                ),
            });
        }
        for (a, b) in self.facets.iter_mut().zip(&other.facets) {
            a.merge(b).map_err(|e| CoreError::State {
                key: "bias state".into(),
                message: e.to_string(),
            })?;
        }
        Ok(())
    }

    /// Records counted (of the first facet; every facet sees every record).
    #[must_use]
    pub fn rows(&self) -> u64 {
        self.facets.first().map_or(0, BiasState::rows)
    }
}

impl BiasRules {
    /// Resolves `config` against the baseline `analysis.json`; `default_threshold` is the
    /// monitor's probability threshold, used when the config has none.
    ///
    /// # Errors
    /// [`CoreError::Config`] for a facet without `value_or_threshold`.
    pub fn new(
        config: &AnalysisConfig,
        baseline: &BiasAnalysis,
        default_threshold: f64,
        from_probability: bool,
    ) -> Result<Self, CoreError> {
        let headers = config.headers.clone().unwrap_or_default();
        let blocks: Vec<&BiasMetricsBlock> = [
            &baseline.pre_training_bias_metrics,
            &baseline.post_training_bias_metrics,
        ]
        .into_iter()
        .flatten()
        .collect();
        let label_text_of_baseline = blocks
            .iter()
            .find_map(|b| b.label_value_or_threshold.clone());
        let label = Rule::from_baseline(
            &config.label_values_or_threshold,
            label_text_of_baseline.as_deref(),
        );
        let label_text = label_text_of_baseline.unwrap_or_else(|| label.text(std::iter::empty()));
        let mut facets = Vec::with_capacity(config.facet.len());
        for (i, f) in config.facet.iter().enumerate() {
            let Some(values) = &f.value_or_threshold else {
                return Err(config_err(
                    &format!("facet[{i}].value_or_threshold"),
                    "null",
                    "one-vs-rest facets are not supported; give the sensitive values",
                ));
            };
            let name = f.name_or_index.display_name(&headers);
            let baseline_text = blocks
                .iter()
                .find_map(|b| b.facet(&name).ok().flatten())
                .and_then(|entries| entries.first().map(|e| e.value_or_threshold.clone()));
            let rule = Rule::from_baseline(values, baseline_text.as_deref());
            let value_text = baseline_text.unwrap_or_else(|| rule.text(std::iter::empty()));
            facets.push(FacetRule {
                name,
                rule,
                value_text,
            });
        }
        Ok(BiasRules {
            label,
            label_text,
            facets,
            group: config
                .group_variable
                .as_ref()
                .map(|g| g.display_name(&headers)),
            probability_threshold: config.probability_threshold.unwrap_or(default_threshold),
            from_probability,
        })
    }

    /// An empty state (FT samples of at most `flip_cap` rows per side).
    #[must_use]
    pub fn empty_state(&self, flip_cap: usize) -> BiasWindowState {
        let one = BiasState::with_flip_cap(flip_cap.max(1)).unwrap_or_default();
        BiasWindowState {
            facets: vec![one; self.facets.len()],
        }
    }

    /// Counts one joined record: its observed `label` text and its prediction.
    ///
    /// # Errors
    /// [`drift_math::bias::BiasError::FeatureDimension`] when the record's input features
    /// differ in length from earlier records'.
    pub fn add(
        &self,
        state: &mut BiasWindowState,
        label: &str,
        prediction: &crate::joined::predictions::Prediction,
    ) -> Result<(), drift_math::bias::BiasError> {
        let observed = self.label.matches(&Cell::from_text(label));
        let predicted = match (self.from_probability, prediction.probability) {
            (true, Some(p)) => Some(self.label.matches(&Cell::Number(
                if p > self.probability_threshold {
                    1.0
                } else {
                    0.0
                },
            ))),
            _ => prediction
                .label
                .as_deref()
                .map(|l| self.label.matches(&Cell::from_text(l))),
        };
        let group = self
            .group
            .as_ref()
            .and_then(|g| prediction.facets.get(g))
            .and_then(|v| Cell::from_text(v).key());
        for (rule, st) in self.facets.iter().zip(state.facets.iter_mut()) {
            let cell = prediction
                .facets
                .get(&rule.name)
                .map_or(Cell::Missing, |v| Cell::from_text(v));
            st.update(&BiasRow {
                sensitive: rule.rule.matches(&cell),
                label: observed,
                predicted,
                group: group.as_deref(),
                features: prediction.features.as_deref(),
            })?;
        }
        Ok(())
    }

    /// The window's `analysis.json` (post-training block when every record had a prediction).
    ///
    /// # Errors
    /// As [`analysis_of`].
    pub fn analysis(
        &self,
        config: &AnalysisConfig,
        state: &BiasWindowState,
    ) -> Result<BiasAnalysis, CoreError> {
        let facets: Vec<FacetState> = self
            .facets
            .iter()
            .zip(&state.facets)
            .map(|(r, s)| FacetState {
                name: r.name.clone(),
                value_text: r.value_text.clone(),
                state: s.clone(),
            })
            .collect();
        let has_predictions = state
            .facets
            .first()
            .is_some_and(|s| s.complement().unpredicted() + s.sensitive().unpredicted() == 0);
        analysis_of(config, &self.label_text, &facets, has_predictions)
    }
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
