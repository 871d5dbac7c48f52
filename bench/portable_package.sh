#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The portable build (what the .deb packages ship: HPAR_ARCH=portable, pi's kernel multi-versioned)
# against the native build (-march=native), side by side in one run: `hpar run pi` at 1x1 and
# 2x1, the compute phase of --report-json (slowest rank), best of REPS rounds (default 3), the
# two builds interleaved in each round. Waits for a load average under 0.5 and prints it with
# every figure. Also prints the SIMD level each build's kernel runs with on this CPU.
#
#   bash bench/portable_package.sh [NATIVE_BUILD] [PORTABLE_HPAR]
#        (default build/release, and /usr/bin/hpar when the .deb is installed, else
#         build/portable/hpar)
set -euo pipefail
cd "$(dirname "$0")/.."
native=${1:-build/release}/hpar
portable=${2:-}
if [ -z "$portable" ]; then
  portable=build/portable/hpar
  [ -x /usr/bin/hpar ] && portable=/usr/bin/hpar
fi
reps=${REPS:-3}
for binary in "$native" "$portable"; do
  [ -x "$binary" ] || { echo "no $binary: build first" >&2; exit 1; }
done
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMPI_MCA_pml=ob1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for _ in $(seq 1 36); do
  awk '{ exit !($1 < 0.5) }' /proc/loadavg && break
  sleep 5
done
for binary in "$native" "$portable"; do
  echo "$binary: $("$binary" --version | sed -n 2p)"
done

# compute_seconds BINARY NP: the compute phase (max over ranks) of one pi run.
compute_seconds() {
  mpirun -np "$2" --bind-to core "$1" run pi --samples 4e9 --threads 1 --no-report \
    --report-json "$work/r.json" >/dev/null
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["phases"]["compute"]["max"])' \
    "$work/r.json"
}

for np in 1 2; do
  best_native=""
  best_portable=""
  for _ in $(seq 1 "$reps"); do
    n=$(compute_seconds "$native" "$np")
    p=$(compute_seconds "$portable" "$np")
    best_native=$(python3 -c "print(min(x for x in [$n, ${best_native:-$n}]))")
    best_portable=$(python3 -c "print(min(x for x in [$p, ${best_portable:-$p}]))")
  done
  python3 -c "
n, p = $best_native, $best_portable
print(f'pi 4e9 samples {$np}x1: native {n:.3f} s, portable {p:.3f} s, portable/native {p / n:.3f}'
      f'  (load {open(\"/proc/loadavg\").read().split()[0]})')"
done
