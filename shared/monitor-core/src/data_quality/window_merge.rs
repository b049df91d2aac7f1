//! The tick's merge of a window's partial profiles on every core (issue 16 item 4).
//!
//! A window of an hourly monitor is about a thousand partial profiles (one per capture object
//! and minute). Three things make its merge fast without changing a bit of the result:
//!
//! * the objects are fetched [`FETCHES_IN_FLIGHT`] at a time (S3 latency, not bandwidth,
//!   bounds a sequential fetch);
//! * they are decoded [`MERGE_BATCH`] at a time, or fewer when they reach
//!   [`MERGE_BATCH_BYTES`], on every core ([`decode_partials`]);
//! * each batch is merged into the window with the features on every core
//!   ([`DatasetProfile::merge_many`]): every feature still meets the partials in key order,
//!   as the sequential merge does, so the KLL sketches (whose merge depends on the order) come
//!   out bit-identical.
//!
//! At most [`FETCHES_IN_FLIGHT`] + [`MERGE_BATCH`] partial profiles are held at a time, and a
//! batch's files are dropped once decoded: memory stays flat in the window's size (issue 16
//! item 3), whatever the number and size of its partial profiles.

use futures_util::stream::{self, StreamExt};

use crate::config::MonitorConfig;
use crate::data_quality::checks::Baseline;
use crate::data_quality::consume::PartialProfile;
use crate::data_quality::profile::DatasetProfile;
use crate::data_quality::tick::{empty_window, merge_partial, WindowState};
use crate::execution::Window;
use crate::layout::{hour_floor, profile_hour_prefix};
use crate::store::{ObjectStore, StateFile};
use crate::CoreError;

/// Partial profiles decoded, then merged, together.
pub const MERGE_BATCH: usize = 64;

/// Encoded bytes of a batch: once its files reach this size, the batch is decoded and merged
/// without waiting for [`MERGE_BATCH`] files. A decoded partial profile takes about as much
/// memory as its JSON (KLL values as `f64`), so a batch holds about twice this at its peak;
/// an hour of a busy endpoint's minute profiles is tens of MB (issue 16 item 3: a window's
/// merge in flat memory).
pub const MERGE_BATCH_BYTES: usize = 8 << 20;

/// State objects fetched concurrently.
pub const FETCHES_IN_FLIGHT: usize = 16;

/// The number of threads of the merge: every core.
pub fn merge_threads() -> usize {
    crate::app::oneshot::ordered::default_threads()
}

/// Decodes `(key, bytes)` state files on up to `threads` threads, in order.
///
/// # Errors
/// The first unreadable file in order ([`StateFile::from_json`]).
pub fn decode_partials(
    files: &[(String, Vec<u8>)],
    threads: usize,
) -> Result<Vec<PartialProfile>, CoreError> {
    let decode = |part: &[(String, Vec<u8>)]| -> Vec<Result<PartialProfile, CoreError>> {
        part.iter()
            .map(|(key, bytes)| PartialProfile::from_json(key, bytes))
            .collect()
    };
    let threads = threads.clamp(1, files.len().max(1));
    let results: Vec<Result<PartialProfile, CoreError>> = if threads == 1 {
        decode(files)
    } else {
        let chunk = files.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = files
                .chunks(chunk)
                .map(|part| scope.spawn(move || decode(part)))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    };
    results.into_iter().collect()
}

/// Adds the minutes in `[window.start, window.end)` of every partial of `partials`, in order,
/// to `state`: the same state as [`crate::data_quality::tick::merge_partial`] on each in
/// turn, with the features merged on up to `threads` threads.
pub fn merge_partials(
    state: &mut WindowState,
    partials: &[PartialProfile],
    window: Window,
    threads: usize,
) {
    let mut profiles: Vec<&DatasetProfile> = Vec::new();
    for partial in partials {
        let mut used = false;
        for m in &partial.minutes {
            if m.minute >= window.start && m.minute < window.end {
                profiles.push(&m.profile);
                state.bad_records.merge(&m.bad_records);
                state.shadow_skipped += m.shadow_skipped;
                // slice profiles (segments block only): merged as the sequential path does
                crate::data_quality::tick::merge_segments(state, &m.segments);
                used = true;
            }
        }
        state.partial_profiles += usize::from(used);
    }
    state.profile.merge_many(&profiles, threads);
}

/// The partial-profile keys of `cfg` the tick merges for `window`, in its order: every key
/// under the hours of the window and the hour on either side (records near an hour boundary
/// can sit in the neighbouring hour's capture folder), hour by hour, each hour in key order
/// (what [`merge_window`] and the one-shot job's sequential merge read).
///
/// # Errors
/// The store's listing errors.
pub async fn window_keys<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    window: Window,
) -> Result<Vec<String>, CoreError> {
    let mut keys = Vec::new();
    let mut hour = hour_floor(window.start) - chrono::Duration::hours(1);
    let last = hour_floor(window.end - chrono::Duration::seconds(1)) + chrono::Duration::hours(1);
    while hour <= last {
        keys.extend(store.list(&profile_hour_prefix(&cfg.name, hour)).await?);
        hour += chrono::Duration::hours(1);
    }
    Ok(keys)
}

