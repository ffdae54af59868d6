#!/usr/bin/env bash
# Issue 20's targets, as whole processes interleaved with their reference (A B A B ...), with
# medians: on a shared machine only pairs taken side by side make a ratio mean something.
#  1. `covmap assess big.yaml --format json` (2,000 x 20, bench/gen-inventory.py) against
#     Python's json.load of the enterprise bundle: at most 0.35 of it;
#  2. 400k entries (20,000 x 20) against 100k (5,000 x 20): at most 4.4x the time, and peak
#     memory under 1 KiB per entry above the model's own (`covmap attack info`, warm);
#  3. the default thread count against `--jobs 1`: never slower;
#  4. a cold load (`--no-cache attack info`, and a first load through an empty model cache,
#     which also writes the cache): peak memory at most 2x the bundle file;
#  5. `covmap validate big.yaml`.
# Optional: BASE=path/to/an/older/covmap interleaves it with this build for before/after rows.
# Needs GNU time (/usr/bin/time). Prints one line per measurement: PAIRS (default 10) pairs,
# PAIRS_BIG (default 3) for the 100k/400k runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bundle="${BUNDLE:-../shared/data/attack/enterprise-attack-18.1.json}"
if [[ -z ${COVMAP:-} ]]; then
  cargo build --release -q -p covmap-cli
  COVMAP=target/release/covmap
fi
pairs=${PAIRS:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export COVMAP_CACHE_DIR="$work/cache"
python3 bench/gen-inventory.py "$bundle" "$work/big.yaml"
python3 bench/gen-inventory.py "$bundle" "$work/100k.yaml" 5000 20
python3 bench/gen-inventory.py "$bundle" "$work/400k.yaml" 20000 20
"$COVMAP" --attack "$bundle" attack info >/dev/null # fills the model cache
if [[ -n ${BASE:-} ]]; then "$BASE" --attack "$bundle" attack info >/dev/null; fi

# run NAME CMD...: one run; appends "seconds peak_kib" to $work/NAME.
run() {
  local name=$1 t0 t1
  shift
  t0=$EPOCHREALTIME
  /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>&1 || true
  t1=$EPOCHREALTIME
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b - a}') $(tail -1 "$work/rss")" >>"$work/$name"
}
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
secs() { cut -d' ' -f1 "$work/$1" | median; }
kib() { cut -d' ' -f2 "$work/$1" | median; }
# pair A_NAME B_NAME A_CMD -- B_CMD: PAIRS interleaved pairs after one warm-up of each.
pair() {
  local a=$1 b=$2 i
  shift 2
  local -a ca=() cb=()
  while [[ $1 != -- ]]; do ca+=("$1"); shift; done
  shift
  cb=("$@")
  "${ca[@]}" >/dev/null 2>&1 || true
  "${cb[@]}" >/dev/null 2>&1 || true
  for ((i = 0; i < pairs; i++)); do
    run "$a" "${ca[@]}"
    run "$b" "${cb[@]}"
  done
  echo "$a: median $(secs "$a") s, peak $(($(kib "$a") / 1024)) MiB | $b: median $(secs "$b") s, peak $(($(kib "$b") / 1024)) MiB | ratio $b/$a $(awk -v a="$(secs "$a")" -v b="$(secs "$b")" 'BEGIN {printf "%.3f", b / a}')"
}

cm=("$COVMAP" --attack "$bundle")
# A first load: the command in a model cache directory of its own, empty, removed afterwards.
first_load=(sh -c 'd=$(mktemp -d) && COVMAP_CACHE_DIR=$d "$@"; s=$?; rm -rf "$d"; exit $s' first-load)
echo "bundle: $bundle ($(stat -c %s "$bundle") bytes); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); $(python3 --version); $pairs pairs"
echo "1. assess --format json vs json.load (target: ratio at most 0.35)"
pair python assess python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$bundle" -- \
  "${cm[@]}" assess "$work/big.yaml" --format json
echo "3. default threads vs --jobs 1 (target: ratio at most 1)"
pair jobs1 default "${cm[@]}" --jobs 1 assess "$work/big.yaml" --format json -- \
  "${cm[@]}" assess "$work/big.yaml" --format json
echo "5. validate vs json.load"
pair python5 validate python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$bundle" -- \
  "${cm[@]}" validate "$work/big.yaml"
echo "2. 100k vs 400k entries (target: ratio at most 4.4; under 1 KiB an entry above the model)"
small_pairs=$pairs
pairs=${PAIRS_BIG:-3}
pair e100k e400k "${cm[@]}" assess "$work/100k.yaml" --format json -- \
  "${cm[@]}" assess "$work/400k.yaml" --format json
pairs=$small_pairs
pair model model2 "${cm[@]}" attack info -- "${cm[@]}" attack info
echo "   model alone: peak $(($(kib model) / 1024)) MiB; above it: 100k $(awk -v a="$(kib e100k)" -v m="$(kib model)" 'BEGIN {printf "%.0f", (a - m) * 1024 / 100000}') B/entry, 400k $(awk -v a="$(kib e400k)" -v m="$(kib model)" 'BEGIN {printf "%.0f", (a - m) * 1024 / 400000}') B/entry"
echo "4. cold load (target: peak at most 2x the file)"
pair python4 cold python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$bundle" -- \
  "$COVMAP" --no-cache --attack "$bundle" attack info
echo "   cold peak / file: $(awk -v k="$(kib cold)" -v f="$(stat -c %s "$bundle")" 'BEGIN {printf "%.2f", k * 1024 / f}')"
pair python4b first python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$bundle" -- \
  "${first_load[@]}" "${cm[@]}" attack info
echo "   first-load peak / file: $(awk -v k="$(kib first)" -v f="$(stat -c %s "$bundle")" 'BEGIN {printf "%.2f", k * 1024 / f}')"
if [[ -n ${BASE:-} ]]; then
  echo "before/after (BASE=$BASE)"
  bm=("$BASE" --attack "$bundle")
  pair base-assess assess2 "${bm[@]}" assess "$work/big.yaml" --format json -- \
    "${cm[@]}" assess "$work/big.yaml" --format json
  pair base-validate validate2 "${bm[@]}" validate "$work/big.yaml" -- \
    "${cm[@]}" validate "$work/big.yaml"
  pair base-cold cold2 "$BASE" --no-cache --attack "$bundle" attack info -- \
    "$COVMAP" --no-cache --attack "$bundle" attack info
  pair base-first first2 "${first_load[@]}" "${bm[@]}" attack info -- \
    "${first_load[@]}" "${cm[@]}" attack info
  pairs=${PAIRS_BIG:-3}
  pair base-400k e400k2 "${bm[@]}" assess "$work/400k.yaml" --format json -- \
    "${cm[@]}" assess "$work/400k.yaml" --format json
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
