//! Tests of `heatmap.svg` and `heatmap-compare-<n>.svg`: structure (one `g.cell` per cell the
//! assessment implies, counted here from `assessment.tactics` and the sub-techniques), marks,
//! tooltips, escaping, the weighted and comparison views, palettes, determinism, snapshots.

use std::collections::{BTreeMap, BTreeSet};

use covmap_assess::score::{Assessment, TechniqueResult};
use covmap_report::{OutputKind, Palette, RenderOptions, Subtechniques, View};
use roxmltree::{Document, Node};

use crate::common::{self, Owned};

/// Every SVG file `render` writes for the heatmap kind, by name (charts left out).
fn heatmap_files(owned: &Owned, options: &RenderOptions) -> BTreeMap<String, String> {
    covmap_report::render(&owned.input(), options, &[OutputKind::Svg])
        .expect("renders")
        .into_iter()
        .filter(|f| f.name.starts_with("heatmap"))
        .map(|f| (f.name, String::from_utf8(f.bytes).expect("UTF-8")))
        .collect()
}

fn heatmap(owned: &Owned, options: &RenderOptions) -> String {
    heatmap_files(owned, options)
        .remove("heatmap.svg")
        .expect("heatmap.svg is written")
}

fn options(subtechniques: Subtechniques) -> RenderOptions {
    RenderOptions {
        subtechniques,
        ..RenderOptions::default()
    }
}

fn cells<'a>(doc: &'a Document<'a>) -> Vec<Node<'a, 'a>> {
    doc.descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("cell"))
        .collect()
}

fn title<'a>(cell: Node<'a, 'a>) -> &'a str {
    cell.children()
        .find(|n| n.has_tag_name("title"))
        .and_then(|n| n.text())
        .unwrap_or("")
}

/// The text of an element and its descendants.
fn text_of(node: Node<'_, '_>) -> String {
    node.descendants()
        .filter(Node::is_text)
        .filter_map(|n| n.text())
        .collect()
}

fn technique<'a>(a: &'a Assessment, id: &str) -> &'a TechniqueResult {
    a.technique(id)
        .unwrap_or_else(|| panic!("{id} is in the assessment"))
}

/// The cells each tactic's column should have, counted from the assessment: its top-level
/// techniques, plus their sub-techniques of that tactic when the family is expanded.
fn expected_cells(a: &Assessment, mode: Subtechniques) -> BTreeMap<String, usize> {
    a.tactics
        .iter()
        .map(|tactic| {
            let n: usize = tactic
                .techniques
                .iter()
                .map(|id| {
                    let top = technique(a, id);
                    let subs: Vec<&TechniqueResult> = top
                        .subtechniques
                        .iter()
                        .map(|s| technique(a, s))
                        .filter(|s| s.tactics.contains(&tactic.shortname))
                        .collect();
                    let expanded = match mode {
                        Subtechniques::None => false,
                        Subtechniques::All => true,
                        Subtechniques::Gaps => subs.iter().any(|s| s.in_scope && s.score < 1.0),
                    };
                    1 + if expanded { subs.len() } else { 0 }
                })
                .sum();
            (tactic.shortname.clone(), n)
        })
        .collect()
}

fn cells_by_tactic(doc: &Document<'_>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for cell in cells(doc) {
        *counts
            .entry(cell.attribute("data-tactic").unwrap_or("").to_string())
            .or_insert(0) += 1;
    }
    counts
}

/// The mark a cell should carry in the score view, from the technique alone.
fn expected_mark(t: &TechniqueResult) -> &'static str {
    if !t.in_scope {
        "out-of-scope"
    } else if t.score > 0.0 {
        "covered"
    } else if !t.parent_level_only.is_empty() || !t.parent_evidence.is_empty() {
        "parent-only"
    } else {
        "not-covered"
    }
}

fn percent(score: f64) -> String {
    format!("{:.1}%", score * 100.0)
}

/// The fill of a cell's first `rect`.
fn fill<'a>(cell: Node<'a, 'a>) -> &'a str {
    cell.children()
        .find(|n| n.has_tag_name("rect"))
        .and_then(|n| n.attribute("fill"))
        .unwrap_or("")
}

