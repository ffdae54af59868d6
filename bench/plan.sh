#!/usr/bin/env bash
# Issue 17's speed targets for `covmap plan`, side by side as whole processes on this machine:
#  1. `covmap plan` of example 01 (every ATT&CK mitigation is an action) against Python's
#     json.load of the enterprise bundle: covmap must take less wall time;
#  2. `covmap plan` of the 2,000 x 20 generated inventory with 100 candidates (every 20th
#     capability made a candidate, with its cost) against three times json.load.
# Needs hyperfine (Debian: apt-get install hyperfine). Prints markdown.
set -euo pipefail
cd "$(dirname "$0")/.."
bundle="${1:-../shared/data/attack/enterprise-attack-18.1.json}"
cargo build --release -q -p covmap-cli
covmap=target/release/covmap
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export COVMAP_CACHE_DIR="$work/cache"
python3 bench/gen-inventory.py "$bundle" "$work/big.yaml"
# Every 20th capability becomes a candidate: 100 candidates, 1,900 deployed.
python3 - "$work/big.yaml" "$work/big-candidates.yaml" <<'PY'
import re, sys
src, out = sys.argv[1], sys.argv[2]
n = -1
with open(src) as f, open(out, "w") as o:
    for line in f:
        o.write(line)
        if re.match(r"  - id: cap-\d{4}$", line.rstrip("\n")):
            n += 1
            if n % 20 == 0:
                o.write("    status: candidate\n")
PY
$covmap --attack "$bundle" attack info >/dev/null # fills the model cache
python="python3 -c 'import json,sys; json.load(open(sys.argv[1]))' $bundle"
small="$covmap --attack $bundle plan examples/01-midsize-company/inventory.yaml --format json"
big="$covmap --attack $bundle plan $work/big-candidates.yaml --format json"
echo "bundle: $bundle; $(nproc) cores; $(python3 --version)"
echo "actions: example 01 $($small 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["actions"]))'), generated $($big 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["actions"]), "of which candidates", sum(a["kind"]=="candidate" for a in d["actions"]))')"
echo
hyperfine -N --warmup 2 --runs "${RUNS:-10}" --export-markdown "$work/h.md" \
  --command-name "python json.load" "$python" \
  --command-name "covmap plan (example 01, every mitigation)" "$small" \
  --command-name "covmap plan (2,000 x 20, 100 candidates)" "$big" >/dev/null 2>&1
cat "$work/h.md"
