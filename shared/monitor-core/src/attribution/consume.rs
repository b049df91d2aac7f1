//! Explaining captured records: the prepared explainer of a monitor and the record
//! consumer of the single ingest pass ([`Attributor`] → [`AttributionObjectState`]).

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use drift_math::shap::{
    aggregate, AggMethod, KernelShap, KernelShapConfig, LinearShap, TreeEnsemble,
};

use crate::attribution::config::config_err;
use crate::attribution::{
    keep_bottom_k, weights_in_order, AttributionObjectState, ExplainabilityConfig,
    MinuteAttribution, ModelInvoker, SampledRecord, ShapSums, ATTRIBUTION_STATE_FORMAT,
    ATTRIBUTION_STATE_VERSION,
};
use crate::config::{Explainer, MonitorConfig};
use crate::formats::capture::{
    Attribute, BadRecordKind, BadRecords, CaptureMapping, CaptureParser, CaptureSide,
    PayloadReader, RecordReader, RowBatch,
};
use crate::layout::CaptureKey;
use crate::store::Line;
use crate::CoreError;

/// An explainer ready to run over captured records.
#[derive(Debug, Clone)]
pub enum PreparedExplainer {
    /// read the attributions from the endpoint output at this JSON pointer
    Captured {
        /// pointer into the decoded output payload
        pointer: String,
    },
    /// exact linear SHAP
    Linear(LinearShap),
    /// Kernel SHAP at the tick over a sample of at most `max_records` records per window
    Kernel {
        /// sample size per window
        max_records: usize,
    },
    /// exact path-dependent TreeSHAP of a tree ensemble, at ingest
    Tree(std::sync::Arc<TreeEnsemble>),
}

/// What explaining a monitor needs, resolved once per invocation.
#[derive(Debug, Clone)]
pub struct AttributionContext {
    /// every input column of the capture, in order
    pub columns: Vec<String>,
    /// explained features, in order
    pub features: Vec<String>,
    /// position of each explained feature among `columns`
    pub positions: Vec<usize>,
    /// aggregation of the local values
    pub agg: AggMethod,
    /// the explainer
    pub explainer: PreparedExplainer,
    /// SHAP baseline rows
    pub background: Vec<Vec<f64>>,
    /// label key of analysis.json
    pub label_key: String,
    /// Kernel SHAP settings
    pub kernel: KernelShapConfig,
}

impl AttributionContext {
    /// Resolves the explainer of `cfg` with its analysis config and SHAP baseline rows.
    ///
    /// # Errors
    /// [`CoreError::Config`] when the monitor is not an explainability monitor, or the
    /// explainer does not fit the config (linear coefficients of unknown features…); a
    /// `tree` explainer needs [`AttributionContext::with_tree_model`].
    pub fn new(
        cfg: &MonitorConfig,
        config: &ExplainabilityConfig,
        config_key: &str,
        background: Vec<Vec<f64>>,
    ) -> Result<Self, CoreError> {
        Self::with_tree_model(cfg, config, config_key, background, None)
    }