/// Checks what every view shares: the root, one cell per expected cell, marks, tooltips.
fn check_structure(owned: &Owned, mode: Subtechniques) {
    let a = &owned.assessment;
    let svg = heatmap(owned, &options(mode));
    assert!(svg.starts_with("<svg"), "no XML prolog");
    let doc = Document::parse(&svg).expect("the SVG is XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    assert_eq!(root.attribute("id"), Some("heatmap"));
    let width = root.attribute("width").expect("width");
    let height = root.attribute("height").expect("height");
    assert_eq!(
        root.attribute("viewBox"),
        Some(format!("0 0 {width} {height}").as_str())
    );
    // No scripts and no external references.
    assert!(!doc.descendants().any(|n| n.has_tag_name("script")));
    assert!(!svg.contains("href"), "no links or external references");

    let expected = expected_cells(a, mode);
    assert_eq!(cells_by_tactic(&doc), expected, "{mode:?}");
    for cell in cells(&doc) {
        let id = cell.attribute("data-id").expect("data-id");
        let tactic = cell.attribute("data-tactic").expect("data-tactic");
        let t = technique(a, id);
        assert!(t.tactics.iter().any(|s| s == tactic), "{id} in {tactic}");
        assert_eq!(cell.attribute("data-mark"), Some(expected_mark(t)), "{id}");
        let names: Vec<&str> = cell.children().map(|n| n.tag_name().name()).collect();
        for element in ["title", "rect", "text"] {
            assert!(names.contains(&element), "{id} has a {element}: {names:?}");
        }
        // The tooltip: ID, full name, score, every function, the reason when out of scope.
        let tip = title(cell);
        assert!(tip.starts_with(&format!("{} {}", t.id, t.name)), "{tip}");
        if t.in_scope {
            assert!(
                tip.contains(&format!("Score: {}", percent(t.score))),
                "{tip}"
            );
        } else {
            let reason = t.exclusion_reason.as_deref().expect("a reason");
            assert!(tip.contains(&format!("Out of scope: {reason}")), "{tip}");
        }
        for function in ["detect", "protect", "respond", "visibility"] {
            assert!(tip.contains(function), "{tip}");
        }
        for contribution in &t.capabilities {
            assert!(tip.contains(&*contribution.name), "{tip}");
        }
        // The cell text shows the ID and the name, or its start with an ellipsis.
        let text: String = cell
            .children()
            .filter(|n| n.has_tag_name("text"))
            .map(text_of)
            .collect();
        assert!(text.starts_with(&t.id), "{text}");
        let shown = text[t.id.len()..]
            .strip_prefix(' ')
            .expect("a space after the ID")
            .trim_end_matches('\u{2026}');
        assert!(t.name.starts_with(shown), "{id}: {text:?}");
    }
}

#[test]
fn full_has_one_cell_per_technique_in_each_mode() {
    let owned = common::full();
    for mode in [Subtechniques::None, Subtechniques::All, Subtechniques::Gaps] {
        check_structure(owned, mode);
    }
    // The synthetic bundle: 4 tactics; with every sub-technique, each technique of each
    // tactic is a cell (T1078 sits in two tactics and so is two cells).
    let a = &owned.assessment;
    let all: usize = expected_cells(a, Subtechniques::All).values().sum();
    let by_tactic: usize = a.techniques.iter().map(|t| t.tactics.len()).sum();
    assert_eq!(all, by_tactic);
}

#[test]
fn example_01_has_one_cell_per_technique_in_each_mode() {
    let Some(owned) = common::example_01() else {
        return;
    };
    // Figures counted from assessment.json of example 01 with a separate script: 250
    // top-level cells over 14 tactics, 887 with every sub-technique, 807 with the families
    // that have a gap.
    for (mode, total) in [
        (Subtechniques::None, 250),
        (Subtechniques::All, 887),
        (Subtechniques::Gaps, 807),
    ] {
        let expected = expected_cells(&owned.assessment, mode);
        assert_eq!(expected.len(), 14);
        assert_eq!(expected.values().sum::<usize>(), total, "{mode:?}");
        check_structure(owned, mode);
    }
}

/// The marks shown, counted, against those the assessment implies for every cell of
/// `Subtechniques::All` (each technique once per tactic).
fn check_marks(owned: &Owned, kinds: &[&str]) -> String {
    let a = &owned.assessment;
    let svg = heatmap(owned, &options(Subtechniques::All));
    let doc = Document::parse(&svg).expect("XML");
    let mut shown: BTreeMap<&str, usize> = BTreeMap::new();
    for cell in cells(&doc) {
        *shown
            .entry(cell.attribute("data-mark").unwrap_or(""))
            .or_insert(0) += 1;
    }
    let mut expected: BTreeMap<&str, usize> = BTreeMap::new();
    for tactic in &a.tactics {
        for t in a
            .techniques
            .iter()
            .filter(|t| t.tactics.contains(&tactic.shortname))
        {
            *expected.entry(expected_mark(t)).or_insert(0) += 1;
        }
    }
    assert_eq!(shown, expected);
    for mark in kinds {
        assert!(
            shown.get(mark).copied().unwrap_or(0) > 0,
            "{mark}: {shown:?}"
        );
    }
    svg
}

#[test]
fn marks_are_counted_like_the_assessment() {
    if let Some(owned) = common::example_01() {
        let svg = check_marks(
            owned,
            &["covered", "not-covered", "parent-only", "out-of-scope"],
        );
        // Cells with parent-level evidence only are hatched and say why in their tooltip.
        let doc = Document::parse(&svg).expect("XML");
        let parent_only: Vec<Node<'_, '_>> = cells(&doc)
            .into_iter()
            .filter(|c| c.attribute("data-mark") == Some("parent-only"))
            .collect();
        assert!(!parent_only.is_empty());
        for cell in parent_only {
            let t = technique(&owned.assessment, cell.attribute("data-id").unwrap_or(""));
            assert_eq!(fill(cell), "url(#heatmap-hatch)", "{}", t.id);
            let expected = if t.leaf {
                "Covered at parent level only"
            } else {
                "Parent-level evidence"
            };
            assert!(title(cell).contains(expected), "{}", title(cell));
        }
    }
    let svg = check_marks(common::full(), &["covered", "not-covered", "out-of-scope"]);
    let doc = Document::parse(&svg).expect("XML");
    // The exclusion's reason is in the excluded technique's tooltips.
    let excluded: Vec<Node<'_, '_>> = cells(&doc)
        .into_iter()
        .filter(|c| c.attribute("data-id") == Some("T1078"))
        .collect();
    assert_eq!(excluded.len(), 2, "T1078 is in two tactics");
    for cell in excluded {
        assert_eq!(cell.attribute("data-mark"), Some("out-of-scope"));
        assert!(
            title(cell).contains("Out of scope: valid accounts are the identity team's assessment")
        );
    }
}

#[test]
fn covered_cells_take_the_palette_colour_of_their_score() {
    let owned = common::full();
    let a = &owned.assessment;
    let mut fills_by_palette = BTreeSet::new();
    for palette in Palette::ALL {
        let options = RenderOptions {
            palette,
            subtechniques: Subtechniques::All,
            ..RenderOptions::default()
        };
        let svg = heatmap(owned, &options);
        let doc = Document::parse(&svg).expect("XML");
        let mut covered = 0;
        let mut fills = Vec::new();
        for cell in cells(&doc) {
            let t = technique(a, cell.attribute("data-id").unwrap_or(""));
            match cell.attribute("data-mark") {
                Some("covered") => {
                    covered += 1;
                    assert_eq!(fill(cell), palette.hex(t.score), "{palette:?} {}", t.id);
                    fills.push(fill(cell).to_string());
                }
                // A gap takes the colour of score 0.
                Some("not-covered") => assert_eq!(fill(cell), palette.hex(0.0)),
                Some("parent-only") => assert_eq!(fill(cell), "url(#heatmap-hatch)"),
                Some("out-of-scope") => assert_eq!(fill(cell), "#e3e3e3"),
                other => panic!("unexpected mark {other:?}"),
            }
        }
        assert!(covered > 0);
        // The legend shows the palette's scale.
        assert!(svg.contains(&palette.hex(0.05)), "{palette:?}");
        assert!(
            fills_by_palette.insert(fills),
            "{palette:?} looks like another"
        );
    }
}

/// Issue 19 §5: `--view visibility` colours each cell by the `visibility` function's score
/// (the engine's: visibility entries and, with telemetry, what is collected), counts a cell
/// covered when that score is above 0, and says so in the header and legend.
#[test]
fn visibility_view_colours_the_visibility_score() {
    use covmap_assess::inventory::Function;
    let owned = common::full();
    let a = &owned.assessment;
    let options = RenderOptions {
        view: View::Visibility,
        subtechniques: Subtechniques::All,
        ..RenderOptions::default()
    };
    let palette = options.palette;
    let svg = heatmap(owned, &options);
    let doc = Document::parse(&svg).expect("XML");
    let (mut seen, mut differs) = (0, 0);
    for cell in cells(&doc) {
        let t = technique(a, cell.attribute("data-id").unwrap_or(""));
        let visibility = t.functions.get(Function::Visibility).score;
        if !t.in_scope {
            assert_eq!(fill(cell), "#e3e3e3", "{}", t.id);
            continue;
        }
        assert_eq!(fill(cell), palette.hex(visibility), "{}", t.id);
        let mark = if visibility > 0.0 {
            "covered"
        } else {
            "not-covered"
        };
        assert_eq!(cell.attribute("data-mark"), Some(mark), "{}", t.id);
        seen += usize::from(visibility > 0.0);
        differs += usize::from(palette.hex(visibility) != palette.hex(t.score));
    }
    // The fixture has visibility entries, and the view is not the score view.
    assert!(seen > 0 && differs > 0, "{seen} visible, {differs} differ");
    assert!(svg.contains(">ATT&amp;CK visibility<") || svg.contains("ATT&amp;CK visibility"));
    assert!(svg.contains("Mean visibility "), "header");
    assert!(svg.contains(&percent(a.functions.get(Function::Visibility))));
    assert!(svg.contains(">Visibility score<"), "legend");
}

#[test]
fn header_names_organisation_release_scores_and_date() {
    let owned = common::full();
    let a = &owned.assessment;
    let svg = heatmap(owned, &RenderOptions::default());
    let doc = Document::parse(&svg).expect("XML");
    let texts: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(text_of)
        .collect();
    let header = texts[..4].join("\n");
    assert!(header.contains("Example Corp"), "{header}");
    let version = a.attack.version.as_deref().expect("a version");
    assert!(header.contains(&format!("v{version}")), "{header}");
    assert!(header.contains(&a.attack.domain), "{header}");
    assert!(header.contains(common::DATE), "{header}");
    assert!(
        header.contains(&format!("Overall coverage {}", percent(a.overall))),
        "{header}"
    );
    let weighted = a.overall_weighted.expect("full has threats");
    assert!(
        header.contains(&format!("Threat-weighted coverage {}", percent(weighted))),
        "{header}"
    );
    // The score line leads with the overall score in the score view.
    let scores = &texts[2];
    assert!(scores.starts_with("Overall coverage"), "{scores}");
    // Without a date, none is shown.
    let mut input = owned.input();
    input.date = None;
    let files =
        covmap_report::render(&input, &RenderOptions::default(), &[OutputKind::Svg]).expect("ok");
    let undated = String::from_utf8(files[0].bytes.clone()).expect("UTF-8");
    assert_eq!(files[0].name, "heatmap.svg");
    assert!(!undated.contains(common::DATE));
    // The legend names every mark.
    for label in [
        "Coverage score",
        "none: 0% (not covered)",
        "low: above 0%, below ",
        "medium: ",
        "high: ",
        "Parent-level evidence only",
        "Out of scope",
    ] {
        assert!(texts.iter().any(|t| t.contains(label)), "legend: {label}");
    }
}

#[test]
fn weighted_view_dims_techniques_no_threat_uses() {
    let owned = common::full();
    let a = &owned.assessment;
    let options = RenderOptions {
        view: View::Weighted,
        subtechniques: Subtechniques::All,
        ..RenderOptions::default()
    };
    let svg = heatmap(owned, &options);
    let doc = Document::parse(&svg).expect("XML");
    let scores_line: String = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .nth(2)
        .map(text_of)
        .unwrap_or_default();
    let weighted = a.overall_weighted.expect("threats");
    assert!(
        scores_line.starts_with(&format!("Threat-weighted coverage {}", percent(weighted))),
        "{scores_line}"
    );
    let (mut dimmed, mut used) = (0, 0);
    for cell in cells(&doc) {
        let t = technique(a, cell.attribute("data-id").unwrap_or(""));
        let mark = cell.attribute("data-mark");
        if t.in_scope && t.weight == 0.0 {
            dimmed += 1;
            assert_eq!(mark, Some("not-used"), "{}", t.id);
            assert!(cell.attribute("opacity").is_some(), "{}", t.id);
        } else {
            assert_eq!(mark, Some(expected_mark(t)), "{}", t.id);
            assert!(cell.attribute("opacity").is_none(), "{}", t.id);
        }
        // Cells of techniques the threats use show their threat weight.
        let badge = cell
            .children()
            .filter(|n| n.has_tag_name("text"))
            .find(|n| n.attribute("text-anchor") == Some("end"))
            .and_then(|n| n.text());
        if t.in_scope && t.weight > 0.0 {
            used += 1;
            let label = covmap_assess::score::weight_label(t.weight);
            assert_eq!(badge, Some(label.as_str()), "{}", t.id);
            assert!(title(cell).contains("selected threat"), "{}", t.id);
        } else {
            assert_eq!(badge, None, "{}", t.id);
        }
    }
    // Counted from the assessment: techniques in scope per tactic, used or not.
    let expected = |used: bool| -> usize {
        a.tactics
            .iter()
            .map(|tactic| {
                a.techniques
                    .iter()
                    .filter(|t| t.tactics.contains(&tactic.shortname))
                    .filter(|t| t.in_scope && (t.weight > 0.0) == used)
                    .count()
            })
            .sum()
    };
    assert_eq!(dimmed, expected(false));
    assert_eq!(used, expected(true));
    assert!(dimmed > 0 && used > 0, "{dimmed} dimmed, {used} used");
}

/// Checks the comparison heatmaps of `owned` against its comparison.
fn check_comparison(owned: &Owned) {
    let a = &owned.assessment;
    let comparison = owned.comparison.as_ref().expect("a comparison");
    let options = options(Subtechniques::All);
    let files = heatmap_files(owned, &options);
    let names: Vec<&String> = files.keys().collect();
    let mut expected_names = vec!["heatmap.svg".to_string(), "heatmap-full.svg".to_string()];
    expected_names
        .extend((1..=comparison.candidates.len()).map(|n| format!("heatmap-compare-{n}.svg")));
    expected_names.sort();
    assert_eq!(names, expected_names.iter().collect::<Vec<_>>());
    for (i, candidate) in comparison.candidates.iter().enumerate() {
        let svg = &files[&format!("heatmap-compare-{}.svg", i + 1)];
        let doc = Document::parse(svg).expect("XML");
        assert_eq!(
            doc.root_element().attribute("id"),
            Some(format!("heatmap-compare-{}", i + 1).as_str())
        );
        let title_line: String = doc
            .descendants()
            .find(|n| n.has_tag_name("text"))
            .map(text_of)
            .unwrap_or_default();
        // Named by its capability: in full for screen readers, in the title as far as it fits.
        let aria = doc
            .root_element()
            .attribute("aria-label")
            .unwrap_or_default();
        assert!(
            aria.contains(&format!("coverage gain from {}", candidate.name)),
            "{aria}"
        );
        let visible = title_line.trim_end_matches('…');
        let from = visible
            .find("coverage gain from ")
            .map(|at| &visible[at + "coverage gain from ".len()..])
            .expect("the title names the candidate");
        assert!(
            !from.is_empty() && candidate.name.starts_with(from),
            "{title_line}"
        );
        // Redundant leaves that still rise (by under a point) are coloured too.
        let changes: BTreeMap<&str, (f64, f64)> = candidate
            .newly_covered
            .iter()
            .chain(&candidate.improved)
            .chain(&candidate.redundant)
            .filter(|c| c.after > c.before)
            .map(|c| (c.id.as_str(), (c.before, c.after)))
            .collect();
        // The colour scale ends at the smallest of 5, 10, 20, 25, 50, 100 points that holds
        // the largest gain of a leaf.
        let largest = changes
            .values()
            .map(|(before, after)| after - before)
            .fold(0.0, f64::max);
        let scale = [0.05, 0.1, 0.2, 0.25, 0.5, 1.0]
            .into_iter()
            .find(|s| largest <= *s)
            .unwrap_or(1.0);
        let legend_end = format!("+{:.0} points", scale * 100.0);
        assert!(
            doc.descendants()
                .any(|n| n.text() == Some(legend_end.as_str())),
            "legend ends at {legend_end}"
        );
        let mut gained = BTreeSet::new();
        for cell in cells(&doc) {
            let id = cell.attribute("data-id").unwrap_or("");
            let t = technique(a, id);
            let gain: f64 = cell
                .attribute("data-gain")
                .expect("data-gain")
                .parse()
                .expect("a number");
            if t.leaf {
                let expected = changes
                    .get(id)
                    .map_or(0.0, |(before, after)| after - before);
                assert!((gain - expected).abs() < 1e-5, "{id}: {gain} vs {expected}");
            } else {
                // A parent rises when one of its sub-techniques in scope does (mean roll-up).
                let rises = t
                    .subtechniques
                    .iter()
                    .any(|s| changes.contains_key(s.as_str()) && technique(a, s).in_scope);
                assert_eq!(gain > 0.0, rises, "{id}");
            }
            if gain > 0.0 {
                gained.insert(id);
                // data-gain has 6 decimals; the colour is of the exact gain in whole percents
                // of the scale, so a gain at a half percent may round either way.
                let near =
                    [gain / scale - 1e-5, gain / scale + 1e-5].map(|v| Palette::default().hex(v));
                assert!(near.contains(&fill(cell).to_string()), "{id}");
                assert!(title(cell).contains(&candidate.name), "{id}");
                assert!(title(cell).contains('\u{2192}'), "{id}");
            } else if t.in_scope {
                assert_eq!(fill(cell), "#ffffff", "{id} is neutral");
            }
        }
        // Every changed leaf shown with all sub-techniques is coloured.
        for id in changes.keys() {
            assert!(gained.contains(id), "{id} gains");
        }
    }
}

#[test]
fn comparison_view_colours_the_gain_of_each_candidate() {
    check_comparison(common::hostile());
    if let Some(owned) = common::example_01() {
        check_comparison(owned);
        write_when_asked("ex01", &heatmap_files(owned, &RenderOptions::default()));
        let weighted = RenderOptions {
            view: View::Weighted,
            ..RenderOptions::default()
        };
        write_when_asked("ex01-weighted", &heatmap_files(owned, &weighted));
    }
    // Without a comparison there are only heatmap.svg and heatmap-full.svg.
    let files = heatmap_files(common::full(), &RenderOptions::default());
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        ["heatmap-full.svg", "heatmap.svg"]
    );
}

