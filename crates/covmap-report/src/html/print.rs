//! The matrix for print. A browser does not split one wide and tall SVG across printed pages:
//! it shrinks it to the page width (3 pt text for the enterprise matrix) and lets it run over
//! the sections that follow. So the printed page shows the matrix as pages of its own, each a
//! window onto the one inline drawing (`<svg viewBox="…"><use href="#heatmap-c0-0"/>…</svg>`,
//! one `<use>` per column header and cell shown): a group of tactics side by side, a run of
//! rows, with the tactics' header strip repeated above the rows on every page. Cuts fall
//! between rows, never through a cell.
//!
//! Sizes are absolute (millimetres), chosen to fit both A4 and Letter in landscape: the width
//! of Letter, the height of A4. So the technique labels have the size computed here whatever
//! the paper, at least [`MIN_LABEL_PT`].

use maud::{Markup, html};

use crate::Palette;
use crate::heatmap::Geometry;
use covmap_assess::score::Assessment;

/// The width every page gives in landscape: Letter's 279.4 mm less 10 mm margins each side,
/// less a little for rounding.
pub(crate) const PAGE_WIDTH_MM: f64 = 255.0;
/// The height every page gives in landscape: A4's 210 mm less the margins (10 mm at the top,
/// 14 mm at the bottom for the footer).
pub(crate) const PAGE_HEIGHT_MM: f64 = 186.0;
/// Height of a matrix page's heading line.
const TITLE_MM: f64 = 8.0;
/// Height of a matrix page's legend line.
const LEGEND_MM: f64 = 7.0;
/// Room kept free on every page, so that rounding never pushes a page's last row over.
const SLACK_MM: f64 = 6.0;
/// The smallest technique label printed, in points: a group of tactics is made narrow enough
/// for it. (The issue asks for 6 pt; the margin covers printers' own scaling.)
pub(crate) const MIN_LABEL_PT: f64 = 6.5;
/// The largest scale, in millimetres per SVG unit (labels of 8.5 pt): a small matrix is not
/// blown up to fill the page.
const MAX_MM_PER_UNIT: f64 = 0.3;
/// Millimetres per point.
const MM_PER_PT: f64 = 25.4 / 72.0;

/// One printed page of the matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct MatrixPage {
    /// The first column shown and how many.
    pub(crate) columns: (usize, usize),
    /// The first row shown and how many.
    pub(crate) rows: (usize, usize),
    /// Which page of this group of tactics (from 1) and how many the group has.
    pub(crate) part: (usize, usize),
}

/// How the matrix is printed: the scale and the pages.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PrintPlan {
    /// Millimetres per SVG unit.
    pub(crate) mm_per_unit: f64,
    /// The pages, in order.
    pub(crate) pages: Vec<MatrixPage>,
}

#[cfg(test)]
impl PrintPlan {
    /// The printed size of a technique label, in points.
    pub(crate) fn label_pt(&self, geometry: &Geometry) -> f64 {
        geometry.label_size * self.mm_per_unit / MM_PER_PT
    }
}

/// Height of the window onto the column headers: from 2 units above them to just above the
/// first row of cells (which the rows' window shows).
fn header_window(geometry: &Geometry) -> f64 {
    geometry.header_height + 1.0
}

/// Width of `n` columns side by side.
fn group_width(geometry: &Geometry, n: usize) -> f64 {
    let (Some(first), Some(second)) = (geometry.columns.first(), geometry.columns.get(1)) else {
        return geometry.column_width;
    };
    let step = second.0 - first.0;
    step * n.saturating_sub(1) as f64 + geometry.column_width
}

/// Splits the matrix into pages: groups of adjacent tactics as even as possible, each no wider
/// than the page allows at [`MIN_LABEL_PT`], then each group into runs of rows that fit the
/// page height below the repeated header strip.
pub(crate) fn plan(geometry: &Geometry) -> PrintPlan {
    let columns = geometry.columns.len();
    // The most columns whose labels still print at MIN_LABEL_PT (one at least).
    let fits = |n: usize| {
        geometry.label_size * PAGE_WIDTH_MM / group_width(geometry, n) / MM_PER_PT >= MIN_LABEL_PT
    };
    let most = (1..=columns.max(1))
        .take_while(|&n| n == 1 || fits(n))
        .last()
        .unwrap_or(1);
    let groups = columns.div_ceil(most).max(1);
    let widest = columns.div_ceil(groups).max(1);
    let mm_per_unit = (PAGE_WIDTH_MM / (group_width(geometry, widest) + 2.0)).min(MAX_MM_PER_UNIT);

    let for_rows =
        PAGE_HEIGHT_MM - TITLE_MM - LEGEND_MM - SLACK_MM - header_window(geometry) * mm_per_unit;
    let gap = geometry.row_pitch - geometry.cell_height;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // a small positive count
    let rows_per_page = (((for_rows / mm_per_unit) - 2.0 + gap) / geometry.row_pitch)
        .floor()
        .max(1.0) as usize;

    let mut pages = Vec::new();
    let mut first = 0;
    for g in 0..groups {
        // The first `columns % groups` groups take one column more.
        let n = columns / groups + usize::from(g < columns % groups);
        let rows = geometry
            .columns
            .get(first..first + n)
            .unwrap_or_default()
            .iter()
            .map(|c| c.1)
            .max()
            .unwrap_or(0);
        let parts = rows.div_ceil(rows_per_page).max(1);
        for part in 0..parts {
            let top = part * rows_per_page;
            pages.push(MatrixPage {
                columns: (first, n),
                rows: (top, rows_per_page.min(rows - top.min(rows))),
                part: (part + 1, parts),
            });
        }
        first += n;
    }
    PrintPlan { mm_per_unit, pages }
}

