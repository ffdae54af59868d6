//! `coverage.xlsx`: the assessment as an Excel workbook, for people who filter and sort.
//!
//! Sheets: Summary (what was assessed and the headline figures), Techniques (every technique,
//! leaves and parents), Gaps (ranked, with what ATT&CK says would close them), Tactics,
//! Capabilities, and with a comparison Compare (and Retire when capabilities are retired).
//! Every sheet is one table: a bold header row that stays in view (frozen), an autofilter over
//! the table, and fixed column widths.
//!
//! Scores, shares and gains are written as numbers in [0, 1] with a percentage number format
//! (0.4255 shows as `42.6%`; a gain of 0.055 shows as `+5.5%`, i.e. 5.5 percentage points), so
//! that formulas over them need no conversion; counts and weights as whole numbers, costs with
//! thousands separators. The score columns of Techniques and Tactics carry a fixed red - yellow
//! - green colour scale (0, 50% and 100%, not relative to the data).
//!
//! Text is written as text cells, never as formulas: `=HYPERLINK(...)` in an inventory shows
//! as those characters and is not evaluated.
//!
//! The file is byte-identical for the same input: the document's creation date is
//! `input.date` (1980-01-01 without one) rather than the clock, and rust_xlsxwriter gives
//! every zip entry the fixed DOS epoch as its modification time.

use std::borrow::Cow;

use covmap_assess::compare::{CandidateResult, Comparison, WithoutResult};
use covmap_assess::gaps::Gap;
use covmap_assess::inventory::Function;
use covmap_assess::params::CoverageLevel;
use covmap_assess::score::{
    ActorKind, Assessment, Contribution, FunctionResults, NamedRef, TechniqueResult,
};
use rust_xlsxwriter::{
    ColNum, ConditionalFormat3ColorScale, ConditionalFormatType, DocProperties, ExcelDateTime,
    Format, FormatAlign, FormatBorder, RowNum, Workbook, Worksheet, XlsxError,
};
use serde::Serialize;

use crate::{ReportError, ReportInput};

/// Excel's limit on the characters of one cell.
const MAX_CELL_CHARS: usize = 32_767;

/// The creation date of workbooks rendered without a date: the zip format's epoch, the same
/// as the entries' modification times.
const EPOCH: (u16, u8, u8) = (1980, 1, 1);

