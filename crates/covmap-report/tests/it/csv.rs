//! Tests of the CSV files: each parses back with the csv crate to exactly the figures of the
//! assessment, in the assessment's order; formula payloads are neutralised; RFC 4180 quoting.

// Floats are compared exactly on purpose: the files hold the assessment's 6-decimal values.
#![allow(clippy::float_cmp)]

use std::collections::{BTreeMap, BTreeSet};

use covmap_assess::score::{Assessment, NamedRef};
use covmap_report::{OutputKind, RenderOptions, ReportInput, protect_cell, render};

use crate::common;

/// The CSV files rendered for `input`, by name.
fn files(input: &ReportInput<'_>) -> BTreeMap<String, Vec<u8>> {
    render(input, &RenderOptions::default(), &[OutputKind::Csv])
        .expect("csv renders")
        .into_iter()
        .map(|f| (f.name, f.bytes))
        .collect()
}

/// A parsed CSV file: its header and its rows as column -> cell.
struct Table {
    header: Vec<String>,
    rows: Vec<BTreeMap<String, String>>,
}

fn parse(bytes: &[u8]) -> Table {
    let mut reader = ::csv::ReaderBuilder::new().from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            let record = r.expect("record parses");
            assert_eq!(record.len(), header.len(), "every row has every column");
            header
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_string))
                .collect()
        })
        .collect();
    Table { header, rows }
}

fn table(files: &BTreeMap<String, Vec<u8>>, name: &str) -> Table {
    parse(
        files
            .get(name)
            .unwrap_or_else(|| panic!("{name} is written")),
    )
}

fn cell<'a>(row: &'a BTreeMap<String, String>, column: &str) -> &'a str {
    row.get(column)
        .unwrap_or_else(|| panic!("column {column}"))
        .as_str()
}

/// A number cell, parsed.
fn num(row: &BTreeMap<String, String>, column: &str) -> f64 {
    let text = cell(row, column);
    text.parse()
        .unwrap_or_else(|e| panic!("{column} = {text:?}: {e}"))
}

/// An optional number cell: empty is `None`.
fn opt_num(row: &BTreeMap<String, String>, column: &str) -> Option<f64> {
    let text = cell(row, column);
    (!text.is_empty()).then(|| num(row, column))
}

fn int(row: &BTreeMap<String, String>, column: &str) -> u64 {
    let text = cell(row, column);
    text.parse()
        .unwrap_or_else(|e| panic!("{column} = {text:?}: {e}"))
}

/// What a text cell must hold for `value`.
fn text_of(value: &str) -> String {
    protect_cell(value).into_owned()
}

fn list_of<S: AsRef<str>>(values: &[S]) -> String {
    text_of(
        &values
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join("; "),
    )
}

fn named_of(values: &[NamedRef]) -> String {
    let list: Vec<String> = values
        .iter()
        .map(|r| format!("{}: {}", r.id, r.name))
        .collect();
    list_of(&list)
}

fn level(level: covmap_assess::params::CoverageLevel) -> &'static str {
    use covmap_assess::params::CoverageLevel;
    match level {
        CoverageLevel::None => "none",
        CoverageLevel::Low => "low",
        CoverageLevel::Medium => "medium",
        CoverageLevel::High => "high",
    }
}

