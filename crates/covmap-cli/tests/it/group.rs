//! `covmap attack group` on the synthetic fixtures.

use serde_json::json;

use crate::common::{Env, ids};

#[test]
fn apt29_table() {
    let env = Env::new();
    let out = env.mini(&["attack", "group", "APT29"]).ok();
    assert_text_snapshot!(env, "group_apt29_table", out.stdout);
}

#[test]
fn fin7_table() {
    let env = Env::new();
    let out = env.mini(&["attack", "group", "FIN7"]).ok();
    assert_text_snapshot!(env, "group_fin7_table", out.stdout);
}

#[test]
fn name_alias_and_id_give_the_same_group() {
    let env = Env::new();
    let docs: Vec<_> = ["APT29", "Cozy Bear", "G0016", "g0016", "nobelium"]
        .iter()
        .map(|q| {
            env.mini(&["attack", "group", q, "--format", "json"])
                .ok()
                .json()
        })
        .collect();
    assert!(docs.windows(2).all(|w| w[0] == w[1]));
    let doc = &docs[0];
    assert_eq!(
        doc["group"],
        json!({"id": "G0016", "name": "APT29", "aliases": ["APT29", "Cozy Bear", "NOBELIUM"]})
    );
    assert_eq!(
        doc["summary"],
        json!({"techniques": 5, "direct": 1, "via_software": 1, "via_campaign": 1,
               "via_campaign_software": 2})
    );
    assert_eq!(
        doc["software"],
        json!([{"id": "S0002", "name": "Mimikatz"}])
    );
    assert_eq!(
        doc["campaigns"],
        json!([{"id": "C0024", "name": "SolarWinds Compromise"}])
    );
    assert_eq!(
        ids(&doc["techniques"]),
        ["T1003.001", "T1053", "T1059.001", "T1078", "T1566.001"]
    );
    let via = |id: &str| {
        doc["techniques"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .unwrap()["via"]
            .clone()
    };
    assert_eq!(via("T1566.001"), json!([{"via": "direct"}]));
    assert_eq!(
        via("T1003.001"),
        json!([{"via": "software", "software": {"id": "S0002", "name": "Mimikatz"}}])
    );
    assert_eq!(
        via("T1078"),
        json!([{"via": "campaign", "campaign": {"id": "C0024", "name": "SolarWinds Compromise"}}])
    );
    assert_eq!(
        via("T1053"),
        json!([{"via": "campaign-software",
                "campaign": {"id": "C0024", "name": "SolarWinds Compromise"},
                "software": {"id": "S0154", "name": "Cobalt Strike"}}])
    );
    assert_eq!(
        doc["techniques"][1]["tactics"],
        json!(["execution", "persistence"])
    );
}

#[test]
fn inactive_uses_are_not_counted() {
    let env = Env::new();
    let doc = env
        .mini(&["attack", "group", "Carbon Spider", "--format", "json"])
        .ok()
        .json();
    assert_eq!(doc["group"]["id"], "G0046");
    // FIN7's use of T1566.002 is a deprecated relationship and T1002 is deprecated.
    assert_eq!(ids(&doc["techniques"]), ["T1053", "T1059.001"]);
    assert_eq!(
        doc["summary"],
        json!({"techniques": 2, "direct": 1, "via_software": 2, "via_campaign": 0,
               "via_campaign_software": 0})
    );
    assert_eq!(doc["campaigns"], json!([]));
}

#[test]
fn csv_spells_routes_out() {
    let env = Env::new();
    let out = env
        .mini(&["attack", "group", "G0016", "--format", "csv"])
        .ok();
    let (header, rows) = out.csv();
    assert_eq!(header, ["id", "name", "tactics", "via"]);
    assert_eq!(
        rows,
        [
            [
                "T1003.001",
                "LSASS Memory",
                "credential-access",
                "software S0002 Mimikatz"
            ],
            [
                "T1053",
                "Scheduled Task/Job",
                "execution, persistence",
                "campaign C0024 SolarWinds Compromise via software S0154 Cobalt Strike"
            ],
            [
                "T1059.001",
                "PowerShell",
                "execution",
                "campaign C0024 SolarWinds Compromise via software S0154 Cobalt Strike"
            ],
            [
                "T1078",
                "Valid Accounts",
                "initial-access, persistence",
                "campaign C0024 SolarWinds Compromise"
            ],
            [
                "T1566.001",
                "Spearphishing Attachment",
                "initial-access",
                "direct"
            ],
        ]
    );
    // Several routes are joined with "; ".
    let fin7 = env
        .mini(&["attack", "group", "FIN7", "--format", "csv"])
        .ok();
    let (_, rows) = fin7.csv();
    assert_eq!(rows[1][3], "direct; software S0154 Cobalt Strike");
}

#[test]
fn other_kinds_are_refused_with_a_hint() {
    let env = Env::new();
    env.mini(&["attack", "group", "T1059"])
        .fails()
        .stderr_has(&[
            "\"T1059\" is the technique T1059 Command and Scripting Interpreter, not a group",
            "hint: use `covmap attack show T1059`",
        ]);
    env.mini(&["attack", "group", "Mimikatz", "--format", "json"])
        .fails()
        .stderr_has(&["is the software S0002 Mimikatz, not a group"]);
    env.mini(&["attack", "group", "C0024", "--format", "csv"])
        .fails()
        .stderr_has(&["not a group"]);
}

#[test]
fn unknown_group_suggests() {
    let env = Env::new();
    env.mini(&["attack", "group", "APT2"]).fails().stderr_has(&[
        "no ATT&CK object matches \"APT2\"",
        "did you mean",
        "APT29",
    ]);
}
