//! `covmap plan`: the next best actions, ranked greedily by threat-weighted gain per cost.
//!
//! Actions (docs/scoring.md, "Plan"):
//! - **candidate**: deploy a capability whose status does not count yet (candidate or planned,
//!   unless `--include` already counts it); cost its `cost.annual`;
//! - **mitigation**: implement an ATT&CK mitigation, a what-if: a protect entry at
//!   `plan.mitigation_level` with confidence claimed on every in-scope leaf the mitigation
//!   addresses directly (the same `mitigates` relationships `gaps` lists), as a capability of
//!   its own; cost from `plan.costs`, else unknown;
//! - **log-source** (with a `telemetry:` section): onboard a log source (name and channel) that
//!   would make at least one analytic feasible, a what-if: the source is assumed collected (as
//!   the onboarding list assumes, [`crate::onboarding::source_actions`]) and each analytic it
//!   makes feasible built, a detect entry at `plan.analytic_level` with confidence claimed on
//!   the in-scope leaves its detection strategies detect, on the in-scope platforms where it
//!   becomes feasible; cost from `plan.costs` by log-source name, else unknown. Each source is
//!   judged alone on top of the telemetry collected now;
//! - **test** (with Atomic Red Team tests): run the tests of one leaf technique, raising every
//!   untested claim of a counted capability on it to `tested` where a test exists on one of the
//!   platforms the claim applies on; cost 0.
//!
//! Greedy order: free actions (cost 0) by weighted gain, then costed actions by weighted gain
//! per cost, then actions without a known cost by weighted gain; ties by gain, kind, id. An
//! action without weighted gain is never listed. After each pick only the leaves the picked
//! action touches are re-scored, and only the other actions touching those leaves have their
//! gain recomputed. Leaves are scored by the assessment engine itself, and the overall figures
//! are summed as the engine sums them, so the cumulative figures equal an assessment of the
//! inventory with the actions applied (tests/it/plan.rs checks it).

#![allow(
    clippy::indexing_slicing,
    reason = "node, action and capability positions into vectors built here from the engine's own tree"
)]

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use covmap_core::Attack;
use serde::{Deserialize, Serialize};

use crate::diagnostic::Location;
use crate::inventory::{
    Capability, Confidence, CoverageEntry, Function, Inventory, Level, NamedLevel, Status,
};
use crate::onboarding::{SourceAction, TelemetryOptions, source_actions};
use crate::score::{AssessOptions, Engine, Hit, Hits, round6};

/// Prefix of the ids of the capabilities that stand for mitigations (`mitigation:M1026`).
pub const MITIGATION_PREFIX: &str = "mitigation:";

/// Prefix of the ids of the capabilities that stand for log sources onboarded.
pub const LOG_SOURCE_PREFIX: &str = "log-source:";

/// Suffix of the names of the capabilities that stand for mitigations.
const WHAT_IF: &str = " (what-if)";

/// A leaf's rise at or below this is no rise (floating-point noise of re-scoring).
const NO_GAIN: f64 = 1e-12;

/// The smallest rise of a mean score that is listed: half the last of the 6 decimals every
/// score is rounded to, so that no action is listed with a gain of 0.000000.
const MIN_MEAN_GAIN: f64 = 5e-7;

/// Atomic Red Team tests by technique ID (upper case): the ATT&CK platforms they run on.
pub type AtomicIndex = BTreeMap<String, BTreeSet<String>>;

/// What to plan.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Which capabilities count as current coverage (the others, but retired, are candidates).
    pub assess: AssessOptions,
    /// Stop when the next costed action would take the spending above this.
    pub budget: Option<f64>,
    /// At most this many actions.
    pub top: Option<usize>,
    /// Atomic Red Team tests: with them, test actions are considered.
    pub atomics: Option<AtomicIndex>,
}

/// The kind of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionKind {
    /// Deploy a candidate or planned capability.
    Candidate,
    /// Implement an ATT&CK mitigation (a what-if at `plan.mitigation_level`, confidence claimed).
    Mitigation,
    /// Run the Atomic Red Team tests of a technique: its untested claims become tested.
    Test,
    /// Onboard a log source and build the analytics it makes feasible (a what-if at
    /// `plan.analytic_level`, confidence claimed).
    #[serde(rename = "log-source")]
    LogSource,
}

