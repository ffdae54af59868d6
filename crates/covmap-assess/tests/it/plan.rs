//! `covmap plan`: the cumulative figures of every step equal a real assessment of
//! the inventory edited by hand with the actions before it, on example 01 with the two
//! candidates of example 02, every ATT&CK mitigation and test actions, on the real enterprise
//! 18.1 bundle (skipped when `../shared` is missing, a failure with `CI=true`).
//!
//! The edited inventory is built here from the actions' meaning (docs/scoring.md, "Plan"),
//! without plan.rs: a candidate's status becomes deployed; a mitigation becomes a capability
//! with one protect entry (level `plan.mitigation_level`, confidence claimed) on the in-scope
//! leaves ATT&CK says it mitigates; a test copies every untested entry of a deployed capability
//! on the leaf into a new entry on that leaf with confidence tested; a log source becomes the
//! capability `plan::log_source_capability` makes of the analytics it makes feasible.

// The figures must be equal to the bit, not close: they are the same computation.
#![allow(clippy::float_cmp)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use covmap_assess::inventory::{
    Capability, Confidence, CoverageEntry, Function, Inventory, Level, NamedLevel, Status,
};
use covmap_assess::onboarding::{TelemetryOptions, source_actions};
use covmap_assess::parse::{SourceFile, ValidationContext, parse_inventories};
use covmap_assess::plan::{
    ActionKind, AtomicIndex, Plan, PlanOptions, log_source_capability, plan,
};
use covmap_assess::score::{AssessOptions, Assessment, assess};
use covmap_core::Attack;

use crate::builder::{enterprise_18, loc};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Example 01 plus the candidates of example 02, with `plan` text appended to example 01.
fn examples(attack: &Attack, plan_section: &str) -> Inventory {
    let mut sources = Vec::new();
    for path in [
        "examples/01-midsize-company/inventory.yaml",
        "examples/02-compare-candidates/candidate-edr.yaml",
        "examples/02-compare-candidates/candidate-ndr.yaml",
    ] {
        let mut bytes = std::fs::read(root().join(path)).expect("example");
        if path.contains("01-") {
            bytes.extend_from_slice(plan_section.as_bytes());
        }
        sources.push(SourceFile::new(path, bytes));
    }
    let parsed = parse_inventories(&sources, attack, &ValidationContext::default());
    assert!(!parsed.has_errors(), "{:#?}", parsed.diagnostics);
    parsed.inventory
}

/// An Atomic Red Team index: every technique folder of `../shared`'s atomics, on Windows only
/// (the index is an input of `plan`; reading Atomic Red Team itself is covmap-import's, tested
/// there and in the CLI).
fn atomics() -> AtomicIndex {
    let dir = root().join("../shared/data/corpora/atomic/atomics");
    let mut index = AtomicIndex::new();
    for entry in std::fs::read_dir(&dir).expect("atomics folder").flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('T') {
            index.insert(name, BTreeSet::from(["Windows".to_string()]));
        }
    }
    index
}

