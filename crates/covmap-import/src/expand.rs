//! A capability's `import:` entries, read when the inventory is loaded: the artefacts' coverage
//! becomes the capability's own coverage entries, so that it follows the rule repository or
//! layer with no generated file to keep in sync.
//!
//! Everything the artefacts hold goes into the one capability that imports them (grouping
//! does not apply). The capability's platforms stay the truth: an imported entry that names
//! platforms (a Windows rule) is narrowed to those the capability has, and left out if it has
//! none of them.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use covmap_assess::claims::Subtechniques;
use covmap_assess::diagnostic::{Code, Diagnostic, Severity};
use covmap_assess::inventory::{Capability, CoverageEntry, ImportFormat, ImportSpec, Inventory};
use covmap_core::Attack;

use crate::request::{Outcome, Request};
use crate::write::evidence;

/// How many findings an `import-findings` warning names before counting the rest.
const NAMED_FINDINGS: usize = 3;

/// Reads every capability's `import:` entries into its `coverage`; the diagnostics say what
/// could not be imported (`import-failed`, an error), what was read with findings
/// (`import-findings`, a warning) and, once per `import:`, how many imported entries are on
/// parent techniques and count for no sub-technique (`parent-counts-for-no-subtechnique`).
pub fn expand(inventory: &mut Inventory, attack: &Attack) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut subtechniques = Subtechniques::new(attack);
    for capability in &mut inventory.capabilities {
        let specs = std::mem::take(&mut capability.imports);
        for spec in &specs {
            let before = capability.coverage.len();
            expand_one(capability, spec, attack, &mut diagnostics);
            let added = capability.coverage.get(before..).unwrap_or_default();
            if let Some(d) = parent_only(&capability.id, spec, added, attack, &mut subtechniques) {
                diagnostics.push(d);
            }
        }
        capability.imports = specs;
    }
    diagnostics
}

fn expand_one(
    capability: &mut Capability,
    spec: &ImportSpec,
    attack: &Attack,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let request = Request {
        format: Some(spec.format),
        paths: spec.paths.clone(),
        statuses: spec.statuses.clone(),
        function: spec.function,
        level: spec.level,
        ..Request::default()
    };
    let failed = |message: String| {
        Diagnostic::new(
            Severity::Error,
            Code::ImportFailed,
            spec.location.clone(),
            message,
        )
    };
    if spec.format == ImportFormat::Sysmon {
        diagnostics.push(
            failed(format!(
                "`{}` cannot import a Sysmon configuration: it says which events are collected, not which techniques are covered",
                capability.id
            ))
            .hint("list it under a `telemetry:` entry's `import:` (docs/inventory.md)"),
        );
        return;
    }
    let outcome = match request.run(attack) {
        Ok(outcome) => outcome,
        Err(e) => {
            diagnostics.push(
                failed(format!("cannot import into `{}`: {e}", capability.id))
                    .hint("correct the option, or remove it to use the format's default"),
            );
            return;
        }
    };
    let summary = &outcome.imported.summary;
    if summary.files_read == 0 {
        let why = outcome
            .imported
            .findings
            .first()
            .map_or_else(|| "no file".to_string(), ToString::to_string);
        diagnostics.push(
            failed(format!(
                "nothing to import into `{}` as {}: {why}",
                capability.id,
                spec.format.as_str()
            ))
            .hint("paths are relative to the inventory file; check the path and the format"),
        );
        return;
    }
    if outcome.imported.capabilities.is_empty() && !outcome.imported.telemetry.is_empty() {
        // A DeTT&CT data-source administration (or, with `auto`, a Sysmon configuration).
        diagnostics.push(
            failed(format!(
                "nothing to import into `{}`: its files say which logs are collected (telemetry), not which techniques are covered",
                capability.id
            ))
            .hint("list them under a `telemetry:` entry's `import:` (docs/inventory.md)"),
        );
        return;
    }
    let off_platform = add_entries(capability, spec, &outcome, attack);
    let findings = &outcome.imported.findings;
    if !findings.is_empty() || off_platform > 0 {
        let mut message = format!(
            "{} files imported into `{}` with {}",
            summary.files_read,
            capability.id,
            plural(findings.len(), "finding")
        );
        if off_platform > 0 {
            let _ = write!(
                message,
                "; {} left out (none of the capability's platforms)",
                plural(off_platform, "entry")
            );
        }
        let mut d = Diagnostic::new(
            Severity::Warning,
            Code::ImportFindings,
            spec.location.clone(),
            message,
        );
        for finding in findings.iter().take(NAMED_FINDINGS) {
            d = d.hint(finding.to_string());
        }
        let paths: Vec<String> = spec.paths.iter().map(|p| p.display().to_string()).collect();
        d = d.hint(format!(
            "`covmap import {} {}` lists every finding",
            spec.format.as_str(),
            paths.join(" ")
        ));
        diagnostics.push(d);
    }
}

