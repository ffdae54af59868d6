//! YAML reading: the only module that knows the YAML parser.
//!
//! One pass of yaml-rust2's event parser builds a `Document`: a tree of nodes that keeps the
//! line and column of every node, key or value, so that every finding can name file:line:column.
//! A serde `Deserializer` over that tree then fills the `Raw*` structs of
//! [`crate::schema`]; its errors name the node they are about, and keys the target struct does
//! not know are collected instead of failing (cf. toml-span's `Spanned`).
//!
//! Why not serde_yaml: it keeps no positions, and parsing twice (serde_yaml for values,
//! yaml-rust2 for positions) costs twice the time and lets two parsers disagree.
//!
//! Layout, for speed on large inventories (hundreds of thousands of nodes): the tree allocates
//! nothing per node. Scalar texts are copied into one string (`strings`) as the parser hands
//! them over, and the children of every list and mapping are contiguous ranges of two flat
//! arrays (`items`, `entries`), filled when the container closes from a stack shared by all open
//! containers. The deserializer lends out `&str`s into `strings`, so the `Raw*` structs borrow
//! their text instead of allocating it. Line starts, needed only to report findings, are
//! computed on the first finding.
//!
//! Two threads on large inventories: yaml-rust2 parses about 50 MB/s, and nearly all of a large
//! inventory is its top-level `capabilities:` block list. `load` cuts such a text (64 KiB
//! or more, when [`crate::threads::parallel`]) at an item line of that list near the middle and
//! parses both halves at once, each as a document of its own; the second half's list stands
//! for the first half's, its nodes are renumbered after the first half's, its lines moved by the
//! first half's line count, and its children placed where the one-pass parse flushes them. The
//! result is the same `Document` the one-pass parse builds (a property test checks every line
//! as a cut). Whenever the halves could read differently from the whole (a lone `\r` or a NUL, a
//! directive or `...` before the cut, a line of the second half left of the list's items,
//! anchors or aliases in it, a first half that does not end inside its top list, an empty node
//! at its end, any parse error), the text is parsed again in one pass, so every error and
//! position is the one-pass parse's.
//!
//! Safety against hostile input: aliases are not copied (an alias points at its anchor's node),
//! the number of nodes reachable through aliases is bounded (`MAX_ALIAS_NODES`), and so is the
//! nesting depth, aliases included (`MAX_DEPTH`); deserialization recursion is therefore
//! bounded too. The parser is driven event by event and stops at the first violation.
//!
//! Scalars are typed by what the target asks for: a plain `18.1` read as a string is `"18.1"`,
//! read as a number is 18.1. Untyped reads follow the YAML 1.2 core schema.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

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
const LOCATED: &str = "$covmap::yaml::Located";

/// A node of a [`Document`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct NodeId(u32);

impl NodeId {
    /// Its position in document order: nodes are numbered as the parser meets them, so a
    /// subtree's nodes come between its own number and that of the next node after it.
    pub(crate) fn position(self) -> usize {
        self.0 as usize
    }
}

/// No node (`Node::parent` of the top node and of nodes not attached yet).
const NONE: u32 = u32::MAX;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Scalar(Style),
    Seq,
    Map,
}

#[derive(Debug, PartialEq, Eq)]
struct Node {
    kind: Kind,
    /// Scalars: byte offset of the text in [`Document::strings`]; lists: of the items in
    /// [`Document::items`]; mappings: of the entries in [`Document::entries`].
    start: u32,
    /// Bytes of text, items or entries.
    len: u32,
    /// 1-based line.
    line: u32,
    /// 0-based column in characters.
    col: u32,
    /// For a mapping value, its key; for a list item, the list; for a key, its mapping
    /// ([`NONE`]: none). An aliased node keeps its first parent.
    parent: u32,
}

impl Node {
    /// Where its text, items or entries are.
    fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.start as usize + self.len as usize
    }
}

/// Two equal keys in one mapping: the later is dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DuplicateKey {
    /// The later key.
    pub(crate) key: NodeId,
    /// The earlier one.
    pub(crate) first: NodeId,
    /// The key text.
    pub(crate) name: String,
}

/// Why a text could not be read as a YAML document at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LoadError {
    pub(crate) pos: Pos,
    pub(crate) message: String,
    pub(crate) hints: Vec<String>,
}

/// Where lines start, computed on the first finding that needs a length.
#[derive(Debug, PartialEq, Eq)]
struct Lines {
    starts: Vec<usize>,
    /// Per line: whether it holds only ASCII (then a column is a byte offset).
    ascii: Vec<bool>,
}

impl Lines {
    fn of(text: &str) -> Lines {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        let mut ascii = Vec::with_capacity(text.len() / 32 + 1);
        let mut start = 0;
        for line in text.split_inclusive('\n') {
            starts.push(start);
            ascii.push(line.is_ascii());
            start += line.len();
        }
        // The line after a final line break (or the only line of an empty text).
        if text.is_empty() || text.ends_with('\n') {
            starts.push(start);
            ascii.push(true);
        }
        Lines { starts, ascii }
    }
}

/// A text's line index, built apart from its [`Document`] ([`Document::set_line_index`]).
pub(crate) struct LineIndex(Lines);

impl LineIndex {
    /// The line index of `text`: give it only to the document parsed from that text.
    pub(crate) fn of(text: &str) -> LineIndex {
        LineIndex(Lines::of(text))
    }
}

/// A parsed YAML document with the position of every node. `Send` and `Sync`: it can be built
/// on one thread and read on another.
#[derive(Debug)]
pub(crate) struct Document<'a> {
    text: &'a str,
    nodes: Vec<Node>,
    /// The texts of all scalars, one after the other.
    strings: String,
    /// The items of all lists, each list's contiguous.
    items: Vec<NodeId>,
    /// The (key, value) entries of all mappings, each mapping's contiguous.
    entries: Vec<(NodeId, NodeId)>,
    root: Option<NodeId>,
    duplicates: Vec<DuplicateKey>,
    /// Shared by the pieces of one text ([`Pieces`]).
    lines: OnceLock<Arc<Lines>>,
    /// Char -> byte offsets of the last long non-ASCII line looked at: findings on one huge
    /// line cost one scan, not one each.
    long_line: Mutex<Option<(usize, Vec<usize>)>>,
}

/// Equal when they hold the same text and the same tree (the caches built for findings are
/// not compared): the chunked parse is checked against the sequential one with it.
impl PartialEq for Document<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
            && self.nodes == other.nodes
            && self.strings == other.strings
            && self.items == other.items
            && self.entries == other.entries
            && self.root == other.root
            && self.duplicates == other.duplicates
    }
}

/// An open list or mapping.
struct Frame {
    node: NodeId,
    anchor: usize,
    map: bool,
    /// Nodes reachable from here so far, aliases expanded (saturating).
    size: u32,
    /// Nesting below this node so far, aliases expanded.
    height: u32,
    /// Where its children start on [`Builder::open_items`] or [`Builder::open_entries`].
    base: usize,
    /// The key whose value comes next.
    pending_key: Option<NodeId>,
    /// The pending key repeats an earlier one: its value is dropped.
    skip_value: bool,
    /// Key texts, once the mapping is large enough for a linear scan to cost.
    index: Option<HashSet<String>>,
}

/// Mappings with more keys than this index them for duplicate detection.
const INDEX_KEYS_FROM: usize = 16;

/// A complete anchored node, with what an alias to it adds to a document.
#[derive(Debug, Clone, Copy)]
struct Anchored {
    node: NodeId,
    /// Nodes reachable from it, aliases expanded (saturating).
    size: u32,
    /// Nesting below it, aliases expanded.
    height: u32,
}

struct Builder {
    nodes: Vec<Node>,
    strings: String,
    items: Vec<NodeId>,
    entries: Vec<(NodeId, NodeId)>,
    /// Children of the open lists, innermost last.
    open_items: Vec<NodeId>,
    /// Entries of the open mappings, innermost last.
    open_entries: Vec<(NodeId, NodeId)>,
    stack: Vec<Frame>,
    /// anchor id -> node, once the anchored node is complete.
    anchors: Vec<Option<Anchored>>,
    /// anchor ids of nodes still open (an alias to one is recursive).
    open_anchors: Vec<usize>,
    alias_nodes: u64,
    root: Option<NodeId>,
    duplicates: Vec<DuplicateKey>,
    /// Open mappings and lists above the text being parsed (1 for a chunk that continues a
    /// list of the top mapping: the mapping): the depth limit counts them.
    depth_base: usize,
    /// An anchor or alias was seen (a chunk holding one is not merged).
    anchored: bool,
    /// The last key given to the top mapping, repeated keys included.
    top_key: Option<NodeId>,
}

/// Where an event is: 1-based line and 0-based column in characters (yaml-rust2's `Marker`
/// also holds a character index, which nothing here needs, and cannot be built or moved).
#[derive(Debug, Clone, Copy)]
struct Mark {
    line: u32,
    col: u32,
}

