//! Which slices a record falls in, and the slices' profiles: the hook of the data-quality
//! consumer ([`crate::data_quality::consume::Profiler`]) and the window's cap.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use super::config::{SegmentSettings, SliceSpec};
use crate::config::MonitorConfig;
use crate::data_quality::profile::{parse_number, DatasetProfile};
use crate::formats::capture::Row;
use crate::joined::predictions::Prediction;
use crate::CoreError;

/// The slice of records whose slice feature has no value.
pub const MISSING: &str = "__missing__";
/// The slice of values past the cap, not listed, or (for ranges) not numbers.
pub const OTHER: &str = "__other__";
/// The name of the low-confidence slicing (`low_confidence=yes` / `low_confidence=no`).
pub const LOW_CONFIDENCE: &str = "low_confidence";

/// How one slicing names a value.
#[derive(Debug, Clone)]
enum Rule {
    /// one slice per value, or only the listed ones
    Values(Option<BTreeSet<String>>),
    /// numeric ranges between ascending edges
    Edges(Vec<f64>),
    /// `|p − threshold| < delta`
    Band { threshold: f64, delta: f64 },
}

/// Where a slicing reads its value.
#[derive(Debug, Clone)]
enum Source {
    /// a capture record's feature, by position (data quality)
    Column(usize),
    /// a prediction's facet value (model quality: `facet_attributes`)
    Facet(String),
    /// a prediction's probability (model quality, the low-confidence band)
    Probability,
}

/// One slicing, resolved to where its value is.
#[derive(Debug, Clone)]
struct Slicing {
    name: String,
    source: Source,
    rule: Rule,
}

/// The rule of `spec`.
fn rule_of(spec: &SliceSpec) -> Rule {
    match (&spec.edges, &spec.values, &spec.low_confidence) {
        (_, _, Some(l)) => Rule::Band {
            threshold: l.threshold,
            delta: l.delta,
        },
        (Some(e), _, _) => Rule::Edges(e.clone()),
        (None, v, None) => Rule::Values(v.as_ref().map(|v| v.iter().cloned().collect())),
    }
}

/// The name of slicing `spec` (its feature, or [`LOW_CONFIDENCE`]).
#[must_use]
pub fn slicing_name(spec: &SliceSpec) -> &str {
    spec.feature.as_deref().unwrap_or(LOW_CONFIDENCE)
}

/// `true` when the slicing makes one slice per value seen (the ones the cap bounds).
#[must_use]
pub fn is_open(spec: &SliceSpec) -> bool {
    spec.fixed_slices().is_none()
}

/// A slice key `name=value` split in two (at the first `=`).
#[must_use]
pub fn split_key(key: &str) -> (&str, &str) {
    key.split_once('=').unwrap_or((key, ""))
}

/// The label of `x` among ranges cut at `edges`: `<a`, `[a,b)`, `>=z`.
#[must_use]
pub fn range_label(edges: &[f64], x: f64) -> String {
    match edges.iter().position(|e| x < *e) {
        Some(0) => format!("<{}", edges[0]),
        Some(i) => format!("[{},{})", edges[i - 1], edges[i]),
        None => format!(">={}", edges[edges.len() - 1]),
    }
}

/// Names each record's slices for one monitor, capping the slices one capture object opens.
#[derive(Debug, Clone)]
pub struct Slicer {
    slicings: Vec<Slicing>,
    /// slices the open slicings may make (the cap less the fixed slices)
    budget: usize,
    /// open slices made so far (this object)
    opened: BTreeSet<String>,
}

impl Slicer {
    /// The slicer of `cfg` over the capture mapping's `features`; `None` without a
    /// `segments` block.
    ///
    /// # Errors
    /// [`CoreError::Config`] naming a slice feature the baseline does not have.
    pub fn for_monitor(
        cfg: &MonitorConfig,
        features: &[String],
    ) -> Result<Option<Self>, CoreError> {
        let Some(settings) = &cfg.segments else {
            return Ok(None);
        };
        let mut slicings = Vec::with_capacity(settings.slices.len());
        for (i, spec) in settings.slices.iter().enumerate() {
            let feature = match (&spec.feature, &spec.low_confidence) {
                (Some(f), _) => Some(f),
                (None, Some(l)) => l.feature.as_ref(),
                (None, None) => None,
            };
            let index = match feature {
                None => 0,
                Some(f) => {
                    features
                        .iter()
                        .position(|x| x == f)
                        .ok_or_else(|| CoreError::Config {
                            field: format!("monitor {} segments.slices[{i}]", cfg.name),
                            value: f.clone(),
                            message: format!(
                                "not a baseline feature (the baseline has {})",
                                features.join(", ")
                            ),
                        })?
                }
            };
            slicings.push(Slicing {
                name: slicing_name(spec).to_string(),
                source: Source::Column(index),
                rule: rule_of(spec),
            });
        }
        Ok(Some(Self {
            slicings,
            budget: open_budget(settings),
            opened: BTreeSet::new(),
        }))
    }

