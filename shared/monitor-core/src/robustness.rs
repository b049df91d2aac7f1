//! The parsers' invariants on hostile input, as plain functions: the bounded property tests
//! (`tests/parsers_robustness.rs`) and the cargo-fuzz targets (`fuzz/`) drive the same code.
//!
//! Each function takes one whole object (or config file) as bytes, runs it through the
//! production path (the [`LineReader`], then the line parser) and **panics** when an
//! invariant fails; that panic is the finding. The invariants:
//!
//! * no panic anywhere in the parsers;
//! * every line is accounted for exactly once: parsed, blank, or counted bad by kind
//!   (`parsed + blank + bad == lines`);
//! * a number that reaches a profile's moments or a label is finite and within
//!   [`MAX_ABS_VALUE`](crate::formats::number::MAX_ABS_VALUE), and the profile state still
//!   encodes (nothing non-finite is ever persisted);
//! * a prediction read from a capture line (the model-quality and bias reader) has a
//!   usable probability and usable input features, and its index entry encodes and decodes
//!   again, unchanged;
//! * a monitor config that loads is written back by serde and loads again, unchanged.

use crate::config::MonitorConfig;
use crate::data_quality::profile::{FeatureProfile, Tracking};
use crate::formats::capture::{BadRecords, CaptureMapping, CaptureParser, RowBatch};
use crate::formats::number::{self, MAX_ABS_VALUE};
use crate::joined::predictions::{
    parse_label, prediction_of_line, Prediction, PredictionAttributes, PredictionError,
};
use crate::store::{is_gzip_error, Line, LineReader};

/// Valid inputs the fuzzers start from and the property tests mutate.
pub mod seeds {
    /// A capture line, CSV on both sides, in SageMaker's shape (spec §1.3).
    pub const CAPTURE_CSV: &str = r#"{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"41,NY","encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv","mode":"OUTPUT","data":"0.83","encoding":"CSV"}},"eventMetadata":{"eventId":"e1","inferenceTime":"2026-11-01T03:00:00Z"},"eventVersion":"0"}"#;
    /// The same record with a JSON input payload.
    pub const CAPTURE_JSON: &str = r#"{"captureData":{"endpointInput":{"observedContentType":"application/json","mode":"INPUT","data":"[41, \"NY\"]","encoding":"JSON"},"endpointOutput":{"observedContentType":"text/csv","mode":"OUTPUT","data":"0.83","encoding":"CSV"}},"eventMetadata":{"eventId":"e2","inferenceTime":"2026-11-01T03:00:00Z"},"eventVersion":"0"}"#;
    /// A ground-truth line (spec §2.1).
    pub const LABEL: &str = r#"{"groundTruthData":{"data":"1","encoding":"CSV"},"eventMetadata":{"eventId":"e1"},"eventVersion":"0"}"#;
    /// A monitor config using most sections.
    pub const CONFIG: &str = r#"{"name":"churn-mq","kind":"ModelQuality","endpoint":"churn","baseline_prefix":"baselines/churn-mq","window_minutes":60,"capture":{"output_columns":1},"model_quality":{"problem_type":"Regression","inference_attribute":"0","lookback_hours":24}}"#;
    /// Tokens that poison numbers or structure, spliced into valid input by the mutators.
    pub const SPLICES: [&str; 14] = [
        "1e400", "-1e400", "1e309", "1e200", "NaN", "Infinity", "-inf", "\"", "\\", "{", "]", ",",
        "\u{feff}", "\u{0}",
    ];
}

/// A small deterministic mutator for the stable fuzz driver (`examples/fuzz.rs`): xorshift64*
/// picks one edit per call (flip a byte, splice a [`seeds::SPLICES`] token, delete a range,
/// duplicate a range, or append a newline and a seed line).
#[derive(Debug, Clone)]
pub struct Mutator {
    state: u64,
}

impl Mutator {
    /// A mutator seeded with `seed` (0 is replaced by a fixed odd constant).
    pub fn new(seed: u64) -> Self {
        Self {
            state: if seed == 0 {
                0x9E37_79B9_7F4A_7C15
            } else {
                seed
            },
        }
    }

    /// The next pseudo-random number (xorshift64*, Vigna 2016).
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// Applies one random edit to `input`, using `seeds` for line splices.
    pub fn mutate(&mut self, input: &mut Vec<u8>, seeds: &[&str]) {
        let at = self.below(input.len() + 1);
        match self.below(5) {
            0 if !input.is_empty() => {
                let i = at.min(input.len() - 1);
                input[i] = self.next_u64() as u8;
            }
            1 => {
                let s = seeds::SPLICES[self.below(seeds::SPLICES.len())].as_bytes();
                input.splice(at..at, s.iter().copied());
            }
            2 => {
                let end = (at + 1 + self.below(16)).min(input.len());
                input.drain(at.min(end)..end);
            }
            3 if input.len() < 1 << 16 => {
                let end = (at + 1 + self.below(64)).min(input.len());
                let piece = input[at.min(end)..end].to_vec();
                let to = self.below(input.len() + 1);
                input.splice(to..to, piece);
            }
            _ => {
                input.push(b'\n');
                if let Some(s) = seeds.get(self.below(seeds.len())) {
                    input.extend_from_slice(s.as_bytes());
                }
            }
        }
    }
}

