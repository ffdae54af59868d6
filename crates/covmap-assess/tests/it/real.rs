//! Scoring on the real enterprise ATT&CK 18.1 bundle (`../shared/data/attack/`), skipped with a
//! notice when it is missing (a failure with `CI=true`).
//!
//! The expected figures were computed independently of covmap with a short Python script that
//! reads the STIX bundle directly: active = not `revoked` and not `x_mitre_deprecated`;
//! sub-techniques grouped under their parent by ID prefix; in-scope platforms = the technique's
//! `x_mitre_platforms` ∩ {Windows, Linux}; per leaf, function and platform the highest entry of
//! each capability, noisy-or across capabilities, mean over platforms, headline
//! 1 - (1 - detect)(1 - protect); APT29's techniques from its active `uses` relationships, those
//! of its software, of the campaigns `attributed-to` it and of their software, a parent's use
//! counting for its sub-techniques. It printed:
//!
//! ```text
//! leaves 593 in_scope 427 parents 98
//! covered 21
//! overall 0.013583 weighted 0.018930 sum_w 243
//! execution 0.142308 26
//! T1059.001 ['Windows'] 0.900000 1
//! T1059.004 ['Linux'] 0.400000 0
//! T1003.001 ['Windows'] 0.125000 1
//! T1078.002 ['Linux', 'Windows'] 0.200000 1
//! T1566.001 ['Linux', 'Windows'] 0.250000 1
//! T1071.001 ['Linux', 'Windows'] 0.200000 1
//! ```
//!
//! Those weights counted every route 1. The route-aware weights (issue 17: direct 1, software
//! only `threat_software_factor` 0.5) come from `tests/it/route_weights.py`, which reads the raw
//! STIX relationships itself: `python3 crates/covmap-assess/tests/it/route_weights.py
//! ../shared/data/attack/enterprise-attack-18.1.json 0.5 G0016` prints 283 leaves (id, weight,
//! direct threats, prevalence), among them `T1003.001 0.5 0 92`, `T1059.001 1 1 116`,
//! `T1071.001 1 1 138`, `T1078.002 1 1 68`, `T1566.001 1 1 92` (T1059.004: not used); of
//! those leaves, the 243 in scope (platforms ∩ {Windows, Linux}, T1200 excluded) sum to a
//! weight of 176.0, 109 of them used directly.

use covmap_assess::inventory::{
    Confidence, CoverageEntry, Exclusion, Function, Inventory, Level, NamedLevel, Status,
};
use covmap_assess::score::{AssessOptions, assess};
use covmap_core::{Attack, Kind};

use crate::builder::{
    actor, capability, close, enterprise_18, entry, inventory, loc, named, tech, with_confidence,
};

fn real_inventory(a: &Attack) -> Inventory {
    use Function::{Detect, Protect};
    use NamedLevel::{Minimal, Partial, Significant};
    let f = "real.yaml";
    let include = |e: CoverageEntry| CoverageEntry {
        include_subtechniques: true,
        ..e
    };
    let mut inv = inventory(
        &["Windows", "Linux"],
        vec![
            capability(
                "edr",
                "EDR",
                Status::Deployed,
                &["Windows", "Linux"],
                vec![
                    include(entry(a, &["T1059"], Detect, named(Partial), loc(f, 1))),
                    with_confidence(
                        entry(a, &["T1059.001"], Detect, named(Significant), loc(f, 2)),
                        Confidence::Tested,
                    ),
                    include(with_confidence(
                        entry(a, &["T1003"], Protect, named(Minimal), loc(f, 3)),
                        Confidence::Claimed,
                    )),
                ],
                loc(f, 1),
            ),
            capability(
                "siem",
                "SIEM",
                Status::Deployed,
                &["Windows"],
                vec![
                    entry(a, &["T1078"], Detect, named(Significant), loc(f, 4)),
                    entry(a, &["T1078.002"], Detect, named(Partial), loc(f, 5)),
                    with_confidence(
                        entry(
                            a,
                            &["T1566.001", "T1566.002"],
                            Detect,
                            Level::Value(0.5),
                            loc(f, 6),
                        ),
                        Confidence::Tested,
                    ),
                ],
                loc(f, 4),
            ),
            capability(
                "ndr",
                "NDR",
                Status::Deployed,
                &["Windows", "Linux"],
                vec![entry(
                    a,
                    &["T1071.001", "T1071.004"],
                    Detect,
                    named(Minimal),
                    loc(f, 7),
                )],
                loc(f, 7),
            ),
        ],
    );
    inv.scope.exclusions.push(Exclusion {
        technique: tech(a, "T1200"),
        reason: "no physical access in scope".to_string(),
        location: loc(f, 8),
    });
    inv.scope.threats.groups = vec![actor(a, "G0016", Kind::Group)];
    inv
}

