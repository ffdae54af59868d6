//! Integration tests of covmap-report: one binary, one module per output.

mod browser;
mod charts;
mod common;
mod csv;
mod heatmap;
mod html;
mod layer;
mod pdf;
mod png;
mod summary;
mod xlsx;

#[test]
fn fixtures_build() {
    let full = common::full();
    assert!(full.assessment.has_threats());
    let hostile = common::hostile();
    assert!(hostile.comparison.is_some());
    if let Some(ex) = common::example_01() {
        assert_eq!(ex.comparison.as_ref().map(|c| c.candidates.len()), Some(2));
    }
}
