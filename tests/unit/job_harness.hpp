// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Runs a job without MPI or threads: the plainest possible driver, block after block in item
// order, so tests can hold a job's kernel against a serial reference. It slices results with
// the engine's own BlockScratch / PartialLog / place_partials, so the two cannot drift.

#include <memory>
#include <string>
#include <vector>

#include "hpar/cli/cli.hpp"
#include "hpar/core/job.hpp"
#include "hpar/engine/block_results.hpp"

namespace hpar::testing {

/// Builds job `name` from command-line style arguments (throws UsageError like `hpar run`),
/// as if it ran on `context` (default: one rank, one thread).
inline std::unique_ptr<Job> make_job(const std::string& name, std::vector<std::string> args = {},
                                     JobContext context = {}) {
  args.insert(args.begin(), name);
  const ParsedRun parsed = parse_job_command(args, boost::program_options::options_description());
  return parsed.job->make(parsed.vm, context);
}

/// Walks every block of every pass in order on this thread and returns what rank 0 of a
/// one-rank run would hold (one rank state, pass times of 1 s).
inline Gathered run_serially(Job& job) {
  const WorkPlan plan = job.plan();
  job.prepare({0, plan.items});
  std::unique_ptr<ThreadState> state = plan.thread_state ? job.make_thread_state() : nullptr;
  BlockScratch scratch(plan);
  PartialLog log;
  Gathered g;
  for (int pass = 0; pass < plan.passes; ++pass) {
    const bool last = pass == plan.passes - 1;
    for (std::uint64_t b = 0; b < plan.blocks(); ++b) {
      BlockOutput out = scratch.prepare(last, state.get());
      job.compute(Block{b, plan.block(b), pass}, out);
      if (!last) continue;
      log.append(b, scratch.reals(), scratch.counts(), scratch.record());
      g.ordered += scratch.bytes();
    }
  }
  place_partials(plan, log, g);
  if (plan.thread_state) {
    ThreadState* s = state.get();
    g.rank_states.push_back(job.serialize({&s, 1}));
  }
  g.pass_seconds.assign(static_cast<std::size_t>(plan.passes), 1.0);
  return g;
}

}  // namespace hpar::testing
