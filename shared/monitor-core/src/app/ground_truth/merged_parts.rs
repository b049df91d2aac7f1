//! The merged records of one label object, written as bounded part files.
//!
//! A label object's matched records go to one folder per (variant, inference hour), as
//! SageMaker's merge job writes them (spec §2.3). What the merge holds of them at any time is
//! bounded by [`MERGED_HELD_BYTES`] across all its open parts, whatever the object's size
//! and however many inference hours its labels touch (issue 16 item 3): when the open parts
//! reach it together, the largest is written. Before, each open part was written at 8 MiB on
//! its own, so an object whose labels spread over 24 hours could hold 24 × 8 MiB; the one-shot
//! model-quality job at 1M records held 8.6 MB of them at its peak.
//!
//! Which part a record lands in depends only on the order of the matched records, so merging
//! the same object again writes the same keys and bytes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::layout::merged_key;
use crate::store::ObjectStore;
use crate::CoreError;

/// Matched records per merged part file.
pub const MERGED_PART_LINES: u64 = 100_000;

/// At most this many bytes of merged records are held by the merge of one label object,
/// across all its open parts (records carry their `endpointInput`, up to 6 MB each: a
/// record larger than this is written, with its part, as soon as it is added).
pub const MERGED_HELD_BYTES: usize = 4 << 20;

/// One open part: its records so far, and how many parts of its folder were written.
#[derive(Default)]
struct Part {
    current: Vec<u8>,
    lines: u64,
    written: u32,
}

/// The open parts of one label object's merge, by (variant, inference hour).
pub(super) struct MergedParts<'a> {
    monitor: &'a str,
    endpoint: &'a str,
    label_hour: DateTime<Utc>,
    file: &'a str,
    open: BTreeMap<(String, DateTime<Utc>), Part>,
    held: usize,
}

impl<'a> MergedParts<'a> {
    /// No part open yet, for the object `file` of `label_hour`.
    pub(super) fn new(
        monitor: &'a str,
        endpoint: &'a str,
        label_hour: DateTime<Utc>,
        file: &'a str,
    ) -> Self {
        MergedParts {
            monitor,
            endpoint,
            label_hour,
            file,
            open: BTreeMap::new(),
            held: 0,
        }
    }

    /// Bytes held across the open parts.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.held
    }

    /// Adds one merged record (`line`, without its newline) to the part of `variant` and
    /// `inference_hour`; writes that part once it holds [`MERGED_PART_LINES`] records, and
    /// the largest open part whenever they hold [`MERGED_HELD_BYTES`] together.
    pub(super) async fn push<S: ObjectStore>(
        &mut self,
        store: &S,
        variant: &str,
        inference_hour: DateTime<Utc>,
        line: &str,
    ) -> Result<(), CoreError> {
        let slot = (variant.to_owned(), inference_hour);
        let part = self.open.entry(slot.clone()).or_default();
        part.current.extend_from_slice(line.as_bytes());
        part.current.push(b'\n');
        part.lines += 1;
        self.held += line.len() + 1;
        if part.lines >= MERGED_PART_LINES {
            self.write(store, &slot).await?;
        }
        if self.held >= MERGED_HELD_BYTES {
            // the largest (the first of them in key order on a tie)
            let largest = self
                .open
                .iter()
                .rev()
                .max_by_key(|(_, p)| p.current.len())
                .map(|(k, _)| k.clone());
            if let Some(slot) = largest {
                self.write(store, &slot).await?;
            }
        }
        Ok(())
    }

    /// Writes every part still holding records.
    pub(super) async fn finish<S: ObjectStore>(mut self, store: &S) -> Result<(), CoreError> {
        let slots: Vec<_> = self.open.keys().cloned().collect();
        for slot in slots {
            self.write(store, &slot).await?;
        }
        Ok(())
    }

    /// Writes the open part of `slot` (nothing when it is empty) and starts its next one.
    async fn write<S: ObjectStore>(
        &mut self,
        store: &S,
        slot: &(String, DateTime<Utc>),
    ) -> Result<(), CoreError> {
        let Some(part) = self.open.get_mut(slot) else {
            return Ok(());
        };
        if part.current.is_empty() {
            return Ok(());
        }
        let key = merged_key(
            self.monitor,
            self.endpoint,
            &slot.0,
            slot.1,
            self.label_hour,
            self.file,
            part.written,
        );
        let body = std::mem::take(&mut part.current);
        self.held -= body.len();
        part.written += 1;
        part.lines = 0;
        store.put(&key, body).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;
    use chrono::TimeZone;

    fn hour(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, 1, h, 0, 0).unwrap()
    }

    /// Records of 1 KiB spread over 24 inference hours, round robin: after every record
    /// the open parts hold less than the budget, and every record is written once, in its
    /// hour's folder, in the order it came.
    #[tokio::test]
    async fn the_open_parts_hold_at_most_the_budget_and_lose_no_record() {
        let store = MemoryStore::new();
        let mut merged = MergedParts::new("m", "ep", hour(23), "labels.jsonl");
        let records = 3 * MERGED_HELD_BYTES / 1024;
        let mut peak = 0;
        for i in 0..records {
            let line = format!("{i:>1023}");
            merged
                .push(&store, "AllTraffic", hour((i % 24) as u32), &line)
                .await
                .unwrap();
            assert!(merged.held() < MERGED_HELD_BYTES, "{} held", merged.held());
            peak = peak.max(merged.held());
        }
        assert!(
            peak >= MERGED_HELD_BYTES - 1024,
            "the budget was reached: {peak}"
        );
        merged.finish(&store).await.unwrap();
        let written = store.objects("");
        assert!(written.len() > 24, "{} parts", written.len());
        for h in 0..24u32 {
            let folder = format!("/{}/", crate::layout::hour_path(hour(h)));
            let mut seen = Vec::new();
            for (key, body) in written.iter().filter(|(k, _)| k.contains(&folder)) {
                assert!(key.contains("2024030123-labels-part-"), "{key}");
                for line in body.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                    let i: usize = std::str::from_utf8(line).unwrap().trim().parse().unwrap();
                    assert_eq!(i % 24, h as usize, "{key}");
                    seen.push(i);
                }
            }
            let expected: Vec<usize> = (0..records).filter(|i| i % 24 == h as usize).collect();
            assert_eq!(seen, expected, "hour {h}");
        }
    }

    /// A part is written at [`MERGED_PART_LINES`] records, whatever its bytes.
    #[tokio::test]
    async fn a_part_is_written_at_its_line_count() {
        let store = MemoryStore::new();
        let mut merged = MergedParts::new("m", "ep", hour(5), "f.jsonl");
        for _ in 0..MERGED_PART_LINES + 1 {
            merged.push(&store, "v", hour(4), "x").await.unwrap();
        }
        assert_eq!(merged.held(), 2, "one record of 'x\\n' still open");
        let written = store.objects("");
        assert_eq!(written.len(), 1);
        assert!(
            written[0].0.ends_with("2024030105-f-part-00000.jsonl"),
            "{}",
            written[0].0
        );
        assert_eq!(written[0].1.len(), 2 * MERGED_PART_LINES as usize);
        merged.finish(&store).await.unwrap();
        let written = store.objects("");
        assert_eq!(written.len(), 2);
        assert_eq!(written[1].1, b"x\n");
    }
}
