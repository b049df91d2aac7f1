//! The mergeable profile: per-feature state that one pass over data builds and that any
//! number of partial profiles merge into, exactly (counts, moments) or within the sketch's
//! rank error (quantiles).
//!
//! A baseline is one profile of the training set; a monitoring window is the merge of the
//! partial profiles that capture-ingest wrote for each capture object of the window.

use std::collections::BTreeMap;

use drift_math::categorical::{CategoricalCounts, DistinctCount};
use drift_math::kll::{KllSketch, DEFAULT_NUMBER_OF_BUCKETS};
use drift_math::moments::Moments;
use drift_math::number_text::classify_number;
use drift_math::types::{InferredType, TypeCounts, ValueClass};
use serde::{Deserialize, Serialize};

use crate::formats::number::{self, NumberError};

use crate::formats::statistics::{
    CategoricalBucket, CategoricalDistribution, CommonStats, DatasetStats, FeatureStatistics,
    KllBucketOut, KllDistribution, KllParameters, KllSketchOut, NumericalDistribution,
    NumericalStatistics, Statistics, StringDistribution, StringStatistics,
};

/// Deequ's KLL analyzer state starts its running minimum at `Int.MaxValue`.
const DEEQU_KLL_MIN_START: f64 = 2147483647.0;
/// Deequ's KLL analyzer state starts its running maximum at `Int.MinValue`.
const DEEQU_KLL_MAX_START: f64 = -2147483648.0;

/// Key of a feature's count of values not of its reported numeric type, in a window's
/// statistics.json (modelwatch addition, only written when non-zero).
pub const TYPE_MISMATCH_KEY: &str = "modelwatch_type_mismatch";

/// Deequ's `Histogram` keeps at most this many categorical buckets in its output.
pub const MAX_CATEGORICAL_BUCKETS: usize = 1000;

/// What a feature profile tracks. A baseline tracks everything; a monitor tracks only what
/// the baseline's type and constraints need, which keeps ingest cheap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tracking {
    /// moments and the KLL sketch of numeric values
    pub numeric: bool,
    /// value counts and distinct estimate
    pub categorical: bool,
}

impl Tracking {
    /// Everything (baselines).
    pub const ALL: Tracking = Tracking {
        numeric: true,
        categorical: true,
    };

    /// What monitoring a feature of baseline type `t` needs; `domains` says whether the
    /// constraints carry a domain for it (categorical_values_check).
    pub fn for_baseline_type(t: InferredType, domains: bool) -> Self {
        match t {
            InferredType::Integral | InferredType::Fractional => Tracking {
                numeric: true,
                categorical: domains,
            },
            InferredType::String | InferredType::Boolean => Tracking {
                numeric: false,
                categorical: true,
            },
            InferredType::Unknown => Tracking::ALL,
        }
    }
}

/// Mergeable state of one feature.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeatureProfile {
    /// feature name
    pub name: String,
    /// what is tracked
    pub tracking: Tracking,
    /// Deequ value classes, including nulls
    pub types: TypeCounts,
    /// moments of the values that parse as numbers
    pub moments: Moments,
    /// Deequ KLL sketch of the values that parse as numbers
    pub kll: KllSketch,
    /// value counts (capped)
    pub categorical: CategoricalCounts,
    /// approximate distinct count of non-null values
    pub distinct: DistinctCount,
    /// values seen after categorical counting was dropped for a high-cardinality numeric
    /// column (bounds memory on baselines; see `observe`)
    #[serde(default)]
    pub categorical_dropped: u64,
}

impl FeatureProfile {
    /// An empty profile.
    pub fn new(name: impl Into<String>, tracking: Tracking) -> Self {
        Self {
            name: name.into(),
            tracking,
            types: TypeCounts::default(),
            moments: Moments::new(),
            kll: KllSketch::new(),
            categorical: CategoricalCounts::new(),
            distinct: DistinctCount::new(),
            categorical_dropped: 0,
        }
    }

    /// Records a missing value.
    #[inline]
    pub fn observe_null(&mut self) {
        self.types.add_null();
    }

