//! The bad-input suite (issue 6): every file under `fixtures/bad/READER/` is refused with exit
//! code 2 and a message naming it (and its line:column where the reader knows one), with no
//! panic and no output left behind; every file under `fixtures/bad/accepted/` (good inputs
//! saved with a UTF-8 byte-order mark and CRLF line ends) is read. `fixtures/bad/generate.py`
//! writes the files. Cases that cannot live in git (a directory, a missing or unreadable file,
//! a 200 MB input, a symbolic link loop) are made here, in a temp dir.

use std::path::{Path, PathBuf};

use crate::bad_input::has_position;
use crate::common::{Env, Out, fixture, repo_root, run};

/// The readers: the folder under `fixtures/bad/` and what covmap runs on a file of it.
const READERS: &[&str] = &[
    "bundle",
    "inventory",
    "assessment",
    "navigator",
    "dettect",
    "sigma",
    "elastic",
    "splunk",
    "ctid",
    // Sysmon configurations (telemetry), read by `covmap import sysmon`.
    "sysmon",
    // threat profile files, read through an inventory's `scope.threats.profiles`.
    "profile",
];

/// Each case: its file under `fixtures/bad/`, what the message must say, and whether it names
/// a line and column. The fragments were read off covmap's output and checked by hand against
/// the file (e.g. `dettect/score-out-of-range.yaml` line 7 is the technique whose detection
/// scores 99).
const CASES: &[(&str, &[&str], bool)] = &[
    (
        "assessment/binary.json",
        &["not an assessment.json", "expected value"],
        true,
    ),
    (
        "assessment/deep-nesting.json",
        &["not an assessment.json"],
        true,
    ),
    (
        "assessment/duplicate-key.json",
        &["duplicate field `format`"],
        true,
    ),
    (
        "assessment/empty.json",
        &["EOF while parsing a value"],
        true,
    ),
    (
        "assessment/huge-number.json",
        &["not an assessment.json"],
        true,
    ),
    (
        "assessment/invalid-utf8.json",
        &["invalid unicode code point"],
        true,
    ),
    (
        "assessment/overall-negative.json",
        &["overall is -0.5, outside the range"],
        false,
    ),
    (
        "assessment/score-above-one.json",
        &["tactics[1].score is 7.5, outside the range"],
        false,
    ),
    ("assessment/truncated.json", &["EOF while parsing"], true),
    (
        "bundle/binary.json",
        &["invalid STIX JSON: expected value"],
        true,
    ),
    (
        "bundle/deep-nesting.json",
        &["not a STIX bundle (a JSON array)"],
        false,
    ),
    (
        "bundle/duplicate-ids.json",
        &["the STIX id attack-pattern--a appears twice"],
        false,
    ),
    (
        "bundle/duplicate-key.json",
        &["invalid STIX JSON: duplicate field `type`"],
        true,
    ),
    ("bundle/empty.json", &["EOF while parsing a value"], true),
    ("bundle/huge-number.json", &["not a STIX bundle"], false),
    (
        "bundle/invalid-utf8.json",
        &["invalid unicode code point"],
        true,
    ),
    (
        "bundle/missing-object.json",
        &[
            "relationship relationship--1 points to attack-pattern--gone, which is not in the bundle",
        ],
        false,
    ),
    (
        "bundle/revoked-by-cycle.json",
        &["revoked-by relationships form a cycle through attack-pattern--a"],
        false,
    ),
    (
        "bundle/subtechnique-cycle.json",
        &["subtechnique-of relationships form a cycle through T0001.001"],
        false,
    ),
    ("bundle/truncated.json", &["EOF while parsing"], true),
    ("ctid/binary.json", &["not UTF-8 text"], true),
    (
        "ctid/deep-nesting.json",
        &["recursion limit exceeded"],
        true,
    ),
    (
        "ctid/duplicate-key.json",
        &["duplicate field `score_value`"],
        true,
    ),
    ("ctid/empty.json", &["the file is empty"], false),
    (
        "ctid/huge-number.json",
        &["not a Mappings Explorer file"],
        false,
    ),
    ("ctid/invalid-utf8.json", &["not UTF-8 text"], true),
    (
        "ctid/ssm-truncated.yaml",
        &["T1053: a technique score without `value`"],
        true,
    ),
    (
        "ctid/truncated.json",
        &["not valid JSON: EOF while parsing"],
        true,
    ),
    // --- issue 16, part `ctid`: threat data and half scores are never coverage.
    (
        "ctid/kev-only.json",
        &[
            "no row describes a defence",
            "`exploitation_technique` (1 row)",
            "are threat data: how adversaries exploit known vulnerabilities, not what a defence does",
            "nothing could be imported",
        ],
        false,
    ),
    (
        "ctid/veris-only.json",
        &["mapping_type `related_to` (1 row) is threat data: what real incidents involved (VERIS)"],
        false,
    ),
    (
        "ctid/unknown-mapping-type.json",
        &["mapping_type `detects` (1 row) is not known to describe a defence"],
        false,
    ),
    (
        "ctid/score-category-without-value.json",
        &[
            "score category `detect` without `score_value`: how much is unknown, never taken as minimal",
        ],
        true,
    ),
    // --- end of part `ctid`
    (
        "dettect/alias-bomb.yaml",
        &["aliases expand the document"],
        true,
    ),
    ("dettect/binary.yaml", &["not UTF-8 text"], true),
    (
        "dettect/deep-nesting.yaml",
        &["deeper than 64 levels"],
        true,
    ),
    (
        "dettect/duplicate-key.yaml",
        &["duplicate key `file_type` (first set at 2:1)"],
        true,
    ),
    ("dettect/empty.yaml", &["the file is empty"], false),
    ("dettect/invalid-utf8.yaml", &["not UTF-8 text"], true),
    (
        "dettect/score-nan.yaml",
        &["`score`: expected a whole number"],
        true,
    ),
    (
        "dettect/score-out-of-range.yaml",
        &["detection score 99 is outside -1..5"],
        true,
    ),
    (
        "dettect/truncated.yaml",
        &["no technique of enterprise ATT&CK 9.9 left"],
        false,
    ),
    // Sysmon configurations: malformed XML at its line and column; a DTD is refused before any
    // entity is expanded.
    ("sysmon/binary.xml", &["not UTF-8 text"], true),
    (
        "sysmon/deep-nesting.xml",
        &["the root element is `<a>`, not `<Sysmon>`"],
        true,
    ),
    ("sysmon/empty.xml", &["the file is empty"], false),
    ("sysmon/entity-bomb.xml", &["not well-formed XML"], true),
    ("sysmon/invalid-utf8.xml", &["not UTF-8 text"], true),
    (
        "sysmon/not-sysmon.xml",
        &["the root element is `<project>`, not `<Sysmon>`"],
        true,
    ),
    ("sysmon/truncated.xml", &["not well-formed XML"], true),
    ("elastic/binary.toml", &["not UTF-8 text"], true),
    (
        "elastic/deep-nesting.toml",
        &["invalid TOML", "max recursion depth"],
        true,
    ),
    (
        "elastic/duplicate-key.toml",
        &["invalid TOML: duplicate key"],
        true,
    ),
    ("elastic/empty.toml", &["the file is empty"], false),
    (
        "elastic/huge-number.toml",
        &["invalid TOML: integer number overflowed"],
        true,
    ),
    ("elastic/invalid-utf8.toml", &["not UTF-8 text"], true),
    (
        "elastic/truncated.toml",
        &["invalid TOML: unclosed array table"],
        true,
    ),
    (
        "inventory/alias-bomb.yaml",
        &["aliases expand the document"],
        true,
    ),
    (
        "inventory/binary.yaml",
        &["the file is not UTF-8 text"],
        true,
    ),
    (
        "inventory/cost-nan.yaml",
        &["`annual` cost must be a number of 0 or more, found NaN"],
        true,
    ),
    (
        "inventory/cost-negative.yaml",
        &["`annual` cost must be a number of 0 or more, found -100"],
        true,
    ),
    (
        "inventory/deep-nesting.yaml",
        &["deeper than 64 levels"],
        true,
    ),
    (
        "inventory/duplicate-key.yaml",
        &["duplicate key `id`"],
        true,
    ),
    ("inventory/empty.yaml", &["the file is empty"], true),
    (
        "inventory/invalid-utf8.yaml",
        &["the file is not UTF-8 text"],
        true,
    ),
    (
        "inventory/level-huge.yaml",
        &["level inf is out of range"],
        true,
    ),
    (
        "inventory/level-infinite.yaml",
        &["level inf is out of range"],
        true,
    ),
    (
        "inventory/level-nan.yaml",
        &["level NaN is out of range"],
        true,
    ),
    (
        "inventory/level-negative.yaml",
        &["level -0.5 is out of range"],
        true,
    ),
    // Output size (issue 16 §4): an id repeats per covered technique.
    (
        "inventory/capability-id-too-long.yaml",
        &["capability `id` is 201 characters long; at most 200"],
        true,
    ),
    // Part `system` (issue 16).
    (
        "inventory/system-empty.yaml",
        &["capability `edr` has an empty `system`"],
        true,
    ),
    // Issue 17: the software factor of threat weights is in [0, 1].
    (
        "inventory/threat-software-factor-out-of-range.yaml",
        &[
            "error[invalid-value]",
            "`scoring.threat_software_factor` is 1.5, outside [0, 1]",
        ],
        true,
    ),
    (
        "inventory/threat-software-factor-nan.yaml",
        &["`scoring.threat_software_factor` is NaN, outside [0, 1]"],
        true,
    ),
    ("inventory/truncated.yaml", &["invalid YAML"], true),
    // Issue 19: the `telemetry:` section and `scoring.filtered_telemetry`.
    (
        "inventory/telemetry-quality-out-of-range.yaml",
        &[
            "error[invalid-value]",
            "telemetry `sysmon` has `quality` 1.5, outside [0, 1]",
        ],
        true,
    ),
    (
        "inventory/telemetry-quality-nan.yaml",
        &["telemetry `sysmon` has `quality` NaN, outside [0, 1]"],
        true,
    ),
    (
        "inventory/telemetry-unknown-log-source.yaml",
        &[
            "error[unknown-log-source]",
            "`Sysmon` is not a log source of enterprise ATT&CK 9.9",
        ],
        true,
    ),
    (
        "inventory/telemetry-collects-nothing.yaml",
        &["telemetry `sysmon` collects nothing"],
        true,
    ),
    (
        "inventory/telemetry-channels-empty.yaml",
        &["log source `WinEventLog:Sysmon` has an empty `channels` list"],
        true,
    ),
    (
        "inventory/telemetry-duplicate-id.yaml",
        &[
            "error[duplicate-telemetry-id]",
            "telemetry id `sysmon` is already used at",
        ],
        true,
    ),
    (
        "inventory/telemetry-unknown-platform.yaml",
        &["`Windws` is not a platform of enterprise ATT&CK 9.9"],
        true,
    ),
    (
        "inventory/telemetry-import-format.yaml",
        &["error[invalid-value]", "wef"],
        true,
    ),
    (
        "inventory/filtered-telemetry-out-of-range.yaml",
        &["`scoring.filtered_telemetry` is -0.1, outside [0, 1]"],
        true,
    ),
    // names (issue 16, names and aliases): run against names-attack-2.1.json (`read_as`).
    (
        "inventory/names-ambiguous-group.yaml",
        &[
            "error[ambiguous-name]",
            "`uac-0056` names 2 groups: `G1003` (Ember Bear, by alias), `G1031` (Saint Bear, by alias)",
            "write the ATT&CK ID",
        ],
        true,
    ),
    (
        "inventory/names-ambiguous-software.yaml",
        &[
            "error[ambiguous-name]",
            "`DNSMessenger` names 2 software: `S0145` (POWERSOURCE, by alias), `S0146` (TEXTMATE, by alias)",
        ],
        true,
    ),
    ("navigator/binary.json", &["not UTF-8 text"], true),
    (
        "navigator/deep-nesting.json",
        &["not a Navigator layer"],
        true,
    ),
    (
        "navigator/duplicate-key.json",
        &["duplicate field `score`"],
        true,
    ),
    ("navigator/empty.json", &["the file is empty"], false),
    (
        "navigator/gradient-flat.json",
        &["score 5 cannot be normalised by the gradient [5, 5]"],
        false,
    ),
    (
        "navigator/huge-number.json",
        &["not a Navigator layer (no `techniques`)"],
        true,
    ),
    ("navigator/invalid-utf8.json", &["not UTF-8 text"], true),
    ("navigator/score-huge.json", &["number out of range"], true),
    (
        "navigator/truncated.json",
        &["not valid JSON: EOF while parsing"],
        true,
    ),
    (
        "sigma/alias-bomb.yml",
        &["aliases expand the document"],
        true,
    ),
    ("sigma/binary.yml", &["not UTF-8 text"], true),
    ("sigma/deep-nesting.yml", &["deeper than 64 levels"], true),
    (
        "sigma/duplicate-key.yml",
        &["duplicate key `title` (first set at 1:1)"],
        true,
    ),
    ("sigma/empty.yml", &["the file is empty"], false),
    ("sigma/invalid-utf8.yml", &["not UTF-8 text"], true),
    ("sigma/truncated.yml", &["invalid YAML"], true),
    (
        "splunk/alias-bomb.yml",
        &["aliases expand the document"],
        true,
    ),
    ("splunk/binary.yml", &["not UTF-8 text"], true),
    ("splunk/deep-nesting.yml", &["deeper than 64 levels"], true),
    (
        "splunk/duplicate-key.yml",
        &["duplicate key `status` (first set at 3:1)"],
        true,
    ),
    ("splunk/empty.yml", &["the file is empty"], false),
    ("splunk/invalid-utf8.yml", &["not UTF-8 text"], true),
    ("splunk/truncated.yml", &["invalid YAML"], true),
    // --- bounds (issue 16 §4): an unknown assessment format; refusals that quote control
    // characters show them escaped (and `refusal_problem` checks that no raw ESC is printed).
    (
        "assessment/format-unknown.json",
        &["assessment format 99 is not one this covmap reads (formats 1 to 3)"],
        false,
    ),
    (
        "bundle/terminal-escapes.json",
        &["the STIX id attack-pattern--\\x1b]0;pwned\\x07\\x1b[2J\\u{9b}31m appears twice"],
        false,
    ),
    ("inventory/terminal-escapes.yaml", &["T1059\\x1b[2J"], true),
    // --- end bounds
    // Issue 17: the `plan:` section is validated like the rest.
    (
        "inventory/plan-unknown-mitigation.yaml",
        &[
            "`plan.costs` names `M9999`, which is neither an active ATT&CK mitigation nor a log-source name",
        ],
        true,
    ),
    (
        "inventory/plan-cost-negative.yaml",
        &["`plan.costs.M1040` is -5: a cost must be a number from 0 up"],
        true,
    ),
    (
        "inventory/plan-level-out-of-range.yaml",
        &["level 2 is out of range"],
        true,
    ),
    // --- threat profile files, each the one profile of a temp inventory. The
    // positions were checked against the files (e.g. csv-bad-weight.csv line 3 column 11 is
    // `lots`; navigator-gradient-flat.json 2:17 is the first technique object).
    (
        "profile/auto-unrecognised.txt",
        &[
            "error[threat-profile-failed]",
            "not a threat profile format covmap recognises",
            "write the entry's `format:`",
        ],
        false,
    ),
    (
        "profile/csv-bad-weight.csv",
        &["csv-bad-weight.csv:3:11: weight `lots` of T1003.001 is not a number at or above 0"],
        true,
    ),
    (
        "profile/csv-binary.csv",
        &["csv-binary.csv:1:1: not UTF-8 text"],
        true,
    ),
    ("profile/csv-empty.csv", &["the file is empty"], false),
    (
        "profile/csv-negative-weight.csv",
        &["csv-negative-weight.csv:2:11: weight `-0.5` of T1059.001 is not a number at or above 0"],
        true,
    ),
    (
        "profile/csv-not-a-technique.csv",
        &["csv-not-a-technique.csv:3:1: `PowerShell` is not a technique ID"],
        true,
    ),
    (
        "profile/csv-unclosed-quote.csv",
        &["csv-unclosed-quote.csv:2:1: a quote that is not closed on its line"],
        true,
    ),
    (
        "profile/csv-unknown-only.csv",
        &[
            "no technique of enterprise ATT&CK",
            "csv-unknown-only.csv:2:1: `T9999` is not a technique",
        ],
        true,
    ),
    (
        "profile/ctid-defence-only.json",
        &[
            "no threat row: 1 row describes what defences do",
            "import it under a capability's `import:`",
        ],
        false,
    ),
    (
        "profile/ctid-not-a-mapping.json",
        &["not a CTID Mappings Explorer file (no `mapping_objects`)"],
        false,
    ),
    (
        "profile/dettect-alias-bomb.yaml",
        &["aliases expand the document to more than 1000000 extra nodes"],
        true,
    ),
    (
        "profile/dettect-no-enabled-group.yaml",
        &["no enabled group (1 group disabled)"],
        false,
    ),
    (
        "profile/dettect-technique-administration.yaml",
        &["a DeTT&CT technique administration file: coverage, not a threat profile"],
        false,
    ),
    (
        "profile/dettect-truncated.yaml",
        &["dettect-truncated.yaml:10:1: invalid YAML"],
        true,
    ),
    (
        "profile/navigator-deep-nesting.json",
        &["not a Navigator layer"],
        true,
    ),
    (
        "profile/navigator-gradient-flat.json",
        &[
            "navigator-gradient-flat.json:2:17: T1059.001: score 80 cannot be normalised by the gradient [5, 5]",
        ],
        true,
    ),
    (
        "profile/navigator-no-techniques.json",
        &["not a Navigator layer (no `techniques`)"],
        false,
    ),
    (
        "profile/navigator-score-not-a-number.json",
        &[
            "navigator-score-not-a-number.json:2:60: technique 2: invalid type: string \"high\", expected f64",
        ],
        true,
    ),
    (
        "profile/navigator-truncated.json",
        &["navigator-truncated.json:2:41: not valid JSON: EOF while parsing a string"],
        true,
    ),
    (
        "profile/navigator-two-layers.json",
        &["2 layers in one file: a profile is one layer"],
        false,
    ),
];

