//! Differences between two releases of one ATT&CK domain, matched by STIX id (stable across
//! releases; ATT&CK IDs can move when a technique becomes a sub-technique).

use std::collections::HashMap;

use serde::Serialize;

use crate::attack::Attack;
use crate::model::{AttackObject, Kind, ObjectRef, Technique};

/// An object named in a diff.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Named {
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
}

impl Named {
    fn of(meta: &crate::model::Meta) -> Named {
        Named {
            id: meta.id().to_string(),
            name: meta.name.clone(),
        }
    }
}

/// A technique revoked in the new release.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Revoked {
    /// The technique as it was.
    pub technique: Named,
    /// What replaced it (end of the `revoked-by` chain), if the new release says.
    pub replaced_by: Option<Named>,
}

/// A technique whose name changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Renamed {
    /// ATT&CK ID in the new release.
    pub id: String,
    /// Old name.
    pub old_name: String,
    /// New name.
    pub new_name: String,
}

/// A technique whose ATT&CK ID changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Reidentified {
    /// Old ID.
    pub old_id: String,
    /// New ID.
    pub new_id: String,
    /// Name in the new release.
    pub name: String,
}

/// A change of a list-valued field (tactics or platforms) of a technique.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ListChange {
    /// ATT&CK ID in the new release.
    pub id: String,
    /// Name in the new release.
    pub name: String,
    /// Values only the new release has.
    pub added: Vec<String>,
    /// Values only the old release has.
    pub removed: Vec<String>,
}

/// Objects of another kind (groups, software, ...) that appeared or were withdrawn.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KindChanges {
    /// Active in the new release, absent from the old one.
    pub added: Vec<Named>,
    /// Active in the old release and revoked, deprecated or absent in the new one.
    pub withdrawn: Vec<Named>,
}

/// What changed between two releases of a domain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VersionDiff {
    /// Domain (`enterprise-attack`).
    pub domain: String,
    /// Old release version.
    pub old_version: Option<String>,
    /// New release version.
    pub new_version: Option<String>,
    /// Matrix tactics only the new release has.
    pub tactics_added: Vec<Named>,
    /// Matrix tactics only the old release has.
    pub tactics_removed: Vec<Named>,
    /// Techniques active in the new release and absent from the old one.
    pub added: Vec<Named>,
    /// Techniques active in the old release and absent from the new one.
    pub removed: Vec<Named>,
    /// Techniques active in the old release and revoked in the new one.
    pub revoked: Vec<Revoked>,
    /// Techniques active in the old release and deprecated in the new one.
    pub deprecated: Vec<Named>,
    /// Techniques active in both whose name changed.
    pub renamed: Vec<Renamed>,
    /// Techniques active in both whose ATT&CK ID changed.
    pub reidentified: Vec<Reidentified>,
    /// Techniques active in both whose tactics changed.
    pub tactics_changed: Vec<ListChange>,
    /// Techniques active in both whose platforms changed.
    pub platforms_changed: Vec<ListChange>,
    /// Groups added and withdrawn.
    pub groups: KindChanges,
    /// Software added and withdrawn.
    pub software: KindChanges,
    /// Campaigns added and withdrawn.
    pub campaigns: KindChanges,
    /// Mitigations added and withdrawn.
    pub mitigations: KindChanges,
}

fn list_change(technique: &Technique, old: &[String], new: &[String]) -> Option<ListChange> {
    let added: Vec<String> = new.iter().filter(|v| !old.contains(v)).cloned().collect();
    let removed: Vec<String> = old.iter().filter(|v| !new.contains(v)).cloned().collect();
    (!added.is_empty() || !removed.is_empty()).then(|| ListChange {
        id: technique.meta.id().to_string(),
        name: technique.meta.name.clone(),
        added,
        removed,
    })
}

