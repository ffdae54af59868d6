//! Threat exposure: how much of what a group, campaign or piece of software does is covered.
//!
//! [`threat_coverage`] reads an [`Assessment`] and the bundle it was made with; [`leaves_used_by`]
//! is the rule that also weights scores: every active technique an actor uses by any route, a
//! parent's use counting for each of its sub-techniques.

use std::collections::{BTreeMap, BTreeSet};

use covmap_core::{Attack, Kind, NameMatch, ObjectRef, Route};
use serde::{Deserialize, Serialize};

use crate::score::{ActorKind, Assessment, round6};

/// Which threats to report on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreatOptions {
    /// One actor (ATT&CK ID, name or alias, e.g. `G0016`, `APT29`, `Cozy Bear`); `None`: every
    /// threat selected in the assessment's scope.
    pub actor: Option<String>,
    /// How many uncovered techniques to list per actor; `None`: all.
    pub top: Option<usize>,
}

/// Why [`threat_coverage`] could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ThreatsError {
    /// Nothing in the bundle has this ID, name or alias.
    #[error(
        "`{query}` is not a group, campaign or software of the loaded ATT&CK bundle{}",
        did_you_mean(suggestions)
    )]
    UnknownActor {
        /// What was asked for.
        query: String,
        /// Groups, campaigns and software with a close ID, name or alias (`ID (name)`), best
        /// first; empty when none is close.
        suggestions: Vec<String>,
    },
    /// The query names an object that is not a group, campaign or software.
    #[error("`{query}` is a {kind}, not a group, campaign or software")]
    NotAnActor {
        /// What was asked for.
        query: String,
        /// What it is (`technique`, `mitigation`, ...).
        kind: String,
    },
    /// The name or alias names several groups, campaigns or software: covmap never picks one.
    #[error(
        "`{query}` names {} groups, campaigns or software: {}\n  hint: name the one you mean by its ATT&CK ID",
        candidates.len(),
        candidates.join(", ")
    )]
    AmbiguousActor {
        /// What was asked for.
        query: String,
        /// The candidates, `ID name (kind)`, sorted by kind then ID.
        candidates: Vec<String>,
    },
}

/// `\n  hint: did you mean A, B?`, or nothing when there is no suggestion.
fn did_you_mean(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!("\n  hint: did you mean {}?", suggestions.join(", "))
    }
}

/// How well one actor's techniques are covered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreatCoverage {
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Group, campaign or software.
    pub kind: ActorKind,
    /// Whether it is one of the assessment's selected threats.
    pub selected: bool,
    /// Active leaf techniques it uses, in scope or not.
    pub techniques: usize,
    /// How it reaches those leaves, as `covmap attack group` counts them.
    pub routes: RouteCounts,
    /// Of those, the leaves in scope.
    pub in_scope: usize,
    /// Mean score of those leaves (0 when there are none).
    pub score: f64,
    /// Leaves in scope with a score above 0.
    pub covered: usize,
    /// `covered / in_scope` (0 when there are none).
    pub covered_share: f64,
    /// Its least covered leaves in scope (score below 1), largest `1 - score` first, then by ID.
    pub uncovered: Vec<ThreatGap>,
}

/// How an actor reaches its leaf techniques. A leaf reached by several kinds of route counts
/// under each, so the first four may add up to more than the leaves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteCounts {
    /// Leaves it uses itself.
    pub direct: usize,
    /// Leaves used by software it uses.
    pub via_software: usize,
    /// Leaves used by campaigns attributed to it (groups only).
    pub via_campaign: usize,
    /// Leaves used by software of those campaigns (groups only).
    pub via_campaign_software: usize,
    /// Leaves it reaches through software only (neither itself nor a campaign uses them):
    /// in threat weights they count `scoring.threat_software_factor`, the others 1.
    pub software_only: usize,
}

impl RouteCounts {
    /// Counts the routes of a list of leaves.
    pub fn of(leaves: &[(u32, LeafRoutes)]) -> RouteCounts {
        let mut counts = RouteCounts::default();
        for (_, r) in leaves {
            counts.direct += usize::from(r.direct);
            counts.via_software += usize::from(r.software);
            counts.via_campaign += usize::from(r.campaign);
            counts.via_campaign_software += usize::from(r.campaign_software);
            counts.software_only += usize::from(!r.is_direct());
        }
        counts
    }
}

