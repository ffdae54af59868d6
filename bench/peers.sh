#!/usr/bin/env bash
# covmap side by side with peer tools, as whole processes on this machine:
#   A "list techniques":           covmap attack techniques   vs mitreattack-python MitreAttackData
#   B "sigma to navigator layer":  covmap import sigma + export navigator
#                                                              vs sigma-cli `sigma analyze attack count`
#   C "report":                    covmap assess -o (SVG, CSV, XLSX, layer)
#                                                              vs mitreattack-python ToSvg and ToExcel
# Peers come from PyPI into a throwaway virtualenv under ${TMPDIR:-/tmp}/covmap-peers (never in
# the repo); a peer that cannot be installed, and a covmap command that fails (or does not exist
# yet), is skipped with a message on stderr. Each command runs RUNS times (default 5) after
# WARMUP untimed runs (default 1; it also fills covmap's and pySigma's ATT&CK caches); the table
# gives the median wall time (bash EPOCHREALTIME around GNU time) and the median peak RSS
# (`/usr/bin/time -f '%e %M'`). ratio = the row's median time / covmap's in the same job.
#
# Usage: bench/peers.sh [--write] [--fresh]
#   --write  also replace the section between <!-- peers:begin --> and <!-- peers:end --> in
#            docs/performance.md (PERF_DOC), appending the markers when absent
#   --fresh  recreate the virtualenv
# Environment: RUNS, WARMUP, JOBS (default ABC), COVMAP (binary), BUNDLE, SIGMA_DIR, INVENTORY,
#   SIGMA_CLI_SPEC / MITREATTACK_SPEC (pip requirement specs, to pin versions), PERF_DOC.
# Needs python3 (with venv), GNU time (/usr/bin/time), and PyPI for the first run.
# The script builds nothing: build covmap first (cargo build --release -p covmap-cli).
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${DATA:-$ROOT/../shared/data}
BUNDLE=${BUNDLE:-$DATA/attack/enterprise-attack-18.1.json}
SIGMA_DIR=${SIGMA_DIR:-$DATA/corpora/sigma/rules}
INVENTORY=${INVENTORY:-$ROOT/examples/01-midsize-company/inventory.yaml}
# Used for job C's peers only when covmap did not write a layer for INVENTORY.
FALLBACK_LAYER=${FALLBACK_LAYER:-$DATA/corpora/navigator/atomic-red-team/atomics/Indexes/Attack-Navigator-Layers/art-navigator-layer-linux.json}
PERF_DOC=${PERF_DOC:-$ROOT/docs/performance.md}
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
JOBS=${JOBS:-ABC}
SIGMA_CLI_SPEC=${SIGMA_CLI_SPEC:-sigma-cli}
MITREATTACK_SPEC=${MITREATTACK_SPEC:-mitreattack-python}
PEERS_DIR=${TMPDIR:-/tmp}/covmap-peers
VENV=$PEERS_DIR/venv
WORK=$PEERS_DIR/work

# ---- covmap command lines (adjust here) ---------------------------------------------------
# Each is the argument list after `$COVMAP --attack $BUNDLE`.
COVMAP=${COVMAP:-$ROOT/target/release/covmap}
export COVMAP_CACHE_DIR=$WORK/covmap-cache
# Job A. Sub-techniques included, like MitreAttackData.get_techniques(). If `attack techniques`
# is not in `covmap attack --help`, detect_covmap_techniques below tries other spellings.
COVMAP_TECHNIQUES=(attack techniques --subtechniques --format csv)
# Job B, two commands run back to back in one timed `bash -c`.
# `sigma analyze attack` counts rules of every status; covmap's default is stable and test, so
# experimental is added to read the same rules (deprecated and unsupported never count in covmap).
COVMAP_SIGMA_INVENTORY=$WORK/covmap-sigma.yaml
COVMAP_IMPORT_SIGMA=(import sigma "$SIGMA_DIR" --status stable,test,experimental -o "$COVMAP_SIGMA_INVENTORY")
COVMAP_EXPORT_NAVIGATOR=(export navigator "$COVMAP_SIGMA_INVENTORY" -o "$WORK/covmap-sigma-layer.json")
# Job C. The peers export SVG and Excel; covmap writes its SVG heatmap and charts, CSV, XLSX
# and Navigator layer (everything but PNG and HTML), from the inventory, in one process.
COVMAP_REPORT_DIR=$WORK/covmap-report
COVMAP_REPORT=(assess "$INVENTORY" -o "$COVMAP_REPORT_DIR" --outputs svg,csv,xlsx,layer)
# ---------------------------------------------------------------------------------------------

