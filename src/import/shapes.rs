//! The parts of SageMaker's `Describe*` responses the import reads, as the AWS CLI prints
//! them (`aws sagemaker describe-monitoring-schedule`, `describe-data-quality-job-definition`,
//! `describe-model-quality-job-definition`, `describe-model-bias-job-definition`,
//! `describe-model-explainability-job-definition`): the API's PascalCase names. Fields the
//! import does not need (ARNs, times, `JobResources`, `NetworkConfig`, `RoleArn`,
//! `StoppingCondition`) are not listed and are ignored when present.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `DescribeMonitoringSchedule`'s response.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct MonitoringSchedule {
    /// the schedule's name (the monitor's name)
    pub monitoring_schedule_name: String,
    /// `Pending` | `Failed` | `Scheduled` | `Stopped`
    pub monitoring_schedule_status: Option<String>,
    /// `DataQuality` | `ModelQuality` | `ModelBias` | `ModelExplainability`
    pub monitoring_type: Option<String>,
    /// the endpoint the schedule watches
    pub endpoint_name: Option<String>,
    /// the schedule and the job it runs
    pub monitoring_schedule_config: ScheduleConfigBlock,
}

/// `MonitoringScheduleConfig`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct ScheduleConfigBlock {
    /// when the job runs
    pub schedule_config: Option<ScheduleConfig>,
    /// an inline job (the older data-quality form)
    pub monitoring_job_definition: Option<InlineJobDefinition>,
    /// the job definition it runs, by name
    pub monitoring_job_definition_name: Option<String>,
    /// the kind of that job definition
    pub monitoring_type: Option<String>,
}

/// `ScheduleConfig`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct ScheduleConfig {
    /// `cron(…)` or `NOW`
    pub schedule_expression: String,
    /// the window's start as an offset from the scheduled time (`-PT1H`)
    pub data_analysis_start_time: Option<String>,
    /// the window's end as an offset from the scheduled time (`-PT0H`)
    pub data_analysis_end_time: Option<String>,
}

/// `MonitoringJobDefinition` (inline in a schedule).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct InlineJobDefinition {
    /// statistics and constraints
    pub baseline_config: Option<BaselineConfig>,
    /// the analyzer's environment (`publish_cloudwatch_metrics`, …)
    pub environment: BTreeMap<String, String>,
    /// the container
    pub monitoring_app_specification: Option<AppSpecification>,
    /// one input per endpoint or batch transform job
    pub monitoring_inputs: Vec<JobInput>,
    /// where the reports went
    pub monitoring_output_config: Option<OutputConfig>,
}

/// `*BaselineConfig`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct BaselineConfig {
    /// the baselining job that wrote the files
    pub baselining_job_name: Option<String>,
    /// `constraints.json` (Clarify: the baseline `analysis.json`)
    pub constraints_resource: Option<S3Resource>,
    /// `statistics.json` (data quality)
    pub statistics_resource: Option<S3Resource>,
}

/// `{ "S3Uri": … }`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct S3Resource {
    /// `s3://bucket/key`
    pub s3_uri: String,
}

/// `*AppSpecification`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct AppSpecification {
    /// the analyzer (or a custom container)
    pub image_uri: Option<String>,
    /// a custom entrypoint
    pub container_entrypoint: Vec<String>,
    /// custom arguments
    pub container_arguments: Vec<String>,
    /// a preprocessing script run on each record
    pub record_preprocessor_source_uri: Option<String>,
    /// a script run on the report
    pub post_analytics_processor_source_uri: Option<String>,
    /// model quality: `BinaryClassification` | `MulticlassClassification` | `Regression`
    pub problem_type: Option<String>,
    /// Clarify: the analysis configuration's URI
    pub config_uri: Option<String>,
    /// the container's environment
    pub environment: BTreeMap<String, String>,
}

/// `*JobInput` / `MonitoringInput`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobInput {
    /// an endpoint's data capture
    pub endpoint_input: Option<EndpointInput>,
    /// a batch transform job's data capture
    pub batch_transform_input: Option<serde_json::Value>,
    /// model quality and bias: the labels
    pub ground_truth_s3_input: Option<S3Resource>,
}

/// `EndpointInput`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct EndpointInput {
    /// the endpoint
    pub endpoint_name: String,
    /// JMESPath of the input features (JSON captures)
    pub features_attribute: Option<String>,
    /// JMESPath (or CSV index) of the predicted label
    pub inference_attribute: Option<String>,
    /// JMESPath (or CSV index) of the probability
    pub probability_attribute: Option<String>,
    /// label = probability > threshold
    pub probability_threshold_attribute: Option<f64>,
    /// the window's start, as an offset from the scheduled time (`-PT2H`)
    pub start_time_offset: Option<String>,
    /// the window's end, as an offset from the scheduled time (`-PT1H`)
    pub end_time_offset: Option<String>,
    /// features left out of the analysis
    pub exclude_features_attribute: Option<String>,
}

/// The four `Describe*JobDefinition` responses, by kind.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobDefinition {
    /// the definition's name
    pub job_definition_name: String,
    /// data quality
    pub data_quality_baseline_config: Option<BaselineConfig>,
    /// data quality
    pub data_quality_app_specification: Option<AppSpecification>,
    /// data quality
    pub data_quality_job_input: Option<JobInput>,
    /// data quality
    pub data_quality_job_output_config: Option<OutputConfig>,
    /// model quality
    pub model_quality_baseline_config: Option<BaselineConfig>,
    /// model quality
    pub model_quality_app_specification: Option<AppSpecification>,
    /// model quality
    pub model_quality_job_input: Option<JobInput>,
    /// model quality
    pub model_quality_job_output_config: Option<OutputConfig>,
    /// bias
    pub model_bias_baseline_config: Option<BaselineConfig>,
    /// bias
    pub model_bias_app_specification: Option<AppSpecification>,
    /// bias
    pub model_bias_job_input: Option<JobInput>,
    /// bias
    pub model_bias_job_output_config: Option<OutputConfig>,
    /// explainability
    pub model_explainability_baseline_config: Option<BaselineConfig>,
    /// explainability
    pub model_explainability_app_specification: Option<AppSpecification>,
    /// explainability
    pub model_explainability_job_input: Option<JobInput>,
    /// explainability
    pub model_explainability_job_output_config: Option<OutputConfig>,
}

/// `MonitoringOutputConfig`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct OutputConfig {
    /// where the reports went
    pub monitoring_outputs: Vec<MonitoringOutput>,
}

/// `MonitoringOutput`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct MonitoringOutput {
    /// `{ "S3Uri": … }` (and `LocalPath`, `S3UploadMode`, not read)
    pub s3_output: Option<S3Resource>,
}
