//! Sysmon configurations (`<Sysmon schemaversion="...">` XML): which Sysmon event types a
//! configuration collects, as the log source `WinEventLog:Sysmon` with channels
//! `EventCode=N` (the spelling of ATT&CK 18's analytics), on the Windows platform.
//!
//! Each event type is an element of `<EventFiltering>`, directly or inside a `<RuleGroup>`,
//! with `onmatch="include"` or `onmatch="exclude"`; one element may cover several event codes
//! (`RegistryEvent`: 12, 13, 14; `PipeEvent`: 17, 18; `WmiEvent`: 19, 20, 21). The rule
//! follows Sysmon's documentation ("include: only matched events are included; exclude: the
//! event is included except if a rule matches; exclude matches take precedence") and its own
//! rule-engine tests (SysmonCommon `UnitTests/rules.cpp`: an empty `include` excludes all, an
//! empty `exclude` includes all, no filter means the event type's default):
//!
//! | the event type's filters (all rule groups together) | collected |
//! |---|---|
//! | an `include` filter with at least one rule | yes, **filtered** (only what the rules match) |
//! | only empty `include` filters (with or without `exclude` filters) | no |
//! | `exclude` filters only (empty or not) | yes (everything but the exclusions) |
//! | none | Sysmon's default: 1, 2, 5, 6, 11, 12-14 and 15 are collected (`ruledefault="include"` in Sysmon's schema manifest); the others are not |
//!
//! Events 4 (service state changed), 16 (configuration changed) and 255 (error) cannot be
//! filtered and are always collected. `groupRelation` (how rules combine) and the rule
//! conditions change which events of a type match, not whether the type is collected, so
//! they are checked (a value other than `and` / `or` is a finding) but not evaluated.
//!
//! Findings (file, line and column): malformed XML (roxmltree's error and position; DTDs are
//! refused, so no entity expansion), a root other than `<Sysmon>`, no `schemaversion`, no
//! `<EventFiltering>`, an unknown event element (with the closest known name), an `onmatch`
//! other than `include` / `exclude` (the filter is ignored), and an empty `include` next to
//! an `exclude` (read as collecting nothing). Command-line switches (`-n`, `-l`) are not in
//! the file and are not seen. Sysmon for Linux configurations share the format but not the
//! log name (`linux:Sysmon`): this reads Windows configurations, and says so (a finding) when
//! a configuration's rules match only Unix paths.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::model::{Evidence, Finding, Imported, ImportedSource, ImportedTelemetry, slug};

/// The log-source name ATT&CK's analytics give Sysmon on Windows.
pub const LOG_NAME: &str = "WinEventLog:Sysmon";

/// Event types that can be filtered: element name, event codes, collected by default (no
/// filter in the configuration).
pub const EVENT_TYPES: [(&str, &[u32], bool); 22] = [
    ("ProcessCreate", &[1], true),
    ("FileCreateTime", &[2], true),
    ("NetworkConnect", &[3], false),
    ("ProcessTerminate", &[5], true),
    ("DriverLoad", &[6], true),
    ("ImageLoad", &[7], false),
    ("CreateRemoteThread", &[8], false),
    ("RawAccessRead", &[9], false),
    ("ProcessAccess", &[10], false),
    ("FileCreate", &[11], true),
    ("RegistryEvent", &[12, 13, 14], true),
    ("FileCreateStreamHash", &[15], true),
    ("PipeEvent", &[17, 18], false),
    ("WmiEvent", &[19, 20, 21], false),
    ("DnsQuery", &[22], false),
    ("FileDelete", &[23], false),
    ("ClipboardChange", &[24], false),
    ("ProcessTampering", &[25], false),
    ("FileDeleteDetected", &[26], false),
    ("FileBlockExecutable", &[27], false),
    ("FileBlockShredding", &[28], false),
    ("FileExecutableDetected", &[29], false),
];

/// Events Sysmon always logs (no filter applies).
pub const ALWAYS: [u32; 3] = [4, 16, 255];

/// What a configuration collects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collection {
    /// `schemaversion`, as written.
    pub schema_version: Option<String>,
    /// Event codes collected whole (every event of the type, less exclusions), sorted.
    pub collected: Vec<u32>,
    /// Event codes collected only through include rules, sorted.
    pub filtered: Vec<u32>,
    /// Event codes not configured and taken at Sysmon's default (collected or not), sorted.
    pub defaulted: Vec<u32>,
    /// Event filter elements read (`<ProcessCreate onmatch=...>`...), known or not.
    pub filters_read: usize,
}