impl Mark {
    fn new(marker: Marker) -> Mark {
        Mark {
            line: u32::try_from(marker.line()).unwrap_or(u32::MAX),
            col: u32::try_from(marker.col()).unwrap_or(u32::MAX),
        }
    }
}

fn load_error(mark: Mark, message: impl Into<String>, hints: &[&str]) -> LoadError {
    LoadError {
        pos: Pos {
            line: mark.line.max(1) as usize,
            column: mark.col as usize + 1,
            length: 1,
        },
        message: message.into(),
        hints: hints.iter().map(|h| (*h).to_string()).collect(),
    }
}

fn too_large(mark: Mark) -> LoadError {
    load_error(mark, "the document has too many nodes", &[])
}

/// The text of a scalar node.
fn text_of<'s>(nodes: &[Node], strings: &'s str, id: NodeId) -> Option<&'s str> {
    let node = nodes.get(id.0 as usize)?;
    match node.kind {
        Kind::Scalar(_) => strings.get(node.range()),
        Kind::Seq | Kind::Map => None,
    }
}

impl Builder {
    fn push_node(
        &mut self,
        kind: Kind,
        start: u32,
        len: u32,
        mark: Mark,
    ) -> Result<NodeId, LoadError> {
        let id = u32::try_from(self.nodes.len())
            .ok()
            .filter(|n| *n < NONE)
            .map(NodeId)
            .ok_or_else(|| too_large(mark))?;
        self.nodes.push(Node {
            kind,
            start,
            len,
            line: mark.line,
            col: mark.col,
            parent: NONE,
        });
        Ok(id)
    }

    fn set_anchor(&mut self, anchor: usize, anchored: Anchored) {
        if anchor == 0 {
            return;
        }
        if self.anchors.len() <= anchor {
            self.anchors.resize(anchor + 1, None);
        }
        if let Some(slot) = self.anchors.get_mut(anchor) {
            *slot = Some(anchored);
        }
    }

    /// Whether the new key of the innermost open mapping repeats an earlier one: the earlier
    /// key, and the text of both.
    fn repeated_key(&mut self, key: NodeId) -> Option<(NodeId, String)> {
        let frame = self.stack.last_mut()?;
        let (nodes, strings) = (&self.nodes, self.strings.as_str());
        let text = text_of(nodes, strings, key).unwrap_or_default();
        let entries = self.open_entries.get(frame.base..).unwrap_or_default();
        if frame.index.is_none() && entries.len() >= INDEX_KEYS_FROM {
            frame.index = Some(
                entries
                    .iter()
                    .filter_map(|(k, _)| text_of(nodes, strings, *k))
                    .map(str::to_string)
                    .collect(),
            );
        }
        let repeated = match &mut frame.index {
            Some(index) => index.contains(text) || !index.insert(text.to_string()),
            None => entries
                .iter()
                .any(|(k, _)| text_of(nodes, strings, *k) == Some(text)),
        };
        repeated.then(|| {
            let first = entries
                .iter()
                .map(|(k, _)| *k)
                .find(|k| text_of(nodes, strings, *k) == Some(text))
                .unwrap_or(key);
            (first, text.to_string())
        })
    }

    /// Attaches a finished node (`size` and `height` as in [`Anchored`]) to the open container,
    /// or makes it the root.
    fn attach(
        &mut self,
        child: NodeId,
        size: u32,
        height: u32,
        mark: Mark,
    ) -> Result<(), LoadError> {
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(child);
            return Ok(());
        };
        let parent = frame.node;
        let Some(child_node) = self.nodes.get(child.0 as usize) else {
            return Err(load_error(mark, "unbalanced YAML events", &[]));
        };
        let mut child_parent = parent.0;
        if !frame.map {
            self.open_items.push(child);
        } else if let Some(key) = frame.pending_key.take() {
            if std::mem::take(&mut frame.skip_value) {
                return Ok(());
            }
            self.open_entries.push((key, child));
            child_parent = key.0;
        } else {
            if !matches!(child_node.kind, Kind::Scalar(_)) {
                let mut e = load_error(
                    mark,
                    "a mapping key must be plain text, not a mapping or a list",
                    &["write the key as text: `name: value`"],
                );
                e.pos.line = child_node.line.max(1) as usize;
                e.pos.column = child_node.col as usize + 1;
                return Err(e);
            }
            if let Some((first, name)) = self.repeated_key(child) {
                self.duplicates.push(DuplicateKey {
                    key: child,
                    first,
                    name,
                });
                if let Some(frame) = self.stack.last_mut() {
                    frame.skip_value = true;
                }
            }
            if let Some(frame) = self.stack.last_mut() {
                frame.pending_key = Some(child);
            }
            if self.stack.len() == 1 {
                self.top_key = Some(child);
            }
            if let Some(k) = self.nodes.get_mut(child.0 as usize) {
                k.parent = parent.0;
            }
            return Ok(());
        }
        if let Some(c) = self.nodes.get_mut(child.0 as usize)
            && c.parent == NONE
        {
            c.parent = child_parent;
        }
        if let Some(frame) = self.stack.last_mut() {
            frame.size = frame.size.saturating_add(size);
            frame.height = frame.height.max(height.saturating_add(1));
        }
        Ok(())
    }

    fn open(&mut self, map: bool, anchor: usize, mark: Mark) -> Result<(), LoadError> {
        if self.stack.len() + self.depth_base >= MAX_DEPTH {
            return Err(load_error(
                mark,
                format!("the document nests mappings and lists deeper than {MAX_DEPTH} levels"),
                &["an inventory needs no more than 6 levels: flatten the structure"],
            ));
        }
        let (kind, base) = if map {
            (Kind::Map, self.open_entries.len())
        } else {
            (Kind::Seq, self.open_items.len())
        };
        let node = self.push_node(kind, 0, 0, mark)?;
        if anchor != 0 {
            self.anchored = true;
            self.open_anchors.push(anchor);
        }
        self.stack.push(Frame {
            node,
            anchor,
            map,
            size: 1,
            height: 0,
            base,
            pending_key: None,
            skip_value: false,
            index: None,
        });
        Ok(())
    }

    fn close(&mut self, mark: Mark) -> Result<(), LoadError> {
        let Some(frame) = self.stack.pop() else {
            return Err(load_error(mark, "unbalanced YAML events", &[]));
        };
        let node = frame.node;
        let (start, len) = if frame.map {
            let children = self.open_entries.get(frame.base..).unwrap_or_default();
            // A block mapping's event mark sits after its first key: start at the key.
            let first = children
                .first()
                .and_then(|(k, _)| self.nodes.get(k.0 as usize))
                .map(|k| (k.line, k.col));
            if let (Some(first), Some(n)) = (first, self.nodes.get_mut(node.0 as usize))
                && first < (n.line, n.col)
            {
                (n.line, n.col) = first;
            }
            let start = self.entries.len();
            self.entries.extend_from_slice(children);
            self.open_entries.truncate(frame.base);
            (start, self.entries.len() - start)
        } else {
            let children = self.open_items.get(frame.base..).unwrap_or_default();
            let start = self.items.len();
            self.items.extend_from_slice(children);
            self.open_items.truncate(frame.base);
            (start, self.items.len() - start)
        };
        let (Ok(start), Ok(len)) = (u32::try_from(start), u32::try_from(len)) else {
            return Err(too_large(mark));
        };
        if let Some(n) = self.nodes.get_mut(node.0 as usize) {
            (n.start, n.len) = (start, len);
        }
        if frame.anchor != 0 {
            self.open_anchors.retain(|a| *a != frame.anchor);
            let anchored = Anchored {
                node,
                size: frame.size,
                height: frame.height,
            };
            self.set_anchor(frame.anchor, anchored);
        }
        self.attach(node, frame.size, frame.height, mark)
    }

    fn alias(&mut self, anchor: usize, mark: Mark) -> Result<(), LoadError> {
        self.anchored = true;
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
        let Anchored { node, size, height } = target;
        self.alias_nodes = self.alias_nodes.saturating_add(u64::from(size));
        if self.alias_nodes > MAX_ALIAS_NODES {
            return Err(load_error(
                mark,
                format!("aliases expand the document to more than {MAX_ALIAS_NODES} extra nodes"),
                &[
                    "an inventory does not need nested aliases: write the values out, or use fewer aliases (`*name`)",
                ],
            ));
        }
        if self.stack.len() + self.depth_base + height as usize > MAX_DEPTH {
            return Err(load_error(
                mark,
                format!(
                    "through an alias, the document nests mappings and lists deeper than {MAX_DEPTH} levels"
                ),
                &["an inventory needs no more than 6 levels: flatten the structure"],
            ));
        }
        self.attach(node, size, height, mark)
    }

    fn scalar(
        &mut self,
        value: &str,
        style: TScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
        mark: Mark,
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
        let start = self.strings.len();
        let end = start + value.len();
        let (Ok(start), Ok(end)) = (u32::try_from(start), u32::try_from(end)) else {
            return Err(too_large(mark));
        };
        self.strings.push_str(value);
        let node = self.push_node(Kind::Scalar(style), start, end - start, mark)?;
        self.anchored |= anchor != 0;
        let anchored = Anchored {
            node,
            size: 1,
            height: 0,
        };
        self.set_anchor(anchor, anchored);
        self.attach(node, 1, 0, mark)
    }
}

