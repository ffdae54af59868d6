//! The format-neutral result of an import: capabilities, a summary and findings.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use covmap_assess::inventory::{Confidence, Function, Level, Status};

/// Where an entry comes from, kept as the inventory entry's `evidence`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evidence {
    /// The file the entry was read from.
    pub path: PathBuf,
    /// Rule, mapping or object id in the source (Sigma `id`, CTID capability id...).
    pub item: Option<String>,
    /// Rule or object title.
    pub title: Option<String>,
    /// The source's own comment or score note.
    pub comment: Option<String>,
    /// 1-based line of the technique in the file, when known (for findings; not in the text).
    pub line: Option<usize>,
    /// 1-based column of the technique, when known.
    pub column: Option<usize>,
}

impl Evidence {
    /// Evidence naming only the file.
    pub fn file(path: &Path) -> Evidence {
        Evidence {
            path: path.to_path_buf(),
            ..Evidence::default()
        }
    }

    /// The same evidence, placed at a line and column of its file.
    #[must_use]
    pub fn at(mut self, position: Option<(usize, usize)>) -> Evidence {
        self.line = position.map(|(line, _)| line);
        self.column = position.map(|(_, column)| column);
        self
    }

    /// One line of text for the inventory's `evidence` key: `path: item "title": comment`.
    pub fn to_text(&self) -> String {
        let mut text = self.path.display().to_string();
        if let Some(item) = &self.item {
            text.push_str(": ");
            text.push_str(item);
        }
        if let Some(title) = &self.title {
            text.push_str(if self.item.is_some() { " " } else { ": " });
            text.push('"');
            text.push_str(title);
            text.push('"');
        }
        if let Some(comment) = &self.comment {
            text.push_str(" - ");
            text.push_str(comment);
        }
        text
    }
}

/// One coverage claim read from a source.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedEntry {
    /// The technique ID: as written in the source (upper-cased) until
    /// [`crate::resolve::resolve`] replaces a revoked ID by its replacement.
    pub technique: String,
    /// The ID as the source wrote it.
    pub written: String,
    /// What the capability does about it.
    pub function: Function,
    /// How much.
    pub level: Level,
    /// How sure, when the source says (a covmap layer's scores are measured); `None`: the
    /// import's or the inventory's default.
    pub confidence: Option<Confidence>,
    /// The tactic shortname the source ties the entry to (Navigator's tactic-specific entries).
    pub tactic: Option<String>,
    /// The platforms the entry covers when they are fewer than its capability's (a Windows
    /// rule grouped with Linux ones); `None`: the capability's.
    pub platforms: Option<Vec<String>>,
    /// Where it comes from.
    pub evidence: Evidence,
}

/// A capability built from imported entries.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedCapability {
    /// Inventory id (unique within one import).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Platforms, ATT&CK spelling, sorted, no repeats; empty: not said by the source.
    pub platforms: Vec<String>,
    /// The system it belongs to (written as the inventory's `system:`); `None`: its own.
    /// Rule repositories put all their capabilities in one system.
    pub system: Option<String>,
    /// Coverage claims, in source order.
    pub entries: Vec<ImportedEntry>,
}

/// Counts of an import, for the summary every import prints.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    /// Files read (parsed, even if they held nothing usable).
    pub files_read: usize,
    /// Files skipped (unreadable, malformed, not of the format): each has a [`Finding`].
    pub files_skipped: usize,
    /// Items read: rules, mappings or technique entries, per format.
    pub items_read: usize,
    /// Items that carry at least one ATT&CK technique.
    pub items_with_techniques: usize,
    /// Items left out by a filter (status, maturity, disabled...), without a finding.
    pub items_filtered: usize,
    /// Distinct technique IDs as written (upper-cased), before resolution.
    pub techniques: BTreeSet<String>,
    /// Rules left out as copies of a rule already read from another file (same rule id);
    /// each has a [`Finding`] naming both paths.
    pub duplicates: usize,
    /// Parent techniques that have sub-techniques, with the entries imported on them: such an
    /// entry (without `include_subtechniques`, which no importer writes) counts for none of
    /// the sub-techniques (docs/scoring.md). Filled after resolution (IDs resolved), by
    /// [`crate::resolve::parent_only`].
    pub parent_only: BTreeMap<String, ParentOnly>,
}

