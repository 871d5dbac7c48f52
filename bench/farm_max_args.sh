#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2154 # $work is bench_begin's (bench/quiet.sh)
# Tiny inputs made cheap with -N (issue 19): 100,000 inputs, 1,000 per task (100 tasks of
# `echo` with 1,000 arguments each) on 2 slots, side by side in one run: hpar's farm (without a
# launcher, 1 rank x 2 threads under mpirun, 2 x 1) against GNU parallel's `-N 1000 -j2 -k` and
# `xargs -P2 -n 1000`. Each hpar output is checked against GNU parallel's, byte for byte, and
# xargs's (unordered) against it line for line. Minimum of 3 runs; the load average beside each
# figure (rerun when it is above 0.5).
#
#   bash bench/farm_max_args.sh [BUILD_DIR] [N] [K]      (defaults: build/release 100000 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
n=${2:-100000}
k=${3:-1000}
hpar=$build/hpar
# shellcheck source=bench/quiet.sh
source bench/quiet.sh
bench_begin "$hpar" parallel
[ -x "$build/tests/mpi_task" ] || { echo "no $build/tests/mpi_task: build the tests" >&2; exit 1; }
seq 1 "$n" >"$work/inputs"

quiet
echo "== farm -N $k: $n inputs, $((n / k)) tasks of echo on 2 slots (load average $(load) before)"
t_parallel=$(best3 "$work/parallel.out" "$work/inputs" parallel -j2 -k -N "$k" echo)
t_xargs=$(best3 "$work/xargs.out" "$work/inputs" xargs -P2 -n "$k" echo)
t_alone=$(best3 "$work/alone.out" "$work/inputs" "$hpar" farm --threads 2 -N "$k" --input-file - --no-report -- echo)
t_12=$(best3 "$work/h12.out" "$work/inputs" mpirun -np 1 --bind-to none "$hpar" farm --threads 2 -N "$k" --input-file - --no-report -- echo)
t_21=$(best3 "$work/h21.out" "$work/inputs" mpirun -np 2 --bind-to none "$hpar" farm --threads 1 -N "$k" --input-file - --no-report -- echo)
# What hpar costs before and after any task (MPI start, plan, report off): one task of true.
t_start=$(best3 "$work/start.out" "$work/inputs" "$hpar" farm --threads 2 --inputs 1 --no-report -- true)
# The floor under any MPI program: a bare one (MPI_Init, one line, MPI_Finalize) started the
# same way (tests/mpi_task, built with hpar's MPI).
t_bare=$(best3 "$work/bare.out" /dev/null "$build/tests/mpi_task" x)
for name in alone h12 h21; do
  cmp -s "$work/$name.out" "$work/parallel.out" || { echo "hpar ($name) differs from GNU parallel" >&2; exit 1; }
done
cmp -s <(sort "$work/xargs.out") <(sort "$work/parallel.out") ||
  { echo "xargs's lines differ from GNU parallel's" >&2; exit 1; }
printf '%-40s %9s %12s\n' tool seconds "x xargs"
for row in "hpar farm, no launcher, 1x2:$t_alone" "mpirun -np 1 hpar farm, 1x2:$t_12" \
  "mpirun -np 2 hpar farm, 2x1:$t_21" "GNU parallel -j2 -k -N $k:$t_parallel" \
  "xargs -P2 -n $k (unordered):$t_xargs" "hpar farm, no launcher, 1 task of true:$t_start" \
  "bare MPI program, no launcher:$t_bare"; do
  name=${row%:*}
  t=${row##*:}
  printf '%-40s %9s %12.2f\n' "$name" "$t" "$(echo "$t / $t_xargs" | bc -l)"
done
echo "outputs: every hpar run byte-identical to GNU parallel's; xargs's the same lines (load average $(load) after)"
