//! Inventory parsing benchmarks: the two phases of `parse_inventories` on a generated inventory
//! of 2,000 capabilities with 20 coverage entries each (4.7 MB of YAML, like
//! `bench/gen-inventory.py` writes), resolved against MITRE's real enterprise ATT&CK 18.1
//! bundle (`../shared/data/attack/`) when it is present, else against the synthetic fixture
//! `fixtures/attack/mini-attack-2.1.json`.
//!
//! The inventory is drawn with a fixed-seed pseudo-random generator over the bundle's active
//! techniques: each capability has a name, a vendor, 3 of the domain's platforms and a cost,
//! and 20 flow-style entries of 2 techniques with every function, named and numeric levels,
//! all confidences, and evidence on tested ones. It has no errors, but most capabilities have
//! warnings, as `bench/gen-inventory.py`'s do: random techniques often run on none of the
//! capability's platforms, or are parents that count for no sub-technique.
//!
//! - `parse/load_documents`: UTF-8 decoding, YAML events, the node tree and SHA-256 (no bundle);
//!   the YAML in two chunks on two threads. `parse/load_documents_jobs1`: the same on one
//!   thread (`--jobs 1`), the YAML in one pass.
//! - `yaml/one_pass_fast` and `yaml/one_pass_yaml_rust2`: the YAML tree alone, in one pass,
//!   read by the fast path for plain inventory YAML and by yaml-rust2.
//! - `parse_sizes/load_documents_*`: the same on smaller inventories (12, 50 and 200
//!   capabilities), both ways, for where two chunks start to pay.
//! - `parse/resolve`: reading the `Raw*` structs, validation and resolution against the bundle,
//!   building the [`Inventory`](covmap_assess::inventory::Inventory), and dropping the result;
//!   `parse/resolve_no_drop` leaves the drop out of the timing; `parse/resolve_one_thread`
//!   reads all capabilities on the calling thread (`--jobs 1`), where `resolve` splits them.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use covmap_assess::parse::{SourceFile, ValidationContext, load_documents, resolve};
use covmap_core::Attack;
use criterion::{Criterion, criterion_group, criterion_main};

const CAPABILITIES: usize = 2_000;
const ENTRIES: usize = 20;

/// The real 18.1 bundle when present, else the mini fixture.
fn bundle() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let real = root.join("../../../shared/data/attack/enterprise-attack-18.1.json");
    if real.is_file() {
        real
    } else {
        #[allow(clippy::print_stderr)] // a benchmark's only way to say what it fell back to
        {
            eprintln!(
                "{} is missing: using the mini fixture bundle",
                real.display()
            );
        }
        root.join("../../fixtures/attack/mini-attack-2.1.json")
    }
}

#[path = "common/rng.rs"]
mod rng;

use rng::Rng;

/// The generated inventory's text (see the module documentation), with `capabilities`
/// capabilities.
fn generate(attack: &Attack, capabilities: usize) -> String {
    let mut rng = Rng(0x00c0_4a9e);
    let techniques: Vec<String> = attack
        .active_techniques()
        .iter()
        .map(|t| t.meta.id().to_string())
        .collect();
    let platforms = attack.platforms();
    let functions = ["detect", "protect", "respond", "visibility"];
    let levels = ["minimal", "partial", "significant", "0.4", "0.75"];
    let confidences = ["claimed", "configured", "tested"];
    let mut text = String::with_capacity(capabilities * ENTRIES * 120);
    let _ = write!(
        text,
        "covmap: 1\norganization: Generated Corp\n\
         attack: {{domain: enterprise, version: \"{}\"}}\n\
         scope:\n  threats: {{groups: [APT29, FIN7]}}\ncapabilities:\n",
        attack.version().unwrap_or_default()
    );
    for c in 0..capabilities {
        let _ = write!(
            text,
            "  - id: cap-{c:04}\n    name: Capability {c}\n    vendor: Vendor {}\n    \
             platforms: [{}]\n    cost: {{annual: {}, currency: EUR}}\n    coverage:\n",
            c % 37,
            rng.sample(&platforms, 3).join(", "),
            (5 + rng.below(296)) * 1000
        );
        for _ in 0..ENTRIES {
            let confidence = confidences[rng.below(confidences.len())];
            let evidence = if confidence == "tested" {
                ", evidence: \"rule review 2026\""
            } else {
                ""
            };
            let _ = writeln!(
                text,
                "      - {{techniques: [{}], function: {}, level: {}, confidence: {confidence}{evidence}}}",
                rng.sample(&techniques, 2).join(", "),
                functions[rng.below(functions.len())],
                levels[rng.below(levels.len())],
            );
        }
    }
    text
}

