// SPDX-License-Identifier: BSD-3-Clause
// Shared by the MPI tests of jobs: a job through the engine at this run's ranks x threads, with
// every distribution of blocks to ranks and several schedules, against the same job run
// serially in one process (the unit tests' job_harness): the result lines, the ordered bytes
// and the verdict must be the same, and every block computed exactly once. Also the numbers
// job's text as a serial loop writes it.
#pragma once

#include <gtest/gtest.h>

#include <boost/mpi/communicator.hpp>
#include <string>
#include <vector>

#include "../unit/job_harness.hpp"
#include "hpar/cli/cli.hpp"
#include "hpar/engine/engine.hpp"

namespace hpar_test {

/// What `hpar run numbers --range FIRST:LAST` prints (the default --steps 5), as a serial loop
/// writes it.
inline std::string reference_numbers(long long first, long long last) {
  std::string out;
  for (long long x = first; x <= last; ++x) {
    out += std::to_string(x) + ":";
    for (int k = 1; k <= 5; ++k) out += " " + std::to_string(x + k);
    out += "\n";
  }
  return out;
}

/// Runs `hpar run ARGS` (JOB first) through run_job once per distribution (block, cyclic,
/// dynamic) and schedule and expects rank 0's result to be the serial run's. Returns the
/// serial run's verdict (on rank 0; none elsewhere) for the caller to check.
inline hpar::Verification::Status expect_serial_result(const std::vector<std::string>& args,
                                                       const std::vector<std::string>& schedules) {
  using namespace hpar;
  const boost::mpi::communicator world;
  std::vector<std::string> lines;
  std::string ordered;
  Verification::Status status = Verification::Status::none;
  if (world.rank() == 0) {
    auto job = hpar::testing::make_job(args[0], {args.begin() + 1, args.end()});
    auto g = hpar::testing::run_serially(*job);
    const JobResult result = job->finish(g);
    lines = result.lines;
    status = result.verification.status;
    ordered = g.ordered;
  }
  for (const char* distribution : {"block", "cyclic", "dynamic"}) {
    for (const auto& schedule : schedules) {
      std::vector<std::string> run_args = args;
      run_args.insert(run_args.end(), {"--schedule", schedule, "--distribution", distribution});
      const ParsedRun p =
          parse_job_command(run_args, boost::program_options::options_description());
      const RunRecord record = run_job(world, *p.job, p.vm, p.run);
      if (world.rank() != 0) continue;
      const std::string where = args[0] + " " + schedule + " " + distribution;
      EXPECT_EQ(record.result.lines, lines) << where;
      EXPECT_EQ(record.ordered, ordered) << where;
      EXPECT_EQ(record.result.verification.status, status) << where;
      std::uint64_t blocks = 0;
      for (const auto b : record.rank_blocks) blocks += b;
      EXPECT_EQ(blocks, record.plan.blocks()) << "every block exactly once: " << where;
    }
  }
  return status;
}

}  // namespace hpar_test
