//! Resolution of imported technique IDs against a loaded ATT&CK bundle.
//!
//! The rules are the inventory's (docs/inventory.md): an active technique stays; a revoked one
//! becomes its replacement (following `revoked-by` to its end) and is listed; a revoked one
//! whose replacement is not active, and a deprecated one, are dropped; an ID the bundle does
//! not know, or that is not a technique, is dropped. Every drop is a finding naming the file.

use std::collections::{BTreeMap, BTreeSet};

use covmap_core::{Attack, Kind};

use crate::model::{Finding, Imported};

/// What resolution changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resolution {
    /// Revoked ID -> its replacement, for IDs that were remapped.
    pub remapped: BTreeMap<String, String>,
    /// IDs the bundle does not know, or that are not techniques (dropped).
    pub unknown: BTreeSet<String>,
    /// Deprecated IDs, and revoked ones without an active replacement (dropped).
    pub deprecated: BTreeSet<String>,
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
                    resolution.deprecated.insert(entry.technique.clone());
                    format!(
                        "`{}` is deprecated (or revoked without an active replacement) in ATT&CK {}: not imported",
                        entry.written,
                        attack.version().unwrap_or("?")
                    )
                }
                Outcome::Unknown => {
                    resolution.unknown.insert(entry.technique.clone());
                    format!(
                        "`{}` is not a technique of {} ATT&CK {}: not imported",
                        entry.written,
                        attack.domain_short(),
                        attack.version().unwrap_or("?")
                    )
                }
            };
            if reported.insert((entry.evidence.path.clone(), entry.technique.clone())) {
                findings.push(Finding::file(&entry.evidence.path, dropped));
            }
            false
        });
    }
    imported.findings.extend(findings);
    imported.sort_findings();
    resolution
}
