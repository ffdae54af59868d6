//! `heatmap.png`: the SVG heatmap rasterised with resvg, for slides.
//!
//! Text is set in the font covmap ships (loaded into an empty font database: no system font is
//! ever looked at), so the picture is the same on every machine. The PNG has two pixels per SVG
//! unit (2x, crisp on slides and high-density screens), unless that would exceed
//! [`MAX_PIXELS`]: very tall matrices are then scaled down just enough to fit (never below 1x).

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia::{Color, Pixmap, Transform};
use resvg::usvg::{self, fontdb};

use crate::text::{FONT_BOLD, FONT_REGULAR};
use crate::{RenderOptions, ReportError, ReportInput, heatmap};

/// Pixels per SVG unit.
pub(crate) const SCALE: f32 = 2.0;

/// The most pixels a PNG gets before its scale is lowered (40 megapixels, 160 MB of pixmap).
pub(crate) const MAX_PIXELS: f32 = 40_000_000.0;

/// The family the shipped fonts are known by, used for text that names no family.
const FAMILY: &str = "DejaVu Sans Condensed";

/// Renders `heatmap.svg` (the view `options` ask for) to PNG.
pub(crate) fn heatmap(
    input: &ReportInput<'_>,
    options: &RenderOptions,
) -> Result<Vec<u8>, ReportError> {
    rasterise(&heatmap::svg(input, options))
}

/// The scale of a PNG for an SVG of `width` x `height` units.
pub(crate) fn scale_for(width: f32, height: f32) -> f32 {
    let area = width * height;
    if area <= 0.0 || area * SCALE * SCALE <= MAX_PIXELS {
        SCALE
    } else {
        (MAX_PIXELS / area).sqrt().clamp(1.0, SCALE)
    }
}

/// Rasterises an SVG document with the shipped fonts.
pub(crate) fn rasterise(svg: &str) -> Result<Vec<u8>, ReportError> {
    let options = usvg::Options {
        font_family: FAMILY.to_string(),
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options)
        .map_err(|e| ReportError::Png(format!("the SVG does not parse: {e}")))?;
    let size = tree.size();
    let scale = scale_for(size.width(), size.height());
    let width = pixels(size.width() * scale);
    let height = pixels(size.height() * scale);
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
    fn scale_is_2x_until_the_pixel_budget() {
        assert!((scale_for(1000.0, 800.0) - 2.0).abs() < f32::EPSILON);
        let scale = scale_for(2500.0, 5000.0);
        assert!((1.0..2.0).contains(&scale), "{scale}");
        assert!(2500.0 * 5000.0 * scale * scale <= MAX_PIXELS * 1.001);
        assert!((scale_for(10_000.0, 10_000.0) - 1.0).abs() < f32::EPSILON);
    }
}
