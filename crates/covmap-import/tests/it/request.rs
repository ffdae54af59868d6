//! `Request` (options checked against the format, `auto`), `write` and `expand` on the
//! fixtures of `fixtures/import/` and real enterprise 18.1.

use covmap_assess::inventory::{Function, ImportFormat, ImportSpec, Inventory, Level, NamedLevel};
use covmap_import::request::Request;

use crate::common::{enterprise_18, repo_root, shared};

fn request(format: ImportFormat, folder: &str) -> Request {
    Request::new(
        format,
        vec![repo_root().join("fixtures/import").join(folder)],
    )
}

#[test]
fn options_a_format_does_not_take_are_refused() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    let mut r = request(ImportFormat::Navigator, "navigator");
    r.statuses = Some(vec!["stable".into()]);
    let e = r.run(attack).expect_err("navigator has no status");
    assert_eq!(
        e.0,
        "navigator takes no status: only sigma, splunk and elastic rules have one"
    );
    let mut r = request(ImportFormat::Dettect, "dettect");
    r.level = Some(Level::Named(NamedLevel::Partial));
    assert!(r.run(attack).is_err());
    let mut r = request(ImportFormat::Ctid, "ctid");
    r.group_by = Some("folder".into());
    assert_eq!(
        r.run(attack)
            .expect_err("ctid groups by capability or group")
            .0,
        "ctid groups by capability, group, not `folder`"
    );
    let mut r = request(ImportFormat::Sigma, "sigma");
    r.statuses = Some(vec!["Deprecated".into()]);
    assert_eq!(
        r.run(attack).expect_err("never counts").0,
        "sigma status `deprecated` never counts"
    );
    // With `auto`, an option goes to the formats that take it; none taking it is an error.
    let mut r = request(ImportFormat::Auto, "dettect");
    r.function = Some(Function::Protect);
    assert!(
        r.run(attack)
            .expect_err("dettect takes no function")
            .0
            .starts_with("no format found takes a function (found: dettect")
    );
}

#[test]
fn auto_imports_each_file_as_its_own_format() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    let auto = request(ImportFormat::Auto, "")
        .run(attack)
        .expect("auto runs");
    // Each format's fixtures imported on their own give the same capabilities.
    let mut expected = 0;
    for (format, folder) in [
        (ImportFormat::Navigator, "navigator"),
        (ImportFormat::Dettect, "dettect"),
        (ImportFormat::Sigma, "sigma"),
        (ImportFormat::Elastic, "elastic"),
        (ImportFormat::Splunk, "splunk"),
        (ImportFormat::Ctid, "ctid"),
    ] {
        let alone = request(format, folder).run(attack).expect("format runs");
        let entries: usize = alone
            .imported
            .capabilities
            .iter()
            .map(|c| c.entries.len())
            .sum();
        expected += entries;
        assert!(
            auto.formats.get(&format).copied().unwrap_or(0) > 0,
            "{format:?} recognised"
        );
    }
    let got: usize = auto
        .imported
        .capabilities
        .iter()
        .map(|c| c.entries.len())
        .sum();
    assert_eq!(got, expected);
}

#[test]
fn names_and_ids_follow_the_request() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    let mut r = request(ImportFormat::Sigma, "sigma");
    r.group_by = Some("none".into());
    r.id = Some("siem-rules".into());
    r.name = Some("SIEM rules".into());
    let out = r.run(attack).expect("runs");
    assert_eq!(out.imported.capabilities.len(), 1);
    assert_eq!(out.imported.capabilities[0].id, "siem-rules");
    assert_eq!(out.imported.capabilities[0].name, "SIEM rules");
    let mut r = request(ImportFormat::Sigma, "sigma");
    r.name = Some("Lab".into());
    let out = r.run(attack).expect("runs");
    assert!(out.imported.capabilities.len() > 1);
    assert!(
        out.imported
            .capabilities
            .iter()
            .all(|c| c.name.starts_with("Lab: Sigma: "))
    );
}

