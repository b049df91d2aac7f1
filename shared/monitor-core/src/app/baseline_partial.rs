//! Baselines of datasets split over many files or objects (issue 16 item 5): one partial
//! profile per file, then one merge, in file order.
//!
//! The same two steps run on one machine (`modelwatch baseline --dataset DIR`, every core,
//! [`profile_files`]) and past it (the Step Functions Distributed Map of template.yaml: the
//! baseline Lambda in `partial` mode writes one [`BaselinePart`] per object under a scratch
//! prefix, [`run_partial`]; one `merge` invocation merges them, [`run_merge`]).
//!
//! What the merge equals, against one pass over the concatenated dataset (one header for CSV;
//! for JSON Lines, the files' lines one after another):
//! - exact: record counts, per-feature type and missing counts, the column counts, min and
//!   max, the categorical counts (below their cap of distinct values), the feature order;
//! - to 1e-12 relative: sums, means and standard deviations (Chan's pairwise merge of the
//!   moments adds the same numbers in another order);
//! - within the sketch's bound: the KLL quantiles ([`drift_math::kll::KllSketch::rank_error_bound`]
//!   holds whatever sequence of updates and merges built the sketch), and the distinct
//!   count within the HLL sketch's error (a union estimates with the composite estimator,
//!   one pass with HIP).
//!
//! With one file the merge is that file's profile unchanged, so its files are byte for byte
//! the single-file baseline's.

use serde::{Deserialize, Serialize};

use crate::app::baseline::{BaselineOutput, BaselineRequest, BaselineSummary};
use crate::data_quality::dataset::{profile_dataset, DatasetFormat, NoProgress};
use crate::data_quality::profile::DatasetProfile;
use crate::data_quality::suggest::suggest_constraints;
use crate::layout::{baseline_file_key, key_of, CONSTRAINTS_FILE, STATISTICS_FILE};
use crate::store::{ObjectStore, StateFile};
use crate::CoreError;

/// Format tag of a stored partial baseline profile.
pub const BASELINE_PART_FORMAT: &str = "modelwatch-baseline-part";
/// Layout version of [`BaselinePart`].
pub const BASELINE_PART_VERSION: u32 = 1;

/// The profile of one file (object) of a dataset, as the `partial` mode stores it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BaselinePart {
    /// [`BASELINE_PART_FORMAT`]
    pub format: String,
    /// [`BASELINE_PART_VERSION`]
    pub version: u32,
    /// the dataset object it profiles
    pub source: String,
    /// how the object was read
    pub dataset_format: DatasetFormat,
    /// the profile
    pub profile: DatasetProfile,
}

impl BaselinePart {
    /// The part of `profile`, read from `source` as `dataset_format`.
    #[must_use]
    pub fn new(source: &str, dataset_format: DatasetFormat, profile: DatasetProfile) -> Self {
        Self {
            format: BASELINE_PART_FORMAT.into(),
            version: BASELINE_PART_VERSION,
            source: source.into(),
            dataset_format,
            profile,
        }
    }
}

impl StateFile for BaselinePart {
    const FORMAT: &'static str = BASELINE_PART_FORMAT;
    const VERSION: Option<u32> = Some(BASELINE_PART_VERSION);

    fn tag(&self) -> (&str, u32) {
        (self.format.as_str(), self.version)
    }

    fn source(&self) -> &str {
        &self.source
    }
}

/// Merges the partial profiles of a dataset's files, pushed in file order, into the
/// profile one pass over the whole dataset would give (module docs: what is exact).
#[derive(Debug)]
pub struct BaselineMerger {
    format: DatasetFormat,
    merged: Option<(String, DatasetProfile)>,
    parts: usize,
}

impl BaselineMerger {
    /// A merger of files read as `format`.
    #[must_use]
    pub fn new(format: DatasetFormat) -> Self {
        Self {
            format,
            merged: None,
            parts: 0,
        }
    }

    /// Files merged so far.
    #[must_use]
    pub fn parts(&self) -> usize {
        self.parts
    }

