//! Elastic detection-rules: the shared sample and `fixtures/import/elastic`.

use std::collections::BTreeMap;

use covmap_assess::inventory::{Level, NamedLevel};
use covmap_import::elastic::{self, ElasticOptions};
use covmap_import::resolve::resolve;
use covmap_import::sigma::GroupBy;

use crate::common::{enterprise_18, repo_root, shared};

/// Figures computed independently with Python 3.11 (`tomllib`), run in
/// `../shared/data/corpora/elastic`, with the default options (maturity production, one
/// capability per folder, the default level rule with a high or critical rule that is not a
/// building block as Sigma's stable):
///
/// ```python
/// import tomllib, glob, os, collections
/// files = sorted(glob.glob('rules/**/*.toml', recursive=True))
/// kept = with_t = 0; techs = set()
/// caps = collections.defaultdict(lambda: collections.defaultdict(list))
/// every = collections.defaultdict(list)   # per technique, all folders: the one system
/// for f in files:
///     d = tomllib.load(open(f, 'rb')); r = d['rule']
///     if d['metadata'].get('maturity') != 'production': continue
///     kept += 1
///     ts = {i.upper() for th in r.get('threat', []) if th.get('framework') == 'MITRE ATT&CK'
///           for t in th.get('technique', [])
///           for i in [t['id']] + [s['id'] for s in t.get('subtechnique', [])]}
///     if ts: with_t += 1; techs |= ts
///     strong = r.get('severity') in ('high', 'critical') and 'building_block_type' not in r
///     for t in ts: caps[os.path.dirname(f)][t].append(strong); every[t].append(strong)
/// def level(st):
///     n, s = len(st), sum(st)
///     return 'significant' if n >= 3 and s else 'partial' if n >= 2 or s else 'minimal'
/// # Each folder's entry takes the level of all the rules of the import on its technique.
/// lv = collections.Counter(level(every[t]) for c in caps.values() for t in c)
/// print(len(files), kept, with_t, len(techs), len(caps),
///       sum(len(c) for c in caps.values()), sorted(lv.items()))
/// # 206 196 192 220 19 395 [('minimal', 80), ('partial', 148), ('significant', 167)]
/// ```
///
/// (Levels per folder's own rules, before the capabilities of one import were one system,
/// gave 209 minimal, 143 partial and 43 significant.)
///
/// (Maturities: 196 production, 10 deprecated.) Against the 18.1 bundle's `attack-pattern`
/// objects none of the 220 IDs is revoked, deprecated or unknown (SOURCES.md: the one revoked
/// ID of the full set, T1547.011, is not in the sample; the fixtures hold it).
#[test]
fn real_rules() {
    let (Some(dir), Some(attack)) = (shared("data/corpora/elastic/rules"), enterprise_18()) else {
        return;
    };
    let mut imported = elastic::import(std::slice::from_ref(&dir), &ElasticOptions::default());
    let s = &imported.summary;
    assert_eq!(s.files_read, 206);
    assert_eq!(s.files_skipped, 0);
    assert_eq!(s.items_read, 206);
    assert_eq!(s.items_filtered, 10);
    assert_eq!(s.items_read - s.items_filtered, 196);
    assert_eq!(s.items_with_techniques, 192);
    assert_eq!(s.techniques.len(), 220);
    assert_eq!(imported.capabilities.len(), 19);
    assert_eq!(
        imported
            .capabilities
            .iter()
            .map(|c| c.entries.len())
            .sum::<usize>(),
        395
    );
    let mut levels: BTreeMap<String, usize> = BTreeMap::new();
    for entry in imported.capabilities.iter().flat_map(|c| &c.entries) {
        *levels.entry(format!("{:?}", entry.level)).or_default() += 1;
    }
    assert_eq!(
        levels,
        BTreeMap::from([
            ("Named(Minimal)".to_string(), 80),
            ("Named(Partial)".to_string(), 148),
            ("Named(Significant)".to_string(), 167),
        ])
    );
    assert!(
        imported
            .capabilities
            .iter()
            .all(|c| c.system.as_deref() == Some("elastic"))
    );
    // Every finding is an index pattern or OS tag without an ATT&CK platform, reported once.
    assert!(
        imported
            .findings
            .iter()
            .all(|f| f.message.contains("ATT&CK platform")),
        "{:?}",
        imported.findings
    );
    let platforms = |id: &str| {
        imported
            .capabilities
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.platforms.clone())
    };
    assert_eq!(
        platforms("rules-windows"),
        Some(vec!["Windows".to_string()])
    );
    // A folder holding a rule without platform applies on all of the import's platforms (the
    // one system's), as that rule would in one capability of all the rules.
    let mut all: Vec<String> = imported
        .capabilities
        .iter()
        .flat_map(|c| c.platforms.clone())
        .collect();
    all.sort();
    all.dedup();
    assert_eq!(platforms("rules-integrations-aws"), Some(all));

    let resolution = resolve(&mut imported, attack);
    assert_eq!(resolution, covmap_import::resolve::Resolution::default());
}

