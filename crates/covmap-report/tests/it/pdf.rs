//! Just enough of a PDF reader to check what Chromium printed: the pages in order, and on each
//! the text runs with their printed size in points. Written for Chromium's (Skia's) output:
//! objects in the open (no object streams), Flate-compressed content, Type0 fonts with a
//! ToUnicode map, text shown glyph by glyph with `Tj`/`TJ` between `BT` and `ET`.
//!
//! A run is the text of one `BT`…`ET` block; its size is the font size times the vertical
//! scale of the text matrix times that of the current transformation matrix: the height a
//! reader sees on paper.

use std::collections::BTreeMap;
use std::io::Read as _;

/// One text run on a page.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub(crate) text: String,
    /// Printed size in points.
    pub(crate) size: f64,
}

/// One page.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    /// Width and height in points (the media box).
    pub(crate) size: (f64, f64),
    pub(crate) runs: Vec<Run>,
}

impl Page {
    /// Every run's text, joined by newlines.
    pub(crate) fn text(&self) -> String {
        self.runs
            .iter()
            .map(|r| r.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The objects of a PDF: each object's dictionary text and its (decompressed) stream.
struct Objects {
    dicts: BTreeMap<u32, String>,
    streams: BTreeMap<u32, Vec<u8>>,
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

impl Objects {
    fn parse(pdf: &[u8]) -> Objects {
        let mut dicts = BTreeMap::new();
        let mut streams = BTreeMap::new();
        let mut at = 0;
        while let Some(pos) = find(pdf, b" 0 obj", at) {
            // The object number: the digits before, at the start of a line.
            let start = pdf[..pos]
                .iter()
                .rposition(|b| !b.is_ascii_digit())
                .map_or(0, |p| p + 1);
            let number: u32 = std::str::from_utf8(&pdf[start..pos])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(u32::MAX);
            let body = pos + b" 0 obj".len();
            let end = find(pdf, b"endobj", body).expect("endobj");
            let stream_at = find(pdf, b"stream", body).filter(|&s| s < end);
            let dict_end = stream_at.unwrap_or(end);
            let dict = String::from_utf8_lossy(&pdf[body..dict_end]).into_owned();
            let mut next = end + b"endobj".len();
            if let Some(s) = stream_at {
                #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)] // a length
                let length = number_after(&dict, "/Length").expect("stream length") as usize;
                let mut data_start = s + b"stream".len();
                if pdf[data_start] == b'\r' {
                    data_start += 1;
                }
                if pdf[data_start] == b'\n' {
                    data_start += 1;
                }
                let raw = &pdf[data_start..data_start + length];
                let data = if dict.contains("/FlateDecode") {
                    let mut out = Vec::new();
                    flate2::read::ZlibDecoder::new(raw)
                        .read_to_end(&mut out)
                        .expect("inflate");
                    out
                } else {
                    raw.to_vec()
                };
                streams.insert(number, data);
                next = find(pdf, b"endobj", data_start + length).expect("endobj") + 6;
            }
            dicts.insert(number, dict);
            at = next;
        }
        Objects { dicts, streams }
    }

    fn dict(&self, number: u32) -> &str {
        self.dicts.get(&number).map_or("", String::as_str)
    }
}

/// The number after `key` in a dictionary's text.
fn number_after(dict: &str, key: &str) -> Option<f64> {
    let at = dict.find(&format!("{key} "))? + key.len() + 1;
    dict[at..]
        .split(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .next()?
        .parse()
        .ok()
}

/// The object numbers referred to (`N 0 R`) after `key`: one, or an array of them.
fn refs_after(dict: &str, key: &str) -> Vec<u32> {
    let Some(at) = dict.find(&format!("{key} ")) else {
        return Vec::new();
    };
    let rest = dict[at + key.len()..].trim_start();
    let text = if let Some(array) = rest.strip_prefix('[') {
        &array[..array.find(']').unwrap_or(array.len())]
    } else {
        // One reference: three tokens.
        let end = rest.find(" R").map_or(rest.len(), |e| e + 2);
        &rest[..end]
    };
    let tokens: Vec<&str> = text.split_whitespace().collect();
    tokens
        .windows(3)
        .filter(|w| w[2] == "R")
        .filter_map(|w| w[0].parse().ok())
        .collect()
}

/// The `<<…>>` dictionary after `key` (the text inside, nested dictionaries included), or
/// the dictionary of the object it refers to.
fn dict_after<'a>(objects: &'a Objects, dict: &'a str, key: &str) -> &'a str {
    let Some(at) = dict.find(key) else {
        return "";
    };
    let rest = dict[at + key.len()..].trim_start();
    if rest.starts_with("<<") {
        let mut depth = 0;
        let bytes = rest.as_bytes();
        let mut i = 0;
        while i + 1 < bytes.len() {
            if &bytes[i..i + 2] == b"<<" {
                depth += 1;
                i += 2;
            } else if &bytes[i..i + 2] == b">>" {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return &rest[2..i - 2];
                }
            } else {
                i += 1;
            }
        }
        rest
    } else {
        refs_after(dict, key)
            .first()
            .map_or("", |n| objects.dict(*n))
    }
}

/// A font's map from character codes (two bytes) to text, from its ToUnicode CMap.
fn to_unicode(cmap: &[u8]) -> BTreeMap<u32, String> {
    let text = String::from_utf8_lossy(cmap);
    let hex = |s: &str| u32::from_str_radix(s.trim_matches(|c| c == '<' || c == '>'), 16).ok();
    let utf16 = |s: &str| -> String {
        let s = s.trim_matches(|c| c == '<' || c == '>');
        let units: Vec<u16> = (0..s.len() / 4)
            .filter_map(|i| u16::from_str_radix(&s[4 * i..4 * i + 4], 16).ok())
            .collect();
        String::from_utf16_lossy(&units)
    };
    let mut map = BTreeMap::new();
    for block in text.split("beginbfchar").skip(1) {
        let block = &block[..block.find("endbfchar").unwrap_or(block.len())];
        let tokens: Vec<&str> = block.split_whitespace().collect();
        for pair in tokens.chunks(2) {
            if let [code, to] = pair
                && let Some(code) = hex(code)
            {
                map.insert(code, utf16(to));
            }
        }
    }
    for block in text.split("beginbfrange").skip(1) {
        let block = &block[..block.find("endbfrange").unwrap_or(block.len())];
        let tokens: Vec<&str> = block.split_whitespace().collect();
        for triple in tokens.chunks(3) {
            if let [from, to, first] = triple
                && let (Some(from), Some(to)) = (hex(from), hex(to))
            {
                let base: Vec<char> = utf16(first).chars().collect();
                let Some(&last) = base.last() else { continue };
                for (i, code) in (from..=to).enumerate() {
                    let mut chars = base.clone();
                    *chars.last_mut().expect("a char") =
                        char::from_u32(last as u32 + i as u32).unwrap_or('\u{fffd}');
                    map.insert(code, chars.into_iter().collect());
                }
            }
        }
    }
    map
}

/// A 2D affine matrix `[a b c d e f]`.
type Matrix = [f64; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `m` then `n`.
fn multiply(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

/// How far a matrix stretches a vertical unit.
fn vertical_scale(m: &Matrix) -> f64 {
    (m[2] * m[2] + m[3] * m[3]).sqrt()
}

/// A content-stream token.
#[derive(Debug, Clone)]
enum Token {
    Number(f64),
    Name(String),
    /// A string's bytes (hex or literal).
    Bytes(Vec<u8>),
    ArrayStart,
    ArrayEnd,
    Operator(String),
}

#[allow(clippy::too_many_lines)] // one match arm per kind of token
fn tokens(content: &[u8]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    let n = content.len();
    while i < n {
        let c = content[i];
        match c {
            b' ' | b'\n' | b'\r' | b'\t' | b'\x0c' | b'\0' => i += 1,
            b'%' => {
                while i < n && content[i] != b'\n' {
                    i += 1;
                }
            }
            b'[' => {
                out.push(Token::ArrayStart);
                i += 1;
            }
            b']' => {
                out.push(Token::ArrayEnd);
                i += 1;
            }
            b'<' if content.get(i + 1) == Some(&b'<') => {
                // An inline dictionary (marked content): skipped whole.
                let mut depth = 0;
                while i + 1 < n {
                    if &content[i..i + 2] == b"<<" {
                        depth += 1;
                        i += 2;
                    } else if &content[i..i + 2] == b">>" {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'<' => {
                let end = content[i..].iter().position(|&b| b == b'>').expect(">") + i;
                let hex: Vec<u8> = content[i + 1..end]
                    .iter()
                    .copied()
                    .filter(u8::is_ascii_hexdigit)
                    .collect();
                let bytes = hex
                    .chunks(2)
                    .map(|p| {
                        let s = std::str::from_utf8(p).expect("hex");
                        u8::from_str_radix(&format!("{s:0<2}"), 16).expect("hex")
                    })
                    .collect();
                out.push(Token::Bytes(bytes));
                i = end + 1;
            }
            b'(' => {
                let mut depth = 0;
                let mut bytes = Vec::new();
                i += 1;
                while i < n {
                    let b = content[i];
                    if b == b'\\' {
                        if let Some(&next) = content.get(i + 1) {
                            bytes.push(match next {
                                b'n' => b'\n',
                                b'r' => b'\r',
                                b't' => b'\t',
                                other => other,
                            });
                        }
                        i += 2;
                        continue;
                    }
                    if b == b'(' {
                        depth += 1;
                    } else if b == b')' {
                        if depth == 0 {
                            i += 1;
                            break;
                        }
                        depth -= 1;
                    }
                    bytes.push(b);
                    i += 1;
                }
                out.push(Token::Bytes(bytes));
            }
            b'/' => {
                let start = i + 1;
                i += 1;
                while i < n && !b" \n\r\t/[]<>()%".contains(&content[i]) {
                    i += 1;
                }
                out.push(Token::Name(
                    String::from_utf8_lossy(&content[start..i]).into_owned(),
                ));
            }
            _ => {
                let start = i;
                while i < n && !b" \n\r\t/[]<>()%".contains(&content[i]) {
                    i += 1;
                }
                if i == start {
                    i += 1;
                    continue;
                }
                let word = String::from_utf8_lossy(&content[start..i]).into_owned();
                match word.parse::<f64>() {
                    Ok(v) => out.push(Token::Number(v)),
                    Err(_) => out.push(Token::Operator(word)),
                }
            }
        }
    }
    out
}

/// The text runs of one content stream.
fn runs(content: &[u8], fonts: &BTreeMap<String, BTreeMap<u32, String>>) -> Vec<Run> {
    let mut out = Vec::new();
    let mut ctm = IDENTITY;
    let mut stack: Vec<Matrix> = Vec::new();
    let mut line = IDENTITY;
    let mut font: Option<&BTreeMap<u32, String>> = None;
    let mut size = 0.0;
    let mut run: Option<Run> = None;
    let mut operands: Vec<Token> = Vec::new();
    let numbers = |ops: &[Token]| -> Vec<f64> {
        ops.iter()
            .filter_map(|t| match t {
                Token::Number(v) => Some(*v),
                _ => None,
            })
            .collect()
    };
    for token in tokens(content) {
        let Token::Operator(op) = &token else {
            operands.push(token);
            continue;
        };
        match op.as_str() {
            "q" => stack.push(ctm),
            "Q" => ctm = stack.pop().unwrap_or(IDENTITY),
            "cm" => {
                if let [a, b, c, d, e, f] = numbers(&operands)[..] {
                    ctm = multiply(&[a, b, c, d, e, f], &ctm);
                }
            }
            "BT" => {
                line = IDENTITY;
                run = Some(Run {
                    text: String::new(),
                    size: f64::INFINITY,
                });
            }
            "ET" => {
                if let Some(r) = run.take()
                    && !r.text.is_empty()
                {
                    out.push(r);
                }
            }
            "Tf" => {
                if let (Some(Token::Name(name)), Some(Token::Number(s))) =
                    (operands.first(), operands.get(1))
                {
                    font = fonts.get(name);
                    size = *s;
                }
            }
            "Tm" => {
                if let [a, b, c, d, e, f] = numbers(&operands)[..] {
                    line = [a, b, c, d, e, f];
                }
            }
            "Td" | "TD" => {
                if let [x, y] = numbers(&operands)[..] {
                    line = multiply(&[1.0, 0.0, 0.0, 1.0, x, y], &line);
                }
            }
            "Tj" | "TJ" | "'" | "\"" => {
                let printed = size * vertical_scale(&multiply(&line, &ctm));
                if let Some(r) = run.as_mut() {
                    for t in &operands {
                        if let Token::Bytes(bytes) = t {
                            for pair in bytes.chunks(2) {
                                let code = pair.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b));
                                let text = font
                                    .and_then(|f| f.get(&code))
                                    .map_or("\u{fffd}", String::as_str);
                                r.text.push_str(text);
                            }
                        }
                    }
                    r.size = r.size.min(printed);
                }
            }
            _ => {}
        }
        operands.clear();
    }
    out
}

/// The pages of `pdf`, in order.
pub(crate) fn pages(pdf: &[u8]) -> Vec<Page> {
    let objects = Objects::parse(pdf);
    let catalog = objects
        .dicts
        .values()
        .find(|d| d.contains("/Type /Catalog"))
        .expect("a catalog");
    let root = refs_after(catalog, "/Pages")[0];
    let mut order = Vec::new();
    let mut todo = vec![root];
    while let Some(node) = todo.pop() {
        let dict = objects.dict(node);
        if dict.contains("/Type /Pages") {
            let kids = refs_after(dict, "/Kids");
            todo.extend(kids.into_iter().rev());
        } else {
            order.push(node);
        }
    }
    order
        .into_iter()
        .map(|number| {
            let dict = objects.dict(number);
            let media = dict
                .find("/MediaBox [")
                .map(|at| {
                    let rest = &dict[at + 11..];
                    let values: Vec<f64> = rest[..rest.find(']').expect("]")]
                        .split_whitespace()
                        .filter_map(|v| v.parse().ok())
                        .collect();
                    (values[2] - values[0], values[3] - values[1])
                })
                .expect("a media box");
            let resources = dict_after(&objects, dict, "/Resources");
            let font_dict = dict_after(&objects, resources, "/Font");
            let mut fonts = BTreeMap::new();
            let names: Vec<&str> = font_dict.split_whitespace().collect();
            for w in names.windows(4) {
                if let (Some(name), Ok(n), "R") =
                    (w[0].strip_prefix('/'), w[1].parse::<u32>(), w[3])
                {
                    let font = objects.dict(n);
                    let map = refs_after(font, "/ToUnicode")
                        .first()
                        .and_then(|m| objects.streams.get(m))
                        .map(|cmap| to_unicode(cmap))
                        .unwrap_or_default();
                    fonts.insert(name.to_string(), map);
                }
            }
            let mut page_runs = Vec::new();
            for content in refs_after(dict, "/Contents") {
                if let Some(stream) = objects.streams.get(&content) {
                    page_runs.extend(runs(stream, &fonts));
                }
            }
            Page {
                size: media,
                runs: page_runs,
            }
        })
        .collect()
}

#[test]
fn reads_a_small_pdf() {
    // A hand-written page: "Hi" at 12 pt scaled by 0.5 (6 pt), in a font whose ToUnicode
    // maps 0x0001-0x0002 to "H", "i".
    let cmap =
        "beginbfchar\n<0001> <0048>\nendbfchar\n1 beginbfrange\n<0002> <0002> <0069>\nendbfrange";
    let content = "q 0.5 0 0 0.5 0 0 cm BT /F1 12 Tf 1 0 0 -1 10 20 Tm <00010002> Tj ET Q";
    let pdf = format!(
        "%PDF-1.4\n1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\n\
         2 0 obj\n<</Type /Pages /Kids [3 0 R] /Count 1>>\nendobj\n\
         3 0 obj\n<</Type /Page /MediaBox [0 0 842 595] /Resources <</Font <</F1 4 0 R>>>> /Contents 5 0 R>>\nendobj\n\
         4 0 obj\n<</Type /Font /ToUnicode 6 0 R>>\nendobj\n\
         5 0 obj\n<</Length {}>> stream\n{content}\nendstream\nendobj\n\
         6 0 obj\n<</Length {}>> stream\n{cmap}\nendstream\nendobj\n",
        content.len(),
        cmap.len()
    );
    let pages = pages(pdf.as_bytes());
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].size, (842.0, 595.0));
    assert_eq!(pages[0].runs.len(), 1);
    assert_eq!(pages[0].runs[0].text, "Hi");
    assert!((pages[0].runs[0].size - 6.0).abs() < 1e-9);
}
