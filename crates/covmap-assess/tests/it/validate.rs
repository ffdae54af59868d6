//! Inventory parsing and validation: one fixture per finding code in
//! `fixtures/inventory/bad/<code>.yaml`, good inventories in `fixtures/inventory/good/`, merging,
//! encodings, hostile YAML, and the JSON Schema.
//!
//! Most fixtures are checked against the synthetic bundle `fixtures/attack/mini-attack-2.1.json`
//! (ATT&CK "9.9"; its README lists what is in it: T1000 is revoked by T1053 through T1001,
//! T1002 is deprecated, G0016 is APT29). A few need the real enterprise 18.1 bundle.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use covmap_assess::diagnostic::{Code, Diagnostic, Severity};
use covmap_assess::inventory::{Function, Level, NamedLevel, Status};
use covmap_assess::params::{Combine, Rollup};
use covmap_assess::parse::{Parsed, SourceFile, ValidationContext, parse_inventories};
use covmap_assess::schema::inventory_schema;
use covmap_core::{Attack, Kind};
use serde_json::{Value, json};

use crate::builder::{enterprise_18, mini, repo_root};

// ---------------------------------------------------------------------------------------------
// Helpers

fn mini_ics() -> &'static Attack {
    static CELL: OnceLock<Attack> = OnceLock::new();
    CELL.get_or_init(|| {
        Attack::load(&repo_root().join("fixtures/attack/mini-ics-2.1.json"))
            .expect("mini ICS fixture loads")
    })
}

fn fixture_dir() -> PathBuf {
    repo_root().join("fixtures/inventory")
}

/// A fixture, named in findings by its path below `fixtures/inventory/`.
fn fixture(rel: &str) -> SourceFile {
    let bytes = std::fs::read(fixture_dir().join(rel))
        .unwrap_or_else(|e| panic!("fixture {rel} should be readable: {e}"));
    SourceFile::new(rel, bytes)
}

fn parse(sources: &[SourceFile], attack: &Attack) -> Parsed {
    parse_inventories(sources, attack, &ValidationContext::default())
}

fn parse_text(text: &str, attack: &Attack) -> Parsed {
    parse(&[SourceFile::new("inline.yaml", text)], attack)
}

/// Plain-text rendering of findings for snapshots: `path:line:col: severity[code]: message`,
/// the offending line with `length` carets under it, then hints and related places.
fn render(diagnostics: &[Diagnostic], sources: &[SourceFile]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let loc = &d.location;
        let _ = writeln!(
            out,
            "{}:{}:{}: {}[{}]: {}",
            loc.path.display(),
            loc.line,
            loc.column,
            d.severity,
            d.code,
            d.message
        );
        let text = sources
            .iter()
            .find(|s| *s.path == *loc.path)
            .map(|s| String::from_utf8_lossy(&s.bytes).into_owned())
            .unwrap_or_default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        if let Some(line) = loc.line.checked_sub(1).and_then(|l| text.lines().nth(l)) {
            let line = line.trim_end_matches('\r');
            let gutter = loc.line.to_string().len();
            let _ = writeln!(out, "{:>gutter$} | {line}", loc.line);
            let _ = writeln!(
                out,
                "{:>gutter$} | {}{}",
                "",
                " ".repeat(loc.column.saturating_sub(1)),
                "^".repeat(d.length.max(1))
            );
        }
        for hint in &d.hints {
            let _ = writeln!(out, "  hint: {hint}");
        }
        for related in &d.related {
            let _ = writeln!(out, "  note: {}: {}", related.location, related.message);
        }
    }
    out
}

/// Parses the fixture `bad/<code>.yaml` (plus `extra` files first), asserts that it yields
/// exactly one finding with that code, of that severity, at that line and column, and
/// snapshots the rendering of all its findings.
fn check_code(
    code: Code,
    attack: &Attack,
    context: &ValidationContext<'_>,
    extra: &[&str],
    expected: (Severity, usize, usize),
) -> Parsed {
    let name = code.as_str();
    let mut sources: Vec<SourceFile> = extra.iter().map(|rel| fixture(rel)).collect();
    sources.push(fixture(&format!("bad/{name}.yaml")));
    let parsed = parse_inventories(&sources, attack, context);
    let rendered = render(&parsed.diagnostics, &sources);
    let hits: Vec<&Diagnostic> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.code == code)
        .collect();
    assert_eq!(hits.len(), 1, "one {name} finding expected:\n{rendered}");
    let d = hits[0];
    let (severity, line, column) = expected;
    assert_eq!(
        (d.severity, d.location.line, d.location.column),
        (severity, line, column),
        "{rendered}"
    );
    assert!(d.length >= 1);
    assert!(
        !d.message.ends_with('.') && !d.message.starts_with(char::is_uppercase),
        "message style: {}",
        d.message
    );
    assert!(
        !d.hints.is_empty(),
        "every finding says what to do:\n{rendered}"
    );
    insta::assert_snapshot!(name, rendered);
    parsed
}

fn codes(parsed: &Parsed) -> Vec<(&'static str, usize, usize)> {
    parsed
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.location.line, d.location.column))
        .collect()
}

fn tech(attack: &Attack, id: &str) -> u32 {
    crate::builder::tech(attack, id)
}

fn index_of(attack: &Attack, kind: Kind, id: &str) -> u32 {
    let r = attack
        .lookup(id)
        .unwrap_or_else(|| panic!("{id} is in the bundle"));
    assert_eq!(r.kind, kind);
    r.index
}

// ---------------------------------------------------------------------------------------------
// One fixture per finding code

#[test]
fn every_code_has_a_fixture_and_a_doc_entry() {
    let docs = std::fs::read_to_string(repo_root().join("docs/inventory.md"))
        .expect("docs/inventory.md exists");
    for code in Code::ALL {
        let path = fixture_dir().join(format!("bad/{}.yaml", code.as_str()));
        assert!(path.is_file(), "missing fixture {}", path.display());
        assert!(
            docs.contains(&format!("`{}`", code.as_str())),
            "docs/inventory.md does not document {code}"
        );
    }
}

#[test]
fn unknown_log_source() {
    let parsed = check_code(
        Code::UnknownLogSource,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Error, 9, 16),
    );
    let d = &parsed.diagnostics[0];
    assert!(
        d.hints
            .iter()
            .any(|h| h == "did you mean `WinEventLog:Sysmon`?"),
        "{:?}",
        d.hints
    );
}

#[test]
fn unknown_log_channel() {
    let parsed = check_code(
        Code::UnknownLogChannel,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Warning, 10, 64),
    );
    // A warning: the entry is kept, channels as written, name in the bundle's spelling.
    let t = &parsed.inventory.telemetry[0];
    assert_eq!(t.platforms, ["Windows"]);
    assert_eq!(t.log_sources[0].name, "WinEventLog:Sysmon");
    assert_eq!(t.log_sources[0].channels, ["EventCode=1", "EventCode=99"]);
}

#[test]
fn duplicate_telemetry_id() {
    let parsed = check_code(
        Code::DuplicateTelemetryId,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Error, 10, 9),
    );
    assert_eq!(parsed.inventory.telemetry.len(), 1);
}

#[test]
fn unreadable_file() {
    check_code(
        Code::UnreadableFile,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Error, 2, 18),
    );
}

#[test]
fn yaml_syntax() {
    check_code(
        Code::YamlSyntax,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Error, 6, 17),
    );
}

#[test]
fn invalid_value() {
    check_code(
        Code::InvalidValue,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Error, 6, 19),
    );
}

#[test]
fn missing_key() {
    check_code(
        Code::MissingKey,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Error, 5, 9),
    );
}

#[test]
fn unknown_key() {
    check_code(
        Code::UnknownKey,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Error, 4, 5),
    );
}

#[test]
fn unsupported_version() {
    check_code(
        Code::UnsupportedVersion,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Error, 1, 9),
    );
}

#[test]
fn unknown_technique() {
    let parsed = check_code(
        Code::UnknownTechnique,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Error, 5, 34),
    );
    let d = &parsed.diagnostics[0];
    assert_eq!(d.length, "T1059.999".len());
    assert_eq!(
        d.hints[0],
        "did you mean `T1059` (Command and Scripting Interpreter)?"
    );
    // The valid technique of the same entry is kept.
    let entry = &parsed.inventory.capabilities[0].coverage[0];
    assert_eq!(entry.techniques, vec![tech(mini(), "T1059.001")]);
}

