//! Bar charts drawn with plotters into SVG: coverage per tactic, what each candidate product
//! adds, and how well each selected threat's techniques are covered.
//!
//! All three are horizontal grouped bar charts laid out by [`BarChart::draw`]: a label column
//! on the left (a name and a grey detail line), one bar per series and row, the value written
//! at the end of each bar, vertical grid lines with an axis below and a legend at the top.
//! Horizontal bars keep long ATT&CK tactic names and file-name candidate labels readable.
//!
//! Text is measured with the shipped font (registered with plotters once) so the layout is the
//! same on every machine, and the SVG names the same font stack as the heatmap
//! ([`text::FONT_FAMILY`]). plotters' SVG backend escapes `&`, `<`, `>`, `"` and `'` in text
//! and attribute values itself (plotters-svg 0.3.7, `SVGBackend::escape_and_push`), so strings
//! are handed to it raw: escaping them first with [`text::escape`] would show `&amp;lt;`.
//! Control characters, which XML forbids, are replaced by spaces.
//!
//! Bars are the only filled `rect` elements but the background (legend swatches are polygons,
//! outlines are unfilled), so a reader or a test can count them; every row has one bar per
//! series, of zero width when there is no value, in series order.
//!
//! Colours come from [`crate::palette`]: a bar that shows a coverage score has the colour the
//! report's scale (`--palette`) gives that score, the colour of a heatmap cell with that
//! score; the threat-weighted score is outlined to tell it from the plain one; gains and shares,
//! which are no score, have the palette's series colours.

use std::sync::OnceLock;

use covmap_assess::compare::CandidateResult;
use covmap_assess::score::ActorKind;
use plotters::prelude::{
    DrawingArea, IntoDrawingArea, PathElement, Polygon, Rectangle, SVGBackend, Text,
};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{
    Color, FontDesc, FontFamily, FontStyle, RGBColor, ShapeStyle, TextStyle, register_font,
};

use crate::text::{self, FONT_BOLD, FONT_FAMILY, FONT_REGULAR};
use crate::{OutputFile, Palette, ReportError, ReportInput};

/// File name of the tactic chart.
const TACTICS_FILE: &str = "chart-tactics.svg";
/// File name of the candidate comparison chart.
const COMPARE_FILE: &str = "chart-compare.svg";
/// File name of the threat exposure chart.
const THREATS_FILE: &str = "chart-threats.svg";

/// The colour of a series that is not a score.
fn solid((r, g, b): (u8, u8, u8)) -> Fill {
    Fill::Solid(RGBColor(r, g, b))
}
const INK: RGBColor = RGBColor(0x21, 0x21, 0x21);
const MUTED: RGBColor = RGBColor(0x61, 0x61, 0x61);
const GRID: RGBColor = RGBColor(0xE3, 0xE3, 0xE3);
const AXIS: RGBColor = RGBColor(0x9E, 0x9E, 0x9E);
const BACKGROUND: RGBColor = RGBColor(0xFF, 0xFF, 0xFF);

/// Layout, in pixels.
const MARGIN: i32 = 24;
const PLOT_WIDTH: i32 = 480;
const BAR_HEIGHT: i32 = 14;
const BAR_GAP: i32 = 3;
const ROW_PADDING: i32 = 14;
const LABEL_GAP: i32 = 12;
const VALUE_GAP: i32 = 6;
const TITLE_PX: f64 = 17.0;
const SUBTITLE_PX: f64 = 12.0;
const LABEL_PX: f64 = 12.5;
const DETAIL_PX: f64 = 11.0;
const VALUE_PX: f64 = 11.0;
const TICK_PX: f64 = 11.0;
/// Longest row label kept whole; longer ones lose their middle.
const MAX_LABEL_CHARS: usize = 60;