fn check_coverage(assessment: &Assessment, files: &BTreeMap<String, Vec<u8>>) {
    let t = table(files, "coverage.csv");
    assert_eq!(
        t.header,
        [
            "id",
            "name",
            "leaf",
            "parent",
            "tactics",
            "platforms",
            "in_scope",
            "exclusion_reason",
            "score",
            "level",
            "detect",
            "protect",
            "respond",
            "visibility",
            "weight",
            "gap_priority",
            "capabilities",
            "contributions",
            "parent_evidence",
            "parent_level_only",
        ]
    );
    assert_eq!(t.rows.len(), assessment.techniques.len());
    for (row, tech) in t.rows.iter().zip(&assessment.techniques) {
        assert_eq!(cell(row, "id"), tech.id);
        assert_eq!(cell(row, "name"), text_of(&tech.name), "{}", tech.id);
        assert_eq!(cell(row, "leaf"), tech.leaf.to_string());
        assert_eq!(cell(row, "parent"), tech.parent.as_deref().unwrap_or(""));
        assert_eq!(cell(row, "tactics"), list_of(&tech.tactics));
        assert_eq!(cell(row, "platforms"), list_of(&tech.platforms));
        assert_eq!(cell(row, "in_scope"), tech.in_scope.to_string());
        assert_eq!(
            cell(row, "exclusion_reason"),
            text_of(tech.exclusion_reason.as_deref().unwrap_or(""))
        );
        // Exact equality: the file holds the assessment's 6-decimal values.
        assert_eq!(
            num(row, "score").to_bits(),
            tech.score.to_bits(),
            "{}",
            tech.id
        );
        assert_eq!(cell(row, "level"), level(tech.level));
        assert_eq!(num(row, "detect"), tech.functions.detect.score);
        assert_eq!(num(row, "protect"), tech.functions.protect.score);
        assert_eq!(num(row, "respond"), tech.functions.respond.score);
        assert_eq!(num(row, "visibility"), tech.functions.visibility.score);
        assert_eq!(num(row, "weight"), tech.weight);
        assert_eq!(num(row, "gap_priority"), tech.gap_priority);
        let ids: BTreeSet<&str> = tech.capabilities.iter().map(|c| &*c.id).collect();
        assert_eq!(
            cell(row, "capabilities"),
            list_of(&ids.into_iter().collect::<Vec<_>>())
        );
        let contributions: Vec<String> = cell(row, "contributions")
            .split("; ")
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        assert_eq!(contributions.len(), tech.capabilities.len());
        for (text, c) in contributions.iter().zip(&tech.capabilities) {
            let parts: Vec<&str> = text.rsplitn(3, ' ').collect();
            assert_eq!(parts.len(), 3, "{text}");
            assert_eq!(parts[0].parse::<f64>().ok(), Some(c.value), "{text}");
            assert_eq!(parts[1], c.function.as_str());
            assert_eq!(parts[2].trim_start_matches('\''), &*c.id);
        }
        assert_eq!(
            cell(row, "parent_evidence")
                .split("; ")
                .filter(|s| !s.is_empty())
                .count(),
            tech.parent_evidence.len()
        );
        assert_eq!(
            cell(row, "parent_level_only"),
            list_of(&tech.parent_level_only)
        );
    }
}

fn check_tactics(assessment: &Assessment, files: &BTreeMap<String, Vec<u8>>) {
    let t = table(files, "tactics.csv");
    assert_eq!(
        t.header,
        [
            "id",
            "shortname",
            "name",
            "score",
            "score_weighted",
            "leaves",
            "excluded",
            "none",
            "low",
            "medium",
            "high"
        ]
    );
    assert_eq!(t.rows.len(), assessment.tactics.len());
    for (row, tactic) in t.rows.iter().zip(&assessment.tactics) {
        assert_eq!(cell(row, "id"), tactic.id);
        assert_eq!(cell(row, "shortname"), tactic.shortname);
        assert_eq!(cell(row, "name"), text_of(&tactic.name));
        // A tactic with nothing in scope says so instead of a score of 0.
        if tactic.leaves == 0 {
            assert_eq!(cell(row, "score"), "out of scope");
            assert_eq!(cell(row, "score_weighted"), "out of scope");
        } else {
            assert_eq!(num(row, "score"), tactic.score);
            assert_eq!(opt_num(row, "score_weighted"), tactic.score_weighted);
        }
        assert_eq!(int(row, "leaves"), tactic.leaves as u64);
        assert_eq!(int(row, "excluded"), tactic.excluded as u64);
        assert_eq!(int(row, "none"), tactic.by_level.none as u64);
        assert_eq!(int(row, "low"), tactic.by_level.low as u64);
        assert_eq!(int(row, "medium"), tactic.by_level.medium as u64);
        assert_eq!(int(row, "high"), tactic.by_level.high as u64);
    }
    // The per-tactic leaf counts, recounted from the techniques.
    for (row, tactic) in t.rows.iter().zip(&assessment.tactics) {
        let in_scope = assessment
            .techniques
            .iter()
            .filter(|x| x.leaf && x.in_scope && x.tactics.contains(&tactic.shortname))
            .count();
        assert_eq!(int(row, "leaves"), in_scope as u64, "{}", tactic.id);
    }
}

