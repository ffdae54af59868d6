//! Derived visibility: the `telemetry:` section feeding the `visibility` function.

// Exact comparisons are of 0 and of values rounded the same way on both sides.
#![allow(clippy::float_cmp)]

use covmap_assess::inventory::{
    CollectedSource, Function, Inventory, NamedLevel, Status, Telemetry,
};
use covmap_assess::score::{AssessOptions, Assessment, assess, round6};

use crate::builder::{capability, close, entry, inventory, loc, mini, named};

/// A log source as an inventory writes it.
pub(crate) fn source(name: &str, channels: &[&str]) -> CollectedSource {
    CollectedSource {
        name: name.to_string(),
        channels: channels.iter().map(ToString::to_string).collect(),
        filtered: false,
        location: loc("inventory.yaml", 40),
    }
}

/// A deployed telemetry entry.
pub(crate) fn telemetry(
    id: &str,
    platforms: &[&str],
    quality: f64,
    log_sources: Vec<CollectedSource>,
) -> Telemetry {
    Telemetry {
        id: id.to_string(),
        name: id.to_string(),
        platforms: platforms.iter().map(ToString::to_string).collect(),
        status: Status::Deployed,
        log_sources,
        quality,
        imports: Vec::new(),
        location: loc("inventory.yaml", 30),
    }
}

/// Windows and Linux; an EDR with typed visibility `minimal` (0.25 x configured 0.8 = 0.2) on
/// T1059.001; Sysmon process creation (`EventCode=1`) collected on Windows at quality 0.8.
pub(crate) fn sysmon_inventory() -> Inventory {
    let attack = mini();
    let mut inv = inventory(
        &["Windows", "Linux"],
        vec![capability(
            "edr",
            "EDR",
            Status::Deployed,
            &[],
            vec![entry(
                attack,
                &["T1059.001"],
                Function::Visibility,
                named(NamedLevel::Minimal),
                loc("inventory.yaml", 12),
            )],
            loc("inventory.yaml", 8),
        )],
    );
    inv.telemetry = vec![telemetry(
        "sysmon",
        &["Windows"],
        0.8,
        vec![source("WinEventLog:Sysmon", &["EventCode=1"])],
    )];
    inv
}

fn run(inv: &Inventory) -> Assessment {
    assess(mini(), inv, &AssessOptions::default())
}

/// Figures worked out by hand from fixtures/attack/README.md's detection table: AN0005
/// (T1566.002) and AN0008 (T1053) read only Sysmon `EventCode=1` on Windows, so they are
/// feasible with value 0.8; AN0001 (T1059.001) also needs Security `EventCode=4688`: 1 of 2
/// references, 0.4. Nine analytics apply on Windows or Linux (all but AN0003, Office Suite,
/// and AN0011, IaaS). Seven leaves are in scope.
#[test]
fn derived_visibility_is_the_larger_of_typed_and_derived() {
    let with = run(&sysmon_inventory());
    let t = with.technique("T1059.001").expect("T1059.001");
    // Typed 0.2, derived 0.4: the function takes 0.4; the headline (detect, protect) is 0.
    close(t.functions.visibility.score, 0.4);
    close(t.functions.visibility.platforms["Windows"], 0.4);
    let derived = t.derived_visibility.as_ref().expect("derived visibility");
    close(derived.score, 0.4);
    assert_eq!(t.score, 0.0);
    // T1053 is on Windows and Linux: 0.8 on Windows, nothing collected on Linux.
    let t1053 = with.technique("T1053").expect("T1053");
    close(t1053.functions.visibility.platforms["Windows"], 0.8);
    close(t1053.functions.visibility.platforms["Linux"], 0.0);
    close(t1053.functions.visibility.score, 0.4);
    // Parents carry no derived value of their own (their cells roll up their leaves).
    assert!(
        with.technique("T1059")
            .expect("T1059")
            .derived_visibility
            .is_none()
    );

    let summary = with.telemetry.expect("telemetry summary");
    assert_eq!(summary.entries, 1);
    assert_eq!(summary.counted, 1);
    assert_eq!(summary.analytics, 9);
    assert_eq!(summary.feasible, 2);
    assert_eq!(summary.leaves_visible, 3);
    assert_eq!(summary.leaves_raised, 3);
    close(summary.visibility_typed, round6(0.2 / 7.0));
    close(summary.visibility_derived, round6(1.2 / 7.0));
    close(with.functions.visibility, round6(1.2 / 7.0));
    assert_eq!(with.scoring.filtered_telemetry, Some(0.5));

    // Without the telemetry: the typed value, and no trace of telemetry in the document.
    let mut plain = sysmon_inventory();
    plain.telemetry.clear();
    let without = run(&plain);
    close(
        without
            .technique("T1059.001")
            .expect("T1059.001")
            .functions
            .visibility
            .score,
        0.2,
    );
    assert!(without.telemetry.is_none());
    assert_eq!(without.scoring.filtered_telemetry, None);
    assert!(
        without
            .techniques
            .iter()
            .all(|t| t.derived_visibility.is_none())
    );
    let json = serde_json::to_string(&without).expect("json");
    assert!(!json.contains("derived_visibility") && !json.contains("telemetry"));
    // The headline does not include visibility by default: overall scores are equal.
    assert_eq!(with.overall, without.overall);
}

