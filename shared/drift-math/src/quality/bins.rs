//! The non-empty bins of a [`ScoreHistogram`](super::ScoreHistogram): a sorted map while few
//! bins are occupied, one flat array of all [`SCORE_BINS`] bins once that is smaller.
//!
//! A window of a million scores occupies most of the 2¹⁶ bins; as a `BTreeMap` that costs
//! ~1.7 MB per histogram (a leaf node of 11 entries is 240 bytes, nodes are ~⅔ full), and a
//! model-quality state holds six of them (the full state and five replicates, spec §8.1). The
//! flat array costs 16 bytes per bin, 1 MiB, whatever the window's size (issue 16 item 3). Both
//! forms hold the same counts and iterate the same `(bin, counts)` pairs in the same order, so
//! every number read from them is unchanged (exact: counts only).

use std::collections::BTreeMap;

use super::{LabelCounts, SCORE_BINS};

/// Occupied bins beyond which the flat array is smaller than the map (16 bytes a bin against
/// ~30 a map entry): half of [`SCORE_BINS`].
pub(super) const DENSE_FROM: usize = SCORE_BINS as usize / 2;

/// The bins, sparse or dense (module docs). Never holds an empty bin as occupied.
#[derive(Debug, Clone)]
pub(super) enum ScoreBins {
    /// occupied bins only, by bin
    Sparse(BTreeMap<u32, LabelCounts>),
    /// every bin (index = bin) and how many are occupied
    Dense {
        counts: Box<[LabelCounts]>,
        occupied: usize,
    },
}

impl Default for ScoreBins {
    fn default() -> Self {
        ScoreBins::Sparse(BTreeMap::new())
    }
}

fn occupied(c: &LabelCounts) -> bool {
    c.positives != 0 || c.negatives != 0
}

impl ScoreBins {
    /// Adds `positives` and `negatives` to bin `bin` (`< SCORE_BINS`); turns dense when the
    /// map grows past [`DENSE_FROM`] bins.
    pub(super) fn add(&mut self, bin: u32, positives: u64, negatives: u64) {
        match self {
            ScoreBins::Sparse(map) => {
                let c = map.entry(bin).or_default();
                c.positives += positives;
                c.negatives += negatives;
                if map.len() > DENSE_FROM {
                    self.densify();
                }
            }
            ScoreBins::Dense { counts, occupied } => {
                let c = &mut counts[bin as usize];
                if !self::occupied(c) && (positives != 0 || negatives != 0) {
                    *occupied += 1;
                }
                c.positives += positives;
                c.negatives += negatives;
            }
        }
    }

    /// Moves a sparse map into the flat array (a no-op when dense already).
    fn densify(&mut self) {
        if let ScoreBins::Sparse(map) = self {
            let mut counts = vec![LabelCounts::default(); SCORE_BINS as usize].into_boxed_slice();
            let mut n = 0;
            for (&bin, c) in map.iter() {
                if self::occupied(c) {
                    counts[bin as usize] = *c;
                    n += 1;
                }
            }
            *self = ScoreBins::Dense {
                counts,
                occupied: n,
            };
        }
    }

    /// Number of occupied bins.
    pub(super) fn len(&self) -> usize {
        match self {
            ScoreBins::Sparse(map) => map.len(),
            ScoreBins::Dense { occupied, .. } => *occupied,
        }
    }

    /// Occupied bins in ascending order, as `(bin, counts)`.
    pub(super) fn iter(&self) -> BinIter<'_> {
        match self {
            ScoreBins::Sparse(map) => BinIter::Sparse(map.iter()),
            ScoreBins::Dense { counts, .. } => BinIter::Dense(counts.iter().enumerate()),
        }
    }

    /// Counts of the occupied bins in ascending bin order.
    pub(super) fn values(&self) -> impl DoubleEndedIterator<Item = LabelCounts> + '_ {
        self.iter().map(|(_, c)| c)
    }
}

impl PartialEq for ScoreBins {
    /// Same occupied bins with the same counts, whichever form either side is in.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for ScoreBins {}

/// Iterator over the occupied bins of [`ScoreBins`], in ascending order.
pub(super) enum BinIter<'a> {
    Sparse(std::collections::btree_map::Iter<'a, u32, LabelCounts>),
    Dense(std::iter::Enumerate<std::slice::Iter<'a, LabelCounts>>),
}

// The dense array has exactly SCORE_BINS entries, so every index fits a u32.
#[allow(clippy::cast_possible_truncation)]
fn dense_item((i, c): (usize, &LabelCounts)) -> Option<(u32, LabelCounts)> {
    occupied(c).then_some((i as u32, *c))
}

impl Iterator for BinIter<'_> {
    type Item = (u32, LabelCounts);
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            BinIter::Sparse(it) => it.next().map(|(&b, &c)| (b, c)),
            BinIter::Dense(it) => it.find_map(dense_item),
        }
    }
}

