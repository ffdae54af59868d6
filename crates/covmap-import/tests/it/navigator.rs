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
        resolution.deprecated.iter().collect::<Vec<_>>(),
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
