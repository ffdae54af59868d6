//! Integration tests of covmap-import: the real corpora of `../shared/data/corpora`.

mod common;
mod ctid;
mod dettect;
mod elastic;
mod navigator;
mod profile;
mod request;
mod sigma;
mod splunk;
mod systems;
mod telemetry;