/// How the lines of one object were accounted for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accounting {
    /// lines the reader returned
    pub lines: u64,
    /// lines parsed
    pub parsed: u64,
    /// blank lines (skipped, as ingest skips them)
    pub blank: u64,
    /// bad lines, by kind
    pub bad: BadRecords,
    /// the object was refused whole (gzip)
    pub refused: bool,
}

impl Accounting {
    fn check(&self) {
        assert_eq!(
            self.parsed + self.blank + self.bad.total(),
            self.lines,
            "a line was neither parsed nor counted: {self:?}"
        );
    }
}

/// Reads `bytes` line by line as ingest does and hands each non-blank line to `each`
/// (`Ok` = parsed, `Err(kind)` = counted).
fn account<F>(bytes: &[u8], mut each: F) -> Accounting
where
    F: FnMut(&[u8]) -> Result<(), crate::formats::capture::BadRecordKind>,
{
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime");
    rt.block_on(async {
        let mut acc = Accounting::default();
        let mut reader = LineReader::with_max_line(bytes, 4096);
        loop {
            let line = match reader.next_line().await {
                Ok(Some(line)) => line,
                Ok(None) => break,
                Err(e) => {
                    assert!(is_gzip_error(&e), "only gzip is refused whole: {e}");
                    acc.refused = true;
                    break;
                }
            };
            acc.lines += 1;
            match line {
                Line::TooLong { .. } => acc.bad.add(
                    crate::formats::capture::BadRecordKind::LineTooLong,
                    acc.lines,
                ),
                Line::Ok(b) if b.iter().all(u8::is_ascii_whitespace) => acc.blank += 1,
                Line::Ok(b) => match each(b) {
                    Ok(()) => acc.parsed += 1,
                    Err(kind) => acc.bad.add(kind, acc.lines),
                },
            }
        }
        acc
    })
}

/// One capture object through the capture parser (three features, both sides) and a
/// numeric profile of every value.
///
/// # Panics
/// When an invariant of the module docs fails.
pub fn capture_object(bytes: &[u8]) -> Accounting {
    let mapping = CaptureMapping::new(["score", "age", "city"]);
    let mut parser = CaptureParser::new(&mapping).expect("a valid mapping");
    let mut batch = RowBatch::new();
    let mut profile = FeatureProfile::new("any", Tracking::ALL);
    let attrs = PredictionAttributes {
        facet_attributes: [("city".to_string(), "1".to_string())].into(),
        keep_input_features: true,
        ..PredictionAttributes::default()
    };
    let acc = account(bytes, |line| {
        check_prediction(line, &attrs);
        match parser.parse_line_multi(line, &mut batch) {
            Ok(_) => {
                for row in &batch {
                    assert!(
                        row.is_empty() || row.len() == 3,
                        "row of {} slots",
                        row.len()
                    );
                    for v in row.iter().flatten() {
                        profile.observe(v);
                    }
                }
                Ok(())
            }
            Err(bad) => Err(bad.kind()),
        }
    });
    acc.check();
    let (sum, m2) = (profile.moments.sum(), profile.moments.m2());
    assert!(sum.is_finite() && m2.is_finite(), "moments {sum} {m2}");
    for x in [profile.moments.min(), profile.moments.max()]
        .into_iter()
        .flatten()
    {
        assert!(x.abs() <= MAX_ABS_VALUE, "{x} reached the moments");
    }
    acc
}

/// The model-quality and bias reader on one capture line: what it keeps is usable, and the
/// index entry round-trips.
fn check_prediction(line: &[u8], attrs: &PredictionAttributes) {
    match prediction_of_line(line, attrs, "AllTraffic") {
        Ok(p) => {
            if let Some(x) = p.probability {
                assert!(number::check(x, "").is_ok(), "probability {x}");
            }
            for x in p.features.iter().flatten() {
                assert!(number::check(*x, "").is_ok(), "input feature {x}");
            }
            let bytes = serde_json::to_vec(&p).expect("a prediction encodes");
            let back: Prediction = serde_json::from_slice(&bytes).expect("and decodes");
            assert_eq!(
                serde_json::to_vec(&back).expect("encodes again"),
                bytes,
                "index entry round trip"
            );
        }
        Err(PredictionError::Shadow | PredictionError::Bad(..)) => {}
    }
}

/// One ground-truth object through the label parser.
///
/// # Panics
/// When an invariant of the module docs fails.
pub fn ground_truth_object(bytes: &[u8]) -> Accounting {
    let acc = account(bytes, |line| match parse_label(line) {
        Ok(label) => {
            assert!(!label.label.is_empty() && !label.key.is_empty());
            assert!(
                number::parse(&label.label).is_ok(),
                "label {:?} is an unusable number",
                label.label
            );
            Ok(())
        }
        Err((kind, _)) => Err(kind),
    });
    acc.check();
    acc
}

/// One monitor config file through [`MonitorConfig::from_json`]: `Ok` configs round-trip.
///
/// # Panics
/// When a loaded config does not load again, unchanged, from what serde writes.
pub fn monitor_config(bytes: &[u8]) -> bool {
    match MonitorConfig::from_json("config/monitors/fuzz.json", bytes) {
        Ok(cfg) => {
            let text = serde_json::to_vec(&cfg).expect("a config serialises");
            let back = MonitorConfig::from_json("again", &text)
                .unwrap_or_else(|e| panic!("a loaded config does not load again: {e}"));
            // f64 fields compare by value; a NaN threshold would not equal itself, and
            // JSON has no NaN, so equality holds for every config that loads.
            assert_eq!(back, cfg);
            true
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            false
        }
    }
}
