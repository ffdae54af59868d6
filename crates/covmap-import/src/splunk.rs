//! Splunk security_content detections (`.yml` / `.yaml`, one detection per file).
//!
//! - **Techniques.** `tags.mitre_attack_id`, a list of IDs (`T1059.001`). An entry that is not
//!   of the form `Tnnnn` or `Tnnnn.nnn` is a finding (file:line:column) and is ignored; a
//!   well-formed ID the bundle does not know is left to [`crate::resolve::resolve`].
//! - **Status.** Only detections whose `status` is in [`SplunkOptions::statuses`] count
//!   (default `production`: what Splunk ships enabled in Enterprise Security content).
//!   `experimental` and `validation` count only when asked for; `deprecated` never counts,
//!   whatever the option says (Splunk moves such detections to `detections/deprecated` and
//!   stops shipping them). A missing or unknown status is a finding and the detection is
//!   filtered.
//! - **Platforms** from `data_source` by [`splunk_platform`] (table there); a detection's
//!   platforms are those of all its data sources. A data source without an ATT&CK platform is
//!   reported once, at the first detection that names it; a detection without data sources
//!   sets no platform.
//! - **Capabilities** by [`GroupBy`]: one per folder (default: security_content is organised
//!   by domain, `detections/endpoint`, `detections/cloud`), one per product of the first data
//!   source ([`splunk_product`]; `no-data-source` when there is none: the detection's own
//!   `tags.product` names Splunk itself, not the sensor), or one for everything. Ids are built
//!   as Sigma's (see [`crate::sigma`]), with `splunk` as the default id.
//! - **Levels.** Every technique of a capability gets one entry, function
//!   [`SplunkOptions::function`] (default detect), whose level comes from the detections of
//!   that capability mapping to it by [`LevelRule`], where a detection of `type: TTP` plays the
//!   part of Sigma's stable rule: a TTP detection is written to raise a notable event on its
//!   own, while `Anomaly` and `Hunting` ones only add to risk scores or serve hunts. Default:
//!   one Anomaly or Hunting detection is minimal; one TTP detection, or two detections,
//!   partial; three or more with a TTP among them, significant.
//! - **Counts.** A file that parses is a detection (an item); a detection whose status does not
//!   count is filtered; the techniques of the summary are those of the detections that count.
//!
//! Evidence: the file, `id` and `name` of the first detection mapping to the technique; the
//! comment gives the detection count by `type` and every other detection as
//! `path: id "name" [type]`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use covmap_assess::inventory::Function;
use serde::Deserialize;

use crate::model::{Finding, Imported};
use crate::rules::{GroupBy, LevelRule, Naming, Rule, RuleSet, root_of};
use crate::text::{is_technique_id, locate, locate_after};

/// How Splunk detections are imported.
#[derive(Debug, Clone, PartialEq)]
pub struct SplunkOptions {
    /// Capability id (group by none) or prefix of the capability ids.
    pub id: Option<String>,
    /// Statuses that count (lowercase); `deprecated` never does.
    pub statuses: BTreeSet<String>,
    /// How detections are grouped into capabilities ([`GroupBy::Product`]: by
    /// [`splunk_product`] of the first data source).
    pub group_by: GroupBy,
    /// The function of the entries.
    pub function: Function,
    /// How a technique's level is made (a `TTP` detection counts as a stable rule).
    pub levels: LevelRule,
}

impl Default for SplunkOptions {
    fn default() -> Self {
        SplunkOptions {
            id: None,
            statuses: BTreeSet::from(["production".to_string()]),
            group_by: GroupBy::Folder,
            function: Function::Detect,
            levels: LevelRule::default(),
        }
    }
}

/// The statuses security_content uses.
pub(crate) const STATUSES: [&str; 4] = ["production", "experimental", "validation", "deprecated"];