/// The entries of an import on one parent technique (see [`Summary::parent_only`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParentOnly {
    /// Entries on it.
    pub entries: usize,
    /// Its active sub-techniques, none of which the entries count for.
    pub subtechniques: usize,
}

/// A skipped or malformed file or item: the import goes on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong, and what was done about it.
    pub message: String,
}

impl Finding {
    /// A finding about a whole file.
    pub fn file(path: &Path, message: impl Into<String>) -> Finding {
        Finding {
            path: path.to_path_buf(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// A finding at a line and column.
    pub fn at(path: &Path, line: usize, column: usize, message: impl Into<String>) -> Finding {
        Finding {
            path: path.to_path_buf(),
            line: Some(line),
            column: Some(column),
            message: message.into(),
        }
    }

    /// A finding at a position, when known; about the whole file otherwise.
    pub fn maybe_at(
        path: &Path,
        position: Option<(usize, usize)>,
        message: impl Into<String>,
    ) -> Finding {
        match position {
            Some((line, column)) => Finding::at(path, line, column, message),
            None => Finding::file(path, message),
        }
    }

    /// The same finding with `suffix` added to its message (`: skipped`).
    #[must_use]
    pub fn with_suffix(mut self, suffix: &str) -> Finding {
        self.message.push_str(suffix);
        self
    }

    /// A finding from a YAML reading error.
    pub fn yaml(path: &Path, error: &covmap_assess::yaml::Error) -> Finding {
        Finding::at(path, error.line, error.column, error.message.clone())
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Findings about the import as a whole (a dropped platform) have no file.
        if self.path.as_os_str().is_empty() {
            return f.write_str(&self.message);
        }
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// One log source a telemetry entry collects (the inventory's `log_sources` item).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedSource {
    /// Log-source name as ATT&CK's analytics write it (`WinEventLog:Sysmon`).
    pub name: String,
    /// Channels collected (`EventCode=1`); empty: every channel.
    pub channels: Vec<String>,
    /// Collected only through an include filter (Sysmon), so counted at
    /// `scoring.filtered_telemetry`.
    pub filtered: bool,
}

/// A data component named by a telemetry source (DeTT&CT), as written, before it is resolved
/// against the loaded bundle into its log sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenComponent {
    /// The name as written.
    pub name: String,
    /// 1-based line and column of the name, when known.
    pub position: Option<(usize, usize)>,
}

/// A telemetry entry read from a source that says which logs are collected (a Sysmon
/// configuration, a DeTT&CT data-source administration).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedTelemetry {
    /// Inventory id (unique within one import).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Platforms, ATT&CK spelling, sorted; empty: not said (the scope's).
    pub platforms: Vec<String>,
    /// Status when the source says it is not (yet) usable (`planned`); `None`: deployed.
    pub status: Option<Status>,
    /// Quality factor in [0, 1] when the source scores it; `None`: 1.
    pub quality: Option<f64>,
    /// What is collected (filled from [`Self::component`] by resolution, for DeTT&CT).
    pub log_sources: Vec<ImportedSource>,
    /// The data component whose log sources this entry collects, until resolved.
    pub component: Option<WrittenComponent>,
    /// Where it comes from: file, item and the source's notes.
    pub evidence: Evidence,
}

/// Everything one import produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Imported {
    /// The capabilities, in the order they were first seen (files sorted by path).
    pub capabilities: Vec<ImportedCapability>,
    /// Telemetry entries (Sysmon configurations, DeTT&CT data-source files), in file order.
    pub telemetry: Vec<ImportedTelemetry>,
    /// Counts.
    pub summary: Summary,
    /// Skipped and malformed files and items.
    pub findings: Vec<Finding>,
}

impl Imported {
    /// The capability with this id, created (with `name` and `platforms`) if new.
    pub fn capability(
        &mut self,
        id: &str,
        name: &str,
        platforms: &[String],
    ) -> &mut ImportedCapability {
        let at = if let Some(at) = self.capabilities.iter().position(|c| c.id == id) {
            at
        } else {
            self.capabilities.push(ImportedCapability {
                id: id.to_string(),
                name: name.to_string(),
                platforms: Vec::new(),
                system: None,
                entries: Vec::new(),
            });
            self.capabilities.len() - 1
        };
        #[allow(
            clippy::indexing_slicing,
            reason = "`at` was found in or pushed to this list just above"
        )]
        let capability = &mut self.capabilities[at];
        for platform in platforms {
            if !capability.platforms.contains(platform) {
                capability.platforms.push(platform.clone());
            }
        }
        capability.platforms.sort();
        capability
    }

    /// Records a technique ID as read (for [`Summary::techniques`]) and builds its entry.
    pub fn entry(
        &mut self,
        written: &str,
        function: Function,
        level: Level,
        evidence: Evidence,
    ) -> ImportedEntry {
        let technique = written.trim().to_ascii_uppercase();
        self.summary.techniques.insert(technique.clone());
        ImportedEntry {
            technique,
            written: written.to_string(),
            function,
            level,
            confidence: None,
            tactic: None,
            platforms: None,
            evidence,
        }
    }

    /// A file that could not be used: counted and reported.
    pub fn skip_file(&mut self, finding: Finding) {
        self.summary.files_skipped += 1;
        self.findings.push(finding);
    }

    /// Findings sorted by file, line and column (deterministic output).
    pub fn sort_findings(&mut self) {
        self.findings.sort();
    }
}

