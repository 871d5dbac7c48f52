# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2034,SC2153,SC2016,SC1083 # RC, OUT, ERR and LAUNCH belong to the runner (tests/lib); the tasks' $ and {} are theirs
# CLI tests of the farm job: the user's own command once per input. The reference is the
# serial shell loop `for x in inputs; do COMMAND x; done`, byte for byte.

# A task whose output size depends on its input: nothing, one line, or 1 MB.
make_task_script() {
  cat >task.sh <<'EOF'
#!/bin/sh
case $(($1 % 3)) in
  0) ;;
  1) echo "input $1" ;;
  2) head -c 1000000 /dev/zero | tr '\0' "$(($1 % 10))" ;;
esac
EOF
  chmod +x task.sh
}

case_output_equals_the_serial_loop_at_layouts() {
  make_task_script
  for x in $(seq 1 40); do ./task.sh "$x"; done >expected.txt
  local layout np t
  for layout in 1x1 2x1 1x2 4x1 2x2; do
    np=${layout%x*}
    t=${layout#*x}
    hpar_np "$np" run farm --range 1:40 --threads "$t" --no-report -- ./task.sh
    expect_rc 0
    cmp -s out.txt expected.txt || fail "output at $layout differs from the serial loop"
  done
}

# The task list from a pipe ("--input-file -", "--args-file /dev/stdin"), at 1 and 2 ranks:
# the same output as from the file (standard input reaches rank 0 only; hpar shares it).
case_inputs_from_standard_input() {
  printf 'a b\nc\n\nd e f\n' >in.txt
  hpar_np 1 run farm --input-file in.txt --no-report -- echo x
  expect_rc 0
  local want=$OUT np
  [ "$(grep -c '^x' <<<"$want")" = 4 ] || fail "the file run gave: $want"
  for np in 1 2; do
    hpar_np "$np" run farm --input-file - --no-report -- echo x < <(cat in.txt)
    expect_rc 0
    [ "$OUT" = "$want" ] || fail "np $np, --input-file -: $OUT"
  done
  hpar_np 1 run farm --args-file in.txt --no-report -- echo y
  want=$OUT
  hpar_np 2 run farm --args-file /dev/stdin --no-report -- echo y < <(cat in.txt)
  expect_rc 0
  [ "$OUT" = "$want" ] || fail "np 2, --args-file /dev/stdin: $OUT, not $want"
}

case_every_task_runs_exactly_once() {
  # mkdir fails when the folder exists: a task run twice would fail the farm.
  mkdir ran
  hpar_np 3 run farm --range 1:300 --threads 2 --no-report -- mkdir ran/{}
  expect_rc 0
  [ "$(find ran -mindepth 1 | wc -l)" = 300 ] || fail "$(find ran -mindepth 1 | wc -l) tasks ran"
  [ -z "$OUT" ] || fail "unexpected output: ${OUT:0:200}"
}

case_placeholders_and_environment() {
  hpar_np 2 run farm --inputs dir/a.tar.gz,b.txt,/c --no-report -- \
    sh -c 'echo "$0|$1|$2|$3|$4|$5|$6 $HPAR_TASK $HPAR_INPUT $HPAR_ATTEMPT"' \
    {} {#} {.} {/} {//} {/.} x
  expect_rc 0
  [ "$OUT" = "$(printf '%s\n' \
    'dir/a.tar.gz|1|dir/a.tar|a.tar.gz|dir|a.tar|x 1 dir/a.tar.gz 1' \
    'b.txt|2|b|b.txt|.|b|x 2 b.txt 1' \
    '/c|3|/c|c|/|c|x 3 /c 1')" ] || fail "got: $OUT"
  # {%} and HPAR_SLOT name the slot (1..ranks x threads); HPAR_RANK the rank.
  hpar_np 2 run farm --range 1:20 --threads 2 --no-report -- \
    sh -c 'echo "$1 $HPAR_SLOT $HPAR_RANK $HPAR_HOST"' x {%}
  expect_rc 0
  awk -v host="$(hostname)" '$1 != $2 || $1 < 1 || $1 > 4 || int(($1 - 1) / 2) != $3 || $4 != host { bad = 1 } END { exit bad }' out.txt ||
    fail "slots: $OUT"
}

case_no_placeholder_appends_the_input() {
  hpar_np 2 run farm --inputs 'a b',c --no-report -- printf '<%s>\n'
  expect_rc 0
  [ "$OUT" = "$(printf '<a b>\n<c>')" ] || fail "got: $OUT"
}

case_shell_quotes_inputs() {
  hpar_np 2 run farm --inputs "it's,a;b" --shell --no-report -- echo {} '| tr a-z A-Z'
  expect_rc 0
  [ "$OUT" = "$(printf "IT'S\nA;B")" ] || fail "got: $OUT"
}

case_args_file_lines_are_argument_lists() {
  printf '%s\n' "one 'two three'" '' 'four "five \"six\""' >args.txt
  hpar_np 2 run farm --args-file args.txt --no-report -- printf '[%s]'
  expect_rc 0
  [ "$OUT" = '[one][two three][four][five "six"]' ] || fail "got: $OUT"
}

case_failures_are_recorded_and_the_farm_goes_on() {
  hpar_np 2 run farm --range 1:10 --joblog log.tsv -- sh -c 'echo $0; exit $(($0 % 4 == 0))'
  expect_rc 3
  [ "$(result_lines)" = "$(seq 1 10)" ] || fail "output: $OUT"
  expect_out "verification FAIL (2 of 10 tasks failed (2 x exit 1))"
  expect_out "10 (8 succeeded, 2 failed, 0 retried, 0 timed out)"
  [ "$(head -1 log.tsv | cut -f1-9)" = "$(printf 'Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand')" ] ||
    fail "header: $(head -1 log.tsv)"
  [ "$(tail -n +2 log.tsv | cut -f1,7 | sort -n | tr '\t\n' ':,')" = \
    "1:0,2:0,3:0,4:1,5:0,6:0,7:0,8:1,9:0,10:0," ] || fail "joblog: $(cat log.tsv)"
}

case_retries_run_a_failed_task_again() {
  # Fails on its first attempt (no marker yet), succeeds on the second.
  hpar_np 2 run farm --range 1:6 --retries 2 --joblog log.jsonl --no-report -- \
    sh -c 'if [ -e m$0 ]; then echo ok $0 $HPAR_ATTEMPT; else touch m$0; exit 5; fi'
  expect_rc 0
  [ "$OUT" = "$(for x in 1 2 3 4 5 6; do echo "ok $x 2"; done)" ] || fail "got: $OUT"
  python3 - <<'PY' || fail "joblog: $(cat log.jsonl)"
import json
lines = [json.loads(l) for l in open("log.jsonl")]
assert len(lines) == 12, len(lines)
for seq in range(1, 7):
    attempts = sorted((l["attempt"], l["exit"]) for l in lines if l["seq"] == seq)
    assert attempts == [(1, 5), (2, 0)], (seq, attempts)
PY
}

case_timeout_ends_a_task_that_hangs() {
  local start=$SECONDS
  hpar_np 2 run farm --inputs 1,2,3 --timeout 1 --joblog log.tsv -- \
    sh -c 'if [ $0 = 2 ]; then sleep 100; fi; echo $0'
  expect_rc 3
  [ $((SECONDS - start)) -lt 30 ] || fail "took $((SECONDS - start)) s"
  expect_out "1 timed out"
  grep -q "timed out" log.tsv || fail "joblog: $(cat log.tsv)"
  pgrep -f 'sleep 100' >/dev/null && fail "the timed-out task still runs"
  return 0
}

case_stderr_passes_whole_and_tagged() {
  hpar_np 2 run farm --range 1:6 --threads 2 --tag --no-report -- \
    sh -c 'printf "a$0\nb$0\n" >&2'
  expect_rc 0
  for x in 1 2 3 4 5 6; do
    grep -qx "\[task $x\] a$x" <<<"$ERR" || fail "stderr: $ERR"
    grep -A1 -x "\[task $x\] a$x" <<<"$ERR" | grep -qx "\[task $x\] b$x" || fail "split: $ERR"
  done
}

case_task_threads_pins_to_distinct_cores() {
  [ "$(nproc)" -ge 2 ] || { echo "SKIP: needs 2 CPUs"; exit 77; }
  hpar_np 1 run farm --inputs 1 --threads 1 --task-threads 2 --no-report -- \
    sh -c 'echo "$OMP_NUM_THREADS $HPAR_CPUS $(grep Cpus_allowed_list /proc/self/status | cut -f2)"'
  expect_rc 0
  read -r threads cpus allowed <<<"$OUT"
  [ "$threads" = 2 ] || fail "OMP_NUM_THREADS: $OUT"
  [ "$(tr ',' '\n' <<<"$cpus" | sort -u | wc -l)" = 2 ] || fail "HPAR_CPUS: $OUT"
  # The kernel's list of the task's CPUs is the two named (as a range or a list).
  local expanded
  expanded=$(tr ',' '\n' <<<"$allowed" | awk -F- '{ for (c = $1; c <= ($2 == "" ? $1 : $2); c++) print c }' | paste -sd,)
  [ "$expanded" = "$cpus" ] || fail "allowed CPUs $allowed, named $cpus"
}

case_stop_and_resume_run_every_task_once() {
  # Each task appends its number to ran.txt, then prints it; a SIGTERM mid-farm ends the tasks
  # that run (they are run again) and the resumed farm runs only what did not finish.
  for x in $(seq 1 60); do echo "$x"; done >expected.txt
  start_bg 2 run farm --range 1:60 --threads 2 --no-report --checkpoint ck -- \
    sh -c 'echo $0 >>ran.txt; sleep 0.1; echo $0'
  for _ in $(seq 1 400); do
    [ "$(wc -l <ran.txt 2>/dev/null || echo 0)" -ge 12 ] && break
    sleep 0.05
  done
  stop_bg
  expect_rc 4
  local first
  first=$(wc -l <ran.txt)
  [ "$first" -lt 60 ] || fail "the stop came after every task ran"
  hpar_np 3 run farm --range 1:60 --no-report --checkpoint ck --resume -- \
    sh -c 'echo $0 >>ran.txt; sleep 0.1; echo $0'
  expect_rc 0
  cmp -s out.txt expected.txt || fail "resumed output differs: $(diff out.txt expected.txt | head)"
  # Every task ran; none twice but those the stop cut short (at most one per slot: 4).
  [ "$(sort -un ran.txt | wc -l)" = 60 ] || fail "not every task ran"
  local twice
  twice=$(sort -n ran.txt | uniq -d | wc -l)
  [ "$twice" -le 4 ] || fail "$twice tasks ran twice"
}

case_resume_refuses_a_changed_command_or_input_file() {
  seq 1 5 >in.txt
  hpar_np 1 run farm --input-file in.txt --checkpoint ck --no-report -- echo
  expect_rc 0
  hpar_np 1 run farm --input-file in.txt --checkpoint ck --resume -- echo x
  expect_usage_error "cannot resume the checkpoint in 'ck'"
  seq 1 6 >in.txt
  hpar_np 1 run farm --input-file in.txt --checkpoint ck --resume -- echo
  expect_usage_error "content of --input-file"
}

# What changes no task may change on resume (--timeout, --task-threads, --chunk, the joblog,
# --unordered, --results, the input file's path); the command, --retries and --tag (in the
# tasks' stdout) may not.
case_resume_takes_harmless_changes() {
  seq 1 5 >in.txt
  hpar_np 1 run farm --input-file in.txt --checkpoint ck --no-report -- echo
  expect_rc 0
  cp out.txt expected.txt
  cp in.txt moved.txt
  hpar_np 1 run farm --input-file moved.txt --timeout 30 --unordered --task-threads 1 \
    --chunk 2 --joblog log.tsv --results res --checkpoint ck --resume --no-report -- echo
  expect_rc 0
  cmp -s out.txt expected.txt || fail "resumed: $OUT"
  hpar_np 1 run farm --input-file moved.txt --checkpoint ck --resume -- echo {} x
  expect_usage_error "--command was echo, now echo"
  hpar_np 1 run farm --input-file moved.txt --checkpoint ck --resume --shell -- echo
  expect_usage_error "--shell is new"
  hpar_np 1 run farm --input-file moved.txt --retries 2 --checkpoint ck --resume -- echo
  expect_usage_error "--retries was 0, now 2"
  hpar_np 1 run farm --input-file moved.txt --tag --checkpoint ck --resume -- echo
  expect_usage_error "--tag is new"
}

case_help_shows_the_farm_defaults() {
  hpar_np 1 run farm --help
  expect_rc 0
  expect_out "--schedule KIND[,CHUNK] (=dynamic,1)"
  expect_out "--distribution block|cyclic|dynamic (=dynamic)"
  hpar_np 1 run numbers --help
  expect_out "--schedule KIND[,CHUNK] (=static)"
}

case_bad_input() {
  hpar_np 2 run farm --inputs 1,2
  expect_usage_error "no command"
  hpar_np 2 run farm --inputs 1,2 -- echo {..}
  expect_usage_error "unknown placeholder '{..}'"
  : >empty.txt
  hpar_np 2 run farm --input-file empty.txt -- echo
  expect_usage_error "no inputs in 'empty.txt'"
  hpar_np 2 run farm --inputs 1 -- no-such-program-hpar
  expect_usage_error "program 'no-such-program-hpar' not found"
  printf 'a\0b\n' >nul.txt
  hpar_np 2 run farm --input-file nul.txt -- echo
  expect_usage_error "holds a NUL byte"
  hpar_np 2 run farm --inputs 1 --task-threads 100000 -- echo
  expect_usage_error "--task-threads 100000 is more than"
  hpar_np 1 run farm -- echo
  expect_usage_error "no inputs: give --inputs"
  hpar_np 1 run numbers -- echo
  expect_usage_error "job 'numbers' takes no words after '--'"
  hpar_np 1 run farm --inputs 1 --joblog nodir/log.tsv -- echo
  expect_usage_error "nodir/log.tsv"
  [ ! -e nodir ] || fail "nodir made"
}

case_awk_braces_are_not_placeholders() {
  hpar_np 1 run farm --inputs 'a b' --shell --no-report -- echo {} '|' awk "'{print \$2}'"
  expect_rc 0
  [ "$OUT" = b ] || fail "got: $OUT"
}

# joblog_column N: column N of the TSV joblog log.tsv, one line per attempt, by Seq.
joblog_column() { tail -n +2 log.tsv | sort -n -k1,1 | cut -f"$1"; }

case_long_tasks_go_to_different_ranks() {
  # One task per free slot: the two 1.5 s tasks start at once on the two ranks, not one after
  # the other on a rank that took a chunk of both.
  hpar_np 2 run farm --inputs 1.5,1.5,0.1,0.1,0.1,0.1,0.1,0.1 --threads 1 --joblog log.tsv \
    --no-report -- sleep
  expect_rc 0
  local ranks
  ranks=$(joblog_column 10 | head -2 | sort -u | wc -l)
  [ "$ranks" = 2 ] || fail "both long tasks on one rank: $(cat log.tsv)"
  hpar_np 2 run farm --inputs 1,2,3 --chunk 0 -- echo
  expect_usage_error "--chunk must be 1 to 1024"
}

case_mpi_programs_run_as_tasks() {
  # A task that is itself an MPI program (a singleton, a nested launcher) gets the user's
  # environment, not the launcher's variables of the rank that starts it.
  local nested
  nested="$MPIEXEC -n 2 $HPAR_MPIEXEC_FLAGS"
  export HPAR nested
  hpar_np 2 run farm --inputs 3,4 --no-report -- sh -c '"$HPAR" run numbers --inputs "$0" --no-report'
  expect_rc 0
  [ "$(grep -c . out.txt)" -ge 2 ] || fail "singleton tasks: $OUT / $ERR"
  hpar_np 2 run farm --inputs 5,6 --no-report -- sh -c '$nested "$HPAR" run numbers --inputs "$0" --no-report'
  expect_rc 0
  [ "$(grep -c . out.txt)" -ge 2 ] || fail "nested mpiexec tasks: $OUT / $ERR"
  # The user's own OMPI_MCA_ setting reaches the task; the launcher's own variables do not.
  OMPI_MCA_btl_base_verbose=0 hpar_np 2 run farm --inputs 1 --no-report -- \
    sh -c 'echo "${OMPI_MCA_btl_base_verbose:-lost}"; env | grep -cE "^(PMIX_|OMPI_COMM_WORLD|OMPI_MCA_orte_|PMI_)"; true'
  expect_rc 0
  [ "$(head -1 out.txt)" = 0 ] || fail "the user's OMPI_MCA_ variable: $OUT"
  [ "$(sed -n 2p out.txt)" = 0 ] || fail "launcher variables reach the task: $OUT"
}

case_a_task_that_cannot_start_fails_alone() {
  # As a shell: not found 127, not executable 126, a script without #! runs with /bin/sh; the
  # farm goes on and --retries applies.
  printf 'echo plain "$1"\n' >plain.sh
  printf '#!/nonexistent/interpreter\n' >badinterp.sh
  printf 'echo x\n' >noexec.sh
  chmod +x plain.sh badinterp.sh
  hpar_np 2 run farm --inputs ./plain.sh,./missing,./noexec.sh,./badinterp.sh --retries 1 \
    --joblog log.tsv --no-report -- {} arg
  expect_rc 3
  [ "$OUT" = "plain arg" ] || fail "output: $OUT"
  [ "$(joblog_column 7 | paste -sd,)" = "0,127,127,126,126,127,127" ] || fail "joblog: $(cat log.tsv)"
  expect_err "cannot start './missing'"
  hpar_np 1 run farm --inputs a,b --no-report -- ./plain.sh
  expect_rc 0
  [ "$OUT" = "$(printf 'plain a\nplain b')" ] || fail "output: $OUT"
}

case_term_grace_reaches_a_wrapped_program() {
  # The wrapper (the outer sh) dies of the TERM at once; the program it runs saves its state
  # within the grace, before the group is KILLed.
  hpar_np 1 run farm --inputs 1 --timeout 1 --no-report -- \
    sh -c 'sh -c "trap \"sleep 0.5; echo saved >saved.txt; exit 0\" TERM; sleep 30 & wait"; echo $0'
  expect_rc 3
  [ "$(cat saved.txt 2>/dev/null)" = saved ] || fail "the wrapped program was killed before it saved"
}

case_resume_hint_works_as_printed() {
  only_with_open_mpi "the hint names mpirun"
  start_bg 2 run farm --range 1:40 --no-report --checkpoint ck -- sh -c 'sleep 0.2; echo $0'
  for _ in $(seq 1 100); do
    [ -e ck ] && break
    sleep 0.05
  done
  sleep 0.5
  stop_bg
  expect_rc 4
  local hint
  hint=$(grep -A1 'resume with' <<<"$ERR" | tail -1)
  [[ $hint == "  mpirun -np 2 hpar run farm "*" --resume -- sh -c "* ]] || fail "hint: $hint"
  # As printed, with this build's hpar first in PATH.
  PATH="$(dirname "$HPAR"):$PATH" eval "$hint" >resumed.txt 2>resumed.err ||
    fail "the printed command failed: $(cat resumed.err)"
  [ "$(sed '/^== hpar report/,$d' resumed.txt)" = "$(seq 1 40)" ] || fail "resumed: $(cat resumed.txt)"
}

case_joblog_exitval_and_command() {
  hpar_np 2 run farm --inputs "a b,it's" --joblog log.tsv --no-report -- printf '<%s>\n'
  expect_rc 0
  joblog_column 9 >commands.txt
  while IFS= read -r command; do eval "$command"; done <commands.txt >again.txt
  [ "$(cat again.txt)" = "$OUT" ] || fail "the logged commands: $(cat commands.txt)"
  hpar_np 1 run farm --inputs 1 --timeout 0.5 --joblog log.tsv --no-report -- sleep 10
  expect_rc 3
  [ "$(joblog_column 7)" = -1 ] || fail "Exitval of a timed-out task: $(cat log.tsv)"
}

case_positional_placeholders() {
  hpar_np 2 run farm --inputs a,b --no-report -- echo '<{1}>' '{}'
  expect_rc 0
  [ "$OUT" = "$(printf '<a> a\n<b> b')" ] || fail "got: $OUT"
  hpar_np 1 run farm --inputs a --shell --no-report -- 'x=5; echo ${x}{1}'
  expect_rc 0
  [ "$OUT" = 5a ] || fail "got: $OUT"
  hpar_np 2 run farm --inputs a -- echo '{2}'
  expect_usage_error "placeholder '{2}': there is one input source"
  hpar_np 2 run farm --inputs a -- echo '{= s/a/b/ =}'
  expect_usage_error "{= perl expression =} is GNU parallel's and not supported"
}

case_task_threads_share_the_node_cpus() {
  [ "$(nproc)" -ge 2 ] || { echo "SKIP: needs 2 CPUs"; exit 77; }
  # Unbound ranks (the test launch binds nothing) share the node's CPUs between them.
  hpar_np 2 run farm --inputs 1,2 --distribution block --threads 1 --task-threads 1 --no-report -- \
    sh -c 'echo "$HPAR_RANK $(grep Cpus_allowed_list /proc/self/status | cut -f2)"'
  expect_rc 0
  [ "$(cut -d' ' -f2 out.txt | sort -u | wc -l)" = 2 ] || fail "tasks of both ranks on the same CPUs: $OUT"
  hpar_np 2 run farm --inputs 1,2 --threads 2 --task-threads "$(nproc)" -- true
  expect_usage_error "CPUs of rank"
  hpar_np 2 run farm --inputs 1,2 --threads 2 --task-threads "$(nproc)" --oversubscribe-tasks --no-report -- true
  expect_rc 0
}

case_crlf_and_huge_input_lines() {
  printf 'a\r\nb\r\n' >crlf.txt
  hpar_np 2 run farm --input-file crlf.txt --no-report -- echo '<{}>'
  expect_rc 0
  [ "$OUT" = "$(printf '<a>\n<b>')" ] || fail "CR passed on: $(od -c out.txt | head -3)"
  # A 1 MiB line cannot be one argument (E2BIG): that task fails (126), the farm goes on.
  { head -c 1048576 /dev/zero | tr '\0' x; echo; echo ok; } >huge.txt
  hpar_np 2 run farm --input-file huge.txt --joblog log.tsv --no-report -- echo
  expect_rc 3
  [ "$OUT" = ok ] || fail "output: ${OUT:0:100}"
  [ "$(joblog_column 7 | paste -sd,)" = "126,0" ] || fail "joblog: $(cut -c1-200 log.tsv)"
}

case_tasks_die_with_their_rank() {
  # A rank killed outright (SIGKILL, an out-of-memory kill) takes its running task along.
  start_bg 1 run farm --inputs 1 --no-report -- sh -c 'echo $$ >task.pid; exec sleep 60'
  for _ in $(seq 1 200); do
    [ -s task.pid ] && break
    sleep 0.05
  done
  [ -s task.pid ] || fail "the task did not start"
  # shellcheck disable=SC2046 # one pid per word
  kill -KILL $(launched_ranks "$LAUNCHER")
  wait "$LAUNCHER"
  sleep 0.3
  local pid state
  pid=$(cat task.pid)
  # Gone, or a zombie that its new parent has not reaped yet (in a container, pid 1 may never).
  state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)
  if [ -n "$state" ] && [ "$state" != Z ]; then
    kill "$pid"
    fail "the task runs on after its rank died"
  fi
}

# gone_or_zombie PID: true when no process PID runs (a zombie that pid 1 of a container does not
# reap counts as gone).
gone_or_zombie() {
  local state
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
  [ -z "$state" ] || [ "$state" = Z ]
}

case_a_tasks_leftover_processes_are_ended_and_noted() {
  # Task 1 leaves a background process in its group: it is ended (TERM) when the task ends, the
  # task keeps its exit code (0), and stderr and the joblog say so for task 1 only.
  hpar_np 1 run farm --inputs a,b --threads 1 --joblog log.tsv --no-report --shell -- \
    'if [ {} = a ]; then sleep 60 & echo $! >bg.pid; fi; echo {}'
  expect_rc 0
  [ "$OUT" = "$(printf 'a\nb')" ] || fail "output: $OUT"
  expect_err "hpar: task 1 (input 'a') left processes behind; ended"
  [ "$(grep -c 'left processes behind' <<<"$ERR")" = 1 ] || fail "stderr: $ERR"
  [ "$(joblog_column 13 | paste -sd,)" = "exited (left processes behind; ended),exited" ] ||
    fail "joblog End: $(joblog_column 13)"
  gone_or_zombie "$(cat bg.pid)" || { kill "$(cat bg.pid)"; fail "the background process runs on"; }
  # One that ignores TERM is KILLed a moment later; JSON Lines say so as "leftovers".
  hpar_np 1 run farm --inputs a --joblog log.jsonl --no-report --shell -- \
    "sh -c 'trap \"\" TERM; echo \$\$ >bg.pid; exec sleep 60' & sleep 0.3; echo {}"
  expect_rc 0
  grep -q '"leftovers":true' log.jsonl || fail "joblog: $(cat log.jsonl)"
  gone_or_zombie "$(cat bg.pid)" || { kill -KILL "$(cat bg.pid)"; fail "a TERM-proof leftover runs on"; }
}

case_joblog_grows_line_by_line() {
  # Each attempt's line is in the joblog as soon as it ends, and stays after a stop.
  start_bg 2 run farm --range 1:60 --threads 1 --joblog live.tsv --no-report -- \
    sh -c 'sleep 0.2; echo $0'
  local seen=0
  for _ in $(seq 1 200); do
    seen=$(($(wc -l <live.tsv 2>/dev/null || echo 0) - 1))
    [ "$seen" -ge 5 ] && break
    sleep 0.05
  done
  stop_bg
  expect_rc 4
  [ "$seen" -ge 5 ] || fail "no joblog line while the farm ran"
  [ "$(head -1 live.tsv | cut -f1)" = Seq ] || fail "header: $(head -2 live.tsv)"
  [ "$(tail -n +2 live.tsv | wc -l)" -ge "$seen" ] || fail "joblog after the stop: $(cat live.tsv)"
  awk -F'\t' 'NR > 1 && (NF != 14 || $7 != 0) { bad = 1 } END { exit bad }' live.tsv ||
    fail "lines: $(cat live.tsv)"
}

case_a_long_task_on_rank_0_keeps_no_rank_waiting() {
  # The dealer of ranks across hosts (by messages, rank 0 answers): rank 0's slot answers
  # while its own 3 s task runs, so rank 1 runs the 19 short tasks meanwhile.
  local inputs
  inputs=3$(printf ',0.1%.0s' $(seq 19))
  HPAR_DYNAMIC_DEALER=messages hpar_np 2 run farm --threads 1 --inputs "$inputs" \
    --joblog log.tsv --no-report -- sleep
  expect_rc 0
  local on_rank_1
  on_rank_1=$(tail -n +2 log.tsv | awk -F'\t' '$10 == 1' | wc -l)
  [ "$on_rank_1" -ge 15 ] || fail "rank 1 ran $on_rank_1 of the 19 short tasks: $(cat log.tsv)"
}

case_progress_counts_finished_tasks() {
  # Two 2 s tasks start at once on the two ranks: until they end, no task is finished, whatever
  # has been dealt; lines come while rank 0's own task runs; the last line is printed once.
  hpar_np 2 run farm --threads 1 --inputs 2,2,0.1,0.1 --progress on --no-report -- sleep
  expect_rc 0
  grep 'progress' err.txt >lines.txt || fail "no progress lines: $ERR"
  awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "s" && $(i + 2) ~ /^elapsed/) t = $i }
       t < 1.8 && !/\(0 of 4 tasks finished\)/ { bad = 1 } t < 1.8 { early++ }
       END { exit bad || !early }' lines.txt ||
    fail "tasks counted before any finished, or no line while they ran: $(cat lines.txt)"
  [ "$(grep -c '(4 of 4 tasks finished).*done' lines.txt)" = 1 ] ||
    fail "the last line is not there once: $(cat lines.txt)"
}

