// pi, integrate and primes through the engine at this run's ranks x threads give the same
// result bytes as the job run serially in one process (the CTest registrations cover 1..4 ranks
// x 1..2 threads), whatever the schedule and the distribution of blocks to ranks.

#include <gtest/gtest.h>

#include <boost/mpi/communicator.hpp>

#include "../unit/job_harness.hpp"
#include "hpar/cli/cli.hpp"
#include "hpar/engine/engine.hpp"

namespace po = boost::program_options;
using namespace hpar;

namespace {

void expect_serial_result(std::vector<std::string> args) {
  const boost::mpi::communicator world;
  std::vector<std::string> lines;
  std::string ordered;
  if (world.rank() == 0) {
    auto job = hpar::testing::make_job(args[0], {args.begin() + 1, args.end()});
    auto g = hpar::testing::run_serially(*job);
    lines = job->finish(g).lines;
    ordered = g.ordered;
  }
  for (const char* distribution : {"block", "cyclic", "dynamic"}) {
    for (const char* schedule : {"static", "dynamic,1", "guided"}) {
      std::vector<std::string> run_args = args;
      run_args.insert(run_args.end(), {"--schedule", schedule, "--distribution", distribution});
      const ParsedRun p = parse_job_command(run_args, po::options_description());
      const RunRecord record = run_job(world, *p.job, p.vm, p.run);
      if (world.rank() == 0) {
        EXPECT_EQ(record.result.lines, lines) << args[0] << " " << schedule << " " << distribution;
        EXPECT_EQ(record.ordered, ordered) << args[0] << " " << schedule << " " << distribution;
        EXPECT_EQ(record.result.verification.status, Verification::Status::pass)
            << record.result.verification.detail;
        std::uint64_t blocks = 0;
        for (const auto b : record.rank_blocks) blocks += b;
        EXPECT_EQ(blocks, record.plan.blocks()) << "every block exactly once";
      }
    }
  }
}

}  // namespace

TEST(ComputeJobs, PiIsTheSerialRun) {
  expect_serial_result({"pi", "--samples", "5000017", "--seed", "3"});
}

TEST(ComputeJobs, IntegrateIsTheSerialRun) {
  expect_serial_result(
      {"integrate", "--function", "sin", "--from", "-1", "--to", "2", "--intervals", "600001"});
}

TEST(ComputeJobs, PrimesIsTheSerialRun) {
  expect_serial_result({"primes", "--limit", "2621447", "--list"});
}
