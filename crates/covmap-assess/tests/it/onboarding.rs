//! `covmap telemetry`'s analysis (onboarding.rs) on the real enterprise 18.1 bundle (skipped
//! when `../shared` is missing, a failure with `CI=true`).
//!
//! The expected figures come from `tests/it/telemetry_check.py`, which reads the raw STIX
//! itself (no covmap code) and applies issue 19's rules, the greedy onboarding recomputed from
//! scratch each round: `python3 crates/covmap-assess/tests/it/telemetry_check.py
//! ../shared/data/attack/enterprise-attack-18.1.json basic 3` printed
//!
//! ```text
//! analytics 826 feasible 72
//! leaves 428 visibility 0.308653
//! quick_wins 55 T1018 T1021.001 ... (the list in QUICK_WINS)
//! blind_spots 373 without_analytics 0
//! step 1 'WinEventLog:Sysmon' 'EventCode=11' gain 0.061022 cumulative 0.369675 gained AN0009,... raised 129
//! step 2 'WinEventLog:Sysmon' 'EventCode=7' gain 0.047023 cumulative 0.416698 gained AN0048,... raised 87
//! step 3 'WinEventLog:Sysmon' 'EventCode=10' gain 0.031319 cumulative 0.448016 gained AN0066,... raised 61
//! ```
//! (scenario `basic`: scope Windows and Linux; Sysmon EventCode=1, 3 and 22 on Windows at quality
//! 0.8; WinEventLog:Security whole on Windows; auditd:SYSCALL `execve` on Linux, filtered, with
//! `filtered_telemetry` 0.5; detect coverage on T1059.001 only.)

// The figures are written as the script printed them (6 decimals).
#![allow(clippy::float_cmp, clippy::unreadable_literal)]

use covmap_assess::diagnostic::Location;
use covmap_assess::inventory::{
    CollectedSource, Function, Inventory, NamedLevel, Status, Telemetry,
};
use covmap_assess::onboarding::{TelemetryOptions, TelemetryReport, analyse};
use covmap_assess::score::{AssessOptions, assess};
use covmap_core::Attack;

use crate::builder::{capability, close, enterprise_18, entry, inventory, loc, named};

/// The 72 analytics the script found feasible.
const FEASIBLE: &str = "AN0006 AN0049 AN0080 AN0109 AN0216 AN0255 AN0265 AN0316 AN0317 AN0318 \
AN0331 AN0334 AN0436 AN0451 AN0508 AN0536 AN0574 AN0590 AN0624 AN0633 AN0637 AN0671 AN0705 \
AN0728 AN0750 AN0755 AN0787 AN0823 AN0846 AN0865 AN0895 AN0931 AN0943 AN0954 AN0967 AN0969 \
AN0982 AN0995 AN1057 AN1091 AN1113 AN1137 AN1144 AN1174 AN1178 AN1235 AN1259 AN1262 AN1275 \
AN1283 AN1331 AN1336 AN1344 AN1361 AN1389 AN1394 AN1428 AN1429 AN1434 AN1446 AN1453 AN1468 \
AN1483 AN1489 AN1521 AN1538 AN1543 AN1564 AN1571 AN1583 AN1604 AN1612";

/// The 55 quick wins the script found, sorted by ID.
const QUICK_WINS: &str = "T1018 T1021.001 T1021.002 T1027.003 T1027.010 T1033 T1046 T1048.001 \
T1053.002 T1069.001 T1072 T1078.001 T1078.002 T1078.003 T1082 T1087.001 T1098.007 T1104 \
T1110.001 T1110.003 T1110.004 T1113 T1115 T1136.001 T1136.002 T1199 T1221 T1484.002 T1496.001 \
T1496.002 T1498.001 T1518.001 T1529 T1531 T1550.002 T1553.006 T1557.002 T1558.004 T1562.010 \
T1567.001 T1567.002 T1567.003 T1567.004 T1568.001 T1568.002 T1568.003 T1571 T1572 T1621 T1649 \
T1653 T1654 T1657 T1673 T1680";

fn here() -> Location {
    Location {
        path: std::path::Path::new("basic.yaml").into(),
        line: 1,
        column: 1,
    }
}

