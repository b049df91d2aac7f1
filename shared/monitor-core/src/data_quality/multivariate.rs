//! Multivariate drift (issue 13, item 4): PCA reconstruction error over the numeric features,
//! in the manner of NannyML's `DataReconstructionDriftCalculator` ([`drift_math::pca`]).
//!
//! * **Baseline** (`modelwatch baseline`, the baseline Lambda): after the profile pass, two
//!   more passes over the dataset read only the numeric features. The first builds the
//!   covariance of the standardised rows (baseline mean and population standard deviation
//!   from the profile, a missing value imputed with the mean) and fits the PCA, keeping the
//!   fewest components that explain more than 65 % of the variance (NannyML's default); the
//!   second scores every baseline record and keeps the mean error of consecutive chunks
//!   (at most [`MAX_BASE_CHUNKS`]). Both go into the `modelwatch_multivariate` block of
//!   `constraints.json` ([`MultivariateBlock`]), which SageMaker ignores. On by default
//!   (`--no-multivariate` skips it); a dataset that cannot support it gets no block and a
//!   [`SkipReason`] ([`Fitted`]).
//! * **Ingest**: each record's reconstruction error goes into the profile's mergeable
//!   [`drift_math::moments::Moments`] (`reconstruction_error`: count, sum, `M2`), so a window
//!   is a merge like every other figure ([`RowScorer`]).
//! * **Tick**: the window's mean error against the baseline's band at the window's size
//!   ([`drift_math::pca::ErrorBand::at`]: mean ± 3 SD of the baseline's chunk means, chunks
//!   grouped to the window's size): outside it, a `multivariate_drift_check` violation, the
//!   metric [`METRIC`] with its band bounds, and the `multivariate_drift` field of
//!   `execution.json` ([`evaluate`]).

use std::io::Read;

use drift_math::pca::{
    scale_of, standardize_with, ErrorBand, ErrorScorer, Pca, ScatterMatrix, DEFAULT_BAND_SDS,
    DEFAULT_VARIANCE_RETAINED,
};
use drift_math::types::InferredType;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::data_quality::dataset::DatasetFormat;
use crate::data_quality::profile::{parse_number, DatasetProfile};
use crate::formats::constraints::Constraints;
use crate::formats::number;
use crate::formats::statistics::FormatError;
use crate::formats::violations::{CheckType, Violation};
use crate::metrics::builders::endpoint_dimensions;
use crate::metrics::{namespaces, MetricDatum, MetricValue};
use crate::store::ObjectStore;
use crate::CoreError;

/// Key of the block in `constraints.json`.
pub const MULTIVARIATE_KEY: &str = "modelwatch_multivariate";

/// The window's mean reconstruction error (CloudWatch metric name); the band bounds are
/// published as `…_lower` and `…_upper`.
pub const METRIC: &str = "multivariate_drift_reconstruction_error";

/// Feature name of the violation (the check is over all the block's features).
pub const VIOLATION_FEATURE: &str = "multivariate";

/// Most base chunks the baseline keeps (the block stays a few kB).
pub const MAX_BASE_CHUNKS: u64 = 500;

/// Fewest chunks a band is computed from.
pub const MIN_BAND_CHUNKS: usize = 10;

/// The method named in the block and the violations.
pub const METHOD: &str = "pca_reconstruction_error";

const KIND: &str = "constraints.json";

