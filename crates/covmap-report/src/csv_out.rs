//! The CSV files: `coverage.csv`, `gaps.csv`, `tactics.csv`, `capabilities.csv` and, after a
//! comparison, `compare.csv`.
//!
//! Every file is RFC 4180: UTF-8 without a byte-order mark, a header row, records ended by CRLF,
//! fields quoted only when they hold a comma, a quote or a line break (quotes doubled). Numbers
//! are plain numbers, so that the file parses back to exactly the figures of `assessment.json`:
//! scores, per-function scores, gains and gap priorities are fractions in [0, 1] with 6
//! decimals (`0.725000`, as rounded in the assessment; 100 x this is a percentage), counts and
//! weights are integers, costs are written in full. Booleans are `true` / `false`. A value
//! that does not apply (a weighted score without threats, a cost not given) is an empty cell.
//! Lists in one cell (tactics, platforms, capabilities, ...) are joined with `; `.
//!
//! Text cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab
//! or carriage return) get a leading `'` ([`protect_cell`]): inventories and imported rules
//! are not trusted. Number cells are never changed.
//!
//! Columns:
//!
//! - `coverage.csv`, one row per technique of the assessment (leaves and parents, in and out
//!   of scope), by ATT&CK ID: `id`, `name`, `leaf`, `parent`, `tactics` (shortnames, matrix
//!   order), `platforms` (in scope), `in_scope`, `exclusion_reason`, `score`, `level`,
//!   `detect`, `protect`, `respond`, `visibility`, `weight`, `gap_priority`, `capabilities`
//!   (ids of the capabilities that apply, sorted), `contributions` (`id function value` per
//!   capability and function), `parent_evidence` (parents: `id function value` of entries
//!   naming the parent without its sub-techniques; they never score), `parent_level_only`
//!   (leaves: ids of capabilities covering the parent only).
//! - `gaps.csv`, in the ranking of the gaps: `rank`, `id`, `name`, `parent`, `tactics`,
//!   `platforms`, `score`, `level`, `detect`, `protect`, `respond`, `visibility`, `weight`,
//!   `gap_priority`, `capabilities`, `parent_level_only`, `notes`, `mitigations`,
//!   `detection_strategies`, `data_components` (each `ID: name`), `data_sources`, `threats`
//!   (`ID: name`).
//! - `tactics.csv`, in matrix order: `id`, `shortname`, `name`, `score`, `score_weighted`,
//!   `leaves`, `excluded`, `none`, `low`, `medium`, `high`.
//! - `capabilities.csv`, by id: `id`, `name`, `vendor`, `status`, `counted`, `platforms`,
//!   `annual_cost`, `currency`, `owner`, `tags`, `entries`, `leaves_covered`, `at`.
//! - `compare.csv`, one row per candidate in the order compared (a `--without` result is not
//!   in it): the columns of `covmap compare --format csv` (`candidate`, `capabilities`, `gain`,
//!   `gain_weighted`, `newly_covered`, `improved`, `overlap`, `annual_cost`, `currency`,
//!   `cost_per_point`) with the scores before and after inserted after `capabilities`:
//!   `baseline`, `baseline_weighted`, `overall_after`, `overall_weighted_after`. The three
//!   counts are numbers of leaves; `cost_per_point` is the annual cost of one percentage point
//!   of overall coverage.

use std::borrow::Cow;
use std::collections::BTreeSet;

use covmap_assess::compare::Comparison;
use covmap_assess::gaps::Gap;
use covmap_assess::inventory::Status;
use covmap_assess::params::CoverageLevel;
use covmap_assess::score::{Assessment, Contribution, NamedRef};

use crate::{OutputFile, ReportError, ReportInput};

/// Makes a CSV text cell safe to open in a spreadsheet: text that Excel, LibreOffice or Sheets
/// would run as a formula (leading `=`, `+`, `-`, `@`, tab or carriage return) gets a leading
/// `'`, which spreadsheets show as text. Other text is returned unchanged.
pub fn protect_cell(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

/// The CSV files of `input`: `coverage.csv`, `gaps.csv`, `tactics.csv`, `capabilities.csv`,
/// and `compare.csv` when there is a comparison.
pub(crate) fn all(input: &ReportInput<'_>) -> Result<Vec<OutputFile>, ReportError> {
    let mut files = vec![
        file("coverage.csv", &coverage(input.assessment))?,
        file("gaps.csv", &gaps(input.gaps))?,
        file("tactics.csv", &tactics(input.assessment))?,
        file("capabilities.csv", &capabilities(input.assessment))?,
    ];
    if let Some(comparison) = input.comparison {
        files.push(file("compare.csv", &compare(comparison))?);
    }
    Ok(files)
}

/// One cell: text (protected against formula injection) or a number (written as is).
enum Cell<'a> {
    Text(Cow<'a, str>),
    Number(String),
}

fn text<'a>(value: impl Into<Cow<'a, str>>) -> Cell<'a> {
    Cell::Text(value.into())
}

