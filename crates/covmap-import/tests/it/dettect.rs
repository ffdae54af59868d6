//! DeTT&CT technique administration files: the shared sample data and
//! `fixtures/import/dettect`.

use std::collections::BTreeMap;

use covmap_assess::inventory::{Function, Level};
use covmap_import::dettect::{self, DettectOptions};
use covmap_import::resolve::resolve;

use crate::common::{enterprise_18, repo_root, shared};

/// Figures computed independently with Python (PyYAML 6.0.3), run from
/// `../shared/data/corpora/dettect/sample-data`, with the default level tables; unknown IDs
/// from the 18.1 bundle's `attack-pattern` objects:
///
/// ```python
/// import yaml, glob
/// DET, VIS = {1, 2, 3, 4, 5}, {1, 2, 3, 4}            # scores that are imported
/// def key(e): d = e.get('date'); return ('', '') if d is None else (str(d)[:10], str(d)[10:])
/// def lst(x): return [] if x is None else x if isinstance(x, list) else [x]
/// read = skipped = items = filtered = entries = 0; techs, caps = set(), set()
/// for f in sorted(glob.glob('*.yaml')):
///     d = yaml.safe_load(open(f))
///     if d.get('file_type') != 'technique-administration': skipped += 1; continue
///     read += 1
///     for t in d['techniques']:
///         items += 1; kept = False
///         for k, table in (('detection', DET), ('visibility', VIS)):
///             for o in lst(t.get(k)):
///                 e = max(lst(o['score_logbook']), key=key)   # first of equal dates wins
///                 if e['score'] in table:
///                     kept = True; techs.add(t['technique_id'])
///                     for s in o['applicable_to']: caps.add((d['name'], s)); entries += 1
///         filtered += not kept
/// print(read, skipped, items, filtered, entries, len(techs), len(caps))
/// # 3 6 352 1 388 351 5
/// # of the 6 skipped, 3 are data-source administration files, now read as telemetry, with
/// # 21 details objects (17 + 3 + 1: sum(len(ds['data_source']) for ds in d['data_sources']))
/// # unknown to enterprise 18.1: the ICS T0853 T0859 T0863 T0881 T0886 and the mobile
/// # T1420 T1430.001 T1603; nothing revoked or deprecated
/// ```
#[test]
fn real_sample_data() {
    let (Some(dir), Some(attack)) = (shared("data/corpora/dettect/sample-data"), enterprise_18())
    else {
        return;
    };
    let mut imported = dettect::import(std::slice::from_ref(&dir), &DettectOptions::default());
    let s = &imported.summary;
    // Technique and data-source administration files.
    assert_eq!(s.files_read, 6);
    // Group administration files.
    assert_eq!(s.files_skipped, 3);
    assert_eq!(s.items_read, 352 + 21);
    assert_eq!(imported.telemetry.len(), 21);
    assert_eq!(s.items_with_techniques, 352);
    assert_eq!(s.items_filtered, 1);
    assert_eq!(s.techniques.len(), 351);
    let caps: Vec<_> = imported
        .capabilities
        .iter()
        .map(|c| (c.id.as_str(), c.platforms.clone()))
        .collect();
    let win_linux = vec!["Linux".to_string(), "Windows".to_string()];
    assert_eq!(
        caps,
        [
            ("example-all", win_linux.clone()),
            ("example-windows-workstations", win_linux.clone()),
            ("example-linux-servers", win_linux),
            ("example-techniques-ics-workstations", vec![]),
            ("example-techniques-mobile-all", vec![]),
        ]
    );
    let entries: usize = imported.capabilities.iter().map(|c| c.entries.len()).sum();
    assert_eq!(entries, 388);
    let skipped = imported
        .findings
        .iter()
        .filter(|f| {
            f.message
                .contains("only technique and data-source administration files are imported")
        })
        .count();
    assert_eq!(skipped, 3);

    let resolution = resolve(&mut imported, attack);
    assert!(resolution.remapped.is_empty());
    assert!(resolution.deprecated.is_empty());
    assert_eq!(
        resolution.unknown.keys().collect::<Vec<_>>(),
        [
            "T0853",
            "T0859",
            "T0863",
            "T0881",
            "T0886",
            "T1420",
            "T1430.001",
            "T1603"
        ]
    );
}

/// The endpoint file alone: its 344 technique entries are all active in 18.1.
#[test]
fn real_endpoint_file() {
    let (Some(file), Some(attack)) = (
        shared("data/corpora/dettect/sample-data/techniques-administration-endpoints.yaml"),
        enterprise_18(),
    ) else {
        return;
    };
    let mut imported = dettect::import(&[file], &DettectOptions::default());
    assert_eq!(imported.summary.items_read, 344);
    assert!(imported.findings.is_empty(), "{:?}", imported.findings);
    let resolution = resolve(&mut imported, attack);
    assert_eq!(resolution, covmap_import::resolve::Resolution::default());
    assert!(imported.findings.is_empty(), "{:?}", imported.findings);
}

/// `fixtures/import/dettect`: a detection written as one object, newest logbook entries, a
/// revoked and an unknown ID, a group file, a malformed file and a mobile file.
#[test]
fn fixture_files() {
    let root = repo_root().join("fixtures/import/dettect");
    let mut imported = dettect::import(&[root], &DettectOptions::default());
    let s = &imported.summary;
    assert_eq!((s.files_read, s.files_skipped), (2, 2));
    assert_eq!(
        (s.items_read, s.items_with_techniques, s.items_filtered),
        (4, 4, 1)
    );
    let got: Vec<_> = imported
        .capabilities
        .iter()
        .map(|c| {
            let entries: Vec<_> = c
                .entries
                .iter()
                .map(|e| (e.technique.as_str(), e.function, e.level))
                .collect();
            (c.id.as_str(), entries)
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "lab-domain-controllers",
                vec![("T1574.002", Function::Detect, Level::Value(0.8))]
            ),
            (
                "lab-all",
                vec![
                    ("T1574.002", Function::Visibility, Level::Value(0.75)),
                    ("T9999", Function::Detect, Level::Value(0.2)),
                ]
            ),
            (
                "phones-all",
                vec![("T1420", Function::Detect, Level::Value(0.2))]
            ),
        ]
    );
    let messages: Vec<String> = imported.findings.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 5, "{messages:?}");
    assert!(messages[0].contains("b-groups.yaml: DeTT&CT `group-administration` file"));
    assert!(
        messages[1].contains("c-malformed.yaml:7:1: "),
        "{messages:?}"
    );
    assert!(messages[2].contains("d-mobile.yaml: domain `mobile-attack`"));
    assert!(messages[3].contains("platform `Android` is not an enterprise ATT&CK platform"));
    let Some(attack) = enterprise_18() else {
        return;
    };
    let resolution = resolve(&mut imported, attack);
    assert_eq!(
        resolution
            .remapped
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect::<BTreeMap<_, _>>(),
        BTreeMap::from([("T1574.002", "T1574.001")])
    );
    assert_eq!(
        resolution.unknown.keys().collect::<Vec<_>>(),
        ["T1420", "T9999"]
    );
}
