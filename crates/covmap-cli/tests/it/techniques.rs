//! `covmap attack techniques` on the synthetic fixtures.

use serde_json::json;

use crate::common::{Env, ids};

#[test]
fn table_lists_active_techniques_without_subtechniques() {
    let env = Env::new();
    let out = env.mini(&["attack", "techniques"]).ok();
    assert_text_snapshot!(env, "techniques_table", out.stdout);
}

#[test]
fn table_of_a_tactic_with_subtechniques() {
    let env = Env::new();
    let out = env
        .mini(&[
            "attack",
            "techniques",
            "--tactic",
            "execution",
            "--subtechniques",
        ])
        .ok();
    assert_text_snapshot!(env, "techniques_execution_subtechniques_table", out.stdout);
}

#[test]
fn json_lists_everything_active_with_subtechniques() {
    let env = Env::new();
    let doc = env
        .mini(&[
            "attack",
            "techniques",
            "--subtechniques",
            "--format",
            "json",
        ])
        .ok()
        .json();
    // Sorted by ID; revoked T1000/T1001 and deprecated T1002 are not listed.
    assert_eq!(
        ids(&doc),
        [
            "T1003",
            "T1003.001",
            "T1053",
            "T1059",
            "T1059.001",
            "T1059.004",
            "T1078",
            "T1566",
            "T1566.001",
            "T1566.002"
        ]
    );
    let powershell = &doc[4];
    assert_eq!(
        powershell,
        &json!({
            "id": "T1059.001",
            "name": "PowerShell",
            "tactics": ["execution"],
            "platforms": ["Windows"],
            "subtechnique": true,
            "parent": "T1059",
            "url": "https://attack.mitre.org/techniques/T1059/001",
        })
    );
    // The foreign mitre-pre-attack phase of T1078 is not a tactic.
    assert_eq!(doc[6]["tactics"], json!(["initial-access", "persistence"]));
    assert_eq!(doc[6]["parent"], serde_json::Value::Null);
    assert_eq!(doc[6]["subtechnique"], false);
}

#[test]
fn tactic_by_shortname_id_and_name() {
    let env = Env::new();
    let mut outputs = Vec::new();
    for tactic in ["execution", "TA0002", "ta0002", "Execution"] {
        let doc = env
            .mini(&[
                "attack",
                "techniques",
                "--tactic",
                tactic,
                "--format",
                "json",
            ])
            .ok()
            .json();
        assert_eq!(ids(&doc), ["T1053", "T1059"], "--tactic {tactic}");
        outputs.push(doc);
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]));

    let doc = env
        .mini(&[
            "attack",
            "techniques",
            "--tactic",
            "Credential Access",
            "--subtechniques",
            "--format",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(ids(&doc), ["T1003", "T1003.001"]);

    let doc = env
        .mini(&[
            "attack",
            "techniques",
            "--tactic",
            "initial-access",
            "--subtechniques",
            "--format",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(ids(&doc), ["T1078", "T1566", "T1566.001", "T1566.002"]);
}

#[test]
fn platform_filter_is_case_insensitive() {
    let env = Env::new();
    let doc = env
        .mini(&[
            "attack",
            "techniques",
            "--platform",
            "iaas",
            "--subtechniques",
            "--format",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(ids(&doc), ["T1078"]);
    let doc = env
        .mini(&[
            "attack",
            "techniques",
            "--platform",
            "Office Suite",
            "--subtechniques",
            "--format",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(ids(&doc), ["T1566", "T1566.002"]);
    // Tactic and platform filters combine.
    let doc = env
        .mini(&[
            "attack",
            "techniques",
            "--platform",
            "WINDOWS",
            "--tactic",
            "execution",
            "--subtechniques",
            "--format",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(ids(&doc), ["T1053", "T1059", "T1059.001"]);
}

#[test]
fn csv_has_header_and_joined_lists() {
    let env = Env::new();
    let out = env
        .mini(&[
            "attack",
            "techniques",
            "--tactic",
            "TA0002",
            "--subtechniques",
            "--format",
            "csv",
        ])
        .ok();
    let (header, rows) = out.csv();
    assert_eq!(header, ["id", "name", "tactics", "platforms"]);
    assert_eq!(
        rows,
        [
            [
                "T1053",
                "Scheduled Task/Job",
                "execution, persistence",
                "Windows, Linux"
            ],
            [
                "T1059",
                "Command and Scripting Interpreter",
                "execution",
                "Windows, Linux, macOS"
            ],
            ["T1059.001", "PowerShell", "execution", "Windows"],
            ["T1059.004", "Unix Shell", "execution", "Linux, macOS"],
        ]
    );
}

#[test]
fn unknown_tactic_lists_the_valid_ones() {
    let env = Env::new();
    env.mini(&["attack", "techniques", "--tactic", "nope"])
        .fails()
        .stderr_has(&[
            "no tactic \"nope\"",
            "hint: valid tactics are initial-access, execution, persistence, credential-access",
        ]);
    // TA0040 Impact exists as an object but is in no active matrix.
    env.mini(&["attack", "techniques", "--tactic", "impact"])
        .fails()
        .stderr_has(&["no tactic \"impact\"", "valid tactics are"]);
}

#[test]
fn unknown_platform_lists_the_valid_ones() {
    let env = Env::new();
    env.mini(&[
        "attack",
        "techniques",
        "--platform",
        "Amiga",
        "--format",
        "json",
    ])
    .fails()
    .stderr_has(&[
        "no platform \"Amiga\"",
        "hint: valid platforms are IaaS, Linux, macOS, Office Suite, Windows",
    ]);
}

#[test]
fn bad_format_is_a_usage_error() {
    let env = Env::new();
    env.mini(&["attack", "techniques", "--format", "xml"])
        .fails()
        .stderr_has(&["invalid value 'xml'", "table", "json", "csv"]);
}
