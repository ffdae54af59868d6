//! ATT&CK Navigator layers (layer formats 3.x and 4.x), one layer or an array of layers per file.
//!
//! - One capability per layer, its id the slug of the layer's name (or of the file name); with
//!   [`NavigatorOptions::id`] every layer goes into that one capability.
//! - A technique's `score` is normalised by the layer's gradient into a level value:
//!   `(score - minValue) / (maxValue - minValue)`, clamped to [0, 1] and rounded to 3 decimals;
//!   without a gradient the Navigator's default 0-100 is used. A score at or below `minValue`
//!   is no coverage: the technique is left out. [`NavigatorOptions::level`] fixes the level
//!   instead.
//! - A technique without a score but with a comment, colour or metadata is a claim without a
//!   measure: it gets [`NavigatorOptions::unscored`] (default `minimal`). One carrying nothing
//!   (only `showSubtechniques`, as the Navigator saves expanded parents) is left out.
//! - `enabled: false` techniques are left out. Tactic-specific entries (`tactic`) stay one per
//!   tactic, in [`ImportedEntry::tactic`](crate::model::ImportedEntry::tactic).
//! - `comment` and technique `metadata` (`name: value`) become the entry's evidence; the
//!   layer's `filters.platforms` its platforms (older names mapped, see [`crate::platform`]).

use std::collections::BTreeSet;
use std::path::Path;

use covmap_assess::inventory::{Confidence, Function, Level, NamedLevel};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::model::{Evidence, Finding, Imported, slug};
use crate::platform::attack_platforms;
use crate::text::LineIndex;

/// How layers are imported.
#[derive(Debug, Clone, PartialEq)]
pub struct NavigatorOptions {
    /// Put every layer into one capability with this id.
    pub id: Option<String>,
    /// Display name of that capability (default: the first layer's name).
    pub name: Option<String>,
    /// What the layer's techniques are: default `detect` (a covmap layer of one function:
    /// that function).
    pub function: Option<Function>,
    /// A fixed level for every technique, instead of the normalised score.
    pub level: Option<Level>,
    /// The level of a technique that carries no score: default `minimal`.
    pub unscored: Level,
}

impl Default for NavigatorOptions {
    fn default() -> Self {
        NavigatorOptions {
            id: None,
            name: None,
            function: None,
            level: None,
            unscored: Level::Named(NamedLevel::Minimal),
        }
    }
}

#[derive(Deserialize)]
struct RawLayer<'a> {
    name: Option<String>,
    domain: Option<String>,
    #[serde(borrow)]
    techniques: Option<&'a RawValue>,
    gradient: Option<RawGradient>,
    filters: Option<RawFilters>,
    #[serde(default)]
    metadata: Vec<RawMetadata>,
}

#[derive(Deserialize)]
struct RawGradient {
    #[serde(rename = "minValue")]
    min: Option<f64>,
    #[serde(rename = "maxValue")]
    max: Option<f64>,
}

#[derive(Deserialize)]
struct RawFilters {
    #[serde(default)]
    platforms: Vec<String>,
}

#[derive(Deserialize)]
struct RawTechnique {
    #[serde(rename = "techniqueID")]
    technique_id: String,
    tactic: Option<String>,
    score: Option<f64>,
    enabled: Option<bool>,
    comment: Option<String>,
    color: Option<String>,
    #[serde(default)]
    metadata: Vec<RawMetadata>,
}

#[derive(Deserialize)]
struct RawMetadata {
    name: Option<String>,
    value: Option<String>,
}

/// The name of the metadata entry in which covmap's own layers keep a technique's exact score
/// (the layer's `score` is rounded to whole points).
pub const EXACT_SCORE: &str = "exact score";

/// Imports the layers (`.json` files) under `paths`.
pub fn import(paths: &[std::path::PathBuf], options: &NavigatorOptions) -> Imported {
    crate::import_files(paths, &["json"], |_, texts, imported| {
        import_texts(texts, options, imported);
    })
}

/// Reads files already read into `imported`.
pub(crate) fn import_texts(
    texts: &[crate::Text],
    options: &NavigatorOptions,
    imported: &mut Imported,
) {
    crate::each_text(texts, |text, path| parse(text, path, options, imported));
}