fn check_gaps(input: &ReportInput<'_>, files: &BTreeMap<String, Vec<u8>>) {
    let t = table(files, "gaps.csv");
    assert_eq!(
        t.header,
        [
            "rank",
            "id",
            "name",
            "parent",
            "tactics",
            "platforms",
            "score",
            "level",
            "detect",
            "protect",
            "respond",
            "visibility",
            "weight",
            "gap_priority",
            "capabilities",
            "parent_level_only",
            "notes",
            "mitigations",
            "detection_strategies",
            "data_components",
            "data_sources",
            "threats",
        ]
    );
    assert_eq!(t.rows.len(), input.gaps.len());
    // Independently: the gaps are the leaves in scope below 1.
    let below_one = input
        .assessment
        .leaves_in_scope()
        .filter(|x| x.score < 1.0)
        .count();
    assert_eq!(t.rows.len(), below_one);
    for (row, gap) in t.rows.iter().zip(input.gaps) {
        assert_eq!(int(row, "rank"), gap.rank as u64);
        assert_eq!(cell(row, "id"), gap.id);
        assert_eq!(cell(row, "name"), text_of(&gap.name));
        assert_eq!(cell(row, "tactics"), list_of(&gap.tactics));
        assert_eq!(num(row, "score"), gap.score);
        assert_eq!(num(row, "detect"), gap.functions.detect);
        assert_eq!(num(row, "visibility"), gap.functions.visibility);
        assert_eq!(num(row, "weight"), gap.weight);
        assert_eq!(num(row, "gap_priority"), gap.gap_priority);
        assert_eq!(cell(row, "capabilities"), list_of(&gap.capabilities));
        assert_eq!(cell(row, "notes"), list_of(&gap.notes));
        assert_eq!(cell(row, "mitigations"), named_of(&gap.mitigations));
        assert_eq!(
            cell(row, "detection_strategies"),
            named_of(&gap.detection_strategies)
        );
        let threats: Vec<String> = gap
            .threats
            .iter()
            .map(|x| format!("{}: {}", x.id, x.name))
            .collect();
        assert_eq!(cell(row, "threats"), list_of(&threats));
        // The row agrees with the technique in the assessment.
        let tech = input.assessment.technique(&gap.id).expect("gap technique");
        assert_eq!(num(row, "score"), tech.score);
        assert_eq!(num(row, "gap_priority"), tech.gap_priority);
    }
    let ranks: Vec<u64> = t.rows.iter().map(|r| int(r, "rank")).collect();
    let expected: Vec<u64> = (1..=t.rows.len() as u64).collect();
    assert_eq!(ranks, expected);
}