/// A capability id from free text: lowercase ASCII letters and digits, other runs as `-`.
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() {
        "imported".to_string()
    } else {
        trimmed.to_string()
    }
}

/// The evidence of a technique that several rules map to: the first rule's evidence, with a
/// comment counting the rules by `tag` (severity, detection type, ...) and naming the others.
/// `None` without rules.
pub(crate) fn rules_evidence(noun: &str, hits: Vec<(Evidence, String)>) -> Option<Evidence> {
    let mut tags: Vec<(&str, usize)> = Vec::new();
    for (_, tag) in &hits {
        match tags.iter_mut().find(|(k, _)| *k == tag.as_str()) {
            Some((_, n)) => *n += 1,
            None => tags.push((tag, 1)),
        }
    }
    tags.sort_unstable();
    let counts: Vec<String> = tags.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let mut comment = format!(
        "{} {noun}{} ({})",
        hits.len(),
        if hits.len() == 1 { "" } else { "s" },
        counts.join(", ")
    );
    let mut hits = hits.into_iter();
    let (first, _) = hits.next()?;
    let others: Vec<String> = hits
        .map(|(evidence, tag)| format!("{} [{tag}]", evidence.to_text()))
        .collect();
    if !others.is_empty() {
        comment.push_str("; also ");
        comment.push_str(&others.join("; "));
    }
    Some(Evidence {
        comment: Some(comment),
        ..first
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slug("Amazon GuardDuty"), "amazon-guardduty");
        assert_eq!(slug("  *Bear APTs"), "bear-apts");
        assert_eq!(slug("---"), "imported");
    }

    #[test]
    fn evidence_text() {
        let mut e = Evidence::file(Path::new("rules/a.yml"));
        assert_eq!(e.to_text(), "rules/a.yml");
        e.item = Some("1234".into());
        e.title = Some("Whoami".into());
        e.comment = Some("stable".into());
        assert_eq!(e.to_text(), "rules/a.yml: 1234 \"Whoami\" - stable");
    }

    #[test]
    fn capabilities_merge_platforms() {
        let mut imported = Imported::default();
        imported.capability("a", "A", &["Windows".into()]);
        let c = imported.capability("a", "ignored", &["Linux".into(), "Windows".into()]);
        assert_eq!(c.name, "A");
        assert_eq!(c.platforms, ["Linux", "Windows"]);
        assert_eq!(imported.capabilities.len(), 1);
    }
}
