//! Tests on MITRE's real bundles in `../shared/data/attack/`.
//!
//! Expected figures were computed independently with python3's json module over the bundles'
//! `objects` (active = not `revoked` and not `x_mitre_deprecated`; a relationship counts when
//! it is neither itself and both its ends are active), e.g. for active techniques:
//! `python3 -c 'import json; o=json.load(open(F))["objects"]; print(sum(1 for x in o
//! if x["type"]=="attack-pattern" and not x.get("revoked") and not x.get("x_mitre_deprecated")
//! and not x.get("x_mitre_is_subtechnique")))'`. They agree with the per-type totals in
//! `../shared/data/attack/SOURCES.md`.

use std::collections::{BTreeSet, HashMap};

use covmap_core::{Attack, Counts, Kind, Route};

use crate::common::{enterprise_15, enterprise_18, ics_18, mobile_18, shared_bundle};

fn tactic_ids(attack: &Attack) -> Vec<&str> {
    attack.tactics().map(|t| t.meta.id()).collect()
}

fn check_counts(attack: &Attack, expected: &Counts) {
    let mut counts = attack.counts();
    // Relationship totals are checked separately.
    counts.relationships = 0;
    assert_eq!(&counts, expected);
}

#[test]
fn enterprise_18_1_counts_and_tactics() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    assert_eq!(attack.domain(), "enterprise-attack");
    assert_eq!(attack.version(), Some("18.1"));
    assert_eq!(attack.spec_version(), "2.1");
    assert_eq!(attack.kill_chain(), "mitre-attack");
    check_counts(
        attack,
        &Counts {
            tactics: 14,
            techniques: 216,
            subtechniques: 475,
            groups: 172,
            software: 784,
            mitigations: 44,
            campaigns: 52,
            data_sources: 0,
            data_components: 106,
            detection_strategies: 691,
            analytics: 1739,
            assets: 0,
            revoked_techniques: 132,
            deprecated_techniques: 12,
            relationships: 0,
        },
    );
    assert_eq!(
        tactic_ids(attack),
        [
            "TA0043", "TA0042", "TA0001", "TA0002", "TA0003", "TA0004", "TA0005", "TA0006",
            "TA0007", "TA0008", "TA0009", "TA0011", "TA0010", "TA0040"
        ]
    );
    // Per tactic, active techniques + sub-techniques (python: kill_chain_phases per object).
    let per_tactic: Vec<usize> = attack
        .tactics()
        .map(|t| attack.techniques_in_tactic(&t.shortname).len())
        .collect();
    assert_eq!(
        per_tactic,
        [45, 47, 22, 46, 126, 109, 215, 67, 49, 23, 41, 45, 19, 33]
    );
    assert!(attack.warnings().is_empty(), "{:?}", attack.warnings());
}

#[test]
fn enterprise_15_1_is_stix_2_0_with_the_version_from_its_file_name() {
    let Some(attack) = enterprise_15() else {
        return;
    };
    assert_eq!(attack.spec_version(), "2.0");
    assert_eq!(attack.version(), Some("15.1"));
    check_counts(
        attack,
        &Counts {
            tactics: 14,
            techniques: 202,
            subtechniques: 435,
            groups: 148,
            software: 677,
            mitigations: 43,
            campaigns: 28,
            data_sources: 37,
            data_components: 106,
            detection_strategies: 0,
            analytics: 0,
            assets: 0,
            revoked_techniques: 131,
            deprecated_techniques: 12,
            relationships: 0,
        },
    );
    assert_eq!(tactic_ids(attack), tactic_ids_of_18());
}

fn tactic_ids_of_18() -> Vec<&'static str> {
    vec![
        "TA0043", "TA0042", "TA0001", "TA0002", "TA0003", "TA0004", "TA0005", "TA0006", "TA0007",
        "TA0008", "TA0009", "TA0011", "TA0010", "TA0040",
    ]
}

#[test]
fn mobile_18_1_uses_the_active_matrix_only() {
    let Some(attack) = mobile_18() else { return };
    assert_eq!(attack.domain(), "mobile-attack");
    assert_eq!(attack.kill_chain(), "mitre-mobile-attack");
    check_counts(
        attack,
        &Counts {
            tactics: 12,
            techniques: 77,
            subtechniques: 47,
            groups: 17,
            software: 122,
            mitigations: 13,
            campaigns: 3,
            data_sources: 0,
            data_components: 17,
            detection_strategies: 124,
            analytics: 211,
            assets: 0,
            revoked_techniques: 53,
            deprecated_techniques: 13,
            relationships: 0,
        },
    );
    let shortnames: Vec<&str> = attack.tactics().map(|t| t.shortname.as_str()).collect();
    // The deprecated matrix's network-effects and remote-service-effects must not appear.
    assert_eq!(
        shortnames,
        [
            "initial-access",
            "execution",
            "persistence",
            "privilege-escalation",
            "defense-evasion",
            "credential-access",
            "discovery",
            "lateral-movement",
            "collection",
            "command-and-control",
            "exfiltration",
            "impact"
        ]
    );
}