    /// Adds the next file's profile (`source` names it in errors).
    ///
    /// CSV files must have the same columns in the same order (each file's header, or the
    /// same width without one). JSON Lines files may differ: a feature one file lacks counts
    /// its records as missing, as one pass over the concatenation would.
    ///
    /// # Errors
    /// [`CoreError::Dataset`] naming `source` when its CSV columns differ from the first
    /// file's.
    pub fn push(&mut self, source: &str, mut part: DatasetProfile) -> Result<(), CoreError> {
        self.parts += 1;
        let Some((first, merged)) = &mut self.merged else {
            self.merged = Some((source.to_string(), part));
            return Ok(());
        };
        match self.format {
            DatasetFormat::Csv { header } => {
                let names = |p: &DatasetProfile| -> Vec<String> {
                    p.features.iter().map(|f| f.name.clone()).collect()
                };
                let (want, got) = (names(merged), names(&part));
                if want != got {
                    return Err(CoreError::Dataset {
                        file: source.to_string(),
                        line: 1,
                        column: "-".into(),
                        message: format!(
                            "{} [{}] differ from those of {first} [{}]",
                            if header {
                                "the header's columns"
                            } else {
                                "the columns"
                            },
                            got.join(", "),
                            want.join(", ")
                        ),
                    });
                }
            }
            DatasetFormat::JsonLines => {
                // Features new in `part` were missing from every earlier record, and features
                // `part` lacks are missing from each of its records.
                for f in &mut part.features {
                    if merged.feature(&f.name).is_none() {
                        f.types.null += merged.item_count;
                    }
                }
                for f in &mut merged.features {
                    if part.feature(&f.name).is_none() {
                        f.types.null += part.item_count;
                    }
                }
            }
        }
        merged.merge(&part);
        Ok(())
    }

    /// The merged profile.
    ///
    /// # Errors
    /// [`CoreError::EmptyDataset`] naming `dataset` when no file was pushed.
    pub fn finish_profile(self, dataset: &str) -> Result<DatasetProfile, CoreError> {
        self.merged
            .map(|(_, p)| p)
            .ok_or_else(|| CoreError::EmptyDataset {
                file: dataset.to_string(),
            })
    }

    /// The baseline files of the merged profile (as [`crate::app::baseline::build`] derives
    /// them from one file).
    ///
    /// # Errors
    /// As [`BaselineMerger::finish_profile`].
    pub fn finish(self, dataset: &str) -> Result<BaselineOutput, CoreError> {
        let profile = self.finish_profile(dataset)?;
        Ok(BaselineOutput {
            statistics: profile.to_statistics(),
            constraints: suggest_constraints(&profile),
            profile,
        })
    }
}

/// Profiles each file of `files` (in the given order) on `threads` worker threads
/// (`0` = every core) and merges the profiles in that order; memory holds at most two
/// profiles per thread ([`crate::app::oneshot::ordered::map_fold_in_order`], the one-shot
/// job's machinery). The result is the same for every thread count.
///
/// # Errors
/// The first error in file order: a file that cannot be opened or read, a bad row (file,
/// line and column), an empty file, CSV columns that differ between files.
pub fn profile_files(
    files: &[std::path::PathBuf],
    format: DatasetFormat,
    threads: usize,
) -> Result<BaselineOutput, CoreError> {
    let threads = if threads == 0 {
        crate::app::oneshot::ordered::fold_workers()
    } else {
        threads
    };
    let mut merger = BaselineMerger::new(format);
    crate::app::oneshot::ordered::map_fold_in_order(
        files,
        threads,
        threads * 2,
        |path| {
            let source = path.display().to_string();
            let file = std::fs::File::open(path).map_err(|e| CoreError::Io {
                key: source.clone(),
                source: e,
            })?;
            let reader = std::io::BufReader::with_capacity(1 << 20, file);
            let profile = profile_dataset(reader, &source, format, &mut NoProgress)?;
            Ok((source, profile))
        },
        |(source, profile)| merger.push(&source, profile),
    )?;
    let name = files
        .first()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    merger.finish(&name)
}

/// The store key of the partial profile of dataset object `object` under `scratch_prefix`:
/// derived from the object's key alone, so a retried item rewrites the same object.
#[must_use]
pub fn part_key(scratch_prefix: &str, object: &str) -> String {
    format!("{}/{object}.json", scratch_prefix.trim_end_matches('/'))
}

/// One object of an S3 listing, as a Distributed Map's `s3:listObjectsV2` item reader hands
/// it over (`Key`, plus `Size`, `ETag`… which are ignored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedObject {
    /// the object key
    #[serde(rename = "Key")]
    pub key: String,
}

/// One item or a batch of them: a Distributed Map hands a batch over as an array, and a
/// path expression over a one-item array may give the item alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// a single item
    One(T),
    /// several
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// The items, in order.
    pub fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t],
            OneOrMany::Many(v) => v,
        }
    }
}

