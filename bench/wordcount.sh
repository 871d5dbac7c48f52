#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark of the wordcount job next to its plain serial loop (bench_wordcount_ref), measured
# side by side in the same run and printed as ratios (issue 3: >= 0.95 of the plain loop at 1x1).
# The text is generated (deterministic, Zipf-like word frequencies, see bench/wordcount_ref.cpp)
# into a temporary directory and read once before timing, so every run reads from the page cache.
# hpar's figure is the compute phase of --report-json (slowest rank: reading and counting,
# MPI-IO included); the reference's is its read-and-count time. Every configuration runs REPS
# times, interleaved; the summary gives the minimum and the median of each and ratios of minima.
# hpar's total and top words are checked against the reference's on every run.
#
# usage: bench/wordcount.sh [BUILD_DIR]      (default: build)
# environment: REPS (5), BYTES (200000000: size of the generated text), TMPDIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
reps=${REPS:-5}
bytes=${BYTES:-200000000}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1
for exe in hpar bench/bench_wordcount_ref; do
  [ -x "$build/$exe" ] || { echo "missing $build/$exe: build it first" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results=$work/results.txt
text=$work/text.txt

"$build/bench/bench_wordcount_ref" generate "$text" "$bytes"
cat "$text" >/dev/null  # into the page cache

# run_ref: one reference run; records its seconds and keeps its answer in ref.txt.
run_ref() {
  "$build/bench/bench_wordcount_ref" count "$text" 10 >"$work/ref_out.txt"
  awk 'NR == 1 { print "ref", $2 }' "$work/ref_out.txt" >>"$results"
  { awk 'NR == 1 { print "result: " $4 " words" }' "$work/ref_out.txt"
    tail -n +2 "$work/ref_out.txt"; } >"$work/ref.txt"
}

# run_hpar KEY RANKS THREADS: one hpar run (no binding: docs/usage.md's np <= 2 trap); records
# the compute phase's max seconds and checks the answer against the reference's.
run_hpar() {
  local key=$1 np=$2 threads=$3
  OMP_NUM_THREADS=$threads mpirun -q -np "$np" --bind-to none -x OMP_NUM_THREADS \
    "$build/hpar" run wordcount --input-file "$text" --top 10 --threads "$threads" --no-report \
    --report-json "$work/rep.json" >"$work/out.txt"
  cmp -s "$work/out.txt" "$work/ref.txt" ||
    { echo "$key differs from the reference: $(diff "$work/out.txt" "$work/ref.txt" | head -4)" >&2; exit 1; }
  python3 - "$work/rep.json" "$key" >>"$results" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verification"]["status"] == "PASS", r["verification"]
assert r["metrics"]["reader"] == "MPI-IO", r["metrics"]
print(sys.argv[2], r["phases"]["compute"]["max"])
PY
}

echo "== $(date -u +%FT%TZ) on $(hostname), $(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== wordcount of $(stat -c %s "$text") bytes ($(wc -w <"$text") words); $reps runs each"
for rep in $(seq "$reps"); do
  echo "   run $rep of $reps"
  run_ref
  run_hpar 1x1 1 1
  run_hpar 1x2 1 2
  run_hpar 2x1 2 1
done
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$results" "$bytes" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    key, seconds = line.split()
    runs.setdefault(key, []).append(float(seconds))
size = int(sys.argv[2])
best = {k: min(v) for k, v in runs.items()}
print("\n%-6s %12s %12s %10s %12s %12s" % ("config", "min s", "median s", "MB/s", "vs ref", "vs 1x1"))
for k in ("ref", "1x1", "1x2", "2x1"):
    print("%-6s %12.4f %12.4f %10.1f %11.3fx %11.3fx" % (
        k, best[k], statistics.median(runs[k]), size / 1e6 / best[k],
        best["ref"] / best[k], best["1x1"] / best[k]))
print("\nvs ref: the plain loop's time / this configuration's (>= 0.95 wanted at 1x1);"
      "\nvs 1x1: speed-up from one core to two.")
PY