impl Builder {
    /// A builder for a text of `bytes` bytes.
    fn new(bytes: usize) -> Builder {
        Builder {
            // About one node per 8 bytes in large inventories (flow-style entries): fewer
            // reallocations. Scalars never hold more text than the file.
            nodes: Vec::with_capacity(bytes / 8),
            strings: String::with_capacity(bytes),
            items: Vec::with_capacity(bytes / 32),
            entries: Vec::with_capacity(bytes / 24),
            open_items: Vec::new(),
            open_entries: Vec::new(),
            stack: Vec::new(),
            anchors: Vec::new(),
            open_anchors: Vec::new(),
            alias_nodes: 0,
            root: None,
            duplicates: Vec::new(),
            depth_base: 0,
            anchored: false,
            top_key: None,
        }
    }

    /// The finished document; positions count from the start of `text`.
    fn finish(self, text: &str) -> Document<'_> {
        Document {
            text,
            nodes: self.nodes,
            strings: self.strings,
            items: self.items,
            entries: self.entries,
            root: self.root,
            duplicates: self.duplicates,
            lines: OnceLock::new(),
            long_line: Mutex::new(None),
        }
    }
}

/// Texts from this size on are parsed in two chunks when two threads may run
/// ([`crate::threads::parallel`]). Measured with criterion (`parse_sizes` in
/// `benches/parse.rs`, 2 cores, quiet machine, threshold set to 16 KiB for the run): two chunks
/// take 0.70 of one pass at 27 KiB (0.40 against 0.57 ms), 0.60 at 114 KiB and 0.55 at
/// 458 KiB, so a thread start and the merge cost little even at that size. Below 64 KiB the
/// saving is under half a millisecond, which a refused attempt (both chunks parsed, then the
/// whole text) would give back, and the CLI's second core is busy loading ATT&CK then anyway.
const CHUNKED_FROM: usize = 64 * 1024;

/// Parses one YAML document. A second document in the same text is an error.
///
/// A large text whose `capabilities:` list can be cut in two is parsed in two chunks on two
/// threads ([`load_chunked`]); the document is the same as the sequential parse's, and any
/// chunk that does not parse or could parse differently falls back to the sequential parse,
/// so errors are always the sequential parse's.
pub(crate) fn load(text: &str) -> Result<Document<'_>, LoadError> {
    if crate::threads::parallel()
        && text.len() >= CHUNKED_FROM
        && let Some(doc) = find_split(text).and_then(|split| load_chunked(text, split))
    {
        return Ok(doc);
    }
    load_sequential(text)
}

/// [`load`] in one pass.
fn load_sequential(text: &str) -> Result<Document<'_>, LoadError> {
    Ok(only_document(build(text, false, text.len(), 0)?, text))
}

/// The document of the builders [`build`] returns when `multi` is false (exactly one).
fn only_document(mut builders: Vec<Builder>, text: &str) -> Document<'_> {
    builders
        .pop()
        .unwrap_or_else(|| Builder::new(0))
        .finish(text)
}

/// Parses every document of a YAML stream (`---` separated), each with its own anchors;
/// positions count from the start of `text`. With `multi` false, a second document is an
/// error and exactly one document (maybe empty) is returned.
fn load_documents(text: &str, multi: bool) -> Result<Vec<Document<'_>>, LoadError> {
    let builders = build(text, multi, text.len(), 0)?;
    Ok(builders.into_iter().map(|b| b.finish(text)).collect())
}

/// Parses `text` into one builder per document. The first builder reserves room for
/// `capacity` bytes of text; `depth_base` open containers are counted above the text's. A
/// single document in the subset [`fast`] reads is read there; anything else by yaml-rust2.
fn build(
    text: &str,
    multi: bool,
    capacity: usize,
    depth_base: usize,
) -> Result<Vec<Builder>, LoadError> {
    if !multi && let Some(builder) = fast::build(text, capacity, depth_base) {
        return Ok(vec![builder]);
    }
    build_events(text, multi, capacity, depth_base)
}

/// [`build`] through yaml-rust2's parser.
fn build_events(
    text: &str,
    multi: bool,
    capacity: usize,
    depth_base: usize,
) -> Result<Vec<Builder>, LoadError> {
    let mut builder = Builder::new(capacity);
    builder.depth_base = depth_base;
    let mut done = Vec::new();
    let mut parser = Parser::new_from_str(text);
    let mut documents = 0usize;
    loop {
        let (event, mark) = match parser.next_token() {
            Ok((event, marker)) => (event, Mark::new(marker)),
            Err(e) => {
                let mark = Mark::new(*e.marker());
                if e.info().contains("recursion limit") {
                    return Err(load_error(
                        mark,
                        format!(
                            "the document nests mappings and lists deeper than {MAX_DEPTH} levels"
                        ),
                        &["an inventory needs no more than 6 levels: flatten the structure"],
                    ));
                }
                return Err(load_error(
                    mark,
                    format!("invalid YAML: {}", e.info()),
                    &["check the indentation and the brackets and quotes around this place"],
                ));
            }
        };
        match event {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    if !multi {
                        return Err(load_error(
                            mark,
                            "the file holds more than one YAML document",
                            &["put each inventory in its own file, without a second `---`"],
                        ));
                    }
                    let mut next = Builder::new(0);
                    next.depth_base = depth_base;
                    done.push(std::mem::replace(&mut builder, next));
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                builder.scalar(&value, style, anchor, tag.as_ref(), mark)?;
            }
            Event::SequenceStart(anchor, _) => builder.open(false, anchor, mark)?,
            Event::MappingStart(anchor, _) => builder.open(true, anchor, mark)?,
            Event::SequenceEnd | Event::MappingEnd => builder.close(mark)?,
            Event::Alias(anchor) => builder.alias(anchor, mark)?,
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
        }
    }
    done.push(builder);
    Ok(done)
}

// ---------------------------------------------------------------------------------------------
// Two chunks on two threads

/// Where [`load`] cuts a text: the start of the first line at or after the middle that is an
/// item of the top-level `capabilities:` block list (same indentation, then `- `). `None` when
/// the text has no such list or no such line. Only a guess: [`load_chunked`] checks it.
fn find_split(text: &str) -> Option<usize> {
    let (first_item, column) = top_capabilities_list(text)?;
    item_from(text, (text.len() / 2).max(first_item + 1), column)
}

/// Where the items of the top-level `capabilities:` block list start: the first item's line
/// start and its column. `None` when the text has no such list.
fn top_capabilities_list(text: &str) -> Option<(usize, usize)> {
    const KEY: &str = "capabilities:";
    let key = if text.starts_with(KEY) {
        0
    } else {
        text.find("\ncapabilities:")? + 1
    };
    let after = key + KEY.len();
    // The key's value must be on the following lines (a block list), not on its own line.
    let eol = text
        .get(after..)?
        .find('\n')
        .map_or(text.len(), |i| after + i);
    let rest = text.get(after..eol)?.trim_start_matches([' ', '\t', '\r']);
    if !(rest.is_empty() || rest.starts_with('#')) {
        return None;
    }
    // The first item fixes the indentation.
    let mut start = eol + 1;
    loop {
        let line = line_at(text, start)?;
        let body = line.trim_start_matches(' ');
        if body.trim_end_matches('\r').is_empty() || body.starts_with('#') {
            start += line.len() + 1;
            continue;
        }
        if !is_item(body) {
            return None;
        }
        return Some((start, line.len() - body.len()));
    }
}

/// The start of the first line at or after byte `from` (the next line start when `from` is
/// inside a line) that is a list item at `column`; `None` when there is none.
fn item_from(text: &str, from: usize, column: usize) -> Option<usize> {
    let mut at = if from == 0 || text.as_bytes().get(from - 1) == Some(&b'\n') {
        from
    } else {
        from + text.get(from..)?.find('\n')? + 1
    };
    loop {
        let line = line_at(text, at)?;
        let body = line.trim_start_matches(' ');
        if line.len() - body.len() == column && is_item(body) {
            return Some(at);
        }
        at += line.len() + 1;
    }
}

/// The line that starts at byte `start`, without its `\n`; `None` at the end of the text.
fn line_at(text: &str, start: usize) -> Option<&str> {
    let rest = text.get(start..).filter(|r| !r.is_empty())?;
    Some(rest.split('\n').next().unwrap_or(rest))
}

/// Whether a line's text after its indentation starts a block list item (`-` then a space or
/// the end of the line).
fn is_item(body: &str) -> bool {
    body.strip_prefix('-')
        .is_some_and(|after| after.is_empty() || after.starts_with([' ', '\r']))
}

