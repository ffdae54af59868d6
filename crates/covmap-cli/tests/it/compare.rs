//! `covmap compare`: example 01 against example 02's candidate files on real enterprise 18.1,
//! a candidate capability inside an inventory, `--without`, `--replace`, the head-to-head,
//! refusals, and CSV cells that could be formulas.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};

use crate::common::{Env, fixture, run};
use crate::inv::{
    CAND_EDR, CAND_NDR, EX01, arr, close, e18, num, percent, real_root, repo_text, root_fx, s,
    technique, write,
};

fn labels(doc: &Value) -> Vec<&Value> {
    arr(&doc["candidates"])
        .iter()
        .map(|c| &c["label"])
        .collect()
}

/// Example 01 compared with both candidate files of example 02.
const EXAMPLE_02: [&str; 6] = [
    "compare",
    EX01,
    "--candidate",
    CAND_EDR,
    "--candidate",
    CAND_NDR,
];

#[test]
fn candidate_files_of_example_02() {
    let Some(bundle) = e18() else {
        return;
    };
    let assessment = real_root(&bundle, &["assess", EX01, "--format", "json"])
        .ok()
        .json();
    let args = EXAMPLE_02;
    let doc = real_root(&bundle, &[&args[..], &["--format", "json"]].concat())
        .ok()
        .json();
    assert_eq!(doc["baseline"]["overall"], assessment["overall"]);
    assert_eq!(
        doc["baseline"]["overall_weighted"],
        assessment["overall_weighted"]
    );
    assert_eq!(labels(&doc), [CAND_EDR, CAND_NDR]);
    assert_eq!(doc["without"], Value::Null);
    assert_eq!(doc["replacements"], json!([]));
    let (edr, ndr) = (&doc["candidates"][0], &doc["candidates"][1]);
    assert_eq!(edr["capabilities"], json!(["xdr-candidate"]));
    assert_eq!(ndr["capabilities"], json!(["ndr-candidate"]));
    // Named by their capabilities' names (candidate-*.yaml, `name:`).
    assert_eq!(
        edr["name"],
        "Ironclad XDR Enterprise (endpoint, identity, cloud and M365 modules)"
    );
    assert_eq!(ndr["name"], "Packetwise Sentry NDR");
    // Newly covered, improved (a point or more) and redundant (less) are disjoint.
    for c in [edr, ndr] {
        let ids = |key: &str| -> BTreeSet<String> {
            arr(&c[key])
                .iter()
                .map(|l| l["id"].as_str().expect("id").to_string())
                .collect()
        };
        let (newly, improved, redundant) =
            (ids("newly_covered"), ids("improved"), ids("redundant"));
        assert!(newly.is_disjoint(&improved) && improved.is_disjoint(&redundant));
        assert!(newly.is_disjoint(&redundant));
        for leaf in arr(&c["improved"]) {
            assert!(num(&leaf["before"]) > 0.0);
            assert!(
                num(&leaf["after"]) - num(&leaf["before"]) >= 0.01 - 1e-9,
                "{leaf}"
            );
        }
        for leaf in arr(&c["redundant"]) {
            assert!(num(&leaf["before"]) > 0.0);
            assert!(num(&leaf["after"]) - num(&leaf["before"]) < 0.01, "{leaf}");
        }
    }
    // The XDR gains more than the NDR, overall and threat-weighted, and newly covers more.
    assert!(num(&ndr["gain"]) > 0.0);
    assert!(
        num(&edr["gain"]) > num(&ndr["gain"]),
        "{} vs {}",
        edr["gain"],
        ndr["gain"]
    );
    assert!(num(&edr["gain_weighted"]) > num(&ndr["gain_weighted"]));
    assert!(arr(&edr["newly_covered"]).len() > arr(&ndr["newly_covered"]).len());
    for (c, annual) in [(edr, 310_000.0), (ndr, 58_000.0)] {
        let gain = num(&c["gain"]);
        assert!(close(
            num(&c["after"]["overall"]),
            num(&assessment["overall"]) + gain
        ));
        assert_eq!(
            c["annual_cost"],
            json!({"annual": annual, "currency": "EUR"})
        );
        // Cost of one percentage point of overall coverage.
        let per_point = num(&c["cost_per_point"]);
        assert!(
            (per_point - annual / (gain * 100.0)).abs() < 1e-3,
            "{} {per_point}",
            c["label"]
        );
        for leaf in arr(&c["newly_covered"]) {
            assert_eq!(leaf["before"], 0.0);
            assert!(num(&leaf["after"]) > 0.0);
        }
    }
    // The order of --candidate is kept.
    let swapped = real_root(
        &bundle,
        &[
            "compare",
            EX01,
            "--candidate",
            CAND_NDR,
            "--candidate",
            CAND_EDR,
            "--format",
            "json",
        ],
    )
    .ok()
    .json();
    assert_eq!(labels(&swapped), [CAND_NDR, CAND_EDR]);
    assert_eq!(swapped["candidates"][1]["gain"], edr["gain"]);
}

