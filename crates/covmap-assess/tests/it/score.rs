//! Scoring against hand-computed results: the worked example of docs/scoring.md and one small
//! case per rule, on the synthetic bundle `fixtures/attack/mini-attack-2.1.json`.

use covmap_assess::inventory::{
    Confidence, CoverageEntry, Exclusion, Function, Inventory, Level, NamedLevel, Status, Threats,
};
use covmap_assess::params::{Combine, CoverageLevel, Rollup};
use covmap_assess::score::{
    AssessOptions, Assessment, NO_PLATFORM_IN_SCOPE, NO_SUBTECHNIQUE_IN_SCOPE, TechniqueResult,
    assess,
};
use covmap_core::Kind;

use crate::builder::{
    actor, capability, close, entry, inventory, loc, mini, named, tech, with_confidence,
    worked_example,
};

fn run(inventory: &Inventory) -> Assessment {
    assess(mini(), inventory, &AssessOptions::default())
}

fn technique<'a>(a: &'a Assessment, id: &str) -> &'a TechniqueResult {
    a.technique(id)
        .unwrap_or_else(|| panic!("{id} in the assessment"))
}

fn strs(list: &[std::sync::Arc<str>]) -> Vec<&str> {
    list.iter().map(|s| &**s).collect()
}

fn score(a: &Assessment, id: &str) -> f64 {
    technique(a, id).score
}

// ---------------------------------------------------------------------------------------------
// The worked example (docs/scoring.md). Every number below is computed by hand there.

#[test]
fn worked_example_overall() {
    let a = run(&worked_example());
    // (0.964 + 0.4 + 0.4 + 0.15 + 0 + 0) / 6
    close(a.overall, 0.319);
    // (2 x 0.964 + 2 x 0.4 + 1 x 0.4 + 1 x 0.15 + 1 x 0 + 0 x 0) / 7 = 3.278 / 7
    // Route-aware weights (docs/scoring.md): Σ w·s = 2.196 over Σ w = 5.
    close(a.overall_weighted.expect("threats selected"), 0.4392);
    close(a.functions.detect, 0.281_667); // 1.69 / 6
    close(a.functions.protect, 0.108_333); // 0.65 / 6
    close(a.functions.respond, 0.0);
    close(a.functions.visibility, 0.083_333); // 0.5 / 6
    assert_eq!(a.counts.leaves, 7);
    assert_eq!(a.counts.in_scope, 6);
    assert_eq!(a.counts.excluded, 1);
    assert_eq!(a.counts.parents, 3);
    let levels = a.counts.by_level;
    assert_eq!(
        (levels.none, levels.low, levels.medium, levels.high),
        (2, 1, 2, 1)
    );
    assert_eq!(a.include, vec![Status::Deployed]);
    assert_eq!(a.scope.platforms, ["Linux", "Windows"]);
    let groups: Vec<&str> = a
        .scope
        .threats
        .groups
        .iter()
        .map(|g| g.id.as_str())
        .collect();
    assert_eq!(groups, ["G0016", "G0046"]);
    assert_eq!(a.scope.exclusions.len(), 1);
    assert_eq!(a.scope.exclusions[0].id, "T1566.002");
    assert_eq!(a.scope.exclusions[0].at, "inventory.yaml:7");
    assert_eq!(a.attack.domain, "enterprise");
    assert_eq!(a.attack.version.as_deref(), Some("9.9"));
    assert_eq!(a.organization.as_deref(), Some("Worked Example Ltd"));
}

#[test]
fn worked_example_leaves() {
    let a = run(&worked_example());
    let expected = [
        // id, score, level, weight, gap priority, direct threats, prevalence. Weights and
        // counts as tests/it/route_weights.py computes them from the raw STIX of the bundle:
        // `python3 crates/covmap-assess/tests/it/route_weights.py
        //  fixtures/attack/mini-attack-2.1.json 0.5 G0016 G0046` prints `T1003.001 0.5 0 1`,
        // `T1053 1 0 2`, `T1059.001 1.5 1 2`, `T1078 1 1 1`, `T1566.001 1 1 1`.
        ("T1003.001", 0.4, CoverageLevel::Medium, 0.5, 0.3, 0, 1),
        ("T1053", 0.4, CoverageLevel::Medium, 1.0, 0.6, 0, 2),
        ("T1059.001", 0.964, CoverageLevel::High, 1.5, 0.054, 1, 2),
        ("T1059.004", 0.0, CoverageLevel::None, 0.0, 0.0, 0, 0),
        ("T1078", 0.15, CoverageLevel::Low, 1.0, 0.85, 1, 1),
        ("T1566.001", 0.0, CoverageLevel::None, 1.0, 1.0, 1, 1),
    ];
    for (id, s, level, weight, priority, direct, prevalence) in expected {
        let t = technique(&a, id);
        assert!(t.leaf && t.in_scope, "{id}");
        close(t.score, s);
        assert_eq!(t.level, level, "{id}");
        close(t.weight, weight);
        close(t.gap_priority, priority);
        assert_eq!(
            (t.direct_threats, t.prevalence),
            (direct, prevalence),
            "{id}"
        );
    }

    // T1059.001, Windows only: detect = 1 - (1 - 0.9)(1 - 0.4) = 0.94 (edr's tested entry
    // wins over its claimed one; siem adds by noisy-or), protect = 0.4 (av, configured).
    let ps = technique(&a, "T1059.001");
    assert_eq!(ps.platforms, ["Windows"]);
    close(ps.functions.detect.score, 0.94);
    close(ps.functions.detect.platforms["Windows"], 0.94);
    close(ps.functions.protect.score, 0.4);
    let detect: Vec<(&str, f64, Vec<&str>)> = ps
        .capabilities
        .iter()
        .filter(|c| c.function == Function::Detect)
        .map(|c| (&*c.id, c.value, strs(&c.entries)))
        .collect();
    assert_eq!(detect.len(), 2);
    assert_eq!(detect[0].0, "edr");
    close(detect[0].1, 0.9);
    assert_eq!(detect[0].2, ["inventory.yaml:15", "inventory.yaml:16"]);
    assert_eq!(detect[1].0, "siem");
    close(detect[1].1, 0.4);
    assert_eq!(detect[1].2, ["inventory.yaml:31"]);

    // T1053 on Linux and Windows: detect 0.2 on both; protect 0.5 on Windows (av runs on
    // Windows only), 0 on Linux: mean 0.25. Headline 1 - 0.8 x 0.75 = 0.4.
    let task = technique(&a, "T1053");
    assert_eq!(task.platforms, ["Linux", "Windows"]);
    close(task.functions.detect.score, 0.2);
    close(task.functions.protect.platforms["Windows"], 0.5);
    close(task.functions.protect.platforms["Linux"], 0.0);
    close(task.functions.protect.score, 0.25);

    // T1078: 0.6 x 0.5 (claimed), narrowed to Linux: (0.3 + 0) / 2.
    let valid = technique(&a, "T1078");
    assert_eq!(valid.platforms, ["Linux", "Windows"]);
    close(valid.functions.detect.platforms["Linux"], 0.3);
    close(valid.functions.detect.platforms["Windows"], 0.0);
    close(valid.functions.detect.score, 0.15);

    // T1059.004: siem's visibility is reported but not in the headline; old-av is retired.
    let shell = technique(&a, "T1059.004");
    assert_eq!(shell.platforms, ["Linux"]);
    close(shell.functions.visibility.score, 0.5);
    close(shell.functions.detect.score, 0.0);
    assert!(shell.capabilities.iter().all(|c| &*c.id != "old-av"));

    // T1003.001 via edr's T1003 entry with include_subtechniques: 0.5 x 0.8.
    close(technique(&a, "T1003.001").functions.detect.score, 0.4);
}

