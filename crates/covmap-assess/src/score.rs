//! Coverage scoring: [`assess`] turns a resolved [`Inventory`] into an [`Assessment`], the
//! document `assessment.json` holds. docs/scoring.md states the rules with a worked example;
//! docs/assessment.md describes every field of the document.
//!
//! The engine (`engine`) is shared with `compare`, which scores the same inventory with other
//! sets of capabilities.

mod engine;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use covmap_core::{Attack, Kind};
use serde::{Deserialize, Serialize};

pub(crate) use self::engine::{Engine, Hit, Hits, Scores};
use crate::inventory::{Capability, Cost, Function, Inventory, ProfileFormat, Status};
use crate::params::{CoverageLevel, ScoringParams};

/// Version of the `assessment.json` layout; raised when a field changes meaning or goes away.
/// 2: contributions name their capability by id only (the name is in `capabilities`).
/// 3: threat weights are route-aware numbers (`weight` is a float: a direct use counts 1, a
/// software-only use `scoring.threat_software_factor`, times the threat's weight), and each
/// technique carries `direct_threats` and `prevalence`, the tie-breakers of gaps.
pub const FORMAT_VERSION: u32 = 3;

/// Reason given for techniques none of whose platforms is in scope.
pub const NO_PLATFORM_IN_SCOPE: &str = "no platform in scope";

/// Reason given for parent techniques none of whose sub-techniques is in scope.
pub const NO_SUBTECHNIQUE_IN_SCOPE: &str = "no sub-technique in scope";

/// Which capabilities count as current coverage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessOptions {
    /// Statuses that count. `retired` never counts, even when listed.
    pub include: Vec<Status>,
}

impl Default for AssessOptions {
    /// Deployed capabilities only.
    fn default() -> Self {
        AssessOptions {
            include: vec![Status::Deployed],
        }
    }
}

impl AssessOptions {
    /// Whether capabilities with this status count.
    pub fn counts(&self, status: Status) -> bool {
        status != Status::Retired && self.include.contains(&status)
    }

    /// The counted statuses, sorted and without duplicates (retired left out).
    pub fn statuses(&self) -> Vec<Status> {
        let set: BTreeSet<Status> = self
            .include
            .iter()
            .copied()
            .filter(|s| *s != Status::Retired)
            .collect();
        set.into_iter().collect()
    }
}

/// The complete result of an assessment: exactly what `assessment.json` holds.
///
/// Reports render from this document alone, without the ATT&CK bundle: it carries names,
/// tactics in matrix order and every technique. Floats are rounded to 6 decimals; lists are in
/// matrix order (tactics) or sorted by ATT&CK ID (techniques) or capability id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// Layout version of this document ([`FORMAT_VERSION`]).
    pub format: u32,
    /// Version of covmap that wrote it.
    pub covmap_version: String,
    /// The ATT&CK release assessed against.
    pub attack: AttackInfo,
    /// The organisation named by the inventory.
    pub organization: Option<String>,
    /// The inventory files, in the order given, with their SHA-256.
    pub files: Vec<FileInfo>,
    /// Capability statuses counted as coverage (`deployed`, plus `planned` with `--include`).
    pub include: Vec<Status>,
    /// The scoring parameters used, defaults filled in.
    pub scoring: ScoringParams,
    /// What was assessed.
    pub scope: ScopeInfo,
    /// Mean score of the leaf techniques in scope, in [0, 1].
    pub overall: f64,
    /// Threat-weighted mean (Σ weight·score / Σ weight); `null` without threats or when no leaf
    /// in scope is used by them.
    pub overall_weighted: Option<f64>,
    /// Mean per-function score of the leaves in scope.
    pub functions: FunctionTotals,
    /// How many techniques, and how many at each display level.
    pub counts: Counts,
    /// The matrix tactics, in matrix order.
    pub tactics: Vec<TacticResult>,
    /// Every active technique: leaves and parents, in and out of scope, sorted by ATT&CK ID.
    pub techniques: Vec<TechniqueResult>,
    /// Every capability of the inventory (counted or not), sorted by id.
    pub capabilities: Vec<CapabilitySummary>,
    /// What visibility derived from the inventory's `telemetry:` section did; absent when the
    /// inventory has none (and in documents written before covmap derived visibility).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telemetry: Option<TelemetrySummary>,
}

