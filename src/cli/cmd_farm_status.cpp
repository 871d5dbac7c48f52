// SPDX-License-Identifier: BSD-3-Clause
// `hpar farm-status DIR`: what a farm's checkpoint holds (tasks done, failed, left), read from
// its manifest and records without MPI, for a user on a login node while the farm runs.

#include <boost/program_options.hpp>
#include <iostream>
#include <sstream>
#include <string>

#include "commands.hpp"
#include "hpar/cli/options.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/format.hpp"
#include "hpar/engine/engine.hpp"

namespace hpar {
namespace {

/// The farm's way of telling a failed task from its record, from `jobs` (nullptr: none).
bool (*farm_failure(std::span<const JobInfo> jobs))(std::span<const std::uint64_t>) {
  for (const auto& job : jobs) {
    if (job.name == "farm") return job.block_failed;
  }
  const JobInfo* farm = find_job("farm");
  return farm == nullptr ? nullptr : farm->block_failed;
}

}  // namespace

std::string farm_status(std::span<const std::string> args, std::span<const JobInfo> jobs) {
  const auto words =
      parse_options(args, boost::program_options::options_description(), {.words = true}).words;
  if (words.size() != 1) {
    throw UsageError("farm-status takes one checkpoint directory (the farm's --checkpoint DIR)");
  }
  const std::string& dir = words[0];
  const CheckpointSummary s = summarize_checkpoint(dir, farm_failure(jobs));
  if (s.job != "farm") {
    throw UsageError(quote_for_message(dir) + " is a checkpoint of job " +
                     quote_for_message(s.job) + ", not of a farm");
  }
  std::ostringstream out;
  out << "checkpoint: " << dir << "\n"
      << "runs: " << s.attempts << "\n"
      << "complete: " << (s.complete ? "yes" : "no") << "\n"
      << "tasks: " << s.blocks << "\n"
      << "done: " << s.done << "\n"
      << "succeeded: " << s.done - s.failed << "\n"
      << "failed: " << s.failed << "\n"
      << "left: " << s.blocks - s.done << "\n";
  return out.str();
}

int farm_status_command(const boost::mpi::communicator& world, std::span<const std::string> args) {
  const std::string text = farm_status(args, {});
  if (world.rank() == 0) std::cout << text;
  return 0;
}

}  // namespace hpar
