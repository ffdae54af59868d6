#!/usr/bin/env bash
# Prints the runs recorded in fuzz/logs/ as the Markdown table of docs/reliability.md.
set -uo pipefail
cd "$(dirname "$0")"
echo "| target | inputs at start | time s | executions | exec/s | coverage (edges) at start -> end | corpus at end | peak RSS MiB | crashes |"
echo "|---|---:|---:|---:|---:|---|---:|---:|---:|"
for log in logs/*.log; do
  t=$(basename "$log" .log)
  init=$(grep -m1 -E 'INITED' "$log" | sed -E 's/.*cov: ([0-9]+).*/\1/')
  seeds=$(grep -m1 -E 'INITED' "$log" | sed -E 's/^#([0-9]+).*/\1/')
  done_line=$(grep -E '^Done [0-9]+ runs in' "$log" || true)
  secs=$(echo "$done_line" | sed -E 's/Done [0-9]+ runs in ([0-9]+) second.*/\1/')
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
  rate=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}')
  rss=$(grep -E '^stat::peak_rss_mb' "$log" | awk '{print $2}')
  last=$(grep -E '^#[0-9]+.*DONE' "$log" | tail -1)
  cov=$(echo "$last" | sed -E 's/.*cov: ([0-9]+).*/\1/')
  corp=$(echo "$last" | sed -E 's/.*corp: ([0-9]+)\/.*/\1/')
  crashes=$(ls "artifacts/$t" 2>/dev/null | wc -l)
  echo "| $t | $seeds | ${secs:-?} | ${execs:-?} | ${rate:-?} | $init -> ${cov:-?} | ${corp:-?} | ${rss:-?} | $crashes |"
done