write=0
fresh=0
for arg in "$@"; do
  case $arg in
    --write) write=1 ;;
    --fresh) fresh=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "peers.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

say() { echo "peers.sh: $*" >&2; }

[[ -x /usr/bin/time ]] || { say "needs GNU time at /usr/bin/time (Debian: apt-get install time)"; exit 2; }
[[ -f $BUNDLE ]] || { say "no ATT&CK bundle at $BUNDLE (set BUNDLE)"; exit 2; }
mkdir -p "$PEERS_DIR"
rm -rf "$WORK"
mkdir -p "$WORK"

# ---- peers: virtualenv and installs ---------------------------------------------------------
if ((fresh)); then rm -rf "$VENV"; fi
have_venv=0
if [[ -x $VENV/bin/python ]] || python3 -m venv "$VENV" >"$WORK/venv.log" 2>&1; then
  have_venv=1
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >>"$WORK/venv.log" 2>&1 || true
else
  say "could not create a virtualenv at $VENV (python3 -m venv); every peer is skipped:"
  tail -3 "$WORK/venv.log" >&2
fi

# pip_version DIST: the installed version from `pip show`, or nothing.
pip_version() {
  "$VENV/bin/python" -m pip show "$1" 2>/dev/null | sed -n 's/^Version: //p'
}

# install_peer SPEC DIST: pip-installs SPEC; true when DIST is importable afterwards.
install_peer() {
  local spec=$1 dist=$2
  ((have_venv)) || return 1
  if "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$spec" >"$WORK/pip-$dist.log" 2>&1; then
    return 0
  fi
  say "SKIP $dist: pip install $spec failed (log: $WORK/pip-$dist.log):"
  tail -5 "$WORK/pip-$dist.log" >&2
  return 1
}

sigma_ok=0
mitre_ok=0
sigma_version=
mitre_version=
if install_peer "$SIGMA_CLI_SPEC" sigma-cli; then
  sigma_ok=1
  sigma_version="sigma-cli $(pip_version sigma-cli), pySigma $(pip_version pysigma)"
fi
if install_peer "$MITREATTACK_SPEC" mitreattack-python; then
  mitre_ok=1
  mitre_version="mitreattack-python $(pip_version mitreattack-python)"
fi

# Inline peer snippets.
cat >"$WORK/mitre_list.py" <<'EOF'
# Job A peer: load the bundle with MitreAttackData and list every active technique.
import sys
from mitreattack.stix20 import MitreAttackData
data = MitreAttackData(sys.argv[1])
techniques = data.get_techniques(remove_revoked_deprecated=True)
for t in techniques:
    ids = [r["external_id"] for r in t.get("external_references", []) if r.get("source_name") == "mitre-attack"]
    print(ids[0] if ids else t["id"], t["name"], sep=",")
print(len(techniques), "techniques", file=sys.stderr)
EOF
cat >"$WORK/mitre_svg.py" <<'EOF'
# Job C peer: Navigator layer -> SVG with mitreattack.navlayers.ToSvg (local bundle).
import sys
from mitreattack.navlayers import Layer, ToSvg
bundle, layer_path, out = sys.argv[1:4]
layer = Layer()
layer.from_file(layer_path)
ToSvg(domain=layer.layer.domain, source="local", resource=bundle).to_svg(layer, filepath=out)
EOF
cat >"$WORK/mitre_xlsx.py" <<'EOF'
# Job C peer: Navigator layer -> Excel with mitreattack.navlayers.ToExcel (local bundle).
import sys
from mitreattack.navlayers import Layer, ToExcel
bundle, layer_path, out = sys.argv[1:4]
layer = Layer()
layer.from_file(layer_path)
# ToExcel names the sheet after the layer; openpyxl refuses : \ / ? * [ ] and more than 31
# characters there (covmap's layer of example 01 is "Northwind Logistics: ATT&CK coverage").
name = layer.layer.name
safe = "".join("-" if c in ':\\/?*[]' else c for c in name)[:31]
if safe != name:
    print(f"ToExcel: sheet title {name!r} -> {safe!r}", file=sys.stderr)
    layer.layer.name = safe
