//! Renders covmap assessments for people: the ATT&CK heatmap (SVG and PNG), charts, CSV files,
//! an Excel workbook, ATT&CK Navigator layers and a self-contained HTML report.
//!
//! This crate renders and never scores: everything it shows comes from a [`ReportInput`], built
//! by the caller from an [`Assessment`] (the `assessment.json` document) plus the ranked gaps,
//! threat coverage and comparison that covmap-assess computes. Rendering is pure: [`render`]
//! returns file names and bytes, and the caller writes them (atomically). The same input gives
//! byte-identical files: no clock time, no system fonts, no hash-map order.

// No panics on user-controlled data: unwrap, expect, panic! and unchecked indexing are refused
// outside tests; the few modules that index their own arrays say why they may.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod charts;
mod csv_out;
mod heatmap;
mod html;
mod layer;
pub mod matrix;
mod palette;
mod png;
mod summary;
mod tables;
pub mod text;
mod xlsx;

use covmap_assess::compare::Comparison;
use covmap_assess::gaps::Gap;
use covmap_assess::onboarding::TelemetryReport;
use covmap_assess::plan::Plan;
use covmap_assess::score::Assessment;
use covmap_assess::threats::ThreatCoverage;

pub use crate::csv_out::{plan_rows, protect_cell, telemetry_rows};
pub use crate::layer::{EXACT_SCORE, layer_json, threat_layer_json};
pub use crate::palette::Palette;

/// Everything a report shows. Built by the caller; the renderers only read it.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    /// The assessment (`assessment.json`).
    pub assessment: &'a Assessment,
    /// Every gap of the assessment, ranked (`covmap_assess::gaps::gaps` without `top`).
    pub gaps: &'a [Gap],
    /// Coverage of each selected threat (empty without threats).
    pub threats: &'a [ThreatCoverage],
    /// Candidates and retirements compared with the baseline, for `covmap compare -o`.
    pub comparison: Option<&'a Comparison>,
    /// The next best actions (`covmap plan`), for `assess -o`: `plan.csv` and the "What to do
    /// next" section of report.html.
    pub plan: Option<&'a Plan>,
    /// The analysis of the inventory's telemetry (`covmap telemetry`), for `assess -o` when
    /// the inventory has a `telemetry:` section: `telemetry.csv`, `backlog.csv`, the workbook's
    /// Telemetry sheet and report.html's Telemetry section (which say "no telemetry described"
    /// without it).
    pub telemetry: Option<&'a TelemetryReport>,
    /// The date shown in reports (`YYYY-MM-DD`), chosen by the caller (covmap: `--date`, else
    /// `SOURCE_DATE_EPOCH`, else today); `None` shows no date. The renderers never read the
    /// clock.
    pub date: Option<&'a str>,
    /// An earlier assessment (`--baseline`): summary.md shows the change against it.
    pub baseline: Option<&'a Assessment>,
}

/// The SVG drawing `heatmap.png` rasterises: the compact matrix (sub-techniques rolled up,
/// whatever `options.subtechniques` says) in the slide layout, with text large enough to read
/// when the picture is shown 1,920 pixels wide (in the screen layout when the slide layout
/// would be past the pixel budget). For checking the picture against its drawing.
pub fn heatmap_png_svg(input: &ReportInput<'_>, options: &RenderOptions) -> String {
    png::drawing(input, options)
}

/// Which sub-techniques the heatmap shows under their parent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Subtechniques {
    /// Parents only (their roll-up score).
    None,
    /// Every sub-technique.
    All,
    /// Only the families with a gap (a sub-technique in scope below 1).
    #[default]
    Gaps,
}

/// What the heatmap colours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum View {
    /// The coverage score.
    #[default]
    Score,
    /// The coverage score of the techniques the selected threats use; the others are dimmed.
    Weighted,
    /// The `visibility` function's score: the larger of visibility entries and the visibility
    /// the collected telemetry gives (`telemetry:`).
    Visibility,
}

/// How to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// Sub-techniques shown in the heatmap.
    pub subtechniques: Subtechniques,
    /// Colour scale of heatmap cells.
    pub palette: Palette,
    /// What the heatmap colours.
    pub view: View,
    /// Also write one Navigator layer per function (`layer-detect.json`, ...).
    pub layer_per_function: bool,
    /// Gaps listed in the HTML report and the gap chart.
    pub top_gaps: usize,
    /// Print each cell's score in the heatmaps (`--cell-scores`).
    pub cell_scores: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            subtechniques: Subtechniques::default(),
            palette: Palette::default(),
            view: View::default(),
            layer_per_function: false,
            top_gaps: 25,
            cell_scores: false,
        }
    }
}

