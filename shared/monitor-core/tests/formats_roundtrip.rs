//! SageMaker data-quality files: read them, write them back, compare.
//!
//! Fixtures (provenance in tests/fixtures/sagemaker/PROVENANCE-fmt.md):
//! - `ex-intro-churn-baseline-{statistics.partial,constraints}.json`: printed by the
//!   sagemaker-model-monitor-analyzer (Jackson pretty printer);
//! - `sdk-monitor-constraint_violations.json`: SDK test fixture in the same Jackson layout;
//! - `sdk-monitor-{statistics,constraints}.json`: SDK test fixtures written by hand (not Jackson
//!   layout), with the nested override spelling and the legacy `distribution_constraints`.
//!
//! Every fixture file ends with one `\n` that Jackson does not write (`writeValueAsString` has no
//! trailing newline; the newline comes from the log line / the git file). The byte-for-byte tests
//! compare our output with the file minus that final newline.

use drift_math::types::InferredType;
use monitor_core::formats::constraints::{
    default_monitoring_config, CategoricalDriftMethod, ComparisonMethod, Constraints,
    EffectiveConfig, Toggle,
};
use monitor_core::formats::jackson::{java_double, to_jackson_string};
use monitor_core::formats::statistics::{FormatError, Statistics};
use monitor_core::formats::violations::{deequ_value_description, CheckType, ConstraintViolations};
use proptest::prelude::*;
use serde_json::Value;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/sagemaker/data-quality/",
            $name
        ))
        .as_slice()
    };
}

const STATS_CHURN: &[u8] = fixture!("ex-intro-churn-baseline-statistics.partial.json");
const CONS_CHURN: &[u8] = fixture!("ex-intro-churn-baseline-constraints.json");
const VIOL_SDK: &[u8] = fixture!("sdk-monitor-constraint_violations.json");
const STATS_SDK: &[u8] = fixture!("sdk-monitor-statistics.json");
const CONS_SDK: &[u8] = fixture!("sdk-monitor-constraints.json");

/// The Jackson text of a fixture: the file without its single trailing newline.
fn jackson_body(file: &[u8]) -> &str {
    let text = std::str::from_utf8(file).unwrap();
    let body = text
        .strip_suffix('\n')
        .expect("fixture ends with one newline");
    assert!(!body.ends_with('\n'));
    body
}

