//! `heatmap.svg`: the ATT&CK matrix as people know it from the ATT&CK website and Navigator,
//! one column per tactic, a cell per technique coloured by its score, with a header and a
//! legend. The same string is inlined by the HTML report (which adds hover and click
//! behaviour through the `g.cell` elements and their `data-*` attributes) and rasterised into
//! `heatmap.png`.
//!
//! Three views: the coverage score; the threat-weighted view (techniques no selected threat
//! uses are dimmed, cells show how many selected threats use them); and, for `covmap compare`,
//! one heatmap per candidate coloured by the gain in score the candidate brings.
//!
//! Text is measured with the metrics of the font covmap ships, so that names are shortened to
//! fit their cell the same way everywhere; each name carries `textLength`, so a browser that
//! falls back to a wider font still keeps it inside the cell.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use covmap_assess::compare::CandidateResult;
use covmap_assess::inventory::Function;
use covmap_assess::params::{CoverageLevel, Rollup};
use covmap_assess::score::{Assessment, Contribution, TechniqueResult, weight_label};

use crate::matrix::{self, Cell, Column, Mark, Matrix};
use crate::text::{FONT_BOLD, FONT_FAMILY, FONT_REGULAR, escape, percent};
use crate::{OutputFile, Palette, RenderOptions, ReportInput, View};

/// Space around everything.
const MARGIN: f64 = 20.0;
/// Width of a technique cell (a sub-technique's is narrower by [`SUB_INDENT`]).
const CELL_W: f64 = 172.0;
/// Height of a cell.
const CELL_H: f64 = 20.0;
/// Space between two cells of a column.
const ROW_GAP: f64 = 2.0;
/// Space between two columns.
const COL_GAP: f64 = 6.0;
/// How far sub-techniques are indented under their parent.
const SUB_INDENT: f64 = 12.0;
/// Text padding inside a cell.
const PAD: f64 = 4.0;
/// Font size of cell text.
const CELL_FONT: f64 = 10.0;
/// How cells are drawn: their height, the size of their text, one line or two.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Layout {
    cell_h: f64,
    font: f64,
    /// Names wrap onto a second line instead of being cut on the first.
    two_lines: bool,
}

/// heatmap.svg, report.html, heatmap-full.png: one line of 10-unit text.
const SCREEN: Layout = Layout {
    cell_h: CELL_H,
    font: CELL_FONT,
    two_lines: false,
};

/// heatmap.png, for slides: the enterprise matrix is about 2,530 units wide, drawn 3,840
/// pixels wide (1.52 pixels per unit), so 13.5-unit text is 20 pixels high, 10 when the
/// picture is shown 1,920 pixels wide; names take two lines to stay readable.
const SLIDE: Layout = Layout {
    cell_h: 36.0,
    font: 13.5,
    two_lines: true,
};

/// Width of the bar that marks techniques with sub-techniques.
const SIDEBAR_W: f64 = 4.0;
/// Height of a column's header (tactic name and figures).
const COLUMN_HEADER_H: f64 = 40.0;
/// The narrowest picture: room for the header and legend of small matrices.
const MIN_CONTENT_WIDTH: f64 = 760.0;
/// Gains below this (rounding noise of 6-decimal scores) count as unchanged.
const GAIN_EPSILON: f64 = 0.000_5;
/// Capabilities listed in a tooltip before "and N more".
const TOOLTIP_CAPABILITIES: usize = 12;

/// Text colour of headings.
const INK: &str = "#1a1a1a";
/// Text colour of secondary lines.
const MUTED: &str = "#555555";
/// Fill of legend samples that show no score (a cell with sub-techniques, a badge).
const BLANK_FILL: &str = "#ffffff";
/// Outline of unchanged cells in the comparison view and of legend samples.
const BLANK_STROKE: &str = "#b3b3b3";
/// Fill of cells out of scope: the one grey of every output.
const OUT_FILL: &str = crate::palette::OUT_OF_SCOPE;
/// Text of cells out of scope.
const OUT_TEXT: &str = crate::palette::OUT_OF_SCOPE_TEXT;
/// Fill of unchanged cells in the comparison view.
const UNCHANGED_FILL: &str = "#ffffff";
/// Outline of cells with parent-level evidence only.
const PARENT_ONLY_STROKE: &str = "#6a6497";
/// Opacity of techniques no selected threat uses, in the weighted view.
const DIMMED: &str = "0.28";

/// The standalone `heatmap.svg`: the view `options` ask for. Starts with `<svg` (no XML
/// prolog), because the HTML report inlines the same string.
pub(crate) fn svg(input: &ReportInput<'_>, options: &RenderOptions) -> String {
    render(input, options, "heatmap", None).0
}

/// The drawing heatmap.png shows: the compact matrix (sub-techniques rolled up, whatever
/// `options.subtechniques` says) in the slide layout.
pub(crate) fn slide_svg(input: &ReportInput<'_>, options: &RenderOptions) -> String {
    let compact = RenderOptions {
        subtechniques: crate::Subtechniques::None,
        ..options.clone()
    };
    render_with(input, &compact, "heatmap", None, SLIDE).0
}

/// `heatmap.svg` and where its matrix lies (report.html prints it in parts).
pub(crate) fn svg_with_geometry(
    input: &ReportInput<'_>,
    options: &RenderOptions,
) -> (String, Geometry) {
    render(input, options, "heatmap", None)
}

/// Where the matrix lies in a drawn heatmap, in SVG units: report.html prints it a few
/// tactics and rows at a time, each page a window onto the one drawing.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Geometry {
    /// Each column's left edge and number of cells, in the matrix's order.
    pub(crate) columns: Vec<(f64, usize)>,
    /// Width of a column.
    pub(crate) column_width: f64,
    /// Top of the column headers (tactic name and figures).
    pub(crate) header_top: f64,
    /// Height of a column header.
    pub(crate) header_height: f64,
    /// Top of the first row of cells.
    pub(crate) cells_top: f64,
    /// Height of a cell.
    pub(crate) cell_height: f64,
    /// From the top of a row to the top of the next.
    pub(crate) row_pitch: f64,
    /// Font size of the technique labels.
    pub(crate) label_size: f64,
}

/// `heatmap-full.svg`: the view `options` ask for, with every sub-technique under its parent.
pub(crate) fn full_svg(input: &ReportInput<'_>, options: &RenderOptions) -> String {
    let full = RenderOptions {
        subtechniques: crate::Subtechniques::All,
        ..options.clone()
    };
    render(input, &full, "heatmap", None).0
}

/// One `heatmap-compare-<n>.svg` per candidate of `input.comparison` (n counts from 1, in the
/// order of `comparison.candidates`), coloured by the gain in score each candidate brings;
/// none without a comparison.
pub(crate) fn comparison_svgs(input: &ReportInput<'_>, options: &RenderOptions) -> Vec<OutputFile> {
    let Some(comparison) = input.comparison else {
        return Vec::new();
    };
    comparison
        .candidates
        .iter()
        .enumerate()
        .map(|(i, candidate)| {
            let name = format!("heatmap-compare-{}", i + 1);
            let gains = Gains::new(input.assessment, candidate);
            OutputFile {
                bytes: render(input, options, &name, Some(&gains)).0.into_bytes(),
                name: format!("{name}.svg"),
            }
        })
        .collect()
}

