//! Findings about inventories: plain data, rendered by the CLI.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The inventory cannot be used as it is.
    Error,
    /// The inventory is usable, but something is probably not what its author meant.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A place in an input file. Lines and columns are 1-based; 0 means unknown.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// The file. Shared: every coverage entry and finding of a file has a location, and a
    /// large inventory has hundreds of thousands of each.
    pub path: Arc<Path>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl Default for Location {
    fn default() -> Self {
        Location {
            path: Arc::from(Path::new("")),
            line: 0,
            column: 0,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

/// Stable, documented finding codes (docs/inventory.md lists each with what to do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Code {
    /// The file is not readable text.
    UnreadableFile,
    /// YAML syntax error.
    YamlSyntax,
    /// A value has the wrong type or is not one of the allowed values.
    InvalidValue,
    /// A required key is missing.
    MissingKey,
    /// A key the format does not know.
    UnknownKey,
    /// `covmap:` is missing or names a format version this covmap does not read.
    UnsupportedVersion,
    /// A technique ID that is not in the loaded bundle.
    UnknownTechnique,
    /// An ID of another ATT&CK domain.
    WrongDomain,
    /// An ATT&CK ID that is not a technique (a group, mitigation, ...).
    NotATechnique,
    /// A revoked technique: scored as its replacement.
    RevokedTechnique,
    /// A deprecated technique: not scored.
    DeprecatedTechnique,
    /// Two capabilities share an id.
    DuplicateCapabilityId,
    /// A platform the loaded domain does not have.
    UnknownPlatform,
    /// A level outside [0, 1].
    LevelOutOfRange,
    /// A sub-technique listed beside `include_subtechniques` of its parent.
    RedundantSubtechnique,
    /// The inventory names another ATT&CK version than the loaded one.
    AttackVersionMismatch,
    /// The inventory names another ATT&CK domain than the loaded one.
    AttackDomainMismatch,
    /// A group, campaign or software in `scope.threats` that is not in the bundle.
    UnknownThreat,
    /// Files set the same setting to different values.
    ConflictingSetting,
    /// A capability with no coverage entries.
    EmptyCapability,
    /// `confidence: tested` without `evidence`.
    TestedWithoutEvidence,
    /// A capability's platforms include none of the scope's.
    NoPlatformInScope,
    /// A revoked (weighted as its replacement) or deprecated (ignored) group, campaign or
    /// software in `scope.threats`.
    InactiveThreat,
    /// A capability's or telemetry entry's `import:` cannot be used: missing path, nothing to
    /// import, an option the format does not have, telemetry where coverage is expected.
    ImportFailed,
    /// The artefacts of an `import:` were read, with findings (files skipped, unknown IDs or
    /// data components).
    ImportFindings,
    /// A name or alias in `scope.threats` that names several objects of its kind
    /// (`DNSMessenger`: S0145 and S0146): never resolved by a pick.
    AmbiguousName,
    /// An entry (or imported entries) on a parent technique without `include_subtechniques`:
    /// it scores none of the parent's sub-techniques.
    ParentCountsForNoSubtechnique,
    /// A technique none of whose platforms in scope is one the entry applies on: the claim
    /// counts for nothing; or an entry whose own platforms are none in scope.
    PlatformMismatch,
    /// A key of `plan.costs` that is neither an active ATT&CK mitigation of the loaded bundle
    /// nor a log-source name of its analytics.
    UnknownMitigation,
    /// A threat profile (`scope.threats.profiles`) that cannot be used: missing or unreadable
    /// file, a format not recognised or not a threat profile, malformed content, no technique.
    ThreatProfileFailed,
    /// A threat profile read with findings: unknown or deprecated IDs left out, revoked ones
    /// remapped, values clamped or rescaled.
    ThreatProfileFindings,
    /// A platform name ATT&CK has retired (`Azure AD`), read as the platform(s) that replaced
    /// it in the loaded bundle (`Identity Provider`).
    RenamedPlatform,
    /// A telemetry log-source name that no analytic or data component of the loaded bundle
    /// names: it would make nothing visible.
    UnknownLogSource,
    /// A telemetry channel the loaded bundle never names for its log source: collected, but
    /// no analytic reads it.
    UnknownLogChannel,
    /// Two telemetry entries share an id.
    DuplicateTelemetryId,
}

impl Code {
    /// Every code, for documentation and uniqueness tests.
    pub const ALL: [Code; 35] = [
        Code::UnreadableFile,
        Code::YamlSyntax,
        Code::InvalidValue,
        Code::MissingKey,
        Code::UnknownKey,
        Code::UnsupportedVersion,
        Code::UnknownTechnique,
        Code::WrongDomain,
        Code::NotATechnique,
        Code::RevokedTechnique,
        Code::DeprecatedTechnique,
        Code::DuplicateCapabilityId,
        Code::UnknownPlatform,
        Code::LevelOutOfRange,
        Code::RedundantSubtechnique,
        Code::AttackVersionMismatch,
        Code::AttackDomainMismatch,
        Code::UnknownThreat,
        Code::ConflictingSetting,
        Code::EmptyCapability,
        Code::TestedWithoutEvidence,
        Code::NoPlatformInScope,
        Code::InactiveThreat,
        Code::ImportFailed,
        Code::ImportFindings,
        Code::AmbiguousName,
        Code::ParentCountsForNoSubtechnique,
        Code::PlatformMismatch,
        Code::UnknownMitigation,
        Code::ThreatProfileFailed,
        Code::ThreatProfileFindings,
        Code::RenamedPlatform,
        Code::UnknownLogSource,
        Code::UnknownLogChannel,
        Code::DuplicateTelemetryId,
    ];

    /// The kebab-case name shown as `error[code]`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::UnreadableFile => "unreadable-file",
            Code::YamlSyntax => "yaml-syntax",
            Code::InvalidValue => "invalid-value",
            Code::MissingKey => "missing-key",
            Code::UnknownKey => "unknown-key",
            Code::UnsupportedVersion => "unsupported-version",
            Code::UnknownTechnique => "unknown-technique",
            Code::WrongDomain => "wrong-domain",
            Code::NotATechnique => "not-a-technique",
            Code::RevokedTechnique => "revoked-technique",
            Code::DeprecatedTechnique => "deprecated-technique",
            Code::DuplicateCapabilityId => "duplicate-capability-id",
            Code::UnknownPlatform => "unknown-platform",
            Code::LevelOutOfRange => "level-out-of-range",
            Code::RedundantSubtechnique => "redundant-subtechnique",
            Code::AttackVersionMismatch => "attack-version-mismatch",
            Code::AttackDomainMismatch => "attack-domain-mismatch",
            Code::UnknownThreat => "unknown-threat",
            Code::ConflictingSetting => "conflicting-setting",
            Code::EmptyCapability => "empty-capability",
            Code::TestedWithoutEvidence => "tested-without-evidence",
            Code::NoPlatformInScope => "no-platform-in-scope",
            Code::InactiveThreat => "inactive-threat",
            Code::ImportFailed => "import-failed",
            Code::ImportFindings => "import-findings",
            Code::AmbiguousName => "ambiguous-name",
            Code::ParentCountsForNoSubtechnique => "parent-counts-for-no-subtechnique",
            Code::PlatformMismatch => "platform-mismatch",
            Code::UnknownMitigation => "unknown-mitigation",
            Code::ThreatProfileFailed => "threat-profile-failed",
            Code::ThreatProfileFindings => "threat-profile-findings",
            Code::RenamedPlatform => "renamed-platform",
            Code::UnknownLogSource => "unknown-log-source",
            Code::UnknownLogChannel => "unknown-log-channel",
            Code::DuplicateTelemetryId => "duplicate-telemetry-id",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Another place a finding refers to (the first of two duplicate ids, say).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Related {
    /// Where.
    pub location: Location,
    /// What is there.
    pub message: String,
}

/// One finding: where, how serious, what is wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Diagnostic {
    /// Where the problem is.
    pub location: Location,
    /// Error or warning.
    pub severity: Severity,
    /// Stable code.
    pub code: Code,
    /// What is wrong, naming the value (lowercase, no trailing period). Shared: a large
    /// inventory repeats a few thousand messages over hundreds of thousands of findings, and a
    /// run keeps one copy of each ([`Interner`]).
    pub message: Arc<str>,
    /// Length in characters of the offending text at `location`, for the caret (at least 1).
    pub length: usize,
    /// What to do.
    /// (Most hints are fixed texts: borrowed, they cost nothing per finding, and an inventory
    /// can have hundreds of thousands of findings.)
    pub hints: Vec<Cow<'static, str>>,
    /// Other places involved.
    pub related: Vec<Related>,
}

impl Diagnostic {
    /// A new finding without hints.
    pub fn new(
        severity: Severity,
        code: Code,
        location: Location,
        message: impl Into<Arc<str>>,
    ) -> Self {
        Diagnostic {
            location,
            severity,
            code,
            message: message.into(),
            length: 1,
            hints: Vec::new(),
            related: Vec::new(),
        }
    }

    /// Adds a hint.
    #[must_use]
    pub fn hint(mut self, hint: impl Into<Cow<'static, str>>) -> Self {
        let mut hint = hint.into();
        if let Cow::Owned(text) = &mut hint {
            text.shrink_to_fit();
        }
        // Most findings have one hint or two: room for exactly these, not the four a first
        // push makes.
        self.hints.reserve_exact(1);
        self.hints.push(hint);
        self
    }

    /// Sets the length of the offending text.
    #[must_use]
    pub fn length(mut self, length: usize) -> Self {
        self.length = length.max(1);
        self
    }

    /// Adds a related place.
    #[must_use]
    pub fn related(mut self, location: Location, message: impl Into<String>) -> Self {
        self.related.push(Related {
            location,
            message: message.into(),
        });
        self
    }

    /// Whether this finding is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// One copy of each finding message: findings given to [`Interner::intern`] share the
/// message of the first finding that had the same text.
#[derive(Debug, Default)]
pub struct Interner {
    /// foldhash: every finding's text is hashed, and SipHash is several times slower.
    messages: HashSet<Arc<str>, foldhash::fast::FixedState>,
}

impl Interner {
    /// Gives `diagnostic` the message already kept with its text, or keeps its own.
    pub fn intern(&mut self, diagnostic: &mut Diagnostic) {
        match self.messages.get(&*diagnostic.message) {
            Some(kept) => diagnostic.message = Arc::clone(kept),
            None => {
                self.messages.insert(Arc::clone(&diagnostic.message));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Code;

    #[test]
    fn findings_of_the_same_text_share_one_message() {
        use super::{Diagnostic, Interner, Location, Severity};
        let finding = |text: &str| {
            Diagnostic::new(
                Severity::Warning,
                Code::PlatformMismatch,
                Location::default(),
                text.to_string(),
            )
        };
        let mut interner = Interner::default();
        let mut found = vec![finding("a"), finding("b"), finding("a"), finding("a")];
        for d in &mut found {
            interner.intern(d);
        }
        let texts: Vec<&str> = found.iter().map(|d| &*d.message).collect();
        assert_eq!(texts, ["a", "b", "a", "a"]);
        assert!(std::sync::Arc::ptr_eq(&found[0].message, &found[2].message));
        assert!(std::sync::Arc::ptr_eq(&found[0].message, &found[3].message));
        assert!(!std::sync::Arc::ptr_eq(
            &found[0].message,
            &found[1].message
        ));
    }

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let mut names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before);
        for name in names {
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{name}"
            );
        }
    }
}
