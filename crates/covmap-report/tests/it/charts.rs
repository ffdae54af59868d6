//! Tests of the charts (`chart-tactics.svg`, `chart-compare.svg`, `chart-threats.svg`): each
//! parses, shows every tactic, candidate and threat in order with bars as long as the figures
//! recomputed here from the assessment, escapes hostile text, and is byte-identical across
//! renders.

use covmap_assess::compare::Comparison;
use covmap_assess::score::ThreatSelection;
use covmap_assess::threats::ThreatCoverage;
use covmap_report::{OutputKind, RenderOptions, ReportInput};

use crate::common::{self, Owned};

/// Fill of the gain bars.
const BLUE: &str = "#0072B2";
/// Fill of the threat-weighted gain bars.
const ORANGE: &str = "#E69F00";
/// Fill of the bars of the share of a threat's techniques covered.
const GREEN: &str = "#009E73";

/// The fill of a score bar: the score's colour on the default scale (issue 18 §2: the colour a
/// heatmap cell of that score has), as plotters writes colours.
fn scale(score: f64) -> String {
    covmap_report::Palette::default().hex(score).to_uppercase()
}

/// The chart files of an input, by name, in the order `render` lists them.
fn charts(input: &ReportInput<'_>) -> Vec<(String, String)> {
    covmap_report::render(input, &RenderOptions::default(), &[OutputKind::Svg])
        .expect("renders")
        .into_iter()
        .filter(|f| f.name.starts_with("chart-"))
        .map(|f| (f.name, String::from_utf8(f.bytes).expect("UTF-8")))
        .collect()
}

fn chart(input: &ReportInput<'_>, name: &str) -> Option<String> {
    charts(input)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, svg)| svg)
}

/// A parsed chart: its texts (trimmed, document order, with their x) and bar rectangles.
struct Parsed {
    texts: Vec<(String, i64)>,
    /// `(fill, x, width)` of every `rect`, in document order.
    rects: Vec<(String, i64, i64)>,
}

impl Parsed {
    fn new(svg: &str) -> Parsed {
        assert!(svg.starts_with("<svg"), "no XML prolog: {}", &svg[..40]);
        let doc = roxmltree::Document::parse(svg).expect("the chart is well-formed XML");
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        let num = |n: roxmltree::Node<'_, '_>, a: &str| -> i64 {
            n.attribute(a)
                .unwrap_or_else(|| panic!("{a} missing"))
                .parse()
                .unwrap_or_else(|e| panic!("{a}: {e}"))
        };
        let mut texts = Vec::new();
        let mut rects = Vec::new();
        for node in doc.descendants().filter(roxmltree::Node::is_element) {
            match node.tag_name().name() {
                "text" => {
                    texts.push((node.text().unwrap_or("").trim().to_string(), num(node, "x")));
                }
                "rect" => rects.push((
                    node.attribute("fill").unwrap_or("").to_string(),
                    num(node, "x"),
                    num(node, "width"),
                )),
                "svg" | "polygon" | "polyline" => {}
                other => panic!("unexpected element <{other}>"),
            }
        }
        Parsed { texts, rects }
    }

    fn text_strings(&self) -> Vec<&str> {
        self.texts.iter().map(|(t, _)| t.as_str()).collect()
    }

    /// Widths of the bars of one colour, in document order.
    fn bars(&self, fill: &str) -> Vec<i64> {
        self.rects
            .iter()
            .filter(|(f, _, _)| f == fill)
            .map(|(_, _, w)| *w)
            .collect()
    }

    /// The bars of series `j` of `n` as `(fill, width)`, in row order: the filled `rect`s
    /// but the background, one per series and row.
    fn series(&self, j: usize, n: usize) -> Vec<(String, i64)> {
        self.rects
            .iter()
            .filter(|(f, _, _)| f != "none")
            .skip(1)
            .enumerate()
            .filter(|(i, _)| i % n == j)
            .map(|(_, (f, _, w))| (f.clone(), *w))
            .collect()
    }

