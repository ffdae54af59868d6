//! Completions, man page, help, version, colour and closed pipes.

use crate::common::{Env, fixture, run, run_into_closed_pipe, std_covmap};

#[test]
fn completions_for_each_shell() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = env.run(&["completions", shell]).ok();
        assert!(
            out.stdout.len() > 1000,
            "{shell}: {} bytes",
            out.stdout.len()
        );
        assert!(out.stdout.contains("covmap"), "{shell}");
        // The nested subcommands are completed too.
        assert!(out.stdout.contains("techniques"), "{shell}");
    }
    env.run(&["completions", "tcsh"])
        .fails()
        .stderr_has(&["invalid value 'tcsh'", "bash"]);
}

#[test]
fn man_page_is_roff() {
    let env = Env::new();
    let out = env.run(&["man"]).ok();
    assert!(
        out.stdout.starts_with(".TH") || out.stdout.starts_with(".ie"),
        "{}",
        &out.stdout[..out.stdout.len().min(200)]
    );
    assert!(out.stdout.contains(".TH covmap 1"));
    assert!(out.stdout.contains(".SH NAME"));
    assert!(out.stdout.contains("attack"));
    assert!(out.stdout.contains("completions"));
}

#[test]
fn help_lists_the_subcommands() {
    let env = Env::new();
    for flag in ["--help", "-h"] {
        let out = env.run(&[flag]).ok();
        for needle in [
            "Usage: covmap",
            "attack",
            "completions",
            "man",
            "--attack <PATH>",
        ] {
            assert!(out.stdout.contains(needle), "{flag}: {needle}");
        }
    }
    let out = env.run(&["attack", "--help"]).ok();
    for sub in ["info", "techniques", "show", "group", "diff", "fetch"] {
        assert!(
            out.stdout
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{sub} "))),
            "attack --help lacks {sub}:\n{}",
            out.stdout
        );
    }
    env.run(&["attack", "techniques", "--help"])
        .ok()
        .stdout_has(&["--tactic", "--platform", "--subtechniques", "--format"]);
    env.run(&["help", "attack", "fetch"])
        .ok()
        .stdout_has(&["--version <VERSION>"]);
}

#[test]
fn version_flag() {
    let env = Env::new();
    let out = env.run(&["--version"]).ok();
    assert_eq!(
        out.stdout,
        format!("covmap {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2() {
    let env = Env::new();
    // No command at all: help on stderr, exit 2.
    let out = env.run(&[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("Usage: covmap"), "{out:?}");
    env.run(&["attack", "frobnicate"])
        .fails()
        .stderr_has(&["unrecognized subcommand 'frobnicate'"]);
    env.run(&["attack", "show"]).fails().stderr_has(&["<ID>"]);
    env.run(&["--domain", "pre", "attack", "info"])
        .fails()
        .stderr_has(&["invalid value 'pre'", "enterprise", "mobile", "ics"]);
}

#[test]
fn no_color_errors_have_no_escape_sequences() {
    let env = Env::new();
    for no_color in [None, Some("1")] {
        let mut cmd = env.cmd();
        if let Some(value) = no_color {
            cmd.env("NO_COLOR", value);
        }
        cmd.arg("--attack")
            .arg(fixture("mini-attack-2.1.json"))
            .args(["attack", "show", "T1059.999"]);
        let out = run(cmd).fails();
        assert!(out.stderr.starts_with("error: "), "{:?}", out.stderr);
        assert!(!out.stderr.contains('\x1b'), "{:?}", out.stderr);
        // clap's own errors too.
        let mut cmd = env.cmd();
        if let Some(value) = no_color {
            cmd.env("NO_COLOR", value);
        }
        cmd.args(["attack", "info", "--format", "yaml"]);
        let out = run(cmd).fails();
        assert!(!out.stderr.contains('\x1b'), "{:?}", out.stderr);
        // Successful output is plain as well.
        let mut cmd = env.cmd();
        if let Some(value) = no_color {
            cmd.env("NO_COLOR", value);
        }
        cmd.arg("--attack")
            .arg(fixture("mini-attack-2.1.json"))
            .args(["attack", "group", "APT29"]);
        let out = run(cmd).ok();
        assert!(!out.stdout.contains('\x1b'));
    }
}

#[test]
fn closed_stdout_exits_0_quietly() {
    let env = Env::new();
    let mini = fixture("mini-attack-2.1.json");
    let mini_98 = fixture("mini-attack-9.8.json");
    let mini = mini.to_str().unwrap();
    let mini_98 = mini_98.to_str().unwrap();
    for args in [
        &["completions", "bash"][..],
        &["completions", "zsh"],
        &["man"],
        &["--help"],
        &["--attack", mini, "attack", "info"],
        &["--attack", mini, "attack", "info", "--format", "json"],
        &["--attack", mini, "attack", "info", "--format", "csv"],
        &["--attack", mini, "attack", "techniques"],
        &["--attack", mini, "attack", "techniques", "--format", "json"],
        &["--attack", mini, "attack", "techniques", "--format", "csv"],
        &["--attack", mini, "attack", "show", "T1059.001"],
        &[
            "--attack",
            mini,
            "attack",
            "show",
            "T1059.001",
            "--format",
            "json",
        ],
        &["--attack", mini, "attack", "group", "APT29"],
        &[
            "--attack", mini, "attack", "group", "APT29", "--format", "csv",
        ],
        &["attack", "diff", mini_98, mini],
        &["attack", "diff", mini_98, mini, "--format", "json"],
    ] {
        let mut cmd = std_covmap(env.cache());
        cmd.args(args);
        let (code, stderr) = run_into_closed_pipe(cmd);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}
