//! The one colour scale of every output (`--palette`): heatmap.svg/png, the charts, report.html,
//! coverage.xlsx and the Navigator layers all take their colours from here.
//!
//! A scale is three colour stops for the scores 0, 0.5 and 1, and a score's colour is the
//! linear RGB interpolation between them, of the score rounded to a whole percent. That is
//! exactly what the other tools do with the same three stops: ATT&CK Navigator spreads a
//! layer's gradient colours evenly from `minValue` to `maxValue` and interpolates linearly
//! between them (layer.json scores are whole percents from 0 to 100), and Excel's three-colour
//! scale interpolates between its minimum, midpoint and maximum. So a technique has the same
//! colour in the heatmap, in Navigator and in coverage.xlsx.
//!
//! Score 0 is the end of every scale that draws the eye (the dark end of the sequential
//! scales, red in red-yellow-green): an uncovered technique in scope is drawn in it, so that a
//! gap never looks calmer than partial coverage. Out of scope is a light grey
//! ([`OUT_OF_SCOPE`]) and evidence at parent level only has its own mark ([`PARENT_LEVEL_ONLY`]),
//! both outside every scale.
//!
//! The default, cividis (Nuñez, Anderton and Renslow, PLOS ONE 2018), was designed to look the
//! same to people with red-green colour-vision deficiency (about one man in twelve) as to
//! everyone else, and its lightness rises steadily from dark blue through grey to yellow, so it
//! also survives greyscale printing: the display levels (none, low, medium, high) differ in
//! lightness, which every reader can see. The stops are sampled from the `colorous` crate
//! (d3-scale-chromatic).

use colorous::Gradient;

/// Fill of techniques out of scope, in every output (Navigator greys out disabled techniques
/// in a similar grey).
pub(crate) const OUT_OF_SCOPE: &str = "#e3e3e3";
/// Text on techniques out of scope.
pub(crate) const OUT_OF_SCOPE_TEXT: &str = "#676767";
/// The mark of techniques whose only evidence names their parent (never scores): the hatch
/// stripes in the heatmap, the cell colour in Navigator and coverage.xlsx.
pub(crate) const PARENT_LEVEL_ONLY: &str = "#9e9ac8";

/// Chart series that are no coverage score (gains, shares) take these Okabe-Ito colours,
/// told apart with colour-vision deficiencies; a score is drawn in its colour on the scale.
/// Gain in overall coverage (blue).
pub(crate) const SERIES_GAIN: (u8, u8, u8) = (0x00, 0x72, 0xB2);
/// Gain in threat-weighted coverage (orange).
pub(crate) const SERIES_GAIN_WEIGHTED: (u8, u8, u8) = (0xE6, 0x9F, 0x00);
/// Share of a threat's techniques covered at all (bluish green).
pub(crate) const SERIES_SHARE: (u8, u8, u8) = (0x00, 0x9E, 0x73);

