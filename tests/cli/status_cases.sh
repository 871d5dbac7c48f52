# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2034,SC2153 # RC, OUT, ERR and LAUNCH belong to the runner (tests/lib)
# CLI tests of `hpar run --status-file FILE`: the live state of a run in `key: value` lines,
# rewritten by rank 0 (every rank's blocks counted) and left with the final state.

# make_task SECONDS: task.sh X sleeps SECONDS, fails (exit 1) for X = 0 mod 3, else prints X.
make_task() {
  cat >task.sh <<'SCRIPT'
#!/bin/sh
sleep SECONDS
case $(($1 % 3)) in 0) exit 1 ;; esac
echo "$1"
SCRIPT
  sed -i "s/SECONDS/$1/" task.sh
  chmod +x task.sh
}

# value KEY: the value of `KEY: value` in status.txt.
value() { sed -n "s/^$1: //p" status.txt; }

# expect_status KEY=VALUE...: status.txt says each.
expect_status() {
  local pair
  for pair in "$@"; do
    [ "$(value "${pair%%=*}")" = "${pair#*=}" ] || fail "${pair%%=*} is not ${pair#*=}: $(cat status.txt)"
  done
}

case_status_file_counts_every_ranks_tasks() {
  make_task 0.1
  local np want_failed
  # Independent counts: the inputs 1..24 with x % 3 == 0 fail.
  want_failed=$(seq 1 24 | awk '$1 % 3 == 0' | wc -l)
  for np in 2 3; do
    rm -f status.txt log.tsv
    hpar_np "$np" run farm --threads 1 --range 1:24 --joblog log.tsv --status-file status.txt \
      --no-report -- ./task.sh
    expect_rc 3
    expect_status state=complete job=farm unit=tasks total=24 done=24 left=0 running=0 \
      failed="$want_failed" "counted=every rank"
    # The joblog agrees (Exitval, column 7) and shows failures on more than one rank (column 10).
    [ "$(awk -F'\t' 'NR > 1 && $7 != 0' log.tsv | wc -l)" = "$want_failed" ] ||
      fail "np $np: joblog: $(cat log.tsv)"
    [ "$(awk -F'\t' 'NR > 1 && $7 != 0 { print $10 }' log.tsv | sort -u | wc -l)" -gt 1 ] ||
      echo "note: np $np: every failed task ran on one rank" >&2
    grep -q '^updated: [0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:]\{8\}Z$' status.txt ||
      fail "np $np: updated: $(cat status.txt)"
    expect_no_temporary_files
  done
  # The tasks' output to a file every rank writes (MPI-IO: sizes, not bytes, go to rank 0).
  hpar_np 3 run farm --threads 1 --range 1:24 --output tasks.out --status-file status.txt \
    -- ./task.sh
  expect_rc 3
  expect_out "(every rank, MPI-IO)"
  expect_status state=complete total=24 done=24 failed="$want_failed"
  # Each task's output as it ends (rank 0 takes the blocks as they come).
  hpar_np 2 run farm --threads 1 --range 1:24 --unordered --status-file status.txt \
    --no-report -- ./task.sh
  expect_rc 3
  expect_status state=complete total=24 done=24 failed="$want_failed"
}

# Read while it runs: running, some but not all tasks done; then complete.
case_status_file_while_the_farm_runs() {
  make_task 0.5
  local i seen=""
  start_bg 2 run farm --threads 1 --range 1:12 --status-file status.txt --no-report -- ./task.sh
  for i in $(seq 1 60); do
    sleep 0.2
    [ -f status.txt ] || continue
    if [ "$(value state)" = running ] && [ "$(value 'done')" -gt 0 ] &&
      [ "$(value 'done')" -lt "$(value total)" ]; then
      seen=$(cat status.txt)
      break
    fi
  done
  wait "$LAUNCHER"
  [ -n "$seen" ] || fail "never seen running with 0 < tasks done < total: $(cat status.txt)"
  expect_status state=complete total=12 done=12 failed=4 running=0
}

# A farm stopped by SIGTERM leaves "stopped", the tasks that finished done; its --resume
# counts the restored ones as done and ends complete.
case_status_file_of_a_stopped_farm() {
  make_task 0.5
  local i
  start_bg 2 run farm --threads 1 --range 1:20 --checkpoint ck --status-file status.txt \
    --no-report -- ./task.sh
  for i in $(seq 1 60); do
    sleep 0.2
    [ -f status.txt ] && [ "$(value 'done')" -gt 0 ] && break
  done
  stop_bg
  expect_rc 4
  expect_status state=stopped total=20
  [ "$(value 'done')" -gt 0 ] || fail "nothing done: $(cat status.txt)"
  [ "$(value 'done')" -lt 20 ] || fail "everything done: $(cat status.txt)"
  hpar_np 2 run farm --threads 1 --range 1:20 --checkpoint ck --resume --status-file status.txt \
    --no-report -- ./task.sh
  expect_rc 3
  expect_status state=complete done=20 failed=6
}

# Another job counts its blocks: numbers' 300000 inputs in blocks of 4096 (the report says).
case_status_file_of_numbers() {
  hpar_np 2 run numbers --range 1:300000 --quiet --status-file status.txt
  expect_rc 0
  local blocks
  blocks=$(sed -n 's/.* inputs in \([0-9]*\) blocks of .*/\1/p' out.txt)
  [ "$blocks" = $(((300000 + 4095) / 4096)) ] || fail "the report's blocks: $OUT"
  expect_status job=numbers unit=blocks total="$blocks" done="$blocks" state=complete failed=0
}

case_status_file_bad_inputs() {
  mkdir folder
  hpar_np 2 run numbers --range 1:10 --status-file missing/status.txt
  expect_usage_error "--status-file: cannot write 'missing/status.txt'"
  hpar_np 2 run numbers --range 1:10 --status-file folder
  expect_usage_error "it is a directory"
  hpar_np 2 run numbers --range 1:10 --status-file -
  expect_usage_error "--status-file needs a file name"
  hpar_np 2 run numbers --range 1:10 --output same.txt --status-file same.txt
  expect_usage_error "--output and --status-file name the same file"
  hpar_np 2 run farm --range 1:3 --status-file folder -- touch ran.txt
  expect_usage_error "it is a directory"
  [ ! -e ran.txt ] || fail "a task ran"
  [ -z "$OUT" ] || fail "something ran: $OUT"
  [ -z "$(ls -A folder)" ] || fail "written: $(ls -A folder)"
}
