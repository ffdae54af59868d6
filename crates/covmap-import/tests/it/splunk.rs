//! Splunk security_content detections: the shared sample and `fixtures/import/splunk`.

use std::collections::BTreeMap;

use covmap_assess::inventory::{Level, NamedLevel};
use covmap_import::resolve::resolve;
use covmap_import::sigma::GroupBy;
use covmap_import::splunk::{self, SplunkOptions};

use crate::common::{enterprise_18, repo_root, shared};

/// Figures computed independently with Python (PyYAML 6.0.3), run in
/// `../shared/data/corpora/splunk`, with the default options (status production, one
/// capability per folder, the default level rule with TTP as Sigma's stable):
///
/// ```python
/// import yaml, glob, os, collections
/// files = sorted(glob.glob('detections/**/*.yml', recursive=True))
/// kept = with_t = 0; techs = set()
/// caps = collections.defaultdict(lambda: collections.defaultdict(list))
/// every = collections.defaultdict(list)   # per technique, all folders: the one system
/// for f in files:
///     d = yaml.safe_load(open(f))
///     if d.get('status') != 'production': continue
///     kept += 1
///     ts = {t.upper() for t in (d.get('tags') or {}).get('mitre_attack_id') or []}
///     if ts: with_t += 1; techs |= ts
///     for t in ts: caps[os.path.dirname(f)][t].append(d.get('type')); every[t].append(d.get('type'))
/// def level(ty):
///     n, s = len(ty), ty.count('TTP')
///     return 'significant' if n >= 3 and s else 'partial' if n >= 2 or s else 'minimal'
/// # Each folder's entry takes the level of all the rules of the import on its technique.
/// lv = collections.Counter(level(every[t]) for c in caps.values() for t in c)
/// print(len(files), kept, with_t, len(techs), len(caps),
///       sum(len(c) for c in caps.values()), sorted(lv.items()))
/// # 171 145 145 123 5 138 [('minimal', 33), ('partial', 73), ('significant', 32)]
/// ```
///
/// (Levels per folder's own rules, before the capabilities of one import were one system,
/// gave 42 minimal, 73 partial and 23 significant.)
///
/// (Statuses: 145 production, 15 experimental, 11 deprecated.) One deprecated file,
/// `deprecated/okta_threatinsight_suspected_passwordspray_attack.yml`, continues a quoted
/// `search` scalar at column 0 (line 13); PyYAML accepts that, YAML 1.2 does not (the lines of
/// a flow scalar in a block mapping value must be indented, rules [74] and s-l+flow-in-block),
/// and covmap's YAML reader follows the specification: the file is skipped with a finding, so
/// 170 files are read and 25 filtered; the 145 that count are the same. Against the 18.1 bundle's
/// `attack-pattern` objects (`revoked`, `x_mitre_deprecated`), only T1574.002 of the 123 IDs
/// is revoked (by T1574.001, SOURCES.md); none is deprecated or unknown.
#[test]
fn real_detections() {
    let (Some(dir), Some(attack)) = (shared("data/corpora/splunk/detections"), enterprise_18())
    else {
        return;
    };
    let mut imported = splunk::import(std::slice::from_ref(&dir), &SplunkOptions::default());
    let s = &imported.summary;
    assert_eq!(s.files_read, 170);
    assert_eq!(s.files_skipped, 1);
    assert_eq!(s.items_read, 170);
    assert_eq!(s.items_filtered, 25);
    assert_eq!(s.items_read - s.items_filtered, 145);
    assert_eq!(s.items_with_techniques, 145);
    assert_eq!(s.techniques.len(), 123);
    let ids: Vec<_> = imported
        .capabilities
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "detections-application",
            "detections-cloud",
            "detections-endpoint",
            "detections-network",
            "detections-web"
        ]
    );
    let mut levels: BTreeMap<String, usize> = BTreeMap::new();
    for entry in imported.capabilities.iter().flat_map(|c| &c.entries) {
        *levels.entry(format!("{:?}", entry.level)).or_default() += 1;
    }
    assert_eq!(
        levels,
        BTreeMap::from([
            ("Named(Minimal)".to_string(), 33),
            ("Named(Partial)".to_string(), 73),
            ("Named(Significant)".to_string(), 32),
        ])
    );
    assert!(
        imported
            .capabilities
            .iter()
            .all(|c| c.system.as_deref() == Some("splunk"))
    );
    // The skipped file, then the data sources without an ATT&CK platform, reported once.
    let findings: Vec<String> = imported
        .findings
        .iter()
        .map(|f| {
            let path = f.path.strip_prefix(&dir).unwrap_or(&f.path).display();
            format!("{path}:{}: {}", f.line.unwrap_or(0), f.message)
        })
        .collect();
    assert_eq!(findings.len(), 4, "{findings:?}");
    assert!(
        findings[0]
            .starts_with("deprecated/okta_threatinsight_suspected_passwordspray_attack.yml:13: ")
            && findings[0].ends_with("this file is skipped"),
        "{findings:?}"
    );
    assert!(
        findings[1..]
            .iter()
            .all(|f| f.contains("has no ATT&CK platform")),
        "{findings:?}"
    );
    let endpoint = imported
        .capabilities
        .iter()
        .find(|c| c.id == "detections-endpoint")
        .map(|c| c.platforms.clone());
    // The folder holds a detection without platform: it applies on all of the import's
    // platforms (the one system's), as it would in one capability of all the detections.
    let mut all: Vec<String> = imported
        .capabilities
        .iter()
        .flat_map(|c| c.platforms.clone())
        .collect();
    all.sort();
    all.dedup();
    assert_eq!(endpoint, Some(all));

    let resolution = resolve(&mut imported, attack);
    assert_eq!(
        resolution
            .remapped
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect::<Vec<_>>(),
        [("T1574.002", "T1574.001")]
    );
    assert!(resolution.unknown.is_empty() && resolution.deprecated.is_empty());
}

