//! Scoring benchmarks on a generated inventory over MITRE's real enterprise ATT&CK 18.1 bundle
//! (`../shared/data/attack/`; skipped with a notice when it is missing).
//!
//! The inventory has 2,000 deployed capabilities with 20 coverage entries each (40,000 entries),
//! drawn with a fixed-seed pseudo-random generator over the active techniques: 1 to 3
//! techniques per entry, parents with `include_subtechniques` half of the time, every function,
//! named and numeric levels, all confidences, a random subset of the domain's platforms per
//! capability, a few entries narrowed to one platform, and 5 threat groups for weighting.
//!
//! - `score/assess`: [`assess`] (scope, tree, threat weights, scoring, building the document),
//!   and dropping the document; `score/assess_no_drop` leaves the drop out of the timing.
//! - `score/json`: `serde_json::to_vec_pretty` of the resulting [`Assessment`];
//!   `score/json_compact`: `serde_json::to_vec`; `score/write_pretty_json`: what `assess
//!   --format json` writes (the same bytes, the techniques in batches on two threads).
//! - `score/gaps`: [`gaps`] on the assessment (mitigations and detections of every gap).
//! - `score/assess_telemetry`: `score/assess` with the telemetry of [`telemetry`] (derived
//!   visibility: the issue 19 budget is at most 20% over `score/assess`).
//! - `example01/assess` and `example01/assess_telemetry`: `assess` of
//!   `examples/01-midsize-company/inventory.yaml` (parsed once, outside the timing) without its
//!   `telemetry:` section and as shipped (with it).
//! - `derive/detections`: [`LeafDetection::of`] for every leaf of the bundle;
//!   `derive/visibility`: their derived visibility on every platform of the domain.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use covmap_assess::diagnostic::Location;
use covmap_assess::gaps::{GapOptions, gaps};
use covmap_assess::inventory::{
    Capability, CollectedSource, Confidence, CoverageEntry, Function, Inventory, InventoryFile,
    Level, NamedLevel, Status, Telemetry,
};
use covmap_assess::parse::{SourceFile, ValidationContext, parse_inventories};
use covmap_assess::score::{AssessOptions, Assessment, assess};
use covmap_assess::telemetry::{Collected, LeafDetection};
use covmap_core::{Attack, Kind};
use criterion::{Criterion, criterion_group, criterion_main};

const CAPABILITIES: usize = 2_000;
const ENTRIES: usize = 20;

fn bundle() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/attack/enterprise-attack-18.1.json");
    if path.is_file() {
        Some(path)
    } else {
        #[allow(clippy::print_stderr)] // a benchmark's only way to say what it skipped
        {
            eprintln!("skipped: {} is missing", path.display());
        }
        None
    }
}

#[path = "common/rng.rs"]
mod rng;

use rng::Rng;

/// The generated inventory (see the module documentation).
fn generate(attack: &Attack) -> Inventory {
    let mut rng = Rng(0x00c0_4a9e);
    let techniques: Vec<u32> = attack
        .active_techniques()
        .iter()
        .map(|t| t.meta.key.index)
        .collect();
    let platforms = attack.platforms();
    let path: std::sync::Arc<std::path::Path> = std::path::Path::new("generated.yaml").into();
    let mut line = 1;
    let mut at = |rng: &mut Rng| {
        line += 1 + rng.below(3);
        Location {
            path: path.clone(),
            line,
            column: 9,
        }
    };
    let mut capabilities = Vec::with_capacity(CAPABILITIES);
    for i in 0..CAPABILITIES {
        let location = at(&mut rng);
        let mut own: Vec<String> = platforms
            .iter()
            .filter(|_| rng.below(3) != 0)
            .cloned()
            .collect();
        if own.is_empty() {
            own.push(platforms[rng.below(platforms.len())].clone());
        }
        let coverage = (0..ENTRIES)
            .map(|_| {
                let n = 1 + rng.below(3);
                let level = match rng.below(4) {
                    0 => Level::Named(NamedLevel::Minimal),
                    1 => Level::Named(NamedLevel::Partial),
                    2 => Level::Named(NamedLevel::Significant),
                    _ => Level::Value((rng.unit() * 100.0).round() / 100.0),
                };
                let confidence = match rng.below(4) {
                    0 => Some(Confidence::Claimed),
                    1 => Some(Confidence::Configured),
                    2 => Some(Confidence::Tested),
                    _ => None,
                };
                CoverageEntry {
                    techniques: (0..n)
                        .map(|_| techniques[rng.below(techniques.len())])
                        .collect(),
                    function: Function::ALL[rng.below(4)],
                    level,
                    confidence,
                    evidence: None,
                    tested_on: None,
                    include_subtechniques: rng.below(2) == 0,
                    parent_level_by_choice: false,
                    platforms: (rng.below(10) == 0)
                        .then(|| vec![own[rng.below(own.len())].clone()]),
                    location: at(&mut rng),
                }
            })
            .collect();
        capabilities.push(Capability {
            id: format!("cap-{i:04}"),
            name: format!("Capability {i}"),
            vendor: Some(format!("Vendor {}", i % 37)),
            status: Status::Deployed,
            system: None,
            platforms: own,
            cost: None,
            owner: None,
            tags: Vec::new(),
            coverage,
            imports: Vec::new(),
            location,
        });
    }
    let mut inventory = Inventory {
        files: vec![InventoryFile {
            path: path.to_path_buf(),
            sha256: "0".repeat(64),
        }],
        organization: Some("Benchmark Corp".to_string()),
        capabilities,
        ..Inventory::default()
    };
    inventory.scope.platforms = platforms;
    inventory.scope.threats.groups = ["G0016", "G0046", "G0007", "G0032", "G0096"]
        .iter()
        .filter_map(|id| attack.lookup(id))
        .filter(|key| key.kind == Kind::Group)
        .map(|key| key.index)
        .collect();
    inventory
}