/// Renders `coverage.xlsx`.
pub(crate) fn workbook(input: &ReportInput<'_>) -> Result<Vec<u8>, ReportError> {
    let assessment = input.assessment;
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    workbook.set_properties(&properties(input)?);

    summary(input).write(workbook.add_worksheet(), &formats)?;
    techniques(assessment).write(workbook.add_worksheet(), &formats)?;
    gaps(assessment, input.gaps).write(workbook.add_worksheet(), &formats)?;
    tactics(assessment).write(workbook.add_worksheet(), &formats)?;
    capabilities(assessment).write(workbook.add_worksheet(), &formats)?;
    if let Some(comparison) = input.comparison {
        compare(comparison).write(workbook.add_worksheet(), &formats)?;
        if let Some(without) = &comparison.without {
            retire(without).write(workbook.add_worksheet(), &formats)?;
        }
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
    header: Format,
    percent: Format,
    points: Format,
    integer: Format,
    decimal: Format,
    money: Format,
    date: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
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

/// One cell's value and how it shows.
enum Cell<'a> {
    /// Nothing.
    Empty,
    /// Text, written as a string (never a formula).
    Text(Cow<'a, str>),
    /// A score or share in [0, 1], shown as a percentage.
    Percent(f64),
    /// A change in [-1, 1], shown as signed percentage points.
    Points(f64),
    /// A count.
    Integer(f64),
    /// A value with two decimals (weights, priorities, parameters).
    Decimal(f64),
    /// An amount of money, with thousands separators.
    Money(f64),
    /// A date, `YYYY-MM-DD`.
    Date(ExcelDateTime),
}

impl<'a> Cell<'a> {
    fn text(text: impl Into<Cow<'a, str>>) -> Cell<'a> {
        let text = text.into();
        if text.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(text)
        }
    }

    fn count(n: usize) -> Cell<'a> {
        Cell::Integer(n as f64)
    }

    fn yes_no(flag: bool) -> Cell<'a> {
        Cell::Text(Cow::Borrowed(if flag { "yes" } else { "no" }))
    }

    fn percent_or_empty(value: Option<f64>) -> Cell<'a> {
        value.map_or(Cell::Empty, Cell::Percent)
    }

    fn write(
        &self,
        sheet: &mut Worksheet,
        row: RowNum,
        col: ColNum,
        formats: &Formats,
    ) -> Result<(), XlsxError> {
        match self {
            Cell::Empty => {}
            Cell::Text(text) => {
                sheet.write_string(row, col, cell_text(text))?;
            }
            Cell::Percent(x) => {
                sheet.write_number_with_format(row, col, *x, &formats.percent)?;
            }
            Cell::Points(x) => {
                sheet.write_number_with_format(row, col, *x, &formats.points)?;
            }
            Cell::Integer(x) => {
                sheet.write_number_with_format(row, col, *x, &formats.integer)?;
            }
            Cell::Decimal(x) => {
                sheet.write_number_with_format(row, col, *x, &formats.decimal)?;
            }
            Cell::Money(x) => {
                sheet.write_number_with_format(row, col, *x, &formats.money)?;
            }
            Cell::Date(date) => {
                sheet.write_datetime_with_format(row, col, date, &formats.date)?;
            }
        }
        Ok(())
    }
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

/// A column: header and width (in Excel's character units).
struct Column {
    header: &'static str,
    width: f64,
}

const fn col(header: &'static str, width: f64) -> Column {
    Column { header, width }
}

/// One worksheet holding one table.
struct Table<'a> {
    name: &'static str,
    columns: &'static [Column],
    rows: Vec<Vec<Cell<'a>>>,
    /// Columns kept in view beside the frozen header row.
    frozen_columns: ColNum,
    /// Columns (by header) that get the score colour scale.
    colour_scale: &'static [&'static str],
}

fn row_num(index: usize) -> Result<RowNum, XlsxError> {
    RowNum::try_from(index).map_err(|_| XlsxError::RowColumnLimitError)
}

fn col_num(index: usize) -> Result<ColNum, XlsxError> {
    ColNum::try_from(index).map_err(|_| XlsxError::RowColumnLimitError)
}

impl Table<'_> {
    fn write(&self, sheet: &mut Worksheet, formats: &Formats) -> Result<(), XlsxError> {
        sheet.set_name(self.name)?;
        for (j, column) in self.columns.iter().enumerate() {
            let c = col_num(j)?;
            sheet.write_string_with_format(0, c, column.header, &formats.header)?;
            sheet.set_column_width(c, column.width)?;
        }
        for (i, row) in self.rows.iter().enumerate() {
            let r = row_num(i + 1)?;
            for (j, cell) in row.iter().enumerate().take(self.columns.len()) {
                cell.write(sheet, r, col_num(j)?, formats)?;
            }
        }
        let last_row = row_num(self.rows.len())?;
        let last_col = col_num(self.columns.len().saturating_sub(1))?;
        sheet.set_freeze_panes(1, self.frozen_columns)?;
        sheet.autofilter(0, 0, last_row, last_col)?;
        if last_row > 0 {
            for header in self.colour_scale {
                if let Some(j) = self.columns.iter().position(|c| c.header == *header) {
                    let c = col_num(j)?;
                    sheet.add_conditional_format(1, c, last_row, c, &score_scale())?;
                }
            }
        }
        Ok(())
    }
}

