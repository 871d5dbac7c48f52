// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "hpar/cli/cli.hpp"
#include "hpar/core/errors.hpp"
#include "parse_run.hpp"

namespace po = boost::program_options;
using namespace hpar;
using hpar_test::parse;

TEST(Cli, JobAndDefaults) {
  const auto p = parse({"numbers"});
  ASSERT_NE(p.job, nullptr);
  EXPECT_EQ(p.job->name, "numbers");
  EXPECT_EQ(p.vm["steps"].as<std::string>(), "5");
  EXPECT_EQ(p.run.schedule.to_string(), "static");
  EXPECT_GE(p.run.threads, 1);
  EXPECT_FALSE(p.help);
}

TEST(Cli, LayoutOptions) {
  const auto p = parse({"numbers", "--threads", "3", "--schedule", "guided,2"});
  EXPECT_EQ(p.run.threads, 3);
  EXPECT_EQ(p.run.schedule.kind, Schedule::Kind::guided);
  EXPECT_EQ(p.run.schedule.chunk, 2);
}

TEST(Cli, BadUsageIsUsageError) {
  EXPECT_THROW(parse({}), UsageError);
  EXPECT_THROW(parse({"--threads", "2"}), UsageError);
  EXPECT_THROW(parse({"nosuchjob"}), UsageError);
  EXPECT_THROW(parse({"numbers", "--nosuch"}), UsageError);
  EXPECT_THROW(parse({"numbers", "--threads"}), UsageError);
  EXPECT_THROW(parse({"numbers", "--threads", "two"}), UsageError);
  EXPECT_THROW(parse({"numbers", "--threads", "0"}), UsageError);
  EXPECT_THROW(parse({"numbers", "--steps", "1", "--steps", "2"}), UsageError);
  EXPECT_THROW(parse({"numbers", "stray"}), UsageError);
}

TEST(Cli, ConfigFileAndCommandLinePrecedence) {
  const std::string path = ::testing::TempDir() + "hpar_cli_test.ini";
  {
    std::ofstream f(path);
    f << "# comment\nsteps = 7\nthreads = 2\nschedule = dynamic,3\n";
  }
  const auto p = parse({"numbers", "--config", path, "--threads", "1"});
  EXPECT_EQ(p.vm["steps"].as<std::string>(), "7");
  EXPECT_EQ(p.run.threads, 1);  // the command line wins
  EXPECT_EQ(p.run.schedule.to_string(), "dynamic,3");
  std::remove(path.c_str());
  EXPECT_THROW(parse({"numbers", "--config", path}), UsageError);  // now missing
}

TEST(Cli, HelpFlagAndJobHelpText) {
  EXPECT_TRUE(parse({"numbers", "--help"}).help);
  const std::string text = job_help(*find_job("numbers"), po::options_description());
  for (const char* part : {"hpar run numbers", "--inputs", "--range", "--input-file", "--steps",
                           "(=5)", "--threads", "--schedule", "--config"}) {
    EXPECT_NE(text.find(part), std::string::npos) << part << "\n" << text;
  }
}

TEST(Cli, RegistryListsNumbers) {
  EXPECT_NE(find_job("numbers"), nullptr);
  EXPECT_EQ(find_job("nope"), nullptr);
  for (const auto& job : job_registry()) {
    EXPECT_FALSE(job.summary.empty()) << job.name;
    EXPECT_EQ(find_job(job.name), &job);
  }
}