/// The table and the CSV of the same comparison say what its JSON says.
#[test]
fn candidate_files_table_and_csv() {
    let Some(bundle) = e18() else {
        return;
    };
    let assessment = real_root(&bundle, &["assess", EX01, "--format", "json"])
        .ok()
        .json();
    let args = EXAMPLE_02;
    let doc = real_root(&bundle, &[&args[..], &["--format", "json"]].concat())
        .ok()
        .json();
    let (edr, ndr) = (&doc["candidates"][0], &doc["candidates"][1]);
    let table = real_root(&bundle, &args).ok().stdout;
    assert!(
        table.starts_with(&format!(
            "baseline: overall {}, threat-weighted {}\n\n",
            percent(num(&assessment["overall"])),
            percent(num(&assessment["overall_weighted"]))
        )),
        "{table}"
    );
    assert!(table.contains("cost per point"), "{table}");
    let edr_name = edr["name"].as_str().expect("name");
    let row = table
        .lines()
        .find(|l| l.trim_start().starts_with(edr_name))
        .expect("the XDR's row, by name");
    assert!(
        row.contains(CAND_EDR)
            && row.contains(&format!("{:+.1} pts", num(&edr["gain"]) * 100.0))
            && row.contains("310,000 EUR"),
        "{row}"
    );
    assert!(
        table.contains(&format!("\n{edr_name} ({CAND_EDR}): newly covers ")),
        "{table}"
    );
    assert!(
        table.contains("\nhead to head: ") && table.contains("covered by all of them: "),
        "{table}"
    );

    let out = real_root(&bundle, &[&args[..], &["--format", "csv"]].concat()).ok();
    let (header, rows) = out.csv();
    assert_eq!(
        header,
        [
            "candidate",
            "label",
            "capabilities",
            "gain",
            "gain_weighted",
            "newly_covered",
            "improved",
            "redundant",
            "covers",
            "unique",
            "unique_gains",
            "unique_techniques",
            "annual_cost",
            "currency",
            "cost_per_point"
        ]
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0][..4],
        [
            edr_name,
            CAND_EDR,
            "xdr-candidate",
            &format!("{:.6}", num(&edr["gain"]))
        ]
    );
    assert_eq!(rows[1][12..14], ["58000", "EUR"]);
    assert_eq!(rows[1][14], format!("{:.2}", num(&ndr["cost_per_point"])));
    // The head-to-head columns say what the JSON's head_to_head says.
    for (row, d) in rows.iter().zip(arr(&doc["head_to_head"]["candidates"])) {
        let unique: Vec<&str> = arr(&d["unique"])
            .iter()
            .map(|l| l["id"].as_str().expect("id"))
            .collect();
        assert_eq!(
            row[8..12],
            [
                d["covers"].to_string(),
                unique.len().to_string(),
                d["unique_gains"].to_string(),
                unique.join("; ")
            ]
        );
    }
}

