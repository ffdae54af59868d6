//! Tests of `coverage.xlsx`, read back with calamine: the sheets, one Techniques row per
//! technique with the assessment's figures (and means recomputed from the sheet), the gaps in
//! rank order, the summary's headline figures, hostile text read back literally and never as
//! a formula, and byte-identical renders.
// Numbers are compared exactly on purpose: the workbook must hold the assessment's figures
// bit for bit.
#![allow(clippy::float_cmp)]

use std::fmt::Write as _;
use std::io::Cursor;
use std::time::Duration;

use calamine::{Data, Range, Reader, Xlsx, open_workbook_from_rs};
use covmap_report::{OutputKind, RenderOptions, ReportInput};

use crate::common::{self, Owned};

fn render(input: &ReportInput<'_>) -> Vec<u8> {
    let files = covmap_report::render(input, &RenderOptions::default(), &[OutputKind::Xlsx])
        .expect("renders");
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].name, "coverage.xlsx");
    files.into_iter().next().expect("one file").bytes
}

struct Book {
    xlsx: Xlsx<Cursor<Vec<u8>>>,
}

impl Book {
    fn open(bytes: Vec<u8>) -> Book {
        Book {
            xlsx: open_workbook_from_rs(Cursor::new(bytes)).expect("calamine opens the workbook"),
        }
    }

    fn names(&self) -> Vec<String> {
        self.xlsx.sheet_names()
    }

    fn sheet(&mut self, name: &str) -> Range<Data> {
        let range = self.xlsx.worksheet_range(name).expect(name);
        assert_eq!(range.start(), Some((0, 0)), "{name} starts at A1");
        range
    }

    /// The rows of a sheet below its header, which must be `header`.
    fn table(&mut self, name: &str, header: &[&str]) -> Vec<Vec<Data>> {
        let range = self.sheet(name);
        let mut rows = range.rows().map(<[Data]>::to_vec);
        let first: Vec<String> = rows
            .next()
            .expect("a header")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(first, header, "{name} header");
        rows.collect()
    }

    /// Asserts that no cell of any sheet holds a formula.
    fn assert_no_formulas(&mut self) {
        for name in self.names() {
            let formulas = self.xlsx.worksheet_formula(&name).expect("formulas");
            assert!(
                formulas.used_cells().all(|(_, _, f)| f.is_empty()),
                "{name} has a formula"
            );
        }
    }
}

fn text(cell: &Data) -> &str {
    match cell {
        Data::String(s) => s,
        Data::Empty => "",
        other => panic!("expected text, found {other:?}"),
    }
}

fn num(cell: &Data) -> f64 {
    match cell {
        Data::Float(x) => *x,
        Data::Int(x) => *x as f64,
        other => panic!("expected a number, found {other:?}"),
    }
}

fn yes_no(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}

const TECHNIQUES: [&str; 18] = [
    "ID",
    "Name",
    "Parent",
    "Leaf",
    "Tactics",
    "Platforms",
    "In scope",
    "Exclusion reason",
    "Score",
    "Level",
    "Detect",
    "Protect",
    "Respond",
    "Visibility",
    "Capabilities",
    "Weight",
    "Gap priority",
    "Notes",
];

const GAPS: [&str; 21] = [
    "Rank",
    "ID",
    "Name",
    "Parent",
    "Tactics",
    "Platforms",
    "Score",
    "Level",
    "Detect",
    "Protect",
    "Respond",
    "Visibility",
    "Weight",
    "Gap priority",
    "Capabilities",
    "Threats",
    "Mitigations",
    "Detection strategies",
    "Data components",
    "Data sources",
    "Notes",
];

const TACTICS: [&str; 12] = [
    "ID",
    "Tactic",
    "Shortname",
    "Score",
    "Threat-weighted score",
    "Techniques and sub-techniques in scope",
    "Techniques and sub-techniques out of scope",
    "None",
    "Low",
    "Medium",
    "High",
    "Techniques (top-level)",
];

const CAPABILITIES: [&str; 13] = [
    "ID",
    "Name",
    "Vendor",
    "Status",
    "Counted",
    "Platforms",
    "Annual cost",
    "Currency",
    "Owner",
    "Tags",
    "Entries",
    "Techniques and sub-techniques covered",
    "Defined at",
];

