//! Comparisons: what a candidate product would add to current coverage, and what retiring a
//! capability would lose.
//!
//! [`compare`] scores the inventory once for the baseline (the capabilities whose status the
//! options include, `deployed` by default), once per candidate on top of it (and once alone, for
//! the overlap and the head-to-head), once without the capabilities to retire, and once per
//! replacement (the baseline minus the old capability plus the new one).

#![allow(
    clippy::indexing_slicing,
    reason = "node positions into score trees of one engine, which all have its length"
)]

use std::collections::BTreeSet;

use covmap_core::Attack;
use serde::{Deserialize, Serialize};

use crate::inventory::{Capability, Cost, Inventory, Status};
use crate::score::{AssessOptions, Engine, Scores, round6};

/// One alternative to evaluate: a capability of the inventory (status candidate or planned),
/// or the capabilities of a separate inventory file describing one product.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// How to call it in the output: the capability id or the file name.
    pub label: &'a str,
    /// Its capabilities; they count whatever their status.
    pub capabilities: &'a [Capability],
}

/// Overall scores of one set of capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Mean score of the leaves in scope.
    pub overall: f64,
    /// Threat-weighted mean; `null` without threats.
    pub overall_weighted: Option<f64>,
}

/// A rise of at least one percentage point of a leaf's score counts as an improvement; a
/// smaller rise on a leaf already covered is redundant coverage.
pub const IMPROVED_AT_LEAST: f64 = 0.01;

/// A leaf, by ATT&CK ID and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leaf {
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
}

/// A leaf whose score changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeafChange {
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Score before.
    pub before: f64,
    /// Score after.
    pub after: f64,
}

/// What one candidate adds to the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateResult {
    /// As given on the command line: the capability id or the inventory file (the secondary
    /// label; it is unique among the candidates).
    pub label: String,
    /// What to call it: its capability's name, or its capabilities' names joined by ` + `.
    pub name: String,
    /// Ids of its capabilities.
    pub capabilities: Vec<String>,
    /// Scores with the candidate added to the baseline.
    pub after: Totals,
    /// `after.overall - baseline.overall`, in [0, 1] (100 x this = percentage points).
    pub gain: f64,
    /// Same for the weighted score; `null` without threats.
    pub gain_weighted: Option<f64>,
    /// Leaves in scope that go from 0 to above 0.
    pub newly_covered: Vec<LeafChange>,
    /// Leaves in scope already above 0 whose score rises by at least one point
    /// ([`IMPROVED_AT_LEAST`]).
    pub improved: Vec<LeafChange>,
    /// Leaves in scope the baseline already covers, that the candidate covers on its own (score
    /// above 0), and whose score rises by less than one point: coverage it duplicates.
    /// Disjoint from `newly_covered` and `improved`.
    pub redundant: Vec<LeafChange>,
    /// Sum of its capabilities' annual costs, when at least one gives a cost and all that do
    /// use the same currency.
    pub annual_cost: Option<Cost>,
    /// `annual_cost / (100 x gain)`: the cost of one percentage point of overall coverage;
    /// `null` without a cost or without a gain.
    pub cost_per_point: Option<f64>,
}

/// A capability whose retirement leaves techniques uncovered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SinglePoint {
    /// Capability id.
    pub capability: String,
    /// Capability name.
    pub name: String,
    /// Leaves in scope covered (headline score above 0) by this capability alone.
    pub leaves: Vec<LeafChange>,
}

/// What is lost when capabilities are retired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WithoutResult {
    /// Ids of counted capabilities taken out.
    pub removed: Vec<String>,
    /// Ids given that name no counted capability (unknown, or a status the baseline does not
    /// include).
    pub not_counted: Vec<String>,
    /// Scores without them.
    pub after: Totals,
    /// `baseline.overall - after.overall`, at least 0.
    pub drop: f64,
    /// Same for the weighted score.
    pub drop_weighted: Option<f64>,
    /// Leaves in scope that fall from above 0 to 0.
    pub fall_to_zero: Vec<LeafChange>,
    /// Leaves in scope that drop but stay above 0.
    pub weakened: Vec<LeafChange>,
    /// Per removed capability, the leaves only it covers in the baseline.
    pub single_points_of_failure: Vec<SinglePoint>,
}

