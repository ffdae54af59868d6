//! The inventory file format: `Raw*` structs that mirror one YAML file key for key, read by
//! [`crate::parse`] and described, through their doc comments, by [`inventory_schema`], the
//! JSON Schema that `covmap schema` prints for editors.
//!
//! The structs say what a file may contain; everything that needs the ATT&CK bundle (technique
//! IDs, platforms, threats) or several files (merging) is checked in `parse`.
//!
//! Text the parser only checks or trims borrows from the YAML document (`&'a str`: no
//! allocation per value); text kept as it is in the model (`vendor`, `owner`, `tags`) is owned.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::inventory::{
    Confidence, Function, ImportFormat, ProfileFormat, Status, TelemetryFormat,
};
use crate::params::ScoringParams;
use crate::yaml::{Deferred, OneOrMany, Spanned};

/// The JSON Schema (draft-07) of one inventory file.
///
/// Editors use it to validate and complete inventories: VS Code's YAML extension reads it from a
/// `# yaml-language-server: $schema=covmap-inventory.schema.json` comment or from its
/// `yaml.schemas` setting. The schema checks the shape of a file; only `covmap validate`, with
/// the ATT&CK bundle loaded, checks technique IDs, platforms and threats.
pub fn inventory_schema() -> serde_json::Value {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<RawInventory<'static>>();
    schema.insert(
        "$id".to_string(),
        "https://covmap.invalid/schema/inventory-1.json".into(),
    );
    schema.to_value()
}

// ---------------------------------------------------------------------------------------------
// Schemas of the wrappers: the same as what they wrap.

macro_rules! transparent_schema {
    ($($wrapper:ident),*) => {
        $(impl<T: JsonSchema> JsonSchema for $wrapper<T> {
            fn inline_schema() -> bool {
                T::inline_schema()
            }

            fn schema_name() -> Cow<'static, str> {
                T::schema_name()
            }

            fn schema_id() -> Cow<'static, str> {
                T::schema_id()
            }

            fn json_schema(generator: &mut SchemaGenerator) -> Schema {
                T::json_schema(generator)
            }
        })*
    };
}

transparent_schema!(Deferred, Spanned);