fn opt_text(value: Option<&str>) -> Cell<'_> {
    Cell::Text(Cow::Borrowed(value.unwrap_or("")))
}

/// A fraction with the 6 decimals of `assessment.json`.
fn fraction(value: f64) -> Cell<'static> {
    Cell::Number(format!("{value:.6}"))
}

fn opt_fraction(value: Option<f64>) -> Cell<'static> {
    value.map_or(Cell::Number(String::new()), fraction)
}

/// Any other number, in its shortest form that reads back to the same value.
fn number<T: ToString + Copy>(value: T) -> Cell<'static> {
    Cell::Number(value.to_string())
}

fn boolean(value: bool) -> Cell<'static> {
    Cell::Number(value.to_string())
}

fn joined<S: AsRef<str>>(items: &[S]) -> Cell<'static> {
    Cell::Text(Cow::Owned(
        items
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join("; "),
    ))
}

fn named(items: &[NamedRef]) -> Cell<'static> {
    let list: Vec<String> = items
        .iter()
        .map(|r| format!("{}: {}", r.id, r.name))
        .collect();
    joined(&list)
}

fn contributions(items: &[Contribution]) -> Cell<'static> {
    let list: Vec<String> = items
        .iter()
        .map(|c| format!("{} {} {:.6}", c.id, c.function.as_str(), c.value))
        .collect();
    joined(&list)
}

fn level_name(level: CoverageLevel) -> &'static str {
    match level {
        CoverageLevel::None => "none",
        CoverageLevel::Low => "low",
        CoverageLevel::Medium => "medium",
        CoverageLevel::High => "high",
    }
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Deployed => "deployed",
        Status::Planned => "planned",
        Status::Candidate => "candidate",
        Status::Retired => "retired",
    }
}

/// A table: header and rows.
struct Table<'a> {
    header: &'static [&'static str],
    rows: Vec<Vec<Cell<'a>>>,
}

fn file(name: &str, table: &Table<'_>) -> Result<OutputFile, ReportError> {
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(table.header)?;
    for row in &table.rows {
        let cells: Vec<Cow<'_, str>> = row
            .iter()
            .map(|cell| match cell {
                Cell::Text(value) => protect_cell(value),
                Cell::Number(value) => Cow::Borrowed(value.as_str()),
            })
            .collect();
        writer.write_record(cells.iter().map(AsRef::<str>::as_ref))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| ReportError::Csv(::csv::Error::from(e.into_error())))?;
    Ok(OutputFile {
        name: name.to_string(),
        bytes,
    })
}

const COVERAGE_HEADER: &[&str] = &[
    "id",
    "name",
    "leaf",
    "parent",
    "tactics",
    "platforms",
    "in_scope",
    "exclusion_reason",
    "score",
    "level",
    "detect",
    "protect",
    "respond",
    "visibility",
    "weight",
    "gap_priority",
    "capabilities",
    "contributions",
    "parent_evidence",
    "parent_level_only",
];

fn coverage(assessment: &Assessment) -> Table<'_> {
    let rows = assessment
        .techniques
        .iter()
        .map(|t| {
            let ids: BTreeSet<&str> = t.capabilities.iter().map(|c| &*c.id).collect();
            let ids: Vec<&str> = ids.into_iter().collect();
            vec![
                text(t.id.as_str()),
                text(t.name.as_str()),
                boolean(t.leaf),
                opt_text(t.parent.as_deref()),
                joined(&t.tactics),
                joined(&t.platforms),
                boolean(t.in_scope),
                opt_text(t.exclusion_reason.as_deref()),
                fraction(t.score),
                text(level_name(t.level)),
                fraction(t.functions.detect.score),
                fraction(t.functions.protect.score),
                fraction(t.functions.respond.score),
                fraction(t.functions.visibility.score),
                number(t.weight),
                fraction(t.gap_priority),
                joined(&ids),
                contributions(&t.capabilities),
                contributions(&t.parent_evidence),
                joined(&t.parent_level_only),
            ]
        })
        .collect();
    Table {
        header: COVERAGE_HEADER,
        rows,
    }
}

const GAPS_HEADER: &[&str] = &[
    "rank",
    "id",
    "name",
    "parent",
    "tactics",
    "platforms",
    "score",
    "level",
    "detect",
    "protect",
    "respond",
    "visibility",
    "weight",
    "gap_priority",
    "capabilities",
    "parent_level_only",
    "notes",
    "mitigations",
    "detection_strategies",
    "data_components",
    "data_sources",
    "threats",
];

