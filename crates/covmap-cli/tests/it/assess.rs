//! `covmap assess` and `covmap schema`: example 01 on real enterprise 18.1 (table, JSON,
//! `-o DIR`), the per-team split, a hand-computed inventory on `mini-attack-2.1.json`,
//! `--include planned`, inventories with errors, and which bundle an inventory's
//! `attack.domain` picks.

use serde_json::{Value, json};

use crate::common::{Env, fixture};
use crate::inv::{
    EX01, TEAMS, arr, e18, num, percent, real_root, repo_text, root_mini, s, technique, write,
};

#[test]
fn schema_is_a_json_schema_of_the_format() {
    // No bundle is needed: nothing is in this cache and the run is offline.
    let env = Env::new();
    let doc = env.run(&["schema"]).ok().json();
    assert!(
        doc["$schema"]
            .as_str()
            .is_some_and(|u| u.contains("json-schema.org")),
        "{}",
        doc["$schema"]
    );
    assert_eq!(doc["type"], "object");
    assert_eq!(doc["additionalProperties"], false);
    let keys: Vec<&str> = doc["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "covmap",
        "capabilities",
        "scope",
        "organization",
        "attack",
        "scoring",
    ] {
        assert!(keys.contains(&key), "no top-level key {key}: {keys:?}");
    }
    assert!(arr(&doc["required"]).contains(&json!("covmap")));
}

// ---------------------------------------------------------------------------------------------
// Example 01 on real enterprise 18.1.

/// Leaves in scope per tactic of example 01, in matrix order. Computed independently with
/// Python from the bundle: active attack-patterns (neither `revoked` nor `x_mitre_deprecated`);
/// leaves are sub-techniques and techniques without active sub-techniques; in scope when one of
/// `x_mitre_platforms` is among the inventory's 7 scope platforms and neither the leaf nor its
/// parent is T1200 or T1669 (the exclusions); counted per `mitre-attack` kill-chain phase.
/// Totals: 691 techniques, 98 parents, 593 leaves, 490 in scope, 103 out of scope.
const TACTIC_LEAVES: [(&str, u64); 14] = [
    ("reconnaissance", 0),
    ("resource-development", 0),
    ("initial-access", 17),
    ("execution", 34),
    ("persistence", 104),
    ("privilege-escalation", 94),
    ("defense-evasion", 178),
    ("credential-access", 55),
    ("discovery", 42),
    ("lateral-movement", 20),
    ("collection", 31),
    ("command-and-control", 36),
    ("exfiltration", 14),
    ("impact", 26),
];

