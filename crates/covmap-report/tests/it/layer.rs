//! Tests of the ATT&CK Navigator layers: every field of layer format 4.5 with its type (the
//! spec: attack-navigator `layers/spec/v4.5/layerformat.md`), one entry per (technique,
//! tactic) pair counted from the assessment, scores `round(100 x score)`, sub-techniques shown
//! exactly for the families with a gap, and the per-function layers.

use std::collections::BTreeSet;

use covmap_assess::inventory::Function;
use covmap_assess::score::{Assessment, TechniqueResult};
use covmap_report::{OutputKind, Palette, RenderOptions, ReportInput, layer_json, render};
use serde_json::Value;

use crate::common;

/// The top-level keys, in the order the Navigator itself writes them (view-model.ts).
const LAYER_KEYS: [&str; 18] = [
    "name",
    "versions",
    "domain",
    "description",
    "filters",
    "sorting",
    "layout",
    "hideDisabled",
    "techniques",
    "gradient",
    "legendItems",
    "metadata",
    "links",
    "showTacticRowBackground",
    "tacticRowBackground",
    "selectTechniquesAcrossTactics",
    "selectSubtechniquesWithParent",
    "selectVisibleTechniques",
];

fn parse(json: &str) -> Value {
    serde_json::from_str(json).expect("the layer is JSON")
}

fn obj<'a>(value: &'a Value, key: &str) -> &'a serde_json::Map<String, Value> {
    value
        .get(key)
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("{key} is an object"))
}

fn arr<'a>(value: &'a Value, key: &str) -> &'a Vec<Value> {
    value
        .get(key)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("{key} is an array"))
}

fn string<'a>(value: &'a Value, key: &str) -> &'a str {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{key} is a string in {value}"))
}

fn boolean(value: &Value, key: &str) -> bool {
    value
        .get(key)
        .and_then(Value::as_bool)
        .unwrap_or_else(|| panic!("{key} is a boolean in {value}"))
}

fn is_hex_color(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text[1..].chars().all(|c| c.is_ascii_hexdigit())
}

fn domain_of(assessment: &Assessment) -> &'static str {
    match assessment.attack.domain.as_str() {
        "enterprise" => "enterprise-attack",
        "mobile" => "mobile-attack",
        "ics" => "ics-attack",
        other => panic!("unknown domain {other}"),
    }
}

/// The score an entry must carry, counted from the assessment.
fn expected_score(technique: &TechniqueResult, function: Option<Function>) -> i64 {
    let score = match function {
        None => technique.score,
        Some(f) => technique.functions.get(f).score,
    };
    (score * 100.0).round() as i64
}

/// (parent, tactic) pairs whose family has a gap: a sub-technique of that tactic in scope with
/// a score below 1. Counted by scanning every technique for its parent.
fn families_with_gaps(assessment: &Assessment) -> BTreeSet<(String, String)> {
    let mut set = BTreeSet::new();
    for sub in &assessment.techniques {
        let Some(parent) = &sub.parent else { continue };
        if !(sub.in_scope && sub.score < 1.0) {
            continue;
        }
        let parent_tactics = &assessment.technique(parent).expect("parent").tactics;
        for tactic in &sub.tactics {
            if parent_tactics.contains(tactic) {
                set.insert((parent.clone(), tactic.clone()));
            }
        }
    }
    set
}

