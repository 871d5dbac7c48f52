# shellcheck shell=bash
# CLI tests of the numbers job (sourced by run_case.sh; each case_NAME is one ctest).

case_tutorial_example_np3() {
  hpar_np 3 run numbers --inputs 1,10
  expect_rc 0
  [ "$(result_lines)" = "$(printf '1: 2 3 4 5 6\n10: 11 12 13 14 15')" ] || fail "got: $OUT"
  expect_out "verification PASS"
}

case_output_matches_serial_loop() {
  # Independent reference: the tutorial's loop written in awk.
  hpar_np 2 run numbers --range -7:2000:3 --steps 4 --no-report
  expect_rc 0
  awk 'BEGIN { for (x = -7; x <= 2000; x += 3) { printf "%d:", x; for (k = 1; k <= 4; k++) printf " %d", x + k; printf "\n" } }' >expected.txt
  cmp -s out.txt expected.txt || fail "differs from awk: $(diff out.txt expected.txt | head -3)"
}

case_same_output_at_all_layouts() {
  same_at_layouts numbers --range 1:20000 --steps 3
}

case_same_checksum_quiet_at_all_layouts() {
  same_at_layouts numbers --range -1000000:1000000:7 --quiet
  expect_out "result: 285715 inputs x 5 steps, checksum"
}

case_input_file_with_comments() {
  printf '# inputs\n5\n\n  -3  # negative\n9223372036854775800\n' >in.txt
  hpar_np 2 run numbers --input-file in.txt --no-report
  expect_rc 0
  [ "$OUT" = "$(printf '5: 6 7 8 9 10\n-3: -2 -1 0 1 2\n9223372036854775800: 9223372036854775801 9223372036854775802 9223372036854775803 9223372036854775804 9223372036854775805')" ] || fail "got: $OUT"
}

case_output_file_written_atomically() {
  hpar_np 2 run numbers --range 1:1000 --output res.txt
  expect_rc 0
  expect_out "result: wrote"
  [ "$(wc -l <res.txt)" = 1000 ] || fail "res.txt has $(wc -l <res.txt) lines"
  expect_no_temporary_files
}

case_no_file_after_failure() {
  hpar_np 2 run numbers --inputs 1,9223372036854775807 --output res.txt
  expect_usage_error "overflows a 64-bit integer"
  [ ! -e res.txt ] || fail "res.txt exists after a failure"
  expect_no_temporary_files
}

case_overflow_is_an_error() {
  hpar_np 1 run numbers --range 9223372036854775800:9223372036854775807
  expect_usage_error "overflows a 64-bit integer"
}

case_config_file() {
  hpar_np 2 run numbers --config "$SOURCE_DIR/jobs/numbers.ini" --no-report
  expect_rc 0
  [ "$(wc -l <out.txt)" = 20 ] || fail "expected 20 lines: $OUT"
  expect_out "20: 21 22 23 24 25"
  # the command line wins over the file
  hpar_np 1 run numbers --config "$SOURCE_DIR/jobs/numbers.ini" --steps 1 --no-report
  expect_out "20: 21"
  [ "$(grep -c '^20: 21$' out.txt)" = 1 ] || fail "steps from the command line not used: $OUT"
}

case_report_json() {
  hpar_np 2 run numbers --range 1:100 --threads 2 --report-json rep.json --no-report
  expect_rc 0
  python3 - rep.json <<'PY' || fail "bad report JSON"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["schema"] == "hpar-report/1", r["schema"]
assert r["layout"]["ranks"] == 2 and r["layout"]["threads_per_rank"] == 2
assert r["work"]["items"] == 100
for phase in ("setup", "compute", "gather", "output", "total"):
    p = r["phases"][phase]
    assert p["min"] <= p["avg"] <= p["max"], phase
assert r["verification"]["status"] == "PASS"
assert r["command_line"][:3] == ["hpar", "run", "numbers"]
assert "OMPI_MCA_pml" not in r["environment"] and isinstance(r["environment"], dict)
assert r["build"]["compiler"] and r["build"]["git_revision"]
assert r["mpi"]["thread_level"] in ("funneled", "serialized", "multiple")
PY
}

case_report_text() {
  hpar_np 2 run numbers --range 1:100 --threads 1
  expect_rc 0
  for word in "layout       2 ranks x 1 threads" "hosts" "mpi          Open MPI" "setup" "compute" "gather" "total" "imbalance" "throughput" "inputs/s"; do
    expect_out "$word"
  done
}

case_empty_range_of_one() {
  hpar_np 4 run numbers --range 5:5 --no-report
  expect_rc 0
  [ "$OUT" = "5: 6 7 8 9 10" ] || fail "got: $OUT"
}

case_cyclic_distribution_keeps_input_order() {
  same_at_layouts numbers --range 1:20000 --steps 2 --distribution cyclic
  awk 'BEGIN { for (x = 1; x <= 20000; x++) printf "%d: %d %d\n", x, x + 1, x + 2 }' >expected.txt
  cmp -s layout_2x2.txt expected.txt || fail "cyclic output out of order"
}
