//! The state one ground-truth object contributes: per inference minute, the model-quality
//! or bias state of the labels it joined to predictions; and the scan that merges a
//! window's states at tick time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::bias::BiasWindowState;
use crate::config::MonitorConfig;
use crate::execution::{LabelCoverage, Window};
use crate::formats::capture::BadRecords;
use crate::joined::predictions::IndexCoverage;
use crate::layout::{hour_floor, mq_hour_prefix, prediction_hour_prefix};
use crate::model_quality::QualityState;
use crate::store::{ObjectStore, StateFile};
use crate::CoreError;

/// Format tag of merged model-quality state files.
pub const MQ_STATE_FORMAT: &str = "modelwatch.model-quality-state";

/// Bias state of the records of one inference minute (bias monitors).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MinuteBias {
    /// inference minute (UTC)
    pub minute: DateTime<Utc>,
    /// merged bias state, one per configured facet
    pub state: BiasWindowState,
}

/// Model-quality state of the records of one inference minute.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MinuteQuality {
    /// inference minute (UTC)
    pub minute: DateTime<Utc>,
    /// merged metric state
    pub state: QualityState,
}

/// Model-quality state of one production variant's records of one inference minute (monitors
/// with a `variants` block: [`crate::variants`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VariantMinuteQuality {
    /// production variant of the records
    pub variant: String,
    /// inference minute (UTC)
    pub minute: DateTime<Utc>,
    /// merged metric state
    pub state: QualityState,
}

/// Model-quality state of one slice's records of one inference minute (monitors with a
/// `segments` block: [`crate::segments`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SegmentMinuteQuality {
    /// the slice (`feature=value`)
    pub segment: String,
    /// inference minute (UTC)
    pub minute: DateTime<Utc>,
    /// merged metric state
    pub state: QualityState,
}

/// Model-quality state of one target model's records of one inference minute (monitors of a
/// multi-model endpoint: [`crate::multimodel`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelMinuteQuality {
    /// the target model ([`crate::multimodel::UNATTRIBUTED`], [`crate::multimodel::OVER_CAP`])
    pub model: String,
    /// inference minute (UTC)
    pub minute: DateTime<Utc>,
    /// merged metric state
    pub state: QualityState,
}

/// Everything one ground-truth object contributed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LabelObjectState {
    /// always [`MQ_STATE_FORMAT`]
    pub format: String,
    /// the ground-truth object
    pub source: String,
    /// its label collection hour
    pub label_hour: DateTime<Utc>,
    /// labels read
    pub labels: u64,
    /// labels joined to a prediction
    pub matched: u64,
    /// labels still waiting for their prediction
    pub pending: u64,
    /// the look-back has passed: pending labels are final (unmatched)
    pub expired: bool,
    /// labels whose joined record could not be scored (e.g. non-numeric regression label)
    pub unscorable: u64,
    /// bad ground-truth lines
    pub bad_records: BadRecords,
    /// what the object's labels are, as [`labels_digest`] writes it: a window counts an
    /// object whose labels equal an earlier object's (the same file uploaded again under
    /// another key) once. Absent for an object without labels, and in states written before
    /// it existed (those are never taken for duplicates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels_digest: Option<String>,
    /// metric state per inference minute, ascending (model-quality monitors)
    pub minutes: Vec<MinuteQuality>,
    /// bias state per inference minute, ascending (bias monitors)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bias_minutes: Vec<MinuteBias>,
    /// metric state per variant and inference minute, by variant then minute (model-quality
    /// monitors with a `variants` block; the same records as `minutes`)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variant_minutes: Vec<VariantMinuteQuality>,
    /// metric state per slice and inference minute, by slice then minute (model-quality
    /// monitors with a `segments` block; each record once per slicing)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segment_minutes: Vec<SegmentMinuteQuality>,
    /// metric state per target model and inference minute, by model then minute
    /// (model-quality monitors with a `multi_model` block; the same records as `minutes`)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub model_minutes: Vec<ModelMinuteQuality>,
}

// (no layout version: the format tag alone identifies these files)
impl StateFile for LabelObjectState {
    const FORMAT: &'static str = MQ_STATE_FORMAT;
    const VERSION: Option<u32> = None;

    fn tag(&self) -> (&str, u32) {
        (self.format.as_str(), 0)
    }

    fn source(&self) -> &str {
        &self.source
    }
}

/// The digest of a ground-truth object's labels (join key → label, the last one of a
/// repeated key): their number and the wrapping sum of the [`fnv1a_128`] of each
/// `"{key}\0{label}"`, so it does not depend on the order of the lines. `None` without labels
/// (objects of only bad lines are never duplicates of each other).
///
/// [`fnv1a_128`]: crate::retrain::keys::fnv1a_128
pub fn labels_digest<'a>(
    labels: impl ExactSizeIterator<Item = (&'a str, &'a str)>,
) -> Option<String> {
    let n = labels.len();
    let sum = labels.fold(0u128, |acc, (key, label)| {
        let pair = [key.as_bytes(), b"\0", label.as_bytes()].concat();
        acc.wrapping_add(crate::retrain::keys::fnv1a_128(&pair))
    });
    (n > 0).then(|| format!("{n}-{sum:032x}"))
}

