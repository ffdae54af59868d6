//! `covmap attack info` on the synthetic fixtures.

use serde_json::json;

use crate::common::{Env, fixture};

#[test]
fn table_from_the_cache() {
    let env = Env::new();
    env.store("mini-attack-2.1.json", "enterprise-attack-9.9.json");
    let out = env.run(&["attack", "info"]).ok();
    assert_text_snapshot!(env, "info_table", out.stdout);
}

#[test]
fn table_of_ics_fixture() {
    let env = Env::new();
    let out = env.fx("mini-ics-2.1.json", &["attack", "info"]).ok();
    assert_text_snapshot!(env, "info_table_ics", out.stdout);
}

#[test]
fn json_has_exact_counts() {
    let env = Env::new();
    let doc = env
        .mini(&["attack", "info", "--format", "json"])
        .ok()
        .json();
    let expected = json!({
        "domain": "enterprise-attack",
        "name": "Mini ATT&CK",
        "version": "9.9",
        "spec_version": "2.1",
        "source": fixture("mini-attack-2.1.json").display().to_string(),
        "source_kind": "file",
        "tactics": 4,
        "techniques": 5,
        "subtechniques": 5,
        "groups": 2,
        "software": 2,
        "mitigations": 2,
        "campaigns": 1,
        "data_sources": 0,
        "data_components": 5,
        "detection_strategies": 10,
        "analytics": 11,
        "assets": 0,
        "revoked_techniques": 2,
        "deprecated_techniques": 1,
        "platforms": ["IaaS", "Linux", "macOS", "Office Suite", "Windows"],
        "tactic_order": [
            {"id": "TA0001", "name": "Initial Access", "shortname": "initial-access"},
            {"id": "TA0002", "name": "Execution", "shortname": "execution"},
            {"id": "TA0003", "name": "Persistence", "shortname": "persistence"},
            {"id": "TA0006", "name": "Credential Access", "shortname": "credential-access"},
        ],
    });
    for (key, want) in expected.as_object().unwrap() {
        assert_eq!(&doc[key], want, "info field {key}");
    }
}

#[test]
fn json_of_older_and_other_bundles() {
    let env = Env::new();
    let old = env
        .fx(
            "mini-attack-9.8.json",
            &["attack", "info", "--format", "json"],
        )
        .ok()
        .json();
    assert_eq!(old["version"], "9.8");
    assert_eq!(old["tactics"], 3);
    assert_eq!(old["techniques"], 7);
    assert_eq!(old["subtechniques"], 5);
    assert_eq!(old["revoked_techniques"], 1);
    assert_eq!(old["deprecated_techniques"], 0);
    assert_eq!(old["detection_strategies"], 12);
    assert_eq!(old["analytics"], 13);

    // STIX 2.0 has no collection object: the version is unknown (null), not invented.
    let stix20 = env
        .fx(
            "mini-attack-stix20.json",
            &["attack", "info", "--format", "json"],
        )
        .ok()
        .json();
    assert_eq!(stix20["domain"], "enterprise-attack");
    assert_eq!(stix20["version"], serde_json::Value::Null);
    assert_eq!(stix20["spec_version"], "2.0");
    assert_eq!(
        (
            &stix20["tactics"],
            &stix20["techniques"],
            &stix20["subtechniques"]
        ),
        (&json!(3), &json!(3), &json!(3))
    );
    assert_eq!(stix20["groups"], 1);
    assert_eq!(stix20["campaigns"], 0);
    assert_eq!(stix20["revoked_techniques"], 1);

    let ics = env
        .fx("mini-ics-2.1.json", &["attack", "info", "--format", "json"])
        .ok()
        .json();
    assert_eq!(ics["domain"], "ics-attack");
    assert_eq!(ics["version"], "9.9");
    assert_eq!(ics["tactics"], 2);
    assert_eq!(ics["techniques"], 3);
    assert_eq!(ics["subtechniques"], 0);
    assert_eq!(ics["assets"], 2);
    assert_eq!(ics["deprecated_techniques"], 1);
    assert_eq!(ics["platforms"], json!(["None"]));
}

#[test]
fn csv_is_field_value_rows_of_scalars() {
    let env = Env::new();
    let out = env.mini(&["attack", "info", "--format", "csv"]).ok();
    let (header, rows) = out.csv();
    assert_eq!(header, ["field", "value"]);
    let get = |field: &str| {
        rows.iter()
            .find(|r| r[0] == field)
            .map_or_else(|| panic!("no {field} row in {rows:?}"), |r| r[1].as_str())
    };
    assert_eq!(get("domain"), "enterprise-attack");
    assert_eq!(get("version"), "9.9");
    assert_eq!(get("name"), "Mini ATT&CK");
    assert_eq!(get("techniques"), "5");
    assert_eq!(get("subtechniques"), "5");
    assert_eq!(get("groups"), "2");
    assert_eq!(get("campaigns"), "1");
    // Lists (tactic order, platforms) are JSON/table only.
    assert!(
        rows.iter()
            .all(|r| r[0] != "platforms" && r[0] != "tactic_order")
    );
    assert!(rows.iter().all(|r| r.len() == 2));
}

#[test]
fn no_cache_reads_the_bundle_and_writes_no_model() {
    let env = Env::new();
    let out = env
        .mini(&["--no-cache", "attack", "info", "--format", "json"])
        .ok();
    assert_eq!(out.json()["techniques"], 5);
    assert!(env.files().is_empty(), "files written: {:?}", env.files());

    // Without --no-cache the parsed model is cached, and a second run gives the same answer.
    let first = env.mini(&["attack", "info", "--format", "json"]).ok();
    // Beside the model, a stamp of the bundle (it saves hashing it on the next run).
    let files = env.files();
    let ext = |f: &String| {
        std::path::Path::new(f)
            .extension()
            .map(|e| e.to_string_lossy().into_owned())
    };
    let models: Vec<_> = files
        .iter()
        .filter(|f| ext(f).as_deref() == Some("model"))
        .collect();
    assert_eq!(models.len(), 1, "one cached model: {files:?}");
    assert!(models[0].starts_with("models/"), "{files:?}");
    assert!(
        files
            .iter()
            .all(|f| f.starts_with("models/")
                && matches!(ext(f).as_deref(), Some("model" | "stamp"))),
        "{files:?}"
    );
    let second = env.mini(&["attack", "info", "--format", "json"]).ok();
    assert_eq!(first.stdout, second.stdout);
    assert_eq!(first.stdout, out.stdout);
}
