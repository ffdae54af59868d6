//! Threat profiles read from the real corpora, against the real enterprise 18.1 bundle.
//!
//! The expected figures were computed independently with python3 over the raw files and the
//! raw STIX bundle (`../shared/data/attack/enterprise-attack-18.1.json`): technique IDs looked
//! up by their `mitre-attack` external_id, revoked ones followed through `revoked-by`, software
//! techniques as the active `uses` relationships from the software's STIX object to active
//! attack-patterns. Each test says its one-liner.

// Uses are exact by construction (1, the factor 0.5, scores rounded to 6 decimals as written
// here): compared exactly.
#![allow(clippy::float_cmp)]

use std::path::Path;

use covmap_assess::inventory::ProfileFormat;
use covmap_core::Attack;
use covmap_import::profile::{Reading, read_profile};

use crate::common::{enterprise_18, shared};

fn id_of(attack: &Attack, technique: u32) -> String {
    attack.techniques()[technique as usize]
        .meta
        .id()
        .to_string()
}

fn read(path: &Path, format: ProfileFormat, attack: &Attack) -> Reading {
    read_profile(path, format, attack, 0.5).unwrap_or_else(|f| panic!("{f:?}"))
}

#[test]
fn red_canary_layer_scores_normalised_by_its_gradient() {
    let (Some(attack), Some(path)) = (
        enterprise_18(),
        shared(
            "data/corpora/navigator/dettect-threat-actor-data/20220322-RedCanary/attack_redcanary---2022-threat-detection-report.json",
        ),
    ) else {
        return;
    };
    let reading = read(&path, ProfileFormat::Auto, attack);
    assert_eq!(reading.format, ProfileFormat::Navigator);
    // python3: l=json.load(f); g=l['gradient'] (0..5998); 18 techniques, T1053 has no score
    // and nothing else (showSubtechniques only): 17 kept, values (score-0)/5998 rounded to 6.
    assert_eq!(reading.uses.len(), 17);
    assert!(reading.uses.iter().all(|u| u.direct));
    let get = |id: &str| {
        reading
            .uses
            .iter()
            .find(|u| id_of(attack, u.technique) == id)
            .map(|u| u.value)
    };
    assert_eq!(get("T1059"), Some(1.0));
    assert_eq!(get("T1059.001"), Some(0.551_684));
    assert_eq!(get("T1036.005"), Some(0.064_355));
    assert_eq!(get("T1053"), None);
    // python3: round(sum(round(t['score']/5998, 6) for t in l['techniques'] if 'score' in t), 6)
    let sum: f64 = reading.uses.iter().map(|u| u.value).sum();
    assert!((sum - 4.931_143).abs() < 1e-9, "{sum}");
    assert!(reading.findings.is_empty(), "{:?}", reading.findings);
    assert_eq!(
        reading.notes,
        ["left out: 1 with no score, comment, colour or metadata"]
    );
}

#[test]
fn dettect_group_file_enabled_groups_with_their_software() {
    let (Some(attack), Some(path)) = (
        enterprise_18(),
        shared("data/corpora/dettect/sample-data/groups.yaml"),
    ) else {
        return;
    };
    let reading = read(&path, ProfileFormat::Auto, attack);
    assert_eq!(reading.format, ProfileFormat::Dettect);
    // python3 over groups.yaml and the bundle: the one enabled group lists 21 techniques and
    // S0002 (Mimikatz); Mimikatz uses 17 active techniques, 2 of them listed by the group
    // (T1003.001, T1550.002): 21 direct + 15 through software only = 36.
    assert_eq!(reading.uses.len(), 36);
    let direct: Vec<_> = reading.uses.iter().filter(|u| u.direct).collect();
    assert_eq!(direct.len(), 21);
    assert!(direct.iter().all(|u| u.value == 1.0));
    assert!(
        reading
            .uses
            .iter()
            .filter(|u| !u.direct)
            .all(|u| u.value == 0.5)
    );
    let t1003_001 = reading
        .uses
        .iter()
        .find(|u| id_of(attack, u.technique) == "T1003.001")
        .expect("listed and used by Mimikatz");
    assert!(t1003_001.direct && t1003_001.value == 1.0);
    assert_eq!(reading.notes, ["left out: 1 group with `enabled: false`"]);
    // The software factor is the caller's: 0 leaves software techniques out.
    let without = read_profile(&path, ProfileFormat::Dettect, attack, 0.0).expect("reads");
    assert_eq!(without.uses.len(), 21);
}

#[test]
fn dettect_mobile_group_file_against_enterprise_is_refused() {
    let (Some(attack), Some(path)) = (
        enterprise_18(),
        shared("data/corpora/dettect/sample-data/groups-mobile.yaml"),
    ) else {
        return;
    };
    let failure = read_profile(&path, ProfileFormat::Dettect, attack, 0.5).expect_err("mobile");
    assert!(
        failure
            .finding
            .message
            .starts_with("no technique of enterprise ATT&CK 18.1 to weight"),
        "{failure:?}"
    );
}