/// Example 01 plus a candidate that detects T1113 Screen Capture, a leaf nothing covers today
/// (platforms Linux, macOS, Windows; used by all three groups). Partial, configured:
/// 0.5 x 0.8 = 0.4 on all three platforms, so the leaf goes 0 -> 0.4 and the overall gains
/// 0.4 / 490 leaves in scope = 0.000816 (rounded), one leaf newly covered, nothing improved.
/// At 8,160 EUR a year that is 8,160 / (100 x 0.000816) = 100,000 EUR per point.
const WITH_CANDIDATE: &str = "
  - id: screen-guard
    name: Screen Guard
    status: candidate
    platforms: [Windows, macOS, Linux]
    cost: {annual: 8160, currency: EUR}
    coverage:
      - {techniques: [T1113], function: detect, level: partial}
";

#[test]
fn candidate_capability_inside_the_inventory() {
    let Some(bundle) = e18() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    let inventory = write(
        tmp.path(),
        "with-candidate.yaml",
        &(repo_text(EX01) + WITH_CANDIDATE),
    );
    let inventory = s(&inventory);
    let assessment = real_root(&bundle, &["assess", EX01, "--format", "json"])
        .ok()
        .json();
    let doc = real_root(
        &bundle,
        &[
            "compare",
            inventory,
            "--candidate",
            "screen-guard",
            "--format",
            "json",
        ],
    )
    .ok()
    .json();
    // The candidate does not count in the baseline.
    assert_eq!(doc["baseline"]["overall"], assessment["overall"]);
    let c = &doc["candidates"][0];
    assert_eq!(c["label"], "screen-guard");
    assert_eq!(c["name"], "Screen Guard");
    assert_eq!(c["capabilities"], json!(["screen-guard"]));
    assert_eq!(c["gain"], 0.000_816);
    assert_eq!(
        c["newly_covered"],
        json!([{"id": "T1113", "name": "Screen Capture", "before": 0.0, "after": 0.4}])
    );
    assert_eq!(
        (arr(&c["improved"]).len(), arr(&c["redundant"]).len()),
        (0, 0)
    );
    assert_eq!(c["cost_per_point"], 100_000.0);
    assert!(num(&c["gain_weighted"]) > 0.0);

    // An id that is not in the inventory: exit 2, with the candidates it does hold.
    real_root(
        &bundle,
        &["compare", inventory, "--candidate", "screen-gard"],
    )
    .fails()
    .stderr_has(&[
        &format!("no capability `screen-gard` in {inventory}"),
        "hint: candidates in the inventory: screen-guard; or pass an inventory file of the product",
    ]);
    real_root(&bundle, &["compare", EX01, "--candidate", "nope"])
        .fails()
        .stderr_has(&[
            "no capability `nope` in examples/01-midsize-company/inventory.yaml",
            "hint: candidates in the inventory: none",
        ]);
}

/// `--without ndr` (example 02's README): the drop, and the leaves only ndr covers.
#[test]
fn without_ndr() {
    let Some(bundle) = e18() else {
        return;
    };
    let doc = real_root(
        &bundle,
        &["compare", EX01, "--without", "ndr", "--format", "json"],
    )
    .ok()
    .json();
    assert_eq!(doc["candidates"], json!([]));
    let w = &doc["without"];
    assert_eq!(w["removed"], json!(["ndr"]));
    let drop = num(&w["drop"]);
    assert!(drop > 0.0, "{drop}");
    assert!(num(&w["drop_weighted"]) > 0.0);
    assert!(close(
        num(&w["after"]["overall"]),
        num(&doc["baseline"]["overall"]) - drop
    ));
    let spof = arr(&w["single_points_of_failure"]);
    assert_eq!(spof.len(), 1);
    assert_eq!(spof[0]["capability"], "ndr");
    let only_ndr: Vec<&str> = arr(&spof[0]["leaves"])
        .iter()
        .map(|l| l["id"].as_str().expect("id"))
        .collect();
    for id in ["T1046", "T1557.001", "T1087.002", "T1482", "T1571"] {
        assert!(only_ndr.contains(&id), "{id} not in {only_ndr:?}");
    }
    for leaf in arr(&spof[0]["leaves"]) {
        assert!(num(&leaf["before"]) > 0.0 && leaf["after"] == 0.0, "{leaf}");
    }
    // With one capability removed, what falls to zero is what only it covered.
    let fallen: Vec<&str> = arr(&w["fall_to_zero"])
        .iter()
        .map(|l| l["id"].as_str().expect("id"))
        .collect();
    let (mut a, mut b) = (fallen.clone(), only_ndr.clone());
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b);

    let table = real_root(&bundle, &["compare", EX01, "--without", "ndr"])
        .ok()
        .stdout;
    assert!(
        table.contains(&format!(
            "\nwithout ndr: overall {} ({:+.1} pts)",
            percent(num(&w["after"]["overall"])),
            -drop * 100.0
        )),
        "{table}"
    );
    assert!(
        table.contains(&format!(
            "\nsingle point of failure ndr (RevealX 360 (network detection and response)): the only cover of {} techniques: {}\n",
            only_ndr.len(),
            only_ndr.join(", ")
        )),
        "{table}"
    );
    // The CSV lists candidates only: --without has no CSV form.
    real_root(
        &bundle,
        &["compare", EX01, "--without", "ndr", "--format", "csv"],
    )
    .fails()
    .stderr_has(&["`--without` has no CSV output", "--format json"]);
}