/// The scores a candidate brings, technique by technique.
struct Gains<'a> {
    candidate: &'a CandidateResult,
    /// Score after adding the candidate, for every leaf whose score changes.
    after: BTreeMap<&'a str, f64>,
    rollup: Rollup,
    /// The gain the colour scale ends at: the smallest of [`GAIN_SCALES`] that holds the
    /// largest gain, so that small gains still show differences.
    scale: f64,
}

/// Where the gain colour scale may end.
const GAIN_SCALES: [f64; 6] = [0.05, 0.1, 0.2, 0.25, 0.5, 1.0];

impl<'a> Gains<'a> {
    fn new(assessment: &Assessment, candidate: &'a CandidateResult) -> Self {
        // Redundant leaves may still rise a little (under a point): their gain shows too.
        let changes = || {
            candidate
                .newly_covered
                .iter()
                .chain(&candidate.improved)
                .chain(&candidate.redundant)
                .filter(|change| change.after > change.before)
        };
        let after = changes()
            .map(|change| (change.id.as_str(), change.after))
            .collect();
        // A parent's roll-up never rises more than its largest sub-technique.
        let largest = changes()
            .map(|change| change.after - change.before)
            .fold(0.0, f64::max);
        let scale = GAIN_SCALES
            .into_iter()
            .find(|scale| largest <= *scale)
            .unwrap_or(1.0);
        Gains {
            candidate,
            after,
            rollup: assessment.scoring.rollup,
            scale,
        }
    }

    /// A leaf's score with the candidate.
    fn leaf_after(&self, leaf: &TechniqueResult) -> f64 {
        self.after
            .get(leaf.id.as_str())
            .copied()
            .unwrap_or(leaf.score)
    }

    /// Score with the candidate: a leaf's own, a parent's the roll-up of its sub-techniques in
    /// scope (as the engine rolls up, with the assessment's `scoring.rollup`).
    fn after(&self, assessment: &Assessment, technique: &TechniqueResult) -> f64 {
        if technique.leaf || technique.subtechniques.is_empty() {
            return self.leaf_after(technique);
        }
        let values: Vec<f64> = technique
            .subtechniques
            .iter()
            .filter_map(|id| assessment.technique(id))
            .filter(|sub| sub.in_scope)
            .map(|sub| self.leaf_after(sub))
            .collect();
        if values.is_empty() {
            return technique.score;
        }
        match self.rollup {
            Rollup::Mean => values.iter().sum::<f64>() / values.len() as f64,
            Rollup::Min => values.iter().copied().fold(1.0, f64::min),
            Rollup::Max => values.iter().copied().fold(0.0, f64::max),
        }
    }

    /// The gain of a technique, 0 when it does not rise.
    fn gain(&self, assessment: &Assessment, technique: &TechniqueResult) -> f64 {
        let gain = self.after(assessment, technique) - technique.score;
        if gain < GAIN_EPSILON { 0.0 } else { gain }
    }

    /// The gain of a tactic's mean score: over its leaves in scope.
    fn tactic_gain(&self, assessment: &Assessment, shortname: &str) -> f64 {
        let (mut before, mut after, mut n) = (0.0, 0.0, 0usize);
        for leaf in assessment
            .leaves_in_scope()
            .filter(|t| t.tactics.iter().any(|s| s == shortname))
        {
            before += leaf.score;
            after += self.leaf_after(leaf);
            n += 1;
        }
        if n == 0 {
            0.0
        } else {
            ((after - before) / n as f64).max(0.0)
        }
    }
}

/// What one rendering draws.
struct Scene<'a> {
    assessment: &'a Assessment,
    palette: Palette,
    /// The weighted view, with threats selected.
    weighted: bool,
    /// The visibility view: cells coloured by the `visibility` function's score.
    visibility: bool,
    gains: Option<&'a Gains<'a>>,
    /// `id` of the root element; prefixes the ids inside, so that several heatmaps can be
    /// inlined in one HTML page.
    root_id: &'a str,
    /// Print each cell's score in it (`--cell-scores`).
    cell_scores: bool,
    /// Cell size and text.
    layout: Layout,
}

fn render(
    input: &ReportInput<'_>,
    options: &RenderOptions,
    root_id: &str,
    gains: Option<&Gains<'_>>,
) -> (String, Geometry) {
    render_with(input, options, root_id, gains, SCREEN)
}

fn render_with(
    input: &ReportInput<'_>,
    options: &RenderOptions,
    root_id: &str,
    gains: Option<&Gains<'_>>,
    layout: Layout,
) -> (String, Geometry) {
    let assessment = input.assessment;
    let matrix = matrix::layout(assessment, options.subtechniques, options.view);
    let scene = Scene {
        assessment,
        palette: options.palette,
        weighted: options.view == View::Weighted && assessment.has_threats(),
        visibility: options.view == View::Visibility && gains.is_none(),
        gains,
        root_id,
        cell_scores: options.cell_scores,
        layout,
    };
    let columns = matrix.columns.len() as f64;
    let matrix_width = (columns * CELL_W + (columns - 1.0).max(0.0) * COL_GAP).max(0.0);
    let content_width = matrix_width.max(MIN_CONTENT_WIDTH);

    let mut body = String::new();
    let header_bottom = header(&mut body, &scene, input, content_width);
    let legend_bottom = legend(&mut body, &scene, content_width, header_bottom + 10.0);
    let matrix_top = legend_bottom + 18.0;
    let matrix_bottom = draw_matrix(&mut body, &scene, &matrix, matrix_top);
    let geometry = Geometry {
        columns: matrix
            .columns
            .iter()
            .enumerate()
            .map(|(i, column)| (MARGIN + i as f64 * (CELL_W + COL_GAP), column.cells.len()))
            .collect(),
        column_width: CELL_W,
        header_top: matrix_top,
        header_height: COLUMN_HEADER_H,
        cells_top: matrix_top + COLUMN_HEADER_H,
        cell_height: layout.cell_h,
        row_pitch: layout.cell_h + ROW_GAP,
        label_size: layout.font,
    };

    let width = (content_width + 2.0 * MARGIN).ceil();
    let height = (matrix_bottom + MARGIN).ceil();
    let mut out = String::with_capacity(body.len() + 1024);
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{id}\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{label}\" font-family=\"{font}\">",
        id = escape(root_id),
        w = num(width),
        h = num(height),
        label = escape(&aria_label(&scene)),
        font = FONT_FAMILY,
    );
    let _ = writeln!(
        out,
        "<defs><pattern id=\"{id}-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#ffffff\"/>\
         <rect width=\"2.6\" height=\"6\" fill=\"{stripe}\"/></pattern></defs>",
        id = escape(root_id),
        stripe = crate::palette::PARENT_LEVEL_ONLY,
    );
    let _ = writeln!(
        out,
        "<rect width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>",
        num(width),
        num(height)
    );
    out.push_str(&body);
    out.push_str("</svg>\n");
    (out, geometry)
}

/// What a screen reader announces.
fn aria_label(scene: &Scene<'_>) -> String {
    let organization = scene.assessment.organization.as_deref().unwrap_or("");
    match scene.gains {
        Some(gains) => format!(
            "ATT&CK coverage gain from {} {organization}",
            gains.candidate.name
        ),
        None if scene.visibility => format!("ATT&CK visibility heatmap {organization}"),
        None => format!("ATT&CK coverage heatmap {organization}"),
    }
    .trim_end()
    .to_string()
}