/// The `modelwatch_multivariate` block of `constraints.json`: the fitted PCA and the
/// baseline's chunk errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultivariateBlock {
    /// block format version; this crate writes and reads 1
    pub version: u32,
    /// always [`METHOD`]
    pub method: String,
    /// the numeric features, in baseline order
    pub features: Vec<String>,
    /// per-feature baseline mean
    pub mean: Vec<f64>,
    /// per-feature scale (population standard deviation, 1 for a constant feature)
    pub scale: Vec<f64>,
    /// mean of the standardised baseline rows (PCA centring)
    pub center: Vec<f64>,
    /// the kept components (unit vectors over `features`)
    pub components: Vec<Vec<f64>>,
    /// explained variance ratio of every component, decreasing
    pub explained_variance_ratio: Vec<f64>,
    /// the variance the kept components had to explain (more than this)
    pub variance_retained: f64,
    /// band width in standard deviations of the chunk means
    pub band_sds: f64,
    /// the baseline's mean reconstruction error
    pub error_mean: f64,
    /// records per base chunk
    pub chunk_size: u64,
    /// mean error of each complete base chunk, in dataset order
    pub chunk_means: Vec<f64>,
    /// keys not known to this crate
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MultivariateBlock {
    fn validate(&self) -> Result<(), FormatError> {
        let d = self.features.len();
        let invalid = |field: &str, value: String| FormatError::Invalid {
            kind: KIND,
            field: format!("{MULTIVARIATE_KEY}.{field}"),
            value,
        };
        if self.version != 1 {
            return Err(invalid("version", self.version.to_string()));
        }
        for (name, len) in [
            ("mean", self.mean.len()),
            ("scale", self.scale.len()),
            ("center", self.center.len()),
        ] {
            if len != d {
                return Err(invalid(name, format!("{len} values for {d} features")));
            }
        }
        if let Some(c) = self.components.iter().find(|c| c.len() != d) {
            return Err(invalid(
                "components",
                format!("{} values for {d} features", c.len()),
            ));
        }
        if !(self.band_sds.is_finite() && self.band_sds > 0.0) {
            return Err(invalid("band_sds", self.band_sds.to_string()));
        }
        Ok(())
    }

    /// The fitted PCA.
    #[must_use]
    pub fn pca(&self) -> Pca {
        Pca {
            mean: self.mean.clone(),
            scale: self.scale.clone(),
            center: self.center.clone(),
            components: self.components.clone(),
            explained_variance_ratio: self.explained_variance_ratio.clone(),
        }
    }

    /// The baseline's chunk errors as a band source.
    #[must_use]
    pub fn band(&self) -> ErrorBand {
        ErrorBand {
            chunk_size: self.chunk_size,
            chunk_means: self.chunk_means.clone(),
            mean: self.error_mean,
        }
    }

    /// The block of `constraints`, if it has one.
    ///
    /// # Errors
    /// [`FormatError::Invalid`] when the block does not have the block's shape.
    pub fn read(constraints: &Constraints) -> Result<Option<Self>, FormatError> {
        let Some(v) = constraints.extra.get(MULTIVARIATE_KEY) else {
            return Ok(None);
        };
        let b = MultivariateBlock::deserialize(v).map_err(|e| FormatError::Invalid {
            kind: KIND,
            field: format!("{MULTIVARIATE_KEY} ({e})"),
            value: v.to_string(),
        })?;
        b.validate()?;
        Ok(Some(b))
    }

    /// Writes (or replaces) the block in `constraints`.
    pub fn write(&self, constraints: &mut Constraints) {
        if let Ok(v) = serde_json::to_value(self) {
            constraints.extra.insert(MULTIVARIATE_KEY.to_string(), v);
        }
    }
}

/// A captured or dataset value as the PCA reads it: a usable number, else missing.
fn number_of(text: &str) -> Option<f64> {
    parse_number(text.trim()).filter(|x| number::check(*x, text).is_ok())
}

/// The numeric features of a baseline profile with their mean and scale: what the PCA runs on.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericFeatures {
    /// names, in profile order
    pub names: Vec<String>,
    /// baseline means
    pub mean: Vec<f64>,
    /// baseline scales ([`scale_of`] the population standard deviation)
    pub scale: Vec<f64>,
}

impl NumericFeatures {
    /// The `Integral` / `Fractional` features of `profile` that have numbers; `None` when
    /// fewer than two (no multivariate structure to watch).
    #[must_use]
    pub fn of(profile: &DatasetProfile) -> Option<Self> {
        let mut out = NumericFeatures {
            names: Vec::new(),
            mean: Vec::new(),
            scale: Vec::new(),
        };
        for f in &profile.features {
            if !matches!(
                f.inferred_type(),
                InferredType::Integral | InferredType::Fractional
            ) {
                continue;
            }
            let (Some(m), Some(s)) = (f.moments.mean(), f.moments.std_dev()) else {
                continue;
            };
            out.names.push(f.name.clone());
            out.mean.push(m);
            out.scale.push(scale_of(s));
        }
        (out.names.len() >= 2).then_some(out)
    }

    /// How many `Integral` / `Fractional` features of `profile` have numbers (what
    /// [`NumericFeatures::of`] would keep).
    #[must_use]
    pub fn count(profile: &DatasetProfile) -> usize {
        profile
            .features
            .iter()
            .filter(|f| {
                matches!(
                    f.inferred_type(),
                    InferredType::Integral | InferredType::Fractional
                ) && f.moments.mean().is_some()
                    && f.moments.std_dev().is_some()
            })
            .count()
    }

