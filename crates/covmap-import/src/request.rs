//! One import as a user asks for it (`covmap import FORMAT PATH...`, or a capability's
//! `import:` entry): a format, paths and the options every format shares, checked against what
//! the format takes, then run and resolved against the loaded bundle.
//!
//! | option | navigator | dettect | sigma, splunk, elastic | ctid | sysmon |
//! |---|---|---|---|---|---|
//! | `id` | the one capability's id | prefix of the ids (capabilities and telemetry) | the id (group by none), else prefix | prefix of the ids | the telemetry id (one file), else prefix |
//! | `name` | the capability's name | the name (one capability or telemetry entry), else prefix of the names | same | same | same |
//! | `statuses` | - | - | statuses (Elastic: maturities) that count | - | - |
//! | `function` | yes | - (detection and visibility) | yes | - (the mappings say) | - |
//! | `group_by` | - | - | `folder`, `product`, `none` | `capability`, `group` | - |
//! | `level` | yes | - (the score tables) | yes | yes | - |
//! | `level_rule` | - | - | yes | - | - |
//!
//! Sysmon configurations and DeTT&CT data-source administration files give telemetry
//! ([`crate::model::ImportedTelemetry`]), resolved against the bundle by
//! [`crate::telemetry::resolve`].
//!
//! An option a format does not take is an error (never silently ignored), except with `auto`,
//! where each option goes to the formats found that take it (and is an error if none does).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use covmap_assess::inventory::{Function, ImportFormat, Level};
use covmap_core::Attack;

use crate::model::{Finding, Imported};
use crate::resolve::{self, Resolution};
use crate::rules::{GroupBy, LevelRule};
use crate::{Text, ctid, detect, dettect, elastic, navigator, sigma, splunk, sysmon};

/// What to import and how.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Request {
    /// The artefacts' format.
    pub format: Option<ImportFormat>,
    /// Files and folders.
    pub paths: Vec<PathBuf>,
    /// Capability id, or prefix of the ids (see the module table).
    pub id: Option<String>,
    /// Capability name, or prefix of the names.
    pub name: Option<String>,
    /// Statuses (Sigma, Splunk) or maturities (Elastic) that count; `None`: the format's.
    pub statuses: Option<Vec<String>>,
    /// Function of the entries.
    pub function: Option<Function>,
    /// How entries are grouped into capabilities, as written (`folder`, `group`...).
    pub group_by: Option<String>,
    /// One level for every entry.
    pub level: Option<Level>,
    /// How rule counts make levels (Sigma, Splunk, Elastic).
    pub level_rule: Option<LevelRule>,
}

/// A request that cannot be run as asked: an option the format does not take, a bad value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError(pub String);

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RequestError {}

/// What a run produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcome {
    /// Capabilities (IDs resolved), counts and findings.
    pub imported: Imported,
    /// IDs remapped, unknown, deprecated.
    pub resolution: Resolution,
    /// Files read per format (with `auto`: as recognised).
    pub formats: BTreeMap<ImportFormat, usize>,
}

/// The options of one format, built from a request.
enum Options {
    Navigator(navigator::NavigatorOptions),
    Dettect(dettect::DettectOptions),
    Sigma(sigma::SigmaOptions),
    Splunk(splunk::SplunkOptions),
    Elastic(elastic::ElasticOptions),
    Ctid(ctid::CtidOptions),
    Sysmon(sysmon::SysmonOptions),
}

impl Request {
    /// A request for `format` over `paths`, with every option at the format's default.
    pub fn new(format: ImportFormat, paths: Vec<PathBuf>) -> Request {
        Request {
            format: Some(format),
            paths,
            ..Request::default()
        }
    }

    /// Reads the files, imports them, and resolves their IDs against `attack`.
    pub fn run(&self, attack: &Attack) -> Result<Outcome, RequestError> {
        let format = self.format.unwrap_or(ImportFormat::Auto);
        if self.paths.is_empty() {
            return Err(RequestError("no file or folder to import".into()));
        }
        let tactics: BTreeSet<String> = attack.tactics().map(|t| t.shortname.clone()).collect();
        let mut outcome = Outcome::default();
        let imported = if format == ImportFormat::Auto {
            self.run_auto(&tactics, &mut outcome.formats)?
        } else {
            let options = self.options(format, &tactics, true)?.ok_or_else(|| {
                RequestError(format!("{} takes none of these options", format.as_str()))
            })?;
            let (texts, mut imported) = crate::read_files(&self.paths, &extensions(format));
            outcome.formats.insert(format, texts.len());
            options.import(&self.paths, &texts, &mut imported);
            imported
        };
        Ok(self.finish(format, imported, outcome, attack))
    }

