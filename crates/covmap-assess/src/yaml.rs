//! YAML reading: the only module that knows the YAML parser.
//!
//! One pass of yaml-rust2's event parser builds a [`Document`]: a tree of nodes that keeps the
//! line and column of every node, key or value, so that every finding can name file:line:column.
//! A serde [`Deserializer`](serde::Deserializer) over that tree then fills the `Raw*` structs of
//! [`crate::schema`]; its errors name the node they are about, and keys the target struct does
//! not know are collected instead of failing (cf. toml-span's `Spanned`).
//!
//! Why not serde_yaml: it keeps no positions, and parsing twice (serde_yaml for values,
//! yaml-rust2 for positions) costs twice the time and lets two parsers disagree.
//!
//! Safety against hostile input: aliases are not copied (an alias points at its anchor's node),
//! the number of nodes reachable through aliases is bounded ([`MAX_ALIAS_NODES`]), and so is the
//! nesting depth, aliases included ([`MAX_DEPTH`]); deserialization recursion is therefore
//! bounded too. The parser is driven event by event and stops at the first violation.
//!
//! Scalars are typed by what the target asks for: a plain `18.1` read as a string is `"18.1"`,
//! read as a number is 18.1. Untyped reads follow the YAML 1.2 core schema.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, Unexpected, Visitor};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Deepest nesting of mappings and lists accepted (an inventory needs 6).
pub(crate) const MAX_DEPTH: usize = 64;

/// Most nodes that aliases may add to a document when expanded (alias bombs).
pub(crate) const MAX_ALIAS_NODES: u64 = 1_000_000;

/// Magic newtype names through which [`Deferred`], [`Spanned`] and [`OneOrMany`] reach the
/// deserializer (serde has no other way to hand a node id to a `Deserialize` impl).
const DEFERRED: &str = "$covmap::yaml::Deferred";
const SPANNED: &str = "$covmap::yaml::Spanned";
const ONE_OR_MANY: &str = "$covmap::yaml::OneOrMany";

/// A node of a [`Document`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct NodeId(u32);

/// A place in the text: 1-based line and column (in characters), and the length of the node's
/// text on that line, in characters (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) length: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Block,
}

#[derive(Debug)]
enum Kind {
    Scalar { value: String, style: Style },
    Seq(Vec<NodeId>),
    Map(Vec<(NodeId, NodeId)>),
}

#[derive(Debug)]
struct Node {
    kind: Kind,
    /// 1-based line.
    line: u32,
    /// 0-based column in characters.
    col: u32,
    /// Nodes reachable from here, aliases expanded (saturating).
    size: u64,
    /// Nesting below this node, aliases expanded.
    height: u32,
    /// For a mapping value, its key; for a list item, the list; for a key, its mapping
    /// (`u32::MAX`: none). An aliased node keeps its first parent.
    parent: u32,
}

/// Two equal keys in one mapping: the later is dropped.
#[derive(Debug, Clone)]
pub(crate) struct DuplicateKey {
    /// The later key.
    pub(crate) key: NodeId,
    /// The earlier one.
    pub(crate) first: NodeId,
    /// The key text.
    pub(crate) name: String,
}

/// Why a text could not be read as a YAML document at all.
#[derive(Debug, Clone)]
pub(crate) struct LoadError {
    pub(crate) pos: Pos,
    pub(crate) message: String,
    pub(crate) hints: Vec<String>,
}

/// A parsed YAML document with the position of every node.
#[derive(Debug)]
pub(crate) struct Document<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
    /// Per line: whether it holds only ASCII (then a column is a byte offset).
    ascii_lines: Vec<bool>,
    /// Char -> byte offsets of the last long non-ASCII line looked at: findings on one huge
    /// line cost one scan, not one each.
    long_line: RefCell<Option<(usize, Vec<usize>)>>,
    nodes: Vec<Node>,
    root: Option<NodeId>,
    duplicates: Vec<DuplicateKey>,
}

struct Frame {
    node: NodeId,
    anchor: usize,
    children: Children,
}

enum Children {
    Seq(Vec<NodeId>),
    Map {
        entries: Vec<(NodeId, NodeId)>,
        pending_key: Option<NodeId>,
        /// The pending key repeats an earlier one: its value is dropped.
        skip_value: bool,
        /// Key texts, once the mapping is large enough for a linear scan to cost.
        index: Option<HashSet<String>>,
    },
}

/// Mappings with more keys than this index them for duplicate detection.
const INDEX_KEYS_FROM: usize = 16;

struct Builder {
    nodes: Vec<Node>,
    stack: Vec<Frame>,
    /// anchor id -> node, once the anchored node is complete.
    anchors: Vec<Option<NodeId>>,
    /// anchor ids of nodes still open (an alias to one is recursive).
    open_anchors: Vec<usize>,
    alias_nodes: u64,
    root: Option<NodeId>,
    duplicates: Vec<DuplicateKey>,
}

fn pos_of_marker(mark: Marker) -> (u32, u32) {
    (
        u32::try_from(mark.line()).unwrap_or(u32::MAX),
        u32::try_from(mark.col()).unwrap_or(u32::MAX),
    )
}

fn load_error(mark: Marker, message: impl Into<String>, hints: &[&str]) -> LoadError {
    let (line, col) = pos_of_marker(mark);
    LoadError {
        pos: Pos {
            line: line.max(1) as usize,
            column: col as usize + 1,
            length: 1,
        },
        message: message.into(),
        hints: hints.iter().map(|h| (*h).to_string()).collect(),
    }
}

fn scalar_text(nodes: &[Node], id: NodeId) -> Option<&str> {
    match &nodes.get(id.0 as usize)?.kind {
        Kind::Scalar { value, .. } => Some(value),
        _ => None,
    }
}

