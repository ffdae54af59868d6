//! The two-chunk parse of [`super::load`] against the sequential one: every split it accepts
//! must give the document the sequential parse gives, and every text it refuses falls back.

use std::fmt::Write as _;

use proptest::prelude::*;

use super::{
    Document, LoadError, MAX_DEPTH, find_split, load, load_chunked, load_reference, load_sequential,
};

/// Every line start of `text` but the first (where a second chunk could begin).
fn line_starts(text: &str) -> Vec<usize> {
    text.match_indices('\n')
        .map(|(i, _)| i + 1)
        .filter(|i| *i < text.len())
        .collect()
}

/// Checks every split of `text`; returns how many splits were accepted.
fn check_all_splits(text: &str) -> usize {
    // yaml-rust2 alone: the chunks may be read by the fast path.
    let sequential = load_reference(text);
    let mut accepted = 0;
    for split in line_starts(text) {
        if let Some(doc) = load_chunked(text, split) {
            accepted += 1;
            assert_same(&Ok(doc), &sequential, text, split);
        }
    }
    accepted
}

#[track_caller]
fn assert_same(
    chunked: &Result<Document<'_>, LoadError>,
    sequential: &Result<Document<'_>, LoadError>,
    text: &str,
    split: usize,
) {
    if chunked == sequential {
        return;
    }
    let what = match (chunked, sequential) {
        (Ok(a), Ok(b)) => differences(a, b),
        _ => format!("chunked: {chunked:?}\nsequential: {sequential:?}"),
    };
    panic!(
        "split at byte {split} (line {}) differs\n--- text ---\n{text}\n--- chunked against sequential ---\n{what}",
        text[..split].matches('\n').count() + 1
    );
}

