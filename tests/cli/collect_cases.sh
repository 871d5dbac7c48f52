# shellcheck shell=bash disable=SC2034 # RC, ERR: read by run_case.sh helpers
# SPDX-License-Identifier: BSD-3-Clause
# CLI tests of `hpar collect` (sourced by run_case.sh; each case_NAME is one ctest): the reports
# of separate `hpar run --report-json` runs merged into a study, as after a Slurm array.

# report NP THREADS NAME JOB_ARGS...: one run's JSON report into reports/NAME.json.
report() {
  local np=$1 t=$2 name=$3
  shift 3
  mkdir -p reports
  hpar_np "$np" run "$@" --threads "$t" --no-report --report-json "reports/$name.json"
  expect_rc 0
}

case_merges_reports_into_study() {
  report 1 1 a pi --samples 2e6
  report 1 1 b pi --samples 2e6
  report 2 1 c pi --samples 2e6
  report 1 2 d pi --samples 2e6
  hpar_np 1 collect reports --json s.json --csv s.csv
  expect_rc 0
  expect_out "== hpar collect: pi, strong scaling, 4 report(s) =="
  expect_out "results      identical in every report"
  [ "$(grep -c '  PASS$' out.txt)" = 3 ] || fail "expected 3 points: $OUT"
  # Independent check: each point's median from the reports' own times (total - output).
  python3 - <<'PY' || fail "study does not match the reports: $(cat s.csv)"
import csv, glob, json, statistics
times = {}
for f in sorted(glob.glob("reports/*.json")):
    r = json.load(open(f))
    key = (r["layout"]["ranks"], r["layout"]["threads_per_rank"])
    p = r["phases"]
    times.setdefault(key, []).append(p["total"]["max"] - p["output"]["max"] - p["verify"]["max"])
rows = {(int(r["ranks"]), int(r["threads"])): r for r in csv.DictReader(open("s.csv"))}
assert set(rows) == set(times), (rows.keys(), times.keys())
base = statistics.median(times[(1, 1)])
for key, ts in times.items():
    row = rows[key]
    assert int(row["runs"]) == len(ts)
    assert abs(float(row["median_s"]) - statistics.median(ts)) <= 1e-8 * statistics.median(ts)
    speedup = base / statistics.median(ts)
    assert abs(float(row["speedup"]) - speedup) <= 1e-6 * speedup, (row, speedup)
    assert abs(float(row["efficiency"]) - speedup / (key[0] * key[1])) <= 1e-6
s = json.load(open("s.json"))
assert s["schema"] == "hpar-study/1" and s["job"] == "pi" and s["mode"] == "strong"
assert len(s["points"]) == 3 and len(s["collected_from"]) == 4
assert all(p["report"]["schema"] == "hpar-report/1" for p in s["points"])
PY
}

case_study_plots() {
  command -v gnuplot >/dev/null || { echo "gnuplot not installed: plot not checked"; return 0; }
  report 1 1 a pi --samples 1e6
  report 2 1 b pi --samples 1e6
  hpar_np 1 collect reports/a.json reports/b.json --plot s.png --json s.json
  expect_rc 0
  [ "$(head -c 4 s.png | tail -c 3)" = PNG ] || fail "s.png is not a PNG"
  hpar_np 1 plot s.json -o again.png
  expect_rc 0
}

case_other_schema_refused() {
  report 1 1 a pi --samples 1e6
  echo '{"schema": "something/2"}' >reports/other.json
  hpar_np 2 collect reports
  expect_usage_error "'reports/other.json' is not an hpar-report/1 report (schema 'something/2')"
  echo 'not json' >reports/other.json
  hpar_np 1 collect reports
  expect_usage_error "'reports/other.json' is not JSON"
}