/// What derived visibility did to an assessment: the `visibility` function of a leaf is the
/// larger of its typed visibility entries and the value derived from the collected telemetry
/// (docs/scoring.md), so a document says how many leaves that changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct TelemetrySummary {
    /// Telemetry entries of the inventory.
    pub entries: usize,
    /// Those counted (their status is included).
    pub counted: usize,
    /// Active analytics of the bundle that apply on a platform in scope.
    pub analytics: usize,
    /// Of those, the analytics feasible on at least one platform in scope (every log source
    /// they name is collected there).
    pub feasible: usize,
    /// Leaves in scope with derived visibility above 0 on one of their platforms.
    pub leaves_visible: usize,
    /// Leaves in scope whose `visibility` function derived visibility raised above what their
    /// typed visibility entries give, on one of their platforms.
    pub leaves_raised: usize,
    /// Mean `visibility` function of the leaves in scope from typed entries alone (the
    /// document's `functions.visibility` includes derived visibility).
    pub visibility_typed: f64,
    /// Mean derived visibility of the leaves in scope.
    pub visibility_derived: f64,
}

impl Assessment {
    /// The technique with this ATT&CK ID (exact spelling, e.g. `T1059.001`).
    pub fn technique(&self, id: &str) -> Option<&TechniqueResult> {
        self.techniques
            .binary_search_by(|t| t.id.as_str().cmp(id))
            .ok()
            .and_then(|i| self.techniques.get(i))
    }

    /// A tactic by shortname (`execution`), ATT&CK ID (`TA0002`) or name, ignoring case.
    pub fn tactic(&self, query: &str) -> Option<&TacticResult> {
        let query = query.trim();
        self.tactics.iter().find(|t| {
            t.shortname.eq_ignore_ascii_case(query)
                || t.id.eq_ignore_ascii_case(query)
                || t.name.eq_ignore_ascii_case(query)
        })
    }

    /// The display name of a tactic shortname (the shortname itself when unknown).
    pub fn tactic_name<'a>(&'a self, shortname: &'a str) -> &'a str {
        self.tactics
            .iter()
            .find(|t| t.shortname == shortname)
            .map_or(shortname, |t| t.name.as_str())
    }

    /// The leaf techniques in scope, sorted by ID.
    pub fn leaves_in_scope(&self) -> impl Iterator<Item = &TechniqueResult> {
        self.techniques.iter().filter(|t| t.leaf && t.in_scope)
    }

    /// Fills in the capability names of the contributions from the capability list, after
    /// reading a saved document (which names each capability once). A contribution whose id is
    /// not in the list keeps the name it has (format 1 wrote it) or, failing that, its id.
    pub fn restore_names(&mut self) {
        let names: BTreeMap<&str, Arc<str>> = self
            .capabilities
            .iter()
            .map(|c| (c.id.as_str(), Arc::from(c.name.as_str())))
            .collect();
        for technique in &mut self.techniques {
            for c in technique
                .capabilities
                .iter_mut()
                .chain(technique.parent_evidence.iter_mut())
            {
                if let Some(name) = names.get(&*c.id) {
                    c.name = Arc::clone(name);
                } else if c.name.is_empty() {
                    c.name = Arc::clone(&c.id);
                }
            }
        }
    }

    /// Whether threats were selected (weights are threat uses rather than 1).
    pub fn has_threats(&self) -> bool {
        !self.scope.threats.is_empty()
    }

