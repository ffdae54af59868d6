//! Positions in source texts, and the shape of technique IDs: what every format shares.

/// `Tnnnn` or `Tnnnn.nnn` (any case): the shape of an ATT&CK technique ID. Whether the loaded
/// bundle knows it is for [`crate::resolve`] to say.
pub fn is_technique_id(id: &str) -> bool {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let (base, sub) = id.split_once('.').unwrap_or((id, ""));
    base.strip_prefix(['t', 'T']).is_some_and(|d| digits(d, 4))
        && (!id.contains('.') || digits(sub, 3))
}

/// Line and column (1-based, in characters) of the first occurrence of `needle` in `doc` as a
/// whole word (not inside a longer ID or key: `T1059` is not found in `T1059.001`), `doc`'s
/// first line being line `first` of the file.
pub(crate) fn locate(doc: &str, first: usize, needle: &str) -> Option<(usize, usize)> {
    if needle.is_empty() {
        return None;
    }
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.');
    doc.lines().enumerate().find_map(|(n, line)| {
        let at = line.match_indices(needle).map(|(at, _)| at).find(|&at| {
            let before = line.get(..at).and_then(|s| s.chars().next_back());
            let after = line.get(at + needle.len()..).and_then(|s| s.chars().next());
            !word(before) && !word(after)
        })?;
        let column = line.get(..at).map_or(0, |s| s.chars().count()) + 1;
        Some((first + n, column))
    })
}

/// Line and column of `needle` at or after the first line holding `key`: a value is looked
/// for under its key, not in a description or search that happens to quote it.
pub(crate) fn locate_after(source: &str, key: &str, needle: &str) -> Option<(usize, usize)> {
    let (line, _) = locate(source, 1, key)?;
    let offset: usize = source
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    locate(source.get(offset..)?, line, needle)
}

/// Line starts of a text, for turning many byte offsets into line and column (a large JSON
/// file has thousands of rows: each lookup is a binary search, not a scan from the start).
pub(crate) struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    /// Indexes `text`.
    pub(crate) fn new(text: &'t str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { text, starts }
    }

    /// 1-based line and column (in characters) of byte `offset`.
    pub(crate) fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        (line, column)
    }

    /// Line and column of `part`, a slice of the indexed text (a `RawValue` of it, say);
    /// `None` for a string that does not point into the text.
    pub(crate) fn position_of(&self, part: &str) -> Option<(usize, usize)> {
        // Address arithmetic, no unsafe: where the slice starts relative to the text.
        let offset = (part.as_ptr() as usize).checked_sub(self.text.as_ptr() as usize)?;
        (offset.checked_add(part.len())? <= self.text.len()).then(|| self.position(offset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technique_ids() {
        assert!(is_technique_id("T1059"));
        assert!(is_technique_id("t1059.001"));
        assert!(!is_technique_id("T1059."));
        assert!(!is_technique_id("T1059.1"));
        assert!(!is_technique_id("TA0002"));
        assert!(!is_technique_id("T10590"));
        assert!(!is_technique_id(""));
    }

    #[test]
    fn line_index() {
        let text = "ab\nçd\n\nx";
        let index = LineIndex::new(text);
        assert_eq!(index.position(0), (1, 1));
        assert_eq!(index.position(2), (1, 3));
        assert_eq!(index.position(3), (2, 1));
        // `ç` is two bytes, one character.
        assert_eq!(index.position(5), (2, 2));
        assert_eq!(index.position(7), (3, 1));
        assert_eq!(index.position(8), (4, 1));
        assert_eq!(index.position(99), (4, 2));
        let part = text.get(8..).expect("slice");
        assert_eq!(index.position_of(part), Some((4, 1)));
        assert_eq!(index.position_of("elsewhere"), None);
    }

    #[test]
    fn locating() {
        let source = "description: T1059\nmitre_attack_id:\n  - T1059\n";
        assert_eq!(locate(source, 1, "T1059"), Some((1, 14)));
        assert_eq!(locate("- T1059.001\n- T1059\n", 1, "T1059"), Some((2, 3)));
        assert_eq!(
            locate("x_status: a\nstatus: b\n", 1, "status"),
            Some((2, 1))
        );
        assert_eq!(
            locate_after(source, "mitre_attack_id", "T1059"),
            Some((3, 5))
        );
        assert_eq!(locate_after(source, "nope", "T1059"), None);
    }
}
