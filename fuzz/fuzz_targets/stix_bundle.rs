//! The STIX bundle loader on arbitrary bytes: an error or a model, never a panic or a hang.
#![no_main]

use std::path::Path;

use covmap_core::Attack;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(attack) = Attack::from_slice(data, Path::new("enterprise-attack-9.9.json")) {
        // Walk what lookups walk: parents, revoked-by chains, the matrix.
        for technique in attack.techniques() {
            std::hint::black_box(attack.lookup(technique.meta.id()));
        }
        std::hint::black_box(attack.counts());
    }
});
