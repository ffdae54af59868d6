//! `covmap telemetry`: what the collected logs already make possible, what they leave blind, and
//! which log source to collect next.
//!
//! From the inventory's `telemetry:` section ([`crate::telemetry::Collected`], the one matching
//! rule of a log-source reference) and ATT&CK 18's analytics, for the leaves in scope of an
//! [`Assessment`]:
//! - per analytic: whether it is feasible (every log source it names collected on an in-scope
//!   platform it applies to) and the share collected;
//! - per collected log source (name, channel as the analytics name them): the analytics it feeds
//!   and the leaves it gives visibility of;
//! - **quick wins**: leaves with a feasible analytic but no detect coverage, by threat weight;
//! - **blind spots**: leaves with no feasible analytic on any of their in-scope platforms;
//! - **onboarding**: the log sources to collect next, ranked greedily by the threat-weighted
//!   visibility they add.
//!
//! Visibility of a leaf on a platform is its `visibility` function there: the larger of its typed
//! visibility entries (the assessment's figure) and the visibility derived from the collected
//! logs (the best analytic's value, [`crate::telemetry`]). A log source onboarded is assumed
//! collected in full (quality 1, unfiltered) on the platforms in scope where it is not collected
//! yet; one already collected wherever an analytic names it is no candidate (onboarding is not
//! a quality upgrade).
//!
//! The greedy loop is incremental: each candidate keeps its effect per (leaf, platform); after a
//! pick only the references of the picked log source's name are matched again, and only the
//! candidates whose leaves saw an analytic change are evaluated again (exactly, not as bounds:
//! a log source can gain more once another is collected, when an analytic needs both).

#![allow(
    clippy::indexing_slicing,
    reason = "reference, analytic, leaf and candidate positions into vectors built here"
)]

use std::collections::{BTreeMap, BTreeSet, HashMap};

use covmap_core::{Attack, Kind, ObjectRef};
use serde::{Deserialize, Serialize};

use crate::diagnostic::Location;
use crate::gaps::{Gap, ROLLUP_TOP, RollupRow, RollupTechnique};
use crate::inventory::{CollectedSource, Inventory, Status, Telemetry};
use crate::score::{AssessOptions, Assessment, NamedRef, TechniqueResult, round6};
use crate::telemetry::{Collected, channel_keys, source_key};

/// A rise at or below this is no rise (floating-point noise).
const NO_GAIN: f64 = 1e-12;

/// The smallest rise of a mean visibility that makes an onboarding step: half the last of the
/// 6 decimals every figure is rounded to.
const MIN_MEAN_GAIN: f64 = 5e-7;

/// What to analyse.
#[derive(Debug, Clone)]
pub struct TelemetryOptions {
    /// Which telemetry entries count (as for capabilities: deployed, plus `--include`).
    pub assess: AssessOptions,
    /// `scoring.filtered_telemetry`: what a filtered log source counts.
    pub filtered_factor: f64,
    /// At most this many onboarding steps; `None`: until no log source adds visibility.
    pub onboarding_steps: Option<usize>,
}

/// One log-source reference of an analytic, and whether it is collected.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SourceRef {
    /// Log-source name, e.g. `WinEventLog:Sysmon`.
    pub name: String,
    /// Channel, e.g. `EventCode=1`.
    pub channel: String,
    /// Collected on at least one in-scope platform the analytic applies to.
    pub collected: bool,
}

/// One analytic of the bundle that applies on a platform in scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalyticRow {
    /// ATT&CK ID, e.g. `AN0110`.
    pub id: String,
    /// Name.
    pub name: String,
    /// Its platforms in scope, sorted.
    pub platforms: Vec<String>,
    /// Every log source it names is collected on at least one of `platforms`.
    pub feasible: bool,
    /// The largest share of its log-source references collected on one of `platforms`.
    pub fraction: f64,
    /// The largest value on one of `platforms`: the share collected times the telemetry's
    /// quality (what it gives to derived visibility).
    pub value: f64,
    /// The detection strategies it belongs to, sorted by ID.
    pub detection_strategies: Vec<NamedRef>,
    /// The leaves in scope those strategies detect, sorted by ID.
    pub techniques: Vec<String>,
    /// The log sources it names, sorted.
    pub log_sources: Vec<SourceRef>,
}

/// One log source (name and channel, as the analytics name it) the telemetry collects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogSourceRow {
    /// Log-source name.
    pub name: String,
    /// Channel.
    pub channel: String,
    /// In-scope platforms where it is collected and an analytic naming it applies, sorted.
    pub platforms: Vec<String>,
    /// The best value it is collected with there (quality, filtering).
    pub value: f64,
    /// The analytics it feeds there, sorted by ID.
    pub analytics: Vec<String>,
    /// The leaves in scope those analytics give visibility of, sorted by ID.
    pub techniques: Vec<String>,
}

/// A leaf in scope with a feasible analytic but no detect coverage: the detection-engineering
/// backlog ("you already collect what these need").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuickWin {
    /// 1-based position.
    pub rank: usize,
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Shortnames of its tactics, in matrix order.
    pub tactics: Vec<String>,
    /// Threat weight (1 without threats).
    pub weight: f64,
    /// Its derived visibility (mean over its in-scope platforms).
    pub visibility: f64,
    /// The in-scope platforms with a feasible analytic, sorted.
    pub platforms: Vec<String>,
    /// The feasible analytics, sorted by ID.
    pub analytics: Vec<String>,
    /// Their detection strategies, sorted by ID.
    pub detection_strategies: Vec<NamedRef>,
}

/// The analytic of a blind spot that is closest to feasible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Closest {
    /// ATT&CK ID.
    pub analytic: String,
    /// The platform.
    pub platform: String,
    /// Share of its references collected there.
    pub fraction: f64,
    /// The references still to collect there, sorted.
    pub missing: Vec<SourceRef>,
}

/// A leaf in scope with no feasible analytic on any of its in-scope platforms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlindSpot {
    /// 1-based position.
    pub rank: usize,
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Shortnames of its tactics, in matrix order.
    pub tactics: Vec<String>,
    /// Threat weight (1 without threats).
    pub weight: f64,
    /// Analytics of its detection strategies on its in-scope platforms (0: ATT&CK names none).
    pub analytics: usize,
    /// The one closest to feasible (largest share collected, then ID), when there is one.
    pub closest: Option<Closest>,
}

