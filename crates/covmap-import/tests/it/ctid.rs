//! CTID mappings: the shared corpus and `fixtures/import/ctid`.

use std::collections::BTreeMap;

use covmap_assess::inventory::ImportFormat;
use covmap_assess::inventory::{Function, Level, NamedLevel};
use covmap_import::ctid::{self, CtidOptions, GroupBy};
use covmap_import::request::Request;
use covmap_import::resolve::{Resolution, resolve};

use crate::common::{enterprise_18, repo_root, shared};

fn remapped(resolution: &Resolution) -> BTreeMap<&str, &str> {
    resolution
        .remapped
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect()
}

/// Figures computed independently with Python 3 (json only), run from
/// `../shared/data/corpora/ctid`; capability and group ids slugged as `model::slug` does
/// (ASCII alphanumerics lower-cased, other runs `-`); revoked states from the 18.1 bundle's
/// `attack-pattern` objects (`revoked`, `x_mitre_deprecated`) and `revoked-by` relationships
/// followed to their end. The folder holds AWS (2 files), NIST 800-53 and one KEV file (806
/// rows, all threat data: refused as a whole, so the figures are those of the other three):
///
/// ```python
/// import json, glob
/// files = sorted(glob.glob('mappings-explorer/**/*.json', recursive=True))  # 5, one schema
/// THREAT = {'exploitation_technique', 'primary_impact', 'secondary_impact', 'uncategorized',
///           'related_to'}
/// read = rows = skipped = used = 0; techs, caps, groups = set(), set(), set()
/// for f in files:
///     d = json.load(open(f))
///     if 'mapping_objects' not in d: continue
///     if all(m['mapping_type'] in THREAT for m in d['mapping_objects']): continue  # KEV
///     read += 1
///     for m in d['mapping_objects']:
///         rows += 1
///         if 'non_mappable' in (m['status'], m['mapping_type']) or not m['attack_object_id']:
///             skipped += 1; continue
///         used += 1; techs.add(m['attack_object_id'].strip().upper())
///         caps.add(slug(m['capability_id']))
///         groups.add(slug(m['capability_group'] or m['capability_id']))
/// print(read, rows, skipped, used, len(techs), len(caps), len(groups))
/// # 3 6370 114 6256 507 129 31
/// # remapped T1053.001 -> T1053.002, T1574.002 -> T1574.001; unknown T1521.003 (mobile)
/// ```
#[test]
fn real_mappings_explorer() {
    let (Some(dir), Some(attack)) = (
        shared("data/corpora/ctid/mappings-explorer"),
        enterprise_18(),
    ) else {
        return;
    };
    let mut imported = ctid::import(std::slice::from_ref(&dir), &CtidOptions::default());
    let s = &imported.summary;
    assert_eq!(s.files_read, 3);
    // The JSON Schema of the format is not a mapping file; the KEV file is threat data.
    assert_eq!(s.files_skipped, 2);
    assert_eq!(s.items_read, 6370);
    assert_eq!(s.items_filtered, 114);
    assert_eq!(s.items_with_techniques, 6256);
    assert_eq!(s.techniques.len(), 507);
    assert_eq!(imported.capabilities.len(), 129);
    let [kev, schema] = imported.findings.as_slice() else {
        panic!("{:?}", imported.findings);
    };
    assert!(
        kev.path
            .ends_with("kev-02.13.2025_attack-15.1-enterprise.json")
    );
    assert!(kev.message.contains("threat data"), "{kev}");
    assert!(schema.path.ends_with("mapex-unified-data-schema.json"));
    // NIST 800-53 rows carry no score: protect, minimal.
    let ac02 = imported
        .capabilities
        .iter()
        .find(|c| c.id == "ac-02")
        .expect("AC-02");
    assert_eq!(ac02.name, "Account Management");
    assert!(ac02.platforms.is_empty());
    assert!(
        ac02.entries.iter().all(
            |e| e.function == Function::Protect && e.level == Level::Named(NamedLevel::Minimal)
        )
    );
    let guardduty = imported
        .capabilities
        .iter()
        .find(|c| c.id == "amazon-guardduty")
        .expect("GuardDuty");
    assert_eq!(guardduty.platforms, ["IaaS"]);

    let resolution = resolve(&mut imported, attack);
    assert_eq!(
        remapped(&resolution),
        BTreeMap::from([("T1053.001", "T1053.002"), ("T1574.002", "T1574.001")])
    );
    assert_eq!(resolution.unknown.keys().collect::<Vec<_>>(), ["T1521.003"]);
    assert!(resolution.deprecated.is_empty());

    let grouped = ctid::import(
        &[dir],
        &CtidOptions {
            group_by: GroupBy::Group,
            ..CtidOptions::default()
        },
    );
    assert_eq!(grouped.capabilities.len(), 31);
    let ac = grouped
        .capabilities
        .iter()
        .find(|c| c.id == "ac")
        .expect("AC group");
    assert_eq!(ac.name, "Access Control");
}

