//! [`Attack`]: a loaded ATT&CK domain with lookups and relationship queries.

#![allow(
    clippy::indexing_slicing,
    reason = "positions into the model's own vectors, assigned by the loader (ObjectRef, graph nodes), never read from input"
)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use serde::Serialize;

use crate::data::AttackData;
use crate::error::LoadError;
use crate::model::{
    Analytic, Asset, Campaign, DataComponent, DataSource, DetectionStrategy, Group, Kind, Meta,
    Mitigation, ObjectRef, RelKind, Software, Tactic, Technique,
};

/// One loaded ATT&CK domain (enterprise, mobile or ICS) of one version.
///
/// Every object of the bundle stays queryable, revoked and deprecated ones included; the matrix
/// and the `active_*` listings leave those out.
#[derive(Debug)]
pub struct Attack {
    data: AttackData,
    graph: DiGraph<ObjectRef, RelKind, u32>,
    offsets: [u32; Kind::ALL.len()],
    by_attack_id: HashMap<String, ObjectRef>,
    by_stix_id: HashMap<String, ObjectRef>,
    /// Trimmed, lowercased own names and aliases, each with the objects it names and the rank
    /// of each match (see [`NameRank`]).
    by_name: HashMap<String, Vec<(ObjectRef, NameRank)>>,
    /// [`Attack::subtechnique_positions`] of every technique, built on first use.
    subtechnique_lists: std::sync::OnceLock<Vec<Box<[u32]>>>,
}

/// How well a name matches an object; lower is better. Only the best rank present competes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum NameRank {
    /// The active object's own name (a tactic's shortname counts as one).
    ActiveName,
    /// An alias of an active object.
    ActiveAlias,
    /// A revoked or deprecated object's own name.
    InactiveName,
    /// An alias of a revoked or deprecated object.
    InactiveAlias,
}

/// What a name typed by a user names: see [`Attack::resolve_name`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameMatch {
    /// No object of the kinds asked for has this name or alias.
    None,
    /// Exactly one object has the best match.
    One(ObjectRef),
    /// Several objects tie for the best match, sorted by kind then ATT&CK ID: the caller must
    /// not pick one, but list them and ask for an ID.
    Ambiguous(Vec<ObjectRef>),
}

impl NameMatch {
    /// The object when there is exactly one.
    pub fn one(&self) -> Option<ObjectRef> {
        match self {
            NameMatch::One(key) => Some(*key),
            NameMatch::None | NameMatch::Ambiguous(_) => None,
        }
    }
}

/// The form names are compared in: trimmed, lowercased.
fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Lowercase letters and digits only: `APT-28` and `apt28`, `Cozy Bear` and `cozybear` agree.
fn squash(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Platform names ATT&CK has retired, with what replaced them (seen between the 15.1 and
/// 18.1 enterprise bundles: the techniques that listed the old name list the new ones).
/// `Google Workspace` was split between two platforms.
const RENAMED_PLATFORMS: &[(&str, &[&str])] = &[
    ("Azure AD", &["Identity Provider"]),
    ("Office 365", &["Office Suite"]),
    ("Google Workspace", &["Office Suite", "Identity Provider"]),
    ("Network", &["Network Devices"]),
];

/// What a retired platform name became (`Azure AD` -> `Identity Provider`), any case; `None`
/// for a name ATT&CK never retired. Callers check that the new names exist in their bundle
/// (an older bundle still has the old name).
pub fn renamed_platform(name: &str) -> Option<&'static [&'static str]> {
    let name = name.trim();
    RENAMED_PLATFORMS
        .iter()
        .find(|(old, _)| old.eq_ignore_ascii_case(name))
        .map(|(_, new)| *new)
}

/// How a group (or campaign) comes to use a technique.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "via", rename_all = "kebab-case")]
pub enum Route {
    /// The group uses the technique itself.
    Direct,
    /// Through a piece of software the group uses.
    Software {
        /// Position of the software.
        software: u32,
    },
    /// A campaign attributed to the group used the technique.
    Campaign {
        /// Position of the campaign.
        campaign: u32,
    },
    /// Software used in a campaign attributed to the group.
    CampaignSoftware {
        /// Position of the campaign.
        campaign: u32,
        /// Position of the software.
        software: u32,
    },
}

/// A technique and every route by which an actor uses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TechniqueUse {
    /// Position of the technique.
    pub technique: u32,
    /// The routes, sorted.
    pub routes: Vec<Route>,
}

/// The actors that use a technique.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Users {
    /// Groups with the routes by which they use it, sorted by group ID.
    pub groups: Vec<(u32, Vec<Route>)>,
    /// Software that uses it directly, sorted by ID.
    pub software: Vec<u32>,
    /// Campaigns that use it directly, sorted by ID.
    pub campaigns: Vec<u32>,
}

/// What ATT&CK says about detecting a technique, for both detection models.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Detection {
    /// Detection strategies (ATT&CK 18+).
    pub strategies: Vec<u32>,
    /// Analytics of those strategies.
    pub analytics: Vec<u32>,
    /// Data components: those the analytics read (18+) or that `detect` the technique (older).
    pub data_components: Vec<u32>,
    /// `x_mitre_data_sources` strings (older bundles).
    pub data_sources: Vec<String>,
    /// `x_mitre_detection` text (older bundles).
    pub text: Option<String>,
}