    /// Imports texts already in memory, as `run` imports files: `texts` are (path, text)
    /// pairs, the paths naming them in findings and evidence (and, for the rule formats,
    /// giving the folder grouping). `format` must not be `auto`. For callers that do not read
    /// files (a fuzzer, a service).
    pub fn run_texts(
        &self,
        texts: &[(PathBuf, String)],
        attack: &Attack,
    ) -> Result<Outcome, RequestError> {
        let format = self.format.unwrap_or(ImportFormat::Auto);
        let tactics: BTreeSet<String> = attack.tactics().map(|t| t.shortname.clone()).collect();
        let options = self.options(format, &tactics, true)?.ok_or_else(|| {
            RequestError(format!("run_texts needs a format, not {}", format.as_str()))
        })?;
        let mut outcome = Outcome::default();
        outcome.formats.insert(format, texts.len());
        let mut imported = Imported::default();
        let roots: Vec<PathBuf> = texts.iter().map(|(path, _)| path.clone()).collect();
        options.import(&roots, texts, &mut imported);
        Ok(self.finish(format, imported, outcome, attack))
    }

    /// Names, resolves and tidies what the format's importer produced.
    fn finish(
        &self,
        format: ImportFormat,
        mut imported: Imported,
        mut outcome: Outcome,
        attack: &Attack,
    ) -> Outcome {
        self.rename(format, &mut imported);
        // Where each capability comes from, for the finding if resolution empties it.
        let sources: BTreeMap<String, PathBuf> = imported
            .capabilities
            .iter()
            .map(|c| {
                let path = c.entries.first().map_or_else(
                    || self.paths.first().cloned().unwrap_or_default(),
                    |e| e.evidence.path.clone(),
                );
                (c.id.clone(), path)
            })
            .collect();
        outcome.resolution = resolve::resolve(&mut imported, attack);
        crate::telemetry::resolve(&mut imported, attack);
        fit_platforms(&mut imported, attack);
        drop_empty(&mut imported, attack, &sources);
        resolve::parent_only(&mut imported, attack);
        imported.sort_findings();
        outcome.imported = imported;
        outcome
    }

    /// `auto`: every file's format recognised, each format's files imported with its options.
    fn run_auto(
        &self,
        tactics: &BTreeSet<String>,
        formats: &mut BTreeMap<ImportFormat, usize>,
    ) -> Result<Imported, RequestError> {
        let (texts, mut imported) = crate::read_files(&self.paths, &detect::EXTENSIONS);
        let mut by_format: BTreeMap<ImportFormat, Vec<Text>> = BTreeMap::new();
        for (path, text) in texts {
            match detect::detect(&path, &text) {
                Some(format) => by_format.entry(format).or_default().push((path, text)),
                None => imported.skip_file(Finding::file(
                    &path,
                    "not a format covmap imports (navigator, dettect, sigma, elastic, splunk, ctid, sysmon): skipped",
                )),
            }
        }
        // Each option must be taken by at least one format found.
        let mut taken = Taken::default();
        for (format, texts) in &by_format {
            formats.insert(*format, texts.len());
            taken.add(*format);
            if let Some(options) = self.options(*format, tactics, false)? {
                let mut part = Imported::default();
                options.import(&self.paths, texts, &mut part);
                merge(&mut imported, part);
            }
        }
        taken.check(self)?;
        Ok(imported)
    }

