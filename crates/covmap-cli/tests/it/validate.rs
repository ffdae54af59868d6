//! `covmap validate`: the examples on real enterprise 18.1, every fixture of
//! `fixtures/inventory/bad/` (one per finding code), several files at once, `--format json`, and
//! files that cannot be read.

use serde_json::json;

use crate::common::{Env, repo_root};
use crate::inv::{
    BAD, CAND_EDR, CAND_NDR, EX01, TEAMS, arr, e18, real_root, root_fx, root_mini, s, write,
};

/// Example files validate cleanly. The expected counts were computed independently of covmap,
/// with Python and PyYAML: `caps = [c for f in files for c in yaml.safe_load(open(f))
/// ["capabilities"]]`, and references = `sum(len(e["techniques"]) for c in caps for e in
/// c["coverage"])` (no entry repeats a technique, so de-duplication changes nothing):
/// example 01 has 10 capabilities and 298 references; with the two candidates 12 and 474; the
/// four team files of example 03 merge to 10 and 298, like example 01.
#[test]
fn examples_are_clean_on_enterprise_18_1() {
    let Some(bundle) = e18() else {
        return;
    };
    let with_candidates = [EX01, CAND_EDR, CAND_NDR];
    let cases: [(&[&str], &str); 3] = [
        (
            &[EX01],
            "examples/01-midsize-company/inventory.yaml: 10 capabilities, 298 technique references",
        ),
        (
            &with_candidates,
            "3 files: 12 capabilities, 474 technique references",
        ),
        (&TEAMS, "4 files: 10 capabilities, 298 technique references"),
    ];
    for (files, counts) in cases {
        for strict in [false, true] {
            let mut args = vec!["validate"];
            args.extend_from_slice(files);
            if strict {
                args.push("--strict");
            }
            let out = real_root(&bundle, &args);
            assert_eq!(out.code, 0, "{files:?}: {out:?}");
            assert_eq!(out.stdout, "", "{files:?}");
            assert_eq!(
                out.stderr,
                format!("{counts}, checked against enterprise ATT&CK 18.1: 0 errors, 0 warnings\n"),
                "{files:?}"
            );
        }
    }
}

/// One fixture of `fixtures/inventory/bad/` and the finding it must produce.
struct Case {
    /// File name under `fixtures/inventory/bad/`: the finding's code and `.yaml`.
    file: &'static str,
    /// Validated before it, when the finding needs a second file.
    before: Option<&'static str>,
    /// Needs real enterprise 18.1 instead of `mini-attack-2.1.json`.
    real: bool,
    error: bool,
    line: usize,
    column: usize,
    /// The text the caret underlines (its length is the caret's).
    underlined: &'static str,
    /// Part of the hint.
    hint: &'static str,
}

const fn case(
    file: &'static str,
    error: bool,
    (line, column): (usize, usize),
    underlined: &'static str,
    hint: &'static str,
) -> Case {
    Case {
        file,
        before: None,
        real: false,
        error,
        line,
        column,
        underlined,
        hint,
    }
}