#[test]
fn wrong_domain() {
    // Without other bundles: recognised by the shape of ICS IDs (T0xxx).
    check_code(
        Code::WrongDomain,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Error, 5, 34),
    );
    // With the ICS bundle at hand, the finding names the technique.
    let context = ValidationContext {
        other_domains: vec![mini_ics()],
    };
    let parsed = parse_inventories(&[fixture("bad/wrong-domain.yaml")], mini(), &context);
    assert_eq!(codes(&parsed), vec![("wrong-domain", 5, 34)]);
    assert_eq!(
        parsed.diagnostics[0].message.as_ref(),
        "`T0819` is an ICS ATT&CK technique (Exploit Public-Facing Application), not part of enterprise ATT&CK 9.9"
    );
}

#[test]
fn not_a_technique() {
    check_code(
        Code::NotATechnique,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Error, 5, 34),
    );
}

#[test]
fn revoked_technique() {
    let parsed = check_code(
        Code::RevokedTechnique,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Warning, 5, 34),
    );
    // T1000 -> T1001 -> T1053: scored as T1053.
    let entry = &parsed.inventory.capabilities[0].coverage[0];
    assert_eq!(
        entry.techniques,
        vec![tech(mini(), "T1059.001"), tech(mini(), "T1053")]
    );
}

#[test]
fn deprecated_technique() {
    let parsed = check_code(
        Code::DeprecatedTechnique,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Warning, 5, 34),
    );
    let entry = &parsed.inventory.capabilities[0].coverage[0];
    assert_eq!(entry.techniques, vec![tech(mini(), "T1059.001")]);
}

#[test]
fn duplicate_capability_id() {
    let parsed = check_code(
        Code::DuplicateCapabilityId,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Error, 6, 9),
    );
    let d = parsed
        .diagnostics
        .iter()
        .find(|d| d.code == Code::DuplicateCapabilityId)
        .expect("finding");
    assert_eq!(d.related.len(), 1);
    assert_eq!(
        (d.related[0].location.line, d.related[0].location.column),
        (3, 9)
    );
    // The first capability is kept, the duplicate is not.
    assert_eq!(parsed.inventory.capabilities.len(), 1);
}

#[test]
fn unknown_platform() {
    let parsed = check_code(
        Code::UnknownPlatform,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Error, 3, 24),
    );
    let d = &parsed.diagnostics[0];
    assert_eq!(d.hints[0], "did you mean `Windows`?");
    assert_eq!(
        d.hints[1],
        "valid platforms: IaaS, Linux, macOS, Office Suite, Windows"
    );
    assert_eq!(parsed.inventory.scope.platforms, vec!["Windows"]);
}

// Issue 18 §7: renamed platforms, level words, a bare cost.

#[test]
fn renamed_platform() {
    // The mini bundle has `Office Suite`, the name ATT&CK gave `Office 365`.
    let parsed = check_code(
        Code::RenamedPlatform,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Warning, 3, 24),
    );
    let d = &parsed.diagnostics[0];
    assert_eq!(
        d.message.as_ref(),
        "`Office 365` is a former ATT&CK platform name; read as `Office Suite`"
    );
    assert!(d.hints[0].starts_with("ATT&CK renamed it; write `Office Suite`"));
    // Read as the new name, in the bundle's platform order.
    assert_eq!(
        parsed.inventory.scope.platforms,
        vec!["Office Suite", "Windows"]
    );
}

/// Findings (code, first hint) of one inline inventory.
fn first_hints(yaml: &str) -> Vec<(Code, String)> {
    let parsed = parse(
        &[SourceFile::new("inline.yaml", yaml.as_bytes().to_vec())],
        mini(),
    );
    parsed
        .diagnostics
        .iter()
        .map(|d| {
            (
                d.code,
                d.hints.first().map(ToString::to_string).unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn level_words_suggest_the_named_level() {
    for (word, meant) in [
        ("high", "significant"),
        ("Medium", "partial"),
        ("low", "minimal"),
    ] {
        let yaml = format!(
            "covmap: 1\ncapabilities:\n  - id: edr\n    coverage:\n      - {{techniques: [T1059.001], function: detect, level: {word}}}\n"
        );
        assert_eq!(
            first_hints(&yaml),
            [(Code::InvalidValue, format!("did you mean `{meant}`?"))],
            "{word}"
        );
    }
    // A confidence word too; a word that means nothing gets no suggestion.
    let yaml = "covmap: 1\ncapabilities:\n  - id: edr\n    coverage:\n      - {techniques: [T1059.001], function: detect, level: partial, confidence: verified}\n";
    assert_eq!(
        first_hints(yaml),
        [(Code::InvalidValue, "did you mean `tested`?".to_string())]
    );
    let yaml = "covmap: 1\ncapabilities:\n  - id: edr\n    coverage:\n      - {techniques: [T1059.001], function: detect, level: banana}\n";
    assert_eq!(
        first_hints(yaml),
        [(
            Code::InvalidValue,
            "valid values: minimal, partial, significant".to_string()
        )]
    );
}

#[test]
fn a_bare_cost_names_annual_and_currency() {
    let yaml = "covmap: 1\ncapabilities:\n  - id: edr\n    cost: 3600\n    coverage:\n      - {techniques: [T1059.001], function: detect, level: partial}\n";
    let hints = first_hints(yaml);
    assert_eq!(hints.len(), 1, "{hints:?}");
    assert_eq!(hints[0].0, Code::InvalidValue);
    assert!(
        hints[0].1.contains("`annual`") && hints[0].1.contains("`currency`"),
        "{}",
        hints[0].1
    );
}

#[test]
fn level_out_of_range() {
    check_code(
        Code::LevelOutOfRange,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Error, 5, 60),
    );
}

#[test]
fn redundant_subtechnique() {
    let parsed = check_code(
        Code::RedundantSubtechnique,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Warning, 6, 23),
    );
    assert_eq!(parsed.diagnostics[0].related[0].location.line, 5);
}

#[test]
fn parent_counts_for_no_subtechnique() {
    // Line 5: T1003 without `include_subtechniques` (one sub-technique in the mini bundle).
    // Line 6 says `false` on purpose, line 7 `true`, line 8 lists a technique without
    // sub-techniques: none of them is warned about.
    let parsed = check_code(
        Code::ParentCountsForNoSubtechnique,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Warning, 5, 23),
    );
    let d = &parsed.diagnostics[0];
    assert!(
        d.message
            .starts_with("`T1003` has 1 sub-technique, and this entry counts for none"),
        "{}",
        d.message
    );
    assert_eq!(d.length, "T1003".len());
    assert!(
        d.hints[0].contains("include_subtechniques: true"),
        "{:?}",
        d.hints
    );
    assert!(d.hints[1].contains("(T1003.001)"), "{:?}", d.hints);
    let edr = &parsed.inventory.capabilities[0];
    assert!(!edr.coverage[0].parent_level_by_choice);
    assert!(edr.coverage[1].parent_level_by_choice);
    assert_eq!(
        covmap_assess::claims::parent_only_entries(mini(), &parsed.inventory),
        1
    );
}

/// The class: every entry whose claim on a parent scores no sub-technique is found once, with
/// the total of sub-techniques of all its parents; revoked IDs are judged by their
/// replacement; leaves, `include_subtechniques` and sub-techniques are never warned about.
#[test]
fn parent_claims_are_warned_about_once_per_entry() {
    let text = r"covmap: 1
capabilities:
  - id: a
    coverage:
      - {techniques: [T1059.001, T1566, T1059], function: protect, level: minimal}
      - {techniques: [T1000, T1053, T1003.001], function: detect, level: partial}
      - {techniques: T1078, function: respond, level: 0.3}
  - id: b
    status: retired
    coverage:
      - techniques: [T1003]
        function: detect
        level: partial
";
    let parsed = parse_text(text, mini());
    let found: Vec<(usize, usize, &str)> = parsed
        .diagnostics
        .iter()
        .map(|d| (d.location.line, d.location.column, d.code.as_str()))
        .collect();
    // T1000 is revoked by T1053 (a warning of its own), a technique without sub-techniques.
    assert_eq!(
        found,
        [
            (5, 34, "parent-counts-for-no-subtechnique"),
            (6, 23, "revoked-technique"),
            (11, 22, "parent-counts-for-no-subtechnique"),
        ],
        "{:#?}",
        parsed.diagnostics
    );
    // T1566 has 2 sub-techniques in the mini bundle and T1059 2: 4 in all, both named.
    let first = &parsed.diagnostics[0].message;
    assert!(
        first.starts_with("`T1566` (2), `T1059` (2) have 4 sub-techniques in all"),
        "{first}"
    );
    assert_eq!(
        covmap_assess::claims::parent_only_entries(mini(), &parsed.inventory),
        2
    );
}

#[test]
fn platform_mismatch() {
    // T1059.004 runs on Linux and macOS; edr applies on Windows only.
    let parsed = check_code(
        Code::PlatformMismatch,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Warning, 8, 34),
    );
    assert!(
        parsed.diagnostics[0].message.contains(
            "runs on Linux in scope, none of the platforms this entry applies on (Windows)"
        ),
        "{}",
        parsed.diagnostics[0].message
    );
}

