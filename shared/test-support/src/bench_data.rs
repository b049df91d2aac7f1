//! The benches' synthetic data, written once for all of them (`benches/throughput.rs` of the
//! `modelwatch` crate, `ingest_floor.rs` and `window_merge.rs` of `monitor-core`): the same
//! generator and seeds give the same bytes in every bench, so their figures compare.
//!
//! A row has [`FEATURES`] values: a score (fractional, six decimals), 13 numeric inputs
//! (integral and fractional in turn) and 6 categorical ones drawn from [`CATEGORIES`].
//!
//! ```
//! use test_support::bench_data::{row, Rng};
//! let (mut a, mut b) = (String::new(), String::new());
//! row(&mut Rng(7), &mut a);
//! row(&mut Rng(7), &mut b);
//! assert_eq!(a, b);
//! assert_eq!(a.split(',').count(), test_support::bench_data::FEATURES);
//! ```

use std::io::Write;
use std::path::Path;

/// Values per row: the score first, then the inputs.
pub const FEATURES: usize = 20;

/// The categorical inputs' values.
pub const CATEGORIES: [&str; 6] = ["north", "south", "east", "west", "central", "remote"];

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny deterministic generator, the same input on
/// every run.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits. (Not an `Iterator`: the generator never ends, and the benches
    /// call it by this name.)
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform double in `[0, 1)` (53 random bits).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Writes the next row into `out` (cleared first), as CSV without a newline.
pub fn row(rng: &mut Rng, out: &mut String) {
    use std::fmt::Write as _;
    out.clear();
    let _ = write!(out, "{:.6}", rng.unit());
    for j in 1..FEATURES {
        out.push(',');
        if j >= FEATURES - CATEGORIES.len() {
            out.push_str(CATEGORIES[(rng.next() % 6) as usize]);
        } else if j % 2 == 0 {
            let _ = write!(out, "{}", rng.next() % 10_000);
        } else {
            let _ = write!(out, "{:.3}", rng.unit() * 1000.0 - 200.0);
        }
    }
}

/// The CSV header: `score,f1,…,f19`.
pub fn header() -> String {
    (0..FEATURES)
        .map(|j| {
            if j == 0 {
                "score".to_string()
            } else {
                format!("f{j}")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A baseline dataset of `rows` rows with its header (seed 7); returns its size in bytes.
pub fn write_csv(path: &Path, rows: usize) -> std::io::Result<u64> {
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(w, "{}", header())?;
    let mut rng = Rng(7);
    let mut line = String::new();
    for _ in 0..rows {
        row(&mut rng, &mut line);
        writeln!(w, "{line}")?;
    }
    w.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// Capture JSONL of `records` rows from `seed` (the score is the endpoint's output, the other
/// values its CSV input), on 2026-11-01 in hour 03: spread over the hour, or every record in
/// one `minute` (as SageMaker's roughly once-a-minute capture files are). Returns its size in
/// bytes.
pub fn write_capture(
    path: &Path,
    records: usize,
    seed: u64,
    minute: Option<usize>,
) -> std::io::Result<u64> {
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut rng = Rng(seed);
    let mut line = String::new();
    for i in 0..records {
        row(&mut rng, &mut line);
        let (out, inp) = line.split_once(',').unwrap_or((&line, ""));
        let minute = minute.unwrap_or((i * 60 / records.max(1)) % 60);
        writeln!(
            w,
            "{{\"captureData\":{{\"endpointInput\":{{\"observedContentType\":\"text/csv\",\"mode\":\"INPUT\",\"data\":\"{inp}\",\"encoding\":\"CSV\"}},\"endpointOutput\":{{\"observedContentType\":\"text/csv; charset=utf-8\",\"mode\":\"OUTPUT\",\"data\":\"{out}\",\"encoding\":\"CSV\"}}}},\"eventMetadata\":{{\"eventId\":\"{:08x}-6f2a-4d1e-9b7c-{:012x}\",\"inferenceTime\":\"2026-11-01T03:{minute:02}:{:02}Z\"}},\"eventVersion\":\"0\"}}",
            rng.next() as u32,
            i,
            i % 60
        )?;
    }
    w.flush()?;
    Ok(std::fs::metadata(path)?.len())
}