impl DoubleEndedIterator for BinIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match self {
            BinIter::Sparse(it) => it.next_back().map(|(&b, &c)| (b, c)),
            BinIter::Dense(it) => loop {
                let item = it.next_back()?;
                if let Some(x) = dense_item(item) {
                    return Some(x);
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic spread of bins (an LCG over the bin range), `n` adds.
    fn adds(n: u32) -> Vec<(u32, u64, u64)> {
        let mut x: u64 = 12345;
        (0..n)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let bin = u32::try_from(x >> 48).unwrap() % SCORE_BINS;
                (bin, u64::from(i % 3 == 0), u64::from(i % 3 != 0))
            })
            .collect()
    }

    #[test]
    fn the_flat_array_holds_what_the_map_holds_in_the_same_order() {
        // enough adds to occupy more than DENSE_FROM bins
        let all = adds(200_000);
        let mut bins = ScoreBins::default();
        let mut map: BTreeMap<u32, LabelCounts> = BTreeMap::new();
        for &(bin, p, n) in &all {
            bins.add(bin, p, n);
            let c = map.entry(bin).or_default();
            c.positives += p;
            c.negatives += n;
        }
        assert!(map.len() > DENSE_FROM, "the test must cross the switch");
        assert!(matches!(bins, ScoreBins::Dense { .. }));
        assert_eq!(bins.len(), map.len());
        let expected: Vec<(u32, LabelCounts)> = map.iter().map(|(&b, &c)| (b, c)).collect();
        assert_eq!(bins.iter().collect::<Vec<_>>(), expected);
        let backwards: Vec<_> = bins.iter().rev().collect();
        assert_eq!(
            backwards,
            expected.iter().rev().copied().collect::<Vec<_>>()
        );
        // equal to the same counts held as a map
        assert_eq!(bins, ScoreBins::Sparse(map));
    }

    /// The histogram in the flat array reads every number bit for bit as the one kept as a
    /// map (the representation before the flat array) and writes the same JSON.
    #[cfg(feature = "serde")]
    #[test]
    fn a_dense_histogram_reads_and_writes_as_the_map_did() {
        use super::super::ScoreHistogram;
        let mut dense = ScoreHistogram::new();
        let mut map: BTreeMap<u32, LabelCounts> = BTreeMap::new();
        for &(bin, p, n) in &adds(150_000) {
            dense.add_to_bin(bin, p == 1);
            let c = map.entry(bin).or_default();
            c.positives += p;
            c.negatives += n;
        }
        let sparse = ScoreHistogram {
            positives: dense.positives,
            negatives: dense.negatives,
            bins: ScoreBins::Sparse(map),
        };
        assert!(matches!(dense.bins, ScoreBins::Dense { .. }));
        assert_eq!(dense.auc().to_bits(), sparse.auc().to_bits());
        assert_eq!(
            dense.auc_error_bound().to_bits(),
            sparse.auc_error_bound().to_bits()
        );
        assert_eq!(dense.roc_curve(), sparse.roc_curve());
        assert_eq!(dense.pr_curve(), sparse.pr_curve());
        let json = serde_json::to_string(&dense).unwrap();
        assert_eq!(json, serde_json::to_string(&sparse).unwrap());
        // read back (into the flat array again: it has more than DENSE_FROM bins)
        let back: ScoreHistogram = serde_json::from_str(&json).unwrap();
        assert!(matches!(back.bins, ScoreBins::Dense { .. }));
        assert_eq!(back, sparse);
        // a merge of the two forms doubles every bin
        let mut twice = sparse.clone();
        twice.merge(&dense);
        assert_eq!(twice.len(), dense.len());
        assert!(twice
            .iter()
            .zip(dense.iter())
            .all(|((b2, c2), (b, c))| b2 == b
                && c2.positives == 2 * c.positives
                && c2.negatives == 2 * c.negatives));
    }

    #[test]
    fn a_few_bins_stay_a_map() {
        let mut bins = ScoreBins::default();
        for &(bin, p, n) in &adds(1_000) {
            bins.add(bin, p, n);
        }
        assert!(matches!(bins, ScoreBins::Sparse(_)));
        assert!(bins.len() <= 1_000);
    }
}
