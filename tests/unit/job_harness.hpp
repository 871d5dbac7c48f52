#pragma once
// Runs a job without MPI or threads: the plainest possible driver, block after block in item
// order, so tests can hold a job's kernel against a serial reference.

#include <memory>
#include <string>
#include <vector>

#include "hpar/cli/cli.hpp"
#include "hpar/core/job.hpp"

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
  Gathered g;
  g.blocks = plan.blocks();
  g.reals.assign(g.blocks * plan.real_partials, 0.0);
  g.counts.assign(g.blocks * plan.count_partials, 0);
  for (int pass = 0; pass < plan.passes; ++pass) {
    const bool last = pass == plan.passes - 1;
    for (std::uint64_t b = 0; b < g.blocks; ++b) {
      std::string bytes;
      BlockOutput out;
      if (last) {
        out.reals = {g.reals.data() + b * plan.real_partials, plan.real_partials};
        out.counts = {g.counts.data() + b * plan.count_partials, plan.count_partials};
        if (plan.ordered_output) out.bytes = &bytes;
      }
      out.state = state.get();
      job.compute(Block{b, plan.block(b), pass}, out);
      g.ordered += bytes;
    }
  }
  if (plan.thread_state) {
    ThreadState* s = state.get();
    g.rank_states.push_back(job.serialize({&s, 1}));
  }
  g.pass_seconds.assign(static_cast<std::size_t>(plan.passes), 1.0);
  return g;
}

}  // namespace hpar::testing