/// Every chart the input has data for, in file order: `chart-tactics.svg` always,
/// `chart-compare.svg` with candidates, `chart-threats.svg` with threats.
pub(crate) fn all(
    input: &ReportInput<'_>,
    palette: Palette,
) -> Result<Vec<OutputFile>, ReportError> {
    let mut files = vec![OutputFile {
        name: TACTICS_FILE.to_string(),
        bytes: tactics(input, palette)?.into_bytes(),
    }];
    if let Some(svg) = comparison(input, palette)? {
        files.push(OutputFile {
            name: COMPARE_FILE.to_string(),
            bytes: svg.into_bytes(),
        });
    }
    if let Some(svg) = threats(input, palette)? {
        files.push(OutputFile {
            name: THREATS_FILE.to_string(),
            bytes: svg.into_bytes(),
        });
    }
    Ok(files)
}

/// Coverage score per tactic in matrix order, with the threat-weighted score beside it when
/// threats are selected. An SVG document starting with `<svg`.
pub(crate) fn tactics(input: &ReportInput<'_>, palette: Palette) -> Result<String, ReportError> {
    let assessment = input.assessment;
    let weighted = assessment
        .tactics
        .iter()
        .any(|t| t.score_weighted.is_some());
    let mut series = vec![Series {
        name: "Coverage score".to_string(),
        fill: Fill::Scale { outlined: false },
    }];
    if weighted {
        series.push(Series {
            name: "Threat-weighted score (outlined)".to_string(),
            fill: Fill::Scale { outlined: true },
        });
    }
    let rows = assessment
        .tactics
        .iter()
        .map(|tactic| {
            let in_scope = tactic.leaves > 0;
            let mut bars = vec![percent_bar(in_scope.then_some(tactic.score))];
            if weighted {
                bars.push(percent_bar(tactic.score_weighted.filter(|_| in_scope)));
            }
            Row {
                label: tactic.name.clone(),
                detail: format!(
                    "{} · {}",
                    tactic.id,
                    count(
                        tactic.leaves,
                        "technique or sub-technique in scope",
                        "techniques and sub-techniques in scope"
                    )
                ),
                bars,
            }
        })
        .collect();
    let overall = text::percent(assessment.overall);
    let summary = match assessment.overall_weighted {
        Some(w) => format!("Overall {overall}, threat-weighted {}", text::percent(w)),
        None => format!("Overall {overall}"),
    };
    BarChart {
        palette,
        file: TACTICS_FILE,
        title: "Coverage by tactic".to_string(),
        subtitle: subtitle(input, &summary),
        series,
        rows,
        axis: Axis::percent("Coverage score (%)"),
    }
    .draw()
}

/// What each candidate adds to the baseline, in percentage points, with its cost per point
/// when known; `None` without candidates.
pub(crate) fn comparison(
    input: &ReportInput<'_>,
    palette: Palette,
) -> Result<Option<String>, ReportError> {
    let Some(comparison) = input.comparison else {
        return Ok(None);
    };
    if comparison.candidates.is_empty() {
        return Ok(None);
    }
    let weighted = comparison
        .candidates
        .iter()
        .any(|c| c.gain_weighted.is_some());
    let mut series = vec![Series {
        name: "Gain in overall score".to_string(),
        fill: solid(crate::palette::SERIES_GAIN),
    }];
    if weighted {
        series.push(Series {
            name: "Gain in threat-weighted score".to_string(),
            fill: solid(crate::palette::SERIES_GAIN_WEIGHTED),
        });
    }
    let points = |gain: f64| gain.max(0.0) * 100.0;
    let rows: Vec<Row> = comparison
        .candidates
        .iter()
        .map(|candidate| {
            let mut bars = vec![Bar {
                value: Some(points(candidate.gain)),
                text: gain_text(candidate),
            }];
            if weighted {
                bars.push(match candidate.gain_weighted {
                    Some(g) => Bar {
                        value: Some(points(g)),
                        text: format!("{:+.1} pts", g * 100.0),
                    },
                    None => Bar::none(),
                });
            }
            Row {
                label: candidate.name.clone(),
                detail: candidate_detail(candidate),
                bars,
            }
        })
        .collect();
    let largest = rows
        .iter()
        .flat_map(|r| r.bars.iter().filter_map(|b| b.value))
        .fold(0.0_f64, f64::max);
    let baseline = text::percent(comparison.baseline.overall);
    let summary = match comparison.baseline.overall_weighted {
        Some(w) => format!(
            "Baseline {baseline} overall, {} threat-weighted",
            text::percent(w)
        ),
        None => format!("Baseline {baseline} overall"),
    };
    BarChart {
        palette,
        file: COMPARE_FILE,
        title: "What each candidate adds".to_string(),
        subtitle: subtitle(input, &summary),
        series,
        rows,
        axis: Axis::points(largest, "Gain in coverage (percentage points)"),
    }
    .draw()
    .map(Some)
}

