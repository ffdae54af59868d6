//! Roll-ups of gaps: one row per ATT&CK mitigation, data component or tactic, with how many
//! in-scope gaps it addresses and the sum of their gap priorities, so the reader sees which
//! single measure closes the most weighted gap.
//!
//! A roll-up is built from the ranked [`Gap`] list itself, so it uses exactly the gap
//! priorities and the tie order `covmap gaps` shows.

use std::collections::BTreeMap;

use covmap_core::Attack;
use serde::{Deserialize, Serialize};

use super::{Gap, GapOptions, gaps};
use crate::score::{Assessment, round6};

/// How many of a row's gaps [`RollupRow::top`] lists.
pub const ROLLUP_TOP: usize = 5;

/// What gaps are rolled up by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum By {
    /// ATT&CK mitigations (`mitigates` relationships).
    Mitigation,
    /// Data components: those the detection strategies' analytics read (ATT&CK 18+) or that
    /// detect the technique (older bundles).
    DataComponent,
    /// Tactics: a leaf of several tactics counts in each.
    Tactic,
}

impl By {
    /// The kebab-case name used on the command line and in JSON (`data-component`).
    pub fn name(self) -> &'static str {
        match self {
            By::Mitigation => "mitigation",
            By::DataComponent => "data-component",
            By::Tactic => "tactic",
        }
    }
}

impl std::fmt::Display for By {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A gap listed in a roll-up row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollupTechnique {
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Its score in [0, 1].
    pub score: f64,
    /// Its gap priority, as [`Gap::gap_priority`].
    pub gap_priority: f64,
}

/// One mitigation, data component or tactic and the in-scope gaps it addresses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollupRow {
    /// ATT&CK ID (`M1026`, `DC0001`, `TA0002`).
    pub id: String,
    /// Name.
    pub name: String,
    /// How many in-scope gaps (leaves with a score below 1) it addresses.
    pub techniques: usize,
    /// Sum of the gap priorities of those leaves, each leaf once.
    pub priority: f64,
    /// Its first [`ROLLUP_TOP`] gaps in the order of the gap ranking.
    pub top: Vec<RollupTechnique>,
}

/// The roll-up of every in-scope gap of an assessment, rows ranked by priority (descending),
/// then number of techniques (descending), then ID. Rows that address no gap are left out.
pub fn rollup(attack: &Attack, assessment: &Assessment, by: By) -> Vec<RollupRow> {
    // Without a tactic filter `gaps` cannot fail; an error would mean no gap list at all.
    match gaps(attack, assessment, &GapOptions::default()) {
        Ok(list) => rollup_gaps(assessment, &list, by),
        Err(_) => Vec::new(),
    }
}

/// The roll-up of an already ranked gap list (from [`gaps`] without `top`, so that every gap
/// counts), for callers that also show the gaps. `assessment` names the tactics.
pub fn rollup_gaps(assessment: &Assessment, gaps: &[Gap], by: By) -> Vec<RollupRow> {
    // Key: ID. Gaps arrive in ranking order, so each row's list is ranked too.
    let mut rows: BTreeMap<String, (String, Vec<&Gap>)> = BTreeMap::new();
    for gap in gaps {
        let mut keys: Vec<(String, String)> = match by {
            By::Mitigation => gap
                .mitigations
                .iter()
                .map(|m| (m.id.clone(), m.name.clone()))
                .collect(),
            By::DataComponent => gap
                .data_components
                .iter()
                .map(|d| (d.id.clone(), d.name.clone()))
                .collect(),
            By::Tactic => gap
                .tactics
                .iter()
                .map(|shortname| {
                    assessment
                        .tactics
                        .iter()
                        .find(|t| &t.shortname == shortname)
                        .map_or_else(
                            || (shortname.clone(), shortname.clone()),
                            |t| (t.id.clone(), t.name.clone()),
                        )
                })
                .collect(),
        };
        // A leaf counts once per row even if a list names the same object twice.
        keys.sort();
        keys.dedup_by(|a, b| a.0 == b.0);
        for (id, name) in keys {
            rows.entry(id)
                .or_insert_with(|| (name, Vec::new()))
                .1
                .push(gap);
        }
    }
    let mut out: Vec<RollupRow> = rows
        .into_iter()
        .map(|(id, (name, list))| RollupRow {
            id,
            name,
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
        .collect();
    out.sort_by(|a, b| {
        b.priority
            .total_cmp(&a.priority)
            .then(b.techniques.cmp(&a.techniques))
            .then_with(|| a.id.cmp(&b.id))
    });
    out
}
