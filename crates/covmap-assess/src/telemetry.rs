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

use covmap_core::{Analytic, Attack, Technique};

use crate::inventory::{CollectedSource, Telemetry};
use crate::score::AssessOptions;

/// How well one log source is collected on one platform.
#[derive(Debug, Clone, Default, PartialEq)]
struct SourceState {
    /// Value when every channel is collected (0: not collected whole).
    all: f64,
    /// Value per listed channel, by normalised channel.
    channels: Keyed<f64>,
}

/// Values by normalised text, in key order: a sorted `Vec` rather than a `BTreeMap`, since a
/// platform collects a few sources with a few channels each, and looking a reference up in them
/// (every reference of every analytic) mostly walks them comparing without case.
#[derive(Debug, Clone, PartialEq)]
struct Keyed<V>(Vec<(String, V)>);

impl<V> Default for Keyed<V> {
    fn default() -> Self {
        Keyed(Vec::new())
    }
}

impl<V: Default> Keyed<V> {
    /// The value under `key`, inserted (default) when missing.
    #[allow(
        clippy::indexing_slicing,
        reason = "`i` is where `key` was found or has just been inserted"
    )]
    fn entry(&mut self, key: String) -> &mut V {
        let i = match self.0.binary_search_by(|(k, _)| k.as_str().cmp(&key)) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (key, V::default()));
                i
            }
        };
        &mut self.0[i].1
    }
}

impl<V> Keyed<V> {
    /// The value under `key` exactly.
    fn get(&self, key: &str) -> Option<&V> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|(_, value)| value)
    }

    /// Whether there is no key.
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The log sources collected, by platform: the counted telemetry entries of an inventory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Collected {
    /// Platform (bundle spelling) -> normalised log-source name -> state.
    by_platform: BTreeMap<String, Keyed<SourceState>>,
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
            .entry(normalise(&source.name));
        if source.channels.is_empty() {
            state.all = state.all.max(factor);
        }
        for channel in &source.channels {
            for part in split_channel(channel) {
                let best = state.channels.entry(part);
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

    /// [`Collected::analytic`] with reusable buffers.
    pub(crate) fn analytic_with(
        &self,
        analytic: &Analytic,
        platform: &str,
        scratch: &mut Scratch,
    ) -> AnalyticCollection {
        let mut references = Vec::new();
        references_into(&mut references, analytic);
        match self.on(platform) {
            Some(sources) if analytic.platforms.iter().any(|p| p == platform) => {
                sources.analytic(&references, scratch)
            }
            _ => AnalyticCollection::nothing(references.len()),
        }
    }

    /// The sources collected on `platform`; `None` when nothing is.
    pub(crate) fn on(&self, platform: &str) -> Option<OnPlatform<'_>> {
        self.by_platform
            .get(platform)
            .filter(|sources| !sources.is_empty())
            .map(OnPlatform)
    }

    /// Whether nothing is collected anywhere.
    pub fn is_empty(&self) -> bool {
        self.by_platform.values().all(Keyed::is_empty)
    }
}

impl AnalyticCollection {
    /// An analytic of `total` references of which none is collected.
    pub(crate) fn nothing(total: usize) -> AnalyticCollection {
        AnalyticCollection {
            collected: 0,
            total,
            value: 0.0,
        }
    }
}

/// The distinct references (name, channel) of `analytic` into `out` (cleared first), sorted:
/// [`AnalyticCollection::total`] counts them, and its value sums them in this order. Callers
/// evaluating an analytic on several platforms build this once.
pub(crate) fn references_into<'a>(out: &mut Vec<(&'a str, &'a str)>, analytic: &'a Analytic) {
    out.clear();
    out.extend(
        analytic
            .log_sources
            .iter()
            .map(|s| (s.name.as_str(), s.channel.as_str())),
    );
    out.sort_unstable();
    out.dedup();
}

