//! The fast path ([`super::fast`]) against yaml-rust2: every text it accepts must give the
//! document yaml-rust2 gives, and it must refuse whatever it does not read the same way.

use std::fmt::Write as _;

use proptest::prelude::*;

use super::chunked_tests::{inventory, render};
use super::{check_fast_parse, fast, load_reference};

/// Whether the fast path accepts `text` (checked against yaml-rust2 by `check_fast_parse`).
fn accepts(text: &str) -> bool {
    check_fast_parse(text)
}

#[test]
fn reads_the_style_inventories_are_written_in() {
    let texts = [
        // Block mappings and lists, an indentless list, an empty value, quotes.
        "a: 1\nb:\n  - x\n  - y: 2\n    z: [p, {q: r}]\nc:\n- m\n- n\nd:\ne: \"s\"\nf: 't''u'\ng:\n  h: 1\n",
        // Plain values with colons, commas and hashes that are not comments.
        "a: http://x:80/a\nb: it's, ok\nc: x # c\nd:   \"q\" # c\ne: ''\nf: C#\n",
        // The generated inventories' shape, at two indentations, with comments between.
        "covmap: 1\nattack: {domain: enterprise, version: \"18.1\"}\n# caps\ncapabilities:\n  - id: cap-0\n    # a note\n    platforms: [Windows, SaaS]\n    coverage:\n      - {techniques: [T1200, T1136.003], function: detect, level: 0.75}\n      - {techniques: [], evidence: \"rule review\"}\n  - id: cap-1\n    coverage:\n    - techniques:\n        - T1003\n      level: partial # c\n",
        // Non-ASCII text: columns count characters.
        "organization: Générée Corp\nname: 日本 — x\nlist: [é, \"ü\", 'ß']\nafter: [a, b]\n",
        // A list at the root, at column 2 (the second chunk of a split).
        "  - id: a\n    n: 1\n  -\n    m: 2\n  - [x]\n",
        // Empty flow collections, spaces inside them, nested ones.
        "a: []\nb: {}\nc: [ ]\nd: [ a , b ]\ne: {k: [1, [2, {x: y}]], l: 'm'}\n",
        // Duplicate keys: the builder's business, the same either way.
        "a: 1\na: 2\nb:\n  c: 1\n  c: [x]\n",
    ];
    for text in texts {
        assert!(accepts(text), "refused:\n{text}");
    }
}

#[test]
fn refuses_what_it_does_not_read() {
    let texts = [
        "",
        "# only a comment\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: |\n  text\n",
        "a: >-\n  text\n",
        "a:\tb\n",
        "a: b\r\n",
        "\u{feff}a: b\n",
        "%YAML 1.2\n---\na: b\n",
        "---\na: b\n",
        "a: b\n...\n",
        "a: \"x \\\" y\"\n",
        "a: \"open\n  close\"\n",
        "a: [x,\n  y]\n",
        "a: first\n  second\n",
        "a: x\n   # deeper comment\nb: y\n",
        "- - a\n  - b\n",
        "a: [x, y,]\n",
        "a: {k}\n",
        "a: {k: }\n",
        "a: [k: v]\n",
        "a: b: c\n",
        "? a\n: b\n",
        "\"a\": b\n",
        "a:\n",
        "a:\n-\n",
        "-\n- x\n",
        "  a: 1\n",
        "a: 1\n b: 2\n",
        "a: -1\n",
        "a: [x] y\n",
        "a: x]\n",
        "a: [C#]\n",
    ];
    for text in texts {
        assert!(!accepts(text), "accepted:\n{text}");
    }
}

#[test]
fn errors_are_left_to_yaml_rust2() {
    // Each is an error for yaml-rust2; the fast path must not accept it.
    for text in [
        "a: 1\n- x\n",
        "- x\na: 1\n",
        "a:\n  b: 1\n c: 2\n",
        "a: [x\n",
        "a: 'x\n",
        "a: {b: c\n",
    ] {
        assert!(load_reference(text).is_err(), "yaml-rust2 reads:\n{text}");
        assert!(!accepts(text), "accepted:\n{text}");
    }
}

#[test]
fn deep_nesting_goes_to_yaml_rust2() {
    // Deeper flow nesting than the fast path reads.
    let deep = format!("a: {}1{}\n", "[".repeat(20), "]".repeat(20));
    assert!(!accepts(&deep));
    // The builder's depth limit counts the levels above a chunk.
    let text = format!("a: {}1{}\n", "[".repeat(10), "]".repeat(10));
    assert!(fast::build(&text, 0, 0).is_some());
    assert!(fast::build(&text, 0, super::MAX_DEPTH - 5).is_none());
}

/// A generated tree, rendered in the styles the fast path reads (and some it refuses).
#[derive(Debug, Clone)]
enum Tree {
    Scalar(&'static str),
    Map(Vec<(&'static str, Tree)>),
    Seq(Vec<Tree>),
}

/// Scalars as written: plain, quoted, and some that only look like scalars.
const SCALARS: &[&str] = &[
    "x",
    "Capability 1",
    "0.75",
    "T1059.001",
    "http://x:80/a",
    "it's",
    "C#",
    "a,b",
    "é ü",
    "日本 — x",
    "''",
    "'it''s'",
    "\"q\"",
    "\"a: b # c\"",
    "'x # y'",
    "\"\"",
    "~",
    "-1",
    "a:b",
    "x #c",
    "[a]",
    "{}",
];

const KEYS: &[&str] = &[
    "id", "name", "a", "b", "coverage", "é", "C#", "a b", "x:y", "k",
];

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = prop::sample::select(SCALARS).prop_map(Tree::Scalar);
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            3 => prop::collection::vec((prop::sample::select(KEYS), inner.clone()), 1..5)
                .prop_map(Tree::Map),
            2 => prop::collection::vec(inner, 0..5).prop_map(Tree::Seq),
        ]
    })
}

