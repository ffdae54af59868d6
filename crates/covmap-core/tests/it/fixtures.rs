//! Tests on the synthetic bundles in `fixtures/attack/`.
//!
//! Every expected figure comes from `fixtures/attack/README.md`, whose numbers
//! `fixtures/attack/check_fixtures.py` verifies without covmap. `mini-attack-2.1.json` is
//! ATT&CK "9.9"; `mini-attack-9.8.json` is the same bundle one release earlier.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use covmap_core::diff::{ListChange, Named, Renamed, Revoked};
use covmap_core::{
    Attack, CacheStatus, Counts, Kind, LoadError, NameMatch, Route, Technique, load_cached,
};
use serde_json::{Value, json};

use crate::common::fixture;

// ---------------------------------------------------------------------------------------------
// Helpers

fn load(name: &str) -> Attack {
    Attack::load(&fixture(name)).unwrap_or_else(|e| panic!("{name} should load: {e}"))
}

macro_rules! fixture_loader {
    ($fn_name:ident, $file:literal) => {
        /// The fixture, loaded once per test binary.
        fn $fn_name() -> &'static Attack {
            static CELL: OnceLock<Attack> = OnceLock::new();
            CELL.get_or_init(|| load($file))
        }
    };
}

fixture_loader!(v99, "mini-attack-2.1.json");
fixture_loader!(v98, "mini-attack-9.8.json");
fixture_loader!(stix20, "mini-attack-stix20.json");
fixture_loader!(ics, "mini-ics-2.1.json");

/// The technique with this ATT&CK ID, which must exist.
fn tech<'a>(attack: &'a Attack, id: &str) -> &'a Technique {
    attack
        .technique(id)
        .unwrap_or_else(|| panic!("technique {id} should exist"))
}

fn ids<'a>(techniques: &[&'a Technique]) -> Vec<&'a str> {
    techniques.iter().map(|t| t.meta.id()).collect()
}

/// ATT&CK ID of whatever `query` resolves to.
fn resolved_id<'a>(attack: &'a Attack, query: &str) -> Option<&'a str> {
    attack.resolve(query).map(|key| attack.meta(key).id())
}

fn route_label(attack: &Attack, route: Route) -> String {
    let software = |i: u32| attack.software()[i as usize].meta.id().to_string();
    let campaign = |i: u32| attack.campaigns()[i as usize].meta.id().to_string();
    match route {
        Route::Direct => "direct".to_string(),
        Route::Software { software: s } => format!("software {}", software(s)),
        Route::Campaign { campaign: c } => format!("campaign {}", campaign(c)),
        Route::CampaignSoftware {
            campaign: c,
            software: s,
        } => format!("campaign {} software {}", campaign(c), software(s)),
    }
}

