//! `heatmap.png` and `heatmap-full.png`: the SVG heatmap rasterised with resvg.
//!
//! `heatmap.png` is for slides: the compact matrix (techniques only, sub-techniques rolled up
//! into their parent, whatever `--subtechniques` says), landscape, at most [`MAX_WIDTH`] pixels
//! wide. `heatmap-full.png` is the poster: every sub-technique under its parent, at
//! [`FULL_SCALE`].
//!
//! Text is set in the font covmap ships (loaded into an empty font database: no system font is
//! ever looked at), so the picture is the same on every machine. The PNG has two pixels per SVG
//! unit (2x, crisp on slides and high-density screens), unless that would exceed
//! [`MAX_PIXELS`]: larger matrices are scaled down just enough to fit, down to [`MIN_SCALE`];
//! a matrix that would not fit even then (tens of thousands of techniques in a tactic) is
//! refused with an error naming its size, before any picture is allocated.

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia::{Color, Pixmap, Transform};
use resvg::usvg::{self, fontdb};

use crate::text::{FONT_BOLD, FONT_REGULAR};
use crate::{RenderOptions, ReportError, ReportInput, Subtechniques, heatmap};

/// Pixels per SVG unit.
pub(crate) const SCALE: f32 = 2.0;

/// The widest `heatmap.png`, in pixels: a 4K slide, readable when shown at 1920 pixels.
pub(crate) const MAX_WIDTH: f32 = 3840.0;

/// Pixels per SVG unit of `heatmap-full.png`: the enterprise matrix with every sub-technique is
/// about 2,300 x 4,400 units, a poster already at 1x (10 megapixels; 40 at 2x).
pub(crate) const FULL_SCALE: f32 = 1.0;

/// The most pixels a PNG gets (40 megapixels, 160 MB of pixmap): its scale is lowered to fit.
pub(crate) const MAX_PIXELS: f32 = 40_000_000.0;

/// The smallest scale: below half a pixel per unit the cell text (11 units) is a smudge, and
/// the SVG, which has no size limit, is the better output.
pub(crate) const MIN_SCALE: f32 = 0.5;

/// The family the shipped fonts are known by, used for text that names no family.
const FAMILY: &str = "DejaVu Sans Condensed";

/// Renders `heatmap.png`: the compact matrix (sub-techniques rolled up) in the slide layout
/// (larger text, names on two lines: readable when the picture is shown 1,920 pixels wide),
/// in the view, palette and cell scores `options` ask for, at most [`MAX_WIDTH`] pixels wide.
pub(crate) fn heatmap(
    input: &ReportInput<'_>,
    options: &RenderOptions,
) -> Result<Vec<u8>, ReportError> {
    render(&drawing(input, options), SCALE, Some(MAX_WIDTH))
}

/// The drawing `heatmap.png` shows: the compact matrix in the slide layout, or in the screen
/// layout (a third less tall) when the slide layout would not fit the pixel budget even at
/// [`MIN_SCALE`] (thousands of techniques in one tactic).
pub(crate) fn drawing(input: &ReportInput<'_>, options: &RenderOptions) -> String {
    let slide = heatmap::slide_svg(input, options);
    match root_size(&slide) {
        Some((width, height)) if scale_for(width, height).is_none() => {
            let compact = RenderOptions {
                subtechniques: Subtechniques::None,
                ..options.clone()
            };
            heatmap::svg(input, &compact)
        }
        _ => slide,
    }
}

/// Renders `heatmap-full.png`: the matrix with every sub-technique, at [`FULL_SCALE`].
pub(crate) fn full(
    input: &ReportInput<'_>,
    options: &RenderOptions,
) -> Result<Vec<u8>, ReportError> {
    let full = RenderOptions {
        subtechniques: Subtechniques::All,
        ..options.clone()
    };
    render(&heatmap::svg(input, &full), FULL_SCALE, None)
}

/// A heatmap drawing at `scale` pixels per unit (lower to fit the pixel budget or
/// `max_width`).
fn render(svg: &str, scale: f32, max_width: Option<f32>) -> Result<Vec<u8>, ReportError> {
    // The size is known from the root element: a matrix past the budget is refused before
    // the SVG is parsed (which takes long for one that large), and again below on the tree.
    if let Some((width, height)) = root_size(svg)
        && scale_for(width, height).is_none()
    {
        return Err(too_large(width, height));
    }
    rasterise(svg, scale, max_width)
}

/// `width` and `height` of the root `<svg>` element, when they are plain numbers.
fn root_size(svg: &str) -> Option<(f32, f32)> {
    let root = svg.get(..svg.find('>')?)?;
    let attribute = |name: &str| -> Option<f32> {
        let start = root.find(&format!(" {name}=\""))? + name.len() + 3;
        let rest = root.get(start..)?;
        rest.get(..rest.find('"')?)?.parse().ok()
    };
    Some((attribute("width")?, attribute("height")?))
}

