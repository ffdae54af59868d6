//! `covmap plan` on example 01 and real enterprise 18.1: the JSON shape of the
//! issue, the cumulative figures against `covmap assess` of the inventory edited by hand, the
//! budget, test actions from the real Atomic Red Team folder, plan.csv in `assess -o`.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::Value;

use crate::inv::{CAND_EDR, CAND_NDR, EX01, arr, e18, num, real_root, repo_text, s, write};

/// The in-scope leaves of example 01 that a mitigation addresses, read from the raw STIX
/// bundle without covmap: active `mitigates` relationships from the mitigation to active
/// attack-patterns without active sub-techniques, with a platform of example 01's scope, not
/// T1200 or T1669 (example 01 excludes them) or their sub-techniques.
fn mitigated_leaves(bundle: &Value, mitigation: &str) -> Vec<String> {
    let scope = [
        "Windows",
        "macOS",
        "Linux",
        "IaaS",
        "Office Suite",
        "Identity Provider",
        "SaaS",
    ];
    let objects = arr(&bundle["objects"]);
    let active = |o: &Value| o["revoked"] != true && o["x_mitre_deprecated"] != true;
    let attack_id = |o: &Value| -> Option<String> {
        arr(&o["external_references"])
            .iter()
            .find(|r| r["source_name"] == "mitre-attack")
            .and_then(|r| r["external_id"].as_str().map(String::from))
    };
    let mitigation_stix = objects
        .iter()
        .find(|o| {
            o["type"] == "course-of-action"
                && active(o)
                && attack_id(o).as_deref() == Some(mitigation)
        })
        .and_then(|o| o["id"].as_str())
        .expect("mitigation in the bundle");
    let patterns: Vec<(&str, String, &Value)> = objects
        .iter()
        .filter(|o| o["type"] == "attack-pattern" && active(o))
        .filter_map(|o| Some((o["id"].as_str()?, attack_id(o)?, o)))
        .collect();
    let ids: BTreeSet<&str> = patterns.iter().map(|(_, id, _)| id.as_str()).collect();
    let mut out: Vec<String> = objects
        .iter()
        .filter(|r| {
            r["type"] == "relationship"
                && r["relationship_type"] == "mitigates"
                && active(r)
                && r["source_ref"] == mitigation_stix
        })
        .filter_map(|r| {
            let (_, id, o) = patterns
                .iter()
                .find(|(stix, _, _)| r["target_ref"] == *stix)?;
            let parent_of_subs = ids.iter().any(|x| x.starts_with(&format!("{id}.")));
            let excluded = ["T1200", "T1669"]
                .iter()
                .any(|x| id == x || id.starts_with(&format!("{x}.")));
            let platforms = arr(&o["x_mitre_platforms"]);
            let in_scope = platforms
                .iter()
                .any(|p| scope.contains(&p.as_str().unwrap_or_default()));
            (!parent_of_subs && !excluded && in_scope).then(|| id.clone())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn json_shape_and_cumulative_figures_equal_an_assessment_of_the_edited_inventory() {
    let Some(bundle) = e18() else {
        return;
    };
    let plan = real_root(&bundle, &["plan", EX01, "--top", "3", "--format", "json"])
        .ok_noisy()
        .json();
    let keys: Vec<&str> = plan
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["actions", "baseline", "budget", "spent"]);
    assert_eq!(plan["budget"], Value::Null);
    let actions = arr(&plan["actions"]);
    assert_eq!(actions.len(), 3);
    for a in actions {
        let keys: Vec<&str> = a
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "cost",
                "cumulative_overall",
                "cumulative_weighted",
                "gain",
                "id",
                "kind",
                "name",
                "rank",
                "techniques",
                "weighted_gain"
            ]
        );
        // Example 01 has no candidate and no `plan.costs`: mitigations without a cost.
        assert_eq!(a["kind"], "mitigation");
        assert_eq!(a["cost"], Value::Null);
    }
    let baseline = real_root(&bundle, &["assess", EX01, "--format", "json"])
        .ok_noisy()
        .json();
    assert_eq!(plan["baseline"]["overall"], baseline["overall"]);
    assert_eq!(
        plan["baseline"]["overall_weighted"],
        baseline["overall_weighted"]
    );

    // The inventory edited by hand: one capability per mitigation, its techniques read from
    // the raw bundle.
    let raw: Value =
        serde_json::from_slice(&std::fs::read(&bundle).expect("bundle")).expect("JSON bundle");
    let tmp = tempfile::tempdir().expect("temp dir");
    // The capabilities go at the end of the `capabilities:` list: before `telemetry:` when that
    // section follows it (example 01 puts it first).
    let example = repo_text(EX01);
    let capabilities = example
        .find("\ncapabilities:")
        .expect("a capabilities section");
    let (head, tail) = example
        .find("\ntelemetry:")
        .filter(|&i| i > capabilities)
        .map_or((example.as_str(), ""), |i| example.split_at(i + 1));
    let mut text = head.to_string();
    for (k, a) in actions.iter().enumerate() {
        let id = a["id"].as_str().expect("id");
        let leaves = mitigated_leaves(&raw, id);
        let _ = write!(
            text,
            "  - id: edited-{id}\n    name: {id}\n    coverage:\n      - techniques: [{}]\n        function: protect\n        level: partial\n        confidence: claimed\n",
            leaves.join(", ")
        );
        let edited = write(
            tmp.path(),
            &format!("edited-{k}.yaml"),
            &format!("{text}{tail}"),
        );
        let after = real_root(&bundle, &["assess", s(&edited), "--format", "json"])
            .ok_noisy()
            .json();
        assert_eq!(a["cumulative_overall"], after["overall"], "step {}", k + 1);
        assert_eq!(
            a["cumulative_weighted"],
            after["overall_weighted"],
            "step {}",
            k + 1
        );
        assert!(num(&a["gain"]) > 0.0);
    }
}