const COMPARE: [&str; 19] = [
    "Candidate",
    "From",
    "Capabilities",
    "Baseline",
    "Overall after",
    "Gain (points)",
    "Baseline weighted",
    "Weighted after",
    "Weighted gain (points)",
    "Newly covered",
    "Improved",
    "Redundant",
    "Covers (head-to-head)",
    "Only it covers",
    "Only it covers, gains",
    "Only it covers (IDs)",
    "Annual cost",
    "Currency",
    "Cost per point",
];

/// Every check that holds for any input.
fn check(owned: &Owned) {
    let mut book = Book::open(render(&owned.input()));
    let mut names = vec![
        "Summary",
        "Techniques",
        "Gaps",
        "Tactics",
        "Capabilities",
        "Telemetry",
    ];
    if owned.comparison.is_some() {
        names.push("Compare");
    }
    assert_eq!(book.names(), names);
    book.assert_no_formulas();
    check_techniques(&mut book, owned);
    check_gaps(&mut book, owned);
    check_tactics_and_capabilities(&mut book, owned);
    check_compare(&mut book, owned);
    check_summary(&mut book, owned);
    // These inputs carry no telemetry analysis: the sheet says why instead of staying empty
    // (example 01 describes telemetry, so the analysis needs its inventory).
    let note = book.table("Telemetry", &["Telemetry"]);
    assert_eq!(note.len(), 1);
    let expected = if owned.assessment.telemetry.is_some() {
        "The telemetry analysis"
    } else {
        "No telemetry described"
    };
    assert!(
        note[0][0].to_string().starts_with(expected),
        "{:?}",
        note[0][0]
    );
}

/// Techniques: one row per technique, in the assessment's order, with its figures.
fn check_techniques(book: &mut Book, owned: &Owned) {
    let a = &owned.assessment;
    let rows = book.table("Techniques", &TECHNIQUES);
    assert_eq!(rows.len(), a.techniques.len());
    for (row, t) in rows.iter().zip(&a.techniques) {
        assert_eq!(text(&row[0]), t.id);
        assert_eq!(text(&row[1]), t.name);
        assert_eq!(text(&row[2]), t.parent.as_deref().unwrap_or(""));
        assert_eq!(text(&row[3]), yes_no(t.leaf), "{}", t.id);
        let tactics: Vec<&str> = t
            .tactics
            .iter()
            .map(|s| a.tactic(s).expect("a tactic").name.as_str())
            .collect();
        assert_eq!(text(&row[4]), tactics.join(", "));
        assert_eq!(text(&row[5]), t.platforms.join(", "));
        assert_eq!(text(&row[6]), yes_no(t.in_scope));
        assert_eq!(text(&row[7]), t.exclusion_reason.as_deref().unwrap_or(""));
        assert_eq!(num(&row[8]), t.score, "{} score", t.id);
        let level = serde_json::to_value(t.level).expect("level");
        assert_eq!(Some(text(&row[9])), level.as_str());
        let f = &t.functions;
        let functions = [&f.detect, &f.protect, &f.respond, &f.visibility];
        for (cell, function) in row[10..14].iter().zip(functions) {
            assert_eq!(num(cell), function.score, "{}", t.id);
        }
        for c in &t.capabilities {
            assert!(text(&row[14]).contains(&*c.id), "{}: {}", t.id, c.id);
        }
        assert_eq!(num(&row[15]), t.weight);
        assert_eq!(num(&row[16]), t.gap_priority);
    }
    // Recomputed from the sheet: the leaves in scope and their mean is the overall score.
    let leaves: Vec<f64> = rows
        .iter()
        .filter(|r| text(&r[3]) == "yes" && text(&r[6]) == "yes")
        .map(|r| num(&r[8]))
        .collect();
    assert_eq!(leaves.len(), a.counts.in_scope);
    if !leaves.is_empty() {
        let mean = leaves.iter().sum::<f64>() / leaves.len() as f64;
        assert!((mean - a.overall).abs() < 1e-5, "{mean} vs {}", a.overall);
    }
}

