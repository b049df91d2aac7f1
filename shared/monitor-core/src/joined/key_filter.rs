//! Which prediction indexes a ground-truth object need not read: the join keys of every
//! index one merge invocation has already decoded, kept as 64-bit hashes.
//!
//! A ground-truth merge probes the prediction indexes of its look-back newest hour first
//! ([`crate::app::ground_truth`]). When one invocation merges several label objects whose
//! labels sit in different hours (the one-shot job puts every label file at the last hour of
//! the data), each object decoded every index between that hour and its predictions: 24
//! hourly label files decoded the 24 hours' indexes 300 times, 12.5× the indexes' records.
//! With these filters an index already decoded once is read again only when one of its join
//! keys hashes like one of the object's labels.
//!
//! Exact: a skipped index holds no key of the object's labels (every key of the index was
//! hashed; equal keys hash equally), so decoding it would have matched nothing. A hash
//! collision only costs a needless decode. Memory: 4 bytes per remembered prediction (the low
//! 32 bits of [`key_hash`]: an index of 5,000 keys checked against 12,500 labels decodes
//! needlessly with probability 1.5 %, where 8-byte hashes took 8 MB of the one-shot
//! model-quality job's peak at 1M records, issue 16 item 3), at most [`KEY_FILTER_BUDGET`] of
//! them (indexes beyond it are simply not remembered).

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};

use crate::joined::predictions::PredictionIndex;

/// At most this many join-key hashes (4 bytes each: 8 MiB) are kept per invocation.
pub const KEY_FILTER_BUDGET: usize = 1 << 21;

/// The 64-bit hash of one join key (SipHash with fixed keys: the same in every process).
pub fn key_hash(key: &str) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

/// What the filters keep of a [`key_hash`]: its low 32 bits.
#[allow(clippy::cast_possible_truncation)]
fn short(hash: u64) -> u32 {
    hash as u32
}

/// A hasher for values that already are [`key_hash`]es: it passes them through (a 32-bit one
/// is spread over 64 bits, so the table's tag bits, the top ones, are not all zero).
#[derive(Debug, Default, Clone, Copy)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // only u64s are hashed with it; any other input is folded in byte by byte
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn write_u32(&mut self, n: u32) {
        // Fibonacci hashing (Knuth, TAOCP vol. 3, §6.4): a bijection of the 32 bits into 64
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The key hashes of one ground-truth object's labels.
#[derive(Debug, Default, Clone)]
pub struct LabelHashes(HashSet<u32, BuildHasherDefault<PassThrough>>);

impl LabelHashes {
    /// The hashes of `keys`.
    pub fn new<'a>(keys: impl IntoIterator<Item = &'a str>) -> Self {
        LabelHashes(keys.into_iter().map(|k| short(key_hash(k))).collect())
    }

    /// Whether some label key may hash to `hash` (a [`key_hash`]).
    pub fn may_hold(&self, hash: u64) -> bool {
        self.may_hold_short(short(hash))
    }

    fn may_hold_short(&self, hash: u32) -> bool {
        self.0.contains(&hash)
    }
}

/// The join-key hashes of the prediction indexes decoded so far, by index key.
#[derive(Debug, Clone)]
pub struct IndexKeyFilters {
    by_index: HashMap<String, Vec<u32>>,
    held: usize,
    budget: usize,
}

impl IndexKeyFilters {
    /// Filters that keep at most `budget` key hashes (0: remember nothing, skip nothing).
    pub fn new(budget: usize) -> Self {
        IndexKeyFilters {
            by_index: HashMap::new(),
            held: 0,
            budget,
        }
    }

