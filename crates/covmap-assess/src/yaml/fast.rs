//! A fast path for the YAML that inventories are written in: block mappings and lists, flow
//! lists and mappings on one line, plain and quoted one-line scalars, comments.
//!
//! yaml-rust2's scanner and parser were about 40 % of the CPU time of `covmap assess` on the
//! generated 2,000 x 20 inventory; this reader takes a fifth of their time (criterion
//! `yaml/one_pass_fast` against `yaml/one_pass_yaml_rust2`). It feeds the same [`Builder`] the
//! same calls, with the marks yaml-rust2 gives, straight from the lines of the text. It
//! refuses anything outside that subset (anchors, tags, block scalars, tabs, `\r`, escapes,
//! multi-line scalars or flow collections, document markers, unusual characters) and
//! anything it cannot tell from a YAML error, before or after feeding the builder: the caller
//! then parses the text with yaml-rust2, which reports any error. So the fast path never
//! decides what a text means where yaml-rust2 could decide otherwise; `check_fast_parse`
//! compares the two on every text the tests and the fuzz target give it.

use std::borrow::Cow;

use yaml_rust2::scanner::TScalarStyle;

use super::{Builder, Mark};

/// The characters that cannot start a plain scalar here (YAML's indicators).
const INDICATORS: &[u8] = b"-?:,[]{}#&*!|>'\"%@`";

/// Longest key read here: yaml-rust2 limits implicit keys to 1,024 characters.
const MAX_KEY: usize = 1000;

/// Deepest nesting of flow collections read here (deeper ones go to yaml-rust2).
const MAX_FLOW_DEPTH: usize = 16;

/// Parses `text` into a builder when it stays within the subset this module reads; `None`
/// otherwise, or when the builder refuses it (too deep, too many nodes). `capacity` and
/// `depth_base` are [`super::build`]'s.
pub(super) fn build(text: &str, capacity: usize, depth_base: usize) -> Option<Builder> {
    if !plain_characters(text) {
        return None;
    }
    let mut reader = Reader {
        builder: Builder::new(capacity),
        blocks: Vec::new(),
        pending: None,
        settle: None,
        started: false,
    };
    reader.builder.depth_base = depth_base;
    for (index, line) in text.split('\n').enumerate() {
        let number = u32::try_from(index + 1).ok()?;
        reader.line(line, number)?;
    }
    reader.finish()?;
    Some(reader.builder)
}

/// Whether `text` has only characters this module reads: no control characters but line feeds
/// (no tab, `\r` or NUL), and none of the characters YAML treats specially or forbids (byte
/// order marks, `U+0085`, `U+2028`, `U+2029`, C1 controls, `U+FFFE`, `U+FFFF`).
fn plain_characters(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.iter().any(|&b| (b < 0x20 && b != b'\n') || b == 0x7f) {
        return false;
    }
    text.is_ascii() || !text.chars().any(unusual)
}

/// A character YAML breaks lines on, forbids, or reads as a byte order mark.
fn unusual(c: char) -> bool {
    matches!(c, '\u{80}'..='\u{9f}')
        || matches!(
            c,
            '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}'
        )
}

/// An open block mapping or list.
#[derive(Clone, Copy)]
struct Block {
    map: bool,
    /// Column of its keys or `-`.
    indent: usize,
    /// A list whose items sit at its mapping key's column.
    indentless: bool,
}

/// A key or `-` whose value starts on a later line.
#[derive(Clone, Copy)]
struct Pending {
    /// The column of the block that holds it.
    indent: usize,
    /// Whether it is a mapping key (else a list item).
    in_map: bool,
}

struct Reader {
    builder: Builder,
    blocks: Vec<Block>,
    pending: Option<Pending>,
    /// After a value on the line of its key or `-`: the deepest indentation the next line may
    /// have (a deeper one would continue the value).
    settle: Option<usize>,
    started: bool,
}

/// One line: its text, number and whether it is ASCII (then columns are byte offsets).
#[derive(Clone, Copy)]
struct Line<'t> {
    text: &'t str,
    number: u32,
    ascii: bool,
}

impl Line<'_> {
    /// The mark of byte `at` of the line.
    fn mark(&self, at: usize) -> Option<Mark> {
        let col = if self.ascii {
            at
        } else {
            self.text.get(..at)?.chars().count()
        };
        Some(Mark {
            line: self.number,
            col: u32::try_from(col).ok()?,
        })
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.text.as_bytes().get(at).copied()
    }
}

