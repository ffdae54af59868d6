//! The validated inventory: capabilities resolved against a loaded ATT&CK bundle.
//!
//! `parse` turns YAML files into this model (with diagnostics); `score` reads only this model
//! and the bundle. Technique references are positions in [`covmap_core::Attack::techniques`],
//! already remapped from revoked IDs to their replacements; deprecated ones are dropped.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::diagnostic::Location;
use crate::params::ScoringParams;

/// Whether a capability is in service.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// In service: counts as current coverage.
    Deployed,
    /// Bought or being rolled out: counts with `--include planned` and in comparisons.
    Planned,
    /// Under evaluation: counts only in comparisons.
    Candidate,
    /// Out of service: never counts.
    Retired,
}

/// What a capability does about a technique (CTID's categories, plus visibility).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Function {
    /// Raises an alert when the technique is used.
    Detect,
    /// Prevents or blocks the technique.
    Protect,
    /// Helps contain or recover once the technique was used.
    Respond,
    /// Collects telemetry that shows the technique, without alerting (DeTT&CT's visibility).
    Visibility,
}

impl Function {
    /// Every function, in report order.
    pub const ALL: [Function; 4] = [
        Function::Detect,
        Function::Protect,
        Function::Respond,
        Function::Visibility,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Function::Detect => "detect",
            Function::Protect => "protect",
            Function::Respond => "respond",
            Function::Visibility => "visibility",
        }
    }
}

/// How sure the team is that an entry holds.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// The vendor or someone says so.
    Claimed,
    /// It is configured and enabled as it should be.
    Configured,
    /// It was tested (purple team, Atomic Red Team, ...) and worked.
    Tested,
}

/// How much of a technique an entry covers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Level {
    /// A named level: minimal, partial or significant (CTID's scale).
    Named(NamedLevel),
    /// A value in [0, 1].
    Value(f64),
}

/// CTID's named coverage levels.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum NamedLevel {
    /// Covers few variations of the technique.
    Minimal,
    /// Covers some.
    Partial,
    /// Covers most.
    Significant,
}

/// Yearly cost of a capability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    /// Amount per year.
    pub annual: f64,
    /// ISO 4217 code, e.g. `EUR`.
    pub currency: String,
}

/// One coverage claim of a capability.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageEntry {
    /// Techniques as listed (after revoked -> replacement; deprecated and unknown dropped),
    /// positions in `Attack::techniques()`. A parent with sub-techniques stays a parent here;
    /// `include_subtechniques` says whether it extends to them.
    pub techniques: Vec<u32>,
    /// What the capability does.
    pub function: Function,
    /// How much.
    pub level: Level,
    /// How sure; `None` when the inventory did not say (scored as `scoring.default_confidence`).
    pub confidence: Option<Confidence>,
    /// Free-text evidence.
    pub evidence: Option<String>,
    /// Date of the last test, `YYYY-MM-DD`.
    pub tested_on: Option<String>,
    /// Whether entries on a parent technique apply to all its sub-techniques.
    pub include_subtechniques: bool,
    /// `include_subtechniques: false` was written: a claim on a parent that is parent-level
    /// evidence by choice, which `parent-counts-for-no-subtechnique` does not warn about.
    pub parent_level_by_choice: bool,
    /// Narrows the entry to these platforms (bundle spelling); `None`: the capability's.
    pub platforms: Option<Vec<String>>,
    /// Where the entry starts.
    pub location: Location,
}

/// A format of other tools' artefacts that covmap imports: by `covmap import FORMAT` and by a
/// capability's `import:` entries.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ImportFormat {
    /// ATT&CK Navigator layers (JSON).
    Navigator,
    /// DeTT&CT technique administration files (YAML).
    Dettect,
    /// Sigma rules (YAML).
    Sigma,
    /// Elastic detection-rules (TOML).
    Elastic,
    /// Splunk security_content detections (YAML).
    Splunk,
    /// CTID mappings: Mappings Explorer JSON or security-stack-mappings YAML.
    Ctid,
    /// Sysmon configurations (XML): which events are collected, so telemetry, not coverage
    /// (`covmap import sysmon`, a telemetry entry's `import:`; a capability's `import:`
    /// refuses it).
    Sysmon,
    /// Recognised from each file's content.
    Auto,
}

impl ImportFormat {
    /// Every format, `auto` last.
    pub const ALL: [ImportFormat; 8] = [
        ImportFormat::Navigator,
        ImportFormat::Dettect,
        ImportFormat::Sigma,
        ImportFormat::Elastic,
        ImportFormat::Splunk,
        ImportFormat::Ctid,
        ImportFormat::Sysmon,
        ImportFormat::Auto,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportFormat::Navigator => "navigator",
            ImportFormat::Dettect => "dettect",
            ImportFormat::Sigma => "sigma",
            ImportFormat::Elastic => "elastic",
            ImportFormat::Splunk => "splunk",
            ImportFormat::Ctid => "ctid",
            ImportFormat::Sysmon => "sysmon",
            ImportFormat::Auto => "auto",
        }
    }
}

