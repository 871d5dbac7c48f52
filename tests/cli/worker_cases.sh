# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2034,SC2153 # RC, OUT, ERR and LAUNCH belong to the runner (tests/lib)
# CLI tests of `hpar farm --worker`: a command started once per slot and fed the inputs over a
# pipe (docs/workers.md). The reference is the serial loop, byte for byte.

examples=$SOURCE_DIR/examples/python

# The tutorial's function over N inputs, as the serial Python loop prints it.
serial_numbers() {
  PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$examples:$("$HPAR" worker-path) python3 -c "import sys
from numbers_worker import numbers
for x in range(1, int(sys.argv[1]) + 1): print(numbers(x))" "$1"
}

# A Python worker that fails in every way on chosen inputs: raises on 3 and 13, exits on 7,
# never answers 9 (a fresh worker's first input waits for its start too: a limit of 2 s
# leaves room on a loaded machine); with a file 'once' present each of these happens only once (the next
# attempt answers), as a transient failure would.
make_flaky_worker() {
  cat >flaky.py <<'EOF'
import os, time
from hpar_worker import serve

def once(x):
    mark = "failed-%d" % x
    if not os.path.exists("once"):
        return True
    if os.path.exists(mark):
        return False
    open(mark, "w").close()
    return True

def f(x):
    if x in (3, 13) and once(x):
        raise ValueError("bad input %d" % x)
    if x == 7 and once(x):
        os._exit(5)
    if x == 9 and once(x):
        time.sleep(1000)
    return x * 2

serve(f, convert=int)
EOF
}

# The joblog's End (column 13) of input $1's last attempt.
end_of() { awk -F'\t' -v s="$1" '$1 == s { e = $13 } END { print e }' log.tsv; }

case_tutorial_function_same_as_the_serial_loop() {
  serial_numbers 10000 >expected.txt
  local layout np t
  for layout in 1x1 2x1 1x2; do
    np=${layout%x*}
    t=${layout#*x}
    hpar_np "$np" farm --worker --range 1:10000 --threads "$t" --no-report -- \
      python3 "$examples/numbers_worker.py"
    expect_rc 0
    cmp -s out.txt expected.txt ||
      fail "output at $layout differs from the serial loop: $(diff out.txt expected.txt | head -5)"
  done
  # The same function through `python3 -m hpar_worker MODULE:FUNCTION`, with `hpar run farm`.
  cp "$examples/numbers_worker.py" .
  hpar_np 2 run farm --worker --range 1:1000 --threads 1 --no-report -- \
    python3 -m hpar_worker --convert int numbers_worker:numbers
  expect_rc 0
  [ "$OUT" = "$(head -n 1000 expected.txt)" ] || fail "python3 -m hpar_worker: ${OUT:0:300}; $ERR"
}

# One interpreter per slot, not per input: the workers' pids, as the inputs saw them.
case_one_worker_per_slot() {
  cat >pid.py <<'EOF'
import os
from hpar_worker import serve
serve(lambda x: "%s %s %s" % (os.getpid(), os.environ["HPAR_SLOT"], os.environ["HPAR_WORKER"]))
EOF
  hpar_np 2 farm --worker --range 1:200 --threads 2 --no-report -- python3 pid.py
  expect_rc 0
  [ "$(wc -l <out.txt)" = 200 ] || fail "$(wc -l <out.txt) answers"
  local workers
  workers=$(sort -u out.txt | wc -l)
  [ "$workers" -le 4 ] || fail "$workers workers for 4 slots: $(sort -u out.txt)"
  [ "$(awk '{print $2}' out.txt | sort -u | tr '\n' ' ')" = "1 2 3 4 " ] || fail "slots: $OUT"
  [ "$(awk '{print $3}' out.txt | sort -u)" = 1 ] || fail "HPAR_WORKER: $OUT"
}

case_failed_inputs_named_and_the_farm_goes_on() {
  make_flaky_worker
  hpar_np 1 farm --worker --range 1:14 --threads 1 --timeout 2 --joblog log.tsv -- \
    python3 flaky.py
  expect_rc 3
  expect_out "verification FAIL (4 of 14 inputs failed (2 x err answer, 1 x time limit, 1 x worker died))"
  # The other inputs' results, in order (a failed input prints nothing).
  [ "$(result_lines)" = "$(for x in 1 2 4 5 6 8 10 11 12 14; do echo $((2 * x)); done)" ] ||
    fail "results: $(result_lines)"
  expect_err "ValueError: bad input 3"
  expect_err "ValueError: bad input 13"
  expect_err "hpar: input 7 '7' failed: the worker (slot 1, pid"
  expect_err "ended (exit code 5) before it answered; a new one starts for the next input"
  expect_err "hpar: input 9 '9' failed: timed out after 2 s"
  [ "$(end_of 3)" = error ] || fail "input 3: $(cat log.tsv)"
  [ "$(end_of 7)" = "worker died" ] || fail "input 7: $(cat log.tsv)"
  [ "$(end_of 9)" = "timed out" ] || fail "input 9: $(cat log.tsv)"
  [ "$(end_of 8)" = exited ] || fail "input 8: $(cat log.tsv)"
  # Exitval (column 7): 1 for err, the worker's exit code, -1 for the time limit.
  [ "$(awk -F'\t' 'NR > 1 && $7 != 0 { printf "%s:%s ", $1, $7 }' log.tsv)" = "3:1 7:5 9:-1 13:1 " ] ||
    fail "Exitval: $(cat log.tsv)"
}

case_retries_rescue_transient_failures() {
  make_flaky_worker
  touch once
  hpar_np 2 farm --worker --range 1:14 --threads 1 --retries 1 --timeout 2 --joblog log.tsv \
    --no-report -- python3 flaky.py
  expect_rc 0
  [ "$OUT" = "$(for x in $(seq 1 14); do echo $((2 * x)); done)" ] || fail "results: $OUT"
  # Inputs 3, 7, 9 and 13 took two attempts (column 12), the others one; a worker that ends
  # with a batch in flight has its inputs asked again one at a time, not counted: 7 and 9 may
  # pass so.
  case "$(awk -F'\t' '$12 == 2 { printf "%s ", $1 }' log.tsv)" in
    "3 7 9 13 " | "3 9 13 " | "3 7 13 " | "3 13 ") ;;
    *) fail "retried: $(cat log.tsv)" ;;
  esac
}