/// Whether `body` (a line after its indentation) starts a block list item.
fn is_item(body: &str) -> bool {
    super::is_item(body)
}

/// Index of the first byte of `text` from `at` on that is not a space.
fn skip_spaces(text: &str, mut at: usize) -> usize {
    while text.as_bytes().get(at) == Some(&b' ') {
        at += 1;
    }
    at
}

/// Whether the rest of a line from `at` holds nothing but spaces and a comment.
fn ends_line(text: &str, at: usize) -> bool {
    let next = skip_spaces(text, at);
    match text.as_bytes().get(next) {
        None => true,
        // A comment needs a space before it.
        Some(b'#') => next > at,
        Some(_) => false,
    }
}

/// The byte index of a plain key's `:` in `body` (the colon then a space or the end), when
/// `body` is a `key: ...` line this module reads.
fn key_end(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    if INDICATORS.contains(bytes.first()?) {
        return None;
    }
    let mut at = 0;
    loop {
        let colon = at + body.get(at..)?.find(':')?;
        match bytes.get(colon + 1) {
            None | Some(b' ') => break Some(colon).filter(|&c| plain_key(&body[..c])),
            Some(_) => at = colon + 1,
        }
    }
}

/// Whether a plain key's text is read here the way yaml-rust2 reads it.
fn plain_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_KEY
        && !key.ends_with(' ')
        && !key.contains(" #")
        && !key.contains(['[', ']', '{', '}', ','])
}

impl Reader {
    fn line(&mut self, text: &str, number: u32) -> Option<()> {
        let body = text.trim_start_matches(' ');
        let indent = text.len() - body.len();
        if body.is_empty() {
            return Some(());
        }
        let line = Line {
            text,
            number,
            ascii: text.is_ascii(),
        };
        // After a value, a deeper line would continue it (or be an error); a comment line
        // leaves the rule to the next line.
        let settle = self.settle.take();
        if settle.is_some_and(|limit| indent > limit) {
            return None;
        }
        if body.starts_with('#') {
            self.settle = settle;
            return Some(());
        }
        if indent == 0 && (body.starts_with("---") || body.starts_with("...")) {
            return None;
        }
        if !self.started {
            self.started = true;
            return self.open_block(line, indent, body);
        }
        if let Some(pending) = self.pending.take() {
            if indent > pending.indent {
                return self.open_block(line, indent, body);
            }
            if indent == pending.indent && pending.in_map && is_item(body) {
                return self.indentless(line, indent, body);
            }
            // An empty value: yaml-rust2 marks it at the token after it, which only a key of
            // the same mapping makes certain.
            if !(pending.in_map && indent == pending.indent && !is_item(body)) {
                return None;
            }
            let mark = line.mark(indent)?;
            self.builder
                .scalar("", TScalarStyle::Plain, 0, None, mark)
                .ok()?;
        }
        let mark = line.mark(indent)?;
        while let Some(top) = self.blocks.last().copied() {
            if top.indent > indent || (top.indentless && top.indent == indent && !is_item(body)) {
                self.blocks.pop();
                self.builder.close(mark).ok()?;
            } else {
                break;
            }
        }
        let top = self.blocks.last().copied()?;
        if top.indent != indent {
            return None;
        }
        if top.map {
            if is_item(body) {
                return None;
            }
            self.key_line(line, indent, top.indent)
        } else {
            if !is_item(body) {
                return None;
            }
            self.item(line, indent)
        }
    }

    /// Opens a block mapping or list at `indent` (the root, or a value on its own lines).
    fn open_block(&mut self, line: Line<'_>, indent: usize, body: &str) -> Option<()> {
        if is_item(body) {
            self.builder.open(false, 0, line.mark(indent)?).ok()?;
            self.blocks.push(Block {
                map: false,
                indent,
                indentless: false,
            });
            return self.item(line, indent);
        }
        // A root mapping must start at column 0 (an indented one is yaml-rust2's to judge).
        if !self.started_inside() && indent != 0 {
            return None;
        }
        self.open_map(line, indent)?;
        self.key_line(line, indent, indent)
    }