    /// The slicer of model-quality monitor `cfg`, over its joined predictions: a feature
    /// slicing reads the prediction's facet of that name (`model_quality.facet_attributes`),
    /// the low-confidence band its probability. `None` without a `segments` block.
    ///
    /// # Errors
    /// [`CoreError::Config`] naming a slice feature that is not a facet attribute.
    pub fn for_predictions(cfg: &MonitorConfig) -> Result<Option<Self>, CoreError> {
        let Some(settings) = &cfg.segments else {
            return Ok(None);
        };
        let attrs = cfg.prediction_attributes();
        let mut slicings = Vec::with_capacity(settings.slices.len());
        for (i, spec) in settings.slices.iter().enumerate() {
            let source = match &spec.feature {
                None => Source::Probability,
                Some(f) if attrs.facet_attributes.contains_key(f) => Source::Facet(f.clone()),
                Some(f) => {
                    return Err(CoreError::Config {
                        field: format!("monitor {} segments.slices[{i}]", cfg.name),
                        value: f.clone(),
                        message: "a model-quality slice feature must be one of model_quality.facet_attributes".into(),
                    })
                }
            };
            slicings.push(Slicing {
                name: slicing_name(spec).to_string(),
                source,
                rule: rule_of(spec),
            });
        }
        Ok(Some(Self {
            slicings,
            budget: open_budget(settings),
            opened: BTreeSet::new(),
        }))
    }

    /// The slices of `row`, one per slicing, as `name=value` keys.
    pub fn keys(&mut self, row: &Row) -> Vec<String> {
        self.keys_with(|s| match s {
            Source::Column(i) => row.get(*i).map(Cow::Borrowed),
            Source::Facet(_) | Source::Probability => None,
        })
    }

    /// The slices of joined prediction `p`, one per slicing, as `name=value` keys.
    pub fn prediction_keys(&mut self, p: &Prediction) -> Vec<String> {
        self.keys_with(|s| match s {
            Source::Facet(f) => p.facets.get(f).map(|v| Cow::Borrowed(v.as_str())),
            Source::Probability => p.probability.map(|x| Cow::Owned(x.to_string())),
            Source::Column(_) => None,
        })
    }

    /// The slices of a record whose slicings' values `value` gives.
    fn keys_with<'v>(&mut self, value: impl Fn(&Source) -> Option<Cow<'v, str>>) -> Vec<String> {
        let mut out = Vec::with_capacity(self.slicings.len());
        for s in &self.slicings {
            let value = value(&s.source);
            let value = value.as_deref();
            let label = match (&s.rule, value) {
                (_, None) => MISSING.to_string(),
                (Rule::Values(Some(listed)), Some(v)) if listed.contains(v) => v.to_string(),
                (Rule::Values(Some(_)), Some(_)) => OTHER.to_string(),
                (Rule::Values(None), Some(v)) => {
                    let key = format!("{}={v}", s.name);
                    if self.opened.contains(&key) {
                        v.to_string()
                    } else if self.opened.len() < self.budget {
                        self.opened.insert(key);
                        v.to_string()
                    } else {
                        OTHER.to_string()
                    }
                }
                (Rule::Edges(edges), Some(v)) => match parse_number(v) {
                    Some(x) if x.is_finite() => range_label(edges, x),
                    _ => OTHER.to_string(),
                },
                (Rule::Band { threshold, delta }, Some(v)) => match parse_number(v) {
                    Some(p) if p.is_finite() => if (p - threshold).abs() < *delta {
                        "yes"
                    } else {
                        "no"
                    }
                    .to_string(),
                    _ => OTHER.to_string(),
                },
            };
            out.push(format!("{}={label}", s.name));
        }
        out
    }
}

/// The slices the open slicings of `settings` may make: the cap less the fixed slices.
#[must_use]
pub fn open_budget(settings: &SegmentSettings) -> usize {
    let fixed: usize = settings
        .slices
        .iter()
        .filter_map(SliceSpec::fixed_slices)
        .sum();
    settings.max_slices.saturating_sub(fixed)
}

