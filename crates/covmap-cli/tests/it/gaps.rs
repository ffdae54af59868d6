//! `covmap gaps`: example 01 on real enterprise 18.1 in every format, `--top`, `--tactic`, the
//! ranking of a hand-computed inventory, and CSV cells that a spreadsheet would run as formulas.

use serde_json::{Value, json};

use crate::common::Env;
use crate::inv::{EX01, arr, e18, num, real_root, s, write};

/// The documented CSV header (assess_cmd.rs; one column more than the table: capabilities, and
/// the detections in full).
const CSV_HEADER: [&str; 14] = [
    "rank",
    "id",
    "name",
    "tactics",
    "score",
    "weight",
    "priority",
    "capabilities",
    "mitigations",
    "threats",
    "notes",
    "detection_strategies",
    "data_components",
    "data_sources",
];

fn gap_ids(list: &Value) -> Vec<&str> {
    arr(list)
        .iter()
        .map(|g| g["id"].as_str().expect("an id"))
        .collect()
}

#[test]
fn example_gaps_in_every_format() {
    let Some(bundle) = e18() else {
        return;
    };
    let assessment = real_root(&bundle, &["assess", EX01, "--format", "json"])
        .ok()
        .json();
    // Gaps are the leaves in scope with a score below 1.
    let expected = arr(&assessment["techniques"])
        .iter()
        .filter(|t| t["leaf"] == true && t["in_scope"] == true && num(&t["score"]) < 1.0)
        .count();
    let list = real_root(&bundle, &["gaps", EX01, "--format", "json"])
        .ok()
        .json();
    let gaps = arr(&list);
    assert_eq!(gaps.len(), expected);
    for (n, g) in gaps.iter().enumerate() {
        assert_eq!(g["rank"], n + 1);
    }
    // Ranked by priority, then by direct threats, prevalence, 1 - score, then by ID.
    for w in gaps.windows(2) {
        let key = |g: &Value| {
            (
                -num(&g["gap_priority"]),
                -num(&g["direct_threats"]),
                -num(&g["prevalence"]),
                num(&g["score"]),
            )
        };
        let (a, b) = (key(&w[0]), key(&w[1]));
        assert!(
            a < b || (a == b && w[0]["id"].as_str() < w[1]["id"].as_str()),
            "{} before {}",
            w[0]["id"],
            w[1]["id"]
        );
    }
    // The first gap is one all three groups use directly and nothing covers, with what would
    // close it.
    let top = &gaps[0];
    assert_eq!((&top["score"], &top["weight"]), (&json!(0.0), &json!(3.0)));
    assert_eq!(
        top["threats"]
            .as_array()
            .expect("threats")
            .iter()
            .map(|t| (&t["id"], &t["direct"]))
            .collect::<Vec<_>>(),
        [
            (&json!("G0016"), &json!(true)),
            (&json!("G0046"), &json!(true)),
            (&json!("G1015"), &json!(true))
        ]
    );
    assert!(!arr(&top["detection_strategies"]).is_empty());
    assert!(!arr(&top["data_components"]).is_empty());
    // The sub-techniques of T1546 are covered at parent level only (edr's T1546 entry).
    let t1546 = gaps
        .iter()
        .find(|g| g["id"] == "T1546.001")
        .expect("T1546.001 is a gap");
    assert_eq!(t1546["parent_level_only"], json!(["edr"]));
    assert_eq!(
        t1546["notes"],
        json!(["covered at parent level only: verify per sub-technique"])
    );

    // CSV: the documented header, the same gaps in the same order.
    let out = real_root(&bundle, &["gaps", EX01, "--format", "csv"]).ok();
    let (header, rows) = out.csv();
    assert_eq!(header, CSV_HEADER);
    assert_eq!(rows.len(), gaps.len());
    for (row, g) in rows.iter().zip(gaps) {
        assert_eq!(row.len(), CSV_HEADER.len());
        assert_eq!(row[0], g["rank"].to_string());
        assert_eq!(row[1], g["id"].as_str().expect("id"));
        assert_eq!(row[4], format!("{:.3}", num(&g["score"])));
        assert_eq!(row[6], format!("{:.3}", num(&g["gap_priority"])));
    }

    // Table: header, rule, one row per gap.
    let table = real_root(&bundle, &["gaps", EX01, "--top", "5"])
        .ok()
        .stdout;
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 7, "{table}");
    assert!(lines[0].split_whitespace().eq([
        "rank",
        "id",
        "name",
        "tactics",
        "score",
        "weight",
        "priority",
        "mitigations",
        "threats",
        "notes"
    ]));
    let shown: Vec<&str> = lines[2..]
        .iter()
        .map(|l| l.split_whitespace().nth(1).expect("an id"))
        .collect();
    assert_eq!(shown, gap_ids(&list)[..5]);
}

