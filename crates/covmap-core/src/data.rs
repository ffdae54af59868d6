//! [`AttackData`]: everything parsed from a bundle, in a form that serialises to the model cache.

#![allow(
    clippy::indexing_slicing,
    reason = "positions into the model's own vectors, assigned by the loader (ObjectRef, parents), never read from input"
)]

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::LoadError;
use crate::model::{
    Analytic, Asset, Campaign, DataComponent, DataSource, DetectionStrategy, Group, Kind, Meta,
    Mitigation, ObjectRef, RelKind, Relationship, Software, Tactic, Technique,
};

/// The parsed content of one bundle. [`crate::Attack`] adds lookups and the graph on top.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AttackData {
    pub(crate) domain: String,
    pub(crate) name: Option<String>,
    pub(crate) matrix_name: String,
    pub(crate) version: Option<String>,
    pub(crate) spec_version: String,
    pub(crate) attack_spec_version: Option<String>,
    pub(crate) kill_chain: String,
    /// Tactic positions in matrix order.
    pub(crate) matrix: Vec<u32>,
    pub(crate) tactics: Vec<Tactic>,
    pub(crate) techniques: Vec<Technique>,
    pub(crate) mitigations: Vec<Mitigation>,
    pub(crate) groups: Vec<Group>,
    pub(crate) software: Vec<Software>,
    pub(crate) campaigns: Vec<Campaign>,
    pub(crate) data_sources: Vec<DataSource>,
    pub(crate) data_components: Vec<DataComponent>,
    pub(crate) detection_strategies: Vec<DetectionStrategy>,
    pub(crate) analytics: Vec<Analytic>,
    pub(crate) assets: Vec<Asset>,
    pub(crate) relationships: Vec<Relationship>,
    /// Oddities that did not stop loading (dangling references).
    pub(crate) warnings: Vec<String>,
}

/// Sets each sub-technique's parent from `subtechnique-of` relationships (or, lacking one, from
/// its ID: `T1059.001` -> `T1059`), and rejects cycles in parents and in `revoked-by` chains,
/// which would otherwise send lookups round for ever.
pub(crate) fn link_parents(data: &mut AttackData, path: &Path) -> Result<(), LoadError> {
    for rel in &data.relationships {
        if rel.kind == RelKind::SubtechniqueOf
            && rel.source.kind == Kind::Technique
            && rel.target.kind == Kind::Technique
        {
            data.techniques[rel.source.index as usize].parent = Some(rel.target.index);
        }
    }
    let by_id: HashMap<&str, u32> = data
        .techniques
        .iter()
        .enumerate()
        .filter(|(_, t)| t.meta.is_active())
        .filter_map(|(i, t)| Some((t.meta.attack_id.as_deref()?, i as u32)))
        .collect();
    let mut derived = Vec::new();
    for (i, technique) in data.techniques.iter().enumerate() {
        if technique.is_subtechnique && technique.parent.is_none() {
            let parent = technique
                .meta
                .attack_id
                .as_deref()
                .and_then(|id| id.split_once('.'))
                .and_then(|(parent, _)| by_id.get(parent).copied());
            if let Some(parent) = parent {
                derived.push((i, parent));
            }
        }
    }
    for (i, parent) in derived {
        data.techniques[i].parent = Some(parent);
    }

    let limit = data.techniques.len();
    for start in 0..data.techniques.len() {
        let mut at = start;
        for _ in 0..=limit {
            match data.techniques[at].parent {
                Some(parent) => at = parent as usize,
                None => break,
            }
            if at == start {
                return Err(LoadError::Inconsistent {
                    path: path.to_path_buf(),
                    message: format!(
                        "subtechnique-of relationships form a cycle through {}",
                        data.techniques[start].meta.id()
                    ),
                });
            }
        }
    }

    let revoked_by: HashMap<_, _> = data
        .relationships
        .iter()
        .filter(|r| r.kind == RelKind::RevokedBy)
        .map(|r| (r.source, r.target))
        .collect();
    let mut starts: Vec<_> = revoked_by.keys().copied().collect();
    starts.sort_unstable();
    for start in starts {
        let mut at = start;
        for _ in 0..=revoked_by.len() {
            match revoked_by.get(&at) {
                Some(next) => at = *next,
                None => break,
            }
            if at == start {
                return Err(LoadError::Inconsistent {
                    path: path.to_path_buf(),
                    message: format!(
                        "revoked-by relationships form a cycle through {}",
                        data.meta(start).stix_id
                    ),
                });
            }
        }
    }
    Ok(())
}

impl AttackData {
    /// The common fields of any object.
    pub(crate) fn meta(&self, key: ObjectRef) -> &Meta {
        let i = key.index as usize;
        match key.kind {
            Kind::Tactic => &self.tactics[i].meta,
            Kind::Technique => &self.techniques[i].meta,
            Kind::Mitigation => &self.mitigations[i].meta,
            Kind::Group => &self.groups[i].meta,
            Kind::Software => &self.software[i].meta,
            Kind::Campaign => &self.campaigns[i].meta,
            Kind::DataSource => &self.data_sources[i].meta,
            Kind::DataComponent => &self.data_components[i].meta,
            Kind::DetectionStrategy => &self.detection_strategies[i].meta,
            Kind::Analytic => &self.analytics[i].meta,
            Kind::Asset => &self.assets[i].meta,
        }
    }

    /// How many objects of a kind the bundle holds.
    pub(crate) fn count(&self, kind: Kind) -> usize {
        match kind {
            Kind::Tactic => self.tactics.len(),
            Kind::Technique => self.techniques.len(),
            Kind::Mitigation => self.mitigations.len(),
            Kind::Group => self.groups.len(),
            Kind::Software => self.software.len(),
            Kind::Campaign => self.campaigns.len(),
            Kind::DataSource => self.data_sources.len(),
            Kind::DataComponent => self.data_components.len(),
            Kind::DetectionStrategy => self.detection_strategies.len(),
            Kind::Analytic => self.analytics.len(),
            Kind::Asset => self.assets.len(),
        }
    }
}
