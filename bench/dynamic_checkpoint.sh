#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The engine's dynamic distribution and checkpoints (issue 10), side by side in one run:
#   - mandelbrot, upper view (the cardioid in the lower rows: contiguous halves imbalanced):
#     1x1, and 2x1 with --distribution block and dynamic;
#   - pi (balanced) at 2x1, block against dynamic;
#   - the cost of --checkpoint DIR on pi and numbers --quiet at 2x1.
# hpar's time is the total phase of --report-json (slowest rank); best of REPS rounds (default
# 3), the rows interleaved in each round. Waits for a load average under 0.5 and prints it.
#
#   bash bench/dynamic_checkpoint.sh [BUILD_DIR]      (default build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
hpar=${1:-build/release}/hpar
reps=${REPS:-3}
[ -x "$hpar" ] || { echo "no $hpar: build first" >&2; exit 1; }
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for _ in $(seq 1 36); do
  awk '{ exit !($1 < 0.5) }' /proc/loadavg && break
  sleep 5
done
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

mandel=(mandelbrot --width 1024 --height 768 --max-iter 2000 --center-y 0.5 --threads 1)
pi=(pi --samples 8e9 --threads 1)
numbers=(numbers --range 1:200000000 --quiet --threads 1)
rows=(
  "mandelbrot 1x1|1|${mandel[*]}"
  "mandelbrot 2x1 block|2|${mandel[*]} --distribution block"
  "mandelbrot 2x1 dynamic|2|${mandel[*]} --distribution dynamic"
  "pi 2x1 block|2|${pi[*]} --distribution block"
  "pi 2x1 dynamic|2|${pi[*]} --distribution dynamic"
  "pi 2x1 checkpoint|2|${pi[*]} --checkpoint CK"
  "numbers 2x1|2|${numbers[*]}"
  "numbers 2x1 checkpoint|2|${numbers[*]} --checkpoint CK"
)
declare -A best
for round in $(seq 1 "$reps"); do
  for i in "${!rows[@]}"; do
    IFS='|' read -r _ np args <<<"${rows[$i]}"
    rm -rf "$work/ck"
    read -ra argv <<<"${args//CK/$work/ck}"
    mpirun -np "$np" --bind-to none "$hpar" run "${argv[@]}" --no-report \
      --report-json "$work/r.json" >"$work/out" 2>/dev/null
    t=$(python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert r["verification"]["status"] == "PASS", r["verification"]
print(r["phases"]["total"]["max"])' "$work/r.json")
    if [ -z "${best[$i]:-}" ] || awk -v a="$t" -v b="${best[$i]}" 'BEGIN { exit !(a < b) }'; then
      best[$i]=$t
    fi
  done
  echo "round $round done, load average $(cut -d' ' -f1 /proc/loadavg)"
done
for i in "${!rows[@]}"; do printf '%-26s %8.3f s\n' "${rows[$i]%%|*}" "${best[$i]}"; done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
echo "mandelbrot: 2x1 dynamic speedup over 1x1 $(ratio "${best[0]}" "${best[2]}")x;" \
  "dynamic / block $(ratio "${best[2]}" "${best[1]}")"
echo "pi: dynamic / block $(ratio "${best[4]}" "${best[3]}"); checkpoint / none $(ratio "${best[5]}" "${best[3]}")"
echo "numbers: checkpoint / none $(ratio "${best[7]}" "${best[6]}")"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
