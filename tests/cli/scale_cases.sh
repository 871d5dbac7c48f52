# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# CLI tests of `hpar scale` and `hpar plot` (sourced by run_case.sh; each case_NAME is one ctest).

# point_results STUDY: one line per point, "RANKS THREADS SCHEDULE<TAB>result lines joined by |".
point_results() {
  python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for p in d["points"]:
    print(f'{p["ranks"]} {p["threads"]} {p["schedule"]}\t' + "|".join(p["result"]))
PY
}

# same_as_separate_runs STUDY ARGS...: each point's result lines equal `hpar run ARGS` at its layout.
same_as_separate_runs() {
  local study=$1 ranks threads schedule expected
  shift
  point_results "$study" >points.txt
  [ -s points.txt ] || fail "no points in $study"
  while IFS=$'\t' read -r layout expected; do
    read -r ranks threads schedule <<<"$layout"
    hpar_np "$ranks" run "$@" --threads "$threads" --schedule "$schedule" --no-report
    expect_rc 0
    [ "$(grep '^result:' out.txt | paste -sd'|')" = "$expected" ] ||
      fail "point $layout: study says '$expected', a separate run says '$(grep '^result:' out.txt | paste -sd'|')'"
  done <points.txt
}

case_strong_sweep_equals_separate_runs() {
  hpar_np 2 scale numbers --range 1:300000 --quiet --mode strong --ranks 1,2 --threads 1,2 \
    --repeat 2 --json s.json --csv s.csv
  expect_rc 0
  expect_out "== hpar scale: numbers, strong scaling, 2 run(s) per point =="
  expect_out "results      identical at every point and run"
  expect_out "fit          "
  expect_out "fastest      1 core: 1x1 static"
  [ "$(point_results s.json | wc -l)" = 4 ] || fail "expected 4 points: $(point_results s.json)"
  same_as_separate_runs s.json numbers --range 1:300000 --quiet
  # CSV: a header and one row per point, 13 fields each.
  [ "$(wc -l <s.csv)" = 5 ] || fail "s.csv: $(cat s.csv)"
  awk -F, 'NF != 13 { exit 1 }' s.csv || fail "s.csv has rows without 13 fields: $(cat s.csv)"
  head -1 s.csv | grep -q '^schedule,ranks,threads,cores,runs,median_s' || fail "csv header: $(head -1 s.csv)"
  python3 - <<'PY' || fail "study JSON is not as expected"
import json
d = json.load(open("s.json"))
assert d["schema"] == "hpar-study/1" and d["mode"] == "strong" and d["job"] == "numbers"
assert d["results_identical"] is True
for p in d["points"]:
    assert len(p["seconds"]) == 2 and all(t > 0 for t in p["seconds"])
    assert p["report"]["schema"] == "hpar-report/1"
    assert p["report"]["layout"]["ranks"] == p["ranks"]
    assert p["report"]["layout"]["threads_per_rank"] == p["threads"]
    assert p["verification"] == "PASS"
base = d["points"][0]
assert (base["ranks"], base["threads"]) == (1, 1) and base["speedup"] == 1.0
assert all(f["model"] == "amdahl" for f in d["analysis"]["fits"])  # none if noise rules
assert [r["cores"] for r in d["analysis"]["fastest_per_core_count"]] == [1, 2, 4]
PY
}

# "--input-file -": rank 0's standard input, shared once, is every point's input.
case_inputs_from_standard_input() {
  { seq 1 3 30000; } >in.txt
  hpar_np 2 scale numbers --input-file - --quiet --mode strong --ranks 1,2 --threads 1 \
    --repeat 1 --json s.json < <(cat in.txt)
  expect_rc 0
  expect_out "results      identical at every point and run"
  python3 - <<'PY' || fail "study JSON: $(cat s.json)"
import json
d = json.load(open("s.json"))
assert [p["ranks"] for p in d["points"]] == [1, 2]
assert all(p["verification"] == "PASS" for p in d["points"])
assert all(p["report"]["work"]["items"] == 10000 for p in d["points"]), d["points"][0]["report"]
PY
}

case_np4_sweep_waits_without_spinning() {
  # 6e8 samples: the waits must last 50 ms or more even with AVX-512 kernels (0.2 ns/sample).
  hpar_np 4 scale pi --samples 6e8 --mode strong --ranks 1,2,4 --threads 1 --repeat 1 --json s.json
  expect_rc 0
  same_as_separate_runs s.json pi --samples 6e8
  # Ranks outside a point sleep in a non-blocking barrier: they use (almost) no CPU.
  python3 - <<'PY' || fail "waiting ranks used CPU: $(grep -o '"idle_ranks_cpu_fraction": [^,]*' s.json)"
import json
d = json.load(open("s.json"))
waiting = [p["idle_ranks_cpu_fraction"] for p in d["points"] if p["ranks"] < 4]
assert len(waiting) == 2 and all(f is None or f < 0.05 for f in waiting), waiting
assert any(f is not None for f in waiting), waiting
assert d["points"][-1]["idle_ranks_cpu_fraction"] is None
PY
}

