//! Late data: state that lands after its window was evaluated (issue 11, item 4).
//!
//! S3 events are at-least-once and may be late, and labels may arrive after a model-quality
//! window's offset. When ingest (or ground-truth merge) writes state for a minute whose
//! window already has a report (`execution.json` exists), it writes a small marker under
//! `state/late/{monitor}/` ([`crate::layout::late_marker_key`]). The next tick evaluates
//! every marked window of the monitor first, rewriting its report from all the state then
//! stored (a function of the state only: same inputs, same bytes), and flags the marker
//! evaluated. A replayed event rewrites its marker as pending: one more evaluation, same
//! bytes.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::config::MonitorConfig;
use crate::layout::{late_marker_key, late_prefix, report_file_key, EXECUTION_FILE};
use crate::store::{get_optional, ObjectStore, StateFile};
use crate::CoreError;

/// `format` of a late-data marker.
pub const LATE_MARKER_FORMAT: &str = "modelwatch-late-window/1";

/// A window to evaluate again because `source` brought state for it after its report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateMarker {
    /// [`LATE_MARKER_FORMAT`]
    pub format: String,
    /// the monitor
    pub monitor: String,
    /// the capture or ground-truth key whose state is late
    pub source: String,
    /// window start (inclusive)
    pub window_start: DateTime<Utc>,
    /// window end (exclusive)
    pub window_end: DateTime<Utc>,
    /// whether a tick has evaluated the window since the marker was written
    pub evaluated: bool,
}

impl StateFile for LateMarker {
    const FORMAT: &'static str = LATE_MARKER_FORMAT;
    const VERSION: Option<u32> = None;

    fn tag(&self) -> (&str, u32) {
        (&self.format, 0)
    }

    fn source(&self) -> &str {
        &self.source
    }
}

/// The window of `length_minutes` holding `minute`: windows are aligned to their length
/// from the Unix epoch, as the tick's ([`crate::layout::window_before`]).
pub fn window_of_minute(
    minute: DateTime<Utc>,
    length_minutes: u32,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let len = i64::from(length_minutes.max(1)) * 60;
    let start = minute.timestamp().div_euclid(len) * len;
    let start = Utc.timestamp_opt(start, 0).single().unwrap_or(minute);
    (start, start + chrono::Duration::seconds(len))
}

/// Marks for re-evaluation every window of `cfg` that holds one of `minutes` and already
/// has a report; returns the marker keys written.
///
/// # Errors
/// The store's errors.
pub async fn mark_late_windows<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    minutes: &[DateTime<Utc>],
    source: &str,
) -> Result<Vec<String>, CoreError> {
    let windows: BTreeSet<_> = minutes
        .iter()
        .map(|m| window_of_minute(*m, cfg.window_minutes))
        .collect();
    let mut written = Vec::new();
    for (start, end) in windows {
        let report = report_file_key(
            &crate::execution::Window::new(start, end).report_prefix(cfg),
            EXECUTION_FILE,
        );
        if get_optional(store, &report).await?.is_none() {
            continue;
        }
        let key = late_marker_key(&cfg.name, end, source);
        let marker = LateMarker {
            format: LATE_MARKER_FORMAT.into(),
            monitor: cfg.name.clone(),
            source: source.into(),
            window_start: start,
            window_end: end,
            evaluated: false,
        };
        store.put(&key, marker.to_json()?).await?;
        tracing::info!(monitor = %cfg.name, source, %key, "late state: window marked for re-evaluation");
        written.push(key);
    }
    Ok(written)
}

/// The windows of `cfg` marked for re-evaluation, oldest first, each with its pending
/// markers. An unreadable marker is logged and skipped (it cannot name its window).
///
/// # Errors
/// The store's errors.
pub async fn marked_windows<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
) -> Result<BTreeMap<(DateTime<Utc>, DateTime<Utc>), Vec<(String, LateMarker)>>, CoreError> {
    let mut out: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for key in store.list(&late_prefix(&cfg.name)).await? {
        let marker = match LateMarker::from_json(&key, &store.get(&key).await?) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(monitor = %cfg.name, error = %e, "late-data marker skipped");
                continue;
            }
        };
        if !marker.evaluated {
            out.entry((marker.window_start, marker.window_end))
                .or_default()
                .push((key, marker));
        }
    }
    Ok(out)
}

/// Flags `markers` evaluated.
///
/// # Errors
/// The store's errors.
pub async fn set_evaluated<S: ObjectStore>(
    store: &S,
    markers: Vec<(String, LateMarker)>,
) -> Result<(), CoreError> {
    for (key, mut marker) in markers {
        marker.evaluated = true;
        store.put(&key, marker.to_json()?).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_aligned_to_their_length() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // 03:59 lies in the hour [03:00, 04:00) and in the 15-minute window [03:45, 04:00).
        assert_eq!(
            window_of_minute(t("2026-11-01T03:59:00Z"), 60),
            (t("2026-11-01T03:00:00Z"), t("2026-11-01T04:00:00Z"))
        );
        assert_eq!(
            window_of_minute(t("2026-11-01T03:59:00Z"), 15),
            (t("2026-11-01T03:45:00Z"), t("2026-11-01T04:00:00Z"))
        );
        // The tick's window before 04:07 is the same hour (layout::window_before).
        assert_eq!(
            crate::layout::window_before(t("2026-11-01T04:07:00Z"), 60),
            window_of_minute(t("2026-11-01T03:00:00Z"), 60)
        );
    }
}
