//! Plain data types of the ATT&CK model: one struct per STIX object kind ATT&CK uses.

use serde::{Deserialize, Serialize};

/// The kinds of ATT&CK object the model keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// `x-mitre-tactic`.
    Tactic,
    /// `attack-pattern`: a technique or sub-technique.
    Technique,
    /// `course-of-action`.
    Mitigation,
    /// `intrusion-set`.
    Group,
    /// `malware` or `tool`.
    Software,
    /// `campaign`.
    Campaign,
    /// `x-mitre-data-source`.
    DataSource,
    /// `x-mitre-data-component`.
    DataComponent,
    /// `x-mitre-detection-strategy`.
    DetectionStrategy,
    /// `x-mitre-analytic`.
    Analytic,
    /// `x-mitre-asset` (ICS).
    Asset,
}

impl Kind {
    /// Every kind, in the order the model stores them.
    pub const ALL: [Kind; 11] = [
        Kind::Tactic,
        Kind::Technique,
        Kind::Mitigation,
        Kind::Group,
        Kind::Software,
        Kind::Campaign,
        Kind::DataSource,
        Kind::DataComponent,
        Kind::DetectionStrategy,
        Kind::Analytic,
        Kind::Asset,
    ];

    /// The kinds users name by name or alias (`covmap attack show Carbanak`), in this order;
    /// the others are named by ID only.
    pub const NAMED: [Kind; 6] = [
        Kind::Tactic,
        Kind::Technique,
        Kind::Mitigation,
        Kind::Group,
        Kind::Software,
        Kind::Campaign,
    ];

    /// The kind of a STIX object type, if the model keeps it.
    pub fn from_stix_type(stix_type: &str) -> Option<Kind> {
        Some(match stix_type {
            "x-mitre-tactic" => Kind::Tactic,
            "attack-pattern" => Kind::Technique,
            "course-of-action" => Kind::Mitigation,
            "intrusion-set" => Kind::Group,
            "malware" | "tool" => Kind::Software,
            "campaign" => Kind::Campaign,
            "x-mitre-data-source" => Kind::DataSource,
            "x-mitre-data-component" => Kind::DataComponent,
            "x-mitre-detection-strategy" => Kind::DetectionStrategy,
            "x-mitre-analytic" => Kind::Analytic,
            "x-mitre-asset" => Kind::Asset,
            _ => return None,
        })
    }

    /// A human name for the kind, as ATT&CK's website uses it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Tactic => "tactic",
            Kind::Technique => "technique",
            Kind::Mitigation => "mitigation",
            Kind::Group => "group",
            Kind::Software => "software",
            Kind::Campaign => "campaign",
            Kind::DataSource => "data source",
            Kind::DataComponent => "data component",
            Kind::DetectionStrategy => "detection strategy",
            Kind::Analytic => "analytic",
            Kind::Asset => "asset",
        }
    }

    pub(crate) fn slot(self) -> usize {
        self as usize
    }
}

/// A reference to one object of the model: its kind and its position in that kind's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectRef {
    /// Which list the object is in.
    pub kind: Kind,
    /// Position in [`crate::Attack`]'s list of that kind.
    pub index: u32,
}

/// Fields every ATT&CK object carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// Where this object sits in the model.
    pub key: ObjectRef,
    /// STIX id, e.g. `attack-pattern--7385dfaf-6886-4229-9ecd-6fd678040830`.
    pub stix_id: String,
    /// ATT&CK ID, e.g. `T1059.001`; absent on analytics-less objects such as relationships.
    pub attack_id: Option<String>,
    /// Display name.
    pub name: String,
    /// Markdown description as MITRE writes it.
    pub description: String,
    /// Page on attack.mitre.org.
    pub url: Option<String>,
    /// `x_mitre_version` of the object.
    pub version: Option<String>,
    /// STIX `created` timestamp.
    pub created: Option<String>,
    /// STIX `modified` timestamp.
    pub modified: Option<String>,
    /// `revoked: true`: replaced by another object (see [`crate::Attack::replacement`]).
    pub revoked: bool,
    /// `x_mitre_deprecated: true`: withdrawn without replacement.
    pub deprecated: bool,
}

impl Meta {
    /// Neither revoked nor deprecated.
    pub fn is_active(&self) -> bool {
        !self.revoked && !self.deprecated
    }

    /// The ATT&CK ID, or the STIX id for objects that have none.
    pub fn id(&self) -> &str {
        self.attack_id.as_deref().unwrap_or(&self.stix_id)
    }
}

/// Gives access to the [`Meta`] of every model type.
pub trait AttackObject {
    /// The common fields.
    fn meta(&self) -> &Meta;
}

macro_rules! attack_object {
    ($($ty:ty),* $(,)?) => {
        $(impl AttackObject for $ty {
            fn meta(&self) -> &Meta {
                &self.meta
            }
        })*
    };
}

attack_object!(
    Tactic,
    Technique,
    Mitigation,
    Group,
    Software,
    Campaign,
    DataSource,
    DataComponent,
    DetectionStrategy,
    Analytic,
    Asset,
);