    /// Writes the document as pretty-printed JSON with a final newline: exactly the bytes of
    /// `serde_json::to_writer_pretty` plus `\n`, but with the techniques (nearly all of a large
    /// assessment) serialised on two threads.
    pub fn write_pretty_json<W: std::io::Write>(&self, mut out: W) -> std::io::Result<()> {
        // Everything but the techniques; the struct literal names every field, so a new field
        // cannot be forgotten here.
        let shell = Assessment {
            format: self.format,
            covmap_version: self.covmap_version.clone(),
            attack: self.attack.clone(),
            organization: self.organization.clone(),
            files: self.files.clone(),
            include: self.include.clone(),
            scoring: self.scoring.clone(),
            scope: self.scope.clone(),
            overall: self.overall,
            overall_weighted: self.overall_weighted,
            functions: self.functions,
            counts: self.counts,
            tactics: self.tactics.clone(),
            techniques: Vec::new(),
            capabilities: self.capabilities.clone(),
            telemetry: self.telemetry,
        };
        let text = serde_json::to_vec_pretty(&shell)?;
        // The top-level key is the only one indented by exactly two spaces.
        let marker: &[u8] = b"\n  \"techniques\": [";
        let split = text
            .windows(marker.len())
            .position(|w| w == marker)
            .map(|at| at + marker.len());
        let (Some(split), false, true) = (
            split,
            self.techniques.is_empty(),
            crate::threads::parallel(),
        ) else {
            serde_json::to_writer_pretty(&mut out, self)?;
            return out.write_all(b"\n");
        };
        let (head, tail) = text.split_at(split);
        out.write_all(head)?;
        // The techniques in small batches, every other one rendered by a second thread while
        // this one renders and writes the rest: a large assessment is never held whole as
        // text, and writing overlaps rendering.
        let batches: Vec<&[TechniqueResult]> = self.techniques.chunks(WRITE_BATCH).collect();
        crate::threads::render_in_order(
            &batches,
            |batch| pretty_items(batch, 2),
            |i, text| -> std::io::Result<()> {
                // Each rendered item starts with ",\n": the very first comma goes.
                let skip = usize::from(i == 0);
                out.write_all(text?.get(skip..).unwrap_or_default())
            },
        )?;
        out.write_all(b"\n  ")?;
        // `tail` is `]` and the rest of the document.
        out.write_all(tail)?;
        out.write_all(b"\n")
    }
}

/// Techniques rendered at a time when `assessment.json` is written on two threads: each is a
/// few kilobytes to a few hundred (a 400,000-entry inventory), so a batch is rendered in about
/// a millisecond and a few batches in flight hold little memory.
const WRITE_BATCH: usize = 8;

/// Items of a JSON array as serde_json pretty-prints them inside an array at `depth` (two
/// spaces per level), each preceded by `,\n` and its indent. Written straight at that depth by
/// [`PrettyAt`], not pretty-printed and then indented line by line (that second pass was a
/// sixth of writing a large assessment).
fn pretty_items<T: Serialize>(items: &[T], depth: usize) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::new();
    for item in items {
        out.extend_from_slice(b",\n");
        write_indent(&mut out, depth).map_err(serde_json::Error::io)?;
        let mut serializer = serde_json::Serializer::with_formatter(
            &mut out,
            PrettyAt {
                depth,
                has_value: false,
            },
        );
        item.serialize(&mut serializer)?;
    }
    Ok(out)
}

/// serde_json's `PrettyFormatter` (two spaces a level), starting `depth` levels deep: the same
/// bytes as pretty-printing a value and putting `depth` levels of indent after each newline.
struct PrettyAt {
    depth: usize,
    has_value: bool,
}

fn write_indent<W: ?Sized + std::io::Write>(out: &mut W, depth: usize) -> std::io::Result<()> {
    for _ in 0..depth {
        out.write_all(b"  ")?;
    }
    Ok(())
}

impl PrettyAt {
    /// An array or object opens one level deeper.
    fn open<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        out.write_all(bracket)
    }

    /// It closes on a line of its own when it holds anything.
    fn close<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth = self.depth.saturating_sub(1);
        if self.has_value {
            out.write_all(b"\n")?;
            write_indent(out, self.depth)?;
        }
        out.write_all(bracket)
    }

    /// Each item or key starts a line.
    fn next_line<W: ?Sized + std::io::Write>(
        &self,
        out: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        out.write_all(if first { b"\n" } else { b",\n" })?;
        write_indent(out, self.depth)
    }
}

