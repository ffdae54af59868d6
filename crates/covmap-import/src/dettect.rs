//! DeTT&CT technique administration files (`file_type: technique-administration`, versions
//! 1.x, `.yaml` / `.yml`).
//!
//! - Every technique's `detection` and `visibility` (each one object or a list of them) is read;
//!   of each object's `score_logbook`, the newest entry by `date` counts. Entries without a
//!   date are older than any dated one (DeTT&CT writes the undated default `-1` entry that
//!   way); between equal dates the first listed wins, as DeTT&CT lists the newest first.
//! - The score becomes a level through [`DettectOptions::detection`] (scores -1..5, function
//!   detect) and [`DettectOptions::visibility`] (scores 0..4, function visibility). Default
//!   tables, value = score / top score:
//!
//!   | detection | meaning in DeTT&CT | level |
//!   |---|---|---|
//!   | -1 | none | not imported |
//!   | 0 | forensics / context | not imported (no alert is raised) |
//!   | 1, 2, 3, 4, 5 | basic, fair, good, very good, excellent | 0.2, 0.4, 0.6, 0.8, 1.0 |
//!
//!   | visibility | meaning in DeTT&CT | level |
//!   |---|---|---|
//!   | 0 | none | not imported |
//!   | 1, 2, 3, 4 | minimal, medium, good, excellent | 0.25, 0.5, 0.75, 1.0 |
//!
//!   A score outside the table is a finding; that object is skipped.
//! - One capability per `applicable_to` system type: id `{file}-{system}` (slugs; `{file}` is
//!   [`DettectOptions::id`], else the file's `name`, else its stem), name `{name}: {system}`.
//!   Every capability gets the file's `platform` list mapped to ATT&CK's spelling by
//!   [`crate::platform`] (a technique administration file does not tie systems to platforms;
//!   `all` means every platform: no platform is set). Names that are not enterprise ATT&CK
//!   platforms (iOS, Android, ICS asset types) are findings and are ignored.
//! - Mobile and ICS files (`domain` other than `enterprise-attack`) are imported all the same,
//!   with a finding: their IDs are checked against the loaded bundle, so against an enterprise
//!   bundle they come out as unknown IDs, listed by [`crate::resolve::resolve`].
//! - Data-source administration files (`file_type: data-source-administration`, 1.x) become
//!   telemetry (see [`parse_data_sources`]); group administration files and other YAML are
//!   skipped with a finding naming their `file_type`.
//! - Counts: a technique entry is an item; one whose every object scores "not imported" is
//!   filtered.
//!
//! Evidence: the file, the technique ID and name, and the object's comment, the logbook
//! entry's comment and the detection's `location`s.

use std::path::Path;

use covmap_assess::inventory::{Function, Level};
use covmap_assess::yaml::Located;
use serde::Deserialize;

use crate::model::{
    Evidence, Finding, Imported, ImportedEntry, ImportedTelemetry, WrittenComponent, slug,
};
use crate::platform::attack_platform;

/// How technique administration files are imported.
#[derive(Debug, Clone, PartialEq)]
pub struct DettectOptions {
    /// Prefix of the capability ids (default: the file's `name`, else its stem).
    pub id: Option<String>,
    /// Level of detection scores -1, 0, 1, 2, 3, 4, 5 (index = score + 1); `None`: not imported.
    pub detection: [Option<Level>; 7],
    /// Level of visibility scores 0, 1, 2, 3, 4 (index = score); `None`: not imported.
    pub visibility: [Option<Level>; 5],
}

impl Default for DettectOptions {
    fn default() -> Self {
        DettectOptions {
            id: None,
            detection: [
                None,
                None,
                Some(Level::Value(0.2)),
                Some(Level::Value(0.4)),
                Some(Level::Value(0.6)),
                Some(Level::Value(0.8)),
                Some(Level::Value(1.0)),
            ],
            visibility: [
                None,
                Some(Level::Value(0.25)),
                Some(Level::Value(0.5)),
                Some(Level::Value(0.75)),
                Some(Level::Value(1.0)),
            ],
        }
    }
}

