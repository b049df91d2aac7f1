//! Training / baseline datasets (CSV with or without header, JSON Lines) profiled in one
//! streaming pass with memory bounded by the sketches, not by the row count.
//!
//! Unlike capture ingest (which counts bad lines and goes on), a baseline is a reference:
//! a ragged row or an unreadable value stops it with an error naming file, line and column.

use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::data_quality::profile::{DatasetProfile, Tracking};
use crate::CoreError;

/// How a dataset is encoded (SageMaker's `dataset_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatasetFormat {
    /// CSV; `header` says whether the first row names the columns (else `_c0`, `_c1`, …).
    Csv {
        /// first row is a header
        header: bool,
    },
    /// One JSON object per line; keys are feature names (nested objects are flattened with
    /// `.`, arrays of scalars with `_0`, `_1`, …).
    JsonLines,
}

/// Reports progress in bytes consumed.
pub trait Progress {
    /// Called now and then with the total bytes read so far.
    fn bytes(&mut self, total: u64);
}

/// Progress that goes nowhere.
pub struct NoProgress;
impl Progress for NoProgress {
    fn bytes(&mut self, _total: u64) {}
}

/// Counts bytes as they pass through a reader (for progress reports).
struct Counted<R> {
    inner: R,
    count: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Profiles a whole dataset read from `reader`; `source` names it in errors.
pub fn profile_dataset<R: Read>(
    reader: R,
    source: &str,
    format: DatasetFormat,
    progress: &mut dyn Progress,
) -> Result<DatasetProfile, CoreError> {
    let count = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let counted = Counted {
        inner: reader,
        count: count.clone(),
    };
    let profile = match format {
        DatasetFormat::Csv { header } => profile_csv(counted, source, header, &count, progress)?,
        DatasetFormat::JsonLines => profile_jsonl(counted, source, &count, progress)?,
    };
    progress.bytes(count.get());
    if profile.item_count == 0 {
        return Err(CoreError::EmptyDataset {
            file: source.to_string(),
        });
    }
    Ok(profile)
}

const REPORT_EVERY_ROWS: u64 = 16 * 1024;

fn profile_csv<R: Read>(
    reader: R,
    source: &str,
    header: bool,
    count: &std::rc::Rc<std::cell::Cell<u64>>,
    progress: &mut dyn Progress,
) -> Result<DatasetProfile, CoreError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(256 * 1024)
        .from_reader(reader);
    let mut record = csv::ByteRecord::new();
    let csv_err = |e: csv::Error, line: u64| CoreError::Dataset {
        file: source.to_string(),
        line,
        column: "-".into(),
        message: e.to_string(),
    };
    // First record: header or first data row.
    let first = rdr
        .read_byte_record(&mut record)
        .map_err(|e| csv_err(e, 1))?;
    if !first {
        return Err(CoreError::EmptyDataset {
            file: source.to_string(),
        });
    }
    let names: Vec<String> = if header {
        record
            .iter()
            .enumerate()
            .map(|(i, f)| {
                std::str::from_utf8(f)
                    .map(|s| s.to_string())
                    .map_err(|_| CoreError::Dataset {
                        file: source.to_string(),
                        line: 1,
                        column: format!("#{}", i + 1),
                        message: "header name is not valid UTF-8".into(),
                    })
            })
            .collect::<Result<_, _>>()?
    } else {
        (0..record.len()).map(|i| format!("_c{i}")).collect()
    };
    let mut profile = DatasetProfile::new(&names, |_| Tracking::ALL);
    let width = names.len();
    if !header {
        add_csv_row(&mut profile, &record, &names, source, 1)?;
    }
    loop {
        let line = rdr.position().line() + 1;
        match rdr.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_err(e, line)),
        }
        let line = record.position().map(|p| p.line()).unwrap_or(line);
        if record.len() != width {
            // A lone empty line is not a row.
            if record.len() == 1 && record.get(0).is_some_and(|f| f.is_empty()) {
                continue;
            }
            return Err(CoreError::Dataset {
                file: source.to_string(),
                line,
                column: if record.len() > width {
                    format!("#{}", width + 1)
                } else {
                    names.get(record.len()).cloned().unwrap_or_default()
                },
                message: format!(
                    "ragged row: {} columns where the {} has {width}",
                    record.len(),
                    if header { "header" } else { "first row" }
                ),
            });
        }
        add_csv_row(&mut profile, &record, &names, source, line)?;
        if profile.item_count.is_multiple_of(REPORT_EVERY_ROWS) {
            progress.bytes(count.get());
        }
    }
    Ok(profile)
}

fn add_csv_row(
    profile: &mut DatasetProfile,
    record: &csv::ByteRecord,
    names: &[String],
    source: &str,
    line: u64,
) -> Result<(), CoreError> {
    for (i, field) in record.iter().enumerate() {
        let f = &mut profile.features[i];
        if field.is_empty() {
            f.observe_null();
            continue;
        }
        let value = std::str::from_utf8(field).map_err(|e| CoreError::Dataset {
            file: source.to_string(),
            line,
            column: names[i].clone(),
            message: format!("value is not valid UTF-8 (byte {})", e.valid_up_to()),
        })?;
        f.observe(value);
    }
    profile.item_count += 1;
    *profile.column_counts.entry(record.len()).or_default() += 1;
    Ok(())
}