    /// The options of `format`; with `strict`, an option it does not take is an error,
    /// otherwise it is left out.
    fn options(
        &self,
        format: ImportFormat,
        tactics: &BTreeSet<String>,
        strict: bool,
    ) -> Result<Option<Options>, RequestError> {
        let takes = Takes::of(format);
        if strict {
            self.refuse_untaken(format, takes)?;
        }
        let id = self.id.clone();
        let statuses = |allowed: &[&str], never: &[&str], noun: &str| {
            statuses(self.statuses.as_deref(), allowed, never, noun, format)
        };
        let options = match format {
            ImportFormat::Auto => return Ok(None),
            ImportFormat::Navigator => Options::Navigator(navigator::NavigatorOptions {
                id,
                name: self.name.clone(),
                function: self.function,
                level: self.level,
                ..navigator::NavigatorOptions::default()
            }),
            ImportFormat::Dettect => Options::Dettect(dettect::DettectOptions {
                id,
                ..dettect::DettectOptions::default()
            }),
            ImportFormat::Sysmon => Options::Sysmon(sysmon::SysmonOptions { id }),
            ImportFormat::Ctid => {
                let mut options = ctid::CtidOptions {
                    level: self.level,
                    ..ctid::CtidOptions::default()
                };
                if let Some(group_by) = self.group_by_for(format, strict)? {
                    options.group_by = match group_by.as_str() {
                        "group" => ctid::GroupBy::Group,
                        _ => ctid::GroupBy::Capability,
                    };
                }
                Options::Ctid(options)
            }
            ImportFormat::Sigma => {
                let mut options = sigma::SigmaOptions {
                    id,
                    tactics: tactics.clone(),
                    ..sigma::SigmaOptions::default()
                };
                if let Some(s) = statuses(&sigma::STATUSES, &sigma::NEVER, "status")? {
                    options.statuses = s;
                }
                self.rule_options(
                    format,
                    strict,
                    &mut options.group_by,
                    &mut options.function,
                    &mut options.levels,
                )?;
                Options::Sigma(options)
            }
            ImportFormat::Splunk => {
                let mut options = splunk::SplunkOptions {
                    id,
                    ..splunk::SplunkOptions::default()
                };
                if let Some(s) = statuses(&splunk::STATUSES, &["deprecated"], "status")? {
                    options.statuses = s;
                }
                self.rule_options(
                    format,
                    strict,
                    &mut options.group_by,
                    &mut options.function,
                    &mut options.levels,
                )?;
                Options::Splunk(options)
            }
            ImportFormat::Elastic => {
                let mut options = elastic::ElasticOptions {
                    id,
                    ..elastic::ElasticOptions::default()
                };
                if let Some(s) = statuses(&elastic::MATURITIES, &[], "maturity")? {
                    options.maturities = s;
                }
                self.rule_options(
                    format,
                    strict,
                    &mut options.group_by,
                    &mut options.function,
                    &mut options.levels,
                )?;
                Options::Elastic(options)
            }
        };
        Ok(Some(options))
    }

    /// The options the rule formats share.
    fn rule_options(
        &self,
        format: ImportFormat,
        strict: bool,
        group_by: &mut GroupBy,
        function: &mut Function,
        levels: &mut LevelRule,
    ) -> Result<(), RequestError> {
        if let Some(written) = self.group_by_for(format, strict)? {
            *group_by = match written.as_str() {
                "product" => GroupBy::Product,
                "none" => GroupBy::None,
                _ => GroupBy::Folder,
            };
        }
        if let Some(f) = self.function {
            *function = f;
        }
        if let Some(rule) = self.level_rule {
            *levels = rule;
        }
        if self.level.is_some() {
            levels.fixed = self.level;
        }
        Ok(())
    }

    /// `group_by` checked for `format` (lowercase); `None` when not given, or (not `strict`)
    /// not one of the format's.
    fn group_by_for(
        &self,
        format: ImportFormat,
        strict: bool,
    ) -> Result<Option<String>, RequestError> {
        let Some(written) = &self.group_by else {
            return Ok(None);
        };
        let value = written.trim().to_ascii_lowercase();
        let allowed = Takes::of(format).group_by;
        if allowed.contains(&value.as_str()) {
            Ok(Some(value))
        } else if strict {
            Err(RequestError(format!(
                "{} groups by {}, not `{written}`",
                format.as_str(),
                allowed.join(", ")
            )))
        } else {
            Ok(None)
        }
    }

    fn refuse_untaken(&self, format: ImportFormat, takes: Takes) -> Result<(), RequestError> {
        let refuse = |option: &str, why: &str| {
            Err(RequestError(format!(
                "{} takes no {option}: {why}",
                format.as_str()
            )))
        };
        if self.statuses.is_some() && !takes.statuses {
            return refuse("status", "only sigma, splunk and elastic rules have one");
        }
        if self.function.is_some() && !takes.function {
            return refuse(
                "function",
                "its files say it (DeTT&CT: detection and visibility; CTID: protect, detect, respond)",
            );
        }
        if self.level.is_some() && !takes.level {
            return refuse("level", "its scores map to levels by the documented table");
        }
        if self.level_rule.is_some() && !takes.level_rule {
            return refuse(
                "level rule",
                "only rule formats (sigma, splunk, elastic) count rules",
            );
        }
        if self.group_by.is_some() && takes.group_by.is_empty() {
            return refuse("grouping", "each file or system type is one capability");
        }
        Ok(())
    }

