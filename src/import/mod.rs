//! `modelwatch import-sagemaker`: SageMaker monitoring schedules and job definitions (the
//! JSON that `aws sagemaker describe-monitoring-schedule` and
//! `describe-{data-quality,model-quality,model-bias,model-explainability}-job-definition`
//! print) into monitor configurations (`config/monitors/{name}.json`), with a note for
//! everything that is not carried over as SageMaker ran it.
//!
//! Pure: [`parse_documents`] reads one file's JSON, [`import`] turns every document into
//! configurations and notes; the command does the reading and writing.
//!
//! What is carried over, per schedule (or per job definition no schedule names):
//!
//! | SageMaker | monitor config |
//! |---|---|
//! | `MonitoringScheduleName` (else `JobDefinitionName`) | `name` |
//! | job kind (`MonitoringType`, the definition's blocks) | `kind` |
//! | `EndpointInput.EndpointName` | `endpoint` |
//! | `ScheduleExpression` (hourly, daily, every N hours) | `window_minutes` |
//! | `StartTimeOffset` / `EndTimeOffset` (or `DataAnalysisStartTime` / `EndTime`) | `window_minutes` = end − start, `offset_minutes` = −end |
//! | `ConstraintsResource` / `StatisticsResource` folder | `baseline_prefix` (as a key) |
//! | `ConfigUri` (Clarify) | `analysis_config_key` |
//! | `InferenceAttribute`, `ProbabilityAttribute` | `inference_attribute`, `probability_attribute` (CSV index as is, JMESPath `a.b[0]` as the pointer `/a/b/0`) |
//! | `ProbabilityThresholdAttribute` | `probability_threshold` |
//! | `ProblemType` | `problem_type` |
//! | `GroundTruthS3Input.S3Uri` | `ground_truth_prefix` (as a key) |
//! | `publish_cloudwatch_metrics` = `Disabled` | `publish_metrics: false` |

mod batch;
pub mod shapes;

use std::collections::{BTreeMap, BTreeSet};

use monitor_core::config::{MonitorConfig, MonitorKind};
use monitor_core::layout::{default_ground_truth_prefix, key_of};
use serde_json::{json, Map, Value};

use shapes::{
    AppSpecification, BaselineConfig, JobDefinition, JobInput, MonitoringSchedule, OutputConfig,
    ScheduleConfig,
};

/// Why a file cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// the file is not JSON
    #[error("{file}: not JSON: {error}")]
    Json {
        /// the file
        file: String,
        /// the parser's message
        error: serde_json::Error,
    },
    /// a JSON document of another shape
    #[error("{file}: not the output of describe-monitoring-schedule or describe-*-job-definition (top-level keys: {keys})")]
    UnknownShape {
        /// the file
        file: String,
        /// the document's top-level keys
        keys: String,
    },
}

/// One document of a file.
#[derive(Debug, Clone)]
pub enum Document {
    /// `describe-monitoring-schedule`
    Schedule(Box<MonitoringSchedule>),
    /// `describe-*-job-definition`, with its kind
    Definition(MonitorKind, Box<JobDefinition>),
}

/// Something the import could not carry over as SageMaker ran it (or an assumption made).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// the monitor (or schedule / definition name)
    pub monitor: String,
    /// the SageMaker field
    pub field: String,
    /// what was done and what to do
    pub message: String,
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.monitor, self.field, self.message)
    }
}

/// The outcome of an import.
#[derive(Debug, Clone, Default)]
pub struct Import {
    /// one configuration per monitor, as written (only the keys it sets), each loaded once
    /// by [`MonitorConfig::from_json`]
    pub configs: Vec<(String, Value)>,
    /// what was not carried over, or assumed
    pub notes: Vec<Note>,
}

/// The documents of one file: a describe output, or a JSON array of them.
///
/// # Errors
/// [`ImportError::Json`] when the file is not JSON; [`ImportError::UnknownShape`] for a
/// document that is neither kind of output.
pub fn parse_documents(file: &str, bytes: &[u8]) -> Result<Vec<Document>, ImportError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|error| ImportError::Json {
        file: file.into(),
        error,
    })?;
    let values = match value {
        Value::Array(items) => items,
        one => vec![one],
    };
    values.into_iter().map(|v| document(file, v)).collect()
}