impl Builder {
    fn push_node(&mut self, kind: Kind, mark: Marker) -> Result<NodeId, LoadError> {
        let id = u32::try_from(self.nodes.len())
            .ok()
            .filter(|n| *n < u32::MAX)
            .map(NodeId)
            .ok_or_else(|| load_error(mark, "the document has too many nodes", &[]))?;
        let (line, col) = pos_of_marker(mark);
        self.nodes.push(Node {
            kind,
            line,
            col,
            size: 1,
            height: 0,
            parent: u32::MAX,
        });
        Ok(id)
    }

    fn set_anchor(&mut self, anchor: usize, node: NodeId) {
        if anchor == 0 {
            return;
        }
        if self.anchors.len() <= anchor {
            self.anchors.resize(anchor + 1, None);
        }
        self.anchors[anchor] = Some(node);
    }

    /// Attaches a finished node to the open container, or makes it the root.
    fn attach(&mut self, child: NodeId, mark: Marker) -> Result<(), LoadError> {
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(child);
            return Ok(());
        };
        let parent = frame.node;
        let Some(child_node) = self.nodes.get(child.0 as usize) else {
            return Err(load_error(mark, "unbalanced YAML events", &[]));
        };
        let (child_size, child_height) = (child_node.size, child_node.height);
        let mut child_parent = parent.0;
        match &mut frame.children {
            Children::Seq(items) => items.push(child),
            Children::Map {
                entries,
                pending_key,
                skip_value,
                index,
            } => {
                if let Some(key) = pending_key.take() {
                    if std::mem::take(skip_value) {
                        return Ok(());
                    }
                    entries.push((key, child));
                    child_parent = key.0;
                } else {
                    let Kind::Scalar { value, .. } = &child_node.kind else {
                        let mut e = load_error(
                            mark,
                            "a mapping key must be plain text, not a mapping or a list",
                            &["write the key as text: `name: value`"],
                        );
                        e.pos.line = child_node.line.max(1) as usize;
                        e.pos.column = child_node.col as usize + 1;
                        return Err(e);
                    };
                    if index.is_none() && entries.len() >= INDEX_KEYS_FROM {
                        *index = Some(
                            entries
                                .iter()
                                .filter_map(|(k, _)| scalar_text(&self.nodes, *k))
                                .map(str::to_string)
                                .collect(),
                        );
                    }
                    let repeated = match index {
                        Some(index) => !index.insert(value.clone()),
                        None => entries
                            .iter()
                            .any(|(k, _)| scalar_text(&self.nodes, *k) == Some(value)),
                    };
                    if repeated {
                        let first = entries
                            .iter()
                            .map(|(k, _)| *k)
                            .find(|k| scalar_text(&self.nodes, *k) == Some(value))
                            .unwrap_or(child);
                        self.duplicates.push(DuplicateKey {
                            key: child,
                            first,
                            name: value.clone(),
                        });
                        *skip_value = true;
                    }
                    *pending_key = Some(child);
                    if let Some(k) = self.nodes.get_mut(child.0 as usize) {
                        k.parent = parent.0;
                    }
                    return Ok(());
                }
            }
        }
        if let Some(c) = self.nodes.get_mut(child.0 as usize)
            && c.parent == u32::MAX
        {
            c.parent = child_parent;
        }
        if let Some(p) = self.nodes.get_mut(parent.0 as usize) {
            p.size = p.size.saturating_add(child_size);
            p.height = p.height.max(child_height.saturating_add(1));
        }
        Ok(())
    }

    fn open(&mut self, children: Children, anchor: usize, mark: Marker) -> Result<(), LoadError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(load_error(
                mark,
                format!("the document nests mappings and lists deeper than {MAX_DEPTH} levels"),
                &["an inventory needs no more than 6 levels: flatten the structure"],
            ));
        }
        let kind = match children {
            Children::Seq(_) => Kind::Seq(Vec::new()),
            Children::Map { .. } => Kind::Map(Vec::new()),
        };
        let node = self.push_node(kind, mark)?;
        if anchor != 0 {
            self.open_anchors.push(anchor);
        }
        self.stack.push(Frame {
            node,
            anchor,
            children,
        });
        Ok(())
    }

    fn close(&mut self, mark: Marker) -> Result<(), LoadError> {
        let Some(frame) = self.stack.pop() else {
            return Err(load_error(mark, "unbalanced YAML events", &[]));
        };
        let node = frame.node;
        let kind = match frame.children {
            Children::Seq(items) => Kind::Seq(items),
            Children::Map { entries, .. } => {
                // A block mapping's event mark sits after its first key: start at the key.
                let first = entries
                    .first()
                    .and_then(|(k, _)| self.nodes.get(k.0 as usize))
                    .map(|k| (k.line, k.col));
                if let (Some(first), Some(n)) = (first, self.nodes.get_mut(node.0 as usize))
                    && first < (n.line, n.col)
                {
                    (n.line, n.col) = first;
                }
                Kind::Map(entries)
            }
        };
        if let Some(n) = self.nodes.get_mut(node.0 as usize) {
            n.kind = kind;
        }
        if frame.anchor != 0 {
            self.open_anchors.retain(|a| *a != frame.anchor);
            self.set_anchor(frame.anchor, node);
        }
        self.attach(node, mark)
    }

    fn alias(&mut self, anchor: usize, mark: Marker) -> Result<(), LoadError> {
        if self.open_anchors.contains(&anchor) {
            return Err(load_error(
                mark,
                "an alias refers to a mapping or list that contains it (a recursive alias)",
                &["remove the alias (`*name`), or point it at another anchor"],
            ));
        }
        let Some(target) = self.anchors.get(anchor).copied().flatten() else {
            return Err(load_error(
                mark,
                "an alias refers to an unknown anchor",
                &["define the anchor (`&name`) before the alias (`*name`)"],
            ));
        };
        let (size, height) = self
            .nodes
            .get(target.0 as usize)
            .map_or((1, 0), |t| (t.size, t.height));
        self.alias_nodes = self.alias_nodes.saturating_add(size);
        if self.alias_nodes > MAX_ALIAS_NODES {
            return Err(load_error(
                mark,
                format!("aliases expand the document to more than {MAX_ALIAS_NODES} extra nodes"),
                &[
                    "an inventory does not need nested aliases: write the values out, or use fewer aliases (`*name`)",
                ],
            ));
        }
        if self.stack.len() + height as usize > MAX_DEPTH {
            return Err(load_error(
                mark,
                format!(
                    "through an alias, the document nests mappings and lists deeper than {MAX_DEPTH} levels"
                ),
                &["an inventory needs no more than 6 levels: flatten the structure"],
            ));
        }
        self.attach(target, mark)
    }

    fn scalar(
        &mut self,
        value: String,
        style: TScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
        mark: Marker,
    ) -> Result<(), LoadError> {
        let mut style = match style {
            TScalarStyle::SingleQuoted => Style::SingleQuoted,
            TScalarStyle::DoubleQuoted => Style::DoubleQuoted,
            TScalarStyle::Literal | TScalarStyle::Folded => Style::Block,
            TScalarStyle::Plain => Style::Plain,
        };
        // `!!str 1` is text.
        if style == Style::Plain && tag.is_some_and(|t| t.suffix == "str" && t.handle != "!") {
            style = Style::SingleQuoted;
        }
        let node = self.push_node(Kind::Scalar { value, style }, mark)?;
        self.set_anchor(anchor, node);
        self.attach(node, mark)
    }
}