/// The refusal of a picture that does not fit the budget even at [`MIN_SCALE`].
fn too_large(width: f32, height: f32) -> ReportError {
    let megapixels = width * height * MIN_SCALE * MIN_SCALE / 1e6;
    ReportError::Png(format!(
        "the heatmap is {width:.0} x {height:.0} units: {megapixels:.0} megapixels even at the \
         smallest scale ({MIN_SCALE}x), more than the {:.0} megapixels a PNG may take\n  hint: \
         show fewer techniques with --subtechniques none, or leave png out of --outputs \
         (heatmap.svg has no size limit)",
        MAX_PIXELS / 1e6
    ))
}

/// The scale of a PNG for an SVG of `width` x `height` units: 2x, or lower to stay within
/// [`MAX_PIXELS`]; `None` when even [`MIN_SCALE`] would exceed it.
pub(crate) fn scale_for(width: f32, height: f32) -> Option<f32> {
    let area = width * height;
    if !area.is_finite() {
        return None;
    }
    if area <= 0.0 || area * SCALE * SCALE <= MAX_PIXELS {
        return Some(SCALE);
    }
    let scale = (MAX_PIXELS / area).sqrt().min(SCALE);
    (scale >= MIN_SCALE).then_some(scale)
}

/// Rasterises an SVG document with the shipped fonts, at `preferred` pixels per unit, lower
/// when the pixel budget or `max_width` asks for it.
pub(crate) fn rasterise(
    svg: &str,
    preferred: f32,
    max_width: Option<f32>,
) -> Result<Vec<u8>, ReportError> {
    let options = usvg::Options {
        font_family: FAMILY.to_string(),
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options)
        .map_err(|e| ReportError::Png(format!("the SVG does not parse: {e}")))?;
    let size = tree.size();
    let Some(scale) = scale_for(size.width(), size.height()) else {
        return Err(too_large(size.width(), size.height()));
    };
    let mut scale = scale.min(preferred);
    if let Some(max_width) = max_width {
        // Within the width by a pixel's margin, since the width is rounded up below.
        scale = scale.min((max_width - 1.0) / size.width()).max(0.05);
    }
    let width = pixels(size.width() * scale);
    let height = pixels(size.height() * scale);
    // Rounding up adds at most a row and a column; the budget is checked on what is allocated.
    if f64::from(width) * f64::from(height) > f64::from(MAX_PIXELS) * 1.01 {
        return Err(ReportError::Png(format!(
            "a {width}x{height} picture is over the pixel budget"
        )));
    }
    let mut pixmap = Pixmap::new(width, height)
        .ok_or_else(|| ReportError::Png(format!("cannot allocate a {width}x{height} picture")))?;
    // Opaque white behind everything, also in the fraction of a pixel a non-integer scale
    // leaves at the right and bottom edges.
    pixmap.fill(Color::WHITE);
    resvg::render(
        &tree,
        Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| ReportError::Png(e.to_string()))
}

/// Whole pixels covering `length` (at least 1).
#[allow(clippy::cast_sign_loss)] // clamped to at least 1 first
fn pixels(length: f32) -> u32 {
    length.ceil().clamp(1.0, u32::MAX as f32) as u32
}

/// The shipped fonts, and nothing else.
fn fonts() -> Arc<fontdb::Database> {
    static FONTS: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = fontdb::Database::new();
            db.load_font_data(FONT_REGULAR.to_vec());
            db.load_font_data(FONT_BOLD.to_vec());
            // Generic families (`sans-serif`) resolve to the shipped font too.
            db.set_sans_serif_family(FAMILY);
            Arc::new(db)
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_fonts_are_the_only_fonts() {
        let db = fonts();
        assert_eq!(db.len(), 2);
        let families: Vec<String> = db
            .faces()
            .flat_map(|face| face.families.iter().map(|(name, _)| name.clone()))
            .collect();
        assert!(
            families.iter().any(|f| f.starts_with("DejaVu Sans")),
            "{families:?}"
        );
    }

    #[test]
    fn the_root_size_is_read_from_the_svg_element() {
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"heatmap\" width=\"800\" height=\"6816.5\" viewBox=\"0 0 800 6816\">\n<g/></svg>";
        assert_eq!(root_size(svg), Some((800.0, 6816.5)));
        assert_eq!(root_size("<svg width=\"100%\">"), None);
    }

    #[test]
    fn scale_is_2x_until_the_pixel_budget_then_lower_down_to_the_floor() {
        let scale = |w, h| scale_for(w, h).expect("fits");
        assert!((scale(1000.0, 800.0) - 2.0).abs() < f32::EPSILON);
        let s = scale(2500.0, 5000.0);
        assert!((1.0..2.0).contains(&s), "{s}");
        assert!(2500.0 * 5000.0 * s * s <= MAX_PIXELS * 1.001);
        // Below 1x now, where it used to stop at 1x (a 100-megapixel picture).
        let s = scale(10_000.0, 10_000.0);
        assert!((s - 0.632_455_5).abs() < 1e-4, "{s}");
        // 30,000 techniques in one tactic: about 300 x 600,000 units.
        assert_eq!(scale_for(300.0, 600_000.0), None);
        assert_eq!(scale_for(f32::INFINITY, 10.0), None);
        assert_eq!(scale_for(0.0, 0.0), Some(SCALE));
    }
}
