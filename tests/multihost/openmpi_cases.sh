# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Multi-host tests with Open MPI over TCP on simulated hosts (sourced by run_multihost.sh; each
# case_NAME is one ctest multihost.openmpi.NAME). Ranks on different hosts share no memory
# transport: everything they exchange (the gather of results, the reduction of timings, the
# error agreement) crosses the bridge over TCP.

# Small arguments for every job: the same bits on one rank must come from four ranks on two
# hosts. A job that `hpar list` shows must have a line here (case_every_job_is_covered).
job_args() {
  case $1 in
    numbers) echo "--range -500:60000:3 --steps 3" ;;
    pi) echo "--samples 6000000 --seed 7" ;;
    integrate) echo "--function 4/(1+x^2) --intervals 1000000" ;;
    primes) echo "--limit 3000000 --list" ;;
    mandelbrot) echo "--width 160 --height 120 --max-iter 300 --image m.png" ;;
    triad) echo "--size 300000 --repeat 3" ;;
    wordcount) echo "--input-file words.txt --block-bytes 4096 --top 8" ;;
    farm) echo "--range 1:300 --command seq 3" ;; # seq 3 x: from nothing to 298 lines a task
    *) return 1 ;;
  esac
}

# Inputs some jobs read: a text of ~120 KB with a skewed word distribution.
make_inputs() {
  [ -f words.txt ] && return 0
  awk 'BEGIN { srand(11); for (i = 0; i < 20000; i++) {
         w = int(200 * rand() * rand()); printf "w%d%s", w, (i % 13 == 12 ? "\n" : " ") } }' \
    >words.txt
}

# same_bits JOB: `--no-report` stdout (and files the job writes) at 1 rank x 1 thread on this
# machine equal those at 2 hosts x 2 ranks x 2 threads.
same_bits() {
  local job=$1 args
  job_exists "$job" || fail "job '$job' is not in 'hpar list'"
  args=$(job_args "$job") || fail "no arguments for job '$job' in job_args"
  make_inputs
  # shellcheck disable=SC2086
  hpar_local 1 run "$job" $args --threads 1 --no-report
  expect_rc 0
  [ -s out.txt ] || fail "$job printed nothing on one rank"
  mv out.txt one_rank.txt
  [ -f m.png ] && mv m.png one_rank.png
  cluster_up 2
  # shellcheck disable=SC2086
  OMP_NUM_THREADS=2 hpar_hosts 4 run "$job" $args --no-report --report-json rep.json
  expect_rc 0
  python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
hosts = {h["host"]: h["ranks"] for h in r["layout"]["hosts"]}
assert hosts == {"h1": [0, 1], "h2": [2, 3]} and r["layout"]["threads_per_rank"] == 2, r["layout"]' \
    rep.json || fail "$job did not run as 2 hosts x 2 ranks x 2 threads"
  cmp -s one_rank.txt out.txt ||
    fail "$job: 2 hosts x 2 ranks x 2 threads differ from 1 rank: $(diff one_rank.txt out.txt | head -5)"
  if [ -f one_rank.png ]; then
    cmp -s one_rank.png m.png || fail "$job: image differs between 1 rank and 2 hosts"
  fi
  echo "$job: $(wc -c <out.txt) bytes of results identical on 1 rank and on 2 hosts x 2 ranks"
}

case_same_bits_numbers() { same_bits numbers; }
case_same_bits_pi() { same_bits pi; }
case_same_bits_integrate() { same_bits integrate; }
case_same_bits_primes() { same_bits primes; }
case_same_bits_mandelbrot() { same_bits mandelbrot; }
case_same_bits_triad() { same_bits triad; }
case_same_bits_wordcount() { same_bits wordcount; }
case_same_bits_farm() { same_bits farm; }

case_every_job_is_covered() {
  local job missing=""
  for job in $("$HPAR" list | awk '{print $1}'); do
    job_args "$job" >/dev/null && declare -F "case_same_bits_$job" >/dev/null ||
      missing="$missing $job"
  done
  [ -z "$missing" ] || fail "jobs without a multi-host test in openmpi_cases.sh:$missing"
}

