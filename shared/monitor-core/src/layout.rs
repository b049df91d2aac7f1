//! The store's key layout, in one place: every adapter (local directory, S3) and every
//! use case derives keys here, so a local run and a deployed run produce the same tree.
//!
//! ```text
//! config/monitors/{monitor}.json
//! baselines/{monitor}/statistics.json, constraints.json
//! data-capture/{endpoint}/{variant}/yyyy/mm/dd/HH/{file}.jsonl      (SageMaker writes these)
//! state/profiles/{monitor}/yyyy/mm/dd/HH/{variant}/{file}.json       (one per capture object)
//! reports/{endpoint}/{monitor}/yyyy/mm/dd/HH/                        (SageMaker report layout)
//! reports/{endpoint}/{monitor}/yyyy/mm/dd/HH/variant_comparison.json (A/B variants, crate::variants)
//! state/models/{monitor}/yyyy/mm/dd/HH/{model}/{variant}/{file}.json (multi-model, crate::multimodel)
//! reports/{endpoint}/{monitor}/model={model}/yyyy/mm/dd/HH/         (per target model)
//! reports/{endpoint}/{monitor}/yyyy/mm/dd/HH/multi_model.json        (the window's models)
//! baselines/…/models/{model}/statistics.json, constraints.json       (a model's own baseline)
//! ```

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike, Utc};

/// Prefix of monitor configurations.
pub const MONITORS_PREFIX: &str = "config/monitors/";
/// Default prefix SageMaker data capture writes under (the `DestinationS3Uri` path).
pub const DEFAULT_CAPTURE_PREFIX: &str = "data-capture/";
/// Prefix of our mergeable state.
pub const STATE_PREFIX: &str = "state/";
/// Prefix of reports.
pub const REPORTS_PREFIX: &str = "reports/";

/// A capture object's key, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureKey {
    /// endpoint name
    pub endpoint: String,
    /// production variant name
    pub variant: String,
    /// the hour folder (UTC)
    pub hour: DateTime<Utc>,
    /// the file name, e.g. `20-48-871-<uuid>.jsonl`
    pub file: String,
}

/// Why a key is not a capture object of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key is outside the capture prefix.
    #[error("key {key:?} is outside the capture prefix {prefix:?}")]
    OutsidePrefix {
        /// the key
        key: String,
        /// the configured prefix
        prefix: String,
    },
    /// The key does not follow `{endpoint}/{variant}/yyyy/mm/dd/HH/{file}`.
    #[error(
        "key {key:?} does not follow {{endpoint}}/{{variant}}/yyyy/mm/dd/HH/{{file}}: {reason}"
    )]
    Shape {
        /// the key
        key: String,
        /// what is off
        reason: String,
    },
}

/// Decodes `{prefix}{endpoint}/{variant}/yyyy/mm/dd/HH/{file}`.
pub fn parse_capture_key(key: &str, prefix: &str) -> Result<CaptureKey, KeyError> {
    let rest = key
        .strip_prefix(prefix)
        .ok_or_else(|| KeyError::OutsidePrefix {
            key: key.into(),
            prefix: prefix.into(),
        })?;
    let parts: Vec<&str> = rest.split('/').collect();
    let shape = |reason: &str| KeyError::Shape {
        key: key.into(),
        reason: reason.into(),
    };
    if parts.len() != 7 {
        return Err(shape(&format!(
            "{} path segments after the prefix, expected 7",
            parts.len()
        )));
    }
    let num = |s: &str, what: &str| -> Result<u32, KeyError> {
        s.parse::<u32>()
            .map_err(|_| shape(&format!("{what} {s:?} is not a number")))
    };
    let (y, m, d, h) = (
        num(parts[2], "year")?,
        num(parts[3], "month")?,
        num(parts[4], "day")?,
        num(parts[5], "hour")?,
    );
    let date = NaiveDate::from_ymd_opt(y as i32, m, d)
        .ok_or_else(|| shape(&format!("{y}/{m}/{d} is not a date")))?;
    let hour = date
        .and_hms_opt(h, 0, 0)
        .ok_or_else(|| shape(&format!("hour {h} out of range")))?;
    if parts[0].is_empty() || parts[1].is_empty() || parts[6].is_empty() {
        return Err(shape("empty endpoint, variant or file name"));
    }
    Ok(CaptureKey {
        endpoint: parts[0].into(),
        variant: parts[1].into(),
        hour: Utc.from_utc_datetime(&hour),
        file: parts[6].into(),
    })
}

