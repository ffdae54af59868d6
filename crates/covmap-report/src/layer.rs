//! ATT&CK Navigator layers: `layer.json` (the headline score), `layer-visibility.json` (the
//! `visibility` function alone: visibility entries and the visibility the collected telemetry
//! gives, whichever is larger) and, with `RenderOptions::layer_per_function`,
//! `layer-detect.json`, `layer-protect.json` and `layer-respond.json`.
//!
//! The layout follows the Navigator's layer format 4.5 as specified in mitre-attack/
//! attack-navigator `layers/spec/v4.5/layerformat.md` (the copy in
//! `../shared/data/corpora/navigator`), and, for what the spec leaves open, what the Navigator
//! itself writes (`nav-app/src/app/classes/view-model.ts` and `technique-vm.ts`: the key order,
//! `color: ""` when no colour is set, `tactic` on every technique) and reads (it takes the
//! first number of `versions.attack`, so `18.1` opens as ATT&CK 18; metadata with an empty
//! name or value is dropped, so none is written). The real 4.5 layer of Atomic Red Team in the
//! corpus has the same shape.
//!
//! What the layer holds:
//!
//! - One technique entry per (technique, tactic) pair of every technique of the assessment,
//!   leaves and parents, by ATT&CK ID and then in matrix order of the tactics. Techniques in
//!   scope carry `score`: `round(100 x score)` as an integer from 0 to 100 (the headline score,
//!   or in a per-function layer that function's score). Techniques out of scope are
//!   `enabled: false`, unscored (so that they colour nothing and count in no aggregate) and say
//!   why in `comment`.
//! - `comment`: the score and level, every function's score, the threat weight, and the
//!   "covered at parent level only" note. `metadata`: the `exact score` (6 decimals, so that
//!   `covmap import navigator` reads the layer back to the same scores), the platforms in
//!   scope, the threat weight,
//!   each contributing capability (name, function and value), parent-level evidence and notes.
//!   `links`: the technique's page on attack.mitre.org.
//! - `showSubtechniques: true` on a parent, in a tactic, when one of its sub-techniques in that
//!   tactic is in scope with a headline score below 1: the families with a gap, as the heatmap
//!   expands them. The same families are expanded in the per-function layers.
//! - Cells in scope scoring 0 whose only evidence names the parent without its sub-techniques
//!   get an explicit `color` and a legend item of their own ("covered at parent level only").
//! - The gradient is the three stops of `--palette` (crate::palette: the one colour scale of
//!   every output) from 0 to 100, score 0 first: the Navigator spreads them evenly and
//!   interpolates linearly, so it draws each technique in the colour of the heatmap. Techniques
//!   in scope that nothing covers score 0 and take the scale's score-0 colour, as in the
//!   heatmap. The legend gives the display levels with the assessment's thresholds and the
//!   colour the heatmap's legend gives them.
//!
//! [`threat_layer_json`] (`covmap export navigator --threats`) writes the same layout with the
//! leaf threat weights as scores instead of coverage.

use covmap_assess::gaps::PARENT_LEVEL_NOTE;
use covmap_assess::inventory::{Function, Status};
use covmap_assess::score::{Assessment, TechniqueResult, round6};
use serde::Serialize;

use crate::text::percent;
use crate::{OutputFile, Palette, RenderOptions, ReportError, ReportInput};

/// The layer format version written.
const LAYER_VERSION: &str = "4.5";
/// The Navigator version written: the one the 4.5 spec's example names (at least 4.9.0 is
/// required).
const NAVIGATOR_VERSION: &str = "5.1.0";
/// Explicit colour of cells covered at parent level only: the mark of the heatmap's hatching.
const PARENT_LEVEL_COLOR: &str = crate::palette::PARENT_LEVEL_ONLY;
/// Legend colour of techniques out of scope: the grey of every output.
const OUT_OF_SCOPE_COLOR: &str = crate::palette::OUT_OF_SCOPE;

