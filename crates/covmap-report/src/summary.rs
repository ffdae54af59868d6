//! `summary.md`: the executive summary as Markdown, for e-mails, wikis and tickets.
//!
//! Sections: the headline figures (overall and threat-weighted coverage, with the change
//! against a baseline assessment when one is given), the top gaps, the top actions of
//! `covmap plan` (when the report set has a plan), and the single points of failure: capabilities
//! that alone cover techniques in scope. Every string from an inventory or ATT&CK is escaped
//! for Markdown ([`md`]), so a capability named `*EDR* | <b>` shows as written and never
//! breaks a table.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use covmap_assess::plan::{ActionKind, Plan};
use covmap_assess::score::{Assessment, TechniqueResult};

use crate::ReportInput;
use crate::text::{money, percent, points};

/// Gaps listed.
const TOP_GAPS: usize = 10;
/// Plan actions listed.
const TOP_ACTIONS: usize = 5;
/// Capabilities listed as single points of failure (those covering the most alone first).
const TOP_SPOFS: usize = 10;
/// Technique IDs named per single point of failure.
const SPOF_IDS: usize = 8;

/// Text escaped for Markdown: the characters that could make emphasis, code, links, HTML or
/// table cells are backslash-escaped, and line breaks become spaces (a cell is one line), so
/// the text never starts a heading or a list. Other punctuation stays as written, for the
/// readers of the plain-text e-mail.
pub(crate) fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A capability that alone gives techniques in scope their coverage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SinglePoint<'a> {
    /// Capability id.
    pub(crate) id: &'a str,
    /// Capability name.
    pub(crate) name: &'a str,
    /// The leaves in scope covered by it alone, by ID.
    pub(crate) leaves: Vec<&'a str>,
}

/// Single points of failure: per capability, the leaves in scope with a score above 0 whose
/// headline functions get a contribution above 0 from that capability alone (the rule of
/// `covmap compare --without`'s `single_points_of_failure`, read from the assessment).
/// Ordered by the number of leaves, most first, then by id.
pub(crate) fn single_points(assessment: &Assessment) -> Vec<SinglePoint<'_>> {
    let headline: BTreeSet<_> = assessment.scoring.headline.functions.iter().collect();
    let mut by_capability: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for t in assessment.leaves_in_scope().filter(|t| t.score > 0.0) {
        let covering: BTreeSet<&str> = t
            .capabilities
            .iter()
            .filter(|c| c.value > 0.0 && headline.contains(&c.function))
            .map(|c| &*c.id)
            .collect();
        if let [only] = covering.into_iter().collect::<Vec<_>>()[..] {
            by_capability.entry(only).or_default().push(t.id.as_str());
        }
    }
    let mut points: Vec<SinglePoint<'_>> = by_capability
        .into_iter()
        .map(|(id, mut leaves)| {
            leaves.sort_unstable();
            let name = assessment
                .capabilities
                .iter()
                .find(|c| c.id == id)
                .map_or(id, |c| c.name.as_str());
            SinglePoint { id, name, leaves }
        })
        .collect();
    points.sort_by(|a, b| b.leaves.len().cmp(&a.leaves.len()).then(a.id.cmp(b.id)));
    points
}

/// The currency of the inventory's costs when they all share one (plan costs are in it).
fn currency(assessment: &Assessment) -> Option<String> {
    let all: BTreeSet<String> = assessment
        .capabilities
        .iter()
        .filter_map(|c| c.cost.as_ref().map(|k| k.currency.to_uppercase()))
        .collect();
    match all.len() {
        1 => all.into_iter().next(),
        _ => None,
    }
}

/// A Markdown table row.
fn row(out: &mut String, cells: &[String]) {
    let _ = writeln!(out, "| {} |", cells.join(" | "));
}

/// A Markdown table header with its rule; `right` marks right-aligned (numeric) columns.
fn header(out: &mut String, cells: &[(&str, bool)]) {
    row(
        out,
        &cells
            .iter()
            .map(|(c, _)| (*c).to_string())
            .collect::<Vec<_>>(),
    );
    row(
        out,
        &cells
            .iter()
            .map(|(_, right)| if *right { "---:" } else { "---" }.to_string())
            .collect::<Vec<_>>(),
    );
}

/// The leaves in scope in both assessments, with their scores before and after.
fn common_leaves<'a>(
    now: &'a Assessment,
    before: &'a Assessment,
) -> impl Iterator<Item = (&'a TechniqueResult, &'a TechniqueResult)> {
    before.leaves_in_scope().filter_map(move |b| {
        now.technique(&b.id)
            .filter(|n| n.in_scope && n.leaf)
            .map(|n| (b, n))
    })
}

