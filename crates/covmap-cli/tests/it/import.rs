//! `covmap import` and `covmap tests` on the shared corpora and real enterprise 18.1: the
//! summary's figures, the written inventory passing `covmap validate`, the Navigator round
//! trip, `import:` entries in an inventory, refusals, and Atomic Red Team test readiness.

use std::path::{Path, PathBuf};

use crate::common::repo_root;
use crate::inv::{EX01, arr, e18, real_root, s, write};

/// `../shared/data/corpora/NAME`, or `None` (skipped) when the shared data is absent.
fn corpus(name: &str) -> Option<PathBuf> {
    let path = repo_root().join("../shared/data/corpora").join(name);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {} is missing",
        path.display()
    );
    #[allow(clippy::print_stderr)] // a skipped test must say so
    {
        eprintln!("skipped: real-data test needs {}", path.display());
    }
    None
}

/// Valid, with warnings about claims that count for nothing only: `parents` entries on a
/// parent technique (rules tagged with a parent) and `mismatches` techniques that run on none
/// of their entry's platforms (a Windows rule tagged with SSH).
fn validate_claim_warnings(bundle: &Path, inventory: &Path, parents: usize, mismatches: usize) {
    let out = real_root(bundle, &["validate", s(inventory)])
        .ok_noisy()
        .stderr_has(&[&format!("0 errors, {} warnings", parents + mismatches)]);
    assert_eq!(
        out.stderr
            .matches("warning[parent-counts-for-no-subtechnique]")
            .count(),
        parents
    );
    assert_eq!(
        out.stderr.matches("warning[platform-mismatch]").count(),
        mismatches
    );
}

#[test]
fn sigma_corpus_imports_to_a_valid_inventory() {
    let (Some(bundle), Some(rules)) = (e18(), corpus("sigma/rules")) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("sigma.yaml");
    // Independently, with PyYAML over every rules/**/*.yml (documents of a file merged):
    // 783 files; 722 with status stable or test (61 others); 636 of them with an
    // `attack.tNNNN[.NNN]` tag; 236 distinct technique IDs.
    real_root(&bundle, &["import", "sigma", s(&rules), "-o", s(&out)])
        .ok_noisy()
        .stderr_has(&[
            "covmap: import sigma: 783 files read, 0 skipped",
            "rules: 783 read, 61 filtered out, 636 with ATT&CK techniques",
            "techniques: 236 distinct as written; 0 remapped, 0 unknown, 0 deprecated",
            "written: 81 capabilities, 483 entries",
            // Entries on a parent technique with active sub-techniques in 18.1 (Python over
            // the same rules and the bundle's active attack-patterns; entries are (folder,
            // technique) pairs): 112 entries on 46 parents, T1003 to T1595.
            "parent-only: 112 entries on 46 parent techniques that have sub-techniques count for no sub-technique",
            "include_subtechniques: true",
        ]);
    let text = std::fs::read_to_string(&out).expect("inventory written");
    assert!(text.starts_with("# Written by: covmap"));
    assert_eq!(text.matches("\n  - id: ").count(), 81);
    assert_eq!(text.matches("\n      - techniques: ").count(), 483);
    assert_eq!(
        text.matches("\n      - techniques: ").count(),
        text.matches("\n        evidence: ").count(),
        "every entry names its source"
    );
    // Independently (PyYAML, as above, and the 18.1 bundle's active attack-patterns): 112
    // of the (folder, technique) pairs name a technique with active sub-techniques (46
    // distinct parents). Of the other entries of the written file, 16 name a technique none of
    // whose `x_mitre_platforms` is among the entry's `platforms` (else its capability's), e.g.
    // T1021.004 SSH from Windows rules (PyYAML over the written file).
    validate_claim_warnings(&bundle, &out, 112, 16);
    // Deterministic: a second run writes the same bytes.
    let again = dir.path().join("again.yaml");
    real_root(&bundle, &["import", "sigma", s(&rules), "-o", s(&again)]).ok_noisy();
    let again_text = std::fs::read_to_string(&again).expect("written");
    assert_eq!(
        text.lines().skip(1).collect::<Vec<_>>(),
        again_text.lines().skip(1).collect::<Vec<_>>(),
        "only the command line in the header differs"
    );
}