/// One case per fixture, in file-name order.
const CASES: [Case; 35] = [
    // names: DNSMessenger is an alias of S0145 and S0146 in real enterprise 18.1.
    Case {
        real: true,
        ..case(
            "ambiguous-name.yaml",
            true,
            (4, 26),
            "DNSMessenger",
            "write the ATT&CK ID of the one you mean",
        )
    },
    case(
        "attack-domain-mismatch.yaml",
        true,
        (2, 18),
        "mobile",
        "load a mobile bundle (`--domain mobile` or `--attack PATH`)",
    ),
    case(
        "attack-version-mismatch.yaml",
        false,
        (2, 39),
        "\"9.8\"",
        "IDs were checked against 9.9",
    ),
    Case {
        before: Some("fixtures/inventory/good/minimal.yaml"),
        ..case(
            "conflicting-setting.yaml",
            true,
            (3, 15),
            "Example Corporation",
            "set `organization` in one file only, or to the same value in every file",
        )
    },
    case(
        "deprecated-technique.yaml",
        false,
        (5, 34),
        "T1002",
        "remove it, or map this coverage to a current technique",
    ),
    case(
        "duplicate-capability-id.yaml",
        true,
        (6, 9),
        "edr",
        "rename one of them",
    ),
    case(
        "duplicate-telemetry-id.yaml",
        true,
        (10, 9),
        "endpoints",
        "telemetry ids must be unique across all inventory files",
    ),
    case(
        "empty-capability.yaml",
        false,
        (3, 9),
        "edr",
        "add `coverage:` entries",
    ),
    case(
        "import-failed.yaml",
        true,
        (6, 9),
        "{",
        "paths are relative to the inventory file",
    ),
    case(
        "import-findings.yaml",
        false,
        (7, 9),
        "{",
        "lists every finding",
    ),
    Case {
        real: true,
        ..case(
            "inactive-threat.yaml",
            false,
            (6, 14),
            "G0118",
            "replace `G0118` with `G0016`",
        )
    },
    case(
        "invalid-value.yaml",
        true,
        (6, 19),
        "detekt",
        "did you mean `detect`?",
    ),
    case(
        "level-out-of-range.yaml",
        true,
        (5, 60),
        "1.5",
        "use a number from 0 to 1",
    ),
    case("missing-key.yaml", true, (5, 9), "t", "add `level:`"),
    case(
        "no-platform-in-scope.yaml",
        false,
        (6, 16),
        "[IaaS]",
        "add one of its platforms to `scope.platforms`",
    ),
    case(
        "not-a-technique.yaml",
        true,
        (5, 34),
        "G0016",
        "groups that matter go under `scope.threats.groups`",
    ),
    case(
        "parent-counts-for-no-subtechnique.yaml",
        false,
        (5, 23),
        "T1003",
        "add `include_subtechniques: true` to the entry",
    ),
    case(
        "platform-mismatch.yaml",
        false,
        (8, 34),
        "T1059.004",
        "remove the technique from this entry",
    ),
    case(
        "redundant-subtechnique.yaml",
        false,
        (6, 23),
        "T1003.001",
        "remove `T1003.001` here",
    ),
    // A retired platform name, read as its replacement.
    case(
        "renamed-platform.yaml",
        false,
        (3, 24),
        "Office 365",
        "write `Office Suite`",
    ),
    case(
        "revoked-technique.yaml",
        false,
        (5, 34),
        "T1000",
        "replace `T1000` with `T1053`",
    ),
    case(
        "tested-without-evidence.yaml",
        false,
        (5, 81),
        "tested",
        "add `evidence:`",
    ),
    // a threat profile that cannot be read, one read with findings.
    case(
        "threat-profile-failed.yaml",
        true,
        (6, 9),
        "{",
        "paths are relative to the inventory file",
    ),
    case(
        "threat-profile-findings.yaml",
        false,
        (7, 9),
        "{",
        "prevalence.csv:4:1: `T9999` is not a technique of enterprise ATT&CK",
    ),
    case(
        "unknown-key.yaml",
        true,
        (4, 5),
        "nmae",
        "did you mean `name`?",
    ),
    case(
        "unknown-log-channel.yaml",
        false,
        (10, 64),
        "\"EventCode=99\"",
        "channels the bundle names for `WinEventLog:Sysmon`: `EventCode=1`, `EventCode=10`",
    ),
    case(
        "unknown-log-source.yaml",
        true,
        (9, 16),
        "\"WinEventLog:Sysmn\"",
        "did you mean `WinEventLog:Sysmon`?",
    ),
    // A `plan.costs` key that is no mitigation of the bundle; the caret is on it.
    case(
        "unknown-mitigation.yaml",
        true,
        (4, 25),
        "M9999",
        "use a mitigation ID such as `M1026`",
    ),
    case(
        "unknown-platform.yaml",
        true,
        (3, 24),
        "Widnows",
        "did you mean `Windows`?",
    ),
    case(
        "unknown-technique.yaml",
        true,
        (5, 34),
        "T1059.999",
        "did you mean `T1059` (Command and Scripting Interpreter)?",
    ),
    case(
        "unknown-threat.yaml",
        true,
        (4, 21),
        "APT-29X",
        "did you mean `G0016` (APT29)?",
    ),
    case(
        "unreadable-file.yaml",
        true,
        (2, 18),
        "\u{FFFD}",
        "save the file as UTF-8",
    ),
    case(
        "unsupported-version.yaml",
        true,
        (1, 9),
        "2",
        "this covmap reads `covmap: 1`",
    ),
    case(
        "wrong-domain.yaml",
        true,
        (5, 34),
        "T0819",
        "keep that coverage in a separate inventory",
    ),
    case(
        "yaml-syntax.yaml",
        true,
        (6, 17),
        ":",
        "check the indentation",
    ),
];