/// The log sources collected on one platform (at least one).
#[derive(Debug, Clone, Copy)]
pub(crate) struct OnPlatform<'c>(&'c Keyed<SourceState>);

impl OnPlatform<'_> {
    /// How much of an analytic applying to this platform is collected, from its
    /// [`references_into`].
    pub(crate) fn analytic(
        self,
        references: &[(&str, &str)],
        scratch: &mut Scratch,
    ) -> AnalyticCollection {
        let mut lookup = SameSource::default();
        summed(
            references
                .iter()
                .map(|&(name, channel)| lookup.value(self, scratch, name, channel)),
        )
    }

    /// [`OnPlatform::analytic`] of `analytic` straight from its log sources, with `buffer` for
    /// their values; `None` when none of them is collected here (the analytic's value is then 0
    /// and it is not feasible, whatever its references: most analytics on most platforms),
    /// without sorting them.
    pub(crate) fn evaluate<'a>(
        self,
        analytic: &'a Analytic,
        buffer: &mut Vec<(&'a str, &'a str, f64)>,
        scratch: &mut Scratch,
    ) -> Option<AnalyticCollection> {
        buffer.clear();
        let mut lookup = SameSource::default();
        let mut any = false;
        for source in &analytic.log_sources {
            let (name, channel) = (source.name.as_str(), source.channel.as_str());
            let value = lookup.value(self, scratch, name, channel);
            any |= value > 0.0;
            buffer.push((name, channel, value));
        }
        if !any {
            return None;
        }
        // The references of `references_into`, in its order; a reference's value depends on
        // the reference alone, so duplicates agree on it.
        buffer.sort_unstable_by(|x, y| (x.0, x.1).cmp(&(y.0, y.1)));
        buffer.dedup_by(|x, y| (x.0, x.1) == (y.0, y.1));
        Some(summed(buffer.iter().map(|&(_, _, value)| value)))
    }
}

/// The source of the last reference looked up on one platform: references naming the same
/// source one after the other (the usual order) share one look-up of it.
#[derive(Default)]
struct SameSource<'n, 'c> {
    last: Option<(&'n str, Option<&'c SourceState>)>,
}

impl<'n, 'c> SameSource<'n, 'c> {
    /// The value of the reference (`name`, `channel`) on the platform of `sources`.
    fn value(
        &mut self,
        sources: OnPlatform<'c>,
        scratch: &mut Scratch,
        name: &'n str,
        channel: &str,
    ) -> f64 {
        let state = match self.last {
            Some((last, state)) if last == name => state,
            _ => get_normalised(sources.0, &mut scratch.name, name),
        };
        self.last = Some((name, state));
        state.map_or(0.0, |state| state.value(scratch, channel))
    }
}

