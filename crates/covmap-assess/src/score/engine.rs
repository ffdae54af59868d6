//! The scoring engine: everything about an inventory that does not depend on which
//! capabilities count ([`Engine::new`]), scoring one set of capabilities ([`Engine::score`]) and
//! building the document ([`Engine::assessment`]).
//!
//! Inside, techniques are nodes (active techniques sorted by ATT&CK ID), platforms are indices
//! into the sorted scope platforms, and capabilities are positions in the slice being scored.
//! Each capability also gets a rank (its position when sorted by id) so that values combine in
//! an order that does not depend on the order of the inventory.

#![allow(
    clippy::indexing_slicing,
    reason = "node and technique positions into the engine's own tree, built from the loaded model"
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use covmap_core::{Attack, ObjectRef, Technique};

use super::{
    ActorKind, AssessOptions, Assessment, AttackInfo, CapabilitySummary, Contribution, Counts,
    ExclusionInfo, FORMAT_VERSION, FileInfo, FunctionResult, FunctionResults, FunctionTotals,
    LevelCounts, NO_PLATFORM_IN_SCOPE, NO_SUBTECHNIQUE_IN_SCOPE, NamedRef, ProfileUseRef,
    ScopeInfo, TacticResult, TechniqueResult, TelemetrySummary, ThreatSelection, at, round6,
};
use crate::inventory::{Capability, CoverageEntry, Function, Inventory, Level};
use crate::params::{Combine, Rollup, ScoringParams};
use crate::telemetry::{Collected, LeafDetection, Scratch};

/// One active technique.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// Position in `Attack::techniques()`.
    pub(crate) technique: u32,
    /// A unit of scoring.
    pub(crate) leaf: bool,
    /// Node of the parent.
    pub(crate) parent: Option<usize>,
    /// Nodes of the active sub-techniques, sorted by ID.
    pub(crate) children: Vec<usize>,
    /// Platforms in scope, as sorted indices into `Engine::platforms`.
    pub(crate) platforms: Vec<u16>,
    /// Whether it counts.
    pub(crate) in_scope: bool,
    /// Why not.
    pub(crate) reason: Option<String>,
    /// The selected threats that use it, by index into `Engine::threats` (each once). For a
    /// parent: those that use one of its sub-techniques, with their largest use.
    pub(crate) users: Vec<ThreatUse>,
    /// Σ threat weight x use over `users` (see [`Node::weight`]).
    pub(crate) threat_weight: f64,
    /// ATT&CK groups of the bundle (active) that use it by any route; for a parent, one of its
    /// sub-techniques.
    pub(crate) prevalence: u32,
}

/// How much one selected threat uses one technique.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ThreatUse {
    /// Index into `Engine::threats`.
    pub(crate) threat: usize,
    /// 1 for a direct use, `scoring.threat_software_factor` for software only; a profile's own
    /// value.
    pub(crate) value: f64,
    /// Whether the threat uses it itself (or through a campaign attributed to it).
    pub(crate) direct: bool,
}

impl Node {
    /// The threat weight: Σ over the threats that use it of (threat weight x use); 1 for
    /// everything when no threat is selected.
    pub(crate) fn weight(&self, has_threats: bool) -> f64 {
        if has_threats { self.threat_weight } else { 1.0 }
    }

    /// How many selected threats use it directly (the first tie-breaker of gaps).
    pub(crate) fn direct_threats(&self) -> u32 {
        to_u32(self.users.iter().filter(|u| u.direct).count())
    }
}

/// A selected threat, resolved: an ATT&CK group, campaign or software, or a threat profile.
#[derive(Debug, Clone)]
pub(crate) enum Actor {
    /// An ATT&CK object (weight 1).
    Attack {
        /// Its kind.
        kind: ActorKind,
        /// Its position among the objects of its kind.
        index: u32,
    },
    /// A threat profile: position in `inventory.scope.threats.profiles`.
    Profile(usize),
}

/// Everything about an inventory that does not depend on which capabilities count.
pub(crate) struct Engine<'a> {
    pub(crate) attack: &'a Attack,
    pub(crate) inventory: &'a Inventory,
    pub(crate) params: &'a ScoringParams,
    /// Scope platforms, sorted, deduplicated.
    pub(crate) platforms: Vec<String>,
    /// Active techniques, sorted by ATT&CK ID.
    pub(crate) nodes: Vec<Node>,
    /// Technique position -> node.
    node_of: Vec<Option<usize>>,
    /// Selected threats, by kind then ID.
    pub(crate) threats: Vec<Actor>,
    /// Headline functions, deduplicated.
    headline: Vec<usize>,
    /// Per node, aligned with its platforms: visibility derived from the counted telemetry
    /// ([`crate::telemetry`]); empty for every node when the inventory has no telemetry.
    pub(crate) derived: Vec<f64>,
    /// Where each node's values begin in `derived` (one more for the end): one list for all the
    /// nodes rather than an allocation each.
    derived_at: Vec<usize>,
    /// The counted telemetry (empty without a `telemetry:` section or with none counted).
    pub(crate) collected: Collected,
    /// With telemetry: every active analytic on each platform in scope it applies to (analytic
    /// position, platform index, [`AnalyticCollection::value`], whether it is feasible there),
    /// sorted; each evaluated once.
    pub(crate) analytic_values: Vec<AnalyticValue>,
}

/// An active analytic on one platform in scope: its position, the platform's index,
/// [`crate::telemetry::AnalyticCollection::value`] there and whether it is feasible there.
type AnalyticValue = (u32, u16, f64, bool);

/// One capability entry reaching one technique.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit {
    /// Rank of the capability's system (by name): capabilities of one system are grouped
    /// together and combine by max.
    pub(crate) system: u32,
    /// Rank of the capability (by id).
    pub(crate) rank: u32,
    /// Position of the capability in the scored slice.
    pub(crate) cap: u32,
    /// Position of the entry in the capability.
    pub(crate) entry: u32,
    pub(crate) function: u8,
    pub(crate) value: f64,
    /// Index into `Hits::platforms`.
    pub(crate) platforms: u32,
}

/// Which entries reach which techniques, for one set of capabilities.
pub(crate) struct Hits {
    /// Per node: entries that score on it (leaves only).
    pub(crate) leaves: Vec<Vec<Hit>>,
    /// Per node: parent-level evidence (parents only).
    parents: Vec<Vec<Hit>>,
    /// Platform lists of the entries (sorted indices), indexed by `Hit::platforms`.
    pub(crate) platforms: Vec<Vec<u16>>,
}

/// Scores of one function of one technique, full precision.
#[derive(Debug, Clone, Default)]
pub(crate) struct FunctionScore {
    pub(crate) score: f64,
    /// Aligned with the node's platforms.
    pub(crate) platforms: Vec<f64>,
}

/// What one capability contributes to one technique for one function.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawContribution {
    /// Position in the scored capability slice.
    pub(crate) cap: u32,
    pub(crate) function: Function,
    /// Highest entry value on any platform.
    pub(crate) value: f64,
    /// Start and length of its entry positions in `Scores::entries`.
    pub(crate) entries: (u32, u32),
}

/// Scores of one technique, full precision.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeScore {
    pub(crate) score: f64,
    pub(crate) functions: [FunctionScore; 4],
    /// Leaves only: whether derived visibility raised the visibility function above what the
    /// typed entries give on one of its platforms.
    pub(crate) raised: bool,
    /// Leaves only: the visibility function from typed entries alone (mean over platforms).
    pub(crate) typed_visibility: f64,
    /// Leaves only, ordered by function then capability id.
    pub(crate) contributions: Vec<RawContribution>,
    /// Parents only.
    pub(crate) parent_evidence: Vec<RawContribution>,
}

