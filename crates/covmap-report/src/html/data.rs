//! The data the page's script needs (technique details for the panels, gap remedies, filter
//! lists), as JSON that is safe inside a `<script>` element.

use covmap_assess::gaps::{Gap, ThreatRef};
use covmap_assess::score::{NamedRef, TechniqueResult};
use serde::Serialize;

use crate::{ReportError, ReportInput};

#[derive(Serialize)]
struct PageData<'a> {
    /// Whether threats weight the scores (the panels then show threat weights).
    threats: bool,
    /// Matrix tactics in order: shortname and display name.
    tactics: Vec<TacticRef<'a>>,
    /// Every active technique, sorted by ID, as `assessment.json` holds it.
    techniques: &'a [TechniqueResult],
    /// Each capability's name, once: contributions name their capability by id.
    capabilities: Vec<CapabilityRef<'a>>,
    /// Every gap, in rank order, with what would close it.
    gaps: Vec<GapRemedy<'a>>,
}

/// A capability's id and full name.
#[derive(Serialize)]
struct CapabilityRef<'a> {
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct TacticRef<'a> {
    shortname: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct GapRemedy<'a> {
    id: &'a str,
    rank: usize,
    notes: &'a [String],
    mitigations: &'a [NamedRef],
    detection_strategies: &'a [NamedRef],
    threats: &'a [ThreatRef],
}

impl<'a> GapRemedy<'a> {
    fn of(gap: &'a Gap) -> Self {
        GapRemedy {
            id: &gap.id,
            rank: gap.rank,
            notes: &gap.notes,
            mitigations: &gap.mitigations,
            detection_strategies: &gap.detection_strategies,
            threats: &gap.threats,
        }
    }
}

/// The page data as JSON for `<script type="application/json">`.
pub(super) fn script_json(input: &ReportInput<'_>) -> Result<String, ReportError> {
    let assessment = input.assessment;
    let data = PageData {
        threats: assessment.has_threats(),
        tactics: assessment
            .tactics
            .iter()
            .map(|t| TacticRef {
                shortname: &t.shortname,
                name: &t.name,
            })
            .collect(),
        techniques: &assessment.techniques,
        capabilities: assessment
            .capabilities
            .iter()
            .map(|c| CapabilityRef {
                id: &c.id,
                name: &c.name,
            })
            .collect(),
        gaps: input.gaps.iter().map(GapRemedy::of).collect(),
    };
    Ok(script_safe(&serde_json::to_string(&data)?))
}

/// Makes serialised JSON safe inside a `<script>` element: `<`, `>` and `&` can only occur in
/// JSON strings, where their `\u` escapes mean the same, so no `</script>` or `<!--` can close
/// or confuse the element; U+2028 and U+2029 are escaped for old JavaScript parsers.
pub(super) fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::script_safe;

    #[test]
    fn script_safe_json_means_the_same() {
        let text = "</script><!-- & \u{2028}\u{2029} \"q\"";
        let json = serde_json::to_string(&text).unwrap_or_default();
        let safe = script_safe(&json);
        assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'));
        assert!(!safe.contains('\u{2028}') && !safe.contains('\u{2029}'));
        let back: String = serde_json::from_str(&safe).unwrap_or_default();
        assert_eq!(back, text);
    }
}
