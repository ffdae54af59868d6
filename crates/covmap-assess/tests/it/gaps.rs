//! Ranked gaps of the worked example (docs/scoring.md), with what ATT&CK says would close them.

use covmap_assess::gaps::{GapOptions, GapsError, PARENT_LEVEL_NOTE, gaps};
use covmap_assess::score::{AssessOptions, Assessment, assess};

use crate::builder::{close, mini, worked_example};

fn assessment() -> Assessment {
    assess(mini(), &worked_example(), &AssessOptions::default())
}

#[test]
fn ranked_by_priority_then_id() {
    let list = gaps(mini(), &assessment(), &GapOptions::default()).expect("gaps");
    let ranking: Vec<(usize, &str, f64)> = list
        .iter()
        .map(|g| (g.rank, g.id.as_str(), g.gap_priority))
        .collect();
    let expected = [
        (1, "T1566.001", 1.0),   // weight 1 (APT29 direct) x (1 - 0)
        (2, "T1078", 0.85),      // 1 (APT29 through its campaign) x (1 - 0.15)
        (3, "T1053", 0.6),       // 0.5 + 0.5 (both through Cobalt Strike) x (1 - 0.4)
        (4, "T1003.001", 0.3),   // 0.5 (APT29 through Mimikatz) x (1 - 0.4)
        (5, "T1059.001", 0.054), // 1 (FIN7) + 0.5 (APT29) x (1 - 0.964)
        (6, "T1059.004", 0.0),   // used by no selected threat
    ];
    assert_eq!(ranking.len(), expected.len());
    for (got, want) in ranking.iter().zip(expected) {
        assert_eq!((got.0, got.1), (want.0, want.1));
        close(got.2, want.2);
    }
}

#[test]
fn gap_details() {
    let list = gaps(mini(), &assessment(), &GapOptions::default()).expect("gaps");
    let attachment = list
        .iter()
        .find(|g| g.id == "T1566.001")
        .expect("T1566.001");
    assert_eq!(attachment.parent.as_deref(), Some("T1566"));
    assert_eq!(attachment.parent_level_only, ["siem"]);
    assert_eq!(attachment.notes, [PARENT_LEVEL_NOTE]);
    let ids = |list: &[covmap_assess::score::NamedRef]| -> Vec<String> {
        list.iter().map(|r| r.id.clone()).collect()
    };
    assert_eq!(ids(&attachment.mitigations), ["M1017"]);
    assert_eq!(attachment.mitigations[0].name, "User Training");
    assert_eq!(ids(&attachment.detection_strategies), ["DET0002"]);
    assert_eq!(ids(&attachment.data_components), ["DC0009"]);
    let threats: Vec<&str> = attachment.threats.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(threats, ["G0016"]);

    let task = list.iter().find(|g| g.id == "T1053").expect("T1053");
    let threats: Vec<&str> = task.threats.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(threats, ["APT29", "FIN7"]);
    assert_eq!(task.capabilities, ["av", "edr"]);
    assert!(task.notes.is_empty());
    close(task.functions.protect, 0.25);

    let lsass = list
        .iter()
        .find(|g| g.id == "T1003.001")
        .expect("T1003.001");
    assert_eq!(ids(&lsass.mitigations), ["M1040"]);
    assert_eq!(ids(&lsass.data_components), ["DC0035"]);
}

#[test]
fn top_and_tactic_filter() {
    let a = assessment();
    let top = gaps(
        mini(),
        &a,
        &GapOptions {
            top: Some(2),
            tactic: None,
        },
    )
    .expect("gaps");
    let ids: Vec<&str> = top.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(ids, ["T1566.001", "T1078"]);
    for query in ["persistence", "TA0003", "Persistence"] {
        let options = GapOptions {
            top: None,
            tactic: Some(query.to_string()),
        };
        let list = gaps(mini(), &a, &options).expect("gaps");
        let ids: Vec<(usize, &str)> = list.iter().map(|g| (g.rank, g.id.as_str())).collect();
        // T1078 0.85, T1053 0.6.
        assert_eq!(ids, [(1, "T1078"), (2, "T1053")], "{query}");
    }
    let err = gaps(
        mini(),
        &a,
        &GapOptions {
            top: None,
            tactic: Some("impact".to_string()),
        },
    )
    .expect_err("impact is not in the matrix");
    assert!(matches!(err, GapsError::UnknownTactic { .. }));
    assert_eq!(
        err.to_string(),
        "`impact` is not a tactic of this assessment (known: initial-access, execution, \
         persistence, credential-access)"
    );
}

