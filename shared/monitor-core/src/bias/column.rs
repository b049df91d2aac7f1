//! Clarify's column rule for facet and label columns (issue 12 item 1).
//!
//! smclarify 0.5 (`smclarify.bias.metrics.common.series_datatype`, the library inside the
//! Clarify container) decides per column whether a `value_or_threshold` /
//! `label_values_or_threshold` list names categories or a threshold:
//!
//! * a list of more than one value is always **categorical**;
//! * a column whose values are floats is **continuous**;
//! * a column of integers is continuous when its distinct fraction among present values,
//!   `nunique / count`, is at least [`UNIQUENESS_THRESHOLD`] (0.05), else categorical;
//! * any other column (text) is categorical.
//!
//! On a continuous column the single value `t` is a threshold: smclarify builds
//! `pd.IntervalIndex.from_breaks(sorted([t, max]))` (the column's maximum is added unless
//! `|max| = t`), so the sensitive group is the values in `(t, max]` — for every value of the
//! column that is exactly `x > t` — and the text written to `analysis.json` is the interval,
//! `"(t, max]"`, integers when both `t` and the column are integers (`"(100, 225]"`), else
//! Python floats (`"(0.5, 0.9936148802477393]"`). A string threshold is converted with
//! `float()` first, as smclarify does. A facet without `value_or_threshold` is one-vs-rest:
//! one metric set per distinct value (categorical columns only).
//!
//! "Floats" are what pandas would read as floats: a number with a fraction, or one written
//! with a decimal point or exponent (`1.0`, `2e3`), which is [`Cell::Float`].

use serde_json::Value;

use crate::formats::clarify::{py_float_repr, py_value_text};

/// smclarify's `UNIQUENESS_THRESHOLD`: an integer column is continuous when
/// `nunique / count ≥ 0.05`.
pub const UNIQUENESS_THRESHOLD: f64 = 0.05;

/// One cell of a dataset.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// a number (CSV text that parses as `f64`, or a JSON number); integral values count as
    /// integers for the column rule
    Number(f64),
    /// a number written as a float (`1.0`, `2e3`, a JSON `1.0`): makes its column float, as
    /// pandas' dtype would
    Float(f64),
    /// any other text
    Text(String),
    /// empty CSV field, JSON `null` or absent
    Missing,
}

impl Cell {
    /// CSV field → cell: empty → missing, integer text → number, other numeric text →
    /// float, else text.
    #[must_use]
    pub fn from_text(s: &str) -> Self {
        let t = s.trim();
        if t.is_empty() {
            Cell::Missing
        } else if let Ok(i) = t.parse::<i64>() {
            #[allow(clippy::cast_precision_loss)]
            Cell::Number(i as f64)
        } else if let Ok(x) = t.parse::<f64>() {
            Cell::Float(x)
        } else {
            Cell::Text(s.to_owned())
        }
    }

    /// JSON value → cell (booleans as 1/0, objects/arrays as their JSON text).
    #[must_use]
    pub fn from_json(v: &Value) -> Self {
        match v {
            Value::Null => Cell::Missing,
            Value::Number(n) if n.is_f64() => n.as_f64().map_or(Cell::Missing, Cell::Float),
            Value::Number(n) => n.as_f64().map_or(Cell::Missing, Cell::Number),
            Value::Bool(b) => Cell::Number(if *b { 1.0 } else { 0.0 }),
            Value::String(s) => Cell::Text(s.clone()),
            other => Cell::Text(other.to_string()),
        }
    }

    /// The numeric value of a number or float cell.
    #[must_use]
    pub fn number(&self) -> Option<f64> {
        match self {
            Cell::Number(x) | Cell::Float(x) => Some(*x),
            _ => None,
        }
    }

    /// Is this a float in pandas' sense (written as a float, or with a fraction)?
    fn is_float(&self) -> bool {
        match self {
            Cell::Float(_) => true,
            Cell::Number(x) => x.fract() != 0.0,
            _ => false,
        }
    }

    /// Canonical text (groups): text as is, numbers as Python `repr` of a float.
    #[must_use]
    pub fn key(&self) -> Option<String> {
        match self {
            Cell::Number(x) | Cell::Float(x) => Some(py_float_repr(*x)),
            Cell::Text(s) => Some(s.clone()),
            Cell::Missing => None,
        }
    }

    /// Python's `str` of the value as pandas holds it: integers without a fraction
    /// (`"1"`), floats in `repr` (`"1.0"`), text as is; the one-vs-rest value texts.
    #[must_use]
    pub fn value_text(&self) -> Option<String> {
        match self {
            #[allow(clippy::cast_possible_truncation)]
            Cell::Number(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => {
                Some(format!("{}", *x as i64))
            }
            Cell::Number(x) | Cell::Float(x) => Some(py_float_repr(*x)),
            Cell::Text(s) => Some(s.clone()),
            Cell::Missing => None,
        }
    }
}

/// The data type smclarify gives a facet or label column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// values name categories
    Categorical,
    /// one value is a threshold `> t`
    Continuous,
}