/// An ATT&CK tactic: a column of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tactic {
    /// Common fields.
    pub meta: Meta,
    /// `x_mitre_shortname`, the kill-chain phase name techniques refer to (`defense-evasion`).
    pub shortname: String,
}

/// An ATT&CK technique or sub-technique (`attack-pattern`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Technique {
    /// Common fields.
    pub meta: Meta,
    /// Shortnames of the tactics it serves, in matrix order.
    pub tactics: Vec<String>,
    /// `x_mitre_platforms`.
    pub platforms: Vec<String>,
    /// `x_mitre_is_subtechnique`.
    pub is_subtechnique: bool,
    /// Position of the parent technique, for sub-techniques.
    pub parent: Option<u32>,
    /// `x_mitre_data_sources` (bundles before ATT&CK 18).
    pub data_sources: Vec<String>,
    /// `x_mitre_detection` text (bundles before ATT&CK 18), when not empty.
    pub detection: Option<String>,
}

/// A mitigation (`course-of-action`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mitigation {
    /// Common fields.
    pub meta: Meta,
}

/// A threat group (`intrusion-set`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Common fields.
    pub meta: Meta,
    /// `aliases`, including the name itself as MITRE lists it.
    pub aliases: Vec<String>,
}

/// Whether a piece of software is malware or a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SoftwareKind {
    /// STIX `malware`.
    Malware,
    /// STIX `tool`.
    Tool,
}

/// Software: malware or a tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Software {
    /// Common fields.
    pub meta: Meta,
    /// Malware or tool.
    pub software_kind: SoftwareKind,
    /// `x_mitre_aliases`.
    pub aliases: Vec<String>,
    /// `x_mitre_platforms`.
    pub platforms: Vec<String>,
}

/// A campaign: a set of intrusions over a period of time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    /// Common fields.
    pub meta: Meta,
    /// `aliases`.
    pub aliases: Vec<String>,
    /// `first_seen` timestamp.
    pub first_seen: Option<String>,
    /// `last_seen` timestamp.
    pub last_seen: Option<String>,
}

/// A data source (deprecated in enterprise 18; still used by ICS and mobile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSource {
    /// Common fields.
    pub meta: Meta,
    /// `x_mitre_platforms`.
    pub platforms: Vec<String>,
}

/// A log source: where a data component's events come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogSource {
    /// Log name, e.g. `WinEventLog:Sysmon`.
    pub name: String,
    /// Channel or filter, e.g. `EventCode=1`.
    pub channel: String,
}

/// A data component: a kind of telemetry (Process Creation, Command Execution, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataComponent {
    /// Common fields.
    pub meta: Meta,
    /// Position of its data source, where the bundle still links one.
    pub data_source: Option<u32>,
    /// `x_mitre_log_sources` (ATT&CK 18+).
    pub log_sources: Vec<LogSource>,
}

/// A detection strategy (ATT&CK 18+): how to detect one technique, made of analytics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetectionStrategy {
    /// Common fields.
    pub meta: Meta,
    /// Positions of its analytics, in `x_mitre_analytic_refs` order.
    pub analytics: Vec<u32>,
}

/// A log source an analytic reads: a data component and the concrete log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticSource {
    /// Position of the data component.
    pub data_component: u32,
    /// Log name.
    pub name: String,
    /// Channel or filter.
    pub channel: String,
}

/// An analytic (ATT&CK 18+): a platform-specific detection recipe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analytic {
    /// Common fields.
    pub meta: Meta,
    /// `x_mitre_platforms`.
    pub platforms: Vec<String>,
    /// `x_mitre_log_source_references`, with data components resolved.
    pub log_sources: Vec<AnalyticSource>,
}

/// An ICS asset (`x-mitre-asset`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    /// Common fields.
    pub meta: Meta,
    /// `x_mitre_platforms`.
    pub platforms: Vec<String>,
    /// `x_mitre_sectors`.
    pub sectors: Vec<String>,
}

/// The relationship types the model keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RelKind {
    /// group/software/campaign `uses` technique or software.
    Uses,
    /// mitigation `mitigates` technique.
    Mitigates,
    /// detection strategy (18+) or data component (older) `detects` technique.
    Detects,
    /// sub-technique `subtechnique-of` technique.
    SubtechniqueOf,
    /// old object `revoked-by` its replacement.
    RevokedBy,
    /// campaign `attributed-to` group.
    AttributedTo,
    /// ICS technique `targets` asset.
    Targets,
}

impl RelKind {
    /// The relationship type of a STIX `relationship_type`, if the model keeps it.
    pub fn from_stix(name: &str) -> Option<RelKind> {
        Some(match name {
            "uses" => RelKind::Uses,
            "mitigates" => RelKind::Mitigates,
            "detects" => RelKind::Detects,
            "subtechnique-of" => RelKind::SubtechniqueOf,
            "revoked-by" => RelKind::RevokedBy,
            "attributed-to" => RelKind::AttributedTo,
            "targets" => RelKind::Targets,
            _ => return None,
        })
    }
}

/// One kept relationship between two objects of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relationship {
    /// The relationship type.
    pub kind: RelKind,
    /// STIX `source_ref`.
    pub source: ObjectRef,
    /// STIX `target_ref`.
    pub target: ObjectRef,
}
