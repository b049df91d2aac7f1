//! The charts of the reports, drawn server-side as inline SVG through [`Svg`]. Every chart
//! has a title, a text alternative, labelled axes with units, and marks violations with a
//! shape and a word as well as a colour; baseline and window differ by line style (solid /
//! dashed) or fill (hollow / filled), not only by colour.

use super::svg::{num, Svg};

const W: f64 = 640.0;
const H: f64 = 260.0;
/// Plot margins: left (y tick labels and axis label), right, top (legend), bottom (x ticks
/// and axis label).
const ML: f64 = 70.0;
const MR: f64 = 16.0;
const MT: f64 = 28.0;
const MB: f64 = 46.0;

/// A linear axis range with "nice" ticks.
#[derive(Debug, Clone, Copy)]
struct Range {
    lo: f64,
    hi: f64,
}

impl Range {
    /// The range covering `values` (finite ones), widened when they are all equal.
    fn of(values: impl IntoIterator<Item = f64>) -> Range {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values.into_iter().filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if !lo.is_finite() {
            return Range { lo: 0.0, hi: 1.0 };
        }
        if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
            let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
            return Range {
                lo: lo - pad,
                hi: hi + pad,
            };
        }
        Range { lo, hi }
    }

    /// The range widened by `share` of its span on both sides (markers stay inside).
    fn padded(self, share: f64) -> Range {
        let pad = (self.hi - self.lo) * share;
        Range {
            lo: self.lo - pad,
            hi: self.hi + pad,
        }
    }

    /// The range with 0 included.
    fn with_zero(self) -> Range {
        Range {
            lo: self.lo.min(0.0),
            hi: self.hi.max(0.0),
        }
    }

    /// About five ticks at 1, 2 or 5 times a power of ten.
    fn ticks(self) -> Vec<f64> {
        let span = self.hi - self.lo;
        let raw = span / 5.0;
        let mag = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .map(|m| m * mag)
            .find(|s| span / s <= 6.0)
            .unwrap_or(10.0 * mag);
        let mut t = (self.lo / step).ceil() * step;
        let mut out = Vec::new();
        while t <= self.hi + step * 1e-9 && out.len() < 12 {
            out.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
            t += step;
        }
        out
    }
}

/// The plot area of a chart and its two axes.
struct Plot {
    x: Range,
    y: Range,
    w: f64,
    h: f64,
}

impl Plot {
    fn new(x: Range, y: Range, w: f64, h: f64) -> Plot {
        Plot { x, y, w, h }
    }

    fn px(&self, x: f64) -> f64 {
        ML + (x - self.x.lo) / (self.x.hi - self.x.lo) * (self.w - ML - MR)
    }

    fn py(&self, y: f64) -> f64 {
        let y = y.clamp(self.y.lo, self.y.hi);
        self.h - MB - (y - self.y.lo) / (self.y.hi - self.y.lo) * (self.h - MT - MB)
    }

    /// Axes, grid, tick labels and the two axis labels (each naming its unit).
    fn axes(&self, svg: &mut Svg, x_label: &str, y_label: &str, x_ticks: bool) {
        let (x0, x1) = (ML, self.w - MR);
        let (y0, y1) = (self.h - MB, MT);
        for t in self.y.ticks() {
            let y = self.py(t);
            svg.line((x0, y), (x1, y), "grid");
            svg.text((x0 - 6.0, y + 4.0), "end", "tick", &num(t));
        }
        if x_ticks {
            for t in self.x.ticks() {
                let x = self.px(t);
                svg.line((x, y0), (x, y0 + 4.0), "axis");
                let label = num(t);
                svg.text(
                    (tick_centre(x, &label, self.w), y0 + 17.0),
                    "middle",
                    "tick",
                    &label,
                );
            }
        }
        svg.line((x0, y0), (x1, y0), "axis");
        svg.line((x0, y0), (x0, y1), "axis");
        svg.text(((x0 + x1) / 2.0, self.h - 8.0), "middle", "label", x_label);
        svg.vtext((16.0, (y0 + y1) / 2.0), "label", y_label);
    }
}

