#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark of the compute-bound jobs pi, integrate and primes (issue 3): each job at layouts
# 1x1, 1x2 and 2x1 (ranks x threads) next to its plain serial loop (bench/*_ref.cpp) built in
# the same build, runs interleaved (ref, 1x1, 1x2, 2x1, ref, ...) so machine noise hits all
# alike. Prints, per job, min and median seconds over the repeats and the ratios:
#   vs loop   = loop seconds / hpar 1x1 seconds   (>= 0.95 wanted; compute phase and wall)
#   speedup   = hpar 1x1 seconds / hpar 1x2 (or 2x1) seconds   (>= 1.9 wanted)
# "compute" is the report's compute max (--report-json phases.compute.max), "wall" the whole
# mpirun command (launch, setup, verification and report included).
#
# usage: bench/compute_jobs.sh [BUILD_DIR]          (default build-release; built if needed)
# environment: REPS (default 5), PI_SAMPLES (4e9), INTEGRATE_INTERVALS (4e9),
#              PRIMES_LIMIT (4000000000), JOBS ("pi integrate primes"),
#              IDLE_WAIT (seconds, default 600): before each repeat, wait up to this long for
#              the CPUs to be at least 90 % idle (a shared machine; 0 = do not wait)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(dirname "$here")
build=${1:-$source_dir/build-release}
reps=${REPS:-5}
pi_samples=${PI_SAMPLES:-4e9}
integrate_intervals=${INTEGRATE_INTERVALS:-4e9}
primes_limit=${PRIMES_LIMIT:-4000000000}
jobs=${JOBS:-pi integrate primes}

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1
[ -f "$build/CMakeCache.txt" ] || cmake -S "$source_dir" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target hpar bench_pi_ref bench_integrate_ref bench_primes_ref >/dev/null
hpar=$build/hpar
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }

# idle_fraction: the share of CPU time spent idle over the next second (from /proc/stat).
idle_fraction() {
  local a b
  a=$(awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
  sleep 1
  b=$(awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
  echo "$a $b" | awk '{ printf "%.2f\n", ($3 - $1) / ($4 - $2) }'
}

# wait_idle: waits (up to IDLE_WAIT seconds) until the machine is >= 90 % idle; prints the
# idle fraction it settled for.
wait_idle() {
  local waited=0 idle
  idle=$(idle_fraction)
  while awk -v i="$idle" 'BEGIN { exit !(i < 0.9) }' && [ "$waited" -lt "${IDLE_WAIT:-600}" ]; do
    sleep 4
    waited=$((waited + 5))
    idle=$(idle_fraction)
  done
  echo "$idle"
}

# run_ref JOB: prints the loop's own seconds (its first output field).
run_ref() {
  case $1 in
    pi) "$build/bench/bench_pi_ref" "$pi_samples" 42 ;;
    integrate) "$build/bench/bench_integrate_ref" "$integrate_intervals" ;;
    primes) "$build/bench/bench_primes_ref" "$primes_limit" ;;
  esac | awk '{ print $1 }'
}

# run_hpar JOB RANKS THREADS: prints "COMPUTE_MAX WALL" seconds; fails unless verification passes.
run_hpar() {
  local job=$1 np=$2 t=$3 args start end
  case $job in
    pi) args=(--samples "$pi_samples" --seed 42) ;;
    integrate) args=(--intervals "$integrate_intervals") ;;
    primes) args=(--limit "$primes_limit") ;;
  esac
  start=$(now)
  mpirun -q -np "$np" --bind-to none -x OMP_NUM_THREADS="$t" "$hpar" run "$job" "${args[@]}" \
    --threads "$t" --report-json "$work/report.json" --no-report >"$work/out.txt" 2>"$work/err.txt" ||
    { cat "$work/err.txt" >&2; return 1; }
  end=$(now)
  python3 - "$work/report.json" "$start" "$end" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verification"]["status"] == "PASS", r["verification"]
print(r["phases"]["compute"]["max"], float(sys.argv[3]) - float(sys.argv[2]))
PY
}

echo "# compute_jobs.sh: $(date -u +%FT%TZ), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# build $build; $reps repeats, interleaved; sizes: pi $pi_samples samples, integrate" \
  "$integrate_intervals intervals, primes <= $primes_limit"
for job in $jobs; do
  : >"$work/$job.times"
  for ((rep = 1; rep <= reps; rep++)); do
    echo "# $job repeat $rep: machine $(wait_idle) idle before it"
    echo "ref $(run_ref "$job")" >>"$work/$job.times"
    for layout in 1x1 1x2 2x1; do
      echo "$layout $(run_hpar "$job" "${layout%x*}" "${layout#*x}")" >>"$work/$job.times"
    done
  done
  python3 - "$job" "$work/$job.times" <<'PY'
import statistics, sys
job, path = sys.argv[1], sys.argv[2]
t = {}
for line in open(path):
    f = line.split()
    t.setdefault(f[0], []).append([float(x) for x in f[1:]])
def col(layout, i, pick):
    return pick([row[i] for row in t[layout]])
for label, pick in (("min", min), ("median", statistics.median)):
    ref = col("ref", 0, pick)
    c = {l: col(l, 0, pick) for l in ("1x1", "1x2", "2x1")}
    w = {l: col(l, 1, pick) for l in ("1x1", "1x2", "2x1")}
    print(f"{job:9s} {label:6s} loop {ref:7.3f} s | compute 1x1 {c['1x1']:7.3f} 1x2 {c['1x2']:7.3f}"
          f" 2x1 {c['2x1']:7.3f} | wall 1x1 {w['1x1']:7.3f} 1x2 {w['1x2']:7.3f} 2x1 {w['2x1']:7.3f}")
    print(f"{job:9s} {label:6s} vs loop (1x1): compute {ref / c['1x1']:.3f} wall {ref / w['1x1']:.3f}"
          f" | speedup compute 1x2 {c['1x1'] / c['1x2']:.2f} 2x1 {c['1x1'] / c['2x1']:.2f}"
          f" | wall 1x2 {w['1x1'] / w['1x2']:.2f} 2x1 {w['1x1'] / w['2x1']:.2f}")
PY
done
