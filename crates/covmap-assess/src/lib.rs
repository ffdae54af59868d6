//! covmap's assessment engine: the inventory format, its validation, coverage scoring, gaps,
//! comparisons of candidate products, threat exposure and CI checks.
//!
//! Pipeline: inventory files (YAML) -> [`parse::parse_inventories`] -> an [`inventory::Inventory`]
//! resolved against a loaded [`covmap_core::Attack`], plus every [`diagnostic::Diagnostic`] found
//! on the way -> [`score::assess`] -> an [`score::Assessment`] (what `assessment.json` holds) ->
//! gaps, comparisons, threats and checks.
//!
//! The crate depends on covmap-core only. It never prints, never exits and reads no files itself:
//! callers pass file contents with their paths.

// No panics on user-controlled data: unwrap, expect, panic! and unchecked indexing are refused
// outside tests; the few modules that index their own arrays say why they may.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod adversary;
pub mod check;
pub mod claims;
pub mod compare;
pub mod diagnostic;
pub mod gaps;
pub mod inventory;
pub mod onboarding;
pub mod params;
pub mod parse;
pub mod plan;
pub mod saved;
pub mod schema;
pub mod score;
pub mod telemetry;
pub mod threads;
pub mod threats;
pub mod yaml;