/// Parses one YAML document. A second document in the same text is an error.
pub(crate) fn load(text: &str) -> Result<Document<'_>, LoadError> {
    let mut builder = Builder {
        // About one node per 10 bytes in real inventories: fewer reallocations.
        nodes: Vec::with_capacity(text.len() / 10),
        stack: Vec::new(),
        anchors: Vec::new(),
        open_anchors: Vec::new(),
        alias_nodes: 0,
        root: None,
        duplicates: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    let mut documents = 0usize;
    loop {
        let (event, mark) = match parser.next_token() {
            Ok(next) => next,
            Err(e) => {
                let (line, col) = pos_of_marker(*e.marker());
                if e.info().contains("recursion limit") {
                    return Err(load_error(
                        *e.marker(),
                        format!(
                            "the document nests mappings and lists deeper than {MAX_DEPTH} levels"
                        ),
                        &["an inventory needs no more than 6 levels: flatten the structure"],
                    ));
                }
                return Err(LoadError {
                    pos: Pos {
                        line: line.max(1) as usize,
                        column: col as usize + 1,
                        length: 1,
                    },
                    message: format!("invalid YAML: {}", e.info()),
                    hints: vec![
                        "check the indentation and the brackets and quotes around this place"
                            .to_string(),
                    ],
                });
            }
        };
        match event {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(load_error(
                        mark,
                        "the file holds more than one YAML document",
                        &["put each inventory in its own file, without a second `---`"],
                    ));
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                builder.scalar(value, style, anchor, tag.as_ref(), mark)?;
            }
            Event::SequenceStart(anchor, _) => {
                builder.open(Children::Seq(Vec::new()), anchor, mark)?;
            }
            Event::MappingStart(anchor, _) => builder.open(
                Children::Map {
                    entries: Vec::new(),
                    pending_key: None,
                    skip_value: false,
                    index: None,
                },
                anchor,
                mark,
            )?,
            Event::SequenceEnd | Event::MappingEnd => builder.close(mark)?,
            Event::Alias(anchor) => builder.alias(anchor, mark)?,
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
        }
    }
    let mut line_starts = vec![0];
    let mut ascii_lines = Vec::new();
    let mut ascii = true;
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            line_starts.push(i + 1);
            ascii_lines.push(ascii);
            ascii = true;
        } else if !b.is_ascii() {
            ascii = false;
        }
    }
    ascii_lines.push(ascii);
    Ok(Document {
        text,
        line_starts,
        ascii_lines,
        long_line: RefCell::new(None),
        nodes: builder.nodes,
        root: builder.root,
        duplicates: builder.duplicates,
    })
}

impl<'a> Document<'a> {
    /// The top node; `None` for an empty document.
    pub(crate) fn root(&self) -> Option<NodeId> {
        self.root.filter(|r| !self.is_null(*r))
    }

    /// Keys given twice in one mapping.
    pub(crate) fn duplicate_keys(&self) -> &[DuplicateKey] {
        &self.duplicates
    }

    fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.0 as usize)
    }

    fn is_null(&self, id: NodeId) -> bool {
        matches!(self.node(id).map(|n| &n.kind),
            Some(Kind::Scalar { value, style: Style::Plain }) if is_null(value))
    }

    /// The text of a line (1-based), without its line break.
    fn line_text(&self, line: usize) -> &'a str {
        let Some(start) = line.checked_sub(1).and_then(|l| self.line_starts.get(l)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text
            .get(*start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    /// Where a node starts: 1-based line and column (cheaper than [`Document::pos`]).
    pub(crate) fn start(&self, id: NodeId) -> (usize, usize) {
        self.node(id)
            .map_or((0, 0), |n| (n.line.max(1) as usize, n.col as usize + 1))
    }

    /// Where a node is, with the length of its text on its first line.
    pub(crate) fn pos(&self, id: NodeId) -> Pos {
        let Some(node) = self.node(id) else {
            return Pos {
                line: 0,
                column: 0,
                length: 1,
            };
        };
        let line = node.line.max(1) as usize;
        let text = self.line_text(line);
        let at = self.byte_offset(line, text, node.col as usize);
        let rest = text.get(at..).unwrap_or("");
        let length = match &node.kind {
            Kind::Scalar { value, style } => match style {
                Style::Plain | Style::Block => {
                    let first = value.lines().next().map_or(0, |l| l.chars().count());
                    visible_len(rest, first)
                }
                Style::SingleQuoted | Style::DoubleQuoted => {
                    quoted_len(rest).unwrap_or_else(|| visible_len(rest, usize::MAX))
                }
            },
            Kind::Seq(_) | Kind::Map(_) => flow_len(rest).unwrap_or(1),
        };
        Pos {
            line,
            column: node.col as usize + 1,
            length: length.max(1),
        }
    }

    /// Byte offset of the `col`th character of a line (`text`), or the line's length.
    fn byte_offset(&self, line: usize, text: &str, col: usize) -> usize {
        if self
            .ascii_lines
            .get(line.wrapping_sub(1))
            .copied()
            .unwrap_or(false)
        {
            return col.min(text.len());
        }
        if text.len() < 1024 {
            return text.char_indices().nth(col).map_or(text.len(), |(i, _)| i);
        }
        let mut cache = self.long_line.borrow_mut();
        if cache.as_ref().is_none_or(|(l, _)| *l != line) {
            *cache = Some((line, text.char_indices().map(|(i, _)| i).collect()));
        }
        cache
            .as_ref()
            .and_then(|(_, offsets)| offsets.get(col).copied())
            .unwrap_or(text.len())
    }

    /// The text of a scalar node (`None` for mappings and lists).
    pub(crate) fn scalar(&self, id: NodeId) -> Option<&str> {
        match &self.node(id)?.kind {
            Kind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The value node under `key` of a mapping node.
    pub(crate) fn get(&self, map: NodeId, key: &str) -> Option<NodeId> {
        match &self.node(map)?.kind {
            Kind::Map(entries) => entries
                .iter()
                .find(|(k, _)| self.scalar(*k) == Some(key))
                .map(|(_, v)| *v),
            _ => None,
        }
    }

    /// The node at a path of keys below `from`.
    pub(crate) fn lookup(&self, from: NodeId, path: &[&str]) -> Option<NodeId> {
        path.iter().try_fold(from, |at, key| self.get(at, key))
    }

    /// The `index`th item of a list node.
    #[cfg(test)]
    pub(crate) fn item(&self, seq: NodeId, index: usize) -> Option<NodeId> {
        match &self.node(seq)?.kind {
            Kind::Seq(items) => items.get(index).copied(),
            _ => None,
        }
    }

    /// How messages name a node: `` `level` `` for the value of a key, "an item of
    /// `techniques`" for a list item, "the file" for the top.
    pub(crate) fn what(&self, id: NodeId) -> String {
        let Some(node) = self.node(id) else {
            return "the file".to_string();
        };
        let parent = NodeId(node.parent);
        match self.node(parent).map(|p| &p.kind) {
            Some(Kind::Scalar { value, .. }) => format!("`{}`", shorten(value)),
            Some(Kind::Seq(_)) => {
                match self.node(NodeId(self.node(parent).map_or(u32::MAX, |p| p.parent))) {
                    Some(Node {
                        kind: Kind::Scalar { value, .. },
                        ..
                    }) => format!("an item of `{}`", shorten(value)),
                    _ => "a list item".to_string(),
                }
            }
            Some(Kind::Map(_)) => "a key".to_string(),
            None => "the file".to_string(),
        }
    }

    /// A short description of a node for messages: `` `text` ``, "a mapping", "a list", "nothing".
    pub(crate) fn describe(&self, id: NodeId) -> String {
        match self.node(id).map(|n| &n.kind) {
            Some(Kind::Scalar { value, style }) => {
                if *style == Style::Plain && is_null(value) {
                    "nothing".to_string()
                } else {
                    format!("`{}`", shorten(value))
                }
            }
            Some(Kind::Seq(_)) => "a list".to_string(),
            Some(Kind::Map(_)) => "a mapping".to_string(),
            None => "nothing".to_string(),
        }
    }

    /// Deserializes the node `at` as `T`. Keys `T` does not know are returned beside the value;
    /// they are collected up to the first error.
    pub(crate) fn read<T: de::DeserializeOwned>(&self, at: NodeId) -> Read<T> {
        let reader = Reader {
            doc: self,
            unknown: RefCell::new(Vec::new()),
        };
        let value = T::deserialize(NodeDe {
            reader: &reader,
            node: at,
            key: None,
            fields: &[],
        });
        Read {
            value,
            unknown: reader.unknown.into_inner(),
        }
    }
}

/// Characters of `rest`, at most `max`, without trailing white space.
fn visible_len(rest: &str, max: usize) -> usize {
    let mut count = 0;
    let mut visible = 0;
    for c in rest.chars().take(max) {
        count += 1;
        if !c.is_whitespace() {
            visible = count;
        }
    }
    visible
}

/// Length of a quoted scalar's source text starting at `rest` (quotes included), if it ends
/// on this line.
fn quoted_len(rest: &str) -> Option<usize> {
    let mut chars = rest.chars();
    let quote = chars.next()?;
    let mut len = 1;
    let mut escaped = false;
    let mut chars = chars.peekable();
    while let Some(c) = chars.next() {
        len += 1;
        if quote == '"' {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                return Some(len);
            }
        } else if c == '\'' {
            if chars.peek() == Some(&'\'') {
                chars.next();
                len += 1;
            } else {
                return Some(len);
            }
        }
    }
    None
}

/// Length of a flow collection (`[a, b]`, `{a: 1}`) starting at `rest`, if it closes on this
/// line.
fn flow_len(rest: &str) -> Option<usize> {
    if !rest.starts_with(['[', '{']) {
        return None;
    }
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in rest.chars().enumerate() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if q == '"' && c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '[' | '{' => depth += 1,
            ']' | '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            '#' => return None,
            _ => {}
        }
    }
    None
}

fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    let first = text.lines().next().unwrap_or("");
    if first.chars().count() > MAX || first.len() < text.len() {
        let cut: String = first.chars().take(MAX).collect();
        format!("{cut}...")
    } else {
        first.to_string()
    }
}

