//! Rendering inventory findings for people: `file:line:column`, the offending line, a caret, and
//! what to do (codespan-reporting).

use std::borrow::Cow;
use std::collections::HashMap;
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
    ids: HashMap<String, usize>,
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
            let id = sources
                .files
                .add(name.clone(), String::from_utf8_lossy(bytes));
            sources.ids.insert(name, id);
        }
        sources
    }

    /// Byte range of `length` characters at a 1-based line and column, clamped to the text.
    fn range(&self, location: &Location, length: usize) -> Option<(usize, std::ops::Range<usize>)> {
        if location.line == 0 {
            return None;
        }
        let id = *self.ids.get(&location.path.display().to_string())?;
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
        if batches.len() < 2 || !covmap_assess::threads::parallel() {
            for batch in batches {
                crate::term::eprint(&self.render(batch));
            }
            return;
        }
        std::thread::scope(|scope| {
            // Room for one rendered batch ahead: the other thread never runs far ahead of the
            // printing, so memory stays at a few batches.
            let (sender, receiver) = std::sync::mpsc::sync_channel::<String>(1);
            let odd: Vec<&[Diagnostic]> = batches.iter().skip(1).step_by(2).copied().collect();
            scope.spawn(move || {
                for batch in odd {
                    if sender.send(self.render(batch)).is_err() {
                        return;
                    }
                }
            });
            for (i, batch) in batches.iter().enumerate() {
                let text = if i.is_multiple_of(2) {
                    self.render(batch)
                } else {
                    // The other thread sends every odd batch, in order, unless it panicked
                    // (then render it here).
                    receiver.recv().unwrap_or_else(|_| self.render(batch))
                };
                crate::term::eprint(&text);
            }
        });
    }

    /// Renders findings as plain text, in the order given.
    fn render(&self, diagnostics: &[Diagnostic]) -> String {
        let config = Config {
            chars: Chars::ascii(),
            ..Config::default()
        };
        let mut out = String::new();
        for diagnostic in diagnostics {
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
            match term::emit_into_string(&config, &self.files, &report) {
                Ok(text) => out.push_str(&text),
                Err(_) => {
                    let _ = writeln!(
                        out,
                        "{}: {}[{}]: {}",
                        diagnostic.location,
                        diagnostic.severity,
                        diagnostic.code,
                        diagnostic.message
                    );
                }
            }
        }
        out
    }
}
