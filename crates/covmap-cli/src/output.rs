//! Writing command results to stdout as tables, JSON or CSV.

use std::io::{self, Write};

use anyhow::Result;
use comfy_table::{Table, TableComponent, presets};
use serde::Serialize;

/// Prints a value as pretty JSON with a trailing newline.
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    with_stdout(|out| {
        serde_json::to_writer_pretty(&mut *out, value)?;
        writeln!(out)
    })
}

/// Prints the JSON (or YAML) document `write` produces, with control characters as JSON
/// escapes ([`crate::term::structured`]), as it is written: a large assessment is never held
/// whole (its text was the largest thing in memory when printed: 38 MB for 100,000 entries).
pub(crate) fn with_stdout(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
    crate::term::settle();
    let mut out = Structured::new(io::stdout().lock());
    write(&mut out)?;
    drop(out.finish()?);
    Ok(())
}

/// Bytes escaped and printed at a time by [`Structured`].
const BLOCK: usize = 1 << 16;

/// A writer through [`crate::term::structured`], a block at a time: the same bytes as escaping
/// the whole document, since a block ends only between two characters, and never just after
/// a `\r` (whether it ends a line depends on the next byte).
struct Structured<W: Write> {
    block: Vec<u8>,
    out: W,
}

impl<W: Write> Structured<W> {
    fn new(out: W) -> Structured<W> {
        Structured {
            block: Vec::with_capacity(BLOCK + 4096),
            out,
        }
    }

    /// Escapes and writes what is left, and flushes.
    fn finish(mut self) -> io::Result<W> {
        self.drain(true)?;
        self.out.flush()?;
        Ok(self.out)
    }

    /// Escapes and prints the block, all of it when `last`, else up to a character boundary.
    fn drain(&mut self, last: bool) -> io::Result<()> {
        let end = if last {
            self.block.len()
        } else {
            complete_prefix(&self.block)
        };
        let text = crate::term::lossy(self.block.get(..end).unwrap_or_default());
        self.out
            .write_all(crate::term::structured(&text).as_bytes())?;
        self.block.drain(..end);
        Ok(())
    }
}