fn default_format() -> DatasetFormat {
    DatasetFormat::Csv { header: true }
}

/// The baseline Lambda's `partial` mode: profile each listed object into its own part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartialRequest {
    /// the dataset objects (store keys or `s3://` URIs), in order
    pub objects: OneOrMany<ListedObject>,
    /// how every object is encoded; default CSV with header
    #[serde(default = "default_format")]
    pub format: DatasetFormat,
    /// where the parts go (one per object, [`part_key`]); use a fresh prefix per run
    pub scratch_prefix: String,
}

/// What the `partial` mode wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartialSummary {
    /// rows profiled, all objects together
    pub rows: u64,
    /// the parts written, one per object, in order (objects ending in `/`, folder markers,
    /// are skipped)
    pub part_keys: Vec<String>,
}

/// The baseline Lambda's `merge` mode: merge every part under the scratch prefix and write
/// the baseline files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergeRequest {
    /// where the `partial` mode wrote the parts
    pub scratch_prefix: String,
    /// key prefix for `statistics.json` and `constraints.json`
    pub output_prefix: String,
    /// the dataset's prefix: when given, every object under it must have its part (an item
    /// that failed, or a part of another dataset, stops the merge with the object named)
    #[serde(default)]
    pub dataset_prefix: Option<String>,
}

/// What the `merge` mode wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergeSummary {
    /// the baseline written
    #[serde(flatten)]
    pub baseline: BaselineSummary,
    /// parts merged
    pub parts: usize,
}

/// Whether a listed key is a folder marker (the console's zero-byte `prefix/` objects).
fn is_folder(key: &str) -> bool {
    key.ends_with('/')
}

/// Runs the `partial` mode: each object is streamed and profiled (synchronous CPU work off
/// the async threads, as [`crate::app::baseline::run`] does) and its part written.
///
/// # Errors
/// The first object that cannot be read or profiled (file, line and column), a store
/// failure.
pub async fn run_partial<S: ObjectStore>(
    store: &S,
    req: &PartialRequest,
) -> Result<PartialSummary, CoreError> {
    let mut summary = PartialSummary {
        rows: 0,
        part_keys: Vec::new(),
    };
    for object in req.objects.clone().into_vec() {
        let key = key_of(&object.key).to_string();
        if is_folder(&key) {
            continue;
        }
        let reader = store.reader(&key).await?;
        let format = req.format;
        let source = key.clone();
        let handle = tokio::runtime::Handle::current();
        let profile = tokio::task::spawn_blocking(move || {
            let _guard = handle.enter();
            let bridge = tokio_util::io::SyncIoBridge::new(reader);
            profile_dataset(bridge, &source, format, &mut NoProgress)
        })
        .await
        .map_err(|e| CoreError::Io {
            key: key.clone(),
            source: std::io::Error::other(e.to_string()),
        })??;
        summary.rows += profile.item_count;
        let part = BaselinePart::new(&key, format, profile);
        let part_key = part_key(&req.scratch_prefix, &key);
        store.put(&part_key, part.to_json()?).await?;
        tracing::info!(object = %key, part = %part_key, rows = part.profile.item_count, "baseline part written");
        summary.part_keys.push(part_key);
    }
    Ok(summary)
}