fn check_capabilities(assessment: &Assessment, files: &BTreeMap<String, Vec<u8>>) {
    let t = table(files, "capabilities.csv");
    assert_eq!(
        t.header,
        [
            "id",
            "name",
            "vendor",
            "status",
            "counted",
            "platforms",
            "annual_cost",
            "currency",
            "owner",
            "tags",
            "entries",
            "leaves_covered",
            "at"
        ]
    );
    assert_eq!(t.rows.len(), assessment.capabilities.len());
    for (row, c) in t.rows.iter().zip(&assessment.capabilities) {
        assert_eq!(cell(row, "id"), text_of(&c.id));
        assert_eq!(cell(row, "name"), text_of(&c.name));
        assert_eq!(
            cell(row, "vendor"),
            text_of(c.vendor.as_deref().unwrap_or(""))
        );
        let status = serde_json::to_value(c.status).expect("status");
        assert_eq!(Some(cell(row, "status")), status.as_str());
        assert_eq!(cell(row, "counted"), c.counted.to_string());
        assert_eq!(cell(row, "platforms"), list_of(&c.platforms));
        assert_eq!(
            opt_num(row, "annual_cost"),
            c.cost.as_ref().map(|k| k.annual)
        );
        assert_eq!(
            cell(row, "currency"),
            c.cost.as_ref().map_or("", |k| k.currency.as_str())
        );
        assert_eq!(
            cell(row, "owner"),
            text_of(c.owner.as_deref().unwrap_or(""))
        );
        assert_eq!(cell(row, "tags"), list_of(&c.tags));
        assert_eq!(int(row, "entries"), c.entries as u64);
        assert_eq!(int(row, "leaves_covered"), c.leaves_covered as u64);
        assert_eq!(cell(row, "at"), text_of(&c.at));
    }
}

/// Plan.csv holds the plan's actions in order, figures as in the plan.
fn check_plan(input: &ReportInput<'_>, files: &BTreeMap<String, Vec<u8>>) {
    let Some(plan) = input.plan else {
        assert!(!files.contains_key("plan.csv"), "no plan, no file");
        return;
    };
    let t = table(files, "plan.csv");
    assert_eq!(
        t.header,
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
            "assumption",
        ]
    );
    assert_eq!(t.rows.len(), plan.actions.len());
    for (row, a) in t.rows.iter().zip(&plan.actions) {
        assert_eq!(int(row, "rank"), a.rank as u64);
        assert_eq!(cell(row, "kind"), a.kind.as_str());
        assert_eq!(cell(row, "id"), text_of(&a.id));
        assert_eq!(cell(row, "name"), text_of(&a.name));
        assert_eq!(opt_num(row, "cost"), a.cost);
        assert_eq!(num(row, "gain"), a.gain);
        assert_eq!(opt_num(row, "weighted_gain"), a.weighted_gain);
        assert_eq!(num(row, "cumulative_overall"), a.cumulative_overall);
        assert_eq!(opt_num(row, "cumulative_weighted"), a.cumulative_weighted);
        assert_eq!(cell(row, "techniques"), list_of(&a.techniques));
        assert_eq!(
            cell(row, "assumption").is_empty(),
            !matches!(
                a.kind,
                covmap_assess::plan::ActionKind::Mitigation
                    | covmap_assess::plan::ActionKind::LogSource
            )
        );
    }
}

