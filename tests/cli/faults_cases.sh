# shellcheck shell=bash disable=SC2034 # OUT, ERR: read by the checks
# SPDX-License-Identifier: BSD-3-Clause
# Fault tests: signals and kills in a run's phases, to a rank and to mpirun. Each checks the exit
# code, the report (terminal and JSON) and that no partial output and no temporary file is left.
# The output phase is held open by a FIFO that nobody reads yet: rank 0 waits to write its
# --trace (or a study's --json) into it, which is exactly "a signal while writing".
# The engine's phases (setup, compute, gather, waits in collectives) get their cases here too;
# case_sigkill_to_a_rank_while_computing is the first.

# start_run ARGS...: `hpar ARGS` at 2 ranks in the background (stdout out.txt, stderr err.txt);
# sets LAUNCHER (mpirun's pid).
start_run() {
  "$MPIEXEC" -q -n 2 --oversubscribe --bind-to none -x OMP_NUM_THREADS=1 "$HPAR" "$@" \
    </dev/null >out.txt 2>err.txt &
  LAUNCHER=$!
}

# rank_pid N: the pid of rank N of the run started by start_run.
rank_pid() {
  local p
  for _ in $(seq 100); do
    for p in $(pgrep -P "$LAUNCHER"); do
      if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1"; then
        echo "$p"
        return 0
      fi
    done
    sleep 0.1
  done
  fail "no rank $1 under mpirun $LAUNCHER"
}

# wait_for TEXT FILE: until FILE contains TEXT (at most 60 s).
wait_for() {
  for _ in $(seq 600); do
    grep -qF -- "$1" "$2" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "'$1' never appeared in $2: $(cat "$2")"
}

# finish_run: waits for the launcher (failing after 20 s) and sets RC, OUT, ERR.
finish_run() {
  local start=$SECONDS
  wait "$LAUNCHER"
  RC=$?
  OUT=$(cat out.txt)
  ERR=$(cat err.txt)
  [ $((SECONDS - start)) -le 20 ] || fail "the run took $((SECONDS - start)) s to end"
}

# expect_incomplete_report FILE: the JSON report says the run stopped during its output.
expect_incomplete_report() {
  python3 - "$1" <<'PY' || fail "report $1 is not marked incomplete: $(cat "$1")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["complete"] is False and r["stopped_during"] == "output", r
PY
}

# wait_gone PID...: until no such process runs (a zombie counts as gone; at most 10 s): a
# SIGKILLed rank may still be closing its files when its launcher has already exited.
wait_gone() {
  local p state
  for p in "$@"; do
    for _ in $(seq 100); do
      state=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -c1)
      [ -z "$state" ] || [ "$state" = Z ] || [ "$state" = X ] && break
      sleep 0.1
    done
  done
}

expect_no_leftovers() {
  [ -z "$(find . -name '*hpar-*')" ] || fail "temporary file left: $(find . -name '*hpar-*')"
}

case_sigterm_to_rank_0_while_it_writes_the_trace() {
  only_with_open_mpi "signals through Open MPI's mpirun (what it forwards, its exit codes)"
  mkfifo trace.fifo
  start_run run pi --samples 1e6 --trace trace.fifo --report-json report.json
  wait_for "result: pi" out.txt
  sleep 0.3
  kill -TERM "$(rank_pid 0)"
  finish_run
  expect_rc 4
  expect_err "hpar: note: stopped by a signal: --trace 'trace.fifo' not written"
  expect_err "hpar: error: stopped early by a signal; the report is incomplete"
  expect_out "INCOMPLETE"
  expect_incomplete_report report.json
  expect_no_leftovers
}

case_sigterm_to_rank_1_while_rank_0_writes_the_trace() {
  only_with_open_mpi "signals through Open MPI's mpirun (what it forwards, its exit codes)"
  mkfifo trace.fifo
  start_run run pi --samples 1e6 --trace trace.fifo --report-json report.json
  wait_for "result: pi" out.txt
  kill -TERM "$(rank_pid 1)"
  sleep 0.5
  cat trace.fifo >trace.txt  # rank 0 writes the trace it had begun; then the report knows
  finish_run
  expect_rc 4
  grep -q traceEvents trace.txt || fail "the trace did not come through: $(head -c 200 trace.txt)"
  expect_incomplete_report report.json
  expect_err "hpar: error: stopped early by a signal"
  expect_no_leftovers
}