# A study (hpar-study/1) adds its points' runs: here the study of report a, collected with a
# second report b, gives one point of two runs. Files of other schemas are still refused.
case_study_file_collected_other_schemas_refused() {
  report 1 1 a pi --samples 1e6
  hpar_np 1 collect reports --json study.json
  expect_rc 0
  report 1 1 b pi --samples 1e6
  hpar_np 1 collect reports/b.json study.json
  expect_rc 0
  expect_out "== hpar collect: pi, strong scaling, 2 report(s) =="
  grep -q '^[ !]   1      1        1  static          2 ' out.txt || fail "not one point of 2 runs: $OUT"
  hpar_np 1 collect reports/b.json study.json --mode weak
  expect_usage_error "study.json is a strong study: collect it with --mode strong"
  echo '{"schema": "hpar-affinity/1"}' >affinity.json
  hpar_np 1 collect reports/b.json affinity.json
  expect_usage_error "'affinity.json' is not an hpar-report/1 report (schema 'hpar-affinity/1')"
}

case_different_jobs_refused() {
  report 1 1 a pi --samples 1e6
  report 1 1 b numbers --range 1:1000 --quiet
  hpar_np 1 collect reports
  expect_usage_error "different jobs"
}

case_different_work_refused_in_strong_mode() {
  report 1 1 a pi --samples 1e6
  report 2 1 b pi --samples 2e6
  hpar_np 1 collect reports
  expect_usage_error "needs the same work in every report"
  # work proportional to the cores is a weak-scaling study
  hpar_np 1 collect reports --mode weak
  expect_rc 0
  expect_out "pi, weak scaling, 2 report(s)"
  report 1 2 c pi --samples 3e6
  hpar_np 1 collect reports --mode weak
  expect_usage_error "needs work proportional to ranks x threads"
}

case_incomplete_reports_left_out() {
  report 1 1 a pi --samples 1e6
  report 2 1 b pi --samples 1e6
  sed 's/"complete": true/"complete": false/' reports/b.json >reports/c.json
  hpar_np 1 collect reports
  expect_rc 0
  expect_err "hpar: warning: leaving out reports/c.json: incomplete"
  expect_out "2 report(s)"
  rm reports/a.json reports/b.json
  hpar_np 1 collect reports
  expect_usage_error "no complete report to collect"
}

# A resumed run's time covers only its last attempt's blocks: it is no point of a study.
case_resumed_reports_left_out() {
  report 1 1 a pi --samples 1e6
  report 2 1 b pi --samples 1e6
  hpar_np 2 run pi --samples 1e6 --checkpoint ck --no-report
  expect_rc 0
  hpar_np 2 run pi --samples 1e6 --checkpoint ck --resume --report-json reports/c.json
  expect_rc 0
  hpar_np 1 collect reports
  expect_rc 0
  expect_err "hpar: warning: leaving out reports/c.json: a resumed run (attempt 2"
  expect_out "2 report(s)"
}

case_failed_verification_is_exit_3() {
  report 1 1 a pi --samples 1e6
  report 2 1 b pi --samples 1e6
  sed 's/"status": "PASS"/"status": "FAIL"/' reports/b.json >reports/b2.json
  mv reports/b2.json reports/b.json
  hpar_np 1 collect reports
  expect_rc 3
  expect_err "verification failed at 1 point(s): 2x1 static"
}

case_bad_usage() {
  hpar_np 1 collect
  expect_usage_error "name the reports"
  hpar_np 1 collect nowhere
  expect_usage_error "cannot read report 'nowhere': No such file or directory"
  mkdir empty
  hpar_np 1 collect empty
  expect_usage_error "no *.json reports in 'empty'"
  hpar_np 1 collect empty --mode sideways
  expect_usage_error "sideways"
}

case_rates_in_metrics_are_not_results() {
  # triad's metrics hold bandwidths, which differ from run to run; the results are its lines.
  report 1 1 a triad --size 100000 --repeat 2
  report 1 1 b triad --size 100000 --repeat 2
  report 2 1 c triad --size 100000 --repeat 2
  hpar_np 1 collect reports
  expect_rc 0
  expect_out "results      identical in every report"
}

case_collect_table_is_the_study_table() {
  # The same study table as `hpar scale`, with a column of runs per point.
  report 1 1 a pi --samples 1e6
  report 1 1 b pi --samples 1e6
  report 2 1 c pi --samples 1e6
  hpar_np 1 collect reports
  expect_rc 0
  expect_out "cores  ranks  threads  schedule     runs   time (s)   spread  speedup"
  expect_out "baseline     1x1 static (1 core): speedups are relative to it"
  expect_out "fastest      1 core: 1x1 static"
}