case_weak_scaling_multiplies_the_size() {
  hpar_np 2 scale pi --samples 1e6 --mode weak --ranks 1,2 --threads 1,2 --repeat 1 --json w.json
  expect_rc 0
  expect_out "weak scaling"
  expect_out "fit          Gustafson (static)"
  python3 - <<'PY' >sizes.txt || fail "weak study JSON"
import json
d = json.load(open("w.json"))
for p in d["points"]:
    assert p["report"]["work"]["items"] == 1000000 * p["ranks"] * p["threads"], p["report"]["work"]
    print(p["ranks"], p["threads"], p["report"]["work"]["items"])
PY
  # The 2 x 2 point is the same computation as a plain run with 4e6 samples.
  hpar_np 2 run pi --samples 4e6 --threads 2 --no-report
  expected=$(grep '^result:' out.txt | paste -sd'|')
  [ "$(point_results w.json | grep '^2 2 ' | cut -f2)" = "$expected" ] ||
    fail "2x2 weak point differs from 'run pi --samples 4e6': $(point_results w.json)"
}

case_schedules_are_compared_in_one_launch() {
  hpar_np 2 scale numbers --range 1:200000 --quiet --mode strong --ranks 1,2 --threads 1 \
    --schedule static --schedule dynamic,2 --repeat 1 --json s.json
  expect_rc 0
  expect_out "fit          Amdahl (static)"
  expect_out "fit          Amdahl (dynamic,2)"
  [ "$(point_results s.json | cut -f1 | paste -sd,)" = "1 1 static,2 1 static,1 1 dynamic,2,2 1 dynamic,2" ] ||
    fail "points: $(point_results s.json | cut -f1)"
}