#[derive(Deserialize)]
struct RawFile {
    version: Option<String>,
    file_type: Option<String>,
    name: Option<String>,
    domain: Option<String>,
    platform: Option<OneOrMany<String>>,
    techniques: Option<Vec<RawTechnique>>,
}

#[derive(Deserialize)]
struct RawTechnique {
    technique_id: Option<Located<String>>,
    technique_name: Option<String>,
    detection: Option<OneOrMany<RawObject>>,
    visibility: Option<OneOrMany<RawObject>>,
}

/// DeTT&CT writes one object or a list of them.
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

/// By hand, not `#[serde(untagged)]`: an untagged enum replaces the inner error (a score that
/// is not a number, at its line) with "did not match any variant".
impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
        struct Either<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Either<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("one object or a list of them")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(OneOrMany::One)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<Self::Value, A::Error> {
                Vec::<T>::deserialize(SeqAccessDeserializer::new(seq)).map(OneOrMany::Many)
            }
            // A single scalar (`platform: all`, `applicable_to: servers`).
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Self::Value, E> {
                T::deserialize(serde::de::value::StrDeserializer::<E>::new(value))
                    .map(OneOrMany::One)
            }
        }
        deserializer.deserialize_any(Either(std::marker::PhantomData))
    }
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

#[derive(Deserialize)]
struct RawObject {
    applicable_to: Option<OneOrMany<String>>,
    comment: Option<String>,
    location: Option<OneOrMany<String>>,
    score_logbook: Option<OneOrMany<RawScore>>,
}

#[derive(Deserialize)]
struct RawScore {
    date: Option<String>,
    score: Option<i64>,
    comment: Option<String>,
}

/// Imports the technique administration files (`.yaml`, `.yml`) under `paths`.
pub fn import(paths: &[std::path::PathBuf], options: &DettectOptions) -> Imported {
    crate::import_files(paths, &["yaml", "yml"], |_, texts, imported| {
        import_texts(texts, options, imported);
    })
}

/// Reads files already read into `imported`.
pub(crate) fn import_texts(
    texts: &[crate::Text],
    options: &DettectOptions,
    imported: &mut Imported,
) {
    crate::each_text(texts, |text, path| parse(text, path, options, imported));
}

/// A non-empty, trimmed string.
fn text(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|s| !s.is_empty())
}

