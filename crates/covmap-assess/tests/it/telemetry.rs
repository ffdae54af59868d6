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
fn sysmon_inventory() -> Inventory {
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