fn profile_jsonl<R: Read>(
    reader: R,
    source: &str,
    count: &std::rc::Rc<std::cell::Cell<u64>>,
    progress: &mut dyn Progress,
) -> Result<DatasetProfile, CoreError> {
    use std::io::BufRead;
    let mut rdr = std::io::BufReader::with_capacity(256 * 1024, reader);
    let mut names: Vec<String> = Vec::new();
    let mut profile = DatasetProfile::new(&[], |_| Tracking::ALL);
    let mut line_buf = Vec::new();
    let mut line_no = 0u64;
    let mut flat: Vec<(String, Option<String>)> = Vec::new();
    loop {
        line_buf.clear();
        let n = rdr
            .read_until(b'\n', &mut line_buf)
            .map_err(|e| CoreError::Io {
                key: source.to_string(),
                source: e,
            })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let text = std::str::from_utf8(&line_buf).map_err(|e| CoreError::Dataset {
            file: source.to_string(),
            line: line_no,
            column: "-".into(),
            message: format!("line is not valid UTF-8 (byte {})", e.valid_up_to()),
        })?;
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| CoreError::Dataset {
                file: source.to_string(),
                line: line_no,
                column: format!("char {}", e.column()),
                message: format!("invalid JSON: {e}"),
            })?;
        let serde_json::Value::Object(obj) = value else {
            return Err(CoreError::Dataset {
                file: source.to_string(),
                line: line_no,
                column: "-".into(),
                message: "a JSON Lines dataset needs one JSON object per line".into(),
            });
        };
        flat.clear();
        for (k, v) in obj {
            flatten(k, v, &mut flat);
        }
        // New keys extend the feature list (earlier rows count them as missing).
        for (k, _) in &flat {
            if !names.iter().any(|n| n == k) {
                names.push(k.clone());
                let mut fp =
                    crate::data_quality::profile::FeatureProfile::new(k.clone(), Tracking::ALL);
                for _ in 0..profile.item_count {
                    fp.observe_null();
                }
                profile.features.push(fp);
            }
        }
        for (i, name) in names.iter().enumerate() {
            let v = flat
                .iter()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| v.as_deref());
            match v {
                Some(s) if !s.is_empty() => {
                    profile.features[i].observe(s);
                }
                _ => profile.features[i].observe_null(),
            }
        }
        profile.item_count += 1;
        *profile.column_counts.entry(flat.len()).or_default() += 1;
        if profile.item_count.is_multiple_of(REPORT_EVERY_ROWS) {
            progress.bytes(count.get());
        }
    }
    Ok(profile)
}

/// Flattens one JSON value into `(name, text)` pairs; null becomes `None`.
pub(crate) fn flatten(
    prefix: String,
    v: serde_json::Value,
    out: &mut Vec<(String, Option<String>)>,
) {
    use serde_json::Value;
    match v {
        Value::Null => out.push((prefix, None)),
        Value::Bool(b) => out.push((prefix, Some(b.to_string()))),
        Value::Number(n) => out.push((prefix, Some(n.to_string()))),
        Value::String(s) => out.push((prefix, Some(s))),
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                flatten(format!("{prefix}_{i}"), item, out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                flatten(format!("{prefix}.{k}"), item, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(data: &str, format: DatasetFormat) -> Result<DatasetProfile, CoreError> {
        profile_dataset(data.as_bytes(), "mem.csv", format, &mut NoProgress)
    }

    #[test]
    fn csv_with_and_without_header() {
        let p = run("a,b\n1,x\n2,\n", DatasetFormat::Csv { header: true }).unwrap();
        assert_eq!(p.item_count, 2);
        assert_eq!(p.features[0].name, "a");
        assert_eq!(p.features[1].types.null, 1);
        let p = run("1,x\n2,y\n", DatasetFormat::Csv { header: false }).unwrap();
        assert_eq!(p.item_count, 2);
        assert_eq!(p.features[1].name, "_c1");
    }

    #[test]
    fn ragged_row_names_file_line_and_column() {
        let err = run("a,b\n1,2\n3\n", DatasetFormat::Csv { header: true }).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("mem.csv:3"), "{msg}");
        assert!(msg.contains("column b"), "{msg}");
        assert!(msg.contains("ragged row: 1 columns"), "{msg}");
    }

    #[test]
    fn empty_dataset_is_an_error() {
        let err = run("a,b\n", DatasetFormat::Csv { header: true }).unwrap_err();
        assert!(matches!(err, CoreError::EmptyDataset { .. }), "{err}");
        let err = run("", DatasetFormat::Csv { header: false }).unwrap_err();
        assert!(matches!(err, CoreError::EmptyDataset { .. }), "{err}");
    }

    #[test]
    fn non_utf8_value_names_column() {
        let mut data = b"a,b\n1,".to_vec();
        data.extend_from_slice(&[0xff, 0xfe]);
        data.push(b'\n');
        let err = profile_dataset(
            &data[..],
            "bad.csv",
            DatasetFormat::Csv { header: true },
            &mut NoProgress,
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("bad.csv:2: column b"), "{msg}");
    }

    #[test]
    fn jsonl_flattens_and_fills_missing() {
        let p = run(
            "{\"features\":[1,2],\"label\":0}\n{\"features\":[3,4],\"label\":1,\"extra\":\"z\"}\n",
            DatasetFormat::JsonLines,
        )
        .unwrap();
        let names: Vec<_> = p.features.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["features_0", "features_1", "label", "extra"]);
        assert_eq!(p.features[3].types.null, 1);
        let err = run("{\"a\":1}\n{oops\n", DatasetFormat::JsonLines).unwrap_err();
        assert!(err.to_string().contains("mem.csv:2"), "{err}");
    }
}