case_sigterm_to_mpirun_while_rank_0_writes_the_trace() {
  only_with_open_mpi "signals through Open MPI's mpirun (what it forwards, its exit codes)"
  mkfifo trace.fifo
  start_run run pi --samples 1e6 --trace trace.fifo --report-json report.json
  wait_for "result: pi" out.txt
  sleep 0.3
  kill -TERM "$LAUNCHER"
  finish_run
  # Open MPI's mpirun ends with 1 of its own when it is signalled (docs/errors.md: exit codes); the
  # ranks stop cleanly with 4, and the report and the message say so.
  expect_rc 1
  expect_incomplete_report report.json
  expect_err "hpar: error: stopped early by a signal; the report is incomplete"
  [ ! -e trace.fifo ] || [ -p trace.fifo ] || fail "the FIFO was replaced"
  expect_no_leftovers
}

case_sigusr1_to_mpirun_ends_with_4() {
  only_with_open_mpi "signals through Open MPI's mpirun (what it forwards, its exit codes)"
  mkfifo trace.fifo
  start_run run pi --samples 1e6 --trace trace.fifo --report-json report.json
  wait_for "result: pi" out.txt
  sleep 0.3
  kill -USR1 "$LAUNCHER"  # mpirun passes SIGUSR1 on to the ranks and keeps their exit code
  finish_run
  expect_rc 4
  expect_incomplete_report report.json
  expect_no_leftovers
}

case_sigusr1_to_mpirun_while_computing_ends_with_4() {
  only_with_open_mpi "signals through Open MPI's mpirun (what it forwards, its exit codes)"
  start_run run pi --samples 1e13 --report-json report.json --progress off
  rank_pid 1 >/dev/null
  sleep 1
  kill -USR1 "$LAUNCHER"
  finish_run
  expect_rc 4
  python3 -c 'import json,sys; assert json.load(open("report.json"))["complete"] is False' ||
    fail "report not incomplete: $(cat report.json)"
}

case_sigkill_to_rank_0_while_it_writes_the_trace() {
  only_with_open_mpi "signals through Open MPI's mpirun (what it forwards, its exit codes)"
  mkfifo trace.fifo
  start_run run pi --samples 1e6 --trace trace.fifo --report-json report.json
  wait_for "result: pi" out.txt
  sleep 0.3
  kill -KILL "$(rank_pid 0)"
  finish_run
  [ "$RC" != 0 ] || fail "exit 0 after rank 0 was killed"
  [ ! -e report.json ] || fail "a report after rank 0 was killed: $(cat report.json)"
  expect_no_leftovers
}

case_sigkill_to_a_rank_while_computing() {
  only_with_open_mpi "signals through Open MPI's mpirun (what it forwards, its exit codes)"
  start_run run numbers --range 1:100000000 --output res.txt --progress off
  local r0
  r0=$(rank_pid 0)
  sleep 1
  kill -KILL "$(rank_pid 1)"
  finish_run
  wait_gone "$r0" # mpirun may return before rank 0 is gone
  [ "$RC" != 0 ] || fail "exit 0 after a rank was killed"
  [ ! -e res.txt ] || fail "result file left behind"
  # The engine's MPI-IO staging file (.res.txt.hpar-PID@HOST-*, named so that every rank can
  # open it) may stay when rank 0 is killed too; the next run with the same output removes it.
  hpar_np 2 run numbers --range 1:1000 --output res.txt --no-report
  expect_rc 0
  expect_no_leftovers
}

case_sigkill_at_1_rank_leaves_no_staging_file() {
  only_with_open_mpi "signals through Open MPI's mpirun (what it forwards, its exit codes)"
  "$MPIEXEC" -q -n 1 --bind-to none -x OMP_NUM_THREADS=1 "$HPAR" run numbers \
    --range 1:100000000 --output res.txt --progress off </dev/null >out.txt 2>err.txt &
  LAUNCHER=$!
  rank_pid 0 >/dev/null
  sleep 1.5
  kill -KILL "$(rank_pid 0)"
  finish_run
  [ "$RC" != 0 ] || fail "exit 0 after the rank was killed"
  [ ! -e res.txt ] || fail "result file left behind"
  expect_no_leftovers # one process writes: its staging file has no name to leave behind
}