/// The result of scoring one set of capabilities, full precision.
pub(crate) struct Scores {
    pub(crate) nodes: Vec<NodeScore>,
    /// Entry positions of all contributions.
    pub(crate) entries: Vec<u32>,
    pub(crate) overall: f64,
    pub(crate) overall_weighted: Option<f64>,
}

/// Entry-to-leaf hits from which scoring uses two threads.
const PARALLEL_HITS: usize = 20_000;

pub(crate) fn clamp01(x: f64) -> f64 {
    if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) }
}

fn mean(sum: f64, n: usize) -> f64 {
    if n == 0 { 0.0 } else { sum / n as f64 }
}

fn rollup(values: &[f64], how: Rollup) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    match how {
        Rollup::Mean => values.iter().sum::<f64>() / values.len() as f64,
        Rollup::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
        Rollup::Max => values.iter().copied().fold(0.0, f64::max),
    }
}

fn function_slot(function: Function) -> usize {
    match function {
        Function::Detect => 0,
        Function::Protect => 1,
        Function::Respond => 2,
        Function::Visibility => 3,
    }
}

fn to_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

fn to_u16(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// Rank of each capability's system: the position of its name among the sorted names of the
/// systems present, so that systems combine in an order that does not depend on the order of
/// the inventory.
fn system_ranks(capabilities: &[&Capability]) -> Vec<u32> {
    let mut names: Vec<&str> = capabilities.iter().map(|c| c.system()).collect();
    names.sort_unstable();
    names.dedup();
    capabilities
        .iter()
        .map(|c| to_u32(names.binary_search(&c.system()).unwrap_or(names.len())))
        .collect()
}

/// Rank of each capability: its position when sorted by id (then location, then position),
/// so that combining in rank order does not depend on the order of the inventory.
fn ranks(capabilities: &[&Capability]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..capabilities.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (capabilities[a], capabilities[b]);
        (&x.id, &x.location)
            .cmp(&(&y.id, &y.location))
            .then(a.cmp(&b))
    });
    let mut ranks = vec![0; capabilities.len()];
    for (rank, &i) in order.iter().enumerate() {
        ranks[i] = to_u32(rank);
    }
    ranks
}

/// One node per active technique (sorted by ID), with the parent/sub-technique tree and the
/// platforms in scope.
fn build_nodes(
    attack: &Attack,
    active: &[&Technique],
    node_of: &[Option<usize>],
    platforms: &[String],
) -> Vec<Node> {
    let mut nodes: Vec<Node> = active
        .iter()
        .map(|t| {
            let mut own: Vec<u16> = t
                .platforms
                .iter()
                .filter_map(|p| platforms.binary_search(p).ok())
                .map(to_u16)
                .collect();
            own.sort_unstable();
            own.dedup();
            Node {
                technique: t.meta.key.index,
                leaf: true,
                parent: None,
                children: Vec::new(),
                platforms: own,
                in_scope: false,
                reason: None,
                users: Vec::new(),
                threat_weight: 0.0,
                prevalence: 0,
            }
        })
        .collect();
    for (n, t) in active.iter().enumerate() {
        if t.is_subtechnique {
            continue;
        }
        let children: Vec<usize> = attack
            .subtechniques(t)
            .iter()
            .filter_map(|s| node_of.get(s.meta.key.index as usize).copied().flatten())
            .filter(|&c| c != n)
            .collect();
        for &c in &children {
            nodes[c].parent = Some(n);
        }
        nodes[n].leaf = children.is_empty();
        nodes[n].children = children;
    }
    nodes
}

/// Sets `in_scope` and `reason`: leaves first (own exclusion, the parent's, or no platform),
/// then parents (own exclusion, or no sub-technique in scope).
fn apply_scope(nodes: &mut [Node], excluded: &BTreeMap<usize, &str>) {
    let reasons: Vec<Option<String>> = nodes
        .iter()
        .enumerate()
        .map(|(n, node)| {
            let inherited = node.parent.and_then(|p| excluded.get(&p).copied());
            let reason = excluded.get(&n).copied().or(inherited).map(str::to_string);
            reason.or_else(|| {
                node.platforms
                    .is_empty()
                    .then(|| NO_PLATFORM_IN_SCOPE.to_string())
            })
        })
        .collect();
    for (node, reason) in nodes.iter_mut().zip(reasons) {
        if node.leaf {
            node.in_scope = reason.is_none();
            node.reason = reason;
        }
    }
    for n in 0..nodes.len() {
        if nodes[n].leaf {
            continue;
        }
        let any_child = nodes[n].children.iter().any(|&c| nodes[c].in_scope);
        let reason = excluded
            .get(&n)
            .map(|r| (*r).to_string())
            .or_else(|| (!any_child).then(|| NO_SUBTECHNIQUE_IN_SCOPE.to_string()));
        nodes[n].in_scope = reason.is_none();
        nodes[n].reason = reason;
    }
}

/// Groups the hits of one technique by function and capability (system, then rank order: the
/// capabilities of one system come one after the other). For each group with at least one
/// entry on one of the technique's platforms, `best` holds the highest value per platform
/// position (-1 where none applies), `on_group` is called with the function slot and the
/// system rank, and a contribution is recorded with its entry positions appended to `arena`.
/// The contributions come back by function, then capability id (rank), whatever the systems.
fn group_hits(
    node: &Node,
    hits: &mut [Hit],
    table: &[Vec<u16>],
    arena: &mut Vec<u32>,
    best: &mut Vec<f64>,
    mut on_group: impl FnMut(usize, u32, &[f64]),
) -> Vec<RawContribution> {
    hits.sort_unstable_by_key(|h| (h.function, h.system, h.rank, h.entry));
    let mut out = Vec::new();
    for group in hits.chunk_by(|a, b| a.function == b.function && a.rank == b.rank) {
        let Some(first) = group.first() else { continue };
        let Some(&function) = Function::ALL.get(usize::from(first.function)) else {
            continue;
        };
        best.clear();
        best.resize(node.platforms.len(), -1.0);
        let start = arena.len();
        for hit in group {
            let Some(platforms) = table.get(hit.platforms as usize) else {
                continue;
            };
            let mut applies = false;
            for (pos, p) in node.platforms.iter().enumerate() {
                if platforms.binary_search(p).is_ok() {
                    applies = true;
                    if hit.value > best[pos] {
                        best[pos] = hit.value;
                    }
                }
            }
            if applies && arena.get(start..).and_then(<[u32]>::last) != Some(&hit.entry) {
                arena.push(hit.entry);
            }
        }
        if arena.len() == start {
            continue;
        }
        on_group(usize::from(first.function), first.system, best);
        out.push((
            first.rank,
            RawContribution {
                cap: first.cap,
                function,
                value: best.iter().copied().fold(0.0, f64::max),
                entries: (to_u32(start), to_u32(arena.len() - start)),
            },
        ));
    }
    // Gathered by system for scoring; listed by capability id.
    out.sort_by_key(|(rank, c)| (c.function, *rank));
    out.into_iter().map(|(_, c)| c).collect()
}

impl<'a> Engine<'a> {
    /// Resolves scope, tree, exclusions, threat weights and derived visibility (from the
    /// telemetry that `options` counts).
    pub(crate) fn new(
        attack: &'a Attack,
        inventory: &'a Inventory,
        options: &AssessOptions,
    ) -> Engine<'a> {
        let mut platforms: Vec<String> = if inventory.scope.platforms.is_empty() {
            attack.platforms()
        } else {
            inventory.scope.platforms.clone()
        };
        platforms.sort();
        platforms.dedup();

        let active = attack.active_techniques();
        let mut node_of = vec![None; attack.techniques().len()];
        for (n, t) in active.iter().enumerate() {
            if let Some(slot) = node_of.get_mut(t.meta.key.index as usize) {
                *slot = Some(n);
            }
        }
        let mut nodes = build_nodes(attack, &active, &node_of, &platforms);