fn source(name: &str, channels: &[&str], filtered: bool) -> CollectedSource {
    CollectedSource {
        name: name.to_string(),
        channels: channels.iter().map(|c| (*c).to_string()).collect(),
        filtered,
        location: here(),
    }
}

fn telemetry(
    id: &str,
    platforms: &[&str],
    quality: f64,
    sources: Vec<CollectedSource>,
) -> Telemetry {
    Telemetry {
        id: id.to_string(),
        name: id.to_string(),
        platforms: platforms.iter().map(|p| (*p).to_string()).collect(),
        status: Status::Deployed,
        log_sources: sources,
        quality,
        imports: Vec::new(),
        location: here(),
    }
}

/// The script's scenario `basic`.
fn basic(a: &Attack) -> Inventory {
    let mut inv = inventory(
        &["Windows", "Linux"],
        vec![capability(
            "edr",
            "EDR",
            Status::Deployed,
            &["Windows", "Linux"],
            vec![entry(
                a,
                &["T1059.001"],
                Function::Detect,
                named(NamedLevel::Significant),
                loc("basic.yaml", 2),
            )],
            loc("basic.yaml", 1),
        )],
    );
    inv.telemetry = vec![
        telemetry(
            "sysmon",
            &["Windows"],
            0.8,
            vec![source(
                "WinEventLog:Sysmon",
                &["EventCode=1", "EventCode=3", "EventCode=22"],
                false,
            )],
        ),
        telemetry(
            "security",
            &["Windows"],
            1.0,
            vec![source("WinEventLog:Security", &[], false)],
        ),
        telemetry(
            "auditd",
            &["Linux"],
            1.0,
            vec![source("auditd:SYSCALL", &["execve"], true)],
        ),
    ];
    inv
}

fn options(steps: Option<usize>) -> TelemetryOptions {
    TelemetryOptions {
        assess: AssessOptions::default(),
        filtered_factor: 0.5,
        onboarding_steps: steps,
    }
}

fn report(a: &Attack, inv: &Inventory, steps: Option<usize>) -> TelemetryReport {
    let assessment = assess(a, inv, &AssessOptions::default());
    analyse(a, inv, &assessment, &options(steps))
}

#[test]
fn feasible_analytics_quick_wins_and_blind_spots_match_the_raw_stix() {
    let Some(a) = enterprise_18() else { return };
    let r = report(a, &basic(a), Some(3));
    assert_eq!(r.analytics.len(), 826);
    let feasible: Vec<&str> = r
        .analytics
        .iter()
        .filter(|x| x.feasible)
        .map(|x| x.id.as_str())
        .collect();
    assert_eq!(feasible.join(" "), FEASIBLE);
    assert_eq!(r.leaves, 428);
    close(r.visibility, 0.308653);
    // No threats: the weighted figures are the plain ones.
    close(r.visibility_weighted, 0.308653);
    let mut quick: Vec<&str> = r.quick_wins.iter().map(|q| q.id.as_str()).collect();
    quick.sort_unstable();
    assert_eq!(quick.join(" "), QUICK_WINS);
    assert!(
        !quick.contains(&"T1059.001"),
        "detect coverage is no quick win"
    );
    assert_eq!(r.blind_spots.len(), 373);
    assert!(r.blind_spots.iter().all(|b| b.analytics > 0));
    // A quick win names feasible analytics and their strategies.
    let q = &r.quick_wins[0];
    assert!(!q.analytics.is_empty() && !q.detection_strategies.is_empty());
    assert!(q.analytics.iter().all(|id| feasible.contains(&id.as_str())));
}

#[test]
fn onboarding_is_the_greedy_order_of_the_raw_stix() {
    let Some(a) = enterprise_18() else { return };
    let r = report(a, &basic(a), Some(3));
    let steps: Vec<(&str, &str, f64, f64, usize)> = r
        .onboarding
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                s.channel.as_str(),
                s.weighted_gain,
                s.cumulative_visibility,
                s.techniques.len(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            (
                "WinEventLog:Sysmon",
                "EventCode=11",
                0.061022,
                0.369675,
                129
            ),
            ("WinEventLog:Sysmon", "EventCode=7", 0.047023, 0.416698, 87),
            ("WinEventLog:Sysmon", "EventCode=10", 0.031319, 0.448016, 61),
        ]
    );
    assert_eq!(r.onboarding[0].analytics_gained.len(), 39);
    assert_eq!(r.onboarding[0].analytics_gained[0], "AN0009");
    assert_eq!(r.onboarding[1].analytics_gained.len(), 37);
    assert_eq!(r.onboarding[2].analytics_gained.len(), 31);
}