/// Per selected threat, the mean coverage score of the techniques it uses (in scope) and the
/// share of them covered at all; `None` without threats.
pub(crate) fn threats(
    input: &ReportInput<'_>,
    palette: Palette,
) -> Result<Option<String>, ReportError> {
    if input.threats.is_empty() {
        return Ok(None);
    }
    let series = vec![
        Series {
            name: "Mean coverage score of its techniques".to_string(),
            fill: Fill::Scale { outlined: false },
        },
        Series {
            name: "Share of its techniques covered (score above 0)".to_string(),
            fill: solid(crate::palette::SERIES_SHARE),
        },
    ];
    let rows = input
        .threats
        .iter()
        .map(|threat| {
            let in_scope = threat.in_scope > 0;
            let share = if in_scope {
                Bar {
                    value: Some(threat.covered_share * 100.0),
                    text: format!(
                        "{} ({} of {})",
                        text::percent(threat.covered_share),
                        threat.covered,
                        threat.in_scope
                    ),
                }
            } else {
                Bar::none()
            };
            Row {
                label: threat.name.clone(),
                detail: format!(
                    "{} · {} · {}",
                    threat.id,
                    actor_kind(threat.kind),
                    threat_scope(threat.techniques, threat.in_scope)
                ),
                bars: vec![percent_bar(in_scope.then_some(threat.score)), share],
            }
        })
        .collect();
    BarChart {
        palette,
        file: THREATS_FILE,
        title: "Threat exposure".to_string(),
        subtitle: subtitle(input, "coverage of the techniques each threat uses"),
        series,
        rows,
        axis: Axis::percent("Percent of the techniques each threat uses that are in scope"),
    }
    .draw()
    .map(Some)
}

/// A bar of a score in [0, 1], drawn in percent; `None`: no value ("n/a").
fn percent_bar(score: Option<f64>) -> Bar {
    match score {
        Some(s) => Bar {
            value: Some(s * 100.0),
            text: text::percent(s),
        },
        None => Bar::none(),
    }
}

/// The value label of a candidate's overall gain: points, then the cost per point if known.
fn gain_text(candidate: &CandidateResult) -> String {
    let gain = format!("{:+.1} pts", candidate.gain * 100.0);
    match (&candidate.annual_cost, candidate.cost_per_point) {
        (Some(cost), Some(per_point)) => format!(
            "{gain} · {} {} per point",
            thousands(per_point),
            cost.currency.to_uppercase()
        ),
        _ => gain,
    }
}

/// The grey line under a candidate's name: what it changes, what it costs, and the id or file
/// it was given as (when that is not its name).
fn candidate_detail(candidate: &CandidateResult) -> String {
    let mut parts = vec![
        format!("{} newly covered", candidate.newly_covered.len()),
        format!("{} improved", candidate.improved.len()),
        format!("{} redundant", candidate.redundant.len()),
    ];
    if let Some(cost) = &candidate.annual_cost {
        parts.push(format!(
            "{} {} a year",
            thousands(cost.annual),
            cost.currency.to_uppercase()
        ));
    }
    if candidate.label != candidate.name {
        // A file given by path: its file name is enough to tell it apart here.
        let label = std::path::Path::new(&candidate.label)
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or(&candidate.label);
        parts.push(text::short_name(label).into_owned());
    }
    parts.join(" · ")
}

fn actor_kind(kind: ActorKind) -> &'static str {
    match kind {
        ActorKind::Group => "group",
        ActorKind::Campaign => "campaign",
        ActorKind::Software => "software",
    }
}

fn threat_scope(techniques: usize, in_scope: usize) -> String {
    if techniques == in_scope {
        count(techniques, "technique", "techniques")
    } else {
        format!(
            "{}, {in_scope} in scope",
            count(techniques, "technique", "techniques")
        )
    }
}