#[test]
fn worked_example_parent_level_evidence() {
    let a = run(&worked_example());
    // siem lists T1566 without include_subtechniques: evidence on the parent only.
    let phishing = technique(&a, "T1566");
    assert!(!phishing.leaf);
    assert_eq!(phishing.parent_evidence.len(), 1);
    assert_eq!(&*phishing.parent_evidence[0].id, "siem");
    close(phishing.parent_evidence[0].value, 0.72);
    assert_eq!(
        strs(&phishing.parent_evidence[0].entries),
        ["inventory.yaml:32"]
    );
    close(phishing.score, 0.0);
    let attachment = technique(&a, "T1566.001");
    close(attachment.score, 0.0);
    assert_eq!(attachment.parent_level_only, ["siem"]);
    assert!(attachment.capabilities.is_empty());
    // Other leaves carry no flag.
    assert!(technique(&a, "T1059.001").parent_level_only.is_empty());
}

#[test]
fn worked_example_parents_roll_up() {
    let a = run(&worked_example());
    let interpreter = technique(&a, "T1059");
    assert!(!interpreter.leaf && interpreter.in_scope);
    assert_eq!(interpreter.subtechniques, ["T1059.001", "T1059.004"]);
    close(interpreter.score, 0.482); // (0.964 + 0) / 2
    close(interpreter.functions.detect.score, 0.47); // (0.94 + 0) / 2
    close(interpreter.functions.visibility.score, 0.25); // (0 + 0.5) / 2
    // Per platform, over the sub-techniques that have it.
    close(interpreter.functions.detect.platforms["Windows"], 0.94);
    close(interpreter.functions.detect.platforms["Linux"], 0.0);
    // APT29 uses T1059.001 through its campaign's Cobalt Strike (0.5), FIN7 directly (1).
    close(interpreter.weight, 1.5);
    assert_eq!((interpreter.direct_threats, interpreter.prevalence), (1, 2));
    // Contributions are listed on the leaves only.
    assert!(interpreter.capabilities.is_empty());

    close(score(&a, "T1003"), 0.4);
    // T1566: only T1566.001 is in scope (T1566.002 is excluded).
    close(score(&a, "T1566"), 0.0);
    // Parents never count in the means: 7 leaves, 6 in scope.
    assert_eq!(a.counts.in_scope, 6);
}

#[test]
fn worked_example_tactics() {
    let a = run(&worked_example());
    let expected = [
        // id, shortname, score, weighted, leaves in scope, leaves out of scope
        ("TA0001", "initial-access", 0.075, 0.075, 2, 1),
        // (1.5 x 0.964 + 0 x 0 + 1 x 0.4) / (1.5 + 0 + 1)
        ("TA0002", "execution", 0.454_667, 0.7384, 3, 0),
        // (1 x 0.4 + 1 x 0.15) / 2
        ("TA0003", "persistence", 0.275, 0.275, 2, 0),
        ("TA0006", "credential-access", 0.4, 0.4, 1, 0),
    ];
    assert_eq!(a.tactics.len(), expected.len());
    for (got, want) in a.tactics.iter().zip(expected) {
        assert_eq!(
            (
                got.id.as_str(),
                got.shortname.as_str(),
                got.leaves,
                got.excluded
            ),
            (want.0, want.1, want.4, want.5)
        );
        close(got.score, want.2);
        close(got.score_weighted.expect("weighted"), want.3);
    }
    assert_eq!(a.tactics[0].techniques, ["T1078", "T1566"]);
    assert_eq!(a.tactics[1].techniques, ["T1053", "T1059"]);
}

