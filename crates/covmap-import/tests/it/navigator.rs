//! Navigator layers of the shared corpus.

use std::collections::BTreeMap;

use covmap_import::navigator::{self, NavigatorOptions};
use covmap_import::resolve::resolve;

use crate::common::{enterprise_18, shared};

/// Figures computed independently with Python, run in
/// `../shared/data/corpora/navigator`:
///
/// ```python
/// import json, glob
/// files = sorted(glob.glob('**/*.json', recursive=True)); items = 0; ids = set()
/// for f in files:
///     d = json.load(open(f))
///     for l in (d if isinstance(d, list) else [d]):
///         for t in l['techniques']: items += 1; ids.add(t['techniqueID'].upper())
/// print(len(files), items, len(ids))   # 5 786 447
/// ```
///
/// Revoked/deprecated states come from the 18.1 bundle's `attack-pattern` objects (`revoked`,
/// `x_mitre_deprecated`) and `revoked-by` relationships followed to their end. One entry is
/// left out: a RedCanary entry (`T1053`) holding only `showSubtechniques`.
#[test]
fn real_layers() {
    let (Some(dir), Some(attack)) = (shared("data/corpora/navigator"), enterprise_18()) else {
        return;
    };
    let mut imported = navigator::import(&[dir], &NavigatorOptions::default());
    let s = &imported.summary;
    assert_eq!(s.files_read, 5);
    assert_eq!(s.files_skipped, 0);
    assert_eq!(s.items_read, 786);
    assert_eq!(s.items_with_techniques, 786);
    assert_eq!(s.items_filtered, 1);
    assert_eq!(s.techniques.len(), 447);
    assert_eq!(imported.capabilities.len(), 5);
    // GuardDuty's ATT&CK v9 platform names map to today's.
    let guardduty = imported
        .capabilities
        .iter()
        .find(|c| c.id == "amazon-guardduty")
        .expect("GuardDuty layer");
    assert_eq!(
        guardduty.platforms,
        [
            "IaaS",
            "Identity Provider",
            "Linux",
            "Network Devices",
            "Office Suite",
            "PRE",
            "SaaS",
            "Windows",
            "macOS"
        ]
    );
    assert!(imported.findings.is_empty(), "{:?}", imported.findings);

    let entries_before: usize = imported.capabilities.iter().map(|c| c.entries.len()).sum();
    assert_eq!(entries_before, 785);
    let resolution = resolve(&mut imported, attack);
    let remapped: BTreeMap<&str, &str> = resolution
        .remapped
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        remapped,
        BTreeMap::from([
            ("T1053.001", "T1053.002"),
            ("T1547.011", "T1647"),
            ("T1574.002", "T1574.001"),
        ])
    );
    assert_eq!(
        resolution.deprecated.keys().collect::<Vec<_>>(),
        ["T1053.004"]
    );
    assert!(resolution.unknown.is_empty());
    // T1053.004 is dropped wherever it appears, with one finding per file.
    assert!(
        imported
            .findings
            .iter()
            .all(|f| f.message.contains("T1053.004"))
    );
}

/// `fixtures/import/navigator`: an array of layers, a malformed file, an empty folder.
#[test]
fn fixture_layers() {
    let root = crate::common::repo_root().join("fixtures/import/navigator");
    let mut imported = navigator::import(
        &[root.join("layers"), root.join("empty")],
        &NavigatorOptions::default(),
    );
    assert_eq!(imported.summary.files_read, 1);
    assert_eq!(imported.summary.files_skipped, 1);
    assert_eq!(imported.summary.items_read, 4);
    let ids: Vec<_> = imported
        .capabilities
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(ids, ["edr", "ndr"]);
    let messages: Vec<String> = imported.findings.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    // Sorted by path: `empty` before `layers`.
    assert!(messages[0].ends_with("empty: the folder holds no file to import"));
    assert!(
        messages[1].contains("b-malformed.json:4:1: not valid JSON"),
        "{messages:?}"
    );
    let Some(attack) = enterprise_18() else {
        return;
    };
    let resolution = resolve(&mut imported, attack);
    assert_eq!(
        resolution.remapped.get("T1574.002").map(String::as_str),
        Some("T1574.001")
    );
    assert_eq!(resolution.unknown.keys().collect::<Vec<_>>(), ["T9999"]);
    let edr = &imported.capabilities[0];
    let got: Vec<_> = edr
        .entries
        .iter()
        .map(|e| (e.technique.as_str(), e.written.as_str()))
        .collect();
    assert_eq!(got, [("T1574.001", "T1574.002"), ("T1003", "T1003")]);
}
