# shellcheck shell=bash disable=SC2034 # RC, ERR: read by run_case.sh helpers
# SPDX-License-Identifier: BSD-3-Clause
# CLI tests of `hpar slurm` (sourced by run_case.sh; each case_NAME is one ctest). No Slurm
# needed: the layout check reads --cores-per-node or a stand-in sinfo that prints a fixed
# topology; the printed script runs here with mpirun outside Slurm. The real submissions are
# in tests/slurm/.

layout=(--nodes 1 --ranks-per-node 2 --threads 1 --cores-per-node 2)

# no_stdout: a refused script prints nothing on stdout.
no_stdout() { [ ! -s out.txt ] || fail "stdout not empty: ${OUT:0:300}"; }

# hpar_direct ARGS...: hpar without mpiexec (a singleton), so that PATH stays as set here: an
# mpiexec called by its full path puts its own directory first on the ranks' PATH.
hpar_direct() { capture "$HPAR" "$@"; }

# fake_sinfo: a stand-in sinfo on PATH printing two 16-core nodes in the default partition
# "batch" and one 64-core node in "big"; it logs its arguments to sinfo.args.
fake_sinfo() {
  mkdir -p bin
  cat >bin/sinfo <<'EOF'
#!/bin/sh
echo "$*" >>"${0%/bin/sinfo}/sinfo.args"
case "$*" in
  *--partition=big*) echo "big1|4|16|big" ;;
  *) printf 'n1|2|8|batch*\nn2|2|8|batch*\nbig1|4|16|big\n' ;;
esac
EOF
  chmod +x bin/sinfo
  PATH=$PWD/bin:$PATH
}

case_layout_over_cores_refused() {
  hpar_np 1 slurm numbers --nodes 1 --ranks-per-node 2 --threads 4 --cores-per-node 4
  expect_usage_error "does not fit a node: 2 ranks x 4 threads = 8 cores per node, but a node has 4"
  no_stdout
}

case_layout_over_cores_refused_on_every_rank() {
  hpar_np 2 slurm numbers --nodes 3 --ranks-per-node 3 --threads 3 --cores-per-node 8
  expect_usage_error "9 cores per node, but a node has 8"
  no_stdout
}

case_layout_that_fills_a_node_accepted() {
  hpar_np 1 slurm numbers --nodes 4 --ranks-per-node 2 --threads 8 --cores-per-node 16 --time 2:00:00 --partition batch
  expect_rc 0
  expect_out "#SBATCH --nodes=4"
  expect_out "#SBATCH --ntasks-per-node=2"
  expect_out "#SBATCH --cpus-per-task=8"
  expect_out "#SBATCH --time=2:00:00"
  expect_out "#SBATCH --partition=batch"
  expect_out "#SBATCH --signal=B:TERM@60"
  expect_out "#SBATCH --job-name=hpar-numbers"
  head -1 out.txt | grep -qx '#!/bin/bash' || fail "no #!/bin/bash first line: $(head -1 out.txt)"
  bash -n out.txt || fail "the script is not valid bash"
}

case_cores_from_sinfo() {
  fake_sinfo
  hpar_direct slurm numbers --nodes 2 --ranks-per-node 4 --threads 4
  expect_rc 0
  expect_out "#SBATCH --cpus-per-task=4"
  hpar_direct slurm numbers --nodes 1 --ranks-per-node 4 --threads 5
  expect_usage_error "20 cores per node, but the nodes of the default partition have at most 16 (sinfo)"
  hpar_direct slurm numbers --nodes 3 --ranks-per-node 2 --threads 2
  expect_usage_error "needs 3 nodes with 4 cores, but the default partition has 2 (sinfo)"
  hpar_direct slurm numbers --nodes 1 --ranks-per-node 8 --threads 8 --partition big
  expect_rc 0
  grep -q -- "--partition=big" sinfo.args || fail "sinfo not asked about partition big: $(cat sinfo.args)"
  # --cores-per-node wins: sinfo is not asked
  : >sinfo.args
  hpar_direct slurm numbers --nodes 1 --ranks-per-node 4 --threads 5 --cores-per-node 20
  expect_rc 0
  [ ! -s sinfo.args ] || fail "sinfo asked although --cores-per-node was given"
}