/// A key the target struct does not know.
#[derive(Debug, Clone)]
pub(crate) struct UnknownKey {
    /// The key node.
    pub(crate) key: NodeId,
    /// The keys valid there.
    pub(crate) expected: &'static [&'static str],
}

/// The result of [`Document::read`].
pub(crate) struct Read<T> {
    pub(crate) value: Result<T, DeError>,
    pub(crate) unknown: Vec<UnknownKey>,
}

struct Reader<'r, 'a> {
    doc: &'r Document<'a>,
    unknown: RefCell<Vec<UnknownKey>>,
}

// ---------------------------------------------------------------------------------------------
// Scalars

fn is_null(v: &str) -> bool {
    matches!(v, "" | "~" | "null" | "Null" | "NULL")
}

fn as_bool(v: &str) -> Option<bool> {
    match v {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

enum Int {
    Pos(u64),
    Neg(i64),
}

fn as_int(v: &str) -> Option<Int> {
    let (neg, digits) = match v.as_bytes().first()? {
        b'-' => (true, &v[1..]),
        b'+' => (false, &v[1..]),
        _ => (false, v),
    };
    let (radix, digits) = if let Some(h) = digits.strip_prefix("0x") {
        (16, h)
    } else if let Some(o) = digits.strip_prefix("0o") {
        (8, o)
    } else {
        (10, digits)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        let n = i64::try_from(magnitude).ok()?;
        Some(Int::Neg(-n))
    } else {
        Some(Int::Pos(magnitude))
    }
}

fn as_float(v: &str) -> Option<f64> {
    let body = v.strip_prefix(['-', '+']).unwrap_or(v);
    let sign = if v.starts_with('-') { -1.0 } else { 1.0 };
    match body {
        ".inf" | ".Inf" | ".INF" => return Some(sign * f64::INFINITY),
        ".nan" | ".NaN" | ".NAN" if body.len() == v.len() => return Some(f64::NAN),
        _ => {}
    }
    // YAML 1.2 core: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], Some(&mantissa[i + 1..])),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        Some(f) => digits(int) && digits(f) && !(int.is_empty() && f.is_empty()),
        None => !int.is_empty() && digits(int),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    if mantissa_ok && exponent_ok {
        v.parse::<f64>().ok()
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

/// What went wrong deserializing, structured so that messages can name the node and list the
/// valid values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DeErrorKind {
    /// Wrong kind of value; `expected` is already phrased for people ("a number").
    InvalidType { expected: String },
    /// Right kind, value not allowed.
    InvalidValue { expected: String },
    /// Not one of the allowed words.
    UnknownVariant {
        found: String,
        expected: &'static [&'static str],
    },
    /// A key a strict struct does not know.
    UnknownField {
        found: String,
        expected: &'static [&'static str],
    },
    /// A required key is missing.
    MissingField(&'static str),
    /// Anything else.
    Custom(String),
}

/// A deserialization error, with the node it is about when known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeError {
    pub(crate) node: Option<NodeId>,
    pub(crate) kind: DeErrorKind,
}

impl DeError {
    fn new(kind: DeErrorKind) -> Self {
        DeError { node: None, kind }
    }

    /// Errors are tagged by the innermost node that sees them.
    fn at(mut self, node: NodeId) -> Self {
        if self.node.is_none() {
            self.node = Some(node);
        }
        self
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            DeErrorKind::InvalidType { expected } | DeErrorKind::InvalidValue { expected } => {
                write!(f, "expected {expected}")
            }
            DeErrorKind::UnknownVariant { found, .. } => write!(f, "unknown value `{found}`"),
            DeErrorKind::UnknownField { found, .. } => write!(f, "unknown key `{found}`"),
            DeErrorKind::MissingField(field) => write!(f, "missing key `{field}`"),
            DeErrorKind::Custom(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for DeError {}

/// Rephrases serde's and Rust's names of expected types for people.
fn friendly(expected: &str) -> String {
    match expected {
        "f64" | "f32" | "a number" => "a number".to_string(),
        "u64" | "u32" | "u16" | "u8" | "usize" | "i64" | "i32" | "i16" | "i8" | "isize"
        | "an integer" => "a whole number".to_string(),
        "a boolean" | "bool" => "`true` or `false`".to_string(),
        "a string" | "string" | "a character" | "char" => "text".to_string(),
        "a sequence" | "a list" => "a list".to_string(),
        "a map" => "a mapping".to_string(),
        e if e.starts_with("struct ") => "a mapping of keys".to_string(),
        e if e.starts_with("enum ") => "one of the allowed words".to_string(),
        e => e.to_string(),
    }
}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::new(DeErrorKind::Custom(msg.to_string()))
    }

    fn invalid_type(_unexp: Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        DeError::new(DeErrorKind::InvalidType {
            expected: friendly(&exp.to_string()),
        })
    }

    fn invalid_value(_unexp: Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        DeError::new(DeErrorKind::InvalidValue {
            expected: friendly(&exp.to_string()),
        })
    }

    fn invalid_length(len: usize, exp: &dyn de::Expected) -> Self {
        DeError::new(DeErrorKind::Custom(format!(
            "{len} items where {} were expected",
            friendly(&exp.to_string())
        )))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        DeError::new(DeErrorKind::UnknownVariant {
            found: variant.to_string(),
            expected,
        })
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        DeError::new(DeErrorKind::UnknownField {
            found: field.to_string(),
            expected,
        })
    }

    fn missing_field(field: &'static str) -> Self {
        DeError::new(DeErrorKind::MissingField(field))
    }

    fn duplicate_field(field: &'static str) -> Self {
        DeError::new(DeErrorKind::Custom(format!("`{field}` is given twice")))
    }
}

// ---------------------------------------------------------------------------------------------
// Deserializer

#[derive(Clone, Copy)]
struct NodeDe<'r, 'a> {
    reader: &'r Reader<'r, 'a>,
    node: NodeId,
    /// The key this node is the value of, and the fields of the struct that holds it.
    key: Option<NodeId>,
    fields: &'static [&'static str],
}

impl<'r, 'a> NodeDe<'r, 'a> {
    fn kind(&self) -> Option<&'r Kind> {
        self.reader.doc.node(self.node).map(|n| &n.kind)
    }

    fn at(&self, node: NodeId) -> NodeDe<'r, 'a> {
        NodeDe {
            reader: self.reader,
            node,
            key: None,
            fields: &[],
        }
    }

    fn unexpected(&self) -> Unexpected<'r> {
        match self.kind() {
            Some(Kind::Scalar { value, .. }) => Unexpected::Str(value),
            Some(Kind::Seq(_)) => Unexpected::Seq,
            Some(Kind::Map(_)) => Unexpected::Map,
            None => Unexpected::Unit,
        }
    }

    fn wrong_type(&self, exp: &dyn de::Expected) -> DeError {
        <DeError as de::Error>::invalid_type(self.unexpected(), exp).at(self.node)
    }

    /// A plain (untyped) scalar's text.
    fn plain(&self) -> Option<&'r str> {
        match self.kind() {
            Some(Kind::Scalar {
                value,
                style: Style::Plain,
            }) => Some(value),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        self.plain().is_some_and(is_null)
    }
}

