//! Inventory parsing, validation and scoring on arbitrary bytes, against the mini bundle.
#![no_main]

use covmap_assess::parse::{SourceFile, ValidationContext, parse_inventories};
use covmap_assess::score::{AssessOptions, assess};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let attack = covmap_fuzz::mini_attack();
    let sources = [SourceFile::new("inventory.yaml", data.to_vec())];
    let parsed = parse_inventories(&sources, attack, &ValidationContext::default());
    if parsed.diagnostics.iter().all(|d| !d.is_error()) {
        std::hint::black_box(assess(attack, &parsed.inventory, &AssessOptions::default()));
    }
});