fn document(file: &str, v: Value) -> Result<Document, ImportError> {
    let has = |k: &str| v.get(k).is_some();
    let unknown = |v: &Value| ImportError::UnknownShape {
        file: file.into(),
        keys: v
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>().join(", "))
            .unwrap_or_else(|| "none: not an object".into()),
    };
    let kind = if has("MonitoringScheduleConfig") {
        None
    } else if has("DataQualityJobInput") {
        Some(MonitorKind::DataQuality)
    } else if has("ModelQualityJobInput") {
        Some(MonitorKind::ModelQuality)
    } else if has("ModelBiasJobInput") {
        Some(MonitorKind::ModelBias)
    } else if has("ModelExplainabilityJobInput") {
        Some(MonitorKind::ModelExplainability)
    } else {
        return Err(unknown(&v));
    };
    let shape_error = |_| unknown(&v);
    Ok(match kind {
        None => Document::Schedule(Box::new(
            serde_json::from_value(v.clone()).map_err(shape_error)?,
        )),
        Some(k) => Document::Definition(
            k,
            Box::new(serde_json::from_value(v.clone()).map_err(shape_error)?),
        ),
    })
}

/// The parts of a job definition (named or inline) the conversion reads.
struct Job<'a> {
    kind: MonitorKind,
    baseline: Option<&'a BaselineConfig>,
    app: Option<&'a AppSpecification>,
    environment: BTreeMap<String, String>,
    inputs: Vec<&'a JobInput>,
    output: Option<&'a OutputConfig>,
}