// ---------------------------------------------------------------------------------------------
// Header and legend

/// One run of text in a line: its text, bold or not.
type Run = (String, bool);

/// Writes the header and returns where it ends.
fn header(out: &mut String, scene: &Scene<'_>, input: &ReportInput<'_>, width: f64) -> f64 {
    let assessment = scene.assessment;
    let organization = assessment.organization.as_deref();
    let what = match (scene.gains, scene.weighted) {
        (Some(gains), _) => format!("coverage gain from {}", gains.candidate.name),
        (None, _) if scene.visibility => "ATT&CK visibility".to_string(),
        (None, true) => "threat-weighted ATT&CK coverage".to_string(),
        (None, false) => "ATT&CK coverage".to_string(),
    };
    let title = match organization {
        Some(org) if !org.trim().is_empty() => format!("{} \u{2014} {what}", org.trim()),
        _ => capitalise(&what),
    };
    let mut y = MARGIN + 18.0;
    text_line(out, MARGIN, y, 20.0, INK, &[(title, true)], width);

    let attack = &assessment.attack;
    let mut release = attack.name.clone();
    if let Some(version) = &attack.version {
        let _ = write!(release, " v{version}");
    }
    let mut subtitle = format!(
        "{release} ({} domain) \u{b7} {} techniques and sub-techniques in scope, {} out of scope",
        attack.domain, assessment.counts.in_scope, assessment.counts.excluded
    );
    if !assessment.scope.platforms.is_empty() {
        let _ = write!(
            subtitle,
            " \u{b7} platforms: {}",
            assessment.scope.platforms.join(", ")
        );
    }
    if let Some(date) = input.date {
        subtitle = format!("{date} \u{b7} {subtitle}");
    }
    y += 20.0;
    text_line(out, MARGIN, y, 12.0, MUTED, &[(subtitle, false)], width);

    y += 22.0;
    text_line(out, MARGIN, y, 14.0, INK, &score_runs(scene), width);

    let threats: Vec<String> = assessment
        .scope
        .threats
        .all()
        .map(|(_, threat)| format!("{} ({})", threat.name, threat.id))
        .collect();
    if !threats.is_empty() {
        y += 18.0;
        let line = format!("Selected threats: {}", threats.join(", "));
        text_line(out, MARGIN, y, 12.0, MUTED, &[(line, false)], width);
    }
    if let Some(gains) = scene.gains {
        y += 18.0;
        let candidate = gains.candidate;
        let mut line = format!(
            "{} newly covered, {} improved, {} redundant \u{b7} {}: {}",
            count(candidate.newly_covered.len(), "technique"),
            candidate.improved.len(),
            candidate.redundant.len(),
            if candidate.label == candidate.name {
                "capabilities"
            } else {
                candidate.label.as_str()
            },
            candidate.capabilities.join(", ")
        );
        if let Some(cost) = &candidate.annual_cost {
            let _ = write!(line, " \u{b7} {:.0} {} a year", cost.annual, cost.currency);
            if let Some(per_point) = candidate.cost_per_point {
                let _ = write!(line, ", {per_point:.0} {} per point", cost.currency);
            }
        }
        text_line(out, MARGIN, y, 12.0, MUTED, &[(line, false)], width);
    }
    y + 6.0
}

/// The line of headline scores: the view's own score first.
fn score_runs(scene: &Scene<'_>) -> Vec<Run> {
    let assessment = scene.assessment;
    let mut runs: Vec<Run> = Vec::new();
    if let Some(gains) = scene.gains {
        let candidate = gains.candidate;
        let before = assessment.overall;
        runs.push(("Overall ".into(), false));
        runs.push((format!("{} \u{2192} ", percent(before)), false));
        runs.push((percent(candidate.after.overall), true));
        runs.push((format!(" ({})", points(candidate.gain)), false));
        if let (Some(before), Some(after), Some(gain)) = (
            assessment.overall_weighted,
            candidate.after.overall_weighted,
            candidate.gain_weighted,
        ) {
            runs.push((" \u{b7} Threat-weighted ".into(), false));
            runs.push((format!("{} \u{2192} ", percent(before)), false));
            runs.push((percent(after), true));
            runs.push((format!(" ({})", points(gain)), false));
        }
        return runs;
    }
    if scene.visibility {
        // Visibility: typed visibility entries and what the collected telemetry shows.
        runs.push(("Mean visibility ".into(), false));
        runs.push((
            percent(assessment.functions.get(Function::Visibility)),
            true,
        ));
        runs.push((" \u{b7} overall coverage ".into(), false));
        runs.push((percent(assessment.overall), false));
        runs.push((
            " \u{b7} visibility: the larger of visibility entries and what the collected telemetry shows"
                .into(),
            false,
        ));
        return runs;
    }
    let overall = [
        ("Overall coverage ".to_string(), false),
        (percent(assessment.overall), true),
    ];
    let weighted = assessment.overall_weighted.map(|w| {
        [
            ("Threat-weighted coverage ".to_string(), false),
            (percent(w), true),
        ]
    });
    match weighted {
        Some(weighted) if scene.weighted => {
            runs.extend(weighted);
            runs.push((" \u{b7} ".into(), false));
            runs.extend(overall);
        }
        Some(weighted) => {
            runs.extend(overall);
            runs.push((" \u{b7} ".into(), false));
            runs.extend(weighted);
        }
        None => runs.extend(overall),
    }
    let levels = &assessment.counts.by_level;
    runs.push((
        format!(
            " \u{b7} by level: {} high, {} medium, {} low, {} none",
            levels.high, levels.medium, levels.low, levels.none
        ),
        false,
    ));
    runs
}

