#!/usr/bin/env bash
# Runs one multi-host test case: `run_multihost.sh FILE case_NAME`. The case runs in a fresh
# directory with the helpers below and builds its own simulated cluster (cluster_up N); the
# cluster is always taken down at the end, also when the case fails or is interrupted.
#
# Exit 77 (ctest's SKIP) with a message when not root or when network namespaces are not
# available here; HPAR_REQUIRE_MULTIHOST=1 turns that into a failure (for CI, which is root).
set -u
script=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
case_name=$2
: "${HPAR:?HPAR must name the hpar binary}" "${MPIEXEC:=mpiexec}"
here=$(cd "$(dirname "$0")" && pwd)
CLUSTER=$here/cluster.sh

skip() {
  if [ "${HPAR_REQUIRE_MULTIHOST:-0}" = 1 ]; then
    echo "FAIL: $* (HPAR_REQUIRE_MULTIHOST=1)" >&2
    exit 1
  fi
  echo "SKIP: $*"
  exit 77
}
[ "$(id -u)" = 0 ] || skip "multi-host tests need root (they create network namespaces)"
for tool in ip nsenter unshare flock; do
  command -v "$tool" >/dev/null || skip "multi-host tests need '$tool' (Debian: iproute2, util-linux)"
done
ip netns list >/dev/null 2>&1 || skip "'ip netns' does not work here"
unshare --net --uts true 2>/dev/null || skip "cannot create network or UTS namespaces here"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

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
  timeout 120 mpirun $(bash "$CLUSTER" mpi-flags) -np "$np" \
    ${MPIRUN_MAP:---bind-to none} -x OMP_NUM_THREADS "$HPAR" "$@" >out.txt 2>err.txt
  RC=$?
  OUT=$(cat out.txt)
  ERR=$(cat err.txt)
}

# hpar_local NP ARGS...: hpar under mpirun on this machine only (shared memory).
hpar_local() {
  local np=$1
  shift
  OMPI_MCA_btl=self,vader timeout 120 "$MPIEXEC" -q -n "$np" --oversubscribe --bind-to none \
    "$HPAR" "$@" >out.txt 2>err.txt
  RC=$?
  OUT=$(cat out.txt)
  ERR=$(cat err.txt)
}

expect_rc() { [ "$RC" = "$1" ] || fail "exit code $RC, expected $1; stderr: $ERR; stdout: ${OUT:0:2000}"; }
expect_out() { grep -qF -- "$1" out.txt || fail "stdout lacks '$1'; stdout: ${OUT:0:2000}; stderr: $ERR"; }
expect_err() { grep -qF -- "$1" err.txt || fail "stderr lacks '$1'; stderr: $ERR"; }
# job_exists NAME: the binary lists the job.
job_exists() { "$HPAR" list | awk '{print $1}' | grep -qx -- "$1"; }

# shellcheck source=/dev/null
source "$script"
"$case_name"
status=$?
[ $status = 0 ] && echo "PASS: $case_name"
exit $status
