//! `covmap attack show` on the synthetic fixtures.

use serde_json::{Value, json};

use crate::common::{Env, ids};

fn show_json(env: &Env, id: &str) -> Value {
    env.mini(&["attack", "show", id, "--format", "json"])
        .ok()
        .json()
}

#[test]
fn tables_of_every_kind() {
    let env = Env::new();
    for (id, name) in [
        ("T1059", "show_technique"),
        ("T1059.001", "show_subtechnique"),
        ("TA0002", "show_tactic"),
        ("G0016", "show_group"),
        ("S0154", "show_software"),
        ("M1040", "show_mitigation"),
        ("C0024", "show_campaign"),
        ("T1000", "show_revoked"),
        ("T1002", "show_deprecated"),
    ] {
        let out = env.mini(&["attack", "show", id]).ok();
        let title = out.stdout.lines().next().unwrap_or_default();
        assert!(title.starts_with(&format!("{id} ")), "{id}: {title}");
        let filters = env.filters();
        insta::with_settings!(
            {
                filters => filters.iter().map(|(re, to)| (re.as_str(), *to)),
                snapshot_suffix => name,
            },
            {
                insta::assert_snapshot!(out.stdout);
            }
        );
    }
}

#[test]
fn technique_json() {
    let env = Env::new();
    let doc = show_json(&env, "T1059");
    assert_eq!(doc["kind"], "technique");
    assert_eq!(doc["id"], "T1059");
    assert_eq!(doc["name"], "Command and Scripting Interpreter");
    assert_eq!(doc["subtechnique"], false);
    assert_eq!(doc["parent"], Value::Null);
    assert_eq!(doc["tactics"], json!(["execution"]));
    assert_eq!(doc["platforms"], json!(["Windows", "Linux", "macOS"]));
    assert_eq!(ids(&doc["subtechniques"]), ["T1059.001", "T1059.004"]);
    assert_eq!(doc["revoked"], false);
    assert_eq!(doc["deprecated"], false);
    assert!(doc.get("replaced_by").is_none());
    assert_eq!(doc["url"], "https://attack.mitre.org/techniques/T1059");
    assert!(
        doc["stix_id"]
            .as_str()
            .is_some_and(|s| s.starts_with("attack-pattern--"))
    );
    for key in ["description", "version", "created", "modified"] {
        assert!(doc[key].is_string(), "{key}: {}", doc[key]);
    }
    assert_eq!(ids(&doc["detection"]["strategies"]), ["DET0004"]);
    assert_eq!(
        ids(&doc["detection"]["strategies"][0]["analytics"]),
        ["AN0006"]
    );
}

#[test]
fn subtechnique_json() {
    let env = Env::new();
    let doc = show_json(&env, "T1059.001");
    assert_eq!(doc["kind"], "technique");
    assert_eq!(doc["subtechnique"], true);
    assert_eq!(
        doc["parent"],
        json!({"id": "T1059", "name": "Command and Scripting Interpreter"})
    );
    assert_eq!(doc["subtechniques"], json!([]));
    assert_eq!(
        doc["mitigations"],
        json!([{"id": "M1040", "name": "Behavior Prevention on Endpoint"}])
    );
    assert_eq!(
        doc["software"],
        json!([{"id": "S0154", "name": "Cobalt Strike"}])
    );
    assert_eq!(doc["campaigns"], json!([]));
    assert_eq!(
        doc["groups"],
        json!([
            {"id": "G0016", "name": "APT29", "via": [
                {"via": "campaign-software",
                 "campaign": {"id": "C0024", "name": "SolarWinds Compromise"},
                 "software": {"id": "S0154", "name": "Cobalt Strike"}}
            ]},
            {"id": "G0046", "name": "FIN7", "via": [
                {"via": "direct"},
                {"via": "software", "software": {"id": "S0154", "name": "Cobalt Strike"}}
            ]},
        ])
    );
    let detection = &doc["detection"];
    assert_eq!(ids(&detection["strategies"]), ["DET0005"]);
    let analytics = &detection["strategies"][0]["analytics"];
    assert_eq!(ids(analytics), ["AN0001", "AN0002"]);
    assert_eq!(analytics[0]["platforms"], json!(["Windows"]));
    assert_eq!(
        analytics[0]["log_sources"],
        json!([
            {"data_component": {"id": "DC0017", "name": "Command Execution"},
             "name": "WinEventLog:Sysmon", "channel": "EventCode=1"},
            {"data_component": {"id": "DC0009", "name": "Process Creation"},
             "name": "WinEventLog:Security", "channel": "EventCode=4688"},
        ])
    );
    let mut components = ids(&detection["data_components"]);
    components.sort_unstable();
    assert_eq!(components, ["DC0009", "DC0017", "DC0029"]);
}

#[test]
fn lookup_by_lowercase_id_name_alias_and_stix_id() {
    let env = Env::new();
    let by_id = show_json(&env, "T1059.001");
    assert_eq!(show_json(&env, "t1059.001"), by_id);
    assert_eq!(show_json(&env, "PowerShell"), by_id);
    let stix_id = by_id["stix_id"].as_str().unwrap().to_string();
    assert_eq!(show_json(&env, &stix_id), by_id);
    assert_eq!(show_json(&env, "Cozy Bear")["id"], "G0016");
    assert_eq!(show_json(&env, "execution")["id"], "TA0002");
}