/// The class: a claim that can apply on no platform counts for nothing and is warned about;
/// a technique with no platform in scope at all is out of scope (not a mismatch), and a parent
/// with `include_subtechniques` is judged by its sub-techniques' platforms.
#[test]
fn platform_mismatches_of_every_kind() {
    let text = r"covmap: 1
scope: {platforms: [Windows, Linux, IaaS]}
capabilities:
  - id: edr
    platforms: [Windows, Linux]
    coverage:
      - {techniques: [T1059.001], function: detect, level: partial, platforms: [Linux]}
      - {techniques: [T1003], function: detect, level: partial, platforms: [Linux], include_subtechniques: true}
      - {techniques: [T1059], function: protect, level: partial, platforms: [Linux], include_subtechniques: true}
  - id: cloud
    platforms: [IaaS, macOS]
    coverage:
      - {techniques: [T1078, T1053], function: detect, level: partial}
      - {techniques: [T1566.001], function: detect, level: partial, platforms: [macOS]}
";
    let parsed = parse_text(text, mini());
    let found: Vec<(usize, usize, &str)> = parsed
        .diagnostics
        .iter()
        .map(|d| (d.location.line, d.location.column, d.code.as_str()))
        .collect();
    // Line 7: PowerShell (Windows) narrowed to Linux. Line 8: T1003's only sub-technique,
    // T1003.001, runs on Windows. Line 9: T1059.004 runs on Linux: fine. Line 13: T1053
    // (Windows, Linux) claimed by a capability on IaaS and macOS; T1078 runs on IaaS: fine.
    // Line 14: the entry's only platform, macOS, is not in scope.
    assert_eq!(
        found,
        [
            (7, 23, "platform-mismatch"),
            (8, 23, "platform-mismatch"),
            (13, 30, "platform-mismatch"),
            (14, 80, "platform-mismatch"),
        ],
        "{:#?}",
        parsed.diagnostics
    );
    assert!(
        parsed.diagnostics[3].message.starts_with(
            "none of this entry's platforms (macOS) is in scope (IaaS, Linux, Windows)"
        )
    );
}

#[test]
fn system_is_read_and_checked() {
    let text = r#"covmap: 1
capabilities:
  - id: sigma-windows
    system: " siem "
    coverage:
      - {techniques: T1059.001, function: detect, level: partial}
  - id: edr
    coverage:
      - {techniques: T1059.001, function: detect, level: partial}
  - id: bad
    system: ""
    coverage:
      - {techniques: T1059.001, function: detect, level: partial}
"#;
    let parsed = parse_text(text, mini());
    let caps = &parsed.inventory.capabilities;
    assert_eq!(caps[0].system.as_deref(), Some("siem"));
    assert_eq!(caps[0].system(), "siem");
    assert_eq!((caps[1].system.as_deref(), caps[1].system()), (None, "edr"));
    assert_eq!(
        codes(&parsed),
        [("invalid-value", 11, 13)],
        "{:#?}",
        parsed.diagnostics
    );
    assert_eq!(
        parsed.diagnostics[0].message.as_ref(),
        "capability `bad` has an empty `system`"
    );
}

#[test]
fn attack_version_mismatch() {
    check_code(
        Code::AttackVersionMismatch,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Warning, 2, 39),
    );
}

#[test]
fn attack_domain_mismatch() {
    check_code(
        Code::AttackDomainMismatch,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Error, 2, 18),
    );
}

/// The made-up bundle of name-resolution cases (fixtures/attack/make_names_fixture.py).
fn names_bundle() -> &'static Attack {
    static CELL: OnceLock<Attack> = OnceLock::new();
    CELL.get_or_init(|| {
        Attack::load(&repo_root().join("fixtures/attack/names-attack-2.1.json"))
            .expect("names fixture loads")
    })
}

#[test]
fn ambiguous_name() {
    let parsed = check_code(
        Code::AmbiguousName,
        names_bundle(),
        &ValidationContext::default(),
        &[],
        (Severity::Error, 4, 26),
    );
    let d = parsed
        .diagnostics
        .iter()
        .find(|d| d.code == Code::AmbiguousName)
        .expect("the finding");
    assert_eq!(
        d.message.as_ref(),
        "`DNSMessenger` names 2 software: `S0145` (POWERSOURCE, by alias), `S0146` (TEXTMATE, by alias)"
    );
    // Mimikatz still counts; the ambiguous name adds nothing.
    assert_eq!(
        parsed.inventory.scope.threats.software,
        vec![index_of(names_bundle(), Kind::Software, "S0002")]
    );
}

#[test]
fn threat_names_resolve_among_their_kind_only() {
    let attack = names_bundle();
    let source = SourceFile {
        path: PathBuf::from("threats.yaml"),
        bytes: b"covmap: 1\nscope:\n  threats:\n    groups: [Thrip, Carbanak, APT34, UAC-0056, Mimikatz]\n    software: [Carbanak, Bad Rabbit, Ghost]\n    campaigns: [spring dragon]\ncapabilities:\n  - id: edr\n    coverage:\n      - {techniques: [T1059.001], function: detect, level: partial}\n".to_vec(),
    };
    let parsed = parse_inventories(&[source], attack, &ValidationContext::default());
    assert_eq!(
        codes(&parsed),
        vec![
            ("ambiguous-name", 4, 38),
            ("unknown-threat", 4, 48),
            ("ambiguous-name", 5, 38),
        ]
    );
    let ids = |kind: Kind, list: &[u32]| -> Vec<String> {
        list.iter()
            .map(|&i| {
                attack
                    .meta(covmap_core::ObjectRef { kind, index: i })
                    .id()
                    .to_string()
            })
            .collect()
    };
    let threats = &parsed.inventory.scope.threats;
    // Thrip is G0076's own name (G0030 only lists it as an alias); the revoked G0057's name
    // APT34 is the active G0049's alias.
    assert_eq!(
        ids(Kind::Group, &threats.groups),
        ["G0008", "G0049", "G0076"]
    );
    assert_eq!(ids(Kind::Software, &threats.software), ["S0030", "S0606"]);
    assert_eq!(ids(Kind::Campaign, &threats.campaigns), ["C0001"]);
}

#[test]
fn unknown_threat() {
    let parsed = check_code(
        Code::UnknownThreat,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Error, 4, 21),
    );
    assert_eq!(
        parsed.inventory.scope.threats.groups,
        vec![index_of(mini(), Kind::Group, "G0016")]
    );
}

#[test]
fn conflicting_setting() {
    let parsed = check_code(
        Code::ConflictingSetting,
        mini(),
        &ValidationContext::default(),
        &["good/minimal.yaml"],
        (Severity::Error, 3, 15),
    );
    let d = parsed
        .diagnostics
        .iter()
        .find(|d| d.code == Code::ConflictingSetting)
        .expect("finding");
    assert_eq!(&*d.location.path, Path::new("bad/conflicting-setting.yaml"));
    assert_eq!(&*d.related[0].location.path, Path::new("good/minimal.yaml"));
    assert_eq!(d.related[0].location.line, 2);
    // The first file's value stands.
    assert_eq!(
        parsed.inventory.organization.as_deref(),
        Some("Example Corp")
    );
}

#[test]
fn empty_capability() {
    check_code(
        Code::EmptyCapability,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Warning, 3, 9),
    );
}

#[test]
fn tested_without_evidence() {
    check_code(
        Code::TestedWithoutEvidence,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Warning, 5, 81),
    );
}

#[test]
fn no_platform_in_scope() {
    check_code(
        Code::NoPlatformInScope,
        mini(),
        &ValidationContext::default(),
        &[],
        (Severity::Warning, 6, 16),
    );
}

