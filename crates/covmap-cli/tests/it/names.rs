//! Names and aliases (issue 16): an object's own name beats another object's alias, and a name
//! that several objects of the kinds asked for share is refused (exit 2) with every candidate
//! listed, never resolved by a pick. On the made-up `names-attack-2.1.json` (its cases echo
//! real ones: fixtures/attack/make_names_fixture.py) and on real enterprise 18.1, where
//! `fixtures/names/expected.py` (python3 over the raw STIX) found them: `DNSMessenger` is an
//! alias of S0145 and S0146, `Carbanak` names G0008 and S0030, `Thrip` is G0076's own name and
//! an alias of G0030 Lotus Blossom, `UAC-0056` an alias of G1003 and G1031.

use crate::common::{Env, Out, real, run_real};

const NAMES: &str = "names-attack-2.1.json";

fn names(env: &Env, args: &[&str]) -> Out {
    env.fx(NAMES, args)
}

/// The candidate lines of an ambiguity error, in order.
fn candidates(out: &Out) -> Vec<&str> {
    out.stderr
        .lines()
        .filter(|l| l.starts_with("  ") && !l.trim_start().starts_with("hint:"))
        .map(str::trim)
        .collect()
}

#[test]
fn show_refuses_a_name_two_software_share() {
    let env = Env::new();
    let out = names(&env, &["attack", "show", "DNSMessenger"])
        .fails()
        .stderr_has(&[
            "\"DNSMessenger\" names 2 ATT&CK objects in enterprise-attack 9.9; covmap does not pick one:",
            "hint: name the one you mean by its ATT&CK ID, e.g. `S0145`",
        ]);
    assert_eq!(
        candidates(&out),
        [
            "S0145 POWERSOURCE (software, by alias)",
            "S0146 TEXTMATE (software, by alias)"
        ]
    );
    // Each is still reachable by its ID or own name.
    for query in ["S0145", "powersource"] {
        let doc = names(&env, &["attack", "show", query, "--format", "json"])
            .ok()
            .json();
        assert_eq!(doc["id"], "S0145", "{query}");
    }
}

#[test]
fn show_lists_both_kinds_when_the_kind_is_not_known() {
    let env = Env::new();
    let out = names(&env, &["attack", "show", "carbanak"]).fails();
    assert_eq!(
        candidates(&out),
        ["G0008 Carbanak (group)", "S0030 Carbanak (software)"]
    );
    // A technique and a mitigation, and two sub-techniques, share names too.
    let out = names(&env, &["attack", "show", "Code Signing"]).fails();
    assert_eq!(
        candidates(&out),
        [
            "T1553.002 Code Signing (technique)",
            "M1045 Code Signing (mitigation)"
        ]
    );
    let out = names(&env, &["attack", "show", "Botnet"]).fails();
    assert_eq!(
        candidates(&out),
        [
            "T1583.005 Botnet (technique)",
            "T1584.005 Botnet (technique)"
        ]
    );
    // Two deprecated objects and no active one: listed, marked.
    let out = names(&env, &["attack", "show", "Ghost"]).fails();
    assert_eq!(
        candidates(&out),
        [
            "S9001 Ghost (software, deprecated)",
            "S9002 Ghost (software, deprecated)"
        ]
    );
}

#[test]
fn an_own_name_wins_over_another_groups_alias() {
    let env = Env::new();
    for args in [
        &["attack", "group", "Thrip", "--format", "json"][..],
        &["attack", "show", "THRIP", "--format", "json"][..],
    ] {
        let doc = names(&env, args).ok().json();
        let id = if args[1] == "group" {
            &doc["group"]["id"]
        } else {
            &doc["id"]
        };
        assert_eq!(id, "G0076", "{args:?}");
    }
    // The alias alone still finds Lotus Blossom.
    let doc = names(
        &env,
        &["attack", "group", "spring dragon", "--format", "json"],
    )
    .ok()
    .json();
    assert_eq!(doc["group"]["id"], "G0030");
}