ToExcel(domain=layer.layer.domain, source="local", resource=bundle).to_xlsx(layer, filepath=out)
EOF
# pySigma downloads ATT&CK from GitHub on first use and keeps it in ~/.cache/pysigma; sigma-cli
# has no option for a local bundle, so the runs get their own HOME whose cache is filled from
# BUNDLE with pySigma's own set_url (what `sigma pysigma update-cache --url mitre_attack:FILE`
# does, without also fetching D3FEND). The "cold" row sets the URL in-process, which clears the
# cache, so every run parses the bundle again.
SIGMA_HOME_WARM=$WORK/sigma-home-warm
SIGMA_HOME_COLD=$WORK/sigma-home-cold
cat >"$WORK/sigma_prime.py" <<'EOF'
import sys
from sigma.data import mitre_attack
mitre_attack.set_url(sys.argv[1])
print("pySigma ATT&CK cache:", mitre_attack.mitre_attack_version, len(mitre_attack.mitre_attack_techniques), "techniques")
EOF
cat >"$WORK/sigma_cold.py" <<'EOF'
import sys
from sigma.data import mitre_attack
mitre_attack.set_url(sys.argv[1])
from sigma.cli.main import main
sys.argv = ["sigma"] + sys.argv[2:]
sys.exit(main())
EOF

# ---- measuring ------------------------------------------------------------------------------
ROWS=()         # job|tool|version|median s (unrounded)|peak MiB (ratio added at the end)
declare -A BASE # job -> covmap median seconds

median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) exit 1; if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# run_once CMD...: one timed run; sets RUN_S (wall seconds) and RUN_KB (peak RSS); returns the
# command's exit status. Stdout goes to $WORK/last.out, stderr to $WORK/last.err.
run_once() {
  local t0 t1 rc=0
  t0=$EPOCHREALTIME
  /usr/bin/time -f '%e %M' -o "$WORK/last.time" "$@" >"$WORK/last.out" 2>"$WORK/last.err" || rc=$?
  t1=$EPOCHREALTIME
  RUN_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b - a}')
  RUN_KB=$(tail -1 "$WORK/last.time" | awk '{print $2}')
  return "$rc"
}

# measure JOB TOOL VERSION CMD...: WARMUP + RUNS runs; adds a table row, or a skipped row when
# a run fails (the tail of its stderr goes to our stderr).
measure() {
  local job=$1 tool=$2 version=$3 i rc
  shift 3
  local secs_list=() kbs=()
  say "$job / $tool: $(printf '%q ' "$@")"
  for ((i = 0; i < WARMUP + RUNS; i++)); do
    rc=0
    run_once "$@" || rc=$?
    if ((rc != 0)); then
      say "SKIP $job / $tool: the command exited with status $rc; its stderr ends with:"
      tail -5 "$WORK/last.err" | sed 's/^/    /' >&2
      ROWS+=("$job|$tool|$version|skipped (exit $rc)|")
      return 1
    fi
    if ((i >= WARMUP)); then
      secs_list+=("$RUN_S")
      kbs+=("$RUN_KB")
    fi
  done
  local med kb
  med=$(printf '%s\n' "${secs_list[@]}" | median)
  kb=$(printf '%s\n' "${kbs[@]}" | median)
  ROWS+=("$job|$tool|$version|$med|$(awk -v k="$kb" 'BEGIN {printf "%.1f", k / 1024}')")
  say "  median $(printf '%.3f' "$med") s, peak RSS $(awk -v k="$kb" 'BEGIN {printf "%.1f", k / 1024}') MiB over $RUNS runs: $(printf '%s ' "${secs_list[@]}")"
  if [[ $tool == covmap* && -z ${BASE[$job]:-} ]]; then BASE[$job]=$med; fi # the job's first covmap row
  return 0
}

skip_row() { # JOB TOOL VERSION REASON
  say "SKIP $1 / $2: $4"
  ROWS+=("$1|$2|$3|skipped ($4)|")
}

# ---- covmap ---------------------------------------------------------------------------------
covmap_ok=0
covmap_version=
if [[ -x $COVMAP ]] && covmap_version=$("$COVMAP" --version 2>/dev/null); then
  covmap_ok=1
else
  say "no runnable covmap at $COVMAP (build it: cargo build --release -p covmap-cli, or set COVMAP); covmap rows are skipped"
  covmap_version=-
fi
CM=("$COVMAP" --attack "$BUNDLE")

# Job A's subcommand, from the help texts.
detect_covmap_techniques() {
  local top sub
  top=$("$COVMAP" --help 2>&1 || true)
  if grep -Eq '^ +attack( |$)' <<<"$top"; then
    sub=$("$COVMAP" attack --help 2>&1 || true)
    if grep -Eq '^ +techniques( |$)' <<<"$sub"; then return 0; fi
    if grep -Eq '^ +list( |$)' <<<"$sub"; then COVMAP_TECHNIQUES=(attack list); return 0; fi
  fi
  if grep -Eq '^ +techniques( |$)' <<<"$top"; then COVMAP_TECHNIQUES=(techniques); return 0; fi
  return 1
}