/// Data-source names (prefixes, any case) of security_content: (prefix, product, platform).
/// Longer prefixes come first so that `Sysmon for Linux` is not read as `Sysmon`.
const SOURCES: [(&str, &str, Option<&str>); 28] = [
    ("sysmon for linux", "Sysmon for Linux", Some("Linux")),
    ("sysmon", "Sysmon", Some("Windows")),
    ("windows", "Windows Event Log", Some("Windows")),
    ("powershell", "PowerShell", Some("Windows")),
    ("linux", "Linux Auditd", Some("Linux")),
    ("osquery", "osquery", None),
    ("mac", "macOS", Some("macOS")),
    ("aws", "AWS", Some("IaaS")),
    (
        "azure active directory",
        "Azure Active Directory",
        Some("Identity Provider"),
    ),
    (
        "azure ad",
        "Azure Active Directory",
        Some("Identity Provider"),
    ),
    ("azure", "Azure", Some("IaaS")),
    ("gcp", "GCP", Some("IaaS")),
    ("google cloud", "GCP", Some("IaaS")),
    ("g suite", "Google Workspace", Some("Office Suite")),
    ("google workspace", "Google Workspace", Some("Office Suite")),
    ("o365", "Office 365", Some("Office Suite")),
    ("ms365", "Office 365", Some("Office Suite")),
    ("okta", "Okta", Some("Identity Provider")),
    ("pingid", "PingID", Some("Identity Provider")),
    ("github", "GitHub", Some("SaaS")),
    ("gitlab", "GitLab", Some("SaaS")),
    ("kubernetes", "Kubernetes", Some("Containers")),
    ("cisco", "Cisco", Some("Network Devices")),
    ("palo alto", "Palo Alto Networks", Some("Network Devices")),
    ("vmware", "VMware", Some("ESXi")),
    ("crowdstrike", "CrowdStrike", None),
    ("suricata", "Suricata", None),
    ("nginx", "Nginx", None),
];

/// The ATT&CK platform of a security_content data source (`data_source` entry), or `None`.
///
/// | data source starts with (any case) | ATT&CK platform |
/// |---|---|
/// | Sysmon for Linux, Linux (Auditd) | Linux |
/// | Sysmon, Windows (Event Log, Security, Active Directory Admon), Powershell | Windows |
/// | Mac | macOS |
/// | AWS, Azure (other than Active Directory), GCP, Google Cloud | IaaS |
/// | Azure Active Directory, Azure AD, Okta, PingID | Identity Provider |
/// | G Suite, Google Workspace, O365, MS365 | Office Suite |
/// | GitHub, GitLab | SaaS |
/// | Kubernetes | Containers |
/// | Cisco, Palo Alto | Network Devices |
/// | VMware | ESXi |
/// | CrowdStrike, osquery, Suricata, Nginx, anything else | none |
///
/// CrowdStrike and osquery run on Windows, Linux and macOS alike, Suricata and Nginx watch
/// traffic from anywhere: the data source does not say which platform the detection covers.
pub fn splunk_platform(data_source: &str) -> Option<&'static str> {
    source(data_source).and_then(|(_, _, platform)| *platform)
}

/// The product of a data source: the table's name for its prefix (`Sysmon EventID 1` ->
/// `Sysmon`), else the data source as written.
pub fn splunk_product(data_source: &str) -> String {
    source(data_source).map_or_else(
        || data_source.trim().to_string(),
        |(_, product, _)| (*product).to_string(),
    )
}

fn source(
    data_source: &str,
) -> Option<&'static (&'static str, &'static str, Option<&'static str>)> {
    let lower = data_source.trim().to_ascii_lowercase();
    SOURCES.iter().find(|(prefix, _, _)| {
        lower.strip_prefix(prefix).is_some_and(|rest| {
            rest.is_empty() || !rest.starts_with(|c: char| c.is_ascii_alphanumeric())
        })
    })
}

#[derive(Deserialize, Default)]
struct RawDetection {
    name: Option<String>,
    id: Option<String>,
    status: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    data_source: Option<Vec<String>>,
    tags: Option<RawTags>,
}

#[derive(Deserialize, Default)]
struct RawTags {
    mitre_attack_id: Option<Vec<String>>,
}

const NAMING: Naming = Naming {
    default_id: "splunk",
    default_name: "Splunk detections",
    prefix: "Splunk",
    noun: "detection",
    no_product: "no-data-source",
};

/// Imports the Splunk detections (`.yml`, `.yaml`) under `paths`.
pub fn import(paths: &[PathBuf], options: &SplunkOptions) -> Imported {
    crate::import_files(paths, &["yml", "yaml"], |roots, texts, imported| {
        import_texts(roots, texts, options, imported);
    })
}

/// Reads files already read into `imported`; `roots` are the paths the user gave (for
/// folder names).
pub(crate) fn import_texts(
    roots: &[PathBuf],
    texts: &[crate::Text],
    options: &SplunkOptions,
    imported: &mut Imported,
) {
    let mut collector = Collector::new(options);
    crate::each_text(texts, |text, path| {
        collector.parse(text, path, root_of(roots, path), imported);
    });
    collector.finish(imported);
}