/// Reads one layer file (`text` read from `path`) into `imported`.
pub fn parse(text: &str, path: &Path, options: &NavigatorOptions, imported: &mut Imported) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value: &RawValue = match serde_json::from_str(text) {
        Ok(v) => v,
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
    let trimmed = value.get().trim_start();
    let layers: Vec<&RawValue> = if trimmed.starts_with('[') {
        match serde_json::from_str(value.get()) {
            Ok(layers) => layers,
            Err(e) => {
                imported.skip_file(Finding::file(
                    path,
                    format!("not a list of layers: {e}: skipped"),
                ));
                return;
            }
        }
    } else if trimmed.starts_with('{') {
        vec![value]
    } else {
        imported.skip_file(Finding::file(
            path,
            "not a Navigator layer (neither an object nor an array of layers): skipped",
        ));
        return;
    };
    imported.summary.files_read += 1;
    let lines = LineIndex::new(text);
    for (n, layer) in layers.into_iter().enumerate() {
        let which = if n == 0 {
            String::new()
        } else {
            format!("layer {}: ", n + 1)
        };
        match serde_json::from_str::<RawLayer<'_>>(layer.get()) {
            Ok(RawLayer {
                techniques: None, ..
            }) => imported.findings.push(Finding::maybe_at(
                path,
                lines.position_of(layer.get()),
                format!("{which}not a Navigator layer (no `techniques`): skipped"),
            )),
            Ok(raw) => read_layer(raw, &which, path, &lines, options, imported),
            Err(e) => imported.findings.push(Finding::maybe_at(
                path,
                lines.position_of(layer.get()),
                format!("{which}not a Navigator layer: {e}: skipped"),
            )),
        }
    }
}

/// What a layer made by covmap (`covmap export navigator`) says of itself.
struct CovmapLayer {
    /// The function of a per-function layer; `None`: the headline score.
    function: Option<Function>,
}

/// A covmap layer is recognised by its `scored by: covmap …` metadata.
fn covmap_layer(metadata: &[RawMetadata]) -> Option<CovmapLayer> {
    let value = |key: &str| {
        metadata
            .iter()
            .find(|m| m.name.as_deref() == Some(key))
            .and_then(|m| m.value.as_deref())
    };
    value("scored by").filter(|v| v.starts_with("covmap"))?;
    let function = value("layer scores").and_then(|v| {
        Function::ALL
            .into_iter()
            .find(|f| v.strip_prefix(f.as_str()) == Some(" function"))
    });
    Some(CovmapLayer { function })
}

fn read_layer(
    layer: RawLayer<'_>,
    which: &str,
    path: &Path,
    lines: &LineIndex<'_>,
    options: &NavigatorOptions,
    imported: &mut Imported,
) {
    if let Some(domain) = &layer.domain
        && !domain.contains("enterprise")
    {
        imported.findings.push(Finding::file(
            path,
            format!("{which}domain `{domain}`: IDs are checked against the loaded bundle"),
        ));
    }
    let covmap = covmap_layer(&layer.metadata);
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    let layer_name = layer.name.clone().or(stem).unwrap_or_default();
    let id = options.id.clone().unwrap_or_else(|| slug(&layer_name));
    let name = options.name.clone().unwrap_or_else(|| layer_name.clone());
    let written = layer.filters.map(|f| f.platforms).unwrap_or_default();
    let (platforms, unknown) = attack_platforms(written.iter().map(String::as_str));
    for p in unknown {
        imported.findings.push(Finding::file(
            path,
            format!("{which}platform `{p}` is not an ATT&CK platform: ignored"),
        ));
    }
    let (min, max) = layer.gradient.map_or((None, None), |g| (g.min, g.max));
    let (min, max) = (min.unwrap_or(0.0), max.unwrap_or(100.0));
    let function = options
        .function
        .or(covmap.as_ref().and_then(|c| c.function))
        .unwrap_or(Function::Detect);
    let Some(techniques) = techniques_of(layer.techniques, which, path, lines, imported) else {
        return;
    };
    // In covmap's layers a parent's cell is the roll-up of its sub-techniques, not a claim of
    // its own: importing it would add parent-level evidence covmap never had.
    let parents: BTreeSet<String> = if covmap.is_some() {
        techniques
            .iter()
            .filter_map(|(t, _)| t.technique_id.trim().split_once('.'))
            .map(|(parent, _)| parent.to_ascii_uppercase())
            .collect()
    } else {
        BTreeSet::new()
    };
    let mut entries = Vec::new();
    for (technique, position) in techniques {
        imported.summary.items_with_techniques += 1;
        if parents.contains(&technique.technique_id.trim().to_ascii_uppercase()) {
            imported.summary.items_filtered += 1;
            continue;
        }
        let Some(level) = level_of(
            &technique,
            min,
            max,
            options,
            covmap.is_some(),
            which,
            path,
            imported,
        ) else {
            imported.summary.items_filtered += 1;
            continue;
        };
        let mut notes: Vec<String> = technique.comment.iter().cloned().collect();
        if covmap.is_none() {
            notes.extend(
                technique.metadata.iter().filter_map(|m| {
                    Some(format!("{}: {}", m.name.as_deref()?, m.value.as_deref()?))
                }),
            );
        }
        if let Some(tactic) = technique.tactic.as_deref().filter(|t| !t.is_empty()) {
            notes.push(format!("tactic {tactic}"));
        }
        let evidence = Evidence {
            path: path.to_path_buf(),
            item: None,
            title: Some(layer_name.clone()),
            comment: (!notes.is_empty()).then(|| notes.join("; ")),
            line: None,
            column: None,
        }
        .at(position);
        let mut entry = imported.entry(&technique.technique_id, function, level, evidence);
        entry.tactic = technique.tactic.filter(|t| !t.is_empty());
        if covmap.is_some() {
            // A covmap score already weighs confidence in: it is taken as measured.
            entry.confidence = Some(Confidence::Tested);
        }
        entries.push(entry);
    }
    imported
        .capability(&id, &name, &platforms)
        .entries
        .extend(entries);
}