#[test]
fn enterprise_18_1_small_inventory() {
    let Some(a) = enterprise_18() else { return };
    let result = assess(a, &real_inventory(a), &AssessOptions::default());
    assert_eq!(result.attack.version.as_deref(), Some("18.1"));
    assert_eq!(result.counts.leaves, 593);
    assert_eq!(result.counts.in_scope, 427);
    assert_eq!(result.counts.parents, 98);
    assert_eq!(result.techniques.len(), 691);
    assert_eq!(result.tactics.len(), 14);
    let covered = result.leaves_in_scope().filter(|t| t.score > 0.0).count();
    assert_eq!(covered, 21);
    close(result.overall, 0.013_583);
    let weights: f64 = result.leaves_in_scope().map(|t| t.weight).sum();
    close(weights, 176.0);
    let used = result.leaves_in_scope().filter(|t| t.weight > 0.0).count();
    assert_eq!(used, 243);
    let direct = result
        .leaves_in_scope()
        .filter(|t| t.direct_threats > 0)
        .count();
    assert_eq!(direct, 109);
    let execution = result.tactic("execution").expect("execution");
    assert_eq!(execution.leaves, 26);
    close(execution.score, 0.142_308);
    for (id, platforms, score, weight, prevalence) in [
        ("T1059.001", &["Windows"][..], 0.9, 1.0, 116),
        // Prevalence 68: the same script with FIN7 (G0046), which uses it, prints `T1059.004 1 1 68`.
        ("T1059.004", &["Linux"][..], 0.4, 0.0, 68),
        ("T1003.001", &["Windows"][..], 0.125, 0.5, 92),
        ("T1078.002", &["Linux", "Windows"][..], 0.2, 1.0, 68),
        ("T1566.001", &["Linux", "Windows"][..], 0.25, 1.0, 92),
        ("T1071.001", &["Linux", "Windows"][..], 0.2, 1.0, 138),
    ] {
        let t = result.technique(id).expect(id);
        assert_eq!(t.platforms, platforms, "{id}");
        close(t.score, score);
        close(t.weight, weight);
        assert_eq!(t.prevalence, prevalence, "{id}");
    }
    // siem's T1078 entry is parent-level evidence: the other T1078 sub-techniques are flagged.
    let cloud = result.technique("T1078.004").expect("T1078.004");
    assert_eq!(cloud.parent_level_only, ["siem"]);
    assert!(
        result
            .technique("T1078.002")
            .expect("T1078.002")
            .parent_level_only
            .is_empty()
    );
    let hw = result.technique("T1200").expect("T1200");
    assert!(!hw.in_scope);
    assert_eq!(
        hw.exclusion_reason.as_deref(),
        Some("no physical access in scope")
    );
}

#[test]
fn enterprise_18_1_document_round_trips() {
    let Some(a) = enterprise_18() else { return };
    let result = assess(a, &real_inventory(a), &AssessOptions::default());
    let json = serde_json::to_string(&result).expect("serialises");
    let mut back: covmap_assess::score::Assessment = serde_json::from_str(&json).expect("parses");
    back.restore_names();
    assert_eq!(back, result);
    // The two-thread writer gives serde_json's pretty bytes on all 691 techniques.
    let mut expected = serde_json::to_vec_pretty(&result).expect("serialises");
    expected.push(b'\n');
    let mut written = Vec::new();
    result.write_pretty_json(&mut written).expect("writes");
    assert!(
        written == expected,
        "write_pretty_json differs from serde_json"
    );
}

// Roll-ups on the real bundle. An inventory with no capability and
// no threats makes every in-scope leaf a gap of priority 1 x (1 - 0) = 1, so a row's priority is
// its count and the rows test the mapping alone. Expected figures from
// `python3 crates/covmap-assess/tests/it/rollup_check.py ../shared/data/attack/enterprise-attack-18.1.json`,
// which reads the STIX directly (active `mitigates`; `detects` of detection strategies ->
// active analytics -> log-source data components; kill_chain_phases -> tactic IDs):
//
// ```text
// in scope 428
// mitigation rows 43 top [(63, 'M1026'), (60, 'M1038'), (57, 'M1018')] last (2, 'M1055') unaddressed 90
// data-component rows 71 top [(359, 'DC0032'), (143, 'DC0064'), (142, 'DC0039')] last (1, 'DC0106') unaddressed 0
// tactic rows 12 top [(158, 'TA0005'), (88, 'TA0003'), (79, 'TA0004')] last (12, 'TA0010') unaddressed 0
// ```
#[test]
fn enterprise_18_1_rollups_of_an_empty_inventory() {
    use covmap_assess::gaps::{By, GapOptions, gaps, rollup};
    let Some(a) = enterprise_18() else { return };
    let result = assess(
        a,
        &inventory(&["Windows", "Linux"], Vec::new()),
        &AssessOptions::default(),
    );
    assert_eq!(result.counts.in_scope, 428);
    let all = gaps(a, &result, &GapOptions::default()).expect("gaps");
    assert_eq!(all.len(), 428);
    assert_eq!(all.iter().filter(|g| g.mitigations.is_empty()).count(), 90);
    for (by, rows, top, last) in [
        (
            By::Mitigation,
            43,
            [("M1026", 63), ("M1038", 60), ("M1018", 57)],
            ("M1055", 2),
        ),
        (
            By::DataComponent,
            71,
            [("DC0032", 359), ("DC0064", 143), ("DC0039", 142)],
            ("DC0106", 1),
        ),
        (
            By::Tactic,
            12,
            [("TA0005", 158), ("TA0003", 88), ("TA0004", 79)],
            ("TA0010", 12),
        ),
    ] {
        let list = rollup(a, &result, by);
        assert_eq!(list.len(), rows, "{by}");
        let got: Vec<(&str, usize)> = list
            .iter()
            .take(3)
            .map(|r| (r.id.as_str(), r.techniques))
            .collect();
        assert_eq!(got, top, "{by}");
        let end = list.last().expect("rows");
        assert_eq!((end.id.as_str(), end.techniques), last, "{by}");
        for row in &list {
            // Priority 1 per gap: the sum is the count.
            close(row.priority, row.techniques as f64);
            assert!(row.top.len() == row.techniques.min(5), "{}", row.id);
        }
    }
}
