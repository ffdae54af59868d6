//! The sections of the page, top to bottom. Every string from an input reaches the markup
//! through maud's `(…)` splices, which escape it; only the SVG pieces other modules drew (and
//! escaped) are inlined as they are.

use covmap_assess::compare::{
    CandidateResult, Comparison, HeadToHead, LeafChange, ReplacementResult, WithoutResult,
};
use covmap_assess::gaps::{By, Gap, rollup_gaps};
use covmap_assess::inventory::Function;
use covmap_assess::plan::{ActionKind, Plan};
use covmap_assess::score::{Assessment, NamedRef, TacticResult};
use covmap_assess::threats::ThreatCoverage;
use maud::{Markup, PreEscaped, html};

use super::Pieces;
use super::format;
use crate::text::percent;
use crate::{RenderOptions, ReportInput, View};

/// How many of a threat's least covered techniques its row names.
const THREAT_GAPS_SHOWN: usize = 5;

/// The page title and the heading.
pub(super) fn title(assessment: &Assessment) -> String {
    match &assessment.organization {
        Some(org) => format!("ATT&CK coverage: {org}"),
        None => "ATT&CK coverage assessment".to_string(),
    }
}

fn attack_release(assessment: &Assessment) -> String {
    let attack = &assessment.attack;
    match &attack.version {
        Some(version) => format!("{} v{version}", attack.name),
        None => attack.name.clone(),
    }
}

/// A horizontal bar of a score in [0, 1].
fn bar(score: f64) -> Markup {
    html! {
        span.bar aria-hidden="true" {
            span.bar-fill style=(format!("width:{:.1}%", score.clamp(0.0, 1.0) * 100.0)) {}
        }
    }
}

/// A score with its bar.
fn score_cell(score: f64) -> Markup {
    html! {
        span.score { span.score-num { (percent(score)) } (bar(score)) }
    }
}

/// An ATT&CK ID that opens the technique's panel, with a link to its page on attack.mitre.org.
fn technique_ref(id: &str, name: &str) -> Markup {
    html! {
        span.tref {
            button.open type="button" data-open=(id) title="Show details" { (id) }
            " "
            span.tname { (name) }
            (external_link(id))
        }
    }
}

/// A link to an ATT&CK object's page (a link is no request until clicked).
fn external_link(id: &str) -> Markup {
    html! {
        @if let Some(url) = format::attack_url(id) {
            " "
            a.ext href=(url) target="_blank" rel="noopener noreferrer" title="Open on attack.mitre.org" { "↗" }
        }
    }
}

/// ATT&CK objects named by ID and name, each linked.
fn named_refs(refs: &[NamedRef]) -> Markup {
    html! {
        ul.refs {
            @for r in refs {
                li {
                    @match format::attack_url(&r.id) {
                        Some(url) => {
                            a href=(url) target="_blank" rel="noopener noreferrer" { span.rid { (r.id) } " " (r.name) }
                        }
                        None => { span.rid { (r.id) } " " (r.name) }
                    }
                }
            }
        }
    }
}

fn tactic_names(assessment: &Assessment, shortnames: &[String]) -> String {
    shortnames
        .iter()
        .map(|s| assessment.tactic_name(s))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The banner: who, what, against which ATT&CK release, when; and the table of contents.
pub(super) fn masthead(input: &ReportInput<'_>) -> Markup {
    let assessment = input.assessment;
    let threats = !input.threats.is_empty();
    html! {
        header.masthead {
            div.wrap {
                div.brand { span.logo aria-hidden="true" { "◧" } " covmap · ATT&CK coverage assessment" }
                h1 { (title(assessment)) }
                p.meta {
                    span { (attack_release(assessment)) }
                    span { (format::count(assessment.counts.in_scope)) " techniques and sub-techniques in scope" }
                    @if !assessment.scope.platforms.is_empty() {
                        span { (assessment.scope.platforms.join(", ")) }
                    }
                    @if let Some(date) = input.date {
                        span { "Report date " time datetime=(date) { (date) } }
                    }
                }
            }
        }
        nav.toc aria-label="Sections" {
            div.wrap {
                a href="#summary" { "Summary" }
                a href="#matrix" { "Matrix" }
                a href="#tactics" { "Tactics" }
                a href="#gaps" { "Top gaps" }
                @if input.plan.is_some() { a href="#plan" { "What to do next" } }
                @if input.comparison.is_some() { a href="#comparison" { "Comparison" } }
                @if threats { a href="#threats" { "Threats" } }
                a href="#capabilities" { "Capabilities" }
                a href="#methodology" { "Methodology" }
                button.print type="button" id="print-button" { "Print / PDF" }
            }
        }
    }
}

/// How many actions and gaps the printed executive summary lists.
const PRINT_ACTIONS: usize = 5;
const PRINT_GAPS: usize = 8;

/// The key figures (and, in print, the first actions and gaps: page 1 is the executive
/// summary).
pub(super) fn summary(input: &ReportInput<'_>, top_gaps: usize) -> Markup {
    let a = input.assessment;
    let counts = &a.counts;
    let levels = &counts.by_level;
    let counted = a.capabilities.iter().filter(|c| c.counted).count();
    let statuses: Vec<&str> = a.include.iter().map(|s| format::status(*s)).collect();
    let threat_names: Vec<&str> = a
        .scope
        .threats
        .all()
        .map(|(_, r)| r.name.as_str())
        .collect();
    html! {
        section #summary {
            div.wrap {
                h2 { "Summary" }
                p.lead {
                    @if let Some(org) = &a.organization { (org) "’s " } @else { "The " }
                    "counted defences (" (statuses.join(", ")) ") cover "
                    strong { (percent(a.overall)) }
                    " of the " (format::count(counts.in_scope)) " ATT&CK techniques and sub-techniques in scope"
                    @if let Some(w) = a.overall_weighted {
                        ", and " strong { (percent(w)) } " when weighted by the techniques the selected threats use"
                    }
                    ". " (format::count(levels.none)) " of them have no coverage at all."
                }
                div.kpis {
                    div.kpi.kpi-main #kpi-overall data-value=(a.overall) {
                        div.kpi-label { "Overall coverage" }
                        div.kpi-value { (percent(a.overall)) }
                        (bar(a.overall))
                        div.kpi-note { "Mean score of the techniques and sub-techniques in scope" }
                    }
                    div.kpi.kpi-main.weighted #kpi-weighted data-value=[a.overall_weighted] {
                        div.kpi-label { "Threat-weighted coverage" }
                        @match a.overall_weighted {
                            Some(w) => {
                                div.kpi-value { (percent(w)) }
                                (bar(w))
                                div.kpi-note { "Weighted by use by " (threat_names.join(", ")) }
                            }
                            None => {
                                div.kpi-value.kpi-na { "n/a" }
                                div.kpi-note {
                                    @if a.has_threats() { "No technique in scope is used by the selected threats" }
                                    @else { "No threats selected in the inventory's scope" }
                                }
                            }
                        }
                    }
                    div.kpi #kpi-in-scope data-value=(counts.in_scope) {
                        div.kpi-label { "Techniques and sub-techniques in scope" }
                        div.kpi-value { (format::count(counts.in_scope)) }
                        div.kpi-note {
                            "of " (format::count(counts.leaves)) " active techniques and sub-techniques; "
                            (format::count(counts.excluded)) " out of scope"
                        }
                    }
                    div.kpi #kpi-capabilities data-value=(counted) {
                        div.kpi-label { "Capabilities counted" }
                        div.kpi-value { (counted) span.kpi-of { " of " (a.capabilities.len()) } }
                        div.kpi-note { "Statuses counted: " (statuses.join(", ")) }
                    }
                    (level_card(a))
                    (function_card(a))
                }
                (print_lists(input, top_gaps))
            }
        }
    }
}

