//! The inventory commands: validate, assess, gaps, compare, threats, check, schema.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use covmap_assess::check::{CheckOptions, check};
use covmap_assess::compare::{Candidate, Comparison, compare};
use covmap_assess::gaps::{GapOptions, gaps};
use covmap_assess::inventory::{Capability, Status};
use covmap_assess::score::{AssessOptions, Assessment, assess};
use covmap_assess::threats::{ThreatOptions, threat_coverage};
use serde_json::json;

use crate::cli::{ExtraStatus, Format, InventoryArgs, ReportArgs, SourceArgs};
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

fn options(args: &InventoryArgs) -> AssessOptions {
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
        report_cmd::write_set(
            dir,
            &loaded.attack,
            &assessment,
            None,
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
    let c = &a.counts;
    let _ = writeln!(
        out,
        "techniques in scope {} (out of scope {}): high {}, medium {}, low {}, none {}\n",
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
            "techniques",
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
                format!("{:.3}", g.score),
                covmap_assess::score::weight_label(g.weight),
                format!("{:.3}", g.gap_priority),
                ids(&g.mitigations),
                g.threats
                    .iter()
                    .map(|t| t.id.as_str())
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
    format: Format,
    source: &SourceArgs,
) -> Result<()> {
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

/// Splits `--candidate` values into capability ids of the inventory and inventory files.
fn candidate_sources(values: &[String]) -> (Vec<String>, Vec<PathBuf>) {
    let mut ids = Vec::new();
    let mut files = Vec::new();
    for value in values {
        let path = Path::new(value);
        let yaml = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
        if path.is_file() || yaml {
            files.push(path.to_path_buf());
        } else {
            ids.push(value.clone());
        }
    }
    (ids, files)
}

/// `covmap compare`.
#[allow(clippy::too_many_lines)] // candidates from ids and files, three output formats
pub(crate) fn run_compare(
    args: &InventoryArgs,
    candidates: &[String],
    without: &[String],
    report: (Option<&Path>, &ReportArgs),
    format: Format,
    source: &SourceArgs,
) -> Result<()> {
    if candidates.is_empty() && without.is_empty() {
        bail!(
            "nothing to compare\n  hint: give --candidate ID|FILE (a candidate product) or --without ID (a capability to retire)"
        );
    }
    if format == Format::Csv && !without.is_empty() {
        // The CSV has one row per candidate: a `--without` result would be silently dropped.
        bail!(
            "`--without` has no CSV output (the CSV lists candidates only)\n  hint: use --format table or --format json"
        );
    }
    let (candidate_ids, candidate_files) = candidate_sources(candidates);
    if let (Some(dir), _) = report {
        guard::refuse_stdout_set(dir, "covmap compare")?;
        guard::output_dir(dir, Inputs::new().files(&args.files))?;
    }
    // Candidate files are validated together with the inventory, so that their capabilities
    // share its scope and their ids must not collide with it.
    let mut all_files = args.files.clone();
    all_files.extend(candidate_files.iter().cloned());
    let loaded = inventory::load(&all_files, source)?;
    let mut inventory = loaded.parsed.inventory.clone();
    let from_candidate_file = |c: &Capability| candidate_files.contains(&c.location.path);
    let file_capabilities: Vec<(PathBuf, Vec<Capability>)> = candidate_files
        .iter()
        .map(|f| {
            let caps = inventory
                .capabilities
                .iter()
                .filter(|c| c.location.path == *f)
                .cloned()
                .collect();
            (f.clone(), caps)
        })
        .collect();
    inventory.capabilities.retain(|c| !from_candidate_file(c));
    let mut groups: Vec<(String, Vec<Capability>)> = Vec::new();
    for value in candidates {
        if let Some((path, caps)) = file_capabilities
            .iter()
            .find(|(f, _)| f.as_path() == Path::new(value))
        {
            if caps.is_empty() {
                bail!("{} holds no capability to compare", path.display());
            }
            groups.push((value.clone(), caps.clone()));
            continue;
        }
        if !candidate_ids.contains(value) {
            continue;
        }
        let Some(capability) = inventory.capabilities.iter().find(|c| c.id == *value) else {
            let known: Vec<&str> = inventory
                .capabilities
                .iter()
                .filter(|c| matches!(c.status, Status::Candidate | Status::Planned))
                .map(|c| c.id.as_str())
                .collect();
            bail!(
                "no capability `{value}` in {}\n  hint: candidates in the inventory: {}; or pass an inventory file of the product",
                files_label(&args.files),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            );
        };
        groups.push((value.clone(), vec![capability.clone()]));
    }
    let list: Vec<Candidate<'_>> = groups
        .iter()
        .map(|(label, caps)| Candidate {
            label,
            capabilities: caps,
        })
        .collect();
    let result = compare(&loaded.attack, &inventory, &options(args), &list, without);
    if let (Some(dir), report_args) = report {
        // The reports show the baseline (candidates left out) with the comparison beside it.
        let baseline = assess(&loaded.attack, &inventory, &options(args));
        report_cmd::write_set(
            dir,
            &loaded.attack,
            &baseline,
            Some(&result),
            report_args,
            Inputs::new().loaded(&loaded).files(&all_files),
            true,
        )?;
    }
    match format {
        Format::Json => output::json(&result),
        Format::Table => output::text(&comparison_text(&result)),
        Format::Csv => output::csv(
            &[
                "candidate",
                "capabilities",
                "gain",
                "gain_weighted",
                "newly_covered",
                "improved",
                "overlap",
                "annual_cost",
                "currency",
                "cost_per_point",
            ],
            &result
                .candidates
                .iter()
                .map(|c| {
                    vec![
                        c.label.clone(),
                        c.capabilities.join(", "),
                        format!("{:.6}", c.gain),
                        c.gain_weighted
                            .map_or_else(String::new, |g| format!("{g:.6}")),
                        c.newly_covered.len().to_string(),
                        c.improved.len().to_string(),
                        c.overlap.len().to_string(),
                        c.annual_cost
                            .as_ref()
                            .map_or_else(String::new, |k| format!("{}", k.annual)),
                        c.annual_cost
                            .as_ref()
                            .map_or_else(String::new, |k| k.currency.clone()),
                        c.cost_per_point
                            .map_or_else(String::new, |p| format!("{p:.2}")),
                    ]
                })
                .collect::<Vec<_>>(),
        ),
    }
}

fn points(delta: f64) -> String {
    format!("{:+.1} pts", delta * 100.0)
}

#[allow(clippy::too_many_lines)] // one block per part of the comparison
fn comparison_text(result: &Comparison) -> String {
    let mut out = String::new();
    let weighted = result
        .baseline
        .overall_weighted
        .map_or_else(String::new, |w| format!(", threat-weighted {}", percent(w)));
    let _ = writeln!(
        out,
        "baseline: overall {}{weighted}\n",
        percent(result.baseline.overall)
    );
    if !result.candidates.is_empty() {
        let rows: Vec<Vec<String>> = result
            .candidates
            .iter()
            .map(|c| {
                vec![
                    c.label.clone(),
                    points(c.gain),
                    c.gain_weighted.map_or_else(String::new, points),
                    c.newly_covered.len().to_string(),
                    c.improved.len().to_string(),
                    c.overlap.len().to_string(),
                    c.annual_cost
                        .as_ref()
                        .map_or_else(String::new, |k| format!("{:.0} {}", k.annual, k.currency)),
                    match (&c.annual_cost, c.cost_per_point) {
                        (Some(k), Some(p)) => format!("{p:.0} {}", k.currency),
                        _ => String::new(),
                    },
                ]
            })
            .collect();
        out.push_str(&output::render_table(
            &[
                "candidate",
                "gain",
                "weighted gain",
                "newly covered",
                "improved",
                "overlap",
                "annual cost",
                "cost per point",
            ],
            &rows,
        ));
        for c in &result.candidates {
            let listed: Vec<String> = c
                .newly_covered
                .iter()
                .take(15)
                .map(|l| format!("{} {}", l.id, l.name))
                .collect();
            let more = c.newly_covered.len().saturating_sub(listed.len());
            let _ = writeln!(
                out,
                "\n{}: newly covers {}{}",
                c.label,
                if listed.is_empty() {
                    "nothing".to_string()
                } else {
                    listed.join(", ")
                },
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
        }
    }
    if let Some(w) = &result.without {
        let _ = writeln!(
            out,
            "\nwithout {}: overall {} ({}){}",
            w.removed.join(", "),
            percent(w.after.overall),
            points(-w.drop),
            w.drop_weighted
                .map_or_else(String::new, |d| format!(", threat-weighted {}", points(-d)))
        );
        if !w.not_counted.is_empty() {
            let _ = writeln!(
                out,
                "not counted in the baseline (unknown or not deployed): {}",
                w.not_counted.join(", ")
            );
        }
        let _ = writeln!(
            out,
            "techniques that lose all coverage: {}",
            w.fall_to_zero.len()
        );
        for spof in &w.single_points_of_failure {
            let ids: Vec<&str> = spof.leaves.iter().map(|l| l.id.as_str()).collect();
            let _ = writeln!(
                out,
                "single point of failure {} ({}): the only cover of {} techniques{}{}",
                spof.capability,
                spof.name,
                spof.leaves.len(),
                if ids.is_empty() { "" } else { ": " },
                ids.join(", ")
            );
        }
    }
    out
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
            "{} {} ({:?}): {} techniques in scope of {}; mean score {}, {} covered ({})",
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
                    format!("{:.3}", g.score),
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
            let _ = writeln!(out, "check passed: overall {}", percent(assessment.overall));
        } else {
            let _ = writeln!(out, "check FAILED:");
            for failure in &result.failures {
                let _ = writeln!(out, "  - {failure}");
            }
            for drop in result.dropped.iter().take(20) {
                let _ = writeln!(
                    out,
                    "    {} {}: {:.3} -> {:.3}",
                    drop.id, drop.name, drop.before, drop.after
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