case_no_slurm_no_cores_warns() {
  # An sinfo that cannot reach Slurm (the real one with a missing slurm.conf retries for a
  # minute, which hpar's 20 s limit on it would cut: 20 s of this test's time for nothing).
  mkdir -p bin
  printf '#!/bin/sh\necho "sinfo: error: Unable to contact slurm controller" >&2\nexit 1\n' >bin/sinfo
  chmod +x bin/sinfo
  PATH="$PWD/bin:$PATH" hpar_np 1 slurm numbers --nodes 1 --ranks-per-node 2 --threads 2
  expect_rc 0
  expect_err "hpar: warning: cannot ask sinfo"
  expect_out "#SBATCH --cpus-per-task=2"
}

case_job_options_checked_like_run() {
  hpar_np 1 slurm numbers "${layout[@]}" --range 1:x
  expect_usage_error "bad value 'x' for --range"
  no_stdout
  hpar_np 1 slurm numbers "${layout[@]}" --bogus 3
  expect_usage_error "unknown option '--bogus'"
  hpar_np 1 slurm numbers "${layout[@]}" stray
  expect_usage_error "unexpected word 'stray'"
  hpar_np 1 slurm numbers "${layout[@]}" --inputs 1 --range 1:3
  expect_usage_error "give only one of --inputs, --range and --input-file"
  hpar_np 1 slurm numbers "${layout[@]}" --schedule sideways
  expect_usage_error "sideways"
  hpar_np 1 slurm nosuchjob "${layout[@]}"
  expect_usage_error "unknown job 'nosuchjob'"
}

case_layout_options_checked() {
  hpar_np 1 slurm numbers --nodes 1 --ranks-per-node 2 --cores-per-node 2
  expect_usage_error "needs --threads"
  hpar_np 1 slurm numbers --nodes 0 --ranks-per-node 2 --threads 1
  expect_usage_error "--nodes must be between 1 and"
  hpar_np 1 slurm numbers "${layout[@]}" --time 1:75
  expect_usage_error "bad --time '1:75'"
  hpar_np 1 slurm numbers "${layout[@]}" --time soon
  expect_usage_error "bad --time 'soon'"
  hpar_np 1 slurm numbers "${layout[@]}" --time 99999999999999999999
  expect_usage_error "bad --time"
  hpar_np 1 slurm numbers "${layout[@]}" --partition 'a;b'
  expect_usage_error "bad --partition"
  hpar_np 1 slurm numbers "${layout[@]}" --launcher aprun
  expect_usage_error "--launcher must be srun or mpirun"
  hpar_np 1 slurm numbers "${layout[@]}" --report-json r.json
  expect_usage_error "HPAR_REPORT_DIR"
  printf 'threads = 4\n' >threads.ini
  hpar_np 1 slurm numbers "${layout[@]}" --config threads.ini
  expect_usage_error "not in --config"
  hpar_np 1 slurm numbers "${layout[@]}" --inputs "$(printf '1\nrm -rf x')"
  expect_usage_error "control character"
  hpar_np 1 slurm
  expect_usage_error "missing job name"
}

case_time_formats() {
  local t
  for t in 90 5:30 1:00:00 2-12 2-12:30 2-12:30:15; do
    hpar_np 1 slurm numbers "${layout[@]}" --time "$t"
    expect_rc 0
    expect_out "#SBATCH --time=$t"
  done
  # the early stop only with limits of 10 minutes and more (Slurm may send it a minute early)
  hpar_np 1 slurm numbers "${layout[@]}" --time 5
  grep -q -- '^#SBATCH --signal' out.txt && fail "--signal with a 5-minute limit: $OUT"
  hpar_np 1 slurm numbers "${layout[@]}" --time 10
  expect_out "#SBATCH --signal=B:TERM@60"
}