/// Issue 17: example 01's top gaps, which all tied at priority 3 in ID order
/// when every route of a threat counted 1.
#[test]
fn example_top_gaps_are_ranked_by_route_aware_weights() {
    let Some(bundle) = e18() else {
        return;
    };
    let list = real_root(&bundle, &["gaps", EX01, "--top", "10", "--format", "json"])
        .ok()
        .json();
    let gaps = arr(&list);
    // The top gaps no longer tie at 3 in ID order. Weights, direct threats and
    // prevalence as `python3 crates/covmap-assess/tests/it/route_weights.py
    // ../shared/data/attack/enterprise-attack-18.1.json 0.5 G0046 G1015 G0016` computes them
    // from the raw STIX (all ten score 0 here, so the priority is the weight); the script's
    // ranking of the leaves in scope with a score below 1 by (weight x (1 - score), direct,
    // prevalence, ID) gives these ten.
    let expected = [
        ("T1069.002", 3.0, 3, 65),
        ("T1553.002", 3.0, 3, 61),
        ("T1083", 2.5, 2, 137),
        ("T1082", 2.5, 2, 136),
        ("T1057", 2.5, 2, 129),
        ("T1016.001", 2.5, 2, 122),
        ("T1005", 2.5, 2, 110),
        ("T1087.001", 2.5, 2, 71),
        ("T1090.004", 2.5, 2, 71),
        ("T1555.005", 2.5, 2, 71),
    ];
    assert!(gaps.len() >= expected.len());
    for (g, (id, weight, direct, prevalence)) in gaps.iter().zip(expected) {
        assert_eq!(g["id"], id);
        assert_eq!(g["weight"], json!(weight), "{id}");
        assert_eq!(g["gap_priority"], json!(weight), "{id}");
        assert_eq!(g["direct_threats"], direct, "{id}");
        assert_eq!(g["prevalence"], prevalence, "{id}");
    }
}

#[test]
fn top_and_tactic() {
    let Some(bundle) = e18() else {
        return;
    };
    let all = real_root(&bundle, &["gaps", EX01, "--format", "json"])
        .ok()
        .json();
    let top = real_root(&bundle, &["gaps", EX01, "--top", "7", "--format", "json"])
        .ok()
        .json();
    assert_eq!(gap_ids(&top), gap_ids(&all)[..7]);
    let none = real_root(&bundle, &["gaps", EX01, "--top", "0", "--format", "json"])
        .ok()
        .json();
    assert_eq!(none, json!([]));

    // By shortname, ID or name: the gaps of that tactic, in the overall order, ranked anew.
    let of_tactic: Vec<&str> = arr(&all)
        .iter()
        .filter(|g| arr(&g["tactics"]).contains(&json!("credential-access")))
        .map(|g| g["id"].as_str().expect("id"))
        .collect();
    assert!(of_tactic.len() > 10);
    for tactic in ["credential-access", "TA0006", "Credential Access"] {
        let list = real_root(
            &bundle,
            &["gaps", EX01, "--tactic", tactic, "--format", "json"],
        )
        .ok()
        .json();
        assert_eq!(gap_ids(&list), of_tactic, "--tactic {tactic}");
        assert_eq!(list[0]["rank"], 1);
        let out = real_root(
            &bundle,
            &["gaps", EX01, "--tactic", tactic, "--format", "csv"],
        )
        .ok();
        let (_, rows) = out.csv();
        let ids: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
        assert_eq!(ids, of_tactic, "--tactic {tactic} CSV");
    }
    real_root(&bundle, &["gaps", EX01, "--tactic", "nope"])
        .fails()
        .stderr_has(&[
            "`nope` is not a tactic of this assessment",
            "reconnaissance",
            "credential-access",
            "impact",
        ]);
}

