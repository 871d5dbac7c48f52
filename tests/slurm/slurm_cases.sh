# shellcheck shell=bash disable=SC2154 # work: set by run_slurm_case.sh
# SPDX-License-Identifier: BSD-3-Clause
# Tests against a real (throwaway, single-node) Slurm, sourced by run_slurm_case.sh; each
# case_NAME is one ctest slurm.NAME. Every script of slurm/ and one printed by `hpar slurm` is
# submitted with sbatch; each job's final state and exit code are checked in `scontrol show job`
# and in the job completion log, its output and its JSON report. Stops: a signal to the batch
# script (what --signal=B:TERM@60 sends before the time limit), to the job's steps, a plain
# scancel of an mpirun job, and a real time limit.

long_job=(numbers --range 1:100000000000 --quiet) # hours of work: it only ends when stopped

# An ordinary run through hybrid.sbatch with its defaults: srun --mpi=pmix, 2 ranks x 1 thread.
case_hybrid_srun() {
  submit "$SOURCE_DIR/slurm/hybrid.sbatch"
  wait_end "$JOB"
  expect_job COMPLETED 0:0
  expect_out "launcher srun"
  expect_out "verification PASS"
  expect_out "report: ./hpar-$JOB.json"
  json_check "hpar-$JOB.json" "
assert r['schema'] == 'hpar-report/1' and r['complete'] is True
assert r['layout']['ranks'] == 2 and r['layout']['threads_per_rank'] == 1
assert r['verification']['status'] == 'PASS'
assert r['environment']['SLURM_JOB_ID'] == '$JOB'
assert r['environment']['OMP_PROC_BIND'] == 'close' and r['environment']['OMP_PLACES'] == 'cores'"
}

# Open MPI's mpirun inside the allocation, 1 rank x 2 threads (the rank bound to 2 cores).
case_hybrid_mpirun_threads() {
  HPAR_LAUNCHER=mpirun submit --ntasks-per-node=1 --cpus-per-task=2 \
    "$SOURCE_DIR/slurm/hybrid.sbatch" pi --samples 2e7
  wait_end "$JOB"
  expect_job COMPLETED 0:0
  expect_out "launcher mpirun"
  expect_out "verification PASS"
  json_check "hpar-$JOB.json" "
assert r['complete'] is True and r['verification']['status'] == 'PASS'
assert r['layout']['ranks'] == 1 and r['layout']['threads_per_rank'] == 2
assert r['environment']['OMP_NUM_THREADS'] == '2'"
}

# `hpar slurm` asks the real sinfo: a layout beyond the node's 2 cores is refused; the script it
# prints for one that fits runs, and its --output file matches the tutorial loop (awk).
case_printed_script() {
  local cores
  cores=$(sinfo -h -N -o '%X %Y' | awk '{ print $1 * $2; exit }')
  "$HPAR" slurm numbers --nodes 1 --ranks-per-node "$cores" --threads 2 --range 1:10 \
    >refused.sbatch 2>refused.err
  [ $? = 2 ] || fail "layout over $cores cores accepted: $(cat refused.err)"
  grep -q "cores per node, but the nodes of the default partition have at most $cores (sinfo)" \
    refused.err || fail "unexpected refusal: $(cat refused.err)"
  "$HPAR" slurm numbers --nodes 1 --ranks-per-node 2 --threads 1 --time 10 \
    --range -50:30000:7 --steps 3 --output numbers.txt >job.sbatch 2>job.err ||
    fail "hpar slurm failed: $(cat job.err)"
  submit job.sbatch
  wait_end "$JOB"
  expect_job COMPLETED 0:0
  expect_out "verification PASS"
  awk 'BEGIN { for (x = -50; x <= 30000; x += 7) { printf "%d:", x; for (k = 1; k <= 3; k++) printf " %d", x + k; printf "\n" } }' >expected.txt
  cmp -s numbers.txt expected.txt || fail "numbers.txt differs from awk: $(diff numbers.txt expected.txt | head -3)"
  json_check "hpar-$JOB.json" "assert r['complete'] is True and r['layout']['ranks'] == 2"
}