/// Renders trees; `choices` decide the styles (flow or block, indentless lists, comments,
/// empty values), taken in turn.
struct Writer {
    out: String,
    choices: Vec<u8>,
    next: usize,
}

impl Writer {
    fn choose(&mut self, n: u8) -> u8 {
        let c = self
            .choices
            .get(self.next % self.choices.len().max(1))
            .copied()
            .unwrap_or(0);
        self.next += 1;
        c % n
    }

    fn comment(&mut self, pad: usize) {
        match self.choose(8) {
            0 => {
                let _ = writeln!(self.out, "{}# note", " ".repeat(pad));
            }
            1 => self.out.push('\n'),
            _ => {}
        }
    }

    fn flow(&mut self, tree: &Tree) {
        match tree {
            Tree::Scalar(s) => self.out.push_str(s),
            Tree::Map(entries) => {
                self.out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.out.push_str(k);
                    self.out.push_str(": ");
                    self.flow(v);
                }
                self.out.push('}');
            }
            Tree::Seq(items) => {
                self.out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.flow(v);
                }
                self.out.push(']');
            }
        }
    }

    /// A value after `key:` or `- ` (the line so far), holding `pad` for its block.
    fn value(&mut self, tree: &Tree, pad: usize, in_map: bool) {
        let block = match tree {
            Tree::Scalar(_) => false,
            Tree::Seq(items) => !items.is_empty() && self.choose(3) > 0,
            Tree::Map(_) => self.choose(3) > 0,
        };
        if !block {
            if matches!(tree, Tree::Scalar(_)) && in_map && self.choose(12) == 0 {
                self.out.push('\n');
                return;
            }
            self.out.push(' ');
            self.flow(tree);
            if self.choose(6) == 0 {
                self.out.push_str(" # c");
            }
            self.out.push('\n');
            return;
        }
        self.out.push('\n');
        self.comment(pad + 2);
        let indentless = in_map && matches!(tree, Tree::Seq(_)) && self.choose(2) == 0;
        self.block(tree, if indentless { pad } else { pad + 2 });
    }

    fn block(&mut self, tree: &Tree, pad: usize) {
        match tree {
            Tree::Scalar(s) => {
                let _ = writeln!(self.out, "{}{s}", " ".repeat(pad));
            }
            Tree::Map(entries) => {
                for (k, v) in entries {
                    let _ = write!(self.out, "{}{k}:", " ".repeat(pad));
                    self.value(v, pad, true);
                    self.comment(pad);
                }
            }
            Tree::Seq(items) => {
                for v in items {
                    let _ = write!(self.out, "{}-", " ".repeat(pad));
                    match v {
                        // A compact mapping: its first key on the `-` line.
                        Tree::Map(entries) if self.choose(3) > 0 => {
                            for (i, (k, v)) in entries.iter().enumerate() {
                                let at = if i == 0 { 1 } else { pad + 2 };
                                let _ = write!(self.out, "{}{k}:", " ".repeat(at));
                                self.value(v, pad + 2, true);
                            }
                        }
                        _ => self.value(v, pad, false),
                    }
                    self.comment(pad);
                }
            }
        }
    }
}

/// A text of `tree` at the root: a mapping at column 0 or a list at column `column`.
fn write_tree(tree: &Tree, column: usize, choices: Vec<u8>) -> String {
    let mut writer = Writer {
        out: String::new(),
        choices,
        next: 0,
    };
    writer.comment(0);
    match tree {
        Tree::Map(_) => writer.block(tree, 0),
        _ => writer.block(&Tree::Seq(vec![tree.clone()]), column),
    }
    writer.out
}

fn tree_text() -> impl Strategy<Value = String> {
    (
        tree(),
        prop::sample::select(vec![0usize, 2, 4]),
        prop::collection::vec(any::<u8>(), 1..64),
    )
        .prop_map(|(tree, column, choices)| write_tree(&tree, column, choices))
}

/// Characters that change what a YAML line means, to insert into generated texts.
const TROUBLE: &[&str] = &[
    ":", ": ", " ", "#", " #", "-", "- ", "'", "\"", "[", "]", "{", "}", ",", "\n", "\n  ", "é",
    "?", "&", "*", "!", "|", ">", "\\", "\t", "...", "---",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Generated inventory-like texts (the chunked parse's generator: block scalars, anchors,
    /// multi-line scalars, errors and all): whatever the fast path accepts, yaml-rust2 reads
    /// the same way.
    #[test]
    fn generated_texts_read_as_yaml_rust2_reads_them(inv in inventory()) {
        check_fast_parse(&render(&inv));
    }

    /// Trees written in the styles the fast path reads, with scalars and keys that are not
    /// all what they seem.
    #[test]
    fn trees_read_as_yaml_rust2_reads_them(text in tree_text()) {
        check_fast_parse(&text);
    }

    /// Those texts with troublesome characters inserted at random places.
    #[test]
    fn damaged_texts_read_as_yaml_rust2_reads_them(
        text in tree_text(),
        cuts in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(TROUBLE)), 1..4),
    ) {
        let mut text = text;
        for (at, what) in cuts {
            let mut at = at.index(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text.insert_str(at, what);
        }
        check_fast_parse(&text);
    }
}
