# shellcheck shell=bash disable=SC2034 # RC, OUT, ERR: read by the checks of run_case.sh
# SPDX-License-Identifier: BSD-3-Clause
# CLI tests of `hpar sweep` (sourced by run_case.sh; each case_NAME is one ctest). The program
# swept is tests/programs/hybrid_work.cpp (HYBRID_WORK): a known amount of work over ranks and
# threads that prints its affinity, a checksum, its verdict and its compute time.

: "${HYBRID_WORK:?HYBRID_WORK must name the test program}"
: "${STUDY_PROGRAM:?STUDY_PROGRAM must name the binary of tests/programs/study_program.c}"
# shellcheck source=tests/lib/skip.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/skip.sh"

# sweep ARGS...: hpar sweep as a user runs it (not under mpirun); sets OUT, ERR, RC.
sweep() { capture "$HPAR" sweep "$@"; }

# reference_checksum N: hybrid_work's checksum of N items, computed here independently (the
# sum of splitmix64(i) modulo 2^64).
reference_checksum() {
  python3 - "$1" <<'PY'
import sys
m = (1 << 64) - 1
s = 0
for i in range(int(sys.argv[1])):
    x = (i + 0x9e3779b97f4a7c15) & m
    x = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & m
    x = ((x ^ (x >> 27)) * 0x94d049bb133111eb) & m
    s = (s + (x ^ (x >> 31))) & m
print(f"0x{s:016x}")
PY
}

# json_check FILE PYTHON: PYTHON (asserts) with `d` = the JSON document in FILE.
json_check() {
  [ -s "$1" ] || fail "no $1; stderr: $ERR"
  python3 -c "import json, sys
d = json.load(open(sys.argv[1]))
$2" "$1" || fail "$1 is not as expected"
}

# stop_during_second_point PID TAG LOG: once the first point is done (LOG says so) and the
# hanging launch of hybrid_work TAG runs, SIGTERM to PID; waits for it and sets RC.
stop_during_second_point() {
  local pid=$1 tag=$2 log=$3
  for _ in $(seq 1 300); do
    grep -q "point 1/2 done" "$log" && pgrep -f "hybrid_work $tag " >/dev/null && break
    sleep 0.1
  done
  sleep 0.5
  kill -TERM "$pid"
  wait "$pid"
  RC=$?
}

