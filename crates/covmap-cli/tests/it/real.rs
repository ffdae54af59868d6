//! The real ATT&CK bundles in `../shared/data/attack/` (skipped with a notice when absent,
//! failing when `CI=true`). Expected figures were computed independently with Python's json
//! module: active = neither `revoked` nor `x_mitre_deprecated`; relationships count when active
//! and between active objects.

use serde_json::{Value, json};

use crate::common::{
    ids, real, real_cache, real_cmd, run, run_into_closed_pipe, run_real, std_covmap,
};

const E18: &str = "enterprise-attack-18.1.json";
const E15: &str = "enterprise-attack-15.1.json";
const M18: &str = "mobile-attack-18.1.json";
const I18: &str = "ics-attack-18.1.json";

const COUNT_KEYS: [&str; 9] = [
    "domain",
    "version",
    "tactics",
    "techniques",
    "subtechniques",
    "groups",
    "software",
    "mitigations",
    "campaigns",
];

fn info_counts(name: &'static str) -> Option<Value> {
    let path = real(name)?;
    let doc = run_real(&path, &["attack", "info", "--format", "json"])
        .ok()
        .json();
    assert_eq!(doc["source"], path.display().to_string());
    Some(Value::Object(
        COUNT_KEYS
            .iter()
            .map(|k| ((*k).to_string(), doc[*k].clone()))
            .collect(),
    ))
}

#[test]
fn info_enterprise_18() {
    let Some(counts) = info_counts(E18) else {
        return;
    };
    assert_eq!(
        counts,
        json!({"domain": "enterprise-attack", "version": "18.1", "tactics": 14,
               "techniques": 216, "subtechniques": 475, "groups": 172, "software": 784,
               "mitigations": 44, "campaigns": 52})
    );
}

#[test]
fn info_enterprise_15() {
    let Some(counts) = info_counts(E15) else {
        return;
    };
    assert_eq!(
        counts,
        json!({"domain": "enterprise-attack", "version": "15.1", "tactics": 14,
               "techniques": 202, "subtechniques": 435, "groups": 148, "software": 677,
               "mitigations": 43, "campaigns": 28})
    );
}

#[test]
fn info_mobile_18() {
    let Some(counts) = info_counts(M18) else {
        return;
    };
    assert_eq!(
        counts,
        json!({"domain": "mobile-attack", "version": "18.1", "tactics": 12,
               "techniques": 77, "subtechniques": 47, "groups": 17, "software": 122,
               "mitigations": 13, "campaigns": 3})
    );
}

#[test]
fn info_ics_18() {
    let Some(counts) = info_counts(I18) else {
        return;
    };
    assert_eq!(
        counts,
        json!({"domain": "ics-attack", "version": "18.1", "tactics": 12,
               "techniques": 83, "subtechniques": 0, "groups": 14, "software": 23,
               "mitigations": 52, "campaigns": 7})
    );
}

#[test]
fn info_table_and_csv_enterprise_18() {
    let Some(path) = real(E18) else {
        return;
    };
    run_real(&path, &["attack", "info"]).ok().stdout_has(&[
        "Enterprise ATT&CK 18.1\n",
        "  domain                 enterprise-attack\n",
        "  techniques             216\n",
        "  subtechniques          475\n",
        "TA0043 Reconnaissance (reconnaissance)",
    ]);
    let out = run_real(&path, &["attack", "info", "--format", "csv"]).ok();
    let (header, rows) = out.csv();
    assert_eq!(header, ["field", "value"]);
    assert!(rows.contains(&vec!["groups".to_string(), "172".to_string()]));
}