case_job_arguments_quoted() {
  printf '5\n7\n' >'my inputs.txt'
  hpar_np 1 slurm numbers "${layout[@]}" --input-file "my inputs.txt" --steps 2
  expect_rc 0
  expect_out "set -- numbers --input-file 'my inputs.txt' --steps 2"
  # the layout options are not passed on: --threads comes from Slurm's CPUs per task
  grep -q -- '^set -- .*--threads' out.txt && fail "--threads passed on: $OUT"
  grep -q -- '^set -- .*--nodes' out.txt && fail "--nodes passed on: $OUT"
  return 0
}

case_help() {
  hpar_np 1 slurm --help
  expect_rc 0
  expect_out "--ranks-per-node"
  expect_out "--cores-per-node"
  hpar_np 1 slurm numbers --help
  expect_rc 0
  expect_out "--range"
}

# The lines from the marker to the end are hybrid.sbatch's own (one logic for both scripts; the
# binary reads them from slurm/hybrid.sbatch when it is built).
case_body_same_as_hybrid_sbatch() {
  hpar_np 1 slurm numbers "${layout[@]}"
  expect_rc 0
  local marker='# ---- from here on the same'
  sed -n "/^$marker/,\$p" out.txt >printed_body.txt
  sed -n "/^$marker/,\$p" "$SOURCE_DIR/slurm/hybrid.sbatch" >hybrid_body.txt
  [ -s hybrid_body.txt ] || fail "no marker in slurm/hybrid.sbatch"
  cmp -s printed_body.txt hybrid_body.txt ||
    fail "printed script differs from hybrid.sbatch: $(diff printed_body.txt hybrid_body.txt | head -10)"
}

# The launch block has one source, slurm/lib/launch.bash: every batch script of slurm/ and the
# script `hpar slurm` prints carry it unchanged, and sync-launch.sh finds a copy that drifted
# (and mends it).
case_launch_block_has_one_source() {
  local sync=$SOURCE_DIR/slurm/lib/sync-launch.sh
  bash "$sync" --check 2>check.txt || fail "a script of slurm/ differs from launch.bash: $(cat check.txt)"
  hpar_np 1 slurm numbers "${layout[@]}"
  expect_rc 0
  bash "$sync" --check out.txt 2>check.txt || fail "hpar slurm's launch block differs: $(cat check.txt)"
  # shellcheck disable=SC2016 # the script's own text
  sed 's/kill -INT "$launcher_pid"/kill -TERM "$launcher_pid"/' "$SOURCE_DIR/slurm/scaling.sbatch" >drifted.sbatch
  cmp -s drifted.sbatch "$SOURCE_DIR/slurm/scaling.sbatch" && fail "the test's edit changed nothing"
  bash "$sync" --check drifted.sbatch 2>check.txt && fail "a drifted copy passed --check"
  grep -q "drifted.sbatch differs from slurm/lib/launch.bash" check.txt || fail "message: $(cat check.txt)"
  printf '#!/bin/bash\necho no block\n' >none.sbatch
  bash "$sync" --check none.sbatch 2>check.txt && fail "a script without the block passed --check"
  grep -q "none.sbatch has no launch block" check.txt || fail "message: $(cat check.txt)"
  bash "$sync" drifted.sbatch >/dev/null || fail "sync-launch.sh could not mend drifted.sbatch"
  cmp -s drifted.sbatch "$SOURCE_DIR/slurm/scaling.sbatch" ||
    fail "mended script differs: $(diff drifted.sbatch "$SOURCE_DIR/slurm/scaling.sbatch" | head -5)"
}