/// Print only: the first actions of the plan (when there are any) and the first gaps, so
/// that page 1 holds the whole executive summary.
fn print_lists(input: &ReportInput<'_>, top_gaps: usize) -> Markup {
    let a = input.assessment;
    let actions = input
        .plan
        .map(|p| {
            p.actions
                .get(..PRINT_ACTIONS.min(p.actions.len()))
                .unwrap_or_default()
        })
        .unwrap_or_default();
    let currency = a
        .capabilities
        .iter()
        .find_map(|c| c.cost.as_ref().map(|k| k.currency.as_str()))
        .unwrap_or("");
    let shown = PRINT_GAPS.min(top_gaps).min(input.gaps.len());
    let gaps = input.gaps.get(..shown).unwrap_or_default();
    html! {
        div.print-only.exec-lists {
            @if !actions.is_empty() {
                div #exec-actions {
                    h3 { "Top actions" }
                    table.data.exec {
                        thead { tr { th.num { "#" } th { "Action" } th.num { "Gain" } th.num { "Yearly cost" } th.num { "Coverage after" } } }
                        tbody {
                            @for action in actions {
                                tr data-id=(action.id) {
                                    td.num { (action.rank) }
                                    td { (action.name) }
                                    td.num { (format::points(action.gain)) }
                                    td.num { @match action.cost { Some(cost) => (format::money(cost, currency)), None => "unknown" } }
                                    td.num { (percent(action.cumulative_overall)) }
                                }
                            }
                        }
                    }
                }
            }
            @if !gaps.is_empty() {
                div #exec-gaps {
                    h3 { "Top gaps" }
                    table.data.exec {
                        thead { tr { th.num { "#" } th { "Technique" } th { "Score" } th.num { "Priority" } } }
                        tbody {
                            @for gap in gaps {
                                tr data-id=(gap.id) {
                                    td.num { (gap.rank) }
                                    td { span.rid { (gap.id) } " " (gap.name) }
                                    td { span class=(format!("pill lvl-{}", format::level(gap.level))) { (percent(gap.score)) } }
                                    td.num { (format!("{:.2}", gap.gap_priority)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// How many techniques in scope are at each display level.
fn level_card(a: &Assessment) -> Markup {
    let levels = &a.counts.by_level;
    let in_scope = a.counts.in_scope.max(1);
    let share = |n: usize| {
        #[allow(clippy::cast_precision_loss)] // counts of techniques are far below 2^52
        let share = n as f64 / in_scope as f64;
        share
    };
    let level_rows = [
        ("none", "No coverage", levels.none),
        ("low", "Low", levels.low),
        ("medium", "Medium", levels.medium),
        ("high", "High", levels.high),
    ];
    let thresholds = &a.scoring.thresholds;
    html! {
        div.kpi.kpi-wide #kpi-levels {
            div.kpi-label { "Techniques and sub-techniques by coverage level" }
            div.stack aria-hidden="true" {
                @for (class, _, n) in level_rows {
                    @if n > 0 {
                        span class=(format!("stack-part lvl-{class}")) style=(format!("width:{:.2}%", share(n) * 100.0)) {}
                    }
                }
            }
            ul.legend-levels {
                @for (class, label, n) in level_rows {
                    li data-level=(class) {
                        span class=(format!("dot lvl-{class}")) {}
                        span.lv-label { (label) }
                        span.lv-count { (format::count(n)) }
                    }
                }
            }
            div.kpi-note {
                "Low: above 0, below " (percent(thresholds.medium)) "; medium: from "
                (percent(thresholds.medium)) "; high: from " (percent(thresholds.high))
            }
        }
    }
}

/// The mean score of each function.
fn function_card(a: &Assessment) -> Markup {
    html! {
        div.kpi.kpi-wide #kpi-functions {
            div.kpi-label { "Coverage by function" }
            table.fn-table {
                @for f in Function::ALL {
                    @let value = a.functions.get(f);
                    tr data-function=(f.as_str()) data-value=(value) {
                        th { (format::function(f)) @if a.scoring.headline.functions.contains(&f) { span.hl-mark title="Part of the headline score" { "•" } } }
                        td.fn-bar { (bar(value)) }
                        td.num { (percent(value)) }
                    }
                }
            }
            div.kpi-note { "• part of the headline score" }
        }
    }
}

/// The heatmap with its filters, the hover tip and the technique panel.
pub(super) fn matrix(input: &ReportInput<'_>, options: &RenderOptions, pieces: &Pieces) -> Markup {
    let a = input.assessment;
    let counted: Vec<_> = a.capabilities.iter().filter(|c| c.counted).collect();
    html! {
        section #matrix {
            div.wrap {
                h2 { "ATT&CK matrix" }
                p.lead {
                    @if options.view == View::Visibility {
                        "Each cell is a technique, coloured by its visibility score (the larger of visibility entries and what the collected telemetry shows); sub-techniques are listed under their parent where a family has a gap. "
                    } @else {
                        "Each cell is a technique, coloured by its coverage score; sub-techniques are listed under their parent where a family has a gap. "
                    }
                    "Hover a cell for its score, click it for the evidence and what would close the gap."
                }
                div.filters #filters role="group" aria-label="Filters" {
                    div.filter {
                        span.filter-label { "Tactics" }
                        div.chips #filter-tactics {
                            @for t in &a.tactics {
                                label.chip { input type="checkbox" value=(t.shortname) checked; span { (t.name) } }
                            }
                        }
                    }
                    div.filter-row {
                        label.filter {
                            span.filter-label { "Platform" }
                            select #filter-platform {
                                option value="" { "All platforms" }
                                @for p in &a.scope.platforms { option value=(p) { (p) } }
                            }
                        }
                        label.filter {
                            span.filter-label { "Capability" }
                            select #filter-capability {
                                option value="" { "All capabilities" }
                                @for c in &counted { option value=(c.id) { (c.name) } }
                            }
                        }
                        button.reset type="button" #filter-reset { "Reset filters" }
                        button.reset type="button" #fit-toggle aria-pressed="false" { "Fit to width" }
                        span.filter-status #filter-status aria-live="polite" {}
                    }
                }
                div.heatmap-frame #heatmap-frame { (PreEscaped(svg_element(&pieces.heatmap))) }
                @if let Some(geometry) = &pieces.heatmap_geometry {
                    (super::print::matrix_pages(a, geometry, options.palette, options.view == View::Weighted && a.has_threats()))
                }
            }
        }
        div.tip #tip hidden role="tooltip" {}
        aside.panel #panel hidden aria-labelledby="panel-id" {
            div.panel-head {
                div {
                    div.panel-id #panel-id {}
                    h3.panel-name #panel-name {}
                }
                button.panel-close #panel-close type="button" aria-label="Close" { "×" }
            }
            div.panel-body #panel-body {}
        }
    }
}

/// The per-tactic chart and table.
pub(super) fn tactics(input: &ReportInput<'_>, pieces: &Pieces) -> Markup {
    let a = input.assessment;
    let weighted = a.has_threats();
    html! {
        section #tactics {
            div.wrap {
                h2 { "Coverage by tactic" }
                p.lead { "Mean score of each tactic's techniques in scope, in the order of the ATT&CK matrix." }
                div.chart { (PreEscaped(svg_element(&pieces.tactics_chart))) }
                table.data #tactic-table {
                    thead { tr {
                        th { "Tactic" } th { "Coverage" }
                        @if weighted { th { "Threat-weighted" } }
                        th.num { "In scope" } th.num { "Out of scope" }
                        @for (class, label) in [("none", "None"), ("low", "Low"), ("medium", "Medium"), ("high", "High")] {
                            th.num { span class=(format!("dot-inline lvl-{class}")) {} (label) }
                        }
                    } }
                    tbody {
                        @for t in &a.tactics { (tactic_row(t, weighted)) }
                    }
                }
            }
        }
    }
}