/// Renders `summary.md`.
pub(crate) fn markdown(input: &ReportInput<'_>) -> String {
    let a = input.assessment;
    let mut out = String::new();
    let title = match &a.organization {
        Some(org) => format!("ATT&CK coverage: {}", md(org)),
        None => "ATT&CK coverage summary".to_string(),
    };
    let _ = writeln!(out, "# {title}\n");
    let mut about = Vec::new();
    if let Some(date) = input.date {
        about.push(format!("Date: {date}"));
    }
    let release = match &a.attack.version {
        Some(v) => format!("{} v{v}", a.attack.name),
        None => a.attack.name.clone(),
    };
    about.push(format!("{} ({})", md(&release), md(&a.attack.domain)));
    about.push(format!("covmap {}", md(&a.covmap_version)));
    let _ = writeln!(out, "{}\n", about.join(" · "));

    coverage(&mut out, input);
    top_gaps(&mut out, input);
    // Top actions.
    if let Some(plan) = input.plan {
        actions(&mut out, plan, currency(a).as_deref());
    }

    single_points_section(&mut out, a);
    out
}

/// The headline figures, with the change against the baseline when there is one.
fn coverage(out: &mut String, input: &ReportInput<'_>) {
    let a = input.assessment;
    let _ = writeln!(out, "## Coverage\n");
    let baseline = input.baseline;
    if let Some(before) = baseline {
        header(
            out,
            &[
                ("", false),
                ("Now", true),
                ("Baseline", true),
                ("Change", true),
            ],
        );
        row(
            out,
            &[
                "Overall".to_string(),
                percent(a.overall),
                percent(before.overall),
                points(a.overall - before.overall),
            ],
        );
        if a.overall_weighted.is_some() || before.overall_weighted.is_some() {
            let opt = |x: Option<f64>| x.map_or_else(|| "n/a".to_string(), percent);
            let change = match (a.overall_weighted, before.overall_weighted) {
                (Some(n), Some(b)) => points(n - b),
                _ => "n/a".to_string(),
            };
            row(
                out,
                &[
                    "Threat-weighted".to_string(),
                    opt(a.overall_weighted),
                    opt(before.overall_weighted),
                    change,
                ],
            );
        }
    } else {
        header(out, &[("", false), ("Coverage", true)]);
        row(out, &["Overall".to_string(), percent(a.overall)]);
        if let Some(w) = a.overall_weighted {
            row(out, &["Threat-weighted".to_string(), percent(w)]);
        }
    }
    let c = &a.counts;
    let _ = writeln!(
        out,
        "\nOverall is the mean score of the {} techniques and sub-techniques in scope \
         (techniques without sub-techniques, and sub-techniques; {} out of scope).",
        c.in_scope, c.excluded
    );
    if a.overall_weighted.is_some() {
        out.push_str("Threat-weighted weighs each by how much the selected threats use it.\n");
    }
    let _ = writeln!(
        out,
        "{} are not covered at all, {} low, {} medium, {} high.",
        c.by_level.none, c.by_level.low, c.by_level.medium, c.by_level.high
    );
    if let Some(before) = baseline {
        let (mut rose, mut fell, mut lost) = (0usize, 0usize, 0usize);
        for (b, n) in common_leaves(a, before) {
            if n.score > b.score {
                rose += 1;
            } else if n.score < b.score {
                fell += 1;
                if n.score <= 0.0 && b.score > 0.0 {
                    lost += 1;
                }
            }
        }
        let _ = writeln!(
            out,
            "\nAgainst the baseline{}: {rose} techniques and sub-techniques rose, {fell} fell \
             ({lost} of them to no coverage).",
            baseline_release(before)
        );
    }
}

/// The first gaps of the ranking.
fn top_gaps(out: &mut String, input: &ReportInput<'_>) {
    let a = input.assessment;
    let _ = writeln!(out, "\n## Top gaps\n");
    let gaps: Vec<_> = input.gaps.iter().take(TOP_GAPS).collect();
    if gaps.is_empty() {
        out.push_str("No gaps: every technique in scope is fully covered.\n");
    } else {
        header(
            out,
            &[
                ("#", true),
                ("Technique", false),
                ("Tactics", false),
                ("Score", true),
                ("Priority", true),
            ],
        );
        for g in &gaps {
            let tactics: Vec<String> = g.tactics.iter().map(|t| md(a.tactic_name(t))).collect();
            row(
                out,
                &[
                    g.rank.to_string(),
                    format!("{} {}", md(&g.id), md(&g.name)),
                    tactics.join(", "),
                    percent(g.score),
                    format!("{:.2}", g.gap_priority),
                ],
            );
        }
        let _ = writeln!(
            out,
            "\n{} gaps in all; priority is threat weight x (1 - score).",
            input.gaps.len()
        );
    }
}