impl serde_json::ser::Formatter for PrettyAt {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.open(out, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.close(out, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.next_line(out, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _out: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.open(out, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.close(out, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.next_line(out, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
    ) -> std::io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        _out: &mut W,
    ) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// The ATT&CK release of an assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttackInfo {
    /// `enterprise`, `mobile` or `ics`.
    pub domain: String,
    /// e.g. `18.1`; `null` when the bundle does not say.
    pub version: Option<String>,
    /// The collection's name, e.g. `Enterprise ATT&CK`.
    pub name: String,
}

/// An inventory file that was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// As given on the command line.
    pub path: String,
    /// SHA-256 of its bytes, lowercase hex.
    pub sha256: String,
}

/// An ATT&CK object named by ID and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NamedRef {
    /// ATT&CK ID, e.g. `G0016`.
    pub id: String,
    /// Display name, e.g. `APT29`.
    pub name: String,
}

/// What was assessed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScopeInfo {
    /// Platforms in scope (bundle spelling, sorted).
    pub platforms: Vec<String>,
    /// Techniques excluded by the inventory, sorted by ID.
    pub exclusions: Vec<ExclusionInfo>,
    /// Threats that weight scores and gaps.
    pub threats: ThreatSelection,
}

/// A technique the inventory takes out of scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExclusionInfo {
    /// ATT&CK ID; excluding a parent excludes its sub-techniques.
    pub id: String,
    /// Technique name.
    pub name: String,
    /// Why, as the inventory says.
    pub reason: String,
    /// `file:line` where the exclusion is written.
    pub at: String,
}

/// The selected threats, each list sorted by ID.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ThreatSelection {
    /// Groups (`G....`).
    pub groups: Vec<NamedRef>,
    /// Campaigns (`C....`).
    pub campaigns: Vec<NamedRef>,
    /// Software (`S....`).
    pub software: Vec<NamedRef>,
    /// Threat profiles from files (`scope.threats.profiles`), sorted by name; left out of
    /// the document when there is none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<ProfileInfo>,
}

/// A threat profile as assessment.json lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileInfo {
    /// Its label: the entry's `name`, else the file name.
    pub name: String,
    /// The file as the inventory writes it (relative to the inventory file).
    pub path: String,
    /// The format it was read as (`auto` resolved).
    pub format: ProfileFormat,
    /// Its threat weight.
    pub weight: f64,
    /// How many techniques it uses (as listed; a parent counts once).
    pub techniques: usize,
}

/// How assessment.json lists a profile: the path as the inventory writes it (the parser
/// joined it to the inventory file's folder; an absolute path stays as it is), so the
/// document does not depend on the folder covmap ran in.
pub(crate) fn profile_info(profile: &crate::inventory::ThreatProfile) -> ProfileInfo {
    let folder = profile
        .location
        .path
        .parent()
        .unwrap_or(std::path::Path::new(""));
    let written = profile.path.strip_prefix(folder).unwrap_or(&profile.path);
    ProfileInfo {
        name: profile.name.clone(),
        // `/` on every system: the document is the same wherever it is written.
        path: if written.is_absolute() {
            written.display().to_string()
        } else {
            written
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/")
        },
        format: profile.format,
        weight: profile.weight,
        techniques: profile.uses.len(),
    }
}

impl ThreatSelection {
    /// No threat selected.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
            && self.campaigns.is_empty()
            && self.software.is_empty()
            && self.profiles.is_empty()
    }

    /// Every selected threat with its kind: groups, then campaigns, then software.
    pub fn all(&self) -> impl Iterator<Item = (ActorKind, &NamedRef)> {
        let groups = self.groups.iter().map(|r| (ActorKind::Group, r));
        let campaigns = self.campaigns.iter().map(|r| (ActorKind::Campaign, r));
        let software = self.software.iter().map(|r| (ActorKind::Software, r));
        groups.chain(campaigns).chain(software)
    }
}

/// The kinds of ATT&CK object that can be a threat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorKind {
    /// A group (`intrusion-set`).
    Group,
    /// A campaign.
    Campaign,
    /// Malware or a tool.
    Software,
}