#[test]
fn nothing_to_compare() {
    let env = Env::new();
    // Refused before any bundle is needed (none is available here).
    root_fx(&env, None, &["compare", "fixtures/inventory/good/minimal.yaml"])
        .fails()
        .stderr_has(&[
            "error: nothing to compare",
            "hint: give --candidate ID|FILE (a candidate product), --without ID (a capability to retire) or --replace OLD=NEW (a swap)",
        ]);
}

/// A candidate's label (an id, or a file path as given) and its capability ids land in the
/// first two CSV columns: formula-like text is prefixed with `'`.
#[test]
fn csv_labels_cannot_be_formulas() {
    let env = Env::new();
    let base = write(
        env.cache(),
        "base.yaml",
        "covmap: 1\ncapabilities:\n  - id: edr\n    coverage:\n      - {techniques: [T1059.001], function: detect, level: partial}\n  - id: '=cmd|calc'\n    status: candidate\n    coverage:\n      - {techniques: [T1053], function: detect, level: partial}\n",
    );
    write(
        env.cache(),
        "@product.yaml",
        "covmap: 1\ncapabilities:\n  - id: '-x'\n    status: candidate\n    coverage:\n      - {techniques: [T1078], function: detect, level: partial}\n",
    );
    let mut cmd = env.cmd();
    cmd.current_dir(env.cache())
        .arg("--attack")
        .arg(fixture("mini-attack-2.1.json"))
        .args([
            "compare",
            s(&base),
            "--candidate",
            "=cmd|calc",
            "--candidate",
            "@product.yaml",
            "--format",
            "csv",
        ]);
    let out = run(cmd).ok();
    let (_, rows) = out.csv();
    // Name (the id when there is none), label, capability ids.
    let firsts: Vec<[&str; 3]> = rows
        .iter()
        .map(|r| [r[0].as_str(), r[1].as_str(), r[2].as_str()])
        .collect();
    assert_eq!(
        firsts,
        [
            ["'=cmd|calc", "'=cmd|calc", "'=cmd|calc"],
            ["'-x", "'@product.yaml", "'-x"]
        ]
    );
}

/// Writes example 01 with the given capabilities' statuses changed, and the candidate file with
/// its candidate deployed: the inventory a swap or a candidate alone stands for.
fn edited(dir: &Path, retire: &[&str], candidate: &str) -> (String, String) {
    let mut text = repo_text(EX01);
    for id in retire {
        let at = text
            .find(&format!("  - id: {id}\n"))
            .expect("capability in example 01");
        let status = at + text[at..].find("status: deployed").expect("its status");
        text.replace_range(status..status + "status: deployed".len(), "status: retired");
    }
    let inventory = write(dir, "inventory.yaml", &text);
    let product = write(
        dir,
        "product.yaml",
        &repo_text(candidate).replace("status: candidate", "status: deployed"),
    );
    (s(&inventory).to_string(), s(&product).to_string())
}

