//! What the fuzz targets share: the mini ATT&CK bundle, parsed once, and one importer run.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use covmap_assess::inventory::ImportFormat;
use covmap_core::Attack;
use covmap_import::request::Request;
use covmap_import::write::{WriteOptions, inventory_yaml};

/// `fixtures/attack/mini-attack-2.1.json` (ATT&CK "9.9"), parsed on first use.
pub fn mini_attack() -> &'static Attack {
    static ATTACK: OnceLock<Attack> = OnceLock::new();
    ATTACK.get_or_init(|| {
        let bytes = include_bytes!("../../fixtures/attack/mini-attack-2.1.json");
        Attack::from_slice(bytes, Path::new("mini-attack-2.1.json"))
            .expect("the mini bundle is valid")
    })
}

/// Imports `data` as one file `name` of `format`, and writes the outcome as an inventory, as
/// `covmap import` does. Any panic is a finding.
pub fn import(format: ImportFormat, name: &str, data: &[u8]) {
    // The CLI skips non-UTF-8 files before any importer sees them.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let attack = mini_attack();
    let request = Request::new(format, Vec::new());
    if let Ok(outcome) = request.run_texts(&[(PathBuf::from(name), text.to_string())], attack) {
        let yaml = inventory_yaml(&outcome, attack, &WriteOptions::default());
        std::hint::black_box(yaml);
    }
}
