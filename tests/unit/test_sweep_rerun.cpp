// SPDX-License-Identifier: BSD-3-Clause
// Unit tests of hpar/launch/sweep_rerun.hpp: which points of a sweep's study --rerun launches
// again, and the points it keeps, read back whole.

#include <gtest/gtest.h>

#include "hpar/core/errors.hpp"
#include "hpar/launch/sweep_rerun.hpp"

namespace hpar {
namespace {

nlohmann::json point(int ranks, int threads, bool trusted, const std::string& verification) {
  return {{"ranks", ranks},
          {"threads", threads},
          {"schedule", "mpirun"},
          {"seconds", {2.0, 1.0}},
          {"result", {"same-output: 7"}},
          {"verification", verification},
          {"busy",
           {{"trusted", trusted},
            {"findings", nlohmann::json::array()},
            {"samples", nlohmann::json::array()}}}};
}

nlohmann::json study() {
  return {{"schema", "hpar-study/1"},
          {"command_line", {"hpar", "sweep", "--ranks", "1,2", "--", "prog"}},
          {"points",
           {point(1, 1, true, "PASS"), point(1, 2, false, "PASS"), point(2, 1, true, "FAIL"),
            point(2, 2, true, "PASS")}},
          {"failed",
           {{{"layout", "2x2 mpirun"}, {"run", 2}, {"failure", "exit code 1"}},
            {{"layout", "4x1 mpirun"}, {"run", 1}, {"failure", "exit code 1"}}}}};
}

TEST(SweepRerun, ChoosesFailedMissingAndUntrustedPointsNotWrongAnswers) {
  const auto choices = rerun_choices(study(), {"1x1 mpirun", "1x2 mpirun", "2x1 mpirun",
                                               "2x2 mpirun", "4x1 mpirun", "8x1 mpirun"});
  ASSERT_EQ(choices.size(), 4U);
  EXPECT_EQ(choices[0].layout, "1x2 mpirun");
  EXPECT_EQ(choices[0].why, "its times are not to be trusted");
  EXPECT_EQ(choices[1].layout, "2x2 mpirun");  // a point, and a failed launch
  EXPECT_EQ(choices[1].why, "a launch failed");
  EXPECT_EQ(choices[2].why, "every launch failed");
  EXPECT_EQ(choices[3].layout, "8x1 mpirun");
  EXPECT_EQ(choices[3].why, "not run (the sweep was stopped)");
  // 2x1 failed its --check: the program's answer, not rerun.
  const auto replaced = replaced_record(study(), choices[1]);
  EXPECT_EQ(replaced["seconds"], nlohmann::json({2.0, 1.0}));
  EXPECT_EQ(replaced["failures"][0]["run"], 2);
}

TEST(SweepRerun, KeptPointsReadBackTheirRunsFromTheirLaunches) {
  auto doc = study();
  doc["points"][0]["launches"] = {
      {{"seconds", 2.0}, {"result", {"same-output: 6"}}, {"verification", "PASS"}},
      {{"seconds", 1.0}, {"result", {"same-output: 7"}}, {"verification", "PASS"}}};
  const auto kept = kept_points(doc, {"1x2 mpirun", "2x2 mpirun"}, "s.json");
  ASSERT_EQ(kept.size(), 2U);
  EXPECT_EQ(layout_name(kept[0]), "1x1 mpirun");
  ASSERT_EQ(kept[0].runs.size(), 2U);
  EXPECT_EQ(kept[0].runs[0].result, std::vector<std::string>{"same-output: 6"});
  EXPECT_EQ(kept[0].runs[1].seconds, 1.0);
  // Without launches: each time with the point's result and verification.
  EXPECT_EQ(kept[1].runs.size(), 2U);
  EXPECT_EQ(kept[1].verification(), "FAIL");
  EXPECT_EQ(kept[1].runs[1].result, std::vector<std::string>{"same-output: 7"});
}

TEST(SweepRerun, RefusesWhatIsNotASweepsStudy) {
  EXPECT_EQ(sweep_arguments_of(study(), "s.json"),
            (std::vector<std::string>{"--ranks", "1,2", "--", "prog"}));
  auto scale = study();
  scale["command_line"] = {"hpar", "scale", "pi"};
  EXPECT_THROW((void)sweep_arguments_of(scale, "s.json"), UsageError);
  EXPECT_THROW((void)sweep_arguments_of({{"schema", "hpar-report/1"}}, "r.json"), UsageError);
  auto broken = study();
  broken["points"][0].erase("seconds");
  EXPECT_THROW((void)kept_points(broken, {}, "s.json"), UsageError);
}

}  // namespace
}  // namespace hpar
