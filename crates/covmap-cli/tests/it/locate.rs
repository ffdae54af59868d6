//! Which bundle a command uses when no `--attack` is given.

use crate::common::{Env, fixture, run};

#[test]
fn offline_with_an_empty_cache_uses_the_built_in_release() {
    // ICS: the smallest domain keeps this test fast; enterprise is in `builtin`.
    let env = Env::new();
    for args in [
        &["--domain", "ics", "attack", "info"][..],
        &[
            "--domain",
            "ics",
            "attack",
            "techniques",
            "--format",
            "json",
        ],
        &["--domain", "ics", "attack", "show", "T0819"],
        &["--domain", "ics", "attack", "group", "G0034"],
    ] {
        let out = env.run(args).ok_noisy();
        // Once per run, naming the release, where nothing was found and what gets a newer one.
        assert_eq!(
            out.stderr
                .matches("covmap: using ATT&CK ics 18.1, built into covmap")
                .count(),
            1,
            "{}",
            out.stderr
        );
        out.stderr_has(&[
            &env.bundles().display().to_string(),
            "`covmap attack fetch --domain ics` gets the newest release",
        ]);
    }
    // --offline on the command line works like COVMAP_OFFLINE.
    let mut cmd = env.cmd();
    cmd.env_remove("COVMAP_OFFLINE").args([
        "--offline",
        "--domain",
        "ics",
        "attack",
        "info",
        "--format",
        "json",
    ]);
    let doc = run(cmd).ok_noisy().json();
    assert_eq!(doc["source_kind"], "built-in");
    assert_eq!(doc["source"], "built-in:ics-attack-18.1.json");
    assert_eq!(doc["version"], "18.1");
    // The built-in model is cached, and nothing else is written.
    let files = env.files();
    assert!(
        !files.is_empty() && files.iter().all(|f| f.starts_with("models/")),
        "{files:?}"
    );
    // --no-cache decodes it again and writes nothing.
    let fresh = Env::new();
    fresh
        .run(&["--no-cache", "--domain", "ics", "attack", "info"])
        .ok_noisy()
        .stdout_has(&["built into covmap (ics-attack-18.1.json)"]);
    assert!(fresh.files().is_empty(), "{:?}", fresh.files());
}

#[test]
fn attack_info_names_the_source_kind() {
    let env = Env::new();
    let stored = env.store("mini-attack-2.1.json", "enterprise-attack-9.9.json");
    let cached = env.run(&["attack", "info", "--format", "json"]).ok().json();
    assert_eq!(cached["source_kind"], "cache");
    assert_eq!(cached["source"], stored.display().to_string());
    env.run(&["attack", "info"])
        .ok()
        .stdout_has(&[&format!("{} (cache)", stored.display())]);
    let file = env
        .fx(
            "mini-attack-9.8.json",
            &["attack", "info", "--format", "json"],
        )
        .ok()
        .json();
    assert_eq!(file["source_kind"], "file");
    // A downloaded bundle, even older than the built-in release, comes first (the issue's
    // order); asking for the built-in release by version gets it.
    let built_in = env
        .run(&[
            "--domain",
            "ics",
            "--attack-version",
            "18.1",
            "attack",
            "info",
            "--format",
            "csv",
        ])
        .ok_noisy();
    built_in.stdout_has(&["source_kind,built-in", "version,18.1"]);
}

#[test]
fn offline_with_a_missing_version_names_it() {
    let env = Env::new();
    env.store("mini-attack-2.1.json", "enterprise-attack-9.9.json");
    env.run(&["--attack-version", "9.7", "attack", "info"])
        .fails()
        .stderr_has(&[
            "ATT&CK enterprise 9.7 is not in the cache",
            "the release built into covmap is 18.1",
            "covmap attack fetch --domain enterprise --version 9.7` on a machine with network access",
            "--attack",
        ]);
    // A version neither cached nor built in is an error online too: nothing downloads
    // unless asked.
    let mut cmd = env.cmd();
    cmd.env("COVMAP_OFFLINE", "0")
        .args(["--attack-version", "9.7", "attack", "info"]);
    let out = run(cmd).fails();
    assert!(!out.stderr.contains("network access"), "{}", out.stderr);
    out.stderr_has(&["run `covmap attack fetch --domain enterprise --version 9.7`,"]);
}

#[test]
fn cached_bundle_is_used_without_attack() {
    let env = Env::new();
    let stored = env.store("mini-attack-2.1.json", "enterprise-attack-9.9.json");
    let doc = env.run(&["attack", "info", "--format", "json"]).ok().json();
    assert_eq!(doc["version"], "9.9");
    assert_eq!(doc["source"], stored.display().to_string());
    env.run(&["attack", "show", "T1059.001"])
        .ok()
        .stdout_has(&["T1059.001 PowerShell (technique)"]);
}