/// Gaps: in rank order, with their mitigations and detection strategies.
fn check_gaps(book: &mut Book, owned: &Owned) {
    let rows = book.table("Gaps", &GAPS);
    assert_eq!(rows.len(), owned.gaps.len());
    for (i, (row, gap)) in rows.iter().zip(&owned.gaps).enumerate() {
        assert_eq!(num(&row[0]), (i + 1) as f64);
        assert_eq!(text(&row[1]), gap.id);
        assert_eq!(num(&row[6]), gap.score);
        assert_eq!(num(&row[13]), gap.gap_priority);
        let mitigations: Vec<String> = gap
            .mitigations
            .iter()
            .map(|m| format!("{} {}", m.id, m.name))
            .collect();
        assert_eq!(text(&row[16]), mitigations.join("; "));
        let strategies: Vec<String> = gap
            .detection_strategies
            .iter()
            .map(|m| format!("{} {}", m.id, m.name))
            .collect();
        assert_eq!(text(&row[17]), strategies.join("; "));
    }
    let priorities: Vec<f64> = rows.iter().map(|r| num(&r[13])).collect();
    assert!(
        priorities.windows(2).all(|w| w[0] >= w[1]),
        "gap priority never rises down the ranking"
    );
}

fn check_tactics_and_capabilities(book: &mut Book, owned: &Owned) {
    let a = &owned.assessment;
    let rows = book.table("Tactics", &TACTICS);
    assert_eq!(rows.len(), a.tactics.len());
    for (row, t) in rows.iter().zip(&a.tactics) {
        assert_eq!(
            (text(&row[0]), text(&row[1])),
            (t.id.as_str(), t.name.as_str())
        );
        // A tactic with nothing in scope says so instead of a red 0.0%.
        if t.leaves == 0 {
            assert_eq!(text(&row[3]), "out of scope");
            assert_eq!(text(&row[4]), "out of scope");
        } else {
            assert_eq!(num(&row[3]), t.score);
            match t.score_weighted {
                Some(w) => assert_eq!(num(&row[4]), w),
                None => assert_eq!(row[4], Data::Empty),
            }
        }
        assert_eq!(num(&row[5]), t.leaves as f64);
        let levels = [&row[7], &row[8], &row[9], &row[10]].map(num);
        assert_eq!(levels.iter().sum::<f64>(), t.leaves as f64, "{}", t.name);
    }

    // Capabilities.
    let rows = book.table("Capabilities", &CAPABILITIES);
    assert_eq!(rows.len(), a.capabilities.len());
    for (row, c) in rows.iter().zip(&a.capabilities) {
        assert_eq!(text(&row[0]), c.id);
        assert_eq!(text(&row[1]), c.name);
        assert_eq!(text(&row[4]), yes_no(c.counted));
        match &c.cost {
            Some(cost) => assert_eq!(
                (num(&row[6]), text(&row[7])),
                (cost.annual, cost.currency.as_str())
            ),
            None => assert_eq!(row[6], Data::Empty),
        }
        assert_eq!(num(&row[11]), c.leaves_covered as f64);
    }
}

fn check_compare(book: &mut Book, owned: &Owned) {
    if let Some(comparison) = &owned.comparison {
        let rows = book.table("Compare", &COMPARE);
        assert_eq!(rows.len(), comparison.candidates.len());
        for (row, c) in rows.iter().zip(&comparison.candidates) {
            assert_eq!(text(&row[0]), c.name);
            assert_eq!(text(&row[1]), c.label);
            assert_eq!(num(&row[3]), comparison.baseline.overall);
            assert_eq!(num(&row[4]), c.after.overall);
            assert_eq!(num(&row[5]), c.gain);
            assert!((c.after.overall - comparison.baseline.overall - c.gain).abs() < 1e-5);
            assert_eq!(num(&row[9]), c.newly_covered.len() as f64);
            assert_eq!(num(&row[11]), c.redundant.len() as f64);
            match c.cost_per_point {
                Some(p) => assert_eq!(num(&row[18]), p),
                None => assert_eq!(row[18], Data::Empty),
            }
        }
    }
}

