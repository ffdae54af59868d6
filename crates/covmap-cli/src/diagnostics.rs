//! Rendering inventory findings for people: `file:line:column`, the offending line, a caret, and
//! what to do (codespan-reporting).

use std::borrow::Cow;
use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::Path;

use codespan_reporting::diagnostic::{Diagnostic as Report, Label, Severity as ReportSeverity};
use codespan_reporting::files::{Files as _, SimpleFiles};
use codespan_reporting::term::{self, Chars, Config};
use covmap_assess::diagnostic::{Diagnostic, Location, Severity};

/// Findings rendered per batch: each batch is rendered and printed before the next, so a run
/// with tens of thousands of findings never holds their whole text (23 MB for the 38,710
/// warnings of the 2,000 x 20 generated inventory). A batch is about 0.3 MB of text and, at
/// about 5 µs a finding, 2-3 ms of work: far more than starting a thread costs (~50 µs).
const BATCH: usize = 512;

/// The texts of the files findings point into (borrowed from the files as read).
pub(crate) struct Sources<'a> {
    files: SimpleFiles<String, Cow<'a, str>>,
    /// By the path's bytes (not its display, which a lookup per finding would allocate).
    ids: HashMap<OsString, usize>,
}

impl<'a> Sources<'a> {
    /// Registers files by path, as the parser saw them (BOM removed).
    pub(crate) fn new(inputs: impl IntoIterator<Item = (&'a Path, &'a [u8])>) -> Sources<'a> {
        let mut sources = Sources {
            files: SimpleFiles::new(),
            ids: HashMap::new(),
        };
        for (path, bytes) in inputs {
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            let name = path.display().to_string();
            let id = sources.files.add(name, crate::term::lossy(bytes));
            sources.ids.insert(path.as_os_str().to_owned(), id);
        }
        sources
    }

    /// Byte range of `length` characters at a 1-based line and column, clamped to the text.
    fn range(&self, location: &Location, length: usize) -> Option<(usize, std::ops::Range<usize>)> {
        if location.line == 0 {
            return None;
        }
        let id = *self.ids.get(location.path.as_os_str())?;
        // codespan's files keep line starts, so this is a lookup, not a scan: a run can have
        // tens of thousands of findings.
        let text = self.files.get(id).ok()?.source();
        let Ok(lines) = self.files.line_range(id, location.line - 1) else {
            // A syntax error at the end of a file cut short is past its last line: point at
            // the end of the text.
            return Some((id, text.len()..text.len()));
        };
        let line_start = lines.start;
        let line = text.get(lines)?.trim_end_matches(['\n', '\r']);
        let byte_at = |chars: usize| {
            line.char_indices()
                .nth(chars)
                .map_or(line.len(), |(i, _)| i)
        };
        let start = byte_at(location.column.saturating_sub(1));
        let end = byte_at(location.column.saturating_sub(1) + length.max(1)).max(start);
        Some((id, line_start + start..line_start + end))
    }

    /// Prints findings to stderr as plain text, in the order given, one batch at a time. With
    /// more than one batch, and threads allowed, a second thread renders every other batch
    /// while this one renders and prints the others: the bytes printed are the same.
    pub(crate) fn eprint(&self, diagnostics: &[Diagnostic]) {
        let batches: Vec<&[Diagnostic]> = diagnostics.chunks(BATCH).collect();
        let printed: Result<(), std::convert::Infallible> = covmap_assess::threads::render_in_order(
            &batches,
            |batch| self.render(batch),
            |_, text| {
                crate::term::eprint(&text);
                Ok(())
            },
        );
        let Ok(()) = printed;
    }

    /// [`Self::eprint`] on the calling thread alone: for printing beside other work, which
    /// has the other core. Each batch's hints, related places, messages and paths are given
    /// back once it is printed: the command's own work goes on beside, and on a large
    /// inventory the findings are among the largest things held (about 390,000 at 400k
    /// entries).
    pub(crate) fn eprint_on_this_thread(&self, diagnostics: &mut [Diagnostic]) {
        let nothing: std::sync::Arc<str> = std::sync::Arc::from("");
        let nowhere: std::sync::Arc<std::path::Path> = std::path::Path::new("").into();
        for batch in diagnostics.chunks_mut(BATCH) {
            crate::term::eprint(&self.render(batch));
            for printed in batch {
                printed.hints = Vec::new();
                printed.related = Vec::new();
                printed.message = std::sync::Arc::clone(&nothing);
                printed.location.path = std::sync::Arc::clone(&nowhere);
            }
        }
    }

    /// Renders findings as plain text, in the order given.
    fn render(&self, diagnostics: &[Diagnostic]) -> String {
        let config = Config {
            chars: Chars::ascii(),
            ..Config::default()
        };
        let mut out = String::new();
        for diagnostic in diagnostics {
            if !self.render_one_line(diagnostic, &mut out) {
                self.render_with_codespan(&config, diagnostic, &mut out);
            }
        }
        out
    }

    /// Renders a finding with codespan-reporting: any number of labels, lines and files.
    fn render_with_codespan(&self, config: &Config, diagnostic: &Diagnostic, out: &mut String) {
        let severity = match diagnostic.severity {
            Severity::Error => ReportSeverity::Error,
            Severity::Warning => ReportSeverity::Warning,
        };
        let mut report = Report::new(severity)
            .with_code(diagnostic.code.as_str())
            .with_message(&diagnostic.message);
        let mut labels = Vec::new();
        match self.range(&diagnostic.location, diagnostic.length) {
            Some((id, range)) => labels.push(Label::primary(id, range)),
            None => {
                // No position: name the file in the message instead.
                report = report.with_message(format!(
                    "{}: {}",
                    diagnostic.location.path.display(),
                    diagnostic.message
                ));
            }
        }
        for related in &diagnostic.related {
            if let Some((id, range)) = self.range(&related.location, 1) {
                labels.push(Label::secondary(id, range).with_message(&related.message));
            }
        }
        report = report.with_labels(labels).with_notes(
            diagnostic
                .hints
                .iter()
                .map(|h| format!("hint: {h}"))
                .collect(),
        );
        if term::emit_to_string(out, config, &self.files, &report).is_err() {
            let _ = writeln!(
                out,
                "{}: {}[{}]: {}",
                diagnostic.location, diagnostic.severity, diagnostic.code, diagnostic.message
            );
        }
    }

    /// Renders the common shape of finding directly, in exactly the bytes codespan-reporting
    /// writes for it (the `fast_path_is_codespan` tests compare the two): one caret on one
    /// line of printable ASCII (no tab, no wide or combining character, whose widths
    /// codespan measures), no other label. Returns false, writing nothing, for any other shape.
    /// Why: codespan writes a snippet one character at a time through `fmt`, which made
    /// rendering 40% of `assess` on an inventory with tens of thousands of warnings.
    fn render_one_line(&self, diagnostic: &Diagnostic, out: &mut String) -> bool {
        if diagnostic
            .related
            .iter()
            .any(|related| self.range(&related.location, 1).is_some())
        {
            return false;
        }
        let Some((id, range)) = self.range(&diagnostic.location, diagnostic.length) else {
            return false;
        };
        let Ok(file) = self.files.get(id) else {
            return false;
        };
        let text = file.source();
        let line_index = diagnostic.location.line - 1;
        let Ok(lines) = self.files.line_range(id, line_index) else {
            return false;
        };
        let line_start = lines.start;
        let Some(line) = text.get(lines) else {
            return false;
        };
        let line = line.trim_end_matches(['\n', '\r', '\0']);
        // The caret must lie on this line (an end at the line's end is the caret after its
        // last character), and every character must be one column wide.
        let on_line = range.start >= line_start && range.end <= line_start + line.len();
        if !on_line || !line.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            return false;
        }
        let caret_start = range.start - line_start;
        let caret_end = (range.end - line_start).max(caret_start + 1);
        let mut numbers = itoa::Buffer::new();
        let line_number = numbers.format(line_index + 1).to_string();
        // Written piece by piece: `write!` goes through `fmt` for every piece, and tens of
        // thousands of findings made it a tenth of a large run.
        let gutter = " ".repeat(line_number.len() + 1);
        let severity = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let code = diagnostic.code.as_str();
        out.push_str(severity);
        if !code.is_empty() {
            out.push('[');
            out.push_str(code);
            out.push(']');
        }
        out.push_str(": ");
        out.push_str(&diagnostic.message);
        out.push('\n');
        out.push_str(&gutter);
        out.push_str("--> ");
        out.push_str(file.name());
        out.push(':');
        out.push_str(&line_number);
        out.push(':');
        out.push_str(numbers.format(caret_start + 1));
        out.push('\n');
        out.push_str(&gutter);
        out.push_str("|\n");
        out.push_str(&line_number);
        out.push_str(" | ");
        out.push_str(line);
        out.push('\n');
        out.push_str(&gutter);
        out.push_str("| ");
        out.extend(std::iter::repeat_n(' ', caret_start));
        out.extend(std::iter::repeat_n('^', caret_end - caret_start));
        out.push('\n');
        if !diagnostic.hints.is_empty() {
            out.push_str(&gutter);
            out.push_str("|\n");
        }
        for hint in &diagnostic.hints {
            if hint.contains(['\n', '\r']) {
                // codespan writes each line of a note, the first after the bullet.
                for (i, hint_line) in format!("hint: {hint}").lines().enumerate() {
                    let bullet = if i == 0 { '=' } else { ' ' };
                    let _ = writeln!(out, "{gutter}{bullet} {hint_line}");
                }
            } else {
                out.push_str(&gutter);
                out.push_str("= hint: ");
                out.push_str(hint);
                out.push('\n');
            }
        }
        out.push('\n');
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use covmap_assess::diagnostic::Code;
    use proptest::prelude::*;

    /// Renders `diagnostic` both ways: (direct, if the direct renderer took it; codespan).
    fn both_ways(sources: &Sources<'_>, diagnostic: &Diagnostic) -> (Option<String>, String) {
        let config = Config {
            chars: Chars::ascii(),
            ..Config::default()
        };
        let mut direct = String::new();
        let took = sources.render_one_line(diagnostic, &mut direct);
        let mut codespan = String::new();
        sources.render_with_codespan(&config, diagnostic, &mut codespan);
        (took.then_some(direct), codespan)
    }

    fn finding(path: &Path, line: usize, column: usize, length: usize) -> Diagnostic {
        Diagnostic::new(
            Severity::Warning,
            Code::PlatformMismatch,
            Location {
                path: path.into(),
                line,
                column,
            },
            "`T1059` runs on macOS",
        )
        .length(length)
    }

    /// Lines mixing what the direct renderer takes (printable ASCII) with what it leaves to
    /// codespan (tabs, wide and combining characters, control characters, `\r`).
    fn line() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                8 => prop::char::range(' ', '~'),
                1 => prop::sample::select(vec!['\t', 'é', '中', '\u{301}', '\r', '\0', '\x1b']),
            ],
            0..40,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Whatever the direct renderer writes is exactly what codespan writes.
        #[test]
        fn fast_path_is_codespan(
            lines in prop::collection::vec(line(), 1..12),
            trailing_newline in any::<bool>(),
            // Line numbers across digit boundaries: 9 -> 10, 99 -> 100.
            padding in prop::sample::select(vec![0usize, 5, 85, 990]),
            at_line in 0usize..14,
            column in 0usize..45,
            length in 0usize..12,
            hints in prop::collection::vec(
                prop::sample::select(vec![
                    "remove it", "two\nlines", "ends with newline\n", "cr\r\nlf", "", "a\rb",
                ]),
                0..3,
            ),
            related_line in prop::option::of(0usize..14),
            error in any::<bool>(),
        ) {
            let mut text = "\n".repeat(padding);
            text.push_str(&lines.join("\n"));
            if trailing_newline {
                text.push('\n');
            }
            let path = Path::new("inventory.yaml");
            let sources = Sources::new([(path, text.as_bytes())]);
            let mut diagnostic = finding(path, padding + at_line, column, length);
            if error {
                diagnostic.severity = Severity::Error;
            }
            for hint in hints {
                diagnostic = diagnostic.hint(hint);
            }
            if let Some(line) = related_line {
                diagnostic = diagnostic.related(
                    Location { path: path.into(), line: padding + line, column: 1 },
                    "first defined here",
                );
            }
            let (direct, codespan) = both_ways(&sources, &diagnostic);
            if let Some(direct) = direct {
                prop_assert_eq!(direct, codespan);
            }
        }
    }

    /// The direct renderer takes the common shape (so the property above compares something),
    /// and leaves every other shape to codespan.
    #[test]
    fn the_direct_renderer_takes_one_caret_on_one_printable_ascii_line() {
        let path = Path::new("inv.yaml");
        let text = "a: 1\n  b: [T1059, T1003]\n\tc: 2\nd: é\n";
        let sources = Sources::new([(path, text.as_bytes())]);
        let (direct, codespan) = both_ways(&sources, &finding(path, 2, 7, 5).hint("remove it"));
        assert_eq!(direct.as_deref(), Some(codespan.as_str()));
        assert_eq!(
            codespan,
            "warning[platform-mismatch]: `T1059` runs on macOS\n  --> inv.yaml:2:7\n  |\n2 |   b: [T1059, T1003]\n  |       ^^^^^\n  |\n  = hint: remove it\n\n"
        );
        let other_shapes = [
            finding(path, 3, 2, 1),
            finding(path, 4, 4, 1),
            finding(path, 0, 0, 1),
            finding(path, 2, 1, 1).related(
                Location {
                    path: path.into(),
                    line: 1,
                    column: 1,
                },
                "here",
            ),
        ];
        for diagnostic in &other_shapes {
            let (direct, codespan) = both_ways(&sources, diagnostic);
            assert_eq!(direct, None, "{codespan}");
        }
    }
}