/// Asserts that `stderr` shows line `line` of `source` in a `N | text` gutter, and under it a
/// caret run starting at `column` (1-based, in characters) as long as `underlined`.
#[track_caller]
fn assert_caret(stderr: &str, source: &str, line: usize, column: usize, underlined: &str) {
    let text = source.lines().nth(line - 1).expect("the line exists");
    let before: String = text.chars().take(column - 1).collect();
    let at: String = text.chars().skip(column - 1).collect();
    assert!(
        at.starts_with(underlined),
        "column {column} of {text:?} is not {underlined:?}"
    );
    let lines: Vec<&str> = stderr.lines().collect();
    let shown = lines
        .iter()
        .position(|l| l.trim_start() == format!("{line} | {text}"))
        .unwrap_or_else(|| panic!("line {line} ({text:?}) is not shown:\n{stderr}"));
    let bar = lines[shown].find(" | ").expect("gutter") + 3;
    let carets = lines[shown + 1]
        .get(bar..)
        .unwrap_or_else(|| panic!("no caret line under {text:?}:\n{stderr}"));
    let expected = format!(
        "{}{}",
        " ".repeat(before.chars().count()),
        "^".repeat(underlined.chars().count())
    );
    assert_eq!(carets, expected, "caret under {text:?}:\n{stderr}");
}

#[test]
fn every_bad_fixture_reports_its_finding() {
    let env = Env::new();
    let bundle = e18();
    for c in &CASES {
        if c.real && bundle.is_none() {
            continue;
        }
        let path = format!("{BAD}/{}", c.file);
        let mut files: Vec<&str> = c.before.into_iter().collect();
        files.push(&path);
        let run = |strict: bool| {
            let mut args = vec!["validate"];
            args.extend_from_slice(&files);
            if strict {
                args.push("--strict");
            }
            match &bundle {
                Some(b) if c.real => real_root(b, &args),
                _ => root_mini(&env, &args),
            }
        };
        let out = run(false);
        let (code, strict_code) = if c.error { (2, 2) } else { (0, 1) };
        assert_eq!(out.code, code, "{}: {out:?}", c.file);
        assert_eq!(run(true).code, strict_code, "{} --strict", c.file);
        assert_eq!(out.stdout, "", "{}", c.file);
        let severity = if c.error { "error" } else { "warning" };
        let e = &out.stderr;
        for needle in [
            format!("{severity}[{}]: ", c.file.trim_end_matches(".yaml")),
            format!("--> {path}:{}:{}\n", c.line, c.column),
        ] {
            assert!(e.contains(&needle), "{}: no {needle:?} in\n{e}", c.file);
        }
        assert!(
            e.lines()
                .any(|l| l.trim_start().starts_with("= hint: ") && l.contains(c.hint)),
            "{}: no hint {:?} in\n{e}",
            c.file,
            c.hint
        );
        let source = String::from_utf8_lossy(
            &std::fs::read(repo_root().join(&path)).expect("read the fixture"),
        )
        .into_owned();
        assert_caret(e, &source, c.line, c.column, c.underlined);
        let summary = e.lines().last().expect("a summary line");
        let counts = if c.error {
            ": 1 error, 0 warnings"
        } else if c.real {
            // inactive-threat: a revoked and a deprecated group.
            ": 0 errors, 2 warnings"
        } else {
            ": 0 errors, 1 warning"
        };
        assert!(summary.ends_with(counts), "{}: {summary}", c.file);
    }
    // A new fixture needs a case here.
    let mut on_disk: Vec<String> = std::fs::read_dir(repo_root().join(BAD))
        .expect("the bad fixtures")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n != "several-problems.yaml")
        .collect();
    on_disk.sort();
    let tested: Vec<&str> = CASES.iter().map(|c| c.file).collect();
    assert_eq!(on_disk, tested);
}

#[test]
fn rendered_findings() {
    let env = Env::new();
    for name in [
        "unknown-technique",
        "duplicate-capability-id",
        "redundant-subtechnique",
        "unreadable-file",
    ] {
        let out = root_mini(&env, &["validate", &format!("{BAD}/{name}.yaml")]);
        insta::assert_snapshot!(format!("validate_{name}"), out.stderr);
    }
}

#[test]
fn several_problems_in_one_file_are_all_reported() {
    let env = Env::new();
    let out = root_mini(&env, &["validate", &format!("{BAD}/several-problems.yaml")]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    let found: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("error[") || l.starts_with("warning["))
        .map(|l| l.split(':').next().unwrap_or_default())
        .collect();
    assert_eq!(
        found,
        [
            "error[unknown-key]",
            "error[unknown-platform]",
            "error[invalid-value]",
            "error[unknown-technique]",
            "warning[revoked-technique]",
            "warning[deprecated-technique]",
            "error[level-out-of-range]",
            "warning[redundant-subtechnique]",
            "warning[tested-without-evidence]",
            "error[invalid-value]",
            "error[duplicate-capability-id]",
            "warning[empty-capability]",
        ]
    );
    assert!(
        out.stderr.ends_with(": 7 errors, 5 warnings\n"),
        "{}",
        out.stderr
    );
}

