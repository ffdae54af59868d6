//! A driver for instruction counts (`valgrind --tool=callgrind`), which, unlike timings, do not
//! depend on the load of the machine: `assess` of example 01 without its `telemetry:` section
//! (`plain`) or as shipped (`telemetry`), `RUNS` times (default 10), inside [`measured`].
//!
//! ```text
//! cargo build --release -p covmap-assess --example assess_example01
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*measured*' \
//!     target/release/examples/assess_example01 telemetry 10
//! ```

use std::hint::black_box;
use std::path::Path;

use covmap_assess::inventory::Inventory;
use covmap_assess::parse::{SourceFile, ValidationContext, parse_inventories};
use covmap_assess::score::{AssessOptions, assess};
use covmap_core::Attack;

/// The part callgrind counts (`--toggle-collect='*measured*'`).
#[inline(never)]
fn measured(attack: &Attack, inventory: &Inventory, options: &AssessOptions, runs: usize) {
    for _ in 0..runs {
        drop(black_box(assess(attack, black_box(inventory), options)));
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "telemetry".to_string());
    let runs: usize = args
        .next()
        .map_or(10, |n| n.parse().expect("RUNS is a number"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let attack =
        Attack::load(&root.join("../../../shared/data/attack/enterprise-attack-18.1.json"))
            .expect("bundle loads");
    let text = std::fs::read(root.join("../../examples/01-midsize-company/inventory.yaml"))
        .expect("example 01");
    let parsed = parse_inventories(
        &[SourceFile::new("inventory.yaml", text)],
        &attack,
        &ValidationContext::default(),
    );
    assert!(!parsed.has_errors(), "example 01 validates");
    let mut inventory = parsed.inventory;
    match mode.as_str() {
        "plain" => inventory.telemetry.clear(),
        "telemetry" => assert!(!inventory.telemetry.is_empty()),
        other => panic!("mode is plain or telemetry, not {other}"),
    }
    measured(&attack, &inventory, &AssessOptions::default(), runs);
}