    /// [`AttributionContext::new`] with the loaded model of a `tree` explainer (see
    /// [`crate::attribution::prepare::attribution_context`]).
    ///
    /// # Errors
    /// As [`AttributionContext::new`]; for `tree`, [`CoreError::Config`] without the model,
    /// with `features_to_explain` narrowing the inputs (the trees read every input), or when
    /// the model's feature count differs from the input columns'.
    pub fn with_tree_model(
        cfg: &MonitorConfig,
        config: &ExplainabilityConfig,
        config_key: &str,
        background: Vec<Vec<f64>>,
        tree: Option<TreeEnsemble>,
    ) -> Result<Self, CoreError> {
        let settings = cfg.explainability.as_ref().ok_or_else(|| {
            config_err(
                format!("monitor {}", cfg.name),
                "",
                "not a ModelExplainability monitor",
            )
        })?;
        let features = config.features(config_key)?;
        let columns = config.input_columns(config_key)?;
        let positions = features
            .iter()
            .filter_map(|f| columns.iter().position(|c| c == f))
            .collect();
        let agg = config.agg_method(config_key)?;
        if let Some((i, r)) = background
            .iter()
            .enumerate()
            .find(|(_, r)| r.len() != features.len())
        {
            return Err(config_err(
                format!("{config_key}: SHAP baseline row {i}"),
                format!("{} values", r.len()),
                &format!("expected {} (one per feature)", features.len()),
            ));
        }
        let explainer = match &settings.explainer {
            Explainer::Captured { pointer } => {
                let valid = matches!(
                    Attribute::parse(pointer),
                    Ok(Attribute::Pointer(_) | Attribute::Path { .. })
                );
                if !valid || pointer.trim().is_empty() {
                    return Err(config_err(
                        "explainer.captured.pointer",
                        pointer.clone(),
                        "a JSON pointer starting with / (one request, one instance), or a \
                         JMESPath-style path such as explanations[*].shap (one per instance)",
                    ));
                }
                PreparedExplainer::Captured {
                    pointer: pointer.clone(),
                }
            }
            Explainer::Linear {
                intercept,
                coefficients,
            } => {
                let w = weights_in_order(coefficients, *intercept, &features)?;
                PreparedExplainer::Linear(LinearShap::new(w, *intercept, &background).map_err(
                    |e| config_err("explainer.linear", "", &format!("{e} (SHAP baseline)")),
                )?)
            }
            Explainer::Kernel { max_records, .. } => PreparedExplainer::Kernel {
                max_records: *max_records,
            },
            Explainer::Tree { model_key, .. } => {
                let tree = tree.ok_or_else(|| {
                    config_err(
                        "explainer.tree.model_key",
                        model_key.clone(),
                        "the tree model was not loaded",
                    )
                })?;
                if features != columns || tree.num_features() != columns.len() {
                    return Err(config_err(
                        "explainer.tree.model_key",
                        model_key.clone(),
                        &format!(
                            "the model reads {} features; TreeSHAP explains every input \
                             column ({} in headers, {} explained)",
                            tree.num_features(),
                            columns.len(),
                            features.len()
                        ),
                    ));
                }
                PreparedExplainer::Tree(std::sync::Arc::new(tree))
            }
        };
        Ok(AttributionContext {
            columns,
            features,
            positions,
            agg,
            explainer,
            background,
            label_key: config.label_key(),
            kernel: config.kernel_config(),
        })
    }

    /// The expected value written to analysis.json: the linear model's mean output on the
    /// SHAP baseline, the tree ensemble's cover-weighted mean margin; for `captured`, `None`
    /// (the model's own).
    #[must_use]
    pub fn linear_expected_value(&self) -> Option<f64> {
        match &self.explainer {
            PreparedExplainer::Linear(l) => Some(l.expected_value()),
            PreparedExplainer::Tree(t) => Some(t.expected_value()),
            _ => None,
        }
    }
}

/// Reads the attributions a model returned: an object keyed by feature or an array in
/// feature order, at `pointer` inside the decoded output payload (a JSON pointer: one; a
/// path with `[*]` such as `explanations[*].shap`: one per instance). The line is read by the
/// capture tape parser ([`RecordReader`]), the payload by a walk ([`PayloadReader`]).
fn captured_attributions(
    readers: &mut (RecordReader, PayloadReader),
    line: &[u8],
    pointer: &str,
    features: &[String],
) -> Result<Vec<Vec<f64>>, (BadRecordKind, String)> {
    let (records, payloads) = readers;
    let rec = records.read(line).map_err(|e| (e.kind(), e.to_string()))?;
    let output = rec.output.ok_or((
        BadRecordKind::MissingField,
        "captureData.endpointOutput".into(),
    ))?;
    let payload = output.payload.map_err(|e| (e.kind(), e.to_string()))?;
    let attribute =
        Attribute::parse(pointer).map_err(|e| (BadRecordKind::BadPayload, e.to_string()))?;
    payloads
        .numbers_per_instance(
            payload,
            &attribute,
            features,
            "captureData.endpointOutput.data",
        )
        .map_err(|(kind, message)| (kind, format!("attribution: {message}")))
}

fn minute_of(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs.div_euclid(60) * 60, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// Explains one capture object for one monitor, line by line: the feature-attribution
/// consumer of ingest's single pass. Memory holds the per-minute sums and at most
/// `2 × max_records` sampled records per minute.
pub struct Attributor<'a> {
    ctx: &'a AttributionContext,
    parser: CaptureParser,
    /// readers of a model's own attributions (captured explainer)
    captured: (RecordReader, PayloadReader),
    minutes: BTreeMap<DateTime<Utc>, MinuteAttribution>,
    current: DateTime<Utc>,
    batch: RowBatch,
    x: Vec<f64>,
    lines: u64,
    monitor: String,
    source: String,
    warnings: crate::formats::capture::WarnBudget,
}