# A signal to the batch script only (scancel --batch; --signal=B:TERM@60 does the same before
# the time limit): the script passes it to srun as SIGINT, the ranks stop, the report is
# incomplete, the job FAILS with hpar's exit code 4.
case_stop_batch_script_srun() {
  submit "$SOURCE_DIR/slurm/hybrid.sbatch" "${long_job[@]}"
  wait_computing "$JOB" 2
  scancel --batch --signal=TERM "$JOB"
  wait_end "$JOB" 60
  expect_job FAILED 4:0
  expect_out "INCOMPLETE: stopped early by a signal"
  expect_out "tasks 0-1: Exited with exit code 4"
  json_check "hpar-$JOB.json" "
assert r['complete'] is False
assert 0 < r['work']['items_done'] < r['work']['items']"
}

# A signal to the job's steps (scancel --signal=TERM): the tasks get it straight from Slurm.
# The printed script's --output file is not left half-written.
case_stop_steps_printed_script() {
  # A run long enough to be stopped whose output (about 14 GB) still fits on the disk: one
  # that cannot fit is refused up front (exit 2), before any step computes.
  "$HPAR" slurm numbers --nodes 1 --ranks-per-node 2 --threads 1 --cores-per-node 2 \
    --range 1:200000000 --output numbers.txt >job.sbatch || fail "hpar slurm failed"
  submit job.sbatch
  wait_computing "$JOB" 2
  scancel --signal=TERM "$JOB"
  wait_end "$JOB" 60
  expect_job FAILED 4:0
  expect_out "INCOMPLETE: stopped early by a signal"
  [ ! -e numbers.txt ] || fail "numbers.txt left behind"
  [ -z "$(find . -name '.*.hpar-*')" ] || fail "temporary files left: $(find . -name '.*.hpar-*')"
  json_check "hpar-$JOB.json" "assert r['complete'] is False"
}

# A plain scancel of a job launched by mpirun: Slurm sends SIGTERM to every process; mpirun
# passes it on and waits (OMPI_MCA_odls_base_sigkill_timeout) while rank 0 writes the report.
case_cancel_mpirun() {
  HPAR_LAUNCHER=mpirun submit "$SOURCE_DIR/slurm/hybrid.sbatch" "${long_job[@]}"
  wait_computing "$JOB" 2
  scancel "$JOB"
  wait_end "$JOB" 60
  expect_job CANCELLED 4:0
  json_check "hpar-$JOB.json" "assert r['complete'] is False and r['work']['items_done'] > 0"
}

# A real time limit: hybrid.sbatch's --signal=B:TERM@60 with a 2-minute limit. Slurm checks
# every 30 s and sends the signal once the time left is within the lead plus that period, so
# 30 to 60 s after the start; the job stops with an incomplete report, well before the kill.
case_time_limit() {
  submit --time=2 "$SOURCE_DIR/slurm/hybrid.sbatch" "${long_job[@]}"
  wait_end "$JOB" 100
  expect_job FAILED 4:0
  expect_out "INCOMPLETE: stopped early by a signal"
  json_check "hpar-$JOB.json" "assert r['complete'] is False"
  local run
  run=$(scontrol -o show job "$JOB" | grep -o 'RunTime=[0-9:]*' | awk -F'[=:]' '{ print $2 * 3600 + $3 * 60 + $4 }')
  if [ "$run" -lt 25 ] || [ "$run" -gt 90 ]; then
    fail "stopped after $run s, not by the time limit's signal"
  fi
}

