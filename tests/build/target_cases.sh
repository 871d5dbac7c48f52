# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# The target a binary is built for (HPAR_ARCH) and its SIMD levels (sourced by
# tests/cli/run_case.sh; each case_NAME is one ctest, build.target.NAME). HPAR is this build's
# binary (built with HPAR_ARCH), HPAR_PORTABLE the portable build's (build/portable/hpar,
# `cmake --preset portable`); the cases that need it are skipped (exit 77) when it is missing,
# a failure with HPAR_REQUIRE_PORTABLE=1 (CI).

# shellcheck source=tests/lib/isa.sh
source "$SOURCE_DIR/tests/lib/isa.sh"
# shellcheck source=tests/lib/skip.sh
source "$SOURCE_DIR/tests/lib/skip.sh"

# cpu_level: this CPU's x86-64 level from the kernel's CPU flags (/proc/cpuinfo), the psABI's
# feature lists: the reference the binary's own CPUID reading is checked against.
cpu_level() {
  local flags level=x86-64 f
  flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
  has_all() {
    for f in "$@"; do [[ $flags == *" $f "* ]] || return 1; done
  }
  if has_all cx16 lahf_lm popcnt sse4_1 sse4_2 ssse3; then
    level=x86-64-v2
    # LZCNT is "abm" in the kernel's list, which some hypervisors leave out although the CPU
    # has it (this project's CI machines): GCC's own CPUID reading (-march=native) counts then.
    if has_all avx avx2 bmi1 bmi2 f16c fma movbe xsave &&
      { has_all abm || gcc -march=native -dM -E - </dev/null 2>/dev/null | grep -q '__LZCNT__ 1'; }; then
      level=x86-64-v3
      has_all avx512f avx512bw avx512cd avx512dq avx512vl && level=x86-64-v4
    fi
  fi
  echo "$level"
}

# need_portable: skips the case unless the portable build's binary exists.
need_portable() {
  [ -x "${HPAR_PORTABLE:-}" ] ||
    skip HPAR_REQUIRE_PORTABLE "no portable build at '${HPAR_PORTABLE:-}' (cmake --preset portable" \
      "&& cmake --build --preset portable --target hpar)"
}

# version_line BINARY: the "target:" line of BINARY --version.
version_line() {
  "$1" --version >version.txt 2>&1 || fail "$1 --version failed: $(cat version.txt)"
  grep '^target: ' version.txt || fail "no target line in --version: $(cat version.txt)"
}

case_version_and_report_name_the_target() {
  local line
  line=$(version_line "$HPAR")
  [[ $line == "target: $HPAR_ARCH ("* ]] || fail "--version does not name HPAR_ARCH=$HPAR_ARCH: $line"
  [[ $line == *", CPU $(cpu_level) ("* ]] || fail "CPU level is not $(cpu_level): $line"
  hpar_np 2 run pi --samples 1e6
  expect_rc 0
  expect_out "target       ${line#target: }"
  hpar_np 1 run pi --samples 1e6 --report-json rep.json --no-report
  python3 - rep.json "$HPAR_ARCH" "$(cpu_level)" <<'PY' || fail "report target: $(cat rep.json)"
import json, sys
t = json.load(open(sys.argv[1]))["target"]
assert t["arch"] == sys.argv[2], t
assert t["march"], t
assert t["cpu_simd"].startswith(sys.argv[3] + " ("), t
levels = ["x86-64 (", "x86-64-v2 (", "x86-64-v3 (", "x86-64-v4 ("]
rank = lambda s: max(i for i, p in enumerate(levels) if s.startswith(p))
assert rank(t["code_simd"]) <= rank(t["kernel_simd"]) <= rank(t["cpu_simd"]), t
PY
}

case_portable_code_is_baseline_but_its_clones() {
  need_portable
  isa_scan "$HPAR_PORTABLE" >scan.txt
  grep -v '^clone' scan.txt >beyond.txt
  [ ! -s beyond.txt ] || fail "portable code beyond x86-64: $(sort -u beyond.txt | head -20)"
  local level
  for level in v3 v4; do
    grep -q "^clone.*count_hits.*arch_x86_64_$level" scan.txt ||
      fail "no x86-64-$level clone of pi's kernel in the portable binary: $(grep '^clone' scan.txt)"
  done
}

case_isa_scan_sees_host_code() {
  # The scan can fail: in a build for a CPU beyond the baseline it finds what the compiler used.
  local line
  line=$(version_line "$HPAR")
  [[ $line == *"; SIMD x86-64 ("* ]] && skip HPAR_REQUIRE_HOST_SIMD "this build is for the baseline: $line"
  isa_scan "$HPAR" | grep -v '^clone' >beyond.txt
  [ -s beyond.txt ] || fail "no instruction beyond x86-64 found in a build with $line"
}

case_portable_kernels_take_the_cpu_level() {
  need_portable
  local line want=x86-64
  line=$(version_line "$HPAR_PORTABLE")
  [[ $line == "target: portable (x86-64); SIMD x86-64 (SSE2), "* ]] || fail "portable build: $line"
  case $(cpu_level) in x86-64-v3 | x86-64-v4) want=$(cpu_level) ;; esac
  [[ $line == *", kernels $want ("* ]] || fail "kernels should run $want here: $line"
}

case_native_and_portable_results_are_identical() {
  # Vectorisation and the host's instructions (FMA, AVX-512) must not change a result bit.
  # The first and last integrate runs are ones whose last digits change when the compiler may
  # contract a + (i + 0.5) * h into a fused multiply-add (-ffp-contract=fast, -march=native):
  # checked with a copy of the loop.
  need_portable
  [ "$HPAR" != "$HPAR_PORTABLE" ] || skip HPAR_REQUIRE_OTHER_BUILD "this is the portable build"
  local run
  local runs=("pi --samples 3000017 --seed 7" "pi --samples 2e7 --seed 18446744073709551615"
    "triad --size 100003 --repeat 3 --scalar 0.3" "triad --size 70001 --repeat 2"
    "integrate --intervals 1000003" "integrate --function sin --from -1 --to 2.5"
    "integrate --function exp --from -1 --to 2.5 --intervals 1000003")
  for run in "${runs[@]}"; do
    # shellcheck disable=SC2086 # each run is a word list
    hpar_np 2 run $run --threads 2 --no-report
    expect_rc 0
    mv out.txt this.txt
    # shellcheck disable=SC2086
    HPAR=$HPAR_PORTABLE hpar_np 2 run $run --threads 2 --no-report
    expect_rc 0
    cmp -s this.txt out.txt || fail "'$run': $HPAR_ARCH and portable differ: $(diff this.txt out.txt)"
  done
}
