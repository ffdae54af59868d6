//! Tests of `heatmap.png`: a real PNG, two pixels per SVG unit (less only past 40 megapixels, refused below 0.5x),
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

fn full_png(owned: &Owned, options: &RenderOptions) -> Vec<u8> {
    render(owned, options, OutputKind::Png, "heatmap-full.png")
}

/// The SVG heatmap.png shows: the compact matrix, whatever `options.subtechniques` says, in
/// the slide layout.
fn svg(owned: &Owned, options: &RenderOptions) -> String {
    covmap_report::heatmap_png_svg(&owned.input(), options)
}

/// The SVG heatmap-full.png shows: `heatmap-full.svg`, every sub-technique.
fn full_svg(owned: &Owned, options: &RenderOptions) -> String {
    String::from_utf8(render(owned, options, OutputKind::Svg, "heatmap-full.svg")).expect("UTF-8")
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

/// The documented scale of heatmap.png (`full`: heatmap-full.png): 2x (1x), lowered so that
/// the picture stays within 40 megapixels (down to 0.5x; larger matrices are refused) and,
/// for heatmap.png, within 3840 pixels of width.
fn scale(width: f32, height: f32, full: bool) -> f32 {
    let budget = 40_000_000.0_f32;
    let fit = if width * height * 4.0 <= budget {
        2.0
    } else {
        (budget / (width * height)).sqrt().min(2.0)
    };
    if full {
        fit.min(1.0)
    } else {
        fit.min(3839.0 / width)
    }
}

/// The SVG's size and heatmap.png's scale.
fn geometry(svg: &str) -> (f32, f32, f32) {
    geometry_of(svg, false)
}

/// The SVG's size and the scale of heatmap.png, or with `full` heatmap-full.png.
fn geometry_of(svg: &str, full: bool) -> (f32, f32, f32) {
    let doc = Document::parse(svg).expect("XML");
    let root = doc.root_element();
    let size = |name: &str| -> f32 {
        root.attribute(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name}"))
    };
    let (width, height) = (size("width"), size("height"));
    (width, height, scale(width, height, full))
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
    check_picture_of(svg, picture, false)
}

/// [`check_picture`] for heatmap.png, or with `full` heatmap-full.png.
fn check_picture_of(svg: &str, picture: &Picture, full: bool) -> usize {
    let (width, height, scale) = geometry_of(svg, full);
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
    // heatmap.png is the compact matrix whatever --subtechniques says.
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
    }
    // heatmap-full.png shows heatmap-full.svg (every sub-technique) at 1x.
    let options = RenderOptions::default();
    let svg = full_svg(owned, &options);
    let bytes = full_png(owned, &options);
    write_when_asked("heatmap-full.png", &bytes);
    let picture = decode(&bytes);
    let checked = check_picture_of(&svg, &picture, true);
    assert!(checked >= 5, "{checked} cells checked");
    assert!(svg.matches("class=\"cell\"").count() > svg_cells(&svg_of_none(owned)));
}

fn svg_cells(svg: &str) -> usize {
    svg.matches("class=\"cell\"").count()
}

fn svg_of_none(owned: &Owned) -> String {
    svg(owned, &RenderOptions::default())
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
    // Every cell with a plain fill (all but the hatched ones) of the compact matrix.
    assert!(checked > 200, "{checked}");
    let (width, height, scale) = geometry(&svg);
    assert!(width * height * scale * scale <= 40_000_000.0 * 1.001);
    // For slides: landscape, at most 3840 pixels wide, yet not scaled down below 1.5x
    // (about 3,840 x 1,900 for enterprise 18.1's 14 tactics).
    assert!(picture.width <= 3840, "{}", picture.width);
    assert!(
        picture.width > picture.height,
        "{} x {}",
        picture.width,
        picture.height
    );
    assert!(scale > 1.5, "{scale}");
    // Issue 18 §3: readable when shown 1,920 pixels wide: the smallest technique label is at
    // least 10 pixels high there (it was 7.6 with the screen layout).
    let doc = Document::parse(&svg).expect("XML");
    let smallest = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("cell"))
        .flat_map(|cell| cell.children().filter(|n| n.has_tag_name("text")))
        .map(|text| {
            text.attribute("font-size")
                .and_then(|v| v.parse::<f32>().ok())
                .expect("a font size")
        })
        .fold(f32::INFINITY, f32::min);
    let at_1920 = smallest * scale * 1920.0 / picture.width as f32;
    assert!(at_1920 >= 10.0, "labels {at_1920:.2} px high at 1920 px");
    // Names wrap onto a second line rather than being cut short.
    assert!(
        svg.contains(">Command and</tspan><tspan")
            || svg.contains(">Command and Scripting</tspan><tspan"),
        "T1059's name on two lines"
    );
    // Sub-techniques rolled up: one cell per (technique, tactic), none for sub-techniques.
    assert!(!svg.contains("data-id=\"T1059.001\""));
    assert!(svg.contains("data-id=\"T1059\""));
    // The poster: every sub-technique, at 1x.
    let full = full_svg(owned, &options);
    assert!(full.contains("data-id=\"T1059.001\""));
    let bytes = full_png(owned, &options);
    write_when_asked("heatmap-full-ex01.png", &bytes);
    let picture = decode(&bytes);
    let checked = check_picture_of(&full, &picture, true);
    // 887 cells with every sub-technique (807 in the default mode); the hatched ones are
    // not compared.
    assert!(checked > 800, "{checked} of {} cells", svg_cells(&full));
    assert!(picture.height > picture.width);
}