    /// Records one non-null value. Returns the class it was given.
    ///
    /// Numbers go into the moments and the sketch when their text matches Deequ's
    /// Integral/Fractional patterns. Categorical counting of a column that has only seen
    /// numbers stops once it exceeds the categorical cap (a high-cardinality numeric column
    /// is not a category); the values skipped are counted in `categorical_dropped`.
    ///
    /// A number that is not usable ([`crate::formats::number`]: `1e400` overflows to
    /// infinity, `1e200` is beyond the safe range) is counted as a **String**, exactly as
    /// Deequ counts a numeric value it cannot cast: it stays present (completeness is not
    /// touched), the data-type check sees a non-numeric value in a numeric column and reports
    /// it, and the moments and sketch never see it, so every sum stays finite and the state
    /// file can always be written and read back. Dropping it to null instead would hide the
    /// corruption as a missing value; keeping it would turn the window's statistics into
    /// `inf`/`null`. See [`FeatureProfile::observe_checked`] for the reason it was refused.
    #[inline]
    pub fn observe(&mut self, value: &str) -> ValueClass {
        self.observe_checked(value).0
    }

    /// [`FeatureProfile::observe`], also returning why a numeric-looking value was refused.
    #[inline]
    pub fn observe_checked(&mut self, value: &str) -> (ValueClass, Option<NumberError>) {
        let (class, _, refused) = self.observe_number(value);
        (class, refused)
    }

    /// [`FeatureProfile::observe_checked`], also returning the usable number the value holds
    /// (`Some` exactly when the class is Integral or Fractional and nothing was refused).
    ///
    /// The value is classified and its number read in one pass
    /// ([`drift_math::number_text::classify_number`], the same double as
    /// [`parse_number`]), and the distinct sketch is only updated with values the categorical
    /// counts have not stored yet: adding a value the sketch holds changes nothing in it, and
    /// every stored value has been added (here, or in the sketch merged in with it).
    #[inline]
    pub fn observe_number(
        &mut self,
        value: &str,
    ) -> (ValueClass, Option<f64>, Option<NumberError>) {
        let (mut class, parsed) = classify_number(value);
        let mut refused = None;
        let mut usable = None;
        if let Some(x) = parsed {
            match number::check(x, value) {
                Ok(x) => {
                    if self.tracking.numeric {
                        self.moments.update(x);
                        self.kll.update(x);
                    }
                    usable = Some(x);
                }
                Err(e) => {
                    class = ValueClass::String;
                    refused = Some(e);
                }
            }
        }
        self.types.add(class);
        if self.tracking.categorical {
            let numeric = matches!(class, ValueClass::Integral | ValueClass::Fractional);
            if self.categorical_dropped > 0 {
                self.categorical_dropped += 1;
                self.distinct.update(value);
            } else if numeric
                && self.types.string == 0
                && self.types.boolean == 0
                && self.categorical.overflow() > 0
            {
                self.categorical_dropped = 1;
                self.distinct.update(value);
            } else if !self.categorical.add_seen(value) {
                self.distinct.update(value);
            }
        }
        (class, usable, refused)
    }

    /// Adds another profile of the same feature.
    pub fn merge(&mut self, other: &FeatureProfile) {
        self.types.merge(&other.types);
        self.moments.merge(&other.moments);
        self.kll.merge(&other.kll);
        self.categorical.merge(&other.categorical);
        self.distinct.merge(&other.distinct);
        self.categorical_dropped += other.categorical_dropped;
    }

    /// Deequ's inferred type of the values seen, mapped to Model Monitor's types: a
    /// Boolean column is reported as String (Model Monitor's schema has no Boolean).
    pub fn inferred_type(&self) -> InferredType {
        match self.types.inferred() {
            InferredType::Boolean => InferredType::String,
            t => t,
        }
    }

