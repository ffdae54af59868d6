//! The Sysmon importer on arbitrary bytes (XML: hostile entities, deep nesting, odd schema
//! versions), then the inventory writer on what it made.
#![no_main]

use covmap_assess::inventory::ImportFormat;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| covmap_fuzz::import(ImportFormat::Sysmon, "sysmonconfig.xml", data));