/// A value with the line and column it was read at.
type Positioned<T> = (T, Option<(usize, usize)>);

/// The techniques of a layer that can be read, with their positions; `None` when
/// `techniques` is not a list (a finding says so).
fn techniques_of(
    techniques: Option<&RawValue>,
    which: &str,
    path: &Path,
    lines: &LineIndex<'_>,
    imported: &mut Imported,
) -> Option<Vec<Positioned<RawTechnique>>> {
    let raw: Vec<&RawValue> = match techniques.map(|t| serde_json::from_str(t.get())) {
        Some(Ok(list)) => list,
        Some(Err(e)) => {
            imported.findings.push(Finding::maybe_at(
                path,
                techniques.and_then(|t| lines.position_of(t.get())),
                format!("{which}`techniques` is not a list: {e}: skipped"),
            ));
            return None;
        }
        None => Vec::new(),
    };
    let mut read = Vec::with_capacity(raw.len());
    for (n, raw) in raw.into_iter().enumerate() {
        imported.summary.items_read += 1;
        let position = lines.position_of(raw.get());
        match serde_json::from_str::<RawTechnique>(raw.get()) {
            Ok(t) if t.technique_id.trim().is_empty() => {
                imported.findings.push(Finding::maybe_at(
                    path,
                    position,
                    format!("{which}technique {}: empty `techniqueID`: skipped", n + 1),
                ));
            }
            Ok(t) => read.push((t, position)),
            Err(e) => imported.findings.push(Finding::maybe_at(
                path,
                position,
                format!("{which}technique {}: {e}: skipped", n + 1),
            )),
        }
    }
    Some(read)
}