/// The print-only pages of the matrix (nothing when the drawing has no columns).
pub(super) fn matrix_pages(
    assessment: &Assessment,
    geometry: &Geometry,
    palette: Palette,
    weighted: bool,
) -> Markup {
    if geometry.columns.is_empty() {
        return html! {};
    }
    let plan = plan(geometry);
    let k = plan.mm_per_unit;
    let tactics = &assessment.tactics;
    let total = tactics.len();
    html! {
        @for (i, page) in plan.pages.iter().enumerate() {
            @let (first, n) = page.columns;
            @let x = geometry.columns.get(first).map_or(0.0, |c| c.0) - 1.0;
            @let width = group_width(geometry, n) + 2.0;
            @let header = (geometry.header_top - 2.0, header_window(geometry));
            @let rows = (
                geometry.cells_top + page.rows.0 as f64 * geometry.row_pitch - 1.0,
                (page.rows.1 as f64 * geometry.row_pitch - (geometry.row_pitch - geometry.cell_height)).max(0.0) + 2.0,
            );
            div.print-only.print-matrix-page data-page=(i + 1) data-columns=(n) data-rows=(page.rows.1) {
                h2.print-matrix-title {
                    "ATT&CK matrix: "
                    (tactics.get(first).map_or("", |t| t.name.as_str()))
                    @if n > 1 { " to " (tactics.get(first + n - 1).map_or("", |t| t.name.as_str())) }
                    span.muted {
                        " · tactics " (first + 1) @if n > 1 { "–" (first + n) } " of " (total)
                        @if page.part.1 > 1 { " · part " (page.part.0) " of " (page.part.1) }
                    }
                }
                (legend(assessment, palette, weighted))
                (window((x, width), header, k, "print-head", &header_refs(first, n)))
                @if page.rows.1 > 0 {
                    (window((x, width), rows, k, "print-rows", &cell_refs(geometry, (first, n), page.rows)))
                }
            }
        }
    }
}

/// The ids of the column headers of `n` columns from `first` (heatmap.rs names them).
fn header_refs(first: usize, n: usize) -> Vec<String> {
    (first..first + n)
        .map(|c| format!("#heatmap-h{c}"))
        .collect()
}

/// The ids of the cells of `n` columns from `first`, in `count` rows from `row`.
fn cell_refs(
    geometry: &Geometry,
    (first, n): (usize, usize),
    (row, count): (usize, usize),
) -> Vec<String> {
    let mut refs = Vec::new();
    for c in first..first + n {
        let cells = geometry.columns.get(c).map_or(0, |col| col.1);
        for r in row..(row + count).min(cells) {
            refs.push(format!("#heatmap-c{c}-{r}"));
        }
    }
    refs
}

/// A window onto the inline heatmap, `(x, width)` by `(top, height)` units, printed at `k`
/// millimetres per unit, showing the elements `refs` names: only what the page shows is
/// drawn (a `<use>` of the whole drawing would put all of it, clipped, on every page of the
/// PDF).
fn window(
    (x, width): (f64, f64),
    (top, height): (f64, f64),
    k: f64,
    class: &str,
    refs: &[String],
) -> Markup {
    html! {
        svg xmlns="http://www.w3.org/2000/svg" class=(class) aria-hidden="true"
            viewBox=(format!("{} {} {} {}", number(x), number(top), number(width), number(height)))
            style=(format!("width:{}mm;height:{}mm", number(width * k), number(height * k))) {
            @for r in refs { use href=(r) {} }
        }
    }
}

