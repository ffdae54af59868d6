//! `covmap plan`: the next best actions under a budget (covmap_assess::plan does the work).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Result, bail};
use covmap_assess::plan::{ActionKind, AtomicIndex, Plan, PlanOptions, plan};
use covmap_import::atomic;

use crate::assess_cmd::options;
use crate::cli::{Format, InventoryArgs, SourceArgs};
use crate::inventory::{self, Loaded};
use crate::output;

/// The plan `assess -o` writes (plan.csv, report.html): no budget, no test actions.
pub(crate) fn default_plan(args: &InventoryArgs, loaded: &Loaded) -> Result<Plan> {
    let options = PlanOptions {
        assess: options(args),
        ..PlanOptions::default()
    };
    Ok(plan(&loaded.attack, &loaded.parsed.inventory, &options)?)
}

/// The Atomic Red Team index of `dir`: technique ID -> platforms with a test.
fn atomic_index(dir: &Path) -> Result<AtomicIndex> {
    if !dir.is_dir() {
        bail!(
            "{} is not a folder\n  hint: pass Atomic Red Team's `atomics/` folder (one TNNNN/TNNNN.yaml per technique)",
            dir.display()
        );
    }
    let atomics = atomic::load(dir);
    for finding in &atomics.findings {
        crate::note!("covmap: {finding}");
    }
    if atomics.files_read == 0 {
        bail!(
            "no Atomic Red Team technique file in {}\n  hint: pass the `atomics/` folder of a clone of redcanaryco/atomic-red-team",
            dir.display()
        );
    }
    Ok(atomics
        .tests
        .iter()
        .map(|(id, tests)| {
            let platforms = tests.iter().flat_map(|t| t.platforms.iter().cloned());
            (id.clone(), platforms.collect())
        })
        .collect())
}

/// Runs `covmap plan`.
pub(crate) fn run(
    args: &InventoryArgs,
    budget: Option<f64>,
    atomics: Option<&Path>,
    top: Option<usize>,
    format: Format,
    source: &SourceArgs,
) -> Result<()> {
    if let Some(b) = budget
        && !(b.is_finite() && b >= 0.0)
    {
        bail!(
            "--budget {b} is not an amount\n  hint: give the yearly budget as a number from 0 up, e.g. --budget 100000"
        );
    }
    let atomics = atomics.map(atomic_index).transpose()?;
    let loaded = inventory::load(&args.files, source)?;
    let options = PlanOptions {
        assess: options(args),
        budget,
        top,
        atomics,
    };
    let plan = plan(&loaded.attack, &loaded.parsed.inventory, &options)?;
    if plan
        .actions
        .iter()
        .any(|a| a.kind == ActionKind::Mitigation)
    {
        crate::note!(
            "covmap: mitigation actions are assumptions ({}); set `plan.mitigation_level` and `plan.costs` in the inventory",
            plan.mitigation_assumption
        );
    }
    if plan.actions.iter().any(|a| a.kind == ActionKind::LogSource) {
        crate::note!(
            "covmap: log-source actions are assumptions ({}); set `plan.analytic_level` and `plan.costs` in the inventory",
            plan.log_source_assumption
        );
    }
    for note in &plan.notes {
        crate::note!("covmap: {note}");
    }
    match format {
        Format::Json => output::json(&plan),
        Format::Csv => {
            let (header, rows) = covmap_report::plan_rows(&plan);
            output::csv(&header, &rows)
        }
        Format::Table => output::text(&table(&plan)),
    }
}

/// A signed change of a score in percentage points.
fn points(x: f64) -> String {
    format!("{:+.2}", x * 100.0)
}

/// A cost for people, with thousands separators; `-` when unknown.
fn money(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_string(), output::money)
}

/// The table view: baseline, the actions with their cumulative coverage, the spending.
fn table(plan: &Plan) -> String {
    let mut out = String::new();
    let weighted = plan
        .baseline
        .overall_weighted
        .map(|w| format!(", threat-weighted {}", output::percent(w)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "Baseline: overall {}{weighted}",
        output::percent(plan.baseline.overall)
    );
    if plan.actions.is_empty() {
        out.push_str("No action raises coverage.\n");
    } else {
        let rows: Vec<Vec<String>> = plan
            .actions
            .iter()
            .map(|a| {
                let name = if matches!(a.kind, ActionKind::Mitigation | ActionKind::LogSource) {
                    format!("{} (what-if)", a.name)
                } else {
                    a.name.clone()
                };
                vec![
                    a.rank.to_string(),
                    a.kind.as_str().to_string(),
                    a.id.clone(),
                    name,
                    money(a.cost),
                    points(a.gain),
                    a.weighted_gain.map_or_else(|| "-".to_string(), points),
                    output::percent(a.cumulative_overall),
                    a.cumulative_weighted
                        .map_or_else(|| "-".to_string(), output::percent),
                    a.techniques.len().to_string(),
                ]
            })
            .collect();
        out.push('\n');
        out.push_str(&output::render_table(
            &[
                "#",
                "kind",
                "id",
                "name",
                "cost",
                "gain (pts)",
                "weighted (pts)",
                "overall after",
                "weighted after",
                "techniques",
            ],
            &rows,
        ));
    }
    out.push('\n');
    let _ = match plan.budget {
        Some(budget) => writeln!(
            out,
            "Spent: {} of a budget of {}",
            output::money(plan.spent),
            output::money(budget)
        ),
        None => writeln!(out, "Spent: {} (no budget)", output::money(plan.spent)),
    };
    if plan
        .actions
        .iter()
        .any(|a| a.kind == ActionKind::Mitigation)
    {
        let _ = writeln!(out, "Mitigations are {}.", plan.mitigation_assumption);
    }
    if plan.actions.iter().any(|a| a.kind == ActionKind::LogSource) {
        let _ = writeln!(out, "Log sources are {}.", plan.log_source_assumption);
    }
    out
}