fn check_summary(book: &mut Book, owned: &Owned) {
    let a = &owned.assessment;
    let summary = summary(book);
    let value = |item: &str| {
        summary
            .iter()
            .find(|(i, _, _)| i == item)
            .unwrap_or_else(|| panic!("no {item}"))
            .1
            .clone()
    };
    assert_eq!(num(&value("Overall score")), a.overall);
    match a.overall_weighted {
        Some(w) => assert_eq!(num(&value("Threat-weighted score")), w),
        None => assert_eq!(text(&value("Threat-weighted score")), "n/a"),
    }
    assert_eq!(num(&value("Detect score")), a.functions.detect);
    assert_eq!(
        num(&value("Techniques and sub-techniques in scope")),
        a.counts.in_scope as f64
    );
    assert_eq!(
        num(&value("Techniques and sub-techniques")),
        a.counts.leaves as f64
    );
    let by_level = ["none", "low", "medium", "high"]
        .map(|l| num(&value(&format!("At level {l}"))))
        .iter()
        .sum::<f64>();
    assert_eq!(by_level, a.counts.in_scope as f64);
    assert_eq!(
        text(&value("Organisation")),
        a.organization.as_deref().unwrap_or("")
    );
    assert_eq!(
        text(&value("ATT&CK version")),
        a.attack.version.as_deref().unwrap_or("not stated")
    );
    // 2026-11-22 is day 46348 of Excel's 1900 date system.
    match value("Date") {
        Data::DateTime(d) => assert_eq!(d.as_f64(), 46348.0),
        other => panic!("the date is {other:?}"),
    }
    let files: Vec<(&str, &str)> = summary
        .iter()
        .filter(|(i, _, _)| i == "Inventory file")
        .map(|(_, v, d)| (text(v), text(d)))
        .collect();
    let expected: Vec<(&str, String)> = a
        .files
        .iter()
        .map(|f| (f.path.as_str(), format!("SHA-256 {}", f.sha256)))
        .collect();
    assert_eq!(files.len(), expected.len());
    for ((path, sha), (p, s)) in files.iter().zip(&expected) {
        assert_eq!((*path, *sha), (*p, s.as_str()));
    }
    let threats = summary.iter().filter(|(i, _, _)| i == "Threat").count();
    assert_eq!(
        threats,
        a.scope.threats.groups.len()
            + a.scope.threats.campaigns.len()
            + a.scope.threats.software.len()
    );
}

/// The summary's rows as (item, value, detail).
fn summary(book: &mut Book) -> Vec<(String, Data, Data)> {
    book.table("Summary", &["Item", "Value", "Detail"])
        .into_iter()
        .map(|r| {
            let cell = |i: usize| r.get(i).cloned().unwrap_or(Data::Empty);
            (text(&cell(0)).to_string(), cell(1), cell(2))
        })
        .collect()
}

#[test]
fn full_workbook() {
    check(common::full());
    let owned = common::full();
    let mut book = Book::open(render(&owned.input()));
    let summary = summary(&mut book);
    let detail = |item: &str| {
        summary
            .iter()
            .filter(|(i, _, _)| i == item)
            .map(|(_, v, d)| (v.to_string(), d.to_string()))
            .collect::<Vec<_>>()
    };
    // full.yaml: APT29 and FIN7, a campaign and a piece of software; T1078 excluded;
    // headline combine max, roll-up min, thresholds 0.3 / 0.7.
    assert_eq!(detail("Threat").len(), 4);
    assert_eq!(
        detail("Excluded technique")[0].0,
        "T1078 Valid Accounts".to_string()
    );
    assert_eq!(detail("Headline functions")[0].1, "combined with max");
    assert_eq!(detail("Parent roll-up")[0].0, "min");
    assert_eq!(detail("Threshold: medium")[0].0, "0.3");
    assert_eq!(detail("Level value: minimal")[0].0, "0.2");
}

#[test]
fn example_01_workbook() {
    let Some(owned) = common::example_01() else {
        return;
    };
    check(owned);
    assert_eq!(
        owned.comparison.as_ref().map(|c| c.candidates.len()),
        Some(2)
    );
}

#[test]
fn hostile_text_reads_back_literally() {
    let owned = common::hostile();
    check(owned);
    let mut book = Book::open(render(&owned.input()));
    let rows = book.table("Capabilities", &CAPABILITIES);
    let xss = rows.iter().find(|r| text(&r[0]) == "xss").expect("xss");
    assert_eq!(text(&xss[1]), "<script>alert(1)</script>");
    assert_eq!(text(&xss[2]), "\"><img src=x onerror=alert(1)>");
    assert_eq!(
        text(&xss[8]),
        "=HYPERLINK(\"http://example.invalid\",\"click\")"
    );
    assert_eq!(text(&xss[9]), "@SUM(1+1), -2+3, +cmd|' /C calc'!A0");
    let candidate = rows
        .iter()
        .find(|r| text(&r[0]) == "candidate-x")
        .expect("candidate-x");
    assert_eq!(text(&candidate[1]), "<svg onload=alert(3)>");
    let techniques = book.table("Techniques", &TECHNIQUES);
    let t1078 = techniques
        .iter()
        .find(|r| text(&r[0]) == "T1078")
        .expect("T1078");
    assert_eq!(text(&t1078[7]), "<script>alert('exclusion')</script>");
    // No cell anywhere is a formula (checked by `check` too, here on its own).
    book.assert_no_formulas();
}