    fn started_inside(&self) -> bool {
        !self.blocks.is_empty()
    }

    /// Opens a block mapping whose first key is at byte `at` of the line. yaml-rust2 marks
    /// it after the key; the builder moves it to the key, where this puts it.
    fn open_map(&mut self, line: Line<'_>, at: usize) -> Option<()> {
        self.builder.open(true, 0, line.mark(at)?).ok()?;
        self.blocks.push(Block {
            map: true,
            indent: at,
            indentless: false,
        });
        Some(())
    }

    /// A list whose items sit at the column of the key it is the value of: yaml-rust2 marks
    /// it at the token after the first `-`.
    fn indentless(&mut self, line: Line<'_>, indent: usize, body: &str) -> Option<()> {
        let after = skip_spaces(line.text, indent + 1);
        if after >= line.text.len() || body.get(1..)?.trim_start_matches(' ').starts_with('#') {
            return None;
        }
        self.builder.open(false, 0, line.mark(after)?).ok()?;
        self.blocks.push(Block {
            map: false,
            indent,
            indentless: true,
        });
        self.item(line, indent)
    }

    /// A list item whose `-` is at byte `dash`.
    fn item(&mut self, line: Line<'_>, dash: usize) -> Option<()> {
        let at = skip_spaces(line.text, dash + 1);
        let rest = line.text.get(at..)?;
        let Some(&first) = rest.as_bytes().first() else {
            self.pending = Some(Pending {
                indent: dash,
                in_map: false,
            });
            return Some(());
        };
        if first == b'#' {
            self.pending = Some(Pending {
                indent: dash,
                in_map: false,
            });
            return Some(());
        }
        if matches!(first, b'[' | b'{' | b'"' | b'\'') {
            self.settle = Some(dash);
            return self.inline_value(line, at);
        }
        if INDICATORS.contains(&first) {
            return None;
        }
        if key_end(rest).is_some() {
            self.open_map(line, at)?;
            return self.key_line(line, at, at);
        }
        self.settle = Some(dash);
        self.inline_value(line, at)
    }

    /// A `key: value` at byte `at` of the line, in the block mapping at column `indent`.
    fn key_line(&mut self, line: Line<'_>, at: usize, indent: usize) -> Option<()> {
        let rest = line.text.get(at..)?;
        let colon = key_end(rest)?;
        self.builder
            .scalar(
                rest.get(..colon)?,
                TScalarStyle::Plain,
                0,
                None,
                line.mark(at)?,
            )
            .ok()?;
        let value = skip_spaces(line.text, at + colon + 1);
        match line.byte(value) {
            None | Some(b'#') => {
                self.pending = Some(Pending {
                    indent,
                    in_map: true,
                });
                Some(())
            }
            Some(_) => {
                self.settle = Some(indent);
                self.inline_value(line, value)
            }
        }
    }

    /// A value on the line of its key or `-`, at byte `at`; nothing but a comment may follow.
    fn inline_value(&mut self, line: Line<'_>, at: usize) -> Option<()> {
        let first = line.byte(at)?;
        let end = match first {
            b'[' | b'{' => self.flow(line, at, 0)?,
            b'"' | b'\'' => self.quoted(line, at)?,
            _ if INDICATORS.contains(&first) => return None,
            _ => {
                let text = line.text.get(at..)?;
                let value = text
                    .find(" #")
                    .map_or(text, |comment| &text[..comment])
                    .trim_end_matches(' ');
                if value.contains(": ")
                    || value.ends_with(':')
                    || value.contains(['[', ']', '{', '}'])
                {
                    return None;
                }
                self.builder
                    .scalar(value, TScalarStyle::Plain, 0, None, line.mark(at)?)
                    .ok()?;
                return Some(());
            }
        };
        ends_line(line.text, end).then_some(())
    }