#[test]
fn hostile_strings_stay_text() {
    let owned = common::hostile();
    for view in [View::Score, View::Weighted] {
        let options = RenderOptions {
            view,
            subtechniques: Subtechniques::All,
            ..RenderOptions::default()
        };
        for (name, svg) in heatmap_files(owned, &options) {
            let doc = Document::parse(&svg).unwrap_or_else(|e| panic!("{name}: {e}"));
            for element in ["script", "img", "foreignObject"] {
                assert!(
                    !doc.descendants().any(|n| n.has_tag_name(element)),
                    "{name}: a {element} element"
                );
            }
            assert_eq!(
                doc.descendants().filter(|n| n.has_tag_name("svg")).count(),
                1,
                "{name}: one svg element"
            );
            assert!(!svg.contains("<script"), "{name}");
            assert!(!svg.contains("<img"), "{name}");
            assert!(!svg.contains("<svg onload"), "{name}");
            assert!(
                svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                "{name}"
            );
            assert!(
                svg.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
                "{name}"
            );
            // The payloads survive as text: the organisation in the title, the capability
            // name in a tooltip, the exclusion reason in T1078's tooltip.
            let all_text: String = doc
                .descendants()
                .filter_map(|n| n.text())
                .collect::<Vec<_>>()
                .join("\n");
            assert!(
                all_text.contains("\"><img src=x onerror=alert(1)>"),
                "{name}"
            );
            assert!(all_text.contains("<script>alert(1)</script>"), "{name}");
            if name.starts_with("heatmap-compare") {
                assert!(
                    all_text.contains("<svg onload=alert(3)>") || all_text.contains("candidate-x")
                );
            } else {
                assert!(all_text.contains("Out of scope: <script>alert('exclusion')</script>"));
            }
        }
    }
}