impl<'a> Attributor<'a> {
    /// An explainer of the capture object `key` (named `source`) for monitor `cfg`.
    ///
    /// # Errors
    /// [`CoreError::Config`] when the capture mapping of the features is invalid.
    pub fn new(
        key: &CaptureKey,
        source: &str,
        cfg: &MonitorConfig,
        ctx: &'a AttributionContext,
    ) -> Result<Self, CoreError> {
        let mut mapping = CaptureMapping::new(ctx.columns.clone());
        mapping.sides = vec![CaptureSide::EndpointInput];
        mapping.json_pointers = cfg
            .capture
            .json_pointers
            .iter()
            .filter(|(f, p)| ctx.columns.contains(f) && p.starts_with("/input"))
            .map(|(f, p)| (f.clone(), p.clone()))
            .collect();
        let parser = CaptureParser::new(&mapping)
            .map_err(|e| {
                config_err(
                    format!("monitor {} attribution mapping", cfg.name),
                    "",
                    &e.to_string(),
                )
            })?
            .collect_ids(true)
            .inference_window(
                crate::formats::capture::InferenceWindow::around_object_hour(key.hour),
            );
        Ok(Attributor {
            ctx,
            parser,
            captured: (RecordReader::new(), PayloadReader::new()),
            minutes: BTreeMap::new(),
            current: key.hour,
            batch: RowBatch::new(),
            x: vec![0.0; ctx.features.len()],
            lines: 0,
            monitor: cfg.name.clone(),
            source: source.into(),
            warnings: crate::formats::capture::WarnBudget::default(),
        })
    }

    fn slot(&mut self) -> &mut MinuteAttribution {
        let (m, agg, minute) = (self.ctx.features.len(), self.ctx.agg, self.current);
        self.minutes
            .entry(minute)
            .or_insert_with(|| MinuteAttribution {
                minute,
                records: 0,
                shap: ShapSums::new(m, agg),
                sample: Vec::new(),
                bad_records: BadRecords::default(),
            })
    }