/// One legend entry's picture.
enum Swatch {
    /// The colour scale, from `low` to `high`.
    Scale { low: String, high: String },
    /// A cell with this fill and outline.
    Cell(SwatchCell),
    /// A sample of the number shown at a cell's right.
    Badge(&'static str),
}

/// A sample cell in the legend.
struct SwatchCell {
    fill: String,
    stroke: Option<&'static str>,
    opacity: Option<&'static str>,
    sidebar: bool,
}

impl SwatchCell {
    fn plain(fill: &str, stroke: Option<&'static str>) -> Swatch {
        Swatch::Cell(SwatchCell {
            fill: fill.to_string(),
            stroke,
            opacity: None,
            sidebar: false,
        })
    }
}

/// Height of a legend row.
const LEGEND_ROW_H: f64 = 22.0;
/// Font size of legend labels.
const LEGEND_FONT: f64 = 11.0;
/// Size of a legend swatch.
const SWATCH_W: f64 = 26.0;
/// Height of a legend swatch.
const SWATCH_H: f64 = 14.0;
/// Steps of the colour scale in the legend.
const SCALE_STEPS: usize = 10;
/// Width of one step of the colour scale.
const SCALE_STEP_W: f64 = 14.0;
/// Space between legend entries.
const LEGEND_GAP: f64 = 22.0;

/// The legend's entries for the view.
fn legend_items(scene: &Scene<'_>) -> Vec<(Swatch, Cow<'static, str>)> {
    let mut items: Vec<(Swatch, Cow<'static, str>)> = Vec::new();
    if let Some(gains) = scene.gains {
        let scale = Swatch::Scale {
            low: "+0".into(),
            high: format!("+{:.0} points", gains.scale * 100.0),
        };
        items.push((scale, "Gain in score".into()));
        items.push((
            SwatchCell::plain(UNCHANGED_FILL, Some(BLANK_STROKE)),
            "Unchanged".into(),
        ));
        items.push((Swatch::Badge("+25"), "points gained".into()));
    } else {
        let scale = Swatch::Scale {
            low: "0%".into(),
            high: "100%".into(),
        };
        let name = if scene.visibility {
            "Visibility score"
        } else {
            "Coverage score"
        };
        items.push((scale, name.into()));
        // One sample per display level, named with the assessment's thresholds; "none" is
        // score 0, the colour of every technique in scope that nothing covers.
        let thresholds = scene.assessment.scoring.thresholds;
        for (level, label) in level_labels(thresholds.medium, thresholds.high) {
            let value = Palette::level_value(level, thresholds.medium, thresholds.high);
            items.push((
                Swatch::Cell(SwatchCell {
                    fill: scene.palette.hex(value),
                    stroke: None,
                    opacity: None,
                    sidebar: false,
                }),
                label.into(),
            ));
        }
        if !scene.visibility {
            let hatch = format!("url(#{}-hatch)", scene.root_id);
            items.push((
                SwatchCell::plain(&hatch, Some(PARENT_ONLY_STROKE)),
                "Parent-level evidence only".into(),
            ));
        }
    }
    items.push((
        SwatchCell::plain(OUT_FILL, None),
        "Out of scope (reason in tooltip)".into(),
    ));
    items.push((
        Swatch::Cell(SwatchCell {
            fill: BLANK_FILL.into(),
            stroke: Some(BLANK_STROKE),
            opacity: None,
            sidebar: true,
        }),
        "Has sub-techniques (roll-up)".into(),
    ));
    if scene.weighted {
        items.push((
            Swatch::Cell(SwatchCell {
                fill: scene.palette.hex(0.6),
                stroke: None,
                opacity: Some(DIMMED),
                sidebar: false,
            }),
            "Not used by the selected threats".into(),
        ));
        if scene.gains.is_none() {
            items.push((Swatch::Badge("3"), "selected threats using it".into()));
        }
    }
    items
}

/// The display levels and their legend labels, with the thresholds: `none: 0%`,
/// `low: below 33%`, `medium: 33% to below 66%`, `high: 66% and above`.
pub(crate) fn level_labels(medium: f64, high: f64) -> [(CoverageLevel, String); 4] {
    let medium = medium.clamp(0.0, 1.0);
    let high = high.clamp(medium, 1.0);
    [
        (CoverageLevel::None, "none: 0% (not covered)".to_string()),
        (
            CoverageLevel::Low,
            format!("low: above 0%, below {}", percent_label(medium)),
        ),
        (
            CoverageLevel::Medium,
            format!(
                "medium: {} to below {}",
                percent_label(medium),
                percent_label(high)
            ),
        ),
        (
            CoverageLevel::High,
            format!("high: {} and above", percent_label(high)),
        ),
    ]
}

/// A threshold as a percentage without needless decimals: `33%`, `33.5%`.
fn percent_label(fraction: f64) -> String {
    let tenths = (fraction * 1000.0).round() / 10.0;
    format!("{tenths}%")
}

/// Writes the legend, wrapping to the width, and returns where it ends.
fn legend(out: &mut String, scene: &Scene<'_>, width: f64, top: f64) -> f64 {
    let _ = writeln!(
        out,
        "<g class=\"legend\" font-size=\"{LEGEND_FONT}\" fill=\"{INK}\">"
    );
    let (mut x, mut y) = (MARGIN, top);
    for (swatch, label) in &legend_items(scene) {
        let item_width = match swatch {
            Swatch::Scale { low, high } => {
                // The scale's label is bold.
                text_width(label, LEGEND_FONT, true)
                    + 8.0
                    + text_width(low, LEGEND_FONT, false)
                    + 4.0
                    + SCALE_STEP_W * SCALE_STEPS as f64
                    + 4.0
                    + text_width(high, LEGEND_FONT, false)
            }
            Swatch::Cell(_) | Swatch::Badge(_) => {
                SWATCH_W + 6.0 + text_width(label, LEGEND_FONT, false)
            }
        };
        if x > MARGIN && x + item_width > MARGIN + width {
            x = MARGIN;
            y += LEGEND_ROW_H;
        }
        let baseline = y + SWATCH_H / 2.0 + LEGEND_FONT * 0.35;
        match swatch {
            Swatch::Scale { low, high } => {
                legend_scale(out, scene.palette, (label, low, high), x, y);
            }
            Swatch::Cell(cell) => {
                legend_cell(out, cell, x, y);
                legend_label(out, x + SWATCH_W + 6.0, baseline, label);
            }
            Swatch::Badge(sample) => {
                let _ = writeln!(
                    out,
                    "<rect x=\"{}\" y=\"{}\" width=\"{SWATCH_W}\" height=\"{SWATCH_H}\" rx=\"2\" \
                     fill=\"{BLANK_FILL}\" stroke=\"{BLANK_STROKE}\"/><text x=\"{}\" y=\"{}\" \
                     font-size=\"{CELL_FONT}\" font-weight=\"bold\" text-anchor=\"end\">{}</text>",
                    num(x + 0.5),
                    num(y + 0.5),
                    num(x + SWATCH_W - 3.0),
                    num(baseline),
                    escape(sample)
                );
                legend_label(out, x + SWATCH_W + 6.0, baseline, label);
            }
        }
        x += item_width + LEGEND_GAP;
    }
    out.push_str("</g>\n");
    y + LEGEND_ROW_H
}

/// The colour scale: bold label, low end, steps, high end.
fn legend_scale(
    out: &mut String,
    palette: Palette,
    (label, low, high): (&str, &str, &str),
    x: f64,
    y: f64,
) {
    let baseline = y + SWATCH_H / 2.0 + LEGEND_FONT * 0.35;
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" font-weight=\"bold\">{}</text>",
        num(x),
        num(baseline),
        escape(label)
    );
    let mut at = x + text_width(label, LEGEND_FONT, true) + 8.0;
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" fill=\"{MUTED}\">{}</text>",
        num(at),
        num(baseline),
        escape(low)
    );
    at += text_width(low, LEGEND_FONT, false) + 4.0;
    for step in 0..SCALE_STEPS {
        // The middle of each step's interval, so that both ends show.
        let value = (step as f64 + 0.5) / SCALE_STEPS as f64;
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{SWATCH_H}\" fill=\"{}\"/>",
            num(at + SCALE_STEP_W * step as f64),
            num(y),
            num(SCALE_STEP_W),
            palette.hex(value)
        );
    }
    at += SCALE_STEP_W * SCALE_STEPS as f64 + 4.0;
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" fill=\"{MUTED}\">{}</text>",
        num(at),
        num(baseline),
        escape(high)
    );
}