/// One step of the onboarding plan: collect this log source next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnboardingStep {
    /// 1-based position.
    pub rank: usize,
    /// Log-source name.
    pub name: String,
    /// Channel.
    pub channel: String,
    /// The in-scope platforms it is added on: where it is not collected yet and an analytic
    /// naming it (or a channel it shares) applies; sorted.
    pub platforms: Vec<String>,
    /// Rise of the mean visibility of the leaves in scope it brings, after the steps before.
    pub gain: f64,
    /// Rise of the threat-weighted mean visibility (Σ weight x visibility / Σ weight; equal to
    /// `gain` without threats).
    pub weighted_gain: f64,
    /// Mean visibility with this step and those before it.
    pub cumulative_visibility: f64,
    /// Threat-weighted mean visibility with this step and those before it.
    pub cumulative_weighted: f64,
    /// Analytics it makes feasible (on an in-scope platform), sorted by ID.
    pub analytics_gained: Vec<String>,
    /// Leaves in scope whose visibility it raises, sorted by ID.
    pub techniques: Vec<String>,
}

/// Everything `covmap telemetry` reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TelemetryReport {
    /// Platforms in scope.
    pub platforms: Vec<String>,
    /// Telemetry entries of the inventory.
    pub entries: usize,
    /// Those counted (status included).
    pub counted: usize,
    /// Leaves in scope.
    pub leaves: usize,
    /// Mean visibility function of the leaves in scope (typed and derived).
    pub visibility: f64,
    /// Threat-weighted mean visibility (equal to `visibility` without threats).
    pub visibility_weighted: f64,
    /// Analytics that apply on a platform in scope, sorted by ID.
    pub analytics: Vec<AnalyticRow>,
    /// The log sources collected that an analytic names, sorted by name and channel.
    pub log_sources: Vec<LogSourceRow>,
    /// Quick wins, by threat weight (then direct threats, prevalence, ID).
    pub quick_wins: Vec<QuickWin>,
    /// Blind spots, by threat weight (then direct threats, prevalence, ID).
    pub blind_spots: Vec<BlindSpot>,
    /// The log sources to collect next, in greedy order.
    pub onboarding: Vec<OnboardingStep>,
    /// What the reader must know to read the figures (no analytics in the bundle, no
    /// telemetry described).
    pub notes: Vec<String>,
}

/// One distinct (name, channel) reference of the analytics.
struct Ref {
    name: String,
    channel: String,
    /// Index of its name's group (same [`source_key`]).
    group: usize,
    /// [`channel_keys`] of the channel.
    keys: Vec<String>,
    /// Per platform: the analytics naming it that apply there.
    analytics: Vec<Vec<usize>>,
}

/// One analytic that applies on a platform in scope.
struct An {
    /// Position in `Attack::analytics()`.
    position: u32,
    /// Its references (deduplicated as `Collected::analytic` does: sorted by name, channel).
    refs: Vec<usize>,
    /// Platforms in scope it applies on.
    platforms: Vec<usize>,
    /// Leaves (indices) its strategies detect.
    leaves: Vec<usize>,
    /// Strategy positions.
    strategies: Vec<u32>,
}

/// One leaf in scope.
struct Leaf<'r> {
    result: &'r TechniqueResult,
    weight: f64,
    /// Platform indices (in scope), with per platform the analytics that apply there.
    platforms: Vec<(usize, Vec<usize>)>,
    /// The assessment's visibility per platform (aligned with `platforms`).
    assessed: Vec<f64>,
}

/// A log source that could be onboarded.
struct Candidate {
    name: String,
    channel: String,
    group: usize,
    /// The reference it is labelled by.
    reference: usize,
    /// References it may change (sharing a channel key, same name).
    refs: Vec<usize>,
    /// (leaf, platform slot) pairs its effect depends on.
    depends: Vec<usize>,
    /// Σ weight x Δ leaf visibility (mean over platforms).
    weighted: f64,
    /// Σ Δ leaf visibility.
    gain: f64,
    open: bool,
}

/// The working state: current reference, analytic and leaf values.
struct State<'a> {
    platforms: Vec<String>,
    refs: Vec<Ref>,
    analytics: Vec<An>,
    /// Per group: the counted telemetry entries narrowed to the sources of that name.
    group_entries: Vec<Vec<Telemetry>>,
    /// Per group: the sources picked so far, each with the platforms it was added on.
    picked: Vec<Vec<(CollectedSource, Vec<String>)>>,
    /// Per reference x platform: value collected.
    ref_value: Vec<f64>,
    /// Per analytic x platform: value.
    an_value: Vec<f64>,
    leaves: Vec<Leaf<'a>>,
    /// Per leaf: offset of its platform slots in the (leaf, platform) arrays.
    slot0: Vec<usize>,
    /// Per (leaf, platform) slot: current visibility.
    current: Vec<f64>,
    options: &'a AssessOptions,
    filtered: f64,
}

