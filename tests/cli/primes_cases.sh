# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# CLI tests of the primes job (sourced by run_case.sh; each case_NAME is one ctest).

case_same_count_at_all_layouts() {
  same_at_layouts primes --limit 3000017
  expect_out "result: 216817 primes <= 3000017"
  # threads taking segments out of order restart the sieve by division: same count
  hpar_np 2 run primes --limit 3000017 --threads 2 --schedule dynamic,1 --no-report
  expect_rc 0
  cmp -s out.txt layout_1x1.txt || fail "dynamic schedule differs: $OUT"
}

case_same_list_at_all_layouts() {
  same_at_layouts primes --limit 1100000 --list
  [ "$(wc -l <out.txt)" = 85715 ] || fail "expected 1 + 85714 lines, got $(wc -l <out.txt)"
}

case_list_matches_factor() {
  # Independent reference: coreutils' factor; a prime is a number with one factor.
  hpar_np 2 run primes --limit 30000 --list --threads 2 --no-report
  expect_rc 0
  # The list streams while the blocks finish; the count follows it.
  { seq 2 30000 | factor | awk 'NF == 2 { print $2 }'; echo "result: 3245 primes <= 30000"; } >expected.txt
  cmp -s out.txt expected.txt || fail "differs from factor: $(diff out.txt expected.txt | head -5)"
}

case_list_then_result_then_report() {
  hpar_np 2 run primes --limit 10 --list
  expect_rc 0
  [ "$(sed -n 1,5p out.txt)" = "$(printf '2\n3\n5\n7\nresult: 4 primes <= 10')" ] || fail "got: $OUT"
  sed -n 6p out.txt | grep -q '^== hpar report: primes ==' || fail "report not after the list: $OUT"
}

case_known_count() {
  hpar_np 2 run primes --limit 1e8 --threads 1
  expect_rc 0
  expect_out "result: 5761455 primes <= 100000000"
  expect_out "verification PASS (5761455 == published pi(100000000) 5761455)"
  expect_out "numbers/s"
}

case_other_limit_checked_by_lucy() {
  hpar_np 2 run primes --limit 12345678
  expect_rc 0
  expect_out "result: 809227 primes <= 12345678"
  expect_out "== Lucy_Hedgehog count 809227"
}

case_small_limits() {
  for n in 0 1 2 3; do
    hpar_np 3 run primes --limit $n --list --no-report
    expect_rc 0
    { seq 2 $n; echo "result: $(seq 2 $n | wc -l) primes <= $n"; } >expected.txt
    cmp -s out.txt expected.txt || fail "limit $n: $OUT"
  done
}

case_config_file() {
  hpar_np 2 run primes --config "$SOURCE_DIR/jobs/primes.ini" --limit 1e6 --no-report
  expect_rc 0
  [ "$OUT" = "result: 78498 primes <= 1000000" ] || fail "got: $OUT"
}

case_help_lists_options_with_defaults() {
  hpar_np 1 help primes
  expect_rc 0
  expect_out "--limit N (=1e8)"
  expect_out "--list"
}

case_bad_limit() {
  hpar_np 2 run primes --limit -5
  expect_usage_error "bad value '-5' for --limit"
  hpar_np 3 run primes --limit 1e15
  expect_usage_error "--limit must be at most 10^14"
}

case_list_too_long() {
  hpar_np 2 run primes --limit 2e9 --list
  expect_usage_error "--list prints the primes only up to --limit 10^9"
}