#[test]
fn ics_18_1_has_assets_and_targets() {
    let Some(attack) = ics_18() else { return };
    assert_eq!(attack.domain(), "ics-attack");
    check_counts(
        attack,
        &Counts {
            tactics: 12,
            techniques: 83,
            subtechniques: 0,
            groups: 14,
            software: 23,
            mitigations: 52,
            campaigns: 7,
            data_sources: 0,
            data_components: 36,
            detection_strategies: 83,
            analytics: 82,
            assets: 18,
            revoked_techniques: 0,
            deprecated_techniques: 12,
            relationships: 0,
        },
    );
    let targeted: usize = attack
        .active_techniques()
        .iter()
        .map(|t| attack.assets_targeted_by(t).len())
        .sum();
    // 685 `targets` relationships in SOURCES.md, all between active objects.
    assert_eq!(targeted, 685);
}

#[test]
fn t1574_002_is_active_in_15_1_and_revoked_in_18_1() {
    let (Some(old), Some(new)) = (enterprise_15(), enterprise_18()) else {
        return;
    };
    let before = old.technique("T1574.002").unwrap();
    assert!(before.meta.is_active());
    assert_eq!(before.meta.name, "DLL Side-Loading");
    let after = new.technique("t1574.002").unwrap();
    assert!(after.meta.revoked);
    let replacement = new.replacement(after.meta.key).unwrap();
    assert_eq!(new.meta(replacement).id(), "T1574.001");
    // A two-step chain: T1073 -> T1574.002 -> T1574.001.
    let t1073 = new.technique("T1073").unwrap();
    assert_eq!(
        new.meta(new.replacement(t1073.meta.key).unwrap()).id(),
        "T1574.001"
    );
}

#[test]
fn lookups_by_id_stix_id_name_and_alias() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    for query in ["APT29", "apt29", "Cozy Bear", "G0016", "g0016"] {
        let key = attack.resolve(query).unwrap();
        assert_eq!(attack.meta(key).id(), "G0016", "{query}");
    }
    let t = attack.lookup("t1059.001").unwrap();
    assert_eq!(attack.meta(t).name, "PowerShell");
    let by_stix = attack.lookup(&attack.meta(t).stix_id).unwrap();
    assert_eq!(by_stix, t);
    // T1003 is also the ID of a deprecated mitigation object; the live technique wins.
    let t1003 = attack.lookup("T1003").unwrap();
    assert_eq!(t1003.kind, Kind::Technique);
    assert_eq!(
        attack.meta(attack.resolve("Mimikatz").unwrap()).id(),
        "S0002"
    );
    assert_eq!(
        attack.tactic("defense-evasion").unwrap().meta.id(),
        "TA0005"
    );
    assert!(attack.lookup("T9999").is_none());
    let hints = attack.suggest("Powershel", 3);
    assert!(
        hints.iter().any(|h| h.starts_with("T1059.001")),
        "{hints:?}"
    );
}