/// A technique an actor uses that is not fully covered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreatGap {
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Score in [0, 1].
    pub score: f64,
    /// `1 - score`.
    pub gap: f64,
    /// Shortnames of its tactics, in matrix order.
    pub tactics: Vec<String>,
}

/// The kinds of route by which an actor reaches one leaf technique (several may hold).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "one independent flag per kind of core::Route; any combination occurs"
)]
pub struct LeafRoutes {
    /// The actor's own `uses` (for a group, a campaign or software).
    pub direct: bool,
    /// Through software the actor uses.
    pub software: bool,
    /// A campaign attributed to the group used it.
    pub campaign: bool,
    /// Software used in a campaign attributed to the group.
    pub campaign_software: bool,
}

impl LeafRoutes {
    /// Whether the actor uses it itself or through a campaign attributed to it: such a use
    /// counts 1 in threat weights, a software-only use `scoring.threat_software_factor`.
    pub fn is_direct(self) -> bool {
        self.direct || self.campaign
    }

    /// The use that weights the leaf: 1 when direct, else the software factor. Per actor the
    /// larger route counts, never their sum.
    pub fn value(self, software_factor: f64) -> f64 {
        if self.is_direct() {
            1.0
        } else {
            software_factor
        }
    }

    fn add(&mut self, route: &Route) {
        match route {
            Route::Direct => self.direct = true,
            Route::Software { .. } => self.software = true,
            Route::Campaign { .. } => self.campaign = true,
            Route::CampaignSoftware { .. } => self.campaign_software = true,
        }
    }

    fn merge(&mut self, other: LeafRoutes) {
        self.direct |= other.direct;
        self.software |= other.software;
        self.campaign |= other.campaign;
        self.campaign_software |= other.campaign_software;
    }
}

/// Active leaf techniques an actor uses with the kinds of route that reach each, as positions in
/// [`Attack::techniques`], sorted by ATT&CK ID: every route of [`Attack::techniques_used_by`] (a
/// group's own uses, its software's, its campaigns' and their software's), with a use of a parent
/// technique counting for each of its active sub-techniques (a sub-technique reached both ways
/// merges its routes).
pub fn leaf_routes(attack: &Attack, actor: ObjectRef) -> Vec<(u32, LeafRoutes)> {
    let techniques = attack.techniques();
    let mut leaves: BTreeMap<(String, u32), LeafRoutes> = BTreeMap::new();
    for used in attack.techniques_used_by(actor) {
        let Some(technique) = techniques.get(used.technique as usize) else {
            continue;
        };
        let mut routes = LeafRoutes::default();
        for route in &used.routes {
            routes.add(route);
        }
        let subs = if technique.is_subtechnique {
            Vec::new()
        } else {
            attack.subtechniques(technique)
        };
        if subs.is_empty() {
            leaves
                .entry((technique.meta.id().to_string(), used.technique))
                .or_default()
                .merge(routes);
        } else {
            for s in subs {
                leaves
                    .entry((s.meta.id().to_string(), s.meta.key.index))
                    .or_default()
                    .merge(routes);
            }
        }
    }
    leaves.into_iter().map(|((_, t), r)| (t, r)).collect()
}

/// Active leaf techniques an actor uses, as positions in [`Attack::techniques`], sorted by
/// ATT&CK ID: the leaves of [`leaf_routes`], whatever the route.
pub fn leaves_used_by(attack: &Attack, actor: ObjectRef) -> Vec<u32> {
    leaf_routes(attack, actor)
        .into_iter()
        .map(|(t, _)| t)
        .collect()
}

