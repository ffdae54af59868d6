//! `covmap check`, the CI gate: thresholds on example 01 (real enterprise 18.1), a baseline
//! from an earlier `assess -o` and a weaker inventory, and what it refuses (exit 2).

use serde_json::json;

use crate::common::Env;
use crate::inv::{EX01, arr, e18, num, percent, real_root, repo_text, root_mini, s, write};

#[test]
fn min_overall() {
    let Some(bundle) = e18() else {
        return;
    };
    let doc = real_root(&bundle, &["assess", EX01, "--format", "json"])
        .ok()
        .json();
    let overall = num(&doc["overall"]);
    // Example 01's README: 0.15 passes, 0.5 fails.
    let out = real_root(&bundle, &["check", EX01, "--min-overall", "0.15"]).ok();
    assert_eq!(
        out.stdout,
        format!(
            "check passed: overall {} (minimum 15.0%)\n",
            percent(overall)
        )
    );
    let out = real_root(&bundle, &["check", EX01, "--min-overall", "0.5"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stderr, "");
    assert_eq!(
        out.stdout,
        format!(
            "check FAILED:\n  - overall coverage {} is below the minimum 50.0%\n",
            percent(overall)
        )
    );
    let out = real_root(
        &bundle,
        &["check", EX01, "--min-overall", "0.5", "--format", "json"],
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.json(),
        json!({"passed": false,
               "failures": [{"kind": "overall-below", "overall": overall, "min": 0.5}],
               "dropped": [], "left_scope": []})
    );
    // The threshold itself passes.
    real_root(
        &bundle,
        &["check", EX01, "--min-overall", &overall.to_string()],
    )
    .ok();
}

#[test]
fn min_tactic_lists_the_failing_tactics() {
    let Some(bundle) = e18() else {
        return;
    };
    let doc = real_root(&bundle, &["assess", EX01, "--format", "json"])
        .ok()
        .json();
    // Tactics with nothing in scope (reconnaissance, resource-development) never fail.
    let with_leaves: Vec<_> = arr(&doc["tactics"])
        .iter()
        .filter(|t| t["leaves"] != 0)
        .collect();
    let below: Vec<String> = with_leaves
        .iter()
        .filter(|t| num(&t["score"]) < 0.2)
        .map(|t| {
            format!(
                "  - tactic {} {}: coverage {} is below the minimum 20.0%",
                t["id"].as_str().expect("id"),
                t["name"].as_str().expect("name"),
                percent(num(&t["score"]))
            )
        })
        .collect();
    // Persistence, defense evasion, discovery, collection and impact (README of example 01).
    assert_eq!(below.len(), 5, "{below:?}");
    let out = real_root(&bundle, &["check", EX01, "--min-tactic", "0.2"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stdout, format!("check FAILED:\n{}\n", below.join("\n")));
    let lowest = with_leaves
        .iter()
        .map(|t| num(&t["score"]))
        .fold(1.0, f64::min);
    assert!(lowest > 0.0);
    let lowest_tactic = with_leaves
        .iter()
        .find(|t| num(&t["score"]).to_bits() == lowest.to_bits())
        .expect("the lowest tactic");
    // The pass message names the lowest tactic and the minimum it passed.
    real_root(
        &bundle,
        &["check", EX01, "--min-tactic", &lowest.to_string()],
    )
    .ok()
    .stdout_has(&[&format!(
        "\n  lowest tactic in scope: {} {} {} (minimum {})\n",
        lowest_tactic["id"].as_str().expect("id"),
        lowest_tactic["name"].as_str().expect("name"),
        percent(lowest),
        percent(lowest)
    )]);
    let out = real_root(
        &bundle,
        &["check", EX01, "--min-tactic", "0.2", "--format", "json"],
    );
    assert_eq!(out.code, 1);
    let kinds: Vec<_> = arr(&out.json()["failures"])
        .iter()
        .map(|f| (f["kind"].clone(), f["shortname"].clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            "persistence",
            "defense-evasion",
            "discovery",
            "collection",
            "impact"
        ]
        .map(|t| (json!("tactic-below"), json!(t)))
    );
}

/// Example 01 without its `ndr` capability (the text from `- id: ndr` to the separator before
/// `- id: cspm` removed).
fn without_ndr(text: &str) -> String {
    let start = text.find("  - id: ndr\n").expect("ndr");
    let cspm = text.find("  - id: cspm\n").expect("cspm");
    let end = text[..cspm]
        .rfind("  # ---")
        .expect("the separator before cspm");
    assert!(start < end);
    format!("{}{}", &text[..start], &text[end..])
}

#[test]
fn baseline_from_an_earlier_assessment() {
    let Some(bundle) = e18() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("baseline");
    real_root(&bundle, &["assess", EX01, "-o", s(&dir)]).ok_noisy();
    let baseline = dir.join("assessment.json");
    let baseline = s(&baseline);
    // The same inventory: no drop.
    for extra in [&[][..], &["--max-drop", "0"]] {
        let args = [&["check", EX01, "--baseline", baseline][..], extra].concat();
        real_root(&bundle, &args)
            .ok()
            .stdout_has(&["check passed: overall "]);
    }
    // A capability removed: the overall drops by what `compare --without ndr` says.
    let weaker = write(tmp.path(), "weaker.yaml", &without_ndr(&repo_text(EX01)));
    let weaker = s(&weaker);
    let lost = real_root(
        &bundle,
        &["compare", EX01, "--without", "ndr", "--format", "json"],
    )
    .ok()
    .json();
    let drop = num(&lost["without"]["drop"]);
    let (before, after) = (
        num(&lost["baseline"]["overall"]),
        num(&lost["without"]["after"]["overall"]),
    );
    let out = real_root(
        &bundle,
        &[
            "check",
            weaker,
            "--baseline",
            baseline,
            "--max-drop",
            "0",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.code, 1, "{out:?}");
    let result = out.json();
    let dropped = arr(&result["dropped"]);
    assert_eq!(
        result["failures"],
        json!([{"kind": "overall-dropped", "baseline": before, "overall": after, "drop": drop,
                "max_drop": 0.0, "techniques": dropped.len()}])
    );
    // Every leaf ndr was the only cover of is among the dropped techniques.
    for spof in arr(&lost["without"]["single_points_of_failure"][0]["leaves"]) {
        assert!(
            dropped
                .iter()
                .any(|d| d["id"] == spof["id"] && d["after"] == 0.0),
            "{spof}"
        );
    }
    // The default --max-drop is 0; the table says why, and lists the largest drops.
    for extra in [&[][..], &["--max-drop", "0"]] {
        let args = [&["check", weaker, "--baseline", baseline][..], extra].concat();
        let out = real_root(&bundle, &args);
        assert_eq!(out.code, 1, "{out:?}");
        assert!(out.stdout.starts_with(&format!(
            "check FAILED:\n  - overall coverage dropped by {:.1} points ({} -> {}), more than the 0.0 points allowed; {} techniques and sub-techniques dropped\n    T1046 Network Service Discovery: 90.0% -> 0.0%\n",
            drop * 100.0,
            percent(before),
            percent(after),
            dropped.len()
        )), "{}", out.stdout);
    }
    // A larger allowance passes.
    real_root(
        &bundle,
        &[
            "check",
            weaker,
            "--baseline",
            baseline,
            "--max-drop",
            &(drop + 0.001).to_string(),
        ],
    )
    .ok()
    .stdout_has(&[
        &format!("check passed: overall {}\n", percent(after)),
        &format!(
            "  against the baseline: {} -> {} ({:+.1} points; largest drop allowed {:.1} points)\n",
            percent(before),
            percent(after),
            (after - before) * 100.0,
            (drop + 0.001) * 100.0
        ),
    ]);
}

#[test]
fn unreadable_baselines() {
    let env = Env::new();
    let minimal = "fixtures/inventory/good/minimal.yaml";
    let corrupt = write(
        env.cache(),
        "corrupt.json",
        "{\"format\": 1,\n  \"overall\": oops}\n",
    );
    root_mini(&env, &["check", minimal, "--baseline", s(&corrupt)])
        .fails()
        .stderr_has(&[&format!(
            "error: {}:2:14: not an assessment.json written by covmap assess: expected value\n",
            corrupt.display()
        )]);
    let other = write(env.cache(), "other.json", "[]\n");
    root_mini(&env, &["check", minimal, "--baseline", s(&other)])
        .fails()
        .stderr_has(&[&format!("{}:1:2: not an assessment.json", other.display())]);
    let missing = env.cache().join("missing.json");
    root_mini(&env, &["check", minimal, "--baseline", s(&missing)])
        .fails()
        .stderr_has(&[&format!("cannot read {}", missing.display())]);
}

#[test]
fn refused_options() {
    let env = Env::new();
    let minimal = "fixtures/inventory/good/minimal.yaml";
    let baseline = write(env.cache(), "b.json", "{}");
    for (args, refused) in [
        (&["--min-overall", "1.5"][..], "--min-overall 1.5"),
        (&["--min-overall=-0.1"], "--min-overall -0.1"),
        (&["--min-overall", "NaN"], "--min-overall NaN"),
        (&["--min-tactic", "2"], "--min-tactic 2"),
        (
            &["--baseline", s(&baseline), "--max-drop", "1.01"],
            "--max-drop 1.01",
        ),
    ] {
        root_mini(&env, &[&["check", minimal][..], args].concat())
            .fails()
            .stderr_has(&[&format!(
                "error: {refused} is outside [0, 1]; scores are fractions (0.25 = 25%)"
            )]);
    }
    root_mini(&env, &["check", minimal]).fails().stderr_has(&[
        "error: nothing to check",
        "hint: give --min-overall X, --min-tactic X or --baseline assessment.json",
    ]);
    // --max-drop needs a baseline (clap).
    root_mini(&env, &["check", minimal, "--max-drop", "0.1"])
        .fails()
        .stderr_has(&["--baseline <FILE>"]);
}

/// A gate must not pass, nor merely fail, on an inventory with errors: exit 2.
#[test]
fn inventory_with_errors_is_an_error() {
    let env = Env::new();
    root_mini(
        &env,
        &[
            "check",
            "fixtures/inventory/bad/unknown-technique.yaml",
            "--min-overall",
            "0",
        ],
    )
    .fails()
    .stderr_has(&["error[unknown-technique]", "nothing was assessed"]);
}

/// fixtures/inventory/good/minimal.yaml on the mini bundle: T1059.001 at 0.4, the other six
/// leaves at 0: overall 0.4 / 7 = 0.057143; execution (T1059.001, T1059.004, T1053) 0.4 / 3.
#[test]
fn hand_computed_thresholds() {
    let env = Env::new();
    let minimal = "fixtures/inventory/good/minimal.yaml";
    root_mini(&env, &["check", minimal, "--min-overall", "0.057"])
        .ok()
        .stdout_has(&["check passed: overall 5.71% (minimum 5.70%)\n"]);
    let out = root_mini(&env, &["check", minimal, "--min-overall", "0.058"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout,
        "check FAILED:\n  - overall coverage 5.7% is below the minimum 5.8%\n"
    );
    let out = root_mini(&env, &["check", minimal, "--min-tactic", "0.1"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout,
        "check FAILED:\n  - tactic TA0001 Initial Access: coverage 0.0% is below the minimum 10.0%\n  - tactic TA0003 Persistence: coverage 0.0% is below the minimum 10.0%\n  - tactic TA0006 Credential Access: coverage 0.0% is below the minimum 10.0%\n"
    );
}