/// `yyyy/mm/dd/HH` of an instant.
pub fn hour_path(t: DateTime<Utc>) -> String {
    format!(
        "{:04}/{:02}/{:02}/{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour()
    )
}

/// The `{endpoint}` level of the report (and the `Endpoint` metric dimension) of a monitor
/// whose configuration is unreadable and names no endpoint.
pub const UNKNOWN_ENDPOINT: &str = "unknown-endpoint";

/// Prefix of a monitor's late-data markers (windows to evaluate again).
pub fn late_prefix(monitor: &str) -> String {
    format!("{STATE_PREFIX}late/{monitor}/")
}

/// Key of the marker that state derived from `source` (a capture or ground-truth key)
/// landed after the window of `monitor` ending at `window_end` was evaluated:
/// `state/late/{monitor}/yyyy/mm/dd/HH/MM/{source with '/' as '!'}.json`. Derived from the
/// window and the source alone, so a replayed event rewrites the same marker.
pub fn late_marker_key(monitor: &str, window_end: DateTime<Utc>, source: &str) -> String {
    format!(
        "{}{}/{:02}/{}.json",
        late_prefix(monitor),
        hour_path(window_end),
        window_end.minute(),
        source.replace('/', "!")
    )
}

/// Key of a monitor's configuration.
pub fn monitor_config_key(monitor: &str) -> String {
    format!("{MONITORS_PREFIX}{monitor}.json")
}

/// Prefix of one hour of a monitor's partial profiles.
pub fn profile_hour_prefix(monitor: &str, hour: DateTime<Utc>) -> String {
    format!("{STATE_PREFIX}profiles/{monitor}/{}/", hour_path(hour))
}

/// Key of the partial profile of one capture object for one monitor.
pub fn profile_key(monitor: &str, capture: &CaptureKey) -> String {
    let stem = capture.file.strip_suffix(".jsonl").unwrap_or(&capture.file);
    format!(
        "{}{}/{stem}.json",
        profile_hour_prefix(monitor, capture.hour),
        capture.variant
    )
}

/// A target model's name as one key segment (multi-model endpoints, [`crate::multimodel`]):
/// every byte outside `[A-Za-z0-9._-]` percent-encoded, so `tenant/a.tar.gz` is
/// `tenant%2Fa.tar.gz`; [`model_from_segment`] reverses it.
pub fn model_segment(model: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'.')
        .remove(b'_')
        .remove(b'-');
    percent_encoding::utf8_percent_encode(model, KEEP).to_string()
}