# ---- jobs -----------------------------------------------------------------------------------
job_a() {
  local job="A list techniques"
  if ((covmap_ok)); then
    if detect_covmap_techniques; then
      if measure "$job" "covmap ${COVMAP_TECHNIQUES[*]}" "$covmap_version" "${CM[@]}" "${COVMAP_TECHNIQUES[@]}"; then
        say "  covmap listed $(($(wc -l <"$WORK/last.out") - 1)) techniques"
      fi
      # The same without covmap's parsed-model cache: a full parse of the JSON bundle each run.
      measure "$job" "covmap --no-cache ${COVMAP_TECHNIQUES[*]}" "$covmap_version" \
        "$COVMAP" --no-cache --attack "$BUNDLE" "${COVMAP_TECHNIQUES[@]}" || true
    else
      skip_row "$job" covmap "$covmap_version" "no technique-listing command in covmap --help"
    fi
  else
    skip_row "$job" covmap "$covmap_version" "no covmap binary"
  fi
  if ((mitre_ok)); then
    if measure "$job" "mitreattack-python MitreAttackData.get_techniques" "$mitre_version" \
      "$VENV/bin/python" "$WORK/mitre_list.py" "$BUNDLE"; then
      say "  mitreattack-python listed $(tail -1 "$WORK/last.err")"
    fi
  else
    skip_row "$job" mitreattack-python - "not installed"
  fi
}

job_b() {
  local job="B sigma to navigator layer"
  if ((covmap_ok)); then
    local script
    script="$(printf '%q ' "${CM[@]}" "${COVMAP_IMPORT_SIGMA[@]}") && $(printf '%q ' "${CM[@]}" "${COVMAP_EXPORT_NAVIGATOR[@]}")"
    measure "$job" "covmap import sigma + export navigator" "$covmap_version" bash -c "$script" || true
  else
    skip_row "$job" covmap "$covmap_version" "no covmap binary"
  fi
  if ((sigma_ok)); then
    mkdir -p "$SIGMA_HOME_WARM" "$SIGMA_HOME_COLD"
    if HOME=$SIGMA_HOME_WARM "$VENV/bin/python" "$WORK/sigma_prime.py" "$BUNDLE" >"$WORK/sigma-prime.log" 2>&1; then
      say "  $(tail -1 "$WORK/sigma-prime.log")"
      if measure "$job" "sigma analyze attack count (ATT&CK cached)" "$sigma_version" \
        env HOME="$SIGMA_HOME_WARM" "$VENV/bin/sigma" analyze attack count "$WORK/sigma-layer.json" "$SIGMA_DIR"; then
        say "  sigma-cli layer: $("$VENV/bin/python" -c 'import json,sys; t=json.load(open(sys.argv[1]))["techniques"]; print(len(t), "entries,", len({x["techniqueID"] for x in t}), "techniques")' "$WORK/sigma-layer.json")"
      fi
      measure "$job" "sigma analyze attack count (ATT&CK parsed each run)" "$sigma_version" \
        env HOME="$SIGMA_HOME_COLD" "$VENV/bin/python" "$WORK/sigma_cold.py" "$BUNDLE" analyze attack count "$WORK/sigma-layer-cold.json" "$SIGMA_DIR" || true
    else
      skip_row "$job" sigma-cli "$sigma_version" "could not load ATT&CK into pySigma's cache (log: $WORK/sigma-prime.log)"
    fi
  else
    skip_row "$job" sigma-cli - "not installed"
  fi
}