impl<T: JsonSchema> JsonSchema for OneOrMany<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("OneOrMany_{}", T::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let one = generator.subschema_for::<T>();
        json_schema!({
            "anyOf": [one, {"type": "array", "items": one}]
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The format

/// A covmap inventory: the defensive capabilities of an organisation, and what they do against
/// MITRE ATT&CK techniques. Several files (one per team, say) merge into one inventory.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "Inventory", title = "covmap inventory", deny_unknown_fields)]
pub(crate) struct RawInventory<'a> {
    /// Version of the inventory format: always `1`.
    #[schemars(schema_with = "format_version", required)]
    pub(crate) covmap: Option<Spanned<FormatVersion>>,
    /// Name of the organisation, shown in reports.
    pub(crate) organization: Option<Deferred<&'a str>>,
    /// The ATT&CK release the inventory was written for.
    pub(crate) attack: Option<Deferred<RawAttack<'a>>>,
    /// What is assessed: platforms, techniques taken out of scope, threats that weight scores.
    pub(crate) scope: Option<Deferred<RawScope<'a>>>,
    /// Scoring parameters; every one has a documented default.
    pub(crate) scoring: Option<Deferred<ScoringParams>>,
    /// The defensive capabilities: products, rule sets, processes.
    pub(crate) capabilities: Option<Deferred<Vec<Deferred<RawCapability<'a>>>>>,
    /// What `covmap plan` assumes about ATT&CK mitigations: their costs and the level they
    /// are assumed to give.
    pub(crate) plan: Option<Deferred<RawPlan<'a>>>,
    /// The logs the organisation collects, from which visibility is derived: with ATT&CK 18's
    /// analytics, the log sources (`WinEventLog:Sysmon`) and channels (`EventCode=1`) they read.
    pub(crate) telemetry: Option<Deferred<Vec<Deferred<RawTelemetry<'a>>>>>,
}

/// One telemetry entry: logs collected on some platforms.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "Telemetry", deny_unknown_fields)]
pub(crate) struct RawTelemetry<'a> {
    /// Short unique id among the telemetry entries of all files (`sysmon-endpoints`).
    #[serde(borrow)]
    #[schemars(length(min = 1))]
    pub(crate) id: Spanned<&'a str>,
    /// Display name. Default: the id.
    #[serde(borrow)]
    pub(crate) name: Option<&'a str>,
    /// Platforms the logs are collected on (ATT&CK spelling, any case). Default: the scope's.
    pub(crate) platforms: Option<Deferred<Vec<Spanned<&'a str>>>>,
    /// `deployed` (default) counts; `planned` and `candidate` count with `--include`;
    /// `retired` never counts.
    pub(crate) status: Option<Spanned<Status>>,
    /// The log sources collected, as ATT&CK's analytics name them.
    pub(crate) log_sources: Option<Deferred<Vec<Deferred<RawLogSource<'a>>>>>,
    /// How complete, timely and retained the logs are: a factor from 0 to 1 (default 1).
    #[schemars(range(min = 0, max = 1))]
    pub(crate) quality: Option<Spanned<f64>>,
    /// Files read when the inventory is assessed, whose log sources are added to this entry:
    /// a Sysmon configuration, a DeTT&CT data-source administration file.
    pub(crate) import: Option<Deferred<Vec<Deferred<RawTelemetryImport<'a>>>>>,
}

/// One log source collected.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "LogSource", deny_unknown_fields)]
pub(crate) struct RawLogSource<'a> {
    /// The log-source name as ATT&CK's analytics write it, e.g. `WinEventLog:Sysmon`,
    /// `auditd:SYSCALL`, `AWS:CloudTrail` (any case).
    #[serde(borrow)]
    #[schemars(length(min = 1))]
    pub(crate) name: Spanned<&'a str>,
    /// The channels collected, e.g. `EventCode=1` or `execve`. Default: every channel.
    #[serde(borrow)]
    #[schemars(schema_with = "channels_schema")]
    pub(crate) channels: Option<Spanned<Vec<Spanned<&'a str>>>>,
    /// Collected only through an include filter (a Sysmon event type with include rules): it
    /// counts `scoring.filtered_telemetry` (default 0.5) instead of 1. Default `false`.
    pub(crate) filtered: Option<bool>,
}

fn channels_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1})
}

/// A file read at assess time into a telemetry entry.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "TelemetryImport", deny_unknown_fields)]
pub(crate) struct RawTelemetryImport<'a> {
    /// `sysmon` (a Sysmon configuration), `dettect` (a data-source administration file), or
    /// `auto` (the default: recognised from the content).
    #[schemars(schema_with = "telemetry_format_schema")]
    pub(crate) format: Option<Spanned<TelemetryFormat>>,
    /// The file, relative to this inventory file.
    #[serde(borrow)]
    #[schemars(length(min = 1))]
    pub(crate) path: Spanned<&'a str>,
}

fn telemetry_format_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "string", "enum": ["auto", "sysmon", "dettect"]})
}

/// The `plan:` section, read by `covmap plan`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "Plan", deny_unknown_fields)]
pub(crate) struct RawPlan<'a> {
    /// Yearly cost of implementing an ATT&CK mitigation, by mitigation ID, e.g.
    /// `{M1026: 20000}`, or of onboarding a log source, by log-source name, e.g.
    /// `{"WinEventLog:Sysmon": 20000}` (every channel's action of that name costs it), in the
    /// currency of the capabilities' costs. An action without a cost is ranked by its gain
    /// alone.
    #[serde(borrow)]
    pub(crate) costs: Option<Deferred<std::collections::BTreeMap<&'a str, Spanned<f64>>>>,
    /// The protect level a mitigation is assumed to give on the techniques it mitigates, with
    /// confidence claimed: `minimal`, `partial` (default), `significant` or a number from 0 to 1.
    pub(crate) mitigation_level: Option<Spanned<RawLevel>>,
    /// The detect level an analytic a log source makes feasible is assumed to give once built,
    /// with confidence claimed: `minimal` (default), `partial`, `significant` or a number from 0
    /// to 1.
    pub(crate) analytic_level: Option<Spanned<RawLevel>>,
}