/// How much of an analytic is collected, from the values of its distinct references in order.
fn summed(values: impl Iterator<Item = f64>) -> AnalyticCollection {
    let (mut total, mut collected, mut sum) = (0, 0, 0.0);
    for value in values {
        total += 1;
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

/// Buffers reused across lookups, so that looking up a reference allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    name: String,
    channel: String,
}

/// The value of the reference (`name`, `channel`) among the sources collected on one platform.
fn reference_in(
    sources: &Keyed<SourceState>,
    scratch: &mut Scratch,
    name: &str,
    channel: &str,
) -> f64 {
    get_normalised(sources, &mut scratch.name, name)
        .map_or(0.0, |state| state.value(scratch, channel))
}

impl SourceState {
    /// The value of `channel` of this source.
    fn value(&self, scratch: &mut Scratch, channel: &str) -> f64 {
        if self.channels.is_empty() {
            return self.all;
        }
        let listed = get_normalised(&self.channels, &mut scratch.channel, channel)
            .copied()
            .unwrap_or(0.0);
        // A list of event codes is collected when each code is ([`split_channel`]); any other
        // channel splits into itself, `listed`.
        let by_codes = event_codes(channel).map_or(listed, |codes| {
            codes
                .map(|code| event_code_value(&self.channels, &mut scratch.channel, code))
                .fold(f64::INFINITY, f64::min)
        });
        let by_codes = if by_codes.is_finite() { by_codes } else { 0.0 };
        self.all.max(listed).max(by_codes)
    }
}

/// The value of `map` (keyed by normalised text) under `text` normalised. A platform collects
/// few sources and most references are plain ASCII (`WinEventLog:Sysmon`, `EventCode=1`): such
/// a lookup compares without case in place, since normalising every reference of every
/// analytic was the largest part of deriving visibility.
fn get_normalised<'m, V>(map: &'m Keyed<V>, buffer: &mut String, text: &str) -> Option<&'m V> {
    if map.0.len() <= 16 {
        // A key equal to `text` but for ASCII case is `text` normalised when the key is ASCII:
        // `text` then has the key's single inner spaces and nothing else to normalise.
        if let Some((key, value)) = map.0.iter().find(|(key, _)| key.eq_ignore_ascii_case(text)) {
            if key.is_ascii() {
                return Some(value);
            }
        } else if !could_match(map, text) || is_plain_ascii(text) {
            // Normalising `text` would only lower its case: no key matches.
            return None;
        }
    }
    normalise_into(buffer, text);
    map.get(buffer.as_str())
}

/// Whether some key of `map` could be `text` normalised, judged by their ends alone: when `text`
/// begins (ends) with a printable ASCII character, its normalised form begins (ends) with that
/// character lowered, whatever the rest. Most references a platform does not collect (long
/// channel descriptions such as auditd's) are ruled out without reading them through.
fn could_match<V>(map: &Keyed<V>, text: &str) -> bool {
    let bytes = text.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return true;
    };
    if !(first.is_ascii_graphic() && last.is_ascii_graphic()) {
        return true;
    }
    let (first, last) = (first.to_ascii_lowercase(), last.to_ascii_lowercase());
    map.0.iter().any(|(key, _)| {
        key.as_bytes().first() == Some(&first) && key.as_bytes().last() == Some(&last)
    })
}

/// ASCII text that [`normalise`] only lowercases: no whitespace but single inner spaces.
fn is_plain_ascii(text: &str) -> bool {
    let bytes = text.as_bytes();
    // Most names and channels have no space at all (`WinEventLog:Sysmon`, `EventCode=1`).
    if bytes.iter().all(u8::is_ascii_graphic) {
        return true;
    }
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
        LeafDetection::of_components(attack, technique)
    }

    /// What `technique` is detected with when it has no analytic (known from
    /// [`Attack::analytics_by_technique`]): its data components.
    pub(crate) fn of_components(attack: &Attack, technique: &Technique) -> LeafDetection {
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
            let Some(sources) = collected.on(platform) else {
                return 0.0;
            };
            let mut references = Vec::new();
            return self
                .analytics
                .iter()
                .filter_map(|&a| attack.analytics().get(a as usize))
                .filter(|a| a.platforms.iter().any(|p| p == platform))
                .map(|a| {
                    references_into(&mut references, a);
                    sources.analytic(&references, scratch).value
                })
                .fold(0.0, f64::max);
        }
        let Some(OnPlatform(sources)) = collected.on(platform) else {
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
    match event_codes(channel) {
        Some(codes) => codes
            .map(|code| {
                let mut part = String::new();
                event_code_key(&mut part, code);
                part
            })
            .collect(),
        None => vec![normalise(channel)],
    }
}