/// Half the width a tick label takes at the tick font (12 px; a digit of a sans-serif font
/// is about 0.55 em wide, 0.62 em leaves a margin for wider glyphs such as `−` and `e`).
fn tick_half_width(label: &str) -> f64 {
    0.31 * 12.0 * label.chars().count() as f64
}

/// Where an x tick's label is centred: under its tick, unless that would put the label past
/// the chart's left or right edge (a range ending at 300000 puts its last label on the right
/// edge, half of it outside), then moved in just far enough to fit.
fn tick_centre(x: f64, label: &str, width: f64) -> f64 {
    let half = tick_half_width(label);
    x.clamp(half + 1.0, (width - half - 1.0).max(half + 1.0))
}

/// A legend entry: the CSS class of its swatch line and its text.
fn legend(svg: &mut Svg, entries: &[(&str, &str)]) {
    let mut x = ML;
    for (class, text) in entries {
        svg.line((x, 14.0), (x + 22.0, 14.0), class);
        svg.text((x + 27.0, 18.0), "start", "tick", text);
        x += 40.0 + 7.0 * text.chars().count() as f64;
    }
}

/// Two step CDFs (baseline solid, window dashed) of a numeric feature, from its KLL
/// buckets: `(x, cumulative share)` points.
pub(crate) fn cdf_pair(
    id: &str,
    title: &str,
    x_label: &str,
    baseline: &[(f64, f64)],
    window: &[(f64, f64)],
) -> String {
    let desc = format!(
        "Cumulative share of values (0 to 1) against {x_label}: baseline solid line ({} points), window dashed line ({} points). Median of the baseline about {}, of the window about {}.",
        baseline.len(),
        window.len(),
        num(median_of(baseline)),
        num(median_of(window))
    );
    let mut svg = Svg::new(id, W, H, title, &desc);
    let x = Range::of(baseline.iter().chain(window).map(|p| p.0));
    let plot = Plot::new(x, Range { lo: 0.0, hi: 1.0 }, W, H);
    plot.axes(&mut svg, x_label, "cumulative share (0–1)", true);
    for (points, class) in [(baseline, "base"), (window, "win")] {
        let mut path = Vec::with_capacity(points.len() * 2);
        let mut prev = 0.0;
        for &(x, y) in points {
            path.push((plot.px(x), plot.py(prev)));
            path.push((plot.px(x), plot.py(y)));
            prev = y;
        }
        svg.polyline(&path, class);
    }
    legend(&mut svg, &[("base", "baseline"), ("win", "window")]);
    svg.finish()
}

fn median_of(cdf: &[(f64, f64)]) -> f64 {
    cdf.iter().find(|p| p.1 >= 0.5).map_or(f64::NAN, |p| p.0)
}