/// Adds `row` (the capture mapping's first `n` features) to a slice's `profile`, as the
/// consumer adds it to the overall one: values, record count, column count and, when the
/// baseline has the multivariate block, the record's reconstruction error.
pub fn observe_row(
    profile: &mut DatasetProfile,
    row: &Row,
    n: usize,
    reconstruction_error: Option<f64>,
) {
    for (j, value) in row.iter().enumerate().take(n) {
        if let Some(f) = profile.features.get_mut(j) {
            match value {
                None => f.observe_null(),
                Some(v) => {
                    f.observe(v);
                }
            }
        }
    }
    profile.item_count += 1;
    *profile.column_counts.entry(n).or_default() += 1;
    if let Some(e) = reconstruction_error {
        profile
            .reconstruction_error
            .get_or_insert_with(drift_math::moments::Moments::new)
            .update(e);
    }
}

/// A slice's mergeable state: a data-quality profile or a model-quality state.
pub trait SliceState {
    /// records of the slice
    fn records(&self) -> u64;
    /// adds `other`'s records
    fn absorb(&mut self, other: &Self);
}

impl SliceState for DatasetProfile {
    fn records(&self) -> u64 {
        self.item_count
    }
    fn absorb(&mut self, other: &Self) {
        self.merge(other);
    }
}

impl SliceState for crate::model_quality::QualityState {
    fn records(&self) -> u64 {
        self.count()
    }
    fn absorb(&mut self, other: &Self) {
        self.merge(other);
    }
}

