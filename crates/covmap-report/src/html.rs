//! `report.html`: one self-contained page for management. Everything it shows is inside the
//! file (styles, script, SVG; system fonts only), and its Content-Security-Policy forbids every
//! network request, so it opens the same offline, from a mail attachment or a file share.
//!
//! The markup is a maud template (every spliced string is escaped); the heatmap and charts are
//! the SVG the other renderers draw, inlined; the technique details the script shows in its
//! panels are JSON in a `<script type="application/json">` element, escaped so that no input
//! can close it. The script builds its DOM with `textContent`, never from HTML strings.

mod data;
mod format;
mod print;
mod sections;

pub(crate) use sections::no_telemetry_note;

use maud::{DOCTYPE, PreEscaped, html};

use crate::{RenderOptions, ReportError, ReportInput};

/// The page's styles, print stylesheet included.
const CSS: &str = include_str!("../assets/html/report.css");
/// The page's script: hover tips, technique panels, filters.
const JS: &str = include_str!("../assets/html/report.js");

/// The Content-Security-Policy of the page: nothing may be fetched; only the inline styles and
/// script run, and images may only be `data:` URLs.
pub(crate) const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     script-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; \
     form-action 'none'";

/// The SVG documents other renderers draw, inlined into the page as they are (their authors
/// escape their text).
#[derive(Debug, Clone, Default)]
pub(crate) struct Pieces {
    /// The matrix heatmap (`<svg id="heatmap">` with `g.cell` per technique).
    pub(crate) heatmap: String,
    /// Where its matrix lies, for the printed pages (none: the matrix is not printed apart).
    pub(crate) heatmap_geometry: Option<crate::heatmap::Geometry>,
    /// Coverage by tactic.
    pub(crate) tactics_chart: String,
    /// Candidate gains, when candidates are compared.
    pub(crate) comparison_chart: Option<String>,
    /// Threat coverage, when threats are selected.
    pub(crate) threats_chart: Option<String>,
}

/// Renders `report.html`.
pub(crate) fn report(
    input: &ReportInput<'_>,
    options: &RenderOptions,
) -> Result<String, ReportError> {
    let (heatmap, geometry) = crate::heatmap::svg_with_geometry(input, options);
    let pieces = Pieces {
        heatmap,
        heatmap_geometry: Some(geometry),
        tactics_chart: crate::charts::tactics(input, options.palette)?,
        comparison_chart: crate::charts::comparison(input, options.palette)?,
        threats_chart: crate::charts::threats(input, options.palette)?,
    };
    page(input, options, &pieces)
}

/// The colours of the display levels (badges, pills, level bars), from the heatmap's colour
/// scale: each level's colour is the one the heatmap legend gives it, with black or white text.
fn scale_css(input: &ReportInput<'_>, options: &RenderOptions) -> String {
    use covmap_assess::params::CoverageLevel;
    use std::fmt::Write as _;
    let thresholds = input.assessment.scoring.thresholds;
    let mut css = String::from(":root {");
    for (level, name) in [
        (CoverageLevel::None, "none"),
        (CoverageLevel::Low, "low"),
        (CoverageLevel::Medium, "medium"),
        (CoverageLevel::High, "high"),
    ] {
        let value = crate::Palette::level_value(level, thresholds.medium, thresholds.high);
        let _ = write!(
            css,
            " --scale-{name}: {}; --scale-{name}-ink: {};",
            options.palette.hex(value),
            options.palette.text_on(value)
        );
    }
    css.push_str(" }");
    css
}

/// Assembles the page from the input and the drawn pieces.
pub(crate) fn page(
    input: &ReportInput<'_>,
    options: &RenderOptions,
    pieces: &Pieces,
) -> Result<String, ReportError> {
    let assessment = input.assessment;
    let data = data::script_json(input)?;
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(CSP);
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                meta name="generator" content=(format!("covmap {}", assessment.covmap_version));
                title { (sections::title(assessment)) }
                style { (PreEscaped(CSS)) }
                style { (PreEscaped(scale_css(input, options))) }
                style { (PreEscaped(print::page_css(&sections::title(assessment), input.date))) }
            }
            body {
                (sections::masthead(input))
                main {
                    (sections::summary(input, options.top_gaps))
                    (sections::matrix(input, options, pieces))
                    (sections::tactics(input, pieces))
                    (sections::gaps(input, options.top_gaps))
                    @if let Some(plan) = input.plan {
                        (sections::plan(input, plan))
                    }
                    (sections::telemetry(input))
                    @if let Some(comparison) = input.comparison {
                        (sections::comparison(comparison, pieces))
                    }
                    @if !input.threats.is_empty() {
                        (sections::threats(input.threats, pieces))
                    }
                    (sections::capabilities(assessment))
                    (sections::methodology(input))
                }
                (sections::footer(assessment))
                script type="application/json" id="covmap-data" { (PreEscaped(data)) }
                script { (PreEscaped(JS)) }
            }
        }
    };
    Ok(markup.into_string())
}