    /// The statistics.json entry of this feature.
    pub fn to_statistics(&self) -> FeatureStatistics {
        let inferred = self.inferred_type();
        let common = CommonStats {
            num_present: self.types.non_null(),
            num_missing: self.types.null,
        };
        // Numeric shape for numeric columns; also when a monitored numeric feature received
        // some non-numeric values (type corruption) and no categorical counts were kept.
        let numeric_shape = self.moments.count() > 0
            && (matches!(inferred, InferredType::Integral | InferredType::Fractional)
                || !self.tracking.categorical);
        match inferred {
            _ if numeric_shape => {
                // Type corruption (issue 13, item 7): a numeric feature that also received
                // values of another type keeps figures of one type. `num_present` counts the
                // numbers the moments and sketch cover (so mean = sum / num_present), the type
                // is the numbers' type, and the other values are counted apart, in
                // `modelwatch_type_mismatch`; data_type_check reports them as a violation.
                let numbers = self.moments.count();
                let mismatched = self.types.non_null().saturating_sub(numbers);
                let (inferred, common) = if mismatched > 0 {
                    let t = if self.types.fractional > 0 {
                        InferredType::Fractional
                    } else {
                        InferredType::Integral
                    };
                    let common = CommonStats {
                        num_present: numbers,
                        ..common
                    };
                    (t, common)
                } else {
                    (inferred, common)
                };
                let mut extra = serde_json::Map::new();
                if mismatched > 0 {
                    extra.insert(TYPE_MISMATCH_KEY.into(), mismatched.into());
                }
                let min = self.moments.min().unwrap_or(0.0);
                let max = self.moments.max().unwrap_or(0.0);
                // Deequ's KLL state starts its running min/max at Int.MaxValue / Int.MinValue
                // (as doubles), so a column entirely above 2^31-1 (or below -2^31) gets those
                // as bucket bounds in SageMaker's files. Reproduce that for compatibility.
                let (bmin, bmax) = (min.min(DEEQU_KLL_MIN_START), max.max(DEEQU_KLL_MAX_START));
                let buckets = self
                    .kll
                    .buckets(bmin, bmax, DEFAULT_NUMBER_OF_BUCKETS)
                    .into_iter()
                    .map(|b| KllBucketOut {
                        lower_bound: b.lower_bound,
                        upper_bound: b.upper_bound,
                        count: b.count,
                    })
                    .collect();
                FeatureStatistics {
                    name: self.name.clone(),
                    inferred_type: inferred,
                    numerical_statistics: Some(NumericalStatistics {
                        common,
                        mean: self.moments.mean().unwrap_or(0.0),
                        sum: self.moments.sum(),
                        std_dev: self.moments.std_dev().unwrap_or(0.0),
                        min,
                        max,
                        distribution: NumericalDistribution {
                            kll: KllDistribution {
                                buckets,
                                sketch: KllSketchOut {
                                    parameters: KllParameters {
                                        c: self.kll.shrinking_factor(),
                                        k: self.kll.sketch_size() as f64,
                                    },
                                    data: self.kll.levels(),
                                },
                            },
                        },
                        ..NumericalStatistics::default()
                    }),
                    extra,
                    ..FeatureStatistics::new(self.name.clone(), inferred)
                }
            }
            _ => {
                let buckets = self
                    .categorical
                    .by_count_desc()
                    .into_iter()
                    .take(MAX_CATEGORICAL_BUCKETS)
                    .map(|(v, c)| CategoricalBucket {
                        value: v.to_string(),
                        count: c,
                    })
                    .collect();
                let distinct = if self.categorical.overflow() == 0 && self.categorical_dropped == 0
                {
                    self.categorical.distinct() as f64
                } else {
                    self.distinct.estimate().round()
                };
                FeatureStatistics {
                    name: self.name.clone(),
                    inferred_type: inferred,
                    string_statistics: Some(StringStatistics {
                        common,
                        distinct_count: distinct,
                        distribution: StringDistribution {
                            categorical: CategoricalDistribution {
                                buckets,
                                ..CategoricalDistribution::default()
                            },
                            ..StringDistribution::default()
                        },
                        ..StringStatistics::default()
                    }),
                    ..FeatureStatistics::new(self.name.clone(), inferred)
                }
            }
        }
    }
}

/// Parses a value that Deequ classified as Integral or Fractional. Deequ's patterns allow
/// one space after the sign (`- 1`), which Rust's parser does not; it is removed first.
#[inline]
pub fn parse_number(s: &str) -> Option<f64> {
    match s.parse::<f64>() {
        Ok(x) => Some(x),
        Err(_) => {
            let b = s.as_bytes();
            if b.len() > 2 && (b[0] == b'-' || b[0] == b'+') && b[1] == b' ' {
                let mut t = String::with_capacity(s.len() - 1);
                t.push(b[0] as char);
                t.push_str(&s[2..]);
                t.parse().ok()
            } else {
                None
            }
        }
    }
}