impl State<'_> {
    fn np(&self) -> usize {
        self.platforms.len()
    }

    /// Value of analytic `a` on platform `p` from the reference values (the mean, summed in
    /// the order `Collected::analytic` sums).
    fn analytic_value(&self, a: usize, p: usize, extra: &BTreeMap<(usize, usize), f64>) -> f64 {
        let an = &self.analytics[a];
        if an.refs.is_empty() {
            return 0.0;
        }
        let np = self.np();
        let sum: f64 = an
            .refs
            .iter()
            .map(|&r| {
                extra
                    .get(&(r, p))
                    .copied()
                    .unwrap_or(self.ref_value[r * np + p])
            })
            .sum();
        sum / an.refs.len() as f64
    }

    fn feasible(&self, a: usize, p: usize) -> bool {
        let np = self.np();
        let an = &self.analytics[a];
        !an.refs.is_empty() && an.refs.iter().all(|&r| self.ref_value[r * np + p] > 0.0)
    }

    /// The leaf's visibility on its platform slot `i`: the larger of the assessment's figure and
    /// the best analytic value (with `values` overriding some analytics' values).
    fn leaf_value(&self, l: usize, i: usize, values: &BTreeMap<(usize, usize), f64>) -> f64 {
        let leaf = &self.leaves[l];
        let (p, analytics) = &leaf.platforms[i];
        let np = self.np();
        let derived = analytics
            .iter()
            .map(|&a| {
                values
                    .get(&(a, *p))
                    .copied()
                    .unwrap_or(self.an_value[a * np + *p])
            })
            .fold(0.0, f64::max);
        // The assessment rounds to 6 decimals; where derived visibility set the figure, the
        // exact derived value is kept so that gains are not rounding noise.
        let assessed = leaf.assessed[i];
        if assessed > round6(derived) {
            assessed
        } else {
            derived.max(0.0)
        }
    }

    /// The collected state of one name's group with `extra` added.
    fn group_collected(
        &self,
        group: usize,
        extra: Option<&(CollectedSource, Vec<String>)>,
    ) -> Collected {
        let mut entries = self.group_entries[group].clone();
        for (source, platforms) in self.picked[group].iter().chain(extra) {
            entries.push(onboarded(platforms, vec![source.clone()]));
        }
        Collected::new(&entries, &self.platforms, self.options, self.filtered)
    }

    /// Candidate `c` as a source to add, with the platforms it would be added on: those in
    /// scope where its reference is not collected yet and an analytic naming one of the
    /// references it changes applies.
    fn addition(&self, c: &Candidate) -> (CollectedSource, Vec<String>) {
        let np = self.np();
        let platforms = (0..np)
            .filter(|&p| self.ref_value[c.reference * np + p] <= 0.0)
            .filter(|&p| {
                c.refs
                    .iter()
                    .any(|&r| !self.refs[r].analytics[p].is_empty())
            })
            .map(|p| self.platforms[p].clone())
            .collect();
        (source(&c.name, &c.channel), platforms)
    }

    /// New values of the references `refs` (on the platforms where an analytic uses them) with
    /// the group's state plus `extra`: only those that rise.
    fn rises(
        &self,
        group: usize,
        refs: &[usize],
        extra: Option<&(CollectedSource, Vec<String>)>,
    ) -> BTreeMap<(usize, usize), f64> {
        let collected = self.group_collected(group, extra);
        let np = self.np();
        let mut out = BTreeMap::new();
        for &r in refs {
            let reference = &self.refs[r];
            for p in 0..np {
                if reference.analytics[p].is_empty() {
                    continue;
                }
                let value =
                    collected.reference(&self.platforms[p], &reference.name, &reference.channel);
                if value > self.ref_value[r * np + p] + NO_GAIN {
                    out.insert((r, p), value);
                }
            }
        }
        out
    }

    /// Analytic values after the reference rises `rises`: (analytic, platform) -> value.
    fn analytic_rises(
        &self,
        rises: &BTreeMap<(usize, usize), f64>,
    ) -> BTreeMap<(usize, usize), f64> {
        let mut touched: BTreeSet<(usize, usize)> = BTreeSet::new();
        for &(r, p) in rises.keys() {
            for &a in &self.refs[r].analytics[p] {
                touched.insert((a, p));
            }
        }
        touched
            .into_iter()
            .map(|(a, p)| ((a, p), self.analytic_value(a, p, rises)))
            .collect()
    }

    /// The leaf slots whose analytics are among `analytics`: (leaf, slot index).
    fn slots_of(
        &self,
        analytics: impl Iterator<Item = (usize, usize)>,
    ) -> BTreeSet<(usize, usize)> {
        let mut out = BTreeSet::new();
        for (a, p) in analytics {
            for &l in &self.analytics[a].leaves {
                if let Some(i) = self.leaves[l].platforms.iter().position(|(q, _)| *q == p) {
                    out.insert((l, i));
                }
            }
        }
        out
    }

    /// Per leaf, the rise of its visibility (mean over its platforms) if `values` held.
    fn leaf_gains(&self, values: &BTreeMap<(usize, usize), f64>) -> BTreeMap<usize, f64> {
        let mut per_leaf: BTreeMap<usize, f64> = BTreeMap::new();
        for (l, i) in self.slots_of(values.keys().copied()) {
            let after = self.leaf_value(l, i, values);
            let before = self.current[self.slot0[l] + i];
            if after > before + NO_GAIN {
                *per_leaf.entry(l).or_default() +=
                    (after - before) / self.leaves[l].platforms.len() as f64;
            }
        }
        per_leaf
    }

    /// Per leaf, the rise of its visibility if candidate `c` were collected now.
    fn candidate_gains(&self, c: &Candidate) -> BTreeMap<usize, f64> {
        let extra = self.addition(c);
        if extra.1.is_empty() {
            return BTreeMap::new();
        }
        let rises = self.rises(c.group, &c.refs, Some(&extra));
        if rises.is_empty() {
            return BTreeMap::new();
        }
        self.leaf_gains(&self.analytic_rises(&rises))
    }

    /// (Σ weight x Δ, Σ Δ) of leaf visibility if candidate `c` were collected now.
    fn gains(&self, c: &Candidate) -> (f64, f64) {
        self.candidate_gains(c)
            .iter()
            .fold((0.0, 0.0), |(w, g), (&l, &d)| {
                (w + self.leaves[l].weight * d, g + d)
            })
    }

    /// Mean and weighted mean visibility of the leaves in scope, summed in leaf order.
    fn means(&self) -> (f64, f64) {
        let (mut sum, mut weighted, mut weights) = (0.0, 0.0, 0.0);
        for (l, leaf) in self.leaves.iter().enumerate() {
            let k = leaf.platforms.len();
            let v = if k == 0 {
                0.0
            } else {
                (0..k).map(|i| self.current[self.slot0[l] + i]).sum::<f64>() / k as f64
            };
            sum += v;
            weighted += leaf.weight * v;
            weights += leaf.weight;
        }
        let n = self.leaves.len();
        (
            if n == 0 { 0.0 } else { sum / n as f64 },
            if weights > 0.0 {
                weighted / weights
            } else {
                0.0
            },
        )
    }
}