fn parse(c: &mut Criterion) {
    let path = bundle();
    let attack = Attack::load(&path).expect("bundle loads");
    let text = generate(&attack, CAPABILITIES);
    let sources = vec![SourceFile::new("generated.yaml", text.into_bytes())];
    let context = ValidationContext::default();
    let documents = load_documents(&sources);
    let parsed = resolve(&documents, &attack, &context);
    // Warnings are expected (techniques are drawn without regard to platforms); an error
    // would mean the generator no longer writes what the benchmark means to measure.
    assert!(
        !parsed.has_errors(),
        "the generated inventory should have no errors: {:?}",
        parsed.diagnostics.iter().find(|d| d.is_error())
    );
    #[allow(clippy::print_stderr)] // context for the figures
    {
        eprintln!(
            "generated inventory: {CAPABILITIES} capabilities x {ENTRIES} entries, {} bytes, \
             {} warnings, against {}",
            sources[0].bytes.len(),
            parsed.diagnostics.len(),
            path.display()
        );
    }

    let mut group = c.benchmark_group("parse");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("load_documents", |b| {
        b.iter(|| load_documents(black_box(&sources)));
    });
    // The same on one thread (`--jobs 1`): the YAML in one pass instead of two chunks.
    covmap_assess::threads::set_jobs(1);
    group.bench_function("load_documents_jobs1", |b| {
        b.iter(|| load_documents(black_box(&sources)));
    });
    covmap_assess::threads::set_jobs(0);
    group.bench_function("resolve", |b| {
        b.iter(|| resolve(black_box(&documents), black_box(&attack), &context));
    });
    // The same without dropping the result (a process that exits right after using it never
    // frees it).
    group.bench_function("resolve_no_drop", |b| {
        b.iter_with_large_drop(|| resolve(black_box(&documents), black_box(&attack), &context));
    });
    // Both halves of the capabilities on one thread (`--jobs 1`): what the split saves.
    covmap_assess::threads::set_jobs(1);
    group.bench_function("resolve_one_thread", |b| {
        b.iter(|| resolve(black_box(&documents), black_box(&attack), &context));
    });
    covmap_assess::threads::set_jobs(0);
    group.finish();

    // The YAML alone, in one pass: the fast path for plain inventory YAML against yaml-rust2.
    let mut group = c.benchmark_group("yaml");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));
    let text = std::str::from_utf8(&sources[0].bytes).expect("generated text is UTF-8");
    let nodes = covmap_assess::yaml::parse_one_pass(text, true);
    assert!(
        nodes > 0 && nodes == covmap_assess::yaml::parse_one_pass(text, false),
        "the fast path reads the generated inventory as yaml-rust2 does"
    );
    group.bench_function("one_pass_fast", |b| {
        b.iter(|| covmap_assess::yaml::parse_one_pass(black_box(text), true));
    });
    group.bench_function("one_pass_yaml_rust2", |b| {
        b.iter(|| covmap_assess::yaml::parse_one_pass(black_box(text), false));
    });
    group.finish();

    // Where two chunks start to pay (`yaml::CHUNKED_FROM`): smaller inventories, both ways.
    let mut group = c.benchmark_group("parse_sizes");
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(3));
    for capabilities in [12, 50, 200] {
        let text = generate(&attack, capabilities);
        let kib = text.len() / 1024;
        let sources = vec![SourceFile::new("generated.yaml", text.into_bytes())];
        for jobs in [0, 1] {
            covmap_assess::threads::set_jobs(jobs);
            let name = format!("load_documents_{kib}KiB_jobs{jobs}");
            group.bench_function(name, |b| b.iter(|| load_documents(black_box(&sources))));
        }
        covmap_assess::threads::set_jobs(0);
    }
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
