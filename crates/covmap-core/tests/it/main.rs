//! Integration tests of covmap-core: synthetic fixtures and the real bundles in `../shared`.

mod builtin;
mod common;
mod fixtures;
mod names;
mod real;