#[test]
fn inactive_threat() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    let parsed = parse(&[fixture("bad/inactive-threat.yaml")], attack);
    let rendered = render(&parsed.diagnostics, &[fixture("bad/inactive-threat.yaml")]);
    assert_eq!(
        codes(&parsed),
        vec![("inactive-threat", 6, 14), ("inactive-threat", 6, 21)],
        "{rendered}"
    );
    assert!(
        parsed
            .diagnostics
            .iter()
            .all(|d| d.severity == Severity::Warning)
    );
    assert_eq!(
        parsed.diagnostics[0].message.as_ref(),
        "group `G0118` (UNC2452) is revoked: weighted as its replacement `G0016` (APT29)"
    );
    // The revoked group is weighted as its replacement; the deprecated one is dropped.
    assert_eq!(
        parsed.inventory.scope.threats.groups,
        vec![index_of(attack, Kind::Group, "G0016")]
    );
    insta::assert_snapshot!("inactive-threat", rendered);
}

// ---------------------------------------------------------------------------------------------
// Good inventories

#[test]
fn issue_example_is_clean_on_real_18_1() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    let sources = [fixture("good/issue-example.yaml")];
    let parsed = parse(&sources, attack);
    assert_eq!(render(&parsed.diagnostics, &sources), "");
    let inv = &parsed.inventory;
    assert_eq!(inv.organization.as_deref(), Some("Example Corp"));
    assert_eq!(inv.attack.domain.as_deref(), Some("enterprise"));
    assert_eq!(inv.attack.version.as_deref(), Some("18.1"));
    assert_eq!(
        inv.scope.platforms,
        vec![
            "IaaS",
            "Identity Provider",
            "Linux",
            "macOS",
            "Office Suite",
            "Windows"
        ]
    );
    assert_eq!(inv.scope.exclusions.len(), 1);
    assert_eq!(inv.scope.exclusions[0].technique, tech(attack, "T1200"));
    assert_eq!(
        inv.scope.exclusions[0].reason,
        "no physical access in scope"
    );
    assert_eq!(
        inv.scope.threats.groups,
        vec![
            index_of(attack, Kind::Group, "G0016"),
            index_of(attack, Kind::Group, "G0046")
        ]
    );
    assert_eq!(
        inv.scope.threats.campaigns,
        vec![index_of(attack, Kind::Campaign, "C0024")]
    );
    assert_eq!(
        inv.scope.threats.software,
        vec![index_of(attack, Kind::Software, "S0154")]
    );
    let edr = &inv.capabilities[0];
    assert_eq!(edr.id, "edr");
    assert_eq!(edr.name, "Falcon Insight XDR");
    assert_eq!(edr.platforms, vec!["Linux", "macOS", "Windows"]);
    assert_eq!(
        edr.cost.as_ref().map(|c| (c.annual, c.currency.as_str())),
        Some((180_000.0, "EUR"))
    );
    assert_eq!(edr.coverage.len(), 2);
    let first = &edr.coverage[0];
    assert_eq!(
        first.techniques,
        vec![tech(attack, "T1059.001"), tech(attack, "T1003.001")]
    );
    assert_eq!(first.tested_on.as_deref(), Some("2026-09-14"));
    assert_eq!((first.location.line, first.location.column), (20, 9));
    assert!(edr.coverage[1].include_subtechniques);
}

#[test]
fn docs_examples_are_clean_on_real_18_1() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    let docs = std::fs::read_to_string(repo_root().join("docs/inventory.md")).expect("docs");
    let blocks: Vec<&str> = docs
        .split("```yaml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .collect();
    assert!(blocks.len() >= 3, "{}", blocks.len());
    for block in blocks {
        let sources = [SourceFile::new("docs/inventory.md", block)];
        let parsed = parse(&sources, attack);
        assert!(
            parsed.diagnostics.is_empty(),
            "{block}\n{}",
            render(&parsed.diagnostics, &sources)
        );
    }
}

#[test]
fn example_inventories_are_clean_on_real_18_1() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    let dir = repo_root().join("examples");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut checked = 0;
    let mut folders: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    for folder in folders {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        files.sort();
        for file in files {
            let source = SourceFile::new(&file, std::fs::read(&file).expect("readable"));
            let sources = [source];
            let parsed = parse(&sources, attack);
            assert!(
                !parsed.has_errors(),
                "{}:\n{}",
                file.display(),
                render(&parsed.diagnostics, &sources)
            );
            checked += 1;
        }
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!("checked {checked} example inventories");
    }
}

#[test]
fn full_inventory_resolves_every_key() {
    let attack = mini();
    let sources = [fixture("good/full.yaml")];
    let parsed = parse(&sources, attack);
    assert_eq!(render(&parsed.diagnostics, &sources), "");
    let inv = &parsed.inventory;
    // Platforms match in any case and come back in the bundle's spelling, sorted.
    assert_eq!(
        inv.scope.platforms,
        vec!["IaaS", "Linux", "macOS", "Windows"]
    );
    assert_eq!(
        inv.scope.threats.campaigns,
        vec![index_of(attack, Kind::Campaign, "C0024")]
    );
    assert_eq!(
        inv.scope.threats.software,
        vec![index_of(attack, Kind::Software, "S0154")]
    );
    assert!((inv.scoring.levels.minimal - 0.2).abs() < 1e-12);
    assert_eq!(inv.scoring.rollup, Rollup::Min);
    assert_eq!(inv.scoring.headline.combine, Combine::Max);
    assert!((inv.scoring.thresholds.high - 0.7).abs() < 1e-12);
    let edr = &inv.capabilities[0];
    assert_eq!(edr.cost.as_ref().map(|c| c.currency.as_str()), Some("EUR"));
    assert_eq!(edr.tags, vec!["endpoint", "tier-1"]);
    let visibility = &edr.coverage[1];
    assert_eq!(visibility.techniques, vec![tech(attack, "T1059")]);
    assert_eq!(visibility.function, Function::Visibility);
    assert_eq!(visibility.level, Level::Value(0.4));
    assert_eq!(visibility.confidence, None);
    assert_eq!(
        visibility.platforms.as_deref(),
        Some(&["Linux".to_string()][..])
    );
    let email = &inv.capabilities[1];
    assert_eq!(email.name, "email-gateway", "name defaults to the id");
    assert_eq!(email.status, Status::Planned);
    assert_eq!(email.platforms, vec!["Office Suite", "Windows"]);
    assert_eq!(email.coverage[0].level, Level::Named(NamedLevel::Partial));
    assert_eq!(inv.files[0].sha256.len(), 64);
}

#[test]
fn defaults() {
    let attack = mini();
    let parsed = parse(&[fixture("good/minimal.yaml")], attack);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let inv = &parsed.inventory;
    // Scope platforms default to the whole domain, sorted; capability platforms to the scope's.
    assert_eq!(inv.scope.platforms, attack.platforms());
    let edr = &inv.capabilities[0];
    assert_eq!(edr.platforms, inv.scope.platforms);
    assert_eq!(edr.status, Status::Deployed);
    assert_eq!(edr.name, "edr");
    // A single technique may be written without a list.
    assert_eq!(edr.coverage[0].techniques, vec![tech(attack, "T1059.001")]);
    assert!(!edr.coverage[0].include_subtechniques);
    assert!(inv.scope.threats.is_empty());
    assert_eq!(inv.scoring, covmap_assess::params::ScoringParams::default());
}

// ---------------------------------------------------------------------------------------------
// Several files, several findings

#[test]
fn several_problems_are_all_reported_in_one_run() {
    let sources = [fixture("bad/several-problems.yaml")];
    let parsed = parse(&sources, mini());
    let rendered = render(&parsed.diagnostics, &sources);
    assert_eq!(
        codes(&parsed),
        vec![
            ("unknown-key", 3, 1),
            ("unknown-platform", 5, 31),
            ("invalid-value", 8, 13),
            ("unknown-technique", 13, 22),
            ("revoked-technique", 13, 33),
            ("deprecated-technique", 13, 40),
            ("level-out-of-range", 15, 16),
            ("redundant-subtechnique", 20, 22),
            ("tested-without-evidence", 23, 21),
            ("invalid-value", 24, 20),
            ("duplicate-capability-id", 25, 9),
            ("empty-capability", 26, 15),
        ],
        "{rendered}"
    );
    insta::assert_snapshot!("several-problems", rendered);
}

