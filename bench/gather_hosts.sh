#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Gather and reduce cost over 1..4 simulated hosts (tests/multihost/cluster.sh): the figures of
# docs/scaling-model.md. Needs root (network namespaces). Not a test: timings, not verdicts.
#
#   bash bench/gather_hosts.sh [HPAR_BINARY] [REPEAT]
#
# For P = 2, 3, 4 it runs, side by side in the same session:
#   shm  P ranks on this host, shared memory (Open MPI vader);
#   tcp  P simulated hosts, one rank each, TCP over veth pairs and a bridge;
# first bench/gather_hosts.cpp (plain MPI_Gatherv of m bytes per rank, MPI_Reduce of 8 bytes,
# MPI_Allreduce of 4 bytes: min and median over REPEAT timed calls, default 41; and a gather
# of 45 MB per rank, 5 calls), then hpar's
# own gather phase (`hpar run numbers`, 10^6 lines, about 45 MB, per rank, and the same with
# --quiet, partials only: the report's phases.gather.min, min and median of 7 runs).
# Waiting ranks yield the CPU (mpi_yield_when_idle): with more ranks than the machine's cores
# busy-polling ranks would otherwise steal the root's time slices.
# Output: CSV on stdout (also in gather_hosts.csv in the current directory), then a summary per
# transport and P: latencies, the fitted bandwidth term, hpar's gather phase (medians).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
hpar=${1:-$root/build/release/hpar}
repeat=${2:-41}
[ -x "$hpar" ] || { echo "gather_hosts.sh: no hpar binary at $hpar (pass its path)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "gather_hosts.sh: needs root (network namespaces)" >&2; exit 2; }
cluster=$root/tests/multihost/cluster.sh

work=$(mktemp -d /var/tmp/hpar-gather-hosts.XXXXXX)
trap 'bash "$cluster" down >/dev/null 2>&1; rm -rf "$work"' EXIT
mpicxx -std=c++20 -O2 -DOMPI_SKIP_MPICXX -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror \
  "$root/bench/gather_hosts.cpp" -o "$work/gather_hosts"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1
export OMPI_MCA_mpi_yield_when_idle=1
unset OMPI_MCA_btl
csv=$PWD/gather_hosts.csv
sizes=8,1024,16384,65536,262144,1048576,4194304
big=45000000 # about hpar's 10^6 lines per rank below, 5 repetitions
echo "transport,ranks,hosts,measure,bytes_per_rank,min_s,median_s" | tee "$csv"

# hpar_gather P TRANSPORT HOSTS LAUNCH...: min and median over 7 runs of phases.gather.min,
# the gather phase of the rank that finished computing last (the others' gather phase also
# holds their wait for it), for numbers with 10^6 lines per rank (written with --output: its
# size gives the bytes per rank), then the same with --quiet (partials only).
hpar_gather() {
  local p=$1 label=$2 hosts=$3
  shift 3
  local quiet
  for quiet in "" --quiet; do
    local times=() bytes=0
    for _ in 1 2 3 4 5 6 7; do
      rm -f "$work/lines.txt"
      "$@" -np "$p" -x OMP_NUM_THREADS=1 "$hpar" run numbers --range 1:$((p * 1000000)) $quiet \
        --output "$work/lines.txt" --no-report --report-json "$work/rep.json" >/dev/null 2>&1
      times+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["phases"]["gather"]["min"])' "$work/rep.json")")
    done
    [ -z "$quiet" ] && bytes=$(($(stat -c %s "$work/lines.txt") / p))
    printf '%s\n' "${times[@]}" | sort -g | awk -v t="$label" -v p="$p" -v h="$hosts" -v b="$bytes" \
      -v m="hpar_gather${quiet:+_quiet}" '{ v[NR] = $1 } END { printf "%s,%d,%s,%s,%d,%.9f,%.9f\n", t, p, h, m, b, v[1], v[int((NR + 1) / 2)] }'
  done
}

for p in 2 3 4; do
  # Shared memory on this one host.
  mpirun -np "$p" --oversubscribe --bind-to none --mca btl self,vader "$work/gather_hosts" \
    --repeat "$repeat" --sizes "$sizes" | tail -n +2 | sed 's/^/shm,/' | tee -a "$csv"
  mpirun -np "$p" --oversubscribe --bind-to none --mca btl self,vader "$work/gather_hosts" \
    --repeat 5 --sizes "$big" | grep ',gatherv,' | sed 's/^/shm,/' | tee -a "$csv"
  hpar_gather "$p" shm 1 mpirun --oversubscribe --bind-to none --mca btl self,vader | tee -a "$csv"
  # P simulated hosts, one rank each, TCP.
  HPAR_CLUSTER_SLOTS=1 bash "$cluster" up "$p" >/dev/null
  # shellcheck disable=SC2046
  mpirun $(bash "$cluster" mpi-flags) -np "$p" --map-by ppr:1:node --bind-to none \
    "$work/gather_hosts" --repeat "$repeat" --sizes "$sizes" 2>/dev/null | tail -n +2 |
    sed 's/^/tcp,/' | tee -a "$csv"
  # shellcheck disable=SC2046
  mpirun $(bash "$cluster" mpi-flags) -np "$p" --map-by ppr:1:node --bind-to none \
    "$work/gather_hosts" --repeat 5 --sizes "$big" 2>/dev/null | grep ',gatherv,' |
    sed 's/^/tcp,/' | tee -a "$csv"
  # shellcheck disable=SC2046
  hpar_gather "$p" tcp "$p" mpirun $(bash "$cluster" mpi-flags) --map-by ppr:1:node --bind-to none \
    2>/dev/null | tee -a "$csv"
done
bash "$cluster" down >/dev/null

# Fit per transport and P from the minima: the gather's bandwidth term beta (seconds per byte
# reaching rank 0) is the least-squares slope of T(m) over m = 16 KiB .. 1 MiB per rank against
# the (P-1) m bytes that cross to rank 0 (larger messages take long enough to be cut by other
# processes' time slices on a loaded machine); latency shows in the 8-byte gather, the 8-byte
# reduce and the 4-byte allreduce.
echo
python3 - "$csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
def t(tr, p, measure, m=None, col="min_s"):
    for r in rows:
        if (r["transport"], int(r["ranks"]), r["measure"]) == (tr, p, measure) and (
                m is None or int(r["bytes_per_rank"]) == m):
            return float(r[col])
    return float("nan")
print("transport,ranks,gather_8B_us,reduce_8B_us,allreduce_4B_us,beta_ns_per_byte,root_GB_s,"
      "gather_45MB_ms,hpar_gather_lines_ms,hpar_gather_partials_us")
for tr in ("shm", "tcp"):
    for p in (2, 3, 4):
        xs = [(p - 1) * m for m in (16384, 65536, 262144, 1048576)]
        ys = [t(tr, p, "gatherv", m) for m in (16384, 65536, 262144, 1048576)]
        n = len(xs); mx = sum(xs) / n; my = sum(ys) / n
        beta = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        print("%s,%d,%.1f,%.1f,%.1f,%.3f,%.2f,%.1f,%.1f,%.0f" % (
            tr, p, 1e6 * t(tr, p, "gatherv", 8), 1e6 * t(tr, p, "reduce", 8),
            1e6 * t(tr, p, "allreduce", 4), 1e9 * beta, 1e-9 / beta,
            1e3 * t(tr, p, "gatherv", 45000000, "median_s"),
            1e3 * t(tr, p, "hpar_gather", col="median_s"),
            1e6 * t(tr, p, "hpar_gather_quiet", col="median_s")))
PY
