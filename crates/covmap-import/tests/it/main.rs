//! Integration tests of covmap-import: the real corpora of `../shared/data/corpora`.

mod common;
mod ctid;
mod dettect;
mod navigator;
mod sigma;
mod splunk;
