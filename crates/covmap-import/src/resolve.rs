//! Resolution of imported technique IDs against a loaded ATT&CK bundle.
//!
//! The rules are the inventory's (docs/inventory.md): an active technique stays; a revoked one
//! becomes its replacement (following `revoked-by` to its end) and is listed; a revoked one
//! whose replacement is not active, and a deprecated one, are dropped; an ID the bundle does
//! not know, or that is not a technique, is dropped. Every drop is a finding naming the file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use covmap_core::{Attack, Kind};

use crate::model::{Finding, Imported, ParentOnly};

/// Where an ID was first read: the file, and the line and column when the format tells.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    /// The file.
    pub path: PathBuf,
    /// 1-based line and column.
    pub position: Option<(usize, usize)>,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        Ok(())
    }
}

/// What resolution changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resolution {
    /// Revoked ID -> its replacement, for IDs that were remapped.
    pub remapped: BTreeMap<String, String>,
    /// IDs the bundle does not know, or that are not techniques (dropped), with where each
    /// was first read.
    pub unknown: BTreeMap<String, Place>,
    /// Deprecated IDs, and revoked ones without an active replacement (dropped), with where
    /// each was first read.
    pub deprecated: BTreeMap<String, Place>,
}

/// What one ID resolves to.
enum Outcome {
    Keep(String),
    Remap(String),
    Deprecated,
    Unknown,
}

fn outcome(attack: &Attack, id: &str) -> Outcome {
    let Some(key) = attack.lookup(id).filter(|k| k.kind == Kind::Technique) else {
        return Outcome::Unknown;
    };
    let meta = attack.meta(key);
    if meta.is_active() {
        return Outcome::Keep(meta.id().to_string());
    }
    if meta.revoked
        && let Some(to) = attack.replacement(key)
    {
        let to = attack.meta(to);
        if to.is_active() && to.key.kind == Kind::Technique {
            return Outcome::Remap(to.id().to_string());
        }
    }
    Outcome::Deprecated
}

/// Resolves every entry of `imported` against `attack`: remaps revoked IDs in place, drops
/// what cannot be scored (with one finding per file and ID), and says what it did.
pub fn resolve(imported: &mut Imported, attack: &Attack) -> Resolution {
    let mut resolution = Resolution::default();
    let mut reported: BTreeSet<(std::path::PathBuf, String)> = BTreeSet::new();
    let mut findings = Vec::new();
    for capability in &mut imported.capabilities {
        capability.entries.retain_mut(|entry| {
            let position = entry.evidence.line.zip(entry.evidence.column);
            let place = || Place {
                path: entry.evidence.path.clone(),
                position,
            };
            let dropped = match outcome(attack, &entry.technique) {
                Outcome::Keep(id) => {
                    entry.technique = id;
                    return true;
                }
                Outcome::Remap(to) => {
                    resolution
                        .remapped
                        .insert(entry.technique.clone(), to.clone());
                    entry.technique = to;
                    return true;
                }
                Outcome::Deprecated => {
                    resolution
                        .deprecated
                        .entry(entry.technique.clone())
                        .or_insert_with(place);
                    format!(
                        "`{}` is deprecated (or revoked without an active replacement) in ATT&CK {}: not imported",
                        entry.written,
                        attack.version().unwrap_or("?")
                    )
                }
                Outcome::Unknown => {
                    resolution
                        .unknown
                        .entry(entry.technique.clone())
                        .or_insert_with(place);
                    format!(
                        "`{}` is not a technique of {} ATT&CK {}: not imported",
                        entry.written,
                        attack.domain_short(),
                        attack.version().unwrap_or("?")
                    )
                }
            };
            if reported.insert((entry.evidence.path.clone(), entry.technique.clone())) {
                findings.push(Finding::maybe_at(&entry.evidence.path, position, dropped));
            }
            false
        });
    }
    imported.findings.extend(findings);
    imported.sort_findings();
    resolution
}

/// Fills [`Summary::parent_only`](crate::Summary::parent_only): the entries of `imported`
/// (IDs already resolved) on a parent technique that has active sub-techniques in `attack`.
/// No importer writes `include_subtechniques`, so such an entry counts for none of them
/// (docs/scoring.md): the import summary says so.
pub fn parent_only(imported: &mut Imported, attack: &Attack) {
    let mut found: BTreeMap<String, ParentOnly> = BTreeMap::new();
    let mut leaves: BTreeSet<&str> = BTreeSet::new();
    for entry in imported.capabilities.iter().flat_map(|c| &c.entries) {
        if let Some(counted) = found.get_mut(&entry.technique) {
            counted.entries += 1;
            continue;
        }
        if leaves.contains(entry.technique.as_str()) {
            continue;
        }
        let subtechniques = attack
            .technique(&entry.technique)
            .filter(|t| t.parent.is_none())
            .map_or(0, |t| attack.subtechniques(t).len());
        if subtechniques == 0 {
            leaves.insert(&entry.technique);
            continue;
        }
        found.insert(
            entry.technique.clone(),
            ParentOnly {
                entries: 1,
                subtechniques,
            },
        );
    }
    imported.summary.parent_only = found;
}
