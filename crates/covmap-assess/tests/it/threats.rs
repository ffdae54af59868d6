//! Threat exposure on the worked example (docs/scoring.md).

use covmap_assess::score::{ActorKind, AssessOptions, Assessment, assess};
use covmap_assess::threats::{ThreatOptions, ThreatsError, leaves_used_by, threat_coverage};
use covmap_core::{Kind, ObjectRef};

use crate::builder::{actor, close, mini, worked_example};

fn assessment() -> Assessment {
    assess(mini(), &worked_example(), &AssessOptions::default())
}

#[test]
fn selected_threats() {
    let list = threat_coverage(mini(), &assessment(), &ThreatOptions::default()).expect("ok");
    assert_eq!(list.len(), 2);
    let apt29 = &list[0];
    assert_eq!((apt29.id.as_str(), apt29.kind), ("G0016", ActorKind::Group));
    assert!(apt29.selected);
    assert_eq!((apt29.techniques, apt29.in_scope, apt29.covered), (5, 5, 4));
    close(apt29.score, 0.3828); // (0.4 + 0.4 + 0.964 + 0.15 + 0) / 5
    close(apt29.covered_share, 0.8);
    let uncovered: Vec<(&str, f64)> = apt29
        .uncovered
        .iter()
        .map(|g| (g.id.as_str(), g.gap))
        .collect();
    assert_eq!(uncovered.len(), 5);
    let expected = [
        ("T1566.001", 1.0),
        ("T1078", 0.85),
        ("T1003.001", 0.6),
        ("T1053", 0.6),
        ("T1059.001", 0.036),
    ];
    for (got, want) in uncovered.iter().zip(expected) {
        assert_eq!(got.0, want.0);
        close(got.1, want.1);
    }
    let fin7 = &list[1];
    assert_eq!(fin7.name, "FIN7");
    close(fin7.score, 0.682); // (0.964 + 0.4) / 2
    close(fin7.covered_share, 1.0);
}

#[test]
fn one_actor_by_alias_with_top() {
    let options = ThreatOptions {
        actor: Some("Cobalt Strike".to_string()),
        top: Some(1),
    };
    let list = threat_coverage(mini(), &assessment(), &options).expect("ok");
    assert_eq!(list.len(), 1);
    let s = &list[0];
    assert_eq!(
        (s.id.as_str(), s.kind, s.selected),
        ("S0154", ActorKind::Software, false)
    );
    assert_eq!(s.in_scope, 2);
    let ids: Vec<&str> = s.uncovered.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(ids, ["T1053"]);
    let by_alias = ThreatOptions {
        actor: Some("cozy bear".to_string()),
        top: None,
    };
    let list = threat_coverage(mini(), &assessment(), &by_alias).expect("ok");
    assert_eq!(list[0].id, "G0016");
}

#[test]
fn unknown_or_wrong_kind() {
    let a = assessment();
    let ask = |q: &str| {
        threat_coverage(
            mini(),
            &a,
            &ThreatOptions {
                actor: Some(q.to_string()),
                top: None,
            },
        )
    };
    assert_eq!(
        ask("G9999"),
        Err(ThreatsError::UnknownActor {
            query: "G9999".to_string(),
            suggestions: Vec::new(),
        })
    );
    // Did-you-mean: a spelling that differs in punctuation or spaces only ranks
    // first, by name or by alias.
    for typo in ["APT-29", "cozybear", "Cozy-Bear"] {
        match ask(typo) {
            Err(ThreatsError::UnknownActor { suggestions, .. }) => {
                assert_eq!(
                    suggestions.first().map(String::as_str),
                    Some("G0016 (APT29)"),
                    "{typo}"
                );
            }
            other => panic!("{typo}: {other:?}"),
        }
    }
    let err = ask("APT-29").expect_err("a typo");
    assert!(
        err.to_string()
            .contains("\n  hint: did you mean G0016 (APT29)"),
        "{err}"
    );
    let err = ask("T1059").expect_err("a technique");
    assert_eq!(
        err.to_string(),
        "`T1059` is a technique, not a group, campaign or software"
    );
}

#[test]
fn no_threats_selected_gives_an_empty_list() {
    let mut inv = worked_example();
    inv.scope.threats = covmap_assess::inventory::Threats::default();
    let a = assess(mini(), &inv, &AssessOptions::default());
    let list = threat_coverage(mini(), &a, &ThreatOptions::default()).expect("ok");
    assert!(list.is_empty());
}

#[test]
fn leaves_used_by_follows_every_route() {
    let m = mini();
    let apt29 = ObjectRef {
        kind: Kind::Group,
        index: actor(m, "G0016", Kind::Group),
    };
    let ids: Vec<&str> = leaves_used_by(m, apt29)
        .into_iter()
        .map(|t| m.techniques()[t as usize].meta.id())
        .collect();
    assert_eq!(
        ids,
        ["T1003.001", "T1053", "T1059.001", "T1078", "T1566.001"]
    );
}

#[test]
fn actor_names_follow_the_name_rule() {
    use covmap_assess::threats::resolve_actor;
    let attack = covmap_core::Attack::load(
        &crate::builder::repo_root().join("fixtures/attack/names-attack-2.1.json"),
    )
    .expect("names fixture loads");
    let id = |q: &str| {
        let key = resolve_actor(&attack, q).expect("one actor");
        attack.meta(key).id().to_string()
    };
    // An own name beats another group's alias; an alias alone still works.
    assert_eq!(id("Thrip"), "G0076");
    assert_eq!(id("Lotus Blossom"), "G0030");
    assert_eq!(id("APT34"), "G0049");
    assert_eq!(id("S0030"), "S0030");
    // A group and a malware named alike: never a pick.
    assert_eq!(
        resolve_actor(&attack, "Carbanak"),
        Err(ThreatsError::AmbiguousActor {
            query: "Carbanak".to_string(),
            candidates: vec![
                "G0008 Carbanak (group)".to_string(),
                "S0030 Carbanak (software)".to_string()
            ],
        })
    );
    let err = resolve_actor(&attack, "spring dragon").expect_err("ambiguous");
    assert_eq!(
        err.to_string(),
        "`spring dragon` names 2 groups, campaigns or software: G0030 Lotus Blossom (group), C0001 Operation Spring (campaign)\n  hint: name the one you mean by its ATT&CK ID"
    );
    // Names of other kinds only.
    assert_eq!(
        resolve_actor(&attack, "Code Signing")
            .expect_err("not an actor")
            .to_string(),
        "`Code Signing` is a mitigation or technique, not a group, campaign or software"
    );
    assert_eq!(
        resolve_actor(&attack, "Credential Access")
            .expect_err("not an actor")
            .to_string(),
        "`Credential Access` is a tactic, not a group, campaign or software"
    );
}