/// `1 technique`, `3 techniques`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A whole amount with thousands separators, e.g. `28,571`.
fn thousands(amount: f64) -> String {
    let rounded = format!("{:.0}", amount.abs());
    let mut grouped = String::new();
    for (i, digit) in rounded.chars().enumerate() {
        if i > 0 && (rounded.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if amount.round() < 0.0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// `organisation · ATT&CK release · summary · date`, the parts that exist.
fn subtitle(input: &ReportInput<'_>, summary: &str) -> String {
    let assessment = input.assessment;
    let mut parts = Vec::new();
    if let Some(org) = &assessment.organization {
        parts.push(org.clone());
    }
    parts.push(match &assessment.attack.version {
        Some(version) => format!("{} {version}", assessment.attack.name),
        None => assessment.attack.name.clone(),
    });
    parts.push(summary.to_string());
    if let Some(date) = input.date {
        parts.push(date.to_string());
    }
    parts.join(" · ")
}

/// Text as the chart shows it: control characters (invalid in XML) become spaces.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A row label of at most [`MAX_LABEL_CHARS`]; longer ones keep their start and end, which
/// for file names is the part that tells them apart.
fn shorten(label: &str) -> String {
    let chars: Vec<char> = label.chars().collect();
    if chars.len() <= MAX_LABEL_CHARS {
        return label.to_string();
    }
    let head = MAX_LABEL_CHARS / 2;
    let tail = MAX_LABEL_CHARS - head - 1;
    let mut short: String = chars.iter().take(head).collect();
    short.push('…');
    short.extend(chars.iter().skip(chars.len() - tail));
    short
}

/// One series of bars: its legend entry and how its bars are filled.
struct Series {
    name: String,
    fill: Fill,
}

/// How a series' bars are filled.
#[derive(Debug, Clone, Copy)]
enum Fill {
    /// One colour for every bar (gains, shares: no score).
    Solid(RGBColor),
    /// Each bar in its score's colour on the scale (values are percents); `outlined` tells the
    /// second score series of a chart from the first.
    Scale { outlined: bool },
}

/// One bar: its length in axis units (`None`: no value) and the text written after it.
struct Bar {
    value: Option<f64>,
    text: String,
}

impl Bar {
    fn none() -> Bar {
        Bar {
            value: None,
            text: "n/a".to_string(),
        }
    }
}

/// One group of bars, one per series.
struct Row {
    label: String,
    detail: String,
    bars: Vec<Bar>,
}

/// The value axis: from 0 to `max`, a grid line every `step`.
struct Axis {
    max: f64,
    step: f64,
    title: String,
    /// Tick label suffix, e.g. `%`.
    unit: &'static str,
    /// Decimals of tick labels.
    decimals: usize,
}

impl Axis {
    fn percent(title: &str) -> Axis {
        Axis {
            max: 100.0,
            step: 20.0,
            title: title.to_string(),
            unit: "%",
            decimals: 0,
        }
    }

    /// An axis of percentage points reaching past `largest`, with at most 6 steps of a round
    /// size; at least 1 point long, so that gains of 0 still have an axis.
    fn points(largest: f64, title: &str) -> Axis {
        const STEPS: [f64; 12] = [
            0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 500.0,
        ];
        let largest = if largest.is_finite() {
            largest.max(1.0)
        } else {
            1.0
        };
        let step = STEPS
            .iter()
            .copied()
            .find(|s| largest / s <= 6.0)
            .unwrap_or(1000.0);
        Axis {
            max: (largest / step).ceil() * step,
            step,
            title: title.to_string(),
            unit: "",
            decimals: usize::from(step < 1.0),
        }
    }

    fn ticks(&self) -> Vec<f64> {
        (0..=1000_u32)
            .map(|i| f64::from(i) * self.step)
            .take_while(|v| *v <= self.max + self.step / 2.0)
            .collect()
    }
}

/// A horizontal grouped bar chart, everything it shows already computed.
struct BarChart {
    /// The colour scale of score bars.
    palette: Palette,
    file: &'static str,
    title: String,
    subtitle: String,
    series: Vec<Series>,
    rows: Vec<Row>,
    axis: Axis,
}

/// A text style of the shipped font.
fn font(px: f64, bold: bool) -> FontDesc<'static> {
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    FontDesc::new(FontFamily::Name(FONT_FAMILY), plotters_size(px), style)
}

/// The size to give plotters for text of `px` pixels: plotters writes `font-size` as its size
/// divided by 1.24 (its em box), and this picks, among the floats next to `px * 1.24`, one
/// that comes out as exactly `px` (not `13.000000000000002`; for some sizes, such as 13, no
/// float does, so the sizes used are ones that work: see the test).
fn plotters_size(px: f64) -> f64 {
    let size = px * 1.24;
    [size, size.next_up(), size.next_down()]
        .into_iter()
        .find(|s| (s / 1.24).to_bits() == px.to_bits())
        .unwrap_or(size)
}

fn style(px: f64, bold: bool, colour: RGBColor, h: HPos) -> TextStyle<'static> {
    TextStyle {
        font: font(px, bold),
        color: colour.to_backend_color(),
        pos: Pos::new(h, VPos::Center),
    }
}

/// Registers the shipped font with plotters, once per process.
fn register_fonts() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            let invalid = |_| "the shipped font could not be read".to_string();
            register_font(FONT_FAMILY, FontStyle::Normal, FONT_REGULAR).map_err(invalid)?;
            register_font(FONT_FAMILY, FontStyle::Bold, FONT_BOLD).map_err(invalid)
        })
        .clone()
}