/// The sort key of a logbook date: `(year, month, day, rest)`, or `None` when there is no
/// date or it does not start with `YYYY-MM-DD`.
fn date_key(date: Option<&str>) -> Option<(u32, u32, u32, &str)> {
    let date = text(date)?;
    let ymd = date.get(..10)?;
    let mut parts = ymd.split('-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    Some((year, month, day, date.get(10..).unwrap_or_default()))
}

/// The newest entry of a logbook (see the module documentation).
fn newest(logbook: &[RawScore]) -> Option<&RawScore> {
    let mut best: Option<&RawScore> = None;
    for entry in logbook {
        // `>` keeps the first of equal dates.
        if best.is_none_or(|b| date_key(entry.date.as_deref()) > date_key(b.date.as_deref())) {
            best = Some(entry);
        }
    }
    best
}

/// Reads one technique administration file (`source` read from `path`) into `imported`.
pub fn parse(source: &str, path: &Path, options: &DettectOptions, imported: &mut Imported) {
    let file: RawFile = match covmap_assess::yaml::from_str(source) {
        Ok(f) => f,
        Err(e) => {
            imported.skip_file(Finding::yaml(path, &e));
            return;
        }
    };
    match text(file.file_type.as_deref()) {
        Some("technique-administration") => {}
        Some("data-source-administration") => {
            parse_data_sources(source, path, options, imported);
            return;
        }
        Some(other) => {
            imported.skip_file(Finding::file(
                path,
                format!(
                    "DeTT&CT `{other}` file: only technique and data-source administration files are imported: skipped"
                ),
            ));
            return;
        }
        None => {
            imported.skip_file(Finding::file(
                path,
                "not a DeTT&CT file (no `file_type`): skipped",
            ));
            return;
        }
    }
    if !version_1(file.version.as_deref(), "technique", path, imported) {
        return;
    }
    imported.summary.files_read += 1;
    if let Some(domain) = text(file.domain.as_deref())
        && domain != "enterprise-attack"
    {
        imported.findings.push(Finding::file(
            path,
            format!("domain `{domain}`: IDs are checked against the loaded bundle"),
        ));
    }
    let platforms = platforms_of(file.platform, path, imported);
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    let name = text(file.name.as_deref())
        .map(str::to_string)
        .or(stem)
        .unwrap_or_default();
    let prefix = slug(options.id.as_deref().unwrap_or(&name));
    // Entries per system type, systems in the order first seen.
    let mut systems: Vec<(String, Vec<ImportedEntry>)> = Vec::new();
    for (n, technique) in file.techniques.unwrap_or_default().into_iter().enumerate() {
        imported.summary.items_read += 1;
        let position = technique.technique_id.as_ref().map(|l| (l.line, l.column));
        let Some(id) =
            text(technique.technique_id.as_ref().map(|l| l.value.as_str())).map(str::to_string)
        else {
            imported.findings.push(Finding::file(
                path,
                format!("techniques[{n}]: no `technique_id`: skipped"),
            ));
            continue;
        };
        imported.summary.items_with_techniques += 1;
        let mut any = false;
        let kinds = [
            (Function::Detect, technique.detection),
            (Function::Visibility, technique.visibility),
        ];
        for (function, objects) in kinds {
            for object in objects.map(OneOrMany::into_vec).unwrap_or_default() {
                let read = Technique {
                    id: &id,
                    name: technique.technique_name.as_deref(),
                    function,
                    position,
                };
                any |= read_object(&read, object, path, options, imported, &mut systems);
            }
        }
        if !any {
            imported.summary.items_filtered += 1;
        }
    }
    for (system, entries) in systems {
        let (id, display) = if system.eq_ignore_ascii_case("all") {
            (format!("{prefix}-all"), format!("{name}: all systems"))
        } else {
            (
                format!("{prefix}-{}", slug(&system)),
                format!("{name}: {system}"),
            )
        };
        imported
            .capability(&id, &display, &platforms)
            .entries
            .extend(entries);
    }
}

/// Whether the file's `version` is 1.x; a file of another version is skipped with a finding.
fn version_1(version: Option<&str>, kind: &str, path: &Path, imported: &mut Imported) -> bool {
    let version = text(version).unwrap_or("?");
    if version == "1" || version.starts_with("1.") {
        return true;
    }
    imported.skip_file(Finding::file(
        path,
        format!("{kind} administration version {version}: only 1.x is read: skipped"),
    ));
    false
}

/// The file's platforms in ATT&CK's spelling; `all` sets none.
fn platforms_of(
    written: Option<OneOrMany<String>>,
    path: &Path,
    imported: &mut Imported,
) -> Vec<String> {
    let mut platforms: Vec<String> = Vec::new();
    for name in written.map(OneOrMany::into_vec).unwrap_or_default() {
        if name.trim().eq_ignore_ascii_case("all") {
            return Vec::new();
        }
        match attack_platform(&name) {
            Some(p) if !platforms.iter().any(|k| k == p) => platforms.push(p.to_string()),
            Some(_) => {}
            None => imported.findings.push(Finding::file(
                path,
                format!("platform `{name}` is not an enterprise ATT&CK platform: ignored"),
            )),
        }
    }
    platforms.sort();
    platforms
}

/// The technique an object belongs to.
struct Technique<'a> {
    id: &'a str,
    name: Option<&'a str>,
    function: Function,
    /// Where its `technique_id` is written.
    position: Option<(usize, usize)>,
}