    /// Fits the PCA from the rows `rows` yields (values in [`NumericFeatures::names`] order).
    ///
    /// # Errors
    /// [`CoreError::State`] naming `source` when the PCA cannot be fitted (degenerate data).
    pub fn fit(
        &self,
        source: &str,
        rows: impl FnOnce(&mut dyn FnMut(&[Option<f64>])) -> Result<(), CoreError>,
    ) -> Result<Pca, CoreError> {
        let d = self.names.len();
        let mut scatter = ScatterMatrix::new(d);
        let mut z = vec![0.0; d];
        rows(&mut |x| {
            if standardize_with(&self.mean, &self.scale, x, &mut z).is_ok() {
                // lengths are checked just above
                let _ = scatter.update(&z);
            }
        })?;
        Pca::fit(
            &scatter,
            self.mean.clone(),
            self.scale.clone(),
            DEFAULT_VARIANCE_RETAINED,
        )
        .map_err(|e| CoreError::State {
            key: source.to_string(),
            message: format!("multivariate drift PCA: {e}"),
        })
    }

    /// Scores the baseline rows `rows` yields with `pca` and builds the block; `records` is
    /// the baseline's row count (it sets the base chunk size: `⌈records / MAX_BASE_CHUNKS⌉`).
    ///
    /// # Errors
    /// Whatever `rows` returns.
    pub fn block(
        &self,
        pca: Pca,
        records: u64,
        rows: impl FnOnce(&mut dyn FnMut(&[Option<f64>])) -> Result<(), CoreError>,
    ) -> Result<MultivariateBlock, CoreError> {
        let chunk_size = records.div_ceil(MAX_BASE_CHUNKS).max(1);
        let mut z = vec![0.0; pca.dim()];
        // the rule ingest scores records with ([`RowScorer`])
        let mut scorer = ErrorScorer::new(&pca);
        let (mut chunk_means, mut in_chunk, mut chunk_sum) = (Vec::new(), 0u64, 0.0);
        let (mut n, mut total) = (0u64, 0.0);
        rows(&mut |x| {
            let Ok(e) = pca.standardize(x, &mut z).and_then(|()| scorer.error(&z)) else {
                return;
            };
            n += 1;
            total += e;
            chunk_sum += e;
            in_chunk += 1;
            if in_chunk == chunk_size {
                chunk_means.push(chunk_sum / chunk_size as f64);
                (in_chunk, chunk_sum) = (0, 0.0);
            }
        })?;
        Ok(MultivariateBlock {
            version: 1,
            method: METHOD.into(),
            features: self.names.clone(),
            error_mean: if n == 0 { 0.0 } else { total / n as f64 },
            mean: pca.mean,
            scale: pca.scale,
            center: pca.center,
            components: pca.components,
            explained_variance_ratio: pca.explained_variance_ratio,
            variance_retained: DEFAULT_VARIANCE_RETAINED,
            band_sds: DEFAULT_BAND_SDS,
            chunk_size,
            chunk_means,
            extra: Map::new(),
        })
    }
}