    /// Applies `name` (all formats but Navigator, which takes it itself) and, for CTID, the
    /// `id` prefix.
    fn rename(&self, format: ImportFormat, imported: &mut Imported) {
        if let Some(name) = &self.name {
            let single = imported.telemetry.len() == 1;
            for entry in &mut imported.telemetry {
                entry.name = if single {
                    name.clone()
                } else {
                    format!("{name}: {}", entry.name)
                };
            }
        }
        let single = imported.capabilities.len() == 1;
        for capability in &mut imported.capabilities {
            let from_layer = format == ImportFormat::Navigator;
            if let Some(name) = self.name.as_ref().filter(|_| !from_layer) {
                capability.name = if single {
                    name.clone()
                } else {
                    format!("{name}: {}", capability.name)
                };
            }
        }
        if format == ImportFormat::Ctid
            && let Some(prefix) = &self.id
        {
            for capability in &mut imported.capabilities {
                capability.id = format!("{prefix}-{}", capability.id);
            }
        }
    }
}

impl Options {
    fn import(&self, roots: &[PathBuf], texts: &[Text], imported: &mut Imported) {
        match self {
            Options::Navigator(o) => navigator::import_texts(texts, o, imported),
            Options::Dettect(o) => dettect::import_texts(texts, o, imported),
            Options::Sigma(o) => sigma::import_texts(roots, texts, o, imported),
            Options::Splunk(o) => splunk::import_texts(roots, texts, o, imported),
            Options::Elastic(o) => elastic::import_texts(roots, texts, o, imported),
            Options::Ctid(o) => ctid::import_texts(texts, o, imported),
            Options::Sysmon(o) => sysmon::import_texts(texts, o, imported),
        }
    }
}

/// What a format takes (the module table).
#[derive(Debug, Clone, Copy)]
#[allow(clippy::struct_excessive_bools)] // one flag per option of the table
struct Takes {
    statuses: bool,
    function: bool,
    level: bool,
    level_rule: bool,
    group_by: &'static [&'static str],
}

impl Takes {
    fn of(format: ImportFormat) -> Takes {
        const RULES: &[&str] = &["folder", "product", "none"];
        let (statuses, function, level, level_rule, group_by): (_, _, _, _, &'static [&str]) =
            match format {
                ImportFormat::Navigator => (false, true, true, false, &[]),
                ImportFormat::Ctid => (false, false, true, false, &["capability", "group"]),
                ImportFormat::Sigma | ImportFormat::Splunk | ImportFormat::Elastic => {
                    (true, true, true, true, RULES)
                }
                // DeTT&CT and Sysmon take none of them; `auto` is checked per format found.
                ImportFormat::Dettect | ImportFormat::Sysmon | ImportFormat::Auto => {
                    (false, false, false, false, &[])
                }
            };
        Takes {
            statuses,
            function,
            level,
            level_rule,
            group_by,
        }
    }
}

/// The union of what the formats found by `auto` take.
#[derive(Default)]
struct Taken {
    formats: Vec<ImportFormat>,
}

impl Taken {
    fn add(&mut self, format: ImportFormat) {
        self.formats.push(format);
    }