/// How a window's partial profiles are merged; both give the same state, bit for bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merge {
    /// the tick's: fetched ahead, decoded and merged in batches on every core ([`merge_window`])
    Batched,
    /// one partial profile in memory at a time ([`merge_window_one_at_a_time`])
    OneAtATime,
}

/// Merges every partial profile of `cfg` with minutes in `window`, in key order
/// ([`crate::data_quality::tick::merge_window`]).
///
/// # Errors
/// The store's errors and the first unreadable partial profile in key order.
pub async fn merge_window<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    baseline: &Baseline,
    window: Window,
) -> Result<WindowState, CoreError> {
    let keys = window_keys(store, cfg, window).await?;
    let threads = merge_threads();
    let mut state = empty_window(baseline);
    let mut fetched = stream::iter(keys)
        .map(|key| async move {
            let bytes = store.get(&key).await?;
            Ok::<_, CoreError>((key, bytes))
        })
        .buffered(FETCHES_IN_FLIGHT);
    loop {
        let files = next_batch(&mut fetched, MERGE_BATCH, MERGE_BATCH_BYTES).await?;
        if files.is_empty() {
            break;
        }
        let partials = decode_partials(&files, threads)?;
        // the encoded files are not needed once decoded: only one form of the batch is merged
        drop(files);
        merge_partials(&mut state, &partials, window, threads);
    }
    Ok(state)
}

/// The next batch of fetched `(key, bytes)` files, in order: `max_files` of them, or fewer
/// once their bytes reach `max_bytes` (at least one file per batch, however large); empty
/// when the stream is done.
///
/// # Errors
/// The first fetch error in order.
pub async fn next_batch<St>(
    fetched: &mut St,
    max_files: usize,
    max_bytes: usize,
) -> Result<Vec<(String, Vec<u8>)>, CoreError>
where
    St: futures_util::Stream<Item = Result<(String, Vec<u8>), CoreError>> + Unpin,
{
    let mut batch = Vec::new();
    let mut bytes = 0usize;
    while batch.len() < max_files.max(1) && bytes < max_bytes {
        let Some(file) = fetched.next().await else {
            break;
        };
        let file = file?;
        bytes += file.1.len();
        batch.push(file);
    }
    Ok(batch)
}

