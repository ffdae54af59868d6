#!/usr/bin/env bash
# Runs covmap's fuzz targets (cargo-fuzz, libFuzzer) for SECONDS each, seeded from fixtures/
# and, when present, the shared corpora in ../shared/data/corpora (copied into the ignored
# fuzz/corpus/TARGET, never committed). Crashes land in fuzz/artifacts/TARGET; each run's
# libFuzzer output is kept in fuzz/logs/TARGET.log, whose last lines give the executions and
# coverage reported in docs/reliability.md.
#
# Usage: fuzz/run.sh [SECONDS] [TARGET...]     (default: 600 s, every target)
# Needs cargo-fuzz (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP=1 lets the stable toolchain
# take the sanitizer flags.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${1:-600}
shift || true
ALL=(stix_bundle inventory assessment navigator sigma elastic splunk ctid dettect sysmon yaml_chunks)
TARGETS=("${@:-${ALL[@]}}")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=("${ALL[@]}")
ROOT=..
SHARED=$ROOT/../shared/data
export RUSTC_BOOTSTRAP=1

seed() { # TARGET FIND-ARGS...: copies matching files into the target's corpus
  local target=$1
  shift
  mkdir -p "corpus/$target"
  find -L "$@" -type f -size -256k 2>/dev/null | while read -r f; do
    cp "$f" "corpus/$target/$(printf '%s' "$f" | cksum | cut -d' ' -f1)-$(basename "$f")"
  done
}

seeds() {
  case $1 in
    stix_bundle) seed "$1" "$ROOT/fixtures/attack" "$ROOT/fixtures/bad/bundle" "$ROOT/fixtures/bad/accepted/bundle.json" ;;
    inventory | yaml_chunks) seed "$1" "$ROOT/fixtures/inventory" "$ROOT/examples" "$ROOT/fixtures/bad/inventory" "$ROOT/fixtures/report" -name '*.yaml' ;;
    assessment) seed "$1" "$ROOT/fixtures/report" "$ROOT/fixtures/bad/assessment" -name '*.json' ;;
    navigator) seed "$1" "$ROOT/fixtures/import/navigator" "$ROOT/fixtures/bad/navigator" "$SHARED/corpora/navigator" -name '*.json' ;;
    sigma) seed "$1" "$ROOT/fixtures/import/sigma" "$ROOT/fixtures/bad/sigma" "$SHARED/corpora/sigma" -name '*.yml' ;;
    elastic) seed "$1" "$ROOT/fixtures/import/elastic" "$ROOT/fixtures/bad/elastic" "$SHARED/corpora/elastic" -name '*.toml' ;;
    splunk) seed "$1" "$ROOT/fixtures/import/splunk" "$ROOT/fixtures/bad/splunk" "$SHARED/corpora/splunk" -name '*.yml' ;;
    ctid) seed "$1" "$ROOT/fixtures/import/ctid" "$ROOT/fixtures/bad/ctid" "$SHARED/corpora/ctid" \( -name '*.json' -o -name '*.yaml' \) ;;
    dettect) seed "$1" "$ROOT/fixtures/import/dettect" "$ROOT/fixtures/bad/dettect" "$SHARED/corpora/dettect" -name '*.yaml' ;;
    sysmon) seed "$1" "$ROOT/fixtures/import/sysmon" "$ROOT/fixtures/bad/sysmon" "$SHARED/corpora/sysmon" -name '*.xml' ;;
  esac
}

cargo fuzz build -O
mkdir -p logs
for target in "${TARGETS[@]}"; do
  seeds "$target"
  echo "fuzz: $target for ${SECONDS_EACH}s ($(ls "corpus/$target" | wc -l) seeds)"
  # -max_len: the largest seeds (mini bundles, CTID files) are ~120 kB.
  if cargo fuzz run -O "$target" "corpus/$target" -- -max_total_time="$SECONDS_EACH" \
      -max_len=262144 -rss_limit_mb=4096 -timeout=20 -print_final_stats=1 >"logs/$target.log" 2>&1; then
    echo "fuzz: $target: no crash; $(grep -E '^stat::number_of_executed_units' "logs/$target.log" | awk '{print $2}') executions"
  else
    echo "fuzz: $target FOUND A CRASH: see fuzz/logs/$target.log and fuzz/artifacts/$target/"
  fi
done
