//! `coverage.xlsx`: the assessment as an Excel workbook, for people who filter and sort.
//!
//! Sheets: Summary (what was assessed and the headline figures), Techniques (every technique,
//! leaves and parents), Gaps (ranked, with what ATT&CK says would close them), Tactics,
//! Capabilities, Telemetry (the analysis of the collected logs: log sources, onboarding, quick
//! wins, blind spots; or why there is none), and with a comparison Compare (and Retire when
//! capabilities are retired).
//! Every sheet is one table: a bold header row that stays in view (frozen), an autofilter over
//! the table, and fixed column widths.
//!
//! Scores, shares and gains are written as numbers in [0, 1] with a percentage number format
//! (0.4255 shows as `42.6%`; a gain of 0.055 shows as `+5.5%`, i.e. 5.5 percentage points), so
//! that formulas over them need no conversion; counts and weights as whole numbers, costs with
//! thousands separators. The score columns of Techniques and Tactics carry a three-colour scale
//! with the stops of `--palette` at 0, 50% and 100% (fixed, not relative to the data): Excel
//! interpolates between them linearly, as the heatmap does, so a score has the heatmap's colour.
//! Two rules before the scale (stopping there) give the heatmap's marks on Techniques: out of
//! scope grey, evidence at parent level only purple.
//!
//! Every sheet prints: landscape, scaled to one page wide (as many
//! pages long as it needs), the header row repeated on every page, a footer with the sheet
//! name, the page number and the report date; the Summary sheet fits on one page.
//!
//! Text is written as text cells, never as formulas: `=HYPERLINK(...)` in an inventory shows
//! as those characters and is not evaluated.
//!
//! The file is byte-identical for the same input: the document's creation date is
//! `input.date` (1980-01-01 without one) rather than the clock, and rust_xlsxwriter gives
//! every zip entry the fixed DOS epoch as its modification time.

use std::borrow::Cow;

use covmap_assess::compare::WithoutResult;
use covmap_assess::inventory::Function;
use covmap_assess::score::ActorKind;

use crate::Palette;
use rust_xlsxwriter::{
    ColNum, ConditionalFormat3ColorScale, ConditionalFormatFormula, ConditionalFormatType,
    DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, RowNum, Workbook, Worksheet,
    XlsxError,
};

use crate::tables::{self, Cell, Column, Table, serde_name};
use crate::{ReportError, ReportInput};

/// Excel's limit on the characters of one cell.
const MAX_CELL_CHARS: usize = 32_767;

/// The creation date of workbooks rendered without a date: the zip format's epoch, the same
/// as the entries' modification times.
const EPOCH: (u16, u8, u8) = (1980, 1, 1);

/// Renders `coverage.xlsx`.
pub(crate) fn workbook(input: &ReportInput<'_>, palette: Palette) -> Result<Vec<u8>, ReportError> {
    let assessment = input.assessment;
    let formats = Formats::new(palette);
    let mut workbook = Workbook::new();
    workbook.set_properties(&properties(input)?);

    let mut sheets = vec![
        summary(input),
        Sheet {
            name: "Techniques",
            table: tables::techniques(assessment),
            frozen_columns: 2,
            colour_scale: &["Score"],
            one_page: false,
        },
        Sheet {
            name: "Gaps",
            table: tables::gaps(assessment, input.gaps),
            frozen_columns: 3,
            colour_scale: &["Score"],
            one_page: false,
        },
        Sheet {
            name: "Tactics",
            table: tables::tactics(assessment),
            frozen_columns: 2,
            colour_scale: &["Score", "Threat-weighted score"],
            one_page: false,
        },
        Sheet {
            name: "Capabilities",
            table: tables::capabilities(assessment),
            frozen_columns: 2,
            colour_scale: &[],
            one_page: false,
        },
        Sheet {
            name: "Telemetry",
            table: match input.telemetry {
                Some(report) => tables::telemetry(report),
                None => tables::note(crate::html::no_telemetry_note(assessment)),
            },
            frozen_columns: 1,
            colour_scale: &[],
            one_page: false,
        },
    ];
    if let Some(comparison) = input.comparison {
        sheets.push(Sheet {
            name: "Compare",
            table: tables::compare(comparison),
            frozen_columns: 1,
            colour_scale: &[],
            one_page: false,
        });
        if let Some(without) = &comparison.without {
            sheets.push(retire(without));
        }
    }
    for sheet in &sheets {
        sheet.write(workbook.add_worksheet(), &formats, input.date)?;
    }
    Ok(workbook.save_to_buffer()?)
}