/// What `covmap:` holds, whatever it is: checked by the parser so that another version is an
/// `unsupported-version` finding rather than a type error.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FormatVersion {
    /// A whole number.
    Int(i128),
    /// Anything else, as written.
    Other(String),
}

impl<'de> Deserialize<'de> for FormatVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FormatVersion;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the format version `1`")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FormatVersion, E> {
                Ok(FormatVersion::Int(i128::from(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<FormatVersion, E> {
                Ok(FormatVersion::Int(i128::from(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<FormatVersion, E> {
                Ok(FormatVersion::Other(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<FormatVersion, E> {
                Ok(FormatVersion::Other(v.to_string()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FormatVersion, E> {
                Ok(FormatVersion::Other(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<FormatVersion, E> {
                Ok(FormatVersion::Other(String::new()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, _seq: A) -> Result<FormatVersion, A::Error> {
                Ok(FormatVersion::Other("a list".to_string()))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, _map: A) -> Result<FormatVersion, A::Error> {
                Ok(FormatVersion::Other("a mapping".to_string()))
            }
        }
        deserializer.deserialize_any(V)
    }
}

fn format_version(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "integer", "const": 1})
}

/// The ATT&CK release an inventory was written for. A version other than the loaded bundle's is
/// a warning; a domain other than the bundle's is an error.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "Attack", deny_unknown_fields)]
pub(crate) struct RawAttack<'a> {
    /// ATT&CK domain: `enterprise`, `mobile` or `ics`.
    #[serde(default, borrow)]
    #[schemars(schema_with = "domain_schema")]
    pub(crate) domain: Option<Spanned<&'a str>>,
    /// ATT&CK release, e.g. `"18.1"` (quote it: a plain 18.10 would read as 18.1).
    #[serde(default, borrow)]
    #[schemars(schema_with = "version_schema")]
    pub(crate) version: Option<Spanned<&'a str>>,
}

fn domain_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "string", "enum": ["enterprise", "mobile", "ics"]})
}

fn version_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": ["string", "number"]})
}

/// What is assessed.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "Scope", deny_unknown_fields)]
pub(crate) struct RawScope<'a> {
    /// Platforms in scope, spelled as ATT&CK spells them (any case): Windows, Linux, macOS,
    /// IaaS, SaaS, Office Suite, Identity Provider, Network Devices, Containers, ESXi, PRE.
    /// Default: every platform of the loaded domain.
    pub(crate) platforms: Option<Deferred<Vec<Spanned<&'a str>>>>,
    /// Techniques taken out of scope, each with the reason. Excluding a technique excludes its
    /// sub-techniques.
    pub(crate) exclude: Option<Deferred<Vec<Deferred<RawExclusion<'a>>>>>,
    /// The adversaries that matter most: the techniques they use weigh more in scores and gaps.
    pub(crate) threats: Option<Deferred<RawThreats<'a>>>,
}

/// A technique taken out of scope.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "Exclusion", deny_unknown_fields)]
pub(crate) struct RawExclusion<'a> {
    /// ATT&CK technique ID, e.g. `T1200` or `T1052.001`.
    #[serde(borrow)]
    #[schemars(schema_with = "technique_id_schema")]
    pub(crate) technique: Spanned<&'a str>,
    /// Why it is out of scope (shown in reports).
    #[serde(borrow)]
    #[schemars(length(min = 1))]
    pub(crate) reason: Spanned<&'a str>,
}

fn technique_id_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "pattern": "^[Tt][0-9]{4}(\\.[0-9]{3})?$",
    })
}

/// Groups, campaigns and software, by ATT&CK ID, name or alias.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "Threats", deny_unknown_fields)]
pub(crate) struct RawThreats<'a> {
    /// Groups, e.g. `APT29`, `G0016`, `Cozy Bear`.
    #[serde(borrow)]
    pub(crate) groups: Option<Vec<Spanned<&'a str>>>,
    /// Campaigns, e.g. `C0024`, `SolarWinds Compromise`.
    #[serde(borrow)]
    pub(crate) campaigns: Option<Vec<Spanned<&'a str>>>,
    /// Software, e.g. `S0154`, `Cobalt Strike`.
    #[serde(borrow)]
    pub(crate) software: Option<Vec<Spanned<&'a str>>>,
    /// Threat profiles a CTI team already keeps in files (a Navigator layer, a DeTT&CT group
    /// administration file, a CTID KEV mapping, a CSV `technique,weight`): each is one threat.
    pub(crate) profiles: Option<Deferred<Vec<Deferred<RawProfile<'a>>>>>,
}

/// A threat profile file, read when the inventory is loaded and weighted as one threat.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "ThreatProfile", deny_unknown_fields)]
pub(crate) struct RawProfile<'a> {
    /// The file, relative to this inventory file.
    #[serde(borrow)]
    #[schemars(length(min = 1))]
    pub(crate) path: Spanned<&'a str>,
    /// `navigator`, `dettect` (group administration), `ctid` (KEV mapping), `csv`
    /// (`technique,weight`), or `auto` (the default: recognised from the content).
    #[schemars(schema_with = "profile_format_schema")]
    pub(crate) format: Option<Spanned<ProfileFormat>>,
    /// The threat's weight: a number above 0 (default 1, as for a selected group).
    #[schemars(schema_with = "profile_weight_schema")]
    pub(crate) weight: Option<Spanned<f64>>,
    /// Label in reports. Default: the file name.
    #[serde(borrow)]
    #[schemars(length(min = 1))]
    pub(crate) name: Option<Spanned<&'a str>>,
}

fn profile_format_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "string", "enum": ["auto", "navigator", "dettect", "ctid", "csv"]})
}