#[test]
fn worked_example_capability_summary() {
    let a = run(&worked_example());
    let summary: Vec<(&str, bool, usize)> = a
        .capabilities
        .iter()
        .map(|c| (c.id.as_str(), c.counted, c.leaves_covered))
        .collect();
    // siem: T1059.001, T1078 and T1059.004 (visibility); its T1566 entry is parent-level.
    assert_eq!(
        summary,
        [
            ("av", true, 2),
            ("edr", true, 3),
            ("ndr", false, 1),
            ("old-av", false, 1),
            ("siem", true, 3),
        ]
    );
}

#[test]
fn include_planned_adds_planned_capabilities() {
    let options = AssessOptions {
        include: vec![Status::Deployed, Status::Planned],
    };
    let a = assess(mini(), &worked_example(), &options);
    close(score(&a, "T1566.001"), 0.72); // ndr: 0.9 x 0.8
    close(a.overall, 0.439); // (1.914 + 0.72) / 6
    close(a.overall_weighted.expect("threats"), 0.5832); // (2.196 + 0.72) / 5
    assert_eq!(a.include, vec![Status::Deployed, Status::Planned]);
}

#[test]
fn retired_never_counts() {
    let options = AssessOptions {
        include: vec![Status::Deployed, Status::Retired, Status::Candidate],
    };
    let a = assess(mini(), &worked_example(), &options);
    close(score(&a, "T1059.004"), 0.0);
    assert_eq!(a.include, vec![Status::Deployed, Status::Candidate]);
}

#[test]
fn without_threats_weights_are_one_and_weighted_is_null() {
    let mut inv = worked_example();
    inv.scope.threats = Threats::default();
    let a = run(&inv);
    assert_eq!(a.overall_weighted, None);
    assert!(a.tactics.iter().all(|t| t.score_weighted.is_none()));
    close(a.overall, 0.319);
    let t = technique(&a, "T1059.004");
    close(t.weight, 1.0);
    assert_eq!(t.direct_threats, 0);
    close(t.gap_priority, 1.0);
    let json = serde_json::to_value(&a).expect("serialises");
    assert!(json["overall_weighted"].is_null());
}

// ---------------------------------------------------------------------------------------------
// One rule at a time.

#[test]
fn combine_max_takes_the_best_capability() {
    let mut inv = worked_example();
    inv.scoring.combine = Combine::Max;
    let a = run(&inv);
    let ps = technique(&a, "T1059.001");
    close(ps.functions.detect.score, 0.9);
    // The headline still combines detect and protect by noisy-or: 1 - 0.1 x 0.6.
    close(ps.score, 0.94);
}

#[test]
fn headline_can_be_detect_only() {
    let mut inv = worked_example();
    inv.scoring.headline.functions = vec![Function::Detect];
    let a = run(&inv);
    close(score(&a, "T1053"), 0.2);
    close(score(&a, "T1059.001"), 0.94);
}

#[test]
fn headline_combine_max() {
    let mut inv = worked_example();
    inv.scoring.headline.combine = Combine::Max;
    let a = run(&inv);
    close(score(&a, "T1053"), 0.25); // max(0.2, 0.25)
}

#[test]
fn rollup_min_and_max() {
    let mut inv = worked_example();
    inv.scoring.rollup = Rollup::Min;
    close(score(&run(&inv), "T1059"), 0.0);
    inv.scoring.rollup = Rollup::Max;
    let a = run(&inv);
    close(score(&a, "T1059"), 0.964);
    close(technique(&a, "T1059").functions.visibility.score, 0.5);
    // The overall does not change: parents never count.
    close(a.overall, 0.319);
}

#[test]
fn scoring_parameters_are_applied() {
    let mut inv = worked_example();
    inv.scoring.levels.partial = 0.6;
    inv.scoring.confidence.claimed = 0.25;
    inv.scoring.default_confidence = Some(Confidence::Tested);
    let a = run(&inv);
    // T1003.001: partial (0.6) x default confidence tested (1.0).
    close(score(&a, "T1003.001"), 0.6);
    // T1078: a number is its own level value: 0.6 x claimed 0.25, on Linux only.
    close(technique(&a, "T1078").functions.detect.score, 0.075);
    assert_eq!(a.scoring.default_confidence, Some(Confidence::Tested));
    // Without a default in the inventory, the document records the one used.
    let b = run(&worked_example());
    assert_eq!(b.scoring.default_confidence, Some(Confidence::Configured));
}

#[test]
fn display_thresholds_are_configurable() {
    let mut inv = worked_example();
    inv.scoring.thresholds.medium = 0.1;
    inv.scoring.thresholds.high = 0.4;
    let a = run(&inv);
    assert_eq!(technique(&a, "T1078").level, CoverageLevel::Medium);
    assert_eq!(technique(&a, "T1053").level, CoverageLevel::High);
}

#[test]
fn highest_entry_counts_once_per_capability() {
    use Function::Detect;
    let m = mini();
    let f = "inventory.yaml";
    // Three entries of one capability on one leaf: only the highest (0.72) counts; no
    // noisy-or between them.
    let inv = inventory(
        &["Windows"],
        vec![capability(
            "edr",
            "EDR",
            Status::Deployed,
            &["Windows"],
            vec![
                entry(
                    m,
                    &["T1003.001"],
                    Detect,
                    named(NamedLevel::Minimal),
                    loc(f, 1),
                ),
                entry(
                    m,
                    &["T1003.001"],
                    Detect,
                    named(NamedLevel::Significant),
                    loc(f, 2),
                ),
                entry(m, &["T1003"], Detect, named(NamedLevel::Partial), loc(f, 3)),
            ]
            .into_iter()
            .map(|mut e| {
                e.include_subtechniques = true;
                e
            })
            .collect(),
            loc(f, 1),
        )],
    );
    let a = run(&inv);
    close(score(&a, "T1003.001"), 0.72);
    assert_eq!(technique(&a, "T1003.001").capabilities[0].entries.len(), 3);
}

