//! Telemetry imports: resolving imported telemetry against the loaded bundle, and a telemetry
//! entry's `import:` entries read when the inventory is loaded (as threat profiles are).
//!
//! Resolution ([`resolve`]): a DeTT&CT data source names an ATT&CK data component; its log
//! sources are the component's `x_mitre_log_sources` in the loaded bundle, grouped by log name
//! (channels in the bundle's order). A name the bundle does not know (with the closest data
//! components), a deprecated or revoked component, one without log sources (bundles before
//! ATT&CK 18) and DeTT&CT's own data sources are findings, and the entry is left out.
//! Platforms are matched to the bundle's spelling (other tools' names through
//! [`crate::platform`]); an unknown one is a finding, and an entry left with none of its
//! platforms is left out (no platform would mean every platform).
//!
//! Expansion ([`expand`]): each `import:` of a telemetry entry is imported (`auto`, `sysmon`
//! or `dettect`) and each imported entry becomes part of the host entry:
//!
//! - platforms: the imported entry's within the host's (either one empty: the other's); an
//!   entry with none of the host's platforms is left out (warning);
//! - quality: the host's times the imported entry's; status: the host's, or `planned` when
//!   the imported entry is planned (DeTT&CT: not connected yet);
//! - when these equal the host's, its log sources are added to the host's `log_sources`
//!   (a Sysmon configuration under a Windows entry); otherwise it is added as its own entry
//!   `{host id}/{imported id}` right after the host, so that no quality or platform is lost.
//!
//! An import that cannot be used (missing file, nothing of a telemetry format) is an
//! `import-failed` error at the `import:` entry's file, line and column; one read with
//! findings is an `import-findings` warning there.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use covmap_assess::diagnostic::{Code, Diagnostic, Severity};
use covmap_assess::inventory::{CollectedSource, Inventory, Status, Telemetry, TelemetryImport};
use covmap_core::{Attack, Kind, NameMatch, ObjectRef};

use crate::model::{Finding, Imported, ImportedSource, ImportedTelemetry};
use crate::platform::attack_platform;
use crate::request::Request;

/// How many findings an `import-findings` warning names before counting the rest.
const NAMED_FINDINGS: usize = 3;

/// DeTT&CT marks its own data sources (not ATT&CK's) with this suffix.
const DETTECT_OWN: &str = "[DeTT&CT data source]";

/// Fills the log sources of DeTT&CT entries from the bundle's data components and fits every
/// entry's platforms to the bundle; entries that cannot be used are left out with a finding.
pub fn resolve(imported: &mut Imported, attack: &Attack) {
    let platforms = attack.platforms();
    let mut findings = Vec::new();
    imported.telemetry.retain_mut(|entry| {
        if let Some(component) = entry.component.take() {
            match log_sources(&component.name, attack) {
                Ok(sources) => entry.log_sources = sources,
                Err(why) => {
                    findings.push(Finding::maybe_at(
                        &entry.evidence.path,
                        component.position,
                        format!("{}: {why}: left out", component.name),
                    ));
                    return false;
                }
            }
        }
        fit_platforms(entry, &platforms, attack, &mut findings)
    });
    imported.findings.extend(findings);
}

/// The log sources of the data component `name`, grouped by log name.
fn log_sources(name: &str, attack: &Attack) -> Result<Vec<ImportedSource>, String> {
    if name.ends_with(DETTECT_OWN) {
        return Err(
            "a DeTT&CT data source, not an ATT&CK data component: ATT&CK names no log source for it"
                .to_string(),
        );
    }
    let key = match data_component(name, attack) {
        NameMatch::One(key) => key,
        NameMatch::Ambiguous(keys) => {
            let ids: Vec<String> = keys
                .iter()
                .map(|k| attack.meta(*k).id().to_string())
                .collect();
            return Err(format!(
                "names several data components ({}); write the one meant",
                ids.join(", ")
            ));
        }
        NameMatch::None => {
            let close = attack.suggest_among(name, &[Kind::DataComponent], 3);
            let hint = if close.is_empty() {
                String::new()
            } else {
                format!(" (did you mean {}?)", close.join(", "))
            };
            return Err(format!(
                "not a data component of ATT&CK {} {}{hint}",
                attack.domain_short(),
                attack.version().unwrap_or("?")
            ));
        }
    };
    let meta = attack.meta(key);
    if meta.revoked || meta.deprecated {
        return Err(format!(
            "data component {} is {} in ATT&CK {}",
            meta.id(),
            if meta.revoked {
                "revoked"
            } else {
                "deprecated"
            },
            attack.version().unwrap_or("?")
        ));
    }
    let Some(component) = attack.data_components().get(key.index as usize) else {
        return Err("not found in the bundle".to_string());
    };
    if component.log_sources.is_empty() {
        return Err(format!(
            "data component {} has no log sources in ATT&CK {} (ATT&CK 18 added them)",
            meta.id(),
            attack.version().unwrap_or("?")
        ));
    }
    let mut grouped: Vec<ImportedSource> = Vec::new();
    for source in &component.log_sources {
        match grouped.iter_mut().find(|g| g.name == source.name) {
            Some(group) => {
                if !group.channels.contains(&source.channel) {
                    group.channels.push(source.channel.clone());
                }
            }
            None => grouped.push(ImportedSource {
                name: source.name.clone(),
                channels: vec![source.channel.clone()],
                filtered: false,
            }),
        }
    }
    grouped.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(grouped)
}