job_c() {
  local job="C report" layer
  if ((covmap_ok)); then
    measure "$job" "covmap assess -o (svg,csv,xlsx,layer)" "$covmap_version" "${CM[@]}" "${COVMAP_REPORT[@]}" || true
  else
    skip_row "$job" covmap "$covmap_version" "no covmap binary"
  fi
  if [[ -f $COVMAP_REPORT_DIR/layer.json ]]; then
    layer=$COVMAP_REPORT_DIR/layer.json
    say "  peers of job C export covmap's layer of $INVENTORY"
  else
    layer=$FALLBACK_LAYER
    say "  covmap wrote no layer; peers of job C export $layer"
  fi
  if ((mitre_ok)); then
    local svg_ok=0 xlsx_ok=0
    measure "$job" "mitreattack-python ToSvg" "$mitre_version" \
      "$VENV/bin/python" "$WORK/mitre_svg.py" "$BUNDLE" "$layer" "$WORK/mitre.svg" && svg_ok=1
    measure "$job" "mitreattack-python ToExcel" "$mitre_version" \
      "$VENV/bin/python" "$WORK/mitre_xlsx.py" "$BUNDLE" "$layer" "$WORK/mitre.xlsx" && xlsx_ok=1
    if ((svg_ok && xlsx_ok)); then # two processes back to back: times add, peak is the larger
      local n=${#ROWS[@]} s1 s2 m1 m2
      IFS='|' read -r _ _ _ s1 m1 <<<"${ROWS[n - 2]}"
      IFS='|' read -r _ _ _ s2 m2 <<<"${ROWS[n - 1]}"
      ROWS+=("$job|mitreattack-python ToSvg + ToExcel (sum)|$mitre_version|$(awk -v a="$s1" -v b="$s2" 'BEGIN {print a + b}')|$(awk -v a="$m1" -v b="$m2" 'BEGIN {printf "%.1f", (a > b ? a : b)}')")
    fi
  else
    skip_row "$job" mitreattack-python - "not installed"
  fi
  LAYER_USED=$layer
}

LAYER_USED=
if [[ $JOBS == *A* ]]; then job_a; fi
if [[ $JOBS == *B* ]]; then job_b; fi
if [[ $JOBS == *C* ]]; then job_c; fi

# ---- table ----------------------------------------------------------------------------------
rel() { realpath -m --relative-to="$ROOT" "$1"; } # as the repo's other docs spell paths
table() {
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); $(python3 --version 2>&1)."
  echo "Bundle: \`$(rel "$BUNDLE")\`; Sigma rules: \`$(rel "$SIGMA_DIR")\` ($(find "$SIGMA_DIR" -name '*.yml' | wc -l) files);"
  local layer=
  if [[ $LAYER_USED == "$COVMAP_REPORT_DIR/layer.json" ]]; then
    layer="; job C's peers export the \`layer.json\` covmap writes for it"
  elif [[ -n $LAYER_USED ]]; then
    layer="; job C's peers export \`$(rel "$LAYER_USED")\` (covmap wrote no layer)"
  fi
  echo "inventory: \`$(rel "$INVENTORY")\`$layer."
  echo "Median of $RUNS runs after $WARMUP warm-up; peak RSS is the median of the runs' maximum resident set sizes; ratio = time / covmap's time in the same job."
  echo
  echo "| job | tool | version | median s | peak MiB | ratio |"
  echo "|---|---|---|---:|---:|---:|"
  local row job tool version secs mib ratio
  for row in "${ROWS[@]}"; do
    IFS='|' read -r job tool version secs mib <<<"$row"
    ratio=n/a
    if [[ -n ${BASE[$job]:-} && $secs =~ ^[0-9.]+$ ]]; then
      ratio=$(awk -v a="$secs" -v b="${BASE[$job]}" 'BEGIN {printf "%.2f", a / b}')
    fi
    if [[ $secs =~ ^[0-9.]+$ ]]; then secs=$(printf '%.3f' "$secs"); fi
    echo "| $job | $tool | $version | $secs | ${mib:--} | $ratio |"
  done
}
out=$(table)
echo "$out"

if ((write)); then
  section=$(printf '%s\n\n%s\n\n%s\n' "## Peer tools side by side (\`bench/peers.sh\`)" \
    "Command: \`RUNS=$RUNS WARMUP=$WARMUP$(if [[ $JOBS != ABC ]]; then echo " JOBS=$JOBS"; fi) bench/peers.sh --write\`." "$out")
  tmp=$(mktemp)
  if [[ -f $PERF_DOC ]] && grep -q '^<!-- peers:begin -->$' "$PERF_DOC" && grep -q '^<!-- peers:end -->$' "$PERF_DOC"; then
    SECTION=$section awk '
      /^<!-- peers:begin -->$/ {print; print ENVIRON["SECTION"]; skip = 1; next}
      /^<!-- peers:end -->$/ {skip = 0}
      !skip {print}' "$PERF_DOC" >"$tmp"
  else
    { if [[ -f $PERF_DOC ]]; then cat "$PERF_DOC"; echo; fi
      printf '<!-- peers:begin -->\n%s\n<!-- peers:end -->\n' "$section"; } >"$tmp"
  fi
  cat "$tmp" >"$PERF_DOC" # keeps the file's mode
  rm -f "$tmp"
  say "wrote the peers section of $PERF_DOC"
fi