# Every layout ranks 1, 2, 4 x threads 1, 2 on this 2-core machine (the ones beyond its cores
# oversubscribed, on request): the time is the figure the program prints (--metric), every run
# passes --check, the checksum is the same everywhere and equals an independent recount, the
# command line of each point reruns it by hand, and `hpar plot` draws the JSON.
case_every_layout_metric_check_same_output() {
  local n=1000000
  sweep --ranks 1,2,4 --threads 1,2 --oversubscribe --repeat 2 \
    --metric 'compute time: ([0-9.]+) s' --check '^verification successful$' \
    --same-output 'checksum: (0x[0-9a-f]+)' --logs logs --json s.json --csv s.csv -- "$HYBRID_WORK" $n
  expect_rc 0
  expect_out "== hpar sweep: hybrid_work, strong scaling, 2 run(s) per point =="
  expect_out "results      identical at every point and run"
  expect_out "launcher     mpirun, not inside a Slurm allocation"
  expect_out "fastest      1 core: 1x1 mpirun"
  expect_out "oversub      4x2: more cores than there are (--oversubscribe): its times mean nothing"
  expect_err "hpar: point 6/6 done: 4 ranks x 2 threads (oversub)"
  local expected
  expected=$(reference_checksum $n)
  json_check s.json "
assert d['schema'] == 'hpar-study/1' and d['complete'] is True and d['results_identical'] is True
assert d['job'] == 'hybrid_work' and d['mode'] == 'strong'
layouts = [(p['ranks'], p['threads']) for p in d['points']]
assert sorted(layouts) == [(1, 1), (1, 2), (2, 1), (2, 2), (4, 1), (4, 2)], layouts
for p in d['points']:
    assert p['verification'] == 'PASS' and len(p['seconds']) == 2
    assert p['result'] == ['same-output: $expected'], p['result']
    assert p['schedule'] == ('oversub' if p['cores'] > 2 else 'mpirun')
    assert p['environment']['OMP_NUM_THREADS'] == str(p['threads'])
    assert p['command'][:3] == ['mpirun', '-np', str(p['ranks'])], p['command']
    # The time of each run is what the program printed.
    for k, t in enumerate(p['seconds'], 1):
        printed = [l for l in open(f\"logs/{p['ranks']}x{p['threads']}-run{k}.out\") if l.startswith('compute time:')]
        assert abs(float(printed[0].split()[2]) - t) < 1e-9, (printed, t)
"
  # CSV: a row per point.
  [ "$(wc -l <s.csv)" = 7 ] || fail "s.csv: $(cat s.csv)"
  # Rerun the 1x2 point by hand from its command line: the same checksum, both threads there.
  local line
  line=$(python3 -c "import json; print([p for p in json.load(open('s.json'))['points'] if (p['ranks'], p['threads']) == (1, 2)][0]['command_line'])")
  bash -c "$line" >rerun.txt 2>&1 || fail "rerun failed: $line: $(cat rerun.txt)"
  grep -qx "checksum: $expected" rerun.txt || fail "rerun: $(cat rerun.txt)"
  [ "$(grep -c '^affinity: rank 0 thread' rerun.txt)" = 2 ] || fail "rerun threads: $(cat rerun.txt)"
  capture "$HPAR" plot s.json -o p.png
  expect_rc 0
  expect_out "wrote p.png (6 points of a strong scaling study of hybrid_work)"
  [ "$(head -c 8 p.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "p.png is not a PNG"
}

# The binding: mpirun gives each rank T cores of its own (--map-by slot:PE=T --bind-to core),
# and the program's own affinity lines say so.
case_binding_is_what_the_program_reports() {
  sweep --ranks 1,2 --threads 1,2 --repeat 1 --logs logs -- "$HYBRID_WORK" 10000
  expect_rc 0
  expect_err "hpar: note: left out 2x2 (4 cores): more than the 2 cores of this host"
  python3 "$SOURCE_DIR/tests/programs/check_binding.py" logs/1x1-run1.out 1 1 \
    logs/1x2-run1.out 1 2 logs/2x1-run1.out 2 1 || fail "binding: $(cat logs/*-run1.out)"
}

# A point whose launch fails is reported with its exit code and the end of its output; the
# sweep goes on and exits 1 after the table.
case_failing_point_is_reported_and_the_sweep_goes_on() {
  sweep --ranks 1,2 --threads 1 --repeat 2 --json s.json -- "$HYBRID_WORK" 100000 --fail-at-ranks 2
  expect_rc 1
  expect_err "hpar: warning: point 2x1 mpirun, run 1 of 2 failed: exit code 3; the sweep goes on"
  expect_err "  | hybrid_work: failing on purpose at 2 ranks"
  expect_err "hpar: point 2/2 FAILED: 2x1 mpirun"
  expect_err "hpar: error: 1 launch(es) failed: 2x1 mpirun run 1: exit code 3"
  grep -q '^[ !]   1      1        1  mpirun' out.txt || fail "no 1x1 row: $OUT"
  expect_out "failed       2x1 mpirun run 1: exit code 3: hybrid_work: failing on purpose"
  json_check s.json "
assert [(p['ranks'], p['threads']) for p in d['points']] == [(1, 1)]
assert len(d['failed']) == 1 and d['failed'][0]['failure'] == 'exit code 3'
assert any('failing on purpose' in l for l in d['failed'][0]['output_tail'])"
}

# --timeout: a launch that hangs is stopped (its whole process group) and reported.
case_timeout_stops_a_hanging_launch() {
  local tag=$$ start=$SECONDS
  sweep --ranks 1 --threads 1 --repeat 1 --timeout 2 --launcher none -- "$HYBRID_WORK" "$tag" --hang-at-ranks 1
  expect_rc 1
  expect_err "failed: timed out after 2 s"
  [ $((SECONDS - start)) -lt 30 ] || fail "took $((SECONDS - start)) s"
  pgrep -f "hybrid_work $tag " >/dev/null && fail "hybrid_work left running"
  return 0
}

# --check: a run without the line FAILs verification (exit 3), and a fast wrong answer is not
# the fastest layout. --same-output: values that differ between layouts make it exit 3 too.
case_check_and_same_output_catch_wrong_answers() {
  sweep --ranks 1 --threads 1,2 --repeat 1 --check '^verification successful$' \
    -- "$HYBRID_WORK" 200000 --wrong-at-threads 2
  expect_rc 3
  grep -q '^[ !]   2      1        2  mpirun .*FAIL$' out.txt || fail "1x2 not FAIL: $OUT"
  grep -q '^             2 cores' out.txt && fail "a failed point ranked fastest: $OUT"
  expect_err "verification failed at 1 point(s): 1x2 mpirun (no line of the output matches --check"
  sweep --ranks 1 --threads 1,2 --repeat 1 --same-output 'checksum: (\S+)' \
    -- "$HYBRID_WORK" 200000 --wrong-at-threads 2
  expect_rc 3
  expect_out "results      DIFFER between runs or points"
}

# Weak scaling: {cores*K} in the arguments grows the work with the cores.
case_weak_sweep_fills_in_placeholders() {
  sweep --mode weak --ranks 1,2 --threads 1 --repeat 1 --json w.json \
    --same-output '([0-9]+) items' -- "$HYBRID_WORK" '{cores*50000}'
  expect_rc 0
  expect_out "weak scaling"
  expect_out "fit          Gustafson (mpirun)"
  json_check w.json "
items = {p['ranks']: p['result'] for p in d['points']}
assert items == {1: ['same-output: 50000'], 2: ['same-output: 100000']}, items
assert d['points'][1]['command'][-1] == '100000'"
}

# `hpar sweep -- hpar run JOB`: measured by each run's own report (not the launch), its results
# compared; --logs keeps the reports, which `hpar collect` reads; the study JSON is read by
# `hpar plot` and by `hpar collect` together with a `hpar scale` study of the same job.
case_sweep_of_hpar_run_reads_its_reports() {
  sweep --ranks 1,2 --threads 1 --repeat 2 --logs logs --json s.json -- "$HPAR" run pi --samples 2e6
  expect_rc 0
  expect_out "== hpar sweep: pi, strong scaling, 2 run(s) per point =="
  expect_out "measured     the time in each run's own hpar report"
  expect_out "results      identical at every point and run"
  json_check s.json "
for p in d['points']:
    assert p['report']['schema'] == 'hpar-report/1' and p['report']['layout']['ranks'] == p['ranks']
    assert p['verification'] == 'PASS' and p['result'][0].startswith('result:')
    phases = p['report']['phases']  # the time hpar scale takes: total minus output and verify
    t = phases['total']['max'] - phases.get('output', {'max': 0})['max'] - phases['verify']['max']
    assert any(abs(t - s) < 1e-12 for s in p['seconds']), (t, p['seconds'])"
  # The same answer as a plain run.
  hpar_np 2 run pi --samples 2e6 --no-report
  expect_rc 0
  grep '^result:' out.txt >plain.txt
  python3 -c "import json; print('\n'.join(json.load(open('s.json'))['points'][1]['result']))" >swept.txt
  cmp -s plain.txt swept.txt || fail "sweep result differs from a run: $(diff plain.txt swept.txt)"
  capture "$HPAR" collect logs
  expect_rc 0
  expect_out "== hpar collect: pi, strong scaling, 4 report(s) =="
  capture "$HPAR" plot s.json -o p.png
  expect_rc 0
}

# A study JSON of the sweep is collected with others (here two sweeps of different layouts).
case_collect_merges_sweep_studies() {
  sweep --ranks 1 --threads 1 --repeat 1 --json a.json -- "$HYBRID_WORK" 100000
  expect_rc 0
  sweep --ranks 2 --threads 1 --repeat 1 --json b.json -- "$HYBRID_WORK" 100000
  expect_rc 0
  capture "$HPAR" collect a.json b.json --json ab.json
  expect_rc 0
  expect_out "2x1 mpirun"
  json_check ab.json "assert sorted((p['ranks'], p['threads']) for p in d['points']) == [(1, 1), (2, 1)]"
}

# --launcher none (one rank, OpenMP threads only) and a launcher template.
case_launcher_none_and_template() {
  sweep --threads 1,2 --repeat 1 --launcher none --json n.json -- "$HYBRID_WORK" 100000
  expect_rc 0
  json_check n.json "
assert [(p['ranks'], p['threads']) for p in d['points']] == [(1, 1), (1, 2)]
assert d['points'][1]['command'][0] == '$HYBRID_WORK'"
  sweep --ranks 1,2 --threads 1 --repeat 1 --launcher 'mpirun -np {ranks} --bind-to none' \
    --json t.json -- "$HYBRID_WORK" 100000
  expect_rc 0
  json_check t.json "assert d['points'][1]['command'][:5] == ['mpirun', '-np', '2', '--bind-to', 'none']"
}

# SIGTERM: the launch in progress is stopped, the points done are written ("complete": false),
# exit 4, nothing of the program left running.
case_sigterm_writes_the_points_done() {
  local tag=$$
  "$HPAR" sweep --ranks 1,2 --threads 1 --repeat 1 --json s.json \
    -- "$HYBRID_WORK" "$tag" --hang-at-ranks 2 >out.txt 2>err.txt &
  stop_during_second_point $! "$tag" err.txt
  OUT=$(cat out.txt)
  ERR=$(cat err.txt)
  expect_rc 4
  expect_err "hpar: error: stopped early by a signal; the study is incomplete (1 of 2 points done)"
  json_check s.json "assert d['complete'] is False and len(d['points']) == 1"
  sleep 0.5
  pgrep -f "hybrid_work $tag " >/dev/null && fail "hybrid_work left running"
  return 0
}

# A machine made busy on purpose (CPU burners on both CPUs) is noticed: the point is marked '!'
# and the JSON says why and what to do. The same in `hpar scale`.
case_busy_machine_is_flagged() {
  local burners=()
  for _ in 1 2; do
    timeout 60 sh -c 'while :; do :; done' >/dev/null 2>&1 &  # gone by itself if the case fails
    burners+=($!)
  done
  trap 'kill "${burners[@]}" 2>/dev/null' RETURN
  sweep --ranks 1 --threads 2 --repeat 2 --launcher none --json s.json -- "$HYBRID_WORK" 3000000
  expect_rc 0
  grep -q '^!   2      1        2  none' out.txt || fail "not marked busy: $OUT"
  expect_out "busy         ! 1x2 none: "
  expect_out "advice       the times of the points marked ! are not to be trusted"
  json_check s.json "
p = d['points'][0]
assert p['busy']['trusted'] is False and p['busy']['findings'], p['busy']
assert any('other processes used' in f for f in p['busy']['findings']), p['busy']['findings']
assert d['busy']['points'] == ['1x2 none'] and 'quiet node' in d['busy']['advice']"
  hpar_np 1 scale pi --samples 2e8 --mode strong --threads 2 --repeat 2 --json sc.json
  expect_rc 0
  grep -q '^!   2      1        2  static' out.txt || fail "scale: not marked busy: $OUT"
}

# Bad input: one `hpar: error:` line, exit 2, no files, no hang.
case_bad_input() {
  sweep
  expect_usage_error "no program: hpar sweep [options] -- PROGRAM [ARG...]"
  sweep --ranks 1 --
  expect_usage_error "no program after '--'"
  sweep -- ./no-such-program
  expect_usage_error "no such program './no-such-program' (or not an executable file)"
  sweep -- no-such-program-anywhere
  expect_usage_error "no such program 'no-such-program-anywhere' in PATH"
  sweep --ranks 64 --threads 1 --json s.json -- "$HYBRID_WORK" 1000
  expect_usage_error "no layout can run: 64x1 (64 cores): more than the"
  sweep --metric '(unclosed' -- "$HYBRID_WORK" 1000
  expect_usage_error "bad --metric '(unclosed': not a regular expression"
  sweep --metric 'compute time' -- "$HYBRID_WORK" 1000
  expect_usage_error "it needs a group around the number"
  sweep --check '[' -- "$HYBRID_WORK" 1000
  expect_usage_error "bad --check '[': not a regular expression"
  sweep --mode weak -- "$HYBRID_WORK" 1000
  expect_usage_error "a weak sweep needs work that grows with the cores"
  sweep --launcher mpiexec -- "$HYBRID_WORK" 1000
  expect_usage_error "bad --launcher 'mpiexec'"
  sweep --launcher srun -- "$HYBRID_WORK" 1000
  expect_usage_error "--launcher srun works inside a Slurm allocation"
  sweep --repeat 0 -- "$HYBRID_WORK" 1000
  expect_usage_error "--repeat must be between 1 and 1000"
  sweep --frobnicate -- "$HYBRID_WORK" 1000
  expect_usage_error "frobnicate"
  hpar_np 1 sweep -- "$HYBRID_WORK" 1000
  expect_usage_error "'hpar sweep' launches the program itself"
  [ ! -e s.json ] || fail "s.json written"
}

# --metric that never matches: the error names the point and shows the end of its output.
case_metric_that_never_matches() {
  sweep --ranks 1 --threads 1 --metric 'solve time: ([0-9.]+)' --json s.json -- "$HYBRID_WORK" 1000
  expect_usage_error "--metric 'solve time: ([0-9.]+)' matches nothing in the output of point 1x1 (run 1: OMP_NUM_THREADS=1"
  expect_err "  | compute time: "
  [ ! -e s.json ] || fail "s.json written"
}

case_help() {
  sweep --help
  expect_rc 0
  expect_out "hpar sweep [options] -- PROGRAM [ARG...]"
  expect_out "--metric [NAME=]REGEX"
  capture "$HPAR" help
  expect_out "sweep [opts] -- PROGRAM"
}

# hpar sweep unpins itself: with OMP_PROC_BIND/OMP_PLACES set (as the batch scripts set them)
# the OpenMP runtime pins its main thread to one core, which its launches would inherit.
case_launches_get_every_cpu_under_omp_binding() {
  OMP_PROC_BIND=close OMP_PLACES=cores sweep --ranks 1 --threads 2 --repeat 1 --logs logs \
    -- "$HYBRID_WORK" 10000
  expect_rc 0
  [ "$(grep -c '^affinity: rank 0 thread' logs/1x2-run1.out)" = 2 ] || fail "$(cat logs/1x2-run1.out)"
  grep '^affinity:' logs/1x2-run1.out | awk '{ print $NF }' | sort -u | wc -l | grep -qx 2 ||
    fail "both threads on one core: $(cat logs/1x2-run1.out)"
}

# `hpar slurm sweep`: a checked script whose body is slurm/sweep.sbatch's; outside Slurm it runs
# the sweep with mpirun and writes hpar-sweep-local.json.
case_slurm_sweep_script() {
  capture "$HPAR" slurm sweep --nodes 1 --cores-per-node 2 --ranks 1,2,4 --threads 1 --repeat 1 \
    --same-output 'checksum: (\S+)' -- "$HYBRID_WORK" 100000
  expect_rc 0
  expect_out "#SBATCH --exclusive"
  expect_out "# Sweep: 2 layout(s) on 1 node(s) of 2 cores: 1x1 2x1"
  expect_out "#   left out 4x1 (4 cores)"
  mv out.txt job.sbatch
  bash -n job.sbatch || fail "not valid bash"
  bash "$SOURCE_DIR/slurm/lib/sync-launch.sh" --check job.sbatch 2>check.txt || fail "$(cat check.txt)"
  local marker='# ---- from here on the same'
  cmp -s <(sed -n "/^$marker/,\$p" job.sbatch) <(sed -n "/^$marker/,\$p" "$SOURCE_DIR/slurm/sweep.sbatch") ||
    fail "body differs from slurm/sweep.sbatch"
  HPAR_LAUNCHER=mpirun bash job.sbatch >run.txt 2>&1
  RC=$?
  OUT=$(cat run.txt)
  expect_rc 0
  expect_out "results      identical at every point and run"
  json_check hpar-sweep-local.json "assert [(p['ranks'], p['threads']) for p in d['points']] == [(1, 1), (2, 1)]"
  [ -s hpar-sweep-local.logs/2x1-run1.out ] || fail "no logs"
  capture "$HPAR" slurm sweep --nodes 1 --cores-per-node 2 --json x.json -- "$HYBRID_WORK" 1
  expect_usage_error "leave out --json: the script sets it"
  capture "$HPAR" slurm sweep --nodes 1 --cores-per-node 2 --ranks 8 --threads 1 -- "$HYBRID_WORK" 1
  expect_usage_error "no layout can run: 8x1 (8 cores)"
  capture "$HPAR" slurm sweep --cores-per-node 2 -- "$HYBRID_WORK" 1
  expect_usage_error "'hpar slurm sweep' needs --nodes N"
}

# slurm/sweep.sbatch outside Slurm, stopped by SIGTERM to the script (what --signal=B:TERM@60
# sends): the sweep stops, the points done are written, the script exits 4.
case_sweep_sbatch_stops_on_sigterm() {
  local tag=$$
  HPAR_LAUNCHER=mpirun bash "$SOURCE_DIR/slurm/sweep.sbatch" --ranks 1,2 --threads 1 --repeat 1 \
    -- "$HYBRID_WORK" "$tag" --hang-at-ranks 2 >run.txt 2>&1 &
  stop_during_second_point $! "$tag" run.txt
  OUT=$(cat run.txt)
  expect_rc 4
  json_check hpar-sweep-local.json "assert d['complete'] is False and len(d['points']) == 1"
  sleep 0.5
  pgrep -f "hybrid_work $tag " >/dev/null && fail "hybrid_work left running"
  return 0
}

case_timeout_is_bounded() {
  sweep --ranks 1 --threads 1 --repeat 1 --timeout 1e300 --launcher none -- /bin/true
  expect_usage_error "--timeout must be more than 0 and at most 2592000 seconds (30 days)"
}

# A launch that fails shows the program's own ERROR line (on its stdout), before the end of its
# stdout and stderr; a line of dashes in the program's output cuts nothing; Open MPI's
# "job terminated" box is not what is shown; the output is kept in logs/ beside the JSON.
case_failed_launch_shows_the_programs_error() {
  mkdir out
  sweep --ranks 1,2 --threads 1 --repeat 1 --json out/s.json \
    -- "$STUDY_PROGRAM" --steps 20000 --error-at 2x1 --dashes
  expect_rc 1
  expect_err "hpar: warning: point 2x1 mpirun, run 1 of 1 failed: exit code 1; the sweep goes on"
  expect_err "  | ERROR: the input deck is not valid at 2x1 (on purpose)"
  expect_err "  | study_program: giving up"
  expect_err "  its whole output: out/logs/2x1-run1.out, out/logs/2x1-run1.err"
  local first
  first=$(grep -n '^  | ' err.txt | head -1)
  [[ $first == *"ERROR: the input deck"* ]] || fail "the error line is not first: $ERR"
  grep -q '^  | .*Primary job' err.txt && fail "Open MPI's notice shown: $ERR"
  expect_out "failed       2x1 mpirun run 1: exit code 1: ERROR: the input deck is not valid"
  grep -q '^ERROR: the input deck' out/logs/2x1-run1.out || fail "not kept: $(ls -R out)"
  json_check out/s.json "
f = d['failed'][0]
assert f['error_lines'] == ['ERROR: the input deck is not valid at 2x1 (on purpose)'], f
assert f['stdout'] == 'out/logs/2x1-run1.out' and 'study_program: giving up' in f['stdout_tail'], f"
  # Without --json: kept in hpar-sweep-logs/, and said so.
  sweep --ranks 2 --threads 1 --repeat 1 -- "$STUDY_PROGRAM" --steps 20000 --error-at 2x1
  expect_rc 1
  expect_err "  its whole output: hpar-sweep-logs/2x1-run1.out"
  [ -s hpar-sweep-logs/2x1-run1.out ] || fail "not kept: $(ls -A)"
}

# The refusal of a --metric that never matches prints real lines, not a literal \n.
case_metric_refusal_prints_real_lines() {
  sweep --ranks 1 --threads 1 --metric 'solve time: ([0-9.]+)' -- "$STUDY_PROGRAM" --steps 1000
  expect_usage_error "--metric 'solve time: ([0-9.]+)' matches nothing in the output of point 1x1"
  grep -qF '\n' err.txt && fail "a literal \\n: $ERR"
  grep -q '^  | rate: ' err.txt || fail "no output line: $ERR"
}

# "Results identical" only when --same-output compared something: not without it (table, weak
# mode, JSON, `hpar collect`), nor when it matched nothing in any run.
case_results_not_claimed_when_nothing_was_compared() {
  sweep --ranks 1,2 --threads 1 --repeat 1 --json s.json -- "$STUDY_PROGRAM" --steps 20000
  expect_rc 0
  expect_out "results      not compared (--same-output REGEX compares a value between runs)"
  json_check s.json "assert d['results_identical'] is None, d['results_identical']"
  capture "$HPAR" collect s.json --json c.json
  expect_rc 0
  expect_out "results      not compared"
  json_check c.json "assert d['results_identical'] is None"
  sweep --mode weak --ranks 1,2 --threads 1 --repeat 2 -- "$STUDY_PROGRAM" --steps '{cores*20000}'
  expect_rc 0
  expect_out "results      not compared"
  sweep --ranks 1,2 --threads 1 --repeat 1 --same-output 'checksum: (\S+)' --json m.json \
    -- "$STUDY_PROGRAM" --steps 20000
  expect_rc 0
  expect_out "results      not compared: --same-output 'checksum: (\S+)' matched nothing in any run"
  expect_err "hpar: warning: --same-output 'checksum: (\S+)' matched nothing in any run"
  json_check m.json "assert d['results_identical'] is None"
}

# --same-output prints the values that differ; --same-output-tolerance REL lets numbers differ
# a little (a floating-point sum that changes with the layout).
case_same_output_shows_differences_and_takes_a_tolerance() {
  sweep --ranks 1,2 --threads 1 --repeat 1 --same-output 'energy: (\S+)' --json s.json \
    -- "$STUDY_PROGRAM" --steps 20000 --energy-jitter 1e-12
  expect_rc 3
  expect_out "results      DIFFER between runs or points"
  expect_out "differ       2x1 mpirun run 1: 'same-output: 1.000000000001' where 1x1 mpirun run 1 gave 'same-output: 1'"
  expect_err "hpar: error: the job's results differ between runs or layouts: 2x1 mpirun run 1: 'same-output: 1.000000000001'"
  json_check s.json "assert d['results_identical'] is False and len(d['result_differences']) == 1"
  sweep --ranks 1,2 --threads 1 --repeat 1 --same-output 'energy: (\S+)' \
    --same-output-tolerance 1e-9 --json t.json -- "$STUDY_PROGRAM" --steps 20000 --energy-jitter 1e-12
  expect_rc 0
  expect_out "results      identical at every point and run (numbers within a relative 1e-09)"
  json_check t.json "assert d['results_identical'] is True and d['result_tolerance'] == 1e-9"
  sweep --ranks 1,2 --threads 1 --repeat 1 --same-output 'energy: (\S+)' \
    --same-output-tolerance 1e-13 -- "$STUDY_PROGRAM" --steps 20000 --energy-jitter 1e-12
  expect_rc 3
  sweep --same-output-tolerance 1e-9 -- "$STUDY_PROGRAM"
  expect_usage_error "--same-output-tolerance needs --same-output REGEX"
  sweep --same-output x --same-output-tolerance -1 -- "$STUDY_PROGRAM"
  expect_usage_error "--same-output-tolerance must be at least 0 and less than 1"
}

# Every point failed --check: no baseline is named (its speedups mean nothing).
case_no_baseline_when_every_point_failed_check() {
  sweep --ranks 1,2 --threads 1 --repeat 1 --check '^never printed$' --json s.json \
    -- "$STUDY_PROGRAM" --steps 20000
  expect_rc 3
  expect_out "baseline     none: every point failed verification (the speedups mean nothing)"
  grep -q '^baseline     1x1' out.txt && fail "a baseline named: $OUT"
  json_check s.json "assert d['analysis']['baseline'] is None"
}

# Every launch failed: the JSON is written all the same, with the failures.
case_json_written_when_every_launch_failed() {
  sweep --ranks 1 --threads 1 --repeat 2 --json s.json -- "$STUDY_PROGRAM" --steps 1000 --error-at 1x1
  expect_rc 1
  expect_err "hpar: error: every launch failed (1x1 mpirun run 1: exit code 1: ERROR: the input deck"
  json_check s.json "
assert d['schema'] == 'hpar-study/1' and d['points'] == [] and d['results_identical'] is None
assert d['failed'][0]['error_lines'][0].startswith('ERROR: the input deck'), d['failed']"
}

# --stdin FILE: each launch reads FILE (rank 0 under mpirun). Without it, hpar's own stdin (a
# file, a pipe) is not the launches': a warning says so.
case_stdin_file_is_fed_to_each_launch() {
  echo "1 2 3" >in.txt
  sweep --ranks 1,2 --threads 1 --repeat 2 --stdin in.txt --check '^input: 3 number\(s\), sum 6$' \
    --json s.json -- "$STUDY_PROGRAM" --steps 20000 --read-stdin </dev/null
  expect_rc 0
  grep -q "standard input" err.txt && fail "a warning with --stdin: $ERR"
  json_check s.json "assert all(p['verification'] == 'PASS' for p in d['points']) and len(d['points']) == 2"
  sweep --ranks 1 --threads 1 --repeat 1 -- "$STUDY_PROGRAM" --steps 20000 --read-stdin <in.txt
  expect_rc 1
  expect_err "hpar: warning: hpar's standard input is a file that the launches do not read (they read nothing): give it to each launch with --stdin FILE"
  expect_err "  | ERROR: no input on stdin"
  sweep --ranks 1 --threads 1 --repeat 1 -- "$STUDY_PROGRAM" --steps 20000 < <(echo 1 2)
  expect_rc 0
  expect_err "hpar: warning: hpar's standard input is a pipe that the launches do not read"
  sweep --stdin no-such-file -- "$STUDY_PROGRAM"
  expect_usage_error "no-such-file"
}

# A misspelt placeholder is an error, not passed through; strong mode fills them in too.
case_misspelt_placeholder_is_an_error() {
  sweep --ranks 1 --threads 1 -- "$STUDY_PROGRAM" --steps '{thread}'
  expect_usage_error "unknown placeholder '{thread}' in the program's arguments: the known ones are {ranks}, {threads}, {cores}, {run}"
  sweep --ranks 1 --threads 1 --launcher 'mpirun -np {ranks} --cpus {thread}' -- "$STUDY_PROGRAM"
  expect_usage_error "unknown placeholder '{thread}' in --launcher"
  capture "$HPAR" slurm sweep --nodes 1 --cores-per-node 2 -- "$STUDY_PROGRAM" --steps '{Cores}'
  expect_usage_error "unknown placeholder '{Cores}'"
  sweep --ranks 1,2 --threads 1 --repeat 1 --json s.json -- "$STUDY_PROGRAM" --steps '{cores*10000}'
  expect_rc 0
  json_check s.json "assert [p['command'][-1] for p in d['points']] == ['10000', '20000'], d['points']"
}

# A program that writes a fixed file name (and refuses to overwrite it): --workdir-per-run
# starts each launch in a directory of its own; {run} names a file per run.
case_workdir_per_run_and_run_placeholder() {
  sweep --ranks 1 --threads 1 --repeat 2 -- "$STUDY_PROGRAM" --steps 20000 --log run.log --refuse-existing-log
  expect_rc 1
  expect_err "  | ERROR: run.log exists already"
  rm -f run.log
  cp "$STUDY_PROGRAM" ./sp
  mkdir out
  sweep --ranks 1,2 --threads 1 --repeat 2 --workdir-per-run --json out/s.json \
    -- ./sp --steps 20000 --log run.log --refuse-existing-log
  expect_rc 0
  local d
  for d in 1x1-run1 1x1-run2 2x1-run1 2x1-run2; do
    grep -qx "layout ${d%-run*}" "out/hpar-sweep-runs/$d/run.log" || fail "no log in $d: $(ls -R out)"
  done
  [ ! -e run.log ] || fail "run.log written here"
  json_check out/s.json "assert d['points'][0]['launches'][1]['workdir'] == 'out/hpar-sweep-runs/1x1-run2'"
  sweep --ranks 1 --threads 1 --repeat 2 -- "$STUDY_PROGRAM" --steps 20000 \
    --log 'log-{ranks}x{threads}-{run}.txt' --refuse-existing-log
  expect_rc 0
  if [ ! -s log-1x1-1.txt ] || [ ! -s log-1x1-2.txt ]; then fail "no log per run: $(ls)"; fi
}

# The script `hpar slurm sweep` prints: a marked place for module load lines (before anything
# runs), the echoed command keeps its quoting, and its errors name only the variable involved.
case_slurm_sweep_script_quoting_modules_and_errors() {
  capture "$HPAR" slurm sweep --nodes 1 --cores-per-node 2 --ranks 1,2 --threads 1 --repeat 1 \
    --same-output 'energy: (\S+)' -- "$STUDY_PROGRAM" --steps 20000
  expect_rc 0
  mv out.txt job.sbatch
  local marker
  marker=$(grep -n '^# ---- your environment: module load lines (and exports) go here' job.sbatch | cut -d: -f1)
  if [ -z "$marker" ] || [ "$marker" -ge "$(grep -n '^set -u$' job.sbatch | head -1 | cut -d: -f1)" ]; then
    fail "no module place before the script runs: $(head -30 job.sbatch)"
  fi
  grep -q '^# ---- end of your environment ----$' job.sbatch || fail "the module place is not closed"
  HPAR_LAUNCHER=mpirun bash job.sbatch >run.txt 2>&1
  RC=$?
  OUT=$(cat run.txt)
  expect_rc 0
  expect_out "--same-output 'energy: (\S+)' -- $STUDY_PROGRAM --steps 20000"
  # The echoed line, read back by a shell, is the command's words.
  local echoed
  echoed=$(sed -n 's/^command: //p' run.txt)
  eval "set -- $echoed"
  if [ "$#" -lt 4 ] || [ "${*: -4:1}" != "--" ] || [ "${*: -5:1}" != 'energy: (\S+)' ]; then
    fail "not its words: $echoed"
  fi
  HPAR_LAUNCHER=bogus bash job.sbatch >run.txt 2>&1
  RC=$?
  ERR=$(cat run.txt)
  expect_usage_error "HPAR_LAUNCHER must be srun, mpirun or auto, not 'bogus'"
  grep -q -- '--launcher' run.txt && fail "names an option the user did not give: $ERR"
  capture "$HPAR" slurm sweep --nodes 1 --cores-per-node 2 --logs x -- "$STUDY_PROGRAM"
  expect_usage_error "leave out --logs: the script sets it with HPAR_SWEEP_LOGS=1|0"
  grep -q 'HPAR_REPORT_DIR\|HPAR_LAUNCHER' err.txt && fail "names variables not involved: $ERR"
  return 0
}

# CPU seconds per point: a program that ignores its OpenMP threads keeps one of its two cores
# busy while the other stays idle; the point says "the program did not use its threads", and
# the advice is about the program, not about other processes. A program that uses them is not
# flagged so. Telling needs the other core idle: on a machine that others keep busy the case is
# tried 3 times, then skipped.
case_program_that_ignores_its_threads_is_flagged() {
  local try
  for try in 1 2 3; do
    sweep --ranks 1 --threads 2 --repeat 1 --launcher none --json s.json \
      -- "$STUDY_PROGRAM" --steps 1500000 --serial
    expect_rc 0
    json_check s.json "
p = d['points'][0]
assert len(p['cpu_seconds']) == 1 and len(p['wall_seconds']) == 1, p
assert p['busy']['samples'][0]['program_cpu_seconds'] > 0.1, p['busy']
assert p['cpu_seconds'][0] / (2 * p['wall_seconds'][0]) < 0.6, p"
    grep -q 'other processes used' out.txt || break
    [ "$try" = 3 ] && skip HPAR_REQUIRE_QUIET "others kept this machine's CPUs busy: $OUT"
    sleep 2
  done
  expect_out "the program did not use its threads"
  expect_out "advice       the program did not use all the cores it was given at 1x2 none"
  grep -q '^!   2      1        2  none' out.txt || fail "1x2 not marked: $OUT"
  # (the rerun line names the untrusted point too: only the advice may not blame others)
  grep -v '^rerun ' out.txt | grep -q 'not to be trusted' && fail "advice about other processes: $OUT"
  sweep --ranks 1 --threads 2 --repeat 1 --launcher none --json t.json \
    -- "$STUDY_PROGRAM" --steps 1500000
  expect_rc 0
  grep -q "did not use its threads" out.txt && fail "a threaded program flagged: $OUT"
  return 0
}

# Several --metric: the first is measured (here a rate, higher is better: the speedup is the
# rate over the baseline's), the others (NAME=REGEX) are recorded, a column each under
# "figures". The table's launcher column is named so.
case_several_metrics_and_a_rate() {
  sweep --ranks 1,2 --threads 1 --repeat 2 --metric 'rate: ([0-9.]+) steps/s' --metric-kind rate \
    --metric 'energy=energy: (\S+)' --metric 'step_time=time: ([0-9.]+) s' --json s.json \
    -- "$STUDY_PROGRAM" --steps 200000
  expect_rc 0
  grep -q '^cores  ranks  threads  launcher  *rate  *spread  *speedup' out.txt || fail "header: $OUT"
  expect_out "measured     the rate --metric 'rate: ([0-9.]+) steps/s' takes from the output"
  grep -q '^figures      point  *energy  *step_time   (median of the runs)$' out.txt || fail "figures: $OUT"
  grep -q '^             2x1 mpirun  *1  *[0-9.]' out.txt || fail "figures row: $OUT"
  expect_err "median rate "
  json_check s.json "
import statistics
assert d['metric_kind'] == 'rate' and set(d['figures']) == {'energy', 'step_time'}, d['figures']
p1, p2 = d['points']
for p in d['points']:
    assert len(p['rate']) == 2 and p['figures']['energy'] == [1, 1], p
    for s, r in zip(p['seconds'], p['rate']):
        assert abs(s * r - 1) < 1e-9, (s, r)
    assert len(p['figures']['step_time']) == 2
    assert p['launches'][0]['figures']['energy'] == 1
expected = statistics.median(p1['seconds']) / statistics.median(p2['seconds'])  # = the rates' ratio
assert abs(p2['speedup'] - expected) < 1e-6 * expected, (p2['speedup'], expected)"
  sweep --metric 'a: (\d+)' --metric 'b: (\d+)' -- "$STUDY_PROGRAM"
  expect_usage_error "bad --metric 'b: (\d+)': a second --metric needs a name, --metric NAME=REGEX"
  sweep --metric 'x=a: (\d+)' --metric 'x=b: (\d+)' -- "$STUDY_PROGRAM"
  expect_usage_error "two --metric named 'x'"
  sweep --metric 'a: (\d+)' --metric-kind speed -- "$STUDY_PROGRAM"
  expect_usage_error "bad --metric-kind 'speed': expected time or rate"
  sweep --metric-kind rate -- "$STUDY_PROGRAM"
  expect_usage_error "--metric-kind needs --metric REGEX"
  sweep --metric 'a: (\d+)' --metric-kind rate --metric-unit ms -- "$STUDY_PROGRAM"
  expect_usage_error "--metric-unit is the unit of a time: a rate is taken as printed"
}

# untrust_only FILE CONDITION: the study's points marked trusted, their busy samples
# dropped (a loaded machine must not choose what is rerun), except those where the condition on
# `p` holds, marked untrusted on purpose.
untrust_only() {
  python3 - "$1" "$2" <<'PY' || fail "cannot edit $1"
import json, sys
d = json.load(open(sys.argv[1]))
for p in d['points']:
    p['busy'] = {'trusted': not eval(sys.argv[2]), 'findings': [], 'samples': []}
json.dump(d, open(sys.argv[1], 'w'))
PY
}

# A study with a failed point (2x1 fails while the file 'broken' exists) and a point made
# untrusted on purpose (1x2): the table prints the command that reruns them; `--rerun` launches
# exactly those two points (counted by the program itself) and merges them into the study: each
# replaces its old point and says what it replaced, the failure is gone, the 1x1 point is kept
# as it was, the speedups are made anew against it; CSV and plot written again. A study with
# nothing to rerun says so (exit 0). Bad input: exit 2, nothing run.
case_rerun_launches_only_failed_and_untrusted_points() {
  touch broken
  sweep --core-counts 1,2 --repeat 2 --json s.json --csv s.csv -- "$STUDY_PROGRAM" --steps 20000 \
    --error-at 2x1 --error-while broken --count-launches launches.txt
  expect_rc 1
  expect_out "rerun        hpar sweep --rerun s.json launches again only "
  expect_out "2x1 mpirun (every launch failed)"
  json_check s.json "assert d['rerun']['command'] == 'hpar sweep --rerun s.json', d['rerun']"
  [ "$(sort launches.txt | uniq -c | tr -s ' ' | tr '\n' ,)" = " 2 1x1, 2 1x2, 1 2x1," ] ||
    fail "first sweep's launches: $(cat launches.txt)"
  untrust_only s.json "(p['ranks'], p['threads']) == (1, 2)"
  cp s.json before.json
  rm broken launches.txt
  sweep --rerun s.json
  expect_rc 0
  expect_err "hpar: rerun of 2 of 3 point(s) of s.json, 2 run(s) each: 1x2 mpirun (its times are not to be trusted); 2x1 mpirun (every launch failed)"
  [ "$(sort launches.txt | uniq -c | tr -s ' ' | tr '\n' ,)" = " 2 1x2, 2 2x1," ] ||
    fail "rerun's launches: $(cat launches.txt)"
  json_check s.json "
import json, statistics
b = json.load(open('before.json'))
old = {(p['ranks'], p['threads']): p for p in b['points']}
new = {(p['ranks'], p['threads']): p for p in d['points']}
assert sorted(new) == [(1, 1), (1, 2), (2, 1)] and d['failed'] == [], d['failed']
assert new[(1, 1)]['seconds'] == old[(1, 1)]['seconds'] and 'rerun' not in new[(1, 1)]
assert new[(1, 2)]['rerun']['seconds'] == old[(1, 2)]['seconds'], new[(1, 2)]['rerun']
assert new[(1, 2)]['seconds'] != old[(1, 2)]['seconds'] and len(new[(1, 2)]['seconds']) == 2
assert new[(2, 1)]['rerun']['failures'] == [{'run': 1, 'failure': 'exit code 1'}]
base = statistics.median(new[(1, 1)]['seconds'])
for p in new.values():
    assert abs(p['speedup'] - base / statistics.median(p['seconds'])) < 1e-9 * p['speedup']
assert d['analysis']['baseline'] is not None and d['command_line'] == b['command_line']
assert [r['layout'] for r in d['reruns'][0]['points']] == ['1x2 mpirun', '2x1 mpirun']"
  [ "$(wc -l <s.csv)" = 4 ] || fail "s.csv not merged: $(cat s.csv)"
  grep -Eq '^[ !] +2 +2 +1 +mpirun ' out.txt || fail "no 2x1 row: $OUT"
  untrust_only s.json "False"
  rm launches.txt
  sweep --rerun s.json --repeat 3
  expect_rc 0
  expect_err "hpar: note: nothing to rerun in s.json: every point ran, no launch failed"
  [ ! -e launches.txt ] || fail "launched: $(cat launches.txt)"
  # Bad input.
  sweep --rerun s.json -- "$STUDY_PROGRAM"
  expect_usage_error "--rerun launches the study's own program again: give no '-- PROGRAM'"
  sweep --rerun s.json --ranks 2
  expect_usage_error "--rerun takes only --repeat K besides: --ranks is the study's own"
  echo '{"schema": "hpar-report/1"}' >r.json
  sweep --rerun r.json
  expect_usage_error "'r.json' is not a study (hpar-study/1): --rerun takes the --json file of an 'hpar sweep'"
  hpar_np 1 scale pi --samples 1e5 --mode strong --threads 1 --repeat 1 --json sc.json
  expect_rc 0
  sweep --rerun sc.json
  expect_usage_error "'sc.json' is not the study of an 'hpar sweep'"
  sweep --rerun no-such.json
  expect_usage_error "no-such.json"
  [ ! -e launches.txt ] || fail "launched: $(cat launches.txt)"
}