impl ActionKind {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Candidate => "candidate",
            ActionKind::Mitigation => "mitigation",
            ActionKind::Test => "test",
            ActionKind::LogSource => "log-source",
        }
    }
}

/// The coverage before any action.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Mean score of the leaves in scope, as `assessment.json`'s `overall`.
    pub overall: f64,
    /// Threat-weighted mean; `null` without threats.
    pub overall_weighted: Option<f64>,
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanAction {
    /// 1-based position.
    pub rank: usize,
    /// What kind of action.
    pub kind: ActionKind,
    /// Capability id, mitigation ID, technique ID or log-source name.
    pub id: String,
    /// Capability, mitigation or technique name; for a log source `onboard log source NAME
    /// (channel CHANNEL)`.
    pub name: String,
    /// The channel of a log-source action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The analytics a log-source action assumes built (those it makes feasible), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub analytics: Vec<String>,
    /// Yearly cost; `null` when unknown.
    pub cost: Option<f64>,
    /// Rise of the overall score it brings, after the actions before it.
    pub gain: f64,
    /// Rise of the threat-weighted score; `null` without threats.
    pub weighted_gain: Option<f64>,
    /// Overall score with this action and those before it.
    pub cumulative_overall: f64,
    /// Threat-weighted score with this action and those before it; `null` without threats.
    pub cumulative_weighted: Option<f64>,
    /// Leaves in scope whose score it raises, sorted by ID.
    pub techniques: Vec<String>,
}

/// A ranked plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Coverage before the plan.
    pub baseline: Baseline,
    /// The budget given, if any.
    pub budget: Option<f64>,
    /// Sum of the known costs of the actions listed.
    pub spent: f64,
    /// The actions, in order.
    pub actions: Vec<PlanAction>,
    /// What mitigation actions assume, for labels (`what-if: protect at partial, ...`); not
    /// part of the JSON document.
    #[serde(skip)]
    pub mitigation_assumption: String,
    /// What log-source actions assume, for labels; not part of the JSON document.
    #[serde(skip)]
    pub log_source_assumption: String,
    /// What the reader must know about the actions considered (why there is no log-source
    /// action).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Why a plan could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// Costs in several currencies cannot be compared.
    #[error("capability costs are in several currencies ({}): gain per cost cannot compare them", .0.join(", "))]
    MixedCurrencies(Vec<String>),
    /// A capability uses an id reserved for mitigation actions.
    #[error(
        "capability id `{0}` starts with `mitigation:`, which `covmap plan` reserves for ATT&CK mitigations"
    )]
    ReservedId(String),
}

/// One action under consideration.
struct Candidate {
    kind: ActionKind,
    id: String,
    name: String,
    channel: Option<String>,
    analytics: Vec<String>,
    cost: Option<f64>,
    /// The leaves it touches (sorted nodes) and the hits it adds to each.
    leaves: Vec<(usize, Vec<Hit>)>,
    /// Per touched leaf: the score with the action, minus the current score.
    delta: Vec<f64>,
    /// Per touched leaf: whether `delta` is out of date (another action changed the leaf).
    stale: Vec<bool>,
    /// Whether any `delta` is out of date: `gain` and `weighted` are then upper bounds.
    dirty: bool,
    /// Σ delta.
    gain: f64,
    /// Σ weight x delta.
    weighted: f64,
}

impl Candidate {
    /// An action touching nothing yet.
    fn new() -> Candidate {
        Candidate {
            kind: ActionKind::Candidate,
            id: String::new(),
            name: String::new(),
            channel: None,
            analytics: Vec::new(),
            cost: None,
            leaves: Vec::new(),
            delta: Vec::new(),
            stale: Vec::new(),
            dirty: true,
            gain: 0.0,
            weighted: 0.0,
        }
    }

