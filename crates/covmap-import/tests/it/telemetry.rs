//! Telemetry imports on real data: the shared Sysmon configurations, the DeTT&CT sample
//! data-source administration, and a telemetry entry's `import:` entries expanded at load.

use std::path::{Path, PathBuf};

use covmap_assess::diagnostic::{Code, Location, Severity};
use covmap_assess::inventory::{
    ImportFormat, Inventory, Status, Telemetry, TelemetryFormat, TelemetryImport,
};
use covmap_import::request::Request;

use crate::common::{enterprise_18, shared};

/// The event codes a configuration collects whole and through include rules only, as read.
fn codes(path: &Path) -> (Vec<u32>, Vec<u32>) {
    let text = std::fs::read_to_string(path).expect("config");
    let mut findings = Vec::new();
    let got = covmap_import::sysmon::read(&text, path, &mut findings).expect("a Sysmon config");
    assert!(findings.is_empty(), "{findings:?}");
    (got.collected, got.filtered)
}

/// Figures computed independently with Python's xml.etree from the raw XML, by the rule of
/// `covmap_import::sysmon` (include with rules: filtered; only empty includes: none; excludes
/// only: all; not configured: Sysmon's default, on for 1, 2, 5, 6, 11, 12-14, 15; 4, 16,
/// 255 always), run in `../shared/data/corpora/sysmon`:
///
/// ```python
/// import xml.etree.ElementTree as ET, sys
/// T = {'ProcessCreate': ([1], 1), 'FileCreateTime': ([2], 1), 'NetworkConnect': ([3], 0),
///      'ProcessTerminate': ([5], 1), 'DriverLoad': ([6], 1), 'ImageLoad': ([7], 0),
///      'CreateRemoteThread': ([8], 0), 'RawAccessRead': ([9], 0), 'ProcessAccess': ([10], 0),
///      'FileCreate': ([11], 1), 'RegistryEvent': ([12, 13, 14], 1),
///      'FileCreateStreamHash': ([15], 1), 'PipeEvent': ([17, 18], 0),
///      'WmiEvent': ([19, 20, 21], 0), 'DnsQuery': ([22], 0), 'FileDelete': ([23], 0),
///      'ClipboardChange': ([24], 0), 'ProcessTampering': ([25], 0),
///      'FileDeleteDetected': ([26], 0), 'FileBlockExecutable': ([27], 0),
///      'FileBlockShredding': ([28], 0), 'FileExecutableDetected': ([29], 0)}
/// for f in sys.argv[1:]:
///     ef = ET.parse(f).getroot().find('EventFiltering'); els = []
///     for c in ef: els.extend(list(c) if c.tag == 'RuleGroup' else [c])
///     inc, exc = {}, set()
///     for e in els:
///         if e.get('onmatch') == 'include': inc[e.tag] = inc.get(e.tag, 0) + len(list(e))
///         elif e.get('onmatch') == 'exclude': exc.add(e.tag)
///     col, fil = [4, 16, 255], []
///     for n, (codes, d) in T.items():
///         if inc.get(n, 0) > 0: fil += codes
///         elif n in inc: pass
///         elif n in exc or d: col += codes
///     print(f, sorted(col), sorted(fil))
/// ```
#[test]
fn the_shared_sysmon_configurations() {
    let Some(dir) = shared("data/corpora/sysmon") else {
        return;
    };
    assert_eq!(
        codes(&dir.join("swiftonsecurity-sysmonconfig-export.xml")),
        (
            vec![1, 4, 6, 8, 16, 19, 20, 21, 22, 255],
            vec![2, 3, 5, 11, 12, 13, 14, 15, 17, 18]
        )
    );
    assert_eq!(
        codes(&dir.join("sysmon-modular-sysmonconfig.xml")),
        (
            vec![4, 6, 16, 22, 25, 255],
            vec![
                1, 2, 3, 5, 7, 8, 10, 11, 12, 13, 14, 15, 17, 18, 19, 20, 21, 26, 29
            ]
        )
    );
}