struct Seq<'r, 'a> {
    de: NodeDe<'r, 'a>,
    items: std::slice::Iter<'r, NodeId>,
}

impl<'de> de::SeqAccess<'de> for Seq<'_, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            Some(item) => seed.deserialize(self.de.at(*item)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// A one-item sequence of a scalar, for [`OneOrMany`].
struct Single<'r, 'a> {
    de: Option<NodeDe<'r, 'a>>,
}

impl<'de> de::SeqAccess<'de> for Single<'_, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.de.take() {
            Some(de) => seed.deserialize(de).map(Some),
            None => Ok(None),
        }
    }
}

/// The node id, then the node, for [`Spanned`].
struct WithId<'r, 'a> {
    de: NodeDe<'r, 'a>,
    state: u8,
}

impl<'de> de::SeqAccess<'de> for WithId<'_, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        self.state = self.state.saturating_add(1);
        match self.state {
            1 => seed
                .deserialize(IntoDeserializer::<DeError>::into_deserializer(
                    self.de.node.0,
                ))
                .map(Some),
            2 => seed.deserialize(self.de).map(Some),
            _ => Ok(None),
        }
    }
}

struct Map<'r, 'a> {
    de: NodeDe<'r, 'a>,
    entries: std::slice::Iter<'r, (NodeId, NodeId)>,
    value: Option<(NodeId, NodeId)>,
    fields: &'static [&'static str],
}