/// A telemetry set of a mid-size company: Sysmon (process creation, network connections, DNS)
/// and the Security log on Windows, auditd on Linux, CloudTrail on IaaS, a filtered PowerShell
/// log at quality 0.8.
fn telemetry() -> Vec<Telemetry> {
    let at = Location {
        path: std::path::Path::new("telemetry.yaml").into(),
        line: 1,
        column: 1,
    };
    let source = |name: &str, channels: &[&str], filtered: bool| CollectedSource {
        name: name.to_string(),
        channels: channels.iter().map(ToString::to_string).collect(),
        filtered,
        location: at.clone(),
    };
    let entry = |id: &str, platform: &str, quality: f64, log_sources| Telemetry {
        id: id.to_string(),
        name: id.to_string(),
        platforms: vec![platform.to_string()],
        status: Status::Deployed,
        log_sources,
        quality,
        imports: Vec::new(),
        location: at.clone(),
    };
    vec![
        entry(
            "windows",
            "Windows",
            1.0,
            vec![
                source(
                    "WinEventLog:Sysmon",
                    &["EventCode=1", "EventCode=3", "EventCode=22"],
                    false,
                ),
                source("WinEventLog:Security", &[], false),
                source("WinEventLog:PowerShell", &["EventCode=4104"], true),
            ],
        ),
        entry(
            "linux",
            "Linux",
            0.8,
            vec![source("auditd:SYSCALL", &[], false)],
        ),
        entry(
            "cloud",
            "IaaS",
            1.0,
            vec![source("AWS:CloudTrail", &[], false)],
        ),
    ]
}

/// Medians of `runs` interleaved timings (A B A B ...) of `assess` without and with telemetry,
/// printed: on a shared machine, load changes between criterion's groups; interleaving exposes
/// both to the same load.
fn interleaved(
    label: &str,
    attack: &Attack,
    plain: &Inventory,
    logs: &Inventory,
    options: &AssessOptions,
    runs: usize,
) {
    let mut a = Vec::with_capacity(runs);
    let mut b = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = std::time::Instant::now();
        drop(black_box(assess(attack, black_box(plain), options)));
        a.push(start.elapsed());
        let start = std::time::Instant::now();
        drop(black_box(assess(attack, black_box(logs), options)));
        b.push(start.elapsed());
    }
    a.sort_unstable();
    b.sort_unstable();
    let (ma, mb) = (a[runs / 2], b[runs / 2]);
    #[allow(clippy::print_stderr)] // the figure this function exists for
    {
        eprintln!(
            "{label}: assess median {ma:?} without telemetry, {mb:?} with ({:+.1}%), {runs} interleaved runs",
            (mb.as_secs_f64() / ma.as_secs_f64() - 1.0) * 100.0
        );
    }
}