/// The technique IDs of `tags.mitre_attack_id`, without repeats (any case), with their
/// positions; the others are findings located in `source`.
fn technique_ids<'d>(
    ids: impl Iterator<Item = &'d String>,
    source: &str,
    path: &Path,
    imported: &mut Imported,
) -> Vec<(String, Option<(usize, usize)>)> {
    let mut techniques: Vec<(String, Option<(usize, usize)>)> = Vec::new();
    for id in ids {
        let id = id.trim();
        if !is_technique_id(id) {
            let (line, column) = Some(id)
                .filter(|id| !id.is_empty())
                .and_then(|id| locate_after(source, "mitre_attack_id", id))
                .or_else(|| locate(source, 1, "mitre_attack_id"))
                .unwrap_or((1, 1));
            imported.findings.push(Finding::at(
                path,
                line,
                column,
                format!("`{id}` in tags.mitre_attack_id is not a technique ID: ignored"),
            ));
        } else if !techniques.iter().any(|(k, _)| k.eq_ignore_ascii_case(id)) {
            techniques.push((id.to_string(), locate_after(source, "mitre_attack_id", id)));
        }
    }
    techniques
}

/// Detections read so far, grouped.
struct Collector<'o> {
    options: &'o SplunkOptions,
    rules: RuleSet<'o>,
    /// Data sources without a platform, already reported (lowercase).
    reported: BTreeSet<String>,
}

impl<'o> Collector<'o> {
    fn new(options: &'o SplunkOptions) -> Self {
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

    /// Reads one file: one detection.
    fn parse(&mut self, source: &str, path: &Path, root: Option<&Path>, imported: &mut Imported) {
        let source = source.strip_prefix('\u{feff}').unwrap_or(source);
        let detection: RawDetection = match covmap_assess::yaml::from_str(source) {
            Ok(d) => d,
            Err(e) => {
                imported.skip_file(Finding::at(
                    path,
                    e.line,
                    e.column,
                    format!("{}: this file is skipped", e.message),
                ));
                return;
            }
        };
        imported.summary.files_read += 1;
        imported.summary.items_read += 1;
        let Some(status) = detection
            .status
            .as_deref()
            .map(|s| s.trim().to_ascii_lowercase())
        else {
            imported
                .findings
                .push(Finding::file(path, "no `status`: detection not imported"));
            imported.summary.items_filtered += 1;
            return;
        };
        if !STATUSES.contains(&status.as_str()) {
            let (line, column) = locate(source, 1, "status").unwrap_or((1, 1));
            imported.findings.push(Finding::at(
                path,
                line,
                column,
                format!("unknown status `{status}`: detection not imported"),
            ));
            imported.summary.items_filtered += 1;
            return;
        }
        if status == "deprecated" || !self.options.statuses.contains(&status) {
            imported.summary.items_filtered += 1;
            return;
        }
        let ids = detection
            .tags
            .iter()
            .flat_map(|t| t.mitre_attack_id.iter().flatten());
        let techniques = technique_ids(ids, source, path, imported);
        if techniques.is_empty() {
            return;
        }
        let id = detection.id.as_deref().map(str::trim);
        let at = id.and_then(|id| locate(source, 1, id));
        if self.rules.is_copy(id, path, at, imported) {
            return;
        }
        imported.summary.items_with_techniques += 1;
        let sources = detection.data_source.as_deref().unwrap_or_default();
        let platforms = self.platforms(sources, source, path, imported);
        let group = self.rules.group_of(
            path,
            root,
            sources.first().map(|s| splunk_product(s)).as_deref(),
        );
        let kind = detection
            .kind
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .unwrap_or("no type")
            .to_string();
        self.rules.add(
            group,
            &Rule {
                path: path.to_path_buf(),
                item: detection.id.as_deref().map(str::trim).map(str::to_string),
                title: detection.name.as_deref().map(str::trim).map(str::to_string),
                stable: kind.eq_ignore_ascii_case("ttp"),
                tag: kind,
                platforms: platforms.into_iter().map(str::to_string).collect(),
                techniques,
            },
        );
    }

    /// The platforms of a detection's data sources; those without one are reported once.
    fn platforms(
        &mut self,
        sources: &[String],
        source: &str,
        path: &Path,
        imported: &mut Imported,
    ) -> Vec<&'static str> {
        let mut platforms: Vec<&str> = Vec::new();
        for data_source in sources {
            match splunk_platform(data_source) {
                Some(p) => {
                    if !platforms.contains(&p) {
                        platforms.push(p);
                    }
                }
                None => {
                    if self
                        .reported
                        .insert(data_source.trim().to_ascii_lowercase())
                    {
                        let (line, column) =
                            locate_after(source, "data_source", data_source.trim())
                                .unwrap_or((1, 1));
                        imported.findings.push(Finding::at(
                            path,
                            line,
                            column,
                            format!(
                                "data source `{}` has no ATT&CK platform: it sets none (reported once)",
                                data_source.trim()
                            ),
                        ));
                    }
                }
            }
        }
        platforms
    }

