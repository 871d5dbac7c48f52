# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# The example projects (examples/), built against an installed and moved hpar by the install
# fixture (setup_cases.sh), run as a user runs them: the same bits at every layout, their
# answers against independent references, hpar's commands, options and errors.
# Environment: HPAR_INSTALL_TEST_DIR (the fixture's directory).

integral=$HPAR_INSTALL_TEST_DIR/build-integral/integral
tutorial=$HPAR_INSTALL_TEST_DIR/build-tutorial/tutorial
collatz=$HPAR_INSTALL_TEST_DIR/build-collatz/collatz

# expect_one_error TEXT: exactly one 'NAME: error:' line (NAME: $PROGRAM_NAME, the program's
# own name), containing TEXT; no MPI abort.
expect_one_error() {
  local n name=$PROGRAM_NAME
  n=$(grep -c "^$name: error:" <<<"$ERR")
  [ "$n" = 1 ] || fail "expected one '$name: error:' line, got $n: $ERR"
  grep "^$name: error:" <<<"$ERR" | grep -qF -- "$1" || fail "error line lacks '$1': $ERR"
  if grep -q 'MPI_ABORT\|MPI_Abort' <<<"$ERR"; then fail "MPI abort noise: $ERR"; fi
}

case_integral_same_bits_at_every_layout() {
  HPAR=$integral same_at_layouts integral --intervals 3000017 --from -1 --to 2
  expect_out "result: integral 7.57"
  # The job checks itself against the closed form 4 (atan 2 - atan -1); here against awk's
  # value of it too, to 12 digits.
  local exact
  exact=$(awk 'BEGIN { printf "%.12f", 4 * (atan2(2, 1) - atan2(-1, 1)) }')
  awk -v e="$exact" '/^result: integral/ { if (sprintf("%.12f", $3) != e) exit 1; found = 1 }
                     END { exit !found }' layout_1x1.txt || fail "integral is not $exact: $OUT"
  HPAR=$integral hpar_np 2 run integral --intervals 3000017 --from -1 --to 2 --threads 1
  expect_rc 0
  expect_out "verification PASS"
  expect_out "3000017 of 3000017 intervals"
}

case_tutorial_same_bits_and_the_tutorials_lines() {
  seq -50 3 20000 >inputs.txt
  printf '# a comment\n\n9223372036854775802\n-9223372036854775808\n' >>inputs.txt
  HPAR=$tutorial same_at_layouts tutorial --input-file inputs.txt --steps 5
  # The reference: awk's lines for the plain numbers, the last two by hand (beyond awk's doubles).
  { seq -50 3 20000 | awk '{ printf "%d:", $1; for (k = 1; k <= 5; k++) printf " %d", $1 + k; print "" }'
    echo "9223372036854775802: 9223372036854775803 9223372036854775804 9223372036854775805 9223372036854775806 9223372036854775807"
    echo "-9223372036854775808: -9223372036854775807 -9223372036854775806 -9223372036854775805 -9223372036854775804 -9223372036854775803"
  } >expected.txt
  grep -v '^result: ' layout_1x1.txt >lines.txt
  cmp -s expected.txt lines.txt || fail "lines differ: $(diff expected.txt lines.txt | head -5)"
  HPAR=$tutorial hpar_np 2 run tutorial --input-file inputs.txt --threads 1 --output lines.bin
  expect_rc 0
  expect_out "verification PASS"
  cmp -s expected.txt lines.bin || fail "--output differs from the reference"
}