#[test]
fn example_json_document() {
    let Some(bundle) = e18() else {
        return;
    };
    let out = real_root(&bundle, &["assess", EX01, "--format", "json"]).ok();
    let doc = out.json();
    assert_eq!(doc["format"], 3);
    assert_eq!(doc["covmap_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        doc["attack"],
        json!({"domain": "enterprise", "version": "18.1", "name": "Enterprise ATT&CK"})
    );
    assert_eq!(doc["organization"], "Northwind Logistics");
    assert_eq!(doc["include"], json!(["deployed"]));
    assert_eq!(doc["files"][0]["path"], EX01);
    assert_eq!(arr(&doc["files"]).len(), 1);
    let overall = num(&doc["overall"]);
    let weighted = num(&doc["overall_weighted"]);
    assert!((0.0..=1.0).contains(&overall) && overall > 0.0, "{overall}");
    // The README of example 01: the inventory concentrates on what its threats use.
    assert!(weighted > overall && weighted <= 1.0, "{weighted}");
    assert_eq!(
        doc["counts"],
        json!({"leaves": 593, "in_scope": 490, "excluded": 103, "parents": 98,
               "by_level": doc["counts"]["by_level"]})
    );
    let by_level = &doc["counts"]["by_level"];
    let levels: u64 = ["none", "low", "medium", "high"]
        .iter()
        .map(|l| by_level[*l].as_u64().expect("a count"))
        .sum();
    assert_eq!(levels, 490);

    // Tactics in the matrix order of the bundle, with their leaves in scope.
    let info = real_root(&bundle, &["attack", "info", "--format", "json"])
        .ok()
        .json();
    let matrix: Vec<&Value> = arr(&info["tactic_order"])
        .iter()
        .map(|t| &t["shortname"])
        .collect();
    let tactics = arr(&doc["tactics"]);
    assert_eq!(
        tactics.iter().map(|t| &t["shortname"]).collect::<Vec<_>>(),
        matrix
    );
    for (t, (shortname, leaves)) in tactics.iter().zip(TACTIC_LEAVES) {
        assert_eq!(t["shortname"], shortname);
        assert_eq!(t["leaves"], leaves, "{shortname}");
        let score = num(&t["score"]);
        assert!((0.0..=1.0).contains(&score), "{shortname}: {score}");
    }

    // One object per leaf and parent, by ATT&CK ID, with the documented fields.
    let techniques = arr(&doc["techniques"]);
    assert_eq!(techniques.len(), 691);
    let ids: Vec<&str> = techniques
        .iter()
        .map(|t| t["id"].as_str().expect("an id"))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "not sorted by ID");
    for t in techniques {
        let id = &t["id"];
        assert!((0.0..=1.0).contains(&num(&t["score"])), "{id}");
        assert!(t["in_scope"].is_boolean() && t["leaf"].is_boolean(), "{id}");
        for f in ["detect", "protect", "respond", "visibility"] {
            assert!(
                (0.0..=1.0).contains(&num(&t["functions"][f]["score"])),
                "{id} {f}"
            );
        }
    }
    let leaves = |in_scope: bool| {
        techniques
            .iter()
            .filter(|t| t["leaf"] == true && t["in_scope"] == in_scope)
            .count()
    };
    assert_eq!((leaves(true), leaves(false)), (490, 103));
    for (id, reason) in [
        ("T1200", "Hardware Additions: physical"),
        ("T1669", "Wi-Fi Networks: "),
    ] {
        let t = technique(&doc, id);
        assert_eq!(t["in_scope"], false, "{id}");
        assert!(
            t["exclusion_reason"]
                .as_str()
                .is_some_and(|r| r.starts_with(reason)),
            "{id}"
        );
    }
    assert_eq!(arr(&doc["capabilities"]).len(), 10);
    assert!(
        arr(&doc["capabilities"])
            .iter()
            .all(|c| c["counted"] == true)
    );
}

/// T1110.003 Password Spraying, computed by hand from example 01 (docs/scoring.md, 2 and 5).
/// Its platforms in scope are IaaS, Identity Provider, Linux, Office Suite, SaaS, Windows and
/// macOS (7). Entries: siem detect significant tested = 0.9 on its platforms (not macOS);
/// idp detect partial configured = 0.4 on IaaS, Identity Provider, Office Suite, SaaS; ndr
/// detect minimal configured = 0.2 on Linux and Windows; idp protect significant configured =
/// 0.72 through T1110 with `include_subtechniques`, on the same four cloud platforms.
/// detect per platform: cloud 1 - 0.1 x 0.6 = 0.94 (x4), Linux/Windows 1 - 0.1 x 0.8 = 0.92
/// (x2), macOS 0: mean 5.6 / 7 = 0.8. protect: 4 x 0.72 / 7 = 0.411429. Headline:
/// 1 - 0.2 x (1 - 2.88/7) = 0.882286. APT29 uses it directly (1) and FIN7 through its software
/// (0.5): weight 1.5, gap priority 1.5 x 0.117714 = 0.176571 (`python3
/// crates/covmap-assess/tests/it/route_weights.py ../shared/data/attack/enterprise-attack-18.1.json
/// 0.5 G0046 G1015 G0016 --leaves T1110.003` prints `T1110.003 1.5 1 28`).
#[test]
fn example_leaf_computed_by_hand() {
    let Some(bundle) = e18() else {
        return;
    };
    let doc = real_root(&bundle, &["assess", EX01, "--format", "json"])
        .ok()
        .json();
    let t = technique(&doc, "T1110.003");
    assert_eq!(
        t["functions"]["detect"],
        json!({"score": 0.8, "platforms": {"IaaS": 0.94, "Identity Provider": 0.94, "Linux": 0.92,
               "Office Suite": 0.94, "SaaS": 0.94, "Windows": 0.92, "macOS": 0.0}})
    );
    assert_eq!(t["functions"]["protect"]["score"], 0.411_429);
    assert_eq!(t["score"], 0.882_286);
    assert_eq!(t["level"], "high");
    assert_eq!(t["weight"], 1.5);
    assert_eq!(t["gap_priority"], 0.176_571);
    assert_eq!(
        (&t["direct_threats"], &t["prevalence"]),
        (&json!(1), &json!(28))
    );
    let contributions: Vec<Value> = arr(&t["capabilities"])
        .iter()
        .map(|c| json!([c["id"], c["function"], c["value"]]))
        .collect();
    assert_eq!(
        contributions,
        [
            json!(["idp", "detect", 0.4]),
            json!(["ndr", "detect", 0.2]),
            json!(["siem", "detect", 0.9]),
            json!(["idp", "protect", 0.72]),
        ]
    );
    // The `file:line` of siem's entry: the line that lists T1110.003 in siem's capability.
    let text = repo_text(EX01);
    let line = 1 + text
        .lines()
        .position(|l| l.contains("- techniques: [T1110.003, T1621"))
        .expect("siem's entry");
    assert_eq!(
        t["capabilities"][2]["entries"],
        json!([format!("{EX01}:{line}")])
    );
}