/// How many parent techniques a `parent-counts-for-no-subtechnique` warning names.
const NAMED_PARENTS: usize = 5;

/// One warning for the imported entries of one `import:` that are on parent techniques and,
/// as imported entries never extend to sub-techniques, count for no sub-technique: one per
/// import rather than one per rule, which would bury every other finding.
fn parent_only(
    capability: &str,
    spec: &ImportSpec,
    added: &[CoverageEntry],
    attack: &Attack,
    subtechniques: &mut Subtechniques<'_>,
) -> Option<Diagnostic> {
    let mut parents: Vec<(u32, usize)> = Vec::new();
    let mut entries = 0;
    for entry in added {
        let found = subtechniques.parent_only(entry);
        if !found.is_empty() {
            entries += 1;
        }
        for p in found {
            if !parents.contains(&p) {
                parents.push(p);
            }
        }
    }
    if entries == 0 {
        return None;
    }
    let mut ids: Vec<(String, usize)> = parents
        .iter()
        .filter_map(|&(t, n)| {
            Some((
                attack.techniques().get(t as usize)?.meta.id().to_string(),
                n,
            ))
        })
        .collect();
    ids.sort();
    let subs: usize = ids.iter().map(|(_, n)| n).sum();
    let mut named: Vec<String> = ids
        .iter()
        .take(NAMED_PARENTS)
        .map(|(id, n)| format!("{id} ({n})"))
        .collect();
    if ids.len() > NAMED_PARENTS {
        named.push(format!("{} more", ids.len() - NAMED_PARENTS));
    }
    let message = format!(
        "{} imported into `{capability}` {} on {} with {} in all ({}), and count for none of them: an imported claim on a parent technique is evidence at parent level only",
        plural(entries, "entry"),
        if entries == 1 { "is" } else { "are" },
        plural(ids.len(), "parent technique"),
        plural(subs, "sub-technique"),
        named.join(", ")
    );
    let paths: Vec<String> = spec.paths.iter().map(|p| p.display().to_string()).collect();
    Some(
        Diagnostic::new(
            Severity::Warning,
            Code::ParentCountsForNoSubtechnique,
            spec.location.clone(),
            message,
        )
        .hint("tag the rules or mappings with the sub-techniques they cover, or add coverage entries on the sub-techniques (or on the parent with `include_subtechniques: true`) to the capability")
        .hint(format!(
            "`covmap import {} {} -o FILE` writes every imported entry with the rule or mapping it comes from",
            spec.format.as_str(),
            paths.join(" ")
        )),
    )
}

/// Adds the outcome's entries to the capability; returns how many were left out for want of
/// a platform the capability has.
fn add_entries(
    capability: &mut Capability,
    spec: &ImportSpec,
    outcome: &Outcome,
    attack: &Attack,
) -> usize {
    let own: BTreeSet<&str> = capability.platforms.iter().map(String::as_str).collect();
    let mut off_platform = 0;
    let mut added = Vec::new();
    for imported in &outcome.imported.capabilities {
        for entry in &imported.entries {
            let Some(technique) = attack.technique(&entry.technique) else {
                continue;
            };
            // The entry's platforms, else its source capability's, within the capability's.
            let named = entry
                .platforms
                .as_deref()
                .or((!imported.platforms.is_empty()).then_some(imported.platforms.as_slice()));
            let platforms = match named {
                Some(named) => {
                    let kept: Vec<String> = capability
                        .platforms
                        .iter()
                        .filter(|p| named.contains(p))
                        .cloned()
                        .collect();
                    if kept.is_empty() {
                        off_platform += 1;
                        continue;
                    }
                    (kept.len() < own.len()).then_some(kept)
                }
                None => None,
            };
            added.push(CoverageEntry {
                techniques: vec![technique.meta.key.index],
                function: entry.function,
                level: entry.level,
                confidence: entry.confidence.or(spec.confidence),
                evidence: Some(evidence(entry)),
                tested_on: None,
                include_subtechniques: false,
                // Not written by anyone: it is warned about.
                parent_level_by_choice: false,
                platforms,
                location: spec.location.clone(),
            });
        }
    }
    capability.coverage.extend(added);
    off_platform
}

fn plural(n: usize, noun: &str) -> String {
    match (n, noun) {
        (1, _) => format!("1 {noun}"),
        (_, "entry") => format!("{n} entries"),
        _ => format!("{n} {noun}s"),
    }
}