fn legend_cell(out: &mut String, cell: &SwatchCell, x: f64, y: f64) {
    out.push_str("<g");
    if let Some(opacity) = cell.opacity {
        let _ = write!(out, " opacity=\"{opacity}\"");
    }
    let _ = write!(
        out,
        "><rect x=\"{}\" y=\"{}\" width=\"{SWATCH_W}\" height=\"{SWATCH_H}\" rx=\"2\" \
         fill=\"{}\"",
        num(x + 0.5),
        num(y + 0.5),
        cell.fill
    );
    if let Some(stroke) = cell.stroke {
        let _ = write!(out, " stroke=\"{stroke}\"");
    }
    out.push_str("/>");
    if cell.sidebar {
        let _ = write!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{SIDEBAR_W}\" height=\"{}\" fill=\"#000000\" \
             fill-opacity=\"0.45\"/>",
            num(x + SWATCH_W - SIDEBAR_W),
            num(y + 1.0),
            num(SWATCH_H - 1.0)
        );
    }
    out.push_str("</g>\n");
}

fn legend_label(out: &mut String, x: f64, baseline: f64, label: &str) {
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\">{}</text>",
        num(x),
        num(baseline),
        escape(label)
    );
}

/// Writes one line of text made of runs, shortening the last runs to fit `width`.
fn text_line(
    out: &mut String,
    x: f64,
    baseline: f64,
    size: f64,
    fill: &str,
    runs: &[Run],
    width: f64,
) {
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{fill}\">",
        num(x),
        num(baseline),
        num(size)
    );
    let mut left = width;
    for (text, bold) in runs {
        if left <= 0.0 {
            break;
        }
        let shown = shorten(text, left, size, *bold);
        left -= text_width(&shown, size, *bold);
        if *bold {
            let _ = write!(
                out,
                "<tspan font-weight=\"bold\">{}</tspan>",
                escape(&shown)
            );
        } else {
            let _ = write!(out, "<tspan>{}</tspan>", escape(&shown));
        }
    }
    out.push_str("</text>\n");
}

// ---------------------------------------------------------------------------------------------
// The matrix

/// How a cell looks.
struct Look {
    fill: String,
    stroke: Option<&'static str>,
    text: &'static str,
    dimmed: bool,
}

/// Writes the columns and returns where the longest ends.
fn draw_matrix(out: &mut String, scene: &Scene<'_>, matrix: &Matrix<'_>, top: f64) -> f64 {
    let mut bottom = top + COLUMN_HEADER_H;
    for (i, column) in matrix.columns.iter().enumerate() {
        let x = MARGIN + i as f64 * (CELL_W + COL_GAP);
        let end = draw_column(out, scene, (i, column), x, top);
        bottom = bottom.max(end);
    }
    bottom
}

/// Draws column `index`: its header in a group with the id `ROOT-hINDEX`, each cell with the
/// id `ROOT-cINDEX-ROW` (report.html prints the matrix a few columns and rows a page, each
/// page `<use>`-ing the header and cells it shows).
fn draw_column(
    out: &mut String,
    scene: &Scene<'_>,
    (index, column): (usize, &Column<'_>),
    x: f64,
    top: f64,
) -> f64 {
    let _ = writeln!(
        out,
        "<g class=\"tactic\" data-tactic=\"{}\">\n<g id=\"{}-h{index}\">",
        escape(column.shortname),
        escape(scene.root_id)
    );
    let name = shorten(column.name, CELL_W, 13.0, true);
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" font-size=\"13\" font-weight=\"bold\" fill=\"{INK}\">{}</text>",
        num(x),
        num(top + 13.0),
        escape(&name)
    );
    let techniques = column.cells.iter().filter(|c| !c.sub).count();
    let out_of_scope = scene
        .assessment
        .tactic(column.shortname)
        .is_some_and(|tactic| tactic.leaves == 0);
    let figure = if out_of_scope {
        "out of scope".to_string()
    } else if let Some(gains) = scene.gains {
        points(gains.tactic_gain(scene.assessment, column.shortname))
    } else if scene.weighted {
        match column.score_weighted {
            Some(w) => format!("weighted {}", percent(w)),
            None => "not used by the threats".to_string(),
        }
    } else {
        percent(column.score)
    };
    let line = format!("{} \u{b7} {figure}", count(techniques, "technique"));
    let line = shorten(&line, CELL_W, 11.0, false);
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{MUTED}\">{}</text>",
        num(x),
        num(top + 28.0),
        escape(&line)
    );
    let _ = writeln!(
        out,
        "<rect x=\"{}\" y=\"{}\" width=\"{CELL_W}\" height=\"2\" fill=\"{INK}\"/>",
        num(x),
        num(top + 33.0)
    );
    out.push_str("</g>\n");

    let cells_top = top + COLUMN_HEADER_H;
    let cell_h = scene.layout.cell_h;
    let row = |i: usize| cells_top + i as f64 * (cell_h + ROW_GAP);
    // The line joining an expanded parent to its sub-techniques.
    let mut family: Option<usize> = None;
    for (i, cell) in column.cells.iter().enumerate() {
        if cell.expanded {
            family = Some(i);
        }
        let last_of_family = cell.sub && column.cells.get(i + 1).is_none_or(|next| !next.sub);
        if let (true, Some(parent)) = (last_of_family, family) {
            let _ = writeln!(
                out,
                "<path d=\"M{} {}V{}\" stroke=\"#8c8c8c\" stroke-width=\"1.5\" fill=\"none\"/>",
                num(x + SUB_INDENT / 2.0),
                num(row(parent) + cell_h),
                num(row(i) + cell_h / 2.0)
            );
            family = None;
        }
        let id = format!("{}-c{index}-{i}", escape(scene.root_id));
        draw_cell(out, scene, column, (&id, cell), x, row(i));
    }
    out.push_str("</g>\n");
    if column.cells.is_empty() {
        cells_top
    } else {
        row(column.cells.len() - 1) + cell_h
    }
}

fn look(scene: &Scene<'_>, cell: &Cell<'_>, gain: Option<f64>) -> Look {
    let scale = scene.gains.map_or(1.0, |gains| gains.scale);
    let palette = scene.palette;
    let technique = cell.technique;
    let dimmed = cell.mark == Mark::NotUsedByThreats;
    let blank = |fill: &str| Look {
        fill: fill.to_string(),
        stroke: Some(BLANK_STROKE),
        text: INK,
        dimmed,
    };
    // Dimmed cells keep the look they would have, faded.
    let mark = if dimmed {
        matrix::mark(technique, false)
    } else {
        cell.mark
    };
    if mark == Mark::OutOfScope {
        return Look {
            fill: OUT_FILL.to_string(),
            stroke: None,
            text: OUT_TEXT,
            dimmed,
        };
    }
    if let Some(gain) = gain {
        return if gain > 0.0 {
            Look {
                fill: palette.hex(gain / scale),
                stroke: None,
                text: palette.text_on(gain / scale),
                dimmed,
            }
        } else {
            blank(UNCHANGED_FILL)
        };
    }
    match mark {
        Mark::Covered => Look {
            fill: palette.hex(cell.value),
            stroke: None,
            text: palette.text_on(cell.value),
            dimmed,
        },
        Mark::ParentLevelOnly => Look {
            fill: format!("url(#{}-hatch)", scene.root_id),
            stroke: Some(PARENT_ONLY_STROKE),
            text: INK,
            dimmed,
        },
        // A gap takes the colour of score 0, the end of the scale that draws the eye.
        Mark::NotCovered | Mark::OutOfScope | Mark::NotUsedByThreats => Look {
            fill: palette.hex(0.0),
            stroke: None,
            text: palette.text_on(0.0),
            dimmed,
        },
    }
}

