//! One rule repository is one system: however its rules are grouped into capabilities
//! (`--group-by folder`, `product`, `none`) or read (`import:`), the written inventory scores
//! the same, to the last bit.

use std::path::{Path, PathBuf};

use covmap_assess::inventory::{ImportFormat, Inventory};
use covmap_assess::parse::{SourceFile, ValidationContext, parse_inventories};
use covmap_assess::score::{AssessOptions, Assessment, assess};
use covmap_core::Attack;
use covmap_import::request::Request;
use covmap_import::write::{WriteOptions, inventory_yaml};

use crate::common::{enterprise_18, shared};

/// Imports `path` grouped by `group_by` and reads the written inventory back.
fn written(format: ImportFormat, path: &Path, group_by: &str, attack: &Attack) -> Inventory {
    let mut request = Request::new(format, vec![path.to_path_buf()]);
    request.group_by = Some(group_by.to_string());
    let outcome = request.run(attack).expect("the import runs");
    let yaml = inventory_yaml(&outcome, attack, &WriteOptions::default());
    let parsed = parse_inventories(
        &[SourceFile::new("written.yaml", yaml)],
        attack,
        &ValidationContext::default(),
    );
    assert!(!parsed.has_errors(), "{:#?}", parsed.diagnostics);
    parsed.inventory
}

/// The scores of an assessment: overall, and every technique's headline, per function and per
/// platform.
fn scores(a: &Assessment) -> Vec<String> {
    let mut out = vec![format!("overall {}", a.overall)];
    for t in &a.techniques {
        out.push(format!("{} {} {:?}", t.id, t.score, t.functions));
    }
    out
}

/// Asserts that every grouping scores like one capability of all the rules; returns the
/// overall score.
fn same_scores(format: ImportFormat, path: &Path, attack: &Attack) -> f64 {
    let one = written(format, path, "none", attack);
    assert_eq!(one.capabilities.len(), 1);
    let expected = assess(attack, &one, &AssessOptions::default());
    for group_by in ["folder", "product"] {
        let grouped = written(format, path, group_by, attack);
        let system = grouped.capabilities[0].system().to_string();
        assert!(
            grouped.capabilities.iter().all(|c| c.system() == system),
            "{group_by}: one system"
        );
        assert_eq!(system, one.capabilities[0].id);
        let got = assess(attack, &grouped, &AssessOptions::default());
        assert_eq!(scores(&got), scores(&expected), "{group_by}");
    }
    expected.overall
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn rule(id: u32, status: &str, product: Option<&str>, techniques: &[&str]) -> String {
    let product = product.map_or_else(String::new, |p| format!("    product: {p}\n"));
    let mut tags = String::new();
    for t in techniques {
        tags.push_str("    - attack.");
        tags.push_str(&t.to_ascii_lowercase());
        tags.push('\n');
    }
    format!(
        "title: Rule {id}\nid: 00000000-0000-4000-8000-{id:012}\nstatus: {status}\nlogsource:\n{product}    category: process_creation\ndetection:\n    sel:\n        Image: x\n    condition: sel\ntags:\n{tags}"
    )
}

/// A made-up repository where folders disagree: T1105 has a stable Windows rule, a test Linux
/// rule and a test rule without platform, in three folders. Each folder alone would make it
/// partial, minimal and minimal; the repository as a whole (3 rules, one stable) significant,
/// on every platform (a rule without platform applies on all of the repository's).
#[test]
fn groupings_of_a_made_up_repository_score_alike() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "rules/win/a.yml",
        &rule(1, "stable", Some("windows"), &["T1105", "T1059.001"]),
    );
    write(
        dir.path(),
        "rules/lin/b.yml",
        &rule(2, "test", Some("linux"), &["T1105", "T1021.004"]),
    );
    write(
        dir.path(),
        "rules/any/c.yml",
        &rule(3, "test", None, &["T1105"]),
    );
    write(
        dir.path(),
        "rules/lin/d.yml",
        &rule(4, "test", Some("linux"), &["T1021.004"]),
    );
    let root = dir.path().join("rules");
    same_scores(ImportFormat::Sigma, &root, attack);

    let folders = written(ImportFormat::Sigma, &root, "folder", attack);
    let ids: Vec<(&str, &str, Vec<String>)> = folders
        .capabilities
        .iter()
        .map(|c| (c.id.as_str(), c.system(), c.platforms.clone()))
        .collect();
    // The folder of the rule without platform applies on all of the repository's platforms.
    assert_eq!(
        ids,
        [
            (
                "rules-any",
                "sigma",
                vec!["Linux".to_string(), "Windows".to_string()]
            ),
            ("rules-lin", "sigma", vec!["Linux".to_string()]),
            ("rules-win", "sigma", vec!["Windows".to_string()]),
        ]
    );
    let a = assess(attack, &folders, &AssessOptions::default());
    // T1105: significant (0.9 x 0.8) on each of its platforms in scope that the repository
    // has (Linux, Windows), none on ESXi, macOS and Network Devices: 2 x 0.72 / 5.
    let t = a.technique("T1105").expect("T1105");
    assert!((t.functions.detect.score - 2.0 * 0.72 / 5.0).abs() < 1e-9);
    // T1021.004: two Linux test rules, both in `lin`: partial on Linux (1 of 3 platforms).
    let t = a.technique("T1021.004").expect("T1021.004");
    assert!(
        (t.functions.detect.score - 0.4 / 3.0).abs() < 1e-6,
        "{:?}",
        t.functions.detect
    );

    // `import:` reads the repository into one capability: the same scores again when that
    // capability has the repository's platforms.
    let inventory = format!(
        "covmap: 1\ncapabilities:\n  - id: siem\n    platforms: [Linux, Windows]\n    import:\n      - {{format: sigma, path: {}}}\n",
        serde_json::Value::String(root.display().to_string())
    );
    let mut parsed = parse_inventories(
        &[SourceFile::new(
            PathBuf::from("inline.yaml"),
            inventory.into_bytes(),
        )],
        attack,
        &ValidationContext::default(),
    );
    assert!(!parsed.has_errors(), "{:#?}", parsed.diagnostics);
    let diagnostics = covmap_import::expand::expand(&mut parsed.inventory, attack);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let imported = assess(attack, &parsed.inventory, &AssessOptions::default());
    assert_eq!(scores(&imported), scores(&a));
}

/// The shared corpora: Sigma, Elastic and Splunk score the same whatever the grouping. Overall
/// figures, for the record (docs/scoring.md): Sigma 0.065839, Elastic and Splunk as printed.
#[test]
fn groupings_of_the_real_corpora_score_alike() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    for (format, path) in [
        (ImportFormat::Sigma, "data/corpora/sigma/rules"),
        (ImportFormat::Elastic, "data/corpora/elastic/rules"),
        (ImportFormat::Splunk, "data/corpora/splunk/detections"),
    ] {
        let Some(dir) = shared(path) else {
            return;
        };
        same_scores(format, &dir, attack);
    }
}