fn profile_weight_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "number", "exclusiveMinimum": 0})
}

/// A defensive capability: a product, a rule set, a process.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "Capability", deny_unknown_fields)]
pub(crate) struct RawCapability<'a> {
    /// Short unique id, across all inventory files (`edr`, `siem-rules`); commands such as
    /// `covmap compare --candidate` name capabilities by it.
    #[serde(borrow)]
    #[schemars(length(min = 1))]
    pub(crate) id: Spanned<&'a str>,
    /// Display name. Default: the id.
    #[serde(borrow)]
    pub(crate) name: Option<&'a str>,
    /// Vendor.
    pub(crate) vendor: Option<String>,
    /// `deployed` (default) counts as current coverage; `planned` and `candidate` count in
    /// comparisons and with `--include planned`; `retired` never counts.
    pub(crate) status: Option<Spanned<Status>>,
    /// The independent system the capability belongs to. Default: its own id. Capabilities
    /// of one system (rule packs, folders or products of one SIEM or EDR) combine by the
    /// maximum per technique, function and platform: they are one layer of defence, not
    /// several; systems combine by `scoring.combine` (noisy-or: defence in depth). Name
    /// another capability's id to join its system.
    #[serde(default, borrow)]
    #[schemars(length(min = 1))]
    pub(crate) system: Option<Spanned<&'a str>>,
    /// Platforms the capability covers (ATT&CK spelling, any case). Default: the scope's.
    pub(crate) platforms: Option<Deferred<Vec<Spanned<&'a str>>>>,
    /// Yearly cost, for cost per point gained in comparisons.
    pub(crate) cost: Option<Deferred<RawCost<'a>>>,
    /// Owning team.
    pub(crate) owner: Option<String>,
    /// Free tags.
    pub(crate) tags: Option<Vec<String>>,
    /// What the capability does against which techniques.
    pub(crate) coverage: Option<Deferred<Vec<Deferred<RawCoverage<'a>>>>>,
    /// Artefacts whose coverage is read into this capability whenever the inventory is
    /// assessed: rule repositories, layers, mappings (paths relative to this file).
    pub(crate) import: Option<Deferred<Vec<Deferred<RawImport<'a>>>>>,
}