/// `auto` recognises both configurations and writes one telemetry entry each.
#[test]
fn auto_reads_sysmon_as_telemetry() {
    let (Some(dir), Some(attack)) = (shared("data/corpora/sysmon"), enterprise_18()) else {
        return;
    };
    let outcome = Request::new(ImportFormat::Auto, vec![dir])
        .run(attack)
        .expect("runs");
    assert_eq!(outcome.formats.get(&ImportFormat::Sysmon), Some(&2));
    let ids: Vec<&str> = outcome
        .imported
        .telemetry
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "swiftonsecurity-sysmonconfig-export",
            "sysmon-modular-sysmonconfig"
        ]
    );
    let modular = &outcome.imported.telemetry[1];
    assert_eq!(modular.platforms, ["Windows"]);
    let sources: Vec<(&str, usize, bool)> = modular
        .log_sources
        .iter()
        .map(|s| (s.name.as_str(), s.channels.len(), s.filtered))
        .collect();
    assert_eq!(
        sources,
        [
            ("WinEventLog:Sysmon", 6, false),
            ("WinEventLog:Sysmon", 19, true)
        ]
    );
    assert!(outcome.imported.findings.is_empty());
}

/// The DeTT&CT sample data-source administration (endpoints), against enterprise 18.1.
/// Computed independently with Python (PyYAML) over the raw YAML and the raw STIX bundle:
///
/// ```python
/// import yaml, json
/// d = yaml.safe_load(open('sample-data/data-sources-endpoints.yaml'))
/// systems = {s['applicable_to'].lower(): s['platform'] for s in d['systems']}
/// b = json.load(open('enterprise-attack-18.1.json'))
/// dcs = {o['name'].lower(): o for o in b['objects'] if o['type'] == 'x-mitre-data-component'
///        and not o.get('revoked') and not o.get('x_mitre_deprecated')}
/// for ds in d['data_sources']:
///     for det in ds['data_source']:
///         q = det['data_quality']
///         quality = (2*q['device_completeness'] + 2*q['data_field_completeness']
///                    + q['timeliness'] + q['consistency'] + 2*q['retention']) / 40
///         at = [a.lower() for a in det['applicable_to']]
///         at = list(systems) if at == ['all'] else at
///         plats = sorted({p for a in at for p in systems[a]})
///         o = dcs.get(ds['data_source_name'].lower())
///         pairs = [] if o is None else list(dict.fromkeys(
///             (l['name'], l['channel']) for l in o['x_mitre_log_sources']))
///         print(ds['data_source_name'], plats, quality, len({n for n, _ in pairs}), len(pairs))
/// ```
///
/// 17 details objects, all with data quality 1 everywhere (quality 0.2), all connected and
/// available for analytics; the two `[DeTT&CT data source]` ones have no ATT&CK component.
#[test]
fn the_dettect_sample_data_sources() {
    let (Some(file), Some(attack)) = (
        shared("data/corpora/dettect/sample-data/data-sources-endpoints.yaml"),
        enterprise_18(),
    ) else {
        return;
    };
    let outcome = Request::new(ImportFormat::Dettect, vec![file])
        .run(attack)
        .expect("runs");
    let imported = &outcome.imported;
    assert_eq!(imported.summary.items_read, 17);
    assert!(imported.capabilities.is_empty());
    let got: Vec<(String, Vec<String>, usize, usize)> = imported
        .telemetry
        .iter()
        .map(|t| {
            assert_eq!(t.quality, Some(0.2));
            assert_eq!(t.status, None);
            let channels = t.log_sources.iter().map(|s| s.channels.len()).sum();
            (
                t.id.clone(),
                t.platforms.clone(),
                t.log_sources.len(),
                channels,
            )
        })
        .collect();
    let w = || vec!["Windows".to_string()];
    let l = || vec!["Linux".to_string()];
    let id = |s: &str| format!("data-sources-sample-{s}");
    assert_eq!(
        got,
        [
            (id("command-execution-windows-workstations"), w(), 48, 283),
            (id("command-execution-linux-servers"), l(), 48, 283),
            (id("process-creation-windows-workstations"), w(), 32, 320),
            (id("process-creation-linux-servers"), l(), 32, 320),
            (
                id("windows-registry-key-creation-windows-workstations"),
                w(),
                1,
                1
            ),
            (
                id("windows-registry-key-modification-windows-workstations"),
                w(),
                5,
                10
            ),
            (
                id("windows-registry-key-deletion-windows-workstations"),
                w(),
                1,
                1
            ),
            (id("wmi-creation-windows-workstations"), w(), 2, 3),
            (
                id("user-account-authentication-windows-workstations"),
                w(),
                34,
                106
            ),
            (
                id("user-account-authentication-linux-servers"),
                l(),
                34,
                106
            ),
            (
                id("network-connection-creation-windows-workstations"),
                w(),
                25,
                95
            ),
            (id("network-connection-creation-linux-servers"), l(), 25, 95),
            (id("os-api-execution-windows-workstations"), w(), 28, 69),
            (id("os-api-execution-linux-servers"), l(), 28, 69),
            (
                id("firewall-rule-modification-all"),
                vec!["Linux".to_string(), "Windows".to_string()],
                9,
                14
            ),
        ]
    );
    let findings: Vec<String> = imported.findings.iter().map(ToString::to_string).collect();
    assert_eq!(findings.len(), 2, "{findings:#?}");
    assert!(findings[0].contains("Web [DeTT&CT data source]: a DeTT&CT data source"));
    assert!(findings[1].contains("Internal DNS [DeTT&CT data source]"));
}

