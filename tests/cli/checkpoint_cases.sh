# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2034,SC2153 # RC, OUT, ERR and LAUNCH are read and set by the runner (tests/lib)
# CLI tests of --checkpoint/--resume with real signals: a run stopped by SIGTERM mid-compute
# leaves its checkpoint (and no partial output), says how to resume, and the resumed run (at
# another layout) gives the bytes of an uninterrupted one.

# stop_when_recorded DIR: waits until DIR holds a non-empty record file (some blocks are on
# disk), then sends SIGTERM to the ranks (as Slurm does at a time limit) and waits for the end.
stop_when_recorded() {
  local i
  for i in $(seq 1 600); do
    find "$1" -name 'blocks-*.log' -size +0 2>/dev/null | grep -q . && break
    kill -0 "$LAUNCHER" 2>/dev/null || break
    sleep 0.05
  done
  stop_bg
}

case_numbers_file_resumes_to_the_same_bytes() {
  hpar_np 1 run numbers --range 1:3000000 --no-report
  expect_rc 0
  md5sum <out.txt | cut -d' ' -f1 >expected.md5
  start_bg 2 run numbers --range 1:3000000 --output o.txt --checkpoint ck --output-buffer 1Mi
  stop_when_recorded ck
  expect_rc 4
  expect_err "stopped early by a signal"
  expect_err "resume with"
  expect_err "--checkpoint ck --output-buffer 1Mi --resume"
  [ ! -e o.txt ] || fail "a partial output file after the stop"
  hpar_np 3 run numbers --range 1:3000000 --output o.txt --checkpoint ck --resume \
    --distribution dynamic --report-json r.json
  expect_rc 0
  [ "$(md5sum <o.txt | cut -d' ' -f1)" = "$(cat expected.md5)" ] || fail "resumed output differs"
  python3 - <<'PY' || fail "checkpoint report: $(grep -A6 '"checkpoint"' r.json)"
import json
c = json.load(open("r.json"))["checkpoint"]
assert c["resumed"] and c["attempt"] == 1, c
assert c["restored_blocks"] > 0 and c["computed_blocks"] > 0, c
assert c["restored_blocks"] + c["computed_blocks"] == 733, c
PY
  expect_no_temporary_files
}

case_pi_resumes_to_the_same_bits() {
  # The stopped run is 1 rank x 1 thread, so that it is still computing when its first record
  # is on disk even at about 4e9 samples/s per core (AVX-512); three layouts, one result.
  hpar_np 2 run pi --samples 1e10 --threads 1 --no-report
  expect_rc 0
  cp out.txt expected.txt
  start_bg 1 run pi --samples 1e10 --threads 1 --checkpoint ck --no-report
  stop_when_recorded ck
  expect_rc 4
  hpar_np 1 run pi --samples 1e10 --checkpoint ck --resume --threads 2 --no-report
  expect_rc 0
  cmp -s out.txt expected.txt || fail "resumed: $OUT; uninterrupted: $(cat expected.txt)"
}

case_resume_refuses_changed_options() {
  start_bg 2 run pi --samples 4e9 --checkpoint ck --no-report
  stop_when_recorded ck
  hpar_np 2 run pi --samples 4e9 --seed 7 --checkpoint ck --resume
  expect_usage_error "cannot resume the checkpoint in 'ck': --seed was 42, now 7"
  hpar_np 2 run integrate --checkpoint ck --resume
  expect_usage_error "it is of job 'pi', not 'integrate'"
  hpar_np 2 run pi --samples 4e9 --checkpoint ck
  expect_usage_error "'ck' already holds a checkpoint"
  hpar_np 2 run pi --resume
  expect_usage_error "--resume needs --checkpoint DIR"
  hpar_np 2 run pi --checkpoint nowhere --resume
  expect_usage_error "no checkpoint in 'nowhere' to resume"
  echo "a b a" >words.txt
  hpar_np 2 run wordcount --checkpoint ck2 --input-file words.txt
  expect_usage_error "job 'wordcount' cannot be checkpointed"
}