/// One candidate in the head-to-head: what it covers that the other candidates do not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distinct {
    /// The candidate's label ([`CandidateResult::label`]).
    pub label: String,
    /// The candidate's name ([`CandidateResult::name`]).
    pub name: String,
    /// Leaves in scope it covers on its own (score above 0).
    pub covers: usize,
    /// Leaves in scope it covers and no other candidate does: `before` is the baseline score,
    /// `after` the score with this candidate added. Largest rise first.
    pub unique: Vec<LeafChange>,
    /// How many of `unique` rise by at least one point over the baseline (newly covered or
    /// improved): the part of its distinct coverage that is worth something here.
    pub unique_gains: usize,
}

/// Two candidates side by side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pair {
    /// Label of the first candidate (in the order given).
    pub a: String,
    /// Label of the second.
    pub b: String,
    /// Leaves in scope `a` covers and `b` does not.
    pub a_only: usize,
    /// Leaves in scope `b` covers and `a` does not.
    pub b_only: usize,
    /// Leaves in scope both cover.
    pub both: usize,
}

/// With two candidates or more: what each covers that the others do not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadToHead {
    /// Per candidate, in the order given.
    pub candidates: Vec<Distinct>,
    /// Leaves in scope every candidate covers, by ID.
    pub shared: Vec<Leaf>,
    /// Every pair of candidates, in the order given.
    pub pairs: Vec<Pair>,
}

/// One swap to evaluate: retire the counted capability `old`, deploy `new` in its place.
#[derive(Debug, Clone, Copy)]
pub struct Replacement<'a> {
    /// Id of a capability the baseline counts. One the baseline does not count takes nothing
    /// out (the CLI refuses it before calling).
    pub old: &'a str,
    /// What comes in.
    pub new: Candidate<'a>,
}

/// The net effect of one swap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplacementResult {
    /// Id of the capability retired.
    pub old: String,
    /// Its name.
    pub old_name: String,
    /// What comes in, as given (capability id or inventory file).
    pub new: String,
    /// Its name, as for a candidate.
    pub new_name: String,
    /// Ids of the capabilities that come in.
    pub new_capabilities: Vec<String>,
    /// Overall score after the swap: the score of the edited inventory.
    pub overall_after: f64,
    /// Threat-weighted score after the swap; `null` without threats.
    pub weighted_after: Option<f64>,
    /// `overall_after - baseline.overall` (negative: the swap loses coverage).
    pub change: f64,
    /// Same for the weighted score.
    pub change_weighted: Option<f64>,
    /// Leaves in scope that go from 0 to above 0.
    pub newly_covered: Vec<LeafChange>,
    /// Leaves in scope already covered whose score rises.
    pub improved: Vec<LeafChange>,
    /// Leaves in scope that fall from above 0 to 0.
    pub fall_to_zero: Vec<LeafChange>,
    /// Leaves in scope that drop but stay above 0.
    pub weakened: Vec<LeafChange>,
    /// Annual cost of the new minus that of the old (negative: a saving), when both give
    /// costs in one currency; `null` otherwise.
    pub annual_cost_change: Option<Cost>,
}

/// What [`compare_all`] evaluates against the baseline.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scenarios<'a> {
    /// Candidates, each added to the baseline on its own.
    pub candidates: &'a [Candidate<'a>],
    /// Counted capability ids to retire together.
    pub without: &'a [String],
    /// Swaps, each on its own.
    pub replacements: &'a [Replacement<'a>],
}