fn check_compare(input: &ReportInput<'_>, files: &BTreeMap<String, Vec<u8>>) {
    let Some(comparison) = input.comparison else {
        assert!(!files.contains_key("compare.csv"), "no comparison, no file");
        return;
    };
    let t = table(files, "compare.csv");
    assert_eq!(
        t.header,
        [
            "candidate",
            "label",
            "capabilities",
            "baseline",
            "baseline_weighted",
            "overall_after",
            "overall_weighted_after",
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
            "cost_per_point",
        ]
    );
    assert_eq!(t.rows.len(), comparison.candidates.len());
    for (i, (row, c)) in t.rows.iter().zip(&comparison.candidates).enumerate() {
        assert_eq!(cell(row, "candidate"), text_of(&c.name));
        assert_eq!(cell(row, "label"), text_of(&c.label));
        // The head-to-head columns: empty with a single candidate.
        match comparison.head_to_head.as_ref().map(|h| &h.candidates[i]) {
            Some(d) => {
                assert_eq!(int(row, "covers"), d.covers as u64);
                assert_eq!(int(row, "unique"), d.unique.len() as u64);
                assert_eq!(int(row, "unique_gains"), d.unique_gains as u64);
                let ids: Vec<String> = d.unique.iter().map(|l| l.id.clone()).collect();
                assert_eq!(cell(row, "unique_techniques"), list_of(&ids));
            }
            None => {
                for column in ["covers", "unique", "unique_gains", "unique_techniques"] {
                    assert_eq!(cell(row, column), "", "{column}");
                }
            }
        }
        assert_eq!(cell(row, "capabilities"), list_of(&c.capabilities));
        assert_eq!(num(row, "baseline"), comparison.baseline.overall);
        assert_eq!(
            opt_num(row, "baseline_weighted"),
            comparison.baseline.overall_weighted
        );
        assert_eq!(num(row, "overall_after"), c.after.overall);
        assert_eq!(
            opt_num(row, "overall_weighted_after"),
            c.after.overall_weighted
        );
        assert_eq!(num(row, "gain"), c.gain);
        assert_eq!(opt_num(row, "gain_weighted"), c.gain_weighted);
        assert_eq!(int(row, "newly_covered"), c.newly_covered.len() as u64);
        assert_eq!(int(row, "improved"), c.improved.len() as u64);
        assert_eq!(int(row, "redundant"), c.redundant.len() as u64);
        assert_eq!(
            opt_num(row, "annual_cost"),
            c.annual_cost.as_ref().map(|k| k.annual)
        );
        assert_eq!(
            cell(row, "currency"),
            c.annual_cost.as_ref().map_or("", |k| k.currency.as_str())
        );
        assert_eq!(opt_num(row, "cost_per_point"), c.cost_per_point);
    }
}

/// Every file: CRLF records, no cell a spreadsheet would run.
fn check_safe(files: &BTreeMap<String, Vec<u8>>) {
    for (name, bytes) in files {
        let text = std::str::from_utf8(bytes).expect("UTF-8");
        assert!(text.ends_with("\r\n"), "{name} ends its last record");
        assert!(!text.starts_with('\u{feff}'), "{name}: no byte-order mark");
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes.as_slice());
        for record in reader.records() {
            for value in &record.expect("record") {
                assert!(
                    !value.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{name}: formula cell {value:?}"
                );
            }
        }
    }
}

/// `gaps-by-mitigation.csv`, recomputed from the gaps: per mitigation, the gaps
/// listing it and the sum of their priorities; rows by priority, then count, then ID.
fn check_rollup(input: &ReportInput<'_>, files: &BTreeMap<String, Vec<u8>>) {
    let t = table(files, "gaps-by-mitigation.csv");
    assert_eq!(
        t.header,
        [
            "rank",
            "id",
            "name",
            "techniques",
            "priority",
            "top",
            "top_names"
        ]
    );
    let mut expected: BTreeMap<&str, (&str, Vec<&str>, f64)> = BTreeMap::new();
    for gap in input.gaps {
        for m in &gap.mitigations {
            let row = expected
                .entry(m.id.as_str())
                .or_insert((m.name.as_str(), Vec::new(), 0.0));
            row.1.push(gap.id.as_str());
            row.2 += gap.gap_priority;
        }
    }
    let mut order: Vec<(&str, usize, f64)> = expected
        .iter()
        .map(|(id, (_, list, sum))| (*id, list.len(), *sum))
        .collect();
    order.sort_by(|a, b| {
        b.2.total_cmp(&a.2)
            .then(b.1.cmp(&a.1))
            .then_with(|| a.0.cmp(b.0))
    });
    assert_eq!(t.rows.len(), order.len());
    for (i, (row, (id, count, sum))) in t.rows.iter().zip(&order).enumerate() {
        assert_eq!(int(row, "rank"), i as u64 + 1);
        assert_eq!(cell(row, "id"), *id);
        let (name, list, _) = &expected[id];
        assert_eq!(cell(row, "name"), text_of(name));
        assert_eq!(int(row, "techniques"), *count as u64);
        assert!((num(row, "priority") - sum).abs() < 1e-6, "{id}");
        assert_eq!(cell(row, "top"), list_of(&list[..list.len().min(5)]));
    }
}

