//! Reading an assessment.json (as `covmap report` and `covmap check --baseline` do) on
//! arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(assessment) = covmap_assess::saved::read_assessment_json(data) {
        std::hint::black_box(assessment.overall);
    }
});