/// Reads one detection or visibility object into `systems`; `true` when it gave entries.
fn read_object(
    technique: &Technique<'_>,
    object: RawObject,
    path: &Path,
    options: &DettectOptions,
    imported: &mut Imported,
    systems: &mut Vec<(String, Vec<ImportedEntry>)>,
) -> bool {
    let what = if technique.function == Function::Detect {
        "detection"
    } else {
        "visibility"
    };
    let logbook = object
        .score_logbook
        .map(OneOrMany::into_vec)
        .unwrap_or_default();
    let Some(entry) = newest(&logbook) else {
        return false;
    };
    let Some(score) = entry.score else {
        return false;
    };
    let (table, lowest): (&[Option<Level>], i64) = if technique.function == Function::Detect {
        (&options.detection, -1)
    } else {
        (&options.visibility, 0)
    };
    // Checked: a hostile score such as i64::MAX must not overflow.
    let slot = score
        .checked_sub(lowest)
        .and_then(|i| usize::try_from(i).ok())
        .and_then(|i| table.get(i));
    let Some(level) = slot else {
        imported.findings.push(Finding::maybe_at(
            path,
            technique.position,
            format!(
                "{}: {what} score {score} is outside {lowest}..{}: skipped",
                technique.id,
                lowest + i64::try_from(table.len()).unwrap_or(1) - 1
            ),
        ));
        return false;
    };
    let Some(level) = *level else {
        return false;
    };
    let targets: Vec<String> = object
        .applicable_to
        .map(OneOrMany::into_vec)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| text(Some(&s)).map(str::to_string))
        .collect();
    if targets.is_empty() {
        imported.findings.push(Finding::maybe_at(
            path,
            technique.position,
            format!(
                "{}: {what} object without `applicable_to`: skipped",
                technique.id
            ),
        ));
        return false;
    }
    let mut notes: Vec<String> = Vec::new();
    notes.extend(text(object.comment.as_deref()).map(str::to_string));
    notes.extend(text(entry.comment.as_deref()).map(str::to_string));
    let locations: Vec<String> = object
        .location
        .map(OneOrMany::into_vec)
        .unwrap_or_default()
        .into_iter()
        .filter(|l| !l.trim().is_empty())
        .collect();
    if !locations.is_empty() {
        notes.push(format!("location: {}", locations.join(", ")));
    }
    for system in targets {
        let evidence = Evidence {
            path: path.to_path_buf(),
            item: Some(technique.id.to_string()),
            title: technique.name.map(str::to_string),
            comment: (!notes.is_empty()).then(|| notes.join("; ")),
            line: None,
            column: None,
        }
        .at(technique.position);
        let made = imported.entry(technique.id, technique.function, level, evidence);
        if let Some((_, entries)) = systems.iter_mut().find(|(s, _)| *s == system) {
            entries.push(made);
        } else {
            systems.push((system, vec![made]));
        }
    }
    true
}

#[derive(Deserialize)]
struct RawDataSourceFile {
    version: Option<String>,
    name: Option<String>,
    domain: Option<String>,
    systems: Option<Vec<RawSystem>>,
    data_sources: Option<Vec<RawDataSource>>,
}

#[derive(Deserialize)]
struct RawSystem {
    applicable_to: Option<Located<String>>,
    platform: Option<OneOrMany<String>>,
}

#[derive(Deserialize)]
struct RawDataSource {
    data_source_name: Option<Located<String>>,
    data_source: Option<OneOrMany<RawDetails>>,
}

#[derive(Deserialize)]
struct RawDetails {
    applicable_to: Option<OneOrMany<String>>,
    date_registered: Option<String>,
    date_connected: Option<String>,
    products: Option<OneOrMany<String>>,
    available_for_data_analytics: Option<bool>,
    comment: Option<String>,
    data_quality: Option<RawQuality>,
}

#[derive(Deserialize)]
struct RawQuality {
    device_completeness: Option<i64>,
    data_field_completeness: Option<i64>,
    timeliness: Option<i64>,
    consistency: Option<i64>,
    retention: Option<i64>,
}

/// The telemetry quality of DeTT&CT's five data-quality scores (each 0-5): DeTT&CT's own
/// data-quality score (its data-source Excel export), a mean in which device completeness,
/// data field completeness and retention weigh twice, divided by the top score 5:
/// `(2 dc + 2 dfc + t + c + 2 r) / 40`. `None` when a score is outside 0..=5.
pub fn quality(scores: [i64; 5]) -> Option<f64> {
    let [device, fields, timeliness, consistency, retention] = scores;
    if scores.iter().any(|s| !(0..=5).contains(s)) {
        return None;
    }
    let weighted = 2 * device + 2 * fields + timeliness + consistency + 2 * retention;
    Some(weighted as f64 / 40.0)
}

