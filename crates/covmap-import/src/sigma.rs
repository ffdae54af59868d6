//! Sigma rules (`.yml` / `.yaml`, one rule per document, one or more documents per file).
//!
//! - **Documents.** A file is split at its `---` document markers and every document is read on
//!   its own, so one malformed document is a finding (file:line:column in the whole file) and
//!   the others still count. A file none of whose documents can be read is skipped. Rule
//!   collections of the legacy Sigma format are understood: a document with `action: global`
//!   gives default values (title, id, status, tags, logsource) to the rules after it, `action:
//!   reset` drops them, `action: repeat` is a rule like any other.
//! - **Tags.** `attack.tNNNN` and `attack.tNNNN.NNN` (any case) are techniques. The other ATT&CK
//!   tags are recognised and are not techniques: tactics (`attack.execution`, the shortnames of
//!   enterprise ATT&CK 18), groups (`attack.gNNNN`), software (`attack.sNNNN`), data sources
//!   (`attack.dsNNNN`), mitigations (`attack.mNNNN`), campaigns (`attack.cNNNN`) and tactic IDs
//!   (`attack.taNNNN`). Any other `attack.` tag (`attack.t1059.1`, `attack.stealth`) is a
//!   finding. Tags of other namespaces (`cve.`, `car.`, `detection.`, `tlp.`) are ignored.
//! - **Status.** Only rules whose `status` is in [`SigmaOptions::statuses`] count (default
//!   `stable` and `test`); the others are filtered. `deprecated` and `unsupported` rules never
//!   count, whatever the option says. A rule without `status` is taken as `experimental` (the
//!   Sigma specification's state for a rule nobody has reviewed); an unknown status is a
//!   finding and the rule is filtered.
//! - **Platforms** from the rule's `logsource` by [`sigma_platform`] (table there); a product
//!   without an ATT&CK platform is reported once, at the first rule that names it.
//! - **Capabilities** by [`SigmaOptions::group_by`]: one per folder (default: a rule repository is
//!   organised by log source, `rules/windows/process_creation`), one per `logsource.product`, or
//!   one for everything. Ids are slugs of the folder (relative to the path given, starting with
//!   that path's name), of the product (`no-product` when the rule has none) or
//!   [`SigmaOptions::id`] (default `sigma`), prefixed by [`SigmaOptions::id`] when it is given.
//!   A capability's platforms are those of its rules.
//! - **Levels.** Every technique of a capability gets one entry, function
//!   [`SigmaOptions::function`] (default detect), whose level comes from the rules of that
//!   capability that map to it, by [`LevelRule`].
//! - **Counts.** A rule (document that is not `action: global` / `reset`) is an item; a rule
//!   whose status does not count is filtered; the techniques of the summary are those of the
//!   rules that count.
//!
//! Evidence: the file, id and title of the first rule mapping to the technique; the comment
//! gives the rule count by status and every other rule as `path: id "title"`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use covmap_assess::inventory::Function;
use serde::Deserialize;

use crate::model::{Finding, Imported};
pub use crate::rules::{GroupBy, LevelRule};
use crate::rules::{Naming, Rule, RuleSet, root_of};
use crate::text::locate;

/// How Sigma rules are imported.
#[derive(Debug, Clone, PartialEq)]
pub struct SigmaOptions {
    /// Capability id (group by none) or prefix of the capability ids.
    pub id: Option<String>,
    /// Statuses that count (lowercase); `deprecated` and `unsupported` never do.
    pub statuses: BTreeSet<String>,
    /// How rules are grouped into capabilities.
    pub group_by: GroupBy,
    /// The function of the entries.
    pub function: Function,
    /// How a technique's level is made.
    pub levels: LevelRule,
    /// Tactic shortnames of the loaded bundle (`execution`, `defense-evasion`): `attack.` tags
    /// naming one are tactics. Empty: any `attack.` tag made of letters and dashes is taken as
    /// a tactic (tactics change between releases; ATT&CK v19 adds some).
    pub tactics: BTreeSet<String>,
}

