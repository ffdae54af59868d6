//! Sigma rules: the shared sample of SigmaHQ's rules and `fixtures/import/sigma`.

use std::collections::BTreeMap;

use covmap_assess::inventory::{Level, NamedLevel};
use covmap_import::resolve::resolve;
use covmap_import::sigma::{self, GroupBy, SigmaOptions};

use crate::common::{enterprise_18, repo_root, shared};

/// Figures computed independently with Python (PyYAML 6.0.3), run in
/// `../shared/data/corpora/sigma`, with the default options (status stable or test, one
/// capability per folder, the default level rule):
///
/// ```python
/// import yaml, glob, re, os, collections
/// T = re.compile(r'^attack\.t\d{4}(\.\d{3})?$')
/// files = sorted(glob.glob('rules/**/*.yml', recursive=True))
/// docs = kept = with_t = 0; techs = set()
/// caps = collections.defaultdict(lambda: collections.defaultdict(list))
/// every = collections.defaultdict(list)   # per technique, all folders: the one system
/// for f in files:
///     for d in yaml.safe_load_all(open(f)):
///         if not d: continue
///         docs += 1
///         if d.get('status') not in ('stable', 'test'): continue
///         kept += 1
///         ts = {t.upper()[7:] for t in d.get('tags') or [] if T.match(t)}
///         if ts: with_t += 1; techs |= ts
///         for t in ts:
///             caps[os.path.dirname(f)][t].append(d['status']); every[t].append(d['status'])
/// def level(st):
///     n, s = len(st), st.count('stable')
///     return 'significant' if n >= 3 and s else 'partial' if n >= 2 or s else 'minimal'
/// # Each folder's entry takes the level of all the rules of the import on its technique.
/// lv = collections.Counter(level(every[t]) for c in caps.values() for t in c)
/// print(len(files), docs, kept, with_t, len(techs), len(caps),
///       sum(len(c) for c in caps.values()), sorted(lv.items()))
/// # 783 783 722 636 236 81 483 [('minimal', 98), ('partial', 340), ('significant', 45)]
/// ```
///
/// (Levels per folder's own rules, before capabilities of one import were one system, gave
/// 328 minimal, 150 partial and 5 significant.)
///
/// Against the 18.1 bundle's `attack-pattern` objects (`revoked`, `x_mitre_deprecated`) none of
/// the 236 IDs is revoked, deprecated or unknown (SOURCES.md: the snapshot predates SigmaHQ's
/// move to ATT&CK v19).
#[test]
fn real_rules() {
    let (Some(dir), Some(attack)) = (shared("data/corpora/sigma/rules"), enterprise_18()) else {
        return;
    };
    let mut imported = sigma::import(std::slice::from_ref(&dir), &SigmaOptions::default());
    let s = &imported.summary;
    assert_eq!(s.files_read, 783);
    assert_eq!(s.files_skipped, 0);
    assert_eq!(s.items_read, 783);
    // 61 experimental rules.
    assert_eq!(s.items_filtered, 61);
    assert_eq!(s.items_read - s.items_filtered, 722);
    assert_eq!(s.items_with_techniques, 636);
    assert_eq!(s.techniques.len(), 236);
    assert_eq!(imported.capabilities.len(), 81);
    let mut levels: BTreeMap<String, usize> = BTreeMap::new();
    for entry in imported.capabilities.iter().flat_map(|c| &c.entries) {
        *levels.entry(format!("{:?}", entry.level)).or_default() += 1;
    }
    assert_eq!(
        levels,
        BTreeMap::from([
            ("Named(Minimal)".to_string(), 98),
            ("Named(Partial)".to_string(), 340),
            ("Named(Significant)".to_string(), 45),
        ])
    );
    // One rule repository, one system.
    assert!(
        imported
            .capabilities
            .iter()
            .all(|c| c.system.as_deref() == Some("sigma"))
    );
    // Every finding is a product without an ATT&CK platform, reported once.
    assert!(
        imported
            .findings
            .iter()
            .all(|f| f.message.contains("has no ATT&CK platform")),
        "{:?}",
        imported.findings
    );
    let creation = imported
        .capabilities
        .iter()
        .find(|c| c.id == "rules-windows-process-creation")
        .map(|c| c.platforms.clone());
    assert_eq!(creation, Some(vec!["Windows".to_string()]));

    let resolution = resolve(&mut imported, attack);
    assert_eq!(resolution, covmap_import::resolve::Resolution::default());
}