/// One `import:` entry of a capability: artefacts read when the inventory is assessed, whose
/// coverage is added to the capability's (covmap-import expands it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportSpec {
    /// The artefacts' format.
    pub format: ImportFormat,
    /// Files or folders, relative paths resolved against the inventory file's folder.
    pub paths: Vec<PathBuf>,
    /// Statuses (Sigma, Splunk) or maturities (Elastic) that count, lowercase; `None`: the
    /// format's default.
    pub statuses: Option<Vec<String>>,
    /// The function of the imported entries; `None`: the format's (detect, or what the
    /// source says).
    pub function: Option<Function>,
    /// One level for every imported entry instead of the format's rule.
    pub level: Option<Level>,
    /// The confidence of the imported entries; `None`: `scoring.default_confidence`.
    pub confidence: Option<Confidence>,
    /// Where the entry is written.
    pub location: Location,
}

/// A defensive capability: a product, a rule set, a process.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Capability {
    /// Unique id across all inventory files.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Vendor.
    pub vendor: Option<String>,
    /// In service or not.
    pub status: Status,
    /// The independent system it belongs to (`None`: its own id). Capabilities of one system
    /// (rule packs of one SIEM) combine by max; systems combine by `scoring.combine`.
    pub system: Option<String>,
    /// Platforms it runs on (bundle spelling); defaults to the scope's platforms.
    pub platforms: Vec<String>,
    /// Yearly cost.
    pub cost: Option<Cost>,
    /// Owning team.
    pub owner: Option<String>,
    /// Free tags.
    pub tags: Vec<String>,
    /// Coverage claims.
    pub coverage: Vec<CoverageEntry>,
    /// Artefacts to import into `coverage` at assess time (expanded by covmap-import).
    pub imports: Vec<ImportSpec>,
    /// Where the capability starts.
    pub location: Location,
}

impl Capability {
    /// The system it belongs to: its `system`, or its own id.
    pub fn system(&self) -> &str {
        self.system.as_deref().unwrap_or(&self.id)
    }
}

/// A technique taken out of scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exclusion {
    /// Position in `Attack::techniques()`; excluding a parent excludes its sub-techniques.
    pub technique: u32,
    /// Why (shown in reports).
    pub reason: String,
    /// Where it is written.
    pub location: Location,
}

/// The adversaries the organisation cares most about: they weight scores and gaps.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Threats {
    /// Positions in `Attack::groups()`.
    pub groups: Vec<u32>,
    /// Positions in `Attack::campaigns()`.
    pub campaigns: Vec<u32>,
    /// Positions in `Attack::software()`.
    pub software: Vec<u32>,
    /// Threat profiles from files (`scope.threats.profiles`), each one threat.
    pub profiles: Vec<ThreatProfile>,
}

impl Threats {
    /// No threat selected.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
            && self.campaigns.is_empty()
            && self.software.is_empty()
            && self.profiles.is_empty()
    }
}

/// The format of a threat profile file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileFormat {
    /// Recognised from the content.
    Auto,
    /// An ATT&CK Navigator layer: a technique's use is its score normalised by the gradient, or
    /// 1 when unscored.
    Navigator,
    /// A DeTT&CT group administration file: each enabled group with its software.
    Dettect,
    /// A CTID known-exploited-vulnerabilities mapping: a technique KEV rows use counts 1.
    Ctid,
    /// CSV `technique,weight`.
    Csv,
}

impl ProfileFormat {
    /// The name as inventories write it.
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileFormat::Auto => "auto",
            ProfileFormat::Navigator => "navigator",
            ProfileFormat::Dettect => "dettect",
            ProfileFormat::Ctid => "ctid",
            ProfileFormat::Csv => "csv",
        }
    }
}

/// How much a threat profile uses one technique.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ProfileUse {
    /// Position in `Attack::techniques()` (revoked IDs already remapped); a parent's use counts
    /// for each of its sub-techniques when scored.
    pub technique: u32,
    /// The use, in (0, 1].
    pub value: f64,
    /// Whether the use is the profile's own (not only through software), for tie-breaking.
    pub direct: bool,
}

/// One entry of `scope.threats.profiles`: a threat profile a CTI team keeps in a file, scored as
/// one threat.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThreatProfile {
    /// Label in reports: the entry's `name`, else the file name.
    pub name: String,
    /// The file, relative paths resolved against the inventory file's folder.
    pub path: PathBuf,
    /// Its format.
    pub format: ProfileFormat,
    /// Threat weight (default 1).
    pub weight: f64,
    /// The techniques it uses, filled when the profile is read (covmap-import), sorted by
    /// technique position, one per technique.
    pub uses: Vec<ProfileUse>,
    /// Where the entry is written.
    pub location: Location,
}

/// What is assessed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scope {
    /// Platforms in scope (bundle spelling, sorted); all of the domain's by default.
    pub platforms: Vec<String>,
    /// Techniques taken out of scope.
    pub exclusions: Vec<Exclusion>,
    /// Threat weighting.
    pub threats: Threats,
}