impl ActorKind {
    /// The ATT&CK model kind.
    pub fn kind(self) -> Kind {
        match self {
            ActorKind::Group => Kind::Group,
            ActorKind::Campaign => Kind::Campaign,
            ActorKind::Software => Kind::Software,
        }
    }

    /// The actor kind of a model kind, if it is one.
    pub fn of(kind: Kind) -> Option<ActorKind> {
        match kind {
            Kind::Group => Some(ActorKind::Group),
            Kind::Campaign => Some(ActorKind::Campaign),
            Kind::Software => Some(ActorKind::Software),
            _ => None,
        }
    }
}

/// A value per function.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionTotals {
    /// Alerting.
    pub detect: f64,
    /// Preventing.
    pub protect: f64,
    /// Containing and recovering.
    pub respond: f64,
    /// Telemetry without alerting.
    pub visibility: f64,
}

impl FunctionTotals {
    /// The value of one function.
    pub fn get(&self, function: Function) -> f64 {
        match function {
            Function::Detect => self.detect,
            Function::Protect => self.protect,
            Function::Respond => self.respond,
            Function::Visibility => self.visibility,
        }
    }
}

/// Numbers of techniques.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Active leaf techniques (sub-techniques and techniques without sub-techniques).
    pub leaves: usize,
    /// Leaves in scope: the units of every mean.
    pub in_scope: usize,
    /// Leaves out of scope (excluded, or no platform in scope).
    pub excluded: usize,
    /// Active techniques with active sub-techniques.
    pub parents: usize,
    /// Leaves in scope by display level.
    pub by_level: LevelCounts,
}

/// Numbers of leaves in scope at each display level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelCounts {
    /// Score 0.
    pub none: usize,
    /// Above 0, below the `medium` threshold.
    pub low: usize,
    /// From `medium`, below `high`.
    pub medium: usize,
    /// From `high`.
    pub high: usize,
}

impl LevelCounts {
    fn add(&mut self, level: CoverageLevel) {
        match level {
            CoverageLevel::None => self.none += 1,
            CoverageLevel::Low => self.low += 1,
            CoverageLevel::Medium => self.medium += 1,
            CoverageLevel::High => self.high += 1,
        }
    }
}

/// One tactic (a matrix column).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TacticResult {
    /// ATT&CK ID, e.g. `TA0002`.
    pub id: String,
    /// Shortname techniques refer to, e.g. `execution`.
    pub shortname: String,
    /// Display name.
    pub name: String,
    /// Mean score of its leaves in scope (0 when it has none).
    pub score: f64,
    /// Threat-weighted mean; `null` without threats or when its weights sum to 0.
    pub score_weighted: Option<f64>,
    /// Its leaves in scope.
    pub leaves: usize,
    /// Its leaves out of scope.
    pub excluded: usize,
    /// Its leaves in scope by display level.
    pub by_level: LevelCounts,
    /// Its top-level techniques (parents and techniques without sub-techniques), in and out of
    /// scope, sorted by ID; a parent's sub-techniques are in its `subtechniques`.
    pub techniques: Vec<String>,
}

/// Scores of one function for one technique.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionResult {
    /// Mean over the technique's platforms in scope (uncovered platforms count 0).
    pub score: f64,
    /// Score per platform in scope.
    pub platforms: BTreeMap<String, f64>,
}

/// Per-function scores of one technique.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionResults {
    /// Alerting.
    pub detect: FunctionResult,
    /// Preventing.
    pub protect: FunctionResult,
    /// Containing and recovering.
    pub respond: FunctionResult,
    /// Telemetry without alerting.
    pub visibility: FunctionResult,
}

impl FunctionResults {
    /// The result of one function.
    pub fn get(&self, function: Function) -> &FunctionResult {
        match function {
            Function::Detect => &self.detect,
            Function::Protect => &self.protect,
            Function::Respond => &self.respond,
            Function::Visibility => &self.visibility,
        }
    }