fn check_all(input: &ReportInput<'_>) -> BTreeMap<String, Vec<u8>> {
    let files = files(input);
    let mut names: Vec<&str> = vec![
        "coverage.csv",
        "gaps.csv",
        "tactics.csv",
        "capabilities.csv",
        "gaps-by-mitigation.csv",
    ];
    if input.comparison.is_some() {
        names.push("compare.csv");
    }
    if input.plan.is_some() {
        names.push("plan.csv");
    }
    let rendered: Vec<String> = render(input, &RenderOptions::default(), &[OutputKind::Csv])
        .expect("csv renders")
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(rendered, names, "files in their fixed order");
    check_coverage(input.assessment, &files);
    check_gaps(input, &files);
    check_tactics(input.assessment, &files);
    check_capabilities(input.assessment, &files);
    check_compare(input, &files);
    check_rollup(input, &files);
    check_plan(input, &files);
    check_safe(&files);
    assert_eq!(files, self::files(input), "same input, same bytes");
    files
}

fn utf8(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("UTF-8")
}

#[test]
fn full_csv_files_equal_the_assessment() {
    let owned = common::full();
    let input = owned.input();
    let files = check_all(&input);
    // Figures counted independently from the fixture's assessment.
    let a = &owned.assessment;
    let rows = parse(&files["coverage.csv"]).rows;
    let in_scope_leaves = rows
        .iter()
        .filter(|r| cell(r, "leaf") == "true" && cell(r, "in_scope") == "true")
        .count();
    assert_eq!(in_scope_leaves, a.counts.in_scope);
    let mean: f64 = rows
        .iter()
        .filter(|r| cell(r, "leaf") == "true" && cell(r, "in_scope") == "true")
        .map(|r| num(r, "score"))
        .sum::<f64>()
        / in_scope_leaves as f64;
    assert!((mean - a.overall).abs() < 1e-6, "{mean} vs {}", a.overall);
    // The exclusion of T1078 reaches its sub-techniques, with the reason.
    let t1078 = rows
        .iter()
        .find(|r| cell(r, "id") == "T1078")
        .expect("T1078");
    assert_eq!(cell(t1078, "in_scope"), "false");
    assert_eq!(
        cell(t1078, "exclusion_reason"),
        "valid accounts are the identity team's assessment"
    );
    // The EDR's cost is a plain number; the planned gateway is listed, not counted.
    let caps = parse(&files["capabilities.csv"]).rows;
    let edr = caps.iter().find(|r| cell(r, "id") == "edr").expect("edr");
    assert_eq!(cell(edr, "annual_cost"), "120000");
    assert_eq!(cell(edr, "counted"), "true");
    let gateway = caps
        .iter()
        .find(|r| cell(r, "id") == "email-gateway")
        .expect("gateway");
    assert_eq!(cell(gateway, "status"), "planned");
    assert_eq!(cell(gateway, "counted"), "false");

    insta::assert_snapshot!("csv_full_coverage", utf8(&files["coverage.csv"]));
    insta::assert_snapshot!("csv_full_gaps", utf8(&files["gaps.csv"]));
    insta::assert_snapshot!("csv_full_tactics", utf8(&files["tactics.csv"]));
    insta::assert_snapshot!("csv_full_capabilities", utf8(&files["capabilities.csv"]));
}

#[test]
fn example_01_csv_files_equal_the_assessment() {
    let Some(owned) = common::example_01() else {
        return;
    };
    let input = owned.input();
    let files = check_all(&input);
    let compare = parse(&files["compare.csv"]).rows;
    assert_eq!(compare.len(), 2);
    assert_eq!(
        cell(&compare[0], "candidate"),
        "Ironclad XDR Enterprise (endpoint, identity, cloud and M365 modules)"
    );
    assert_eq!(
        cell(&compare[0], "label"),
        "examples/02-compare-candidates/candidate-edr.yaml"
    );
    insta::assert_snapshot!("csv_example_01_coverage", utf8(&files["coverage.csv"]));
    insta::assert_snapshot!("csv_example_01_compare", utf8(&files["compare.csv"]));
}

