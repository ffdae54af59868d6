//! `covmap tests`: Atomic Red Team tests for the inventory's untested coverage claims.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Result, bail};
use covmap_import::atomic::{self, LeafReadiness, Readiness};

use crate::assess_cmd::counted_statuses;
use crate::cli::{Format, InventoryArgs, SourceArgs};
use crate::inventory;
use crate::output;

/// How many tests the table names per technique before counting the rest.
const NAMED_TESTS: usize = 3;

/// Runs `covmap tests`.
pub(crate) fn run(
    args: &InventoryArgs,
    atomics_dir: &Path,
    format: Format,
    source: &SourceArgs,
) -> Result<()> {
    if !atomics_dir.is_dir() {
        bail!(
            "{} is not a folder\n  hint: pass Atomic Red Team's `atomics/` folder (one TNNNN/TNNNN.yaml per technique)",
            atomics_dir.display()
        );
    }
    let loaded = inventory::load(&args.files, source)?;
    let atomics = atomic::load(atomics_dir);
    for finding in &atomics.findings {
        crate::note!("covmap: {finding}");
    }
    if atomics.files_read == 0 {
        bail!(
            "no Atomic Red Team technique file in {}\n  hint: pass the `atomics/` folder of a clone of redcanaryco/atomic-red-team",
            atomics_dir.display()
        );
    }
    let readiness = atomic::readiness(
        &loaded.parsed.inventory,
        &loaded.attack,
        &atomics,
        &counted_statuses(args),
    );
    let tests: usize = atomics.tests.values().map(Vec::len).sum();
    crate::note!(
        "covmap: {} atomic tests of {} techniques read from {} files; {} covered leaves: {} tested, {} with untested claims and atomic tests, {} with untested claims and no atomic test",
        tests,
        atomics.tests.len(),
        atomics.files_read,
        readiness.tested + readiness.testable.len() + readiness.untestable.len(),
        readiness.tested,
        readiness.testable.len(),
        readiness.untestable.len()
    );
    // The readiness is complete: a closed stdout no longer changes the exit code.
    crate::verdict(0);
    match format {
        Format::Json => output::json(&readiness),
        Format::Csv => output::csv(
            &[
                "status",
                "technique",
                "name",
                "claims",
                "platforms",
                "tests",
                "test_guids",
                "test_names",
            ],
            &rows(&readiness),
        ),
        Format::Table => output::text(&table(&readiness)),
    }
}

fn claims(leaf: &LeafReadiness) -> String {
    leaf.claims
        .iter()
        .map(|c| {
            format!(
                "{} ({} {})",
                c.capability,
                c.function.as_str(),
                serde_json::to_value(c.confidence)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn platforms(leaf: &LeafReadiness) -> String {
    let mut all: Vec<&str> = leaf
        .claims
        .iter()
        .flat_map(|c| c.platforms.iter().map(String::as_str))
        .collect();
    all.sort_unstable();
    all.dedup();
    all.join(", ")
}

fn rows(readiness: &Readiness) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for (status, list) in [
        ("testable", &readiness.testable),
        ("no atomic test", &readiness.untestable),
    ] {
        for leaf in list {
            rows.push(vec![
                status.to_string(),
                leaf.technique.clone(),
                leaf.name.clone(),
                claims(leaf),
                platforms(leaf),
                leaf.tests.len().to_string(),
                leaf.tests
                    .iter()
                    .map(|t| t.guid.clone().unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(" "),
                leaf.tests
                    .iter()
                    .map(|t| t.name.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            ]);
        }
    }
    rows
}

fn table(readiness: &Readiness) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Untested claims with Atomic Red Team tests on their platforms ({}):",
        readiness.testable.len()
    );
    let rows: Vec<Vec<String>> = readiness
        .testable
        .iter()
        .map(|leaf| {
            let mut tests: Vec<String> = leaf
                .tests
                .iter()
                .take(NAMED_TESTS)
                .map(|t| match &t.guid {
                    Some(guid) => format!("{} [{}]", t.name, guid.get(..8).unwrap_or(guid)),
                    None => t.name.clone(),
                })
                .collect();
            if leaf.tests.len() > NAMED_TESTS {
                tests.push(format!("+{} more", leaf.tests.len() - NAMED_TESTS));
            }
            vec![
                leaf.technique.clone(),
                leaf.name.clone(),
                claims(leaf),
                platforms(leaf),
                leaf.tests.len().to_string(),
                tests.join("; "),
            ]
        })
        .collect();
    out.push_str(&output::render_table(
        &[
            "technique",
            "name",
            "untested claims",
            "platforms",
            "tests",
            "atomic tests",
        ],
        &rows,
    ));
    let _ = writeln!(
        out,
        "\nCovered leaves with untested claims and no atomic test on their platforms ({}):",
        readiness.untestable.len()
    );
    let rows: Vec<Vec<String>> = readiness
        .untestable
        .iter()
        .map(|leaf| {
            vec![
                leaf.technique.clone(),
                leaf.name.clone(),
                claims(leaf),
                platforms(leaf),
                leaf.other_platform_tests.to_string(),
            ]
        })
        .collect();
    out.push_str(&output::render_table(
        &[
            "technique",
            "name",
            "untested claims",
            "platforms",
            "tests on other platforms",
        ],
        &rows,
    ));
    out
}
