//! Report sets: `assess -o`, `report`, `compare -o` and `export navigator`, on example 01 with
//! real enterprise 18.1 and on the synthetic bundle.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::common::Env;
use crate::inv::{CAND_EDR, CAND_NDR, EX01, e18, percent, real_root, real_root_cmd, root_mini, s};

/// The files `assess -o` writes for example 01 (which selects threats) with every output.
const FULL_SET: [&str; 20] = [
    "assessment.json",
    "heatmap.svg",
    "heatmap-full.svg",
    "chart-tactics.svg",
    "chart-threats.svg",
    "heatmap.png",
    "heatmap-full.png",
    "coverage.csv",
    "gaps.csv",
    "tactics.csv",
    "capabilities.csv",
    "gaps-by-mitigation.csv",
    "plan.csv",
    "telemetry.csv",
    "backlog.csv",
    "coverage.xlsx",
    "layer.json",
    "layer-visibility.json",
    "report.html",
    "summary.md",
];

/// Every file of a directory, by name (sorted).
pub(crate) fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("output dir")
        .map(|e| {
            let e = e.expect("entry");
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("read output"),
            )
        })
        .collect()
}

/// report.html of `assess -o` without "What to do next" (its section and its link) and the
/// printed summary's "Top actions": what
/// `covmap report` renders from the saved assessment, which has no inventory to plan with.
pub(crate) fn without_plan_section(html: &[u8]) -> Vec<u8> {
    let html = String::from_utf8(html.to_vec()).expect("UTF-8");
    let link = r##"<a href="#plan">What to do next</a>"##;
    assert_eq!(html.matches(link).count(), 1);
    let start = html.find(r#"<section id="plan">"#).expect("plan section");
    let end = start + html[start..].find("</section>").expect("section end") + "</section>".len();
    let html = format!("{}{}", &html[..start], &html[end..]).replacen(link, "", 1);
    // The printed summary's "Top actions" list (there when the plan has an action).
    let Some(start) = html.find(r#"<div id="exec-actions">"#) else {
        return html.into_bytes();
    };
    let end = start + html[start..].find("</table></div>").expect("list end") + 14;
    format!("{}{}", &html[..start], &html[end..]).into_bytes()
}

/// report.html without its Telemetry section, whose content needs the inventory.
fn without_telemetry_section(html: &[u8]) -> Vec<u8> {
    let html = String::from_utf8(html.to_vec()).expect("UTF-8");
    let start = html
        .find(r#"<section id="telemetry">"#)
        .expect("telemetry section");
    let end = start + html[start..].find("</section>").expect("section end") + "</section>".len();
    format!("{}{}", &html[..start], &html[end..]).into_bytes()
}

/// summary.md of `assess -o` without its "Top actions" section: what `covmap
/// report` renders from the saved assessment, which has no inventory to plan with.
pub(crate) fn without_actions_section(md: &[u8]) -> Vec<u8> {
    let md = String::from_utf8(md.to_vec()).expect("UTF-8");
    let start = md.find("\n## Top actions\n").expect("actions section");
    let end = start + 1 + md[start + 1..].find("\n## ").expect("a section after it");
    format!("{}{}", &md[..start], &md[end..]).into_bytes()
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|n| (*n).to_string()).collect();
    v.sort();
    v
}

#[test]
fn assess_writes_the_full_set_deterministically() {
    let Some(bundle) = e18() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    let json = real_root(&bundle, &["assess", EX01, "--format", "json"])
        .ok()
        .stdout;
    let table = real_root(&bundle, &["assess", EX01]).ok().stdout;
    let mut sets = Vec::new();
    for name in ["first", "second", "first"] {
        let dir = tmp.path().join(name);
        let out = real_root(&bundle, &["assess", EX01, "-o", s(&dir)]).ok_noisy();
        assert!(
            out.stderr
                .starts_with(&format!("covmap: wrote 20 files to {}: ", dir.display())),
            "{}",
            out.stderr
        );
        // With -o, stdout still carries the summary.
        assert_eq!(out.stdout, table);
        sets.push(files(&dir));
    }
    let names: Vec<String> = sets[0].keys().cloned().collect();
    // The set and its manifest (issue 16).
    assert_eq!(
        names,
        sorted(&[&FULL_SET[..], &[".covmap-manifest.json"]].concat()),
        "no other file, no temporary file"
    );
    assert_eq!(
        sets[0]["assessment.json"],
        json.as_bytes(),
        "-o writes the --format json document"
    );
    assert_eq!(sets[1], sets[0], "a second run writes the same bytes");
    assert_eq!(sets[2], sets[0], "overwriting writes the same bytes");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(tmp.path().join("first/report.html"))
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o044,
            0o044,
            "outputs are readable by others: {mode:o}"
        );
    }
    // The report of the saved assessment is the same set, without assessment.json.
    let again = tmp.path().join("again");
    real_root(
        &bundle,
        &[
            "report",
            s(&tmp.path().join("first/assessment.json")),
            "-o",
            s(&again),
        ],
    )
    .ok_noisy();
    let mut expected = sets[0].clone();
    expected.remove("assessment.json");
    // The manifests differ by assessment.json's entry.
    expected.remove(".covmap-manifest.json");
    // A saved assessment has no inventory to plan with: no plan.csv, and report.html
    // is the same page without "What to do next" (its section and its link).
    expected.remove("plan.csv");
    let without = without_plan_section(&expected["report.html"]);
    expected.insert("report.html".to_string(), without);
    let without = without_actions_section(&expected["summary.md"]);
    expected.insert("summary.md".to_string(), without);
    // Nor to analyse its telemetry with: no telemetry.csv or backlog.csv, and the Telemetry
    // section of report.html and sheet of coverage.xlsx say that the analysis needs the
    // inventory (checked in telemetry.rs); the rest of report.html is the same.
    expected.remove("telemetry.csv");
    expected.remove("backlog.csv");
    expected.remove("coverage.xlsx");
    let without = without_telemetry_section(&expected["report.html"]);
    expected.insert("report.html".to_string(), without);
    let mut rendered = files(&again);
    rendered.remove(".covmap-manifest.json");
    rendered.remove("coverage.xlsx");
    let without = without_telemetry_section(&rendered["report.html"]);
    rendered.insert("report.html".to_string(), without);
    assert_eq!(rendered, expected, "`report` re-renders the same files");
}