/// Reads one data-source administration file (`source`, read from `path`) into telemetry
/// entries of `imported`: one per data source details object (a data component on the
/// systems of its `applicable_to`).
///
/// - The component's log sources come from the loaded bundle when the import is resolved
///   ([`crate::telemetry::resolve`]); DeTT&CT's own data sources (`... [DeTT&CT data source]`)
///   are not ATT&CK data components and have none: a finding, left out.
/// - Platforms: those of the `systems` the object applies to (`applicable_to: [all]`: every
///   system of the file; a system whose `platform` is `all`: every platform, none set).
/// - Enabled as DeTT&CT decides: an object with every data-quality score 0 is not available
///   (filtered out, counted). `date_connected` empty (registered, not connected yet) or
///   `available_for_data_analytics: false` (collected, not searchable): status `planned`, so
///   it counts only with `--include planned`.
/// - Quality: [`quality`] of the five scores.
pub fn parse_data_sources(
    source: &str,
    path: &Path,
    options: &DettectOptions,
    imported: &mut Imported,
) {
    let file: RawDataSourceFile = match covmap_assess::yaml::from_str(source) {
        Ok(f) => f,
        Err(e) => {
            imported.skip_file(Finding::yaml(path, &e));
            return;
        }
    };
    if !version_1(file.version.as_deref(), "data-source", path, imported) {
        return;
    }
    imported.summary.files_read += 1;
    if let Some(domain) = text(file.domain.as_deref())
        && domain != "enterprise-attack"
    {
        imported.findings.push(Finding::file(
            path,
            format!("domain `{domain}`: data components are looked up in the loaded bundle"),
        ));
    }
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    let name = text(file.name.as_deref())
        .map(str::to_string)
        .or(stem)
        .unwrap_or_default();
    let prefix = slug(options.id.as_deref().unwrap_or(&name));
    // System (lowercase) -> (as written, platforms; `None`: every platform).
    let mut systems: Vec<(String, String, Option<Vec<String>>)> = Vec::new();
    for system in file.systems.unwrap_or_default() {
        let Some(applicable) = system.applicable_to else {
            continue;
        };
        let written = applicable.value.trim().to_string();
        let mut platforms = Some(Vec::new());
        for p in system.platform.map(OneOrMany::into_vec).unwrap_or_default() {
            let p = p.trim();
            if p.eq_ignore_ascii_case("all") {
                platforms = None;
            } else if let Some(list) = &mut platforms
                && !list.iter().any(|k| k == p)
            {
                // As written: checked against the loaded bundle's platforms on resolution.
                list.push(p.to_string());
            }
        }
        systems.push((written.to_ascii_lowercase(), written, platforms));
    }
    for data_source in file.data_sources.unwrap_or_default() {
        let Some(component) = data_source.data_source_name else {
            imported.findings.push(Finding::file(
                path,
                "a data source without `data_source_name`: skipped",
            ));
            continue;
        };
        let position = Some((component.line, component.column));
        let component_name = component.value.trim().to_string();
        for details in data_source
            .data_source
            .map(OneOrMany::into_vec)
            .unwrap_or_default()
        {
            imported.summary.items_read += 1;
            let read = DataSource {
                component: &component_name,
                position,
                prefix: &prefix,
                systems: &systems,
            };
            read_details(&read, details, path, imported);
        }
    }
}

/// The data source a details object belongs to, and the file's systems.
struct DataSource<'a> {
    component: &'a str,
    position: Option<(usize, usize)>,
    prefix: &'a str,
    systems: &'a [(String, String, Option<Vec<String>>)],
}