# The binding rules have one C++ source (src/launch/binding.cpp), which the script's
# "# Binding:" lines show; slurm/lib/launch.bash, which the script runs, must choose the same:
# its `launch` runs here with stand-ins for srun and mpirun that print the OpenMP environment
# they get, for a table of layouts (nodes x ranks per node x threads) and both launchers.
case_binding_same_as_launch_bash() {
  mkdir -p bin
  # shellcheck disable=SC2016 # the stand-in's own expansions
  local stub='#!/bin/sh\necho "OMP_NUM_THREADS=$OMP_NUM_THREADS OMP_PLACES=$OMP_PLACES OMP_PROC_BIND=$OMP_PROC_BIND"\n'
  # shellcheck disable=SC2059 # the stand-in's text is the format
  printf "$stub" >bin/srun
  cp bin/srun bin/mpirun
  chmod +x bin/srun bin/mpirun
  local layout nodes per_node threads l
  for layout in 1x1x1 1x2x3 2x4x2 16x64x1; do
    IFS=x read -r nodes per_node threads <<<"$layout"
    for l in srun mpirun; do
      hpar_direct slurm numbers --nodes "$nodes" --ranks-per-node "$per_node" --threads "$threads" \
        --cores-per-node 4096 --launcher "$l"
      expect_rc 0
      sed -n '/^# Binding: /{s/^# Binding: //;s/, ranks started by$//;p;n;s/^#   //;p;}' out.txt >cxx.txt
      # shellcheck disable=SC2016 # the inner script's own expansions
      env PATH="$PWD/bin:$PATH" launcher="$l" hpar=HPAR bash -c '. "$1" && shift && launch "$@"' \
        - "$SOURCE_DIR/slurm/lib/launch.bash" report.json $((nodes * per_node)) "$per_node" \
        "$threads" >launch.txt 2>&1
      { grep '^OMP_' launch.txt; sed -n 's/^command: \(.*\) HPAR$/\1/p' launch.txt; } >bash.txt
      [ "$(wc -l <cxx.txt)" = 2 ] || fail "$layout $l: no binding lines: $OUT"
      cmp -s cxx.txt bash.txt || fail "$layout $l: C++ and launch.bash differ: $(diff cxx.txt bash.txt)"
    done
  done
}

# The printed script outside Slurm (mpirun, one rank): runs the job, writes hpar-local.json.
case_printed_script_runs_without_slurm() {
  only_with_open_mpi "the script's mpirun launcher is Open MPI's"
  hpar_np 1 slurm numbers "${layout[@]}" --range 1:100000 --quiet
  expect_rc 0
  mv out.txt job.sbatch
  HPAR_LAUNCHER=mpirun bash job.sbatch >run.txt 2>&1
  RC=$?
  OUT=$(cat run.txt)
  expect_rc 0
  grep -q "verification PASS" run.txt || fail "no PASS: $OUT"
  grep -q '"complete": true' hpar-local.json || fail "report not complete: $(head -c 400 hpar-local.json)"
}

# SIGTERM to the script (what --signal=B:TERM@60 and scancel --batch do): the ranks stop,
# the report says incomplete, the script exits 4 and leaves no --output file.
case_printed_script_stops_on_sigterm() {
  only_with_open_mpi "the script's mpirun launcher is Open MPI's"
  hpar_np 1 slurm numbers "${layout[@]}" --range 1:200000000 --output numbers.txt
  expect_rc 0
  mv out.txt job.sbatch
  HPAR_LAUNCHER=mpirun bash job.sbatch >run.txt 2>&1 &
  local pid=$! ready=0 p
  # wait until hpar has installed its stop handlers (SigCgt has SIGTERM, bit 15)
  for _ in $(seq 1 200); do
    for p in $(pgrep -P "$(pgrep -P "$pid" mpirun)" 2>/dev/null); do
      grep -q '^SigCgt:.*[4567cdef][0-9a-f][0-9a-f][0-9a-f]$' "/proc/$p/status" 2>/dev/null && ready=1
    done
    [ $ready = 1 ] && break
    sleep 0.1
  done
  [ $ready = 1 ] || { kill -KILL "$pid"; fail "hpar did not start: $(cat run.txt)"; }
  sleep 0.5
  kill -TERM "$pid"
  wait "$pid"
  RC=$?
  OUT=$(cat run.txt)
  expect_rc 4
  grep -q "INCOMPLETE" run.txt || fail "no INCOMPLETE report: $OUT"
  grep -q '"complete": false' hpar-local.json || fail "report not incomplete: $(head -c 400 hpar-local.json)"
  [ ! -e numbers.txt ] || fail "partial --output file left"
  [ -z "$(find . -name '.*.hpar-*')" ] || fail "temporary file left: $(ls -A)"
}