    fn check(&self, request: &Request) -> Result<(), RequestError> {
        let takes: Vec<Takes> = self.formats.iter().map(|f| Takes::of(*f)).collect();
        let any = |f: fn(&Takes) -> bool| takes.iter().any(f);
        let found = if self.formats.is_empty() {
            "no file of a format covmap imports".to_string()
        } else {
            self.formats
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let refuse = |option: &str| {
            Err(RequestError(format!(
                "no format found takes {option} (found: {found})"
            )))
        };
        if request.statuses.is_some() && !any(|t| t.statuses) {
            return refuse("a status");
        }
        if request.function.is_some() && !any(|t| t.function) {
            return refuse("a function");
        }
        if request.level.is_some() && !any(|t| t.level) {
            return refuse("a level");
        }
        if request.level_rule.is_some() && !any(|t| t.level_rule) {
            return refuse("a level rule");
        }
        if let Some(group_by) = &request.group_by {
            let value = group_by.trim().to_ascii_lowercase();
            if !takes.iter().any(|t| t.group_by.contains(&value.as_str())) {
                return refuse(&format!("grouping by `{group_by}`"));
            }
        }
        Ok(())
    }
}

/// The file extensions a format reads.
fn extensions(format: ImportFormat) -> Vec<&'static str> {
    match format {
        ImportFormat::Navigator => vec!["json"],
        ImportFormat::Elastic => vec!["toml"],
        ImportFormat::Sysmon => vec!["xml"],
        ImportFormat::Ctid => ctid::EXTENSIONS.to_vec(),
        ImportFormat::Dettect | ImportFormat::Sigma | ImportFormat::Splunk => {
            vec!["yml", "yaml"]
        }
        ImportFormat::Auto => detect::EXTENSIONS.to_vec(),
    }
}

/// Statuses checked against the format's: lowercase, known, none of `never`.
fn statuses(
    given: Option<&[String]>,
    allowed: &[&str],
    never: &[&str],
    noun: &str,
    format: ImportFormat,
) -> Result<Option<BTreeSet<String>>, RequestError> {
    let Some(given) = given else {
        return Ok(None);
    };
    let mut out = BTreeSet::new();
    for status in given {
        let status = status.trim().to_ascii_lowercase();
        if never.contains(&status.as_str()) {
            return Err(RequestError(format!(
                "{} {noun} `{status}` never counts",
                format.as_str()
            )));
        }
        if !allowed.contains(&status.as_str()) {
            let usable: Vec<&str> = allowed
                .iter()
                .copied()
                .filter(|s| !never.contains(s))
                .collect();
            return Err(RequestError(format!(
                "`{status}` is not a {} {noun}: use {}",
                format.as_str(),
                usable.join(", ")
            )));
        }
        out.insert(status);
    }
    if out.is_empty() {
        return Err(RequestError(format!("no {noun} given")));
    }
    Ok(Some(out))
}

/// Adds `part` (one format's import) to `into`: capabilities with the same id merge.
fn merge(into: &mut Imported, part: Imported) {
    for capability in part.capabilities {
        let target = into.capability(&capability.id, &capability.name, &capability.platforms);
        target.entries.extend(capability.entries);
    }
    let (s, p) = (&mut into.summary, part.summary);
    s.files_read += p.files_read;
    s.files_skipped += p.files_skipped;
    s.items_read += p.items_read;
    s.items_with_techniques += p.items_with_techniques;
    s.items_filtered += p.items_filtered;
    s.techniques.extend(p.techniques);
    into.telemetry.extend(part.telemetry);
    into.findings.extend(part.findings);
}

/// Drops platforms the loaded domain does not have (a Sigma Windows rule imported against the
/// mobile bundle), with one finding per platform. An entry left with none of its platforms is
/// dropped, and so is a capability left with none (an empty list would mean "every platform").
fn fit_platforms(imported: &mut Imported, attack: &Attack) {
    let known: BTreeSet<String> = attack.platforms().into_iter().collect();
    let mut dropped: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut findings = Vec::new();
    imported.capabilities.retain_mut(|capability| {
        let first = capability
            .entries
            .first()
            .map(|e| e.evidence.path.clone())
            .unwrap_or_default();
        let had = !capability.platforms.is_empty();
        capability.platforms.retain(|p| {
            let keep = known.contains(p);
            if !keep {
                dropped.entry(p.clone()).or_insert_with(|| first.clone());
            }
            keep
        });
        if had && capability.platforms.is_empty() {
            findings.push(Finding::file(
                &first,
                format!(
                    "capability `{}` has no platform of {} ATT&CK: left out",
                    capability.id,
                    attack.domain_short()
                ),
            ));
            return false;
        }
        capability.entries.retain_mut(|entry| {
            let Some(platforms) = &mut entry.platforms else {
                return true;
            };
            platforms.retain(|p| known.contains(p));
            !platforms.is_empty()
        });
        true
    });
    for (platform, path) in dropped {
        findings.push(Finding::file(
            &path,
            format!(
                "platform `{platform}` is not one of {} ATT&CK: left out",
                attack.domain_short()
            ),
        ));
    }
    imported.findings.extend(findings);
}

/// Leaves out capabilities with no entry left (all their IDs unknown to the bundle, or
/// deprecated): an inventory capability without coverage only draws a warning.
fn drop_empty(imported: &mut Imported, attack: &Attack, sources: &BTreeMap<String, PathBuf>) {
    let mut findings = Vec::new();
    imported.capabilities.retain(|capability| {
        if !capability.entries.is_empty() {
            return true;
        }
        findings.push(Finding::file(
            sources
                .get(&capability.id)
                .map_or(Path::new(""), PathBuf::as_path),
            format!(
                "capability `{}` has no technique of {} ATT&CK {} left: left out",
                capability.id,
                attack.domain_short(),
                attack.version().unwrap_or("?")
            ),
        ));
        false
    });
    imported.findings.extend(findings);
}