fn tactic_row(t: &TacticResult, weighted: bool) -> Markup {
    html! {
        tr data-tactic=(t.shortname) {
            td { span.rid { (t.id) } " " (t.name) }
            @if t.leaves == 0 {
                td { span.muted { "nothing in scope" } }
                @if weighted { td { span.muted { "–" } } }
            } @else {
                td { (score_cell(t.score)) }
                @if weighted {
                    td.weighted { @match t.score_weighted { Some(w) => (score_cell(w)), None => span.muted { "not used by the threats" } } }
                }
            }
            td.num { (t.leaves) } td.num { (t.excluded) }
            td.num { (t.by_level.none) } td.num { (t.by_level.low) }
            td.num { (t.by_level.medium) } td.num { (t.by_level.high) }
        }
    }
}

/// The most urgent gaps with what would close them.
pub(super) fn gaps(input: &ReportInput<'_>, top: usize) -> Markup {
    let a = input.assessment;
    let shown = input
        .gaps
        .get(..top.min(input.gaps.len()))
        .unwrap_or_default();
    let weighted = a.has_threats();
    html! {
        section #gaps {
            div.wrap {
                h2 { "Top gaps" }
                @if !input.gaps.is_empty() { p.lead {
                    @if shown.len() == input.gaps.len() { "All " } @else { "The " (shown.len()) " most urgent of " }
                    (format::count(input.gaps.len()))
                    " techniques and sub-techniques in scope that are not fully covered, ranked by "
                    @if weighted { "threat weight × (1 − score): how many selected threats use a technique, times how much of it is uncovered" }
                    @else { "how much of each is uncovered (1 − score)" }
                    ". ATT&CK's mitigations and detection strategies for each are what would close it."
                } }
                @if input.gaps.is_empty() {
                    p.empty { "No gaps: every technique in scope is fully covered." }
                } @else if shown.is_empty() {
                    p.empty { "No gap is listed (the report was asked for the top 0)." }
                } @else {
                    table.data.gaps #gap-table {
                        thead { tr {
                            th.num { "#" } th { "Technique" } th { "Tactics" } th { "Score" }
                            @if weighted { th.num { "Threats" } }
                            th.num { "Priority" } th { "Mitigations" } th { "Detection strategies" }
                        } }
                        tbody {
                            @for gap in shown { (gap_row(a, gap, weighted)) }
                        }
                    }
                }
            }
        }
    }
}

