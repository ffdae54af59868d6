//! Elastic detection-rules (`.toml`, one rule per file: `[metadata]` and `[rule]`).
//!
//! - **Techniques.** Every `[[rule.threat]]` whose `framework` is `MITRE ATT&CK` (others, such
//!   as MITRE ATLAS, are ignored): each `technique` id and each of its `subtechnique` ids (the
//!   parent is listed by Elastic as a mapping of its own). An id that is not of the form `Tnnnn`
//!   or `Tnnnn.nnn` is a finding (file:line:column) and is ignored.
//! - **Maturity.** Only rules whose `metadata.maturity` is in [`ElasticOptions::maturities`]
//!   count (default `production`: what Elastic ships in its prebuilt rules); `deprecated` never
//!   counts, whatever the option says (Elastic keeps such rules in `rules/_deprecated` only so
//!   that upgrades can remove them). A missing or unknown maturity is a finding and the rule is
//!   filtered.
//! - **Platforms** from the `OS: ...` tags (`OS: Windows` -> Windows, by
//!   [`crate::platform::attack_platform`]); a rule without one takes those of its `index`
//!   patterns by [`index_platform`] (table there). An index pattern without a platform is
//!   reported once, at the first rule that uses it.
//! - **Capabilities** by [`GroupBy`]: one per folder (default: detection-rules is organised by
//!   platform and integration, `rules/windows`, `rules/integrations/aws`), one per first
//!   `metadata.integration` (`no-integration` when there is none), or one for everything. Ids
//!   are built as Sigma's (see [`crate::sigma`]), with `elastic` as the default id.
//! - **Levels.** Every technique of a capability gets one entry, function
//!   [`ElasticOptions::function`] (default detect), whose level comes from the rules of that
//!   capability mapping to it by [`LevelRule`], where a rule of severity `high` or `critical`
//!   that is not a building block plays the part of Sigma's stable rule: Elastic gives those
//!   severities to rules precise enough to alert on their own, while low and medium ones, and
//!   building blocks (never alerted), mostly feed correlation. Default: one low or medium rule
//!   is minimal; one high rule, or two rules, partial; three or more with a high one among
//!   them, significant.
//! - **Counts.** A file with a `[rule]` table is a rule (an item); a rule whose maturity does
//!   not count is filtered; the techniques of the summary are those of the rules that count.
//!
//! Evidence: the file, `rule_id` and `name` of the first rule mapping to the technique; the
//! comment gives the rule count by severity and every other rule as
//! `path: rule_id "name" [severity]`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use covmap_assess::inventory::Function;
use serde::Deserialize;

use crate::model::{Finding, Imported};
use crate::rules::{GroupBy, LevelRule, Naming, Rule, RuleSet, root_of};
use crate::text::{LineIndex, is_technique_id, locate, locate_after};

/// How Elastic rules are imported.
#[derive(Debug, Clone, PartialEq)]
pub struct ElasticOptions {
    /// Capability id (group by none) or prefix of the capability ids.
    pub id: Option<String>,
    /// Maturities that count (lowercase); `deprecated` never does.
    pub maturities: BTreeSet<String>,
    /// How rules are grouped into capabilities ([`GroupBy::Product`]: by the first
    /// `metadata.integration`).
    pub group_by: GroupBy,
    /// The function of the entries.
    pub function: Function,
    /// How a technique's level is made (a high or critical rule counts as a stable one).
    pub levels: LevelRule,
}

impl Default for ElasticOptions {
    fn default() -> Self {
        ElasticOptions {
            id: None,
            maturities: BTreeSet::from(["production".to_string()]),
            group_by: GroupBy::Folder,
            function: Function::Detect,
            levels: LevelRule::default(),
        }
    }
}

/// The maturities detection-rules uses.
pub(crate) const MATURITIES: [&str; 5] = [
    "production",
    "beta",
    "experimental",
    "development",
    "deprecated",
];

