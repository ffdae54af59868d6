//! Candidates and retirements on the worked example (docs/scoring.md).

use covmap_assess::compare::{Candidate, compare};
use covmap_assess::score::AssessOptions;

use crate::builder::{close, edr_x, mini, worked_example};

#[test]
fn candidate_from_the_inventory() {
    let inv = worked_example();
    let ndr = std::slice::from_ref(&inv.capabilities[3]);
    let candidates = [Candidate {
        label: "ndr",
        capabilities: ndr,
    }];
    let c = compare(mini(), &inv, &AssessOptions::default(), &candidates, &[]);
    close(c.baseline.overall, 0.319);
    close(c.baseline.overall_weighted.expect("threats"), 0.4392);
    let r = &c.candidates[0];
    assert_eq!(r.capabilities, ["ndr"]);
    close(r.after.overall, 0.439);
    close(r.gain, 0.12); // 0.72 / 6
    close(r.gain_weighted.expect("threats"), 0.144); // 1 x 0.72 / 5
    let newly: Vec<(&str, f64, f64)> = r
        .newly_covered
        .iter()
        .map(|l| (l.id.as_str(), l.before, l.after))
        .collect();
    assert_eq!(newly, [("T1566.001", 0.0, 0.72)]);
    assert!(r.improved.is_empty());
    assert!(r.redundant.is_empty());
    // Named by its capability, whatever the label.
    assert_eq!(r.name, "Network Detection");
    let cost = r.annual_cost.as_ref().expect("cost");
    assert_eq!(cost.currency, "EUR");
    close(r.cost_per_point.expect("cost per point"), 2000.0); // 24000 / 12 points
    assert!(c.without.is_none());
}

#[test]
fn candidate_from_a_separate_file() {
    let inv = worked_example();
    let product = edr_x();
    let candidates = [Candidate {
        label: "edr-x.yaml",
        capabilities: &product,
    }];
    let c = compare(mini(), &inv, &AssessOptions::default(), &candidates, &[]);
    let r = &c.candidates[0];
    // T1059.001: protect 1 - 0.6 x 0.1 = 0.94, headline 1 - 0.06 x 0.06 = 0.9964.
    // T1003.001: protect 0.4, headline 1 - 0.6 x 0.6 = 0.64.
    // Gain (0.0324 + 0.24) / 6 = 0.0454; weighted (1.5 x 0.0324 + 0.5 x 0.24) / 5.
    close(r.gain, 0.0454);
    close(r.gain_weighted.expect("threats"), 0.03372);
    let improved: Vec<(&str, f64, f64)> = r
        .improved
        .iter()
        .map(|l| (l.id.as_str(), l.before, l.after))
        .collect();
    assert_eq!(
        improved,
        [("T1003.001", 0.4, 0.64), ("T1059.001", 0.964, 0.9964)]
    );
    assert!(r.newly_covered.is_empty());
    // Both rise by a point or more (0.24 and 0.0324): improved, not redundant.
    assert!(r.redundant.is_empty());
    assert_eq!(r.name, "EDR X");
    assert!(c.head_to_head.is_none(), "one candidate: no head-to-head");
    close(r.cost_per_point.expect("cost"), 11_013.215_859); // 50000 / 4.54
}

#[test]
fn a_candidate_already_counted_gains_nothing() {
    let inv = worked_example();
    let options = AssessOptions {
        include: vec![
            covmap_assess::inventory::Status::Deployed,
            covmap_assess::inventory::Status::Planned,
        ],
    };
    let ndr = std::slice::from_ref(&inv.capabilities[3]);
    let c = compare(
        mini(),
        &inv,
        &options,
        &[Candidate {
            label: "ndr",
            capabilities: ndr,
        }],
        &[],
    );
    close(c.baseline.overall, 0.439);
    close(c.candidates[0].gain, 0.0);
    assert_eq!(c.candidates[0].cost_per_point, None);
    let redundant: Vec<(&str, f64, f64)> = c.candidates[0]
        .redundant
        .iter()
        .map(|l| (l.id.as_str(), l.before, l.after))
        .collect();
    assert_eq!(redundant, [("T1566.001", 0.72, 0.72)]);
    assert!(c.candidates[0].improved.is_empty());
}

