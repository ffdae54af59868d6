//! The tables that both the CSV files and the workbook show: techniques, gaps, tactics,
//! capabilities and candidates compared. Each table is built once, as rows of typed [`Cell`]s,
//! and each format renders the same rows in its own way (`csv_out` writes fractions with 6
//! decimals and protects text against formulas; `xlsx` writes numbers with number formats).
//!
//! Every column is described once, with its CSV header and its workbook heading. The two
//! formats do not show quite the same columns: a column that only one of them has (or that
//! they place or word differently) says so with [`Column::csv_only`] or [`Column::xlsx_only`].

use std::borrow::Cow;
use std::collections::BTreeSet;

use covmap_assess::compare::Comparison;
use covmap_assess::gaps::Gap;
use covmap_assess::onboarding::TelemetryReport;
use covmap_assess::plan::{ActionKind, Plan};
use covmap_assess::score::{Assessment, Contribution, NamedRef, TechniqueResult};
use serde::Serialize;

/// One cell's value, typed so that each format can show it its own way. CSV writes the
/// fractions (`Percent`, `Points`, `Decimal`) with 6 decimals and other numbers in full.
pub(crate) enum Cell<'a> {
    /// Nothing (a value that does not apply).
    Empty,
    /// Text (empty text is an empty cell).
    Text(Cow<'a, str>),
    /// Short items (ids, platforms, tags): CSV joins them with `; `, the workbook with `, `.
    List(Vec<&'a str>),
    /// ATT&CK objects: `ID: name` in CSV, `ID name` in the workbook, joined with `; `.
    Refs(&'a [NamedRef]),
    /// A yes/no value: `true` / `false` in CSV, `yes` / `no` in the workbook.
    Bool(bool),
    /// A score or share in [0, 1], shown as a percentage in the workbook.
    Percent(f64),
    /// A change of a score in [-1, 1], shown as signed percentage points in the workbook.
    Points(f64),
    /// A value with two decimals in the workbook (priorities, parameters).
    Decimal(f64),
    /// A count or a weight.
    Count(u64),
    /// An amount of money, with thousands separators in the workbook.
    Money(f64),
    /// A date, `YYYY-MM-DD`.
    Date(&'a str),
}

impl<'a> Cell<'a> {
    pub(crate) fn text(text: impl Into<Cow<'a, str>>) -> Cell<'a> {
        Cell::Text(text.into())
    }

    pub(crate) fn opt_text(text: Option<&'a str>) -> Cell<'a> {
        text.map_or(Cell::Empty, Cell::text)
    }

    pub(crate) fn list<S: AsRef<str>>(items: &'a [S]) -> Cell<'a> {
        Cell::List(items.iter().map(AsRef::as_ref).collect())
    }

    pub(crate) fn count(n: usize) -> Cell<'a> {
        Cell::Count(n as u64)
    }

    pub(crate) fn opt_percent(value: Option<f64>) -> Cell<'a> {
        value.map_or(Cell::Empty, Cell::Percent)
    }
}

/// A column's heading in the workbook and its width (in Excel's character units).
#[derive(Clone, Copy)]
pub(crate) struct Heading {
    pub(crate) title: &'static str,
    pub(crate) width: f64,
}

/// A column of a table, in the formats that show it.
pub(crate) struct Column {
    /// CSV header (snake_case); `None`: not in the CSV file.
    pub(crate) csv: Option<&'static str>,
    /// Workbook heading; `None`: not in the workbook.
    pub(crate) xlsx: Option<Heading>,
}

impl Column {
    /// A column of both formats.
    pub(crate) const fn both(csv: &'static str, title: &'static str, width: f64) -> Column {
        Column {
            csv: Some(csv),
            xlsx: Some(Heading { title, width }),
        }
    }

    /// A column of the CSV file only.
    pub(crate) const fn csv_only(csv: &'static str) -> Column {
        Column {
            csv: Some(csv),
            xlsx: None,
        }
    }

    /// A column of the workbook only.
    pub(crate) const fn xlsx_only(title: &'static str, width: f64) -> Column {
        Column {
            csv: None,
            xlsx: Some(Heading { title, width }),
        }
    }
}

/// A table: its columns and, per row, one cell per column.
pub(crate) struct Table<'a> {
    pub(crate) columns: &'static [Column],
    pub(crate) rows: Vec<Vec<Cell<'a>>>,
}

impl<'a> Table<'a> {
    /// A table whose rows have exactly one cell per column (checked by the compiler).
    pub(crate) fn new<const N: usize>(
        columns: &'static [Column; N],
        rows: impl IntoIterator<Item = [Cell<'a>; N]>,
    ) -> Table<'a> {
        Table {
            columns,
            rows: rows.into_iter().map(Vec::from).collect(),
        }
    }
}

/// The name serde gives a value (`noisy-or`, `deployed`, `high`): the spelling of
/// `assessment.json` and of the inventory format.
pub(crate) fn serde_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

/// Tactic shortnames as display names, in matrix order.
fn tactic_names<'a>(assessment: &'a Assessment, shortnames: &'a [String]) -> Cell<'a> {
    Cell::List(
        shortnames
            .iter()
            .map(|s| assessment.tactic_name(s))
            .collect(),
    )
}

/// Contributions for machines: `edr detect 0.720000; siem visibility 0.400000`.
fn contributions_exact(list: &[Contribution]) -> String {
    list.iter()
        .map(|c| format!("{} {} {:.6}", c.id, c.function.as_str(), c.value))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Contributions for people: `edr (detect 0.72); siem (visibility 0.40)`.
fn contributions_short(list: &[Contribution]) -> String {
    list.iter()
        .map(|c| format!("{} ({} {:.2})", c.id, c.function.as_str(), c.value))
        .collect::<Vec<_>>()
        .join("; ")
}

/// What a reader should know beyond the scores: parent-level claims.
fn technique_notes(t: &TechniqueResult) -> String {
    let mut notes = Vec::new();
    if !t.parent_level_only.is_empty() {
        notes.push(format!(
            "covered at parent level only by {}: verify per sub-technique",
            t.parent_level_only.join(", ")
        ));
    }
    if !t.parent_evidence.is_empty() {
        notes.push(format!(
            "parent-level evidence, not scored: {}",
            contributions_short(&t.parent_evidence)
        ));
    }
    notes.join("; ")
}

/// Every technique (leaves and parents, in and out of scope), by ATT&CK ID. The CSV file has
/// the exact contributions and parent-level claims; the workbook has the contributions rounded
/// and the claims in words (notes).
const TECHNIQUE_COLUMNS: [Column; 24] = [
    Column::both("id", "ID", 11.0),
    Column::both("name", "Name", 40.0),
    Column::csv_only("leaf"),
    Column::both("parent", "Parent", 10.0),
    Column::xlsx_only("Leaf", 6.0),
    Column::csv_only("tactics"),
    Column::xlsx_only("Tactics", 30.0),
    Column::both("platforms", "Platforms", 26.0),
    Column::both("in_scope", "In scope", 9.0),
    Column::both("exclusion_reason", "Exclusion reason", 30.0),
    Column::both("score", "Score", 9.0),
    Column::both("level", "Level", 9.0),
    Column::both("detect", "Detect", 9.0),
    Column::both("protect", "Protect", 9.0),
    Column::both("respond", "Respond", 9.0),
    Column::both("visibility", "Visibility", 9.0),
    Column::xlsx_only("Capabilities", 44.0),
    Column::both("weight", "Weight", 8.0),
    Column::both("gap_priority", "Gap priority", 12.0),
    Column::csv_only("capabilities"),
    Column::csv_only("contributions"),
    Column::csv_only("parent_evidence"),
    Column::csv_only("parent_level_only"),
    Column::xlsx_only("Notes", 50.0),
];

pub(crate) fn techniques(assessment: &Assessment) -> Table<'_> {
    Table::new(
        &TECHNIQUE_COLUMNS,
        assessment.techniques.iter().map(|t| {
            let ids: BTreeSet<&str> = t.capabilities.iter().map(|c| &*c.id).collect();
            [
                Cell::text(t.id.as_str()),
                Cell::text(t.name.as_str()),
                Cell::Bool(t.leaf),
                Cell::opt_text(t.parent.as_deref()),
                Cell::Bool(t.leaf),
                Cell::list(&t.tactics),
                tactic_names(assessment, &t.tactics),
                Cell::list(&t.platforms),
                Cell::Bool(t.in_scope),
                Cell::opt_text(t.exclusion_reason.as_deref()),
                Cell::Percent(t.score),
                Cell::text(t.level.name()),
                Cell::Percent(t.functions.detect.score),
                Cell::Percent(t.functions.protect.score),
                Cell::Percent(t.functions.respond.score),
                Cell::Percent(t.functions.visibility.score),
                Cell::text(contributions_short(&t.capabilities)),
                Cell::Decimal(t.weight),
                Cell::Decimal(t.gap_priority),
                Cell::List(ids.into_iter().collect()),
                Cell::text(contributions_exact(&t.capabilities)),
                Cell::text(contributions_exact(&t.parent_evidence)),
                Cell::list(&t.parent_level_only),
                Cell::text(technique_notes(t)),
            ]
        }),
    )
}

/// The gaps, in their ranking. The CSV file has tactic shortnames and threats as `ID: name`;
/// the workbook has tactic names and threats as `name (ID)`, in another column order.
const GAP_COLUMNS: [Column; 25] = [
    Column::both("rank", "Rank", 7.0),
    Column::both("id", "ID", 11.0),
    Column::both("name", "Name", 40.0),
    Column::both("parent", "Parent", 10.0),
    Column::csv_only("tactics"),
    Column::xlsx_only("Tactics", 30.0),
    Column::both("platforms", "Platforms", 26.0),
    Column::both("score", "Score", 9.0),
    Column::both("level", "Level", 9.0),
    Column::both("detect", "Detect", 9.0),
    Column::both("protect", "Protect", 9.0),
    Column::both("respond", "Respond", 9.0),
    Column::both("visibility", "Visibility", 9.0),
    Column::both("weight", "Weight", 8.0),
    Column::both("gap_priority", "Gap priority", 12.0),
    Column::both("capabilities", "Capabilities", 30.0),
    Column::csv_only("parent_level_only"),
    Column::csv_only("notes"),
    Column::xlsx_only("Threats", 30.0),
    Column::both("mitigations", "Mitigations", 60.0),
    Column::both("detection_strategies", "Detection strategies", 60.0),
    Column::both("data_components", "Data components", 40.0),
    Column::both("data_sources", "Data sources", 30.0),
    Column::csv_only("threats"),
    Column::xlsx_only("Notes", 50.0),
];

pub(crate) fn gaps<'a>(assessment: &'a Assessment, gaps: &'a [Gap]) -> Table<'a> {
    Table::new(
        &GAP_COLUMNS,
        gaps.iter().map(|g| {
            let threats = |show: fn(&str, &str) -> String| {
                // Threat profiles weight the gap like ATT&CK threats: they are named too.
                let list: Vec<String> = g
                    .threats
                    .iter()
                    .map(|t| show(&t.id, &t.name))
                    .chain(g.threat_profiles.iter().map(|p| show("profile", &p.name)))
                    .collect();
                Cell::text(list.join("; "))
            };
            [
                Cell::count(g.rank),
                Cell::text(g.id.as_str()),
                Cell::text(g.name.as_str()),
                Cell::opt_text(g.parent.as_deref()),
                Cell::list(&g.tactics),
                tactic_names(assessment, &g.tactics),
                Cell::list(&g.platforms),
                Cell::Percent(g.score),
                Cell::text(g.level.name()),
                Cell::Percent(g.functions.detect),
                Cell::Percent(g.functions.protect),
                Cell::Percent(g.functions.respond),
                Cell::Percent(g.functions.visibility),
                Cell::Decimal(g.weight),
                Cell::Decimal(g.gap_priority),
                Cell::list(&g.capabilities),
                Cell::list(&g.parent_level_only),
                Cell::text(g.notes.join("; ")),
                threats(|id, name| format!("{name} ({id})")),
                Cell::Refs(&g.mitigations),
                Cell::Refs(&g.detection_strategies),
                Cell::Refs(&g.data_components),
                Cell::text(g.data_sources.join("; ")),
                threats(|id, name| format!("{id}: {name}")),
                Cell::text(g.notes.join("; ")),
            ]
        }),
    )
}

/// The tactics, in matrix order. The workbook puts the name before the shortname and adds the
/// number of top-level techniques.
const TACTIC_COLUMNS: [Column; 13] = [
    Column::both("id", "ID", 9.0),
    Column::csv_only("shortname"),
    Column::both("name", "Tactic", 24.0),
    Column::xlsx_only("Shortname", 22.0),
    Column::both("score", "Score", 9.0),
    Column::both("score_weighted", "Threat-weighted score", 12.0),
    Column::both("leaves", "Techniques and sub-techniques in scope", 14.0),
    Column::both(
        "excluded",
        "Techniques and sub-techniques out of scope",
        14.0,
    ),
    Column::both("none", "None", 8.0),
    Column::both("low", "Low", 8.0),
    Column::both("medium", "Medium", 8.0),
    Column::both("high", "High", 8.0),
    Column::xlsx_only("Techniques (top-level)", 12.0),
];

pub(crate) fn tactics(assessment: &Assessment) -> Table<'_> {
    Table::new(
        &TACTIC_COLUMNS,
        assessment.tactics.iter().map(|t| {
            [
                Cell::text(t.id.as_str()),
                Cell::text(t.shortname.as_str()),
                Cell::text(t.name.as_str()),
                Cell::text(t.shortname.as_str()),
                out_of_scope_or(t.leaves, Cell::Percent(t.score)),
                out_of_scope_or(t.leaves, Cell::opt_percent(t.score_weighted)),
                Cell::count(t.leaves),
                Cell::count(t.excluded),
                Cell::count(t.by_level.none),
                Cell::count(t.by_level.low),
                Cell::count(t.by_level.medium),
                Cell::count(t.by_level.high),
                Cell::count(t.techniques.len()),
            ]
        }),
    )
}

/// A tactic's score, or the words "out of scope" when it has no leaf in scope:
/// its score of 0 is no measure, and must not show as a red 0.0%.
fn out_of_scope_or(leaves: usize, score: Cell<'_>) -> Cell<'_> {
    if leaves == 0 {
        Cell::text("out of scope")
    } else {
        score
    }
}

/// The capabilities, by id: the same columns in both formats.
const CAPABILITY_COLUMNS: [Column; 13] = [
    Column::both("id", "ID", 16.0),
    Column::both("name", "Name", 40.0),
    Column::both("vendor", "Vendor", 24.0),
    Column::both("status", "Status", 10.0),
    Column::both("counted", "Counted", 9.0),
    Column::both("platforms", "Platforms", 26.0),
    Column::both("annual_cost", "Annual cost", 12.0),
    Column::both("currency", "Currency", 9.0),
    Column::both("owner", "Owner", 18.0),
    Column::both("tags", "Tags", 24.0),
    Column::both("entries", "Entries", 8.0),
    Column::both(
        "leaves_covered",
        "Techniques and sub-techniques covered",
        14.0,
    ),
    Column::both("at", "Defined at", 36.0),
];

pub(crate) fn capabilities(assessment: &Assessment) -> Table<'_> {
    Table::new(
        &CAPABILITY_COLUMNS,
        assessment.capabilities.iter().map(|c| {
            [
                Cell::text(c.id.as_str()),
                Cell::text(c.name.as_str()),
                Cell::opt_text(c.vendor.as_deref()),
                Cell::text(serde_name(&c.status)),
                Cell::Bool(c.counted),
                Cell::list(&c.platforms),
                c.cost
                    .as_ref()
                    .map_or(Cell::Empty, |k| Cell::Money(k.annual)),
                Cell::opt_text(c.cost.as_ref().map(|k| k.currency.as_str())),
                Cell::opt_text(c.owner.as_deref()),
                Cell::list(&c.tags),
                Cell::count(c.entries),
                Cell::count(c.leaves_covered),
                Cell::text(c.at.as_str()),
            ]
        }),
    )
}

/// One row per candidate, in the order compared. The CSV file (the columns of `covmap compare
/// --format csv`) puts each weighted score after its unweighted one; the workbook puts the
/// weighted scores together after the gain.
const COMPARE_COLUMNS: [Column; 21] = [
    Column::both("candidate", "Candidate", 36.0),
    Column::both("label", "From", 30.0),
    Column::both("capabilities", "Capabilities", 30.0),
    Column::both("baseline", "Baseline", 10.0),
    Column::csv_only("baseline_weighted"),
    Column::both("overall_after", "Overall after", 10.0),
    Column::csv_only("overall_weighted_after"),
    Column::both("gain", "Gain (points)", 10.0),
    Column::xlsx_only("Baseline weighted", 10.0),
    Column::xlsx_only("Weighted after", 10.0),
    Column::both("gain_weighted", "Weighted gain (points)", 10.0),
    Column::both("newly_covered", "Newly covered", 10.0),
    Column::both("improved", "Improved", 10.0),
    Column::both("redundant", "Redundant", 10.0),
    Column::both("covers", "Covers (head-to-head)", 12.0),
    Column::both("unique", "Only it covers", 12.0),
    Column::both("unique_gains", "Only it covers, gains", 12.0),
    Column::both("unique_techniques", "Only it covers (IDs)", 40.0),
    Column::both("annual_cost", "Annual cost", 12.0),
    Column::both("currency", "Currency", 9.0),
    Column::both("cost_per_point", "Cost per point", 12.0),
];

pub(crate) fn compare(comparison: &Comparison) -> Table<'_> {
    let baseline = comparison.baseline;
    Table::new(
        &COMPARE_COLUMNS,
        comparison.candidates.iter().enumerate().map(move |(i, c)| {
            // The head-to-head columns are empty with a single candidate.
            let distinct = comparison
                .head_to_head
                .as_ref()
                .and_then(|h| h.candidates.get(i));
            [
                Cell::text(c.name.as_str()),
                Cell::text(c.label.as_str()),
                Cell::list(&c.capabilities),
                Cell::Percent(baseline.overall),
                Cell::opt_percent(baseline.overall_weighted),
                Cell::Percent(c.after.overall),
                Cell::opt_percent(c.after.overall_weighted),
                Cell::Points(c.gain),
                Cell::opt_percent(baseline.overall_weighted),
                Cell::opt_percent(c.after.overall_weighted),
                c.gain_weighted.map_or(Cell::Empty, Cell::Points),
                Cell::count(c.newly_covered.len()),
                Cell::count(c.improved.len()),
                Cell::count(c.redundant.len()),
                distinct.map_or(Cell::Empty, |d| Cell::count(d.covers)),
                distinct.map_or(Cell::Empty, |d| Cell::count(d.unique.len())),
                distinct.map_or(Cell::Empty, |d| Cell::count(d.unique_gains)),
                distinct.map_or(Cell::Empty, |d| {
                    Cell::List(d.unique.iter().map(|l| l.id.as_str()).collect())
                }),
                c.annual_cost
                    .as_ref()
                    .map_or(Cell::Empty, |k| Cell::Money(k.annual)),
                Cell::opt_text(c.annual_cost.as_ref().map(|k| k.currency.as_str())),
                c.cost_per_point.map_or(Cell::Empty, Cell::Money),
            ]
        }),
    )
}

// The ranked actions of `covmap plan`.
const PLAN_COLUMNS: [Column; 11] = [
    Column::both("rank", "Rank", 6.0),
    Column::both("kind", "Kind", 12.0),
    Column::both("id", "ID", 16.0),
    Column::both("name", "Name", 40.0),
    Column::both("cost", "Yearly cost", 12.0),
    Column::both("gain", "Gain", 10.0),
    Column::both("weighted_gain", "Weighted gain", 12.0),
    Column::both("cumulative_overall", "Overall after", 12.0),
    Column::both("cumulative_weighted", "Weighted after", 12.0),
    Column::both("techniques", "Techniques and sub-techniques raised", 50.0),
    Column::both("assumption", "Assumption", 40.0),
];

/// The plan's actions in order. Mitigations are what-ifs: the `assumption` column says so.
pub(crate) fn plan<'a>(plan: &'a Plan, mitigation_assumption: &'a str) -> Table<'a> {
    Table::new(
        &PLAN_COLUMNS,
        plan.actions.iter().map(move |a| {
            [
                Cell::count(a.rank),
                Cell::text(a.kind.as_str()),
                Cell::text(a.id.as_str()),
                Cell::text(a.name.as_str()),
                a.cost.map_or(Cell::Empty, Cell::Money),
                Cell::Points(a.gain),
                a.weighted_gain.map_or(Cell::Empty, Cell::Points),
                Cell::Percent(a.cumulative_overall),
                Cell::opt_percent(a.cumulative_weighted),
                Cell::list(&a.techniques),
                match a.kind {
                    ActionKind::Mitigation => Cell::text(mitigation_assumption),
                    ActionKind::LogSource => Cell::text(plan.log_source_assumption.as_str()),
                    ActionKind::Candidate | ActionKind::Test => Cell::Empty,
                },
            ]
        }),
    )
}

// Roll-ups.

/// A roll-up of the gaps (`gaps-by-mitigation.csv`; CSV only).
const ROLLUP_COLUMNS: [Column; 7] = [
    Column::csv_only("rank"),
    Column::csv_only("id"),
    Column::csv_only("name"),
    Column::csv_only("techniques"),
    Column::csv_only("priority"),
    Column::csv_only("top"),
    Column::csv_only("top_names"),
];

/// One row per mitigation (or data component, tactic) in the order of the roll-up: `top` lists
/// its first gaps' IDs, `top_names` the same as `ID: name`.
pub(crate) fn rollup(rows: &[covmap_assess::gaps::RollupRow]) -> Table<'_> {
    Table::new(
        &ROLLUP_COLUMNS,
        rows.iter().enumerate().map(|(i, r)| {
            [
                Cell::count(i + 1),
                Cell::text(r.id.as_str()),
                Cell::text(r.name.as_str()),
                Cell::count(r.techniques),
                Cell::Decimal(r.priority),
                Cell::List(r.top.iter().map(|t| t.id.as_str()).collect()),
                Cell::text(
                    r.top
                        .iter()
                        .map(|t| format!("{}: {}", t.id, t.name))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
            ]
        }),
    )
}

// Telemetry: `covmap telemetry` (covmap_assess::onboarding).

/// The telemetry analysis in one table (`telemetry.csv`, the workbook's Telemetry sheet and
/// `covmap telemetry --format csv`): one row per collected log source, onboarding step, quick
/// win and blind spot, told apart by `section`.
const TELEMETRY_COLUMNS: [Column; 15] = [
    Column::both("section", "Section", 12.0),
    Column::both("rank", "Rank", 6.0),
    Column::both("id", "Technique", 11.0),
    Column::both("name", "Name (log source or technique)", 36.0),
    Column::both("channel", "Channel", 28.0),
    Column::both("platforms", "Platforms", 18.0),
    Column::both("weight", "Weight", 8.0),
    Column::both("value", "Value", 9.0),
    Column::both("gain", "Gain", 9.0),
    Column::both("weighted_gain", "Weighted gain", 12.0),
    Column::both("cumulative_weighted", "Weighted visibility after", 14.0),
    Column::both("analytics", "Analytics", 40.0),
    Column::both("detection_strategies", "Detection strategies", 40.0),
    Column::both("techniques", "Techniques", 50.0),
    Column::both("missing", "Missing log sources", 50.0),
];

/// The sections of [`telemetry`], in row order.
pub(crate) const TELEMETRY_SECTIONS: [&str; 4] =
    ["log-source", "onboarding", "quick-win", "blind-spot"];

/// `log-source` rows (name, channel, platforms where collected, value, analytics fed, leaves
/// made visible), `onboarding` rows in greedy order (gain, weighted gain, weighted visibility
/// after, analytics made feasible, leaves raised), `quick-win` rows (technique, weight, derived
/// visibility as value, feasible analytics and their strategies) and `blind-spot` rows
/// (technique, weight, the closest analytic and its share collected as value, platform and
/// missing log sources).
pub(crate) fn telemetry(report: &TelemetryReport) -> Table<'_> {
    let [
        source_section,
        onboarding_section,
        quick_section,
        blind_section,
    ] = TELEMETRY_SECTIONS;
    let sources = report.log_sources.iter().map(move |s| {
        [
            Cell::text(source_section),
            Cell::Empty,
            Cell::Empty,
            Cell::text(s.name.as_str()),
            Cell::text(s.channel.as_str()),
            Cell::list(&s.platforms),
            Cell::Empty,
            Cell::Percent(s.value),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::list(&s.analytics),
            Cell::Empty,
            Cell::list(&s.techniques),
            Cell::Empty,
        ]
    });
    let steps = report.onboarding.iter().map(move |s| {
        [
            Cell::text(onboarding_section),
            Cell::count(s.rank),
            Cell::Empty,
            Cell::text(s.name.as_str()),
            Cell::text(s.channel.as_str()),
            Cell::list(&s.platforms),
            Cell::Empty,
            Cell::Empty,
            Cell::Points(s.gain),
            Cell::Points(s.weighted_gain),
            Cell::Percent(s.cumulative_weighted),
            Cell::list(&s.analytics_gained),
            Cell::Empty,
            Cell::list(&s.techniques),
            Cell::Empty,
        ]
    });
    let quick = report.quick_wins.iter().map(move |q| {
        [
            Cell::text(quick_section),
            Cell::count(q.rank),
            Cell::text(q.id.as_str()),
            Cell::text(q.name.as_str()),
            Cell::Empty,
            Cell::list(&q.platforms),
            Cell::Decimal(q.weight),
            Cell::Percent(q.visibility),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::list(&q.analytics),
            Cell::Refs(&q.detection_strategies),
            Cell::Empty,
            Cell::Empty,
        ]
    });
    let blind = report.blind_spots.iter().map(move |b| {
        let closest = b.closest.as_ref();
        [
            Cell::text(blind_section),
            Cell::count(b.rank),
            Cell::text(b.id.as_str()),
            Cell::text(b.name.as_str()),
            Cell::Empty,
            closest.map_or(Cell::Empty, |c| Cell::text(c.platform.as_str())),
            Cell::Decimal(b.weight),
            closest.map_or(Cell::Empty, |c| Cell::Percent(c.fraction)),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            closest.map_or(Cell::Empty, |c| Cell::text(c.analytic.as_str())),
            Cell::Empty,
            Cell::Empty,
            closest.map_or(Cell::Empty, |c| {
                Cell::text(
                    c.missing
                        .iter()
                        .map(|m| format!("{} {}", m.name, m.channel))
                        .collect::<Vec<_>>()
                        .join("; "),
                )
            }),
        ]
    });
    Table::new(
        &TELEMETRY_COLUMNS,
        sources.chain(steps).chain(quick).chain(blind),
    )
}

