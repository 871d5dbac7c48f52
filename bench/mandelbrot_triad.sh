#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmarks of the mandelbrot and triad jobs next to their plain loops, measured side by side
# in the same run and printed as ratios (issue 3's targets):
#   - mandelbrot at 1x1 >= 0.95 of the plain serial loop (bench_mandelbrot_ref);
#   - mandelbrot with --schedule dynamic >= 1.8x from one core (1x1) to two (1x2, 2x1);
#   - triad's best GB/s >= 0.95 of the STREAM-style OpenMP loop (bench_triad_ref) with as many
#     threads in all (1x1 vs 1 thread; 1x2 and 2x1 vs 2 threads).
# Mandelbrot runs on two views: the whole set (the default view, symmetric about the real axis,
# so two contiguous halves cost the same) and its upper part (--center-y 0.5: the cardioid
# sits in the lower rows, so contiguous halves are strongly imbalanced; the static schedule is
# shown next to the dynamic one).
# hpar's figures are the compute phase of --report-json (slowest rank), triad's the best and
# median GB/s of its timed repeats. Every configuration runs REPS times, interleaved; the
# summary gives the minimum (best) and the median of each, and ratios of the best.
#
# usage: [nice -n -15] bench/mandelbrot_triad.sh [BUILD_DIR]      (default: build)
# environment: REPS (5); WIDTH (2048), HEIGHT (1536), MAX_ITER (2000) of the whole-set view
#              (the upper view is half as wide and high); TRIAD_SIZE (40000000: 960 MB in
#              all), TRIAD_REPEAT (20)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
reps=${REPS:-5}
width=${WIDTH:-2048}
height=${HEIGHT:-1536}
max_iter=${MAX_ITER:-2000}
triad_size=${TRIAD_SIZE:-40000000}
triad_repeat=${TRIAD_REPEAT:-20}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1
for exe in hpar bench/bench_mandelbrot_ref bench/bench_triad_ref; do
  [ -x "$build/$exe" ] || { echo "missing $build/$exe: build it first" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results=$work/results.txt

# run_hpar KEY RANKS THREADS ARGS...: one hpar run (no binding: docs/usage.md's np <= 2 trap);
# records KEY, the compute phase's max seconds, hpar's throughput and triad's median GB/s.
run_hpar() {
  local key=$1 np=$2 threads=$3
  shift 3
  if ! OMP_NUM_THREADS=$threads mpirun -q -np "$np" --bind-to none -x OMP_NUM_THREADS \
    "$build/hpar" run "$@" --threads "$threads" --no-report --report-json "$work/rep.json" \
    >"$work/out.txt" 2>"$work/err.txt"; then
    echo "$key failed:" >&2
    cat "$work/err.txt" >&2
    exit 1
  fi
  python3 - "$work/rep.json" "$key" >>"$results" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verification"]["status"] == "PASS", r["verification"]
print(sys.argv[2], r["phases"]["compute"]["max"], r["throughput"]["value"],
      r["metrics"].get("median GB/s", "0"))
PY
}

# mandel VIEW W H ARGS...: the plain loop and hpar at 1x1, 1x2, 2x1 (dynamic), 1x2 static.
mandel() {
  local view=$1 w=$2 h=$3
  shift 3
  local cx=-0.5 cy=0 span=3
  [ "${1:-}" = --center-y ] && cy=$2
  "$build/bench/bench_mandelbrot_ref" "$w" "$h" "$max_iter" "$cx" "$cy" "$span" |
    awk -v k="${view}_ref" '{ print k, $2, $4, 0 }' >>"$results"
  local a=(mandelbrot --width "$w" --height "$h" --max-iter "$max_iter" "$@")
  run_hpar "${view}_1x1" 1 1 "${a[@]}" --schedule dynamic
  run_hpar "${view}_1x2" 1 2 "${a[@]}" --schedule dynamic
  run_hpar "${view}_2x1" 2 1 "${a[@]}" --schedule dynamic
  run_hpar "${view}_1x2_static" 1 2 "${a[@]}" --schedule static
}

echo "== $(date -u +%FT%TZ) on $(hostname), $(nproc) CPUs, nice $(nice), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== mandelbrot ${width}x${height} (whole set) and $((width / 2))x$((height / 2)) --center-y 0.5" \
  "(upper part), --max-iter $max_iter; triad --size $triad_size --repeat $triad_repeat; $reps runs each"
for rep in $(seq "$reps"); do
  echo "   run $rep of $reps"
  mandel whole "$width" "$height"
  mandel upper $((width / 2)) $((height / 2)) --center-y 0.5
  for t in 1 2; do
    OMP_NUM_THREADS=$t "$build/bench/bench_triad_ref" "$triad_size" "$triad_repeat" |
      awk -v t="$t" '{ print "triad_ref_" t, 0, $4, $6 }' >>"$results"
  done
  run_hpar triad_1x1 1 1 triad --size "$triad_size" --repeat "$triad_repeat"
  run_hpar triad_1x2 1 2 triad --size "$triad_size" --repeat "$triad_repeat"
  run_hpar triad_2x1 2 1 triad --size "$triad_size" --repeat "$triad_repeat"
done
echo "== load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    key, seconds, rate, median_rate = line.split()
    runs.setdefault(key, []).append((float(seconds), float(rate), float(median_rate)))
def secs(k):
    s = [x[0] for x in runs[k]]
    return min(s), statistics.median(s)
def rate(k):
    r = [x[1] for x in runs[k]]
    return max(r), statistics.median(r)
for view in ("whole", "upper"):
    print(f"\nmandelbrot, {view} view: compute seconds, min (median) over runs")
    ref, one = secs(f"{view}_ref"), secs(f"{view}_1x1")
    print(f"  plain serial loop   {ref[0]:7.3f} ({ref[1]:.3f})")
    print(f"  hpar 1x1 dynamic    {one[0]:7.3f} ({one[1]:.3f})   plain loop / hpar = "
          f"{ref[0] / one[0]:.3f} (target >= 0.95)")
    for k, label in (("1x2", "1x2 dynamic"), ("2x1", "2x1 dynamic"), ("1x2_static", "1x2 static ")):
        s = secs(f"{view}_{k}")
        target = "" if "static" in k else " (target >= 1.8)"
        print(f"  hpar {label}     {s[0]:7.3f} ({s[1]:.3f})   speed-up over 1x1 = "
              f"{one[0] / s[0]:.3f}{target}")
print("\ntriad: best GB/s, max (median) over runs; hpar / reference of the maxima")
for k, ref_key, label in (("triad_1x1", "triad_ref_1", "1x1"), ("triad_1x2", "triad_ref_2", "1x2"),
                          ("triad_2x1", "triad_ref_2", "2x1")):
    r, h = rate(ref_key), rate(k)
    print(f"  reference loop, {ref_key[-1]} thread(s) {r[0]:6.2f} ({r[1]:.2f})   hpar {label} "
          f"{h[0]:6.2f} ({h[1]:.2f})   hpar / reference = {h[0] / r[0]:.3f} (target >= 0.95)")
PY
