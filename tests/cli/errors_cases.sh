# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# CLI tests of bad usage and failures: one clear error line, the same exit code on every rank,
# no hang (sourced by run_case.sh; each case_NAME is one ctest).

case_unknown_job() {
  hpar_np 2 run nosuchjob
  expect_usage_error "unknown job 'nosuchjob'"
  expect_err "hpar help"
}

case_unknown_command() {
  hpar_np 2 frobnicate
  expect_usage_error "unknown command 'frobnicate'"
}

case_unknown_option() {
  hpar_np 3 run numbers --bogus 1
  expect_usage_error "unknown option '--bogus'"
  expect_err "hpar help numbers"
}

case_bad_number() {
  hpar_np 2 run numbers --steps abc
  expect_usage_error "bad value 'abc' for --steps"
}

case_negative_number() {
  hpar_np 2 run numbers --steps -3
  expect_usage_error "bad value '-3' for --steps"
}

case_bad_threads() {
  hpar_np 2 run numbers --threads 0
  expect_usage_error "--threads must be between 1 and 4096"
}

case_bad_schedule() {
  hpar_np 2 run numbers --schedule dynamo
  expect_usage_error "bad --schedule 'dynamo'"
  hpar_np 1 run numbers --schedule dynamic,0
  expect_usage_error "the chunk must be a whole number >= 1"
}

case_bad_inputs() {
  hpar_np 2 run numbers --inputs 1,,3
  expect_usage_error "bad value '' for --inputs"
  hpar_np 2 run numbers --range 10:1
  expect_usage_error "STRIDE goes away from LAST"
  hpar_np 2 run numbers --range 1:2:3:4
  expect_usage_error "expected FIRST:LAST[:STRIDE]"
  hpar_np 1 run numbers --inputs 1 --range 1:2
  expect_usage_error "give only one of"
}

case_missing_file() {
  hpar_np 3 run numbers --input-file does-not-exist.txt
  expect_usage_error "cannot read --input-file 'does-not-exist.txt': No such file or directory"
}

case_malformed_file_names_line() {
  printf '1\n2\nthree\n' >bad.txt
  hpar_np 2 run numbers --input-file bad.txt
  expect_usage_error "bad.txt:3: 'three' is not a 64-bit integer"
}

case_missing_config() {
  hpar_np 2 run numbers --config nope.ini
  expect_usage_error "cannot read --config 'nope.ini': No such file or directory"
}

case_bad_config_option() {
  printf 'colour = blue\n' >bad.ini
  hpar_np 2 run numbers --config bad.ini
  expect_usage_error "colour"
}

case_failure_on_one_rank_is_named() {
  # MPMD launch: rank 1 alone gets a file it cannot read; every rank must stop, rank 0 names it.
  printf '1\n2\n' >good.txt
  launch_plain
  capture "$MPIEXEC" "${LAUNCH[@]}" -n 1 "$HPAR" run numbers --input-file good.txt : \
    -n 1 "$HPAR" run numbers --input-file missing.txt
  expect_usage_error "rank 1"
  expect_err "cannot read --input-file 'missing.txt'"
}

case_killed_rank_ends_job() {
  # A rank that dies mid-run (SIGKILL) must end the whole job quickly with a non-zero exit
  # and leave no result file.
  launch_plain
  "$MPIEXEC" -n 2 "${LAUNCH[@]}" "$HPAR" run numbers --range 1:4000000000 \
    --quiet --output res.txt >out.txt 2>err.txt &
  local launcher=$!
  local pid=""
  for _ in $(seq 100); do
    pid=$(pgrep -f "$HPAR run numbers --range 1:4000000000" | grep -v "^$launcher\$" | tail -1)
    [ -n "$pid" ] && break
    sleep 0.1
  done
  [ -n "$pid" ] || fail "no rank process found"
  sleep 0.5
  kill -9 "$pid"
  local start=$SECONDS
  wait "$launcher"
  RC=$?
  [ "$RC" != 0 ] || fail "job exited 0 after a rank was killed"
  [ $((SECONDS - start)) -le 10 ] || fail "job took $((SECONDS - start)) s to end"
  [ ! -e res.txt ] || fail "result file left behind"
}

case_help_list_version() {
  hpar_np 2 --help
  expect_rc 0
  expect_out "usage: mpirun -np RANKS hpar COMMAND"
  [ "$(grep -c 'usage:' out.txt)" = 1 ] || fail "help printed more than once"
  hpar_np 2 list
  expect_rc 0
  expect_out "numbers"
  hpar_np 1 help numbers
  expect_rc 0
  expect_out "--steps"
  expect_out "--threads"
  hpar_np 1 run numbers --help
  expect_rc 0
  expect_out "--report-json"
  hpar_np 1 --version
  expect_rc 0
  expect_out "hpar 0."
  expect_out "$(mpi_library_name)"
}

case_layout_warnings() {
  # Open MPI binds each rank to one core at np <= 2: two threads on one core is the trap.
  launch_reset
  launch_bind 1
  capture "$MPIEXEC" -n 1 "${LAUNCH[@]}" "$HPAR" run numbers --threads 2
  expect_rc 0
  expect_err "hpar: warning: rank 0"
  expect_err "--bind-to none"
  expect_err "--map-by slot:PE=2"
  # More ranks x threads than cores: the tutorial's warning.
  hpar_np 4 run numbers --threads 1
  expect_rc 0
  expect_err "more threads than cores"
  # A sound layout: no warning.
  hpar_np 1 run numbers --threads 1
  [ -z "$ERR" ] || fail "unexpected warning: $ERR"
  # OMP_PLACES/OMP_PROC_BIND pin the main thread to one place at start-up: the rank's CPUs are
  # still the union of its places, so a correct hybrid launch gives no warning.
  launch_reset
  launch_bind 2
  launch_env OMP_NUM_THREADS=2 OMP_PLACES=cores OMP_PROC_BIND=close
  capture "$MPIEXEC" -n 1 "${LAUNCH[@]}" "$HPAR" run numbers
  expect_rc 0
  [ -z "$ERR" ] || fail "unexpected warning with OMP_PLACES: $ERR"
}

case_bad_distribution() {
  hpar_np 2 run numbers --distribution random
  expect_usage_error "bad --distribution 'random'"
}

case_stray_words_refused_by_every_command() {
  hpar_np 2 affinity stray
  expect_usage_error "unexpected word 'stray'"
  hpar_np 1 run numbers --inputs 1 stray
  expect_usage_error "unexpected word 'stray'"
  hpar_np 1 scale numbers --mode strong stray
  expect_usage_error "unexpected word 'stray'"
  hpar_np 1 slurm numbers --nodes 1 --ranks-per-node 1 --threads 1 --cores-per-node 1 stray
  expect_usage_error "unexpected word 'stray'"
}
