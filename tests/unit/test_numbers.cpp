// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "hpar/core/errors.hpp"
#include "job_harness.hpp"

using namespace hpar;
using hpar::testing::make_job;
using hpar::testing::run_serially;

namespace {

// The tutorial's function, written plainly: for x, the values x+1 .. x+steps.
std::string reference(const std::vector<long long>& inputs, int steps) {
  std::string out;
  for (const long long x : inputs) {
    out += std::to_string(x) + ":";
    for (int k = 1; k <= steps; ++k) out += " " + std::to_string(x + k);
    out += "\n";
  }
  return out;
}

}  // namespace

TEST(Numbers, TutorialExample) {
  auto job = make_job("numbers", {"--inputs", "1,10"});
  auto g = run_serially(*job);
  EXPECT_EQ(g.ordered, "1: 2 3 4 5 6\n10: 11 12 13 14 15\n");
  const auto r = job->finish(g);
  EXPECT_EQ(r.verification.status, Verification::Status::pass) << r.verification.detail;
}

TEST(Numbers, RangeAgainstSerialLoopAcrossBlocks) {
  std::vector<long long> inputs;
  for (long long x = -50000; x <= 50000; x += 7) inputs.push_back(x);  // several 4096-blocks
  auto job = make_job("numbers", {"--range", "-50000:50000:7", "--steps", "3"});
  auto g = run_serially(*job);
  EXPECT_EQ(g.ordered, reference(inputs, 3));
  EXPECT_EQ(job->finish(g).verification.status, Verification::Status::pass);
}

TEST(Numbers, DescendingRange) {
  auto job = make_job("numbers", {"--range", "3:-3:-3", "--steps", "1"});
  EXPECT_EQ(run_serially(*job).ordered, "3: 4\n0: 1\n-3: -2\n");
}

TEST(Numbers, QuietGivesChecksumOnly) {
  auto job = make_job("numbers", {"--range", "1:1000", "--quiet"});
  EXPECT_FALSE(job->plan().ordered_output);
  auto g = run_serially(*job);
  EXPECT_TRUE(g.ordered.empty());
  const auto r = job->finish(g);
  ASSERT_EQ(r.lines.size(), 1U);
  // checksum = sum_i (i+1) * (5*x_i + 15) with x_i = i+1: 5*sum(i^2) + 15*sum(i), i = 1..1000
  const unsigned long long n = 1000;
  const unsigned long long expected = 5 * (n * (n + 1) * (2 * n + 1) / 6) + 15 * (n * (n + 1) / 2);
  EXPECT_EQ(r.lines[0], "result: 1000 inputs x 5 steps, checksum " + std::to_string(expected));
}

TEST(Numbers, CorruptedChecksumFailsVerification) {
  auto job = make_job("numbers", {"--range", "1:10"});
  auto g = run_serially(*job);
  g.counts[0] += 1;
  EXPECT_EQ(job->finish(g).verification.status, Verification::Status::fail);
}

TEST(Numbers, InputFile) {
  const std::string path = ::testing::TempDir() + "hpar_numbers_inputs.txt";
  {
    std::ofstream f(path);
    f << "# header\n7\n\n   -2   # comment\n";
  }
  auto job = make_job("numbers", {"--input-file", path, "--steps", "2"});
  EXPECT_EQ(run_serially(*job).ordered, "7: 8 9\n-2: -1 0\n");
  std::remove(path.c_str());
}

TEST(Numbers, BadInputsAreUsageErrors) {
  EXPECT_THROW(make_job("numbers", {"--inputs", "1,x"}), UsageError);
  EXPECT_THROW(make_job("numbers", {"--range", "1"}), UsageError);
  EXPECT_THROW(make_job("numbers", {"--range", "1:5:0"}), UsageError);
  EXPECT_THROW(make_job("numbers", {"--steps", "0"}), UsageError);
  EXPECT_THROW(make_job("numbers", {"--input-file", "/nonexistent/file"}), UsageError);
  EXPECT_THROW(make_job("numbers", {"--inputs", "9223372036854775803"}), UsageError);
  EXPECT_NO_THROW(make_job("numbers", {"--inputs", "9223372036854775802"}));
  EXPECT_THROW(make_job("numbers", {"--range", "-9223372036854775808:9223372036854775807"}),
               UsageError);
  EXPECT_THROW(make_job("nosuchjob"), UsageError);
  EXPECT_THROW(make_job("numbers", {"--nosuchoption"}), UsageError);
}

TEST(Numbers, EmptyInputFileHasNoWork) {
  const std::string path = ::testing::TempDir() + "hpar_numbers_empty.txt";
  { std::ofstream f(path); }
  auto job = make_job("numbers", {"--input-file", path});
  EXPECT_EQ(job->plan().items, 0U);
  auto g = run_serially(*job);
  EXPECT_EQ(job->finish(g).verification.status, Verification::Status::pass);
  std::remove(path.c_str());
}

// The output's size is known before the run (the engine checks --output's free space with it):
// exact for ranges up, down, across zero and across powers of ten, and for listed inputs.
TEST(Numbers, OutputSizeKnownBeforeTheRun) {
  const std::vector<std::vector<std::string>> cases = {
      {"--range", "1:200000"},
      {"--range", "-50000:50000:7", "--steps", "3"},
      {"--range", "1000:-1000:-13", "--steps", "11"},
      {"--range", "9223372036854775000:9223372036854775800:3", "--steps", "2"},
      {"--range", "-9223372036854775808:-9223372036854775000:5"},
      {"--inputs", "-10,0,9,99,-1,123456789"},
  };
  for (const auto& args : cases) {
    auto job = make_job("numbers", args);
    const auto size = job->plan().ordered_size;
    ASSERT_TRUE(size.has_value()) << args[1];
    EXPECT_EQ(*size, run_serially(*job).ordered.size()) << args[1];
  }
  EXPECT_FALSE(make_job("numbers", {"--range", "1:10", "--quiet"})->plan().ordered_size);
}
