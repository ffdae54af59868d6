//! Properties of scoring on random inventories over the synthetic bundle: scores stay in
//! [0, 1]; adding a capability or raising a level never lowers any score; the order of
//! capabilities, entries, techniques, exclusions, threats and files does not matter; splitting
//! a capability into several of one system changes no score; a capability added to a system
//! gives, per leaf, function and platform, the max of the system with and without it; a swap
//! (`compare --replace`) scores exactly as the edited inventory; the head-to-head of two
//! candidates is consistent set algebra; collecting more logs (telemetry) never lowers an
//! analytic's value, a leaf's derived visibility or any score.

use std::path::PathBuf;

use covmap_assess::check::{CheckOptions, check};
use covmap_assess::compare::{Candidate, Replacement, Scenarios, compare, compare_all};
use covmap_assess::gaps::{GapOptions, gaps};
use covmap_assess::inventory::{
    Capability, CollectedSource, Confidence, CoverageEntry, Exclusion, Function, Inventory,
    InventoryFile, Level, NamedLevel, Scope, Status, Telemetry, Threats,
};
use covmap_assess::params::{Combine, Rollup};
use covmap_assess::score::{AssessOptions, Assessment, assess, round6};
use covmap_assess::telemetry::{Collected, leaf_visibility};
use covmap_assess::threats::{ThreatOptions, threat_coverage};
use proptest::prelude::*;

use crate::builder::{loc, mini};

const PLATFORMS: [&str; 6] = [
    "IaaS",
    "Linux",
    "Office Suite",
    "Windows",
    "macOS",
    "Nowhere",
];

fn platforms(mask: u8) -> Vec<String> {
    PLATFORMS
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, p)| (*p).to_string())
        .collect()
}

/// Technique positions, a few past the end of the bundle's list.
fn technique() -> impl Strategy<Value = u32> {
    let n = u32::try_from(mini().techniques().len()).expect("small");
    0..n + 2
}

fn level() -> impl Strategy<Value = Level> {
    prop_oneof![
        prop_oneof![
            Just(NamedLevel::Minimal),
            Just(NamedLevel::Partial),
            Just(NamedLevel::Significant)
        ]
        .prop_map(Level::Named),
        (0.0..=1.0f64).prop_map(Level::Value),
    ]
}

fn entry(file: usize, line: usize) -> impl Strategy<Value = CoverageEntry> {
    (
        prop::collection::vec(technique(), 1..4),
        prop::sample::select(Function::ALL.to_vec()),
        level(),
        prop::option::of(prop_oneof![
            Just(Confidence::Claimed),
            Just(Confidence::Configured),
            Just(Confidence::Tested)
        ]),
        any::<bool>(),
        prop::option::of(0u8..64),
    )
        .prop_map(
            move |(techniques, function, level, confidence, include, narrow)| CoverageEntry {
                techniques,
                function,
                level,
                confidence,
                evidence: None,
                tested_on: None,
                include_subtechniques: include,
                parent_level_by_choice: false,
                platforms: narrow.map(platforms),
                location: loc(&format!("file{file}.yaml"), line),
            },
        )
}

/// A system: none (the capability's own), a shared name, or another capability's id.
fn system() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some("s0".to_string())),
        1 => Just(Some("s1".to_string())),
        1 => Just(Some("c0".to_string())),
    ]
}

fn capability(i: usize) -> impl Strategy<Value = Capability> {
    let file = i % 2;
    (
        0u8..64,
        prop::collection::vec((0usize..1000).prop_flat_map(move |l| entry(file, l)), 0..5),
        prop_oneof![
            4 => Just(Status::Deployed),
            1 => Just(Status::Planned),
            1 => Just(Status::Retired)
        ],
        system(),
    )
        .prop_map(move |(mask, coverage, status, system)| Capability {
            id: format!("c{i}"),
            name: format!("Capability {i}"),
            vendor: None,
            status,
            system,
            platforms: platforms(mask),
            cost: None,
            owner: None,
            tags: Vec::new(),
            coverage,
            imports: Vec::new(),
            location: loc(&format!("file{file}.yaml"), i + 1),
        })
}

fn capabilities(max: usize) -> impl Strategy<Value = Vec<Capability>> {
    (0..=max).prop_flat_map(|n| (0..n).map(capability).collect::<Vec<_>>())
}