/// Artefacts read at assess time into the capability: coverage follows the rule repository
/// or layer without a generated file to keep in sync.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "Import", deny_unknown_fields)]
pub(crate) struct RawImport<'a> {
    /// `navigator`, `dettect`, `sigma`, `elastic`, `splunk`, `ctid`, or `auto` (recognised
    /// from each file's content).
    pub(crate) format: Spanned<ImportFormat>,
    /// A file or folder, or a list of them, relative to this inventory file.
    #[serde(borrow)]
    #[schemars(schema_with = "paths_schema")]
    pub(crate) path: Spanned<OneOrMany<Spanned<&'a str>>>,
    /// Statuses (Sigma: stable, test, experimental; Splunk: production, experimental,
    /// validation) or Elastic maturities (production, beta, ...) that count. Default: the
    /// format's (Sigma stable and test, Splunk and Elastic production).
    #[serde(borrow)]
    pub(crate) status: Option<Spanned<OneOrMany<Spanned<&'a str>>>>,
    /// The function of the imported entries. Default: detect (DeTT&CT: detect and
    /// visibility; CTID: what each mapping says).
    pub(crate) function: Option<Function>,
    /// One level for every imported entry instead of the format's rule.
    pub(crate) level: Option<Spanned<RawLevel>>,
    /// The confidence of the imported entries. Default: `scoring.default_confidence`.
    pub(crate) confidence: Option<Spanned<Confidence>>,
}

fn paths_schema(_: &mut SchemaGenerator) -> Schema {
    let path = json_schema!({"type": "string", "minLength": 1});
    json_schema!({
        "anyOf": [path, {"type": "array", "items": path, "minItems": 1}]
    })
}

/// The few keys of a capability read when the capability itself cannot be: enough to check
/// its id for duplicates and its coverage entries.
#[derive(Debug, Deserialize)]
pub(crate) struct RawCapabilityFallback<'a> {
    #[serde(borrow)]
    pub(crate) id: Option<Spanned<&'a str>>,
    pub(crate) coverage: Option<Deferred<Vec<Deferred<RawCoverage<'a>>>>>,
}

/// Yearly cost of a capability.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "Cost", deny_unknown_fields)]
pub(crate) struct RawCost<'a> {
    /// Amount per year (not negative).
    #[schemars(range(min = 0))]
    pub(crate) annual: Spanned<f64>,
    /// ISO 4217 currency code, e.g. `EUR`.
    #[serde(borrow)]
    #[schemars(regex(pattern = r"^[A-Za-z]{3}$"))]
    pub(crate) currency: Spanned<&'a str>,
}

/// One coverage claim: what a capability does (`function`), how well (`level`) and how sure
/// the team is (`confidence`), for some techniques.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "CoverageEntry", deny_unknown_fields)]
pub(crate) struct RawCoverage<'a> {
    /// ATT&CK technique IDs (`T1059.001`, any case): a list, or a single ID.
    #[serde(borrow)]
    #[schemars(schema_with = "techniques_schema")]
    pub(crate) techniques: Spanned<OneOrMany<Spanned<&'a str>>>,
    /// `detect` (alerts), `protect` (blocks), `respond` (contains or recovers), or `visibility`
    /// (telemetry is collected, but nothing alerts).
    pub(crate) function: Function,
    /// How much of the technique is covered: `minimal`, `partial`, `significant`, or a number
    /// from 0 to 1.
    pub(crate) level: Spanned<RawLevel>,
    /// How sure: `claimed`, `configured` (the default when absent) or `tested`.
    pub(crate) confidence: Option<Spanned<Confidence>>,
    /// How the claim is known: test report, ticket, exercise. Expected with `confidence: tested`.
    #[serde(borrow)]
    pub(crate) evidence: Option<&'a str>,
    /// Date of the last test, `YYYY-MM-DD`.
    #[serde(default, borrow)]
    #[schemars(schema_with = "date_schema")]
    pub(crate) tested_on: Option<Spanned<&'a str>>,
    /// Whether an entry on a parent technique also covers all its sub-techniques. Default
    /// `false`: the entry is evidence at parent level only and scores no sub-technique
    /// (warning `parent-counts-for-no-subtechnique`; write `false` to keep a parent-level
    /// claim by choice, without the warning).
    pub(crate) include_subtechniques: Option<bool>,
    /// Narrows the entry to some of the capability's platforms.
    pub(crate) platforms: Option<Deferred<Vec<Spanned<&'a str>>>>,
}