    /// Re-scores the stale leaves and sums the gains again.
    fn refresh(&mut self, state: &mut State<'_, '_>) {
        if self.delta.len() != self.leaves.len() {
            self.delta = vec![0.0; self.leaves.len()];
            self.stale = vec![true; self.leaves.len()];
        }
        for (i, (n, hits)) in self.leaves.iter().enumerate() {
            if self.stale[i] {
                self.delta[i] = state.score_with(*n, hits) - state.scores[*n];
                self.stale[i] = false;
            }
        }
        self.gain = 0.0;
        self.weighted = 0.0;
        for ((n, _), d) in self.leaves.iter().zip(&self.delta) {
            self.gain += d;
            self.weighted += state.weights[*n] * d;
        }
        self.dirty = false;
    }

    /// Whether it raises the overall or the threat-weighted score by at least `min` (sums
    /// over the leaves: `min.0` for Σ Δscore, `min.1` for Σ weight x Δscore).
    fn raises(&self, min: (f64, f64)) -> bool {
        self.gain >= min.0 || self.weighted >= min.1
    }

    /// The greedy key within its tier: weighted gain per cost, or weighted gain.
    fn key(&self) -> f64 {
        match self.cost {
            Some(c) if c > 0.0 => self.weighted / c,
            _ => self.weighted,
        }
    }

    /// Tier of the greedy order: free, costed, cost unknown.
    fn tier(&self) -> u8 {
        match self.cost {
            Some(c) if c <= 0.0 => 0,
            Some(_) => 1,
            None => 2,
        }
    }
}

/// The running state: hits and scores per node, and the overall figures.
struct State<'e, 'a> {
    engine: &'e Engine<'a>,
    hits: Vec<Vec<Hit>>,
    table: Vec<Vec<u16>>,
    scores: Vec<f64>,
    weights: Vec<f64>,
    scratch: Vec<Hit>,
    arena: Vec<u32>,
}

impl State<'_, '_> {
    /// The score of node `n` with `extra` hits added.
    fn score_with(&mut self, n: usize, extra: &[Hit]) -> f64 {
        self.scratch.clear();
        self.scratch.extend_from_slice(&self.hits[n]);
        self.scratch.extend_from_slice(extra);
        self.arena.clear();
        let node = &self.engine.nodes[n];
        self.engine
            .score_leaf(node, &mut self.scratch, &self.table, &mut self.arena)
            .score
    }

    /// Overall and weighted overall, summed in node order exactly as the engine sums them.
    fn overall(&self) -> (f64, Option<f64>) {
        let mut sum = 0.0;
        let mut count = 0usize;
        let mut weighted = 0.0;
        let mut weights = 0.0;
        for (n, node) in self.engine.nodes.iter().enumerate() {
            if node.leaf && node.in_scope {
                sum += self.scores[n];
                count += 1;
                weighted += self.weights[n] * self.scores[n];
                weights += self.weights[n];
            }
        }
        let clamp = |x: f64| if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) };
        let overall = if count == 0 {
            0.0
        } else {
            clamp(sum / count as f64)
        };
        let weighted =
            (self.engine.has_threats() && weights > 0.0).then(|| clamp(weighted / weights));
        (overall, weighted)
    }
}