impl<W: Write> Write for Structured<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.block.extend_from_slice(bytes);
        if self.block.len() >= BLOCK {
            self.drain(false)?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The length of `bytes` without a trailing incomplete UTF-8 sequence or `\r`.
fn complete_prefix(bytes: &[u8]) -> usize {
    let len = bytes.len();
    if bytes.last() == Some(&b'\r') {
        return len - 1;
    }
    // The last character starts at most 3 bytes before the end; a lead byte says its length.
    for back in 1..=len.min(4) {
        let byte = bytes[len - back];
        if byte & 0xC0 != 0x80 {
            let needed = match byte {
                0xF0.. => 4,
                0xE0.. => 3,
                0xC0.. => 2,
                _ => 1,
            };
            return if needed > back { len - back } else { len };
        }
    }
    len
}

/// Prints a JSON or YAML document covmap wrote (a layer, an inventory), with control
/// characters as JSON escapes, which mean the same in both.
pub(crate) fn document(body: &str) -> Result<()> {
    write_stdout(&crate::term::structured(body))
}

/// Prints rows as RFC 4180 CSV with a header row.
pub(crate) fn csv(header: &[&str], rows: &[Vec<String>]) -> Result<()> {
    crate::term::settle();
    let mut writer = csv::Writer::from_writer(io::BufWriter::new(io::stdout().lock()));
    writer.write_record(header)?;
    for row in rows {
        // Control characters become visible escapes, as in tables: CSV on stdout is read in
        // a terminal as often as it is piped (docs/cli.md).
        writer
            .write_record(row.iter().map(|cell| {
                crate::term::visible(&covmap_report::protect_cell(cell)).into_owned()
            }))?;
    }
    writer.flush()?;
    Ok(())
}

/// Renders rows as an aligned table with a header row.
pub(crate) fn render_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut table = Table::new();
    // Columns separated by spaces, one rule under the header: readable and easy to grep.
    table.load_preset(presets::NOTHING);
    table.set_style(TableComponent::HeaderLines, '-');
    table.set_style(TableComponent::MiddleHeaderIntersections, ' ');
    table.set_header(header.iter().copied());
    for row in rows {
        table.add_row(row.iter().map(String::as_str));
    }
    let mut out = String::new();
    for line in table.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Prints rows as an aligned table with a header row.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> Result<()> {
    text(&render_table(header, rows))
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

/// Prints free text, control characters as visible escapes ([`crate::term::visible`]).
pub(crate) fn text(body: &str) -> Result<()> {
    write_stdout(&crate::term::visible(body))
}

/// Writes already escaped text to stdout.
fn write_stdout(body: &str) -> Result<()> {
    crate::term::settle();
    // Stdout is line-buffered; a large document would cost one write per line without this.
    let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    out.write_all(body.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Writes a file atomically: a temporary file in the same directory, renamed into place, so a
/// crash or a kill leaves either the old file or the new one, never a torn one. On Linux the
/// temporary file is unnamed (`O_TMPFILE`) until the data is on disk, so a run killed while
/// writing leaves no temp file behind either. An existing file keeps its permissions.
///
/// `path` must have been checked by [`crate::guard::output_file`] (which refuses inputs); as a
/// last line of defence this refuses anything but a regular file too.
pub(crate) fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use anyhow::Context as _;
    let existing = std::fs::metadata(path).ok();
    if let Some(meta) = &existing
        && !meta.is_file()
    {
        anyhow::bail!(
            "{} exists and is not a regular file; covmap only ever replaces regular files",
            path.display()
        );
    }
    // The mode of the file replaced (0600 stays private, 0640 stays group-readable).
    let mode = existing.map(|m| m.permissions());
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    #[cfg(target_os = "linux")]
    match write_unnamed(&dir, path, bytes, mode.as_ref()) {
        Ok(true) => return Ok(()),
        Ok(false) => {}
        Err(e) => return Err(e).with_context(|| format!("cannot write {}", path.display())),
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix(".covmap-").suffix(".tmp");
    // Temp files are private (0600) by default; outputs get the mode a plain create would give
    // (0644 under the usual umask), so that reports can be shared and served.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut temp = builder
        .tempfile_in(&dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    if let Some(mode) = &mode {
        temp.as_file()
            .set_permissions(mode.clone())
            .with_context(|| format!("cannot set the permissions of {}", path.display()))?;
    }
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    slow_write_for_tests();
    temp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Debug builds only: `COVMAP_TEST_SLOW_WRITES_MS` pauses each write between its data and its
/// rename, so that the kill test can land a SIGKILL in the middle of a report set.
fn slow_write_for_tests() {
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("COVMAP_TEST_SLOW_WRITES_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// The Linux way of [`write_atomic`]: the bytes go to an unnamed file in `dir`, which is
/// linked under a temporary name only once complete, then renamed over `path` (a name exists
/// for the microseconds between the two calls). `Ok(false)`: the file system or the sandbox
/// does not offer `O_TMPFILE` or `/proc`; the caller falls back to a named temp file.
#[cfg(target_os = "linux")]
fn write_unnamed(
    dir: &std::path::Path,
    path: &std::path::Path,
    bytes: &[u8],
    mode: Option<&std::fs::Permissions>,
) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    use std::sync::atomic::{AtomicU32, Ordering};
    static SEQUENCE: AtomicU32 = AtomicU32::new(0);
    let Ok(mut file) = std::fs::OpenOptions::new()
        .write(true)
        .mode(0o644)
        .custom_flags(rustix::fs::OFlags::TMPFILE.bits().cast_signed())
        .open(dir)
    else {
        return Ok(false);
    };
    if let Some(mode) = mode {
        // fchmod: exact, whatever the umask.
        file.set_permissions(mode.clone())?;
    }
    file.write_all(bytes)?;
    file.sync_all()?;
    slow_write_for_tests();
    let name = dir.join(format!(
        ".covmap-{}-{}.tmp",
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::Relaxed)
    ));
    let proc_path = format!("/proc/self/fd/{}", file.as_raw_fd());
    if rustix::fs::linkat(
        rustix::fs::CWD,
        proc_path.as_str(),
        rustix::fs::CWD,
        &name,
        rustix::fs::AtFlags::SYMLINK_FOLLOW,
    )
    .is_err()
    {
        return Ok(false);
    }
    if let Err(e) = std::fs::rename(&name, path) {
        let _ = std::fs::remove_file(&name);
        return Err(e);
    }
    Ok(true)
}

/// A score in [0, 1] as a percentage with one decimal.
pub(crate) fn percent(score: f64) -> String {
    format!("{:.1}%", score * 100.0)
}

/// An amount of money for people: rounded to a unit, with thousands separators
/// (`64,000`), as report.html and summary.md show it.
pub(crate) fn money(amount: f64) -> String {
    covmap_report::text::money(amount)
}

/// A change of money, signed: `+12,000`, `-3,500`, `0`.
pub(crate) fn signed_money(amount: f64) -> String {
    let text = money(amount);
    if text.starts_with('-') || text == "0" {
        text
    } else {
        format!("+{text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_block_never_ends_inside_a_character_or_after_a_carriage_return() {
        assert_eq!(complete_prefix(b"ab"), 2);
        assert_eq!(complete_prefix(b"a\r"), 1);
        assert_eq!(complete_prefix("aé".as_bytes()), 3);
        assert_eq!(complete_prefix(&"aé".as_bytes()[..2]), 1);
        assert_eq!(complete_prefix(&"a\u{202e}".as_bytes()[..3]), 1);
        assert_eq!(complete_prefix(&"a😀".as_bytes()[..4]), 1);
        assert_eq!(complete_prefix("a😀".as_bytes()), 5);
    }

    proptest! {
        /// Written in pieces of any size, the document comes out as escaping it whole would.
        #[test]
        fn pieces_escape_as_the_whole(
            text in prop::collection::vec(
                prop_oneof![
                    6 => prop::char::range(' ', '~'),
                    1 => prop::sample::select(vec![
                        '\n', '\r', '\t', '\x1b', '\x7f', '\u{85}', '\u{9b}', 'é', '—',
                        '\u{202e}', '\u{2066}', '😀',
                    ]),
                ],
                0..3000,
            ).prop_map(|chars| chars.into_iter().collect::<String>()),
            cuts in prop::collection::vec(1usize..200, 1..40),
        ) {
            let bytes = text.as_bytes();
            let mut out = Structured::new(Vec::new());
            out.block = Vec::with_capacity(16);
            let mut at = 0;
            for cut in cuts.iter().cycle() {
                if at >= bytes.len() {
                    break;
                }
                let end = (at + cut).min(bytes.len());
                out.write_all(&bytes[at..end]).unwrap();
                // Small blocks, so that the pieces cross block ends often.
                if out.block.len() >= 64 {
                    out.drain(false).unwrap();
                }
                at = end;
            }
            let written = out.finish().unwrap();
            prop_assert_eq!(
                String::from_utf8(written).unwrap(),
                crate::term::structured(&text).into_owned()
            );
        }
    }
}
