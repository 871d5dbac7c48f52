#!/usr/bin/env bash
# Benchmarks of the mandelbrot and triad jobs next to their plain loops, measured side by side
# in the same run and printed as ratios (issue 3's targets):
#   - mandelbrot at 1x1 >= 0.95 of the plain serial loop (bench_mandelbrot_ref);
#   - mandelbrot with --schedule dynamic >= 1.8x from one core (1x1) to two (1x2, 2x1);
#   - triad's best GB/s >= 0.95 of the STREAM-style OpenMP loop (bench_triad_ref) with as many
#     threads in all (1x1 vs 1 thread; 1x2 and 2x1 vs 2 threads).
# hpar's figures are the compute phase of --report-json (slowest rank), triad's the best and
# median GB/s of its timed repeats. Every configuration runs REPS times, interleaved, and the
# summary gives the minimum (best) and the median time of each, ratios of the minima.
#
# usage: bench/mandelbrot_triad.sh [BUILD_DIR]      (default: build)
# environment: REPS (5), WIDTH (2048), HEIGHT (1536), MAX_ITER (2000) of the mandelbrot
#              image (default view: the whole set), TRIAD_SIZE (40000000: 960 MB), TRIAD_REPEAT (20)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
reps=${REPS:-5}
width=${WIDTH:-2048}
height=${HEIGHT:-1536}
max_iter=${MAX_ITER:-2000}
mandel=(--width "$width" --height "$height" --max-iter "$max_iter")
triad_size=${TRIAD_SIZE:-40000000}
triad_repeat=${TRIAD_REPEAT:-20}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1
for exe in hpar bench/bench_mandelbrot_ref bench/bench_triad_ref; do
  [ -x "$build/$exe" ] || { echo "missing $build/$exe: build it first" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results=$work/results.txt

# run_hpar KEY RANKS THREADS ARGS...: one hpar run (no binding, PLATFORM.md's hybrid trap);
# records KEY, compute max seconds and hpar's own throughput.
run_hpar() {
  local key=$1 np=$2 threads=$3
  shift 3
  OMP_NUM_THREADS=$threads mpirun -q -np "$np" --bind-to none -x OMP_NUM_THREADS \
    "$build/hpar" run "$@" --threads "$threads" --no-report --report-json "$work/rep.json" \
    >"$work/out.txt"
  grep -q . "$work/out.txt" || { echo "no output from $key" >&2; exit 1; }
  python3 - "$work/rep.json" "$key" >>"$results" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verification"]["status"] == "PASS", r["verification"]
m = r["metrics"]
print(sys.argv[2], r["phases"]["compute"]["max"], r["throughput"]["value"],
      m.get("median GB/s", "0"))
PY
}

echo "== $(date -u +%FT%TZ) on $(hostname), $(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== mandelbrot ${mandel[*]}; triad --size $triad_size --repeat $triad_repeat; $reps runs each"
for rep in $(seq "$reps"); do
  echo "   run $rep of $reps"
  "$build/bench/bench_mandelbrot_ref" "$width" "$height" "$max_iter" |
    awk '{ print "mandel_ref", $2, $4, 0 }' >>"$results"
  run_hpar mandel_1x1 1 1 mandelbrot "${mandel[@]}" --schedule dynamic
  run_hpar mandel_1x2 1 2 mandelbrot "${mandel[@]}" --schedule dynamic
  run_hpar mandel_2x1 2 1 mandelbrot "${mandel[@]}" --schedule dynamic
  run_hpar mandel_1x2_static 1 2 mandelbrot "${mandel[@]}" --schedule static
  for t in 1 2; do
    OMP_NUM_THREADS=$t "$build/bench/bench_triad_ref" "$triad_size" "$triad_repeat" |
      awk -v t="$t" '{ print "triad_ref_" t, 0, $4, $6 }' >>"$results"
  done
  run_hpar triad_1x1 1 1 triad --size "$triad_size" --repeat "$triad_repeat"
  run_hpar triad_1x2 1 2 triad --size "$triad_size" --repeat "$triad_repeat"
  run_hpar triad_2x1 2 1 triad --size "$triad_size" --repeat "$triad_repeat"
done

python3 - "$results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    key, seconds, rate, median_rate = line.split()
    runs.setdefault(key, []).append((float(seconds), float(rate), float(median_rate)))
def secs(k):  return min(s for s, _, _ in runs[k]), statistics.median(s for s, _, _ in runs[k])
def rate(k):  return max(r for _, r, _ in runs[k]), statistics.median(r for _, r, _ in runs[k])
print("\nmandelbrot: compute seconds, min (median) over runs")
ref = secs("mandel_ref")
print(f"  plain serial loop         {ref[0]:8.3f} ({ref[1]:.3f})")
one = secs("mandel_1x1")
print(f"  hpar 1x1 dynamic          {one[0]:8.3f} ({one[1]:.3f})   plain loop / hpar = "
      f"{ref[0] / one[0]:.3f} (target >= 0.95)")
for k, label in (("mandel_1x2", "1x2 dynamic"), ("mandel_2x1", "2x1 dynamic"),
                 ("mandel_1x2_static", "1x2 static ")):
    s = secs(k)
    target = "" if "static" in k else " (target >= 1.8)"
    print(f"  hpar {label}          {s[0]:8.3f} ({s[1]:.3f})   speed-up over 1x1 = "
          f"{one[0] / s[0]:.3f}{target}")
print("\ntriad: best GB/s max (median) over runs; ratio of the maxima to the reference loop")
for k, ref_key, label in (("triad_1x1", "triad_ref_1", "1x1"), ("triad_1x2", "triad_ref_2", "1x2"),
                          ("triad_2x1", "triad_ref_2", "2x1")):
    r, h = rate(ref_key), rate(k)
    print(f"  reference loop {ref_key[-1]} thread(s) {r[0]:7.2f} ({r[1]:.2f})   hpar {label} "
          f"{h[0]:7.2f} ({h[1]:.2f})   hpar / reference = {h[0] / r[0]:.3f} (target >= 0.95)")
PY