case_default_points_fit_the_cpus() {
  hpar_np 2 scale numbers --range 1:100000 --quiet --mode strong --repeat 1 --json s.json
  expect_rc 0
  expect_err "hpar: note: left out"
  # Powers of two up to the launch's ranks and each rank's CPUs, at most one thread per CPU.
  cpus=$(nproc)
  expected=$(python3 -c "
n = $cpus
pw = lambda m: [1 << k for k in range(m.bit_length()) if (1 << k) <= m]
print(','.join(f'{p}x{t}' for p in pw(2) for t in pw(n) if p * t <= n))")
  got=$(python3 -c "
import json
print(','.join(f'{p[\"ranks\"]}x{p[\"threads\"]}' for p in json.load(open('s.json'))['points']))")
  [ "$(tr , '\n' <<<"$got" | sort | paste -sd,)" = "$(tr , '\n' <<<"$expected" | sort | paste -sd,)" ] ||
    fail "default points $got, expected $expected"
}

case_progress_line_per_point() {
  hpar_np 2 scale numbers --range 1:100000 --quiet --mode strong --ranks 1,2 --threads 1 --repeat 1
  expect_rc 0
  expect_err "hpar: point 1/2 done: 1 rank x 1 thread (static)"
  expect_err "left"
  expect_err "hpar: point 2/2 done: 2 ranks x 1 thread (static)"
}

case_plot_is_a_png() {
  hpar_np 2 scale numbers --range 1:200000 --quiet --mode strong --ranks 1,2 --threads 1,2 \
    --repeat 1 --json s.json --plot p.png
  expect_rc 0
  [ "$(head -c 8 p.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "p.png is not a PNG"
  # `hpar plot` draws the saved study the same way (gnuplot's exit status decides hpar's).
  hpar_np 1 plot s.json -o q.png
  expect_rc 0
  expect_out "wrote q.png (4 points of a strong scaling study of numbers)"
  [ "$(head -c 8 q.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "q.png is not a PNG"
  [ "$(stat -c %s q.png)" -lt 200000 ] || fail "q.png is $(stat -c %s q.png) bytes"
  expect_no_temporary_files
}

case_plot_merges_studies_and_refuses_bad_input() {
  hpar_np 1 scale numbers --range 1:100000 --quiet --mode strong --threads 1 --repeat 1 --json a.json
  expect_rc 0
  hpar_np 2 scale numbers --range 1:100000 --quiet --mode strong --ranks 2 --threads 1 --repeat 1 --json b.json
  expect_rc 0
  hpar_np 1 plot a.json b.json -o m.png
  expect_rc 0
  expect_out "wrote m.png (2 points"
  # The same layout in two studies: its runs join (as hpar collect joins reports).
  hpar_np 1 plot a.json a.json -o m2.png
  expect_rc 0
  expect_out "wrote m2.png (1 points"
  rm m2.png
  hpar_np 1 plot a.json b.json -o m.jpg
  expect_usage_error "cannot tell the image format of 'm.jpg': name it .png, .svg or .pdf"
  hpar_np 1 scale numbers --range 1:1000 --ranks 1 --plot p.gif
  expect_usage_error "cannot tell the image format of 'p.gif'"
  echo '{"schema": "hpar-report/1"}' >r.json
  hpar_np 2 plot r.json -o x.png
  expect_usage_error "is not a hpar-study/1 document"
  hpar_np 1 plot a.json
  expect_usage_error "needs -o FILE.png"
  if [ -e x.png ] || [ -e m.jpg ] || [ -e p.gif ]; then fail "an image was written after an error"; fi
}

case_bad_mode() {
  hpar_np 2 scale numbers --mode medium
  expect_usage_error "bad --mode 'medium': expected strong or weak"
}

case_missing_mode() {
  hpar_np 2 scale numbers --ranks 1
  expect_usage_error "needs --mode strong or --mode weak"
}

case_ranks_above_launch_size() {
  hpar_np 2 scale numbers --mode strong --ranks 1,4
  expect_usage_error "--ranks 4 is more than the 2 rank(s) of this launch"
}

case_bad_lists() {
  hpar_np 2 scale numbers --mode strong --threads 1,x
  expect_usage_error "bad value 'x' for --threads"
  hpar_np 2 scale numbers --mode strong --ranks 0
  expect_usage_error "bad value '0' for --ranks"
  hpar_np 1 scale numbers --mode strong --repeat 0
  expect_usage_error "--repeat must be between 1 and 1000"
  hpar_np 1 scale numbers --mode strong --schedule sideways
  expect_usage_error "bad --schedule 'sideways'"
}

case_weak_needs_a_size_option() {
  hpar_np 2 scale numbers --mode weak
  expect_usage_error "job 'numbers' has no size option"
}

case_job_errors_end_the_study() {
  hpar_np 2 scale pi --mode strong --samples 0 --ranks 1,2 --threads 1
  expect_usage_error "--samples"
}

case_help() {
  hpar_np 1 scale --help
  expect_rc 0
  expect_out "hpar scale JOB --mode strong|weak"
  expect_out "--repeat"
}

case_bad_study_input_is_exit_2_in_scale_and_collect() {
  # scale and collect make their studies with one module: the same bad input, the same exit
  # code (2) and message from both.
  hpar_np 1 run pi --samples 1e6 --no-report --report-json r.json
  expect_rc 0
  for output in --json --csv --plot; do
    hpar_np 1 scale pi --samples 1e6 --mode strong --threads 1 --repeat 1 "$output" nodir/x.png
    expect_usage_error "cannot write 'nodir/x.png'"
    hpar_np 1 collect r.json "$output" nodir/x.png
    expect_usage_error "cannot write 'nodir/x.png'"
  done
  hpar_np 1 scale pi --samples 1e6 --mode sideways
  expect_usage_error "bad --mode 'sideways'"
  hpar_np 1 collect r.json --mode sideways
  expect_usage_error "bad --mode 'sideways'"
}

# Studies overlaid in one SVG (each its own series, named by its file); a stopped study says so
# in the title; untrusted points are hollow and named.
case_plot_overlays_studies_as_svg() {
  command -v gnuplot >/dev/null || { echo "gnuplot not installed: plot not checked"; return 0; }
  hpar_np 1 scale numbers --range 1:100000 --quiet --mode strong --threads 1 --repeat 1 --json a.json
  expect_rc 0
  hpar_np 2 scale numbers --range 1:100000 --quiet --mode strong --ranks 1,2 --threads 1 --repeat 1 --json b.json
  expect_rc 0
  python3 - <<'PY'
import json
for name in ("a.json", "b.json"):  # trusted but one, whatever a loaded machine made them
    d = json.load(open(name))
    for p in d["points"]:
        p["busy"]["trusted"] = True
    if name == "b.json":
        d["complete"] = False
        d["points"][-1]["busy"]["trusted"] = False
    json.dump(d, open(name, "w"))
PY
  hpar_np 1 plot --overlay a.json b.json -o o.svg
  expect_rc 0
  expect_out "wrote o.svg (3 points of 2 overlaid strong scaling studies of numbers)"
  grep -q "<svg" o.svg || fail "o.svg is not an SVG"
  local text
  text=$(sed 's/<[^>]*>//g' o.svg)
  for want in "a.json: 1 thread/rank" "b.json: 1 thread/rank" "STOPPED before its last point" \
    "not to be trusted: 2x1 static (b.json)" "time (s)" "speedup" "parallel efficiency (%)"; do
    grep -qF "$want" <<<"$text" || fail "the SVG has no '$want': $(head -c 600 <<<"$text")"
  done
  expect_no_temporary_files
}