#[test]
fn hostile_cells_are_neutralised_and_otherwise_unchanged() {
    let owned = common::hostile();
    let input = owned.input();
    let files = check_all(&input);
    let caps = parse(&files["capabilities.csv"]).rows;
    let xss = caps.iter().find(|r| cell(r, "id") == "xss").expect("xss");
    // Formula payloads: one leading quote, the rest byte for byte.
    assert_eq!(
        cell(xss, "owner"),
        "'=HYPERLINK(\"http://example.invalid\",\"click\")"
    );
    assert_eq!(cell(xss, "tags"), "'@SUM(1+1); -2+3; +cmd|' /C calc'!A0");
    // Script payloads are not formulas: unchanged (CSV is not HTML).
    assert_eq!(cell(xss, "name"), "<script>alert(1)</script>");
    assert_eq!(cell(xss, "vendor"), "\"><img src=x onerror=alert(1)>");
    let coverage = parse(&files["coverage.csv"]).rows;
    let t1078 = coverage
        .iter()
        .find(|r| cell(r, "id") == "T1078")
        .expect("T1078");
    assert_eq!(
        cell(t1078, "exclusion_reason"),
        "<script>alert('exclusion')</script>"
    );
    let compare = parse(&files["compare.csv"]).rows;
    assert_eq!(compare.len(), 1);
    // Named by the capability's name: a script payload, unchanged in CSV (not a formula).
    assert_eq!(cell(&compare[0], "candidate"), "<svg onload=alert(3)>");
    assert_eq!(cell(&compare[0], "label"), "candidate-x");
    // The raw bytes: RFC 4180 quoting of the owner (quotes doubled, comma inside quotes).
    let raw = utf8(&files["capabilities.csv"]);
    assert!(
        raw.contains(r#","'=HYPERLINK(""http://example.invalid"",""click"")","#),
        "{raw}"
    );
    insta::assert_snapshot!("csv_hostile_capabilities", raw);
    insta::assert_snapshot!("csv_hostile_compare", utf8(&files["compare.csv"]));
}

#[test]
fn commas_quotes_and_line_breaks_are_quoted_per_rfc_4180() {
    let owned = common::full();
    let mut assessment = owned.assessment.clone();
    let tricky = "line one\r\nline \"two\", with a comma\nand a bare LF";
    assessment.capabilities[0].name = tricky.to_string();
    assessment.capabilities[0].owner = Some("-1+1, \"x\"".to_string());
    let input = ReportInput {
        assessment: &assessment,
        ..owned.input()
    };
    let files = files(&input);
    let raw = utf8(&files["capabilities.csv"]);
    assert!(
        raw.contains("\"line one\r\nline \"\"two\"\", with a comma\nand a bare LF\""),
        "{raw}"
    );
    assert!(raw.contains(",\"'-1+1, \"\"x\"\"\","), "{raw}");
    let rows = parse(&files["capabilities.csv"]).rows;
    assert_eq!(rows.len(), assessment.capabilities.len());
    assert_eq!(cell(&rows[0], "name"), tricky);
    assert_eq!(cell(&rows[0], "owner"), "'-1+1, \"x\"");
    // Every other record is unchanged, and every record ends with CRLF.
    check_capabilities(&assessment, &files);
    let records = raw.matches("\r\n").count();
    // Header + one per capability + the CRLF inside the tricky name.
    assert_eq!(records, 1 + assessment.capabilities.len() + 1);
}

#[test]
fn protect_cell_prefixes_only_formula_starts() {
    for (given, expected) in [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("x=1", "x=1"),
        ("T1059.001", "T1059.001"),
        ("'quoted", "'quoted"),
        ("", ""),
    ] {
        assert_eq!(protect_cell(given), expected, "{given:?}");
    }
}