/// A telemetry entry standing for log sources onboarded: quality 1, every platform in scope.
fn onboarded(platforms: &[String], sources: Vec<CollectedSource>) -> Telemetry {
    let location = Location {
        path: std::sync::Arc::from(std::path::Path::new("onboarding")),
        line: 1,
        column: 1,
    };
    Telemetry {
        id: "onboarding".to_string(),
        name: "onboarding".to_string(),
        platforms: platforms.to_vec(),
        status: Status::Deployed,
        log_sources: sources,
        quality: 1.0,
        imports: Vec::new(),
        location,
    }
}

/// A log source with one channel.
fn source(name: &str, channel: &str) -> CollectedSource {
    CollectedSource {
        name: name.to_string(),
        channels: vec![channel.to_string()],
        filtered: false,
        location: Location {
            path: std::sync::Arc::from(std::path::Path::new("onboarding")),
            line: 1,
            column: 1,
        },
    }
}

fn named_ref(attack: &Attack, kind: Kind, index: u32) -> NamedRef {
    let meta = attack.meta(ObjectRef { kind, index });
    NamedRef {
        id: meta.id().to_string(),
        name: meta.name.clone(),
    }
}

/// Analyses the telemetry of `inventory` against the leaves in scope of `assessment` (made from
/// that inventory with the same options).
pub fn analyse(
    attack: &Attack,
    inventory: &Inventory,
    assessment: &Assessment,
    options: &TelemetryOptions,
) -> TelemetryReport {
    let (mut state, collected, counted) = build(attack, inventory, assessment, options);
    let (visibility, visibility_weighted) = state.means();
    let mut notes = Vec::new();
    if inventory.telemetry.is_empty() {
        notes.push(
            "no telemetry described: the inventory has no `telemetry:` section, so nothing is collected and every leaf is a blind spot".to_string(),
        );
    } else if counted == 0 {
        notes.push(
            "no telemetry counted: no `telemetry:` entry has a status that counts (see --include)"
                .to_string(),
        );
    }
    if state.analytics.is_empty() {
        notes.push(format!(
            "the ATT&CK bundle ({}) has no analytic on the platforms in scope: analytics, quick wins and onboarding need ATT&CK 18 or later",
            attack.version().unwrap_or("unknown version")
        ));
    }

    let analytic_rows = analytic_rows(attack, &state, &collected);
    let log_sources = log_source_rows(attack, &state);
    let quick_wins = quick_wins(attack, &state);
    let blind_spots = blind_spots(attack, &state);
    let onboarding = onboard(attack, &mut state, options.onboarding_steps);
    TelemetryReport {
        platforms: state.platforms.clone(),
        entries: inventory.telemetry.len(),
        counted,
        leaves: state.leaves.len(),
        visibility: round6(visibility),
        visibility_weighted: round6(visibility_weighted),
        analytics: analytic_rows,
        log_sources,
        quick_wins,
        blind_spots,
        onboarding,
        notes,
    }
}

