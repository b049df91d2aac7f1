//! Deterministic names (idempotency token, display name) and the store keys of the
//! retraining trigger, all under [`RETRAIN_STATE_PREFIX`].

use chrono::{DateTime, TimeZone, Utc};

use crate::layout::{
    report_file_key, report_prefix, retrain_audit_key, retrain_duplicate_key, retrain_run_key,
    retrain_runs_prefix, retrain_start_index_key, retrain_starts_prefix, VIOLATIONS_FILE,
};
use crate::retrain::config::is_alnum;

pub use crate::layout::RETRAIN_STATE_PREFIX;

/// FNV-1a, 128 bits (offset basis and prime from the FNV specification,
/// draft-eastlake-fnv: prime 2^88 + 2^8 + 0x3b). A stable, dependency-free hash for
/// idempotency keys; not a security primitive.
pub fn fnv1a_128(bytes: &[u8]) -> u128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = (1 << 88) + (1 << 8) + 0x3b;
    bytes
        .iter()
        .fold(OFFSET, |h, b| (h ^ u128::from(*b)).wrapping_mul(PRIME))
}

fn keep_token_chars(s: &str) -> String {
    s.chars().filter(|c| is_alnum(*c) || *c == '-').collect()
}

/// `ClientRequestToken` of the start an event causes: `mw-` + the 32 hex digits of
/// [`fnv1a_128`]`("{pipeline}\n{event id}")` + `-` + the event id's letters, digits and
/// hyphens, cut to 128 characters. Deterministic, 35–128 characters (the API's 32–128).
pub fn client_request_token(pipeline_name: &str, event_id: &str) -> String {
    let h = fnv1a_128(format!("{pipeline_name}\n{event_id}").as_bytes());
    let mut t = format!("mw-{h:032x}-{}", keep_token_chars(event_id));
    t.truncate(128);
    if t.ends_with('-') {
        t.pop();
    }
    t
}

