//! What the collected logs make visible: which log-source references of ATT&CK 18's analytics a
//! team's telemetry collects, platform by platform.
//!
//! A reference (name, channel) of an analytic is collected on a platform when a counted telemetry
//! entry on that platform collects that name with every channel, or lists that channel, or, for
//! a channel of the form `EventCode=A, B`, lists each of `EventCode=A` and `EventCode=B`. Its
//! value is the entry's `quality` (times `scoring.filtered_telemetry` when the source is
//! filtered); when several entries collect it, the best counts.

use std::collections::BTreeMap;

use covmap_core::Analytic;

use crate::inventory::{CollectedSource, Telemetry};
use crate::score::AssessOptions;

/// How well one log source is collected on one platform.
#[derive(Debug, Clone, Default, PartialEq)]
struct SourceState {
    /// Value when every channel is collected (0: not collected whole).
    all: f64,
    /// Value per listed channel, by normalised channel.
    channels: BTreeMap<String, f64>,
}

/// The log sources collected, by platform: the counted telemetry entries of an inventory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Collected {
    /// Platform (bundle spelling) -> normalised log-source name -> state.
    by_platform: BTreeMap<String, BTreeMap<String, SourceState>>,
}

/// How much of one analytic's log sources are collected on one platform.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalyticCollection {
    /// References collected (value above 0).
    pub collected: usize,
    /// References the analytic names (after removing duplicates).
    pub total: usize,
    /// Mean value of the references: the share collected, times the telemetry's quality.
    pub value: f64,
}

impl AnalyticCollection {
    /// Every reference is collected (an analytic naming none is not feasible).
    pub fn feasible(&self) -> bool {
        self.total > 0 && self.collected == self.total
    }

    /// The share of references collected, whatever their quality.
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.collected as f64 / self.total as f64
        }
    }
}

impl Collected {
    /// The counted entries of `telemetry` (status in `options.include`, never retired); an entry
    /// without platforms is collected on `scope_platforms`. `filtered_factor` is
    /// `scoring.filtered_telemetry`.
    pub fn new(
        telemetry: &[Telemetry],
        scope_platforms: &[String],
        options: &AssessOptions,
        filtered_factor: f64,
    ) -> Collected {
        let mut collected = Collected::default();
        for entry in telemetry.iter().filter(|t| options.counts(t.status)) {
            let platforms = if entry.platforms.is_empty() {
                scope_platforms
            } else {
                &entry.platforms
            };
            for platform in platforms {
                for source in &entry.log_sources {
                    collected.add(platform, source, entry.quality, filtered_factor);
                }
            }
        }
        collected
    }

    /// Adds one collected source on one platform.
    fn add(&mut self, platform: &str, source: &CollectedSource, quality: f64, filtered: f64) {
        let factor = if source.filtered {
            quality * filtered
        } else {
            quality
        }
        .clamp(0.0, 1.0);
        let state = self
            .by_platform
            .entry(platform.to_string())
            .or_default()
            .entry(normalise(&source.name))
            .or_default();
        if source.channels.is_empty() {
            state.all = state.all.max(factor);
        }
        for channel in &source.channels {
            for part in split_channel(channel) {
                let best = state.channels.entry(part).or_insert(0.0);
                *best = best.max(factor);
            }
        }
    }

    /// The value in [0, 1] with which the reference (`name`, `channel`) is collected on
    /// `platform`: 0 when it is not.
    pub fn reference(&self, platform: &str, name: &str, channel: &str) -> f64 {
        let Some(state) = self
            .by_platform
            .get(platform)
            .and_then(|sources| sources.get(&normalise(name)))
        else {
            return 0.0;
        };
        let wanted = normalise(channel);
        let listed = state.channels.get(&wanted).copied().unwrap_or(0.0);
        let by_codes = split_channel(channel)
            .iter()
            .map(|part| state.channels.get(part).copied().unwrap_or(0.0))
            .fold(f64::INFINITY, f64::min);
        let by_codes = if by_codes.is_finite() { by_codes } else { 0.0 };
        state.all.max(listed).max(by_codes)
    }

    /// How much of `analytic`'s references are collected on `platform` (0 of them when the
    /// analytic does not apply there).
    pub fn analytic(&self, analytic: &Analytic, platform: &str) -> AnalyticCollection {
        let mut references: Vec<(&str, &str)> = analytic
            .log_sources
            .iter()
            .map(|s| (s.name.as_str(), s.channel.as_str()))
            .collect();
        references.sort_unstable();
        references.dedup();
        let total = references.len();
        if !analytic.platforms.iter().any(|p| p == platform) {
            return AnalyticCollection {
                collected: 0,
                total,
                value: 0.0,
            };
        }
        let values: Vec<f64> = references
            .iter()
            .map(|(name, channel)| self.reference(platform, name, channel))
            .collect();
        let collected = values.iter().filter(|v| **v > 0.0).count();
        let value = if total == 0 {
            0.0
        } else {
            values.iter().sum::<f64>() / total as f64
        };
        AnalyticCollection {
            collected,
            total,
            value,
        }
    }

    /// Whether nothing is collected anywhere.
    pub fn is_empty(&self) -> bool {
        self.by_platform.values().all(BTreeMap::is_empty)
    }
}

/// Case-insensitive, whitespace-trimmed form of a name or channel.
fn normalise(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The channels a channel stands for: `EventCode=3, 22` -> `eventcode=3`, `eventcode=22`; any
/// other channel -> itself, normalised.
fn split_channel(channel: &str) -> Vec<String> {
    let trimmed = channel.trim();
    if let Some((key, codes)) = trimmed.split_once('=') {
        let key = key.trim();
        let parts: Vec<&str> = codes
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        if key.eq_ignore_ascii_case("eventcode")
            && parts.len() > 1
            && parts.iter().all(|c| c.chars().all(|ch| ch.is_ascii_digit()))
        {
            return parts
                .iter()
                .map(|code| normalise(&format!("{key}={code}")))
                .collect();
        }
    }
    vec![normalise(trimmed)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_code_lists_split_into_codes() {
        assert_eq!(
            split_channel("EventCode=3, 22"),
            vec!["eventcode=3".to_string(), "eventcode=22".to_string()]
        );
        assert_eq!(split_channel("EventCode=1"), vec!["eventcode=1".to_string()]);
        assert_eq!(split_channel("execve"), vec!["execve".to_string()]);
    }
}
