//! CTID mappings: Mappings Explorer JSON (`.json`) and the older security-stack-mappings YAML
//! (`.yaml`, `.yml`), told apart by the file's extension.
//!
//! Both map straight onto covmap's functions and levels: `score_category` / `category`
//! protect, detect, respond -> [`Function::Protect`], [`Function::Detect`],
//! [`Function::Respond`]; `score_value` / `value` minimal, partial, significant -> the named
//! level of the same name (case does not matter). [`CtidOptions::level`] fixes one level for
//! every row instead.
//!
//! **Mappings Explorer** (`metadata` + `mapping_objects`): one row, one claim, read by what its
//! `mapping_type` says the row means. Only two types describe what a defence does:
//! - `technique_scores` (AWS, Azure, GCP, M365): a scored claim. It must carry both
//!   `score_category` and `score_value` (a fixed [`CtidOptions::level`] stands in for the
//!   value); a row missing either is a finding and is not imported.
//! - `mitigates` (NIST 800-53, CRI, CSA CCM): a control that mitigates the technique, without
//!   saying how much: function protect, level [`CtidOptions::unscored`], default **minimal**.
//!   Why minimal: the mapping claims relevance, not extent, and covmap prefers under- to
//!   over-claiming (the Navigator importer does the same with unscored techniques); raise it
//!   with `unscored` or `level` when the control is known to be well deployed. A `mitigates`
//!   row that does carry a score is read as scored (and, like any row, a `score_category`
//!   without `score_value` is a finding, never `minimal`).
//!
//! Rows of any other type are **never** imported as coverage ([`meaning`]):
//! - threat data: `exploitation_technique`, `primary_impact`, `secondary_impact`,
//!   `uncategorized` (KEV: how adversaries exploit known vulnerabilities) and `related_to`
//!   (VERIS: what real incidents involved) say what attackers do, not what a defence does;
//! - any type covmap does not know, named in the finding;
//! - a row without `mapping_type` is read as a score only when it carries a full score;
//!   otherwise what it claims is unknown and it is a finding.
//!
//! A file none of whose rows describes a defence (a KEV or VERIS file) is refused as a whole:
//! one finding naming its types and what they are, the file counted as skipped (alone, `covmap
//! import` exits 2: nothing to import). In a file that mixes them, the refused rows are one
//! finding per type (at the first such row, with the count) and the others are imported.
//!
//! - A row is *non-mappable*, and skipped without a finding (counted in
//!   [`Summary::items_filtered`](crate::Summary::items_filtered)), when its `status` or
//!   `mapping_type` is `non_mappable` or its `attack_object_id` is empty or missing: the AWS
//!   files mark non-mappable controls that way, NIST 800-53's rows with a `null` `mapping_type`
//!   are techniques no control mitigates (`status: non_mappable`, no `capability_id`).
//! - One capability per `capability_id` (id: its slug, name: `capability_description`), or per
//!   `capability_group` with [`GroupBy::Group`] (name: the group's name in
//!   `metadata.capability_groups`). Platforms: `metadata.mapping_framework` when it names a
//!   platform (aws, azure, gcp -> IaaS, m365 -> Office Suite; see [`crate::platform`]);
//!   a framework that is not a platform (NIST 800-53) gives none.
//!
//! **security-stack-mappings** (one control per file): a row is one technique's score
//! (`techniques[].technique-scores[]`), or one sub-technique's score
//! (`sub-techniques-scores[]`: every listed sub-technique gets every listed score). A control
//! tagged `Not Mappable` with no techniques counts as one row, skipped. One capability per file,
//! named by its `name` (the format has no groups: [`GroupBy::Group`] gives the same); its
//! `platform` mapped by [`crate::platform`].
//!
//! Evidence names the file, the capability (`capability_id` and description, or the control's
//! name) and the row's `comments`.

use std::path::Path;

use covmap_assess::inventory::{Function, Level, NamedLevel};
use covmap_assess::yaml::Located;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::model::{Evidence, Finding, Imported, slug};
use crate::platform::attack_platform;
use crate::text::LineIndex;

/// What a capability stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// One capability per `capability_id` (Mappings Explorer) or file (security-stack-mappings).
    #[default]
    Capability,
    /// One capability per `capability_group` (Mappings Explorer).
    Group,
}

/// How CTID mappings are imported.
#[derive(Debug, Clone, PartialEq)]
pub struct CtidOptions {
    /// What a capability stands for: default one per `capability_id`.
    pub group_by: GroupBy,
    /// A fixed level for every row, instead of its `score_value`.
    pub level: Option<Level>,
    /// The level of a row without a score (`mapping_type: mitigates`): default `minimal`.
    pub unscored: Level,
}

impl Default for CtidOptions {
    fn default() -> Self {
        CtidOptions {
            group_by: GroupBy::Capability,
            level: None,
            unscored: Level::Named(NamedLevel::Minimal),
        }
    }
}