# `hpar slurm farm ... -- COMMAND [ARG...]`: the words after "--" are the command's, whatever
# they look like (dashes, spaces, quotes), and reach the script's `set --` line intact; the
# lines from the marker on are slurm/farm.sbatch's, its launch block launch.bash's.
# shellcheck disable=SC2016 # the command's own $0 and $1
farm_command=(sh -c 'printf "%s|%s|%s\n" "$0" "$1" "$2"' -dash "--long=two words \"q\" it's")
case_farm_script_takes_the_command() {
  hpar_np 1 slurm farm "${layout[@]}" --time 10 --inputs a,b --retries 1 -- "${farm_command[@]}"
  expect_rc 0
  expect_out "#SBATCH --job-name=hpar-farm"
  expect_out "#SBATCH --cpus-per-task=1"
  expect_out "#SBATCH --output=hpar-farm-%j.out"
  bash -n out.txt || fail "the script is not valid bash"
  # The arguments the script sets, one per line, are the farm's options, -- and the command.
  grep '^set -- ' out.txt >set_line.sh || fail "no 'set --' line: $OUT"
  bash -c "$(cat set_line.sh)"'; printf "%s\n" "$@"' >args.txt
  printf '%s\n' --inputs a,b --retries 1 -- "${farm_command[@]}" >expected_args.txt
  cmp -s args.txt expected_args.txt || fail "arguments differ: $(diff expected_args.txt args.txt)"
  local marker='# ---- from here on the same'
  sed -n "/^$marker/,\$p" out.txt >printed_body.txt
  sed -n "/^$marker/,\$p" "$SOURCE_DIR/slurm/farm.sbatch" >farm_body.txt
  [ -s farm_body.txt ] || fail "no marker in slurm/farm.sbatch"
  cmp -s printed_body.txt farm_body.txt ||
    fail "printed script differs from farm.sbatch: $(diff printed_body.txt farm_body.txt | head -10)"
  bash "$SOURCE_DIR/slurm/lib/sync-launch.sh" --check out.txt 2>check.txt ||
    fail "the launch block differs: $(cat check.txt)"
  grep -q '^HPAR_CHECKPOINT=' out.txt && fail "a checkpoint without --checkpoint: $OUT"
  # --help before "--" is hpar's, after it the command's
  hpar_np 1 slurm farm --help
  expect_rc 0
  expect_out "--checkpoint DIR"
  expect_out "--input-file"
  hpar_np 1 slurm farm "${layout[@]}" --range 1:2 -- echo --help
  expect_rc 0
  expect_out "set -- --range 1:2 -- echo --help"
}