#[test]
fn noisy_or_over_capabilities() {
    use Function::Detect;
    let m = mini();
    let f = "inventory.yaml";
    let cap = |id: &str, level: f64| {
        capability(
            id,
            id,
            Status::Deployed,
            &["Windows"],
            vec![with_confidence(
                entry(m, &["T1003.001"], Detect, Level::Value(level), loc(f, 1)),
                Confidence::Tested,
            )],
            loc(f, 1),
        )
    };
    let a = run(&inventory(
        &["Windows"],
        vec![cap("a", 0.5), cap("b", 0.5), cap("c", 0.5)],
    ));
    close(score(&a, "T1003.001"), 0.875); // 1 - 0.5^3
}

#[test]
fn parent_entry_on_a_technique_without_subtechniques_is_a_leaf_entry() {
    let m = mini();
    let inv = inventory(
        &["Windows"],
        vec![capability(
            "x",
            "X",
            Status::Deployed,
            &["Windows"],
            vec![CoverageEntry {
                include_subtechniques: true,
                parent_level_by_choice: false,
                ..with_confidence(
                    entry(
                        m,
                        &["T1053"],
                        Function::Protect,
                        Level::Value(0.5),
                        loc("i.yaml", 4),
                    ),
                    Confidence::Tested,
                )
            }],
            loc("i.yaml", 1),
        )],
    );
    close(score(&run(&inv), "T1053"), 0.5);
}

#[test]
fn exclusion_of_a_parent_excludes_its_subtechniques() {
    let m = mini();
    let mut inv = worked_example();
    inv.scope.exclusions.push(Exclusion {
        technique: tech(m, "T1059"),
        reason: "interpreters handled by another team".to_string(),
        location: loc("inventory.yaml", 8),
    });
    let a = run(&inv);
    for id in ["T1059", "T1059.001", "T1059.004"] {
        let t = technique(&a, id);
        assert!(!t.in_scope, "{id}");
        assert_eq!(
            t.exclusion_reason.as_deref(),
            Some("interpreters handled by another team")
        );
        close(t.gap_priority, 0.0);
    }
    // Excluded rows keep the score they would have, for information.
    close(score(&a, "T1059.001"), 0.964);
    close(score(&a, "T1059"), 0.482);
    // 4 leaves left: (0.4 + 0.4 + 0.15 + 0) / 4
    assert_eq!(a.counts.in_scope, 4);
    assert_eq!(a.counts.excluded, 3);
    close(a.overall, 0.2375);
    let t = technique(&a, "T1566.002");
    assert_eq!(
        t.exclusion_reason.as_deref(),
        Some("no mail gateway in scope")
    );
}

#[test]
fn leaves_without_a_platform_in_scope_are_out() {
    let mut inv = worked_example();
    inv.scope.platforms = vec!["Windows".to_string()];
    let a = run(&inv);
    let shell = technique(&a, "T1059.004"); // Linux, macOS
    assert!(!shell.in_scope);
    assert_eq!(
        shell.exclusion_reason.as_deref(),
        Some(NO_PLATFORM_IN_SCOPE)
    );
    assert!(shell.platforms.is_empty());
    // T1053 on Windows only now: detect 0.2, protect 0.5 -> 1 - 0.8 x 0.5 = 0.6.
    close(score(&a, "T1053"), 0.6);
    // T1078 on Windows only: siem's entry is narrowed to Linux, so nothing is left.
    close(score(&a, "T1078"), 0.0);

    inv.scope.platforms = vec!["IaaS".to_string()];
    let a = run(&inv);
    assert_eq!(a.counts.in_scope, 1); // T1078
    let interpreter = technique(&a, "T1059");
    assert!(!interpreter.in_scope);
    assert_eq!(
        interpreter.exclusion_reason.as_deref(),
        Some(NO_SUBTECHNIQUE_IN_SCOPE)
    );
}

#[test]
fn capability_platforms_limit_where_it_applies() {
    let m = mini();
    // A Linux-only capability claims T1003.001, which is Windows-only.
    let inv = inventory(
        &["Windows", "Linux"],
        vec![capability(
            "linux-edr",
            "Linux EDR",
            Status::Deployed,
            &["Linux"],
            vec![entry(
                m,
                &["T1003.001", "T1053"],
                Function::Detect,
                named(NamedLevel::Significant),
                loc("i.yaml", 3),
            )],
            loc("i.yaml", 1),
        )],
    );
    let a = run(&inv);
    close(score(&a, "T1003.001"), 0.0);
    assert!(technique(&a, "T1003.001").capabilities.is_empty());
    close(score(&a, "T1053"), 0.36); // 0.72 on Linux, 0 on Windows
    // A capability without platforms applies on the whole scope.
    let mut inv = inv;
    inv.capabilities[0].platforms.clear();
    close(score(&run(&inv), "T1003.001"), 0.72);
}