/// Reads the values of `names` from every row of a dataset (the same encodings as the profile
/// pass, [`DatasetFormat`]) and hands them to `f`; a value that is not a usable number is
/// missing.
///
/// # Errors
/// [`CoreError::Dataset`] / [`CoreError::Io`] naming `source` for unreadable input (the
/// profile pass has already validated the file, so this means it changed in between).
pub fn for_each_row<R: Read>(
    reader: R,
    source: &str,
    format: DatasetFormat,
    names: &[String],
    f: &mut dyn FnMut(&[Option<f64>]),
) -> Result<(), CoreError> {
    let err = |line: u64, message: String| CoreError::Dataset {
        file: source.to_string(),
        line,
        column: "-".into(),
        message,
    };
    let mut x = vec![None; names.len()];
    match format {
        DatasetFormat::Csv { header } => {
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .buffer_capacity(256 * 1024)
                .from_reader(reader);
            let mut record = csv::ByteRecord::new();
            let mut columns: Option<Vec<Option<usize>>> = None;
            let mut line = 0u64;
            while rdr
                .read_byte_record(&mut record)
                .map_err(|e| err(line + 1, e.to_string()))?
            {
                line += 1;
                let cols = columns.get_or_insert_with(|| {
                    let header_names: Vec<String> = if header {
                        record
                            .iter()
                            .map(|h| String::from_utf8_lossy(h).into_owned())
                            .collect()
                    } else {
                        (0..record.len()).map(|i| format!("_c{i}")).collect()
                    };
                    names
                        .iter()
                        .map(|n| header_names.iter().position(|h| h == n))
                        .collect()
                });
                if header && line == 1 {
                    continue;
                }
                if record.len() == 1 && record.get(0).is_some_and(<[u8]>::is_empty) {
                    continue;
                }
                for (slot, col) in x.iter_mut().zip(cols.iter()) {
                    *slot = col
                        .and_then(|c| record.get(c))
                        .and_then(|b| std::str::from_utf8(b).ok())
                        .filter(|s| !s.is_empty())
                        .and_then(number_of);
                }
                f(&x);
            }
        }
        DatasetFormat::JsonLines => {
            use std::io::BufRead;
            let rdr = std::io::BufReader::with_capacity(256 * 1024, reader);
            let mut flat = Vec::new();
            for (i, line) in rdr.lines().enumerate() {
                let line = line.map_err(|e| CoreError::Io {
                    key: source.to_string(),
                    source: e,
                })?;
                if line.trim().is_empty() {
                    continue;
                }
                let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(&line) else {
                    return Err(err(i as u64 + 1, "not a JSON object".into()));
                };
                flat.clear();
                for (k, v) in obj {
                    crate::data_quality::dataset::flatten(k, v, &mut flat);
                }
                for (slot, name) in x.iter_mut().zip(names) {
                    *slot = flat
                        .iter()
                        .find(|(k, _)| k == name)
                        .and_then(|(_, v)| v.as_deref())
                        .and_then(number_of);
                }
                f(&x);
            }
        }
    }
    Ok(())
}

/// Fewest baseline rows the check is fitted from: [`MIN_BAND_CHUNKS`] base chunks of at least
/// 10 records each, so a chunk mean is a mean and not one record's error, and the covariance
/// of a handful of features has many more rows than entries.
pub const MIN_FIT_ROWS: u64 = 10 * MIN_BAND_CHUNKS as u64;

/// Why a baseline got no `modelwatch_multivariate` block (the check is on by default; these
/// datasets cannot support it, and the baseline goes on without it).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SkipReason {
    /// Fewer than two `Integral` / `Fractional` features with numbers: no correlation to watch.
    #[error("{found} numeric feature(s) with numbers; the PCA needs at least 2")]
    TooFewNumericFeatures {
        /// how many the profile has
        found: usize,
    },
    /// Too few rows for the band's chunks ([`MIN_FIT_ROWS`]).
    #[error("{rows} rows; the band needs at least {needed}")]
    TooFewRows {
        /// rows profiled
        rows: u64,
        /// [`MIN_FIT_ROWS`]
        needed: u64,
    },
    /// The PCA cannot be fitted (e.g. every numeric feature constant).
    #[error("the PCA cannot be fitted: {0}")]
    Degenerate(String),
}

/// The outcome of fitting the multivariate check on a baseline dataset.
#[derive(Debug, Clone, PartialEq)]
pub enum Fitted {
    /// the block to write into `constraints.json`
    Block(Box<MultivariateBlock>),
    /// no block, and why
    Skipped(SkipReason),
}

impl Fitted {
    /// The block, if one was fitted.
    #[must_use]
    pub fn block(&self) -> Option<&MultivariateBlock> {
        match self {
            Fitted::Block(b) => Some(b),
            Fitted::Skipped(_) => None,
        }
    }

    /// Writes the block (if any) into `constraints` and returns the skip reason (if any).
    pub fn write(&self, constraints: &mut Constraints) -> Option<&SkipReason> {
        match self {
            Fitted::Block(b) => {
                b.write(constraints);
                None
            }
            Fitted::Skipped(r) => Some(r),
        }
    }
}

/// The numeric features the check would run on, or why it cannot run on this profile.
///
/// # Errors
/// [`SkipReason::TooFewNumericFeatures`], [`SkipReason::TooFewRows`].
pub fn features_for(profile: &DatasetProfile) -> Result<NumericFeatures, SkipReason> {
    let features =
        NumericFeatures::of(profile).ok_or_else(|| SkipReason::TooFewNumericFeatures {
            found: NumericFeatures::count(profile),
        })?;
    if profile.item_count < MIN_FIT_ROWS {
        return Err(SkipReason::TooFewRows {
            rows: profile.item_count,
            needed: MIN_FIT_ROWS,
        });
    }
    Ok(features)
}

