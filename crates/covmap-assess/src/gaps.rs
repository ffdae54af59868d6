//! Ranked gaps: the leaf techniques in scope that are not fully covered, most urgent first, with
//! what ATT&CK says would close them.
//!
//! [`gaps`] reads an [`Assessment`] and the bundle it was made with.

use std::collections::BTreeMap;

use covmap_core::{Attack, Kind, ObjectRef};
use serde::{Deserialize, Serialize};

use crate::params::CoverageLevel;
use crate::score::{
    ActorKind, Assessment, FunctionTotals, NamedRef, ProfileUseRef, TechniqueResult, round6,
};
use crate::threats::leaf_routes;

// Roll-ups: gaps grouped by mitigation, data component or tactic.
mod rollup;
pub use rollup::{By, ROLLUP_TOP, RollupRow, RollupTechnique, rollup, rollup_gaps};

/// The note on sub-techniques whose parent has parent-level evidence only.
pub const PARENT_LEVEL_NOTE: &str = "covered at parent level only: verify per sub-technique";

/// Which gaps to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GapOptions {
    /// At most this many (after the tactic filter); `None`: all.
    pub top: Option<usize>,
    /// Only leaves of this tactic: shortname, ATT&CK ID or name, any case.
    pub tactic: Option<String>,
}

/// Why [`gaps`] could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GapsError {
    /// The tactic filter names no tactic of the assessment.
    #[error(
        "`{query}` is not a tactic of this assessment (known: {}){}",
        known.join(", "),
        suggestion.as_ref().map_or_else(String::new, |s| format!("\n  hint: did you mean `{s}`?"))
    )]
    UnknownTactic {
        /// What was asked for.
        query: String,
        /// The tactics' shortnames, in matrix order.
        known: Vec<String>,
        /// The shortname of the tactic whose shortname, ID or name is closest to `query`,
        /// when one is close enough to be a typo.
        suggestion: Option<String>,
    },
}

/// The tactic (shortname) closest to `query` by shortname, ID or name, ignoring case, spaces
/// and punctuation (`Defense Evasion`, `defence-evasion`, `TA005`), when close enough to be a
/// typo.
pub fn closest_tactic(assessment: &Assessment, query: &str) -> Option<String> {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let query = squash(query);
    assessment
        .tactics
        .iter()
        .map(|t| {
            let similarity = [&t.shortname, &t.id, &t.name]
                .iter()
                .map(|s| strsim::jaro_winkler(&query, &squash(s)))
                .fold(0.0_f64, f64::max);
            (similarity, &t.shortname)
        })
        .filter(|(similarity, _)| *similarity >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, shortname)| shortname.clone())
}

/// A selected threat that uses a gap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreatRef {
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Group, campaign or software.
    pub kind: ActorKind,
    /// Whether it uses the technique itself (a group: or through a campaign attributed to it),
    /// rather than only through software: such a use counts 1 in the weight, a software-only
    /// use `scoring.threat_software_factor`.
    pub direct: bool,
}

/// One gap: a leaf technique in scope with a score below 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gap {
    /// 1-based position in the ranking (after the tactic filter).
    pub rank: usize,
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Parent ID, for sub-techniques.
    pub parent: Option<String>,
    /// Shortnames of its tactics, in matrix order.
    pub tactics: Vec<String>,
    /// Its platforms in scope.
    pub platforms: Vec<String>,
    /// Headline score.
    pub score: f64,
    /// Display level.
    pub level: CoverageLevel,
    /// Per-function scores.
    pub functions: FunctionTotals,
    /// Threat weight: Σ over the selected threats that use it of (threat weight x use).
    pub weight: f64,
    /// `weight x (1 - score)`.
    pub gap_priority: f64,
    /// Selected threats that use it directly: the first tie-breaker.
    pub direct_threats: u32,
    /// Active ATT&CK groups of the bundle that use it by any route: the second tie-breaker.
    pub prevalence: u32,
    /// Ids of the capabilities that already apply, sorted.
    pub capabilities: Vec<String>,
    /// Capabilities that claim the parent without `include_subtechniques` and nothing here.
    pub parent_level_only: Vec<String>,
    /// Notes for the reader, such as [`PARENT_LEVEL_NOTE`].
    pub notes: Vec<String>,
    /// ATT&CK mitigations of the technique, sorted by ID.
    pub mitigations: Vec<NamedRef>,
    /// Detection strategies (ATT&CK 18+), sorted by ID.
    pub detection_strategies: Vec<NamedRef>,
    /// Data components: those the strategies' analytics read (18+) or that detect the
    /// technique (older bundles), sorted by ID.
    pub data_components: Vec<NamedRef>,
    /// `x_mitre_data_sources` (older bundles).
    pub data_sources: Vec<String>,
    /// Threat profiles that use it (part of `weight` like `threats`); absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threat_profiles: Vec<ProfileUseRef>,
    /// Selected threats that use it.
    pub threats: Vec<ThreatRef>,
}

