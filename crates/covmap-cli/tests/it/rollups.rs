//! Issue 17 §3 and §6: `gaps --by`, `gaps-by-mitigation.csv`, `attack compare`,
//! `attack match` and `export navigator --threats`, on example 01 with real enterprise 18.1.
//!
//! Figures that do not depend on covmap's scoring were computed independently from the raw STIX
//! with the scripts in crates/covmap-assess/tests/it/ (`rollup_check.py`, `adversary_check.py`,
//! `threat_layer_check.py`); the mitigation counts below with this one-liner over covmap's own
//! gap list (which leaves are gaps is covmap's; which mitigation addresses them is the STIX's):
//! `covmap gaps EX01 --format json > g.json` then python3 reading g.json's `id`s and the
//! bundle's active `mitigates` relationships between active objects: 43 mitigations address a
//! gap, 95 gaps none; M1047 addresses 77, M1018 86, M1026 73.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::common::Env;
use crate::inv::{EX01, arr, e18, num, real_root, root_mini, s};

#[test]
fn gaps_by_mitigation_sums_the_gap_priorities() {
    let Some(bundle) = e18() else {
        return;
    };
    let gaps = real_root(&bundle, &["gaps", EX01, "--format", "json"])
        .ok()
        .json();
    let out = real_root(
        &bundle,
        &["gaps", EX01, "--by", "mitigation", "--format", "json"],
    )
    .ok();
    let rows = out.json();
    let rows = arr(&rows);
    assert_eq!(rows.len(), 43);
    // Recomputed from the gap list: every gap listing the mitigation, its priority once.
    let mut sums: BTreeMap<&str, (usize, f64)> = BTreeMap::new();
    for g in arr(&gaps) {
        for m in arr(&g["mitigations"]) {
            let e = sums.entry(m["id"].as_str().expect("id")).or_default();
            e.0 += 1;
            e.1 += num(&g["gap_priority"]);
        }
    }
    assert_eq!(sums.len(), rows.len());
    for row in rows {
        let id = row["id"].as_str().expect("id");
        let (count, sum) = sums[id];
        assert_eq!(row["techniques"], count, "{id}");
        assert!((num(&row["priority"]) - sum).abs() < 1e-6, "{id}");
        assert!(!row["name"].as_str().expect("name").is_empty());
        assert!(arr(&row["top"]).len() == count.min(5));
    }
    for w in rows.windows(2) {
        assert!(num(&w[0]["priority"]) >= num(&w[1]["priority"]));
    }
    let count = |id: &str| sums[id].0;
    assert_eq!(
        (count("M1047"), count("M1018"), count("M1026")),
        (77, 86, 73)
    );
    let unaddressed = arr(&gaps)
        .iter()
        .filter(|g| arr(&g["mitigations"]).is_empty())
        .count();
    assert_eq!(unaddressed, 95);

    // Table: the note says what is not addressed; --top limits rows.
    let table = real_root(&bundle, &["gaps", EX01, "--by", "mitigation", "--top", "3"]).ok_noisy();
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", table.stdout);
    assert!(lines[0].split_whitespace().eq([
        "rank",
        "mitigation",
        "name",
        "techniques",
        "priority",
        "top",
        "gaps"
    ]));
    assert!(lines[2].contains(rows[0]["id"].as_str().expect("id")));
    assert!(
        table
            .stderr
            .contains("43 rows by mitigation, 3 shown; 95 addressed by none"),
        "{}",
        table.stderr
    );

    // CSV: full precision, IDs of the top gaps.
    let (header, csv) = real_root(
        &bundle,
        &["gaps", EX01, "--by", "mitigation", "--format", "csv"],
    )
    .ok()
    .csv();
    assert_eq!(
        header,
        ["rank", "id", "name", "techniques", "priority", "top"]
    );
    assert_eq!(csv.len(), 43);
    assert_eq!(csv[0][4], format!("{:.6}", num(&rows[0]["priority"])));
}

