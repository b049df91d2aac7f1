//! The mergeable bias state: side and group counts, the flip-test sample and `BiasState`.

use super::*;

/// Label × prediction counts of one facet side (a or d).
///
/// `n_x = n()`, `n_x(1) = label_pos()`, `n_x(0) = label_neg()`, `n̂_x(1) = pred_pos()`,
/// `n̂_x(0) = pred_neg()` in the notation of spec §9.3. Rows without a prediction count
/// only for the pre-training metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SideCounts {
    /// observed positive, predicted positive (TP)
    pub true_pos: u64,
    /// observed negative, predicted positive (FP)
    pub false_pos: u64,
    /// observed negative, predicted negative (TN)
    pub true_neg: u64,
    /// observed positive, predicted negative (FN)
    pub false_neg: u64,
    /// observed positive, no prediction
    pub pos_unpredicted: u64,
    /// observed negative, no prediction
    pub neg_unpredicted: u64,
}

impl SideCounts {
    /// Group size `n_x` (all rows of this side).
    pub fn n(&self) -> u64 {
        self.true_pos
            + self.false_pos
            + self.true_neg
            + self.false_neg
            + self.pos_unpredicted
            + self.neg_unpredicted
    }

    /// Observed positives `n_x(1) = TP + FN + positives without prediction`.
    pub fn label_pos(&self) -> u64 {
        self.true_pos + self.false_neg + self.pos_unpredicted
    }

    /// Observed negatives `n_x(0) = FP + TN + negatives without prediction`.
    pub fn label_neg(&self) -> u64 {
        self.false_pos + self.true_neg + self.neg_unpredicted
    }

    /// Predicted positives `n̂_x(1) = TP + FP`.
    pub fn pred_pos(&self) -> u64 {
        self.true_pos + self.false_pos
    }

    /// Predicted negatives `n̂_x(0) = TN + FN`.
    pub fn pred_neg(&self) -> u64 {
        self.true_neg + self.false_neg
    }

    /// Rows without a prediction.
    pub fn unpredicted(&self) -> u64 {
        self.pos_unpredicted + self.neg_unpredicted
    }

    /// Counts one row.
    pub fn add(&mut self, label: bool, predicted: Option<bool>) {
        match (label, predicted) {
            (true, Some(true)) => self.true_pos += 1,
            (false, Some(true)) => self.false_pos += 1,
            (false, Some(false)) => self.true_neg += 1,
            (true, Some(false)) => self.false_neg += 1,
            (true, None) => self.pos_unpredicted += 1,
            (false, None) => self.neg_unpredicted += 1,
        }
    }

    /// Adds another side's counts (exact).
    pub fn merge(&mut self, other: &SideCounts) {
        self.true_pos += other.true_pos;
        self.false_pos += other.false_pos;
        self.true_neg += other.true_neg;
        self.false_neg += other.false_neg;
        self.pos_unpredicted += other.pos_unpredicted;
        self.neg_unpredicted += other.neg_unpredicted;
    }
}

/// Counts of one value of the `group_variable`, split by facet side, for CDDL/CDDPL.
///
/// CDD needs, per group `i`: its size `n_i`, the positives in d and in total, and the
/// negatives in d and in total — once for observed labels (CDDL) and once for predictions
/// (CDDPL).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GroupCounts {
    /// observed positive, side a
    pub label_pos_a: u64,
    /// observed positive, side d
    pub label_pos_d: u64,
    /// observed negative, side a
    pub label_neg_a: u64,
    /// observed negative, side d
    pub label_neg_d: u64,
    /// predicted positive, side a
    pub pred_pos_a: u64,
    /// predicted positive, side d
    pub pred_pos_d: u64,
    /// predicted negative, side a
    pub pred_neg_a: u64,
    /// predicted negative, side d
    pub pred_neg_d: u64,
}

impl GroupCounts {
    /// Group size `n_i` (every row of the group, with or without prediction).
    pub fn n(&self) -> u64 {
        self.label_pos_a + self.label_pos_d + self.label_neg_a + self.label_neg_d
    }

    /// Counts one row.
    pub fn add(&mut self, sensitive: bool, label: bool, predicted: Option<bool>) {
        match (label, sensitive) {
            (true, false) => self.label_pos_a += 1,
            (true, true) => self.label_pos_d += 1,
            (false, false) => self.label_neg_a += 1,
            (false, true) => self.label_neg_d += 1,
        }
        match (predicted, sensitive) {
            (Some(true), false) => self.pred_pos_a += 1,
            (Some(true), true) => self.pred_pos_d += 1,
            (Some(false), false) => self.pred_neg_a += 1,
            (Some(false), true) => self.pred_neg_d += 1,
            (None, _) => {}
        }
    }