/// (DOS time, DOS date) of every entry of a zip archive, from its central directory.
fn zip_times(bytes: &[u8]) -> Vec<(u16, u16)> {
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
    let u32_at =
        |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let end = bytes
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .expect("end of central directory");
    let entries = usize::from(u16_at(end + 10));
    let mut at = u32_at(end + 16) as usize;
    let mut times = Vec::new();
    for _ in 0..entries {
        assert_eq!(
            &bytes[at..at + 4],
            b"PK\x01\x02",
            "a central directory entry"
        );
        times.push((u16_at(at + 12), u16_at(at + 14)));
        let name = usize::from(u16_at(at + 28));
        let extra = usize::from(u16_at(at + 30));
        let comment = usize::from(u16_at(at + 32));
        at += 46 + name + extra + comment;
    }
    times
}

/// The text of the zip entry `name` (stored or deflated), found through the central directory.
fn zip_entry(bytes: &[u8], name: &str) -> String {
    use std::io::Read as _;
    let u16_at = |i: usize| usize::from(u16::from_le_bytes([bytes[i], bytes[i + 1]]));
    let u32_at = |i: usize| {
        u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]) as usize
    };
    let end = bytes
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .expect("end of central directory");
    let mut at = u32_at(end + 16);
    for _ in 0..u16_at(end + 10) {
        let (method, size) = (u16_at(at + 10), u32_at(at + 20));
        let (name_len, extra, comment) = (u16_at(at + 28), u16_at(at + 30), u16_at(at + 32));
        if &bytes[at + 46..at + 46 + name_len] == name.as_bytes() {
            let local = u32_at(at + 42);
            let data = local + 30 + u16_at(local + 26) + u16_at(local + 28);
            let raw = &bytes[data..data + size];
            let mut text = String::new();
            match method {
                0 => text.push_str(std::str::from_utf8(raw).expect("UTF-8")),
                8 => {
                    flate2::read::DeflateDecoder::new(raw)
                        .read_to_string(&mut text)
                        .expect("inflates");
                }
                other => panic!("zip method {other}"),
            }
            return text;
        }
        at += 46 + name_len + extra + comment;
    }
    panic!("no {name} in the workbook")
}

/// Issue 18 §6: every sheet prints landscape, one page wide with its header row
/// repeated and a dated, numbered footer; the Summary on one page. Read from the sheets' XML
/// (what Excel and LibreOffice obey), as no spreadsheet program runs in tests.
#[test]
fn every_sheet_prints_landscape_one_page_wide() {
    let owned = common::full();
    let bytes = render(&owned.input());
    let book = Book::open(bytes.clone());
    let names = book.names();
    assert_eq!(names[0], "Summary");
    let workbook = zip_entry(&bytes, "xl/workbook.xml");
    for (i, name) in names.iter().enumerate() {
        let xml = zip_entry(&bytes, &format!("xl/worksheets/sheet{}.xml", i + 1));
        let doc = roxmltree::Document::parse(&xml).expect("sheet XML");
        let find = |tag: &str| {
            doc.descendants()
                .find(|n| n.tag_name().name() == tag)
                .unwrap_or_else(|| panic!("{name}: no <{tag}>"))
        };
        assert_eq!(
            find("pageSetUpPr").attribute("fitToPage"),
            Some("1"),
            "{name}"
        );
        let setup = find("pageSetup");
        assert_eq!(setup.attribute("orientation"), Some("landscape"), "{name}");
        // fitToWidth defaults to 1; fitToHeight to 1 (one page), 0 is "as many as needed".
        assert_eq!(setup.attribute("fitToWidth"), None, "{name}");
        let height = if i == 0 { None } else { Some("0") };
        assert_eq!(setup.attribute("fitToHeight"), height, "{name}");
        let footer = find("oddFooter").text().expect("a footer");
        let date = owned.input().date.expect("the fixture is dated");
        assert_eq!(footer, format!("&L&A&CPage &P of &N&R{date}"), "{name}");
        // The header row repeats on every printed page.
        assert!(
            workbook.contains(&format!(
                r#"<definedName name="_xlnm.Print_Titles" localSheetId="{i}">{name}!$1:$1</definedName>"#
            )),
            "{name}: no repeated header row in {workbook}"
        );
    }
}

