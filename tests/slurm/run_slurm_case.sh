#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2317 # helpers for the sourced cases
# Runs one test case against the throwaway Slurm of tests/slurm/cluster.sh:
#   run_slurm_case.sh FILE case_NAME
# Starts the cluster (or reuses the one up in HPAR_SLURM_DIR), submits from a fresh temporary
# directory, and gives the checks of tests/lib/assert.sh and the case helpers below. Exit 77
# (ctest's SKIP) when Slurm or munge is not installed or not root; HPAR_REQUIRE_SLURM=1 (CI)
# turns that into a failure.
# Clusters of different build trees have their own ports and munge, but their jobs are numbered
# from 1 alike, and srun --mpi=pmix and Open MPI name their files in the shared /tmp and
# /dev/shm by job id: one case runs at a time on this machine (tests/lib/exclusive.sh),
# HPAR_CASE_SECONDS at most (default 300); another checkout's run waits for it.
set -u
script=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
case_name=$2
: "${HPAR:?HPAR must name the hpar binary}" "${SOURCE_DIR:?SOURCE_DIR must name the source tree}"
: "${HPAR_SLURM_DIR:?HPAR_SLURM_DIR must name the cluster directory}"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/exclusive.sh
source "$here/../lib/exclusive.sh"
exclusive slurm "${HPAR_CASE_SECONDS:-300}" "$0" "$@"
# shellcheck source=tests/lib/assert.sh
source "$here/../lib/assert.sh"
# shellcheck source=tests/lib/slurm.sh
source "$here/../lib/slurm.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

"$here/cluster.sh" start "$HPAR_SLURM_DIR" >cluster.env
rc=$?
[ $rc = 0 ] || exit $rc
# shellcheck source=/dev/null
source cluster.env
export HPAR SLURM_CONF

# on_fail: a failed case cancels its job, so that it does not hold the node for the next case.
on_fail() { [ -n "${JOB:-}" ] && timeout 10 scancel "$JOB" 2>/dev/null; }
trap 'fail "stopped by SIGTERM (the case ran out of time?)"' TERM

# submit ARGS...: sbatch from this directory; sets JOB.
submit() {
  JOB=$(sbatch --parsable --chdir="$work" "$@" 2>sbatch.err) || fail "sbatch failed: $(cat sbatch.err)"
  JOB=${JOB%%;*}
  [ -n "$JOB" ] || fail "sbatch printed no job id: $(cat sbatch.err)"
}

# wait_end JOB [SECONDS]: waits (bounded, default 120 s) until JOB ended; sets STATE, EXIT
# ("code:signal" as Slurm records it) and OUT (the job's output file hpar*-JOB.out, if any).
wait_end() {
  local job=$1 limit=${2:-120}
  wait_job_end "$job" "$limit"
  [ -n "$STATE" ] || fail "job $job did not end within $limit s: $(scontrol -o show job "$job" 2>&1 | head -c 600)"
  EXIT=$(scontrol -o show job "$job" | grep -o ' ExitCode=[0-9]*:[0-9]*' | head -1)
  EXIT=${EXIT# ExitCode=}
  OUT=$(cat ./*-"$job".out 2>/dev/null)
}

# expect_job STATE EXIT: the job ended in STATE with exit code EXIT (e.g. COMPLETED 0:0), as
# `scontrol show job` and the job completion log (jobcomp/filetxt) record it.
expect_job() {
  [ "$STATE $EXIT" = "$1 $2" ] || fail "job $JOB ended $STATE $EXIT, expected $1 $2; output: ${OUT:0:3000}"
  local line=
  for _ in $(seq 1 25); do
    line=$(grep "^JobId=$JOB " "$HPAR_SLURM_DIR/jobcomp.txt" 2>/dev/null)
    [ -n "$line" ] && break
    sleep 0.2
  done
  echo "$line" | grep -q "JobState=$1 " || fail "jobcomp.txt: job $JOB not $1: $line"
  # A cancelled job is logged when it is cancelled, before its script has ended.
  [ "$1" = CANCELLED ] || echo "$line" | grep -q " ExitCode=$2 " ||
    fail "jobcomp.txt: job $JOB not exit $2: $line"
}

# json_check FILE PYTHON: runs PYTHON with `r` = the JSON document in FILE; fails unless it
# exits 0 (use assert).
json_check() {
  [ -s "$1" ] || fail "no $1; job output: ${OUT:0:2000}"
  python3 -c "import json, sys
r = json.load(open(sys.argv[1]))
$2" "$1" || fail "$1 is not as expected: $(head -c 1500 "$1")"
}

# wait_computing JOB RANKS: waits until RANKS hpar processes of JOB run with their stop
# handlers installed (SIGTERM caught), so that a signal now tests the stop, not the start-up.
wait_computing() {
  local job=$1 ranks=$2 ready pid
  for _ in $(seq 1 300); do
    ready=0
    for pid in $(timeout 10 scontrol listpids "$job" 2>/dev/null | awk 'NR > 1 { print $1 }'); do
      [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = hpar ] || continue
      grep -q '^SigCgt:.*[4567cdef][0-9a-f][0-9a-f][0-9a-f]$' "/proc/$pid/status" 2>/dev/null &&
        ready=$((ready + 1))
    done
    if [ "$ready" -ge "$ranks" ]; then
      sleep 0.5
      return 0
    fi
    [ -n "$(final_state "$job")" ] && fail "job $job ended before it was stopped: $(cat ./*-"$job".out)"
    sleep 0.2
  done
  fail "job $job: $ranks hpar ranks not running after 60 s: $(cat ./*-"$job".out 2>/dev/null)"
}

run_case "$script" "$case_name"