/// Imports the Mappings Explorer (`.json`) and security-stack-mappings (`.yaml`, `.yml`) files
/// under `paths`.
pub fn import(paths: &[std::path::PathBuf], options: &CtidOptions) -> Imported {
    crate::import_files(paths, &EXTENSIONS, |_, texts, imported| {
        import_texts(texts, options, imported);
    })
}

/// The file extensions read.
pub(crate) const EXTENSIONS: [&str; 3] = ["json", "yaml", "yml"];

/// Reads files already read into `imported`.
pub(crate) fn import_texts(texts: &[crate::Text], options: &CtidOptions, imported: &mut Imported) {
    crate::each_text(texts, |text, path| {
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if json {
            parse_json(text, path, options, imported);
        } else {
            parse_yaml(text, path, options, imported);
        }
    });
}

/// A function from a `score_category` (written, non-empty).
fn function_named(category: &str) -> Result<Function, String> {
    match category.to_ascii_lowercase().as_str() {
        "protect" => Ok(Function::Protect),
        "detect" => Ok(Function::Detect),
        "respond" => Ok(Function::Respond),
        _ => Err(format!(
            "score category `{category}` is none of protect, detect, respond"
        )),
    }
}

/// A level from a `score_value` (written, non-empty).
fn level_named(value: &str) -> Result<Level, String> {
    Ok(Level::Named(match value.to_ascii_lowercase().as_str() {
        "minimal" => NamedLevel::Minimal,
        "partial" => NamedLevel::Partial,
        "significant" => NamedLevel::Significant,
        _ => {
            return Err(format!(
                "score value `{value}` is none of minimal, partial, significant"
            ));
        }
    }))
}

/// The function and level of a scored claim: both `category` and `value` are needed
/// (`options.level` stands in for the value). A category without a value is never taken as
/// minimal: how much the defence does is unknown.
fn scored(
    category: Option<&str>,
    value: Option<&str>,
    options: &CtidOptions,
) -> Result<(Function, Level), String> {
    let (category, value) = (text(category), text(value));
    let Some(category) = category else {
        return Err(match value {
            Some(value) => format!(
                "score value `{value}` without `score_category`: what the defence does is unknown"
            ),
            None => "a technique score without `score_category` and `score_value`".to_string(),
        });
    };
    let function = function_named(category)?;
    if let Some(level) = options.level {
        return Ok((function, level));
    }
    let Some(value) = value else {
        return Err(format!(
            "score category `{category}` without `score_value`: how much is unknown, never taken as \
             minimal (fix the row, or give one level to every row with `--level`)"
        ));
    };
    Ok((function, level_named(value)?))
}

/// What threat-data rows are, for the refusal.
const KEV_MEANING: &str = "threat data: how adversaries exploit known vulnerabilities, not what a \
    defence does; list it as a threat profile (`scope.threats.profiles`, format ctid)";

/// What VERIS rows are, for the refusal.
const VERIS_MEANING: &str = "threat data: what real incidents involved (VERIS), not what a \
    defence does; list it as a threat profile (`scope.threats.profiles`, format ctid)";

/// What a Mappings Explorer row means, by its `mapping_type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Meaning {
    /// `technique_scores`: what a defence does, scored.
    Score,
    /// `mitigates`: a control that mitigates the technique (protect; level unscored unless
    /// the row has a score).
    Control,
    /// `non_mappable` (or no technique): filtered.
    NonMappable,
    /// Threat data (KEV, VERIS): never coverage. The text says what it is.
    Threat(&'static str),
    /// A type covmap does not know: never coverage.
    Unknown(String),
    /// No `mapping_type` and no full score: what the row claims is unknown.
    Untyped,
}

/// What a row with this `mapping_type` (as written; `None`: missing or null), `status`,
/// technique and score means.
pub fn meaning(
    mapping_type: Option<&str>,
    status: Option<&str>,
    technique: Option<&str>,
    has_score: bool,
) -> Meaning {
    let non_mappable =
        |field: Option<&str>| field.is_some_and(|s| s.trim().eq_ignore_ascii_case("non_mappable"));
    if non_mappable(status) || non_mappable(mapping_type) || text(technique).is_none() {
        return Meaning::NonMappable;
    }
    let Some(written) = text(mapping_type) else {
        return if has_score {
            Meaning::Score
        } else {
            Meaning::Untyped
        };
    };
    match written.to_ascii_lowercase().as_str() {
        "technique_scores" => Meaning::Score,
        "mitigates" => Meaning::Control,
        "exploitation_technique" | "primary_impact" | "secondary_impact" | "uncategorized" => {
            Meaning::Threat(KEV_MEANING)
        }
        "related_to" => Meaning::Threat(VERIS_MEANING),
        _ => Meaning::Unknown(written.to_string()),
    }
}

/// What rows of a refused [`Meaning`] are, for the finding (after "mapping_type `x` is");
/// `None`: the rows are imported.
fn refusal(meaning: &Meaning) -> Option<&'static str> {
    match meaning {
        Meaning::Threat(what) => Some(what),
        Meaning::Unknown(_) => Some(
            "not known to describe a defence (covmap imports `technique_scores` and `mitigates`)",
        ),
        Meaning::Untyped => Some("no full score: what the row claims is unknown"),
        Meaning::Score | Meaning::Control | Meaning::NonMappable => None,
    }
}