/// The model name of a [`model_segment`] (`None` if it does not decode to UTF-8).
pub fn model_from_segment(segment: &str) -> Option<String> {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// Prefix of one hour of a multi-model monitor's per-model partial profiles:
/// `state/models/{monitor}/yyyy/mm/dd/HH/` (the hour first, so a tick lists every model of an
/// hour at once).
pub fn model_profile_hour_prefix(monitor: &str, hour: DateTime<Utc>) -> String {
    format!("{STATE_PREFIX}models/{monitor}/{}/", hour_path(hour))
}

/// Key of the partial profile of target model `model` in one capture object:
/// `state/models/{monitor}/yyyy/mm/dd/HH/{model}/{variant}/{file}.json`.
pub fn model_profile_key(monitor: &str, capture: &CaptureKey, model: &str) -> String {
    let stem = capture.file.strip_suffix(".jsonl").unwrap_or(&capture.file);
    format!(
        "{}{}/{}/{stem}.json",
        model_profile_hour_prefix(monitor, capture.hour),
        model_segment(model),
        capture.variant
    )
}

/// Report folder of one target model's window: `{endpoint}/{schedule}/model={model}/`
/// followed by the window's `yyyy/mm/dd/HH/` (and `MM/`) levels of [`report_prefix`].
pub fn model_report_prefix(
    endpoint: &str,
    monitor: &str,
    model: &str,
    window_end: DateTime<Utc>,
    window_minutes: u32,
) -> String {
    let schedule = format!("{monitor}/model={}", model_segment(model));
    report_prefix(endpoint, &schedule, window_end, window_minutes)
}

/// Prefix of a target model's own baseline under the monitor's `baseline_prefix`:
/// `{baseline_prefix}/models/{model}/`.
pub fn model_baseline_prefix(baseline_prefix: &str, model: &str) -> String {
    join_key(
        baseline_prefix,
        &format!("models/{}/", model_segment(model)),
    )
}

/// Report folder of one execution: SageMaker's `{endpoint}/{schedule}/yyyy/mm/dd/HH/`
/// where `HH` is the hour the window ends (the scheduled execution's hour). Windows shorter
/// than an hour add a `MM/` level so their reports do not overwrite one another.
pub fn report_prefix(
    endpoint: &str,
    monitor: &str,
    window_end: DateTime<Utc>,
    window_minutes: u32,
) -> String {
    let mut p = format!(
        "{REPORTS_PREFIX}{endpoint}/{monitor}/{}/",
        hour_path(window_end)
    );
    if window_minutes < 60 || window_end.minute() != 0 {
        p.push_str(&format!("{:02}/", window_end.minute()));
    }
    p
}

/// Report folder of one execution of a batch-transform monitor: SageMaker's batch layout
/// `{schedule}/yyyy/mm/dd/HH/` (no endpoint level), with the `MM/` level of
/// [`report_prefix`] for windows shorter than an hour.
pub fn batch_report_prefix(
    monitor: &str,
    window_end: DateTime<Utc>,
    window_minutes: u32,
) -> String {
    let mut p = format!("{REPORTS_PREFIX}{monitor}/{}/", hour_path(window_end));
    if window_minutes < 60 || window_end.minute() != 0 {
        p.push_str(&format!("{:02}/", window_end.minute()));
    }
    p
}

/// `statistics.json`: a data- or model-quality report's (and baseline's) statistics.
pub const STATISTICS_FILE: &str = "statistics.json";
/// `constraints.json`: a baseline's constraints.
pub const CONSTRAINTS_FILE: &str = "constraints.json";
/// `analysis.json`: a Clarify bias or explainability report (and baseline).
pub const ANALYSIS_FILE: &str = "analysis.json";
/// `analysis_config.json`: a Clarify analysis configuration, beside its baseline.
pub const ANALYSIS_CONFIG_FILE: &str = "analysis_config.json";
/// `constraint_violations.json`: a report's violations.
pub const VIOLATIONS_FILE: &str = "constraint_violations.json";
/// `execution.json`: a report's execution record.
pub const EXECUTION_FILE: &str = "execution.json";

/// Where a model-quality or bias monitor finds the ground truth of `endpoint` unless its
/// config names a prefix: `ground-truth/{endpoint}/`.
pub fn default_ground_truth_prefix(endpoint: &str) -> String {
    format!("ground-truth/{endpoint}/")
}

/// Key of the file `name` (one of the `*_FILE` names) in the report folder `prefix` (a
/// [`report_prefix`], or `""` for a local output folder).
pub fn report_file_key(prefix: &str, name: &str) -> String {
    format!("{prefix}{name}")
}

/// Key of the file `name` (one of the `*_FILE` names) of the baseline under
/// `baseline_prefix` (an S3 URI or a key, with or without its trailing `/`).
pub fn baseline_file_key(baseline_prefix: &str, name: &str) -> String {
    join_key(baseline_prefix, name)
}

/// The window of `length_minutes` that ends at or before `now`, aligned to the length
/// (for hourly windows: the previous whole hour). Lengths that do not divide a day are
/// aligned to the Unix epoch.
pub fn window_before(now: DateTime<Utc>, length_minutes: u32) -> (DateTime<Utc>, DateTime<Utc>) {
    let len = i64::from(length_minutes.max(1)) * 60;
    let end_secs = now.timestamp().div_euclid(len) * len;
    let end = Utc.timestamp_opt(end_secs, 0).single().unwrap_or(now);
    (end - chrono::Duration::seconds(len), end)
}

/// Parses SageMaker's `inferenceTime` to the start of its UTC minute
/// ([`crate::formats::capture::inference_minute`]: RFC 3339, offsets converted).
pub fn parse_inference_minute(s: &str) -> Option<DateTime<Utc>> {
    let m = crate::formats::capture::inference_minute(s).ok()?;
    Utc.timestamp_opt(m.checked_mul(60)?, 0).single()
}

/// Start of the hour containing `t`.
pub fn hour_floor(t: DateTime<Utc>) -> DateTime<Utc> {
    let s = t.timestamp().div_euclid(3600) * 3600;
    Utc.timestamp_opt(s, 0).single().unwrap_or(t)
}

/// Key of the prediction index of one capture object for one model-quality monitor.
pub fn prediction_index_key(monitor: &str, capture: &CaptureKey) -> String {
    let stem = capture.file.strip_suffix(".jsonl").unwrap_or(&capture.file);
    format!(
        "{}predictions/{monitor}/{}/{}/{stem}.json",
        crate::layout::STATE_PREFIX,
        crate::layout::hour_path(capture.hour),
        capture.variant
    )
}

/// Prefix of one hour of a monitor's prediction indexes.
pub fn prediction_hour_prefix(monitor: &str, hour: DateTime<Utc>) -> String {
    format!(
        "{}predictions/{monitor}/{}/",
        crate::layout::STATE_PREFIX,
        crate::layout::hour_path(hour)
    )
}

/// Key of the attribution state of one capture object for one explainability monitor.
pub fn attribution_key(monitor: &str, capture: &CaptureKey) -> String {
    let stem = capture.file.strip_suffix(".jsonl").unwrap_or(&capture.file);
    format!(
        "{}{stem}.json",
        attribution_hour_variant_prefix(monitor, capture.hour, &capture.variant)
    )
}

fn attribution_hour_variant_prefix(monitor: &str, hour: DateTime<Utc>, variant: &str) -> String {
    format!("{}{variant}/", attribution_hour_prefix(monitor, hour))
}

/// Prefix of one hour of a monitor's attribution states.
pub fn attribution_hour_prefix(monitor: &str, hour: DateTime<Utc>) -> String {
    format!(
        "{}attributions/{monitor}/{}/",
        crate::layout::STATE_PREFIX,
        crate::layout::hour_path(hour)
    )
}

/// Prefix of the model-quality states of one label hour.
pub fn mq_hour_prefix(monitor: &str, hour: DateTime<Utc>) -> String {
    format!("{STATE_PREFIX}mq/{monitor}/{}/", hour_path(hour))
}

/// Key of the model-quality / bias state one ground-truth object `file` of `label_hour`
/// contributes: `state/mq/{monitor}/yyyy/mm/dd/HH/{stem}.json`.
pub fn mq_state_key(monitor: &str, label_hour: DateTime<Utc>, file: &str) -> String {
    format!(
        "{}{}.json",
        mq_hour_prefix(monitor, label_hour),
        file.strip_suffix(".jsonl").unwrap_or(file)
    )
}

/// Key of one part of the matched records of a ground-truth object `file` in SageMaker's
/// merge layout: `state/merged/{monitor}/{endpoint}/{variant}/yyyy/mm/dd/HH/{label
/// hour}-{stem}-part-{part}.jsonl` (`HH` is the inference hour).
pub fn merged_key(
    monitor: &str,
    endpoint: &str,
    variant: &str,
    inference_hour: DateTime<Utc>,
    label_hour: DateTime<Utc>,
    file: &str,
    part: u32,
) -> String {
    // a batch-transform monitor has no endpoint level
    let endpoint = if endpoint.is_empty() {
        String::new()
    } else {
        format!("{endpoint}/")
    };
    format!(
        "{STATE_PREFIX}merged/{monitor}/{endpoint}{variant}/{}/{}-{}-part-{part:05}.jsonl",
        hour_path(inference_hour),
        label_hour.format("%Y%m%d%H"),
        file.strip_suffix(".jsonl").unwrap_or(file)
    )
}

/// Key of the retraining trigger's configuration.
pub const RETRAIN_CONFIG_KEY: &str = "config/retrain.json";
/// Prefix of everything the retraining trigger writes.
pub const RETRAIN_STATE_PREFIX: &str = "state/retrain/";

/// `state/retrain/audit/{pipeline}/{event}.json`: the first decision on an event (`event`
/// is the event id as a key segment, [`crate::retrain::keys::event_key`]).
pub fn retrain_audit_key(pipeline: &str, event: &str) -> String {
    format!("{RETRAIN_STATE_PREFIX}audit/{pipeline}/{event}.json")
}

/// `state/retrain/audit/{pipeline}/{event}/duplicate-{at}.json`: one redelivery (`at` a
/// compact timestamp).
pub fn retrain_duplicate_key(pipeline: &str, event: &str, at: &str) -> String {
    format!("{RETRAIN_STATE_PREFIX}audit/{pipeline}/{event}/duplicate-{at}.json")
}

/// Prefix of a pipeline's start index (`dry_run`: the dry-run index).
pub fn retrain_starts_prefix(pipeline: &str, dry_run: bool) -> String {
    let kind = if dry_run { "dry-run-starts" } else { "starts" };
    format!("{RETRAIN_STATE_PREFIX}{kind}/{pipeline}/")
}

/// Key of one start in the index: `{starts prefix}{at}_{event}.json`.
pub fn retrain_start_index_key(pipeline: &str, dry_run: bool, at: &str, event: &str) -> String {
    format!(
        "{}{at}_{event}.json",
        retrain_starts_prefix(pipeline, dry_run)
    )
}

/// Prefix of the pipeline runs the file launcher records: `state/retrain/runs/{pipeline}/`.
pub fn retrain_runs_prefix(pipeline: &str) -> String {
    format!("{RETRAIN_STATE_PREFIX}runs/{pipeline}/")
}

/// Key of one recorded run: `{runs prefix}{run}.json` (`run` a key segment).
pub fn retrain_run_key(pipeline: &str, run: &str) -> String {
    format!("{}{run}.json", retrain_runs_prefix(pipeline))
}

/// Strips an `s3://bucket/` prefix, leaving the object key.
pub fn key_of(uri_or_key: &str) -> &str {
    match uri_or_key.strip_prefix("s3://") {
        Some(rest) => rest.split_once('/').map(|(_, k)| k).unwrap_or(""),
        None => uri_or_key,
    }
}

/// Joins a prefix and a file name with exactly one `/`.
pub fn join_key(prefix: &str, name: &str) -> String {
    let p = key_of(prefix).trim_end_matches('/');
    if p.is_empty() {
        name.to_string()
    } else {
        format!("{p}/{name}")
    }
}

/// Prefix of the keys the metrics-file adapter ([`crate::metrics::FileMetricSink`]) writes.
pub const METRICS_PREFIX: &str = "metrics/";

/// FNV-1a, 64 bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3): a content hash
/// that, unlike `std`'s `DefaultHasher`, is fixed across Rust versions, so keys stay stable.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The namespace as key segments: split at `/`, empty segments dropped, characters other than
/// `[A-Za-z0-9._-]` replaced by `_`, dot-only segments (`.`, `..`) replaced by underscores.
fn namespace_path(namespace: &str) -> String {
    let segments: Vec<String> = namespace
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let clean: String = s
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            if clean.chars().all(|c| c == '.') {
                "_".repeat(clean.len())
            } else {
                clean
            }
        })
        .collect();
    if segments.is_empty() {
        "_".to_string()
    } else {
        segments.join("/")
    }
}