/// smclarify's `series_datatype` over the column's `cells`, for the configured `values`
/// (`None` for one-vs-rest).
///
/// Text cells make the column categorical unless every one is an integer string (pandas'
/// `astype("int64")` succeeds), which then counts as integers.
pub fn column_kind<'a>(
    values: Option<&[Value]>,
    cells: impl Iterator<Item = &'a Cell>,
) -> ColumnKind {
    if values.is_some_and(|v| v.len() > 1) {
        return ColumnKind::Categorical;
    }
    let mut present = 0u64;
    let mut float = false;
    let mut distinct = std::collections::HashSet::new();
    for c in cells {
        match c {
            Cell::Missing => continue,
            Cell::Text(s) => match s.trim().parse::<i64>() {
                Ok(i) => {
                    distinct.insert(i.to_string());
                }
                Err(_) => return ColumnKind::Categorical,
            },
            c => {
                float |= c.is_float();
                let x = c.number().unwrap_or(f64::NAN);
                distinct.insert(py_float_repr(x));
            }
        }
        present += 1;
    }
    if float {
        return ColumnKind::Continuous;
    }
    // smclarify: divide(nunique, count), 0/0 → 0
    #[allow(clippy::cast_precision_loss)]
    let fraction = if present == 0 {
        0.0
    } else {
        distinct.len() as f64 / present as f64
    };
    if fraction >= UNIQUENESS_THRESHOLD {
        ColumnKind::Continuous
    } else {
        ColumnKind::Categorical
    }
}

/// The largest value of a column and whether it holds floats: all a threshold's interval
/// text needs, and mergeable (max, or).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ColumnMax {
    /// largest numeric value seen (`None` before any)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// whether any value was a float (pandas' float dtype)
    #[serde(default)]
    pub float: bool,
}

impl ColumnMax {
    /// Counts one cell.
    pub fn add(&mut self, cell: &Cell) {
        if let Some(x) = cell.number() {
            self.max = Some(self.max.map_or(x, |m| m.max(x)));
            self.float |= cell.is_float();
        }
    }

    /// Adds another column's extent.
    pub fn merge(&mut self, other: &ColumnMax) {
        if let Some(x) = other.max {
            self.max = Some(self.max.map_or(x, |m| m.max(x)));
        }
        self.float |= other.float;
    }

    /// The extent of `cells`.
    pub fn of<'a>(cells: impl Iterator<Item = &'a Cell>) -> Self {
        let mut m = ColumnMax::default();
        for c in cells {
            m.add(c);
        }
        m
    }

    /// Is this zero-sized (no value seen, no float)?
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == ColumnMax::default()
    }
}

pub(crate) fn value_matches(cell: &Cell, v: &Value) -> bool {
    match (cell, v) {
        (Cell::Number(x) | Cell::Float(x), Value::Number(n)) => n.as_f64() == Some(*x),
        (Cell::Number(x) | Cell::Float(x), Value::String(s)) => {
            s.trim().parse::<f64>().ok() == Some(*x)
        }
        (Cell::Text(t), Value::String(s)) => t == s,
        (Cell::Text(t), Value::Number(n)) => t.trim().parse::<f64>().ok() == n.as_f64(),
        (Cell::Number(x) | Cell::Float(x), Value::Bool(b)) => *x == if *b { 1.0 } else { 0.0 },
        _ => false,
    }
}

/// A resolved value rule: membership in a set, or `> t`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Rule {
    /// categorical: the cell equals one of the values
    Values(Vec<Value>),
    /// continuous: the cell is in smclarify's interval, i.e. `x > t`
    Threshold {
        /// the threshold
        t: f64,
        /// written as a JSON integer (an int64 break in pandas)
        int: bool,
    },
}

impl Rule {
    /// The rule of `values` on a column of `kind` (smclarify's `ensure_series_data_type`).
    pub(crate) fn new(values: &[Value], kind: ColumnKind) -> Rule {
        if kind == ColumnKind::Continuous {
            if let [v] = values {
                let threshold = match v {
                    Value::Number(n) => n.as_f64().map(|t| (t, !n.is_f64())),
                    // smclarify: `values[0] = float(values[0])`
                    Value::String(s) => s.trim().parse::<f64>().ok().map(|t| (t, false)),
                    _ => None,
                };
                if let Some((t, int)) = threshold {
                    return Rule::Threshold { t, int };
                }
            }
        }
        Rule::Values(values.to_vec())
    }

