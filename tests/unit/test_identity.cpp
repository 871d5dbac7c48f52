// SPDX-License-Identifier: BSD-3-Clause
// The run identity a checkpoint keeps: options counted by their job's rules.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "hpar/cli/cli.hpp"
#include "hpar/cli/identity.hpp"
#include "hpar/core/errors.hpp"
#include "parse_run.hpp"

using namespace hpar;
using hpar_test::parse;

namespace {

std::string value_of(const RunIdentity& identity, const std::string& name) {
  for (const auto& [n, v] : identity.values) {
    if (n == name) return v;
  }
  return "(absent)";
}

RunIdentity identity_of(std::vector<std::string> args) {
  const auto p = parse(args);
  return job_identity(*p.job, p.vm);
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace

TEST(Identity, NumbersCountByTheirValue) {
  EXPECT_EQ(identity_value(IdentityRule::count, "--n", "3e7"), "30000000");
  EXPECT_EQ(identity_value(IdentityRule::integer, "--n", "-2.5e1"), "-25");
  EXPECT_EQ(identity_value(IdentityRule::real, "--x", "0.50"),
            identity_value(IdentityRule::real, "--x", "5e-1"));
  EXPECT_EQ(identity_value(IdentityRule::size, "--b", "1Ki"), "1024");
  EXPECT_EQ(identity_value(IdentityRule::integers, "--range", "1:3e7:1e0"), "1:30000000:1");
  EXPECT_EQ(identity_value(IdentityRule::integers, "--inputs", "+4,05"), "4,5");
  EXPECT_EQ(identity_value(IdentityRule::text, "--f", "3e7"), "3e7");
  // A value that does not parse is kept as given: the job refuses it when it is made.
  EXPECT_EQ(identity_value(IdentityRule::count, "--n", "many"), "many");
}

TEST(Identity, AnInputFileCountsByItsContent) {
  const auto dir = std::filesystem::temp_directory_path() / "hpar_identity_test";
  std::filesystem::create_directories(dir);
  const std::string a = (dir / "a.txt").string();
  const std::string b = (dir / "b.txt").string();
  write(a, "1\n2\n");
  write(b, "1\n2\n");
  const std::string hash_a = identity_value(IdentityRule::input_file, "--input-file", a);
  EXPECT_EQ(hash_a, identity_value(IdentityRule::input_file, "--input-file", b));
  write(b, "1\n3\n");
  EXPECT_NE(hash_a, identity_value(IdentityRule::input_file, "--input-file", b));
  const auto identity = identity_of({"numbers", "--input-file", a});
  EXPECT_EQ(value_of(identity, "content of --input-file"), hash_a);
  EXPECT_EQ(value_of(identity, "--input-file"), "(absent)");  // not its path
  ASSERT_EQ(identity.labels.size(), 1U);
  EXPECT_NE(identity.labels[0].second.find("a.txt"), std::string::npos);
  EXPECT_THROW((void)identity_value(IdentityRule::input_file, "--input-file",
                                    (dir / "missing.txt").string()),
               UsageError);
  std::filesystem::remove_all(dir);
}

TEST(Identity, TheFarmLeavesOutWhatChangesNoTask) {
  const auto a = identity_of({"farm", "--inputs", "a,b", "--timeout", "5", "--chunk", "3",
                              "--task-threads", "1", "--unordered", "--", "echo", "{}"});
  const auto b = identity_of({"farm", "--inputs", "a,b", "--", "echo", "{}"});
  EXPECT_EQ(a.values, b.values);
  // --tag now changes every task's recorded output (its lines are tagged): a resume must match.
  EXPECT_NE(identity_of({"farm", "--inputs", "a,b", "--tag", "--", "echo"}).values,
            identity_of({"farm", "--inputs", "a,b", "--", "echo"}).values);
  EXPECT_EQ(value_of(a, "--command"), "echo\n{}");
  EXPECT_EQ(value_of(a, "--retries"), "0");  // kept: the records hold its attempts
  EXPECT_NE(identity_of({"farm", "--inputs", "a,b", "--shell", "--", "echo"}).values,
            identity_of({"farm", "--inputs", "a,b", "--", "echo"}).values);
}

TEST(Identity, NumbersResumeARangeGivenOtherwise) {
  EXPECT_EQ(identity_of({"numbers", "--range", "1:3e7"}).values,
            identity_of({"numbers", "--range", "1:30000000", "--steps", "5e0"}).values);
}

TEST(Identity, ARuleForAnUndeclaredOptionIsAProgrammingError) {
  const auto p = parse({"numbers"});
  JobInfo job = *p.job;
  job.identity_rules.emplace_back("no-such-option", IdentityRule::ignored);
  EXPECT_THROW((void)job_identity(job, p.vm), std::logic_error);
}

TEST(Identity, HelpShowsTheJobsOwnLayoutDefaults) {
  const auto farm = parse({"farm", "--inputs", "a", "--", "echo"});
  EXPECT_EQ(farm.run.schedule.to_string(), "dynamic,1");
  EXPECT_NE(job_help(*farm.job, boost::program_options::options_description()).find("(=dynamic,1)"),
            std::string::npos);
}