/// Ranks the actions of `inventory` (see the module documentation).
#[allow(
    clippy::too_many_lines,
    reason = "the actions of every kind gathered, scored by one pass of the engine, then ranked, in one place"
)]
pub fn plan(
    attack: &Attack,
    inventory: &Inventory,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let engine = Engine::new(attack, inventory, &options.assess);
    let counted: Vec<&Capability> = inventory
        .capabilities
        .iter()
        .filter(|c| options.assess.counts(c.status))
        .collect();
    if let Some(c) = inventory
        .capabilities
        .iter()
        .find(|c| c.id.starts_with(MITIGATION_PREFIX) || c.id.starts_with(LOG_SOURCE_PREFIX))
    {
        return Err(PlanError::ReservedId(c.id.clone()));
    }
    let candidates: Vec<&Capability> = inventory
        .capabilities
        .iter()
        .filter(|c| c.status != Status::Retired && !options.assess.counts(c.status))
        .collect();
    let currencies: BTreeSet<&str> = candidates
        .iter()
        .filter_map(|c| c.cost.as_ref().map(|cost| cost.currency.as_str()))
        .collect();
    if currencies.len() > 1 {
        return Err(PlanError::MixedCurrencies(
            currencies.into_iter().map(str::to_string).collect(),
        ));
    }
    let mitigations = mitigation_capabilities(attack, &engine, inventory);
    let mut notes = Vec::new();
    let sources = log_source_capabilities(attack, inventory, options, &mut notes);

    // One pass of the engine over everything: ranks are then those of the whole universe,
    // whose relative order is the order of any subset an assessment would rank.
    let mut universe: Vec<&Capability> = counted.clone();
    universe.extend(candidates.iter().copied());
    universe.extend(mitigations.iter().map(|(_, c)| c));
    universe.extend(sources.iter().map(|(_, c)| c));
    let Hits {
        leaves: all_hits,
        platforms: table,
        ..
    } = engine.collect_hits(&universe);

    let base_len = counted.len();
    let mut actions: Vec<Candidate> = candidates
        .iter()
        .map(|c| Candidate {
            kind: ActionKind::Candidate,
            id: c.id.clone(),
            name: c.name.clone(),
            cost: c.cost.as_ref().map(|cost| cost.annual),
            ..Candidate::new()
        })
        .chain(mitigations.iter().map(|(mid, c)| Candidate {
            kind: ActionKind::Mitigation,
            id: mid.clone(),
            name: c.name.strip_suffix(WHAT_IF).unwrap_or(&c.name).to_string(),
            cost: inventory.plan.costs.get(mid).copied(),
            ..Candidate::new()
        }))
        .chain(sources.iter().map(|(s, _)| Candidate {
            kind: ActionKind::LogSource,
            id: s.name.clone(),
            name: format!("onboard log source {} (channel {})", s.name, s.channel),
            channel: Some(s.channel.clone()),
            analytics: s.analytics.iter().map(|a| a.id.clone()).collect(),
            cost: log_source_cost(&inventory.plan.costs, &s.name),
            ..Candidate::new()
        }))
        .collect();
    let has_threats = engine.has_threats();
    let mut state = State {
        engine: &engine,
        hits: vec![Vec::new(); engine.nodes.len()],
        table,
        scores: vec![0.0; engine.nodes.len()],
        weights: engine
            .nodes
            .iter()
            .map(|node| node.weight(has_threats))
            .collect(),
        scratch: Vec::new(),
        arena: Vec::new(),
    };
    distribute(all_hits, base_len, &mut state, &mut actions);
    if let Some(atomics) = &options.atomics {
        actions.extend(test_actions(&engine, &universe, base_len, &state, atomics));
    }
    // Current scores of every leaf.
    for n in 0..engine.nodes.len() {
        if engine.nodes[n].leaf {
            state.scores[n] = state.score_with(n, &[]);
        }
    }
    let (overall, weighted) = state.overall();
    let baseline = Baseline {
        overall: round6(overall),
        overall_weighted: weighted.map(round6),
    };
    let (picked, spent) = greedy(&mut actions, &mut state, options);
    Ok(Plan {
        baseline,
        budget: options.budget,
        spent,
        actions: picked,
        mitigation_assumption: format!(
            "what-if: protect at {} with confidence claimed on the in-scope techniques ATT&CK says it mitigates",
            level_label(inventory.plan.mitigation_level)
        ),
        log_source_assumption: format!(
            "what-if: the log source collected and each analytic it makes feasible built, detect at {} with confidence claimed on the in-scope techniques of its detection strategies",
            level_label(inventory.plan.analytic_level)
        ),
        notes,
    })
}

/// Splits the universe's hits per leaf: those of the counted capabilities (positions below
/// `base_len`) are the current state; the others are the actions' effects on in-scope leaves.
fn distribute(
    all_hits: Vec<Vec<Hit>>,
    base_len: usize,
    state: &mut State<'_, '_>,
    actions: &mut [Candidate],
) {
    for (n, hits) in all_hits.into_iter().enumerate() {
        let node = &state.engine.nodes[n];
        if !node.leaf {
            continue;
        }
        let mut by_action: BTreeMap<usize, Vec<Hit>> = BTreeMap::new();
        for hit in hits {
            let cap = hit.cap as usize;
            if cap < base_len {
                state.hits[n].push(hit);
            } else if node.in_scope {
                by_action.entry(cap - base_len).or_default().push(hit);
            }
        }
        for (a, hits) in by_action {
            if let Some(action) = actions.get_mut(a) {
                action.leaves.push((n, hits));
            }
        }
    }
}