/// The gaps of an assessment: leaves in scope with a score below 1, ranked by `gap_priority`
/// (descending); ties broken by information before the ID: more selected threats using it
/// directly (`direct_threats`), then more ATT&CK groups using it (`prevalence`), then `1 -
/// score` (descending, which orders the leaves no selected threat uses), then ATT&CK ID.
pub fn gaps(
    attack: &Attack,
    assessment: &Assessment,
    options: &GapOptions,
) -> Result<Vec<Gap>, GapsError> {
    let tactic = match &options.tactic {
        Some(query) => Some(
            assessment
                .tactic(query)
                .ok_or_else(|| GapsError::UnknownTactic {
                    query: query.clone(),
                    known: assessment
                        .tactics
                        .iter()
                        .map(|t| t.shortname.clone())
                        .collect(),
                    suggestion: closest_tactic(assessment, query),
                })?
                .shortname
                .as_str(),
        ),
        None => None,
    };
    let users = threat_users(attack, assessment);
    let mut list: Vec<&TechniqueResult> = assessment
        .leaves_in_scope()
        .filter(|t| t.score < 1.0)
        .filter(|t| tactic.is_none_or(|s| t.tactics.iter().any(|x| x == s)))
        .collect();
    list.sort_by(|a, b| {
        b.gap_priority
            .total_cmp(&a.gap_priority)
            .then(b.direct_threats.cmp(&a.direct_threats))
            .then(b.prevalence.cmp(&a.prevalence))
            .then(a.score.total_cmp(&b.score))
            .then_with(|| a.id.cmp(&b.id))
    });
    if let Some(top) = options.top {
        list.truncate(top);
    }
    Ok(list
        .into_iter()
        .enumerate()
        .map(|(i, t)| gap(attack, t, i + 1, users.get(t.id.as_str())))
        .collect())
}

/// Leaf ID -> the selected threats that use it.
fn threat_users(attack: &Attack, assessment: &Assessment) -> BTreeMap<String, Vec<ThreatRef>> {
    let mut users: BTreeMap<String, Vec<ThreatRef>> = BTreeMap::new();
    for (kind, threat) in assessment.scope.threats.all() {
        let Some(key) = attack.lookup(&threat.id).filter(|k| k.kind == kind.kind()) else {
            continue;
        };
        for (t, routes) in leaf_routes(attack, key) {
            let Some(technique) = attack.techniques().get(t as usize) else {
                continue;
            };
            users
                .entry(technique.meta.id().to_string())
                .or_default()
                .push(ThreatRef {
                    id: threat.id.clone(),
                    name: threat.name.clone(),
                    kind,
                    direct: routes.is_direct(),
                });
        }
    }
    users
}

fn named(attack: &Attack, kind: Kind, indices: &[u32]) -> Vec<NamedRef> {
    indices
        .iter()
        .filter(|&&index| attack_len(attack, kind) > index as usize)
        .map(|&index| {
            let meta = attack.meta(ObjectRef { kind, index });
            NamedRef {
                id: meta.id().to_string(),
                name: meta.name.clone(),
            }
        })
        .collect()
}

fn attack_len(attack: &Attack, kind: Kind) -> usize {
    match kind {
        Kind::DetectionStrategy => attack.detection_strategies().len(),
        Kind::DataComponent => attack.data_components().len(),
        _ => 0,
    }
}

fn gap(attack: &Attack, t: &TechniqueResult, rank: usize, users: Option<&Vec<ThreatRef>>) -> Gap {
    let mut capabilities: Vec<String> = t.capabilities.iter().map(|c| c.id.to_string()).collect();
    capabilities.sort();
    capabilities.dedup();
    let technique = attack.technique(&t.id).filter(|x| x.meta.is_active());
    let (mitigations, detection) = match technique {
        Some(technique) => (
            attack
                .mitigations_of(technique)
                .into_iter()
                .map(|m| NamedRef {
                    id: m.meta.id().to_string(),
                    name: m.meta.name.clone(),
                })
                .collect(),
            attack.detection_of(technique),
        ),
        None => (Vec::new(), covmap_core::Detection::default()),
    };
    let notes = if t.parent_level_only.is_empty() {
        Vec::new()
    } else {
        vec![PARENT_LEVEL_NOTE.to_string()]
    };
    Gap {
        rank,
        id: t.id.clone(),
        name: t.name.clone(),
        parent: t.parent.clone(),
        tactics: t.tactics.clone(),
        platforms: t.platforms.clone(),
        score: t.score,
        level: t.level,
        functions: FunctionTotals {
            detect: t.functions.detect.score,
            protect: t.functions.protect.score,
            respond: t.functions.respond.score,
            visibility: t.functions.visibility.score,
        },
        weight: t.weight,
        gap_priority: round6(t.gap_priority),
        direct_threats: t.direct_threats,
        prevalence: t.prevalence,
        threat_profiles: t.threat_profiles.clone(),
        capabilities,
        parent_level_only: t.parent_level_only.clone(),
        notes,
        mitigations,
        detection_strategies: named(attack, Kind::DetectionStrategy, &detection.strategies),
        data_components: named(attack, Kind::DataComponent, &detection.data_components),
        data_sources: detection.data_sources,
        threats: users.cloned().unwrap_or_default(),
    }
}