/// The result of [`compare`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Statuses counted in the baseline.
    pub include: Vec<Status>,
    /// Scores of the baseline.
    pub baseline: Totals,
    /// One result per candidate, in the order given.
    pub candidates: Vec<CandidateResult>,
    /// What retiring the `without` capabilities loses; `null` when none was given.
    pub without: Option<WithoutResult>,
    /// With two candidates or more, what each covers that the others do not; `null` otherwise.
    pub head_to_head: Option<HeadToHead>,
    /// One result per swap, in the order given.
    pub replacements: Vec<ReplacementResult>,
}

/// Compares candidates against the baseline (the capabilities `options` includes) and, when
/// `without` is not empty, the baseline against itself minus those capability ids.
///
/// A candidate capability equal to one the baseline already counts is not counted twice.
pub fn compare(
    attack: &Attack,
    inventory: &Inventory,
    options: &AssessOptions,
    candidates: &[Candidate<'_>],
    without: &[String],
) -> Comparison {
    compare_all(
        attack,
        inventory,
        options,
        &Scenarios {
            candidates,
            without,
            replacements: &[],
        },
    )
}

/// [`compare`], with replacements too.
pub fn compare_all(
    attack: &Attack,
    inventory: &Inventory,
    options: &AssessOptions,
    scenarios: &Scenarios<'_>,
) -> Comparison {
    let engine = Engine::new(attack, inventory, options);
    let baseline_caps: Vec<&Capability> = inventory
        .capabilities
        .iter()
        .filter(|c| options.counts(c.status))
        .collect();
    let baseline = engine.score(&baseline_caps);
    let mut results = Vec::with_capacity(scenarios.candidates.len());
    let mut alone_scores = Vec::with_capacity(scenarios.candidates.len());
    for candidate in scenarios.candidates {
        let (result, alone) = candidate_result(&engine, &baseline_caps, &baseline, candidate);
        results.push(result);
        alone_scores.push(alone);
    }
    let head_to_head =
        (results.len() >= 2).then(|| head_to_head(&engine, &baseline, &results, &alone_scores));
    let without = (!scenarios.without.is_empty())
        .then(|| without_result(&engine, &baseline_caps, &baseline, scenarios.without));
    let replacements = scenarios
        .replacements
        .iter()
        .map(|r| replacement_result(&engine, &baseline_caps, &baseline, r))
        .collect();
    Comparison {
        include: options.statuses(),
        baseline: totals(&baseline),
        candidates: results,
        without,
        head_to_head,
        replacements,
    }
}

fn totals(scores: &Scores) -> Totals {
    Totals {
        overall: round6(scores.overall),
        overall_weighted: scores.overall_weighted.map(round6),
    }
}

/// Rounded scores of the leaves in scope: (node, score).
fn leaf_scores(engine: &Engine<'_>, scores: &Scores) -> Vec<(usize, f64)> {
    engine
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, node)| node.leaf && node.in_scope)
        .map(|(n, _)| (n, round6(scores.nodes[n].score)))
        .collect()
}

fn change(engine: &Engine<'_>, n: usize, before: f64, after: f64) -> LeafChange {
    LeafChange {
        id: engine.id(n).to_string(),
        name: engine.name(n).to_string(),
        before,
        after,
    }
}

/// Largest change first, then by ID.
fn sort_changes(list: &mut [LeafChange]) {
    list.sort_by(|a, b| {
        (b.after - b.before)
            .abs()
            .total_cmp(&(a.after - a.before).abs())
            .then_with(|| a.id.cmp(&b.id))
    });
}

/// What to call a set of capabilities: their names joined by ` + `.
fn names(capabilities: &[Capability]) -> String {
    capabilities
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(" + ")
}

/// A rise that counts as an improvement (on rounded scores, so 0.01 exactly counts).
fn improves(before: f64, after: f64) -> bool {
    round6(after - before) >= IMPROVED_AT_LEAST
}