/// The kinds of output, as `--outputs` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutputKind {
    /// `heatmap.svg` (sub-techniques as `--subtechniques` says), `heatmap-full.svg` (every
    /// sub-technique) and the charts (`chart-tactics.svg`, ...).
    Svg,
    /// `heatmap.png` (compact: sub-techniques rolled up, at most 3840 pixels wide) and
    /// `heatmap-full.png` (every sub-technique).
    Png,
    /// `coverage.csv`, `gaps.csv`, `tactics.csv`, `capabilities.csv`, `gaps-by-mitigation.csv`,
    /// `compare.csv`, `plan.csv`, `telemetry.csv`, `backlog.csv`.
    Csv,
    /// `coverage.xlsx`.
    Xlsx,
    /// `layer.json`, `layer-visibility.json` (and the other functions' layers with
    /// `layer_per_function`).
    Layer,
    /// `report.html`.
    Html,
    /// `summary.md`, the executive summary as Markdown.
    Md,
}

impl OutputKind {
    /// Every kind, in the order files are listed.
    pub const ALL: [OutputKind; 7] = [
        OutputKind::Svg,
        OutputKind::Png,
        OutputKind::Csv,
        OutputKind::Xlsx,
        OutputKind::Layer,
        OutputKind::Html,
        OutputKind::Md,
    ];

    /// The name `--outputs` uses.
    pub fn name(self) -> &'static str {
        match self {
            OutputKind::Svg => "svg",
            OutputKind::Png => "png",
            OutputKind::Csv => "csv",
            OutputKind::Xlsx => "xlsx",
            OutputKind::Layer => "layer",
            OutputKind::Html => "html",
            OutputKind::Md => "md",
        }
    }

    /// The kind `--outputs` names, ignoring case.
    pub fn from_name(name: &str) -> Option<OutputKind> {
        OutputKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// One rendered file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// File name, without directory (e.g. `heatmap.svg`).
    pub name: String,
    /// Its complete contents.
    pub bytes: Vec<u8>,
}

/// Why rendering failed. Rendering valid input does not fail; these are guards.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A chart could not be drawn.
    #[error("could not draw the chart {name}: {message}")]
    Chart {
        /// The chart's file name.
        name: String,
        /// What plotters said.
        message: String,
    },
    /// The PNG could not be rendered.
    #[error("could not render heatmap.png: {0}")]
    Png(String),
    /// The workbook could not be written.
    #[error("could not write coverage.xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// A CSV file could not be written.
    #[error("could not write a CSV file: {0}")]
    Csv(#[from] ::csv::Error),
    /// JSON could not be written.
    #[error("could not write JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Renders the requested kinds of output, in the order of [`OutputKind::ALL`], each kind's
/// files in a fixed order.
pub fn render(
    input: &ReportInput<'_>,
    options: &RenderOptions,
    kinds: &[OutputKind],
) -> Result<Vec<OutputFile>, ReportError> {
    let mut files = Vec::new();
    for kind in OutputKind::ALL {
        if !kinds.contains(&kind) {
            continue;
        }
        match kind {
            OutputKind::Svg => {
                files.push(OutputFile {
                    name: "heatmap.svg".to_string(),
                    bytes: heatmap::svg(input, options).into_bytes(),
                });
                files.push(OutputFile {
                    name: "heatmap-full.svg".to_string(),
                    bytes: heatmap::full_svg(input, options).into_bytes(),
                });
                files.extend(heatmap::comparison_svgs(input, options));
                files.extend(charts::all(input, options.palette)?);
            }
            OutputKind::Png => {
                files.push(OutputFile {
                    name: "heatmap.png".to_string(),
                    bytes: png::heatmap(input, options)?,
                });
                files.push(OutputFile {
                    name: "heatmap-full.png".to_string(),
                    bytes: png::full(input, options)?,
                });
            }
            OutputKind::Csv => files.extend(csv_out::all(input)?),
            OutputKind::Xlsx => files.push(OutputFile {
                name: "coverage.xlsx".to_string(),
                bytes: xlsx::workbook(input, options.palette)?,
            }),
            OutputKind::Layer => files.extend(layer::all(input, options)?),
            OutputKind::Html => files.push(OutputFile {
                name: "report.html".to_string(),
                bytes: html::report(input, options)?.into_bytes(),
            }),
            OutputKind::Md => files.push(OutputFile {
                name: "summary.md".to_string(),
                bytes: summary::markdown(input).into_bytes(),
            }),
        }
    }
    Ok(files)
}
