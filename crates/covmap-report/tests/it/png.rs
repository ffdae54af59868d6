//! Tests of `heatmap.png`: a real PNG, two pixels per SVG unit (less only past 40 megapixels),
//! cells painted in the colours the SVG gives them, the same bytes every time, in every
//! palette.
//!
//! Set `COVMAP_WRITE_PNG_DIR` to a directory to also write the pictures there
//! (`heatmap-full.png`, `heatmap-ex01.png`), to look at them.

use std::collections::BTreeSet;
use std::io::Cursor;

use covmap_report::{OutputKind, Palette, RenderOptions, Subtechniques};
use roxmltree::Document;

use crate::common::{self, Owned};

/// A decoded picture: width, height, RGBA bytes.
struct Picture {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

impl Picture {
    fn pixel(&self, x: u32, y: u32) -> (u8, u8, u8, u8) {
        let i = ((y * self.width + x) * 4) as usize;
        (
            self.rgba[i],
            self.rgba[i + 1],
            self.rgba[i + 2],
            self.rgba[i + 3],
        )
    }
}

fn render(owned: &Owned, options: &RenderOptions, kind: OutputKind, name: &str) -> Vec<u8> {
    covmap_report::render(&owned.input(), options, &[kind])
        .expect("renders")
        .into_iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("{name} is written"))
        .bytes
}

fn png(owned: &Owned, options: &RenderOptions) -> Vec<u8> {
    render(owned, options, OutputKind::Png, "heatmap.png")
}

fn svg(owned: &Owned, options: &RenderOptions) -> String {
    String::from_utf8(render(owned, options, OutputKind::Svg, "heatmap.svg")).expect("UTF-8")
}

fn decode(bytes: &[u8]) -> Picture {
    let limits = png::Limits { bytes: usize::MAX };
    let mut reader = png::Decoder::new_with_limits(Cursor::new(bytes), limits)
        .read_info()
        .expect("a PNG");
    let mut rgba = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut rgba).expect("a frame");
    assert_eq!(info.color_type, png::ColorType::Rgba);
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    rgba.truncate(info.buffer_size());
    Picture {
        width: info.width,
        height: info.height,
        rgba,
    }
}

/// The documented scale: 2x, lowered so that the picture stays within 40 megapixels.
fn scale(width: f32, height: f32) -> f32 {
    let budget = 40_000_000.0_f32;
    if width * height * 4.0 <= budget {
        2.0
    } else {
        (budget / (width * height)).sqrt().clamp(1.0, 2.0)
    }
}

/// The SVG's size and the PNG's scale.
fn geometry(svg: &str) -> (f32, f32, f32) {
    let doc = Document::parse(svg).expect("XML");
    let root = doc.root_element();
    let size = |name: &str| -> f32 {
        root.attribute(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name}"))
    };
    let (width, height) = (size("width"), size("height"));
    (width, height, scale(width, height))
}

fn hex(rgb: (u8, u8, u8, u8)) -> String {
    format!("#{:02x}{:02x}{:02x}", rgb.0, rgb.1, rgb.2)
}

/// `value` (positive) rounded up to whole pixels.
#[allow(clippy::cast_sign_loss)] // sizes and positions are positive
fn whole(value: f32) -> u32 {
    value.ceil() as u32
}

/// Checks size, content and that every cell is painted in its SVG fill (read from a point
/// of the cell above its text); returns how many cells were checked.
fn check_picture(svg: &str, picture: &Picture) -> usize {
    let (width, height, scale) = geometry(svg);
    assert_eq!(picture.width, whole(width * scale));
    assert_eq!(picture.height, whole(height * scale));
    // Not blank: many colours, opaque.
    let colours: BTreeSet<&[u8]> = picture.rgba.chunks_exact(4).collect();
    assert!(colours.len() > 100, "{} colours", colours.len());
    let translucent: Vec<(usize, &[u8])> = picture
        .rgba
        .chunks_exact(4)
        .enumerate()
        .filter(|(_, p)| p[3] != 255)
        .take(5)
        .collect();
    assert!(
        translucent.is_empty(),
        "opaque: {} wide, {translucent:?}",
        picture.width
    );
    let doc = Document::parse(svg).expect("XML");
    let mut checked = 0;
    for cell in doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("cell"))
    {
        let rect = cell
            .children()
            .find(|n| n.has_tag_name("rect"))
            .expect("rect");
        let number = |name: &str| -> f32 {
            rect.attribute(name)
                .and_then(|v| v.parse().ok())
                .expect("a number")
        };
        let fill = rect.attribute("fill").expect("fill");
        let x = whole((number("x") + number("width") / 2.0) * scale - 1.0);
        let y = whole((number("y") + 3.0) * scale - 1.0);
        let seen = hex(picture.pixel(x, y));
        if fill.starts_with('#') {
            assert_eq!(
                seen,
                fill,
                "cell {} at {x},{y}",
                cell.attribute("data-id").unwrap_or("")
            );
            checked += 1;
        }
    }
    checked
}

#[test]
fn full_png_shows_the_svg_at_2x() {
    let owned = common::full();
    for mode in [Subtechniques::None, Subtechniques::All] {
        let options = RenderOptions {
            subtechniques: mode,
            ..RenderOptions::default()
        };
        let svg = svg(owned, &options);
        let bytes = png(owned, &options);
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        let picture = decode(&bytes);
        let (.., scale) = geometry(&svg);
        assert!((scale - 2.0).abs() < f32::EPSILON, "a small matrix is 2x");
        let checked = check_picture(&svg, &picture);
        assert!(checked >= 5, "{checked} cells checked");
        if mode == Subtechniques::All {
            write_when_asked("heatmap-full.png", &bytes);
        }
    }
}

#[test]
fn png_is_deterministic() {
    let owned = common::full();
    let options = RenderOptions::default();
    assert_eq!(png(owned, &options), png(owned, &options));
}

#[test]
fn every_palette_renders() {
    let owned = common::full();
    let mut seen = BTreeSet::new();
    for palette in Palette::ALL {
        let options = RenderOptions {
            palette,
            subtechniques: Subtechniques::All,
            ..RenderOptions::default()
        };
        let bytes = png(owned, &options);
        check_picture(&svg(owned, &options), &decode(&bytes));
        assert!(
            seen.insert(bytes),
            "{palette:?} gives another palette's picture"
        );
    }
}

#[test]
fn example_01_png() {
    let Some(owned) = common::example_01() else {
        return;
    };
    let options = RenderOptions::default();
    let svg = svg(owned, &options);
    let bytes = png(owned, &options);
    write_when_asked("heatmap-ex01.png", &bytes);
    let picture = decode(&bytes);
    let checked = check_picture(&svg, &picture);
    // Every cell with a plain fill (all but the hatched ones): 807 cells in the default mode.
    assert!(checked > 700, "{checked}");
    let (width, height, scale) = geometry(&svg);
    assert!(width * height * scale * scale <= 40_000_000.0 * 1.001);
}

/// Writes `bytes` to `$COVMAP_WRITE_PNG_DIR/name` when the variable is set.
fn write_when_asked(name: &str, bytes: &[u8]) {
    if let Some(dir) = std::env::var_os("COVMAP_WRITE_PNG_DIR") {
        let path = std::path::Path::new(&dir).join(name);
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}