#[test]
fn budget_candidates_tests_and_csv() {
    let Some(bundle) = e18() else {
        return;
    };
    let atomics = crate::common::repo_root().join("../shared/data/corpora/atomic/atomics");
    if !atomics.is_dir() {
        return;
    }
    let args = |budget: &str, format: &str| {
        real_root(
            &bundle,
            &[
                "plan",
                EX01,
                CAND_EDR,
                CAND_NDR,
                "--atomics",
                s(&atomics),
                "--budget",
                budget,
                "--format",
                format,
            ],
        )
        .ok_noisy()
    };
    let plan = args("100000", "json").json();
    let actions = arr(&plan["actions"]);
    let kinds: BTreeSet<&str> = actions.iter().filter_map(|a| a["kind"].as_str()).collect();
    // Free tests first, then the NDR candidate (58,000 EUR); the XDR (310,000) is over budget.
    assert_eq!(kinds, BTreeSet::from(["candidate", "test"]));
    let last = actions.last().expect("an action");
    assert_eq!(last["id"], "ndr-candidate");
    assert_eq!(plan["spent"], serde_json::json!(58000.0));
    assert!(
        actions[..actions.len() - 1]
            .iter()
            .all(|a| a["kind"] == "test" && num(&a["cost"]) == 0.0)
    );
    let (header, rows) = args("100000", "csv").csv();
    assert_eq!(
        header,
        [
            "rank",
            "kind",
            "id",
            "name",
            "cost",
            "gain",
            "weighted_gain",
            "cumulative_overall",
            "cumulative_weighted",
            "techniques",
            "assumption"
        ]
    );
    assert_eq!(rows.len(), actions.len());
    let table = args("100000", "table");
    table.stdout_has(&[
        "Baseline: overall",
        "ndr-candidate",
        "Spent: 58,000 of a budget of 100,000",
    ]);
    real_root(&bundle, &["plan", EX01, "--budget=-5"])
        .fails()
        .stderr_has(&["--budget -5 is not an amount"]);
}

#[test]
fn assess_output_writes_plan_csv() {
    let Some(bundle) = e18() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("out");
    real_root(&bundle, &["assess", EX01, "-o", s(&dir)]).ok_noisy();
    let csv = std::fs::read_to_string(dir.join("plan.csv")).expect("plan.csv");
    let plan = real_root(&bundle, &["plan", EX01, "--format", "csv"]).ok_noisy();
    // Same rows as `covmap plan --format csv`, CRLF-terminated.
    let (_, rows) = plan.csv();
    assert_eq!(csv.lines().count(), rows.len() + 1);
    assert!(csv.starts_with("rank,kind,id,name,cost,gain,"));
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    assert!(html.contains("What to do next"));
}

