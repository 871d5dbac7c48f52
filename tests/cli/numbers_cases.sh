# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
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

# "--input-file -" and "/dev/stdin" read a pipe (mpirun gives standard input to rank 0 only:
# hpar shares it), at 1 and 2 ranks, with the same output as the same inputs in a file.
case_input_file_from_standard_input() {
  { echo '# inputs'; seq -3 7 5000; } >in.txt
  hpar_np 1 run numbers --input-file in.txt --no-report
  expect_rc 0
  local want=$OUT np name
  [ "$(wc -l <<<"$want")" = 715 ] || fail "the file run gave $(wc -l <<<"$want") lines"
  for np in 1 2; do
    for name in - /dev/stdin --input-file=-; do
      if [ "$name" = --input-file=- ]; then
        hpar_np "$np" run numbers "$name" --no-report < <(cat in.txt)
      else
        hpar_np "$np" run numbers --input-file "$name" --no-report < <(cat in.txt)
      fi
      expect_rc 0
      [ "$OUT" = "$want" ] || fail "np $np, $name: output differs from the file's: ${OUT:0:300}"
    done
  done
}

# "input-file = -" in a --config file reads standard input as on the command line, for run
# and scale (each point of a study reads the one copy).
case_input_file_from_standard_input_in_a_config_file() {
  { echo '# inputs'; seq -3 7 5000; } >in.txt
  printf 'input-file = -\n' >c.ini
  hpar_np 1 run numbers --input-file in.txt --no-report
  local want=$OUT
  hpar_np 2 run numbers --config c.ini --no-report < <(cat in.txt)
  expect_rc 0
  [ "$OUT" = "$want" ] || fail "output differs from the file's: ${OUT:0:300}"
  hpar_np 2 scale numbers --config c.ini --quiet --mode strong --ranks 1,2 --threads 1 \
    --repeat 1 < <(cat in.txt)
  expect_rc 0
  expect_out "results      identical at every point and run"
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
for phase in ("setup", "compute", "gather", "verify", "output", "total"):
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
  for word in "layout       2 ranks x 1 threads" "hosts" "mpi          $(mpi_library_name)" "setup" "compute" "gather" "total" "imbalance" "throughput" "inputs/s"; do
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

case_dynamic_distribution_keeps_input_order() {
  same_at_layouts numbers --range 1:20000 --steps 2 --distribution dynamic
  awk 'BEGIN { for (x = 1; x <= 20000; x++) printf "%d: %d %d\n", x, x + 1, x + 2 }' >expected.txt
  cmp -s layout_2x2.txt expected.txt || fail "dynamic output out of order"
}

# The first lines reach the reader while the run goes on: rank 0 emits every finished prefix
# of blocks at once instead of holding the output until the end.
case_output_streams_while_the_run_goes_on() {
  mkfifo pipe
  launch_plain
  "$MPIEXEC" -n 2 "${LAUNCH[@]}" "$HPAR" run numbers --range 1:50000000 --no-report --progress off >pipe 2>err.txt &
  local launcher=$! first alive
  {
    read -r first
    kill -0 "$launcher" 2>/dev/null && alive=yes
    echo "$first" >first.txt
    echo "${alive:-no}" >alive.txt
    # enough seen: stop the ranks (they stop cleanly, exit 4)
    # shellcheck disable=SC2046 # one word per process
    kill -TERM $(launched_ranks "$launcher")
    cat >/dev/null
  } <pipe
  wait "$launcher"
  [ "$(cat first.txt)" = "1: 2 3 4 5 6" ] || fail "first line: $(cat first.txt)"
  [ "$(cat alive.txt)" = yes ] || fail "the run had ended before its first line was read"
  # The signal found the blocks still being computed: the line was out before the compute
  # phase ended, not after a gather.
  grep -q "stopped early by a signal" err.txt || fail "not stopped mid-compute: $(cat err.txt)"
}

# --output by every rank in parallel (MPI-IO) is byte for byte the output through rank 0.
case_parallel_output_equals_streamed_output_at_every_layout() {
  hpar_np 1 run numbers --range -5000:250000 --no-report
  expect_rc 0
  cp out.txt expected.txt
  local layout np t
  for layout in 1x1 2x1 1x2 3x1 4x1; do
    np=${layout%x*}
    t=${layout#*x}
    for d in block dynamic; do
      hpar_np "$np" run numbers --range -5000:250000 --threads "$t" --distribution "$d" \
        --output "o_$layout.txt" --output-buffer 64Ki
      expect_rc 0
      [ "$np" = 1 ] || expect_out "(every rank, MPI-IO)"
      cmp -s "o_$layout.txt" expected.txt || fail "--output at $layout $d differs"
    done
  done
  [ -z "$(find . -name '.o_*')" ] || fail "temporary files left: $(find . -name '.o_*')"
}

# Rank 0's memory stays bounded whatever the output's size: blocks wait in a spill file past
# --output-buffer, through rank 0 (stdout) and in parallel (--output) alike.
case_rank0_memory_bounded_by_the_output_buffer() {
  if [ -n "${HPAR_SANITIZE:-}" ]; then # shadow memory and red zones inflate every RSS
    echo "SKIP: peak RSS means nothing in a build with -fsanitize=$HPAR_SANITIZE" >&2
    exit 77
  fi
  hpar_np 2 run numbers --range 1:6000000 --output big.txt --output-buffer 8Mi \
    --report-json r.json
  expect_rc 0
  [ "$(stat -c %s big.txt)" -gt 250000000 ] || fail "output smaller than expected"
  hpar_np 2 run numbers --range 1:2000000 --output-buffer 4Mi --report-json s.json
  expect_rc 0
  python3 - <<'PY' || fail "rank 0 held too much: $(grep -A3 '"memory"' r.json s.json)"
import json
for name, limit in (("r.json", 96), ("s.json", 96)):
    r = json.load(open(name))
    rss = r["memory"]["peak_rss_bytes"]
    assert rss[0] < limit * 2**20, (name, rss)
    assert r["ordered_output"]["rank0_peak_buffer_bytes"] <= 16 * 2**20, name
    assert r["ordered_output"]["spilled_bytes"] > 0, name
PY
  rm -f big.txt
}
