//! The splunk importer on arbitrary bytes, then the inventory writer on what it made.
#![no_main]

use covmap_assess::inventory::ImportFormat;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| covmap_fuzz::import(
    ImportFormat::Splunk,
    "detections/detection.yml",
    data
));