    fn get_mut(&mut self, function: Function) -> &mut FunctionResult {
        match function {
            Function::Detect => &mut self.detect,
            Function::Protect => &mut self.protect,
            Function::Respond => &mut self.respond,
            Function::Visibility => &mut self.visibility,
        }
    }
}

/// What one capability contributes to one technique for one function.
///
/// The strings are shared (`Arc<str>`): a large inventory has hundreds of thousands of
/// contributions naming the same capabilities, platforms and entries, and sharing them keeps
/// building and dropping the document cheap. They serialise as plain JSON strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// Capability id.
    pub id: Arc<str>,
    /// Capability name. Not written to `assessment.json`: the capability list holds each name
    /// once (a long name repeated per technique made the document grow with techniques times
    /// capabilities); [`Assessment::restore_names`] fills it in when a document is read back.
    #[serde(skip_serializing, default)]
    pub name: Arc<str>,
    /// The function.
    pub function: Function,
    /// Its highest entry value (level x confidence) on any of the technique's platforms in
    /// scope (the per-platform effect is in the technique's `functions`).
    pub value: f64,
    /// `file:line` of each entry that applies, sorted by file and line.
    pub entries: Vec<Arc<str>>,
}

/// A threat profile that uses a technique.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileUseRef {
    /// The profile's name.
    pub name: String,
    /// Its use of the technique, in (0, 1] (before the profile's weight).
    pub value: f64,
    /// Whether the use is the profile's own rather than only through software.
    pub direct: bool,
}

/// One technique: a leaf or a parent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TechniqueResult {
    /// ATT&CK ID.
    pub id: String,
    /// Display name.
    pub name: String,
    /// A unit of scoring: a sub-technique, or a technique without sub-techniques.
    pub leaf: bool,
    /// The parent's ID, for sub-techniques.
    pub parent: Option<String>,
    /// Active sub-techniques, for parents, sorted by ID.
    pub subtechniques: Vec<String>,
    /// Shortnames of its matrix tactics, in matrix order.
    pub tactics: Vec<String>,
    /// Its platforms that are in scope, sorted.
    pub platforms: Vec<String>,
    /// Whether it counts.
    pub in_scope: bool,
    /// Why it does not count: the exclusion's reason, `no platform in scope`, or for parents
    /// `no sub-technique in scope`.
    pub exclusion_reason: Option<String>,
    /// Headline score in [0, 1]; for parents the roll-up of their sub-techniques. Techniques
    /// out of scope carry the score they would have, for information.
    pub score: f64,
    /// Display level of `score`.
    pub level: CoverageLevel,
    /// Per-function and per-platform scores.
    pub functions: FunctionResults,
    /// Threat weight: Σ over the selected threats that use it of (threat weight x use), a use
    /// being 1 when direct and `scoring.threat_software_factor` through software only; 1 for
    /// every technique without threats. Format 1 and 2 documents hold the number of threats
    /// using it by any route.
    pub weight: f64,
    /// Selected threats that use it directly (a group itself or a campaign attributed to it; a
    /// profile's own use). 0 in format 1 and 2 documents.
    #[serde(default)]
    pub direct_threats: u32,
    /// Active ATT&CK groups of the bundle that use it by any route (for a parent, one of its
    /// sub-techniques), whatever the selection. 0 in format 1 and 2 documents.
    #[serde(default)]
    pub prevalence: u32,
    /// Threat profiles (`scope.threats.profiles`) that use it, by name, with their use: they
    /// are part of `weight` like the ATT&CK threats. Absent when none does.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threat_profiles: Vec<ProfileUseRef>,
    /// `weight x (1 - score)` in scope, 0 out of scope.
    pub gap_priority: f64,
    /// Leaves only, when the inventory has telemetry: visibility derived from the collected
    /// logs (mean over its platforms in scope, and per platform), already part of the
    /// `visibility` function, which takes the larger of it and the typed entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_visibility: Option<FunctionResult>,
    /// Leaves only: the capabilities that apply, by function then id. Parents list none: see
    /// their sub-techniques.
    pub capabilities: Vec<Contribution>,
    /// Parents only: entries that name the parent without `include_subtechniques`. They are
    /// shown but never score.
    pub parent_evidence: Vec<Contribution>,
    /// Leaves only: ids of capabilities that claim the parent without `include_subtechniques`
    /// and say nothing that applies to this sub-technique ("covered at parent level only:
    /// verify per sub-technique").
    pub parent_level_only: Vec<String>,
}

