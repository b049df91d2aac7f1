//! A small typed SVG writer: every element the charts draw goes through one method here,
//! so every attribute value and text node is escaped in one place ([`esc`]) and every chart
//! opens with its `<title>` and `<desc>` (the text alternative, referenced by
//! `aria-labelledby`).

use std::fmt::Write;

/// Escapes `s` for HTML/SVG text and double-quoted attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A number as chart text: at most four significant digits, no trailing zeros, `–` for
/// non-finite values.
pub(crate) fn num(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "–".into()
        } else if x > 0.0 {
            "∞".into()
        } else {
            "−∞".into()
        };
    }
    let a = x.abs();
    let s = if a != 0.0 && !(1e-3..1e6).contains(&a) {
        format!("{x:.3e}")
    } else if a >= 1000.0 {
        format!("{x:.0}")
    } else if a >= 100.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.3}")
    } else {
        format!("{x:.4}")
    };
    if s.contains('.') && !s.contains('e') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// Coordinates are written with one decimal: enough on a 1,000-unit canvas, and it keeps a
/// 20-feature report small.
fn c(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// One SVG document under construction.
pub(crate) struct Svg {
    buf: String,
    caption: String,
}

impl Svg {
    /// Opens a chart `w`×`h` (viewBox units; it scales to its container's width) with its
    /// title and text alternative; `id` must be unique in the page.
    pub(crate) fn new(id: &str, w: f64, h: f64, title: &str, desc: &str) -> Svg {
        let mut buf = String::with_capacity(4096);
        // never drawn larger than its natural size; narrower screens scale it down
        let _ = write!(
            buf,
            r#"<figure class="fig"><figcaption>{t}</figcaption><svg class="chart" id="{id}" viewBox="0 0 {w} {h}" style="max-width:{w}px" role="img" aria-labelledby="{id}-t {id}-d" xmlns="http://www.w3.org/2000/svg"><title id="{id}-t">{t}</title><desc id="{id}-d">{d}</desc>"#,
            id = esc(id),
            w = c(w),
            h = c(h),
            t = esc(title),
            d = esc(desc),
        );
        Svg {
            buf,
            caption: title.to_owned(),
        }
    }

    /// A line segment.
    pub(crate) fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), class: &str) {
        let _ = write!(
            self.buf,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" class="{class}"/>"#,
            c(x1),
            c(y1),
            c(x2),
            c(y2)
        );
    }

    /// A rectangle; `tip` becomes its hover text (a `<title>` child).
    pub(crate) fn rect(&mut self, (x, y): (f64, f64), (w, h): (f64, f64), class: &str, tip: &str) {
        let _ = write!(
            self.buf,
            r#"<rect x="{}" y="{}" width="{}" height="{}" class="{class}"><title>{}</title></rect>"#,
            c(x),
            c(y),
            c(w.max(0.0)),
            c(h.max(0.0)),
            esc(tip)
        );
    }

    /// An open polyline through `points`.
    pub(crate) fn polyline(&mut self, points: &[(f64, f64)], class: &str) {
        if points.is_empty() {
            return;
        }
        self.buf.push_str(r#"<polyline points=""#);
        for (i, (x, y)) in points.iter().enumerate() {
            if i > 0 {
                self.buf.push(' ');
            }
            let _ = write!(self.buf, "{},{}", c(*x), c(*y));
        }
        let _ = write!(self.buf, r#"" class="{class}"/>"#);
    }

    /// A circle marker with hover text.
    pub(crate) fn circle(&mut self, (x, y): (f64, f64), r: f64, class: &str, tip: &str) {
        let _ = write!(
            self.buf,
            r#"<circle cx="{}" cy="{}" r="{}" class="{class}"><title>{}</title></circle>"#,
            c(x),
            c(y),
            c(r),
            esc(tip)
        );
    }

    /// A violation marker: an upward triangle (a shape, not only a colour) with hover text.
    pub(crate) fn triangle(&mut self, (x, y): (f64, f64), r: f64, class: &str, tip: &str) {
        let _ = write!(
            self.buf,
            r#"<path d="M{} {}L{} {}L{} {}Z" class="{class}"><title>{}</title></path>"#,
            c(x),
            c(y - r),
            c(x + r),
            c(y + r * 0.8),
            c(x - r),
            c(y + r * 0.8),
            esc(tip)
        );
    }

    /// A text node; `anchor` is `start`, `middle` or `end`.
    pub(crate) fn text(&mut self, (x, y): (f64, f64), anchor: &str, class: &str, text: &str) {
        let _ = write!(
            self.buf,
            r#"<text x="{}" y="{}" text-anchor="{anchor}" class="{class}">{}</text>"#,
            c(x),
            c(y),
            esc(text)
        );
    }

    /// A text node rotated a quarter turn counter-clockwise around its position (y-axis
    /// labels).
    pub(crate) fn vtext(&mut self, (x, y): (f64, f64), class: &str, text: &str) {
        let _ = write!(
            self.buf,
            r#"<text x="{x}" y="{y}" text-anchor="middle" transform="rotate(-90 {x} {y})" class="{class}">{}</text>"#,
            esc(text),
            x = c(x),
            y = c(y),
        );
    }

    /// Closes the document.
    pub(crate) fn finish(mut self) -> String {
        debug_assert!(!self.caption.is_empty(), "every chart has a title");
        self.buf.push_str("</svg></figure>");
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes_are_escaped() {
        let mut s = Svg::new("a", 10.0, 10.0, "<t>", "a & \"b\"");
        s.text((1.0, 2.0), "start", "x", "<script>");
        let out = s.finish();
        assert!(out.contains("<title id=\"a-t\">&lt;t&gt;</title>"));
        assert!(out.contains("a &amp; &quot;b&quot;"));
        assert!(out.contains("&lt;script&gt;"));
        assert!(!out.contains("<script>"));
    }

    #[test]
    fn numbers_keep_four_significant_digits() {
        assert_eq!(num(0.123456), "0.1235");
        assert_eq!(num(12.5), "12.5");
        assert_eq!(num(1234.4), "1234");
        assert_eq!(num(2.0), "2");
        assert_eq!(num(f64::NAN), "–");
        assert_eq!(num(1.5e-7), "1.500e-7");
    }
}