    /// The x of the axis tick labelled `label`.
    fn tick(&self, label: &str) -> i64 {
        self.texts
            .iter()
            .find(|(t, _)| t == label)
            .unwrap_or_else(|| panic!("no tick {label}"))
            .1
    }

    /// The text right after `text` (the next line of a label, or a bar's value).
    fn after(&self, text: &str) -> Vec<&str> {
        let all = self.text_strings();
        all.windows(2)
            .filter(|w| w[0] == text)
            .map(|w| w[1])
            .collect()
    }
}

/// `{:.1}%` of a fraction.
fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// Pixel length of `value` on an axis whose 0 and `max` are `span` pixels apart.
fn length(value: f64, max: f64, span: i64) -> i64 {
    (value / max * span as f64).round() as i64
}

/// Asserts that `names` appear among the texts in this order.
fn assert_in_order(parsed: &Parsed, names: &[&str]) {
    let texts = parsed.text_strings();
    let positions: Vec<usize> = names
        .iter()
        .map(|n| {
            texts
                .iter()
                .position(|t| t == n)
                .unwrap_or_else(|| panic!("{n} is not shown"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "{names:?} out of order"
    );
}

/// The tactic chart against figures recomputed from the techniques.
#[allow(clippy::too_many_lines)] // one figure after the other, per tactic
fn check_tactics(owned: &Owned) {
    let input = owned.input();
    let assessment = &owned.assessment;
    let svg = chart(&input, "chart-tactics.svg").expect("always drawn");
    let parsed = Parsed::new(&svg);
    let names: Vec<&str> = assessment.tactics.iter().map(|t| t.name.as_str()).collect();
    assert_in_order(&parsed, &names);

    let weighted = assessment.has_threats();
    let n_series = if weighted { 2 } else { 1 };
    let plain = parsed.series(0, n_series);
    let outlined = if weighted {
        parsed.series(1, 2)
    } else {
        Vec::new()
    };
    assert_eq!(
        plain.len(),
        assessment.tactics.len(),
        "one score bar per tactic"
    );
    let expected_outlined = if weighted {
        assessment.tactics.len()
    } else {
        0
    };
    assert_eq!(
        outlined.len(),
        expected_outlined,
        "one weighted bar per tactic"
    );
    let blue: Vec<i64> = plain.iter().map(|b| b.1).collect();
    let orange: Vec<i64> = outlined.iter().map(|b| b.1).collect();
    // The weighted bars are outlined: one unfilled rect per weighted bar that shows.
    let outlines = parsed.rects.iter().filter(|(f, _, _)| f == "none").count();
    assert_eq!(
        outlines,
        orange.iter().filter(|w| **w > 0).count(),
        "outlines"
    );
    let span = parsed.tick("100%") - parsed.tick("0%");
    assert!(span > 200, "the axis is {span} px wide");

    for (i, tactic) in assessment.tactics.iter().enumerate() {
        let leaves: Vec<_> = assessment
            .leaves_in_scope()
            .filter(|t| t.tactics.contains(&tactic.shortname))
            .collect();
        let n = leaves.len();
        let plural = if n == 1 {
            "technique or sub-technique"
        } else {
            "techniques and sub-techniques"
        };
        assert_eq!(
            parsed.after(&tactic.name),
            vec![format!("{} · {n} {plural} in scope", tactic.id)],
            "{}",
            tactic.name
        );
        let (score, value) = if n == 0 {
            (0.0, "n/a".to_string())
        } else {
            let mean = leaves.iter().map(|t| t.score).sum::<f64>() / n as f64;
            assert!((mean - tactic.score).abs() < 1e-6, "{}", tactic.name);
            (mean, pct(tactic.score))
        };
        assert!(
            (blue[i] - length(score, 1.0, span)).abs() <= 1,
            "{}: bar {} px for {score}",
            tactic.name,
            blue[i]
        );
        assert_eq!(plain[i].0, scale(score), "{}: colour", tactic.name);
        let mut values = vec![value];
        if weighted {
            let total: f64 = leaves.iter().map(|t| t.weight).sum();
            let weighted_score = (total > 0.0)
                .then(|| leaves.iter().map(|t| t.weight * t.score).sum::<f64>() / total);
            match (weighted_score, tactic.score_weighted) {
                (Some(w), Some(s)) => {
                    assert!((w - s).abs() < 1e-6, "{}", tactic.name);
                    assert!((orange[i] - length(w, 1.0, span)).abs() <= 1);
                    assert_eq!(outlined[i].0, scale(w), "{}: colour", tactic.name);
                    values.push(pct(s));
                }
                (None, None) => {
                    assert_eq!(orange[i], 0);
                    values.push("n/a".to_string());
                }
                other => panic!("{}: weighted {other:?}", tactic.name),
            }
        }
        // The value labels follow the label and its detail line.
        let texts = parsed.text_strings();
        let at = texts.iter().position(|t| *t == tactic.name).expect("shown");
        assert_eq!(&texts[at + 2..at + 2 + values.len()], values.as_slice());
    }
    let summary = match assessment.overall_weighted {
        Some(w) => format!(
            "Overall {}, threat-weighted {}",
            pct(assessment.overall),
            pct(w)
        ),
        None => format!("Overall {}", pct(assessment.overall)),
    };
    assert!(
        parsed.texts.iter().any(|(t, _)| t.contains(&summary)),
        "{summary} not in the subtitle"
    );
    assert!(parsed.texts.iter().any(|(t, _)| t.ends_with(common::DATE)));
}

/// Thousands separators, as the charts write amounts.
fn grouped(amount: f64) -> String {
    let digits = format!("{amount:.0}");
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A row label as the charts show it: up to 60 characters, else the first 30, `…` and the
/// last 29.
fn row_label(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= 60 {
        return name.to_string();
    }
    let mut short: String = chars[..30].iter().collect();
    short.push('…');
    short.extend(&chars[chars.len() - 29..]);
    short
}

/// The comparison chart: one bar per candidate (and weighted), lengths and cost per point.
fn check_comparison(comparison: &Comparison, svg: &str) {
    let parsed = Parsed::new(svg);
    // Candidates are named by their capabilities' names (shortened past 60 characters).
    let shown: Vec<String> = comparison
        .candidates
        .iter()
        .map(|c| row_label(&c.name))
        .collect();
    let labels: Vec<&str> = shown.iter().map(String::as_str).collect();
    assert_in_order(&parsed, &labels);
    let blue = parsed.bars(BLUE);
    let orange = parsed.bars(ORANGE);
    assert_eq!(blue.len(), labels.len());
    let weighted = comparison.baseline.overall_weighted.is_some();
    assert_eq!(orange.len(), if weighted { labels.len() } else { 0 });
    // The axis ends at the last tick (a round number of points at or past the largest gain).
    let ticks: Vec<(f64, i64)> = parsed
        .texts
        .iter()
        .filter_map(|(t, x)| t.parse::<f64>().ok().map(|v| (v, *x)))
        .collect();
    let (zero, left) = *ticks.first().expect("ticks");
    let (max, right) = *ticks.last().expect("ticks");
    assert!(zero.abs() < f64::EPSILON, "the axis starts at {zero}");
    let span = right - left;
    let largest = comparison
        .candidates
        .iter()
        .flat_map(|c| [Some(c.gain), c.gain_weighted])
        .flatten()
        .fold(0.0_f64, f64::max)
        * 100.0;
    assert!(max >= largest && max >= 1.0, "axis {max} for {largest}");
    for (i, candidate) in comparison.candidates.iter().enumerate() {
        assert!((blue[i] - length(candidate.gain * 100.0, max, span)).abs() <= 1);
        let mut value = format!("{:+.1} pts", candidate.gain * 100.0);
        if let Some(cost) = &candidate.annual_cost
            && candidate.gain > 0.0
        {
            let per_point = cost.annual / (candidate.gain * 100.0);
            let stated = candidate.cost_per_point.expect("a cost and a gain");
            assert!((per_point - stated).abs() / stated < 1e-3);
            value = format!(
                "{value} · {} {} per point",
                grouped(stated),
                cost.currency.to_uppercase()
            );
        }
        let texts = parsed.text_strings();
        let at = texts.iter().position(|t| *t == labels[i]).expect("shown");
        assert_eq!(texts[at + 2], value, "{}", candidate.name);
        assert!(texts[at + 1].starts_with(&format!(
            "{} newly covered · {} improved · {} redundant",
            candidate.newly_covered.len(),
            candidate.improved.len(),
            candidate.redundant.len()
        )));
        // The id or file it was given as is the secondary label, when it is not the name.
        if candidate.label != candidate.name {
            let file = candidate.label.rsplit('/').next().expect("a part");
            assert!(
                texts[at + 1].ends_with(&format!(" · {file}")),
                "{}",
                texts[at + 1]
            );
        }
        if let Some(g) = candidate.gain_weighted {
            assert!((orange[i] - length(g * 100.0, max, span)).abs() <= 1);
            assert_eq!(texts[at + 3], format!("{:+.1} pts", g * 100.0));
        }
    }
}

/// The threat chart: per threat, its mean score and covered share.
fn check_threats(threats: &[ThreatCoverage], svg: &str) {
    let parsed = Parsed::new(svg);
    let names: Vec<&str> = threats.iter().map(|t| t.name.as_str()).collect();
    assert_in_order(&parsed, &names);
    let scores = parsed.series(0, 2);
    let blue: Vec<i64> = scores.iter().map(|b| b.1).collect();
    let green = parsed.bars(GREEN);
    assert_eq!((blue.len(), green.len()), (threats.len(), threats.len()));
    for (bar, threat) in scores.iter().zip(threats) {
        let score = if threat.in_scope > 0 {
            threat.score
        } else {
            0.0
        };
        assert_eq!(bar.0, scale(score), "{}: colour", threat.name);
    }
    let span = parsed.tick("100%") - parsed.tick("0%");
    for (i, threat) in threats.iter().enumerate() {
        let share = threat.covered as f64 / threat.in_scope.max(1) as f64;
        assert!((share - threat.covered_share).abs() < 1e-6);
        assert!((blue[i] - length(threat.score, 1.0, span)).abs() <= 1);
        assert!((green[i] - length(share, 1.0, span)).abs() <= 1);
        let texts = parsed.text_strings();
        let at = texts.iter().position(|t| *t == threat.name).expect("shown");
        assert!(texts[at + 1].starts_with(&threat.id), "{}", texts[at + 1]);
        if threat.in_scope > 0 {
            assert_eq!(
                &texts[at + 2..at + 4],
                [
                    pct(threat.score),
                    format!("{} ({} of {})", pct(share), threat.covered, threat.in_scope)
                ]
            );
        }
    }
}

#[test]
fn full_has_tactics_and_threats_but_no_comparison() {
    let owned = common::full();
    let names: Vec<String> = charts(&owned.input()).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["chart-tactics.svg", "chart-threats.svg"]);
    check_tactics(owned);
    let svg = chart(&owned.input(), "chart-threats.svg").expect("threats selected");
    check_threats(&owned.threats, &svg);
    // full.yaml selects 2 groups, 1 campaign and 1 software.
    assert_eq!(owned.threats.len(), 4);
}

#[test]
fn without_threats_one_bar_per_tactic() {
    let owned = common::full();
    let mut assessment = owned.assessment.clone();
    assessment.scope.threats = ThreatSelection::default();
    assessment.overall_weighted = None;
    for tactic in &mut assessment.tactics {
        tactic.score_weighted = None;
    }
    for technique in &mut assessment.techniques {
        technique.weight = 1.0;
    }
    let stripped = Owned {
        assessment,
        gaps: owned.gaps.clone(),
        threats: Vec::new(),
        comparison: None,
        plan: None,
    };
    let names: Vec<String> = charts(&stripped.input())
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["chart-tactics.svg"]);
    check_tactics(&stripped);
    let svg = chart(&stripped.input(), "chart-tactics.svg").expect("drawn");
    assert!(!svg.contains("Threat-weighted"), "no weighted legend");
}

#[test]
fn hostile_comparison_and_threats() {
    let owned = common::hostile();
    let names: Vec<String> = charts(&owned.input()).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "chart-tactics.svg",
            "chart-compare.svg",
            "chart-threats.svg"
        ]
    );
    check_tactics(owned);
    let comparison = owned.comparison.as_ref().expect("a candidate");
    let svg = chart(&owned.input(), "chart-compare.svg").expect("a candidate");
    check_comparison(comparison, &svg);
    // candidate-x covers T1059.004 (significant, configured: 0.9 x 0.8), one of the in-scope
    // leaves: the gain is that score over their number.
    let n = owned.assessment.counts.in_scope as f64;
    let gain = comparison.candidates[0].gain;
    assert!(
        (gain - 0.72 / n).abs() < 1e-6,
        "gain {gain} over {n} leaves"
    );
}

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(1)>";

