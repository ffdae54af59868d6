#!/usr/bin/env bash
# Issue 2's speed target, side by side as whole processes on this machine:
# `covmap attack info` on the enterprise bundle versus Python's json.load of the same file.
# Needs hyperfine and GNU time (Debian: apt-get install hyperfine time). Prints markdown.
set -euo pipefail
cd "$(dirname "$0")/.."
bundle="${1:-../shared/data/attack/enterprise-attack-18.1.json}"
cargo build --release -q -p covmap-cli
covmap=target/release/covmap
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
export COVMAP_CACHE_DIR="$cache"
python="python3 -c 'import json,sys; json.load(open(sys.argv[1]))' $bundle"
warm="$covmap --attack $bundle attack info"
cold="$covmap --no-cache --attack $bundle attack info"
$warm >/dev/null # fills the model cache
echo "bundle: $bundle ($(stat -c %s "$bundle") bytes); $(nproc) cores; $(python3 --version)"
echo
hyperfine -N --warmup 3 --runs "${RUNS:-20}" --export-markdown "$cache/h.md" \
  --command-name "python json.load" "$python" \
  --command-name "covmap attack info (model cache warm)" "$warm" \
  --command-name "covmap attack info --no-cache (full JSON parse)" "$cold" >/dev/null
cat "$cache/h.md"
echo
echo "| command | peak RSS (MiB) |"
echo "|---|---:|"
for pair in "python json.load|$python" "covmap (warm)|$warm" "covmap --no-cache|$cold"; do
  name=${pair%%|*}; cmd=${pair#*|}
  kb=$( { eval "/usr/bin/time -f %M $cmd" >/dev/null; } 2>&1 | tail -1)
  echo "| $name | $((kb / 1024)) |"
done
