//! What the collected logs make visible: which log-source references of ATT&CK 18's analytics a
//! team's telemetry collects, platform by platform.
//!
//! A reference (name, channel) of an analytic is collected on a platform when a counted telemetry
//! entry on that platform collects that name with every channel, or lists that channel, or, for
//! a channel of the form `EventCode=A, B`, lists each of `EventCode=A` and `EventCode=B`. Its
//! value is the entry's `quality` (times `scoring.filtered_telemetry` when the source is
//! filtered); when several entries collect it, the best counts.
//!
//! Derived visibility of a leaf technique on a platform ([`leaf_visibility`]) is the largest
//! [`AnalyticCollection::value`] among the active analytics of its detection strategies that
//! apply on that platform. A technique without analytics (bundles before ATT&CK 18) falls back
//! to its data components: the mean over the components that detect it of how well each is
//! collected (see [`LeafDetection`]).

use std::collections::BTreeMap;

use covmap_core::{Analytic, Attack};

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
        self.by_platform.get(platform).map_or(0.0, |sources| {
            reference_in(sources, &mut Scratch::default(), name, channel)
        })
    }

    /// How much of `analytic`'s references are collected on `platform` (0 of them when the
    /// analytic does not apply there).
    pub fn analytic(&self, analytic: &Analytic, platform: &str) -> AnalyticCollection {
        self.analytic_with(analytic, platform, &mut Scratch::default())
    }

    /// [`Collected::analytic`] with reusable buffers: it runs for every analytic of an
    /// assessment, and normalising each reference into a new string was most of its cost.
    pub(crate) fn analytic_with(
        &self,
        analytic: &Analytic,
        platform: &str,
        scratch: &mut Scratch,
    ) -> AnalyticCollection {
        let mut references: Vec<(&str, &str)> = analytic
            .log_sources
            .iter()
            .map(|s| (s.name.as_str(), s.channel.as_str()))
            .collect();
        references.sort_unstable();
        references.dedup();
        let total = references.len();
        let sources = self.by_platform.get(platform);
        let (Some(sources), true) = (sources, analytic.platforms.iter().any(|p| p == platform))
        else {
            return AnalyticCollection {
                collected: 0,
                total,
                value: 0.0,
            };
        };
        let (mut collected, mut sum) = (0, 0.0);
        for (name, channel) in references {
            let value = reference_in(sources, scratch, name, channel);
            if value > 0.0 {
                collected += 1;
            }
            sum += value;
        }
        AnalyticCollection {
            collected,
            total,
            value: if total == 0 { 0.0 } else { sum / total as f64 },
        }
    }

    /// Whether nothing is collected anywhere.
    pub fn is_empty(&self) -> bool {
        self.by_platform.values().all(BTreeMap::is_empty)
    }
}

/// Buffers reused across lookups, so that looking up a reference allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    name: String,
    channel: String,
}

/// The value of the reference (`name`, `channel`) among the sources collected on one platform.
fn reference_in(
    sources: &BTreeMap<String, SourceState>,
    scratch: &mut Scratch,
    name: &str,
    channel: &str,
) -> f64 {
    let Some(state) = get_normalised(sources, &mut scratch.name, name) else {
        return 0.0;
    };
    if state.channels.is_empty() {
        return state.all;
    }
    let listed = get_normalised(&state.channels, &mut scratch.channel, channel)
        .copied()
        .unwrap_or(0.0);
    // Only a list of event codes splits into more than itself (normalising keeps commas).
    let by_codes = if channel.contains(',') {
        split_channel(channel)
            .iter()
            .map(|part| state.channels.get(part).copied().unwrap_or(0.0))
            .fold(f64::INFINITY, f64::min)
    } else {
        listed
    };
    let by_codes = if by_codes.is_finite() { by_codes } else { 0.0 };
    state.all.max(listed).max(by_codes)
}

/// The value of `map` (keyed by normalised text) under `text` normalised. Most references are
/// plain ASCII (`WinEventLog:Sysmon`, `EventCode=1`) and a platform collects few sources: such
/// a lookup compares without case in place, since normalising every reference of every
/// analytic into `buffer` was the largest part of deriving visibility.
fn get_normalised<'m, V>(
    map: &'m BTreeMap<String, V>,
    buffer: &mut String,
    text: &str,
) -> Option<&'m V> {
    if map.len() <= 16 && is_plain_ascii(text) {
        // Keys are normalised (lower case): for plain ASCII `text`, normalising is lowering.
        return map
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(text))
            .map(|(_, value)| value);
    }
    normalise_into(buffer, text);
    map.get(buffer.as_str())
}