/// The colours of the printed matrix, on one line: the levels with their thresholds, parent-
/// level evidence, out of scope.
fn legend(assessment: &Assessment, palette: Palette, weighted: bool) -> Markup {
    let thresholds = assessment.scoring.thresholds;
    let levels = crate::heatmap::level_labels(thresholds.medium, thresholds.high);
    html! {
        div.print-legend {
            @for (level, label) in &levels {
                @let value = Palette::level_value(*level, thresholds.medium, thresholds.high);
                span { span.sw style=(format!("background:{}", palette.hex(value))) {} (label) }
            }
            span { span.sw.sw-parent {} "parent-level evidence only" }
            span { span.sw style=(format!("background:{}", crate::palette::OUT_OF_SCOPE)) {} "out of scope" }
            span { span.sw.sw-subs {} "has sub-techniques" }
            @if weighted { span { span.sw.sw-faded {} "faded: not used by the selected threats" } }
        }
    }
}

/// The printed pages' running footer: the report's title and date at the bottom left, "Page N
/// of M" at the bottom right, as CSS page-margin boxes. Chromium prints them since version 131
/// (November 2024), from its print dialog (Ctrl+P) and from `printToPDF` alike, and shows them
/// instead of its own header and footer; older browsers print their own header and footer
/// (date, page numbers) when "Headers and footers" is ticked in the print dialog.
pub(super) fn page_css(title: &str, date: Option<&str>) -> String {
    let left = match date {
        Some(date) => format!("{title} · {date}"),
        None => title.to_string(),
    };
    format!(
        "@page {{ @bottom-left {{ content: {}; {FOOTER_STYLE} }} \
         @bottom-right {{ content: \"Page \" counter(page) \" of \" counter(pages); \
         {FOOTER_STYLE} }} }}",
        css_string(&left)
    )
}

/// The look of the running footer.
const FOOTER_STYLE: &str = "font-family: system-ui, sans-serif; font-size: 8pt; color: #64748b;";

/// `text` as a quoted CSS string: quotes, backslashes, angle brackets (no `</style>` can
/// end the element) and control characters as CSS escapes.
fn css_string(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c.is_control() || matches!(c, '"' | '\'' | '\\' | '<' | '>' | '&') {
            let _ = write!(out, "\\{:x} ", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

/// A coordinate without needless decimals.
fn number(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The enterprise matrix's shape: 14 columns, the longest of 95 cells.
    fn enterprise() -> Geometry {
        let lengths = [10, 8, 11, 95, 20, 40, 60, 30, 33, 17, 20, 17, 18, 15];
        Geometry {
            columns: lengths
                .iter()
                .enumerate()
                .map(|(i, n)| (20.0 + i as f64 * 178.0, *n))
                .collect(),
            column_width: 172.0,
            header_top: 150.0,
            header_height: 40.0,
            cells_top: 190.0,
            cell_height: 20.0,
            row_pitch: 22.0,
            label_size: 10.0,
        }
    }

    #[test]
    fn tactics_in_even_groups_and_rows_that_fit() {
        let g = enterprise();
        let plan = plan(&g);
        // Six columns print 6.8 pt labels, seven 5.8 pt: 14 tactics make groups of 5, 5, 4.
        let groups: Vec<(usize, usize)> = plan
            .pages
            .iter()
            .filter(|p| p.part.0 == 1)
            .map(|p| p.columns)
            .collect();
        assert_eq!(groups, [(0, 5), (5, 5), (10, 4)]);
        let label = plan.label_pt(&g);
        assert!((8.0..8.5).contains(&label), "{label}");
        // Every row of every column is on exactly one page of its group.
        for (first, n) in groups {
            let pages: Vec<_> = plan.pages.iter().filter(|p| p.columns.0 == first).collect();
            let longest = g.columns[first..first + n]
                .iter()
                .map(|c| c.1)
                .max()
                .unwrap();
            let mut next = 0;
            for p in &pages {
                assert_eq!(p.rows.0, next);
                next += p.rows.1;
            }
            assert_eq!(next, longest);
            assert_eq!(pages.len(), pages[0].part.1);
        }
        // A page's content fits the page height.
        let rows = plan.pages.iter().map(|p| p.rows.1).max().unwrap();
        let height = TITLE_MM
            + LEGEND_MM
            + header_window(&g) * plan.mm_per_unit
            + (rows as f64 * g.row_pitch + 2.0) * plan.mm_per_unit;
        assert!(height <= PAGE_HEIGHT_MM, "{height}");
        assert!(
            height >= PAGE_HEIGHT_MM - 15.0,
            "pages used to the end: {height}"
        );
    }

    #[test]
    fn small_matrices_are_not_blown_up() {
        let mut g = enterprise();
        g.columns.truncate(2);
        let plan = plan(&g);
        assert_eq!(plan.pages.len(), 1);
        assert_eq!(plan.pages[0].columns, (0, 2));
        assert!((plan.mm_per_unit - MAX_MM_PER_UNIT).abs() < 1e-9);
        assert_eq!(number(12.5), "12.5");
        assert_eq!(
            css_string("A\"</style>\\\n"),
            r#""A\22 \3c /style\3e \5c \a ""#
        );
        assert_eq!(number(80.0), "80");
    }
}