/// Resolves an actor query (ID, name or alias) to a group, campaign or software, by the rule of
/// [`Attack::resolve_name`]: only those three kinds compete, an own name beats an alias, and a
/// name several of them share is [`ThreatsError::AmbiguousActor`].
pub fn resolve_actor(attack: &Attack, query: &str) -> Result<ObjectRef, ThreatsError> {
    const ACTORS: [Kind; 3] = [Kind::Group, Kind::Campaign, Kind::Software];
    let found = match attack.resolve_query(query, &ACTORS) {
        NameMatch::None => attack.resolve_name(query, &Kind::NAMED),
        other => other,
    };
    match found {
        NameMatch::One(key) if ActorKind::of(key.kind).is_some() => Ok(key),
        NameMatch::One(key) => Err(ThreatsError::NotAnActor {
            query: query.to_string(),
            kind: key.kind.label().to_string(),
        }),
        NameMatch::Ambiguous(keys) if keys.iter().all(|k| ActorKind::of(k.kind).is_some()) => {
            Err(ThreatsError::AmbiguousActor {
                query: query.to_string(),
                candidates: keys
                    .iter()
                    .map(|k| {
                        let meta = attack.meta(*k);
                        format!("{} {} ({})", meta.id(), meta.name, k.kind.label())
                    })
                    .collect(),
            })
        }
        // Several objects of other kinds (two techniques named `Botnet`): none is an actor.
        NameMatch::Ambiguous(keys) => Err(ThreatsError::NotAnActor {
            query: query.to_string(),
            kind: keys
                .iter()
                .map(|k| k.kind.label())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(" or "),
        }),
        NameMatch::None => Err(ThreatsError::UnknownActor {
            query: query.to_string(),
            suggestions: attack.suggest_among(query, &ACTORS, 3),
        }),
    }
}

/// Coverage of each selected threat (or of the one actor the options name), in the order of
/// the assessment's scope (groups, campaigns, software, each by ID). Without selected threats
/// and without an actor the list is empty.
pub fn threat_coverage(
    attack: &Attack,
    assessment: &Assessment,
    options: &ThreatOptions,
) -> Result<Vec<ThreatCoverage>, ThreatsError> {
    let selected: BTreeSet<&str> = assessment
        .scope
        .threats
        .all()
        .map(|(_, r)| r.id.as_str())
        .collect();
    let actors: Vec<ObjectRef> = match &options.actor {
        Some(query) => vec![resolve_actor(attack, query)?],
        None => assessment
            .scope
            .threats
            .all()
            .filter_map(|(kind, r)| attack.lookup(&r.id).filter(|key| key.kind == kind.kind()))
            .collect(),
    };
    Ok(actors
        .into_iter()
        .filter_map(|actor| coverage_of(attack, assessment, actor, &selected, options.top))
        .collect())
}

fn coverage_of(
    attack: &Attack,
    assessment: &Assessment,
    actor: ObjectRef,
    selected: &BTreeSet<&str>,
    top: Option<usize>,
) -> Option<ThreatCoverage> {
    let kind = ActorKind::of(actor.kind)?;
    let meta = match kind {
        ActorKind::Group => &attack.groups().get(actor.index as usize)?.meta,
        ActorKind::Campaign => &attack.campaigns().get(actor.index as usize)?.meta,
        ActorKind::Software => &attack.software().get(actor.index as usize)?.meta,
    };
    let routes = leaf_routes(attack, actor);
    let leaves: Vec<u32> = routes.iter().map(|(t, _)| *t).collect();
    let mut in_scope = Vec::new();
    for t in &leaves {
        let Some(technique) = attack.techniques().get(*t as usize) else {
            continue;
        };
        if let Some(result) = assessment.technique(technique.meta.id())
            && result.in_scope
            && result.leaf
        {
            in_scope.push(result);
        }
    }
    let n = in_scope.len();
    let sum: f64 = in_scope.iter().map(|t| t.score).sum();
    let covered = in_scope.iter().filter(|t| t.score > 0.0).count();
    let mut uncovered: Vec<ThreatGap> = in_scope
        .iter()
        .filter(|t| t.score < 1.0)
        .map(|t| ThreatGap {
            id: t.id.clone(),
            name: t.name.clone(),
            score: t.score,
            gap: round6(1.0 - t.score),
            tactics: t.tactics.clone(),
        })
        .collect();
    uncovered.sort_by(|a, b| b.gap.total_cmp(&a.gap).then_with(|| a.id.cmp(&b.id)));
    if let Some(top) = top {
        uncovered.truncate(top);
    }
    let ratio = |x: f64| if n == 0 { 0.0 } else { round6(x / n as f64) };
    Some(ThreatCoverage {
        id: meta.id().to_string(),
        name: meta.name.clone(),
        kind,
        selected: selected.contains(meta.id()),
        techniques: leaves.len(),
        routes: RouteCounts::of(&routes),
        in_scope: n,
        score: ratio(sum),
        covered,
        covered_share: ratio(covered as f64),
        uncovered,
    })
}