/// A colour scale: the colours of scores from 0 to 1.
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

    /// The three stops of the scale: the colours of the scores 0, 0.5 and 1 (score 0 first).
    pub fn stops(self) -> [(u8, u8, u8); 3] {
        // Where on the source gradient the scores 0, 0.5 and 1 fall: the sequential scales
        // start at their dark end and stop short of white.
        let (gradient, from, to): (Gradient, f64, f64) = match self {
            Palette::Cividis => (colorous::CIVIDIS, 0.0, 1.0),
            Palette::Viridis => (colorous::VIRIDIS, 0.0, 1.0),
            Palette::Blues => (colorous::BLUES, 1.0, 0.2),
            Palette::Greys => (colorous::GREYS, 0.95, 0.12),
            Palette::RedYellowGreen => (colorous::RED_YELLOW_GREEN, 0.05, 0.95),
        };
        [0.0, 0.5, 1.0].map(|at| {
            gradient
                .eval_continuous(from + (to - from) * at)
                .into_tuple()
        })
    }

    /// The stops as `#rrggbb`, score 0 first: layer.json's gradient, coverage.xlsx's scale.
    pub fn stop_hexes(self) -> [String; 3] {
        self.stops().map(hex)
    }

    /// The colour of `value` (clamped to [0, 1]; not-a-number counts as 0): rounded to a whole
    /// percent, as layer.json scores are, then interpolated linearly between the stops.
    pub fn color(self, value: f64) -> (u8, u8, u8) {
        let value = if value.is_nan() {
            0.0
        } else {
            value.clamp(0.0, 1.0)
        };
        let percent = (value * 100.0).round();
        let [low, middle, high] = self.stops();
        let (from, to, w) = if percent <= 50.0 {
            (low, middle, percent / 50.0)
        } else {
            (middle, high, (percent - 50.0) / 50.0)
        };
        (
            mix(from.0, to.0, w),
            mix(from.1, to.1, w),
            mix(from.2, to.2, w),
        )
    }

    /// The colour of `value` as `#rrggbb`.
    pub fn hex(self, value: f64) -> String {
        hex(self.color(value))
    }

    /// The score that stands for a display level in legends and level badges: 0 for none,
    /// the middle of the other levels' ranges (`medium` and `high` are the thresholds).
    pub fn level_value(level: covmap_assess::params::CoverageLevel, medium: f64, high: f64) -> f64 {
        use covmap_assess::params::CoverageLevel;
        let medium = medium.clamp(0.0, 1.0);
        let high = high.clamp(medium, 1.0);
        match level {
            CoverageLevel::None => 0.0,
            CoverageLevel::Low => medium / 2.0,
            CoverageLevel::Medium => f64::midpoint(medium, high),
            CoverageLevel::High => f64::midpoint(high, 1.0),
        }
    }

    /// The text colour that reads best on the colour of `value`: black or white, whichever has
    /// the higher contrast (WCAG relative luminance).
    pub fn text_on(self, value: f64) -> &'static str {
        text_on_rgb(self.color(value))
    }
}

/// `#rrggbb`.
pub(crate) fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// `a` to `b` by `w` in [0, 1], rounded.
fn mix(a: u8, b: u8, w: f64) -> u8 {
    let value = f64::from(a) + (f64::from(b) - f64::from(a)) * w;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // in [0, 255]
    let value = value.round().clamp(0.0, 255.0) as u8;
    value
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
    fn sequential_scales_get_lighter() {
        for palette in [
            Palette::Cividis,
            Palette::Viridis,
            Palette::Blues,
            Palette::Greys,
        ] {
            // Score 0, the gap, is the dark end that draws the eye.
            let low = relative_luminance(palette.color(0.0));
            let high = relative_luminance(palette.color(1.0));
            assert!(high > low + 0.3, "{palette:?}: {low} vs {high}");
            assert_eq!(palette.text_on(0.0), "#ffffff", "{palette:?}");
            assert_eq!(palette.text_on(1.0), "#000000", "{palette:?}");
        }
    }

    #[test]
    fn stops_are_the_ends_and_middle_and_scores_are_whole_percents() {
        for palette in Palette::ALL {
            let [low, middle, high] = palette.stops();
            assert_eq!(palette.color(0.0), low, "{palette:?}");
            assert_eq!(palette.color(0.5), middle, "{palette:?}");
            assert_eq!(palette.color(1.0), high, "{palette:?}");
            // 0.734 and 0.7349 are both 73%, as layer.json writes them.
            assert_eq!(palette.color(0.734), palette.color(0.7349), "{palette:?}");
        }
    }

    #[test]
    fn adjacent_levels_differ_in_lightness() {
        use covmap_assess::params::CoverageLevel;
        // With the default thresholds (0.33, 0.66), every level's colour is clearly lighter
        // (or, for red-yellow-green, other in hue) than the one below it.
        for palette in [
            Palette::Cividis,
            Palette::Viridis,
            Palette::Blues,
            Palette::Greys,
        ] {
            let levels = [
                CoverageLevel::None,
                CoverageLevel::Low,
                CoverageLevel::Medium,
                CoverageLevel::High,
            ]
            .map(|level| {
                relative_luminance(palette.color(Palette::level_value(level, 0.33, 0.66)))
            });
            for pair in levels.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                // WCAG contrast ratio of at least 1.3 between neighbours.
                assert!((b + 0.05) / (a + 0.05) > 1.3, "{palette:?}: {levels:?}");
            }
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
