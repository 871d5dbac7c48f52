#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2317 # helpers for the sourced cases
# Runs one multi-host test case: `run_multihost.sh FILE case_NAME`. The case runs in a fresh
# directory with the checks of tests/lib/assert.sh and the helpers below and builds its own
# simulated cluster (cluster_up N); the cluster is always taken down at the end, also when the
# case fails or is interrupted.
#
# Exit 77 (ctest's SKIP) with a message when not root or when network namespaces are not
# available here; HPAR_REQUIRE_MULTIHOST=1 turns that into a failure (for CI, which is root).
# The simulated hosts have fixed names and addresses: one case runs at a time on this machine
# (tests/lib/exclusive.sh), HPAR_CASE_SECONDS at most (default 180); another checkout's run
# waits for it.
set -u
script=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
case_name=$2
: "${HPAR:?HPAR must name the hpar binary}" "${MPIEXEC:=mpiexec}"
here=$(cd "$(dirname "$0")" && pwd)
CLUSTER=$here/cluster.sh
# shellcheck source=tests/lib/skip.sh
source "$here/../lib/skip.sh"
# shellcheck source=tests/lib/assert.sh
source "$here/../lib/assert.sh"
# shellcheck source=tests/lib/exclusive.sh
source "$here/../lib/exclusive.sh"

require_root HPAR_REQUIRE_MULTIHOST "multi-host tests need root (they create network namespaces)"
require_tools HPAR_REQUIRE_MULTIHOST "multi-host tests" "iproute2, util-linux" ip nsenter unshare flock
ip netns list >/dev/null 2>&1 || skip HPAR_REQUIRE_MULTIHOST "'ip netns' does not work here"
unshare --net --uts true 2>/dev/null ||
  skip HPAR_REQUIRE_MULTIHOST "cannot create network or UTS namespaces here"
exclusive multihost "${HPAR_CASE_SECONDS:-180}" "$0" "$@"

# The work directory is shared by every simulated host (like a cluster's home); not under /tmp,
# which a simulated Slurm node replaces with its own.
work=$(mktemp -d "${HPAR_MULTIHOST_WORK:-/var/tmp}/hpar-multihost.XXXXXX")
cleanup() {
  [ -n "${CASE_CLEANUP:-}" ] && eval "$CASE_CLEANUP"
  bash "$CLUSTER" down >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
cd "$work" || exit 1

# The tests' environment selects shared memory for single-host runs (OMPI_MCA_btl=self,vader);
# across hosts ranks talk TCP: every cluster run names its transports explicitly.
unset OMPI_MCA_btl
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1

# cluster_up N [SLOTS]: simulated hosts h1..hN; SLOTS per host, or S1,S2,...,SN (default 2).
cluster_up() {
  HPAR_CLUSTER_SLOTS=${2:-2} bash "$CLUSTER" up "$1" >cluster.log 2>&1 ||
    fail "cluster.sh up $1 failed: $(cat cluster.log)"
}

# hpar_hosts NP ARGS...: hpar under mpirun over the simulated hosts (the cluster's hostfile, by
# slot: each host's slots fill before the next host's), OMP_NUM_THREADS passed on. Sets OUT,
# ERR, RC. MPIRUN_MAP: mapping and binding flags (default --bind-to none).
hpar_hosts() {
  local np=$1
  shift
  # shellcheck disable=SC2046,SC2086
  capture timeout 120 mpirun $(bash "$CLUSTER" mpi-flags) -np "$np" \
    ${MPIRUN_MAP:---bind-to none} -x OMP_NUM_THREADS "$HPAR" "$@"
}

# hpar_local NP ARGS...: hpar under mpirun on this machine only (shared memory).
hpar_local() {
  local np=$1
  shift
  OMPI_MCA_btl=self,vader capture timeout 120 "$MPIEXEC" -q -n "$np" --oversubscribe \
    --bind-to none "$HPAR" "$@"
}

# job_exists NAME: the binary lists the job.
job_exists() { "$HPAR" list | awk '{print $1}' | grep -qx -- "$1"; }

run_case "$script" "$case_name"