/// A degenerate PCA ([`NumericFeatures::fit`]'s [`CoreError::State`]) is a reason to skip,
/// any other error stops the baseline.
fn skip_degenerate(r: Result<Pca, CoreError>) -> Result<Result<Pca, SkipReason>, CoreError> {
    match r {
        Ok(p) => Ok(Ok(p)),
        Err(CoreError::State { message, .. }) => Ok(Err(SkipReason::Degenerate(message))),
        Err(e) => Err(e),
    }
}

/// Fits the block from a dataset that `open` can read again (the profile pass has read it
/// once): one pass for the PCA, one to score the baseline. [`Fitted::Skipped`] when the
/// dataset cannot support the check ([`SkipReason`]).
///
/// # Errors
/// What `open` or reading returns.
pub fn fit_from_dataset<R: Read>(
    mut open: impl FnMut() -> Result<R, CoreError>,
    source: &str,
    format: DatasetFormat,
    profile: &DatasetProfile,
) -> Result<Fitted, CoreError> {
    let features = match features_for(profile) {
        Ok(f) => f,
        Err(r) => return Ok(Fitted::Skipped(r)),
    };
    let reader = open()?;
    let pca = match skip_degenerate(features.fit(source, |f| {
        for_each_row(reader, source, format, &features.names, f)
    }))? {
        Ok(p) => p,
        Err(r) => return Ok(Fitted::Skipped(r)),
    };
    let reader = open()?;
    features
        .block(pca, profile.item_count, |f| {
            for_each_row(reader, source, format, &features.names, f)
        })
        .map(|b| Fitted::Block(Box::new(b)))
}

/// [`fit_from_dataset`] over a store object (the baseline Lambda): each pass opens the object
/// again and reads it on a blocking thread, as the profile pass does.
///
/// # Errors
/// The store's errors.
pub async fn fit_from_store<S: ObjectStore>(
    store: &S,
    key: &str,
    format: DatasetFormat,
    profile: &DatasetProfile,
) -> Result<Fitted, CoreError> {
    let features = match features_for(profile) {
        Ok(f) => std::sync::Arc::new(f),
        Err(r) => return Ok(Fitted::Skipped(r)),
    };
    let pass = |reader: crate::store::ByteReader, features: std::sync::Arc<NumericFeatures>| {
        let handle = tokio::runtime::Handle::current();
        let key = key.to_string();
        move |f: &mut dyn FnMut(&[Option<f64>])| {
            let _guard = handle.enter();
            let bridge = tokio_util::io::SyncIoBridge::new(reader);
            for_each_row(bridge, &key, format, &features.names, f)
        }
    };
    let join = |e: tokio::task::JoinError| CoreError::Io {
        key: key.to_string(),
        source: std::io::Error::other(e.to_string()),
    };
    let (fit, k) = (
        pass(store.reader(key).await?, features.clone()),
        key.to_string(),
    );
    let f2 = features.clone();
    let pca = tokio::task::spawn_blocking(move || f2.fit(&k, fit))
        .await
        .map_err(join)?;
    let pca = match skip_degenerate(pca)? {
        Ok(p) => p,
        Err(r) => return Ok(Fitted::Skipped(r)),
    };
    let score = pass(store.reader(key).await?, features.clone());
    let records = profile.item_count;
    tokio::task::spawn_blocking(move || features.block(pca, records, score))
        .await
        .map_err(join)?
        .map(|b| Fitted::Block(Box::new(b)))
}

/// Scores captured records at ingest: the block's PCA and where its features sit in a row.
#[derive(Debug, Clone)]
pub struct RowScorer {
    pca: Pca,
    error: ErrorScorer,
    columns: Vec<Option<usize>>,
    x: Vec<Option<f64>>,
    z: Vec<f64>,
}

/// What the profile read from one column of a row, handed to [`RowScorer::score_cells`] so
/// that a number is parsed once per record, not once for the profile and again for the PCA.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    /// a Deequ number (Integral or Fractional) that is usable: the PCA reads the same double
    Number(f64),
    /// missing, or a number refused as unusable (`1e400`): the PCA reads no value either
    Unusable,
    /// text that is not a Deequ number: the PCA's own reading applies (it trims, and reads
    /// `"1."` or `" 7"` as numbers where Deequ sees strings)
    Text,
}

impl RowScorer {
    /// A scorer for rows whose columns are `row_features` (the capture mapping's features).
    #[must_use]
    pub fn new(block: &MultivariateBlock, row_features: &[String]) -> Self {
        let d = block.features.len();
        let pca = block.pca();
        RowScorer {
            error: ErrorScorer::new(&pca),
            pca,
            columns: block
                .features
                .iter()
                .map(|n| row_features.iter().position(|f| f == n))
                .collect(),
            x: vec![None; d],
            z: vec![0.0; d],
        }
    }

