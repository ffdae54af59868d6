//! Output size grows with techniques plus capabilities, never with their product (issue 16 §4):
//! a capability's name is written once in assessment.json and shortened where it repeats per
//! technique. A 100 KB name made a 426 MB report set before.

use std::fmt::Write as _;
use std::path::Path;

use crate::common::{Env, run};
use crate::inv::write;
use crate::report::files;

/// A bundle with one tactic of `n` Windows techniques `T0000`..., generated here.
fn bundle(dir: &Path, n: usize) -> std::path::PathBuf {
    let external =
        |id: &str| serde_json::json!([{ "source_name": "mitre-attack", "external_id": id }]);
    let mut objects = vec![
        serde_json::json!({
            "type": "x-mitre-collection", "id": "x-mitre-collection--0", "name": "Generated",
            "x_mitre_version": "1.0",
        }),
        serde_json::json!({
            "type": "x-mitre-matrix", "id": "x-mitre-matrix--0", "name": "Generated Matrix",
            "external_references": external("enterprise-attack"),
            "tactic_refs": ["x-mitre-tactic--execution"],
        }),
        serde_json::json!({
            "type": "x-mitre-tactic", "id": "x-mitre-tactic--execution", "name": "Execution",
            "x_mitre_shortname": "execution", "external_references": external("TA0002"),
        }),
    ];
    objects.extend((0..n).map(|i| {
        serde_json::json!({
            "type": "attack-pattern",
            "id": format!("attack-pattern--{i}"),
            "name": format!("Technique {i}"),
            "external_references": external(&format!("T{i:04}")),
            "kill_chain_phases": [{ "kill_chain_name": "mitre-attack", "phase_name": "execution" }],
            "x_mitre_platforms": ["Windows"],
        })
    }));
    let doc = serde_json::json!({ "type": "bundle", "id": "bundle--0", "objects": objects });
    let path = dir.join("generated-attack.json");
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    path
}

/// An inventory of `capabilities` capabilities named by `name(i)`, each detecting every one of
/// `techniques` techniques.
fn inventory(
    dir: &Path,
    file: &str,
    capabilities: usize,
    techniques: usize,
    name: impl Fn(usize) -> String,
) -> std::path::PathBuf {
    let ids: Vec<String> = (0..techniques).map(|i| format!("T{i:04}")).collect();
    let mut text = String::from("covmap: 1\norganization: Size test\ncapabilities:\n");
    for c in 0..capabilities {
        let _ = write!(
            text,
            "  - id: cap{c}\n    name: \"{}\"\n    coverage:\n      - {{techniques: [{}], function: detect, level: partial}}\n",
            name(c),
            ids.join(", ")
        );
    }
    write(dir, file, &text)
}

/// Writes the report set of `inventory` into `out` and returns its total size in bytes.
fn report_set(env: &Env, attack: &Path, inventory: &Path, out: &Path) -> u64 {
    let mut cmd = env.cmd();
    cmd.env("SOURCE_DATE_EPOCH", "1767225600")
        .arg("--attack")
        .arg(attack)
        .arg("assess")
        .arg(inventory)
        .arg("-o")
        .arg(out);
    let result = run(cmd);
    assert_eq!(result.code, 0, "{result:?}");
    files(out).values().map(|b| b.len() as u64).sum()
}

#[test]
fn long_capability_names_do_not_multiply_the_report_set() {
    const TECHNIQUES: usize = 300;
    const CAPABILITIES: usize = 3;
    const NAME: usize = 100_000;
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let attack = bundle(dir.path(), TECHNIQUES);
    let long = |c: usize| format!("{c}{}", "N".repeat(NAME - 1));
    let short = inventory(dir.path(), "short.yaml", CAPABILITIES, TECHNIQUES, |c| {
        format!("Capability {c}")
    });
    let long_inventory = inventory(dir.path(), "long.yaml", CAPABILITIES, TECHNIQUES, long);
    let base = report_set(&env, &attack, &short, &dir.path().join("short"));
    let out = dir.path().join("long");
    let total = report_set(&env, &attack, &long_inventory, &out);
    // The names may appear a few times per capability (assessment.json, the capability tables
    // of report.html, coverage.xlsx and the CSV files), never once per technique: with 300
    // techniques that would be 300 x 3 x 100 KB = 90 MB per file that repeats them.
    let names = (CAPABILITIES * NAME) as u64;
    let bound = base + 12 * names;
    #[allow(clippy::print_stderr)] // the measure is worth seeing in the test log
    {
        eprintln!(
            "report set: {base} bytes with short names, {total} with 100 KB names (bound {bound})"
        );
    }
    assert!(
        total <= bound,
        "{total} bytes, bound {bound}: {:?}",
        sizes(&out)
    );
    // assessment.json holds each name once: in the capability list.
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("assessment.json")).unwrap()).unwrap();
    let text = doc.to_string();
    for c in 0..CAPABILITIES {
        assert_eq!(text.matches(&long(c)).count(), 1, "cap{c}");
    }
    assert_eq!(doc["format"], 3);
    let contribution = &doc["techniques"][0]["capabilities"][0];
    assert_eq!(contribution["id"], "cap0");
    assert!(contribution.get("name").is_none(), "{contribution}");

    // `covmap report` renders the same set from it, byte for byte.
    let again = dir.path().join("again");
    let mut cmd = env.cmd();
    cmd.env("SOURCE_DATE_EPOCH", "1767225600")
        .arg("--attack")
        .arg(&attack)
        .arg("report")
        .arg(out.join("assessment.json"))
        .arg("-o")
        .arg(&again);
    let result = run(cmd);
    assert_eq!(result.code, 0, "{result:?}");
    let (first, second) = (files(&out), files(&again));
    for (name, bytes) in &second {
        // The manifests differ by assessment.json's entry, which `report` does not write.
        if name == ".covmap-manifest.json" {
            continue;
        }
        // The saved assessment has no inventory to plan with.
        if name == "report.html" {
            let html = first.get(name).expect("report.html");
            assert!(
                crate::report::without_plan_section(html) == *bytes,
                "{name} differs"
            );
            continue;
        }
        if name == "summary.md" {
            let md = first.get(name).expect("summary.md");
            assert!(
                crate::report::without_actions_section(md) == *bytes,
                "{name} differs"
            );
            continue;
        }
        assert!(first.get(name) == Some(bytes), "{name} differs");
    }
}

fn sizes(dir: &Path) -> Vec<(String, usize)> {
    files(dir).into_iter().map(|(n, b)| (n, b.len())).collect()
}