/// The systems an object applies to (as written; `all` for every system) and their
/// platforms (empty: every platform); `None` when none of its systems is known.
fn systems_of(
    read: &DataSource<'_>,
    targets: &[String],
    all: bool,
    path: &Path,
    imported: &mut Imported,
) -> Option<(Vec<String>, Vec<String>)> {
    let component = read.component;
    let at = |message: String| Finding::maybe_at(path, read.position, message);
    let mut platforms: Option<Vec<String>> = Some(Vec::new());
    let chosen: Vec<&(String, String, Option<Vec<String>>)> = if all {
        read.systems.iter().collect()
    } else {
        let mut chosen = Vec::new();
        for target in targets {
            match read
                .systems
                .iter()
                .find(|(key, _, _)| *key == target.to_ascii_lowercase())
            {
                Some(system) => chosen.push(system),
                None => imported.findings.push(at(format!(
                    "{component}: system `{target}` is not in the file's `systems` (its platforms are unknown): left out"
                ))),
            }
        }
        chosen
    };
    if chosen.is_empty() && !all {
        return None;
    }
    for (_, _, system_platforms) in &chosen {
        match (system_platforms, &mut platforms) {
            (None, _) => platforms = None,
            (Some(list), Some(into)) => {
                for p in list {
                    if !into.contains(p) {
                        into.push(p.clone());
                    }
                }
            }
            (Some(_), None) => {}
        }
    }
    // No system at all with `all`: every platform.
    let mut platforms = if chosen.is_empty() {
        Vec::new()
    } else {
        platforms.unwrap_or_default()
    };
    platforms.sort();
    let names: Vec<String> = if all {
        vec!["all".to_string()]
    } else {
        chosen
            .iter()
            .map(|(_, written, _)| written.clone())
            .collect()
    };
    Some((names, platforms))
}

/// The evidence notes of a details object: scores, products, dates, comment.
fn notes_of(details: RawDetails, scores: [i64; 5], analytics: bool) -> Vec<String> {
    let products: Vec<String> = details
        .products
        .map(OneOrMany::into_vec)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| text(Some(&p)).map(str::to_string))
        .collect();
    let mut notes = vec![format!(
        "data quality {}/{}/{}/{}/{} (device, fields, timeliness, consistency, retention)",
        scores[0], scores[1], scores[2], scores[3], scores[4]
    )];
    if !products.is_empty() {
        notes.push(format!("products: {}", products.join(", ")));
    }
    if let Some(date) = text(details.date_registered.as_deref()) {
        notes.push(format!("registered {}", date.get(..10).unwrap_or(date)));
    }
    match text(details.date_connected.as_deref()) {
        Some(date) => notes.push(format!("connected {}", date.get(..10).unwrap_or(date))),
        None => notes.push("not connected yet: planned".to_string()),
    }
    if !analytics {
        notes.push("not available for data analytics: planned".to_string());
    }
    notes.extend(text(details.comment.as_deref()).map(str::to_string));
    notes
}