/// Document properties, dated by the input and never by the clock.
fn properties(input: &ReportInput<'_>) -> Result<DocProperties, XlsxError> {
    let created = match input.date {
        Some(date) => ExcelDateTime::parse_from_str(date)?,
        None => ExcelDateTime::from_ymd(EPOCH.0, EPOCH.1, EPOCH.2)?,
    };
    let mut properties = DocProperties::new()
        .set_title("ATT&CK coverage assessment")
        .set_comment(format!(
            "Written by covmap {}",
            input.assessment.covmap_version
        ))
        .set_creation_datetime(&created);
    if let Some(org) = &input.assessment.organization {
        properties = properties.set_subject(cell_text(org));
    }
    Ok(properties)
}

/// The cell formats of the workbook.
struct Formats {
    /// The colour scale of the score columns.
    palette: Palette,
    header: Format,
    percent: Format,
    points: Format,
    integer: Format,
    decimal: Format,
    money: Format,
    date: Format,
}

impl Formats {
    fn new(palette: Palette) -> Formats {
        Formats {
            palette,
            header: Format::new()
                .set_bold()
                .set_background_color(0x00DC_E6F1)
                .set_border_bottom(FormatBorder::Thin)
                .set_align(FormatAlign::VerticalCenter),
            percent: Format::new().set_num_format("0.0%"),
            points: Format::new().set_num_format("+0.0%;-0.0%;0.0%"),
            integer: Format::new().set_num_format("0"),
            decimal: Format::new().set_num_format("0.00"),
            money: Format::new().set_num_format("#,##0"),
            date: Format::new()
                .set_num_format("yyyy-mm-dd")
                .set_align(FormatAlign::Left),
        }
    }
}

/// Writes one cell: text as a string (never a formula), numbers with their number format.
fn write_cell(
    sheet: &mut Worksheet,
    (row, col): (RowNum, ColNum),
    cell: &Cell<'_>,
    formats: &Formats,
) -> Result<(), XlsxError> {
    let text: Cow<'_, str> = match cell {
        Cell::Empty => return Ok(()),
        Cell::Percent(x) => return number(sheet, (row, col), *x, &formats.percent),
        Cell::Points(x) => return number(sheet, (row, col), *x, &formats.points),
        Cell::Count(n) => return number(sheet, (row, col), *n as f64, &formats.integer),
        Cell::Decimal(x) => return number(sheet, (row, col), *x, &formats.decimal),
        Cell::Money(x) => return number(sheet, (row, col), *x, &formats.money),
        Cell::Date(date) => match ExcelDateTime::parse_from_str(date) {
            Ok(date) => {
                sheet.write_datetime_with_format(row, col, date, &formats.date)?;
                return Ok(());
            }
            Err(_) => Cow::Borrowed(*date),
        },
        Cell::Text(text) => Cow::Borrowed(text.as_ref()),
        Cell::Bool(flag) => Cow::Borrowed(if *flag { "yes" } else { "no" }),
        Cell::List(items) => Cow::Owned(items.join(", ")),
        Cell::Refs(refs) => Cow::Owned(
            refs.iter()
                .map(|r| format!("{} {}", r.id, r.name))
                .collect::<Vec<_>>()
                .join("; "),
        ),
    };
    if !text.is_empty() {
        sheet.write_string(row, col, cell_text(&text))?;
    }
    Ok(())
}

fn number(
    sheet: &mut Worksheet,
    (row, col): (RowNum, ColNum),
    value: f64,
    format: &Format,
) -> Result<(), XlsxError> {
    sheet.write_number_with_format(row, col, value, format)?;
    Ok(())
}

/// Text as a cell holds it: at most [`MAX_CELL_CHARS`] characters (Excel's limit; longer
/// text is cut with an ellipsis rather than failing the workbook).
fn cell_text(text: &str) -> Cow<'_, str> {
    if text.chars().count() <= MAX_CELL_CHARS {
        Cow::Borrowed(text)
    } else {
        let mut cut: String = text.chars().take(MAX_CELL_CHARS - 1).collect();
        cut.push('…');
        Cow::Owned(cut)
    }
}

/// One worksheet holding one table.
struct Sheet<'a> {
    name: &'static str,
    table: Table<'a>,
    /// Columns kept in view beside the frozen header row.
    frozen_columns: ColNum,
    /// Columns (by heading) that get the score colour scale.
    colour_scale: &'static [&'static str],
    /// Printed on one page (the Summary); otherwise one page wide, as long as it needs.
    one_page: bool,
}