/// Red at 0, yellow at 50%, green at 100%: fixed points, so colours mean the same in every
/// workbook.
fn score_scale() -> ConditionalFormat3ColorScale {
    ConditionalFormat3ColorScale::new()
        .set_minimum(ConditionalFormatType::Number, 0)
        .set_midpoint(ConditionalFormatType::Number, 0.5)
        .set_maximum(ConditionalFormatType::Number, 1)
        .set_minimum_color(0x00F8_696B)
        .set_midpoint_color(0x00FF_EB84)
        .set_maximum_color(0x0063_BE7B)
}

/// The name serde gives a value (`noisy-or`, `deployed`, `high`): the spelling of
/// `assessment.json` and of the inventory format.
fn serde_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

fn level_name(level: CoverageLevel) -> String {
    serde_name(&level)
}

fn actor_kind(kind: ActorKind) -> String {
    serde_name(&kind)
}

fn named(refs: &[NamedRef]) -> String {
    refs.iter()
        .map(|r| format!("{} {}", r.id, r.name))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Tactic shortnames as display names, in matrix order.
fn tactic_names(assessment: &Assessment, shortnames: &[String]) -> String {
    shortnames
        .iter()
        .map(|s| {
            assessment
                .tactics
                .iter()
                .find(|t| &t.shortname == s)
                .map_or(s.as_str(), |t| t.name.as_str())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The capabilities that apply, e.g. `edr (detect 0.72); siem (visibility 0.40)`.
fn contributions(list: &[Contribution]) -> String {
    list.iter()
        .map(|c| format!("{} ({} {:.2})", c.id, c.function.as_str(), c.value))
        .collect::<Vec<_>>()
        .join("; ")
}

fn function_cells<'a>(functions: &FunctionResults) -> [Cell<'a>; 4] {
    Function::ALL.map(|f| Cell::Percent(functions.get(f).score))
}

const SUMMARY_COLUMNS: &[Column] = &[col("Item", 34.0), col("Value", 44.0), col("Detail", 70.0)];

#[allow(clippy::too_many_lines)] // a flat list of rows reads best as one list
fn summary<'a>(input: &ReportInput<'a>) -> Table<'a> {
    let a = input.assessment;
    let mut rows: Vec<Vec<Cell<'a>>> = Vec::new();
    let mut item = |name: &'static str, value: Cell<'a>, detail: Cell<'a>| {
        rows.push(vec![Cell::Text(Cow::Borrowed(name)), value, detail]);
    };
    item(
        "Organisation",
        Cell::text(a.organization.as_deref().unwrap_or("")),
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
        let value = ExcelDateTime::parse_from_str(date).map_or(Cell::text(date), Cell::Date);
        item("Date", value, Cell::Empty);
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
        Cell::text(a.scope.platforms.join(", ")),
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
        Cell::text("mean score of the leaf techniques in scope"),
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
    item("Leaf techniques", Cell::count(c.leaves), Cell::Empty);
    item(
        "Leaves in scope",
        Cell::count(c.in_scope),
        Cell::text("the units of every mean"),
    );
    item(
        "Leaves out of scope",
        Cell::count(c.excluded),
        Cell::text("excluded, or no platform in scope"),
    );
    item("Parent techniques", Cell::count(c.parents), Cell::Empty);
    item(
        "Leaves at level none",
        Cell::count(c.by_level.none),
        Cell::text("score 0"),
    );
    item(
        "Leaves at level low",
        Cell::count(c.by_level.low),
        Cell::text(format!(
            "above 0, below {}",
            crate::text::percent(thresholds.medium)
        )),
    );
    item(
        "Leaves at level medium",
        Cell::count(c.by_level.medium),
        Cell::text(format!(
            "from {}, below {}",
            crate::text::percent(thresholds.medium),
            crate::text::percent(thresholds.high)
        )),
    );
    item(
        "Leaves at level high",
        Cell::count(c.by_level.high),
        Cell::text(format!("from {}", crate::text::percent(thresholds.high))),
    );

    for file in &a.files {
        item(
            "Inventory file",
            Cell::text(file.path.as_str()),
            Cell::text(format!("SHA-256 {}", file.sha256)),
        );
    }

    let s = &a.scoring;
    item(
        "Level value: minimal",
        Cell::Decimal(s.levels.minimal),
        Cell::Empty,
    );
    item(
        "Level value: partial",
        Cell::Decimal(s.levels.partial),
        Cell::Empty,
    );
    item(
        "Level value: significant",
        Cell::Decimal(s.levels.significant),
        Cell::Empty,
    );
    item(
        "Confidence factor: claimed",
        Cell::Decimal(s.confidence.claimed),
        Cell::Empty,
    );
    item(
        "Confidence factor: configured",
        Cell::Decimal(s.confidence.configured),
        Cell::Empty,
    );
    item(
        "Confidence factor: tested",
        Cell::Decimal(s.confidence.tested),
        Cell::Empty,
    );
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
    item(
        "Threshold: medium",
        Cell::Percent(thresholds.medium),
        Cell::Empty,
    );
    item(
        "Threshold: high",
        Cell::Percent(thresholds.high),
        Cell::Empty,
    );

    Table {
        name: "Summary",
        columns: SUMMARY_COLUMNS,
        rows,
        frozen_columns: 0,
        colour_scale: &[],
    }
}

const TECHNIQUE_COLUMNS: &[Column] = &[
    col("ID", 11.0),
    col("Name", 40.0),
    col("Parent", 10.0),
    col("Leaf", 6.0),
    col("Tactics", 30.0),
    col("Platforms", 26.0),
    col("In scope", 9.0),
    col("Exclusion reason", 30.0),
    col("Score", 9.0),
    col("Level", 9.0),
    col("Detect", 9.0),
    col("Protect", 9.0),
    col("Respond", 9.0),
    col("Visibility", 9.0),
    col("Capabilities", 44.0),
    col("Weight", 8.0),
    col("Gap priority", 12.0),
    col("Notes", 50.0),
];

fn techniques(assessment: &Assessment) -> Table<'_> {
    let rows = assessment
        .techniques
        .iter()
        .map(|t| {
            let mut row = vec![
                Cell::text(t.id.as_str()),
                Cell::text(t.name.as_str()),
                Cell::text(t.parent.as_deref().unwrap_or("")),
                Cell::yes_no(t.leaf),
                Cell::text(tactic_names(assessment, &t.tactics)),
                Cell::text(t.platforms.join(", ")),
                Cell::yes_no(t.in_scope),
                Cell::text(t.exclusion_reason.as_deref().unwrap_or("")),
                Cell::Percent(t.score),
                Cell::text(level_name(t.level)),
            ];
            row.extend(function_cells(&t.functions));
            row.extend([
                Cell::text(contributions(&t.capabilities)),
                Cell::Integer(f64::from(t.weight)),
                Cell::Decimal(t.gap_priority),
                Cell::text(technique_notes(t)),
            ]);
            row
        })
        .collect();
    Table {
        name: "Techniques",
        columns: TECHNIQUE_COLUMNS,
        rows,
        frozen_columns: 2,
        colour_scale: &["Score"],
    }
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
            contributions(&t.parent_evidence)
        ));
    }
    notes.join("; ")
}

