//! The built-in ATT&CK release answers exactly as the official bundle it was made from.
//!
//! The figures were computed independently from the raw STIX in ../shared/data/attack with
//! python3 (active = neither `revoked` nor `x_mitre_deprecated`):
//! `o = json.load(open(f))["objects"]`; techniques = active attack-patterns without
//! `x_mitre_is_subtechnique`, sub-techniques = with it; groups = active intrusion-sets;
//! detection strategies = active x-mitre-detection-strategy objects. APT29's (G0016) direct
//! techniques: the ATT&CK IDs of active attack-patterns that active `uses` relationships from
//! its intrusion-set point to.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use covmap_core::builtin::{self, RELEASE};
use covmap_core::{Attack, CacheStatus, Kind, ObjectRef, Route};

use crate::common::{enterprise_18, ics_18, mobile_18};

/// The built-in bundle of `domain`, decoded and parsed once per test binary.
fn builtin_attack(domain: &str) -> &'static Attack {
    static CELLS: [OnceLock<Attack>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let slot = ["enterprise", "mobile", "ics"]
        .iter()
        .position(|d| *d == domain)
        .unwrap();
    CELLS[slot].get_or_init(|| builtin::of(domain).unwrap().load().unwrap())
}

fn ids(attack: &Attack, kind: Kind, items: impl IntoIterator<Item = u32>) -> BTreeSet<String> {
    items
        .into_iter()
        .map(|index| attack.meta(ObjectRef { kind, index }).id().to_string())
        .collect()
}

/// Everything the issue names, compared object by object, and then the whole model.
fn same_answers(built_in: &Attack, official: &Attack) {
    assert_eq!(built_in.counts(), official.counts());
    assert_eq!(built_in.version(), official.version());
    assert_eq!(built_in.domain(), official.domain());
    for (i, group) in official.groups().iter().enumerate() {
        let key = ObjectRef {
            kind: Kind::Group,
            index: i as u32,
        };
        let techniques = |a: &Attack| {
            a.techniques_used_by(key)
                .into_iter()
                .map(|u| {
                    (
                        a.techniques()[u.technique as usize].meta.id().to_string(),
                        u.routes,
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            techniques(built_in),
            techniques(official),
            "{}",
            group.meta.id()
        );
    }
    for technique in official.techniques() {
        let other = built_in.technique(technique.meta.id()).unwrap();
        let (a, b) = (
            built_in.detection_of(other),
            official.detection_of(technique),
        );
        assert_eq!(
            ids(built_in, Kind::DetectionStrategy, a.strategies),
            ids(official, Kind::DetectionStrategy, b.strategies),
            "{}",
            technique.meta.id()
        );
        assert_eq!(
            ids(built_in, Kind::Analytic, a.analytics),
            ids(official, Kind::Analytic, b.analytics)
        );
        assert_eq!(a.data_sources, b.data_sources);
        assert_eq!(other.meta.name, technique.meta.name);
        assert_eq!(other.meta.description, technique.meta.description);
    }
    assert!(built_in.same_model_as(official));
}

#[test]
fn the_built_in_release_is_18_1_for_three_domains() {
    assert_eq!(RELEASE, "18.1");
    // Counts from the raw STIX (module comment): techniques, sub-techniques, groups, detection
    // strategies.
    for (domain, expected) in [
        ("enterprise", (216, 475, 172, 691)),
        ("mobile", (77, 47, 17, 124)),
        ("ics", (83, 0, 14, 83)),
    ] {
        let attack = builtin_attack(domain);
        let c = attack.counts();
        assert_eq!(
            (
                c.techniques,
                c.subtechniques,
                c.groups,
                c.detection_strategies
            ),
            expected,
            "{domain}"
        );
        assert_eq!(attack.domain_short(), domain);
        assert_eq!(attack.version(), Some(RELEASE));
    }
    // The three domains stay well within the 6 MB.
    let total: usize = builtin::all()
        .iter()
        .map(builtin::Builtin::compressed_size)
        .sum();
    assert!(total <= 6_000_000, "{total} bytes built in");
}

#[test]
fn apt29_uses_the_techniques_the_stix_says() {
    let attack = builtin_attack("enterprise");
    let apt29 = attack.lookup("G0016").unwrap();
    let direct: BTreeSet<String> = attack
        .techniques_used_by(apt29)
        .into_iter()
        .filter(|u| u.routes.contains(&Route::Direct))
        .map(|u| {
            attack.techniques()[u.technique as usize]
                .meta
                .id()
                .to_string()
        })
        .collect();
    assert_eq!(direct.len(), 66);
    assert_eq!(
        direct.iter().take(5).collect::<Vec<_>>(),
        ["T1003.002", "T1003.004", "T1005", "T1016.001", "T1021.007"]
    );
}

#[test]
fn built_in_enterprise_answers_as_the_official_bundle() {
    let Some(official) = enterprise_18() else {
        return;
    };
    same_answers(builtin_attack("enterprise"), official);
}

#[test]
fn built_in_mobile_and_ics_answer_as_the_official_bundles() {
    let (Some(mobile), Some(ics)) = (mobile_18(), ics_18()) else {
        return;
    };
    same_answers(builtin_attack("mobile"), mobile);
    same_answers(builtin_attack("ics"), ics);
}

#[test]
fn the_built_in_model_is_cached_under_its_own_key() {
    let dir = tempfile::tempdir().unwrap();
    let ics = builtin::of("ics").unwrap();
    let (first, status) = covmap_core::load_cached_builtin(ics, dir.path()).unwrap();
    assert_eq!(status, CacheStatus::Stored);
    let (second, status) = covmap_core::load_cached_builtin(ics, dir.path()).unwrap();
    assert_eq!(status, CacheStatus::Hit);
    assert!(first.same_model_as(&second));
    assert!(first.same_model_as(builtin_attack("ics")));
    // The official file of the same content gets a cache file of its own.
    if let Some(path) = crate::common::shared_bundle("ics-attack-18.1.json") {
        let (_, status) = covmap_core::load_cached(&path, dir.path()).unwrap();
        assert_eq!(status, CacheStatus::Stored);
        let models = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "model")
            })
            .count();
        assert_eq!(models, 2);
    }
}