/// The inventory with the first `k` actions applied, built from their meaning.
#[allow(
    clippy::too_many_lines,
    reason = "one arm per kind of action, each the meaning of that action"
)]
fn edited(
    attack: &Attack,
    inventory: &Inventory,
    baseline: &Assessment,
    plan: &Plan,
    k: usize,
    atomics: &AtomicIndex,
) -> Inventory {
    let mut out = inventory.clone();
    let in_scope: BTreeSet<&str> = baseline
        .techniques
        .iter()
        .filter(|t| t.leaf && t.in_scope)
        .map(|t| t.id.as_str())
        .collect();
    let platforms_of: BTreeMap<&str, &Vec<String>> = baseline
        .techniques
        .iter()
        .map(|t| (t.id.as_str(), &t.platforms))
        .collect();
    for action in plan.actions.iter().take(k) {
        match action.kind {
            ActionKind::Candidate => {
                for c in &mut out.capabilities {
                    if c.id == action.id {
                        c.status = Status::Deployed;
                    }
                }
            }
            ActionKind::Mitigation => {
                let mitigation = attack
                    .mitigations()
                    .iter()
                    .find(|m| m.meta.id() == action.id && m.meta.is_active())
                    .expect("mitigation");
                let leaves: Vec<u32> = attack
                    .mitigated_by(mitigation)
                    .into_iter()
                    .filter(|t| in_scope.contains(t.meta.id()))
                    .map(|t| t.meta.key.index)
                    .collect();
                out.capabilities.push(Capability {
                    id: format!("mitigation:{}", action.id),
                    name: mitigation.meta.name.clone(),
                    vendor: None,
                    status: Status::Deployed,
                    system: None,
                    platforms: Vec::new(),
                    cost: None,
                    owner: None,
                    tags: Vec::new(),
                    coverage: vec![CoverageEntry {
                        techniques: leaves,
                        function: Function::Protect,
                        level: inventory.plan.mitigation_level,
                        confidence: Some(Confidence::Claimed),
                        evidence: None,
                        tested_on: None,
                        include_subtechniques: false,
                        parent_level_by_choice: false,
                        platforms: None,
                        location: loc("edited.yaml", 1),
                    }],
                    imports: Vec::new(),
                    location: loc("edited.yaml", 1),
                });
            }
            ActionKind::LogSource => {
                // The analytics the source makes feasible come from the onboarding analysis
                // (tests/it/onboarding.rs checks it against the raw STIX); what is checked here
                // is the plan's bookkeeping: one capability of detect entries per source.
                let telemetry = TelemetryOptions {
                    assess: AssessOptions::default(),
                    filtered_factor: inventory.scoring.filtered_factor(),
                    onboarding_steps: None,
                };
                let source = source_actions(attack, inventory, baseline, &telemetry)
                    .into_iter()
                    .find(|s| s.name == action.id && Some(&s.channel) == action.channel.as_ref())
                    .expect("log source");
                let ids: Vec<&str> = source.analytics.iter().map(|a| a.id.as_str()).collect();
                assert_eq!(ids, action.analytics);
                out.capabilities.push(log_source_capability(
                    &source,
                    inventory.plan.analytic_level,
                ));
            }
            ActionKind::Test => {
                let leaf = attack.technique(&action.id).expect("leaf");
                let parent = attack.parent(leaf).map(|p| p.meta.key.index);
                let tested_on = &atomics[&action.id];
                let leaf_platforms = platforms_of[action.id.as_str()];
                let default = inventory.scoring.default_confidence();
                for c in &mut out.capabilities {
                    // Only capabilities deployed before the plan (test actions are about them).
                    let original = inventory.capabilities.iter().find(|o| o.id == c.id);
                    if original.map(|o| o.status) != Some(Status::Deployed) {
                        continue;
                    }
                    let mut copies = Vec::new();
                    for e in &c.coverage {
                        let covers = e.techniques.contains(&leaf.meta.key.index)
                            || (e.include_subtechniques
                                && parent.is_some_and(|p| e.techniques.contains(&p)));
                        // Where the entry applies: the capability's platforms (the scope's
                        // when it lists none) narrowed by the entry's own.
                        let on_test = leaf_platforms.iter().any(|p| {
                            (c.platforms.is_empty() || c.platforms.contains(p))
                                && e.platforms.as_ref().is_none_or(|l| l.contains(p))
                                && tested_on.contains(p)
                        });
                        if covers
                            && on_test
                            && e.confidence.unwrap_or(default) != Confidence::Tested
                        {
                            copies.push(CoverageEntry {
                                techniques: vec![leaf.meta.key.index],
                                confidence: Some(Confidence::Tested),
                                include_subtechniques: false,
                                ..e.clone()
                            });
                        }
                    }
                    c.coverage.extend(copies);
                }
            }
        }
    }
    out
}

fn example_plan(top: Option<usize>, budget: Option<f64>) -> Option<(Inventory, Plan)> {
    let attack = enterprise_18()?;
    let inventory = examples(
        attack,
        "\nplan:\n  mitigation_level: partial\n  costs: {M1026: 20000, M1032: 45000, M1017: 30000}\n",
    );
    let options = PlanOptions {
        budget,
        top,
        atomics: Some(atomics()),
        ..PlanOptions::default()
    };
    let plan = plan(attack, &inventory, &options).expect("plan");
    Some((inventory, plan))
}

