//! `covmap import`: other tools' artefacts written as an inventory, with a summary on stderr.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{Result, bail};
use covmap_assess::inventory::{Confidence, Function, ImportFormat, Level, NamedLevel, Status};
use covmap_import::request::{Outcome, Request};
use covmap_import::rules::LevelRule;
use covmap_import::write::{WriteOptions, inventory_yaml};

use crate::bundle;
use crate::cli::{ConfidenceArg, FunctionArg, ImportArgs, ImportFormatArg, SourceArgs, StatusArg};
use crate::guard::{self, Inputs};
use crate::output;

/// How many findings the summary prints before counting the rest.
const SHOWN_FINDINGS: usize = 50;

/// Runs `covmap import`.
pub(crate) fn run(args: &ImportArgs, source: &SourceArgs) -> Result<ExitCode> {
    let format = format_of(args.format);
    // `-o -` is stdout, as no `-o`.
    let output_path = args.output.as_deref().filter(|p| !guard::is_stdout(p));
    let mut inputs = Inputs::new();
    for path in &args.paths {
        inputs.path(path);
    }
    if let Some(output) = output_path {
        guard::output_file(output, &inputs)?;
    }
    let request = Request {
        format: Some(format),
        paths: args.paths.clone(),
        id: args.id.clone(),
        name: args.name.clone(),
        statuses: args.status.clone(),
        function: args.function.map(function_of),
        group_by: args.group_by.clone(),
        level: args.level.as_deref().map(parse_level).transpose()?,
        level_rule: args
            .level_rule
            .as_deref()
            .map(LevelRule::parse)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--level-rule: {e}"))?,
    };
    let bundle_source = bundle::locate(source)?;
    let target = match output_path {
        Some(output) => Some(guard::output_file(
            output,
            inputs.maybe_file(bundle_source.path()),
        )?),
        None => None,
    };
    let attack = bundle::load_source(&bundle_source, source)?;
    let outcome = request.run(&attack).map_err(|e| {
        anyhow::anyhow!("{e}\n  hint: `covmap import --help` lists what each format takes")
    })?;
    crate::term::eprint(&summary(format, &outcome));
    let imported = &outcome.imported;
    if imported.capabilities.is_empty()
        && imported.telemetry.is_empty()
        && !imported.findings.is_empty()
    {
        // Each bad file alone is a finding, but when nothing at all could be imported there is
        // nothing to write: an empty inventory would read as "no coverage", not "bad input".
        bail!(
            "nothing could be imported (findings above); nothing written\n  hint: check the \
             paths and the format (`covmap import auto` detects it per file)"
        );
    }
    let findings = outcome.imported.findings.len();
    if args.strict && findings > 0 {
        crate::note!("covmap: --strict: the import has findings; nothing written");
        return Ok(crate::verdict(1));
    }
    // Past the `--strict` gate: the verdict is success whatever happens to stdout.
    crate::verdict(0);
    let options = WriteOptions {
        command: command_line(),
        confidence: args.confidence.map(confidence_of),
        status: args.capability_status.map(status_of),
    };
    let yaml = inventory_yaml(&outcome, &attack, &options);
    match (output_path, target) {
        (Some(path), Some(target)) => {
            output::write_atomic(&target, yaml.as_bytes())?;
            crate::note!("covmap: wrote {}", path.display());
        }
        _ => output::document(&yaml)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The stderr summary.
fn summary(format: ImportFormat, outcome: &Outcome) -> String {
    let imported = &outcome.imported;
    let s = &imported.summary;
    let resolution = &outcome.resolution;
    let mut out = String::new();
    let formats: Vec<String> = outcome
        .formats
        .iter()
        .map(|(f, n)| format!("{} {}", n, f.as_str()))
        .collect();
    let _ = writeln!(
        out,
        "covmap: import {}: {} files read, {} skipped{}",
        format.as_str(),
        s.files_read,
        s.files_skipped,
        if format == ImportFormat::Auto {
            format!(" (recognised: {})", formats.join(", "))
        } else {
            String::new()
        }
    );
    let noun = items_noun(format);
    let _ = writeln!(
        out,
        "  {noun}: {} read, {} filtered out, {} with ATT&CK techniques",
        s.items_read, s.items_filtered, s.items_with_techniques
    );
    let _ = writeln!(
        out,
        "  techniques: {} distinct as written; {} remapped, {} unknown, {} deprecated",
        s.techniques.len(),
        resolution.remapped.len(),
        resolution.unknown.len(),
        resolution.deprecated.len()
    );
    let entries: usize = imported.capabilities.iter().map(|c| c.entries.len()).sum();
    let _ = writeln!(
        out,
        "  written: {} capabilities, {} entries",
        imported.capabilities.len(),
        entries
    );
    telemetry_summary(&mut out, format, &imported.telemetry);
    if s.duplicates > 0 {
        let _ = writeln!(
            out,
            "  duplicates: {} {noun} left out as copies of {noun} already read (same id; findings name both paths)",
            s.duplicates
        );
    }
    if !s.parent_only.is_empty() {
        // Such an entry scores no sub-technique (docs/scoring.md): say so, with the fixes.
        let on_parents: usize = s.parent_only.values().map(|p| p.entries).sum();
        let parents = s.parent_only.len();
        let _ = writeln!(
            out,
            "  parent-only: {on_parents} {} on {parents} parent technique{} that {} sub-techniques {} for no sub-technique\n    \
             (add `include_subtechniques: true` where an entry covers them all, or list the sub-techniques it covers)",
            if on_parents == 1 { "entry" } else { "entries" },
            if parents == 1 { "" } else { "s" },
            if parents == 1 { "has" } else { "have" },
            if on_parents == 1 { "counts" } else { "count" },
        );
        let list: Vec<String> = s
            .parent_only
            .iter()
            .map(|(id, p)| {
                format!(
                    "{id} ({} entr{}, {} sub-technique{})",
                    p.entries,
                    if p.entries == 1 { "y" } else { "ies" },
                    p.subtechniques,
                    if p.subtechniques == 1 { "" } else { "s" }
                )
            })
            .collect();
        let _ = writeln!(out, "    {}", list.join(", "));
    }
    for (from, to) in &resolution.remapped {
        let _ = writeln!(out, "  remapped: {from} -> {to} (revoked)");
    }
    for (id, place) in &resolution.unknown {
        let _ = writeln!(out, "  unknown: {id} at {place}");
    }
    for (id, place) in &resolution.deprecated {
        let _ = writeln!(out, "  deprecated: {id} at {place}");
    }
    if !imported.findings.is_empty() {
        let _ = writeln!(out, "  findings ({}):", imported.findings.len());
        for finding in imported.findings.iter().take(SHOWN_FINDINGS) {
            let _ = writeln!(out, "    {finding}");
        }
        if imported.findings.len() > SHOWN_FINDINGS {
            let _ = writeln!(
                out,
                "    ... and {} more",
                imported.findings.len() - SHOWN_FINDINGS
            );
        }
    }
    out
}

/// The telemetry lines of the summary: entries, log sources, and each entry's own note (what
/// a Sysmon configuration collects, filters and leaves at Sysmon's defaults; a DeTT&CT data
/// source's scores and dates), so that no assumption is silent.
fn telemetry_summary(
    out: &mut String,
    format: ImportFormat,
    telemetry: &[covmap_import::ImportedTelemetry],
) {
    if telemetry.is_empty() && format != ImportFormat::Sysmon {
        return;
    }
    let sources: usize = telemetry.iter().map(|t| t.log_sources.len()).sum();
    let filtered = telemetry
        .iter()
        .flat_map(|t| &t.log_sources)
        .filter(|s| s.filtered)
        .count();
    let planned = telemetry.iter().filter(|t| t.status.is_some()).count();
    let _ = writeln!(
        out,
        "  telemetry: {} {}, {sources} log sources ({filtered} filtered: counted at scoring.filtered_telemetry), {planned} planned (not connected or not available for analytics)",
        telemetry.len(),
        if telemetry.len() == 1 {
            "entry"
        } else {
            "entries"
        },
    );
    for entry in telemetry.iter().take(SHOWN_FINDINGS) {
        let quality = entry
            .quality
            .map_or_else(String::new, |q| format!(", quality {q}"));
        let note = entry.evidence.comment.as_deref().unwrap_or_default();
        let _ = writeln!(out, "    {}{quality}: {note}", entry.id);
    }
    if telemetry.len() > SHOWN_FINDINGS {
        let _ = writeln!(out, "    ... and {} more", telemetry.len() - SHOWN_FINDINGS);
    }
}

/// What the items of a format are called in the summary.
fn items_noun(format: ImportFormat) -> &'static str {
    match format {
        ImportFormat::Sigma | ImportFormat::Elastic => "rules",
        ImportFormat::Splunk => "detections",
        ImportFormat::Ctid => "mappings",
        ImportFormat::Sysmon => "event filters",
        ImportFormat::Navigator => "technique entries",
        ImportFormat::Dettect => "technique and data-source entries",
        ImportFormat::Auto => "items",
    }
}

/// The command line as given, for the inventory's header (arguments quoted when needed).
fn command_line() -> String {
    let args: Vec<String> = std::env::args()
        .enumerate()
        .map(|(i, a)| if i == 0 { "covmap".to_string() } else { a })
        .map(|a| {
            if a.is_empty() || a.contains(|c: char| c.is_whitespace() || "'\"$`\\#".contains(c)) {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a
            }
        })
        .collect();
    args.join(" ")
}

fn parse_level(text: &str) -> Result<Level> {
    let named = match text.trim().to_ascii_lowercase().as_str() {
        "minimal" => Some(NamedLevel::Minimal),
        "partial" => Some(NamedLevel::Partial),
        "significant" => Some(NamedLevel::Significant),
        _ => None,
    };
    if let Some(named) = named {
        return Ok(Level::Named(named));
    }
    match text.trim().parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(Level::Value(v)),
        _ => {
            let meant = covmap_assess::parse::synonym(text, &["minimal", "partial", "significant"])
                .map_or_else(String::new, |m| format!("\n  hint: did you mean `{m}`?"));
            bail!(
                "--level `{text}` is not a level{meant}\n  hint: use minimal, partial, significant or a number from 0 to 1"
            )
        }
    }
}