/// A non-empty, trimmed string.
fn text(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|s| !s.is_empty())
}

#[derive(Deserialize)]
struct RawRow {
    capability_id: Option<String>,
    capability_description: Option<String>,
    capability_group: Option<String>,
    attack_object_id: Option<String>,
    mapping_type: Option<String>,
    score_category: Option<String>,
    score_value: Option<String>,
    comments: Option<String>,
    status: Option<String>,
}

impl RawRow {
    /// What the row means ([`meaning`]).
    fn meaning(&self) -> Meaning {
        let has_score = text(self.score_category.as_deref()).is_some()
            && text(self.score_value.as_deref()).is_some();
        meaning(
            self.mapping_type.as_deref(),
            self.status.as_deref(),
            self.attack_object_id.as_deref(),
            has_score,
        )
    }
}

/// Checks the file's domain and gives its platforms: a framework is a platform only for the
/// cloud and productivity mappings (NIST 800-53 is not one).
fn read_metadata(metadata: Option<&Value>, path: &Path, imported: &mut Imported) -> Vec<String> {
    let meta = |key: &str| metadata.and_then(|m| m.get(key)).and_then(Value::as_str);
    if let Some(domain) = text(meta("technology_domain"))
        && !domain.eq_ignore_ascii_case("enterprise")
    {
        imported.findings.push(Finding::file(
            path,
            format!("domain `{domain}`: IDs are checked against the loaded bundle"),
        ));
    }
    text(meta("mapping_framework"))
        .and_then(attack_platform)
        .map(|p| vec![p.to_string()])
        .unwrap_or_default()
}

#[derive(Deserialize)]
struct RawExplorer<'a> {
    metadata: Option<Value>,
    #[serde(borrow)]
    mapping_objects: Option<&'a RawValue>,
}

/// Reads one Mappings Explorer file (`source` read from `path`) into `imported`.
pub fn parse_json(source: &str, path: &Path, options: &CtidOptions, imported: &mut Imported) {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let value: RawExplorer<'_> = match serde_json::from_str(source) {
        Ok(v) => v,
        Err(e) if e.is_data() => {
            imported.skip_file(Finding::file(
                path,
                format!("not a Mappings Explorer file: {e}: skipped"),
            ));
            return;
        }
        Err(e) => {
            imported.skip_file(Finding::at(
                path,
                e.line(),
                e.column().max(1),
                format!("not valid JSON: {e}: skipped"),
            ));
            return;
        }
    };
    let rows: Option<Vec<&RawValue>> = value
        .mapping_objects
        .and_then(|rows| serde_json::from_str(rows.get()).ok());
    let Some(rows) = rows else {
        imported.skip_file(Finding::file(
            path,
            "not a Mappings Explorer file (no `mapping_objects` list): skipped",
        ));
        return;
    };
    let lines = LineIndex::new(source);
    let rows: Vec<ParsedRow> = rows
        .iter()
        .map(|raw| {
            (
                lines.position_of(raw.get()),
                serde_json::from_str::<RawRow>(raw.get()),
            )
        })
        .collect();
    let (defence, refused) = refused_rows(&rows);
    if !defence && !refused.is_empty() {
        // Nothing in the file describes a defence (a KEV or VERIS file): refused as a whole.
        imported.skip_file(Finding::file(
            path,
            format!(
                "no row describes a defence: {}: not imported as coverage",
                Refused::describe_all(&refused)
            ),
        ));
        return;
    }
    imported.summary.files_read += 1;
    for group in &refused {
        imported
            .findings
            .push(Finding::maybe_at(path, group.position, group.finding()));
    }
    let metadata = value.metadata.as_ref();
    let platforms = read_metadata(metadata, path, imported);
    let group_name = |group: &str| {
        metadata
            .and_then(|m| m.get("capability_groups"))
            .and_then(|g| g.get(group))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    for (n, (position, raw)) in rows.iter().enumerate() {
        imported.summary.items_read += 1;
        let row = Row {
            n,
            position: *position,
            path,
            platforms: &platforms,
        };
        match raw {
            Ok(raw) => row.read(raw, options, &group_name, imported),
            Err(e) => imported.findings.push(Finding::maybe_at(
                path,
                row.position,
                format!("mapping_objects[{n}]: {e}: skipped"),
            )),
        }
    }
}

/// A Mappings Explorer row: its position in the file, and the row or why it cannot be read.
type ParsedRow = (Option<(usize, usize)>, Result<RawRow, serde_json::Error>);