fn inventory_strategy() -> impl Strategy<Value = Inventory> {
    (
        0u8..64,
        prop::collection::vec((technique(), 0u8..3), 0..3),
        prop::collection::vec(0u32..3, 0..3),
        prop::collection::vec(0u32..2, 0..2),
        prop::collection::vec(0u32..3, 0..2),
        capabilities(5),
        any::<bool>(),
        0u8..3,
    )
        .prop_map(
            |(mask, exclusions, groups, campaigns, software, capabilities, max, rollup)| {
                let mut inv = Inventory {
                    files: vec![
                        InventoryFile {
                            path: PathBuf::from("file0.yaml"),
                            sha256: "a".repeat(64),
                        },
                        InventoryFile {
                            path: PathBuf::from("file1.yaml"),
                            sha256: "b".repeat(64),
                        },
                    ],
                    scope: Scope {
                        platforms: platforms(mask),
                        exclusions: exclusions
                            .into_iter()
                            .enumerate()
                            .map(|(i, (technique, reason))| Exclusion {
                                technique,
                                reason: format!("reason {reason}"),
                                location: loc("file0.yaml", 100 + i),
                            })
                            .collect(),
                        threats: Threats {
                            groups,
                            campaigns,
                            software,
                            profiles: Vec::new(),
                        },
                    },
                    capabilities,
                    ..Inventory::default()
                };
                inv.scoring.combine = if max { Combine::Max } else { Combine::NoisyOr };
                inv.scoring.rollup = [Rollup::Mean, Rollup::Min, Rollup::Max][usize::from(rollup)];
                inv
            },
        )
}

/// Every number of an assessment, in a fixed order.
fn numbers(a: &Assessment) -> Vec<(String, f64)> {
    let mut out = vec![("overall".to_string(), a.overall)];
    out.push(("weighted".to_string(), a.overall_weighted.unwrap_or(0.0)));
    for t in &a.tactics {
        out.push((t.id.clone(), t.score));
        out.push((
            format!("{} weighted", t.id),
            t.score_weighted.unwrap_or(0.0),
        ));
    }
    for f in Function::ALL {
        out.push((format!("overall {}", f.as_str()), a.functions.get(f)));
    }
    for t in &a.techniques {
        out.push((t.id.clone(), t.score));
        for f in Function::ALL {
            let r = t.functions.get(f);
            out.push((format!("{} {}", t.id, f.as_str()), r.score));
            for (p, v) in &r.platforms {
                out.push((format!("{} {} {p}", t.id, f.as_str()), *v));
            }
        }
    }
    out
}

fn run(inv: &Inventory) -> Assessment {
    assess(mini(), inv, &AssessOptions::default())
}

/// Per-platform function scores of the leaves: where systems combine.
fn platform_values(a: &Assessment) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for t in a.techniques.iter().filter(|t| t.leaf) {
        for f in Function::ALL {
            for (p, v) in &t.functions.get(f).platforms {
                out.push((format!("{} {} {p}", t.id, f.as_str()), *v));
            }
        }
    }
    out
}

