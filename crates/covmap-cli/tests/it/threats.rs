//! `covmap threats`: example 01's threat groups on real enterprise 18.1 in every format,
//! `--group`, and the refusals; a hand-computed case on the mini bundle.

use serde_json::{Value, json};

use crate::common::Env;
use crate::inv::{EX01, arr, close, e18, num, percent, real_root, root_mini};

/// Leaves each group of example 01 uses, and those in scope. Computed independently with Python
/// from the bundle: the group's own `uses`, those of the software it uses, of the campaigns
/// attributed to it and of their software (active relationships between active objects); a
/// parent counts as each of its active sub-techniques; in scope as in `assess::TACTIC_LEAVES`.
const GROUPS: [(&str, &str, u64, u64); 3] = [
    ("G0016", "APT29", 283, 268),
    ("G0046", "FIN7", 231, 216),
    ("G1015", "Scattered Spider", 206, 194),
];

/// How each group reaches those leaves (issue 17): direct, via software, via campaigns, via
/// campaign software, through software only. `python3
/// crates/covmap-assess/tests/it/route_weights.py ../shared/data/attack/enterprise-attack-18.1.json
/// 0.5 G0016 G0046 G1015 --routes` reads the raw STIX relationships and prints
/// `G0016 283 73 243 95 173 142`, `G0046 231 81 192 0 0 150`, `G1015 206 89 143 33 11 108`.
const ROUTES: [[u64; 5]; 3] = [
    [73, 243, 95, 173, 142],
    [81, 192, 0, 0, 150],
    [89, 143, 33, 11, 108],
];

const ROUTE_KEYS: [&str; 5] = [
    "direct",
    "via_software",
    "via_campaign",
    "via_campaign_software",
    "software_only",
];

fn check_threat(t: &Value, (id, name, techniques, in_scope): (&str, &str, u64, u64)) {
    assert_eq!(
        [
            &t["id"],
            &t["name"],
            &t["kind"],
            &t["techniques"],
            &t["in_scope"]
        ],
        [
            &json!(id),
            &json!(name),
            &json!("group"),
            &json!(techniques),
            &json!(in_scope)
        ]
    );
    let covered = num(&t["covered"]);
    assert!(covered > 0.0 && covered <= num(&t["in_scope"]), "{id}");
    assert!(
        close(num(&t["covered_share"]), covered / num(&t["in_scope"])),
        "{id}"
    );
    let score = num(&t["score"]);
    assert!(score > 0.0 && score < 1.0, "{id}");
    // The largest gaps first.
    let gaps: Vec<f64> = arr(&t["uncovered"])
        .iter()
        .map(|g| num(&g["gap"]))
        .collect();
    assert!(gaps.windows(2).all(|w| w[0] >= w[1]), "{id}: {gaps:?}");
}

#[test]
fn example_threats_in_every_format() {
    let Some(bundle) = e18() else {
        return;
    };
    let doc = real_root(&bundle, &["threats", EX01, "--format", "json"])
        .ok()
        .json();
    let list = arr(&doc);
    assert_eq!(list.len(), 3);
    for ((t, group), routes) in list.iter().zip(GROUPS).zip(ROUTES) {
        check_threat(t, group);
        for (key, want) in ROUTE_KEYS.iter().zip(routes) {
            assert_eq!(t["routes"][key], want, "{} {key}", group.0);
        }
        assert_eq!(t["selected"], true);
        // 10 by default.
        assert_eq!(arr(&t["uncovered"]).len(), 10);
    }

    let table = real_root(&bundle, &["threats", EX01]).ok().stdout;
    for t in list {
        let head = format!(
            "{} {} (Group): {} techniques and sub-techniques in scope of {}; mean score {}, {} covered ({})\n",
            t["id"].as_str().expect("id"),
            t["name"].as_str().expect("name"),
            t["in_scope"],
            t["techniques"],
            percent(num(&t["score"])),
            t["covered"],
            percent(num(&t["covered_share"]))
        );
        assert!(table.contains(&head), "no {head:?} in\n{table}");
        let r = &t["routes"];
        let how = format!(
            "  how: {} direct, {} via software, {} via campaigns, {} via campaign software; {} through software only (each weighs 0.5 in threat weights, a direct use 1)\n",
            r["direct"],
            r["via_software"],
            r["via_campaign"],
            r["via_campaign_software"],
            r["software_only"]
        );
        assert!(
            table.contains(&format!("{head}{how}")),
            "no {how:?} in\n{table}"
        );
        let first_gap = t["uncovered"][0]["id"].as_str().expect("a gap");
        assert!(table.contains(&format!("\n {first_gap} ")), "{first_gap}");
    }

    let out = real_root(&bundle, &["threats", EX01, "--top", "3", "--format", "csv"]).ok();
    let (header, rows) = out.csv();
    assert_eq!(
        header,
        [
            "id",
            "name",
            "kind",
            "techniques",
            "direct",
            "via_software",
            "via_campaign",
            "via_campaign_software",
            "software_only",
            "in_scope",
            "score",
            "covered",
            "covered_share",
            "largest_gaps"
        ]
    );
    assert_eq!(rows.len(), 3);
    for (row, t) in rows.iter().zip(list) {
        assert_eq!(row[0], t["id"].as_str().expect("id"));
        for (i, key) in ROUTE_KEYS.iter().enumerate() {
            assert_eq!(row[4 + i], t["routes"][key].to_string(), "{key}");
        }
        assert_eq!(row[10], format!("{:.6}", num(&t["score"])));
        let top3: Vec<&str> = arr(&t["uncovered"])[..3]
            .iter()
            .map(|g| g["id"].as_str().expect("id"))
            .collect();
        assert_eq!(row[13], top3.join(", "));
    }
}