/// Whether `text` has a lone `\r` (YAML breaks lines on it too; the line counts here count
/// `\n` only) or a NUL (yaml-rust2 reads it as the end of the text).
fn has_lone_cr_or_nul(text: &str) -> bool {
    text.contains('\0')
        || text
            .match_indices('\r')
            .any(|(i, _)| text.as_bytes().get(i + 1) != Some(&b'\n'))
}

/// Checks on the first chunk: it ends with a line break, has no lone `\r` or NUL, no
/// directive (`%`: `%TAG` changes what later tags mean) and no document end (`...`: the
/// document would end before the second chunk). Its number of lines, or `None`.
fn first_chunk_lines(first: &str) -> Option<u32> {
    if !first.ends_with('\n') || has_lone_cr_or_nul(first) {
        return None;
    }
    let mut lines = 0u32;
    for line in first.split_terminator('\n') {
        if line.starts_with('%') || line.starts_with("...") {
            return None;
        }
        lines = lines.checked_add(1)?;
    }
    Some(lines)
}

/// Checks on the second chunk: the column of the list items it continues, or `None`. It must
/// start with an item (`- ` at some column `c`), have no lone `\r` or NUL, and no line less
/// indented than `c` or at `c` without being an item, but blank lines and comments: such a
/// line would close the list (or be a `---`, `...` or `%` line) in the whole text, where the
/// chunk alone would read it otherwise.
fn second_chunk_column(second: &str) -> Option<usize> {
    let body = second.trim_start_matches(' ');
    let column = second.len() - body.len();
    if !is_item(body) || has_lone_cr_or_nul(second) {
        return None;
    }
    let fits = |line: &str| {
        let body = line.trim_start_matches(' ');
        let indent = line.len() - body.len();
        indent > column
            || body.is_empty()
            || body == "\r"
            || body.starts_with('#')
            || (indent == column && is_item(body))
    };
    second.split('\n').all(fits).then_some(column)
}

/// [`load`] in two chunks: `text[..split]` (a line start) on this thread, `text[split..]` on
/// another, each checked ([`first_chunk_lines`], [`second_chunk_column`]) and parsed as a
/// document of its own, then merged into the document the sequential parse builds (see
/// [`merge`]). `None` when a check fails, either chunk fails to parse, or the chunks are not
/// shaped as [`merge`] requires: the caller then parses sequentially, which reports any error.
fn load_chunked(text: &str, split: usize) -> Option<Document<'_>> {
    let (first, second) = (text.get(..split)?, text.get(split..)?);
    // Not a list item: no thread for a split that cannot be taken.
    if !is_item(second.trim_start_matches(' ')) {
        return None;
    }
    let (one, two) = std::thread::scope(|scope| {
        // The second chunk's list stands for the top mapping's list: the mapping is the one
        // level above it. Its lines count from 1 here; the merge moves them.
        let other = scope.spawn(move || {
            let column = second_chunk_column(second)?;
            let two = build(second, false, second.len(), 1).ok()?.pop()?;
            Some((two, column))
        });
        // The first chunk's builder gets room for the whole text: the merge appends to it.
        let one = first_chunk_lines(first).and_then(|lines| {
            let one = build(first, false, text.len(), 0).ok()?.pop()?;
            Some((one, lines))
        });
        let two = other
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (one, two)
    });
    let ((one, lines_before), (two, column)) = (one?, two?);
    let merged = merge(one, two, first, column, lines_before)?;
    Some(merged.finish(text))
}

/// Parses `text` in two chunks at every line start that begins a list item, and panics when a
/// split the two-chunk parse accepts gives another document than the one-pass parse (or is
/// accepted where the one-pass parse fails). Returns how many splits were accepted. For
/// covmap's fuzz target and tests, not for use.
#[doc(hidden)]
pub fn check_chunked_parse(text: &str) -> usize {
    // The reference is yaml-rust2's alone: the chunks may be read by the fast path.
    let sequential = load_reference(text);
    let mut accepted = 0;
    for (i, _) in text.match_indices('\n') {
        if let Some(doc) = load_chunked(text, i + 1) {
            accepted += 1;
            assert!(
                sequential.as_ref().is_ok_and(|s| *s == doc),
                "the split at byte {} gives another document than the one-pass parse",
                i + 1
            );
        }
    }
    accepted
}

/// [`load_sequential`] through yaml-rust2 alone: the reference the fast path and the chunked
/// parse are checked against.
fn load_reference(text: &str) -> Result<Document<'_>, LoadError> {
    Ok(only_document(
        build_events(text, false, text.len(), 0)?,
        text,
    ))
}

/// Parses `text` in one pass with the fast path ([`fast`]) or with yaml-rust2 alone; the
/// number of nodes, 0 when it fails or the fast path refuses it. For covmap's benchmarks, not
/// for use.
#[doc(hidden)]
pub fn parse_one_pass(text: &str, fast: bool) -> usize {
    let builder = if fast {
        fast::build(text, text.len(), 0)
    } else {
        build_events(text, false, text.len(), 0)
            .ok()
            .and_then(|mut builders| builders.pop())
    };
    builder.map_or(0, |b| b.nodes.len())
}

/// Reads `text` with the fast path ([`fast`]) and with yaml-rust2, and panics when the fast
/// path accepts a text that yaml-rust2 reads as another document or refuses. Returns whether
/// the fast path accepted it. For covmap's fuzz target and tests, not for use.
#[doc(hidden)]
pub fn check_fast_parse(text: &str) -> bool {
    let Some(fast) = fast::build(text, text.len(), 0) else {
        return false;
    };
    let fast = fast.finish(text);
    let reference = load_reference(text);
    assert!(
        reference.as_ref().is_ok_and(|doc| *doc == fast),
        "the fast path reads the text otherwise than yaml-rust2, which gives {reference:#?}\nfast path: {fast:#?}"
    );
    true
}

/// Merges the builders of two chunks into the builder the sequential parse of their text
/// would have produced, or `None` when the chunks are not shaped for it.
///
/// `one` (of `first`) must be a mapping whose last key (repeated keys included) has as value
/// a block list at `column`, its items flushed last (so it was open at the chunk's end), the
/// mapping's entries after them; `two` must be a block list starting on its first line at
/// `column`, without anchors or aliases (anchors are per document, and the alias budget is
/// the whole text's). Then `two`'s list is `one`'s list continued: its items are appended to
/// it, and its node disappears.
///
/// The sequential parse numbers nodes in event order, so `two`'s nodes (but its list) come
/// after `one`'s; it flushes a container's children when the container closes, so `two`'s
/// inner items and entries come before the list's items and the mapping's entries.
fn merge(
    mut one: Builder,
    two: Builder,
    first: &str,
    column: usize,
    lines_before: u32,
) -> Option<Builder> {
    let (_, list) = list_open_at_end(&one, first, column, lines_before)?;
    let root = one.root?;
    let root_start = one.nodes.get(root.0 as usize)?.start;
    let list_start = one.nodes.get(list.0 as usize)?.start as usize;
    let two_root = two.nodes.first()?;
    if !continues_list(&two, column) {
        return None;
    }
    let (inner_items, more) = (two.items.len() - two_root.len as usize, two_root.len);
    let (root_start, inner_entries) = (root_start as usize, two.entries.len());
    // Ids: `two`'s list is `one`'s list; its other nodes follow `one`'s.
    let count = u32::try_from(one.nodes.len()).ok()?;
    let total = u64::from(count) + two.nodes.len() as u64 - 1;
    let strings_base = u32::try_from(one.strings.len()).ok()?;
    let fits = total < u64::from(NONE)
        && u32::try_from(one.strings.len() + two.strings.len()).is_ok()
        && u32::try_from(one.items.len() + two.items.len()).is_ok()
        && u32::try_from(one.entries.len() + two.entries.len()).is_ok();
    if !fits {
        return None;
    }
    let id = |n: NodeId| match n.0 {
        0 => list,
        NONE => n,
        i => NodeId(count + i - 1),
    };
    let (items_base, entries_base) = (list_start as u32, root_start as u32);
    one.nodes.extend(two.nodes.iter().skip(1).map(|n| {
        let start = match n.kind {
            Kind::Scalar(_) => n.start + strings_base,
            Kind::Seq => n.start + items_base,
            Kind::Map => n.start + entries_base,
        };
        Node {
            start,
            line: n.line.saturating_add(lines_before),
            parent: id(NodeId(n.parent)).0,
            ..*n
        }
    }));
    one.strings.push_str(&two.strings);
    // items: one's inner, two's inner, the list's (one's then two's).
    let list_items = one.items.split_off(list_start);
    one.items
        .extend(two.items.iter().take(inner_items).map(|i| id(*i)));
    one.items.extend(list_items);
    one.items
        .extend(two.items.iter().skip(inner_items).map(|i| id(*i)));
    // entries: one's inner, two's, the top mapping's.
    let root_entries = one.entries.split_off(root_start);
    one.entries
        .extend(two.entries.iter().map(|(k, v)| (id(*k), id(*v))));
    one.entries.extend(root_entries);
    one.duplicates
        .extend(two.duplicates.into_iter().map(|d| DuplicateKey {
            key: id(d.key),
            first: id(d.first),
            name: d.name,
        }));
    let inner_items = u32::try_from(inner_items).ok()?;
    let inner_entries = u32::try_from(inner_entries).ok()?;
    if let Some(n) = one.nodes.get_mut(list.0 as usize) {
        n.start += inner_items;
        n.len += more;
    }
    if let Some(n) = one.nodes.get_mut(root.0 as usize) {
        n.start += inner_entries;
    }
    Some(one)
}

