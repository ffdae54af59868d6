//! `covmap telemetry`, `gaps --by log-source` and the telemetry files of `assess -o`, on
//! `fixtures/telemetry/basic.yaml` and real enterprise 18.1.
//!
//! The expected figures come from `crates/covmap-assess/tests/it/telemetry_check.py`, which
//! reads the raw STIX bundle itself (no covmap code) and applies issue 19's rules to the same
//! telemetry (scenario `basic`, which the fixture writes as YAML), with the greedy onboarding
//! recomputed from scratch each round: `python3 crates/covmap-assess/tests/it/telemetry_check.py
//! ../shared/data/attack/enterprise-attack-18.1.json basic 3` printed `analytics 826 feasible
//! 72`, `leaves 428 visibility 0.308653`, `quick_wins 55 ...`, `blind_spots 373`,
//! `log_sources 56`, `rollup_rows 706 unaddressed 8 top [('WinEventLog:Sysmon',
//! 'EventCode=11', 129, False), ...]` and the steps `WinEventLog:Sysmon EventCode=11 gain
//! 0.061022 cumulative 0.369675` (39 analytics gained, first AN0009), `EventCode=7 gain
//! 0.047023 cumulative 0.416698` (37), `EventCode=10 gain 0.031319 cumulative 0.448016` (31).

// The figures are the 6-decimal roundings both sides print: equal to the bit, written as printed.
#![allow(clippy::float_cmp, clippy::unreadable_literal)]

use std::collections::BTreeMap;

use serde_json::Value;

use crate::inv::{arr, e18, num, real_root, s};

const BASIC: &str = "fixtures/telemetry/basic.yaml";

#[test]
fn telemetry_json_has_the_issue_shape_and_the_raw_stix_figures() {
    let Some(bundle) = e18() else { return };
    let doc = real_root(&bundle, &["telemetry", BASIC, "--format", "json"])
        .ok()
        .json();
    let analytics = arr(&doc["analytics"]);
    assert_eq!(analytics.len(), 826);
    for a in analytics {
        for key in ["id", "platforms", "feasible", "fraction"] {
            assert!(!a[key].is_null(), "{key} in {a}");
        }
    }
    let feasible: Vec<&str> = analytics
        .iter()
        .filter(|a| a["feasible"] == true)
        .map(|a| a["id"].as_str().expect("id"))
        .collect();
    assert_eq!(feasible.len(), 72);
    assert_eq!(
        (feasible[0], feasible[71]),
        ("AN0006", "AN1612"),
        "first and last of the script's list"
    );
    assert!(
        analytics
            .iter()
            .filter(|a| a["feasible"] == true)
            .all(|a| num(&a["fraction"]) == 1.0)
    );
    assert_eq!(doc["leaves"], 428);
    assert_eq!(num(&doc["visibility"]), 0.308653);
    assert_eq!(arr(&doc["log_sources"]).len(), 56);
    assert_eq!(arr(&doc["quick_wins"]).len(), 55);
    assert_eq!(arr(&doc["blind_spots"]).len(), 373);
    let steps = arr(&doc["onboarding"]);
    let firsts: Vec<(&str, &str, f64, f64, usize)> = steps
        .iter()
        .take(3)
        .map(|o| {
            for key in ["name", "channel", "analytics_gained", "weighted_gain"] {
                assert!(!o[key].is_null(), "{key} in {o}");
            }
            (
                o["name"].as_str().expect("name"),
                o["channel"].as_str().expect("channel"),
                num(&o["weighted_gain"]),
                num(&o["cumulative_visibility"]),
                arr(&o["analytics_gained"]).len(),
            )
        })
        .collect();
    assert_eq!(
        firsts,
        vec![
            ("WinEventLog:Sysmon", "EventCode=11", 0.061022, 0.369675, 39),
            ("WinEventLog:Sysmon", "EventCode=7", 0.047023, 0.416698, 37),
            ("WinEventLog:Sysmon", "EventCode=10", 0.031319, 0.448016, 31),
        ]
    );
    assert_eq!(steps[0]["analytics_gained"][0], "AN0009");
    // JSON lists every step; --top cuts each list.
    let top = real_root(
        &bundle,
        &["telemetry", BASIC, "--top", "2", "--format", "json"],
    )
    .ok()
    .json();
    for list in ["quick_wins", "blind_spots", "onboarding"] {
        assert_eq!(arr(&top[list]).len(), 2, "{list}");
    }
    assert_eq!(top["onboarding"][1], steps[1]);
}