/// The data component `written` names: its ID (`DC0032`), else its name, ignoring case and
/// surrounding spaces (DeTT&CT writes `Firewall rule modification`), an active component
/// before a revoked or deprecated one. Data components are not in the bundle's name index,
/// which holds the kinds users name on the command line.
fn data_component(written: &str, attack: &Attack) -> NameMatch {
    if let Some(key) = attack.lookup(written)
        && key.kind == Kind::DataComponent
    {
        return NameMatch::One(key);
    }
    let wanted = written.trim().to_lowercase();
    let named: Vec<ObjectRef> = attack
        .data_components()
        .iter()
        .filter(|c| c.meta.name.trim().to_lowercase() == wanted)
        .map(|c| c.meta.key)
        .collect();
    let active: Vec<ObjectRef> = named
        .iter()
        .copied()
        .filter(|k| attack.meta(*k).is_active())
        .collect();
    let best = if active.is_empty() { named } else { active };
    match best.as_slice() {
        [] => NameMatch::None,
        [one] => NameMatch::One(*one),
        _ => NameMatch::Ambiguous(best),
    }
}

/// Maps an entry's platforms to the bundle's spelling; `false` when none is left of some.
fn fit_platforms(
    entry: &mut ImportedTelemetry,
    known: &[String],
    attack: &Attack,
    findings: &mut Vec<Finding>,
) -> bool {
    if entry.platforms.is_empty() {
        return true;
    }
    let mut kept: Vec<String> = Vec::new();
    for written in &entry.platforms {
        let found = known
            .iter()
            .find(|k| {
                k.eq_ignore_ascii_case(written.trim())
                    || attack_platform(written).is_some_and(|p| p == k.as_str())
            })
            .cloned();
        match found {
            Some(p) if !kept.contains(&p) => kept.push(p),
            Some(_) => {}
            None => findings.push(Finding::maybe_at(
                &entry.evidence.path,
                entry.evidence.line.zip(entry.evidence.column),
                format!(
                    "platform `{written}` of `{}` is not one of {} ATT&CK: left out",
                    entry.id,
                    attack.domain_short()
                ),
            )),
        }
    }
    kept.sort();
    if kept.is_empty() {
        findings.push(Finding::maybe_at(
            &entry.evidence.path,
            entry.evidence.line.zip(entry.evidence.column),
            format!(
                "telemetry `{}` has no platform of {} ATT&CK: left out",
                entry.id,
                attack.domain_short()
            ),
        ));
        return false;
    }
    entry.platforms = kept;
    true
}

/// Reads every telemetry entry's `import:` entries (see the module documentation); the
/// diagnostics are at the `import:` entries.
pub fn expand(inventory: &mut Inventory, attack: &Attack) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let hosts = std::mem::take(&mut inventory.telemetry);
    let mut expanded = Vec::with_capacity(hosts.len());
    for mut host in hosts {
        let mut derived = Vec::new();
        for spec in &host.imports.clone() {
            let Some(entries) = import_one(&host.id, spec, attack, &mut diagnostics) else {
                continue;
            };
            let mut off_platform = 0;
            for entry in entries {
                match fold(&mut host, &entry, spec) {
                    Folded::Merged => {}
                    Folded::Derived(t) => derived.push(t),
                    Folded::OffPlatform => off_platform += 1,
                }
            }
            if off_platform > 0 {
                diagnostics.push(Diagnostic::new(
                    Severity::Warning,
                    Code::ImportFindings,
                    spec.location.clone(),
                    format!(
                        "{off_platform} imported telemetry {} left out of `{}`: none of its platforms is the entry's",
                        if off_platform == 1 { "entry" } else { "entries" },
                        host.id
                    ),
                ));
            }
        }
        expanded.push(host);
        expanded.extend(derived);
    }
    inventory.telemetry = expanded;
    diagnostics
}