/// The key and the node of the list that `one` (the builder of `first`, `lines_before` lines)
/// leaves open at its end, for the text after `first` to go on: `one` must be a mapping whose
/// last key (repeated keys included) has as value a block list at `column`, its items flushed
/// last (so it was open at the chunk's end), the mapping's entries after them.
fn list_open_at_end(
    one: &Builder,
    first: &str,
    column: usize,
    lines_before: u32,
) -> Option<(NodeId, NodeId)> {
    let root_node = one.nodes.get(one.root?.0 as usize)?;
    let &(key, list) = one.entries.last()?;
    let list_node = one.nodes.get(list.0 as usize)?;
    let shaped = root_node.kind == Kind::Map
        && root_node.range().end == one.entries.len()
        && one.top_key == Some(key)
        && list_node.kind == Kind::Seq
        // An indentless list (items at column 0) is placed at the token after its first `-`.
        && (list_node.col as usize == column || column == 0)
        && list_node.range().end == one.items.len()
        && starts_block_list(first, list_node.line, column)
        // An empty node at the end of `first` (`- key:` before the split) takes its position
        // from the token after it, which only the whole text has.
        && one.nodes.iter().all(|n| n.line <= lines_before);
    shaped.then_some((key, list))
}

/// Whether `two` is a block list starting on its first line at `column`, without anchors or
/// aliases (anchors are per document, and the alias budget is the whole text's): a list that
/// goes on with the items of one left open before it.
fn continues_list(two: &Builder, column: usize) -> bool {
    two.nodes.first().is_some_and(|root| {
        two.root == Some(NodeId(0))
            && root.kind == Kind::Seq
            && root.line == 1
            && root.col as usize == column
            && root.range().end == two.items.len()
            && !two.anchored
    })
}

/// Whether line `line` (1-based) of `text` starts with `column` spaces and a list item: a list
/// node there is a block list, not a flow one (`[`).
fn starts_block_list(text: &str, line: u32, column: usize) -> bool {
    let Some(index) = (line as usize).checked_sub(1) else {
        return false;
    };
    text.split('\n').nth(index).is_some_and(|l| {
        let body = l.trim_start_matches(' ');
        l.len() - body.len() == column && is_item(body)
    })
}

// ---------------------------------------------------------------------------------------------
// A very large capabilities list, a piece at a time

/// Texts from this size on, alone in a run, have their `capabilities:` list read a piece at a
/// time ([`load_in_pieces`]). The same limit as the CLI's small pages: the 2,000 x 20 generated
/// inventory (4.7 MB) stays below it, the 5,000 x 20 one (11.7 MB) above.
pub(crate) const PIECES_FROM: usize = 8 << 20;

/// Text of a piece: small enough that the trees of the pieces being read (one a thread) are a
/// few MiB, large enough that a piece's parse costs far more than starting it.
pub(crate) const PIECE_BYTES: usize = 1 << 20;

/// The rest of a text's top-level `capabilities:` list after its head document
/// ([`load_in_pieces`]): pieces of whole items, each parsed when it is read ([`Pieces::parse`])
/// and dropped after, so that the tree of a large inventory is never whole in memory.
#[derive(Debug)]
pub(crate) struct Pieces {
    /// Byte ranges of the pieces in the text, one after the other, to its end.
    ranges: Vec<std::ops::Range<usize>>,
    /// Lines of the text before each piece.
    lines_before: Vec<u32>,
    /// The column of the list's items.
    column: usize,
    /// Where the `capabilities` key is (line, 0-based column).
    key: (u32, u32),
}

/// [`load`] of a text whose top-level `capabilities:` list is its last key, in pieces of about
/// `piece_bytes` ([`PIECE_BYTES`]): the document of the text before the list's items from the
/// first piece on (the head, with the items before), and the pieces of the list after it. `None` when the text cannot be cut
/// so (no such list, nothing after the first MiB, a head that does not parse or is not shaped
/// for the list to go on): the caller reads it whole. A piece that does not parse, or could
/// parse otherwise than in the whole text, is refused when it is read ([`Pieces::parse`]).
pub(crate) fn load_in_pieces(text: &str, piece_bytes: usize) -> Option<(Document<'_>, Pieces)> {
    let (first_item, column) = top_capabilities_list(text)?;
    let mut starts = Vec::with_capacity(text.len() / piece_bytes.max(1) + 1);
    let mut from = (first_item + 1).max(piece_bytes);
    while let Some(at) = item_from(text, from, column) {
        starts.push(at);
        from = at + piece_bytes.max(1);
    }
    let &cut = starts.first()?;
    let head = text.get(..cut)?;
    let lines_before = first_chunk_lines(head)?;
    let one = build(head, false, head.len(), 0).ok()?.pop()?;
    let (key, _) = list_open_at_end(&one, head, column, lines_before)?;
    // The list left open must be the capabilities: a cut at an item of a later list at the
    // same column (`telemetry:`) leaves that one open.
    if text_of(&one.nodes, &one.strings, key) != Some("capabilities") {
        return None;
    }
    let key = one.nodes.get(key.0 as usize).map(|k| (k.line, k.col))?;
    let mut ranges = Vec::with_capacity(starts.len());
    let mut lines = Vec::with_capacity(starts.len());
    let mut before = lines_before;
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        let piece = text.get(start..end)?;
        ranges.push(start..end);
        lines.push(before);
        let breaks = piece.bytes().filter(|b| *b == b'\n').count();
        before = before.checked_add(u32::try_from(breaks).ok()?)?;
    }
    let pieces = Pieces {
        ranges,
        lines_before: lines,
        column,
        key,
    };
    Some((one.finish(text), pieces))
}

impl Pieces {
    /// How many pieces there are.
    pub(crate) fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Where piece `index` starts in the text.
    pub(crate) fn start(&self, index: usize) -> usize {
        self.ranges.get(index).map_or(usize::MAX, |r| r.start)
    }

    /// Piece `index` as a document of its own: its list stands for the head's `capabilities:`
    /// list (its items are that list's items, named as such in messages), its positions are
    /// the whole text's, and it shares the head's line index. `None` when the piece does not
    /// parse, has anchors or aliases or a repeated key, or is not a list going on at the
    /// head's column: then only the whole text's parse can say what it holds.
    pub(crate) fn parse<'a>(&self, index: usize, head: &Document<'a>) -> Option<Document<'a>> {
        let text = head.text;
        let piece = text.get(self.ranges.get(index)?.clone())?;
        if second_chunk_column(piece)? != self.column {
            return None;
        }
        let mut two = build(piece, false, piece.len(), 1).ok()?.pop()?;
        if !continues_list(&two, self.column) || !two.duplicates.is_empty() {
            return None;
        }
        let before = *self.lines_before.get(index)?;
        // An empty node at the end of a piece (`-` or `key:` before the next piece) takes its
        // position from the token after it, which only the whole text has.
        if let Some(&next) = self.lines_before.get(index + 1)
            && two.nodes.iter().any(|n| n.line > next - before)
        {
            return None;
        }
        for node in &mut two.nodes {
            node.line = node.line.saturating_add(before);
        }
        // The list's key, for the messages that name the list ("an item of `capabilities`").
        let key = u32::try_from(two.nodes.len()).ok().filter(|n| *n < NONE)?;
        let start = u32::try_from(two.strings.len()).ok()?;
        two.strings.push_str("capabilities");
        two.nodes.push(Node {
            kind: Kind::Scalar(Style::Plain),
            start,
            len: 12,
            line: self.key.0,
            col: self.key.1,
            parent: NONE,
        });
        two.nodes.first_mut()?.parent = key;
        let doc = two.finish(text);
        let _ = doc.lines.set(Arc::clone(head.shared_lines()));
        Some(doc)
    }
}

