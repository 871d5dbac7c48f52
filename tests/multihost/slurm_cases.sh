# shellcheck shell=bash disable=SC2034,SC2154 # here, work: the runner's; RC, OUT, ERR: the checks'
# SPDX-License-Identifier: BSD-3-Clause
# Multi-node Slurm on simulated hosts (sourced by run_multihost.sh; each case_NAME is one ctest
# multihost.slurm.NAME): slurmctld on the head, one slurmd per simulated host, each node with
# its own /tmp (tests/multihost/slurm-multi.sh). Batch jobs run on h1 and h2; their ranks talk
# TCP between the nodes.

# final_state, wait_job_end
# shellcheck source=tests/lib/slurm.sh
source "$here/../lib/slurm.sh"

# slurm_up N: N simulated hosts and a Slurm over them; stopped again when the case ends. The
# Slurm directory is always the same one, so that starting it also stops daemons that a killed
# earlier run left behind (slurm-multi.sh start stops what its directory's pid files name).
slurm_up() {
  cluster_up "$1"
  SLURM_DIR=${HPAR_MULTIHOST_SLURM_DIR:-/var/tmp/hpar-multihost-slurm}
  # shellcheck disable=SC2016
  CASE_CLEANUP='bash "$here/slurm-multi.sh" stop "$SLURM_DIR" >/dev/null 2>&1; rm -rf "$SLURM_DIR"'
  local rc
  bash "$here/slurm-multi.sh" start "$SLURM_DIR" >slurm.log 2>&1
  rc=$?
  if [ $rc = 77 ]; then
    cat slurm.log
    skip HPAR_REQUIRE_MULTIHOST "Slurm is not installed"
  fi
  [ $rc = 0 ] || fail "slurm-multi.sh start failed: $(cat slurm.log)"
  export SLURM_CONF=$SLURM_DIR/slurm.conf
  # Every node has its own /tmp: a build tree under /tmp (a CI clone, say) is invisible there,
  # so the nodes run a copy of the binary from the shared work directory.
  cp "$HPAR" "$work/hpar" || fail "cannot copy $HPAR to $work"
  HPAR=$work/hpar
}

# sbatch_wait ARGS...: submits from the shared work directory and waits (up to 120 s) for the
# end. Sets RC (the job's exit code), JOB (its id), OUT (its output file's contents, also in
# out.txt).
sbatch_wait() {
  sbatch --parsable --chdir="$work" -o "job-%j.out" "$@" >sbatch.txt 2>sbatch.err
  JOB=$(head -1 sbatch.txt)
  [ -n "$JOB" ] || fail "sbatch did not submit: $(cat sbatch.err)"
  wait_job_end "$JOB" 120
  local info
  info=$(scontrol -o show job "$JOB" 2>/dev/null)
  case $STATE in
    COMPLETED | FAILED) ;;
    *)
      timeout 10 scancel "$JOB" 2>/dev/null
      fail "job $JOB did not complete (state '$STATE', $(grep -o 'JobState=[A-Z_]*' <<<"$info")):" \
        "$(cat "job-$JOB.out" 2>/dev/null)"
      ;;
  esac
  RC=$(echo "$info" | grep -o ' ExitCode=[0-9]*' | cut -d= -f2)
  OUT=$(cat "job-$JOB.out" 2>/dev/null)
  ERR=$(cat sbatch.err)
  cp "job-$JOB.out" out.txt 2>/dev/null
}

# The results of a one-rank run on this machine, for comparison: result lines only.
reference() {
  hpar_local 1 run "$@" --threads 1 --no-report
  expect_rc 0
  mv out.txt reference.txt
}

# check_report FILE HOSTS_JSON: the JSON report places ranks as HOSTS_JSON ({"h1": [0, 1], ...}),
# verified PASS, recorded the Slurm allocation (2 nodes), no layout warnings.
check_report() {
  python3 - "$1" "$2" <<'PY' || fail "report $1 is wrong: $(cat "job-$JOB.out")"
import json, sys
r = json.load(open(sys.argv[1]))
hosts = {h["host"]: h["ranks"] for h in r["layout"]["hosts"]}
want = {k: v for k, v in json.loads(sys.argv[2]).items()}
assert hosts == want, (hosts, want)
for p in r["layout"]["rank_placement"]:
    assert p["rank"] in want[p["host"]], p
assert r["verification"]["status"] == "PASS", r["verification"]
assert r["environment"].get("SLURM_JOB_NUM_NODES") == "2", r["environment"]
assert r["warnings"] == [], r["warnings"]
PY
}