#[test]
fn cumulative_figures_equal_an_assessment_of_the_edited_inventory() {
    let Some((inventory, plan)) = example_plan(Some(40), None) else {
        return;
    };
    let attack = enterprise_18().expect("loaded");
    let options = AssessOptions::default();
    let baseline = assess(attack, &inventory, &options);
    assert_eq!(plan.baseline.overall, baseline.overall);
    assert_eq!(plan.baseline.overall_weighted, baseline.overall_weighted);
    assert_eq!(plan.actions.len(), 40);
    let kinds: BTreeSet<ActionKind> = plan.actions.iter().map(|a| a.kind).collect();
    assert_eq!(
        kinds.len(),
        4,
        "every kind of action is exercised: {kinds:?}"
    );
    let index = atomics();
    let mut previous = (baseline.overall, baseline.overall_weighted);
    for (k, action) in plan.actions.iter().enumerate() {
        assert_eq!(action.rank, k + 1);
        let edited = edited(attack, &inventory, &baseline, &plan, k + 1, &index);
        let after = assess(attack, &edited, &options);
        assert_eq!(
            (action.cumulative_overall, action.cumulative_weighted),
            (after.overall, after.overall_weighted),
            "step {} ({:?} {})",
            k + 1,
            action.kind,
            action.id
        );
        assert!(action.weighted_gain.expect("threats are selected") > 0.0 || action.gain > 0.0);
        assert!(action.cumulative_overall >= previous.0);
        assert!(!action.techniques.is_empty());
        previous = (after.overall, after.overall_weighted);
    }
}

#[test]
fn greedy_order_free_then_gain_per_cost_then_unknown_cost() {
    let Some((_, plan)) = example_plan(None, None) else {
        return;
    };
    let tier = |cost: Option<f64>| match cost {
        Some(c) if c <= 0.0 => 0,
        Some(_) => 1,
        None => 2,
    };
    let tiers: Vec<u8> = plan.actions.iter().map(|a| tier(a.cost)).collect();
    let mut sorted = tiers.clone();
    sorted.sort_unstable();
    assert_eq!(tiers, sorted, "free, then costed, then cost unknown");
    assert!(
        plan.actions
            .iter()
            .all(|a| a.kind != ActionKind::Test || a.cost == Some(0.0))
    );
    // The candidates of example 02 and the costed mitigations are in the costed tier.
    let costed: BTreeSet<&str> = plan
        .actions
        .iter()
        .filter(|a| tier(a.cost) == 1)
        .map(|a| a.id.as_str())
        .collect();
    assert!(costed.contains("xdr-candidate"), "{costed:?}");
    assert!(costed.contains("M1026"), "{costed:?}");
    let costs: f64 = plan.actions.iter().filter_map(|a| a.cost).sum();
    assert!((plan.spent - costs).abs() < 1e-9);
    // Deterministic.
    let Some((_, again)) = example_plan(None, None) else {
        return;
    };
    assert_eq!(plan, again);
}

#[test]
fn budget_stops_before_the_first_costed_action_that_would_exceed_it() {
    let Some((_, full)) = example_plan(None, None) else {
        return;
    };
    let Some((_, capped)) = example_plan(None, Some(60_000.0)) else {
        return;
    };
    assert_eq!(capped.budget, Some(60_000.0));
    assert!(capped.spent <= 60_000.0);
    // The capped plan is the full plan cut where the running cost would exceed the budget.
    let mut spent = 0.0;
    let mut expected = 0;
    for a in &full.actions {
        let cost = a.cost.unwrap_or(0.0);
        if spent + cost > 60_000.0 {
            break;
        }
        spent += cost;
        expected += 1;
    }
    assert!(expected < full.actions.len());
    assert_eq!(capped.actions, full.actions[..expected]);
    assert_eq!(capped.spent, spent);
}