/// The greedy loop: the actions taken, in order, and the known costs spent.
fn greedy(
    actions: &mut [Candidate],
    state: &mut State<'_, '_>,
    options: &PlanOptions,
) -> (Vec<PlanAction>, f64) {
    let engine = state.engine;
    let has_threats = engine.has_threats();
    let (mut overall, mut weighted) = state.overall();
    // Which actions touch which leaf, and each action's deltas.
    let mut touching: Vec<Vec<(usize, usize)>> = vec![Vec::new(); engine.nodes.len()];
    for (a, action) in actions.iter_mut().enumerate() {
        for (i, (n, _)) in action.leaves.iter().enumerate() {
            touching[*n].push((a, i));
        }
        action.refresh(state);
    }

    // The sums that make a rise of MIN_MEAN_GAIN in the overall and weighted means.
    let (mut leaves, mut weights) = (0.0, 0.0);
    for (n, node) in engine.nodes.iter().enumerate() {
        if node.leaf && node.in_scope {
            leaves += 1.0;
            weights += state.weights[n];
        }
    }
    let min = (
        (MIN_MEAN_GAIN * leaves).max(NO_GAIN),
        (MIN_MEAN_GAIN * weights).max(NO_GAIN),
    );
    let mut open = vec![true; actions.len()];
    let mut picked = Vec::new();
    let mut spent = 0.0;
    let limit = options.top.unwrap_or(usize::MAX);
    while picked.len() < limit {
        let Some(best) = best_action(actions, &open, min) else {
            break;
        };
        // Lazy greedy: a gain only falls as coverage rises (noisy-or and max both give less
        // to a leaf already covered more), so an out-of-date gain is an upper bound. The best
        // by bounds is re-scored; if it is still the best, it is the best.
        if actions[best].dirty {
            actions[best].refresh(state);
            continue;
        }
        let action = &actions[best];
        if let (Some(budget), Some(cost)) = (options.budget, action.cost)
            && spent + cost > budget
        {
            break;
        }
        open[best] = false;
        let mut raised = Vec::new();
        for (i, (n, hits)) in action.leaves.iter().enumerate() {
            if action.delta[i] > NO_GAIN {
                raised.push(engine.id(*n).to_string());
            }
            state.hits[*n].extend_from_slice(hits);
            state.scores[*n] = state.score_with(*n, &[]);
        }
        raised.sort();
        let (after, after_weighted) = state.overall();
        spent += action.cost.unwrap_or(0.0);
        picked.push(PlanAction {
            rank: picked.len() + 1,
            kind: action.kind,
            id: action.id.clone(),
            name: action.name.clone(),
            channel: action.channel.clone(),
            analytics: action.analytics.clone(),
            cost: action.cost,
            gain: round6(after - overall),
            weighted_gain: match (after_weighted, weighted) {
                (Some(a), Some(b)) if has_threats => Some(round6(a - b)),
                _ => None,
            },
            cumulative_overall: round6(after),
            cumulative_weighted: after_weighted.map(round6),
            techniques: raised,
        });
        (overall, weighted) = (after, after_weighted);
        // Incremental re-scoring: only the other actions on the leaves just changed are out
        // of date, and only on those leaves (re-scored when they compete for a pick).
        let touched: Vec<usize> = actions[best].leaves.iter().map(|(n, _)| *n).collect();
        for n in touched {
            for &(a, i) in &touching[n] {
                if open[a] {
                    actions[a].stale[i] = true;
                    actions[a].dirty = true;
                }
            }
        }
    }
    (picked, spent)
}

