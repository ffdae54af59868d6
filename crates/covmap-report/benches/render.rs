//! Criterion benchmarks of each renderer on example 01 against the real enterprise ATT&CK 18.1
//! bundle (`../shared`), or on the synthetic fixture when that is absent.

#![allow(missing_docs, unreachable_pub, dead_code)]

#[path = "../tests/it/common.rs"]
mod common;

use covmap_report::{OutputKind, RenderOptions, render};
use criterion::{Criterion, criterion_group, criterion_main};

fn renderers(c: &mut Criterion) {
    let owned = common::example_01().unwrap_or_else(common::full);
    let input = owned.input();
    let options = RenderOptions::default();
    let mut group = c.benchmark_group("render");
    group.sample_size(10);
    for kind in OutputKind::ALL {
        group.bench_function(kind.name(), |b| {
            b.iter(|| render(&input, &options, &[kind]).expect("renders"));
        });
    }
    group.bench_function("all-but-png", |b| {
        let kinds: Vec<OutputKind> = OutputKind::ALL
            .into_iter()
            .filter(|k| *k != OutputKind::Png)
            .collect();
        b.iter(|| render(&input, &options, &kinds).expect("renders"));
    });
    group.finish();
}

criterion_group!(benches, renderers);
criterion_main!(benches);
