//! The CSV files: `coverage.csv`, `gaps.csv`, `tactics.csv`, `capabilities.csv`,
//! `gaps-by-mitigation.csv` and, after a
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
//!   `leaves`, `excluded`, `none`, `low`, `medium`, `high`. A tactic with no leaf in scope
//!   (`leaves` 0) has `out of scope` as its `score` and `score_weighted`.
//! - `capabilities.csv`, by id: `id`, `name`, `vendor`, `status`, `counted`, `platforms`,
//!   `annual_cost`, `currency`, `owner`, `tags`, `entries`, `leaves_covered`, `at`.
//! - `gaps-by-mitigation.csv`, one row per ATT&CK mitigation that addresses an in-scope gap,
//!   most weighted gap first (`covmap_assess::gaps::rollup`): `rank`, `id`, `name`,
//!   `techniques` (gaps it addresses), `priority` (sum of their gap priorities, each leaf
//!   once; 6 decimals, may exceed 1), `top` (IDs of its first gaps in the gap ranking),
//!   `top_names` (the same, `ID: name`).
//! - `compare.csv`, one row per candidate in the order compared (`--without` and `--replace`
//!   results are not in it): the columns of `covmap compare --format csv` (`candidate` (the
//!   capability name), `label` (the id or file given), `capabilities`, `gain`, `gain_weighted`,
//!   `newly_covered`, `improved`, `redundant`, `covers`, `unique`, `unique_gains`,
//!   `unique_techniques`, `annual_cost`, `currency`, `cost_per_point`) with the scores before
//!   and after inserted after `capabilities`: `baseline`, `baseline_weighted`, `overall_after`,
//!   `overall_weighted_after`. The counts are numbers of leaves; `covers` to
//!   `unique_techniques` are the head-to-head (what only this candidate covers among those
//!   compared; empty with one candidate); `cost_per_point` is the annual cost of one
//!   percentage point of overall coverage.
//! - `plan.csv` (`assess -o`), the actions of `covmap plan` in order: `rank`, `kind`
//!   (`candidate`, `mitigation`, `test`), `id`, `name`, `cost` (empty when unknown), `gain`,
//!   `weighted_gain`, `cumulative_overall`, `cumulative_weighted`, `techniques` (the leaves it
//!   raises), `assumption` (mitigations: the what-if they stand for).
//! - `telemetry.csv` (`assess -o` when the inventory has a `telemetry:` section; also
//!   `covmap telemetry --format csv`): the analysis of the collected logs in one table, rows
//!   told apart by `section`: `section`, `rank`, `id` (a technique), `name` (a log source or
//!   a technique), `channel`, `platforms`, `weight`, `value`, `gain`, `weighted_gain`,
//!   `cumulative_weighted`, `analytics`, `detection_strategies`, `techniques`, `missing`.
//!   `log-source` rows: a log source collected (name, channel as ATT&CK's analytics name it),
//!   the platforms where it is collected, its `value` (quality, filtering), the analytics it
//!   feeds and the leaves they give visibility of. `onboarding` rows, in greedy order: a log
//!   source to collect next, its `gain` and `weighted_gain` (rise of the mean and threat-weighted
//!   mean visibility), `cumulative_weighted`, the analytics it makes feasible, the leaves it
//!   raises. `quick-win` rows: a leaf with a feasible analytic and no detect coverage, its
//!   weight, derived visibility as `value`, the feasible analytics and their detection
//!   strategies. `blind-spot` rows: a leaf with no feasible analytic, its weight, and the
//!   analytic closest to feasible (`analytics`), its platform, share collected (`value`) and
//!   `missing` log sources (`name channel`, joined with `; `).
//! - `backlog.csv` (with `telemetry.csv`): the quick wins, the detection-engineering backlog:
//!   `rank`, `id`, `name`, `tactics`, `weight`, `visibility` (derived), `platforms`,
//!   `analytics` (feasible ones), `detection_strategies`.

use std::borrow::Cow;

use covmap_assess::onboarding::TelemetryReport;
use covmap_assess::plan::Plan;