/// Every step equals a fresh analysis of the inventory with the steps before it collected
/// (quality 1 on every platform in scope): the incremental loop loses nothing.
#[test]
fn each_step_equals_a_fresh_analysis_with_the_sources_collected() {
    let Some(a) = enterprise_18() else { return };
    let inv = basic(a);
    let r = report(a, &inv, Some(8));
    assert_eq!(r.onboarding.len(), 8);
    for k in [1, 4, 8] {
        let mut edited = inv.clone();
        edited.telemetry.push(telemetry(
            "onboarded",
            &["Windows", "Linux"],
            1.0,
            r.onboarding[..k]
                .iter()
                .map(|s| source(&s.name, &[s.channel.as_str()], false))
                .collect(),
        ));
        let fresh = report(a, &edited, Some(1));
        close(fresh.visibility, r.onboarding[k - 1].cumulative_visibility);
        // The next step of the fresh analysis is the step after k.
        if k < 8 {
            assert_eq!(fresh.onboarding[0].name, r.onboarding[k].name);
            assert_eq!(fresh.onboarding[0].channel, r.onboarding[k].channel);
            close(fresh.onboarding[0].gain, r.onboarding[k].gain);
        }
    }
}

#[test]
fn without_telemetry_everything_is_a_blind_spot_and_it_says_so() {
    let Some(a) = enterprise_18() else { return };
    let mut inv = basic(a);
    inv.telemetry.clear();
    let r = report(a, &inv, Some(1));
    assert_eq!(r.entries, 0);
    assert!(r.log_sources.is_empty() && r.quick_wins.is_empty());
    assert_eq!(r.blind_spots.len(), r.leaves);
    assert!(
        r.notes
            .iter()
            .any(|n| n.starts_with("no telemetry described"))
    );
    assert_eq!(r.onboarding.len(), 1);
}

/// `gaps --by log-source`: per log source alone, the gaps whose visibility it raises. The
/// script (same command as above) printed `rollup_rows 706 unaddressed 8 top [('WinEventLog:Sysmon',
/// 'EventCode=11', 129, False), ('WinEventLog:Sysmon', 'EventCode=7', 87, True),
/// ('WinEventLog:Sysmon', 'EventCode=10', 61, False)]` (the last field: T1059.001, the one
/// leaf with a score, is among them). Every leaf in scope is a gap here (all score below 1).
#[test]
fn gaps_roll_up_by_the_log_source_that_would_show_them() {
    let Some(a) = enterprise_18() else { return };
    let inv = basic(a);
    let assessment = assess(a, &inv, &AssessOptions::default());
    let gaps =
        covmap_assess::gaps::gaps(a, &assessment, &covmap_assess::gaps::GapOptions::default())
            .expect("gaps");
    assert_eq!(gaps.len(), 428);
    let (rows, unaddressed) = covmap_assess::onboarding::rollup_by_log_source(
        a,
        &inv,
        &assessment,
        &gaps,
        &options(None),
    );
    assert_eq!(rows.len(), 706);
    let top: Vec<(&str, &str, usize)> = rows
        .iter()
        .take(3)
        .map(|r| (r.id.as_str(), r.name.as_str(), r.techniques))
        .collect();
    assert_eq!(
        top,
        vec![
            ("WinEventLog:Sysmon", "EventCode=11", 129),
            ("WinEventLog:Sysmon", "EventCode=7", 87),
            ("WinEventLog:Sysmon", "EventCode=10", 61),
        ]
    );
    // Priority = Σ weight x (1 - score): 1 per leaf but T1059.001.
    close(rows[0].priority, 129.0);
    let t1059 = gaps.iter().find(|g| g.id == "T1059.001").expect("gap");
    close(rows[1].priority, 86.0 + t1059.gap_priority);
    // Leaves in scope that no single log source raises.
    assert_eq!(unaddressed, 8);
}