case_sigkill_of_every_rank_then_the_next_run_removes_the_stale_file() {
  only_with_open_mpi "signals through Open MPI's mpirun (what it forwards, its exit codes)"
  start_run run numbers --range 1:100000000 --output res.txt --progress off
  local r0 r1
  r0=$(rank_pid 0)
  r1=$(rank_pid 1)
  for _ in $(seq 300); do
    [ -n "$(find . -name '.res.txt.hpar-*' -size +0)" ] && break
    sleep 0.1
  done
  kill -KILL "$r0" "$r1"
  finish_run
  [ "$RC" != 0 ] || fail "exit 0 after the ranks were killed"
  [ -n "$(find . -name '.res.txt.hpar-*')" ] || fail "no staging file was left to remove: $(ls -A)"
  wait_gone "$r0" "$r1"
  echo "not ours" >".res.txt.hpar-1@elsewhere-abcdef" # another host's: left alone
  hpar_np 2 run numbers --range 1:1000 --output res.txt --no-report
  expect_rc 0
  [ "$(find . -name '.res.txt.hpar-*')" = "./.res.txt.hpar-1@elsewhere-abcdef" ] ||
    fail "staging files after the next run: $(find . -name '.res.txt.hpar-*')"
}

case_sigterm_to_a_rank_done_with_its_share_stops_the_others() {
  # Rank 0's share (two empty tasks) is done at once and it waits for rank 1's two 8 s tasks:
  # a SIGTERM to it now reaches rank 1, whose task is ended; both ranks have exited within 2 s
  # (mpirun's own teardown after a non-zero exit, about 1 s more, is not hpar's), exit 4.
  only_with_open_mpi "signals through Open MPI's mpirun (what it forwards, its exit codes)"
  start_run run farm --distribution block --threads 1 --inputs 0,0,8,8 --no-report -- sleep
  local r0 r1 started stopped
  r0=$(rank_pid 0)
  r1=$(rank_pid 1)
  for _ in $(seq 100); do
    pgrep -f '^sleep 8$' >/dev/null && break
    sleep 0.1
  done
  sleep 0.5
  started=$(date +%s%N)
  kill -TERM "$r0"
  wait_gone "$r0" "$r1"
  stopped=$(date +%s%N)
  finish_run
  expect_rc 4
  [ $(((stopped - started) / 1000000)) -le 4000 ] ||
    fail "the ranks took $(((stopped - started) / 1000000)) ms to end after the stop: $ERR"
  pgrep -f '^sleep 8$' >/dev/null && fail "rank 1's task still runs"
  expect_no_leftovers
}

case_sigterm_to_rank_0_while_scale_writes_its_study() {
  only_with_open_mpi "signals through Open MPI's mpirun (what it forwards, its exit codes)"
  mkfifo study.fifo
  start_run scale pi --mode strong --samples 1e5 --repeat 1 --ranks 1,2 --threads 1 \
    --csv study.csv --json study.fifo
  wait_for "fastest" out.txt
  sleep 0.3
  kill -TERM "$(rank_pid 0)"
  finish_run
  expect_rc 4
  expect_err "stopped by a signal while 'study.fifo' was written: not written"
  [ -s study.csv ] || fail "the CSV written before the signal is missing"
  expect_no_leftovers
}

case_sigterm_to_collect_while_it_writes() {
  only_with_open_mpi "signals through Open MPI's mpirun (what it forwards, its exit codes)"
  "$MPIEXEC" -q -n 1 "$HPAR" run pi --samples 1e5 --report-json r1.json </dev/null >/dev/null 2>&1
  mkfifo study.fifo
  "$HPAR" collect r1.json --json study.fifo </dev/null >out.txt 2>err.txt &
  LAUNCHER=$!
  wait_for "== hpar collect" out.txt
  sleep 0.3
  kill -TERM "$LAUNCHER"
  finish_run
  expect_rc 4
  expect_err "hpar: error: stopped by a signal"
  expect_no_leftovers
}