# The farm's options and command are checked as `hpar run farm` checks them: one error line,
# exit 2, nothing on stdout; the same for the script's own refusals.
# shellcheck disable=SC2016 # a placeholder, not an expansion
case_farm_script_options_checked_like_run() {
  local f=("${layout[@]}" --range 1:2)
  hpar_np 1 slurm farm "${f[@]}" --
  expect_usage_error "no command: give it after '--'"
  no_stdout
  hpar_np 1 slurm farm "${f[@]}"
  expect_usage_error "no command: give it after '--'"
  no_stdout
  hpar_np 1 slurm farm "${f[@]}" --retries x -- echo
  expect_usage_error "bad value 'x' for --retries"
  no_stdout
  hpar_np 1 slurm farm "${f[@]}" --bogus -- echo
  expect_usage_error "unknown option '--bogus'"
  hpar_np 1 slurm farm "${layout[@]}" -- echo
  expect_usage_error "no inputs: give --inputs"
  hpar_np 1 slurm farm "${f[@]}" -- /nonexistent/program
  expect_usage_error "program '/nonexistent/program' not found"
  hpar_np 1 slurm farm "${f[@]}" --task-threads 2 -- echo
  expect_usage_error "--threads 1 x --task-threads 2 is more than the 1 CPUs"
  hpar_np 1 slurm farm "${f[@]}" --chunk 0 -- echo
  expect_usage_error "--chunk must be 1 to 1024"
  hpar_np 1 slurm farm "${f[@]}" --command echo -- echo
  expect_usage_error "give --command or the words after '--', not both"
  hpar_np 1 slurm farm "${f[@]}" -- echo '{= $_ =}'
  expect_usage_error "{= perl expression =}"
  hpar_np 1 slurm farm --nodes 1 --ranks-per-node 2 --inputs 1 -- echo
  expect_usage_error "'hpar slurm farm' needs --threads"
  hpar_np 1 slurm farm "${f[@]}" --report-json r.json -- echo
  expect_usage_error "HPAR_REPORT_DIR"
  hpar_np 1 slurm farm "${f[@]}" --checkpoint ck --resume -- echo
  expect_usage_error "leave out --resume"
  hpar_np 1 slurm farm "${f[@]}" --checkpoint '' -- echo
  expect_usage_error "--checkpoint needs a directory"
  hpar_np 1 slurm farm "${f[@]}" --checkpoint ck --output ck/out.txt -- echo
  expect_usage_error "is inside the checkpoint directory 'ck'"
  hpar_np 1 slurm farm "${f[@]}" -- echo "$(printf 'a\nb')"
  expect_usage_error "control character"
  no_stdout
}

# --checkpoint DIR reaches the script (HPAR_CHECKPOINT, as slurm/farm.sbatch's knob): a first
# run records the tasks in DIR; a second run of the same script resumes it (--resume added),
# restores every task and prints the same output. Outside Slurm (mpirun, one rank).
case_farm_script_checkpoint_passed_on() {
  only_with_open_mpi "the script's mpirun launcher is Open MPI's"
  hpar_np 1 slurm farm "${layout[@]}" --range 1:6 --checkpoint 'my ck' --output farm.txt \
    -- "${farm_command[@]}"
  expect_rc 0
  expect_out "HPAR_CHECKPOINT='my ck'"
  mv out.txt job.sbatch
  local run
  for run in 1 2; do
    HPAR_LAUNCHER=mpirun bash job.sbatch >"run$run.txt" 2>&1
    RC=$?
    OUT=$(cat "run$run.txt")
    expect_rc 0
    expect_out "verification PASS (all 6 tasks exited 0)"
    [ -e "my ck/manifest.json" ] || fail "no checkpoint in 'my ck': $OUT"
    seq 1 6 | while IFS= read -r x; do "${farm_command[@]}" "$x"; done >expected.txt
    cmp -s farm.txt expected.txt || fail "run $run: output differs: $(diff expected.txt farm.txt)"
  done
  grep -q -- "--checkpoint 'my ck' --range" run1.txt || fail "no --checkpoint in run 1: $(cat run1.txt)"
  grep -q -- "--checkpoint 'my ck' --resume --range" run2.txt || fail "run 2 did not resume: $OUT"
  python3 -c "import json, sys
c = json.load(open('hpar-farm-local.json'))['checkpoint']
assert c['resumed'] and c['restored_blocks'] == 6 and c['computed_blocks'] == 0, c" ||
    fail "run 2 did not restore the 6 tasks: $(head -c 600 hpar-farm-local.json)"
}