/// The codes of a channel of the form `EventCode=A, B` (two codes or more, digits only, any case
/// of `EventCode`); `None` for any other channel.
fn event_codes(channel: &str) -> Option<impl Iterator<Item = &str> + Clone> {
    // Most channels are no list of codes: say so before any splitting (the key, trimmed, is
    // `EventCode` in some case, so the channel begins with it).
    let start = channel.trim_start();
    if !start
        .get(..EVENT_CODE.len())
        .is_some_and(|key| key.eq_ignore_ascii_case(EVENT_CODE))
        || !start.as_bytes().contains(&b',')
    {
        return None;
    }
    let (key, codes) = channel.trim().split_once('=')?;
    let codes = codes.split(',').map(str::trim).filter(|c| !c.is_empty());
    let is_list = key.trim().eq_ignore_ascii_case(EVENT_CODE)
        && codes.clone().nth(1).is_some()
        && codes.clone().all(|c| c.bytes().all(|b| b.is_ascii_digit()));
    is_list.then_some(codes)
}

/// The key of a channel of event codes, normalised.
const EVENT_CODE: &str = "eventcode";

/// The normalised channel of one code of [`event_codes`] (`eventcode=3`) into `out` (cleared
/// first): `EventCode` in any case lowered, then `=` and the code (digits).
fn event_code_key(out: &mut String, code: &str) {
    out.clear();
    out.push_str(EVENT_CODE);
    out.push('=');
    out.push_str(code);
}

/// The value of `channels` under the normalised channel of one code of [`event_codes`],
/// compared in place when there are few channels (every key is normalised: the one that
/// matches is `eventcode=` then the code), else built in `buffer` and searched.
fn event_code_value(channels: &Keyed<f64>, buffer: &mut String, code: &str) -> f64 {
    let found = if channels.0.len() <= 16 {
        channels
            .0
            .iter()
            .find(|(k, _)| {
                k.len() == EVENT_CODE.len() + 1 + code.len()
                    && k.starts_with(EVENT_CODE)
                    && k.as_bytes().get(EVENT_CODE.len()) == Some(&b'=')
                    && k.ends_with(code)
            })
            .map(|(_, value)| value)
    } else {
        event_code_key(buffer, code);
        channels.get(buffer)
    };
    found.copied().unwrap_or(0.0)
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
    use std::path::Path;

    use super::*;
    use crate::diagnostic::Location;
    use crate::inventory::Status;

    fn bundle(name: &str) -> Attack {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        Attack::load(&root.join("fixtures/attack").join(name)).expect("fixture loads")
    }

    fn here() -> Location {
        Location {
            path: std::sync::Arc::from(std::path::Path::new("inventory.yaml")),
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
        let mut map = Keyed::default();
        for (i, key) in keys.iter().enumerate() {
            *map.entry((*key).to_string()) = i;
        }
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

    /// Looking the codes of a list up in place finds what splitting then looking up finds, with
    /// few channels (in place) and many (searched).
    #[test]
    fn event_codes_in_place_agree_with_splitting() {
        let lists = [
            "EventCode=4624, 4625",
            " eventcode = 1 ,  22 ",
            "EVENTCODE=3,22,",
            "EventCode=3, x",
            "EventCode=1",
            "Code=1, 2",
            "EventCode=, 1",
            "execve, connect",
        ];
        for size in [3, 40] {
            let mut channels = Keyed::default();
            for code in (0..size).chain([4624, 22]) {
                *channels.entry(format!("eventcode={code}")) = f64::from(code) / 10_000.0 + 0.5;
            }
            *channels.entry("eventcode=3, x".to_string()) = 0.25;
            let mut buffer = String::new();
            for list in lists {
                let in_place = event_codes(list).map(|codes| {
                    codes
                        .map(|code| event_code_value(&channels, &mut buffer, code))
                        .collect::<Vec<_>>()
                });
                let split = split_channel(list);
                let expected: Vec<f64> = split
                    .iter()
                    .map(|part| channels.get(part).copied().unwrap_or(0.0))
                    .collect();
                match in_place {
                    Some(values) => assert_eq!(values, expected, "{size} {list:?}"),
                    None => assert_eq!(split, vec![normalise(list)], "{list:?}"),
                }
            }
        }
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