/// Log-source actions on fixtures/telemetry/basic.yaml and real 18.1. The analytics counts
/// come from `python3 crates/covmap-assess/tests/it/plan_log_source_check.py
/// ../shared/data/attack/enterprise-attack-18.1.json` (the raw STIX bundle, no covmap code),
/// which printed `WinEventLog:Sysmon EventCode=7 25 AN0048 AN1633` and `WinEventLog:Sysmon
/// EventCode=11 39 AN0009 AN1548`. EventCode=11 is also the first step of `covmap telemetry`'s
/// onboarding (alone on top of what is collected, as a plan action is judged): its analytics
/// gained are the action's. The rank (22, after mitigations, whose protect at `partial` counts
/// more than one detect at `minimal`) is covmap's greedy order.
#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one scenario: JSON, table, CSV, costs, no telemetry"
)]
fn log_source_actions_on_basic_telemetry() {
    const BASIC: &str = "fixtures/telemetry/basic.yaml";
    let Some(bundle) = e18() else {
        return;
    };
    let plan = real_root(&bundle, &["plan", BASIC, "--format", "json"])
        .ok_noisy()
        .stderr_has(&["covmap: log-source actions are assumptions (what-if: "])
        .json();
    let actions = arr(&plan["actions"]);
    let sources: Vec<&Value> = actions
        .iter()
        .filter(|a| a["kind"] == "log-source")
        .collect();
    let first = sources.first().expect("a log-source action");
    assert_eq!(first["rank"], 22);
    assert_eq!(first["id"], "WinEventLog:Sysmon");
    assert_eq!(first["channel"], "EventCode=7");
    assert_eq!(
        first["name"],
        "onboard log source WinEventLog:Sysmon (channel EventCode=7)"
    );
    let analytics = arr(&first["analytics"]);
    assert_eq!(analytics.len(), 25);
    assert_eq!(
        (analytics[0].as_str(), analytics[24].as_str()),
        (Some("AN0048"), Some("AN1633"))
    );
    assert!(plan.get("notes").is_none());

    let eleven = sources
        .iter()
        .find(|a| a["channel"] == "EventCode=11")
        .expect("EventCode=11");
    assert_eq!(arr(&eleven["analytics"]).len(), 39);
    let telemetry = real_root(&bundle, &["telemetry", BASIC, "--format", "json"])
        .ok()
        .json();
    let step = &arr(&telemetry["onboarding"])[0];
    assert_eq!(
        (&step["name"], &step["channel"]),
        (&first["id"], &eleven["channel"])
    );
    assert_eq!(step["analytics_gained"], eleven["analytics"]);

    // The table and the CSV mark them as what-ifs, as mitigations.
    let table = real_root(&bundle, &["plan", BASIC, "--top", "30"]).ok_noisy();
    table.stdout_has(&[
        "onboard log source WinEventLog:Sysmon (channel EventCode=7) (what-if)",
        "Log sources are what-if: the log source collected and each analytic it makes feasible built, detect at minimal",
    ]);
    let (header, rows) = real_root(&bundle, &["plan", BASIC, "--format", "csv"])
        .ok_noisy()
        .csv();
    let kind = header.iter().position(|h| h == "kind").expect("kind");
    let assumption = header
        .iter()
        .position(|h| h == "assumption")
        .expect("assumption");
    assert!(
        rows.iter()
            .filter(|r| r[kind] == "log-source")
            .all(|r| r[assumption].starts_with("what-if: the log source collected"))
    );

    // Costs by log-source name: free Sysmon comes first.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = repo_text(BASIC);
    text.push_str("plan:\n  costs: {\"WinEventLog:Sysmon\": 0}\n");
    let costed = write(dir.path(), "costed.yaml", &text);
    let plan = real_root(&bundle, &["plan", s(&costed), "--format", "json"])
        .ok_noisy()
        .json();
    let first = &arr(&plan["actions"])[0];
    assert_eq!(
        (&first["kind"], &first["id"]),
        (&"log-source".into(), &"WinEventLog:Sysmon".into())
    );
    assert_eq!(first["cost"], serde_json::json!(0.0));

    // Without telemetry: no log-source action, and the plan says why, once.
    let plain = repo_text(BASIC);
    let plain = plain.split("\ntelemetry:").next().expect("text");
    let plain = write(dir.path(), "plain.yaml", plain);
    let out = real_root(&bundle, &["plan", s(&plain), "--format", "json"]).ok_noisy();
    let said = out.stderr.matches("no log-source action").count();
    let plan = out.json();
    assert!(
        arr(&plan["actions"])
            .iter()
            .all(|a| a["kind"] != "log-source")
    );
    let notes = arr(&plan["notes"]);
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0]
            .as_str()
            .is_some_and(|n| n.contains("no `telemetry:` section"))
    );
    assert_eq!(said, 1);
}