fn gap_row(a: &Assessment, gap: &Gap, weighted: bool) -> Markup {
    html! {
        tr data-id=(gap.id) {
            td.num.rank { (gap.rank) }
            td.tech {
                (technique_ref(&gap.id, &gap.name))
                @for note in &gap.notes { div.note { (note) } }
            }
            td.small { (tactic_names(a, &gap.tactics)) }
            td { span class=(format!("pill lvl-{}", format::level(gap.level))) { (percent(gap.score)) } }
            @if weighted {
                td.num title=(gap.threats.iter().map(|t| t.name.as_str()).chain(gap.threat_profiles.iter().map(|p| p.name.as_str())).collect::<Vec<_>>().join(", ")) { (covmap_assess::score::weight_label(gap.weight)) }
            }
            td.num { (format!("{:.2}", gap.gap_priority)) }
            td.small {
                @if gap.mitigations.is_empty() { span.muted { "none in ATT&CK" } } @else { (named_refs(&gap.mitigations)) }
            }
            td.small {
                @if gap.detection_strategies.is_empty() {
                    @if gap.data_components.is_empty() && gap.data_sources.is_empty() { span.muted { "none in ATT&CK" } }
                    @else if !gap.data_components.is_empty() { span.muted { "Data components: " } (named_refs(&gap.data_components)) }
                    @else { span.muted { "Data sources: " } (gap.data_sources.join(", ")) }
                } @else { (named_refs(&gap.detection_strategies)) }
            }
        }
    }
}

/// How many actions and mitigations "What to do next" shows (plan.csv has them all).
const PLAN_SHOWN: usize = 10;

