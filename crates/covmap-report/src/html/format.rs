//! Number and name formats of the HTML report.

use covmap_assess::inventory::{Confidence, Cost, Function, Status};
use covmap_assess::params::{Combine, CoverageLevel, Rollup};
use covmap_assess::score::ActorKind;

/// A difference of two scores in percentage points, signed: `+3.2 pp`.
pub(super) fn points(delta: f64) -> String {
    format!("{:+.1} pp", delta * 100.0)
}

/// A count with thousands separators: `12,345`.
pub(super) fn count(n: usize) -> String {
    crate::text::count(n)
}

/// An amount of money rounded to a unit, with separators and the currency code: `64,000 EUR`.
pub(super) fn money(amount: f64, currency: &str) -> String {
    format!("{} {}", crate::text::money(amount), currency.to_uppercase())
}

/// A yearly cost.
pub(super) fn cost(cost: &Cost) -> String {
    money(cost.annual, &cost.currency)
}

/// A parameter value as the inventory's `scoring:` section would spell it (`0.25`, `1`).
pub(super) fn parameter(value: f64) -> String {
    let text = format!("{value:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_string()
}

/// The name of a display level.
pub(super) fn level(level: CoverageLevel) -> &'static str {
    match level {
        CoverageLevel::None => "none",
        CoverageLevel::Low => "low",
        CoverageLevel::Medium => "medium",
        CoverageLevel::High => "high",
    }
}

/// The name of a status.
pub(super) fn status(status: Status) -> &'static str {
    match status {
        Status::Deployed => "deployed",
        Status::Planned => "planned",
        Status::Candidate => "candidate",
        Status::Retired => "retired",
    }
}

/// The name of a confidence.
pub(super) fn confidence(confidence: Confidence) -> &'static str {
    match confidence {
        Confidence::Claimed => "claimed",
        Confidence::Configured => "configured",
        Confidence::Tested => "tested",
    }
}

/// A combine rule, with what it means.
pub(super) fn combine(combine: Combine) -> &'static str {
    match combine {
        Combine::NoisyOr => {
            "noisy-or: 1 − Π(1 − v), each layer catches part of what the others miss"
        }
        Combine::Max => "max: the best single value",
    }
}

/// The short name and formula of a combine rule, for prose.
pub(super) fn combine_rule(combine: Combine) -> &'static str {
    match combine {
        Combine::NoisyOr => "noisy-or (1 − Π(1 − v))",
        Combine::Max => "taking the maximum",
    }
}

/// A roll-up rule, with what it means.
pub(super) fn rollup(rollup: Rollup) -> &'static str {
    match rollup {
        Rollup::Mean => "mean of the sub-techniques in scope",
        Rollup::Min => "min: the weakest sub-technique in scope",
        Rollup::Max => "max: the strongest sub-technique in scope",
    }
}

/// The display name of a function.
pub(super) fn function(function: Function) -> &'static str {
    match function {
        Function::Detect => "Detect",
        Function::Protect => "Protect",
        Function::Respond => "Respond",
        Function::Visibility => "Visibility",
    }
}

/// The display name of an actor kind.
pub(super) fn actor_kind(kind: ActorKind) -> &'static str {
    match kind {
        ActorKind::Group => "Group",
        ActorKind::Campaign => "Campaign",
        ActorKind::Software => "Software",
    }
}

/// The page on attack.mitre.org of an ATT&CK object, when `id` has the shape of an ATT&CK ID
/// (letters then digits, a sub-technique suffix for techniques). Other strings get no link, so
/// nothing from an input can choose where a link points.
pub(super) fn attack_url(id: &str) -> Option<String> {
    let (base, sub) = match id.split_once('.') {
        Some((base, sub)) => (base, Some(sub)),
        None => (id, None),
    };
    let letters = base.chars().take_while(char::is_ascii_uppercase).count();
    let (prefix, digits) = base.split_at(letters);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some(sub) = sub
        && (prefix != "T" || sub.is_empty() || !sub.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let section = match prefix {
        "T" => "techniques",
        "TA" => "tactics",
        "M" => "mitigations",
        "G" => "groups",
        "S" => "software",
        "C" => "campaigns",
        "DET" => "detectionstrategies",
        "DS" => "datasources",
        _ => return None,
    };
    let path = match sub {
        Some(sub) => format!("{base}/{sub}"),
        None => base.to_string(),
    };
    Some(format!("https://attack.mitre.org/{section}/{path}/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(points(0.032), "+3.2 pp");
        assert_eq!(points(-0.01), "-1.0 pp");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(999), "999");
        assert_eq!(money(64000.0, "eur"), "64,000 EUR");
        assert_eq!(money(-1234.6, "USD"), "-1,235 USD");
        assert_eq!(parameter(0.25), "0.25");
        assert_eq!(parameter(1.0), "1");
        assert_eq!(parameter(0.0), "0");
    }

    #[test]
    fn attack_urls() {
        assert_eq!(
            attack_url("T1059.001").as_deref(),
            Some("https://attack.mitre.org/techniques/T1059/001/")
        );
        assert_eq!(
            attack_url("M1038").as_deref(),
            Some("https://attack.mitre.org/mitigations/M1038/")
        );
        assert_eq!(
            attack_url("DET0455").as_deref(),
            Some("https://attack.mitre.org/detectionstrategies/DET0455/")
        );
        assert_eq!(attack_url("T1059.x"), None);
        assert_eq!(attack_url("M1038.001"), None);
        assert_eq!(attack_url("javascript:alert(1)"), None);
        assert_eq!(attack_url("X123"), None);
        assert_eq!(attack_url(""), None);
    }
}
