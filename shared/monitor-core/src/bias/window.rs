//! Monitoring windows of a bias monitor: the analysis config resolved against the baseline
//! ([`BiasRules`]) and the mergeable state of a window's joined records
//! ([`BiasWindowState`]).

use std::collections::BTreeMap;

use drift_math::bias::{BiasRow, BiasState};
use serde_json::Value;

use crate::bias::column::{Cell, ColumnMax, Rule};
use crate::bias::{analysis_of, FacetState};
use crate::formats::clarify::{AnalysisConfig, BiasAnalysis, BiasMetricsBlock};
use crate::CoreError;

impl Rule {
    /// The rule the baseline used: a threshold when the baseline wrote an interval
    /// (`"(t, max]"`, or `""` when the max equalled `t`) for a single numeric value, else a
    /// value set. Windows are then split exactly as the baseline was, whatever values a
    /// window happens to hold (a window of few distinct integers would otherwise flip to
    /// categorical).
    fn from_baseline(values: &[Value], baseline_text: Option<&str>) -> Rule {
        let threshold = baseline_text.is_some_and(|t| t.is_empty() || t.starts_with('('));
        let kind = if threshold {
            crate::bias::ColumnKind::Continuous
        } else {
            crate::bias::ColumnKind::Categorical
        };
        Rule::new(values, kind)
    }
}

/// How one configured facet splits records.
#[derive(Debug, Clone)]
enum FacetSplit {
    /// d = the records the rule matches; `baseline_text` names a value set
    Rule {
        rule: Rule,
        baseline_text: Option<String>,
    },
    /// no `value_or_threshold`: one split per value (one-vs-rest)
    OneVsRest,
}

/// One facet of a bias monitor, resolved.
#[derive(Debug, Clone)]
struct FacetRule {
    name: String,
    split: FacetSplit,
}

/// The analysis config of a bias monitor resolved against its baseline `analysis.json`:
/// how each joined record (a prediction with its label) becomes a [`BiasRow`] per facet.
///
/// * observed label: `label_values_or_threshold` (a threshold if the baseline wrote one);
/// * predicted label: a probability `p` becomes `1` if `p > probability_threshold` (the
///   config's, else the monitor's), then goes through the label rule; a predicted label
///   (inference attribute) goes through the label rule directly;
/// * facet side: `facet[i].value_or_threshold`, again as the baseline split it; a facet
///   without it is one-vs-rest, one split per value the window holds;
/// * group: the `group_variable` value as text (numbers in Python's `repr`).
///
/// Value-set texts are the baseline's; a threshold's interval `"(t, max]"` is recomputed
/// with the window's own max, as Clarify's monitoring job does (baseline `"(100, 225]"`,
/// window `"(100, 232]"`), and the violations name the window's interval.
#[derive(Debug, Clone)]
pub struct BiasRules {
    label: Rule,
    label_text: Option<String>,
    facets: Vec<FacetRule>,
    group: Option<String>,
    probability_threshold: f64,
    from_probability: bool,
}

/// The mergeable bias state of some joined records: one [`BiasState`] per configured facet,
/// the extent of the facet and label columns (for threshold intervals) and, per
/// one-vs-rest facet, one state per value.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BiasWindowState {
    /// per facet of the analysis config, in config order (for a one-vs-rest facet: every
    /// record on the complement side, the state a value not yet seen starts from)
    pub facets: Vec<BiasState>,
    /// per facet, the column's max and float-ness (empty in states written before issue 12)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facet_max: Vec<ColumnMax>,
    /// the label column's max and float-ness
    #[serde(default, skip_serializing_if = "ColumnMax::is_empty")]
    pub label_max: ColumnMax,
    /// per facet, the one-vs-rest states by value text (empty maps for other facets)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub one_vs_rest: Vec<BTreeMap<String, BiasState>>,
}

fn state_err(e: &drift_math::bias::BiasError) -> CoreError {
    CoreError::State {
        key: "bias state".into(),
        message: e.to_string(),
    }
}

