#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The farm's own cost per task and its dealing of long tasks (issue 18), side by side in one run:
#   1. N tasks of /bin/true on 2 slots: hpar 2x1 against the tightest reference, a C program
#      whose 2 threads posix_spawn and wait for the same N (bench/spawn_loop.c), and against an
#      mpirun of a 1-task farm (mpirun's and hpar's start-up, reported apart). hpar's cost per
#      task = (farm - start-up - loop) x 2 slots / N; the farm's report says its own figure.
#   2. --inputs 1.5,1.5,0.1 x6 -- sleep at 2x1: the makespan (the report's compute phase)
#      against the ideal max(sum / 2, longest) = 1.8 s.
# Each figure is the minimum of 3 runs; the load average is printed with each.
#
#   bash bench/farm_overhead.sh [BUILD_DIR] [N]      (defaults: build/release 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
n=${2:-2000}
hpar=$build/hpar
[ -x "$hpar" ] || { echo "no $hpar: build first" >&2; exit 1; }
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -pthread -o "$work/spawn_loop" bench/spawn_loop.c

# shellcheck source=bench/quiet.sh
source bench/quiet.sh

quiet
echo "== $n tasks of /bin/true on 2 slots (load average $(load) before)"
t_loop=$(best3 "$work/out" /dev/null "$work/spawn_loop" "$n" 2 /bin/true)
t_start=$(best3 "$work/out" /dev/null mpirun -np 2 --bind-to none "$hpar" run farm --range 1:1 --threads 1 --no-report -- /bin/true)
t_farm=$(best3 "$work/out" /dev/null mpirun -np 2 --bind-to none "$hpar" run farm --range "1:$n" --threads 1 -- /bin/true)
report_overhead=$(grep -ho 'overhead .*' "$work/out" "$work/out.err" | awk '{print $2}')
per_task=$(echo "1000 * 2 * ($t_farm - $t_start - $t_loop) / $n" | bc -l)
printf '%-44s %8s s\n' "posix_spawn loop, 2 threads (reference)" "$t_loop" \
  "mpirun -np 2 hpar farm, 1 task (start-up)" "$t_start" "mpirun -np 2 hpar farm, $n tasks" "$t_farm"
printf "hpar's cost above the loop: %.3f ms per task (slot time); the farm's report: %s us per task; load average %s\n" \
  "$per_task" "$report_overhead" "$(load)"

quiet
echo "== two 1.5 s tasks among six of 0.1 s at 2x1 (load average $(load) before)"
best=""
for _ in 1 2 3; do
  mpirun -np 2 --bind-to none "$hpar" run farm --inputs 1.5,1.5,0.1,0.1,0.1,0.1,0.1,0.1 \
    --threads 1 -- sleep >"$work/out" 2>&1
  t=$(awk '$1 == "compute" { print $4 }' "$work/out")
  if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
done
printf 'makespan %.3f s against the ideal 1.800 s (%.1f %% over); load average %s\n' \
  "$best" "$(echo "100 * ($best / 1.8 - 1)" | bc -l)" "$(load)"
