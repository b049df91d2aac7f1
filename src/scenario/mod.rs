//! Deterministic data generator behind `modelwatch demo`.
//!
//! A churn-like binary classifier: the model output column `score` (a churn probability)
//! followed by 17 inputs of mixed types. [`Scenario`] writes
//!
//! * a baseline training CSV (header, output column first, as SageMaker expects: spec §3.7),
//! * hourly endpoint data-capture files in SageMaker's key layout and record layout
//!   (spec §1.2 and §1.3), with drift injected in the later hours ([`drift_plan`]),
//! * the ground-truth label of every inference ([`Scenario::ground_truth`]), uploaded late
//!   as SageMaker ground-truth objects ([`Scenario::ground_truth_files`], spec §2.1): each
//!   label is collected 2–3 hours after its inference, and 10 % never arrive,
//! * a model-quality validation CSV of scores and true labels
//!   ([`Scenario::write_validation_csv`]) for the model-quality baseline.
//!
//! Everything is a pure function of the [`Scenario`] fields: the same seed gives the same
//! bytes. Randomness comes from a self-contained xoshiro256** generator seeded through
//! SplitMix64 (Blackman & Vigna, <https://prng.di.unimi.it/>), with Box–Muller normals, so
//! output does not change when a dependency's sampling algorithm does. Each consumer (the
//! baseline, and per hour: rows, drift, metadata) reads its own stream derived from
//! `(seed, stream tag, hour)`, so hours can be generated independently and in any order, and
//! injecting drift into an hour never changes the undrifted columns of that hour.
//!
//! Each record has *true* values (what the customer really is) and *observed* values (what
//! reached the endpoint). Population drift ([`Drift::NumericShift`], [`Drift::NewCategory`])
//! changes both; observation drift ([`Drift::MissingSpike`], [`Drift::TypeCorruption`])
//! changes only the observed values. The model scores the observed values (missing or
//! unparseable numbers imputed with the training mean, unknown categories contribute 0);
//! the ground-truth label is a Bernoulli draw of the probability of the true values
//! ([`true_probability`]).
//!
//! Concept drift is a separate axis from the input drift of [`drift_plan`]: from capture
//! hour [`CONCEPT_DRIFT_FROM`] on ([`concept_drift_hours`]) the true relationship between
//! inputs and churn changes (a competitor's offer: long-tenure, active customers on
//! expensive plans leave, and recent logins stop signalling loyalty), while the model keeps
//! scoring with the old one. Capture files do not depend on it at all (same bytes with or
//! without concept drift); only the labels do, so model quality degrades strongly (accuracy
//! and AUC drop) in hours whose inputs look like any other. In the default 8-hour scenario
//! the concept drift (hours 5–7) coincides with input drift stages of [`drift_plan`] (an
//! observation drift in hour 5: `income` missing, which leaves the true inputs unchanged).

use std::fmt::{self, Write as _};
use std::io::{self, Write};

mod rng;
mod rows;
mod time;

use rng::*;
pub use rows::*;
pub use time::*;

/// Root of the capture keys: `{DestinationS3Uri}` relative to the bucket (spec §1.2).
pub const CAPTURE_ROOT: &str = "data-capture";
/// Production-variant folder of the capture keys (SageMaker's default variant name, spec §1.2).
pub const VARIANT: &str = "AllTraffic";
/// What [`Drift::TypeCorruption`] writes into a numeric column.
pub const CORRUPTION_TOKEN: &str = "N/A";
/// Hours `0..CLEAN_HOURS` of [`drift_plan`] carry no drift.
pub const CLEAN_HOURS: usize = 3;
/// Root of the ground-truth keys: `{GroundTruthS3Input.S3Uri}` relative to the bucket is
/// `ground-truth/{endpoint}/` (spec §2.1; modelwatch's default ground-truth prefix).
pub const GROUND_TRUTH_ROOT: &str = "ground-truth";
/// First capture hour (0-based) whose labels follow the drifted concept; it lasts to the end
/// of the scenario (see [`concept_drift_hours`]).
pub const CONCEPT_DRIFT_FROM: usize = 5;
/// Shortest delay between an inference and the collection of its label, seconds (2 h).
pub const LABEL_DELAY_MIN_SECS: i64 = 2 * 3600;
/// Longest delay (exclusive) between an inference and the collection of its label, seconds
/// (3 h): a label is collected in the hour folder of its inference hour + 2 or + 3.
pub const LABEL_DELAY_MAX_SECS: i64 = 3 * 3600;
/// Fraction of labels that never arrive.
pub const LABEL_LOSS_SHARE: f64 = 0.1;
/// The labelling system uploads what it collected every this many seconds (20 minutes): one
/// ground-truth object per batch, named after the batch start `{MM}{SS}.jsonl` as in
/// SageMaker's example uploads (spec §2.1).
pub const LABEL_BATCH_SECS: i64 = 20 * 60;
/// 2026-11-01T00:00:00Z, the default [`Scenario::start_unix_secs`].
pub const DEFAULT_START_UNIX_SECS: i64 = days_from_civil(2026, 11, 1) * 86_400;

/// Type of a column as SageMaker's type inference sees it (spec §3.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Whole numbers, always written without a decimal point.
    Integral,
    /// Real numbers, always written with a decimal point (`{:.N}`), even for whole values.
    Fractional,
    /// Strings from a small set of levels.
    Categorical,
}

/// One column of the scenario's dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Feature {
    /// Column name (Spark-compliant: lowercase and `_`, spec §3.7).
    pub name: &'static str,
    /// How the column's values are written.
    pub kind: Kind,
}

/// Number of columns: the model output plus 17 inputs.
const N_COLS: usize = 18;

const fn feature(name: &'static str, kind: Kind) -> Feature {
    Feature { name, kind }
}

/// Column order of the baseline CSV; capture input CSVs are columns `1..`.
const FEATURES: [Feature; N_COLS] = [
    feature("score", Kind::Fractional),
    feature("age", Kind::Integral),
    feature("income", Kind::Fractional),
    feature("tenure_months", Kind::Integral),
    feature("num_products", Kind::Integral),
    feature("balance", Kind::Fractional),
    feature("credit_score", Kind::Integral),
    feature("monthly_charges", Kind::Fractional),
    feature("total_charges", Kind::Fractional),
    feature("num_support_calls", Kind::Integral),
    feature("last_login_days", Kind::Integral),
    feature("region", Kind::Categorical),
    feature("plan", Kind::Categorical),
    feature("device", Kind::Categorical),
    feature("payment_method", Kind::Categorical),
    feature("is_active", Kind::Integral),
    feature("avg_session_minutes", Kind::Fractional),
    feature("discount_rate", Kind::Fractional),
];

// Column indices into `FEATURES`.
const SCORE: usize = 0;
const AGE: usize = 1;
const INCOME: usize = 2;
const TENURE: usize = 3;
const NUM_PRODUCTS: usize = 4;
const BALANCE: usize = 5;
const CREDIT_SCORE: usize = 6;
const MONTHLY: usize = 7;
const TOTAL: usize = 8;
const SUPPORT_CALLS: usize = 9;
const LAST_LOGIN: usize = 10;
const REGION: usize = 11;
const PLAN: usize = 12;
const DEVICE: usize = 13;
const PAYMENT: usize = 14;
const IS_ACTIVE: usize = 15;
const SESSION: usize = 16;
const DISCOUNT: usize = 17;

/// Decimals written for Fractional columns (0 for the others).
const DECIMALS: [usize; N_COLS] = [6, 0, 2, 0, 0, 2, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 2, 3];

/// Approximate population mean and standard deviation of each numeric column, derived from
/// the sampling distributions in `sample_row` (e.g. lognormal mean `exp(μ + σ²/2)`).
/// Used for imputation, standardisation in the model and the unit of [`Drift::NumericShift`].
const NOMINAL: [(f64, f64); N_COLS] = [
    (0.3, 0.26),          // score (not an input)
    (42.0, 12.0),         // age
    (58_900.0, 31_400.0), // income
    (25.0, 22.0),         // tenure_months
    (1.75, 0.89),         // num_products
    (53_700.0, 60_000.0), // balance
    (680.0, 59.0),        // credit_score
    (56.0, 25.0),         // monthly_charges
    (1_450.0, 1_500.0),   // total_charges
    (1.5, 1.2),           // num_support_calls
    (6.5, 6.5),           // last_login_days
    (0.0, 0.0),           // region
    (0.0, 0.0),           // plan
    (0.0, 0.0),           // device
    (0.0, 0.0),           // payment_method
    (0.8, 0.4),           // is_active
    (14.3, 9.5),          // avg_session_minutes
    (0.07, 0.09),         // discount_rate
];