#[test]
fn two_files_merge() {
    let attack = mini();
    let sources = [fixture("good/team-a.yaml"), fixture("good/team-b.yaml")];
    let parsed = parse(&sources, attack);
    assert!(
        parsed.diagnostics.is_empty(),
        "{}",
        render(&parsed.diagnostics, &sources)
    );
    let inv = &parsed.inventory;
    assert_eq!(inv.files.len(), 2);
    assert_eq!(inv.files[1].path, Path::new("good/team-b.yaml"));
    let ids: Vec<&str> = inv.capabilities.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, vec!["edr", "siem"]);
    // Platforms set in one file hold for capabilities of the other.
    assert_eq!(inv.scope.platforms, vec!["Linux", "Windows"]);
    assert_eq!(inv.capabilities[1].platforms, vec!["Linux", "Windows"]);
    assert_eq!(inv.scope.exclusions.len(), 1);
    assert_eq!(
        &*inv.scope.exclusions[0].location.path,
        Path::new("good/team-b.yaml")
    );
    // Threats are united, without repeats, by ATT&CK ID.
    assert_eq!(
        inv.scope.threats.groups,
        vec![
            index_of(attack, Kind::Group, "G0016"),
            index_of(attack, Kind::Group, "G0046")
        ]
    );
    assert_eq!(
        &*inv.capabilities[1].location.path,
        Path::new("good/team-b.yaml")
    );
}

#[test]
fn duplicate_ids_across_files_name_both_places() {
    let sources = [
        fixture("good/team-a.yaml"),
        SourceFile::new(
            "other.yaml",
            "covmap: 1\ncapabilities:\n  - id: edr\n    coverage: [{techniques: T1078, function: detect, level: minimal}]\n",
        ),
    ];
    let parsed = parse(&sources, mini());
    assert_eq!(codes(&parsed), vec![("duplicate-capability-id", 3, 9)]);
    let d = &parsed.diagnostics[0];
    assert_eq!(&*d.location.path, Path::new("other.yaml"));
    assert_eq!(&*d.related[0].location.path, Path::new("good/team-a.yaml"));
    assert_eq!(
        (d.related[0].location.line, d.related[0].location.column),
        (8, 9)
    );
    assert_eq!(
        d.message.as_ref(),
        "capability id `edr` is already used at good/team-a.yaml:8:9"
    );
}

#[test]
fn conflicting_platforms_and_scoring() {
    let sources = [
        SourceFile::new(
            "a.yaml",
            "covmap: 1\nscope: {platforms: [Windows]}\nscoring: {combine: max}\n",
        ),
        SourceFile::new(
            "b.yaml",
            "covmap: 1\nscope: {platforms: [windows]}\nscoring: {combine: noisy-or}\n",
        ),
        SourceFile::new("c.yaml", "covmap: 1\nscope: {platforms: [Linux]}\n"),
    ];
    let parsed = parse(&sources, mini());
    // Equal after resolution (any case) is not a conflict.
    assert_eq!(
        codes(&parsed),
        vec![
            ("conflicting-setting", 3, 10),
            ("conflicting-setting", 2, 20)
        ]
    );
    assert_eq!(&*parsed.diagnostics[0].location.path, Path::new("b.yaml"));
    assert_eq!(&*parsed.diagnostics[1].location.path, Path::new("c.yaml"));
    assert_eq!(parsed.inventory.scoring.combine, Combine::Max);
}

// ---------------------------------------------------------------------------------------------
// Real ATT&CK 18.1

#[test]
fn revoked_t1574_002_scores_as_t1574_001_on_real_18_1() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    let sources = [SourceFile::new(
        "dll.yaml",
        "covmap: 1\ncapabilities:\n  - id: edr\n    coverage:\n      - {techniques: [T1574.002], function: detect, level: partial}\n",
    )];
    let parsed = parse(&sources, attack);
    let rendered = render(&parsed.diagnostics, &sources);
    assert_eq!(
        codes(&parsed),
        vec![("revoked-technique", 5, 23)],
        "{rendered}"
    );
    let d = &parsed.diagnostics[0];
    assert_eq!(d.severity, Severity::Warning);
    assert!(d.message.contains("`T1574.001`"), "{rendered}");
    assert_eq!(d.hints, vec!["replace `T1574.002` with `T1574.001`"]);
    assert_eq!(
        parsed.inventory.capabilities[0].coverage[0].techniques,
        vec![tech(attack, "T1574.001")]
    );
    insta::assert_snapshot!("revoked-t1574-002-real", rendered);
}

#[test]
fn real_18_1_suggestions() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    let sources = [SourceFile::new(
        "typos.yaml",
        "covmap: 1\nscope:\n  platforms: [Identity provider, Office 365]\n  threats: {groups: [Cozy Bear, APT-28], software: [APT29]}\ncapabilities:\n  - id: edr\n    coverage:\n      - {techniques: [t1059.001, T1059.999, PowerShell, M1040, TA0002], function: Detect, level: partial}\n",
    )];
    let parsed = parse(&sources, attack);
    let rendered = render(&parsed.diagnostics, &sources);
    // IDs and platform names match in any case; `Detect` is `detect`; `Office 365` is the
    // former name of `Office Suite` (a warning, read as the new name).
    assert_eq!(
        parsed.inventory.scope.platforms,
        vec!["Identity Provider", "Office Suite"]
    );
    assert_eq!(
        codes(&parsed),
        vec![
            ("renamed-platform", 3, 34),
            ("unknown-threat", 4, 33),
            ("unknown-threat", 4, 53),
            ("unknown-technique", 8, 34),
            ("unknown-technique", 8, 45),
            ("not-a-technique", 8, 57),
            ("not-a-technique", 8, 64),
        ],
        "{rendered}"
    );
    insta::assert_snapshot!("real-suggestions", rendered);
}

// ---------------------------------------------------------------------------------------------
// Encodings and positions

#[test]
fn bom_and_crlf_are_accepted_with_the_same_positions() {
    let lf = "covmap: 1\ncapabilities:\n  - id: edr\n    coverage:\n      - {techniques: [T1059.001, T1059.999], function: detect, level: partial}\n";
    let crlf = format!("\u{feff}{}", lf.replace('\n', "\r\n"));
    let a = parse_text(lf, mini());
    let b = parse_text(&crlf, mini());
    assert_eq!(codes(&a), vec![("unknown-technique", 5, 34)]);
    assert_eq!(codes(&a), codes(&b));
    assert_eq!(a.diagnostics[0].length, b.diagnostics[0].length);
    assert_eq!(a.inventory.capabilities, b.inventory.capabilities);
    assert_ne!(a.inventory.files[0].sha256, b.inventory.files[0].sha256);
}

#[test]
fn columns_count_characters() {
    let text = "covmap: 1\norganization: \"Café\"\ncapabilities:\n  - {id: \"é\", coverage: [{techniques: T9999, function: detect, level: minimal}]}\n";
    let parsed = parse_text(text, mini());
    assert_eq!(codes(&parsed), vec![("unknown-technique", 4, 39)]);
    assert_eq!(parsed.diagnostics[0].length, 5);
}

#[test]
fn sha256_of_raw_bytes() {
    let parsed = parse_text("covmap: 1\n", mini());
    assert_eq!(
        parsed.inventory.files[0].sha256,
        // printf 'covmap: 1\n' | sha256sum
        "389d475e1cfe05d76683c33f5166cf5b2975337dc1c0ff2003453bdd3d63cf70"
    );
}

#[test]
fn empty_and_odd_documents() {
    for (text, expected) in [
        ("", vec![("unsupported-version", 1, 1)]),
        ("# only a comment\n", vec![("unsupported-version", 1, 1)]),
        ("- a\n- b\n", vec![("invalid-value", 1, 1)]),
        ("covmap: 1\n---\ncovmap: 1\n", vec![("yaml-syntax", 2, 1)]),
        ("covmap: 1\ncovmap: 1\n", vec![("yaml-syntax", 2, 1)]),
        ("covmap: '1'\n", vec![("unsupported-version", 1, 9)]),
        ("organization: x\n", vec![("unsupported-version", 1, 1)]),
        (
            "covmap: 1\ncapabilities: {}\n",
            vec![("invalid-value", 2, 15)],
        ),
        ("covmap: 1\ncapabilities:\n", vec![]),
        ("covmap: 1\n[a]: 1\n", vec![("yaml-syntax", 2, 1)]),
    ] {
        let parsed = parse_text(text, mini());
        assert_eq!(codes(&parsed), expected, "{text:?}");
    }
}

