# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# CLI tests of --trace on `run` and `scale` (Chrome Trace Event JSON).

# tracks TRACE: the sorted "pid:tid" pairs that have complete (X) events, comma-separated;
# fails unless the file is JSON with traceEvents and a process name per pid.
tracks() {
  python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
events = d["traceEvents"]
named = {e["pid"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
pairs = sorted({(e["pid"], e["tid"]) for e in events if e["ph"] == "X"})
assert {p for p, _ in pairs} == named, (pairs, named)
for e in events:
    if e["ph"] == "X":
        assert e["ts"] >= 0 and e["dur"] >= 0, e
print(",".join(f"{p}:{t}" for p, t in pairs))
PY
}

# names TRACE: the distinct event names, one per line.
names() {
  python3 -c "
import json, sys
print('\n'.join(sorted({e['name'] for e in json.load(open(sys.argv[1]))['traceEvents'] if e['ph'] == 'X'})))" "$1"
}

case_run_trace_has_a_track_per_rank_and_thread() {
  hpar_np 2 run numbers --range 1:400000 --quiet --threads 2 --trace t.json --no-report
  expect_rc 0
  [ "$(tracks t.json)" = "0:0,0:1,1:0,1:1" ] || fail "tracks: $(tracks t.json)"
  for name in compute barrier setup gather agree "idle (threads join)" "verify (finish)"; do
    names t.json | grep -qxF "$name" || fail "no '$name' event: $(names t.json)"
  done
  # Same results with and without tracing.
  cp out.txt traced.txt
  hpar_np 2 run numbers --range 1:400000 --quiet --threads 2 --no-report
  cmp -s out.txt traced.txt || fail "tracing changed the result"
}

case_run_trace_np3_dynamic() {
  hpar_np 3 run pi --samples 2e6 --threads 2 --schedule dynamic,1 --trace t.json --no-report
  expect_rc 0
  [ "$(tracks t.json)" = "0:0,0:1,1:0,1:1,2:0,2:1" ] || fail "tracks: $(tracks t.json)"
}

case_scale_trace_covers_every_point() {
  hpar_np 2 scale numbers --range 1:200000 --quiet --mode strong --ranks 1,2 --threads 1,2 \
    --repeat 1 --trace t.json
  expect_rc 0
  [ "$(tracks t.json)" = "0:0,0:1,1:0,1:1" ] || fail "tracks: $(tracks t.json)"
  names t.json | grep -qxF "waiting: not in point 1x2 static" || fail "$(names t.json)"
  names t.json | grep -qxF "point 2x2 static" || fail "$(names t.json)"
}

case_trace_to_unwritable_path() {
  hpar_np 2 run numbers --range 1:1000 --trace /nonexistent-dir/t.json
  expect_usage_error "cannot write '/nonexistent-dir/t.json'"
}
