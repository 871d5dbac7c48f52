#!/usr/bin/env bash
# Runs one CLI test case: `run_case.sh FILE case_NAME`. The case runs in a fresh temporary
# directory with helpers below; it fails on the first failed check (set -e style, explicit).
set -u
script=$1
case_name=$2
: "${HPAR:?HPAR must name the hpar binary}" "${MPIEXEC:=mpiexec}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

fail() { echo "FAIL: $*" >&2; exit 1; }

# hpar_np N ARGS...: runs hpar under mpiexec with N ranks (quiet launcher, no binding).
# Sets OUT, ERR (file contents) and RC. When ranks exit non-zero, mpirun's clean-up waits
# odls_base_sigkill_timeout (1 s) before it returns; the ranks have already exited, so 0 here.
hpar_np() {
  local np=$1
  shift
  "$MPIEXEC" -q -n "$np" --oversubscribe --bind-to none --mca odls_base_sigkill_timeout 0 \
    "$HPAR" "$@" >out.txt 2>err.txt
  RC=$?
  OUT=$(cat out.txt)
  ERR=$(cat err.txt)
}

expect_rc() { [ "$RC" = "$1" ] || fail "exit code $RC, expected $1; stderr: $ERR; stdout: ${OUT:0:2000}"; }
expect_out() { grep -qF -- "$1" out.txt || fail "stdout lacks '$1'; stdout: ${OUT:0:2000}; stderr: $ERR"; }
expect_err() { grep -qF -- "$1" err.txt || fail "stderr lacks '$1'; stderr: $ERR"; }
# expect_usage_error TEXT: exit 2, exactly one 'hpar: error:' line containing TEXT, no output.
expect_usage_error() {
  expect_rc 2
  local n
  n=$(grep -c '^hpar: error:' err.txt)
  [ "$n" = 1 ] || fail "expected one 'hpar: error:' line, got $n: $ERR"
  grep '^hpar: error:' err.txt | grep -qF -- "$1" || fail "error line lacks '$1': $ERR"
  grep -q 'MPI_ABORT\|MPI_Abort' err.txt && fail "MPI abort noise: $ERR"
  return 0
}
# result_lines: stdout's 'result:' lines and job output, without the report.
result_lines() { sed '/^== hpar report/,$d' out.txt; }

# same_at_layouts ARGS...: `hpar run ARGS --no-report` at ranks x threads = 1x1 2x1 1x2 3x1
# 4x1 2x2 must exit 0 and print byte-identical stdout (results only, no report).
same_at_layouts() {
  local layout np t
  for layout in 1x1 2x1 1x2 3x1 4x1 2x2; do
    np=${layout%x*}
    t=${layout#*x}
    hpar_np "$np" run "$@" --threads "$t" --no-report
    expect_rc 0
    cp out.txt "layout_$layout.txt"
    [ -s "layout_$layout.txt" ] || fail "no output at layout $layout"
    cmp -s layout_1x1.txt "layout_$layout.txt" ||
      fail "output at $layout differs from 1x1: $(diff layout_1x1.txt "layout_$layout.txt" | head -5)"
  done
}

# shellcheck source=/dev/null
source "$script"
"$case_name"
status=$?
[ $status = 0 ] && echo "PASS: $case_name"
exit $status