/// First differing line, for a readable failure on a 250 kB file.
fn assert_same_text(ours: &str, theirs: &str) {
    if ours != theirs {
        let (i, (a, b)) = ours
            .lines()
            .zip(theirs.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .unwrap_or((0, ("<length differs>", "<length differs>")));
        panic!(
            "texts differ (ours {} bytes, file {} bytes); first difference at line {}:\n ours: {a}\n file: {b}",
            ours.len(),
            theirs.len(),
            i + 1
        );
    }
}

// ---------------------------------------------------------------- byte-for-byte (Jackson files)

#[test]
fn churn_statistics_rewrite_is_byte_identical() {
    let stats = Statistics::from_json(STATS_CHURN).unwrap();
    assert_same_text(&stats.to_json(), jackson_body(STATS_CHURN));
}

#[test]
fn churn_constraints_rewrite_is_byte_identical() {
    let cons = Constraints::from_json(CONS_CHURN).unwrap();
    assert_same_text(&cons.to_json(), jackson_body(CONS_CHURN));
}

#[test]
fn sdk_violations_rewrite_is_byte_identical() {
    let v = ConstraintViolations::from_json(VIOL_SDK).unwrap();
    assert_same_text(&v.to_json(), jackson_body(VIOL_SDK));
}

#[test]
fn untyped_values_render_identically_too() {
    for file in [STATS_CHURN, CONS_CHURN, VIOL_SDK] {
        let v: Value = serde_json::from_slice(file).unwrap();
        assert_same_text(&to_jackson_string(&v).unwrap(), jackson_body(file));
    }
}

// ---------------------------------------------------------------- typed content

#[test]
fn churn_statistics_values() {
    let stats = Statistics::from_json(STATS_CHURN).unwrap();
    assert_eq!(stats.version, 0.0);
    assert_eq!(stats.dataset.item_count, 2333);
    assert_eq!(stats.features.len(), 29);
    let churn = stats.feature("Churn").unwrap();
    assert_eq!(churn.inferred_type, InferredType::Integral);
    let n = churn.numerical_statistics.as_ref().unwrap();
    assert_eq!((n.common.num_present, n.common.num_missing), (2333, 0));
    assert_eq!(n.common.completeness(), Some(1.0));
    // values printed by the analyzer
    assert_eq!(n.mean, 0.1393056150878697);
    assert_eq!(n.sum, 325.0);
    assert_eq!(n.std_dev, 0.34626515951342846);
    assert_eq!((n.min, n.max), (0.0, 1.0));
    let kll = &n.distribution.kll;
    assert_eq!(kll.buckets.len(), 10);
    assert_eq!(kll.buckets[0].count, 2008.0);
    assert_eq!(kll.buckets[9].count, 325.0);
    assert_eq!(
        (kll.sketch.parameters.c, kll.sketch.parameters.k),
        (0.64, 2048.0)
    );
    // total sketch weight (item at level h weighs 2^h) = number of present values (spec §3.4)
    let total: usize = kll
        .sketch
        .data
        .iter()
        .enumerate()
        .map(|(h, level)| level.len() << h)
        .sum();
    assert_eq!(total, 2333);
    assert_eq!(kll.sketch.data.len(), 2);
    assert!(stats.feature("State_KY").is_none());
}

#[test]
fn sdk_statistics_parse_write_parse() {
    let stats = Statistics::from_json(STATS_SDK).unwrap();
    let f = stats.feature("message").unwrap();
    assert_eq!(f.inferred_type, InferredType::String);
    let s = f.string_statistics.as_ref().unwrap();
    assert_eq!(s.common.num_present, 418);
    assert_eq!(s.distinct_count, 1.0);
    let b = &s.distribution.categorical.buckets[0];
    assert_eq!(
        (b.value.as_str(), b.count),
        ("preproc-not-YET-supported-for-csv-json", 418)
    );

    let written = stats.to_json();
    let again = Statistics::from_json(written.as_bytes()).unwrap();
    assert_eq!(again, stats);
    // the same JSON value as the file (integers stay integers, 1.0 stays a double)
    let a: Value = serde_json::from_str(&written).unwrap();
    let b: Value = serde_json::from_slice(STATS_SDK).unwrap();
    assert_eq!(a, b);
}

#[test]
fn counts_written_as_doubles_are_accepted() {
    let text = std::str::from_utf8(STATS_SDK)
        .unwrap()
        .replace("\"count\": 418", "\"count\": 418.0")
        .replace("\"item_count\": 418", "\"item_count\": 418.0");
    let stats = Statistics::from_json(text.as_bytes()).unwrap();
    assert_eq!(stats.dataset.item_count, 418);
    let s = stats.features[0].string_statistics.as_ref().unwrap();
    assert_eq!(s.distribution.categorical.buckets[0].count, 418);
    // written back as integers
    assert!(stats.to_json().contains("\"count\" : 418\n"));
}

#[test]
fn unknown_statistics_keys_survive() {
    let mut v: Value = serde_json::from_slice(STATS_SDK).unwrap();
    v["custom_top"] = serde_json::json!({"a": [1, 2]});
    v["features"][0]["custom_stat"] = serde_json::json!(0.5);
    v["features"][0]["string_statistics"]["distribution"]["other"] = serde_json::json!({});
    let stats = Statistics::from_json(&serde_json::to_vec(&v).unwrap()).unwrap();
    let back: Value = serde_json::from_str(&stats.to_json()).unwrap();
    assert_eq!(back, v);
}

#[test]
fn churn_constraints_values() {
    let cons = Constraints::from_json(CONS_CHURN).unwrap();
    assert_eq!(cons.features.len(), 70);
    let f = cons.feature("Day Mins").unwrap();
    assert_eq!(f.inferred_type, InferredType::Fractional);
    assert_eq!(f.completeness, Some(1.0));
    assert_eq!(
        f.num_constraints.as_ref().unwrap().is_non_negative,
        Some(true)
    );
    // the block a suggested baseline writes
    assert_eq!(cons.monitoring_config, Some(default_monitoring_config()));
    assert_eq!(cons.effective("Day Mins"), EffectiveConfig::default());
}

#[test]
fn default_monitoring_config_text() {
    let text = to_jackson_string(&default_monitoring_config()).unwrap();
    let want = "{\n  \"evaluate_constraints\" : \"Enabled\",\n  \"emit_metrics\" : \"Enabled\",\n  \"datatype_check_threshold\" : 1.0,\n  \"domain_content_threshold\" : 1.0,\n  \"distribution_constraints\" : {\n    \"perform_comparison\" : \"Enabled\",\n    \"comparison_threshold\" : 0.1,\n    \"comparison_method\" : \"Robust\"\n  }\n}";
    assert_eq!(text, want);
}

#[test]
fn sdk_constraints_parse_write_parse_keeps_legacy_keys() {
    let cons = Constraints::from_json(CONS_SDK).unwrap();
    let written = cons.to_json();
    let again = Constraints::from_json(written.as_bytes()).unwrap();
    assert_eq!(again, cons);
    // nothing lost: same JSON value as the file, legacy keys included
    let a: Value = serde_json::from_str(&written).unwrap();
    let b: Value = serde_json::from_slice(CONS_SDK).unwrap();
    assert_eq!(a, b);
    let dist = &a["monitoring_config"]["distribution_constraints"];
    assert_eq!(dist["enable_comparisons"], Value::Bool(true));
    assert_eq!(dist["min_domain_mass"], serde_json::json!(1.0));

    // the nested spelling is read
    let f = cons.feature("message").unwrap();
    let nested = f
        .string_constraints
        .as_ref()
        .unwrap()
        .monitoring_config_overrides
        .as_ref()
        .unwrap();
    assert_eq!(nested.evaluate_constraints, Some(Toggle::Enabled));
    assert_eq!(
        f.domains().unwrap(),
        ["preproc-not-YET-supported-for-csv-json"]
    );
    // legacy global comparison_threshold 1.0 applies; the rest are container defaults
    let e = cons.effective("second_message");
    assert_eq!(e.comparison_threshold, 1.0);
    assert_eq!(e.perform_comparison, Toggle::Enabled); // enable_comparisons: true
    assert_eq!(e.datatype_check_threshold, 1.0);
    assert_eq!(e.comparison_method, ComparisonMethod::Robust);
}

#[test]
fn nested_override_spelling_is_applied() {
    let text = std::str::from_utf8(CONS_SDK).unwrap().replacen(
        "\"emit_metrics\": \"Enabled\"\n      }",
        "\"emit_metrics\": \"Disabled\"\n      }",
        1,
    );
    assert_ne!(text.as_bytes(), CONS_SDK);
    let cons = Constraints::from_json(text.as_bytes()).unwrap();
    assert_eq!(cons.effective("message").emit_metrics, Toggle::Disabled);
    assert_eq!(
        cons.effective("second_message").emit_metrics,
        Toggle::Enabled
    );
}

#[test]
fn documented_override_spelling_is_applied_and_written_back() {
    let mut v: Value = serde_json::from_slice(CONS_CHURN).unwrap();
    v["features"][1]["monitoringConfigOverrides"] = serde_json::json!({
        "evaluate_constraints": "Disabled",
        "distribution_constraints": {
            "comparison_threshold": 0.25,
            "comparison_method": "Simple",
            "categorical_drift_method": "ChiSquared",
            "future_key": [1, 2]
        }
    });
    v["features"][1]["future_feature_key"] = serde_json::json!("kept");
    let cons = Constraints::from_json(&serde_json::to_vec(&v).unwrap()).unwrap();

    let e = cons.effective("Account Length");
    assert_eq!(e.evaluate_constraints, Toggle::Disabled);
    assert_eq!(e.comparison_threshold, 0.25);
    assert_eq!(e.comparison_method, ComparisonMethod::Simple);
    assert_eq!(
        e.categorical_drift_method,
        CategoricalDriftMethod::ChiSquared
    );
    assert_eq!(e.datatype_check_threshold, 1.0); // from the global block
    assert_eq!(cons.effective("Churn"), EffectiveConfig::default());

    let back: Value = serde_json::from_str(&cons.to_json()).unwrap();
    assert_eq!(back, v);
    assert!(cons.to_json().contains(
        "\"monitoringConfigOverrides\" : {\n      \"evaluate_constraints\" : \"Disabled\""
    ));
}

#[test]
fn sdk_violations_values_and_wording() {
    let v = ConstraintViolations::from_json(VIOL_SDK).unwrap();
    assert_eq!(v.violations.len(), 7);
    assert_eq!(v.violations[0].feature_name, "store_and_fwd_flag");
    assert_eq!(
        v.violations[0].constraint_check_type,
        CheckType::CategoricalValuesCheck
    );
    assert_eq!(
        v.violations[3].constraint_check_type,
        CheckType::CompletenessCheck
    );
    // every description is Deequ's wording around the Java text of its value
    for viol in &v.violations {
        let num = viol
            .description
            .strip_prefix("Value: ")
            .and_then(|s| s.split(' ').next())
            .unwrap();
        let x: f64 = num.parse().unwrap();
        assert_eq!(java_double(x), num);
        assert_eq!(deequ_value_description(x), viol.description);
    }
}

#[test]
fn malformed_files_report_kind_and_position() {
    let cut = &CONS_CHURN[..500];
    match Constraints::from_json(cut).unwrap_err() {
        FormatError::Json { kind, line, .. } => {
            assert_eq!(kind, "constraints.json");
            assert!(line > 10, "line {line}");
        }
        other => panic!("unexpected {other:?}"),
    }
    let bad = br#"{"violations" : [ {"feature_name" : "a", "constraint_check_type" : "nope_check", "description" : ""} ]}"#;
    let err = ConstraintViolations::from_json(bad).unwrap_err();
    assert!(err.to_string().contains("nope_check"), "{err}");
    assert!(
        err.to_string().starts_with("constraint_violations.json:"),
        "{err}"
    );
}

// ---------------------------------------------------------------- Java double text, properties

proptest! {
    /// Java's Double.toString reads back as the same double, uses plain notation exactly for
    /// 1e-3 <= |x| < 1e7, and always has a digit after the point.
    #[test]
    fn java_double_round_trips_and_lays_out(bits in any::<u64>()) {
        let x = f64::from_bits(bits);
        prop_assume!(x.is_finite());
        let s = java_double(x);
        prop_assert_eq!(s.parse::<f64>().unwrap().to_bits(), x.to_bits());
        let plain = x == 0.0 || (1e-3..1e7).contains(&x.abs());
        prop_assert_eq!(!s.contains('E'), plain, "{}", s);
        let mantissa = s.split('E').next().unwrap();
        let (_, frac) = mantissa.split_once('.').unwrap();
        prop_assert!(!frac.is_empty());
        // no superfluous trailing zero beyond the one Java keeps
        prop_assert!(frac == "0" || !frac.ends_with('0'), "{}", s);
    }
}