fn row_num(index: usize) -> Result<RowNum, XlsxError> {
    RowNum::try_from(index).map_err(|_| XlsxError::RowColumnLimitError)
}

fn col_num(index: usize) -> Result<ColNum, XlsxError> {
    ColNum::try_from(index).map_err(|_| XlsxError::RowColumnLimitError)
}

impl Sheet<'_> {
    fn write(
        &self,
        sheet: &mut Worksheet,
        formats: &Formats,
        date: Option<&str>,
    ) -> Result<(), XlsxError> {
        sheet.set_name(self.name)?;
        self.page_setup(sheet, date)?;
        let headings: Vec<_> = self.table.columns.iter().filter_map(|c| c.xlsx).collect();
        for (j, heading) in headings.iter().enumerate() {
            let c = col_num(j)?;
            sheet.write_string_with_format(0, c, heading.title, &formats.header)?;
            sheet.set_column_width(c, heading.width)?;
        }
        for (i, row) in self.table.rows.iter().enumerate() {
            let r = row_num(i + 1)?;
            let cells = self
                .table
                .columns
                .iter()
                .zip(row)
                .filter(|(column, _)| column.xlsx.is_some());
            for (j, (_, cell)) in cells.enumerate() {
                write_cell(sheet, (r, col_num(j)?), cell, formats)?;
            }
        }
        let last_row = row_num(self.table.rows.len())?;
        let last_col = col_num(headings.len().saturating_sub(1))?;
        sheet.set_freeze_panes(1, self.frozen_columns)?;
        sheet.autofilter(0, 0, last_row, last_col)?;
        if last_row > 0 {
            // As in the heatmap: out of scope grey and parent-level-only evidence its own mark,
            // before (so over) the colour scale, where the sheet says which rows they are.
            let column_of = |title: &str| {
                headings
                    .iter()
                    .position(|h| h.title == title)
                    .map(|j| col_num(j).map(rust_xlsxwriter::column_number_to_name))
            };
            let mut marks = Vec::new();
            if let Some(in_scope) = column_of("In scope") {
                marks.push((
                    format!("=${}2=\"no\"", in_scope?),
                    crate::palette::OUT_OF_SCOPE,
                ));
            }
            if let Some(notes) = column_of("Notes") {
                marks.push((
                    format!("=ISNUMBER(SEARCH(\"at parent level only\",${}2))", notes?),
                    crate::palette::PARENT_LEVEL_ONLY,
                ));
            }
            for title in self.colour_scale {
                if let Some(j) = headings.iter().position(|h| h.title == *title) {
                    let c = col_num(j)?;
                    for (rule, fill) in &marks {
                        let mark = ConditionalFormatFormula::new()
                            .set_rule(rule.as_str())
                            .set_format(Format::new().set_background_color(*fill))
                            .set_stop_if_true(true);
                        sheet.add_conditional_format(1, c, last_row, c, &mark)?;
                    }
                    sheet.add_conditional_format(
                        1,
                        c,
                        last_row,
                        c,
                        &score_scale(formats.palette),
                    )?;
                }
            }
        }
        Ok(())
    }

    /// How the sheet prints: landscape, one page wide (the Summary: one page), the header row
    /// on every page, and a footer naming the sheet, the page and the date. Without it, a
    /// spreadsheet program prints the Techniques sheet alone on some 200 portrait pages, its
    /// columns split across them.
    fn page_setup(&self, sheet: &mut Worksheet, date: Option<&str>) -> Result<(), XlsxError> {
        sheet.set_landscape();
        sheet.set_print_fit_to_pages(1, u16::from(self.one_page));
        sheet.set_repeat_rows(0, 0)?;
        // `&A` sheet name, `&P` page, `&N` pages. The date is digits and dashes (checked by the
        // caller), so it needs no `&` escaping.
        let mut footer = "&L&A&CPage &P of &N".to_string();
        if let Some(date) = date {
            footer.push_str("&R");
            footer.push_str(date);
        }
        sheet.set_footer(footer);
        Ok(())
    }
}