impl<'de> de::MapAccess<'de> for Map<'_, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some((*key, *value));
                seed.deserialize(self.de.at(*key)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some((key, value)) = self.value.take() else {
            return Err(de::Error::custom("a value without a key"));
        };
        seed.deserialize(NodeDe {
            reader: self.de.reader,
            node: value,
            key: Some(key),
            fields: self.fields,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct Variant<'r, 'a> {
    de: NodeDe<'r, 'a>,
    name: &'r str,
}

impl<'de> de::EnumAccess<'de> for Variant<'_, '_> {
    type Error = DeError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), DeError> {
        let value = seed.deserialize(IntoDeserializer::<DeError>::into_deserializer(self.name))?;
        Ok((value, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'_, '_> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, DeError> {
        Err(self.de.wrong_type(&"a mapping"))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, DeError> {
        Err(self.de.wrong_type(&"a list"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, DeError> {
        Err(self.de.wrong_type(&"a mapping"))
    }
}

impl NodeDe<'_, '_> {
    fn visit_map_with<'de, V: Visitor<'de>>(
        self,
        visitor: V,
        fields: &'static [&'static str],
    ) -> Result<V::Value, DeError> {
        match self.kind() {
            Some(Kind::Map(entries)) => visitor.visit_map(Map {
                de: self,
                entries: entries.iter(),
                value: None,
                fields,
            }),
            _ => Err(self.wrong_type(&visitor)),
        }
    }

    fn any<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.kind() {
            Some(Kind::Scalar { value, style }) => {
                if *style != Style::Plain {
                    return visitor.visit_str(value);
                }
                if is_null(value) {
                    return visitor.visit_unit();
                }
                if let Some(b) = as_bool(value) {
                    return visitor.visit_bool(b);
                }
                match as_int(value) {
                    Some(Int::Pos(n)) => return visitor.visit_u64(n),
                    Some(Int::Neg(n)) => return visitor.visit_i64(n),
                    None => {}
                }
                if let Some(f) = as_float(value) {
                    return visitor.visit_f64(f);
                }
                visitor.visit_str(value)
            }
            Some(Kind::Seq(items)) => visitor.visit_seq(Seq {
                de: self,
                items: items.iter(),
            }),
            Some(Kind::Map(_)) => self.visit_map_with(visitor, &[]),
            None => visitor.visit_unit(),
        }
    }

    fn string<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.kind() {
            Some(Kind::Scalar { value, .. }) if !self.is_null() => visitor.visit_str(value),
            _ => Err(self.wrong_type(&visitor)),
        }
    }

    fn int<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.plain().and_then(as_int) {
            Some(Int::Pos(n)) => visitor.visit_u64(n),
            Some(Int::Neg(n)) => visitor.visit_i64(n),
            None => Err(self.wrong_type(&visitor)),
        }
    }

    fn float<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.plain().and_then(as_float) {
            Some(f) => visitor.visit_f64(f),
            None => Err(self.wrong_type(&visitor)),
        }
    }
}

macro_rules! forward {
    ($($method:ident => $via:ident),* $(,)?) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            let node = self.node;
            self.$via(visitor).map_err(|e| e.at(node))
        })*
    };
}

impl<'de> Deserializer<'de> for NodeDe<'_, '_> {
    type Error = DeError;

    forward! {
        deserialize_any => any,
        deserialize_i8 => int, deserialize_i16 => int, deserialize_i32 => int,
        deserialize_i64 => int, deserialize_i128 => int,
        deserialize_u8 => int, deserialize_u16 => int, deserialize_u32 => int,
        deserialize_u64 => int, deserialize_u128 => int,
        deserialize_f32 => float, deserialize_f64 => float,
        deserialize_char => string, deserialize_str => string, deserialize_string => string,
        deserialize_bytes => string, deserialize_byte_buf => string,
        deserialize_identifier => string,
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.plain().and_then(as_bool) {
            Some(b) => visitor.visit_bool(b).map_err(|e: DeError| e.at(self.node)),
            None => Err(self.wrong_type(&visitor)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
        .map_err(|e| e.at(self.node))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.is_null() {
            visitor.visit_unit().map_err(|e: DeError| e.at(self.node))
        } else {
            Err(self.wrong_type(&visitor))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let node = self.node;
        match name {
            DEFERRED => visitor.visit_u32(node.0),
            SPANNED => visitor.visit_seq(WithId { de: self, state: 0 }),
            ONE_OR_MANY => match self.kind() {
                Some(Kind::Seq(items)) => visitor.visit_seq(Seq {
                    de: self,
                    items: items.iter(),
                }),
                Some(Kind::Scalar { .. }) if !self.is_null() => {
                    visitor.visit_seq(Single { de: Some(self) })
                }
                _ => Err(self.wrong_type(&visitor)),
            },
            _ => visitor.visit_newtype_struct(self),
        }
        .map_err(|e| e.at(node))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.kind() {
            Some(Kind::Seq(items)) => visitor
                .visit_seq(Seq {
                    de: self,
                    items: items.iter(),
                })
                .map_err(|e| e.at(self.node)),
            _ => Err(self.wrong_type(&visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let node = self.node;
        self.visit_map_with(visitor, &[]).map_err(|e| e.at(node))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let node = self.node;
        self.visit_map_with(visitor, fields).map_err(|e| e.at(node))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.kind() {
            Some(Kind::Scalar { value, .. }) if !self.is_null() => {
                let trimmed = value.trim();
                // Accept any case: `Detect` is `detect`.
                let name = variants
                    .iter()
                    .find(|v| v.eq_ignore_ascii_case(trimmed))
                    .copied()
                    .unwrap_or(trimmed);
                visitor
                    .visit_enum(Variant { de: self, name })
                    .map_err(|e| e.at(self.node))
            }
            _ => Err(self.wrong_type(&OneOf(variants))),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if let Some(key) = self.key {
            self.reader.unknown.borrow_mut().push(UnknownKey {
                key,
                expected: self.fields,
            });
        }
        visitor.visit_unit()
    }
}

struct OneOf(&'static [&'static str]);

impl de::Expected for OneOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("one of ")?;
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "`{v}`")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Wrappers for `Raw*` fields

/// A value read later, on its own: its errors do not stop the reading of its siblings.
pub(crate) struct Deferred<T> {
    pub(crate) node: NodeId,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for Deferred<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Deferred<T> {}

impl<T> fmt::Debug for Deferred<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Deferred({})", self.node.0)
    }
}

impl<'de, T> de::Deserialize<'de> for Deferred<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NodeVisitor<T>(PhantomData<fn() -> T>);
        impl<T> Visitor<'_> for NodeVisitor<T> {
            type Value = Deferred<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a YAML node")
            }
            fn visit_u32<E: de::Error>(self, v: u32) -> Result<Self::Value, E> {
                Ok(Deferred {
                    node: NodeId(v),
                    _t: PhantomData,
                })
            }
        }
        deserializer.deserialize_newtype_struct(DEFERRED, NodeVisitor(PhantomData))
    }
}

/// A value with the node it was read from.
#[derive(Debug, Clone)]
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) node: NodeId,
}

impl<'de, T: de::Deserialize<'de>> de::Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpannedVisitor<T>(PhantomData<fn() -> T>);
        impl<'de, T: de::Deserialize<'de>> Visitor<'de> for SpannedVisitor<T> {
            type Value = Spanned<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a YAML node")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let node: u32 = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::custom("a node without its id"))?;
                let value: T = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::custom("a node without its value"))?;
                Ok(Spanned {
                    value,
                    node: NodeId(node),
                })
            }
        }
        deserializer.deserialize_newtype_struct(SPANNED, SpannedVisitor(PhantomData))
    }
}

/// A list, or a single value standing for a list of one.
#[derive(Debug, Clone)]
pub(crate) struct OneOrMany<T>(pub(crate) Vec<T>);