impl Default for SigmaOptions {
    fn default() -> Self {
        SigmaOptions {
            id: None,
            statuses: ["stable", "test"].into_iter().map(String::from).collect(),
            group_by: GroupBy::Folder,
            function: Function::Detect,
            levels: LevelRule::default(),
            tactics: BTreeSet::new(),
        }
    }
}

const NAMING: Naming = Naming {
    default_id: "sigma",
    default_name: "Sigma rules",
    prefix: "Sigma",
    noun: "rule",
    no_product: "no-product",
};

/// The statuses of the Sigma specification.
pub(crate) const STATUSES: [&str; 5] = [
    "stable",
    "test",
    "experimental",
    "deprecated",
    "unsupported",
];

/// Statuses that never count.
pub(crate) const NEVER: [&str; 2] = ["deprecated", "unsupported"];

/// The ATT&CK platform of a Sigma log source (`logsource` product, service, category), or
/// `None` when the source is not tied to one platform.
///
/// | product | service | ATT&CK platform |
/// |---|---|---|
/// | windows, rpc_firewall (a Windows RPC filter) | any | Windows |
/// | linux | any | Linux |
/// | macos | any | macOS |
/// | aws, gcp, azure | any other | IaaS |
/// | azure | signinlogs, auditlogs, riskdetection, pim (Entra ID logs) | Identity Provider |
/// | gcp | google_workspace.login | Identity Provider |
/// | gcp | other google_workspace.* | Office Suite |
/// | okta, onelogin, entra_id | any | Identity Provider |
/// | m365, office365 | any | Office Suite |
/// | github, gitlab, bitbucket, slack, zoom, salesforce | any | SaaS |
/// | cisco, fortigate, paloalto, juniper, huawei (device logs) | any | Network Devices |
/// | kubernetes, docker | any | Containers |
/// | esxi, vmware | any | ESXi |
/// | anything else | | [`crate::platform::attack_platform`] of the product, else none |
///
/// Products such as zeek, opencanary, jvm, python or spring, and rules with a category only
/// (proxy, webserver, dns, antivirus), watch a sensor or an application that runs anywhere:
/// they set no platform.
pub fn sigma_platform(
    product: Option<&str>,
    service: Option<&str>,
    _category: Option<&str>,
) -> Option<&'static str> {
    let product = product?.trim().to_ascii_lowercase();
    let service = service.unwrap_or_default().trim().to_ascii_lowercase();
    Some(match product.as_str() {
        "windows" | "rpc_firewall" => "Windows",
        "linux" => "Linux",
        "macos" => "macOS",
        "azure"
            if matches!(
                service.as_str(),
                "signinlogs" | "auditlogs" | "riskdetection" | "pim"
            ) =>
        {
            "Identity Provider"
        }
        "gcp" if service == "google_workspace.login" => "Identity Provider",
        "gcp" if service.starts_with("google_workspace") => "Office Suite",
        "aws" | "gcp" | "azure" => "IaaS",
        "okta" | "onelogin" | "entra_id" => "Identity Provider",
        "m365" | "office365" => "Office Suite",
        "github" | "gitlab" | "bitbucket" | "slack" | "zoom" | "salesforce" => "SaaS",
        "cisco" | "fortigate" | "paloalto" | "juniper" | "huawei" => "Network Devices",
        "kubernetes" | "docker" => "Containers",
        "esxi" | "vmware" => "ESXi",
        other => return crate::platform::attack_platform(other),
    })
}

#[derive(Deserialize, Default, Clone)]
struct RawRule {
    title: Option<String>,
    id: Option<String>,
    status: Option<String>,
    tags: Option<Vec<String>>,
    logsource: Option<RawLogsource>,
    action: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
struct RawLogsource {
    product: Option<String>,
    service: Option<String>,
    category: Option<String>,
}

/// Rules read so far; [`Collector::finish`] turns them into capabilities.
pub struct Collector<'o> {
    options: &'o SigmaOptions,
    rules: RuleSet<'o>,
    /// Products without a platform, already reported.
    reported: BTreeSet<String>,
}