/// `layer.json`, `layer-visibility.json` and, with `options.layer_per_function`, the layers
/// of the other functions, in [`Function::ALL`] order.
pub(crate) fn all(
    input: &ReportInput<'_>,
    options: &RenderOptions,
) -> Result<Vec<OutputFile>, ReportError> {
    let mut files = vec![OutputFile {
        name: "layer.json".to_string(),
        bytes: layer_json(input, None, options.palette)?.into_bytes(),
    }];
    // The visibility layer is always written (what the telemetry shows); the others with
    // `layer_per_function`.
    for function in Function::ALL {
        if options.layer_per_function || function == Function::Visibility {
            files.push(OutputFile {
                name: format!("layer-{}.json", function.as_str()),
                bytes: layer_json(input, Some(function), options.palette)?.into_bytes(),
            });
        }
    }
    Ok(files)
}

/// The ATT&CK Navigator layer (format 4.5) of `input`, pretty-printed with a final newline:
/// scoring the headline score, or with `function` that function's score alone, its gradient
/// the stops of `palette`.
pub fn layer_json(
    input: &ReportInput<'_>,
    function: Option<Function>,
    palette: Palette,
) -> Result<String, ReportError> {
    let layer = build(input, function, palette);
    let mut json = serde_json::to_string_pretty(&layer)?;
    json.push('\n');
    Ok(json)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(clippy::struct_excessive_bools)] // the Navigator's format
struct Layer<'a, E = Entry<'a>> {
    name: String,
    versions: Versions<'a>,
    domain: String,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    filters: Option<Filters<'a>>,
    sorting: u8,
    layout: Layout,
    hide_disabled: bool,
    techniques: Vec<E>,
    gradient: Gradient,
    legend_items: Vec<LegendItem>,
    metadata: Vec<Metadata>,
    links: Vec<Link>,
    show_tactic_row_background: bool,
    tactic_row_background: &'static str,
    select_techniques_across_tactics: bool,
    select_subtechniques_with_parent: bool,
    select_visible_techniques: bool,
}

#[derive(Serialize)]
struct Versions<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    attack: Option<&'a str>,
    navigator: &'static str,
    layer: &'static str,
}

#[derive(Serialize)]
struct Filters<'a> {
    platforms: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(clippy::struct_excessive_bools, clippy::struct_field_names)] // the Navigator's format
struct Layout {
    layout: &'static str,
    aggregate_function: &'static str,
    #[serde(rename = "showID")]
    show_id: bool,
    show_name: bool,
    show_aggregate_scores: bool,
    count_unscored: bool,
    expanded_subtechniques: &'static str,
}