/// The summary table says what the JSON document says.
#[test]
fn example_table_matches_json() {
    let Some(bundle) = e18() else {
        return;
    };
    let doc = real_root(&bundle, &["assess", EX01, "--format", "json"])
        .ok()
        .json();
    let table = real_root(&bundle, &["assess", EX01]).ok().stdout;
    let lines: Vec<&str> = table.lines().collect();
    let f = &doc["functions"];
    let c = &doc["counts"];
    let l = &c["by_level"];
    let telemetry = &doc["telemetry"];
    assert_eq!(
        lines[..5],
        [
            "Northwind Logistics: 10 capabilities counted, against enterprise ATT&CK 18.1"
                .to_string(),
            format!(
                "overall {}   threat-weighted {}",
                percent(num(&doc["overall"])),
                percent(num(&doc["overall_weighted"]))
            ),
            format!(
                "by function: detect {}, protect {}, respond {}, visibility {}",
                percent(num(&f["detect"])),
                percent(num(&f["protect"])),
                percent(num(&f["respond"])),
                percent(num(&f["visibility"]))
            ),
            format!(
                "telemetry: {} of {} entries counted, {} of {} analytics feasible; derived visibility on {} techniques in scope, above typed entries on {} (visibility {} from typed entries alone)",
                telemetry["counted"],
                telemetry["entries"],
                telemetry["feasible"],
                telemetry["analytics"],
                telemetry["leaves_visible"],
                telemetry["leaves_raised"],
                percent(num(&telemetry["visibility_typed"]))
            ),
            format!(
                "techniques and sub-techniques in scope {} (out of scope {}): high {}, medium {}, low {}, none {}",
                c["in_scope"], c["excluded"], l["high"], l["medium"], l["low"], l["none"]
            ),
        ]
    );
    // The headline in figures, rounded as printed: 19.9% and 31.9%.
    assert_eq!(lines[1], "overall 19.9%   threat-weighted 31.9%");
    // Example 01's telemetry section, counted as assessment.json says: 5 of 6 entries (one
    // planned), 210 analytics feasible.
    assert!(
        lines[3].starts_with("telemetry: 5 of 6 entries counted, 210 of 1417 analytics feasible;")
    );
    assert!(lines[6].split_whitespace().eq([
        "tactic",
        "score",
        "weighted",
        "techniques",
        "and",
        "sub-techniques",
        "high",
        "medium",
        "low",
        "none"
    ]));
    for (row, t) in lines[8..].iter().zip(arr(&doc["tactics"])) {
        let cells: Vec<&str> = row.split_whitespace().collect();
        let b = &t["by_level"];
        let mut expected = vec![t["shortname"].as_str().expect("shortname").to_string()];
        if t["leaves"] == 0 {
            expected.push("-".into());
        } else {
            expected.push(percent(num(&t["score"])));
            expected.push(percent(num(&t["score_weighted"])));
        }
        for v in [
            &t["leaves"],
            &b["high"],
            &b["medium"],
            &b["low"],
            &b["none"],
        ] {
            expected.push(v.to_string());
        }
        assert_eq!(cells, expected, "{row}");
    }
    // The top 10 gaps are those of `covmap gaps --top 10`.
    let gaps = real_root(&bundle, &["gaps", EX01, "--top", "10", "--format", "json"])
        .ok()
        .json();
    let at = lines
        .iter()
        .position(|l| l.starts_with("top gaps (priority = threat weight x (1 - score)):"))
        .expect("the gaps section");
    let shown: Vec<&str> = lines[at + 3..]
        .iter()
        .map(|l| l.split_whitespace().nth(1).expect("an id"))
        .collect();
    let ranked: Vec<&str> = arr(&gaps)
        .iter()
        .map(|g| g["id"].as_str().expect("id"))
        .collect();
    assert_eq!(shown, ranked);
    assert_eq!(shown.len(), 10);
}