/// Imports the Sigma rules (`.yml`, `.yaml`) under `paths`.
pub fn import(paths: &[PathBuf], options: &SigmaOptions) -> Imported {
    crate::import_files(paths, &["yml", "yaml"], |roots, texts, imported| {
        import_texts(roots, texts, options, imported);
    })
}

/// Reads files already read into `imported`; `roots` are the paths the user gave (for
/// folder names).
pub(crate) fn import_texts(
    roots: &[PathBuf],
    texts: &[crate::Text],
    options: &SigmaOptions,
    imported: &mut Imported,
) {
    let mut collector = Collector::new(options);
    crate::each_text(texts, |text, path| {
        collector.parse(text, path, root_of(roots, path), imported);
    });
    collector.finish(imported);
}

/// The documents of a YAML text: (1-based line of the first line, text), split at `---` lines
/// and cut at `...` lines. YAML forbids both markers at column 0 inside a scalar, so the split
/// is exact for any well-formed stream.
fn documents(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut start_line = 1usize;
    let mut ended = false;
    let mut offset = 0usize;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end_matches(['\n', '\r']);
        let marker = |m: &str| {
            bare == m
                || bare
                    .strip_prefix(m)
                    .is_some_and(|r| r.starts_with([' ', '\t']))
        };
        if marker("---") {
            if !ended {
                out.push((start_line, text.get(start..offset).unwrap_or_default()));
            }
            start = offset;
            start_line = n + 1;
            ended = false;
        } else if marker("...") && !ended {
            out.push((start_line, text.get(start..offset).unwrap_or_default()));
            ended = true;
        }
        offset += line.len();
    }
    if !ended {
        out.push((start_line, text.get(start..).unwrap_or_default()));
    }
    out.retain(|(_, doc)| has_content(doc));
    out
}

/// Whether a document holds anything but markers, comments, directives and blank lines.
fn has_content(doc: &str) -> bool {
    doc.lines().any(|l| {
        let t = l.trim();
        let t = t.strip_prefix("---").map_or(t, str::trim);
        !t.is_empty() && !t.starts_with('#') && !t.starts_with('%')
    })
}

/// What an `attack.` tag is.
#[derive(Debug, PartialEq)]
enum Tag<'a> {
    /// A technique ID, as written after `attack.`.
    Technique(&'a str),
    /// A tactic shortname (letters and dashes), lowercase, as written after `attack.`.
    Tactic(String),
    /// A group, software, data source, mitigation, campaign or tactic ID.
    Other,
    /// Not a valid ATT&CK tag.
    Malformed,
    /// Another namespace.
    NotAttack,
}

/// `prefix` followed by exactly `digits` ASCII digits.
fn id_with(text: &str, prefix: &str, digits: usize) -> bool {
    text.strip_prefix(prefix)
        .is_some_and(|d| d.len() == digits && d.bytes().all(|b| b.is_ascii_digit()))
}

fn classify(tag: &str) -> Tag<'_> {
    let tag = tag.trim();
    let Some(rest) = tag
        .get(..7)
        .filter(|p| p.eq_ignore_ascii_case("attack."))
        .and_then(|_| tag.get(7..))
    else {
        return Tag::NotAttack;
    };
    if crate::text::is_technique_id(rest) {
        return Tag::Technique(rest);
    }
    let lower = rest.to_ascii_lowercase();
    let other = id_with(&lower, "g", 4)
        || id_with(&lower, "s", 4)
        || id_with(&lower, "ds", 4)
        || id_with(&lower, "m", 4)
        || id_with(&lower, "c", 4)
        || id_with(&lower, "ta", 4);
    if other {
        Tag::Other
    } else if !lower.is_empty()
        && lower.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
        && !lower.starts_with('-')
    {
        Tag::Tactic(lower)
    } else {
        Tag::Malformed
    }
}