impl<'de, T: de::Deserialize<'de>> de::Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(PhantomData<fn() -> T>);
        impl<'de, T: de::Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list, or a single value")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(OneOrMany(items))
            }
        }
        deserializer.deserialize_newtype_struct(ONE_OR_MANY, ListVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use serde::Deserialize;

    use super::{
        DeErrorKind, Int, OneOrMany, Pos, Spanned, as_bool, as_float, as_int, flow_len, is_null,
        load, quoted_len,
    };

    fn pos(line: usize, column: usize, length: usize) -> Pos {
        Pos {
            line,
            column,
            length,
        }
    }

    #[test]
    fn core_schema_scalars() {
        for null in ["", "~", "null", "Null", "NULL"] {
            assert!(is_null(null), "{null}");
        }
        assert!(!is_null("nil"));
        assert_eq!(as_bool("True"), Some(true));
        assert_eq!(as_bool("yes"), None);
        assert!(matches!(as_int("42"), Some(Int::Pos(42))));
        assert!(matches!(as_int("-7"), Some(Int::Neg(-7))));
        assert!(matches!(as_int("0x1F"), Some(Int::Pos(31))));
        assert!(matches!(as_int("0o17"), Some(Int::Pos(15))));
        for not_int in ["1.0", "1_000", "", "-", "12a", "99999999999999999999"] {
            assert!(as_int(not_int).is_none(), "{not_int}");
        }
        assert_eq!(as_float("0.5"), Some(0.5));
        assert_eq!(as_float(".5"), Some(0.5));
        assert_eq!(as_float("1e3"), Some(1000.0));
        assert_eq!(as_float("-.inf"), Some(f64::NEG_INFINITY));
        assert!(as_float(".nan").is_some_and(f64::is_nan));
        for not_float in [
            "18.1.2",
            "e3",
            ".",
            "1e",
            "2026-09-14",
            "inf",
            "-.nan",
            "0x1p3",
        ] {
            assert!(as_float(not_float).is_none(), "{not_float}");
        }
    }

    #[test]
    fn source_lengths() {
        assert_eq!(quoted_len("\"a\\\"b\" rest"), Some(6));
        assert_eq!(quoted_len("'it''s' x"), Some(7));
        assert_eq!(quoted_len("\"open"), None);
        assert_eq!(flow_len("[a, [b], \"]\"] # c"), Some(13));
        assert_eq!(flow_len("{a: 1}"), Some(6));
        assert_eq!(flow_len("[a,"), None);
        assert_eq!(flow_len("a"), None);
    }

    #[test]
    fn positions_of_nodes() {
        let text =
            "a: 1\nlist:\n  - x\n  - {k: 'v w', n: [1, 2]}\nblock:\n  key: plain text  # c\n";
        let doc = load(text).expect("valid");
        let root = doc.root().expect("root");
        assert_eq!(doc.pos(root), pos(1, 1, 1));
        let a = doc.get(root, "a").expect("a");
        assert_eq!(doc.pos(a), pos(1, 4, 1));
        let list = doc.get(root, "list").expect("list");
        assert_eq!(doc.pos(list), pos(3, 3, 1));
        let second = doc.lookup(root, &["list"]).and_then(|l| doc.item(l, 1));
        let second = second.expect("item");
        assert_eq!(doc.pos(second), pos(4, 5, 21));
        assert_eq!(doc.pos(doc.get(second, "k").expect("k")), pos(4, 9, 5));
        assert_eq!(doc.pos(doc.get(second, "n").expect("n")), pos(4, 19, 6));
        let key = doc.lookup(root, &["block", "key"]).expect("key");
        assert_eq!(doc.pos(key), pos(6, 8, 10));
        assert_eq!(doc.what(key), "`key`");
        assert_eq!(doc.what(second), "an item of `list`");
        assert_eq!(doc.describe(list), "a list");
    }

    #[test]
    fn duplicate_keys_in_small_and_large_mappings() {
        let small = load("a: 1\nb: 2\na: 3\n").expect("loads");
        assert_eq!(small.duplicate_keys().len(), 1);
        let root = small.root().expect("root");
        assert_eq!(small.scalar(small.get(root, "a").expect("a")), Some("1"));
        let mut large = String::new();
        for i in 0..40 {
            let _ = writeln!(large, "k{i}: {i}");
        }
        large.push_str("k7: again\nk39: again\n");
        let large = load(&large).expect("loads");
        let names: Vec<&str> = large
            .duplicate_keys()
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        assert_eq!(names, vec!["k7", "k39"]);
    }

    #[derive(Debug, Deserialize)]
    struct Sample {
        name: Spanned<String>,
        ids: OneOrMany<Spanned<String>>,
        #[serde(default)]
        n: Option<u32>,
    }

    #[test]
    fn reading_with_nodes_and_unknown_keys() {
        let doc = load("name: x\nids: T1\nextra: 1\nn: 3\n").expect("loads");
        let read = doc.read::<Sample>(doc.root().expect("root"));
        let sample = read.value.expect("reads");
        assert_eq!(sample.name.value, "x");
        assert_eq!(doc.pos(sample.name.node), pos(1, 7, 1));
        assert_eq!(sample.ids.0.len(), 1);
        assert_eq!(doc.pos(sample.ids.0[0].node), pos(2, 6, 2));
        assert_eq!(sample.n, Some(3));
        assert_eq!(read.unknown.len(), 1);
        assert_eq!(doc.scalar(read.unknown[0].key), Some("extra"));
        assert_eq!(read.unknown[0].expected, &["name", "ids", "n"]);
    }

    #[test]
    fn errors_name_their_node() {
        let doc = load("name: x\nids: [a, {b: 1}]\n").expect("loads");
        let err = doc
            .read::<Sample>(doc.root().expect("root"))
            .value
            .expect_err("a mapping is not text");
        assert_eq!(doc.pos(err.node.expect("node")), pos(2, 10, 6));
        assert_eq!(
            err.kind,
            DeErrorKind::InvalidType {
                expected: "text".to_string()
            }
        );
        let doc = load("ids: []\n").expect("loads");
        let err = doc
            .read::<Sample>(doc.root().expect("root"))
            .value
            .expect_err("name is missing");
        assert_eq!(err.kind, DeErrorKind::MissingField("name"));
        assert_eq!(doc.pos(err.node.expect("node")), pos(1, 1, 1));
    }

    #[test]
    fn limits() {
        let deep = format!("{}1{}", "[".repeat(64), "]".repeat(64));
        assert!(load(&deep).is_ok());
        let too_deep = format!("{}1{}", "[".repeat(65), "]".repeat(65));
        let err = load(&too_deep).expect_err("too deep");
        assert!(err.message.contains("deeper than 64"), "{}", err.message);
        // An alias counts the nesting below its anchor.
        let nested = format!("a: &a {}1{}\nb: [*a]\n", "[".repeat(63), "]".repeat(63));
        assert!(load(&nested).is_err());
        let err = load("a: *nothing\n").expect_err("unknown anchor");
        assert!(err.message.contains("anchor"), "{}", err.message);
        let err = load("a: 1\n---\nb: 2\n").expect_err("two documents");
        assert_eq!((err.pos.line, err.pos.column), (2, 1));
    }
}