#[test]
fn gaps_by_tactic_and_data_component() {
    let Some(bundle) = e18() else {
        return;
    };
    let gaps = real_root(&bundle, &["gaps", EX01, "--format", "json"])
        .ok()
        .json();
    let tactics = real_root(
        &bundle,
        &["gaps", EX01, "--by", "tactic", "--format", "json"],
    )
    .ok()
    .json();
    // Each gap counts once in each of its tactics.
    let per_gap: usize = arr(&gaps).iter().map(|g| arr(&g["tactics"]).len()).sum();
    let rolled: u64 = arr(&tactics)
        .iter()
        .map(|r| r["techniques"].as_u64().expect("count"))
        .sum();
    assert_eq!(rolled, per_gap as u64);
    assert!(
        arr(&tactics)
            .iter()
            .all(|r| r["id"].as_str().expect("id").starts_with("TA"))
    );
    let dc = real_root(
        &bundle,
        &["gaps", EX01, "--by", "data-component", "--format", "json"],
    )
    .ok()
    .json();
    assert!(
        arr(&dc)
            .iter()
            .all(|r| r["id"].as_str().expect("id").starts_with("DC"))
    );
    // --tactic filters the gaps first.
    let one = real_root(
        &bundle,
        &[
            "gaps", EX01, "--by", "tactic", "--tactic", "impact", "--format", "json",
        ],
    )
    .ok()
    .json();
    let impact = arr(&tactics)
        .iter()
        .find(|r| r["name"] == "Impact")
        .expect("impact row");
    let mine = arr(&one)
        .iter()
        .find(|r| r["name"] == "Impact")
        .expect("impact row");
    assert_eq!(mine, impact);
}

#[test]
fn report_set_has_gaps_by_mitigation() {
    let env = Env::new();
    let dir = env.cache().join("out");
    let file = "fixtures/inventory/good/full.yaml";
    root_mini(&env, &["assess", file, "-o", s(&dir), "--outputs", "csv"]).ok_noisy();
    let text = std::fs::read_to_string(dir.join("gaps-by-mitigation.csv")).expect("written");
    assert!(
        text.starts_with("rank,id,name,techniques,priority,top,top_names\r\n"),
        "{text}"
    );
    let json = root_mini(
        &env,
        &["gaps", file, "--by", "mitigation", "--format", "json"],
    )
    .ok()
    .json();
    assert_eq!(text.lines().count(), arr(&json).len() + 1);
    let manifest = std::fs::read_to_string(dir.join(".covmap-manifest.json")).expect("manifest");
    assert!(manifest.contains("gaps-by-mitigation.csv"));
}

fn compare_doc(bundle: &std::path::Path, groups: &[&str]) -> Value {
    let mut args = vec!["attack", "compare"];
    args.extend_from_slice(groups);
    args.extend_from_slice(&["--format", "json"]);
    real_root(bundle, &args).ok().json()
}

#[test]
fn attack_compare_on_real_data() {
    let Some(bundle) = e18() else {
        return;
    };
    // adversary_check.py ... compare G0016 G0046: 249 and 181 techniques, 143 shared, unique
    // 106 and 38, Jaccard 0.498258.
    let doc = compare_doc(&bundle, &["APT29", "G0046"]);
    assert_eq!(doc["groups"][0]["id"], "G0016");
    assert_eq!(doc["groups"][0]["techniques"], 249);
    assert_eq!(doc["groups"][1]["name"], "FIN7");
    assert_eq!(doc["groups"][1]["techniques"], 181);
    assert_eq!(arr(&doc["shared"]).len(), 143);
    assert_eq!(arr(&doc["unique"]["G0016"]).len(), 106);
    assert_eq!(arr(&doc["unique"]["G0046"]).len(), 38);
    assert_eq!(doc["jaccard"][0]["a"], "G0016");
    assert_eq!(doc["jaccard"][0]["b"], "G0046");
    assert_eq!(doc["jaccard"][0]["value"], 0.498_258);
    // The counts are those of `attack group`.
    let group = real_root(&bundle, &["attack", "group", "APT29", "--format", "json"])
        .ok()
        .json();
    assert_eq!(group["summary"]["techniques"], 249);

    let table = real_root(&bundle, &["attack", "compare", "APT29", "FIN7"])
        .ok()
        .stdout;
    assert!(table.contains("shared by all (143)"), "{table}");
    assert!(table.contains("unique to G0046 (38)"), "{table}");
    let (header, rows) = real_root(
        &bundle,
        &["attack", "compare", "APT29", "FIN7", "--format", "csv"],
    )
    .ok()
    .csv();
    assert_eq!(header, ["id", "name", "groups", "G0016", "G0046"]);
    assert_eq!(rows.len(), 249 + 181 - 143);
    assert_eq!(rows.iter().filter(|r| r[2] == "2").count(), 143);

    // The same group twice, or something else than a group, is refused.
    real_root(&bundle, &["attack", "compare", "APT29", "Cozy Bear"])
        .fails()
        .stderr_has(&["names G0016 APT29 again"]);
    real_root(&bundle, &["attack", "compare", "APT29", "T1059"])
        .fails()
        .stderr_has(&["not a group"]);
}

