//! CTID mappings: Mappings Explorer JSON (`.json`) and the older security-stack-mappings YAML
//! (`.yaml`, `.yml`), told apart by the file's extension.
//!
//! Both map straight onto covmap's functions and levels: `score_category` / `category`
//! protect, detect, respond -> [`Function::Protect`], [`Function::Detect`],
//! [`Function::Respond`]; `score_value` / `value` minimal, partial, significant -> the named
//! level of the same name (case does not matter). [`CtidOptions::level`] fixes one level for
//! every row instead.
//!
//! **Mappings Explorer** (`metadata` + `mapping_objects`): one row, one claim.
//! - A row is *non-mappable*, and skipped without a finding (counted in
//!   [`Summary::items_filtered`](crate::Summary::items_filtered)), when its `status` or
//!   `mapping_type` is `non_mappable` or its `attack_object_id` is empty or missing: the AWS
//!   files mark non-mappable controls that way, NIST 800-53's rows with a `null` `mapping_type`
//!   are techniques no control mitigates (`status: non_mappable`, no `capability_id`).
//! - A row without `score_category` (NIST 800-53's `mapping_type: mitigates`, whatever the
//!   `mapping_type`, `null` included) says the control protects against the technique but not
//!   how much: function protect, level [`CtidOptions::unscored`], default **minimal**. Why
//!   minimal: the mapping claims relevance, not extent, and covmap prefers under- to
//!   over-claiming (the Navigator importer does the same with unscored techniques); raise it
//!   with `unscored` or `level` when the control is known to be well deployed.
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

/// A row's function, from its `score_category` (protect when there is none).
fn function_of(category: Option<&str>) -> Result<Function, String> {
    let Some(category) = category.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(Function::Protect);
    };
    match category.to_ascii_lowercase().as_str() {
        "protect" => Ok(Function::Protect),
        "detect" => Ok(Function::Detect),
        "respond" => Ok(Function::Respond),
        _ => Err(format!(
            "score category `{category}` is none of protect, detect, respond"
        )),
    }
}

/// A row's level, from its `score_value` and the options.
fn level_of(value: Option<&str>, options: &CtidOptions) -> Result<Level, String> {
    if let Some(level) = options.level {
        return Ok(level);
    }
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(options.unscored);
    };
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
    fn non_mappable(&self) -> bool {
        let says = |field: &Option<String>| {
            field
                .as_deref()
                .is_some_and(|s| s.trim().eq_ignore_ascii_case("non_mappable"))
        };
        says(&self.status)
            || says(&self.mapping_type)
            || text(self.attack_object_id.as_deref()).is_none()
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
    imported.summary.files_read += 1;
    let metadata = value.metadata.as_ref();
    let platforms = read_metadata(metadata, path, imported);
    let lines = LineIndex::new(source);
    let group_name = |group: &str| {
        metadata
            .and_then(|m| m.get("capability_groups"))
            .and_then(|g| g.get(group))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    for (n, raw) in rows.iter().enumerate() {
        imported.summary.items_read += 1;
        let row = Row {
            n,
            position: lines.position_of(raw.get()),
            path,
            platforms: &platforms,
        };
        match serde_json::from_str::<RawRow>(raw.get()) {
            Ok(raw) => row.read(&raw, options, &group_name, imported),
            Err(e) => imported.findings.push(Finding::maybe_at(
                path,
                row.position,
                format!("mapping_objects[{n}]: {e}: skipped"),
            )),
        }
    }
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
        if row.non_mappable() {
            imported.summary.items_filtered += 1;
            return;
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
        let scored = function_of(row.score_category.as_deref())
            .and_then(|f| Ok((f, level_of(row.score_value.as_deref(), options)?)));
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
        // Unlike Mappings Explorer's `mitigates` rows, every SSM score carries a value: one
        // without is a cut or damaged file, not a minimal score.
        let scored = function_of(score.category.as_deref()).and_then(|f| {
            if options.level.is_none() && text(score.value.as_deref()).is_none() {
                return Err("a technique score without `value`".to_string());
            }
            Ok((f, level_of(score.value.as_deref(), options)?))
        });
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
        // `Prevent` and the number as ID.
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
}
