#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2154 # $work is bench_begin's (bench/quiet.sh)
# The farm against the tools users have for the same work, side by side in one run:
#   1. N tasks of /bin/true on 2 slots: hpar (2 ranks x 1 thread, and 1 x 2) against GNU
#      parallel (-j2 -k, Debian's package) and the tutorial's way, multiprocessing.Pool(2)
#      calling subprocess.run: tasks per second and the time each task costs beyond its own.
#   2. 200 tasks sleeping log-normally distributed times (seeded) on 2 slots: hpar's makespan
#      against the ideal, max(sum of the sleeps / 2, the longest sleep).
# Prints the load average with every figure; rerun when it is above 0.5.
#
#   bash bench/farm_bench.sh [BUILD_DIR] [N]      (defaults: build/release 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
n=${2:-2000}
hpar=$build/hpar
# shellcheck source=bench/quiet.sh
source bench/quiet.sh
bench_begin "$hpar" parallel

# seconds CMD...: wall time of CMD (stdout to $work/out), 3 decimals.
seconds() {
  local start end
  start=$(date +%s.%N)
  "$@" >"$work/out"
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l | xargs printf '%.3f'
}

quiet
echo "== farm: $n tasks of /bin/true on 2 slots (load average $(load) before)"
t_hpar21=$(seconds mpirun -np 2 --bind-to none "$hpar" run farm --range "1:$n" --threads 1 \
  --no-report -- /bin/true)
t_hpar12=$(seconds mpirun -np 1 --bind-to none "$hpar" run farm --range "1:$n" --threads 2 --no-report -- /bin/true)
t_parallel=$(seconds sh -c "seq 1 $n | parallel -j2 -k /bin/true")
t_python=$(seconds python3 -c "
import multiprocessing, subprocess
def task(x):
    return subprocess.run(['/bin/true', str(x)]).returncode
if __name__ == '__main__':
    with multiprocessing.Pool(2) as pool:
        assert sum(pool.map(task, range(1, $n + 1))) == 0
")
# A serial shell loop on one slot: what starting /bin/true costs by itself.
t_loop=$(seconds sh -c "i=0; while [ \$i -lt $n ]; do /bin/true; i=\$((i + 1)); done")
printf '%-34s %9s %10s %16s\n' tool seconds tasks/s "ms/task/slot"
for row in "hpar farm 2x1:$t_hpar21" "hpar farm 1x2:$t_hpar12" "GNU parallel -j2 -k:$t_parallel" \
  "Python Pool(2) + subprocess.run:$t_python" "serial sh loop (1 slot):$t_loop"; do
  name=${row%:*}
  t=${row##*:}
  printf '%-34s %9s %10.0f %16.3f\n' "$name" "$t" "$(echo "$n / $t" | bc -l)" \
    "$(echo "2000 * $t / $n" | bc -l)"
done
printf 'ratios: hpar 2x1 is %.2fx GNU parallel, %.2fx Python Pool(2) (load average %s after)\n' \
  "$(echo "$t_parallel / $t_hpar21" | bc -l)" "$(echo "$t_python / $t_hpar21" | bc -l)" "$(load)"

quiet
echo "== farm: 200 log-normal sleeps on 2 slots (load average $(load) before)"
python3 -c "
import random
r = random.Random(42)
for _ in range(200):
    print('%.3f' % min(2.0, r.lognormvariate(-3.2, 0.8)))
" >"$work/sleeps.txt"
ideal=$(python3 -c "
t = [float(l) for l in open('$work/sleeps.txt')]
print('%.3f' % max(sum(t) / 2, max(t)))")
t_sleep=$(seconds mpirun -np 2 --bind-to none "$hpar" run farm --input-file "$work/sleeps.txt" \
  --threads 1 --no-report -- sleep)
t_sleep_parallel=$(seconds sh -c "parallel -j2 -k sleep <'$work/sleeps.txt'")
printf 'ideal %s s; hpar 2x1 %s s (%.1f %% over); GNU parallel -j2 -k %s s (%.1f %% over); load average %s\n' \
  "$ideal" "$t_sleep" "$(echo "100 * ($t_sleep / $ideal - 1)" | bc -l)" "$t_sleep_parallel" \
  "$(echo "100 * ($t_sleep_parallel / $ideal - 1)" | bc -l)" "$(load)"