    /// The reconstruction error of one row; `value(i)` is the text of column `i`, if any.
    pub fn score<'a>(&mut self, value: impl Fn(usize) -> Option<&'a str>) -> Option<f64> {
        self.score_cells(&[], value)
    }

    /// [`RowScorer::score`] with what the profile already read from the row: `cells[i]` is
    /// column `i` ([`Cell`]); a column without a cell, or with [`Cell::Text`], is read from
    /// `value(i)`. The same numbers as [`RowScorer::score`], so the same error.
    pub fn score_cells<'a>(
        &mut self,
        cells: &[Cell],
        value: impl Fn(usize) -> Option<&'a str>,
    ) -> Option<f64> {
        for (slot, col) in self.x.iter_mut().zip(&self.columns) {
            *slot = col.and_then(|i| match cells.get(i) {
                Some(Cell::Number(x)) => Some(*x),
                Some(Cell::Unusable) => None,
                Some(Cell::Text) | None => value(i).and_then(number_of),
            });
        }
        self.pca.standardize(&self.x, &mut self.z).ok()?;
        self.error.error(&self.z).ok()
    }
}

/// The multivariate check of one window (`execution.json`'s `multivariate_drift`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultivariateDrift {
    /// always [`METHOD`]
    pub method: String,
    /// features the PCA covers
    pub features: usize,
    /// components kept
    pub components: usize,
    /// records scored in the window
    pub records: u64,
    /// the window's mean reconstruction error (raw)
    pub reconstruction_error: f64,
    /// the baseline's mean error
    pub baseline_error: f64,
    /// the band's lower bound at the window's size (`None`: too few baseline chunks)
    pub lower: Option<f64>,
    /// the band's upper bound
    pub upper: Option<f64>,
    /// the chunk size whose chunk means gave the band
    pub band_chunk_size: Option<u64>,
    /// the number of those chunks
    pub band_chunks: Option<usize>,
    /// the window's error is outside the band
    pub violated: bool,
}

impl MultivariateDrift {
    /// The violation of a window outside the band.
    #[must_use]
    pub fn violation(&self) -> Option<Violation> {
        if !self.violated {
            return None;
        }
        let (lower, upper) = (self.lower.unwrap_or(0.0), self.upper.unwrap_or(0.0));
        let mut extra = Map::new();
        if let Ok(v) = serde_json::to_value(self) {
            extra.insert("modelwatch_multivariate".into(), v);
        }
        Some(Violation {
            extra,
            ..Violation::new(
                VIOLATION_FEATURE,
                CheckType::MultivariateDriftCheck,
                format!(
                    "Mean PCA reconstruction error {} over {} numeric features ({} components) is outside the baseline band [{lower}, {upper}] (mean {} ± {} SD of the baseline's chunk means at {} records, {} chunks).",
                    self.reconstruction_error,
                    self.features,
                    self.components,
                    self.baseline_error,
                    DEFAULT_BAND_SDS,
                    self.band_chunk_size.unwrap_or(0),
                    self.band_chunks.unwrap_or(0),
                ),
            )
        })
    }
}

/// The CloudWatch metrics of the check (namespace and dimensions of the data-quality
/// metrics): [`METRIC`] and, when the band exists, [`METRIC`]`_lower` / `_upper`.
#[must_use]
pub fn metrics(
    m: &MultivariateDrift,
    endpoint: &str,
    schedule: &str,
    timestamp: chrono::DateTime<chrono::Utc>,
) -> Vec<MetricDatum> {
    let dims = endpoint_dimensions(endpoint, schedule);
    [
        (METRIC.to_string(), Some(m.reconstruction_error)),
        (format!("{METRIC}_lower"), m.lower),
        (format!("{METRIC}_upper"), m.upper),
    ]
    .into_iter()
    .filter_map(|(name, v)| {
        let v = v.filter(|v| v.is_finite())?;
        Some(MetricDatum::new(
            namespaces::DATA_ENDPOINT,
            name,
            timestamp,
            dims.clone(),
            MetricValue::Value(v),
        ))
    })
    .collect()
}