/// `fixtures/import/sigma`: see its README.md.
#[test]
fn fixture_rules() {
    let root = repo_root().join("fixtures/import/sigma");
    let mut imported = sigma::import(std::slice::from_ref(&root), &SigmaOptions::default());
    let s = &imported.summary;
    assert_eq!((s.files_read, s.files_skipped), (5, 1));
    // a-multi (2), b, c, e, f's good document; c is deprecated.
    assert_eq!(
        (s.items_read, s.items_filtered, s.items_with_techniques),
        (6, 1, 4)
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
                "sigma-cloud",
                vec!["Identity Provider".to_string()],
                vec![("T1078.004", named(NamedLevel::Partial))]
            ),
            (
                "sigma-linux",
                vec!["Linux".to_string()],
                vec![("T1574.002", named(NamedLevel::Minimal))]
            ),
            (
                "sigma-windows",
                vec!["Windows".to_string()],
                vec![
                    ("T1059.001", named(NamedLevel::Partial)),
                    ("T9999", named(NamedLevel::Minimal)),
                ]
            ),
        ]
    );
    let evidence = imported.capabilities[2].entries[0].evidence.to_text();
    assert!(
        evidence.contains("00000000-0000-4000-8000-00000000000a \"Encoded PowerShell\" - 2 rules (1 stable, 1 test); also ")
            && evidence.ends_with("00000000-0000-4000-8000-00000000000b \"PowerShell Download Cradle\" [test]"),
        "{evidence}"
    );
    let messages: Vec<String> = imported.findings.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].ends_with("this document is skipped"));
    assert!(messages[1].ends_with("this file is skipped"));
    assert!(
        messages[0].contains("cloud/f-azure.yml:17:7: "),
        "{messages:?}"
    );
    assert!(
        messages[1].contains("linux/d-malformed.yml:8:6: "),
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

/// Grouping by product, with experimental rules and a fixed prefix.
#[test]
fn fixture_by_product() {
    let root = repo_root().join("fixtures/import/sigma");
    let options = SigmaOptions {
        id: Some("lab".into()),
        group_by: GroupBy::Product,
        ..SigmaOptions::default()
    };
    let imported = sigma::import(&[root], &options);
    let ids: Vec<_> = imported
        .capabilities
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(ids, ["lab-azure", "lab-linux", "lab-windows"]);
    let options = SigmaOptions {
        group_by: GroupBy::None,
        ..SigmaOptions::default()
    };
    let imported = sigma::import(&[repo_root().join("fixtures/import/sigma")], &options);
    assert_eq!(imported.capabilities.len(), 1);
    assert_eq!(imported.capabilities[0].id, "sigma");
    assert_eq!(
        imported.capabilities[0].platforms,
        ["Identity Provider", "Linux", "Windows"]
    );
}

/// One piece of evidence counts once, in each rule format: a rule in `a/`, a copy of it under
/// another name (same rule id), a link to its folder and a link to the file. Without the
/// checks, the technique had four rules (and a higher level); now one, with findings.
#[cfg(unix)]
#[test]
fn a_rule_reached_by_several_paths_counts_once_in_every_rule_format() {
    use covmap_import::{elastic, splunk};
    use std::os::unix::fs::symlink;
    type Import<'a> = &'a dyn Fn(&std::path::Path) -> covmap_import::Imported;
    let cases: [(&str, &str, Import<'_>); 3] = [
        ("sigma/linux/e-revoked.yml", "yml", &|root| {
            sigma::import(
                &[root.to_path_buf()],
                &SigmaOptions {
                    group_by: GroupBy::None,
                    ..SigmaOptions::default()
                },
            )
        }),
        ("splunk/endpoint/a-ttp.yml", "yml", &|root| {
            splunk::import(
                &[root.to_path_buf()],
                &splunk::SplunkOptions {
                    group_by: GroupBy::None,
                    ..splunk::SplunkOptions::default()
                },
            )
        }),
        ("elastic/windows/a-high.toml", "toml", &|root| {
            elastic::import(
                &[root.to_path_buf()],
                &elastic::ElasticOptions {
                    group_by: GroupBy::None,
                    ..elastic::ElasticOptions::default()
                },
            )
        }),
    ];
    for (fixture, ext, import) in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("rules");
        std::fs::create_dir_all(root.join("a")).expect("mkdir");
        let rule = root.join(format!("a/rule.{ext}"));
        std::fs::copy(repo_root().join("fixtures/import").join(fixture), &rule).expect("copy");
        std::fs::copy(&rule, root.join(format!("b-copy.{ext}"))).expect("copy");
        symlink(root.join("a"), root.join("c-folder-link")).expect("folder link");
        symlink(&rule, root.join(format!("d-file-link.{ext}"))).expect("file link");
        let imported = import(&root);
        let s = &imported.summary;
        assert_eq!((s.items_with_techniques, s.duplicates), (1, 1), "{fixture}");
        let messages: Vec<String> = imported.findings.iter().map(ToString::to_string).collect();
        let kept = rule.display().to_string();
        assert!(
            messages.iter().any(|m| m
                .starts_with(&root.join(format!("b-copy.{ext}")).display().to_string())
                && m.contains(&format!("was already read from {kept}: a copy counts once"))),
            "{fixture}: {messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("a second path to the folder")),
            "{fixture}: {messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains(&format!("the same file as {kept}"))),
            "{fixture}: {messages:?}"
        );
        // Every entry comes from the one rule: its evidence counts 1.
        for entry in imported.capabilities.iter().flat_map(|c| &c.entries) {
            let comment = entry.evidence.comment.as_deref().unwrap_or_default();
            assert!(comment.starts_with("1 "), "{fixture}: {comment}");
            assert_eq!(entry.evidence.path, rule, "{fixture}");
        }
        assert!(!imported.capabilities.is_empty(), "{fixture}");
    }
}
