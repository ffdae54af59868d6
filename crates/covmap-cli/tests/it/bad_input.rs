//! Bundles covmap must refuse: exit 2, nothing on stdout, the file named on stderr.

use std::path::Path;

use crate::common::{Env, Out, fixture, fixtures_dir, run};

fn info_on(env: &Env, path: &Path) -> Out {
    let mut cmd = env.cmd();
    cmd.arg("--attack").arg(path).args(["attack", "info"]);
    run(cmd)
}

/// `name:LINE:COLUMN` appears in `text`.
pub(crate) fn has_position(text: &str, name: &str) -> bool {
    let digits = |s: &str| s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    text.match_indices(&format!("{name}:")).any(|(at, m)| {
        let rest = &text[at + m.len()..];
        let line = digits(rest);
        line > 0
            && rest[line..]
                .strip_prefix(':')
                .is_some_and(|r| digits(r) > 0)
    })
}

#[test]
fn missing_file() {
    let env = Env::new();
    let path = env.cache().join("no-such-bundle.json");
    info_on(&env, &path)
        .fails()
        .stderr_has(&["cannot read", &path.display().to_string()]);
}

#[test]
fn a_directory() {
    let env = Env::new();
    let dir = fixtures_dir();
    info_on(&env, &dir)
        .fails()
        .stderr_has(&["cannot read", &dir.display().to_string()]);
}

#[test]
fn not_json() {
    let env = Env::new();
    let out = info_on(&env, &fixture("not-json.json"))
        .fails()
        .stderr_has(&[
            &fixture("not-json.json").display().to_string(),
            "invalid STIX JSON",
        ]);
    assert!(has_position(&out.stderr, "not-json.json"), "{}", out.stderr);
}

#[test]
fn truncated_has_line_and_column() {
    let env = Env::new();
    let path = fixture("truncated.json");
    let out = info_on(&env, &path)
        .fails()
        .stderr_has(&[&path.display().to_string(), "invalid STIX JSON"]);
    assert!(
        has_position(&out.stderr, "truncated.json"),
        "{}",
        out.stderr
    );
    // The fixture is 40 complete lines: the JSON ends unexpectedly after them.
    assert!(out.stderr.contains("truncated.json:41:"), "{}", out.stderr);
}

#[test]
fn not_a_bundle() {
    let env = Env::new();
    let path = fixture("not-bundle.json");
    info_on(&env, &path).fails().stderr_has(&[
        &path.display().to_string(),
        "not a STIX bundle",
        "\"type\": \"bundle\"",
    ]);
}

#[test]
fn empty_file() {
    let env = Env::new();
    let path = fixture("empty.json");
    let out = info_on(&env, &path)
        .fails()
        .stderr_has(&[&path.display().to_string()]);
    assert!(has_position(&out.stderr, "empty.json"), "{}", out.stderr);
}

#[test]
fn json_array() {
    let env = Env::new();
    let path = fixture("array.json");
    info_on(&env, &path).fails().stderr_has(&[
        &path.display().to_string(),
        "not a STIX bundle (a JSON array)",
    ]);
}

#[test]
fn every_command_refuses_a_bad_bundle() {
    let env = Env::new();
    for args in [
        &["attack", "techniques"][..],
        &["attack", "show", "T1059"],
        &["attack", "group", "APT29", "--format", "json"],
        &["attack", "info", "--format", "csv"],
    ] {
        env.fx("not-bundle.json", args)
            .fails()
            .stderr_has(&["not-bundle.json"]);
    }
    // A bad bundle is not cached as a model.
    assert!(env.files().is_empty(), "{:?}", env.files());
}

#[test]
fn corrupt_cached_bundle_is_named() {
    let env = Env::new();
    let stored = env.store("truncated.json", "enterprise-attack-9.9.json");
    let out = env
        .run(&["attack", "info"])
        .fails()
        .stderr_has(&[&stored.display().to_string()]);
    assert!(
        has_position(&out.stderr, "enterprise-attack-9.9.json"),
        "{}",
        out.stderr
    );
}