# A task that leaves a process of another session behind, writing a moment later: its bytes
# never reach a later task's output (tasks' output comes through pipes of their own).
case_a_left_behind_process_never_writes_into_another_task() {
  cat >task.sh <<'SH'
#!/bin/sh
[ "$1" = 1 ] && setsid sh -c 'sleep 0.3; echo LEAK; echo LEAK >&2' </dev/null &
sleep 0.2
echo "task $1"
SH
  chmod +x task.sh
  hpar_np 1 run farm --range 1:5 --threads 1 --no-report -- ./task.sh
  expect_rc 0
  [ "$OUT" = "$(printf 'task %s\n' 1 2 3 4 5)" ] || fail "output: $OUT"
  ! grep -q LEAK <<<"$ERR" || fail "stderr: $ERR"
}

# A task's output past the 64 MiB kept in memory (the rest in an unlinked file in TMPDIR),
# at 2 ranks, byte for byte as the serial loop; nothing left in TMPDIR.
case_task_output_past_the_memory_bound() {
  mkdir tmp
  cat >task.sh <<'SH'
#!/bin/sh
if [ "$1" = 2 ]; then head -c 70000000 /dev/zero | tr '\0' x; echo; else echo "task $1"; fi
SH
  chmod +x task.sh
  for x in 1 2 3; do ./task.sh "$x"; done | md5sum >expected.md5
  TMPDIR=$PWD/tmp hpar_np 2 run farm --range 1:3 --threads 1 --no-report --output o.txt -- ./task.sh
  expect_rc 0
  [ "$(md5sum <o.txt)" = "$(cat expected.md5)" ] || fail "output differs ($(wc -c <o.txt) bytes)"
  [ -z "$(ls -A tmp)" ] || fail "left in TMPDIR: $(ls -A tmp)"
}