impl BarChart {
    fn error(&self, message: &dyn std::fmt::Display) -> ReportError {
        ReportError::Chart {
            name: self.file.to_string(),
            message: message.to_string(),
        }
    }

    /// Width in pixels of `text` in the shipped font.
    fn width(&self, text: &str, px: f64, bold: bool) -> Result<i32, ReportError> {
        let (w, _) = font(px, bold)
            .box_size(text)
            .map_err(|e| self.error(&format!("{e:?}")))?;
        Ok(i32::try_from(w).unwrap_or(i32::MAX / 4))
    }

    fn row_height(&self) -> i32 {
        let bars = pixels(self.series.len());
        let bars = bars * BAR_HEIGHT + (bars - 1).max(0) * BAR_GAP;
        // The label and its detail line need about 30 px.
        bars.max(30) + ROW_PADDING
    }

    #[allow(clippy::too_many_lines)] // one linear drawing pass reads best in one place
    fn draw(&self) -> Result<String, ReportError> {
        register_fonts().map_err(|e| self.error(&e))?;
        let rows: Vec<(String, String)> = self
            .rows
            .iter()
            .map(|r| (shorten(&clean(&r.label)), clean(&r.detail)))
            .collect();
        let title = clean(&self.title);
        let subtitle = clean(&self.subtitle);

        // Measure: the label column is as wide as its widest text, the right margin as the
        // widest value label.
        let mut label_width = 0;
        for (label, detail) in &rows {
            label_width = label_width
                .max(self.width(label, LABEL_PX, false)?)
                .max(self.width(detail, DETAIL_PX, false)?);
        }
        let mut value_width = 0;
        for bar in self.rows.iter().flat_map(|r| &r.bars) {
            value_width = value_width.max(self.width(&clean(&bar.text), VALUE_PX, false)?);
        }
        let mut legend_width = 0;
        for series in &self.series {
            legend_width += 16 + self.width(&clean(&series.name), DETAIL_PX, false)? + 20;
        }
        let plot_left = MARGIN + label_width + LABEL_GAP;
        let plot_right = plot_left + PLOT_WIDTH;
        let width = (plot_right + VALUE_GAP + value_width + MARGIN)
            .max(MARGIN * 2 + self.width(&title, TITLE_PX, true)?)
            .max(MARGIN * 2 + self.width(&subtitle, SUBTITLE_PX, false)?)
            .max(MARGIN * 2 + legend_width);
        let row_height = self.row_height();
        let plot_top: i32 = 104;
        let plot_bottom = plot_top.saturating_add(row_height.saturating_mul(pixels(rows.len())));
        let height = plot_bottom + 56;

        let mut svg = String::new();
        {
            let size = (
                u32::try_from(width).map_err(|e| self.error(&e))?,
                u32::try_from(height).map_err(|e| self.error(&e))?,
            );
            let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
            let fail = |e: plotters::drawing::DrawingAreaErrorKind<std::io::Error>| self.error(&e);
            root.fill(&BACKGROUND).map_err(fail)?;

            // Title, subtitle, legend.
            root.draw(&Text::new(
                title,
                (MARGIN, 28),
                style(TITLE_PX, true, INK, HPos::Left),
            ))
            .map_err(fail)?;
            root.draw(&Text::new(
                subtitle,
                (MARGIN, 50),
                style(SUBTITLE_PX, false, MUTED, HPos::Left),
            ))
            .map_err(fail)?;
            let mut x = MARGIN;
            for series in &self.series {
                let name = clean(&series.name);
                swatch(&root, (x, 74), series.fill, self.palette).map_err(fail)?;
                root.draw(&Text::new(
                    name.clone(),
                    (x + 16, 80),
                    style(DETAIL_PX, false, INK, HPos::Left),
                ))
                .map_err(fail)?;
                x += 16 + self.width(&name, DETAIL_PX, false)? + 20;
            }

            // Grid and axis.
            let to_x = |value: f64| -> i32 {
                let share = (value / self.axis.max).clamp(0.0, 1.0);
                plot_left + (share * f64::from(PLOT_WIDTH)).round() as i32
            };
            for tick in self.axis.ticks() {
                let x = to_x(tick);
                let colour = if tick <= 0.0 { AXIS } else { GRID };
                line(&root, (x, plot_top - 6), (x, plot_bottom), colour).map_err(fail)?;
                root.draw(&Text::new(
                    format!("{:.*}{}", self.axis.decimals, tick, self.axis.unit),
                    (x, plot_bottom + 12),
                    style(TICK_PX, false, MUTED, HPos::Center),
                ))
                .map_err(fail)?;
            }
            line(
                &root,
                (plot_left, plot_bottom),
                (plot_right, plot_bottom),
                AXIS,
            )
            .map_err(fail)?;
            root.draw(&Text::new(
                clean(&self.axis.title),
                (plot_left + PLOT_WIDTH / 2, plot_bottom + 34),
                style(SUBTITLE_PX, false, INK, HPos::Center),
            ))
            .map_err(fail)?;

            // Rows: label and detail on the left, bars with their values.
            for (i, (row, (label, detail))) in self.rows.iter().zip(rows).enumerate() {
                let top = plot_top.saturating_add(row_height.saturating_mul(pixels(i)));
                let middle = top + row_height / 2;
                root.draw(&Text::new(
                    label,
                    (plot_left - LABEL_GAP, middle - 7),
                    style(LABEL_PX, false, INK, HPos::Right),
                ))
                .map_err(fail)?;
                root.draw(&Text::new(
                    detail,
                    (plot_left - LABEL_GAP, middle + 9),
                    style(DETAIL_PX, false, MUTED, HPos::Right),
                ))
                .map_err(fail)?;
                let bars_height = row_height - ROW_PADDING;
                let group = pixels(self.series.len()) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP;
                let first = top + ROW_PADDING / 2 + (bars_height - group) / 2;
                for (j, (bar, series)) in row.bars.iter().zip(&self.series).enumerate() {
                    let y = first + pixels(j) * (BAR_HEIGHT + BAR_GAP);
                    let value = bar.value.unwrap_or(0.0);
                    let end = to_x(value);
                    let (colour, outlined) = match series.fill {
                        Fill::Solid(colour) => (colour, false),
                        Fill::Scale { outlined } => (scale_colour(self.palette, value), outlined),
                    };
                    root.draw(&Rectangle::new(
                        [(plot_left, y), (end, y + BAR_HEIGHT)],
                        colour.filled(),
                    ))
                    .map_err(fail)?;
                    if outlined && end > plot_left {
                        root.draw(&Rectangle::new(
                            [(plot_left, y), (end, y + BAR_HEIGHT)],
                            ShapeStyle {
                                color: INK.to_rgba(),
                                filled: false,
                                stroke_width: 2,
                            },
                        ))
                        .map_err(fail)?;
                    }
                    root.draw(&Text::new(
                        clean(&bar.text),
                        (end + VALUE_GAP, y + BAR_HEIGHT / 2),
                        style(VALUE_PX, false, INK, HPos::Left),
                    ))
                    .map_err(fail)?;
                }
            }
            root.present().map_err(fail)?;
        }
        Ok(svg)
    }
}