#[test]
fn newest_cached_version_wins_and_attack_version_picks() {
    let env = Env::new();
    env.store("mini-attack-9.8.json", "enterprise-attack-9.8.json");
    env.store("mini-attack-2.1.json", "enterprise-attack-9.9.json");
    // A stray file that is not a stored bundle name is ignored.
    env.store("not-json.json", "enterprise-attack-latest.json");
    let newest = env.run(&["attack", "info", "--format", "json"]).ok().json();
    assert_eq!(newest["version"], "9.9");
    let older = env
        .run(&[
            "--attack-version",
            "9.8",
            "attack",
            "info",
            "--format",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(older["version"], "9.8");
    assert!(
        older["source"]
            .as_str()
            .unwrap()
            .ends_with("enterprise-attack-9.8.json")
    );
    // 9.8 has T1499; 9.9 does not.
    env.run(&["--attack-version", "9.8", "attack", "show", "T1499"])
        .ok();
    env.run(&["attack", "show", "T1499"]).fails();
}

#[test]
fn versions_compare_numerically() {
    let env = Env::new();
    // 9.10 is newer than 9.9 (not older, as a string comparison would have it).
    env.store("mini-attack-2.1.json", "enterprise-attack-9.9.json");
    env.store("mini-attack-9.8.json", "enterprise-attack-9.10.json");
    let doc = env.run(&["attack", "info", "--format", "json"]).ok().json();
    assert!(
        doc["source"]
            .as_str()
            .unwrap()
            .ends_with("enterprise-attack-9.10.json"),
        "{doc}"
    );
}

#[test]
fn domain_picks_its_own_bundles() {
    let env = Env::new();
    env.store("mini-attack-2.1.json", "enterprise-attack-9.9.json");
    env.store("mini-ics-2.1.json", "ics-attack-9.9.json");
    let ics = env
        .run(&["--domain", "ics", "attack", "info", "--format", "json"])
        .ok()
        .json();
    assert_eq!(ics["domain"], "ics-attack");
    assert!(
        ics["source"]
            .as_str()
            .unwrap()
            .ends_with("ics-attack-9.9.json")
    );
    let enterprise = env.run(&["attack", "info", "--format", "json"]).ok().json();
    assert_eq!(enterprise["domain"], "enterprise-attack");
    env.run(&["--domain", "ics", "attack", "techniques", "--format", "csv"])
        .ok()
        .stdout_has(&["T0819,Exploit Public-Facing Application", "T0871"]);
}

#[test]
fn covmap_attack_env_works_like_the_option() {
    let env = Env::new();
    // Even with a cached bundle, COVMAP_ATTACK wins.
    env.store("mini-attack-2.1.json", "enterprise-attack-9.9.json");
    let mut cmd = env.cmd();
    cmd.env("COVMAP_ATTACK", fixture("mini-attack-9.8.json"))
        .args(["attack", "info", "--format", "json"]);
    let doc = run(cmd).ok().json();
    assert_eq!(doc["version"], "9.8");
    assert_eq!(
        doc["source"],
        fixture("mini-attack-9.8.json").display().to_string()
    );
    // And --attack wins over COVMAP_ATTACK.
    let mut cmd = env.cmd();
    cmd.env("COVMAP_ATTACK", fixture("mini-attack-9.8.json"))
        .arg("--attack")
        .arg(fixture("mini-ics-2.1.json"))
        .args(["attack", "info", "--format", "json"]);
    assert_eq!(run(cmd).ok().json()["domain"], "ics-attack");
    // A COVMAP_ATTACK that does not exist is an error naming it, not a fallback to the cache.
    let mut cmd = env.cmd();
    cmd.env("COVMAP_ATTACK", env.cache().join("gone.json"))
        .args(["attack", "info"]);
    run(cmd).fails().stderr_has(&["gone.json"]);
}

#[test]
fn cache_dir_option_overrides_the_environment() {
    let env = Env::new();
    let other = Env::new();
    other.store("mini-attack-9.8.json", "enterprise-attack-9.8.json");
    let mut cmd = env.cmd();
    cmd.arg("--cache-dir")
        .arg(other.cache())
        .args(["attack", "info", "--format", "json"]);
    assert_eq!(run(cmd).ok().json()["version"], "9.8");
    assert!(env.files().is_empty(), "{:?}", env.files());
}
