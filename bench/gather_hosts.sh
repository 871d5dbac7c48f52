#!/usr/bin/env bash
# Gather and reduce cost over 1..4 simulated hosts (tests/cluster/cluster.sh): the figures of
# docs/scaling-model.md. Needs root (network namespaces). Not a test: timings, not verdicts.
#
#   bash bench/gather_hosts.sh [HPAR_BINARY] [REPEAT]
#
# For P = 2, 3, 4 it runs, side by side in the same session:
#   shm  P ranks on this host, shared memory (Open MPI vader);
#   tcp  P simulated hosts, one rank each, TCP over veth pairs and a bridge;
# first bench/gather_hosts.cpp (plain MPI_Gatherv of m bytes per rank, MPI_Reduce of 8 bytes,
# MPI_Allreduce of 4 bytes: min and median over REPEAT timed calls, default 41), then hpar's
# own gather phase (`hpar run numbers`, 100000 lines = about 4.3 MB per rank, and the same
# with --quiet, partials only: phases.gather.max of the report, min and median of 7 runs).
# Waiting ranks yield the CPU (mpi_yield_when_idle): with more ranks than the machine's cores
# busy-polling ranks would otherwise steal the root's time slices.
# Output: CSV on stdout (also in gather_hosts.csv in the current directory), then the fitted
# latency (alpha) and inverse bandwidth (beta) per transport and P.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
hpar=${1:-$root/build/release/hpar}
repeat=${2:-41}
[ -x "$hpar" ] || { echo "gather_hosts.sh: no hpar binary at $hpar (pass its path)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "gather_hosts.sh: needs root (network namespaces)" >&2; exit 2; }
cluster=$root/tests/cluster/cluster.sh

work=$(mktemp -d /var/tmp/hpar-gather-hosts.XXXXXX)
trap 'bash "$cluster" down >/dev/null 2>&1; rm -rf "$work"' EXIT
mpicxx -std=c++20 -O2 -DOMPI_SKIP_MPICXX -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror \
  "$root/bench/gather_hosts.cpp" -o "$work/gather_hosts"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1
export OMPI_MCA_mpi_yield_when_idle=1
unset OMPI_MCA_btl
csv=$PWD/gather_hosts.csv
echo "transport,ranks,hosts,measure,bytes_per_rank,min_s,median_s" | tee "$csv"

# hpar_gather P TRANSPORT HOSTS LAUNCH...: min and median of phases.gather.max over 7 runs.
hpar_gather() {
  local p=$1 label=$2 hosts=$3
  shift 3
  local quiet
  for quiet in "" --quiet; do
    local i times=()
    for i in 1 2 3 4 5 6 7; do
      "$@" -np "$p" -x OMP_NUM_THREADS=1 "$hpar" run numbers --range 1:$((p * 100000)) $quiet \
        --no-report --report-json "$work/rep.json" >/dev/null 2>&1
      times+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["phases"]["gather"]["max"])' "$work/rep.json")")
    done
    local bytes=4300000
    [ -n "$quiet" ] && bytes=0
    printf '%s\n' "${times[@]}" | sort -g | awk -v t="$label" -v p="$p" -v h="$hosts" -v b="$bytes" \
      -v m="hpar_gather${quiet:+_quiet}" '{ v[NR] = $1 } END { printf "%s,%d,%s,%s,%d,%.9f,%.9f\n", t, p, h, m, b, v[1], v[int((NR + 1) / 2)] }'
  done
}

for p in 2 3 4; do
  # Shared memory on this one host.
  mpirun -np "$p" --oversubscribe --bind-to none --mca btl self,vader "$work/gather_hosts" \
    --repeat "$repeat" | tail -n +2 | sed 's/^/shm,/' | tee -a "$csv"
  hpar_gather "$p" shm 1 mpirun --oversubscribe --bind-to none --mca btl self,vader | tee -a "$csv"
  # P simulated hosts, one rank each, TCP.
  HPAR_CLUSTER_SLOTS=1 bash "$cluster" up "$p" >/dev/null
  # shellcheck disable=SC2046
  mpirun $(bash "$cluster" mpi-flags) -np "$p" --map-by ppr:1:node --bind-to none \
    "$work/gather_hosts" --repeat "$repeat" 2>/dev/null | tail -n +2 | sed 's/^/tcp,/' | tee -a "$csv"
  # shellcheck disable=SC2046
  hpar_gather "$p" tcp "$p" mpirun $(bash "$cluster" mpi-flags) --map-by ppr:1:node --bind-to none \
    2>/dev/null | tee -a "$csv"
done
bash "$cluster" down >/dev/null

# Fit per transport and P from the minima: alpha = the 8-byte gather / (P-1) (a linear gather
# pays one latency per sender), beta = the slope between 64 KiB and 4 MiB per rank over the
# (P-1) * m bytes that reach rank 0.
echo
echo "transport,ranks,alpha_us_per_sender,beta_ns_per_byte,bandwidth_GB_s,reduce_us,allreduce_us"
awk -F, 'NR > 1 && $4 == "gatherv" { g[$1 "," $2 "," $5] = $6 }
         NR > 1 && $4 == "reduce" { r[$1 "," $2] = $6 }
         NR > 1 && $4 == "allreduce" { a[$1 "," $2] = $6 }
         END {
           split("shm tcp", ts, " ")
           for (i = 1; i <= 2; i++) for (p = 2; p <= 4; p++) {
             k = ts[i] "," p
             alpha = g[k ",8"] / (p - 1)
             beta = (g[k ",4194304"] - g[k ",65536"]) / ((p - 1) * (4194304 - 65536))
             printf "%s,%d,%.2f,%.4f,%.2f,%.2f,%.2f\n", ts[i], p, alpha * 1e6, beta * 1e9,
                    (beta > 0 ? 1e-9 / beta : 0), r[k] * 1e6, a[k] * 1e6
           }
         }' "$csv"