/// Removes what names files and lines (`at`, `entries`, `files`): all that may differ between
/// example 01 and its per-team split.
fn without_positions(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for key in ["at", "entries", "files"] {
                map.remove(key);
            }
            map.values_mut().for_each(without_positions);
        }
        Value::Array(items) => items.iter_mut().for_each(without_positions),
        _ => {}
    }
}

#[test]
fn per_team_split_scores_like_example_01() {
    let Some(bundle) = e18() else {
        return;
    };
    let mut one = real_root(&bundle, &["assess", EX01, "--format", "json"])
        .ok()
        .json();
    let mut args = vec!["assess"];
    args.extend_from_slice(&TEAMS);
    args.extend_from_slice(&["--format", "json"]);
    let mut teams = real_root(&bundle, &args).ok().json();
    let paths: Vec<&Value> = arr(&teams["files"]).iter().map(|f| &f["path"]).collect();
    assert_eq!(paths, TEAMS);
    for key in [
        "overall",
        "overall_weighted",
        "functions",
        "counts",
        "tactics",
    ] {
        assert_eq!(teams[key], one[key], "{key}");
    }
    for (a, b) in arr(&one["techniques"])
        .iter()
        .zip(arr(&teams["techniques"]))
    {
        assert_eq!((&a["id"], &a["score"]), (&b["id"], &b["score"]));
    }
    // Entries point into the team files instead.
    let t = technique(&teams, "T1110.003");
    assert!(
        t["capabilities"][2]["entries"][0]
            .as_str()
            .is_some_and(|e| e.starts_with("examples/03-per-team/soc.yaml:")),
        "{}",
        t["capabilities"][2]
    );
    without_positions(&mut one);
    without_positions(&mut teams);
    assert!(
        one == teams,
        "the documents differ beyond file names and lines"
    );
}

// ---------------------------------------------------------------------------------------------
// A tiny inventory on mini-attack-2.1.json, computed by hand.

/// Hand-computed with docs/scoring.md. Scope Linux and Windows: all 7 leaves of the mini bundle
/// have a platform in scope: T1566.001 and T1566.002 {L, W}, T1059.001 {W}, T1059.004 {L}
/// (macOS is out of scope), T1053 {L, W}, T1003.001 {W}, T1078 {L, W}.
///
/// Entry values (level x confidence, default confidence configured 0.8):
/// - edr (Windows only) T1053 detect significant tested: 0.9 x 1.0 = 0.9;
/// - edr T1059 with `include_subtechniques` protect partial: 0.5 x 0.8 = 0.4 on T1059.001
///   (Windows); nothing on T1059.004, whose only platform in scope (Linux) edr lacks;
/// - siem T1053 detect minimal claimed: 0.25 x 0.5 = 0.125 on Linux and Windows;
/// - siem T1078 detect level 0.5: 0.5 x 0.8 = 0.4 on Linux and Windows;
/// - ndr (planned) T1566.001 detect significant: 0.9 x 0.8 = 0.72, only with --include planned;
/// - old (retired) never counts.
///
/// Leaves: T1053 detect Windows 1 - 0.1 x 0.875 = 0.9125, Linux 0.125, mean 0.51875 (headline);
/// T1059.001 protect 0.4 (headline 0.4); T1078 0.4; the other four 0.
/// Overall = (0.51875 + 0.4 + 0.4) / 7 = 1.31875 / 7 = 0.188392857 -> 0.188393.
/// FIN7 uses T1059.001 directly and T1053 through Cobalt Strike only (fixtures/attack/README.md):
/// weights 1 and 0.5 (`threat_software_factor`), the rest 0, so weighted =
/// (0.5 x 0.51875 + 0.4) / 1.5 = 0.439583.
/// Functions over 7 leaves: detect 0.91875 / 7 = 0.13125, protect 0.4 / 7 = 0.057143.
/// Levels (0.33 / 0.66): three medium, four none. Parent T1059: mean(0.4, 0) = 0.2.
/// Tactics: initial-access (T1566.001, T1566.002, T1078) 0.4 / 3 = 0.133333; execution
/// (T1059.001, T1059.004, T1053) 0.91875 / 3 = 0.30625 (weighted 0.439583); persistence (T1053,
/// T1078) 0.459375 (weighted 0.51875, T1053 alone);
/// credential-access (T1003.001) 0.
/// With --include planned T1566.001 scores 0.72: overall 2.03875 / 7 = 0.29125; the weighted
/// score does not move (FIN7 does not use T1566.001).
const HAND: &str = "\
covmap: 1
organization: Hand Computed Ltd
scope:
  platforms: [Windows, Linux]
  threats: {groups: [FIN7]}