#[test]
fn splunk_revoked_id_is_remapped_and_listed() {
    let (Some(bundle), Some(detections)) = (e18(), corpus("splunk/detections")) else {
        return;
    };
    // The sample holds T1574.002, revoked in 18.1 by T1574.001 (jq over the bundle:
    // revoked-by relationship from attack-pattern T1574.002).
    let run = real_root(&bundle, &["import", "splunk", s(&detections)]).ok_noisy();
    let run = run.stderr_has(&[
        "covmap: import splunk: 170 files read, 1 skipped",
        "detections: 170 read, 25 filtered out, 145 with ATT&CK techniques",
        "remapped: T1574.002 -> T1574.001 (revoked)",
    ]);
    assert!(
        run.stdout
            .contains("(written T1574.002, revoked: now T1574.001)")
    );
}

#[test]
fn auto_recognises_every_format_of_the_corpora() {
    let (Some(bundle), Some(all)) = (e18(), corpus("")) else {
        return;
    };
    // File counts per folder (find -name '*.yml' ... | wc -l): 5 layers, 9 DeTT&CT files,
    // 783 Sigma rules, 206 Elastic rules, 171 Splunk files, 33 CTID files (`find ctid -name
    // '*.json' -o -name '*.yaml' | wc -l` is 34, less the JSON Schema: 29 security-stack-mappings
    // YAML, 2 AWS, 1 NIST 800-53, 1 KEV), 2 Sysmon configurations (`find sysmon -name '*.xml'
    // | wc -l`, each with a `<Sysmon` root); the 33 Atomic Red Team files and other YAML are
    // skipped as no format covmap imports.
    real_root(&bundle, &["import", "auto", s(&all)])
        .ok_noisy()
        .stderr_has(&[
            "(recognised: 5 navigator, 9 dettect, 783 sigma, 206 elastic, 171 splunk, 33 ctid, 2 sysmon)",
        ]);
}

/// `auto` reads a Sysmon configuration as telemetry, never as coverage, and refuses a KEV
/// file (recognised as CTID) as threat data; asked as a coverage format, a Sysmon
/// configuration is skipped with its reason, and with nothing else to import, the import
/// fails and writes nothing.
#[test]
fn auto_reads_sysmon_as_telemetry_and_refuses_kev() {
    let (Some(bundle), Some(sysmon), Some(kev)) = (
        e18(),
        corpus("sysmon"),
        corpus("ctid/mappings-explorer/mappings/kev"),
    ) else {
        return;
    };
    let run = real_root(&bundle, &["import", "auto", s(&sysmon), s(&kev)])
        .ok_noisy()
        .stderr_has(&[
            "covmap: import auto: 2 files read, 1 skipped (recognised: 1 ctid, 2 sysmon)",
            "telemetry: 2 entries, 4 log sources (2 filtered",
            "kev-02.13.2025_attack-15.1-enterprise.json: no row describes a defence",
            "threat data: how adversaries exploit known vulnerabilities",
        ]);
    assert!(!run.stdout.contains("\ncapabilities:"), "{}", run.stdout);
    assert!(run.stdout.contains("\ntelemetry:\n"));
    // Asked as another format, a Sysmon configuration is not misread either.
    let one = sysmon.join("sysmon-modular-sysmonconfig.xml");
    let other = sysmon.join("swiftonsecurity-sysmonconfig-export.xml");
    for format in ["sigma", "ctid", "navigator"] {
        real_root(&bundle, &["import", format, s(&one), s(&other)])
            .fails()
            .stderr_has(&[
                "2 skipped",
                "a Sysmon configuration",
                "covmap import sysmon",
            ]);
    }
}