#[test]
fn plan_section_is_validated() {
    let Some(attack) = enterprise_18() else {
        return;
    };
    let text = "covmap: 1\nplan:\n  mitigation_level: 1.5\n  costs:\n    M1026: -3\n    M9999: 10\n    T1059: 4\n";
    let parsed = parse_inventories(
        &[SourceFile::new("p.yaml", text.as_bytes().to_vec())],
        attack,
        &ValidationContext::default(),
    );
    let found: Vec<(String, usize, usize)> = parsed
        .diagnostics
        .iter()
        .map(|d| {
            (
                d.code.as_str().to_string(),
                d.location.line,
                d.location.column,
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("level-out-of-range".to_string(), 3, 21),
            ("invalid-value".to_string(), 5, 12),
            ("unknown-mitigation".to_string(), 6, 5),
            ("unknown-mitigation".to_string(), 7, 5),
        ]
    );
    let good = "covmap: 1\nplan: {mitigation_level: significant, costs: {m1026: 20000}}\n";
    let parsed = parse_inventories(
        &[SourceFile::new("p.yaml", good.as_bytes().to_vec())],
        attack,
        &ValidationContext::default(),
    );
    assert!(!parsed.has_errors(), "{:#?}", parsed.diagnostics);
    assert_eq!(
        parsed.inventory.plan.mitigation_level,
        Level::Named(NamedLevel::Significant)
    );
    assert_eq!(parsed.inventory.plan.costs["M1026"], 20000.0);
}

/// On the mini bundle, by hand: one candidate covering T1059.001 detect significant (0.9,
/// configured 0.8 = 0.72) at 1,000 a year; M1040 (Behavior Prevention on Endpoint) mitigates
/// T1059.001 and T1003.001 in the fixture, a what-if at partial x claimed = 0.25 protect each.
/// Six leaves in scope on Windows (T1566.001, T1566.002, T1059.001, T1059.004 has no Windows,
/// ...): the expected figures are computed here from those values, not read from covmap.
#[test]
fn mini_candidate_and_mitigation_by_hand() {
    use crate::builder::{capability, entry, inventory, mini, named};
    use covmap_assess::inventory::Cost;
    let a = mini();
    let mut candidate = capability(
        "ndr",
        "NDR",
        Status::Candidate,
        &["Windows"],
        vec![entry(
            a,
            &["T1059.001"],
            Function::Detect,
            named(NamedLevel::Significant),
            loc("mini.yaml", 3),
        )],
        loc("mini.yaml", 1),
    );
    candidate.cost = Some(Cost {
        annual: 1000.0,
        currency: "EUR".to_string(),
    });
    let inv = inventory(&["Windows"], vec![candidate.clone()]);
    let baseline = assess(a, &inv, &AssessOptions::default());
    let leaves = baseline.counts.in_scope as f64;
    let p = plan(a, &inv, &PlanOptions::default()).expect("plan");
    assert_eq!(p.baseline.overall, 0.0);
    assert_eq!(p.baseline.overall_weighted, None);
    let first = &p.actions[0];
    // The costed candidate comes before the mitigation of unknown cost.
    assert_eq!(
        (first.kind, first.id.as_str(), first.cost),
        (ActionKind::Candidate, "ndr", Some(1000.0))
    );
    assert_eq!(first.gain, ((0.9 * 0.8) / leaves * 1e6_f64).round() / 1e6);
    assert_eq!(first.techniques, ["T1059.001"]);
    assert_eq!(first.weighted_gain, None);
    let m1040 = p
        .actions
        .iter()
        .find(|x| x.id == "M1040")
        .expect("M1040 is an action");
    assert_eq!(m1040.kind, ActionKind::Mitigation);
    assert_eq!(m1040.cost, None);
    // Noisy-or of detect 0.72 and protect 0.25 on T1059.001 (headline detect+protect): 1 -
    // 0.28 x 0.75 = 0.79, a rise of 0.07; T1003.001 rises from 0 to 0.25.
    let expected_gain = (0.79 - 0.72 + 0.25) / leaves;
    assert!(
        (m1040.gain - expected_gain).abs() < 1e-6,
        "{} vs {expected_gain}",
        m1040.gain
    );

    // Costs in two currencies are refused; a capability id that mitigation actions use too.
    let mut other = candidate.clone();
    other.id = "edr".to_string();
    other.cost = Some(Cost {
        annual: 5.0,
        currency: "USD".to_string(),
    });
    let mixed = inventory(&["Windows"], vec![candidate.clone(), other]);
    assert_eq!(
        plan(a, &mixed, &PlanOptions::default()),
        Err(covmap_assess::plan::PlanError::MixedCurrencies(vec![
            "EUR".to_string(),
            "USD".to_string()
        ]))
    );
    let mut reserved = candidate;
    reserved.id = "mitigation:M1040".to_string();
    assert!(
        plan(
            a,
            &inventory(&["Windows"], vec![reserved]),
            &PlanOptions::default()
        )
        .is_err()
    );
}

/// Log-source actions on the mini bundle, figures worked out by hand from
/// fixtures/attack/README.md (platforms, detection table) and the analytics' log-source
/// references in fixtures/attack/mini-attack-2.1.json. Scope Windows and Linux: 7 leaves in
/// scope, all at 0 (the only capability gives visibility, not in the headline). Sysmon
/// `EventCode=1` is collected on Windows, so AN0005 and AN0008 are feasible already.
/// Mitigations are put at level 0 so that only log sources raise anything. An analytic built
/// gives detect `minimal` claimed: 0.25 x 0.5 = 0.125 (docs/scoring.md's default table) on
/// each of its leaf's platforms in scope where it becomes feasible.
/// - `WinEventLog:Security EventCode=4688` completes AN0001 (T1059.001, Windows only: 0.125)
///   and AN0004 (T1566.001, Windows of Windows and Linux: 0.0625): gain 0.1875 / 7;
/// - `WinEventLog:Sysmon EventCode=10`: AN0010 (T1003.001, Windows): 0.125 / 7;
/// - `auditd:SYSCALL execve`: AN0007 (T1059.004, Linux in scope) and AN0009 (T1003, a parent,
///   no leaf): 0.125 / 7; ties with Sysmon, which comes first by id (`W` < `a`);
/// - `WinEventLog:PowerShell EventCode=4104`: AN0002 (T1059.001), a second system on a leaf at
///   0.125 after the first step: 1 - 0.875 x 0.875 = 0.234375, gain 0.109375 / 7;
/// - `auditd:EXECVE execve` completes AN0006 of T1059, a parent: no action.
#[test]
#[allow(
    clippy::too_many_lines,
    clippy::type_complexity,
    reason = "one hand-worked scenario, compared as tuples of the figures computed"
)]
fn log_source_actions_on_the_mini_bundle() {
    let attack = crate::builder::mini();
    // Windows and Linux; an EDR with typed visibility `minimal` on T1059.001; Sysmon process
    // creation (`EventCode=1`) collected on Windows at quality 0.8.
    let mut inv = crate::telemetry::sysmon_inventory();
    inv.plan.mitigation_level = Level::Value(0.0);
    let p = plan(attack, &inv, &PlanOptions::default()).expect("plan");
    assert_eq!(p.baseline.overall, 0.0);
    let steps: Vec<(ActionKind, &str, Option<&str>, f64, f64, usize)> = p
        .actions
        .iter()
        .map(|a| {
            (
                a.kind,
                a.id.as_str(),
                a.channel.as_deref(),
                a.gain,
                a.cumulative_overall,
                a.analytics.len(),
            )
        })
        .collect();
    let r = |x: f64| covmap_assess::score::round6(x / 7.0);
    assert_eq!(
        steps,
        vec![
            (
                ActionKind::LogSource,
                "WinEventLog:Security",
                Some("EventCode=4688"),
                r(0.1875),
                r(0.1875),
                2
            ),
            (
                ActionKind::LogSource,
                "WinEventLog:Sysmon",
                Some("EventCode=10"),
                r(0.125),
                r(0.3125),
                1
            ),
            (
                ActionKind::LogSource,
                "auditd:SYSCALL",
                Some("execve"),
                r(0.125),
                r(0.4375),
                2
            ),
            (
                ActionKind::LogSource,
                "WinEventLog:PowerShell",
                Some("EventCode=4104"),
                r(0.109_375),
                r(0.546_875),
                1
            ),
        ]
    );
    assert_eq!(p.actions[0].analytics, ["AN0001", "AN0004"]);
    assert_eq!(p.actions[0].techniques, ["T1059.001", "T1566.001"]);
    assert_eq!(
        p.actions[0].name,
        "onboard log source WinEventLog:Security (channel EventCode=4688)"
    );
    assert!(p.log_source_assumption.starts_with("what-if: "));
    assert!(p.notes.is_empty());

    // A cost by log-source name: 0 makes PowerShell a free action, ranked first (free actions
    // come before the others), with its gain alone on top of nothing: 0.125 / 7.
    inv.plan
        .costs
        .insert("WinEventLog:PowerShell".to_string(), 0.0);
    let p = plan(attack, &inv, &PlanOptions::default()).expect("plan");
    assert_eq!(p.actions[0].id, "WinEventLog:PowerShell");
    assert_eq!(p.actions[0].cost, Some(0.0));
    assert_eq!(p.actions[0].gain, r(0.125));

    // Without telemetry: no log-source action, and one note says why.
    inv.telemetry.clear();
    let p = plan(attack, &inv, &PlanOptions::default()).expect("plan");
    assert!(p.actions.iter().all(|a| a.kind != ActionKind::LogSource));
    assert_eq!(p.notes.len(), 1);
    assert!(
        p.notes[0].contains("no `telemetry:` section"),
        "{:?}",
        p.notes
    );
}