/// A saved document with telemetry reads back equal (new fields are optional, format unchanged).
#[test]
fn saved_assessment_with_telemetry_reads_back() {
    let with = run(&sysmon_inventory());
    let mut bytes = Vec::new();
    with.write_pretty_json(&mut bytes).expect("write");
    let back = covmap_assess::saved::read_assessment_json(&bytes).expect("read back");
    assert_eq!(back.telemetry, with.telemetry);
    assert_eq!(
        back.technique("T1053").expect("T1053").derived_visibility,
        with.technique("T1053").expect("T1053").derived_visibility
    );
    assert_eq!(back.format, covmap_assess::score::FORMAT_VERSION);
}

/// Telemetry that is only planned counts with `--include planned`, like capabilities.
#[test]
fn planned_telemetry_needs_include() {
    let mut inv = sysmon_inventory();
    inv.telemetry[0].status = Status::Planned;
    let deployed = run(&inv);
    let summary = deployed.telemetry.expect("summary");
    assert_eq!(
        (summary.entries, summary.counted, summary.feasible),
        (1, 0, 0)
    );
    close(
        deployed
            .technique("T1053")
            .expect("T1053")
            .functions
            .visibility
            .score,
        0.0,
    );
    let planned = assess(
        mini(),
        &inv,
        &AssessOptions {
            include: vec![Status::Deployed, Status::Planned],
        },
    );
    close(
        planned
            .technique("T1053")
            .expect("T1053")
            .functions
            .visibility
            .score,
        0.4,
    );
}

/// The worked example of docs/scoring.md ("Derived visibility"), parsed from its listing; every
/// figure below is computed by hand there.
#[test]
fn worked_example_of_scoring_md() {
    use covmap_assess::parse::{SourceFile, ValidationContext, parse_inventories};
    let doc = std::fs::read_to_string(crate::builder::repo_root().join("docs/scoring.md"))
        .expect("docs/scoring.md");
    let marker = "<!-- file: telemetry.yaml -->\n```yaml\n";
    let start = doc.find(marker).expect("listing") + marker.len();
    let end = start + doc[start..].find("```").expect("end of listing");
    let parsed = parse_inventories(
        &[SourceFile::new("telemetry.yaml", &doc[start..end])],
        mini(),
        &ValidationContext::default(),
    );
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let a = run(&parsed.inventory);
    let visibility = |id: &str| {
        let t = a.technique(id).expect(id);
        let derived = t.derived_visibility.as_ref().map(|d| d.score);
        (t.functions.visibility.score, derived)
    };
    assert_eq!(visibility("T1059.001"), (0.65, Some(0.65)));
    assert_eq!(visibility("T1566.001"), (0.25, Some(0.25)));
    assert_eq!(visibility("T1566.002"), (0.4, Some(0.4)));
    assert_eq!(visibility("T1059.004"), (0.6, Some(0.6)));
    assert_eq!(visibility("T1053"), (0.4, Some(0.4)));
    assert_eq!(visibility("T1003.001"), (0.0, Some(0.0)));
    assert_eq!(visibility("T1078"), (0.0, Some(0.0)));
    let t1566_001 = a.technique("T1566.001").expect("T1566.001");
    let per_platform = &t1566_001
        .derived_visibility
        .as_ref()
        .expect("derived")
        .platforms;
    assert_eq!(per_platform["Windows"], 0.5);
    assert_eq!(per_platform["Linux"], 0.0);
    // The parent rolls up its sub-techniques' visibility.
    assert_eq!(visibility("T1059"), (0.625, None));
    let summary = a.telemetry.expect("summary");
    assert_eq!((summary.entries, summary.counted), (3, 3));
    assert_eq!((summary.analytics, summary.feasible), (9, 6));
    assert_eq!((summary.leaves_visible, summary.leaves_raised), (5, 5));
    assert_eq!(summary.visibility_derived, 0.328_571);
    assert_eq!(summary.visibility_typed, 0.028_571);
    assert_eq!(a.functions.visibility, 0.328_571);
    assert_eq!(a.overall, 0.0);
}