#[test]
fn one_group() {
    let Some(bundle) = e18() else {
        return;
    };
    let selected = real_root(&bundle, &["threats", EX01, "--format", "json"])
        .ok()
        .json();
    for query in ["APT29", "Cozy Bear", "G0016"] {
        let doc = real_root(
            &bundle,
            &["threats", EX01, "--group", query, "--format", "json"],
        )
        .ok()
        .json();
        assert_eq!(arr(&doc).len(), 1, "{query}");
        // The same figures as when it is selected in the inventory.
        assert_eq!(doc[0], selected[0], "{query}");
    }
    let table = real_root(
        &bundle,
        &["threats", EX01, "--group", "APT29", "--top", "2"],
    )
    .ok()
    .stdout;
    // The heading, how it uses them, the table header and its rule, 2 gaps, a blank line.
    assert_eq!(table.lines().count(), 7, "{table}");
    assert!(
        table
            .starts_with("G0016 APT29 (Group): 268 techniques and sub-techniques in scope of 283;")
    );
    real_root(&bundle, &["threats", EX01, "--group", "APT99"])
        .fails()
        .stderr_has(&["`APT99` is not a group, campaign or software of the loaded ATT&CK bundle"]);
}

/// fixtures/inventory/good/minimal.yaml covers T1059.001 (detect partial configured: 0.4) and
/// selects no threat. FIN7 uses T1059.001 and T1053 (fixtures/attack/README.md): mean
/// (0.4 + 0) / 2 = 0.2, 1 of 2 covered; T1059.001 directly and through Cobalt Strike, T1053
/// through Cobalt Strike only (`route_weights.py fixtures/attack/mini-attack-2.1.json 0.5 G0046
/// --routes` prints `G0046 2 1 2 0 0 1`).
#[test]
fn no_threats_selected() {
    let env = Env::new();
    let minimal = "fixtures/inventory/good/minimal.yaml";
    root_mini(&env, &["threats", minimal])
        .fails()
        .stderr_has(&[
            &format!("error: no threats selected in {minimal}"),
            "hint: add `scope: {threats: {groups: [APT29]}}` to the inventory, or pass --group NAME_OR_ID",
        ]);
    let doc = root_mini(
        &env,
        &["threats", minimal, "--group", "FIN7", "--format", "json"],
    )
    .ok()
    .json();
    assert_eq!(
        doc,
        json!([{
            "id": "G0046", "name": "FIN7", "kind": "group", "selected": false,
            "techniques": 2, "in_scope": 2, "score": 0.2, "covered": 1, "covered_share": 0.5,
            "routes": {"direct": 1, "via_software": 2, "via_campaign": 0,
                       "via_campaign_software": 0, "software_only": 1},
            "uncovered": [
                {"id": "T1053", "name": "Scheduled Task/Job", "score": 0.0, "gap": 1.0,
                 "tactics": ["execution", "persistence"]},
                {"id": "T1059.001", "name": "PowerShell", "score": 0.4, "gap": 0.6,
                 "tactics": ["execution"]}
            ]
        }])
    );
    root_mini(&env, &["threats", minimal, "--group", "APT-29X"])
        .fails()
        .stderr_has(&["`APT-29X` is not a group, campaign or software"]);
    root_mini(&env, &["threats", minimal, "--group", "T1059"])
        .fails()
        .stderr_has(&["`T1059` is a technique, not a group, campaign or software"]);
}