    /// Takes line `line_no` (1-based) of the object.
    pub fn push(&mut self, line_no: u64, line: &Line<'_>) {
        self.lines = self.lines.max(line_no);
        let bytes = match line {
            Line::TooLong { .. } => {
                self.slot()
                    .bad_records
                    .add(BadRecordKind::LineTooLong, line_no);
                return;
            }
            Line::Ok(b) => *b,
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        let meta = match self.parser.parse_line_multi(bytes, &mut self.batch) {
            Ok(meta) => meta,
            Err(bad) => {
                if self.warnings.take() {
                    tracing::warn!(source = %self.source, line = line_no, error = %bad, "bad capture record");
                } else {
                    tracing::debug!(source = %self.source, line = line_no, error = %bad, "bad capture record");
                }
                self.slot().bad_records.add(bad.kind(), line_no);
                return;
            }
        };
        if let Some(mm) = meta.inference_minute {
            self.current = minute_of(mm * 60);
        }
        if meta.skipped_shadow {
            return;
        }
        let ctx = self.ctx;
        let captured = match &ctx.explainer {
            PreparedExplainer::Captured { pointer } => {
                let found = captured_attributions(&mut self.captured, bytes, pointer, &ctx.features)
                    .and_then(|phis| {
                        if phis.len() == self.batch.len() {
                            Ok(phis)
                        } else {
                            Err((
                                BadRecordKind::BadPayload,
                                format!(
                                    "attribution: {} attribution sets at {pointer:?} for a request of {} instances",
                                    phis.len(),
                                    self.batch.len()
                                ),
                            ))
                        }
                    });
                match found {
                    Ok(phis) => Some(phis),
                    Err((kind, message)) => {
                        if self.warnings.take() {
                            tracing::warn!(source = %self.source, line = line_no, %message, "no attributions");
                        } else {
                            tracing::debug!(source = %self.source, line = line_no, %message, "no attributions");
                        }
                        self.slot().bad_records.add(kind, line_no);
                        return;
                    }
                }
            }
            _ => None,
        };
        let batch = std::mem::take(&mut self.batch);
        let mut x = std::mem::take(&mut self.x);
        let several = batch.len() > 1;
        let tree = matches!(ctx.explainer, PreparedExplainer::Tree(_));
        for (r, row) in batch.iter().enumerate() {
            // `Err(kind)`: a feature value is not a number, or not a usable one (non-finite
            // or beyond ±1e100, formats::number), which would overflow the SHAP sums.
            let mut ok: Result<(), BadRecordKind> = Ok(());
            for (j, &pos) in ctx.positions.iter().enumerate() {
                let text = row.get(pos);
                match text.map(crate::formats::number::parse) {
                    Some(Ok(Some(f))) => x[j] = f,
                    Some(Err(e)) => ok = Err(BadRecordKind::from(&e)),
                    // trees send a missing value (empty, null) their default way
                    _ if tree && text.is_none_or(|t| t.trim().is_empty()) => x[j] = f64::NAN,
                    Some(Ok(None)) | None => ok = Err(BadRecordKind::UnparsableNumber),
                }
            }
            let slot = self.slot();
            slot.records += 1;
            if let Some(phi) = captured.as_ref().and_then(|phis| phis.get(r)) {
                slot.shap.add(phi);
                continue;
            }
            if let Err(kind) = ok {
                slot.bad_records.add(kind, line_no);
                continue;
            }
            match &ctx.explainer {
                PreparedExplainer::Linear(lin) => match lin.explain(&x) {
                    Ok(phi) => slot.shap.add(&phi),
                    Err(_) => slot
                        .bad_records
                        .add(BadRecordKind::UnparsableNumber, line_no),
                },
                PreparedExplainer::Tree(tree) => match tree.explain(&x) {
                    Ok(phi) => slot.shap.add(&phi),
                    Err(_) => slot
                        .bad_records
                        .add(BadRecordKind::UnparsableNumber, line_no),
                },
                PreparedExplainer::Kernel { max_records } => {
                    let base = meta.join_key().unwrap_or_default();
                    let key = if several {
                        format!("{base}#{r}")
                    } else {
                        base.to_owned()
                    };
                    let hash = drift_math::quality::fnv1a64(key.as_bytes());
                    slot.sample.push(SampledRecord {
                        hash,
                        key,
                        x: x.clone(),
                    });
                    if slot.sample.len() >= 2 * max_records {
                        keep_bottom_k(&mut slot.sample, *max_records);
                    }
                }
                PreparedExplainer::Captured { .. } => {}
            }
        }
        self.batch = batch;
        self.x = x;
    }

    /// The attribution state of everything pushed.
    pub fn finish(self) -> AttributionObjectState {
        let mut out: Vec<MinuteAttribution> = self.minutes.into_values().collect();
        if let PreparedExplainer::Kernel { max_records } = &self.ctx.explainer {
            for mm in &mut out {
                keep_bottom_k(&mut mm.sample, *max_records);
            }
        }
        AttributionObjectState {
            format: ATTRIBUTION_STATE_FORMAT.into(),
            version: ATTRIBUTION_STATE_VERSION,
            monitor: self.monitor,
            source: self.source,
            lines: self.lines,
            minutes: out,
        }
    }
}

/// Explains one capture object for one monitor (streamed line by line).
///
/// # Errors
/// [`CoreError::Io`] when the object cannot be read; [`CoreError::Config`] when the capture
/// mapping of the features is invalid. Bad lines are counted, never errors.
pub async fn explain_object<R: tokio::io::AsyncRead + Unpin>(
    reader: R,
    key: &CaptureKey,
    source: &str,
    cfg: &MonitorConfig,
    ctx: &AttributionContext,
) -> Result<AttributionObjectState, CoreError> {
    let mut a = Attributor::new(key, source, cfg, ctx)?;
    let lines = crate::store::for_each_line(reader, source, |n, l| a.push(n, l)).await?;
    let mut out = a.finish();
    out.lines = lines;
    Ok(out)
}

/// What [`kernel_global`] computed.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelResult {
    /// global SHAP value per feature
    pub global: Vec<f64>,
    /// `E = mean_bg f` (after the logit with `use_logit`)
    pub expected_value: f64,
    /// local SHAP values per record
    pub local: Vec<Vec<f64>>,
}

/// Global SHAP values of a set of records with Kernel SHAP through `model`, aggregated by
/// `agg`; with the expected value `E = mean_bg f`.
///
/// # Errors
/// The Kernel SHAP error (model failure, singular system …) as text.
pub fn kernel_global(
    background: Vec<Vec<f64>>,
    records: &[Vec<f64>],
    config: KernelShapConfig,
    agg: AggMethod,
    model: &dyn ModelInvoker,
) -> Result<KernelResult, String> {
    let mut ks = KernelShap::try_new(background, config, |rows: &[Vec<f64>]| model.predict(rows))
        .map_err(|e| e.to_string())?;
    let mut local = Vec::with_capacity(records.len());
    for x in records {
        local.push(
            ks.try_explain(x, |rows: &[Vec<f64>]| model.predict(rows))
                .map_err(|e| e.to_string())?,
        );
    }
    let global = aggregate(&local, agg).map_err(|e| e.to_string())?;
    Ok(KernelResult {
        global,
        expected_value: ks.expected_value(),
        local,
    })
}