/// The result of one candidate, and its scores on its own (for the head-to-head).
fn candidate_result(
    engine: &Engine<'_>,
    baseline_caps: &[&Capability],
    baseline: &Scores,
    candidate: &Candidate<'_>,
) -> (CandidateResult, Scores) {
    let mut with: Vec<&Capability> = baseline_caps.to_vec();
    for c in candidate.capabilities {
        if !baseline_caps.contains(&c) {
            with.push(c);
        }
    }
    let after = engine.score(&with);
    let alone_caps: Vec<&Capability> = candidate.capabilities.iter().collect();
    let alone = engine.score(&alone_caps);

    let before_leaves = leaf_scores(engine, baseline);
    let mut newly_covered = Vec::new();
    let mut improved = Vec::new();
    let mut redundant = Vec::new();
    for (n, before) in before_leaves {
        let now = round6(after.nodes[n].score);
        if before <= 0.0 {
            if now > 0.0 {
                newly_covered.push(change(engine, n, before, now));
            }
        } else if improves(before, now) {
            improved.push(change(engine, n, before, now));
        } else if round6(alone.nodes[n].score) > 0.0 {
            redundant.push(change(engine, n, before, now));
        }
    }
    sort_changes(&mut newly_covered);
    sort_changes(&mut improved);
    sort_changes(&mut redundant);

    let gain = round6((after.overall - baseline.overall).max(0.0));
    let gain_weighted = match (after.overall_weighted, baseline.overall_weighted) {
        (Some(a), Some(b)) => Some(round6((a - b).max(0.0))),
        _ => None,
    };
    let annual_cost = total_cost(candidate.capabilities);
    let cost_per_point = annual_cost
        .as_ref()
        .filter(|_| gain > 0.0)
        .map(|cost| round6(cost.annual / (gain * 100.0)));
    let result = CandidateResult {
        label: candidate.label.to_string(),
        name: names(candidate.capabilities),
        capabilities: candidate
            .capabilities
            .iter()
            .map(|c| c.id.clone())
            .collect(),
        after: totals(&after),
        gain,
        gain_weighted,
        newly_covered,
        improved,
        redundant,
        annual_cost,
        cost_per_point,
    };
    (result, alone)
}

/// What each candidate covers (on its own, score above 0) that the others do not.
fn head_to_head(
    engine: &Engine<'_>,
    baseline: &Scores,
    results: &[CandidateResult],
    alone: &[Scores],
) -> HeadToHead {
    let leaves: Vec<usize> = engine
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, node)| node.leaf && node.in_scope)
        .map(|(n, _)| n)
        .collect();
    // covered[i][k]: candidate i covers leaf k.
    let covered: Vec<Vec<bool>> = alone
        .iter()
        .map(|scores| {
            leaves
                .iter()
                .map(|&n| round6(scores.nodes[n].score) > 0.0)
                .collect()
        })
        .collect();
    let mut candidates = Vec::with_capacity(results.len());
    for (i, result) in results.iter().enumerate() {
        // Before and after as the candidate's own result has them (changed leaves), else the
        // leaf is unchanged by it.
        let changes: std::collections::BTreeMap<&str, &LeafChange> = result
            .newly_covered
            .iter()
            .chain(&result.improved)
            .chain(&result.redundant)
            .map(|l| (l.id.as_str(), l))
            .collect();
        let mut unique = Vec::new();
        for (k, &n) in leaves.iter().enumerate() {
            let only = covered[i][k] && covered.iter().enumerate().all(|(j, c)| j == i || !c[k]);
            if !only {
                continue;
            }
            unique.push(changes.get(engine.id(n)).map_or_else(
                || {
                    // Not listed among its changes: its score stays the baseline's.
                    let before = round6(baseline.nodes[n].score);
                    change(engine, n, before, before)
                },
                |l| (*l).clone(),
            ));
        }
        sort_changes(&mut unique);
        let unique_gains = unique
            .iter()
            .filter(|l| improves(l.before, l.after))
            .count();
        candidates.push(Distinct {
            label: result.label.clone(),
            name: result.name.clone(),
            covers: covered[i].iter().filter(|c| **c).count(),
            unique,
            unique_gains,
        });
    }
    let mut shared: Vec<Leaf> = leaves
        .iter()
        .enumerate()
        .filter(|(k, _)| covered.iter().all(|c| c[*k]))
        .map(|(_, &n)| Leaf {
            id: engine.id(n).to_string(),
            name: engine.name(n).to_string(),
        })
        .collect();
    shared.sort_by(|a, b| a.id.cmp(&b.id));
    let mut pairs = Vec::new();
    for a in 0..results.len() {
        for b in a + 1..results.len() {
            let count = |f: &dyn Fn(bool, bool) -> bool| {
                (0..leaves.len())
                    .filter(|&k| f(covered[a][k], covered[b][k]))
                    .count()
            };
            pairs.push(Pair {
                a: results[a].label.clone(),
                b: results[b].label.clone(),
                a_only: count(&|x, y| x && !y),
                b_only: count(&|x, y| !x && y),
                both: count(&|x, y| x && y),
            });
        }
    }
    HeadToHead {
        candidates,
        shared,
        pairs,
    }
}

