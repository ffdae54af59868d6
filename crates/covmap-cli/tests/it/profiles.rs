//! issue 17 §2: threat profiles of real corpora through the binary: the
//! summary line per profile, the findings, and `scope.threats.profiles` in assessment.json.
//!
//! Technique counts computed with python3 over the raw files and the raw 18.1 STIX bundle
//! (crates/covmap-import/tests/it/profile.rs says how): Red Canary 17 (of 18 listed, T1053
//! carries nothing), DeTT&CT groups.yaml 36 (21 direct + 15 only through S0002 Mimikatz's
//! `uses`), KEV 131 distinct IDs; fixtures/profiles/prevalence.csv lists T1059.001, T1003.001
//! and T9999 (unknown): 2.

use serde_json::json;

use crate::inv::{e18, real_root};

const INVENTORY: &str = "fixtures/profiles/real-profiles.yaml";

#[test]
fn real_profiles_are_read_summarised_and_listed_in_the_assessment() {
    let Some(bundle) = e18() else {
        return;
    };
    let out = real_root(&bundle, &["assess", INVENTORY, "--format", "json"]).ok_noisy();
    let out = out.stderr_has(&[
        "warning[threat-profile-findings]: threat profile `prevalence.csv` read with 1 finding",
        "fixtures/profiles/prevalence.csv:4:1: `T9999` is not a technique of enterprise ATT&CK 18.1: left out",
        "covmap: threat profile `KEV` (ctid, weight 1): 131 techniques\n",
        "covmap: threat profile `Red Canary 2022` (navigator, weight 1): 17 techniques; left out: 1 with no score, comment, colour or metadata\n",
        "covmap: threat profile `groups.yaml` (dettect, weight 2): 36 techniques, 21 direct, 15 through software only; left out: 1 group with `enabled: false`\n",
        "covmap: threat profile `prevalence.csv` (csv, weight 0.5): 2 techniques\n",
    ]);
    let doc = out.json();
    assert_eq!(
        doc["scope"]["threats"]["profiles"],
        json!([
            {"name": "KEV", "path": "../../../shared/data/corpora/ctid/mappings-explorer/mappings/kev/attack-15.1/kev-02.13.2025/enterprise/kev-02.13.2025_attack-15.1-enterprise.json", "format": "ctid", "weight": 1.0, "techniques": 131},
            {"name": "Red Canary 2022", "path": "../../../shared/data/corpora/navigator/dettect-threat-actor-data/20220322-RedCanary/attack_redcanary---2022-threat-detection-report.json", "format": "navigator", "weight": 1.0, "techniques": 17},
            {"name": "groups.yaml", "path": "../../../shared/data/corpora/dettect/sample-data/groups.yaml", "format": "dettect", "weight": 2.0, "techniques": 36},
            {"name": "prevalence.csv", "path": "prevalence.csv", "format": "csv", "weight": 0.5, "techniques": 2},
        ])
    );
}

/// A profile reaches the engine: leaf weights from a DeTT&CT group
/// profile of weight 2 with `scoring.threat_software_factor: 0.25`, taken from the inventory.
/// python3 over groups.yaml and the raw 18.1 STIX: T1059.001 is listed by the enabled group
/// (2 x 1); T1003.002 only reached through S0002 Mimikatz's `uses` (2 x 0.25); T1486 is listed
/// only by the disabled group (not used: 0).
#[test]
fn a_dettect_profile_weights_leaves_with_the_inventorys_software_factor() {
    let Some(bundle) = e18() else {
        return;
    };
    let groups =
        crate::common::repo_root().join("../shared/data/corpora/dettect/sample-data/groups.yaml");
    let dir = tempfile::tempdir().expect("temp dir");
    let inventory = dir.path().join("inventory.yaml");
    std::fs::write(
        &inventory,
        format!(
            "covmap: 1\nscoring: {{threat_software_factor: 0.25}}\nscope:\n  threats:\n    profiles:\n      - {{path: {}, weight: 2}}\ncapabilities:\n  - id: edr\n    coverage:\n      - {{techniques: [T1059.001], function: detect, level: partial}}\n",
            serde_json::to_string(&groups.display().to_string()).expect("a string")
        ),
    )
    .expect("write");
    let inventory = inventory.display().to_string();
    let out = real_root(&bundle, &["assess", &inventory, "--format", "json"]).ok_noisy();
    let doc = out.json();
    let weight = |id: &str| {
        doc["techniques"]
            .as_array()
            .expect("techniques")
            .iter()
            .find(|t| t["id"] == id)
            .map(|t| t["weight"].clone())
    };
    assert_eq!(weight("T1059.001"), Some(json!(2.0)));
    assert_eq!(weight("T1003.002"), Some(json!(0.5)));
    assert_eq!(weight("T1486"), Some(json!(0.0)));
    assert!(
        doc["overall_weighted"].is_number(),
        "{}",
        doc["overall_weighted"]
    );
    assert_eq!(
        doc["scope"]["threats"]["profiles"][0]["techniques"],
        json!(36)
    );
    // The weight is explained: the leaf names the profile and its use (T1059.001: a group's own
    // technique; T1003.002: only through Mimikatz, at the factor 0.25); a leaf no threat uses
    // names none.
    let profiles = |id: &str| {
        doc["techniques"]
            .as_array()
            .expect("techniques")
            .iter()
            .find(|t| t["id"] == id)
            .map(|t| t["threat_profiles"].clone())
    };
    assert_eq!(
        profiles("T1059.001"),
        Some(json!([{"name": "groups.yaml", "value": 1.0, "direct": true}]))
    );
    assert_eq!(
        profiles("T1003.002"),
        Some(json!([{"name": "groups.yaml", "value": 0.25, "direct": false}]))
    );
    assert_eq!(profiles("T1486"), Some(serde_json::Value::Null));
    let gaps = real_root(
        &bundle,
        &["gaps", &inventory, "--format", "csv", "--top", "3"],
    )
    .ok_noisy();
    assert!(
        gaps.stdout.contains(",profile groups.yaml,"),
        "gaps name the profile that weights them:\n{}",
        gaps.stdout
    );
}