#[test]
fn values_read_as_written() {
    let attack = mini();
    // A quoted level is still a number; a plain 18.1 version is the text "18.1" even though
    // it looks like a number; enum words match in any case.
    let text = "covmap: 1\nattack: {version: 9.9}\ncapabilities:\n  - id: 2024\n    status: Planned\n    coverage:\n      - {techniques: [T1078], function: PROTECT, level: \"0.5\", include_subtechniques: false}\n";
    let parsed = parse_text(text, attack);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let cap = &parsed.inventory.capabilities[0];
    assert_eq!(cap.id, "2024");
    assert_eq!(cap.status, Status::Planned);
    assert_eq!(cap.coverage[0].function, Function::Protect);
    assert_eq!(cap.coverage[0].level, Level::Value(0.5));
    assert_eq!(parsed.inventory.attack.version.as_deref(), Some("9.9"));
}

#[test]
fn type_errors_name_the_key_and_the_value() {
    for (text, message) in [
        (
            "covmap: 1\ncapabilities:\n  - id: edr\n    platforms: Windows\n",
            "`platforms` must be a list, found `Windows`",
        ),
        (
            "covmap: 1\ncapabilities:\n  - id: edr\n    coverage:\n      - {techniques: [T1078], function: detect, level: partial, include_subtechniques: yes}\n",
            "`include_subtechniques` must be `true` or `false`, found `yes`",
        ),
        (
            "covmap: 1\ncapabilities:\n  - id: edr\n    cost: {annual: lots, currency: EUR}\n",
            "`annual` must be a number, found `lots`",
        ),
        (
            "covmap: 1\ncapabilities:\n  - id: [edr]\n",
            "`id` must be text, found a list",
        ),
        (
            "covmap: 1\ncapabilities:\n  - edr\n",
            "an item of `capabilities` must be a mapping of keys, found `edr`",
        ),
        (
            "covmap: 1\ncapabilities:\n  - id: edr\n    coverage:\n      - {techniques: [T1078], function: detect, level: high}\n",
            "`high` is not a valid value for `level`",
        ),
    ] {
        let parsed = parse_text(text, mini());
        assert!(
            parsed.diagnostics.iter().any(|d| &*d.message == message),
            "{text}\n{:#?}",
            parsed.diagnostics
        );
    }
}

#[test]
fn a_bad_capability_does_not_hide_the_others() {
    let text = "covmap: 1\ncapabilities:\n  - id: a\n    status: bogus\n    coverage:\n      - {techniques: [T9999], function: detect, level: partial}\n  - id: b\n    coverage:\n      - {techniques: [T9998], function: detect, level: 7}\n  - id: a\n";
    let parsed = parse_text(text, mini());
    assert_eq!(
        codes(&parsed),
        vec![
            ("invalid-value", 4, 13),
            ("unknown-technique", 6, 23),
            ("unknown-technique", 9, 23),
            ("level-out-of-range", 9, 56),
            ("duplicate-capability-id", 10, 9),
            ("empty-capability", 10, 9),
        ]
    );
}

