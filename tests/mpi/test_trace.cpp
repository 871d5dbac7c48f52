// SPDX-License-Identifier: BSD-3-Clause
// The engine's trace and progress hooks, at every ranks x threads layout of the MPI suite.

#include <gtest/gtest.h>

#include <boost/mpi/communicator.hpp>
#include <boost/program_options.hpp>
#include <set>
#include <sstream>

#include "hpar/cli/cli.hpp"
#include "hpar/engine/engine.hpp"
#include "hpar/observe/progress.hpp"
#include "hpar/observe/trace.hpp"
#include "parse_run.hpp"

using namespace hpar;
using hpar_test::parse;

TEST(TraceHooks, EveryRankAndThreadGetsATrackAndResultsDoNotChange) {
  const boost::mpi::communicator world;
  auto p = parse({"numbers", "--range", "1:60000", "--quiet", "--schedule", "dynamic,1"});
  const auto plain = run_job(world, *p.job, p.vm, p.run);
  TraceRecorder trace;
  world.barrier();
  trace.start();
  p.run.observers.add(&trace);
  const auto traced = run_job(world, *p.job, p.vm, p.run);
  const auto doc = gather_trace(world, trace, host_name());
  if (world.rank() != 0) return;
  EXPECT_EQ(traced.result.lines, plain.result.lines);
  std::set<std::pair<int, int>> tracks, expected;
  std::uint64_t blocks = 0;
  for (const auto& e : doc["traceEvents"]) {
    if (e["ph"] != "X") continue;
    tracks.emplace(e["pid"].get<int>(), e["tid"].get<int>());
    if (e["name"] == "compute") blocks += e["args"]["block_count"].get<std::uint64_t>();
  }
  for (int r = 0; r < world.size(); ++r) {
    for (int t = 0; t < p.run.threads; ++t) expected.emplace(r, t);
  }
  EXPECT_EQ(tracks, expected);
  EXPECT_EQ(blocks, traced.plan.blocks());  // every block once, one pass
}

TEST(TraceHooks, ProgressCountsEveryBlockOfRankZero) {
  const boost::mpi::communicator world;
  auto p = parse({"numbers", "--range", "1:40000", "--quiet"});
  std::ostringstream out;
  ProgressMeter meter(out, false, 0.0, 3600.0);
  if (world.rank() == 0) p.run.observers.add(&meter);
  const auto record = run_job(world, *p.job, p.vm, p.run);
  if (world.rank() != 0) return;
  EXPECT_EQ(meter.lines(), 1);  // the first due line only: the interval is an hour
  const auto blocks = block_partition(record.plan.blocks(), world.size(), 0).size();
  const std::string last =
      "(" + std::to_string(blocks) + " of " + std::to_string(blocks) + " blocks on rank 0)";
  EXPECT_NE(out.str().find(last), std::string::npos) << out.str();
}