/// Sum of the annual costs given, when they share one currency.
fn total_cost(capabilities: &[Capability]) -> Option<Cost> {
    let costs: Vec<&Cost> = capabilities
        .iter()
        .filter_map(|c| c.cost.as_ref())
        .collect();
    let first = costs.first()?;
    if costs.iter().any(|c| c.currency != first.currency) {
        return None;
    }
    let annual: f64 = costs.iter().map(|c| c.annual).sum();
    annual.is_finite().then(|| Cost {
        annual,
        currency: first.currency.clone(),
    })
}

fn without_result(
    engine: &Engine<'_>,
    baseline_caps: &[&Capability],
    baseline: &Scores,
    without: &[String],
) -> WithoutResult {
    let ids: BTreeSet<&str> = without.iter().map(String::as_str).collect();
    let counted: BTreeSet<&str> = baseline_caps.iter().map(|c| c.id.as_str()).collect();
    let removed: Vec<String> = ids
        .iter()
        .filter(|id| counted.contains(**id))
        .map(|id| (*id).to_string())
        .collect();
    let not_counted: Vec<String> = ids
        .iter()
        .filter(|id| !counted.contains(**id))
        .map(|id| (*id).to_string())
        .collect();
    let kept: Vec<&Capability> = baseline_caps
        .iter()
        .copied()
        .filter(|c| !ids.contains(c.id.as_str()))
        .collect();
    let after = engine.score(&kept);

    let mut fall_to_zero = Vec::new();
    let mut weakened = Vec::new();
    for (n, before) in leaf_scores(engine, baseline) {
        let now = round6(after.nodes[n].score);
        if before > 0.0 && now <= 0.0 {
            fall_to_zero.push(change(engine, n, before, now));
        } else if now < before {
            weakened.push(change(engine, n, before, now));
        }
    }
    sort_changes(&mut fall_to_zero);
    sort_changes(&mut weakened);

    // Single points of failure: leaves whose headline coverage comes from one capability.
    let headline: BTreeSet<_> = engine.params.headline.functions.iter().copied().collect();
    let mut single_points_of_failure = Vec::new();
    for id in &removed {
        let mut leaves = Vec::new();
        for (n, before) in leaf_scores(engine, baseline) {
            if before <= 0.0 {
                continue;
            }
            let covering: BTreeSet<&str> = baseline.nodes[n]
                .contributions
                .iter()
                .filter(|c| c.value > 0.0 && headline.contains(&c.function))
                .filter_map(|c| baseline_caps.get(c.cap as usize).map(|cap| cap.id.as_str()))
                .collect();
            if covering.len() == 1 && covering.contains(id.as_str()) {
                leaves.push(change(engine, n, before, 0.0));
            }
        }
        sort_changes(&mut leaves);
        let name = baseline_caps
            .iter()
            .find(|c| c.id == *id)
            .map(|c| c.name.clone())
            .unwrap_or_default();
        single_points_of_failure.push(SinglePoint {
            capability: id.clone(),
            name,
            leaves,
        });
    }

    let drop = round6((baseline.overall - after.overall).max(0.0));
    let drop_weighted = match (baseline.overall_weighted, after.overall_weighted) {
        (Some(b), Some(a)) => Some(round6((b - a).max(0.0))),
        (Some(b), None) => Some(round6(b)),
        _ => None,
    };
    WithoutResult {
        removed,
        not_counted,
        after: totals(&after),
        drop,
        drop_weighted,
        fall_to_zero,
        weakened,
        single_points_of_failure,
    }
}