/// A borrowed view of any object, for callers that do not know the kind in advance.
#[derive(Debug, Clone, Copy)]
pub enum Object<'a> {
    /// A tactic.
    Tactic(&'a Tactic),
    /// A technique or sub-technique.
    Technique(&'a Technique),
    /// A mitigation.
    Mitigation(&'a Mitigation),
    /// A group.
    Group(&'a Group),
    /// Software.
    Software(&'a Software),
    /// A campaign.
    Campaign(&'a Campaign),
    /// A data source.
    DataSource(&'a DataSource),
    /// A data component.
    DataComponent(&'a DataComponent),
    /// A detection strategy.
    DetectionStrategy(&'a DetectionStrategy),
    /// An analytic.
    Analytic(&'a Analytic),
    /// An ICS asset.
    Asset(&'a Asset),
}

/// Counts of active objects per kind, and of withdrawn techniques.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Tactics in the matrix.
    pub tactics: usize,
    /// Active techniques, sub-techniques excluded.
    pub techniques: usize,
    /// Active sub-techniques.
    pub subtechniques: usize,
    /// Active groups.
    pub groups: usize,
    /// Active software (malware and tools).
    pub software: usize,
    /// Active mitigations.
    pub mitigations: usize,
    /// Active campaigns.
    pub campaigns: usize,
    /// Active data sources.
    pub data_sources: usize,
    /// Active data components.
    pub data_components: usize,
    /// Active detection strategies.
    pub detection_strategies: usize,
    /// Active analytics.
    pub analytics: usize,
    /// Active ICS assets.
    pub assets: usize,
    /// Revoked techniques and sub-techniques.
    pub revoked_techniques: usize,
    /// Deprecated (and not revoked) techniques and sub-techniques.
    pub deprecated_techniques: usize,
    /// Relationships kept in the graph.
    pub relationships: usize,
}

impl Attack {
    /// Loads a bundle from disk, without the model cache.
    pub fn load(path: &Path) -> Result<Attack, LoadError> {
        let bytes = crate::input::read(path).map_err(|source| LoadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Attack::from_bytes(bytes, path)
    }

    /// Parses a bundle held in memory; `path` names it in errors.
    pub fn from_slice(bytes: &[u8], path: &Path) -> Result<Attack, LoadError> {
        crate::stix::parse_bundle(bytes, path).map(Attack::from_data)
    }

    /// Parses a bundle read into `bytes`, freeing them before the indexes are built, so that
    /// the file and the indexes are never in memory together.
    pub(crate) fn from_bytes(bytes: Vec<u8>, path: &Path) -> Result<Attack, LoadError> {
        let data = crate::stix::parse_bundle(&bytes, path)?;
        drop(bytes);
        Ok(Attack::from_data(data))
    }

    /// Whether two loads hold the same parsed model: every object with every field kept, every
    /// relationship and warning, in the same order (the indexes and the graph are built from
    /// it). The test that the built-in release answers as the bundle it came from rests on it.
    pub fn same_model_as(&self, other: &Attack) -> bool {
        self.data == other.data
    }

    pub(crate) fn data(&self) -> &AttackData {
        &self.data
    }

    pub(crate) fn from_data(data: AttackData) -> Attack {
        let mut offsets = [0u32; Kind::ALL.len()];
        let mut total = 0u32;
        for kind in Kind::ALL {
            offsets[kind.slot()] = total;
            total += data.count(kind) as u32;
        }
        let mut graph = DiGraph::with_capacity(total as usize, data.relationships.len());
        let mut by_stix_id = HashMap::with_capacity(total as usize);
        let mut by_attack_id: HashMap<String, ObjectRef> = HashMap::with_capacity(total as usize);
        for kind in Kind::ALL {
            for index in 0..data.count(kind) as u32 {
                let key = ObjectRef { kind, index };
                graph.add_node(key);
                let meta = data.meta(key);
                by_stix_id.insert(meta.stix_id.clone(), key);
                if let Some(id) = &meta.attack_id {
                    // Revoked objects keep their old ID; the live holder of an ID wins.
                    let replace = by_attack_id
                        .get(id)
                        .is_none_or(|old| !data.meta(*old).is_active() && meta.is_active());
                    if replace {
                        by_attack_id.insert(id.clone(), key);
                    }
                }
            }
        }
        let by_name = name_index(&data);
        let node = |key: ObjectRef| NodeIndex::new((offsets[key.kind.slot()] + key.index) as usize);
        for rel in &data.relationships {
            graph.add_edge(node(rel.source), node(rel.target), rel.kind);
        }
        Attack {
            data,
            graph,
            offsets,
            by_attack_id,
            by_stix_id,
            by_name,
            subtechnique_lists: std::sync::OnceLock::new(),
        }
    }

    fn node(&self, key: ObjectRef) -> NodeIndex {
        NodeIndex::new((self.offsets[key.kind.slot()] + key.index) as usize)
    }

    /// Objects at the other end of `rel` edges: outgoing (`self -rel-> x`) or incoming.
    fn neighbours(
        &self,
        key: ObjectRef,
        rel: RelKind,
        dir: Direction,
    ) -> impl Iterator<Item = ObjectRef> + '_ {
        self.graph
            .edges_directed(self.node(key), dir)
            .filter(move |e| *e.weight() == rel)
            .map(move |e| {
                let other = if dir == Direction::Outgoing {
                    e.target()
                } else {
                    e.source()
                };
                self.graph[other]
            })
    }

    fn active_neighbours(
        &self,
        key: ObjectRef,
        rel: RelKind,
        dir: Direction,
        kind: Kind,
    ) -> impl Iterator<Item = u32> + '_ {
        self.neighbours(key, rel, dir)
            .filter(move |r| r.kind == kind && self.meta(*r).is_active())
            .map(|r| r.index)
    }

    fn sorted_by_id(&self, kind: Kind, mut items: Vec<u32>) -> Vec<u32> {
        items.sort_by(|a, b| {
            let ma = self.meta(ObjectRef { kind, index: *a });
            let mb = self.meta(ObjectRef { kind, index: *b });
            ma.id().cmp(mb.id())
        });
        items.dedup();
        items
    }

    /// The domain as the matrix names it: `enterprise-attack`, `mobile-attack`, `ics-attack`.
    pub fn domain(&self) -> &str {
        &self.data.domain
    }

    /// The domain without the `-attack` suffix: `enterprise`, `mobile`, `ics`.
    pub fn domain_short(&self) -> &str {
        self.data
            .domain
            .strip_suffix("-attack")
            .unwrap_or(&self.data.domain)
    }

    /// The ATT&CK release (`18.1`): from the collection object, or for STIX 2.0 bundles from
    /// the file name.
    pub fn version(&self) -> Option<&str> {
        self.data.version.as_deref()
    }

    /// The collection's name (`Enterprise ATT&CK`), or the matrix name.
    pub fn name(&self) -> &str {
        self.data.name.as_deref().unwrap_or(&self.data.matrix_name)
    }

    /// STIX spec version of the bundle: `2.1` or `2.0`.
    pub fn spec_version(&self) -> &str {
        &self.data.spec_version
    }

    /// ATT&CK data-model version (`x_mitre_attack_spec_version`), where given.
    pub fn attack_spec_version(&self) -> Option<&str> {
        self.data.attack_spec_version.as_deref()
    }

    /// The kill chain name techniques use for this domain's tactics (`mitre-attack`).
    pub fn kill_chain(&self) -> &str {
        &self.data.kill_chain
    }

    /// Oddities found while loading that did not stop it, such as dangling relationships.
    pub fn warnings(&self) -> &[String] {
        &self.data.warnings
    }

    /// The matrix tactics, in the order of the active matrix.
    pub fn tactics(&self) -> impl ExactSizeIterator<Item = &Tactic> + '_ {
        self.data
            .matrix
            .iter()
            .map(|&i| &self.data.tactics[i as usize])
    }

    /// Every tactic object, including those outside the matrix.
    pub fn all_tactics(&self) -> &[Tactic] {
        &self.data.tactics
    }

    /// A matrix tactic by shortname (`defense-evasion`), ATT&CK ID (`TA0005`) or name
    /// (`Defense Evasion`), ignoring case.
    pub fn tactic(&self, query: &str) -> Option<&Tactic> {
        self.tactics().find(|t| {
            t.shortname.eq_ignore_ascii_case(query)
                || t.meta.id().eq_ignore_ascii_case(query)
                || t.meta.name.eq_ignore_ascii_case(query)
        })
    }

    /// Every technique and sub-technique, revoked and deprecated ones included.
    pub fn techniques(&self) -> &[Technique] {
        &self.data.techniques
    }

    /// Active techniques and sub-techniques, sorted by ATT&CK ID.
    pub fn active_techniques(&self) -> Vec<&Technique> {
        let mut list: Vec<_> = self
            .data
            .techniques
            .iter()
            .filter(|t| t.meta.is_active())
            .collect();
        list.sort_by(|a, b| a.meta.id().cmp(b.meta.id()));
        list
    }

    /// Active techniques and sub-techniques of one tactic (by shortname), sorted by ID.
    pub fn techniques_in_tactic(&self, shortname: &str) -> Vec<&Technique> {
        let mut list = self.active_techniques();
        list.retain(|t| t.tactics.iter().any(|s| s == shortname));
        list
    }

    /// Every mitigation.
    pub fn mitigations(&self) -> &[Mitigation] {
        &self.data.mitigations
    }

    /// Every group.
    pub fn groups(&self) -> &[Group] {
        &self.data.groups
    }

    /// Every piece of software.
    pub fn software(&self) -> &[Software] {
        &self.data.software
    }

    /// Every campaign.
    pub fn campaigns(&self) -> &[Campaign] {
        &self.data.campaigns
    }

    /// Every data source.
    pub fn data_sources(&self) -> &[DataSource] {
        &self.data.data_sources
    }

    /// Every data component.
    pub fn data_components(&self) -> &[DataComponent] {
        &self.data.data_components
    }

    /// Every detection strategy.
    pub fn detection_strategies(&self) -> &[DetectionStrategy] {
        &self.data.detection_strategies
    }

    /// Every analytic.
    pub fn analytics(&self) -> &[Analytic] {
        &self.data.analytics
    }

    /// Every ICS asset.
    pub fn assets(&self) -> &[Asset] {
        &self.data.assets
    }

    /// The common fields of any object.
    pub fn meta(&self, key: ObjectRef) -> &Meta {
        self.data.meta(key)
    }

    /// A typed view of any object.
    pub fn object(&self, key: ObjectRef) -> Object<'_> {
        let i = key.index as usize;
        let d = &self.data;
        match key.kind {
            Kind::Tactic => Object::Tactic(&d.tactics[i]),
            Kind::Technique => Object::Technique(&d.techniques[i]),
            Kind::Mitigation => Object::Mitigation(&d.mitigations[i]),
            Kind::Group => Object::Group(&d.groups[i]),
            Kind::Software => Object::Software(&d.software[i]),
            Kind::Campaign => Object::Campaign(&d.campaigns[i]),
            Kind::DataSource => Object::DataSource(&d.data_sources[i]),
            Kind::DataComponent => Object::DataComponent(&d.data_components[i]),
            Kind::DetectionStrategy => Object::DetectionStrategy(&d.detection_strategies[i]),
            Kind::Analytic => Object::Analytic(&d.analytics[i]),
            Kind::Asset => Object::Asset(&d.assets[i]),
        }
    }

    /// Counts of active objects, as `covmap attack info` shows them.
    pub fn counts(&self) -> Counts {
        fn active<T: crate::model::AttackObject>(items: &[T]) -> usize {
            items.iter().filter(|o| o.meta().is_active()).count()
        }
        let techniques = &self.data.techniques;
        Counts {
            tactics: self.data.matrix.len(),
            techniques: techniques
                .iter()
                .filter(|t| t.meta.is_active() && !t.is_subtechnique)
                .count(),
            subtechniques: techniques
                .iter()
                .filter(|t| t.meta.is_active() && t.is_subtechnique)
                .count(),
            groups: active(&self.data.groups),
            software: active(&self.data.software),
            mitigations: active(&self.data.mitigations),
            campaigns: active(&self.data.campaigns),
            data_sources: active(&self.data.data_sources),
            data_components: active(&self.data.data_components),
            detection_strategies: active(&self.data.detection_strategies),
            analytics: active(&self.data.analytics),
            assets: active(&self.data.assets),
            revoked_techniques: techniques.iter().filter(|t| t.meta.revoked).count(),
            deprecated_techniques: techniques
                .iter()
                .filter(|t| t.meta.deprecated && !t.meta.revoked)
                .count(),
            relationships: self.data.relationships.len(),
        }
    }

    /// Finds an object by ATT&CK ID (any case: `t1059.001`) or STIX id. Where a revoked object
    /// and a live one share an ID, the live one is returned.
    pub fn lookup(&self, id: &str) -> Option<ObjectRef> {
        let id = id.trim();
        if id.contains("--") {
            return self.by_stix_id.get(id).copied();
        }
        self.by_attack_id.get(&id.to_ascii_uppercase()).copied()
    }

    /// What `name` names among objects of `kinds`, by own name or alias, ignoring case and
    /// surrounding spaces. The rule (docs/cli.md, "Names and aliases"): an active object's own
    /// name beats an active object's alias, which beats a revoked or deprecated object's own
    /// name, which beats its alias; only the best rank present competes, and several objects at
    /// that rank are [`NameMatch::Ambiguous`], never a pick. Names are those of
    /// [`Kind::NAMED`] kinds (tactics also by shortname); other kinds never match.
    pub fn resolve_name(&self, name: &str, kinds: &[Kind]) -> NameMatch {
        let Some(hits) = self.by_name.get(&name_key(name)) else {
            return NameMatch::None;
        };
        let wanted = || hits.iter().filter(|(key, _)| kinds.contains(&key.kind));
        let Some(best) = wanted().map(|(_, rank)| *rank).min() else {
            return NameMatch::None;
        };
        let mut winners: Vec<ObjectRef> = wanted()
            .filter(|(_, rank)| *rank == best)
            .map(|(key, _)| *key)
            .collect();
        winners.sort_by(|a, b| {
            let (ma, mb) = (self.meta(*a), self.meta(*b));
            (a.kind, ma.id(), &ma.stix_id).cmp(&(b.kind, mb.id(), &mb.stix_id))
        });
        winners.dedup();
        match winners.as_slice() {
            [] => NameMatch::None,
            [one] => NameMatch::One(*one),
            _ => NameMatch::Ambiguous(winners),
        }
    }

    /// Resolves what a user typed: an ATT&CK ID or STIX id (of any kind: the caller checks
    /// the kind, to say "X is a software, not a group"), else a name or alias of `kinds` by the
    /// rule of [`Attack::resolve_name`].
    pub fn resolve_query(&self, query: &str, kinds: &[Kind]) -> NameMatch {
        match self.lookup(query) {
            Some(key) => NameMatch::One(key),
            None => self.resolve_name(query, kinds),
        }
    }

    /// The one object `query` names ([`Attack::resolve_query`] over every named kind), or
    /// `None` when nothing or several objects match: callers that report errors use
    /// `resolve_query` to tell the two apart.
    pub fn resolve(&self, query: &str) -> Option<ObjectRef> {
        self.resolve_query(query, &Kind::NAMED).one()
    }

    /// Up to `limit` IDs with names close to `query`, best first, for "did you mean" hints
    /// (`T1059 (Command and Scripting Interpreter)`): [`Attack::suggest_among`] every kind.
    pub fn suggest(&self, query: &str, limit: usize) -> Vec<String> {
        self.suggest_among(query, &Kind::ALL, limit)
    }

    /// Up to `limit` active objects of `kinds` whose ID, name or alias is close to `query`,
    /// best first, each as `ID (name)`: for "did you mean" hints where only some kinds are
    /// wanted (`threats --group APT-28` suggests `G0007 (APT28)`, not a technique). A spelling
    /// that differs only in case, spaces or punctuation (`APT-28`, `cozybear`) ranks first.
    pub fn suggest_among(&self, query: &str, kinds: &[Kind], limit: usize) -> Vec<String> {
        let query = name_key(query);
        let squashed = squash(&query);
        // Rank in thousandths of distance; a near-exact spelling is 0.
        let rank = |candidate: &str| -> Option<u32> {
            if !squashed.is_empty() && squash(candidate) == squashed {
                return Some(0);
            }
            let similarity = strsim::jaro_winkler(&query, candidate);
            // `similarity` is in [0.8, 1] here, so the rank fits easily.
            #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)]
            (similarity >= 0.8).then(|| 1 + (1000.0 * (1.0 - similarity)).round() as u32)
        };
        let mut best: BTreeMap<ObjectRef, u32> = BTreeMap::new();
        let mut offer = |key: ObjectRef, candidate: &str| {
            if let Some(r) = rank(candidate) {
                let slot = best.entry(key).or_insert(r);
                *slot = (*slot).min(r);
            }
        };
        for &kind in kinds {
            for index in 0..self.data.count(kind) as u32 {
                let key = ObjectRef { kind, index };
                let meta = self.meta(key);
                if meta.is_active() {
                    offer(key, &meta.id().to_lowercase());
                    offer(key, &meta.name.to_lowercase());
                }
            }
        }
        // Aliases (and tactic shortnames) live in the name index, already lowercased.
        #[expect(
            clippy::iter_over_hash_type,
            reason = "each object keeps its minimum rank and the list is sorted: order-free"
        )]
        for (name, hits) in &self.by_name {
            for (key, _) in hits {
                if kinds.contains(&key.kind) && self.meta(*key).is_active() {
                    offer(*key, name);
                }
            }
        }
        let mut ranked: Vec<(u32, String)> = best
            .into_iter()
            .map(|(key, r)| {
                let meta = self.meta(key);
                (r, format!("{} ({})", meta.id(), meta.name))
            })
            .collect();
        ranked.sort();
        ranked.dedup();
        ranked
            .into_iter()
            .take(limit)
            .map(|(_, label)| label)
            .collect()
    }

    /// The object that replaced a revoked one, following `revoked-by` chains to their end.
    /// `None` when the object is not revoked or names no replacement.
    pub fn replacement(&self, key: ObjectRef) -> Option<ObjectRef> {
        let mut at = key;
        // Cycles were rejected at load; the bound is a second guard.
        for _ in 0..self.data.relationships.len() {
            match self
                .neighbours(at, RelKind::RevokedBy, Direction::Outgoing)
                .next()
            {
                Some(next) => at = next,
                None => break,
            }
        }
        (at != key).then_some(at)
    }

    /// The parent of a sub-technique.
    pub fn parent(&self, technique: &Technique) -> Option<&Technique> {
        technique.parent.map(|p| &self.data.techniques[p as usize])
    }

    /// Active sub-techniques of a technique, sorted by ID.
    pub fn subtechniques(&self, technique: &Technique) -> Vec<&Technique> {
        let subs = self
            .active_neighbours(
                technique.meta.key,
                RelKind::SubtechniqueOf,
                Direction::Incoming,
                Kind::Technique,
            )
            .collect::<Vec<_>>();
        let mut subs: BTreeSet<u32> = subs.into_iter().collect();
        // Sub-techniques linked by ID only (no relationship) count too.
        for (i, t) in self.data.techniques.iter().enumerate() {
            if t.parent == Some(technique.meta.key.index) && t.meta.is_active() {
                subs.insert(i as u32);
            }
        }
        self.sorted_by_id(Kind::Technique, subs.into_iter().collect())
            .into_iter()
            .map(|i| &self.data.techniques[i as usize])
            .collect()
    }

    /// The positions (in [`Attack::techniques`]) of the [`Attack::subtechniques`] of the
    /// technique at `position`, sorted by ID; empty for a position out of range. Every
    /// technique's are computed together on first use: validating and scoring a large
    /// inventory ask for them for every listed technique, and each [`Attack::subtechniques`]
    /// scans every technique.
    pub fn subtechnique_positions(&self, position: u32) -> &[u32] {
        let lists = self.subtechnique_lists.get_or_init(|| {
            let techniques = &self.data.techniques;
            let mut sets: Vec<BTreeSet<u32>> = techniques
                .iter()
                .map(|t| {
                    self.active_neighbours(
                        t.meta.key,
                        RelKind::SubtechniqueOf,
                        Direction::Incoming,
                        Kind::Technique,
                    )
                    .collect()
                })
                .collect();
            // Sub-techniques linked by ID only (no relationship) count too.
            for (i, t) in techniques.iter().enumerate() {
                if let Some(set) = t.parent.and_then(|p| sets.get_mut(p as usize))
                    && t.meta.is_active()
                {
                    set.insert(i as u32);
                }
            }
            sets.into_iter()
                .map(|set| {
                    self.sorted_by_id(Kind::Technique, set.into_iter().collect())
                        .into_boxed_slice()
                })
                .collect()
        });
        lists.get(position as usize).map_or(&[], |list| list)
    }

    /// Active mitigations of a technique, sorted by ID.
    pub fn mitigations_of(&self, technique: &Technique) -> Vec<&Mitigation> {
        let list = self
            .active_neighbours(
                technique.meta.key,
                RelKind::Mitigates,
                Direction::Incoming,
                Kind::Mitigation,
            )
            .collect();
        self.sorted_by_id(Kind::Mitigation, list)
            .into_iter()
            .map(|i| &self.data.mitigations[i as usize])
            .collect()
    }

    /// Active techniques a mitigation addresses, sorted by ID.
    pub fn mitigated_by(&self, mitigation: &Mitigation) -> Vec<&Technique> {
        let list = self
            .active_neighbours(
                mitigation.meta.key,
                RelKind::Mitigates,
                Direction::Outgoing,
                Kind::Technique,
            )
            .collect();
        self.techniques_at(list)
    }

    fn techniques_at(&self, list: Vec<u32>) -> Vec<&Technique> {
        self.sorted_by_id(Kind::Technique, list)
            .into_iter()
            .map(|i| &self.data.techniques[i as usize])
            .collect()
    }

    /// Active software a group or campaign uses, sorted by ID.
    pub fn software_used_by(&self, actor: ObjectRef) -> Vec<u32> {
        let list = self
            .active_neighbours(actor, RelKind::Uses, Direction::Outgoing, Kind::Software)
            .collect();
        self.sorted_by_id(Kind::Software, list)
    }

    /// Active campaigns attributed to a group, sorted by ID.
    pub fn campaigns_of(&self, group: ObjectRef) -> Vec<u32> {
        let list = self
            .active_neighbours(
                group,
                RelKind::AttributedTo,
                Direction::Incoming,
                Kind::Campaign,
            )
            .collect();
        self.sorted_by_id(Kind::Campaign, list)
    }

    /// Groups a campaign is attributed to.
    pub fn groups_of_campaign(&self, campaign: ObjectRef) -> Vec<u32> {
        let list = self
            .active_neighbours(
                campaign,
                RelKind::AttributedTo,
                Direction::Outgoing,
                Kind::Group,
            )
            .collect();
        self.sorted_by_id(Kind::Group, list)
    }

    fn direct_techniques(&self, actor: ObjectRef) -> impl Iterator<Item = u32> + '_ {
        self.active_neighbours(actor, RelKind::Uses, Direction::Outgoing, Kind::Technique)
    }

    /// The active techniques a group, campaign or piece of software uses, each with every route:
    /// directly, through software, through campaigns attributed to the group, or through the
    /// software of those campaigns. Sorted by technique ID.
    pub fn techniques_used_by(&self, actor: ObjectRef) -> Vec<TechniqueUse> {
        let mut routes: BTreeMap<u32, BTreeSet<Route>> = BTreeMap::new();
        let mut add = |technique: u32, route: Route| {
            routes.entry(technique).or_default().insert(route);
        };
        for t in self.direct_techniques(actor) {
            add(t, Route::Direct);
        }
        if actor.kind != Kind::Software {
            for software in self.software_used_by(actor) {
                let key = ObjectRef {
                    kind: Kind::Software,
                    index: software,
                };
                for t in self.direct_techniques(key) {
                    add(t, Route::Software { software });
                }
            }
        }
        if actor.kind == Kind::Group {
            for campaign in self.campaigns_of(actor) {
                let key = ObjectRef {
                    kind: Kind::Campaign,
                    index: campaign,
                };
                for t in self.direct_techniques(key) {
                    add(t, Route::Campaign { campaign });
                }
                for software in self.software_used_by(key) {
                    let skey = ObjectRef {
                        kind: Kind::Software,
                        index: software,
                    };
                    for t in self.direct_techniques(skey) {
                        add(t, Route::CampaignSoftware { campaign, software });
                    }
                }
            }
        }
        let order = self.sorted_by_id(Kind::Technique, routes.keys().copied().collect());
        order
            .into_iter()
            .map(|technique| TechniqueUse {
                technique,
                routes: self.sorted_routes(routes.remove(&technique).unwrap_or_default()),
            })
            .collect()
    }

    /// The active techniques an actor uses by any route of [`Attack::techniques_used_by`], as
    /// positions, sorted by position, without routes or ID order: the cheap form for counting
    /// over every group of the bundle (covmap-assess's prevalence).
    pub fn technique_positions_used_by(&self, actor: ObjectRef) -> Vec<u32> {
        let mut sources = vec![actor];
        if actor.kind == Kind::Group {
            sources.extend(
                self.active_neighbours(
                    actor,
                    RelKind::AttributedTo,
                    Direction::Incoming,
                    Kind::Campaign,
                )
                .map(|index| ObjectRef {
                    kind: Kind::Campaign,
                    index,
                }),
            );
        }
        let mut out = Vec::new();
        for source in sources {
            out.extend(self.direct_techniques(source));
            if source.kind != Kind::Software {
                for software in self.active_neighbours(
                    source,
                    RelKind::Uses,
                    Direction::Outgoing,
                    Kind::Software,
                ) {
                    out.extend(self.direct_techniques(ObjectRef {
                        kind: Kind::Software,
                        index: software,
                    }));
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Routes in reading order: direct, then software, campaigns and campaign software, each by
    /// ATT&CK ID.
    fn sorted_routes(&self, routes: BTreeSet<Route>) -> Vec<Route> {
        let id = |kind: Kind, index: u32| self.meta(ObjectRef { kind, index }).id().to_string();
        let mut routes: Vec<Route> = routes.into_iter().collect();
        routes.sort_by_cached_key(|route| match *route {
            Route::Direct => (0, String::new(), String::new()),
            Route::Software { software } => (1, id(Kind::Software, software), String::new()),
            Route::Campaign { campaign } => (2, id(Kind::Campaign, campaign), String::new()),
            Route::CampaignSoftware { campaign, software } => (
                3,
                id(Kind::Campaign, campaign),
                id(Kind::Software, software),
            ),
        });
        routes
    }

    /// Groups, software and campaigns that use a technique. Groups are found by every route of
    /// [`Attack::techniques_used_by`]; software and campaigns by direct use.
    pub fn users_of(&self, technique: &Technique) -> Users {
        let key = technique.meta.key;
        let software = self.sorted_by_id(
            Kind::Software,
            self.active_neighbours(key, RelKind::Uses, Direction::Incoming, Kind::Software)
                .collect(),
        );
        let campaigns = self.sorted_by_id(
            Kind::Campaign,
            self.active_neighbours(key, RelKind::Uses, Direction::Incoming, Kind::Campaign)
                .collect(),
        );
        let mut groups: BTreeMap<u32, BTreeSet<Route>> = BTreeMap::new();
        for g in self.active_neighbours(key, RelKind::Uses, Direction::Incoming, Kind::Group) {
            groups.entry(g).or_default().insert(Route::Direct);
        }
        for &s in &software {
            let skey = ObjectRef {
                kind: Kind::Software,
                index: s,
            };
            for g in self.active_neighbours(skey, RelKind::Uses, Direction::Incoming, Kind::Group) {
                groups
                    .entry(g)
                    .or_default()
                    .insert(Route::Software { software: s });
            }
            for c in
                self.active_neighbours(skey, RelKind::Uses, Direction::Incoming, Kind::Campaign)
            {
                let ckey = ObjectRef {
                    kind: Kind::Campaign,
                    index: c,
                };
                for g in self.groups_of_campaign(ckey) {
                    groups
                        .entry(g)
                        .or_default()
                        .insert(Route::CampaignSoftware {
                            campaign: c,
                            software: s,
                        });
                }
            }
        }
        for &c in &campaigns {
            let ckey = ObjectRef {
                kind: Kind::Campaign,
                index: c,
            };
            for g in self.groups_of_campaign(ckey) {
                groups
                    .entry(g)
                    .or_default()
                    .insert(Route::Campaign { campaign: c });
            }
        }
        let order = self.sorted_by_id(Kind::Group, groups.keys().copied().collect());
        Users {
            groups: order
                .into_iter()
                .map(|g| (g, self.sorted_routes(groups.remove(&g).unwrap_or_default())))
                .collect(),
            software,
            campaigns,
        }
    }

    /// How a technique can be detected: detection strategies, their analytics and data
    /// components (ATT&CK 18+), or data components and data sources (older bundles).
    pub fn detection_of(&self, technique: &Technique) -> Detection {
        let key = technique.meta.key;
        let strategies = self.sorted_by_id(
            Kind::DetectionStrategy,
            self.active_neighbours(
                key,
                RelKind::Detects,
                Direction::Incoming,
                Kind::DetectionStrategy,
            )
            .collect(),
        );
        let mut analytics = Vec::new();
        let mut components: Vec<u32> = self
            .active_neighbours(
                key,
                RelKind::Detects,
                Direction::Incoming,
                Kind::DataComponent,
            )
            .collect();
        for &s in &strategies {
            for &a in &self.data.detection_strategies[s as usize].analytics {
                let analytic = &self.data.analytics[a as usize];
                if !analytic.meta.is_active() {
                    continue;
                }
                analytics.push(a);
                components.extend(analytic.log_sources.iter().map(|l| l.data_component));
            }
        }
        Detection {
            strategies,
            analytics: self.sorted_by_id(Kind::Analytic, analytics),
            data_components: self.sorted_by_id(Kind::DataComponent, components),
            data_sources: technique.data_sources.clone(),
            text: technique.detection.clone(),
        }
    }

    /// Positions of the active analytics of a technique's active detection strategies (ATT&CK
    /// 18+), in strategy then `x_mitre_analytic_refs` order: the analytics of
    /// [`Attack::detection_of`] without sorting or the data components, for callers that
    /// evaluate every technique (derived visibility).
    pub fn analytics_of(&self, technique: &Technique) -> Vec<u32> {
        let mut analytics = Vec::new();
        for s in self.active_neighbours(
            technique.meta.key,
            RelKind::Detects,
            Direction::Incoming,
            Kind::DetectionStrategy,
        ) {
            let Some(strategy) = self.data.detection_strategies.get(s as usize) else {
                continue;
            };
            analytics.extend(strategy.analytics.iter().copied().filter(|&a| {
                self.data
                    .analytics
                    .get(a as usize)
                    .is_some_and(|analytic| analytic.meta.is_active())
            }));
        }
        analytics
    }

    /// [`Attack::analytics_of`] of every technique at once, indexed by technique position: the
    /// same analytics (as many times each), in detection-strategy position order. One walk of
    /// each active strategy's outgoing `detects` edges costs far less than walking every
    /// technique's incoming edges, which include each `uses` of every group and software.
    pub fn analytics_by_technique(&self) -> Vec<Vec<u32>> {
        let mut out = vec![Vec::new(); self.data.techniques.len()];
        let mut active = Vec::new();
        for strategy in &self.data.detection_strategies {
            if !strategy.meta.is_active() {
                continue;
            }
            active.clear();
            active.extend(strategy.analytics.iter().copied().filter(|&a| {
                self.data
                    .analytics
                    .get(a as usize)
                    .is_some_and(|analytic| analytic.meta.is_active())
            }));
            if active.is_empty() {
                continue;
            }
            for technique in
                self.neighbours(strategy.meta.key, RelKind::Detects, Direction::Outgoing)
            {
                if technique.kind != Kind::Technique {
                    continue;
                }
                if let Some(slot) = out.get_mut(technique.index as usize) {
                    slot.extend_from_slice(&active);
                }
            }
        }
        out
    }

    /// ICS assets a technique targets, sorted by ID.
    pub fn assets_targeted_by(&self, technique: &Technique) -> Vec<&Asset> {
        let list = self
            .active_neighbours(
                technique.meta.key,
                RelKind::Targets,
                Direction::Outgoing,
                Kind::Asset,
            )
            .collect();
        self.sorted_by_id(Kind::Asset, list)
            .into_iter()
            .map(|i| &self.data.assets[i as usize])
            .collect()
    }

    /// The technique with this ATT&CK ID (any case), revoked ones included.
    pub fn technique(&self, id: &str) -> Option<&Technique> {
        let key = self.lookup(id).filter(|k| k.kind == Kind::Technique)?;
        Some(&self.data.techniques[key.index as usize])
    }

    /// Platforms of the domain: the union of active techniques' platforms, in first-seen order
    /// of a sort by technique ID (stable across runs).
    pub fn platforms(&self) -> Vec<String> {
        let mut seen = Vec::new();
        for technique in self.active_techniques() {
            for p in &technique.platforms {
                if !seen.contains(p) {
                    seen.push(p.clone());
                }
            }
        }
        seen.sort_by_key(|p| p.to_lowercase());
        seen
    }
}

/// The name index: every own name and alias of the [`Kind::NAMED`] kinds, with its rank.
fn name_index(data: &AttackData) -> HashMap<String, Vec<(ObjectRef, NameRank)>> {
    let mut index: HashMap<String, Vec<(ObjectRef, NameRank)>> = HashMap::new();
    let mut add = |meta: &Meta, own: &[&str], aliases: &[String]| {
        let active = meta.is_active();
        let own: BTreeSet<String> = own
            .iter()
            .map(|n| name_key(n))
            .filter(|n| !n.is_empty())
            .collect();
        let aliases: BTreeSet<String> = aliases
            .iter()
            .map(|n| name_key(n))
            .filter(|n| !n.is_empty() && !own.contains(n))
            .collect();
        let (name_rank, alias_rank) = if active {
            (NameRank::ActiveName, NameRank::ActiveAlias)
        } else {
            (NameRank::InactiveName, NameRank::InactiveAlias)
        };
        for name in own {
            index.entry(name).or_default().push((meta.key, name_rank));
        }
        for alias in aliases {
            index.entry(alias).or_default().push((meta.key, alias_rank));
        }
    };
    for t in &data.tactics {
        add(&t.meta, &[&t.meta.name, &t.shortname], &[]);
    }
    for t in &data.techniques {
        add(&t.meta, &[&t.meta.name], &[]);
    }
    for m in &data.mitigations {
        add(&m.meta, &[&m.meta.name], &[]);
    }
    for g in &data.groups {
        add(&g.meta, &[&g.meta.name], &g.aliases);
    }
    for s in &data.software {
        add(&s.meta, &[&s.meta.name], &s.aliases);
    }
    for c in &data.campaigns {
        add(&c.meta, &[&c.meta.name], &c.aliases);
    }
    index
}