#[test]
fn threat_use_of_a_parent_counts_for_each_subtechnique() {
    // FIN7 is made to use the parent T1059 in a copy of the mini bundle.
    let bytes =
        std::fs::read(crate::builder::repo_root().join("fixtures/attack/mini-attack-2.1.json"))
            .expect("fixture");
    let mut bundle: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    let objects = bundle["objects"].as_array_mut().expect("objects");
    let stix = |objects: &[serde_json::Value], id: &str| {
        objects
            .iter()
            .find(|o| {
                o["external_references"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|e| e["external_id"] == id))
            })
            .and_then(|o| o["id"].as_str())
            .map(str::to_string)
            .expect("object")
    };
    let fin7 = stix(objects, "G0046");
    let t1059 = stix(objects, "T1059");
    objects.push(serde_json::json!({
        "type": "relationship", "spec_version": "2.1",
        "id": "relationship--00000000-0000-5000-8000-000000000001",
        "created": "2025-04-25T14:00:00.000Z", "modified": "2025-04-25T14:00:00.000Z",
        "relationship_type": "uses", "source_ref": fin7, "target_ref": t1059,
    }));
    let attack = covmap_core::Attack::from_slice(
        &serde_json::to_vec(&bundle).expect("json"),
        "patched.json".as_ref(),
    )
    .expect("patched bundle loads");
    let mut inv = inventory(&["Windows", "Linux"], Vec::new());
    inv.scope.threats.groups = vec![actor(&attack, "G0046", Kind::Group)];
    let a = assess(&attack, &inv, &AssessOptions::default());
    // FIN7 uses T1059.001 directly and through Cobalt Strike, and now T1059: counted once,
    // by the larger route (direct, 1). T1053 comes through Cobalt Strike only: 0.5.
    close(technique(&a, "T1059.001").weight, 1.0);
    close(technique(&a, "T1059.004").weight, 1.0);
    close(technique(&a, "T1053").weight, 0.5);
    close(technique(&a, "T1059").weight, 1.0);
    close(technique(&a, "T1003.001").weight, 0.0);
    assert_eq!(technique(&a, "T1059.004").direct_threats, 1);
    assert_eq!(technique(&a, "T1053").direct_threats, 0);
}

#[test]
fn campaign_and_software_threats_weight_too() {
    let m = mini();
    let mut inv = worked_example();
    inv.scope.threats = Threats {
        groups: vec![actor(m, "G0016", Kind::Group)],
        campaigns: vec![actor(m, "C0024", Kind::Campaign)],
        software: vec![
            actor(m, "S0154", Kind::Software),
            actor(m, "S0154", Kind::Software),
        ],
        profiles: Vec::new(),
    };
    let a = run(&inv);
    // APT29: T1566.001 direct 1, T1078 through its campaign C0024 1, T1003.001 through
    // Mimikatz 0.5, T1059.001 and T1053 through C0024's Cobalt Strike 0.5. C0024: T1078 its
    // own 1, T1059.001 and T1053 through Cobalt Strike 0.5. S0154 (once): its own uses, 1.
    close(technique(&a, "T1059.001").weight, 2.0);
    close(technique(&a, "T1053").weight, 2.0);
    close(technique(&a, "T1078").weight, 2.0);
    close(technique(&a, "T1566.001").weight, 1.0);
    close(technique(&a, "T1003.001").weight, 0.5);
    assert_eq!(technique(&a, "T1059.001").direct_threats, 1);
    assert_eq!(technique(&a, "T1078").direct_threats, 2);
    assert_eq!(a.scope.threats.software.len(), 1);
    // (2 x 0.964 + 2 x 0.4 + 2 x 0.15 + 1 x 0 + 0.5 x 0.4) / 7.5
    close(a.overall_weighted.expect("weighted"), 0.4304);
}

#[test]
fn bad_references_are_skipped_without_panic() {
    let m = mini();
    let mut inv = worked_example();
    // A revoked technique (T1000), positions past the end, threats past the end.
    inv.capabilities[0].coverage[0].techniques = vec![tech(m, "T1000"), 9999, u32::MAX];
    inv.capabilities[0].coverage[1].techniques.clear();
    inv.capabilities[0].coverage[1].platforms = Some(vec!["Nowhere".to_string()]);
    inv.capabilities[1].coverage[0].level = Level::Value(f64::NAN);
    inv.capabilities[1].coverage[1].level = Level::Value(7.0);
    inv.scope.exclusions.push(Exclusion {
        technique: 12345,
        reason: "x".to_string(),
        location: loc("i.yaml", 1),
    });
    inv.scope.threats.groups.push(777);
    inv.scope.threats.software.push(u32::MAX);
    let a = run(&inv);
    // T1059.001 keeps siem's detect 0.4 only; NaN counts as 0.
    close(score(&a, "T1059.001"), 0.4);
    // Level 7 is clamped to 1 (x tested 1.0): T1053 protect 1 on Windows, 0 on Linux.
    close(technique(&a, "T1053").functions.protect.score, 0.5);
    assert!(a.overall.is_finite());
    serde_json::to_string(&a).expect("serialises");

    let empty = run(&Inventory::default());
    close(empty.overall, 0.0);
    assert_eq!(empty.overall_weighted, None);
    // An empty scope means every platform of the domain.
    assert_eq!(empty.counts.in_scope, 7);
}

#[test]
fn document_round_trips_through_json() {
    let a = run(&worked_example());
    let json = serde_json::to_string_pretty(&a).expect("serialises");
    let mut back: Assessment = serde_json::from_str(&json).expect("deserialises");
    // The document names each capability once; contributions get their names back by id.
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let contributions: Vec<&serde_json::Value> = value["techniques"]
        .as_array()
        .expect("techniques")
        .iter()
        .flat_map(|t| t["capabilities"].as_array().expect("a list"))
        .collect();
    assert!(!contributions.is_empty());
    assert!(contributions.iter().all(|c| c.get("name").is_none()));
    assert!(
        back.techniques
            .iter()
            .flat_map(|t| &t.capabilities)
            .all(|c| c.name.is_empty())
    );
    back.restore_names();
    assert_eq!(back, a);
    assert_eq!(serde_json::to_string_pretty(&back).expect("again"), json);
    // Same input, same bytes.
    assert_eq!(
        serde_json::to_string_pretty(&run(&worked_example())).expect("again"),
        json
    );
}