/// The level of a technique, or `None` when it is left out (disabled, no coverage, nothing
/// said).
#[allow(clippy::too_many_arguments)]
fn level_of(
    technique: &RawTechnique,
    min: f64,
    max: f64,
    options: &NavigatorOptions,
    covmap: bool,
    which: &str,
    path: &Path,
    imported: &mut Imported,
) -> Option<Level> {
    if technique.enabled == Some(false) {
        return None;
    }
    let Some(score) = technique.score else {
        let annotated = technique.comment.as_ref().is_some_and(|c| !c.is_empty())
            || technique.color.as_ref().is_some_and(|c| !c.is_empty())
            || !technique.metadata.is_empty();
        return annotated.then_some(options.level.unwrap_or(options.unscored));
    };
    if let Some(level) = options.level {
        return Some(level);
    }
    if !score.is_finite() || !min.is_finite() || !max.is_finite() || max <= min {
        imported.findings.push(Finding::file(
            path,
            format!(
                "{which}{}: score {score} cannot be normalised by the gradient [{min}, {max}]: skipped",
                technique.technique_id
            ),
        ));
        return None;
    }
    let value = ((score - min) / (max - min)).clamp(0.0, 1.0);
    // A covmap layer's exact score, unless the layer's score was edited since.
    let exact = covmap
        .then(|| {
            technique
                .metadata
                .iter()
                .find(|m| m.name.as_deref() == Some(EXACT_SCORE))
                .and_then(|m| m.value.as_deref()?.trim().parse::<f64>().ok())
        })
        .flatten()
        .filter(|e| {
            e.is_finite()
                && (0.0..=1.0).contains(e)
                && ((e * 100.0).round() - (value * 100.0).round()).abs() < 0.5
        });
    let value = exact.unwrap_or(value);
    // Six decimals: the precision of every covmap output.
    let value = (value * 1e6).round() / 1e6;
    (value > 0.0).then_some(Level::Value(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import(text: &str, options: &NavigatorOptions) -> Imported {
        let mut imported = Imported::default();
        parse(text, Path::new("l.json"), options, &mut imported);
        imported
    }

    #[test]
    fn scores_are_normalised_by_the_gradient() {
        let imported = import(
            r#"{"name": "My EDR", "domain": "enterprise-attack", "gradient": {"minValue": 10, "maxValue": 20},
               "filters": {"platforms": ["windows", "Azure AD", "Amiga"]},
               "techniques": [
                 {"techniqueID": "T1059.001", "score": 15, "comment": "seen",
                  "metadata": [{"name": "rule", "value": "r1"}, {"divider": true}]},
                 {"techniqueID": "T1003", "tactic": "credential-access", "score": 30},
                 {"techniqueID": "T1005", "score": 10},
                 {"techniqueID": "T1006", "score": 15, "enabled": false},
                 {"techniqueID": "T1053", "showSubtechniques": true},
                 {"techniqueID": "T1078", "color": "red"},
                 {"score": 3}
               ]}"#,
            &NavigatorOptions::default(),
        );
        let [cap] = imported.capabilities.as_slice() else {
            panic!("one capability: {imported:?}");
        };
        assert_eq!(cap.id, "my-edr");
        assert_eq!(cap.platforms, ["Identity Provider", "Windows"]);
        let got: Vec<_> = cap
            .entries
            .iter()
            .map(|e| (e.technique.as_str(), e.level, e.tactic.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("T1059.001", Level::Value(0.5), None),
                ("T1003", Level::Value(1.0), Some("credential-access")),
                ("T1078", Level::Named(NamedLevel::Minimal), None),
            ]
        );
        assert_eq!(
            cap.entries[0].evidence.comment.as_deref(),
            Some("seen; rule: r1")
        );
        assert_eq!(imported.summary.items_read, 7);
        assert_eq!(imported.summary.items_with_techniques, 6);
        assert_eq!(imported.summary.items_filtered, 3);
        // Amiga, and the entry without techniqueID.
        assert_eq!(imported.findings.len(), 2, "{:?}", imported.findings);
    }

    #[test]
    fn fixed_level_and_array_of_layers_into_one_capability() {
        let options = NavigatorOptions {
            id: Some("soc".into()),
            level: Some(Level::Named(NamedLevel::Significant)),
            function: Some(Function::Protect),
            ..NavigatorOptions::default()
        };
        let imported = import(
            r#"[{"name": "a", "techniques": [{"techniqueID": "T1001", "score": 1}]},
                {"name": "b", "techniques": [{"techniqueID": "t1002", "score": 0, "comment": "x"}]},
                {"name": "c"}]"#,
            &options,
        );
        let [cap] = imported.capabilities.as_slice() else {
            panic!("one capability");
        };
        assert_eq!(cap.id, "soc");
        assert_eq!(cap.name, "a");
        assert_eq!(cap.entries.len(), 2);
        assert_eq!(cap.entries[1].technique, "T1002");
        assert!(cap.entries.iter().all(|e| e.function == Function::Protect));
        assert_eq!(imported.findings.len(), 1);
        assert!(imported.findings[0].message.starts_with("layer 3: "));
    }

    #[test]
    fn malformed_files_are_skipped_with_position() {
        let imported = import("{\n  \"name\": ,\n}", &NavigatorOptions::default());
        assert_eq!(imported.summary.files_skipped, 1);
        assert_eq!(imported.findings[0].line, Some(2));
        let imported = import("42", &NavigatorOptions::default());
        assert_eq!(imported.summary.files_skipped, 1);
        let imported = import(
            r#"{"name": "x", "techniques": 3}"#,
            &NavigatorOptions::default(),
        );
        assert!(imported.capabilities.is_empty());
        assert_eq!(imported.findings.len(), 1);
    }
}