#[test]
fn rendering_is_deterministic() {
    let owned = common::full();
    for view in [View::Score, View::Weighted] {
        let options = RenderOptions {
            view,
            ..RenderOptions::default()
        };
        assert_eq!(
            heatmap_files(owned, &options),
            heatmap_files(owned, &options)
        );
    }
    let hostile = common::hostile();
    assert_eq!(
        heatmap_files(hostile, &RenderOptions::default()),
        heatmap_files(hostile, &RenderOptions::default())
    );
}

#[test]
fn names_are_shortened_to_fit_their_cell() {
    let Some(owned) = common::example_01() else {
        return;
    };
    let svg = heatmap(owned, &options(Subtechniques::All));
    let doc = Document::parse(&svg).expect("XML");
    let (mut shortened, mut whole) = (0, 0);
    for cell in cells(&doc) {
        let id = cell.attribute("data-id").unwrap_or("");
        let t = technique(&owned.assessment, id);
        let rect = cell
            .children()
            .find(|n| n.has_tag_name("rect"))
            .expect("rect");
        let right = rect
            .attribute("x")
            .and_then(|x| x.parse::<f64>().ok())
            .unwrap_or(0.0)
            + rect
                .attribute("width")
                .and_then(|w| w.parse::<f64>().ok())
                .unwrap_or(0.0);
        let name = cell
            .descendants()
            .find(|n| n.has_tag_name("tspan") && n.attribute("textLength").is_some())
            .expect("a name");
        let x: f64 = name.attribute("x").and_then(|x| x.parse().ok()).expect("x");
        let length: f64 = name
            .attribute("textLength")
            .and_then(|x| x.parse().ok())
            .expect("textLength");
        assert!(
            x + length <= right,
            "{id} overflows: {x} + {length} > {right}"
        );
        let text = name.text().unwrap_or("");
        if text.ends_with('\u{2026}') {
            shortened += 1;
            assert!(title(cell).starts_with(&format!("{id} {}", t.name)));
        } else {
            whole += 1;
            assert_eq!(text, t.name);
        }
    }
    assert!(
        shortened > 50 && whole > 400,
        "{shortened} shortened, {whole} whole"
    );
}