impl<'a> Job<'a> {
    fn of(kind: MonitorKind, d: &'a JobDefinition) -> Job<'a> {
        let (baseline, app, input, output) = match kind {
            MonitorKind::DataQuality => (
                &d.data_quality_baseline_config,
                &d.data_quality_app_specification,
                &d.data_quality_job_input,
                &d.data_quality_job_output_config,
            ),
            MonitorKind::ModelQuality => (
                &d.model_quality_baseline_config,
                &d.model_quality_app_specification,
                &d.model_quality_job_input,
                &d.model_quality_job_output_config,
            ),
            MonitorKind::ModelBias => (
                &d.model_bias_baseline_config,
                &d.model_bias_app_specification,
                &d.model_bias_job_input,
                &d.model_bias_job_output_config,
            ),
            MonitorKind::ModelExplainability => (
                &d.model_explainability_baseline_config,
                &d.model_explainability_app_specification,
                &d.model_explainability_job_input,
                &d.model_explainability_job_output_config,
            ),
        };
        Job {
            kind,
            baseline: baseline.as_ref(),
            app: app.as_ref(),
            environment: app
                .as_ref()
                .map(|a| a.environment.clone())
                .unwrap_or_default(),
            inputs: input.iter().collect(),
            output: output.as_ref(),
        }
    }
}

fn kind_named(name: &str) -> Option<MonitorKind> {
    Some(match name {
        "DataQuality" => MonitorKind::DataQuality,
        "ModelQuality" => MonitorKind::ModelQuality,
        "ModelBias" => MonitorKind::ModelBias,
        "ModelExplainability" => MonitorKind::ModelExplainability,
        _ => return None,
    })
}

/// Converts every schedule (with the job definition it names or holds inline) and every job
/// definition no schedule names into a configuration; notes name what is not carried over.
/// A schedule whose definition is missing, or a job that watches no endpoint, yields a note
/// and no configuration.
pub fn import(docs: &[Document]) -> Import {
    let mut out = Import::default();
    let definitions: BTreeMap<&str, (MonitorKind, &JobDefinition)> = docs
        .iter()
        .filter_map(|d| match d {
            Document::Definition(k, def) => Some((def.job_definition_name.as_str(), (*k, &**def))),
            Document::Schedule(_) => None,
        })
        .collect();
    let mut used = BTreeSet::new();
    for doc in docs {
        let Document::Schedule(s) = doc else { continue };
        let name = s.monitoring_schedule_name.as_str();
        let mut notes = Notes::new(name);
        let block = &s.monitoring_schedule_config;
        let declared = block
            .monitoring_type
            .as_deref()
            .or(s.monitoring_type.as_deref());
        let job = if let Some(def_name) = &block.monitoring_job_definition_name {
            match definitions.get(def_name.as_str()) {
                Some((kind, def)) => {
                    used.insert(def_name.as_str());
                    if let Some(d) = declared.filter(|d| kind_named(d) != Some(*kind)) {
                        notes.add("MonitoringType", format!("{d} does not match job definition {def_name} ({kind:?}); the definition's kind is used"));
                    }
                    Job::of(*kind, def)
                }
                None => {
                    notes.add("MonitoringJobDefinitionName", format!("the describe-*-job-definition output of {def_name} was not given: schedule not imported"));
                    out.notes.extend(notes.0);
                    continue;
                }
            }
        } else if let Some(inline) = &block.monitoring_job_definition {
            let kind = declared.and_then(kind_named).unwrap_or_default();
            Job {
                kind,
                baseline: inline.baseline_config.as_ref(),
                app: inline.monitoring_app_specification.as_ref(),
                environment: inline.environment.clone(),
                inputs: inline.monitoring_inputs.iter().collect(),
                output: inline.monitoring_output_config.as_ref(),
            }
        } else {
            notes.add(
                "MonitoringScheduleConfig",
                "neither MonitoringJobDefinitionName nor MonitoringJobDefinition: not imported",
            );
            out.notes.extend(notes.0);
            continue;
        };
        if let Some(status) = s
            .monitoring_schedule_status
            .as_deref()
            .filter(|s| *s == "Stopped" || *s == "Failed")
        {
            notes.add(
                "MonitoringScheduleStatus",
                format!(
                    "the schedule is {status}; imported anyway (delete its file to leave it out)"
                ),
            );
        }
        let fallback_endpoint = s.endpoint_name.as_deref();
        convert(
            name,
            &job,
            block.schedule_config.as_ref(),
            fallback_endpoint,
            &mut notes,
            &mut out,
        );
    }
    for (def_name, (kind, def)) in &definitions {
        if used.contains(def_name) {
            continue;
        }
        let mut notes = Notes::new(def_name);
        notes.add(
            "ScheduleConfig",
            "no describe-monitoring-schedule output names this job definition: imported under its own name with the schedule's default window (60 minutes)",
        );
        convert(
            def_name,
            &Job::of(*kind, def),
            None,
            None,
            &mut notes,
            &mut out,
        );
    }
    out
}

/// The notes of one monitor.
struct Notes(Vec<Note>, String);

impl Notes {
    fn new(monitor: &str) -> Notes {
        Notes(Vec::new(), monitor.into())
    }

    fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(Note {
            monitor: self.1.clone(),
            field: field.into(),
            message: message.into(),
        });
    }
}

/// Minutes of an ISO 8601 duration with an optional sign (`-PT1H`, `PT0H`, `-P1D`).
pub fn offset_minutes(text: &str) -> Result<i64, String> {
    let (sign, body) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let d = iso8601::duration(body).map_err(|e| format!("{text:?}: {e}"))?;
    if let iso8601::Duration::YMDHMS { year, month, .. } = d {
        if year != 0 || month != 0 {
            return Err(format!("{text:?}: years and months have no fixed length"));
        }
    }
    let secs = std::time::Duration::from(d).as_secs();
    let minutes = i64::try_from(secs / 60).map_err(|_| format!("{text:?}: too long"))?;
    Ok(sign * minutes)
}