#[test]
fn document_shape() {
    let a = run(&worked_example());
    let v = serde_json::to_value(&a).expect("serialises");
    for key in [
        "format",
        "covmap_version",
        "attack",
        "organization",
        "files",
        "include",
        "scoring",
        "scope",
        "overall",
        "overall_weighted",
        "functions",
        "counts",
        "tactics",
        "techniques",
        "capabilities",
    ] {
        assert!(v.get(key).is_some(), "{key}");
    }
    let t = &v["techniques"][0];
    for key in [
        "id",
        "name",
        "score",
        "level",
        "in_scope",
        "exclusion_reason",
        "leaf",
        "parent",
        "tactics",
        "platforms",
        "functions",
        "weight",
        "direct_threats",
        "prevalence",
        "gap_priority",
        "capabilities",
        "parent_evidence",
    ] {
        assert!(t.get(key).is_some(), "{key}");
    }
    for f in ["detect", "protect", "respond", "visibility"] {
        assert!(t["functions"][f]["score"].is_number(), "{f}");
        assert!(t["functions"][f]["platforms"].is_object(), "{f}");
    }
    // One object per active technique: 10 in the mini bundle (5 techniques, 5 subs).
    assert_eq!(v["techniques"].as_array().map(Vec::len), Some(10));
    assert_eq!(v["files"][0]["path"], "inventory.yaml");
    assert_eq!(v["scoring"]["combine"], "noisy-or");
}

#[test]
fn tested_confidence_is_full_value() {
    let m = mini();
    let a = run(&inventory(
        &["Windows"],
        vec![capability(
            "x",
            "X",
            Status::Deployed,
            &["Windows"],
            vec![with_confidence(
                entry(
                    m,
                    &["T1003.001"],
                    Function::Respond,
                    named(NamedLevel::Significant),
                    loc("i.yaml", 2),
                ),
                Confidence::Tested,
            )],
            loc("i.yaml", 1),
        )],
    ));
    // respond is reported but is not part of the headline.
    let t = technique(&a, "T1003.001");
    close(t.functions.respond.score, 0.9);
    close(t.score, 0.0);
}

/// The YAML listings of docs/scoring.md, by the file name in the comment before each.
fn doc_listing(file: &str) -> String {
    let doc = std::fs::read_to_string(crate::builder::repo_root().join("docs/scoring.md"))
        .expect("docs/scoring.md");
    let marker = format!("<!-- file: {file} -->\n```yaml\n");
    let start = doc.find(&marker).expect("listing in docs/scoring.md") + marker.len();
    let end = start + doc[start..].find("```").expect("end of listing");
    doc[start..end].to_string()
}

#[test]
fn worked_example_yaml_matches() {
    use covmap_assess::parse::{SourceFile, ValidationContext, parse_inventories};
    let sources = [
        SourceFile::new("inventory.yaml", doc_listing("inventory.yaml")),
        SourceFile::new("edr-x.yaml", doc_listing("edr-x.yaml")),
    ];
    let parsed = parse_inventories(&sources, mini(), &ValidationContext::default());
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let mut inv = parsed.inventory;
    // The candidate file is scored only by `compare`.
    let candidate = inv.capabilities.pop().expect("edr-x");
    assert_eq!(candidate.id, "edr-x");
    let c = covmap_assess::compare::compare(
        mini(),
        &inv,
        &AssessOptions::default(),
        &[covmap_assess::compare::Candidate {
            label: "edr-x.yaml",
            capabilities: std::slice::from_ref(&candidate),
        }],
        &[],
    );
    close(c.candidates[0].gain, 0.0454);
    let mut from_yaml = run(&inv);
    let from_code = run(&worked_example());
    from_yaml.files.truncate(1);
    from_yaml.files[0]
        .sha256
        .clone_from(&from_code.files[0].sha256);
    assert_eq!(from_yaml, from_code);
}

/// The two-thread JSON writer gives exactly serde_json's pretty bytes, for the worked example
/// cut to every number of techniques (batch boundaries included), and with no technique.
#[test]
fn parallel_json_is_serde_json_pretty() {
    let expected = |a: &Assessment| {
        let mut bytes = serde_json::to_vec_pretty(a).expect("serialises");
        bytes.push(b'\n');
        bytes
    };
    let written = |a: &Assessment| {
        let mut bytes = Vec::new();
        a.write_pretty_json(&mut bytes).expect("writes");
        bytes
    };
    let full = run(&worked_example());
    assert!(full.techniques.len() > 3);
    assert_eq!(written(&full), expected(&full));
    for n in 1..full.techniques.len() {
        let mut cut = full.clone();
        cut.techniques.truncate(n);
        assert_eq!(written(&cut), expected(&cut), "{n} techniques");
    }
    let mut none = full;
    none.techniques.clear();
    assert_eq!(written(&none), expected(&none));
}

// ---------------------------------------------------------------------------------------------
// Systems (docs/scoring.md, "Systems"): every figure there, from the listing itself.

fn systems_listing() -> Inventory {
    use covmap_assess::parse::{SourceFile, ValidationContext, parse_inventories};
    let sources = [SourceFile::new("systems.yaml", doc_listing("systems.yaml"))];
    let parsed = parse_inventories(&sources, mini(), &ValidationContext::default());
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    parsed.inventory
}