fn bad_dir() -> PathBuf {
    repo_root().join("fixtures/bad")
}

/// Where a run's outputs go: a fresh folder that must stay empty when the run fails.
struct Outputs {
    dir: tempfile::TempDir,
}

impl Outputs {
    fn new() -> Self {
        Outputs {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn left(&self) -> Vec<String> {
        std::fs::read_dir(self.dir.path())
            .expect("outputs dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect()
    }
}

/// Runs what reads `input` as a `reader`, writing into `outputs` (extra `args` last).
fn read_as(env: &Env, reader: &str, input: &Path, outputs: &Outputs, args: &[&str]) -> Out {
    let mut cmd = env.cmd();
    let mut mini = fixture("mini-attack-2.1.json");
    // names: the `names-*` cases need names the mini bundle does not have.
    if input
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("names-"))
    {
        mini = fixture("names-attack-2.1.json");
    }
    let out = outputs.dir.path();
    match reader {
        "bundle" => {
            cmd.arg("--attack").arg(input).args(["attack", "info"]);
        }
        "inventory" => {
            cmd.arg("--attack").arg(&mini).arg("assess").arg(input);
            cmd.arg("-o").arg(out.join("report"));
        }
        "assessment" => {
            cmd.arg("--attack").arg(&mini).arg("report").arg(input);
            cmd.arg("-o").arg(out.join("report"));
        }
        // a temp inventory (outside `outputs`) names the file as its one threat
        // profile, the format from the file name's prefix (else auto).
        "profile" => {
            let name = input
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let format = ["navigator", "dettect", "ctid", "csv"]
                .into_iter()
                .find(|f| name.starts_with(&format!("{f}-")))
                .unwrap_or("auto");
            let dir = tempfile::tempdir().expect("temp dir");
            let inventory = dir.path().join("inventory.yaml");
            let path = serde_json::to_string(&input.display().to_string()).expect("a string");
            std::fs::write(
                &inventory,
                format!(
                    "covmap: 1\nscope:\n  threats:\n    profiles:\n      - {{path: {path}, format: {format}}}\ncapabilities:\n  - id: edr\n    coverage:\n      - {{techniques: T1059.001, function: detect, level: partial}}\n"
                ),
            )
            .expect("write the inventory");
            cmd.arg("--attack").arg(&mini).arg("assess").arg(&inventory);
            cmd.arg("-o").arg(out.join("report"));
            cmd.args(args);
            let result = run(cmd);
            drop(dir);
            return result;
        }
        format => {
            cmd.arg("--attack")
                .arg(&mini)
                .args(["import", format])
                .arg(input);
            cmd.arg("-o").arg(out.join("inventory.yaml"));
        }
    }
    cmd.args(args);
    run(cmd)
}

/// What is wrong with a run that should have refused `input`, if anything.
fn refusal_problem(
    out: &Out,
    input: &Path,
    says: &[&str],
    position: bool,
    left: &[String],
) -> Option<String> {
    let name = input.display().to_string();
    let file_name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let problem = if out.code != 2 {
        format!("exit code {}, expected 2", out.code)
    } else if out.stderr.contains("internal error") || out.stderr.contains("panicked") {
        "a panic".to_string()
    } else if !out.stderr.contains(&name) {
        format!("the message does not name {name}")
    } else if let Some(missing) = says.iter().find(|s| !out.stderr.contains(**s)) {
        format!("the message does not say {missing:?}")
    } else if position && !has_position(&out.stderr, &file_name) {
        "the message has no line:column".to_string()
    } else if !left.is_empty() {
        format!("outputs left behind: {left:?}")
    } else if let Some(c) = out.stderr.chars().find(|&c| {
        (c.is_control() && c != '\n' && c != '\t') || ('\u{202a}'..='\u{202e}').contains(&c)
    }) {
        // bounds: control characters quoted from the input are printed escaped.
        format!("a raw control character {c:?} on stderr")
    } else {
        return None;
    };
    Some(format!("{name}: {problem}\n{}", out.stderr))
}

#[test]
fn every_bad_file_is_a_listed_case() {
    let mut on_disk = Vec::new();
    for reader in READERS {
        for entry in std::fs::read_dir(bad_dir().join(reader)).expect("fixtures/bad/READER") {
            let name = entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned();
            on_disk.push(format!("{reader}/{name}"));
        }
    }
    on_disk.sort();
    let mut listed: Vec<String> = CASES
        .iter()
        .map(|(file, _, _)| (*file).to_string())
        .collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "fixtures/bad and CASES differ: run fixtures/bad/generate.py, then list the case"
    );
}

#[test]
fn every_bad_file_is_refused_with_its_name_and_nothing_written() {
    let env = Env::new();
    let problems: Vec<String> = CASES
        .iter()
        .filter_map(|(file, says, position)| {
            let (reader, _) = file.split_once('/').expect("READER/CASE");
            let input = bad_dir().join(file);
            let outputs = Outputs::new();
            let out = read_as(&env, reader, &input, &outputs, &[]);
            refusal_problem(&out, &input, says, *position, &outputs.left())
        })
        .collect();
    assert!(
        problems.is_empty(),
        "{} of {} cases:\n{}",
        problems.len(),
        CASES.len(),
        problems.join("\n")
    );
}

#[test]
fn a_byte_order_mark_and_crlf_line_ends_are_accepted() {
    let env = Env::new();
    let mut read = 0;
    for entry in std::fs::read_dir(bad_dir().join("accepted")).expect("fixtures/bad/accepted") {
        let input = entry.expect("entry").path();
        let stem = input
            .file_stem()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        let reader = stem.trim_end_matches("-ssm");
        let bytes = std::fs::read(&input).expect("readable");
        assert!(
            bytes.starts_with(b"\xEF\xBB\xBF") && bytes.windows(2).any(|w| w == b"\r\n"),
            "{stem}"
        );
        let outputs = Outputs::new();
        let out = read_as(&env, reader, &input, &outputs, &[]);
        assert_eq!(out.code, 0, "{}: {}", input.display(), out.stderr);
        // The importers name no technique missing from the bundle: every entry was read.
        assert!(
            !out.stderr.contains("written: 0 capabilities")
                || out.stderr.contains("telemetry: 1 entry"),
            "{}: {}",
            input.display(),
            out.stderr
        );
        if reader != "bundle" {
            assert_eq!(outputs.left().len(), 1, "{}", input.display());
        }
        read += 1;
    }
    assert_eq!(read, 12);
}

#[test]
fn a_directory_a_missing_file_and_a_200_mb_file_are_refused() {
    let env = Env::new();
    let scratch = tempfile::tempdir().expect("temp dir");
    let empty_dir = scratch.path().join("a-folder");
    std::fs::create_dir(&empty_dir).expect("mkdir");
    let missing = scratch.path().join("no-such-file.json");
    let huge = scratch.path().join("huge.json");
    // Sparse: the 200 MB take no disk, and covmap must refuse them before reading.
    std::fs::File::create(&huge)
        .and_then(|f| f.set_len(200 * 1024 * 1024))
        .expect("sparse file");
    let mut problems = Vec::new();
    for reader in READERS {
        for (input, says) in [
            (
                &empty_dir,
                match *reader {
                    "bundle" | "inventory" | "assessment" => "directory",
                    "profile" => "is a folder, not a file",
                    _ => "the folder holds no file to import",
                },
            ),
            (
                &missing,
                match *reader {
                    "bundle" | "inventory" | "assessment" => "cannot read",
                    "profile" => "cannot read: No such file or directory",
                    _ => "no such file or folder",
                },
            ),
            (
                &huge,
                "the file is 200 MiB, more than the 128 MiB covmap reads from one file",
            ),
        ] {
            let outputs = Outputs::new();
            let out = read_as(&env, reader, input, &outputs, &[]);
            problems.extend(
                refusal_problem(&out, input, &[says], false, &outputs.left())
                    .map(|p| format!("{reader}: {p}")),
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let scratch = tempfile::tempdir().expect("temp dir");
    let mut problems = Vec::new();
    for reader in READERS {
        let input = scratch.path().join(format!("{reader}.json"));
        std::fs::write(&input, b"{}").expect("write");
        std::fs::set_permissions(&input, std::fs::Permissions::from_mode(0o000)).expect("chmod");
        if std::fs::read(&input).is_ok() {
            // root reads anything: the case cannot be made here.
            #[allow(clippy::print_stderr)]
            {
                eprintln!("skipped: running as root, a mode-000 file is still readable");
            }
            return;
        }
        let outputs = Outputs::new();
        let out = read_as(&env, reader, &input, &outputs, &[]);
        problems.extend(refusal_problem(
            &out,
            &input,
            &["ermission denied"],
            false,
            &outputs.left(),
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_loop_in_a_rules_folder_is_reported_and_not_followed() {
    let env = Env::new();
    let rules = tempfile::tempdir().expect("temp dir");
    std::os::unix::fs::symlink(rules.path(), rules.path().join("loop")).expect("symlink");
    // Only the loop: nothing to import, so the import fails.
    let outputs = Outputs::new();
    let out = read_as(&env, "sigma", rules.path(), &outputs, &[]);
    let problem = refusal_problem(
        &out,
        rules.path(),
        &[
            "symbolic link loop",
            "not followed",
            "nothing could be imported",
        ],
        false,
        &outputs.left(),
    );
    assert!(problem.is_none(), "{problem:?}");

    // Beside a good rule the loop is a finding: the import goes on, and --strict refuses it.
    std::fs::copy(
        bad_dir().join("accepted/sigma.yml"),
        rules.path().join("rule.yml"),
    )
    .expect("copy");
    let outputs = Outputs::new();
    let out = read_as(&env, "sigma", rules.path(), &outputs, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("symbolic link loop"), "{}", out.stderr);
    assert!(
        out.stderr.contains("written: 1 capabilities, 1 entries"),
        "{}",
        out.stderr
    );
    let strict = Outputs::new();
    let out = read_as(&env, "sigma", rules.path(), &strict, &["--strict"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(strict.left().is_empty(), "{:?}", strict.left());
}

// --- issue 16, part `ctid`: special files given as imports.
/// A FIFO (no writer: opening it would block forever) and a character device given to every
/// importer are refused with what they are, exit 2, at once.
#[cfg(unix)]
#[test]
fn a_fifo_and_a_device_given_as_imports_are_refused() {
    let env = Env::new();
    let scratch = tempfile::tempdir().expect("temp dir");
    let fifo = scratch.path().join("pipe.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let device = PathBuf::from("/dev/null");
    let mut problems = Vec::new();
    for reader in READERS
        .iter()
        .filter(|r| !matches!(**r, "bundle" | "inventory" | "assessment"))
    {
        for (input, says) in [
            (&fifo, "is a FIFO (named pipe), not a file"),
            (&device, "is a character device, not a file"),
        ] {
            let outputs = Outputs::new();
            let started = std::time::Instant::now();
            let out = read_as(&env, reader, input, &outputs, &[]);
            assert!(started.elapsed().as_secs() < 60, "{reader}: blocked?");
            problems.extend(
                refusal_problem(&out, input, &[says], false, &outputs.left())
                    .map(|p| format!("{reader}: {p}")),
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
