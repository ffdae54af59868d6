//! Nothing from an input drives the terminal (issue 16 §4, Terminal): control characters in
//! inventories, bundles and saved assessments (ESC sequences that retitle and clear the
//! screen, BEL, C1 controls, DEL, bidirectional overrides) are escaped in everything covmap
//! prints, on stdout and stderr, in every format; JSON and YAML stay valid and mean the same.

use std::path::Path;

use serde_json::Value;

use crate::common::{Env, Out, fixture, run};
use crate::inv::write;

/// Retitles the terminal, rings, clears the screen; a C1 CSI; DEL; a right-to-left override.
const HOSTILE: &str = "Acme\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{7f}\u{202e}gnp.exe\u{2066}";

/// What must never reach a terminal raw.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            matches!(c, '\u{0}'..='\u{8}' | '\u{b}'..='\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
                | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
                || (c == '\r')
        })
        .collect()
}

#[track_caller]
fn assert_clean(what: &str, out: &Out) {
    for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let found = raw_controls(text);
        assert!(
            found.is_empty(),
            "{what}: raw control characters {found:?} on {stream}: {text:?}"
        );
    }
}

/// `text` as a YAML double-quoted string (escapes for every control character).
fn yaml_quoted(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

fn hostile_inventory(dir: &Path) -> std::path::PathBuf {
    let q = yaml_quoted(HOSTILE);
    write(
        dir,
        "hostile.yaml",
        &format!(
            "covmap: 1\norganization: {q}\nscope:\n  exclude:\n    - technique: T1078\n      reason: {q}\ncapabilities:\n  - id: edr\n    name: {q}\n    vendor: {q}\n    owner: {q}\n    tags: [{q}]\n    coverage:\n      - {{techniques: [T1059.001, T1059], function: detect, level: partial, evidence: {q}}}\n"
        ),
    )
}

/// A copy of the mini bundle whose names, aliases and descriptions carry [`HOSTILE`].
fn hostile_bundle(dir: &Path) -> std::path::PathBuf {
    let bytes = std::fs::read(fixture("mini-attack-2.1.json")).unwrap();
    let mut doc: Value = serde_json::from_slice(&bytes).unwrap();
    for object in doc["objects"].as_array_mut().unwrap() {
        if let Some(name) = object.get("name").and_then(Value::as_str) {
            let name = format!("{name} {HOSTILE}");
            object["name"] = Value::String(name);
        }
        if object.get("description").is_some() {
            object["description"] = Value::String(HOSTILE.to_string());
        }
    }
    let path = dir.join("hostile-attack.json");
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    path
}

fn covmap(env: &Env, bundle: &Path, args: &[&str]) -> Out {
    let mut cmd = env.cmd();
    cmd.arg("--attack").arg(bundle).args(args);
    run(cmd)
}

#[test]
fn inventory_text_is_escaped_in_every_command_and_format() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let inventory = hostile_inventory(dir.path());
    let inv = inventory.to_str().unwrap();
    let bundle = fixture("mini-attack-2.1.json");
    let mut checked = 0;
    for args in [
        vec!["validate", inv],
        vec!["validate", "--strict", inv],
        vec!["assess", inv],
        vec!["assess", inv, "--format", "json"],
        vec!["gaps", inv],
        vec!["gaps", inv, "--format", "csv"],
        vec!["gaps", inv, "--format", "json"],
        vec!["export", "navigator", inv],
    ] {
        let out = covmap(&env, &bundle, &args);
        assert!(out.code == 0 || out.code == 1, "{args:?}: {out:?}");
        assert_clean(&args.join(" "), &out);
        checked += 1;
    }
    assert_eq!(checked, 8);
    // The table shows the name with visible escapes.
    let out = covmap(&env, &bundle, &["assess", inv]);
    assert!(
        out.stdout
            .contains("Acme\\x1b]0;pwned\\x07\\x1b[2J\\u{9b}31m\\x7f\\u{202e}gnp.exe\\u{2066}"),
        "{}",
        out.stdout
    );
    // JSON escapes them and still reads back as the very same text.
    let doc = covmap(&env, &bundle, &["assess", inv, "--format", "json"]).json();
    assert_eq!(doc["organization"], HOSTILE);
    assert_eq!(doc["capabilities"][0]["name"], HOSTILE);
    // So does the layer.
    let layer = covmap(&env, &bundle, &["export", "navigator", inv]).json();
    assert!(layer.to_string().contains("gnp.exe"), "{layer}");
}

#[test]
fn diagnostics_and_errors_quoting_an_inventory_are_escaped() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let q = yaml_quoted(HOSTILE);
    // An unknown key, a capability id and a technique that quote the hostile text, and a raw
    // ESC byte in a comment that the source excerpt shows.
    let bad = write(
        dir.path(),
        "bad.yaml",
        &format!(
            "covmap: 1\norganization: {q}\ncapabilities:\n  - id: {q}\n    name: x # \u{1b}[2J\u{7}\n    {q}: 1\n    coverage:\n      - {{techniques: [{q}], function: detect, level: partial}}\n"
        ),
    );
    let bundle = fixture("mini-attack-2.1.json");
    for args in [
        vec!["validate", bad.to_str().unwrap()],
        vec!["assess", bad.to_str().unwrap()],
        vec!["validate", "--format", "json", bad.to_str().unwrap()],
    ] {
        let out = covmap(&env, &bundle, &args);
        assert_ne!(out.code, 0, "{args:?}: {out:?}");
        assert_clean(&args.join(" "), &out);
        if args.len() == 2 {
            assert!(out.stderr.contains("\\x1b"), "{args:?}: {}", out.stderr);
        }
    }
    // An inventory that is not even YAML, with raw controls on the offending line.
    let broken = write(
        dir.path(),
        "broken.yaml",
        "covmap: 1\norganization: [\u{1b}]0;x\u{7}\n",
    );
    let out = covmap(&env, &bundle, &["validate", broken.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{out:?}");
    assert_clean("validate broken.yaml", &out);
}

#[test]
fn bundle_text_is_escaped_in_attack_commands() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let bundle = hostile_bundle(dir.path());
    for args in [
        vec!["attack", "info"],
        vec!["attack", "show", "T1059"],
        vec!["attack", "show", "G0016"],
        vec!["attack", "techniques"],
        vec!["attack", "techniques", "--format", "csv"],
        vec!["attack", "techniques", "--format", "json"],
        vec!["attack", "group", "G0016"],
        vec!["attack", "show", "T1059", "--format", "json"],
    ] {
        let out = covmap(&env, &bundle, &args);
        assert_eq!(out.code, 0, "{args:?}: {out:?}");
        assert_clean(&args.join(" "), &out);
    }
    let doc = covmap(
        &env,
        &bundle,
        &["attack", "show", "T1059", "--format", "json"],
    )
    .json();
    assert_eq!(doc["description"], HOSTILE, "{doc}");
    // A saved assessment whose text is hostile, rendered again: the notes are escaped too.
    let inventory = hostile_inventory(dir.path());
    let out_dir = dir.path().join("report");
    let out = covmap(
        &env,
        &bundle,
        &[
            "assess",
            inventory.to_str().unwrap(),
            "-o",
            out_dir.to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_clean("assess -o", &out);
}