/// The inventory of `assess::hand_computed_scores_on_the_mini_bundle`: FIN7 weights T1059.001
/// (directly: 1, score 0.4, priority 1 x 0.6) and T1053 (through Cobalt Strike only: 0.5,
/// score 0.51875, priority 0.5 x 0.48125 = 0.240625); every other leaf has weight 0 and
/// priority 0, ordered by prevalence (groups of the bundle using it: APT29 uses T1003.001,
/// T1566.001 and T1078; no group T1059.004 or T1566.002), then 1 - score (T1078 scores 0.4),
/// then ID.
#[test]
fn hand_computed_ranking() {
    let env = Env::new();
    let path = write(
        env.cache(),
        "hand.yaml",
        "covmap: 1\nscope:\n  platforms: [Windows, Linux]\n  threats: {groups: [FIN7]}\ncapabilities:\n  - id: edr\n    platforms: [Windows]\n    coverage:\n      - {techniques: [T1053], function: detect, level: significant, confidence: tested, evidence: exercise}\n      - {techniques: [T1059], function: protect, level: partial, include_subtechniques: true}\n  - id: siem\n    coverage:\n      - {techniques: [T1053], function: detect, level: minimal, confidence: claimed}\n      - {techniques: [T1078], function: detect, level: 0.5}\n",
    );
    let list = env
        .mini(&["gaps", s(&path), "--format", "json"])
        .ok()
        .json();
    let ranked: Vec<Value> = arr(&list)
        .iter()
        .map(|g| json!([g["id"], g["gap_priority"]]))
        .collect();
    assert_eq!(
        ranked,
        [
            json!(["T1059.001", 0.6]),
            json!(["T1053", 0.240_625]),
            json!(["T1003.001", 0.0]),
            json!(["T1566.001", 0.0]),
            json!(["T1078", 0.0]),
            json!(["T1059.004", 0.0]),
            json!(["T1566.002", 0.0]),
        ]
    );
    assert_eq!(
        list[0]["mitigations"],
        json!([{"id": "M1040", "name": "Behavior Prevention on Endpoint"}])
    );
    assert_eq!(
        list[0]["threats"],
        json!([{"id": "G0046", "name": "FIN7", "kind": "group", "direct": true}])
    );
    assert_eq!(list[1]["capabilities"], json!(["edr", "siem"]));
}

/// Capability ids are user text that reaches the `capabilities` column of the gaps CSV. Ones
/// that start like a formula are prefixed with `'`, so a spreadsheet shows them as text.
#[test]
fn csv_cells_cannot_be_formulas() {
    let env = Env::new();
    let path = write(
        env.cache(),
        "formulas.yaml",
        r#"covmap: 1
capabilities:
  - id: '=HYPERLINK("http://x")'
    coverage:
      - {techniques: [T1053], function: detect, level: partial}
  - id: "+cmd"
    coverage:
      - {techniques: [T1078], function: detect, level: partial}
  - id: "-cmd"
    coverage:
      - {techniques: [T1003.001], function: detect, level: partial}
  - id: "@SUM(A1)"
    coverage:
      - {techniques: [T1059.004], function: detect, level: partial}
"#,
    );
    let out = env.mini(&["gaps", s(&path), "--format", "csv"]).ok();
    let (header, rows) = out.csv();
    assert_eq!(header, CSV_HEADER);
    let cell = |id: &str| {
        rows.iter()
            .find(|r| r[1] == id)
            .map_or_else(|| panic!("no gap {id}"), |r| r[7].clone())
    };
    assert_eq!(cell("T1053"), "'=HYPERLINK(\"http://x\")");
    assert_eq!(cell("T1078"), "'+cmd");
    assert_eq!(cell("T1003.001"), "'-cmd");
    assert_eq!(cell("T1059.004"), "'@SUM(A1)");
    for row in &rows {
        for c in row {
            assert!(
                !c.starts_with(['=', '+', '-', '@']),
                "a formula-like cell: {c:?}"
            );
        }
    }
    // JSON keeps the text as written.
    let list = env
        .mini(&["gaps", s(&path), "--format", "json"])
        .ok()
        .json();
    let t1078 = arr(&list)
        .iter()
        .find(|g| g["id"] == "T1078")
        .expect("T1078");
    assert_eq!(t1078["capabilities"], json!(["+cmd"]));
}