#[test]
fn fully_covered_and_excluded_leaves_are_not_gaps() {
    let mut inv = worked_example();
    inv.capabilities[0].coverage[0].level = covmap_assess::inventory::Level::Value(1.0);
    let a = assess(mini(), &inv, &AssessOptions::default());
    let list = gaps(mini(), &a, &GapOptions::default()).expect("gaps");
    // T1059.001 now scores 1 (detect 1 - 0 x 0.6); T1566.002 is excluded.
    assert!(
        list.iter()
            .all(|g| g.id != "T1059.001" && g.id != "T1566.002")
    );
    assert_eq!(list.len(), 5);
}

#[test]
fn without_threats_priority_is_one_minus_score() {
    let mut inv = worked_example();
    inv.scope.threats = covmap_assess::inventory::Threats::default();
    let a = assess(mini(), &inv, &AssessOptions::default());
    let list = gaps(mini(), &a, &GapOptions::default()).expect("gaps");
    let ids: Vec<&str> = list.iter().map(|g| g.id.as_str()).collect();
    // Ties at priority 1 and 0.6 are broken by prevalence (groups of the bundle using the
    // leaf by any route: T1566.001 1, T1059.004 0; T1053 2, T1003.001 1), not by ID.
    assert_eq!(
        ids,
        [
            "T1566.001",
            "T1059.004",
            "T1078",
            "T1053",
            "T1003.001",
            "T1059.001"
        ]
    );
    assert!(
        list.iter()
            .all(|g| g.threats.is_empty() && (g.weight - 1.0).abs() < 1e-12)
    );
    let prevalence: Vec<u32> = list.iter().map(|g| g.prevalence).collect();
    assert_eq!(prevalence, [1, 0, 1, 2, 1, 2]);
}

// Roll-ups. Expected rows computed independently with python3 over
// fixtures/attack/mini-attack-2.1.json: `mitigates` relationships, kill_chain_phases, and
// detects -> x_mitre_analytic_refs -> x_mitre_log_source_references, summing the gap priorities
// of `ranked_by_priority_then_id` above (route-aware weights) per mitigation / tactic / data component.
fn rollup_rows(by: covmap_assess::gaps::By) -> Vec<(String, usize, f64, Vec<String>)> {
    covmap_assess::gaps::rollup(mini(), &assessment(), by)
        .into_iter()
        .map(|r| {
            (
                r.id,
                r.techniques,
                r.priority,
                r.top.into_iter().map(|t| t.id).collect(),
            )
        })
        .collect()
}

fn assert_rows(got: &[(String, usize, f64, Vec<String>)], want: &[(&str, usize, f64, &[&str])]) {
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (g, w) in got.iter().zip(want) {
        assert_eq!((g.0.as_str(), g.1), (w.0, w.1), "{got:?}");
        close(g.2, w.2);
        assert_eq!(g.3, w.3, "{got:?}");
    }
}

#[test]
fn rollup_by_mitigation() {
    use covmap_assess::gaps::By;
    assert_rows(
        &rollup_rows(By::Mitigation),
        &[
            ("M1017", 1, 1.0, &["T1566.001"]),
            ("M1040", 2, 0.354, &["T1003.001", "T1059.001"]),
        ],
    );
    let rows = covmap_assess::gaps::rollup(mini(), &assessment(), By::Mitigation);
    assert_eq!(rows[0].name, "User Training");
}

#[test]
fn rollup_by_tactic_counts_a_leaf_once_per_tactic() {
    use covmap_assess::gaps::By;
    // T1078 lists initial-access twice in the bundle: it counts once in that row.
    assert_rows(
        &rollup_rows(By::Tactic),
        &[
            ("TA0001", 2, 1.85, &["T1566.001", "T1078"]),
            ("TA0003", 2, 1.45, &["T1078", "T1053"]),
            ("TA0002", 3, 0.654, &["T1053", "T1059.001", "T1059.004"]),
            ("TA0006", 1, 0.3, &["T1003.001"]),
        ],
    );
}

#[test]
fn rollup_by_data_component() {
    use covmap_assess::gaps::By;
    assert_rows(
        &rollup_rows(By::DataComponent),
        &[
            ("DC0009", 3, 1.054, &["T1566.001", "T1059.001", "T1059.004"]),
            ("DC0002", 1, 0.85, &["T1078"]),
            ("DC0017", 2, 0.654, &["T1053", "T1059.001"]),
            ("DC0035", 1, 0.3, &["T1003.001"]),
            ("DC0029", 1, 0.054, &["T1059.001"]),
        ],
    );
}
