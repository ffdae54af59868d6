//! One benchmark per importer, on the shared corpora (`../shared/data/corpora/`; skipped with
//! a notice when missing): reading every file of the folder, parsing, grouping into
//! capabilities and resolving the IDs against the real enterprise ATT&CK 18.1 bundle, as
//! `covmap import FORMAT FOLDER` does before writing.
//!
//! - `import/sigma`: 783 Sigma rules; `import/elastic`: 206 Elastic rules; `import/splunk`:
//!   171 Splunk detections; `import/navigator`: 5 layers; `import/dettect`: 9 DeTT&CT files;
//!   `import/ctid`: the 3 Mappings Explorer files (6,370 rows); `import/auto`: every corpus at
//!   once, each file's format recognised.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use covmap_assess::inventory::ImportFormat;
use covmap_core::Attack;
use covmap_import::request::Request;
use criterion::{Criterion, criterion_group, criterion_main};

fn shared(rel: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel);
    if path.exists() {
        Some(path)
    } else {
        #[allow(clippy::print_stderr)] // a benchmark's only way to say what it skipped
        {
            eprintln!("skipped: benchmark needs {}", path.display());
        }
        None
    }
}

fn importers(c: &mut Criterion) {
    let Some(bundle) = shared("attack/enterprise-attack-18.1.json") else {
        return;
    };
    let attack = Attack::load(&bundle).expect("real bundle loads");
    let cases = [
        ("sigma", ImportFormat::Sigma, "corpora/sigma/rules"),
        ("elastic", ImportFormat::Elastic, "corpora/elastic/rules"),
        ("splunk", ImportFormat::Splunk, "corpora/splunk/detections"),
        ("navigator", ImportFormat::Navigator, "corpora/navigator"),
        (
            "dettect",
            ImportFormat::Dettect,
            "corpora/dettect/sample-data",
        ),
        ("ctid", ImportFormat::Ctid, "corpora/ctid/mappings-explorer"),
        ("auto", ImportFormat::Auto, "corpora"),
    ];
    let mut group = c.benchmark_group("import");
    group.measurement_time(Duration::from_secs(5));
    group.sample_size(20);
    for (name, format, rel) in cases {
        let Some(path) = shared(rel) else {
            continue;
        };
        let request = Request::new(format, vec![path]);
        group.bench_function(name, |b| {
            b.iter(|| black_box(request.run(&attack).expect("the corpus imports")));
        });
    }
    group.finish();
}

criterion_group!(benches, importers);
criterion_main!(benches);