case_example_commands_are_hpars() {
  HPAR=$integral hpar_np 1 list
  expect_rc 0
  [ "$OUT" = "$(printf 'integral    midpoint rule for the integral of 4/(1+x^2) over [a, b]')" ] ||
    fail "list: $OUT"
  HPAR=$integral hpar_np 1 help integral
  expect_rc 0
  expect_out "--intervals N (=1e8)"
  expect_out "--tolerance X"
  HPAR=$integral hpar_np 1 --version
  expect_rc 0
  [[ "$OUT" == "integral 1.0 (hpar 0."* ]] || fail "--version: $OUT"
  HPAR=$integral hpar_np 2 scale integral --mode weak --ranks 1,2 --threads 1 --repeat 1 \
    --intervals 100000
  expect_rc 0
  expect_out "weak scaling"
  HPAR=$integral hpar_np 1 slurm integral --nodes 2 --ranks-per-node 2 --threads 1 \
    --cores-per-node 4 --intervals 1e9
  expect_rc 0
  expect_out "hpar=\${HPAR:-$integral}"
  expect_out "set -- integral --intervals 1e9"
}

case_example_bad_options_are_usage_errors() {
  HPAR=$integral hpar_np 2 run integral --intervals lots
  PROGRAM_NAME=integral expect_usage_error "bad value 'lots' for --intervals"
  HPAR=$integral hpar_np 2 run integral --intervals 0
  PROGRAM_NAME=integral expect_usage_error "--intervals must be between 1 and 2^52"
  HPAR=$integral hpar_np 2 run integral --from 2 --to 1
  PROGRAM_NAME=integral expect_usage_error "--from must not be greater than --to"
  HPAR=$integral hpar_np 2 run integral --nope 1
  PROGRAM_NAME=integral expect_usage_error "nope"
  HPAR=$integral hpar_np 2 run pi
  PROGRAM_NAME=integral expect_usage_error "unknown job 'pi'"
  HPAR=$tutorial hpar_np 2 run tutorial
  PROGRAM_NAME=tutorial expect_usage_error "missing --input-file"
  HPAR=$tutorial hpar_np 2 run tutorial --input-file absent.txt
  PROGRAM_NAME=tutorial expect_usage_error "cannot read input file 'absent.txt'"
  printf '1\nabc\n' >bad.txt
  HPAR=$tutorial hpar_np 2 run tutorial --input-file bad.txt
  PROGRAM_NAME=tutorial expect_usage_error "bad.txt:2: 'abc' is not a 64-bit integer"
  printf '1\n' >one.txt
  printf 'input-file = one.txt\nsteps = many\n' >bad.ini
  HPAR=$tutorial hpar_np 2 run tutorial --config bad.ini
  PROGRAM_NAME=tutorial expect_usage_error "bad value 'many' for --steps"
  HPAR=$tutorial hpar_np 2 run tutorial --input-file one.txt --steps 1001
  PROGRAM_NAME=tutorial expect_usage_error "--steps must be at most 1000"
}

case_example_failed_check_exits_3() {
  HPAR=$integral hpar_np 2 run integral --intervals 10 --tolerance 1e-300 --threads 1
  expect_rc 3
  expect_out "verification FAIL"
  PROGRAM_NAME=integral expect_one_error "verification failed: |integral - exact| ="
}

case_example_throwing_lambda_exits_1_on_every_rank() {
  printf '1\n2\n9223372036854775805\n' >inputs.txt
  launch_plain # the MPI's own flags (Open MPI's --oversubscribe is not Hydra's)
  capture timeout 60 "$MPIEXEC" -n 2 "${LAUNCH[@]}" \
    "$tutorial" run tutorial --input-file inputs.txt --threads 2 --output lines.txt
  expect_rc 1
  PROGRAM_NAME=tutorial expect_one_error "x + k overflows"
  [ ! -e lines.txt ] || fail "a partial --output file was left"
  expect_no_temporary_files
}

