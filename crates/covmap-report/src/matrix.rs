//! The ATT&CK matrix as people know it, laid out once for every renderer that draws it (the SVG
//! heatmap, the HTML report): one column per tactic in the bundle's order, a row per technique
//! (sorted by name, as the ATT&CK website and Navigator do), its sub-techniques below it when
//! they are expanded.

use covmap_assess::inventory::Function;
use covmap_assess::score::{Assessment, TechniqueResult};

use crate::{Subtechniques, View};

/// How a cell is marked besides its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// In scope with a score above 0.
    Covered,
    /// In scope, score 0, and no parent-level evidence.
    NotCovered,
    /// In scope, score 0, but the parent is claimed without `include_subtechniques` (for a
    /// sub-technique), or the parent itself carries such evidence and nothing below it scores:
    /// "covered at parent level only: verify per sub-technique".
    ParentLevelOnly,
    /// Not counted: excluded by the inventory or no platform in scope (reason in the tooltip).
    OutOfScope,
    /// Weighted view only: in scope, but no selected threat uses it (shown dimmed).
    NotUsedByThreats,
}

/// One cell: a technique in one tactic's column.
#[derive(Debug, Clone, Copy)]
pub struct Cell<'a> {
    /// The technique (leaf or parent).
    pub technique: &'a TechniqueResult,
    /// A sub-technique shown under its parent.
    pub sub: bool,
    /// A parent whose sub-techniques follow it in this column.
    pub expanded: bool,
    /// A parent with active sub-techniques (whether or not they are shown).
    pub has_subtechniques: bool,
    /// The value that picks the colour, in [0, 1]: the score (with [`View::Visibility`], the
    /// `visibility` function's score).
    pub value: f64,
    /// How the cell is marked.
    pub mark: Mark,
}

/// One tactic's column.
#[derive(Debug, Clone)]
pub struct Column<'a> {
    /// ATT&CK ID of the tactic, e.g. `TA0002`.
    pub id: &'a str,
    /// The tactic's shortname, e.g. `execution`.
    pub shortname: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Mean score of its leaves in scope (with [`View::Visibility`], their mean visibility).
    pub score: f64,
    /// Threat-weighted mean, when threats are selected.
    pub score_weighted: Option<f64>,
    /// Cells from top to bottom.
    pub cells: Vec<Cell<'a>>,
}

/// The laid-out matrix.
#[derive(Debug, Clone)]
pub struct Matrix<'a> {
    /// Columns in the bundle's tactic order.
    pub columns: Vec<Column<'a>>,
}

impl Matrix<'_> {
    /// The most cells in one column.
    pub fn rows(&self) -> usize {
        self.columns
            .iter()
            .map(|c| c.cells.len())
            .max()
            .unwrap_or(0)
    }
}

/// Lays out the matrix of `assessment`.
pub fn layout(assessment: &Assessment, subtechniques: Subtechniques, view: View) -> Matrix<'_> {
    let weighted = view == View::Weighted && assessment.has_threats();
    let visibility = view == View::Visibility;
    let columns = assessment
        .tactics
        .iter()
        .map(|tactic| {
            let mut tops: Vec<&TechniqueResult> = tactic
                .techniques
                .iter()
                .filter_map(|id| assessment.technique(id))
                .collect();
            tops.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
            let mut cells = Vec::new();
            for top in tops {
                let subs: Vec<&TechniqueResult> = top
                    .subtechniques
                    .iter()
                    .filter_map(|id| assessment.technique(id))
                    .filter(|s| s.tactics.contains(&tactic.shortname))
                    .collect();
                let expand = !subs.is_empty()
                    && match subtechniques {
                        Subtechniques::None => false,
                        Subtechniques::All => true,
                        Subtechniques::Gaps => {
                            subs.iter().any(|s| s.in_scope && value(s, view) < 1.0)
                        }
                    };
                cells.push(cell(top, false, expand, view, weighted));
                if expand {
                    let mut subs = subs;
                    subs.sort_by(|a, b| a.id.cmp(&b.id));
                    cells.extend(
                        subs.into_iter()
                            .map(|s| cell(s, true, false, view, weighted)),
                    );
                }
            }
            let score = if visibility {
                let (sum, n) = assessment
                    .leaves_in_scope()
                    .filter(|t| t.tactics.contains(&tactic.shortname))
                    .fold((0.0, 0usize), |(sum, n), t| (sum + value(t, view), n + 1));
                #[allow(clippy::cast_precision_loss)] // counts of techniques are small
                let mean = if n == 0 { 0.0 } else { sum / n as f64 };
                mean
            } else {
                tactic.score
            };
            Column {
                id: &tactic.id,
                shortname: &tactic.shortname,
                name: &tactic.name,
                score,
                score_weighted: tactic.score_weighted,
                cells,
            }
        })
        .collect();
    Matrix { columns }
}

/// The value a view colours a technique by: its score, or its `visibility` function's score.
pub fn value(technique: &TechniqueResult, view: View) -> f64 {
    match view {
        View::Visibility => technique.functions.get(Function::Visibility).score,
        View::Score | View::Weighted => technique.score,
    }
}

fn cell(
    technique: &TechniqueResult,
    sub: bool,
    expanded: bool,
    view: View,
    weighted: bool,
) -> Cell<'_> {
    let value = value(technique, view).clamp(0.0, 1.0);
    let mark = if view == View::Visibility {
        // Parent-level evidence is about the headline score: visibility is seen or not.
        match mark(technique, false) {
            Mark::OutOfScope => Mark::OutOfScope,
            _ if value > 0.0 => Mark::Covered,
            _ => Mark::NotCovered,
        }
    } else {
        mark(technique, weighted)
    };
    Cell {
        technique,
        sub,
        expanded,
        has_subtechniques: !technique.subtechniques.is_empty(),
        value,
        mark,
    }
}

/// The mark of a technique.
pub fn mark(technique: &TechniqueResult, weighted: bool) -> Mark {
    if !technique.in_scope {
        Mark::OutOfScope
    } else if weighted && technique.weight <= 0.0 {
        Mark::NotUsedByThreats
    } else if technique.score > 0.0 {
        Mark::Covered
    } else if !technique.parent_level_only.is_empty() || !technique.parent_evidence.is_empty() {
        Mark::ParentLevelOnly
    } else {
        Mark::NotCovered
    }
}