    /// Adds another group's counts (exact).
    pub fn merge(&mut self, other: &GroupCounts) {
        self.label_pos_a += other.label_pos_a;
        self.label_pos_d += other.label_pos_d;
        self.label_neg_a += other.label_neg_a;
        self.label_neg_d += other.label_neg_d;
        self.pred_pos_a += other.pred_pos_a;
        self.pred_pos_d += other.pred_pos_d;
        self.pred_neg_a += other.pred_neg_a;
        self.pred_neg_d += other.pred_neg_d;
    }

    /// `(positives in d, positives, negatives in d, negatives)` for labels or predictions.
    pub(super) fn disparity_counts(&self, predicted: bool) -> (u64, u64, u64, u64) {
        if predicted {
            (
                self.pred_pos_d,
                self.pred_pos_a + self.pred_pos_d,
                self.pred_neg_d,
                self.pred_neg_a + self.pred_neg_d,
            )
        } else {
            (
                self.label_pos_d,
                self.label_pos_a + self.label_pos_d,
                self.label_neg_d,
                self.label_neg_a + self.label_neg_d,
            )
        }
    }
}

/// One sampled row for the flip test: its features and the model's predicted label.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FlipSample {
    /// sampling key (a hash of the row's contents, see [`FlipReservoir`])
    pub key: u64,
    /// predicted label is positive
    pub predicted: bool,
    /// numeric features (finite)
    #[cfg_attr(feature = "serde", serde(with = "crate::codec::f64_vec"))]
    pub features: Vec<f64>,
}

impl FlipSample {
    /// Total order used for bottom-k sampling: key, then predicted label, then features by
    /// `f64::total_cmp` (so identical rows are kept or dropped together).
    pub(super) fn order(&self, other: &FlipSample) -> Ordering {
        self.key
            .cmp(&other.key)
            .then(self.predicted.cmp(&other.predicted))
            .then_with(|| {
                for (x, y) in self.features.iter().zip(&other.features) {
                    let o = x.total_cmp(y);
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                self.features.len().cmp(&other.features.len())
            })
    }
}

/// splitmix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mixer.
fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Content hash of a (features, predicted) row; -0.0 and 0.0 hash alike.
pub(super) fn row_key(features: &[f64], predicted: bool) -> u64 {
    let mut h = mix64(0x6D6F_6465_6C77_6174 ^ features.len() as u64 ^ (u64::from(predicted) << 63));
    for &x in features {
        let bits = if x == 0.0 { 0 } else { x.to_bits() };
        h = mix64(h ^ bits);
    }
    h
}

/// A bounded, mergeable uniform sample of rows of one facet side, for the flip test.
///
/// Bottom-k sampling by content hash: every row gets the key `hash(features, predicted)`
/// (splitmix64 over the IEEE bits) and the sample keeps the `cap` rows with the smallest
/// keys. A row's fate depends only on its contents, never on arrival order or on how the
/// input was split, so `merge` (union, then keep the `cap` smallest) gives exactly the sample
/// of the whole input. Identical rows share a key and are kept or dropped together.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FlipReservoir {
    pub(super) cap: usize,
    pub(super) rows: Vec<FlipSample>,
}

impl FlipReservoir {
    pub(super) fn with_cap(cap: usize) -> Self {
        FlipReservoir {
            cap,
            rows: Vec::new(),
        }
    }

    /// The most rows kept.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Rows kept, sorted by sampling key.
    pub fn rows(&self) -> &[FlipSample] {
        &self.rows
    }

    pub(super) fn insert(&mut self, sample: FlipSample) {
        if self.cap == 0 {
            return;
        }
        if self.rows.len() >= self.cap {
            match self.rows.last() {
                Some(last) if sample.order(last) == Ordering::Less => {}
                _ => return,
            }
        }
        let at = self
            .rows
            .partition_point(|r| r.order(&sample) != Ordering::Greater);
        self.rows.insert(at, sample);
        self.rows.truncate(self.cap);
    }

    pub(super) fn merge(&mut self, other: &FlipReservoir) {
        let cap = self.cap.min(other.cap);
        let mut all = Vec::with_capacity(self.rows.len() + other.rows.len());
        all.append(&mut self.rows);
        all.extend(other.rows.iter().cloned());
        all.sort_by(|x, y| x.order(y));
        all.truncate(cap);
        self.rows = all;
        self.cap = cap;
    }
}

