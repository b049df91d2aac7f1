//! Baseline: profile a training dataset and write SageMaker's `statistics.json` and
//! suggested `constraints.json`.

use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::data_quality::dataset::{profile_dataset, DatasetFormat, NoProgress, Progress};
use crate::data_quality::profile::DatasetProfile;
use crate::data_quality::suggest::suggest_constraints;
use crate::formats::constraints::Constraints;
use crate::formats::statistics::Statistics;
use crate::layout::{baseline_file_key, key_of, CONSTRAINTS_FILE, STATISTICS_FILE};
use crate::store::ObjectStore;
use crate::CoreError;

/// The files a data-quality baseline produces.
#[derive(Debug, Clone)]
pub struct BaselineOutput {
    /// the mergeable profile behind the files
    pub profile: DatasetProfile,
    /// statistics.json
    pub statistics: Statistics,
    /// constraints.json (suggested)
    pub constraints: Constraints,
}

impl BaselineOutput {
    /// statistics.json text, byte-compatible with the analyzer's layout.
    pub fn statistics_json(&self) -> String {
        self.statistics.to_json()
    }

    /// constraints.json text.
    pub fn constraints_json(&self) -> String {
        self.constraints.to_json()
    }
}

/// Profiles `reader` (named `source` in errors) and derives the baseline files.
pub fn build<R: Read>(
    reader: R,
    source: &str,
    format: DatasetFormat,
    progress: &mut dyn Progress,
) -> Result<BaselineOutput, CoreError> {
    let profile = profile_dataset(reader, source, format, progress)?;
    let statistics = profile.to_statistics();
    let constraints = suggest_constraints(&profile);
    Ok(BaselineOutput {
        profile,
        statistics,
        constraints,
    })
}

/// A baseline request: where the dataset is and where the files go, as store keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineRequest {
    /// store key of the dataset (an `s3://bucket/key` URI is accepted too; its key is used)
    pub dataset: String,
    /// dataset encoding; default CSV with header
    #[serde(default = "default_format")]
    pub format: DatasetFormat,
    /// key prefix for `statistics.json` and `constraints.json`
    pub output_prefix: String,
}

fn default_format() -> DatasetFormat {
    DatasetFormat::Csv { header: true }
}

/// What a baseline run returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineSummary {
    /// number of features
    pub features: usize,
    /// rows profiled
    pub rows: u64,
    /// where statistics.json went
    pub statistics_key: String,
    /// where constraints.json went
    pub constraints_key: String,
    /// why constraints.json has no multivariate-drift block, when it has none (issue 13
    /// item 4; [`crate::data_quality::multivariate::SkipReason`])
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multivariate_skipped: Option<String>,
}