fn gaps(list: &[Gap]) -> Table<'_> {
    let rows = list
        .iter()
        .map(|g| {
            let threats: Vec<String> = g
                .threats
                .iter()
                .map(|t| format!("{}: {}", t.id, t.name))
                .collect();
            vec![
                number(g.rank),
                text(g.id.as_str()),
                text(g.name.as_str()),
                opt_text(g.parent.as_deref()),
                joined(&g.tactics),
                joined(&g.platforms),
                fraction(g.score),
                text(level_name(g.level)),
                fraction(g.functions.detect),
                fraction(g.functions.protect),
                fraction(g.functions.respond),
                fraction(g.functions.visibility),
                number(g.weight),
                fraction(g.gap_priority),
                joined(&g.capabilities),
                joined(&g.parent_level_only),
                joined(&g.notes),
                named(&g.mitigations),
                named(&g.detection_strategies),
                named(&g.data_components),
                joined(&g.data_sources),
                joined(&threats),
            ]
        })
        .collect();
    Table {
        header: GAPS_HEADER,
        rows,
    }
}

const TACTICS_HEADER: &[&str] = &[
    "id",
    "shortname",
    "name",
    "score",
    "score_weighted",
    "leaves",
    "excluded",
    "none",
    "low",
    "medium",
    "high",
];

fn tactics(assessment: &Assessment) -> Table<'_> {
    let rows = assessment
        .tactics
        .iter()
        .map(|t| {
            vec![
                text(t.id.as_str()),
                text(t.shortname.as_str()),
                text(t.name.as_str()),
                fraction(t.score),
                opt_fraction(t.score_weighted),
                number(t.leaves),
                number(t.excluded),
                number(t.by_level.none),
                number(t.by_level.low),
                number(t.by_level.medium),
                number(t.by_level.high),
            ]
        })
        .collect();
    Table {
        header: TACTICS_HEADER,
        rows,
    }
}

const CAPABILITIES_HEADER: &[&str] = &[
    "id",
    "name",
    "vendor",
    "status",
    "counted",
    "platforms",
    "annual_cost",
    "currency",
    "owner",
    "tags",
    "entries",
    "leaves_covered",
    "at",
];

fn capabilities(assessment: &Assessment) -> Table<'_> {
    let rows = assessment
        .capabilities
        .iter()
        .map(|c| {
            vec![
                text(c.id.as_str()),
                text(c.name.as_str()),
                opt_text(c.vendor.as_deref()),
                text(status_name(c.status)),
                boolean(c.counted),
                joined(&c.platforms),
                c.cost
                    .as_ref()
                    .map_or(Cell::Number(String::new()), |k| number(k.annual)),
                opt_text(c.cost.as_ref().map(|k| k.currency.as_str())),
                opt_text(c.owner.as_deref()),
                joined(&c.tags),
                number(c.entries),
                number(c.leaves_covered),
                text(c.at.as_str()),
            ]
        })
        .collect();
    Table {
        header: CAPABILITIES_HEADER,
        rows,
    }
}

const COMPARE_HEADER: &[&str] = &[
    "candidate",
    "capabilities",
    "baseline",
    "baseline_weighted",
    "overall_after",
    "overall_weighted_after",
    "gain",
    "gain_weighted",
    "newly_covered",
    "improved",
    "overlap",
    "annual_cost",
    "currency",
    "cost_per_point",
];

fn compare(comparison: &Comparison) -> Table<'_> {
    let rows = comparison
        .candidates
        .iter()
        .map(|c| {
            vec![
                text(c.label.as_str()),
                joined(&c.capabilities),
                fraction(comparison.baseline.overall),
                opt_fraction(comparison.baseline.overall_weighted),
                fraction(c.after.overall),
                opt_fraction(c.after.overall_weighted),
                fraction(c.gain),
                opt_fraction(c.gain_weighted),
                number(c.newly_covered.len()),
                number(c.improved.len()),
                number(c.overlap.len()),
                c.annual_cost
                    .as_ref()
                    .map_or(Cell::Number(String::new()), |k| number(k.annual)),
                opt_text(c.annual_cost.as_ref().map(|k| k.currency.as_str())),
                c.cost_per_point.map_or(Cell::Number(String::new()), number),
            ]
        })
        .collect();
    Table {
        header: COMPARE_HEADER,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::protect_cell;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(protect_cell("=1+1"), "'=1+1");
        assert_eq!(protect_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(protect_cell("-2"), "'-2");
        assert_eq!(protect_cell("+cmd"), "'+cmd");
        assert_eq!(protect_cell("\tx"), "'\tx");
        assert_eq!(protect_cell("\rx"), "'\rx");
        assert_eq!(protect_cell("T1059"), "T1059");
        assert_eq!(protect_cell("a=b"), "a=b");
        assert_eq!(protect_cell(""), "");
    }
}