fn mark_name(mark: Mark) -> &'static str {
    match mark {
        Mark::Covered => "covered",
        Mark::NotCovered => "not-covered",
        Mark::ParentLevelOnly => "parent-only",
        Mark::OutOfScope => "out-of-scope",
        Mark::NotUsedByThreats => "not-used",
    }
}

fn draw_cell(
    out: &mut String,
    scene: &Scene<'_>,
    column: &Column<'_>,
    (id, cell): (&str, &Cell<'_>),
    column_x: f64,
    y: f64,
) {
    let technique = cell.technique;
    let gain = scene
        .gains
        .map(|gains| gains.gain(scene.assessment, technique));
    let look = look(scene, cell, gain);
    let x = if cell.sub {
        column_x + SUB_INDENT
    } else {
        column_x
    };
    let width = if cell.sub {
        CELL_W - SUB_INDENT
    } else {
        CELL_W
    };

    let _ = write!(
        out,
        "<g class=\"cell\" id=\"{id}\" data-id=\"{}\" data-tactic=\"{}\" data-mark=\"{}\" \
         data-score=\"{}\"",
        escape(&technique.id),
        escape(column.shortname),
        mark_name(cell.mark),
        num6(technique.score)
    );
    if let Some(gain) = gain {
        let _ = write!(out, " data-gain=\"{}\"", num6(gain));
    }
    if look.dimmed {
        let _ = write!(out, " opacity=\"{DIMMED}\"");
    }
    out.push_str(">\n");
    let _ = writeln!(
        out,
        "<title>{}</title>",
        escape(&tooltip(scene, column, cell, gain))
    );
    // Outlined cells are inset by half the stroke so that outlines stay inside the cell.
    let _ = write!(
        out,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"2\" fill=\"{}\"",
        num(x + 0.5),
        num(y + 0.5),
        num(width - 1.0),
        num(scene.layout.cell_h - 1.0),
        look.fill
    );
    if let Some(stroke) = look.stroke {
        let _ = write!(out, " stroke=\"{stroke}\"");
    }
    out.push_str("/>\n");
    let mut right = x + width - PAD;
    if cell.has_subtechniques {
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{SIDEBAR_W}\" height=\"{}\" fill=\"{}\" \
             fill-opacity=\"0.45\"/>",
            num(x + width - SIDEBAR_W - 0.5),
            num(y + 1.0),
            num(scene.layout.cell_h - 2.0),
            look.text
        );
        right -= SIDEBAR_W;
    }
    let layout = scene.layout;
    let font = layout.font;
    // One line: centred in the cell. Two: the pair centred, the second a line height below.
    let line_height = font * 1.15;
    let baseline = if layout.two_lines {
        y + layout.cell_h / 2.0 - line_height / 2.0 + font * 0.36
    } else {
        y + layout.cell_h / 2.0 + font * 0.36
    };
    let full_right = right;
    if let Some(badge) = badge(scene, technique, cell.value, gain) {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\" font-weight=\"bold\" \
             text-anchor=\"end\" fill=\"{}\">{}</text>",
            num(right),
            num(baseline),
            num(font),
            look.text,
            escape(&badge)
        );
        right -= text_width(&badge, font, true) + 4.0;
    }
    let second = layout
        .two_lines
        .then_some((baseline + line_height, full_right));
    cell_text(
        out,
        technique,
        look.text,
        (x + PAD, right),
        (baseline, font),
        second,
    );
    out.push_str("</g>\n");
}

/// The number at a cell's right: the points gained in the comparison view; with
/// `--cell-scores` the value coloured (`value`: the score, or the visibility) of a technique in
/// scope (a whole percent, as layer.json has it); else the threat weight of the technique in
/// the weighted view.
fn badge(
    scene: &Scene<'_>,
    technique: &TechniqueResult,
    value: f64,
    gain: Option<f64>,
) -> Option<String> {
    match gain {
        Some(gain) => (gain > 0.0).then(|| format!("+{:.0}", gain * 100.0)),
        None if scene.cell_scores => technique.in_scope.then(|| format!("{:.0}%", value * 100.0)),
        None => (scene.weighted && technique.in_scope && technique.weight > 0.0)
            .then(|| weight_label(technique.weight)),
    }
}

/// The ID in bold, then the name, shortened to end before `right`. The space after the ID
/// keeps copied text readable; the name has its own `x`, so the space does not move it. With
/// a `second` line (its baseline and right end), the name wraps at a word onto it, and only
/// what does not fit there is shortened.
fn cell_text(
    out: &mut String,
    technique: &TechniqueResult,
    fill: &str,
    (left, right): (f64, f64),
    (baseline, font): (f64, f64),
    second: Option<(f64, f64)>,
) {
    let id_width = text_width(&technique.id, font, true);
    let name_x = left + id_width + 4.0;
    let (first, rest) = match second {
        Some(_) => wrap(&technique.name, right - name_x, font),
        None => (
            shorten(&technique.name, right - name_x, font, false).into_owned(),
            String::new(),
        ),
    };
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{fill}\">\
         <tspan font-weight=\"bold\">{} </tspan>",
        num(left),
        num(baseline),
        num(font),
        escape(&technique.id)
    );
    name_span(out, name_x, None, &first, font);
    if let Some((next_baseline, next_right)) = second
        && !rest.is_empty()
    {
        let rest = shorten(&rest, next_right - left, font, false);
        name_span(out, left, Some(next_baseline), &rest, font);
    }
    out.push_str("</text>\n");
}

/// A run of a name at `x` (and on the line at `baseline`, when given), held to its measured
/// width.
fn name_span(out: &mut String, x: f64, baseline: Option<f64>, text: &str, font: f64) {
    if text.is_empty() {
        return;
    }
    let _ = write!(out, "<tspan x=\"{}\"", num(x));
    if let Some(y) = baseline {
        let _ = write!(out, " y=\"{}\"", num(y));
    }
    let _ = write!(
        out,
        " textLength=\"{}\" lengthAdjust=\"spacingAndGlyphs\">{}</tspan>",
        num(text_width(text, font, false)),
        escape(text)
    );
}

/// `name` cut at the last space that leaves its first line within `width`: the first line
/// and the rest (the whole name on the second line when not even its first word fits).
fn wrap(name: &str, width: f64, font: f64) -> (String, String) {
    if text_width(name, font, false) <= width {
        return (name.to_string(), String::new());
    }
    let cut = name
        .char_indices()
        .filter(|(_, c)| *c == ' ')
        .map(|(i, _)| i)
        .take_while(|&i| text_width(name.get(..i).unwrap_or(""), font, false) <= width)
        .last();
    match cut {
        Some(i) => (
            name.get(..i).unwrap_or("").to_string(),
            name.get(i + 1..).unwrap_or("").to_string(),
        ),
        None => (String::new(), name.to_string()),
    }
}

