# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2034,SC2153,SC2016,SC1083 # RC, OUT, ERR and LAUNCH belong to the runner (tests/lib); the tasks' $ and {} are theirs
# CLI tests of the farm's --halt (GNU parallel's): against GNU parallel's own output for the
# same command and inputs, where that is deterministic; the tasks that ran counted by the
# files they leave in runs/.

# task.sh X: records its run, prints "start X"; input f fails after 0.2 s, the others sleep
# $SLEEP s (0.5 by default) and print "end X".
make_halt_task() {
  mkdir -p runs
  cat >task.sh <<'SCRIPT'
#!/bin/sh
touch "runs/$1"
echo "start $1"
if [ "$1" = f ]; then sleep 0.2; exit 1; fi
sleep "${SLEEP:-0.5}"
echo "end $1"
SCRIPT
  chmod +x task.sh
}

# runs_were LIST: the tasks that ran, in name order, were LIST (space-separated).
runs_were() {
  local ran
  ran=$(find runs -type f -printf '%f\n' | sort | tr '\n' ' ')
  [ "$ran" = "$1 " ] || fail "the tasks that ran: '$ran', not '$1'"
  rm -f runs/*
}

# soon,fail=1: a running task finishes, no task starts after the failure, on one slot and on
# two ranks (the halt of one rank stops the other); stdout is GNU parallel's byte for byte,
# the joblog names the tasks that did not run, exit code 3.
case_halt_soon_stops_starting_tasks_after_a_failure() {
  make_halt_task
  local np slots
  for np in 1 2; do
    slots=$np
    parallel -j"$slots" -k --halt soon,fail=1 ./task.sh ::: a f b c d >expected.txt 2>/dev/null
    runs_were "a f"
    hpar_np "$np" run farm --threads 1 --halt soon,fail=1 --joblog log.tsv --no-report \
      -- ./task.sh ::: a f b c d
    expect_rc 3
    cmp -s out.txt expected.txt || fail "np $np: $(cat out.txt) against $(cat expected.txt)"
    runs_were "a f"
    grep -qF 'halted by --halt soon,fail=1' <<<"$ERR" || fail "no halt verdict: $ERR"
    [ "$(grep -c 'not run (--halt)' log.tsv)" = 3 ] || fail "np $np joblog: $(cat log.tsv)"
    awk -F'\t' 'NR > 1 && $13 == "not run (--halt)" { print $14 }' log.tsv | tr '\n' ' ' |
      grep -qx 'b c d ' || fail "np $np: the joblog's tasks not run: $(cat log.tsv)"
  done
}

# now,fail=1: a task that would sleep 30 s on the other rank is ended at once; its cut output
# is dropped, as GNU parallel drops it.
case_halt_now_ends_a_running_task() {
  make_halt_task
  SLEEP=30 parallel -j2 -k --halt now,fail=1 ./task.sh ::: f a b >expected.txt 2>/dev/null
  runs_were "a f"
  local begin=$SECONDS
  SLEEP=30 hpar_np 2 run farm --threads 1 --halt now,fail=1 --joblog log.tsv --no-report \
    -- ./task.sh ::: f a b
  expect_rc 3
  [ $((SECONDS - begin)) -lt 10 ] || fail "the sleeping task was not ended: $((SECONDS - begin)) s"
  cmp -s out.txt expected.txt || fail "$(cat out.txt) against $(cat expected.txt)"
  runs_were "a f"
  awk -F'\t' '$14 == "a" && $13 == "ended by --halt" && $7 == -1' log.tsv | grep -q . ||
    fail "joblog: $(cat log.tsv)"
  grep -qF '1 ended by the halt, 1 not run' <<<"$ERR" || fail "verdict: $ERR"
}

# success=1 halts with exit code 0 (GNU parallel's), and the old form -2 is now,success=1; a
# percentage is of all the tasks (P % of 3 tasks: 33 % halts after 1, 34 % after 2).
case_halt_on_success_and_percentages() {
  local policy
  for policy in now,success=1 -2 soon,success=33% soon,success=34%; do
    parallel -j1 -k --halt "$policy" echo ::: 1 2 3 >expected.txt 2>/dev/null
    hpar_np 1 run farm --threads 1 --halt "$policy" --no-report -- echo ::: 1 2 3
    expect_rc 0
    cmp -s out.txt expected.txt || fail "--halt $policy: $(cat out.txt)"
  done
  for policy in soon,fail=25% soon,fail=30%; do
    parallel -j1 -k --halt "$policy" sh -c "'echo \$0; false'" {} ::: 1 2 3 4 5 6 7 8 9 10 \
      >expected.txt 2>/dev/null
    hpar_np 1 run farm --threads 1 --halt "$policy" --no-report -- sh -c 'echo $0; false' {} \
      ::: 1 2 3 4 5 6 7 8 9 10
    expect_rc 3
    [ "$(wc -l <out.txt)" = 3 ] || fail "--halt $policy ran $(wc -l <out.txt) tasks"
    cmp -s out.txt expected.txt || fail "--halt $policy: $(cat out.txt)"
  done
}

# A malformed policy: one error line, exit 2, nothing run.
case_halt_bad_policy() {
  local policy
  for policy in soon later,fail=1 now,fail=0 now,fail=x now,fail=101% now,fail=0% now,oops=1 \
    now,fail; do
    hpar_np 2 run farm --halt "$policy" -- touch ran ::: 1 2
    expect_usage_error "bad --halt '$policy'"
    [ ! -e ran ] || fail "--halt $policy: a task ran"
  done
}
