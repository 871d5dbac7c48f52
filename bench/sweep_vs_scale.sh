#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Evidence for `hpar sweep` (docs/scaling.md): the same job studied two ways on the same machine,
# in the same session, must give the same speedups within the noise of the runs:
#   1. hpar scale pi: every layout in one launch (sub-communicators), time = the engine's total;
#   2. hpar sweep -- hpar run pi: one mpirun per layout and run, time from each run's own report
#      (the same engine total: only the launching differs);
#   3. hpar sweep --measure wall -- hpar run pi: the same launches timed from outside (start-up
#      of mpirun and MPI included), to show what start-up does to small runs;
#   4. hpar sweep --metric -- tests/hybrid_work: the test program, its own printed compute time.
# Layouts: 1x1, 1x2, 2x1 (this project's machine has 2 cores; scale leaves out 2x2 by itself). Every study keeps its busy-machine
# findings: read them before the speedups. The comparison prints, per layout, the speedups of
# (1), (2) and (3) and whether (2) agrees with (1) within the noise: |S2 - S1| <= S1 x (spread1 +
# spread2), the spreads being each point's (max - min) / median over its REPEAT runs.
#
# usage: bench/sweep_vs_scale.sh [BUILD_DIR]          (default: build/release)
# environment: REPEAT (5) runs per point; SAMPLES (2e9) pi samples; ITEMS (400000000)
#              hybrid_work items; OUT (docs/studies) where the studies go, as
#              sweep-vs-scale-{scale,sweep-report,sweep-wall,hybrid}.{json,txt}
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build/release}" && pwd)
repeat=${REPEAT:-5}
samples=${SAMPLES:-2e9}
items=${ITEMS:-400000000}
out=${OUT:-$root/docs/studies}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1
for exe in hpar tests/hybrid_work; do
  [ -x "$build/$exe" ] || { echo "missing $build/$exe: build it first (with the tests)" >&2; exit 2; }
done
mkdir -p "$out"
hpar=$build/hpar
name=$out/sweep-vs-scale

echo "== $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg): hpar scale pi" >&2
mpirun -q -np 2 --bind-to none "$hpar" scale pi --mode strong --samples "$samples" \
  --repeat "$repeat" --ranks 1,2 --json "$name-scale.json" | tee "$name-scale.txt"

echo "== $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg): hpar sweep -- hpar run pi" >&2
"$hpar" sweep --cores 2 --repeat "$repeat" --json "$name-sweep-report.json" \
  -- "$hpar" run pi --samples "$samples" --no-report | tee "$name-sweep-report.txt"

echo "== $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg): the same, wall time" >&2
"$hpar" sweep --cores 2 --repeat "$repeat" --measure wall --json "$name-sweep-wall.json" \
  -- "$hpar" run pi --samples "$samples" --no-report | tee "$name-sweep-wall.txt"

echo "== $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg): hybrid_work" >&2
"$hpar" sweep --cores 2 --repeat "$repeat" --metric 'compute time: ([0-9.]+) s' \
  --check '^verification successful$' --same-output 'checksum: (\S+)' \
  --json "$name-hybrid.json" -- "$build/tests/hybrid_work" "$items" | tee "$name-hybrid.txt"

python3 - "$name" <<'PY'
import json, sys
name = sys.argv[1]
def points(kind):
    d = json.load(open(f"{name}-{kind}.json"))
    busy = set(d["busy"]["points"])
    return {(p["ranks"], p["threads"]): (p["speedup"], p["spread"], p["median"],
                                         f"{p['ranks']}x{p['threads']} {p['schedule']}" in busy)
            for p in d["points"]}
scale, report, wall = points("scale"), points("sweep-report"), points("sweep-wall")
print("layout   scale S (spread)   sweep/report S (spread)   sweep/wall S   agree   busy")
ok = True
for layout in sorted(set(scale) & set(report), key=lambda l: (l[0] * l[1], l[0])):
    s1, d1, _, b1 = scale[layout]
    s2, d2, _, b2 = report[layout]
    s3 = wall[layout][0]
    agree = abs(s2 - s1) <= s1 * (d1 + d2)
    ok = ok and agree
    print(f"{layout[0]}x{layout[1]}      {s1:5.2f} ({100*d1:4.1f} %)     {s2:5.2f} ({100*d2:4.1f} %)"
          f"             {s3:5.2f}         {'yes' if agree else 'NO'}     "
          f"{'scale ' if b1 else ''}{'sweep' if b2 else ''}")
print("speedups of the sweep (report-timed) agree with hpar scale within the noise:",
      "yes" if ok else "NO")
PY
