//! Adversary commonalities on the real enterprise 18.1 bundle.
//!
//! Expected figures computed independently with
//! `python3 crates/covmap-assess/tests/it/adversary_check.py ../shared/data/attack/enterprise-attack-18.1.json compare G0016 G0046 G0032`
//! (and `... match T1566.001 T1059.001 T1003.001 T1053.005`), which walks the STIX
//! relationships itself (group / software / attributed campaigns / their software `uses`):
//!
//! ```text
//! G0016 249
//! G0046 181
//! G0032 167
//! shared 86
//! unique G0016 81
//! unique G0046 23
//! unique G0032 41
//! jaccard G0016 G0046 143 0.498258
//! jaccard G0016 G0032 111 0.363934
//! jaccard G0046 G0032 101 0.408907
//! matching groups 146
//! G1039 4 41 0.097561
//! G1050 4 44 0.090909
//! G1036 4 62 0.064516
//! G0040 4 87 0.045977
//! G0090 4 88 0.045455
//! ```

use covmap_assess::adversary::{compare_groups, match_groups};
use covmap_core::{Attack, Kind, ObjectRef};

use crate::builder::{close, enterprise_18, mini};

fn group(a: &Attack, id: &str) -> ObjectRef {
    let key = a.lookup(id).expect(id);
    assert_eq!(key.kind, Kind::Group);
    key
}

#[test]
fn compare_three_groups_on_enterprise_18_1() {
    let Some(a) = enterprise_18() else { return };
    let keys = [group(a, "G0016"), group(a, "G0046"), group(a, "G0032")];
    let result = compare_groups(a, &keys);
    let sizes: Vec<(&str, usize)> = result
        .groups
        .iter()
        .map(|g| (g.id.as_str(), g.techniques))
        .collect();
    assert_eq!(sizes, [("G0016", 249), ("G0046", 181), ("G0032", 167)]);
    assert_eq!(result.groups[0].name, "APT29");
    assert_eq!(result.shared.len(), 86);
    let unique: Vec<(&str, usize)> = result
        .unique
        .iter()
        .map(|(k, v)| (k.as_str(), v.len()))
        .collect();
    assert_eq!(unique, [("G0016", 81), ("G0032", 41), ("G0046", 23)]);
    let pairs: Vec<(&str, &str, usize)> = result
        .jaccard
        .iter()
        .map(|j| (j.a.as_str(), j.b.as_str(), j.shared))
        .collect();
    assert_eq!(
        pairs,
        [
            ("G0016", "G0046", 143),
            ("G0016", "G0032", 111),
            ("G0046", "G0032", 101)
        ]
    );
    for (j, want) in result.jaccard.iter().zip([0.498_258, 0.363_934, 0.408_907]) {
        close(j.value, want);
    }
    // Sorted, and shared / unique are disjoint.
    assert!(result.shared.windows(2).all(|w| w[0] < w[1]));
    for only in result.unique.values() {
        assert!(only.iter().all(|t| !result.shared.contains(t)));
    }
}

#[test]
fn match_observed_techniques_on_enterprise_18_1() {
    let Some(a) = enterprise_18() else { return };
    let observed: Vec<String> = ["T1566.001", "T1059.001", "T1003.001", "T1053.005"]
        .map(String::from)
        .to_vec();
    assert_eq!(match_groups(a, &observed, None).len(), 146);
    let top = match_groups(a, &observed, Some(5));
    let got: Vec<(usize, &str, usize, usize)> = top
        .iter()
        .map(|m| (m.rank, m.id.as_str(), m.matched, m.techniques))
        .collect();
    assert_eq!(
        got,
        [
            (1, "G1039", 4, 41),
            (2, "G1050", 4, 44),
            (3, "G1036", 4, 62),
            (4, "G0040", 4, 87),
            (5, "G0090", 4, 88)
        ]
    );
    for (m, want) in top
        .iter()
        .zip([0.097_561, 0.090_909, 0.064_516, 0.045_977, 0.045_455])
    {
        close(m.jaccard, want);
        assert_eq!(
            m.matched_techniques,
            observed
                .iter()
                .cloned()
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn a_repeated_group_is_compared_once_and_nothing_matches_nothing() {
    let a = mini();
    let g = group(a, "G0016");
    let result = compare_groups(a, &[g, g]);
    assert_eq!(result.groups.len(), 1);
    assert!(result.jaccard.is_empty());
    assert_eq!(result.shared.len(), result.groups[0].techniques);
    assert!(match_groups(a, &[], None).is_empty());
    assert!(match_groups(a, &["T9999".to_string()], None).is_empty());
}