impl Layout {
    /// The layout of every layer covmap writes.
    fn covmap() -> Layout {
        Layout {
            layout: "side",
            aggregate_function: "average",
            show_id: true,
            show_name: true,
            // Parents carry their own roll-up score; the Navigator's aggregate would differ.
            show_aggregate_scores: false,
            count_unscored: false,
            // "none" keeps each parent's own `showSubtechniques`; "annotated" would expand
            // every family, since every sub-technique is annotated.
            expanded_subtechniques: "none",
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Entry<'a> {
    #[serde(rename = "techniqueID")]
    technique_id: &'a str,
    tactic: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<u8>,
    color: &'static str,
    comment: String,
    enabled: bool,
    metadata: Vec<Metadata>,
    links: Vec<Link>,
    show_subtechniques: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Gradient {
    colors: Vec<String>,
    min_value: u8,
    max_value: u8,
}

#[derive(Serialize)]
struct LegendItem {
    label: String,
    color: String,
}

#[derive(Clone, Serialize)]
struct Metadata {
    name: String,
    value: String,
}

#[derive(Clone, Serialize)]
struct Link {
    label: String,
    url: String,
}

fn build<'a>(input: &ReportInput<'a>, function: Option<Function>, palette: Palette) -> Layer<'a> {
    let assessment = input.assessment;
    let platforms = &assessment.scope.platforms;
    Layer {
        name: layer_name(assessment, function),
        versions: Versions {
            attack: assessment.attack.version.as_deref(),
            navigator: NAVIGATOR_VERSION,
            layer: LAYER_VERSION,
        },
        domain: navigator_domain(&assessment.attack.domain),
        description: description(input, function),
        filters: (!platforms.is_empty()).then_some(Filters { platforms }),
        sorting: 0,
        layout: Layout::covmap(),
        hide_disabled: false,
        techniques: entries(assessment, function),
        gradient: Gradient {
            colors: palette.stop_hexes().to_vec(),
            min_value: 0,
            max_value: 100,
        },
        legend_items: legend(assessment, palette),
        metadata: layer_metadata(input, function),
        links: vec![Link {
            label: "MITRE ATT&CK".to_string(),
            url: "https://attack.mitre.org/".to_string(),
        }],
        show_tactic_row_background: false,
        tactic_row_background: "#dddddd",
        select_techniques_across_tactics: true,
        select_subtechniques_with_parent: false,
        select_visible_techniques: false,
    }
}

/// The Navigator's name of an ATT&CK domain (`enterprise` -> `enterprise-attack`).
fn navigator_domain(domain: &str) -> String {
    let domain = domain.trim().to_ascii_lowercase();
    if domain.ends_with("-attack") {
        domain
    } else {
        format!("{domain}-attack")
    }
}

fn layer_name(assessment: &Assessment, function: Option<Function>) -> String {
    let mut name = match assessment.organization.as_deref() {
        Some(org) if !org.trim().is_empty() => format!("{org}: ATT&CK coverage"),
        _ => "ATT&CK coverage".to_string(),
    };
    if let Some(f) = function {
        name.push_str(" (");
        name.push_str(f.as_str());
        name.push(')');
    }
    name
}

fn attack_label(assessment: &Assessment) -> String {
    match &assessment.attack.version {
        Some(v) => format!("{} {v}", assessment.attack.name),
        None => assessment.attack.name.clone(),
    }
}

fn statuses(assessment: &Assessment) -> String {
    let list: Vec<&str> = assessment
        .include
        .iter()
        .map(|s| match s {
            Status::Deployed => "deployed",
            Status::Planned => "planned",
            Status::Candidate => "candidate",
            Status::Retired => "retired",
        })
        .collect();
    list.join(", ")
}

fn headline_functions(assessment: &Assessment) -> String {
    let list: Vec<&str> = assessment
        .scoring
        .headline
        .functions
        .iter()
        .map(|f| f.as_str())
        .collect();
    list.join(", ")
}

fn description(input: &ReportInput<'_>, function: Option<Function>) -> String {
    let a = input.assessment;
    let of = a
        .organization
        .as_deref()
        .map(|org| format!(" of {org}"))
        .unwrap_or_default();
    let on = input.date.map(|d| format!(" on {d}")).unwrap_or_default();
    let scores = match function {
        None => format!(
            "Scores are the headline score ({}) as a percentage of full coverage; overall {} over the {} techniques and sub-techniques in scope.",
            headline_functions(a),
            percent(a.overall),
            a.counts.in_scope
        ),
        Some(f) => format!(
            "Scores are the {} function alone as a percentage of full coverage; {} overall over the {} techniques and sub-techniques in scope (headline score {}).",
            f.as_str(),
            percent(a.functions.get(f)),
            a.counts.in_scope,
            percent(a.overall)
        ),
    };
    format!(
        "Coverage of {} by the {} capabilities{of}, scored by covmap {}{on}. {scores} Greyed-out techniques are out of scope.",
        attack_label(a),
        statuses(a),
        a.covmap_version
    )
}

fn layer_metadata(input: &ReportInput<'_>, function: Option<Function>) -> Vec<Metadata> {
    let a = input.assessment;
    let mut list = Vec::new();
    let mut add = |name: &str, value: String| {
        list.push(Metadata {
            name: name.to_string(),
            value,
        });
    };
    if let Some(org) = &a.organization {
        add("organization", org.clone());
    }
    if let Some(date) = input.date {
        add("date", date.to_string());
    }
    add("ATT&CK", attack_label(a));
    add("scored by", format!("covmap {}", a.covmap_version));
    add("capabilities counted", statuses(a));
    add(
        "layer scores",
        match function {
            None => format!("headline score ({})", headline_functions(a)),
            Some(f) => format!("{} function", f.as_str()),
        },
    );
    add("overall", percent(a.overall));
    if let Some(weighted) = a.overall_weighted {
        add("overall, threat-weighted", percent(weighted));
    }
    for f in Function::ALL {
        add(f.as_str(), percent(a.functions.get(f)));
    }
    add(
        "techniques and sub-techniques in scope",
        format!("{} of {}", a.counts.in_scope, a.counts.leaves),
    );
    let threats: Vec<String> = a
        .scope
        .threats
        .all()
        .map(|(_, r)| format!("{} {}", r.id, r.name))
        .collect();
    if !threats.is_empty() {
        add("threats", threats.join(", "));
    }
    let files: Vec<&str> = a.files.iter().map(|f| f.path.as_str()).collect();
    if !files.is_empty() {
        add("inventory", files.join(", "));
    }
    list.retain(|m| !m.name.is_empty() && !m.value.is_empty());
    list
}

/// The score a layer shows for a technique: the headline score or one function's.
fn score_of(technique: &TechniqueResult, function: Option<Function>) -> f64 {
    match function {
        None => technique.score,
        Some(f) => technique.functions.get(f).score,
    }
}

/// `round(100 x score)`, from 0 to 100.
fn points(score: f64) -> u8 {
    let clamped = if score.is_finite() {
        score.clamp(0.0, 1.0)
    } else {
        0.0
    };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // in [0, 100]
    let points = (clamped * 100.0).round() as u8;
    points
}

/// Ids of the capabilities whose only evidence here names the parent without its
/// sub-techniques, for `function` (any function with `None`).
fn parent_level_ids<'a>(
    assessment: &'a Assessment,
    technique: &'a TechniqueResult,
    function: Option<Function>,
) -> Vec<&'a str> {
    let mut ids: Vec<&str> = if technique.leaf {
        let parent = technique
            .parent
            .as_deref()
            .and_then(|p| assessment.technique(p));
        technique
            .parent_level_only
            .iter()
            .filter(|id| match (function, parent) {
                (None, _) => true,
                (Some(f), Some(parent)) => parent
                    .parent_evidence
                    .iter()
                    .any(|c| c.function == f && &*c.id == id.as_str()),
                (Some(_), None) => false,
            })
            .map(String::as_str)
            .collect()
    } else {
        technique
            .parent_evidence
            .iter()
            .filter(|c| function.is_none_or(|f| c.function == f))
            .map(|c| &*c.id)
            .collect()
    };
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Whether a parent's family has a gap in `tactic`: a sub-technique of that tactic in scope
/// with a headline score below 1.
fn family_has_gap(assessment: &Assessment, technique: &TechniqueResult, tactic: &str) -> bool {
    technique
        .subtechniques
        .iter()
        .filter_map(|id| assessment.technique(id))
        .any(|s| s.in_scope && s.score < 1.0 && s.tactics.iter().any(|t| t == tactic))
}

