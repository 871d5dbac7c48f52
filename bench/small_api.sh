#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark of the small API's cost per item (issue 12): the integral example (an hpar::reduce
# job, examples/integral) at 1 rank x 1 thread against the same kernel as a plain loop
# (bench/small_api/integral_loop.cpp), both built in one project against an installed hpar, so
# with the same flags. Runs interleaved (loop, hpar, loop, ...) so machine noise hits both
# alike; checks that both print the same integral, bit for bit. Prints min and median seconds
# and the ratio hpar / loop (1.02 or less wanted):
#   compute = the report's compute phase (--report-json phases.compute.max) against the loop's
#             own timing of its loop;
#   wall    = the whole `mpirun -np 1` command (MPI start-up, report) against the whole loop
#             program.
#
# usage: bench/small_api.sh [BUILD_DIR]     (default build/release; built and installed here)
# environment: REPS (default 7), INTERVALS (default 2e9)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(dirname "$here")
build=${1:-$source_dir/build/release}
reps=${REPS:-7}
intervals=${INTERVALS:-2e9}

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -f "$build/CMakeCache.txt" ] || cmake -S "$source_dir" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 >/dev/null
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$here/small_api" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" -j2 >/dev/null

now() { date +%s.%N; }

# run_loop: prints "SECONDS WALL"; keeps the integral line in $work/loop.txt.
run_loop() {
  local start end
  start=$(now)
  "$work/build/integral_loop" "$intervals" >"$work/loop.out"
  end=$(now)
  cut -d' ' -f2- "$work/loop.out" >"$work/loop.txt"
  awk -v s="$start" -v e="$end" '{ print $1, e - s; exit }' "$work/loop.out"
}

# run_hpar: prints "COMPUTE_MAX WALL"; fails unless verification passes and the integral is the
# loop's.
run_hpar() {
  local start end
  start=$(now)
  mpirun -q -np 1 --bind-to core -x OMP_NUM_THREADS=1 "$work/build/integral" run integral \
    --intervals "$intervals" --threads 1 --report-json "$work/report.json" --no-report \
    >"$work/hpar.out" 2>"$work/err.txt" || { cat "$work/err.txt" >&2; return 1; }
  end=$(now)
  sed -n 's/^result: //p' "$work/hpar.out" | cmp -s - "$work/loop.txt" ||
    { echo "the integrals differ: $(cat "$work/hpar.out") / $(cat "$work/loop.txt")" >&2; return 1; }
  python3 - "$work/report.json" "$start" "$end" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verification"]["status"] == "PASS", r["verification"]
print(r["phases"]["compute"]["max"], float(sys.argv[3]) - float(sys.argv[2]))
PY
}

echo "# small_api.sh: $(date -u +%FT%TZ), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# build $build; $reps repeats, interleaved; $intervals intervals"
: >"$work/times"
for ((rep = 1; rep <= reps; rep++)); do
  echo "loop $(run_loop)" >>"$work/times"
  echo "hpar $(run_hpar)" >>"$work/times"
done
echo "# integral (both): $(cat "$work/loop.txt")"
python3 - "$work/times" <<'PY'
import statistics, sys
t = {}
for line in open(sys.argv[1]):
    f = line.split()
    t.setdefault(f[0], []).append([float(x) for x in f[1:]])
for label, pick in (("min", min), ("median", statistics.median)):
    loop = [pick(r[i] for r in t["loop"]) for i in (0, 1)]
    hpar = [pick(r[i] for r in t["hpar"]) for i in (0, 1)]
    print(f"{label:6s} loop {loop[0]:.3f} s (program {loop[1]:.3f}) | hpar 1x1 compute"
          f" {hpar[0]:.3f} s (mpirun {hpar[1]:.3f}) | hpar / loop: compute {hpar[0] / loop[0]:.3f}"
          f" wall {hpar[1] / loop[1]:.3f}")
PY