/// Whether any row describes a defence, and the rows that are not coverage, one group per
/// type as written (lower-cased), in order of first appearance.
fn refused_rows(rows: &[ParsedRow]) -> (bool, Vec<Refused>) {
    let mut refused: Vec<Refused> = Vec::new();
    let mut defence = false;
    for (n, (position, row)) in rows.iter().enumerate() {
        let Ok(row) = row else { continue };
        let meaning = row.meaning();
        let Some(why) = refusal(&meaning) else {
            defence |= meaning != Meaning::NonMappable;
            continue;
        };
        let written = text(row.mapping_type.as_deref()).map(str::to_ascii_lowercase);
        match refused.iter_mut().find(|r| r.written == written) {
            Some(group) => group.count += 1,
            None => refused.push(Refused {
                written,
                why,
                first: n,
                position: *position,
                count: 1,
            }),
        }
    }
    (defence, refused)
}

/// The rows of one refused `mapping_type` in one file.
struct Refused {
    /// The type, lower-cased; `None`: rows without one.
    written: Option<String>,
    /// What such rows are ([`refusal`]).
    why: &'static str,
    /// The first such row's index and position.
    first: usize,
    position: Option<(usize, usize)>,
    /// How many rows.
    count: usize,
}

impl Refused {
    /// The finding of the group, in a file that also holds defence rows.
    fn finding(&self) -> String {
        format!(
            "mapping_objects[{}]{}: {}: not imported as coverage",
            self.first,
            if self.count > 1 {
                format!(" and {} more rows", self.count - 1)
            } else {
                String::new()
            },
            self.describe()
        )
    }

    /// `mapping_type `x` is WHY`.
    fn describe(&self) -> String {
        match &self.written {
            Some(written) => format!("mapping_type `{written}` is {}", self.why),
            None => format!("no `mapping_type` and {}", self.why),
        }
    }

    /// Every group, types of the same kind together: `mapping_type `a` (3 rows) and `b` (2
    /// rows) are WHY; ...`.
    fn describe_all(groups: &[Refused]) -> String {
        let mut whys: Vec<&'static str> = groups.iter().map(|g| g.why).collect();
        whys.sort_unstable();
        whys.dedup();
        let mut parts = Vec::new();
        for why in whys {
            let mut named: Vec<String> = Vec::new();
            let mut untyped = 0usize;
            let mut sorted: Vec<&Refused> = groups.iter().filter(|g| g.why == why).collect();
            sorted.sort_by(|a, b| a.written.cmp(&b.written));
            for group in sorted {
                let rows = plural(group.count, "row");
                match &group.written {
                    Some(written) => named.push(format!("`{written}` ({rows})")),
                    None => untyped += group.count,
                }
            }
            if untyped > 0 {
                parts.push(format!(
                    "{} without `mapping_type` and {why}",
                    plural(untyped, "row")
                ));
            }
            if !named.is_empty() {
                let verb = if named.len() == 1 { "is" } else { "are" };
                let list = match named.split_last() {
                    Some((last, rest)) if !rest.is_empty() => {
                        format!("{} and {last}", rest.join(", "))
                    }
                    _ => named.concat(),
                };
                parts.push(format!("mapping_type {list} {verb} {why}"));
            }
        }
        parts.join("; ")
    }
}

/// `1 row`, `2 rows`.
fn plural(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// Where a Mappings Explorer row is, and what its file gives it.
struct Row<'a> {
    /// Its index in `mapping_objects`.
    n: usize,
    position: Option<(usize, usize)>,
    path: &'a Path,
    platforms: &'a [String],
}

impl Row<'_> {
    /// Reads one row into `imported`.
    fn read(
        &self,
        row: &RawRow,
        options: &CtidOptions,
        group_name: &dyn Fn(&str) -> Option<String>,
        imported: &mut Imported,
    ) {
        let Row {
            n,
            position,
            path,
            platforms,
        } = *self;
        let meaning = row.meaning();
        match meaning {
            Meaning::NonMappable => {
                imported.summary.items_filtered += 1;
                return;
            }
            // Counted and reported once per type by the file (`parse_json`).
            Meaning::Threat(_) | Meaning::Unknown(_) | Meaning::Untyped => return,
            Meaning::Score | Meaning::Control => {}
        }
        let technique = row.attack_object_id.as_deref().unwrap_or_default();
        let Some(capability_id) = text(row.capability_id.as_deref()) else {
            imported.findings.push(Finding::maybe_at(
                path,
                position,
                format!("mapping_objects[{n}] ({technique}): no `capability_id`: skipped"),
            ));
            return;
        };
        let category = row.score_category.as_deref();
        // A control without any score: protect, at the unscored level (module docs).
        let unscored = meaning == Meaning::Control
            && text(category).is_none()
            && text(row.score_value.as_deref()).is_none();
        let scored = if unscored {
            Ok((Function::Protect, options.level.unwrap_or(options.unscored)))
        } else {
            scored(category, row.score_value.as_deref(), options)
        };
        let (function, level) = match scored {
            Ok(scored) => scored,
            Err(why) => {
                imported.findings.push(Finding::maybe_at(
                    path,
                    position,
                    format!("mapping_objects[{n}] ({capability_id} {technique}): {why}: skipped"),
                ));
                return;
            }
        };
        imported.summary.items_with_techniques += 1;
        let description = text(row.capability_description.as_deref()).unwrap_or(capability_id);
        let (id, name) = match options.group_by {
            GroupBy::Capability => (slug(capability_id), description.to_string()),
            GroupBy::Group => {
                let group = text(row.capability_group.as_deref()).unwrap_or(capability_id);
                (
                    slug(group),
                    group_name(group).unwrap_or_else(|| group.to_string()),
                )
            }
        };
        let evidence = Evidence {
            path: path.to_path_buf(),
            item: Some(capability_id.to_string()),
            title: Some(description.to_string()),
            comment: text(row.comments.as_deref()).map(str::to_string),
            line: None,
            column: None,
        }
        .at(position);
        let entry = imported.entry(technique, function, level, evidence);
        imported
            .capability(&id, &name, platforms)
            .entries
            .push(entry);
    }
}