#[test]
fn outputs_selects_files_and_dates_come_from_the_command_line() {
    let env = Env::new();
    let dir = env.cache().join("out");
    let file = "fixtures/inventory/good/full.yaml";
    root_mini(
        &env,
        &[
            "assess",
            file,
            "-o",
            s(&dir),
            "--outputs",
            "csv,layer",
            "--layer-per-function",
        ],
    )
    .ok_noisy();
    let names: Vec<String> = files(&dir).into_keys().collect();
    assert_eq!(
        names,
        sorted(&[
            ".covmap-manifest.json",
            "assessment.json",
            "capabilities.csv",
            "coverage.csv",
            "gaps-by-mitigation.csv",
            "gaps.csv",
            "layer-detect.json",
            "layer-protect.json",
            "layer-respond.json",
            "layer-visibility.json",
            "layer.json",
            "plan.csv",
            "tactics.csv",
        ])
    );

    // `--date`, else SOURCE_DATE_EPOCH, else today; `--date none` shows none.
    let html = |args: &[&str], epoch: Option<&str>| {
        let dir = env.cache().join("html");
        let mut cmd = env.cmd();
        cmd.current_dir(crate::common::repo_root())
            .arg("--attack")
            .arg(crate::common::fixture("mini-attack-2.1.json"))
            .args(["assess", file, "-o", s(&dir), "--outputs", "html"])
            .args(args);
        match epoch {
            Some(epoch) => cmd.env("SOURCE_DATE_EPOCH", epoch),
            None => cmd.env_remove("SOURCE_DATE_EPOCH"),
        };
        let out = cmd.output().expect("run covmap");
        assert!(out.status.success(), "{out:?}");
        std::fs::read_to_string(dir.join("report.html")).expect("report.html")
    };
    let report_date = |html: &str| {
        let at = html.find("<th>Report date</th><td>")?;
        html.get(at + 24..at + 34).map(str::to_string)
    };
    assert_eq!(
        report_date(&html(&["--date", "none"], Some("1795305600"))),
        None
    );
    assert_eq!(
        report_date(&html(&["--date", "2026-11-22"], None)).as_deref(),
        Some("2026-11-22")
    );
    // 1795305600 = 2026-11-22T00:00:00Z.
    assert_eq!(
        report_date(&html(&[], Some("1795305600"))).as_deref(),
        Some("2026-11-22")
    );
    // Without either: today, in the system's time zone (read before and after, in case the
    // run crosses midnight).
    let today = || {
        let out = std::process::Command::new("date")
            .arg("+%Y-%m-%d")
            .output()
            .expect("date runs");
        String::from_utf8(out.stdout)
            .expect("UTF-8")
            .trim()
            .to_string()
    };
    let before = today();
    let shown = report_date(&html(&[], None)).expect("a date by default");
    assert!(shown == before || shown == today(), "{shown} is not today");

    root_mini(
        &env,
        &["assess", file, "-o", s(&dir), "--date", "22/11/2026"],
    )
    .fails()
    .stderr_has(&["--date \"22/11/2026\" is not a date", "YYYY-MM-DD"]);
    root_mini(
        &env,
        &["assess", file, "-o", s(&dir), "--palette", "rainbow"],
    )
    .fails()
    .stderr_has(&["unknown palette; choose one of cividis"]);
}