/// The tooltip of a cell: everything behind its colour.
fn tooltip(scene: &Scene<'_>, column: &Column<'_>, cell: &Cell<'_>, gain: Option<f64>) -> String {
    let assessment = scene.assessment;
    let t = cell.technique;
    let mut lines: Vec<String> = Vec::new();
    let mut first = format!("{} {}", t.id, t.name);
    if let Some(parent) = &t.parent {
        let _ = write!(first, " (sub-technique of {parent})");
    }
    lines.push(first);
    let tactics: Vec<&str> = t
        .tactics
        .iter()
        .map(|s| {
            assessment
                .tactic(s)
                .map_or(s.as_str(), |tactic| tactic.name.as_str())
        })
        .collect();
    if tactics.len() > 1 {
        lines.push(format!("Tactics: {}", tactics.join(", ")));
    } else {
        lines.push(format!("Tactic: {}", column.name));
    }
    if let (Some(gains), Some(gain)) = (scene.gains, gain) {
        let after = gains.after(assessment, t);
        lines.push(if gain > 0.0 {
            format!(
                "With {}: {} \u{2192} {} ({})",
                crate::text::short_name(&gains.candidate.name),
                percent(t.score),
                percent(after),
                points(gain)
            )
        } else {
            format!(
                "With {}: unchanged",
                crate::text::short_name(&gains.candidate.name)
            )
        });
    }
    if t.in_scope {
        lines.push(format!("Score: {} ({})", percent(t.score), t.level.name()));
    } else {
        lines.push(format!(
            "Out of scope: {}",
            t.exclusion_reason.as_deref().unwrap_or("not counted")
        ));
        lines.push(format!("Score (not counted): {}", percent(t.score)));
    }
    let functions: Vec<String> = Function::ALL
        .into_iter()
        .map(|f| format!("{} {}", f.as_str(), percent(t.functions.get(f).score)))
        .collect();
    lines.push(format!("By function: {}", functions.join(", ")));
    if !t.platforms.is_empty() {
        lines.push(format!("Platforms: {}", t.platforms.join(", ")));
    }
    if assessment.has_threats() {
        lines.push(if t.weight > 0.0 {
            format!(
                "Used by selected threats: threat weight {}",
                weight_label(t.weight)
            )
        } else {
            "Used by none of the selected threats".to_string()
        });
    }
    if cell.has_subtechniques {
        let subs = t.subtechniques.len();
        lines.push(format!(
            "Roll-up of its {}{}",
            count(subs, "sub-technique"),
            if cell.expanded { " (shown below)" } else { "" }
        ));
    }
    lines.extend(capability_lines(assessment, t));
    lines.join("\n")
}

/// The capabilities behind a technique's score, and its parent-level evidence.
fn capability_lines(assessment: &Assessment, t: &TechniqueResult) -> Vec<String> {
    let mut lines = Vec::new();
    if t.capabilities.is_empty() && !t.subtechniques.is_empty() {
        // Parents list none of their own: name those on their sub-techniques in scope.
        let mut names: BTreeMap<&str, &str> = BTreeMap::new();
        for contribution in t
            .subtechniques
            .iter()
            .filter_map(|id| assessment.technique(id))
            .filter(|sub| sub.in_scope)
            .flat_map(|sub| &sub.capabilities)
        {
            names.insert(&contribution.id, &contribution.name);
        }
        if !names.is_empty() {
            let list: Vec<String> = names
                .iter()
                .map(|(id, name)| capability_label(id, name))
                .collect();
            lines.push(format!(
                "Capabilities on its sub-techniques: {}",
                limited(&list, TOOLTIP_CAPABILITIES, ", ")
            ));
        }
    } else if t.capabilities.is_empty() {
        lines.push("Capabilities: none".to_string());
    } else {
        lines.push(format!(
            "Capabilities:\n{}",
            limited(&contributions(&t.capabilities), TOOLTIP_CAPABILITIES, "\n")
        ));
    }
    if !t.parent_evidence.is_empty() {
        lines.push(format!(
            "Parent-level evidence (never scores, verify per sub-technique):\n{}",
            limited(
                &contributions(&t.parent_evidence),
                TOOLTIP_CAPABILITIES,
                "\n"
            )
        ));
    }
    if !t.parent_level_only.is_empty() {
        lines.push(format!(
            "Covered at parent level only, verify per sub-technique: {}",
            t.parent_level_only.join(", ")
        ));
    }
    lines
}

/// One line per capability: its name and the value per function, e.g.
/// `EDR (edr): detect 0.72, protect 0.50`.
fn contributions(list: &[Contribution]) -> Vec<String> {
    let mut by_capability: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    for c in list {
        by_capability
            .entry((&c.id, &c.name))
            .or_default()
            .push(format!("{} {:.2}", c.function.as_str(), c.value));
    }
    by_capability
        .into_iter()
        .map(|((id, name), values)| {
            format!("- {}: {}", capability_label(id, name), values.join(", "))
        })
        .collect()
}

/// `name (id)`, the name shortened: tooltips repeat it on every technique the capability
/// covers (the full name is in report.html's capability table).
fn capability_label(id: &str, name: &str) -> String {
    if id == name {
        crate::text::short_name(id).into_owned()
    } else {
        format!(
            "{} ({})",
            crate::text::short_name(name),
            crate::text::short_name(id)
        )
    }
}

/// The first `max` items joined, then "and N more".
fn limited(items: &[String], max: usize, separator: &str) -> String {
    let shown: Vec<&str> = items.iter().take(max).map(String::as_str).collect();
    let mut text = shown.join(separator);
    if items.len() > max {
        let _ = write!(text, "{separator}and {} more", items.len() - max);
    }
    text
}

// ---------------------------------------------------------------------------------------------
// Small formats

