//! Issue 12 item 6: `modelwatch import-sagemaker` over hand-built describe-* outputs
//! (tests/fixtures/sagemaker-api/, see its PROVENANCE): what each schedule becomes, and what
//! the report says cannot be carried over.

use modelwatch::import::{import, parse_documents, Document, Import, ImportError};
use modelwatch_e2e::fixture;
use monitor_core::config::{Explainer, MonitorConfig, MonitorKind};
use monitor_core::formats::model_quality::ProblemType;

const FILES: [&str; 11] = [
    "schedule-churn-dq.json",
    "dq-churn.json",
    "schedule-churn-mq.json",
    "mq-churn.json",
    "schedule-churn-bias.json",
    "bias-churn.json",
    "schedule-churn-xai.json",
    "xai-churn.json",
    "schedule-legacy-inline-dq.json",
    "mq-batch-transform.json",
    "schedule-missing-definition.json",
];

fn documents(files: &[&str]) -> Vec<Document> {
    files
        .iter()
        .flat_map(|f| {
            let path = fixture(&format!("sagemaker-api/{f}"));
            parse_documents(f, &std::fs::read(path).unwrap()).unwrap()
        })
        .collect()
}

fn config(outcome: &Import, name: &str) -> MonitorConfig {
    let (_, value) = outcome
        .configs
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} not imported"));
    MonitorConfig::from_json(name, value.to_string().as_bytes()).unwrap()
}

fn notes_of<'a>(outcome: &'a Import, monitor: &str) -> Vec<(&'a str, &'a str)> {
    outcome
        .notes
        .iter()
        .filter(|n| n.monitor == monitor)
        .map(|n| (n.field.as_str(), n.message.as_str()))
        .collect()
}

fn has_note(outcome: &Import, monitor: &str, field: &str, words: &str) -> bool {
    notes_of(outcome, monitor)
        .iter()
        .any(|(f, m)| *f == field && m.contains(words))
}

#[test]
fn every_schedule_becomes_a_monitor_config() {
    let outcome = import(&documents(&FILES));
    let names: Vec<&str> = outcome.configs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "churn-dq",
            "churn-mq",
            "churn-bias",
            "churn-xai",
            "xgb-legacy-dq",
            "batch-mq-definition"
        ]
    );

    // batch transform (issue 12 item 4): the BatchTransformInput as the batch_transform
    // block, its attribute in the model-quality settings, labels at the job's ground truth
    let batch = config(&outcome, "batch-mq-definition");
    assert_eq!(batch.endpoint, "");
    let input = batch.batch_transform.as_ref().unwrap();
    assert_eq!(
        input.data_captured_destination_s3_uri,
        "batch/data-capture/"
    );
    assert_eq!(
        input.dataset_format,
        monitor_core::batch::DatasetFormat::Csv {
            header: false,
            output_columns: 1
        }
    );
    let m = batch.model_quality.as_ref().unwrap();
    assert_eq!(m.quality.problem_type, ProblemType::Regression);
    assert_eq!(m.attributes.inference_attribute.as_deref(), Some("0"));
    assert_eq!(batch.ground_truth_prefix(), "batch/ground-truth/");

    // data quality: hourly, baseline folder of statistics.json + constraints.json
    let dq = config(&outcome, "churn-dq");
    assert_eq!(dq.kind, MonitorKind::DataQuality);
    assert_eq!(dq.endpoint, "churn-endpoint");
    assert_eq!(dq.window_minutes, 60);
    assert_eq!(
        dq.statistics_key(),
        "churn/baselining/results/statistics.json"
    );
    assert_eq!(
        dq.constraints_key(),
        "churn/baselining/results/constraints.json"
    );
    assert!(dq.publish_metrics);

    // model quality: -PT2H .. -PT1H is a 60-minute window ending 60 minutes before the tick
    let mq = config(&outcome, "churn-mq");
    let m = mq.model_quality.as_ref().unwrap();
    assert_eq!(m.quality.problem_type, ProblemType::BinaryClassification);
    assert_eq!(m.attributes.probability_attribute.as_deref(), Some("0"));
    assert_eq!(m.attributes.inference_attribute, None);
    assert_eq!(m.attributes.probability_threshold, 0.5);
    assert_eq!((mq.window_minutes, m.offset_minutes), (60, 60));
    assert_eq!(mq.ground_truth_prefix(), "churn/ground-truth/");
    assert_eq!(
        mq.constraints_key(),
        "churn/model-quality/baselining/constraints.json"
    );

    // bias: daily, -PT25H .. -PT1H; the analysis config elsewhere than the baseline;
    // ground truth at the default prefix
    let bias = config(&outcome, "churn-bias");
    let b = bias.bias.as_ref().unwrap();
    assert_eq!((bias.window_minutes, b.offset_minutes), (24 * 60, 60));
    assert_eq!(b.attributes.probability_threshold, 0.8);
    assert_eq!(
        bias.analysis_key(),
        "churn/clarify/model_bias/analysis.json"
    );
    assert_eq!(
        bias.analysis_config_key(),
        "churn/clarify/monitoring-config/analysis_config.json"
    );
    assert_eq!(b.ground_truth_prefix, None);
    assert_eq!(bias.ground_truth_prefix(), "ground-truth/churn-endpoint/");

    // explainability: every 6 hours, metrics disabled, Kernel SHAP through the endpoint
    // with the JMESPath probability as a JSON pointer
    let xai = config(&outcome, "churn-xai");
    assert_eq!(xai.window_minutes, 360);
    assert!(!xai.publish_metrics);
    assert_eq!(
        xai.analysis_config_key(),
        "churn/clarify/model_explainability/analysis_config.json"
    );
    let x = xai.explainability.as_ref().unwrap();
    let Explainer::Kernel { model, .. } = &x.explainer else {
        panic!("{:?}", x.explainer)
    };
    let model = serde_json::to_value(model).unwrap();
    assert_eq!(model["endpoint"]["endpoint_name"], "churn-json-endpoint");
    assert_eq!(model["endpoint"]["output_attribute"], "/predictions/score");

    // the inline (SDK) form
    let legacy = config(&outcome, "xgb-legacy-dq");
    assert_eq!(legacy.endpoint, "xgb-churn-endpoint");
    assert_eq!(legacy.baseline_prefix, "xgb/baseline/results");
    assert!(!legacy.publish_metrics);
}

