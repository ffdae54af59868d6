//! The CI gate on the worked example (docs/scoring.md).

use covmap_assess::check::{CheckOptions, Failure, check};
use covmap_assess::inventory::Status;
use covmap_assess::score::{AssessOptions, Assessment, assess};

use crate::builder::{close, mini, worked_example};

fn current() -> Assessment {
    assess(mini(), &worked_example(), &AssessOptions::default())
}

fn with_planned() -> Assessment {
    let options = AssessOptions {
        include: vec![Status::Deployed, Status::Planned],
    };
    assess(mini(), &worked_example(), &options)
}

#[test]
fn passes_without_thresholds() {
    let r = check(&current(), &CheckOptions::default());
    assert!(r.passed);
    assert!(r.failures.is_empty() && r.dropped.is_empty());
}

#[test]
fn minimum_overall() {
    let a = current(); // 0.319
    let pass = check(
        &a,
        &CheckOptions {
            min_overall: Some(0.3),
            ..CheckOptions::default()
        },
    );
    assert!(pass.passed);
    let exact = check(
        &a,
        &CheckOptions {
            min_overall: Some(0.319),
            ..CheckOptions::default()
        },
    );
    assert!(exact.passed, "a score equal to the minimum passes");
    let fail = check(
        &a,
        &CheckOptions {
            min_overall: Some(0.35),
            ..CheckOptions::default()
        },
    );
    assert!(!fail.passed);
    assert_eq!(
        fail.failures,
        [Failure::OverallBelow {
            overall: 0.319,
            min: 0.35
        }]
    );
    assert_eq!(
        fail.failures[0].to_string(),
        "overall coverage 31.9% is below the minimum 35.0%"
    );
}

/// Percentages with one decimal, more where one decimal would show a score equal
/// to the threshold it fails.
#[test]
fn percentages_never_look_equal_to_the_threshold() {
    use covmap_assess::check::pct_pair;
    assert_eq!(pct_pair(0.319, 0.35), ("31.9%".into(), "35.0%".into()));
    assert_eq!(pct_pair(0.057_143, 0.058), ("5.7%".into(), "5.8%".into()));
    assert_eq!(
        pct_pair(0.057_143, 0.0572),
        ("5.71%".into(), "5.72%".into())
    );
    assert_eq!(
        pct_pair(0.499_999, 0.5),
        ("49.9999%".into(), "50.0000%".into())
    );
    let f = Failure::OverallBelow {
        overall: 0.571,
        min: 0.5712,
    };
    assert_eq!(
        f.to_string(),
        "overall coverage 57.10% is below the minimum 57.12%"
    );
}

#[test]
fn minimum_per_tactic() {
    let r = check(
        &current(),
        &CheckOptions {
            min_tactic: Some(0.3),
            ..CheckOptions::default()
        },
    );
    assert!(!r.passed);
    // initial-access 0.075 and persistence 0.275 are below 0.3; execution 0.454667 and
    // credential-access 0.4 are not.
    let below: Vec<String> = r.failures.iter().map(ToString::to_string).collect();
    assert_eq!(
        below,
        [
            "tactic TA0001 Initial Access: coverage 7.5% is below the minimum 30.0%",
            "tactic TA0003 Persistence: coverage 27.5% is below the minimum 30.0%",
        ]
    );
}

#[test]
fn drop_versus_baseline() {
    let baseline = with_planned(); // 0.439
    let a = current(); // 0.319
    let r = check(
        &a,
        &CheckOptions {
            baseline: Some(&baseline),
            ..CheckOptions::default()
        },
    );
    assert!(!r.passed);
    let Failure::OverallDropped {
        drop, techniques, ..
    } = &r.failures[0]
    else {
        panic!("expected a drop, got {:?}", r.failures);
    };
    close(*drop, 0.12);
    assert_eq!(*techniques, 1);
    let dropped: Vec<(&str, f64, f64)> = r
        .dropped
        .iter()
        .map(|d| (d.id.as_str(), d.before, d.after))
        .collect();
    assert_eq!(dropped, [("T1566.001", 0.72, 0.0)]);
    assert_eq!(
        r.failures[0].to_string(),
        "overall coverage dropped by 12.0 points (43.9% -> 31.9%), more than the 0.0 points \
         allowed; 1 techniques and sub-techniques dropped"
    );

    // Allowed drop: passes, and still lists what dropped.
    let r = check(
        &a,
        &CheckOptions {
            baseline: Some(&baseline),
            max_drop: Some(0.15),
            ..CheckOptions::default()
        },
    );
    assert!(r.passed);
    assert_eq!(r.dropped.len(), 1);

    // Against itself nothing drops.
    let r = check(
        &a,
        &CheckOptions {
            baseline: Some(&a),
            ..CheckOptions::default()
        },
    );
    assert!(r.passed && r.dropped.is_empty() && r.left_scope.is_empty());
}

#[test]
fn every_reason_is_reported() {
    let baseline = with_planned();
    let r = check(
        &current(),
        &CheckOptions {
            min_overall: Some(0.5),
            min_tactic: Some(0.1),
            baseline: Some(&baseline),
            max_drop: Some(0.05),
        },
    );
    assert!(!r.passed);
    let kinds: Vec<&str> = r
        .failures
        .iter()
        .map(|f| match f {
            Failure::OverallBelow { .. } => "overall",
            Failure::TacticBelow { .. } => "tactic",
            Failure::OverallDropped { .. } => "drop",
        })
        .collect();
    assert_eq!(kinds, ["overall", "tactic", "drop"]);
    let json = serde_json::to_value(&r).expect("serialises");
    assert_eq!(json["failures"][0]["kind"], "overall-below");
}

#[test]
fn leaves_leaving_scope_are_listed() {
    let baseline = current();
    let mut inv = worked_example();
    inv.scope.platforms = vec!["Windows".to_string()];
    let a = assess(mini(), &inv, &AssessOptions::default());
    let r = check(
        &a,
        &CheckOptions {
            baseline: Some(&baseline),
            max_drop: Some(1.0),
            ..CheckOptions::default()
        },
    );
    assert_eq!(r.left_scope, ["T1059.004"]);
}
