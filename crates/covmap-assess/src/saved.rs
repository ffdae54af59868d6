//! Reading an `assessment.json` that `covmap assess -o` wrote, for `covmap report` and
//! `covmap check --baseline`: the document is checked, not trusted, since files are edited and
//! damaged between runs.

use std::fmt::Write as _;

use serde_json::Value;

use crate::score::{Assessment, FORMAT_VERSION};

/// The oldest layout still read: format 1 repeated each capability's name in every
/// contribution, which format 2 leaves out; formats 1 and 2 hold integer weights (threats
/// using a technique by any route), which read as floats, and no `direct_threats` or
/// `prevalence` (read as 0, so their gaps tie on those and fall back to score and ID).
const OLDEST_FORMAT: u32 = 1;

/// Why a saved assessment cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SavedError {
    /// Not JSON, or not the shape of an assessment.
    #[error("{line}:{column}: not an assessment.json written by covmap assess: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's message.
        message: String,
    },
    /// A number outside the range covmap writes.
    #[error(
        "{at} is {value}, outside the range covmap writes ([0, 1] for scores, 0 or more for counts)"
    )]
    OutOfRange {
        /// The JSON path of the number (`tactics[1].score`).
        at: String,
        /// The number.
        value: f64,
    },
    /// Another layout version.
    #[error(
        "assessment format {found} is not one this covmap reads (formats {OLDEST_FORMAT} to {FORMAT_VERSION})"
    )]
    Format {
        /// The version in the file.
        found: u32,
    },
}

/// Reads a saved assessment (a leading UTF-8 byte-order mark is skipped). serde_json refuses
/// NaN, infinities and numbers beyond f64; a score outside [0, 1] or a negative count would
/// still draw a wrong report without a word, so those are refused too.
pub fn read_assessment_json(bytes: &[u8]) -> Result<Assessment, SavedError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut assessment: Assessment =
        serde_json::from_slice(bytes).map_err(|err| SavedError::Json {
            line: err.line().max(1),
            column: err.column().max(1),
            message: covmap_core::error::json_message(&err),
        })?;
    if let Ok(value) = serde_json::from_slice::<Value>(bytes)
        && let Some((at, value)) = out_of_range(&value, &mut String::new())
    {
        return Err(SavedError::OutOfRange { at, value });
    }
    if !(OLDEST_FORMAT..=FORMAT_VERSION).contains(&assessment.format) {
        return Err(SavedError::Format {
            found: assessment.format,
        });
    }
    if assessment.format < 3 {
        // Those weights counted a use through software like a direct one: say so, rather than
        // show the default factor they were never computed with.
        assessment.scoring.threat_software_factor = 1.0;
    }
    assessment.restore_names();
    Ok(assessment)
}

/// The JSON path and value of the first number outside the range covmap writes: negative
/// anywhere (counts, costs, weights), or above 1 for a score (`score`, `overall`, a function's
/// or platform's score, a contribution's `value`, a scoring parameter). `gap_priority` is
/// scaled by the threat weight and may pass 1.
fn out_of_range(value: &Value, at: &mut String) -> Option<(String, f64)> {
    const SCORES: &[&str] = &[
        "score",
        "overall",
        "overall_weighted",
        "value",
        "detect",
        "protect",
        "respond",
        "visibility",
        "visibility_typed",
        "visibility_derived",
        "filtered_telemetry",
    ];
    const SCORE_MAPS: &[&str] = &["platforms", "levels", "confidence", "thresholds"];
    match value {
        Value::Number(n) => {
            let x = n.as_f64()?;
            let mut keys = at.rsplit('.').map(|k| k.split('[').next().unwrap_or(k));
            let key = keys.next().unwrap_or_default();
            let parent = keys.next().unwrap_or_default();
            let score = SCORES.contains(&key) || SCORE_MAPS.contains(&parent);
            (x < 0.0 || (score && x > 1.0)).then(|| (at.clone(), x))
        }
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let len = at.len();
            let _ = write!(at, "[{i}]");
            let found = out_of_range(item, at);
            at.truncate(len);
            found
        }),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let len = at.len();
            if !at.is_empty() {
                at.push('.');
            }
            at.push_str(key);
            let found = out_of_range(item, at);
            at.truncate(len);
            found
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_the_number_and_gap_priority_may_pass_one() {
        let value: Value = serde_json::json!({
            "techniques": [{"score": 0.5, "gap_priority": 3.0, "weight": 3},
                           {"functions": {"detect": {"platforms": {"Windows": 1.5}}}}],
        });
        assert_eq!(
            out_of_range(&value, &mut String::new()),
            Some((
                "techniques[1].functions.detect.platforms.Windows".to_string(),
                1.5
            ))
        );
        let fine: Value = serde_json::json!({"cost": {"annual": 64000.0}, "gap_priority": 2.5});
        assert_eq!(out_of_range(&fine, &mut String::new()), None);
        let negative: Value = serde_json::json!({"counts": {"leaves": -1}});
        assert_eq!(
            out_of_range(&negative, &mut String::new()),
            Some(("counts.leaves".to_string(), -1.0))
        );
    }
}