/// `--replace ndr=candidate-ndr.yaml` (example 02's renewal question) equals assessing example 01
/// with ndr retired and the candidate NDR deployed (both files edited here, assessed with
/// `covmap assess`).
#[test]
fn replace_ndr_equals_the_edited_inventory() {
    let Some(bundle) = e18() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    let (inventory, product) = edited(tmp.path(), &["ndr"], CAND_NDR);
    let direct = real_root(
        &bundle,
        &["assess", &inventory, &product, "--format", "json"],
    )
    .ok()
    .json();
    let swap = format!("ndr={CAND_NDR}");
    let doc = real_root(
        &bundle,
        &["compare", EX01, "--replace", &swap, "--format", "json"],
    )
    .ok()
    .json();
    let r = &doc["replacements"][0];
    assert_eq!(arr(&doc["replacements"]).len(), 1);
    assert_eq!(r["old"], "ndr");
    assert_eq!(
        r["old_name"],
        "RevealX 360 (network detection and response)"
    );
    assert_eq!(r["new"], CAND_NDR);
    assert_eq!(r["new_name"], "Packetwise Sentry NDR");
    assert_eq!(r["new_capabilities"], json!(["ndr-candidate"]));
    assert_eq!(r["overall_after"], direct["overall"]);
    assert_eq!(r["weighted_after"], direct["overall_weighted"]);
    assert!(close(
        num(&r["change"]),
        num(&direct["overall"]) - num(&doc["baseline"]["overall"])
    ));
    // The swap loses a little: 0.189207 against 0.199216 (measured), as the README says.
    assert!(num(&r["change"]) < 0.0);
    // 58,000 EUR (candidate-ndr.yaml) - 95,000 EUR (ndr in example 01).
    assert_eq!(
        r["annual_cost_change"],
        json!({"annual": -37_000.0, "currency": "EUR"})
    );
    // What the candidate does not bring back (example 02's README).
    let lost: Vec<&str> = arr(&r["fall_to_zero"])
        .iter()
        .map(|l| l["id"].as_str().expect("id"))
        .collect();
    for id in ["T1482", "T1090.001", "T1557.002"] {
        assert!(lost.contains(&id), "{id} not in {lost:?}");
    }
    // Every leaf that falls to zero is covered in the baseline and not after, per `assess`.
    for id in &lost {
        assert_eq!(technique(&direct, id)["score"], 0.0, "{id}");
    }
    // Nothing else is printed for a swap alone.
    assert_eq!(doc["candidates"], json!([]));
    assert_eq!(doc["head_to_head"], Value::Null);

    let table = real_root(&bundle, &["compare", EX01, "--replace", &swap])
        .ok()
        .stdout;
    assert!(
        table.contains(&format!(
            "\nreplace ndr (RevealX 360 (network detection and response)) by Packetwise Sentry NDR ({CAND_NDR}): overall {} ({:+.1} pts)",
            percent(num(&r["overall_after"])),
            num(&r["change"]) * 100.0
        )),
        "{table}"
    );
    assert!(
        table.contains("annual cost change: -37,000 EUR\n"),
        "{table}"
    );
}

/// A swap whose NEW is a capability id of the inventory, and the refusals: OLD not counted,
/// no `=`, CSV.
#[test]
fn replace_by_id_and_refusals() {
    let Some(bundle) = e18() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    let inventory = write(
        tmp.path(),
        "with-candidate.yaml",
        &(repo_text(EX01) + WITH_CANDIDATE),
    );
    let inventory = s(&inventory);
    let doc = real_root(
        &bundle,
        &[
            "compare",
            inventory,
            "--replace",
            "vulnmgmt=screen-guard",
            "--format",
            "json",
        ],
    )
    .ok()
    .json();
    let r = &doc["replacements"][0];
    assert_eq!(
        (&r["old"], &r["new"], &r["new_name"]),
        (
            &json!("vulnmgmt"),
            &json!("screen-guard"),
            &json!("Screen Guard")
        )
    );
    // 8,160 - 46,000 EUR.
    assert_eq!(r["annual_cost_change"]["annual"], -37_840.0);
    let newly: Vec<&str> = arr(&r["newly_covered"])
        .iter()
        .map(|l| l["id"].as_str().expect("id"))
        .collect();
    assert!(newly.contains(&"T1113"), "{newly:?}");

    real_root(
        &bundle,
        &["compare", EX01, "--replace", "nope=xdr-candidate"],
    )
    .fails()
    .stderr_has(&[
        "--replace: `nope` is not a capability counted in examples/01-midsize-company/inventory.yaml",
        "hint: OLD is the id of a capability the baseline counts: edr, siem,",
    ]);
    real_root(&bundle, &["compare", EX01, "--replace", "ndr"])
        .fails()
        .stderr_has(&["--replace `ndr` is not OLD=NEW"]);
    real_root(
        &bundle,
        &[
            "compare",
            EX01,
            "--replace",
            &format!("ndr={CAND_NDR}"),
            "--format",
            "csv",
        ],
    )
    .fails()
    .stderr_has(&["`--replace` has no CSV output"]);
}