#[test]
fn snapshot_full() {
    let owned = common::full();
    for (mode, name) in [
        (Subtechniques::None, "heatmap_full_none"),
        (Subtechniques::All, "heatmap_full_all"),
        (Subtechniques::Gaps, "heatmap_full_gaps"),
    ] {
        insta::assert_snapshot!(name, heatmap(owned, &options(mode)));
    }
    let weighted = RenderOptions {
        view: View::Weighted,
        ..RenderOptions::default()
    };
    insta::assert_snapshot!("heatmap_full_weighted", heatmap(owned, &weighted));
}

#[test]
fn snapshot_example_01() {
    let Some(owned) = common::example_01() else {
        return;
    };
    insta::assert_snapshot!(
        "heatmap_example_01",
        heatmap(owned, &RenderOptions::default())
    );
}

/// Writes the files to `$COVMAP_WRITE_SVG_DIR/<prefix>-<name>` when the variable is set, to
/// look at them.
fn write_when_asked(prefix: &str, files: &BTreeMap<String, String>) {
    if let Some(dir) = std::env::var_os("COVMAP_WRITE_SVG_DIR") {
        for (name, svg) in files {
            let path = std::path::Path::new(&dir).join(format!("{prefix}-{name}"));
            std::fs::write(&path, svg).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
}

/// The colour ATT&CK Navigator draws for `score`, computed as the issue describes Navigator:
/// the gradient's colours spread evenly from `minValue` to `maxValue`, linear interpolation in
/// RGB between the two around the score, each channel rounded.
#[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)] // positions and channels
fn navigator_colour(gradient: &serde_json::Value, score: f64) -> String {
    let colours: Vec<[f64; 3]> = gradient["colors"]
        .as_array()
        .expect("colors")
        .iter()
        .map(|c| {
            let hex = c.as_str().expect("colour string").trim_start_matches('#');
            let channel =
                |i: usize| f64::from(u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"));
            [channel(0), channel(2), channel(4)]
        })
        .collect();
    let min = gradient["minValue"].as_f64().expect("minValue");
    let max = gradient["maxValue"].as_f64().expect("maxValue");
    let t = ((score - min) / (max - min)).clamp(0.0, 1.0);
    let position = t * (colours.len() - 1) as f64;
    let i = (position.floor() as usize).min(colours.len() - 2);
    let w = position - i as f64;
    let mix = |k: usize| (colours[i][k] + (colours[i + 1][k] - colours[i][k]) * w).round() as u8;
    format!("#{:02x}{:02x}{:02x}", mix(0), mix(1), mix(2))
}

#[test]
fn every_cell_has_the_colour_navigator_draws_from_layer_json() {
    // Example 01 on enterprise 18.1, every sub-technique shown, in each palette: each cell of
    // heatmap.svg (covered or not) has the colour Navigator gives its (technique, tactic)
    // entry of layer.json; out of scope is disabled there and grey here; parent-level-only
    // evidence has the same mark colour in both.
    let Some(owned) = common::example_01() else {
        return;
    };
    for palette in Palette::ALL {
        let options = RenderOptions {
            palette,
            subtechniques: Subtechniques::All,
            ..RenderOptions::default()
        };
        let svg = heatmap(owned, &options);
        let layer: serde_json::Value = serde_json::from_str(
            &covmap_report::layer_json(&owned.input(), None, palette).expect("layer"),
        )
        .expect("JSON");
        let gradient = &layer["gradient"];
        let entries: BTreeMap<(String, String), &serde_json::Value> = layer["techniques"]
            .as_array()
            .expect("techniques")
            .iter()
            .map(|e| {
                (
                    (
                        e["techniqueID"].as_str().expect("id").to_string(),
                        e["tactic"].as_str().expect("tactic").to_string(),
                    ),
                    e,
                )
            })
            .collect();
        let doc = Document::parse(&svg).expect("XML");
        let (mut scored, mut gaps, mut parent_only, mut out) = (0, 0, 0, 0);
        for cell in cells(&doc) {
            let key = (
                cell.attribute("data-id").expect("id").to_string(),
                cell.attribute("data-tactic").expect("tactic").to_string(),
            );
            let entry = entries
                .get(&key)
                .unwrap_or_else(|| panic!("{key:?} in layer"));
            match cell.attribute("data-mark") {
                Some("covered" | "not-covered") => {
                    let score = entry["score"].as_f64().expect("scored in layer");
                    assert_eq!(entry["color"], "", "{key:?}");
                    assert_eq!(
                        fill(cell),
                        navigator_colour(gradient, score),
                        "{palette:?} {key:?} score {score}"
                    );
                    if score == 0.0 {
                        gaps += 1;
                    } else {
                        scored += 1;
                    }
                }
                Some("parent-only") => {
                    parent_only += 1;
                    assert_eq!(entry["color"], "#9e9ac8", "{key:?}");
                    assert!(svg.contains("fill=\"#9e9ac8\"/></pattern>"));
                }
                Some("out-of-scope") => {
                    out += 1;
                    assert_eq!(entry["enabled"], false, "{key:?}");
                    assert_eq!(fill(cell), "#e3e3e3");
                }
                other => panic!("unexpected mark {other:?}"),
            }
        }
        assert!(
            scored > 100 && gaps > 100 && out > 50,
            "{scored} {gaps} {out}"
        );
        assert!(parent_only > 0);
    }
}

#[test]
fn cell_scores_print_each_score_in_its_cell() {
    let owned = common::full();
    let a = &owned.assessment;
    let scores = RenderOptions {
        cell_scores: true,
        subtechniques: Subtechniques::All,
        ..RenderOptions::default()
    };
    let svg = heatmap(owned, &scores);
    let doc = Document::parse(&svg).expect("XML");
    let mut shown = 0;
    for cell in cells(&doc) {
        let t = technique(a, cell.attribute("data-id").unwrap_or(""));
        let text = text_of(cell);
        // The badge is the cell's last text: the score as a whole percent, as in layer.json.
        let badge = format!("{}%", (t.score * 100.0).round());
        if t.in_scope {
            assert!(text.contains(&badge), "{}: {text}", t.id);
            shown += 1;
        } else {
            assert!(!text.ends_with('%'), "{}: {text}", t.id);
        }
    }
    assert!(shown > 5);
    // Without the option, no cell prints its score.
    let plain = heatmap(owned, &options(Subtechniques::All));
    let doc = Document::parse(&plain).expect("XML");
    assert!(
        cells(&doc)
            .iter()
            .all(|c| !text_of(*c).replace(title(*c), "").ends_with('%'))
    );
}
