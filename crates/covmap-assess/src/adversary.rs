//! Adversary commonalities (issue 17 §6): what several groups have in common, and which groups
//! best match techniques observed in an incident.
//!
//! A group's technique set is exactly what `covmap attack group` lists: every active technique
//! it uses by any route of [`Attack::techniques_used_by`] (directly, through its software, its
//! campaigns and their software), parents and sub-techniques as the bundle names them (a use
//! of a parent is not spread over its sub-techniques, so an observed `T1059.001` matches a
//! group only if the group uses `T1059.001`).

use std::collections::{BTreeMap, BTreeSet};

use covmap_core::{Attack, Kind, ObjectRef};
use serde::{Deserialize, Serialize};

use crate::score::round6;

/// A group and the size of its technique set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSummary {
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// How many techniques it uses, by any route.
    pub techniques: usize,
}

/// Jaccard similarity of two groups' technique sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Jaccard {
    /// First group's ATT&CK ID (in the order given).
    pub a: String,
    /// Second group's ATT&CK ID.
    pub b: String,
    /// `|A ∩ B| / |A ∪ B|`, 6 decimals; 0 when both are empty.
    pub value: f64,
    /// `|A ∩ B|`.
    pub shared: usize,
}

/// What several groups have in common (`covmap attack compare`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupComparison {
    /// The groups, in the order given.
    pub groups: Vec<GroupSummary>,
    /// Technique IDs every group uses, sorted.
    pub shared: Vec<String>,
    /// Group ID -> technique IDs only that group uses (of those compared), sorted.
    pub unique: BTreeMap<String, Vec<String>>,
    /// Every pair, in the order given (`a` before `b`).
    pub jaccard: Vec<Jaccard>,
}

/// A group matching observed techniques (`covmap attack match`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupMatch {
    /// 1-based rank.
    pub rank: usize,
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// How many of the observed techniques it uses.
    pub matched: usize,
    /// How many techniques it uses in all.
    pub techniques: usize,
    /// Jaccard similarity of the observed set and its technique set, 6 decimals.
    pub jaccard: f64,
    /// The observed technique IDs it uses, sorted.
    pub matched_techniques: Vec<String>,
}

/// A group's technique IDs, by every route (as `covmap attack group` lists them).
fn technique_ids(attack: &Attack, group: ObjectRef) -> BTreeSet<String> {
    let techniques = attack.techniques();
    attack
        .techniques_used_by(group)
        .iter()
        .filter_map(|u| techniques.get(u.technique as usize))
        .map(|t| t.meta.id().to_string())
        .collect()
}

fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> (f64, usize) {
    let shared = a.intersection(b).count();
    let union = a.len() + b.len() - shared;
    #[allow(clippy::cast_precision_loss)] // counts of techniques
    let value = if union == 0 {
        0.0
    } else {
        shared as f64 / union as f64
    };
    (round6(value), shared)
}

/// Compares groups (positions of [`Kind::Group`] objects, as resolved by the caller; a
/// repeated group is compared once).
pub fn compare_groups(attack: &Attack, groups: &[ObjectRef]) -> GroupComparison {
    let mut seen = BTreeSet::new();
    let groups: Vec<ObjectRef> = groups
        .iter()
        .copied()
        .filter(|g| g.kind == Kind::Group && seen.insert(g.index))
        .collect();
    let sets: Vec<(String, BTreeSet<String>)> = groups
        .iter()
        .map(|&g| (attack.meta(g).id().to_string(), technique_ids(attack, g)))
        .collect();
    let summaries = groups
        .iter()
        .zip(&sets)
        .map(|(&g, (id, set))| GroupSummary {
            id: id.clone(),
            name: attack.meta(g).name.clone(),
            techniques: set.len(),
        })
        .collect();
    let shared: Vec<String> = match sets.split_first() {
        Some(((_, first), rest)) => first
            .iter()
            .filter(|t| rest.iter().all(|(_, s)| s.contains(*t)))
            .cloned()
            .collect(),
        None => Vec::new(),
    };
    let unique = sets
        .iter()
        .enumerate()
        .map(|(i, (id, set))| {
            let only: Vec<String> = set
                .iter()
                .filter(|t| {
                    sets.iter()
                        .enumerate()
                        .all(|(j, (_, other))| i == j || !other.contains(*t))
                })
                .cloned()
                .collect();
            (id.clone(), only)
        })
        .collect();
    let mut pairs = Vec::new();
    for (i, (a, set_a)) in sets.iter().enumerate() {
        for (b, set_b) in sets.iter().skip(i + 1) {
            let (value, shared) = jaccard(set_a, set_b);
            pairs.push(Jaccard {
                a: a.clone(),
                b: b.clone(),
                value,
                shared,
            });
        }
    }
    GroupComparison {
        groups: summaries,
        shared,
        unique,
        jaccard: pairs,
    }
}

/// The active groups that use at least one of `observed` (technique IDs), ranked by how many
/// they use (descending), then Jaccard similarity (descending), then ID; at most `top`.
pub fn match_groups(attack: &Attack, observed: &[String], top: Option<usize>) -> Vec<GroupMatch> {
    let observed: BTreeSet<String> = observed.iter().cloned().collect();
    let mut list: Vec<GroupMatch> = attack
        .groups()
        .iter()
        .filter(|g| g.meta.is_active())
        .filter_map(|g| {
            let set = technique_ids(attack, g.meta.key);
            let matched: Vec<String> = observed.intersection(&set).cloned().collect();
            if matched.is_empty() {
                return None;
            }
            let (jaccard, _) = jaccard(&observed, &set);
            Some(GroupMatch {
                rank: 0,
                id: g.meta.id().to_string(),
                name: g.meta.name.clone(),
                matched: matched.len(),
                techniques: set.len(),
                jaccard,
                matched_techniques: matched,
            })
        })
        .collect();
    list.sort_by(|a, b| {
        b.matched
            .cmp(&a.matched)
            .then(b.jaccard.total_cmp(&a.jaccard))
            .then_with(|| a.id.cmp(&b.id))
    });
    if let Some(top) = top {
        list.truncate(top);
    }
    for (i, m) in list.iter_mut().enumerate() {
        m.rank = i + 1;
    }
    list
}