/// `https://attack.mitre.org/techniques/T1059/001/` for `T1059.001`.
fn technique_url(id: &str) -> String {
    format!(
        "https://attack.mitre.org/techniques/{}/",
        id.replace('.', "/")
    )
}

fn entries(assessment: &Assessment, function: Option<Function>) -> Vec<Entry<'_>> {
    let mut list = Vec::new();
    for technique in &assessment.techniques {
        let parent_level = parent_level_ids(assessment, technique, function);
        let comment = comment(assessment, technique, function, &parent_level);
        let score = score_of(technique, function);
        let mut metadata = technique_metadata(assessment, technique, function, &parent_level);
        if technique.in_scope {
            // `score` is whole points; this lets `covmap import navigator` read the score back.
            metadata.insert(
                0,
                Metadata {
                    name: EXACT_SCORE.to_string(),
                    value: format!("{score:.6}"),
                },
            );
        }
        let color = if technique.in_scope && score <= 0.0 && !parent_level.is_empty() {
            PARENT_LEVEL_COLOR
        } else {
            ""
        };
        for tactic in &technique.tactics {
            list.push(Entry {
                technique_id: &technique.id,
                tactic,
                score: technique.in_scope.then(|| points(score)),
                color,
                comment: comment.clone(),
                enabled: technique.in_scope,
                metadata: metadata.clone(),
                links: vec![Link {
                    label: format!("ATT&CK {}", technique.id),
                    url: technique_url(&technique.id),
                }],
                show_subtechniques: family_has_gap(assessment, technique, tactic),
            });
        }
    }
    list
}

