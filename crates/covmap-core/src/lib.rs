//! The MITRE ATT&CK model of covmap.
//!
//! covmap-core loads MITRE's official STIX bundles (STIX 2.1, and the older 2.0 layout) for any
//! ATT&CK domain (enterprise, mobile, ICS) into an [`Attack`]: tactics in matrix order,
//! techniques and sub-techniques, mitigations, groups, software, campaigns, data sources and
//! components, detection strategies and analytics, ICS assets, and their relationships in a
//! petgraph graph. It answers the questions covmap asks of ATT&CK in one call each: lookups by
//! ATT&CK ID, STIX id, name or alias; the techniques a group uses and through what; who uses a
//! technique, what mitigates it and how to detect it; what replaced a revoked object; and what
//! changed between two releases ([`diff::diff`]).
//!
//! Pipeline: bytes -> [`stix`](crate) typed borrowing parse -> plain data -> [`Attack`] (indexes and
//! graph). [`cache::load_cached`] stores the parsed data in a compact binary file so that later
//! loads of the same bundle skip the JSON parse.
//!
//! ```no_run
//! use covmap_core::Attack;
//! let attack = Attack::load("enterprise-attack-18.1.json".as_ref())?;
//! let apt29 = attack.resolve("Cozy Bear").expect("known alias");
//! for used in attack.techniques_used_by(apt29) {
//!     println!("{}", attack.techniques()[used.technique as usize].meta.id());
//! }
//! # Ok::<(), covmap_core::LoadError>(())
//! ```
//!
//! The crate knows nothing of inventories, YAML, rendering or the command line, never prints,
//! and never exits.

// No panics on user-controlled data: unwrap, expect, panic! and unchecked indexing are refused
// outside tests; the few modules that index their own arrays say why they may.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod attack;
pub mod builtin;
pub mod cache;
mod data;
pub mod diff;
pub mod error;
pub mod input;
pub mod model;
mod stix;
pub mod store;
mod text;

pub use attack::{
    Attack, Counts, Detection, NameMatch, Object, Route, TechniqueUse, Users, renamed_platform,
};
pub use cache::{CacheStatus, load_cached, load_cached_builtin};
pub use error::LoadError;
pub use model::{
    Analytic, AnalyticSource, Asset, AttackObject, Campaign, DataComponent, DataSource,
    DetectionStrategy, Group, Kind, LogSource, Meta, Mitigation, ObjectRef, RelKind, Relationship,
    Software, SoftwareKind, Tactic, Technique,
};