/// The capabilities that alone cover techniques in scope.
fn single_points_section(out: &mut String, a: &Assessment) {
    let _ = writeln!(out, "\n## Single points of failure\n");
    let spofs = single_points(a);
    if spofs.is_empty() {
        out.push_str("No technique in scope depends on a single capability.\n");
    } else {
        header(
            out,
            &[
                ("Capability", false),
                ("Alone covers", true),
                ("Techniques", false),
            ],
        );
        for s in spofs.iter().take(TOP_SPOFS) {
            let mut ids: Vec<String> = s.leaves.iter().take(SPOF_IDS).map(|id| md(id)).collect();
            if s.leaves.len() > SPOF_IDS {
                ids.push(format!("and {} more", s.leaves.len() - SPOF_IDS));
            }
            row(
                out,
                &[md(s.name), s.leaves.len().to_string(), ids.join(", ")],
            );
        }
        let total: usize = spofs.iter().map(|s| s.leaves.len()).sum();
        let _ = writeln!(
            out,
            "\n{total} covered techniques and sub-techniques lose all coverage if their one \
             capability fails{}.",
            if spofs.len() > TOP_SPOFS {
                format!(
                    " ({} capabilities; the first {TOP_SPOFS} listed)",
                    spofs.len()
                )
            } else {
                String::new()
            }
        );
    }
}

/// ` (assessed against ATT&CK v18.1)` when the baseline names its release; empty otherwise.
fn baseline_release(before: &Assessment) -> String {
    let release = match &before.attack.version {
        Some(v) => format!("ATT&CK v{v}"),
        None => return String::new(),
    };
    format!(" (assessed against {})", md(&release))
}

/// The "Top actions" section: the first actions of the plan.
fn actions(out: &mut String, plan: &Plan, currency: Option<&str>) {
    let _ = writeln!(out, "\n## Top actions\n");
    if plan.actions.is_empty() {
        out.push_str("No candidate, mitigation or test raises coverage.\n");
        return;
    }
    header(
        out,
        &[
            ("#", true),
            ("Action", false),
            ("Yearly cost", true),
            ("Gain", true),
            ("Overall after", true),
        ],
    );
    for a in plan.actions.iter().take(TOP_ACTIONS) {
        let what = match a.kind {
            ActionKind::Candidate => format!("Deploy {}", md(&a.name)),
            ActionKind::Mitigation => {
                format!("Implement {} {} (what-if)", md(&a.id), md(&a.name))
            }
            ActionKind::Test => format!("Test {} {}", md(&a.id), md(&a.name)),
            ActionKind::LogSource => format!(
                "Onboard log source {} (channel {}) (what-if: {} analytics built)",
                md(&a.id),
                md(a.channel.as_deref().unwrap_or("")),
                a.analytics.len()
            ),
        };
        let cost = match (a.cost, currency) {
            (Some(x), Some(cur)) => format!("{} {cur}", money(x)),
            (Some(x), None) => money(x),
            (None, _) => "unknown".to_string(),
        };
        row(
            out,
            &[
                a.rank.to_string(),
                what,
                cost,
                points(a.gain),
                percent(a.cumulative_overall),
            ],
        );
    }
    let _ = writeln!(
        out,
        "\nFrom `covmap plan`: each action's gain counts the actions above it.{}",
        if plan
            .actions
            .iter()
            .take(TOP_ACTIONS)
            .any(|a| a.kind == ActionKind::Mitigation)
        {
            format!(" Mitigations are {}.", md(&plan.mitigation_assumption))
        } else {
            String::new()
        }
    );
    if plan
        .actions
        .iter()
        .take(TOP_ACTIONS)
        .any(|a| a.kind == ActionKind::LogSource)
    {
        let _ = writeln!(out, "Log sources are {}.", md(&plan.log_source_assumption));
    }
}

#[cfg(test)]
mod tests {
    use super::md;

    #[test]
    fn markdown_specials_are_escaped() {
        assert_eq!(md("*EDR* | <b>"), r"\*EDR\* \| \<b\>");
        assert_eq!(md("a\nb"), "a b");
        assert_eq!(md("[x](javascript:y)"), r"\[x\](javascript:y)");
        assert_eq!(md("ATT&CK what-if (x)"), "ATT&CK what-if (x)");
        assert_eq!(md("plain name"), "plain name");
    }
}