#[test]
fn expand_adds_the_imported_entries_to_the_capability() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    let mut inventory = Inventory::default();
    inventory
        .capabilities
        .push(covmap_assess::inventory::Capability {
            id: "siem".into(),
            name: "SIEM".into(),
            vendor: None,
            status: covmap_assess::inventory::Status::Deployed,
            system: None,
            platforms: vec!["Windows".into()],
            cost: None,
            owner: None,
            tags: Vec::new(),
            coverage: Vec::new(),
            imports: vec![ImportSpec {
                format: ImportFormat::Sigma,
                paths: vec![repo_root().join("fixtures/import/sigma")],
                statuses: None,
                function: None,
                level: None,
                confidence: None,
                location: covmap_assess::diagnostic::Location {
                    path: std::path::Path::new("inventory.yaml").into(),
                    line: 3,
                    column: 5,
                },
            }],
            location: covmap_assess::diagnostic::Location {
                path: std::path::Path::new("inventory.yaml").into(),
                line: 1,
                column: 3,
            },
        });
    let diagnostics = covmap_import::expand::expand(&mut inventory, attack);
    // The fixtures' findings, and the Linux and cloud rules left out of a Windows-only SIEM.
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].code.as_str(), "import-findings");
    let coverage = &inventory.capabilities[0].coverage;
    // windows/a-multi.yml: T1059.001 (two rules); the only Windows technique that counts.
    let ids: Vec<&str> = coverage
        .iter()
        .flat_map(|e| &e.techniques)
        .map(|&i| attack.techniques()[i as usize].meta.id())
        .collect();
    assert_eq!(ids, ["T1059.001"]);
    assert_eq!(coverage[0].level, Level::Named(NamedLevel::Partial));
    assert!(
        coverage[0]
            .evidence
            .as_deref()
            .unwrap_or("")
            .contains("a-multi.yml")
    );
}

#[test]
fn texts_in_memory_import_as_the_same_files_do() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    for (format, file) in [
        (ImportFormat::Sigma, "sigma/windows/a-multi.yml"),
        (ImportFormat::Navigator, "navigator/layers/a-array.json"),
        (ImportFormat::Elastic, "elastic/windows/a-high.toml"),
        (ImportFormat::Dettect, "dettect/a-lab.yaml"),
    ] {
        let path = repo_root().join("fixtures/import").join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let from_file = Request::new(format, vec![path.clone()])
            .run(attack)
            .unwrap();
        let from_text = Request::new(format, Vec::new())
            .run_texts(&[(path, text)], attack)
            .unwrap();
        assert!(!from_file.imported.capabilities.is_empty(), "{file}");
        assert_eq!(from_text.imported, from_file.imported, "{file}");
        assert_eq!(from_text.resolution, from_file.resolution, "{file}");
    }
    // `auto` needs files: it recognises each one's format.
    assert!(
        Request::new(ImportFormat::Auto, Vec::new())
            .run_texts(&[], attack)
            .is_err()
    );
}

/// A capability's `import:` refuses telemetry: a Sysmon configuration, and (read as DeTT&CT)
/// a data-source administration file; each is an `import-failed` error saying where it goes.
#[test]
fn capability_imports_refuse_telemetry() {
    let (Some(sysmon), Some(data_sources), Some(attack)) = (
        shared("data/corpora/sysmon/sysmon-modular-sysmonconfig.xml"),
        shared("data/corpora/dettect/sample-data/data-sources-endpoints.yaml"),
        enterprise_18(),
    ) else {
        return;
    };
    let location = |line| covmap_assess::diagnostic::Location {
        path: std::path::Path::new("inventory.yaml").into(),
        line,
        column: 5,
    };
    let spec = |format, path, line| ImportSpec {
        format,
        paths: vec![path],
        statuses: None,
        function: None,
        level: None,
        confidence: None,
        location: location(line),
    };
    let mut inventory = Inventory::default();
    inventory
        .capabilities
        .push(covmap_assess::inventory::Capability {
            id: "siem".into(),
            name: "SIEM".into(),
            vendor: None,
            status: covmap_assess::inventory::Status::Deployed,
            system: None,
            platforms: Vec::new(),
            cost: None,
            owner: None,
            tags: Vec::new(),
            coverage: Vec::new(),
            imports: vec![
                spec(ImportFormat::Sysmon, sysmon, 3),
                spec(ImportFormat::Dettect, data_sources, 4),
            ],
            location: location(1),
        });
    let diagnostics = covmap_import::expand::expand(&mut inventory, attack);
    let got: Vec<(&str, usize)> = diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.location.line))
        .collect();
    assert_eq!(got, [("import-failed", 3), ("import-failed", 4)]);
    assert!(
        diagnostics[0]
            .message
            .contains("cannot import a Sysmon configuration")
    );
    assert!(diagnostics[1].message.contains("telemetry"));
    assert!(inventory.capabilities[0].coverage.is_empty());
}