# A job with a 1-minute limit and opt-in self-resubmission (HPAR_RESUBMIT): the farm drains
# before the limit (no task starts that cannot end 45 s before the job's end, which squeue
# tells; the stop signal comes 5 to 35 s before it), leaves with exit 4 and its checkpoint,
# the script submits itself again, and the chain resumes until the job completes, across two
# allocations or more, with the answer of a whole run. The work lost at the limit (tasks cut
# by the signal and run again) stays under 2 % of the allocations' slot time.
# shellcheck disable=SC2016 # the task's $0 is its own
case_time_limit_resubmits_and_resumes() {
  # 30 tasks of 2 s on 2 slots: 30 s of work, about 15 s of it per job.
  # Submitted from another folder than its --chdir: the resubmitted jobs run where it ran.
  local jobs=() next runs lost
  mkdir -p "$work/elsewhere"
  cd "$work/elsewhere" || fail "no $work/elsewhere"
  HPAR_CHECKPOINT=$work/ck HPAR_RESUBMIT=5 HPAR_RESUBMIT_ARGS="--signal=B:TERM@5" \
    submit --time=1 --signal=B:TERM@5 "$SOURCE_DIR/slurm/hybrid.sbatch" \
    farm --drain-lead 45 --range 1:30 -- sh -c "echo \$0 >>'$work/runs.txt'; sleep 2; echo task \$0"
  cd "$work" || fail "no $work"
  for _ in 1 2 3 4 5 6; do
    jobs+=("$JOB")
    wait_end "$JOB" 150
    next=$(grep -o 'resubmitted as job [0-9]*' <<<"$OUT" | grep -o '[0-9]*$')
    [ -n "$next" ] || break
    expect_job FAILED 4:0
    expect_out "hpar: error: drained before the deadline"
    expect_out "INCOMPLETE: drained before the deadline"
    JOB=$next
  done
  [ "${#jobs[@]}" -ge 2 ] || fail "one allocation was enough: the farm did not drain: $OUT"
  expect_job COMPLETED 0:0
  expect_out "verification PASS (all 30 tasks exited 0)"
  grep -x 'task [0-9]*' <<<"$OUT" >joined.txt
  seq 1 30 | sed 's/^/task /' >expected.txt
  cmp -s joined.txt expected.txt ||
    fail "the joined output is not every task's in input order: $(diff expected.txt joined.txt | head -20)"
  runs=$(sort -n runs.txt | uniq -c | awk '$1 > 2 || $1 < 1 { print }')
  if [ -n "$runs" ] || [ "$(sort -u runs.txt | wc -l)" != 30 ]; then
    fail "a task ran more than twice, or never: $(sort -n runs.txt | uniq -c)"
  fi
  lost=$(($(wc -l <runs.txt) - 30))  # runs of 2 s cut by a signal; each job: 60 s x 2 slots
  [ $((lost * 2 * 100)) -lt $((2 * ${#jobs[@]} * 120)) ] ||
    fail "$lost tasks cut by the limit in ${#jobs[@]} jobs: over 2 % of the allocations"
  json_check "hpar-$JOB.json" "
c = r['checkpoint']
assert r['complete'] is True and c['resumed'] and c['attempt'] == ${#jobs[@]} - 1, c
assert c['restored_blocks'] > 0 and c['restored_blocks'] + c['computed_blocks'] == 30, c"
}

# A whole study in one allocation with `hpar scale`: 1 and 2 ranks, 2 runs each.
case_scaling_sbatch() {
  HPAR_SCALE_REPEAT=2 submit "$SOURCE_DIR/slurm/scaling.sbatch" pi --samples 2e7
  wait_end "$JOB"
  expect_job COMPLETED 0:0
  expect_out "== hpar scale: pi, strong scaling, 2 run(s) per point =="
  expect_out "results      identical at every point and run"
  [ "$(grep -c '  PASS$' <<<"$OUT")" = 2 ] || fail "expected 2 points: $OUT"
  json_check "hpar-scale-$JOB.json" "
assert r['schema'] == 'hpar-study/1' and r['complete'] is True
assert sorted((p['ranks'], p['threads']) for p in r['points']) == [(1, 1), (2, 1)]
assert all(len(p['seconds']) == 2 and p['verification'] == 'PASS' for p in r['points'])"
  [ -s "hpar-scale-$JOB.csv" ] || fail "no CSV"
  if command -v gnuplot >/dev/null; then
    [ "$(head -c 4 "hpar-scale-$JOB.png" | tail -c 3)" = PNG ] || fail "no PNG plot"
  fi
}

# One layout per array task, then `hpar collect` as a job that depends on the array.
case_scaling_array_and_collect() {
  HPAR_REPEAT=2 submit "$SOURCE_DIR/slurm/scaling-array.sbatch" pi --samples 2e7
  local array=$JOB task
  JOB=$(sbatch --parsable --chdir="$work" --dependency="afterok:$array" -o "collect-%j.out" \
    --wrap "\"$HPAR\" collect hpar-study-$array --json study.json") || fail "collect not submitted"
  local collect=$JOB
  for task in 0 1 2; do
    JOB=${array}_$task
    wait_end "$JOB"
    OUT=$(cat "hpar-array-${array}_$task.out")
    [ "$STATE $EXIT" = "COMPLETED 0:0" ] || fail "array task $task: $STATE $EXIT: $OUT"
    expect_out "verification PASS"
  done
  JOB=$collect
  wait_end "$JOB"
  expect_job COMPLETED 0:0
  expect_out "== hpar collect: pi, strong scaling, 6 report(s) =="
  expect_out "results      identical in every report"
  json_check study.json "
assert r['schema'] == 'hpar-study/1'
assert sorted((p['ranks'], p['threads']) for p in r['points']) == [(1, 1), (1, 2), (2, 1)]
assert all(len(p['seconds']) == 2 and p['verification'] == 'PASS' for p in r['points'])"
}

# `hpar sweep` inside an allocation (slurm/sweep.sbatch, HPAR_LAUNCHER=auto: the sweep's own
# choice): it picks srun, gives each layout
# --ntasks=R --cpus-per-task=T --cpu-bind=cores, leaves out the layouts beyond the node's cores,
# and the binding it asks for is the binding the program reports (its own affinity lines).
case_sweep_srun_binding() {
  local cores
  cores=$(sinfo -h -N -o '%X %Y' | awk '{ print $1 * $2; exit }')
  HPAR_LAUNCHER=auto submit "$SOURCE_DIR/slurm/sweep.sbatch" --ranks 1,2 --threads 1,2 --repeat 1 \
    --check '^verification successful$' --same-output 'checksum: (\S+)' -- "$HYBRID_WORK" 200000
  wait_end "$JOB"
  expect_job COMPLETED 0:0
  expect_out "launcher     srun, inside a Slurm allocation (SLURM_JOB_ID is set)"
  expect_out "results      identical at every point and run"
  json_check "hpar-sweep-$JOB.json" "
assert r['complete'] is True and r['launcher']['kind'] == 'srun'
layouts = sorted((p['ranks'], p['threads']) for p in r['points'])
assert layouts == sorted(l for l in [(1, 1), (1, 2), (2, 1), (2, 2)] if l[0] * l[1] <= $cores), layouts
for p in r['points']:
    R, T = p['ranks'], p['threads']
    assert p['command'][:5] == ['srun', '--mpi=pmix', f'--ntasks={R}', f'--cpus-per-task={T}', '--cpu-bind=cores'], p['command']
    assert p['verification'] == 'PASS'"
  # The program's own affinity lines: T CPUs per rank, no two ranks on one CPU.
  python3 - "$JOB" <<'PY' >layouts.txt || fail "no layouts in the study"
import json, sys
for p in json.load(open(f"hpar-sweep-{sys.argv[1]}.json"))["points"]:
    print(f"hpar-sweep-{sys.argv[1]}.logs/{p['ranks']}x{p['threads']}-run1.out", p["ranks"], p["threads"])
PY
  # shellcheck disable=SC2046 # FILE RANKS THREADS triples, one word each
  python3 "$SOURCE_DIR/tests/programs/check_binding.py" $(cat layouts.txt) ||
    fail "binding: $(cat "hpar-sweep-$JOB.logs"/*.out)"
}

# A sweep script printed by `hpar slurm sweep`, stopped through its batch script (what
# --signal=B:TERM@60 does before the time limit): the launch in progress stops, the points done
# are written ("complete": false), the job FAILS with exit code 4.
case_sweep_printed_script_stops() {
  "$HPAR" slurm sweep --nodes 1 --ranks 1,2 --threads 1 --repeat 1 \
    -- "$HYBRID_WORK" 1000 --hang-at-ranks 2 >job.sbatch 2>job.err || fail "hpar slurm sweep: $(cat job.err)"
  submit job.sbatch
  for _ in $(seq 1 300); do
    grep -q "point 1/2 done" "hpar-sweep-$JOB.out" 2>/dev/null && break
    sleep 0.2
  done
  sleep 1
  scancel --batch --signal=TERM "$JOB"
  wait_end "$JOB" 60
  expect_job FAILED 4:0
  expect_out "stopped early by a signal; the study is incomplete (1 of 2 points done)"
  json_check "hpar-sweep-$JOB.json" "assert r['complete'] is False and len(r['points']) == 1"
}

# A farm script printed by `hpar slurm farm`, its command's arguments starting with dashes and
# holding spaces and quotes: the job's output file is byte for byte a shell loop's over the
# inputs, and the same farm's run directly (`hpar run farm` here, outside Slurm).
# shellcheck disable=SC2016 # the command's own $0 and $1
case_farm_printed_script() {
  local cmd=(sh -c 'printf "%s|%s|%s\n" "$0" "$1" "$2"' -dash "--long=two words \"q\" it's")
  printf '%s\n' -n 'a b' "it's \"q\"" --x=1 '$HOME *' >inputs.txt
  "$HPAR" slurm farm --nodes 1 --ranks-per-node 2 --threads 1 --time 10 \
    --input-file inputs.txt --output farm.txt -- "${cmd[@]}" >job.sbatch 2>job.err ||
    fail "hpar slurm farm failed: $(cat job.err)"
  submit job.sbatch
  wait_end "$JOB"
  expect_job COMPLETED 0:0
  expect_out "verification PASS (all 5 tasks exited 0)"
  local x
  while IFS= read -r x; do "${cmd[@]}" "$x"; done <inputs.txt >loop.txt
  cmp -s farm.txt loop.txt || fail "the job's output differs from the loop's: $(diff loop.txt farm.txt | head -10)"
  "$HPAR" run farm --threads 1 --input-file inputs.txt --no-report -- "${cmd[@]}" >direct.txt \
    2>direct.err || fail "hpar run farm failed: $(cat direct.err)"
  cmp -s farm.txt direct.txt || fail "the job's output differs from hpar run farm's: $(diff direct.txt farm.txt | head -10)"
  json_check "hpar-farm-$JOB.json" "
assert r['complete'] is True and r['layout']['ranks'] == 2
assert r['verification']['status'] == 'PASS'"
}

# A farm script printed with --checkpoint DIR, stopped through its batch script (what
# --signal=B:TERM@60 does before the time limit): the running tasks end, the job FAILS with 4;
# the same script submitted again resumes DIR (--resume added), runs only the tasks not
# finished and ends with every task's output in input order.
# shellcheck disable=SC2016 # the task's $0 is its own
case_farm_printed_script_stops_and_resumes() {
  "$HPAR" slurm farm --nodes 1 --ranks-per-node 2 --threads 1 --time 10 --range 1:60 \
    --checkpoint ck -- sh -c 'sleep 0.2; echo "task $0"' >job.sbatch 2>job.err ||
    fail "hpar slurm farm failed: $(cat job.err)"
  submit job.sbatch
  wait_computing "$JOB" 2
  for _ in $(seq 1 100); do
    [ "$(grep -c '^task ' "hpar-farm-$JOB.out" 2>/dev/null)" -ge 6 ] && break
    sleep 0.1
  done
  scancel --batch --signal=TERM "$JOB"
  wait_end "$JOB" 60
  expect_job FAILED 4:0
  expect_out "INCOMPLETE: stopped early by a signal"
  json_check "hpar-farm-$JOB.json" "assert r['complete'] is False"
  submit job.sbatch
  wait_end "$JOB"
  expect_job COMPLETED 0:0
  expect_out "--checkpoint ck --resume --range 1:60"
  expect_out "verification PASS (all 60 tasks exited 0)"
  grep -x 'task [0-9]*' <<<"$OUT" >joined.txt
  seq 1 60 | sed 's/^/task /' >expected.txt
  cmp -s joined.txt expected.txt ||
    fail "the joined output is not every task's in input order: $(diff expected.txt joined.txt | head -10)"
  json_check "hpar-farm-$JOB.json" "
c = r['checkpoint']
assert r['complete'] is True and c['resumed'], c
assert 0 < c['restored_blocks'] < 60 and c['restored_blocks'] + c['computed_blocks'] == 60, c"
}

# slurm/farm.sbatch as it is, the farm in its arguments: 2 ranks x 1 slot by default, every
# task's output in input order in the job's output; without arguments it refuses (exit 2).
# shellcheck disable=SC2016 # the task's $0 is its own
case_farm_sbatch() {
  submit "$SOURCE_DIR/slurm/farm.sbatch" --range 1:20 -- sh -c 'echo "-x $0 \"q\""'
  wait_end "$JOB"
  expect_job COMPLETED 0:0
  expect_out "launcher srun"
  expect_out "verification PASS (all 20 tasks exited 0)"
  grep -x -- '-x [0-9]* "q"' <<<"$OUT" >joined.txt
  seq 1 20 | sed 's/.*/-x & "q"/' >expected.txt
  cmp -s joined.txt expected.txt || fail "output not in input order: $(diff expected.txt joined.txt | head -10)"
  json_check "hpar-farm-$JOB.json" "assert r['complete'] is True and r['layout']['ranks'] == 2"
  submit "$SOURCE_DIR/slurm/farm.sbatch"
  wait_end "$JOB"
  expect_job FAILED 2:0
  expect_out "hpar: error: no farm to run"
}

# A farm whose tasks are 2-rank MPI programs (--task-ranks 2) inside an allocation: the local
# mpirun starts each task's ranks on the task's CPUs of this node (kept off Slurm's allocation
# of 1 task and off srun), each rank on a CPU of its own, the tasks' outputs in input order.
case_farm_task_ranks() {
  submit -N1 -n1 -c2 -t 2 -o "hpar-ranks-%j.out" --wrap \
    "srun --mpi=pmix -n1 -c2 $HPAR farm --threads 1 --inputs a,b,c --task-ranks 2 --no-report -- $MPI_TASK"
  wait_end "$JOB"
  expect_job COMPLETED 0:0
  # mpi_task's lines: rank I size 2 cpus C omp 1 task LIST input X.
  [ "$(awk '$1 == "rank" { print $12 }' <<<"$OUT" | paste -sd' ')" = "a a b b c c" ] ||
    fail "tasks not in input order: $OUT"
  awk '$1 == "rank" { key = $12 " " $6; if ($4 != 2 || $6 ~ /[,-]/ || key in seen) bad = 1; seen[key] = 1 }
       END { exit bad }' <<<"$OUT" || fail "ranks not on CPUs of their own: $OUT"
}
