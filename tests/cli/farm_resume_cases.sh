# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2034,SC2153,SC2016,SC1083 # RC, OUT, ERR and LAUNCH belong to the runner (tests/lib); the tasks' $ and {} are theirs
# CLI tests of the farm's --resume-failed: a checkpoint's failed tasks run again, the
# succeeded ones are not (every run leaves a file in runs/), and the joined output is the
# clean run's (the serial loop's).

# task.sh X: records the run; inputs 3 and 5 fail the first time (a marker file in marks/),
# every other run prints "out X".
make_flaky_task() {
  mkdir -p runs marks
  cat >task.sh <<'SCRIPT'
#!/bin/sh
mktemp "runs/$1.XXXXXX" >/dev/null
case $1 in
  3 | 5) if [ ! -e "marks/$1" ]; then touch "marks/$1"; exit 1; fi ;;
esac
echo "out $1"
SCRIPT
  chmod +x task.sh
  for x in $(seq 1 8); do echo "out $x"; done >expected.txt
}

# runs_of X: how many times task X ran.
runs_of() { find runs -name "$1.*" | wc -l; }

case_resume_failed_reruns_only_the_failed_tasks() {
  make_flaky_task
  local np x want
  for np in 1 2; do
    rm -rf ck runs marks
    make_flaky_task
    hpar_np "$np" run farm --checkpoint ck --range 1:8 --no-report -- ./task.sh
    expect_rc 3
    hpar_np "$np" run farm --checkpoint ck --resume-failed --range 1:8 --no-report -- ./task.sh
    expect_rc 0
    cmp -s out.txt expected.txt || fail "np $np: $(cat out.txt)"
    for x in $(seq 1 8); do
      want=1
      case $x in 3 | 5) want=2 ;; esac
      [ "$(runs_of "$x")" = "$want" ] || fail "np $np: task $x ran $(runs_of "$x") times"
    done
    # A plain resume of it now runs nothing and gives the same bytes (the later records win).
    hpar_np "$np" run farm --checkpoint ck --resume --range 1:8 --no-report -- ./task.sh
    expect_rc 0
    cmp -s out.txt expected.txt || fail "np $np, --resume after: $(cat out.txt)"
    [ "$(find runs -type f | wc -l)" = 10 ] || fail "np $np: --resume ran tasks again"
  done
}

# The tasks a --halt left unrun count as failed: --resume-failed runs them.
case_resume_failed_after_a_halt() {
  make_flaky_task
  hpar_np 1 run farm --threads 1 --halt soon,fail=1 --checkpoint ck --range 1:8 --no-report \
    -- ./task.sh
  expect_rc 3
  [ "$(find runs -type f | wc -l)" = 3 ] || fail "the halt let $(find runs -type f | wc -l) run"
  hpar_np 2 run farm --checkpoint ck --resume-failed --range 1:8 --no-report -- ./task.sh
  expect_rc 3  # 5 fails the first time it runs
  hpar_np 2 run farm --checkpoint ck --resume-failed --range 1:8 --no-report -- ./task.sh
  expect_rc 0
  cmp -s out.txt expected.txt || fail "$(cat out.txt)"
  [ "$(runs_of 1)$(runs_of 3)$(runs_of 5)$(runs_of 8)" = 1221 ] || fail "runs: $(ls runs)"
}

case_resume_failed_needs_a_checkpoint() {
  hpar_np 1 run farm --resume-failed --range 1:2 -- true
  expect_usage_error "--resume-failed needs --checkpoint DIR"
}

# hpar farm-status DIR: the tasks done, failed and left of a farm's checkpoint, read without
# MPI (no launcher); what is not a farm's checkpoint is refused.
case_farm_status_reads_a_checkpoint() {
  make_flaky_task
  hpar_np 1 run farm --threads 1 --halt soon,fail=1 --checkpoint ck --range 1:8 --no-report \
    -- ./task.sh
  expect_rc 3
  capture "$HPAR" farm-status ck
  expect_rc 0
  local want
  want=$(printf 'runs: 1\ncomplete: yes\ntasks: 8\ndone: 8\nsucceeded: 2\nfailed: 6\nleft: 0')
  [ "$(sed 1d <<<"$OUT")" = "$want" ] || fail "farm-status: $OUT"
  hpar_np 2 run farm --checkpoint ck --resume-failed --range 1:8 --no-report -- ./task.sh
  capture "$HPAR" farm-status ck
  grep -qx 'failed: 1' <<<"$OUT" || fail "after --resume-failed: $OUT"
  grep -qx 'runs: 2' <<<"$OUT" || fail "after --resume-failed: $OUT"
  mkdir empty
  capture "$HPAR" farm-status empty
  expect_usage_error "is not a checkpoint"
  capture "$HPAR" farm-status
  expect_usage_error "farm-status takes one checkpoint directory"
}