/// Index pattern prefixes (any case): (prefix, platform). Longer prefixes come first.
const INDEXES: [(&str, Option<&str>); 24] = [
    ("winlogbeat-", Some("Windows")),
    ("logs-windows.", Some("Windows")),
    ("logs-system.security", Some("Windows")),
    ("logs-azure.signinlogs", Some("Identity Provider")),
    ("logs-azure.auditlogs", Some("Identity Provider")),
    ("logs-azure.identity_protection", Some("Identity Provider")),
    ("logs-azure.graphactivitylogs", Some("Identity Provider")),
    ("logs-azure", Some("IaaS")),
    ("logs-aws", Some("IaaS")),
    ("logs-gcp", Some("IaaS")),
    ("logs-o365", Some("Office Suite")),
    ("logs-google_workspace", Some("Office Suite")),
    ("logs-okta", Some("Identity Provider")),
    ("logs-kubernetes", Some("Containers")),
    ("logs-github", Some("SaaS")),
    ("logs-fortinet_fortigate", Some("Network Devices")),
    ("logs-panw", Some("Network Devices")),
    ("logs-pfsense", Some("Network Devices")),
    ("logs-cisco", Some("Network Devices")),
    ("filebeat-", None),
    ("auditbeat-", None),
    ("packetbeat-", None),
    ("logs-endpoint", None),
    ("endgame-", None),
];

/// The ATT&CK platform of an Elastic index pattern, or `None`.
///
/// | index pattern starts with (any case) | ATT&CK platform |
/// |---|---|
/// | winlogbeat-, logs-windows., logs-system.security | Windows |
/// | logs-azure.signinlogs, .auditlogs, .identity_protection, .graphactivitylogs (Entra ID) | Identity Provider |
/// | logs-azure (other), logs-aws, logs-gcp | IaaS |
/// | logs-o365, logs-google_workspace | Office Suite |
/// | logs-okta | Identity Provider |
/// | logs-kubernetes | Containers |
/// | logs-github | SaaS |
/// | logs-fortinet_fortigate, logs-panw, logs-pfsense, logs-cisco | Network Devices |
/// | filebeat-, auditbeat-, packetbeat-, logs-endpoint, endgame-, anything else | none |
///
/// Beats and Elastic Defend (`logs-endpoint`, `endgame-`) collect from Windows, Linux and
/// macOS alike: their rules say their platform with an `OS:` tag, or none.
pub fn index_platform(pattern: &str) -> Option<&'static str> {
    let lower = pattern.trim().to_ascii_lowercase();
    INDEXES
        .iter()
        .find(|(prefix, _)| lower.starts_with(prefix))
        .and_then(|(_, platform)| *platform)
}

#[derive(Deserialize)]
struct RawFile {
    metadata: Option<RawMetadata>,
    rule: Option<RawRule>,
}

#[derive(Deserialize)]
struct RawMetadata {
    maturity: Option<String>,
    /// A string or a list of strings.
    integration: Option<toml::Value>,
}

#[derive(Deserialize)]
struct RawRule {
    rule_id: Option<String>,
    name: Option<String>,
    severity: Option<String>,
    building_block_type: Option<String>,
    tags: Option<Vec<String>>,
    index: Option<Vec<String>>,
    threat: Option<Vec<RawThreat>>,
}

#[derive(Deserialize)]
struct RawThreat {
    framework: Option<String>,
    technique: Option<Vec<RawTechnique>>,
}

#[derive(Deserialize)]
struct RawTechnique {
    id: Option<String>,
    subtechnique: Option<Vec<RawSubtechnique>>,
}

#[derive(Deserialize)]
struct RawSubtechnique {
    id: Option<String>,
}

const NAMING: Naming = Naming {
    default_id: "elastic",
    default_name: "Elastic rules",
    prefix: "Elastic",
    noun: "rule",
    no_product: "no-integration",
};