const GAP_COLUMNS: &[Column] = &[
    col("Rank", 7.0),
    col("ID", 11.0),
    col("Name", 40.0),
    col("Parent", 10.0),
    col("Tactics", 30.0),
    col("Platforms", 26.0),
    col("Score", 9.0),
    col("Level", 9.0),
    col("Detect", 9.0),
    col("Protect", 9.0),
    col("Respond", 9.0),
    col("Visibility", 9.0),
    col("Weight", 8.0),
    col("Gap priority", 12.0),
    col("Capabilities", 30.0),
    col("Threats", 30.0),
    col("Mitigations", 60.0),
    col("Detection strategies", 60.0),
    col("Data components", 40.0),
    col("Data sources", 30.0),
    col("Notes", 50.0),
];

fn gaps<'a>(assessment: &'a Assessment, gaps: &'a [Gap]) -> Table<'a> {
    let rows = gaps
        .iter()
        .map(|g| {
            let mut row = vec![
                Cell::count(g.rank),
                Cell::text(g.id.as_str()),
                Cell::text(g.name.as_str()),
                Cell::text(g.parent.as_deref().unwrap_or("")),
                Cell::text(tactic_names(assessment, &g.tactics)),
                Cell::text(g.platforms.join(", ")),
                Cell::Percent(g.score),
                Cell::text(level_name(g.level)),
            ];
            row.extend(Function::ALL.map(|f| Cell::Percent(g.functions.get(f))));
            row.extend([
                Cell::Integer(f64::from(g.weight)),
                Cell::Decimal(g.gap_priority),
                Cell::text(g.capabilities.join(", ")),
                Cell::text(
                    g.threats
                        .iter()
                        .map(|t| format!("{} ({})", t.name, t.id))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                Cell::text(named(&g.mitigations)),
                Cell::text(named(&g.detection_strategies)),
                Cell::text(named(&g.data_components)),
                Cell::text(g.data_sources.join("; ")),
                Cell::text(g.notes.join("; ")),
            ]);
            row
        })
        .collect();
    Table {
        name: "Gaps",
        columns: GAP_COLUMNS,
        rows,
        frozen_columns: 3,
        colour_scale: &["Score"],
    }
}

const TACTIC_COLUMNS: &[Column] = &[
    col("ID", 9.0),
    col("Tactic", 24.0),
    col("Shortname", 22.0),
    col("Score", 9.0),
    col("Threat-weighted score", 12.0),
    col("Leaves in scope", 10.0),
    col("Leaves out of scope", 10.0),
    col("None", 8.0),
    col("Low", 8.0),
    col("Medium", 8.0),
    col("High", 8.0),
    col("Top-level techniques", 12.0),
];

fn tactics(assessment: &Assessment) -> Table<'_> {
    let rows = assessment
        .tactics
        .iter()
        .map(|t| {
            vec![
                Cell::text(t.id.as_str()),
                Cell::text(t.name.as_str()),
                Cell::text(t.shortname.as_str()),
                Cell::Percent(t.score),
                Cell::percent_or_empty(t.score_weighted),
                Cell::count(t.leaves),
                Cell::count(t.excluded),
                Cell::count(t.by_level.none),
                Cell::count(t.by_level.low),
                Cell::count(t.by_level.medium),
                Cell::count(t.by_level.high),
                Cell::count(t.techniques.len()),
            ]
        })
        .collect();
    Table {
        name: "Tactics",
        columns: TACTIC_COLUMNS,
        rows,
        frozen_columns: 2,
        colour_scale: &["Score", "Threat-weighted score"],
    }
}

