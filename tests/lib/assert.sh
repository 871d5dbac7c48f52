# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Checks shared by the case runners (tests/cli/run_case.sh, tests/slurm/run_slurm_case.sh,
# tests/multihost/run_multihost.sh); sourced. A check reads RC, OUT and ERR (exit code, output and
# stderr of the last command the case ran, through `capture` or a runner's helper) and ends
# the case through `fail`.

# fail MESSAGE: ends the case: FAIL: MESSAGE on stderr, the runner's on_fail (if it has one,
# e.g. to cancel a Slurm job), exit 1.
fail() {
  echo "FAIL: $*" >&2
  if declare -F on_fail >/dev/null; then on_fail; fi
  exit 1
}

# capture CMD [ARG...]: runs CMD with stdout in out.txt and stderr in err.txt; sets RC, OUT, ERR.
capture() {
  "$@" >out.txt 2>err.txt
  RC=$?
  OUT=$(cat out.txt)
  ERR=$(cat err.txt)
}

expect_rc() { [ "$RC" = "$1" ] || fail "exit code $RC, expected $1; stderr: ${ERR:-}; output: ${OUT:0:2000}"; }
expect_out() { grep -qF -- "$1" <<<"$OUT" || fail "output lacks '$1'; output: ${OUT:0:3000}; stderr: ${ERR:-}"; }
expect_err() { grep -qF -- "$1" <<<"$ERR" || fail "stderr lacks '$1'; stderr: $ERR"; }

# expect_usage_error TEXT: exit 2, exactly one 'hpar: error:' line containing TEXT, no MPI abort.
expect_usage_error() {
  expect_rc 2
  local n name=${PROGRAM_NAME:-hpar}  # a program built on hpar names itself
  n=$(grep -c "^$name: error:" <<<"$ERR")
  [ "$n" = 1 ] || fail "expected one '$name: error:' line, got $n: $ERR"
  grep "^$name: error:" <<<"$ERR" | grep -qF -- "$1" || fail "error line lacks '$1': $ERR"
  grep -q 'MPI_ABORT\|MPI_Abort' <<<"$ERR" && fail "MPI abort noise: $ERR"
  return 0
}

# run_case FILE case_NAME: sources the case file and runs the case; prints PASS and exits with
# its status.
run_case() {
  # shellcheck source=/dev/null
  source "$1"
  "$2"
  local status=$?
  [ $status = 0 ] && echo "PASS: $2"
  exit $status
}