/// `plan.analytic_level` is a level as `plan.mitigation_level` is (default `minimal`);
/// `plan.costs` takes log-source names of the bundle's analytics (matched as telemetry matches
/// names: any case, spaces folded; stored as the bundle spells them), and names neither a
/// mitigation nor a log source with a did-you-mean among the log-source names.
#[test]
fn plan_analytic_level_and_log_source_costs_are_validated() {
    use crate::builder::mini;
    let attack = mini();
    let parse = |text: &str| {
        parse_inventories(
            &[SourceFile::new("p.yaml", text.as_bytes().to_vec())],
            attack,
            &ValidationContext::default(),
        )
    };
    let bad = "covmap: 1\nplan:\n  analytic_level: 2\n  costs:\n    \"WinEventLog:Sysmn\": 5\n    \"auditd:SYSCALL\": -1\n";
    let parsed = parse(bad);
    let found: Vec<(&str, usize, usize)> = parsed
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.location.line, d.location.column))
        .collect();
    assert_eq!(
        found,
        [
            ("level-out-of-range", 3, 19),
            ("unknown-mitigation", 5, 5),
            ("invalid-value", 6, 23),
        ]
    );
    assert!(
        parsed.diagnostics[1]
            .hints
            .iter()
            .any(|h| h == "did you mean `WinEventLog:Sysmon`?"),
        "{:?}",
        parsed.diagnostics[1].hints
    );

    let parsed = parse("covmap: 1\n");
    assert_eq!(
        parsed.inventory.plan.analytic_level,
        Level::Named(NamedLevel::Minimal)
    );
    let good = "covmap: 1\nplan: {analytic_level: partial, costs: {\"winEventLog:SYSMON\": 20000, m1040: 3, \"auditd:SYSCALL\": 0}}\n";
    let parsed = parse(good);
    assert!(!parsed.has_errors(), "{:#?}", parsed.diagnostics);
    assert_eq!(
        parsed.inventory.plan.analytic_level,
        Level::Named(NamedLevel::Partial)
    );
    let costs: Vec<(&str, f64)> = parsed
        .inventory
        .plan
        .costs
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        costs,
        [
            ("M1040", 3.0),
            ("WinEventLog:Sysmon", 20000.0),
            ("auditd:SYSCALL", 0.0)
        ]
    );
}

/// A bundle without analytics (fixtures/attack/README.md: mini-attack-stix20.json has none):
/// telemetry cannot make anything feasible, so no log-source action, and one note says why.
#[test]
fn bundle_without_analytics_has_no_log_source_action() {
    use crate::builder::{inventory, repo_root};
    use crate::telemetry::{source, telemetry};
    let attack =
        Attack::load(&repo_root().join("fixtures/attack/mini-attack-stix20.json")).expect("load");
    let mut inv = inventory(&["Windows"], Vec::new());
    inv.telemetry = vec![telemetry(
        "sysmon",
        &["Windows"],
        1.0,
        vec![source("WinEventLog:Sysmon", &["EventCode=1"])],
    )];
    let p = plan(&attack, &inv, &PlanOptions::default()).expect("plan");
    assert!(p.actions.iter().all(|a| a.kind != ActionKind::LogSource));
    assert_eq!(p.notes.len(), 1);
    assert!(p.notes[0].contains("has no analytics"), "{:?}", p.notes);
}