/// The working state of an analysis, the collected telemetry and the number of counted
/// entries.
#[allow(
    clippy::too_many_lines,
    reason = "one pass building the indexes the analysis shares, in dependency order"
)]
fn build<'a>(
    attack: &Attack,
    inventory: &Inventory,
    assessment: &'a Assessment,
    options: &'a TelemetryOptions,
) -> (State<'a>, Collected, usize) {
    let platforms = assessment.scope.platforms.clone();
    let np = platforms.len();
    let platform_index: HashMap<&str, usize> = platforms
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), i))
        .collect();
    let counted: Vec<&Telemetry> = inventory
        .telemetry
        .iter()
        .filter(|t| options.assess.counts(t.status))
        .collect();
    let collected = Collected::new(
        &inventory.telemetry,
        &platforms,
        &options.assess,
        options.filtered_factor,
    );

    // Strategies of each analytic, from the active strategies.
    let mut strategies_of: HashMap<u32, Vec<u32>> = HashMap::new();
    for strategy in attack.detection_strategies() {
        if !strategy.meta.is_active() {
            continue;
        }
        for &a in &strategy.analytics {
            strategies_of
                .entry(a)
                .or_default()
                .push(strategy.meta.key.index);
        }
    }

    // Analytics that apply on a platform in scope, and their references.
    let mut analytics: Vec<An> = Vec::new();
    let mut an_of: HashMap<u32, usize> = HashMap::new();
    let mut refs: Vec<Ref> = Vec::new();
    let mut ref_of: HashMap<(String, String), usize> = HashMap::new();
    let mut groups: Vec<String> = Vec::new();
    let mut group_of: HashMap<String, usize> = HashMap::new();
    for analytic in attack.analytics() {
        if !analytic.meta.is_active() {
            continue;
        }
        let mut on: Vec<usize> = analytic
            .platforms
            .iter()
            .filter_map(|p| platform_index.get(p.as_str()).copied())
            .collect();
        on.sort_unstable();
        on.dedup();
        if on.is_empty() {
            continue;
        }
        let mut pairs: Vec<(&str, &str)> = analytic
            .log_sources
            .iter()
            .map(|s| (s.name.as_str(), s.channel.as_str()))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let a = analytics.len();
        let mut ids = Vec::with_capacity(pairs.len());
        for (name, channel) in pairs {
            let key = (name.to_string(), channel.to_string());
            let r = *ref_of.entry(key).or_insert_with(|| {
                let group_key = source_key(name);
                let group = *group_of.entry(group_key.clone()).or_insert_with(|| {
                    groups.push(group_key);
                    groups.len() - 1
                });
                refs.push(Ref {
                    name: name.to_string(),
                    channel: channel.to_string(),
                    group,
                    keys: channel_keys(channel),
                    analytics: vec![Vec::new(); np],
                });
                refs.len() - 1
            });
            for &p in &on {
                refs[r].analytics[p].push(a);
            }
            ids.push(r);
        }
        let mut strategies = strategies_of
            .get(&analytic.meta.key.index)
            .cloned()
            .unwrap_or_default();
        strategies.sort_by(|x, y| {
            named_ref(attack, Kind::DetectionStrategy, *x)
                .id
                .cmp(&named_ref(attack, Kind::DetectionStrategy, *y).id)
        });
        an_of.insert(analytic.meta.key.index, a);
        analytics.push(An {
            position: analytic.meta.key.index,
            refs: ids,
            platforms: on,
            leaves: Vec::new(),
            strategies,
        });
    }

    // Leaves in scope and the analytics of their strategies on each of their platforms.
    let mut leaves: Vec<Leaf<'_>> = Vec::new();
    for result in assessment.leaves_in_scope() {
        let Some(technique) = attack.technique(&result.id).filter(|t| t.meta.is_active()) else {
            continue;
        };
        let detection = attack.detection_of(technique);
        let l = leaves.len();
        let mut slots = Vec::new();
        let mut assessed = Vec::new();
        for name in &result.platforms {
            let Some(&p) = platform_index.get(name.as_str()) else {
                continue;
            };
            let list: Vec<usize> = detection
                .analytics
                .iter()
                .filter_map(|x| an_of.get(x).copied())
                .filter(|&a| analytics[a].platforms.contains(&p))
                .collect();
            slots.push((p, list));
            assessed.push(
                result
                    .functions
                    .visibility
                    .platforms
                    .get(name)
                    .copied()
                    .unwrap_or(0.0),
            );
        }
        for x in &detection.analytics {
            if let Some(&a) = an_of.get(x) {
                analytics[a].leaves.push(l);
            }
        }
        leaves.push(Leaf {
            result,
            weight: result.weight,
            platforms: slots,
            assessed,
        });
    }

    // Per group, the counted entries narrowed to that name's sources.
    let mut group_entries: Vec<Vec<Telemetry>> = vec![Vec::new(); groups.len()];
    for entry in &counted {
        let mut by_group: BTreeMap<usize, Vec<CollectedSource>> = BTreeMap::new();
        for s in &entry.log_sources {
            if let Some(&g) = group_of.get(&source_key(&s.name)) {
                by_group.entry(g).or_default().push(s.clone());
            }
        }
        for (g, sources) in by_group {
            group_entries[g].push(Telemetry {
                log_sources: sources,
                imports: Vec::new(),
                ..(*entry).clone()
            });
        }
    }

    let mut slot0 = Vec::with_capacity(leaves.len());
    let mut total_slots = 0;
    for leaf in &leaves {
        slot0.push(total_slots);
        total_slots += leaf.platforms.len();
    }
    let mut state = State {
        platforms: platforms.clone(),
        ref_value: vec![0.0; refs.len() * np],
        an_value: vec![0.0; analytics.len() * np],
        refs,
        analytics,
        picked: vec![Vec::new(); groups.len()],
        group_entries,
        leaves,
        slot0,
        current: vec![0.0; total_slots],
        options: &options.assess,
        filtered: options.filtered_factor,
    };
    for r in 0..state.refs.len() {
        for (p, platform) in platforms.iter().enumerate() {
            if !state.refs[r].analytics[p].is_empty() {
                let reference = &state.refs[r];
                state.ref_value[r * np + p] =
                    collected.reference(platform, &reference.name, &reference.channel);
            }
        }
    }
    let none = BTreeMap::new();
    for a in 0..state.analytics.len() {
        for &p in &state.analytics[a].platforms.clone() {
            state.an_value[a * np + p] = state.analytic_value(a, p, &none);
        }
    }
    for l in 0..state.leaves.len() {
        for i in 0..state.leaves[l].platforms.len() {
            state.current[state.slot0[l] + i] = state.leaf_value(l, i, &none);
        }
    }
    (state, collected, counted.len())
}

fn analytic_id(attack: &Attack, position: u32) -> String {
    attack
        .meta(ObjectRef {
            kind: Kind::Analytic,
            index: position,
        })
        .id()
        .to_string()
}

/// The analytic rows, with their figures taken from `Collected::analytic` itself.
fn analytic_rows(attack: &Attack, state: &State<'_>, collected: &Collected) -> Vec<AnalyticRow> {
    let np = state.np();
    let mut rows: Vec<AnalyticRow> = state
        .analytics
        .iter()
        .filter_map(|an| {
            let analytic = attack.analytics().get(an.position as usize)?;
            let (mut feasible, mut fraction, mut value) = (false, 0.0_f64, 0.0_f64);
            for &p in &an.platforms {
                let c = collected.analytic(analytic, &state.platforms[p]);
                feasible |= c.feasible();
                fraction = fraction.max(c.fraction());
                value = value.max(c.value);
            }
            let mut techniques: Vec<String> = an
                .leaves
                .iter()
                .map(|&l| state.leaves[l].result.id.clone())
                .collect();
            techniques.sort();
            techniques.dedup();
            let mut log_sources: Vec<SourceRef> = an
                .refs
                .iter()
                .map(|&r| SourceRef {
                    name: state.refs[r].name.clone(),
                    channel: state.refs[r].channel.clone(),
                    collected: an
                        .platforms
                        .iter()
                        .any(|&p| state.ref_value[r * np + p] > 0.0),
                })
                .collect();
            log_sources.sort();
            Some(AnalyticRow {
                id: analytic.meta.id().to_string(),
                name: analytic.meta.name.clone(),
                platforms: an
                    .platforms
                    .iter()
                    .map(|&p| state.platforms[p].clone())
                    .collect(),
                feasible,
                fraction: round6(fraction),
                value: round6(value),
                detection_strategies: an
                    .strategies
                    .iter()
                    .map(|&s| named_ref(attack, Kind::DetectionStrategy, s))
                    .collect(),
                techniques,
                log_sources,
            })
        })
        .collect();
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    rows
}

