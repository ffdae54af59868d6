//! Recognising an artefact's format from its content (`covmap import auto`).
//!
//! Each file is looked at on its own, so one folder may mix formats:
//!
//! | file | recognised as |
//! |---|---|
//! | `.toml` with a `[rule]` table | Elastic detection rule |
//! | `.json` object with `mapping_objects` | CTID Mappings Explorer |
//! | `.json` object (or array of objects) with `techniques` and one of `versions`, `domain`, `name`, `gradient` | ATT&CK Navigator layer |
//! | `.yml`/`.yaml` with a top-level `file_type` | DeTT&CT (technique administration: coverage; data-source administration: telemetry; other DeTT&CT files are then reported) |
//! | `.yml`/`.yaml` with top-level `technique-scores` under `techniques`, or `ATT&CK version` | CTID security-stack-mappings |
//! | `.yml`/`.yaml` with top-level `search` and `mitre_attack_id` or `how_to_implement` | Splunk detection |
//! | `.yml`/`.yaml` with top-level `logsource` or `detection` | Sigma rule |
//! | `.xml` with a `<Sysmon` root element (after the declaration and comments) | Sysmon configuration (telemetry) |
//!
//! Any other `.xml` file is no format covmap imports. Asked for a coverage format, a Sysmon
//! configuration is skipped with the reason [`not_importable`] gives, never misread.
//!
//! Only top-level keys are looked at (a line starting at column 0), so a rule that quotes
//! another format in its description is not mistaken for it. Anything else is not recognised.

use std::path::Path;

use covmap_assess::inventory::ImportFormat;
use serde_json::Value;

/// The file extensions `auto` looks at.
pub const EXTENSIONS: [&str; 5] = ["json", "toml", "yml", "yaml", "xml"];

/// Why a file read for a coverage format (navigator, sigma...) is not imported as that format
/// (it is skipped with this reason); `None`: nothing known about it.
pub fn not_importable(path: &Path, text: &str) -> Option<&'static str> {
    let xml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xml"));
    (xml && is_sysmon(text)).then_some(
        "a Sysmon configuration (which events are collected), not coverage: skipped (import it \
         with `covmap import sysmon`, or under a telemetry entry's `import:`)",
    )
}

/// A Sysmon configuration: the first element is `<Sysmon` (after the XML declaration,
/// comments and processing instructions).
fn is_sysmon(text: &str) -> bool {
    let mut rest = text.trim_start_matches('\u{feff}');
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("<?") {
            let Some(end) = after.find("?>") else {
                return false;
            };
            rest = after.get(end + 2..).unwrap_or_default();
        } else if let Some(after) = rest.strip_prefix("<!--") {
            let Some(end) = after.find("-->") else {
                return false;
            };
            rest = after.get(end + 3..).unwrap_or_default();
        } else {
            return rest
                .get(..7)
                .is_some_and(|name| name.eq_ignore_ascii_case("<Sysmon"))
                && rest
                    .get(7..8)
                    .is_some_and(|c| c == ">" || c == "/" || c.trim().is_empty());
        }
    }
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
        "xml" => is_sysmon(text).then_some(ImportFormat::Sysmon),
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
        // Sysmon is recognised by its root element, never read as another format.
        let sysmon = "<?xml version=\"1.0\"?>\n<!-- c <Sysmon> -->\n<Sysmon schemaversion=\"4.50\">\n<EventFiltering/>\n</Sysmon>\n";
        check("s.xml", sysmon, Some(ImportFormat::Sysmon));
        check("s.xml", "<Sysmon/>", Some(ImportFormat::Sysmon));
        check("p.xml", "<project><Sysmon/></project>", None);
        check("p.xml", "<SysmonX/>", None);
        check("c.xml", "<!-- unterminated", None);
        assert!(not_importable(Path::new("s.xml"), sysmon).is_some());
        assert!(not_importable(Path::new("s.XML"), "<sysmon>").is_some());
        assert!(not_importable(Path::new("p.xml"), "<project/>").is_none());
        assert!(not_importable(Path::new("s.yml"), sysmon).is_none());
    }
}