capabilities:
  - id: edr
    platforms: [Windows]
    coverage:
      - {techniques: [T1053], function: detect, level: significant, confidence: tested, evidence: exercise}
      - {techniques: [T1059], function: protect, level: partial, include_subtechniques: true}
  - id: siem
    coverage:
      - {techniques: [T1053], function: detect, level: minimal, confidence: claimed}
      - {techniques: [T1078], function: detect, level: 0.5}
  - id: ndr
    status: planned
    coverage:
      - {techniques: [T1566.001], function: detect, level: significant}
  - id: old
    status: retired
    coverage:
      - {techniques: [T1003.001], function: detect, level: significant}
";

#[test]
fn hand_computed_scores_on_the_mini_bundle() {
    let env = Env::new();
    let path = write(env.cache(), "hand.yaml", HAND);
    let doc = env
        .mini(&["assess", s(&path), "--format", "json"])
        .ok()
        .json();
    assert_eq!(doc["overall"], 0.188_393);
    assert_eq!(doc["overall_weighted"], 0.439_583);
    assert_eq!(
        doc["functions"],
        json!({"detect": 0.131_25, "protect": 0.057_143, "respond": 0.0, "visibility": 0.0})
    );
    assert_eq!(
        doc["counts"],
        json!({"leaves": 7, "in_scope": 7, "excluded": 0, "parents": 3,
               "by_level": {"none": 4, "low": 0, "medium": 3, "high": 0}})
    );
    let t = technique(&doc, "T1053");
    assert_eq!(
        t["functions"]["detect"],
        json!({"score": 0.518_75, "platforms": {"Linux": 0.125, "Windows": 0.9125}})
    );
    assert_eq!(
        (&t["weight"], &t["gap_priority"]),
        (&json!(0.5), &json!(0.240_625))
    );
    assert_eq!(technique(&doc, "T1059.001")["score"], 0.4);
    assert_eq!(technique(&doc, "T1059.004")["score"], 0.0);
    assert_eq!(technique(&doc, "T1078")["score"], 0.4);
    assert_eq!(technique(&doc, "T1078")["weight"], 0.0);
    assert_eq!(technique(&doc, "T1059")["score"], 0.2);
    assert_eq!(technique(&doc, "T1003.001")["score"], 0.0);
    let tactics: Vec<Value> = arr(&doc["tactics"])
        .iter()
        .map(|t| json!([t["shortname"], t["score"], t["score_weighted"]]))
        .collect();
    assert_eq!(
        tactics,
        [
            json!(["initial-access", 0.133_333, null]),
            json!(["execution", 0.306_25, 0.439_583]),
            json!(["persistence", 0.459_375, 0.518_75]),
            json!(["credential-access", 0.0, null]),
        ]
    );
    let counted: Vec<Value> = arr(&doc["capabilities"])
        .iter()
        .map(|c| json!([c["id"], c["status"], c["counted"]]))
        .collect();
    assert_eq!(
        counted,
        [
            json!(["edr", "deployed", true]),
            json!(["ndr", "planned", false]),
            json!(["old", "retired", false]),
            json!(["siem", "deployed", true]),
        ]
    );
    let table = env.mini(&["assess", s(&path)]).ok();
    assert_text_snapshot!(env, "assess_hand_computed_table", table.stdout);
}