/// An inventory file that was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InventoryFile {
    /// As given on the command line.
    pub path: PathBuf,
    /// SHA-256 of its bytes, lowercase hex.
    pub sha256: String,
}

/// The ATT&CK release an inventory was written for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AttackTarget {
    /// `enterprise`, `mobile` or `ics`.
    pub domain: Option<String>,
    /// e.g. `18.1`.
    pub version: Option<String>,
}

/// The `plan:` section: what `covmap plan` assumes about ATT&CK mitigations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanParams {
    /// Yearly cost of implementing a mitigation, by mitigation ID (`M1026`), or of onboarding
    /// a log source, by log-source name as the bundle spells it (`WinEventLog:Sysmon`; each of
    /// its channels' actions costs that), in the currency of the candidates' costs; those not
    /// listed have no known cost.
    pub costs: std::collections::BTreeMap<String, f64>,
    /// The protect level a mitigation is assumed to give on the leaves it mitigates (confidence
    /// claimed); default `partial`.
    pub mitigation_level: Level,
    /// The detect level an analytic made feasible by a log source is assumed to give when built
    /// (confidence claimed); default `minimal`.
    pub analytic_level: Level,
}

impl Default for PlanParams {
    fn default() -> Self {
        PlanParams {
            costs: std::collections::BTreeMap::new(),
            mitigation_level: Level::Named(NamedLevel::Partial),
            analytic_level: Level::Named(NamedLevel::Minimal),
        }
    }
}

/// The format of a telemetry `import:` entry: a file that says which logs are collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TelemetryFormat {
    /// Recognised from the content.
    Auto,
    /// A Sysmon configuration (XML): the event types it collects.
    Sysmon,
    /// A DeTT&CT data-source administration file (YAML).
    Dettect,
}

impl TelemetryFormat {
    /// The import format that reads it (`auto` recognises Sysmon and DeTT&CT files alike).
    pub fn import_format(self) -> ImportFormat {
        match self {
            TelemetryFormat::Auto => ImportFormat::Auto,
            TelemetryFormat::Sysmon => ImportFormat::Sysmon,
            TelemetryFormat::Dettect => ImportFormat::Dettect,
        }
    }

    /// The name as inventories write it.
    pub fn as_str(self) -> &'static str {
        match self {
            TelemetryFormat::Auto => "auto",
            TelemetryFormat::Sysmon => "sysmon",
            TelemetryFormat::Dettect => "dettect",
        }
    }
}

/// One `import:` entry of a telemetry entry: a file read when the inventory is assessed, whose
/// log sources are added to the entry's (covmap-import expands it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TelemetryImport {
    /// The file's format.
    pub format: TelemetryFormat,
    /// The file, relative paths resolved against the inventory file's folder.
    pub path: PathBuf,
    /// Where the entry is written.
    pub location: Location,
}

/// One log source a telemetry entry collects, as ATT&CK 18's analytics name them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollectedSource {
    /// The log-source name in the bundle's spelling, e.g. `WinEventLog:Sysmon`.
    pub name: String,
    /// The channels collected, as written (e.g. `EventCode=1`); empty: every channel.
    pub channels: Vec<String>,
    /// Collected only through an include filter (a Sysmon event type with an `include` rule
    /// group): it counts `scoring.filtered_telemetry` instead of 1.
    pub filtered: bool,
    /// Where the source is written.
    pub location: Location,
}

/// One entry of the `telemetry:` section: logs a team collects, from which visibility is derived.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Telemetry {
    /// Unique id among the telemetry entries.
    pub id: String,
    /// Display name (default: the id).
    pub name: String,
    /// Platforms it is collected on (bundle spelling); defaults to the scope's platforms.
    pub platforms: Vec<String>,
    /// Whether it is in service; only deployed telemetry counts unless `--include` says more.
    pub status: Status,
    /// What it collects, the sources of its `import:` entries included once they are read.
    pub log_sources: Vec<CollectedSource>,
    /// A factor in [0, 1] for how complete, timely and retained the logs are (default 1).
    pub quality: f64,
    /// Files to read at assess time (expanded by covmap-import into `log_sources`).
    pub imports: Vec<TelemetryImport>,
    /// Where the entry starts.
    pub location: Location,
}

/// One or more inventory files, merged and resolved against a bundle.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Inventory {
    /// The files, in the order given.
    pub files: Vec<InventoryFile>,
    /// Organisation name.
    pub organization: Option<String>,
    /// The ATT&CK release the inventory names.
    pub attack: AttackTarget,
    /// What is assessed.
    pub scope: Scope,
    /// Scoring parameters (defaults where the inventory is silent).
    pub scoring: ScoringParams,
    /// All capabilities of all files, in file order.
    pub capabilities: Vec<Capability>,
    /// What `covmap plan` assumes (defaults where the inventory is silent).
    pub plan: PlanParams,
    /// The logs collected (`telemetry:` section), in file order.
    pub telemetry: Vec<Telemetry>,
}