/// Mergeable profile of a whole dataset or window: record counts plus one
/// [`FeatureProfile`] per feature, in feature order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatasetProfile {
    /// records analysed (rows that had the expected shape)
    pub item_count: u64,
    /// per-feature state, in baseline/column order
    pub features: Vec<FeatureProfile>,
    /// how many records had each column count (missing/extra column checks)
    #[serde(default)]
    pub column_counts: BTreeMap<usize, u64>,
    /// per-record PCA reconstruction errors (multivariate drift, issue 13 item 4), when the
    /// baseline has the multivariate block
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconstruction_error: Option<Moments>,
}

impl DatasetProfile {
    /// An empty profile for `names`.
    pub fn new(names: &[String], tracking: impl Fn(&str) -> Tracking) -> Self {
        Self {
            item_count: 0,
            features: names
                .iter()
                .map(|n| FeatureProfile::new(n.clone(), tracking(n)))
                .collect(),
            column_counts: BTreeMap::new(),
            reconstruction_error: None,
        }
    }

    /// Adds another profile over the same features. Features are matched by name; a
    /// feature the other profile has and this one lacks is appended.
    pub fn merge(&mut self, other: &DatasetProfile) {
        self.item_count += other.item_count;
        for (k, v) in &other.column_counts {
            *self.column_counts.entry(*k).or_default() += v;
        }
        if let Some(e) = &other.reconstruction_error {
            self.reconstruction_error
                .get_or_insert_with(Moments::new)
                .merge(e);
        }
        for (i, f) in other.features.iter().enumerate() {
            // Fast path: same position, same name.
            if self.features.get(i).is_some_and(|s| s.name == f.name) {
                self.features[i].merge(f);
            } else if let Some(s) = self.features.iter_mut().find(|s| s.name == f.name) {
                s.merge(f);
            } else {
                self.features.push(f.clone());
            }
        }
    }

    /// Adds `others` in order, exactly as `for o in others { self.merge(o) }` does, with the
    /// features merged on up to `threads` threads (issue 16 item 4).
    ///
    /// Each feature's state only ever meets the same feature of the others, and in the same
    /// order as the sequential loop, so the result is bit-identical whatever `threads` is (the
    /// KLL merge is order-dependent, hence never a tree). The plan of which feature of which
    /// profile goes where (same position, found by name, or appended as a copy) is worked out
    /// first, sequentially, with the rules of [`DatasetProfile::merge`].
    pub fn merge_many(&mut self, others: &[&DatasetProfile], threads: usize) {
        for o in others {
            self.item_count += o.item_count;
            for (k, v) in &o.column_counts {
                *self.column_counts.entry(*k).or_default() += v;
            }
            if let Some(e) = &o.reconstruction_error {
                self.reconstruction_error
                    .get_or_insert_with(Moments::new)
                    .merge(e);
            }
        }
        // plan[t]: the features that go into target feature t, in merge order
        let mut names: Vec<&str> = self.features.iter().map(|f| f.name.as_str()).collect();
        let mut plan: Vec<Vec<&FeatureProfile>> = vec![Vec::new(); names.len()];
        let existing = names.len();
        for o in others {
            for (i, f) in o.features.iter().enumerate() {
                let t = if names.get(i).is_some_and(|n| *n == f.name) {
                    i
                } else if let Some(t) = names.iter().position(|n| *n == f.name) {
                    t
                } else {
                    names.push(&f.name);
                    plan.push(Vec::new());
                    names.len() - 1
                };
                plan[t].push(f);
            }
        }
        // appended features start as a copy of their first occurrence, as in `merge`
        for p in &mut plan[existing..] {
            let first = p.remove(0);
            self.features.push(first.clone());
        }
        let mut work: Vec<(&mut FeatureProfile, Vec<&FeatureProfile>)> =
            self.features.iter_mut().zip(plan).collect();
        let threads = threads.clamp(1, work.len().max(1));
        if threads == 1 {
            for (target, sources) in &mut work {
                sources.iter().for_each(|s| target.merge(s));
            }
            return;
        }
        // round robin, so that the costly numeric features spread over the threads
        let mut shares: Vec<Vec<(&mut FeatureProfile, Vec<&FeatureProfile>)>> =
            (0..threads).map(|_| Vec::new()).collect();
        for (i, w) in work.into_iter().enumerate() {
            shares[i % threads].push(w);
        }
        std::thread::scope(|scope| {
            for share in shares {
                scope.spawn(move || {
                    for (target, sources) in share {
                        sources.iter().for_each(|s| target.merge(s));
                    }
                });
            }
        });
    }