/// APT29's technique set, computed here straight from the raw JSON relationships without the
/// model (the same rules as python's independent computation, which gave 66 direct, 204 via
/// software, 75 via campaigns, 134 via campaign software and 249 in all for 18.1).
fn independent_group_techniques(path: &std::path::Path, group: &str) -> BTreeSet<String> {
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let objects = value["objects"].as_array().unwrap();
    let active = |o: &serde_json::Value| {
        !o["revoked"].as_bool().unwrap_or(false)
            && !o["x_mitre_deprecated"].as_bool().unwrap_or(false)
    };
    let mut ids: HashMap<&str, (&str, bool, &str)> = HashMap::new();
    for o in objects {
        let attack_id = o["external_references"]
            .as_array()
            .and_then(|r| r.iter().find(|e| e["source_name"] == "mitre-attack"))
            .and_then(|e| e["external_id"].as_str())
            .unwrap_or("");
        ids.insert(
            o["id"].as_str().unwrap(),
            (attack_id, active(o), o["type"].as_str().unwrap()),
        );
    }
    let group_stix = objects
        .iter()
        .find(|o| o["type"] == "intrusion-set" && ids[o["id"].as_str().unwrap()].0 == group)
        .unwrap()["id"]
        .as_str()
        .unwrap();
    let rels: Vec<(&str, &str, &str)> = objects
        .iter()
        .filter(|o| o["type"] == "relationship" && active(o))
        .map(|o| {
            (
                o["relationship_type"].as_str().unwrap(),
                o["source_ref"].as_str().unwrap(),
                o["target_ref"].as_str().unwrap(),
            )
        })
        .filter(|(_, s, t)| ids.get(s).is_some_and(|i| i.1) && ids.get(t).is_some_and(|i| i.1))
        .collect();
    let uses = |actor: &str, kind: &[&str]| -> Vec<String> {
        rels.iter()
            .filter(|(r, s, t)| *r == "uses" && *s == actor && kind.contains(&ids[t].2))
            .map(|(_, _, t)| (*t).to_string())
            .collect()
    };
    let mut actors = vec![group_stix.to_string()];
    let campaigns: Vec<String> = rels
        .iter()
        .filter(|(r, _, t)| *r == "attributed-to" && *t == group_stix)
        .map(|(_, s, _)| (*s).to_string())
        .collect();
    actors.extend(campaigns.iter().cloned());
    for a in [group_stix.to_string()].iter().chain(&campaigns) {
        actors.extend(uses(a, &["malware", "tool"]));
    }
    actors
        .iter()
        .flat_map(|a| uses(a, &["attack-pattern"]))
        .map(|t| ids[t.as_str()].0.to_string())
        .collect()
}

#[test]
fn apt29_techniques_match_an_independent_computation() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    let g = attack.resolve("APT29").unwrap();
    let used = attack.techniques_used_by(g);
    let ids: BTreeSet<String> = used
        .iter()
        .map(|u| {
            attack.techniques()[u.technique as usize]
                .meta
                .id()
                .to_string()
        })
        .collect();
    let path = shared_bundle("enterprise-attack-18.1.json").unwrap();
    assert_eq!(ids, independent_group_techniques(&path, "G0016"));
    let count =
        |pred: fn(&Route) -> bool| used.iter().filter(|u| u.routes.iter().any(pred)).count();
    assert_eq!(used.len(), 249);
    assert_eq!(count(|r| matches!(r, Route::Direct)), 66);
    assert_eq!(count(|r| matches!(r, Route::Software { .. })), 204);
    assert_eq!(count(|r| matches!(r, Route::Campaign { .. })), 75);
    assert_eq!(count(|r| matches!(r, Route::CampaignSoftware { .. })), 134);
    assert_eq!(attack.software_used_by(g).len(), 49);
    assert_eq!(attack.campaigns_of(g).len(), 2);
}

#[test]
fn apt29_in_15_1_matches_too() {
    let Some(attack) = enterprise_15() else {
        return;
    };
    let g = attack.resolve("Cozy Bear").unwrap();
    let ids: BTreeSet<String> = attack
        .techniques_used_by(g)
        .iter()
        .map(|u| {
            attack.techniques()[u.technique as usize]
                .meta
                .id()
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 241);
    let path = shared_bundle("enterprise-attack-15.1.json").unwrap();
    assert_eq!(ids, independent_group_techniques(&path, "G0016"));
}

#[test]
fn powershell_mitigations_users_and_detection() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    let t = attack.technique("T1059.001").unwrap();
    let mitigations: Vec<&str> = attack
        .mitigations_of(t)
        .iter()
        .map(|m| m.meta.id())
        .collect();
    assert_eq!(mitigations, ["M1026", "M1038", "M1042", "M1045", "M1049"]);
    let users = attack.users_of(t);
    let direct_groups = users
        .groups
        .iter()
        .filter(|(_, routes)| routes.contains(&Route::Direct))
        .count();
    assert_eq!(direct_groups, 83);
    assert_eq!(users.software.len(), 124);
    let detection = attack.detection_of(t);
    let strategies: Vec<&str> = detection
        .strategies
        .iter()
        .map(|&s| attack.detection_strategies()[s as usize].meta.id())
        .collect();
    assert_eq!(strategies, ["DET0455"]);
    assert_eq!(detection.analytics.len(), 1);
    let components: BTreeSet<&str> = detection
        .data_components
        .iter()
        .map(|&c| attack.data_components()[c as usize].meta.name.as_str())
        .collect();
    assert_eq!(
        components,
        BTreeSet::from([
            "Command Execution",
            "Module Load",
            "Process Creation",
            "Process Metadata"
        ])
    );
    let parent = attack.parent(t).unwrap();
    assert_eq!(parent.meta.id(), "T1059");
    assert!(
        attack
            .subtechniques(parent)
            .iter()
            .any(|s| s.meta.id() == "T1059.001")
    );
}