/// Checks one layer against the 4.5 format and the assessment; returns it parsed.
#[allow(clippy::too_many_lines)] // one block per part of the format
fn check_layer(input: &ReportInput<'_>, function: Option<Function>, json: &str) -> Value {
    let a = input.assessment;
    let layer = parse(json);
    assert!(json.ends_with("}\n"));

    // Top-level keys: present, in the Navigator's order, nothing else.
    let keys = LAYER_KEYS;
    let top = layer.as_object().expect("a layer is an object");
    assert_eq!(
        top.len(),
        keys.len(),
        "{:?}",
        top.keys().collect::<Vec<_>>()
    );
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| {
            json.find(&format!("\n  \"{k}\":"))
                .unwrap_or_else(|| panic!("top-level key {k}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "keys in the Navigator's order"
    );

    // name, versions, domain, description.
    let name = string(&layer, "name");
    assert!(name.contains("ATT&CK coverage"));
    if let Some(f) = function {
        assert!(name.ends_with(&format!("({})", f.as_str())), "{name}");
    }
    let versions = obj(&layer, "versions");
    assert_eq!(versions.get("layer").and_then(Value::as_str), Some("4.5"));
    assert_eq!(
        versions.get("navigator").and_then(Value::as_str),
        Some("5.1.0")
    );
    assert_eq!(
        versions.get("attack").and_then(Value::as_str),
        a.attack.version.as_deref()
    );
    assert_eq!(string(&layer, "domain"), domain_of(a));
    let description = string(&layer, "description");
    assert!(description.contains(&format!(
        "{} techniques and sub-techniques in scope",
        a.counts.in_scope
    )));
    if let Some(date) = input.date {
        assert!(description.contains(date));
    }

    // filters, sorting, layout, hideDisabled.
    let platforms: Vec<&str> = obj(&layer, "filters")
        .get("platforms")
        .and_then(Value::as_array)
        .expect("filters.platforms")
        .iter()
        .map(|p| p.as_str().expect("platform string"))
        .collect();
    assert_eq!(platforms, a.scope.platforms);
    assert!(layer["sorting"].is_u64());
    let layout = &layer["layout"];
    assert_eq!(string(layout, "layout"), "side");
    assert_eq!(string(layout, "aggregateFunction"), "average");
    assert_eq!(string(layout, "expandedSubtechniques"), "none");
    for key in ["showID", "showName", "showAggregateScores", "countUnscored"] {
        boolean(layout, key);
    }
    assert!(!boolean(&layer, "hideDisabled"));

    // gradient and legend.
    let gradient = &layer["gradient"];
    let colors = arr(gradient, "colors");
    assert!(colors.len() >= 2);
    assert!(colors.iter().all(|c| c.as_str().is_some_and(is_hex_color)));
    assert_eq!(gradient["minValue"].as_u64(), Some(0));
    assert_eq!(gradient["maxValue"].as_u64(), Some(100));
    let legend = arr(&layer, "legendItems");
    assert_eq!(legend.len(), 6);
    for item in legend {
        assert!(!string(item, "label").is_empty());
        assert!(is_hex_color(string(item, "color")));
    }

    // Layer metadata and links.
    for m in arr(&layer, "metadata") {
        assert!(!string(m, "name").is_empty() && !string(m, "value").is_empty());
    }
    let overall = arr(&layer, "metadata")
        .iter()
        .find(|m| m["name"] == "overall")
        .expect("overall metadata");
    assert_eq!(
        string(overall, "value"),
        format!("{:.1}%", a.overall * 100.0)
    );
    for link in arr(&layer, "links") {
        assert!(string(link, "url").starts_with("https://"));
        assert!(!string(link, "label").is_empty());
    }
    for key in [
        "showTacticRowBackground",
        "selectTechniquesAcrossTactics",
        "selectSubtechniquesWithParent",
        "selectVisibleTechniques",
    ] {
        boolean(&layer, key);
    }
    assert!(is_hex_color(string(&layer, "tacticRowBackground")));

    // Techniques: one entry per (technique, tactic) pair, counted from the assessment.
    let entries = arr(&layer, "techniques");
    let pairs: usize = a.techniques.iter().map(|t| t.tactics.len()).sum();
    assert_eq!(entries.len(), pairs);
    let expected_pairs: BTreeSet<(String, String)> = a
        .techniques
        .iter()
        .flat_map(|t| t.tactics.iter().map(|x| (t.id.clone(), x.clone())))
        .collect();
    let got_pairs: BTreeSet<(String, String)> = entries
        .iter()
        .map(|e| {
            (
                string(e, "techniqueID").to_string(),
                string(e, "tactic").to_string(),
            )
        })
        .collect();
    assert_eq!(got_pairs, expected_pairs, "every pair exactly once");
    let disabled = entries.iter().filter(|e| !boolean(e, "enabled")).count();
    let out_of_scope_pairs: usize = a
        .techniques
        .iter()
        .filter(|t| !t.in_scope)
        .map(|t| t.tactics.len())
        .sum();
    assert_eq!(disabled, out_of_scope_pairs);

    let gaps = families_with_gaps(a);
    let mut shown = BTreeSet::new();
    for e in entries {
        let id = string(e, "techniqueID");
        let tactic = string(e, "tactic");
        let t = a.technique(id).expect("technique of the assessment");
        let entry_keys: Vec<&str> = e
            .as_object()
            .expect("entry object")
            .keys()
            .map(String::as_str)
            .collect();
        for key in [
            "techniqueID",
            "tactic",
            "color",
            "comment",
            "enabled",
            "metadata",
            "links",
            "showSubtechniques",
        ] {
            assert!(entry_keys.contains(&key), "{id}: {key}");
        }
        let color = string(e, "color");
        assert!(color.is_empty() || is_hex_color(color));
        let comment = string(e, "comment");
        assert_eq!(boolean(e, "enabled"), t.in_scope);
        if t.in_scope {
            let score = e["score"].as_i64().expect("an integer score");
            assert_eq!(score, expected_score(t, function), "{id} {tactic}");
            assert!((0..=100).contains(&score));
            assert!(comment.contains(&format!("score {:.1}%", t.score * 100.0)));
        } else {
            assert!(e.get("score").is_none(), "{id}: out of scope, unscored");
            let reason = t.exclusion_reason.as_deref().expect("a reason");
            assert_eq!(comment, format!("out of scope: {reason}"));
        }
        for m in arr(e, "metadata") {
            assert!(!string(m, "name").is_empty() && !string(m, "value").is_empty());
        }
        // Contributing capabilities are named, with their function.
        let names: Vec<(&str, &str)> = arr(e, "metadata")
            .iter()
            .map(|m| (string(m, "name"), string(m, "value")))
            .collect();
        for c in &t.capabilities {
            if function.is_none_or(|f| f == c.function) {
                let value = format!("{} {:.1}%", c.function.as_str(), c.value * 100.0);
                assert!(
                    names.contains(&(&*c.name, value.as_str())),
                    "{id}: {} {value} in {names:?}",
                    c.name
                );
            }
        }
        let links = arr(e, "links");
        assert_eq!(links.len(), 1);
        let expected_url = format!(
            "https://attack.mitre.org/techniques/{}/",
            id.replace('.', "/")
        );
        assert_eq!(string(&links[0], "url"), expected_url);
        if boolean(e, "showSubtechniques") {
            shown.insert((id.to_string(), tactic.to_string()));
        }
    }
    assert_eq!(
        shown, gaps,
        "sub-techniques shown exactly for families with a gap"
    );
    // The same families, seen from the ranked gaps.
    let gap_parents: BTreeSet<&str> = input
        .gaps
        .iter()
        .filter_map(|g| g.parent.as_deref())
        .collect();
    let shown_parents: BTreeSet<&str> = shown.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(shown_parents, gap_parents);
    layer
}

fn check_all(input: &ReportInput<'_>) -> String {
    let json = layer_json(input, None, Palette::default()).expect("layer");
    check_layer(input, None, &json);
    assert_eq!(
        json,
        layer_json(input, None, Palette::default()).expect("layer"),
        "same input, same bytes"
    );

    // Through render: layer.json and the visibility layer (issue 19 §5) by default, the four
    // function layers on request.
    let default = render(input, &RenderOptions::default(), &[OutputKind::Layer]).expect("render");
    assert_eq!(default.len(), 2);
    assert_eq!(default[0].name, "layer.json");
    assert_eq!(default[0].bytes, json.as_bytes());
    assert_eq!(default[1].name, "layer-visibility.json");
    let visibility = std::str::from_utf8(&default[1].bytes).expect("UTF-8");
    assert_eq!(
        visibility,
        layer_json(input, Some(Function::Visibility), Palette::default()).expect("layer")
    );
    check_layer(input, Some(Function::Visibility), visibility);
    let options = RenderOptions {
        layer_per_function: true,
        ..RenderOptions::default()
    };
    let files = render(input, &options, &[OutputKind::Layer]).expect("render");
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "layer.json",
            "layer-detect.json",
            "layer-protect.json",
            "layer-respond.json",
            "layer-visibility.json"
        ]
    );
    for (file, function) in files[1..].iter().zip(Function::ALL) {
        let text = std::str::from_utf8(&file.bytes).expect("UTF-8");
        assert_eq!(
            text,
            layer_json(input, Some(function), Palette::default()).expect("function layer")
        );
        check_layer(input, Some(function), text);
    }
    json
}