/// An unknown component is a finding with the closest names of the bundle.
#[test]
fn unknown_components_say_what_was_meant() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    let yaml = "version: 1.1\nfile_type: data-source-administration\nname: t\n\
                systems:\n  - applicable_to: pcs\n    platform: [Windows]\n\
                data_sources:\n  - data_source_name: Proces Creation\n    data_source:\n\
                \x20     - applicable_to: [pcs]\n        date_connected: 2020-01-01\n\
                \x20       data_quality: {device_completeness: 5, data_field_completeness: 5, timeliness: 5, consistency: 5, retention: 5}\n";
    let outcome = Request::new(ImportFormat::Dettect, Vec::new())
        .run_texts(&[(PathBuf::from("ds.yaml"), yaml.to_string())], attack)
        .expect("runs");
    assert!(outcome.imported.telemetry.is_empty());
    let finding = outcome.imported.findings[0].to_string();
    assert!(
        finding.starts_with("ds.yaml:8:23: Proces Creation: not a data component of ATT&CK enterprise 18.1 (did you mean DC0032 (Process Creation)"),
        "{finding}"
    );
}

fn location(line: usize) -> Location {
    Location {
        path: std::path::Path::new("inventory.yaml").into(),
        line,
        column: 7,
    }
}

fn host(id: &str, platforms: &[&str], imports: Vec<TelemetryImport>) -> Telemetry {
    Telemetry {
        id: id.to_string(),
        name: id.to_string(),
        platforms: platforms.iter().map(ToString::to_string).collect(),
        status: Status::Deployed,
        log_sources: Vec::new(),
        quality: 0.5,
        imports,
        location: location(1),
    }
}

/// A telemetry entry's `import:` entries: a Sysmon configuration merges into a Windows entry,
/// DeTT&CT data sources become their own entries (their quality and platforms differ), a
/// missing file is an error at the `import:` entry.
#[test]
fn imports_expand_into_log_sources() {
    let (Some(sysmon), Some(dettect), Some(attack)) = (
        shared("data/corpora/sysmon/swiftonsecurity-sysmonconfig-export.xml"),
        shared("data/corpora/dettect/sample-data/data-sources-endpoints.yaml"),
        enterprise_18(),
    ) else {
        return;
    };
    let import = |format, path: PathBuf, line| TelemetryImport {
        format,
        path,
        location: location(line),
    };
    let mut inventory = Inventory {
        telemetry: vec![
            host(
                "endpoints",
                &["Windows"],
                vec![import(TelemetryFormat::Sysmon, sysmon, 10)],
            ),
            host(
                "soc",
                &[],
                vec![
                    import(TelemetryFormat::Auto, dettect, 20),
                    import(TelemetryFormat::Sysmon, PathBuf::from("missing.xml"), 21),
                ],
            ),
        ],
        ..Inventory::default()
    };
    let diagnostics = covmap_import::telemetry::expand(&mut inventory, attack);
    let endpoints = &inventory.telemetry[0];
    assert_eq!(endpoints.log_sources.len(), 2);
    assert_eq!(endpoints.log_sources[1].channels.len(), 10);
    assert!(endpoints.log_sources[1].filtered);
    assert_eq!(endpoints.log_sources[0].location, location(10));
    // The host, then its 15 DeTT&CT entries at quality 0.5 x 0.2.
    assert_eq!(inventory.telemetry.len(), 2 + 15);
    let first = &inventory.telemetry[2];
    assert_eq!(
        first.id,
        "soc/data-sources-sample-command-execution-windows-workstations"
    );
    assert!((first.quality - 0.1).abs() < 1e-12);
    assert_eq!(first.platforms, ["Windows"]);
    assert_eq!(first.location, location(20));
    // The findings warning (the two DeTT&CT data sources) and the missing file's error.
    let got: Vec<(Severity, Code, usize)> = diagnostics
        .iter()
        .map(|d| (d.severity, d.code, d.location.line))
        .collect();
    assert_eq!(
        got,
        [
            (Severity::Warning, Code::ImportFindings, 20),
            (Severity::Error, Code::ImportFailed, 21)
        ]
    );
}
