# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# CLI tests of output files: "-" is standard output wherever a file is written; a FIFO is
# written into, never replaced; a link is followed and an existing file keeps its mode; no
# temporary file is left. (Devices such as /dev/null behave as the FIFO does; the tests do not
# write into the machine's own devices.)

case_dash_is_standard_output_everywhere() {
  hpar_np 2 run numbers --range 1:3 --output - --report-json - --no-report
  expect_rc 0
  expect_out "3: 4 5 6 7 8"
  expect_out '"schema": "hpar-report/1"'
  hpar_np 1 scale pi --mode strong --samples 1e4 --repeat 1 --ranks 1 --threads 1 --json s.json \
    --csv -
  expect_rc 0
  expect_out "schedule,ranks,threads,cores"
  command -v gnuplot >/dev/null || { echo "gnuplot not installed: plot -o - not checked"; return 0; }
  launch_reset
  "$MPIEXEC" -n 1 "${LAUNCH[@]}" "$HPAR" plot s.json -o - </dev/null >plot.png 2>err.txt ||
    fail "plot -o - failed: $(cat err.txt)"
  [ "$(head -c 8 plot.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
    fail "standard output is not a PNG image: $(head -c 40 plot.png | od -c | head -3)"
  grep -q "wrote - (" err.txt || fail "no note on stderr: $(cat err.txt)"
  expect_no_temporary_files
}

case_fifo_is_written_into_not_replaced() {
  mkfifo report.fifo
  cat report.fifo >report.txt &
  local reader=$!
  hpar_np 2 run pi --samples 1e5 --report-json report.fifo --no-report
  expect_rc 0
  wait "$reader"
  [ -p report.fifo ] || fail "the FIFO was replaced: $(ls -l report.fifo)"
  grep -q '"schema": "hpar-report/1"' report.txt || fail "no report through the FIFO"
  expect_no_temporary_files
}

case_link_followed_and_mode_kept() {
  echo old >target.json
  chmod 600 target.json
  ln -s target.json link.json
  hpar_np 2 run pi --samples 1e5 --report-json link.json --no-report
  expect_rc 0
  [ -L link.json ] || fail "the link was replaced"
  grep -q '"schema": "hpar-report/1"' target.json || fail "the target was not written"
  [ "$(stat -c %a target.json)" = 600 ] || fail "mode $(stat -c %a target.json), not 600"
  expect_no_temporary_files
}
