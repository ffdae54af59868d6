//! Colour scales of the heatmap (`--palette`).
//!
//! Every scale maps a value in [0, 1] to a colour. The sequential scales run from light (low) to
//! dark (high), so that "more colour" reads as "more coverage" next to the white of techniques
//! that are not covered at all; their lightest end is cut off where it would be hard to tell
//! from white. The scales come from the `colorous` crate (d3-scale-chromatic).

use colorous::Gradient;

/// A colour scale for heatmap cells.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Palette {
    /// Cividis, yellow to dark blue: designed to read the same with red-green colour-vision
    /// deficiency and in greyscale. The default.
    #[default]
    Cividis,
    /// Viridis, yellow through green to dark purple: perceptually uniform, colour-blind safe.
    Viridis,
    /// Light to dark blue: colour-blind safe, prints well.
    Blues,
    /// Light to dark grey: for greyscale printing.
    Greys,
    /// The traditional red (low), yellow, green (high) of many dashboards. **Not colour-blind
    /// safe**: red and green look alike to about one man in twelve. Offered for people who
    /// insist.
    RedYellowGreen,
}

impl Palette {
    /// Every palette, the default first.
    pub const ALL: [Palette; 5] = [
        Palette::Cividis,
        Palette::Viridis,
        Palette::Blues,
        Palette::Greys,
        Palette::RedYellowGreen,
    ];

    /// The name `--palette` uses.
    pub fn name(self) -> &'static str {
        match self {
            Palette::Cividis => "cividis",
            Palette::Viridis => "viridis",
            Palette::Blues => "blues",
            Palette::Greys => "greys",
            Palette::RedYellowGreen => "red-yellow-green",
        }
    }

    /// The palette `--palette` names, ignoring case (`grays` and `rdylgn` are accepted too).
    pub fn from_name(name: &str) -> Option<Palette> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("grays") {
            return Some(Palette::Greys);
        }
        if name.eq_ignore_ascii_case("rdylgn") {
            return Some(Palette::RedYellowGreen);
        }
        Palette::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// Whether people with the common colour-vision deficiencies can read the scale.
    pub fn colour_blind_safe(self) -> bool {
        self != Palette::RedYellowGreen
    }

    /// The colour of `value` (clamped to [0, 1]; not-a-number counts as 0).
    pub fn color(self, value: f64) -> (u8, u8, u8) {
        let value = if value.is_nan() {
            0.0
        } else {
            value.clamp(0.0, 1.0)
        };
        // Where on the gradient 0 and 1 fall: sequential scales run light to dark, their
        // near-white start cut off.
        let (gradient, from, to): (Gradient, f64, f64) = match self {
            Palette::Cividis => (colorous::CIVIDIS, 0.97, 0.0),
            Palette::Viridis => (colorous::VIRIDIS, 0.97, 0.05),
            Palette::Blues => (colorous::BLUES, 0.18, 1.0),
            Palette::Greys => (colorous::GREYS, 0.15, 0.95),
            Palette::RedYellowGreen => (colorous::RED_YELLOW_GREEN, 0.05, 0.95),
        };
        gradient
            .eval_continuous(from + (to - from) * value)
            .into_tuple()
    }

    /// The colour of `value` as `#rrggbb`.
    pub fn hex(self, value: f64) -> String {
        let (r, g, b) = self.color(value);
        format!("#{r:02x}{g:02x}{b:02x}")
    }

    /// The text colour that reads best on the colour of `value`: black or white, whichever has
    /// the higher contrast (WCAG relative luminance).
    pub fn text_on(self, value: f64) -> &'static str {
        text_on_rgb(self.color(value))
    }
}

/// Black or white, whichever contrasts more with `rgb`.
fn text_on_rgb(rgb: (u8, u8, u8)) -> &'static str {
    let luminance = relative_luminance(rgb);
    // Contrast with black is (L + 0.05) / 0.05, with white 1.05 / (L + 0.05); they are equal at
    // L = 0.179.
    if luminance > 0.179 {
        "#000000"
    } else {
        "#ffffff"
    }
}

/// WCAG 2 relative luminance of an sRGB colour, in [0, 1].
fn relative_luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for palette in Palette::ALL {
            assert_eq!(Palette::from_name(palette.name()), Some(palette));
            assert_eq!(
                Palette::from_name(&palette.name().to_uppercase()),
                Some(palette)
            );
        }
        assert_eq!(Palette::from_name("Grays"), Some(Palette::Greys));
        assert_eq!(Palette::from_name("nope"), None);
        assert_eq!(Palette::default(), Palette::Cividis);
    }

    #[test]
    fn sequential_scales_get_darker() {
        for palette in [
            Palette::Cividis,
            Palette::Viridis,
            Palette::Blues,
            Palette::Greys,
        ] {
            let low = relative_luminance(palette.color(0.0));
            let high = relative_luminance(palette.color(1.0));
            assert!(low > high + 0.3, "{palette:?}: {low} vs {high}");
            assert_eq!(palette.text_on(0.0), "#000000", "{palette:?}");
            assert_eq!(palette.text_on(1.0), "#ffffff", "{palette:?}");
        }
    }

    #[test]
    fn hex_and_clamping() {
        let palette = Palette::Cividis;
        assert_eq!(palette.hex(2.0), palette.hex(1.0));
        assert_eq!(palette.hex(f64::NAN), palette.hex(0.0));
        assert_eq!(palette.hex(0.5).len(), 7);
        assert!(palette.hex(0.5).starts_with('#'));
    }
}