#[test]
fn credential_dumping_detection_in_the_older_model() {
    let Some(attack) = enterprise_15() else {
        return;
    };
    let t = attack.technique("T1003").unwrap();
    let detection = attack.detection_of(t);
    assert!(detection.strategies.is_empty());
    assert_eq!(detection.data_components.len(), 10);
    assert_eq!(detection.data_sources.len(), 10);
    assert!(detection.text.is_some());
}

#[test]
fn diff_15_1_to_18_1() {
    let (Some(old), Some(new)) = (enterprise_15(), enterprise_18()) else {
        return;
    };
    let diff = covmap_core::diff::diff(old, new);
    assert_eq!(diff.added.len(), 55);
    assert!(diff.removed.is_empty());
    assert_eq!(diff.revoked.len(), 1);
    assert_eq!(diff.revoked[0].technique.id, "T1574.002");
    assert_eq!(
        diff.revoked[0].replaced_by.as_ref().unwrap().id,
        "T1574.001"
    );
    assert!(diff.deprecated.is_empty());
    assert_eq!(diff.renamed.len(), 8);
    assert!(
        diff.renamed
            .iter()
            .any(|r| r.id == "T1574.001" && r.new_name == "DLL")
    );
    assert_eq!(diff.tactics_changed.len(), 1);
    assert_eq!(diff.tactics_changed[0].id, "T1112");
    assert_eq!(diff.tactics_changed[0].added, ["persistence"]);
    assert_eq!(diff.platforms_changed.len(), 231);
    assert!(diff.reidentified.is_empty());
    assert!(diff.tactics_added.is_empty() && diff.tactics_removed.is_empty());
    assert_eq!(diff.groups.added.len(), 24);
    assert!(diff.groups.withdrawn.is_empty());
}

/// Issue 17: the cheap form used to count prevalence over every group reaches
/// exactly the techniques of `techniques_used_by`, for every group, campaign and software of
/// enterprise 18.1.
#[test]
fn technique_positions_used_by_equals_techniques_used_by() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    let kinds = [
        (Kind::Group, attack.groups().len()),
        (Kind::Campaign, attack.campaigns().len()),
        (Kind::Software, attack.software().len()),
    ];
    for (kind, len) in kinds {
        for index in 0..len {
            let key = covmap_core::ObjectRef {
                kind,
                index: u32::try_from(index).unwrap(),
            };
            let mut slow: Vec<u32> = attack
                .techniques_used_by(key)
                .iter()
                .map(|u| u.technique)
                .collect();
            slow.sort_unstable();
            assert_eq!(
                attack.technique_positions_used_by(key),
                slow,
                "{kind:?} {index}"
            );
        }
    }
}

/// `analytics_by_technique` (one pass over the detection strategies) holds, for every
/// technique of enterprise 18.1, exactly the analytics of `analytics_of` (each as many times),
/// and some technique has analytics (so the comparison is not between empty lists only).
#[test]
fn analytics_by_technique_equals_analytics_of() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    let all = attack.analytics_by_technique();
    assert_eq!(all.len(), attack.techniques().len());
    for (technique, fast) in attack.techniques().iter().zip(&all) {
        let mut slow = attack.analytics_of(technique);
        let mut fast = fast.clone();
        slow.sort_unstable();
        fast.sort_unstable();
        assert_eq!(fast, slow, "{}", technique.meta.id());
    }
    assert!(all.iter().any(|a| !a.is_empty()));
}

/// `subtechnique_positions`, computed for all techniques in one pass, lists what
/// `subtechniques` finds technique by technique, in every real bundle; on enterprise 18.1 the
/// active parents' lists hold the 475 active sub-techniques that python3 counts.
#[test]
fn subtechnique_positions_match_subtechniques_in_every_real_bundle() {
    for attack in [enterprise_18(), enterprise_15(), mobile_18(), ics_18()]
        .into_iter()
        .flatten()
    {
        let mut listed = 0;
        for (position, technique) in attack.techniques().iter().enumerate() {
            let one_by_one: Vec<u32> = attack
                .subtechniques(technique)
                .iter()
                .map(|s| s.meta.key.index)
                .collect();
            let position = u32::try_from(position).expect("fits");
            assert_eq!(
                attack.subtechnique_positions(position),
                one_by_one.as_slice(),
                "{}",
                technique.meta.id()
            );
            if technique.meta.is_active() {
                listed += one_by_one.len();
            }
        }
        if attack.version() == Some("18.1") && attack.domain() == "enterprise-attack" {
            assert_eq!(listed, 475);
        }
        let beyond = u32::try_from(attack.techniques().len()).expect("fits");
        assert!(attack.subtechnique_positions(beyond).is_empty());
    }
}