/// `--outputs md` writes summary.md alone; `--baseline` adds the change against an
/// earlier assessment; a baseline is an input, never written over.
#[test]
fn summary_md_shows_the_change_against_a_baseline() {
    let env = Env::new();
    let file = "fixtures/inventory/good/full.yaml";
    let first = env.cache().join("first");
    root_mini(&env, &["assess", file, "-o", s(&first)]).ok_noisy();
    let doc: serde_json::Value = serde_json::from_slice(
        &std::fs::read(first.join("assessment.json")).expect("assessment.json"),
    )
    .expect("JSON");
    let overall = doc["overall"].as_f64().expect("overall");
    // The baseline: the same document with a lower overall score.
    let mut before = doc.clone();
    before["overall"] = serde_json::json!(overall - 0.05);
    let baseline = env.cache().join("baseline.json");
    std::fs::write(&baseline, before.to_string()).expect("write the baseline");
    let second = env.cache().join("second");
    root_mini(
        &env,
        &[
            "assess",
            file,
            "-o",
            s(&second),
            "--outputs",
            "md",
            "--baseline",
            s(&baseline),
        ],
    )
    .ok_noisy();
    let names: Vec<String> = files(&second).into_keys().collect();
    assert_eq!(
        names,
        [".covmap-manifest.json", "assessment.json", "summary.md"]
    );
    let md = std::fs::read_to_string(second.join("summary.md")).expect("summary.md");
    assert!(
        md.starts_with("# ATT&CK coverage: Example Corp\n\nDate: 2026-12-06"),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "| Overall | {} | {} | +5.0 points |",
            percent(overall),
            percent(overall - 0.05)
        )),
        "{md}"
    );
    // Writing assessment.json over the baseline is refused, before anything is written.
    root_mini(
        &env,
        &[
            "assess",
            file,
            "-o",
            s(&first),
            "--baseline",
            s(&first.join("assessment.json")),
        ],
    )
    .fails()
    .stderr_has(&["assessment.json is one of the inputs; covmap never overwrites its inputs"]);
}

#[test]
fn report_needs_an_assessment_document() {
    let env = Env::new();
    let dir = env.cache().join("out");
    let bogus = env.cache().join("bogus.json");
    std::fs::write(&bogus, "{\"format\": 1,\n \"covmap_version\": 3}").expect("write");
    root_mini(&env, &["report", s(&bogus), "-o", s(&dir)])
        .fails()
        .stderr_has(&[
            &format!("{}:2:", bogus.display()),
            "not an assessment.json written by covmap assess",
            "hint: write one with `covmap assess INVENTORY -o DIR`",
        ]);
    assert!(!dir.exists());
    root_mini(&env, &["report", s(env.cache()), "-o", s(&dir)])
        .fails()
        .stderr_has(&["is a directory; pass the assessment.json inside it"]);
}