/// What a joined record is scored into: the model-quality state, or the bias state by the
/// monitor's rules (with the cap of its flip sample).
pub enum JoinTarget {
    /// model-quality monitors
    Quality(crate::model_quality::QualityOptions),
    /// bias monitors
    Bias {
        /// the rules resolved from the analysis config and baseline
        rules: crate::bias::BiasRules,
        /// at most this many flip-test samples are kept
        flip_cap: usize,
    },
}

/// The failure reason of a joined window without records.
pub(crate) fn no_joined_records(window: Window) -> String {
    format!(
        "No ground truth joined to predictions in the window {} to {}.",
        window.start.format("%Y-%m-%dT%H:%M:%SZ"),
        window.end.format("%Y-%m-%dT%H:%M:%SZ")
    )
}

/// What [`scan_joined_window`] found besides the states it visited.
pub(crate) struct JoinedScan {
    /// predictions of the window, pending and expired labels (`matched` is the caller's)
    pub coverage: LabelCoverage,
    /// bad ground-truth lines of the labels collected in the window
    pub bad: BadRecords,
    /// label objects that contributed
    pub objects: usize,
    /// score counts of the window's predictions by predicted label
    /// ([`crate::model_quality::cbpe`])
    pub scores: std::collections::BTreeMap<String, std::collections::BTreeMap<u32, u64>>,
    /// the same per slice ([`crate::segments::estimated`])
    pub segment_scores: std::collections::BTreeMap<String, crate::segments::estimated::LabelBins>,
}

/// Visits every label-object state of a model-quality or bias monitor that can hold
/// inferences of `window` (label hours from the window start up to its end plus the
/// look-back); `visit` merges the minutes it wants and says whether it used any. Also counts
/// the window's predictions and the coverage of the labels collected in it.
pub(crate) async fn scan_joined_window<S, F>(
    store: &S,
    cfg: &MonitorConfig,
    window: Window,
    mut visit: F,
) -> Result<JoinedScan, CoreError>
where
    S: ObjectStore,
    F: FnMut(&LabelObjectState) -> Result<bool, CoreError>,
{
    let Window { start, end } = window;
    let lookback_hours = cfg.join().map_or(24, |j| j.lookback_hours);
    let lookback = chrono::Duration::hours(i64::from(lookback_hours));
    let mut coverage = LabelCoverage::default();
    let mut scores = std::collections::BTreeMap::new();
    let mut segment_scores = std::collections::BTreeMap::new();
    let mut bad = BadRecords::default();
    let mut objects = 0usize;
    // label digests of the objects visited: the same labels under another key count once
    // (the first in key order, that is by label hour, then file name)
    let mut digests = std::collections::HashSet::new();
    let mut hour = hour_floor(start);
    let last =
        hour_floor(end - chrono::Duration::seconds(1)) + lookback + chrono::Duration::hours(1);
    while hour <= last {
        for key in store.list(&mq_hour_prefix(&cfg.name, hour)).await? {
            let s = LabelObjectState::from_json(&key, &store.get(&key).await?)?;
            if let Some(digest) = &s.labels_digest {
                if !digests.insert(digest.clone()) {
                    tracing::info!(monitor = %cfg.name, source = %s.source, "ground-truth object with the labels of an earlier object: counted once");
                    continue;
                }
            }
            let used = visit(&s)?;
            if window.contains(s.label_hour) {
                if s.expired {
                    coverage.expired_labels += s.pending;
                } else {
                    coverage.pending_labels += s.pending;
                }
                bad.merge(&s.bad_records);
            }
            objects += usize::from(used);
        }
        hour += chrono::Duration::hours(1);
    }
    // predictions captured in the window (their indexes sit in the capture hour folders)
    let mut hour = hour_floor(start) - chrono::Duration::hours(1);
    while hour <= hour_floor(end - chrono::Duration::seconds(1)) + chrono::Duration::hours(1) {
        for key in store.list(&prediction_hour_prefix(&cfg.name, hour)).await? {
            let index = IndexCoverage::from_json(&key, &store.get(&key).await?)?;
            coverage.predictions += index
                .predictions
                .iter()
                .filter(|p| p.time >= start.timestamp() && p.time < end.timestamp())
                .count() as u64;
            crate::model_quality::cbpe::merge_minutes(
                &mut scores,
                &index.scores,
                start.timestamp(),
                end.timestamp(),
            );
            crate::segments::estimated::absorb(
                &mut segment_scores,
                &index.segment_scores,
                start.timestamp(),
                end.timestamp(),
            );
        }
        hour += chrono::Duration::hours(1);
    }
    Ok(JoinedScan {
        coverage,
        bad,
        objects,
        scores,
        segment_scores,
    })
}