    /// A quoted scalar on one line, its opening quote at byte `at`; the index after it.
    fn quoted(&mut self, line: Line<'_>, at: usize) -> Option<usize> {
        let quote = line.byte(at)?;
        let text = line.text.get(at + 1..)?;
        let (value, style, len): (Cow<'_, str>, _, _) = if quote == b'"' {
            let close = text.find(['"', '\\'])?;
            if text.as_bytes().get(close) != Some(&b'"') {
                return None;
            }
            (
                Cow::Borrowed(&text[..close]),
                TScalarStyle::DoubleQuoted,
                close,
            )
        } else {
            let mut close = 0;
            loop {
                close += text.get(close..)?.find('\'')?;
                if text.as_bytes().get(close + 1) == Some(&b'\'') {
                    close += 2;
                } else {
                    break;
                }
            }
            let inner = &text[..close];
            let value = if inner.contains("''") {
                Cow::Owned(inner.replace("''", "'"))
            } else {
                Cow::Borrowed(inner)
            };
            (value, TScalarStyle::SingleQuoted, close)
        };
        self.builder
            .scalar(&value, style, 0, None, line.mark(at)?)
            .ok()?;
        Some(at + 1 + len + 1)
    }

    /// A flow list or mapping that closes on its line, opening at byte `at`; the index after
    /// it.
    fn flow(&mut self, line: Line<'_>, at: usize, depth: usize) -> Option<usize> {
        if depth >= MAX_FLOW_DEPTH {
            return None;
        }
        let map = line.byte(at)? == b'{';
        let close = if map { b'}' } else { b']' };
        self.builder.open(map, 0, line.mark(at)?).ok()?;
        let mut next = skip_spaces(line.text, at + 1);
        if line.byte(next)? == close {
            self.builder.close(line.mark(next)?).ok()?;
            return Some(next + 1);
        }
        loop {
            if map {
                let (end, colon) = self.flow_plain(line, next)?;
                if !colon {
                    return None;
                }
                // `:` then a space: a value must follow.
                next = skip_spaces(line.text, end + 1);
                if matches!(line.byte(next)?, b',' | b'}') {
                    return None;
                }
            }
            next = self.flow_node(line, next, depth)?;
            next = skip_spaces(line.text, next);
            match line.byte(next)? {
                b',' => {
                    next = skip_spaces(line.text, next + 1);
                    // A trailing comma, or a second one.
                    if matches!(line.byte(next)?, b']' | b'}' | b',') {
                        return None;
                    }
                }
                b if b == close => {
                    self.builder.close(line.mark(next)?).ok()?;
                    return Some(next + 1);
                }
                _ => return None,
            }
        }
    }

    /// A value inside a flow collection at byte `at`; the index after it.
    fn flow_node(&mut self, line: Line<'_>, at: usize, depth: usize) -> Option<usize> {
        match line.byte(at)? {
            b'[' | b'{' => self.flow(line, at, depth + 1),
            b'"' | b'\'' => self.quoted(line, at),
            _ => {
                let (end, colon) = self.flow_plain(line, at)?;
                // `key: value` inside a flow list is a mapping of its own.
                (!colon).then_some(end)
            }
        }
    }

    /// A plain scalar inside a flow collection at byte `at`: the index where it ends, and
    /// whether a `: ` ends it (a key). Refuses `:` inside it, a comment (the collection would
    /// go on on the next line) and a `[` or `{` after it.
    fn flow_plain(&mut self, line: Line<'_>, at: usize) -> Option<(usize, bool)> {
        let bytes = line.text.as_bytes();
        if INDICATORS.contains(bytes.get(at)?) {
            return None;
        }
        let mut end = at;
        let colon = loop {
            match bytes.get(end) {
                None | Some(b'[' | b'{' | b'#') => return None,
                Some(b',' | b']' | b'}') => break false,
                Some(b':') => {
                    if bytes.get(end + 1) == Some(&b' ') {
                        break true;
                    }
                    return None;
                }
                Some(_) => end += 1,
            }
        };
        let value = line.text.get(at..end)?.trim_end_matches(' ');
        if colon && (value.len() != end - at || value.len() > MAX_KEY) {
            return None;
        }
        self.builder
            .scalar(value, TScalarStyle::Plain, 0, None, line.mark(at)?)
            .ok()?;
        Some((end, colon))
    }

    /// Closes what is open at the end of the text; `None` for an empty text or a value left
    /// pending (yaml-rust2 marks it at the end of the stream).
    fn finish(&mut self) -> Option<()> {
        if !self.started || self.pending.is_some() {
            return None;
        }
        let end = Mark { line: 0, col: 0 };
        while self.blocks.pop().is_some() {
            self.builder.close(end).ok()?;
        }
        self.builder.root.map(|_| ())
    }
}