/// The references collected on a platform where an analytic names them.
fn log_source_rows(attack: &Attack, state: &State<'_>) -> Vec<LogSourceRow> {
    let np = state.np();
    let mut rows: Vec<LogSourceRow> = Vec::new();
    for (r, reference) in state.refs.iter().enumerate() {
        let mut platforms = Vec::new();
        let mut value = 0.0_f64;
        let mut analytics = BTreeSet::new();
        let mut techniques = BTreeSet::new();
        for p in 0..np {
            let v = state.ref_value[r * np + p];
            if v <= 0.0 || reference.analytics[p].is_empty() {
                continue;
            }
            platforms.push(state.platforms[p].clone());
            value = value.max(v);
            for &a in &reference.analytics[p] {
                analytics.insert(analytic_id(attack, state.analytics[a].position));
                for &l in &state.analytics[a].leaves {
                    if state.leaves[l].platforms.iter().any(|(q, _)| *q == p) {
                        techniques.insert(state.leaves[l].result.id.clone());
                    }
                }
            }
        }
        if platforms.is_empty() {
            continue;
        }
        rows.push(LogSourceRow {
            name: reference.name.clone(),
            channel: reference.channel.clone(),
            platforms,
            value: round6(value),
            analytics: analytics.into_iter().collect(),
            techniques: techniques.into_iter().collect(),
        });
    }
    rows.sort_by(|a, b| (&a.name, &a.channel).cmp(&(&b.name, &b.channel)));
    rows
}

/// Leaves by threat weight, then direct threats, prevalence, ID (the order of gaps).
fn by_weight(a: &TechniqueResult, b: &TechniqueResult) -> std::cmp::Ordering {
    b.weight
        .total_cmp(&a.weight)
        .then(b.direct_threats.cmp(&a.direct_threats))
        .then(b.prevalence.cmp(&a.prevalence))
        .then_with(|| a.id.cmp(&b.id))
}

fn quick_wins(attack: &Attack, state: &State<'_>) -> Vec<QuickWin> {
    let np = state.np();
    let mut list: Vec<QuickWin> = Vec::new();
    for leaf in &state.leaves {
        if leaf.result.functions.detect.score > 0.0 {
            continue;
        }
        let mut platforms = Vec::new();
        let mut feasible: BTreeSet<usize> = BTreeSet::new();
        for (p, list) in &leaf.platforms {
            let here: Vec<usize> = list
                .iter()
                .copied()
                .filter(|&a| state.feasible(a, *p))
                .collect();
            if !here.is_empty() {
                platforms.push(state.platforms[*p].clone());
                feasible.extend(here);
            }
        }
        if feasible.is_empty() {
            continue;
        }
        let mut strategies: BTreeSet<u32> = BTreeSet::new();
        let mut analytics: Vec<String> = Vec::new();
        for &a in &feasible {
            strategies.extend(state.analytics[a].strategies.iter().copied());
            analytics.push(analytic_id(attack, state.analytics[a].position));
        }
        analytics.sort();
        analytics.dedup();
        let mut detection_strategies: Vec<NamedRef> = strategies
            .into_iter()
            .map(|s| named_ref(attack, Kind::DetectionStrategy, s))
            .collect();
        detection_strategies.sort();
        let k = leaf.platforms.len();
        let derived: f64 = leaf
            .platforms
            .iter()
            .map(|(p, list)| {
                list.iter()
                    .map(|&a| state.an_value[a * np + *p])
                    .fold(0.0, f64::max)
            })
            .sum::<f64>()
            / k.max(1) as f64;
        list.push(QuickWin {
            rank: 0,
            id: leaf.result.id.clone(),
            name: leaf.result.name.clone(),
            tactics: leaf.result.tactics.clone(),
            weight: leaf.weight,
            visibility: round6(derived),
            platforms,
            analytics,
            detection_strategies,
        });
    }
    let order: HashMap<String, &TechniqueResult> = state
        .leaves
        .iter()
        .map(|l| (l.result.id.clone(), l.result))
        .collect();
    list.sort_by(|a, b| match (order.get(&a.id), order.get(&b.id)) {
        (Some(x), Some(y)) => by_weight(x, y),
        _ => a.id.cmp(&b.id),
    });
    for (i, q) in list.iter_mut().enumerate() {
        q.rank = i + 1;
    }
    list
}

fn blind_spots(attack: &Attack, state: &State<'_>) -> Vec<BlindSpot> {
    let np = state.np();
    let mut list: Vec<(&TechniqueResult, BlindSpot)> = Vec::new();
    for leaf in &state.leaves {
        let any_feasible = leaf
            .platforms
            .iter()
            .any(|(p, list)| list.iter().any(|&a| state.feasible(a, *p)));
        if any_feasible {
            continue;
        }
        let count: usize = leaf.platforms.iter().map(|(_, list)| list.len()).sum();
        // Closest: the largest share collected, then the smaller ID.
        let mut closest: Option<(f64, String, usize, usize)> = None;
        for (p, list) in &leaf.platforms {
            for &a in list {
                let an = &state.analytics[a];
                if an.refs.is_empty() {
                    continue;
                }
                let have = an
                    .refs
                    .iter()
                    .filter(|&&r| state.ref_value[r * np + *p] > 0.0)
                    .count();
                let fraction = have as f64 / an.refs.len() as f64;
                let id = analytic_id(attack, an.position);
                let better = match &closest {
                    None => true,
                    Some((f, best, _, _)) => {
                        fraction.total_cmp(f).then_with(|| best.cmp(&id)).is_gt()
                    }
                };
                if better {
                    closest = Some((fraction, id, a, *p));
                }
            }
        }
        let closest = closest.map(|(fraction, id, a, p)| {
            let mut missing: Vec<SourceRef> = state.analytics[a]
                .refs
                .iter()
                .filter(|&&r| state.ref_value[r * np + p] <= 0.0)
                .map(|&r| SourceRef {
                    name: state.refs[r].name.clone(),
                    channel: state.refs[r].channel.clone(),
                    collected: false,
                })
                .collect();
            missing.sort();
            Closest {
                analytic: id,
                platform: state.platforms[p].clone(),
                fraction: round6(fraction),
                missing,
            }
        });
        list.push((
            leaf.result,
            BlindSpot {
                rank: 0,
                id: leaf.result.id.clone(),
                name: leaf.result.name.clone(),
                tactics: leaf.result.tactics.clone(),
                weight: leaf.weight,
                analytics: count,
                closest,
            },
        ));
    }
    list.sort_by(|a, b| by_weight(a.0, b.0));
    list.into_iter()
        .enumerate()
        .map(|(i, (_, b))| BlindSpot { rank: i + 1, ..b })
        .collect()
}