# Uneven hosts: slots 1, 3, 2. The report names each rank's host and groups ranks by host;
# the oversubscription check counts per host (h2 runs 3 single-thread ranks on 2 CPUs).
case_uneven_three_hosts() {
  cluster_up 3 1,3,2
  OMP_NUM_THREADS=1 hpar_hosts 6 run numbers --range 1:30000 --report-json rep.json
  expect_rc 0
  expect_out "verification PASS"
  expect_out "hosts        h1 (1 ranks), h2 (3 ranks), h3 (2 ranks)"
  python3 - rep.json <<'PY' || fail "report does not place the ranks on their hosts"
import json, sys
r = json.load(open(sys.argv[1]))
placement = {p["rank"]: p["host"] for p in r["layout"]["rank_placement"]}
assert placement == {0: "h1", 1: "h2", 2: "h2", 3: "h2", 4: "h3", 5: "h3"}, placement
hosts = {h["host"]: h["ranks"] for h in r["layout"]["hosts"]}
assert hosts == {"h1": [0], "h2": [1, 2, 3], "h3": [4, 5]}, hosts
warnings = r["warnings"]
assert len(warnings) == 1 and warnings[0].startswith("host h2 runs 3 rank(s)"), warnings
PY
  [ "$(grep -c '^hpar: warning: host' err.txt)" = 1 ] || fail "expected one host warning: $ERR"
  expect_err "hpar: warning: host h2 runs 3 rank(s)"
  # Results equal those of one rank on this machine.
  sed '/^== hpar report/,$d' out.txt >hosts.txt
  hpar_local 1 run numbers --range 1:30000 --threads 1
  expect_rc 0
  sed '/^== hpar report/,$d' out.txt | cmp -s - hosts.txt || fail "results differ from one rank"
}

# The gather crosses the network: h2's ranks send their half of the ordered output to rank 0 on
# h1, so at least that many bytes leave h2 through its veth (counted by the kernel).
case_gather_crosses_tcp() {
  cluster_up 2
  local before after sent expected
  before=$(cat /sys/class/net/hpar-h2/statistics/rx_bytes)
  OMP_NUM_THREADS=1 hpar_hosts 4 run numbers --range 1:400000 --steps 5 --report-json rep.json
  expect_rc 0
  after=$(cat /sys/class/net/hpar-h2/statistics/rx_bytes)
  sent=$((after - before))
  # 98 blocks of 4096 inputs over 4 ranks: ranks 2 and 3 (on h2) own at least the lines after
  # the first 50 blocks, whichever ranks take the two extra blocks.
  expected=$(sed '/^== hpar report/,$d' out.txt | tail -n $((400000 - 50 * 4096)) | wc -c)
  [ "$sent" -ge "$expected" ] ||
    fail "h2 sent $sent bytes over its interface, less than its $expected bytes of output"
  python3 - rep.json <<'PY' || fail "report hosts wrong"
import json, sys
r = json.load(open(sys.argv[1]))
hosts = {h["host"]: h["ranks"] for h in r["layout"]["hosts"]}
assert hosts == {"h1": [0, 1], "h2": [2, 3]}, hosts
assert r["phases"]["gather"]["max"] > 0
PY
  echo "h2 sent $sent bytes through hpar-h2 for $expected bytes of gathered output"
}

