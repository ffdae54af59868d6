//! Load and query benchmarks on MITRE's real ATT&CK bundles in `../shared/data/attack/`.
//!
//! - `parse/<bundle>`: [`Attack::from_slice`] on bytes read once beforehand (JSON parse, model
//!   build, indexes and graph).
//! - `cached/<bundle>`: [`load_cached`] with a warm model cache in a temporary directory (file
//!   read, hash, binary decode, indexes and graph).
//! - `first/<bundle>`: [`load_cached`] into an empty cache directory, a first (cold) load: file
//!   hash and read, JSON parse streamed into the model, indexes and graph, cache file written.
//! - `query/*`: [`Attack::techniques_used_by`] for APT29 and [`Attack::lookup`], on enterprise
//!   18.1 or, when the real data is absent, on the synthetic `mini-attack-2.1.json` fixture.
//!
//! Bundles that are missing are skipped with a notice on stderr. Sample sizes are small so that
//! `cargo bench -p covmap-core` stays within a couple of minutes.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use covmap_core::{Attack, CacheStatus, load_cached};
use criterion::{BatchSize, Criterion, SamplingMode, criterion_group, criterion_main};

const BUNDLES: [&str; 4] = [
    "enterprise-attack-18.1.json",
    "enterprise-attack-15.1.json",
    "mobile-attack-18.1.json",
    "ics-attack-18.1.json",
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The real bundle's path, or `None` with a notice when it is missing.
fn shared_bundle(name: &str) -> Option<PathBuf> {
    let path = repo_root().join("../shared/data/attack").join(name);
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

fn parse_and_cache(c: &mut Criterion) {
    let cache = tempfile::tempdir().expect("temporary cache directory");
    let mut parse = c.benchmark_group("parse");
    parse.sampling_mode(SamplingMode::Flat);
    for name in BUNDLES {
        let Some(path) = shared_bundle(name) else {
            continue;
        };
        let bytes = std::fs::read(&path).expect("readable bundle");
        parse.bench_function(name, |b| {
            b.iter(|| Attack::from_slice(black_box(&bytes), &path).expect("bundle loads"));
        });
    }
    parse.finish();

    let mut cached = c.benchmark_group("cached");
    cached.sampling_mode(SamplingMode::Flat);
    for name in BUNDLES {
        let Some(path) = shared_bundle(name) else {
            continue;
        };
        // Warm the cache, and make sure the timed loads really are hits.
        load_cached(&path, cache.path()).expect("bundle loads");
        let (_, status) = load_cached(&path, cache.path()).expect("bundle loads");
        assert_eq!(status, CacheStatus::Hit, "{name}: cache not warm");
        cached.bench_function(name, |b| {
            b.iter(|| load_cached(black_box(&path), cache.path()).expect("bundle loads"));
        });
    }
    cached.finish();

    let mut first = c.benchmark_group("first");
    first.sampling_mode(SamplingMode::Flat);
    for name in BUNDLES {
        let Some(path) = shared_bundle(name) else {
            continue;
        };
        first.bench_function(name, |b| {
            b.iter_batched(
                || tempfile::tempdir().expect("temporary cache directory"),
                |dir| {
                    let (_, status) =
                        load_cached(black_box(&path), dir.path()).expect("bundle loads");
                    assert_eq!(status, CacheStatus::Stored, "{name}: not a first load");
                    // Removing the directory is not part of the load.
                    dir
                },
                BatchSize::PerIteration,
            );
        });
    }
    first.finish();
}

fn queries(c: &mut Criterion) {
    let (label, path) = shared_bundle("enterprise-attack-18.1.json").map_or_else(
        || {
            (
                "mini-9.9",
                repo_root().join("fixtures/attack/mini-attack-2.1.json"),
            )
        },
        |path| ("enterprise-18.1", path),
    );
    let attack = Attack::load(&path).expect("bundle loads");
    let apt29 = attack.resolve("APT29").expect("APT29 is in the bundle");
    let powershell = attack
        .lookup("T1059.001")
        .expect("T1059.001 is in the bundle");
    let stix_id = attack.meta(powershell).stix_id.clone();

    let mut group = c.benchmark_group("query");
    group.bench_function(format!("techniques_used_by APT29 ({label})"), |b| {
        b.iter(|| attack.techniques_used_by(black_box(apt29)));
    });
    group.bench_function(format!("lookup ATT&CK ID ({label})"), |b| {
        b.iter(|| attack.lookup(black_box("t1059.001")));
    });
    group.bench_function(format!("lookup STIX id ({label})"), |b| {
        b.iter(|| attack.lookup(black_box(&stix_id)));
    });
    group.bench_function(format!("resolve alias ({label})"), |b| {
        b.iter(|| attack.resolve(black_box("Cozy Bear")));
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = parse_and_cache, queries
}
criterion_main!(benches);