/// "What to do next": the first actions of `covmap plan` with their gain and cost,
/// then ATT&CK's mitigations by the weighted gap they address (the roll-up of `gaps --by
/// mitigation`).
pub(super) fn plan(input: &ReportInput<'_>, plan: &Plan) -> Markup {
    let a = input.assessment;
    let weighted = a.has_threats();
    let shown = plan
        .actions
        .get(..PLAN_SHOWN.min(plan.actions.len()))
        .unwrap_or_default();
    // Costs are in the capabilities' currency (`covmap plan` refuses mixed currencies).
    let currency = a
        .capabilities
        .iter()
        .find_map(|c| c.cost.as_ref().map(|k| k.currency.as_str()))
        .unwrap_or("");
    let mitigations = rollup_gaps(a, input.gaps, By::Mitigation);
    let top_mitigations = mitigations
        .get(..PLAN_SHOWN.min(mitigations.len()))
        .unwrap_or_default();
    html! {
        section #plan {
            div.wrap {
                h2 { "What to do next" }
                p.lead {
                    "The next best actions, picked one at a time by "
                    @if weighted { "threat-weighted " }
                    "coverage gained per yearly cost (free actions first, actions without a known cost last, by gain), each re-scored after the ones before it. "
                    "Mitigations are assumptions: " (plan.mitigation_assumption) ". "
                    "All " (format::count(plan.actions.len())) " actions are in plan.csv."
                }
                @if shown.is_empty() {
                    p.empty { "No action would raise coverage." }
                } @else {
                    table.data #plan-table {
                        thead { tr {
                            th.num { "#" } th { "Action" } th { "Kind" } th.num { "Yearly cost" }
                            th.num { "Gain" } @if weighted { th.num { "Weighted gain" } }
                            th.num { "Coverage after" } @if weighted { th.num { "Weighted after" } }
                            th.num { "Techniques raised" }
                        } }
                        tbody {
                            @for action in shown {
                                tr data-id=(action.id) data-kind=(action.kind.as_str()) {
                                    td.num.rank { (action.rank) }
                                    @if action.kind == ActionKind::LogSource {
                                        td { (action.name) }
                                    } @else {
                                        td { span.rid { (action.id) } " " (action.name) }
                                    }
                                    td.small {
                                        @match action.kind {
                                            ActionKind::Candidate => "deploy candidate",
                                            ActionKind::Mitigation => "mitigation (what-if)",
                                            ActionKind::Test => "test claims",
                                            ActionKind::LogSource => "log source (what-if)",
                                        }
                                    }
                                    td.num {
                                        @match action.cost {
                                            Some(cost) => (format::money(cost, currency)),
                                            None => span.muted { "unknown" },
                                        }
                                    }
                                    td.num { (format::points(action.gain)) }
                                    @if weighted { td.num { (action.weighted_gain.map(format::points).unwrap_or_default()) } }
                                    td.num { (percent(action.cumulative_overall)) }
                                    @if weighted { td.num { (action.cumulative_weighted.map(percent).unwrap_or_default()) } }
                                    td.num { (action.techniques.len()) }
                                }
                            }
                        }
                    }
                    @if let Some(budget) = plan.budget {
                        p.small { "Spent " (format::money(plan.spent, currency)) " of a budget of " (format::money(budget, currency)) "." }
                    }
                }
                h3 { "Mitigations by the gaps they address" }
                @if top_mitigations.is_empty() {
                    p.empty { "No ATT&CK mitigation addresses a gap in scope." }
                } @else {
                    table.data #plan-mitigations {
                        thead { tr {
                            th { "Mitigation" } th.num { "Gaps" } th.num { "Σ priority" } th { "Most urgent gaps" }
                        } }
                        tbody {
                            @for row in top_mitigations {
                                tr data-id=(row.id) {
                                    td { (named_refs(std::slice::from_ref(&NamedRef { id: row.id.clone(), name: row.name.clone() }))) }
                                    td.num { (row.techniques) }
                                    td.num { (format!("{:.2}", row.priority)) }
                                    td.small { (row.top.iter().map(|t| t.id.as_str()).collect::<Vec<_>>().join(", ")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What candidate products would add, and what retiring capabilities would lose.
pub(super) fn comparison(comparison: &Comparison, pieces: &Pieces) -> Markup {
    let weighted = comparison.baseline.overall_weighted.is_some();
    let statuses: Vec<&str> = comparison
        .include
        .iter()
        .map(|s| format::status(*s))
        .collect();
    html! {
        section #comparison {
            div.wrap {
                h2 { "Candidate comparison" }
                p.lead {
                    "What each candidate would add to the current baseline ("
                    (statuses.join(", ")) ": " strong { (percent(comparison.baseline.overall)) } " overall"
                    @if let Some(w) = comparison.baseline.overall_weighted { ", " strong { (percent(w)) } " threat-weighted" }
                    "). Gains are in percentage points (pp) of overall coverage; cost per point is the annual cost of one point."
                }
                @if let Some(chart) = &pieces.comparison_chart {
                    div.chart { (PreEscaped(svg_element(chart))) }
                }
                @if !comparison.candidates.is_empty() {
                    table.data #candidate-table {
                        thead { tr {
                            th { "Candidate" } th { "Coverage after" } th.num { "Gain" }
                            @if weighted { th.num { "Weighted gain" } }
                            th.num { "Annual cost" } th.num { "Cost per point" }
                            th.num { "Newly covered" } th.num { "Improved" } th.num { "Redundant" }
                        } }
                        tbody {
                            @for c in &comparison.candidates { (candidate_row(c, weighted)) }
                        }
                    }
                    p.small.muted {
                        "Newly covered: the score goes from 0 to above 0. Improved: an already covered technique rises by a point or more. "
                        "Redundant: covered already, the candidate covers it too, and it rises by less than a point."
                    }
                }
                @if let Some(h) = &comparison.head_to_head { (head_to_head_block(h)) }
                @if let Some(without) = &comparison.without { (without_block(without)) }
                @for r in &comparison.replacements { (replacement_block(r)) }
            }
        }
    }
}

fn candidate_row(c: &CandidateResult, weighted: bool) -> Markup {
    html! {
        tr data-candidate=(c.label) {
            td {
                div.cand-label { (c.name) }
                @if c.label != c.name { div.small.muted.cand-from { (c.label) } }
                @if !c.newly_covered.is_empty() {
                    details.newly {
                        summary { "Newly covered techniques" }
                        ul.refs { @for l in &c.newly_covered { li { span.rid { (l.id) } " " (l.name) " " span.muted { (percent(l.after)) } } } }
                    }
                }
            }
            td { (score_cell(c.after.overall)) }
            td.num.gain { (format::points(c.gain)) }
            @if weighted { td.num { @match c.gain_weighted { Some(g) => (format::points(g)), None => "–" } } }
            td.num { @match &c.annual_cost { Some(cost) => (format::cost(cost)), None => span.muted { "–" } } }
            td.num {
                @match (c.cost_per_point, &c.annual_cost) {
                    (Some(per), Some(cost)) => (format::money(per, &cost.currency)),
                    _ => span.muted { "–" },
                }
            }
            td.num.newly-count { (c.newly_covered.len()) }
            td.num { (c.improved.len()) }
            td.num { (c.redundant.len()) }
        }
    }
}

/// Leaves with their score before and after, in a collapsed list.
fn leaf_list(summary: &str, leaves: &[LeafChange]) -> Markup {
    html! {
        @if !leaves.is_empty() {
            details.newly {
                summary { (summary) }
                ul.refs { @for l in leaves { li { span.rid { (l.id) } " " (l.name) " " span.muted { (percent(l.before)) " → " (percent(l.after)) } } } }
            }
        }
    }
}

/// What each candidate covers that the others do not.
fn head_to_head_block(h: &HeadToHead) -> Markup {
    html! {
        h3 { "Head to head" }
        p { "Techniques in scope each candidate covers on its own that the other candidates do not; “gains” are those that would rise by a point or more over the baseline. "
            (h.shared.len()) " techniques are covered by all of them." }
        table.data #head-to-head {
            thead { tr {
                th { "Candidate" } th.num { "Covers" } th.num { "Only it covers" } th.num { "Of which gains" } th { "Only it covers" }
            } }
            tbody {
                @for d in &h.candidates {
                    tr data-candidate=(d.label) {
                        td { div.cand-label { (d.name) } @if d.label != d.name { div.small.muted { (d.label) } } }
                        td.num { (d.covers) }
                        td.num.unique-count { (d.unique.len()) }
                        td.num { (d.unique_gains) }
                        td { (leaf_list(&format!("{} techniques", d.unique.len()), &d.unique)) }
                    }
                }
            }
        }
        @if h.pairs.len() > 1 {
            table.data #head-to-head-pairs {
                thead { tr { th { "Pair" } th.num { "Only the first" } th.num { "Only the second" } th.num { "Both" } } }
                tbody {
                    @for p in &h.pairs {
                        tr { td { (p.a) " vs " (p.b) } td.num { (p.a_only) } td.num { (p.b_only) } td.num { (p.both) } }
                    }
                }
            }
        }
    }
}

/// The net effect of one swap.
fn replacement_block(r: &ReplacementResult) -> Markup {
    html! {
        div.replacement data-old=(r.old) data-new=(r.new) {
            h3 { "Replacing " (r.old_name) " by " (r.new_name) }
            p {
                "Coverage would be " strong { (percent(r.overall_after)) } " (" (format::points(r.change)) ")"
                @if let (Some(w), Some(c)) = (r.weighted_after, r.change_weighted) { ", " (percent(w)) " threat-weighted (" (format::points(c)) ")" }
                "; " (r.newly_covered.len()) " techniques newly covered, " (r.improved.len()) " improved, "
                (r.weakened.len()) " weakened and " (r.fall_to_zero.len()) " losing all coverage. "
                @match &r.annual_cost_change {
                    Some(cost) => { "Annual cost change: " @if cost.annual > 0.0 { "+" } (format::money(cost.annual, &cost.currency)) "." },
                    None => { "Annual cost change unknown (a cost is missing or the currencies differ)." },
                }
            }
            (leaf_list("Techniques losing all coverage", &r.fall_to_zero))
            (leaf_list("Techniques newly covered", &r.newly_covered))
        }
    }
}

fn without_block(w: &WithoutResult) -> Markup {
    html! {
        h3 { "Retiring " (w.removed.join(", ")) }
        p {
            "Coverage would drop by " strong { (format::points(w.drop)) } " to " (percent(w.after.overall))
            @if let Some(d) = w.drop_weighted { " (" (format::points(d)) " threat-weighted)" }
            "; " (w.fall_to_zero.len()) " techniques would lose all coverage and " (w.weakened.len()) " would weaken."
            @if !w.not_counted.is_empty() { " Not counted in the baseline: " (w.not_counted.join(", ")) "." }
        }
        @for spof in &w.single_points_of_failure {
            @if !spof.leaves.is_empty() {
                details.newly {
                    summary { (spof.name) ": the only coverage of " (spof.leaves.len()) " techniques" }
                    ul.refs { @for l in &spof.leaves { li { span.rid { (l.id) } " " (l.name) } } }
                }
            }
        }
    }
}

/// How well the techniques of each selected threat are covered.
pub(super) fn threats(threats: &[ThreatCoverage], pieces: &Pieces) -> Markup {
    html! {
        section #threats {
            div.wrap {
                h2 { "Threat exposure" }
                p.lead { "For each selected threat, the share of the techniques it is known to use (in scope) that have some coverage, and its largest remaining gaps." }
                @if let Some(chart) = &pieces.threats_chart {
                    div.chart { (PreEscaped(svg_element(chart))) }
                }
                table.data #threat-table {
                    thead { tr {
                        th { "Threat" } th { "Kind" } th.num { "Techniques used" } th.num { "In scope" }
                        th.num { "Covered" } th { "Mean score" } th { "Largest gaps" }
                    } }
                    tbody {
                        @for t in threats {
                            tr data-threat=(t.id) {
                                td { span.rid { (t.id) } " " (t.name) (external_link(&t.id)) }
                                td { (format::actor_kind(t.kind)) }
                                td.num { (t.techniques) }
                                td.num { (t.in_scope) }
                                td.num { (t.covered) " " span.muted { "(" (percent(t.covered_share)) ")" } }
                                td { (score_cell(t.score)) }
                                td.small {
                                    @for g in t.uncovered.iter().take(THREAT_GAPS_SHOWN) {
                                        div { button.open type="button" data-open=(g.id) { (g.id) } " " (g.name) " " span.muted { (percent(g.score)) } }
                                    }
                                    @if t.uncovered.len() > THREAT_GAPS_SHOWN {
                                        div.muted { "and " (t.uncovered.len() - THREAT_GAPS_SHOWN) " more" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The capabilities of the inventory.
pub(super) fn capabilities(a: &Assessment) -> Markup {
    html! {
        section #capabilities {
            div.wrap {
                h2 { "Capabilities" }
                p.lead { "Every capability of the inventory; only those with a counted status score. “Techniques” is the number in scope each one has an entry on." }
                table.data #capability-table {
                    thead { tr {
                        th { "Capability" } th { "Vendor" } th { "Status" } th { "Platforms" }
                        th.num { "Techniques" } th.num { "Annual cost" } th { "Owner" }
                    } }
                    tbody {
                        @for c in &a.capabilities {
                            tr data-capability=(c.id) class=[(!c.counted).then_some("not-counted")] {
                                td { div { (c.name) } div.small.muted.mono { (c.id) } }
                                td { @if let Some(v) = &c.vendor { (v) } }
                                td { span class=(format!("status st-{}", format::status(c.status))) { (format::status(c.status)) } }
                                td.small { (c.platforms.join(", ")) }
                                td.num { (c.leaves_covered) }
                                td.num { @if let Some(cost) = &c.cost { (format::cost(cost)) } }
                                td { @if let Some(o) = &c.owner { (o) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// How the numbers were made, and from what.
pub(super) fn methodology(input: &ReportInput<'_>) -> Markup {
    let a = input.assessment;
    let s = &a.scoring;
    let headline: Vec<&str> = s.headline.functions.iter().map(|f| f.as_str()).collect();
    let statuses: Vec<&str> = a.include.iter().map(|st| format::status(*st)).collect();
    let threats: Vec<_> = a.scope.threats.all().collect();
    let profiles = &a.scope.threats.profiles;
    html! {
        section #methodology {
            div.wrap {
                h2 { "Methodology" }
                div.method-grid {
                    div.method-text {
                        h3 { "How coverage is scored" }
                        p { "The unit is the leaf technique: every sub-technique, and every technique without sub-techniques. Each coverage entry of a capability is worth its level times a confidence factor. For one technique, function and platform, each capability counts once (its best entry) and capabilities combine by " (format::combine_rule(s.combine)) "." }
                        p { "A function's score is the mean over the technique's platforms in scope (an uncovered platform counts 0). The headline score of a technique combines " (headline.join(" and ")) " by " (format::combine_rule(s.headline.combine)) ". A parent technique's cell shows the " (format::rollup(s.rollup)) "; claims on a parent without its sub-techniques are shown as parent-level evidence and never score." }
                        p { "Overall coverage is the mean headline score of the techniques in scope; a tactic's is the mean over its techniques."
                            @if a.has_threats() { " The threat-weighted score weights each technique by the number of selected threats that use it (Σ weight × score / Σ weight)." } }
                    }
                    div.method-params {
                        h3 { "Scoring parameters" }
                        table.params #scoring-params {
                            tr { th { "Level values" } td { "minimal " (format::parameter(s.levels.minimal)) ", partial " (format::parameter(s.levels.partial)) ", significant " (format::parameter(s.levels.significant)) } }
                            tr { th { "Confidence factors" } td { "claimed " (format::parameter(s.confidence.claimed)) ", configured " (format::parameter(s.confidence.configured)) ", tested " (format::parameter(s.confidence.tested)) } }
                            tr { th { "Default confidence" } td { (format::confidence(s.default_confidence())) } }
                            tr { th { "Combining capabilities" } td { (format::combine(s.combine)) } }
                            tr { th { "Headline score" } td { (headline.join(" + ")) ", combined by " (format::combine_rule(s.headline.combine)) } }
                            tr { th { "Parent roll-up" } td { (format::rollup(s.rollup)) } }
                            tr { th { "Levels" } td { "none = 0; low below " (format::parameter(s.thresholds.medium)) "; medium from " (format::parameter(s.thresholds.medium)) "; high from " (format::parameter(s.thresholds.high)) } }
                        }
                    }
                }
                h3 { "Sources" }
                table.params #sources {
                    tr { th { "ATT&CK" } td { (a.attack.name) ", domain " (a.attack.domain) @if let Some(v) = &a.attack.version { ", version " (v) } } }
                    tr { th { "covmap" } td { "version " (a.covmap_version) ", assessment format " (a.format) } }
                    tr { th { "Statuses counted" } td { (statuses.join(", ")) } }
                    @if let Some(date) = input.date { tr { th { "Report date" } td { (date) } } }
                    tr { th { "Platforms in scope" } td { @if a.scope.platforms.is_empty() { "all of the domain" } @else { (a.scope.platforms.join(", ")) } } }
                    tr { th { "Threats" } td {
                        @if threats.is_empty() {
                            @if profiles.is_empty() { "none selected" } @else { "threat profiles only (below)" }
                        }
                        @for (i, (kind, r)) in threats.iter().enumerate() {
                            @if i > 0 { ", " }
                            (r.name) " (" (r.id) ", " (format::actor_kind(*kind).to_lowercase()) ")"
                        }
                    } }
                    // each threat profile with its file, format and weight.
                    @if !profiles.is_empty() {
                        tr { th { "Threat profiles" } td {
                            @for (i, p) in profiles.iter().enumerate() {
                                @if i > 0 { "; " }
                                (p.name) " (" (p.format.as_str()) " file " span.mono { (p.path) } ", weight " (p.weight) ", " (p.techniques) " techniques)"
                            }
                        } }
                    }
                }
                h3 { "Inventory files" }
                table.data #files {
                    thead { tr { th { "File" } th { "SHA-256" } } }
                    tbody { @for f in &a.files { tr { td.mono { (f.path) } td.mono.hash { (f.sha256) } } } }
                }
                @if !a.scope.exclusions.is_empty() {
                    h3 { "Exclusions" }
                    table.data #exclusions {
                        thead { tr { th { "Technique" } th { "Reason" } th { "Where" } } }
                        tbody { @for e in &a.scope.exclusions {
                            tr { td { span.rid { (e.id) } " " (e.name) } td { (e.reason) } td.mono.small { (e.at) } }
                        } }
                    }
                }
            }
        }
    }
}

/// The footer.
pub(super) fn footer(a: &Assessment) -> Markup {
    html! {
        footer.foot {
            div.wrap {
                "Generated by covmap " (a.covmap_version) " from the inventory files listed under Methodology. "
                "MITRE ATT&CK® is a registered trademark of The MITRE Corporation."
            }
        }
    }
}

/// The `<svg>` element of a drawn SVG document, without an XML declaration or doctype (which
/// mean nothing inside HTML).
pub(super) fn svg_element(svg: &str) -> &str {
    svg.find("<svg").and_then(|i| svg.get(i..)).unwrap_or(svg)
}

/// How many quick wins and onboarding steps the Telemetry section shows (telemetry.csv and
/// backlog.csv have them all).
const TELEMETRY_SHOWN: usize = 10;

/// Mean `visibility` function of a tactic's leaves in scope, and how many have any: (tactic,
/// leaves, mean, visible).
fn visibility_by_tactic(a: &Assessment) -> Vec<(&TacticResult, usize, f64, usize)> {
    a.tactics
        .iter()
        .map(|t| {
            let (mut n, mut sum, mut visible) = (0usize, 0.0, 0usize);
            for leaf in a
                .leaves_in_scope()
                .filter(|l| l.tactics.iter().any(|s| s == &t.shortname))
            {
                n += 1;
                sum += leaf.functions.visibility.score;
                if leaf.functions.visibility.score > 0.0 {
                    visible += 1;
                }
            }
            (t, n, if n == 0 { 0.0 } else { sum / n as f64 }, visible)
        })
        .collect()
}

/// The Telemetry section: visibility by tactic, quick wins and onboarding, from the analysis
/// of the inventory's `telemetry:` section; without one, it says so.
pub(super) fn telemetry(input: &ReportInput<'_>) -> Markup {
    let a = input.assessment;
    let weighted = a.has_threats();
    html! {
        section #telemetry {
            div.wrap {
                h2 { "Telemetry" }
                @match input.telemetry {
                    None => {
                        p.empty #no-telemetry { (no_telemetry_note(a)) }
                    }
                    Some(report) => {
                        @let feasible = report.analytics.iter().filter(|x| x.feasible).count();
                        p.lead {
                            "What the logs collected make visible (" (format::count(report.counted)) " of "
                            (format::count(report.entries)) " telemetry entries counted): "
                            (format::count(feasible)) " of " (format::count(report.analytics.len()))
                            " ATT&CK analytics on the platforms in scope are feasible (every log source they need is collected); "
                            "mean visibility " (percent(report.visibility))
                            @if weighted { ", threat-weighted " (percent(report.visibility_weighted)) }
                            ". A leaf's visibility is the larger of its typed visibility entries and the best analytic's share of log sources collected, times the telemetry's quality."
                        }
                        @for note in &report.notes { p.small.note { (note) } }
                        h3 { "Visibility by tactic" }
                        table.data #telemetry-tactics {
                            thead { tr {
                                th { "Tactic" } th { "Visibility" } th.num { "In scope" } th.num { "Visible" }
                            } }
                            tbody {
                                @for (t, n, mean, visible) in visibility_by_tactic(a) {
                                    tr data-tactic=(t.shortname) {
                                        td { span.rid { (t.id) } " " (t.name) }
                                        @if n == 0 { td { span.muted { "nothing in scope" } } } @else { td { (score_cell(mean)) } }
                                        td.num { (n) } td.num { (visible) }
                                    }
                                }
                            }
                        }
                        h3 { "Quick wins: detections to build from logs already collected" }
                        @if report.quick_wins.is_empty() {
                            p.empty { "No quick win: no technique in scope without detect coverage has a feasible analytic." }
                        } @else {
                            p.small {
                                (format::count(report.quick_wins.len()))
                                " techniques in scope have no detect coverage but a feasible analytic, by threat weight; all are in backlog.csv."
                            }
                            table.data #quick-wins {
                                thead { tr {
                                    th.num { "#" } th { "Technique" } @if weighted { th.num { "Weight" } }
                                    th { "Feasible analytics" } th { "Detection strategies" }
                                } }
                                tbody {
                                    @for q in report.quick_wins.iter().take(TELEMETRY_SHOWN) {
                                        tr data-id=(q.id) {
                                            td.num.rank { (q.rank) }
                                            td.tech { (technique_ref(&q.id, &q.name)) }
                                            @if weighted { td.num { (covmap_assess::score::weight_label(q.weight)) } }
                                            td.small { (q.analytics.join(", ")) }
                                            td.small { (named_refs(&q.detection_strategies)) }
                                        }
                                    }
                                }
                            }
                        }
                        h3 { "Log sources to collect next" }
                        @if report.onboarding.is_empty() {
                            p.empty { "No log source named by an ATT&CK analytic would raise visibility." }
                        } @else {
                            p.small {
                                "Picked one at a time by the " @if weighted { "threat-weighted " }
                                "visibility each adds after the ones before it, assuming it is collected in full on every platform in scope; "
                                (format::count(report.onboarding.len())) " steps in telemetry.csv. "
                                (format::count(report.blind_spots.len())) " techniques in scope have no feasible analytic yet (blind spots)."
                            }
                            table.data #onboarding {
                                thead { tr {
                                    th.num { "#" } th { "Log source" } th { "Channel" }
                                    th.num { @if weighted { "Weighted gain" } @else { "Gain" } }
                                    th.num { "Visibility after" } th.num { "Analytics made feasible" } th.num { "Techniques raised" }
                                } }
                                tbody {
                                    @for s in report.onboarding.iter().take(TELEMETRY_SHOWN) {
                                        tr {
                                            td.num.rank { (s.rank) }
                                            td { (s.name) }
                                            td.small { (s.channel) }
                                            td.num { (format::points(s.weighted_gain)) }
                                            td.num { (percent(s.cumulative_weighted)) }
                                            td.num { (s.analytics_gained.len()) }
                                            td.num { (s.techniques.len()) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What the Telemetry section and sheet say without an analysis: no `telemetry:` section, or
/// (`covmap report`, `compare -o`) an analysis that needs the inventory.
pub(crate) fn no_telemetry_note(a: &Assessment) -> &'static str {
    if a.telemetry.is_some() {
        "The telemetry analysis (quick wins, blind spots, log sources to collect next) needs the inventory: run `covmap assess -o` or `covmap telemetry` on it. The visibility figures of this report include the visibility derived from its telemetry."
    } else {
        "No telemetry described: the inventory has no `telemetry:` section, so no visibility is derived from collected logs. List the log sources you collect (docs/inventory.md, or `covmap import sysmon`) to see which ATT&CK analytics are feasible, the detections you could build now and which log source to collect next."
    }
}
