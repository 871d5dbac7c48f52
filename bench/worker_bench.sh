#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Workers against the usual Python routes (issue 24), side by side in one run: the tutorial's
# numbers(x) (examples/python/numbers_worker.py) over N inputs, the joined lines written to a
# file, at 2 processes:
#   1. hpar farm --worker (mpirun -np 2, one worker per rank);
#   2. multiprocessing.Pool(2).map(numbers, inputs, chunksize=N/32);
#   3. mpi4py.futures.MPIPoolExecutor().map(..., chunksize=N/32) under
#      `mpirun -np 3 python3 -m mpi4py.futures` (1 master + 2 workers);
#   4. the command farm, one interpreter per input, on the first M inputs only: its time per
#      input extrapolated to N (said so in its line).
# Every output is checked byte for byte against the serial Python loop's. Each figure is the
# minimum of 3 runs, with the load average beside it; then the ratios, and hpar's own cost per
# input (the farm report's overhead: a slot's time outside the worker's answers).
#
#   bash bench/worker_bench.sh [BUILD_DIR] [N] [M]      (defaults: build/release 1000000 200)
#   BENCH_NO_WAIT=1: do not wait for a quiet machine (a trial of the script, not figures)
#   PYTHON=...: the interpreter of every part (default: the first of python3, /usr/bin/python3
#   that has mpi4py, Debian's python3-mpi4py being /usr/bin/python3's)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
n=${2:-1000000}
m=${3:-200}
hpar=$(realpath "$build/hpar")
[ -x "$hpar" ] || { echo "no $hpar: build first" >&2; exit 1; }
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
examples=$(realpath examples/python)
PYTHONPATH=$examples:$("$hpar" worker-path)
export PYTHONPATH PYTHONDONTWRITEBYTECODE=1
chunk=$((n / 32 > 0 ? n / 32 : 1))
if [ -z "${PYTHON:-}" ]; then
  PYTHON=python3
  for py in python3 /usr/bin/python3; do
    if "$py" -c "import mpi4py.futures" 2>/dev/null; then
      PYTHON=$py
      break
    fi
  done
fi
echo "python: $(command -v "$PYTHON") ($("$PYTHON" --version 2>&1))"

# shellcheck source=bench/quiet.sh
source bench/quiet.sh
if [ "${BENCH_NO_WAIT:-0}" = 1 ]; then quiet() { :; }; fi

cat >"$work/pool.py" <<'PY'
import sys
from multiprocessing import Pool
from numbers_worker import numbers
if __name__ == "__main__":
    n, chunk = int(sys.argv[1]), int(sys.argv[2])
    with Pool(2) as pool:
        results = pool.map(numbers, range(1, n + 1), chunksize=chunk)
    with open(sys.argv[3], "w") as out:
        out.write("".join("%s\n" % (r,) for r in results))
PY
cat >"$work/futures.py" <<'PY'
import sys
from mpi4py.futures import MPIPoolExecutor
from numbers_worker import numbers
if __name__ == "__main__":
    n, chunk = int(sys.argv[1]), int(sys.argv[2])
    with MPIPoolExecutor() as pool:
        results = list(pool.map(numbers, range(1, n + 1), chunksize=chunk))
    with open(sys.argv[3], "w") as out:
        out.write("".join("%s\n" % (r,) for r in results))
PY
cat >"$work/one.py" <<'PY'
import sys
from numbers_worker import numbers
print(numbers(int(sys.argv[1])))
PY
"$PYTHON" -c "import sys
from numbers_worker import numbers
with open(sys.argv[2], 'w') as out:
    for x in range(1, int(sys.argv[1]) + 1): print(numbers(x), file=out)" "$n" "$work/serial.txt"
head -n "$m" "$work/serial.txt" >"$work/serial_m.txt"

# best3 EXPECTED CMD...: the least wall time of 3 runs of CMD (its output in $work/out.txt,
# its report and stderr in $work/log), 3 decimals; fails unless out.txt is EXPECTED byte for byte.
best3() {
  local expected=$1 best="" _ start end t
  shift
  for _ in 1 2 3; do
    rm -f "$work/out.txt"
    start=$(date +%s.%N)
    "$@" >"$work/log" 2>&1
    end=$(date +%s.%N)
    if ! cmp -s "$work/out.txt" "$expected"; then
      echo "error: the output of '$*' differs from the serial loop's" >&2
      tail -5 "$work/log" >&2
      exit 1
    fi
    t=$(echo "$end - $start" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  printf '%.3f' "$best"
}

echo "== numbers(x) over $n inputs, 2 processes; each figure the least of 3 runs"
quiet
t_hpar=$(best3 "$work/serial.txt" mpirun -np 2 --bind-to none "$hpar" farm --worker \
  --range "1:$n" --threads 1 --output "$work/out.txt" -- "$PYTHON" "$examples/numbers_worker.py")
cost=$(awk '$1 == "overhead" { printf "%.2f", $2 }' "$work/log")
printf '%-58s %9s s  (load %s)\n' "hpar farm --worker, mpirun -np 2" "$t_hpar" "$(load)"
quiet
t_pool=$(best3 "$work/serial.txt" "$PYTHON" "$work/pool.py" "$n" "$chunk" "$work/out.txt")
printf '%-58s %9s s  (load %s)\n' "multiprocessing.Pool(2).map, chunksize $chunk" "$t_pool" "$(load)"
quiet
if "$PYTHON" -c "import mpi4py.futures" 2>/dev/null; then
  t_futures=$(best3 "$work/serial.txt" mpirun -np 3 --bind-to none --oversubscribe "$PYTHON" \
    -m mpi4py.futures "$work/futures.py" "$n" "$chunk" "$work/out.txt")
  printf '%-58s %9s s  (load %s)\n' "MPIPoolExecutor, mpirun -np 3 (2 workers), chunksize $chunk" \
    "$t_futures" "$(load)"
else
  t_futures=0
  echo "MPIPoolExecutor: skipped, $PYTHON has no mpi4py (install python3-mpi4py or set PYTHON)"
fi
quiet
t_m=$(best3 "$work/serial_m.txt" mpirun -np 2 --bind-to none "$hpar" farm --range "1:$m" \
  --threads 1 --no-report --output "$work/out.txt" -- "$PYTHON" "$work/one.py" {})
t_cmd=$(echo "$t_m * $n / $m" | bc -l)
printf '%-58s %9.3f s  (load %s; %s s for %s inputs, extrapolated)\n' \
  "command farm, one interpreter per input, mpirun -np 2" "$t_cmd" "$(load)" "$t_m" "$m"
echo "== ratios (goals: Pool >= 1, MPIPoolExecutor > 1, command farm >= 100)"
printf 'hpar worker is %.2fx Pool(2), %.2fx MPIPoolExecutor, %.0fx the command farm\n' \
  "$(echo "$t_pool / $t_hpar" | bc -l)" "$(echo "$t_futures / $t_hpar" | bc -l)" \
  "$(echo "$t_cmd / $t_hpar" | bc -l)"
echo "hpar's own cost per input (the farm report's overhead): $cost us (goal under 20 us)"