use crate::tables::{self, Cell, Table};
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
    let assessment = input.assessment;
    let mut files = vec![
        file("coverage.csv", &tables::techniques(assessment))?,
        file("gaps.csv", &tables::gaps(assessment, input.gaps))?,
        file("tactics.csv", &tables::tactics(assessment))?,
        file("capabilities.csv", &tables::capabilities(assessment))?,
    ];
    // Which ATT&CK mitigation addresses the most weighted gap.
    let by_mitigation = covmap_assess::gaps::rollup_gaps(
        assessment,
        input.gaps,
        covmap_assess::gaps::By::Mitigation,
    );
    files.push(file(
        "gaps-by-mitigation.csv",
        &tables::rollup(&by_mitigation),
    )?);
    if let Some(comparison) = input.comparison {
        files.push(file("compare.csv", &tables::compare(comparison))?);
    }
    if let Some(plan) = input.plan {
        files.push(file(
            "plan.csv",
            &tables::plan(plan, &plan.mitigation_assumption),
        )?);
    }
    if let Some(report) = input.telemetry {
        files.push(file("telemetry.csv", &tables::telemetry(report))?);
        files.push(file("backlog.csv", &tables::backlog(report))?);
    }
    Ok(files)
}

/// The header and rows of `telemetry.csv`, as `covmap telemetry --format csv` prints them.
pub fn telemetry_rows(report: &TelemetryReport) -> (Vec<&'static str>, Vec<Vec<String>>) {
    rows_of(&tables::telemetry(report))
}

fn rows_of(table: &Table<'_>) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let header = table.columns.iter().filter_map(|c| c.csv).collect();
    let rows = table
        .rows
        .iter()
        .map(|row| {
            table
                .columns
                .iter()
                .zip(row)
                .filter(|(column, _)| column.csv.is_some())
                .map(|(_, cell)| field(cell).into_owned())
                .collect()
        })
        .collect();
    (header, rows)
}

/// The header and rows of `plan.csv`, as `covmap plan --format csv` prints them.
pub fn plan_rows(plan: &Plan) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let table = tables::plan(plan, &plan.mitigation_assumption);
    let header = table.columns.iter().filter_map(|c| c.csv).collect();
    let rows = table
        .rows
        .iter()
        .map(|row| row.iter().map(|cell| field(cell).into_owned()).collect())
        .collect();
    (header, rows)
}

/// A cell as CSV writes it: numbers as plain numbers (fractions with the 6 decimals of
/// `assessment.json`, other numbers in their shortest form that reads back to the same value),
/// text protected against formula injection.
fn field<'c>(cell: &'c Cell<'_>) -> Cow<'c, str> {
    match cell {
        Cell::Empty => Cow::Borrowed(""),
        Cell::Bool(flag) => Cow::Borrowed(if *flag { "true" } else { "false" }),
        Cell::Percent(x) | Cell::Points(x) | Cell::Decimal(x) => Cow::Owned(format!("{x:.6}")),
        Cell::Count(n) => Cow::Owned(n.to_string()),
        Cell::Money(x) => Cow::Owned(x.to_string()),
        Cell::Text(text) => protect_cell(text),
        Cell::Date(date) => protect_cell(date),
        Cell::List(items) => Cow::Owned(protect_cell(&items.join("; ")).into_owned()),
        Cell::Refs(refs) => {
            let list: Vec<String> = refs
                .iter()
                .map(|r| format!("{}: {}", r.id, r.name))
                .collect();
            Cow::Owned(protect_cell(&list.join("; ")).into_owned())
        }
    }
}

fn file(name: &str, table: &Table<'_>) -> Result<OutputFile, ReportError> {
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(table.columns.iter().filter_map(|c| c.csv))?;
    for row in &table.rows {
        let fields: Vec<Cow<'_, str>> = table
            .columns
            .iter()
            .zip(row)
            .filter(|(column, _)| column.csv.is_some())
            .map(|(_, cell)| field(cell))
            .collect();
        writer.write_record(fields.iter().map(AsRef::<str>::as_ref))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| ReportError::Csv(::csv::Error::from(e.into_error())))?;
    Ok(OutputFile {
        name: name.to_string(),
        bytes,
    })
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