#[test]
fn group_lets_only_groups_compete() {
    let env = Env::new();
    // A group and a malware share `Carbanak`: `attack group` means the group.
    let doc = names(&env, &["attack", "group", "Carbanak", "--format", "json"])
        .ok()
        .json();
    assert_eq!(doc["group"]["id"], "G0008");
    let out = names(&env, &["attack", "group", "UAC-0056"])
        .fails()
        .stderr_has(&["\"UAC-0056\" names 2 ATT&CK objects"]);
    assert_eq!(
        candidates(&out),
        [
            "G1003 Ember Bear (group, by alias)",
            "G1031 Saint Bear (group, by alias)"
        ]
    );
    // Not a group at all: what it is instead.
    names(&env, &["attack", "group", "Mimikatz"])
        .fails()
        .stderr_has(&["\"Mimikatz\" is the software S0002 Mimikatz, not a group"]);
    let out = names(&env, &["attack", "group", "code signing"])
        .fails()
        .stderr_has(&[
            "\"code signing\" is no group in enterprise-attack 9.9; it names:",
            "hint: `covmap attack show ID` shows any of them",
        ]);
    assert_eq!(
        candidates(&out),
        [
            "T1553.002 Code Signing (technique)",
            "M1045 Code Signing (mitigation)"
        ]
    );
    // A revoked group's name: the active group that lists it as an alias.
    let doc = names(&env, &["attack", "group", "APT34", "--format", "json"])
        .ok()
        .json();
    assert_eq!(doc["group"]["id"], "G0049");
}

fn inventory(dir: &tempfile::TempDir, threats: &str) -> String {
    let path = dir.path().join("inventory.yaml");
    std::fs::write(
        &path,
        format!(
            "covmap: 1\nscope:\n  threats:\n{threats}capabilities:\n  - id: edr\n    coverage:\n      - {{techniques: T1059.001, function: detect, level: partial}}\n"
        ),
    )
    .expect("write inventory");
    path.display().to_string()
}

#[test]
fn an_ambiguous_threat_name_is_a_validation_error_at_its_place() {
    let env = Env::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = inventory(
        &dir,
        "    software:\n      - Mimikatz\n      - dnsmessenger\n",
    );
    let out = names(&env, &["validate", &file]).fails();
    assert!(
        out.stderr.contains("error[ambiguous-name]: `dnsmessenger` names 2 software: `S0145` (POWERSOURCE, by alias), `S0146` (TEXTMATE, by alias)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!("{file}:6:9")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("write the ATT&CK ID"), "{}", out.stderr);
    // Under its kind, an unambiguous name is fine, whatever other kinds share it.
    let file = inventory(
        &dir,
        "    groups: [Thrip, Carbanak]\n    software: [Carbanak]\n",
    );
    names(&env, &["validate", &file]).ok_noisy();
    let doc = names(&env, &["assess", &file, "--format", "json"])
        .ok_noisy()
        .json();
    let threats = doc["scope"]["threats"].to_string();
    for id in ["G0076", "G0008", "S0030"] {
        assert!(threats.contains(id), "{id} in {threats}");
    }
    assert!(!threats.contains("G0030"), "{threats}");
}

#[test]
fn threats_group_refuses_an_ambiguous_actor() {
    let env = Env::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = inventory(&dir, "    groups: [Thrip]\n");
    let out = names(&env, &["threats", &file, "--group", "Carbanak"])
        .fails()
        .stderr_has(&[
            "`Carbanak` names 2 groups, campaigns or software: G0008 Carbanak (group), S0030 Carbanak (software)",
            "hint: name the one you mean by its ATT&CK ID",
        ]);
    drop(out);
    // A group alias and a campaign alias.
    names(&env, &["threats", &file, "--group", "Spring Dragon"])
        .fails()
        .stderr_has(&["G0030 Lotus Blossom (group), C0001 Operation Spring (campaign)"]);
    let doc = names(
        &env,
        &["threats", &file, "--group", "thrip", "--format", "json"],
    )
    .ok()
    .json();
    assert_eq!(doc[0]["id"], "G0076");
    names(&env, &["threats", &file, "--group", "Botnet"])
        .fails()
        .stderr_has(&["`Botnet` is a technique, not a group, campaign or software"]);
}

#[test]
fn real_enterprise_18_1_names() {
    let Some(bundle) = real("enterprise-attack-18.1.json") else {
        return;
    };
    let out = run_real(&bundle, &["attack", "show", "DNSMessenger"]).fails();
    assert_eq!(
        candidates(&out),
        [
            "S0145 POWERSOURCE (software, by alias)",
            "S0146 TEXTMATE (software, by alias)"
        ]
    );
    let out = run_real(&bundle, &["attack", "show", "Carbanak"]).fails();
    assert_eq!(
        candidates(&out),
        ["G0008 Carbanak (group)", "S0030 Carbanak (software)"]
    );
    let doc = run_real(&bundle, &["attack", "group", "Thrip", "--format", "json"])
        .ok()
        .json();
    assert_eq!(doc["group"]["id"], "G0076");
    assert_eq!(doc["group"]["name"], "Thrip");
    let out = run_real(&bundle, &["attack", "group", "UAC-0056"]).fails();
    assert_eq!(
        candidates(&out),
        [
            "G1003 Ember Bear (group, by alias)",
            "G1031 Saint Bear (group, by alias)"
        ]
    );
}