const REGIONS: [&str; 5] = ["north", "south", "east", "west", "central"];
const REGION_WEIGHTS: [f64; 5] = [0.30, 0.25, 0.20, 0.15, 0.10];
const REGION_EFFECT: [f64; 5] = [0.0, 0.1, 0.0, -0.05, 0.0];
const PLANS: [&str; 4] = ["basic", "standard", "premium", "enterprise"];
const PLAN_WEIGHTS: [f64; 4] = [0.45, 0.30, 0.20, 0.05];
const PLAN_EFFECT: [f64; 4] = [0.3, 0.0, -0.2, -0.5];
/// Mean monthly charge per plan (normal, σ = 12, clipped to [18.25, 140]).
const PLAN_PRICE: [f64; 4] = [35.0, 60.0, 85.0, 105.0];
const DEVICES: [&str; 3] = ["mobile", "desktop", "tablet"];
const DEVICE_WEIGHTS: [f64; 3] = [0.55, 0.35, 0.10];
const DEVICE_EFFECT: [f64; 3] = [0.1, -0.1, 0.0];
const PAYMENTS: [&str; 4] = [
    "credit_card",
    "bank_transfer",
    "electronic_check",
    "mailed_check",
];
const PAYMENT_WEIGHTS: [f64; 4] = [0.40, 0.25, 0.25, 0.10];
const PAYMENT_EFFECT: [f64; 4] = [-0.15, -0.15, 0.5, 0.1];
const PRODUCT_WEIGHTS: [f64; 4] = [0.50, 0.30, 0.15, 0.05];

/// The columns of the scenario in baseline-CSV order: the model output `score` first, then
/// the 17 inputs in the order of the capture's input CSV.
pub fn features() -> Vec<Feature> {
    FEATURES.to_vec()
}

/// Index of the input column `name` (never the output column `score`).
fn input_column(name: &str) -> Option<usize> {
    FEATURES
        .iter()
        .position(|f| f.name == name)
        .filter(|&i| i != SCORE)
}

/// One kind of drift injected into an hour of capture.
///
/// `feature` names an input column of [`features`]; a drift naming an unknown column, or
/// the output column `score`, is ignored. Injected strings must not contain `,`.
#[derive(Clone, Debug, PartialEq)]
pub enum Drift {
    /// No drift.
    None,
    /// Population drift: every value of a numeric column moves by
    /// `shift_in_std × σ` (σ = the column's nominal standard deviation); Integral columns
    /// are rounded after the shift.
    NumericShift {
        /// Column name.
        feature: &'static str,
        /// Shift in units of the column's standard deviation.
        shift_in_std: f64,
    },
    /// Population drift: a fraction `share` of records carries a level never seen in the
    /// baseline.
    NewCategory {
        /// Column name.
        feature: &'static str,
        /// The new level.
        value: &'static str,
        /// Fraction of records, in [0, 1].
        share: f64,
    },
    /// Observation drift: a fraction `missing_share` of records has the column empty.
    MissingSpike {
        /// Column name.
        feature: &'static str,
        /// Fraction of records, in [0, 1].
        missing_share: f64,
    },
    /// Observation drift: a fraction `share` of records has [`CORRUPTION_TOKEN`] in a
    /// numeric column (its inferred type becomes String).
    TypeCorruption {
        /// Column name.
        feature: &'static str,
        /// Fraction of records, in [0, 1].
        share: f64,
    },
    /// Observation drift: every record reports the same value of an Integral column (an
    /// upstream outage fills in a default); the column stops explaining any prediction.
    StuckValue {
        /// Column name.
        feature: &'static str,
        /// The value every record carries.
        value: i64,
    },
}

impl Drift {
    /// The column this drift touches (`None` for [`Drift::None`]).
    pub fn feature(&self) -> Option<&'static str> {
        match self {
            Drift::None => None,
            Drift::NumericShift { feature, .. }
            | Drift::NewCategory { feature, .. }
            | Drift::MissingSpike { feature, .. }
            | Drift::TypeCorruption { feature, .. }
            | Drift::StuckValue { feature, .. } => Some(feature),
        }
    }
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::None => f.write_str("no drift"),
            Drift::NumericShift {
                feature,
                shift_in_std,
            } => write!(f, "{feature} shifted by {shift_in_std:+} std"),
            Drift::NewCategory {
                feature,
                value,
                share,
            } => write!(
                f,
                "new {feature} level {value:?} in {:.0}% of records",
                share * 100.0
            ),
            Drift::MissingSpike {
                feature,
                missing_share,
            } => write!(
                f,
                "{feature} missing in {:.0}% of records",
                missing_share * 100.0
            ),
            Drift::TypeCorruption { feature, share } => write!(
                f,
                "{feature} is {CORRUPTION_TOKEN:?} in {:.0}% of records",
                share * 100.0
            ),
            Drift::StuckValue { feature, value } => {
                write!(f, "{feature} stuck at {value} in every record")
            }
        }
    }
}

/// The drift of each hour (0-based) of a scenario of `hours` hours.
///
/// Hours `0..3` are clean (`[Drift::None]`). Then, one stage per hour:
/// 3: `monthly_charges` +1.5 std; 4: new `payment_method` `"digital_wallet"` in 25 %;
/// 5: `income` missing in 40 %; 6: `credit_score` `"N/A"` in 15 % together with `age`
/// +1.2 std; 7 and later: all four of hours 3–6's single drifts at once, and
/// `last_login_days` stuck at 7 in every record (an outage of the login tracker: the
/// model's strongest input stops separating customers, so the feature attributions
/// re-rank).
pub fn drift_plan(hours: usize) -> Vec<Vec<Drift>> {
    let shift = Drift::NumericShift {
        feature: "monthly_charges",
        shift_in_std: 1.5,
    };
    let new_category = Drift::NewCategory {
        feature: "payment_method",
        value: "digital_wallet",
        share: 0.25,
    };
    let missing = Drift::MissingSpike {
        feature: "income",
        missing_share: 0.4,
    };
    let corruption = Drift::TypeCorruption {
        feature: "credit_score",
        share: 0.15,
    };
    let stages = [
        vec![shift.clone()],
        vec![new_category.clone()],
        vec![missing.clone()],
        vec![
            corruption.clone(),
            Drift::NumericShift {
                feature: "age",
                shift_in_std: 1.2,
            },
        ],
        vec![
            shift,
            new_category,
            missing,
            corruption,
            Drift::StuckValue {
                feature: "last_login_days",
                value: 7,
            },
        ],
    ];
    (0..hours)
        .map(|h| match h.checked_sub(CLEAN_HOURS) {
            None => vec![Drift::None],
            Some(stage) => stages[stage.min(stages.len() - 1)].clone(),
        })
        .collect()
}

/// Capture hours (0-based) of a scenario of `hours` hours whose labels follow the drifted
/// concept: `CONCEPT_DRIFT_FROM..hours` (a concept drift lasts until the model is retrained).
pub fn concept_drift_hours(hours: usize) -> Vec<usize> {
    (CONCEPT_DRIFT_FROM..hours).collect()
}

/// The label of one inference, as SageMaker ground truth would carry it (spec §2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroundTruth {
    /// The capture record's `eventMetadata.inferenceId`.
    pub inference_id: String,
    /// The capture record's `eventMetadata.inferenceTime`, Unix seconds (UTC).
    pub inference_time_unix_secs: i64,
    /// 1 = the customer churned, 0 = stayed.
    pub label: u8,
    /// When the label is collected (uploaded), Unix seconds (UTC): the inference time plus a
    /// delay in [[`LABEL_DELAY_MIN_SECS`], [`LABEL_DELAY_MAX_SECS`]); `None` for the
    /// [`LABEL_LOSS_SHARE`] of labels that never arrive.
    pub collected_unix_secs: Option<i64>,
}

/// A reproducible demo: baseline, hourly capture and labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// Seed of every random draw.
    pub seed: u64,
    /// Rows of the baseline CSV.
    pub baseline_rows: usize,
    /// Rows of the model-quality validation CSV ([`Scenario::write_validation_csv`]).
    pub validation_rows: usize,
    /// Hours of capture.
    pub hours: usize,
    /// Inferences per hour.
    pub records_per_hour: usize,
    /// Records per capture file (the last file of an hour may hold fewer; 0 counts as 1).
    pub records_per_file: usize,
    /// Start of hour 0, Unix seconds (UTC); truncated to the hour.
    pub start_unix_secs: i64,
}