fn comment(
    assessment: &Assessment,
    technique: &TechniqueResult,
    function: Option<Function>,
    parent_level: &[&str],
) -> String {
    if !technique.in_scope {
        return match technique.exclusion_reason.as_deref() {
            Some(reason) if !reason.is_empty() => format!("out of scope: {reason}"),
            _ => "out of scope".to_string(),
        };
    }
    let mut parts = Vec::new();
    if let Some(f) = function {
        parts.push(format!(
            "{} {}",
            f.as_str(),
            percent(score_of(technique, function))
        ));
    }
    parts.push(format!(
        "score {} ({})",
        percent(technique.score),
        technique.level.name()
    ));
    let functions: Vec<String> = Function::ALL
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f.as_str(),
                percent(technique.functions.get(*f).score)
            )
        })
        .collect();
    parts.push(functions.join(", "));
    if assessment.has_threats() {
        parts.push(if technique.weight > 0.0 {
            format!(
                "used by selected threats: threat weight {}",
                covmap_assess::score::weight_label(technique.weight)
            )
        } else {
            "used by none of the selected threats".to_string()
        });
    }
    if !parent_level.is_empty() {
        parts.push(format!("{PARENT_LEVEL_NOTE} ({})", parent_level.join(", ")));
    }
    parts.join("; ")
}

/// The metadata entry holding a technique's score to 6 decimals (the layer's `score` is
/// rounded to whole points); covmap-import reads it back under the same name.
pub const EXACT_SCORE: &str = "exact score";

fn technique_metadata(
    assessment: &Assessment,
    technique: &TechniqueResult,
    function: Option<Function>,
    parent_level: &[&str],
) -> Vec<Metadata> {
    let mut list = Vec::new();
    if technique.in_scope {
        list.push(Metadata {
            name: "platforms".to_string(),
            value: technique.platforms.join(", "),
        });
        if assessment.has_threats() {
            list.push(Metadata {
                name: "threat weight".to_string(),
                value: covmap_assess::score::weight_label(technique.weight),
            });
        }
    } else {
        list.push(Metadata {
            name: "out of scope".to_string(),
            value: technique
                .exclusion_reason
                .clone()
                .unwrap_or_else(|| "yes".to_string()),
        });
    }
    let matches = |f: Function| function.is_none_or(|wanted| wanted == f);
    for c in technique
        .capabilities
        .iter()
        .filter(|c| matches(c.function))
    {
        list.push(Metadata {
            name: capability_label(&c.name, &c.id),
            value: format!("{} {}", c.function.as_str(), percent(c.value)),
        });
    }
    for c in technique
        .parent_evidence
        .iter()
        .filter(|c| matches(c.function))
    {
        list.push(Metadata {
            name: capability_label(&c.name, &c.id),
            value: format!(
                "{} {} at parent level (does not score)",
                c.function.as_str(),
                percent(c.value)
            ),
        });
    }
    if technique.leaf && !parent_level.is_empty() {
        list.push(Metadata {
            name: "note".to_string(),
            value: format!("{PARENT_LEVEL_NOTE} ({})", parent_level.join(", ")),
        });
    }
    // The Navigator drops metadata with an empty name or value.
    list.retain(|m| !m.name.is_empty() && !m.value.is_empty());
    list
}

/// A capability's name (its id when it has none), shortened: the metadata repeats it on every
/// technique the capability covers.
fn capability_label(name: &str, id: &str) -> String {
    let label = if name.trim().is_empty() { id } else { name };
    crate::text::short_name(label).into_owned()
}