/// The open action with the best greedy key (by its cached gains), if one raises coverage.
fn best_action(actions: &[Candidate], open: &[bool], min: (f64, f64)) -> Option<usize> {
    (0..actions.len())
        .filter(|&i| open[i] && actions[i].raises(min))
        .min_by(|&i, &j| {
            let (a, b) = (&actions[i], &actions[j]);
            a.tier()
                .cmp(&b.tier())
                .then_with(|| b.key().partial_cmp(&a.key()).unwrap_or(Ordering::Equal))
                .then_with(|| b.gain.partial_cmp(&a.gain).unwrap_or(Ordering::Equal))
                .then_with(|| a.kind.cmp(&b.kind))
                .then_with(|| a.id.cmp(&b.id))
        })
}

/// The capability a mitigation stands for: a protect entry at `plan.mitigation_level`, confidence
/// claimed, on the in-scope leaves it mitigates directly.
pub fn mitigation_capability(id: &str, name: &str, leaves: Vec<u32>, level: Level) -> Capability {
    let location = Location {
        path: std::sync::Arc::from(std::path::Path::new("plan")),
        line: 1,
        column: 1,
    };
    Capability {
        id: format!("{MITIGATION_PREFIX}{id}"),
        name: format!("{name}{WHAT_IF}"),
        vendor: None,
        status: Status::Deployed,
        system: None,
        platforms: Vec::new(),
        cost: None,
        owner: None,
        tags: Vec::new(),
        coverage: vec![CoverageEntry {
            techniques: leaves,
            function: Function::Protect,
            level,
            confidence: Some(Confidence::Claimed),
            evidence: None,
            tested_on: None,
            include_subtechniques: false,
            parent_level_by_choice: false,
            platforms: None,
            location: location.clone(),
        }],
        imports: Vec::new(),
        location,
    }
}

/// The cost of onboarding log source `name` from `plan.costs` (keys other than mitigation IDs
/// are log-source names, matched as telemetry matches them).
fn log_source_cost(costs: &BTreeMap<String, f64>, name: &str) -> Option<f64> {
    let key = crate::telemetry::source_key(name);
    costs
        .iter()
        .find(|(k, _)| crate::telemetry::source_key(k) == key)
        .map(|(_, c)| *c)
}

/// The capability a log source onboarded stands for: per analytic it makes feasible, a detect
/// entry at `plan.analytic_level`, confidence claimed, on the in-scope leaves of the analytic's
/// detection strategies, on the platforms where it becomes feasible.
pub fn log_source_capability(source: &SourceAction, level: Level) -> Capability {
    let location = Location {
        path: std::sync::Arc::from(std::path::Path::new("plan")),
        line: 1,
        column: 1,
    };
    Capability {
        id: format!("{LOG_SOURCE_PREFIX}{} {}", source.name, source.channel),
        name: format!("{} {}{WHAT_IF}", source.name, source.channel),
        vendor: None,
        status: Status::Deployed,
        system: None,
        platforms: Vec::new(),
        cost: None,
        owner: None,
        tags: Vec::new(),
        coverage: source
            .analytics
            .iter()
            .filter(|a| !a.techniques.is_empty())
            .map(|a| CoverageEntry {
                techniques: a.techniques.clone(),
                function: Function::Detect,
                level,
                confidence: Some(Confidence::Claimed),
                evidence: None,
                tested_on: None,
                include_subtechniques: false,
                parent_level_by_choice: false,
                platforms: Some(a.platforms.clone()),
                location: location.clone(),
            })
            .collect(),
        imports: Vec::new(),
        location,
    }
}

/// The log sources that would make an analytic feasible, as capabilities; a note in `notes`
/// when there can be none.
fn log_source_capabilities(
    attack: &Attack,
    inventory: &Inventory,
    options: &PlanOptions,
    notes: &mut Vec<String>,
) -> Vec<(SourceAction, Capability)> {
    if inventory.telemetry.is_empty() {
        notes.push(
            "no log-source action: the inventory has no `telemetry:` section, so what to onboard cannot be told from what is collected".to_string(),
        );
        return Vec::new();
    }
    if attack.analytics().is_empty() {
        notes.push(format!(
            "no log-source action: the ATT&CK bundle ({}) has no analytics (ATT&CK 18 or later names the log sources analytics need)",
            attack.version().unwrap_or("unknown version")
        ));
        return Vec::new();
    }
    let assessment = crate::score::assess(attack, inventory, &options.assess);
    let telemetry = TelemetryOptions {
        assess: options.assess.clone(),
        filtered_factor: inventory.scoring.filtered_factor(),
        onboarding_steps: None,
    };
    source_actions(attack, inventory, &assessment, &telemetry)
        .into_iter()
        .map(|s| {
            let capability = log_source_capability(&s, inventory.plan.analytic_level);
            (s, capability)
        })
        .filter(|(_, c)| !c.coverage.is_empty())
        .collect()
}