# hybrid.sbatch with its default launcher, srun --mpi=pmix: 2 nodes x 2 ranks.
case_hybrid_sbatch_srun_pmix_two_nodes() {
  slurm_up 2
  reference numbers --range 1:40000 --steps 4
  HPAR=$HPAR sbatch_wait --nodes=2 --ntasks-per-node=2 --cpus-per-task=1 \
    "$SOURCE_DIR/slurm/hybrid.sbatch" numbers --range 1:40000 --steps 4
  expect_rc 0
  expect_out "launcher srun"
  expect_out "srun --mpi=pmix"
  expect_out "hosts        h1 (2 ranks), h2 (2 ranks)"
  sed -n '/^command: /,/^== hpar report/p' out.txt | sed '1d;$d' | grep -v '^hpar: warning' >results.txt
  cmp -s reference.txt results.txt || fail "results differ from one rank: $(diff reference.txt results.txt | head -5)"
  check_report "hpar-$JOB.json" '{"h1": [0, 1], "h2": [2, 3]}'
}

# hybrid.sbatch with Open MPI's mpirun inside the allocation (it launches its daemons through
# Slurm and binds PE=T cores per rank on each node): 2 nodes x 2 ranks.
case_hybrid_sbatch_mpirun_two_nodes() {
  slurm_up 2
  reference pi --samples 5000000
  HPAR=$HPAR HPAR_LAUNCHER=mpirun sbatch_wait --nodes=2 --ntasks-per-node=2 --cpus-per-task=1 \
    "$SOURCE_DIR/slurm/hybrid.sbatch" pi --samples 5000000
  expect_rc 0
  expect_out "launcher mpirun"
  expect_out "hosts        h1 (2 ranks), h2 (2 ranks)"
  grep '^result:' out.txt | cmp -s reference.txt - ||
    fail "results differ from one rank: $(grep '^result:' out.txt)"
  check_report "hpar-$JOB.json" '{"h1": [0, 1], "h2": [2, 3]}'
}

# Hybrid over nodes with srun --mpi=pmix directly: one rank per node, two threads each (srun
# --quiet: under load the second step may wait for the first one's CPUs, and srun's note of it
# must not land in the job's output); each
# node has its own /tmp (PMIx puts its per-node directories there).
case_srun_pmix_hybrid_one_rank_per_node() {
  slurm_up 2
  reference integrate --intervals 2000000
  cat >job.sh <<EOF
#!/bin/bash
srun --quiet --mpi=pmix --cpus-per-task=2 bash -c 'echo "\$(hostname) tmp=\$(stat -c %i /tmp)"' | sort >nodes.txt
OMP_NUM_THREADS=2 srun --quiet --mpi=pmix --cpus-per-task=2 "$HPAR" run integrate --intervals 2000000 \
  --no-report --report-json rep.json
EOF
  sbatch_wait --nodes=2 --ntasks-per-node=1 --cpus-per-task=2 job.sh
  expect_rc 0
  cmp -s reference.txt out.txt || fail "results differ from one rank: $(diff reference.txt out.txt | head -5)"
  [ "$(cut -d' ' -f1 nodes.txt | tr '\n' ' ')" = "h1 h2 " ] || fail "tasks ran on: $(cat nodes.txt)"
  [ "$(cut -d' ' -f2 nodes.txt | sort -u | wc -l)" = 2 ] || fail "the nodes share /tmp: $(cat nodes.txt)"
  python3 - rep.json <<'PY' || fail "report wrong"
import json, sys
r = json.load(open(sys.argv[1]))
assert {h["host"]: h["ranks"] for h in r["layout"]["hosts"]} == {"h1": [0], "h2": [1]}, r["layout"]
assert r["layout"]["threads_per_rank"] == 2
PY
}

# A script from `hpar slurm --nodes 2` (the layout checked against the nodes sinfo reports)
# runs on both nodes.
case_hpar_slurm_script_two_nodes() {
  slurm_up 2
  "$HPAR" help | grep -q '^  slurm ' || fail "this hpar has no 'slurm' command"
  reference primes --limit 2000000
  "$HPAR" slurm primes --nodes 2 --ranks-per-node 2 --threads 1 --limit 2000000 >job.sbatch 2>slurm.err ||
    fail "hpar slurm failed: $(cat slurm.err)"
  grep -q '^#SBATCH --nodes=2$' job.sbatch || fail "no --nodes=2 line: $(head -12 job.sbatch)"
  # More ranks x threads than a node's cores is refused (the simulated nodes have this
  # machine's CPUs).
  local cpus
  cpus=$(sinfo -h -N -o '%c' | head -1)
  "$HPAR" slurm primes --nodes 2 --ranks-per-node $((cpus + 1)) --threads 1 >/dev/null 2>bad.err &&
    fail "hpar slurm accepted $((cpus + 1)) ranks on $cpus-CPU nodes"
  HPAR=$HPAR sbatch_wait job.sbatch
  expect_rc 0
  expect_out "hosts        h1 (2 ranks), h2 (2 ranks)"
  grep '^result:' out.txt | cmp -s reference.txt - || fail "results differ from one rank: $(grep '^result:' out.txt)"
  check_report "hpar-$JOB.json" '{"h1": [0, 1], "h2": [2, 3]}'
}