# A bash worker that writes a plain line for input 4: a protocol error naming the input; the
# worker starts again and the farm goes on. A worker that never frames its answers (cat) ends
# the farm after three fresh workers in a row.
case_an_answer_without_a_frame() {
  cat >plain.sh <<'EOF'
#!/bin/bash
export LC_ALL=C
while IFS= read -r len && IFS= read -r -N "$len" x; do
  if [ "$x" = 4 ]; then echo "hello"; continue; fi
  printf 'ok %d\n%s\n' $((${#x} + 1)) "$x"
done
EOF
  chmod +x plain.sh
  hpar_np 1 farm --worker --range 1:6 --threads 1 --joblog log.tsv -- ./plain.sh
  expect_rc 3
  [ "$(result_lines)" = "$(printf '1\n2\n3\n5\n6')" ] || fail "results: $(result_lines)"
  expect_err "hpar: input 4 '4' failed: the worker (slot 1, pid"
  expect_err "broke the protocol: an answer without a frame: 'hello\n'"
  [ "$(end_of 4)" = "protocol error" ] || fail "input 4: $(cat log.tsv)"
  hpar_np 1 farm --worker --range 1:50 -- cat
  expect_rc 1
  expect_err "hpar: error: "
  expect_err "ended or broke the protocol before its first answer 3 times in a row"
}

# The bash worker of docs/workers.md, as printed there.
case_the_bash_worker_of_the_docs() {
  awk '/^<!-- square.sh -->/ { on = 1; next } on && /^```bash/ { inside = 1; next }
       inside && /^```/ { exit } inside { print }' "$SOURCE_DIR/docs/workers.md" >square.sh
  [ "$(wc -l <square.sh)" -ge 8 ] || fail "no worker in docs/workers.md: $(cat square.sh)"
  [ "$(wc -l <square.sh)" -le 13 ] || fail "the docs' worker is over 13 lines"
  chmod +x square.sh
  hpar_np 2 farm --worker --inputs 1,-3,x,,40 --no-report -- ./square.sh
  expect_rc 3
  [ "$OUT" = "$(printf '1 squared is 1\n-3 squared is 9\n40 squared is 1600')" ] || fail "$OUT"
  expect_err "not a whole number: 'x'"
  expect_err "not a whole number: ''"
}

case_stop_and_resume_give_the_same_output() {
  # Each answer appends the input to ran.txt; a SIGTERM mid-farm ends the workers, and the
  # resumed farm answers only the inputs the first did not finish.
  cat >slow.py <<'EOF'
import time
from hpar_worker import serve
def f(x):
    with open("ran.txt", "a") as ran:
        ran.write(x + "\n")
    time.sleep(0.05)
    return "answer " + x
serve(f)
EOF
  for x in $(seq 1 80); do echo "answer $x"; done >expected.txt
  start_bg 2 farm --worker --range 1:80 --no-report --checkpoint ck -- python3 slow.py
  for _ in $(seq 1 400); do
    [ "$(wc -l <ran.txt 2>/dev/null || echo 0)" -ge 16 ] && break
    sleep 0.05
  done
  stop_bg
  expect_rc 4
  [ "$(wc -l <ran.txt)" -lt 80 ] || fail "the stop came after every input was answered"
  hpar_np 2 farm --worker --range 1:80 --no-report --checkpoint ck --resume -- python3 slow.py
  expect_rc 0
  cmp -s out.txt expected.txt || fail "resumed output differs: $(diff out.txt expected.txt | head)"
  [ "$(sort -un ran.txt | wc -l)" = 80 ] || fail "not every input was answered"
  local twice
  twice=$(sort -n ran.txt | uniq -d | wc -l)
  [ "$twice" -le 2 ] || fail "$twice inputs answered twice (at most one per slot)"
}

case_worker_usage() {
  hpar_np 1 farm --worker --inputs 1,2 -- echo {}
  expect_usage_error "--worker: the command starts once per slot"
  capture "$HPAR" worker-path
  expect_rc 0
  [ -f "$OUT/hpar_worker.py" ] || fail "hpar worker-path: $OUT"
}

# hpar_worker's results: what the function printed, then its value as print() writes it;
# bytes as they are; None adds nothing; writes to fd 1 outside sys.stdout go to stderr; an
# input that is not UTF-8 comes back byte for byte; a value whose str() raises fails only
# its input.
case_python_helper_results_as_print_writes() {
  cat >kinds.py <<'EOF2'
import os
from hpar_worker import serve

class Unprintable:
    def __str__(self):
        raise ValueError("no text for this one")

def f(x):
    if x == "f":
        return Unprintable()
    if x == "a":
        print("printed", x)
        return None
    if x == "b":
        return b"raw\x00bytes"
    if x == "c":
        return {"k": 1}
    if x == "d":
        os.system("echo from-a-subprocess; cat")  # cat reads /dev/null, not the frames
    return x

serve(f)
EOF2
  printf 'a\nb\nc\nd\n\ne\nf\n\377\376\n' >inputs.txt
  hpar_np 1 farm --worker --input-file inputs.txt --threads 1 --no-report -- python3 kinds.py
  expect_rc 3
  printf "printed a\nraw\0bytes{'k': 1}\nd\n\ne\n\377\376\n" >expected.txt
  cmp -s out.txt expected.txt || fail "results: $(od -c out.txt | head)"
  expect_err "from-a-subprocess"
  expect_err "no text for this one"
}

# --worker changes every input's result: a checkpoint of one mode does not resume the other.
case_resume_refuses_a_changed_worker_mode() {
  hpar_np 1 farm --worker --inputs 1,2 --checkpoint ck --no-report -- \
    python3 -m hpar_worker builtins:str
  expect_rc 0
  [ "$OUT" = "$(printf '1\n2')" ] || fail "$OUT"
  hpar_np 1 farm --inputs 1,2 --checkpoint ck --resume --no-report -- \
    python3 -m hpar_worker builtins:str
  expect_usage_error "--worker was given, now not given"
}

# A worker that breaks the protocol on every even input (5 of 10): each is ended and started
# again at once; the farm does not wait a second for each as for a signal that might be a stop.
case_protocol_errors_cost_no_waiting() {
  cat >even.sh <<'EOF2'
#!/bin/bash
export LC_ALL=C
while IFS= read -r len && IFS= read -r -N "$len" x; do
  if [ $((x % 2)) = 0 ]; then echo "hello"; continue; fi
  printf 'ok %d\n%s\n' $((${#x} + 1)) "$x"
done
EOF2
  chmod +x even.sh
  hpar_np 1 farm --worker --range 1:10 --threads 1 -- ./even.sh
  expect_rc 3
  expect_out "5 of 10 inputs failed (5 x protocol error)"
  local compute
  compute=$(awk '$1 == "compute" { print $4 }' out.txt)
  awk -v c="$compute" 'BEGIN { exit !(c < 2.5) }' || fail "compute took $compute s"
}

# The tutorial's 10^5 inputs, sent in batches: at 4 ranks, and across hosts (the dealer by
# messages, as between hosts): byte-identical to the serial loop.
case_tutorial_function_in_batches_at_4_ranks_and_across_hosts() {
  serial_numbers 100000 >expected.txt
  hpar_np 4 farm --worker --range 1:100000 --threads 1 --no-report -- \
    python3 "$examples/numbers_worker.py"
  expect_rc 0
  cmp -s out.txt expected.txt || fail "output at 4x1 differs: $(diff out.txt expected.txt | head -5)"
  HPAR_DYNAMIC_DEALER=messages hpar_np 2 farm --worker --range 1:100000 --threads 1 \
    --no-report -- python3 "$examples/numbers_worker.py"
  expect_rc 0
  cmp -s out.txt expected.txt ||
    fail "output across hosts differs: $(diff out.txt expected.txt | head -5)"
}

# A worker that raises on 11, exits on 19 and never answers 28, each in the middle of a batch
# (--chunk 8: inputs 9-16, 17-24 and 25-32 are sent at once); with a file 'once' present each
# happens once. Every other input answers x*2; each answer also goes to answered.txt.
make_batch_worker() {
  cat >batch.py <<'EOF2'
import os, time
from hpar_worker import serve

def first_time(x):
    mark = "failed-%d" % x
    if not os.path.exists("once"):
        return True
    if os.path.exists(mark):
        return False
    open(mark, "w").close()
    return True

def f(x):
    if x == 11 and first_time(x):
        raise ValueError("bad input %d" % x)
    if x == 19 and first_time(x):
        os._exit(5)
    if x == 28 and first_time(x):
        time.sleep(1000)
    with open("answered.txt", "a") as answered:
        answered.write("%d\n" % x)
    return x * 2

serve(f, convert=int)
EOF2
}

case_failures_in_the_middle_of_a_batch() {
  make_batch_worker
  hpar_np 1 farm --worker --range 1:40 --threads 1 --chunk 8 --timeout 2 --joblog log.tsv \
    --no-report -- python3 batch.py
  expect_rc 3
  # The others' results, each once, in order; a joblog line per input, each input once.
  [ "$(result_lines)" = "$(for x in $(seq 1 40); do
    case $x in 11 | 19 | 28) ;; *) echo $((2 * x)) ;; esac
  done)" ] || fail "results: $(result_lines)"
  [ "$(tail -n +2 log.tsv | cut -f1 | sort -n | tr '\n' ' ')" = "$(seq 1 40 | tr '\n' ' ')" ] ||
    fail "joblog: $(cat log.tsv)"
  [ "$(end_of 11)" = error ] || fail "input 11: $(cat log.tsv)"
  [ "$(end_of 19)" = "worker died" ] || fail "input 19: $(cat log.tsv)"
  [ "$(end_of 28)" = "timed out" ] || fail "input 28: $(cat log.tsv)"
  [ "$(awk -F'\t' 'NR > 1 && $7 != 0 { printf "%s:%s ", $1, $7 }' log.tsv)" = "11:1 19:5 28:-1 " ] ||
    fail "Exitval: $(cat log.tsv)"
  expect_err "ValueError: bad input 11"
  expect_err "hpar: input 28 '28' failed: timed out after 2 s"
  expect_err "of a batch sent; a new one answers them one at a time"
  # --retries rescues them, in batches that grow by themselves (no --chunk), at 2 ranks: every
  # input once in the output and in order.
  rm -f answered.txt
  touch once
  hpar_np 2 farm --worker --range 1:300 --threads 1 --retries 1 --timeout 2 --joblog log.tsv \
    --no-report -- python3 batch.py
  expect_rc 0
  [ "$OUT" = "$(for x in $(seq 1 300); do echo $((2 * x)); done)" ] || fail "results: ${OUT:0:300}"
  # 11 answered err: asked again. 19 and 28 may have ended a worker with a batch in flight:
  # then asked again one at a time (not counted as attempts).
  case "$(awk -F'\t' '$12 == 2 { printf "%s ", $1 }' log.tsv)" in
    "11 19 28 " | "11 19 " | "11 28 " | "11 ") ;;
    *) fail "retried: $(cat log.tsv)" ;;
  esac
  [ "$(tail -n +2 log.tsv | awk -F'\t' '$12 == 1' | wc -l)" = 300 ] ||
    fail "joblog: $(cat log.tsv)"
}
