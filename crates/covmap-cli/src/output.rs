//! Writing command results to stdout as tables, JSON or CSV.

use std::io::{self, Write};

use anyhow::Result;
use comfy_table::{Table, TableComponent, presets};
use serde::Serialize;

/// Prints a value as pretty JSON with a trailing newline.
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

/// Makes a CSV cell safe to open in a spreadsheet: text that Excel, LibreOffice or Sheets would
/// run as a formula (leading `=`, `+`, `-`, `@`, tab or carriage return) gets a leading `'`.
pub(crate) fn csv_cell(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// Prints rows as RFC 4180 CSV with a header row.
pub(crate) fn csv(header: &[&str], rows: &[Vec<String>]) -> Result<()> {
    let mut writer = csv::Writer::from_writer(io::stdout().lock());
    writer.write_record(header)?;
    for row in rows {
        writer.write_record(row.iter().map(|cell| csv_cell(cell).into_owned()))?;
    }
    writer.flush()?;
    Ok(())
}

/// Prints rows as an aligned table with a header row.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> Result<()> {
    let mut table = Table::new();
    // Columns separated by spaces, one rule under the header: readable and easy to grep.
    table.load_preset(presets::NOTHING);
    table.set_style(TableComponent::HeaderLines, '-');
    table.set_style(TableComponent::MiddleHeaderIntersections, ' ');
    table.set_header(header.iter().copied());
    for row in rows {
        table.add_row(row.iter().map(String::as_str));
    }
    let mut out = io::stdout().lock();
    for line in table.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    out.flush()?;
    Ok(())
}

/// Prints rows as a table or CSV (JSON callers serialise their own shapes).
pub(crate) fn rows(
    format: crate::cli::Format,
    header: &[&str],
    rows: &[Vec<String>],
) -> Result<()> {
    match format {
        crate::cli::Format::Csv => csv(header, rows),
        _ => table(header, rows),
    }
}

/// Prints free text.
pub(crate) fn text(body: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(body.as_bytes())?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("+cmd"), "'+cmd");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("T1059"), "T1059");
        assert_eq!(csv_cell(""), "");
    }
}
