//! Writing an import as an inventory file that `covmap validate` accepts.
//!
//! Telemetry (Sysmon configurations, DeTT&CT data-source files) is written as the
//! `telemetry:` section, each entry under a comment naming its source; a filtered source is
//! its own item, `{name: "WinEventLog:Sysmon", channels: [...], filtered: true}`.
//!
//! The file starts with a comment naming the command that wrote it, then `covmap: 1` and the
//! ATT&CK release the IDs were resolved against. Capabilities and entries keep the import's
//! order (files sorted by path, then source order), so the same inputs give the same bytes.
//! Every entry has `evidence` naming its source (file, rule or mapping id, title, and the
//! source's own notes). Text is written as JSON strings, which YAML reads as double-quoted
//! scalars: no text can break the structure.

use std::fmt::Write as _;

use covmap_assess::inventory::{Confidence, Level, Status};
use covmap_core::Attack;
use serde::Serialize;

use crate::model::{ImportedCapability, ImportedEntry, ImportedTelemetry};
use crate::request::Outcome;

/// What the written inventory says besides the import.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// The command line, for the header comment.
    pub command: String,
    /// Confidence of every entry that has none from its source; `None`: left to the
    /// inventory's `scoring.default_confidence`.
    pub confidence: Option<Confidence>,
    /// Status of every capability; `None`: left out (deployed).
    pub status: Option<Status>,
}

/// The inventory YAML of `outcome`, its IDs resolved against `attack`.
pub fn inventory_yaml(outcome: &Outcome, attack: &Attack, options: &WriteOptions) -> String {
    let mut out = String::new();
    for line in options.command.lines() {
        let _ = writeln!(out, "# Written by: {line}");
    }
    let _ = writeln!(
        out,
        "# ATT&CK {} {}. Each entry's evidence names its source; edit freely, or let the\n\
         # inventory read the source each time with an `import:` entry (docs/inventory.md).",
        attack.domain_short(),
        attack.version().unwrap_or("(no version)")
    );
    out.push_str("covmap: 1\n");
    let _ = write!(out, "attack: {{domain: {}", attack.domain_short());
    if let Some(version) = attack.version() {
        let _ = write!(out, ", version: {}", text(version));
    }
    out.push_str("}\n");
    let telemetry = &outcome.imported.telemetry;
    if outcome.imported.capabilities.is_empty() {
        // A telemetry-only import (Sysmon, DeTT&CT data sources) writes no capability.
        if telemetry.is_empty() {
            out.push_str("capabilities: []\n");
        }
    } else {
        out.push_str("capabilities:\n");
        for capability in &outcome.imported.capabilities {
            write_capability(&mut out, capability, options);
        }
    }
    if !telemetry.is_empty() {
        out.push_str("telemetry:\n");
        for entry in telemetry {
            write_telemetry(&mut out, entry);
        }
    }
    out
}

/// One `telemetry:` entry (docs/inventory.md), its source as a comment above it.
fn write_telemetry(out: &mut String, entry: &ImportedTelemetry) {
    // A comment ends at a line break: the source text is kept on one line.
    let source: String = entry
        .evidence
        .to_text()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let _ = writeln!(out, "  # {source}");
    let _ = writeln!(out, "  - id: {}", text(&entry.id));
    let _ = writeln!(out, "    name: {}", text(&entry.name));
    if !entry.platforms.is_empty() {
        let _ = writeln!(out, "    platforms: {}", list(&entry.platforms));
    }
    if let Some(status) = entry.status {
        let _ = writeln!(out, "    status: {}", word(&status));
    }
    if let Some(quality) = entry.quality {
        let _ = writeln!(out, "    quality: {}", level(Level::Value(quality)));
    }
    if entry.log_sources.is_empty() {
        out.push_str("    log_sources: []\n");
        return;
    }
    out.push_str("    log_sources:\n");
    for source in &entry.log_sources {
        let _ = write!(out, "      - {{name: {}", text(&source.name));
        if !source.channels.is_empty() {
            let _ = write!(out, ", channels: {}", list(&source.channels));
        }
        if source.filtered {
            out.push_str(", filtered: true");
        }
        out.push_str("}\n");
    }
}

fn write_capability(out: &mut String, capability: &ImportedCapability, options: &WriteOptions) {
    let _ = writeln!(out, "  - id: {}", text(&capability.id));
    let _ = writeln!(out, "    name: {}", text(&capability.name));
    if let Some(system) = &capability.system {
        let _ = writeln!(out, "    system: {}", text(system));
    }
    if let Some(status) = options.status {
        let _ = writeln!(out, "    status: {}", word(&status));
    }
    if !capability.platforms.is_empty() {
        let _ = writeln!(out, "    platforms: {}", list(&capability.platforms));
    }
    if capability.entries.is_empty() {
        out.push_str("    coverage: []\n");
        return;
    }
    out.push_str("    coverage:\n");
    for entry in &capability.entries {
        write_entry(out, entry, options);
    }
}

fn write_entry(out: &mut String, entry: &ImportedEntry, options: &WriteOptions) {
    let _ = writeln!(out, "      - techniques: [{}]", entry.technique);
    let _ = writeln!(out, "        function: {}", word(&entry.function));
    let _ = writeln!(out, "        level: {}", level(entry.level));
    if let Some(confidence) = entry.confidence.or(options.confidence) {
        let _ = writeln!(out, "        confidence: {}", word(&confidence));
    }
    if let Some(platforms) = &entry.platforms {
        let _ = writeln!(out, "        platforms: {}", list(platforms));
    }
    let _ = writeln!(out, "        evidence: {}", text(&evidence(entry)));
}

/// The entry's evidence text: its source, the tactic a layer tied it to, and the ID as
/// written when it was remapped.
pub fn evidence(entry: &ImportedEntry) -> String {
    let mut evidence = entry.evidence.to_text();
    if let Some(tactic) = &entry.tactic {
        let _ = write!(evidence, " (tactic {tactic})");
    }
    if !entry.written.trim().eq_ignore_ascii_case(&entry.technique) {
        let _ = write!(
            evidence,
            " (written {}, revoked: now {})",
            entry.written.trim(),
            entry.technique
        );
    }
    evidence
}

/// A level: its name, or its value with at most 6 decimals.
fn level(level: Level) -> String {
    match level {
        Level::Named(named) => word(&named),
        Level::Value(value) => {
            let text = format!("{value:.6}");
            let text = text.trim_end_matches('0').trim_end_matches('.');
            text.to_string()
        }
    }
}

/// The serde spelling of an enum value (`detect`, `partial`).
fn word(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// A YAML scalar that reads back as exactly `s`.
fn text(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|s| text(s)).collect();
    format!("[{}]", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use covmap_assess::inventory::NamedLevel;

    #[test]
    fn levels_are_names_or_short_numbers() {
        assert_eq!(level(Level::Named(NamedLevel::Partial)), "partial");
        assert_eq!(level(Level::Value(0.5)), "0.5");
        assert_eq!(level(Level::Value(1.0)), "1");
        assert_eq!(level(Level::Value(0.0)), "0");
        assert_eq!(level(Level::Value(0.123_456_789)), "0.123457");
    }

    #[test]
    fn text_is_quoted_and_escaped() {
        assert_eq!(text("a: b # c"), r#""a: b # c""#);
        assert_eq!(text("line\nbreak \"q\""), r#""line\nbreak \"q\"""#);
    }
}