#[test]
fn attack_match_on_real_data() {
    let Some(bundle) = e18() else {
        return;
    };
    // adversary_check.py ... match T1566.001 T1059.001 T1003.001 T1053.005: 146 groups use at
    // least one; first G1039 (4 of 4, 41 techniques, Jaccard 0.097561), then G1050, G1036.
    let doc = real_root(
        &bundle,
        &[
            "attack",
            "match",
            "T1566.001",
            "T1059.001",
            "T1003.001",
            "Scheduled Task",
            "--top",
            "3",
            "--format",
            "json",
        ],
    )
    .ok()
    .json();
    assert_eq!(
        doc["observed"],
        serde_json::json!(["T1003.001", "T1053.005", "T1059.001", "T1566.001"])
    );
    let ids: Vec<&str> = arr(&doc["groups"])
        .iter()
        .map(|g| g["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["G1039", "G1050", "G1036"]);
    assert_eq!(doc["groups"][0]["matched"], 4);
    assert_eq!(doc["groups"][0]["techniques"], 41);
    assert_eq!(doc["groups"][0]["jaccard"], 0.097_561);
    let all = real_root(
        &bundle,
        &[
            "attack",
            "match",
            "T1566.001",
            "T1059.001",
            "T1003.001",
            "T1053.005",
            "--top",
            "1000",
            "--format",
            "csv",
        ],
    )
    .ok()
    .csv();
    assert_eq!(all.1.len(), 146);
    real_root(&bundle, &["attack", "match", "APT29"])
        .fails()
        .stderr_has(&["not a technique"]);
}

#[test]
fn export_navigator_threats_scores_the_weights() {
    let Some(bundle) = e18() else {
        return;
    };
    let layer = real_root(&bundle, &["export", "navigator", EX01, "--threats"])
        .ok()
        .json();
    let assessment = real_root(&bundle, &["assess", EX01, "--format", "json"])
        .ok()
        .json();
    let weight: BTreeMap<&str, f64> = arr(&assessment["techniques"])
        .iter()
        .filter(|t| t["leaf"] == true && t["in_scope"] == true)
        .map(|t| (t["id"].as_str().expect("id"), num(&t["weight"])))
        .collect();
    let scored: Vec<&Value> = arr(&layer["techniques"])
        .iter()
        .filter(|t| t.get("score").is_some())
        .collect();
    // threat_layer_check.py: 336 leaves in scope used by the three groups, 424 entries.
    assert_eq!(scored.len(), 424);
    let leaves: std::collections::BTreeSet<&str> = scored
        .iter()
        .map(|t| t["techniqueID"].as_str().expect("id"))
        .collect();
    assert_eq!(leaves.len(), 336);
    for t in &scored {
        let id = t["techniqueID"].as_str().expect("id");
        assert!((num(&t["score"]) - weight[id]).abs() < 1e-9, "{id}");
    }
    assert_eq!(layer["gradient"]["minValue"], 0);
    let max = scored.iter().map(|t| num(&t["score"])).fold(0.0, f64::max);
    assert!((num(&layer["gradient"]["maxValue"]) - max.ceil()).abs() < 1e-9);
    assert!(
        layer["name"]
            .as_str()
            .expect("name")
            .contains("threat weights")
    );

    // No threats selected: refused, with what to do.
    let env = Env::new();
    root_mini(
        &env,
        &[
            "export",
            "navigator",
            "fixtures/inventory/good/minimal.yaml",
            "--threats",
        ],
    )
    .fails()
    .stderr_has(&["selects no threats", "scope.threats"]);
}
