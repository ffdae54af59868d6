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
    assert!(r.overlap.is_empty());
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
    let overlap: Vec<&str> = r.overlap.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(overlap, ["T1003.001", "T1059.001"]);
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
    let overlap: Vec<&str> = c.candidates[0]
        .overlap
        .iter()
        .map(|l| l.id.as_str())
        .collect();
    assert_eq!(overlap, ["T1566.001"]);
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