        // Exclusions: one reason per technique, the smallest when several are given, so that
        // the order of files does not matter.
        let mut excluded: BTreeMap<usize, &str> = BTreeMap::new();
        for exclusion in &inventory.scope.exclusions {
            let Some(n) = node_of.get(exclusion.technique as usize).copied().flatten() else {
                continue;
            };
            let reason = exclusion.reason.as_str();
            excluded
                .entry(n)
                .and_modify(|r| *r = (*r).min(reason))
                .or_insert(reason);
        }
        apply_scope(&mut nodes, &excluded);

        let mut headline: Vec<usize> = inventory
            .scoring
            .headline
            .functions
            .iter()
            .map(|f| function_slot(*f))
            .collect();
        headline.sort_unstable();
        headline.dedup();
        let mut engine = Engine {
            attack,
            inventory,
            params: &inventory.scoring,
            platforms,
            nodes,
            node_of,
            threats: Vec::new(),
            headline,
            derived: Vec::new(),
            derived_at: Vec::new(),
            collected: Collected::default(),
            analytic_values: Vec::new(),
        };
        engine.resolve_threats();
        engine.count_prevalence();
        engine.derive_visibility(options);
        engine
    }

    /// Derived visibility of every leaf on each of its platforms in scope (out-of-scope leaves
    /// too, for information). Nothing is computed without telemetry, so inventories without a
    /// `telemetry:` section score exactly as before.
    fn derive_visibility(&mut self, options: &AssessOptions) {
        if self.inventory.telemetry.is_empty() {
            return;
        }
        let collected = Collected::new(
            &self.inventory.telemetry,
            &self.platforms,
            options,
            self.params.filtered_factor(),
        );
        let (values, first) = self.analytic_values(&collected);
        let mut scratch = Scratch::default();
        let mut derived = Vec::new();
        let mut derived_at = vec![0; self.nodes.len() + 1];
        if !collected.is_empty() {
            // Every technique's analytics in one pass over the detection strategies (walking
            // each leaf's incoming edges was most of the derivation's cost); the data
            // components only for a technique without analytics.
            let mut by_technique = self.attack.analytics_by_technique();
            for (node, at) in self.nodes.iter().zip(&mut derived_at) {
                *at = derived.len();
                if !node.leaf || node.platforms.is_empty() {
                    continue;
                }
                let analytics = by_technique
                    .get_mut(node.technique as usize)
                    .map(std::mem::take)
                    .unwrap_or_default();
                if analytics.is_empty() {
                    // Before ATT&CK 18: the data components.
                    let detection = self
                        .attack
                        .techniques()
                        .get(node.technique as usize)
                        .map(|t| LeafDetection::of_components(self.attack, t))
                        .unwrap_or_default();
                    derived.extend(node.platforms.iter().map(|&p| {
                        self.platforms.get(usize::from(p)).map_or(0.0, |name| {
                            clamp01(detection.visibility_with(
                                self.attack,
                                &collected,
                                name,
                                &mut scratch,
                            ))
                        })
                    }));
                } else {
                    // The rule of `LeafDetection::visibility`, from the values above: each
                    // analytic's values (on its platforms in scope) raise the leaf's best on
                    // those platforms.
                    let start = derived.len();
                    derived.resize(start + node.platforms.len(), 0.0);
                    let best = derived.get_mut(start..).unwrap_or_default();
                    for &a in &analytics {
                        let a = a as usize;
                        let (Some(&start), Some(&end)) = (first.get(a), first.get(a + 1)) else {
                            continue;
                        };
                        for (_, p, value, _) in values.get(start..end).unwrap_or_default() {
                            let best = node
                                .platforms
                                .binary_search(p)
                                .ok()
                                .and_then(|i| best.get_mut(i));
                            if let Some(best) = best {
                                *best = f64::max(*best, *value);
                            }
                        }
                    }
                    for value in best {
                        *value = clamp01(*value);
                    }
                }
            }
            if let Some(end) = derived_at.last_mut() {
                *end = derived.len();
            }
        }
        self.collected = collected;
        self.analytic_values = values;
        self.derived = derived;
        self.derived_at = derived_at;
    }

    /// Every active analytic on each platform in scope it applies to (analytic position,
    /// platform index, value, feasible), sorted, each evaluated once; and where each analytic's
    /// values begin (one more for the end), so that a leaf finds them by position.
    fn analytic_values(&self, collected: &Collected) -> (Vec<AnalyticValue>, Vec<usize>) {
        // What each platform in scope collects, looked up once.
        let on: Vec<_> = self.platforms.iter().map(|p| collected.on(p)).collect();
        let mut scratch = Scratch::default();
        let mut values = Vec::new();
        let (mut platforms, mut evaluated) = (Vec::new(), Vec::new());
        let mut first = Vec::with_capacity(self.attack.analytics().len() + 1);
        for (a, analytic) in self.attack.analytics().iter().enumerate() {
            first.push(values.len());
            if !analytic.meta.is_active() {
                continue;
            }
            platforms.clear();
            // A scope names a few platforms of different lengths: comparing for equality
            // (lengths first) is cheaper than ordering them.
            platforms.extend(
                analytic
                    .platforms
                    .iter()
                    .filter_map(|name| self.platforms.iter().position(|p| p == name)),
            );
            if platforms.is_empty() {
                continue;
            }
            platforms.sort_unstable();
            platforms.dedup();
            for &p in &platforms {
                // Most analytics have none of their references collected on a platform
                // (nothing is collected there, or they name other sources): value 0, not
                // feasible.
                let (value, feasible) = on
                    .get(p)
                    .copied()
                    .flatten()
                    .and_then(|sources| sources.evaluate(analytic, &mut evaluated, &mut scratch))
                    .map_or((0.0, false), |c| (c.value, c.feasible()));
                values.push((to_u32(a), to_u16(p), value, feasible));
            }
        }
        first.push(values.len());
        // In (analytic, platform) order by construction, as the summary reads them.
        debug_assert!(values.is_sorted_by_key(|&(a, p, _, _)| (a, p)));

        (values, first)
    }

    /// Node `n`'s derived visibility per platform (aligned with its platforms); empty without
    /// telemetry.
    fn derived_values(&self, n: usize) -> &[f64] {
        match (self.derived_at.get(n), self.derived_at.get(n + 1)) {
            (Some(&start), Some(&end)) => self.derived.get(start..end).unwrap_or_default(),
            _ => &[],
        }
    }

    /// Whether the inventory has a `telemetry:` section (counted or not): the assessment then
    /// says what derived visibility did.
    pub(crate) fn has_telemetry(&self) -> bool {
        !self.inventory.telemetry.is_empty()
    }

    /// A node's derived visibility per platform (aligned with its platforms), if any.
    fn derived_of(&self, node: &Node) -> Option<&[f64]> {
        let n = self.node_of(node.technique)?;
        Some(self.derived_values(n)).filter(|d| !d.is_empty())
    }

    /// The selected threats: groups, campaigns and software (each by ATT&CK ID, once), then the
    /// profiles in inventory order.
    fn selected_actors(&self) -> Vec<Actor> {
        let attack = self.attack;
        let selection = &self.inventory.scope.threats;
        let lists = [
            (ActorKind::Group, &selection.groups, attack.groups().len()),
            (
                ActorKind::Campaign,
                &selection.campaigns,
                attack.campaigns().len(),
            ),
            (
                ActorKind::Software,
                &selection.software,
                attack.software().len(),
            ),
        ];
        let mut actors = Vec::new();
        for (kind, list, len) in lists {
            let id = |index: u32| {
                attack
                    .meta(ObjectRef {
                        kind: kind.kind(),
                        index,
                    })
                    .id()
            };
            let mut indices: Vec<u32> = list
                .iter()
                .copied()
                .filter(|&i| (i as usize) < len)
                .collect();
            indices.sort_by(|a, b| id(*a).cmp(id(*b)).then(a.cmp(b)));
            indices.dedup();
            actors.extend(
                indices
                    .into_iter()
                    .map(|index| Actor::Attack { kind, index }),
            );
        }
        actors.extend((0..selection.profiles.len()).map(Actor::Profile));
        actors
    }

    /// Resolves `scope.threats` and records how much each threat uses each leaf: an ATT&CK
    /// actor by every route of [`crate::threats::leaf_routes`] (1 when direct, else
    /// `scoring.threat_software_factor`), a profile by its own values (its uses of a parent
    /// counting for each sub-technique, the largest when several reach one leaf). A leaf's
    /// weight is Σ threat weight x use; a parent's, Σ over the threats of their largest use of
    /// one of its sub-techniques.
    fn resolve_threats(&mut self) {
        let attack = self.attack;
        let selection = &self.inventory.scope.threats;
        let factor = clamp01(self.params.threat_software_factor);
        let actors = self.selected_actors();
        let mut weights = Vec::with_capacity(actors.len());
        for (a, actor) in actors.iter().enumerate() {
            // Per leaf node: (use, direct), the largest use and any direct use kept.
            let mut uses: BTreeMap<usize, (f64, bool)> = BTreeMap::new();
            let mut add = |n: usize, value: f64, direct: bool| {
                let slot = uses.entry(n).or_insert((0.0, false));
                slot.0 = slot.0.max(value);
                slot.1 |= direct;
            };
            let weight = match *actor {
                Actor::Attack { kind, index } => {
                    let key = ObjectRef {
                        kind: kind.kind(),
                        index,
                    };
                    for (t, routes) in crate::threats::leaf_routes(attack, key) {
                        for n in self.leaves_of(t) {
                            add(n, routes.value(factor), routes.is_direct());
                        }
                    }
                    1.0
                }
                Actor::Profile(p) => {
                    let Some(profile) = selection.profiles.get(p) else {
                        weights.push(0.0);
                        continue;
                    };
                    for u in &profile.uses {
                        for n in self.leaves_of(u.technique) {
                            add(n, clamp01(u.value), u.direct);
                        }
                    }
                    if profile.weight.is_finite() {
                        profile.weight.max(0.0)
                    } else {
                        0.0
                    }
                }
            };
            weights.push(weight);
            for (n, (value, direct)) in uses {
                if value <= 0.0 {
                    continue;
                }
                let leaf_use = ThreatUse {
                    threat: a,
                    value,
                    direct,
                };
                self.nodes[n].users.push(leaf_use);
                if let Some(p) = self.nodes[n].parent {
                    let users = &mut self.nodes[p].users;
                    match users.last_mut() {
                        Some(last) if last.threat == a => {
                            last.value = last.value.max(value);
                            last.direct |= direct;
                        }
                        _ => users.push(leaf_use),
                    }
                }
            }
        }
        // Summed in threat order, so the figure does not depend on the order of the inventory.
        for node in &mut self.nodes {
            node.threat_weight = node
                .users
                .iter()
                .map(|u| weights.get(u.threat).copied().unwrap_or(0.0) * u.value)
                // From +0: an empty f64 sum is -0, which would print as `-0`.
                .fold(0.0, |sum, w| sum + w);
        }
        self.threats = actors;
    }

    /// The leaf nodes a use of a technique position reaches: the technique itself when it is a
    /// leaf, a parent's active sub-techniques otherwise, nothing when it is not active.
    fn leaves_of(&self, technique: u32) -> Vec<usize> {
        match self.node_of(technique) {
            Some(n) if self.nodes[n].leaf => vec![n],
            Some(n) => self.nodes[n].children.clone(),
            None => Vec::new(),
        }
    }

    /// The threat profiles among a node's users, by name, for readers of the weight.
    fn profile_uses(&self, node: &Node) -> Vec<ProfileUseRef> {
        let profiles = &self.inventory.scope.threats.profiles;
        let mut list: Vec<ProfileUseRef> = node
            .users
            .iter()
            .filter_map(|u| match self.threats.get(u.threat) {
                Some(Actor::Profile(p)) => profiles.get(*p).map(|profile| ProfileUseRef {
                    name: profile.name.clone(),
                    value: round6(u.value),
                    direct: u.direct,
                }),
                _ => None,
            })
            .collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list
    }

    /// Counts, per technique, the active ATT&CK groups of the bundle that use it by any route
    /// (the second tie-breaker of gaps: how common it is, whatever the selection).
    fn count_prevalence(&mut self) {
        let attack = self.attack;
        for (index, group) in attack.groups().iter().enumerate() {
            if !group.meta.is_active() {
                continue;
            }
            let key = ObjectRef {
                kind: covmap_core::Kind::Group,
                index: to_u32(index),
            };
            // The rule of `threats::leaves_used_by`, on node positions (no ID strings or route
            // lists: this runs for every group of the bundle).
            let mut leaves: Vec<usize> = attack
                .technique_positions_used_by(key)
                .into_iter()
                .flat_map(|t| self.leaves_of(t))
                .collect();
            leaves.sort_unstable();
            leaves.dedup();
            let mut parents: Vec<usize> = leaves
                .iter()
                .filter_map(|&n| self.nodes[n].parent)
                .collect();
            parents.sort_unstable();
            parents.dedup();
            for n in leaves.into_iter().chain(parents) {
                self.nodes[n].prevalence += 1;
            }
        }
    }

    /// The node of a technique position, if it is active.
    pub(crate) fn node_of(&self, technique: u32) -> Option<usize> {
        self.node_of.get(technique as usize).copied().flatten()
    }

    /// Whether threats were selected.
    pub(crate) fn has_threats(&self) -> bool {
        !self.threats.is_empty()
    }

    /// The technique of a node.
    fn technique(&self, n: usize) -> &'a Technique {
        &self.attack.techniques()[self.nodes[n].technique as usize]
    }

    /// The ATT&CK ID of a node.
    pub(crate) fn id(&self, n: usize) -> &'a str {
        self.technique(n).meta.id()
    }

    /// The name of a node.
    pub(crate) fn name(&self, n: usize) -> &'a str {
        &self.technique(n).meta.name
    }

    /// Sorted platform indices of a list of platform names (names out of scope dropped).
    fn platform_indices(&self, names: &[String]) -> Vec<u16> {
        let mut list: Vec<u16> = names
            .iter()
            .filter_map(|p| self.platforms.binary_search(p).ok())
            .map(to_u16)
            .collect();
        list.sort_unstable();
        list.dedup();
        list
    }

    /// The platforms a capability applies on (all of the scope's when it lists none).
    fn capability_platforms(&self, capability: &Capability) -> Vec<u16> {
        if capability.platforms.is_empty() {
            (0..self.platforms.len()).map(to_u16).collect()
        } else {
            self.platform_indices(&capability.platforms)
        }
    }

    /// The platforms an entry applies on: the capability's, narrowed by the entry's own.
    fn entry_platforms(&self, capability_platforms: &[u16], entry: &CoverageEntry) -> Vec<u16> {
        match &entry.platforms {
            Some(list) => {
                let narrow = self.platform_indices(list);
                capability_platforms
                    .iter()
                    .copied()
                    .filter(|p| narrow.binary_search(p).is_ok())
                    .collect()
            }
            None => capability_platforms.to_vec(),
        }
    }

    /// An entry's value: level value x confidence factor, clamped to [0, 1].
    pub(crate) fn entry_value(&self, entry: &CoverageEntry) -> f64 {
        let level = match entry.level {
            Level::Named(named) => self.params.levels.of(named),
            Level::Value(v) => v,
        };
        let confidence = entry
            .confidence
            .unwrap_or_else(|| self.params.default_confidence());
        clamp01(clamp01(level) * clamp01(self.params.confidence.of(confidence)))
    }

    /// Number of in-scope leaves on which a capability has an entry above 0 on one of their
    /// platforms, whether it counts or not.
    fn leaves_covered_by(&self, capability: &Capability) -> usize {
        let cap_platforms = self.capability_platforms(capability);
        let mut leaves = Vec::new();
        for entry in &capability.coverage {
            if self.entry_value(entry) <= 0.0 {
                continue;
            }
            let platforms = self.entry_platforms(&cap_platforms, entry);
            for &t in &entry.techniques {
                let Some(n) = self.node_of(t) else { continue };
                let targets: &[usize] = if self.nodes[n].leaf {
                    std::slice::from_ref(&n)
                } else if entry.include_subtechniques {
                    &self.nodes[n].children
                } else {
                    &[]
                };
                for &leaf in targets {
                    let node = &self.nodes[leaf];
                    if node.in_scope && node.platforms.iter().any(|p| platforms.contains(p)) {
                        leaves.push(leaf);
                    }
                }
            }
        }
        leaves.sort_unstable();
        leaves.dedup();
        leaves.len()
    }

    /// Scores one set of capabilities (all of them count, whatever their status).
    pub(crate) fn score(&self, capabilities: &[&Capability]) -> Scores {
        self.score_from(capabilities, PARALLEL_HITS)
    }

    /// [`Engine::score`], on two threads from `parallel_hits` hits on.
    fn score_from(&self, capabilities: &[&Capability], parallel_hits: usize) -> Scores {
        let mut hits = self.collect_hits(capabilities);
        let mut best = Vec::new();
        let mut out: Vec<NodeScore> = vec![NodeScore::default(); self.nodes.len()];
        let total: usize = hits.leaves.iter().map(Vec::len).sum();
        let platforms = &hits.platforms;
        let mut leaves: Vec<(usize, &mut Vec<Hit>)> = hits
            .leaves
            .iter_mut()
            .enumerate()
            .filter(|(n, _)| self.nodes.get(*n).is_some_and(|node| node.leaf))
            .collect();
        let score_part = |part: &mut [(usize, &mut Vec<Hit>)]| {
            let mut arena = Vec::new();
            let mut scored = Vec::with_capacity(part.len());
            for (n, leaf_hits) in part.iter_mut() {
                if let Some(node) = self.nodes.get(*n) {
                    scored.push((*n, self.score_leaf(node, leaf_hits, platforms, &mut arena)));
                }
            }
            (scored, arena)
        };
        // Leaves are independent: a large inventory scores them on two threads. The second
        // half's entries follow the first half's in the arena, as in one pass.
        let (mut arena, parts) = if total >= parallel_hits && crate::threads::parallel() {
            let mid = leaves.len() / 2;
            let (first, second) = leaves.split_at_mut(mid);
            let ((a, mut arena), (b, arena_b)) = std::thread::scope(|scope| {
                let other = scope.spawn(|| score_part(second));
                let a = score_part(first);
                let b = other
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (a, b)
            });
            let offset = to_u32(arena.len());
            arena.extend(arena_b);
            let b = b.into_iter().map(|(n, mut score)| {
                for c in &mut score.contributions {
                    c.entries.0 += offset;
                }
                (n, score)
            });
            (arena, a.into_iter().chain(b).collect::<Vec<_>>())
        } else {
            let (scored, arena) = score_part(&mut leaves);
            (arena, scored)
        };
        for (n, score) in parts {
            if let Some(slot) = out.get_mut(n) {
                *slot = score;
            }
        }
        // Parents after all leaves: roll-up of their sub-techniques.
        for (n, node) in self.nodes.iter().enumerate() {
            if !node.leaf {
                let mut score = self.score_parent(n, &out);
                score.parent_evidence = group_hits(
                    node,
                    &mut hits.parents[n],
                    &hits.platforms,
                    &mut arena,
                    &mut best,
                    |_, _, _| {},
                );
                out[n] = score;
            }
        }

        let mut sum = 0.0;
        let mut count = 0usize;
        let mut weighted = 0.0;
        let mut weights = 0.0;
        for (node, score) in self.nodes.iter().zip(&out) {
            if node.leaf && node.in_scope {
                sum += score.score;
                count += 1;
                let w = node.weight(true);
                weighted += w * score.score;
                weights += w;
            }
        }
        Scores {
            nodes: out,
            entries: arena,
            overall: clamp01(mean(sum, count)),
            overall_weighted: (self.has_threats() && weights > 0.0)
                .then(|| clamp01(weighted / weights)),
        }
    }

    /// Which entries reach which techniques (`plan` scores leaves from them incrementally).
    pub(crate) fn collect_hits(&self, capabilities: &[&Capability]) -> Hits {
        let ranks = ranks(capabilities);
        let systems = system_ranks(capabilities);
        let mut hits = Hits {
            leaves: vec![Vec::new(); self.nodes.len()],
            parents: vec![Vec::new(); self.nodes.len()],
            platforms: Vec::new(),
        };
        for (ci, capability) in capabilities.iter().enumerate() {
            let cap_platforms = self.capability_platforms(capability);
            // Entries that do not narrow the platforms share the capability's list.
            let shared = to_u32(hits.platforms.len());
            let shared_empty = cap_platforms.is_empty();
            hits.platforms.push(cap_platforms);
            for (ei, entry) in capability.coverage.iter().enumerate() {
                let platforms = if entry.platforms.is_some() {
                    let Some(own) = hits.platforms.get(shared as usize) else {
                        continue;
                    };
                    let narrowed = self.entry_platforms(own, entry);
                    if narrowed.is_empty() {
                        continue;
                    }
                    hits.platforms.push(narrowed);
                    to_u32(hits.platforms.len() - 1)
                } else if shared_empty {
                    continue;
                } else {
                    shared
                };
                let hit = Hit {
                    system: systems.get(ci).copied().unwrap_or(u32::MAX),
                    rank: ranks.get(ci).copied().unwrap_or(u32::MAX),
                    cap: to_u32(ci),
                    entry: to_u32(ei),
                    function: function_slot(entry.function) as u8,
                    value: self.entry_value(entry),
                    platforms,
                };
                for &t in &entry.techniques {
                    let Some(n) = self.node_of(t) else { continue };
                    let node = &self.nodes[n];
                    if node.leaf {
                        hits.leaves[n].push(hit);
                    } else if entry.include_subtechniques {
                        for &c in &node.children {
                            hits.leaves[c].push(hit);
                        }
                    } else {
                        hits.parents[n].push(hit);
                    }
                }
            }
        }
        hits
    }

    /// Scores one leaf from the entries that reach it: per function and platform, the highest
    /// entry of each capability; the highest capability of each system; systems combined in
    /// rank order by `scoring.combine`; per function the mean over the leaf's platforms; the
    /// headline from the headline functions.
    pub(crate) fn score_leaf(
        &self,
        node: &Node,
        hits: &mut [Hit],
        table: &[Vec<u16>],
        arena: &mut Vec<u32>,
    ) -> NodeScore {
        let k = node.platforms.len();
        let noisy_or = self.params.combine == Combine::NoisyOr;
        // Noisy-or accumulates Π(1 - v), max accumulates max(v).
        let start = if noisy_or { 1.0 } else { 0.0 };
        let mut acc: [Vec<f64>; 4] = std::array::from_fn(|_| vec![start; k]);
        // The system being gathered (function slot, system rank) and its best value per
        // platform (-1 where none applies): folded into `acc` when the next system starts.
        let mut system: Option<(usize, u32)> = None;
        let mut system_best = vec![-1.0; k];
        let fold = |acc: &mut [Vec<f64>; 4], slot: usize, values: &[f64]| {
            let Some(acc) = acc.get_mut(slot) else { return };
            for (a, &v) in acc.iter_mut().zip(values) {
                if v < 0.0 {
                    continue;
                }
                if noisy_or {
                    *a *= 1.0 - v;
                } else {
                    *a = a.max(v);
                }
            }
        };
        let mut best = Vec::with_capacity(k);
        let contributions = group_hits(node, hits, table, arena, &mut best, |slot, rank, best| {
            if system != Some((slot, rank)) {
                if let Some((previous, _)) = system {
                    fold(&mut acc, previous, &system_best);
                }
                system = Some((slot, rank));
                system_best.fill(-1.0);
            }
            for (s, &v) in system_best.iter_mut().zip(best) {
                if v > *s {
                    *s = v;
                }
            }
        });
        if let Some((slot, _)) = system {
            fold(&mut acc, slot, &system_best);
        }
        let mut score = NodeScore::default();
        for (f, acc) in score.functions.iter_mut().zip(acc) {
            f.platforms = acc
                .into_iter()
                .map(|a| clamp01(if noisy_or { 1.0 - a } else { a }))
                .collect();
        }
        // The visibility function: the larger of the typed entries and derived visibility.
        let visibility = &mut score.functions[function_slot(Function::Visibility)];
        score.typed_visibility = clamp01(mean(visibility.platforms.iter().sum(), k));
        if let Some(derived) = self.derived_of(node) {
            for (v, &d) in visibility.platforms.iter_mut().zip(derived) {
                if d > *v {
                    *v = d;
                    score.raised = true;
                }
            }
        }
        for f in &mut score.functions {
            f.score = clamp01(mean(f.platforms.iter().sum(), k));
        }
        score.score = self.headline_of(&score.functions);
        score.contributions = contributions;
        score
    }

    /// A parent's cell: the roll-up of its sub-techniques, per function and platform too.
    fn score_parent(&self, n: usize, out: &[NodeScore]) -> NodeScore {
        let node = &self.nodes[n];
        let set = self.rollup_set(n);
        let how = self.params.rollup;
        let of = |f: &dyn Fn(&NodeScore) -> f64| -> f64 {
            let values: Vec<f64> = set.iter().map(|&c| f(&out[c])).collect();
            clamp01(rollup(&values, how))
        };
        let mut score = NodeScore {
            score: of(&|s| s.score),
            ..NodeScore::default()
        };
        for (slot, f) in score.functions.iter_mut().enumerate() {
            f.score = of(&|s| s.functions[slot].score);
            f.platforms = node
                .platforms
                .iter()
                .map(|p| {
                    let values: Vec<f64> = set
                        .iter()
                        .filter_map(|&c| {
                            let pos = self.nodes[c].platforms.binary_search(p).ok()?;
                            out[c].functions[slot].platforms.get(pos).copied()
                        })
                        .collect();
                    clamp01(rollup(&values, how))
                })
                .collect();
        }
        score
    }

    /// The headline score from function scores.
    fn headline_of(&self, functions: &[FunctionScore; 4]) -> f64 {
        let values = self
            .headline
            .iter()
            .filter_map(|&slot| functions.get(slot).map(|f| f.score));
        clamp01(match self.params.headline.combine {
            Combine::NoisyOr => 1.0 - values.fold(1.0, |acc, v| acc * (1.0 - v)),
            Combine::Max => values.fold(0.0, f64::max),
        })
    }

    /// The sub-techniques a parent's cell rolls up: those in scope; when none is (the parent
    /// itself is excluded), those with a platform in scope, for information.
    fn rollup_set(&self, n: usize) -> Vec<usize> {
        let children = &self.nodes[n].children;
        let in_scope: Vec<usize> = children
            .iter()
            .copied()
            .filter(|&c| self.nodes[c].in_scope)
            .collect();
        if in_scope.is_empty() {
            children
                .iter()
                .copied()
                .filter(|&c| !self.nodes[c].platforms.is_empty())
                .collect()
        } else {
            in_scope
        }
    }

    /// Builds the document.
    pub(crate) fn assessment(
        &self,
        scores: &Scores,
        counted: &[&Capability],
        options: &AssessOptions,
    ) -> Assessment {
        let attack = self.attack;
        let has_threats = self.has_threats();
        let mut tactics = Tactics::new(attack);
        let mut counts = Counts::default();
        let mut function_sums = [0.0f64; 4];
        let names = Names::new(counted);
        let techniques = self.technique_results(scores, counted, &names, &tactics.slots);
        for ((node, score), result) in self.nodes.iter().zip(&scores.nodes).zip(&techniques) {
            if node.leaf {
                counts.leaves += 1;
                if node.in_scope {
                    counts.in_scope += 1;
                    counts.by_level.add(result.level);
                    for (sum, f) in function_sums.iter_mut().zip(&score.functions) {
                        *sum += f.score;
                    }
                } else {
                    counts.excluded += 1;
                }
                tactics.add_leaf(result, score.score, node.weight(has_threats));
            } else {
                counts.parents += 1;
            }
            if node.parent.is_none() {
                tactics.add_top_level(result);
            }
        }

        let mut scoring = self.params.clone();
        scoring.default_confidence = Some(self.params.default_confidence());
        if self.has_telemetry() {
            scoring.filtered_telemetry = Some(self.params.filtered_factor());
        }
        let n = counts.in_scope;
        let [detect, protect, respond, visibility] = function_sums.map(|sum| round6(mean(sum, n)));
        Assessment {
            format: FORMAT_VERSION,
            covmap_version: env!("CARGO_PKG_VERSION").to_string(),
            attack: AttackInfo {
                domain: attack.domain_short().to_string(),
                version: attack.version().map(str::to_string),
                name: attack.name().to_string(),
            },
            organization: self.inventory.organization.clone(),
            files: self
                .inventory
                .files
                .iter()
                .map(|f| FileInfo {
                    path: f.path.to_string_lossy().into_owned(),
                    sha256: f.sha256.clone(),
                })
                .collect(),
            include: options.statuses(),
            scoring,
            scope: ScopeInfo {
                platforms: self.platforms.clone(),
                exclusions: self.exclusions(),
                threats: self.threat_selection(),
            },
            overall: round6(scores.overall),
            overall_weighted: scores.overall_weighted.map(round6),
            functions: FunctionTotals {
                detect,
                protect,
                respond,
                visibility,
            },
            counts,
            tactics: tactics.finish(has_threats),
            techniques,
            capabilities: self.capability_summaries(scores, counted, options),
            telemetry: self
                .has_telemetry()
                .then(|| self.telemetry_summary(scores, options)),
        }
    }

    /// What derived visibility did: counts of analytics and leaves, and the mean visibility
    /// with and without it.
    fn telemetry_summary(&self, scores: &Scores, options: &AssessOptions) -> TelemetrySummary {
        let telemetry = &self.inventory.telemetry;
        let mut summary = TelemetrySummary {
            entries: telemetry.len(),
            counted: telemetry
                .iter()
                .filter(|t| options.counts(t.status))
                .count(),
            ..TelemetrySummary::default()
        };
        for same in self.analytic_values.chunk_by(|x, y| x.0 == y.0) {
            summary.analytics += 1;
            if same.iter().any(|&(_, _, _, feasible)| feasible) {
                summary.feasible += 1;
            }
        }
        let (mut typed, mut derived, mut n) = (0.0, 0.0, 0usize);
        for (i, (node, score)) in self.nodes.iter().zip(&scores.nodes).enumerate() {
            if !(node.leaf && node.in_scope) {
                continue;
            }
            let values = self.derived_values(i);
            n += 1;
            typed += score.typed_visibility;
            derived += mean(values.iter().sum(), values.len());
            if values.iter().any(|&v| v > 0.0) {
                summary.leaves_visible += 1;
            }
            if score.raised {
                summary.leaves_raised += 1;
            }
        }
        summary.visibility_typed = round6(mean(typed, n));
        summary.visibility_derived = round6(mean(derived, n));
        summary
    }

    /// The document's objects for every technique, in node order.
    fn technique_results(
        &self,
        scores: &Scores,
        counted: &[&Capability],
        names: &Names<'_>,
        tactic_slots: &BTreeMap<String, usize>,
    ) -> Vec<TechniqueResult> {
        (0..self.nodes.len())
            .map(|n| self.technique_result(n, scores, counted, names, tactic_slots))
            .collect()
    }

    /// The document's object for one technique.
    fn technique_result(
        &self,
        n: usize,
        scores: &Scores,
        counted: &[&Capability],
        names: &Names,
        tactic_slots: &BTreeMap<String, usize>,
    ) -> TechniqueResult {
        let node = &self.nodes[n];
        let technique = self.technique(n);
        let score = &scores.nodes[n];
        let rounded = round6(score.score);
        let weight = node.weight(self.has_threats());
        let mut functions = FunctionResults::default();
        for function in Function::ALL {
            let raw = &score.functions[function_slot(function)];
            let result = functions.get_mut(function);
            result.score = round6(raw.score);
            result.platforms = node
                .platforms
                .iter()
                .zip(&raw.platforms)
                .filter_map(|(&p, &v)| {
                    Some((self.platforms.get(usize::from(p))?.clone(), round6(v)))
                })
                .collect();
        }
        TechniqueResult {
            id: technique.meta.id().to_string(),
            name: technique.meta.name.clone(),
            leaf: node.leaf,
            parent: node.parent.map(|p| self.id(p).to_string()),
            subtechniques: node
                .children
                .iter()
                .map(|&c| self.id(c).to_string())
                .collect(),
            tactics: technique
                .tactics
                .iter()
                .filter(|s| tactic_slots.contains_key(s.as_str()))
                .cloned()
                .collect(),
            platforms: node
                .platforms
                .iter()
                .filter_map(|&p| self.platforms.get(usize::from(p)).cloned())
                .collect(),
            in_scope: node.in_scope,
            exclusion_reason: node.reason.clone(),
            score: rounded,
            level: self.params.level_of(rounded),
            functions,
            weight: round6(weight),
            direct_threats: node.direct_threats(),
            prevalence: node.prevalence,
            threat_profiles: self.profile_uses(node),
            gap_priority: if node.in_scope {
                round6(weight * (1.0 - score.score))
            } else {
                0.0
            },
            derived_visibility: (node.leaf && self.has_telemetry()).then(|| {
                let values = self.derived_values(n);
                let platforms = node
                    .platforms
                    .iter()
                    .enumerate()
                    .filter_map(|(i, &p)| {
                        let name = self.platforms.get(usize::from(p))?.clone();
                        Some((name, round6(values.get(i).copied().unwrap_or(0.0))))
                    })
                    .collect();
                FunctionResult {
                    score: round6(mean(values.iter().sum(), node.platforms.len())),
                    platforms,
                }
            }),
            capabilities: Self::named(&score.contributions, scores, names),
            parent_evidence: Self::named(&score.parent_evidence, scores, names),
            parent_level_only: if node.leaf {
                self.parent_level_only(n, scores, counted)
            } else {
                Vec::new()
            },
        }
    }

    /// Rounded, named contributions (already by function, then capability id).
    fn named(raw: &[RawContribution], scores: &Scores, names: &Names) -> Vec<Contribution> {
        raw.iter()
            .filter_map(|c| {
                let cap = c.cap as usize;
                let (start, len) = (c.entries.0 as usize, c.entries.1 as usize);
                let positions = scores.entries.get(start..start + len).unwrap_or_default();
                let entries: Vec<Arc<str>> = if let [one] = positions {
                    names
                        .entry(cap, *one as usize)
                        .map(|(_, s)| vec![s.clone()])
                        .unwrap_or_default()
                } else {
                    let mut list: Vec<&(LocationKey<'_>, Arc<str>)> = positions
                        .iter()
                        .filter_map(|&e| names.entry(cap, e as usize))
                        .collect();
                    list.sort_by(|a, b| a.0.cmp(&b.0));
                    list.dedup_by(|a, b| a.1 == b.1);
                    list.into_iter().map(|(_, s)| s.clone()).collect()
                };
                Some(Contribution {
                    id: names.ids.get(cap)?.clone(),
                    name: names.labels.get(cap)?.clone(),
                    function: c.function,
                    value: round6(c.value),
                    entries,
                })
            })
            .collect()
    }

    /// Ids of capabilities with parent-level evidence on the leaf's parent and no contribution
    /// to the leaf itself.
    fn parent_level_only(&self, n: usize, scores: &Scores, counted: &[&Capability]) -> Vec<String> {
        let Some(p) = self.nodes[n].parent else {
            return Vec::new();
        };
        let evidence = &scores.nodes[p].parent_evidence;
        if evidence.is_empty() {
            return Vec::new();
        }
        let mut own: Vec<u32> = scores.nodes[n]
            .contributions
            .iter()
            .map(|c| c.cap)
            .collect();
        own.sort_unstable();
        let mut ids: Vec<String> = evidence
            .iter()
            .filter(|c| own.binary_search(&c.cap).is_err())
            .filter_map(|c| counted.get(c.cap as usize).map(|cap| cap.id.clone()))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The inventory's exclusions, sorted by technique ID.
    fn exclusions(&self) -> Vec<ExclusionInfo> {
        let mut exclusions: Vec<ExclusionInfo> = self
            .inventory
            .scope
            .exclusions
            .iter()
            .filter_map(|e| {
                let technique = self.attack.techniques().get(e.technique as usize)?;
                Some(ExclusionInfo {
                    id: technique.meta.id().to_string(),
                    name: technique.meta.name.clone(),
                    reason: e.reason.clone(),
                    at: at(&e.location),
                })
            })
            .collect();
        exclusions.sort_by(|a, b| (&a.id, &a.reason, &a.at).cmp(&(&b.id, &b.reason, &b.at)));
        exclusions.dedup();
        exclusions
    }

    /// The selected threats with their names.
    fn threat_selection(&self) -> ThreatSelection {
        let mut threats = ThreatSelection::default();
        for actor in &self.threats {
            // Profiles are listed from the inventory's `scope.threats.profiles`.
            let Actor::Attack { kind, index } = *actor else {
                continue;
            };
            let meta = self.attack.meta(ObjectRef {
                kind: kind.kind(),
                index,
            });
            let named = NamedRef {
                id: meta.id().to_string(),
                name: meta.name.clone(),
            };
            match kind {
                ActorKind::Group => threats.groups.push(named),
                ActorKind::Campaign => threats.campaigns.push(named),
                ActorKind::Software => threats.software.push(named),
            }
        }
        threats.profiles = self
            .inventory
            .scope
            .threats
            .profiles
            .iter()
            .map(crate::score::profile_info)
            .collect();
        threats
    }

    /// Every capability of the inventory, sorted by id. Leaves covered by counted capabilities
    /// come from the scores; the others are worked out from their entries.
    fn capability_summaries(
        &self,
        scores: &Scores,
        counted: &[&Capability],
        options: &AssessOptions,
    ) -> Vec<CapabilitySummary> {
        let mut covered = vec![0usize; counted.len()];
        for (node, score) in self.nodes.iter().zip(&scores.nodes) {
            if !(node.leaf && node.in_scope) {
                continue;
            }
            let mut caps: Vec<u32> = score
                .contributions
                .iter()
                .filter(|c| c.value > 0.0)
                .map(|c| c.cap)
                .collect();
            caps.sort_unstable();
            caps.dedup();
            for cap in caps {
                if let Some(n) = covered.get_mut(cap as usize) {
                    *n += 1;
                }
            }
        }
        let mut next = 0;
        let mut capabilities: Vec<CapabilitySummary> = self
            .inventory
            .capabilities
            .iter()
            .map(|c| {
                // `counted` is the inventory's counted capabilities, in order.
                let leaves_covered = match counted.get(next) {
                    Some(k) if std::ptr::eq(*k, c) => {
                        next += 1;
                        covered.get(next - 1).copied().unwrap_or(0)
                    }
                    _ => self.leaves_covered_by(c),
                };
                let mut platforms = c.platforms.clone();
                platforms.sort();
                platforms.dedup();
                CapabilitySummary {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    vendor: c.vendor.clone(),
                    status: c.status,
                    system: c.system().to_string(),
                    counted: options.counts(c.status),
                    platforms,
                    cost: c.cost.clone(),
                    owner: c.owner.clone(),
                    tags: c.tags.clone(),
                    entries: c.coverage.len(),
                    leaves_covered,
                    at: at(&c.location),
                }
            })
            .collect();
        capabilities.sort_by(|a, b| (&a.id, &a.at).cmp(&(&b.id, &b.at)));
        capabilities
    }
}

/// Sort key of an entry location: file (as bytes, which is cheaper than comparing paths by
/// component), line, column.
type LocationKey<'a> = (&'a [u8], usize, usize);

