# covmap developer recipes. `just` lists them.

# List the recipes.
default:
    @just --list

# Build everything in release mode.
build:
    cargo build --workspace --release

# Format the code.
fmt:
    cargo fmt --all

# Lint exactly as CI does.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Run the test suite (the README's test command).
test:
    cargo test --workspace

# Review insta snapshots.
snap:
    cargo insta review

# Build the API docs.
doc:
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

# Run the criterion benchmarks (real bundles from ../shared).
bench:
    cargo bench --workspace

# Run exactly what CI runs.
ci:
    bash .ci/run

# Show covmap on the real ATT&CK bundle in ../shared (no network needed).
demo:
    cargo run --release -- --attack ../shared/data/attack/enterprise-attack-18.1.json attack info
    cargo run --release -- --attack ../shared/data/attack/enterprise-attack-18.1.json attack group APT29 --format csv
    cargo run --release -- --attack ../shared/data/attack/enterprise-attack-18.1.json attack show T1574.002
    cargo run --release -- attack diff ../shared/data/attack/enterprise-attack-15.1.json ../shared/data/attack/enterprise-attack-18.1.json
    cargo run --release -- --attack ../shared/data/attack/enterprise-attack-18.1.json assess examples/01-midsize-company/inventory.yaml -o report

# Remake the ATT&CK release built into covmap from the official bundles in DIR (enterprise-,
# mobile- and ics-attack-RELEASE.json; RELEASE defaults to the newest DIR holds for all three).
# Needs the `zstd` command. See crates/covmap-core/builtin/README.md.
builtin-attack DIR="../shared/data/attack" RELEASE="":
    cargo run -p covmap-core --example builtin-attack -- {{DIR}} {{RELEASE}}

# Issue 4's speed target: `assess -o` (all outputs but PNG) against python's json.load.
bench-report:
    bash bench/report.sh

# Install the shell completion script and man page into ./target/share.
share:
    mkdir -p target/share/man/man1 target/share/completions
    cargo run --release -- man > target/share/man/man1/covmap.1
    cargo run --release -- completions bash > target/share/completions/covmap.bash

# Fuzz every parser for SECONDS each (default 600), seeded from fixtures/ and ../shared corpora.
# Needs cargo-fuzz: `cargo install cargo-fuzz`. Results: fuzz/logs/, crashes in fuzz/artifacts/.
fuzz SECONDS="600" *TARGETS:
    bash fuzz/run.sh {{SECONDS}} {{TARGETS}}