#[test]
fn without_a_capability() {
    let inv = worked_example();
    let c = compare(
        mini(),
        &inv,
        &AssessOptions::default(),
        &[],
        &["av".to_string()],
    );
    let w = c.without.expect("without");
    assert_eq!(w.removed, ["av"]);
    close(w.after.overall, 0.281_667); // (0.94 + 0.2 + 0.4 + 0.15) / 6
    close(w.drop, 0.037_333);
    let weakened: Vec<(&str, f64, f64)> = w
        .weakened
        .iter()
        .map(|l| (l.id.as_str(), l.before, l.after))
        .collect();
    assert_eq!(weakened, [("T1053", 0.4, 0.2), ("T1059.001", 0.964, 0.94)]);
    assert!(w.fall_to_zero.is_empty());
    assert_eq!(w.single_points_of_failure.len(), 1);
    assert!(w.single_points_of_failure[0].leaves.is_empty());
}

#[test]
fn single_points_of_failure() {
    let inv = worked_example();
    let without = ["siem", "edr", "nope", "ndr"].map(String::from);
    let c = compare(mini(), &inv, &AssessOptions::default(), &[], &without);
    let w = c.without.expect("without");
    assert_eq!(w.removed, ["edr", "siem"]);
    assert_eq!(w.not_counted, ["ndr", "nope"]);
    let spof: Vec<(&str, Vec<&str>)> = w
        .single_points_of_failure
        .iter()
        .map(|s| {
            (
                s.capability.as_str(),
                s.leaves.iter().map(|l| l.id.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(spof, [("edr", vec!["T1003.001"]), ("siem", vec!["T1078"])]);
    assert_eq!(w.single_points_of_failure[0].name, "Endpoint Detection");
    // Without both, T1003.001 and T1078 fall to zero; T1059.001 keeps av's 0.4 and T1053
    // av's 0.25.
    let zero: Vec<&str> = w.fall_to_zero.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(zero, ["T1003.001", "T1078"]);
    close(w.after.overall, 0.108_333); // (0.4 + 0.25) / 6
}

/// A rise under one point on a covered leaf is redundant, not improved. `tiny` (its own system)
/// detects T1059.001 at minimal, claimed: 0.25 x 0.5 = 0.125. Detect goes 0.94 ->
/// 1 - 0.06 x 0.875 = 0.9475, the headline 0.964 -> 1 - 0.0525 x 0.6 = 0.9685: +0.0045.
#[test]
fn a_rise_under_one_point_is_redundant() {
    use covmap_assess::inventory::{Confidence, Function, NamedLevel, Status};

    use crate::builder::{capability, entry, loc, named, with_confidence};
    let inv = worked_example();
    let tiny = vec![capability(
        "tiny",
        "Tiny Sensor",
        Status::Candidate,
        &["Windows", "Linux"],
        vec![with_confidence(
            entry(
                mini(),
                &["T1059.001"],
                Function::Detect,
                named(NamedLevel::Minimal),
                loc("tiny.yaml", 5),
            ),
            Confidence::Claimed,
        )],
        loc("tiny.yaml", 3),
    )];
    let c = compare(
        mini(),
        &inv,
        &AssessOptions::default(),
        &[Candidate {
            label: "tiny.yaml",
            capabilities: &tiny,
        }],
        &[],
    );
    let r = &c.candidates[0];
    let redundant: Vec<(&str, f64, f64)> = r
        .redundant
        .iter()
        .map(|l| (l.id.as_str(), l.before, l.after))
        .collect();
    assert_eq!(redundant, [("T1059.001", 0.964, 0.9685)]);
    assert!(r.improved.is_empty() && r.newly_covered.is_empty());
    close(r.gain, 0.00075); // 0.0045 / 6
}

/// A head-to-head row: label, name, covers, unique leaves (id, before, after), unique gains.
type Row<'a> = (&'a str, &'a str, usize, Vec<(&'a str, f64, f64)>, usize);

/// Two candidates: `ndr` covers T1566.001 alone, `edr-x.yaml` T1003.001 and T1059.001; they
/// share nothing, and everything each covers is a gain of a point or more.
#[test]
fn head_to_head_of_two_candidates() {
    let inv = worked_example();
    let ndr = std::slice::from_ref(&inv.capabilities[3]);
    let product = edr_x();
    let candidates = [
        Candidate {
            label: "ndr",
            capabilities: ndr,
        },
        Candidate {
            label: "edr-x.yaml",
            capabilities: &product,
        },
    ];
    let c = compare(mini(), &inv, &AssessOptions::default(), &candidates, &[]);
    let h = c.head_to_head.expect("two candidates");
    let unique: Vec<Row<'_>> = h
        .candidates
        .iter()
        .map(|d| {
            (
                d.label.as_str(),
                d.name.as_str(),
                d.covers,
                d.unique
                    .iter()
                    .map(|l| (l.id.as_str(), l.before, l.after))
                    .collect(),
                d.unique_gains,
            )
        })
        .collect();
    assert_eq!(
        unique,
        [
            (
                "ndr",
                "Network Detection",
                1,
                vec![("T1566.001", 0.0, 0.72)],
                1
            ),
            (
                "edr-x.yaml",
                "EDR X",
                2,
                vec![("T1003.001", 0.4, 0.64), ("T1059.001", 0.964, 0.9964)],
                2
            ),
        ]
    );
    assert!(h.shared.is_empty());
    assert_eq!(h.pairs.len(), 1);
    let p = &h.pairs[0];
    assert_eq!(
        (p.a.as_str(), p.b.as_str(), p.a_only, p.b_only, p.both),
        ("ndr", "edr-x.yaml", 1, 2, 0)
    );
}

/// Replacing `av` by `edr-x.yaml` equals assessing the inventory with av retired and edr-x
/// deployed; the costs net out (edr-x 50,000 EUR, av gives none: unknown).
#[test]
fn replacement_equals_the_edited_inventory() {
    use covmap_assess::compare::{Replacement, Scenarios, compare_all};
    use covmap_assess::inventory::Status;
    use covmap_assess::score::assess;

    let inv = worked_example();
    let product = edr_x();
    let c = compare_all(
        mini(),
        &inv,
        &AssessOptions::default(),
        &Scenarios {
            replacements: &[Replacement {
                old: "av",
                new: Candidate {
                    label: "edr-x.yaml",
                    capabilities: &product,
                },
            }],
            ..Scenarios::default()
        },
    );
    let mut edited = inv.clone();
    for cap in &mut edited.capabilities {
        if cap.id == "av" {
            cap.status = Status::Retired;
        }
    }
    let mut deployed = product.clone();
    deployed[0].status = Status::Deployed;
    edited.capabilities.extend(deployed);
    let direct = assess(mini(), &edited, &AssessOptions::default());
    let r = &c.replacements[0];
    assert_eq!((r.old.as_str(), r.old_name.as_str()), ("av", "Antivirus"));
    assert_eq!(
        (r.new.as_str(), r.new_name.as_str()),
        ("edr-x.yaml", "EDR X")
    );
    // Exactly equal: the same figures, not merely close ones.
    assert_eq!(r.overall_after.to_bits(), direct.overall.to_bits());
    assert_eq!(
        r.weighted_after.map(f64::to_bits),
        direct.overall_weighted.map(f64::to_bits)
    );
    close(r.change, r.overall_after - c.baseline.overall);
    // av has no cost: the net cost is unknown, not 50,000.
    assert_eq!(r.annual_cost_change, None);
    assert!(c.candidates.is_empty() && c.head_to_head.is_none() && c.without.is_none());
}

/// A product of several capabilities is named by their names, joined by ` + ` in file order.
#[test]
fn a_product_of_several_capabilities_is_named_by_all() {
    let inv = worked_example();
    let mut product = edr_x();
    product.push(inv.capabilities[3].clone());
    let c = compare(
        mini(),
        &inv,
        &AssessOptions::default(),
        &[Candidate {
            label: "bundle.yaml",
            capabilities: &product,
        }],
        &[],
    );
    assert_eq!(c.candidates[0].name, "EDR X + Network Detection");
    assert_eq!(c.candidates[0].label, "bundle.yaml");
}