/// The analytics of enterprise 18.1 feasible on Windows when `WinEventLog:Sysmon` and
/// `WinEventLog:Security` are collected whole, computed independently with python3 over the raw
/// STIX (`json.load`; active = not `revoked` and not `x_mitre_deprecated`): the active
/// `x-mitre-analytic` objects with `Windows` in `x_mitre_platforms` whose every
/// `x_mitre_log_source_references` name is one of the two (any case). 471 analytics apply on
/// Windows, 242 are feasible.
const FEASIBLE_18_1: &str = "AN0006 AN0009 AN0034 AN0040 AN0045 AN0048 AN0051 AN0066 AN0071 \
AN0074 AN0080 AN0091 AN0094 AN0095 AN0105 AN0108 AN0109 AN0118 AN0123 AN0126 AN0127 AN0130 \
AN0137 AN0139 AN0153 AN0162 AN0165 AN0170 AN0176 AN0209 AN0216 AN0226 AN0229 AN0235 AN0237 \
AN0240 AN0251 AN0258 AN0265 AN0275 AN0278 AN0282 AN0287 AN0292 AN0297 AN0316 AN0317 AN0320 \
AN0323 AN0331 AN0334 AN0341 AN0360 AN0367 AN0372 AN0378 AN0384 AN0389 AN0396 AN0400 AN0405 \
AN0406 AN0411 AN0428 AN0436 AN0441 AN0444 AN0445 AN0451 AN0478 AN0484 AN0493 AN0510 AN0516 \
AN0520 AN0531 AN0536 AN0555 AN0558 AN0574 AN0576 AN0577 AN0581 AN0583 AN0590 AN0595 AN0602 \
AN0609 AN0614 AN0619 AN0628 AN0629 AN0630 AN0633 AN0637 AN0643 AN0648 AN0667 AN0671 AN0677 \
AN0687 AN0699 AN0702 AN0705 AN0712 AN0719 AN0724 AN0728 AN0747 AN0750 AN0755 AN0759 AN0764 \
AN0767 AN0774 AN0778 AN0781 AN0782 AN0785 AN0787 AN0791 AN0814 AN0819 AN0823 AN0827 AN0831 \
AN0846 AN0854 AN0856 AN0865 AN0871 AN0882 AN0895 AN0913 AN0919 AN0931 AN0940 AN0942 AN0943 \
AN0949 AN0954 AN0965 AN0968 AN0969 AN0975 AN0980 AN0983 AN0995 AN1000 AN1001 AN1029 AN1030 \
AN1033 AN1040 AN1048 AN1057 AN1064 AN1070 AN1091 AN1094 AN1095 AN1097 AN1113 AN1134 AN1137 \
AN1144 AN1145 AN1153 AN1174 AN1178 AN1182 AN1185 AN1186 AN1193 AN1198 AN1212 AN1213 AN1216 \
AN1221 AN1235 AN1246 AN1259 AN1262 AN1275 AN1283 AN1298 AN1303 AN1308 AN1319 AN1323 AN1331 \
AN1335 AN1336 AN1344 AN1353 AN1357 AN1361 AN1381 AN1384 AN1389 AN1393 AN1394 AN1397 AN1398 \
AN1402 AN1407 AN1417 AN1419 AN1428 AN1433 AN1434 AN1443 AN1446 AN1458 AN1465 AN1468 AN1472 \
AN1483 AN1489 AN1495 AN1496 AN1511 AN1516 AN1521 AN1527 AN1528 AN1536 AN1538 AN1543 AN1548 \
AN1560 AN1564 AN1571 AN1575 AN1583 AN1588 AN1595 AN1598 AN1604 AN1612 AN1633 AN1641";

/// Sysmon and Security, every channel, on Windows, against real enterprise 18.1: the exact set
/// of feasible analytics, and the leaves' derived visibility. The leaf figures come from the
/// same python3 pass: leaves are active attack-patterns that are the target of no active
/// `subtechnique-of` between active objects, with Windows among their platforms (395); a
/// leaf's value is the best, over the analytics of the active detection strategies that
/// `detects` it and apply on Windows, of the share of its distinct (name, channel) references
/// collected: above 0 for 388 leaves, 1 for 198, mean 0.797659.
#[test]
fn sysmon_and_security_on_real_18_1() {
    let Some(attack) = crate::builder::enterprise_18() else {
        return;
    };
    let mut inv = inventory(&["Windows"], Vec::new());
    inv.telemetry = vec![telemetry(
        "windows-logs",
        &[],
        1.0,
        vec![
            source("WinEventLog:Sysmon", &[]),
            source("WinEventLog:Security", &[]),
        ],
    )];
    let collected = covmap_assess::telemetry::Collected::new(
        &inv.telemetry,
        &["Windows".to_string()],
        &AssessOptions::default(),
        0.5,
    );
    let mut feasible: Vec<&str> = attack
        .analytics()
        .iter()
        .filter(|a| a.meta.is_active() && collected.analytic(a, "Windows").feasible())
        .map(|a| a.meta.id())
        .collect();
    feasible.sort_unstable();
    let expected: Vec<&str> = FEASIBLE_18_1.split_whitespace().collect();
    assert_eq!(feasible.len(), 242);
    assert_eq!(feasible, expected);

    let a = assess(attack, &inv, &AssessOptions::default());
    let summary = a.telemetry.expect("summary");
    assert_eq!((summary.analytics, summary.feasible), (471, 242));
    assert_eq!(a.counts.in_scope, 395);
    assert_eq!(summary.leaves_visible, 388);
    let full = a
        .leaves_in_scope()
        .filter(|t| {
            t.derived_visibility
                .as_ref()
                .is_some_and(|d| d.score == 1.0)
        })
        .count();
    assert_eq!(full, 198);
    assert_eq!(summary.visibility_derived, 0.797_659);
    // No typed visibility: the function is the derived value.
    assert_eq!(a.functions.visibility, 0.797_659);
    assert_eq!(summary.visibility_typed, 0.0);
}