/// Reads `text` in pieces of about `piece_bytes` ([`load_in_pieces`]) and in one pass with
/// yaml-rust2, and panics when the pieces that parse give other capabilities (nodes,
/// positions, texts, what messages call each node) or another head than the one-pass parse,
/// or parse where it fails. Returns how many pieces parsed. For covmap's fuzz target and
/// tests, not for use.
#[doc(hidden)]
pub fn check_pieces_parse(text: &str, piece_bytes: usize) -> usize {
    let Some((head, pieces)) = load_in_pieces(text, piece_bytes) else {
        return 0;
    };
    let reference = load_reference(text);
    let mut items = Vec::new();
    let list = head.root().and_then(|root| head.get(root, "capabilities"));
    items.extend(list.map(|l| outline_items(&head, l)).unwrap_or_default());
    let mut parsed = 0;
    for index in 0..pieces.len() {
        let Some(doc) = pieces.parse(index, &head) else {
            return parsed;
        };
        parsed += 1;
        items.extend(outline_items(&doc, NodeId(0)));
    }
    assert!(
        reference.is_ok(),
        "the pieces parse where the one-pass parse fails: {reference:?}"
    );
    let Ok(whole) = &reference else {
        return parsed;
    };
    let whole_list = whole
        .root()
        .and_then(|root| whole.get(root, "capabilities"));
    assert_eq!(
        Some(items),
        whole_list.map(|list| outline_items(whole, list)),
        "the capabilities differ, in pieces of {piece_bytes}: {text:?}"
    );
    // The head: the same keys, values and repeated keys but for the list's later items.
    let keys = |doc: &Document<'_>| {
        let root = doc.root().and_then(|root| doc.node(root));
        let entries = root.map(|n| doc.entries_of(n).to_vec());
        entries
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| doc.scalar(*k) != Some("capabilities"))
            .map(|(k, v)| (outline(doc, k), outline(doc, v)))
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&head), keys(whole), "the heads differ");
    let repeated = |doc: &Document<'_>| {
        doc.duplicates
            .iter()
            .map(|d| (doc.pos(d.key), doc.pos(d.first), d.name.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(repeated(&head), repeated(whole), "the repeated keys differ");
    parsed
}

/// [`outline`] of each item of a list node.
fn outline_items(doc: &Document<'_>, list: NodeId) -> Vec<String> {
    let items = doc
        .nodes
        .get(list.0 as usize)
        .map(|n| doc.items_of(n).to_vec());
    items
        .unwrap_or_default()
        .into_iter()
        .map(|item| outline(doc, item))
        .collect()
}

/// A node and what is below it as text: kinds, positions, scalar texts and styles, and what
/// messages call each node (which follows the links to parents).
fn outline(doc: &Document<'_>, id: NodeId) -> String {
    let Some(node) = doc.node(id) else {
        return "none".to_string();
    };
    let head = format!(
        "{:?} {:?} {} ({})",
        node.kind,
        doc.pos(id),
        doc.scalar(id).unwrap_or(""),
        doc.what(id)
    );
    match node.kind {
        Kind::Scalar(_) => head,
        Kind::Seq => {
            let items: Vec<String> = doc
                .items_of(node)
                .iter()
                .map(|i| outline(doc, *i))
                .collect();
            format!("{head} [{}]", items.join(", "))
        }
        Kind::Map => {
            let entries: Vec<String> = doc
                .entries_of(node)
                .iter()
                .map(|(k, v)| format!("{}: {}", outline(doc, *k), outline(doc, *v)))
                .collect();
            format!("{head} {{{}}}", entries.join(", "))
        }
    }
}

impl<'a> Document<'a> {
    /// How many nodes the document has (see [`NodeId::position`]).
    pub(crate) fn node_count(&self) -> usize {
        self.nodes.len()
    }

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

    /// The text of a scalar node, with its style.
    fn scalar_styled(&self, id: NodeId) -> Option<(&str, Style)> {
        let node = self.node(id)?;
        match node.kind {
            Kind::Scalar(style) => Some((self.strings.get(node.range())?, style)),
            Kind::Seq | Kind::Map => None,
        }
    }

    /// The items of a list node.
    fn items_of(&self, node: &Node) -> &[NodeId] {
        self.items.get(node.range()).unwrap_or_default()
    }

    /// The entries of a mapping node.
    fn entries_of(&self, node: &Node) -> &[(NodeId, NodeId)] {
        self.entries.get(node.range()).unwrap_or_default()
    }

    fn is_null(&self, id: NodeId) -> bool {
        matches!(self.scalar_styled(id), Some((value, Style::Plain)) if is_null(value))
    }

    fn lines(&self) -> &Lines {
        self.shared_lines()
    }

    /// The line index, built on first use; the pieces of a text share their head's.
    fn shared_lines(&self) -> &Arc<Lines> {
        self.lines.get_or_init(|| Arc::new(Lines::of(self.text)))
    }

    /// The text the document was parsed from (for a piece, the whole text).
    pub(crate) fn text(&self) -> &'a str {
        self.text
    }

    /// Gives the document the line index of `other`, parsed from the same text.
    pub(crate) fn share_line_index(&self, other: &Document<'a>) {
        if std::ptr::eq(self.text, other.text) {
            let _ = self.lines.set(Arc::clone(other.shared_lines()));
        }
    }

    /// Gives the document its line index, built ahead from its text (on another thread: the
    /// first finding would otherwise build it while the other half of the capabilities waits).
    pub(crate) fn set_line_index(&self, index: LineIndex) {
        let _ = self.lines.set(Arc::new(index.0));
    }

    /// Whether the document has its line index already, and it is its text's.
    #[cfg(test)]
    pub(crate) fn has_line_index_of_its_text(&self) -> bool {
        self.lines.get().map(|l| &**l) == Some(&Lines::of(self.text))
    }

    /// The text of a line (1-based), without its line break.
    fn line_text(&self, line: usize) -> &'a str {
        let starts = &self.lines().starts;
        let Some(start) = line.checked_sub(1).and_then(|l| starts.get(l)) else {
            return "";
        };
        let end = starts.get(line).copied().unwrap_or(self.text.len());
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
        let length = match self.scalar_styled(id) {
            Some((value, Style::Plain | Style::Block)) => {
                let first = value.lines().next().map_or(0, |l| l.chars().count());
                visible_len(rest, first)
            }
            Some((_, Style::SingleQuoted | Style::DoubleQuoted)) => {
                quoted_len(rest).unwrap_or_else(|| visible_len(rest, usize::MAX))
            }
            None => flow_len(rest).unwrap_or(1),
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
            .lines()
            .ascii
            .get(line.wrapping_sub(1))
            .copied()
            .unwrap_or(false)
        {
            return col.min(text.len());
        }
        if text.len() < 1024 {
            return text.char_indices().nth(col).map_or(text.len(), |(i, _)| i);
        }
        let mut cache = self
            .long_line
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
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
        self.scalar_styled(id).map(|(text, _)| text)
    }

    /// The value node under `key` of a mapping node.
    pub(crate) fn get(&self, map: NodeId, key: &str) -> Option<NodeId> {
        let node = self.node(map)?;
        match node.kind {
            Kind::Map => self
                .entries_of(node)
                .iter()
                .find(|(k, _)| self.scalar(*k) == Some(key))
                .map(|(_, v)| *v),
            Kind::Scalar(_) | Kind::Seq => None,
        }
    }

    /// The key node of `key` in a mapping node (findings about the key itself point at it).
    pub(crate) fn key_node(&self, map: NodeId, key: &str) -> Option<NodeId> {
        let node = self.node(map)?;
        match node.kind {
            Kind::Map => self
                .entries_of(node)
                .iter()
                .find(|(k, _)| self.scalar(*k) == Some(key))
                .map(|(k, _)| *k),
            Kind::Scalar(_) | Kind::Seq => None,
        }
    }

    /// The node at a path of keys below `from`.
    pub(crate) fn lookup(&self, from: NodeId, path: &[&str]) -> Option<NodeId> {
        path.iter().try_fold(from, |at, key| self.get(at, key))
    }

    /// The `index`th item of a list node.
    #[cfg(test)]
    pub(crate) fn item(&self, seq: NodeId, index: usize) -> Option<NodeId> {
        let node = self.node(seq)?;
        match node.kind {
            Kind::Seq => self.items_of(node).get(index).copied(),
            Kind::Scalar(_) | Kind::Map => None,
        }
    }

    /// How messages name a node: `` `level` `` for the value of a key, "an item of
    /// `techniques`" for a list item, "the file" for the top.
    pub(crate) fn what(&self, id: NodeId) -> String {
        let Some(node) = self.node(id) else {
            return "the file".to_string();
        };
        let parent = NodeId(node.parent);
        match self.node(parent).map(|p| p.kind) {
            Some(Kind::Scalar(_)) => {
                format!("`{}`", shorten(self.scalar(parent).unwrap_or_default()))
            }
            Some(Kind::Seq) => {
                let owner = NodeId(self.node(parent).map_or(NONE, |p| p.parent));
                match self.scalar(owner) {
                    Some(value) => format!("an item of `{}`", shorten(value)),
                    None => "a list item".to_string(),
                }
            }
            Some(Kind::Map) => "a key".to_string(),
            None => "the file".to_string(),
        }
    }

    /// A short description of a node for messages: `` `text` ``, "a mapping", "a list", "nothing".
    pub(crate) fn describe(&self, id: NodeId) -> String {
        match self.node(id).map(|n| n.kind) {
            Some(Kind::Scalar(style)) => {
                let value = self.scalar(id).unwrap_or_default();
                if style == Style::Plain && is_null(value) {
                    "nothing".to_string()
                } else {
                    format!("`{}`", shorten(value))
                }
            }
            Some(Kind::Seq) => "a list".to_string(),
            Some(Kind::Map) => "a mapping".to_string(),
            None => "nothing".to_string(),
        }
    }

    /// Deserializes the node `at` as `T`, borrowing text from the document. Keys `T` does not
    /// know are returned beside the value; they are collected up to the first error.
    pub(crate) fn read<'d, T: de::Deserialize<'d>>(&'d self, at: NodeId) -> Read<T> {
        let doc: &'d Document<'d> = self;
        let unknown = RefCell::new(Vec::new());
        let value = T::deserialize(NodeDe {
            doc,
            unknown: &unknown,
            node: at,
            key: None,
            fields: &[],
        });
        Read {
            value,
            unknown: unknown.into_inner(),
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
        "a string" | "a borrowed string" | "string" | "a character" | "char" => "text".to_string(),
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

/// Deserializes one node. `'d` is the document's: text is lent out for it.
#[derive(Clone, Copy)]
struct NodeDe<'d, 'u> {
    doc: &'d Document<'d>,
    /// Keys the target structs did not know, so far.
    unknown: &'u RefCell<Vec<UnknownKey>>,
    node: NodeId,
    /// The key this node is the value of, and the fields of the struct that holds it.
    key: Option<NodeId>,
    fields: &'static [&'static str],
}

/// What a node is, for the deserializer.
enum View<'d> {
    Scalar(&'d str, Style),
    Seq(&'d [NodeId]),
    Map(&'d [(NodeId, NodeId)]),
    Missing,
}

impl<'d, 'u> NodeDe<'d, 'u> {
    fn view(&self) -> View<'d> {
        let doc = self.doc;
        let Some(node) = doc.node(self.node) else {
            return View::Missing;
        };
        match node.kind {
            Kind::Scalar(style) => {
                View::Scalar(doc.strings.get(node.range()).unwrap_or_default(), style)
            }
            Kind::Seq => View::Seq(doc.items_of(node)),
            Kind::Map => View::Map(doc.entries_of(node)),
        }
    }

    fn at(&self, node: NodeId) -> NodeDe<'d, 'u> {
        NodeDe {
            doc: self.doc,
            unknown: self.unknown,
            node,
            key: None,
            fields: &[],
        }
    }

    fn unexpected(&self) -> Unexpected<'d> {
        match self.view() {
            View::Scalar(value, _) => Unexpected::Str(value),
            View::Seq(_) => Unexpected::Seq,
            View::Map(_) => Unexpected::Map,
            View::Missing => Unexpected::Unit,
        }
    }

    fn wrong_type(&self, exp: &dyn de::Expected) -> DeError {
        <DeError as de::Error>::invalid_type(self.unexpected(), exp).at(self.node)
    }

    /// A plain (untyped) scalar's text.
    fn plain(&self) -> Option<&'d str> {
        match self.view() {
            View::Scalar(value, Style::Plain) => Some(value),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        self.plain().is_some_and(is_null)
    }
}

struct Seq<'d, 'u> {
    de: NodeDe<'d, 'u>,
    items: std::slice::Iter<'d, NodeId>,
}

impl<'d> de::SeqAccess<'d> for Seq<'d, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'d>>(
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
struct Single<'d, 'u> {
    de: Option<NodeDe<'d, 'u>>,
}

impl<'d> de::SeqAccess<'d> for Single<'d, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'d>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.de.take() {
            Some(de) => seed.deserialize(de).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(usize::from(self.de.is_some()))
    }
}

/// The node id, then the node, for [`Spanned`].
struct WithId<'d, 'u> {
    de: NodeDe<'d, 'u>,
    state: u8,
}

impl<'d> de::SeqAccess<'d> for WithId<'d, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'d>>(
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

/// The node's line, its column, then the node, for [`Located`].
struct WithPosition<'d, 'u> {
    de: NodeDe<'d, 'u>,
    state: u8,
}

impl<'d> de::SeqAccess<'d> for WithPosition<'d, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'d>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        self.state = self.state.saturating_add(1);
        let (line, column) = self.de.doc.start(self.de.node);
        let number = |n: usize| IntoDeserializer::<DeError>::into_deserializer(n as u64);
        match self.state {
            1 => seed.deserialize(number(line.max(1))).map(Some),
            2 => seed.deserialize(number(column.max(1))).map(Some),
            3 => seed.deserialize(self.de).map(Some),
            _ => Ok(None),
        }
    }
}

struct Map<'d, 'u> {
    de: NodeDe<'d, 'u>,
    entries: std::slice::Iter<'d, (NodeId, NodeId)>,
    value: Option<(NodeId, NodeId)>,
    fields: &'static [&'static str],
}

