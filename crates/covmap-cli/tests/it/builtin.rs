//! The ATT&CK release built into covmap (issue 18 §1): the first run works without a network,
//! and the built-in release answers exactly as the official bundle it was made from.

use crate::common::{Env, builtin_cmd, real, repo_root, run};
use crate::inv::EX01;

/// The note a command prints when it uses the built-in release.
const NOTE: &str = "built into covmap (no bundle downloaded";

#[test]
fn the_readme_quick_start_works_offline_with_an_empty_cache() {
    // Word for word the README's first command, offline, with nothing in the cache.
    let env = Env::new();
    let report = env.cache().join("report");
    let mut cmd = env.cmd();
    cmd.current_dir(repo_root())
        .args(["assess", EX01, "-o"])
        .arg(&report);
    let out = run(cmd).ok_noisy();
    // Said once, with the command that gets a newer release.
    assert_eq!(out.stderr.matches(NOTE).count(), 1, "{}", out.stderr);
    out.stderr_has(&[
        "using ATT&CK enterprise 18.1",
        "`covmap attack fetch --domain enterprise` gets the newest release",
    ]);
    assert!(report.join("report.html").is_file());
    // Nothing was downloaded: the cache holds the parsed model only.
    assert!(
        env.files()
            .iter()
            .all(|f| f.starts_with("models/") || f.starts_with("report/")),
        "{:?}",
        env.files()
    );
    // The same assessment as with the official bundle from ../shared.
    let Some(official) = real("enterprise-attack-18.1.json") else {
        return;
    };
    let from_file = env.cache().join("from-file");
    let mut cmd = env.cmd();
    cmd.current_dir(repo_root())
        .arg("--attack")
        .arg(&official)
        .args(["assess", EX01, "--outputs", "layer", "-o"])
        .arg(&from_file);
    run(cmd).ok_noisy();
    for name in ["assessment.json", "layer.json"] {
        assert_eq!(
            std::fs::read(report.join(name)).unwrap(),
            std::fs::read(from_file.join(name)).unwrap(),
            "{name}"
        );
    }
}

/// `args` on the built-in release of `domain` and on the official bundle give the same stdout.
fn same_stdout(domain: &'static str, official: &std::path::Path, args: &[&str]) {
    let mut built_in = builtin_cmd(domain);
    built_in.args(args);
    let built_in = run(built_in).ok_noisy();
    let mut file = builtin_cmd(domain);
    file.arg("--attack").arg(official).args(args);
    let file = run(file).ok_noisy();
    assert_eq!(built_in.stdout, file.stdout, "{args:?}");
    assert!(!built_in.stdout.is_empty());
}

#[test]
fn attack_show_and_group_answer_as_the_official_bundle() {
    let Some(official) = real("enterprise-attack-18.1.json") else {
        return;
    };
    // A technique, a sub-technique, a revoked one, a tactic, a group, software, a mitigation,
    // a campaign and a detection strategy.
    for id in [
        "T1059",
        "T1059.001",
        "T1574.002",
        "TA0001",
        "G0016",
        "S0002",
        "M1026",
        "C0024",
        "DET0001",
    ] {
        same_stdout(
            "enterprise",
            &official,
            &["attack", "show", id, "--format", "json"],
        );
    }
    same_stdout(
        "enterprise",
        &official,
        &["attack", "group", "APT29", "--format", "csv"],
    );
    same_stdout(
        "enterprise",
        &official,
        &["attack", "techniques", "--subtechniques", "--format", "csv"],
    );
}

#[test]
fn mobile_and_ics_are_built_in_too() {
    for (domain, file) in [
        ("mobile", "mobile-attack-18.1.json"),
        ("ics", "ics-attack-18.1.json"),
    ] {
        let mut cmd = builtin_cmd(domain);
        cmd.args(["attack", "info", "--format", "json"]);
        let doc = run(cmd).ok_noisy().json();
        assert_eq!(doc["domain"], format!("{domain}-attack"));
        assert_eq!(doc["version"], "18.1");
        assert_eq!(doc["source_kind"], "built-in");
        assert_eq!(doc["source"], format!("built-in:{file}"));
        let Some(official) = real(file) else {
            continue;
        };
        same_stdout(
            domain,
            &official,
            &["attack", "techniques", "--subtechniques", "--format", "csv"],
        );
    }
}