/// Reads one data source details object into a telemetry entry.
fn read_details(
    read: &DataSource<'_>,
    mut details: RawDetails,
    path: &Path,
    imported: &mut Imported,
) {
    let component = read.component;
    let at = |message: String| Finding::maybe_at(path, read.position, message);
    let Some(scores) = details.data_quality.take() else {
        imported
            .findings
            .push(at(format!("{component}: no `data_quality`: skipped")));
        return;
    };
    let scores = [
        scores.device_completeness,
        scores.data_field_completeness,
        scores.timeliness,
        scores.consistency,
        scores.retention,
    ];
    if scores.iter().any(Option::is_none) {
        imported.findings.push(at(format!(
            "{component}: `data_quality` lacks a dimension (device_completeness, data_field_completeness, timeliness, consistency, retention): taken as 0"
        )));
    }
    let scores = scores.map(|s| s.unwrap_or(0));
    let Some(quality) = quality(scores) else {
        imported.findings.push(at(format!(
            "{component}: a data-quality score is outside 0..5 ({scores:?}): skipped"
        )));
        return;
    };
    if scores.iter().all(|s| *s == 0) {
        // DeTT&CT's own rule: every dimension 0 is a data source not available.
        imported.summary.items_filtered += 1;
        return;
    }
    let targets: Vec<String> = details
        .applicable_to
        .take()
        .map(OneOrMany::into_vec)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| text(Some(&s)).map(str::to_string))
        .collect();
    if targets.is_empty() {
        imported
            .findings
            .push(at(format!("{component}: no `applicable_to`: skipped")));
        return;
    }
    let all = targets.iter().any(|t| t.eq_ignore_ascii_case("all"));
    let Some((names, platforms)) = systems_of(read, &targets, all, path, imported) else {
        return;
    };
    let connected = text(details.date_connected.as_deref()).is_some();
    let analytics = details.available_for_data_analytics.unwrap_or(true);
    let status = (!connected || !analytics).then_some(covmap_assess::inventory::Status::Planned);
    let notes = notes_of(details, scores, analytics);
    let systems_text = if all {
        "all systems".to_string()
    } else {
        names.join(", ")
    };
    imported.telemetry.push(ImportedTelemetry {
        id: format!(
            "{}-{}-{}",
            read.prefix,
            slug(component),
            slug(&names.join("-"))
        ),
        name: format!("{component}: {systems_text}"),
        platforms,
        status,
        quality: Some(quality),
        log_sources: Vec::new(),
        component: Some(WrittenComponent {
            name: component.to_string(),
            position: read.position,
        }),
        evidence: Evidence {
            item: Some(component.to_string()),
            comment: Some(notes.join("; ")),
            ..Evidence::file(path)
        }
        .at(read.position),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import(text: &str, options: &DettectOptions) -> Imported {
        let mut imported = Imported::default();
        parse(text, Path::new("t.yaml"), options, &mut imported);
        imported
    }

    const FILE: &str = "\
version: 1.2
file_type: technique-administration
name: Lab
domain: enterprise-attack
platform: [Windows, Linux, Amiga]
techniques:
- technique_id: T1001
  technique_name: Data Obfuscation
  detection:
    applicable_to: [all]
    location: [SIEM rule 7]
    comment: ''
    score_logbook:
    - date:
      score: -1
    - date: 2023-01-02
      score: 3
      comment: tuned
  visibility:
  - applicable_to: [Windows workstations]
    score_logbook:
    - date: 2021-09-22
      score: 2
    - date: 2022-06-08T00:00:00.000Z
      score: 4
  - applicable_to: [Linux servers]
    score_logbook:
    - {date: 2021-09-22, score: 0}
- technique_id: T1002
  detection:
  - applicable_to: [all]
    score_logbook:
    - {date: null, score: -1}
  visibility:
  - applicable_to: [all]
    score_logbook:
    - {date: 2021-01-01, score: 9223372036854775807}
- technique_name: no id
";

    #[test]
    fn newest_scores_per_system() {
        let imported = import(FILE, &DettectOptions::default());
        let got: Vec<_> = imported
            .capabilities
            .iter()
            .map(|c| {
                let entries: Vec<_> = c
                    .entries
                    .iter()
                    .map(|e| (e.technique.as_str(), e.function, e.level))
                    .collect();
                (c.id.as_str(), c.name.as_str(), entries)
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "lab-all",
                    "Lab: all systems",
                    vec![("T1001", Function::Detect, Level::Value(0.6))]
                ),
                (
                    "lab-windows-workstations",
                    "Lab: Windows workstations",
                    vec![("T1001", Function::Visibility, Level::Value(1.0))]
                ),
            ]
        );
        assert_eq!(imported.capabilities[0].platforms, ["Linux", "Windows"]);
        assert_eq!(
            imported.capabilities[0].entries[0].evidence.to_text(),
            "t.yaml: T1001 \"Data Obfuscation\" - tuned; location: SIEM rule 7"
        );
        let s = &imported.summary;
        assert_eq!(
            (s.items_read, s.items_with_techniques, s.items_filtered),
            (3, 2, 1)
        );
        // Amiga, the out-of-range (and overflowing) score, the entry without an ID.
        assert_eq!(imported.findings.len(), 3, "{:?}", imported.findings);
    }

    #[test]
    fn configurable_table() {
        let mut options = DettectOptions {
            id: Some("soc".into()),
            ..DettectOptions::default()
        };
        options.visibility[0] = Some(Level::Value(0.1));
        let imported = import(FILE, &options);
        let linux = imported
            .capabilities
            .iter()
            .find(|c| c.id == "soc-linux-servers")
            .map(|c| c.entries.len());
        assert_eq!(linux, Some(1));
    }

    #[test]
    fn other_files_are_skipped() {
        let imported = import(
            "version: 1\nfile_type: group-administration\n",
            &DettectOptions::default(),
        );
        assert_eq!(imported.summary.files_skipped, 1);
        assert!(
            imported.findings[0]
                .message
                .contains("group-administration")
        );
        let imported = import(
            "version: 2.0\nfile_type: technique-administration\n",
            &DettectOptions::default(),
        );
        assert_eq!(imported.summary.files_skipped, 1);
        let imported = import(
            "file_type: technique-administration\ntechniques: [\n",
            &DettectOptions::default(),
        );
        assert_eq!(imported.summary.files_skipped, 1);
        assert!(imported.findings[0].line.is_some());
    }

    const DATA_SOURCES: &str = "\
version: 1.1
file_type: data-source-administration
name: Lab
systems:
  - applicable_to: PCs
    platform: [Windows]
  - applicable_to: Cloud
    platform: all
data_sources:
  - data_source_name: Process Creation
    data_source:
      - applicable_to: [pcs]
        date_connected: 2020-03-10T00:00:00.000Z
        products: [Sysmon]
        available_for_data_analytics: true
        data_quality: {device_completeness: 5, data_field_completeness: 4, timeliness: 3, consistency: 2, retention: 1}
      - applicable_to: [Servers]
        date_connected: 2020-03-10
        data_quality: {device_completeness: 1, data_field_completeness: 1, timeliness: 1, consistency: 1, retention: 1}
  - data_source_name: Command Execution
    data_source:
      applicable_to: [all]
      date_connected:
      data_quality: {device_completeness: 1, data_field_completeness: 0, timeliness: 0, consistency: 0, retention: 0}
  - data_source_name: File Access
    data_source:
      - applicable_to: [Cloud]
        date_connected: 2021-01-01
        available_for_data_analytics: false
        data_quality: {device_completeness: 0, data_field_completeness: 0, timeliness: 0, consistency: 0, retention: 0}
      - applicable_to: [Cloud]
        date_connected: 2021-01-01
        data_quality: {device_completeness: 9, data_field_completeness: 0, timeliness: 0, consistency: 0, retention: 0}
";

    #[test]
    fn data_sources_become_telemetry() {
        let imported = import(DATA_SOURCES, &DettectOptions::default());
        let got: Vec<_> = imported
            .telemetry
            .iter()
            .map(|t| {
                (
                    t.id.as_str(),
                    t.platforms.clone(),
                    t.status,
                    t.quality,
                    t.component.as_ref().map(|c| (c.name.as_str(), c.position)),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "lab-process-creation-pcs",
                    vec!["Windows".to_string()],
                    None,
                    // (2*5 + 2*4 + 3 + 2 + 2*1) / 40
                    Some(25.0 / 40.0),
                    Some(("Process Creation", Some((10, 23))))
                ),
                (
                    "lab-command-execution-all",
                    // The Cloud system is on every platform: none set.
                    vec![],
                    Some(covmap_assess::inventory::Status::Planned),
                    Some(2.0 / 40.0),
                    Some(("Command Execution", Some((20, 23))))
                ),
            ]
        );
        assert_eq!(
            imported.telemetry[0].evidence.to_text(),
            "t.yaml: Process Creation - data quality 5/4/3/2/1 (device, fields, timeliness, consistency, retention); products: Sysmon; connected 2020-03-10"
        );
        let s = &imported.summary;
        // Five details objects, one with every score 0 (DeTT&CT: not available).
        assert_eq!((s.files_read, s.items_read, s.items_filtered), (1, 5, 1));
        let messages: Vec<&str> = imported
            .findings
            .iter()
            .map(|f| f.message.as_str())
            .collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].contains("system `Servers` is not in the file's `systems`"));
        assert!(messages[1].contains("a data-quality score is outside 0..5"));
    }

    #[test]
    fn quality_rule() {
        assert_eq!(quality([5, 5, 5, 5, 5]), Some(1.0));
        assert_eq!(quality([1, 1, 1, 1, 1]), Some(0.2));
        assert_eq!(quality([0, 0, 5, 5, 0]), Some(0.25));
        assert_eq!(quality([6, 0, 0, 0, 0]), None);
        assert_eq!(quality([-1, 0, 0, 0, 0]), None);
    }

    #[test]
    fn dates_order() {
        assert!(date_key(Some("2022-06-08T00:00:00.000Z")) > date_key(Some("2022-06-08")));
        assert!(date_key(Some("2021-09-22")) > date_key(None));
        assert_eq!(date_key(Some("yesterday")), None);
    }
}
