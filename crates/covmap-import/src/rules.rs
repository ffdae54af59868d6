//! What the detection-rule formats share (Sigma, Splunk, Elastic): rules grouped into
//! capabilities, and one entry per technique of a capability whose level comes from the rules
//! mapping to it by a [`LevelRule`].
//!
//! Each format reads its files into rules and hands them to a rule set; the set groups them
//! by [`GroupBy`] and, when finished, writes the capabilities:
//! - a capability's platforms are the union of its rules' platforms;
//! - a technique's entry has the platforms of the rules mapping to it when they are fewer than
//!   the capability's (a Windows and a Linux rule grouped together do not make the Windows
//!   rule's technique count on Linux); a rule without a platform makes the entry apply on all
//!   of the capability's;
//! - the entry's evidence names the first rule (file, line and column of its technique tag, id,
//!   title) and counts the rules by their tag (status, type or severity), naming the others;
//! - one piece of evidence counts once: a rule whose id (Sigma `id`, Splunk `id`, Elastic
//!   `rule.rule_id`, compared trimmed and case-blind) was already read from another file is a
//!   copy, left out with a finding naming both paths (`RuleSet::is_copy`). The copy kept is
//!   the first read: the paths in the order given, each folder in sorted path order (so, in one
//!   folder, the first in sorted path order). Documents of one Sigma file sharing an id (a
//!   legacy rule collection's `action: global` id) are one rule's variants, not copies. The same
//!   file reached by several paths (symbolic or hard links) is read once by [`crate::walk`].

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use covmap_assess::inventory::{Function, Level, NamedLevel};

use crate::model::{Evidence, Finding, Imported, rules_evidence, slug};

/// How rules are grouped into capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// One capability per folder holding rules.
    #[default]
    Folder,
    /// One capability per product (Sigma `logsource.product`, Splunk's first data source,
    /// Elastic's first integration).
    Product,
    /// One capability for every rule.
    None,
}

/// How the rules mapping to one technique make its level.
///
/// With `n` rules that count, among them `stable` ones (Sigma `stable`, Splunk `TTP`, Elastic
/// `high`/`critical`: a rule trusted to alert on its own):
/// - significant when `n >= significant_rules` and (a stable rule is among them, or
///   `significant_needs_stable` is false);
/// - else partial when `n >= partial_rules`, or a stable rule is among them and
///   `stable_is_partial`;
/// - else minimal.
///
/// Default (2, 3, true, true): one test rule is minimal; one stable rule, or two rules, partial;
/// three or more rules with a stable one, significant. Rationale: a `test` rule has not proved
/// itself in production yet, a `stable` one has; several rules on one technique usually cover
/// several of its procedures. [`LevelRule::fixed`] sets one level for every technique instead.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevelRule {
    /// Rules needed for partial.
    pub partial_rules: usize,
    /// Rules needed for significant.
    pub significant_rules: usize,
    /// One stable rule is enough for partial.
    pub stable_is_partial: bool,
    /// Significant needs a stable rule among them.
    pub significant_needs_stable: bool,
    /// One level for every technique, whatever its rules.
    pub fixed: Option<Level>,
}

impl Default for LevelRule {
    fn default() -> Self {
        LevelRule {
            partial_rules: 2,
            significant_rules: 3,
            stable_is_partial: true,
            significant_needs_stable: true,
            fixed: None,
        }
    }
}

impl LevelRule {
    /// The level of a technique mapped by `rules` rules, `stable` of them stable.
    pub fn level(&self, rules: usize, stable: usize) -> Level {
        if let Some(level) = self.fixed {
            return level;
        }
        let has_stable = stable > 0;
        let named =
            if rules >= self.significant_rules && (has_stable || !self.significant_needs_stable) {
                NamedLevel::Significant
            } else if rules >= self.partial_rules || (has_stable && self.stable_is_partial) {
                NamedLevel::Partial
            } else {
                NamedLevel::Minimal
            };
        Level::Named(named)
    }

