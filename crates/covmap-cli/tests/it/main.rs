//! Integration tests of the `covmap` binary: exit codes, stdout and stderr of every command, on
//! the synthetic fixtures in `fixtures/attack/` and on the real ATT&CK bundles in `../shared`.
//! Every run gets its own cache directory and is offline; downloads go to a local test server.

#[macro_use]
mod common;

mod bad_input;
mod bad_suite;
mod builtin;
mod diff;
mod fetch;
mod files;
mod group;
mod help;
mod info;
mod locate;
mod misc;
mod names;
mod real;
mod show;
mod techniques;
mod terminal;

// The inventory commands (validate, assess, gaps, compare, threats, check, schema); `inv` holds
// their helpers.
mod assess;
mod check;
mod compare;
mod gaps;
mod import;
mod inv;
mod plan;
mod profiles;
mod report;
mod rollups;
mod size;
mod telemetry;
mod threats;
mod trust;
mod validate;
