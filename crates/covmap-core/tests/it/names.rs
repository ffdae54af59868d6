//! Name resolution: own names beat aliases, withdrawn objects never compete with active ones,
//! and a name several objects share is ambiguous, never a pick.
//!
//! Expected outcomes come from `fixtures/names/expected.py`, which reads the raw STIX with
//! python3's json module (no covmap code) and writes one line per (kind, name) for every own
//! name and alias of every tactic, technique, mitigation, group, software and campaign, plus
//! one `any` line per name across those kinds: `python3 fixtures/names/expected.py` rewrites
//! `fixtures/names/*.tsv` from `../shared/data/attack/*.json` and
//! `fixtures/attack/names-attack-2.1.json`. Its summary line per bundle is the source of the
//! counts asserted below, e.g. `enterprise-attack-18.1.json names: {'tactic': 21, 'technique':
//! 708, 'mitigation': 268, 'group': 580, 'software': 1062, 'campaign': 54, 'any': 2664}
//! ambiguous: {'technique': 25, 'group': 1, 'software': 1, 'any': 46}`.

use std::collections::{BTreeMap, BTreeSet};

use covmap_core::{Attack, Kind, NameMatch};

use crate::common::{enterprise_15, enterprise_18, fixture, ics_18, mobile_18, repo_root};

/// The kinds a `kind` column of the expected files stands for.
fn kinds_of(column: &str) -> Vec<Kind> {
    match column {
        "tactic" => vec![Kind::Tactic],
        "technique" => vec![Kind::Technique],
        "mitigation" => vec![Kind::Mitigation],
        "group" => vec![Kind::Group],
        "software" => vec![Kind::Software],
        "campaign" => vec![Kind::Campaign],
        "any" => Kind::NAMED.to_vec(),
        other => panic!("unknown kind column {other:?}"),
    }
}

/// How the expected files name an object: its ATT&CK ID, or its STIX id where the bundle gives
/// that ATT&CK ID to several objects.
fn token(attack: &Attack, key: covmap_core::ObjectRef, expected: &str) -> String {
    let meta = attack.meta(key);
    if expected.contains("--") {
        meta.stix_id.clone()
    } else {
        meta.id().to_string()
    }
}