#[test]
fn tactic_json_includes_subtechniques() {
    let env = Env::new();
    let doc = show_json(&env, "TA0002");
    assert_eq!(doc["kind"], "tactic");
    assert_eq!(doc["name"], "Execution");
    assert_eq!(doc["shortname"], "execution");
    assert_eq!(
        ids(&doc["techniques"]),
        ["T1053", "T1059", "T1059.001", "T1059.004"]
    );
}

#[test]
fn group_json() {
    let env = Env::new();
    let doc = show_json(&env, "G0016");
    assert_eq!(doc["kind"], "group");
    assert_eq!(doc["name"], "APT29");
    assert_eq!(doc["aliases"], json!(["APT29", "Cozy Bear", "NOBELIUM"]));
    assert_eq!(
        doc["software"],
        json!([{"id": "S0002", "name": "Mimikatz"}])
    );
    assert_eq!(
        doc["campaigns"],
        json!([{"id": "C0024", "name": "SolarWinds Compromise"}])
    );
    assert_eq!(doc["techniques"], 5);
    assert_eq!(show_json(&env, "G0046")["techniques"], 2);
}

#[test]
fn software_json() {
    let env = Env::new();
    let doc = show_json(&env, "S0002");
    assert_eq!(doc["kind"], "software");
    assert_eq!(doc["type"], "tool");
    assert_eq!(doc["aliases"], json!(["Mimikatz"]));
    assert_eq!(doc["platforms"], json!(["Windows"]));
    assert_eq!(
        doc["techniques"],
        json!([{"id": "T1003.001", "name": "LSASS Memory"}])
    );
    assert_eq!(doc["groups"], json!([{"id": "G0016", "name": "APT29"}]));
    let cobalt = show_json(&env, "S0154");
    assert_eq!(cobalt["type"], "malware");
    assert_eq!(ids(&cobalt["techniques"]), ["T1053", "T1059.001"]);
    assert_eq!(ids(&cobalt["groups"]), ["G0046"]);
}

#[test]
fn mitigation_json() {
    let env = Env::new();
    let doc = show_json(&env, "M1040");
    assert_eq!(doc["kind"], "mitigation");
    assert_eq!(doc["name"], "Behavior Prevention on Endpoint");
    assert_eq!(ids(&doc["techniques"]), ["T1003.001", "T1059.001"]);
    assert_eq!(
        ids(&show_json(&env, "M1017")["techniques"]),
        ["T1566", "T1566.001"]
    );
}

#[test]
fn campaign_json() {
    let env = Env::new();
    let doc = show_json(&env, "C0024");
    assert_eq!(doc["kind"], "campaign");
    assert_eq!(doc["name"], "SolarWinds Compromise");
    assert_eq!(doc["first_seen"], "2019-08-01T05:00:00.000Z");
    assert_eq!(doc["last_seen"], "2021-01-01T06:00:00.000Z");
    assert_eq!(doc["groups"], json!([{"id": "G0016", "name": "APT29"}]));
    assert_eq!(
        doc["software"],
        json!([{"id": "S0154", "name": "Cobalt Strike"}])
    );
    assert_eq!(ids(&doc["techniques"]), ["T1053", "T1059.001", "T1078"]);
}

#[test]
fn revoked_ids_name_their_final_replacement() {
    let env = Env::new();
    // T1000 -> T1001 (itself revoked) -> T1053.
    for id in ["T1000", "T1001"] {
        let doc = show_json(&env, id);
        assert_eq!(doc["id"], id);
        assert_eq!(doc["revoked"], true);
        assert_eq!(
            doc["replaced_by"],
            json!({"id": "T1053", "name": "Scheduled Task/Job"}),
            "{id}"
        );
        env.mini(&["attack", "show", id]).ok().stdout_has(&[
            "REVOKED: replaced by T1053 Scheduled Task/Job",
            "covmap attack show T1053",
        ]);
    }
}

#[test]
fn deprecated_id_says_so() {
    let env = Env::new();
    let doc = show_json(&env, "T1002");
    assert_eq!(doc["deprecated"], true);
    assert_eq!(doc["revoked"], false);
    assert!(doc.get("replaced_by").is_none());
    env.mini(&["attack", "show", "T1002"])
        .ok()
        .stdout_has(&["DEPRECATED: withdrawn from ATT&CK without replacement"]);
}

#[test]
fn ics_technique_json_lists_targeted_assets() {
    let env = Env::new();
    let doc = env
        .fx(
            "mini-ics-2.1.json",
            &["attack", "show", "T0819", "--format", "json"],
        )
        .ok()
        .json();
    assert_eq!(doc["tactics"], json!(["initial-access"]));
    assert_eq!(doc["platforms"], json!(["None"]));
    assert_eq!(ids(&doc["assets"]), ["A0001", "A0002"]);
    // Enterprise techniques carry no assets key.
    assert!(show_json(&env, "T1059").get("assets").is_none());
}

#[test]
fn csv_is_refused() {
    let env = Env::new();
    env.mini(&["attack", "show", "T1059", "--format", "csv"])
        .fails()
        .stderr_has(&["prints one object", "--format table or --format json"]);
}

#[test]
fn unknown_id_suggests_close_ones() {
    let env = Env::new();
    for format in ["table", "json"] {
        env.mini(&["attack", "show", "T1059.999", "--format", format])
            .fails()
            .stderr_has(&[
                "no ATT&CK object matches \"T1059.999\" in enterprise-attack 9.9",
                "did you mean",
                "T1059.001",
            ]);
    }
    // Nothing close: the hint says where to look instead.
    env.mini(&["attack", "show", "zzzzzzzzzzzzzz"])
        .fails()
        .stderr_has(&["no ATT&CK object matches", "covmap attack techniques"]);
}
