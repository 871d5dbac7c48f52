// SPDX-License-Identifier: BSD-3-Clause
// The small API's jobs through the engine at this run's ranks x threads (the CTest
// registrations cover 1..4 ranks x 1..2 threads: 1x1, 2x1, 1x2, 3x1 among them) give the same
// result bytes as the job run serially in one process, whatever the schedule and the
// distribution; a throwing lambda ends every rank with the same error; a program whose job list
// is bad ends on every rank with exit code 2; a program names itself and has its own jobs
// only; the job's own check is timed as a verify phase, outside compute.

#include <gtest/gtest.h>

#include <boost/mpi/communicator.hpp>
#include <chrono>
#include <thread>

#include "hpar/cli/cli.hpp"
#include "hpar/engine/engine.hpp"
#include "hpar/report/report.hpp"
#include "serial_reference.hpp"
#include "small_jobs.hpp"

namespace po = boost::program_options;
using namespace hpar;

namespace {

void expect_serial_result(const std::vector<std::string>& args) {
  const hpar_test::SmallJobs jobs;
  (void)hpar_test::expect_serial_result(args, {"static", "dynamic,1"});
}

}  // namespace

TEST(SmallApi, ReductionsAreTheSerialRunBitForBit) {
  expect_serial_result({"wavy"});
  expect_serial_result({"wavy", "--n", "7", "--block", "2"});  // fewer blocks than ranks
  expect_serial_result({"hits"});
  expect_serial_result({"moments"});
  expect_serial_result({"peak", "--block", "333"});
  expect_serial_result({"blocks", "--block", "1000"});
}

TEST(SmallApi, TuplesOfEveryElementTypeAreAPlainLoopsSumBitForBit) {
  // The job checks its sum against a plain serial loop (64-bit integers, the doubles in block
  // order); every layout, distribution and schedule must give the serial run's line and PASS.
  const boost::mpi::communicator world;
  const hpar_test::SmallJobs jobs;
  for (const std::vector<std::string>& args : {std::vector<std::string>{"tuples"},
                                               {"tuples", "--n", "5", "--block", "2"},
                                               {"tuples", "--n", "40000", "--block", "1"}}) {
    const auto status = hpar_test::expect_serial_result(args, {"static", "dynamic,1"});
    if (world.rank() == 0) {
      EXPECT_EQ(status, Verification::Status::pass) << args.back();
    }
  }
}

TEST(SmallApi, AnEmptyReductionIsTheIdentity) {
  expect_serial_result({"wavy", "--n", "0"});
}

TEST(SmallApi, AMapIsTheSerialRunBitForBit) {
  expect_serial_result({"lines"});
  expect_serial_result({"lines", "--n", "5", "--block", "1"});
}

TEST(SmallApi, AThrowingLambdaEndsEveryRankWithTheSameError) {
  const boost::mpi::communicator world;
  const hpar_test::SmallJobs jobs;
  const std::vector<std::string> args = {"throws", "--block", "100"};
  const ParsedRun p = parse_job_command(args, po::options_description());
  try {
    [[maybe_unused]] const RunRecord record = run_job(world, *p.job, p.vm, p.run);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::runtime);
    EXPECT_NE(std::string(e.what()).find("item 7777 is bad"), std::string::npos) << e.what();
  }
}

TEST(SmallApi, AProgramWithTwoJobsOfOneNameEndsWithCodeTwoOnEveryRank) {
  const boost::mpi::communicator world;
  auto list = hpar_test::small_api_jobs();
  list.push_back(list.back());
  ::testing::internal::CaptureStderr();
  const int code = cli_main(world, {"list"}, list);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, 2);
  if (world.rank() == 0) {
    EXPECT_EQ(err,
              "hpar: error: two jobs are named 'wrong': the jobs handed to the program must "
              "have different names\nhpar: try 'hpar help' for usage\n");
  } else {
    EXPECT_EQ(err, "");
  }
}