/// Two files, each with problems, and a capability id used in both: every finding of both
/// files comes out of one run.
#[test]
fn findings_of_several_files_in_one_run() {
    let env = Env::new();
    let a = write(
        env.cache(),
        "team-a.yaml",
        "covmap: 1\ncapabilities:\n  - id: edr\n    vendr: Example\n    coverage:\n      - {techniques: [T1059.009], function: detect, level: partial}\n",
    );
    let b = write(
        env.cache(),
        "team-b.yaml",
        "covmap: 1\ncapabilities:\n  - id: siem\n    coverage:\n      - {techniques: [T1003.001], function: detect, level: -0.5}\n      - {techniques: [T1053], function: protect, level: partial, confidence: tested}\n  - id: edr\n    coverage:\n      - {techniques: [T1078], function: detect, level: minimal}\n",
    );
    let out = root_mini(&env, &["validate", s(&a), s(&b)]);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .ends_with("2 files: 2 capabilities, 1 technique reference, checked against enterprise ATT&CK 9.9: 4 errors, 1 warning\n"),
        "{}",
        out.stderr
    );
    assert_text_snapshot!(env, "validate_two_files", out.stderr);
}

#[test]
fn json_format() {
    let env = Env::new();
    let revoked = format!("{BAD}/revoked-technique.yaml");
    let unknown_key = format!("{BAD}/unknown-key.yaml");
    let out = root_mini(
        &env,
        &["validate", &revoked, &unknown_key, "--format", "json"],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(out.stderr, "", "JSON mode renders nothing on stderr");
    let doc = out.json();
    assert_eq!(doc["errors"], 2);
    assert_eq!(doc["warnings"], 1);
    let files = arr(&doc["files"]);
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["path"], revoked);
    assert_eq!(files[1]["path"], unknown_key);
    for f in files {
        let sha = f["sha256"].as_str().expect("sha256");
        assert!(
            sha.len() == 64
                && sha
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{sha}"
        );
    }
    let found: Vec<_> = arr(&doc["diagnostics"])
        .iter()
        .map(|d| {
            json!([
                d["code"],
                d["severity"],
                d["location"]["path"],
                d["location"]["line"],
                d["location"]["column"]
            ])
        })
        .collect();
    // Both files declare a capability `edr`: the second one is a duplicate.
    assert_eq!(
        found,
        [
            json!(["revoked-technique", "warning", revoked, 5, 34]),
            json!(["duplicate-capability-id", "error", unknown_key, 3, 9]),
            json!(["unknown-key", "error", unknown_key, 4, 5]),
        ]
    );
    let duplicate = &doc["diagnostics"][1];
    assert_eq!(
        duplicate["related"][0]["location"],
        json!({"path": revoked, "line": 3, "column": 9})
    );
    assert_eq!(doc["diagnostics"][2]["hints"][0], "did you mean `name`?");

    // Warnings only: exit 0, or 1 with --strict; the JSON is printed either way.
    for (strict, code) in [(false, 0), (true, 1)] {
        let mut args = vec!["validate", &revoked, "--format", "json"];
        if strict {
            args.push("--strict");
        }
        let out = root_mini(&env, &args);
        assert_eq!(out.code, code, "{out:?}");
        assert_eq!(out.stderr, "");
        let doc = out.json();
        assert_eq!(
            (doc["errors"].clone(), doc["warnings"].clone()),
            (json!(0), json!(1))
        );
    }
}

#[test]
fn missing_file_and_directory() {
    let env = Env::new();
    let missing = env.cache().join("no-such-inventory.yaml");
    let out = root_mini(&env, &["validate", s(&missing)])
        .fails()
        .stderr_has(&["cannot read", s(&missing)]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    root_mini(&env, &["validate", "fixtures/inventory/good"])
        .fails()
        .stderr_has(&[
            "fixtures/inventory/good is a directory",
            "fixtures/inventory/good/*.yaml",
        ]);
    // A missing file among good ones: nothing is validated, the missing one is named.
    root_mini(
        &env,
        &[
            "validate",
            "fixtures/inventory/good/minimal.yaml",
            s(&missing),
        ],
    )
    .fails()
    .stderr_has(&[s(&missing)]);
    // Before any bundle is needed: no bundle is available here, and the error is the file's.
    root_fx(&env, None, &["validate", s(&missing)])
        .fails()
        .stderr_has(&["cannot read", s(&missing)]);
}