/// The period of a SageMaker schedule expression in minutes: hourly `cron(0 * ? * * *)`,
/// daily `cron(0 H ? * * *)`, every N hours `cron(0 H/N ? * * *)` or `cron(0 */N ? * * *)`;
/// `None` for `NOW` (a one-time schedule).
pub fn schedule_period(expr: &str) -> Result<Option<u32>, String> {
    let expr = expr.trim();
    if expr.eq_ignore_ascii_case("now") {
        return Ok(None);
    }
    let fields: Vec<&str> = expr
        .strip_prefix("cron(")
        .and_then(|e| e.strip_suffix(')'))
        .map(|e| e.split_whitespace().collect())
        .unwrap_or_default();
    let unsupported = || format!("{expr:?} is not an hourly, daily or every-N-hours schedule");
    let [minute, hour, dom, month, dow, _year] = fields[..] else {
        return Err(unsupported());
    };
    let any = |f: &str| f == "*" || f == "?";
    if minute != "0" || !any(dom) || !any(month) || !any(dow) {
        return Err(unsupported());
    }
    if hour == "*" {
        return Ok(Some(60));
    }
    if let Some((_, n)) = hour.split_once('/') {
        let n: u32 = n.parse().map_err(|_| unsupported())?;
        return if (1..=24).contains(&n) {
            Ok(Some(n * 60))
        } else {
            Err(unsupported())
        };
    }
    match hour.parse::<u32>() {
        Ok(h) if h < 24 => Ok(Some(24 * 60)),
        _ => Err(unsupported()),
    }
}

/// A SageMaker attribute as modelwatch reads it: a CSV column index as is, a JMESPath of
/// field names and indexes (`predictions.score`, `a[0].b`) as a JSON pointer; a
/// multi-instance path (`predictions[*].score`) as written: one prediction per instance.
pub fn attribute(sm: &str) -> Result<String, String> {
    let sm = sm.trim();
    if !sm.is_empty() && sm.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(sm.into());
    }
    if sm.contains("[*]") {
        return Ok(sm.into());
    }
    let mut pointer = String::new();
    for part in sm.split('.') {
        let (field, rest) = part.split_once('[').unwrap_or((part, ""));
        let ident = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        if !ident(field) {
            return Err(format!("{sm:?} is not a field path (a.b[0].c)"));
        }
        pointer.push('/');
        pointer.push_str(&field.replace('~', "~0").replace('/', "~1"));
        for index in rest.split('[').filter(|s| !s.is_empty()) {
            let i = index.strip_suffix(']').unwrap_or("x");
            if i.is_empty() || !i.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("{sm:?}: index [{index} is not a number"));
            }
            pointer.push('/');
            pointer.push_str(i);
        }
    }
    Ok(pointer)
}

/// The folder of an S3 URI's object, as a key (`s3://b/x/y.json` → `x`), and its bucket.
fn folder_key(uri: &str) -> (String, Option<String>) {
    let key = key_of(uri);
    let folder = key.rsplit_once('/').map_or("", |(f, _)| f);
    let bucket = uri
        .strip_prefix("s3://")
        .and_then(|r| r.split('/').next())
        .map(str::to_owned);
    (folder.to_owned(), bucket)
}

/// The file name of an S3 URI.
fn file_name(uri: &str) -> &str {
    uri.rsplit('/').next().unwrap_or(uri)
}

/// Environment variables of SageMaker's analyzers the import reads or that modelwatch does
/// not need (set by the SDK from other fields).
const KNOWN_ENV: [&str; 10] = [
    "publish_cloudwatch_metrics",
    "dataset_format",
    "dataset_source",
    "output_path",
    "baseline_constraints",
    "baseline_statistics",
    "record_preprocessor_script",
    "post_analytics_processor_script",
    "analysis_type",
    "problem_type",
];