/// The first differences between two documents, readably.
fn differences(a: &Document<'_>, b: &Document<'_>) -> String {
    let mut out = String::new();
    for (i, (x, y)) in a.nodes.iter().zip(&b.nodes).enumerate() {
        if x != y {
            let _ = writeln!(out, "node {i}: {x:?}\n     against {y:?}");
        }
    }
    if a.nodes.len() != b.nodes.len() {
        let _ = writeln!(out, "nodes: {} against {}", a.nodes.len(), b.nodes.len());
    }
    if a.strings != b.strings {
        let _ = writeln!(out, "strings {:?}\n   against {:?}", a.strings, b.strings);
    }
    if a.items != b.items {
        let _ = writeln!(out, "items {:?}\n   against {:?}", a.items, b.items);
    }
    if a.entries != b.entries {
        let _ = writeln!(out, "entries {:?}\n   against {:?}", a.entries, b.entries);
    }
    if a.root != b.root || a.duplicates != b.duplicates {
        let _ = writeln!(
            out,
            "root or duplicates differ: {:?} {:?}",
            a.duplicates, b.duplicates
        );
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Generated inventory-like texts

/// One key (or construct) of a capability, written at the capability's mapping indentation.
#[derive(Debug, Clone)]
enum Field {
    Plain,
    MultiPlain,
    /// A double-quoted scalar over two lines; `true`: the second line at column 0.
    MultiQuoted(bool),
    SingleQuoted,
    /// A block scalar: header (`|`, `>-`, `|+`, `|2`...), blank lines inside and after.
    Block(&'static str, usize),
    /// A flow list over two lines; `true`: the second line at the list's item column, as `- `.
    FlowMulti(bool),
    Unicode,
    Anchor(u8),
    Alias(u8),
    /// The key `name` again.
    Duplicate,
    /// Flow lists nested this deep.
    Deep(usize),
    /// Block mappings nested this deep.
    DeepBlock(usize),
    Comment(bool),
    Blank,
    /// Entries; `true`: flow style; the list at the key's column or 2 more.
    Coverage(usize, bool, bool),
    Tab,
    /// A syntax error (several kinds).
    Error(u8),
}

/// An item of the list.
#[derive(Debug, Clone)]
enum Item {
    Map(Vec<Field>),
    Scalar,
    Seq,
    Empty,
    Flow,
}

/// What follows the list at the top.
#[derive(Debug, Clone)]
enum Tail {
    Key,
    RootBlock,
    DuplicateScalar,
    DuplicateList,
    OtherList,
    Comment,
    DocumentEnd,
    SecondDocument,
}

/// A generated inventory text's choices (rendered by [`render`]).
#[allow(clippy::struct_excessive_bools)] // each flag is one independent choice of the generator
#[derive(Debug, Clone)]
pub(super) struct Inventory {
    directive: bool,
    anchor_before: bool,
    list_anchor: bool,
    column: usize,
    items: Vec<Item>,
    tail: Vec<Tail>,
    crlf: bool,
    /// A lone `\r` or a NUL at this byte.
    lone_cr: Option<(usize, char)>,
    /// A syntax error in this item (most texts have none, so that most splits can be taken).
    fault: Option<(usize, u8)>,
}

fn field() -> impl Strategy<Value = Field> {
    prop_oneof![
        4 => Just(Field::Plain),
        2 => Just(Field::MultiPlain),
        1 => prop::bool::weighted(0.2).prop_map(Field::MultiQuoted),
        1 => Just(Field::SingleQuoted),
        2 => (prop::sample::select(vec!["|", ">", "|+", ">-", "|2", "|-"]), 0..3usize)
            .prop_map(|(h, b)| Field::Block(h, b)),
        1 => prop::bool::weighted(0.2).prop_map(Field::FlowMulti),
        1 => Just(Field::Unicode),
        1 => (0..3u8).prop_map(Field::Anchor),
        1 => (0..3u8).prop_map(Field::Alias),
        1 => Just(Field::Duplicate),
        1 => (MAX_DEPTH - 6..MAX_DEPTH).prop_map(Field::Deep),
        1 => (25..32usize).prop_map(Field::DeepBlock),
        2 => any::<bool>().prop_map(Field::Comment),
        2 => Just(Field::Blank),
        6 => (1..4usize, any::<bool>(), any::<bool>()).prop_map(|(n, f, i)| Field::Coverage(n, f, i)),
        1 => Just(Field::Tab),
    ]
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        8 => prop::collection::vec(field(), 1..5).prop_map(Item::Map),
        1 => Just(Item::Scalar),
        1 => Just(Item::Seq),
        1 => Just(Item::Empty),
        1 => Just(Item::Flow),
    ]
}

fn tail() -> impl Strategy<Value = Tail> {
    prop_oneof![
        4 => Just(Tail::Comment),
        1 => Just(Tail::Key),
        1 => Just(Tail::RootBlock),
        1 => Just(Tail::DuplicateScalar),
        1 => Just(Tail::DuplicateList),
        1 => Just(Tail::OtherList),
        1 => Just(Tail::DocumentEnd),
        1 => Just(Tail::SecondDocument),
    ]
}

pub(super) fn inventory() -> impl Strategy<Value = Inventory> {
    (
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.1),
        prop::sample::select(vec![0usize, 1, 2, 2, 2, 4]),
        prop::collection::vec(item(), 1..14),
        prop::collection::vec(tail(), 0..2),
        prop::bool::weighted(0.2),
        prop::option::weighted(0.08, (0..4000usize, prop::sample::select(vec!['\r', '\0']))),
        prop::option::weighted(0.2, (0..14usize, 0..4u8)),
    )
        .prop_map(
            |(directive, anchor_before, list_anchor, column, items, tail, crlf, lone_cr, fault)| {
                Inventory {
                    directive,
                    anchor_before,
                    list_anchor,
                    column,
                    items,
                    tail,
                    crlf,
                    lone_cr,
                    fault,
                }
            },
        )
}

fn write_field(out: &mut String, field: &Field, p: usize, index: usize) {
    let pad = " ".repeat(p);
    let deeper = " ".repeat(p + 2);
    let _ = match field {
        Field::Plain => writeln!(out, "name: Capability {index}"),
        Field::MultiPlain => writeln!(out, "name: first part\n{deeper}second - part"),
        Field::MultiQuoted(dedent) => {
            let at = if *dedent { "" } else { &deeper };
            writeln!(out, "desc: \"a \\\" b\n{at}- c still quoted\"")
        }
        Field::SingleQuoted => writeln!(out, "desc: 'it''s\n{deeper}  - x'"),
        Field::Block(header, blanks) => {
            let blank = "\n".repeat(*blanks);
            writeln!(
                out,
                "notes: {header}\n{deeper}- not an item\n{blank}{deeper}  text # no comment\n{blank}"
            )
        }
        Field::FlowMulti(dedent) => {
            let at = if *dedent {
                " ".repeat(p.saturating_sub(2)) + "- "
            } else {
                deeper.clone()
            };
            writeln!(out, "platforms: [windows,\n{at}linux]")
        }
        Field::Unicode => writeln!(out, "vendor: Ünïcødé 日本 — ok"),
        Field::Anchor(a) => writeln!(out, "cost: &c{a} {{annual: 5000}}"),
        Field::Alias(a) => writeln!(out, "price: *c{a}"),
        Field::Duplicate => writeln!(out, "name: again"),
        Field::Deep(k) => writeln!(out, "deep: {}1{}", "[".repeat(*k), "]".repeat(*k)),
        Field::DeepBlock(k) => {
            let _ = write!(out, "nest:");
            for level in 1..=*k {
                let _ = write!(out, "\n{}n:", " ".repeat(p + 2 * level));
            }
            writeln!(out, " end")
        }
        Field::Comment(col0) => {
            if *col0 {
                writeln!(out, "# a comment at column 0\n{pad}k: v")
            } else {
                writeln!(out, "# a comment\n{pad}k: v")
            }
        }
        Field::Blank => writeln!(out, "k: v\n\n   \n"),
        Field::Coverage(n, flow, indented) => {
            let _ = writeln!(out, "coverage:");
            let at = if *indented { &deeper } else { &pad };
            for e in 0..*n {
                let _ = if *flow {
                    writeln!(
                        out,
                        "{at}- {{techniques: [T1059, T10{e:02}], function: detect, level: 0.5}}"
                    )
                } else {
                    writeln!(
                        out,
                        "{at}- techniques:\n{at}    - T1003\n{at}  level: partial # c"
                    )
                };
            }
            Ok(())
        }
        Field::Tab => writeln!(out, "tab:\tvalue"),
        Field::Error(kind) => match kind {
            0 => writeln!(out, "oops: [unclosed"),
            1 => writeln!(
                out,
                "oops: x\n{} bad: indentation",
                " ".repeat(p.saturating_sub(1))
            ),
            2 => writeln!(out, "oops: \"unterminated"),
            _ => writeln!(out, "oops: a: b"),
        },
    };
}

pub(super) fn render(inv: &Inventory) -> String {
    let mut out = String::new();
    if inv.directive {
        out.push_str("%YAML 1.2\n---\n");
    }
    out.push_str("covmap: 1\norganization: Générée Corp # ok\n");
    if inv.anchor_before {
        out.push_str("defaults: &c0 {annual: 1000}\n");
    }
    out.push_str("capabilities:");
    if inv.list_anchor {
        out.push_str(" &caps");
    }
    out.push_str(" # the list\n");
    let c = inv.column;
    let pad = " ".repeat(c);
    for (index, item) in inv.items.iter().enumerate() {
        let _ = match item {
            Item::Map(fields) => {
                let p = c + 2;
                let _ = writeln!(out, "{pad}- id: cap-{index}");
                for f in fields {
                    out.push_str(&" ".repeat(p));
                    write_field(&mut out, f, p, index);
                }
                if let Some((at, kind)) = inv.fault
                    && at == index
                {
                    out.push_str(&" ".repeat(p));
                    write_field(&mut out, &Field::Error(kind), p, index);
                }
                Ok(())
            }
            Item::Scalar => writeln!(out, "{pad}- plain item {index}\n{pad}  continued"),
            Item::Seq => writeln!(out, "{pad}- - a\n{pad}  - b"),
            Item::Empty => writeln!(out, "{pad}-\n"),
            Item::Flow => writeln!(
                out,
                "{pad}- {{id: cap-{index}, techniques: [T1059,\n{pad}    T1003]}}"
            ),
        };
    }
    for t in &inv.tail {
        let _ = match t {
            Tail::Key => writeln!(out, "telemetry: none"),
            Tail::RootBlock => writeln!(out, "notes: |\n{pad}  - looks like an item\n  text"),
            Tail::DuplicateScalar => writeln!(out, "capabilities: again"),
            Tail::DuplicateList => {
                writeln!(out, "capabilities:\n{pad}- id: again\n{pad}- id: more")
            }
            Tail::OtherList => writeln!(out, "telemetry:\n{pad}- id: t1\n{pad}- id: t2"),
            Tail::Comment => writeln!(out, "# the end\n"),
            Tail::DocumentEnd => writeln!(out, "...\n# after the end"),
            Tail::SecondDocument => writeln!(out, "---\nx: 1"),
        };
    }
    if inv.crlf {
        out = out.replace('\n', "\r\n");
    }
    if let Some((at, c)) = inv.lone_cr
        && out.is_char_boundary(at.min(out.len()))
    {
        out.insert(at.min(out.len()), c);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Every split the chunked parse accepts gives the sequential parse's document; where the
    /// sequential parse fails, no split is accepted (the fallback then reports its error).
    #[test]
    fn chunked_parse_equals_sequential(inv in inventory()) {
        let text = render(&inv);
        check_all_splits(&text);
        // What `load` does with the split it would choose.
        if let Some(split) = find_split(&text) {
            let chunked = load_chunked(&text, split).map_or_else(|| load_sequential(&text), Ok);
            assert_same(&chunked, &load_sequential(&text), &text, split);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Read in pieces of any size, the pieces that parse give the one-pass parse's
    /// capabilities and head; where the one-pass parse fails, a piece is refused.
    #[test]
    fn pieces_give_what_the_one_pass_parse_gives(inv in inventory(), piece_bytes in 1usize..400) {
        let text = render(&inv);
        super::check_pieces_parse(&text, piece_bytes);
    }
}

#[test]
fn clean_inventories_read_in_pieces_of_every_size() {
    // CLEAN has 3 capabilities: the first stays in the head, so at most 2 pieces.
    let parsed: Vec<usize> = (1..CLEAN.len() + 2)
        .map(|bytes| super::check_pieces_parse(CLEAN, bytes))
        .collect();
    assert_eq!(parsed.iter().max(), Some(&2));
    assert_eq!(
        parsed.last(),
        Some(&0),
        "no piece after the end of the text"
    );
    // A later top-level key, an anchor or a repeated key in a piece: refused (the whole text is read).
    for (extra, refused) in [
        ("plan: {}\n", true),
        ("  - id: d\n    tags: &t [x]\n", true),
        ("  - id: d\n    id: e\n", true),
        ("  - id: d\n", false),
    ] {
        let text = format!("{CLEAN}{extra}");
        let pieces = super::check_pieces_parse(&text, 1);
        assert_eq!(pieces < 3, refused, "{extra:?}: {pieces} pieces");
    }
    // A later list at the items' column: wherever the cut falls, its items stay its own.
    // Empty items and values before a cut: their position is the next token's, in the next
    // piece. In CRLF too.
    for text in [
        format!("{CLEAN}telemetry:\n  - id: t1\n  - id: t2\n"),
        "covmap: 1\ncapabilities:\n  - id: a\n  - id: b\n  -\n\n  - id: c\n    k:\n  - id: d\n  - id: e\n".to_string(),
        "covmap: 1\r\ncapabilities:\r\n  - id: a\r\n  - id: b\r\n  -\r\n\r\n  - id: c\r\n  - id: d\r\n".to_string(),
    ] {
        let mut parsed = 0;
        for bytes in 1..text.len() + 2 {
            parsed += super::check_pieces_parse(&text, bytes);
        }
        assert!(parsed > 0, "{text:?}: never read in pieces");
    }
}

// ---------------------------------------------------------------------------------------------
// Accepted splits and each reason to fall back

const CLEAN: &str = "covmap: 1\nname: x\ncapabilities:\n  - id: a\n    coverage:\n      - {techniques: [T1059], level: 0.5}\n  - id: b\n    notes: |\n      text\n  - id: c\n    name: é\n";

/// The byte offset of line `line` (1-based).
fn line(text: &str, line: usize) -> usize {
    text.split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum()
}

#[test]
fn clean_inventories_split_at_every_item() {
    assert_eq!(check_all_splits(CLEAN), 2);
    assert_eq!(super::check_chunked_parse(CLEAN), 2);
    let crlf = CLEAN.replace('\n', "\r\n");
    assert_eq!(check_all_splits(&crlf), 2);
    // The chosen split: the first item line from the middle.
    assert_eq!(find_split(CLEAN), Some(line(CLEAN, 7)));
    // An indentless list (items at column 0).
    let indentless = "a: 1\ncapabilities:\n- id: a\n- id: b\n  x: [1,\n    2]\n- c\n# end\n";
    assert_eq!(check_all_splits(indentless), 2);
}

#[test]
fn generated_inventories_split_in_the_middle() {
    let mut text = String::from("covmap: 1\ncapabilities:\n");
    for c in 0..2000 {
        let _ = write!(
            text,
            "  - id: cap-{c}\n    name: Capability {c}\n    coverage:\n      - {{techniques: [T1059, T1003], function: detect}}\n      - techniques: [T1001]\n        level: partial\n"
        );
    }
    let split = find_split(&text).expect("a split");
    assert!(split >= text.len() / 2 && split < text.len() / 2 + 200);
    let chunked = load_chunked(&text, split).expect("accepted");
    assert!(Ok(chunked) == load_sequential(&text));
    // `load` takes the chunked path here (the text is over the threshold) and agrees.
    assert!(text.len() >= super::CHUNKED_FROM);
    assert!(load(&text) == load_sequential(&text));
}

#[test]
fn refuses_a_lone_carriage_return() {
    let text = CLEAN.replacen("name: x\n", "name: x\r", 1);
    assert!(load_sequential(&text).is_ok());
    assert!(load_chunked(&text, line(&text, 9)).is_none());
    assert_eq!(check_all_splits(&text), 0);
    // Before a comment line, so that no node sits on the first chunk's last line.
    let text = "capabilities:\n  - a\r  - b\n# c\n  - c\n";
    assert!(load_sequential(text).is_ok());
    assert!(load_chunked(text, line(text, 4)).is_none());
}

#[test]
fn refuses_a_nul() {
    // yaml-rust2 reads a NUL as the end of the text: the one-pass parse ignores what follows,
    // a second chunk after it would not (found by the fuzz target).
    let text = "capabilities:\n  - a\n \0 x\n  - b\n";
    assert!(load_sequential(text).is_ok());
    assert_eq!(check_all_splits(text), 0);
    let text = "capabilities:\n  - a\n  - b \0 x\n  - c\n";
    assert_eq!(check_all_splits(text), 0);
}

#[test]
fn refuses_splits_inside_a_line() {
    assert!(load_chunked(CLEAN, line(CLEAN, 10) + 1).is_none());
    assert!(load_chunked(CLEAN, 0).is_none());
}

#[test]
fn refuses_directives_and_document_ends_before_the_split() {
    let text = format!("%YAML 1.2\n---\n{CLEAN}");
    assert!(load_sequential(&text).is_ok());
    assert_eq!(check_all_splits(&text), 0);
    let text = "capabilities:\n  - a\n...\n  - b\n";
    assert!(load_sequential(text).is_err());
    assert!(load_chunked(text, line(text, 4)).is_none());
}

#[test]
fn refuses_second_chunks_with_lines_left_of_the_items() {
    // A key after the list.
    let text = format!("{CLEAN}other: 1\n");
    assert!(load_sequential(&text).is_ok());
    assert_eq!(check_all_splits(&text), 0);
    // A line at the items' column that is not an item.
    let text = "capabilities:\n  - a\n  - b\n  c\n";
    assert!(load_chunked(text, line(text, 3)).is_none());
    // A root-level block scalar after the list whose lines look like items.
    let text = "capabilities:\n  - a\nnotes: |\n  - b\n";
    assert!(load_chunked(text, line(text, 4)).is_none());
    // But comments and blank lines anywhere are fine.
    let text = "capabilities:\n  - a\n# c\n\n  - b\n # d\n";
    assert_eq!(check_all_splits(text), 1);
}

#[test]
fn refuses_anchors_and_aliases_in_the_second_chunk() {
    let text = "capabilities:\n  - &a x\n  - *a\n";
    assert!(load_sequential(text).is_ok());
    assert!(load_chunked(text, line(text, 3)).is_none());
    let text = "capabilities:\n  - a\n  - &b x\n  - *b\n";
    assert!(load_chunked(text, line(text, 3)).is_none());
    // Anchors in the first chunk are fine.
    let text = "d: &a 1\ncapabilities:\n  - *a\n  - b\n";
    assert_eq!(check_all_splits(text), 1);
}

#[test]
fn refuses_a_first_chunk_not_ending_in_its_top_list() {
    // The list's key given again: its value is dropped, not continued.
    let text = "capabilities:\n  - a\ncapabilities: x\n  - b\n";
    assert!(load_chunked(text, line(text, 4)).is_none());
    // A flow list at the items' column.
    let text = "capabilities:\n  [a]\n  - b\n";
    assert!(load_sequential(text).is_err());
    assert!(load_chunked(text, line(text, 3)).is_none());
    // A nested list at another column.
    let text = "capabilities:\n  - a:\n    - x\n    - y\n";
    assert!(load_chunked(text, line(text, 4)).is_none());
    // A top-level list, not a mapping.
    let text = "- a\n- b\n";
    assert!(load_chunked(text, line(text, 2)).is_none());
}

#[test]
fn refuses_chunks_that_do_not_parse() {
    // Inside a flow list and a quoted scalar: the first chunk is unterminated.
    let text = "capabilities:\n  - [a,\n  - b]\n";
    assert!(load_chunked(text, line(text, 3)).is_none());
    let text = "capabilities:\n  - \"a\n  - b\"\n";
    assert!(load_chunked(text, line(text, 3)).is_none());
    // An error in the second chunk.
    let text = "capabilities:\n  - a\n  - [b\n";
    assert!(load_chunked(text, line(text, 3)).is_none());
}

#[test]
fn the_second_chunk_counts_the_levels_above_it() {
    // Items sit at depth 2 (top mapping, list): flow lists inside may nest MAX_DEPTH - 2 deep.
    for depth in [MAX_DEPTH - 3, MAX_DEPTH - 2, MAX_DEPTH - 1] {
        let text = format!(
            "capabilities:\n  - a\n  - {}1{}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let sequential = load_sequential(&text);
        assert_eq!(
            sequential.is_ok(),
            depth <= MAX_DEPTH - 2,
            "{depth}: {sequential:?}"
        );
        let chunked = load_chunked(&text, line(&text, 3));
        assert_eq!(chunked.is_some(), sequential.is_ok(), "{depth}");
        check_all_splits(&text);
    }
}