TEST(SmallApi, AProgramRunsItsOwnJobsThroughTheCommandLine) {
  const boost::mpi::communicator world;
  const auto list = hpar_test::small_api_jobs();
  ::testing::internal::CaptureStdout();
  const int ok = cli_main(world, {"run", "hits", "--no-report"}, list);
  const int wrong = cli_main(world, {"run", "wrong", "--no-report"}, list);
  ::testing::internal::CaptureStderr();
  const int bad = cli_main(world, {"run", "hits", "--n", "many"}, list);
  const int unknown = cli_main(world, {"run", "pi"}, list);  // not one of this program's
  const std::string err = ::testing::internal::GetCapturedStderr();
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(ok, 0);
  EXPECT_EQ(wrong, 3);
  EXPECT_EQ(bad, 2);
  EXPECT_EQ(unknown, 2);
  if (world.rank() == 0) {
    EXPECT_NE(out.find("result: "), std::string::npos) << out;
    EXPECT_NE(err.find("hpar: error: bad value 'many' for --n"), std::string::npos) << err;
    EXPECT_NE(err.find("hpar: error: unknown job 'pi'"), std::string::npos) << err;
  }
}

TEST(SmallApi, AProgramNamesItselfAndHasOnlyItsOwnJobs) {
  const boost::mpi::communicator world;
  const auto list = hpar_test::small_api_jobs();
  const ProgramScope self({.name = "myprog", .version = "2.5"});
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int version = cli_main(world, {"--version"}, list);
  const int help = cli_main(world, {"help"}, list);
  const int farm = cli_main(world, {"farm", "--", "true"}, list);
  const int unknown = cli_main(world, {"run", "pi"}, list);
  const int bad = cli_main(world, {"run", "hits", "--n", "many"}, list);
  const std::string err = ::testing::internal::GetCapturedStderr();
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(version, 0);
  EXPECT_EQ(help, 0);
  EXPECT_EQ(farm, 2);
  EXPECT_EQ(unknown, 2);
  EXPECT_EQ(bad, 2);
  if (world.rank() != 0) return;
  EXPECT_TRUE(out.starts_with("myprog 2.5 (hpar ")) << out;
  EXPECT_NE(out.find("myprog 2.5: built on hpar"), std::string::npos) << out;
  EXPECT_NE(out.find("usage: mpirun -np RANKS myprog COMMAND"), std::string::npos) << out;
  EXPECT_EQ(out.find("farm"), std::string::npos) << "no farm command without a farm job";
  EXPECT_EQ(out.find("'hpar "), std::string::npos) << out;
  // Each line as expected (a layout warning may come between them), none naming hpar.
  for (const char* line :
       {"myprog: error: unknown command 'farm'\n", "myprog: try 'myprog help' for usage\n",
        "myprog: error: unknown job 'pi' (see 'myprog list')\n",
        "myprog: error: bad value 'many' for --n",
        "\nmyprog: try 'myprog help hits' for the job's options\n"}) {
    EXPECT_NE(err.find(line), std::string::npos) << line << " in:\n" << err;
  }
  EXPECT_EQ(err.find("hpar:"), std::string::npos) << err;
}

TEST(SmallApi, TheJobsOwnCheckIsAVerifyPhaseOutsideCompute) {
  const boost::mpi::communicator world;
  Registry registry({hpar::define_job(
      {.name = "slow_check", .summary = "a check that takes 1 s", .options = {}},
      [](const hpar::Options& /*o*/) {
        return hpar::reduce(1000, [](std::uint64_t i) { return i; }).verify([](std::uint64_t sum) {
          std::this_thread::sleep_for(std::chrono::seconds(1));
          return sum == 499500;
        });
      })});
  const RegistryScope scope(registry);
  const std::vector<std::string> args = {"slow_check"};
  const ParsedRun p = parse_job_command(args, po::options_description());
  const RunRecord record = run_job(world, *p.job, p.vm, p.run);
  // Were the check inside compute, compute would hold all of verify's time and more; the 1 s
  // sleep keeps compute's own time (1,000 sums, ~1 s at worst seen on 2 cores at a load of 9)
  // below it.
  EXPECT_GE(record.verify.max, 1.0);
  EXPECT_LT(record.compute.max, record.verify.max);
  if (world.rank() == 0) {
    EXPECT_EQ(record.result.verification.status, Verification::Status::pass);
    EXPECT_EQ(make_report(record, RunContext{})["phases"]["verify"]["max"], record.verify.max);
  }
}
