//! The two-chunk YAML parse against the one-pass parse, at every line where a chunk could
//! start: any accepted split must give the same document (`covmap_assess::yaml`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        covmap_assess::yaml::check_chunked_parse(text);
    }
});
