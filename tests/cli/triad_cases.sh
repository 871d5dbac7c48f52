# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# CLI tests of the triad job (sourced by run_case.sh; each case_NAME is one ctest).

case_same_result_at_layouts() {
  same_at_layouts triad --size 300000 --repeat 3
  expect_out "result: triad 300000 elements x 3 repeats, scalar 3"
}

case_checksum_matches_python_closed_form() {
  # Independent reference: the final values b0(i) + R*s*c(i) summed by Python in blocks of
  # 32768, the block sums added in order.
  hpar_np 2 run triad --size 200001 --repeat 4 --scalar 2 --threads 2
  expect_rc 0
  expect_out "verification PASS"
  expected=$(python3 - <<'PY'
n, r, s = 200001, 4, 2.0
total = 0.0
for begin in range(0, n, 32768):
    block = 0.0
    for i in range(begin, min(n, begin + 32768)):
        block += (i % 1009) + r * s * (1 + i % 13)
    total += block
print(f"result: checksum {total:.17g} (sum of the final array, blocks of 32768 in order)")
PY
)
  [ "$(result_lines | sed -n 2p)" = "$expected" ] || fail "got: $(result_lines); expected: $expected"
}

case_per_rank_is_weak_scaling() {
  hpar_np 2 run triad --size 100000 --per-rank --repeat 2 --threads 1 --no-report
  expect_rc 0
  cp out.txt per_rank.txt
  hpar_np 1 run triad --size 200000 --repeat 2 --threads 1 --no-report
  expect_rc 0
  cmp -s per_rank.txt out.txt || fail "2 ranks x 100000 per rank differ from 200000 in all"
  expect_out "result: triad 200000 elements x 2 repeats"
}

case_report_names_bandwidth() {
  hpar_np 2 run triad --size 300000 --repeat 5 --threads 1
  expect_rc 0
  for word in "GB/s" "best GB/s" "median GB/s" "bytes/repeat 7200000" "7 pass(es)" \
    "verification PASS"; do
    expect_out "$word"
  done
}

case_config_file() {
  hpar_np 2 run triad --config "$SOURCE_DIR/jobs/triad.ini" --threads 1 --no-report
  expect_rc 0
  expect_out "result: triad 1000000 elements x 5 repeats, scalar 3"
}

case_bad_size() {
  hpar_np 2 run triad --size 0
  expect_usage_error "--size must be at least 1"
}

case_size_beyond_memory() {
  hpar_np 2 run triad --size 1e15
  expect_usage_error "not enough memory: the 2 ranks on"
}


case_refuses_cyclic_distribution() {
  hpar_np 2 run triad --size 100000 --distribution cyclic
  expect_usage_error "needs one contiguous slice per rank"
}