/// ASCII text that [`normalise`] only lowercases: no whitespace but single inner spaces.
fn is_plain_ascii(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.first() == Some(&b' ') || bytes.last() == Some(&b' ') {
        return false;
    }
    let mut previous_space = false;
    for &b in bytes {
        if !b.is_ascii() {
            return false;
        }
        let space = b == b' ';
        if (space && previous_space) || (!space && char::from(b).is_whitespace()) {
            return false;
        }
        previous_space = space;
    }
    true
}

/// What a technique's derived visibility is computed from, looked up once per technique so that
/// evaluating it on each platform (and for each telemetry set) costs no graph walk.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeafDetection {
    /// Positions of the active analytics of its detection strategies (ATT&CK 18+).
    pub analytics: Vec<u32>,
    /// Used only when there is no analytic: the data components that detect it, each as the
    /// log sources that collect it (any one of them is enough).
    pub components: Vec<ComponentSources>,
}

/// The log sources through which one data component is collected: its `x_mitre_log_sources`
/// (name, channel), and its own name written as a log source with every channel (`Process
/// Creation` or `Process: Process Creation`, the spelling of DeTT&CT and of the
/// `x_mitre_data_sources` of bundles before ATT&CK 18, whose components list no log source).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComponentSources {
    /// Position of the data component.
    pub component: u32,
    /// (name, channel) pairs; an empty channel stands for the whole log source.
    pub sources: Vec<(String, String)>,
}

impl LeafDetection {
    /// What `technique` (a position in [`Attack::techniques`]) is detected with; empty when the
    /// position is out of range.
    pub fn of(attack: &Attack, technique: u32) -> LeafDetection {
        let Some(technique) = attack.techniques().get(technique as usize) else {
            return LeafDetection::default();
        };
        let analytics = attack.analytics_of(technique);
        if !analytics.is_empty() {
            return LeafDetection {
                analytics,
                components: Vec::new(),
            };
        }
        let components = attack
            .detection_of(technique)
            .data_components
            .iter()
            .filter_map(|&c| {
                let component = attack.data_components().get(c as usize)?;
                let mut sources: Vec<(String, String)> = component
                    .log_sources
                    .iter()
                    .map(|l| (l.name.clone(), l.channel.clone()))
                    .collect();
                sources.push((component.meta.name.clone(), String::new()));
                if let Some(source) = component
                    .data_source
                    .and_then(|d| attack.data_sources().get(d as usize))
                {
                    sources.push((
                        format!("{}: {}", source.meta.name, component.meta.name),
                        String::new(),
                    ));
                }
                Some(ComponentSources {
                    component: c,
                    sources,
                })
            })
            .collect();
        LeafDetection {
            analytics: Vec::new(),
            components,
        }
    }

    /// Derived visibility on `platform`, in [0, 1]: the best analytic's
    /// [`AnalyticCollection::value`] among the analytics that apply there; without analytics,
    /// the mean over the data components of the best of their log sources' values (the share of
    /// components collected, times quality).
    pub fn visibility(&self, attack: &Attack, collected: &Collected, platform: &str) -> f64 {
        self.visibility_with(attack, collected, platform, &mut Scratch::default())
    }

    /// [`LeafDetection::visibility`] with reusable buffers.
    pub(crate) fn visibility_with(
        &self,
        attack: &Attack,
        collected: &Collected,
        platform: &str,
        scratch: &mut Scratch,
    ) -> f64 {
        if !self.analytics.is_empty() {
            return self
                .analytics
                .iter()
                .filter_map(|&a| attack.analytics().get(a as usize))
                .filter(|a| a.platforms.iter().any(|p| p == platform))
                .map(|a| collected.analytic_with(a, platform, scratch).value)
                .fold(0.0, f64::max);
        }
        let Some(sources) = collected.by_platform.get(platform) else {
            return 0.0;
        };
        if self.components.is_empty() {
            return 0.0;
        }
        let sum: f64 = self
            .components
            .iter()
            .map(|c| {
                c.sources
                    .iter()
                    .map(|(name, channel)| reference_in(sources, scratch, name, channel))
                    .fold(0.0, f64::max)
            })
            .sum();
        (sum / self.components.len() as f64).clamp(0.0, 1.0)
    }
}

/// Derived visibility of `technique` (a position in [`Attack::techniques`]) on `platform`: see
/// [`LeafDetection::visibility`]. Callers evaluating many platforms or telemetry sets keep the
/// [`LeafDetection`] instead.
pub fn leaf_visibility(
    attack: &Attack,
    collected: &Collected,
    technique: u32,
    platform: &str,
) -> f64 {
    LeafDetection::of(attack, technique).visibility(attack, collected, platform)
}

