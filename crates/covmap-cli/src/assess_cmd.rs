//! The inventory commands: validate, assess, gaps, compare, threats, check, schema.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use covmap_assess::check::{CheckOptions, check};
use covmap_assess::gaps::{By, GapOptions, gaps, rollup_gaps};
use covmap_assess::inventory::Status;
use covmap_assess::score::{AssessOptions, Assessment, assess};
use covmap_assess::threats::{ThreatOptions, threat_coverage};
use serde_json::json;

use crate::cli::{ByArg, ExtraStatus, Format, InventoryArgs, ReportArgs, SourceArgs};
use crate::guard::{self, Inputs};
use crate::inventory::{self, Loaded, files_label, plural};
use crate::output::{self, percent};
use crate::report_cmd;

/// The capability statuses that count: deployed, and those of `--include`.
pub(crate) fn counted_statuses(args: &InventoryArgs) -> Vec<Status> {
    let mut include = vec![Status::Deployed];
    for extra in &args.include {
        include.push(match extra {
            ExtraStatus::Planned => Status::Planned,
            ExtraStatus::Candidate => Status::Candidate,
        });
    }
    include
}

pub(crate) fn options(args: &InventoryArgs) -> AssessOptions {
    AssessOptions {
        include: counted_statuses(args),
    }
}

/// Ends a value's life without running its destructor. The process is about to exit; freeing a
/// model of a hundred thousand small allocations one by one only costs time the OS saves.
fn exit_without_freeing<T>(value: T) {
    std::mem::forget(value);
}

/// `covmap validate`.
pub(crate) fn validate(
    files: &[PathBuf],
    strict: bool,
    format: Format,
    source: &SourceArgs,
) -> Result<ExitCode> {
    let loaded = inventory::load_unchecked(files, source)?;
    let diagnostics = &loaded.parsed.diagnostics;
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    // Known before anything is printed, so that a closed stdout keeps it.
    let code = crate::verdict(if errors > 0 {
        2
    } else {
        u8::from(strict && warnings > 0)
    });
    match format {
        Format::Json => output::json(&json!({
            "files": loaded.parsed.inventory.files,
            "errors": errors,
            "warnings": warnings,
            "diagnostics": diagnostics,
        }))?,
        Format::Table | Format::Csv => {
            inventory::print_findings(&loaded, diagnostics);
            for line in &loaded.profile_summaries {
                crate::note!("{line}");
            }
            let inventory = &loaded.parsed.inventory;
            let references: usize = inventory
                .capabilities
                .iter()
                .flat_map(|c| &c.coverage)
                .map(|e| e.techniques.len())
                .sum();
            crate::note!(
                "{}: {}, {}, checked against {} ATT&CK {}: {}, {}",
                files_label(files),
                plural(inventory.capabilities.len(), "capability")
                    .replace("capabilitys", "capabilities"),
                plural(references, "technique reference"),
                loaded.attack.domain_short(),
                loaded.attack.version().unwrap_or("(unknown version)"),
                plural(errors, "error"),
                plural(warnings, "warning"),
            );
        }
    }
    Ok(code)
}

/// `covmap schema`.
pub(crate) fn schema() -> Result<()> {
    output::json(&covmap_assess::schema::inventory_schema())
}

pub(crate) fn assessed(args: &InventoryArgs, source: &SourceArgs) -> Result<(Loaded, Assessment)> {
    let loaded = inventory::load(&args.files, source)?;
    let assessment = assess(&loaded.attack, &loaded.parsed.inventory, &options(args));
    Ok((loaded, assessment))
}