fn legend(assessment: &Assessment, palette: Palette) -> Vec<LegendItem> {
    let thresholds = assessment.scoring.thresholds;
    let mut items: Vec<LegendItem> =
        crate::heatmap::level_labels(thresholds.medium, thresholds.high)
            .into_iter()
            .map(|(level, label)| LegendItem {
                label,
                color: palette.hex(Palette::level_value(
                    level,
                    thresholds.medium,
                    thresholds.high,
                )),
            })
            .collect();
    items.push(LegendItem {
        label: PARENT_LEVEL_NOTE.to_string(),
        color: PARENT_LEVEL_COLOR.to_string(),
    });
    items.push(LegendItem {
        label: "out of scope (greyed out)".to_string(),
        color: OUT_OF_SCOPE_COLOR.to_string(),
    });
    items
}

// The threat layer.

/// Gradient of the threat layer: ColorBrewer's OrRd (white to dark red), the usual colours of
/// a threat heatmap, distinct from the coverage layer's cividis.
const THREAT_GRADIENT: [&str; 3] = ["#fff7ec", "#fc8d59", "#b30000"];

/// A technique entry of the threat layer: `score` is the threat weight, not whole points.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ThreatEntry<'a> {
    #[serde(rename = "techniqueID")]
    technique_id: &'a str,
    tactic: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    color: &'static str,
    comment: String,
    enabled: bool,
    metadata: Vec<Metadata>,
    links: Vec<Link>,
    show_subtechniques: bool,
}

/// A leaf's threat weight.
fn threat_weight(t: &TechniqueResult) -> f64 {
    t.weight
}

/// Whether the threat layer scores a technique: a leaf in scope used by a selected threat.
fn threat_scored(t: &TechniqueResult) -> bool {
    t.leaf && t.in_scope && threat_weight(t) > 0.0
}

/// The threat layer's entries, and the largest weight scored.
fn threat_entries(assessment: &Assessment) -> (Vec<ThreatEntry<'_>>, f64) {
    let max = assessment
        .techniques
        .iter()
        .filter(|t| threat_scored(t))
        .map(threat_weight)
        .fold(0.0_f64, f64::max);
    let mut techniques = Vec::new();
    for t in &assessment.techniques {
        let (score, comment) = if !t.in_scope {
            (
                None,
                match t.exclusion_reason.as_deref() {
                    Some(reason) if !reason.is_empty() => format!("out of scope: {reason}"),
                    _ => "out of scope".to_string(),
                },
            )
        } else if !t.leaf {
            (
                None,
                "parent technique: its sub-techniques carry the weights".to_string(),
            )
        } else if threat_scored(t) {
            (
                Some(round6(threat_weight(t))),
                format!("threat weight {}", round6(threat_weight(t))),
            )
        } else {
            (None, "used by none of the selected threats".to_string())
        };
        let metadata = score
            .map(|w| {
                vec![Metadata {
                    name: "threat weight".to_string(),
                    value: w.to_string(),
                }]
            })
            .unwrap_or_default();
        for tactic in &t.tactics {
            let expand = !t.leaf
                && t.subtechniques
                    .iter()
                    .filter_map(|id| assessment.technique(id))
                    .any(|s| threat_scored(s) && s.tactics.iter().any(|x| x == tactic));
            techniques.push(ThreatEntry {
                technique_id: &t.id,
                tactic,
                score,
                color: "",
                comment: comment.clone(),
                enabled: t.in_scope,
                metadata: metadata.clone(),
                links: vec![Link {
                    label: format!("ATT&CK {}", t.id),
                    url: technique_url(&t.id),
                }],
                show_subtechniques: expand,
            });
        }
    }
    (techniques, max)
}

