// SPDX-License-Identifier: BSD-3-Clause
// The study module: the model that scale and collect (and a sweep) feed, and its views
// (table, CSV, JSON), checked on hand-made studies.

#include <gtest/gtest.h>

#include <sstream>

#include "hpar/core/errors.hpp"
#include "hpar/study/study.hpp"

using namespace hpar;

namespace {

StudyRun run(double seconds, std::string verification = "PASS",
             std::vector<std::string> result = {"result: 42"}) {
  StudyRun r;
  r.seconds = seconds;
  r.result = std::move(result);
  r.verification = std::move(verification);
  r.verification_detail = "checked " + std::to_string(seconds);
  r.report = {{"schema", "hpar-report/1"}, {"seconds", seconds}};
  return r;
}

/// 1x1 at 4 s (twice), 2x1 at 2.2 s, 1x2 at 2 s: a strong study with a clear winner at 2 cores.
StudyRecord sample_study() {
  StudyRecord s;
  s.job = "pi";
  s.host = "node1";
  add_run(s, 2, 1, "static", run(2.2));
  add_run(s, 1, 1, "static", run(4.0));
  add_run(s, 1, 2, "static", run(2.0));
  add_run(s, 1, 1, "static", run(4.4));
  add_run(s, 1, 1, "static", run(4.1));
  sort_points(s);
  return s;
}

std::string table(const StudyRecord& s, const TableWords& words) {
  std::ostringstream out;
  print_study_table(out, s, analyze_study(s), words);
  return out.str();
}

}  // namespace

TEST(Study, RunsGroupIntoPointsByCores) {
  const auto s = sample_study();
  ASSERT_EQ(s.points.size(), 3U);
  EXPECT_EQ(layout_name(s.points[0]), "1x1 static");
  EXPECT_EQ(s.points[0].runs.size(), 3U);
  EXPECT_EQ(layout_name(s.points[1]), "1x2 static");  // 2 cores: ranks 1 before ranks 2
  EXPECT_EQ(layout_name(s.points[2]), "2x1 static");
  EXPECT_EQ(s.points[0].median_run(), 2U);  // 4.1 s is the median of 4.0, 4.4, 4.1
  EXPECT_EQ(s.points[0].scaling().seconds, (std::vector<double>{4.0, 4.4, 4.1}));
}