    /// The hashes of one label object's `keys`, as [`IndexKeyFilters::skips`] asks for them;
    /// none when the filters are off (budget 0: nothing is remembered, so nothing is asked),
    /// which spares a single-object merge hashing every label.
    pub fn label_hashes<'a>(&self, keys: impl IntoIterator<Item = &'a str>) -> LabelHashes {
        if self.budget == 0 {
            LabelHashes::default()
        } else {
            LabelHashes::new(keys)
        }
    }

    /// Whether the index at `index_key` was remembered and holds no key of `labels`
    /// (reading it would match nothing).
    pub fn skips(&self, index_key: &str, labels: &LabelHashes) -> bool {
        self.by_index
            .get(index_key)
            .is_some_and(|hashes| !hashes.iter().any(|h| labels.may_hold_short(*h)))
    }

    /// Remembers the join keys of `index`, read at `index_key`, while the budget allows.
    pub fn remember(&mut self, index_key: &str, index: &PredictionIndex) {
        let n = index.predictions.len();
        if self.by_index.contains_key(index_key) || self.held + n > self.budget {
            return;
        }
        let hashes = index
            .predictions
            .iter()
            .map(|p| short(key_hash(&p.key)))
            .collect();
        self.by_index.insert(index_key.to_owned(), hashes);
        self.held += n;
    }

    /// How many key hashes are kept.
    pub fn held(&self) -> usize {
        self.held
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::capture::BadRecords;
    use crate::joined::predictions::{Prediction, PREDICTION_INDEX_FORMAT};

    fn index(keys: &[&str]) -> PredictionIndex {
        let prediction = |key: &str| Prediction {
            key: key.into(),
            event_id: key.into(),
            inference_id: None,
            inference_time: "2024-03-01T00:00:00Z".into(),
            time: 1_709_251_200,
            label: Some("1".into()),
            probability: Some(0.7),
            variant: "v".into(),
            output: None,
            input: None,
            instance: 0,
            instances: 1,
            facets: Default::default(),
            features: None,
            model: None,
        };
        PredictionIndex {
            format: PREDICTION_INDEX_FORMAT.into(),
            version: 2,
            source: "capture".into(),
            predictions: keys.iter().map(|k| prediction(k)).collect(),
            bad_records: BadRecords::default(),
            scores: Vec::new(),
            segment_scores: Default::default(),
            models: Vec::new(),
        }
    }

    #[test]
    fn an_index_is_skipped_only_when_remembered_and_holding_none_of_the_labels() {
        let mut filters = IndexKeyFilters::new(KEY_FILTER_BUDGET);
        let labels = LabelHashes::new(["e3", "e9"]);
        // never decoded: read
        assert!(!filters.skips("ix/a", &labels));
        filters.remember("ix/a", &index(&["e1", "e2"]));
        filters.remember("ix/b", &index(&["e2", "e3"]));
        assert_eq!(filters.held(), 4);
        // a holds neither e3 nor e9; b holds e3
        assert!(filters.skips("ix/a", &labels));
        assert!(!filters.skips("ix/b", &labels));
        // an object without labels skips every remembered index
        assert!(filters.skips("ix/b", &LabelHashes::new([])));
        // remembered once
        filters.remember("ix/a", &index(&["e1", "e2"]));
        assert_eq!(filters.held(), 4);
    }

    #[test]
    fn beyond_the_budget_nothing_is_remembered_or_skipped() {
        let mut filters = IndexKeyFilters::new(3);
        filters.remember("ix/a", &index(&["e1", "e2"]));
        // 2 + 2 > 3: not remembered, so always read
        filters.remember("ix/b", &index(&["e4", "e5"]));
        assert_eq!(filters.held(), 2);
        let labels = LabelHashes::new(["e9"]);
        assert!(filters.skips("ix/a", &labels));
        assert!(!filters.skips("ix/b", &labels));
        // budget 0: nothing kept, and no label is hashed
        let mut off = IndexKeyFilters::new(0);
        off.remember("ix/a", &index(&["e1"]));
        assert!(!off.skips("ix/a", &labels));
        assert!(!off.label_hashes(["e1"]).may_hold(key_hash("e1")));
        assert!(filters.label_hashes(["e1"]).may_hold(key_hash("e1")));
    }

    #[test]
    fn key_hashes_are_stable_and_pass_through_the_set() {
        // equal keys hash equally across calls (the filter's exactness rests on it)
        assert_eq!(key_hash("req#2"), key_hash(&format!("req#{}", 2)));
        assert_ne!(key_hash("req#2"), key_hash("req#3"));
        let labels = LabelHashes::new(["49773c51-e6f7-428c-8717-3e20d6c778bf"]);
        assert!(labels.may_hold(key_hash("49773c51-e6f7-428c-8717-3e20d6c778bf")));
        assert!(!labels.may_hold(key_hash("2c728ae0-d7d9-403a-b103-420079c9cf18")));
        let mut h = PassThrough::default();
        h.write_u64(42);
        assert_eq!(h.finish(), 42);
        // a short hash lands with its tag bits (the top 7) set apart from its neighbours'
        let top = |n: u32| {
            let mut h = PassThrough::default();
            h.write_u32(n);
            h.finish() >> 57
        };
        assert_ne!(top(1), top(2));
    }
}
