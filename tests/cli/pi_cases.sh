# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# CLI tests of the pi job (sourced by run_case.sh; each case_NAME is one ctest).

case_same_result_at_all_layouts() {
  same_at_layouts pi --samples 9e6 --seed 7
  hpar_np 2 run pi --samples 9e6 --seed 7 --threads 2 --schedule guided --no-report
  expect_rc 0
  cmp -s out.txt layout_1x1.txt || fail "guided schedule differs: $OUT"
  expect_out "result: pi ~ 3.14"
  expect_out " hits of 9000000 samples, seed 7"
}

case_hits_match_python_splitmix64() {
  # Independent reference: splitmix64 stepped sequentially in Python; sample i takes output i
  # of the generator seeded with the seed's first output, x = high half, y = low half.
  hpar_np 2 run pi --samples 100000 --seed 5 --threads 2 --no-report
  expect_rc 0
  python3 - >expected.txt <<'PY'
M = (1 << 64) - 1
def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)
G = 0x9E3779B97F4A7C15
state = mix((5 + G) & M)
hits = 0
n = 100000
for _ in range(n):
    state = (state + G) & M
    r = mix(state)
    x, y = r >> 32, r & 0xFFFFFFFF
    hits += x * x + y * y < (1 << 64)
print("result: pi ~ %s" % repr(4.0 * hits / n))
print("result: %d hits of %d samples, seed 5" % (hits, n))
PY
  # Python's repr is the shortest round-trip form; compare the value, then the hits line exactly.
  python3 -c "import sys; a=open('out.txt').read().split('\n'); b=open('expected.txt').read().split('\n'); assert float(a[0].split()[-1]) == float(b[0].split()[-1]), (a[0], b[0]); assert a[1] == b[1], (a[1], b[1])" ||
    fail "differs from Python: $(cat out.txt) vs $(cat expected.txt)"
}

case_report_names_samples_per_second() {
  hpar_np 2 run pi --samples 2e6 --threads 1
  expect_rc 0
  expect_out "samples/s"
  expect_out "verification PASS (|estimate - pi| = "
  [ "$(head -1 out.txt | cut -c1-15)" = "result: pi ~ 3." ] || fail "result not first: $OUT"
}

case_config_file() {
  hpar_np 1 run pi --config "$SOURCE_DIR/jobs/pi.ini" --samples 1e6 --no-report
  expect_rc 0
  expect_out "hits of 1000000 samples, seed 42"
}

case_help_lists_options_with_defaults() {
  hpar_np 1 help pi
  expect_rc 0
  expect_out "--samples N (=1e8)"
  expect_out "--seed S (=42)"
}

case_bad_samples() {
  hpar_np 2 run pi --samples 0
  expect_usage_error "--samples must be at least 1"
  hpar_np 3 run pi --samples -5
  expect_usage_error "bad value '-5' for --samples"
}

case_bad_seed() {
  hpar_np 2 run pi --seed banana
  expect_usage_error "bad value 'banana' for --seed"
}