# A rank that dies on one host ends the whole job within seconds, non-zero, no result file;
# mpirun names the rank and its host.
run_and_kill() {
  local what=$1 t0 t1 pid pids
  cluster_up 2
  # shellcheck disable=SC2046
  OMP_NUM_THREADS=1 timeout 120 mpirun $(bash "$CLUSTER" mpi-flags) -np 4 --bind-to none \
    -x OMP_NUM_THREADS "$HPAR" run mandelbrot --width 1200 --height 1200 --max-iter 200000 \
    --image m.png >out.txt 2>err.txt &
  pid=$!
  # Wait until both of h2's ranks compute.
  for _ in $(seq 1 100); do
    [ "$(ip netns pids h2 | xargs -r ps -o comm= -p 2>/dev/null | grep -c '^hpar$')" = 2 ] && break
    sleep 0.1
  done
  sleep 1
  kill -0 $pid 2>/dev/null || fail "the job ended before the kill: $(cat err.txt)"
  pids=$(ip netns pids h2)
  [ "$what" = ranks ] && pids=$(echo "$pids" | xargs -r ps -o pid=,comm= -p | awk '$2 == "hpar" {print $1}')
  [ -n "$pids" ] || fail "no processes to kill on h2"
  t0=$(date +%s%N)
  # shellcheck disable=SC2086
  kill -9 $pids
  wait $pid
  RC=$?
  t1=$(date +%s%N)
  ERR=$(cat err.txt)
  ELAPSED_MS=$(((t1 - t0) / 1000000))
  echo "killed $what on h2: mpirun exited $RC after ${ELAPSED_MS} ms"
  [ "$RC" != 0 ] || fail "mpirun exited 0 after its ranks on h2 were killed"
  [ "$RC" != 124 ] || fail "the job did not end after the kill (timeout)"
  [ "$ELAPSED_MS" -lt 15000 ] || fail "the job took ${ELAPSED_MS} ms to end after the kill"
  [ ! -e m.png ] || fail "a result file was written"
  local left
  left=$(find . -maxdepth 1 -name '*hpar-*')
  [ -z "$left" ] || fail "a temporary file was left: $left"
  for _ in $(seq 1 50); do
    [ -z "$(ip netns pids h1)" ] && break
    sleep 0.1
  done
  [ -z "$(ip netns pids h1)" ] || fail "processes left on h1: $(ip netns pids h1 | xargs ps -o pid,comm -p)"
}

case_killed_ranks_end_the_job() {
  run_and_kill ranks
  grep -q "rank [23] with PID [0-9]* on node h2 exited on signal 9" err.txt ||
    fail "mpirun does not name the rank and host: $ERR"
}

case_dead_host_ends_the_job() {
  run_and_kill host
  # The launcher (ssh, here the rsh agent) reports the lost connection to the host.
  expect_err "Connection to h2 closed by remote host."
}

# `hpar affinity` across hosts: the right host per rank, rows grouped by host, the per-host
# oversubscription check names only the host that has too many ranks (h2: 3 ranks, 2 CPUs).
case_affinity_uneven_hosts() {
  cluster_up 3 1,3,2
  OMP_NUM_THREADS=1 hpar_hosts 6 affinity --json aff.json
  expect_rc 0
  python3 - aff.json out.txt <<'PY' || fail "affinity does not place the ranks on their hosts: $OUT"
import json, sys
a = json.load(open(sys.argv[1]))
assert a["schema"] == "hpar-affinity/1"
placement = {r["rank"]: r["host"] for r in a["ranks"]}
assert placement == {0: "h1", 1: "h2", 2: "h2", 3: "h2", 4: "h3", 5: "h3"}, placement
assert sorted(a["hosts"]) == ["h1", "h2", "h3"], a["hosts"]
problems = [v["text"] for v in a["verdicts"] if v["severity"] == "problem"]
assert len(problems) == 1 and problems[0].startswith("host h2 runs 3 rank(s)"), problems
# The table: one row per thread, host first, each host's rows together.
rows = [l.split() for l in open(sys.argv[2]) if l.split() and l.split()[0] in ("h1", "h2", "h3")]
hosts = [r[0] for r in rows]
assert hosts == ["h1", "h2", "h2", "h2", "h3", "h3"], hosts
assert [int(r[1]) for r in rows] == [0, 1, 2, 3, 4, 5], rows
PY
}

