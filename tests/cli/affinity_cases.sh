# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# CLI tests of `hpar affinity` (the verdicts themselves are unit-tested on synthetic masks).

case_table_in_rank_thread_order() {
  hpar_np 2 affinity --threads 2
  expect_rc 0
  expect_out "host  rank  thread   cpu  core  numa  mask"
  [ "$(awk 'NR > 1 && NF == 7 { print $2 ":" $3 }' out.txt | paste -sd,)" = "0:0,0:1,1:0,1:1" ] ||
    fail "rows: $OUT"
  expect_out "verdict:"
  expect_out "NUMA node(s)"
}

case_json_has_every_thread() {
  hpar_np 3 affinity --threads 2 --json a.json
  expect_rc 0
  python3 - <<'PY' || fail "a.json: $(head -c 600 a.json)"
import json
d = json.load(open("a.json"))
assert d["schema"] == "hpar-affinity/1"
assert [r["rank"] for r in d["ranks"]] == [0, 1, 2]
for r in d["ranks"]:
    assert [t["thread"] for t in r["threads"]] == [0, 1]
    for t in r["threads"]:
        assert t["cpu_now"] in t["cpus"] or t["cpus"] == [], t
        assert t["numa"] is not None and t["core"] is not None
assert all(v["severity"] in ("problem", "advice") for v in d["verdicts"])
PY
}

case_more_threads_than_cpus_is_a_problem() {
  hpar_np 2 affinity --threads "$(nproc)"
  expect_rc 0
  expect_out "problem: host"
  expect_out "more threads than cores"
}

case_ranks_bound_to_one_core_each() {
  # Open MPI's default binding at np <= 2 (one core per rank) with two threads per rank.
  launch_reset
  launch_bind 1
  capture "$MPIEXEC" -n 2 "${LAUNCH[@]}" "$HPAR" affinity --threads 2
  expect_rc 0
  expect_out "problem: rank 0 on"
  expect_out "runs 2 threads on 1 CPU(s) of its affinity mask"
  expect_out "--map-by slot:PE=2"
}

case_unbound_ranks_get_binding_advice() {
  hpar_np 2 affinity --threads 1
  expect_rc 0
  expect_out "advice:  ranks 0-1 on"
  expect_out "--bind-to core"
}

case_bad_threads() {
  hpar_np 2 affinity --threads 0
  expect_usage_error "--threads must be between 1 and 4096"
  hpar_np 1 affinity --frobnicate
  expect_usage_error "frobnicate"
}
