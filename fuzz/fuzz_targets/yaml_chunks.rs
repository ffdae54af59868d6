//! The YAML reader's shortcuts against the one-pass yaml-rust2 parse, on arbitrary text: the
//! two-chunk parse at every line where a chunk could start, and the fast path for plain
//! inventory YAML. Any split or fast read accepted must give the same document
//! (`covmap_assess::yaml`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        covmap_assess::yaml::check_fast_parse(text);
        covmap_assess::yaml::check_chunked_parse(text);
    }
});