/// The log sources that could be onboarded: distinct references by (name key, channel keys),
/// labelled by their smallest spelling, leaving out those already collected wherever an
/// analytic names them.
fn candidates(state: &State<'_>) -> Vec<Candidate> {
    let np = state.np();
    // Candidates: distinct references by (name key, channel keys) that some in-scope leaf
    // could gain from, labelled by their smallest spelling.
    let mut seen: BTreeMap<(usize, Vec<String>), usize> = BTreeMap::new();
    let mut order: Vec<usize> = (0..state.refs.len()).collect();
    order.sort_by(|&a, &b| {
        (&state.refs[a].name, &state.refs[a].channel)
            .cmp(&(&state.refs[b].name, &state.refs[b].channel))
    });
    // Per group: channel key -> references with it.
    let mut by_key: Vec<HashMap<String, Vec<usize>>> = vec![HashMap::new(); state.picked.len()];
    for (r, reference) in state.refs.iter().enumerate() {
        for key in &reference.keys {
            by_key[reference.group]
                .entry(key.clone())
                .or_default()
                .push(r);
        }
    }
    let mut candidates: Vec<Candidate> = Vec::new();
    for r in order {
        let reference = &state.refs[r];
        let mut keys = reference.keys.clone();
        keys.sort();
        keys.dedup();
        let id = (reference.group, keys.clone());
        if seen.contains_key(&id) {
            continue;
        }
        seen.insert(id, candidates.len());
        // Already collected wherever an analytic names it: nothing to onboard.
        if (0..np).all(|p| reference.analytics[p].is_empty() || state.ref_value[r * np + p] > 0.0) {
            continue;
        }
        let mut touched: BTreeSet<usize> = BTreeSet::new();
        for key in &keys {
            if let Some(list) = by_key[reference.group].get(key) {
                touched.extend(list.iter().copied());
            }
        }
        let refs: Vec<usize> = touched.into_iter().collect();
        let mut analytics = BTreeSet::new();
        for &t in &refs {
            for p in 0..np {
                for &a in &state.refs[t].analytics[p] {
                    analytics.insert((a, p));
                }
            }
        }
        let depends: Vec<usize> = state
            .slots_of(analytics.into_iter())
            .into_iter()
            .map(|(l, i)| state.slot0[l] + i)
            .collect();
        candidates.push(Candidate {
            name: reference.name.clone(),
            channel: reference.channel.clone(),
            group: reference.group,
            reference: r,
            refs,
            depends,
            weighted: 0.0,
            gain: 0.0,
            open: true,
        });
    }
    candidates
}

/// The greedy onboarding loop (see the module documentation).
#[allow(
    clippy::too_many_lines,
    reason = "the greedy loop: pick, apply, re-evaluate, record, in one place"
)]
fn onboard(attack: &Attack, state: &mut State<'_>, limit: Option<usize>) -> Vec<OnboardingStep> {
    let np = state.np();
    let mut candidates = candidates(state);
    // Slot -> candidates depending on it.
    let mut dependants: Vec<Vec<usize>> = vec![Vec::new(); state.current.len()];
    for (c, candidate) in candidates.iter().enumerate() {
        for &s in &candidate.depends {
            dependants[s].push(c);
        }
    }
    for candidate in &mut candidates {
        let (w, g) = state.gains(candidate);
        candidate.weighted = w;
        candidate.gain = g;
    }
    let total_weight: f64 = state.leaves.iter().map(|l| l.weight).sum();
    let min = (
        (MIN_MEAN_GAIN * state.leaves.len() as f64).max(NO_GAIN),
        (MIN_MEAN_GAIN * total_weight).max(NO_GAIN),
    );
    let (mut mean, mut weighted_mean) = state.means();
    let mut steps = Vec::new();
    let limit = limit.unwrap_or(usize::MAX);
    while steps.len() < limit {
        let best = candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| c.open && (c.gain >= min.0 || c.weighted >= min.1))
            .min_by(|(_, a), (_, b)| {
                b.weighted
                    .total_cmp(&a.weighted)
                    .then(b.gain.total_cmp(&a.gain))
                    .then_with(|| (&a.name, &a.channel).cmp(&(&b.name, &b.channel)))
            })
            .map(|(i, _)| i);
        let Some(best) = best else { break };
        candidates[best].open = false;
        let group = candidates[best].group;
        let pick = state.addition(&candidates[best]);
        let rises = state.rises(group, &candidates[best].refs, Some(&pick));
        let on = pick.1.clone();
        state.picked[group].push(pick);
        let values = state.analytic_rises(&rises);
        // Feasible anywhere before the step.
        let before: BTreeSet<usize> = values
            .keys()
            .map(|&(a, _)| a)
            .filter(|&a| {
                state.analytics[a]
                    .platforms
                    .iter()
                    .any(|&p| state.feasible(a, p))
            })
            .collect();
        for (&(r, p), &v) in &rises {
            state.ref_value[r * np + p] = v;
        }
        for (&(a, p), &v) in &values {
            state.an_value[a * np + p] = v;
        }
        let mut gained: BTreeSet<String> = BTreeSet::new();
        for &(a, _) in values.keys() {
            if !before.contains(&a)
                && state.analytics[a]
                    .platforms
                    .iter()
                    .any(|&p| state.feasible(a, p))
            {
                gained.insert(analytic_id(attack, state.analytics[a].position));
            }
        }
        let slots = state.slots_of(values.keys().copied());
        let mut raised: BTreeSet<String> = BTreeSet::new();
        let mut dirty: BTreeSet<usize> = BTreeSet::new();
        let none = BTreeMap::new();
        for &(l, i) in &slots {
            let s = state.slot0[l] + i;
            let after = state.leaf_value(l, i, &none);
            if after > state.current[s] + NO_GAIN {
                raised.insert(state.leaves[l].result.id.clone());
            }
            state.current[s] = after;
            dirty.extend(dependants[s].iter().copied());
        }
        for c in dirty {
            if candidates[c].open {
                let (w, g) = state.gains(&candidates[c]);
                candidates[c].weighted = w;
                candidates[c].gain = g;
            }
        }
        let (after, weighted_after) = state.means();
        let candidate = &candidates[best];
        steps.push(OnboardingStep {
            rank: steps.len() + 1,
            name: candidate.name.clone(),
            channel: candidate.channel.clone(),
            platforms: on,
            gain: round6(after - mean),
            weighted_gain: round6(weighted_after - weighted_mean),
            cumulative_visibility: round6(after),
            cumulative_weighted: round6(weighted_after),
            analytics_gained: gained.into_iter().collect(),
            techniques: raised.into_iter().collect(),
        });
        (mean, weighted_mean) = (after, weighted_after);
    }
    steps
}