    /// The rule of `values` over the column's `cells` (kind by [`column_kind`]).
    pub(crate) fn of_column<'a>(values: &[Value], cells: impl Iterator<Item = &'a Cell>) -> Rule {
        Rule::new(values, column_kind(Some(values), cells))
    }

    pub(crate) fn matches(&self, cell: &Cell) -> bool {
        match self {
            Rule::Values(vs) => vs.iter().any(|v| value_matches(cell, v)),
            Rule::Threshold { t, .. } => cell.number().is_some_and(|x| x > *t),
        }
    }

    /// Clarify's text: `"0"`, `"a,b"`, or the interval over a column of extent `column`.
    pub(crate) fn text(&self, column: &ColumnMax) -> String {
        match self {
            Rule::Values(vs) => vs.iter().map(py_value_text).collect::<Vec<_>>().join(","),
            Rule::Threshold { t, int } => interval_text(*t, *int, column),
        }
    }
}

/// smclarify's `_interval_index(data, [t])` as text: breaks `t` and the column's max (unless
/// `|max| = t`), sorted; one interval `"(lo, hi]"`, or `""` when only one break is left.
/// Integers when `t` and the column are integers, else Python floats.
pub(crate) fn interval_text(t: f64, t_int: bool, column: &ColumnMax) -> String {
    let Some(max) = column.max else {
        return String::new();
    };
    if max.abs() == t {
        return String::new();
    }
    let (lo, hi) = if t <= max { (t, max) } else { (max, t) };
    let ints = t_int && !column.float;
    let fmt = |x: f64| {
        if ints {
            #[allow(clippy::cast_possible_truncation)]
            let i = x as i64;
            i.to_string()
        } else {
            py_float_repr(x)
        }
    };
    format!("({}, {}]", fmt(lo), fmt(hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(xs: &[i64]) -> Vec<Cell> {
        #[allow(clippy::cast_precision_loss)]
        xs.iter().map(|&x| Cell::Number(x as f64)).collect()
    }

    #[test]
    fn uniqueness_line_is_inclusive() {
        // 2 distinct values in 40 present → 2/40 = 0.05 ≥ 0.05 → continuous;
        // in 41 → 2/41 ≈ 0.0488 → categorical. A missing cell does not count.
        let mut forty: Vec<i64> = vec![1; 30];
        forty.extend([2; 10]);
        let mut cells = ints(&forty);
        cells.push(Cell::Missing);
        let one = [serde_json::json!(1)];
        assert_eq!(
            column_kind(Some(&one), cells.iter()),
            ColumnKind::Continuous
        );
        cells.push(Cell::Number(1.0));
        assert_eq!(
            column_kind(Some(&one), cells.iter()),
            ColumnKind::Categorical
        );
        // a float anywhere → continuous; a list → categorical; text → categorical
        cells.push(Cell::Float(1.0));
        assert_eq!(
            column_kind(Some(&one), cells.iter()),
            ColumnKind::Continuous
        );
        let two = [serde_json::json!(1), serde_json::json!(2)];
        assert_eq!(
            column_kind(Some(&two), cells.iter()),
            ColumnKind::Categorical
        );
        cells.push(Cell::Text("x".into()));
        assert_eq!(
            column_kind(Some(&one), cells.iter()),
            ColumnKind::Categorical
        );
    }

    #[test]
    fn cells_keep_pandas_float_dtype() {
        assert_eq!(Cell::from_text("100"), Cell::Number(100.0));
        assert_eq!(Cell::from_text("1.0"), Cell::Float(1.0));
        assert_eq!(Cell::from_json(&serde_json::json!(1.0)), Cell::Float(1.0));
        assert_eq!(Cell::from_json(&serde_json::json!(1)), Cell::Number(1.0));
        assert_eq!(Cell::Number(3.0).value_text().as_deref(), Some("3"));
        assert_eq!(Cell::Float(3.0).value_text().as_deref(), Some("3.0"));
    }

    #[test]
    fn interval_texts_as_smclarify_writes_them() {
        // values from the probe in shared/monitor-core/tests/clarify_column_rule.rs
        let int_col = ColumnMax::of(ints(&[21, 40]).iter());
        assert_eq!(interval_text(30.0, true, &int_col), "(30, 40]");
        assert_eq!(interval_text(30.5, false, &int_col), "(30.5, 40.0]");
        // threshold above the max: breaks sorted → (40, 50]
        assert_eq!(interval_text(50.0, true, &int_col), "(40, 50]");
        // |max| = t → a single break, no interval
        assert_eq!(interval_text(40.0, true, &int_col), "");
        let float_col = ColumnMax::of([Cell::Float(0.5), Cell::Float(2.25)].iter());
        assert_eq!(interval_text(1.0, true, &float_col), "(1.0, 2.25]");
    }
}