impl Default for Scenario {
    fn default() -> Self {
        Self::new(42)
    }
}

impl Scenario {
    /// The standard demo with `seed`: 20 000 baseline rows, 5 000 validation rows, 8 hours
    /// of 6 000 records in files of 2 000, starting 2026-11-01T00:00:00Z.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            baseline_rows: 20_000,
            validation_rows: 5_000,
            hours: 8,
            records_per_hour: 6_000,
            records_per_file: 2_000,
            start_unix_secs: DEFAULT_START_UNIX_SECS,
        }
    }

    /// The drift of every hour: `drift_plan(self.hours)`.
    pub fn drift_plan(&self) -> Vec<Vec<Drift>> {
        drift_plan(self.hours)
    }

    /// The hours whose labels follow the drifted concept: `concept_drift_hours(self.hours)`.
    pub fn concept_drift_hours(&self) -> Vec<usize> {
        concept_drift_hours(self.hours)
    }

    /// Start of capture hour `hour`, Unix seconds (UTC).
    pub fn hour_start(&self, hour: usize) -> i64 {
        self.start_unix_secs.div_euclid(3600) * 3600 + (hour as i64) * 3600
    }

    /// The capture folder of `hour`:
    /// `data-capture/{endpoint}/AllTraffic/{yyyy}/{mm}/{dd}/{HH}/` (spec §1.2).
    pub fn hour_prefix(&self, endpoint: &str, hour: usize) -> String {
        let t = Civil::from_unix(self.hour_start(hour));
        format!(
            "{CAPTURE_ROOT}/{endpoint}/{VARIANT}/{:04}/{:02}/{:02}/{:02}/",
            t.year, t.month, t.day, t.hour
        )
    }

    /// Writes the baseline training CSV: a header row, then `baseline_rows` clean rows,
    /// `score` first. Returns the number of data rows written.
    ///
    /// # Errors
    /// Any error of `w`.
    pub fn write_baseline_csv(&self, w: &mut impl Write) -> io::Result<u64> {
        let mut out = io::BufWriter::with_capacity(1 << 16, w);
        let header: Vec<&str> = FEATURES.iter().map(|f| f.name).collect();
        writeln!(out, "{}", header.join(","))?;
        let mut rng = Rng::stream(self.seed, STREAM_BASELINE, 0);
        let mut line = String::with_capacity(256);
        for _ in 0..self.baseline_rows {
            let mut row = sample_row(&mut rng);
            row[SCORE] = Cell::Frac(model_probability(&row));
            line.clear();
            write_cells(&mut line, &row, 0);
            line.push('\n');
            out.write_all(line.as_bytes())?;
        }
        out.flush()?;
        Ok(self.baseline_rows as u64)
    }

    /// Writes the model-quality validation CSV: a header `score,label`, then
    /// `validation_rows` clean rows (a hold-out set from before any drift, its own random
    /// stream): the model's score and a label drawn from the true probability of the row.
    /// Returns the number of data rows written.
    ///
    /// # Errors
    /// Any error of `w`.
    pub fn write_validation_csv(&self, w: &mut impl Write) -> io::Result<u64> {
        let mut out = io::BufWriter::with_capacity(1 << 16, w);
        writeln!(out, "score,label")?;
        let mut rng = Rng::stream(self.seed, STREAM_VALIDATION, 0);
        for _ in 0..self.validation_rows {
            let row = sample_row(&mut rng);
            let score = model_probability(&row);
            let label = u8::from(rng.unit() < true_probability(&row, 0));
            writeln!(out, "{score:.prec$},{label}", prec = DECIMALS[SCORE])?;
        }
        out.flush()?;
        Ok(self.validation_rows as u64)
    }

    /// Writes the labelled validation CSV of the bias baseline: the rows and labels of
    /// [`Scenario::write_validation_csv`] with every column: header
    /// `churn,score,{the 17 inputs}`, then `validation_rows` rows. Returns the number of data
    /// rows written.
    ///
    /// # Errors
    /// Any error of `w`.
    pub fn write_labeled_validation_csv(&self, w: &mut impl Write) -> io::Result<u64> {
        let mut out = io::BufWriter::with_capacity(1 << 16, w);
        let header: Vec<&str> = FEATURES.iter().map(|f| f.name).collect();
        writeln!(out, "churn,{}", header.join(","))?;
        let mut rng = Rng::stream(self.seed, STREAM_VALIDATION, 0);
        let mut line = String::with_capacity(256);
        for _ in 0..self.validation_rows {
            let mut row = sample_row(&mut rng);
            row[SCORE] = Cell::Frac(model_probability(&row));
            let label = u8::from(rng.unit() < true_probability(&row, 0));
            line.clear();
            let _ = write!(line, "{label},");
            write_cells(&mut line, &row, 0);
            line.push('\n');
            out.write_all(line.as_bytes())?;
        }
        out.flush()?;
        Ok(self.validation_rows as u64)
    }

    /// The capture files of `hour` with the drift of [`drift_plan`]; empty when
    /// `hour >= self.hours`.
    pub fn capture_files(&self, endpoint: &str, hour: usize) -> Vec<(String, Vec<u8>)> {
        match self.drift_plan().get(hour) {
            Some(drifts) => self.capture_files_with(endpoint, hour, drifts),
            None => Vec::new(),
        }
    }

    /// The capture files of `hour` with the given drifts, as `(key, JSON Lines bytes)`.
    ///
    /// Keys follow spec §1.2:
    /// `data-capture/{endpoint}/AllTraffic/{yyyy}/{mm}/{dd}/{HH}/{MM}-{SS}-{mmm}-{uuid4}.jsonl`,
    /// named after the file's first record. Each line is one SageMaker capture record
    /// (spec §1.3, key order as in live captures): CSV input of the 17 inputs (missing values
    /// are empty fields), CSV output of the score, `eventId` a UUID v4, `inferenceId` the
    /// decimal index of the inference since hour 0, `inferenceTime` within the hour.
    pub fn capture_files_with(
        &self,
        endpoint: &str,
        hour: usize,
        drifts: &[Drift],
    ) -> Vec<(String, Vec<u8>)> {
        self.files_of(endpoint, hour, self.hour_events(hour, drifts, None))
    }

    /// The capture files of `hour` (as [`Scenario::capture_files_with`]) with `drifts`
    /// applied only to the records whose categorical input `slice.0` is `slice.1`: a drift
    /// confined to one slice of the traffic. The model scores every record's observed values,
    /// so the `score` of a drifted record moves with its inputs.
    pub fn capture_files_in_slice(
        &self,
        endpoint: &str,
        hour: usize,
        drifts: &[Drift],
        slice: (&str, &str),
    ) -> Vec<(String, Vec<u8>)> {
        match input_column(slice.0) {
            Some(c) => self.files_of(
                endpoint,
                hour,
                self.hour_events(hour, drifts, Some((c, slice.1))),
            ),
            // an unknown column: no record is in the slice
            None => self.capture_files_with(endpoint, hour, &[]),
        }
    }

    /// The capture objects of `hour` holding `events`, [`Scenario::records_per_file`] each.
    fn files_of(&self, endpoint: &str, hour: usize, events: Vec<Event>) -> Vec<(String, Vec<u8>)> {
        let mut meta = Rng::stream(self.seed, STREAM_FILES, hour as u64);
        let prefix = self.hour_prefix(endpoint, hour);
        let mut scratch = String::with_capacity(256);
        events
            .chunks(self.records_per_file.max(1))
            .map(|chunk| {
                let first = Civil::from_unix(chunk.first().map_or(0, |e| e.time));
                let key = format!(
                    "{prefix}{:02}-{:02}-{:03}-{}.jsonl",
                    first.minute,
                    first.second,
                    meta.below(1000),
                    Uuid::random(&mut meta)
                );
                let mut body = String::with_capacity(chunk.len() * 480);
                for event in chunk {
                    push_capture_record(&mut body, &mut scratch, event);
                }
                (key, body.into_bytes())
            })
            .collect()
    }

    /// The label of every inference of `hour` (drift of [`drift_plan`]), in inference
    /// order; empty when `hour >= self.hours`.
    pub fn ground_truth(&self, hour: usize) -> Vec<GroundTruth> {
        match self.drift_plan().get(hour) {
            Some(drifts) => self.ground_truth_with(hour, drifts),
            None => Vec::new(),
        }
    }

    /// The label of every inference of `hour` generated with `drifts`: 1 with probability
    /// [`true_probability`] of the record's true values, drawn from a uniform keyed by
    /// `(seed, inference id)` so that a label never depends on generation order. Whether and
    /// when it is collected comes from two more uniforms keyed the same way.
    pub fn ground_truth_with(&self, hour: usize, drifts: &[Drift]) -> Vec<GroundTruth> {
        self.hour_events(hour, drifts, None)
            .into_iter()
            .map(|e| GroundTruth {
                inference_id: e.inference_id.to_string(),
                inference_time_unix_secs: e.time,
                label: u8::from(keyed_uniform(self.seed, STREAM_LABELS, e.inference_id) < e.p_true),
                collected_unix_secs: label_collection_time(self.seed, e.inference_id, e.time),
            })
            .collect()
    }

    /// The ground-truth folder of scenario hour `hour` (the label *collection* hour, spec
    /// §2.1): `ground-truth/{endpoint}/{yyyy}/{mm}/{dd}/{HH}/`.
    pub fn ground_truth_hour_prefix(&self, endpoint: &str, hour: usize) -> String {
        let t = Civil::from_unix(self.hour_start(hour));
        format!(
            "{GROUND_TRUTH_ROOT}/{endpoint}/{:04}/{:02}/{:02}/{:02}/",
            t.year, t.month, t.day, t.hour
        )
    }

    /// The hours (0-based, counted like capture hours) in which some label may be collected:
    /// from `LABEL_DELAY_MIN_SECS / 3600` (2) to `hours + 2` inclusive; empty without capture.
    pub fn label_collection_hours(&self) -> std::ops::Range<usize> {
        if self.hours == 0 {
            return 0..0;
        }
        let first = (LABEL_DELAY_MIN_SECS / 3600) as usize;
        // an inference at the last second of hour h, delayed just under the maximum
        let last = ((3599 + LABEL_DELAY_MAX_SECS - 1) / 3600) as usize + self.hours - 1;
        first..last + 1
    }

    /// The ground-truth objects uploaded during scenario hour `hour`, as `(key, JSON Lines
    /// bytes)` in upload order.
    ///
    /// Each label collected in `[hour start, hour end)` (see
    /// [`GroundTruth::collected_unix_secs`]; labels come from the inference hours 2–3 hours
    /// earlier, with the concept and input drift of their hour) goes into the batch of
    /// [`LABEL_BATCH_SECS`] it was collected in. Keys follow spec §2.1:
    /// `ground-truth/{endpoint}/{yyyy}/{mm}/{dd}/{HH}/{MM}{SS}.jsonl` with `HH` the collection
    /// hour and `MMSS` the batch start. Records, in collection order:
    /// `{"groundTruthData":{"data":"1","encoding":"CSV"},"eventMetadata":{"eventId":"<inferenceId>"},"eventVersion":"0"}`.
    pub fn ground_truth_files(&self, endpoint: &str, hour: usize) -> Vec<(String, Vec<u8>)> {
        let start = self.hour_start(hour);
        let end = start + 3600;
        let mut labels: Vec<(i64, GroundTruth)> = Vec::new();
        for h in 0..self.hours {
            let first = self.hour_start(h) + LABEL_DELAY_MIN_SECS;
            let last = self.hour_start(h) + 3599 + LABEL_DELAY_MAX_SECS;
            if first >= end || last < start {
                continue;
            }
            labels.extend(self.ground_truth(h).into_iter().filter_map(|g| {
                g.collected_unix_secs
                    .filter(|t| (start..end).contains(t))
                    .map(|t| (t, g))
            }));
        }
        // stable: equal collection times keep inference order
        labels.sort_by_key(|(t, _)| *t);
        let prefix = self.ground_truth_hour_prefix(endpoint, hour);
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        let mut current_batch = None;
        for (t, g) in labels {
            let batch = (t - start) / LABEL_BATCH_SECS;
            if current_batch != Some(batch) {
                current_batch = Some(batch);
                let b = Civil::from_unix(start + batch * LABEL_BATCH_SECS);
                files.push((
                    format!("{prefix}{:02}{:02}.jsonl", b.minute, b.second),
                    Vec::new(),
                ));
            }
            if let Some((_, body)) = files.last_mut() {
                let line = format!(
                    r#"{{"groundTruthData":{{"data":"{}","encoding":"CSV"}},"eventMetadata":{{"eventId":"{}"}},"eventVersion":"0"}}"#,
                    g.label, g.inference_id
                );
                body.extend_from_slice(line.as_bytes());
                body.push(b'\n');
            }
        }
        files
    }

    /// The records of `hour`, in time order; with `only = Some((column, level))` the drifts
    /// touch only the records whose categorical `column` is `level` (the others draw the
    /// same uniforms, so the drift streams stay aligned).
    fn hour_events(
        &self,
        hour: usize,
        drifts: &[Drift],
        only: Option<(usize, &str)>,
    ) -> Vec<Event> {
        let n = self.records_per_hour;
        let start = self.hour_start(hour);
        let first_id = (hour as u64).saturating_mul(n as u64);
        let resolved: Vec<(usize, &Drift)> = drifts
            .iter()
            .filter_map(|d| d.feature().and_then(input_column).map(|c| (c, d)))
            .collect();
        let mut rows = Rng::stream(self.seed, STREAM_ROWS, hour as u64);
        let mut drift_rng = Rng::stream(self.seed, STREAM_DRIFT, hour as u64);
        let mut meta = Rng::stream(self.seed, STREAM_EVENTS, hour as u64);
        (0..n)
            .map(|i| {
                let mut row = sample_row(&mut rows);
                let in_slice =
                    only.is_none_or(|(c, level)| matches!(row[c], Cell::Cat(v) if v == level));
                let mut drifted = row;
                apply_population_drift(&mut drifted, &resolved, &mut drift_rng);
                if in_slice {
                    row = drifted;
                }
                let p_true = true_probability(&row, hour);
                let mut observed = row;
                apply_observation_drift(&mut observed, &resolved, &mut drift_rng);
                if in_slice {
                    row = observed;
                }
                let score = model_probability(&row);
                row[SCORE] = Cell::Frac(score);
                // Arrival times spread evenly over the hour with jitter: strictly inside
                // the hour and non-decreasing.
                let offset = ((i as f64 + meta.unit()) * 3600.0 / n as f64) as i64;
                Event {
                    inference_id: first_id + i as u64,
                    time: start + offset.clamp(0, 3599),
                    event_id: Uuid::random(&mut meta),
                    row,
                    p_true,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    const ENDPOINT: &str = "churn-endpoint";

    /// A smaller scenario for tests that do not need the full size.
    fn small(seed: u64) -> Scenario {
        Scenario {
            baseline_rows: 5_000,
            records_per_hour: 3_000,
            records_per_file: 1_000,
            ..Scenario::new(seed)
        }
    }

    fn baseline(s: &Scenario) -> String {
        let mut out = Vec::new();
        s.write_baseline_csv(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Baseline data rows split into fields (header skipped).
    fn baseline_rows(s: &Scenario) -> Vec<Vec<String>> {
        baseline(s)
            .lines()
            .skip(1)
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect()
    }

    /// One parsed capture record: score first, then the input fields (baseline order).
    struct Parsed {
        fields: Vec<String>,
        inference_id: String,
        inference_time: String,
        event_id: String,
    }

    fn parse_files(files: &[(String, Vec<u8>)]) -> Vec<Parsed> {
        let mut out = Vec::new();
        for (_, bytes) in files {
            let text = std::str::from_utf8(bytes).unwrap();
            assert!(text.ends_with('\n'));
            for line in text.lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let input = &v["captureData"]["endpointInput"];
                let output = &v["captureData"]["endpointOutput"];
                let meta = &v["eventMetadata"];
                let mut fields = vec![output["data"].as_str().unwrap().to_string()];
                fields.extend(
                    input["data"]
                        .as_str()
                        .unwrap()
                        .split(',')
                        .map(str::to_string),
                );
                out.push(Parsed {
                    fields,
                    inference_id: meta["inferenceId"].as_str().unwrap().to_string(),
                    inference_time: meta["inferenceTime"].as_str().unwrap().to_string(),
                    event_id: meta["eventId"].as_str().unwrap().to_string(),
                });
            }
        }
        out
    }

    fn column(records: &[Parsed], col: usize) -> Vec<&str> {
        records.iter().map(|r| r.fields[col].as_str()).collect()
    }

    fn col(name: &str) -> usize {
        FEATURES.iter().position(|f| f.name == name).unwrap()
    }

    fn mean(xs: &[f64]) -> f64 {
        xs.iter().sum::<f64>() / xs.len() as f64
    }

    fn std_dev(xs: &[f64]) -> f64 {
        let m = mean(xs);
        (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64).sqrt()
    }

    fn numbers(values: &[&str]) -> Vec<f64> {
        values.iter().filter_map(|v| v.parse().ok()).collect()
    }

    /// Deequ's type classes (spec §3.6), by hand: Integral `-?\d+`, Fractional `-?\d+\.\d+`.
    fn is_integral(v: &str) -> bool {
        let digits = v.strip_prefix('-').unwrap_or(v);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    }

    fn is_fractional(v: &str) -> bool {
        match v.split_once('.') {
            Some((int, dec)) => is_integral(int) && !dec.is_empty() && is_integral(dec),
            None => false,
        }
    }

    fn assert_typed(col: usize, v: &str) {
        let f = FEATURES[col];
        match f.kind {
            Kind::Integral => assert!(is_integral(v), "{}: {v:?}", f.name),
            Kind::Fractional => assert!(is_fractional(v), "{}: {v:?}", f.name),
            Kind::Categorical => assert!(
                !v.is_empty() && v.parse::<f64>().is_err() && v != "true" && v != "false",
                "{}: {v:?}",
                f.name
            ),
        }
    }

    #[test]
    fn features_are_mixed_with_score_first() {
        let fs = features();
        assert!(fs.len() >= 15);
        assert_eq!(fs[0], feature("score", Kind::Fractional));
        for kind in [Kind::Integral, Kind::Fractional, Kind::Categorical] {
            assert!(
                fs.iter().filter(|f| f.kind == kind).count() >= 4,
                "{kind:?}"
            );
        }
        let names: BTreeSet<_> = fs.iter().map(|f| f.name).collect();
        assert_eq!(names.len(), fs.len(), "names are unique");
        for f in &fs {
            assert!(f.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let a = small(7);
        let b = small(7);
        assert_eq!(baseline(&a), baseline(&b));
        for hour in [0, 5, 7] {
            assert_eq!(
                a.capture_files(ENDPOINT, hour),
                b.capture_files(ENDPOINT, hour)
            );
            assert_eq!(a.ground_truth(hour), b.ground_truth(hour));
        }
        let c = small(8);
        assert_ne!(baseline(&a), baseline(&c));
        assert_ne!(a.capture_files(ENDPOINT, 0), c.capture_files(ENDPOINT, 0));
        // Hours are independent streams: hour 1 is not hour 0 again.
        let h0 = parse_files(&a.capture_files(ENDPOINT, 0));
        let h1 = parse_files(&a.capture_files(ENDPOINT, 1));
        assert_ne!(h0[0].fields, h1[0].fields);
    }

    #[test]
    fn baseline_has_header_row_count_and_types() {
        let s = Scenario::new(42);
        let text = baseline(&s);
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            "score,age,income,tenure_months,num_products,balance,credit_score,\
             monthly_charges,total_charges,num_support_calls,last_login_days,region,plan,\
             device,payment_method,is_active,avg_session_minutes,discount_rate"
        );
        let mut sink = Vec::new();
        assert_eq!(s.write_baseline_csv(&mut sink).unwrap(), 20_000);
        let rows: Vec<_> = lines.collect();
        assert_eq!(rows.len(), 20_000);
        for row in rows {
            let fields: Vec<_> = row.split(',').collect();
            assert_eq!(fields.len(), N_COLS, "{row}");
            for (c, v) in fields.iter().enumerate() {
                assert_typed(c, v);
            }
        }
    }

    #[test]
    fn baseline_distributions_are_plausible() {
        let rows = baseline_rows(&Scenario::new(42));
        let get = |name: &str| -> Vec<f64> {
            rows.iter().map(|r| r[col(name)].parse().unwrap()).collect()
        };
        let score = get("score");
        assert!(score.iter().all(|p| *p > 0.0 && *p < 1.0));
        let churn = mean(&score);
        assert!((0.1..0.4).contains(&churn), "mean score {churn}");
        // Nominal moments used for imputation and shifts are close to the sample's.
        for (c, f) in FEATURES.iter().enumerate() {
            if f.kind == Kind::Categorical {
                continue;
            }
            let name = f.name;
            let xs = get(name);
            let (m, sd) = NOMINAL[c];
            assert!(
                (mean(&xs) - m).abs() < 0.1 * sd,
                "{name} mean {}",
                mean(&xs)
            );
            let ratio = std_dev(&xs) / sd;
            assert!((0.8..1.2).contains(&ratio), "{name} std ratio {ratio}");
        }
        let zero_balance = get("balance").iter().filter(|b| **b == 0.0).count();
        assert!((5_400..6_600).contains(&zero_balance), "{zero_balance}");
        // The most frequent region is the heaviest-weighted one.
        let mut regions: BTreeMap<&str, usize> = BTreeMap::new();
        for r in &rows {
            *regions.entry(r[col("region")].as_str()).or_default() += 1;
        }
        assert_eq!(regions.len(), REGIONS.len());
        assert_eq!(regions.iter().max_by_key(|(_, n)| **n).unwrap().0, &"north");
    }

    #[test]
    fn capture_keys_follow_sagemaker_layout() {
        let s = Scenario::new(42);
        assert_eq!(s.hour_start(0), DEFAULT_START_UNIX_SECS);
        for hour in [0, 7] {
            let files = s.capture_files(ENDPOINT, hour);
            assert_eq!(files.len(), 3, "6000 records in files of 2000");
            let folder = format!("data-capture/churn-endpoint/AllTraffic/2026/11/01/{hour:02}/");
            assert_eq!(s.hour_prefix(ENDPOINT, hour), folder);
            let mut uuids = BTreeSet::new();
            for (key, _) in &files {
                let name = key.strip_prefix(&folder).unwrap();
                let stem = name.strip_suffix(".jsonl").unwrap();
                let (mm, rest) = stem.split_at(2);
                let (ss, rest) = rest[1..].split_at(2);
                let (ms, uuid) = rest[1..].split_at(3);
                assert!(mm.parse::<u32>().unwrap() < 60, "{key}");
                assert!(ss.parse::<u32>().unwrap() < 60, "{key}");
                assert!(ms.parse::<u32>().unwrap() < 1000, "{key}");
                assert_eq!(&stem[2..3], "-");
                assert_eq!(&stem[5..6], "-");
                let uuid = uuid.strip_prefix('-').unwrap();
                assert_uuid_v4(uuid);
                assert!(uuids.insert(uuid.to_string()));
            }
        }
        // Past the end of the scenario: nothing.
        assert!(s.capture_files(ENDPOINT, 8).is_empty());
        assert!(s.ground_truth(8).is_empty());
    }

    fn assert_uuid_v4(u: &str) {
        assert_eq!(u.len(), 36, "{u}");
        for (i, b) in u.bytes().enumerate() {
            if [8, 13, 18, 23].contains(&i) {
                assert_eq!(b, b'-', "{u}");
            } else {
                assert!(b.is_ascii_digit() || (b'a'..=b'f').contains(&b), "{u}");
            }
        }
        assert_eq!(&u[14..15], "4", "version of {u}");
        assert!("89ab".contains(&u[19..20]), "variant of {u}");
    }

    #[test]
    fn capture_records_have_sagemaker_shape() {
        // The key structure of a real capture record (EX model-quality notebook output).
        let fixture = std::fs::read_to_string(format!(
            "{}/tests/fixtures/sagemaker/data-capture/ex-mq-churn-endpoint-capture-csv-inferenceid-2021-02-05.jsonl",
            std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned())
        ))
        .unwrap();
        let real: serde_json::Value =
            serde_json::from_str(fixture.lines().next().unwrap()).unwrap();

        let s = Scenario::new(42);
        let hour = 3;
        let files = s.capture_files(ENDPOINT, hour);
        let (first_key, first_bytes) = &files[0];
        let first_line = std::str::from_utf8(first_bytes)
            .unwrap()
            .lines()
            .next()
            .unwrap();
        let ours: serde_json::Value = serde_json::from_str(first_line).unwrap();
        assert_eq!(key_paths(&ours), key_paths(&real));
        for side in ["endpointInput", "endpointOutput"] {
            for field in ["observedContentType", "mode", "encoding"] {
                assert_eq!(
                    ours["captureData"][side][field],
                    real["captureData"][side][field]
                );
            }
        }
        assert_eq!(ours["eventVersion"], real["eventVersion"]);

        let records = parse_files(&files);
        assert_eq!(records.len(), 6_000);
        for (f, (_, bytes)) in files.iter().enumerate() {
            assert_eq!(
                bytes.iter().filter(|b| **b == b'\n').count(),
                2_000,
                "file {f}"
            );
        }
        let start = format_timestamp(s.hour_start(hour));
        let end = format_timestamp(s.hour_start(hour + 1));
        let mut event_ids = BTreeSet::new();
        for (i, r) in records.iter().enumerate() {
            assert_eq!(r.fields.len(), N_COLS, "score + 17 inputs");
            assert_eq!(r.inference_id, (hour * 6_000 + i).to_string());
            assert!(r.inference_time >= start && r.inference_time < end);
            assert_eq!(r.inference_time.len(), "2026-11-01T03:00:00Z".len());
            if i > 0 {
                assert!(records[i - 1].inference_time <= r.inference_time);
            }
            assert_uuid_v4(&r.event_id);
            assert!(event_ids.insert(r.event_id.clone()));
            let p: f64 = r.fields[SCORE].parse().unwrap();
            assert!(p > 0.0 && p < 1.0);
        }
        // The file is named after its first record's minute and second.
        let t = &records[0].inference_time;
        let name = first_key.rsplit('/').next().unwrap();
        assert_eq!(&name[..5], format!("{}-{}", &t[14..16], &t[17..19]));
    }

    /// Every key path of a JSON value, in document order.
    fn key_paths(v: &serde_json::Value) -> Vec<String> {
        fn walk(v: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
            if let Some(map) = v.as_object() {
                for (k, child) in map {
                    let path = format!("{prefix}/{k}");
                    out.push(path.clone());
                    walk(child, &path, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(v, "", &mut out);
        out
    }

    #[test]
    fn clean_hours_are_typed_and_inside_the_baseline_domains() {
        // Integral and categorical values of clean hours all occur in the baseline, so a
        // suggested `domains` constraint (spec §4.2) raises no false alarm; checked on
        // several seeds because the guarantee comes from the distributions, not luck.
        for seed in [42, 1, 2] {
            let s = Scenario::new(seed);
            let rows = baseline_rows(&s);
            for (hour, drifts) in s.drift_plan().iter().enumerate().take(CLEAN_HOURS) {
                assert_eq!(drifts, &[Drift::None]);
                let records = parse_files(&s.capture_files(ENDPOINT, hour));
                for (c, f) in FEATURES.iter().enumerate() {
                    let seen: BTreeSet<&str> = rows.iter().map(|r| r[c].as_str()).collect();
                    for v in column(&records, c) {
                        assert_typed(c, v);
                        if f.kind != Kind::Fractional {
                            assert!(seen.contains(v), "seed {seed} hour {hour} {}={v}", f.name);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn margin_weights_are_the_models_slopes() {
        let mut rng = Rng::stream(1, STREAM_BASELINE, 0);
        let row = sample_row(&mut rng);
        for (name, w) in margin_weights() {
            let col = input_column(name).unwrap();
            let mut moved = row;
            moved[col] = match row[col] {
                Cell::Int(v) => Cell::Frac(v as f64 + 1.0),
                Cell::Frac(v) => Cell::Frac(v + 1.0),
                other => panic!("{name}: {other:?}"),
            };
            let slope = model_eta(&moved) - model_eta(&row);
            assert!((slope - w).abs() < 1e-9, "{name}: {slope} vs {w}");
        }
    }

    #[test]
    fn drift_plan_covers_every_kind_after_clean_hours() {
        let plan = drift_plan(8);
        assert_eq!(plan.len(), 8);
        assert!(plan[..3].iter().all(|h| h == &[Drift::None]));
        let kinds = |h: &[Drift]| -> BTreeSet<&str> {
            h.iter()
                .map(|d| match d {
                    Drift::None => "none",
                    Drift::NumericShift { .. } => "shift",
                    Drift::NewCategory { .. } => "category",
                    Drift::MissingSpike { .. } => "missing",
                    Drift::TypeCorruption { .. } => "type",
                    Drift::StuckValue { .. } => "stuck",
                })
                .collect()
        };
        for hour in &plan[3..] {
            assert!(!kinds(hour).contains("none"));
            for d in hour {
                assert!(input_column(d.feature().unwrap()).is_some(), "{d}");
            }
        }
        let all: BTreeSet<_> = plan[3..].iter().flat_map(|h| kinds(h)).collect();
        assert_eq!(
            all,
            BTreeSet::from(["shift", "category", "missing", "type", "stuck"])
        );
        assert!(
            plan.iter().any(|h| h.len() >= 2),
            "some drifts are combined"
        );
        // Longer scenarios keep the last stage; shorter ones are clean.
        assert_eq!(drift_plan(12)[11], plan[7]);
        assert_eq!(drift_plan(2), vec![vec![Drift::None]; 2]);
        assert_eq!(plan[5][0].to_string(), "income missing in 40% of records");
    }

    /// Records of each hour of the default scenario, plus the baseline rows.
    fn full_run() -> (Scenario, Vec<Vec<String>>, Vec<Vec<Parsed>>) {
        let s = Scenario::new(42);
        let rows = baseline_rows(&s);
        let hours = (0..s.hours)
            .map(|h| parse_files(&s.capture_files(ENDPOINT, h)))
            .collect();
        (s, rows, hours)
    }

    #[test]
    fn drift_hours_differ_measurably_from_clean_hours() {
        let (s, rows, hours) = full_run();
        let plan = s.drift_plan();
        let baseline_numbers =
            |c: usize| -> Vec<f64> { rows.iter().map(|r| r[c].parse().unwrap()).collect() };
        for (hour, records) in hours.iter().enumerate() {
            for drift in &plan[hour] {
                let Some(c) = drift.feature().and_then(input_column) else {
                    continue;
                };
                let values = column(records, c);
                let n = values.len() as f64;
                match *drift {
                    Drift::NumericShift { shift_in_std, .. } => {
                        let base = baseline_numbers(c);
                        let moved = (mean(&numbers(&values)) - mean(&base)) / std_dev(&base);
                        assert!(moved >= 1.0, "hour {hour} {drift}: moved {moved} std");
                        assert!(moved <= shift_in_std * 1.2);
                    }
                    Drift::NewCategory { value, share, .. } => {
                        let hits = values.iter().filter(|v| **v == value).count() as f64;
                        assert!((hits / n - share).abs() < 0.03, "hour {hour}: {hits}");
                    }
                    Drift::MissingSpike { missing_share, .. } => {
                        let missing = values.iter().filter(|v| v.is_empty()).count() as f64;
                        assert!(missing / n >= 0.3, "hour {hour}: {missing}");
                        assert!((missing / n - missing_share).abs() < 0.03);
                    }
                    Drift::TypeCorruption { share, .. } => {
                        let bad = values.iter().filter(|v| **v == CORRUPTION_TOKEN).count();
                        assert!((bad as f64 / n - share).abs() < 0.03, "hour {hour}: {bad}");
                        // The rest still parse: only the injected token breaks the type.
                        assert!(values
                            .iter()
                            .filter(|v| **v != CORRUPTION_TOKEN)
                            .all(|v| is_integral(v)));
                    }
                    Drift::StuckValue { value, .. } => {
                        let text = value.to_string();
                        assert!(values.iter().all(|v| **v == text), "hour {hour}: {drift}");
                    }
                    Drift::None => {}
                }
            }
        }
        // Each injected artefact appears only in the hours whose plan has it.
        let pay = col("payment_method");
        let income = col("income");
        let credit = col("credit_score");
        for (hour, records) in hours.iter().enumerate() {
            let has = |pred: &dyn Fn(&Drift) -> bool| plan[hour].iter().any(pred);
            let new_level = column(records, pay).contains(&"digital_wallet");
            assert_eq!(
                new_level,
                has(&|d| matches!(d, Drift::NewCategory { .. })),
                "hour {hour}"
            );
            let any_missing = records
                .iter()
                .any(|r| r.fields.iter().any(String::is_empty));
            assert_eq!(
                any_missing,
                has(&|d| matches!(d, Drift::MissingSpike { .. })),
                "hour {hour}"
            );
            assert_eq!(
                column(records, income).contains(&""),
                any_missing,
                "only income goes missing"
            );
            let corrupted = column(records, credit).contains(&CORRUPTION_TOKEN);
            assert_eq!(
                corrupted,
                has(&|d| matches!(d, Drift::TypeCorruption { .. })),
                "hour {hour}"
            );
        }
        assert!(column(&hours[4], pay).contains(&"digital_wallet"));
        assert!(!rows.iter().any(|r| r[pay] == "digital_wallet"));
    }

    #[test]
    fn drift_touches_only_its_columns_and_the_score() {
        let s = small(3);
        let hour = 7;
        let clean = parse_files(&s.capture_files_with(ENDPOINT, hour, &[]));
        let drifted = parse_files(&s.capture_files(ENDPOINT, hour));
        let touched: BTreeSet<usize> = s.drift_plan()[hour]
            .iter()
            .filter_map(|d| d.feature().and_then(input_column))
            .collect();
        assert_eq!(touched.len(), 5);
        assert_eq!(clean.len(), drifted.len());
        let mut score_changed = 0;
        for (a, b) in clean.iter().zip(&drifted) {
            assert_eq!(a.inference_id, b.inference_id);
            assert_eq!(a.inference_time, b.inference_time);
            assert_eq!(a.event_id, b.event_id);
            for (c, f) in FEATURES.iter().enumerate().skip(1) {
                if !touched.contains(&c) {
                    assert_eq!(a.fields[c], b.fields[c], "{}", f.name);
                }
            }
            score_changed += usize::from(a.fields[SCORE] != b.fields[SCORE]);
        }
        assert!(score_changed > clean.len() / 2, "{score_changed}");
        // Drift::None and an empty plan are the same thing.
        assert_eq!(
            s.capture_files_with(ENDPOINT, 1, &[]),
            s.capture_files_with(ENDPOINT, 1, &[Drift::None])
        );
    }

    #[test]
    fn ground_truth_pairs_with_capture_and_follows_the_score() {
        let s = Scenario::new(42);
        let hour = 1;
        let records = parse_files(&s.capture_files(ENDPOINT, hour));
        let labels = s.ground_truth(hour);
        assert_eq!(labels.len(), records.len());
        let mut by_label = [Vec::new(), Vec::new()];
        for (r, gt) in records.iter().zip(&labels) {
            assert_eq!(r.inference_id, gt.inference_id);
            assert_eq!(
                r.inference_time,
                format_timestamp(gt.inference_time_unix_secs)
            );
            by_label[usize::from(gt.label)].push(r.fields[SCORE].parse::<f64>().unwrap());
        }
        // Clean hour: labels are Bernoulli(score), so the positive rate matches the mean
        // score (binomial σ ≈ √(0.2·0.8/6000) ≈ 0.005) and positives score higher.
        let scores: Vec<f64> = by_label.iter().flatten().copied().collect();
        let rate = by_label[1].len() as f64 / labels.len() as f64;
        assert!(
            (rate - mean(&scores)).abs() < 0.025,
            "{rate} vs {}",
            mean(&scores)
        );
        assert!(mean(&by_label[1]) > mean(&by_label[0]) + 0.1);
        // A label depends only on (seed, inference id, true values): the missing-value
        // spike of hour 5 hides inputs from the model but not from reality.
        let clean = s.ground_truth_with(5, &[]);
        assert_eq!(s.ground_truth(5), clean);
    }

    #[test]
    fn full_default_scenario_sizes() {
        // 20k baseline rows + 8 hours × 6k records, as `modelwatch demo` writes them.
        let s = Scenario::default();
        let mut sink = std::io::sink();
        assert_eq!(s.write_baseline_csv(&mut sink).unwrap(), 20_000);
        let mut records = 0;
        let mut files = 0;
        for hour in 0..s.hours {
            for (_, bytes) in s.capture_files("demo", hour) {
                files += 1;
                records += bytes.iter().filter(|b| **b == b'\n').count();
            }
        }
        assert_eq!((files, records), (24, 48_000));
    }

    #[test]
    fn timestamps_and_start_alignment() {
        // `date -u -d @1234567890 +%FT%TZ` and `date -u -d @951827696 +%FT%TZ`
        assert_eq!(format_timestamp(1_234_567_890), "2009-02-13T23:31:30Z");
        assert_eq!(format_timestamp(951_827_696), "2000-02-29T12:34:56Z");
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_timestamp(-1), "1969-12-31T23:59:59Z");
        // python3: (date(2026,11,1) - date(1970,1,1)).days * 86400
        assert_eq!(DEFAULT_START_UNIX_SECS, 1_793_491_200);
        let s = Scenario {
            start_unix_secs: DEFAULT_START_UNIX_SECS + 23 * 3600 + 1234,
            ..small(1)
        };
        assert_eq!(s.hour_start(0), DEFAULT_START_UNIX_SECS + 23 * 3600);
        assert_eq!(
            s.hour_prefix("e", 1),
            "data-capture/e/AllTraffic/2026/11/02/00/"
        );
    }

    #[test]
    fn prng_is_the_reference_xoshiro() {
        // First outputs of Vigna's reference splitmix64.c from state x = 0
        // (https://prng.di.unimi.it/splitmix64.c): e220a8397b1dcdaf, 6e789e6aa1b965f4.
        let mut sm = SplitMix64(0);
        assert_eq!(sm.next(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(sm.next(), 0x6e78_9e6a_a1b9_65f4);
        // xoshiro256** from state [1, 2, 3, 4]: the first outputs of the `reference` test of
        // rust-random/rngs `rand_xoshiro/src/xoshiro256starstar.rs` ("produced with the
        // reference implementation").
        let mut rng = Rng {
            s: [1, 2, 3, 4],
            spare_normal: None,
        };
        let got: Vec<u64> = (0..4).map(|_| rng.next_u64()).collect();
        assert_eq!(got, [11_520, 0, 1_509_978_240, 1_215_971_899_390_074_240]);
    }

    /// AUC of `scores` against 0/1 `labels`: the Mann–Whitney statistic with average ranks
    /// for ties, `(Σ ranks of positives − n₊(n₊+1)/2) / (n₊·n₋)` (Hanley & McNeil 1982).
    fn auc(scores: &[f64], labels: &[u8]) -> f64 {
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
        let mut ranks = vec![0.0; scores.len()];
        let mut i = 0;
        while i < order.len() {
            let mut j = i;
            while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
                j += 1;
            }
            let avg = (i + j) as f64 / 2.0 + 1.0;
            for k in &order[i..=j] {
                ranks[*k] = avg;
            }
            i = j + 1;
        }
        let pos = labels.iter().filter(|l| **l == 1).count() as f64;
        let neg = labels.len() as f64 - pos;
        let rank_sum: f64 = labels
            .iter()
            .zip(&ranks)
            .filter(|(l, _)| **l == 1)
            .map(|(_, r)| r)
            .sum();
        (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
    }

    /// (accuracy at threshold 0.5 with `score > 0.5` → 1, AUC, positive rate) of an hour's
    /// scores against its labels.
    fn quality(s: &Scenario, hour: usize, drifts: &[Drift]) -> (f64, f64, f64) {
        let records = parse_files(&s.capture_files_with(ENDPOINT, hour, drifts));
        let labels: Vec<u8> = s
            .ground_truth_with(hour, drifts)
            .iter()
            .map(|g| g.label)
            .collect();
        let scores: Vec<f64> = records
            .iter()
            .map(|r| r.fields[SCORE].parse().unwrap())
            .collect();
        let right = scores
            .iter()
            .zip(&labels)
            .filter(|(p, l)| u8::from(**p > 0.5) == **l)
            .count();
        let n = labels.len() as f64;
        let positives = labels.iter().filter(|l| **l == 1).count() as f64;
        (right as f64 / n, auc(&scores, &labels), positives / n)
    }

    #[test]
    fn concept_drift_degrades_the_model_from_its_hour_on_with_the_same_inputs() {
        let s = Scenario::new(42);
        assert_eq!(s.concept_drift_hours(), vec![5, 6, 7]);
        assert_eq!(concept_drift_hours(4), Vec::<usize>::new());
        // Capture bytes do not depend on the concept: hour 5 without input drift is generated
        // exactly like a clean hour (same streams), only its labels differ.
        let clean: Vec<_> = (0..CONCEPT_DRIFT_FROM)
            .map(|h| quality(&s, h, &[]))
            .collect();
        let drifted: Vec<_> = (CONCEPT_DRIFT_FROM..s.hours)
            .map(|h| quality(&s, h, &[]))
            .collect();
        // Clean hours: labels are Bernoulli(score) — accuracy ≈ E[max(p, 1−p)] ≈ 0.80 and
        // AUC ≈ 0.84 on this population (measured: 0.795–0.806 and 0.834–0.847).
        for (acc, auc, _) in &clean {
            assert!((0.78..0.83).contains(acc), "{acc}");
            assert!((0.82..0.87).contains(auc), "{auc}");
        }
        // Concept drift: accuracy drops by more than 0.1 and AUC to near chance, while the
        // churn rate stays in the same range (the label *relationship* changed, not the base
        // rate).
        for ((acc, auc, rate), (clean_acc, clean_auc, clean_rate)) in drifted.iter().zip(&clean) {
            assert!(acc + 0.1 < *clean_acc, "accuracy {acc} vs {clean_acc}");
            assert!(
                *auc < 0.62 && auc + 0.2 < *clean_auc,
                "auc {auc} vs {clean_auc}"
            );
            assert!(
                (rate - clean_rate).abs() < 0.06,
                "rate {rate} vs {clean_rate}"
            );
        }
        // What the model sees is unchanged: the mean score of a concept-drift hour without
        // input drift is that of a clean hour (σ of a mean of 6000 scores ≈ 0.26/√6000 ≈ 0.003).
        let mean_score = |h: usize| {
            let records = parse_files(&s.capture_files_with(ENDPOINT, h, &[]));
            mean(&numbers(&column(&records, SCORE)))
        };
        assert!((mean_score(CONCEPT_DRIFT_FROM) - mean_score(1)).abs() < 0.015);
    }

    #[test]
    fn ground_truth_files_arrive_late_in_sagemaker_layout() {
        let s = Scenario {
            hours: 4,
            ..small(11)
        };
        assert_eq!(s.label_collection_hours(), 2..7);
        assert_eq!(
            s.ground_truth_hour_prefix(ENDPOINT, 3),
            "ground-truth/churn-endpoint/2026/11/01/03/"
        );
        // Nothing is collected outside the announced hours.
        for hour in [0, 1, 7, 8] {
            assert!(s.ground_truth_files(ENDPOINT, hour).is_empty(), "{hour}");
        }
        let truth: BTreeMap<String, GroundTruth> = (0..s.hours)
            .flat_map(|h| s.ground_truth(h))
            .map(|g| (g.inference_id.clone(), g))
            .collect();
        let mut seen = BTreeSet::new();
        for hour in s.label_collection_hours() {
            let files = s.ground_truth_files(ENDPOINT, hour);
            assert!(!files.is_empty(), "hour {hour}");
            let prefix = s.ground_truth_hour_prefix(ENDPOINT, hour);
            let mut names = Vec::new();
            for (key, bytes) in &files {
                let name = key.strip_prefix(&prefix).unwrap();
                // {MM}{SS}.jsonl of the 20-minute batch start
                assert!(
                    ["0000.jsonl", "2000.jsonl", "4000.jsonl"].contains(&name),
                    "{key}"
                );
                names.push(name.to_string());
                let text = std::str::from_utf8(bytes).unwrap();
                assert!(text.ends_with('\n'));
                let mut last_collected = i64::MIN;
                for line in text.lines() {
                    let v: serde_json::Value = serde_json::from_str(line).unwrap();
                    assert_eq!(
                        key_paths(&v),
                        [
                            "/groundTruthData",
                            "/groundTruthData/data",
                            "/groundTruthData/encoding",
                            "/eventMetadata",
                            "/eventMetadata/eventId",
                            "/eventVersion"
                        ]
                    );
                    assert_eq!(v["groundTruthData"]["encoding"], "CSV");
                    assert_eq!(v["eventVersion"], "0");
                    let id = v["eventMetadata"]["eventId"].as_str().unwrap();
                    let g = &truth[id];
                    assert_eq!(v["groundTruthData"]["data"], g.label.to_string());
                    let collected = g.collected_unix_secs.unwrap();
                    // in this folder's hour, in upload order, 2 to 3 hours after inference
                    assert!((s.hour_start(hour)..s.hour_start(hour) + 3600).contains(&collected));
                    assert!(collected >= last_collected);
                    last_collected = collected;
                    let delay = collected - g.inference_time_unix_secs;
                    assert!((LABEL_DELAY_MIN_SECS..LABEL_DELAY_MAX_SECS).contains(&delay));
                    let inference_hour = (g.inference_time_unix_secs - s.hour_start(0)) / 3600;
                    assert!([2, 3].contains(&(hour as i64 - inference_hour)), "{id}");
                    assert!(seen.insert(id.to_string()), "{id} uploaded twice");
                }
            }
            let mut sorted = names.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted, names, "batches in upload order, one object each");
        }
        // About 10 % of the labels never arrive; exactly those without a collection time.
        let lost = truth.len() - seen.len();
        let share = lost as f64 / truth.len() as f64;
        assert!((share - LABEL_LOSS_SHARE).abs() < 0.015, "{share}");
        for (id, g) in &truth {
            assert_eq!(g.collected_unix_secs.is_some(), seen.contains(id), "{id}");
        }
        // Deterministic.
        assert_eq!(
            s.ground_truth_files(ENDPOINT, 4),
            s.clone().ground_truth_files(ENDPOINT, 4)
        );
    }

    #[test]
    fn validation_csv_is_clean_scores_and_labels() {
        let s = small(5);
        let mut out = Vec::new();
        assert_eq!(s.write_validation_csv(&mut out).unwrap(), 5_000);
        let text = String::from_utf8(out).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("score,label"));
        let rows: Vec<(f64, u8)> = lines
            .map(|l| {
                let (p, y) = l.split_once(',').unwrap();
                assert!(is_fractional(p), "{l}");
                (p.parse().unwrap(), y.parse().unwrap())
            })
            .collect();
        assert_eq!(rows.len(), 5_000);
        assert!(rows.iter().all(|(p, y)| *p > 0.0 && *p < 1.0 && *y <= 1));
        // Labels are Bernoulli(score) before concept drift: the positive rate matches the
        // mean score (binomial σ ≈ √(0.2·0.8/5000) ≈ 0.006) and the model separates well.
        let scores: Vec<f64> = rows.iter().map(|r| r.0).collect();
        let labels: Vec<u8> = rows.iter().map(|r| r.1).collect();
        let rate = labels.iter().filter(|y| **y == 1).count() as f64 / 5_000.0;
        assert!((rate - mean(&scores)).abs() < 0.025, "{rate}");
        assert!(auc(&scores, &labels) > 0.8);
        // Its own stream: not the baseline's rows.
        let baseline_scores: Vec<String> = baseline_rows(&s).iter().map(|r| r[0].clone()).collect();
        assert_ne!(baseline_scores[0], format!("{:.6}", scores[0]));
    }

    #[test]
    fn auc_helper_matches_scikit_learn() {
        // refvenv python: sklearn.metrics.roc_auc_score([0, 0, 1, 1, 1, 0],
        //     [0.1, 0.4, 0.35, 0.8, 0.4, 0.2]) → 0.8333333333333334 (the tie at 0.4 counts ½)
        let got = auc(&[0.1, 0.4, 0.35, 0.8, 0.4, 0.2], &[0, 0, 1, 1, 1, 0]);
        assert!((got - 0.833_333_333_333_333_4).abs() < 1e-12, "{got}");
    }

    #[test]
    fn a_drift_in_one_slice_touches_only_that_slices_records() {
        let s = small(42);
        let shift = Drift::NumericShift {
            feature: "monthly_charges",
            shift_in_std: 1.0,
        };
        let clean = parse_files(&s.capture_files_with(ENDPOINT, 0, &[]));
        let all = parse_files(&s.capture_files_with(ENDPOINT, 0, std::slice::from_ref(&shift)));
        let sliced = parse_files(&s.capture_files_in_slice(
            ENDPOINT,
            0,
            std::slice::from_ref(&shift),
            ("region", "central"),
        ));
        assert_eq!(sliced.len(), clean.len());
        let mut in_slice = 0;
        for ((c, a), x) in clean.iter().zip(&all).zip(&sliced) {
            assert_eq!(x.inference_id, c.inference_id);
            if c.fields[col("region")] == "central" {
                in_slice += 1;
                // the record is the fully drifted one, score included (the model reads the
                // shifted input)
                assert_eq!(x.fields, a.fields);
                assert_ne!(
                    x.fields[col("monthly_charges")],
                    c.fields[col("monthly_charges")]
                );
            } else {
                assert_eq!(x.fields, c.fields);
            }
        }
        // region central is drawn with weight 0.10 (REGION_WEIGHTS)
        let share = in_slice as f64 / clean.len() as f64;
        assert!((share - 0.10).abs() < 0.02, "{share}");
        // an unknown slicing column: no record is in the slice
        let none = s.capture_files_in_slice(ENDPOINT, 0, &[shift], ("nope", "x"));
        assert_eq!(none, s.capture_files_with(ENDPOINT, 0, &[]));
    }
}