#[test]
fn include_planned_counts_the_planned_capability() {
    let env = Env::new();
    let path = write(env.cache(), "hand.yaml", HAND);
    let doc = env
        .mini(&[
            "assess",
            s(&path),
            "--include",
            "planned",
            "--format",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(doc["include"], json!(["deployed", "planned"]));
    assert_eq!(doc["overall"], 0.291_25);
    assert_eq!(doc["overall_weighted"], 0.439_583);
    assert_eq!(technique(&doc, "T1566.001")["score"], 0.72);
    // Retired stays out whatever is included.
    assert_eq!(technique(&doc, "T1003.001")["score"], 0.0);
    env.mini(&["assess", s(&path), "--include", "planned"])
        .ok()
        .stdout_has(&["overall 29.1%   threat-weighted 44.0%\n"]);
    env.mini(&["assess", s(&path), "--include", "retired"])
        .fails()
        .stderr_has(&["invalid value 'retired'", "planned", "candidate"]);
}

#[test]
fn inventory_with_errors_is_not_assessed() {
    let env = Env::new();
    let out_dir = env.cache().join("out");
    let file = "fixtures/inventory/bad/unknown-technique.yaml";
    let out = root_mini(&env, &["assess", file, "-o", s(&out_dir)])
        .fails()
        .stderr_has(&[
            "error[unknown-technique]: `T1059.999` is not a technique",
            &format!("--> {file}:5:34"),
            &format!("error: 1 error in {file}; nothing was assessed\n  hint: fix them and run `covmap validate` to check\n"),
        ]);
    assert!(!out_dir.exists(), "{out:?}");
    // Warnings do not stop an assessment; they are shown.
    root_mini(
        &env,
        &[
            "assess",
            "fixtures/inventory/bad/revoked-technique.yaml",
            "--format",
            "json",
        ],
    )
    .ok_noisy()
    .stderr_has(&["warning[revoked-technique]"]);
}

#[test]
fn never_writes_over_an_input() {
    let env = Env::new();
    let dir = env.cache().join("work");
    std::fs::create_dir_all(&dir).expect("work dir");
    // An inventory that happens to be called assessment.json.
    let input = write(
        &dir,
        "assessment.json",
        &repo_text("fixtures/inventory/good/minimal.yaml"),
    );
    let before = std::fs::read(&input).expect("read");
    for target in [dir.clone(), dir.join(".")] {
        env.mini(&["assess", s(&input), "-o", s(&target)])
            .fails()
            .stderr_has(&[
                "is one of the inputs; covmap never overwrites its inputs",
                "choose another output path",
            ]);
        assert_eq!(std::fs::read(&input).expect("read"), before);
    }
}

#[test]
fn assess_has_no_csv() {
    let env = Env::new();
    root_mini(
        &env,
        &[
            "assess",
            "fixtures/inventory/good/minimal.yaml",
            "--format",
            "csv",
        ],
    )
    .fails()
    .stderr_has(&["covmap gaps --format csv"]);
}

/// Without --attack, the inventory's `attack.domain` picks the cached bundle of that domain.
#[test]
fn declared_domain_picks_the_cached_bundle() {
    let env = Env::new();
    env.store("mini-ics-2.1.json", "ics-attack-9.9.json");
    let ics = write(
        env.cache(),
        "ot.yaml",
        "covmap: 1\nattack: {domain: ics}\ncapabilities:\n  - id: ot-ids\n    coverage:\n      - {techniques: [T0819], function: detect, level: partial}\n",
    );
    let doc = env
        .run(&["assess", s(&ics), "--format", "json"])
        .ok()
        .json();
    assert_eq!(
        doc["attack"],
        json!({"domain": "ics", "version": "9.9", "name": "Mini ICS ATT&CK"})
    );
    // 3 ICS techniques; T0819 detect partial configured 0.4: overall 0.4 / 3.
    assert_eq!(doc["overall"], 0.133_333);
    // `version` too, when that release is in the cache.
    let versioned = write(
        env.cache(),
        "ot-versioned.yaml",
        &std::fs::read_to_string(&ics)
            .expect("read")
            .replace("{domain: ics}", "{domain: ics-attack, version: \"9.9\"}"),
    );
    let doc = env
        .run(&["assess", s(&versioned), "--format", "json"])
        .ok()
        .json();
    assert_eq!(doc["attack"]["domain"], "ics");
    // Without the declaration the default domain is enterprise, which is not cached here: the
    // built-in release is used, and T0819 is told to be an ICS technique.
    let plain = write(
        env.cache(),
        "plain.yaml",
        "covmap: 1\ncapabilities:\n  - id: ot-ids\n    coverage:\n      - {techniques: [T0819], function: detect, level: partial}\n",
    );
    env.run(&["assess", s(&plain)]).fails().stderr_has(&[
        "using ATT&CK enterprise 18.1, built into covmap",
        "error[wrong-domain]: `T0819` is an ICS ATT&CK technique",
    ]);
    // --attack wins over the declaration: then the domain mismatch is an error.
    let out = env.run(&[
        "--attack",
        s(&fixture("mini-attack-2.1.json")),
        "assess",
        s(&ics),
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("error[attack-domain-mismatch]"),
        "{}",
        out.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// Claims that count for nothing (issue 16): one summary line, written and imported entries.

/// One written entry on two parents (T1003, T1566), one kept at parent level on purpose (not
/// counted), and an `import:` of a Sigma rule tagged with two parents (T1059, T1003): 3 entries
/// count for no sub-technique. Each written one is a warning, the import one warning, and one
/// line counts them all, whatever the output.
#[test]
fn assess_counts_parent_claims_in_one_line() {
    let env = Env::new();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("rules")).expect("mkdir");
    write(
        &dir.path().join("rules"),
        "parents.yml",
        "title: Parents only\nid: 00000000-0000-4000-8000-000000000161\nstatus: stable\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    sel:\n        Image: x\n    condition: sel\ntags:\n    - attack.t1059\n    - attack.t1003\n",
    );
    let inventory = write(
        dir.path(),
        "inventory.yaml",
        "covmap: 1\ncapabilities:\n  - id: edr\n    coverage:\n      - {techniques: [T1003, T1566], function: detect, level: significant}\n      - {techniques: [T1059], function: detect, level: partial, include_subtechniques: false}\n      - {techniques: [T1059.001], function: detect, level: partial}\n  - id: siem\n    platforms: [Windows]\n    import:\n      - {format: sigma, path: rules}\n",
    );
    let path = inventory.to_str().expect("UTF-8 path");
    let line = "covmap: 3 entries on parent techniques count for no sub-technique";
    for format in ["table", "json"] {
        let out = env
            .mini(&["assess", path, "--format", format])
            .ok_noisy()
            .stderr_has(&[
                "warning[parent-counts-for-no-subtechnique]: `T1003` (1), `T1566` (2) have 3 sub-techniques in all",
                "2 entries imported into `siem` are on 2 parent techniques with 3 sub-techniques in all (T1003 (1), T1059 (2))",
                line,
            ]);
        assert_eq!(
            out.stderr
                .matches("parent-counts-for-no-subtechnique]")
                .count(),
            2
        );
        assert_eq!(
            out.stderr.matches("entries on parent techniques").count(),
            1
        );
    }
    // `validate --strict` fails on them: they are warnings.
    let out = env.mini(&["validate", "--strict", path]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("2 warnings"), "{}", out.stderr);
}

/// Without such claims, no line at all.
#[test]
fn assess_prints_no_line_without_parent_claims() {
    let env = Env::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let inventory = write(
        dir.path(),
        "inventory.yaml",
        "covmap: 1\ncapabilities:\n  - id: edr\n    coverage:\n      - {techniques: [T1003], function: detect, level: significant, include_subtechniques: true}\n      - {techniques: [T1566], function: detect, level: partial, include_subtechniques: false}\n",
    );
    env.mini(&["assess", inventory.to_str().expect("UTF-8 path")])
        .ok();
}