fn format_of(format: ImportFormatArg) -> ImportFormat {
    match format {
        ImportFormatArg::Navigator => ImportFormat::Navigator,
        ImportFormatArg::Dettect => ImportFormat::Dettect,
        ImportFormatArg::Sigma => ImportFormat::Sigma,
        ImportFormatArg::Elastic => ImportFormat::Elastic,
        ImportFormatArg::Splunk => ImportFormat::Splunk,
        ImportFormatArg::Ctid => ImportFormat::Ctid,
        ImportFormatArg::Sysmon => ImportFormat::Sysmon,
        ImportFormatArg::Auto => ImportFormat::Auto,
    }
}

/// The library's function of a `--function`.
pub(crate) fn function_of(function: FunctionArg) -> Function {
    match function {
        FunctionArg::Detect => Function::Detect,
        FunctionArg::Protect => Function::Protect,
        FunctionArg::Respond => Function::Respond,
        FunctionArg::Visibility => Function::Visibility,
    }
}

fn confidence_of(confidence: ConfidenceArg) -> Confidence {
    match confidence {
        ConfidenceArg::Claimed => Confidence::Claimed,
        ConfidenceArg::Configured => Confidence::Configured,
        ConfidenceArg::Tested => Confidence::Tested,
    }
}

fn status_of(status: StatusArg) -> Status {
    match status {
        StatusArg::Deployed => Status::Deployed,
        StatusArg::Planned => Status::Planned,
        StatusArg::Candidate => Status::Candidate,
        StatusArg::Retired => Status::Retired,
    }
}