/// What became of one imported entry.
enum Folded {
    Merged,
    Derived(Telemetry),
    OffPlatform,
}

/// Adds one imported entry to its host (see the module documentation).
fn fold(host: &mut Telemetry, entry: &ImportedTelemetry, spec: &TelemetryImport) -> Folded {
    let platforms: Vec<String> = match (host.platforms.is_empty(), entry.platforms.is_empty()) {
        (_, true) => host.platforms.clone(),
        (true, false) => entry.platforms.clone(),
        (false, false) => host
            .platforms
            .iter()
            .filter(|p| entry.platforms.contains(p))
            .cloned()
            .collect(),
    };
    if platforms.is_empty() && !(host.platforms.is_empty() && entry.platforms.is_empty()) {
        return Folded::OffPlatform;
    }
    let quality = host.quality * entry.quality.unwrap_or(1.0);
    let status = match entry.status {
        Some(Status::Planned) if host.status == Status::Deployed => Status::Planned,
        _ => host.status,
    };
    let sources = entry.log_sources.iter().map(|s| CollectedSource {
        name: s.name.clone(),
        channels: s.channels.clone(),
        filtered: s.filtered,
        location: spec.location.clone(),
    });
    let same_platforms =
        platforms.iter().collect::<BTreeSet<_>>() == host.platforms.iter().collect::<BTreeSet<_>>();
    #[allow(clippy::float_cmp, reason = "equal only when the factor is exactly 1")]
    let same_quality = quality == host.quality;
    if same_platforms && same_quality && status == host.status {
        host.log_sources.extend(sources);
        return Folded::Merged;
    }
    Folded::Derived(Telemetry {
        id: format!("{}/{}", host.id, entry.id),
        name: format!("{}: {}", host.name, entry.name),
        platforms,
        status,
        log_sources: sources.collect(),
        quality,
        imports: Vec::new(),
        location: spec.location.clone(),
    })
}

/// Imports one `import:` entry; `None` (with an error) when nothing can be used.
fn import_one(
    host: &str,
    spec: &TelemetryImport,
    attack: &Attack,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Vec<ImportedTelemetry>> {
    let failed = |message: String| {
        Diagnostic::new(
            Severity::Error,
            Code::ImportFailed,
            spec.location.clone(),
            message,
        )
    };
    if spec.path.is_dir() {
        diagnostics.push(
            failed(format!(
                "telemetry `{host}` cannot import {}: a folder, not a file",
                spec.path.display()
            ))
            .hint("name one file; list several `import:` entries for several files"),
        );
        return None;
    }
    let request = Request::new(spec.format.import_format(), vec![spec.path.clone()]);
    let outcome = match request.run(attack) {
        Ok(outcome) => outcome,
        Err(e) => {
            diagnostics.push(failed(format!("telemetry `{host}` cannot import: {e}")));
            return None;
        }
    };
    let imported = outcome.imported;
    if imported.telemetry.is_empty() {
        let why = imported.findings.first().map_or_else(
            || {
                if imported.capabilities.is_empty() {
                    format!("{}: no telemetry in it", spec.path.display())
                } else {
                    format!(
                        "{}: coverage (a technique administration), not telemetry",
                        spec.path.display()
                    )
                }
            },
            ToString::to_string,
        );
        diagnostics.push(
            failed(format!(
                "nothing to import into telemetry `{host}` as {}: {why}",
                spec.format.as_str()
            ))
            .hint("paths are relative to the inventory file; a telemetry import reads a Sysmon configuration or a DeTT&CT data-source administration file"),
        );
        return None;
    }
    if !imported.findings.is_empty() {
        let mut message = format!(
            "telemetry `{host}` imported {} with {} finding{}",
            spec.path.display(),
            imported.findings.len(),
            if imported.findings.len() == 1 {
                ""
            } else {
                "s"
            }
        );
        if !imported.capabilities.is_empty() {
            let _ = write!(
                message,
                " (its coverage entries are not telemetry: import them under a capability)"
            );
        }
        let mut d = Diagnostic::new(
            Severity::Warning,
            Code::ImportFindings,
            spec.location.clone(),
            message,
        );
        for finding in imported.findings.iter().take(NAMED_FINDINGS) {
            d = d.hint(finding.to_string());
        }
        d = d.hint(format!(
            "`covmap import {} {}` lists every finding",
            spec.format.as_str(),
            spec.path.display()
        ));
        diagnostics.push(d);
    }
    Some(imported.telemetry)
}