    /// Turns the detections read into capabilities of `imported`, one entry per technique.
    fn finish(self, imported: &mut Imported) {
        self.rules.finish(imported);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use covmap_assess::inventory::{Level, NamedLevel};

    fn import(text: &str, options: &SplunkOptions) -> Imported {
        let mut imported = Imported::default();
        let mut collector = Collector::new(options);
        collector.parse(
            text,
            Path::new("detections/endpoint/d.yml"),
            None,
            &mut imported,
        );
        collector.finish(&mut imported);
        imported.sort_findings();
        imported
    }

    #[test]
    fn platforms() {
        assert_eq!(splunk_platform("Sysmon EventID 1"), Some("Windows"));
        assert_eq!(splunk_platform("Sysmon for Linux EventID 1"), Some("Linux"));
        assert_eq!(
            splunk_platform("Windows Event Log Security 4688"),
            Some("Windows")
        );
        assert_eq!(
            splunk_platform("Powershell Script Block Logging 4104"),
            Some("Windows")
        );
        assert_eq!(
            splunk_platform("Azure Active Directory Sign-in activity"),
            Some("Identity Provider")
        );
        assert_eq!(
            splunk_platform("Azure Audit Create or Update"),
            Some("IaaS")
        );
        assert_eq!(splunk_platform("O365 UserLoggedIn"), Some("Office Suite"));
        assert_eq!(splunk_platform("G Suite Gmail"), Some("Office Suite"));
        assert_eq!(splunk_platform("CrowdStrike ProcessRollup2"), None);
        // A prefix is a whole word: `Oktane` is not Okta.
        assert_eq!(splunk_platform("Oktane"), None);
        assert_eq!(
            splunk_product("Sysmon EventID 1 AND Sysmon EventID 11"),
            "Sysmon"
        );
        assert_eq!(splunk_product("Zeek Conn"), "Zeek Conn");
    }

    const DETECTION: &str = "\
name: Encoded PowerShell
id: d1
status: production
type: TTP
data_source:
- Sysmon EventID 1
- CrowdStrike ProcessRollup2
tags:
  mitre_attack_id:
  - T1059.001
  - TA0002
  - t1059.001
";

    #[test]
    fn detection() {
        let imported = import(DETECTION, &SplunkOptions::default());
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
        assert_eq!(c.id, "endpoint");
        assert_eq!(c.platforms, ["Windows"]);
        assert_eq!(c.entries.len(), 1);
        assert_eq!(c.entries[0].level, Level::Named(NamedLevel::Partial));
        assert_eq!(
            c.entries[0].evidence.to_text(),
            "detections/endpoint/d.yml: d1 \"Encoded PowerShell\" - 1 detection (1 TTP)"
        );
        let messages: Vec<String> = imported.findings.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].starts_with("detections/endpoint/d.yml:7:3: data source `CrowdStrike"));
        assert!(messages[1].starts_with("detections/endpoint/d.yml:11:5: `TA0002`"));
    }

    #[test]
    fn statuses() {
        let experimental = DETECTION.replace("production", "experimental");
        let imported = import(&experimental, &SplunkOptions::default());
        assert_eq!(imported.summary.items_filtered, 1);
        assert!(imported.capabilities.is_empty());
        let options = SplunkOptions {
            statuses: ["experimental", "deprecated"]
                .into_iter()
                .map(String::from)
                .collect(),
            ..SplunkOptions::default()
        };
        assert_eq!(import(&experimental, &options).capabilities.len(), 1);
        let deprecated = DETECTION.replace("production", "deprecated");
        assert!(import(&deprecated, &options).capabilities.is_empty());
        let unknown = DETECTION.replace("production", "retired");
        let imported = import(&unknown, &SplunkOptions::default());
        assert_eq!(imported.findings.len(), 1);
        assert!(
            imported.findings[0]
                .to_string()
                .contains(":3:1: unknown status")
        );
    }
}