/// The filters one event type has, over every rule group.
#[derive(Debug, Clone, Copy, Default)]
struct Filters {
    include: bool,
    include_rules: usize,
    exclude: bool,
    /// Where the first filter of the type is written.
    first: Option<(usize, usize)>,
}

/// Imports the Sysmon configurations (`.xml`) under `paths`.
pub fn import(paths: &[std::path::PathBuf], options: &SysmonOptions) -> Imported {
    crate::import_files(paths, &["xml"], |_, texts, imported| {
        import_texts(texts, options, imported);
    })
}

/// How Sysmon configurations are imported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SysmonOptions {
    /// Telemetry id (one file), or prefix of the ids (default: the file's stem).
    pub id: Option<String>,
}

/// Reads files already read into `imported`.
pub(crate) fn import_texts(
    texts: &[crate::Text],
    options: &SysmonOptions,
    imported: &mut Imported,
) {
    let single = texts.len() == 1;
    crate::each_text(texts, |text, path| {
        parse(text, path, options, single, imported);
    });
}

/// Reads one configuration (`source`, read from `path`) into a telemetry entry of `imported`;
/// `single`: the only file of the import (an `id` option is then the id, not a prefix).
pub fn parse(
    source: &str,
    path: &Path,
    options: &SysmonOptions,
    single: bool,
    imported: &mut Imported,
) {
    let collection = match read(source, path, &mut imported.findings) {
        Ok(c) => c,
        Err(finding) => {
            imported.skip_file(finding);
            return;
        }
    };
    imported.summary.files_read += 1;
    imported.summary.items_read += collection.filters_read;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let id = match (&options.id, single) {
        (Some(id), true) => slug(id),
        (Some(prefix), false) => format!("{}-{}", slug(prefix), slug(&stem)),
        (None, _) => slug(&stem),
    };
    let file_name = path
        .file_name()
        .map_or_else(|| stem.clone(), |n| n.to_string_lossy().into_owned());
    let channels = |codes: &[u32]| codes.iter().map(|c| format!("EventCode={c}")).collect();
    let mut log_sources = Vec::new();
    if !collection.collected.is_empty() {
        log_sources.push(ImportedSource {
            name: LOG_NAME.to_string(),
            channels: channels(&collection.collected),
            filtered: false,
        });
    }
    if !collection.filtered.is_empty() {
        log_sources.push(ImportedSource {
            name: LOG_NAME.to_string(),
            channels: channels(&collection.filtered),
            filtered: true,
        });
    }
    let list = |codes: &[u32]| {
        codes
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut comment = format!(
        "collected: {}; filtered (include rules only): {}",
        list(&collection.collected),
        if collection.filtered.is_empty() {
            "none".to_string()
        } else {
            list(&collection.filtered)
        }
    );
    if !collection.defaulted.is_empty() {
        let _ = write!(
            comment,
            "; not configured, Sysmon's default: {}",
            list(&collection.defaulted)
        );
    }
    imported.telemetry.push(ImportedTelemetry {
        id,
        name: format!("Sysmon ({file_name})"),
        platforms: vec!["Windows".to_string()],
        status: None,
        quality: None,
        log_sources,
        component: None,
        evidence: Evidence {
            item: Some(format!(
                "schemaversion {}",
                collection.schema_version.as_deref().unwrap_or("?")
            )),
            comment: Some(comment),
            ..Evidence::file(path)
        },
    });
}

/// Line and column of a byte offset.
fn position(doc: &roxmltree::Document<'_>, at: usize) -> (usize, usize) {
    let pos = doc.text_pos_at(at);
    (pos.row as usize, pos.col as usize)
}

/// The event types `source` collects; findings about what was read are added to
/// `findings`, and a file that cannot be read as a Sysmon configuration is the error.
pub fn read(source: &str, path: &Path, findings: &mut Vec<Finding>) -> Result<Collection, Finding> {
    // No DTD (no entities to expand) and a bound on nodes: a hostile file costs little.
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: 4_000_000,
        ..roxmltree::ParsingOptions::default()
    };
    // A byte-order mark, as Windows editors save files, is not part of the document.
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let doc = roxmltree::Document::parse_with_options(source, options).map_err(|e| {
        let pos = e.pos();
        let message = e.to_string().replace(&format!(" at {pos}"), "");
        Finding::at(
            path,
            pos.row as usize,
            pos.col as usize,
            format!("not well-formed XML: {message}: skipped"),
        )
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "Sysmon" {
        let (line, column) = position(&doc, root.range().start);
        return Err(Finding::at(
            path,
            line,
            column,
            format!(
                "the root element is `<{}>`, not `<Sysmon>`: not a Sysmon configuration: skipped",
                root.tag_name().name()
            ),
        ));
    }
    let schema_version = root.attribute("schemaversion").map(str::to_string);
    if schema_version.is_none() {
        let (line, column) = position(&doc, root.range().start);
        findings.push(Finding::at(
            path,
            line,
            column,
            "`<Sysmon>` has no `schemaversion` (Sysmon refuses such a file): read as the current schema",
        ));
    }
    let mut filters: BTreeMap<&'static str, Filters> = BTreeMap::new();
    let mut filtering = false;
    let mut filters_read = 0;
    for section in root.children().filter(roxmltree::Node::is_element) {
        if section.tag_name().name() != "EventFiltering" {
            continue;
        }
        filtering = true;
        for child in section.children().filter(roxmltree::Node::is_element) {
            if child.tag_name().name() == "RuleGroup" {
                check_relation(&doc, child, path, findings);
                for event in child.children().filter(roxmltree::Node::is_element) {
                    filters_read += 1;
                    read_filter(&doc, event, path, &mut filters, findings);
                }
            } else {
                filters_read += 1;
                read_filter(&doc, child, path, &mut filters, findings);
            }
        }
    }
    if !filtering {
        let (line, column) = position(&doc, root.range().start);
        findings.push(Finding::at(
            path,
            line,
            column,
            "no `<EventFiltering>`: every event type is taken at Sysmon's default",
        ));
    }
    if let Some(example) = linux_path_only(root) {
        let (line, column) = position(&doc, root.range().start);
        findings.push(Finding::at(
            path,
            line,
            column,
            format!(
                "this looks like a Sysmon for Linux configuration (its rules match Unix paths such as `{example}`, none a Windows path): it is read as Windows Sysmon (`{LOG_NAME}` on Windows), which it does not describe; for Linux, describe the telemetry by hand with ATT&CK's Linux log sources"
            ),
        ));
    }
    let mut collection = Collection {
        schema_version,
        collected: ALWAYS.to_vec(),
        filters_read,
        ..Collection::default()
    };
    apply_rule(&filters, path, &mut collection, findings);
    collection.collected.sort_unstable();
    collection.filtered.sort_unstable();
    collection.defaulted.sort_unstable();
    Ok(collection)
}

/// The first rule value that is a Unix path (`/usr/bin/curl`), when no rule value is a Windows
/// path (a backslash or a drive letter): the mark of a Sysmon for Linux configuration, whose
/// format is the same.
fn linux_path_only(root: roxmltree::Node<'_, '_>) -> Option<String> {
    let mut unix = None;
    for node in root.descendants().filter(roxmltree::Node::is_text) {
        let value = node.text().unwrap_or_default().trim();
        let drive = matches!(value.as_bytes(), [letter, b':', ..] if letter.is_ascii_alphabetic());
        if value.contains('\\') || drive {
            return None;
        }
        if unix.is_none() && value.starts_with('/') && value.len() > 1 {
            unix = Some(value.chars().take(60).collect());
        }
    }
    unix
}

/// The documented rule (module documentation), event type by event type.
fn apply_rule(
    filters: &BTreeMap<&'static str, Filters>,
    path: &Path,
    collection: &mut Collection,
    findings: &mut Vec<Finding>,
) {
    for (name, codes, default) in EVENT_TYPES {
        let Some(f) = filters.get(name) else {
            collection.defaulted.extend(codes);
            if default {
                collection.collected.extend(codes);
            }
            continue;
        };
        if f.include_rules > 0 {
            collection.filtered.extend(codes);
        } else if f.include {
            if f.exclude
                && let Some((line, column)) = f.first
            {
                findings.push(Finding::at(
                    path,
                    line,
                    column,
                    format!(
                        "`{name}` has an empty include filter and an exclude filter: an include filter logs only what its rules match, so nothing is collected"
                    ),
                ));
            }
        } else if f.exclude {
            collection.collected.extend(codes);
        }
    }
}

/// Checks a `groupRelation` (`and` or `or`).
fn check_relation(
    doc: &roxmltree::Document<'_>,
    node: roxmltree::Node<'_, '_>,
    path: &Path,
    findings: &mut Vec<Finding>,
) {
    if let Some(relation) = node.attribute("groupRelation")
        && relation != "and"
        && relation != "or"
    {
        let (line, column) = position(doc, node.range().start);
        findings.push(Finding::at(
            path,
            line,
            column,
            format!("`groupRelation=\"{relation}\"` is neither `and` nor `or`"),
        ));
    }
}

/// Reads one event filter element into `filters`.
fn read_filter(
    doc: &roxmltree::Document<'_>,
    node: roxmltree::Node<'_, '_>,
    path: &Path,
    filters: &mut BTreeMap<&'static str, Filters>,
    findings: &mut Vec<Finding>,
) {
    let written = node.tag_name().name();
    let (line, column) = position(doc, node.range().start);
    let Some(&(name, _, _)) = EVENT_TYPES.iter().find(|(n, _, _)| *n == written) else {
        let closest = EVENT_TYPES
            .iter()
            .map(|(n, _, _)| {
                (
                    strsim::jaro_winkler(&written.to_ascii_lowercase(), &n.to_ascii_lowercase()),
                    *n,
                )
            })
            .filter(|(score, _)| *score >= 0.85)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map_or_else(String::new, |(_, n)| format!(" (did you mean `{n}`?)"));
        findings.push(Finding::at(
            path,
            line,
            column,
            format!("`<{written}>` is not a Sysmon event type{closest}: ignored"),
        ));
        return;
    };
    let rules = node.children().filter(roxmltree::Node::is_element).count();
    // A filter that is ignored leaves the event type at its default, as if not written.
    let entry = |filters: &mut BTreeMap<&'static str, Filters>| {
        let entry = filters.entry(name).or_default();
        entry.first.get_or_insert((line, column));
    };
    match node.attribute("onmatch") {
        Some("include") => {
            entry(filters);
            if let Some(f) = filters.get_mut(name) {
                f.include = true;
                f.include_rules += rules;
            }
        }
        Some("exclude") => {
            entry(filters);
            if let Some(f) = filters.get_mut(name) {
                f.exclude = true;
            }
        }
        other => {
            findings.push(Finding::at(
                path,
                line,
                column,
                format!(
                    "`<{name}>` has {}: it must be `include` or `exclude`: this filter is ignored",
                    other.map_or_else(
                        || "no `onmatch`".to_string(),
                        |o| format!("`onmatch=\"{o}\"`")
                    )
                ),
            ));
        }
    }
    for rule in node.children().filter(roxmltree::Node::is_element) {
        if rule.tag_name().name() == "Rule" {
            check_relation(doc, rule, path, findings);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(xml: &str) -> (Result<Collection, Finding>, Vec<Finding>) {
        let mut findings = Vec::new();
        let got = read(xml, Path::new("s.xml"), &mut findings);
        (got, findings)
    }

    #[test]
    fn the_documented_rule() {
        let xml = r#"<?xml version="1.0"?>
<!-- comment -->
<Sysmon schemaversion="4.90">
  <HashAlgorithms>*</HashAlgorithms>
  <EventFiltering>
    <RuleGroup name="" groupRelation="or">
      <ProcessCreate onmatch="exclude"><Image condition="is">a.exe</Image></ProcessCreate>
    </RuleGroup>
    <RuleGroup groupRelation="or">
      <NetworkConnect onmatch="include"><DestinationPort>443</DestinationPort></NetworkConnect>
    </RuleGroup>
    <RuleGroup groupRelation="or">
      <NetworkConnect onmatch="exclude"><Image condition="image">iexplore.exe</Image></NetworkConnect>
    </RuleGroup>
    <ProcessTerminate onmatch="include"/>
    <ImageLoad onmatch="include"/>
    <ImageLoad onmatch="exclude"><Image>x</Image></ImageLoad>
    <RegistryEvent onmatch="include">
      <Rule groupRelation="and"><TargetObject>HKLM</TargetObject><Image>y</Image></Rule>
    </RegistryEvent>
    <WmiEvent onmatch="exclude"/>
    <DnsQuery onmatch="maybe"/>
    <ProcesCreate onmatch="include"/>
  </EventFiltering>
</Sysmon>
"#;
        let (got, mut findings) = collect(xml);
        findings.sort();
        let got = got.expect("read");
        assert_eq!(got.schema_version.as_deref(), Some("4.90"));
        assert_eq!(got.filters_read, 10);
        // 1 exclude; 2, 6, 11, 15 default on; 4, 16, 255 always; 19-21 empty exclude.
        assert_eq!(got.collected, [1, 2, 4, 6, 11, 15, 16, 19, 20, 21, 255]);
        // 3 and 12-14 include rules; 5 and 7 empty includes; 22 bad onmatch: default off.
        assert_eq!(got.filtered, [3, 12, 13, 14]);
        assert_eq!(
            got.defaulted,
            [
                2, 6, 8, 9, 10, 11, 15, 17, 18, 22, 23, 24, 25, 26, 27, 28, 29
            ]
        );
        let messages: Vec<String> = findings.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 3, "{messages:#?}");
        assert!(messages[0].starts_with("s.xml:16:5: `ImageLoad` has an empty include"));
        assert!(messages[1].contains("s.xml:22:5: `<DnsQuery>` has `onmatch=\"maybe\"`"));
        assert!(messages[2].contains(
            "`<ProcesCreate>` is not a Sysmon event type (did you mean `ProcessCreate`?)"
        ));
    }

    #[test]
    fn no_filtering_is_the_defaults() {
        let (got, findings) = collect("<Sysmon><HashAlgorithms>md5</HashAlgorithms></Sysmon>");
        let got = got.expect("read");
        assert_eq!(got.collected, [1, 2, 4, 5, 6, 11, 12, 13, 14, 15, 16, 255]);
        assert!(got.filtered.is_empty());
        assert_eq!(findings.len(), 2, "{findings:?}"); // no schemaversion, no EventFiltering
    }

    #[test]
    fn bad_xml_is_a_finding_with_its_position() {
        for (xml, expected) in [
            ("<Sysmon>\n  <EventFiltering>\n</Sysmon>", "s.xml:3:"),
            ("<project/>", "s.xml:1:1: the root element is `<project>`"),
            (
                "<!DOCTYPE x [<!ENTITY a \"aaaa\">]>\n<Sysmon>&a;</Sysmon>",
                "s.xml:1:1: not well-formed XML",
            ),
            ("", "s.xml:1:1: not well-formed XML"),
            ("\u{0}<Sysmon/>", "s.xml:1:1: not well-formed XML"),
        ] {
            let (got, _) = collect(xml);
            let finding = got.expect_err(xml).to_string();
            assert!(finding.starts_with(expected), "{xml:?}: {finding}");
        }
    }

    /// A Sysmon for Linux configuration (its rules name Unix paths only) is read, and said to
    /// be read as Windows; one Windows path anywhere, or no path at all, says nothing.
    #[test]
    fn a_linux_configuration_is_named() {
        let linux = r#"<Sysmon schemaversion="4.70"><EventFiltering><RuleGroup name="" groupRelation="or">
  <ProcessCreate onmatch="include"><Image condition="end with">/usr/bin/curl</Image></ProcessCreate>
  <NetworkConnect onmatch="include"><Image condition="is">/bin/bash</Image></NetworkConnect>
</RuleGroup></EventFiltering></Sysmon>"#;
        let (got, findings) = collect(linux);
        let got = got.expect("read");
        assert_eq!(got.filtered, vec![1, 3]);
        assert_eq!(got.collected, vec![2, 4, 5, 6, 11, 12, 13, 14, 15, 16, 255]);
        let text: Vec<String> = findings.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 1, "{text:?}");
        assert!(
            text[0].starts_with("s.xml:1:1: this looks like a Sysmon for Linux configuration")
                && text[0].contains("`/usr/bin/curl`"),
            "{text:?}"
        );
        for windows in [
            linux.replace("/bin/bash", r"C:\Windows\System32\cmd.exe"),
            linux.replace("/bin/bash", r"c:\tools"),
            linux
                .replace("/usr/bin/curl", "curl")
                .replace("/bin/bash", "bash"),
        ] {
            let (_, findings) = collect(&windows);
            assert!(findings.is_empty(), "{windows}: {findings:?}");
        }
    }

    #[test]
    fn deep_nesting_is_no_stack_overflow() {
        let xml = format!(
            "<Sysmon>{}{}</Sysmon>",
            "<a>".repeat(100_000),
            "</a>".repeat(100_000)
        );
        let (got, _) = collect(&xml);
        assert_eq!(got.map(|c| c.collected.len()), Ok(12));
    }

    #[test]
    fn telemetry_entry() {
        let mut imported = Imported::default();
        parse(
            "<Sysmon schemaversion=\"4.50\"><EventFiltering><NetworkConnect onmatch=\"include\"><Image>a</Image></NetworkConnect></EventFiltering></Sysmon>",
            Path::new("dir/My Config.xml"),
            &SysmonOptions::default(),
            true,
            &mut imported,
        );
        let t = &imported.telemetry[0];
        assert_eq!(
            (t.id.as_str(), t.name.as_str()),
            ("my-config", "Sysmon (My Config.xml)")
        );
        assert_eq!(t.platforms, ["Windows"]);
        assert_eq!(t.log_sources.len(), 2);
        assert_eq!(t.log_sources[1].channels, ["EventCode=3"]);
        assert!(t.log_sources[1].filtered && !t.log_sources[0].filtered);
        assert_eq!(imported.summary.files_read, 1);
    }
}