/// `covmap assess`.
pub(crate) fn run_assess(
    args: &InventoryArgs,
    output_dir: Option<&Path>,
    report: &ReportArgs,
    format: Format,
    source: &SourceArgs,
) -> Result<()> {
    if let Some(dir) = output_dir {
        // Refused before the work: the inventories are known now, the rest once loaded.
        guard::refuse_stdout_set(dir, "covmap assess")?;
        guard::output_dir(dir, Inputs::new().files(&args.files))?;
    }
    let (loaded, assessment) = assessed(args, source)?;
    if let Some(dir) = output_dir {
        // plan.csv and the report's "What to do next": the default plan (no budget, no tests).
        // A plan that cannot be made (capability costs in several currencies) leaves out
        // plan.csv and the section, with a note, rather than the whole report set.
        let plan = match crate::plan_cmd::default_plan(args, &loaded) {
            Ok(plan) => Some(plan),
            Err(e) => {
                crate::note!("covmap: no plan.csv and no \"What to do next\" section: {e:#}");
                None
            }
        };
        // telemetry.csv, backlog.csv and the figures of the Telemetry sheet and section: only
        // when the inventory describes telemetry (the sheet and section then say "no telemetry
        // described" instead).
        let telemetry = (!loaded.parsed.inventory.telemetry.is_empty())
            .then(|| crate::telemetry_cmd::report(args, &loaded, &assessment));
        report_cmd::write_set(
            dir,
            &loaded.attack,
            &assessment,
            None,
            plan.as_ref(),
            telemetry.as_ref(),
            report,
            Inputs::new().loaded(&loaded),
            true,
        )?;
    }
    let result = match format {
        Format::Json => output::with_stdout(|out| assessment.write_pretty_json(out)),
        Format::Csv => Err(anyhow::anyhow!(
            "`covmap assess` prints a summary table or the JSON document; for CSV use `covmap gaps --format csv`"
        )),
        Format::Table => summary(&loaded, &assessment).and_then(|text| output::text(&text)),
    };
    exit_without_freeing(loaded);
    exit_without_freeing(assessment);
    result
}

fn summary(loaded: &Loaded, a: &Assessment) -> Result<String> {
    let mut out = String::new();
    let org = a.organization.as_deref().unwrap_or("(no organization)");
    let _ = writeln!(
        out,
        "{org}: {} counted, against {} ATT&CK {}",
        plural(
            a.capabilities.iter().filter(|c| c.counted).count(),
            "capability"
        )
        .replace("capabilitys", "capabilities"),
        a.attack.domain,
        a.attack.version.as_deref().unwrap_or("(unknown version)")
    );
    let weighted = a
        .overall_weighted
        .map_or_else(|| "n/a (no threats in scope)".to_string(), percent);
    let _ = writeln!(
        out,
        "overall {}   threat-weighted {weighted}",
        percent(a.overall)
    );
    let f = &a.functions;
    let _ = writeln!(
        out,
        "by function: detect {}, protect {}, respond {}, visibility {}",
        percent(f.detect),
        percent(f.protect),
        percent(f.respond),
        percent(f.visibility)
    );
    // Derived visibility changes the visibility function: say by how much.
    if let Some(t) = &a.telemetry {
        let _ = writeln!(
            out,
            "telemetry: {} of {} counted, {} of {} analytics feasible; derived visibility on {} techniques in scope, above typed entries on {} (visibility {} from typed entries alone)",
            t.counted,
            plural(t.entries, "entry").replace("entrys", "entries"),
            t.feasible,
            t.analytics,
            t.leaves_visible,
            t.leaves_raised,
            percent(t.visibility_typed)
        );
    }
    let c = &a.counts;
    let _ = writeln!(
        out,
        "techniques and sub-techniques in scope {} (out of scope {}): high {}, medium {}, low {}, none {}\n",
        c.in_scope, c.excluded, c.by_level.high, c.by_level.medium, c.by_level.low, c.by_level.none
    );
    let rows: Vec<Vec<String>> = a
        .tactics
        .iter()
        .map(|t| {
            vec![
                t.shortname.clone(),
                // A tactic with nothing in scope has no score, not a score of 0.
                if t.leaves == 0 {
                    "-".to_string()
                } else {
                    percent(t.score)
                },
                t.score_weighted
                    .filter(|_| t.leaves > 0)
                    .map_or_else(String::new, percent),
                t.leaves.to_string(),
                t.by_level.high.to_string(),
                t.by_level.medium.to_string(),
                t.by_level.low.to_string(),
                t.by_level.none.to_string(),
            ]
        })
        .collect();
    out.push_str(&output::render_table(
        &[
            "tactic",
            "score",
            "weighted",
            "techniques and sub-techniques",
            "high",
            "medium",
            "low",
            "none",
        ],
        &rows,
    ));
    let top = gaps(
        &loaded.attack,
        a,
        &GapOptions {
            top: Some(10),
            tactic: None,
        },
    )?;
    out.push_str("\ntop gaps (priority = threat weight x (1 - score)):\n");
    out.push_str(&gap_table(&top));
    Ok(out)
}