/// One capability of the inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapabilitySummary {
    /// Unique id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Vendor.
    pub vendor: Option<String>,
    /// Status.
    pub status: Status,
    /// The system it belongs to (its own id unless the inventory says): capabilities of one
    /// system combine by max. Empty in documents written before covmap knew systems.
    #[serde(default)]
    pub system: String,
    /// Whether it counts in this assessment (its status is included).
    pub counted: bool,
    /// Platforms it runs on, sorted.
    pub platforms: Vec<String>,
    /// Yearly cost.
    pub cost: Option<Cost>,
    /// Owning team.
    pub owner: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Number of coverage entries.
    pub entries: usize,
    /// Leaves in scope on which it has an entry above 0 on a platform in scope (any function),
    /// whether it counts or not.
    pub leaves_covered: usize,
    /// `file:line` where it starts.
    pub at: String,
}

/// Scores `inventory` against `attack`.
///
/// `inventory` is the validated model (technique references are positions in
/// [`Attack::techniques`]); references that are out of range or inactive are skipped, never a
/// panic.
pub fn assess(attack: &Attack, inventory: &Inventory, options: &AssessOptions) -> Assessment {
    let engine = Engine::new(attack, inventory, options);
    let counted: Vec<&Capability> = inventory
        .capabilities
        .iter()
        .filter(|c| options.counts(c.status))
        .collect();
    let scores = engine.score(&counted);
    engine.assessment(&scores, &counted, options)
}

/// Rounds to 6 decimals, the precision of every float in an [`Assessment`].
pub fn round6(x: f64) -> f64 {
    if x.is_finite() {
        // `+ 0.0` turns -0 into 0, so that no document or table shows `-0`.
        (x * 1e6).round() / 1e6 + 0.0
    } else {
        0.0
    }
}

/// A threat weight for display: at most 3 decimals, without trailing zeros (`2`, `1.5`,
/// `0.333`), so that the integer weights of simple selections read as before.
pub fn weight_label(weight: f64) -> String {
    let text = format!("{:.3}", round6(weight));
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// `file:line` of a location.
pub(crate) fn at(location: &crate::diagnostic::Location) -> String {
    format!("{}:{}", location.path.display(), location.line)
}

#[cfg(test)]
mod tests {
    use super::pretty_items;

    /// What [`pretty_items`] replaced: each item pretty-printed, then indented after every
    /// newline.
    fn indented_afterwards(items: &[serde_json::Value], depth: usize) -> Vec<u8> {
        let indent = "  ".repeat(depth);
        let mut out = Vec::new();
        for item in items {
            let text = serde_json::to_vec_pretty(item).expect("serialises");
            out.extend_from_slice(b",\n");
            out.extend_from_slice(indent.as_bytes());
            let mut lines = text.split(|&b| b == b'\n');
            out.extend_from_slice(lines.next().unwrap_or_default());
            for line in lines {
                out.push(b'\n');
                out.extend_from_slice(indent.as_bytes());
                out.extend_from_slice(line);
            }
        }
        out
    }

    #[test]
    fn items_are_written_at_their_depth_as_pretty_printing_then_indenting_would() {
        let items: Vec<serde_json::Value> = serde_json::from_str(
            r#"[{"id": "T1059", "score": 0.5, "empty": [], "none": {}, "list": [1, [2, []], {"a": null}],
                "text": "a \"quoted\"\nline"}, [], {}, "plain", 3, [[{}]]]"#,
        )
        .expect("valid JSON");
        for depth in [0, 1, 2, 5] {
            let direct = pretty_items(&items, depth).expect("serialises");
            assert_eq!(
                String::from_utf8(direct).expect("UTF-8"),
                String::from_utf8(indented_afterwards(&items, depth)).expect("UTF-8"),
                "depth {depth}"
            );
        }
    }
}