# The threads of one rank are slots that take their next task as they free: a long task on one
# leaves the other running the short ones meanwhile (no slot waits for another's task).
case_a_long_task_keeps_no_other_slot_waiting() {
  local inputs long_slot on_other
  inputs=1.5$(printf ',0.1%.0s' $(seq 10))
  hpar_np 1 run farm --threads 2 --inputs "$inputs" --joblog log.tsv --no-report -- sleep
  expect_rc 0
  long_slot=$(tail -n +2 log.tsv | awk -F'\t' '$1 == 1 { print $11 }')
  on_other=$(tail -n +2 log.tsv | awk -F'\t' -v s="$long_slot" '$1 > 1 && $11 != s' | wc -l)
  [ "$on_other" -ge 9 ] || fail "the other slot ran $on_other of the 10 short tasks: $(cat log.tsv)"
}

# GNU parallel's input sources after the command (::: values, :::: files), their cross product
# and --link, --colsep columns and -N groups: byte for byte GNU parallel's own output (-k), at
# 1 and 2 ranks. as_parallel "PARALLEL'S ARGS" HPAR'S FARM ARGS...
as_parallel() {
  local reference=$1 np
  shift
  read -ra words <<<"$reference"
  parallel -k "${words[@]}" >expected.txt
  for np in 1 2; do
    hpar_np "$np" run farm --no-report "$@"
    expect_rc 0
    cmp -s out.txt expected.txt || fail "$*: $(head -3 out.txt) against $(head -3 expected.txt)"
  done
}