/// `covmap import sysmon` writes a `telemetry:` section: one entry, the event codes collected
/// whole and, as their own filtered source, those collected through include rules only
/// (figures of covmap-import's `the_shared_sysmon_configurations`, computed with Python).
#[test]
fn sysmon_writes_a_telemetry_section() {
    let (Some(bundle), Some(sysmon)) = (e18(), corpus("sysmon")) else {
        return;
    };
    let one = sysmon.join("swiftonsecurity-sysmonconfig-export.xml");
    let run = real_root(&bundle, &["import", "sysmon", s(&one), "--name", "Endpoints"])
        .ok_noisy()
        .stderr_has(&[
            "covmap: import sysmon: 1 files read, 0 skipped",
            // Event filter elements, direct or in a RuleGroup (Python's xml.etree: 21).
            "event filters: 21 read, 0 filtered out, 0 with ATT&CK techniques",
            "telemetry: 1 entry, 2 log sources (1 filtered",
            "collected: 1, 4, 6, 8, 16, 19, 20, 21, 22, 255; filtered (include rules only): 2, 3, 5, 11, 12, 13, 14, 15, 17, 18; not configured, Sysmon's default: 23, 24, 25, 26, 27, 28, 29",
        ]);
    let expected = "telemetry:
  # ";
    assert!(run.stdout.contains(expected), "{}", run.stdout);
    assert!(run.stdout.contains(
        "  - id: \"swiftonsecurity-sysmonconfig-export\"
    name: \"Endpoints\"
    platforms: [\"Windows\"]
    log_sources:
      - {name: \"WinEventLog:Sysmon\", channels: [\"EventCode=1\", \"EventCode=4\", \"EventCode=6\", \"EventCode=8\", \"EventCode=16\", \"EventCode=19\", \"EventCode=20\", \"EventCode=21\", \"EventCode=22\", \"EventCode=255\"]}
      - {name: \"WinEventLog:Sysmon\", channels: [\"EventCode=2\", \"EventCode=3\", \"EventCode=5\", \"EventCode=11\", \"EventCode=12\", \"EventCode=13\", \"EventCode=14\", \"EventCode=15\", \"EventCode=17\", \"EventCode=18\"], filtered: true}
"
    ), "{}", run.stdout);
    // A file that is not a Sysmon configuration: refused with its position.
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad.xml");
    std::fs::write(
        &bad,
        "<Sysmon schemaversion=\"4.50\">\n  <EventFiltering>\n</Sysmon>\n",
    )
    .expect("write");
    real_root(&bundle, &["import", "sysmon", s(&bad)])
        .fails()
        .stderr_has(&[
            "bad.xml:3:",
            "not well-formed XML",
            "nothing could be imported",
        ]);
}

/// `covmap import dettect` reads the sample data-source administration into telemetry: 15
/// entries (17 details objects less DeTT&CT's own 2 data sources, which are findings), each
/// at quality 0.2 (every data-quality score 1: (2+2+1+1+2)/40).
#[test]
fn dettect_data_sources_write_telemetry() {
    let (Some(bundle), Some(file)) = (
        e18(),
        corpus("dettect/sample-data/data-sources-endpoints.yaml"),
    ) else {
        return;
    };
    let run = real_root(&bundle, &["import", "dettect", s(&file)])
        .ok_noisy()
        .stderr_has(&[
            "technique and data-source entries: 17 read, 0 filtered out",
            "telemetry: 15 entries",
            "Web [DeTT&CT data source]: a DeTT&CT data source, not an ATT&CK data component",
        ]);
    assert_eq!(run.stdout.matches("\n  - id: ").count(), 15);
    assert_eq!(run.stdout.matches("\n    quality: 0.2\n").count(), 15);
    assert!(
        run.stdout
            .contains("{name: \"WinEventLog:Sysmon\", channels: [\"EventCode=1\"")
    );
}

#[test]
fn a_layer_exported_by_covmap_imports_back_to_the_same_scores() {
    let Some(bundle) = e18() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let layer = dir.path().join("layer.json");
    real_root(&bundle, &["export", "navigator", EX01, "-o", s(&layer)]).ok_noisy();
    // The imported layer, assessed with example 01's own scope (platforms, exclusions,
    // threats), through an `import:` entry.
    let example = std::fs::read_to_string(repo_root().join(EX01)).expect("example 01");
    let head = &example[..=example.find("\ncapabilities:").expect("capabilities")];
    let inventory = write(
        dir.path(),
        "reimported.yaml",
        &format!(
            "{head}capabilities:\n  - id: layer\n    import:\n      - {{format: navigator, path: layer.json}}\n"
        ),
    );
    let original = real_root(&bundle, &["assess", EX01, "--format", "json"])
        .ok()
        .json();
    let back = real_root(&bundle, &["assess", s(&inventory), "--format", "json"])
        .ok()
        .json();
    assert_eq!(back["overall"], original["overall"]);
    assert_eq!(back["overall_weighted"], original["overall_weighted"]);
    let techniques = arr(&original["techniques"]);
    assert_eq!(techniques.len(), arr(&back["techniques"]).len());
    for (a, b) in techniques.iter().zip(arr(&back["techniques"])) {
        assert_eq!(a["id"], b["id"]);
        assert_eq!(a["score"], b["score"], "{}", a["id"]);
        assert_eq!(a["in_scope"], b["in_scope"], "{}", a["id"]);
    }
    for (a, b) in arr(&original["tactics"]).iter().zip(arr(&back["tactics"])) {
        assert_eq!(a["score"], b["score"]);
    }
}

#[test]
fn inventory_import_entries_report_failures_and_findings() {
    let Some(bundle) = e18() else {
        return;
    };
    real_root(
        &bundle,
        &["validate", "fixtures/inventory/bad/import-failed.yaml"],
    )
    .stderr_has(&[
        "error[import-failed]: nothing to import into `sigma` as sigma",
        "no-such-rules/: no such file or folder",
        "import-failed.yaml:6:9",
    ]);
    real_root(
        &bundle,
        &["validate", "fixtures/inventory/bad/import-findings.yaml"],
    )
    .ok_noisy()
    .stderr_has(&[
        "warning[import-findings]: 5 files imported into `sigma` with 3 findings",
        "d-malformed.yml:8:6",
        "`t9999` is not a technique of enterprise ATT&CK 18.1",
    ]);
}

#[test]
fn strict_findings_fail_and_write_nothing() {
    let Some(bundle) = e18() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("x.yaml");
    let run = real_root(
        &bundle,
        &[
            "import",
            "sigma",
            "fixtures/import/sigma",
            "--strict",
            "-o",
            s(&out),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("--strict: the import has findings; nothing written")
    );
    assert!(!out.exists());
}

#[test]
fn refusals_name_the_problem() {
    let Some(bundle) = e18() else {
        return;
    };
    real_root(
        &bundle,
        &[
            "import",
            "dettect",
            "fixtures/import/dettect",
            "--function",
            "protect",
        ],
    )
    .fails()
    .stderr_has(&["dettect takes no function"]);
    real_root(
        &bundle,
        &[
            "import",
            "sigma",
            "fixtures/import/sigma",
            "--status",
            "stabel",
        ],
    )
    .fails()
    .stderr_has(&["`stabel` is not a sigma status: use stable, test, experimental"]);
    real_root(
        &bundle,
        &[
            "import",
            "sigma",
            "fixtures/import/sigma",
            "--group-by",
            "group",
        ],
    )
    .fails()
    .stderr_has(&["sigma groups by folder, product, none, not `group`"]);
    real_root(
        &bundle,
        &[
            "import",
            "sigma",
            "fixtures/import/sigma",
            "-o",
            "fixtures/import/sigma/out.yaml",
        ],
    )
    .fails()
    .stderr_has(&["is inside the input folder"]);
    assert!(!repo_root().join("fixtures/import/sigma/out.yaml").exists());
}

#[test]
fn atomic_tests_for_untested_claims() {
    let (Some(bundle), Some(atomics)) = (e18(), corpus("atomic/atomics")) else {
        return;
    };
    // PyYAML over atomics/*/*.yaml: 33 files, 33 techniques, 194 atomic tests; T1207's one
    // test, "DCShadow (Active Directory)", runs on windows.
    let run = real_root(
        &bundle,
        &["tests", EX01, "--atomics", s(&atomics), "--format", "json"],
    )
    .ok_noisy()
    .stderr_has(&["194 atomic tests of 33 techniques read from 33 files"]);
    let doc = run.json();
    let testable = arr(&doc["testable"]);
    let t1207 = testable
        .iter()
        .find(|l| l["technique"] == "T1207")
        .expect("example 01's SIEM claims T1207 without a test");
    assert_eq!(arr(&t1207["tests"]).len(), 1);
    assert_eq!(t1207["tests"][0]["name"], "DCShadow (Active Directory)");
    assert_eq!(t1207["claims"][0]["capability"], "siem");
    // Every testable leaf has a test on one of its claims' platforms; every untestable one
    // has none; both lists are sorted by ID.
    for leaf in testable {
        let platforms: Vec<&str> = arr(&leaf["claims"])
            .iter()
            .flat_map(|c| arr(&c["platforms"]).iter().filter_map(|p| p.as_str()))
            .collect();
        assert!(arr(&leaf["tests"]).iter().all(|t| {
            arr(&t["platforms"])
                .iter()
                .any(|p| platforms.contains(&p.as_str().unwrap_or("")))
        }));
    }
    for list in [&doc["testable"], &doc["untestable"]] {
        let ids: Vec<&str> = arr(list)
            .iter()
            .filter_map(|l| l["technique"].as_str())
            .collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted);
    }
    assert!(
        arr(&doc["untestable"])
            .iter()
            .all(|l| arr(&l["tests"]).is_empty())
    );
}

/// A telemetry entry's `import:` entries are read at load: a Sysmon configuration and the
/// DeTT&CT sample data sources give the same derived visibility as the `telemetry:` section
/// `covmap import` writes from the same files, a bad `import:` is an error at its line and
/// column, and findings are a warning there.
#[test]
fn telemetry_import_entries_equal_the_written_section() {
    let (Some(bundle), Some(sysmon), Some(dettect)) = (
        e18(),
        corpus("sysmon/swiftonsecurity-sysmonconfig-export.xml"),
        corpus("dettect/sample-data/data-sources-endpoints.yaml"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let head = "covmap: 1\nattack: {domain: enterprise, version: \"18.1\"}\n";
    let json = |path: &Path| -> serde_json::Value {
        let out = real_root(&bundle, &["assess", s(path), "--format", "json"]).ok_noisy();
        serde_json::from_str(&out.stdout).expect("assessment JSON")
    };
    // The entries the importer writes: the Sysmon entry is on Windows at quality 1, as the
    // host below, so its sources join the host; the DeTT&CT entries keep their own.
    let written = dir.path().join("written.yaml");
    real_root(
        &bundle,
        &["import", "auto", s(&sysmon), s(&dettect), "-o", s(&written)],
    )
    .ok_noisy();
    let by_import = write(
        dir.path(),
        "by-import.yaml",
        &format!(
            "{head}telemetry:\n  - id: endpoints\n    platforms: [Windows]\n    import: [{{format: sysmon, path: {}}}]\n  - id: soc\n    import:\n      - {{path: {}}}\n",
            serde_json::Value::from(s(&sysmon)),
            serde_json::Value::from(s(&dettect)),
        ),
    );
    let (a, b) = (json(&written), json(&by_import));
    let derived = |v: &serde_json::Value| v["telemetry"]["visibility_derived"].as_f64();
    assert!(derived(&a).is_some_and(|d| d > 0.0), "{}", a["telemetry"]);
    assert_eq!(derived(&a), derived(&b));
    assert_eq!(
        a["telemetry"]["leaves_visible"],
        b["telemetry"]["leaves_visible"]
    );
    // Findings and failures at the `import:` entry.
    let bad = write(
        dir.path(),
        "bad.yaml",
        &format!(
            "{head}telemetry:\n  - id: soc\n    import:\n      - {{format: dettect, path: {}}}\n      - {{format: sysmon, path: missing.xml}}\n",
            serde_json::Value::from(s(&dettect)),
        ),
    );
    real_root(&bundle, &["validate", s(&bad)]).stderr_has(&[
        "warning[import-findings]: telemetry `soc` imported",
        "bad.yaml:6:9",
        "Web [DeTT&CT data source]: a DeTT&CT data source",
        "error[import-failed]: nothing to import into telemetry `soc` as sysmon",
        "bad.yaml:7:9",
        "missing.xml",
    ]);
}
