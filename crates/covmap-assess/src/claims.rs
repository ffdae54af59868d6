//! Claims that are accepted but count for nothing: an entry on a parent technique without
//! `include_subtechniques` scores no sub-technique (docs/scoring.md, section 3). Validation
//! warns about each such entry (`parent-counts-for-no-subtechnique`), covmap-import about each
//! `import:` that brings some, and `covmap assess` counts them in one summary line.

use covmap_core::Attack;

use crate::inventory::{CoverageEntry, Inventory};

/// Active sub-techniques per technique: [`Attack::subtechnique_positions`], computed once per
/// bundle (validation asks for them once per listed technique).
#[derive(Debug)]
pub struct Subtechniques<'a> {
    attack: &'a Attack,
}

impl<'a> Subtechniques<'a> {
    /// Sub-techniques of `attack`'s techniques.
    pub fn new(attack: &'a Attack) -> Subtechniques<'a> {
        Subtechniques { attack }
    }

    /// The positions of [`Attack::subtechniques`] of the technique at this position (in
    /// [`Attack::techniques`]), sorted by ID: empty for a position out of range.
    pub fn list(&mut self, technique: u32) -> &[u32] {
        self.attack.subtechnique_positions(technique)
    }

    /// How many active sub-techniques the technique at this position (in
    /// [`Attack::techniques`]) has: 0 for a sub-technique, a technique without any, or a
    /// position out of range.
    pub fn count(&mut self, technique: u32) -> usize {
        let is_parent = self
            .attack
            .techniques()
            .get(technique as usize)
            .is_some_and(|t| !t.is_subtechnique);
        if is_parent {
            self.list(technique).len()
        } else {
            0
        }
    }

    /// The techniques of an entry that it counts for no sub-technique of: parents with active
    /// sub-techniques, listed without `include_subtechniques` (and not `false` by choice),
    /// with their number of sub-techniques, in the entry's order.
    pub fn parent_only(&mut self, entry: &CoverageEntry) -> Vec<(u32, usize)> {
        if entry.include_subtechniques || entry.parent_level_by_choice {
            return Vec::new();
        }
        entry
            .techniques
            .iter()
            .map(|&t| (t, self.count(t)))
            .filter(|&(_, n)| n > 0)
            .collect()
    }
}

/// How many coverage entries of the inventory, written or imported, are on a parent technique
/// and count for no sub-technique (without `include_subtechniques`, not `false` by choice).
/// Every capability counts, whatever its status, as validation warns about each.
pub fn parent_only_entries(attack: &Attack, inventory: &Inventory) -> usize {
    let mut subs = Subtechniques::new(attack);
    inventory
        .capabilities
        .iter()
        .flat_map(|c| &c.coverage)
        .filter(|e| !subs.parent_only(e).is_empty())
        .count()
}