impl<'d> de::MapAccess<'d> for Map<'d, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'d>>(
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

    fn next_value_seed<V: DeserializeSeed<'d>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some((key, value)) = self.value.take() else {
            return Err(de::Error::custom("a value without a key"));
        };
        seed.deserialize(NodeDe {
            doc: self.de.doc,
            unknown: self.de.unknown,
            node: value,
            key: Some(key),
            fields: self.fields,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct Variant<'d, 'u> {
    de: NodeDe<'d, 'u>,
    name: &'d str,
}

impl<'d> de::EnumAccess<'d> for Variant<'d, '_> {
    type Error = DeError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'d>>(self, seed: V) -> Result<(V::Value, Self), DeError> {
        let value = seed.deserialize(IntoDeserializer::<DeError>::into_deserializer(self.name))?;
        Ok((value, self))
    }
}

impl<'d> de::VariantAccess<'d> for Variant<'d, '_> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'d>>(self, _seed: T) -> Result<T::Value, DeError> {
        Err(self.de.wrong_type(&"a mapping"))
    }

    fn tuple_variant<V: Visitor<'d>>(self, _len: usize, _visitor: V) -> Result<V::Value, DeError> {
        Err(self.de.wrong_type(&"a list"))
    }

    fn struct_variant<V: Visitor<'d>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, DeError> {
        Err(self.de.wrong_type(&"a mapping"))
    }
}

impl<'d> NodeDe<'d, '_> {
    fn visit_map_with<V: Visitor<'d>>(
        self,
        visitor: V,
        fields: &'static [&'static str],
    ) -> Result<V::Value, DeError> {
        match self.view() {
            View::Map(entries) => visitor.visit_map(Map {
                de: self,
                entries: entries.iter(),
                value: None,
                fields,
            }),
            _ => Err(self.wrong_type(&visitor)),
        }
    }

    fn any<V: Visitor<'d>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.view() {
            View::Scalar(value, style) => {
                if style != Style::Plain {
                    return visitor.visit_borrowed_str(value);
                }
                if is_null(value) {
                    return visitor.visit_unit();
                }
                if let Some(b) = as_bool(value) {
                    return visitor.visit_bool(b);
                }
                // Numbers start with a digit, a sign or a dot (`.5`, `.inf`): words skip the
                // number parsers.
                if value.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.')) {
                    match as_int(value) {
                        Some(Int::Pos(n)) => return visitor.visit_u64(n),
                        Some(Int::Neg(n)) => return visitor.visit_i64(n),
                        None => {}
                    }
                    if let Some(f) = as_float(value) {
                        return visitor.visit_f64(f);
                    }
                }
                visitor.visit_borrowed_str(value)
            }
            View::Seq(items) => visitor.visit_seq(Seq {
                de: self,
                items: items.iter(),
            }),
            View::Map(_) => self.visit_map_with(visitor, &[]),
            View::Missing => visitor.visit_unit(),
        }
    }

    fn string<V: Visitor<'d>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.view() {
            View::Scalar(value, style) if !(style == Style::Plain && is_null(value)) => {
                visitor.visit_borrowed_str(value)
            }
            _ => Err(self.wrong_type(&visitor)),
        }
    }

    fn int<V: Visitor<'d>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.plain().and_then(as_int) {
            Some(Int::Pos(n)) => visitor.visit_u64(n),
            Some(Int::Neg(n)) => visitor.visit_i64(n),
            None => Err(self.wrong_type(&visitor)),
        }
    }

    fn float<V: Visitor<'d>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.plain().and_then(as_float) {
            Some(f) => visitor.visit_f64(f),
            None => Err(self.wrong_type(&visitor)),
        }
    }
}

macro_rules! forward {
    ($($method:ident => $via:ident),* $(,)?) => {
        $(fn $method<V: Visitor<'d>>(self, visitor: V) -> Result<V::Value, DeError> {
            let node = self.node;
            self.$via(visitor).map_err(|e| e.at(node))
        })*
    };
}

impl<'d> Deserializer<'d> for NodeDe<'d, '_> {
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

