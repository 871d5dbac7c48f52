#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2317 # helpers for the sourced cases
# Runs one CLI test case: `run_case.sh FILE case_NAME`. The case runs in a fresh temporary
# directory with the checks of tests/lib/assert.sh and the helpers below; it fails on the first
# failed check (set -e style, explicit).
set -u
script=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
case_name=$2
: "${HPAR:?HPAR must name the hpar binary}" "${MPIEXEC:=mpiexec}"
lib=$(cd "$(dirname "$0")/../lib" && pwd)
# shellcheck source=tests/lib/assert.sh
source "$lib/assert.sh"
# shellcheck source=tests/lib/launch.sh
source "$lib/launch.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

# hpar_np N ARGS...: runs hpar under mpiexec with N ranks (quiet launcher, no binding: the
# flags of tests/lib/launch.sh's launch_plain). Sets OUT, ERR (file contents) and RC. (Open
# MPI: when ranks exit non-zero, mpirun's clean-up waits odls_base_sigkill_timeout (1 s)
# before it returns; the ranks have already exited, so the plain flags set it to 0.)
hpar_np() {
  local np=$1
  shift
  launch_plain
  capture "$MPIEXEC" -n "$np" "${LAUNCH[@]}" "$HPAR" "$@"
}

# expect_no_temporary_files: no file of the case's directory has "hpar-" in its name (hpar
# writes files through temporary names with it).
expect_no_temporary_files() {
  [ -z "$(find . -maxdepth 1 -name '*hpar-*')" ] || fail "temporary file left: $(ls -A)"
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

run_case "$script" "$case_name"