#[test]
fn kev_mapping_every_exploited_technique_counts_one() {
    let (Some(attack), Some(path)) = (
        enterprise_18(),
        shared(
            "data/corpora/ctid/mappings-explorer/mappings/kev/attack-15.1/kev-02.13.2025/enterprise/kev-02.13.2025_attack-15.1-enterprise.json",
        ),
    ) else {
        return;
    };
    let reading = read(&path, ProfileFormat::Auto, attack);
    assert_eq!(reading.format, ProfileFormat::Ctid);
    // python3: len({m['attack_object_id'] for m in json.load(f)['mapping_objects']
    //   if m['attack_object_id'] and m['status'] != 'non_mappable'}) == 131 (806 rows, every
    // one of them a threat type); each is an active technique of 18.1 (none revoked).
    assert_eq!(reading.uses.len(), 131);
    assert!(reading.uses.iter().all(|u| u.value == 1.0 && u.direct));
    assert!(reading.findings.is_empty(), "{:?}", reading.findings);
    assert!(reading.notes.is_empty());
}

#[test]
fn a_defence_mapping_is_not_a_threat_profile() {
    let (Some(attack), Some(dir)) = (
        enterprise_18(),
        shared("data/corpora/ctid/mappings-explorer/mappings"),
    ) else {
        return;
    };
    let aws = std::fs::read_dir(dir.join("aws"))
        .ok()
        .and_then(|mut d| d.next())
        .and_then(Result::ok);
    let Some(first) = aws else { return };
    let mut files = vec![first.path()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(
                std::fs::read_dir(&path)
                    .expect("folder")
                    .map(|e| e.expect("entry").path()),
            );
            continue;
        }
        let failure = read_profile(&path, ProfileFormat::Ctid, attack, 0.5).expect_err("aws");
        assert!(
            failure.finding.message.starts_with("no threat row"),
            "{failure:?}"
        );
        assert!(failure.hint.contains("import:"));
        return;
    }
}

#[test]
fn csv_profile_resolves_remaps_and_rescales() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("prevalence.csv");
    std::fs::write(
        &path,
        "technique,weight\nT1059.001,40%\n\"T1003.001\",25%\nT1486,\nT9999,3\nT1086,5%\nt1059.001,10%\n",
    )
    .expect("write");
    let reading = read(&path, ProfileFormat::Auto, attack);
    assert_eq!(reading.format, ProfileFormat::Csv);
    let got: Vec<(String, f64)> = reading
        .uses
        .iter()
        .map(|u| (id_of(attack, u.technique), u.value))
        .collect();
    let mut got = got;
    got.sort_by(|a, b| a.0.cmp(&b.0));
    // T1086 is revoked by T1059.001 in 18.1 (the bundle's revoked-by): its 0.05 merges into
    // T1059.001 at the larger use, 0.4; T1486 has no weight: 1; T9999 is unknown, so its 3
    // rescales nothing.
    assert_eq!(
        got,
        [
            ("T1003.001".to_string(), 0.25),
            ("T1059.001".to_string(), 0.4),
            ("T1486".to_string(), 1.0)
        ]
    );
    let messages: Vec<String> = reading.findings.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].ends_with(
        "prevalence.csv:5:1: `T9999` is not a technique of enterprise ATT&CK 18.1: left out"
    ));
    assert!(messages[1].ends_with(
        "prevalence.csv:6:1: `T1086` is revoked in enterprise ATT&CK 18.1: weighted as its replacement `T1059.001`"
    ));
}

/// No input makes a profile reader panic: about 150 prefixes of each of the good and bad
/// profile files, read as each of the four formats and as
/// auto, either reads or fails with a finding.
#[test]
fn no_prefix_of_a_profile_panics_any_reader() {
    use covmap_import::profile::parse_profile;
    let Some(attack) = enterprise_18() else {
        return;
    };
    let root = crate::common::repo_root();
    let mut texts: Vec<(String, String)> = Vec::new();
    for dir in ["fixtures/bad/profile", "fixtures/profiles"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("fixtures") {
            let path = entry.expect("entry").path();
            if let Ok(text) = std::fs::read_to_string(&path) {
                texts.push((path.display().to_string(), text));
            }
        }
    }
    if let Some(groups) = shared("data/corpora/dettect/sample-data/groups.yaml") {
        let text = std::fs::read_to_string(&groups).expect("read");
        texts.push((groups.display().to_string(), text));
    }
    assert!(texts.len() >= 15, "{}", texts.len());
    let formats = [
        ProfileFormat::Auto,
        ProfileFormat::Navigator,
        ProfileFormat::Dettect,
        ProfileFormat::Ctid,
        ProfileFormat::Csv,
    ];
    let mut runs = 0;
    for (name, text) in &texts {
        // About 150 cuts per file: enough to cut inside every structure of the small files,
        // and bounded for the 200 KB nesting case.
        let step = (text.len() / 150).max(3);
        let cuts: Vec<usize> = (0..=text.len())
            .step_by(step)
            .filter(|&i| text.is_char_boundary(i))
            .collect();
        for cut in cuts {
            let part = &text[..cut];
            for format in formats {
                let _ = parse_profile(Path::new(name), part, format, attack, 0.5);
                runs += 1;
            }
        }
    }
    assert!(runs > 1000, "{runs}");
}