/// One monitor's window: `(window_minutes, offset_minutes)` from the schedule and offsets.
fn window(
    kind: MonitorKind,
    schedule: Option<&ScheduleConfig>,
    endpoint: &shapes::EndpointInput,
    notes: &mut Notes,
) -> (u32, u32) {
    let period = match schedule.map(|s| schedule_period(&s.schedule_expression)) {
        Some(Ok(Some(p))) => Some(p),
        Some(Ok(None)) => {
            notes.add("ScheduleExpression", "NOW (a one-time schedule): imported as a recurring monitor of its window; for one run use `modelwatch monitor --config` or `modelwatch tick --window-end`");
            None
        }
        Some(Err(e)) => {
            notes.add(
                "ScheduleExpression",
                format!("{e}: window of 60 minutes assumed"),
            );
            None
        }
        None => None,
    };
    let start = endpoint
        .start_time_offset
        .as_deref()
        .or(schedule.and_then(|s| s.data_analysis_start_time.as_deref()));
    let end = endpoint
        .end_time_offset
        .as_deref()
        .or(schedule.and_then(|s| s.data_analysis_end_time.as_deref()));
    let (mut length, mut offset) = (period.unwrap_or(60), 0u32);
    if let (Some(s), Some(e)) = (start, end) {
        match (offset_minutes(s), offset_minutes(e)) {
            (Ok(s), Ok(e)) if s < e && e <= 0 && e - s <= 24 * 60 => {
                length = (e - s) as u32;
                offset = (-e) as u32;
            }
            (Ok(_), Ok(_)) => notes.add(
                "StartTimeOffset/EndTimeOffset",
                format!("{s} .. {e} is not a window of at most 24 hours ending at or before the schedule time: window of {length} minutes assumed"),
            ),
            (Err(m), _) | (_, Err(m)) => notes.add("StartTimeOffset/EndTimeOffset", m),
        }
    } else if start.is_some() || end.is_some() {
        notes.add(
            "StartTimeOffset/EndTimeOffset",
            "only one of the two is set: the window ends at the schedule time",
        );
    }
    if offset > 0 && !kind.joins_ground_truth() {
        notes.add(
            "EndTimeOffset",
            format!("{kind:?} windows end at the tick: the offset of {offset} minutes is not carried over"),
        );
        offset = 0;
    }
    if let Some(p) = period.filter(|p| *p != length) {
        notes.add(
            "ScheduleExpression",
            format!("SageMaker analysed {length} minutes every {p} minutes; modelwatch evaluates windows of window_minutes = {length}, aligned to their length, on each tick (the tick's schedule is the stack's, template.yaml)"),
        );
    }
    (length, offset)
}

/// The baseline folder of `job` as a key (notes for files elsewhere or named otherwise);
/// `baselines/{name}` without a baseline.
fn baseline_prefix(
    job: &Job<'_>,
    name: &str,
    notes: &mut Notes,
    buckets: &mut BTreeSet<String>,
) -> String {
    let uri = |r: Option<&shapes::S3Resource>| r.map(|r| r.s3_uri.clone());
    let constraints = uri(job.baseline.and_then(|b| b.constraints_resource.as_ref()));
    let statistics = uri(job.baseline.and_then(|b| b.statistics_resource.as_ref()));
    let expected = match job.kind {
        MonitorKind::ModelBias | MonitorKind::ModelExplainability => "analysis.json",
        _ => "constraints.json",
    };
    let Some(first) = constraints.as_deref().or(statistics.as_deref()) else {
        notes.add(
            "BaselineConfig",
            format!("no baseline: baseline_prefix set to baselines/{name}; write the baseline there (modelwatch baseline) before the first tick"),
        );
        return format!("baselines/{name}");
    };
    let (folder, bucket) = folder_key(first);
    buckets.extend(bucket);
    for (u, want) in [(&constraints, expected), (&statistics, "statistics.json")] {
        let Some(u) = u else { continue };
        if folder_key(u).0 != folder {
            notes.add(
                "BaselineConfig",
                format!("{u} is not in the folder {folder}: modelwatch reads every baseline file from baseline_prefix; copy it there"),
            );
        }
        if file_name(u) != want {
            notes.add(
                "BaselineConfig",
                format!("{u}: modelwatch reads {want} under baseline_prefix; copy or rename it"),
            );
        }
    }
    folder
}