fn route_labels(attack: &Attack, routes: &[Route]) -> String {
    routes
        .iter()
        .map(|r| route_label(attack, *r))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `techniques_used_by` as lines `"T1059.001: direct, software S0154"`.
fn used_by(attack: &Attack, actor: &str) -> Vec<String> {
    let key = attack
        .resolve(actor)
        .unwrap_or_else(|| panic!("{actor} should resolve"));
    attack
        .techniques_used_by(key)
        .iter()
        .map(|u| {
            let id = attack.techniques()[u.technique as usize].meta.id();
            format!("{id}: {}", route_labels(attack, &u.routes))
        })
        .collect()
}

/// `users_of` as lines: `"G0016: campaign C0024"` per group, then `"software S0154"` and
/// `"campaign C0024"` for direct users.
fn users(attack: &Attack, technique: &str) -> Vec<String> {
    let found = attack.users_of(tech(attack, technique));
    let mut lines: Vec<String> = found
        .groups
        .iter()
        .map(|(g, routes)| {
            let id = attack.groups()[*g as usize].meta.id();
            format!("{id}: {}", route_labels(attack, routes))
        })
        .collect();
    lines.extend(
        found
            .software
            .iter()
            .map(|&s| format!("software {}", attack.software()[s as usize].meta.id())),
    );
    lines.extend(
        found
            .campaigns
            .iter()
            .map(|&c| format!("campaign {}", attack.campaigns()[c as usize].meta.id())),
    );
    lines
}

fn check_counts(attack: &Attack, expected: &Counts) {
    assert_eq!(&attack.counts(), expected);
}

fn tactic_ids(attack: &Attack) -> Vec<&str> {
    attack.tactics().map(|t| t.meta.id()).collect()
}

fn tactic_shortnames(attack: &Attack) -> Vec<&str> {
    attack.tactics().map(|t| t.shortname.as_str()).collect()
}

fn named(id: &str, name: &str) -> Named {
    Named {
        id: id.to_string(),
        name: name.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Counts and metadata

#[test]
fn counts_of_2_1() {
    let attack = v99();
    assert_eq!(attack.spec_version(), "2.1");
    assert_eq!(attack.version(), Some("9.9"));
    assert_eq!(attack.domain(), "enterprise-attack");
    assert_eq!(attack.domain_short(), "enterprise");
    assert_eq!(attack.name(), "Mini ATT&CK");
    assert_eq!(attack.kill_chain(), "mitre-attack");
    assert_eq!(attack.attack_spec_version(), Some("3.3.0"));
    check_counts(
        attack,
        &Counts {
            tactics: 4,
            techniques: 5,
            subtechniques: 5,
            groups: 2,
            software: 2,
            mitigations: 2,
            campaigns: 1,
            data_sources: 0,
            data_components: 5,
            detection_strategies: 10,
            analytics: 11,
            assets: 0,
            revoked_techniques: 2,
            deprecated_techniques: 1,
            // 33 relationship objects less the deprecated FIN7 -> T1566.002.
            relationships: 32,
        },
    );
    assert_eq!(attack.techniques().len(), 13);
    assert_eq!(attack.all_tactics().len(), 5);
    assert_eq!(
        attack.data_sources().len(),
        1,
        "DS0017 exists but is deprecated"
    );
    assert!(attack.data_sources()[0].meta.deprecated);
    assert_eq!(attack.detection_strategies().len(), 10);
    assert_eq!(attack.analytics().len(), 11);
    assert!(attack.warnings().is_empty(), "{:?}", attack.warnings());

    let active = ids(&attack.active_techniques());
    assert_eq!(
        active,
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
    let withdrawn = |pred: fn(&Technique) -> bool| -> Vec<&str> {
        let mut list: Vec<&str> = attack
            .techniques()
            .iter()
            .filter(|t| pred(t))
            .map(|t| t.meta.id())
            .collect();
        list.sort_unstable();
        list
    };
    assert_eq!(withdrawn(|t| t.meta.revoked), ["T1000", "T1001"]);
    assert_eq!(withdrawn(|t| t.meta.deprecated), ["T1002"]);
}

#[test]
fn counts_of_9_8() {
    let attack = v98();
    assert_eq!(attack.spec_version(), "2.1");
    assert_eq!(attack.version(), Some("9.8"));
    assert_eq!(attack.domain(), "enterprise-attack");
    check_counts(
        attack,
        &Counts {
            tactics: 3,
            techniques: 7,
            subtechniques: 5,
            groups: 2,
            software: 2,
            mitigations: 2,
            campaigns: 1,
            data_sources: 0,
            data_components: 5,
            detection_strategies: 12,
            analytics: 13,
            assets: 0,
            revoked_techniques: 1,
            deprecated_techniques: 0,
            relationships: 32,
        },
    );
    assert_eq!(attack.techniques().len(), 13);
    assert_eq!(
        tactic_shortnames(attack),
        ["initial-access", "execution", "credential-access"]
    );
    // TA0003 is out of the matrix but its object is still in the bundle.
    assert_eq!(attack.all_tactics().len(), 5);
    assert!(attack.tactic("TA0003").is_none());
    assert!(attack.warnings().is_empty(), "{:?}", attack.warnings());
}

#[test]
fn counts_of_2_0() {
    let attack = stix20();
    assert_eq!(attack.spec_version(), "2.0");
    assert_eq!(attack.domain(), "enterprise-attack");
    // No collection object: the name falls back to the matrix's.
    assert_eq!(attack.name(), "Enterprise ATT&CK");
    check_counts(
        attack,
        &Counts {
            tactics: 3,
            techniques: 3,
            subtechniques: 3,
            groups: 1,
            software: 1,
            mitigations: 1,
            campaigns: 0,
            data_sources: 2,
            data_components: 2,
            detection_strategies: 0,
            analytics: 0,
            assets: 0,
            revoked_techniques: 1,
            deprecated_techniques: 0,
            relationships: 17,
        },
    );
    assert_eq!(attack.techniques().len(), 7);
    assert_eq!(
        tactic_shortnames(attack),
        ["initial-access", "execution", "credential-access"]
    );
    let t1000 = tech(attack, "T1000");
    assert!(t1000.meta.revoked);
    assert_eq!(
        attack
            .meta(attack.replacement(t1000.meta.key).unwrap())
            .id(),
        "T1059"
    );
    let mimikatz = &attack.software()[attack.resolve("Mimikatz").unwrap().index as usize];
    assert_eq!(mimikatz.software_kind, covmap_core::SoftwareKind::Tool);
    assert!(attack.warnings().is_empty(), "{:?}", attack.warnings());
}

/// STIX 2.0 bundles have no collection object, so the version comes from the file name: the
/// last `-` segment of the stem, if it looks like a version number (`stix20` does not).
#[test]
fn version_of_a_2_0_bundle_comes_from_its_file_name() {
    assert_eq!(stix20().version(), None);
    let bytes = fs::read(fixture("mini-attack-stix20.json")).unwrap();
    let version = |name: &str| {
        Attack::from_slice(&bytes, Path::new(name))
            .unwrap()
            .version()
            .map(str::to_string)
    };
    assert_eq!(
        version("enterprise-attack-15.1.json").as_deref(),
        Some("15.1")
    );
    assert_eq!(
        version("/some/dir/enterprise-attack-9.json").as_deref(),
        Some("9")
    );
    assert_eq!(version("enterprise-attack.json"), None);
    assert_eq!(version("bundle-v2.json"), None);
    // A bundle with a collection object ignores its file name.
    let bytes = fs::read(fixture("mini-attack-2.1.json")).unwrap();
    let attack = Attack::from_slice(&bytes, Path::new("enterprise-attack-15.1.json")).unwrap();
    assert_eq!(attack.version(), Some("9.9"));
}

#[test]
fn counts_of_ics() {
    let attack = ics();
    assert_eq!(attack.spec_version(), "2.1");
    assert_eq!(attack.version(), Some("9.9"));
    assert_eq!(attack.domain(), "ics-attack");
    assert_eq!(attack.domain_short(), "ics");
    assert_eq!(attack.name(), "Mini ICS ATT&CK");
    assert_eq!(attack.kill_chain(), "mitre-ics-attack");
    check_counts(
        attack,
        &Counts {
            tactics: 2,
            techniques: 3,
            subtechniques: 0,
            groups: 0,
            software: 0,
            mitigations: 0,
            campaigns: 0,
            data_sources: 0,
            data_components: 0,
            detection_strategies: 0,
            analytics: 0,
            assets: 2,
            revoked_techniques: 0,
            deprecated_techniques: 1,
            relationships: 4,
        },
    );
    assert_eq!(tactic_ids(attack), ["TA0108", "TA0104"]);
    assert_eq!(tactic_shortnames(attack), ["initial-access", "execution"]);
    assert_eq!(
        ids(&attack.active_techniques()),
        ["T0819", "T0823", "T0871"]
    );
    assert_eq!(
        ids(&attack.techniques_in_tactic("execution")),
        ["T0823", "T0871"]
    );
    assert_eq!(attack.platforms(), ["None"]);
    assert!(attack.warnings().is_empty(), "{:?}", attack.warnings());
}

#[test]
fn ics_deprecated_technique_with_only_an_ics_source_name_is_found() {
    let attack = ics();
    let t0850 = tech(attack, "t0850");
    assert_eq!(t0850.meta.name, "Role Identification");
    assert!(t0850.meta.deprecated);
    assert!(!t0850.meta.revoked);
    assert!(!ids(&attack.active_techniques()).contains(&"T0850"));
}

#[test]
fn ics_assets_targeted_by_techniques() {
    let attack = ics();
    let targeted = |id: &str| -> Vec<&str> {
        attack
            .assets_targeted_by(tech(attack, id))
            .iter()
            .map(|a| a.meta.id())
            .collect()
    };
    assert_eq!(targeted("T0819"), ["A0001", "A0002"]);
    assert_eq!(targeted("T0823"), ["A0002"]);
    assert_eq!(targeted("T0871"), ["A0001"]);
    assert!(targeted("T0850").is_empty());
    let assets: Vec<(&str, &str)> = attack
        .assets()
        .iter()
        .map(|a| (a.meta.id(), a.meta.name.as_str()))
        .collect();
    assert_eq!(
        assets,
        [
            ("A0001", "Workstation"),
            ("A0002", "Human-Machine Interface")
        ]
    );
    assert_eq!(attack.lookup("a0002").map(|k| k.kind), Some(Kind::Asset));
}

// ---------------------------------------------------------------------------------------------
// Tactics

#[test]
fn tactic_order_ignores_the_deprecated_matrix() {
    let attack = v99();
    // The deprecated matrix comes first in the file and lists TA0040, TA0006, TA0003, ...
    assert_eq!(tactic_ids(attack), ["TA0001", "TA0002", "TA0003", "TA0006"]);
    assert_eq!(
        tactic_shortnames(attack),
        [
            "initial-access",
            "execution",
            "persistence",
            "credential-access"
        ]
    );
    // TA0040 exists as an object but is in no active matrix.
    assert!(attack.all_tactics().iter().any(|t| t.meta.id() == "TA0040"));
    assert!(attack.tactic("TA0040").is_none());
    assert!(attack.tactic("impact").is_none());
    assert_eq!(attack.lookup("TA0040").map(|k| k.kind), Some(Kind::Tactic));
    for query in [
        "persistence",
        "TA0003",
        "ta0003",
        "Persistence",
        "PERSISTENCE",
    ] {
        assert_eq!(
            attack.tactic(query).map(|t| t.meta.id()),
            Some("TA0003"),
            "{query}"
        );
    }
}

#[test]
fn techniques_per_tactic() {
    let attack = v99();
    let check = |tactic: &str, expected: &[&str]| {
        assert_eq!(
            ids(&attack.techniques_in_tactic(tactic)),
            expected,
            "{tactic}"
        );
    };
    check(
        "initial-access",
        &["T1078", "T1566", "T1566.001", "T1566.002"],
    );
    check("execution", &["T1053", "T1059", "T1059.001", "T1059.004"]);
    check("persistence", &["T1053", "T1078"]);
    check("credential-access", &["T1003", "T1003.001"]);
    check("impact", &[]);
}

#[test]
fn technique_tactics_keep_only_the_domain_kill_chain() {
    let attack = v99();
    // T1078 also has a mitre-pre-attack/initial-access phase, which must not count.
    assert_eq!(
        tech(attack, "T1078").tactics,
        ["initial-access", "persistence"]
    );
    assert_eq!(tech(attack, "T1053").tactics, ["execution", "persistence"]);
    assert_eq!(tech(attack, "T1059.001").tactics, ["execution"]);
    assert_eq!(tech(attack, "T1002").tactics, ["execution"]);
    assert_eq!(tech(v98(), "T1053").tactics, ["execution"]);
}

#[test]
fn technique_platforms() {
    let attack = v99();
    let check = |id: &str, expected: &[&str]| {
        assert_eq!(tech(attack, id).platforms, expected, "{id}");
    };
    check("T1566", &["Windows", "Linux", "macOS", "Office Suite"]);
    check("T1566.001", &["Windows", "Linux", "macOS"]);
    check("T1566.002", &["Windows", "Linux", "macOS", "Office Suite"]);
    check("T1059", &["Windows", "Linux", "macOS"]);
    check("T1059.001", &["Windows"]);
    check("T1059.004", &["Linux", "macOS"]);
    check("T1053", &["Windows", "Linux"]);
    check("T1003", &["Windows", "Linux"]);
    check("T1003.001", &["Windows"]);
    check("T1078", &["Windows", "Linux", "macOS", "IaaS"]);
    assert_eq!(
        attack.platforms(),
        ["IaaS", "Linux", "macOS", "Office Suite", "Windows"]
    );
}

// ---------------------------------------------------------------------------------------------
// Forward compatibility

#[test]
fn unknown_fields_and_object_types_are_ignored() {
    let attack = v99();
    // T1059 carries "x_mitre_new_field": {"a": [1, 2]}.
    let t1059 = tech(attack, "T1059");
    assert_eq!(t1059.meta.name, "Command and Scripting Interpreter");
    assert_eq!(t1059.tactics, ["execution"]);
    assert!(!t1059.is_subtechnique);
    // x-mitre-future-thing FT0001 has a mitre-attack external_id but no kind in the model.
    assert!(attack.lookup("FT0001").is_none());
    assert!(attack.resolve("FT0001").is_none());
    assert!(attack.resolve("Future Thing").is_none());
    assert!(
        attack
            .lookup("x-mitre-future-thing--b2467f45-023c-5cea-a480-f62b0a4e96b4")
            .is_none()
    );
    assert!(attack.warnings().is_empty(), "{:?}", attack.warnings());
}

// ---------------------------------------------------------------------------------------------
// Revoked and deprecated

#[test]
fn revoked_chain_resolves_to_its_end() {
    let attack = v99();
    let t1000 = tech(attack, "T1000");
    let t1001 = tech(attack, "T1001");
    assert!(t1000.meta.revoked && t1001.meta.revoked);
    let replaced = |t: &Technique| attack.replacement(t.meta.key).map(|r| attack.meta(r).id());
    assert_eq!(replaced(t1000), Some("T1053"));
    assert_eq!(replaced(t1001), Some("T1053"));
    assert_eq!(replaced(tech(attack, "T1053")), None);
    assert_eq!(
        replaced(tech(attack, "T1002")),
        None,
        "deprecated is not revoked"
    );
    // In 9.8 T1000 is still active; T1001 is already revoked by T1053.
    let old = v98();
    assert!(tech(old, "T1000").meta.is_active());
    assert_eq!(old.replacement(tech(old, "T1000").meta.key), None);
    let r = old.replacement(tech(old, "T1001").meta.key).unwrap();
    assert_eq!(old.meta(r).id(), "T1053");
}

#[test]
fn deprecated_technique_is_out_of_listings_but_found_by_lookup() {
    let attack = v99();
    let t1002 = tech(attack, "T1002");
    assert_eq!(t1002.meta.name, "Deprecated Technique");
    assert!(t1002.meta.deprecated);
    assert!(!t1002.meta.revoked);
    assert!(!t1002.meta.is_active());
    assert_eq!(attack.lookup("t1002"), Some(t1002.meta.key));
    assert!(!ids(&attack.active_techniques()).contains(&"T1002"));
    assert!(!ids(&attack.techniques_in_tactic("execution")).contains(&"T1002"));
    // Revoked techniques stay reachable too.
    assert!(attack.lookup("T1000").is_some());
    assert!(!ids(&attack.active_techniques()).contains(&"T1000"));
}

// ---------------------------------------------------------------------------------------------
// Lookups

#[test]
fn lookups_by_id_stix_id_name_and_alias() {
    let attack = v99();
    let powershell = attack.lookup("T1059.001").unwrap();
    assert_eq!(powershell.kind, Kind::Technique);
    assert_eq!(attack.meta(powershell).name, "PowerShell");
    for query in ["t1059.001", " T1059.001 ", "T1059.001"] {
        assert_eq!(attack.lookup(query), Some(powershell), "{query:?}");
    }
    let stix_id = attack.meta(powershell).stix_id.clone();
    assert!(stix_id.starts_with("attack-pattern--"));
    assert_eq!(attack.lookup(&stix_id), Some(powershell));
    assert_eq!(attack.resolve(&stix_id), Some(powershell));
    assert!(
        attack
            .lookup("attack-pattern--00000000-0000-0000-0000-000000000000")
            .is_none()
    );
    assert!(attack.lookup("T9999").is_none());
    assert!(attack.resolve("no such thing").is_none());

    for query in [
        "APT29",
        "apt29",
        "Cozy Bear",
        "cozy bear",
        "NOBELIUM",
        "nobelium",
        "G0016",
    ] {
        assert_eq!(resolved_id(attack, query), Some("G0016"), "{query}");
    }
    for query in ["FIN7", "Carbon Spider", "carbon spider", "g0046"] {
        assert_eq!(resolved_id(attack, query), Some("G0046"), "{query}");
    }
    assert_eq!(
        attack.resolve_name("Cozy Bear", &[Kind::Group]),
        NameMatch::One(attack.lookup("G0016").unwrap())
    );
    assert_eq!(resolved_id(attack, "Mimikatz"), Some("S0002"));
    assert_eq!(resolved_id(attack, "cobalt strike"), Some("S0154"));
    assert_eq!(resolved_id(attack, "SolarWinds Compromise"), Some("C0024"));
    assert_eq!(resolved_id(attack, "User Training"), Some("M1017"));
    assert_eq!(resolved_id(attack, "credential-access"), Some("TA0006"));
    assert_eq!(resolved_id(attack, "powershell"), Some("T1059.001"));
    let group = |id: &str| &attack.groups()[attack.lookup(id).unwrap().index as usize];
    assert_eq!(group("G0016").aliases, ["APT29", "Cozy Bear", "NOBELIUM"]);
    assert_eq!(group("G0046").aliases, ["FIN7", "Carbon Spider"]);
    let hints = attack.suggest("Powershel", 3);
    assert!(
        hints.iter().any(|h| h == "T1059.001 (PowerShell)"),
        "{hints:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Relationships

#[test]
fn apt29_techniques_with_routes() {
    assert_eq!(
        used_by(v99(), "APT29"),
        [
            "T1003.001: software S0002",
            "T1053: campaign C0024 software S0154",
            "T1059.001: campaign C0024 software S0154",
            "T1078: campaign C0024",
            "T1566.001: direct",
        ]
    );
    // 9.8 lacks T1078 and so the campaign's direct use.
    assert_eq!(
        used_by(v98(), "Cozy Bear"),
        [
            "T1003.001: software S0002",
            "T1053: campaign C0024 software S0154",
            "T1059.001: campaign C0024 software S0154",
            "T1566.001: direct",
        ]
    );
    let attack = v99();
    let g = attack.lookup("G0016").unwrap();
    let software: Vec<&str> = attack
        .software_used_by(g)
        .iter()
        .map(|&s| attack.software()[s as usize].meta.id())
        .collect();
    assert_eq!(software, ["S0002"]);
    let campaigns: Vec<&str> = attack
        .campaigns_of(g)
        .iter()
        .map(|&c| attack.campaigns()[c as usize].meta.id())
        .collect();
    assert_eq!(campaigns, ["C0024"]);
    let c0024 = attack.lookup("C0024").unwrap();
    assert_eq!(attack.groups_of_campaign(c0024), [g.index]);
}

#[test]
fn fin7_skips_a_deprecated_relationship_and_a_deprecated_target() {
    // FIN7 -> T1566.002 is a deprecated relationship; FIN7 -> T1002 targets a deprecated technique.
    assert_eq!(
        used_by(v99(), "FIN7"),
        ["T1053: software S0154", "T1059.001: direct, software S0154"]
    );
    // In 9.8 T1002 is still active, so its use counts.
    assert_eq!(
        used_by(v98(), "Carbon Spider"),
        [
            "T1002: direct",
            "T1053: software S0154",
            "T1059.001: direct, software S0154"
        ]
    );
}

#[test]
fn techniques_used_by_software_and_campaigns() {
    assert_eq!(
        used_by(v99(), "Cobalt Strike"),
        ["T1053: direct", "T1059.001: direct"]
    );
    assert_eq!(
        used_by(v99(), "SolarWinds Compromise"),
        [
            "T1053: software S0154",
            "T1059.001: software S0154",
            "T1078: direct",
        ]
    );
    assert_eq!(
        used_by(stix20(), "Fancy Bear"),
        ["T1003.001: software S0002", "T1566.001: direct",]
    );
}

#[test]
fn users_of_techniques() {
    let attack = v99();
    assert_eq!(
        users(attack, "T1059.001"),
        [
            "G0016: campaign C0024 software S0154",
            "G0046: direct, software S0154",
            "software S0154",
        ]
    );
    assert_eq!(
        users(attack, "T1078"),
        ["G0016: campaign C0024", "campaign C0024"]
    );
    assert_eq!(
        users(attack, "T1053"),
        [
            "G0016: campaign C0024 software S0154",
            "G0046: software S0154",
            "software S0154",
        ]
    );
    assert_eq!(
        users(attack, "T1003.001"),
        ["G0016: software S0002", "software S0002"]
    );
    assert_eq!(users(attack, "T1566.001"), ["G0016: direct"]);
    // FIN7's only relationship to T1566.002 is deprecated.
    assert!(users(attack, "T1566.002").is_empty());
    assert!(users(attack, "T1059").is_empty());
    assert_eq!(users(v98(), "T1002"), ["G0046: direct"]);
}

#[test]
fn mitigations_of_techniques() {
    let attack = v99();
    let check = |id: &str, expected: &[&str]| {
        let found: Vec<&str> = attack
            .mitigations_of(tech(attack, id))
            .iter()
            .map(|m| m.meta.id())
            .collect();
        assert_eq!(found, expected, "{id}");
    };
    check("T1059.001", &["M1040"]);
    check("T1003.001", &["M1040"]);
    check("T1566", &["M1017"]);
    check("T1566.001", &["M1017"]);
    check("T1059", &[]);
    check("T1078", &[]);
    let mitigation = |id: &str| &attack.mitigations()[attack.lookup(id).unwrap().index as usize];
    assert_eq!(
        ids(&attack.mitigated_by(mitigation("M1040"))),
        ["T1003.001", "T1059.001"]
    );
    assert_eq!(
        ids(&attack.mitigated_by(mitigation("M1017"))),
        ["T1566", "T1566.001"]
    );
    let old = stix20();
    let found: Vec<&str> = old
        .mitigations_of(tech(old, "T1059.001"))
        .iter()
        .map(|m| m.meta.id())
        .collect();
    assert_eq!(found, ["M1040"]);
}

#[test]
fn parents_and_subtechniques() {
    let attack = v99();
    let parent = |id: &str| attack.parent(tech(attack, id)).map(|p| p.meta.id());
    assert_eq!(parent("T1059.001"), Some("T1059"));
    assert_eq!(parent("T1059.004"), Some("T1059"));
    assert_eq!(parent("T1566.002"), Some("T1566"));
    assert_eq!(parent("T1003.001"), Some("T1003"));
    assert_eq!(parent("T1059"), None);
    let subs = |id: &str| ids(&attack.subtechniques(tech(attack, id)));
    assert_eq!(subs("T1059"), ["T1059.001", "T1059.004"]);
    assert_eq!(subs("T1566"), ["T1566.001", "T1566.002"]);
    assert_eq!(subs("T1003"), ["T1003.001"]);
    assert!(subs("T1053").is_empty());
    assert!(subs("T1059.001").is_empty());
    assert!(tech(attack, "T1059.001").is_subtechnique);
    let old = stix20();
    assert_eq!(ids(&old.subtechniques(tech(old, "T1003"))), ["T1003.001"]);
}

// ---------------------------------------------------------------------------------------------
// Detection

#[test]
fn detection_in_the_2_1_model() {
    let attack = v99();
    let check = |id: &str, strategy: &str, analytics: &[&str], components: &[&str]| {
        let d = attack.detection_of(tech(attack, id));
        let strategies: Vec<&str> = d
            .strategies
            .iter()
            .map(|&s| attack.detection_strategies()[s as usize].meta.id())
            .collect();
        let found_analytics: Vec<&str> = d
            .analytics
            .iter()
            .map(|&a| attack.analytics()[a as usize].meta.id())
            .collect();
        let found_components: Vec<&str> = d
            .data_components
            .iter()
            .map(|&c| attack.data_components()[c as usize].meta.id())
            .collect();
        assert_eq!(strategies, [strategy], "{id}");
        assert_eq!(found_analytics, analytics, "{id}");
        assert_eq!(found_components, components, "{id}");
        assert!(d.data_sources.is_empty(), "{id}");
        assert_eq!(d.text, None, "{id}");
    };
    check("T1566", "DET0001", &["AN0003"], &["DC0029"]);
    check("T1566.001", "DET0002", &["AN0004"], &["DC0009"]);
    check("T1566.002", "DET0003", &["AN0005"], &["DC0017"]);
    check("T1059", "DET0004", &["AN0006"], &["DC0017"]);
    check(
        "T1059.001",
        "DET0005",
        &["AN0001", "AN0002"],
        &["DC0009", "DC0017", "DC0029"],
    );
    check("T1059.004", "DET0006", &["AN0007"], &["DC0009"]);
    check("T1053", "DET0007", &["AN0008"], &["DC0017"]);
    check("T1003", "DET0008", &["AN0009"], &["DC0009"]);
    check("T1003.001", "DET0009", &["AN0010"], &["DC0035"]);
    check("T1078", "DET0010", &["AN0011"], &["DC0002"]);
}

#[test]
fn analytics_and_data_components_of_2_1() {
    let attack = v99();
    let an0001 = &attack.analytics()[attack.lookup("AN0001").unwrap().index as usize];
    assert_eq!(an0001.platforms, ["Windows"]);
    let sources: Vec<(&str, &str, &str)> = an0001
        .log_sources
        .iter()
        .map(|s| {
            (
                attack.data_components()[s.data_component as usize]
                    .meta
                    .id(),
                s.name.as_str(),
                s.channel.as_str(),
            )
        })
        .collect();
    assert_eq!(
        sources,
        [
            ("DC0017", "WinEventLog:Sysmon", "EventCode=1"),
            ("DC0009", "WinEventLog:Security", "EventCode=4688")
        ]
    );
    // Every analytic log source is one its data component lists.
    for analytic in attack.analytics() {
        assert!(!analytic.log_sources.is_empty(), "{}", analytic.meta.id());
        for source in &analytic.log_sources {
            let component = &attack.data_components()[source.data_component as usize];
            assert!(
                component
                    .log_sources
                    .iter()
                    .any(|l| l.name == source.name && l.channel == source.channel),
                "{} {}/{} not in {}",
                analytic.meta.id(),
                source.name,
                source.channel,
                component.meta.id()
            );
        }
    }
    let names: Vec<(&str, &str)> = attack
        .data_components()
        .iter()
        .map(|c| (c.meta.id(), c.meta.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("DC0017", "Command Execution"),
            ("DC0009", "Process Creation"),
            ("DC0029", "Script Execution"),
            ("DC0035", "Process Access"),
            ("DC0002", "User Account Authentication"),
        ]
    );
    // DC0009 has "x_mitre_data_source_ref": "", the others no such key.
    assert!(
        attack
            .data_components()
            .iter()
            .all(|c| c.data_source.is_none())
    );
    let strategy = &attack.detection_strategies()[attack.lookup("DET0005").unwrap().index as usize];
    let analytics: Vec<&str> = strategy
        .analytics
        .iter()
        .map(|&a| attack.analytics()[a as usize].meta.id())
        .collect();
    assert_eq!(analytics, ["AN0001", "AN0002"]);
}

#[test]
fn detection_in_the_2_0_model() {
    let attack = stix20();
    let check = |id: &str, components: &[&str], sources: &[&str]| {
        let d = attack.detection_of(tech(attack, id));
        assert!(d.strategies.is_empty(), "{id}");
        assert!(d.analytics.is_empty(), "{id}");
        let mut names: Vec<&str> = d
            .data_components
            .iter()
            .map(|&c| attack.data_components()[c as usize].meta.name.as_str())
            .collect();
        names.sort_unstable();
        assert_eq!(names, components, "{id}");
        assert_eq!(d.data_sources, sources, "{id}");
        let text = d
            .text
            .unwrap_or_else(|| panic!("{id} has x_mitre_detection"));
        assert!(!text.trim().is_empty(), "{id}");
    };
    let process = "Process: Process Creation";
    let command = "Command: Command Execution";
    check("T1566", &["Process Creation"], &[process]);
    check("T1566.001", &["Process Creation"], &[process]);
    check("T1003.001", &["Process Creation"], &[process]);
    check(
        "T1059",
        &["Command Execution", "Process Creation"],
        &[process, command],
    );
    check(
        "T1059.001",
        &["Command Execution", "Process Creation"],
        &[process, command],
    );
    check(
        "T1003",
        &["Command Execution", "Process Creation"],
        &[command, process],
    );
    // Components link to their data sources by x_mitre_data_source_ref.
    let links: Vec<(&str, &str)> = attack
        .data_components()
        .iter()
        .map(|c| {
            let source = c
                .data_source
                .expect("2.0 components name their data source");
            (
                c.meta.name.as_str(),
                attack.data_sources()[source as usize].meta.id(),
            )
        })
        .collect();
    assert_eq!(
        links,
        [
            ("Process Creation", "DS0009"),
            ("Command Execution", "DS0017")
        ]
    );
    // 2.0 data components have no external references, so no ATT&CK ID.
    assert!(
        attack
            .data_components()
            .iter()
            .all(|c| c.meta.attack_id.is_none())
    );
}

// ---------------------------------------------------------------------------------------------
// Diff

#[test]
fn diff_9_8_to_9_9() {
    let diff = covmap_core::diff::diff(v98(), v99());
    assert_eq!(diff.domain, "enterprise-attack");
    assert_eq!(diff.old_version.as_deref(), Some("9.8"));
    assert_eq!(diff.new_version.as_deref(), Some("9.9"));
    assert_eq!(diff.added, [named("T1078", "Valid Accounts")]);
    assert_eq!(diff.removed, [named("T1499", "Removed Technique")]);
    assert_eq!(
        diff.revoked,
        [Revoked {
            technique: named("T1000", "Old Technique"),
            replaced_by: Some(named("T1053", "Scheduled Task/Job")),
        }]
    );
    assert_eq!(diff.deprecated, [named("T1002", "Deprecated Technique")]);
    assert_eq!(
        diff.renamed,
        [Renamed {
            id: "T1059.004".to_string(),
            old_name: "Unix Shell Old".to_string(),
            new_name: "Unix Shell".to_string(),
        }]
    );
    assert!(diff.reidentified.is_empty());
    assert_eq!(
        diff.tactics_changed,
        [ListChange {
            id: "T1053".to_string(),
            name: "Scheduled Task/Job".to_string(),
            added: vec!["persistence".to_string()],
            removed: vec![],
        }]
    );
    assert_eq!(
        diff.platforms_changed,
        [ListChange {
            id: "T1003".to_string(),
            name: "OS Credential Dumping".to_string(),
            added: vec!["Linux".to_string()],
            removed: vec![],
        }]
    );
    assert_eq!(diff.tactics_added, [named("TA0003", "Persistence")]);
    assert!(diff.tactics_removed.is_empty());
    for (kind, changes) in [
        ("groups", &diff.groups),
        ("software", &diff.software),
        ("campaigns", &diff.campaigns),
        ("mitigations", &diff.mitigations),
    ] {
        assert!(
            changes.added.is_empty() && changes.withdrawn.is_empty(),
            "{kind}: {changes:?}"
        );
    }
}

#[test]
fn diff_of_a_release_with_itself_is_empty() {
    let diff = covmap_core::diff::diff(v99(), v99());
    let empty = covmap_core::diff::VersionDiff {
        domain: "enterprise-attack".to_string(),
        old_version: Some("9.9".to_string()),
        new_version: Some("9.9".to_string()),
        ..Default::default()
    };
    assert_eq!(diff, empty);
}

// ---------------------------------------------------------------------------------------------
// Bad inputs

fn load_error(name: &str) -> (PathBuf, LoadError) {
    let path = fixture(name);
    match Attack::load(&path) {
        Ok(_) => panic!("{name} should be rejected"),
        Err(err) => (path, err),
    }
}

/// Checks that `name` fails as invalid JSON at `line`:`column`, and that the message names the
/// file with its position.
fn check_json_error(
    name: &str,
    expected_line: usize,
    expected_column: usize,
    expected_message: &str,
) {
    let (path, err) = load_error(name);
    let display = err.to_string();
    let LoadError::Json {
        path: err_path,
        line,
        column,
        message,
    } = err
    else {
        panic!("{name}: expected LoadError::Json, got {err:?}");
    };
    assert_eq!(err_path, path, "{name}");
    assert_eq!((line, column), (expected_line, expected_column), "{name}");
    assert_eq!(message, expected_message, "{name}");
    assert_eq!(
        display,
        format!(
            "{}:{expected_line}:{expected_column}: invalid STIX JSON: {expected_message}",
            path.display()
        )
    );
}

#[test]
fn not_json_is_a_json_error_at_its_first_character() {
    check_json_error("not-json.json", 1, 1, "expected value");
}

#[test]
fn empty_file_is_a_json_error() {
    check_json_error("empty.json", 1, 1, "EOF while parsing a value");
}

#[test]
fn truncated_file_is_a_json_error_at_its_end() {
    // 40 lines, the last one ending in a newline, cut after "},": the parser runs out on line 41
    // while expecting the next array element.
    let text = fs::read_to_string(fixture("truncated.json")).unwrap();
    assert_eq!(text.lines().count(), 40);
    // serde_json reports column 0 at a line break; covmap points at column 1 of that line.
    check_json_error("truncated.json", 41, 1, "EOF while parsing a value");
}

fn check_not_a_bundle(name: &str, expected_found: &str) {
    let (path, err) = load_error(name);
    let display = err.to_string();
    let LoadError::NotABundle {
        path: err_path,
        found,
    } = err
    else {
        panic!("{name}: expected LoadError::NotABundle, got {err:?}");
    };
    assert_eq!(err_path, path);
    assert_eq!(found, expected_found, "{name}");
    assert!(
        display.starts_with(&format!(
            "{}: not a STIX bundle ({expected_found})",
            path.display()
        )),
        "{display}"
    );
}

#[test]
fn json_that_is_not_a_bundle_is_rejected() {
    check_not_a_bundle("not-bundle.json", "a JSON object without a \"type\" field");
    check_not_a_bundle("array.json", "a JSON array");
}

#[test]
fn missing_file_is_an_io_error() {
    let path = fixture("no-such-bundle.json");
    let err = Attack::load(&path).unwrap_err();
    let display = err.to_string();
    let LoadError::Io {
        path: err_path,
        source,
    } = err
    else {
        panic!("expected LoadError::Io, got {err:?}");
    };
    assert_eq!(err_path, path);
    assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
    assert!(
        display == format!("cannot read {}", path.display()),
        "{display}"
    );
    let cache = tempfile::tempdir().unwrap();
    let err = load_cached(&path, cache.path()).unwrap_err();
    assert!(matches!(err, LoadError::Io { .. }), "{err:?}");
}

#[test]
fn bad_inputs_are_not_cached() {
    let cache = tempfile::tempdir().unwrap();
    for name in [
        "not-json.json",
        "truncated.json",
        "empty.json",
        "not-bundle.json",
        "array.json",
    ] {
        assert!(load_cached(&fixture(name), cache.path()).is_err(), "{name}");
    }
    assert_eq!(fs::read_dir(cache.path()).unwrap().count(), 0);
}

// ---------------------------------------------------------------------------------------------
// Inline bundles

fn external(id: &str) -> Value {
    json!([{ "source_name": "mitre-attack", "external_id": id }])
}

fn attack_pattern(stix_id: &str, id: &str, extra: &Value) -> Value {
    let mut object = json!({
        "type": "attack-pattern",
        "id": stix_id,
        "name": format!("Technique {id}"),
        "external_references": external(id),
        "kill_chain_phases": [{ "kill_chain_name": "mitre-attack", "phase_name": "execution" }],
        "x_mitre_is_subtechnique": id.contains('.'),
    });
    if let (Some(object), Some(extra)) = (object.as_object_mut(), extra.as_object()) {
        object.extend(extra.clone());
    }
    object
}

fn relationship(stix_id: &str, kind: &str, source: &str, target: &str) -> Value {
    json!({
        "type": "relationship",
        "id": stix_id,
        "relationship_type": kind,
        "source_ref": source,
        "target_ref": target,
    })
}

/// A minimal bundle: an active matrix with one tactic (execution), plus `objects`.
fn bundle(objects: Vec<Value>) -> Value {
    let mut all = vec![
        json!({
            "type": "x-mitre-matrix",
            "id": "x-mitre-matrix--0",
            "name": "Test Matrix",
            "external_references": external("enterprise-attack"),
            "tactic_refs": ["x-mitre-tactic--execution"],
        }),
        json!({
            "type": "x-mitre-tactic",
            "id": "x-mitre-tactic--execution",
            "name": "Execution",
            "x_mitre_shortname": "execution",
            "external_references": external("TA0002"),
        }),
    ];
    all.extend(objects);
    json!({ "type": "bundle", "id": "bundle--0", "objects": all })
}

/// Writes `bytes` to a file in a fresh temporary directory and loads it.
fn load_bytes(bytes: &[u8]) -> (tempfile::TempDir, PathBuf, Result<Attack, LoadError>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inline-attack.json");
    fs::write(&path, bytes).unwrap();
    let result = Attack::load(&path);
    (dir, path, result)
}

fn load_value(value: &Value) -> (tempfile::TempDir, PathBuf, Result<Attack, LoadError>) {
    load_bytes(&serde_json::to_vec_pretty(value).unwrap())
}

/// Checks that `value` is rejected as inconsistent with a message containing `expected`.
fn check_inconsistent(value: &Value, expected: &str) {
    let (_dir, path, result) = load_value(value);
    let err = result.expect_err("bundle should be rejected");
    let display = err.to_string();
    let LoadError::Inconsistent {
        path: err_path,
        message,
    } = err
    else {
        panic!("expected LoadError::Inconsistent, got {err:?}");
    };
    assert_eq!(err_path, path);
    assert!(message.contains(expected), "{message}");
    assert_eq!(
        display,
        format!("{}: inconsistent ATT&CK bundle: {message}", path.display())
    );
}

#[test]
fn inline_minimal_bundle_loads() {
    let value = bundle(vec![
        attack_pattern("attack-pattern--a", "T0001", &json!({})),
        attack_pattern("attack-pattern--b", "T0001.001", &json!({})),
        relationship(
            "relationship--1",
            "subtechnique-of",
            "attack-pattern--b",
            "attack-pattern--a",
        ),
    ]);
    let (_dir, _path, result) = load_value(&value);
    let attack = result.unwrap();
    assert_eq!(attack.counts().techniques, 1);
    assert_eq!(attack.counts().subtechniques, 1);
    assert_eq!(attack.counts().relationships, 1);
    assert_eq!(
        ids(&attack.techniques_in_tactic("execution")),
        ["T0001", "T0001.001"]
    );
    assert_eq!(
        attack.parent(tech(&attack, "T0001.001")).unwrap().meta.id(),
        "T0001"
    );
    assert!(attack.warnings().is_empty());
}

#[test]
fn duplicate_stix_ids_are_inconsistent() {
    let value = bundle(vec![
        attack_pattern("attack-pattern--a", "T0001", &json!({})),
        attack_pattern("attack-pattern--a", "T0002", &json!({})),
    ]);
    check_inconsistent(&value, "the STIX id attack-pattern--a appears twice");
}

/// The kind of model object a STIX object becomes, as far as ordering goes: malware and tools
/// are both software.
fn kind_of(object: &Value) -> Option<&str> {
    match object["type"].as_str() {
        Some("tool") => Some("malware"),
        other => other,
    }
}

#[test]
fn the_order_of_kinds_in_the_bundle_does_not_change_the_model() {
    // Objects are turned into the model as they are read: a reference to an object further on
    // (a relationship before its ends, an analytic before its data components, a matrix before
    // its tactics) must resolve as one to an object already read.
    for name in [
        "mini-attack-2.1.json",
        "mini-ics-2.1.json",
        "mini-attack-stix20.json",
    ] {
        let mut value: Value = serde_json::from_slice(&fs::read(fixture(name)).unwrap()).unwrap();
        // Without a collection object, the first object's ATT&CK spec version is the bundle's:
        // the one thing the order decides.
        for object in value["objects"].as_array_mut().unwrap() {
            if object["type"] != "x-mitre-collection" {
                object
                    .as_object_mut()
                    .unwrap()
                    .remove("x_mitre_attack_spec_version");
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        fs::write(&path, serde_json::to_vec(&value).unwrap()).unwrap();
        let original = Attack::load(&path).unwrap();
        for descending in [false, true] {
            let mut value = value.clone();
            let objects = value["objects"].as_array_mut().unwrap();
            // A stable sort: objects of one kind keep their order, hence their positions.
            objects.sort_by(|a, b| {
                let order = kind_of(a).cmp(&kind_of(b));
                if descending { order.reverse() } else { order }
            });
            let dir = tempfile::tempdir().unwrap();
            let sorted = dir.path().join(name);
            fs::write(&sorted, serde_json::to_vec(&value).unwrap()).unwrap();
            let attack = Attack::load(&sorted).unwrap();
            assert!(
                attack.same_model_as(&original),
                "{name}, types sorted {}",
                if descending {
                    "descending"
                } else {
                    "ascending"
                }
            );
        }
    }
}

#[test]
fn a_json_error_after_a_duplicate_id_is_reported_first() {
    // The duplicate is seen while the array is read; the syntax error further on wins, as it
    // did when the whole bundle was parsed before anything was checked.
    let value = bundle(vec![
        attack_pattern("attack-pattern--a", "T0001", &json!({})),
        attack_pattern("attack-pattern--a", "T0002", &json!({})),
    ]);
    let mut bytes = serde_json::to_vec(&value).unwrap();
    bytes.truncate(bytes.len() - 1);
    let (_dir, _path, result) = load_bytes(&bytes);
    let err = result.unwrap_err();
    assert!(matches!(err, LoadError::Json { .. }), "{err:?}");
    // And a bundle that is not one says so before its duplicate ids.
    let mut value = value;
    value["type"] = json!("not-a-bundle");
    let (_dir, _path, result) = load_value(&value);
    let err = result.unwrap_err();
    assert!(matches!(err, LoadError::NotABundle { .. }), "{err:?}");
}

#[test]
fn revoked_by_cycle_is_inconsistent() {
    let revoked = json!({ "revoked": true });
    let value = bundle(vec![
        attack_pattern("attack-pattern--a", "T0001", &revoked),
        attack_pattern("attack-pattern--b", "T0002", &revoked),
        attack_pattern("attack-pattern--c", "T0003", &revoked),
        relationship(
            "relationship--1",
            "revoked-by",
            "attack-pattern--a",
            "attack-pattern--b",
        ),
        relationship(
            "relationship--2",
            "revoked-by",
            "attack-pattern--b",
            "attack-pattern--c",
        ),
        relationship(
            "relationship--3",
            "revoked-by",
            "attack-pattern--c",
            "attack-pattern--a",
        ),
    ]);
    check_inconsistent(&value, "revoked-by relationships form a cycle");
    // Revoked by itself.
    let value = bundle(vec![
        attack_pattern("attack-pattern--a", "T0001", &revoked),
        relationship(
            "relationship--1",
            "revoked-by",
            "attack-pattern--a",
            "attack-pattern--a",
        ),
    ]);
    check_inconsistent(&value, "revoked-by relationships form a cycle");
}

#[test]
fn subtechnique_of_cycle_is_inconsistent() {
    let value = bundle(vec![
        attack_pattern("attack-pattern--a", "T0001.001", &json!({})),
        attack_pattern("attack-pattern--b", "T0001.002", &json!({})),
        relationship(
            "relationship--1",
            "subtechnique-of",
            "attack-pattern--a",
            "attack-pattern--b",
        ),
        relationship(
            "relationship--2",
            "subtechnique-of",
            "attack-pattern--b",
            "attack-pattern--a",
        ),
    ]);
    check_inconsistent(&value, "subtechnique-of relationships form a cycle");
}

#[test]
fn relationship_to_a_missing_object_is_refused() {
    let value = bundle(vec![
        attack_pattern("attack-pattern--a", "T0001", &json!({})),
        json!({
            "type": "intrusion-set",
            "id": "intrusion-set--g",
            "name": "Test Group",
            "aliases": ["Test Group"],
            "external_references": external("G0001"),
        }),
        relationship(
            "relationship--ok",
            "uses",
            "intrusion-set--g",
            "attack-pattern--a",
        ),
        relationship(
            "relationship--dangling",
            "uses",
            "intrusion-set--g",
            "attack-pattern--missing",
        ),
        // A reference to a kind the model does not keep is skipped silently.
        relationship(
            "relationship--other",
            "uses",
            "intrusion-set--g",
            "x-mitre-future-thing--x",
        ),
    ]);
    let (_dir, path, result) = load_value(&value);
    let err = result.unwrap_err();
    assert!(matches!(err, LoadError::Inconsistent { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: inconsistent ATT&CK bundle: relationship relationship--dangling points to \
             attack-pattern--missing, which is not in the bundle (intrusion-set--g -> \
             attack-pattern--missing)\n  hint: the bundle is damaged or cut; fetch it again \
             (`covmap attack fetch`)",
            path.display()
        )
    );

    // Without it, the reference to a kind the model does not keep is no error.
    let mut value = value;
    value["objects"]
        .as_array_mut()
        .unwrap()
        .retain(|o| o["id"] != "relationship--dangling");
    let (_dir, _path, result) = load_value(&value);
    let attack = result.unwrap();
    assert!(attack.warnings().is_empty(), "{:?}", attack.warnings());
    assert_eq!(attack.counts().relationships, 1);
    assert_eq!(used_by(&attack, "Test Group"), ["T0001: direct"]);
}

#[test]
fn utf8_bom_is_accepted() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(fs::read(fixture("mini-attack-2.1.json")).unwrap());
    let (_dir, _path, result) = load_bytes(&bytes);
    let attack = result.unwrap();
    assert_eq!(attack.counts(), v99().counts());
    assert_eq!(attack.version(), Some("9.9"));
    // And on an inline bundle, in memory.
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(serde_json::to_vec(&bundle(vec![])).unwrap());
    let attack = Attack::from_slice(&bytes, Path::new("bom.json")).unwrap();
    assert_eq!(attack.counts().tactics, 1);
}

#[test]
fn crlf_line_endings_are_accepted() {
    let text = fs::read_to_string(fixture("mini-attack-2.1.json")).unwrap();
    assert!(!text.contains('\r'));
    let (_dir, _path, result) = load_bytes(text.replace('\n', "\r\n").as_bytes());
    let attack = result.unwrap();
    assert_eq!(attack.counts(), v99().counts());
    assert_eq!(attack.techniques(), v99().techniques());
}

// ---------------------------------------------------------------------------------------------
// Model cache

/// Asserts that two models of the same bundle agree on everything the API shows.
fn assert_same_model(a: &Attack, b: &Attack) {
    assert_eq!(a.counts(), b.counts());
    assert_eq!(a.domain(), b.domain());
    assert_eq!(a.version(), b.version());
    assert_eq!(a.name(), b.name());
    assert_eq!(a.spec_version(), b.spec_version());
    assert_eq!(a.attack_spec_version(), b.attack_spec_version());
    assert_eq!(a.kill_chain(), b.kill_chain());
    assert_eq!(a.warnings(), b.warnings());
    assert_eq!(tactic_ids(a), tactic_ids(b));
    assert_eq!(a.all_tactics(), b.all_tactics());
    assert_eq!(a.techniques(), b.techniques());
    assert_eq!(a.mitigations(), b.mitigations());
    assert_eq!(a.groups(), b.groups());
    assert_eq!(a.software(), b.software());
    assert_eq!(a.campaigns(), b.campaigns());
    assert_eq!(a.data_sources(), b.data_sources());
    assert_eq!(a.data_components(), b.data_components());
    assert_eq!(a.detection_strategies(), b.detection_strategies());
    assert_eq!(a.analytics(), b.analytics());
    assert_eq!(a.assets(), b.assets());
    for query in [
        "T1059.001",
        "t1003",
        "Cozy Bear",
        "Carbon Spider",
        "Mimikatz",
        "execution",
        "T1000",
    ] {
        assert_eq!(a.resolve(query), b.resolve(query), "{query}");
    }
    if let Some(g) = a.resolve("APT29") {
        assert_eq!(a.techniques_used_by(g), b.techniques_used_by(g));
    }
    for t in a.techniques() {
        let other = &b.techniques()[t.meta.key.index as usize];
        assert_eq!(a.replacement(t.meta.key), b.replacement(t.meta.key));
        assert_eq!(a.detection_of(t), b.detection_of(other));
        assert_eq!(a.users_of(t), b.users_of(other));
    }
}

fn model_files(cache_dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(cache_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "model"))
        .collect();
    files.sort();
    files
}

/// A copy of a fixture in a fresh directory, and a cache directory (not yet created) beside it.
fn copied_fixture(name: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join(name);
    fs::copy(fixture(name), &bundle).unwrap();
    let cache = dir.path().join("cache");
    (dir, bundle, cache)
}

#[test]
fn cache_stores_then_hits_with_an_equal_model() {
    for name in [
        "mini-attack-2.1.json",
        "mini-attack-stix20.json",
        "mini-ics-2.1.json",
    ] {
        let (_dir, bundle, cache) = copied_fixture(name);
        let (first, status) = load_cached(&bundle, &cache).unwrap();
        assert_eq!(status, CacheStatus::Stored, "{name}");
        assert_eq!(model_files(&cache).len(), 1, "{name}");
        let (second, status) = load_cached(&bundle, &cache).unwrap();
        assert_eq!(status, CacheStatus::Hit, "{name}");
        assert_same_model(&first, &second);
        assert_same_model(&load(name), &second);
    }
}

#[test]
fn cache_hit_keeps_lookups_working() {
    let (_dir, bundle, cache) = copied_fixture("mini-attack-2.1.json");
    load_cached(&bundle, &cache).unwrap();
    let (attack, status) = load_cached(&bundle, &cache).unwrap();
    assert_eq!(status, CacheStatus::Hit);
    assert_eq!(resolved_id(&attack, "NOBELIUM"), Some("G0016"));
    assert_eq!(attack.lookup("t1059.001"), v99().lookup("T1059.001"));
    let t1000 = tech(&attack, "T1000");
    assert_eq!(
        attack
            .meta(attack.replacement(t1000.meta.key).unwrap())
            .id(),
        "T1053"
    );
    assert_eq!(used_by(&attack, "APT29"), used_by(v99(), "APT29"));
}

#[test]
fn changed_bundle_is_a_cache_miss() {
    let (_dir, bundle, cache) = copied_fixture("mini-attack-2.1.json");
    let (_, status) = load_cached(&bundle, &cache).unwrap();
    assert_eq!(status, CacheStatus::Stored);

    let text = fs::read_to_string(&bundle).unwrap();
    assert_eq!(text.matches("\"name\": \"Unix Shell\"").count(), 1);
    fs::write(
        &bundle,
        text.replace(
            "\"name\": \"Unix Shell\"",
            "\"name\": \"Unix Shell Changed\"",
        ),
    )
    .unwrap();
    let (changed, status) = load_cached(&bundle, &cache).unwrap();
    assert_eq!(status, CacheStatus::Stored);
    assert_eq!(tech(&changed, "T1059.004").meta.name, "Unix Shell Changed");
    assert_eq!(model_files(&cache).len(), 2);

    let (again, status) = load_cached(&bundle, &cache).unwrap();
    assert_eq!(status, CacheStatus::Hit);
    assert_eq!(tech(&again, "T1059.004").meta.name, "Unix Shell Changed");

    // Back to the original content: its model is still in the cache.
    fs::write(&bundle, text).unwrap();
    let (original, status) = load_cached(&bundle, &cache).unwrap();
    assert_eq!(status, CacheStatus::Hit);
    assert_eq!(tech(&original, "T1059.004").meta.name, "Unix Shell");
}

#[test]
fn corrupt_cache_file_is_rebuilt() {
    let (_dir, bundle, cache) = copied_fixture("mini-attack-2.1.json");
    let (fresh, _) = load_cached(&bundle, &cache).unwrap();
    let [model] = model_files(&cache).try_into().unwrap();
    let valid = fs::read(&model).unwrap();

    let truncated = valid[..valid.len() / 2].to_vec();
    for garbage in [b"garbage".to_vec(), Vec::new(), truncated] {
        fs::write(&model, &garbage).unwrap();
        let (attack, status) = load_cached(&bundle, &cache).unwrap();
        assert!(matches!(status, CacheStatus::Rebuilt(_)), "{status:?}");
        assert_same_model(&fresh, &attack);
        assert_eq!(
            fs::read(&model).unwrap(),
            valid,
            "the cache file is rewritten"
        );
        let (_, status) = load_cached(&bundle, &cache).unwrap();
        assert_eq!(status, CacheStatus::Hit);
    }
}

/// Issue 16: one changed byte anywhere in a cache file (magic, format, length, checksum,
/// header or model) is reported once, rebuilt, and never a panic or another model. Before the
/// checksum, a flipped byte in the model decoded into indexes out of range and panicked every
/// later run.
#[test]
fn a_flipped_byte_anywhere_is_reported_once_and_rebuilt() {
    let (_dir, bundle, cache) = copied_fixture("mini-attack-2.1.json");
    let (fresh, _) = load_cached(&bundle, &cache).unwrap();
    let expected = load("mini-attack-2.1.json").counts();
    assert_eq!(fresh.counts(), expected);
    let [model] = model_files(&cache).try_into().unwrap();
    let valid = fs::read(&model).unwrap();
    // The frame is magic (0..8), format (8..12), length (12..20), checksum (20..36), then the
    // payload: header (bundle size, hash, name) and the model. Every byte of the frame and of
    // the payload's first and last 64 (the header; the relationships, whose indexes panicked
    // when out of range), and every 53rd byte between, with three bit patterns.
    let end = valid.len();
    let positions: Vec<usize> = (0..100)
        .chain((100..end - 64).step_by(53))
        .chain(end - 64..end)
        .collect();
    assert!(positions.len() > 400, "{}", positions.len());
    for at in positions {
        for mask in [0x01u8, 0x10, 0xff] {
            let mut bad = valid.clone();
            bad[at] ^= mask;
            fs::write(&model, &bad).unwrap();
            let (attack, status) = load_cached(&bundle, &cache).unwrap();
            assert!(
                matches!(status, CacheStatus::Rebuilt(_)),
                "byte {at} ^ {mask:#x}: {status:?}"
            );
            assert_eq!(attack.counts(), expected, "byte {at} ^ {mask:#x}");
            assert_eq!(fs::read(&model).unwrap(), valid, "byte {at}: rewritten");
            let (again, status) = load_cached(&bundle, &cache).unwrap();
            assert_eq!(status, CacheStatus::Hit, "byte {at}: reported once");
            assert_same_model(&fresh, &again);
        }
    }
}

#[test]
fn unwritable_cache_still_loads() {
    let (dir, bundle, _) = copied_fixture("mini-attack-2.1.json");
    // The cache "directory" is a regular file, so nothing can be written under it.
    let cache = dir.path().join("not-a-dir");
    fs::write(&cache, b"").unwrap();
    let (attack, status) = load_cached(&bundle, &cache).unwrap();
    assert!(matches!(status, CacheStatus::NotStored(_)), "{status:?}");
    assert_eq!(attack.counts(), v99().counts());
}