/// Case-insensitive, whitespace-trimmed form of a name or channel.
pub(crate) fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    normalise_into(&mut out, text);
    out
}

/// [`normalise`] into `out` (cleared first), reusing its allocation.
fn normalise_into(out: &mut String, text: &str) {
    out.clear();
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        if word.is_ascii() {
            out.extend(word.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        } else {
            out.extend(word.chars().flat_map(char::to_lowercase));
        }
    }
}

/// The channels a channel stands for: `EventCode=3, 22` -> `eventcode=3`, `eventcode=22`; any
/// other channel -> itself, normalised.
pub(crate) fn split_channel(channel: &str) -> Vec<String> {
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
            && parts
                .iter()
                .all(|c| c.chars().all(|ch| ch.is_ascii_digit()))
        {
            return parts
                .iter()
                .map(|code| normalise(&format!("{key}={code}")))
                .collect();
        }
    }
    vec![normalise(trimmed)]
}

/// The form under which a log-source name is matched (case and spacing ignored): references
/// whose names have the same key are references to the same log source.
pub fn source_key(name: &str) -> String {
    normalise(name)
}

/// The channel keys a channel is matched by (`EventCode=3, 22` -> `eventcode=3`,
/// `eventcode=22`): collecting a source on one channel can change only the references that
/// share a key with it.
pub fn channel_keys(channel: &str) -> Vec<String> {
    split_channel(channel)
}

