//! Tests of `summary.md`: the headline figures, gaps and actions as the
//! assessment has them, the change against a baseline, single points of failure equal to what
//! `covmap compare --without` finds by re-scoring without each capability, and inventory text
//! that cannot break the Markdown.

use covmap_assess::compare::{Scenarios, compare_all};
use covmap_assess::parse::{SourceFile, ValidationContext, parse_inventories};
use covmap_assess::score::AssessOptions;
use covmap_core::Attack;
use covmap_report::{OutputKind, RenderOptions, ReportInput};

use crate::common::{self, DATE, Owned};

fn render(input: &ReportInput<'_>) -> String {
    let files = covmap_report::render(input, &RenderOptions::default(), &[OutputKind::Md])
        .expect("renders");
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].name, "summary.md");
    String::from_utf8(files[0].bytes.clone()).expect("UTF-8")
}

/// The rows of the Markdown table under the heading `## {title}`, split into cells (an escaped
/// `\|` is not a separator).
fn table(md: &str, title: &str) -> Vec<Vec<String>> {
    let section = md
        .split(&format!("## {title}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("no section {title} in\n{md}"));
    let section = section.split("\n## ").next().unwrap_or_default();
    section
        .lines()
        .filter(|l| l.starts_with("| "))
        .skip(2) // header and rule
        .map(|l| {
            let inner = &l[2..l.len() - 2];
            let mut cells = vec![String::new()];
            let mut chars = inner.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(next) = chars.next() {
                            cells.last_mut().expect("a cell").push(next);
                        }
                    }
                    '|' => cells.push(String::new()),
                    c => cells.last_mut().expect("a cell").push(c),
                }
            }
            cells.iter().map(|c| c.trim().to_string()).collect()
        })
        .collect()
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn check_figures(owned: &Owned) {
    let a = &owned.assessment;
    let md = render(&owned.input());
    assert!(md.contains(&format!("Date: {DATE}")), "{md}");
    let coverage = table(&md, "Coverage");
    assert_eq!(coverage[0], ["Overall".to_string(), pct(a.overall)]);
    match a.overall_weighted {
        Some(w) => assert_eq!(coverage[1], ["Threat-weighted".to_string(), pct(w)]),
        None => assert_eq!(coverage.len(), 1),
    }
    assert!(md.contains(&format!(
        "mean score of the {} techniques and sub-techniques in scope",
        a.counts.in_scope
    )));
    // The gaps in rank order, the first ten.
    let gaps = table(&md, "Top gaps");
    assert_eq!(gaps.len(), owned.gaps.len().min(10));
    for (row, gap) in gaps.iter().zip(&owned.gaps) {
        assert_eq!(row[0], gap.rank.to_string());
        assert_eq!(row[1], format!("{} {}", gap.id, gap.name));
        assert_eq!(row[3], pct(gap.score));
        assert_eq!(row[4], format!("{:.2}", gap.gap_priority));
    }
    // The plan's first five actions, with the cumulative overall.
    if let Some(plan) = &owned.plan
        && !plan.actions.is_empty()
    {
        let actions = table(&md, "Top actions");
        assert_eq!(actions.len(), plan.actions.len().min(5));
        for (row, action) in actions.iter().zip(&plan.actions) {
            assert_eq!(row[0], action.rank.to_string());
            assert!(row[1].contains(&action.name), "{row:?}");
            assert_eq!(row[3], format!("{:+.1} points", action.gain * 100.0));
            assert_eq!(row[4], pct(action.cumulative_overall));
        }
    }
}

/// The single points of failure of summary.md equal, capability by capability, those of
/// `compare --without ID` (which re-scores the inventory without it).
fn check_single_points(attack: &Attack, files: &[&str], owned: &Owned) {
    let root = common::repo_root();
    let sources: Vec<SourceFile> = files
        .iter()
        .map(|f| SourceFile::new(*f, std::fs::read(root.join(f)).expect("inventory")))
        .collect();
    let inventory = parse_inventories(&sources, attack, &ValidationContext::default()).inventory;
    let mut expected: Vec<(String, usize, Vec<String>)> = Vec::new();
    for cap in owned.assessment.capabilities.iter().filter(|c| c.counted) {
        let without = [cap.id.clone()];
        let comparison = compare_all(
            attack,
            &inventory,
            &AssessOptions::default(),
            &Scenarios {
                candidates: &[],
                without: &without,
                replacements: &[],
            },
        );
        let w = comparison.without.expect("a without result");
        for spof in w.single_points_of_failure {
            if !spof.leaves.is_empty() {
                let mut ids: Vec<String> = spof.leaves.iter().map(|l| l.id.clone()).collect();
                ids.sort();
                expected.push((spof.name, ids.len(), ids));
            }
        }
    }
    expected.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let md = render(&owned.input());
    let rows = table(&md, "Single points of failure");
    assert_eq!(rows.len(), expected.len().min(10), "{md}");
    for (row, (name, n, ids)) in rows.iter().zip(&expected) {
        assert_eq!(row[0], *name);
        assert_eq!(row[1], n.to_string());
        let shown: Vec<&str> = row[2].split(", ").collect();
        let listed = ids.len().min(8);
        assert_eq!(
            shown[..listed],
            ids[..listed].iter().map(String::as_str).collect::<Vec<_>>()[..]
        );
    }
}