case_sigterm_while_the_output_fifo_is_opened() {
  only_with_open_mpi "signals through Open MPI's mpirun (what it forwards, its exit codes)"
  mkfifo res.fifo
  start_run run numbers --range 1:1000 --output res.fifo
  local r0
  r0=$(rank_pid 0)
  sleep 1 # rank 0 waits in open() for a reader of the FIFO (set-up)
  kill -TERM "$r0"
  finish_run
  expect_rc 4
  expect_err "stopped by a signal while 'res.fifo' was opened: not written"
  grep -q "Interrupted system call" <<<"$ERR" && fail "EINTR reported as an error: $ERR"
  [ -p res.fifo ] || fail "the FIFO was replaced"
  expect_no_leftovers
}

case_sigterm_to_rank_1_while_rank_0_writes_the_rest_of_the_output() {
  # 1:2e6 prints 91333466 bytes; rank 0's share (the first 245 of 489 blocks) is about 45 MB.
  # A slow reader of the output FIFO holds rank 0 in the output phase: past 60 MB it writes
  # rank 1's blocks after its own compute is done. A SIGTERM to rank 1 (done with everything)
  # reaches rank 0, which writes no more: both ranks end within 4 s (Open MPI's own shutdown
  # takes about 2 s of it), not when the ~30 MB left are read (the reader slows down past
  # 60 MB: about 24 s for them), exit 4, the report incomplete.
  only_with_open_mpi "signals through Open MPI's mpirun (what it forwards, its exit codes)"
  mkfifo res.fifo
  python3 - res.fifo read.txt <<'PY' &
import os, sys, time
got = 0
with open(sys.argv[1], "rb") as fifo:
    while True:
        piece = fifo.read(1 << 16)
        if not piece:
            break
        got += len(piece)
        with open(sys.argv[2] + ".new", "w") as out:
            out.write(str(got))
        os.replace(sys.argv[2] + ".new", sys.argv[2])
        time.sleep(0.01 if got < 60000000 else 0.05)
PY
  local reader=$! r1 started stopped
  start_run run numbers --range 1:2e6 --output res.fifo --report-json report.json
  r1=$(rank_pid 1)
  local r0
  r0=$(rank_pid 0)
  for _ in $(seq 600); do
    [ "$(cat read.txt 2>/dev/null || echo 0)" -ge 60000000 ] && break
    sleep 0.05
  done
  [ "$(cat read.txt)" -ge 60000000 ] || fail "the reader got $(cat read.txt) bytes in 30 s"
  started=$(date +%s%N)
  kill -TERM "$r1"
  wait_gone "$r0" "$r1"
  stopped=$(date +%s%N)
  finish_run
  wait "$reader"
  expect_rc 4
  expect_err "stopped early by a signal"
  [ $(((stopped - started) / 1000000)) -le 4000 ] ||
    fail "the ranks took $(((stopped - started) / 1000000)) ms to end after the stop: $ERR"
  [ "$(cat read.txt)" -lt 91333466 ] || fail "the whole output was written"
  python3 -c 'import json, sys; assert json.load(open("report.json"))["complete"] is False' ||
    fail "the report is not marked incomplete: $(cat report.json)"
  expect_no_leftovers
}

case_sigterm_while_a_large_input_file_is_read_in_setup() {
  # 2e7 inputs (170 MB) take every rank seconds to check, hash and load before the compute: a
  # SIGTERM then ends both within 2 s, exit 4, saying what it stopped.
  only_with_open_mpi "signals through Open MPI's mpirun (what it forwards, its exit codes)"
  seq 1 20000000 >in.txt
  start_run run numbers --input-file in.txt --checkpoint ck --quiet
  local r0 r1 started stopped
  r0=$(rank_pid 0)
  r1=$(rank_pid 1)
  sleep 0.5
  started=$(date +%s%N)
  kill -TERM "$r0" "$r1"
  wait_gone "$r0" "$r1"
  stopped=$(date +%s%N)
  finish_run
  expect_rc 4
  expect_err "stopped by a signal while 'in.txt' was read"
  [ $(((stopped - started) / 1000000)) -le 4000 ] ||
    fail "the ranks took $(((stopped - started) / 1000000)) ms to end after the stop: $ERR"
  expect_no_leftovers
}