/// In-scope leaves with a score above 0 in an assessment.
fn covered(doc: &Value) -> BTreeSet<String> {
    arr(&doc["techniques"])
        .iter()
        .filter(|t| t["leaf"] == true && t["in_scope"] == true && num(&t["score"]) > 0.0)
        .map(|t| t["id"].as_str().expect("id").to_string())
        .collect()
}

/// The head-to-head of example 02 is set algebra over what each candidate covers on its own:
/// computed here from two `covmap assess` runs of example 01 with every deployed capability
/// retired and one candidate deployed (its scope, its own coverage only).
#[test]
fn head_to_head_of_example_02() {
    let Some(bundle) = e18() else {
        return;
    };
    let deployed = [
        "edr",
        "siem",
        "email-gateway",
        "swg",
        "idp",
        "pam",
        "backup",
        "vulnmgmt",
        "ndr",
        "cspm",
    ];
    let alone = |candidate: &str| {
        let tmp = tempfile::tempdir().expect("temp dir");
        let (inventory, product) = edited(tmp.path(), &deployed, candidate);
        let doc = real_root(
            &bundle,
            &["assess", &inventory, &product, "--format", "json"],
        )
        .ok()
        .json();
        assert_eq!(arr(&doc["capabilities"]).len(), deployed.len() + 1);
        covered(&doc)
    };
    let (xdr, ndr) = (alone(CAND_EDR), alone(CAND_NDR));
    let args = EXAMPLE_02;
    let doc = real_root(&bundle, &[&args[..], &["--format", "json"]].concat())
        .ok()
        .json();
    let h = &doc["head_to_head"];
    let ids = |list: &Value| -> BTreeSet<String> {
        arr(list)
            .iter()
            .map(|l| l["id"].as_str().expect("id").to_string())
            .collect()
    };
    let (x, n) = (&h["candidates"][0], &h["candidates"][1]);
    assert_eq!(x["label"], CAND_EDR);
    assert_eq!(n["name"], "Packetwise Sentry NDR");
    assert_eq!(x["covers"], json!(xdr.len()));
    assert_eq!(n["covers"], json!(ndr.len()));
    assert_eq!(ids(&x["unique"]), &xdr - &ndr);
    assert_eq!(ids(&n["unique"]), &ndr - &xdr);
    assert_eq!(ids(&h["shared"]), &xdr & &ndr);
    // Computed independently with python3 from the raw files: the active attack-patterns of
    // enterprise-attack-18.1.json (leaves: sub-techniques and parents without any), in scope when
    // their x_mitre_platforms meet example 01's scope platforms and neither they nor their
    // parent is excluded (T1200, T1669); a candidate covers a leaf when one of its YAML
    // `detect`/`protect` entries names it (a parent only with include_subtechniques) on a
    // platform of the leaf, the scope, the entry and the capability. XDR 151, NDR 33, both 10.
    assert_eq!((xdr.len(), ndr.len(), (&xdr & &ndr).len()), (151, 33, 10));
    assert_eq!(
        h["pairs"],
        json!([{"a": CAND_EDR, "b": CAND_NDR, "a_only": 141, "b_only": 23, "both": 10}])
    );
    // A unique leaf counts as a gain when it rises by a point or more over the baseline.
    for d in [x, n] {
        let gains = arr(&d["unique"])
            .iter()
            .filter(|l| num(&l["after"]) - num(&l["before"]) >= 0.01 - 1e-9)
            .count();
        assert_eq!(d["unique_gains"], json!(gains));
    }
}