const CAPABILITY_COLUMNS: &[Column] = &[
    col("ID", 16.0),
    col("Name", 40.0),
    col("Vendor", 24.0),
    col("Status", 10.0),
    col("Counted", 9.0),
    col("Platforms", 26.0),
    col("Annual cost", 12.0),
    col("Currency", 9.0),
    col("Owner", 18.0),
    col("Tags", 24.0),
    col("Entries", 8.0),
    col("Leaves covered", 10.0),
    col("Defined at", 36.0),
];

fn capabilities(assessment: &Assessment) -> Table<'_> {
    let rows = assessment
        .capabilities
        .iter()
        .map(|c| {
            vec![
                Cell::text(c.id.as_str()),
                Cell::text(c.name.as_str()),
                Cell::text(c.vendor.as_deref().unwrap_or("")),
                Cell::text(serde_name(&c.status)),
                Cell::yes_no(c.counted),
                Cell::text(c.platforms.join(", ")),
                c.cost
                    .as_ref()
                    .map_or(Cell::Empty, |k| Cell::Money(k.annual)),
                c.cost
                    .as_ref()
                    .map_or(Cell::Empty, |k| Cell::text(k.currency.as_str())),
                Cell::text(c.owner.as_deref().unwrap_or("")),
                Cell::text(c.tags.join(", ")),
                Cell::count(c.entries),
                Cell::count(c.leaves_covered),
                Cell::text(c.at.as_str()),
            ]
        })
        .collect();
    Table {
        name: "Capabilities",
        columns: CAPABILITY_COLUMNS,
        rows,
        frozen_columns: 2,
        colour_scale: &[],
    }
}