fn kind_changes<T: AttackObject>(old: &[T], new: &[T]) -> KindChanges {
    let new_by_stix: HashMap<&str, &T> =
        new.iter().map(|o| (o.meta().stix_id.as_str(), o)).collect();
    let old_by_stix: HashMap<&str, &T> =
        old.iter().map(|o| (o.meta().stix_id.as_str(), o)).collect();
    let mut changes = KindChanges {
        added: new
            .iter()
            .filter(|o| {
                o.meta().is_active() && !old_by_stix.contains_key(o.meta().stix_id.as_str())
            })
            .map(|o| Named::of(o.meta()))
            .collect(),
        withdrawn: old
            .iter()
            .filter(|o| o.meta().is_active())
            .filter(|o| {
                new_by_stix
                    .get(o.meta().stix_id.as_str())
                    .is_none_or(|n| !n.meta().is_active())
            })
            .map(|o| Named::of(o.meta()))
            .collect(),
    };
    changes.added.sort();
    changes.withdrawn.sort();
    changes
}

/// Compares two releases of the same domain.
pub fn diff(old: &Attack, new: &Attack) -> VersionDiff {
    let mut out = VersionDiff {
        domain: new.domain().to_string(),
        old_version: old.version().map(str::to_string),
        new_version: new.version().map(str::to_string),
        ..VersionDiff::default()
    };
    let old_tactics: Vec<&str> = old.tactics().map(|t| t.shortname.as_str()).collect();
    let new_tactics: Vec<&str> = new.tactics().map(|t| t.shortname.as_str()).collect();
    out.tactics_added = new
        .tactics()
        .filter(|t| !old_tactics.contains(&t.shortname.as_str()))
        .map(|t| Named::of(&t.meta))
        .collect();
    out.tactics_removed = old
        .tactics()
        .filter(|t| !new_tactics.contains(&t.shortname.as_str()))
        .map(|t| Named::of(&t.meta))
        .collect();

    let old_by_stix: HashMap<&str, &Technique> = old
        .techniques()
        .iter()
        .map(|t| (t.meta.stix_id.as_str(), t))
        .collect();
    let new_by_stix: HashMap<&str, &Technique> = new
        .techniques()
        .iter()
        .map(|t| (t.meta.stix_id.as_str(), t))
        .collect();
    for n in new.techniques() {
        if n.meta.is_active() && !old_by_stix.contains_key(n.meta.stix_id.as_str()) {
            out.added.push(Named::of(&n.meta));
        }
    }
    for o in old.techniques().iter().filter(|t| t.meta.is_active()) {
        let Some(n) = new_by_stix.get(o.meta.stix_id.as_str()) else {
            out.removed.push(Named::of(&o.meta));
            continue;
        };
        if n.meta.revoked {
            let replaced_by = new
                .replacement(ObjectRef {
                    kind: Kind::Technique,
                    index: n.meta.key.index,
                })
                .map(|r| Named::of(new.meta(r)));
            out.revoked.push(Revoked {
                technique: Named::of(&o.meta),
                replaced_by,
            });
            continue;
        }
        if n.meta.deprecated {
            out.deprecated.push(Named::of(&o.meta));
            continue;
        }
        if o.meta.name != n.meta.name {
            out.renamed.push(Renamed {
                id: n.meta.id().to_string(),
                old_name: o.meta.name.clone(),
                new_name: n.meta.name.clone(),
            });
        }
        if o.meta.attack_id != n.meta.attack_id {
            out.reidentified.push(Reidentified {
                old_id: o.meta.id().to_string(),
                new_id: n.meta.id().to_string(),
                name: n.meta.name.clone(),
            });
        }
        out.tactics_changed
            .extend(list_change(n, &o.tactics, &n.tactics));
        out.platforms_changed
            .extend(list_change(n, &o.platforms, &n.platforms));
    }
    out.added.sort();
    out.removed.sort();
    out.revoked.sort();
    out.deprecated.sort();
    out.renamed.sort();
    out.reidentified.sort();
    out.tactics_changed.sort();
    out.platforms_changed.sort();
    out.groups = kind_changes(old.groups(), new.groups());
    out.software = kind_changes(old.software(), new.software());
    out.campaigns = kind_changes(old.campaigns(), new.campaigns());
    out.mitigations = kind_changes(old.mitigations(), new.mitigations());
    out
}