#[test]
fn full_summary() {
    let owned = common::full();
    check_figures(owned);
    check_single_points(
        common::mini(),
        &["fixtures/inventory/good/full.yaml"],
        owned,
    );
}

/// Example 01 against the real enterprise 18.1 bundle. The figures, counted independently by
/// `covmap compare examples/01-midsize-company/inventory.yaml --without ID --format json` for
/// each capability: edr 63, siem 17, ndr 15, cspm 8, email-gateway 7, vulnmgmt 6, idp 5, swg 5,
/// pam 2, backup 0 leaves covered by it alone.
#[test]
fn example_01_summary() {
    let (Some(owned), Some(attack)) = (common::example_01(), common::enterprise_18()) else {
        return;
    };
    check_figures(owned);
    check_single_points(
        attack,
        &["examples/01-midsize-company/inventory.yaml"],
        owned,
    );
    let md = render(&owned.input());
    let counts: Vec<String> = table(&md, "Single points of failure")
        .into_iter()
        .map(|r| r[1].clone())
        .collect();
    assert_eq!(counts, ["63", "17", "15", "8", "7", "6", "5", "5", "2"]);
    assert!(md.contains("128 covered techniques and sub-techniques lose all coverage"));
}

#[test]
fn the_change_against_a_baseline() {
    let owned = common::full();
    let mut before = owned.assessment.clone();
    before.overall -= 0.032;
    before.overall_weighted = before.overall_weighted.map(|w| w + 0.01);
    // One leaf in scope had more coverage before.
    let leaf = before
        .techniques
        .iter_mut()
        .find(|t| t.leaf && t.in_scope && t.score > 0.0)
        .expect("a covered leaf");
    leaf.score = 1.0;
    let input = ReportInput {
        baseline: Some(&before),
        ..owned.input()
    };
    let md = render(&input);
    let coverage = table(&md, "Coverage");
    let a = &owned.assessment;
    assert_eq!(
        coverage[0],
        [
            "Overall".to_string(),
            pct(a.overall),
            pct(a.overall - 0.032),
            "+3.2 points".to_string()
        ]
    );
    let w = a.overall_weighted.expect("threats selected");
    assert_eq!(
        coverage[1],
        [
            "Threat-weighted".to_string(),
            pct(w),
            pct(w + 0.01),
            "-1.0 points".to_string()
        ]
    );
    assert!(
        md.contains(": 0 techniques and sub-techniques rose, 1 fell (0 of them to no coverage)."),
        "{md}"
    );
    // Without a baseline, no change column.
    assert!(!render(&owned.input()).contains("Baseline"));
}

#[test]
fn inventory_text_cannot_break_the_markdown() {
    let owned = common::hostile();
    let md = render(&owned.input());
    for line in md.lines().filter(|l| l.starts_with("| ")) {
        assert!(line.ends_with(" |"), "{line}");
    }
    // Every table row has as many unescaped separators as its header.
    for section in md.split("\n## ").skip(1) {
        let rows: Vec<&str> = section.lines().filter(|l| l.starts_with("| ")).collect();
        let seps = |l: &str| {
            let mut n = 0;
            let mut escaped = false;
            for c in l.chars() {
                match (escaped, c) {
                    (false, '\\') => escaped = true,
                    (false, '|') => n += 1,
                    _ => escaped = false,
                }
            }
            n
        };
        if let Some(first) = rows.first() {
            assert!(rows.iter().all(|r| seps(r) == seps(first)), "{section}");
        }
    }
    // No raw HTML from the inventory reaches the file: every `<` is escaped.
    assert!(md.contains("\\<"), "the hostile inventory has markup: {md}");
    assert!(
        md.match_indices('<')
            .all(|(at, _)| md[..at].ends_with('\\')),
        "{md}"
    );
    assert_eq!(md, render(&owned.input()), "deterministic");
}