/// Notes on the container and its environment: custom images, scripts and variables that
/// are not carried over.
fn container_notes(job: &Job<'_>, notes: &mut Notes) {
    if let Some(app) = job.app {
        let image = app.image_uri.as_deref().unwrap_or_default();
        let builtin = [
            "sagemaker-model-monitor-analyzer",
            "sagemaker-clarify-processing",
        ];
        if !image.is_empty() && !builtin.iter().any(|b| image.contains(b)) {
            notes.add(
                "ImageUri",
                format!("{image} is not SageMaker's analyzer or Clarify: its own logic is not carried over"),
            );
        }
        if !app.container_entrypoint.is_empty() || !app.container_arguments.is_empty() {
            notes.add("ContainerEntrypoint/ContainerArguments", "not carried over");
        }
        if let Some(u) = &app.record_preprocessor_source_uri {
            notes.add(
                "RecordPreprocessorSourceUri",
                format!("{u} is not run: map nested JSON captures declaratively with capture.json_pointers"),
            );
        }
        if let Some(u) = &app.post_analytics_processor_source_uri {
            notes.add(
                "PostAnalyticsProcessorSourceUri",
                format!("{u} is not run: act on the reports, metrics and alarms instead"),
            );
        }
    }
    for (k, v) in &job.environment {
        if !KNOWN_ENV.contains(&k.as_str()) {
            notes.add("Environment", format!("{k}={v} is not carried over"));
        }
    }
}

/// The prediction attributes of a model-quality, bias or explainability monitor (notes for
/// the input attributes that are not carried over).
fn prediction_attributes(
    kind: MonitorKind,
    endpoint: &shapes::EndpointInput,
    notes: &mut Notes,
) -> Map<String, Value> {
    match endpoint.features_attribute.as_deref() {
        Some("features" | "instances") | None => {}
        Some(f) => notes.add(
            "FeaturesAttribute",
            format!("{f} is not carried over: map nested JSON inputs with capture.json_pointers"),
        ),
    }
    if let Some(x) = &endpoint.exclude_features_attribute {
        notes.add(
            "ExcludeFeaturesAttribute",
            format!("{x} is not supported: every baseline feature is checked"),
        );
    }
    let mut settings = Map::new();
    let fields = [
        (
            "InferenceAttribute",
            "inference_attribute",
            &endpoint.inference_attribute,
        ),
        (
            "ProbabilityAttribute",
            "probability_attribute",
            &endpoint.probability_attribute,
        ),
    ];
    for (field, key, value) in fields {
        let Some(v) = value else { continue };
        if kind == MonitorKind::DataQuality {
            notes.add(
                field,
                format!("{v}: a data-quality monitor profiles every output column; not needed"),
            );
            continue;
        }
        match attribute(v) {
            Ok(a) => {
                settings.insert(key.into(), json!(a));
            }
            Err(e) => notes.add(field, format!("{e}: not carried over")),
        }
    }
    settings
}

/// What joins labels (model quality, bias): threshold, offset, ground-truth prefix.
fn join_settings(
    settings: &mut Map<String, Value>,
    input: Option<&JobInput>,
    endpoint: &shapes::EndpointInput,
    offset: u32,
    notes: &mut Notes,
    buckets: &mut BTreeSet<String>,
) {
    let endpoint_name = endpoint.endpoint_name.as_str();
    if let Some(t) = endpoint.probability_threshold_attribute {
        settings.insert("probability_threshold".into(), json!(t));
    }
    if offset > 0 {
        settings.insert("offset_minutes".into(), json!(offset));
    }
    let default_prefix = default_ground_truth_prefix(endpoint_name);
    match input.and_then(|i| i.ground_truth_s3_input.as_ref()) {
        Some(gt) => {
            buckets.extend(folder_key(&gt.s3_uri).1);
            let prefix = format!("{}/", key_of(&gt.s3_uri).trim_end_matches('/'));
            if prefix != default_prefix {
                settings.insert("ground_truth_prefix".into(), json!(prefix));
            }
        }
        None => notes.add(
            "GroundTruthS3Input",
            format!("missing: labels are read from {default_prefix}"),
        ),
    }
}

