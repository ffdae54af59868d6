#!/usr/bin/env bash
# Issue 4's speed target, side by side as whole processes on this machine: `covmap assess` of
# example 01 writing every output but the PNG, versus Python's json.load of the bundle alone.
# Needs hyperfine (Debian: apt-get install hyperfine). Prints markdown.
set -euo pipefail
cd "$(dirname "$0")/.."
bundle="${1:-../shared/data/attack/enterprise-attack-18.1.json}"
cargo build --release -q -p covmap-cli
covmap=target/release/covmap
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export COVMAP_CACHE_DIR="$work/cache"
inventory=examples/01-midsize-company/inventory.yaml
python="python3 -c 'import json,sys; json.load(open(sys.argv[1]))' $bundle"
report="$covmap --attack $bundle assess $inventory -o $work/out --outputs svg,csv,xlsx,layer,html"
png="$covmap --attack $bundle assess $inventory -o $work/png --outputs png"
$covmap --attack "$bundle" attack info >/dev/null # fills the model cache
echo "bundle: $bundle; $(nproc) cores; $(python3 --version)"
echo
hyperfine -N --warmup 3 --runs "${RUNS:-20}" --export-markdown "$work/h.md" \
  --command-name "python json.load" "$python" \
  --command-name "covmap assess -o (all outputs but PNG)" "$report" \
  --command-name "covmap assess -o --outputs png" "$png" >/dev/null 2>&1
cat "$work/h.md"