#[test]
fn compare_writes_the_comparison_outputs() {
    let Some(bundle) = e18() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("cmp");
    let mut cmd = real_root_cmd(&bundle);
    cmd.args([
        "compare",
        EX01,
        "--candidate",
        CAND_EDR,
        "--candidate",
        CAND_NDR,
        "--replace",
        &format!("ndr={CAND_NDR}"),
        "--format",
        "json",
        "-o",
        s(&dir),
        "--outputs",
        "svg,csv,html",
    ]);
    let out = cmd.output().expect("run covmap");
    assert!(out.status.success(), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let written = files(&dir);
    for name in [
        "compare.csv",
        "chart-compare.svg",
        "heatmap-compare-1.svg",
        "heatmap-compare-2.svg",
        "report.html",
    ] {
        assert!(
            written.contains_key(name),
            "{name} missing: {:?}",
            written.keys()
        );
    }
    // compare.csv holds the candidates of the JSON, in order: name, then label.
    let mut reader = csv::Reader::from_reader(written["compare.csv"].as_slice());
    let labels: Vec<[String; 2]> = reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            [r[0].to_string(), r[1].to_string()]
        })
        .collect();
    let expected: Vec<[String; 2]> = doc["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .map(|c| {
            [
                c["name"].as_str().expect("name").to_string(),
                c["label"].as_str().expect("label").to_string(),
            ]
        })
        .collect();
    assert_eq!(labels, expected);
    // report.html's comparison section has the head-to-head of the two candidates.
    let html = String::from_utf8_lossy(&written["report.html"]);
    assert!(html.contains(r#"id="head-to-head""#));
    // ... and the swap, with the figures of the JSON.
    let swap = &doc["replacements"][0];
    assert!(html.contains(&format!(
        r#"<div class="replacement" data-old="ndr" data-new="{CAND_NDR}"><h3>Replacing RevealX 360 (network detection and response) by Packetwise Sentry NDR</h3><p>Coverage would be <strong>{}</strong>"#,
        percent(swap["overall_after"].as_f64().expect("a number"))
    )));
    // The baseline of the reports is the deployed inventory: the same as `assess`.
    let assessed: Value = serde_json::from_slice(&written["assessment.json"]).expect("json");
    let direct = real_root(&bundle, &["assess", EX01, "--format", "json"])
        .ok()
        .json();
    assert_eq!(assessed["overall"], direct["overall"]);
}

#[test]
fn export_navigator_prints_the_layer() {
    let env = Env::new();
    let file = "fixtures/inventory/good/full.yaml";
    let dir = env.cache().join("set");
    root_mini(&env, &["assess", file, "-o", s(&dir), "--outputs", "layer"]).ok_noisy();
    let printed = root_mini(&env, &["export", "navigator", file]).ok().stdout;
    let layer = std::fs::read_to_string(dir.join("layer.json")).expect("layer.json");
    assert_eq!(
        printed, layer,
        "export navigator prints assess's layer.json"
    );
    let doc: Value = serde_json::from_str(&printed).expect("JSON");
    assert_eq!(doc["versions"]["layer"], "4.5");
    assert_eq!(doc["domain"], "enterprise-attack");
    // The gradient follows --palette, as assess -o's layer.json does: the
    // cividis stops by default (score 0 dark blue), viridis's when asked, the same in both.
    assert_eq!(
        doc["gradient"]["colors"],
        serde_json::json!(["#002051", "#7f7b74", "#fde945"])
    );
    let viridis = root_mini(&env, &["export", "navigator", file, "--palette", "viridis"])
        .ok()
        .stdout;
    let viridis: Value = serde_json::from_str(&viridis).expect("JSON");
    assert_eq!(
        viridis["gradient"]["colors"],
        serde_json::json!(["#440154", "#20908c", "#fde725"])
    );
    let set = env.cache().join("set-viridis");
    root_mini(
        &env,
        &[
            "assess",
            file,
            "-o",
            s(&set),
            "--outputs",
            "layer",
            "--palette",
            "viridis",
        ],
    )
    .ok_noisy();
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(set.join("layer.json")).expect("layer.json"))
            .expect("JSON");
    assert_eq!(written["gradient"], viridis["gradient"]);

    let target = env.cache().join("detect.json");
    root_mini(
        &env,
        &[
            "export",
            "navigator",
            file,
            "--function",
            "detect",
            "-o",
            s(&target),
        ],
    )
    .ok_noisy()
    .stderr_has(&["covmap: wrote"]);
    root_mini(
        &env,
        &[
            "assess",
            file,
            "-o",
            s(&dir),
            "--outputs",
            "layer",
            "--layer-per-function",
        ],
    )
    .ok_noisy();
    assert_eq!(
        std::fs::read_to_string(&target).expect("written"),
        std::fs::read_to_string(dir.join("layer-detect.json")).expect("layer-detect.json"),
        "--function detect is the detect layer"
    );
    // The inventory itself is never a target.
    root_mini(&env, &["export", "navigator", file, "-o", file])
        .fails()
        .stderr_has(&["is one of the inputs; covmap never overwrites its inputs"]);
}