#[test]
fn workbooks_are_deterministic() {
    let mut inputs = vec![common::full(), common::hostile()];
    inputs.extend(common::example_01());
    for owned in inputs {
        let first = render(&owned.input());
        let second = render(&owned.input());
        assert!(first == second, "two renders differ");
        // Every zip entry carries the DOS epoch, 1980-01-01 00:00: (0, 1 | 1 << 5).
        let times = zip_times(&first);
        assert!(times.len() >= 10, "{} entries", times.len());
        assert!(times.iter().all(|t| *t == (0, 0x21)), "{times:?}");
    }
    // Without a date, the creation date is fixed too: a render a second later (the
    // resolution of the document's timestamps) is the same.
    let owned = common::full();
    let mut input = owned.input();
    input.date = None;
    let first = render(&input);
    std::thread::sleep(Duration::from_millis(1100));
    assert!(
        first == render(&input),
        "the undated workbook depends on the clock"
    );
    // The date changes the bytes (it is the creation date, and a Summary row).
    assert!(first != render(&owned.input()));
}

/// Every sheet as text: one line per row, cells separated by ` | `, at most `limit` rows per
/// sheet.
fn dump(bytes: Vec<u8>, limit: usize) -> String {
    let mut book = Book::open(bytes);
    let mut out = String::new();
    for name in book.names() {
        let range = book.sheet(&name);
        let (height, width) = range.get_size();
        let _ = writeln!(out, "## {name} ({height} rows x {width} columns)");
        for row in range.rows().take(limit) {
            let cells: Vec<String> = row
                .iter()
                .map(|c| match c {
                    Data::DateTime(d) => format!("date:{}", d.as_f64()),
                    other => other.to_string(),
                })
                .collect();
            out.push_str(cells.join(" | ").trim_end());
            out.push('\n');
        }
        if height > limit {
            let _ = writeln!(out, "... {} more rows", height - limit);
        }
        out.push('\n');
    }
    out
}

#[test]
fn full_snapshot() {
    let dump = dump(render(&common::full().input()), usize::MAX);
    insta::assert_snapshot!("xlsx_full", dump);
}

#[test]
fn example_01_snapshot() {
    let Some(owned) = common::example_01() else {
        return;
    };
    // The first 40 rows of each sheet: Techniques alone has ~700.
    let dump = dump(render(&owned.input()), 40);
    insta::assert_snapshot!("xlsx_example_01", dump);
}

#[test]
fn score_columns_use_the_palette_stops_and_the_heatmap_marks() {
    // The Techniques sheet's Score column has the palette's three stops at 0,
    // 50% and 100% (the heatmap's scale), after two rules that stop there: out of scope grey
    // and parent-level-only purple, the heatmap's marks.
    let owned = common::full();
    for palette in covmap_report::Palette::ALL {
        let options = RenderOptions {
            palette,
            ..RenderOptions::default()
        };
        let bytes = covmap_report::render(&owned.input(), &options, &[OutputKind::Xlsx])
            .expect("renders")
            .remove(0)
            .bytes;
        let xml = zip_entry(&bytes, "xl/worksheets/sheet2.xml");
        let [low, middle, high] = palette.stop_hexes();
        let argb = |hex: &str| format!("FF{}", hex.trim_start_matches('#').to_uppercase());
        let scale = format!(
            "<color rgb=\"{}\"/><color rgb=\"{}\"/><color rgb=\"{}\"/>",
            argb(&low),
            argb(&middle),
            argb(&high)
        );
        assert!(xml.contains(&scale), "{palette:?}: {xml}");
        let rules = &xml[xml.find("<conditionalFormatting").unwrap_or(0)..];
        assert!(
            rules.contains("<formula>$G2=\"no\"</formula>"),
            "{palette:?}: {rules}"
        );
        assert!(
            rules.contains("<formula>ISNUMBER(SEARCH(\"at parent level only\",$R2))</formula>"),
            "{palette:?}: {rules}"
        );
        assert!(xml.contains("stopIfTrue=\"1\""), "{palette:?}");
    }
}