/// The palette's stops at 0, 50% and 100%: fixed points, so colours mean the same in every
/// workbook and match the heatmap's.
fn score_scale(palette: Palette) -> ConditionalFormat3ColorScale {
    let rgb = |(r, g, b): (u8, u8, u8)| (u32::from(r) << 16) | (u32::from(g) << 8) | u32::from(b);
    let [low, middle, high] = palette.stops();
    ConditionalFormat3ColorScale::new()
        .set_minimum(ConditionalFormatType::Number, 0)
        .set_midpoint(ConditionalFormatType::Number, 0.5)
        .set_maximum(ConditionalFormatType::Number, 1)
        .set_minimum_color(rgb(low))
        .set_midpoint_color(rgb(middle))
        .set_maximum_color(rgb(high))
}

fn actor_kind(kind: ActorKind) -> String {
    serde_name(&kind)
}

const SUMMARY_COLUMNS: [Column; 3] = [
    Column::xlsx_only("Item", 34.0),
    Column::xlsx_only("Value", 44.0),
    Column::xlsx_only("Detail", 70.0),
];

#[allow(clippy::too_many_lines)] // a flat list of rows reads best as one list
fn summary<'a>(input: &ReportInput<'a>) -> Sheet<'a> {
    let a = input.assessment;
    let mut rows: Vec<[Cell<'a>; 3]> = Vec::new();
    let mut item = |name: &'static str, value: Cell<'a>, detail: Cell<'a>| {
        rows.push([Cell::text(name), value, detail]);
    };
    item(
        "Organisation",
        Cell::opt_text(a.organization.as_deref()),
        Cell::Empty,
    );
    item("ATT&CK", Cell::text(a.attack.name.as_str()), Cell::Empty);
    item(
        "ATT&CK domain",
        Cell::text(a.attack.domain.as_str()),
        Cell::Empty,
    );
    item(
        "ATT&CK version",
        Cell::text(a.attack.version.as_deref().unwrap_or("not stated")),
        Cell::Empty,
    );
    if let Some(date) = input.date {
        item("Date", Cell::Date(date), Cell::Empty);
    }
    item(
        "covmap version",
        Cell::text(a.covmap_version.as_str()),
        Cell::Empty,
    );
    item(
        "Counted statuses",
        Cell::text(
            a.include
                .iter()
                .map(serde_name)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Cell::Empty,
    );
    item(
        "Platforms in scope",
        Cell::list(&a.scope.platforms),
        Cell::Empty,
    );
    for (kind, threat) in a.scope.threats.all() {
        item(
            "Threat",
            Cell::text(threat.name.as_str()),
            Cell::text(format!("{} ({})", threat.id, actor_kind(kind))),
        );
    }
    for exclusion in &a.scope.exclusions {
        item(
            "Excluded technique",
            Cell::text(format!("{} {}", exclusion.id, exclusion.name)),
            Cell::text(format!("{} ({})", exclusion.reason, exclusion.at)),
        );
    }

    item(
        "Overall score",
        Cell::Percent(a.overall),
        Cell::text("mean score of the techniques and sub-techniques in scope"),
    );
    match a.overall_weighted {
        Some(w) => item(
            "Threat-weighted score",
            Cell::Percent(w),
            Cell::text("mean weighted by the number of selected threats using each technique"),
        ),
        None => item(
            "Threat-weighted score",
            Cell::text("n/a"),
            Cell::text(if a.has_threats() {
                "no technique in scope is used by the selected threats"
            } else {
                "no threats selected"
            }),
        ),
    }
    for (name, function) in [
        ("Detect score", Function::Detect),
        ("Protect score", Function::Protect),
        ("Respond score", Function::Respond),
        ("Visibility score", Function::Visibility),
    ] {
        item(name, Cell::Percent(a.functions.get(function)), Cell::Empty);
    }

    let thresholds = &a.scoring.thresholds;
    let c = &a.counts;
    item(
        "Techniques and sub-techniques",
        Cell::count(c.leaves),
        Cell::text("techniques without sub-techniques, and sub-techniques: the units scored"),
    );
    item(
        "Techniques and sub-techniques in scope",
        Cell::count(c.in_scope),
        Cell::text("the units of every mean"),
    );
    item(
        "Techniques and sub-techniques out of scope",
        Cell::count(c.excluded),
        Cell::text("excluded, or no platform in scope"),
    );
    item(
        "Techniques with sub-techniques",
        Cell::count(c.parents),
        Cell::text("scored by their sub-techniques"),
    );
    let (medium, high) = (
        crate::text::percent(thresholds.medium),
        crate::text::percent(thresholds.high),
    );
    for (name, count, detail) in [
        ("At level none", c.by_level.none, "score 0".to_string()),
        (
            "At level low",
            c.by_level.low,
            format!("above 0, below {medium}"),
        ),
        (
            "At level medium",
            c.by_level.medium,
            format!("from {medium}, below {high}"),
        ),
        ("At level high", c.by_level.high, format!("from {high}")),
    ] {
        item(name, Cell::count(count), Cell::text(detail));
    }

    for file in &a.files {
        item(
            "Inventory file",
            Cell::text(file.path.as_str()),
            Cell::text(format!("SHA-256 {}", file.sha256)),
        );
    }

    let s = &a.scoring;
    for (name, value) in [
        ("Level value: minimal", s.levels.minimal),
        ("Level value: partial", s.levels.partial),
        ("Level value: significant", s.levels.significant),
        ("Confidence factor: claimed", s.confidence.claimed),
        ("Confidence factor: configured", s.confidence.configured),
        ("Confidence factor: tested", s.confidence.tested),
    ] {
        item(name, Cell::Decimal(value), Cell::Empty);
    }
    item(
        "Default confidence",
        Cell::text(serde_name(&s.default_confidence())),
        Cell::text("of entries that do not say"),
    );
    item(
        "Combine capabilities",
        Cell::text(serde_name(&s.combine)),
        Cell::Empty,
    );
    item(
        "Headline functions",
        Cell::text(
            s.headline
                .functions
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Cell::text(format!("combined with {}", serde_name(&s.headline.combine))),
    );
    item(
        "Parent roll-up",
        Cell::text(serde_name(&s.rollup)),
        Cell::Empty,
    );
    for (name, value) in [
        ("Threshold: medium", thresholds.medium),
        ("Threshold: high", thresholds.high),
    ] {
        item(name, Cell::Percent(value), Cell::Empty);
    }

    Sheet {
        name: "Summary",
        table: Table::new(&SUMMARY_COLUMNS, rows),
        frozen_columns: 0,
        colour_scale: &[],
        one_page: true,
    }
}

const RETIRE_COLUMNS: [Column; 10] = [
    Column::xlsx_only("Removed", 30.0),
    Column::xlsx_only("Not counted", 20.0),
    Column::xlsx_only("Overall after", 10.0),
    Column::xlsx_only("Drop (points)", 10.0),
    Column::xlsx_only("Weighted after", 10.0),
    Column::xlsx_only("Weighted drop (points)", 10.0),
    Column::xlsx_only("Fall to zero", 10.0),
    Column::xlsx_only("Weakened", 10.0),
    Column::xlsx_only("Techniques and sub-techniques that fall to zero", 60.0),
    Column::xlsx_only("Single points of failure", 60.0),
];

/// What retiring capabilities loses: one row.
fn retire(without: &WithoutResult) -> Sheet<'_> {
    let row = [
        Cell::list(&without.removed),
        Cell::list(&without.not_counted),
        Cell::Percent(without.after.overall),
        Cell::Points(-without.drop),
        Cell::opt_percent(without.after.overall_weighted),
        without
            .drop_weighted
            .map_or(Cell::Empty, |d| Cell::Points(-d)),
        Cell::count(without.fall_to_zero.len()),
        Cell::count(without.weakened.len()),
        Cell::text(
            without
                .fall_to_zero
                .iter()
                .map(|l| format!("{} {}", l.id, l.name))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Cell::text(
            without
                .single_points_of_failure
                .iter()
                .map(|s| {
                    let ids: Vec<&str> = s.leaves.iter().map(|l| l.id.as_str()).collect();
                    format!("{}: {}", s.capability, ids.join(", "))
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
    ];
    Sheet {
        name: "Retire",
        table: Table::new(&RETIRE_COLUMNS, [row]),
        frozen_columns: 1,
        colour_scale: &[],
        one_page: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use covmap_assess::params::CoverageLevel;

    #[test]
    fn long_text_is_cut_to_the_cell_limit() {
        let long = "x".repeat(MAX_CELL_CHARS + 10);
        let cut = cell_text(&long);
        assert_eq!(cut.chars().count(), MAX_CELL_CHARS);
        assert!(cut.ends_with('…'));
        assert!(matches!(cell_text("short"), Cow::Borrowed("short")));
    }

    #[test]
    fn serde_names_are_the_documented_spellings() {
        assert_eq!(CoverageLevel::Medium.name(), "medium");
        assert_eq!(actor_kind(ActorKind::Campaign), "campaign");
        assert_eq!(
            serde_name(&covmap_assess::params::Combine::NoisyOr),
            "noisy-or"
        );
    }
}
