# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2034,SC2153 # RC, OUT, ERR belong to the runner (tests/lib); MPI_TASK to CMake
# CLI tests of the farm's --task-ranks R: each task an R-rank MPI program started by the local
# MPI launcher on the task's own CPUs. The task is tests/programs/mpi_task.c, whose ranks each
# print their rank, size and the CPUs the kernel lets them run on; the check is against the
# kernel's masks and the task's HPAR_CPUS, not against what hpar says it did.

# check_task_ranks R INPUT...: out.txt holds, task by task in the order of INPUT..., R lines
# `rank I size R cpus C omp 1 task LIST input X` (any order within a task): ranks 0..R-1 once
# each, each on one CPU of its own, distinct, together the task's HPAR_CPUS.
check_task_ranks() {
  local ranks=$1
  shift
  awk -v ranks="$ranks" -v want="$*" '
    function task_done(   n, c, k, names) {
      if (lines == 0) return
      if (lines != ranks) bad = bad " task " input ": " lines " lines"
      n = split(task, names, ",")
      if (n != ranks) bad = bad " task " input ": HPAR_CPUS " task
      for (k = 1; k <= n; k++) if (!(names[k] in used)) bad = bad " task " input ": CPU " names[k] " unused"
      for (c in used) delete used[c]
      for (c in seen) delete seen[c]
      lines = 0
    }
    $1 != "rank" || NF != 12 { bad = bad " line: " $0; next }
    $12 != input { task_done(); order = order (order == "" ? "" : " ") $12; input = $12; task = $10 }
    {
      lines++
      if ($4 != ranks) bad = bad " size " $4
      if ($2 in seen) bad = bad " task " input ": rank " $2 " twice"
      seen[$2] = 1
      if ($6 ~ /[,-]/) bad = bad " task " input ": rank " $2 " on CPUs " $6 ", not one"
      if ($6 in used) bad = bad " task " input ": CPU " $6 " twice"
      used[$6] = 1
      if ($8 != 1) bad = bad " OMP_NUM_THREADS " $8
    }
    END {
      task_done()
      if (order != want) bad = bad " tasks in order [" order "], not [" want "]"
      if (bad != "") { print bad; exit 1 }
    }' out.txt || fail "the tasks' ranks: $OUT"
}

case_task_ranks_each_task_on_distinct_cores() {
  [ "$(nproc)" -ge 2 ] || { echo "SKIP: needs 2 CPUs"; exit 77; }
  hpar_np 1 run farm --inputs a,b,c --threads 1 --task-ranks 2 --no-report --joblog log.tsv -- \
    "$MPI_TASK"
  expect_rc 0
  check_task_ranks 2 a b c
  # The joblog's Command is the whole command, the launcher first.
  [ "$(cut -f9 log.tsv | grep -c "^$MPIEXEC .*2 .*$MPI_TASK [abc]$")" = 3 ] ||
    fail "joblog commands: $(cut -f9 log.tsv)"
}

case_task_ranks_under_two_ranks_oversubscribed() {
  [ "$(nproc)" -ge 2 ] || { echo "SKIP: needs 2 CPUs"; exit 77; }
  # Two hpar ranks share the node's 2 CPUs: each task needs both (--oversubscribe-tasks).
  hpar_np 2 run farm --inputs 1,2,3,4 --threads 1 --task-ranks 2 --no-report -- "$MPI_TASK"
  expect_usage_error "--oversubscribe-tasks shares them"
  hpar_np 2 run farm --inputs 1,2,3,4 --threads 1 --task-ranks 2 --oversubscribe-tasks \
    --no-report -- "$MPI_TASK"
  expect_rc 0
  check_task_ranks 2 1 2 3 4
}

case_task_ranks_a_rank_that_fails_fails_its_task() {
  hpar_np 1 run farm --inputs 1,2 --threads 1 --task-ranks 2 --oversubscribe-tasks \
    --joblog log.tsv --no-report -- "$MPI_TASK" --fail-rank 1
  expect_rc 3
  [ "$(awk -F'\t' 'NR > 1 && $7 != 0' log.tsv | wc -l)" = 2 ] || fail "joblog: $(cat log.tsv)"
  hpar_np 1 run farm --inputs 1,2 --threads 1 --task-ranks 2 --oversubscribe-tasks \
    --no-report -- "$MPI_TASK" --fail-rank 7
  expect_rc 0
}

case_task_ranks_dry_run_shows_the_launcher() {
  hpar_np 1 run farm --inputs x --threads 1 --task-ranks 1 --dry-run --no-report -- \
    "$MPI_TASK" {}
  expect_rc 0
  grep -q "^$MPIEXEC -n\(p\)\? 1 .*$MPI_TASK x\$" out.txt || fail "dry run: $OUT"
}

case_task_ranks_bad_input() {
  local too_many
  too_many=$(($(nproc) + 1))
  hpar_np 1 run farm --inputs 1 --task-ranks 0 -- touch ran
  expect_usage_error "--task-ranks must be 1 to 1048576"
  # Values whose product would overflow 64 bits are refused as such, not wrapped around.
  hpar_np 1 run farm --inputs 1 --task-ranks 4294967296 --task-threads 4294967296 -- touch ran
  expect_usage_error "must be 1 to 1048576"
  hpar_np 1 run farm --inputs 1 --task-ranks "$too_many" --oversubscribe-tasks -- touch ran
  expect_usage_error "--task-ranks $too_many is more than"
  hpar_np 1 run farm --inputs 1 --task-ranks 2 --task-threads "$(nproc)" --oversubscribe-tasks -- touch ran
  expect_usage_error "--task-ranks 2 x --task-threads $(nproc) is more than"
  hpar_np 1 run farm --inputs 1 --task-ranks 1 --worker -- touch ran
  expect_usage_error "not with --worker"
  HPAR_TASK_MPIEXEC=/no/such/mpiexec hpar_np 1 run farm --inputs 1 --task-ranks 1 -- touch ran
  expect_usage_error "HPAR_TASK_MPIEXEC"
  [ ! -e ran ] || fail "a task ran"
}