/// The Clarify part of a bias or explainability monitor: the analysis config's key, and
/// for explainability the explainer (Kernel SHAP through the endpoint).
fn clarify_block(
    kind: MonitorKind,
    mut settings: Map<String, Value>,
    job: &Job<'_>,
    endpoint_name: &str,
    baseline_prefix: &str,
    notes: &mut Notes,
    buckets: &mut BTreeSet<String>,
) -> Value {
    let default_key = format!("{baseline_prefix}/analysis_config.json");
    match job.app.and_then(|a| a.config_uri.as_deref()) {
        Some(uri) => {
            buckets.extend(folder_key(uri).1);
            if key_of(uri) != default_key {
                settings.insert("analysis_config_key".into(), json!(key_of(uri)));
            }
        }
        None => notes.add(
            "ConfigUri",
            format!("missing: the analysis config is read from {default_key}"),
        ),
    }
    if kind == MonitorKind::ModelBias {
        return Value::Object(settings);
    }
    let mut model = json!({"endpoint_name": endpoint_name});
    if let Some(o) = settings
        .get("probability_attribute")
        .or(settings.get("inference_attribute"))
    {
        model["output_attribute"] = o.clone();
    }
    let mut x = Map::new();
    x.insert(
        "explainer".into(),
        json!({"kernel": {"model": {"endpoint": model}}}),
    );
    if let Some(k) = settings.get("analysis_config_key") {
        x.insert("analysis_config_key".into(), k.clone());
    }
    notes.add(
        "explainer",
        format!("Kernel SHAP through endpoint {endpoint_name} (Clarify's shadow endpoint is not in the job definition); prefer `captured` or `linear` where the model allows (README, Feature attribution)"),
    );
    Value::Object(x)
}