/// The multivariate check of `window` against `block`: `None` when no record of the window
/// was scored.
#[must_use]
pub fn evaluate(block: &MultivariateBlock, window: &DatasetProfile) -> Option<MultivariateDrift> {
    let m = window.reconstruction_error.as_ref()?;
    let mean = m.mean()?;
    let band = block.band().at(m.count(), block.band_sds, MIN_BAND_CHUNKS);
    Some(MultivariateDrift {
        method: METHOD.into(),
        features: block.features.len(),
        components: block.components.len(),
        records: m.count(),
        reconstruction_error: mean,
        baseline_error: block.error_mean,
        lower: band.map(|b| b.lower),
        upper: band.map(|b| b.upper),
        band_chunk_size: band.map(|b| b.chunk_size),
        band_chunks: band.map(|b| b.chunks),
        violated: band.is_some_and(|b| mean < b.lower || mean > b.upper),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::baseline::build;
    use crate::config::MonitorConfig;
    use crate::data_quality::checks::{check_data_quality, Baseline};
    use crate::data_quality::consume::Profiler;
    use crate::data_quality::dataset::NoProgress;
    use crate::store::Line;
    use rand::{rngs::StdRng, SeedableRng};
    use rand_distr::{Distribution, StandardNormal};

    /// Baseline correlation of `a` and `b`; the drifted window flips its sign.
    const RHO: f64 = 0.8;

    /// `n` rows of `a`, `b` (standard normals with correlation `rho`) and an independent
    /// standard normal `c`: the marginals are the same for every `rho`.
    fn rows(n: usize, rho: f64, seed: u64) -> Vec<[f64; 3]> {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut z = || -> f64 { StandardNormal.sample(&mut rng) };
        (0..n)
            .map(|_| {
                let (a, e, c) = (z(), z(), z());
                [a, rho * a + (1.0 - rho * rho).sqrt() * e, c]
            })
            .collect()
    }

    fn baseline() -> Baseline {
        let mut csv = String::from("a,b,c\n");
        for r in rows(20_000, RHO, 1) {
            csv.push_str(&format!("{},{},{}\n", r[0], r[1], r[2]));
        }
        let format = DatasetFormat::Csv { header: true };
        let mut out = build(csv.as_bytes(), "mem", format, &mut NoProgress).unwrap();
        let block =
            match fit_from_dataset(|| Ok(csv.as_bytes()), "mem", format, &out.profile).unwrap() {
                Fitted::Block(b) => *b,
                Fitted::Skipped(r) => panic!("three numeric features: {r}"),
            };
        // Correlation matrix eigenvalues 1 + ρ, 1, 1 − ρ: ratios 0.6, 0.333, 0.067, so
        // 0.6 ≤ 0.65 keeps two components and the third (the a − b direction) is the error.
        let r = &block.explained_variance_ratio;
        assert!(
            (r[0] - 0.6).abs() < 0.02 && (r[2] - 0.2 / 3.0).abs() < 0.01,
            "{r:?}"
        );
        assert_eq!(block.components.len(), 2);
        assert_eq!(block.chunk_size, 40);
        assert_eq!(block.chunk_means.len(), 500);
        block.write(&mut out.constraints);
        // the block survives the file round trip
        let text = out.constraints.to_json();
        Baseline::from_json(
            "s",
            out.statistics.to_json().as_bytes(),
            "c",
            text.as_bytes(),
        )
        .unwrap()
    }

    /// The window's records through ingest's profiler (CSV capture, one minute).
    fn window(baseline: &Baseline, data: &[[f64; 3]]) -> DatasetProfile {
        let cfg: MonitorConfig = serde_json::from_value(serde_json::json!({
            "name": "dq", "endpoint": "ep", "baseline_prefix": "b",
            "capture": {"output_columns": 0}
        }))
        .unwrap();
        let key = crate::layout::parse_capture_key(
            "data-capture/ep/AllTraffic/2021/02/05/17/00-00-000-x.jsonl",
            "data-capture/",
        )
        .unwrap();
        let mut p = Profiler::new(&key, "obj", &cfg, baseline).unwrap();
        for (i, r) in data.iter().enumerate() {
            let line = serde_json::json!({
                "captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                    "data": format!("{},{},{}", r[0], r[1], r[2]), "encoding": "CSV"},
                    "endpointOutput": {"observedContentType": "application/json", "mode": "OUTPUT",
                    "data": "{\"score\": 0.5}", "encoding": "JSON"}},
                "eventMetadata": {"eventId": format!("e{i}"), "inferenceTime": "2021-02-05T17:23:35Z"},
                "eventVersion": "0"
            })
            .to_string();
            p.push(i as u64 + 1, &Line::Ok(line.as_bytes()));
        }
        let mut merged = baseline.empty_profile();
        let out = p.finish();
        assert_eq!(
            out.bad_records(),
            0,
            "{:?}",
            out.minutes.first().map(|m| &m.bad_records)
        );
        for m in &out.minutes {
            merged.merge(&m.profile);
        }
        merged
    }

    /// Issue 13 item 4: a change in the correlation of two features with the same marginals
    /// is invisible to every univariate test and caught by the reconstruction error; a
    /// window like the baseline is not flagged.
    #[test]
    fn a_correlation_change_is_caught_only_by_the_multivariate_check() {
        let b = baseline();
        let n = 2_000;
        for (rho, seed, drift) in [(RHO, 2, false), (-RHO, 3, true)] {
            let w = window(&b, &rows(n, rho, seed));
            assert_eq!(w.item_count, n as u64);
            assert_eq!(w.reconstruction_error.map(|m| m.count()), Some(n as u64));
            let report = check_data_quality(&b, &w);
            let checks: Vec<CheckType> = report
                .violations
                .violations
                .iter()
                .map(|v| v.constraint_check_type)
                .collect();
            let m = report.multivariate.expect("evaluated");
            assert_eq!(m.violated, drift, "rho {rho}: {m:?}");
            // the error is the |a − b|/√2 residual: its SD is √(1 − ρ_baseline) in the
            // baseline and √(1 − ρ) in the window, so the mean error scales by their ratio
            let ratio = ((1.0 - rho) / (1.0 - RHO)).sqrt();
            let seen = m.reconstruction_error / m.baseline_error;
            assert!((seen - ratio).abs() < 0.1 * ratio, "{seen} vs {ratio}");
            let expected = if drift {
                vec![CheckType::MultivariateDriftCheck]
            } else {
                vec![]
            };
            assert_eq!(checks, expected, "rho {rho}: {:?}", report.violations);
            // every univariate drift test ran (the policy) and none flagged
            assert_eq!(report.policy.iter().filter(|t| t.flagged()).count(), 0);
            assert!(report.policy.len() >= 3);
            // the band is at the window's size: base chunks of 40 grouped by 50
            assert_eq!((m.band_chunk_size, m.band_chunks), (Some(2_000), Some(10)));
        }
    }

    #[test]
    fn merged_window_moments_equal_one_pass() {
        let b = baseline();
        let data = rows(300, RHO, 4);
        let whole = window(&b, &data);
        let mut split = window(&b, &data[..120]);
        split.merge(&window(&b, &data[120..]));
        let (x, y) = (
            whole.reconstruction_error.unwrap(),
            split.reconstruction_error.unwrap(),
        );
        assert_eq!(x.count(), y.count());
        assert!((x.mean().unwrap() - y.mean().unwrap()).abs() < 1e-12);
        let (ex, ey) = (
            evaluate(b.multivariate().unwrap(), &whole),
            evaluate(b.multivariate().unwrap(), &split),
        );
        assert_eq!(ex.map(|e| e.violated), ey.map(|e| e.violated));
    }

    /// The default-on check skips, with a reason, what cannot support it: one numeric feature,
    /// too few rows, or features without variance.
    #[test]
    fn datasets_that_cannot_support_the_check_are_skipped_with_a_reason() {
        let format = DatasetFormat::Csv { header: true };
        let fit = |csv: String| {
            let out = build(csv.as_bytes(), "mem", format, &mut NoProgress).unwrap();
            fit_from_dataset(|| Ok(csv.as_bytes()), "mem", format, &out.profile).unwrap()
        };
        let one: String = std::iter::once("x,s\n".to_string())
            .chain((0..300).map(|i| format!("{i},a\n")))
            .collect();
        assert_eq!(
            fit(one),
            Fitted::Skipped(SkipReason::TooFewNumericFeatures { found: 1 })
        );
        let few: String = std::iter::once("x,y\n".to_string())
            .chain((0..50).map(|i| format!("{i},{}\n", i % 3)))
            .collect();
        assert_eq!(
            fit(few),
            Fitted::Skipped(SkipReason::TooFewRows {
                rows: 50,
                needed: MIN_FIT_ROWS
            })
        );
        let constant: String = std::iter::once("x,y\n".to_string())
            .chain((0..300).map(|_| "1,2\n".to_string()))
            .collect();
        assert!(
            matches!(fit(constant), Fitted::Skipped(SkipReason::Degenerate(_))),
            "constant features"
        );
    }
}