    /// The statistics.json of this profile.
    pub fn to_statistics(&self) -> Statistics {
        Statistics {
            version: 0.0,
            dataset: DatasetStats {
                item_count: self.item_count,
                ..DatasetStats::default()
            },
            features: self.features.iter().map(|f| f.to_statistics()).collect(),
            ..Statistics::default()
        }
    }

    /// The feature named `name`.
    pub fn feature(&self, name: &str) -> Option<&FeatureProfile> {
        self.features.iter().find(|f| f.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_column_profile() {
        let mut f = FeatureProfile::new("x", Tracking::ALL);
        for v in ["1", "2", "3", "4"] {
            f.observe(v);
        }
        f.observe_null();
        assert_eq!(f.inferred_type(), InferredType::Integral);
        let s = f.to_statistics();
        let n = s.numerical_statistics.expect("numeric");
        assert_eq!(n.common.num_present, 4);
        assert_eq!(n.common.num_missing, 1);
        assert_eq!(n.sum, 10.0);
        assert_eq!(n.mean, 2.5);
        // numpy: np.std([1,2,3,4]) == 1.118033988749895
        assert!((n.std_dev - 1.118033988749895).abs() < 1e-15);
        assert_eq!(n.distribution.kll.buckets.len(), 10);
    }

    #[test]
    fn string_column_profile_and_boolean_maps_to_string() {
        let mut f = FeatureProfile::new("s", Tracking::ALL);
        for v in ["a", "b", "a", "1"] {
            f.observe(v);
        }
        let s = f.to_statistics();
        assert_eq!(s.inferred_type, InferredType::String);
        let st = s.string_statistics.expect("string");
        assert_eq!(st.distinct_count, 3.0);
        assert_eq!(st.distribution.categorical.buckets[0].value, "a");
        assert_eq!(st.distribution.categorical.buckets[0].count, 2);

        let mut b = FeatureProfile::new("b", Tracking::ALL);
        b.observe("true");
        b.observe("false");
        assert_eq!(b.inferred_type(), InferredType::String);
    }

    #[test]
    fn a_type_corrupted_numeric_feature_reports_consistent_figures() {
        // A monitored numeric feature (no categorical counts) receiving 2 strings among 4
        // numbers: the figures describe the 4 numbers; the 2 strings are counted apart.
        let mut f = FeatureProfile::new(
            "x",
            Tracking::for_baseline_type(InferredType::Integral, false),
        );
        for v in ["1", "abc", "2", "3", "1e400", "4"] {
            f.observe(v);
        }
        f.observe_null();
        assert_eq!(f.inferred_type(), InferredType::String); // Deequ's inference of the mix
        let s = f.to_statistics();
        assert_eq!(s.inferred_type, InferredType::Integral);
        let n = s.numerical_statistics.expect("numeric");
        assert_eq!(n.common.num_present, 4);
        assert_eq!(n.common.num_missing, 1);
        assert_eq!(n.mean, n.sum / n.common.num_present as f64);
        assert_eq!(s.extra[TYPE_MISMATCH_KEY], 2);
        // a clean column has no such key
        let mut g = FeatureProfile::new("y", Tracking::ALL);
        g.observe("1.5");
        assert!(g.to_statistics().extra.is_empty());
    }

    #[test]
    fn parse_number_accepts_deequ_sign_space() {
        assert_eq!(parse_number("- 1.5"), Some(-1.5));
        assert_eq!(parse_number("+2"), Some(2.0));
        assert_eq!(parse_number("1e3"), Some(1000.0));
        assert_eq!(parse_number("abc"), None);
    }
}
