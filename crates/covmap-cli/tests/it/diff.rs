//! `covmap attack diff` on the synthetic fixtures (9.8 -> 9.9).

use serde_json::json;

use crate::common::{Env, Out, fixture, run};

fn diff(env: &Env, old: &str, new: &str, format: &str) -> Out {
    let mut cmd = env.cmd();
    cmd.args(["attack", "diff"])
        .arg(fixture(old))
        .arg(fixture(new))
        .args(["--format", format]);
    run(cmd)
}

#[test]
fn table() {
    let env = Env::new();
    let out = diff(
        &env,
        "mini-attack-9.8.json",
        "mini-attack-2.1.json",
        "table",
    )
    .ok();
    assert_text_snapshot!(env, "diff_table", out.stdout);
}

#[test]
fn json_matches_the_fixture_readme() {
    let env = Env::new();
    let doc = diff(&env, "mini-attack-9.8.json", "mini-attack-2.1.json", "json")
        .ok()
        .json();
    let none = json!({"added": [], "withdrawn": []});
    assert_eq!(
        doc,
        json!({
            "domain": "enterprise-attack",
            "old_version": "9.8",
            "new_version": "9.9",
            "tactics_added": [{"id": "TA0003", "name": "Persistence"}],
            "tactics_removed": [],
            "added": [{"id": "T1078", "name": "Valid Accounts"}],
            "removed": [{"id": "T1499", "name": "Removed Technique"}],
            "revoked": [{
                "technique": {"id": "T1000", "name": "Old Technique"},
                "replaced_by": {"id": "T1053", "name": "Scheduled Task/Job"},
            }],
            "deprecated": [{"id": "T1002", "name": "Deprecated Technique"}],
            "renamed": [{"id": "T1059.004", "old_name": "Unix Shell Old", "new_name": "Unix Shell"}],
            "reidentified": [],
            "tactics_changed": [{
                "id": "T1053", "name": "Scheduled Task/Job",
                "added": ["persistence"], "removed": [],
            }],
            "platforms_changed": [{
                "id": "T1003", "name": "OS Credential Dumping",
                "added": ["Linux"], "removed": [],
            }],
            "groups": none,
            "software": none,
            "campaigns": none,
            "mitigations": none,
        })
    );
}

#[test]
fn csv_rows() {
    let env = Env::new();
    let out = diff(&env, "mini-attack-9.8.json", "mini-attack-2.1.json", "csv").ok();
    let (header, rows) = out.csv();
    assert_eq!(header, ["change", "id", "name", "detail"]);
    let changes: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    assert_eq!(
        changes,
        [
            ("tactic-added", "TA0003"),
            ("added", "T1078"),
            ("removed", "T1499"),
            ("revoked", "T1000"),
            ("deprecated", "T1002"),
            ("renamed", "T1059.004"),
            ("tactics-changed", "T1053"),
            ("platforms-changed", "T1003"),
        ]
    );
    assert_eq!(rows[3][3], "replaced by T1053 Scheduled Task/Job");
    assert_eq!(rows[5][3], "was \"Unix Shell Old\"");
    assert_eq!(rows[6][3], "added persistence");
    assert_eq!(rows[7][3], "added Linux");
}

#[test]
fn same_release_has_no_changes() {
    let env = Env::new();
    let doc = diff(&env, "mini-attack-2.1.json", "mini-attack-2.1.json", "json")
        .ok()
        .json();
    for key in [
        "added",
        "removed",
        "revoked",
        "deprecated",
        "renamed",
        "reidentified",
        "tactics_changed",
        "platforms_changed",
        "tactics_added",
        "tactics_removed",
    ] {
        assert_eq!(doc[key], json!([]), "{key}");
    }
    let out = diff(
        &env,
        "mini-attack-2.1.json",
        "mini-attack-2.1.json",
        "table",
    )
    .ok();
    assert!(out.stdout.starts_with(
        "ATT&CK enterprise-attack: 9.9 -> 9.9\ntechniques: 0 added, 0 removed, 0 revoked"
    ));
}

#[test]
fn different_domains_are_refused() {
    let env = Env::new();
    diff(&env, "mini-attack-2.1.json", "mini-ics-2.1.json", "table")
        .fails()
        .stderr_has(&["cannot diff different domains: enterprise-attack and ics-attack"]);
}

#[test]
fn a_bad_side_is_named() {
    let env = Env::new();
    diff(&env, "mini-attack-9.8.json", "not-json.json", "json")
        .fails()
        .stderr_has(&["not-json.json"]);
    diff(&env, "missing.json", "mini-attack-2.1.json", "json")
        .fails()
        .stderr_has(&["missing.json"]);
}