case_input_sources_as_gnu_parallel() {
  printf 'x\ny\n' >f.txt
  printf 'a,1\nb,2\nc\n' >c.txt
  as_parallel "echo ::: a b ::: 1 2" -- echo ::: a b ::: 1 2
  as_parallel "echo {2}-{1} ::: a b ::: 1 2 3" -- echo {2}-{1} ::: a b ::: 1 2 3
  as_parallel "--link echo ::: a b c ::: 1 2" --link -- echo ::: a b c ::: 1 2
  as_parallel "echo ::: a b :::: f.txt" -- echo ::: a b :::: f.txt
  as_parallel "--colsep , echo {2}:{1} :::: c.txt" --colsep , --input-file c.txt -- echo {2}:{1}
  as_parallel "--colsep , echo :::: c.txt" --colsep , --input-file c.txt -- echo
  as_parallel "-N 3 echo ::: 1 2 3 4 5 6 7" -N 3 --range 1:7 -- echo
  as_parallel "-N 3 echo {3}/{1} ::: 1 2 3 4 5 6 7" -N 3 --range 1:7 -- echo {3}/{1}
  as_parallel "-N 2 echo {} ::: 1 2 3 4 5" -N 2 --range 1:5 -- echo {}
}

# --dry-run prints each task's command as GNU parallel's --dry-run does (values quoted as it
# quotes them), byte for byte, printed once at 1 and 2 ranks; nothing runs.
# as_dry_run "PARALLEL'S ARGS" HPAR'S FARM ARGS...
as_dry_run() {
  local reference=$1 np
  shift
  read -ra words <<<"$reference"
  parallel --dry-run "${words[@]}" >expected.txt
  for np in 1 2; do
    hpar_np "$np" run farm --dry-run --no-report "$@"
    expect_rc 0
    cmp -s out.txt expected.txt || fail "$*: $(head -3 out.txt) against $(head -3 expected.txt)"
  done
}