/// The key [`crate::metrics::FileMetricSink`] writes one (namespace, timestamp)
/// group to: `metrics/{namespace path}/{yyyymmddTHHMMSSZ}-{FNV-1a 64 of body, 16 hex}.jsonl`,
/// e.g. `metrics/aws/sagemaker/Endpoints/data-metrics/20240102T030000Z-0123456789abcdef.jsonl`.
///
/// The content hash makes a replay of the same data land on the same key with the same
/// bytes (idempotent), while different data at the same time (another publisher, another
/// schedule) never overwrites it.
#[must_use]
pub fn metrics_key(namespace: &str, timestamp: &DateTime<Utc>, body: &[u8]) -> String {
    format!(
        "{METRICS_PREFIX}{}/{}-{:016x}.jsonl",
        namespace_path(namespace),
        timestamp.format("%Y%m%dT%H%M%SZ"),
        fnv1a64(body)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_path_is_a_safe_key() {
        assert_eq!(
            namespace_path("/aws/sagemaker/Endpoint/data-metric"),
            "aws/sagemaker/Endpoint/data-metric"
        );
        assert_eq!(namespace_path("my app/../x#y"), "my_app/__/x_y");
    }

    #[test]
    fn fnv1a64_matches_reference_vectors() {
        // FNV-1a 64 test vectors (Fowler/Noll/Vo reference): "" and "a".
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn keys() {
        assert_eq!(key_of("s3://bucket/a/b.csv"), "a/b.csv");
        assert_eq!(key_of("a/b.csv"), "a/b.csv");
        assert_eq!(
            join_key("baselines/m/", "statistics.json"),
            "baselines/m/statistics.json"
        );
        assert_eq!(join_key("s3://b/baselines/m", "x"), "baselines/m/x");
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn capture_keys() {
        let k = parse_capture_key(
            "data-capture/churn/AllTraffic/2022/04/18/00/20-48-871-0b7b.jsonl",
            "data-capture/",
        )
        .unwrap();
        assert_eq!(k.endpoint, "churn");
        assert_eq!(k.variant, "AllTraffic");
        assert_eq!(k.hour, t("2022-04-18T00:00:00Z"));
        assert_eq!(
            profile_key("m1", &k),
            "state/profiles/m1/2022/04/18/00/AllTraffic/20-48-871-0b7b.json"
        );
        assert!(matches!(
            parse_capture_key("other/x", "data-capture/"),
            Err(KeyError::OutsidePrefix { .. })
        ));
        assert!(matches!(
            parse_capture_key("data-capture/a/b/2022/13/01/00/f.jsonl", "data-capture/"),
            Err(KeyError::Shape { .. })
        ));
        assert!(matches!(
            parse_capture_key("data-capture/a/b/2022/01/01/f.jsonl", "data-capture/"),
            Err(KeyError::Shape { .. })
        ));
    }

    #[test]
    fn windows_and_reports() {
        let (s, e) = window_before(t("2021-05-06T23:07:12Z"), 60);
        assert_eq!(
            (s, e),
            (t("2021-05-06T22:00:00Z"), t("2021-05-06T23:00:00Z"))
        );
        assert_eq!(
            report_prefix("ep", "m", e, 60),
            "reports/ep/m/2021/05/06/23/"
        );
        let (s, e) = window_before(t("2021-05-06T23:07:12Z"), 5);
        assert_eq!(
            (s, e),
            (t("2021-05-06T23:00:00Z"), t("2021-05-06T23:05:00Z"))
        );
        assert_eq!(
            report_prefix("ep", "m", e, 5),
            "reports/ep/m/2021/05/06/23/05/"
        );
        assert_eq!(
            parse_inference_minute("2022-04-18T00:21:48Z"),
            Some(t("2022-04-18T00:21:00Z"))
        );
        assert_eq!(parse_inference_minute("yesterday"), None);
    }
}