/// A count as a pixel multiplier (counts of rows and series are small; a huge one saturates
/// rather than wrapping).
fn pixels(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX / 4)
}

/// The colour the scale gives a score in percent.
fn scale_colour(palette: Palette, percent: f64) -> RGBColor {
    let (r, g, b) = palette.color(percent / 100.0);
    RGBColor(r, g, b)
}

/// A legend swatch: a 12 px square drawn as polygons, so that only bars are filled `rect`s. A
/// score series shows its scale (three stripes: the colours of 0, 50 and 100%).
fn swatch<DB: plotters::prelude::DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    (x, y): (i32, i32),
    fill: Fill,
    palette: Palette,
) -> Result<(), plotters::drawing::DrawingAreaErrorKind<DB::ErrorType>> {
    let square = |from: i32, to: i32, colour: RGBColor| {
        Polygon::new(
            vec![
                (x + from, y),
                (x + to, y),
                (x + to, y + 12),
                (x + from, y + 12),
            ],
            colour.filled(),
        )
    };
    match fill {
        Fill::Solid(colour) => area.draw(&square(0, 12, colour)),
        Fill::Scale { outlined } => {
            for (i, percent) in [0.0, 50.0, 100.0].into_iter().enumerate() {
                let from = 4 * pixels(i);
                area.draw(&square(from, from + 4, scale_colour(palette, percent)))?;
            }
            if outlined {
                area.draw(&PathElement::new(
                    vec![(x, y), (x + 12, y), (x + 12, y + 12), (x, y + 12), (x, y)],
                    ShapeStyle {
                        color: INK.to_rgba(),
                        filled: false,
                        stroke_width: 2,
                    },
                ))?;
            }
            Ok(())
        }
    }
}