case_example_builds_with_pkg_config() {
  local prefix=$HPAR_INSTALL_TEST_DIR/prefix
  command -v pkg-config >/dev/null || fail "pkg-config is not installed"
  # shellcheck disable=SC2046 # pkg-config's flags are words
  capture c++ -O2 -o tutorial-pc "$prefix/share/hpar/examples/tutorial/tutorial.cpp" \
    $(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs hpar)
  expect_rc 0
  printf '4\n5\n' >inputs.txt
  HPAR=./tutorial-pc hpar_np 2 run tutorial --input-file inputs.txt --no-report
  expect_rc 0
  [ "$OUT" = "$(printf '4: 5 6 7 8 9\n5: 6 7 8 9 10\nresult: 75')" ] || fail "output: $OUT"
}

case_full_job_interface_beside_the_builtin_jobs() {
  HPAR=$collatz same_at_layouts collatz --limit 1e6
  [ "$(cat layout_1x1.txt)" = "result: start 837799, 524 steps" ] || fail "collatz: $OUT"
  HPAR=$collatz hpar_np 2 run collatz --limit 100000 --threads 1 --distribution dynamic
  expect_rc 0
  expect_out "verification PASS"
  HPAR=$collatz hpar_np 1 list
  expect_rc 0
  [ "$(awk '{ print $1 }' out.txt | tr '\n' ' ')" = "numbers pi integrate primes wordcount mandelbrot triad farm collatz " ] ||
    fail "list: $OUT"
  HPAR=$collatz hpar_np 2 run pi --samples 1e6 --no-report --threads 1
  expect_rc 0
  expect_out "result: pi"
  HPAR=$collatz hpar_np 2 run collatz --limit 1
  PROGRAM_NAME=collatz expect_usage_error "--limit must be at least 2"
}

case_example_is_itself_in_usage_hints_and_errors() {
  HPAR=$integral hpar_np 1 help
  expect_rc 0
  expect_out "integral 1.0: built on hpar"
  expect_out "usage: mpirun -np RANKS integral COMMAND"
  expect_out "Run 'integral help JOB' for a job's options."
  if grep -q "farm\|'hpar \| hpar COMMAND" <<<"$OUT"; then fail "help names hpar or farm: $OUT"; fi
  HPAR=$integral hpar_np 1 scale --help
  expect_rc 0
  expect_out "integral scale JOB --mode"
  HPAR=$integral hpar_np 1 run integral --help
  expect_out "integral run integral [options]"
  # No built-in farm in a program that does not register it.
  HPAR=$integral hpar_np 2 farm -- echo hi
  expect_rc 2
  [ "$ERR" = "$(printf "integral: error: unknown command 'farm'\nintegral: try 'integral help' for usage")" ] ||
    fail "farm: $ERR"
  HPAR=$integral hpar_np 2 run pi
  expect_rc 2
  [ "$ERR" = "$(printf "integral: error: unknown job 'pi' (see 'integral list')\nintegral: try 'integral help' for usage")" ] ||
    fail "unknown job: $ERR"
  HPAR=$integral hpar_np 2 run integral --intervals lots
  expect_rc 2
  grep -q "^integral: try 'integral help integral' for the job's options$" <<<"$ERR" ||
    fail "hint: $ERR"
  # A program that gives no version shows hpar's beside its name; one holding the built-in
  # jobs has the farm command.
  HPAR=$tutorial hpar_np 1 --version
  [[ "$OUT" == "tutorial (hpar 0."* ]] || fail "--version: $OUT"
  HPAR=$collatz hpar_np 1 help
  expect_out "farm [opts] -- COMMAND"
  expect_out "usage: mpirun -np RANKS collatz COMMAND"
}

case_example_verify_is_a_phase_of_its_own() {
  HPAR=$integral hpar_np 2 run integral --intervals 100000 --threads 1 --report-json r.json
  expect_rc 0
  expect_out "  verify "
  python3 - r.json <<'PY' || fail "report: $(cat r.json)"
import json, sys
r = json.load(open(sys.argv[1]))
p = r["phases"]
assert p["verify"]["min"] <= p["verify"]["avg"] <= p["verify"]["max"], p
assert r["command_line"][:2] == ["integral", "run"], r["command_line"]
PY
}
