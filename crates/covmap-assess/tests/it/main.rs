//! Integration tests of covmap-assess: one binary, one module per area.

mod adversary;
mod builder;
mod check;
mod compare;
mod gaps;
mod onboarding;
mod plan;
mod props;
mod real;
mod score;
mod telemetry;
mod threats;
mod validate;
mod yaml_fast;
