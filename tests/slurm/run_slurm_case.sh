#!/usr/bin/env bash
# shellcheck disable=SC2317 # helpers for the sourced cases
# Runs one test case against the throwaway Slurm of tests/slurm/cluster.sh:
#   run_slurm_case.sh FILE case_NAME
# Starts the cluster (or reuses the one up in HPAR_SLURM_DIR), submits from a fresh temporary
# directory, and gives the case helpers below. Exit 77 (ctest's SKIP) when Slurm or munge is
# not installed or not root; HPAR_REQUIRE_SLURM=1 (CI) turns that into a failure.
set -u
script=$1
case_name=$2
: "${HPAR:?HPAR must name the hpar binary}" "${SOURCE_DIR:?SOURCE_DIR must name the source tree}"
: "${HPAR_SLURM_DIR:?HPAR_SLURM_DIR must name the cluster directory}"
here=$(cd "$(dirname "$0")" && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

"$here/cluster.sh" start "$HPAR_SLURM_DIR" >cluster.env
rc=$?
[ $rc = 0 ] || exit $rc
# shellcheck source=/dev/null
source cluster.env
export HPAR SLURM_CONF

fail() {
  echo "FAIL: $*" >&2
  [ -n "${JOB:-}" ] && timeout 10 scancel "$JOB" 2>/dev/null
  exit 1
}

# submit ARGS...: sbatch from this directory; sets JOB.
submit() {
  JOB=$(sbatch --parsable --chdir="$work" "$@" 2>sbatch.err) || fail "sbatch failed: $(cat sbatch.err)"
  JOB=${JOB%%;*}
  [ -n "$JOB" ] || fail "sbatch printed no job id: $(cat sbatch.err)"
}

# final_state JOB: the job's state once it has ended (empty while it runs).
final_state() {
  local state
  state=$(timeout 10 scontrol -o show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -1)
  state=${state#JobState=}
  case $state in
    COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED)
      echo "$state"
      ;;
  esac
}

# wait_end JOB [SECONDS]: waits (bounded, default 120 s) until JOB ended; sets STATE, EXIT
# ("code:signal" as Slurm records it) and OUT (the job's output file hpar*-JOB.out, if any).
wait_end() {
  local job=$1 limit=${2:-120}
  STATE=
  for _ in $(seq 1 $((limit * 5))); do
    STATE=$(final_state "$job")
    [ -n "$STATE" ] && break
    sleep 0.2
  done
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

expect_out() { grep -qF -- "$1" <<<"$OUT" || fail "job output lacks '$1': ${OUT:0:3000}"; }

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

# shellcheck source=/dev/null
source "$script"
"$case_name"
status=$?
[ $status = 0 ] && echo "PASS: $case_name"
exit $status