impl<'o> Collector<'o> {
    /// A collector with these options.
    pub fn new(options: &'o SigmaOptions) -> Self {
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

    /// Reads one file (`source` read from `path`, found under `root`, the path given by the
    /// user, for folder grouping) into the collector; counts and findings go to `imported`.
    pub fn parse(
        &mut self,
        source: &str,
        path: &Path,
        root: Option<&Path>,
        imported: &mut Imported,
    ) {
        let source = source.strip_prefix('\u{feff}').unwrap_or(source);
        let docs = documents(source);
        let mut good = 0usize;
        let mut bad = Vec::new();
        let mut global = RawRule::default();
        for (first, doc) in &docs {
            let rule: RawRule = match covmap_assess::yaml::from_str(doc) {
                Ok(r) => r,
                Err(e) => {
                    bad.push((first + e.line.saturating_sub(1), e.column, e.message));
                    continue;
                }
            };
            good += 1;
            match rule.action.as_deref().map(str::trim) {
                Some("global") => {
                    global = rule;
                    continue;
                }
                Some("reset") => {
                    global = RawRule::default();
                    continue;
                }
                _ => {}
            }
            let rule = inherit(rule, &global);
            self.rule(&rule, path, root, *first, doc, imported);
        }
        // Nothing usable: the file is skipped, its first error says why.
        let skipped = good == 0 && !docs.is_empty();
        let what = if skipped { "file" } else { "document" };
        let mut bad = bad.into_iter().map(|(line, column, message)| {
            Finding::at(
                path,
                line,
                column,
                format!("{message}: this {what} is skipped"),
            )
        });
        if skipped {
            if let Some(first) = bad.next() {
                imported.skip_file(first);
            }
        } else {
            imported.summary.files_read += 1;
        }
        imported.findings.extend(bad);
    }

    /// Reads one rule.
    fn rule(
        &mut self,
        rule: &RawRule,
        path: &Path,
        root: Option<&Path>,
        first: usize,
        doc: &str,
        imported: &mut Imported,
    ) {
        imported.summary.items_read += 1;
        let status = rule.status.as_deref().map_or_else(
            || "experimental".to_string(),
            |s| s.trim().to_ascii_lowercase(),
        );
        if !STATUSES.contains(&status.as_str()) {
            let (line, column) = locate(doc, first, "status").unwrap_or((first, 1));
            imported.findings.push(Finding::at(
                path,
                line,
                column,
                format!("unknown status `{status}`: rule not imported"),
            ));
            imported.summary.items_filtered += 1;
            return;
        }
        if NEVER.contains(&status.as_str()) || !self.options.statuses.contains(&status) {
            imported.summary.items_filtered += 1;
            return;
        }
        let mut techniques: Vec<(String, Option<(usize, usize)>)> = Vec::new();
        for tag in rule.tags.iter().flatten() {
            let tag = tag.trim();
            match classify(tag) {
                Tag::Technique(t) => {
                    if !techniques.iter().any(|(k, _)| k.eq_ignore_ascii_case(t)) {
                        techniques.push((t.to_string(), locate(doc, first, tag)));
                    }
                }
                Tag::Tactic(name)
                    if !self.options.tactics.is_empty()
                        && !self.options.tactics.contains(&name) =>
                {
                    let (line, column) = locate(doc, first, tag).unwrap_or((first, 1));
                    imported.findings.push(Finding::at(
                        path,
                        line,
                        column,
                        format!("tag `{tag}` names no tactic of the loaded ATT&CK bundle: ignored"),
                    ));
                }
                Tag::Malformed => {
                    let (line, column) = locate(doc, first, tag).unwrap_or((first, 1));
                    imported.findings.push(Finding::at(
                        path,
                        line,
                        column,
                        format!("tag `{tag}` is not a known ATT&CK tag: ignored"),
                    ));
                }
                Tag::Tactic(_) | Tag::Other | Tag::NotAttack => {}
            }
        }
        if techniques.is_empty() {
            return;
        }
        let id = rule.id.as_deref().map(str::trim);
        let at = id.and_then(|id| locate(doc, first, id));
        if self.rules.is_copy(id, path, at, imported) {
            return;
        }
        imported.summary.items_with_techniques += 1;
        let logsource = rule.logsource.clone().unwrap_or_default();
        let platform = sigma_platform(
            logsource.product.as_deref(),
            logsource.service.as_deref(),
            logsource.category.as_deref(),
        );
        if platform.is_none()
            && let Some(product) = logsource.product.as_deref().map(str::trim)
            && self.reported.insert(product.to_ascii_lowercase())
        {
            let (line, column) = locate(doc, first, "product").unwrap_or((first, 1));
            imported.findings.push(Finding::at(
                path,
                line,
                column,
                format!("logsource product `{product}` has no ATT&CK platform: its rules set none (reported once)"),
            ));
        }
        let group = self
            .rules
            .group_of(path, root, logsource.product.as_deref());
        self.rules.add(
            group,
            &Rule {
                path: path.to_path_buf(),
                item: rule.id.as_deref().map(str::trim).map(str::to_string),
                title: rule.title.as_deref().map(str::trim).map(str::to_string),
                stable: status == "stable",
                tag: status,
                platforms: platform.map(str::to_string).into_iter().collect(),
                techniques,
            },
        );
    }

    /// Turns the rules read into capabilities of `imported`, one entry per technique.
    pub fn finish(self, imported: &mut Imported) {
        self.rules.finish(imported);
    }
}

/// A rule with the `action: global` document's values where it has none.
fn inherit(rule: RawRule, global: &RawRule) -> RawRule {
    let logsource = match (rule.logsource, &global.logsource) {
        (Some(own), Some(g)) => Some(RawLogsource {
            product: own.product.or_else(|| g.product.clone()),
            service: own.service.or_else(|| g.service.clone()),
            category: own.category.or_else(|| g.category.clone()),
        }),
        (own, g) => own.or_else(|| g.clone()),
    };
    RawRule {
        title: rule.title.or_else(|| global.title.clone()),
        id: rule.id.or_else(|| global.id.clone()),
        status: rule.status.or_else(|| global.status.clone()),
        tags: rule.tags.or_else(|| global.tags.clone()),
        logsource,
        action: rule.action,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use covmap_assess::inventory::{Level, NamedLevel};

    fn import(text: &str, options: &SigmaOptions) -> Imported {
        let mut imported = Imported::default();
        let mut collector = Collector::new(options);
        collector.parse(text, Path::new("rules/win/t.yml"), None, &mut imported);
        collector.finish(&mut imported);
        imported
    }

    #[test]
    fn tags() {
        assert_eq!(classify("attack.t1059.001"), Tag::Technique("t1059.001"));
        assert_eq!(classify("ATTACK.T1059"), Tag::Technique("T1059"));
        assert_eq!(
            classify("attack.execution"),
            Tag::Tactic("execution".into())
        );
        assert_eq!(
            classify("attack.Defense-Evasion"),
            Tag::Tactic("defense-evasion".into())
        );
        // ATT&CK v19's new tactics are tactics too (the bundle says whether they exist).
        assert_eq!(classify("attack.stealth"), Tag::Tactic("stealth".into()));
        assert_eq!(classify("attack.g0016"), Tag::Other);
        assert_eq!(classify("attack.s0154"), Tag::Other);
        assert_eq!(classify("attack.ds0005"), Tag::Other);
        assert_eq!(classify("attack.ta0002"), Tag::Other);
        assert_eq!(classify("attack.t1059.1"), Tag::Malformed);
        assert_eq!(classify("attack.t1059.001x"), Tag::Malformed);
        assert_eq!(classify("attack.-x"), Tag::Malformed);
        assert_eq!(classify("cve.2021-44228"), Tag::NotAttack);
        assert_eq!(classify("attack"), Tag::NotAttack);
    }

    #[test]
    fn platforms() {
        assert_eq!(sigma_platform(Some("windows"), None, None), Some("Windows"));
        assert_eq!(
            sigma_platform(Some("azure"), Some("signinlogs"), None),
            Some("Identity Provider")
        );
        assert_eq!(
            sigma_platform(Some("azure"), Some("activitylogs"), None),
            Some("IaaS")
        );
        assert_eq!(
            sigma_platform(Some("gcp"), Some("google_workspace.admin"), None),
            Some("Office Suite")
        );
        assert_eq!(
            sigma_platform(Some("m365"), None, None),
            Some("Office Suite")
        );
        assert_eq!(
            sigma_platform(Some("okta"), Some("okta"), None),
            Some("Identity Provider")
        );
        assert_eq!(sigma_platform(Some("zeek"), None, None), None);
        assert_eq!(sigma_platform(None, None, Some("proxy")), None);
    }

    #[test]
    fn split_documents() {
        let text = "# c\ntitle: a\n---\ntitle: b\n...\n# after end\n--- \ntitle: c\n---\n# only a comment\n";
        let docs = documents(text);
        let lines: Vec<usize> = docs.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [1, 3, 7]);
    }

    const COLLECTION: &str = "\
action: global
status: test
logsource: {product: windows}
tags: [attack.execution, attack.t1059.001, attack.g0016]
---
title: One
id: r1
---
title: Two
id: r2
status: stable
tags: [attack.t1059.001, attack.T1105, attack.s0154, attack.t1059.1, cve.2021-1]
---
title: [unclosed
---
title: Old
id: r3
status: deprecated
tags: [attack.t1003]
---
action: reset
---
title: Bare
id: r4
tags: [attack.t1003]
";

    #[test]
    fn collection() {
        let imported = import(COLLECTION, &SigmaOptions::default());
        let s = &imported.summary;
        assert_eq!(s.files_read, 1);
        // One, Two, Old, Bare (no status: experimental)
        assert_eq!(
            (s.items_read, s.items_filtered, s.items_with_techniques),
            (4, 2, 2)
        );
        let got: Vec<_> = imported.capabilities[0]
            .entries
            .iter()
            .map(|e| (e.technique.as_str(), e.level))
            .collect();
        assert_eq!(
            got,
            [
                ("T1059.001", Level::Named(NamedLevel::Partial)),
                ("T1105", Level::Named(NamedLevel::Partial)),
            ]
        );
        assert_eq!(imported.capabilities[0].id, "win");
        assert_eq!(imported.capabilities[0].platforms, ["Windows"]);
        assert_eq!(
            imported.capabilities[0].entries[0].evidence.to_text(),
            "rules/win/t.yml: r1 \"One\" - 2 rules (1 stable, 1 test); also rules/win/t.yml: r2 \"Two\" [stable]"
        );
        let messages: Vec<String> = imported.findings.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(
            messages[0].starts_with("rules/win/t.yml:12:"),
            "{messages:?}"
        );
        assert!(messages[0].contains("attack.t1059.1"), "{messages:?}");
        // The parser notices the unclosed sequence where the document ends.
        assert!(
            messages[1].starts_with("rules/win/t.yml:15:1: "),
            "{messages:?}"
        );
    }

    #[test]
    fn all_bad_is_skipped() {
        let imported = import("title: [\n", &SigmaOptions::default());
        assert_eq!(
            (imported.summary.files_read, imported.summary.files_skipped),
            (0, 1)
        );
        assert!(imported.findings[0].line.is_some());
    }

    #[test]
    fn statuses_and_grouping() {
        let options = SigmaOptions {
            statuses: ["experimental", "deprecated"]
                .into_iter()
                .map(String::from)
                .collect(),
            group_by: GroupBy::Product,
            id: Some("SOC".into()),
            ..SigmaOptions::default()
        };
        let imported = import(COLLECTION, &options);
        // Only Bare counts: deprecated never does, test and stable are not asked for.
        let got: Vec<_> = imported
            .capabilities
            .iter()
            .map(|c| (c.id.as_str(), c.entries.len()))
            .collect();
        assert_eq!(got, [("soc-no-product", 1)]);
    }
}