/// One record as the bias state sees it: facet side, binarised label and prediction, the
/// group-variable value and the numeric features (for FT).
///
/// The caller resolves `facet.value_or_threshold` to `sensitive`, `label_values_or_threshold`
/// to `label` and `predicted` (spec §9.1), and renders the group value so equal values give
/// equal strings (for a numeric group variable use one canonical number format; Clarify
/// groups by `np.unique` of the values).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BiasRow<'a> {
    /// row is in the sensitive facet group d
    pub sensitive: bool,
    /// observed label is positive
    pub label: bool,
    /// predicted label is positive (`None` for pre-training-only data)
    pub predicted: Option<bool>,
    /// value of the `group_variable` (`None` if not configured or missing)
    pub group: Option<&'a str>,
    /// numeric features for the flip test (`None` if not available)
    pub features: Option<&'a [f64]>,
}

/// Mergeable state of one facet split (d = sensitive facet values, a = the rest).
///
/// `update` one [`BiasRow`], `merge` another state, then read any metric with
/// [`metric`](BiasState::metric) or the per-metric methods. All counts merge exactly; the FT
/// sample merges exactly too (see [`FlipReservoir`]).
///
/// Rows with `group = None` are counted as one extra group when at least one row had a
/// group value (NumPy ≥ 1.21 `np.unique` puts all NaNs in one group); when no row had a
/// group value, CDDL/CDDPL fail with [`BiasError::GroupVariableMissing`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BiasState {
    pub(super) complement: SideCounts,
    pub(super) sensitive: SideCounts,
    pub(super) groups: BTreeMap<String, GroupCounts>,
    pub(super) ungrouped: GroupCounts,
    pub(super) feature_dim: Option<usize>,
    pub(super) rows_with_features: u64,
    pub(super) rows_without_features: u64,
    pub(super) flip_complement: FlipReservoir,
    pub(super) flip_sensitive: FlipReservoir,
}

impl Default for BiasState {
    /// Same as [`BiasState::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl BiasState {
    /// An empty state whose FT sample keeps at most [`DEFAULT_FLIP_SAMPLE_CAP`] rows per side.
    pub fn new() -> Self {
        BiasState {
            complement: SideCounts::default(),
            sensitive: SideCounts::default(),
            groups: BTreeMap::new(),
            ungrouped: GroupCounts::default(),
            feature_dim: None,
            rows_with_features: 0,
            rows_without_features: 0,
            flip_complement: FlipReservoir::with_cap(DEFAULT_FLIP_SAMPLE_CAP),
            flip_sensitive: FlipReservoir::with_cap(DEFAULT_FLIP_SAMPLE_CAP),
        }
    }

    /// An empty state whose FT sample keeps at most `cap` rows per side.
    ///
    /// # Errors
    /// [`BiasError::InvalidParameter`] if `cap == 0`.
    pub fn with_flip_cap(cap: usize) -> Result<Self, BiasError> {
        if cap == 0 {
            return Err(BiasError::InvalidParameter {
                name: "flip_cap",
                value: 0,
            });
        }
        let mut s = Self::new();
        s.flip_complement.cap = cap;
        s.flip_sensitive.cap = cap;
        Ok(s)
    }

    /// A state from side counts alone (no group variable, no features): CDDL, CDDPL and FT
    /// then fail; every other metric is available.
    pub fn from_counts(complement: SideCounts, sensitive: SideCounts) -> Self {
        let mut s = Self::new();
        s.rows_without_features = complement.n() + sensitive.n();
        s.complement = complement;
        s.sensitive = sensitive;
        s
    }

    /// Counts one row.
    ///
    /// Features that are missing, empty or contain a non-finite value leave the row out of
    /// the FT sample and make FT fail with [`BiasError::NonNumericFeatures`] (Clarify refuses
    /// non-numeric feature columns).
    ///
    /// # Errors
    /// [`BiasError::FeatureDimension`] if the row's feature vector has a different length
    /// than earlier rows'; the state is then unchanged.
    pub fn update(&mut self, row: &BiasRow<'_>) -> Result<(), BiasError> {
        let features = row.features.filter(|f| !f.is_empty());
        if let (Some(f), Some(dim)) = (features, self.feature_dim) {
            if f.len() != dim {
                return Err(BiasError::FeatureDimension {
                    expected: dim,
                    got: f.len(),
                });
            }
        }
        let side = if row.sensitive {
            &mut self.sensitive
        } else {
            &mut self.complement
        };
        side.add(row.label, row.predicted);
        let group = match row.group {
            Some(g) => self.groups.entry(g.to_string()).or_default(),
            None => &mut self.ungrouped,
        };
        group.add(row.sensitive, row.label, row.predicted);

        match features {
            Some(f) if f.iter().all(|x| x.is_finite()) => {
                self.feature_dim = Some(f.len());
                self.rows_with_features += 1;
                if let Some(predicted) = row.predicted {
                    let sample = FlipSample {
                        key: row_key(f, predicted),
                        predicted,
                        features: f.to_vec(),
                    };
                    if row.sensitive {
                        self.flip_sensitive.insert(sample);
                    } else {
                        self.flip_complement.insert(sample);
                    }
                }
            }
            Some(f) => {
                self.feature_dim = Some(f.len());
                self.rows_without_features += 1;
            }
            None => self.rows_without_features += 1,
        }
        Ok(())
    }