#[test]
fn telemetry_table_and_csv() {
    let Some(bundle) = e18() else { return };
    let out = real_root(&bundle, &["telemetry", BASIC]).ok();
    for needle in [
        "Telemetry: 3 entries (3 counted) on Linux, Windows; 428 leaf techniques in scope",
        "Visibility: 30.9%",
        "Analytics: 72 of 826 feasible on a platform in scope; 56 log sources collected feed them",
        "Quick wins: 55,",
        "first 20 shown (--top)",
        "Blind spots: 373,",
        "Onboarding: ",
    ] {
        assert!(out.stdout.contains(needle), "{needle}\n{}", out.stdout);
    }
    let onboarding = out.stdout.split("Onboarding: ").nth(1).expect("onboarding");
    let first = onboarding
        .lines()
        .find(|l| l.trim_start().starts_with("1 "))
        .expect("step 1");
    assert!(
        first.contains("WinEventLog:Sysmon")
            && first.contains("EventCode=11")
            && first.contains("+6.10"),
        "{first}"
    );
    let (header, rows) = real_root(&bundle, &["telemetry", BASIC, "--format", "csv"])
        .ok()
        .csv();
    assert_eq!(header[0], "section");
    let mut sections: BTreeMap<&str, usize> = BTreeMap::new();
    for row in &rows {
        *sections.entry(row[0].as_str()).or_default() += 1;
    }
    assert_eq!(sections["log-source"], 56);
    assert_eq!(sections["quick-win"], 55);
    assert_eq!(sections["blind-spot"], 373);
    let first_step = rows
        .iter()
        .find(|r| r[0] == "onboarding")
        .expect("onboarding rows");
    assert_eq!(
        (
            first_step[1].as_str(),
            first_step[3].as_str(),
            first_step[4].as_str()
        ),
        ("1", "WinEventLog:Sysmon", "EventCode=11")
    );
}

#[test]
fn gaps_by_log_source() {
    let Some(bundle) = e18() else { return };
    let rows = real_root(
        &bundle,
        &["gaps", BASIC, "--by", "log-source", "--format", "json"],
    )
    .ok()
    .json();
    let rows = arr(&rows);
    assert_eq!(rows.len(), 706);
    assert_eq!(
        (&rows[0]["id"], &rows[0]["name"], &rows[0]["techniques"]),
        (
            &Value::from("WinEventLog:Sysmon"),
            &Value::from("EventCode=11"),
            &Value::from(129)
        )
    );
    let out = real_root(
        &bundle,
        &["gaps", BASIC, "--by", "log-source", "--top", "3"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("log source"), "{}", out.stdout);
    assert!(out.stderr.contains("8 addressed by none"), "{}", out.stderr);
    let (header, _) = real_root(
        &bundle,
        &["gaps", BASIC, "--by", "log-source", "--format", "csv"],
    )
    .ok()
    .csv();
    assert_eq!(&header[..3], ["rank", "log_source", "channel"]);
}

#[test]
fn assess_writes_the_telemetry_files_and_sections() {
    let Some(bundle) = e18() else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    real_root(
        &bundle,
        &[
            "assess",
            BASIC,
            "-o",
            s(&dir),
            "--date",
            "2026-01-01",
            "--outputs",
            "csv,html",
        ],
    )
    .ok_noisy();
    let backlog = std::fs::read_to_string(dir.join("backlog.csv")).expect("backlog.csv");
    let mut lines = backlog.lines();
    assert_eq!(
        lines.next(),
        Some("rank,id,name,tactics,weight,visibility,platforms,analytics,detection_strategies")
    );
    assert_eq!(lines.count(), 55);
    let telemetry = std::fs::read_to_string(dir.join("telemetry.csv")).expect("telemetry.csv");
    assert!(telemetry.starts_with("section,rank,id,name,channel,"));
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    assert!(html.contains("<section id=\"telemetry\">"));
    assert!(html.contains("id=\"quick-wins\""));
    assert!(html.contains("id=\"onboarding\""));
    assert!(!html.contains("No telemetry described"));
    // The manifest lists them, so a later run without telemetry removes them.
    let manifest = std::fs::read_to_string(dir.join(".covmap-manifest.json")).expect("manifest");
    assert!(manifest.contains("\"telemetry.csv\"") && manifest.contains("\"backlog.csv\""));
    // The same inventory without its telemetry section.
    let basic = std::fs::read_to_string(crate::common::repo_root().join(BASIC)).expect("basic");
    let without = tmp.path().join("without-telemetry.yaml");
    let cut = basic.find("\ntelemetry:").expect("a telemetry section");
    std::fs::write(&without, &basic[..=cut]).expect("write");
    real_root(
        &bundle,
        &[
            "assess",
            s(&without),
            "-o",
            s(&dir),
            "--date",
            "2026-01-01",
            "--outputs",
            "csv,html",
        ],
    )
    .ok_noisy();
    assert!(!dir.join("telemetry.csv").exists() && !dir.join("backlog.csv").exists());
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    assert!(html.contains("No telemetry described"));
}