#[test]
fn systems_worked_example() {
    let inv = systems_listing();
    let systems: Vec<&str> = inv
        .capabilities
        .iter()
        .map(covmap_assess::inventory::Capability::system)
        .collect();
    assert_eq!(systems, ["edr", "edr", "mail-gateway"]);
    let assessed = run(&inv);
    // T1059.001: edr max(0.4, 0.72) = 0.72, then 1 - 0.28 x 0.6 with the gateway's 0.4.
    close(score(&assessed, "T1059.001"), 0.832);
    // T1003.001: max(0.72, 0.2); T1566.001: the gateway alone.
    close(score(&assessed, "T1003.001"), 0.72);
    close(score(&assessed, "T1566.001"), 0.4);
    assert_eq!(assessed.counts.in_scope, 6);
    close(assessed.overall, 0.325_333); // 1.952 / 6
    let summary: Vec<(&str, &str)> = assessed
        .capabilities
        .iter()
        .map(|c| (c.id.as_str(), c.system.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("edr-core", "edr"),
            ("edr-custom", "edr"),
            ("mail-gateway", "mail-gateway")
        ]
    );
    // Both packs still contribute, each with its own value.
    let leaf = technique(&assessed, "T1059.001");
    let contributions: Vec<(&str, f64)> = leaf
        .capabilities
        .iter()
        .map(|c| (&*c.id, c.value))
        .collect();
    assert_eq!(
        contributions,
        [
            ("edr-core", 0.4),
            ("edr-custom", 0.72),
            ("mail-gateway", 0.4)
        ]
    );

    // Were the packs independent systems: 0.8992 and 0.776, overall 2.0752 / 6.
    let mut independent = inv.clone();
    for c in &mut independent.capabilities {
        c.system = None;
    }
    let independent = run(&independent);
    close(score(&independent, "T1059.001"), 0.8992);
    close(score(&independent, "T1003.001"), 0.776);
    close(independent.overall, 0.345_867);

    // One capability `edr` with all four entries: the same scores, to the last bit.
    let mut merged = inv.clone();
    let custom = merged.capabilities.remove(1);
    merged.capabilities[0].id = "edr".to_string();
    merged.capabilities[0].system = None;
    merged.capabilities[0].coverage.extend(custom.coverage);
    let merged = run(&merged);
    assert_eq!(merged.overall.to_bits(), assessed.overall.to_bits());
    for (x, y) in assessed.techniques.iter().zip(&merged.techniques) {
        assert_eq!(
            (&x.id, x.score, &x.functions),
            (&y.id, y.score, &y.functions)
        );
    }

    // Retiring edr-custom: edr-core carries the system on; T1059.001 1 - 0.6 x 0.6 = 0.64.
    let comparison = covmap_assess::compare::compare(
        mini(),
        &inv,
        &AssessOptions::default(),
        &[],
        &["edr-custom".to_string()],
    );
    let without = comparison.without.expect("without");
    close(without.after.overall, 0.293_333);
    close(without.drop, 0.032);
    assert!(without.fall_to_zero.is_empty());
    assert_eq!(without.weakened.len(), 1);
    assert_eq!(without.weakened[0].id, "T1059.001");
    close(without.weakened[0].after, 0.64);
}

/// A candidate that names an existing system joins it (max); with `combine: max` systems
/// change nothing.
#[test]
fn candidates_join_systems_and_max_ignores_them() {
    let inv = systems_listing();
    let mut joining = inv.capabilities[1].clone();
    joining.id = "edr-more".to_string();
    joining.status = Status::Candidate;
    for e in &mut joining.coverage {
        e.level = Level::Named(NamedLevel::Significant);
    }
    let mut own = joining.clone();
    own.system = Some("another-edr".to_string());
    let comparison = covmap_assess::compare::compare(
        mini(),
        &inv,
        &AssessOptions::default(),
        &[
            covmap_assess::compare::Candidate {
                label: "joining",
                capabilities: std::slice::from_ref(&joining),
            },
            covmap_assess::compare::Candidate {
                label: "own",
                capabilities: std::slice::from_ref(&own),
            },
        ],
        &[],
    );
    // Joining: T1003.001 edr max(0.72, 0.2 -> 0.72) = 0.72 and T1059.001 unchanged: no gain.
    close(comparison.candidates[0].gain, 0.0);
    // Its own system: T1059.001 1 - 0.28 x 0.6 x 0.28 = 0.952960, T1003.001 1 - 0.28 x 0.28 =
    // 0.9216: gain (0.12096 + 0.2016) / 6 = 0.05376.
    close(comparison.candidates[1].gain, 0.053_76);

    let mut max = inv.clone();
    max.scoring.combine = Combine::Max;
    let with_max = run(&max);
    close(score(&with_max, "T1059.001"), 0.72);
    let mut flat = max.clone();
    for cap in &mut flat.capabilities {
        cap.system = None;
    }
    assert_eq!(run(&flat).overall.to_bits(), with_max.overall.to_bits());
}

/// Contributions stay listed by function, then capability id, whatever their systems (which
/// only decide how values combine).
#[test]
fn contributions_are_listed_by_id_whatever_the_systems() {
    let a = mini();
    let mut first = capability(
        "a-pack",
        "A",
        Status::Deployed,
        &["Windows"],
        vec![entry(
            a,
            &["T1059.001"],
            Function::Detect,
            named(NamedLevel::Partial),
            loc("inventory.yaml", 5),
        )],
        loc("inventory.yaml", 3),
    );
    first.system = Some("zz-siem".to_string());
    let second = capability(
        "b-edr",
        "B",
        Status::Deployed,
        &["Windows"],
        vec![entry(
            a,
            &["T1059.001"],
            Function::Detect,
            named(NamedLevel::Significant),
            loc("inventory.yaml", 9),
        )],
        loc("inventory.yaml", 7),
    );
    let assessed = run(&inventory(&["Windows"], vec![first, second]));
    let leaf = technique(&assessed, "T1059.001");
    let ids: Vec<&str> = leaf.capabilities.iter().map(|c| &*c.id).collect();
    assert_eq!(ids, ["a-pack", "b-edr"]);
    // Two systems: 1 - 0.6 x 0.28.
    close(leaf.score, 0.832);
}