/// Applies the cap to a window's merged slices: past the open budget, the open slices with
/// the fewest records (ties: the later name) are merged into their slicing's `__other__`.
/// Capture objects cap what they open each; the window holds the union, so it is capped
/// again here. Returns how many slices were merged away.
pub fn cap_window<T: SliceState>(
    segments: &mut BTreeMap<String, T>,
    settings: &SegmentSettings,
) -> usize {
    let open: BTreeSet<&str> = settings
        .slices
        .iter()
        .filter(|s| is_open(s))
        .map(slicing_name)
        .collect();
    let mut candidates: Vec<(u64, String)> = segments
        .iter()
        .filter(|(k, _)| {
            let (name, value) = split_key(k);
            open.contains(name) && value != MISSING && value != OTHER
        })
        .map(|(k, p)| (p.records(), k.clone()))
        .collect();
    let budget = open_budget(settings);
    if candidates.len() <= budget {
        return 0;
    }
    // most records first; equal counts by name
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let dropped: Vec<String> = candidates
        .split_off(budget)
        .into_iter()
        .map(|(_, k)| k)
        .collect();
    for key in &dropped {
        if let Some(p) = segments.remove(key) {
            let other = format!("{}={OTHER}", split_key(key).0);
            match segments.get_mut(&other) {
                Some(o) => o.absorb(&p),
                None => {
                    segments.insert(other, p);
                }
            }
        }
    }
    dropped.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MonitorKind;
    use crate::formats::capture::{CaptureMapping, CaptureParser, RowBatch};

    fn settings(json: &str) -> SegmentSettings {
        serde_json::from_str(json).unwrap()
    }

    fn rows(lines: &[&str], features: &[&str]) -> Vec<Row> {
        let names: Vec<String> = features.iter().map(|s| s.to_string()).collect();
        let mut parser = CaptureParser::new(&CaptureMapping::new(names)).unwrap();
        let mut out = Vec::new();
        for l in lines {
            // the first column is the model's output, the others its input
            let (output, input) = l.split_once(',').unwrap();
            let line = format!(
                r#"{{"captureData":{{"endpointInput":{{"observedContentType":"text/csv","mode":"INPUT","data":"{input}","encoding":"CSV"}},"endpointOutput":{{"observedContentType":"text/csv","mode":"OUTPUT","data":"{output}","encoding":"CSV"}}}},"eventMetadata":{{"eventId":"e","inferenceTime":"2026-11-01T03:00:00Z"}},"eventVersion":"0"}}"#
            );
            let mut batch = RowBatch::new();
            parser
                .parse_line_multi(line.as_bytes(), &mut batch)
                .unwrap();
            out.push(batch.get(0).unwrap().clone());
        }
        out
    }

    #[test]
    fn ranges_values_band_missing_and_the_cap() {
        let features = ["p", "region", "age"];
        let cfg = crate::config::MonitorConfig {
            segments: Some(settings(
                r#"{"slices": [{"feature": "region"}, {"feature": "age", "edges": [30, 50]},
                    {"low_confidence": {"threshold": 0.5, "delta": 0.1}}], "max_slices": 5}"#,
            )),
            ..crate::config::MonitorConfig::new("m", MonitorKind::DataQuality, "e", "b")
        };
        let names: Vec<String> = features.iter().map(|s| s.to_string()).collect();
        let mut slicer = Slicer::for_monitor(&cfg, &names).unwrap().unwrap();
        // 3 range slices + 2 band slices are fixed: the cap of 5 leaves no open slice
        assert_eq!(open_budget(cfg.segments.as_ref().unwrap()), 0);
        let r = rows(
            &["0.55,eu,29.9", "0.2,,50", "0.95,us,30", "x,us,abc"],
            &features,
        );
        let keys: Vec<Vec<String>> = r.iter().map(|r| slicer.keys(r)).collect();
        assert_eq!(
            keys,
            [
                ["region=__other__", "age=<30", "low_confidence=yes"],
                ["region=__missing__", "age=>=50", "low_confidence=no"],
                ["region=__other__", "age=[30,50)", "low_confidence=no"],
                [
                    "region=__other__",
                    "age=__other__",
                    "low_confidence=__other__"
                ],
            ]
        );
        // with room for one open slice: the first value seen keeps its own
        let cfg = crate::config::MonitorConfig {
            segments: Some(settings(
                r#"{"slices": [{"feature": "region"}], "max_slices": 1}"#,
            )),
            ..cfg
        };
        let mut slicer = Slicer::for_monitor(&cfg, &names).unwrap().unwrap();
        let keys: Vec<String> = r.iter().flat_map(|r| slicer.keys(r)).collect();
        assert_eq!(
            keys,
            [
                "region=eu",
                "region=__missing__",
                "region=__other__",
                "region=__other__"
            ]
        );
        let bad = crate::config::MonitorConfig {
            segments: Some(settings(r#"{"slices": [{"feature": "zone"}]}"#)),
            ..cfg
        };
        let e = Slicer::for_monitor(&bad, &names).unwrap_err().to_string();
        assert!(
            e.contains("zone") && e.contains("not a baseline feature"),
            "{e}"
        );
    }

    #[test]
    fn a_joined_prediction_is_sliced_by_its_facets_and_probability() {
        let json = |slices: &str| {
            format!(
                r#"{{"name": "m", "kind": "ModelQuality", "endpoint": "e", "baseline_prefix": "b",
                "model_quality": {{"problem_type": "BinaryClassification", "probability_attribute": "0",
                    "facet_attributes": {{"region": "1"}}}},
                "segments": {{"slices": {slices}}}}}"#
            )
        };
        let cfg = crate::config::MonitorConfig::from_json(
            "m.json",
            json(
                r#"[{"feature": "region"}, {"low_confidence": {"threshold": 0.5, "delta": 0.1}}]"#,
            )
            .as_bytes(),
        )
        .unwrap();
        let mut slicer = Slicer::for_predictions(&cfg).unwrap().unwrap();
        let p: Prediction = serde_json::from_str(
            r#"{"key": "k", "event_id": "e", "inference_time": "t", "time": 0,
                "probability": 0.55, "variant": "v", "facets": {"region": "eu"}}"#,
        )
        .unwrap();
        assert_eq!(
            slicer.prediction_keys(&p),
            ["region=eu", "low_confidence=yes"]
        );
        let q = Prediction {
            probability: None,
            facets: Default::default(),
            ..p
        };
        assert_eq!(
            slicer.prediction_keys(&q),
            ["region=__missing__", "low_confidence=__missing__"]
        );
        // a slice feature the predictions do not carry is refused when the config loads
        let e = crate::config::MonitorConfig::from_json(
            "m.json",
            json(r#"[{"feature": "age"}]"#).as_bytes(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("age") && e.contains("facet_attributes"), "{e}");
    }

    #[test]
    fn the_window_cap_keeps_the_largest_open_slices() {
        let s = settings(r#"{"slices": [{"feature": "region"}], "max_slices": 2}"#);
        let profile = |n: u64| DatasetProfile {
            item_count: n,
            ..DatasetProfile::new(&[], |_| crate::data_quality::profile::Tracking::ALL)
        };
        let mut w: BTreeMap<String, DatasetProfile> = [
            ("region=a", 5),
            ("region=b", 9),
            ("region=c", 7),
            ("region=d", 1),
            ("region=__missing__", 3),
        ]
        .into_iter()
        .map(|(k, n)| (k.to_string(), profile(n)))
        .collect();
        assert_eq!(cap_window(&mut w, &s), 2);
        let kept: Vec<(&str, u64)> = w.iter().map(|(k, p)| (k.as_str(), p.item_count)).collect();
        // b and c stay; a (5) and d (1) go to __other__ (6); __missing__ is not capped
        assert_eq!(
            kept,
            [
                ("region=__missing__", 3),
                ("region=__other__", 6),
                ("region=b", 9),
                ("region=c", 7)
            ]
        );
    }
}