const COMPARE_COLUMNS: &[Column] = &[
    col("Candidate", 36.0),
    col("Capabilities", 30.0),
    col("Baseline", 10.0),
    col("Overall after", 10.0),
    col("Gain (points)", 10.0),
    col("Baseline weighted", 10.0),
    col("Weighted after", 10.0),
    col("Weighted gain (points)", 10.0),
    col("Newly covered", 10.0),
    col("Improved", 10.0),
    col("Overlap", 10.0),
    col("Annual cost", 12.0),
    col("Currency", 9.0),
    col("Cost per point", 12.0),
];

fn compare(comparison: &Comparison) -> Table<'_> {
    let baseline = comparison.baseline;
    let rows = comparison
        .candidates
        .iter()
        .map(|c: &CandidateResult| {
            vec![
                Cell::text(c.label.as_str()),
                Cell::text(c.capabilities.join(", ")),
                Cell::Percent(baseline.overall),
                Cell::Percent(c.after.overall),
                Cell::Points(c.gain),
                Cell::percent_or_empty(baseline.overall_weighted),
                Cell::percent_or_empty(c.after.overall_weighted),
                c.gain_weighted.map_or(Cell::Empty, Cell::Points),
                Cell::count(c.newly_covered.len()),
                Cell::count(c.improved.len()),
                Cell::count(c.overlap.len()),
                c.annual_cost
                    .as_ref()
                    .map_or(Cell::Empty, |k| Cell::Money(k.annual)),
                c.annual_cost
                    .as_ref()
                    .map_or(Cell::Empty, |k| Cell::text(k.currency.as_str())),
                c.cost_per_point.map_or(Cell::Empty, Cell::Money),
            ]
        })
        .collect();
    Table {
        name: "Compare",
        columns: COMPARE_COLUMNS,
        rows,
        frozen_columns: 1,
        colour_scale: &[],
    }
}

const RETIRE_COLUMNS: &[Column] = &[
    col("Removed", 30.0),
    col("Not counted", 20.0),
    col("Overall after", 10.0),
    col("Drop (points)", 10.0),
    col("Weighted after", 10.0),
    col("Weighted drop (points)", 10.0),
    col("Fall to zero", 10.0),
    col("Weakened", 10.0),
    col("Techniques that fall to zero", 60.0),
    col("Single points of failure", 60.0),
];

fn retire(without: &WithoutResult) -> Table<'_> {
    let row = vec![
        Cell::text(without.removed.join(", ")),
        Cell::text(without.not_counted.join(", ")),
        Cell::Percent(without.after.overall),
        Cell::Points(-without.drop),
        Cell::percent_or_empty(without.after.overall_weighted),
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
    Table {
        name: "Retire",
        columns: RETIRE_COLUMNS,
        rows: vec![row],
        frozen_columns: 1,
        colour_scale: &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(level_name(CoverageLevel::Medium), "medium");
        assert_eq!(actor_kind(ActorKind::Campaign), "campaign");
        assert_eq!(
            serde_name(&covmap_assess::params::Combine::NoisyOr),
            "noisy-or"
        );
    }
}