/// Runs a baseline through the store port: streams the dataset, writes both files.
pub async fn run<S: ObjectStore>(
    store: &S,
    req: &BaselineRequest,
) -> Result<BaselineSummary, CoreError> {
    let key = key_of(&req.dataset).to_string();
    let reader = store.reader(&key).await?;
    let format = req.format;
    let source = key.clone();
    let handle = tokio::runtime::Handle::current();
    // The profiler is synchronous CPU work over a blocking reader bridged from the store's
    // async stream; memory stays bounded by the bridge's buffer and the sketches.
    let out = tokio::task::spawn_blocking(move || {
        let _guard = handle.enter();
        let bridge = tokio_util::io::SyncIoBridge::new(reader);
        build(bridge, &source, format, &mut NoProgress)
    })
    .await
    .map_err(|e| CoreError::Io {
        key: key.clone(),
        source: std::io::Error::other(e.to_string()),
    })??;
    let mut out = out;
    // Multivariate drift (issue 13 item 4), on by default: two more passes over the object
    // fit the PCA and its band; a dataset that cannot support it gets no block and a reason.
    let fitted =
        crate::data_quality::multivariate::fit_from_store(store, &key, format, &out.profile)
            .await?;
    let multivariate_skipped = fitted.write(&mut out.constraints).map(|r| {
        tracing::info!(key = %key, reason = %r, "multivariate drift check skipped");
        r.to_string()
    });
    let statistics_key = baseline_file_key(&req.output_prefix, STATISTICS_FILE);
    let constraints_key = baseline_file_key(&req.output_prefix, CONSTRAINTS_FILE);
    store
        .put(&statistics_key, out.statistics_json().into_bytes())
        .await?;
    store
        .put(&constraints_key, out.constraints_json().into_bytes())
        .await?;
    Ok(BaselineSummary {
        features: out.profile.features.len(),
        rows: out.profile.item_count,
        statistics_key,
        constraints_key,
        multivariate_skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data_quality::multivariate::MULTIVARIATE_KEY;
    use crate::store::MemoryStore;

    #[tokio::test]
    async fn run_writes_both_files_through_the_store() {
        let store = MemoryStore::new();
        store
            .put("datasets/train.csv", b"a,b\n1,x\n2,y\n3,x\n".to_vec())
            .await
            .unwrap();
        let summary = run(
            &store,
            &BaselineRequest {
                dataset: "s3://bucket/datasets/train.csv".into(),
                format: DatasetFormat::Csv { header: true },
                output_prefix: "baselines/m1".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(summary.rows, 3);
        assert_eq!(summary.features, 2);
        // one numeric feature: no multivariate block, and the reason in the summary
        assert_eq!(
            summary.multivariate_skipped.as_deref(),
            Some("1 numeric feature(s) with numbers; the PCA needs at least 2")
        );
        let stats = store.get("baselines/m1/statistics.json").await.unwrap();
        let stats = Statistics::from_json(&stats).unwrap();
        assert_eq!(stats.dataset.item_count, 3);
        let cons = store.get("baselines/m1/constraints.json").await.unwrap();
        let cons = Constraints::from_json(&cons).unwrap();
        assert_eq!(cons.features.len(), 2);
        assert!(!cons.extra.contains_key(MULTIVARIATE_KEY));
    }

    /// The Lambda's path fits the multivariate block by default (issue 13 item 4).
    #[tokio::test]
    async fn run_fits_the_multivariate_block_by_default() {
        let store = MemoryStore::new();
        // 200 rows of x, y = x² (mod 7) and a category: two numeric features, enough rows
        let mut csv = String::from("x,y,s\n");
        for i in 0..200 {
            csv.push_str(&format!(
                "{},{},{}\n",
                i % 13,
                (i * i) % 7,
                ["a", "b"][i % 2]
            ));
        }
        store.put("d.csv", csv.into_bytes()).await.unwrap();
        let summary = run(
            &store,
            &BaselineRequest {
                dataset: "d.csv".into(),
                format: DatasetFormat::Csv { header: true },
                output_prefix: "b".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(summary.multivariate_skipped, None);
        let cons = Constraints::from_json(&store.get("b/constraints.json").await.unwrap()).unwrap();
        let block = crate::data_quality::multivariate::MultivariateBlock::read(&cons)
            .unwrap()
            .expect("the block");
        assert_eq!(block.features, ["x", "y"]);
        // 200 rows in base chunks of ⌈200 / 500⌉ = 1 record
        assert_eq!((block.chunk_size, block.chunk_means.len()), (1, 200));
    }

    #[tokio::test]
    async fn missing_dataset_is_not_found() {
        let store = MemoryStore::new();
        let err = run(
            &store,
            &BaselineRequest {
                dataset: "nope.csv".into(),
                format: DatasetFormat::Csv { header: true },
                output_prefix: "out".into(),
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(err, CoreError::NotFound { .. }), "{err}");
    }
}

/// Columns and rules of a model-quality baseline dataset (SageMaker's
/// `ground_truth_attribute`, `inference_attribute`, `probability_attribute`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityBaselineRequest {
    /// problem type and positive label
    #[serde(flatten)]
    pub quality: crate::model_quality::QualityOptions,
    /// column holding the ground-truth label
    pub ground_truth_attribute: String,
    /// column holding the predicted label (optional for binary classification with a
    /// probability column)
    #[serde(default)]
    pub inference_attribute: Option<String>,
    /// column holding the probability / score
    #[serde(default)]
    pub probability_attribute: Option<String>,
    /// predicted label is 1 when probability > threshold
    #[serde(default = "half")]
    pub probability_threshold: f64,
}

fn half() -> f64 {
    0.5
}

/// The files of a model-quality baseline.
#[derive(Debug, Clone)]
pub struct QualityBaselineOutput {
    /// rows used
    pub rows: u64,
    /// statistics.json (model-quality layout)
    pub statistics: crate::formats::model_quality::ModelQualityStatistics,
    /// suggested constraints.json, exactly as SageMaker's analyzer suggests it
    pub constraints: crate::formats::model_quality::ModelQualityConstraints,
    /// binary classification with a probability column: the CBPE baseline (`cbpe.json`,
    /// [`crate::model_quality::cbpe`])
    pub cbpe: Option<crate::model_quality::cbpe::CbpeBaseline>,
    /// the label-drift block (issue 13 item 5): class counts, or the regression labels'
    /// sketch and moments
    pub label_drift: Option<crate::model_quality::label_drift::LabelDriftBlock>,
}

impl QualityBaselineOutput {
    /// The constraints `modelwatch baseline` writes: SageMaker's plus modelwatch's blocks,
    /// which SageMaker ignores: the labels for label drift (class counts, or a regression's
    /// label sketch; issue 13 item 5) and the per-metric intervals (item 6).
    #[must_use]
    pub fn constraints_with_blocks(
        &self,
    ) -> crate::formats::model_quality::ModelQualityConstraints {
        let mut c = self.constraints.clone();
        if let Some(block) = &self.label_drift {
            block.write(&mut c);
        }
        crate::model_quality::intervals::IntervalsBlock::of(&self.statistics).write(&mut c);
        c
    }

    /// [`QualityBaselineOutput::constraints_with_blocks`] as text.
    #[must_use]
    pub fn constraints_json(&self) -> String {
        self.constraints_with_blocks().to_json()
    }
}

/// Builds a model-quality baseline from a CSV with header (`source` names it in errors).
pub fn build_model_quality<R: Read>(
    reader: R,
    source: &str,
    req: &QualityBaselineRequest,
) -> Result<QualityBaselineOutput, CoreError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(reader);
    let headers = rdr
        .headers()
        .map_err(|e| CoreError::Dataset {
            file: source.into(),
            line: 1,
            column: "-".into(),
            message: e.to_string(),
        })?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| CoreError::Dataset {
                file: source.into(),
                line: 1,
                column: name.into(),
                message: format!(
                    "no such column (columns: {})",
                    headers.iter().collect::<Vec<_>>().join(", ")
                ),
            })
    };
    let gt = col(&req.ground_truth_attribute)?;
    let inf = req.inference_attribute.as_deref().map(col).transpose()?;
    let prob = req.probability_attribute.as_deref().map(col).transpose()?;
    if inf.is_none() && prob.is_none() {
        return Err(CoreError::Config {
            field: "inference_attribute".into(),
            value: String::new(),
            message: "give an inference attribute or a probability attribute".into(),
        });
    }
    let mut state = crate::model_quality::QualityState::new(req.quality.problem_type);
    let mut rows = 0u64;
    // (score, actual positive, predicted positive) per row, for the CBPE baseline
    let mut scored: Vec<(f64, bool, bool)> = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let rec = rec.map_err(|e| CoreError::Dataset {
            file: source.into(),
            line,
            column: "-".into(),
            message: e.to_string(),
        })?;
        let field = |c: usize, name: &str| {
            rec.get(c).ok_or_else(|| CoreError::Dataset {
                file: source.into(),
                line,
                column: name.into(),
                message: "missing value".into(),
            })
        };
        let actual = field(gt, &req.ground_truth_attribute)?;
        let probability = match prob {
            Some(c) => {
                let raw = field(c, req.probability_attribute.as_deref().unwrap_or(""))?;
                Some(raw.trim().parse::<f64>().map_err(|_| CoreError::Dataset {
                    file: source.into(),
                    line,
                    column: req.probability_attribute.clone().unwrap_or_default(),
                    message: format!("{raw:?} is not a number"),
                })?)
            }
            None => None,
        };
        let predicted = match inf {
            Some(c) => field(c, req.inference_attribute.as_deref().unwrap_or(""))?.to_string(),
            None => {
                if probability.unwrap_or(0.0) > req.probability_threshold {
                    "1".into()
                } else {
                    "0".into()
                }
            }
        };
        if let Some(p) = probability.filter(|p| p.is_finite()) {
            let positive =
                |l: &str| crate::model_quality::label_matches(l, &req.quality.positive_label);
            scored.push((p, positive(actual), positive(&predicted)));
        }
        // Rows are keyed by their position: the replicate subsamples are reproducible.
        state
            .add(
                &rows.to_string(),
                actual,
                Some(&predicted),
                probability,
                &req.quality,
            )
            .map_err(|message| CoreError::Dataset {
                file: source.into(),
                line,
                column: req.ground_truth_attribute.clone(),
                message,
            })?;
        rows += 1;
    }
    if rows == 0 {
        return Err(CoreError::EmptyDataset {
            file: source.into(),
        });
    }
    let statistics = state.to_statistics();
    let constraints = crate::formats::model_quality::suggest_constraints(&statistics);
    let binary = req.quality.problem_type
        == crate::formats::model_quality::ProblemType::BinaryClassification;
    let cbpe = if binary && !scored.is_empty() {
        let scores: Vec<f64> = scored.iter().map(|r| r.0).collect();
        let actual: Vec<bool> = scored.iter().map(|r| r.1).collect();
        let predicted: Vec<bool> = scored.iter().map(|r| r.2).collect();
        crate::model_quality::cbpe::CbpeBaseline::fit(&scores, &actual, &predicted).ok()
    } else {
        None
    };
    let label_drift =
        crate::model_quality::label_drift::LabelDriftBlock::of_state(&state, &statistics);
    Ok(QualityBaselineOutput {
        rows,
        statistics,
        constraints,
        cbpe,
        label_drift,
    })
}