/// Checks every line of `fixtures/names/<tsv>` against `attack`; returns the number of lines
/// and of ambiguous names per kind column.
fn check_all(attack: &Attack, tsv: &str) -> (BTreeMap<String, usize>, BTreeMap<String, usize>) {
    let path = repo_root().join("fixtures/names").join(tsv);
    let text = std::fs::read_to_string(&path).expect("expected outcomes (fixtures/names)");
    let mut lines = BTreeMap::new();
    let mut ambiguous = BTreeMap::new();
    let mut failures = Vec::new();
    for row in text.lines() {
        let cols: Vec<&str> = row.split('\t').collect();
        let [kind, name, outcome, ids] = cols[..] else {
            panic!("bad line {row:?} in {}", path.display());
        };
        let expected: Vec<&str> = ids.split(',').collect();
        *lines.entry(kind.to_string()).or_default() += 1;
        let kinds = kinds_of(kind);
        let mut queries = vec![name.to_string()];
        if name.is_ascii() {
            // Case and surrounding spaces do not matter.
            queries.push(format!("  {} ", name.to_ascii_uppercase()));
        }
        for query in &queries {
            let got = match attack.resolve_name(query, &kinds) {
                NameMatch::None => ("none", Vec::new()),
                NameMatch::One(key) => ("one", vec![token(attack, key, expected[0])]),
                NameMatch::Ambiguous(keys) => (
                    "ambiguous",
                    keys.iter()
                        .zip(&expected)
                        .map(|(k, e)| token(attack, *k, e))
                        .chain(
                            keys.iter()
                                .skip(expected.len())
                                .map(|k| attack.meta(*k).id().to_string()),
                        )
                        .collect(),
                ),
            };
            if got.0 != outcome || got.1 != expected {
                failures.push(format!(
                    "{kind} {query:?}: expected {outcome} {expected:?}, got {got:?}"
                ));
            }
        }
        if outcome == "ambiguous" {
            *ambiguous.entry(kind.to_string()).or_default() += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} names resolve otherwise than fixtures/names/{tsv} says:\n{}",
        failures.len(),
        text.lines().count(),
        failures.join("\n")
    );
    // Every name and alias the model holds is in the file: nothing was left untested.
    let mut model: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let key = |n: &str| n.trim().to_lowercase();
    for t in attack.all_tactics() {
        let set = model.entry("tactic").or_default();
        set.insert(key(&t.meta.name));
        set.insert(key(&t.shortname));
    }
    for t in attack.techniques() {
        model
            .entry("technique")
            .or_default()
            .insert(key(&t.meta.name));
    }
    for m in attack.mitigations() {
        model
            .entry("mitigation")
            .or_default()
            .insert(key(&m.meta.name));
    }
    for g in attack.groups() {
        let set = model.entry("group").or_default();
        set.insert(key(&g.meta.name));
        set.extend(g.aliases.iter().map(|a| key(a)));
    }
    for s in attack.software() {
        let set = model.entry("software").or_default();
        set.insert(key(&s.meta.name));
        set.extend(s.aliases.iter().map(|a| key(a)));
    }
    for c in attack.campaigns() {
        let set = model.entry("campaign").or_default();
        set.insert(key(&c.meta.name));
        set.extend(c.aliases.iter().map(|a| key(a)));
    }
    let any: BTreeSet<String> = model.values().flatten().cloned().collect();
    for (kind, names) in model.iter().map(|(k, v)| (*k, v)).chain([("any", &any)]) {
        let names = names.iter().filter(|n| !n.is_empty()).count();
        assert_eq!(
            lines.get(kind).copied().unwrap_or(0),
            names,
            "{kind} names in {tsv}"
        );
    }
    (lines, ambiguous)
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, n)| ((*k).to_string(), *n)).collect()
}

fn one(attack: &Attack, name: &str, kinds: &[Kind]) -> String {
    match attack.resolve_name(name, kinds) {
        NameMatch::One(key) => attack.meta(key).id().to_string(),
        other => panic!("{name}: expected one object, got {other:?}"),
    }
}