/// `fixtures/import/elastic`: see its README.md.
#[test]
fn fixture_rules() {
    let root = repo_root().join("fixtures/import/elastic");
    let mut imported = elastic::import(std::slice::from_ref(&root), &ElasticOptions::default());
    let s = &imported.summary;
    assert_eq!((s.files_read, s.files_skipped), (6, 2));
    // d is in development, g deprecated.
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
    let minimal = Level::Named(NamedLevel::Minimal);
    let partial = Level::Named(NamedLevel::Partial);
    assert_eq!(
        got,
        [
            (
                "elastic-cloud",
                vec!["IaaS".to_string()],
                vec![("T1078", minimal)]
            ),
            (
                "elastic-macos",
                vec!["macOS".to_string()],
                vec![("T1547", minimal), ("T1547.011", minimal)]
            ),
            (
                "elastic-windows",
                vec!["Windows".to_string()],
                vec![
                    ("T1059", partial),
                    ("T1059.001", partial),
                    ("T9999", minimal)
                ]
            ),
        ]
    );
    let evidence = imported.capabilities[2].entries[0].evidence.to_text();
    assert!(
        evidence.contains("00000000-0000-4000-8000-0000000000a1 \"Encoded PowerShell Command Line\" - 2 rules (1 high, 1 medium); also ")
            && evidence.ends_with("00000000-0000-4000-8000-0000000000b2 \"PowerShell Under an Unknown ID\" [medium]"),
        "{evidence}"
    );
    let messages: Vec<String> = imported
        .findings
        .iter()
        .map(|f| {
            let path = f.path.strip_prefix(&root).unwrap_or(&f.path).display();
            let at = f.line.map(|l| format!(":{l}:{}", f.column.unwrap_or(0)));
            format!("{path}{}: {}", at.unwrap_or_default(), f.message)
        })
        .collect();
    assert_eq!(messages.len(), 4, "{messages:?}");
    assert!(
        messages[0].starts_with("cloud/e-malformed.toml:5:24: invalid TOML")
            && messages[0].ends_with("this file is skipped"),
        "{messages:?}"
    );
    assert!(
        messages[1].starts_with("cloud/f-aws.toml:9:11: index `filebeat-*`"),
        "{messages:?}"
    );
    assert!(
        messages[2].starts_with("cloud/f-aws.toml:21:7: `T1078.4`"),
        "{messages:?}"
    );
    assert!(
        messages[3].starts_with("cloud/h-not-a-rule.toml: no [rule] table"),
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
        [("T1547.011", "T1647")]
    );
    assert_eq!(resolution.unknown.keys().collect::<Vec<_>>(), ["T9999"]);
}

/// Grouping by integration and into one capability; rules in development asked for.
#[test]
fn fixture_grouping() {
    let root = repo_root().join("fixtures/import/elastic");
    let options = ElasticOptions {
        id: Some("lab".into()),
        group_by: GroupBy::Product,
        maturities: ["production", "development"]
            .into_iter()
            .map(String::from)
            .collect(),
        ..ElasticOptions::default()
    };
    let imported = elastic::import(std::slice::from_ref(&root), &options);
    let ids: Vec<_> = imported
        .capabilities
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(ids, ["lab-aws", "lab-endpoint", "lab-windows"]);
    assert_eq!(imported.summary.items_filtered, 1);
    let options = ElasticOptions {
        group_by: GroupBy::None,
        ..ElasticOptions::default()
    };
    let imported = elastic::import(&[root], &options);
    assert_eq!(imported.capabilities.len(), 1);
    assert_eq!(imported.capabilities[0].id, "elastic");
    assert_eq!(
        imported.capabilities[0].platforms,
        ["IaaS", "Windows", "macOS"]
    );
}