/// `covmap gaps --by log-source`: the gaps rolled up by the log source (name, channel as the
/// analytics name it) whose onboarding would raise their visibility, each evaluated alone on
/// top of the telemetry collected now (collected in full, on every platform in scope). A row's
/// `id` is the log-source name and its `name` the channel; rows are ranked as the other
/// roll-ups (priority, then number of gaps, then name and channel). `gaps` is the ranked gap
/// list of `assessment` (from `gaps::gaps` without `top`). Also returns how many of `gaps` no
/// log source would raise.
pub fn rollup_by_log_source(
    attack: &Attack,
    inventory: &Inventory,
    assessment: &Assessment,
    gaps: &[Gap],
    options: &TelemetryOptions,
) -> (Vec<RollupRow>, usize) {
    let (state, _, _) = build(attack, inventory, assessment, options);
    let leaf_of: HashMap<&str, usize> = state
        .leaves
        .iter()
        .enumerate()
        .map(|(l, leaf)| (leaf.result.id.as_str(), l))
        .collect();
    // Leaf -> position in the gap ranking.
    let gap_of: HashMap<usize, usize> = gaps
        .iter()
        .enumerate()
        .filter_map(|(i, g)| leaf_of.get(g.id.as_str()).map(|&l| (l, i)))
        .collect();
    let mut addressed = vec![false; gaps.len()];
    let mut rows: Vec<RollupRow> = candidates(&state)
        .iter()
        .filter_map(|c| {
            let mut listed: Vec<usize> = state
                .candidate_gains(c)
                .keys()
                .filter_map(|l| gap_of.get(l).copied())
                .collect();
            for &i in &listed {
                addressed[i] = true;
            }
            if listed.is_empty() {
                return None;
            }
            listed.sort_unstable();
            let list: Vec<&Gap> = listed.iter().filter_map(|&i| gaps.get(i)).collect();
            Some(RollupRow {
                id: c.name.clone(),
                name: c.channel.clone(),
                techniques: list.len(),
                priority: round6(list.iter().map(|g| g.gap_priority).sum()),
                top: list
                    .iter()
                    .take(ROLLUP_TOP)
                    .map(|g| RollupTechnique {
                        id: g.id.clone(),
                        name: g.name.clone(),
                        score: g.score,
                        gap_priority: g.gap_priority,
                    })
                    .collect(),
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        b.priority
            .total_cmp(&a.priority)
            .then(b.techniques.cmp(&a.techniques))
            .then_with(|| (&a.id, &a.name).cmp(&(&b.id, &b.name)))
    });
    (rows, addressed.iter().filter(|a| !**a).count())
}

/// One log source `covmap plan` may propose to onboard, with the analytics it would make
/// feasible.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceAction {
    /// Log-source name.
    pub name: String,
    /// Channel.
    pub channel: String,
    /// The analytics it makes feasible, sorted by ID.
    pub analytics: Vec<FeasibleAnalytic>,
}

/// An analytic a log source makes feasible.
#[derive(Debug, Clone, PartialEq)]
pub struct FeasibleAnalytic {
    /// ATT&CK ID.
    pub id: String,
    /// The in-scope platforms where it becomes feasible, in scope order.
    pub platforms: Vec<String>,
    /// The in-scope leaves its detection strategies detect (technique indices), sorted.
    pub techniques: Vec<u32>,
}

/// The log sources that would each, onboarded alone on top of the telemetry collected now (in
/// full, on the platforms in scope where an analytic names them and they are not collected
/// yet, as the onboarding list assumes), make at least one analytic feasible on an in-scope
/// platform; sorted by name and channel. A source that completes an analytic only together
/// with another one not collected yet is not credited with it.
pub fn source_actions(
    attack: &Attack,
    inventory: &Inventory,
    assessment: &Assessment,
    options: &TelemetryOptions,
) -> Vec<SourceAction> {
    let (state, _, _) = build(attack, inventory, assessment, options);
    let np = state.np();
    let mut out = Vec::new();
    for c in candidates(&state) {
        let extra = state.addition(&c);
        if extra.1.is_empty() {
            continue;
        }
        let rises = state.rises(c.group, &c.refs, Some(&extra));
        let mut gained: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
        for &(r, p) in rises.keys() {
            for &a in &state.refs[r].analytics[p] {
                let an = &state.analytics[a];
                let after = !an.refs.is_empty()
                    && an.refs.iter().all(|&x| {
                        rises
                            .get(&(x, p))
                            .copied()
                            .unwrap_or(state.ref_value[x * np + p])
                            > 0.0
                    });
                if after && !state.feasible(a, p) {
                    gained.entry(a).or_default().insert(p);
                }
            }
        }
        if gained.is_empty() {
            continue;
        }
        let mut analytics: Vec<FeasibleAnalytic> = gained
            .into_iter()
            .map(|(a, platforms)| {
                let an = &state.analytics[a];
                let mut techniques: Vec<u32> = an
                    .leaves
                    .iter()
                    .filter_map(|&l| attack.technique(&state.leaves[l].result.id))
                    .map(|t| t.meta.key.index)
                    .collect();
                techniques.sort_unstable();
                techniques.dedup();
                FeasibleAnalytic {
                    id: analytic_id(attack, an.position),
                    platforms: platforms
                        .into_iter()
                        .map(|p| state.platforms[p].clone())
                        .collect(),
                    techniques,
                }
            })
            .collect();
        analytics.sort_by(|a, b| a.id.cmp(&b.id));
        out.push(SourceAction {
            name: c.name.clone(),
            channel: c.channel.clone(),
            analytics,
        });
    }
    out.sort_by(|a, b| (&a.name, &a.channel).cmp(&(&b.name, &b.channel)));
    out
}
