//! Text helpers shared by the renderers: escaping for SVG/HTML, number formats, and the font
//! covmap ships (DejaVu Sans Condensed, Bitstream Vera licence: assets/fonts/LICENSE-DejaVu.txt)
//! so that the PNG and the text measurements are the same on every machine.

/// DejaVu Sans Condensed, regular.
pub const FONT_REGULAR: &[u8] = include_bytes!("../assets/fonts/DejaVuSansCondensed.ttf");
/// DejaVu Sans Condensed, bold.
pub const FONT_BOLD: &[u8] = include_bytes!("../assets/fonts/DejaVuSansCondensed-Bold.ttf");
/// The CSS font stack of SVG text: the shipped font first (the PNG renderer knows it by this
/// name), then look-alikes a browser has.
pub const FONT_FAMILY: &str = "'DejaVu Sans Condensed', 'DejaVu Sans', Verdana, Arial, sans-serif";

/// Escapes text for an XML/HTML text node or a quoted attribute value (`&`, `<`, `>`, `"`,
/// `'`). Every string from an inventory, an imported rule or ATT&CK goes through this.
pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_quoted_attribute(text)
}

/// A score in [0, 1] as a percentage with one decimal, e.g. `42.5%`.
pub fn percent(score: f64) -> String {
    format!("{:.1}%", score * 100.0)
}
