# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# CLI tests of progress lines on `run` (scale's per-point lines are in scale_cases.sh).

case_progress_on_prints_lines() {
  hpar_np 2 run numbers --range 1:300000 --quiet --progress on --no-report
  expect_rc 0
  expect_err "hpar: progress"
  expect_err "100.0 % ("
  expect_out "result: 300000 inputs"
}

case_progress_auto_is_silent_without_a_terminal() {
  hpar_np 2 run numbers --range 1:300000 --quiet --no-report
  expect_rc 0
  grep -q "progress" err.txt && fail "progress printed into a file: $ERR"
  return 0
}

case_progress_auto_on_a_terminal_waits_a_few_seconds() {
  # `script` gives stderr a terminal; a short run stays silent all the same.
  command -v script >/dev/null || fail "script(1) is needed (bsdutils)"
  launch_plain
  script -qec "$MPIEXEC -n 1 ${LAUNCH[*]} $HPAR run numbers --range 1:1000 --quiet --no-report" \
    /dev/null >tty.txt 2>&1
  grep -q "result: 1000 inputs" tty.txt || fail "no result on the terminal: $(cat tty.txt)"
  grep -q "progress" tty.txt && fail "progress for a short run: $(cat tty.txt)"
  return 0
}

case_bad_progress_mode() {
  hpar_np 2 run numbers --progress sometimes
  expect_usage_error "bad --progress 'sometimes'"
}

# Under mpirun a rank's stdout is a pty whatever mpirun's own output is, and its stderr a pipe:
# only mpirun's own stderr tells whether a person sees the lines. A run of more than 3 s (cut
# by SIGUSR1 after 4.5 s, which mpirun passes on) prints progress when that is a terminal, and
# none into a file.
case_progress_auto_follows_mpiruns_own_stderr() {
  only_with_open_mpi "Open MPI's mpirun: its own stderr, SIGUSR1 passed on"
  command -v script >/dev/null || fail "script(1) is needed (bsdutils)"
  local run="timeout -s USR1 4.5 $MPIEXEC -q -n 2 --oversubscribe --bind-to none \
-x OMP_NUM_THREADS=1 $HPAR run pi --samples 1e13 --no-report"
  script -qec "$run" /dev/null >tty.txt 2>&1
  grep -q "hpar: progress" tty.txt || fail "no progress on a terminal: $(cat tty.txt)"
  script -qec "$run 2>err.txt" /dev/null >tty.txt 2>&1
  grep -q "stopped early by a signal" err.txt || fail "the run was not cut: $(cat err.txt)"
  grep -q "progress" err.txt && fail "progress written into a file: $(cat err.txt)"
  grep -q "progress" tty.txt && fail "progress on the terminal though stderr is a file"
  return 0
}