fn assert_not_lower(before: &Assessment, after: &Assessment) -> Result<(), TestCaseError> {
    for ((name, b), (name2, a)) in numbers(before).into_iter().zip(numbers(after)) {
        prop_assert_eq!(&name, &name2);
        prop_assert!(a >= b, "{} fell from {} to {}", name, b, a);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn scores_stay_in_unit_interval(inv in inventory_strategy()) {
        let a = run(&inv);
        for (name, v) in numbers(&a) {
            prop_assert!((0.0..=1.0).contains(&v), "{} = {}", name, v);
        }
        for t in &a.techniques {
            prop_assert!(t.gap_priority >= 0.0 && t.gap_priority <= t.weight);
            for c in t.capabilities.iter().chain(&t.parent_evidence) {
                prop_assert!((0.0..=1.0).contains(&c.value));
            }
        }
    }

    #[test]
    fn adding_a_capability_never_lowers_a_score(
        inv in inventory_strategy(),
        extra in capability(99),
    ) {
        let before = run(&inv);
        let mut more = inv.clone();
        more.capabilities.push(Capability { status: Status::Deployed, ..extra });
        assert_not_lower(&before, &run(&more))?;
    }

    #[test]
    fn splitting_a_capability_within_its_system_changes_no_score(
        inv in inventory_strategy(),
        pick in any::<prop::sample::Index>(),
        parts in prop::collection::vec(0usize..3, 0..8),
    ) {
        prop_assume!(!inv.capabilities.is_empty());
        let before = run(&inv);
        let mut split = inv.clone();
        let at = pick.index(split.capabilities.len());
        let whole = split.capabilities.remove(at);
        // Each entry goes to one of three parts (some may get none), all in whole's system.
        for part in 0..3 {
            let coverage = whole
                .coverage
                .iter()
                .enumerate()
                .filter(|(e, _)| parts.get(*e).copied().unwrap_or(0) == part)
                .map(|(_, entry)| entry.clone())
                .collect();
            split.capabilities.push(Capability {
                id: format!("{}-part{part}", whole.id),
                system: Some(whole.system().to_string()),
                coverage,
                ..whole.clone()
            });
        }
        prop_assert_eq!(numbers(&before), numbers(&run(&split)));
    }

    #[test]
    fn a_capability_added_to_a_system_gives_the_max_within_it(
        inv in inventory_strategy(),
        extra in capability(99),
        pick in any::<prop::sample::Index>(),
    ) {
        prop_assume!(!inv.capabilities.is_empty());
        let system = inv.capabilities[pick.index(inv.capabilities.len())].system().to_string();
        let extra = Capability {
            status: Status::Deployed,
            system: Some(system.clone()),
            ..extra
        };
        let before = run(&inv);
        let mut joined = inv.clone();
        joined.capabilities.push(extra.clone());
        let after = run(&joined);
        // Never lower.
        assert_not_lower(&before, &after)?;
        // Never more than the same capability as a layer of its own (noisy-or >= max).
        let mut own = inv.clone();
        own.capabilities.push(Capability { system: Some("zz-own".to_string()), ..extra.clone() });
        for ((name, a), (_, b)) in numbers(&after).into_iter().zip(numbers(&run(&own))) {
            prop_assert!(a <= b + 1e-12, "{} is {} in the system, {} on its own", name, a, b);
        }
        // Exactly the max of the system without it and of it alone in the system, per leaf,
        // function and platform.
        let mut alone = inv.clone();
        alone.capabilities.retain(|c| c.system() != system);
        alone.capabilities.push(extra);
        let alone = run(&alone);
        let expected: Vec<(String, f64)> = platform_values(&before)
            .into_iter()
            .zip(platform_values(&alone))
            .map(|((name, b), (_, x))| (name, b.max(x)))
            .collect();
        for ((name, got), (_, want)) in platform_values(&after).into_iter().zip(expected) {
            prop_assert!((got - want).abs() < 1e-9, "{}: {} instead of {}", name, got, want);
        }
    }

    #[test]
    fn raising_a_level_never_lowers_a_score(
        inv in inventory_strategy(),
        pick in any::<prop::sample::Index>(),
        raise in 0.0..=1.0f64,
    ) {
        let before = run(&inv);
        let mut raised = inv.clone();
        let levels = inv.scoring.levels;
        let slots: Vec<(usize, usize)> = raised
            .capabilities
            .iter()
            .enumerate()
            .flat_map(|(c, cap)| (0..cap.coverage.len()).map(move |e| (c, e)))
            .collect();
        prop_assume!(!slots.is_empty());
        let (c, e) = slots[pick.index(slots.len())];
        let entry = &mut raised.capabilities[c].coverage[e];
        let old = match entry.level {
            Level::Named(n) => levels.of(n),
            Level::Value(v) => v,
        };
        entry.level = Level::Value(old + (1.0 - old) * raise);
        assert_not_lower(&before, &run(&raised))?;
    }

    #[test]
    fn order_does_not_matter(inv in inventory_strategy(), seed in any::<u64>()) {
        let a = run(&inv);
        let mut shuffled = inv.clone();
        // Files in the other order: their capabilities and exclusions come the other way round.
        shuffled.files.reverse();
        shuffled.capabilities.reverse();
        let n = shuffled.capabilities.len();
        if n > 1 {
            let k = usize::try_from(seed % n as u64).expect("small");
            shuffled.capabilities.rotate_left(k);
        }
        for cap in &mut shuffled.capabilities {
            cap.coverage.reverse();
            for entry in &mut cap.coverage {
                entry.techniques.reverse();
            }
            cap.platforms.reverse();
        }
        shuffled.scope.exclusions.reverse();
        shuffled.scope.platforms.reverse();
        shuffled.scope.threats.groups.reverse();
        shuffled.scope.threats.software.reverse();
        let mut b = run(&shuffled);
        prop_assert_eq!(&b.files[0].path, "file1.yaml");
        b.files.clone_from(&a.files);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn gaps_compare_threats_and_check_hold_up(
        inv in inventory_strategy(),
        candidate in capabilities(2),
        without in prop::collection::vec(0usize..6, 0..3),
        top in prop::option::of(0usize..4),
    ) {
        let a = run(&inv);
        let list = gaps(mini(), &a, &GapOptions { top, tactic: None }).expect("no tactic filter");
        for (i, gap) in list.iter().enumerate() {
            prop_assert_eq!(gap.rank, i + 1);
            prop_assert!(gap.score < 1.0);
            if a.has_threats() {
                // Each selected ATT&CK threat that uses it adds 1 (direct) or the software
                // factor (0.5) to the weight.
                let expected: f64 = gap.threats.iter().map(|t| if t.direct { 1.0 } else { 0.5 }).sum();
                prop_assert!((gap.weight - expected).abs() < 1e-9, "{} vs {}", gap.weight, expected);
                prop_assert_eq!(gap.threats.iter().filter(|t| t.direct).count(), gap.direct_threats as usize);
            }
        }
        prop_assert!(list.windows(2).all(|w| w[0].gap_priority >= w[1].gap_priority));
        for t in threat_coverage(mini(), &a, &ThreatOptions::default()).expect("selected") {
            prop_assert!((0.0..=1.0).contains(&t.score) && (0.0..=1.0).contains(&t.covered_share));
        }
        let without: Vec<String> = without.into_iter().map(|i| format!("c{i}")).collect();
        let c = compare(
            mini(),
            &inv,
            &AssessOptions::default(),
            &[Candidate { label: "x", capabilities: &candidate }],
            &without,
        );
        prop_assert!((c.baseline.overall - a.overall).abs() < 1e-12);
        let r = &c.candidates[0];
        prop_assert!(r.gain >= 0.0 && r.after.overall + 1e-12 >= c.baseline.overall);
        if let Some(w) = &c.without {
            prop_assert!(w.drop >= 0.0 && w.after.overall <= c.baseline.overall + 1e-12);
        }
        let result = check(&a, &CheckOptions { baseline: Some(&a), ..CheckOptions::default() });
        prop_assert!(result.passed && result.dropped.is_empty());
    }

    #[test]
    fn a_replacement_scores_as_the_edited_inventory(
        inv in inventory_strategy(),
        new in capabilities(2),
        old in 0usize..6,
    ) {
        let old = format!("c{old}");
        let options = AssessOptions::default();
        if !inv.capabilities.iter().any(|c| c.id == old && options.counts(c.status)) {
            return Ok(());
        }
        // Ids of their own (the strategy numbers every list from c0).
        let mut new = new;
        for (i, c) in new.iter_mut().enumerate() {
            c.id = format!("n{i}");
            c.status = Status::Candidate;
        }
        let c = compare_all(
            mini(),
            &inv,
            &options,
            &Scenarios {
                replacements: &[Replacement {
                    old: &old,
                    new: Candidate { label: "new", capabilities: &new },
                }],
                ..Scenarios::default()
            },
        );
        let mut edited = inv.clone();
        for cap in &mut edited.capabilities {
            if cap.id == old {
                cap.status = Status::Retired;
            }
        }
        edited.capabilities.extend(new.iter().cloned().map(|mut cap| {
            cap.status = Status::Deployed;
            cap
        }));
        let direct = run(&edited);
        let r = &c.replacements[0];
        prop_assert_eq!(r.overall_after.to_bits(), direct.overall.to_bits());
        prop_assert_eq!(
            r.weighted_after.map(f64::to_bits),
            direct.overall_weighted.map(f64::to_bits)
        );
    }

    #[test]
    fn the_head_to_head_is_set_algebra(
        inv in inventory_strategy(),
        a in capabilities(2),
        b in capabilities(2),
    ) {
        let rename = |caps: Vec<Capability>, prefix: &str| -> Vec<Capability> {
            caps.into_iter()
                .enumerate()
                .map(|(i, mut c)| {
                    c.id = format!("{prefix}{i}");
                    c.status = Status::Candidate;
                    c
                })
                .collect()
        };
        let (a, b) = (rename(a, "a"), rename(b, "b"));
        let c = compare(
            mini(),
            &inv,
            &AssessOptions::default(),
            &[
                Candidate { label: "a", capabilities: &a },
                Candidate { label: "b", capabilities: &b },
            ],
            &[],
        );
        let h = c.head_to_head.expect("two candidates");
        let pair = &h.pairs[0];
        let (da, db) = (&h.candidates[0], &h.candidates[1]);
        prop_assert_eq!(pair.a_only, da.unique.len());
        prop_assert_eq!(pair.b_only, db.unique.len());
        prop_assert_eq!(pair.both, h.shared.len());
        prop_assert_eq!(da.covers, pair.a_only + pair.both);
        prop_assert_eq!(db.covers, pair.b_only + pair.both);
        prop_assert!(da.unique.iter().all(|l| db.unique.iter().all(|m| m.id != l.id)));
        prop_assert!(da.unique_gains <= da.unique.len() && db.unique_gains <= db.unique.len());
        // Newly covered, improved and redundant never share a leaf.
        for r in &c.candidates {
            let mut ids: Vec<&str> = r
                .newly_covered
                .iter()
                .chain(&r.improved)
                .chain(&r.redundant)
                .map(|l| l.id.as_str())
                .collect();
            let n = ids.len();
            ids.sort_unstable();
            ids.dedup();
            prop_assert_eq!(ids.len(), n);
            prop_assert!(r.improved.iter().all(|l| l.after - l.before >= 0.01 - 1e-9));
            prop_assert!(r.redundant.iter().all(|l| l.after - l.before < 0.01));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Derived visibility (docs/scoring.md, "Derived visibility"): collecting more never lowers
// anything.

/// Log-source names of the synthetic bundle's analytics and data components, and one it does
/// not name.
const LOG_NAMES: [&str; 8] = [
    "WinEventLog:Sysmon",
    "WinEventLog:Security",
    "WinEventLog:PowerShell",
    "auditd:SYSCALL",
    "auditd:EXECVE",
    "AWS:CloudTrail",
    "m365:office",
    "zeek:conn",
];

/// Channels of those sources, an `EventCode` list, and one no analytic names.
const CHANNELS: [&str; 10] = [
    "EventCode=1",
    "EventCode=10",
    "EventCode=4688",
    "EventCode=4104",
    "EventCode=4624",
    "execve",
    "ConsoleLogin",
    "VBA macro execution",
    "EventCode=1, 10",
    "EventCode=7",
];

fn log_source() -> impl Strategy<Value = CollectedSource> {
    (
        prop::sample::select(LOG_NAMES.to_vec()),
        prop::collection::vec(prop::sample::select(CHANNELS.to_vec()), 0..3),
        any::<bool>(),
    )
        .prop_map(|(name, channels, filtered)| CollectedSource {
            name: name.to_string(),
            channels: channels.into_iter().map(str::to_string).collect(),
            filtered,
            location: loc("file0.yaml", 300),
        })
}

fn telemetry_entry(i: usize) -> impl Strategy<Value = Telemetry> {
    (
        prop::option::of(0u8..64),
        prop_oneof![
            4 => Just(Status::Deployed),
            1 => Just(Status::Planned),
            1 => Just(Status::Retired)
        ],
        prop::collection::vec(log_source(), 0..4),
        0.0..=1.0f64,
    )
        .prop_map(move |(mask, status, log_sources, quality)| Telemetry {
            id: format!("t{i}"),
            name: format!("Telemetry {i}"),
            platforms: mask.map(platforms).unwrap_or_default(),
            status,
            log_sources,
            quality,
            imports: Vec::new(),
            location: loc("file0.yaml", 200 + i),
        })
}

fn telemetry_inventory() -> impl Strategy<Value = Inventory> {
    (
        inventory_strategy(),
        (0usize..4).prop_flat_map(|n| (0..n).map(telemetry_entry).collect::<Vec<_>>()),
        prop::option::of(0.0..=1.0f64),
        any::<bool>(),
    )
        .prop_map(|(mut inv, telemetry, filtered, headline)| {
            inv.telemetry = telemetry;
            inv.scoring.filtered_telemetry = filtered;
            if headline {
                inv.scoring.headline.functions =
                    vec![Function::Detect, Function::Protect, Function::Visibility];
            }
            inv
        })
}

/// One way of collecting more.
#[derive(Debug, Clone)]
enum More {
    /// A log source added to an entry.
    Source(usize, CollectedSource),
    /// A channel added to a source that lists channels (a source without any collects all).
    Channel(usize, usize, &'static str),
    /// An entry's quality raised by a share of what is left up to 1.
    Quality(usize, f64),
    /// A new entry.
    Entry(Telemetry),
    /// A filtered source collected whole.
    Unfiltered(usize, usize),
}

fn more() -> impl Strategy<Value = More> {
    prop_oneof![
        (any::<usize>(), log_source()).prop_map(|(i, s)| More::Source(i, s)),
        (
            any::<usize>(),
            any::<usize>(),
            prop::sample::select(CHANNELS.to_vec())
        )
            .prop_map(|(i, j, c)| More::Channel(i, j, c)),
        (any::<usize>(), 0.0..=1.0f64).prop_map(|(i, r)| More::Quality(i, r)),
        telemetry_entry(9).prop_map(More::Entry),
        (any::<usize>(), any::<usize>()).prop_map(|(i, j)| More::Unfiltered(i, j)),
    ]
}

/// `inv` collecting more by `change` (unchanged when the change finds nothing to act on).
fn collect_more(inv: &Inventory, change: &More) -> Inventory {
    let mut out = inv.clone();
    let n = out.telemetry.len();
    match change.clone() {
        More::Entry(entry) => out.telemetry.push(entry),
        _ if n == 0 => {}
        More::Source(i, source) => out.telemetry[i % n].log_sources.push(source),
        More::Quality(i, r) => {
            let q = &mut out.telemetry[i % n].quality;
            *q += (1.0 - *q) * r;
        }
        More::Channel(i, j, channel) => {
            let sources = &mut out.telemetry[i % n].log_sources;
            if !sources.is_empty() {
                let len = sources.len();
                let source = &mut sources[j % len];
                if !source.channels.is_empty() {
                    source.channels.push(channel.to_string());
                }
            }
        }
        More::Unfiltered(i, j) => {
            let sources = &mut out.telemetry[i % n].log_sources;
            if !sources.is_empty() {
                let len = sources.len();
                sources[j % len].filtered = false;
            }
        }
    }
    out
}

fn collected(inv: &Inventory) -> Collected {
    let mut scope = if inv.scope.platforms.is_empty() {
        mini().platforms()
    } else {
        inv.scope.platforms.clone()
    };
    scope.sort();
    Collected::new(
        &inv.telemetry,
        &scope,
        &AssessOptions::default(),
        inv.scoring.filtered_factor(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn collecting_more_never_lowers_anything(
        inv in telemetry_inventory(),
        change in more(),
    ) {
        let after_inv = collect_more(&inv, &change);
        let (before, after) = (collected(&inv), collected(&after_inv));
        let attack = mini();
        for analytic in attack.analytics() {
            for platform in PLATFORMS {
                let (b, a) = (
                    before.analytic(analytic, platform),
                    after.analytic(analytic, platform),
                );
                prop_assert!(a.value >= b.value, "{} on {platform}", analytic.meta.id());
                prop_assert!(a.collected >= b.collected);
                prop_assert!((0.0..=1.0).contains(&a.value));
            }
        }
        for (t, technique) in attack.techniques().iter().enumerate() {
            let t = u32::try_from(t).expect("small");
            for platform in PLATFORMS {
                let (b, a) = (
                    leaf_visibility(attack, &before, t, platform),
                    leaf_visibility(attack, &after, t, platform),
                );
                prop_assert!(a >= b, "{} on {platform}: {b} -> {a}", technique.meta.id());
            }
        }
        let collected_after = after;
        let (before, after) = (run(&inv), run(&after_inv));
        assert_not_lower(&before, &after)?;
        // The engine's derived values are `leaf_visibility`'s, rounded.
        for t in after.techniques.iter().filter(|t| t.leaf) {
            let position = attack.technique(&t.id).expect("technique").meta.key.index;
            let derived = t.derived_visibility.as_ref();
            for platform in &t.platforms {
                let expected = round6(leaf_visibility(attack, &collected_after, position, platform));
                let got = derived.and_then(|d| d.platforms.get(platform)).copied();
                // Both rounded to 6 decimals from the same value: equal to the bit.
                let got = got.unwrap_or(0.0);
                prop_assert!(got.to_bits() == expected.to_bits(), "{} on {}: {} != {}", t.id, platform, got, expected);
            }
        }
        for (b, a) in before.techniques.iter().zip(&after.techniques) {
            let derived = |t: &covmap_assess::score::TechniqueResult| {
                t.derived_visibility.as_ref().map_or(0.0, |d| d.score)
            };
            prop_assert!(derived(a) >= derived(b), "{}", a.id);
        }
    }
}
