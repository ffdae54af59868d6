//! `covmap compare`: candidates added to the baseline, capabilities retired, swaps, and a
//! head-to-head of the candidates.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use covmap_assess::compare::{
    Candidate, CandidateResult, Comparison, HeadToHead, LeafChange, Replacement, ReplacementResult,
    Scenarios, compare_all,
};
use covmap_assess::inventory::{Capability, Cost, Inventory, Status};
use covmap_assess::score::{AssessOptions, assess};

use crate::assess_cmd::counted_statuses;
use crate::cli::{Format, InventoryArgs, ReportArgs, SourceArgs};
use crate::guard::{self, Inputs};
use crate::inventory::{self, files_label};
use crate::output::{self, percent};
use crate::report_cmd;

/// What `covmap compare` is asked to evaluate, as given on the command line.
pub(crate) struct Request<'a> {
    /// `--candidate ID|FILE`.
    pub(crate) candidates: &'a [String],
    /// `--without ID`.
    pub(crate) without: &'a [String],
    /// `--replace OLD=NEW`.
    pub(crate) replace: &'a [String],
}

/// Techniques listed by name in the table before "and N more".
const LISTED: usize = 15;

/// Whether a `--candidate` (or `--replace` NEW) value names an inventory file rather than a
/// capability id: an existing file, or a `.yaml`/`.yml` name (so a missing file is reported as
/// one).
fn is_file(value: &str) -> bool {
    let path = Path::new(value);
    path.is_file()
        || path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

/// Splits `--replace OLD=NEW` at its first `=`.
fn split_replace(value: &str) -> Result<(&str, &str)> {
    match value.split_once('=') {
        Some((old, new)) if !old.trim().is_empty() && !new.trim().is_empty() => {
            Ok((old.trim(), new.trim()))
        }
        _ => bail!(
            "--replace `{value}` is not OLD=NEW\n  hint: give the id of a counted capability, `=`, then a capability id or an inventory file, e.g. --replace ndr=candidate-ndr.yaml"
        ),
    }
}

/// The inventory files among the `--candidate` values and the `--replace` NEWs, each once.
fn product_files(candidates: &[String], swaps: &[(&str, &str)]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = Vec::new();
    for value in candidates
        .iter()
        .map(String::as_str)
        .chain(swaps.iter().map(|(_, new)| *new))
    {
        let path = PathBuf::from(value);
        if is_file(value) && !files.contains(&path) {
            files.push(path);
        }
    }
    files
}

/// Takes the capabilities of the product files out of the inventory (they are never part of the
/// baseline), grouped per file in the order given.
fn take_products(inventory: &mut Inventory, files: &[PathBuf]) -> Vec<(PathBuf, Vec<Capability>)> {
    let by_file = files
        .iter()
        .map(|f| {
            let caps = inventory
                .capabilities
                .iter()
                .filter(|c| *c.location.path == **f)
                .cloned()
                .collect();
            (f.clone(), caps)
        })
        .collect();
    inventory
        .capabilities
        .retain(|c| !files.iter().any(|f| **f == *c.location.path));
    by_file
}

/// `covmap compare`.
pub(crate) fn run_compare(
    args: &InventoryArgs,
    request: &Request<'_>,
    report: (Option<&Path>, &ReportArgs),
    format: Format,
    source: &SourceArgs,
) -> Result<()> {
    if request.candidates.is_empty() && request.without.is_empty() && request.replace.is_empty() {
        bail!(
            "nothing to compare\n  hint: give --candidate ID|FILE (a candidate product), --without ID (a capability to retire) or --replace OLD=NEW (a swap)"
        );
    }
    // The CSV has one row per candidate: a `--without` or `--replace` result would be silently
    // dropped.
    for (given, option) in [
        (request.without, "--without"),
        (request.replace, "--replace"),
    ] {
        if format == Format::Csv && !given.is_empty() {
            bail!(
                "`{option}` has no CSV output (the CSV lists candidates only)\n  hint: use --format table or --format json"
            );
        }
    }
    let swaps: Vec<(&str, &str)> = request
        .replace
        .iter()
        .map(|r| split_replace(r))
        .collect::<Result<_>>()?;
    let files = product_files(request.candidates, &swaps);
    if let (Some(dir), _) = report {
        guard::refuse_stdout_set(dir, "covmap compare")?;
        guard::output_dir(dir, Inputs::new().files(&args.files))?;
    }
    // Candidate files are validated together with the inventory, so that their capabilities
    // share its scope and their ids must not collide with it.
    let mut all_files = args.files.clone();
    all_files.extend(files.iter().cloned());
    let loaded = inventory::load(&all_files, source)?;
    let mut inventory = loaded.parsed.inventory.clone();
    let by_file = take_products(&mut inventory, &files);
    let options = AssessOptions {
        include: counted_statuses(args),
    };
    let resolve = |value: &str| resolve(value, &by_file, &inventory, args);
    let groups: Vec<(String, Vec<Capability>)> = request
        .candidates
        .iter()
        .map(|value| resolve(value).map(|caps| (value.clone(), caps)))
        .collect::<Result<_>>()?;
    let mut swapped: Vec<(&str, String, Vec<Capability>)> = Vec::new();
    for (old, new) in &swaps {
        check_old(old, &inventory, &options, args)?;
        swapped.push((old, (*new).to_string(), resolve(new)?));
    }
    // An id that names no capability at all is most likely a typo: the result lists it as
    // "not counted", and stderr says what was probably meant.
    for id in request.without {
        if !inventory.capabilities.iter().any(|c| &c.id == id) {
            crate::note!(
                "covmap: warning: --without `{id}` names no capability of {}; nothing is taken out for it{}",
                files_label(&args.files),
                did_you_mean(id, inventory.capabilities.iter().map(|c| c.id.as_str()))
            );
        }
    }
    let list: Vec<Candidate<'_>> = groups
        .iter()
        .map(|(label, caps)| Candidate {
            label,
            capabilities: caps,
        })
        .collect();
    let replacements: Vec<Replacement<'_>> = swapped
        .iter()
        .map(|(old, label, caps)| Replacement {
            old,
            new: Candidate {
                label,
                capabilities: caps,
            },
        })
        .collect();
    let result = compare_all(
        &loaded.attack,
        &inventory,
        &options,
        &Scenarios {
            candidates: &list,
            without: request.without,
            replacements: &replacements,
        },
    );
    if let (Some(dir), report_args) = report {
        // The reports show the baseline (candidates left out) with the comparison beside it.
        let baseline = assess(&loaded.attack, &inventory, &options);
        report_cmd::write_set(
            dir,
            &loaded.attack,
            &baseline,
            Some(&result),
            None,
            None,
            report_args,
            Inputs::new().loaded(&loaded).files(&all_files),
            true,
        )?;
    }
    match format {
        Format::Json => output::json(&result),
        Format::Table => output::text(&comparison_text(&result)),
        Format::Csv => output::csv(&CSV_HEADER, &csv_rows(&result)),
    }
}

/// `\n  hint: did you mean `ID`?` for the capability id closest to `value`, or nothing when
/// none is close enough to be a typo.
fn did_you_mean<'a>(value: &str, ids: impl IntoIterator<Item = &'a str>) -> String {
    let value = value.trim().to_lowercase();
    ids.into_iter()
        .map(|id| (strsim::jaro_winkler(&value, &id.to_lowercase()), id))
        .filter(|(similarity, _)| *similarity >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map_or_else(String::new, |(_, id)| {
            format!("\n  hint: did you mean `{id}`?")
        })
}

/// The capabilities a `--candidate` or `--replace` NEW value names: those of an inventory file
/// given, or the one capability of the inventory with that id.
fn resolve(
    value: &str,
    by_file: &[(PathBuf, Vec<Capability>)],
    inventory: &Inventory,
    args: &InventoryArgs,
) -> Result<Vec<Capability>> {
    if let Some((path, caps)) = by_file
        .iter()
        .find(|(f, _)| f.as_path() == Path::new(value))
    {
        if caps.is_empty() {
            bail!("{} holds no capability to compare", path.display());
        }
        return Ok(caps.clone());
    }
    let Some(capability) = inventory.capabilities.iter().find(|c| c.id == value) else {
        let known: Vec<&str> = inventory
            .capabilities
            .iter()
            .filter(|c| matches!(c.status, Status::Candidate | Status::Planned))
            .map(|c| c.id.as_str())
            .collect();
        let ids = inventory.capabilities.iter().map(|c| c.id.as_str());
        bail!(
            "no capability `{value}` in {}{}\n  hint: candidates in the inventory: {}; or pass an inventory file of the product",
            files_label(&args.files),
            did_you_mean(value, ids),
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        );
    };
    Ok(vec![capability.clone()])
}

/// A `--replace` OLD must be a capability the baseline counts: retiring anything else would
/// change nothing and print a swap that is not one.
fn check_old(
    old: &str,
    inventory: &Inventory,
    options: &AssessOptions,
    args: &InventoryArgs,
) -> Result<()> {
    let counted = inventory
        .capabilities
        .iter()
        .any(|c| c.id == old && options.counts(c.status));
    if !counted {
        let ids: Vec<&str> = inventory
            .capabilities
            .iter()
            .filter(|c| options.counts(c.status))
            .map(|c| c.id.as_str())
            .collect();
        bail!(
            "--replace: `{old}` is not a capability counted in {}{}\n  hint: OLD is the id of a capability the baseline counts: {}",
            files_label(&args.files),
            did_you_mean(old, ids.iter().copied()),
            if ids.is_empty() {
                "none".to_string()
            } else {
                ids.join(", ")
            }
        );
    }
    Ok(())
}

/// The columns of `compare --format csv`; `covers` to `unique_techniques` are the head-to-head
/// (empty with a single candidate).
const CSV_HEADER: [&str; 15] = [
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
    "cost_per_point",
];

fn csv_rows(result: &Comparison) -> Vec<Vec<String>> {
    result
        .candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let distinct = result
                .head_to_head
                .as_ref()
                .and_then(|h| h.candidates.get(i));
            vec![
                c.name.clone(),
                c.label.clone(),
                c.capabilities.join(", "),
                format!("{:.6}", c.gain),
                c.gain_weighted
                    .map_or_else(String::new, |g| format!("{g:.6}")),
                c.newly_covered.len().to_string(),
                c.improved.len().to_string(),
                c.redundant.len().to_string(),
                distinct.map_or_else(String::new, |d| d.covers.to_string()),
                distinct.map_or_else(String::new, |d| d.unique.len().to_string()),
                distinct.map_or_else(String::new, |d| d.unique_gains.to_string()),
                distinct.map_or_else(String::new, |d| {
                    d.unique
                        .iter()
                        .map(|l| l.id.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                }),
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
        .collect()
}

fn points(delta: f64) -> String {
    format!("{:+.1} pts", delta * 100.0)
}

/// `ID name` of the first [`LISTED`] leaves, then "and N more"; "nothing" when empty.
fn listed(leaves: &[LeafChange]) -> String {
    if leaves.is_empty() {
        return "nothing".to_string();
    }
    let shown: Vec<String> = leaves
        .iter()
        .take(LISTED)
        .map(|l| format!("{} {}", l.id, l.name))
        .collect();
    let more = leaves.len() - shown.len();
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// A candidate as the table names it: its name, then what was given when that differs.
fn called(name: &str, label: &str) -> String {
    if name == label {
        name.to_string()
    } else {
        format!("{name} ({label})")
    }
}

fn cost_text(cost: Option<&Cost>) -> String {
    cost.map_or_else(String::new, |k| {
        format!("{} {}", output::money(k.annual), k.currency)
    })
}

fn candidates_text(out: &mut String, candidates: &[CandidateResult]) {
    let rows: Vec<Vec<String>> = candidates
        .iter()
        .map(|c| {
            vec![
                c.name.clone(),
                if c.label == c.name {
                    String::new()
                } else {
                    c.label.clone()
                },
                points(c.gain),
                c.gain_weighted.map_or_else(String::new, points),
                c.newly_covered.len().to_string(),
                c.improved.len().to_string(),
                c.redundant.len().to_string(),
                cost_text(c.annual_cost.as_ref()),
                match (&c.annual_cost, c.cost_per_point) {
                    (Some(k), Some(p)) => format!("{} {}", output::money(p), k.currency),
                    _ => String::new(),
                },
            ]
        })
        .collect();
    out.push_str(&output::render_table(
        &[
            "candidate",
            "from",
            "gain",
            "weighted gain",
            "newly covered",
            "improved",
            "redundant",
            "annual cost",
            "cost per point",
        ],
        &rows,
    ));
    let _ = writeln!(
        out,
        "\nimproved: an already covered technique rises by a point or more; redundant: covered already, the candidate covers it too and it rises by less"
    );
    for c in candidates {
        let _ = writeln!(
            out,
            "\n{}: newly covers {}",
            called(&c.name, &c.label),
            listed(&c.newly_covered)
        );
    }
}

fn head_to_head_text(out: &mut String, h: &HeadToHead) {
    let _ = writeln!(
        out,
        "\nhead to head: techniques in scope each candidate covers on its own that the others do not"
    );
    let rows: Vec<Vec<String>> = h
        .candidates
        .iter()
        .map(|d| {
            vec![
                d.name.clone(),
                d.covers.to_string(),
                d.unique.len().to_string(),
                d.unique_gains.to_string(),
            ]
        })
        .collect();
    out.push_str(&output::render_table(
        &["candidate", "covers", "only it covers", "of which gains"],
        &rows,
    ));
    let _ = writeln!(out, "covered by all of them: {}", h.shared.len());
    if h.candidates.len() > 2 {
        for p in &h.pairs {
            let _ = writeln!(
                out,
                "{} vs {}: {} only the first, {} only the second, {} both",
                p.a, p.b, p.a_only, p.b_only, p.both
            );
        }
    }
    for d in &h.candidates {
        let _ = writeln!(
            out,
            "\nonly {} covers: {}",
            called(&d.name, &d.label),
            listed(&d.unique)
        );
    }
}

fn replacement_text(out: &mut String, r: &ReplacementResult, baseline_weighted: bool) {
    let _ = writeln!(
        out,
        "\nreplace {} ({}) by {}: overall {} ({}){}",
        r.old,
        r.old_name,
        called(&r.new_name, &r.new),
        percent(r.overall_after),
        points(r.change),
        match (r.weighted_after, r.change_weighted) {
            (Some(w), Some(c)) if baseline_weighted =>
                format!(", threat-weighted {} ({})", percent(w), points(c)),
            _ => String::new(),
        }
    );
    if let Some(cost) = &r.annual_cost_change {
        let _ = writeln!(
            out,
            "annual cost change: {} {}",
            output::signed_money(cost.annual),
            cost.currency
        );
    } else {
        let _ = writeln!(
            out,
            "annual cost change: unknown (a cost is missing on either side, or the currencies differ)"
        );
    }
    let _ = writeln!(
        out,
        "newly covered {}, improved {}, weakened {}, losing all coverage {}",
        r.newly_covered.len(),
        r.improved.len(),
        r.weakened.len(),
        r.fall_to_zero.len()
    );
    if !r.fall_to_zero.is_empty() {
        let _ = writeln!(out, "lose all coverage: {}", listed(&r.fall_to_zero));
    }
    if !r.newly_covered.is_empty() {
        let _ = writeln!(out, "newly covered: {}", listed(&r.newly_covered));
    }
}

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
        candidates_text(&mut out, &result.candidates);
    }
    if let Some(h) = &result.head_to_head {
        head_to_head_text(&mut out, h);
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
    for r in &result.replacements {
        replacement_text(&mut out, r, result.baseline.overall_weighted.is_some());
    }
    out
}