#[derive(Deserialize)]
struct RawControl {
    name: Option<String>,
    platform: Option<String>,
    tags: Option<Vec<String>>,
    techniques: Option<Vec<RawTechnique>>,
}

#[derive(Deserialize)]
struct RawTechnique {
    id: Option<Located<String>>,
    #[serde(rename = "technique-scores")]
    technique_scores: Option<Vec<RawScore>>,
    #[serde(rename = "sub-techniques-scores")]
    sub_techniques_scores: Option<Vec<RawSubScores>>,
}

#[derive(Deserialize)]
struct RawSubScores {
    #[serde(rename = "sub-techniques")]
    sub_techniques: Option<Vec<RawRef>>,
    scores: Option<Vec<RawScore>>,
}

#[derive(Deserialize)]
struct RawRef {
    id: Option<Located<String>>,
}

#[derive(Deserialize)]
struct RawScore {
    category: Option<String>,
    value: Option<String>,
    comments: Option<String>,
}

/// A control that maps no technique counts as one row, filtered; one not tagged `Not
/// Mappable` is a finding.
fn not_mapped(control: &RawControl, path: &Path, imported: &mut Imported) {
    imported.summary.items_read += 1;
    imported.summary.items_filtered += 1;
    let not_mappable = control
        .tags
        .iter()
        .flatten()
        .any(|t| t.trim().eq_ignore_ascii_case("not mappable"));
    if !not_mappable {
        imported.findings.push(Finding::file(
            path,
            "the control maps no technique and is not tagged `Not Mappable`",
        ));
    }
}

/// A control's `platform` in ATT&CK's spelling.
fn control_platforms(control: &RawControl, path: &Path, imported: &mut Imported) -> Vec<String> {
    let Some(written) = text(control.platform.as_deref()) else {
        return Vec::new();
    };
    if let Some(p) = attack_platform(written) {
        vec![p.to_string()]
    } else {
        imported.findings.push(Finding::file(
            path,
            format!("platform `{written}` is not an ATT&CK platform: ignored"),
        ));
        Vec::new()
    }
}

/// The function and level of a security-stack-mappings score. Unlike Mappings Explorer's
/// `mitigates` rows, every SSM score carries a category and a value: one without is a cut or
/// damaged file, never a minimal score (`options.level` stands in for the value).
fn ssm_scored(score: &RawScore, options: &CtidOptions) -> Result<(Function, Level), String> {
    let category = text(score.category.as_deref())
        .ok_or_else(|| "a technique score without `category`".to_string())?;
    let function = function_named(category)?;
    if let Some(level) = options.level {
        return Ok((function, level));
    }
    let value = text(score.value.as_deref()).ok_or_else(|| {
        "a technique score without `value`: how much is unknown, never taken as minimal".to_string()
    })?;
    Ok((function, level_named(value)?))
}