#[test]
fn scoring_values_are_checked() {
    let text = "covmap: 1\nscoring:\n  levels: {minimal: 1.2}\n  confidence: {tested: -1}\n  thresholds: {medium: 0.8, high: 0.5}\n  headline: {functions: []}\n  combin: max\n";
    let parsed = parse_text(text, mini());
    // `scoring` is strict (its struct denies unknown keys), so the unknown key stops it first.
    assert_eq!(codes(&parsed), vec![("unknown-key", 7, 3)]);
    assert_eq!(parsed.diagnostics[0].hints[0], "did you mean `combine`?");
    let text = text.replace("  combin: max\n", "");
    let parsed = parse_text(&text, mini());
    assert_eq!(
        codes(&parsed),
        vec![
            ("level-out-of-range", 3, 21),
            ("invalid-value", 4, 24),
            ("invalid-value", 5, 15),
            ("invalid-value", 6, 25),
        ]
    );
    assert_eq!(
        parsed.inventory.scoring,
        covmap_assess::params::ScoringParams::default()
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile input

#[test]
fn alias_bomb_is_rejected_quickly() {
    // "Billion laughs": 9 levels of 9 aliases each would expand to 9^9 nodes.
    let mut text =
        String::from("covmap: 1\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..10 {
        let prev = format!("*a{}", level - 1);
        let items = [prev.as_str(); 9].join(", ");
        let _ = writeln!(text, "a{level}: &a{level} [{items}]");
    }
    let start = Instant::now();
    let parsed = parse_text(&text, mini());
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(codes(&parsed)[0].0, "yaml-syntax");
    assert!(
        parsed.diagnostics[0].message.contains("aliases"),
        "{:?}",
        parsed.diagnostics[0]
    );
}

#[test]
fn aliases_within_bounds_work() {
    let text = "covmap: 1\ncapabilities:\n  - id: edr\n    coverage:\n      - {techniques: &shell [T1059.001, T1059.004], function: detect, level: partial}\n      - {techniques: *shell, function: protect, level: minimal}\n";
    let parsed = parse_text(text, mini());
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let cov = &parsed.inventory.capabilities[0].coverage;
    assert_eq!(cov[0].techniques, cov[1].techniques);
}

#[test]
fn recursive_alias_is_rejected() {
    let parsed = parse_text("covmap: 1\na: &x [1, *x]\n", mini());
    assert_eq!(codes(&parsed), vec![("yaml-syntax", 2, 11)]);
}

#[test]
fn deep_nesting_is_rejected_quickly() {
    let start = Instant::now();
    for text in [
        format!("covmap: 1\nx: {}", "[".repeat(200_000)),
        format!("covmap: 1\nx: {}", "{a: ".repeat(200_000)),
        (0..200).fold(String::new(), |mut text, i| {
            let _ = writeln!(text, "{}k{i}:", "  ".repeat(i));
            text
        }),
        format!("covmap: 1\nx:\n{}", "- ".repeat(100_000)),
    ] {
        let parsed = parse_text(&text, mini());
        assert_eq!(
            codes(&parsed).first().map(|c| c.0),
            Some("yaml-syntax"),
            "{}",
            &text[..40.min(text.len())]
        );
        assert!(
            parsed.diagnostics[0]
                .message
                .contains("deeper than 64 levels"),
            "{:?}",
            parsed.diagnostics[0]
        );
    }
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn many_findings_on_one_long_line_stay_fast() {
    // 20,000 unknown IDs in one flow list on one non-ASCII line: one finding each, in linear time.
    let ids: Vec<String> = (0..20_000)
        .map(|i| format!("T9{:03}.{:03}", i / 1000, i % 1000))
        .collect();
    let text = format!(
        "covmap: 1\ncapabilities:\n  - {{id: é, coverage: [{{function: detect, level: partial, techniques: [{}]}}]}}\n",
        ids.join(", ")
    );
    let start = Instant::now();
    let parsed = parse_text(&text, mini());
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(parsed.diagnostics.len(), 20_000);
    let last = parsed.diagnostics.last().expect("findings");
    assert_eq!(last.length, 9);
    assert_eq!(
        last.location.column,
        text.lines().nth(2).map_or(0, |l| l.chars().count()) - 12
    );
}

mod fuzz {
    use proptest::prelude::*;

    use super::{fixture, mini, parse};
    use covmap_assess::parse::SourceFile;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any bytes: findings, never a panic.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse(&[SourceFile::new("fuzz.yaml", bytes)], mini());
        }

        /// A good inventory with a few characters changed: findings, never a panic.
        #[test]
        fn mutated_inventories_never_panic(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), prop::sample::select(vec![
                "", " ", "\n", ":", "-", "[", "]", "{", "}", "&a ", "*a", "'", "\"", "#", "é", "\t", "1.5", "~", "!!str ",
            ])), 1..6)
        ) {
            let source = fixture("good/full.yaml");
            let mut text = String::from_utf8(source.bytes).expect("utf-8");
            for (at, insert) in edits {
                let mut i = at.index(text.len() + 1);
                while !text.is_char_boundary(i) {
                    i -= 1;
                }
                text.insert_str(i, insert);
            }
            let parsed = parse(&[SourceFile::new("fuzz.yaml", text)], mini());
            for d in &parsed.diagnostics {
                prop_assert!(d.length >= 1);
                prop_assert!(d.location.line >= 1 && d.location.column >= 1, "{d:?}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// JSON Schema

#[test]
fn schema_is_json_and_names_the_top_level_keys() {
    let schema = inventory_schema();
    let text = serde_json::to_string_pretty(&schema).expect("serialisable");
    let back: Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(
        back["$schema"],
        json!("http://json-schema.org/draft-07/schema#")
    );
    let keys: Vec<&String> = back["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .collect();
    assert_eq!(
        keys,
        vec![
            "attack",
            "capabilities",
            "covmap",
            "organization",
            "plan",
            "scope",
            "scoring",
            "telemetry"
        ]
    );
    assert_eq!(back["required"], json!(["covmap"]));
    for key in ["covmap", "capabilities", "scope"] {
        assert!(
            back["properties"][key]["description"].is_string()
                || back["properties"][key]["anyOf"].is_array()
                || back["properties"][key]["$ref"].is_string(),
            "{key}: {}",
            back["properties"][key]
        );
    }
}

#[test]
fn schema_accepts_the_good_fixtures_and_rejects_bad_shapes() {
    let schema = inventory_schema();
    for rel in [
        "good/issue-example.yaml",
        "good/full.yaml",
        "good/minimal.yaml",
        "good/team-a.yaml",
        "good/team-b.yaml",
    ] {
        let value = yaml_to_json(&String::from_utf8(fixture(rel).bytes).expect("utf-8"));
        let errors = mini_validator::validate(&schema, &value);
        assert!(errors.is_empty(), "{rel}: {errors:?}");
    }
    for (rel, needle) in [
        ("bad/unknown-key.yaml", "nmae"),
        ("bad/invalid-value.yaml", "detekt"),
        ("bad/missing-key.yaml", "level"),
        ("bad/unsupported-version.yaml", "covmap"),
        ("bad/level-out-of-range.yaml", "1.5"),
    ] {
        let value = yaml_to_json(&String::from_utf8(fixture(rel).bytes).expect("utf-8"));
        let errors = mini_validator::validate(&schema, &value);
        assert!(
            errors.iter().any(|e| e.contains(needle)),
            "{rel}: expected an error about {needle}, got {errors:?}"
        );
    }
}

/// YAML -> JSON for the schema test, independently of covmap's reader (yaml-rust2's loader).
fn yaml_to_json(text: &str) -> Value {
    use yaml_rust2::{Yaml, YamlLoader};
    fn convert(y: &Yaml) -> Value {
        match y {
            Yaml::Real(s) => s.parse::<f64>().map_or(Value::Null, |f| json!(f)),
            Yaml::Integer(i) => json!(i),
            Yaml::String(s) => json!(s),
            Yaml::Boolean(b) => json!(b),
            Yaml::Array(items) => Value::Array(items.iter().map(convert).collect()),
            Yaml::Hash(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().map_or_else(|| format!("{k:?}"), str::to_string),
                            convert(v),
                        )
                    })
                    .collect(),
            ),
            _ => Value::Null,
        }
    }
    let docs = YamlLoader::load_from_str(text).expect("fixture is YAML");
    docs.first().map_or(Value::Null, convert)
}

/// A small JSON Schema validator for the keywords schemars emits (draft-07): enough to check
/// that the schema accepts real inventories and rejects broken ones, without a dependency.
mod mini_validator {
    use serde_json::Value;

    pub(crate) fn validate(schema: &Value, value: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        check(schema, schema, value, "$", &mut errors);
        errors
    }

    fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let path = r.trim_start_matches("#/");
                let mut at = root;
                for part in path.split('/') {
                    at = &at[part];
                }
                resolve(root, at)
            }
            None => schema,
        }
    }

    fn type_ok(t: &str, value: &Value) -> bool {
        match t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "number" => value.is_number(),
            "integer" => value.is_i64() || value.is_u64(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => true,
        }
    }

    #[allow(clippy::too_many_lines)]
    fn check(root: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        let schema = resolve(root, schema);
        if let Some(t) = schema.get("type") {
            let ok = match t {
                Value::String(t) => type_ok(t, value),
                Value::Array(ts) => ts
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|t| type_ok(t, value)),
                _ => true,
            };
            if !ok {
                errors.push(format!("{at}: {value} is not of type {t}"));
                return;
            }
        }
        if let Some(c) = schema.get("const")
            && c != value
        {
            errors.push(format!("{at}: {value} is not {c}"));
        }
        if let Some(Value::Array(options)) = schema.get("enum")
            && !options.contains(value)
        {
            errors.push(format!("{at}: {value} is not one of {options:?}"));
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(options)) = schema.get(key) {
                let passing = options
                    .iter()
                    .filter(|o| {
                        let mut e = Vec::new();
                        check(root, o, value, at, &mut e);
                        e.is_empty()
                    })
                    .count();
                if passing == 0 || (key == "oneOf" && passing > 1) {
                    errors.push(format!(
                        "{at}: {value} matches {passing} of the {key} options"
                    ));
                }
            }
        }
        if let Some(Value::Array(all)) = schema.get("allOf") {
            for s in all {
                check(root, s, value, at, errors);
            }
        }
        let number = value.as_f64();
        let text = value.as_str();
        if let (Some(n), Some(min)) = (number, schema.get("minimum").and_then(Value::as_f64))
            && n < min
        {
            errors.push(format!("{at}: {value} < {min}"));
        }
        if let (Some(n), Some(max)) = (number, schema.get("maximum").and_then(Value::as_f64))
            && n > max
        {
            errors.push(format!("{at}: {value} > {max}"));
        }
        if let (Some(s), Some(min)) = (text, schema.get("minLength").and_then(Value::as_u64))
            && (s.chars().count() as u64) < min
        {
            errors.push(format!("{at}: {value} is too short"));
        }
        if let (Some(s), Some(p)) = (text, schema.get("pattern").and_then(Value::as_str))
            && !simple_pattern(p, s)
        {
            errors.push(format!("{at}: {value} does not match {p}"));
        }
        if let Value::Object(map) = value {
            let properties = schema.get("properties").and_then(Value::as_object);
            if let Some(Value::Array(required)) = schema.get("required") {
                for r in required.iter().filter_map(Value::as_str) {
                    if !map.contains_key(r) {
                        errors.push(format!("{at}: missing required `{r}`"));
                    }
                }
            }
            for (k, v) in map {
                match properties.and_then(|p| p.get(k)) {
                    Some(s) => check(root, s, v, &format!("{at}.{k}"), errors),
                    None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                        errors.push(format!("{at}: unknown key `{k}`"));
                    }
                    None => {}
                }
            }
        }
        if let Value::Array(items) = value {
            if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
                && (items.len() as u64) < min
            {
                errors.push(format!("{at}: fewer than {min} items"));
            }
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check(root, item_schema, item, &format!("{at}[{i}]"), errors);
                }
            }
        }
    }

    /// The few regexes the schema uses, checked by hand: technique IDs, dates, currencies.
    fn simple_pattern(pattern: &str, s: &str) -> bool {
        let b = s.as_bytes();
        let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
        match pattern {
            "^[Tt][0-9]{4}(\\.[0-9]{3})?$" => {
                matches!(b.first(), Some(b'T' | b't'))
                    && ((b.len() == 5 && digits(&b[1..]))
                        || (b.len() == 9 && digits(&b[1..5]) && b[5] == b'.' && digits(&b[6..])))
            }
            "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" => {
                b.len() == 10
                    && digits(&b[0..4])
                    && b[4] == b'-'
                    && digits(&b[5..7])
                    && b[7] == b'-'
                    && digits(&b[8..])
            }
            "^[A-Za-z]{3}$" => b.len() == 3 && b.iter().all(u8::is_ascii_alphabetic),
            other => panic!("pattern {other} not known to the test validator"),
        }
    }
}