/// Shared strings for the contributions of one document.
struct Names<'c> {
    /// Capability ids, by position in the counted slice.
    ids: Vec<Arc<str>>,
    /// Capability names.
    labels: Vec<Arc<str>>,
    /// Per capability, where its entries start in `entries`.
    offsets: Vec<usize>,
    /// Every entry's sort key and `file:line`.
    entries: Vec<(LocationKey<'c>, Arc<str>)>,
}

impl<'c> Names<'c> {
    fn new(capabilities: &[&'c Capability]) -> Names<'c> {
        let mut offsets = Vec::with_capacity(capabilities.len() + 1);
        let mut entries = Vec::new();
        let mut buffer = String::new();
        for capability in capabilities {
            offsets.push(entries.len());
            // Entries are almost always in the capability's file: convert that path once.
            let file = capability.location.path.to_string_lossy();
            for entry in &capability.coverage {
                let location = &entry.location;
                buffer.clear();
                if location.path.as_os_str() == capability.location.path.as_os_str() {
                    buffer.push_str(&file);
                } else {
                    buffer.push_str(&location.path.to_string_lossy());
                }
                // Writing to a String cannot fail.
                let _ = write!(buffer, ":{}", location.line);
                let key = (
                    location.path.as_os_str().as_encoded_bytes(),
                    location.line,
                    location.column,
                );
                entries.push((key, Arc::from(buffer.as_str())));
            }
        }
        offsets.push(entries.len());
        Names {
            ids: capabilities
                .iter()
                .map(|c| Arc::from(c.id.as_str()))
                .collect(),
            labels: capabilities
                .iter()
                .map(|c| Arc::from(c.name.as_str()))
                .collect(),
            offsets,
            entries,
        }
    }

    /// The key and `file:line` of an entry of a capability.
    fn entry(&self, cap: usize, entry: usize) -> Option<&(LocationKey<'c>, Arc<str>)> {
        let start = *self.offsets.get(cap)?;
        let end = *self.offsets.get(cap + 1)?;
        (start + entry < end)
            .then(|| self.entries.get(start + entry))
            .flatten()
    }
}

/// Per-tactic accumulators while the document is built.
struct Tactics {
    /// Shortname -> position in matrix order.
    slots: BTreeMap<String, usize>,
    results: Vec<TacticResult>,
    /// Per tactic: Σ score, Σ weight·score, Σ weight over its leaves in scope.
    sums: Vec<(f64, f64, f64)>,
}

impl Tactics {
    fn new(attack: &Attack) -> Tactics {
        let results: Vec<TacticResult> = attack
            .tactics()
            .map(|t| TacticResult {
                id: t.meta.id().to_string(),
                shortname: t.shortname.clone(),
                name: t.meta.name.clone(),
                score: 0.0,
                score_weighted: None,
                leaves: 0,
                excluded: 0,
                by_level: LevelCounts::default(),
                techniques: Vec::new(),
            })
            .collect();
        let mut slots = BTreeMap::new();
        for (i, t) in results.iter().enumerate() {
            slots.entry(t.shortname.clone()).or_insert(i);
        }
        Tactics {
            slots,
            sums: vec![(0.0, 0.0, 0.0); results.len()],
            results,
        }
    }

    fn add_leaf(&mut self, leaf: &TechniqueResult, score: f64, weight: f64) {
        for shortname in &leaf.tactics {
            let Some(&slot) = self.slots.get(shortname) else {
                continue;
            };
            let (Some(tactic), Some(sums)) = (self.results.get_mut(slot), self.sums.get_mut(slot))
            else {
                continue;
            };
            if leaf.in_scope {
                tactic.leaves += 1;
                tactic.by_level.add(leaf.level);
                sums.0 += score;
                sums.1 += weight * score;
                sums.2 += weight;
            } else {
                tactic.excluded += 1;
            }
        }
    }

    fn add_top_level(&mut self, technique: &TechniqueResult) {
        for shortname in &technique.tactics {
            if let Some(tactic) = self
                .slots
                .get(shortname)
                .and_then(|&s| self.results.get_mut(s))
            {
                tactic.techniques.push(technique.id.clone());
            }
        }
    }

    fn finish(mut self, has_threats: bool) -> Vec<TacticResult> {
        for (tactic, (sum, weighted, weights)) in self.results.iter_mut().zip(self.sums) {
            tactic.score = round6(mean(sum, tactic.leaves));
            tactic.score_weighted =
                (has_threats && weights > 0.0).then(|| round6(weighted / weights));
        }
        self.results
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use covmap_core::Attack;

    use super::{Engine, Scores};
    use crate::parse::{SourceFile, ValidationContext, parse_inventories};

    fn summary(scores: &Scores) -> String {
        let nodes: Vec<String> = scores
            .nodes
            .iter()
            .map(|n| {
                let contributions: Vec<String> = n
                    .contributions
                    .iter()
                    .chain(&n.parent_evidence)
                    .map(|c| format!("{}:{:?}:{}:{:?}", c.cap, c.function, c.value, c.entries))
                    .collect();
                format!("{}|{}", n.score, contributions.join(","))
            })
            .collect();
        format!(
            "{:?}|{}|{:?}|{:?}",
            scores.entries,
            nodes.join(";"),
            scores.overall,
            scores.overall_weighted
        )
    }

    /// Scoring on two threads gives exactly what one pass gives, arena positions included.
    #[test]
    fn two_threads_score_like_one() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let attack = Attack::load(&root.join("fixtures/attack/mini-attack-2.1.json"))
            .expect("fixture bundle");
        let text = std::fs::read(root.join("fixtures/inventory/good/full.yaml")).expect("fixture");
        let parsed = parse_inventories(
            &[SourceFile::new("full.yaml", text)],
            &attack,
            &ValidationContext::default(),
        );
        assert!(!parsed.has_errors());
        let engine = Engine::new(&attack, &parsed.inventory, &super::AssessOptions::default());
        let all: Vec<_> = parsed.inventory.capabilities.iter().collect();
        let one = engine.score_from(&all, usize::MAX);
        let two = engine.score_from(&all, 0);
        assert!(!one.entries.is_empty());
        assert_eq!(summary(&two), summary(&one));
    }
}