# Binding per node: each host's daemon binds its own ranks, one core each (--map-by slot:PE=1
# --bind-to core); on both hosts the two ranks get different cores and the verdict is sound.
case_affinity_bound_per_host() {
  cluster_up 2
  OMP_NUM_THREADS=1 MPIRUN_MAP="--map-by slot:PE=1 --bind-to core" hpar_hosts 4 affinity --json aff.json
  expect_rc 0
  expect_out "verdict: sound"
  python3 - aff.json <<'PY' || fail "ranks not bound to separate cores per host: $OUT"
import json, sys
a = json.load(open(sys.argv[1]))
by_host = {}
for r in a["ranks"]:
    assert len(r["cpus"]) == 1, r
    by_host.setdefault(r["host"], []).append((r["rank"], r["cpus"][0]))
assert sorted(by_host) == ["h1", "h2"], by_host
for host, ranks in by_host.items():
    assert len({cpu for _, cpu in ranks}) == 2, (host, ranks)
assert [rank for rank, _ in by_host["h1"]] == [0, 1] and [rank for rank, _ in by_host["h2"]] == [2, 3]
PY
}

# A node-count series with `hpar scale`: one rank per host (--map-by node), so the point with r
# ranks runs on hosts h1..hr; every point's report names exactly those hosts and every point
# gives the same results.
case_scale_node_series() {
  cluster_up 3 1
  OMP_NUM_THREADS=1 MPIRUN_MAP="--map-by node --bind-to none" hpar_hosts 3 scale pi --mode strong \
    --ranks 1,2,3 --threads 1 --repeat 1 --samples 3000000 --json study.json
  expect_rc 0
  expect_out "results      identical at every point and run"
  python3 - study.json <<'PY' || fail "the study's points are not on the expected hosts: $OUT"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["schema"].startswith("hpar-study/"), s["schema"]
seen = []
for point in s["points"]:
    r = point["report"]
    hosts = {h["host"]: h["ranks"] for h in r["layout"]["hosts"]}
    want = {"h%d" % (k + 1): [k] for k in range(point["ranks"])}
    assert hosts == want, (point["ranks"], hosts)
    seen.append(point["ranks"])
assert seen == [1, 2, 3], seen
assert s["results_identical"] is True
PY
}

# The dynamic distribution and the streamed ordered output across hosts: ranks on two hosts
# take blocks from rank 0's counter over TCP (MPI-3 one-sided), rank 0 streams the output, or
# every rank writes its blocks into a shared file with MPI-IO; the same bytes as one rank.
case_dynamic_and_streamed_output_across_hosts() {
  local args=(numbers --range -500:300000:3 --steps 3)
  hpar_local 1 run "${args[@]}" --no-report
  expect_rc 0
  mv out.txt one_rank.txt
  cluster_up 2
  OMP_NUM_THREADS=2 hpar_hosts 4 run "${args[@]}" --distribution dynamic --no-report \
    --output-buffer 16Ki
  expect_rc 0
  cmp -s one_rank.txt out.txt || fail "streamed through rank 0: $(diff one_rank.txt out.txt | head -3)"
  OMP_NUM_THREADS=2 hpar_hosts 4 run "${args[@]}" --distribution dynamic --output shared.txt \
    --output-buffer 16Ki --report-json rep.json
  expect_rc 0
  expect_out "(every rank, MPI-IO)"
  cmp -s one_rank.txt shared.txt || fail "written with MPI-IO from both hosts: differs"
  python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert r["layout"]["distribution"] == "dynamic", r["layout"]
assert sum(r["layout"]["rank_blocks"]) == r["work"]["blocks"], r["layout"]["rank_blocks"]
assert {h["host"] for h in r["layout"]["hosts"]} == {"h1", "h2"}, r["layout"]["hosts"]' rep.json ||
    fail "not a dynamic run over both hosts: $(head -c 800 rep.json)"
  hpar_local 1 run pi --samples 9000000 --no-report
  mv out.txt pi_one.txt
  OMP_NUM_THREADS=2 hpar_hosts 4 run pi --samples 9000000 --distribution dynamic --no-report
  expect_rc 0
  cmp -s pi_one.txt out.txt || fail "pi, dynamic over 2 hosts: $OUT vs $(cat pi_one.txt)"
}