#[test]
fn the_report_names_what_is_not_carried_over() {
    let outcome = import(&documents(&FILES));
    assert!(has_note(
        &outcome,
        "fraud-mq",
        "MonitoringJobDefinitionName",
        "fraud-mq-definition was not given"
    ));
    // issue 12 item 4: a batch-transform input is carried over (its bucket is named)
    assert!(has_note(
        &outcome,
        "batch-mq-definition",
        "S3Uri",
        "sagemaker-us-east-1-111122223333"
    ));
    assert!(has_note(
        &outcome,
        "batch-mq-definition",
        "MonitoringOutputs",
        "reports/batch-mq-definition/yyyy/mm/dd/HH/"
    ));
    assert!(has_note(
        &outcome,
        "xgb-legacy-dq",
        "RecordPreprocessorSourceUri",
        "preprocessor.py is not run"
    ));
    assert!(has_note(
        &outcome,
        "xgb-legacy-dq",
        "Environment",
        "team=risk"
    ));
    assert!(has_note(
        &outcome,
        "churn-xai",
        "MonitoringScheduleStatus",
        "Stopped"
    ));
    assert!(has_note(
        &outcome,
        "churn-xai",
        "FeaturesAttribute",
        "instances[*].features"
    ));
    assert!(has_note(&outcome, "churn-xai", "explainer", "Kernel SHAP"));
    assert!(has_note(
        &outcome,
        "churn-dq",
        "MonitoringOutputs",
        "s3://sagemaker-us-east-1-111122223333/churn/reports"
    ));
    assert!(has_note(
        &outcome,
        "churn-mq",
        "S3Uri",
        "sagemaker-us-east-1-111122223333"
    ));
    // nothing is said about what is carried over exactly
    assert!(notes_of(&outcome, "churn-bias")
        .iter()
        .all(|(f, _)| ["MonitoringOutputs", "S3Uri"].contains(f)));
}

#[test]
fn a_definition_without_its_schedule_is_imported_under_its_own_name() {
    let outcome = import(&documents(&["mq-churn.json"]));
    let mq = config(&outcome, "churn-mq-definition");
    assert_eq!(mq.window_minutes, 60);
    assert_eq!(mq.model_quality.unwrap().offset_minutes, 60);
    assert!(has_note(
        &outcome,
        "churn-mq-definition",
        "ScheduleConfig",
        "default window"
    ));
}

#[test]
fn other_files_are_refused_with_their_shape() {
    let err = parse_documents("x.json", b"not json").unwrap_err();
    assert!(matches!(err, ImportError::Json { .. }), "{err}");
    let err =
        parse_documents("statistics.json", br#"{"version": 0.0, "dataset": {}}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "statistics.json: not the output of describe-monitoring-schedule or describe-*-job-definition (top-level keys: version, dataset)"
    );
    // an array of outputs is read whole
    let both = format!(
        "[{}, {}]",
        std::fs::read_to_string(fixture("sagemaker-api/schedule-churn-dq.json")).unwrap(),
        std::fs::read_to_string(fixture("sagemaker-api/dq-churn.json")).unwrap()
    );
    let docs = parse_documents("both.json", both.as_bytes()).unwrap();
    assert_eq!(import(&docs).configs.len(), 1);
}