TEST(Study, TableOfAStrongStudy) {
  TableWords words;
  words.title = "== a study ==";
  words.work = "1000 samples, the same at every point";
  words.notes = {"note         last"};
  const auto text = table(sample_study(), words);
  EXPECT_EQ(text.substr(0, text.find('\n')), "== a study ==");
  EXPECT_NE(text.find("work         1000 samples, the same at every point\n"), std::string::npos);
  EXPECT_NE(text.find("cores  ranks  threads  schedule       time (s)   spread  speedup  "
                      "efficiency  Karp-Flatt  verification\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    1      1        1  static         4.100000    9.8 %     1.00     100.0 %"
                      "           -  PASS\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("baseline     1x1 static (1 core): speedups are relative to it\n"),
            std::string::npos);
  EXPECT_NE(text.find("fastest      1 core: 1x1 static 4.100 s\n"
                      "             2 cores: 1x2 static 2.000 s; then 2x1 static +10.0 %\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("results      identical at every point and run\n"), std::string::npos);
  EXPECT_EQ(text.substr(text.size() - 18), "note         last\n");
}

TEST(Study, TableWithARunsColumnAndItsOwnWords) {
  TableWords words;
  words.runs_column = true;
  words.identical = "identical in every report";
  const auto text = table(sample_study(), words);
  EXPECT_NE(text.find("cores  ranks  threads  schedule     runs   time (s)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("  static          3   4.100000"), std::string::npos) << text;
  EXPECT_NE(text.find("results      identical in every report\n"), std::string::npos);
}

TEST(Study, CsvRowPerPoint) {
  const auto s = sample_study();
  const auto csv = study_csv(s, analyze_study(s));
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "schedule,ranks,threads,cores,runs,median_s,min_s,max_s,spread,speedup,efficiency,"
            "karp_flatt,verification");
  EXPECT_NE(csv.find("\nstatic,1,1,1,3,4.1,4,4.4,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\nstatic,1,2,2,1,2,2,2,0,2.05,1.025,"), std::string::npos) << csv;
}

TEST(Study, JsonDocumentWithTheMedianRunsReport) {
  auto s = sample_study();
  s.extra = {{"collected_from", {"a.json"}}, {"job", "not this"}};
  s.points[2].extra = {{"idle_ranks_cpu_fraction", nullptr}};
  const auto doc = study_json(s, analyze_study(s));
  EXPECT_EQ(doc["schema"], "hpar-study/1");
  EXPECT_EQ(doc["job"], "pi");  // the study's own fields win
  EXPECT_EQ(doc["collected_from"][0], "a.json");
  EXPECT_EQ(doc["host"], "node1");
  EXPECT_EQ(doc["complete"], true);
  EXPECT_EQ(doc["results_identical"], true);
  ASSERT_EQ(doc["points"].size(), 3U);
  const auto& p = doc["points"][0];
  EXPECT_EQ(p["seconds"], (std::vector<double>{4.0, 4.4, 4.1}));
  EXPECT_EQ(p["median"], 4.1);
  EXPECT_EQ(p["report"]["seconds"], 4.1);  // the run closest to the median
  EXPECT_EQ(p["result"][0], "result: 42");
  EXPECT_EQ(p["karp_flatt"], nullptr);
  EXPECT_TRUE(doc["points"][2].contains("idle_ranks_cpu_fraction"));
  EXPECT_EQ(doc["analysis"]["baseline"]["ranks"], 1);
  // `hpar plot` reads what the study writes.
  const Study read = study_from_json(doc, "doc");
  EXPECT_EQ(read.points.size(), 3U);
  EXPECT_EQ(plot_view(s).points[0].seconds, read.points[0].seconds);
}

TEST(Study, RunsWithoutReportsFromASweep) {
  StudyRecord s;
  s.job = "./my-program";
  add_run(s, 1, 1, "static", StudyRun{1.0, {}, "none", "", nullptr});
  add_run(s, 2, 1, "static", StudyRun{0.6, {}, "none", "", nullptr});
  const auto doc = study_json(s, analyze_study(s));
  EXPECT_EQ(doc["points"][1]["report"], nullptr);
  EXPECT_EQ(doc["points"][1]["verification"], "none");
  EXPECT_EQ(study_verdict(s).code, 0);
}

TEST(Study, BadStudiesAreBadInput) {
  StudyRecord empty;
  EXPECT_THROW((void)analyze_study(empty), UsageError);
  StudyRecord no_runs;
  no_runs.points.emplace_back();
  EXPECT_THROW((void)analyze_study(no_runs), UsageError);
  StudyRecord zero_time;
  add_run(zero_time, 1, 1, "static", run(0.0));
  EXPECT_THROW((void)analyze_study(zero_time), UsageError);
  try {
    (void)analyze_study(zero_time);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
  }
}

TEST(Study, ResultsAgreeByMode) {
  StudyRecord s;
  add_run(s, 1, 1, "static", run(2.0, "PASS", {"result: 1"}));
  add_run(s, 2, 1, "static", run(1.0, "PASS", {"result: 2"}));
  EXPECT_FALSE(results_identical(s));  // strong: the same result at every point
  s.mode = ScalingMode::weak;
  EXPECT_TRUE(results_identical(s));  // weak: the work differs between points
  add_run(s, 2, 1, "static", run(1.0, "PASS", {"result: 3"}));
  EXPECT_FALSE(results_identical(s));  // but not between the runs of one point
  const auto verdict = study_verdict(s);
  EXPECT_EQ(verdict.code, 3);
  EXPECT_NE(verdict.problem.find("results differ"), std::string::npos);
}

TEST(Study, ResultsWithinATolerance) {
  EXPECT_TRUE(lines_agree("energy: 1.0 eV", "energy: 1.0 eV", 0.0));
  EXPECT_FALSE(lines_agree("energy: 1.0", "energy: 1.000000000001", 0.0));
  EXPECT_TRUE(lines_agree("energy: 1.0", "energy: 1.000000000001", 1e-9));
  EXPECT_FALSE(lines_agree("energy: 1.0", "energy: 1.1", 1e-9));
  EXPECT_FALSE(lines_agree("energy: 1.0 eV", "energy: 1.0 J", 1e-9));  // words still exact
  EXPECT_FALSE(lines_agree("energy: 1.0", "energy: 1.0 1", 1e-9));
  EXPECT_FALSE(lines_agree("x: nan", "x: nan1", 1e-9));
  StudyRecord s;
  add_run(s, 1, 1, "static", run(2.0, "PASS", {"e: 1.0"}));
  add_run(s, 2, 1, "static", run(1.0, "PASS", {"e: 1.0000001"}));
  ASSERT_EQ(result_differences(s, 5).size(), 1U);
  EXPECT_EQ(result_differences(s, 5)[0],
            "2x1 static run 1: 'e: 1.0000001' where 1x1 static run 1 gave 'e: 1.0'");
  s.result_tolerance = 1e-6;
  EXPECT_TRUE(results_identical(s));
}

TEST(Study, NothingComparedIsNotIdentical) {
  StudyRecord s;
  add_run(s, 1, 1, "static", run(2.0, "none", {}));
  add_run(s, 2, 1, "static", run(1.0, "none", {}));
  EXPECT_FALSE(results_compared(s));
  const auto doc = study_json(s, analyze_study(s));
  EXPECT_TRUE(doc["results_identical"].is_null());
  std::ostringstream table;
  print_study_table(table, s, analyze_study(s), TableWords{});
  EXPECT_NE(table.str().find("results      not compared"), std::string::npos);
  EXPECT_EQ(study_verdict(s).code, 0);
}

TEST(Study, FailedPointsAreNamedWithTheirDetail) {
  auto s = sample_study();
  s.points[2].runs.push_back(run(2.3, "FAIL"));
  EXPECT_EQ(s.points[2].verification(), "FAIL");
  EXPECT_EQ(s.points[2].verification_detail(), "checked " + std::to_string(2.3));
  const auto verdict = study_verdict(s);
  EXPECT_EQ(verdict.code, 3);
  EXPECT_EQ(verdict.problem.rfind("verification failed at 1 point(s): 2x1 static (checked ", 0), 0U)
      << verdict.problem;
}

namespace {

/// A sample of `seconds` on 2 CPUs of which the point used `in_use`.
BusySample sample(double seconds, int in_use, std::optional<double> others,
                  std::optional<double> stolen = std::nullopt) {
  BusySample s;
  s.host = "node1";
  s.what = "run 1";
  s.seconds = seconds;
  s.cpus = 2;
  s.cpus_in_use = in_use;
  s.others_cpu_seconds = others;
  s.stolen_seconds = stolen;
  return s;
}

}  // namespace

TEST(Busy, FindingsByKindAgainstTheLimits) {
  EXPECT_TRUE(busy_findings({}, 0.05, 3).empty());
  // Spread: only with two runs or more, above 10 %.
  EXPECT_TRUE(busy_findings({}, 0.5, 1).empty());
  const auto spread = busy_findings({}, 0.235, 5);
  ASSERT_EQ(spread.size(), 1U);
  EXPECT_EQ(spread[0], "spread 23.5 % between its 5 runs (limit 10 %)");
  // Others on a point that needs both CPUs: 0.6 CPU on average over 2 s.
  const auto others = busy_findings({sample(2.0, 2, 1.2)}, 0.0, 1);
  ASSERT_EQ(others.size(), 1U);
  EXPECT_EQ(others[0],
            "other processes used 0.60 CPU(s) on node1 during run 1, while the point needed all "
            "2 CPU(s)");
  // The same others on a point that left one CPU free: within what was free.
  EXPECT_TRUE(busy_findings({sample(2.0, 1, 1.2)}, 0.0, 1).empty());
  // ... but not 1.5 CPUs: 0.5 beyond the free one.
  const auto beyond = busy_findings({sample(2.0, 1, 3.0)}, 0.0, 1);
  ASSERT_EQ(beyond.size(), 1U);
  EXPECT_NE(beyond[0].find("more than the 1 CPU(s) of 2 the point left free"), std::string::npos);
  // A few clock ticks are accounting noise.
  EXPECT_TRUE(busy_findings({sample(0.1, 2, 0.04)}, 0.0, 1).empty());
  // Steal: 0.3 s of 2 CPUs x 2 s = 7.5 %.
  const auto stolen = busy_findings({sample(2.0, 2, 0.0, 0.3)}, 0.0, 1);
  ASSERT_EQ(stolen.size(), 1U);
  EXPECT_EQ(stolen[0], "the hypervisor stole 7.5 % of the CPU time on node1 during run 1 (steal)");
  // Before: CPUs others kept busy in the quiet window.
  auto before = sample(1.0, 2, std::nullopt);
  before.others_before_cpus = 0.9;
  const auto quiet = busy_findings({before}, 0.0, 1);
  ASSERT_EQ(quiet.size(), 1U);
  EXPECT_NE(quiet[0].find("kept 0.90 CPU(s) on node1 busy just before run 1"), std::string::npos);
}

TEST(Busy, AProgramThatLeavesItsCoresIdleIsNamedNotTheOthers) {
  // 1x2 for 2 s: the program used 2.2 CPU seconds of 4 (55 %), others nothing: its threads.
  auto idle = sample(2.0, 2, 0.0);
  idle.program_cpu_seconds = 2.2;
  idle.threads = 2;
  const auto f = busy_findings({idle}, 0.0, 1);
  ASSERT_EQ(f.size(), 1U);
  EXPECT_EQ(f[0],
            "the program kept only 1.10 of its 2 cores busy (55 %) on node1 during run 1, while "
            "the others stayed idle: the program did not use its threads (is it built with "
            "OpenMP, and does it honour OMP_NUM_THREADS?)");
  EXPECT_TRUE(is_unused_cores_finding(f[0]));
  // 2x1: its ranks.
  idle.threads = 1;
  EXPECT_NE(busy_findings({idle}, 0.0, 1)[0].find("its ranks sat idle"), std::string::npos);
  // The same use while others took the rest: the others are named, not the program.
  auto taken = sample(2.0, 2, 1.8);
  taken.program_cpu_seconds = 2.1;
  taken.threads = 2;
  const auto g = busy_findings({taken}, 0.0, 1);
  ASSERT_EQ(g.size(), 1U);
  EXPECT_FALSE(is_unused_cores_finding(g[0])) << g[0];
  // A program that used its cores; one core; unknown CPU time (srun): nothing said.
  auto used = sample(2.0, 2, 0.0);
  used.program_cpu_seconds = 3.6;
  EXPECT_TRUE(busy_findings({used}, 0.0, 1).empty());
  auto one = sample(2.0, 1, 0.0);
  one.program_cpu_seconds = 0.5;
  EXPECT_TRUE(busy_findings({one}, 0.0, 1).empty());
  EXPECT_TRUE(busy_findings({sample(2.0, 2, 0.0)}, 0.0, 1).empty());
  // The table's advice is about the program.
  auto s = sample_study();
  s.points[1].busy = {idle};
  s.points[1].busy[0].threads = 2;
  std::ostringstream out;
  print_study_table(out, s, analyze_study(s), TableWords{});
  EXPECT_NE(out.str().find("advice       the program did not use all the cores it was given at "),
            std::string::npos)
      << out.str();
  EXPECT_EQ(out.str().find("not to be trusted"), std::string::npos) << out.str();
}

TEST(Busy, TheWorstSampleIsNamed) {
  auto a = sample(1.0, 2, 0.5);
  auto b = sample(1.0, 2, 0.9);
  b.what = "run 2";
  const auto f = busy_findings({a, b}, 0.0, 2);
  ASSERT_EQ(f.size(), 1U);
  EXPECT_NE(f[0].find("0.90 CPU(s) on node1 during run 2"), std::string::npos) << f[0];
}

TEST(Busy, TableMarksBusyPointsAndJsonSaysWhy) {
  auto s = sample_study();
  s.points[2].busy = {sample(2.2, 2, 1.5)};  // 2x1: others took 0.68 CPU of the 2 it needed
  s.points[0].busy = {sample(4.1, 1, 0.0)};
  const auto a = analyze_study(s);
  std::ostringstream out;
  print_study_table(out, s, a, TableWords{});
  const auto text = out.str();
  EXPECT_NE(text.find("!   2      2        1  static"), std::string::npos) << text;
  EXPECT_NE(text.find("\n    1      1        1  static"), std::string::npos) << text;
  EXPECT_NE(text.find("busy         ! 2x1 static: other processes used 0.68 CPU(s)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("advice       the times of the points marked ! are not to be trusted"),
            std::string::npos);
  const auto doc = study_json(s, a);
  EXPECT_EQ(doc["points"][2]["busy"]["trusted"], false);
  EXPECT_EQ(doc["points"][0]["busy"]["trusted"], true);
  EXPECT_EQ(doc["points"][2]["busy"]["samples"][0]["cpus_in_use"], 2);
  EXPECT_EQ(doc["busy"]["points"], nlohmann::json({"2x1 static"}));
  EXPECT_TRUE(doc["busy"]["advice"].is_string());
  // Quiet: a line says so when the machine was watched.
  s.points[2].busy.clear();
  std::ostringstream quiet;
  print_study_table(quiet, s, analyze_study(s), TableWords{});
  EXPECT_NE(quiet.str().find("machine      quiet: no point's runs spread over 10 %"),
            std::string::npos)
      << quiet.str();
  EXPECT_EQ(study_json(s, analyze_study(s))["busy"]["advice"], nullptr);
}

TEST(Study, PoorFitSaysSoInsteadOfALimit) {
  StudyRecord s;
  s.job = "pi";
  add_run(s, 1, 1, "static", run(2.0));
  add_run(s, 1, 2, "static", run(2.1));
  add_run(s, 2, 1, "static", run(2.2));
  const auto text = table(s, TableWords{});
  EXPECT_NE(text.find("fit          Amdahl (static): POOR FIT, serial fraction 1.0000 (100.00 %), "
                      "held at 1: the times do not fall as the cores grow, R^2 0.0000"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("speedup limit"), std::string::npos) << text;
  const auto doc = study_json(s, analyze_study(s));
  EXPECT_EQ(doc["analysis"]["fits"][0]["quality"], "poor");
  EXPECT_EQ(doc["analysis"]["fits"][0]["speedup_limit"], nullptr);
  EXPECT_LE(doc["analysis"]["fits"][0]["serial_fraction"].get<double>(), 1.0);
}

TEST(Study, AFailedPointIsNotTheFastest) {
  StudyRecord s;
  add_run(s, 1, 1, "static", run(4.0));
  add_run(s, 2, 1, "static", run(2.2));
  add_run(s, 1, 2, "static", run(1.0, "FAIL"));  // fast and wrong
  sort_points(s);
  const auto text = table(s, TableWords{});
  EXPECT_NE(text.find("             2 cores: 2x1 static 2.200 s\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  FAIL\n"), std::string::npos) << text;
}

TEST(Study, ARunsTimeLeavesOutItsOutputAndItsVerifyPhase) {
  const nlohmann::json report = {{"phases",
                                  {{"total", {{"min", 1.0}, {"avg", 1.0}, {"max", 1.0}}},
                                   {"output", {{"min", 0.1}, {"avg", 0.1}, {"max", 0.1}}},
                                   {"verify", {{"min", 0.0}, {"avg", 0.1}, {"max", 0.3}}}}},
                                 {"result", {"result: 1"}},
                                 {"verification", {{"status", "PASS"}, {"detail", "checked"}}}};
  EXPECT_DOUBLE_EQ(study_run_of_report(report).seconds, 0.6);
  nlohmann::json older = report;  // a report from before the verify phase
  older["phases"].erase("verify");
  EXPECT_DOUBLE_EQ(study_run_of_report(older).seconds, 0.9);
}
