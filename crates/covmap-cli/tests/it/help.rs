//! Help and hints: each command's own options before the global ones,
//! which sit under a "Global options" heading; `attack fetch` offers no `--attack`; did-you-mean
//! wherever a name is looked up; renamed platforms; `import --level` words.

use crate::common::{Env, run};
use crate::inv::root_mini;

const MINIMAL: &str = "fixtures/inventory/good/minimal.yaml";
const FULL: &str = "fixtures/inventory/good/full.yaml";

/// The `--help` of `args`, checked to list the command's own options first and every global
/// option under "Global options:" after them. Returns the help text.
fn help_of(env: &Env, args: &[&str], own: &[&str]) -> String {
    let mut full: Vec<&str> = args.to_vec();
    full.push("--help");
    let out = env.run(&full).ok();
    let text = out.stdout;
    let heading = text
        .find("\nGlobal options:\n")
        .unwrap_or_else(|| panic!("{args:?}: no Global options heading:\n{text}"));
    let options = text
        .find("\nOptions:\n")
        .unwrap_or_else(|| panic!("{args:?}: no Options heading:\n{text}"));
    assert!(options < heading, "{args:?}: own options first:\n{text}");
    for flag in own {
        let at = text
            .find(&format!("  {flag}"))
            .unwrap_or_else(|| panic!("{args:?}: {flag} missing:\n{text}"));
        assert!(
            at < heading,
            "{args:?}: {flag} is the command's own:\n{text}"
        );
    }
    for global in [
        "--domain",
        "--attack-version",
        "--offline",
        "--cache-dir",
        "--no-cache",
        "--jobs",
    ] {
        let at = text
            .find(&format!("\n      {global}"))
            .unwrap_or_else(|| panic!("{args:?}: {global} missing:\n{text}"));
        assert!(at > heading, "{args:?}: {global} is global:\n{text}");
    }
    text
}

#[test]
fn own_options_first_then_global_options() {
    let env = Env::new();
    for (args, own) in [
        (
            &["assess"][..],
            &["-o, --output", "--format", "--palette"][..],
        ),
        (&["gaps"], &["--top", "--tactic", "--by"]),
        (&["compare"], &["--candidate", "--without", "--replace"]),
        (&["validate"], &["--strict"]),
        (&["attack", "show"], &["--format"]),
        (&["attack", "techniques"], &["--tactic", "--platform"]),
    ] {
        let text = help_of(&env, args, own);
        let heading = text.find("\nGlobal options:\n").unwrap_or_default();
        let attack = text.find("  --attack <PATH>").expect("--attack is offered");
        assert!(attack > heading, "{args:?}:\n{text}");
    }
}

#[test]
fn attack_fetch_offers_no_attack() {
    let env = Env::new();
    let text = help_of(&env, &["attack", "fetch"], &["--version"]);
    assert!(!text.contains("\n      --attack <PATH>"), "{text}");
    // Given anyway, before or after the command, it is refused with what to do instead; the
    // offline check would refuse too, so this proves the --attack check comes first.
    for args in [
        &["attack", "fetch", "--attack", "x.json"][..],
        &["--attack", "x.json", "attack", "fetch"],
    ] {
        env.run(args).fails().stderr_has(&[
            "`covmap attack fetch` takes no --attack",
            "hint: drop --attack to download into the cache",
        ]);
    }
    // COVMAP_ATTACK applies to every command: fetch is not refused for it (here the refusal
    // is --offline's, whatever the environment names).
    let mut cmd = env.cmd();
    cmd.env("COVMAP_ATTACK", "x.json")
        .env("COVMAP_OFFLINE", "1")
        .args(["attack", "fetch"]);
    let out = run(cmd).fails();
    assert!(!out.stderr.contains("takes no --attack"), "{}", out.stderr);
    assert!(out.stderr.contains("--offline"), "{}", out.stderr);
}

#[test]
fn did_you_mean_where_names_are_looked_up() {
    let env = Env::new();
    // The mini bundle has G0016 APT29 (alias Cozy Bear) and the tactic execution.
    root_mini(&env, &["threats", MINIMAL, "--group", "APT-29"])
        .fails()
        .stderr_has(&["hint: did you mean G0016 (APT29)"]);
    root_mini(&env, &["threats", MINIMAL, "--group", "cozybear"])
        .fails()
        .stderr_has(&["hint: did you mean G0016 (APT29)"]);
    root_mini(&env, &["gaps", MINIMAL, "--tactic", "executoin"])
        .fails()
        .stderr_has(&["hint: did you mean `execution`?"]);
    root_mini(&env, &["attack", "techniques", "--tactic", "Executon"])
        .fails()
        .stderr_has(&["hint: did you mean TA0002 (Execution)?"]);
    root_mini(&env, &["attack", "show", "APT-29"])
        .fails()
        .stderr_has(&["hint: did you mean G0016 (APT29)"]);
    root_mini(&env, &["compare", FULL, "--candidate", "email-gatway"])
        .fails()
        .stderr_has(&[
            "no capability `email-gatway`",
            "hint: did you mean `email-gateway`?",
        ]);
    root_mini(&env, &["compare", FULL, "--replace", "ed=email-gateway"])
        .fails()
        .stderr_has(&["hint: did you mean `edr`?"]);
    // An unknown --without id is reported as not counted, as before, with a warning saying
    // what was probably meant.
    root_mini(&env, &["compare", FULL, "--without", "edrr"])
        .ok_noisy()
        .stderr_has(&[
            "--without `edrr` names no capability",
            "hint: did you mean `edr`?",
        ]);
}

#[test]
fn renamed_platforms_and_level_words() {
    let env = Env::new();
    // The mini bundle has `Office Suite`, ATT&CK's new name for `Office 365`.
    root_mini(&env, &["attack", "techniques", "--platform", "Office 365"])
        .fails()
        .stderr_has(&["hint: ATT&CK renamed `Office 365`: it is now `Office Suite`"]);
    root_mini(&env, &["attack", "techniques", "--platform", "Windwos"])
        .fails()
        .stderr_has(&["hint: did you mean `Windows`?"]);
    root_mini(
        &env,
        &[
            "import",
            "navigator",
            "fixtures/inventory/good/minimal.yaml",
            "--level",
            "high",
        ],
    )
    .fails()
    .stderr_has(&[
        "--level `high` is not a level",
        "hint: did you mean `significant`?",
    ]);
}