fn line<DB: plotters::prelude::DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    from: (i32, i32),
    to: (i32, i32),
    colour: RGBColor,
) -> Result<(), plotters::drawing::DrawingAreaErrorKind<DB::ErrorType>> {
    area.draw(&PathElement::new(
        vec![from, to],
        ShapeStyle {
            color: colour.to_rgba(),
            filled: false,
            stroke_width: 1,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_sizes_are_exact() {
        for px in [
            TITLE_PX,
            SUBTITLE_PX,
            LABEL_PX,
            DETAIL_PX,
            VALUE_PX,
            TICK_PX,
        ] {
            assert_eq!(format!("{}", plotters_size(px) / 1.24), format!("{px}"));
        }
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(28_571.43), "28,571");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
        assert_eq!(thousands(-1500.0), "-1,500");
    }

    #[test]
    fn long_labels_keep_start_and_end() {
        let label = "examples/02-compare-candidates/a-very-long-directory-name/candidate-edr.yaml";
        let short = shorten(label);
        assert_eq!(short.chars().count(), MAX_LABEL_CHARS);
        assert!(short.starts_with("examples/02-compare-candidates"));
        assert!(short.ends_with("candidate-edr.yaml"));
        assert_eq!(shorten("Execution"), "Execution");
    }

    #[test]
    fn points_axis_is_round() {
        let axis = Axis::points(0.0, "");
        assert_eq!((axis.max, axis.step), (1.0, 0.2));
        let axis = Axis::points(4.3, "");
        assert_eq!((axis.max, axis.step), (5.0, 1.0));
        let axis = Axis::points(17.0, "");
        assert_eq!((axis.max, axis.step), (20.0, 5.0));
        assert_eq!(axis.ticks(), vec![0.0, 5.0, 10.0, 15.0, 20.0]);
    }
}