/// The ATT&CK Navigator layer (format 4.5) of the threat weights alone: each leaf technique in
/// scope used by a selected threat is scored with its leaf threat weight (the `weight` of
/// `assessment.json`, the gap priority's multiplier); leaves in scope used by none are
/// unscored, techniques out of scope disabled, parents unscored and expanded when one of
/// their sub-techniques is scored. Pretty-printed with a final newline. Without selected
/// threats every weight is 1 (callers should refuse: `covmap export navigator --threats` does).
pub fn threat_layer_json(assessment: &Assessment) -> Result<String, ReportError> {
    let (techniques, max) = threat_entries(assessment);
    let threats: Vec<String> = assessment
        .scope
        .threats
        .all()
        .map(|(_, r)| format!("{} {}", r.id, r.name))
        .collect();
    let platforms = &assessment.scope.platforms;
    // The gradient spans 0 to the largest weight, at least 1.
    let max_value = max.ceil().max(1.0);
    let layer: Layer<'_, ThreatEntry<'_>> = Layer {
        name: match assessment.organization.as_deref() {
            Some(org) if !org.trim().is_empty() => format!("{org}: ATT&CK threat weights"),
            _ => "ATT&CK threat weights".to_string(),
        },
        versions: Versions {
            attack: assessment.attack.version.as_deref(),
            navigator: NAVIGATOR_VERSION,
            layer: LAYER_VERSION,
        },
        domain: navigator_domain(&assessment.attack.domain),
        description: format!(
            "Threat weights of {} for the selected threats ({}), computed by covmap {}: a leaf technique's score is its threat weight, the multiplier of its gap priority. Unscored techniques are used by none of them; greyed-out techniques are out of scope.",
            attack_label(assessment),
            threats.join(", "),
            assessment.covmap_version
        ),
        filters: (!platforms.is_empty()).then_some(Filters { platforms }),
        sorting: 0,
        layout: Layout::covmap(),
        hide_disabled: false,
        techniques,
        gradient: Gradient {
            colors: THREAT_GRADIENT.iter().map(|c| (*c).to_string()).collect(),
            min_value: 0,
            // Weights above 255 would not fit the gradient's type; the Navigator clamps.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            max_value: max_value.min(255.0) as u8,
        },
        legend_items: vec![
            LegendItem {
                label: "threat weight 0".to_string(),
                color: THREAT_GRADIENT[0].to_string(),
            },
            LegendItem {
                label: format!("threat weight {max_value}"),
                color: THREAT_GRADIENT[2].to_string(),
            },
            LegendItem {
                label: "out of scope (greyed out)".to_string(),
                color: OUT_OF_SCOPE_COLOR.to_string(),
            },
        ],
        metadata: vec![
            Metadata {
                name: "ATT&CK".to_string(),
                value: attack_label(assessment),
            },
            Metadata {
                name: "scored by".to_string(),
                value: format!("covmap {}", assessment.covmap_version),
            },
            Metadata {
                name: "layer scores".to_string(),
                value: "threat weight of each leaf technique".to_string(),
            },
            Metadata {
                name: "threats".to_string(),
                value: threats.join(", "),
            },
        ],
        links: vec![Link {
            label: "MITRE ATT&CK".to_string(),
            url: "https://attack.mitre.org/".to_string(),
        }],
        show_tactic_row_background: false,
        tactic_row_background: "#dddddd",
        select_techniques_across_tactics: true,
        select_subtechniques_with_parent: false,
        select_visible_techniques: false,
    };
    let mut json = serde_json::to_string_pretty(&layer)?;
    json.push('\n');
    Ok(json)
}

#[cfg(test)]
mod tests {
    use super::{navigator_domain, points, technique_url};

    #[test]
    fn domains_urls_and_points() {
        assert_eq!(navigator_domain("enterprise"), "enterprise-attack");
        assert_eq!(navigator_domain("ics"), "ics-attack");
        assert_eq!(navigator_domain("mobile-attack"), "mobile-attack");
        assert_eq!(
            technique_url("T1059.001"),
            "https://attack.mitre.org/techniques/T1059/001/"
        );
        assert_eq!(
            technique_url("T1003"),
            "https://attack.mitre.org/techniques/T1003/"
        );
        assert_eq!(points(0.5), 50);
        assert_eq!(points(0.333_333), 33);
        assert_eq!(points(0.0), 0);
        assert_eq!(points(1.2), 100);
        assert_eq!(points(f64::NAN), 0);
    }
}