    fn deserialize_bool<V: Visitor<'d>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.plain().and_then(as_bool) {
            Some(b) => visitor.visit_bool(b).map_err(|e: DeError| e.at(self.node)),
            None => Err(self.wrong_type(&visitor)),
        }
    }

    fn deserialize_option<V: Visitor<'d>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
        .map_err(|e| e.at(self.node))
    }

    fn deserialize_unit<V: Visitor<'d>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.is_null() {
            visitor.visit_unit().map_err(|e: DeError| e.at(self.node))
        } else {
            Err(self.wrong_type(&visitor))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'d>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'d>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let node = self.node;
        match name {
            DEFERRED => visitor.visit_u32(node.0),
            SPANNED => visitor.visit_seq(WithId { de: self, state: 0 }),
            LOCATED => visitor.visit_seq(WithPosition { de: self, state: 0 }),
            ONE_OR_MANY => match self.view() {
                View::Seq(items) => visitor.visit_seq(Seq {
                    de: self,
                    items: items.iter(),
                }),
                View::Scalar(..) if !self.is_null() => visitor.visit_seq(Single { de: Some(self) }),
                _ => Err(self.wrong_type(&visitor)),
            },
            _ => visitor.visit_newtype_struct(self),
        }
        .map_err(|e| e.at(node))
    }

    fn deserialize_seq<V: Visitor<'d>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.view() {
            View::Seq(items) => visitor
                .visit_seq(Seq {
                    de: self,
                    items: items.iter(),
                })
                .map_err(|e| e.at(self.node)),
            _ => Err(self.wrong_type(&visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'d>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'d>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'d>>(self, visitor: V) -> Result<V::Value, DeError> {
        let node = self.node;
        self.visit_map_with(visitor, &[]).map_err(|e| e.at(node))
    }

    fn deserialize_struct<V: Visitor<'d>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let node = self.node;
        self.visit_map_with(visitor, fields).map_err(|e| e.at(node))
    }

    fn deserialize_enum<V: Visitor<'d>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.view() {
            View::Scalar(value, style) if !(style == Style::Plain && is_null(value)) => {
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

    fn deserialize_ignored_any<V: Visitor<'d>>(self, visitor: V) -> Result<V::Value, DeError> {
        if let Some(key) = self.key {
            self.unknown.borrow_mut().push(UnknownKey {
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

// ---------------------------------------------------------------------------------------------
// Public API: reading other tools' YAML files (covmap-import)

/// A value with the 1-based line and column (in characters) where its node starts: for
/// findings about other tools' files that name the place of a value, not only of an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// 1-based line of its node.
    pub line: usize,
    /// 1-based column of its node, in characters.
    pub column: usize,
}

impl<'de, T: de::Deserialize<'de>> de::Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LocatedVisitor<T>(PhantomData<fn() -> T>);
        impl<'de, T: de::Deserialize<'de>> Visitor<'de> for LocatedVisitor<T> {
            type Value = Located<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a YAML node")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let missing = || de::Error::custom("a node without its position");
                let line: u64 = seq.next_element()?.ok_or_else(missing)?;
                let column: u64 = seq.next_element()?.ok_or_else(missing)?;
                let value: T = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::custom("a node without its value"))?;
                Ok(Located {
                    value,
                    line: usize::try_from(line).unwrap_or(usize::MAX),
                    column: usize::try_from(column).unwrap_or(usize::MAX),
                })
            }
        }
        deserializer.deserialize_newtype_struct(LOCATED, LocatedVisitor(PhantomData))
    }
}

/// Why a YAML text could not be read into the requested type: where, and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct Error {
    /// 1-based line of the offending node (or of the syntax error).
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong, naming the key or value.
    pub message: String,
}

impl Error {
    fn load(e: LoadError) -> Error {
        Error {
            line: e.pos.line,
            column: e.pos.column,
            message: e.message,
        }
    }

    fn de(doc: &Document<'_>, e: &DeError) -> Error {
        let (line, column) = e.node.map_or((1, 1), |n| doc.start(n));
        let what = e
            .node
            .map_or_else(|| "the document".to_string(), |n| doc.what(n));
        let message = match &e.kind {
            DeErrorKind::UnknownVariant { found, expected } => {
                let one_of: &dyn de::Expected = &OneOf(expected);
                format!("{what}: unknown value `{found}`, expected {one_of}")
            }
            _ => format!("{what}: {e}"),
        };
        Error {
            line: line.max(1),
            column: column.max(1),
            message,
        }
    }
}

/// Reads one node of a document as `T`; a document without content reads as YAML `null`. A
/// key given twice in one mapping is an error: which value the other tool meant is unknown.
fn read_document<T: de::DeserializeOwned>(doc: &Document<'_>) -> Result<T, Error> {
    if let Some(duplicate) = doc.duplicate_keys().first() {
        let (line, column) = doc.start(duplicate.key);
        let (first_line, first_column) = doc.start(duplicate.first);
        return Err(Error {
            line,
            column,
            message: format!(
                "duplicate key `{}` (first set at {first_line}:{first_column}); keep one",
                duplicate.name
            ),
        });
    }
    let root = doc.root().unwrap_or(NodeId(NONE));
    doc.read::<T>(root).value.map_err(|e| Error::de(doc, &e))
}

/// Reads a one-document YAML text (a leading byte-order mark is skipped) into `T`.
///
/// This is covmap's YAML reader for other tools' files (Splunk, DeTT&CT, CTID...): positions in
/// errors are 1-based line and column; keys `T` does not declare are ignored; a key given twice
/// in one mapping is an error; anchors and aliases work, within the limits on depth
/// (`MAX_DEPTH`) and alias expansion that protect inventories. A second document (`---`) is
/// an error: use [`from_str_multi`] for streams.
pub fn from_str<T: de::DeserializeOwned>(text: &str) -> Result<T, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let doc = load(text).map_err(Error::load)?;
    read_document(&doc)
}

/// Reads every document of a YAML stream (`---` separated, as in multi-document Sigma rules)
/// into a `T` each, in order. Documents without content (a trailing `---`) are left out; a
/// syntax error anywhere, or any document that does not read as `T`, is the error. Positions
/// count from the start of the text.
pub fn from_str_multi<T: de::DeserializeOwned>(text: &str) -> Result<Vec<T>, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let docs = load_documents(text, true).map_err(Error::load)?;
    docs.iter()
        .filter(|d| d.root().is_some())
        .map(read_document)
        .collect()
}

#[cfg(test)]
mod chunked_tests;

mod fast;

#[cfg(test)]
mod fast_tests;

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
    fn nodes_stay_small() {
        // Large inventories hold hundreds of thousands of nodes.
        assert!(std::mem::size_of::<super::Node>() <= 24);
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

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Rule {
        title: String,
        #[serde(default)]
        tags: Vec<String>,
        level: Option<u8>,
    }

    #[test]
    fn public_from_str_reads_owned_values_and_ignores_unknown_keys() {
        let rule: Rule =
            super::from_str("\u{feff}title: x\ntags: [attack.t1059]\nother: 1\n").expect("reads");
        assert_eq!(
            rule,
            Rule {
                title: "x".to_string(),
                tags: vec!["attack.t1059".to_string()],
                level: None,
            }
        );
    }

    #[test]
    fn located_values_carry_their_node_position() {
        #[derive(Debug, serde::Deserialize)]
        struct Tagged {
            tags: Vec<super::Located<String>>,
            id: Option<super::Located<u32>>,
        }
        let t: Tagged = super::from_str("id: 7\ntags:\n  - a\n  -   \"b c\"\n").expect("reads");
        let tags: Vec<_> = t
            .tags
            .iter()
            .map(|l| (l.value.as_str(), l.line, l.column))
            .collect();
        assert_eq!(tags, [("a", 3, 5), ("b c", 4, 7)]);
        let id = t.id.expect("id");
        assert_eq!((id.value, id.line, id.column), (7, 1, 5));
        let err = super::from_str::<Tagged>("tags: [1, [x]]\n").expect_err("not a string");
        assert_eq!((err.line, err.column), (1, 11));
    }

    #[test]
    fn public_from_str_errors_carry_line_and_column() {
        let err = super::from_str::<Rule>("title: x\nlevel: high\n").expect_err("not a number");
        assert_eq!((err.line, err.column), (2, 8));
        assert_eq!(err.message, "`level`: expected a whole number");
        assert_eq!(err.to_string(), "2:8: `level`: expected a whole number");
        let err = super::from_str::<Rule>("title: [x\n").expect_err("syntax");
        assert!(err.message.starts_with("invalid YAML"), "{err}");
        let err = super::from_str::<Rule>("title: x\n---\ntitle: y\n").expect_err("two docs");
        assert_eq!(err.line, 2);
        let err = super::from_str::<Rule>("").expect_err("empty");
        assert_eq!((err.line, err.column), (1, 1));
    }

    #[test]
    fn public_from_str_multi_reads_each_document_with_absolute_positions() {
        let text = "title: a\ntags: [t1]\n---\ntitle: b\n---\n";
        let rules: Vec<Rule> = super::from_str_multi(text).expect("reads");
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[1].title, "b");
        let err = super::from_str_multi::<Rule>("title: a\n---\ntitle: b\nlevel: x\n")
            .expect_err("second document is bad");
        assert_eq!((err.line, err.column), (4, 8));
        // Anchors are per document.
        assert!(super::from_str_multi::<Rule>("title: &t a\n---\ntitle: *t\n").is_err());
        assert!(super::from_str_multi::<Rule>("").expect("empty").is_empty());
    }
}