/// Every active mitigation with at least one in-scope leaf, by ID, as (ID, capability).
fn mitigation_capabilities(
    attack: &Attack,
    engine: &Engine<'_>,
    inventory: &Inventory,
) -> Vec<(String, Capability)> {
    let mut list: Vec<(String, Capability)> = attack
        .mitigations()
        .iter()
        .filter(|m| m.meta.is_active())
        .filter_map(|m| {
            let leaves: Vec<u32> = attack
                .mitigated_by(m)
                .into_iter()
                .map(|t| t.meta.key.index)
                .filter(|&t| {
                    engine
                        .node_of(t)
                        .is_some_and(|n| engine.nodes[n].leaf && engine.nodes[n].in_scope)
                })
                .collect();
            (!leaves.is_empty()).then(|| {
                let id = m.meta.id().to_string();
                let capability = mitigation_capability(
                    &id,
                    &m.meta.name,
                    leaves,
                    inventory.plan.mitigation_level,
                );
                (id, capability)
            })
        })
        .collect();
    list.sort_by(|a, b| a.0.cmp(&b.0));
    list.dedup_by(|a, b| a.0 == b.0);
    list
}

/// One test action per in-scope leaf with an untested claim of a counted capability and an
/// Atomic Red Team test on a platform the claim applies on.
fn test_actions(
    engine: &Engine<'_>,
    universe: &[&Capability],
    base_len: usize,
    state: &State<'_, '_>,
    atomics: &AtomicIndex,
) -> Vec<Candidate> {
    let default_confidence = engine.params.default_confidence();
    let mut out = Vec::new();
    for (n, node) in engine.nodes.iter().enumerate() {
        if !(node.leaf && node.in_scope) {
            continue;
        }
        let Some(tested_on) = atomics.get(engine.id(n)) else {
            continue;
        };
        let mut extra = Vec::new();
        for hit in &state.hits[n] {
            if hit.cap as usize >= base_len {
                continue;
            }
            let Some(entry) = universe
                .get(hit.cap as usize)
                .and_then(|c| c.coverage.get(hit.entry as usize))
            else {
                continue;
            };
            if entry.confidence.unwrap_or(default_confidence) == Confidence::Tested {
                continue;
            }
            let on_test_platform =
                state
                    .table
                    .get(hit.platforms as usize)
                    .is_some_and(|platforms| {
                        node.platforms.iter().any(|p| {
                            platforms.binary_search(p).is_ok()
                                && engine
                                    .platforms
                                    .get(usize::from(*p))
                                    .is_some_and(|name| tested_on.contains(name))
                        })
                    });
            if !on_test_platform {
                continue;
            }
            let tested = CoverageEntry {
                confidence: Some(Confidence::Tested),
                ..entry.clone()
            };
            let value = engine.entry_value(&tested);
            if value > hit.value {
                extra.push(Hit { value, ..*hit });
            }
        }
        if !extra.is_empty() {
            out.push(Candidate {
                kind: ActionKind::Test,
                id: engine.id(n).to_string(),
                name: engine.name(n).to_string(),
                cost: Some(0.0),
                leaves: vec![(n, extra)],
                ..Candidate::new()
            });
        }
    }
    out
}

/// The level of a mitigation action as text (`partial`, `0.4`), for labels.
pub fn level_label(level: Level) -> String {
    match level {
        Level::Named(NamedLevel::Minimal) => "minimal".to_string(),
        Level::Named(NamedLevel::Partial) => "partial".to_string(),
        Level::Named(NamedLevel::Significant) => "significant".to_string(),
        Level::Value(v) => v.to_string(),
    }
}