/// `fixtures/import/splunk`: see its README.md.
#[test]
fn fixture_detections() {
    let root = repo_root().join("fixtures/import/splunk");
    let mut imported = splunk::import(std::slice::from_ref(&root), &SplunkOptions::default());
    let s = &imported.summary;
    assert_eq!((s.files_read, s.files_skipped), (6, 1));
    // d is experimental, g deprecated.
    assert_eq!(
        (s.items_read, s.items_filtered, s.items_with_techniques),
        (6, 2, 4)
    );
    let got: Vec<_> = imported
        .capabilities
        .iter()
        .map(|c| {
            let entries: Vec<_> = c
                .entries
                .iter()
                .map(|e| (e.technique.as_str(), e.level))
                .collect();
            (c.id.as_str(), c.platforms.clone(), entries)
        })
        .collect();
    let named = Level::Named;
    assert_eq!(
        got,
        [
            (
                "splunk-cloud",
                vec!["Identity Provider".to_string()],
                vec![("T1110.003", named(NamedLevel::Partial))]
            ),
            (
                "splunk-endpoint",
                vec!["Windows".to_string()],
                vec![
                    ("T1059.001", named(NamedLevel::Partial)),
                    ("T9999", named(NamedLevel::Minimal)),
                    ("T1574.002", named(NamedLevel::Minimal)),
                ]
            ),
        ]
    );
    let evidence = imported.capabilities[1].entries[0].evidence.to_text();
    assert!(
        evidence.contains("00000000-0000-4000-8000-0000000000a1 \"Encoded PowerShell Command Line\" - 2 detections (1 Anomaly, 1 TTP); also ")
            && evidence.ends_with("00000000-0000-4000-8000-0000000000b2 \"PowerShell Under an Unknown ID\" [Anomaly]"),
        "{evidence}"
    );
    let messages: Vec<String> = imported.findings.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages[0].ends_with("this file is skipped"),
        "{messages:?}"
    );
    assert!(
        messages[0].contains("cloud/e-malformed.yml:7:"),
        "{messages:?}"
    );
    assert!(
        messages[1].contains("cloud/f-okta.yml:12:5: `T1110.3`"),
        "{messages:?}"
    );

    let Some(attack) = enterprise_18() else {
        return;
    };
    let resolution = resolve(&mut imported, attack);
    assert_eq!(
        resolution
            .remapped
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect::<Vec<_>>(),
        [("T1574.002", "T1574.001")]
    );
    assert_eq!(resolution.unknown.keys().collect::<Vec<_>>(), ["T9999"]);
}

/// Grouping by data-source product and into one capability; experimental detections asked for.
#[test]
fn fixture_grouping() {
    let root = repo_root().join("fixtures/import/splunk");
    let options = SplunkOptions {
        id: Some("lab".into()),
        group_by: GroupBy::Product,
        statuses: ["production", "experimental"]
            .into_iter()
            .map(String::from)
            .collect(),
        ..SplunkOptions::default()
    };
    let imported = splunk::import(std::slice::from_ref(&root), &options);
    let ids: Vec<_> = imported
        .capabilities
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(ids, ["lab-okta", "lab-sysmon", "lab-windows-event-log"]);
    assert_eq!(imported.summary.items_filtered, 1);
    let options = SplunkOptions {
        group_by: GroupBy::None,
        ..SplunkOptions::default()
    };
    let imported = splunk::import(&[root], &options);
    assert_eq!(imported.capabilities.len(), 1);
    assert_eq!(imported.capabilities[0].id, "splunk");
    assert_eq!(
        imported.capabilities[0].platforms,
        ["Identity Provider", "Windows"]
    );
}