impl BiasWindowState {
    /// Adds another state of the same monitor.
    ///
    /// A one-vs-rest value seen on one side only is merged with the other side's
    /// complement-only state (there every record was on the complement side).
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
        let n = self.facets.len();
        if !other.one_vs_rest.is_empty() || !self.one_vs_rest.is_empty() {
            self.one_vs_rest.resize_with(n, BTreeMap::new);
            for i in 0..n {
                let theirs = other.one_vs_rest.get(i);
                let mut merged = BTreeMap::new();
                let keys: std::collections::BTreeSet<&String> = self.one_vs_rest[i]
                    .keys()
                    .chain(theirs.into_iter().flat_map(BTreeMap::keys))
                    .collect();
                for k in keys {
                    let mut s = self.one_vs_rest[i]
                        .get(k)
                        .unwrap_or(&self.facets[i])
                        .clone();
                    s.merge(theirs.and_then(|t| t.get(k)).unwrap_or(&other.facets[i]))
                        .map_err(|e| state_err(&e))?;
                    merged.insert(k.clone(), s);
                }
                self.one_vs_rest[i] = merged;
            }
        }
        for (a, b) in self.facets.iter_mut().zip(&other.facets) {
            a.merge(b).map_err(|e| state_err(&e))?;
        }
        if !other.facet_max.is_empty() {
            self.facet_max.resize(n, ColumnMax::default());
            for (a, b) in self.facet_max.iter_mut().zip(&other.facet_max) {
                a.merge(b);
            }
        }
        self.label_max.merge(&other.label_max);
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
    /// None today (kept for config checks to come).
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
        let label_text = blocks
            .iter()
            .find_map(|b| b.label_value_or_threshold.clone());
        let label = Rule::from_baseline(&config.label_values_or_threshold, label_text.as_deref());
        let mut facets = Vec::with_capacity(config.facet.len());
        for f in &config.facet {
            let name = f.name_or_index.display_name(&headers);
            let split = match &f.value_or_threshold {
                None => FacetSplit::OneVsRest,
                Some(values) => {
                    let baseline_text = blocks
                        .iter()
                        .find_map(|b| b.facet(&name).ok().flatten())
                        .and_then(|entries| entries.first().map(|e| e.value_or_threshold.clone()));
                    FacetSplit::Rule {
                        rule: Rule::from_baseline(values, baseline_text.as_deref()),
                        baseline_text,
                    }
                }
            };
            facets.push(FacetRule { name, split });
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
        let n = self.facets.len();
        let ovr = self
            .facets
            .iter()
            .any(|f| matches!(f.split, FacetSplit::OneVsRest));
        BiasWindowState {
            facets: vec![one; n],
            facet_max: vec![ColumnMax::default(); n],
            label_max: ColumnMax::default(),
            one_vs_rest: if ovr {
                vec![BTreeMap::new(); n]
            } else {
                Vec::new()
            },
        }
    }

    /// Counts one joined record: its observed `label` text and its prediction.
    ///
    /// # Errors
    /// [`drift_math::bias::BiasError::FeatureDimension`] when the record's input features
    /// differ in length from earlier records' (the state is then unchanged).
    pub fn add(
        &self,
        state: &mut BiasWindowState,
        label: &str,
        prediction: &crate::joined::predictions::Prediction,
    ) -> Result<(), drift_math::bias::BiasError> {
        let label_cell = Cell::from_text(label);
        let observed = self.label.matches(&label_cell);
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
        let n = self.facets.len();
        state.facet_max.resize(n, ColumnMax::default());
        if self
            .facets
            .iter()
            .any(|f| matches!(f.split, FacetSplit::OneVsRest))
        {
            state.one_vs_rest.resize_with(n, BTreeMap::new);
        }
        for (i, rule) in self.facets.iter().enumerate() {
            let cell = prediction
                .facets
                .get(&rule.name)
                .map_or(Cell::Missing, |v| Cell::from_text(v));
            let row = |sensitive: bool| BiasRow {
                sensitive,
                label: observed,
                predicted,
                group: group.as_deref(),
                features: prediction.features.as_deref(),
            };
            match &rule.split {
                FacetSplit::Rule { rule, .. } => {
                    state.facets[i].update(&row(rule.matches(&cell)))?;
                }
                FacetSplit::OneVsRest => {
                    let value = cell.value_text();
                    let values = &mut state.one_vs_rest[i];
                    // a value seen for the first time starts from the complement-only state
                    let fresh = value
                        .as_ref()
                        .filter(|v| !values.contains_key(*v))
                        .map(|_| state.facets[i].clone());
                    state.facets[i].update(&row(false))?;
                    for (v, st) in values.iter_mut() {
                        st.update(&row(value.as_ref() == Some(v)))?;
                    }
                    if let (Some(v), Some(mut st)) = (value, fresh) {
                        st.update(&row(true))?;
                        values.insert(v, st);
                    }
                }
            }
            state.facet_max[i].add(&cell);
        }
        state.label_max.add(&label_cell);
        Ok(())
    }

    /// The window's `analysis.json` (post-training block when every record had a
    /// prediction); threshold intervals use the window's max.
    ///
    /// # Errors
    /// As [`analysis_of`].
    pub fn analysis(
        &self,
        config: &AnalysisConfig,
        state: &BiasWindowState,
    ) -> Result<BiasAnalysis, CoreError> {
        let mut facets = Vec::new();
        for (i, (r, s)) in self.facets.iter().zip(&state.facets).enumerate() {
            match &r.split {
                FacetSplit::Rule {
                    rule,
                    baseline_text,
                } => {
                    let value_text = match (rule, baseline_text) {
                        (Rule::Values(_), Some(text)) => text.clone(),
                        _ => rule.text(state.facet_max.get(i).unwrap_or(&ColumnMax::default())),
                    };
                    facets.push(FacetState {
                        name: r.name.clone(),
                        value_text,
                        state: s.clone(),
                    });
                }
                FacetSplit::OneVsRest => {
                    for (v, st) in state.one_vs_rest.get(i).into_iter().flatten() {
                        facets.push(FacetState {
                            name: r.name.clone(),
                            value_text: v.clone(),
                            state: st.clone(),
                        });
                    }
                }
            }
        }
        let has_predictions = state
            .facets
            .first()
            .is_some_and(|s| s.complement().unpredicted() + s.sensitive().unpredicted() == 0);
        let label_text = match (&self.label, &self.label_text) {
            (Rule::Values(_), Some(text)) => text.clone(),
            (rule, _) => rule.text(&state.label_max),
        };
        analysis_of(config, &label_text, &facets, has_predictions)
    }
}