/// Paired bars of category shares: baseline hollow, window filled; `(category, baseline
/// share, window share)`.
pub(crate) fn share_bars(id: &str, title: &str, rows: &[(String, f64, f64)]) -> String {
    let desc = rows
        .iter()
        .map(|(k, b, w)| {
            format!(
                "{k}: baseline {}%, window {}%",
                num(b * 100.0),
                num(w * 100.0)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let h = MT + MB + 22.0 * rows.len().max(1) as f64;
    let mut svg = Svg::new(id, W, h, title, &desc);
    let y_label = "category";
    let x = Range::of(rows.iter().flat_map(|r| [r.1 * 100.0, r.2 * 100.0])).with_zero();
    let plot = Plot::new(
        Range { lo: 0.0, hi: x.hi },
        Range { lo: 0.0, hi: 1.0 },
        W,
        h,
    );
    let x0 = ML + 60.0;
    let span = W - MR - x0;
    let scale = |v: f64| span * v * 100.0 / plot.x.hi;
    for (i, (k, b, w)) in rows.iter().enumerate() {
        let y = MT + 22.0 * i as f64;
        let short: String = k.chars().take(16).collect();
        svg.text((x0 - 6.0, y + 14.0), "end", "tick", &short);
        svg.rect(
            (x0, y + 2.0),
            (scale(*b), 8.0),
            "bar-base",
            &format!("{k}: baseline {}%", num(b * 100.0)),
        );
        svg.rect(
            (x0, y + 10.0),
            (scale(*w), 8.0),
            "bar-win",
            &format!("{k}: window {}%", num(w * 100.0)),
        );
    }
    let y0 = h - MB;
    svg.line((x0, y0), (W - MR, y0), "axis");
    for t in plot.x.ticks() {
        let px = x0 + span * t / plot.x.hi;
        svg.line((px, y0), (px, y0 + 4.0), "axis");
        svg.text((px, y0 + 17.0), "middle", "tick", &num(t));
    }
    svg.text(
        ((x0 + W - MR) / 2.0, h - 8.0),
        "middle",
        "label",
        "share of values (%)",
    );
    svg.vtext((16.0, (MT + y0) / 2.0), "label", y_label);
    legend(
        &mut svg,
        &[("base", "baseline (hollow)"), ("win", "window (filled)")],
    );
    svg.finish()
}

/// One point of a time series: its label (the window end), its value, and whether that
/// window violated.
pub(crate) struct Point {
    /// x label: the window's end, e.g. `11-01 04:00`
    pub label: String,
    /// the value (`None`: not evaluated)
    pub value: Option<f64>,
    /// the window violated
    pub violated: bool,
}

/// A metric over the last windows, with its threshold as a dashed horizontal line;
/// violating windows are triangles labelled `!`, the others circles.
pub(crate) fn series(
    id: &str,
    title: &str,
    y_label: &str,
    points: &[Point],
    threshold: Option<f64>,
) -> String {
    let flagged = points.iter().filter(|p| p.violated).count();
    let desc = format!(
        "{y_label} over the last {} windows{}; {} of them violated (triangles marked !). Values: {}.",
        points.len(),
        threshold.map_or(String::new(), |t| format!(", threshold {} (dashed line)", num(t))),
        flagged,
        points
            .iter()
            .map(|p| format!("{} {}", p.label, p.value.map_or("–".into(), num)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut svg = Svg::new(id, W, H, title, &desc);
    let n = points.len().max(1);
    let y = Range::of(points.iter().filter_map(|p| p.value).chain(threshold)).padded(0.08);
    let plot = Plot::new(
        Range {
            lo: -0.5,
            hi: n as f64 - 0.5,
        },
        y,
        W,
        H,
    );
    plot.axes(&mut svg, "window end (UTC)", y_label, false);
    let every = n.div_ceil(6);
    for (i, p) in points.iter().enumerate() {
        if i % every == 0 || i + 1 == n {
            svg.text(
                (plot.px(i as f64), H - MB + 17.0),
                "middle",
                "tick",
                &p.label,
            );
        }
    }
    if let Some(t) = threshold {
        let ty = plot.py(t);
        svg.line((ML, ty), (W - MR, ty), "threshold");
        svg.text(
            (W - MR, ty - 4.0),
            "end",
            "tick",
            &format!("threshold {}", num(t)),
        );
    }
    let line: Vec<(f64, f64)> = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.value.map(|v| (plot.px(i as f64), plot.py(v))))
        .collect();
    svg.polyline(&line, "win-solid");
    for (i, p) in points.iter().enumerate() {
        let Some(v) = p.value else { continue };
        let at = (plot.px(i as f64), plot.py(v));
        let tip = format!("{}: {}", p.label, num(v));
        if p.violated {
            svg.triangle(at, 7.0, "mark-bad", &format!("{tip} (violation)"));
            svg.text((at.0, at.1 - 9.0), "middle", "bad-text", "!");
        } else {
            svg.circle(at, 4.0, "mark", &tip);
        }
    }
    legend(
        &mut svg,
        &[
            ("win-solid", "value (● ok, ▲! violation)"),
            ("threshold", "threshold"),
        ],
    );
    svg.finish()
}

/// Two curves in the unit square (ROC or precision-recall): baseline solid, window dashed.
pub(crate) fn curves(
    id: &str,
    title: &str,
    axes: (&str, &str),
    baseline: Option<&[(f64, f64)]>,
    window: &[(f64, f64)],
) -> String {
    let desc = format!(
        "{} against {}, both from 0 to 1: window dashed line ({} points){}.",
        axes.1,
        axes.0,
        window.len(),
        baseline.map_or(", no baseline curve".into(), |b| format!(
            ", baseline solid line ({} points)",
            b.len()
        ))
    );
    let mut svg = Svg::new(id, 420.0, 340.0, title, &desc);
    let unit = Range { lo: 0.0, hi: 1.0 };
    let plot = Plot::new(unit, unit, 420.0, 340.0);
    plot.axes(&mut svg, axes.0, axes.1, true);
    let mut draw = |pts: &[(f64, f64)], class: &str| {
        let p: Vec<_> = pts.iter().map(|&(x, y)| (plot.px(x), plot.py(y))).collect();
        svg.polyline(&p, class);
    };
    if let Some(b) = baseline {
        draw(b, "base");
    }
    draw(window, "win");
    legend(&mut svg, &[("base", "baseline"), ("win", "window")]);
    svg.finish()
}

/// Horizontal bars of `(name, value)` in the given order (a SHAP ranking).
pub(crate) fn ranking(id: &str, title: &str, x_label: &str, rows: &[(String, f64)]) -> String {
    let desc = rows
        .iter()
        .enumerate()
        .map(|(i, (k, v))| format!("{}. {k} {}", i + 1, num(*v)))
        .collect::<Vec<_>>()
        .join("; ");
    let w = 420.0;
    let h = MT + MB + 22.0 * rows.len().max(1) as f64;
    let mut svg = Svg::new(id, w, h, title, &desc);
    let hi = Range::of(rows.iter().map(|r| r.1)).with_zero().hi;
    let x0 = 150.0;
    let span = w - MR - x0;
    for (i, (k, v)) in rows.iter().enumerate() {
        let y = MT + 22.0 * i as f64;
        let short: String = k.chars().take(20).collect();
        svg.text(
            (x0 - 6.0, y + 14.0),
            "end",
            "tick",
            &format!("{}. {short}", i + 1),
        );
        svg.rect(
            (x0, y + 4.0),
            (span * v.max(0.0) / hi, 14.0),
            "bar-win",
            &format!("{k}: {}", num(*v)),
        );
    }
    let y0 = h - MB;
    svg.line((x0, y0), (w - MR, y0), "axis");
    for t in (Range { lo: 0.0, hi }).ticks() {
        let px = x0 + span * t / hi;
        svg.line((px, y0), (px, y0 + 4.0), "axis");
        svg.text((px, y0 + 17.0), "middle", "tick", &num(t));
    }
    svg.text(((x0 + w - MR) / 2.0, h - 8.0), "middle", "label", x_label);
    svg.vtext((12.0, (MT + y0) / 2.0), "label", "feature (rank)");
    svg.finish()
}

/// One row of [`compare`]: a metric's baseline and window value.
pub(crate) struct Compared {
    /// metric name
    pub name: String,
    /// the baseline's value
    pub baseline: Option<f64>,
    /// the window's value
    pub window: Option<f64>,
    /// the window violated on this metric
    pub violated: bool,
}

/// Baseline (hollow circle) against window (filled circle, or a triangle and `!` when
/// violated) for each metric on one shared value axis.
pub(crate) fn compare(id: &str, title: &str, x_label: &str, rows: &[Compared]) -> String {
    let desc = rows
        .iter()
        .map(|r| {
            format!(
                "{}: baseline {}, window {}{}",
                r.name,
                r.baseline.map_or("–".into(), num),
                r.window.map_or("–".into(), num),
                if r.violated { " (violation)" } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let h = MT + MB + 22.0 * rows.len().max(1) as f64;
    let mut svg = Svg::new(id, W, h, title, &desc);
    let x = Range::of(
        rows.iter()
            .flat_map(|r| [r.baseline, r.window])
            .flatten()
            .map(|v| v.clamp(-1e3, 1e3)),
    )
    .with_zero();
    let x0 = ML + 40.0;
    let span = W - MR - 20.0 - x0;
    let px = |v: f64| x0 + span * (v.clamp(x.lo, x.hi) - x.lo) / (x.hi - x.lo);
    let y0 = h - MB;
    for t in x.ticks() {
        svg.line((px(t), MT), (px(t), y0), "grid");
        svg.text((px(t), y0 + 17.0), "middle", "tick", &num(t));
    }
    svg.line((px(0.0), MT), (px(0.0), y0), "axis");
    for (i, r) in rows.iter().enumerate() {
        let y = MT + 22.0 * i as f64 + 11.0;
        svg.text((x0 - 6.0, y + 4.0), "end", "tick", &r.name);
        if let (Some(b), Some(w)) = (r.baseline, r.window) {
            svg.line((px(b), y), (px(w), y), "axis");
        }
        if let Some(b) = r.baseline {
            svg.circle(
                (px(b), y),
                5.0,
                "mark-base",
                &format!("{} baseline {}", r.name, num(b)),
            );
        }
        if let Some(w) = r.window {
            let tip = format!("{} window {}", r.name, num(w));
            if r.violated {
                svg.triangle((px(w), y), 7.0, "mark-bad", &format!("{tip} (violation)"));
                svg.text((px(w) + 10.0, y + 4.0), "start", "bad-text", "!");
            } else {
                svg.circle((px(w), y), 5.0, "mark", &tip);
            }
        }
    }
    svg.line((x0, y0), (x0 + span, y0), "axis");
    svg.text(((x0 + W - MR) / 2.0, h - 8.0), "middle", "label", x_label);
    svg.vtext((16.0, (MT + y0) / 2.0), "label", "metric");
    legend(
        &mut svg,
        &[
            ("base", "○ baseline"),
            ("win-solid", "● window, ▲! violation"),
        ],
    );
    svg.finish()
}

/// A confusion matrix as a grid of cells shaded by their share of the row, each with its
/// count written in it.
pub(crate) fn confusion(id: &str, title: &str, matrix: &[(String, Vec<(String, u64)>)]) -> String {
    let predicted: Vec<&str> = matrix
        .first()
        .map(|(_, r)| r.iter().map(|(p, _)| p.as_str()).collect())
        .unwrap_or_default();
    let desc = matrix
        .iter()
        .map(|(a, row)| {
            format!(
                "actual {a}: {}",
                row.iter()
                    .map(|(p, n)| format!("predicted {p} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let cell = 70.0;
    let (x0, y0) = (110.0, 40.0);
    let w = x0 + cell * predicted.len().max(1) as f64 + 20.0;
    let h = y0 + cell * matrix.len().max(1) as f64 + 30.0;
    let mut svg = Svg::new(id, w.max(300.0), h, title, &desc);
    for (j, p) in predicted.iter().enumerate() {
        svg.text(
            (x0 + cell * (j as f64 + 0.5), y0 - 8.0),
            "middle",
            "tick",
            p,
        );
    }
    for (i, (a, row)) in matrix.iter().enumerate() {
        let total: u64 = row.iter().map(|c| c.1).sum();
        let y = y0 + cell * i as f64;
        svg.text((x0 - 8.0, y + cell / 2.0 + 4.0), "end", "tick", a);
        for (j, (p, n)) in row.iter().enumerate() {
            let share = if total > 0 {
                *n as f64 / total as f64
            } else {
                0.0
            };
            let level = (share * 4.0).round().min(4.0) as u8;
            let x = x0 + cell * j as f64;
            svg.rect(
                (x, y),
                (cell - 2.0, cell - 2.0),
                &format!("heat{level}"),
                &format!("actual {a}, predicted {p}: {n}"),
            );
            svg.text(
                (x + cell / 2.0, y + cell / 2.0 + 5.0),
                "middle",
                if level >= 3 { "cell-dark" } else { "cell" },
                &n.to_string(),
            );
        }
    }
    svg.text(
        (x0 + cell * predicted.len() as f64 / 2.0, 16.0),
        "middle",
        "label",
        "predicted label (records)",
    );
    svg.vtext(
        (16.0, y0 + cell * matrix.len() as f64 / 2.0),
        "label",
        "actual label",
    );
    svg.finish()
}

/// A small multiple for the dashboard: one value per window as bars, the last windows
/// left to right; violating windows carry a `!` above their bar.
pub(crate) fn spark(id: &str, title: &str, unit: &str, values: &[(String, f64, bool)]) -> String {
    let desc = format!(
        "{unit} per window over the last {} windows: {}",
        values.len(),
        values
            .iter()
            .map(|(l, v, bad)| format!("{l} {}{}", num(*v), if *bad { " (violation)" } else { "" }))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let (w, h) = (300.0, 110.0);
    let mut svg = Svg::new(id, w, h, title, &desc);
    let hi = Range::of(values.iter().map(|v| v.1)).with_zero().hi;
    let (x0, y0, top) = (44.0, h - 26.0, 14.0);
    let n = values.len().max(1) as f64;
    let bw = (w - x0 - 6.0) / n;
    for (i, (label, v, bad)) in values.iter().enumerate() {
        let bh = (y0 - top) * v.max(0.0) / hi;
        let x = x0 + bw * i as f64;
        svg.rect(
            (x + 1.0, y0 - bh),
            ((bw - 2.0).max(1.0), bh),
            if *bad { "bar-bad" } else { "bar-win" },
            &format!("{label}: {}", num(*v)),
        );
        if *bad {
            svg.text((x + bw / 2.0, y0 - bh - 2.0), "middle", "bad-text", "!");
        }
    }
    svg.line((x0, y0), (w - 4.0, y0), "axis");
    svg.line((x0, y0), (x0, top), "axis");
    svg.text((x0 - 4.0, top + 8.0), "end", "tick", &num(hi));
    svg.text((x0 - 4.0, y0), "end", "tick", "0");
    svg.text((x0, h - 8.0), "start", "tick", "windows, oldest → newest");
    svg.vtext((10.0, (y0 + top) / 2.0), "tick", unit);
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_nice_and_cover_the_range() {
        let text = |r: Range| r.ticks().into_iter().map(num).collect::<Vec<_>>();
        assert_eq!(
            text(Range { lo: 0.0, hi: 1.0 }),
            ["0", "0.2", "0.4", "0.6", "0.8", "1"]
        );
        assert_eq!(text(Range { lo: 3.0, hi: 97.0 }), ["20", "40", "60", "80"]);
    }

    #[test]
    fn x_tick_labels_stay_inside_the_chart() {
        // a numeric feature whose values end at 300000: the last tick sits on the right edge
        let cdf = [(20_000.0, 0.1), (150_000.0, 0.6), (300_000.0, 1.0)];
        let svg = cdf_pair("c", "income", "income", &cdf, &cdf);
        let plot = Plot::new(
            Range::of(cdf.iter().map(|p| p.0)),
            Range { lo: 0.0, hi: 1.0 },
            W,
            H,
        );
        let right = plot.px(300_000.0);
        assert!(
            right + tick_half_width("300000") > W,
            "the case this guards against"
        );
        // the label as drawn: its centre is the x of the text node holding it
        let node = svg
            .split("<text ")
            .find(|t| t.contains(">300000</text>"))
            .expect("a tick labelled 300000");
        let drawn: f64 = node["x=\"".len()..node[4..].find('"').map_or(0, |i| i + 4)]
            .parse()
            .expect("x is a number");
        assert!(
            drawn + tick_half_width("300000") < W,
            "label centred at {drawn}"
        );
        assert!(drawn < right);
        // a label far from the edges stays centred under its tick
        assert_eq!(tick_centre(300.0, "100000", W), 300.0);
    }

    #[test]
    fn a_violating_window_is_a_triangle_with_text() {
        let pts = [
            Point {
                label: "a".into(),
                value: Some(0.1),
                violated: false,
            },
            Point {
                label: "b".into(),
                value: Some(0.4),
                violated: true,
            },
        ];
        let svg = series("s", "drift", "distance", &pts, Some(0.2));
        assert_eq!(svg.matches("<path").count(), 1);
        assert_eq!(svg.matches("<circle").count(), 1);
        assert!(svg.contains(">!</text>"));
        assert!(svg.contains("<title id=\"s-t\">drift</title>"));
        assert!(svg.contains("1 of them violated"));
    }
}
