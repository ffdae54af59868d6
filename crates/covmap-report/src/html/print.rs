//! The heatmap for print. A browser does not split one tall SVG across printed pages: it lets
//! it run over the sections that follow. So the printed page shows the heatmap as a stack of
//! page-sized windows onto it (`<svg viewBox="…"><use href="#heatmap"/></svg>`), cut between
//! rows of cells, never through one.

use maud::{Markup, html};

/// Height of one printed window as a share of the heatmap's width: an A4 landscape page less
/// its margins and the section heading.
const WINDOW_RATIO: f64 = 0.55;

/// A window onto the drawing: from `top`, `height` high.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Window {
    pub(super) top: f64,
    pub(super) height: f64,
}

/// The print-only windows onto the inline heatmap (nothing when its size is unknown).
pub(super) fn heatmap_windows(svg: &str) -> Markup {
    let Some((x, y, width, height)) = view_box(svg) else {
        return html! {};
    };
    let windows = windows(svg, y, height, width * WINDOW_RATIO);
    html! {
        div.print-only.print-heatmap aria-hidden="true" {
            @for w in &windows {
                svg xmlns="http://www.w3.org/2000/svg"
                    viewBox=(format!("{} {} {} {}", number(x), number(w.top), number(width), number(w.height)))
                    preserveAspectRatio="xMidYMin meet" {
                    use href="#heatmap" {}
                }
            }
        }
    }
}

/// `x y width height` of the root element's `viewBox`, or `0 0 width height`.
fn view_box(svg: &str) -> Option<(f64, f64, f64, f64)> {
    let start = svg.find("<svg")?;
    let tag = svg.get(start..start + svg.get(start..)?.find('>')?)?;
    if let Some(vb) = attribute(tag, "viewBox") {
        let values: Vec<f64> = vb
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .filter_map(|s| s.parse().ok())
            .collect();
        if let [x, y, w, h] = values[..] {
            return (w > 0.0 && h > 0.0).then_some((x, y, w, h));
        }
    }
    let w: f64 = attribute(tag, "width")?.parse().ok()?;
    let h: f64 = attribute(tag, "height")?.parse().ok()?;
    (w > 0.0 && h > 0.0).then_some((0.0, 0.0, w, h))
}

/// The value of `name="…"` in a start tag.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let needle = format!(" {name}=\"");
    let from = tag.find(&needle)? + needle.len();
    let rest = tag.get(from..)?;
    rest.get(..rest.find('"')?)
}

/// Cuts `[top, top + height]` into windows at most `max` high, each cut placed where it
/// crosses no `<rect>` smaller than a window (cells, swatches, bars).
pub(super) fn windows(svg: &str, top: f64, height: f64, max: f64) -> Vec<Window> {
    let bottom = top + height;
    if max <= 0.0 || height <= max {
        return vec![Window { top, height }];
    }
    let spans: Vec<(f64, f64)> = svg
        .match_indices("<rect ")
        .filter_map(|(i, _)| {
            let tag = svg.get(i..i + svg.get(i..)?.find('>')?)?;
            let y: f64 = attribute(tag, "y")?.parse().ok()?;
            let h: f64 = attribute(tag, "height")?.parse().ok()?;
            (h < max).then_some((y, y + h))
        })
        .collect();
    let mut result = Vec::new();
    let mut start = top;
    while bottom - start > max {
        let mut cut = start + max;
        // Move the cut up above every span it would go through.
        while let Some(&(above, _)) = spans.iter().find(|(a, b)| *a < cut && cut < *b) {
            cut = above;
        }
        if cut <= start + max / 2.0 {
            cut = start + max;
        }
        result.push(Window {
            top: start,
            height: cut - start,
        });
        start = cut;
    }
    result.push(Window {
        top: start,
        height: bottom - start,
    });
    result
}

/// A coordinate without needless decimals.
fn number(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    fn rows() -> String {
        let mut svg = String::from(
            r#"<svg id="heatmap" viewBox="0 0 100 300"><rect width="100" height="300"/>"#,
        );
        for row in 0..14 {
            let y = 20 + row * 20;
            let _ = write!(svg, r#"<rect x="0" y="{y}" width="10" height="18"/>"#);
        }
        svg.push_str("</svg>");
        svg
    }

    #[test]
    fn cuts_fall_between_rows() {
        let svg = rows();
        // Rows span [20k, 20k + 18] for k >= 1; a cut at 95 would split [80, 98]: it moves to 80.
        let w = windows(&svg, 0.0, 300.0, 95.0);
        let tops: Vec<f64> = w.iter().map(|w| w.top).collect();
        assert_eq!(tops, [0.0, 80.0, 160.0, 240.0]);
        assert!((w.iter().map(|w| w.height).sum::<f64>() - 300.0).abs() < 1e-9);
        // The full-height background never blocks a cut; a drawing shorter than a window is
        // one window.
        assert_eq!(windows(&svg, 0.0, 80.0, 95.0).len(), 1);
    }

    #[test]
    fn view_boxes() {
        assert_eq!(view_box(&rows()), Some((0.0, 0.0, 100.0, 300.0)));
        assert_eq!(
            view_box(r#"<svg width="40" height="20">"#),
            Some((0.0, 0.0, 40.0, 20.0))
        );
        assert_eq!(view_box("<svg>"), None);
        assert_eq!(number(12.5), "12.5");
        assert_eq!(number(80.0), "80");
    }
}