/// Imports the Elastic rules (`.toml`) under `paths`.
pub fn import(paths: &[PathBuf], options: &ElasticOptions) -> Imported {
    crate::import_files(paths, &["toml"], |roots, texts, imported| {
        import_texts(roots, texts, options, imported);
    })
}

/// Reads files already read into `imported`; `roots` are the paths the user gave (for
/// folder names).
pub(crate) fn import_texts(
    roots: &[PathBuf],
    texts: &[crate::Text],
    options: &ElasticOptions,
    imported: &mut Imported,
) {
    let mut collector = Collector::new(options);
    crate::each_text(texts, |text, path| {
        collector.parse(text, path, root_of(roots, path), imported);
    });
    collector.finish(imported);
}

/// The technique ids of the ATT&CK threats, without repeats (any case); malformed ids are
/// findings located in `source`.
fn technique_ids(
    threats: &[RawThreat],
    source: &str,
    path: &Path,
    imported: &mut Imported,
) -> Vec<(String, Option<(usize, usize)>)> {
    let mut techniques: Vec<(String, Option<(usize, usize)>)> = Vec::new();
    let ids = threats
        .iter()
        .filter(|t| t.framework.as_deref().map(str::trim) == Some("MITRE ATT&CK"))
        .flat_map(|t| t.technique.iter().flatten())
        .flat_map(|t| {
            std::iter::once(&t.id)
                .chain(t.subtechnique.iter().flatten().map(|s| &s.id))
                .flatten()
        });
    for id in ids {
        let id = id.trim();
        if !is_technique_id(id) {
            let (line, column) = Some(id)
                .filter(|id| !id.is_empty())
                .and_then(|id| locate_after(source, "[[rule.threat", id))
                .or_else(|| locate(source, 1, "[[rule.threat"))
                .unwrap_or((1, 1));
            imported.findings.push(Finding::at(
                path,
                line,
                column,
                format!("`{id}` in rule.threat is not a technique ID: ignored"),
            ));
        } else if !techniques.iter().any(|(k, _)| k.eq_ignore_ascii_case(id)) {
            techniques.push((id.to_string(), locate_after(source, "[[rule.threat", id)));
        }
    }
    techniques
}

/// Rules read so far, grouped.
struct Collector<'o> {
    options: &'o ElasticOptions,
    rules: RuleSet<'o>,
    /// Index patterns without a platform, already reported (lowercase).
    reported: BTreeSet<String>,
}

impl<'o> Collector<'o> {
    fn new(options: &'o ElasticOptions) -> Self {
        Collector {
            options,
            rules: RuleSet::new(
                NAMING,
                options.id.as_deref(),
                options.group_by,
                options.function,
                options.levels,
            ),
            reported: BTreeSet::new(),
        }
    }