#[test]
fn impact_techniques() {
    let Some(path) = real(E18) else {
        return;
    };
    for tactic in ["impact", "TA0040", "Impact"] {
        let doc = run_real(
            &path,
            &[
                "attack",
                "techniques",
                "--tactic",
                tactic,
                "--format",
                "json",
            ],
        )
        .ok()
        .json();
        let list = doc.as_array().unwrap();
        assert_eq!(list.len(), 15, "--tactic {tactic}");
        assert!(list.iter().all(|t| t["subtechnique"] == false));
        assert!(
            list.iter()
                .all(|t| t["tactics"].as_array().unwrap().contains(&json!("impact")))
        );
    }
    let out = run_real(
        &path,
        &[
            "attack",
            "techniques",
            "--tactic",
            "impact",
            "--subtechniques",
            "--format",
            "csv",
        ],
    )
    .ok();
    let (header, rows) = out.csv();
    assert_eq!(header, ["id", "name", "tactics", "platforms"]);
    assert_eq!(rows.len(), 33);
    assert!(rows.iter().any(|r| r[0] == "T1485"), "Data Destruction");
    let table = run_real(&path, &["attack", "techniques", "--tactic", "impact"]).ok();
    // Header, rule, 15 rows.
    assert_eq!(table.stdout.lines().count(), 17, "{}", table.stdout);
}

#[test]
fn unknown_tactic_and_platform_on_real_data() {
    let Some(path) = real(E18) else {
        return;
    };
    run_real(&path, &["attack", "techniques", "--tactic", "TA9999"])
        .fails()
        .stderr_has(&[
            "no tactic \"TA9999\" in enterprise-attack 18.1",
            "reconnaissance",
            "impact",
        ]);
    run_real(&path, &["attack", "techniques", "--platform", "Amiga"])
        .fails()
        .stderr_has(&["no platform \"Amiga\"", "Windows", "IaaS"]);
    let doc = run_real(
        &path,
        &[
            "attack",
            "techniques",
            "--platform",
            "esxi",
            "--format",
            "json",
        ],
    )
    .ok()
    .json();
    assert!(
        doc.as_array()
            .unwrap()
            .iter()
            .all(|t| t["platforms"].as_array().unwrap().contains(&json!("ESXi")))
    );
}

#[test]
fn revoked_subtechnique_is_replaced() {
    let Some(path) = real(E18) else {
        return;
    };
    run_real(&path, &["attack", "show", "T1574.002"])
        .ok()
        .stdout_has(&[
            "T1574.002 DLL Side-Loading (technique)",
            "REVOKED: replaced by T1574.001 DLL (see `covmap attack show T1574.001`)",
        ]);
    let doc = run_real(&path, &["attack", "show", "T1574.002", "--format", "json"])
        .ok()
        .json();
    assert_eq!(doc["revoked"], true);
    assert_eq!(
        doc["replaced_by"],
        json!({"id": "T1574.001", "name": "DLL"})
    );
}

#[test]
fn unknown_id_on_real_data_suggests() {
    let Some(path) = real(E18) else {
        return;
    };
    run_real(&path, &["attack", "show", "T1059.999"])
        .fails()
        .stderr_has(&[
            "no ATT&CK object matches \"T1059.999\" in enterprise-attack 18.1",
            "did you mean",
            "T1059 (Command and Scripting Interpreter)",
        ]);
}

#[test]
fn show_kinds_on_real_data() {
    let Some(path) = real(E18) else {
        return;
    };
    let show = |id: &str| {
        run_real(&path, &["attack", "show", id, "--format", "json"])
            .ok()
            .json()
    };
    let t = show("T1059.001");
    assert_eq!(t["name"], "PowerShell");
    assert_eq!(t["parent"]["id"], "T1059");
    assert!(!t["detection"]["strategies"].as_array().unwrap().is_empty());
    assert!(ids(&t["groups"]).contains(&"G0016"));
    assert_eq!(show("TA0002")["shortname"], "execution");
    assert_eq!(show("S0002")["name"], "Mimikatz");
    assert_eq!(show("C0024")["name"], "SolarWinds Compromise");
    assert_eq!(show("M1036")["kind"], "mitigation");
    assert_eq!(show("G0016")["techniques"], 249);
}

