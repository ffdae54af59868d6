//! Comparisons: what a candidate product would add to current coverage, and what retiring a
//! capability would lose.
//!
//! [`compare`] scores the inventory once for the baseline (the capabilities whose status the
//! options include, `deployed` by default), once per candidate on top of it, and once without
//! the capabilities to retire.

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
    /// As given.
    pub label: String,
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
    /// Leaves in scope already above 0 whose score rises.
    pub improved: Vec<LeafChange>,
    /// Leaves the candidate covers on its own (score above 0) that the baseline already
    /// covers: the overlap with what is deployed. `before`/`after` as above.
    pub overlap: Vec<LeafChange>,
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
    let engine = Engine::new(attack, inventory);
    let baseline_caps: Vec<&Capability> = inventory
        .capabilities
        .iter()
        .filter(|c| options.counts(c.status))
        .collect();
    let baseline = engine.score(&baseline_caps);
    let results = candidates
        .iter()
        .map(|candidate| candidate_result(&engine, &baseline_caps, &baseline, candidate))
        .collect();
    let without =
        (!without.is_empty()).then(|| without_result(&engine, &baseline_caps, &baseline, without));
    Comparison {
        include: options.statuses(),
        baseline: totals(&baseline),
        candidates: results,
        without,
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

fn candidate_result(
    engine: &Engine<'_>,
    baseline_caps: &[&Capability],
    baseline: &Scores,
    candidate: &Candidate<'_>,
) -> CandidateResult {
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
    let mut overlap = Vec::new();
    for (n, before) in before_leaves {
        let now = round6(after.nodes[n].score);
        if before <= 0.0 && now > 0.0 {
            newly_covered.push(change(engine, n, before, now));
        } else if before > 0.0 && now > before {
            improved.push(change(engine, n, before, now));
        }
        if before > 0.0 && round6(alone.nodes[n].score) > 0.0 {
            overlap.push(change(engine, n, before, now));
        }
    }
    sort_changes(&mut newly_covered);
    sort_changes(&mut improved);
    sort_changes(&mut overlap);

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
    CandidateResult {
        label: candidate.label.to_string(),
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
        overlap,
        annual_cost,
        cost_per_point,
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
