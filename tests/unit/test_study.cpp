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