/// What is left of a coverage entry that cannot be read: its techniques, still worth checking.
#[derive(Debug, Deserialize)]
pub(crate) struct RawCoverageFallback<'a> {
    #[serde(borrow)]
    pub(crate) techniques: Option<Spanned<OneOrMany<Spanned<&'a str>>>>,
}

fn techniques_schema(_: &mut SchemaGenerator) -> Schema {
    let id = json_schema!({
        "type": "string",
        "pattern": "^[Tt][0-9]{4}(\\.[0-9]{3})?$",
    });
    json_schema!({
        "anyOf": [id, {"type": "array", "items": id, "minItems": 1}]
    })
}

fn date_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    })
}

/// A coverage level: a named level or a number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum RawLevel {
    /// `minimal`, `partial` or `significant`.
    Named(crate::inventory::NamedLevel),
    /// A number, checked to be in [0, 1] by the parser.
    Value(f64),
}

const LEVEL_NAMES: &[&str] = &["minimal", "partial", "significant"];

impl<'de> Deserialize<'de> for RawLevel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use crate::inventory::NamedLevel;
        struct V;
        impl Visitor<'_> for V {
            type Value = RawLevel;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`minimal`, `partial`, `significant`, or a number from 0 to 1")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawLevel, E> {
                let word = v.trim();
                let named = [
                    NamedLevel::Minimal,
                    NamedLevel::Partial,
                    NamedLevel::Significant,
                ]
                .into_iter()
                .zip(LEVEL_NAMES)
                .find(|(_, name)| word.eq_ignore_ascii_case(name));
                match named {
                    Some((level, _)) => Ok(RawLevel::Named(level)),
                    None => match word.parse::<f64>() {
                        // A quoted number is still a number.
                        Ok(n) => Ok(RawLevel::Value(n)),
                        Err(_) => Err(E::unknown_variant(v, LEVEL_NAMES)),
                    },
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawLevel, E> {
                Ok(RawLevel::Value(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawLevel, E> {
                Ok(RawLevel::Value(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawLevel, E> {
                Ok(RawLevel::Value(v as f64))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl JsonSchema for RawLevel {
    fn schema_name() -> Cow<'static, str> {
        "Level".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [
                {
                    "type": "string",
                    "enum": LEVEL_NAMES,
                    "description": "CTID's levels: minimal (few variations of the technique), partial (some), significant (most)"
                },
                {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "description": "a level value from 0 (nothing) to 1 (everything)"
                }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::inventory_schema;

    #[test]
    fn schema_names_the_top_level_keys() {
        let schema = inventory_schema();
        let properties = schema["properties"].as_object().expect("properties");
        let keys: Vec<&str> = properties.keys().map(String::as_str).collect();
        for key in [
            "covmap",
            "organization",
            "attack",
            "scope",
            "scoring",
            "capabilities",
            "telemetry",
        ] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
        assert_eq!(schema["required"], serde_json::json!(["covmap"]));
        assert_eq!(schema["additionalProperties"], serde_json::json!(false));
    }
}