#[test]
fn hostile_text_is_escaped() {
    let base = common::hostile();
    let mut assessment = base.assessment.clone();
    assessment.tactics[0].name = SCRIPT.to_string();
    let mut threats = base.threats.clone();
    threats[0].name = IMG.to_string();
    let mut comparison = base.comparison.clone().expect("a candidate");
    comparison.candidates[0].name = format!("{SCRIPT} & {IMG}");
    let owned = Owned {
        assessment,
        gaps: base.gaps.clone(),
        threats,
        comparison: Some(comparison),
        plan: None,
    };
    let files = charts(&owned.input());
    assert_eq!(files.len(), 3);
    for (name, svg) in &files {
        assert!(!svg.contains("<script"), "{name}: raw <script>");
        assert!(!svg.contains("<img"), "{name}: raw <img>");
        // Read back, the text is the payload itself: escaped once, not twice.
        let parsed = Parsed::new(svg);
        let texts = parsed.text_strings();
        let shown = texts.iter().any(|t| t.contains(SCRIPT) || t.contains(IMG));
        assert!(shown, "{name}: the payload is not shown as text");
        assert!(!svg.contains("&amp;lt;"), "{name}: escaped twice");
    }
    let svg = &files[0].1;
    assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // The organisation (an <img> payload) is in every subtitle.
    assert!(svg.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    let compare = Parsed::new(&files[1].1);
    assert!(
        compare
            .text_strings()
            .contains(&format!("{SCRIPT} & {IMG}").as_str())
    );
}

#[test]
fn charts_are_deterministic() {
    let mut inputs = vec![common::full(), common::hostile()];
    inputs.extend(common::example_01());
    for owned in inputs {
        let first = charts(&owned.input());
        let second = charts(&owned.input());
        assert!(!first.is_empty());
        assert_eq!(first, second);
    }
}

#[test]
fn example_01_charts() {
    let Some(owned) = common::example_01() else {
        return;
    };
    check_tactics(owned);
    // 14 tactics, each with a weighted bar: APT29, FIN7 and Scattered Spider are selected.
    assert_eq!(owned.assessment.tactics.len(), 14);
    let input = owned.input();
    let comparison = owned.comparison.as_ref().expect("two candidates");
    check_comparison(
        comparison,
        &chart(&input, "chart-compare.svg").expect("drawn"),
    );
    check_threats(
        &owned.threats,
        &chart(&input, "chart-threats.svg").expect("drawn"),
    );
    for (name, svg) in charts(&input) {
        let stem = name.trim_start_matches("chart-").trim_end_matches(".svg");
        insta::assert_snapshot!(format!("charts_example_01_{stem}"), svg);
    }
}

#[test]
fn full_snapshots() {
    for (name, svg) in charts(&common::full().input()) {
        let stem = name.trim_start_matches("chart-").trim_end_matches(".svg");
        insta::assert_snapshot!(format!("charts_full_{stem}"), svg);
    }
}