// --- issue 17 §2: `scope.threats.profiles` checked at parse time (the files
// are read by covmap-import at load time).
#[test]
#[allow(clippy::too_many_lines)] // one inventory, each finding and each profile listed
fn threat_profiles_are_checked_and_resolved_against_the_inventory_folder() {
    use covmap_assess::inventory::ProfileFormat;
    let source = SourceFile {
        path: PathBuf::from("team/threats.yaml"),
        bytes: b"covmap: 1
scope:
  threats:
    profiles:
      - {path: cti/red-canary.json, format: navigator, weight: 2, name: Red Canary}
      - path: kev.json
      - {path: a.csv, weight: 0}
      - {path: b.csv, weight: .nan}
      - {path: c.csv, format: stix}
      - {path: \"  \"}
      - {path: d.csv, name: \" \"}
      - {path: e.csv, name: Red Canary}
      - {path: f.csv, colour: red}
capabilities:
  - id: edr
    coverage:
      - {techniques: [T1059.001], function: detect, level: partial}
"
        .to_vec(),
    };
    let parsed = parse_inventories(
        std::slice::from_ref(&source),
        mini(),
        &ValidationContext::default(),
    );
    let found: Vec<(usize, usize, Code, &str)> = parsed
        .diagnostics
        .iter()
        .map(|d| (d.location.line, d.location.column, d.code, &*d.message))
        .collect();
    assert_eq!(
        found,
        [
            (
                7,
                31,
                Code::InvalidValue,
                "threat profile `weight` is `0`: it must be a number above 0"
            ),
            (
                8,
                31,
                Code::InvalidValue,
                "threat profile `weight` is `.nan`: it must be a number above 0"
            ),
            (
                9,
                31,
                Code::InvalidValue,
                "`stix` is not a valid value for `format`"
            ),
            (10, 16, Code::InvalidValue, "empty threat profile `path`"),
            (11, 29, Code::InvalidValue, "empty threat profile `name`"),
            (
                12,
                9,
                Code::InvalidValue,
                "two threat profiles are named `Red Canary`"
            ),
            (13, 23, Code::UnknownKey, "unknown key `colour`"),
        ],
        "{:#?}",
        parsed.diagnostics
    );
    let profiles = &parsed.inventory.scope.threats.profiles;
    let listed: Vec<(&str, &std::path::Path, ProfileFormat, f64, usize)> = profiles
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.path.as_path(),
                p.format,
                p.weight,
                p.location.line,
            )
        })
        .collect();
    // Sorted by name; the default name is the file name, the default weight 1, format auto.
    // (An unknown key is an error but leaves the entry readable, as everywhere.)
    assert_eq!(
        listed,
        [
            (
                "Red Canary",
                std::path::Path::new("team/cti/red-canary.json"),
                ProfileFormat::Navigator,
                2.0,
                5
            ),
            (
                "f.csv",
                std::path::Path::new("team/f.csv"),
                ProfileFormat::Auto,
                1.0,
                13
            ),
            (
                "kev.json",
                std::path::Path::new("team/kev.json"),
                ProfileFormat::Auto,
                1.0,
                6
            ),
        ]
    );
    assert!(profiles.iter().all(|p| p.uses.is_empty()));
}

// ---------------------------------------------------------------------------------------------
// The `telemetry:` section

#[test]
fn telemetry_section_reads_with_defaults() {
    let text = "covmap: 1\nscope:\n  platforms: [Windows, Linux]\ntelemetry:\n  - id: endpoints\n    name: Sysmon on endpoints\n    platforms: [windows]\n    status: planned\n    quality: 0.8\n    log_sources:\n      - {name: \"winEventLog:sysmon\", channels: [\"EventCode=1\"], filtered: true}\n      - {name: \"WinEventLog:Security\"}\n    import:\n      - {format: sysmon, path: conf/sysmon.xml}\n      - {path: ds.yaml}\n  - id: linux\n    log_sources:\n      - {name: \"auditd:SYSCALL\", channels: [execve]}\nscoring:\n  filtered_telemetry: 0.25\n";
    let parsed = parse(&[SourceFile::new("inv/inline.yaml", text)], mini());
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let [endpoints, linux] = parsed.inventory.telemetry.as_slice() else {
        panic!("two entries: {:?}", parsed.inventory.telemetry);
    };
    assert_eq!(endpoints.name, "Sysmon on endpoints");
    assert_eq!(endpoints.platforms, ["Windows"]);
    assert_eq!(endpoints.status, Status::Planned);
    assert!((endpoints.quality - 0.8).abs() < 1e-12);
    assert_eq!(endpoints.log_sources[0].name, "WinEventLog:Sysmon");
    assert!(endpoints.log_sources[0].filtered);
    assert!(endpoints.log_sources[1].channels.is_empty());
    assert_eq!(endpoints.log_sources[1].location.line, 12);
    let imports: Vec<(&str, PathBuf)> = endpoints
        .imports
        .iter()
        .map(|i| (i.format.as_str(), i.path.clone()))
        .collect();
    assert_eq!(
        imports,
        [
            ("sysmon", PathBuf::from("inv/conf/sysmon.xml")),
            ("auto", PathBuf::from("inv/ds.yaml"))
        ]
    );
    // Defaults: the scope's platforms (empty list), deployed, quality 1.
    assert_eq!(linux.name, "linux");
    assert!(linux.platforms.is_empty());
    assert_eq!(linux.status, Status::Deployed);
    assert!((linux.quality - 1.0).abs() < f64::EPSILON);
    assert_eq!(parsed.inventory.scoring.filtered_telemetry, Some(0.25));
}

#[test]
fn telemetry_section_refuses_bad_values() {
    let text = "covmap: 1\nscoring:\n  filtered_telemetry: 1.5\ntelemetry:\n  - id: a\n    quality: 1.2\n    platforms: [Widnows]\n    log_sources:\n      - {name: \"WinEventLog:Sysmon\", channels: []}\n      - {name: \"WinEventLog:Security\", channels: [\" \"]}\n  - id: b\n    log_sources: []\n  - id: c\n    status: gone\n    log_sources:\n      - {name: \"WinEventLog:Sysmon\"}\n  - id: d\n    import:\n      - {format: splunk, path: x.xml}\n      - {path: \"  \"}\n";
    let parsed = parse_text(text, mini());
    assert_eq!(
        codes(&parsed),
        [
            ("invalid-value", 3, 23),
            ("invalid-value", 6, 14),
            ("unknown-platform", 7, 17),
            ("invalid-value", 9, 48),
            ("invalid-value", 10, 51),
            ("invalid-value", 11, 9),
            ("invalid-value", 14, 13),
            ("invalid-value", 19, 18),
            ("invalid-value", 20, 16),
        ]
    );
}

/// A bundle without analytics (the STIX 2.0 layout of ATT&CK 15.1) names telemetry by data
/// component: `Process Creation`, or `Process: Process Creation` as DeTT&CT writes it.
#[test]
fn telemetry_before_attack_18_names_data_components() {
    let attack = Attack::load(&repo_root().join("fixtures/attack/mini-attack-stix20.json"))
        .expect("fixture");
    let text = "covmap: 1\ntelemetry:\n  - id: a\n    log_sources:\n      - {name: \"process creation\"}\n      - {name: \"Command: Command Execution\"}\n      - {name: \"WinEventLog:Sysmon\"}\n";
    let parsed = parse_text(text, &attack);
    assert_eq!(codes(&parsed), [("unknown-log-source", 7, 16)]);
    let d = &parsed.diagnostics[0];
    assert!(
        d.hints.iter().any(|h| h.contains("name data components")),
        "{:?}",
        d.hints
    );
    let names: Vec<&str> = parsed.inventory.telemetry[0]
        .log_sources
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["Process Creation", "Command: Command Execution"]);
}

/// Findings come out ordered by file (in the order given), line and column, whatever order the
/// checks found them in: settings are read before capabilities, so the `scoring:` finding at
/// the end of the first file is found first and must still come after its capability's.
#[test]
fn findings_are_ordered_by_file_line_and_column() {
    let first = "covmap: 1\ncapabilities:\n  - id: edr\n    name: EDR\n    coverage:\n      - {techniques: [T9999], function: detect, level: 0.5}\nscoring:\n  combine: bogus\n";
    let second = "covmap: 1\ncapabilities:\n  - id: siem\n    name: SIEM\n    coverage:\n      - {techniques: [T9998], function: detect, level: 0.5}\n";
    let parsed = parse(
        &[
            SourceFile::new("b-first.yaml", first),
            SourceFile::new("a-second.yaml", second),
        ],
        mini(),
    );
    let places: Vec<(String, usize, usize)> = parsed
        .diagnostics
        .iter()
        .map(|d| {
            (
                d.location.path.display().to_string(),
                d.location.line,
                d.location.column,
            )
        })
        .collect();
    assert_eq!(
        places,
        vec![
            ("b-first.yaml".to_string(), 6, 23),
            ("b-first.yaml".to_string(), 8, 12),
            ("a-second.yaml".to_string(), 6, 23),
        ],
        "{:#?}",
        parsed.diagnostics
    );
}