/// A coordinate: at most two decimals, no trailing zeros.
fn num(x: f64) -> String {
    let text = format!("{x:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// A value with six decimals, the precision of an assessment, without trailing zeros.
fn num6(x: f64) -> String {
    let text = format!("{x:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A gain in percentage points, e.g. `+3.2 points`.
fn points(gain: f64) -> String {
    format!("{:+.1} points", gain * 100.0)
}

/// `1 technique`, `3 techniques`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Text measurement with the shipped font

/// Advance widths of the shipped font, per code point of the Basic Multilingual Plane, read
/// from its `cmap` (format 4) and `hmtx` tables. Kerning is left out, which errs on the wide
/// side.
struct FontMetrics {
    units_per_em: f64,
    /// Advance of each BMP code point, in font units (the missing-glyph advance for those
    /// the font lacks).
    advances: Vec<u16>,
    /// Advance of the missing glyph, for code points outside the BMP.
    missing: u16,
}

impl FontMetrics {
    /// Reads the tables; `None` if the font is not what we expect (it is built in, so this is
    /// a guard, and text is then measured with an average advance).
    fn parse(font: &[u8]) -> Option<FontMetrics> {
        let u16_at = |at: usize| -> Option<u16> {
            let bytes = font.get(at..at.checked_add(2)?)?;
            Some(u16::from_be_bytes(bytes.try_into().ok()?))
        };
        let u32_at = |at: usize| -> Option<usize> {
            let bytes = font.get(at..at.checked_add(4)?)?;
            usize::try_from(u32::from_be_bytes(bytes.try_into().ok()?)).ok()
        };
        let table = |tag: &[u8; 4]| -> Option<usize> {
            let tables = usize::from(u16_at(4)?);
            (0..tables).find_map(|i| {
                let record = 12 + 16 * i;
                (font.get(record..record + 4)? == tag)
                    .then(|| u32_at(record + 8))
                    .flatten()
            })
        };
        let head = table(b"head")?;
        let units_per_em = f64::from(u16_at(head + 18)?);
        let hhea = table(b"hhea")?;
        let metrics_count = usize::from(u16_at(hhea + 34)?);
        let hmtx = table(b"hmtx")?;
        // Glyphs past the last long metric share its advance.
        let advance = |glyph: u16| {
            let index = usize::from(glyph).min(metrics_count.checked_sub(1)?);
            u16_at(hmtx + 4 * index)
        };
        let cmap = table(b"cmap")?;
        let subtable = (0..usize::from(u16_at(cmap + 2)?)).find_map(|i| {
            let record = cmap + 4 + 8 * i;
            let platform = (u16_at(record)?, u16_at(record + 2)?);
            if platform != (3, 1) && platform != (0, 3) {
                return None;
            }
            let at = cmap + u32_at(record + 4)?;
            (u16_at(at)? == 4).then_some(at)
        })?;
        let segments = usize::from(u16_at(subtable + 6)?) / 2;
        let ends = subtable + 14;
        let starts = ends + 2 * segments + 2;
        let deltas = starts + 2 * segments;
        let range_offsets = deltas + 2 * segments;
        let missing = advance(0)?;
        let mut advances = vec![missing; 0x1_0000];
        for segment in 0..segments {
            let end = u16_at(ends + 2 * segment)?;
            let start = u16_at(starts + 2 * segment)?;
            let delta = u16_at(deltas + 2 * segment)?;
            let range_offset_at = range_offsets + 2 * segment;
            let range_offset = usize::from(u16_at(range_offset_at)?);
            if start > end {
                continue;
            }
            for code in start..=end {
                let glyph = if range_offset == 0 {
                    code.wrapping_add(delta)
                } else {
                    let at = range_offset_at + range_offset + 2 * usize::from(code - start);
                    match u16_at(at) {
                        Some(0) | None => 0,
                        Some(glyph) => glyph.wrapping_add(delta),
                    }
                };
                if let (Some(slot), Some(width)) =
                    (advances.get_mut(usize::from(code)), advance(glyph))
                {
                    *slot = width;
                }
            }
        }
        Some(FontMetrics {
            units_per_em,
            advances,
            missing,
        })
    }

    fn advance(&self, c: char) -> f64 {
        let units = usize::try_from(u32::from(c))
            .ok()
            .and_then(|i| self.advances.get(i))
            .copied()
            .unwrap_or(self.missing);
        f64::from(units) / self.units_per_em
    }
}

fn metrics(bold: bool) -> Option<&'static FontMetrics> {
    static REGULAR: OnceLock<Option<FontMetrics>> = OnceLock::new();
    static BOLD: OnceLock<Option<FontMetrics>> = OnceLock::new();
    if bold {
        BOLD.get_or_init(|| FontMetrics::parse(FONT_BOLD)).as_ref()
    } else {
        REGULAR
            .get_or_init(|| FontMetrics::parse(FONT_REGULAR))
            .as_ref()
    }
}

/// The width of `text` set in the shipped font at `size`.
pub(crate) fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let em: f64 = match metrics(bold) {
        Some(metrics) => text.chars().map(|c| metrics.advance(c)).sum(),
        // Roughly the average advance of DejaVu Sans Condensed.
        None => text.chars().count() as f64 * 0.58,
    };
    em * size
}

/// `text`, cut at a word boundary and ended with an ellipsis when wider than `max_width` (cut
/// inside its first word when not even that fits; empty when not even the ellipsis fits). The
/// full text is in the tooltip.
pub(crate) fn shorten(text: &str, max_width: f64, size: f64, bold: bool) -> Cow<'_, str> {
    if text_width(text, size, bold) <= max_width {
        return Cow::Borrowed(text);
    }
    let room = max_width - text_width("\u{2026}", size, bold);
    if room < 0.0 {
        return Cow::Borrowed("");
    }
    let mut width = 0.0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        width += text_width(c.encode_utf8(&mut [0; 4]), size, bold);
        if width > room {
            break;
        }
        end = i + c.len_utf8();
    }
    let mut kept = text.get(..end).unwrap_or("");
    // Cut inside a word: back off to the end of the last whole word, when there is one.
    let cut_inside_word = text
        .get(end..)
        .and_then(|rest| rest.chars().next())
        .is_some_and(char::is_alphanumeric);
    if cut_inside_word
        && let Some(boundary) = kept.rfind(|c: char| c.is_whitespace() || ",;:-(/".contains(c))
        && kept
            .get(..boundary)
            .is_some_and(|before| before.chars().any(char::is_alphanumeric))
    {
        kept = kept.get(..boundary).unwrap_or(kept);
    }
    let kept = kept.trim_end_matches(|c: char| c.is_whitespace() || ",;:-(/".contains(c));
    let mut shortened = kept.to_string();
    shortened.push('\u{2026}');
    Cow::Owned(shortened)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_metrics_are_read() {
        let regular = metrics(false).expect("regular font parses");
        let bold = metrics(true).expect("bold font parses");
        assert!((regular.units_per_em - 2048.0).abs() < f64::EPSILON);
        // Proportional: "i" is narrower than "W"; bold is wider than regular.
        assert!(regular.advance('i') < regular.advance('W'));
        assert!(bold.advance('a') > regular.advance('a'));
        let width = text_width("PowerShell", 10.0, false);
        assert!((40.0..60.0).contains(&width), "{width}");
    }

    #[test]
    fn shorten_fits_and_ends_with_an_ellipsis() {
        let name = "Command and Scripting Interpreter";
        let short = shorten(name, 80.0, 10.0, false);
        assert!(short.ends_with('\u{2026}'), "{short}");
        assert!(text_width(&short, 10.0, false) <= 80.0);
        assert!(name.starts_with(short.trim_end_matches('\u{2026}')));
        // At a word boundary: "Command and Scripting Interpreter" never becomes "Command
        // and Scri…".
        for width in [60.0, 80.0, 100.0, 120.0, 140.0] {
            let short = shorten(name, width, 10.0, false);
            let kept = short.trim_end_matches('\u{2026}');
            assert!(
                name.get(kept.len()..)
                    .is_some_and(|rest| rest.starts_with(' ')),
                "{width}: {short}"
            );
        }
        // A first word too long for the room is cut inside it.
        let long = shorten("Supercalifragilistic Expialidocious", 40.0, 10.0, false);
        assert!(
            long.starts_with("Super") && long.ends_with('\u{2026}'),
            "{long}"
        );
        assert_eq!(
            shorten("Kerberoasting", 500.0, 10.0, false),
            "Kerberoasting"
        );
        assert_eq!(shorten("Kerberoasting", 1.0, 10.0, false), "");
    }

    #[test]
    fn names_wrap_at_words() {
        let name = "Command and Scripting Interpreter";
        let (first, rest) = wrap(name, 80.0, 10.0);
        assert_eq!(format!("{first} {rest}"), name);
        assert!(text_width(&first, 10.0, false) <= 80.0, "{first}");
        assert!(!first.is_empty() && !first.ends_with(' '), "{first}");
        assert_eq!(
            wrap("Kerberoasting", 500.0, 10.0),
            ("Kerberoasting".to_string(), String::new())
        );
        assert_eq!(
            wrap("Kerberoasting", 10.0, 10.0),
            (String::new(), "Kerberoasting".to_string())
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.5), "12.5");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num6(0.25), "0.25");
        assert_eq!(points(0.032), "+3.2 points");
    }
}