/// `PipelineExecutionDisplayName` of the start an event causes: `mw-{alarm}-{hash}` where
/// `{alarm}` is the alarm name with runs of other characters turned into one `-` (at most
/// 40 characters) and `{hash}` the low 64 bits of [`fnv1a_128`]`(event id)` in hex. Matches
/// `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}` (at most 60 characters).
pub fn display_name(alarm_name: &str, event_id: &str) -> String {
    let mut slug = String::new();
    for c in alarm_name.chars() {
        if is_alnum(c) {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    let h = fnv1a_128(event_id.as_bytes()) as u64;
    if slug.is_empty() {
        format!("mw-alarm-{h:016x}")
    } else {
        format!("mw-{slug}-{h:016x}")
    }
}

/// The event id as a key segment: itself when it is 1–128 characters of
/// `[A-Za-z0-9._-]` not starting with `.`; else `h` + the hex of [`fnv1a_128`].
pub fn event_key(event_id: &str) -> String {
    let plain = !event_id.is_empty()
        && event_id.len() <= 128
        && !event_id.starts_with('.')
        && event_id
            .chars()
            .all(|c| is_alnum(c) || matches!(c, '-' | '_' | '.'));
    if plain {
        event_id.to_string()
    } else {
        format!("h{:032x}", fnv1a_128(event_id.as_bytes()))
    }
}

fn compact_time(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%S%.3fZ").to_string()
}

pub(crate) fn parse_compact_time(s: &str) -> Option<DateTime<Utc>> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%S%.3fZ")
        .ok()
        .map(|n| Utc.from_utc_datetime(&n))
}

/// `state/retrain/audit/{pipeline}/{event}.json`: the first decision on an event.
pub fn audit_key(pipeline_name: &str, event_id: &str) -> String {
    retrain_audit_key(pipeline_name, &event_key(event_id))
}

/// `state/retrain/audit/{pipeline}/{event}/duplicate-{time}.json`: one redelivery.
pub fn duplicate_key(pipeline_name: &str, event_id: &str, at: DateTime<Utc>) -> String {
    retrain_duplicate_key(pipeline_name, &event_key(event_id), &compact_time(at))
}

/// Prefix of a pipeline's start index (`dry_run`: the dry-run index).
pub fn starts_prefix(pipeline_name: &str, dry_run: bool) -> String {
    retrain_starts_prefix(pipeline_name, dry_run)
}

/// Key of one start in the index: `{prefix}{time}_{event}.json`.
pub fn start_index_key(
    pipeline_name: &str,
    dry_run: bool,
    at: DateTime<Utc>,
    event_id: &str,
) -> String {
    retrain_start_index_key(
        pipeline_name,
        dry_run,
        &compact_time(at),
        &event_key(event_id),
    )
}

/// Prefix of the runs [`FileLauncher`](crate::retrain::launcher::FileLauncher) records for a pipeline.
pub fn runs_prefix(pipeline_name: &str) -> String {
    retrain_runs_prefix(pipeline_name)
}

/// Key of the run the file launcher records for the start with `token`.
pub fn run_key(pipeline_name: &str, token: &str) -> String {
    retrain_run_key(pipeline_name, &event_key(token))
}

/// Key of `constraint_violations.json` of a monitor's window ([`report_prefix`]).
pub fn violations_key(
    endpoint: &str,
    monitor: &str,
    window_end: DateTime<Utc>,
    window_minutes: u32,
) -> String {
    report_file_key(
        &report_prefix(endpoint, monitor, window_end, window_minutes),
        VIOLATIONS_FILE,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retrain::config::is_sagemaker_name;
    use crate::retrain::test_support::*;

    // ---- names ---------------------------------------------------------------------

    #[test]
    fn fnv1a_128_matches_the_published_vectors() {
        // FNV test vectors (Fowler/Noll/Vo, isthe.com/chongo/tech/comp/fnv): FNV-1a 128 of
        // "" is the offset basis, of "a" d228cb696f1a8caf78912b704e4a8964. "foobar" from an
        // independent Python loop: h = ((h ^ b) * (2**88 + 2**8 + 0x3b)) % 2**128.
        assert_eq!(fnv1a_128(b""), 0x6c62272e07bb014262b821756295c58d);
        assert_eq!(fnv1a_128(b"a"), 0xd228cb696f1a8caf78912b704e4a8964);
        assert_eq!(fnv1a_128(b"foobar"), 0x343e1662793c64bf6f0d3597ba446f18);
    }

    #[test]
    fn tokens_and_display_names_follow_the_api_constraints() {
        let id = "c4e2a8b1-7f3d-4b9a-8e61-5d0c2f9a7b34";
        let tok = client_request_token("churn-retrain", id);
        assert_eq!(tok, client_request_token("churn-retrain", id));
        assert_ne!(tok, client_request_token("other", id));
        assert_ne!(tok, client_request_token("churn-retrain", "other-id"));
        assert!(tok.starts_with("mw-") && tok.ends_with(id), "{tok}");
        assert_eq!(tok.len(), 3 + 32 + 1 + id.len());
        for id in ["", "x", "a/b c", &"z".repeat(300), "----"] {
            let tok = client_request_token("p", id);
            assert!((32..=128).contains(&tok.len()), "{tok}");
            assert!(tok.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        }
        for alarm in [
            "churn-dq-balance-drift",
            "---",
            "é é",
            &"a_b".repeat(100),
            "",
        ] {
            let d = display_name(alarm, id);
            assert!(is_sagemaker_name(&d, 82), "{d:?}");
            assert_eq!(d, display_name(alarm, id));
        }
        assert_eq!(
            display_name("churn-dq-balance-drift", id),
            format!(
                "mw-churn-dq-balance-drift-{:016x}",
                fnv1a_128(id.as_bytes()) as u64
            )
        );
        assert_eq!(event_key(id), id);
        assert!(event_key("a/../b").starts_with('h'));
        assert_eq!(
            audit_key("churn-retrain", id),
            format!("state/retrain/audit/churn-retrain/{id}.json")
        );
        assert_eq!(
            start_index_key("p", false, t("2026-11-01T04:07:00.5Z"), "e"),
            "state/retrain/starts/p/20261101T040700.500Z_e.json"
        );
        assert!(is_sagemaker_name("a--b", 82));
        assert!(!is_sagemaker_name("a-", 82));
        assert!(!is_sagemaker_name("-a", 82));
    }
}