/// The real KEV file (CISA's known exploited vulnerabilities mapped to ATT&CK 15.1): 806 rows,
/// `mapping_type` exploitation_technique 306, primary_impact 256, secondary_impact 244
/// (`jq '[.mapping_objects[].mapping_type] | group_by(.) | map({(.[0]): length}) | add'`).
/// Threat data, never coverage: refused as a whole, at any level and grouping, also by `auto`.
#[test]
fn real_kev_file_is_refused() {
    let (Some(kev), Some(attack)) = (
        shared(
            "data/corpora/ctid/mappings-explorer/mappings/kev/attack-15.1/kev-02.13.2025/enterprise/kev-02.13.2025_attack-15.1-enterprise.json",
        ),
        enterprise_18(),
    ) else {
        return;
    };
    for options in [
        CtidOptions::default(),
        CtidOptions {
            group_by: GroupBy::Group,
            level: Some(Level::Named(NamedLevel::Significant)),
            ..CtidOptions::default()
        },
    ] {
        let imported = ctid::import(std::slice::from_ref(&kev), &options);
        assert!(imported.capabilities.is_empty());
        assert_eq!(
            (imported.summary.files_read, imported.summary.files_skipped),
            (0, 1)
        );
        let [finding] = imported.findings.as_slice() else {
            panic!("{:?}", imported.findings);
        };
        assert_eq!(
            finding.message,
            "no row describes a defence: mapping_type `exploitation_technique` (306 rows), \
             `primary_impact` (256 rows) and `secondary_impact` (244 rows) are threat data: how \
             adversaries exploit known vulnerabilities, not what a defence does; list it as a \
             threat profile (`scope.threats.profiles`, format ctid): not imported as coverage"
        );
    }
    let outcome = Request::new(ImportFormat::Auto, vec![kev])
        .run(attack)
        .expect("runs");
    assert!(outcome.imported.capabilities.is_empty());
    assert_eq!(outcome.formats.get(&ImportFormat::Ctid), Some(&1));
    assert!(outcome.imported.findings[0].message.contains("threat data"));
}

/// Figures computed independently with Python (PyYAML 6.0.3), run from
/// `../shared/data/corpora/ctid/security-stack-mappings`; a row is one technique or
/// sub-technique score, a control without techniques one skipped row:
///
/// ```python
/// import yaml, glob
/// files = sorted(glob.glob('**/*.yaml', recursive=True)); rows = skipped = 0
/// techs, caps = set(), set()
/// for f in files:
///     d = yaml.safe_load(open(f))
///     if not d['techniques']: rows += 1; skipped += 1; continue
///     caps.add(d['name'])
///     for t in d['techniques']:
///         for s in t.get('technique-scores') or []: rows += 1; techs.add(t['id'])
///         for b in t.get('sub-techniques-scores') or []:
///             for st in b['sub-techniques']:
///                 for s in b['scores']: rows += 1; techs.add(st['id'])
/// print(len(files), rows, skipped, rows - skipped, len(techs), len(caps))
/// # 29 470 8 462 193 21; remapped T1053.001 -> T1053.002
/// ```
#[test]
fn real_security_stack_mappings() {
    let (Some(dir), Some(attack)) = (
        shared("data/corpora/ctid/security-stack-mappings"),
        enterprise_18(),
    ) else {
        return;
    };
    let mut imported = ctid::import(&[dir], &CtidOptions::default());
    let s = &imported.summary;
    assert_eq!(s.files_read, 29);
    assert_eq!(s.files_skipped, 0);
    assert_eq!(s.items_read, 470);
    assert_eq!(s.items_filtered, 8);
    assert_eq!(s.items_with_techniques, 462);
    assert_eq!(s.techniques.len(), 193);
    assert_eq!(imported.capabilities.len(), 21);
    assert!(imported.findings.is_empty(), "{:?}", imported.findings);
    assert!(
        imported
            .capabilities
            .iter()
            .all(|c| c.platforms == ["IaaS"])
    );
    let resolution = resolve(&mut imported, attack);
    assert_eq!(
        remapped(&resolution),
        BTreeMap::from([("T1053.001", "T1053.002")])
    );
    assert!(resolution.unknown.is_empty());
    assert!(resolution.deprecated.is_empty());
}

/// `fixtures/import/ctid`: non-mappable and null-`mapping_type` rows, a `mitigates` row, a
/// revoked and an unknown ID, a `Not Mappable` control, malformed JSON and YAML.
#[test]
fn fixture_mappings() {
    let root = repo_root().join("fixtures/import/ctid");
    let mut imported = ctid::import(&[root], &CtidOptions::default());
    let s = &imported.summary;
    assert_eq!((s.files_read, s.files_skipped), (3, 2));
    // 6 JSON rows; 3 rows of c-control (T1053, T1053.001, T1053.003); d-not-mappable.
    assert_eq!(s.items_read, 10);
    assert_eq!(s.items_filtered, 3);
    assert_eq!(s.items_with_techniques, 7);
    let ids: Vec<_> = imported
        .capabilities
        .iter()
        .map(|c| (c.id.as_str(), c.entries.len()))
        .collect();
    assert_eq!(
        ids,
        [
            ("cloud-audit-logs", 2),
            ("iam-conditions", 2),
            ("cloud-scheduler-guard", 3)
        ]
    );
    let messages: Vec<String> = imported.findings.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages[0].contains("b-malformed.json:4:56: not valid JSON"),
        "{messages:?}"
    );
    assert!(
        messages[1].contains("e-malformed.yaml:6:13: invalid YAML"),
        "{messages:?}"
    );
    let Some(attack) = enterprise_18() else {
        return;
    };
    let resolution = resolve(&mut imported, attack);
    assert_eq!(
        remapped(&resolution),
        BTreeMap::from([("T1053.001", "T1053.002"), ("T1574.002", "T1574.001")])
    );
    assert_eq!(resolution.unknown.keys().collect::<Vec<_>>(), ["T9999"]);
    assert!(
        imported
            .findings
            .iter()
            .any(|f| f.path.ends_with("a-explorer.json") && f.message.contains("T9999"))
    );
}