    /// Adds another state (exact: equal to having seen both inputs; the FT sample keeps the
    /// smaller of the two caps).
    ///
    /// # Errors
    /// [`BiasError::FeatureDimension`] if the two states saw feature vectors of different
    /// lengths; `self` is then unchanged.
    pub fn merge(&mut self, other: &BiasState) -> Result<(), BiasError> {
        if let (Some(a), Some(b)) = (self.feature_dim, other.feature_dim) {
            if a != b {
                return Err(BiasError::FeatureDimension {
                    expected: a,
                    got: b,
                });
            }
        }
        self.complement.merge(&other.complement);
        self.sensitive.merge(&other.sensitive);
        for (k, g) in &other.groups {
            self.groups.entry(k.clone()).or_default().merge(g);
        }
        self.ungrouped.merge(&other.ungrouped);
        self.feature_dim = self.feature_dim.or(other.feature_dim);
        self.rows_with_features += other.rows_with_features;
        self.rows_without_features += other.rows_without_features;
        self.flip_complement.merge(&other.flip_complement);
        self.flip_sensitive.merge(&other.flip_sensitive);
        Ok(())
    }

    /// Counts of the complement group a.
    pub fn complement(&self) -> &SideCounts {
        &self.complement
    }

    /// Counts of the sensitive facet group d.
    pub fn sensitive(&self) -> &SideCounts {
        &self.sensitive
    }

    /// Per-group counts, by group value.
    pub fn groups(&self) -> &BTreeMap<String, GroupCounts> {
        &self.groups
    }

    /// Counts of rows without a group value.
    pub fn ungrouped(&self) -> &GroupCounts {
        &self.ungrouped
    }

    /// FT sample of group a.
    pub fn flip_sample_complement(&self) -> &FlipReservoir {
        &self.flip_complement
    }

    /// FT sample of group d.
    pub fn flip_sample_sensitive(&self) -> &FlipReservoir {
        &self.flip_sensitive
    }

    /// Total rows seen.
    pub fn rows(&self) -> u64 {
        self.complement.n() + self.sensitive.n()
    }

    /// Computes one metric by code.
    ///
    /// # Errors
    /// The metric's own error (see each method); the `Display` text is Clarify's message.
    pub fn metric(&self, code: MetricCode) -> Result<f64, BiasError> {
        match code {
            MetricCode::Cddl => self.cddl(),
            MetricCode::Ci => self.ci(),
            MetricCode::Dpl => self.dpl(),
            MetricCode::Js => self.js(),
            MetricCode::Kl => self.kl(),
            MetricCode::Ks => self.ks(),
            MetricCode::Lp => self.lp(),
            MetricCode::Tvd => self.tvd(),
            MetricCode::Ad => self.ad(),
            MetricCode::Cddpl => self.cddpl(),
            MetricCode::Dar => self.dar(),
            MetricCode::Dca => self.dca(),
            MetricCode::Dcr => self.dcr(),
            MetricCode::Di => self.di(),
            MetricCode::Dppl => self.dppl(),
            MetricCode::Drr => self.drr(),
            MetricCode::Ft => self.ft(),
            MetricCode::Ge => self.ge(),
            MetricCode::Rd => self.rd(),
            MetricCode::Sd => self.sd(),
            MetricCode::Te => self.te(),
        }
    }

    /// Computes several metrics, in the given order (e.g. [`MetricCode::PRE_TRAINING`]).
    pub fn metrics(&self, codes: &[MetricCode]) -> Vec<(MetricCode, Result<f64, BiasError>)> {
        codes.iter().map(|&c| (c, self.metric(c))).collect()
    }

    pub(super) fn require_sides(&self) -> Result<(f64, f64), BiasError> {
        let na = self.complement.n();
        let nd = self.sensitive.n();
        if na == 0 {
            return Err(BiasError::EmptyComplement);
        }
        if nd == 0 {
            return Err(BiasError::EmptyFacet);
        }
        Ok((na as f64, nd as f64))
    }

    pub(super) fn require_predictions(&self) -> Result<(), BiasError> {
        let rows = self.complement.unpredicted() + self.sensitive.unpredicted();
        if rows > 0 {
            return Err(BiasError::MissingPredictions { rows });
        }
        Ok(())
    }
}