/// The window's merged state, one partial profile in memory at a time: the same state as
/// [`merge_window`] (no batch, no fetch ahead, no thread: the one-shot job's flat-memory merge,
/// issue 16 item 3).
///
/// # Errors
/// The store's errors and the first unreadable partial profile in key order.
pub async fn merge_window_one_at_a_time<S: ObjectStore>(
    store: &S,
    cfg: &MonitorConfig,
    baseline: &Baseline,
    window: Window,
) -> Result<WindowState, CoreError> {
    let mut state = empty_window(baseline);
    for key in window_keys(store, cfg, window).await? {
        let partial = {
            let bytes = store.get(&key).await?;
            PartialProfile::from_json(&key, &bytes)?
        };
        merge_partial(&mut state, &partial, window.start, window.end);
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data_quality::profile::{FeatureProfile, Tracking};

    /// A profile of `names` fed `rows` (one value per feature per row).
    fn profile_of(names: &[&str], rows: &[Vec<String>]) -> DatasetProfile {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut p = DatasetProfile::new(&names, |_| Tracking::ALL);
        for row in rows {
            p.item_count += 1;
            *p.column_counts.entry(row.len()).or_default() += 1;
            for (f, v) in p.features.iter_mut().zip(row) {
                f.observe(v);
            }
        }
        p
    }

    fn json(p: &DatasetProfile) -> String {
        serde_json::to_string(p).unwrap()
    }

    /// Parts of 3,000 rows each, derived from `seed`: enough values for the KLL sketches to
    /// compact on merge (level 0 holds 2,050), numeric and categorical features.
    fn parts(seed: u64, n: usize, names: &[&str]) -> Vec<DatasetProfile> {
        let mut x = seed;
        let mut next = move || {
            // SplitMix64 (Steele, Lea & Flood 2014)
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        (0..n)
            .map(|_| {
                let rows: Vec<Vec<String>> = (0..3_000)
                    .map(|_| {
                        names
                            .iter()
                            .enumerate()
                            .map(|(j, _)| match j % 3 {
                                0 => format!("{:.4}", (next() % 1_000_000) as f64 / 977.0),
                                1 => format!("{}", next() % 500),
                                _ => ["a", "b", "c", "d"][(next() % 4) as usize].to_owned(),
                            })
                            .collect()
                    })
                    .collect();
                profile_of(names, &rows)
            })
            .collect()
    }

    #[test]
    fn merge_many_is_the_sequential_merge_bit_for_bit_on_any_thread_count() {
        let names = ["x", "n", "c", "y", "m"];
        let ps = parts(11, 7, &names);
        let mut sequential = profile_of(&names, &[]);
        ps.iter().for_each(|p| sequential.merge(p));
        let refs: Vec<&DatasetProfile> = ps.iter().collect();
        for threads in [1, 2, 3, 8] {
            let mut many = profile_of(&names, &[]);
            many.merge_many(&refs, threads);
            assert_eq!(json(&many), json(&sequential), "threads {threads}");
        }
        // the sketches did compact: the test covers the order-dependent path
        assert!(sequential.features[0].kll.num_levels() > 1);
    }

    #[test]
    fn merge_many_matches_features_by_name_and_appends_new_ones_as_merge_does() {
        let a = parts(5, 2, &["x", "n", "c"]);
        // other order, a feature the window lacks ("z", twice), one it has at another place
        let b = parts(6, 2, &["c", "z", "x"]);
        let all: Vec<&DatasetProfile> = [&a[0], &b[0], &a[1], &b[1]].into_iter().collect();
        let mut sequential = profile_of(&["x", "n", "c"], &[]);
        all.iter().for_each(|p| sequential.merge(p));
        let mut many = profile_of(&["x", "n", "c"], &[]);
        many.merge_many(&all, 2);
        assert_eq!(json(&many), json(&sequential));
        let names: Vec<&str> = many.features.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["x", "n", "c", "z"]);
        assert_eq!(many.item_count, 4 * 3_000);
        let z: &FeatureProfile = many.feature("z").unwrap();
        assert_eq!(z.types.non_null(), 2 * 3_000);
    }

    #[test]
    fn decode_partials_keeps_the_order_and_reports_the_first_bad_file() {
        let good = |source: &str| {
            let p = PartialProfile {
                format: crate::data_quality::consume::PARTIAL_PROFILE_FORMAT.into(),
                version: crate::data_quality::consume::PARTIAL_PROFILE_VERSION,
                monitor: "m".into(),
                source: source.into(),
                lines: 0,
                minutes: Vec::new(),
            };
            p.to_json().unwrap()
        };
        let files: Vec<(String, Vec<u8>)> = (0..9)
            .map(|i| (format!("k{i}"), good(&format!("s{i}"))))
            .collect();
        for threads in [1, 2, 4] {
            let out = decode_partials(&files, threads).unwrap();
            let sources: Vec<&str> = out.iter().map(|p| p.source.as_str()).collect();
            assert_eq!(
                sources,
                ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"]
            );
        }
        let mut bad = files.clone();
        bad[3].1 = b"{".to_vec();
        bad[7].1 = b"[]".to_vec();
        let err = decode_partials(&bad, 2).unwrap_err().to_string();
        assert!(err.contains("k3"), "{err}");
    }

    #[tokio::test]
    async fn batches_stop_at_their_byte_budget_and_keep_the_order() {
        // files of 3, 3, 3, 10, 1, 1 bytes; budget 4 files or 6 bytes
        let sizes = [3usize, 3, 3, 10, 1, 1];
        let files: Vec<Result<(String, Vec<u8>), CoreError>> = sizes
            .iter()
            .enumerate()
            .map(|(i, n)| Ok((format!("k{i}"), vec![b'x'; *n])))
            .collect();
        let mut fetched = stream::iter(files);
        let mut batches = Vec::new();
        loop {
            let batch = next_batch(&mut fetched, 4, 6).await.unwrap();
            if batch.is_empty() {
                break;
            }
            batches.push(batch.into_iter().map(|(k, _)| k).collect::<Vec<_>>());
        }
        // 3 + 3 reaches 6; 3 + 10 passes it (a file is never split); 1 + 1 ends the stream
        assert_eq!(
            batches,
            [vec!["k0", "k1"], vec!["k2", "k3"], vec!["k4", "k5"]]
        );
        // the file budget still applies to small files
        let small: Vec<Result<(String, Vec<u8>), CoreError>> =
            (0..5).map(|i| Ok((format!("s{i}"), vec![b'x']))).collect();
        let mut fetched = stream::iter(small);
        assert_eq!(next_batch(&mut fetched, 4, 1 << 20).await.unwrap().len(), 4);
        assert_eq!(next_batch(&mut fetched, 4, 1 << 20).await.unwrap().len(), 1);
        // a fetch error is returned in order
        let failing: Vec<Result<(String, Vec<u8>), CoreError>> = vec![
            Ok(("a".into(), vec![b'x'])),
            Err(CoreError::Config {
                field: "f".into(),
                value: "bad-fetch".into(),
                message: "m".into(),
            }),
        ];
        let mut fetched = stream::iter(failing);
        let err = next_batch(&mut fetched, 4, 1 << 20).await.unwrap_err();
        assert!(err.to_string().contains("bad-fetch"), "{err}");
    }
}