/// The detection-engineering backlog (`backlog.csv`): the quick wins.
const BACKLOG_COLUMNS: [Column; 9] = [
    Column::both("rank", "Rank", 6.0),
    Column::both("id", "ID", 11.0),
    Column::both("name", "Name", 40.0),
    Column::both("tactics", "Tactics", 24.0),
    Column::both("weight", "Weight", 8.0),
    Column::both("visibility", "Derived visibility", 12.0),
    Column::both("platforms", "Platforms", 18.0),
    Column::both("analytics", "Feasible analytics", 40.0),
    Column::both("detection_strategies", "Detection strategies", 60.0),
];

/// The quick wins, by threat weight: leaves in scope with a feasible analytic and no detect
/// coverage, with the analytics to build and their detection strategies.
pub(crate) fn backlog(report: &TelemetryReport) -> Table<'_> {
    Table::new(
        &BACKLOG_COLUMNS,
        report.quick_wins.iter().map(|q| {
            [
                Cell::count(q.rank),
                Cell::text(q.id.as_str()),
                Cell::text(q.name.as_str()),
                Cell::list(&q.tactics),
                Cell::Decimal(q.weight),
                Cell::Percent(q.visibility),
                Cell::list(&q.platforms),
                Cell::list(&q.analytics),
                Cell::Refs(&q.detection_strategies),
            ]
        }),
    )
}

/// The workbook's Telemetry sheet without an analysis: one cell saying why.
const NOTE_COLUMNS: [Column; 1] = [Column::xlsx_only("Telemetry", 120.0)];

/// A one-row table holding `note`.
pub(crate) fn note(note: &str) -> Table<'_> {
    Table::new(&NOTE_COLUMNS, [[Cell::text(note)]])
}
