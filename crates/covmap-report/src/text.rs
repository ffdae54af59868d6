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
///
/// Characters XML 1.0 forbids (C0 controls but tab, newline and carriage return; U+FFFE and
/// U+FFFF) become U+FFFD: an ESC in a capability name would otherwise make heatmap.svg
/// invalid XML, and heatmap.png fail to render.
pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    let escaped = html_escape::encode_quoted_attribute(text);
    if escaped.chars().any(not_xml) {
        std::borrow::Cow::Owned(
            escaped
                .chars()
                .map(|c| if not_xml(c) { '\u{fffd}' } else { c })
                .collect(),
        )
    } else {
        escaped
    }
}

/// Whether XML 1.0 forbids `c` in a document.
fn not_xml(c: char) -> bool {
    matches!(
        c,
        '\0'..='\x08' | '\x0b' | '\x0c' | '\x0e'..='\x1f' | '\u{fffe}' | '\u{ffff}'
    )
}

/// The most characters of a capability name shown where names repeat per technique (SVG and
/// HTML tooltips, layer metadata); the full name is written once, in the capability tables.
pub const SHORT_NAME_CHARS: usize = 120;

/// `name` cut to [`SHORT_NAME_CHARS`] characters (at a character boundary, ending with `…`),
/// so that a report set grows with techniques plus capabilities, never with their product.
pub fn short_name(name: &str) -> std::borrow::Cow<'_, str> {
    // Only the first 81 characters are looked at: a 100 KB name costs no more than a short one.
    let mut starts = name.char_indices().map(|(at, _)| at);
    match (starts.nth(SHORT_NAME_CHARS - 1), starts.next()) {
        (Some(cut), Some(_)) => {
            let head = name.get(..cut).unwrap_or(name).trim_end();
            std::borrow::Cow::Owned(format!("{head}\u{2026}"))
        }
        _ => std::borrow::Cow::Borrowed(name),
    }
}

/// A score in [0, 1] as a percentage with one decimal, e.g. `42.5%`.
pub fn percent(score: f64) -> String {
    format!("{:.1}%", score * 100.0)
}

/// A change of a score in percentage points, signed, one decimal: `+3.2 points`.
pub fn points(delta: f64) -> String {
    format!("{:+.1} points", delta * 100.0)
}

/// An amount of money for people: rounded to a unit, with thousands separators and its sign
/// when negative (`64,000`, `-1,250`); not finite amounts show as `0`.
pub fn money(amount: f64) -> String {
    let rounded = if amount.is_finite() {
        amount.round()
    } else {
        0.0
    };
    let digits = format!("{:.0}", rounded.abs());
    let sign = if rounded < 0.0 { "-" } else { "" };
    format!("{sign}{}", group_thousands(&digits))
}

/// A count with thousands separators: `12,345`.
pub fn count(n: usize) -> String {
    group_thousands(&n.to_string())
}

/// Digits grouped by three with commas.
fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_counts_have_thousands_separators() {
        assert_eq!(money(64_000.0), "64,000");
        assert_eq!(money(1_234_567.4), "1,234,567");
        assert_eq!(money(999.5), "1,000");
        assert_eq!(money(-1250.0), "-1,250");
        assert_eq!(money(f64::NAN), "0");
        assert_eq!(count(12_345), "12,345");
        assert_eq!(count(7), "7");
        assert_eq!(points(0.0325), "+3.2 points");
        assert_eq!(points(-0.01), "-1.0 points");
    }

    #[test]
    fn characters_xml_forbids_are_replaced() {
        assert_eq!(
            escape("a\x1b[2J\x07<b>\tc"),
            "a\u{fffd}[2J\u{fffd}&lt;b&gt;\tc"
        );
        assert_eq!(escape("plain"), "plain");
    }

    #[test]
    fn long_names_are_cut_at_a_character_boundary_with_an_ellipsis() {
        assert_eq!(short_name("EDR"), "EDR");
        let exact = "é".repeat(SHORT_NAME_CHARS);
        assert_eq!(short_name(&exact), exact.as_str());
        let long = "é".repeat(100_000);
        let short = short_name(&long);
        assert_eq!(short.chars().count(), SHORT_NAME_CHARS);
        assert!(short.ends_with('\u{2026}'));
        assert!(short.starts_with(&"é".repeat(SHORT_NAME_CHARS - 1)));
    }
}