# task.sh X for the drain: records the run, takes half a second, prints "out X".
make_slow_task() {
  mkdir -p runs
  cat >task.sh <<'SCRIPT'
#!/bin/sh
mktemp "runs/$1.XXXXXX" >/dev/null
sleep 0.5
echo "out $1"
SCRIPT
  chmod +x task.sh
  seq 1 20 | sed 's/^/out /' >expected.txt
}

# The drain (--deadline; inside Slurm the job's end): no task starts that would end past the
# deadline, the running ones finish (no attempt is ended: every joblog line exited 0), the
# farm leaves with exit 4 and its checkpoint, and a resume runs only the rest: the joined
# output is the serial loop's and every task ran once. 1 rank with --task-time, then 2 ranks
# with the estimate from the tasks that ended (the p90), each rank draining on its own.
case_drain_before_the_deadline() {
  local np started
  for np in 1 2; do
    rm -rf ck runs log.tsv
    make_slow_task
    local estimate=(--task-time 0.6)
    [ "$np" = 1 ] || estimate=()
    hpar_np "$np" run farm --threads 2 --deadline 1.8 "${estimate[@]}" --checkpoint ck \
      --joblog log.tsv --range 1:20 -- ./task.sh
    expect_rc 4
    grep -q "hpar: error: drained before the deadline" <<<"$ERR" || fail "np $np: $ERR"
    grep -q "hpar: rank [01] drains: task [0-9]* (input '[0-9]*') would end past the deadline" \
      <<<"$ERR" || fail "np $np: no drain message: $ERR"
    grep -q "resume with" <<<"$ERR" || fail "np $np: no resume hint: $ERR"
    started=$(find runs -type f | wc -l)
    if [ "$started" -lt 2 ] || [ "$started" -ge 20 ]; then fail "np $np: $started tasks ran"; fi
    [ "$(($(wc -l <log.tsv) - 1))" = "$started" ] || fail "np $np: joblog: $(cat log.tsv)"
    awk -F'\t' 'NR > 1 && ($7 != 0 || $13 != "exited") { bad = 1 } END { exit bad }' log.tsv ||
      fail "np $np: a task was ended: $(cat log.tsv)"
    hpar_np 2 run farm --checkpoint ck --resume --range 1:20 --no-report -- ./task.sh
    expect_rc 0
    cmp -s out.txt expected.txt || fail "np $np: resumed output: $(diff expected.txt out.txt)"
    [ "$(find runs -type f | wc -l)" = 20 ] || fail "np $np: $(find runs -type f | wc -l) runs"
    [ "$(find runs -type f | sed 's/[.].*//' | sort -u | wc -l)" = 20 ] ||
      fail "np $np: a task ran twice: $(ls runs)"
  done
}

# The drain's options: seconds within a year (0: no drain), each refusal one error line, exit 2.
case_drain_bad_options() {
  local bad
  for bad in "--deadline -1" "--deadline soon" "--task-time 0" "--drain-lead 4e7"; do
    # shellcheck disable=SC2086 # the option and its value
    hpar_np 1 run farm $bad --inputs a -- echo
    expect_rc 2
    if [ "$(grep -c error <<<"$ERR")" != 1 ] || ! grep -Eq "^hpar: error: .*--(deadline|task-time|drain-lead)" <<<"$ERR"; then
      fail "$bad: $ERR"
    fi
  done
  hpar_np 1 run farm --deadline 0 --inputs a,b --no-report -- echo
  expect_rc 0
  [ "$OUT" = "$(printf 'a\nb')" ] || fail "--deadline 0: $OUT"
}

# A retry is a start too: past the deadline it is left to the next run, which runs the task
# afresh (its first attempt failed, here once only: a marker file).
case_drain_leaves_a_retry_to_the_resume() {
  mkdir -p runs
  cat >task.sh <<'SCRIPT'
#!/bin/sh
mktemp "runs/$1.XXXXXX" >/dev/null
sleep 1
if [ ! -e failed-once ]; then touch failed-once; exit 1; fi
echo "out $1"
SCRIPT
  chmod +x task.sh
  hpar_np 1 run farm --threads 1 --retries 1 --deadline 3 --task-time 2.5 --checkpoint ck \
    --inputs 7 --no-report -- ./task.sh
  expect_rc 4
  [ "$(find runs -type f | wc -l)" = 1 ] || fail "the retry started past the deadline: $(ls runs)"
  grep -q "hpar: rank 0 drains: task 1 (input '7')" <<<"$ERR" || fail "no drain message: $ERR"
  hpar_np 1 run farm --threads 1 --retries 1 --checkpoint ck --resume --inputs 7 --no-report \
    -- ./task.sh
  expect_rc 0
  [ "$OUT" = "out 7" ] || fail "resumed: $OUT"
  [ "$(find runs -type f | wc -l)" = 2 ] || fail "runs: $(ls runs)"
}