fn ambiguous(attack: &Attack, name: &str, kinds: &[Kind]) -> Vec<String> {
    match attack.resolve_name(name, kinds) {
        NameMatch::Ambiguous(keys) => keys
            .iter()
            .map(|k| attack.meta(*k).id().to_string())
            .collect(),
        other => panic!("{name}: expected several objects, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The made-up fixture (always runs)

fn names_fixture() -> &'static Attack {
    static CELL: std::sync::OnceLock<Attack> = std::sync::OnceLock::new();
    CELL.get_or_init(|| Attack::load(&fixture("names-attack-2.1.json")).expect("fixture loads"))
}

#[test]
fn fixture_every_name_resolves_as_python_says() {
    let (lines, amb) = check_all(names_fixture(), "names-attack-2.1.tsv");
    assert_eq!(
        lines,
        counts(&[
            ("any", 33),
            ("campaign", 2),
            ("group", 10),
            ("mitigation", 2),
            ("software", 8),
            ("tactic", 5),
            ("technique", 10),
        ])
    );
    assert_eq!(
        amb,
        counts(&[("any", 8), ("group", 1), ("software", 2), ("technique", 1)])
    );
}

#[test]
fn own_name_beats_another_objects_alias() {
    let attack = names_fixture();
    // G0030 Lotus Blossom lists `Thrip` as an alias; G0076 is named Thrip.
    assert_eq!(one(attack, "Thrip", &[Kind::Group]), "G0076");
    assert_eq!(one(attack, "thrip", &Kind::NAMED), "G0076");
    assert_eq!(attack.meta(attack.resolve("THRIP").unwrap()).id(), "G0076");
    // The alias alone still finds its group.
    assert_eq!(one(attack, "Spring Dragon", &[Kind::Group]), "G0030");
}

#[test]
fn a_name_several_objects_share_is_ambiguous() {
    let attack = names_fixture();
    assert_eq!(
        ambiguous(attack, "DNSMessenger", &[Kind::Software]),
        ["S0145", "S0146"]
    );
    assert_eq!(
        ambiguous(attack, "UAC-0056", &[Kind::Group]),
        ["G1003", "G1031"]
    );
    assert_eq!(
        ambiguous(attack, "Botnet", &[Kind::Technique]),
        ["T1583.005", "T1584.005"]
    );
    assert!(attack.resolve("DNSMessenger").is_none());
    assert!(attack.resolve("Botnet").is_none());
}

#[test]
fn only_the_kinds_asked_for_compete() {
    let attack = names_fixture();
    assert_eq!(
        ambiguous(attack, "Carbanak", &Kind::NAMED),
        ["G0008", "S0030"]
    );
    assert_eq!(one(attack, "Carbanak", &[Kind::Group]), "G0008");
    assert_eq!(one(attack, "Anunak", &[Kind::Software]), "S0030");
    assert_eq!(
        ambiguous(
            attack,
            "Carbanak",
            &[Kind::Group, Kind::Campaign, Kind::Software]
        ),
        ["G0008", "S0030"]
    );
    // A technique and a mitigation share `Code Signing`.
    assert_eq!(
        ambiguous(attack, "code signing", &Kind::NAMED),
        ["T1553.002", "M1045"]
    );
    assert_eq!(one(attack, "code signing", &[Kind::Mitigation]), "M1045");
    // A group alias and a campaign alias: only a kind-blind lookup sees both.
    assert_eq!(
        ambiguous(attack, "Spring Dragon", &Kind::NAMED),
        ["G0030", "C0001"]
    );
    assert_eq!(one(attack, "Spring Dragon", &[Kind::Campaign]), "C0001");
    assert_eq!(
        attack.resolve_name("Carbanak", &[Kind::Campaign]),
        NameMatch::None
    );
    // Tactics by name and by shortname.
    assert_eq!(one(attack, "Credential Access", &Kind::NAMED), "TA0006");
    assert_eq!(one(attack, "credential-access", &[Kind::Tactic]), "TA0006");
}

#[test]
fn withdrawn_objects_never_compete_with_active_ones() {
    let attack = names_fixture();
    // S1001 (deprecated) and S0606 share a name; the active one wins.
    assert_eq!(one(attack, "Bad Rabbit", &[Kind::Software]), "S0606");
    // G0057 APT34 is revoked; the active G0049's alias wins over its own name.
    assert_eq!(one(attack, "APT34", &[Kind::Group]), "G0049");
    // T1073 (revoked) and T1574.002 share a name.
    assert_eq!(
        one(attack, "DLL Side-Loading", &[Kind::Technique]),
        "T1574.002"
    );
    // Two deprecated objects and no active one: still ambiguous.
    assert_eq!(
        ambiguous(attack, "Ghost", &[Kind::Software]),
        ["S9001", "S9002"]
    );
}

#[test]
fn ids_come_before_names() {
    let attack = names_fixture();
    let g0008 = attack.lookup("G0008").unwrap();
    // An ID of another kind is returned as it is: callers say "not a software".
    assert_eq!(
        attack.resolve_query("g0008", &[Kind::Software]),
        NameMatch::One(g0008)
    );
    assert_eq!(
        attack.resolve_query("nothing of the sort", &Kind::NAMED),
        NameMatch::None
    );
    assert_eq!(attack.resolve_name("", &Kind::NAMED), NameMatch::None);
    assert_eq!(attack.resolve_name("Thrip", &[]), NameMatch::None);
}

// ---------------------------------------------------------------------------------------------
// Every real bundle (skipped without ../shared, fails without it under CI=true)

#[test]
fn enterprise_18_1_every_name_resolves_as_python_says() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    let (lines, amb) = check_all(attack, "enterprise-attack-18.1.tsv");
    assert_eq!(
        lines,
        counts(&[
            ("any", 2664),
            ("campaign", 54),
            ("group", 580),
            ("mitigation", 268),
            ("software", 1062),
            ("tactic", 21),
            ("technique", 708),
        ])
    );
    assert_eq!(
        amb,
        counts(&[
            ("any", 46),
            ("group", 1),
            ("software", 1),
            ("technique", 25)
        ])
    );
    assert_eq!(
        ambiguous(attack, "DNSMessenger", &[Kind::Software]),
        ["S0145", "S0146"]
    );
    assert_eq!(
        ambiguous(attack, "UAC-0056", &[Kind::Group]),
        ["G1003", "G1031"]
    );
    assert_eq!(
        ambiguous(attack, "Carbanak", &Kind::NAMED),
        ["G0008", "S0030"]
    );
    assert_eq!(
        ambiguous(attack, "at", &Kind::NAMED),
        ["T1053.002", "S0110"]
    );
    // Thrip is G0076's own name and an alias of G0030 Lotus Blossom.
    assert_eq!(one(attack, "Thrip", &[Kind::Group]), "G0076");
    assert_eq!(one(attack, "Thrip", &Kind::NAMED), "G0076");
    assert_eq!(one(attack, "APT34", &[Kind::Group]), "G0049");
    assert_eq!(one(attack, "Cozy Bear", &[Kind::Group]), "G0016");
}

#[test]
fn enterprise_15_1_every_name_resolves_as_python_says() {
    let Some(attack) = enterprise_15() else {
        return;
    };
    let (lines, amb) = check_all(attack, "enterprise-attack-15.1.tsv");
    assert_eq!(
        lines,
        counts(&[
            ("any", 2372),
            ("campaign", 30),
            ("group", 492),
            ("mitigation", 267),
            ("software", 938),
            ("tactic", 21),
            ("technique", 651),
        ])
    );
    assert_eq!(
        amb,
        counts(&[("any", 43), ("software", 1), ("technique", 24)])
    );
    assert_eq!(
        ambiguous(attack, "DNSMessenger", &[Kind::Software]),
        ["S0145", "S0146"]
    );
    assert_eq!(one(attack, "Thrip", &[Kind::Group]), "G0076");
}

#[test]
fn mobile_18_1_every_name_resolves_as_python_says() {
    let Some(attack) = mobile_18() else {
        return;
    };
    let (lines, amb) = check_all(attack, "mobile-attack-18.1.tsv");
    assert_eq!(
        lines,
        counts(&[
            ("any", 432),
            ("campaign", 3),
            ("group", 77),
            ("mitigation", 15),
            ("software", 136),
            ("tactic", 22),
            ("technique", 179),
        ])
    );
    assert_eq!(amb, counts(&[]));
    // Each is the other's alias: each own name wins.
    assert_eq!(one(attack, "Corona Updates", &[Kind::Software]), "S0425");
    assert_eq!(one(attack, "Concipit1248", &[Kind::Software]), "S0426");
}

#[test]
fn ics_18_1_every_name_resolves_as_python_says() {
    let Some(attack) = ics_18() else {
        return;
    };
    let (lines, amb) = check_all(attack, "ics-attack-18.1.tsv");
    assert_eq!(
        lines,
        counts(&[
            ("any", 314),
            ("campaign", 8),
            ("group", 85),
            ("mitigation", 52),
            ("software", 56),
            ("tactic", 18),
            ("technique", 95),
        ])
    );
    assert_eq!(amb, counts(&[]));
    // Deprecated S1001 and active S0606 are both `Bad Rabbit`.
    assert_eq!(one(attack, "Bad Rabbit", &[Kind::Software]), "S0606");
}