fn replacement_result(
    engine: &Engine<'_>,
    baseline_caps: &[&Capability],
    baseline: &Scores,
    replacement: &Replacement<'_>,
) -> ReplacementResult {
    let retired: Vec<&Capability> = baseline_caps
        .iter()
        .copied()
        .filter(|c| c.id == replacement.old)
        .collect();
    let mut edited: Vec<&Capability> = baseline_caps
        .iter()
        .copied()
        .filter(|c| c.id != replacement.old)
        .collect();
    for c in replacement.new.capabilities {
        if !edited.contains(&c) {
            edited.push(c);
        }
    }
    let after = engine.score(&edited);
    let mut newly_covered = Vec::new();
    let mut improved = Vec::new();
    let mut fall_to_zero = Vec::new();
    let mut weakened = Vec::new();
    for (n, before) in leaf_scores(engine, baseline) {
        let now = round6(after.nodes[n].score);
        if before <= 0.0 && now > 0.0 {
            newly_covered.push(change(engine, n, before, now));
        } else if before > 0.0 && now <= 0.0 {
            fall_to_zero.push(change(engine, n, before, now));
        } else if now > before {
            improved.push(change(engine, n, before, now));
        } else if now < before {
            weakened.push(change(engine, n, before, now));
        }
    }
    for list in [
        &mut newly_covered,
        &mut improved,
        &mut fall_to_zero,
        &mut weakened,
    ] {
        sort_changes(list);
    }
    let overall_after = round6(after.overall);
    let weighted_after = after.overall_weighted.map(round6);
    let change_weighted = match (weighted_after, baseline.overall_weighted) {
        (Some(a), Some(b)) => Some(round6(a - round6(b))),
        _ => None,
    };
    let old_cost = retired
        .iter()
        .map(|c| c.cost.clone())
        .collect::<Option<Vec<Cost>>>()
        .filter(|costs| !costs.is_empty());
    let new_cost = replacement
        .new
        .capabilities
        .iter()
        .all(|c| c.cost.is_some())
        .then(|| total_cost(replacement.new.capabilities))
        .flatten();
    let annual_cost_change = match (old_cost, new_cost) {
        (Some(old), Some(new)) if old.iter().all(|c| c.currency == new.currency) => {
            let retired: f64 = old.iter().map(|c| c.annual).sum();
            Some(Cost {
                annual: new.annual - retired,
                currency: new.currency,
            })
        }
        _ => None,
    };
    ReplacementResult {
        old: replacement.old.to_string(),
        old_name: retired
            .first()
            .map_or_else(|| replacement.old.to_string(), |c| c.name.clone()),
        new: replacement.new.label.to_string(),
        new_name: names(replacement.new.capabilities),
        new_capabilities: replacement
            .new
            .capabilities
            .iter()
            .map(|c| c.id.clone())
            .collect(),
        overall_after,
        weighted_after,
        change: round6(overall_after - round6(baseline.overall)),
        change_weighted,
        newly_covered,
        improved,
        fall_to_zero,
        weakened,
        annual_cost_change,
    }
}