/// Runs the `merge` mode: reads the parts under the scratch prefix one at a time, in key
/// order (the dataset objects' order), merges them and writes the baseline files.
///
/// # Errors
/// [`CoreError::EmptyDataset`] when there is no part; [`CoreError::State`] for a part that
/// does not decode or was read in another format than the first; with `dataset_prefix`,
/// [`CoreError::NotFound`] naming the first object without its part; a store failure.
pub async fn run_merge<S: ObjectStore>(
    store: &S,
    req: &MergeRequest,
) -> Result<MergeSummary, CoreError> {
    let scratch = format!("{}/", req.scratch_prefix.trim_end_matches('/'));
    let keys: Vec<String> = store
        .list(&scratch)
        .await?
        .into_iter()
        .filter(|k| k.ends_with(".json"))
        .collect();
    if let Some(prefix) = &req.dataset_prefix {
        for object in store.list(key_of(prefix)).await? {
            if is_folder(&object) {
                continue;
            }
            let want = part_key(&req.scratch_prefix, &object);
            if keys.binary_search(&want).is_err() {
                return Err(CoreError::NotFound { key: want });
            }
        }
    }
    let mut merger: Option<BaselineMerger> = None;
    for key in &keys {
        let part = BaselinePart::from_json(key, &store.get(key).await?)?;
        let m = merger.get_or_insert_with(|| BaselineMerger::new(part.dataset_format));
        if m.format != part.dataset_format {
            return Err(CoreError::State {
                key: key.clone(),
                message: format!(
                    "read as {:?}, the first part as {:?}",
                    part.dataset_format, m.format
                ),
            });
        }
        m.push(&part.source, part.profile)?;
    }
    let merger = merger.ok_or_else(|| CoreError::EmptyDataset {
        file: scratch.clone(),
    })?;
    let parts = merger.parts();
    let out = merger.finish(&scratch)?;
    let statistics_key = baseline_file_key(&req.output_prefix, STATISTICS_FILE);
    let constraints_key = baseline_file_key(&req.output_prefix, CONSTRAINTS_FILE);
    store
        .put(&statistics_key, out.statistics_json().into_bytes())
        .await?;
    store
        .put(&constraints_key, out.constraints_json().into_bytes())
        .await?;
    Ok(MergeSummary {
        baseline: BaselineSummary {
            features: out.profile.features.len(),
            rows: out.profile.item_count,
            statistics_key,
            constraints_key,
            // the PCA fit (`fit_from_store`) reads one dataset object twice more; a dataset
            // of many objects has no multivariate block yet
            multivariate_skipped: Some(MANY_OBJECTS_NO_MULTIVARIATE.to_owned()),
        },
        parts,
    })
}

/// Why a baseline merged from many objects has no multivariate-drift block.
pub const MANY_OBJECTS_NO_MULTIVARIATE: &str =
    "a dataset of many objects: the multivariate PCA is fitted from a single object only";

/// The baseline Lambda's event: today's full request (no `mode`, or `"mode": "full"`), or
/// one step of a dataset of many objects (`"mode": "partial"`, `"mode": "merge"`).
#[derive(Debug, Clone, PartialEq)]
pub enum BaselineEvent {
    /// profile one dataset object and write the baseline ([`crate::app::baseline::run`])
    Full(BaselineRequest),
    /// profile objects into parts ([`run_partial`])
    Partial(PartialRequest),
    /// merge the parts and write the baseline ([`run_merge`])
    Merge(MergeRequest),
}

impl<'de> Deserialize<'de> for BaselineEvent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut value = serde_json::Value::deserialize(d)?;
        let mode = match value.as_object_mut() {
            Some(obj) => obj.remove("mode"),
            None => return Err(D::Error::custom("a baseline event is a JSON object")),
        };
        let event = match mode.as_ref().map(|m| (m, m.as_str())) {
            None | Some((_, Some("full"))) => serde_json::from_value(value).map(Self::Full),
            Some((_, Some("partial"))) => serde_json::from_value(value).map(Self::Partial),
            Some((_, Some("merge"))) => serde_json::from_value(value).map(Self::Merge),
            Some((m, _)) => {
                return Err(D::Error::custom(format!(
                    "mode {m} is not one of \"full\", \"partial\", \"merge\""
                )))
            }
        };
        event.map_err(D::Error::custom)
    }
}

impl From<BaselineRequest> for BaselineEvent {
    fn from(req: BaselineRequest) -> Self {
        Self::Full(req)
    }
}

/// What the baseline Lambda returns, by mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BaselineReply {
    /// `merge`: the baseline and the number of parts
    Merge(MergeSummary),
    /// `full`: the baseline
    Full(BaselineSummary),
    /// `partial`: the parts
    Partial(PartialSummary),
}

/// Runs one baseline event of any mode.
///
/// # Errors
/// Those of [`crate::app::baseline::run`], [`run_partial`] or [`run_merge`].
pub async fn run_event<S: ObjectStore>(
    store: &S,
    event: &BaselineEvent,
) -> Result<BaselineReply, CoreError> {
    Ok(match event {
        BaselineEvent::Full(req) => {
            BaselineReply::Full(crate::app::baseline::run(store, req).await?)
        }
        BaselineEvent::Partial(req) => BaselineReply::Partial(run_partial(store, req).await?),
        BaselineEvent::Merge(req) => BaselineReply::Merge(run_merge(store, req).await?),
    })
}

#[cfg(test)]
#[path = "baseline_partial_tests.rs"]
mod tests;
