# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# CLI tests of the integrate job (sourced by run_case.sh; each case_NAME is one ctest).

case_same_result_at_all_layouts() {
  same_at_layouts integrate --function '4/(1+x^2)' --intervals 3000017
  expect_out "result: integral 3.1415926535898"
  hpar_np 2 run integrate --function '4/(1+x^2)' --intervals 3000017 --threads 2 \
    --schedule dynamic,1 --no-report
  expect_rc 0
  cmp -s out.txt layout_1x1.txt || fail "dynamic schedule differs: $OUT"
}

case_same_result_at_all_layouts_other_functions() {
  for f in sin exp; do  # x^2's bits are checked against awk below
    same_at_layouts integrate --function "$f" --from -1.25 --to 2.5 --intervals 1000003
  done
}

# The midpoint sums in awk (an independent implementation in another language), in the order
# the job documents: blocks of 65536 intervals summed in order, block sums folded in order.
awk_midpoint() {
  awk -v a="$2" -v b="$3" -v n="$4" -v f="$1" 'function g(x) {
      if (f == "sin") return sin(x); if (f == "exp") return exp(x)
      if (f == "x^2") return x * x; return 4 / (1 + x * x) }
    BEGIN { h = (b - a) / n; total = 0
      for (s = 0; s < n; s += 65536) { sum = 0
        for (i = s; i < s + 65536 && i < n; i++) sum += g(a + (i + 0.5) * h)
        total += sum }
      printf "result: integral %.17g\n", total * h }'
}

case_same_bits_as_awk() {
  for f in '4/(1+x^2)' sin exp 'x^2'; do
    hpar_np 2 run integrate --function "$f" --from -0.5 --to 2 --intervals 200003 --threads 2 --no-report
    expect_rc 0
    [ "$(head -1 out.txt)" = "$(awk_midpoint "$f" -0.5 2 200003)" ] ||
      fail "$f: $(head -1 out.txt) vs awk $(awk_midpoint "$f" -0.5 2 200003)"
    expect_out "result: $f over [-0.5, 2], 200003 intervals"
  done
}

case_report_and_verification() {
  hpar_np 2 run integrate --function sin --from 0 --to 3.141592653589793 --intervals 1e6
  expect_rc 0
  expect_out "intervals/s"
  expect_out "verification PASS (|integral - exact| = "
  expect_out "exact        2"
}

case_alias_and_config_file() {
  hpar_np 1 run integrate --function arctan-pi --intervals 1000 --no-report
  expect_rc 0
  cp out.txt alias.txt
  hpar_np 1 run integrate --function '4/(1+x^2)' --intervals 1000 --no-report
  [ "$(head -1 alias.txt)" = "$(head -1 out.txt)" ] || fail "alias differs: $(cat alias.txt)"
  hpar_np 2 run integrate --config "$SOURCE_DIR/jobs/integrate.ini" --intervals 1e6 --no-report
  expect_rc 0
  expect_out "result: sin over [0, 3.1415926535897931], 1000000 intervals"
}

case_empty_interval_is_zero() {
  hpar_np 2 run integrate --function x^2 --from 3 --to 3 --intervals 100
  expect_rc 0
  expect_out "result: integral 0"
  expect_out "verification PASS"
}

case_help_lists_functions_and_defaults() {
  hpar_np 1 help integrate
  expect_rc 0
  for text in "--function F (=4/(1+x^2))" "arctan-pi" "sin" "exp" "x^2" "--from A (=0)" \
    "--to B (=1)" "--intervals N (=1e8)"; do
    expect_out "$text"
  done
}

case_from_greater_than_to() {
  hpar_np 2 run integrate --from 2 --to 1
  expect_usage_error "--from 2 is greater than --to 1"
}

case_unknown_function() {
  hpar_np 3 run integrate --function tan
  expect_usage_error "unknown --function 'tan'"
}

case_bad_intervals() {
  hpar_np 2 run integrate --intervals 0
  expect_usage_error "--intervals must be between 1 and 2^52"
  hpar_np 2 run integrate --intervals -100
  expect_usage_error "bad value '-100' for --intervals"
}

case_garbage_limits() {
  hpar_np 2 run integrate --from one
  expect_usage_error "bad value 'one' for --from"
  hpar_np 2 run integrate --function exp --to 800
  expect_usage_error "overflows a double"
}