/// Writes `bytes` to `$COVMAP_WRITE_PNG_DIR/name` when the variable is set.
fn write_when_asked(name: &str, bytes: &[u8]) {
    if let Some(dir) = std::env::var_os("COVMAP_WRITE_PNG_DIR") {
        let path = std::path::Path::new(&dir).join(name);
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

/// A bundle with one tactic holding `n` techniques (no sub-techniques), generated here.
fn one_tactic(n: usize) -> covmap_core::Attack {
    let external =
        |id: &str| serde_json::json!([{ "source_name": "mitre-attack", "external_id": id }]);
    let mut objects = vec![
        serde_json::json!({
            "type": "x-mitre-matrix", "id": "x-mitre-matrix--0", "name": "Test Matrix",
            "external_references": external("enterprise-attack"),
            "tactic_refs": ["x-mitre-tactic--execution"],
        }),
        serde_json::json!({
            "type": "x-mitre-tactic", "id": "x-mitre-tactic--execution", "name": "Execution",
            "x_mitre_shortname": "execution", "external_references": external("TA0002"),
        }),
    ];
    objects.extend((0..n).map(|i| {
        let id = format!("T{:04}", i % 10_000);
        serde_json::json!({
            "type": "attack-pattern",
            "id": format!("attack-pattern--{i}"),
            "name": format!("Technique {i}"),
            // IDs repeat past 10,000 (four digits); the matrix does not care.
            "external_references": external(&id),
            "kill_chain_phases": [{ "kill_chain_name": "mitre-attack", "phase_name": "execution" }],
            "x_mitre_platforms": ["Windows"],
        })
    }));
    let bundle = serde_json::json!({ "type": "bundle", "id": "bundle--0", "objects": objects });
    let bytes = serde_json::to_vec(&bundle).unwrap();
    covmap_core::Attack::from_slice(&bytes, std::path::Path::new("one-tactic.json")).unwrap()
}

fn unscored(attack: &covmap_core::Attack) -> Owned {
    let assessment = covmap_assess::score::assess(
        attack,
        &covmap_assess::inventory::Inventory::default(),
        &covmap_assess::score::AssessOptions::default(),
    );
    Owned {
        assessment,
        gaps: Vec::new(),
        threats: Vec::new(),
        comparison: None,
        plan: None,
    }
}

/// A tall matrix is scaled below 1x (it used to stop at 1x, past the budget), and the picture
/// stays within 40 megapixels.
#[test]
fn a_tall_matrix_is_scaled_below_1x_within_the_budget() {
    let owned = unscored(&one_tactic(6_000));
    let options = RenderOptions::default();
    let svg = svg(&owned, &options);
    let (width, height, scale) = geometry(&svg);
    assert!((0.5..1.0).contains(&scale), "{width} x {height} at {scale}");
    let picture = decode(&png(&owned, &options));
    assert_eq!(picture.width, whole(width * scale));
    assert_eq!(picture.height, whole(height * scale));
    let pixels = f64::from(picture.width) * f64::from(picture.height);
    assert!(pixels <= 40_000_000.0 * 1.01, "{pixels}");
}

/// 12,000 techniques in one tactic (800 x 264,000 units: 0.8 GB of pixmap at 1x before, and
/// 2.1 GB for 30,000): refused with the size, the budget and the two ways out, without
/// allocating the picture; the SVG still renders.
#[test]
fn a_matrix_past_the_budget_at_the_smallest_scale_is_refused() {
    let owned = unscored(&one_tactic(12_000));
    let options = RenderOptions::default();
    let started = std::time::Instant::now();
    let err = covmap_report::render(&owned.input(), &options, &[OutputKind::Png]).unwrap_err();
    let message = err.to_string();
    for needle in [
        "megapixels even at the smallest scale (0.5x)",
        "more than the 40 megapixels a PNG may take",
        "--subtechniques none",
        "leave png out of --outputs",
    ] {
        assert!(message.contains(needle), "{needle:?} in {message}");
    }
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
    let svg = svg(&owned, &options);
    let (_, height, _) = geometry(&svg);
    assert!(height * 800.0 * 0.25 > 40_000_000.0, "{height}");
}
