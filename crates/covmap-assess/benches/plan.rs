//! `covmap plan` benchmarks on MITRE's real enterprise ATT&CK 18.1 bundle
//! (`../shared/data/attack/`; skipped with a notice when it is missing):
//!
//! - `plan/example01_all_mitigations`: [`plan`] of example 01 (its 10 deployed capabilities,
//!   threats FIN7, Scattered Spider, APT29) with every ATT&CK mitigation as an action, no
//!   budget, every action ranked; `plan/example01_parse_and_plan` adds parsing the inventory.
//! - `plan/generated_100_candidates`: the 2,000 x 20 inventory of `bench/gen-inventory.py`
//!   (written by the script into a temporary folder, then parsed) with every 20th capability
//!   turned into a candidate (100 candidates with their costs, 1,900 deployed), plus every
//!   mitigation; `plan/generated_assess` is one assessment of the same inventory, for scale.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use covmap_assess::inventory::{Inventory, Status};
use covmap_assess::parse::{SourceFile, ValidationContext, parse_inventories};
use covmap_assess::plan::{PlanOptions, plan};
use covmap_assess::score::{AssessOptions, assess};
use covmap_core::Attack;
use criterion::{Criterion, criterion_group, criterion_main};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn bundle() -> Option<PathBuf> {
    let path = root().join("../shared/data/attack/enterprise-attack-18.1.json");
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

fn parse(attack: &Attack, path: &str, bytes: Vec<u8>) -> Inventory {
    let parsed = parse_inventories(
        &[SourceFile::new(path, bytes)],
        attack,
        &ValidationContext::default(),
    );
    assert!(!parsed.has_errors(), "{path} is valid");
    parsed.inventory
}

/// The generated inventory with every 20th capability a candidate.
fn generated(attack: &Attack, bundle: &Path) -> Inventory {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("big.yaml");
    let status = std::process::Command::new("python3")
        .arg(root().join("bench/gen-inventory.py"))
        .arg(bundle)
        .arg(&out)
        .status()
        .expect("python3 runs bench/gen-inventory.py");
    assert!(status.success());
    let mut inventory = parse(
        attack,
        "big.yaml",
        std::fs::read(&out).expect("generated inventory"),
    );
    for (i, c) in inventory.capabilities.iter_mut().enumerate() {
        if i % 20 == 0 {
            c.status = Status::Candidate;
        }
    }
    inventory
}

fn bench_plan(c: &mut Criterion) {
    let Some(path) = bundle() else { return };
    let attack = Attack::load(&path).expect("bundle loads");
    let example_path = "examples/01-midsize-company/inventory.yaml";
    let example_bytes = std::fs::read(root().join(example_path)).expect("example 01");
    let example = parse(&attack, example_path, example_bytes.clone());
    let big = generated(&attack, &path);
    let options = PlanOptions::default();
    let a = plan(&attack, &example, &options).expect("plan");
    let b = plan(&attack, &big, &options).expect("plan");
    #[allow(clippy::print_stderr)] // context for the figures
    {
        eprintln!(
            "example 01: {} actions ranked; generated: {} candidates, {} actions ranked",
            a.actions.len(),
            big.capabilities
                .iter()
                .filter(|c| c.status == Status::Candidate)
                .count(),
            b.actions.len()
        );
    }

    let mut group = c.benchmark_group("plan");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("example01_all_mitigations", |bench| {
        bench.iter(|| plan(black_box(&attack), black_box(&example), &options));
    });
    group.bench_function("example01_parse_and_plan", |bench| {
        bench.iter(|| {
            let inventory = parse(&attack, example_path, example_bytes.clone());
            plan(black_box(&attack), &inventory, &options)
        });
    });
    group.bench_function("generated_100_candidates", |bench| {
        bench.iter(|| plan(black_box(&attack), black_box(&big), &options));
    });
    group.bench_function("generated_assess", |bench| {
        bench.iter(|| {
            assess(
                black_box(&attack),
                black_box(&big),
                &AssessOptions::default(),
            )
        });
    });
    group.finish();
}

criterion_group!(benches, bench_plan);
criterion_main!(benches);
