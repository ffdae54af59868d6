//! The print boundary: every byte covmap prints to stdout or stderr passes through here, so
//! that text from inventories, imported rules and ATT&CK bundles can never drive the terminal
//! (an organisation name `\x1b]0;title\x07\x1b[2J` would retitle and clear it; a right-to-left
//! override would make a line read backwards).
//!
//! Two escapings, one per kind of output:
//! - [`visible`], for text meant to be read (tables, summaries, diagnostics, errors, CSV):
//!   each control character becomes a visible escape, `\x1b`, `\u{202e}`;
//! - [`structured`], for JSON and the YAML covmap writes (whose strings are JSON strings):
//!   each becomes a JSON `\u001b` escape, which reads back as the same character, so the
//!   document means the same and stays valid.
//!
//! Newlines and tabs are structure and are kept (and `\r` just before `\n`); files covmap
//! writes (`-o`, report folders) are not terminal output and are left as they are.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

/// Whether printing `c` raw could drive a terminal or reorder what it shows: C0 controls
/// (ESC, BEL, BS, CR, ...), DEL, C1 controls (U+0080 to U+009F: CSI, OSC, NEL), and the
/// bidirectional embeddings, overrides and isolates (U+202A to U+202E, U+2066 to U+2069).
/// Newline and tab are not in the list; callers decide about them.
pub(crate) fn is_unsafe(c: char) -> bool {
    matches!(c, '\0'..='\x1f' | '\x7f'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` at byte `at` of `text` is kept: a newline, a tab, or a carriage return ending
/// a line.
fn structural(text: &str, at: usize, c: char) -> bool {
    c == '\n' || c == '\t' || (c == '\r' && text.as_bytes().get(at + 1) == Some(&b'\n'))
}

/// Whether `text` may hold an unsafe character: a C0 control or DEL byte, or the first byte
/// of U+0080 to U+00BF (C1 controls) or of U+2000 to U+2FFF (bidirectional controls). A byte
/// scan, many times faster than decoding characters, for the common text with none of them.
#[expect(
    clippy::needless_bitwise_bool,
    reason = "non-short-circuit operators keep the loop free of branches, so it vectorises"
)]
fn may_be_unsafe(text: &str) -> bool {
    // Blocks without an early exit inside, which the compiler turns into vector instructions.
    text.as_bytes().chunks(64).any(|block| {
        block.iter().fold(false, |found, &b| {
            found
                | ((b < 0x20) & (b != b'\n') & (b != b'\t'))
                | (b == 0x7f)
                | (b == 0xC2)
                | (b == 0xE2)
        })
    })
}

/// `text` with every unsafe character replaced by `escape(c)`, borrowed when there is none.
fn replace(text: &str, escape: impl Fn(&mut String, char)) -> Cow<'_, str> {
    if !may_be_unsafe(text) {
        return Cow::Borrowed(text);
    }
    let mut unsafe_chars = text
        .char_indices()
        .filter(|&(at, c)| is_unsafe(c) && !structural(text, at, c));
    let Some((first, _)) = unsafe_chars.next() else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(text.get(..first).unwrap_or_default());
    for (at, c) in text.char_indices().skip_while(|&(at, _)| at < first) {
        if is_unsafe(c) && !structural(text, at, c) {
            escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Text for people: unsafe characters as visible escapes (`\x1b`, `\x7f`, `\u{85}`,
/// `\u{202e}`).
pub(crate) fn visible(text: &str) -> Cow<'_, str> {
    replace(text, |out, c| {
        let code = u32::from(c);
        if code < 0x80 {
            let _ = write!(out, "\\x{code:02x}");
        } else {
            let _ = write!(out, "\\u{{{code:x}}}");
        }
    })
}

/// A JSON document (or YAML whose strings are JSON strings): unsafe characters as JSON
/// `\uXXXX` escapes. serde_json already escapes C0 controls inside strings; DEL, C1 and the
/// bidirectional controls it writes raw, and only inside strings, where the escape means the
/// same character.
pub(crate) fn structured(text: &str) -> Cow<'_, str> {
    replace(text, |out, c| {
        let _ = write!(out, "\\u{:04x}", u32::from(c));
    })
}

/// `bytes` as text, invalid UTF-8 replaced as `String::from_utf8_lossy` does; valid text (the
/// rule) is checked by the faster `str::from_utf8`.
pub(crate) fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Printing started by [`print_aside`] and not yet waited for.
static PRINTING: Mutex<Option<JoinHandle<()>>> = Mutex::new(None);

/// Runs `print` (which prints to stderr) on a thread of its own when threads are allowed, so
/// that the caller goes on computing meanwhile; else, or when no thread can be started, runs
/// it here. Whatever covmap prints next, to stdout or stderr, first waits for it ([`settle`]):
/// the bytes and their order are those of printing in turn.
pub(crate) fn print_aside(print: impl FnOnce() + Send + 'static) {
    settle();
    if !covmap_assess::threads::parallel() {
        print();
        return;
    }
    // The closure is shared so that it can still run here when the thread cannot start.
    let job = Arc::new(Mutex::new(Some(print)));
    let theirs = Arc::clone(&job);
    let started = std::thread::Builder::new().spawn(move || {
        let print = theirs.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(print) = print {
            print();
        }
    });
    if let Ok(handle) = started {
        *PRINTING.lock().unwrap_or_else(PoisonError::into_inner) = Some(handle);
    } else {
        let print = job.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(print) = print {
            print();
        }
    }
}

/// Waits for printing started by [`print_aside`], if any; on its own thread, does nothing.
pub(crate) fn settle() {
    let mut slot = PRINTING.lock().unwrap_or_else(PoisonError::into_inner);
    if slot
        .as_ref()
        .is_some_and(|h| h.thread().id() == std::thread::current().id())
    {
        return;
    }
    let handle = slot.take();
    drop(slot);
    if let Some(handle) = handle
        && let Err(panic) = handle.join()
    {
        std::panic::resume_unwind(panic);
    }
}

/// Prints `text` to stderr as [`visible`] text. Errors (a closed stderr) are ignored, as
/// `eprint!` would panic on them and there is nowhere left to report them.
pub(crate) fn eprint(text: &str) {
    settle();
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(visible(text).as_bytes());
    let _ = err.flush();
}

/// `eprintln!` through the print boundary: formats, escapes control characters, prints to
/// stderr with a newline. Every note and warning of the binary goes through it.
#[macro_export]
macro_rules! note {
    ($($arg:tt)*) => {{
        let mut text = ::std::format!($($arg)*);
        text.push('\n');
        $crate::term::eprint(&text);
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_and_clear_sequences_are_shown_not_run() {
        let name = "Acme\x1b]0;title\x07\x1b[2J";
        assert_eq!(visible(name), "Acme\\x1b]0;title\\x07\\x1b[2J");
        assert_eq!(structured(name), "Acme\\u001b]0;title\\u0007\\u001b[2J");
    }

    #[test]
    fn c1_del_and_bidi_controls_are_escaped_and_text_around_them_kept() {
        assert_eq!(visible("a\u{9b}31mb\x7f"), "a\\u{9b}31mb\\x7f");
        assert_eq!(
            visible("\u{202e}gnp.exe\u{2066}é\u{2069}"),
            "\\u{202e}gnp.exe\\u{2066}é\\u{2069}"
        );
        assert_eq!(structured("\u{85}\u{202a}"), "\\u0085\\u202a");
        // Characters next to the ranges are left alone.
        assert_eq!(
            visible("\u{a0}\u{2029}\u{206a}~"),
            "\u{a0}\u{2029}\u{206a}~"
        );
    }

    /// The byte scan lets through only text in which no character is unsafe.
    #[test]
    fn the_byte_scan_finds_every_unsafe_character() {
        let unsafe_chars = (0..=u32::from(char::MAX))
            .filter_map(char::from_u32)
            .filter(|&c| is_unsafe(c) && c != '\n' && c != '\t');
        for c in unsafe_chars {
            assert!(may_be_unsafe(&format!("a{c}b")), "{c:?}");
        }
        assert!(!may_be_unsafe("plain text, tabs\tand\nnewlines, é, 中, 😀"));
    }

    #[test]
    fn newlines_tabs_and_line_ending_returns_are_structure() {
        assert!(matches!(visible("a\tb\r\nc\n"), Cow::Borrowed(_)));
        assert_eq!(visible("50%\rdone"), "50%\\x0ddone");
        assert_eq!(visible("\r"), "\\x0d");
    }

    #[test]
    fn escaped_json_reads_back_as_the_same_value() {
        let value = serde_json::json!({"name": "x\u{1b}[2J\u{9b}\u{7f}\u{202e}y"});
        let text = serde_json::to_string_pretty(&value).unwrap();
        let safe = structured(&text);
        assert!(!safe.chars().any(|c| is_unsafe(c) && c != '\n'), "{safe}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&safe).unwrap(),
            value
        );
    }
}