#[test]
fn full_layer_follows_format_4_5_and_the_assessment() {
    let owned = common::full();
    let input = owned.input();
    let json = check_all(&input);
    let layer = parse(&json);
    let a = &owned.assessment;
    // Figures of the fixture, counted from the assessment.
    let entries = arr(&layer, "techniques");
    let enabled_leaf_entries = entries
        .iter()
        .filter(|e| boolean(e, "enabled"))
        .filter(|e| {
            a.technique(string(e, "techniqueID"))
                .is_some_and(|t| t.leaf)
        })
        .count();
    let expected: usize = a.leaves_in_scope().map(|t| t.tactics.len()).sum();
    assert_eq!(enabled_leaf_entries, expected);
    // T1059.001: detected by the EDR at significant x tested = 0.9.
    let ps = entries
        .iter()
        .find(|e| e["techniqueID"] == "T1059.001")
        .expect("T1059.001");
    let t = a.technique("T1059.001").expect("T1059.001");
    assert_eq!(ps["score"].as_i64(), Some((t.score * 100.0).round() as i64));
    assert!(
        arr(ps, "metadata")
            .iter()
            .any(|m| m["name"] == "Example EDR" && m["value"] == "detect 90.0%"),
        "{ps}"
    );
    // The exclusion's reason reaches the disabled T1078.
    let t1078 = entries
        .iter()
        .find(|e| e["techniqueID"] == "T1078")
        .expect("T1078");
    assert!(!boolean(t1078, "enabled"));
    assert_eq!(
        string(t1078, "comment"),
        "out of scope: valid accounts are the identity team's assessment"
    );
    insta::assert_snapshot!("layer_full", json);
    insta::assert_snapshot!(
        "layer_full_detect",
        layer_json(&input, Some(Function::Detect), Palette::default()).expect("layer")
    );
}

#[test]
fn hostile_strings_stay_plain_json_strings() {
    let owned = common::hostile();
    let input = owned.input();
    let json = check_all(&input);
    let layer = parse(&json);
    let org = arr(&layer, "metadata")
        .iter()
        .find(|m| m["name"] == "organization")
        .expect("organization");
    assert_eq!(
        string(org, "value"),
        "\"><img src=x onerror=alert(1)>",
        "parsed back byte for byte"
    );
    assert!(string(&layer, "name").starts_with("\"><img src=x onerror=alert(1)>"));
    let t1078 = arr(&layer, "techniques")
        .iter()
        .find(|e| e["techniqueID"] == "T1078")
        .expect("T1078");
    assert_eq!(
        string(t1078, "comment"),
        "out of scope: <script>alert('exclusion')</script>"
    );
}

#[test]
fn example_01_layer_follows_format_4_5_and_the_assessment() {
    let Some(owned) = common::example_01() else {
        return;
    };
    let input = owned.input();
    let json = check_all(&input);
    let layer = parse(&json);
    assert_eq!(layer["versions"]["attack"], "18.1");
    assert_eq!(layer["domain"], "enterprise-attack");
    insta::assert_snapshot!("layer_example_01", json);
}
