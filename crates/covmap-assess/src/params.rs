//! Scoring parameters: the optional `scoring:` section of an inventory, with documented defaults.

use serde::{Deserialize, Serialize};

use crate::inventory::{Confidence, Function, NamedLevel};

/// How values of several capabilities (or functions) combine.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, Default,
)]
#[serde(rename_all = "kebab-case")]
pub enum Combine {
    /// 1 - Π(1 - v): defence in depth, each layer catches part of what the others miss.
    #[default]
    NoisyOr,
    /// The best single value.
    Max,
}

/// How a parent technique's cell is rolled up from its sub-techniques.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, Default,
)]
#[serde(rename_all = "kebab-case")]
pub enum Rollup {
    /// The mean of the sub-techniques in scope.
    #[default]
    Mean,
    /// The weakest sub-technique.
    Min,
    /// The strongest sub-technique.
    Max,
}

/// Values of the named levels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LevelValues {
    /// Default 0.25.
    pub minimal: f64,
    /// Default 0.5.
    pub partial: f64,
    /// Default 0.9.
    pub significant: f64,
}

impl Default for LevelValues {
    fn default() -> Self {
        LevelValues {
            minimal: 0.25,
            partial: 0.5,
            significant: 0.9,
        }
    }
}

impl LevelValues {
    /// The value of a named level.
    pub fn of(&self, level: NamedLevel) -> f64 {
        match level {
            NamedLevel::Minimal => self.minimal,
            NamedLevel::Partial => self.partial,
            NamedLevel::Significant => self.significant,
        }
    }
}

/// Factors applied for each confidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ConfidenceFactors {
    /// Default 0.5.
    pub claimed: f64,
    /// Default 0.8.
    pub configured: f64,
    /// Default 1.0.
    pub tested: f64,
}

impl Default for ConfidenceFactors {
    fn default() -> Self {
        ConfidenceFactors {
            claimed: 0.5,
            configured: 0.8,
            tested: 1.0,
        }
    }
}

impl ConfidenceFactors {
    /// The factor of a confidence.
    pub fn of(&self, confidence: Confidence) -> f64 {
        match confidence {
            Confidence::Claimed => self.claimed,
            Confidence::Configured => self.configured,
            Confidence::Tested => self.tested,
        }
    }
}

/// Which functions make the headline score of a technique, and how they combine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Headline {
    /// Default `[detect, protect]`.
    pub functions: Vec<Function>,
    /// Default `noisy-or`.
    pub combine: Combine,
}

impl Default for Headline {
    fn default() -> Self {
        Headline {
            functions: vec![Function::Detect, Function::Protect],
            combine: Combine::NoisyOr,
        }
    }
}

/// Lower bounds of the display levels; a score of exactly 0 is `none`, anything above 0 and
/// below `medium` is `low`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// Default 0.33.
    pub medium: f64,
    /// Default 0.66.
    pub high: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            medium: 0.33,
            high: 0.66,
        }
    }
}

/// Every scoring parameter, as `scoring:` in an inventory sets them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ScoringParams {
    /// Values of minimal / partial / significant.
    pub levels: LevelValues,
    /// Factors of claimed / configured / tested.
    pub confidence: ConfidenceFactors,
    /// Confidence of entries that do not say (default `configured`).
    pub default_confidence: Option<Confidence>,
    /// How capabilities combine for one technique, function and platform (default noisy-or).
    pub combine: Combine,
    /// The headline score of a technique.
    pub headline: Headline,
    /// Parent cells from sub-techniques (default mean).
    pub rollup: Rollup,
    /// Display level thresholds.
    pub thresholds: Thresholds,
    /// What a threat's use of a technique counts in threat weights when it only comes through
    /// software the threat uses (its own or its campaigns'), in [0, 1]; a direct use counts 1.
    /// Default 0.5.
    #[serde(default = "default_software_factor")]
    pub threat_software_factor: f64,
    /// What a log source collected only through an include filter (`filtered: true`, e.g. a
    /// Sysmon event type with include rules) counts in derived visibility, in [0, 1], times the
    /// telemetry's quality. Default 0.5. Written to assessment.json only when the inventory has
    /// telemetry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub filtered_telemetry: Option<f64>,
}

/// The default of [`ScoringParams::filtered_telemetry`].
pub const DEFAULT_FILTERED_TELEMETRY: f64 = 0.5;

/// The default of [`ScoringParams::threat_software_factor`].
pub const DEFAULT_THREAT_SOFTWARE_FACTOR: f64 = 0.5;

fn default_software_factor() -> f64 {
    DEFAULT_THREAT_SOFTWARE_FACTOR
}

impl Default for ScoringParams {
    fn default() -> Self {
        ScoringParams {
            levels: LevelValues::default(),
            confidence: ConfidenceFactors::default(),
            default_confidence: None,
            combine: Combine::default(),
            headline: Headline::default(),
            rollup: Rollup::default(),
            thresholds: Thresholds::default(),
            threat_software_factor: DEFAULT_THREAT_SOFTWARE_FACTOR,
            filtered_telemetry: None,
        }
    }
}

/// A display level of a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CoverageLevel {
    /// Score 0.
    None,
    /// Above 0, below `medium`.
    Low,
    /// From `medium`, below `high`.
    Medium,
    /// From `high`.
    High,
}

impl CoverageLevel {
    /// The lowercase name, as `assessment.json` spells it.
    pub fn name(self) -> &'static str {
        match self {
            CoverageLevel::None => "none",
            CoverageLevel::Low => "low",
            CoverageLevel::Medium => "medium",
            CoverageLevel::High => "high",
        }
    }
}

impl ScoringParams {
    /// The confidence of an entry that does not say.
    pub fn default_confidence(&self) -> Confidence {
        self.default_confidence.unwrap_or(Confidence::Configured)
    }

    /// The factor of a filtered log source ([`ScoringParams::filtered_telemetry`], default
    /// 0.5), clamped to [0, 1].
    pub fn filtered_factor(&self) -> f64 {
        let factor = self
            .filtered_telemetry
            .unwrap_or(DEFAULT_FILTERED_TELEMETRY);
        if factor.is_nan() {
            DEFAULT_FILTERED_TELEMETRY
        } else {
            factor.clamp(0.0, 1.0)
        }
    }

    /// The display level of a score.
    pub fn level_of(&self, score: f64) -> CoverageLevel {
        if score <= 0.0 {
            CoverageLevel::None
        } else if score < self.thresholds.medium {
            CoverageLevel::Low
        } else if score < self.thresholds.high {
            CoverageLevel::Medium
        } else {
            CoverageLevel::High
        }
    }
}
