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

pub mod check;
pub mod compare;
pub mod diagnostic;
pub mod gaps;
pub mod inventory;
pub mod params;
pub mod parse;
pub mod schema;
pub mod score;
pub mod threats;
pub mod yaml;