    /// Reads `partial=N,significant=N,stable-is-partial=BOOL,significant-needs-stable=BOOL`
    /// (any subset, in any order) over the defaults.
    pub fn parse(text: &str) -> Result<LevelRule, String> {
        let mut rule = LevelRule::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}` is not KEY=VALUE"))?;
            let (key, value) = (key.trim(), value.trim());
            let count = || {
                value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        format!("`{key}` takes a number of rules from 1 up, not `{value}`")
                    })
            };
            let flag = || match value {
                "true" | "yes" => Ok(true),
                "false" | "no" => Ok(false),
                _ => Err(format!("`{key}` takes true or false, not `{value}`")),
            };
            match key {
                "partial" => rule.partial_rules = count()?,
                "significant" => rule.significant_rules = count()?,
                "stable-is-partial" => rule.stable_is_partial = flag()?,
                "significant-needs-stable" => rule.significant_needs_stable = flag()?,
                _ => {
                    return Err(format!(
                        "unknown key `{key}`: use partial, significant, stable-is-partial or significant-needs-stable"
                    ));
                }
            }
        }
        Ok(rule)
    }
}

/// How one format names its capabilities and rules.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Naming {
    /// Capability id when everything is one capability and no id is given (`sigma`).
    pub(crate) default_id: &'static str,
    /// Its name (`Sigma rules`).
    pub(crate) default_name: &'static str,
    /// Prefix of the names of grouped capabilities (`Sigma` gives `Sigma: rules/windows`).
    pub(crate) prefix: &'static str,
    /// What a rule is called in evidence (`rule`, `detection`).
    pub(crate) noun: &'static str,
    /// The product name of rules without one (`no-product`).
    pub(crate) no_product: &'static str,
}

/// One rule that counts, as its format read it.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    /// The file.
    pub(crate) path: PathBuf,
    /// Its id in the source.
    pub(crate) item: Option<String>,
    /// Its title.
    pub(crate) title: Option<String>,
    /// What the rule is counted by in evidence: its status, type or severity.
    pub(crate) tag: String,
    /// Whether it plays the part of a stable rule in the [`LevelRule`].
    pub(crate) stable: bool,
    /// Its ATT&CK platforms (empty: it names none).
    pub(crate) platforms: Vec<String>,
    /// Its techniques as written, without repeats (any case), with where each is written.
    pub(crate) techniques: Vec<(String, Option<(usize, usize)>)>,
}

/// The rules of one technique in one capability.
struct TechniqueRules {
    written: String,
    rules: Vec<(Evidence, String, bool)>,
    /// Union of the rules' platforms; `None` once a rule without platform is among them.
    platforms: Option<Vec<String>>,
}

/// A capability being built.
struct Group {
    id: String,
    name: String,
    platforms: Vec<String>,
    /// Whether a rule without platform is among its rules (it applies on all of the
    /// system's platforms).
    unplatformed: bool,
    techniques: Vec<TechniqueRules>,
    /// Upper-cased technique -> position in `techniques`.
    index: HashMap<String, usize>,
}

/// Rules read so far, grouped into capabilities.
pub(crate) struct RuleSet<'o> {
    naming: Naming,
    id: Option<&'o str>,
    group_by: GroupBy,
    function: Function,
    levels: LevelRule,
    groups: Vec<Group>,
    /// Capability id -> position in `groups`.
    index: HashMap<String, usize>,
    /// Rule id (trimmed, lower-cased) -> the file it was first read from.
    ids: HashMap<String, PathBuf>,
}

impl<'o> RuleSet<'o> {
    /// An empty set.
    pub(crate) fn new(
        naming: Naming,
        id: Option<&'o str>,
        group_by: GroupBy,
        function: Function,
        levels: LevelRule,
    ) -> Self {
        RuleSet {
            naming,
            id,
            group_by,
            function,
            levels,
            groups: Vec::new(),
            index: HashMap::new(),
            ids: HashMap::new(),
        }
    }

    /// Whether the rule with `id` read from `path` is a copy of one already read from another
    /// file: then it is reported (a finding naming both paths), counted in
    /// [`Summary::duplicates`](crate::Summary::duplicates), and must not be added. Call it once
    /// per rule that counts, before counting it. A rule without id is never a copy.
    pub(crate) fn is_copy(
        &mut self,
        id: Option<&str>,
        path: &Path,
        position: Option<(usize, usize)>,
        imported: &mut Imported,
    ) -> bool {
        let Some(id) = id.map(str::trim).filter(|i| !i.is_empty()) else {
            return false;
        };
        let key = id.to_lowercase();
        match self.ids.get(&key) {
            None => {
                self.ids.insert(key, path.to_path_buf());
                false
            }
            Some(first) if first == path => false,
            Some(first) => {
                imported.summary.duplicates += 1;
                imported.findings.push(Finding::maybe_at(
                    path,
                    position,
                    format!(
                        "{} id `{id}` was already read from {}: a copy counts once (the first \
                         read is kept): not imported",
                        self.naming.noun,
                        first.display()
                    ),
                ));
                true
            }
        }
    }

    /// The capability (id, name) of a rule read from `path`, found under `root` (the path the
    /// user gave), naming `product`.
    pub(crate) fn group_of(
        &self,
        path: &Path,
        root: Option<&Path>,
        product: Option<&str>,
    ) -> (String, String) {
        let naming = self.naming;
        let prefixed = |s: &str| match self.id {
            Some(p) => format!("{}-{}", slug(p), slug(s)),
            None => slug(s),
        };
        match self.group_by {
            GroupBy::None => (
                self.id.map_or_else(|| naming.default_id.to_string(), slug),
                self.id.unwrap_or(naming.default_name).to_string(),
            ),
            GroupBy::Product => {
                let product = product
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .unwrap_or(naming.no_product);
                (prefixed(product), format!("{}: {product}", naming.prefix))
            }
            GroupBy::Folder => {
                let name = folder_name(path, root, naming.default_id);
                (prefixed(&name), format!("{}: {name}", naming.prefix))
            }
        }
    }

    /// Adds a rule to the capability `(id, name)`.
    pub(crate) fn add(&mut self, (id, name): (String, String), rule: &Rule) {
        let at = slot(&mut self.index, &mut self.groups, id, |id| Group {
            id,
            name,
            platforms: Vec::new(),
            unplatformed: false,
            techniques: Vec::new(),
            index: HashMap::new(),
        });
        let Some(group) = self.groups.get_mut(at) else {
            return;
        };
        group.unplatformed |= rule.platforms.is_empty();
        for p in &rule.platforms {
            if !group.platforms.contains(p) {
                group.platforms.push(p.clone());
            }
        }
        group.platforms.sort();
        for (written, position) in &rule.techniques {
            let evidence = Evidence {
                path: rule.path.clone(),
                item: rule.item.clone(),
                title: rule.title.clone(),
                comment: None,
                line: position.map(|(l, _)| l),
                column: position.map(|(_, c)| c),
            };
            let upper = written.trim().to_ascii_uppercase();
            let at = slot(&mut group.index, &mut group.techniques, upper, |_| {
                TechniqueRules {
                    written: written.clone(),
                    rules: Vec::new(),
                    platforms: Some(Vec::new()),
                }
            });
            let Some(technique) = group.techniques.get_mut(at) else {
                continue;
            };
            technique
                .rules
                .push((evidence, rule.tag.clone(), rule.stable));
            technique.platforms = match technique.platforms.take() {
                Some(_) if rule.platforms.is_empty() => None,
                Some(mut union) => {
                    for p in &rule.platforms {
                        if !union.contains(p) {
                            union.push(p.clone());
                        }
                    }
                    Some(union)
                }
                None => None,
            };
        }
    }

    /// Writes the capabilities into `imported`, one entry per technique, all in one system
    /// (named like the one capability of `GroupBy::None`).
    ///
    /// Grouping changes labels, never a score: a technique's level comes from all the rules
    /// of the import that map to it, whatever their group, and a group holding a rule without
    /// platform applies on all the platforms of the import. Combined by max within their
    /// system, the groups then score exactly what one capability of all the rules scores.
    pub(crate) fn finish(self, imported: &mut Imported) {
        let system = self
            .id
            .map_or_else(|| self.naming.default_id.to_string(), slug);
        // Rules (and stable ones) per technique across all groups, and every rule platform.
        let mut totals: HashMap<String, (usize, usize)> = HashMap::new();
        let mut all_platforms: Vec<String> = Vec::new();
        for group in &self.groups {
            for p in &group.platforms {
                if !all_platforms.contains(p) {
                    all_platforms.push(p.clone());
                }
            }
            for technique in &group.techniques {
                let key = technique.written.trim().to_ascii_uppercase();
                let stable = technique.rules.iter().filter(|(_, _, s)| *s).count();
                let total = totals.entry(key).or_default();
                total.0 += technique.rules.len();
                total.1 += stable;
            }
        }
        all_platforms.sort();
        let mut built = Vec::with_capacity(self.groups.len());
        for group in &self.groups {
            let platforms = if group.unplatformed {
                all_platforms.clone()
            } else {
                group.platforms.clone()
            };
            let mut entries = Vec::with_capacity(group.techniques.len());
            for technique in &group.techniques {
                let upper = technique.written.trim().to_ascii_uppercase();
                let own = technique.rules.len();
                let (rules, stable) = totals.get(upper.as_str()).copied().unwrap_or((own, 0));
                let level = self.levels.level(rules, stable);
                let hits = technique
                    .rules
                    .iter()
                    .map(|(evidence, tag, _)| (evidence.clone(), tag.clone()))
                    .collect();
                let Some(mut evidence) = rules_evidence(self.naming.noun, hits) else {
                    continue;
                };
                if rules > own
                    && self.levels.fixed.is_none()
                    && let Some(comment) = &mut evidence.comment
                {
                    let _ = write!(
                        comment,
                        "; level from the {rules} {}s of the import that map to it",
                        self.naming.noun
                    );
                }
                let mut entry = imported.entry(&technique.written, self.function, level, evidence);
                entry.platforms = technique.platforms.clone().map(|mut p| {
                    p.sort();
                    p
                });
                if entry.platforms.as_ref() == Some(&platforms)
                    || entry.platforms.as_ref().is_some_and(Vec::is_empty)
                {
                    entry.platforms = None;
                }
                entries.push(entry);
            }
            built.push((group, platforms, entries));
        }
        for (group, platforms, entries) in built {
            let capability = imported.capability(&group.id, &group.name, &platforms);
            capability.system = Some(system.clone());
            capability.entries.extend(entries);
        }
    }
}

/// The position of `key` in `list`, pushing `make(key)` when it is new.
fn slot<T>(
    index: &mut HashMap<String, usize>,
    list: &mut Vec<T>,
    key: String,
    make: impl FnOnce(String) -> T,
) -> usize {
    if let Some(&at) = index.get(&key) {
        return at;
    }
    list.push(make(key.clone()));
    index.insert(key, list.len() - 1);
    list.len() - 1
}

/// The path given by the user that `path` was found under (the longest, when they nest).
pub(crate) fn root_of<'p>(paths: &'p [PathBuf], path: &Path) -> Option<&'p Path> {
    paths
        .iter()
        .filter(|r| path.starts_with(r))
        .max_by_key(|r| r.components().count())
        .map(PathBuf::as_path)
}

/// The name of the folder holding `path`: relative to `root` (the path the user gave),
/// starting with `root`'s own name, `/`-separated; without a root folder, the file's folder
/// name; `fallback` when there is none.
pub(crate) fn folder_name(path: &Path, root: Option<&Path>, fallback: &str) -> String {
    let folder = path.parent().unwrap_or(Path::new(""));
    match root.filter(|r| r.is_dir()) {
        Some(root) => {
            let mut name = root.file_name().map_or_else(
                || fallback.to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            let rel = folder.strip_prefix(root).unwrap_or(Path::new(""));
            for part in rel.components() {
                name.push('/');
                name.push_str(&part.as_os_str().to_string_lossy());
            }
            name
        }
        None => folder.file_name().map_or_else(
            || fallback.to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_rule() {
        let rule = LevelRule::default();
        let named = |n, s| match rule.level(n, s) {
            Level::Named(l) => Some(l),
            Level::Value(_) => None,
        };
        assert_eq!(named(1, 0), Some(NamedLevel::Minimal));
        assert_eq!(named(1, 1), Some(NamedLevel::Partial));
        assert_eq!(named(2, 0), Some(NamedLevel::Partial));
        assert_eq!(named(5, 0), Some(NamedLevel::Partial));
        assert_eq!(named(3, 1), Some(NamedLevel::Significant));
    }

    #[test]
    fn level_rule_from_text() {
        let rule = LevelRule::parse("significant=5, partial=3,significant-needs-stable=no")
            .expect("parses");
        assert_eq!(
            (
                rule.partial_rules,
                rule.significant_rules,
                rule.stable_is_partial,
                rule.significant_needs_stable
            ),
            (3, 5, true, false)
        );
        assert_eq!(
            LevelRule::parse("").expect("defaults"),
            LevelRule::default()
        );
        assert!(LevelRule::parse("partial=0").is_err());
        assert!(LevelRule::parse("partial").is_err());
        assert!(LevelRule::parse("stable-is-partial=maybe").is_err());
        assert!(LevelRule::parse("strong=1").is_err());
    }

    const NAMING: Naming = Naming {
        default_id: "sigma",
        default_name: "Sigma rules",
        prefix: "Sigma",
        noun: "rule",
        no_product: "no-product",
    };

    fn rule(path: &str, tag: &str, platforms: &[&str], techniques: &[&str]) -> Rule {
        Rule {
            path: PathBuf::from(path),
            item: Some(format!("{path}#id")),
            title: None,
            tag: tag.to_string(),
            stable: tag == "stable",
            platforms: platforms.iter().map(|p| (*p).to_string()).collect(),
            techniques: techniques
                .iter()
                .map(|t| ((*t).to_string(), Some((3, 5))))
                .collect(),
        }
    }

    #[test]
    fn entries_keep_the_platforms_of_their_rules() {
        let mut set = RuleSet::new(
            NAMING,
            None,
            GroupBy::None,
            Function::Detect,
            LevelRule::default(),
        );
        let group = || ("sigma".to_string(), "Sigma rules".to_string());
        set.add(
            group(),
            &rule("w.yml", "stable", &["Windows"], &["T1059.001", "T1105"]),
        );
        set.add(
            group(),
            &rule("l.yml", "test", &["Linux"], &["t1105", "T1059.004"]),
        );
        set.add(group(), &rule("p.yml", "test", &[], &["T1071"]));
        set.add(group(), &rule("p2.yml", "test", &["Linux"], &["T1071"]));
        let mut imported = Imported::default();
        set.finish(&mut imported);
        let [c] = imported.capabilities.as_slice() else {
            panic!("one capability");
        };
        assert_eq!(c.platforms, ["Linux", "Windows"]);
        let got: Vec<_> = c
            .entries
            .iter()
            .map(|e| (e.technique.as_str(), e.platforms.clone(), e.level))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "T1059.001",
                    Some(vec!["Windows".to_string()]),
                    Level::Named(NamedLevel::Partial)
                ),
                // Both platforms: the capability's, so not narrowed.
                ("T1105", None, Level::Named(NamedLevel::Partial)),
                (
                    "T1059.004",
                    Some(vec!["Linux".to_string()]),
                    Level::Named(NamedLevel::Minimal)
                ),
                // A rule without platform applies everywhere.
                ("T1071", None, Level::Named(NamedLevel::Partial)),
            ]
        );
        let e = &c.entries[1].evidence;
        assert_eq!((e.line, e.column), (Some(3), Some(5)));
        assert_eq!(
            e.to_text(),
            "w.yml: w.yml#id - 2 rules (1 stable, 1 test); also l.yml: l.yml#id [test]"
        );
    }

    #[test]
    fn grouping_names() {
        let set = RuleSet::new(
            NAMING,
            Some("SOC"),
            GroupBy::Product,
            Function::Detect,
            LevelRule::default(),
        );
        assert_eq!(
            set.group_of(Path::new("r/a.yml"), None, None),
            (
                "soc-no-product".to_string(),
                "Sigma: no-product".to_string()
            )
        );
        let set = RuleSet::new(
            NAMING,
            None,
            GroupBy::Folder,
            Function::Detect,
            LevelRule::default(),
        );
        assert_eq!(
            set.group_of(Path::new("rules/win/a.yml"), None, None),
            ("win".to_string(), "Sigma: win".to_string())
        );
    }
}