#[test]
fn apt29_by_every_name() {
    let Some(path) = real(E18) else {
        return;
    };
    for query in ["APT29", "Cozy Bear", "G0016"] {
        let doc = run_real(&path, &["attack", "group", query, "--format", "json"])
            .ok()
            .json();
        assert_eq!(doc["group"]["id"], "G0016", "{query}");
        assert_eq!(
            doc["summary"],
            json!({"techniques": 249, "direct": 66, "via_software": 204, "via_campaign": 75,
                   "via_campaign_software": 134}),
            "{query}"
        );
        assert_eq!(doc["techniques"].as_array().unwrap().len(), 249);
    }
    let out = run_real(&path, &["attack", "group", "Cozy Bear", "--format", "csv"]).ok();
    let (header, rows) = out.csv();
    assert_eq!(header, ["id", "name", "tactics", "via"]);
    assert_eq!(rows.len(), 249);
    assert!(rows.iter().all(|r| r.len() == 4 && !r[3].is_empty()));
    let table = run_real(&path, &["attack", "group", "G0016"]).ok();
    assert!(table.stdout.starts_with(
        "G0016 APT29 (APT29, IRON RITUAL, IRON HEMLOCK, NobleBaron, Dark Halo, NOBELIUM, UNC2452, YTTRIUM, The Dukes, Cozy Bear, CozyDuke, SolarStorm, Blue Kitsune, UNC3524, Midnight Blizzard): 249 techniques; 66 direct, 204 via software, 75 via campaigns, 134 via campaign software\n"
    ), "{}", &table.stdout[..300]);
}

#[test]
fn group_refuses_other_kinds_on_real_data() {
    let Some(path) = real(E18) else {
        return;
    };
    run_real(&path, &["attack", "group", "S0002"])
        .fails()
        .stderr_has(&["is the software S0002 Mimikatz, not a group"]);
}

#[test]
fn diff_15_to_18() {
    let (Some(old), Some(new)) = (real(E15), real(E18)) else {
        return;
    };
    let mut cmd = real_cmd();
    cmd.args(["attack", "diff"])
        .arg(&old)
        .arg(&new)
        .args(["--format", "json"]);
    let doc = run(cmd).ok().json();
    assert_eq!(doc["domain"], "enterprise-attack");
    assert_eq!(doc["old_version"], "15.1");
    assert_eq!(doc["new_version"], "18.1");
    let len = |key: &str| doc[key].as_array().map(Vec::len);
    assert_eq!(len("added"), Some(55));
    assert_eq!(len("removed"), Some(0));
    assert_eq!(len("deprecated"), Some(0));
    assert_eq!(len("renamed"), Some(8));
    assert_eq!(len("platforms_changed"), Some(231));
    assert_eq!(
        doc["revoked"],
        json!([{"technique": {"id": "T1574.002", "name": "DLL Side-Loading"},
                "replaced_by": {"id": "T1574.001", "name": "DLL"}}])
    );
    let renamed: Vec<&str> = doc["renamed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        renamed,
        [
            "T1001.003",
            "T1036.003",
            "T1036.005",
            "T1176",
            "T1219",
            "T1497.003",
            "T1552.003",
            "T1574.001"
        ]
    );
    assert_eq!(
        doc["tactics_changed"],
        json!([{"id": "T1112", "name": "Modify Registry", "added": ["persistence"], "removed": []}])
    );

    let mut cmd = real_cmd();
    cmd.args(["attack", "diff"]).arg(&old).arg(&new);
    let table = run(cmd).ok();
    assert!(table.stdout.starts_with(
        "ATT&CK enterprise-attack: 15.1 -> 18.1\ntechniques: 55 added, 0 removed, 1 revoked, 0 deprecated, 8 renamed, 1 moved between tactics, 231 with platform changes; tactics: 0 added, 0 removed\n"
    ));
}

#[test]
fn diff_of_different_domains_is_refused() {
    let (Some(enterprise), Some(mobile)) = (real(E18), real(M18)) else {
        return;
    };
    let mut cmd = real_cmd();
    cmd.args(["attack", "diff"]).arg(&enterprise).arg(&mobile);
    run(cmd)
        .fails()
        .stderr_has(&["cannot diff different domains: enterprise-attack and mobile-attack"]);
}

#[test]
fn closed_pipe_with_large_output_exits_0() {
    let Some(path) = real(E18) else {
        return;
    };
    // Each of these is far larger than a pipe buffer.
    for format in ["table", "json", "csv"] {
        let mut cmd = std_covmap(real_cache());
        cmd.arg("--attack").arg(&path).args([
            "attack",
            "techniques",
            "--subtechniques",
            "--format",
            format,
        ]);
        let (code, stderr) = run_into_closed_pipe(cmd);
        assert_eq!(code, Some(0), "{format}: {stderr}");
        assert!(stderr.is_empty(), "{format}: {stderr}");
    }
}