case_dry_run_as_gnu_parallel() {
  printf '%s\n' plain 'b c' "d'e" 'f$g' 'x:y' '' "*" >vals.txt
  printf 'a,1\nb,2\nc\n' >c.txt
  as_dry_run "echo ::: a b ::: 1 2" -- echo ::: a b ::: 1 2
  as_dry_run "echo {2}-{1} :::: vals.txt ::: z" -- echo {2}-{1} :::: vals.txt ::: z
  as_dry_run "printf %s/ :::: vals.txt" -- printf %s/ :::: vals.txt
  as_dry_run "--colsep , echo {2}:{1} :::: c.txt" --colsep , --input-file c.txt -- echo {2}:{1}
  as_dry_run "-N 2 echo ::: 1 2 3 4 5" -N 2 --range 1:5 -- echo
  as_dry_run "mkdir ran/{#}.{/.} ::: a.txt b.txt" -- mkdir ran/{#}.{/.} ::: a.txt b.txt
  [ ! -e ran ] || fail "--dry-run ran a task"
  hpar_np 1 run farm --dry-run --inputs a --checkpoint ck -- echo
  expect_usage_error "--dry-run runs nothing: not with --checkpoint"
}

# --tag prefixes each line of a task's stdout (a last line without a newline too) with its
# input and a TAB: byte for byte GNU parallel's -k --tag, at 1 and 2 ranks.
case_tag_stdout_as_gnu_parallel() {
  printf 'a,1\nb,2\nc\n' >c.txt
  printf '#!/bin/sh\n[ "$1" = n ] || printf "one %%s\\ntwo %%s" "$1" "$1"\n' >t.sh
  chmod +x t.sh
  as_parallel "--tag echo ::: a b ::: 1 2" --tag -- echo ::: a b ::: 1 2
  as_parallel "--tag ./t.sh ::: a n b" --tag -- ./t.sh ::: a n b
  as_parallel "--tag --colsep , echo {2} :::: c.txt" --tag --colsep , --input-file c.txt -- \
    echo {2}
  as_parallel "--tag -N 2 echo ::: 1 2 3" --tag -N 2 --range 1:3 -- echo
}

# --unordered: each task's output whole (its three lines together) as it ends, not in input
# order: the same lines as the ordered run, in another order, at 1x2, 2x1 and 2x1 with the
# dealer of ranks across hosts.
case_unordered_prints_each_task_whole_as_it_ends() {
  local run=(--inputs '0.9,0.5,0,0.2,0' --no-report -- sh -c
    'sleep $0; echo "$0 a"; head -c 5000 /dev/zero | tr "\0" x; echo; echo "$0 c"')
  hpar_np 2 run farm --threads 1 "${run[@]}"
  expect_rc 0
  sort out.txt >ordered.txt
  local layout np t
  for layout in 1x2 2x1 messages; do
    np=${layout%x*}
    t=${layout#*x}
    if [ "$layout" = messages ]; then
      HPAR_DYNAMIC_DEALER=messages hpar_np 2 run farm --unordered --threads 1 "${run[@]}"
    else
      hpar_np "$np" run farm --unordered --threads "$t" "${run[@]}"
    fi
    expect_rc 0
    [ "$(sort out.txt)" = "$(cat ordered.txt)" ] || fail "$layout: lines differ: $OUT"
    [ "$(head -1 out.txt)" != "0.9 a" ] || fail "$layout: in input order: $OUT"
    # Every task's lines are together: a, the x line, c.
    awk '{ n = NR % 3 } n == 1 && $2 != "a" { bad = 1 } n == 1 { t = $1 }
         n == 0 && ($1 != t || $2 != "c") { bad = 1 } END { exit bad }' out.txt ||
      fail "$layout: a task's output split: $OUT"
  done
}

# The entries of the results folder res, by number, on one line.
result_folders() { find res -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n | paste -sd' '; }

# --results DIR: DIR/SEQ/{stdout,stderr,exitval,seq,input,command} for every task, as the
# serial loop gives them; no temporary folder left; at 1 and 2 ranks.
case_results_keep_each_tasks_outputs() {
  local np x
  for np in 1 2; do
    rm -rf res
    hpar_np "$np" run farm --results res --threads 2 --range 1:6 --no-report -- \
      sh -c 'echo "out $0"; echo "err $0" >&2; exit $(($0 % 2))'
    expect_rc 3
    [ "$(result_folders)" = "1 2 3 4 5 6" ] || fail "np $np: $(result_folders)"
    for x in 1 2 3 4 5 6; do
      [ "$(cat res/"$x"/stdout)" = "out $x" ] || fail "np $np, $x: stdout"
      [ "$(cat res/"$x"/stderr)" = "err $x" ] || fail "np $np, $x: stderr"
      [ "$(cat res/"$x"/exitval)" = $((x % 2)) ] || fail "np $np, $x: exitval"
      [ "$(cat res/"$x"/seq)/$(cat res/"$x"/input)" = "$x/$x" ] || fail "np $np, $x: seq/input"
      grep -q "^sh -c .* $x\$" res/"$x"/command || fail "np $np, $x: $(cat res/"$x"/command)"
    done
  done
}

# A farm stopped mid-way and resumed with --results (and --unordered): every task's folder is
# there, once, whole (the finished ones kept from the first run); every task's output printed.
case_results_survive_a_resume() {
  start_bg 2 run farm --range 1:30 --threads 1 --results res --checkpoint ck --no-report -- \
    sh -c 'sleep 0.1; echo $0'
  for _ in $(seq 1 200); do
    [ "$(find res -mindepth 1 -maxdepth 1 -name '[0-9]*' 2>/dev/null | wc -l)" -ge 6 ] && break
    sleep 0.05
  done
  stop_bg
  expect_rc 4
  local before
  before=$(find res -mindepth 1 -maxdepth 1 -name '[0-9]*' | wc -l)
  [ "$before" -lt 30 ] || fail "the stop came after every task ran"
  hpar_np 2 run farm --range 1:30 --threads 1 --results res --checkpoint ck --resume \
    --unordered --no-report -- sh -c 'sleep 0.1; echo $0'
  expect_rc 0
  [ "$(sort -n out.txt)" = "$(seq 1 30)" ] || fail "resumed --unordered output: $OUT"
  [ "$(result_folders)" = "$(seq 1 30 | paste -sd' ')" ] || fail "folders: $(result_folders)"
  local x
  for x in $(seq 1 30); do
    [ "$(cat res/"$x"/stdout)" = "$x" ] || fail "task $x: $(cat res/"$x"/stdout)"
  done
}

case_results_bad_input() {
  : >file.txt
  hpar_np 2 run farm --results file.txt --inputs 1 -- touch ran
  expect_usage_error "--results 'file.txt' is not a directory"
  hpar_np 2 run farm --results file.txt/sub --inputs 1 -- touch ran
  expect_usage_error "--results 'file.txt/sub'"
  hpar_np 2 run farm --results /proc/hpar-results --inputs 1 -- touch ran
  expect_usage_error "cannot write into '/proc'"
  [ ! -e ran ] || fail "a task ran"
}