#[cfg(test)]
#[allow(
    clippy::float_cmp,
    reason = "0, 1 and 0.5 are exact: products and maxima of exact inputs"
)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::diagnostic::Location;
    use crate::inventory::Status;

    fn bundle(name: &str) -> Attack {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        Attack::load(&root.join("fixtures/attack").join(name)).expect("fixture loads")
    }

    fn here() -> Location {
        Location {
            path: PathBuf::from("inventory.yaml"),
            line: 1,
            column: 1,
        }
    }

    fn source(name: &str, channels: &[&str], filtered: bool) -> CollectedSource {
        CollectedSource {
            name: name.to_string(),
            channels: channels.iter().map(|c| (*c).to_string()).collect(),
            filtered,
            location: here(),
        }
    }

    fn entry(platforms: &[&str], quality: f64, sources: Vec<CollectedSource>) -> Telemetry {
        Telemetry {
            id: "t".to_string(),
            name: "t".to_string(),
            platforms: platforms.iter().map(|p| (*p).to_string()).collect(),
            status: Status::Deployed,
            log_sources: sources,
            quality,
            imports: Vec::new(),
            location: here(),
        }
    }

    fn collect(entries: &[Telemetry]) -> Collected {
        Collected::new(
            entries,
            &["Windows".to_string(), "Linux".to_string()],
            &AssessOptions::default(),
            0.5,
        )
    }

    fn position(attack: &Attack, id: &str) -> u32 {
        attack.technique(id).expect("technique").meta.key.index
    }

    /// T1059.001 of the mini bundle has AN0001 (Sysmon EventCode=1 + Security EventCode=4688)
    /// and AN0002 (PowerShell EventCode=4104), both on Windows.
    #[test]
    fn leaf_visibility_is_the_best_analytic() {
        let attack = bundle("mini-attack-2.1.json");
        let t = position(&attack, "T1059.001");
        // One of AN0001's two references at quality 0.8: 0.4; AN0002 gets nothing.
        let half = collect(&[entry(
            &["Windows"],
            0.8,
            vec![source("WinEventLog:Sysmon", &["EventCode=1"], false)],
        )]);
        assert!((leaf_visibility(&attack, &half, t, "Windows") - 0.4).abs() < 1e-12);
        // Not collected on Linux, and T1059.001's analytics are Windows ones anyway.
        assert_eq!(leaf_visibility(&attack, &half, t, "Linux"), 0.0);
        // PowerShell whole at quality 1: AN0002 is feasible, 1 beats 0.4.
        let both = collect(&[
            entry(
                &["Windows"],
                0.8,
                vec![source("WinEventLog:Sysmon", &["EventCode=1"], false)],
            ),
            entry(&[], 1.0, vec![source("WinEventLog:PowerShell", &[], false)]),
        ]);
        assert_eq!(leaf_visibility(&attack, &both, t, "Windows"), 1.0);
        // A filtered source counts `filtered_telemetry` (0.5) times the quality.
        let filtered = collect(&[entry(
            &["Windows"],
            1.0,
            vec![source("WinEventLog:PowerShell", &["EventCode=4104"], true)],
        )]);
        assert_eq!(leaf_visibility(&attack, &filtered, t, "Windows"), 0.5);
        // A technique position out of range has nothing.
        assert_eq!(leaf_visibility(&attack, &both, u32::MAX, "Windows"), 0.0);
    }

    #[test]
    fn planned_telemetry_counts_only_when_included() {
        let attack = bundle("mini-attack-2.1.json");
        let t = position(&attack, "T1053");
        let mut planned = entry(
            &["Windows"],
            1.0,
            vec![source("WinEventLog:Sysmon", &[], false)],
        );
        planned.status = Status::Planned;
        let scope = ["Windows".to_string()];
        let deployed_only = Collected::new(
            std::slice::from_ref(&planned),
            &scope,
            &AssessOptions::default(),
            0.5,
        );
        assert!(deployed_only.is_empty());
        assert_eq!(leaf_visibility(&attack, &deployed_only, t, "Windows"), 0.0);
        let with_planned = Collected::new(
            std::slice::from_ref(&planned),
            &scope,
            &AssessOptions {
                include: vec![Status::Deployed, Status::Planned],
            },
            0.5,
        );
        assert_eq!(leaf_visibility(&attack, &with_planned, t, "Windows"), 1.0);
    }

    /// The STIX 2.0 fixture has no analytics: T1059 is detected by the data components Process
    /// Creation (data source Process) and Command Execution (data source Command).
    #[test]
    fn without_analytics_the_share_of_components_collected_counts() {
        let attack = bundle("mini-attack-stix20.json");
        let t = position(&attack, "T1059");
        let detection = LeafDetection::of(&attack, t);
        assert!(detection.analytics.is_empty());
        assert_eq!(detection.components.len(), 2);
        // One of two components, by its plain name, at quality 0.6: 0.3.
        let one = collect(&[entry(
            &["Windows"],
            0.6,
            vec![source("Process Creation", &[], false)],
        )]);
        assert!((detection.visibility(&attack, &one, "Windows") - 0.3).abs() < 1e-12);
        // The other by DeTT&CT's `Data Source: Component` spelling, any case: both, 0.6 and 1.
        let two = collect(&[
            entry(
                &["Windows"],
                0.6,
                vec![source("Process Creation", &[], false)],
            ),
            entry(
                &["Windows"],
                1.0,
                vec![source("command: command execution", &[], false)],
            ),
        ]);
        assert!((detection.visibility(&attack, &two, "Windows") - 0.8).abs() < 1e-12);
        assert_eq!(detection.visibility(&attack, &two, "Linux"), 0.0);
    }

    /// The in-place lookup finds exactly what normalising then looking up finds.
    #[test]
    fn lookups_without_normalising_agree_with_normalising() {
        let keys = [
            "wineventlog:sysmon",
            "eventcode=3, 22",
            "process creation",
            "ünïcode",
        ];
        let map: BTreeMap<String, usize> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| ((*k).to_string(), i))
            .collect();
        let texts = [
            "WinEventLog:Sysmon",
            "wineventlog:sysmon",
            " WinEventLog:Sysmon",
            "WinEventLog:Sysmon\t",
            "EventCode=3, 22",
            "EventCode=3,  22",
            "EventCode=3,\u{b}22",
            "EventCode=3,22",
            "Process Creation",
            "Process\tCreation",
            "ÜNÏCODE",
            "unicode",
            "",
            " ",
            "other",
        ];
        let mut buffer = String::new();
        for text in texts {
            assert_eq!(
                get_normalised(&map, &mut buffer, text),
                map.get(normalise(text).as_str()),
                "{text:?}"
            );
        }
        assert!(is_plain_ascii("EventCode=3, 22"));
        assert!(!is_plain_ascii("EventCode=3,\u{b}22"));
        assert!(!is_plain_ascii("a  b"));
        assert!(!is_plain_ascii("ä"));
    }

    #[test]
    fn event_code_lists_split_into_codes() {
        assert_eq!(normalise("  WinEventLog:Sysmon \t"), "wineventlog:sysmon");
        assert_eq!(normalise("EventCode=3,   22"), "eventcode=3, 22");
        assert_eq!(
            split_channel("EventCode=3, 22"),
            vec!["eventcode=3".to_string(), "eventcode=22".to_string()]
        );
        assert_eq!(
            split_channel("EventCode=1"),
            vec!["eventcode=1".to_string()]
        );
        assert_eq!(split_channel("execve"), vec!["execve".to_string()]);
    }
}