/// Reads one security-stack-mappings control (`source` read from `path`) into `imported`.
pub fn parse_yaml(source: &str, path: &Path, options: &CtidOptions, imported: &mut Imported) {
    let control: RawControl = match covmap_assess::yaml::from_str(source) {
        Ok(c) => c,
        Err(e) => {
            imported.skip_file(Finding::yaml(path, &e));
            return;
        }
    };
    let Some(techniques) = control.techniques.as_deref() else {
        imported.skip_file(Finding::file(
            path,
            "not a security-stack-mappings control (no `techniques`): skipped",
        ));
        return;
    };
    imported.summary.files_read += 1;
    if techniques.is_empty() {
        not_mapped(&control, path, imported);
        return;
    }
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    let name = text(control.name.as_deref())
        .map(str::to_string)
        .or(stem)
        .unwrap_or_default();
    // The format has no groups: both groupings give one capability per control.
    let id = slug(&name);
    let platforms = control_platforms(&control, path, imported);
    let mut entries = Vec::new();
    let mut row = |technique: &Located<String>, score: &RawScore, imported: &mut Imported| {
        let position = Some((technique.line, technique.column));
        let technique = technique.value.trim();
        imported.summary.items_read += 1;
        let scored = ssm_scored(score, options);
        match scored {
            Ok((function, level)) => {
                imported.summary.items_with_techniques += 1;
                let evidence = Evidence {
                    path: path.to_path_buf(),
                    item: None,
                    title: Some(name.clone()),
                    comment: text(score.comments.as_deref()).map(str::to_string),
                    line: None,
                    column: None,
                }
                .at(position);
                entries.push(imported.entry(technique, function, level, evidence));
            }
            Err(why) => imported.findings.push(Finding::maybe_at(
                path,
                position,
                format!("{technique}: {why}: skipped"),
            )),
        }
    };
    for (n, technique) in techniques.iter().enumerate() {
        let Some(located) = technique
            .id
            .as_ref()
            .filter(|l| text(Some(&l.value)).is_some())
        else {
            imported.findings.push(Finding::file(
                path,
                format!("techniques[{n}]: no `id`: skipped"),
            ));
            continue;
        };
        for score in technique.technique_scores.iter().flatten() {
            row(located, score, imported);
        }
        for block in technique.sub_techniques_scores.iter().flatten() {
            for sub in block.sub_techniques.iter().flatten() {
                let Some(sub_id) = sub.id.as_ref().filter(|l| text(Some(&l.value)).is_some())
                else {
                    imported.findings.push(Finding::at(
                        path,
                        located.line,
                        located.column,
                        format!(
                            "{}: a sub-technique without `id`: skipped",
                            located.value.trim()
                        ),
                    ));
                    continue;
                };
                for score in block.scores.iter().flatten() {
                    row(sub_id, score, imported);
                }
            }
        }
    }
    imported
        .capability(&id, &name, &platforms)
        .entries
        .extend(entries);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str, options: &CtidOptions) -> Imported {
        let mut imported = Imported::default();
        parse_json(text, Path::new("m.json"), options, &mut imported);
        imported
    }

    fn yaml(text: &str) -> Imported {
        let mut imported = Imported::default();
        parse_yaml(
            text,
            Path::new("c.yaml"),
            &CtidOptions::default(),
            &mut imported,
        );
        imported
    }

    const ROWS: &str = r#"{"metadata": {"technology_domain": "enterprise", "mapping_framework": "aws",
        "capability_groups": {"g": "The Group"}},
      "mapping_objects": [
        {"capability_id": "aws_a", "capability_description": "AWS A", "capability_group": "g",
         "attack_object_id": "T1078", "mapping_type": "technique_scores",
         "score_category": "detect", "score_value": "significant", "comments": "why"},
        {"capability_id": "aws_b", "capability_description": "AWS B", "capability_group": "g",
         "attack_object_id": "", "mapping_type": "non_mappable", "status": "non_mappable"},
        {"capability_id": null, "attack_object_id": "T1496.002", "mapping_type": null,
         "status": "non_mappable"},
        {"capability_id": "AC-02", "capability_description": "Account Management",
         "capability_group": "g", "attack_object_id": "t1098", "mapping_type": "mitigates"},
        {"capability_id": "aws_c", "attack_object_id": "T1005", "score_category": "Prevent"},
        {"capability_id": "aws_d", "attack_object_id": 5}
      ]}"#;

    #[test]
    fn mappings_explorer_rows() {
        let imported = json(ROWS, &CtidOptions::default());
        let got: Vec<_> = imported
            .capabilities
            .iter()
            .map(|c| (c.id.as_str(), c.name.as_str(), c.platforms.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("aws-a", "AWS A", vec!["IaaS".to_string()]),
                ("ac-02", "Account Management", vec!["IaaS".to_string()]),
            ]
        );
        let a = &imported.capabilities[0].entries[0];
        assert_eq!(
            (a.function, a.level),
            (Function::Detect, Level::Named(NamedLevel::Significant))
        );
        assert_eq!(a.evidence.to_text(), "m.json: aws_a \"AWS A\" - why");
        let m = &imported.capabilities[1].entries[0];
        assert_eq!(m.technique, "T1098");
        assert_eq!(
            (m.function, m.level),
            (Function::Protect, Level::Named(NamedLevel::Minimal))
        );
        let s = &imported.summary;
        assert_eq!(
            (s.items_read, s.items_filtered, s.items_with_techniques),
            (6, 2, 2)
        );
        // The untyped `Prevent` row (no full score: what it claims is unknown) and the number
        // as ID.
        assert_eq!(imported.findings.len(), 2, "{:?}", imported.findings);
    }

    #[test]
    fn grouped_and_fixed_level() {
        let options = CtidOptions {
            group_by: GroupBy::Group,
            level: Some(Level::Named(NamedLevel::Partial)),
            ..CtidOptions::default()
        };
        let imported = json(ROWS, &options);
        let [group] = imported.capabilities.as_slice() else {
            panic!("one group: {:?}", imported.capabilities);
        };
        assert_eq!((group.id.as_str(), group.name.as_str()), ("g", "The Group"));
        assert_eq!(group.entries.len(), 2);
        assert!(
            group
                .entries
                .iter()
                .all(|e| e.level == Level::Named(NamedLevel::Partial))
        );
    }

    #[test]
    fn not_mappings_explorer() {
        let imported = json(r#"{"$schema": "x"}"#, &CtidOptions::default());
        assert_eq!(imported.summary.files_skipped, 1);
        let imported = json("{\n \"mapping_objects\": [,]\n}", &CtidOptions::default());
        assert_eq!(imported.findings[0].line, Some(2));
    }

    #[test]
    fn security_stack_control() {
        let imported = yaml(
            "name: AWS X\nplatform: AWS\ntags: [Credentials]\ntechniques:\n  - id: T1552\n    \
             technique-scores:\n      - category: Protect\n        value: Minimal\n        \
             comments: few\n      - category: Detect\n        value: Partial\n    \
             sub-techniques-scores:\n      - sub-techniques:\n          - id: T1552.001\n          \
             - id: T1552.004\n        scores:\n          - category: Protect\n            \
             value: Significant\n",
        );
        let [cap] = imported.capabilities.as_slice() else {
            panic!("one capability");
        };
        assert_eq!(
            (cap.id.as_str(), cap.platforms.as_slice()),
            ("aws-x", &["IaaS".to_string()][..])
        );
        let got: Vec<_> = cap
            .entries
            .iter()
            .map(|e| (e.technique.as_str(), e.function, e.level))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "T1552",
                    Function::Protect,
                    Level::Named(NamedLevel::Minimal)
                ),
                ("T1552", Function::Detect, Level::Named(NamedLevel::Partial)),
                (
                    "T1552.001",
                    Function::Protect,
                    Level::Named(NamedLevel::Significant)
                ),
                (
                    "T1552.004",
                    Function::Protect,
                    Level::Named(NamedLevel::Significant)
                ),
            ]
        );
        assert_eq!(cap.entries[0].evidence.to_text(), "c.yaml: \"AWS X\" - few");
        assert_eq!(imported.summary.items_read, 4);
    }

    #[test]
    fn not_mappable_control_and_malformed_yaml() {
        let imported = yaml("name: A\ntags:\n  - Not Mappable\ntechniques: []\n");
        assert!(imported.capabilities.is_empty());
        assert!(imported.findings.is_empty());
        assert_eq!(
            (imported.summary.items_read, imported.summary.items_filtered),
            (1, 1)
        );
        let imported = yaml("name: A\ntechniques:\n  - id: [T1\n");
        assert_eq!(imported.summary.files_skipped, 1);
        assert!(imported.findings[0].line.is_some());
        let imported = yaml("- a\n- b\n");
        assert_eq!(imported.summary.files_skipped, 1);
    }

    /// A Mappings Explorer file of these rows (`(mapping_type, score_category, score_value)`,
    /// JSON text each, `null` for none), all on T1078.
    fn file_of(rows: &[(&str, &str, &str)]) -> String {
        let rows: Vec<String> = rows
            .iter()
            .enumerate()
            .map(|(n, (kind, category, value))| {
                format!(
                    "{{\"capability_id\": \"c{n}\", \"attack_object_id\": \"T1078\", \
                     \"mapping_type\": {kind}, \"score_category\": {category}, \
                     \"score_value\": {value}, \"status\": \"complete\"}}"
                )
            })
            .collect();
        format!(
            "{{\"metadata\": {{}}, \"mapping_objects\": [\n{}\n]}}",
            rows.join(",\n")
        )
    }

    #[test]
    fn threat_data_files_are_refused_as_a_whole() {
        // KEV: every threat type, with and without a score; VERIS: related_to.
        for (rows, says) in [
            (
                vec![
                    ("\"exploitation_technique\"", "null", "null"),
                    ("\"primary_impact\"", "null", "null"),
                    ("\"secondary_impact\"", "null", "null"),
                    ("\"uncategorized\"", "\"protect\"", "\"significant\""),
                ],
                "mapping_type `exploitation_technique` (1 row), `primary_impact` (1 row), \
                 `secondary_impact` (1 row) and `uncategorized` (1 row) are threat data: how \
                 adversaries exploit known vulnerabilities, not what a defence does; list it \
                 as a threat profile (`scope.threats.profiles`, format ctid)",
            ),
            (
                vec![("\"related_to\"", "null", "null"); 2],
                "mapping_type `related_to` (2 rows) is threat data: what real incidents \
                 involved (VERIS)",
            ),
            (
                vec![("\"Protects_Against\"", "\"protect\"", "\"partial\"")],
                "mapping_type `protects_against` (1 row) is not known to describe a defence",
            ),
        ] {
            let imported = json(&file_of(&rows), &CtidOptions::default());
            assert!(imported.capabilities.is_empty(), "{says}");
            assert_eq!(
                (imported.summary.files_read, imported.summary.files_skipped),
                (0, 1)
            );
            let [finding] = imported.findings.as_slice() else {
                panic!("{:?}", imported.findings);
            };
            assert!(
                finding
                    .message
                    .starts_with(&format!("no row describes a defence: {says}")),
                "{finding}"
            );
            assert!(finding.message.ends_with("not imported as coverage"));
        }
        // Non-mappable rows do not make a threat file a defence file.
        let mut rows = vec![("\"primary_impact\"", "null", "null")];
        rows.push(("\"non_mappable\"", "null", "null"));
        let imported = json(&file_of(&rows), &CtidOptions::default());
        assert_eq!(imported.summary.files_skipped, 1);
        // A fixed level changes nothing: threat data is not coverage at any level.
        let fixed = CtidOptions {
            level: Some(Level::Named(NamedLevel::Significant)),
            ..CtidOptions::default()
        };
        let imported = json(&file_of(&rows), &fixed);
        assert_eq!(imported.summary.files_skipped, 1);
    }

    #[test]
    fn mixed_files_import_the_defence_rows_and_report_the_others_per_type() {
        let rows = [
            ("\"technique_scores\"", "\"detect\"", "\"partial\""),
            ("\"primary_impact\"", "null", "null"),
            ("\"related_to\"", "null", "null"),
            ("\"primary_impact\"", "null", "null"),
            ("\"mitigates\"", "null", "null"),
            ("\"whatever\"", "\"protect\"", "\"partial\""),
            ("null", "null", "null"),
            ("null", "\"detect\"", "\"minimal\""),
        ];
        let imported = json(&file_of(&rows), &CtidOptions::default());
        let ids: Vec<&str> = imported
            .capabilities
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        // c0 scored, c4 a control (protect, minimal), c7 untyped but fully scored.
        assert_eq!(ids, ["c0", "c4", "c7"]);
        let s = &imported.summary;
        assert_eq!(
            (s.files_read, s.items_read, s.items_with_techniques),
            (1, 8, 3)
        );
        let messages: Vec<String> = imported.findings.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(messages[0].starts_with("m.json:3:1: mapping_objects[1] and 1 more rows: mapping_type `primary_impact` is threat data: how adversaries exploit"), "{messages:?}");
        assert!(messages[1].starts_with("m.json:4:1: mapping_objects[2]: mapping_type `related_to` is threat data: what real incidents involved"), "{messages:?}");
        assert!(
            messages[2].contains(
                "mapping_objects[5]: mapping_type `whatever` is not known to describe a defence"
            ),
            "{messages:?}"
        );
        assert!(
            messages[3].contains("mapping_objects[6]: no `mapping_type` and no full score"),
            "{messages:?}"
        );
    }

    #[test]
    fn a_score_category_without_value_is_a_finding_never_minimal() {
        for kind in ["\"technique_scores\"", "\"mitigates\"", "null"] {
            let rows = [
                (kind, "\"detect\"", "null"),
                (kind, "\"detect\"", "\"\""),
                ("\"technique_scores\"", "null", "\"partial\""),
                ("\"technique_scores\"", "null", "null"),
            ];
            let imported = json(&file_of(&rows), &CtidOptions::default());
            assert!(imported.capabilities.is_empty(), "{kind}");
            let messages: Vec<String> = imported.findings.iter().map(ToString::to_string).collect();
            if kind == "null" {
                // Untyped rows without a full score are refused as such (with row 3 scored
                // value-only, the file still has no defence row: refused as a whole).
                assert_eq!(imported.summary.files_skipped, 0, "{messages:?}");
            }
            assert!(
                messages.iter().any(|m| m.contains(
                    "mapping_objects[0] (c0 T1078): score category `detect` without `score_value`: how much is unknown, never taken as minimal"
                )) || kind == "null",
                "{kind}: {messages:?}"
            );
            assert!(
                messages
                    .iter()
                    .any(|m| m.contains("score value `partial` without `score_category`")),
                "{kind}: {messages:?}"
            );
        }
        // With a fixed level, the value is given: the row is imported at that level.
        let fixed = CtidOptions {
            level: Some(Level::Named(NamedLevel::Partial)),
            ..CtidOptions::default()
        };
        let imported = json(
            &file_of(&[("\"technique_scores\"", "\"detect\"", "null")]),
            &fixed,
        );
        assert_eq!(imported.capabilities.len(), 1);
        assert_eq!(
            imported.capabilities[0].entries[0].level,
            Level::Named(NamedLevel::Partial)
        );
    }

    #[test]
    fn meanings() {
        assert_eq!(
            meaning(Some(" Technique_Scores "), None, Some("T1"), true),
            Meaning::Score
        );
        assert_eq!(
            meaning(Some("mitigates"), None, Some("T1"), false),
            Meaning::Control
        );
        assert_eq!(
            meaning(Some("mitigates"), Some("non_mappable"), Some("T1"), false),
            Meaning::NonMappable
        );
        assert_eq!(
            meaning(Some("related_to"), None, Some(""), false),
            Meaning::NonMappable
        );
        assert!(matches!(
            meaning(Some("exploitation_technique"), None, Some("T1"), true),
            Meaning::Threat(_)
        ));
        assert_eq!(
            meaning(Some("detects"), None, Some("T1"), true),
            Meaning::Unknown("detects".into())
        );
        assert_eq!(meaning(None, None, Some("T1"), false), Meaning::Untyped);
        assert_eq!(meaning(Some(" "), None, Some("T1"), true), Meaning::Score);
    }
}
