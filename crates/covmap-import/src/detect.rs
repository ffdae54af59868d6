//! Recognising an artefact's format from its content (`covmap import auto`).
//!
//! Each file is looked at on its own, so one folder may mix formats:
//!
//! | file | recognised as |
//! |---|---|
//! | `.toml` with a `[rule]` table | Elastic detection rule |
//! | `.json` object with `mapping_objects` | CTID Mappings Explorer |
//! | `.json` object (or array of objects) with `techniques` and one of `versions`, `domain`, `name`, `gradient` | ATT&CK Navigator layer |
//! | `.yml`/`.yaml` with a top-level `file_type` | DeTT&CT (technique administration; other DeTT&CT files are then reported) |
//! | `.yml`/`.yaml` with top-level `technique-scores` under `techniques`, or `ATT&CK version` | CTID security-stack-mappings |
//! | `.yml`/`.yaml` with top-level `search` and `mitre_attack_id` or `how_to_implement` | Splunk detection |
//! | `.yml`/`.yaml` with top-level `logsource` or `detection` | Sigma rule |
//!
//! A Sysmon configuration (`.xml` with a `<Sysmon` element) is recognised but not imported yet:
//! it says which events are collected, not which techniques are covered, and a later version
//! reads it (`import sysmon`); [`not_importable`] says so, and `auto` skips it with that
//! reason instead of misreading it. Any other `.xml` file is no format covmap imports.
//!
//! Only top-level keys are looked at (a line starting at column 0), so a rule that quotes
//! another format in its description is not mistaken for it. Anything else is not recognised.

use std::path::Path;

use covmap_assess::inventory::ImportFormat;
use serde_json::Value;

/// The file extensions `auto` looks at (`.xml` only to say why a Sysmon configuration is
/// skipped).
pub const EXTENSIONS: [&str; 5] = ["json", "toml", "yml", "yaml", "xml"];

/// Why a file of a kind covmap recognises is not imported (`auto` skips it with this
/// reason); `None`: nothing known about it.
pub fn not_importable(path: &Path, text: &str) -> Option<&'static str> {
    let xml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xml"));
    (xml && is_sysmon(text)).then_some(
        "a Sysmon configuration (which events are collected), not coverage covmap imports \
         yet: skipped (a later covmap version reads it with `import sysmon`)",
    )
}

/// A Sysmon configuration: a `<Sysmon` root element (after the XML declaration and comments).
fn is_sysmon(text: &str) -> bool {
    text.match_indices('<').any(|(at, _)| {
        text.get(at + 1..at + 8).is_some_and(|name| {
            name.eq_ignore_ascii_case("Sysmon ") || name.eq_ignore_ascii_case("Sysmon>")
        })
    })
}

/// The format of a file, from its extension and content; `None`: none covmap imports.
pub fn detect(path: &Path, text: &str) -> Option<ImportFormat> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match extension.as_str() {
        "toml" => top_level_keys(text)
            .any(|k| k == "[rule]")
            .then_some(ImportFormat::Elastic),
        "json" => detect_json(text),
        "yml" | "yaml" => detect_yaml(text),
        _ => None,
    }
}

fn detect_json(text: &str) -> Option<ImportFormat> {
    let value: Value = serde_json::from_str(text).ok()?;
    let first = match &value {
        Value::Array(items) => items.first()?,
        object => object,
    };
    let object = first.as_object()?;
    if value.is_object() && object.contains_key("mapping_objects") {
        return Some(ImportFormat::Ctid);
    }
    let layer = object.contains_key("techniques")
        && ["versions", "domain", "name", "gradient"]
            .iter()
            .any(|k| object.contains_key(*k));
    layer.then_some(ImportFormat::Navigator)
}

fn detect_yaml(text: &str) -> Option<ImportFormat> {
    let keys: Vec<&str> = top_level_keys(text).collect();
    let has = |key: &str| keys.contains(&key);
    if has("file_type") {
        return Some(ImportFormat::Dettect);
    }
    if has("ATT&CK version") || (has("techniques") && text.contains("technique-scores")) {
        return Some(ImportFormat::Ctid);
    }
    if has("search") && (text.contains("mitre_attack_id") || has("how_to_implement")) {
        return Some(ImportFormat::Splunk);
    }
    if has("logsource") || has("detection") {
        return Some(ImportFormat::Sigma);
    }
    None
}

/// The keys of lines that start at column 0 (`key:` in YAML; `[table]` lines in TOML).
fn top_level_keys(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter_map(|line| {
        let first = line.chars().next()?;
        if first.is_whitespace() || first == '#' || first == '-' {
            return None;
        }
        if line.starts_with('[') {
            return Some(line.trim_end());
        }
        let (key, _) = line.split_once(':')?;
        Some(key.trim().trim_matches(['"', '\'']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, text: &str, expected: Option<ImportFormat>) {
        assert_eq!(detect(Path::new(name), text), expected, "{name}: {text}");
    }

    #[test]
    fn formats() {
        use ImportFormat::{Ctid, Dettect, Elastic, Navigator, Sigma, Splunk};
        check(
            "r.toml",
            "[metadata]\nmaturity = \"production\"\n\n[rule]\nname = \"x\"\n",
            Some(Elastic),
        );
        check("c.toml", "[package]\nname = \"x\"\n", None);
        check(
            "m.json",
            r#"{"metadata": {}, "mapping_objects": []}"#,
            Some(Ctid),
        );
        check(
            "l.json",
            r#"{"name": "x", "versions": {}, "techniques": []}"#,
            Some(Navigator),
        );
        check(
            "a.json",
            r#"[{"name": "x", "techniques": []}]"#,
            Some(Navigator),
        );
        check("p.json", r#"{"name": "x", "version": "1.0.0"}"#, None);
        check("bad.json", "{", None);
        check(
            "t.yaml",
            "version: 1.2\nfile_type: technique-administration\n",
            Some(Dettect),
        );
        check(
            "s.yaml",
            "name: GuardDuty\nATT&CK version: 9\ntechniques: []\n",
            Some(Ctid),
        );
        check(
            "d.yml",
            "name: x\nsearch: '| tstats'\ntags:\n  mitre_attack_id:\n  - T1059\n",
            Some(Splunk),
        );
        check(
            "r.yml",
            "title: x\nlogsource:\n  product: windows\ndetection: {}\n",
            Some(Sigma),
        );
        check(
            "g.yml",
            "action: global\nlogsource: {product: windows}\n---\ntitle: a\n",
            Some(Sigma),
        );
        // A key quoted in a description is not a top-level key.
        check("n.yml", "title: x\ndescription: |\n  logsource: y\n", None);
        check("x.md", "logsource:\n", None);
        // Sysmon is recognised, never read as another format.
        let sysmon = "<!-- c -->\n<Sysmon schemaversion=\"4.50\">\n<EventFiltering/>\n</Sysmon>\n";
        check("s.xml", sysmon, None);
        assert!(not_importable(Path::new("s.xml"), sysmon).is_some());
        assert!(not_importable(Path::new("s.XML"), "<sysmon>").is_some());
        assert!(not_importable(Path::new("p.xml"), "<project/>").is_none());
        assert!(not_importable(Path::new("s.yml"), sysmon).is_none());
    }
}