# An input file counts by its content, not its path: a changed file is refused (naming it), the
# same lines at another path resume.
case_resume_refuses_a_changed_input_file() {
  seq 1 5 >in.txt
  hpar_np 1 run numbers --input-file in.txt --checkpoint ck --no-report
  expect_rc 0
  cp out.txt expected.txt
  seq 2 6 >in.txt
  hpar_np 2 run numbers --input-file in.txt --checkpoint ck --resume --no-report
  expect_usage_error "cannot resume the checkpoint in 'ck': the content of --input-file 'in.txt'"
  seq 1 5 >moved.txt
  hpar_np 2 run numbers --input-file moved.txt --checkpoint ck --resume --no-report
  expect_rc 0
  cmp -s out.txt expected.txt || fail "resumed: $OUT"
}

# Numbers count by their value: 1:3e5 resumes 1:300000, --samples 1e6 resumes 1000000.
case_resume_compares_numbers_by_value() {
  hpar_np 1 run numbers --range 1:300000 --steps 2 --quiet --checkpoint ck --no-report
  expect_rc 0
  hpar_np 2 run numbers --range 1:3e5 --steps 2e0 --quiet --checkpoint ck --resume --no-report
  expect_rc 0
  hpar_np 1 run numbers --range 1:300001 --quiet --checkpoint ck --resume --no-report
  expect_usage_error "--range was 1:300000, now 1:300001"
  hpar_np 1 run pi --samples 1000000 --checkpoint ck2 --no-report
  expect_rc 0
  hpar_np 1 run pi --samples 1e6 --seed 4.2e1 --checkpoint ck2 --resume --no-report
  expect_rc 0
}

# After a resume the throughput is this run's work over its compute time: the restored blocks
# took none of it.
case_throughput_after_a_resume_counts_the_computed_blocks() {
  start_bg 2 run numbers --range 1:3000000 --output o.txt --checkpoint ck
  stop_when_recorded ck
  expect_rc 4
  hpar_np 1 run numbers --range 1:3000000 --output o.txt --checkpoint ck --resume \
    --report-json r.json
  expect_rc 0
  python3 - <<'PY' || fail "throughput after a resume: $(cat r.json)"
import json
r = json.load(open("r.json"))
c, work = r["checkpoint"], r["work"]
assert c["restored_blocks"] > 0 and c["computed_blocks"] > 0, c
computed = work["items_done"] - c["restored_items"]
assert 0 < computed < work["items"], (computed, c)
rate = computed / r["phases"]["compute"]["max"]
assert abs(r["throughput"]["value"] - rate) <= 1e-6 * rate, (r["throughput"], rate)
PY
}

# A damaged or hand-edited manifest is refused with what is wrong in it (exit 2), never with a
# library's words or a negative attempt number.
case_damaged_manifest_is_refused() {
  mkdir ck
  local good='"schema": "hpar-checkpoint/3", "job": "pi", "run": "7", "identity": {}, "plan": {}'
  echo "{$good, \"attempts\": \"two\", \"complete\": false}" >ck/manifest.json
  hpar_np 2 run pi --samples 1e6 --checkpoint ck --resume
  expect_usage_error "'ck/manifest.json' is not a checkpoint manifest (attempts has the wrong type)"
  echo "{$good, \"attempts\": 2147483647, \"complete\": false}" >ck/manifest.json
  hpar_np 2 run pi --samples 1e6 --checkpoint ck --resume
  expect_usage_error "(attempts must be between 1 and 1000000)"
  echo "{$good, \"attempts\": 1, \"complete\": 0}" >ck/manifest.json
  hpar_np 2 run pi --samples 1e6 --checkpoint ck --resume
  expect_usage_error "(complete has the wrong type)"
  echo '{"schema": "hpar-checkpoint/3", "job": "pi", "run": "7", "identity": {"--samples": 5},
    "plan": {}, "attempts": 1, "complete": false}' >ck/manifest.json
  hpar_np 2 run pi --samples 1e6 --checkpoint ck --resume
  expect_usage_error "(identity --samples is not a string)"
}