fn gap_rows(list: &[covmap_assess::gaps::Gap], full: bool) -> Vec<Vec<String>> {
    let ids = |items: &[covmap_assess::score::NamedRef]| {
        items
            .iter()
            .map(|m| {
                if full {
                    format!("{} {}", m.id, m.name)
                } else {
                    m.id.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(if full { "; " } else { ", " })
    };
    list.iter()
        .map(|g| {
            let mut row = vec![
                g.rank.to_string(),
                g.id.clone(),
                g.name.clone(),
                g.tactics.join(", "),
                // People read percentages; CSV keeps the fraction.
                if full {
                    format!("{:.3}", g.score)
                } else {
                    percent(g.score)
                },
                covmap_assess::score::weight_label(g.weight),
                format!("{:.3}", g.gap_priority),
                ids(&g.mitigations),
                g.threats
                    .iter()
                    .map(|t| t.id.clone())
                    .chain(
                        g.threat_profiles
                            .iter()
                            .map(|p| format!("profile {}", p.name)),
                    )
                    .collect::<Vec<_>>()
                    .join(", "),
                g.notes.join("; "),
            ];
            if full {
                row.insert(7, g.capabilities.join(", "));
                row.push(ids(&g.detection_strategies));
                row.push(ids(&g.data_components));
                row.push(g.data_sources.join("; "));
            }
            row
        })
        .collect()
}

const GAP_HEADER: [&str; 10] = [
    "rank",
    "id",
    "name",
    "tactics",
    "score",
    "weight",
    "priority",
    "mitigations",
    "threats",
    "notes",
];

fn gap_table(list: &[covmap_assess::gaps::Gap]) -> String {
    output::render_table(&GAP_HEADER, &gap_rows(list, false))
}

/// `covmap gaps`.
pub(crate) fn run_gaps(
    args: &InventoryArgs,
    top: Option<usize>,
    tactic: Option<String>,
    by: Option<ByArg>,
    format: Format,
    source: &SourceArgs,
) -> Result<()> {
    if let Some(by) = by {
        return run_gaps_by(args, by, top, tactic, format, source);
    }
    let (loaded, assessment) = assessed(args, source)?;
    let list = gaps(&loaded.attack, &assessment, &GapOptions { top, tactic })?;
    match format {
        Format::Json => output::json(&list),
        Format::Table => output::text(&gap_table(&list)),
        Format::Csv => output::csv(
            &[
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
            ],
            &gap_rows(&list, true),
        ),
    }
}

/// `covmap gaps --by`: the gaps (of `--tactic`, if given) rolled up by
/// mitigation, data component or tactic; `--top` limits the rows.
fn run_gaps_by(
    args: &InventoryArgs,
    by: ByArg,
    top: Option<usize>,
    tactic: Option<String>,
    format: Format,
    source: &SourceArgs,
) -> Result<()> {
    let (loaded, assessment) = assessed(args, source)?;
    let of_tactic = tactic
        .as_deref()
        .map(|t| format!(" of tactic {t}"))
        .unwrap_or_default();
    let list = gaps(
        &loaded.attack,
        &assessment,
        &GapOptions { top: None, tactic },
    )?;
    // Gaps no row addresses are said, so the rows are not read as the whole gap.
    let (mut rows, unaddressed) = if let Some(by) = by.by() {
        (
            rollup_gaps(&assessment, &list, by),
            list.iter()
                .filter(|g| match by {
                    By::Mitigation => g.mitigations.is_empty(),
                    By::DataComponent => g.data_components.is_empty(),
                    By::Tactic => g.tactics.is_empty(),
                })
                .count(),
        )
    } else {
        let inventory = &loaded.parsed.inventory;
        if inventory.telemetry.is_empty() {
            crate::note!(
                "covmap: no telemetry described (no `telemetry:` section): every log source counts as not collected"
            );
        }
        covmap_assess::onboarding::rollup_by_log_source(
            &loaded.attack,
            inventory,
            &assessment,
            &list,
            &crate::telemetry_cmd::options(args, inventory),
        )
    };
    let total_rows = rows.len();
    if let Some(top) = top {
        rows.truncate(top);
    }
    match format {
        Format::Json => output::json(&rows),
        Format::Table | Format::Csv => {
            let full = format == Format::Csv;
            let table: Vec<Vec<String>> = rows
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let top: Vec<&str> = r.top.iter().map(|t| t.id.as_str()).collect();
                    vec![
                        (i + 1).to_string(),
                        r.id.clone(),
                        r.name.clone(),
                        r.techniques.to_string(),
                        if full {
                            format!("{:.6}", r.priority)
                        } else {
                            format!("{:.3}", r.priority)
                        },
                        top.join(if full { "; " } else { ", " }),
                    ]
                })
                .collect();
            let log_source = by == ByArg::LogSource;
            let header = [
                "rank",
                // CSV names the column `id`, as gaps-by-mitigation.csv does; log-source rows
                // are a name and a channel.
                match (log_source, full) {
                    (true, true) => "log_source",
                    (true, false) => "log source",
                    (false, true) => "id",
                    (false, false) => by.name(),
                },
                if log_source { "channel" } else { "name" },
                "techniques",
                "priority",
                if full { "top" } else { "top gaps" },
            ];
            if full {
                output::csv(&header, &table)
            } else {
                output::table(&header, &table)?;
                crate::note!(
                    "{} in scope{of_tactic}; {} by {}{}; {} addressed by none (priority = threat weight x (1 - score), summed once per leaf)",
                    plural(list.len(), "gap"),
                    plural(total_rows, "row"),
                    by.name(),
                    if rows.len() < total_rows {
                        format!(", {} shown", rows.len())
                    } else {
                        String::new()
                    },
                    unaddressed
                );
                Ok(())
            }
        }
    }
}

/// `covmap threats`.
pub(crate) fn run_threats(
    args: &InventoryArgs,
    group: Option<String>,
    top: usize,
    format: Format,
    source: &SourceArgs,
) -> Result<()> {
    let (loaded, assessment) = assessed(args, source)?;
    if group.is_none() && !assessment.has_threats() {
        bail!(
            "no threats selected in {}\n  hint: add `scope: {{threats: {{groups: [APT29]}}}}` to the inventory, or pass --group NAME_OR_ID",
            files_label(&args.files)
        );
    }
    let list = threat_coverage(
        &loaded.attack,
        &assessment,
        &ThreatOptions {
            actor: group,
            top: Some(top),
        },
    )?;
    match format {
        Format::Json => output::json(&list),
        Format::Csv => output::csv(
            &[
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
                "largest_gaps",
            ],
            &list
                .iter()
                .map(|t| {
                    vec![
                        t.id.clone(),
                        t.name.clone(),
                        format!("{:?}", t.kind).to_lowercase(),
                        t.techniques.to_string(),
                        t.routes.direct.to_string(),
                        t.routes.via_software.to_string(),
                        t.routes.via_campaign.to_string(),
                        t.routes.via_campaign_software.to_string(),
                        t.routes.software_only.to_string(),
                        t.in_scope.to_string(),
                        format!("{:.6}", t.score),
                        t.covered.to_string(),
                        format!("{:.6}", t.covered_share),
                        t.uncovered
                            .iter()
                            .map(|g| g.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ]
                })
                .collect::<Vec<_>>(),
        ),
        Format::Table => output::text(&threats_table(
            &list,
            assessment.scoring.threat_software_factor,
        )),
    }
}

/// The table of `covmap threats`: per threat its heading, how it reaches its techniques (the
/// routes that weigh 1 or the software factor), and its largest gaps.
fn threats_table(list: &[covmap_assess::threats::ThreatCoverage], software_factor: f64) -> String {
    let mut out = String::new();
    for t in list {
        let _ = writeln!(
            out,
            "{} {} ({:?}): {} techniques and sub-techniques in scope of {}; mean score {}, {} covered ({})",
            t.id,
            t.name,
            t.kind,
            t.in_scope,
            t.techniques,
            percent(t.score),
            t.covered,
            percent(t.covered_share)
        );
        let r = &t.routes;
        let _ = writeln!(
            out,
            "  how: {} direct, {} via software, {} via campaigns, {} via campaign software; {} through software only (each weighs {} in threat weights, a direct use 1)",
            r.direct,
            r.via_software,
            r.via_campaign,
            r.via_campaign_software,
            r.software_only,
            covmap_assess::score::weight_label(software_factor),
        );
        let rows: Vec<Vec<String>> = t
            .uncovered
            .iter()
            .map(|g| {
                vec![
                    g.id.clone(),
                    g.name.clone(),
                    g.tactics.join(", "),
                    percent(g.score),
                ]
            })
            .collect();
        if !rows.is_empty() {
            out.push_str(&output::render_table(
                &["id", "name", "tactics", "score"],
                &rows,
            ));
        }
        out.push('\n');
    }
    out
}

/// `covmap check`: 0 passed, 1 failed.
#[allow(clippy::too_many_arguments)] // one per command-line option
pub(crate) fn run_check(
    args: &InventoryArgs,
    min_overall: Option<f64>,
    min_tactic: Option<f64>,
    baseline: Option<&Path>,
    max_drop: Option<f64>,
    format: Format,
    source: &SourceArgs,
) -> Result<ExitCode> {
    for (name, value) in [
        ("--min-overall", min_overall),
        ("--min-tactic", min_tactic),
        ("--max-drop", max_drop),
    ] {
        if let Some(v) = value
            && !(0.0..=1.0).contains(&v)
        {
            bail!("{name} {v} is outside [0, 1]; scores are fractions (0.25 = 25%)");
        }
    }
    if min_overall.is_none() && min_tactic.is_none() && baseline.is_none() {
        bail!(
            "nothing to check\n  hint: give --min-overall X, --min-tactic X or --baseline assessment.json"
        );
    }
    let baseline = baseline.map(report_cmd::read_assessment).transpose()?;
    let (_, assessment) = assessed(args, source)?;
    let result = check(
        &assessment,
        &CheckOptions {
            min_overall,
            min_tactic,
            baseline: baseline.as_ref(),
            max_drop,
        },
    );
    let code = crate::verdict(u8::from(!result.passed));
    if format == Format::Json {
        output::json(&result)?;
    } else {
        let mut out = String::new();
        if result.passed {
            // The pass message shows the figures and the thresholds they passed.
            let _ = match min_overall {
                Some(min) => {
                    let (overall, min) = covmap_assess::check::pct_pair(assessment.overall, min);
                    writeln!(out, "check passed: overall {overall} (minimum {min})")
                }
                None => writeln!(out, "check passed: overall {}", percent(assessment.overall)),
            };
            if let Some(min) = min_tactic
                && let Some(lowest) = assessment
                    .tactics
                    .iter()
                    .filter(|t| t.leaves > 0)
                    .min_by(|a, b| a.score.total_cmp(&b.score))
            {
                let (score, min) = covmap_assess::check::pct_pair(lowest.score, min);
                let _ = writeln!(
                    out,
                    "  lowest tactic in scope: {} {} {score} (minimum {min})",
                    lowest.id, lowest.name
                );
            }
            if let Some(before) = &baseline {
                let _ = writeln!(
                    out,
                    "  against the baseline: {} -> {} ({:+.1} points; largest drop allowed {:.1} points)",
                    percent(before.overall),
                    percent(assessment.overall),
                    (assessment.overall - before.overall) * 100.0,
                    max_drop.unwrap_or(0.0) * 100.0
                );
            }
        } else {
            let _ = writeln!(out, "check FAILED:");
            for failure in &result.failures {
                let _ = writeln!(out, "  - {failure}");
            }
            for drop in result.dropped.iter().take(20) {
                let _ = writeln!(
                    out,
                    "    {} {}: {} -> {}",
                    drop.id,
                    drop.name,
                    percent(drop.before),
                    percent(drop.after)
                );
            }
            if result.dropped.len() > 20 {
                let _ = writeln!(
                    out,
                    "    and {} more (all of them with --format json)",
                    result.dropped.len() - 20
                );
            }
        }
        output::text(&out)?;
    }
    Ok(code)
}