/// Builds one monitor's configuration from `job` (notes for the rest) and adds it, or
/// only the notes when it cannot be built.
// Why it is about 120 lines: it reads as the module's table, top to bottom (endpoint,
// window, baseline, container, attributes, kind block); each step is one helper call.
fn convert(
    name: &str,
    job: &Job<'_>,
    schedule: Option<&ScheduleConfig>,
    fallback_endpoint: Option<&str>,
    notes: &mut Notes,
    out: &mut Import,
) {
    let mut buckets = BTreeSet::new();
    let mut cfg = Map::new();
    cfg.insert("name".into(), json!(name));
    cfg.insert("kind".into(), json!(format!("{:?}", job.kind)));

    // input: the endpoint, or a batch transform's data capture
    if job.inputs.len() > 1 {
        notes.add(
            "MonitoringInputs",
            "several inputs: only the first is imported",
        );
    }
    let input = job.inputs.first().copied();
    let batch_raw = input.and_then(|i| i.batch_transform_input.as_ref());
    let mut endpoint = input
        .and_then(|i| i.endpoint_input.clone())
        .unwrap_or_default();
    if let Some(raw) = batch_raw {
        let Some(b) = batch::batch_input(name, raw, notes, &mut buckets) else {
            out.notes.append(&mut notes.0);
            return;
        };
        endpoint = b.input;
        cfg.insert("batch_transform".into(), b.block);
    } else {
        if endpoint.endpoint_name.is_empty() {
            endpoint.endpoint_name = fallback_endpoint.unwrap_or_default().to_owned();
        }
        if endpoint.endpoint_name.is_empty() {
            notes.add("EndpointInput", "no EndpointName: not imported");
            out.notes.append(&mut notes.0);
            return;
        }
        cfg.insert("endpoint".into(), json!(endpoint.endpoint_name));
    }
    let endpoint_name = endpoint.endpoint_name.clone();
    // reports: reports/{endpoint}/{schedule}/…, or SageMaker's batch layout reports/{schedule}/…
    let report_scope = if batch_raw.is_some() {
        String::new()
    } else {
        format!("{endpoint_name}/")
    };

    let (length, offset) = window(job.kind, schedule, &endpoint, notes);
    if length != 60 {
        cfg.insert("window_minutes".into(), json!(length));
    }
    let baseline = baseline_prefix(job, name, notes, &mut buckets);
    cfg.insert("baseline_prefix".into(), json!(baseline));
    container_notes(job, notes);
    if job
        .environment
        .get("publish_cloudwatch_metrics")
        .is_some_and(|v| v.eq_ignore_ascii_case("disabled"))
    {
        cfg.insert("publish_metrics".into(), json!(false));
    }
    if let Some(uri) = job
        .output
        .and_then(|o| o.monitoring_outputs.first())
        .and_then(|o| o.s3_output.as_ref())
    {
        notes.add(
            "MonitoringOutputs",
            format!("reports go to reports/{report_scope}{name}/yyyy/mm/dd/HH/ of the stack's bucket, not {}", uri.s3_uri),
        );
    }

    let mut settings = prediction_attributes(job.kind, &endpoint, notes);
    if job.kind.joins_ground_truth() {
        join_settings(&mut settings, input, &endpoint, offset, notes, &mut buckets);
    }
    match job.kind {
        MonitorKind::DataQuality => {}
        MonitorKind::ModelQuality => {
            let problem = job
                .app
                .and_then(|a| a.problem_type.clone())
                .unwrap_or_else(|| {
                    notes.add("ProblemType", "missing: BinaryClassification assumed");
                    "BinaryClassification".into()
                });
            settings.insert("problem_type".into(), json!(problem));
            cfg.insert("model_quality".into(), Value::Object(settings));
        }
        MonitorKind::ModelBias => {
            let block = clarify_block(
                job.kind,
                settings,
                job,
                &endpoint_name,
                &baseline,
                notes,
                &mut buckets,
            );
            cfg.insert("bias".into(), block);
        }
        MonitorKind::ModelExplainability => {
            let block = clarify_block(
                job.kind,
                settings,
                job,
                &endpoint_name,
                &baseline,
                notes,
                &mut buckets,
            );
            cfg.insert("explainability".into(), block);
        }
    }
    if !buckets.is_empty() {
        let list: Vec<String> = buckets.into_iter().collect();
        notes.add(
            "S3Uri",
            format!("written as keys of the stack's bucket (SageMaker's bucket: {}); copy the objects there or deploy the stack on that bucket", list.join(", ")),
        );
    }
    let value = Value::Object(cfg);
    match MonitorConfig::from_json(&format!("{name}.json"), value.to_string().as_bytes()) {
        Ok(_) => out.configs.push((name.to_owned(), value)),
        Err(e) => notes.add("monitor config", format!("{e}: not imported")),
    }
    out.notes.append(&mut notes.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_signed_minutes() {
        assert_eq!(offset_minutes("-PT1H"), Ok(-60));
        assert_eq!(offset_minutes("-PT0H"), Ok(0));
        assert_eq!(offset_minutes("-PT1H30M"), Ok(-90));
        assert_eq!(offset_minutes("-P1D"), Ok(-1440));
        assert!(offset_minutes("-P1M").is_err());
        assert!(offset_minutes("an hour").is_err());
    }

    #[test]
    fn schedule_periods() {
        assert_eq!(schedule_period("cron(0 * ? * * *)"), Ok(Some(60)));
        assert_eq!(schedule_period("cron(0 0 ? * * *)"), Ok(Some(1440)));
        assert_eq!(schedule_period("cron(0 */6 ? * * *)"), Ok(Some(360)));
        assert_eq!(schedule_period("cron(0 0/12 ? * * *)"), Ok(Some(720)));
        assert_eq!(schedule_period("NOW"), Ok(None));
        assert!(schedule_period("cron(30 * ? * * *)").is_err());
        assert!(schedule_period("rate(1 hour)").is_err());
    }

    #[test]
    fn attributes_become_pointers_or_indexes() {
        assert_eq!(attribute("0").unwrap(), "0");
        assert_eq!(attribute("predicted_label").unwrap(), "/predicted_label");
        assert_eq!(attribute("output.scores[1]").unwrap(), "/output/scores/1");
        assert_eq!(
            attribute("predictions[*].score").unwrap(),
            "predictions[*].score"
        );
        assert!(attribute("max(scores)").is_err());
        assert!(attribute("a[x]").is_err());
    }
}