// --- Issue 17: route-aware weights, the software factor, threat profiles.

#[test]
fn software_factor_sets_what_a_software_only_use_counts() {
    // 1: every route counts fully (the weights of format 2: threats using it by any route).
    let mut inv = worked_example();
    inv.scoring.threat_software_factor = 1.0;
    let a = run(&inv);
    for (id, weight) in [
        ("T1053", 2.0),
        ("T1059.001", 2.0),
        ("T1003.001", 1.0),
        ("T1078", 1.0),
        ("T1566.001", 1.0),
    ] {
        close(technique(&a, id).weight, weight);
    }
    close(a.scoring.threat_software_factor, 1.0);
    // 0: only direct uses weigh; T1053 and T1003.001 (software only) fall to 0, FIN7's own
    // T1059.001 stays.
    inv.scoring.threat_software_factor = 0.0;
    let a = run(&inv);
    for (id, weight) in [
        ("T1053", 0.0),
        ("T1059.001", 1.0),
        ("T1003.001", 0.0),
        ("T1078", 1.0),
        ("T1566.001", 1.0),
    ] {
        close(technique(&a, id).weight, weight);
    }
    // (0.964 + 0.15 + 0) / 3
    close(a.overall_weighted.expect("weighted"), 0.371_333);
}

fn profile(weight: f64, uses: &[(&str, f64, bool)]) -> covmap_assess::inventory::ThreatProfile {
    use covmap_assess::inventory::{ProfileFormat, ProfileUse, ThreatProfile};
    ThreatProfile {
        name: "sector report".to_string(),
        path: "sector.csv".into(),
        format: ProfileFormat::Csv,
        weight,
        uses: uses
            .iter()
            .map(|&(id, value, direct)| ProfileUse {
                technique: tech(mini(), id),
                value,
                direct,
            })
            .collect(),
        location: loc("inventory.yaml", 9),
    }
}

#[test]
fn threat_profiles_weigh_as_threats_with_their_weight() {
    let mut inv = worked_example();
    // A use of the parent T1059 counts for each sub-technique; on T1059.001 the larger of the
    // parent's 0.5 and its own 1 counts, and it is direct because one of the two is.
    inv.scope.threats.profiles = vec![profile(
        2.0,
        &[
            ("T1059", 0.5, true),
            ("T1059.001", 1.0, false),
            ("T1078", 0.25, true),
        ],
    )];
    let a = run(&inv);
    for (id, weight, direct) in [
        ("T1059.001", 1.5 + 2.0 * 1.0, 2), // FIN7 direct, APT29 software, the profile
        ("T1059.004", 2.0 * 0.5, 1),       // the profile only, through the parent
        ("T1078", 1.0 + 2.0 * 0.25, 2),    // APT29 through its campaign, the profile
        ("T1053", 1.0, 0),                 // unchanged
        ("T1003.001", 0.5, 0),             // unchanged
        ("T1566.001", 1.0, 1),             // unchanged
        ("T1059", 0.5 + 1.0 + 2.0 * 1.0, 2), // per threat its largest use of a sub-technique
    ] {
        let t = technique(&a, id);
        close(t.weight, weight);
        assert_eq!(t.direct_threats, direct, "{id}");
    }
    // Σ w = 0.5 + 1 + 3.5 + 1 + 1.5 + 1 = 8.5; Σ w·s = 0.2 + 0.4 + 3.374 + 0 + 0.225 + 0.
    close(a.overall_weighted.expect("weighted"), 4.199 / 8.5);
    close(technique(&a, "T1059.004").gap_priority, 1.0);

    // A profile alone weights too; weight 0 keeps its techniques at weight 0.
    let mut alone = worked_example();
    alone.scope.threats = Threats {
        profiles: vec![
            profile(0.0, &[("T1078", 1.0, true)]),
            profile(1.0, &[("T1053", 0.4, false)]),
        ],
        ..Threats::default()
    };
    let a = run(&alone);
    close(technique(&a, "T1078").weight, 0.0);
    assert_eq!(technique(&a, "T1078").direct_threats, 1);
    close(technique(&a, "T1053").weight, 0.4);
    close(technique(&a, "T1566.001").weight, 0.0);
    // Only T1053 weighs: the weighted overall is its score.
    close(a.overall_weighted.expect("a profile is a threat"), 0.4);
}

#[test]
fn format_2_documents_read_with_the_factor_they_were_made_with() {
    let a = run(&worked_example());
    assert_eq!(a.format, 3);
    let mut v = serde_json::to_value(&a).expect("serialises");
    v["format"] = 2.into();
    let scoring = v["scoring"].as_object_mut().expect("scoring");
    scoring.remove("threat_software_factor");
    for t in v["techniques"].as_array_mut().expect("techniques") {
        let t = t.as_object_mut().expect("technique");
        t.remove("direct_threats");
        t.remove("prevalence");
        t.insert("weight".to_string(), 2.into());
    }
    let bytes = serde_json::to_vec(&v).expect("json");
    let old = covmap_assess::saved::read_assessment_json(&bytes).expect("format 2 reads");
    close(old.scoring.threat_software_factor, 1.0);
    let t = technique(&old, "T1053");
    close(t.weight, 2.0);
    assert_eq!((t.direct_threats, t.prevalence), (0, 0));
    // Format 3 reads back as written.
    let bytes = serde_json::to_vec(&a).expect("json");
    let again = covmap_assess::saved::read_assessment_json(&bytes).expect("format 3 reads");
    close(again.scoring.threat_software_factor, 0.5);
    assert_eq!(technique(&again, "T1059.001").prevalence, 2);
}