    /// Reads one file: one rule.
    fn parse(&mut self, source: &str, path: &Path, root: Option<&Path>, imported: &mut Imported) {
        let source = source.strip_prefix('\u{feff}').unwrap_or(source);
        let file: RawFile = match toml::from_str(source) {
            Ok(f) => f,
            Err(e) => {
                let (line, column) = e
                    .span()
                    .map_or((1, 1), |span| LineIndex::new(source).position(span.start));
                let message = e.message().trim().to_string();
                imported.skip_file(Finding::at(
                    path,
                    line,
                    column,
                    format!("invalid TOML: {message}: this file is skipped"),
                ));
                return;
            }
        };
        let Some(rule) = file.rule else {
            imported.skip_file(Finding::file(
                path,
                "no [rule] table: not a detection rule, skipped",
            ));
            return;
        };
        imported.summary.files_read += 1;
        imported.summary.items_read += 1;
        let metadata = file.metadata;
        if !self.counts(metadata.as_ref(), source, path, imported) {
            imported.summary.items_filtered += 1;
            return;
        }
        let techniques = technique_ids(
            rule.threat.as_deref().unwrap_or_default(),
            source,
            path,
            imported,
        );
        if techniques.is_empty() {
            return;
        }
        let id = rule.rule_id.as_deref().map(str::trim);
        let at = id.and_then(|id| locate(source, 1, id));
        if self.rules.is_copy(id, path, at, imported) {
            return;
        }
        imported.summary.items_with_techniques += 1;
        let platforms = self.platforms(&rule, source, path, imported);
        let integration = metadata
            .as_ref()
            .and_then(|m| m.integration.as_ref())
            .and_then(|v| match v {
                toml::Value::String(s) => Some(s.as_str()),
                toml::Value::Array(a) => a.first().and_then(toml::Value::as_str),
                _ => None,
            });
        let group = self.rules.group_of(path, root, integration);
        let severity = rule
            .severity
            .as_deref()
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "no severity".to_string());
        let stable =
            rule.building_block_type.is_none() && matches!(severity.as_str(), "high" | "critical");
        self.rules.add(
            group,
            &Rule {
                path: path.to_path_buf(),
                item: rule.rule_id.as_deref().map(str::trim).map(str::to_string),
                title: rule.name.as_deref().map(str::trim).map(str::to_string),
                tag: severity,
                stable,
                platforms,
                techniques,
            },
        );
    }

    /// Whether a rule of this metadata counts by its maturity; a missing or unknown maturity
    /// is a finding.
    fn counts(
        &self,
        metadata: Option<&RawMetadata>,
        source: &str,
        path: &Path,
        imported: &mut Imported,
    ) -> bool {
        let Some(maturity) = metadata
            .and_then(|m| m.maturity.as_deref())
            .map(|s| s.trim().to_ascii_lowercase())
        else {
            imported.findings.push(Finding::file(
                path,
                "no `metadata.maturity`: rule not imported",
            ));
            return false;
        };
        if !MATURITIES.contains(&maturity.as_str()) {
            let (line, column) = locate(source, 1, "maturity").unwrap_or((1, 1));
            imported.findings.push(Finding::at(
                path,
                line,
                column,
                format!("unknown maturity `{maturity}`: rule not imported"),
            ));
            return false;
        }
        maturity != "deprecated" && self.options.maturities.contains(&maturity)
    }

    /// The platforms of a rule: its `OS:` tags, else its index patterns (those without a
    /// platform reported once).
    fn platforms(
        &mut self,
        rule: &RawRule,
        source: &str,
        path: &Path,
        imported: &mut Imported,
    ) -> Vec<String> {
        let os_tags: Vec<&str> = rule
            .tags
            .iter()
            .flatten()
            .filter_map(|t| t.trim().strip_prefix("OS:"))
            .map(str::trim)
            .collect();
        if !os_tags.is_empty() {
            let (known, unknown) = crate::platform::attack_platforms(os_tags);
            for name in unknown {
                if self
                    .reported
                    .insert(format!("os: {}", name.to_ascii_lowercase()))
                {
                    let (line, column) = locate(source, 1, &name).unwrap_or((1, 1));
                    imported.findings.push(Finding::at(
                        path,
                        line,
                        column,
                        format!("tag `OS: {name}` is not an ATT&CK platform: it sets none (reported once)"),
                    ));
                }
            }
            return known;
        }
        let mut platforms: Vec<String> = Vec::new();
        for pattern in rule.index.iter().flatten() {
            let pattern = pattern.trim();
            match index_platform(pattern) {
                Some(p) => {
                    if !platforms.iter().any(|k| k == p) {
                        platforms.push(p.to_string());
                    }
                }
                None => {
                    if self.reported.insert(pattern.to_ascii_lowercase()) {
                        let (line, column) =
                            locate_after(source, "index", pattern).unwrap_or((1, 1));
                        imported.findings.push(Finding::at(
                            path,
                            line,
                            column,
                            format!("index `{pattern}` has no ATT&CK platform: it sets none (reported once)"),
                        ));
                    }
                }
            }
        }
        platforms
    }

    /// Turns the rules read into capabilities of `imported`, one entry per technique.
    fn finish(self, imported: &mut Imported) {
        self.rules.finish(imported);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use covmap_assess::inventory::{Level, NamedLevel};

    fn import(text: &str, options: &ElasticOptions) -> Imported {
        let mut imported = Imported::default();
        let mut collector = Collector::new(options);
        collector.parse(text, Path::new("rules/windows/r.toml"), None, &mut imported);
        collector.finish(&mut imported);
        imported.sort_findings();
        imported
    }

    const RULE: &str = r#"[metadata]
maturity = "production"
integration = ["endpoint", "windows"]

[rule]
rule_id = "r1"
name = "Encoded PowerShell"
severity = "high"
index = ["logs-endpoint.events.*"]
tags = ["OS: Windows", "Data Source: Elastic Defend"]

[[rule.threat]]
framework = "MITRE ATT&CK"
[[rule.threat.technique]]
id = "T1059"
[[rule.threat.technique.subtechnique]]
id = "T1059.001"
[[rule.threat.technique.subtechnique]]
id = "T1059.1"

[[rule.threat]]
framework = "MITRE ATLAS"
[[rule.threat.technique]]
id = "AML.T0051"
"#;

    #[test]
    fn rule() {
        let imported = import(RULE, &ElasticOptions::default());
        let s = &imported.summary;
        assert_eq!(
            (
                s.files_read,
                s.items_read,
                s.items_filtered,
                s.items_with_techniques
            ),
            (1, 1, 0, 1)
        );
        let c = &imported.capabilities[0];
        assert_eq!(c.id, "windows");
        assert_eq!(c.platforms, ["Windows"]);
        let got: Vec<_> = c
            .entries
            .iter()
            .map(|e| (e.technique.as_str(), e.level))
            .collect();
        let partial = Level::Named(NamedLevel::Partial);
        assert_eq!(got, [("T1059", partial), ("T1059.001", partial)]);
        assert_eq!(
            c.entries[0].evidence.to_text(),
            "rules/windows/r.toml: r1 \"Encoded PowerShell\" - 1 rule (1 high)"
        );
        let messages: Vec<String> = imported.findings.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            ["rules/windows/r.toml:19:7: `T1059.1` in rule.threat is not a technique ID: ignored"]
        );
    }

    #[test]
    fn maturity_and_index() {
        let beta = RULE
            .replace("\"production\"", "\"development\"")
            .replace("tags = [\"OS: Windows\", ", "tags = [");
        assert!(
            import(&beta, &ElasticOptions::default())
                .capabilities
                .is_empty()
        );
        let options = ElasticOptions {
            maturities: BTreeSet::from(["development".to_string(), "deprecated".to_string()]),
            ..ElasticOptions::default()
        };
        let imported = import(&beta, &options);
        assert!(imported.capabilities[0].platforms.is_empty());
        assert!(
            imported.findings[0]
                .message
                .starts_with("index `logs-endpoint")
        );
        let deprecated = RULE.replace("\"production\"", "\"deprecated\"");
        assert!(import(&deprecated, &options).capabilities.is_empty());
        assert_eq!(index_platform("logs-aws.cloudtrail-*"), Some("IaaS"));
        assert_eq!(
            index_platform("logs-azure.signinlogs-*"),
            Some("Identity Provider")
        );
        assert_eq!(index_platform("logs-azure.activitylogs-*"), Some("IaaS"));
        assert_eq!(index_platform("filebeat-*"), None);
    }

    #[test]
    fn malformed() {
        let imported = import("[rule]\nname = \"x\n", &ElasticOptions::default());
        assert_eq!(imported.summary.files_skipped, 1);
        assert_eq!(imported.findings[0].line, Some(2));
        let imported = import(
            "[metadata]\nmaturity = \"production\"\n",
            &ElasticOptions::default(),
        );
        assert_eq!(imported.summary.files_skipped, 1);
    }
}