#[allow(clippy::too_many_lines)] // one group per setup, in the order they print
fn score(c: &mut Criterion) {
    let Some(path) = bundle() else { return };
    let attack = Attack::load(&path).expect("bundle loads");
    let inventory = generate(&attack);
    let options = AssessOptions::default();
    let assessment: Assessment = assess(&attack, &inventory, &options);
    let pretty = serde_json::to_vec_pretty(&assessment).expect("serialises");
    let compact = serde_json::to_vec(&assessment).expect("serialises");
    #[allow(clippy::print_stderr)] // context for the figures
    {
        eprintln!(
            "generated inventory: {CAPABILITIES} capabilities x {ENTRIES} entries; \
             assessment.json {} bytes pretty, {} compact; {} leaves in scope",
            pretty.len(),
            compact.len(),
            assessment.counts.in_scope
        );
    }

    let mut group = c.benchmark_group("score");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("assess", |b| {
        b.iter(|| assess(black_box(&attack), black_box(&inventory), &options));
    });
    // The same without dropping the document (a process that exits right after writing it
    // never frees it).
    group.bench_function("assess_no_drop", |b| {
        b.iter_with_large_drop(|| assess(black_box(&attack), black_box(&inventory), &options));
    });
    group.bench_function("json", |b| {
        b.iter(|| serde_json::to_vec_pretty(black_box(&assessment)).expect("serialises"));
    });
    // What `assess --format json` writes: the same bytes as `json` plus a newline, the
    // techniques rendered in batches on two threads and written as they come.
    group.bench_function("write_pretty_json", |b| {
        b.iter(|| {
            black_box(&assessment)
                .write_pretty_json(std::io::sink())
                .expect("writes");
        });
    });
    group.bench_function("json_compact", |b| {
        b.iter(|| serde_json::to_vec(black_box(&assessment)).expect("serialises"));
    });
    group.bench_function("gaps", |b| {
        b.iter(|| gaps(&attack, black_box(&assessment), &GapOptions::default()).expect("gaps"));
    });
    let mut with_telemetry = inventory.clone();
    with_telemetry.telemetry = telemetry();
    group.bench_function("assess_telemetry", |b| {
        b.iter(|| assess(black_box(&attack), black_box(&with_telemetry), &options));
    });
    group.finish();

    // Example 01: a realistic inventory, where the fixed costs of an assessment dominate.
    let example = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/01-midsize-company/inventory.yaml");
    let text = std::fs::read(&example).expect("example 01");
    let parsed = parse_inventories(
        &[SourceFile::new("inventory.yaml", text)],
        &attack,
        &ValidationContext::default(),
    );
    assert!(!parsed.has_errors(), "example 01 validates");
    // Example 01 ships its own `telemetry:` section: `logs` is the example as shipped, `plain`
    // the same without that section.
    let logs = parsed.inventory;
    assert!(!logs.telemetry.is_empty(), "example 01 collects telemetry");
    let mut plain = logs.clone();
    plain.telemetry.clear();
    // The derivation alone, in its two steps: what each leaf is detected with (a walk of the
    // bundle's graph), and its value on each platform of the scope from the collected logs.
    let leaves: Vec<u32> = attack
        .active_techniques()
        .iter()
        .filter(|t| attack.subtechniques(t).is_empty())
        .map(|t| t.meta.key.index)
        .collect();
    let platforms = attack.platforms();
    let collected = Collected::new(&logs.telemetry, &platforms, &options, 0.5);
    let detections: Vec<LeafDetection> = leaves
        .iter()
        .map(|&t| LeafDetection::of(&attack, t))
        .collect();
    let mut group = c.benchmark_group("derive");
    group.sample_size(50);
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("detections", |b| {
        b.iter(|| {
            leaves
                .iter()
                .map(|&t| LeafDetection::of(black_box(&attack), t))
                .collect::<Vec<_>>()
        });
    });
    group.bench_function("visibility", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for detection in &detections {
                for platform in &platforms {
                    sum += detection.visibility(&attack, black_box(&collected), platform);
                }
            }
            sum
        });
    });
    group.finish();

    interleaved("example 01", &attack, &plain, &logs, &options, 201);
    interleaved(
        "2,000 x 20",
        &attack,
        &inventory,
        &with_telemetry,
        &options,
        101,
    );

    let mut group = c.benchmark_group("example01");
    group.sample_size(50);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("assess", |b| {
        b.iter(|| assess(black_box(&attack), black_box(&plain), &options));
    });
    group.bench_function("assess_telemetry", |b| {
        b.iter(|| assess(black_box(&attack), black_box(&logs), &options));
    });
    group.finish();
}

criterion_group!(benches, score);
criterion_main!(benches);
